// copy-table: copy work items (tables, table parts, sequences, large objects)
// from the source to the target, COPY to COPY. See man/copy-table.1.
#include <csignal>
#include <unistd.h>

#include "cli.h"
#include "conn.h"
#include "copytable.h"
#include "exitcodes.h"
#include "log.h"
#include "quote.h"
#include "viamerge.h"

using namespace fdwcopy;

int main(int argc, char** argv) {
    std::string source, target, format = "auto", target_table;
    std::vector<std::string> items;
    CopyOptions opt;
    Cli cli("copy-table", "copy tables, table parts, sequences and large objects between two servers",
            "copy-table [OPTION]... [ITEM]...\n"
            "table-list ... | copy-table [OPTION]...");
    cli.options.add_options()
        ("snapshot", po::value<std::string>(&opt.snapshot)->value_name("ID"),
         "read the source in this exported snapshot (snapshot-hold)")
        ("format", po::value<std::string>(&format)->value_name("FMT"),
         "COPY format: auto (binary when both servers have the same major version and every "
         "column type allows it), text or binary")
        ("progress", "show rows, MB and MB/s on stderr (default when stderr is a terminal)")
        ("keep-going", "after a failed item go on with the next (exit status is still 1)")
        ("jobs,j", po::value<int>(&opt.jobs)->value_name("N"),
         "copy N items at a time, each worker reusing its own pair of sessions (default: 1)")
        ("merge", "merge key ranges (table-list --by-key, table-diff) into the target's rows: upsert "
         "where they differ, in one transaction per range; whole tables are copied whole")
        ("delete", "with --merge: also delete the target's rows of a range whose key the source lacks")
        ("delete-only", "with --merge: only delete those rows (only the source's keys are read; no upsert)")
        ("row-diff-max", po::value<int>(&opt.row_diff_max)->value_name("PCT"),
         "with --merge: compare a range's rows by key and row hash and merge only those that "
         "differ while at most PCT percent of them do; above, merge the whole range (0: always "
         "whole; default: 10)")
        ("batch-rows", po::value<int64_t>(&opt.batch_rows)->value_name("N"),
         "with --merge: compare a range's rows by key and row hash as both lists stream in, and "
         "apply its differing rows in batches of up to N, one transaction each (for whole tables: "
         "memory independent of the table's size; --row-diff-max does not apply; default: 0, "
         "one transaction a range)")
        ("since", po::value<std::string>(&opt.since)->value_name("TIMESTAMP"),
         "with --merge: only the source's rows of a range whose --updated-at column is at or after "
         "TIMESTAMP (incremental sync)")
        ("updated-at", po::value<std::string>(&opt.updated_at)->value_name("COLUMN"),
         "the column --since compares (a timestamptz, timestamp or date set on every change)")
        ("target-table", po::value<std::string>(&target_table)->value_name("SCHEMA.NAME"),
         "copy the table items into this table of the target instead of the one of the same "
         "name (fdwcopy archive: the archive table of a partition)")
        ("via-fdw", po::value<std::string>(&opt.via_server)->value_name("SERVER"),
         "with --merge: connect to the target only and read the source through the foreign tables "
         "of this postgres_fdw server (IMPORT FOREIGN SCHEMA's): INSERT ... SELECT per range")
        ("diff", "with --via-fdw instead of --merge: compare each item's row count and row hash "
         "(postgres_fdw computes the source's on the source) and write the work lines that differ")
        ("disable-triggers", "load with session_replication_role = replica: foreign keys and "
         "triggers of the target do not fire (into an existing schema; superuser)")
        ("item", po::value<std::vector<std::string>>(&items)->value_name("ITEM"),
         "a work line to copy (the same as an ITEM argument; repeatable)");
    cli.positional.add("item", -1);
    add_source_option(cli, &source);
    add_target_option(cli, &target);
    cli.epilog =
        "Each ITEM is a work line of table-list; without ITEMs, stdin is read one line at a\n"
        "time. One result line (the work line plus rows, bytes, seconds) is printed per\n"
        "finished item; with --merge followed by rows inserted, updated and deleted.\n"
        "Exit status: 0 when every item was copied, 1 after a failure.\n";
    int rc = cli.parse(argc, argv);
    if (rc >= 0) return rc;
    try {
        opt.format = parse_copy_format(format);
    } catch (const Error& e) {
        return cli.usage_error(e.what());
    }
    if ((rc = cli.check_range("-j/--jobs", opt.jobs, 1, 1024)) >= 0) return rc;
    if ((rc = cli.check_range("--row-diff-max", opt.row_diff_max, 0, 100)) >= 0) return rc;
    if ((rc = cli.check_range("--batch-rows", opt.batch_rows, 0, 1000000000)) >= 0) return rc;
    opt.keep_going = cli.vm.count("keep-going") > 0;
    opt.merge = cli.has("merge");
    opt.disable_triggers = cli.has("disable-triggers");
    opt.del = cli.has("delete");
    opt.delete_only = cli.has("delete-only");
    if (opt.delete_only) opt.del = true;
    if (opt.del && !opt.merge) return cli.usage_error(std::string(opt.delete_only ? "--delete-only" : "--delete") + " needs --merge");
    if (cli.has("since") != cli.has("updated-at"))
        return cli.usage_error(cli.has("since") ? "--since needs --updated-at" : "--updated-at needs --since");
    if (cli.has("since") && !opt.merge) return cli.usage_error("--since needs --merge");
    if (opt.batch_rows > 0 && !opt.merge) return cli.usage_error("--batch-rows needs --merge");
    if (cli.has("since") && opt.del)
        return cli.usage_error("--since cannot be used with --delete (rows deleted on the source are not seen)");
    if (cli.has("since") && (opt.since.empty() || opt.updated_at.empty()))
        return cli.usage_error("--since and --updated-at cannot be empty");
    if (!target_table.empty()) {
        if (!split_qualified(target_table, &opt.target_schema, &opt.target_name))
            return cli.usage_error("invalid value \"" + target_table + "\" for option --target-table (SCHEMA.NAME)");
        if (opt.merge) return cli.usage_error("--target-table cannot be used with --merge");
    }
    opt.via_diff = cli.has("diff");
    if (opt.via_diff && opt.via_server.empty()) return cli.usage_error("--diff needs --via-fdw");
    if (!opt.via_server.empty()) {
        if (opt.merge == opt.via_diff) return cli.usage_error("--via-fdw needs either --merge or --diff");
        if (!target_table.empty()) return cli.usage_error("--target-table cannot be used with --via-fdw");
    }
    opt.progress = cli.vm.count("progress") > 0 || (isatty(2) && log_verbosity() >= 0);
    signal(SIGPIPE, SIG_IGN);
    if (!opt.via_server.empty()) return run_via_fdw(resolve_conninfo(target, "FDWCOPY_TARGET"), items, opt);
    return run_copy_table(resolve_conninfo(source, "FDWCOPY_SOURCE"), resolve_conninfo(target, "FDWCOPY_TARGET"),
                          items, opt);
}

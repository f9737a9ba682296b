// table-checksum: compare work items (tables, key-range parts, materialized
// views, sequences, large objects) between two servers by row count and
// checksum, computed on each server. See man/table-checksum.1.
#include <csignal>

#include "cli.h"
#include "conn.h"
#include "exitcodes.h"
#include "log.h"
#include "quote.h"
#include "tablechecksum.h"

using namespace fdwcopy;

int main(int argc, char** argv) {
    std::string source, target, target_table;
    std::vector<std::string> items;
    ChecksumOptions opt;
    Cli cli("table-checksum", "compare the rows of tables, sequences and large objects on two servers",
            "table-checksum [OPTION]... [ITEM]...\n"
            "table-list --matviews ... | table-checksum [OPTION]...");
    cli.options.add_options()
        ("jobs,j", po::value<int>(&opt.jobs)->value_name("N"),
         "compare N items at a time, each worker with one session per server (default: 1)")
        ("target-table", po::value<std::string>(&target_table)->value_name("SCHEMA.NAME"),
         "read the table items on the target from this table instead of the one of the same "
         "name (fdwcopy archive: the archive table of a partition)")
        ("foreign", "a table item may be a foreign table on either side, read through its server")
        ("item", po::value<std::vector<std::string>>(&items)->value_name("ITEM"),
         "a work line to compare (the same as an ITEM argument; repeatable)");
    cli.positional.add("item", -1);
    add_source_option(cli, &source);
    add_target_option(cli, &target);
    cli.epilog =
        "Each ITEM is a work line of table-list; without ITEMs, stdin is read one line at a\n"
        "time. One line per item: kind, schema, name, part, parts, source value and checksum,\n"
        "target value and checksum, status (equal, differ, missing, error).\n"
        "Exit status: 0 when every item was compared (whatever its status), 1 when an item\n"
        "could not be compared (named on stderr), 2 on a usage error.\n";
    int rc = cli.parse(argc, argv);
    if (rc >= 0) return rc;
    if ((rc = cli.check_range("-j/--jobs", opt.jobs, 1, 1024)) >= 0) return rc;
    if (!target_table.empty() && !split_qualified(target_table, &opt.target_schema, &opt.target_name))
        return cli.usage_error("invalid value \"" + target_table + "\" for option --target-table (SCHEMA.NAME)");
    opt.foreign = cli.has("foreign");
    signal(SIGPIPE, SIG_IGN);
    return run_table_checksum(resolve_conninfo(source, "FDWCOPY_SOURCE"),
                              resolve_conninfo(target, "FDWCOPY_TARGET"), items, opt);
}

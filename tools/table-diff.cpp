// table-diff: pass on the work lines of the key ranges whose rows differ
// between the source and the target. See man/table-diff.1.
#include <csignal>

#include "cli.h"
#include "conn.h"
#include "exitcodes.h"
#include "log.h"
#include "tablediff.h"

using namespace fdwcopy;

int main(int argc, char** argv) {
    std::string source, target;
    std::vector<std::string> items;
    DiffOptions opt;
    Cli cli("table-diff", "pass on the work lines of the key ranges whose rows differ between two servers",
            "table-diff [OPTION]... [ITEM]...\n"
            "table-list --by-key ... | table-diff [OPTION]...");
    cli.options.add_options()
        ("snapshot", po::value<std::string>(&opt.snapshot)->value_name("ID"),
         "read the source in this exported snapshot (snapshot-hold)")
        ("jobs,j", po::value<int>(&opt.jobs)->value_name("N"),
         "compare N items at a time, each worker with one session per side (default: 1)")
        ("min-chunk-rows", po::value<int64_t>(&opt.min_chunk_rows)->value_name("N"),
         "do not cut a differing range of at most N source rows again (default: 100)")
        ("chunk-rows", po::value<int64_t>(&opt.chunk_rows)->value_name("N"),
         "cut a differing range of more than N source rows into ranges of N rows first (for "
         "table-list --by-key --one-range: a whole table is hashed in one query; default: 0, off)")
        ("text-hash", "hash the rows' text with md5, as table-checksum does (default: the types' own "
         "hash functions where safe, PostgreSQL 14+)")
        ("strict", "a column on one side only is an error (default: a warning, not compared)")
        ("item", po::value<std::vector<std::string>>(&items)->value_name("ITEM"),
         "a work line to compare (the same as an ITEM argument; repeatable)");
    cli.positional.add("item", -1);
    add_source_option(cli, &source);
    add_target_option(cli, &target);
    cli.epilog =
        "Each ITEM is a work line of table-list --by-key; without ITEMs, stdin is read.\n"
        "Row counts and row hashes are computed on each server; a key range that differs\n"
        "is cut and compared again. Output: the work lines of the ranges, tables, sequences\n"
        "and large objects that differ. Exit status: 0 compared, 1 failure, 2 usage error.\n";
    int rc = cli.parse(argc, argv);
    if (rc >= 0) return rc;
    if ((rc = cli.check_range("-j/--jobs", opt.jobs, 1, 1024)) >= 0) return rc;
    if ((rc = cli.check_range("--min-chunk-rows", opt.min_chunk_rows, 1, 1000000000)) >= 0) return rc;
    if ((rc = cli.check_range("--chunk-rows", opt.chunk_rows, 0, 1000000000)) >= 0) return rc;
    opt.strict = cli.has("strict");
    opt.text_hash = cli.has("text-hash");
    signal(SIGPIPE, SIG_IGN);
    return run_table_diff(resolve_conninfo(source, "FDWCOPY_SOURCE"), resolve_conninfo(target, "FDWCOPY_TARGET"),
                          items, opt);
}

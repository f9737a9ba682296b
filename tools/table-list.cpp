// table-list: print the work stream of the source database (tables, table
// parts, sequences, large objects), largest first. See man/table-list.1.
#include <csignal>

#include "cli.h"
#include "conn.h"
#include "exitcodes.h"
#include "log.h"
#include "selection.h"
#include "size.h"
#include "tablelist.h"

using namespace fdwcopy;

int main(int argc, char** argv) {
    std::string source, split;
    int64_t chunk_rows = 10000;
    TableListOptions opt;
    TableFilters& f = opt.filters;
    Cli cli("table-list", "print the work stream of a source database, largest first",
            "table-list [OPTION]...");
    cli.options.add_options()
        ("snapshot", po::value<std::string>(&opt.snapshot)->value_name("ID"),
         "read the catalogs in this exported snapshot (snapshot-hold)")
        ("relations", "print the selected relations instead of the work stream: oid, relkind, "
         "schema, name (every relation a clone restores)")
        ("with-dependencies", "add what the selected tables depend on (with --include-table) and "
         "leave out the views depending on a relation left out (as fdwcopy does)")
        ("dependencies", "print what the filters' dependencies add to the selection (with "
         "--include-table) or take out of it, one object a line, instead of the work stream")
        ("matviews", "list materialized views too, as \"matview\" items (for table-checksum)")
        ("check-patterns", "check the patterns, print nothing and exit, without connecting")
        ("split-larger-than", po::value<std::string>(&split)->value_name("SIZE"),
         "split tables larger than SIZE (e.g. 1GB, 500MB) into parts of at most about SIZE")
        ("by-key", "cut every table with a primary key (or a unique not-null key) into key ranges "
         "from the source's key distribution, for table-diff and copy-table --merge")
        ("chunk-rows", po::value<int64_t>(&chunk_rows)->value_name("N"),
         "rows per key range with --by-key (default: 10000)")
        ("one-range", "with --by-key: one range per table, without sampling its keys "
         "(fdwcopy sync --since)")
        ("include-schema,n", po::value<std::vector<std::string>>(&f.include_schema)->value_name("PATTERN"),
         "only tables in schemas matching PATTERN (repeatable)")
        ("exclude-schema,N", po::value<std::vector<std::string>>(&f.exclude_schema)->value_name("PATTERN"),
         "no tables in schemas matching PATTERN (repeatable)")
        ("include-table", po::value<std::vector<std::string>>(&f.include_table)->value_name("PATTERN"),
         "only tables and sequences matching PATTERN (repeatable; overrides the schema options)")
        ("exclude-table,T", po::value<std::vector<std::string>>(&f.exclude_table)->value_name("PATTERN"),
         "no tables or sequences matching PATTERN (repeatable)")
        ("exclude-table-data", po::value<std::vector<std::string>>(&f.exclude_table_data)->value_name("PATTERN"),
         "no data of tables and sequences matching PATTERN: not in the work stream, still in "
         "--relations (repeatable; pg_dump --exclude-table-data)")
        ("skip-large-objects", "no large-objects item (pg_dump --no-blobs)");
    add_source_option(cli, &source);
    cli.epilog =
        "Output: one tab-separated work item a line (table, table part, sequence, blobs);\n"
        "with --relations one relation a line; with --dependencies one added or excluded\n"
        "object a line. The columns are described in table-list(1).\n"
        "Patterns follow psql's rules, as pg_dump's -n/-N/-t/-T do.\n";
    int rc = cli.parse(argc, argv);
    if (rc >= 0) return rc;
    if (cli.has("split-larger-than")) {
        try {
            opt.split_larger_than = parse_size(split);
        } catch (const Error& e) {
            return cli.usage_error(e.what());
        }
        if (opt.split_larger_than <= 0) return cli.usage_error("--split-larger-than must be positive");
    }
    bool relations = cli.has("relations"), dependencies = cli.has("dependencies");
    opt.matviews = cli.has("matviews");
    f.with_dependencies = dependencies || cli.has("with-dependencies");
    if (relations && dependencies) return cli.usage_error("--relations cannot be used with --dependencies");
    const char* listing = relations ? "--relations" : "--dependencies";
    if ((relations || dependencies) && (cli.has("split-larger-than") || opt.matviews))
        return cli.usage_error(std::string(listing) + " cannot be used with " +
                               (opt.matviews ? "--matviews" : "--split-larger-than"));
    opt.by_key = cli.has("by-key");
    if (cli.has("chunk-rows") && !opt.by_key) return cli.usage_error("--chunk-rows needs --by-key");
    opt.one_range = cli.has("one-range");
    if (opt.one_range && !opt.by_key) return cli.usage_error("--one-range needs --by-key");
    if ((rc = cli.check_range("--chunk-rows", chunk_rows, 1, 1000000000)) >= 0) return rc;
    if (opt.by_key && opt.split_larger_than > 0)
        return cli.usage_error("--by-key and --split-larger-than cannot be used together");
    if ((relations || dependencies) && opt.by_key)
        return cli.usage_error(std::string(listing) + " cannot be used with --by-key");
    opt.chunk_rows = chunk_rows;
    f.skip_large_objects = cli.has("skip-large-objects");
    // A bad pattern is a bad command line: said before connecting.
    try {
        selected_relation_predicate(f, "n", "c");
        data_predicate(f, "n", "c");
    } catch (const Error& e) {
        return cli.usage_error(e.what());
    }
    if (cli.has("check-patterns")) return EXIT_OK;
    signal(SIGPIPE, SIG_IGN);
    try {
        Connection conn(resolve_conninfo(source, "FDWCOPY_SOURCE"), "source");
        std::string out;
        if (relations) {
            for (auto& r : list_relations(conn, opt)) out += format_relation_line(r) + "\n";
        } else if (dependencies) {
            for (auto& c : list_changes(conn, opt)) out += format_change_line(c) + "\n";
        } else {
            for (auto& w : list_work(conn, opt)) out += format_work_line(w) + "\n";
        }
        if (!write_all(1, out))
            throw Error(std::string("could not write the ") +
                        (relations ? "relations" : dependencies ? "dependencies" : "work stream") + ": " +
                        strerror(errno));
        return EXIT_OK;
    } catch (const Error& e) {
        return report(e);
    }
}

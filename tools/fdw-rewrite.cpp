// fdw-rewrite: a filter that rewrites foreign servers and user mappings in a
// psql script (the pre-data of a dump) from a map file; see fdw-rewrite(1).
#include <exception>
#include <string>

#include "cli.h"
#include "exitcodes.h"
#include "fdwmap.h"
#include "fdwrewrite.h"
#include "log.h"

int main(int argc, char** argv) {
    using namespace fdwcopy;
    Cli cli("fdw-rewrite",
            "rewrites foreign servers and user mappings in SQL for the target environment",
            "fdw-rewrite --map FILE [OPTION]... < dump.sql > rewritten.sql");
    std::string map_path;
    size_t max_memory = 8 * 1024 * 1024;
    RewriteConfig cfg;
    cli.options.add_options()
        ("map,m", po::value<std::string>(&map_path)->value_name("FILE"),
         "the map file (see fdwcopy-map(5)); required")
        ("keep-unmapped", po::bool_switch(&cfg.keep_unmapped),
         "let servers and user mappings that are not in the map through unchanged (a warning each)")
        ("check", po::bool_switch(&cfg.check),
         "write no SQL; report every server and user mapping and what would change")
        ("max-memory", po::value<size_t>(&max_memory)->value_name("BYTES"),
         "output held in memory before it spills to an unlinked temporary file (default 8388608)");
    cli.epilog =
        "Reads SQL on standard input and writes it, byte for byte, to standard output, with the\n"
        "OPTIONS of CREATE/ALTER SERVER and CREATE/ALTER USER MAPPING rewritten from the map.\n"
        "Nothing is written until the whole input has been read and every foreign server in it,\n"
        "and every user mapping with options, is in the map.\n"
        "\n"
        "Exit status: 0 success, 1 failure (also a map key postgres_fdw rejects), 2 usage error,\n"
        "3 a server or user mapping is not in the map.\n"
        "\n"
        "Example:\n"
        "  pg_dump --section=pre-data SRC | fdw-rewrite --map staging.map | psql DST\n";
    int rc = cli.parse(argc, argv);
    if (rc >= 0) return rc;
    if (map_path.empty()) return cli.usage_error("option --map is required");
    try {
        FdwMap map = FdwMap::load(map_path);
        return run_fdw_rewrite(0, 1, map, cfg, max_memory);
    } catch (const Error& e) {
        return report(e);
    } catch (const std::exception& e) {
        log_error(e.what());
        return EXIT_FAILURE_;
    }
}

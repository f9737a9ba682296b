// conninfo-split: split the conninfo held in an environment variable into the
// conninfo without its password (for argv) and the password, on libpq's own
// parser. See man/conninfo-split.1.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <regex>

#include "cli.h"
#include "conninfo.h"
#include "exitcodes.h"
#include "log.h"

using namespace fdwcopy;

int main(int argc, char** argv) {
    std::vector<std::string> vars;
    Cli cli("conninfo-split",
            "split the conninfo in an environment variable into conninfo and password",
            "conninfo-split [OPTION]... VAR");
    cli.options.add_options()
        ("fdw-options", "write the OPTIONS of a postgres_fdw foreign server and of its user mapping "
         "that connect as the conninfo does instead (SQL, each ended by a NUL byte; the password in "
         "the mapping's)");
    cli.hidden.add_options()("var", po::value<std::vector<std::string>>(&vars));
    cli.positional.add("var", -1);
    cli.epilog =
        "VAR names the environment variable holding the conninfo (keyword/value string,\n"
        "URI or database name), so that no command line shows it. Writes three fields,\n"
        "each ended by a NUL byte: the conninfo without password and passfile as\n"
        "keyword='value' pairs, the password (empty if none), 1 or 0 (password given).\n"
        "With --fdw-options: the server's OPTIONS, the user mapping's, 1 or 0 (password).\n"
        "Exit status: 0 done, 1 invalid conninfo, 2 bad command line.\n";
    int rc = cli.parse(argc, argv);
    if (rc >= 0) return rc;
    if (vars.size() != 1) return cli.usage_error("expected the name of one environment variable");
    const std::string& var = vars[0];
    if (!std::regex_match(var, std::regex("[A-Za-z_][A-Za-z0-9_]*")))
        return cli.usage_error("\"" + var + "\" is not an environment variable name");
    try {
        const char* value = std::getenv(var.c_str());
        std::string out;
        try {
            if (cli.has("fdw-options")) {
                FdwConninfoOptions f = fdw_conninfo_options(value ? value : "");
                out = f.server + '\0' + f.mapping + '\0' + (f.has_password ? "1" : "0") + '\0';
            } else {
                ConninfoSplit s = split_conninfo(value ? value : "");
                out = s.safe + '\0' + s.password + '\0' + (s.has_password ? "1" : "0") + '\0';
            }
        } catch (const Error& e) {
            throw Error("invalid conninfo in $" + var + ": " + e.what());
        }
        if (!write_all(1, out)) throw Error("could not write the result: " + std::string(strerror(errno)));
        return EXIT_OK;
    } catch (const Error& e) {
        return report(e);
    }
}

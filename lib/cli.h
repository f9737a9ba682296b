// Command-line handling shared by every tool, on Boost.Program_options:
// --help / --version to stdout (exit 0), -v/--verbose, -q/--quiet, and usage
// errors as "tool: error: ..." + 'Try "tool --help" for more information.' (exit 2),
// as PostgreSQL's client programs do.
#pragma once
#include <boost/program_options.hpp>

#include <string>

namespace fdwcopy {

namespace po = boost::program_options;

class Cli {
public:
    // name: the tool; summary: one sentence for the top of --help;
    // usage: lines after "Usage:" (e.g. "schema-split [OPTION]... < dump.sql").
    Cli(std::string name, std::string summary, std::string usage);

    po::options_description options{"Options", 95};
    po::options_description connection{"Connection options", 95};
    // Parsed but not shown by --help: the targets of positional arguments.
    po::options_description hidden;
    po::positional_options_description positional;
    po::variables_map vm;
    // Extra text printed after the option groups (e.g. exit status, examples).
    std::string epilog;

    // Parses argv. Returns -1 when the tool should go on, or the exit code to
    // return from main now (0 after --help/--version, 2 after a usage error).
    // Also calls die_with_parent() and log_init, and sets the verbosity from -v/-q.
    int parse(int argc, char** argv);

    // Prints a usage error and returns 2.
    int usage_error(const std::string& msg) const;
    // The range check of PostgreSQL's option_parse_int (src/fe_utils/
    // option_utils.c), the same for the same option in every tool: -1 when
    // min <= value <= max, else the usage error "OPTION must be in range
    // MIN..MAX" and 2.
    int check_range(const std::string& option, long long value, long long min, long long max) const;
    bool has(const char* opt) const { return vm.count(opt) > 0 && !vm[opt].defaulted(); }

private:
    std::string name_, summary_, usage_;
};

// Asks the kernel to send this process SIGTERM when its parent dies
// (prctl(2) PR_SET_PDEATHSIG), so that a tool started by a driver that is
// killed (kill -9) stops too instead of writing on to the target. If the
// parent already died between the start of the process and the prctl call
// (getppid() changed), raises SIGTERM at once. Linux only; elsewhere a no-op.
void die_with_parent();

// Standard "--source"/"--target" options with their environment fallbacks.
void add_source_option(Cli& cli, std::string* dest);
void add_target_option(Cli& cli, std::string* dest);

}  // namespace fdwcopy

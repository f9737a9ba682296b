// Shared command-line handling (see cli.h).
#include "cli.h"

#include <csignal>
#include <iostream>

#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "exitcodes.h"
#include "log.h"

#ifndef FDWCOPY_VERSION
#define FDWCOPY_VERSION "0.0.0"
#endif

namespace fdwcopy {

Cli::Cli(std::string name, std::string summary, std::string usage)
    : name_(std::move(name)), summary_(std::move(summary)), usage_(std::move(usage)) {
    options.add_options()
        ("verbose,v", "more messages on stderr (repeat for more)")
        ("quiet,q", "only errors on stderr")
        ("version,V", "print the version, then exit")
        ("help,?", "show this help, then exit");
}

int Cli::usage_error(const std::string& msg) const {
    log_error(msg);
    write_all(2, "Try \"" + name_ + " --help\" for more information.\n");
    return EXIT_USAGE;
}

int Cli::check_range(const std::string& option, long long value, long long min, long long max) const {
    if (value >= min && value <= max) return -1;
    return usage_error(option + " must be in range " + std::to_string(min) + ".." + std::to_string(max));
}

void die_with_parent() {
#ifdef __linux__
    // A parent that dies before prctl takes effect sends no signal: then
    // getppid() has changed to the reaper's pid by the time prctl returns.
    const pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 && getppid() != parent) raise(SIGTERM);
#endif
}

int Cli::parse(int argc, char** argv) {
    die_with_parent();
    log_init(name_);
    po::options_description all;
    all.add(options);
    if (!connection.options().empty()) all.add(connection);
    if (!hidden.options().empty()) all.add(hidden);
    int verbose = 0;
    try {
        auto parsed = po::command_line_parser(argc, argv).options(all).positional(positional).run();
        // -v may repeat (-vv); count it here, since Boost refuses a repeated option.
        std::vector<po::option> kept;
        for (auto& o : parsed.options) {
            if (o.string_key == "verbose") ++verbose;
            else kept.push_back(o);
        }
        parsed.options = kept;
        po::store(parsed, vm);
        if (vm.count("help")) {
            std::cout << name_ << ": " << summary_ << "\n\nUsage:\n";
            std::string u = usage_;
            size_t start = 0;
            while (start <= u.size()) {
                size_t nl = u.find('\n', start);
                std::cout << "  " << u.substr(start, nl == std::string::npos ? nl : nl - start) << "\n";
                if (nl == std::string::npos) break;
                start = nl + 1;
            }
            std::cout << "\n" << options;
            if (!connection.options().empty()) std::cout << "\n" << connection;
            if (!epilog.empty()) std::cout << "\n" << epilog << (epilog.back() == '\n' ? "" : "\n");
            std::cout << std::flush;
            return EXIT_OK;
        }
        if (vm.count("version")) {
            std::cout << name_ << " (fdwcopy) " << FDWCOPY_VERSION << "\n" << std::flush;
            return EXIT_OK;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        return usage_error(e.what());
    }
    if (vm.count("quiet")) log_set_verbosity(-1);
    else log_set_verbosity(verbose);
    return -1;
}

void add_source_option(Cli& cli, std::string* dest) {
    cli.connection.add_options()(
        "source,s", po::value<std::string>(dest)->value_name("CONNINFO"),
        "source conninfo or URI (default: $FDWCOPY_SOURCE, then PG* variables)");
}

void add_target_option(Cli& cli, std::string* dest) {
    cli.connection.add_options()(
        "target,t", po::value<std::string>(dest)->value_name("CONNINFO"),
        "target conninfo or URI (default: $FDWCOPY_TARGET, then PG* variables)");
}

}  // namespace fdwcopy

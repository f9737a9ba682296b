// dump-pack: count the rows and bytes of dump data files while compressing
// them, in one read. See man/dump-pack.1.
#include <cstdio>

#include "cli.h"
#include "datapack.h"
#include "exitcodes.h"
#include "log.h"

using namespace fdwcopy;

int main(int argc, char** argv) {
    std::vector<std::string> files;
    int level = 6;
    Cli cli("dump-pack", "count the lines and bytes of data files while compressing and hashing them",
            "dump-pack [OPTION]... FILE...");
    cli.options.add_options()
        ("level,l", po::value<int>(&level)->value_name("N"),
         "compression level 1-9, or 0: count only, leave FILE as it is (default: 6)");
    cli.hidden.add_options()("file", po::value<std::vector<std::string>>(&files));
    cli.positional.add("file", -1);
    cli.epilog =
        "Each FILE is read once: its newlines and bytes are counted and, at a level of 1 to\n"
        "9, it is written deflated (zlib, gzip format) to FILE.gz.part, renamed FILE.gz, and\n"
        "FILE is removed. Writes one line per FILE: its path now (FILE.gz, or FILE at level\n"
        "0), the number of newlines, the number of bytes read, the SHA-256 of the file as it\n"
        "is now (of the bytes written, or read at level 0: no file is read back) and its\n"
        "size, separated by tabs. fdwcopy restore runs it at level 0 to check a backup's\n"
        "files against their MANIFEST.\n"
        "Exit status: 0 done, 1 a file could not be read or written (it is left as it was),\n"
        "2 bad command line.\n";
    int rc = cli.parse(argc, argv);
    if (rc >= 0) return rc;
    if (int r = cli.check_range("-l/--level", level, 0, 9); r >= 0) return r;
    if (files.empty()) return cli.usage_error("no file given");
    try {
        for (const auto& f : files) {
            PackResult p = pack_file(f, level);
            std::string line = p.path + '\t' + std::to_string(p.lines) + '\t' + std::to_string(p.bytes) + '\t' +
                               p.sha256 + '\t' + std::to_string(p.size) + '\n';
            if (!write_all(1, line)) throw Error("could not write the result: " + std::string(std::strerror(errno)));
        }
        return EXIT_OK;
    } catch (const Error& e) {
        return report(e);
    }
}

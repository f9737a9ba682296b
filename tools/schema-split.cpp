// schema-split: splits a plain-format dump into its pre-data, data and
// post-data sections, or lists its TOC entries.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <unistd.h>

#include "cli.h"
#include "exitcodes.h"
#include "log.h"
#include "schemasplit.h"
#include "tsv.h"

using namespace fdwcopy;

int main(int argc, char** argv) {
    std::vector<std::string> sections;
    std::string dir;
    Cli cli("schema-split",
            "split a plain-format SQL dump into its pre-data, data and post-data sections",
            "schema-split --section SECTION... < DUMP.sql > PART.sql\n"
            "schema-split --dir DIR [--section SECTION]... < DUMP.sql\n"
            "schema-split --list [--section SECTION]... < DUMP.sql");
    cli.options.add_options()
        ("section", po::value(&sections)->value_name("SECTION"),
         "write SECTION (pre-data, data or post-data) to standard output (repeatable)")
        ("dir,d", po::value(&dir)->value_name("DIR"),
         "write DIR/pre-data.sql, DIR/data.sql, DIR/post-data.sql (only the --section ones "
         "when given); creates DIR")
        ("list,l", "print one line per entry instead: section, type, schema, name, owner, "
         "byte offset (tab-separated)");
    cli.epilog =
        "Reads a dump from pg_dump -Fp or pg_restore -f - on standard input and splits it by\n"
        "its TOC entry headers, in constant memory. Each output starts with the dump's\n"
        "preamble and ends with its trailer, so it runs alone in psql. Exit status: 0 ok,\n"
        "1 input that is not a complete plain-format dump or an I/O error, 2 usage error.\n"
        "See schema-split(1).";
    if (int rc = cli.parse(argc, argv); rc >= 0) return rc;

    bool list = cli.vm.count("list") > 0;
    std::array<bool, 3> want{};
    for (const auto& s : sections) {
        auto sec = parse_section_name(s);
        if (!sec) return cli.usage_error("invalid section \"" + s + "\" (pre-data, data or post-data)");
        want[static_cast<int>(*sec) - 1] = true;
    }
    if (sections.empty()) {
        if (!list && dir.empty()) return cli.usage_error("one of --section, --dir or --list is required");
        want = {true, true, true};
    }
    if (list && !dir.empty()) return cli.usage_error("--list and --dir cannot be used together");

    static const char* const files[3] = {"pre-data.sql", "data.sql", "post-data.sql"};
    try {
        FdSink out(1, "standard output");
        std::vector<std::unique_ptr<FdSink>> owned;
        std::array<Sink*, 3> sinks{};
        if (!dir.empty()) {
            std::error_code ec;
            std::filesystem::create_directories(dir, ec);
            if (ec) throw Error("could not create directory \"" + dir + "\": " + ec.message());
            for (int i = 0; i < 3; ++i)
                if (want[i]) {
                    owned.push_back(std::make_unique<FdSink>(dir + "/" + files[i]));
                    sinks[i] = owned.back().get();
                }
        } else if (!list) {
            for (int i = 0; i < 3; ++i)
                if (want[i]) sinks[i] = &out;
        }
        SchemaSplitter splitter(sinks, [&](const SplitEntry& e) {
            if (!list || !want[static_cast<int>(e.section) - 1]) return;
            out.write(tsv_join({section_name(e.section), e.type, e.schema, e.name, e.owner,
                                std::to_string(e.offset)}) + "\n");
        });
        std::string buf(1 << 16, '\0');
        for (;;) {
            ssize_t n = ::read(0, buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw Error(std::string("could not read standard input: ") + std::strerror(errno));
            if (n == 0) break;
            splitter.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
        }
        try {
            splitter.finish();
        } catch (const Error&) {
            out.flush();
            throw;
        }
        out.flush();
        log_verbose(std::to_string(splitter.entries()) + " entries");
    } catch (const Error& e) {
        return report(e);
    }
    return EXIT_OK;
}

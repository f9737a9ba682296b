// postlist-filter: comments out the entries of a pg_restore -l list that are
// already done on the target or left out by section, type, schema or table.
#include <cctype>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli.h"
#include "exitcodes.h"
#include "log.h"
#include "pattern.h"
#include "postlist.h"

using namespace fdwcopy;

int main(int argc, char** argv) {
    std::vector<std::string> done_files, sections, types, include_schemas, exclude_schemas,
        exclude_tables;
    std::string encoding = "UTF8", only_file;
    Cli cli("postlist-filter",
            "comment out entries of a pg_restore -l list that are done or filtered out",
            "postlist-filter [OPTION]... < LIST > FILTERED-LIST");
    cli.options.add_options()
        ("done", po::value(&done_files)->value_name("FILE"),
         "comment out entries whose (TABLEOID, OID) pair FILE lists (index-build's "
         "done stream; repeatable)")
        ("only", po::value(&only_file)->value_name("FILE"),
         "keep only the entries whose (TABLEOID, OID) pair FILE lists in its first two "
         "tab-separated fields (table-list --dependencies), with their comments and ACLs")
        ("section", po::value(&sections)->value_name("SECTION"),
         "keep only entries of SECTION: pre-data, data or post-data (repeatable)")
        ("exclude-type", po::value(&types)->value_name("TYPE"),
         "comment out entries of TYPE, e.g. \"FK CONSTRAINT\" (repeatable)")
        ("include-schema,n", po::value(&include_schemas)->value_name("PATTERN"),
         "keep only entries in schemas matching PATTERN (repeatable)")
        ("exclude-schema,N", po::value(&exclude_schemas)->value_name("PATTERN"),
         "comment out entries in schemas matching PATTERN (repeatable)")
        ("exclude-table,T", po::value(&exclude_tables)->value_name("PATTERN"),
         "comment out tables matching PATTERN and their data, constraints, "
         "triggers, defaults (repeatable)")
        ("encoding", po::value(&encoding)->value_name("NAME"),
         "the encoding of the names in the list: the dump's (default: UTF8, which is checked)");
    cli.epilog =
        "Reads a list on standard input and writes it to standard output; entries are\n"
        "commented out with a ';' prefix, never deleted, and every other line passes\n"
        "through unchanged. COMMENT, ACL and SECURITY LABEL entries follow their object.\n"
        "Entries without a schema (servers, user mappings, extensions) pass the schema\n"
        "filters. PATTERN as pg_dump's -n / -t. A NUL byte, or invalid UTF-8 in a UTF8\n"
        "list, stops it with an error naming the line. Exit status: 0 ok, 1 bad input,\n"
        "bad done file or I/O error, 2 usage error. See postlist-filter(1).";
    if (int rc = cli.parse(argc, argv); rc >= 0) return rc;

    PostlistOptions opts;
    try {
        for (const auto& s : sections) {
            auto sec = parse_section_name(s);
            if (!sec) return cli.usage_error("invalid section \"" + s + "\" (pre-data, data or post-data)");
            opts.sections.insert(*sec);
        }
        for (auto t : types) {
            for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (!toc_type_section(t)) return cli.usage_error("unknown entry type \"" + t + "\"");
            opts.exclude_types.insert(t);
        }
        for (const auto& p : include_schemas) opts.include_schemas.push_back(schema_pattern_to_regex(p));
        for (const auto& p : exclude_schemas) opts.exclude_schemas.push_back(schema_pattern_to_regex(p));
        for (const auto& p : exclude_tables) opts.exclude_tables.push_back(parse_table_pattern(p));
    } catch (const Error& e) {
        return cli.usage_error(e.what());
    }

    try {
        for (const auto& f : done_files) read_done_file(f, opts.done);
        if (cli.has("only")) {
            opts.only_given = true;
            read_object_file(only_file, opts.only);
        }
        // pg_char_to_encoding's comparison: case and punctuation do not count.
        std::string enc;
        for (char c : encoding)
            if (std::isalnum(static_cast<unsigned char>(c))) enc += static_cast<char>(std::tolower(c));
        TextCheck check(enc == "utf8" || enc == "unicode");
        TocList list = read_toc_list(std::cin, &check);
        if (std::cin.bad()) throw Error(std::string("could not read standard input: ") + std::strerror(errno));
        for (size_t i = 0; i < list.lines.size(); ++i)
            if (list.lines[i].unparsable)
                log_warning("line " + std::to_string(i + 1) + " ignored: " +
                            (list.lines[i].text.size() <= 200 ? list.lines[i].text
                                                              : list.lines[i].text.substr(0, 200) + "..."));
        PostlistStats st = postlist_filter(list, opts);
        if (!write_all(1, write_toc_list(list)))
            throw Error(std::string("could not write to standard output: ") + std::strerror(errno));
        log_verbose(std::to_string(st.commented) + " of " + std::to_string(st.entries) +
                    " entries commented out");
    } catch (const Error& e) {
        return report(e);
    }
    return EXIT_OK;
}

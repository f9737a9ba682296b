// TOC entries of pg_dump archives: the fixed list of entry types pg_dump 15
// writes with the section of each, and the parser/writer of `pg_restore -l`
// list lines ("DUMPID; TABLEOID OID TYPE SCHEMA NAME OWNER").
// Follows src/bin/pg_dump/pg_dump.c (ArchiveEntry calls: .description and
// .section), pg_backup_archiver.c (PrintTOCSummary, ProcessArchiveRestoreOptions,
// SortTocFromFile) of PostgreSQL 15.
#pragma once
#include <cstdint>
#include <istream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "textcheck.h"

namespace fdwcopy {

// pg_dump's teSection. None is for entries (COMMENT, ACL, SECURITY LABEL,
// DEFAULT ACL) that belong to the section of the entry they follow.
enum class Section { None, PreData, Data, PostData };

// "none", "pre-data", "data", "post-data".
const char* section_name(Section s);
// Parses "pre-data", "data" or "post-data" (pg_dump --section's words);
// nullopt for anything else, including "none".
std::optional<Section> parse_section_name(const std::string& word);

struct TocType {
    const char* name;  // te->desc exactly as pg_dump writes it, e.g. "FK CONSTRAINT"
    Section section;   // the .section pg_dump passes to ArchiveEntry for it
};

// Every entry type pg_dump 15 writes (plus the old "ACL LANGUAGE" and
// "BLOB COMMENTS" that pg_restore still reads). Pre-data: everything that
// creates an object; data: TABLE DATA, SEQUENCE SET, BLOBS; post-data:
// constraints, indexes, rules, triggers, policies, publications,
// subscriptions, extended statistics, event triggers, MATERIALIZED VIEW DATA;
// none: ACL, COMMENT, SECURITY LABEL, DEFAULT ACL.
const std::vector<TocType>& toc_types();
// Section of a known type; nullopt when type is not in toc_types().
std::optional<Section> toc_type_section(const std::string& type);
// Length of the longest known type that text has at pos, followed by
// `terminator` (" " in a list line); 0 when none.
size_t match_toc_type(const std::string& text, size_t pos, const std::string& terminator);

// One TOC entry as pg_restore -l prints it. Schema is "-" when the entry has
// none (SCHEMA, EXTENSION, SERVER, USER MAPPING, ...); owner may be empty.
// Name is pg_dump's tag: the object name, "table name" for CONSTRAINT,
// FK CONSTRAINT, CHECK CONSTRAINT, TRIGGER, RULE, POLICY and "table column"
// for DEFAULT, "TYPE name" for COMMENT/ACL/SECURITY LABEL (e.g. "TABLE t",
// "COLUMN t.c", identifiers quoted as SQL does), "USER MAPPING role SERVER s".
struct TocEntry {
    bool commented = false;  // the line starts with ';' (pg_restore -L skips it)
    int dump_id = 0;
    uint32_t catalog_oid = 0;  // TABLEOID
    uint32_t oid = 0;
    std::string type, schema, name, owner;
};

// Parses one list line (without its newline). A line
// ";DUMPID; ..." is a commented-out entry. Returns nullopt when the line is
// not an entry line whose fields format back to the same bytes (comments,
// blank lines, unknown types, garbage).
// Schema names may contain spaces: known_schemas (names of the list's SCHEMA
// entries) lets the parser take the longest known schema; otherwise the schema
// is the first word. The owner is the last word (empty when the line ends
// with a space), so role names with spaces are not supported.
std::optional<TocEntry> parse_toc_line(const std::string& line,
                                       const std::set<std::string>* known_schemas = nullptr);
// Formats e as pg_restore -l does ("%d; %u %u %s %s %s %s"), with a leading
// ';' when e.commented. parse_toc_line(format_toc_line(e)) == e.
std::string format_toc_line(const TocEntry& e);

// A whole list, kept line by line so that writing it back is byte-exact.
struct TocLine {
    std::string text;               // the line as read, without its '\n'
    std::optional<TocEntry> entry;  // set for entry lines (commented or not)
    bool unparsable = false;        // neither an entry, a ';' comment nor blank
};
struct TocList {
    std::vector<TocLine> lines;
    bool final_newline = true;  // false when the input's last line had no '\n'
};

// Reads a list (two passes: SCHEMA entries first, for schema names with
// spaces). Unparsable lines are marked. With check, every byte goes through it
// first: a NUL byte (or invalid UTF-8, as check is set) throws
// Error("input line L, byte offset O: ...") (lib/textcheck.h); without, never
// throws on content.
TocList read_toc_list(std::istream& in, TextCheck* check = nullptr);
// Writes the lines back; a line whose entry is commented and whose text is
// not yet commented gets the ';' prefix. Byte-exact for an unmodified list.
std::string write_toc_list(const TocList& list);

// Assigns sections in TOC order as pg_dump does (ProcessArchiveRestoreOptions):
// a SECTION_NONE entry takes the section of the last entry before it that has
// one, pre-data at the start. Feed entries in list order.
class SectionTracker {
public:
    Section next(const std::string& type);

private:
    Section current_ = Section::PreData;
};

// Removes SQL identifier quoting from the start of s: "\"My T\"" -> My T
// ("" inside quotes is one quote); an unquoted identifier runs to the first
// '.' or ' '. end (optional) receives the position after the identifier.
std::string unquote_identifier(const std::string& s, size_t* end = nullptr);

}  // namespace fdwcopy

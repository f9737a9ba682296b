// The done stream: one line per index or constraint that index-build created on
// the target, so that postlist-filter can comment out the matching TOC entries
// of pg_restore -l before the post-data is restored.
#pragma once
#include <cstdint>
#include <istream>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace fdwcopy {

// pg_class and pg_constraint's oids: the TABLEOID field that pg_dump writes in
// the TOC entry of an INDEX (pg_class row of the index) and of a CONSTRAINT
// (pg_constraint row of a PRIMARY KEY / UNIQUE constraint). pg_dump.c:
// dumpIndex / dumpConstraint, catalog ids from pg_class.h / pg_constraint.h.
constexpr uint32_t kPgClassOid = 1259;
constexpr uint32_t kPgConstraintOid = 2606;

// One line of the done stream, tab-separated, each field escaped with tsv_escape:
//   1 catalog_oid  the SOURCE's TABLEOID of the TOC entry: 1259 (INDEX) or 2606 (CONSTRAINT)
//   2 object_oid   the SOURCE's OID of the TOC entry: pg_class.oid of the index, or
//                  pg_constraint.oid of the constraint
//   3 type         "INDEX" or "CONSTRAINT", as in the TOC entry's type
//   4 schema       namespace of the object (unescaped text)
//   5 name         the index name, or the constraint name (the TOC entry's tag of
//                  a CONSTRAINT is "table constraint"; this field has only the
//                  constraint's name)
// (catalog_oid, object_oid) identifies the entry: readers match TOC entries on
// that pair only; type, schema and name are for people. For a PRIMARY KEY or UNIQUE constraint
// index-build writes only the CONSTRAINT line (pg_dump has no INDEX entry for
// the index behind a constraint).
struct DoneEntry {
    uint32_t catalog_oid = 0;
    uint32_t object_oid = 0;
    std::string type;
    std::string schema, name;

    std::pair<uint32_t, uint32_t> key() const { return {catalog_oid, object_oid}; }
};

constexpr int kDoneFields = 5;

// Formats e as a done line, without the trailing newline. Does not validate.
std::string format_done_line(const DoneEntry& e);

// Parses one line (a trailing "\n" is allowed). Returns nullopt for an empty
// line, or a line starting with '#' (comments). Throws Error naming the line
// when it has not exactly 5 fields, an oid is not a decimal number in
// 1..4294967295, the type is not INDEX or CONSTRAINT, or the catalog oid does
// not go with the type (INDEX needs 1259, CONSTRAINT needs 2606).
std::optional<DoneEntry> parse_done_line(const std::string& line);

// Reads every line of in with parse_done_line, skipping comments and empty
// lines. Errors carry the 1-based line number ("done stream line N: ...").
std::vector<DoneEntry> read_done_stream(std::istream& in);

// The (catalog_oid, object_oid) pairs of entries, for lookups by TOC entry.
std::set<std::pair<uint32_t, uint32_t>> done_keys(const std::vector<DoneEntry>& entries);

}  // namespace fdwcopy

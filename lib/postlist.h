// postlist-filter's logic: comment out (';' prefix) entries of a pg_restore -l
// list that are already done on the target or that the filters leave out;
// never delete a line, never touch one it does not comment.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "pattern.h"
#include "toc.h"

namespace fdwcopy {

struct PostlistOptions {
    // (TABLEOID, OID) pairs of entries already created (the done stream).
    std::set<std::pair<uint32_t, uint32_t>> done;
    // Sections to keep; empty keeps every section.
    std::set<Section> sections;
    // Entry types to drop, exactly as in the list ("INDEX", "FK CONSTRAINT").
    std::set<std::string> exclude_types;
    // Anchored regexes from schema_pattern_to_regex.
    std::vector<std::string> include_schemas, exclude_schemas;
    // Relation patterns from parse_table_pattern.
    std::vector<NamePattern> exclude_tables;
    // With only_given: keep only the entries whose (TABLEOID, OID) pair is in
    // only (and the COMMENT, ACL and SECURITY LABEL entries that follow them).
    bool only_given = false;
    std::set<std::pair<uint32_t, uint32_t>> only;
};

struct PostlistStats {
    size_t entries = 0;      // entry lines that were active in the input
    size_t commented = 0;    // of those, commented out now
    size_t unparsable = 0;   // lines passed through with a warning
};

// Comments out entries of list in place (see postlist-filter(1)):
// - done: an entry whose (TABLEOID, OID) pair is in opts.done; only that entry
//   (its COMMENT/ACL are still restored, the object exists on the target).
// - sections: entries whose section (pg_dump's rule, SectionTracker) is not kept.
// - exclude_types, schema and table filters: the entry and the COMMENT,
//   SECURITY LABEL and ACL entries that follow it in the list (pg_dump writes
//   them right after their object). Entries without a schema ("-": EXTENSION,
//   FOREIGN DATA WRAPPER, SERVER, USER MAPPING, CAST, ...) pass the schema
//   filters, except SCHEMA entries and "SCHEMA x" comments/ACLs, which are
//   filtered by the schema they name.
// - exclude_tables matches relations (TABLE, VIEW, SEQUENCE, FOREIGN TABLE,
//   MATERIALIZED VIEW) and the entries whose tag names them: TABLE DATA,
//   SEQUENCE SET, MATERIALIZED VIEW DATA, TABLE ATTACH (the partition),
//   SEQUENCE OWNED BY (the sequence), ROW SECURITY, and the "table name" tags
//   of CONSTRAINT, CHECK CONSTRAINT, FK CONSTRAINT, TRIGGER, RULE, POLICY,
//   DEFAULT and PUBLICATION TABLE, when that table is a relation of the list.
//   INDEX, INDEX ATTACH and STATISTICS entries name only themselves and are
//   not tied to their table.
// - only (with only_given): every entry whose (TABLEOID, OID) pair is not in
//   opts.only, with the COMMENT, SECURITY LABEL and ACL entries that follow it.
// Entries already commented in the input stay as they are (they still count
// for the section rule and as owners of the entries that follow them).
PostlistStats postlist_filter(TocList& list, const PostlistOptions& opts);

// Reads a done file (lib/donestream.h format) and adds its pairs to done.
// Throws Error "FILE:LINE: ..." on a malformed line, or when the file cannot
// be read. path "-" is stdin.
void read_done_file(const std::string& path, std::set<std::pair<uint32_t, uint32_t>>& done);

// Reads a file of objects, one a line, whose first two tab-separated fields are
// a catalog oid and an object oid (table-list --dependencies, the done stream),
// and adds the pairs to objects. Empty lines and lines starting with '#' are
// skipped. Throws Error "FILE:LINE: ..." on a line without two decimal oids,
// or when the file cannot be read.
void read_object_file(const std::string& path, std::set<std::pair<uint32_t, uint32_t>>& objects);

}  // namespace fdwcopy

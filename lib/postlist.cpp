// Filtering of pg_restore -l lists (see postlist.h).
#include "postlist.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>

#include "donestream.h"
#include "log.h"

namespace fdwcopy {

namespace {

bool is_relation_type(const std::string& t) {
    return t == "TABLE" || t == "VIEW" || t == "SEQUENCE" || t == "FOREIGN TABLE" ||
           t == "MATERIALIZED VIEW";
}

// Types whose tag is the name of the relation itself.
bool tag_is_relation(const std::string& t) {
    return is_relation_type(t) || t == "TABLE DATA" || t == "SEQUENCE SET" ||
           t == "MATERIALIZED VIEW DATA" || t == "TABLE ATTACH" || t == "SEQUENCE OWNED BY" ||
           t == "ROW SECURITY";
}

// Types whose tag is "table object" (pg_dump.c: dumpConstraint, dumpTrigger,
// dumpRule, dumpPolicy, dumpAttrDef).
bool tag_starts_with_table(const std::string& t) {
    return t == "CONSTRAINT" || t == "CHECK CONSTRAINT" || t == "FK CONSTRAINT" ||
           t == "TRIGGER" || t == "RULE" || t == "POLICY" || t == "DEFAULT";
}

bool follows_owner(const std::string& t) {
    return t == "COMMENT" || t == "SECURITY LABEL" || t == "ACL" || t == "ACL LANGUAGE";
}

bool matches_any(const std::vector<std::string>& regexes, const std::string& s) {
    for (const auto& r : regexes)
        if (regex_matches(r, s)) return true;
    return false;
}

// The schema the schema filters judge an entry by; empty when it has none.
std::string filter_schema(const TocEntry& e) {
    if (e.schema != "-") return e.schema;
    if (e.type == "SCHEMA") return e.name;
    if (follows_owner(e.type) && e.name.compare(0, 7, "SCHEMA ") == 0)
        return unquote_identifier(e.name.substr(7));
    return {};
}

using Relations = std::set<std::pair<std::string, std::string>>;

// The relation an entry is about, by its tag; empty when it cannot tell.
std::string entry_relation(const TocEntry& e, const Relations& rels) {
    if (tag_is_relation(e.type)) return e.name;
    if (tag_starts_with_table(e.type)) {
        // "table object": the longest prefix before a space that names a
        // relation of the list (table names may contain spaces).
        for (size_t sp = e.name.rfind(' '); sp != std::string::npos && sp > 0;
             sp = e.name.rfind(' ', sp - 1)) {
            std::string prefix = e.name.substr(0, sp);
            if (rels.count({e.schema, prefix})) return prefix;
        }
        return {};
    }
    if (e.type == "PUBLICATION TABLE") {
        // "publication table": the shortest suffix after a space naming a relation.
        for (size_t sp = e.name.find(' '); sp != std::string::npos; sp = e.name.find(' ', sp + 1)) {
            std::string suffix = e.name.substr(sp + 1);
            if (rels.count({e.schema, suffix})) return suffix;
        }
    }
    return {};
}

bool table_excluded(const TocEntry& e, const PostlistOptions& opts, const Relations& rels) {
    if (opts.exclude_tables.empty() || e.schema == "-") return false;
    std::string rel = entry_relation(e, rels);
    if (rel.empty()) return false;
    for (const auto& p : opts.exclude_tables)
        if (regex_matches(p.schema_regex, e.schema) && regex_matches(p.name_regex, rel))
            return true;
    return false;
}

// True when the entry itself (not counting its owner) is filtered out by
// type, schema or table.
bool excluded_itself(const TocEntry& e, const PostlistOptions& opts, const Relations& rels) {
    if (opts.exclude_types.count(e.type)) return true;
    if (opts.only_given && !follows_owner(e.type) && !opts.only.count({e.catalog_oid, e.oid})) return true;
    std::string schema = filter_schema(e);
    if (!schema.empty()) {
        if (!opts.include_schemas.empty() && !matches_any(opts.include_schemas, schema))
            return true;
        if (matches_any(opts.exclude_schemas, schema)) return true;
    }
    return table_excluded(e, opts, rels);
}

}  // namespace

PostlistStats postlist_filter(TocList& list, const PostlistOptions& opts) {
    PostlistStats stats;
    Relations rels;
    for (const auto& l : list.lines)
        if (l.entry && is_relation_type(l.entry->type)) rels.insert({l.entry->schema, l.entry->name});

    SectionTracker tracker;
    bool owner_excluded = false;  // the last entry with a section was filtered out
    for (auto& l : list.lines) {
        if (l.unparsable) ++stats.unparsable;
        if (!l.entry) continue;
        TocEntry& e = *l.entry;
        Section section = tracker.next(e.type);
        bool excluded = excluded_itself(e, opts, rels);
        if (follows_owner(e.type)) excluded = excluded || owner_excluded;
        else if (toc_type_section(e.type) != Section::None) owner_excluded = excluded;
        if (e.commented) continue;
        ++stats.entries;
        bool drop = excluded || (!opts.sections.empty() && !opts.sections.count(section)) ||
                    opts.done.count({e.catalog_oid, e.oid}) > 0;
        if (drop) {
            e.commented = true;
            ++stats.commented;
        }
    }
    return stats;
}

void read_done_file(const std::string& path, std::set<std::pair<uint32_t, uint32_t>>& done) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (path != "-") {
        file.open(path);
        if (!file) throw Error("could not open done file \"" + path + "\": " + std::strerror(errno));
        in = &file;
    }
    std::string line;
    long n = 0;
    while (std::getline(*in, line)) {
        ++n;
        try {
            if (auto e = parse_done_line(line)) done.insert(e->key());
        } catch (const Error& err) {
            throw Error(path + ":" + std::to_string(n) + ": " + err.what());
        }
    }
    if (in->bad()) throw Error("could not read done file \"" + path + "\": " + std::strerror(errno));
}

void read_object_file(const std::string& path, std::set<std::pair<uint32_t, uint32_t>>& objects) {
    std::ifstream in(path);
    if (!in) throw Error("could not open \"" + path + "\": " + std::strerror(errno));
    std::string line;
    long n = 0;
    auto oid = [&](const std::string& f) -> uint32_t {
        bool digits = !f.empty() && f.size() <= 10 && f.find_first_not_of("0123456789") == std::string::npos;
        unsigned long v = digits ? std::stoul(f) : 0;
        if (v == 0 || v > 4294967295UL)
            throw Error(path + ":" + std::to_string(n) + ": \"" + f + "\" is not an oid");
        return static_cast<uint32_t>(v);
    };
    while (std::getline(in, line)) {
        ++n;
        if (line.empty() || line[0] == '#') continue;
        size_t t1 = line.find('\t');
        if (t1 == std::string::npos)
            throw Error(path + ":" + std::to_string(n) + ": a catalog oid and an oid are needed");
        size_t t2 = line.find('\t', t1 + 1);
        objects.insert({oid(line.substr(0, t1)), oid(line.substr(t1 + 1, t2 == std::string::npos ? std::string::npos : t2 - t1 - 1))});
    }
    if (in.bad()) throw Error("could not read \"" + path + "\": " + std::strerror(errno));
}

}  // namespace fdwcopy

// pg_restore -l list lines and pg_dump's TOC entry types (see toc.h).
#include "toc.h"

#include "log.h"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace fdwcopy {

const char* section_name(Section s) {
    switch (s) {
    case Section::PreData: return "pre-data";
    case Section::Data: return "data";
    case Section::PostData: return "post-data";
    case Section::None: break;
    }
    return "none";
}

std::optional<Section> parse_section_name(const std::string& word) {
    if (word == "pre-data") return Section::PreData;
    if (word == "data") return Section::Data;
    if (word == "post-data") return Section::PostData;
    return std::nullopt;
}

const std::vector<TocType>& toc_types() {
    using S = Section;
    // pg_dump.c (PostgreSQL 15): the .description / .section of every
    // ArchiveEntry call; pg_backup_archiver.c for the old names it still reads.
    static const std::vector<TocType> types = {
        {"ACCESS METHOD", S::PreData},
        {"ACL", S::None},
        {"ACL LANGUAGE", S::None},
        {"AGGREGATE", S::PreData},
        {"BLOB", S::PreData},
        {"BLOB COMMENTS", S::Data},
        {"BLOBS", S::Data},
        {"CAST", S::PreData},
        {"CHECK CONSTRAINT", S::PostData},  // separately dumped table and domain checks
        {"COLLATION", S::PreData},
        {"COMMENT", S::None},
        {"CONSTRAINT", S::PostData},
        {"CONVERSION", S::PreData},
        {"DATABASE", S::PreData},
        {"DATABASE PROPERTIES", S::PreData},
        {"DEFAULT", S::PreData},
        {"DEFAULT ACL", S::None},
        {"DOMAIN", S::PreData},
        {"ENCODING", S::PreData},
        {"EVENT TRIGGER", S::PostData},
        {"EXTENSION", S::PreData},
        {"FK CONSTRAINT", S::PostData},
        {"FOREIGN DATA WRAPPER", S::PreData},
        {"FOREIGN TABLE", S::PreData},
        {"FUNCTION", S::PreData},
        {"INDEX", S::PostData},
        {"INDEX ATTACH", S::PostData},
        {"MATERIALIZED VIEW", S::PreData},
        {"MATERIALIZED VIEW DATA", S::PostData},
        {"OPERATOR", S::PreData},
        {"OPERATOR CLASS", S::PreData},
        {"OPERATOR FAMILY", S::PreData},
        {"POLICY", S::PostData},
        {"PROCEDURAL LANGUAGE", S::PreData},
        {"PROCEDURE", S::PreData},
        {"PUBLICATION", S::PostData},
        {"PUBLICATION TABLE", S::PostData},
        {"PUBLICATION TABLES IN SCHEMA", S::PostData},
        {"ROW SECURITY", S::PostData},
        {"RULE", S::PostData},
        {"SCHEMA", S::PreData},
        {"SEARCHPATH", S::PreData},
        {"SECURITY LABEL", S::None},
        {"SEQUENCE", S::PreData},
        {"SEQUENCE OWNED BY", S::PreData},
        {"SEQUENCE SET", S::Data},
        {"SERVER", S::PreData},
        {"SHELL TYPE", S::PreData},
        {"STATISTICS", S::PostData},
        {"STDSTRINGS", S::PreData},
        {"SUBSCRIPTION", S::PostData},
        {"TABLE", S::PreData},
        {"TABLE ATTACH", S::PreData},
        {"TABLE DATA", S::Data},
        {"TEXT SEARCH CONFIGURATION", S::PreData},
        {"TEXT SEARCH DICTIONARY", S::PreData},
        {"TEXT SEARCH PARSER", S::PreData},
        {"TEXT SEARCH TEMPLATE", S::PreData},
        {"TRANSFORM", S::PreData},
        {"TRIGGER", S::PostData},
        {"TYPE", S::PreData},
        {"USER MAPPING", S::PreData},
        {"VIEW", S::PreData},
    };
    return types;
}

std::optional<Section> toc_type_section(const std::string& type) {
    for (const auto& t : toc_types())
        if (type == t.name) return t.section;
    return std::nullopt;
}

size_t match_toc_type(const std::string& text, size_t pos, const std::string& terminator) {
    size_t best = 0;
    for (const auto& t : toc_types()) {
        size_t n = std::strlen(t.name);
        if (n > best && text.compare(pos, n, t.name) == 0 &&
            text.compare(pos + n, terminator.size(), terminator) == 0)
            best = n;
    }
    return best;
}

namespace {

// Parses an unsigned decimal without sign or leading zeros (so that it
// formats back to the same text); false on overflow beyond max.
bool parse_uint(const std::string& s, size_t& pos, uint64_t max, uint64_t& out) {
    size_t start = pos;
    uint64_t v = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        v = v * 10 + static_cast<uint64_t>(s[pos] - '0');
        if (v > max) return false;
        ++pos;
    }
    if (pos == start) return false;
    if (s[start] == '0' && pos - start > 1) return false;
    out = v;
    return true;
}

}  // namespace

std::optional<TocEntry> parse_toc_line(const std::string& line,
                                       const std::set<std::string>* known_schemas) {
    TocEntry e;
    size_t p = 0;
    if (p < line.size() && line[p] == ';') {
        e.commented = true;
        ++p;
    }
    uint64_t v = 0;
    if (!parse_uint(line, p, 0x7FFFFFFF, v) || v == 0) return std::nullopt;
    e.dump_id = static_cast<int>(v);
    if (line.compare(p, 2, "; ") != 0) return std::nullopt;
    p += 2;
    if (!parse_uint(line, p, 0xFFFFFFFFull, v) || p >= line.size() || line[p] != ' ')
        return std::nullopt;
    e.catalog_oid = static_cast<uint32_t>(v);
    ++p;
    if (!parse_uint(line, p, 0xFFFFFFFFull, v) || p >= line.size() || line[p] != ' ')
        return std::nullopt;
    e.oid = static_cast<uint32_t>(v);
    ++p;
    size_t tlen = match_toc_type(line, p, " ");
    if (tlen == 0) return std::nullopt;
    e.type = line.substr(p, tlen);
    p += tlen + 1;

    // Schema: "-", the longest known schema name followed by a space, else one word.
    size_t slen = 0;
    if (known_schemas) {
        for (const auto& s : *known_schemas)
            if (s.size() > slen && line.compare(p, s.size(), s) == 0 &&
                line.compare(p + s.size(), 1, " ") == 0)
                slen = s.size();
    }
    if (slen == 0) {
        size_t sp = line.find(' ', p);
        if (sp == std::string::npos || sp == p) return std::nullopt;
        slen = sp - p;
    }
    e.schema = line.substr(p, slen);
    p += slen + 1;

    // NAME OWNER: the owner is the last word (empty after a trailing space).
    size_t last = line.rfind(' ');
    if (last == std::string::npos || last < p) return std::nullopt;
    e.name = line.substr(p, last - p);
    e.owner = line.substr(last + 1);
    if (e.name.empty()) return std::nullopt;
    if (format_toc_line(e) != line) return std::nullopt;
    return e;
}

std::string format_toc_line(const TocEntry& e) {
    std::string s;
    if (e.commented) s += ';';
    s += std::to_string(e.dump_id) + "; " + std::to_string(e.catalog_oid) + " " +
         std::to_string(e.oid) + " " + e.type + " " + e.schema + " " + e.name + " " + e.owner;
    return s;
}

TocList read_toc_list(std::istream& in, TextCheck* check) {
    TocList list;
    std::string line;
    size_t offset = 0;
    while (std::getline(in, line)) {
        list.final_newline = !in.eof();
        if (check) {
            std::string why;
            size_t back = 0;
            size_t bad = check->feed(line.data(), line.size(), &why, &back);
            if (bad == std::string::npos && list.final_newline) bad = check->feed("\n", 1, &why, &back);
            if (bad == std::string::npos && !list.final_newline && !check->finish(&why, &back))
                bad = line.size();
            if (bad != std::string::npos)
                throw Error(text_error_message(list.lines.size() + 1, offset + bad - back, why));
            offset += line.size() + 1;
        }
        list.lines.push_back({line, std::nullopt, false});
    }
    // First pass: schema names (SCHEMA entries have schema "-", so they parse
    // without knowing any).
    std::set<std::string> schemas;
    for (const auto& l : list.lines)
        if (auto e = parse_toc_line(l.text); e && e->type == "SCHEMA") schemas.insert(e->name);
    for (auto& l : list.lines) {
        l.entry = parse_toc_line(l.text, &schemas);
        if (!l.entry) {
            bool blank = l.text.find_first_not_of(" \t\r") == std::string::npos;
            l.unparsable = !blank && l.text[0] != ';';
        }
    }
    return list;
}

std::string write_toc_list(const TocList& list) {
    std::string out;
    for (size_t i = 0; i < list.lines.size(); ++i) {
        const auto& l = list.lines[i];
        if (l.entry && l.entry->commented && (l.text.empty() || l.text[0] != ';')) out += ';';
        out += l.text;
        if (i + 1 < list.lines.size() || list.final_newline) out += '\n';
    }
    return out;
}

Section SectionTracker::next(const std::string& type) {
    auto s = toc_type_section(type);
    if (s && *s != Section::None) current_ = *s;
    return current_;
}

std::string unquote_identifier(const std::string& s, size_t* end) {
    std::string out;
    size_t i = 0;
    if (!s.empty() && s[0] == '"') {
        for (i = 1; i < s.size(); ++i) {
            if (s[i] == '"') {
                if (i + 1 < s.size() && s[i + 1] == '"') {
                    out += '"';
                    ++i;
                } else {
                    ++i;
                    break;
                }
            } else {
                out += s[i];
            }
        }
    } else {
        while (i < s.size() && s[i] != '.' && s[i] != ' ') out += s[i++];
    }
    if (end) *end = i;
    return out;
}

}  // namespace fdwcopy

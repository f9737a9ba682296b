// Done stream line format (see donestream.h).
#include "donestream.h"

#include "log.h"
#include "tsv.h"

namespace fdwcopy {

namespace {
uint32_t to_oid(const std::string& s, const char* what, const std::string& line) {
    bool ok = !s.empty() && s.size() <= 10;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') { ok = false; break; }
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (!ok || v == 0 || v > 0xFFFFFFFFull)
        throw Error(std::string("invalid ") + what + " \"" + s + "\" in done line \"" + line + "\"");
    return static_cast<uint32_t>(v);
}
}  // namespace

std::string format_done_line(const DoneEntry& e) {
    return tsv_join({std::to_string(e.catalog_oid), std::to_string(e.object_oid), e.type,
                     e.schema, e.name});
}

std::optional<DoneEntry> parse_done_line(const std::string& line) {
    std::string l = line;
    if (!l.empty() && l.back() == '\n') l.pop_back();
    if (l.empty() || l[0] == '#') return std::nullopt;
    auto f = tsv_split(l);
    if (f.size() != kDoneFields)
        throw Error("done line has " + std::to_string(f.size()) + " fields, expected " +
                    std::to_string(kDoneFields) + ": \"" + tsv_escape(l) + "\"");
    DoneEntry e;
    e.catalog_oid = to_oid(f[0], "catalog oid", tsv_escape(l));
    e.object_oid = to_oid(f[1], "object oid", tsv_escape(l));
    e.type = f[2];
    e.schema = f[3];
    e.name = f[4];
    uint32_t want = 0;
    if (e.type == "INDEX") want = kPgClassOid;
    else if (e.type == "CONSTRAINT") want = kPgConstraintOid;
    else
        throw Error("unknown type \"" + e.type + "\" in done line \"" + tsv_escape(l) + "\"");
    if (e.catalog_oid != want)
        throw Error("catalog oid " + std::to_string(e.catalog_oid) + " does not go with type " +
                    e.type + " (expected " + std::to_string(want) + ") in done line \"" +
                    tsv_escape(l) + "\"");
    return e;
}

std::vector<DoneEntry> read_done_stream(std::istream& in) {
    std::vector<DoneEntry> out;
    std::string line;
    long n = 0;
    while (std::getline(in, line)) {
        ++n;
        try {
            if (auto e = parse_done_line(line)) out.push_back(std::move(*e));
        } catch (const Error& e) {
            throw Error("done stream line " + std::to_string(n) + ": " + e.what());
        }
    }
    return out;
}

std::set<std::pair<uint32_t, uint32_t>> done_keys(const std::vector<DoneEntry>& entries) {
    std::set<std::pair<uint32_t, uint32_t>> keys;
    for (auto& e : entries) keys.insert(e.key());
    return keys;
}

}  // namespace fdwcopy

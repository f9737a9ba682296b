// Work stream and result line parsing/formatting (see workitem.h).
#include "workitem.h"

#include <cctype>
#include <cstdio>

#include "keyrange.h"
#include "log.h"
#include "quote.h"
#include "sqllex.h"
#include "tsv.h"

namespace fdwcopy {

namespace {
int64_t to_int(const std::string& s, const char* what, const std::string& line) {
    size_t pos = 0;
    long long v = 0;
    try {
        v = std::stoll(s, &pos);
    } catch (...) {
        pos = std::string::npos;
    }
    if (s.empty() || pos != s.size())
        throw Error(std::string("invalid ") + what + " \"" + s + "\" in work line \"" + line + "\"");
    return v;
}
}  // namespace

std::string WorkItem::label() const {
    std::string l = kind == "blobs" ? std::string("large objects") : schema + "." + name;
    if (parts > 1) l += " part " + std::to_string(part) + "/" + std::to_string(parts);
    return l;
}

std::string WorkItem::predicate() const {
    if (method == "key") {
        std::string k = quote_ident(key), p;
        if (lo != "-") p = k + " >= " + lo;
        if (hi != "-") p += (p.empty() ? "" : " AND ") + k + " < " + hi;
        if (lo == "-") p = p.empty() ? "true" : "(" + p + " OR " + k + " IS NULL)";
        return p;
    }
    if (method == "range") return range_predicate(parse_row_literal(key), lo, hi);
    if (method == "ctid") {
        std::string p;
        if (lo != "-") p = "ctid >= '(" + lo + ",0)'::tid";
        if (hi != "-") p += (p.empty() ? "" : " AND ") + std::string("ctid < '(") + hi + ",0)'::tid";
        return p.empty() ? "true" : p;
    }
    if (method == "extconfig") {
        if (!condition_read)
            throw Error("the condition of extension configuration table \"" + schema + "." + name +
                        "\" was not read");
        size_t b = condition.find_first_not_of(" \t\r\n");
        if (b == std::string::npos) return "true";
        std::string c = condition.substr(b);
        if (c.size() < 6 || ascii_lower(c.substr(0, 5)) != "where" || !std::isspace(static_cast<unsigned char>(c[5])))
            throw Error("the condition of extension configuration table \"" + schema + "." + name +
                        "\" is not a WHERE clause: \"" + c.substr(0, 60) + "\"");
        return "(" + c.substr(6) + "\n)";  // a newline: the condition may end in a -- comment
    }
    return {};
}

WorkItem parse_work_line(const std::string& line) {
    std::string l = line;
    if (!l.empty() && l.back() == '\n') l.pop_back();
    auto f = tsv_split(l);
    if (f.size() != kWorkFields && f.size() != kResultFields && f.size() != kMergeResultFields)
        throw Error("work line has " + std::to_string(f.size()) + " fields, expected " +
                    std::to_string(kWorkFields) + ": \"" + tsv_escape(l) + "\"");
    WorkItem w;
    w.kind = f[0];
    if (w.kind != "table" && w.kind != "sequence" && w.kind != "blobs" && w.kind != "matview")
        throw Error("unknown kind \"" + w.kind + "\" in work line \"" + tsv_escape(l) + "\"");
    w.oid = static_cast<uint32_t>(to_int(f[1], "oid", l));
    w.schema = f[2];
    w.name = f[3];
    w.bytes = to_int(f[4], "bytes", l);
    w.rows = to_int(f[5], "rows", l);
    w.part = static_cast<int>(to_int(f[6], "part", l));
    w.parts = static_cast<int>(to_int(f[7], "parts", l));
    w.method = f[8];
    if (w.method != "-" && w.method != "key" && w.method != "ctid" && w.method != "range" &&
        w.method != "extconfig")
        throw Error("unknown method \"" + w.method + "\" in work line \"" + tsv_escape(l) + "\"");
    w.key = f[9];
    w.lo = f[10];
    w.hi = f[11];
    if (w.method == "range") {
        try {
            range_predicate(parse_row_literal(w.key), w.lo, w.hi);
        } catch (const Error& e) {
            throw Error(std::string(e.what()) + " in work line \"" + tsv_escape(l) + "\"");
        }
    } else {
        if (w.lo != "-") to_int(w.lo, "lower bound", l);
        if (w.hi != "-") to_int(w.hi, "upper bound", l);
    }
    if (w.part < 1 || w.parts < 1 || w.part > w.parts)
        throw Error("invalid part " + f[6] + "/" + f[7] + " in work line \"" + tsv_escape(l) + "\"");
    return w;
}

std::string format_work_line(const WorkItem& w) {
    return tsv_join({w.kind, std::to_string(w.oid), w.schema, w.name, std::to_string(w.bytes),
                     std::to_string(w.rows), std::to_string(w.part), std::to_string(w.parts),
                     w.method, w.key, w.lo, w.hi});
}

ItemResult parse_result_line(const std::string& line) {
    std::string l = line;
    if (!l.empty() && l.back() == '\n') l.pop_back();
    auto f = tsv_split(l);
    if (f.size() != kResultFields && f.size() != kMergeResultFields)
        throw Error("result line has " + std::to_string(f.size()) + " fields, expected " +
                    std::to_string(kResultFields) + ": \"" + tsv_escape(l) + "\"");
    ItemResult r;
    r.item = parse_work_line(l);
    r.rows = to_int(f[12], "rows", l);
    r.bytes = to_int(f[13], "bytes", l);
    try {
        r.seconds = std::stod(f[14]);
    } catch (...) {
        throw Error("invalid seconds \"" + f[14] + "\" in result line \"" + tsv_escape(l) + "\"");
    }
    if (f.size() == kMergeResultFields) {
        r.merged = true;
        r.inserted = to_int(f[15], "rows inserted", l);
        r.updated = to_int(f[16], "rows updated", l);
        r.deleted = to_int(f[17], "rows deleted", l);
    }
    return r;
}

std::string format_result_line(const ItemResult& r) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.3f", r.seconds);
    std::string line = format_work_line(r.item) + "\t" + std::to_string(r.rows) + "\t" +
                       std::to_string(r.bytes) + "\t" + secs;
    if (r.merged)
        line += "\t" + std::to_string(r.inserted) + "\t" + std::to_string(r.updated) + "\t" +
                std::to_string(r.deleted);
    return line;
}

}  // namespace fdwcopy

// Key-range chunks: row literals, range predicates, cut points (see keyrange.h).
#include "keyrange.h"

#include <cstdlib>
#include <cstring>

#include "log.h"
#include "quote.h"

namespace fdwcopy {

std::string format_row_literal(const std::vector<std::string>& values) {
    std::string out = "(";
    for (size_t i = 0; i < values.size(); ++i) {
        const std::string& v = values[i];
        if (i) out += ',';
        bool quote = v.empty();
        for (char c : v)
            if (c == '"' || c == '\\' || c == '(' || c == ')' || c == ',' || std::strchr(" \t\n\r\v\f", c)) {
                quote = true;
                break;
            }
        if (!quote) {
            out += v;
            continue;
        }
        out += '"';
        for (char c : v) {
            if (c == '"' || c == '\\') out += c;
            out += c;
        }
        out += '"';
    }
    return out + ")";
}

std::vector<std::string> parse_row_literal(const std::string& text) {
    auto bad = [&](const char* why) {
        return Error("invalid row literal \"" + text + "\": " + why);
    };
    if (text.size() < 2 || text.front() != '(' || text.back() != ')') throw bad("not in parentheses");
    std::vector<std::string> out;
    size_t i = 1, end = text.size() - 1;
    while (true) {
        std::string v;
        bool quoted_any = false;
        while (i < end && text[i] != ',') {
            char c = text[i];
            if (c == '"') {
                quoted_any = true;
                ++i;
                while (true) {
                    if (i >= end) throw bad("unterminated quoted value");
                    char d = text[i];
                    if (d == '\\') {
                        if (i + 1 >= end) throw bad("unterminated quoted value");
                        v += text[i + 1];
                        i += 2;
                    } else if (d == '"') {
                        if (i + 1 < end && text[i + 1] == '"') {
                            v += '"';
                            i += 2;
                        } else {
                            ++i;
                            break;
                        }
                    } else {
                        v += d;
                        ++i;
                    }
                }
            } else if (c == '\\') {
                if (i + 1 >= end) throw bad("trailing backslash");
                v += text[i + 1];
                quoted_any = true;
                i += 2;
            } else if (c == '(' || c == ')') {
                throw bad("unquoted parenthesis");
            } else {
                v += c;
                ++i;
            }
        }
        if (v.empty() && !quoted_any) throw bad("a NULL value (key columns are NOT NULL)");
        out.push_back(v);
        if (i >= end) break;
        ++i;  // the comma
    }
    return out;
}

namespace {

std::string column_list(const std::vector<std::string>& keys, const std::string& alias) {
    std::string s;
    for (size_t i = 0; i < keys.size(); ++i) s += (i ? ", " : "") + (alias.empty() ? "" : alias + ".") + quote_ident(keys[i]);
    return keys.size() == 1 ? s : "(" + s + ")";
}

std::string literal_list(const std::vector<std::string>& keys, const std::string& bound) {
    std::vector<std::string> v = parse_row_literal(bound);
    if (v.size() != keys.size())
        throw Error("bound \"" + bound + "\" has " + std::to_string(v.size()) + " values for " +
                    std::to_string(keys.size()) + " key columns");
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + quote_literal(v[i]);
    return keys.size() == 1 ? s : "(" + s + ")";
}

}  // namespace

std::string range_predicate(const std::vector<std::string>& keys, const std::string& lo, const std::string& hi,
                            const std::string& alias) {
    if (keys.empty()) throw Error("a key range needs at least one key column");
    std::string cols = column_list(keys, alias), p;
    if (lo != "-") p = cols + " >= " + literal_list(keys, lo);
    if (hi != "-") p += (p.empty() ? "" : " AND ") + cols + " < " + literal_list(keys, hi);
    return p.empty() ? "true" : p;
}

std::vector<std::string> item_keys(const WorkItem& w) {
    if (w.method == "range") return parse_row_literal(w.key);
    if (w.method == "key") return {w.key};
    throw Error("table \"" + w.schema + "." + w.name + "\" is not cut by key (method \"" + w.method + "\")");
}

std::string cut_points_sql(const std::string& schema, const std::string& name, const std::vector<std::string>& keys,
                           const std::string& predicate, int64_t step) {
    std::string cols;
    for (size_t i = 0; i < keys.size(); ++i) cols += (i ? ", " : "") + quote_ident(keys[i]);
    std::string n = std::to_string(step < 1 ? 1 : step);
    // The row text of the sampled rows only: the scan itself stays cheap.
    return "SELECT ROW(" + cols + ")::pg_catalog.text FROM (SELECT " + cols + ", pg_catalog.row_number() OVER (ORDER BY " +
           cols + ") AS rn FROM ONLY " + quote_qualified(schema, name) +
           (predicate.empty() ? "" : " WHERE " + predicate) + ") s WHERE rn OPERATOR(pg_catalog.>) 1 AND (rn "
           "OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.%) " + n + " OPERATOR(pg_catalog.=) 0 ORDER BY rn";
}

std::vector<WorkItem> range_chunks(const WorkItem& whole, const std::vector<std::string>& cuts, int64_t step,
                                   int64_t rows) {
    if (cuts.empty()) return {whole};
    size_t n = cuts.size() + 1;
    std::vector<WorkItem> out;
    int64_t left = rows;
    for (size_t i = 0; i < n; ++i) {
        WorkItem w = whole;
        w.lo = i == 0 ? whole.lo : cuts[i - 1];
        w.hi = i == n - 1 ? whole.hi : cuts[i];
        w.rows = i == n - 1 ? (left > 0 ? left : 0) : step;
        left -= step;
        w.bytes = rows > 0 ? static_cast<int64_t>(static_cast<long double>(whole.bytes) * w.rows / rows)
                           : whole.bytes / static_cast<int64_t>(n);
        out.push_back(w);
    }
    return out;
}

std::vector<std::string> table_key(Connection& conn, uint32_t oid) {
    Result r = conn.exec_params(
        "SELECT i.indexrelid, a.attname FROM pg_catalog.pg_index i "
        "CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid "
        " AND a.attnum OPERATOR(pg_catalog.=) k.attnum "
        "WHERE i.indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.oid AND i.indisunique AND i.indisvalid "
        " AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL "
        " AND k.ord OPERATOR(pg_catalog.<=) i.indnkeyatts "
        " AND NOT EXISTS (SELECT FROM pg_catalog.unnest(i.indkey::pg_catalog.int2[]) AS c(attnum) "
        "   JOIN pg_catalog.pg_attribute ca ON ca.attrelid OPERATOR(pg_catalog.=) i.indrelid "
        "    AND ca.attnum OPERATOR(pg_catalog.=) c.attnum WHERE NOT ca.attnotnull) "
        "ORDER BY i.indisprimary DESC, i.indnkeyatts, i.indexrelid, k.ord",
        {std::to_string(oid)});
    std::vector<std::string> keys;
    std::string first;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
        std::string idx = PQgetvalue(r.get(), i, 0);
        if (i == 0) first = idx;
        if (idx != first) break;
        keys.push_back(PQgetvalue(r.get(), i, 1));
    }
    return keys;
}

WorkItem key_chunks_base(const WorkItem& whole, const std::vector<std::string>& keys) {
    WorkItem base = whole;
    base.method = "range";
    base.key = format_row_literal(keys);
    base.lo = base.hi = "-";
    base.part = base.parts = 1;
    return base;
}

std::vector<WorkItem> key_chunks(Connection& conn, const WorkItem& whole, const std::vector<std::string>& keys,
                                 int64_t chunk_rows) {
    WorkItem base = key_chunks_base(whole, keys);
    Result r = conn.exec(cut_points_sql(whole.schema, whole.name, keys, "", chunk_rows));
    std::vector<std::string> cuts;
    for (int i = 0; i < PQntuples(r.get()); ++i) cuts.push_back(PQgetvalue(r.get(), i, 0));
    // reltuples can be stale: at least the rows the cuts prove.
    int64_t rows = std::max<int64_t>(whole.rows, static_cast<int64_t>(cuts.size()) * chunk_rows);
    std::vector<WorkItem> out = range_chunks(base, cuts, chunk_rows, rows);
    for (size_t i = 0; i < out.size(); ++i) {
        out[i].part = static_cast<int>(i + 1);
        out[i].parts = static_cast<int>(out.size());
    }
    return out;
}

}  // namespace fdwcopy

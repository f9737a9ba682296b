// Row-level comparison of a key range (see rowdiff.h).
#include "rowdiff.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "keyrange.h"
#include "log.h"
#include "quote.h"
#include "tsv.h"

namespace fdwcopy {

KeyOrder key_order(const std::vector<std::string>& source_types, const std::vector<std::string>& target_types) {
    auto integer = [](const std::string& t) { return t == "smallint" || t == "integer" || t == "bigint"; };
    if (source_types.size() == 1 && target_types.size() == 1 && integer(source_types[0]) && integer(target_types[0]))
        return KeyOrder::Integer;
    return KeyOrder::Bytes;
}

std::string row_hash_list_sql(const WorkItem& w, const std::vector<std::string>& keys, const std::string& hash_expr,
                              KeyOrder order) {
    std::string rel = quote_qualified(w.schema, w.name), where = w.whole() ? "" : " WHERE " + w.predicate();
    if (order == KeyOrder::Integer) {
        std::string k = "t." + quote_ident(keys.at(0));
        return "SELECT " + k + ", " + hash_expr + " FROM ONLY " + rel + " t" + where + " ORDER BY " + k;
    }
    std::string row;
    for (size_t i = 0; i < keys.size(); ++i) row += (i ? ", t." : "t.") + quote_ident(keys[i]);
    // The key text under "C": byte order, the same on both sides whatever
    // their collations (ORDER BY takes no COLLATE on an output column
    // number, hence the subquery).
    return "SELECT s.k, s.h FROM (SELECT ROW(" + row + ")::pg_catalog.text AS k, " + hash_expr + " AS h FROM ONLY " +
           rel + " t" + where + ") s ORDER BY s.k COLLATE pg_catalog.\"C\"";
}

namespace {

// The integer of an Integer list's key ("n" or "(n)"); throws Error on another text.
int64_t key_integer(const std::string& k) {
    size_t b = !k.empty() && k[0] == '(' ? 1 : 0, e = k.size() - (b ? 1 : 0);
    if (e <= b || (b && k.back() != ')')) throw Error("not an integer key: " + k);
    // parsed in place: a streamed merge compares every key of both lists
    const char* first = k.c_str() + b;
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(first, &end, 10);
    if (errno != 0 || end == first || end != k.c_str() + e)
        throw Error("not an integer key: " + k);
    return v;
}

}  // namespace

int compare_keys(const std::string& a, const std::string& b, KeyOrder order) {
    if (order == KeyOrder::Bytes) return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
    int64_t x = key_integer(a), y = key_integer(b);
    return x < y ? -1 : x == y ? 0 : 1;
}

void diff_sorted_streams(const KeyHashNext& source, const KeyHashNext& target, KeyOrder order, const KeyDiffEmit& emit,
                         int64_t* source_rows, int64_t* target_rows) {
    std::string sk, sh, tk, th, prev_s, prev_t;
    bool has_s = false, has_t = false, first_s = true, first_t = true;
    // Reads the next pair of one side, checking that its keys increase.
    auto advance = [order](const KeyHashNext& next, const char* side, std::string* k, std::string* h, std::string* prev,
                      bool* first, int64_t* count) {
        if (!next(k, h)) return false;
        int c = *first ? -1 : compare_keys(*prev, *k, order);
        if (c >= 0)
            throw Error(std::string(side) + ": the key list of the range is not in strictly increasing order at " + *k +
                        (c == 0 ? " (a key occurs twice: is the key unique on this side?)" : ""));
        *first = false;
        *prev = *k;
        ++*count;
        return true;
    };
    has_s = advance(source, "source", &sk, &sh, &prev_s, &first_s, source_rows);
    has_t = advance(target, "target", &tk, &th, &prev_t, &first_t, target_rows);
    while (has_s || has_t) {
        int c = !has_s ? 1 : !has_t ? -1 : compare_keys(sk, tk, order);
        if (c == 0) {
            if (sh != th) emit(false, sk);
        } else if (c < 0) {
            emit(false, sk);  // only on the source
        } else {
            emit(true, tk);  // only on the target
        }
        if (c <= 0) has_s = advance(source, "source", &sk, &sh, &prev_s, &first_s, source_rows);
        if (c >= 0) has_t = advance(target, "target", &tk, &th, &prev_t, &first_t, target_rows);
    }
}

void diff_sorted_lists(const KeyHashNext& source, const KeyHashNext& target, KeyOrder order, size_t max_keys,
                       RowDiff* out) {
    auto keep = [&](bool remove, const std::string& key) {
        ++out->differing;
        if (out->upsert.size() + out->remove.size() >= max_keys) {
            out->overflow = true;
            return;
        }
        (remove ? out->remove : out->upsert).push_back(key);
    };
    diff_sorted_streams(source, target, order, keep, &out->source_rows, &out->target_rows);
}

bool CopyOutLines::next(std::string* line) {
    if (done_) return false;
    PGconn* c = conn_.get();
    char* row = nullptr;
    int n = PQgetCopyData(c, &row, 0);
    if (n > 0) {
        size_t len = static_cast<size_t>(n);
        if (len > 0 && row[len - 1] == '\n') --len;
        line->assign(row, len);
        PQfreemem(row);
        return true;
    }
    done_ = true;
    std::string err;
    if (n == -1) {
        Result res(PQgetResult(c));
        if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) err = result_error(c, res.get());
        while (PGresult* more = PQgetResult(c)) PQclear(more);
    } else {
        err = result_error(c, nullptr);
    }
    if (!err.empty()) throw Error(conn_.role() + ": " + err);
    return false;
}

void split_key_hash(const std::string& line, std::string* key, std::string* hash) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos || line.find('\t', tab + 1) != std::string::npos)
        throw Error("a key list line has not two fields: " + line);
    // (a key without a backslash, every integer key: no copy to unescape;
    // a streamed merge splits every line of both lists)
    if (std::memchr(line.data(), '\\', tab)) *key = tsv_unescape(line.substr(0, tab));
    else key->assign(line, 0, tab);
    hash->assign(line, tab + 1, std::string::npos);
}

KeyHashNext key_hash_reader(CopyOutLines& lines, std::string* line) {
    return [&lines, line](std::string* k, std::string* h) {
        if (!lines.next(line)) return false;
        split_key_hash(*line, k, h);
        return true;
    };
}

std::string array_literal(const std::vector<std::string>& values) {
    std::string out = "{";
    for (size_t i = 0; i < values.size(); ++i) {
        out += i ? ",\"" : "\"";
        for (char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

std::string key_set_condition(const std::vector<std::string>& keys, const std::vector<std::string>& types,
                              const std::vector<std::string>& key_literals) {
    if (keys.empty() || keys.size() != types.size()) throw Error("key_set_condition: keys and types differ in number");
    if (key_literals.empty()) throw Error("key_set_condition: no key");
    std::vector<std::vector<std::string>> columns(keys.size());
    for (auto& lit : key_literals) {
        std::vector<std::string> v =
            keys.size() == 1 && !lit.empty() && lit[0] != '(' ? std::vector<std::string>{lit} : parse_row_literal(lit);
        if (v.size() != keys.size())
            throw Error("key " + lit + " has " + std::to_string(v.size()) + " values, the key has " +
                        std::to_string(keys.size()) + " columns");
        for (size_t i = 0; i < v.size(); ++i) columns[i].push_back(std::move(v[i]));
    }
    std::string args, names, eq;
    for (size_t i = 0; i < keys.size(); ++i) {
        std::string u = "k" + std::to_string(i + 1);
        args += (i ? ", " : "") + std::string("pg_catalog.unnest(") + quote_literal(array_literal(columns[i])) +
                "::" + types[i] + "[])";
        names += (i ? ", " : "") + u;
        eq += std::string(i ? " AND " : "") + "u." + u + " OPERATOR(pg_catalog.=) t." + quote_ident(keys[i]);
    }
    return "EXISTS (SELECT FROM ROWS FROM (" + args + ") u(" + names + ") WHERE " + eq + ")";
}

}  // namespace fdwcopy

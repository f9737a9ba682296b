// Work stream listing and table splitting (see tablelist.h).
#include "tablelist.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "extconfig.h"
#include "keyrange.h"
#include "log.h"
#include "pattern.h"
#include "quote.h"
#include "selection.h"
#include "snapshot.h"
#include "tsv.h"

namespace fdwcopy {

namespace {

std::string regex_match(const std::string& column, const std::string& regex) {
    return column + " OPERATOR(pg_catalog.~) " + quote_literal(regex);
}

std::string any_of(const std::vector<std::string>& terms) {
    if (terms.empty()) return "false";
    std::string s = "(";
    for (size_t i = 0; i < terms.size(); ++i) s += (i ? " OR " : "") + terms[i];
    return s + ")";
}

std::string table_match(const std::string& pattern, const std::string& ns, const std::string& rel) {
    NamePattern p = parse_table_pattern(pattern);
    // Unqualified: only tables visible in the search path, as psql and pg_dump
    // match them.
    std::string schema = p.schema_regex.empty()
                             ? "pg_catalog.pg_table_is_visible(" + rel + ".oid)"
                             : regex_match(ns + ".nspname", p.schema_regex);
    std::string name = p.name_regex.empty() ? "true" : regex_match(rel + ".relname", p.name_regex);
    return "(" + schema + " AND " + name + ")";
}

// Rows or bytes shared out over n parts: part i (0-based) of total. The first
// part takes the remainder, so that largest-first keeps the parts in order.
int64_t share(int64_t total, int n, int i) {
    int64_t each = total / n;
    return i == 0 ? total - each * (n - 1) : each;
}

int64_t to_i64(const char* s) { return std::strtoll(s, nullptr, 10); }

// System schemas and extension members are never listed (pg_dump dumps neither
// as data of the database).
std::string base_conditions(const std::string& ns, const std::string& rel) {
    return ns + ".nspname OPERATOR(pg_catalog.<>) 'information_schema' AND " + ns +
           ".nspname OPERATOR(pg_catalog.!~) '^pg_' AND NOT EXISTS (SELECT FROM "
           "pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) "
           "'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid OPERATOR(pg_catalog.=) " +
           rel + ".oid AND d.deptype OPERATOR(pg_catalog.=) 'e')";
}

}  // namespace

std::string data_predicate(const TableFilters& f, const std::string& ns, const std::string& rel) {
    if (f.exclude_table_data.empty()) return "true";
    std::vector<std::string> m;
    for (auto& p : f.exclude_table_data) m.push_back(table_match(p, ns, rel));
    return "(NOT " + any_of(m) + ")";
}

std::string filter_predicate(const TableFilters& f, const std::string& ns, const std::string& rel) {
    std::vector<std::string> terms;
    if (!f.include_table.empty()) {
        std::vector<std::string> m;
        for (auto& p : f.include_table) m.push_back(table_match(p, ns, rel));
        terms.push_back(any_of(m));
    } else {
        if (!f.include_schema.empty()) {
            std::vector<std::string> m;
            for (auto& p : f.include_schema) m.push_back(regex_match(ns + ".nspname", schema_pattern_to_regex(p)));
            terms.push_back(any_of(m));
        }
        if (!f.exclude_schema.empty()) {
            std::vector<std::string> m;
            for (auto& p : f.exclude_schema) m.push_back(regex_match(ns + ".nspname", schema_pattern_to_regex(p)));
            terms.push_back("NOT " + any_of(m));
        }
    }
    if (!f.exclude_table.empty()) {
        std::vector<std::string> m;
        for (auto& p : f.exclude_table) m.push_back(table_match(p, ns, rel));
        terms.push_back("NOT " + any_of(m));
    }
    if (terms.empty()) return "true";
    std::string s;
    for (size_t i = 0; i < terms.size(); ++i) s += (i ? " AND " : "") + terms[i];
    return "(" + s + ")";
}

int parts_for(int64_t bytes, int64_t threshold) {
    if (threshold <= 0 || bytes <= threshold) return 1;
    int64_t n = bytes / threshold + (bytes % threshold ? 1 : 0);
    return static_cast<int>(std::min<int64_t>(n, kMaxParts));
}

std::vector<int64_t> parse_int_array(const std::string& text) {
    auto bad = [&]() { return Error("invalid integer array \"" + text + "\""); };
    if (text.size() < 2 || text.front() != '{' || text.back() != '}') throw bad();
    std::vector<int64_t> out;
    std::string body = text.substr(1, text.size() - 2);
    if (body.empty()) return out;
    size_t start = 0;
    while (true) {
        size_t comma = body.find(',', start);
        std::string item = body.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        size_t pos = 0;
        long long v;
        try {
            v = std::stoll(item, &pos);
        } catch (...) {
            throw bad();
        }
        if (item.empty() || pos != item.size() || std::isspace(static_cast<unsigned char>(item[0])))
            throw bad();
        out.push_back(v);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

bool histogram_usable(const std::vector<int64_t>& b, int64_t min, int64_t max) {
    if (b.size() < 2 || max < min) return false;
    long double span = static_cast<long double>(max) - min;
    long double slack = span / 10;
    return b.front() <= min + slack && b.back() >= max - slack;
}

std::vector<int64_t> cuts_from_histogram(const std::vector<int64_t>& b, int parts) {
    std::vector<int64_t> cuts;
    if (b.size() < 2 || parts < 2) return cuts;
    const long double buckets = static_cast<long double>(b.size() - 1);
    for (int j = 1; j < parts; ++j) {
        long double pos = buckets * j / parts;
        size_t idx = static_cast<size_t>(std::floor(pos));
        if (idx >= b.size() - 1) idx = b.size() - 2;
        long double frac = pos - idx;
        long double v = b[idx] + frac * (static_cast<long double>(b[idx + 1]) - b[idx]);
        int64_t cut = static_cast<int64_t>(std::floor(v));
        if (cut <= b.front()) continue;  // the first part would hold no bucket
        if (cuts.empty() || cut > cuts.back()) cuts.push_back(cut);
    }
    return cuts;
}

std::vector<int64_t> cuts_from_range(int64_t min, int64_t max, int parts) {
    std::vector<int64_t> cuts;
    if (parts < 2 || max <= min) return cuts;
    __int128 width = static_cast<__int128>(max) - min + 1;
    for (int j = 1; j < parts; ++j) {
        int64_t cut = static_cast<int64_t>(min + width * j / parts);
        if (cut <= min || cut > max) continue;
        if (cuts.empty() || cut > cuts.back()) cuts.push_back(cut);
    }
    return cuts;
}

std::vector<WorkItem> key_parts(const WorkItem& whole, const std::string& key,
                                const std::vector<int64_t>& cuts) {
    if (cuts.empty()) return {whole};
    int n = static_cast<int>(cuts.size()) + 1;
    std::vector<WorkItem> out;
    for (int i = 0; i < n; ++i) {
        WorkItem w = whole;
        w.part = i + 1;
        w.parts = n;
        w.method = "key";
        w.key = key;
        w.lo = i == 0 ? "-" : std::to_string(cuts[i - 1]);
        w.hi = i == n - 1 ? "-" : std::to_string(cuts[i]);
        w.bytes = share(whole.bytes, n, i);
        w.rows = share(whole.rows, n, i);
        out.push_back(w);
    }
    return out;
}

std::vector<WorkItem> ctid_parts(const WorkItem& whole, int64_t pages, int parts) {
    int n = static_cast<int>(std::min<int64_t>(parts, pages));
    if (n <= 1) return {whole};
    std::vector<WorkItem> out;
    for (int i = 0; i < n; ++i) {
        WorkItem w = whole;
        w.part = i + 1;
        w.parts = n;
        w.method = "ctid";
        w.key = "-";
        w.lo = i == 0 ? "-" : std::to_string(pages * i / n);
        w.hi = i == n - 1 ? "-" : std::to_string(pages * (i + 1) / n);
        w.bytes = share(whole.bytes, n, i);
        w.rows = share(whole.rows, n, i);
        out.push_back(w);
    }
    return out;
}

void sort_largest_first(std::vector<WorkItem>& items) {
    std::stable_sort(items.begin(), items.end(), [](const WorkItem& a, const WorkItem& b) {
        if (a.bytes != b.bytes) return a.bytes > b.bytes;
        if (a.schema != b.schema) return a.schema < b.schema;
        if (a.name != b.name) return a.name < b.name;
        return a.part < b.part;
    });
}

namespace {

// Splits one table: an integer key range when the table has a single-column
// integer primary key or unique index, else heap page ranges.
std::vector<WorkItem> split_table(Connection& src, const WorkItem& whole, int64_t pages, int parts) {
    Result k = src.exec_params(
        "SELECT a.attname FROM pg_catalog.pg_index i "
        "JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid "
        " AND a.attnum OPERATOR(pg_catalog.=) i.indkey[0] "
        "WHERE i.indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.oid "
        " AND i.indnkeyatts OPERATOR(pg_catalog.=) 1 AND i.indisunique AND i.indisvalid "
        " AND i.indpred IS NULL AND i.indexprs IS NULL "
        " AND a.atttypid OPERATOR(pg_catalog.=) ANY ('{int2,int4,int8}'::pg_catalog.regtype[]) "
        "ORDER BY i.indisprimary DESC, a.attnum, i.indexrelid LIMIT 1",
        {std::to_string(whole.oid)});
    if (PQntuples(k.get()) == 1) {
        std::string key = PQgetvalue(k.get(), 0, 0);
        Result mm = src.exec("SELECT min(" + quote_ident(key) + ")::pg_catalog.text, max(" +
                             quote_ident(key) + ")::pg_catalog.text FROM ONLY " +
                             quote_qualified(whole.schema, whole.name));
        if (PQgetisnull(mm.get(), 0, 0)) return {whole};  // no non-NULL key: nothing to split on
        int64_t min = to_i64(PQgetvalue(mm.get(), 0, 0)), max = to_i64(PQgetvalue(mm.get(), 0, 1));
        std::vector<int64_t> cuts;
        Result h = src.exec_params(
            "SELECT histogram_bounds::pg_catalog.text FROM pg_catalog.pg_stats "
            "WHERE schemaname OPERATOR(pg_catalog.=) $1 AND tablename OPERATOR(pg_catalog.=) $2 "
            " AND attname OPERATOR(pg_catalog.=) $3 AND NOT inherited AND histogram_bounds IS NOT NULL",
            {whole.schema, whole.name, key});
        if (PQntuples(h.get()) == 1) {
            try {
                auto bounds = parse_int_array(PQgetvalue(h.get(), 0, 0));
                if (histogram_usable(bounds, min, max)) cuts = cuts_from_histogram(bounds, parts);
            } catch (const Error&) {
                // not an integer histogram after all: fall back to min/max
            }
        }
        if (cuts.empty()) cuts = cuts_from_range(min, max, parts);
        log_verbose("splitting " + whole.label() + " on key " + key + " into " +
                    std::to_string(cuts.size() + 1) + " parts");
        return key_parts(whole, key, cuts);
    }
    log_verbose("splitting " + whole.label() + " into " + std::to_string(std::min<int64_t>(parts, pages)) +
                " page ranges (no single-column integer key)");
    return ctid_parts(whole, pages, parts);
}

// Extension configuration tables (lib/extconfig.h) that the filters select,
// as pg_dump selects them (processExtensionTables): with no include filter
// every one not excluded by -T or -N; with -t or -n those they match. Never
// split (their rows are few and the condition is the extension's). Tables
// with a foreign key come after those without: pg_dump restores the data of
// a referenced configuration table first.
Result list_extension_config_tables(Connection& src, const std::string& tab_filter) {
    return src.exec(
        "SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_table_size(c.oid), "
        " GREATEST(c.reltuples, 0)::pg_catalog.int8 "
        "FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
        "WHERE c.relkind OPERATOR(pg_catalog.=) 'r' AND " + extconfig_predicate("c") + " AND " + tab_filter +
        " ORDER BY EXISTS (SELECT FROM pg_catalog.pg_constraint f WHERE f.conrelid OPERATOR(pg_catalog.=) c.oid "
        "   AND f.contype OPERATOR(pg_catalog.=) 'f' AND f.confrelid OPERATOR(pg_catalog.<>) c.oid), "
        " n.nspname, c.relname");
}

}  // namespace

std::string selected_relation_predicate(const TableFilters& f, const std::string& ns, const std::string& rel) {
    // Build both filters first: a bad pattern throws before anything else.
    std::string own = filter_predicate(f, ns, rel);
    std::string owner = filter_predicate(f, "fdwcopy_on", "fdwcopy_oc");
    return "(" + rel + ".relkind OPERATOR(pg_catalog.=) ANY ('{r,p,f,v,m,S}'::pg_catalog.\"char\"[]) AND " + rel +
           ".relpersistence OPERATOR(pg_catalog.<>) 't' AND " + base_conditions(ns, rel) + " AND ((" + own +
           " AND (" + rel + ".relkind OPERATOR(pg_catalog.<>) 'S' OR NOT EXISTS (SELECT FROM "
           "pg_catalog.pg_depend fdwcopy_di "
           "WHERE fdwcopy_di.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
           "AND fdwcopy_di.objid OPERATOR(pg_catalog.=) " + rel + ".oid "
           "AND fdwcopy_di.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
           "AND fdwcopy_di.deptype OPERATOR(pg_catalog.=) 'i'))) "
           "OR (" + rel + ".relkind OPERATOR(pg_catalog.=) 'S' AND EXISTS (SELECT FROM pg_catalog.pg_depend fdwcopy_od "
           "JOIN pg_catalog.pg_class fdwcopy_oc ON fdwcopy_oc.oid OPERATOR(pg_catalog.=) fdwcopy_od.refobjid "
           "JOIN pg_catalog.pg_namespace fdwcopy_on ON fdwcopy_on.oid OPERATOR(pg_catalog.=) fdwcopy_oc.relnamespace "
           "WHERE fdwcopy_od.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
           "AND fdwcopy_od.objid OPERATOR(pg_catalog.=) " + rel + ".oid "
           "AND fdwcopy_od.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
           "AND fdwcopy_od.deptype OPERATOR(pg_catalog.=) ANY ('{a,i}'::pg_catalog.\"char\"[]) AND " + owner + "))))";
}

namespace {

// Joins options.snapshot (or a fresh REPEATABLE READ one) with the source
// session settings, under the default search_path that unqualified patterns
// are matched in (pg_dump matches them so).
void begin_listing(Connection& src, const TableListOptions& opt) {
    setup_source_session(src);
    begin_snapshot_transaction(src, opt.snapshot);
    src.exec("RESET search_path");
}

// Back to the empty search_path once the patterns are matched: the queries
// that follow (min(), max() of a key) must not resolve to a user's function.
void end_matching(Connection& src) { src.exec("SELECT pg_catalog.set_config('search_path', '', false)"); }

uint32_t to_oid(const char* s) { return static_cast<uint32_t>(std::strtoul(s, nullptr, 10)); }

}  // namespace

std::vector<Relation> list_relations(Connection& src, const TableListOptions& opt) {
    std::string pred = selected_relation_predicate(opt.filters, "n", "c");
    begin_listing(src, opt);
    pred = predicate_with_changes(pred, selection_changes(src, opt.filters), "c");
    Result r = src.exec(
        "SELECT c.oid, c.relkind, n.nspname, c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace WHERE " + pred +
        " ORDER BY n.nspname, c.relname");
    end_matching(src);
    src.exec("COMMIT");
    std::vector<Relation> out;
    for (int i = 0; i < PQntuples(r.get()); ++i)
        out.push_back({to_oid(PQgetvalue(r.get(), i, 0)), PQgetvalue(r.get(), i, 1)[0], PQgetvalue(r.get(), i, 2),
                       PQgetvalue(r.get(), i, 3)});
    return out;
}

std::vector<SelectionChange> list_changes(Connection& src, const TableListOptions& opt) {
    selected_relation_predicate(opt.filters, "n", "c");  // a bad pattern throws before any query
    begin_listing(src, opt);
    std::vector<SelectionChange> out = selection_changes(src, opt.filters);
    src.exec("COMMIT");
    return out;
}

std::string format_relation_line(const Relation& r) {
    return tsv_join({std::to_string(r.oid), std::string(1, r.relkind), r.schema, r.name});
}

std::vector<WorkItem> list_work(Connection& src, const TableListOptions& opt) {
    // Build the filter SQL first: a bad pattern is an error before any query.
    std::string data = data_predicate(opt.filters, "n", "c");
    std::string pred = selected_relation_predicate(opt.filters, "n", "c") + " AND " + data;
    std::string tab_filter = filter_predicate(opt.filters, "n", "c") + " AND " + data;
    begin_listing(src, opt);
    pred = predicate_with_changes(pred, selection_changes(src, opt.filters), "c");

    std::vector<WorkItem> tables;
    Result t = src.exec(
        "SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_table_size(c.oid), "
        " GREATEST(c.reltuples, 0)::pg_catalog.int8, "
        " pg_catalog.pg_relation_size(c.oid) OPERATOR(pg_catalog./) "
        "   pg_catalog.current_setting('block_size')::pg_catalog.int8, c.relkind "
        "FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
        "WHERE c.relkind OPERATOR(pg_catalog.=) ANY (" +
        std::string(opt.matviews ? "'{r,m}'" : "'{r}'") + "::pg_catalog.\"char\"[]) AND " + pred);
    Result s = src.exec(
        "SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_relation_size(c.oid) "
        "FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
        "WHERE c.relkind OPERATOR(pg_catalog.=) 'S' AND " + pred + " ORDER BY n.nspname, c.relname");
    Result x = list_extension_config_tables(src, tab_filter);
    end_matching(src);

    for (int i = 0; i < PQntuples(t.get()); ++i) {
        WorkItem w;
        w.kind = PQgetvalue(t.get(), i, 6)[0] == 'm' ? "matview" : "table";
        w.oid = to_oid(PQgetvalue(t.get(), i, 0));
        w.schema = PQgetvalue(t.get(), i, 1);
        w.name = PQgetvalue(t.get(), i, 2);
        w.bytes = to_i64(PQgetvalue(t.get(), i, 3));
        w.rows = to_i64(PQgetvalue(t.get(), i, 4));
        int64_t pages = to_i64(PQgetvalue(t.get(), i, 5));
        if (opt.by_key && w.kind == "table") {
            std::vector<std::string> keys = table_key(src, w.oid);
            if (keys.empty()) {
                log_verbose(w.label() + ": no primary key or unique not-null key: one whole-table item");
                tables.push_back(w);
            } else if (opt.one_range) {
                // cut points from no rows: the whole key range, one chunk
                tables.push_back(range_chunks(key_chunks_base(w, keys), {}, 0, w.rows).front());
            } else {
                for (auto& c : key_chunks(src, w, keys, opt.chunk_rows)) tables.push_back(c);
            }
            continue;
        }
        // A materialized view is refreshed, never copied: it stays whole.
        int parts = w.kind == "matview" ? 1 : parts_for(w.bytes, opt.split_larger_than);
        if (parts > 1) {
            for (auto& p : split_table(src, w, pages, parts)) tables.push_back(p);
        } else {
            tables.push_back(w);
        }
    }
    sort_largest_first(tables);

    std::vector<WorkItem> out = std::move(tables);
    for (int i = 0; i < PQntuples(x.get()); ++i) {
        WorkItem w;
        w.kind = "table";
        w.method = "extconfig";
        w.oid = to_oid(PQgetvalue(x.get(), i, 0));
        w.schema = PQgetvalue(x.get(), i, 1);
        w.name = PQgetvalue(x.get(), i, 2);
        w.bytes = to_i64(PQgetvalue(x.get(), i, 3));
        w.rows = to_i64(PQgetvalue(x.get(), i, 4));
        out.push_back(w);
    }
    for (int i = 0; i < PQntuples(s.get()); ++i) {
        WorkItem w;
        w.kind = "sequence";
        w.oid = to_oid(PQgetvalue(s.get(), i, 0));
        w.schema = PQgetvalue(s.get(), i, 1);
        w.name = PQgetvalue(s.get(), i, 2);
        w.bytes = to_i64(PQgetvalue(s.get(), i, 3));
        w.rows = 1;
        out.push_back(w);
    }
    if (opt.filters.includes_blobs()) {
        Result b = src.exec(
            "SELECT count(*), pg_catalog.pg_relation_size('pg_catalog.pg_largeobject'::pg_catalog.regclass) "
            "FROM pg_catalog.pg_largeobject_metadata");
        int64_t count = to_i64(PQgetvalue(b.get(), 0, 0));
        if (count > 0) {
            WorkItem w;
            w.kind = "blobs";
            w.oid = 0;
            w.schema = "-";
            w.name = "-";
            w.bytes = to_i64(PQgetvalue(b.get(), 0, 1));
            w.rows = count;
            out.push_back(w);
        }
    }
    src.exec("COMMIT");
    return out;
}

}  // namespace fdwcopy

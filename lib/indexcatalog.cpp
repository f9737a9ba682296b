// Source catalog of indexes and the statements index-build runs (see indexcatalog.h).
#include "indexcatalog.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "log.h"
#include "quote.h"

namespace fdwcopy {

namespace {

std::string get(const PGresult* r, int row, int col) {
    return PQgetisnull(r, row, col) ? std::string() : std::string(PQgetvalue(r, row, col));
}
uint32_t get_oid(const PGresult* r, int row, int col) {
    return static_cast<uint32_t>(std::strtoul(PQgetvalue(r, row, col), nullptr, 10));
}
bool get_bool(const PGresult* r, int row, int col) {
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

// "2:100,3:-1" -> {(2,100),(3,-1)}
std::vector<std::pair<int, int>> parse_stat_targets(const std::string& s) {
    std::vector<std::pair<int, int>> out;
    size_t start = 0;
    while (start < s.size()) {
        size_t comma = s.find(',', start);
        std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        size_t colon = item.find(':');
        if (colon != std::string::npos)
            out.emplace_back(std::atoi(item.substr(0, colon).c_str()), std::atoi(item.substr(colon + 1).c_str()));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

// Schemas pg_dump never dumps objects of.
const char* kUserSchemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'";

}  // namespace

DoneEntry IndexDef::done_entry() const {
    if (is_constraint()) return {kPgConstraintOid, constraint_oid, "CONSTRAINT", schema, constraint};
    return {kPgClassOid, index_oid, "INDEX", schema, index};
}

std::string IndexDef::label() const {
    if (is_constraint())
        return "constraint " + quote_ident(constraint) + " on " + quote_qualified(schema, table);
    return "index " + quote_qualified(schema, index);
}

std::map<uint32_t, TableIndexes> load_index_catalog(Connection& src, const std::vector<uint32_t>& tables) {
    std::map<uint32_t, TableIndexes> out;
    if (tables.empty()) return out;
    std::string oids = "{";
    for (size_t i = 0; i < tables.size(); ++i) oids += (i ? "," : "") + std::to_string(tables[i]);
    oids += "}";
    // As pg_dump's getIndexes(): valid and ready indexes only; the constraint
    // (p, u, x) an index backs; statistics targets of expression columns.
    const std::string sql = std::string(R"SQL(
SELECT i.indrelid, n.nspname, t.relname, ic.oid, ic.relname,
       pg_catalog.pg_get_indexdef(i.indexrelid),
       c.contype, c.oid, c.conname, c.condeferrable, c.condeferred,
       i.indisclustered, i.indisreplident,
       (SELECT spcname FROM pg_catalog.pg_tablespace s WHERE s.oid = ic.reltablespace),
       (SELECT pg_catalog.string_agg(a.attnum || ':' || a.attstattarget, ',' ORDER BY a.attnum)
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0),
       ic.relpages::bigint * pg_catalog.current_setting('block_size')::bigint
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
  LEFT JOIN pg_catalog.pg_constraint c
    ON c.conrelid = i.indrelid AND c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')
 WHERE i.indrelid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[])
   AND t.relkind = 'r' AND i.indisvalid AND i.indisready AND )SQL") +
                            kUserSchemas + R"SQL(
 ORDER BY i.indrelid, ic.relname)SQL";
    Result r = src.exec_params(sql, {oids});
    std::map<uint32_t, IndexDef*> by_index;
    for (int row = 0; row < PQntuples(r.get()); ++row) {
        IndexDef d;
        d.table_oid = get_oid(r.get(), row, 0);
        d.schema = get(r.get(), row, 1);
        d.table = get(r.get(), row, 2);
        d.index_oid = get_oid(r.get(), row, 3);
        d.index = get(r.get(), row, 4);
        d.indexdef = get(r.get(), row, 5);
        std::string contype = get(r.get(), row, 6);
        if (contype == "x") continue;  // exclusion constraints stay in post-data
        if (!contype.empty()) {
            d.contype = contype[0];
            d.constraint_oid = get_oid(r.get(), row, 7);
            d.constraint = get(r.get(), row, 8);
            d.deferrable = get_bool(r.get(), row, 9);
            d.deferred = get_bool(r.get(), row, 10);
        }
        d.clustered = get_bool(r.get(), row, 11);
        d.replident = get_bool(r.get(), row, 12);
        d.tablespace = get(r.get(), row, 13);
        d.stat_targets = parse_stat_targets(get(r.get(), row, 14));
        d.bytes = std::atoll(get(r.get(), row, 15).c_str());
        auto& t = out[d.table_oid];
        t.schema = d.schema;
        t.table = d.table;
        t.indexes.push_back(std::move(d));
    }
    std::string index_oids = "{";
    for (auto& [oid, t] : out) {
        std::stable_sort(t.indexes.begin(), t.indexes.end(),
                         [](const IndexDef& a, const IndexDef& b) { return a.bytes > b.bytes; });
        for (auto& d : t.indexes) {
            by_index[d.index_oid] = &d;
            index_oids += (index_oids.size() > 1 ? "," : "") + std::to_string(d.index_oid);
        }
    }
    index_oids += "}";
    if (by_index.empty()) return out;
    // ALTER INDEX ... DEPENDS ON EXTENSION (pg_depend deptype 'x'), as pg_dump's
    // append_depends_on_extension().
    Result x = src.exec_params(R"SQL(
SELECT d.objid, e.extname
  FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
 WHERE d.objid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[])
   AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
   AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
   AND d.deptype = 'x'
 ORDER BY d.objid, e.extname)SQL", {index_oids});
    for (int row = 0; row < PQntuples(x.get()); ++row) {
        auto it = by_index.find(get_oid(x.get(), row, 0));
        if (it != by_index.end()) it->second->extensions.push_back(get(x.get(), row, 1));
    }
    return out;
}

BuildStep build_step(const IndexDef& d) {
    if (d.tablespace.empty()) return {{d.indexdef}, false};
    return {{"SET LOCAL default_tablespace = " + quote_ident(d.tablespace), d.indexdef}, true};
}

BuildStep reindex_step(const IndexDef& d) {
    return {{"REINDEX INDEX " + quote_qualified(d.schema, d.index)}, false};
}

std::vector<std::string> finish_statements(const IndexDef& d, bool constraint_exists) {
    std::vector<std::string> s;
    const std::string table = quote_qualified(d.schema, d.table);
    // After ADD CONSTRAINT ... USING INDEX the index carries the constraint's name.
    const std::string name = d.is_constraint() ? d.constraint : d.index;
    if (d.is_constraint() && !constraint_exists) {
        std::string a = "ALTER TABLE ONLY " + table + " ADD CONSTRAINT " + quote_ident(d.constraint) +
                        (d.contype == 'p' ? " PRIMARY KEY" : " UNIQUE") + " USING INDEX " +
                        quote_ident(d.index);
        if (d.deferrable) a += " DEFERRABLE";
        if (d.deferred) a += " INITIALLY DEFERRED";
        s.push_back(a);
    }
    if (!d.is_constraint())
        for (auto& [col, target] : d.stat_targets)
            s.push_back("ALTER INDEX " + quote_qualified(d.schema, name) + " ALTER COLUMN " +
                        std::to_string(col) + " SET STATISTICS " + std::to_string(target));
    for (auto& e : d.extensions)
        s.push_back("ALTER INDEX " + quote_qualified(d.schema, name) + " DEPENDS ON EXTENSION " + quote_ident(e));
    if (d.clustered) s.push_back("ALTER TABLE " + table + " CLUSTER ON " + quote_ident(name));
    if (d.replident)
        s.push_back("ALTER TABLE ONLY " + table + " REPLICA IDENTITY USING INDEX " + quote_ident(name));
    return s;
}

std::string cleanup_statement(const IndexDef& d) {
    return "DROP INDEX IF EXISTS " + quote_qualified(d.schema, d.index);
}

std::set<IndexName> target_index_names(Connection& tgt) {
    Result r = tgt.exec(std::string(R"SQL(
SELECT n.nspname, c.relname
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('i', 'I') AND )SQL") + kUserSchemas);
    std::set<IndexName> out;
    for (int row = 0; row < PQntuples(r.get()); ++row) out.emplace(get(r.get(), row, 0), get(r.get(), row, 1));
    return out;
}

std::string target_index_query(const std::vector<IndexName>& names) {
    std::string list;
    for (auto& [schema, index] : names)
        list += (list.empty() ? "(" : ", (") + quote_literal(schema) + ", " + quote_literal(index) + ")";
    return R"SQL(SELECT n.nspname, c.relname, i.indisvalid AND i.indisready, tn.nspname, t.relname,
       pg_catalog.pg_get_indexdef(i.indexrelid),
       con.contype, con.conname, con.condeferrable, con.condeferred
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
  LEFT JOIN pg_catalog.pg_constraint con
    ON con.conrelid = i.indrelid AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
 WHERE (n.nspname::pg_catalog.text, c.relname::pg_catalog.text) IN ()SQL" +
           (list.empty() ? std::string("(NULL, NULL)") : list) + ")";
}

TargetIndexes parse_target_indexes(const PGresult* r) {
    TargetIndexes out;
    for (int row = 0; row < PQntuples(r); ++row) {
        TargetIndex t;
        t.schema = get(r, row, 0);
        t.index = get(r, row, 1);
        t.valid = get_bool(r, row, 2);
        t.table_schema = get(r, row, 3);
        t.table = get(r, row, 4);
        t.indexdef = get(r, row, 5);
        std::string ct = get(r, row, 6);
        t.contype = ct.empty() ? 0 : ct[0];
        t.constraint = get(r, row, 7);
        t.deferrable = get_bool(r, row, 8);
        t.deferred = get_bool(r, row, 9);
        out[{t.schema, t.index}] = std::move(t);
    }
    return out;
}

ObjectPlan plan_object(const IndexDef& d, const TargetIndex* t) {
    ObjectPlan p;
    if (!t) return p;
    bool same_index = t->table_schema == d.schema && t->table == d.table && t->indexdef == d.indexdef;
    bool same_constraint = t->contype == d.contype && t->constraint == d.constraint &&
                           t->deferrable == d.deferrable && t->deferred == d.deferred;
    // A constraint's index built before the ADD CONSTRAINT step of a run that stopped.
    bool constraint_to_add = d.is_constraint() && t->contype == 0;
    if (same_index && (same_constraint || constraint_to_add)) {
        p.build = !t->valid;
        p.reindex = !t->valid;
        p.constraint_exists = d.is_constraint() && !constraint_to_add;
        return p;
    }
    if (t->contype != 0)
        p.drop.push_back("ALTER TABLE ONLY " + quote_qualified(t->table_schema, t->table) +
                         " DROP CONSTRAINT " + quote_ident(t->constraint));
    else
        p.drop.push_back("DROP INDEX " + quote_qualified(t->schema, t->index));
    return p;
}

int64_t parse_memory_size(const std::string& s) {
    size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t digits = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    bool ok = i > digits && i - digits <= 16;
    int64_t n = ok ? std::stoll(s.substr(digits, i - digits)) : 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::string unit;
    for (; i < s.size(); ++i) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    int shift = -1;
    if (unit.empty() || unit == "b") shift = 0;
    else if (unit == "kb") shift = 10;
    else if (unit == "mb") shift = 20;
    else if (unit == "gb") shift = 30;
    else if (unit == "tb") shift = 40;
    if (!ok || shift < 0 || n > (int64_t(1) << (53 - shift)))
        throw Error("invalid memory size \"" + s + "\"", 2, {}, "use a number of bytes or a number with kB, MB, GB or TB");
    return n << shift;
}

int64_t session_work_mem_kb(int64_t total_bytes, int jobs) {
    int64_t kb = total_bytes / 1024 / std::max(jobs, 1);
    return std::clamp<int64_t>(kb, 1024, 2147483647);
}

}  // namespace fdwcopy

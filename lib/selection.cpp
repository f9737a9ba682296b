// The dependencies of a filtered selection (see selection.h).
#include "selection.h"

#include <cstdlib>
#include <map>
#include <set>
#include <utility>

#include "tsv.h"

namespace fdwcopy {

namespace {

// Catalog oids are fixed in PostgreSQL (genbki): the queries below use them as
// numbers, as pg_dump's TOC entries show them.
//   1247 pg_type  1255 pg_proc  1259 pg_class  1417 pg_foreign_server
//   1418 pg_user_mapping  2328 pg_foreign_data_wrapper  2604 pg_attrdef
//   2606 pg_constraint  2618 pg_rewrite  2620 pg_trigger  3079 pg_extension
//   3256 pg_policy  3381 pg_statistic_ext
constexpr uint32_t kClass = 1259;
constexpr uint32_t kConstraint = 2606;  // pg_constraint
// FirstNormalObjectId: objects below it are the system's (initdb's).
constexpr uint32_t kFirstNormalOid = 16384;

using Key = std::pair<uint32_t, uint32_t>;  // (catalog oid, oid)

uint32_t to_oid(const char* s) { return static_cast<uint32_t>(std::strtoul(s, nullptr, 10)); }

std::string array_literal(const std::vector<uint32_t>& v) {
    std::string s = "{";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "}";
}

std::set<uint32_t> relation_oids(Connection& src, const std::string& pred) {
    Result r = src.exec(
        "SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid OPERATOR(pg_catalog.=) c.relnamespace WHERE " + pred);
    std::set<uint32_t> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.insert(to_oid(PQgetvalue(r.get(), i, 0)));
    return out;
}

// One step of the closure: for the objects $1/$2 (catalog oids, oids), their
// parts (a relation's defaults, constraints, triggers, rules, policies,
// indexes, statistics; a domain's constraints; a composite type's class), what
// those depend on, mapped to the object that has a TOC entry. Run under an
// empty search_path.
const char* kClosureStep = R"SQL(
WITH f AS (SELECT * FROM unnest($1::oid[], $2::oid[]) AS f(classid, objid)),
obj AS (
  SELECT f.classid, f.objid FROM f
  UNION SELECT d.classid, d.objid FROM f JOIN pg_depend d
    ON f.classid = 1259 AND d.refclassid = 1259 AND d.refobjid = f.objid AND d.deptype IN ('a', 'i')
   AND d.classid IN (2604, 2606, 2620, 2618, 3256, 3381)
  UNION SELECT 1259, i.indexrelid FROM f JOIN pg_index i ON f.classid = 1259 AND i.indrelid = f.objid
  UNION SELECT 2606, k.oid FROM f JOIN pg_constraint k ON f.classid = 1247 AND k.contypid = f.objid
  UNION SELECT 1259, t.typrelid FROM f JOIN pg_type t ON f.classid = 1247 AND t.oid = f.objid AND t.typrelid <> 0
),
ref AS (
  SELECT o.classid AS oc, o.objid AS oo, d.objsubid AS os, d.refclassid AS rc, d.refobjid AS ro
  FROM obj o JOIN pg_depend d ON d.classid = o.classid AND d.objid = o.objid
  WHERE d.refobjid >= 16384 AND (d.deptype = 'n' OR (d.deptype IN ('a', 'i') AND o.classid <> 1259))
),
m1 AS (
  SELECT ref.*, x.c, x.o FROM ref, LATERAL (
    SELECT 1247::oid, CASE WHEN t.typelem <> 0 AND t.typsubscript = 'array_subscript_handler'::regproc
                      THEN t.typelem ELSE t.oid END
      FROM pg_type t WHERE ref.rc = 1247 AND t.oid = ref.ro
    UNION ALL SELECT 1259, i.indrelid FROM pg_index i WHERE ref.rc = 1259 AND i.indexrelid = ref.ro
    UNION ALL SELECT 1259, a.adrelid FROM pg_attrdef a WHERE ref.rc = 2604 AND a.oid = ref.ro
    UNION ALL SELECT CASE WHEN k.conrelid <> 0 THEN 1259::oid ELSE 1247::oid END,
                     CASE WHEN k.conrelid <> 0 THEN k.conrelid ELSE k.contypid END
      FROM pg_constraint k WHERE ref.rc = 2606 AND k.oid = ref.ro
    UNION ALL SELECT 1259, g.tgrelid FROM pg_trigger g WHERE ref.rc = 2620 AND g.oid = ref.ro
    UNION ALL SELECT 1259, w.ev_class FROM pg_rewrite w WHERE ref.rc = 2618 AND w.oid = ref.ro
    UNION ALL SELECT ref.rc, ref.ro WHERE ref.rc NOT IN (1247, 2604, 2606, 2620, 2618)
      AND NOT (ref.rc = 1259 AND EXISTS (SELECT FROM pg_index i WHERE i.indexrelid = ref.ro))
  ) x(c, o)
),
m2 AS (
  SELECT m1.*,
    CASE WHEN m1.c = 1247 AND tr.relkind <> 'c' THEN 1259::oid
         WHEN m1.c = 1259 AND cr.relkind = 'c' THEN 1247::oid ELSE m1.c END AS c2,
    CASE WHEN m1.c = 1247 AND tr.relkind <> 'c' THEN tr.oid
         WHEN m1.c = 1259 AND cr.relkind = 'c' THEN cr.reltype ELSE m1.o END AS o2
  FROM m1 LEFT JOIN pg_type t ON m1.c = 1247 AND t.oid = m1.o
  LEFT JOIN pg_class tr ON tr.oid = t.typrelid
  LEFT JOIN pg_class cr ON m1.c = 1259 AND cr.oid = m1.o
),
m3 AS (
  SELECT m2.*, coalesce(e.c, m2.c2) AS c3, coalesce(e.o, m2.o2) AS o3 FROM m2
  LEFT JOIN LATERAL (SELECT d.refclassid, d.refobjid FROM pg_depend d
    WHERE d.classid = m2.c2 AND d.objid = m2.o2 AND d.deptype = 'e' LIMIT 1) e(c, o) ON true
)
SELECT DISTINCT ON (m3.c3, m3.o3) m3.c3, m3.o3, coalesce(k.relkind::text, ''),
  CASE WHEN m3.c3 = 1247 AND (SELECT t.typtype FROM pg_type t WHERE t.oid = m3.o3) = 'd'
       THEN 'domain' ELSE io.type END, io.identity,
  ir.type || ' ' || ir.identity
FROM m3
CROSS JOIN LATERAL pg_identify_object(m3.c3, m3.o3, 0) io
CROSS JOIN LATERAL pg_identify_object(m3.oc, m3.oo, m3.os) ir
LEFT JOIN pg_class k ON m3.c3 = 1259 AND k.oid = m3.o3
WHERE m3.o3 >= 16384 AND m3.c3 NOT IN (1417, 1418, 2328)
  AND (m3.c3 <> 1259 OR k.relkind IN ('r', 'p', 'f', 'v', 'm', 'S'))
ORDER BY m3.c3, m3.o3, m3.oc, m3.oo, m3.os
)SQL";

// The sequences owned by the tables $1 (serial / OWNED BY, identity): pg_dump
// dumps them with their table.
const char* kOwnedSequences = R"SQL(
SELECT s.oid, io.type, io.identity, ir.type || ' ' || ir.identity
FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
CROSS JOIN LATERAL pg_identify_object(1259, s.oid, 0) io
CROSS JOIN LATERAL pg_identify_object(1259, d.refobjid, d.refobjsubid) ir
WHERE d.classid = 1259 AND d.refclassid = 1259 AND d.refobjid = ANY ($1::oid[]) AND d.deptype IN ('a', 'i')
ORDER BY s.oid
)SQL";

// The views and materialized views whose rule depends on one of the relations
// $1, and those depending on them, with the relation each depends on.
const char* kDependentViews = R"SQL(
WITH RECURSIVE dep(oid, why) AS (
  SELECT w.ev_class, d.refobjid FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid
  WHERE d.classid = 2618 AND d.refclassid = 1259 AND d.refobjid = ANY ($1::oid[]) AND w.ev_class <> d.refobjid
  UNION
  SELECT w.ev_class, d.refobjid FROM dep JOIN pg_depend d ON d.refclassid = 1259 AND d.refobjid = dep.oid
  JOIN pg_rewrite w ON w.oid = d.objid
  WHERE d.classid = 2618 AND w.ev_class <> d.refobjid
)
SELECT DISTINCT ON (dep.oid) dep.oid, c.relkind, io.type, io.identity, ir.type || ' ' || ir.identity
FROM dep JOIN pg_class c ON c.oid = dep.oid
CROSS JOIN LATERAL pg_identify_object(1259, dep.oid, 0) io
CROSS JOIN LATERAL pg_identify_object(1259, dep.why, 0) ir
WHERE c.relkind IN ('v', 'm')
ORDER BY dep.oid, dep.why
)SQL";

// The foreign keys of the restored tables ($1) that reference a relation
// left out ($2): pg_dump dumps them with their table, and their ADD
// CONSTRAINT would fail in the post-data. Only the partitioned table's own
// (conparentid 0): a partition's copy comes with it. Each with the
// referenced relation.
const char* kDanglingForeignKeys = R"SQL(
SELECT k.oid, io.type, io.identity, ir.type || ' ' || ir.identity
FROM pg_constraint k
CROSS JOIN LATERAL pg_identify_object(2606, k.oid, 0) io
CROSS JOIN LATERAL pg_identify_object(1259, k.confrelid, 0) ir
WHERE k.contype = 'f' AND k.conparentid = 0
  AND k.conrelid = ANY ($1::oid[]) AND k.confrelid = ANY ($2::oid[])
ORDER BY k.oid
)SQL";

}  // namespace

std::vector<SelectionChange> selection_changes(Connection& src, const TableFilters& f) {
    std::vector<SelectionChange> out;
    if (!f.with_dependencies || f.empty()) return out;
    // Patterns are matched under the default search_path (the caller's).
    std::set<uint32_t> selected = relation_oids(src, selected_relation_predicate(f, "n", "c"));
    std::set<uint32_t> refused;  // relations an exclude-table pattern names
    if (!f.exclude_table.empty()) {
        TableFilters ex;
        ex.include_table = f.exclude_table;
        refused = relation_oids(src, filter_predicate(ex, "n", "c"));
    }
    std::set<uint32_t> all;  // every relation a whole clone restores
    if (!selected.empty()) all = relation_oids(src, selected_relation_predicate(TableFilters{}, "n", "c"));
    src.exec("SELECT pg_catalog.set_config('search_path', '', false)");

    if (!f.include_table.empty()) {
        std::set<Key> known;
        std::vector<Key> frontier;
        for (uint32_t o : selected) {
            known.insert({kClass, o});
            frontier.push_back({kClass, o});
        }
        while (!frontier.empty()) {
            std::vector<uint32_t> classes, objs;
            for (auto& k : frontier) {
                classes.push_back(k.first);
                objs.push_back(k.second);
            }
            frontier.clear();
            Result r = src.exec_params(kClosureStep, {array_literal(classes), array_literal(objs)});
            std::vector<uint32_t> new_tables;
            for (int i = 0; i < PQntuples(r.get()); ++i) {
                SelectionChange c;
                c.catalog_oid = to_oid(PQgetvalue(r.get(), i, 0));
                c.oid = to_oid(PQgetvalue(r.get(), i, 1));
                if (known.count({c.catalog_oid, c.oid})) continue;
                if (c.catalog_oid == kClass && refused.count(c.oid)) continue;
                if (c.oid < kFirstNormalOid) continue;
                c.relkind = PQgetvalue(r.get(), i, 2)[0];
                c.type = PQgetvalue(r.get(), i, 3);
                c.identity = PQgetvalue(r.get(), i, 4);
                c.reason = PQgetvalue(r.get(), i, 5);
                known.insert({c.catalog_oid, c.oid});
                frontier.push_back({c.catalog_oid, c.oid});
                if (c.catalog_oid == kClass && c.relkind != 'S') new_tables.push_back(c.oid);
                out.push_back(c);
            }
            if (new_tables.empty()) continue;
            Result s = src.exec_params(kOwnedSequences, {array_literal(new_tables)});
            for (int i = 0; i < PQntuples(s.get()); ++i) {
                SelectionChange c;
                c.catalog_oid = kClass;
                c.oid = to_oid(PQgetvalue(s.get(), i, 0));
                if (known.count({kClass, c.oid})) continue;
                c.relkind = 'S';
                c.type = PQgetvalue(s.get(), i, 1);
                c.identity = PQgetvalue(s.get(), i, 2);
                c.reason = "owned by " + std::string(PQgetvalue(s.get(), i, 3));
                known.insert({kClass, c.oid});
                frontier.push_back({kClass, c.oid});
                out.push_back(c);
            }
        }
    }

    // The relations restored: those selected and those added.
    std::set<uint32_t> restored = selected;
    for (auto& c : out)
        if (c.catalog_oid == kClass) restored.insert(c.oid);
    std::vector<uint32_t> left_out;
    for (uint32_t o : all)
        if (!restored.count(o)) left_out.push_back(o);
    if (!left_out.empty()) {
        Result r = src.exec_params(kDependentViews, {array_literal(left_out)});
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            SelectionChange c;
            c.exclude = true;
            c.catalog_oid = kClass;
            c.oid = to_oid(PQgetvalue(r.get(), i, 0));
            if (!restored.count(c.oid)) continue;
            c.relkind = PQgetvalue(r.get(), i, 1)[0];
            c.type = PQgetvalue(r.get(), i, 2);
            c.identity = PQgetvalue(r.get(), i, 3);
            c.reason = "depends on " + std::string(PQgetvalue(r.get(), i, 4)) + ", which is not selected";
            out.push_back(c);
        }
        std::vector<uint32_t> kept(restored.begin(), restored.end());
        Result k = src.exec_params(kDanglingForeignKeys, {array_literal(kept), array_literal(left_out)});
        for (int i = 0; i < PQntuples(k.get()); ++i) {
            SelectionChange c;
            c.exclude = true;
            c.catalog_oid = kConstraint;
            c.oid = to_oid(PQgetvalue(k.get(), i, 0));
            c.type = PQgetvalue(k.get(), i, 1);
            c.identity = PQgetvalue(k.get(), i, 2);
            c.reason = "references " + std::string(PQgetvalue(k.get(), i, 3)) + ", which is not selected";
            out.push_back(c);
        }
    }
    src.exec("RESET search_path");
    return out;
}

std::string predicate_with_changes(const std::string& pred, const std::vector<SelectionChange>& changes,
                                   const std::string& rel) {
    std::vector<uint32_t> add, exclude;
    for (auto& c : changes) {
        if (c.catalog_oid != kClass) continue;
        (c.exclude ? exclude : add).push_back(c.oid);
    }
    std::string s = pred;
    if (!add.empty())
        s = "(" + s + " OR " + rel + ".oid OPERATOR(pg_catalog.=) ANY ('" + array_literal(add) +
            "'::pg_catalog.oid[]))";
    if (!exclude.empty())
        s = "(" + s + " AND NOT " + rel + ".oid OPERATOR(pg_catalog.=) ANY ('" + array_literal(exclude) +
            "'::pg_catalog.oid[]))";
    return s;
}

std::string format_change_line(const SelectionChange& c) {
    return tsv_join({std::to_string(c.catalog_oid), std::to_string(c.oid), c.exclude ? "exclude" : "add",
                     c.relkind ? std::string(1, c.relkind) : "-", c.type, c.identity, c.reason});
}

}  // namespace fdwcopy

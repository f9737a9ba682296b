// What index-build creates for a table, and how: the indexes and PRIMARY KEY /
// UNIQUE constraints of ordinary tables and leaf partitions read from the source
// catalog, the statements that recreate each one on the target exactly as the
// post-data TOC entry that pg_dump writes for it would, and the rerun rule for
// objects that already exist on the target.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "conn.h"
#include "donestream.h"

namespace fdwcopy {

// One index of a source table, with the constraint it backs, if any.
// Fields follow pg_dump's getIndexes() (pg_index, pg_class, pg_constraint).
struct IndexDef {
    uint32_t table_oid = 0;         // pg_index.indrelid
    std::string schema;             // namespace of the table (and of the index)
    std::string table;              // table name
    uint32_t index_oid = 0;         // pg_class.oid of the index
    std::string index;              // index name
    std::string indexdef;           // pg_get_indexdef(), with search_path = ''
    char contype = 0;               // 'p' PRIMARY KEY, 'u' UNIQUE, 0 plain index
    uint32_t constraint_oid = 0;    // pg_constraint.oid when contype != 0
    std::string constraint;         // constraint name when contype != 0
    bool deferrable = false;        // condeferrable
    bool deferred = false;          // condeferred (INITIALLY DEFERRED)
    bool clustered = false;         // indisclustered: ALTER TABLE ... CLUSTER ON
    bool replident = false;         // indisreplident: REPLICA IDENTITY USING INDEX
    std::string tablespace;         // "" = the database's default
    std::vector<std::pair<int, int>> stat_targets;  // (index column number, attstattarget >= 0)
    std::vector<std::string> extensions;            // ALTER INDEX ... DEPENDS ON EXTENSION
    int64_t bytes = 0;              // relpages * block size on the source (estimate, bytes)

    bool is_constraint() const { return contype != 0; }
    // The done-stream line for this object: (1259, index oid) INDEX for a plain
    // index, (2606, constraint oid) CONSTRAINT for a PK / UNIQUE constraint.
    DoneEntry done_entry() const;
    // "index \"s\".\"i\"" or "constraint \"c\" on \"s\".\"t\"", for messages.
    std::string label() const;
};

// The indexes of one table, largest (bytes) first.
struct TableIndexes {
    std::string schema, table;
    std::vector<IndexDef> indexes;
};

// Reads, in the current transaction (lib/snapshot.h: setup_source_session,
// then begin_snapshot_transaction), the valid and ready indexes of the given
// tables that are ordinary tables (relkind 'r', which includes leaf
// partitions) outside the system schemas, keyed by table oid; tables without
// such indexes are absent. Left out, as they stay in post-data: indexes that
// back an exclusion constraint (contype 'x'), and any index of a partitioned
// table, view or materialized view. pg_dump skips invalid indexes too.
// One query for the indexes and one for their extension dependencies, whatever
// the number of tables. Throws Error on a query failure.
std::map<uint32_t, TableIndexes> load_index_catalog(Connection& src, const std::vector<uint32_t>& tables);

// The build step: pg_get_indexdef's CREATE [UNIQUE] INDEX (a constraint's index
// under its own name). For an index outside the default tablespace it runs in
// a transaction after SET LOCAL default_tablespace, as pg_restore sets it per
// TOC entry (pg_get_indexdef has no TABLESPACE clause); the sessions' own
// default_tablespace is ''.
struct BuildStep {
    std::vector<std::string> stmts;  // each sent on its own
    bool transaction = false;        // run between BEGIN and COMMIT
};
BuildStep build_step(const IndexDef& d);
// REINDEX INDEX of the index (it keeps its tablespace).
BuildStep reindex_step(const IndexDef& d);

// The statements that complete the TOC entry after the build, in pg_dump's
// order (dumpIndex / dumpConstraint), to run in one transaction once no other
// build of the table is running: ALTER TABLE ONLY ... ADD CONSTRAINT ...
// PRIMARY KEY|UNIQUE USING INDEX ... [DEFERRABLE [INITIALLY DEFERRED]] for a
// constraint; ALTER INDEX ... ALTER COLUMN n SET STATISTICS v; ALTER INDEX ...
// DEPENDS ON EXTENSION e; ALTER TABLE ... CLUSTER ON; ALTER TABLE ONLY ...
// REPLICA IDENTITY USING INDEX. Empty for a plain index without any of these.
// With constraint_exists the ADD CONSTRAINT is left out (rerun, see plan_object).
std::vector<std::string> finish_statements(const IndexDef& d, bool constraint_exists = false);

// Drops whatever a failed finish step left: DROP INDEX IF EXISTS of the index
// under its build name.
std::string cleanup_statement(const IndexDef& d);

// An index that already exists on the target (see target_index_query).
struct TargetIndex {
    std::string schema, index;       // the index
    std::string table_schema, table; // its table
    bool valid = false;              // indisvalid AND indisready
    std::string indexdef;            // pg_get_indexdef with search_path = ''
    char contype = 0;                // constraint it backs: 'p', 'u', 'x' or 0
    std::string constraint;
    bool deferrable = false, deferred = false;
};
using TargetIndexes = std::map<std::pair<std::string, std::string>, TargetIndex>;  // (schema, index)

using IndexName = std::pair<std::string, std::string>;  // (schema, index)

// The (schema, name) of every index outside the system schemas on the target:
// a cheap catalog scan (no pg_get_indexdef), done once at start.
std::set<IndexName> target_index_names(Connection& tgt);

// A query for the details of the target's indexes named in names (values
// quoted with quote_literal), run with search_path = '' so that its
// pg_get_indexdef is comparable with the source's; parse its result with
// parse_target_indexes.
std::string target_index_query(const std::vector<IndexName>& names);
TargetIndexes parse_target_indexes(const PGresult* r);

// What to do for one object, given what the target already has (rerun rule):
//  - nothing of that name: build it;
//  - an index of the same table with the same pg_get_indexdef, and for a
//    constraint either no constraint yet or the same constraint (name, type,
//    DEFERRABLE, INITIALLY DEFERRED), for a plain index no constraint: keep it
//    if it is valid, REINDEX it if it is not (which also keeps it attached to
//    a partitioned index); then run the finish statements (idempotent; ADD
//    CONSTRAINT only if the constraint is missing) and write it to the done
//    stream;
//  - anything else under that name (another definition or table, another
//    constraint): drop it (ALTER TABLE ONLY ... DROP CONSTRAINT when it backs a
//    constraint, else DROP INDEX) and build it again.
struct ObjectPlan {
    std::vector<std::string> drop;    // run before the table's builds
    bool build = true;                // run build_step (or REINDEX)
    bool reindex = false;             // build by REINDEX INDEX of the existing index
    bool constraint_exists = false;   // pass to finish_statements
    bool reused() const { return !build; }
};
ObjectPlan plan_object(const IndexDef& d, const TargetIndex* existing);

// Parses a memory size: a number of bytes, or a number with a unit kB, MB, GB
// or TB (powers of 1024, as PostgreSQL's memory settings; case-insensitive,
// blanks allowed before the unit). Returns bytes. Throws Error on anything else
// or on a value above 2^53.
int64_t parse_memory_size(const std::string& s);

// maintenance_work_mem in kB for each of jobs sessions sharing total_bytes:
// total / jobs, at least 1024 kB (the server's minimum), at most 2147483647 kB.
int64_t session_work_mem_kb(int64_t total_bytes, int jobs);

}  // namespace fdwcopy

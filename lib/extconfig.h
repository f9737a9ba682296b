// Extension configuration tables: the tables an extension marks with
// pg_extension_config_dump() as holding user data (pg_extension.extconfig,
// with a WHERE condition per table in extcondition), e.g. pg_partman's
// part_config or the user rows of PostGIS's spatial_ref_sys. pg_dump dumps
// the rows matching the condition as the table's data; so does a clone
// (table-list's method "extconfig", lib/workitem.h).
#pragma once
#include <string>

#include "conn.h"
#include "workitem.h"

namespace fdwcopy {

// SQL boolean expression: pg_class alias rel is a configuration table of an
// extension (rel.oid is in some pg_extension.extconfig).
std::string extconfig_predicate(const std::string& rel);

// Reads, on conn, pg_extension.extcondition of the table w.schema.w.name (the
// element at the table's position in extconfig, as pg_dump pairs them) into
// w.condition ("WHERE ..." as the extension gave it, or "" for every row) and
// sets w.condition_read. Runs in conn's current transaction (the snapshot, on
// the source). Throws Error when the table is not a configuration table of an
// extension on that server, or the query fails.
void read_extension_condition(Connection& conn, WorkItem& w);

}  // namespace fdwcopy

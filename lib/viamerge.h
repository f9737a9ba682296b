// copy-table --via-fdw: compare and merge key ranges on the target alone,
// reading the source through postgres_fdw foreign tables (fdwcopy sync
// --via-fdw, for networks where only the target reaches the source). See
// copy-table(1), VIA FDW.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "copytable.h"

namespace fdwcopy {

// The hash of one column of a row over alias t: one or more bigint elements
// (comma-separated) for hash_array_extended, for a column of type
// (format_type text, "-" when the two sides' types differ or the collation
// is nondeterministic). Two rows hash alike only when the column's text, as
// fdwcopy verify compares it, is the same (up to hash collisions). Where the
// type has a hash function postgres_fdw sends to the remote server (a
// built-in immutable function; the integer types, text, varchar, char, uuid,
// boolean, date, timestamp[tz], numeric, floats, bytea, and arrays of the
// integer, text, uuid, boolean and bytea types), that function, so that the
// aggregate over the range is computed on the source, with a second element
// for what it hashes alike of different text: a numeric's scale (9, 9.0) or
// NaN/Infinity, a float's sign (-0, 0), an array's bounds ('[0:0]={8}',
// '{8}'; '{{1,2},{3,4}}', '{{1,2,3,4}}'); a date and timestamptz hashed so
// that infinity and -infinity work. Any other type (interval, jsonb, json,
// enums, domains, composite and range types, other arrays) hashes by its
// text in the "C" collation, computed on the target: the range's rows then
// cross the network. Equal values hash alike on any two servers.
std::string via_column_hash(const std::string& column, const std::string& type);

// SELECT count(*)::text, COALESCE(sum(hash_array_extended(ARRAY[hashes]::int8[],
// 0)), 0)::text FROM ONLY rel t [WHERE predicate]: the row count and
// order-independent row hash of a range, the same query on the target's table
// and on the source's foreign table (postgres_fdw pushes the aggregate down
// when every hash can be sent).
std::string via_hash_sql(const std::string& rel, const std::vector<std::string>& hashes, const std::string& predicate);

// Runs copy-table --via-fdw (opt.via_server set): every item is handled on
// the target only. The source's relation of an item is the foreign table of
// server opt.via_server whose options are schema_name and table_name of the
// item (IMPORT FOREIGN SCHEMA's, or a foreign table over a sequence). With
// opt.via_diff each item is compared (via_hash_sql on both; a sequence's
// last_value and is_called) and the work line of each one that differs is
// written, as table-diff does. Otherwise each item is merged in one target
// transaction: a key range's target rows whose key the source lacks deleted
// (opt.del), then INSERT ... SELECT from the foreign table ON CONFLICT (key)
// DO UPDATE of the rows whose text differs; a whole table emptied (DELETE)
// and filled; a sequence set; one result line each (--merge's 18 fields).
// Returns 0, or 1 after a failure (reported naming the item).
int run_via_fdw(const std::string& target_conninfo, const std::vector<std::string>& items, const CopyOptions& opt);

}  // namespace fdwcopy

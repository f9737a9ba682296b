// Key-range chunks for sync (table-list --by-key, table-diff, copy-table
// --merge): a table cut into ranges of its primary key (or a unique not-null
// key) of one or more columns, the bounds written in the work line as
// PostgreSQL row literals and compared as rows. PostgreSQL docs: "Row
// Constructor Comparison" (row-wise >= and < as ORDER BY sorts) and
// "Composite Type Input and Output Syntax" (record_in / record_out).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "conn.h"
#include "workitem.h"

namespace fdwcopy {

// Formats values as a row literal, as record_out does: "(v1,v2,...)", a value
// double-quoted when it is empty or holds a double quote, backslash,
// parenthesis, comma or white space, with " and \ doubled inside the quotes.
// No value is NULL (key columns are NOT NULL).
std::string format_row_literal(const std::vector<std::string>& values);

// Parses a row literal as record_in does (quoted values with "" or \ escapes,
// backslash escapes outside quotes too). Throws Error on a malformed literal
// or a NULL (an empty unquoted) value.
std::vector<std::string> parse_row_literal(const std::string& text);

// SQL predicate (no WHERE) selecting the rows of key columns keys (unquoted
// names, quoted here, optionally prefixed with alias + ".") with lo <= key <
// hi, each bound a row literal of as many values as keys or "-" (unbounded).
// One column: "k" >= 'v' AND "k" < 'w'; more: ("a", "b") >= ('1', 'x') AND
// ("a", "b") < (...), the literals untyped so that each takes its column's
// type; "true" when both bounds are "-". Throws Error when a bound has the
// wrong number of values.
std::string range_predicate(const std::vector<std::string>& keys, const std::string& lo,
                            const std::string& hi, const std::string& alias = "");

// The key columns of a work item: for method "range" the row literal in its
// key field, for "key" the single column; throws Error for other methods.
std::vector<std::string> item_keys(const WorkItem& w);

// The query returning, in key order, the row literal (ROW(keys)::text) of
// every step-th row of schema.name within predicate (no WHERE; "" for all
// rows), starting with row step + 1: cut points that leave step rows in
// each range before them. Runs one ordered scan of the key (an index scan of
// the key's unique index). step >= 1.
std::string cut_points_sql(const std::string& schema, const std::string& name, const std::vector<std::string>& keys,
                           const std::string& predicate, int64_t step);

// The chunks of the range [whole.lo, whole.hi) of whole (method "range") at
// cut points c1 < c2 < ... (row literals strictly inside it): [lo, c1),
// [c1, c2), ..., [ck, hi). Each chunk keeps whole's part and parts; rows is
// step for the chunks ending at a cut and the rest (at least 0) of rows for
// the last; bytes are shared out in proportion. No cuts: {whole}.
std::vector<WorkItem> range_chunks(const WorkItem& whole, const std::vector<std::string>& cuts, int64_t step,
                                   int64_t rows);

// The key table-list --by-key cuts a table on: the columns of its primary key,
// else of a unique, valid, immediate, non-partial index without expressions
// whose columns are all NOT NULL (the fewest columns, then the lowest index
// oid), in index order. Empty when the table has none. Reads pg_index and
// pg_attribute of relation oid on conn.
std::vector<std::string> table_key(Connection& conn, uint32_t oid);

// The work items of one table cut into chunks of about chunk_rows rows on key
// keys: method "range", key = format_row_literal(keys), parts numbered 1..n
// in key order. Samples the key distribution of the table on conn (one ordered
// scan, cut_points_sql); an empty table is one chunk (lo and hi "-").
// The one chunk of a whole table on key keys before it is cut: method
// "range", key = format_row_literal(keys), lo and hi "-", part 1 of 1.
WorkItem key_chunks_base(const WorkItem& whole, const std::vector<std::string>& keys);

std::vector<WorkItem> key_chunks(Connection& conn, const WorkItem& whole, const std::vector<std::string>& keys,
                                 int64_t chunk_rows);

}  // namespace fdwcopy

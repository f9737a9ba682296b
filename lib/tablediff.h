// table-diff: finds the key ranges whose rows differ between a source and a
// target server without moving a row: per work item, a row count and an
// order-independent hash of the rows computed on each server; a key range
// that differs is cut into smaller ranges (from the source's key
// distribution) and compared again, down to a small range. Used by fdwcopy
// sync between table-list --by-key and copy-table --merge; see table-diff(1).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "workitem.h"

namespace fdwcopy {

struct DiffOptions {
    std::string snapshot;         // read the source in this exported snapshot; "" = the worker's own
    int jobs = 1;                 // worker threads, each with one session per side
    int64_t min_chunk_rows = 100; // a differing range of at most this many source rows is not cut again
    int fanout = 10;              // a differing range is cut into about this many ranges
    int64_t chunk_rows = 0;       // > 0: a differing range of more source rows is cut first into
                                  // ranges of this many rows (table-list --by-key --one-range
                                  // in: a whole table is hashed in one query, and only a table
                                  // that differs is cut), then compared as usual
    bool strict = false;          // a column on one side only is an error (default: a warning)
    bool text_hash = false;       // always hash the row text with md5 (table-checksum's query)
};

// What run_table_diff counted, for its last stderr line and for tests.
struct DiffStats {
    int64_t items = 0;      // work lines read
    int64_t compared = 0;   // comparisons made (items and the ranges cut from them)
    int64_t differing = 0;  // work lines written (ranges and items that differ)
};

// The columns that are compared and merged: those of the source's table (in
// attnum order) that the target's table has too, neither dropped nor
// generated. only_source and only_target get the others (for the warning).
std::vector<std::string> common_columns(const std::vector<std::string>& source, const std::vector<std::string>& target,
                                        std::vector<std::string>* only_source, std::vector<std::string>* only_target);

// One column's term of the row hash (the fast hash, PostgreSQL 14+ on both
// sides): a 64-bit hash of column col of alias t, seeded by its position
// (0-based), and a constant of its own for NULL, so that a value moved to
// another column or a NULL moved between columns changes the row's hash.
// type: the column's format_type text, the same on both sides ("" when the
// two sides' types differ). The integer types, text, varchar, char(n),
// "char", name, uuid, boolean and timestamp[tz] are hashed by their type's
// own hash function (timestamptz as its UTC wall-clock time); every other
// type by its text (numeric, floats, jsonb, interval, arrays and others
// have equal values with different text: 1.0 and 1.00, '1 day' and '24
// hours', arrays with other lower bounds, that their hash functions hash
// alike); text in the "C" collation (bytes, not a nondeterministic
// collation's equality). About a third cheaper than hash_record_extended
// over the same row (pgbench_accounts: 60 against 90 ms a side, 300,000
// rows).
std::string column_hash(const std::string& col, const std::string& type, size_t position);

// The column_hash terms of the columns names (in this order), typed by
// stype and ttype (format_type text by name, per side).
std::vector<std::string> row_hash_exprs(const std::vector<std::string>& names,
                                        const std::map<std::string, std::string>& stype,
                                        const std::map<std::string, std::string>& ttype);

// The row's 64-bit hash from its column terms: hashint8extended of their
// XOR (the XOR keeps the terms' independence; the final hash mixes it, so
// that sums over rows do not cancel, e.g. two rows swapping one column's
// values). table-diff and copy-table --merge hash rows alike.
std::string row_hash(const std::vector<std::string>& exprs);

// The fast query of one side's row count and row hash of table item w
// (whole or a key range): count(*) and the sum (numeric: order-independent,
// no overflow) of row_hash(exprs) over FROM ONLY the table t with w's
// predicate, as two text columns.
std::string row_hash_sql(const WorkItem& w, const std::vector<std::string>& exprs);

// The rows per range when a differing range of rows source rows is cut:
// max(min_chunk_rows, ceil(rows / fanout)); 0 when rows <= min_chunk_rows
// (not cut again). With chunk_rows > 0 and rows > chunk_rows: chunk_rows.
int64_t split_step(int64_t rows, int64_t min_chunk_rows, int fanout, int64_t chunk_rows = 0);

// Reads the work lines (items, or stdin when empty: empty lines and lines
// starting with '#' skipped), checks that every table and sequence of them
// exists on the target (each missing one named on stderr, exit 1 before any
// comparison), warns once per table about columns on one side only (an
// error with strict), then compares the items on options.jobs workers and
// writes on stdout, one write(2) each, the work line of every item or range
// that differs. Session settings as table-checksum's (lib/snapshot.h plus
// TimeZone UTC, bytea_output hex, lc_monetary C, read only) on both sides.
// Ends with one line on stderr: items, comparisons, differing (not with -q).
// Returns 0, or 1 after any failure (reported on stderr naming the item).
int run_table_diff(const std::string& source_conninfo, const std::string& target_conninfo,
                   const std::vector<std::string>& items, const DiffOptions& options, DiffStats* stats = nullptr);

}  // namespace fdwcopy

// Row-level comparison of one key range (copy-table --merge, fdwcopy sync):
// each server lists the (key, row hash) pairs of the range, sorted the same
// way on both sides; the two lists are streamed side by side and merged in
// one pass, giving the keys whose row differs or is missing on the target
// (to upsert) and the keys the target has that the source lacks (to
// delete). Only those rows are then read from the source and written to the
// target, instead of every row of the range.
//
// The order. Both lists are sorted by the key's row literal text
// (ROW(k1, k2, ...)::text) under the "C" collation, i.e. byte by byte, and
// compared here byte by byte (std::string, as memcmp), so that the order
// does not depend on either server's collations, on the key's types, or on
// the servers' versions: two servers give the same text for the same key
// (the sessions are set up alike: TimeZone UTC, DateStyle ISO,
// extra_float_digits 3, bytea_output hex), and the merge only needs both
// sides sorted by the same total order. Each list must be strictly
// increasing (the key is unique): a duplicate or an out-of-order key is an
// error naming the side, never a wrong diff.
//
// The hash is row_hash (lib/tablediff.h) over the column terms of
// row_hash_exprs, as table-diff's (PostgreSQL 14+): equal rows hash
// equally on both sides; a collision (two different rows, one 64-bit hash)
// goes unseen, as in table-diff.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "conn.h"
#include "workitem.h"

namespace fdwcopy {

// How the two lists are sorted and compared: Bytes as described above; for a
// key of one integer column (smallint, integer, bigint on both sides)
// Integer: the key's index order (no sort on the servers), compared as
// numbers here.
enum class KeyOrder { Bytes, Integer };

// The key order for key columns of these types (format_type text) on the
// source and the target.
KeyOrder key_order(const std::vector<std::string>& source_types, const std::vector<std::string>& target_types);

// The query (no COPY around it) listing the (key, hash) pairs of the rows of
// range w (FROM ONLY schema.name AS t, w's predicate) in order: the key as
// ROW(keys)::text sorted by its bytes (Bytes), or as the integer's text in
// its order (Integer). hash_expr is an SQL expression over alias t ("0"
// when only the keys are wanted).
std::string row_hash_list_sql(const WorkItem& w, const std::vector<std::string>& keys, const std::string& hash_expr,
                              KeyOrder order);

// Compares two keys of a list: <0, 0, >0. Bytes: as std::string (memcmp);
// Integer: as the integers (optionally written as a one-value row literal
// "(n)").
int compare_keys(const std::string& a, const std::string& b, KeyOrder order);

// The result of merging the two lists.
struct RowDiff {
    // Keys as the lists give them (row literals; an Integer key as its bare
    // number: key_set_condition takes both).
    std::vector<std::string> upsert;  // source keys whose row is missing on the target or differs
    std::vector<std::string> remove;  // target keys the source does not have
    int64_t source_rows = 0, target_rows = 0;
    int64_t differing = 0;            // upsert + remove, counted even when not kept
    bool overflow = false;            // more than max_keys differed: the key lists are incomplete
};

// One list: next(&key, &hash) gives the next pair, false at its end.
using KeyHashNext = std::function<bool(std::string* key, std::string* hash)>;

// One differing key of a merge: remove = the target has it and the source
// does not; else the source's row is missing on the target or differs.
using KeyDiffEmit = std::function<void(bool remove, const std::string& key)>;

// Merges the two sorted lists (see above) as they are read, in memory
// independent of their length: emit(remove, key) for every differing key,
// in key order; *source_rows and *target_rows get the lengths of the lists
// (added to). Throws Error("<side>: ...") when a list is not strictly
// increasing, and whatever emit throws.
void diff_sorted_streams(const KeyHashNext& source, const KeyHashNext& target, KeyOrder order, const KeyDiffEmit& emit,
                         int64_t* source_rows, int64_t* target_rows);

// Merges the two sorted lists (see above) into *out. At most max_keys keys
// are kept in upsert + remove; past that overflow is set and the rest is only
// counted (both lists are still read to their end). Throws Error("<side>:
// ...") when a list is not strictly increasing.
void diff_sorted_lists(const KeyHashNext& source, const KeyHashNext& target, KeyOrder order, size_t max_keys,
                       RowDiff* out);

// Reads the rows of a COPY ... TO STDOUT (text format) already started on a
// connection, one line (without its newline) per row. next() returns false
// at the end, after checking the COPY's final result; throws Error("<role>:
// ...") on a failure.
class CopyOutLines {
public:
    explicit CopyOutLines(Connection& conn) : conn_(conn) {}
    bool next(std::string* line);

private:
    Connection& conn_;
    bool done_ = false;
};

// Splits a (key, hash) COPY text line into its two fields, the key
// unescaped (COPY text escapes); throws Error on another field count.
void split_key_hash(const std::string& line, std::string* key, std::string* hash);

// The KeyHashNext of a (key, hash) COPY read by lines: each call reads the
// next line into *line (a buffer the caller keeps, which may be shared by
// readers called one at a time) and splits it (split_key_hash); false at
// the end of the COPY. Errors as CopyOutLines::next and split_key_hash.
KeyHashNext key_hash_reader(CopyOutLines& lines, std::string* line);

// An SQL condition over alias t that is true for the rows whose key (columns
// keys, of types types: format_type text, qualified as needed) is one of
// key_literals (row literals as ROW(keys)::text gives them, or for a key of
// one column the bare value of an integer key list):
//   EXISTS (SELECT FROM ROWS FROM (pg_catalog.unnest('{...}'::T1[]), ...) u(k1, ...)
//           WHERE u.k1 OPERATOR(pg_catalog.=) t."a" AND ...)
// a semi-join the planner can drive from the list (index lookups of the key)
// or from the range. Throws Error when a literal has the wrong number of
// values. key_literals must not be empty.
std::string key_set_condition(const std::vector<std::string>& keys, const std::vector<std::string>& types,
                              const std::vector<std::string>& key_literals);

// The array literal ('{"v1","v2"}' before SQL quoting) of values: every
// element double-quoted, with " and \ escaped by a backslash (PostgreSQL
// docs, "Array Value Input"). No element is NULL.
std::string array_literal(const std::vector<std::string>& values);

}  // namespace fdwcopy

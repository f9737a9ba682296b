// table-checksum: compares work items (tables, key-range parts, materialized
// views, sequences, large objects) between a source and a target server by
// row count and an order-independent checksum computed on each server, so that
// no row leaves either server. Used by fdwcopy verify; see table-checksum(1).
#pragma once
#include <string>
#include <vector>

#include "conn.h"
#include "log.h"
#include "workitem.h"

namespace fdwcopy {

struct ChecksumOptions {
    int jobs = 1;  // items compared at a time; each worker has one session per side
    // Not empty: a table item is read on the target from this table instead
    // of the one of its own name (fdwcopy archive: the archive table), and
    // rows are hashed over the source table's columns by name (in the
    // source's order: ROW(t.c1, t.c2, ...)), so that the two tables may
    // order their columns differently.
    std::string target_schema, target_name;
    // A table item may be a foreign table (relkind 'f') on either side: its
    // rows are read through its server (fdwcopy archive, after the swap).
    bool foreign = false;
};

// One side's answer for one item.
struct SideSum {
    bool found = true;   // the relation exists on this side (with the item's relkind)
    bool failed = false; // a query failed: error holds the message
    Error error{""};
    // table, matview, blobs: rows (or objects) and checksum; a matview that is
    // not populated: "-" and "unpopulated". sequence: last_value and is_called
    // ("true" / "false"). "-" and "-" when not found or failed.
    std::string value = "-", sum = "-";
};

// The result of one item: status "equal", "differ", "missing" (not on the
// target) or "error" (a query failed on a side, or the item cannot be compared).
struct ChecksumResult {
    WorkItem item;
    SideSum source, target;
    std::string status;
};

// The relkind a work item's relation has in pg_class: 'r' table, 'S' sequence,
// 'm' matview; 0 for blobs (no relation).
char item_relkind(const WorkItem& w);

// The query computing one side's value and checksum of w, as two text
// columns, for a session whose search_path is empty (names qualified):
//   table (whole or key part): count(*) and md5 of the sum of the first 64
//     bits of md5(ROW(t.*)::text) of each row (numeric: no overflow) over
//     FROM ONLY the table, with the part's predicate (lib/workitem.h); for an
//     extension configuration table (method extconfig) the caller has read
//     the condition into w (compare() reads the source's);
//   matview: the same over the materialized view (caller checks it is populated);
//   sequence: last_value and is_called;
//   blobs: count and the same sum over md5(oid || ':' || md5(lo_get(oid))).
// With cols (unquoted column names, quoted here), a table's rows are hashed as
// ROW(t.c1, t.c2, ...)::text instead of ROW(t.*)::text: the columns both
// sides have, in one order, for table-diff.
// Throws Error for a ctid part: page ranges differ between servers, so a page
// range of the source is not the same rows as that range of the target.
// With with_partitions, a table is read without ONLY: a table partitioned on
// this side (the other side's plain table), its rows being its partitions'.
std::string checksum_sql(const WorkItem& w, const std::vector<std::string>& cols = {},
                         bool with_partitions = false);

// The session settings of a comparison, on each side: setup_source_session's
// (lib/snapshot.h) plus what makes row text render the same on both servers:
// TimeZone UTC, bytea_output hex, lc_monetary C; and
// default_transaction_read_only on (comparing never writes). Throws Error.
void setup_compare_session(Connection& conn);

// "equal", "differ", "missing" or "error" for the two sides' answers.
std::string checksum_status(const SideSum& source, const SideSum& target);

// Names the item in messages: table "s"."t" [part P/N], sequence "s"."q",
// materialized view "s"."m", large objects.
std::string checksum_subject(const WorkItem& w);

// The output line of r: kind, schema, name, part, parts, source value,
// source checksum, target value, target checksum, status; tab-separated,
// fields escaped with tsv_escape; no trailing newline.
std::string format_checksum_line(const ChecksumResult& r);

// Compares each item given (work lines), or each line of stdin when items is
// empty (empty lines and lines starting with '#' are skipped), printing one
// output line per item (format_checksum_line) on stdout with one write(2) each,
// in the order the items finish. options.jobs worker threads take the items in
// input order, each with one session per side (opened on its first item,
// reopened after a lost connection), both sides queried at once. Session
// settings are the same on both sides so that row text renders the same:
// DateStyle ISO, IntervalStyle postgres, TimeZone UTC, extra_float_digits 3,
// bytea_output hex, lc_monetary C, default_transaction_read_only on, empty
// search_path. A failed item is reported on stderr ("<subject> on <side>:
// <libpq message>") and its line has status "error"; the other items go on.
// Returns 0 when every item was compared (whatever the statuses), 1 when an
// item failed, a line could not be parsed or the first connection failed.
int run_table_checksum(const std::string& source_conninfo, const std::string& target_conninfo,
                       const std::vector<std::string>& items, const ChecksumOptions& options);

}  // namespace fdwcopy

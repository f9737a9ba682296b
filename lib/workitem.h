// The work stream record: one line per table, table part, sequence or
// large-object batch, written by table-list, read by copy-table; copy-table's
// result line is the same record followed by rows, bytes and seconds, read by
// index-build and by the fdwcopy driver. Documented in table-list(1).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace fdwcopy {

// Columns of a work line, tab-separated, fields escaped with tsv_escape:
//   1 kind     "table" | "sequence" | "blobs" | "matview" (table-list --matviews:
//              compared by table-checksum, never copied)
//   2 oid      pg_class oid of the relation on the source (0 for blobs)
//   3 schema   nspname (unescaped text; "-" for blobs)
//   4 name     relname ("-" for blobs)
//   5 bytes    estimated size of the item in bytes (pg_table_size share)
//   6 rows     estimated rows (reltuples share; 0 when unknown)
//   7 part     1-based part number
//   8 parts    number of parts of the table (1 when not split)
//   9 method   "-" whole table; "key" integer key range; "ctid" heap page range;
//              "range" key range of table-list --by-key (lib/keyrange.h);
//              "extconfig" the rows of an extension configuration table that
//              match its extension's condition (pg_extension_config_dump():
//              pg_extension.extconfig / extcondition), as pg_dump dumps them
//  10 key      key column name for method "key"; for "range" the key columns
//              as a row literal ("(id)", "(a,b)"); else "-"
//  11 lo       inclusive lower bound ("-" = unbounded); a row literal for "range"
//  12 hi       exclusive upper bound ("-" = unbounded); a row literal for "range"
// For method "key" the part with lo "-" also holds the rows whose key IS NULL,
// so the parts cover every row exactly once. For "ctid", lo and hi are block
// numbers: ctid >= '(lo,0)' AND ctid < '(hi,0)' (a TID range scan, PostgreSQL 14+).
// For "range" the key columns are NOT NULL and the bounds compare as rows:
// ("a", "b") >= ('1', 'x') AND ("a", "b") < (...).
// For "extconfig" the condition is not in the line (PostGIS's is 10 kB, a
// line must stay below PIPE_BUF): the reader takes it from the catalog with
// read_extension_condition (lib/extconfig.h) into WorkItem::condition.
struct WorkItem {
    std::string kind = "table";
    uint32_t oid = 0;
    std::string schema, name;
    int64_t bytes = 0;
    int64_t rows = 0;
    int part = 1;
    int parts = 1;
    std::string method = "-";
    std::string key = "-";
    std::string lo = "-";
    std::string hi = "-";
    // Method "extconfig" only, not part of the line: pg_extension.extcondition
    // of the table as read from a server ("WHERE ..." or "" for every row).
    std::string condition;
    bool condition_read = false;

    bool whole() const { return method == "-"; }
    // "schema.name" (unquoted, for messages) plus " part P/N" when split.
    std::string label() const;
    // SQL predicate selecting this part's rows (without WHERE), "" for a whole
    // table. The key column is quoted; bounds are integers validated at parse,
    // or row literals (method "range") quoted as SQL literals.
    // For "extconfig": the condition without its WHERE ("true" when empty);
    // throws Error when the condition was not read or is not a WHERE clause.
    std::string predicate() const;
};

constexpr int kWorkFields = 12;
constexpr int kResultFields = 15;
// copy-table --merge's result line: a result line plus rows inserted, updated
// and deleted on the target.
constexpr int kMergeResultFields = 18;

// Parses a work line (12 fields) or a result line (15 or 18 fields; the extra
// ones are ignored here). Throws Error naming the line on a wrong field count, a bad
// number, or an unknown kind or method.
WorkItem parse_work_line(const std::string& line);
// Formats item as a work line, without the trailing newline.
std::string format_work_line(const WorkItem& item);

// copy-table's result line: work line + rows copied, bytes streamed, seconds.
struct ItemResult {
    WorkItem item;
    int64_t rows = 0;
    int64_t bytes = 0;
    double seconds = 0;
    bool merged = false;    // copy-table --merge of a key range: the three counts follow
    int64_t inserted = 0, updated = 0, deleted = 0;
};
ItemResult parse_result_line(const std::string& line);
std::string format_result_line(const ItemResult& r);

}  // namespace fdwcopy

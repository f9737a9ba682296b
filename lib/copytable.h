// copy-table: streams work items (tables, table parts, sequences, large
// objects) from a source server into a target server, COPY to COPY, with no
// intermediate file and memory independent of the table size. See
// man/copy-table.1 for the transaction rules that make a copy atomic and a
// rerun safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "log.h"
#include "workitem.h"

namespace fdwcopy {

enum class CopyFormat { Auto, Text, Binary };

// Parses "auto", "text" or "binary"; throws Error otherwise.
CopyFormat parse_copy_format(const std::string& s);

struct CopyOptions {
    std::string snapshot;               // exported snapshot id; "" = each item its own snapshot
    CopyFormat format = CopyFormat::Auto;
    bool progress = false;              // rows, MB, MB/s on stderr while copying
    bool keep_going = false;            // go on with the next item after a failure
    size_t chunk_bytes = 256 * 1024;    // bytes per CopyData message sent to the target
    int chunks = 4;                     // chunks in flight between the reader and the writer
    int jobs = 1;                       // items copied at a time, each worker with its own
                                        // source and target sessions, reused across items
    bool merge = false;                 // key ranges merged into existing rows (copy-table(1),
                                        // MERGE); every result line gets the three counts
    bool del = false;                   // with merge: delete the target's rows of a range
                                        // whose key the source does not have
    bool delete_only = false;           // with del: only that (the source's keys are read,
                                        // no row is upserted)
    int row_diff_max = 10;              // with merge: a range is compared row by row (key and
                                        // row hash lists, lib/rowdiff.h) and only its differing
                                        // rows merged while at most this percent of its rows
                                        // differ; above, the whole range is merged (0: always)
    int64_t batch_rows = 0;             // with merge, > 0: a range is compared row by row as its
                                        // (key, row hash) lists stream in (two more sessions, one
                                        // a side), its differing rows applied every batch_rows
                                        // differing keys, each batch one target transaction
                                        // (row_diff_max does not apply); 0: one transaction a range
    std::string since, updated_at;      // with merge, both set: only the source's rows of a range
                                        // with updated_at >= since (a timestamptz) are merged
                                        // (fdwcopy sync --since); no item is copied whole
    std::string target_schema, target_name;  // not empty: every table item is copied into
                                        // this table of the target (fdwcopy archive), not
                                        // into the one of the item's own name
    std::string via_server;             // not empty: the target alone merges, reading the source
                                        // through this postgres_fdw server's foreign tables
                                        // (lib/viamerge.h; fdwcopy sync --via-fdw)
    bool via_diff = false;              // with via_server: compare only, write the differing lines
    bool disable_triggers = false;      // session_replication_role = replica on the target:
                                        // neither foreign keys nor triggers fire while loading
                                        // (pg_restore --disable-triggers; superuser)
};

// What a whole-table item finds on the target, read in its transaction.
struct TargetTable {
    char relkind = 'r';           // 'r' table, 'p' partitioned table
    bool referenced = false;      // a foreign key of another table references it (or a partition)
    std::string foreign_partitions;  // its foreign partitions, "s.a, s.b" ("" = none)
};

// How a whole-table item empties its target table, in the transaction of its
// COPY (so a failed copy leaves the table as it was): sql to run, and whether
// the COPY may use FREEZE (only after a TRUNCATE of a plain table).
//   table:                TRUNCATE ONLY rel, FREEZE
//   partitioned table:    TRUNCATE rel (reaches every partition; COPY routes the
//                         rows), no FREEZE (not allowed on a partitioned table)
//   referenced by a foreign key of another table: DELETE FROM [ONLY] rel
//                         (TRUNCATE refuses), no FREEZE
// Throws Error for a partitioned table with foreign partitions (the rows and
// the TRUNCATE would reach a foreign server) and for other relkinds.
struct EmptyStep {
    std::string sql;
    bool freeze = false;
};
EmptyStep empty_target_table(const std::string& rel, const TargetTable& t);

// The source side of a COPY: COPY "s"."t" (cols) TO STDOUT for a whole table
// (a plain table COPY: no executor, the fastest way out), else
// COPY (SELECT cols FROM ONLY "s"."t" WHERE <part predicate>) TO STDOUT.
// cols are unquoted column names, quoted here; empty = all (zero columns).
std::string source_copy_sql(const WorkItem& item, const std::vector<std::string>& cols, bool binary);

// The target side: COPY "s"."t" (cols) FROM STDIN, with FREEZE when freeze.
std::string target_copy_sql(const WorkItem& item, const std::vector<std::string>& cols, bool binary,
                            bool freeze);

// A bounded hand-over of byte chunks from one producer thread to one consumer
// thread: at most `count` chunks exist, each reused (its capacity kept), so the
// memory is count x chunk size whatever is streamed. Either side can stop the
// other: the producer with finish(), the consumer with abort().
class ChunkPipe {
public:
    ChunkPipe(int count, size_t chunk_bytes);
    ~ChunkPipe();
    ChunkPipe(const ChunkPipe&) = delete;
    ChunkPipe& operator=(const ChunkPipe&) = delete;

    // Producer: an empty chunk to fill; nullptr once the consumer aborted.
    std::string* acquire();
    // Producer: hands a filled chunk to the consumer.
    void push(std::string* chunk);
    // Producer: no more chunks (after the last push).
    void finish();

    // Consumer: the next filled chunk; nullptr when the producer finished and
    // all chunks were taken, or when wait_ms passed first (then *timed_out is
    // set). wait_ms < 0 waits without limit.
    std::string* pop(int wait_ms, bool* timed_out);
    // Consumer: gives a sent chunk back for reuse.
    void release(std::string* chunk);
    // Consumer: stop; acquire() returns nullptr from now on.
    void abort();

private:
    struct State;
    State* s_;
};

// Builds the error reported for a failed item: "<prefix><first line of e>",
// with libpq's multi-line messages tidied: "DETAIL:" and "HINT:" lines of a
// server error become the detail and hint, libpq's "This probably means the
// server terminated abnormally" explanation is dropped, other extra lines are
// kept in the detail. e's own detail and hint are kept when it has them.
Error item_error(const std::string& prefix, const Error& e);

// Copies each item given (work lines), or each line of stdin when items is
// empty (empty lines and lines starting with '#' are skipped), printing one
// result line per finished item on stdout with a single write(2). Connects on
// the first item. Returns the exit code: 0, or 1 after a failure (reported on
// stderr naming the item). Without keep_going, stops at the first failure.
// With options.jobs = N > 1, N worker threads take the items in their input
// order (the work stream is largest first, so this is largest-first
// scheduling), each with its own pair of sessions opened on its first item and
// reused for the next ones; result lines are written whole, one write(2) each,
// in the order the items finish. After a failure (without keep_going) no worker
// starts another item; the items already running finish.
int run_copy_table(const std::string& source_conninfo, const std::string& target_conninfo,
                   const std::vector<std::string>& items, const CopyOptions& options);

}  // namespace fdwcopy

// copy-table's engine (see copytable.h): a reader thread takes rows from the
// source's COPY TO STDOUT and packs them into large chunks; the calling thread
// sends each chunk to the target's COPY FROM STDIN as one CopyData message.
// A small bounded pool of chunks between them lets reading and writing overlap
// while the memory stays constant.
#include "copytable.h"

#include <libpq-fe.h>
#include <libpq/libpq-fs.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <thread>

#include "conn.h"
#include "itemsource.h"
#include "extconfig.h"
#include "keyrange.h"
#include "rowdiff.h"
#include "tablediff.h"
#include "log.h"
#include "quote.h"
#include "size.h"
#include "snapshot.h"
#include "tablechecksum.h"

namespace fdwcopy {

CopyFormat parse_copy_format(const std::string& s) {
    if (s == "auto") return CopyFormat::Auto;
    if (s == "text") return CopyFormat::Text;
    if (s == "binary") return CopyFormat::Binary;
    throw Error("invalid format \"" + s + "\" (expected auto, text or binary)");
}

namespace {
std::string quoted_columns(const std::vector<std::string>& cols) {
    std::string s;
    for (size_t i = 0; i < cols.size(); ++i) s += (i ? ", " : "") + quote_ident(cols[i]);
    return s;
}
}  // namespace

std::string source_copy_sql(const WorkItem& item, const std::vector<std::string>& cols, bool binary) {
    std::string rel = quote_qualified(item.schema, item.name);
    std::string sql;
    if (item.whole()) {
        // COPY of a table (not of a query) copies that table only, never its
        // inheritance children or partitions: it is already ONLY.
        sql = "COPY " + rel + (cols.empty() ? "" : " (" + quoted_columns(cols) + ")") + " TO STDOUT";
    } else {
        sql = "COPY (SELECT " + quoted_columns(cols) + " FROM ONLY " + rel + " WHERE " + item.predicate() +
              ") TO STDOUT";
    }
    if (binary) sql += " (FORMAT binary)";
    return sql;
}

std::string target_copy_sql(const WorkItem& item, const std::vector<std::string>& cols, bool binary,
                            bool freeze) {
    std::string sql = "COPY " + quote_qualified(item.schema, item.name) +
                      (cols.empty() ? "" : " (" + quoted_columns(cols) + ")") + " FROM STDIN";
    if (binary && freeze) sql += " (FORMAT binary, FREEZE)";
    else if (binary) sql += " (FORMAT binary)";
    else if (freeze) sql += " (FREEZE)";
    return sql;
}

EmptyStep empty_target_table(const std::string& rel, const TargetTable& t) {
    if (t.relkind != 'r' && t.relkind != 'p')
        throw Error("target: " + rel + " is not a table (relkind " + std::string(1, t.relkind) + ")");
    if (t.relkind == 'p' && !t.foreign_partitions.empty())
        throw Error("target: partitioned table " + rel + " has foreign partitions (" + t.foreign_partitions +
                        "): copy-table would empty them and route rows to their foreign server",
                    1, "", "copy into the local partitions one by one, or detach the foreign ones first");
    std::string only = t.relkind == 'p' ? "" : "ONLY ";
    if (t.referenced) return {"DELETE FROM " + only + rel, false};
    return {"TRUNCATE " + only + rel, t.relkind == 'r'};
}

// ---------------------------------------------------------------- ChunkPipe

struct ChunkPipe::State {
    std::mutex mu;
    std::condition_variable can_fill, can_send;
    std::vector<std::unique_ptr<std::string>> all;
    std::deque<std::string*> free, full;
    size_t chunk_bytes;
    bool finished = false, aborted = false;
};

ChunkPipe::ChunkPipe(int count, size_t chunk_bytes) : s_(new State) {
    s_->chunk_bytes = chunk_bytes;
    for (int i = 0; i < std::max(count, 1); ++i) {
        s_->all.emplace_back(new std::string);
        s_->all.back()->reserve(chunk_bytes);
        s_->free.push_back(s_->all.back().get());
    }
}

ChunkPipe::~ChunkPipe() { delete s_; }

std::string* ChunkPipe::acquire() {
    std::unique_lock<std::mutex> lock(s_->mu);
    s_->can_fill.wait(lock, [&] { return s_->aborted || !s_->free.empty(); });
    if (s_->aborted) return nullptr;
    std::string* c = s_->free.front();
    s_->free.pop_front();
    c->clear();
    return c;
}

void ChunkPipe::push(std::string* chunk) {
    {
        std::lock_guard<std::mutex> lock(s_->mu);
        s_->full.push_back(chunk);
    }
    s_->can_send.notify_one();
}

void ChunkPipe::finish() {
    {
        std::lock_guard<std::mutex> lock(s_->mu);
        s_->finished = true;
    }
    s_->can_send.notify_one();
}

std::string* ChunkPipe::pop(int wait_ms, bool* timed_out) {
    if (timed_out) *timed_out = false;
    std::unique_lock<std::mutex> lock(s_->mu);
    auto ready = [&] { return !s_->full.empty() || s_->finished; };
    if (wait_ms < 0) {
        s_->can_send.wait(lock, ready);
    } else if (!s_->can_send.wait_for(lock, std::chrono::milliseconds(wait_ms), ready)) {
        if (timed_out) *timed_out = true;
        return nullptr;
    }
    if (s_->full.empty()) return nullptr;
    std::string* c = s_->full.front();
    s_->full.pop_front();
    return c;
}

void ChunkPipe::release(std::string* chunk) {
    {
        std::lock_guard<std::mutex> lock(s_->mu);
        // A row larger than a chunk made this one grow: give the memory back.
        if (chunk->capacity() > 4 * s_->chunk_bytes) {
            std::string fresh;
            fresh.reserve(s_->chunk_bytes);
            chunk->swap(fresh);
        }
        s_->free.push_back(chunk);
    }
    s_->can_fill.notify_one();
}

void ChunkPipe::abort() {
    {
        std::lock_guard<std::mutex> lock(s_->mu);
        s_->aborted = true;
    }
    s_->can_fill.notify_all();
}

// ---------------------------------------------------------------- Copier

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string describe(const WorkItem& w) {
    if (w.kind == "blobs") return "large objects";
    std::string s = w.kind + " \"" + w.schema + "." + w.name + "\"";
    if (w.parts > 1) s += " part " + std::to_string(w.part) + "/" + std::to_string(w.parts);
    return s;
}

// Which columns may go through binary COPY between two servers of the same
// major version: every type in the column's type tree (domain base types,
// array elements, range subtypes, composite attributes) has send and receive
// functions. The oids of user-defined types inside binary arrays and records
// differ between databases; array_recv and record_recv accept that since
// PostgreSQL 14, so the check applies from 14 on and older servers use text.
const char* kColumnsSql =
    "WITH RECURSIVE cols AS ("
    "  SELECT a.attnum, a.attname, a.atttypid FROM pg_catalog.pg_attribute a"
    "  WHERE a.attrelid = $1::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped"
    "    AND a.attgenerated = ''"
    "), types(attnum, typid, depth) AS ("
    "  SELECT attnum, atttypid, 0 FROM cols"
    "  UNION ALL"
    "  SELECT t.attnum, s.typid, t.depth + 1"
    "  FROM types t JOIN pg_catalog.pg_type ty ON ty.oid = t.typid"
    "  CROSS JOIN LATERAL ("
    "    SELECT ty.typbasetype WHERE ty.typtype = 'd'"
    "    UNION ALL SELECT ty.typelem WHERE ty.typelem <> 0 AND ty.typlen = -1"
    "    UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = ty.oid"
    "    UNION ALL SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid = ty.oid"
    "    UNION ALL SELECT ca.atttypid FROM pg_catalog.pg_attribute ca"
    "      WHERE ty.typtype = 'c' AND ca.attrelid = ty.typrelid AND ca.attnum > 0 AND NOT ca.attisdropped"
    "  ) s(typid)"
    "  WHERE t.depth < 16"
    ") "
    "SELECT c.attname, NOT EXISTS (SELECT FROM types t JOIN pg_catalog.pg_type ty ON ty.oid = t.typid"
    "  WHERE t.attnum = c.attnum AND (ty.typsend::pg_catalog.oid = 0 OR ty.typreceive::pg_catalog.oid = 0)) "
    "FROM cols c ORDER BY c.attnum";

// Columns only, for servers where the binary check does not apply.
const char* kColumnsPlainSql =
    "SELECT a.attname, false FROM pg_catalog.pg_attribute a"
    " WHERE a.attrelid = $1::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped"
    " ORDER BY a.attnum";

class Copier {
public:
    Copier(std::string src, std::string tgt, CopyOptions opt)
        : src_ci_(std::move(src)), tgt_ci_(std::move(tgt)), opt_(std::move(opt)) {}

    ItemResult copy(const WorkItem& w) {
        try {
            if (w.kind == "matview")
                throw Error("a materialized view is not copied: refresh it on the target "
                            "(REFRESH MATERIALIZED VIEW)");
            connect();
            if (opt_.delete_only && !(w.kind == "table" && (w.method == "range" || w.method == "key")))
                throw Error("--delete-only takes key ranges only (table-list --by-key)");
            ItemResult r;
            if (w.kind == "sequence") r = copy_sequence(w);
            else if (w.kind == "blobs") r = copy_blobs(w);
            else if (opt_.merge && (w.method == "range" || w.method == "key")) return merge_range(w);
            else if (opt_.merge && w.method == "ctid")
                throw Error("a page-range part (method ctid) cannot be merged", 1, "",
                            "list the table with table-list --by-key");
            else if (!opt_.since.empty() && w.kind == "table")
                throw Error("a table without a key range cannot be merged with --since (only a range "
                            "of a primary or unique not-null key can)", 1, "",
                            "compare it with table-diff and merge what differs without --since");
            else r = copy_table(w);
            if (opt_.merge) {
                // --merge: every result line has the three counts.
                r.merged = true;
                if (w.kind == "table") r.inserted = r.rows;
                else r.updated = r.rows;
            }
            return r;
        } catch (...) {
            cleanup(src_);
            cleanup(tgt_);
            throw;
        }
    }

private:
    std::string src_ci_, tgt_ci_;
    CopyOptions opt_;
    std::unique_ptr<Connection> src_, tgt_;
    std::unique_ptr<Connection> lsrc_, ltgt_;  // merge_stream's list sessions
    bool same_major_ = false;

    // --since: "column >= since", since cast to the column's type (an index
    // on the column serves it; a timestamp or date takes the time or the day
    // of since in the source session's TimeZone: a date column compares by
    // whole days, so the day of since is read again). Throws Error when the
    // source's table has no such column.
    std::string since_predicate(const WorkItem& w) {
        Result t = src_->exec_params(
            "SELECT pg_catalog.format_type(a.atttypid, NULL) FROM pg_catalog.pg_attribute a "
            "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
            "WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relname OPERATOR(pg_catalog.=) $2 "
            " AND a.attname OPERATOR(pg_catalog.=) $3 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped",
            {w.schema, w.name, opt_.updated_at});
        if (PQntuples(t.get()) != 1)
            throw Error("source: table \"" + w.schema + "." + w.name + "\" has no column \"" + opt_.updated_at +
                        "\" (--updated-at)");
        std::string type = PQgetvalue(t.get(), 0, 0);
        std::string cast = "::pg_catalog.timestamptz";
        if (type == "date") cast += "::pg_catalog.date";
        else if (type == "timestamp without time zone") cast += "::pg_catalog.timestamp";
        return quote_ident(opt_.updated_at) + " OPERATOR(pg_catalog.>=) " + quote_literal(opt_.since) + cast;
    }

    // --merge of a key range, one target transaction (the range is applied
    // whole or not at all; see copy-table(1), MERGE). Row by row first
    // (lib/rowdiff.h): the (key, row hash) lists of the range on both sides,
    // then only the rows that differ are deleted, read and upserted. When
    // more than --row-diff-max percent of the range's rows differ (or the
    // servers cannot list the same way), the whole range is streamed instead.
    // With --batch-rows, the lists are merged as they stream in and the
    // differing rows applied in batches, one transaction each (merge_stream).
    ItemResult merge_range(const WorkItem& w) {
        const auto t0 = Clock::now();
        std::vector<std::string> keys = item_keys(w);
        begin_snapshot_transaction(*src_, opt_.snapshot);
        tgt_->exec("BEGIN");
        const MergeTable& mt = merge_table(w, keys);
        // Deferrable constraints (foreign keys) are checked at COMMIT, when
        // the whole range is in.
        tgt_->exec("SET CONSTRAINTS ALL DEFERRED");
        ItemResult r;
        r.item = w;
        r.merged = true;
        int64_t rows = 0, streamed = 0;
        RowDiff d;
        if (opt_.batch_rows > 0 && row_diff_possible(mt)) {
            merge_stream(w, keys, mt, t0, &rows, &streamed, &r);
        } else if (row_diff_possible(mt) && row_diff(w, keys, mt, &d)) {
            ++row_ranges_;
            apply_row_diff(w, keys, mt, d, t0, &rows, &streamed, &r);
        } else {
            rows = load_and_upsert(w, keys, mt, "", opt_.del, t0, &streamed, &r);
        }
        return finish_merge(w, r, rows, streamed, t0);
    }

    // The columns both sides have and what the row-level diff needs of a
    // table, cached per table for the worker's life.
    struct MergeTable {
        std::vector<std::string> cols;          // both sides have them (the source's order)
        std::vector<std::string> hash_exprs;    // row_hash_exprs of cols
        std::vector<std::string> src_key_types, tgt_key_types;  // format_type of the key columns
    };
    std::map<std::pair<std::string, std::string>, MergeTable> merge_tables_;
    int64_t row_ranges_ = 0;

    // Reads the columns (with format_type) of w's table on conn, in attnum order.
    static std::vector<std::pair<std::string, std::string>> typed_columns(Connection& conn, const WorkItem& w) {
        Result t = conn.exec_params(
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
            "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
            "WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relname OPERATOR(pg_catalog.=) $2 "
            " AND c.relkind OPERATOR(pg_catalog.=) 'r' AND a.attnum OPERATOR(pg_catalog.>) 0 "
            " AND NOT a.attisdropped AND a.attgenerated OPERATOR(pg_catalog.=) '' ORDER BY a.attnum",
            {w.schema, w.name});
        std::vector<std::pair<std::string, std::string>> out;
        for (int i = 0; i < PQntuples(t.get()); ++i) out.emplace_back(PQgetvalue(t.get(), i, 0), PQgetvalue(t.get(), i, 1));
        return out;
    }

    const MergeTable& merge_table(const WorkItem& w, const std::vector<std::string>& keys) {
        auto key = std::make_pair(w.schema, w.name);
        auto it = merge_tables_.find(key);
        if (it != merge_tables_.end()) return it->second;
        bool binary_ok = false;
        std::vector<std::string> src = columns(w, &binary_ok);  // checks the source's table
        auto st = typed_columns(*src_, w), tt = typed_columns(*tgt_, w);
        if (tt.empty()) throw Error("target: table \"" + w.schema + "." + w.name + "\" does not exist");
        std::map<std::string, std::string> stype(st.begin(), st.end()), ttype(tt.begin(), tt.end());
        MergeTable mt;
        for (auto& c : src)
            if (ttype.count(c) && stype.count(c)) mt.cols.push_back(c);
        for (auto& k : keys) {
            if (!std::count(mt.cols.begin(), mt.cols.end(), k)) throw Error("key column \"" + k + "\" is not on both sides");
            mt.src_key_types.push_back(stype[k]);
            mt.tgt_key_types.push_back(ttype[k]);
        }
        mt.hash_exprs = row_hash_exprs(mt.cols, stype, ttype);
        return merge_tables_[key] = mt;
    }

    // The row-level diff needs PostgreSQL 14+ on both sides (as table-diff's hash) and
    // one server encoding (the key lists sort the bytes of that encoding);
    // --since reads the changed rows only, without a diff.
    bool row_diff_possible(const MergeTable&) const {
        if (opt_.row_diff_max <= 0 || !opt_.since.empty()) return false;
        if (src_->server_version() < 140000 || tgt_->server_version() < 140000) return false;
        const char* se = PQparameterStatus(src_->get(), "server_encoding");
        const char* te = PQparameterStatus(tgt_->get(), "server_encoding");
        return se && te && std::string(se) == te;
    }

    // Lists the range's (key, row hash) pairs on both sides at once and
    // merges them into *d; false when more than --row-diff-max percent of
    // the range's rows differ (the whole range is merged instead). The lists
    // are read in the compare settings (TimeZone UTC, bytea_output hex,
    // lc_monetary C, local to the transactions), so that both servers give
    // the same text for the same key and the same hash for the same row.
    bool row_diff(const WorkItem& w, const std::vector<std::string>& keys, const MergeTable& mt, RowDiff* d) {
        const KeyOrder order = key_order(mt.src_key_types, mt.tgt_key_types);
        std::string hash = opt_.delete_only ? std::string("0") : row_hash(mt.hash_exprs);
        const std::string sql = "SELECT pg_catalog.set_config('TimeZone', 'UTC', true), "
                                "pg_catalog.set_config('bytea_output', 'hex', true), "
                                "pg_catalog.set_config('lc_monetary', 'C', true); "
                                "COPY (" + row_hash_list_sql(w, keys, hash, order) + ") TO STDOUT";
        Connection* c[2] = {src_.get(), tgt_.get()};
        for (auto* x : c)
            if (!PQsendQuery(x->get(), sql.c_str())) throw Error(x->role() + ": " + result_error(x->get(), nullptr));
        for (auto* x : c) {
            // The settings' result, then the COPY's start.
            Result first(PQgetResult(x->get()));
            Result copy(PQgetResult(x->get()));
            if (!first || PQresultStatus(first.get()) != PGRES_TUPLES_OK || !copy ||
                PQresultStatus(copy.get()) != PGRES_COPY_OUT)
                throw Error(x->role() + ": " + result_error(x->get(), copy ? copy.get() : first.get()));
        }
        CopyOutLines sl(*src_), tl(*tgt_);
        std::string line;
        // Keys kept: up to the share allowed of the range's estimated rows
        // (at least 1000); past it the lists are only counted.
        const size_t max_keys = static_cast<size_t>(std::max<int64_t>(1000, w.rows * opt_.row_diff_max / 100 + 1));
        try {
            diff_sorted_lists(key_hash_reader(sl, &line), key_hash_reader(tl, &line), order, max_keys, d);
        } catch (...) {
            // Drop both sessions' COPYs: the caller's cleanup() resets them.
            src_.reset();
            tgt_.reset();
            throw;
        }
        const int64_t base = std::max(d->source_rows, d->target_rows);
        const int64_t counted = d->upsert.size() + (opt_.del ? d->remove.size() : 0);
        return !d->overflow && counted * 100 <= base * opt_.row_diff_max;
    }

    // The keys of d in the target's open transaction: with --delete, those
    // of d.remove deleted (first: a key change, or a unique value moving to
    // another row, does not collide with the row it replaces); unless
    // --delete-only, the source's rows of d.upsert read and upserted. Adds
    // to *rows and *streamed (rows and bytes read from the source) and to
    // the counts of *r.
    void apply_row_diff(const WorkItem& w, const std::vector<std::string>& keys, const MergeTable& mt, const RowDiff& d,
                        Clock::time_point t0, int64_t* rows, int64_t* streamed, ItemResult* r) {
        if (opt_.del && !d.remove.empty()) {
            Result x = tgt_->exec("DELETE FROM ONLY " + quote_qualified(w.schema, w.name) + " t WHERE " +
                                  w.predicate() + " AND " + key_set_condition(keys, mt.tgt_key_types, d.remove));
            r->deleted += std::strtoll(PQcmdTuples(x.get()), nullptr, 10);
        }
        if (opt_.delete_only || d.upsert.empty()) return;
        ItemResult b;
        int64_t bytes = 0;
        *rows += load_and_upsert(w, keys, mt, key_set_condition(keys, mt.src_key_types, d.upsert), false, t0, &bytes, &b);
        *streamed += bytes;
        r->inserted += b.inserted;
        r->updated += b.updated;
    }

    // --batch-rows: the range's (key, row hash) lists are read on two more
    // sessions (lsrc_ in src_'s snapshot, ltgt_), both at once, in the plan
    // each server finds cheapest for the order, and merged as they come
    // (memory: one batch of keys); every batch_rows differing keys the batch
    // is applied (apply_row_diff) and the target's transaction committed,
    // and the next batch begins. The last batch is left for finish_merge to
    // commit. A failure leaves the committed batches applied and the others
    // not: a rerun compares again and converges.
    void merge_stream(const WorkItem& w, const std::vector<std::string>& keys, const MergeTable& mt, Clock::time_point t0,
                      int64_t* rows, int64_t* streamed, ItemResult* r) {
        const KeyOrder order = key_order(mt.src_key_types, mt.tgt_key_types);
        const std::string sql =
            "COPY (" + row_hash_list_sql(w, keys, opt_.delete_only ? "0" : row_hash(mt.hash_exprs), order) + ") TO STDOUT";
        RowDiff batch;
        int64_t batches = 0;
        try {
            open_list_sessions(opt_.snapshot.empty() ? src_->scalar("SELECT pg_catalog.pg_export_snapshot()") : opt_.snapshot);
            Connection* c[2] = {lsrc_.get(), ltgt_.get()};
            for (auto* x : c)
                if (!PQsendQuery(x->get(), sql.c_str())) throw Error(x->role() + ": " + result_error(x->get(), nullptr));
            for (auto* x : c) {
                Result copy(PQgetResult(x->get()));
                if (!copy || PQresultStatus(copy.get()) != PGRES_COPY_OUT)
                    throw Error(x->role() + ": " + result_error(x->get(), copy.get()));
            }
            CopyOutLines sl(*lsrc_), tl(*ltgt_);
            std::string line;
            auto apply = [&] {
                apply_row_diff(w, keys, mt, batch, t0, rows, streamed, r);
                ++batches;
                log_verbose(w.label() + ": batch " + std::to_string(batches) + ": " +
                            std::to_string(batch.upsert.size()) + " rows to upsert, " +
                            std::to_string(batch.remove.size()) + " to delete");
                batch.upsert.clear();
                batch.remove.clear();
            };
            auto emit = [&](bool remove, const std::string& key) {
                if (remove ? !opt_.del : opt_.delete_only) return;
                (remove ? batch.remove : batch.upsert).push_back(key);
                if (static_cast<int64_t>(batch.upsert.size() + batch.remove.size()) < opt_.batch_rows) return;
                apply();
                commit_durable(*tgt_);
                tgt_->exec("BEGIN");
                tgt_->exec("SET CONSTRAINTS ALL DEFERRED");
            };
            diff_sorted_streams(key_hash_reader(sl, &line), key_hash_reader(tl, &line), order, emit, &batch.source_rows,
                                &batch.target_rows);
            if (!batch.upsert.empty() || !batch.remove.empty()) apply();
            lsrc_->exec("COMMIT");
            ltgt_->exec("COMMIT");
        } catch (...) {
            // in the middle of their COPYs: dropped (the servers end them)
            lsrc_.reset();
            ltgt_.reset();
            throw;
        }
        log_verbose(w.label() + ": " + std::to_string(batch.source_rows) + " source rows and " +
                    std::to_string(batch.target_rows) + " target rows listed, " + std::to_string(batches) + " batches");
    }

    // The sessions of merge_stream's lists, opened on first use and kept:
    // compare settings (as table-diff's), the source's client encoding on
    // both (as src_ and tgt_: the keys' text is the same bytes), each in a
    // REPEATABLE READ, READ ONLY transaction, the source's in snapshot.
    void open_list_sessions(const std::string& snapshot) {
        const char* enc = PQparameterStatus(src_->get(), "server_encoding");
        for (auto* p : {&lsrc_, &ltgt_}) {
            if (*p) continue;
            const bool src = p == &lsrc_;
            std::unique_ptr<Connection> c(new Connection(src ? src_ci_ : tgt_ci_, src ? "source" : "target"));
            setup_compare_session(*c);
            if (enc && PQsetClientEncoding(c->get(), enc) != 0)
                throw Error(c->role() + ": could not set client_encoding: " + c->error_message());
            *p = std::move(c);
        }
        begin_snapshot_transaction(*lsrc_, snapshot);
        begin_snapshot_transaction(*ltgt_, "");
    }

    // The source's rows of the range (those matching extra, a condition over
    // alias t, when not empty; only the key columns with --delete-only) into
    // a temporary table on the target; with delete_missing, the target's
    // rows of the range whose key is not there deleted (first, so that a key
    // change, or a unique value moving to another row, does not collide with
    // the row it replaces); then, unless --delete-only, upserted: INSERT ...
    // ON CONFLICT (key) DO UPDATE of the rows that differ. Returns the rows
    // streamed; sets the counts of *r.
    int64_t load_and_upsert(const WorkItem& w, const std::vector<std::string>& keys, const MergeTable& mt,
                            const std::string& extra, bool delete_missing, Clock::time_point t0, int64_t* streamed,
                            ItemResult* r) {
        const std::vector<std::string>& cols = opt_.delete_only ? keys : mt.cols;
        std::set<std::string> key_set(keys.begin(), keys.end());
        std::string rel = quote_qualified(w.schema, w.name), pred = w.predicate();
        std::string list, t_row, x_row, set, key_list, key_eq;
        for (size_t i = 0; i < cols.size(); ++i) {
            std::string c = quote_ident(cols[i]);
            list += (i ? ", " : "") + c;
            t_row += (i ? ", t." : "t.") + c;
            x_row += (i ? ", EXCLUDED." : "EXCLUDED.") + c;
            if (!key_set.count(cols[i])) set += (set.empty() ? "" : ", ") + c + " = EXCLUDED." + c;
        }
        for (size_t i = 0; i < keys.size(); ++i) {
            std::string k = quote_ident(keys[i]);
            key_list += (i ? ", " : "") + k;
            key_eq += (i ? " AND m." : "m.") + k + " OPERATOR(pg_catalog.=) t." + k;
        }
        tgt_->exec("CREATE TEMPORARY TABLE pg_temp.fdwcopy_merge ON COMMIT DROP AS SELECT " + list + " FROM ONLY " +
                   rel + " WITH NO DATA");
        // --since: the rows changed since then only.
        std::string src_pred = pred;
        if (!opt_.since.empty()) src_pred += " AND " + since_predicate(w);
        if (!extra.empty()) src_pred += " AND " + extra;
        int64_t rows = stream(w, "COPY pg_temp.fdwcopy_merge (" + list + ") FROM STDIN",
                              "COPY (SELECT " + list + " FROM ONLY " + rel + " t WHERE " + src_pred + ") TO STDOUT",
                              t0, streamed);
        if (delete_missing)
            r->deleted = std::strtoll(
                tgt_->scalar("WITH d AS (DELETE FROM ONLY " + rel + " t WHERE " + pred +
                             " AND NOT EXISTS (SELECT FROM pg_temp.fdwcopy_merge m WHERE " + key_eq +
                             ") RETURNING 1) SELECT pg_catalog.count(*) FROM d")
                    .c_str(),
                nullptr, 10);
        if (opt_.delete_only) return rows;
        // Rows compare by their text, as table-diff hashes them: types
        // without an equality operator (json, point, xml) compare too.
        std::string action = set.empty() ? "DO NOTHING"
                                         : "DO UPDATE SET " + set + " WHERE ROW(" + t_row +
                                               ")::pg_catalog.text IS DISTINCT FROM ROW(" + x_row +
                                               ")::pg_catalog.text";
        Result u = tgt_->exec("WITH u AS (INSERT INTO " + rel + " AS t (" + list +
                              ") OVERRIDING SYSTEM VALUE SELECT " + list + " FROM pg_temp.fdwcopy_merge ON CONFLICT (" +
                              key_list + ") " + action +
                              " RETURNING t.xmax OPERATOR(pg_catalog.=) '0'::pg_catalog.xid AS inserted) "
                              "SELECT pg_catalog.count(*) FILTER (WHERE inserted), "
                              "pg_catalog.count(*) FILTER (WHERE NOT inserted) FROM u");
        r->inserted = std::strtoll(PQgetvalue(u.get(), 0, 0), nullptr, 10);
        r->updated = std::strtoll(PQgetvalue(u.get(), 0, 1), nullptr, 10);
        return rows;
    }

    // Commits a merged range (the target first) and completes its result.
    ItemResult finish_merge(const WorkItem& w, ItemResult& r, int64_t rows, int64_t streamed, Clock::time_point t0) {
        commit_durable(*tgt_);
        src_->exec("COMMIT");
        r.rows = rows;
        r.bytes = streamed;
        r.seconds = seconds_since(t0);
        if (opt_.progress)
            write_all(2, program_name() + ": " + w.label() + ": " + std::to_string(rows) + " source rows, " +
                             std::to_string(r.inserted) + " inserted, " + std::to_string(r.updated) + " updated, " +
                             std::to_string(r.deleted) + " deleted\n");
        return r;
    }

    void connect() {
        if (!src_) {
            src_.reset(new Connection(src_ci_, "source"));
            setup_source_session(*src_);
            // No conversion on the way out: the target is told the same encoding.
            const char* enc = PQparameterStatus(src_->get(), "server_encoding");
            if (enc && PQsetClientEncoding(src_->get(), enc) != 0)
                throw Error("source: could not set client_encoding: " + src_->error_message());
        }
        if (!tgt_) {
            tgt_.reset(new Connection(tgt_ci_, "target"));
            const char* enc = PQparameterStatus(src_->get(), "server_encoding");
            setup_target_session(*tgt_, enc ? enc : "");
            if (opt_.disable_triggers) tgt_->exec("SET session_replication_role = replica");
        }
        same_major_ = src_->server_version() / 10000 == tgt_->server_version() / 10000;
    }

    // After a failure: a session in the middle of a COPY or in a dead state is
    // dropped (the server rolls its transaction back); an open transaction is
    // rolled back so the next item (--keep-going) starts clean.
    static void cleanup(std::unique_ptr<Connection>& c) {
        if (!c) return;
        PGconn* pc = c->get();
        if (PQstatus(pc) != CONNECTION_OK) {
            c.reset();
            return;
        }
        switch (PQtransactionStatus(pc)) {
        case PQTRANS_IDLE:
            break;
        case PQTRANS_INTRANS:
        case PQTRANS_INERROR: {
            Result r(PQexec(pc, "ROLLBACK"));
            if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) c.reset();
            break;
        }
        default:
            c.reset();
        }
    }

    // Columns to copy and whether binary COPY is safe for all of them.
    std::vector<std::string> columns(const WorkItem& w, bool* binary_ok) {
        Result rel = src_->exec_params(
            "SELECT c.oid, c.relkind FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
            {w.schema, w.name});
        std::string quoted = "\"" + w.schema + "." + w.name + "\"";
        if (PQntuples(rel.get()) != 1) throw Error("source: table " + quoted + " does not exist");
        if (PQgetvalue(rel.get(), 0, 1)[0] != 'r')
            throw Error("source: " + quoted + " is not an ordinary table (relkind " +
                        PQgetvalue(rel.get(), 0, 1) + ")");
        std::string oid = PQgetvalue(rel.get(), 0, 0);
        bool check = same_major_ && src_->server_version() >= 140000;
        Result r = src_->exec_params(check ? kColumnsSql : kColumnsPlainSql, {oid});
        std::vector<std::string> cols;
        *binary_ok = check;
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            cols.push_back(PQgetvalue(r.get(), i, 0));
            if (PQgetvalue(r.get(), i, 1)[0] != 't') *binary_ok = false;
        }
        if (!check) {
            // kColumnsPlainSql has no generated-column filter on old servers
            // (attgenerated appeared in 12); recheck where it exists.
            if (src_->server_version() >= 120000) {
                Result g = src_->exec_params(
                    "SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::pg_catalog.oid"
                    " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum",
                    {oid});
                cols.clear();
                for (int i = 0; i < PQntuples(g.get()); ++i) cols.push_back(PQgetvalue(g.get(), i, 0));
            }
        }
        return cols;
    }

    void progress_line(const WorkItem& w, int64_t rows, int64_t bytes, double secs, bool done) {
        double mbs = secs > 0 ? static_cast<double>(bytes) / (1024.0 * 1024.0) / secs : 0;
        char rate[64];
        std::snprintf(rate, sizeof rate, "%.1f MB/s", mbs);
        char took[64];
        std::snprintf(took, sizeof took, "%.2f s", secs);
        std::string line = program_name() + ": " + w.label() + ": " + std::to_string(rows) + " rows, " +
                           format_mb(bytes) + ", " + rate + (done ? std::string(", done in ") + took : "") + "\n";
        write_all(2, line);
    }

    ItemResult copy_table(const WorkItem& item) {
        const auto t0 = Clock::now();
        begin_snapshot_transaction(*src_, opt_.snapshot);
        WorkItem w = item;
        // The extension's condition as the source has it in the snapshot, as
        // pg_dump reads it.
        if (w.method == "extconfig") read_extension_condition(*src_, w);
        bool binary_ok = false;
        std::vector<std::string> cols = columns(w, &binary_ok);
        bool binary = opt_.format == CopyFormat::Binary || (opt_.format == CopyFormat::Auto && binary_ok);
        if (cols.empty()) binary = false;
        log_verbose(w.label() + ": " + (binary ? "binary" : "text") + " COPY of " + std::to_string(cols.size()) +
                    " columns");

        // Target transaction: see copy-table(1), "Transactions and reruns".
        // tw: the item as the target names it (copy-table --target-table).
        WorkItem tw = w;
        if (!opt_.target_name.empty()) {
            tw.schema = opt_.target_schema;
            tw.name = opt_.target_name;
        }
        std::string rel = quote_qualified(tw.schema, tw.name);
        bool freeze = false;
        if (w.whole()) {
            tgt_->exec("BEGIN");
            EmptyStep e = empty_target_table(rel, target_table(rel));
            tgt_->exec(e.sql);
            freeze = e.freeze;
        } else if (w.method == "key") {
            // A rerun deletes what an earlier run of this key range left. The
            // DELETE scans the table (no index yet), so skip it when the table
            // has no page at all, the usual case on the first run (a
            // partitioned table has none of its own: its partitions have them).
            tgt_->exec("BEGIN");
            if (target_table(rel).relkind == 'p') {
                tgt_->exec("DELETE FROM " + rel + " WHERE " + w.predicate());
            } else if (tgt_->scalar("SELECT pg_catalog.pg_relation_size(" + quote_literal(rel) +
                                    "::pg_catalog.regclass)") != "0") {
                tgt_->exec("DELETE FROM ONLY " + rel + " WHERE " + w.predicate());
            }
        } else if (w.method == "extconfig") {
            // pg_dump's restore adds these rows to the ones CREATE EXTENSION
            // made: keep those, delete only the rows matching the condition
            // (an earlier run's, so a rerun is idempotent), then copy the
            // source's.
            tgt_->exec("BEGIN");
            tgt_->exec("DELETE FROM ONLY " + rel + " WHERE " + w.predicate());
        } else {
            tgt_->exec("BEGIN");
        }
        int64_t streamed = 0;
        int64_t tgt_rows = stream(w, target_copy_sql(tw, cols, binary, freeze), source_copy_sql(w, cols, binary),
                                  t0, &streamed);
        return commit_item(w, tgt_rows, streamed, t0);
    }

    // The target table rel (quoted) as empty_target_table needs it.
    TargetTable target_table(const std::string& rel) {
        Result r = tgt_->exec(
            // (pg_partition_tree has no row for a table outside a partition tree)
            "SELECT c.relkind, EXISTS (SELECT FROM pg_catalog.pg_constraint k "
            "  WHERE k.contype OPERATOR(pg_catalog.=) 'f' "
            "  AND (k.confrelid OPERATOR(pg_catalog.=) c.oid OR k.confrelid OPERATOR(pg_catalog.=) ANY "
            "    (SELECT t.relid FROM pg_catalog.pg_partition_tree(c.oid) t)) "
            "  AND k.conrelid OPERATOR(pg_catalog.<>) c.oid AND NOT k.conrelid OPERATOR(pg_catalog.=) ANY "
            "    (SELECT t.relid FROM pg_catalog.pg_partition_tree(c.oid) t)), "
            " (SELECT pg_catalog.string_agg(pg_catalog.format('%I.%I', fn.nspname, f.relname), ', ' ORDER BY f.oid) "
            "  FROM pg_catalog.pg_partition_tree(c.oid) t JOIN pg_catalog.pg_class f ON f.oid OPERATOR(pg_catalog.=) t.relid "
            "  JOIN pg_catalog.pg_namespace fn ON fn.oid OPERATOR(pg_catalog.=) f.relnamespace "
            "  WHERE f.relkind OPERATOR(pg_catalog.=) 'f') "
            "FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) " + quote_literal(rel) +
            "::pg_catalog.regclass");
        TargetTable t;
        t.relkind = PQgetvalue(r.get(), 0, 0)[0];
        t.referenced = PQgetvalue(r.get(), 0, 1)[0] == 't';
        t.foreign_partitions = PQgetvalue(r.get(), 0, 2);
        return t;
    }

    // Commits the item's target transaction (first: a commit that fails
    // leaves nothing done) and the source's, and makes its result.
    ItemResult commit_item(const WorkItem& w, int64_t rows, int64_t bytes, Clock::time_point t0) {
        commit_durable(*tgt_);
        src_->exec("COMMIT");
        ItemResult r;
        r.item = w;
        r.rows = rows;
        r.bytes = bytes;
        r.seconds = seconds_since(t0);
        if (opt_.progress) progress_line(w, r.rows, r.bytes, r.seconds, true);
        return r;
    }

    // Runs tgt_sql (a COPY FROM STDIN) on the target and src_sql (a COPY TO
    // STDOUT) on the source, in their open transactions, and streams the
    // rows across; returns the rows stored (checked against those sent) and
    // sets *bytes_out to the bytes streamed. Throws Error; commits nothing.
    int64_t stream(const WorkItem& w, const std::string& tgt_sql, const std::string& src_sql, Clock::time_point t0,
                   int64_t* bytes_out) {
        start_copy(*tgt_, tgt_sql, PGRES_COPY_IN);
        try {
            start_copy(*src_, src_sql, PGRES_COPY_OUT);
        } catch (const Error&) {
            // End the target's COPY so that cleanup() can roll back and keep
            // the session (--keep-going).
            PQputCopyEnd(tgt_->get(), "source COPY failed");
            while (PGresult* r = PQgetResult(tgt_->get())) PQclear(r);
            throw;
        }

        // Stream.
        ChunkPipe pipe(opt_.chunks, opt_.chunk_bytes);
        std::atomic<int64_t> msgs{0}, bytes{0};
        std::string src_error;
        int64_t src_rows = -1;
        PGconn* sc = src_->get();
        const size_t chunk_bytes = opt_.chunk_bytes;
        std::thread reader([&] {
            std::string* buf = pipe.acquire();
            int64_t n_msgs = 0, n_bytes = 0;
            bool aborted = buf == nullptr;
            while (!aborted) {
                char* row = nullptr;
                int n = PQgetCopyData(sc, &row, 0);
                if (n > 0) {
                    if (buf->size() + static_cast<size_t>(n) > chunk_bytes && !buf->empty()) {
                        pipe.push(buf);
                        msgs.store(n_msgs, std::memory_order_relaxed);
                        bytes.store(n_bytes, std::memory_order_relaxed);
                        buf = pipe.acquire();
                        if (!buf) {
                            PQfreemem(row);
                            aborted = true;
                            break;
                        }
                    }
                    buf->append(row, static_cast<size_t>(n));
                    PQfreemem(row);
                    ++n_msgs;
                    n_bytes += n;
                    continue;
                }
                if (n == -1) {
                    Result res(PQgetResult(sc));
                    if (res && PQresultStatus(res.get()) == PGRES_COMMAND_OK)
                        src_rows = std::strtoll(PQcmdTuples(res.get()), nullptr, 10);
                    else
                        src_error = "source: " + result_error(sc, res.get());
                    while (PGresult* more = PQgetResult(sc)) PQclear(more);
                } else {
                    src_error = "source: " + result_error(sc, nullptr);
                }
                break;
            }
            if (!aborted) {
                msgs.store(n_msgs);
                bytes.store(n_bytes);
                if (!src_error.empty()) buf->clear();  // an empty chunk: the writer skips it
                pipe.push(buf);
                pipe.finish();
            }
        });

        // Whatever happens below, the reader is stopped and joined before the
        // pipe and the connections it uses go away.
        struct Joiner {
            ChunkPipe& pipe;
            std::thread& thread;
            ~Joiner() {
                if (thread.joinable()) {
                    pipe.abort();
                    thread.join();
                }
            }
        } joiner{pipe, reader};

        std::string tgt_error;
        const bool show = opt_.progress;
        auto next_progress = Clock::now() + std::chrono::seconds(isatty(2) ? 1 : 5);
        PGconn* tc = tgt_->get();
        while (true) {
            bool timed_out = false;
            std::string* c = pipe.pop(show ? 250 : -1, &timed_out);
            if (c) {
                if (!c->empty() && PQputCopyData(tc, c->data(), static_cast<int>(c->size())) != 1) {
                    tgt_error = "target: " + result_error(tc, nullptr);
                    pipe.release(c);
                    pipe.abort();
                    break;
                }
                pipe.release(c);
            } else if (!timed_out) {
                break;
            }
            if (show && Clock::now() >= next_progress) {
                progress_line(w, msgs.load(std::memory_order_relaxed), bytes.load(std::memory_order_relaxed),
                              seconds_since(t0), false);
                next_progress = Clock::now() + std::chrono::seconds(isatty(2) ? 1 : 5);
            }
        }
        reader.join();

        if (!tgt_error.empty()) {
            // The source is left in the middle of its COPY: cleanup() drops it.
            throw Error(tgt_error);
        }
        if (!src_error.empty()) {
            PQputCopyEnd(tc, "source failed");
            while (PGresult* r = PQgetResult(tc)) PQclear(r);
            throw Error(src_error);
        }
        if (PQputCopyEnd(tc, nullptr) != 1) throw Error("target: " + result_error(tc, nullptr));
        int64_t tgt_rows = -1;
        {
            Result res(PQgetResult(tc));
            if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
                std::string msg = "target: " + result_error(tc, res.get());
                while (PGresult* r = PQgetResult(tc)) PQclear(r);
                throw Error(msg);
            }
            tgt_rows = std::strtoll(PQcmdTuples(res.get()), nullptr, 10);
            while (PGresult* r = PQgetResult(tc)) PQclear(r);
        }
        if (tgt_rows != src_rows)
            throw Error("the target stored " + std::to_string(tgt_rows) + " rows, the source sent " +
                        std::to_string(src_rows));
        *bytes_out = bytes.load();
        return tgt_rows;
    }

    static void start_copy(Connection& c, const std::string& sql, ExecStatusType want) {
        Result r(PQexec(c.get(), sql.c_str()));
        if (!r || PQresultStatus(r.get()) != want) throw Error(c.role() + ": " + result_error(c.get(), r.get()));
    }

    ItemResult copy_sequence(const WorkItem& w) {
        const auto t0 = Clock::now();
        begin_snapshot_transaction(*src_, opt_.snapshot);
        std::string rel = quote_qualified(w.schema, w.name);
        Result v = src_->exec("SELECT last_value, is_called FROM " + rel);
        std::string last = PQgetvalue(v.get(), 0, 0), called = PQgetvalue(v.get(), 0, 1);
        src_->exec("COMMIT");
        // setval() is not transactional, but its WAL record is flushed with
        // the commit of the transaction around it: one that waits for that.
        tgt_->exec("BEGIN");
        tgt_->exec_params("SELECT pg_catalog.setval($1::pg_catalog.regclass, $2::pg_catalog.int8, $3::pg_catalog.bool)",
                          {rel, last, called});
        commit_durable(*tgt_);
        ItemResult r;
        r.item = w;
        r.rows = 1;
        r.bytes = 0;
        r.seconds = seconds_since(t0);
        return r;
    }

    // Large objects keep their oids. pg_dump's pre-data (BLOB entries) creates
    // them empty with lo_create(oid), owner and privileges; one missing on the
    // target is created here. All of them are written in one target
    // transaction: a failure leaves the target as it was.
    ItemResult copy_blobs(const WorkItem& w) {
        const auto t0 = Clock::now();
        begin_snapshot_transaction(*src_, opt_.snapshot);
        tgt_->exec("BEGIN");
        src_->exec("DECLARE fdwcopy_blobs NO SCROLL CURSOR FOR "
                   "SELECT oid FROM pg_catalog.pg_largeobject_metadata ORDER BY oid");
        PGconn* sc = src_->get();
        PGconn* tc = tgt_->get();
        std::vector<char> buf(opt_.chunk_bytes);
        int64_t count = 0, total = 0;
        auto next_progress = Clock::now() + std::chrono::seconds(isatty(2) ? 1 : 5);
        while (true) {
            Result batch = src_->exec("FETCH 1000 FROM fdwcopy_blobs");
            int n = PQntuples(batch.get());
            if (n == 0) break;
            std::string arr = "{";
            for (int i = 0; i < n; ++i) arr += (i ? "," : "") + std::string(PQgetvalue(batch.get(), i, 0));
            arr += "}";
            tgt_->exec_params(
                "SELECT pg_catalog.lo_create(o) FROM pg_catalog.unnest($1::pg_catalog.oid[]) AS o "
                "WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_largeobject_metadata m WHERE m.oid = o)",
                {arr});
            for (int i = 0; i < n; ++i) {
                Oid oid = static_cast<Oid>(std::strtoul(PQgetvalue(batch.get(), i, 0), nullptr, 10));
                std::string what = "large object " + std::to_string(oid);
                int sfd = lo_open(sc, oid, INV_READ);
                if (sfd < 0) throw Error("source: could not open " + what + ": " + src_->error_message());
                int tfd = lo_open(tc, oid, INV_WRITE);
                if (tfd < 0) throw Error("target: could not open " + what + ": " + tgt_->error_message());
                if (lo_truncate64(tc, tfd, 0) < 0)
                    throw Error("target: could not truncate " + what + ": " + tgt_->error_message());
                while (true) {
                    int got = lo_read(sc, sfd, buf.data(), buf.size());
                    if (got < 0) throw Error("source: could not read " + what + ": " + src_->error_message());
                    if (got > 0 && lo_write(tc, tfd, buf.data(), static_cast<size_t>(got)) != got)
                        throw Error("target: could not write " + what + ": " + tgt_->error_message());
                    total += got;
                    if (static_cast<size_t>(got) < buf.size()) break;
                }
                if (lo_close(sc, sfd) < 0) throw Error("source: could not close " + what + ": " + src_->error_message());
                if (lo_close(tc, tfd) < 0) throw Error("target: could not close " + what + ": " + tgt_->error_message());
                ++count;
            }
            if (opt_.progress && Clock::now() >= next_progress) {
                progress_line(w, count, total, seconds_since(t0), false);
                next_progress = Clock::now() + std::chrono::seconds(isatty(2) ? 1 : 5);
            }
        }
        return commit_item(w, count, total, t0);
    }
};

}  // namespace

Error item_error(const std::string& prefix, const Error& e) {
    std::string text = e.what(), main, detail = e.detail, hint = e.hint;
    size_t start = 0;
    bool first = true;
    auto trim = [](std::string s) {
        size_t b = s.find_first_not_of(" \t");
        return b == std::string::npos ? std::string() : s.substr(b);
    };
    while (start <= text.size()) {
        size_t nl = text.find('\n', start);
        std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        start = nl == std::string::npos ? text.size() + 1 : nl + 1;
        if (first) {
            main = line;
            first = false;
            continue;
        }
        std::string t = trim(line);
        if (t.empty() || t.rfind("This probably means the server terminated abnormally", 0) == 0 ||
            t.rfind("before or while processing the request", 0) == 0)
            continue;
        if (t.rfind("DETAIL:", 0) == 0) {
            if (e.detail.empty()) detail += (detail.empty() ? "" : " ") + trim(t.substr(7));
        } else if (t.rfind("HINT:", 0) == 0) {
            if (e.hint.empty()) hint += (hint.empty() ? "" : " ") + trim(t.substr(5));
        } else if (e.detail.empty()) {
            detail += (detail.empty() ? "" : " ") + t;
        }
    }
    return Error(prefix + main, e.code, detail, hint);
}

int run_copy_table(const std::string& source, const std::string& target, const std::vector<std::string>& items,
                   const CopyOptions& opt) {
    const int jobs = opt.jobs < 1 ? 1 : opt.jobs;
    WorkLineRun run(items);
    auto worker = [&] {
        Copier copier(source, target, opt);
        std::string l;
        while (run.next(&l)) {
            WorkItem w;
            try {
                w = parse_work_line(l);
            } catch (const Error& e) {
                run.fail(e, !opt.keep_going);
                continue;
            }
            ItemResult r;
            try {
                r = copier.copy(w);
            } catch (const Error& e) {
                run.fail(item_error("could not copy " + describe(w) + ": ", e), !opt.keep_going);
                continue;
            }
            if (!run.write_line(format_result_line(r)))
                run.fail(Error("could not write the result line of " + describe(w) + ": " + std::strerror(errno)), true);
        }
    };
    run_workers(jobs, [&](int) { worker(); });
    return run.status();
}

}  // namespace fdwcopy

// table-diff's engine (see tablediff.h): the hash query of an item sent to
// both servers at once, and depth-first cutting of the ranges that differ.
#include "tablediff.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "conn.h"
#include "copytable.h"
#include "keyrange.h"
#include "log.h"
#include "quote.h"
#include "snapshot.h"
#include "tablechecksum.h"
#include "itemsource.h"
#include "tsv.h"

namespace fdwcopy {

namespace {

const char* kRelkindSql =
    "SELECT c.relkind::pg_catalog.text FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
    "WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relname OPERATOR(pg_catalog.=) $2";

const char* kColumnsSql =
    "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
    "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
    "WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relname OPERATOR(pg_catalog.=) $2 "
    " AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped AND a.attgenerated OPERATOR(pg_catalog.=) '' "
    "ORDER BY a.attnum";

std::string subject(const WorkItem& w) {
    if (w.kind == "blobs") return "large objects";
    return w.kind + " " + quote_qualified(w.schema, w.name);
}

std::string range_subject(const WorkItem& w) {
    std::string s = subject(w);
    if (w.method == "range" && (w.lo != "-" || w.hi != "-")) s += " range [" + w.lo + ", " + w.hi + ")";
    else if (w.parts > 1) s += " part " + std::to_string(w.part) + "/" + std::to_string(w.parts);
    return s;
}

void open_session(std::unique_ptr<Connection>& c, const std::string& conninfo, const std::string& role) {
    if (c) return;
    std::unique_ptr<Connection> n(new Connection(conninfo, role));
    setup_compare_session(*n);
    c = std::move(n);
}

using TableKey = std::pair<std::string, std::string>;

// Per table: the columns compared (names), and the row expressions of the
// fast hash (empty when a server is older than 14: md5 of the row text).
struct TableCols {
    std::vector<std::string> names, exprs;
};

class Differ {
public:
    Differ(const std::string& src, const std::string& tgt, const DiffOptions& opt,
           const std::map<TableKey, TableCols>& cols)
        : src_ci_(src), tgt_ci_(tgt), opt_(opt), cols_(cols) {}

    // Compares w; calls emit(line) for every item or range that differs.
    // Throws Error (the sessions are dropped, to be reopened for the next item).
    template <class Emit>
    void run(const WorkItem& w, Emit emit, std::atomic<int64_t>& compared) {
        try {
            connect();
            compare(w, emit, compared);
        } catch (...) {
            src_.reset();
            tgt_.reset();
            throw;
        }
    }

private:
    std::string src_ci_, tgt_ci_;
    const DiffOptions& opt_;
    const std::map<TableKey, TableCols>& cols_;
    std::unique_ptr<Connection> src_, tgt_;

    void connect() {
        if (!src_) {
            open_session(src_, src_ci_, "source");
            // One snapshot for every comparison of this worker: the source's
            // rows do not move between a range and the ranges cut from it.
            begin_snapshot_transaction(*src_, opt_.snapshot);
        }
        open_session(tgt_, tgt_ci_, "target");
    }

    // Runs sql on both sides at once; returns (source, target) value and hash.
    std::pair<std::pair<std::string, std::string>, std::pair<std::string, std::string>> both(const std::string& sql) {
        Connection* c[2] = {src_.get(), tgt_.get()};
        for (auto* x : c)
            if (!PQsendQuery(x->get(), sql.c_str())) throw Error(x->role() + ": " + result_error(x->get(), nullptr));
        std::string err;
        std::pair<std::string, std::string> out[2];
        for (int i = 0; i < 2; ++i) {
            Result keep;
            while (PGresult* p = PQgetResult(c[i]->get())) {
                Result h(p);
                if (!keep || (PQresultStatus(p) != PGRES_TUPLES_OK && PQresultStatus(keep.get()) == PGRES_TUPLES_OK))
                    keep = std::move(h);
            }
            if (!keep || PQresultStatus(keep.get()) != PGRES_TUPLES_OK || PQntuples(keep.get()) != 1) {
                if (err.empty()) err = c[i]->role() + ": " + result_error(c[i]->get(), keep.get());
                continue;
            }
            out[i] = {PQgetvalue(keep.get(), 0, 0), PQgetvalue(keep.get(), 0, 1)};
        }
        if (!err.empty()) throw Error(err);
        return {out[0], out[1]};
    }

    // Hashes w on both sides; true when it differs. *rows: the source's count.
    bool differs(const WorkItem& w, int64_t* rows, std::atomic<int64_t>& compared) {
        std::string sql;
        auto it = w.kind == "table" ? cols_.find({w.schema, w.name}) : cols_.end();
        if (it != cols_.end() && !it->second.exprs.empty()) sql = row_hash_sql(w, it->second.exprs);
        else sql = checksum_sql(w, it != cols_.end() ? it->second.names : std::vector<std::string>{});
        auto r = both(sql);
        ++compared;
        const auto& s = r.first;
        const auto& t = r.second;
        *rows = std::strtoll(s.first.c_str(), nullptr, 10);
        log_verbose(range_subject(w) + (s == t ? ": equal (" + s.first + ")"
                                              : ": differs (source " + s.first + ", target " + t.first + ")"));
        return s != t;
    }

    template <class Emit>
    void compare(const WorkItem& w, Emit& emit, std::atomic<int64_t>& compared) {
        int64_t rows = 0;
        if (differs(w, &rows, compared)) descend(w, rows, emit, compared);
    }

    // w differs: cut it and compare the ranges; go on into those that differ,
    // unless most do (the changes are spread through w: merging w whole takes
    // one transaction instead of many small ones, and no further hashing),
    // and unless w is larger than --chunk-rows.
    template <class Emit>
    void descend(const WorkItem& w, int64_t rows, Emit& emit, std::atomic<int64_t>& compared) {
        const bool first_cut = opt_.chunk_rows > 0 && rows > opt_.chunk_rows;
        int64_t step = w.method == "range" ? split_step(rows, opt_.min_chunk_rows, opt_.fanout, opt_.chunk_rows) : 0;
        if (step > 0) {
            std::vector<std::string> keys = item_keys(w);
            Result c = src_->exec(cut_points_sql(w.schema, w.name, keys, w.predicate(), step));
            std::vector<std::string> cuts;
            for (int i = 0; i < PQntuples(c.get()); ++i) cuts.push_back(PQgetvalue(c.get(), i, 0));
            if (!cuts.empty()) {
                std::vector<WorkItem> subs = range_chunks(w, cuts, step, rows);
                std::vector<std::pair<WorkItem, int64_t>> diff;
                for (auto& sub : subs) {
                    int64_t n = 0;
                    if (differs(sub, &n, compared)) diff.emplace_back(sub, n);
                }
                if (diff.size() * 2 <= subs.size()) {
                    for (auto& d : diff) descend(d.first, d.second, emit, compared);
                    return;
                }
                // Cut from a range larger than --chunk-rows (a whole table):
                // not merged whole (one transaction of the whole table); its
                // differing ranges are, without cutting them again.
                if (first_cut) {
                    log_verbose(range_subject(w) + ": " + std::to_string(diff.size()) + " of " +
                                std::to_string(subs.size()) + " ranges differ: each merged whole");
                    for (auto& d : diff) {
                        WorkItem out = d.first;
                        out.rows = d.second;
                        emit(format_work_line(out) + "\n");
                    }
                    return;
                }
                log_verbose(range_subject(w) + ": " + std::to_string(diff.size()) + " of " +
                            std::to_string(subs.size()) + " ranges differ: merged whole");
            }
        }
        WorkItem out = w;
        if (w.kind == "table") out.rows = rows;
        emit(format_work_line(out) + "\n");
    }
};

}  // namespace

std::vector<std::string> common_columns(const std::vector<std::string>& source, const std::vector<std::string>& target,
                                        std::vector<std::string>* only_source, std::vector<std::string>* only_target) {
    std::set<std::string> t(target.begin(), target.end()), s(source.begin(), source.end());
    std::vector<std::string> out;
    for (auto& c : source) {
        if (t.count(c)) out.push_back(c);
        else if (only_source) only_source->push_back(c);
    }
    if (only_target)
        for (auto& c : target)
            if (!s.count(c)) only_target->push_back(c);
    return out;
}

std::string column_hash(const std::string& col, const std::string& type, size_t position) {
    // The hash function of the type's default hash operator class, where
    // equal values under it have equal text (see tablediff.h); the others
    // are hashed by their text.
    static const std::regex kInt2("smallint"), kInt4("integer"), kInt8("bigint"),
        kText("text|character varying(\\([0-9]+\\))?"), kBpchar("character(\\([0-9]+\\))?"), kChar("\"char\""),
        kName("name"), kUuid("uuid"), kBool("boolean"), kTs("timestamp(\\([0-9]\\))? without time zone"),
        kTstz("timestamp(\\([0-9]\\))? with time zone");
    const std::string v = "t." + quote_ident(col), seed = std::to_string(position + 1);
    std::string h;
    // text in the "C" collation: a nondeterministic collation's hash is one
    // of equal-comparing strings, not of equal bytes
    const std::string as_text = "pg_catalog.hashtextextended(" + v + "::pg_catalog.text COLLATE pg_catalog.\"C\", " + seed + ")";
    if (type.empty()) h = as_text;
    else if (std::regex_match(type, kInt2)) h = "pg_catalog.hashint2extended(" + v + ", " + seed + ")";
    else if (std::regex_match(type, kInt4)) h = "pg_catalog.hashint4extended(" + v + ", " + seed + ")";
    else if (std::regex_match(type, kInt8)) h = "pg_catalog.hashint8extended(" + v + ", " + seed + ")";
    else if (std::regex_match(type, kText)) h = as_text;
    else if (std::regex_match(type, kBpchar))
        h = "pg_catalog.hashbpcharextended(" + v + " COLLATE pg_catalog.\"C\", " + seed + ")";
    else if (std::regex_match(type, kChar)) h = "pg_catalog.hashcharextended(" + v + ", " + seed + ")";
    else if (std::regex_match(type, kName)) h = "pg_catalog.hashnameextended(" + v + ", " + seed + ")";
    else if (std::regex_match(type, kUuid)) h = "pg_catalog.uuid_hash_extended(" + v + ", " + seed + ")";
    else if (std::regex_match(type, kBool)) h = "pg_catalog.hashint4extended(" + v + "::pg_catalog.int4, " + seed + ")";
    else if (std::regex_match(type, kTs)) h = "pg_catalog.timestamp_hash_extended(" + v + ", " + seed + ")";
    else if (std::regex_match(type, kTstz))
        // the instant as UTC wall-clock time: one to one, whatever the session's TimeZone
        h = "pg_catalog.timestamp_hash_extended(pg_catalog.timezone('UTC', " + v + "), " + seed + ")";
    else h = as_text;
    // A NULL: a constant of its own per position (splitmix64 of the position).
    uint64_t z = (position + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return "COALESCE(" + h + ", " + std::to_string(static_cast<int64_t>(z)) + ")";
}

std::vector<std::string> row_hash_exprs(const std::vector<std::string>& names,
                                        const std::map<std::string, std::string>& stype,
                                        const std::map<std::string, std::string>& ttype) {
    std::vector<std::string> exprs;
    for (size_t i = 0; i < names.size(); ++i) {
        auto s = stype.find(names[i]), t = ttype.find(names[i]);
        bool same = s != stype.end() && t != ttype.end() && s->second == t->second;
        exprs.push_back(column_hash(names[i], same ? s->second : "", i));
    }
    return exprs;
}

std::string row_hash(const std::vector<std::string>& exprs) {
    if (exprs.empty()) return "0::pg_catalog.int8";
    std::string x;
    for (size_t i = 0; i < exprs.size(); ++i) x += (i ? " OPERATOR(pg_catalog.#) " : "") + exprs[i];
    return "pg_catalog.hashint8extended(" + x + ", 0)";
}

std::string row_hash_sql(const WorkItem& w, const std::vector<std::string>& exprs) {
    std::string sql = "SELECT pg_catalog.count(*)::pg_catalog.text, COALESCE(pg_catalog.sum(" + row_hash(exprs) +
                      "), 0)::pg_catalog.text FROM ONLY " + quote_qualified(w.schema, w.name) + " t";
    if (!w.whole()) sql += " WHERE " + w.predicate();
    return sql;
}

int64_t split_step(int64_t rows, int64_t min_chunk_rows, int fanout, int64_t chunk_rows) {
    if (chunk_rows > 0 && rows > chunk_rows) return chunk_rows;
    if (rows <= min_chunk_rows || rows <= 1) return 0;
    if (fanout < 2) fanout = 2;
    int64_t step = rows / fanout + (rows % fanout ? 1 : 0);
    return std::max<int64_t>(std::max<int64_t>(step, min_chunk_rows), 1);
}

int run_table_diff(const std::string& source, const std::string& target, const std::vector<std::string>& args,
                   const DiffOptions& opt, DiffStats* stats_out) {
    // All lines first: the tables are checked on both sides before any comparison.
    std::vector<WorkItem> items;
    bool failed = false;
    auto take = [&](const std::string& l) {
        try {
            items.push_back(parse_work_line(l));
        } catch (const Error& e) {
            report(e);
            failed = true;
        }
    };
    {
        ItemSource lines(args);
        std::string l;
        while (lines.next(&l)) take(l);
    }
    if (failed) return 1;

    std::map<TableKey, TableCols> cols;
    try {
        std::unique_ptr<Connection> src, tgt;
        open_session(src, source, "source");
        open_session(tgt, target, "target");
        begin_snapshot_transaction(*src, opt.snapshot);
        // hash_record_extended: PostgreSQL 14 and later, on both sides.
        const bool fast = !opt.text_hash && src->server_version() >= 140000 && tgt->server_version() >= 140000;
        std::set<TableKey> seen;
        std::vector<std::string> missing;
        bool column_error = false;
        for (auto& w : items) {
            if (w.kind != "table" && w.kind != "sequence") continue;
            if (!seen.insert({w.schema, w.name}).second) continue;
            std::string want = w.kind == "table" ? "r" : "S";
            Result k = tgt->exec_params(kRelkindSql, {w.schema, w.name});
            if (PQntuples(k.get()) != 1 || want != PQgetvalue(k.get(), 0, 0)) {
                missing.push_back(subject(w));
                continue;
            }
            if (w.kind != "table") continue;
            std::vector<std::string> sc, tc, only_s, only_t;
            std::map<std::string, std::string> stype, ttype;
            Result a = src->exec_params(kColumnsSql, {w.schema, w.name});
            for (int i = 0; i < PQntuples(a.get()); ++i) {
                sc.push_back(PQgetvalue(a.get(), i, 0));
                stype[sc.back()] = PQgetvalue(a.get(), i, 1);
            }
            Result b = tgt->exec_params(kColumnsSql, {w.schema, w.name});
            for (int i = 0; i < PQntuples(b.get()); ++i) {
                tc.push_back(PQgetvalue(b.get(), i, 0));
                ttype[tc.back()] = PQgetvalue(b.get(), i, 1);
            }
            TableCols& tcols = cols[{w.schema, w.name}];
            tcols.names = common_columns(sc, tc, &only_s, &only_t);
            if (fast && !tcols.names.empty()) tcols.exprs = row_hash_exprs(tcols.names, stype, ttype);
            auto say = [&](const std::vector<std::string>& c, const char* side) {
                if (c.empty()) return;
                std::string names;
                for (auto& n : c) names += (names.empty() ? "" : ", ") + quote_ident(n);
                std::string msg = subject(w) + ": column" + (c.size() > 1 ? "s " : " ") + names + " only on the " + side +
                                  (opt.strict ? "" : ": not compared");
                if (opt.strict) {
                    log_error(msg);
                    column_error = true;
                } else {
                    log_warning(msg);
                }
            };
            say(only_s, "source");
            say(only_t, "target");
        }
        for (auto& m : missing) log_error(m + " does not exist on the target");
        if (!missing.empty()) {
            log_hint("create the missing tables on the target first (fdwcopy sync compares existing tables only)");
            return 1;
        }
        if (column_error) return 1;
        src->exec("COMMIT");
    } catch (const Error& e) {
        return report(e);
    }

    const int jobs = opt.jobs < 1 ? 1 : opt.jobs;
    std::mutex in_mu, out_mu, err_mu;
    std::atomic<int64_t> compared{0}, differing{0};
    std::atomic<bool> any_failed{false};
    size_t next = 0;
    auto worker = [&] {
        Differ d(source, target, opt, cols);
        while (true) {
            size_t i;
            {
                std::lock_guard<std::mutex> lk(in_mu);
                if (next >= items.size()) return;
                i = next++;
            }
            const WorkItem& w = items[i];
            auto emit = [&](const std::string& line) {
                std::lock_guard<std::mutex> lk(out_mu);
                ++differing;
                if (!write_all(1, line)) throw Error(std::string("could not write a work line: ") + std::strerror(errno));
            };
            try {
                d.run(w, emit, compared);
            } catch (const Error& e) {
                std::lock_guard<std::mutex> lk(err_mu);
                report(item_error("could not compare " + range_subject(w) + ": ", e));
                any_failed.store(true);
            }
        }
    };
    run_workers(jobs, [&](int) { worker(); });
    DiffStats st;
    st.items = static_cast<int64_t>(items.size());
    st.compared = compared.load();
    st.differing = differing.load();
    if (stats_out) *stats_out = st;
    log_info(std::to_string(st.items) + " items, " + std::to_string(st.compared) + " comparisons, " +
             std::to_string(st.differing) + " differing");
    return any_failed.load() ? 1 : 0;
}

}  // namespace fdwcopy

// index-build's scheduler and event loop (see indexbuild.h).
//
// Per table, once all its parts are in: its indexes are read from the source
// (one query, in the snapshot's transaction), then
//   0. probe  (rerun only: a name is taken on the target) the target's index
//             of each taken name, to apply plan_object's rerun rule;
//   1. drop   (rerun only) objects on the target that plan_object says to rebuild;
//   2. build  one job per index, all at once on free connections, each
//             CREATE INDEX in its own transaction (they share the table's SHARE lock);
//   3. finish one job, after the table's last build: for each object its
//             ADD CONSTRAINT ... USING INDEX / CLUSTER ON / REPLICA IDENTITY ...
//             in one transaction (these take stronger locks, which would wait
//             for or deadlock with builds still running);
//   4. analyze one job, ANALYZE of the table.
// Probes, drops and finish jobs go first, so tables finish (and their done
// lines come out) as early as possible; then builds, largest index first (a
// longest-first schedule: the longest builds start as early as they can, the
// short ones fill in at the end); ANALYZE last, in the gaps builds leave.
#include "indexbuild.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <set>

#include "conn.h"
#include "indexcatalog.h"
#include "log.h"
#include "quote.h"
#include "snapshot.h"

namespace fdwcopy {

PartTracker::Added PartTracker::add(const WorkItem& w) {
    auto [it, fresh] = tables_.try_emplace(w.oid);
    Parts& p = it->second;
    if (fresh) {
        p.label = w.schema + "." + w.name;
        p.parts = w.parts;
        p.seen.assign(static_cast<size_t>(w.parts), false);
    }
    if (w.parts != p.parts) return Added::Mismatch;
    if (p.seen[static_cast<size_t>(w.part - 1)]) return Added::Duplicate;
    p.seen[static_cast<size_t>(w.part - 1)] = true;
    return ++p.count == p.parts ? Added::Complete : Added::Incomplete;
}

std::vector<std::string> PartTracker::incomplete() const {
    std::vector<std::string> out;
    for (auto& [oid, p] : tables_)
        if (p.count < p.parts)
            out.push_back(p.label + " (" + std::to_string(p.count) + " of " + std::to_string(p.parts) + " parts)");
    return out;
}

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
std::string secs(double s) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f s", s);
    return b;
}

// A statement's failure: the statement, the server's (or libpq's) message and detail.
struct Failure {
    std::string statement, message, detail;
};

// A unit of work on one connection: its statements in order (inside BEGIN ...
// COMMIT when transaction), cleanup statements run (errors ignored) after a
// failure, and the callback that gets the outcome.
struct Unit {
    std::vector<std::string> stmts;
    bool transaction = false;
    std::vector<std::string> cleanup;
    std::function<void(const Failure*)> done;  // called with nullptr on success
    std::function<void()> started;             // optional: a connection took it up
    std::function<void(const PGresult*)> rows;  // optional: gets each row set returned
};
using Job = std::deque<Unit>;

Unit make_unit(std::vector<std::string> stmts, bool transaction, std::function<void(const Failure*)> done) {
    Unit u;
    u.stmts = std::move(stmts);
    u.transaction = transaction;
    u.done = std::move(done);
    return u;
}

void notice_to_log(void*, const char* msg) {
    std::string m = msg;
    while (!m.empty() && m.back() == '\n') m.pop_back();
    log_verbose("target: " + m);
}


struct ObjState {
    IndexDef def;
    ObjectPlan plan;
    bool failed = false;  // could not drop what was in the way: not built
    bool built = false;   // the index exists (built now, or kept from a previous run)
    bool emitted = false; // written to the done stream
    Clock::time_point start;
};

struct TableState {
    std::string schema, table;
    std::vector<ObjState> objs;
    int pending_builds = 0;
    Clock::time_point start = Clock::now();
};

class Engine {
public:
    explicit Engine(const IndexBuildOptions& o) : o_(o) {}
    int run();

private:
    struct Slot {
        std::unique_ptr<Connection> conn;
        bool dead = false;
        Job job;                       // current unit first; empty = idle
        std::deque<std::string> todo;  // statements of the current unit not sent yet
        bool recovering = false;       // running ROLLBACK / cleanup after a failure
        std::string sent;              // statement in flight
        std::unique_ptr<Failure> failure;     // the unit's failure
        std::unique_ptr<Failure> stmt_error;  // the statement in flight's error
        bool busy() const { return !job.empty(); }
    };

    const IndexBuildOptions& o_;
    std::unique_ptr<Connection> src_;  // in the snapshot's transaction until the end
    std::set<IndexName> existing_names_;  // indexes on the target at start
    std::vector<Slot> slots_;
    // What runs next, in this order: probes, drops and finishing steps
    // (urgent_: they let a table finish and its done lines out); then index
    // builds, largest index first (builds_, by the source's index size: the
    // longest builds start first so that the short ones fill in at the end);
    // then ANALYZE (analyze_: it never holds up a build, and fills the cores
    // builds leave idle).
    std::deque<Job> urgent_;
    std::multimap<int64_t, Job, std::greater<int64_t>> builds_;
    std::deque<Job> analyze_;
    bool eof_ = false;  // every table is in: nothing more will be queued but their steps
    int tail_builds_ = 0;  // builds given tail workers (for the summary)
    bool queued() const { return !urgent_.empty() || !builds_.empty() || !analyze_.empty(); }
    Job next_job();
    std::map<uint32_t, TableState> tables_;  // node-based: pointers stay valid
    PartTracker parts_;
    int failures_ = 0, created_ = 0;
    std::string setup_sql_;

    std::unique_ptr<Connection> connect_target();
    void on_line(const std::string& line);
    void start_table(uint32_t oid, const WorkItem& w);
    void plan_table(TableState& t, const TargetIndexes& existing);
    void schedule_builds(TableState& t);
    void schedule_finish(TableState& t);
    void emit_done(ObjState& obj);
    void fail(const std::string& msg, const Failure& f);
    void dispatch();
    void start_unit(Slot& s);
    void send_next(Slot& s);
    void on_readable(Slot& s);
    void statement_finished(Slot& s);
    void finish_unit(Slot& s);
    void connection_lost(Slot& s);
    bool any_busy() const;
};

std::unique_ptr<Connection> Engine::connect_target() {
    auto c = std::make_unique<Connection>(o_.target, "target");
    PQsetNoticeProcessor(c->get(), notice_to_log, nullptr);
    if (!setup_sql_.empty()) c->exec(setup_sql_);  // empty: the first one, before run() builds it
    return c;
}

void Engine::emit_done(ObjState& obj) {
    if (obj.emitted) return;
    obj.emitted = true;
    ++created_;
    if (!write_all(o_.out_fd, format_done_line(obj.def.done_entry()) + "\n"))
        throw Error(std::string("could not write the done stream: ") + std::strerror(errno));
}

void Engine::fail(const std::string& msg, const Failure& f) {
    ++failures_;
    log_error(msg + ": " + f.message);
    if (!f.detail.empty()) log_detail(f.detail);
    if (!f.statement.empty()) log_detail("statement: " + f.statement);
}

void Engine::on_line(const std::string& raw) {
    std::string line = raw;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') return;
    ItemResult r;
    try {
        r = parse_result_line(line);
    } catch (const Error& e) {
        ++failures_;
        log_error(std::string("invalid input line: ") + e.what());
        return;
    }
    if (r.item.kind != "table") return;  // sequences and large objects have no indexes
    if (r.item.method == "extconfig") return;  // CREATE EXTENSION made this table's indexes
    switch (parts_.add(r.item)) {
    case PartTracker::Added::Incomplete: break;
    case PartTracker::Added::Complete: start_table(r.item.oid, r.item); break;
    case PartTracker::Added::Duplicate:
        log_warning("table " + r.item.label() + " arrived twice; the repeat is ignored");
        break;
    case PartTracker::Added::Mismatch:
        ++failures_;
        log_error("table " + r.item.label() + ": its part count differs from its first part's; line ignored");
        break;
    }
}

void Engine::start_table(uint32_t oid, const WorkItem& w) {
    TableState& t = tables_[oid];
    t.schema = w.schema;
    t.table = w.name;
    // The source's catalog is read per table as it comes in, in the transaction
    // opened at start: index-build may run once per table (scripts/fdwcopy.mk),
    // so it reads nothing about tables it is not given.
    std::map<uint32_t, TableIndexes> catalog;
    try {
        catalog = load_index_catalog(*src_, {oid});
    } catch (const Error& e) {
        fail("could not read the indexes of table " + w.label() + " on the source", Failure{{}, e.what(), {}});
        return;
    }
    auto it = catalog.find(oid);
    std::vector<IndexName> taken;
    if (it != catalog.end()) {
        t.schema = it->second.schema;
        t.table = it->second.table;
        for (auto& d : it->second.indexes) {
            ObjState s;
            s.def = d;
            t.objs.push_back(std::move(s));
            if (existing_names_.count({d.schema, d.index})) taken.emplace_back(d.schema, d.index);
        }
    }
    log_verbose("table " + quote_qualified(t.schema, t.table) + " is in: " + std::to_string(t.objs.size()) +
                " index(es) to create");
    if (taken.empty()) {  // the usual case: a fresh target
        plan_table(t, {});
        return;
    }
    // A rerun: look at what the target has under those names first.
    TableState* tp = &t;
    auto found = std::make_shared<TargetIndexes>();
    Unit probe = make_unit({target_index_query(taken)}, false, nullptr);
    probe.rows = [found](const PGresult* r) { *found = parse_target_indexes(r); };
    probe.done = [this, tp, found](const Failure* f) {
        if (f) {
            for (auto& s : tp->objs) s.failed = true;
            fail("could not look up the existing indexes of table " + quote_qualified(tp->schema, tp->table) +
                 " on the target", *f);
        }
        plan_table(*tp, *found);
    };
    Job j;
    j.push_back(std::move(probe));
    urgent_.push_front(std::move(j));
}

void Engine::plan_table(TableState& t, const TargetIndexes& existing) {
    Job drops;
    for (auto& s : t.objs) {
        if (s.failed) continue;
        auto e = existing.find({s.def.schema, s.def.index});
        s.plan = plan_object(s.def, e == existing.end() ? nullptr : &e->second);
        ObjState* obj = &s;
        if (s.plan.reindex) log_info("reindexing " + s.def.label() + ": it is on the target, but not valid");
        for (auto& stmt : s.plan.drop) {
            log_info("rebuilding " + s.def.label() + ": the target's index of that name is not the source's");
            drops.push_back(make_unit({stmt}, false, [this, obj](const Failure* f) {
                if (f && !obj->failed) {
                    obj->failed = true;
                    fail("could not drop the target's " + obj->def.label() + " to rebuild it", *f);
                }
            }));
        }
    }
    if (drops.empty()) {
        schedule_builds(t);
        return;
    }
    TableState* tp = &t;
    drops.back().done = [this, tp, prev = drops.back().done](const Failure* f) {
        prev(f);
        schedule_builds(*tp);
    };
    urgent_.push_front(std::move(drops));
}

void Engine::schedule_builds(TableState& t) {
    TableState* tp = &t;
    for (auto& s : t.objs) {
        if (s.failed) continue;
        if (!s.plan.build) {  // kept from a previous run (valid)
            s.built = true;
            continue;
        }
        ++t.pending_builds;
        ObjState* obj = &s;
        BuildStep b = s.plan.reindex ? reindex_step(s.def) : build_step(s.def);
        Unit u = make_unit(std::move(b.stmts), b.transaction, nullptr);
        u.started = [obj]() { obj->start = Clock::now(); };
        u.done = [this, tp, obj](const Failure* f) {
            if (f) {
                fail("could not create " + obj->def.label(), *f);
            } else {
                obj->built = true;
                log_verbose("built " + obj->def.label() + " in " + secs(since(obj->start)));
                if (finish_statements(obj->def, obj->plan.constraint_exists).empty()) emit_done(*obj);
            }
            if (--tp->pending_builds == 0) schedule_finish(*tp);
        };
        Job j;
        j.push_back(std::move(u));
        builds_.emplace(s.def.bytes, std::move(j));  // after those of equal size
    }
    if (t.pending_builds == 0) schedule_finish(t);
}

void Engine::schedule_finish(TableState& t) {
    Job j;
    for (auto& s : t.objs) {
        if (!s.built) continue;
        auto stmts = finish_statements(s.def, s.plan.constraint_exists);
        if (stmts.empty()) {
            emit_done(s);  // kept from a previous run (built ones were written when built)
            continue;
        }
        ObjState* obj = &s;
        Unit u = make_unit(std::move(stmts), true, [this, obj](const Failure* f) {
            if (f) fail("could not create " + obj->def.label(), *f);
            else emit_done(*obj);
        });
        u.cleanup = {cleanup_statement(s.def)};
        j.push_back(std::move(u));
    }
    const std::string table = quote_qualified(t.schema, t.table);
    Job a;
    if (o_.analyze)
        a.push_back(make_unit({"ANALYZE " + table}, false, [this, table](const Failure* f) {
            if (f) fail("could not analyze table " + table, *f);
        }));
    Job& last = a.empty() ? j : a;
    if (!last.empty()) {
        TableState* tp = &t;
        last.back().done = [tp, table, prev = last.back().done](const Failure* f) {
            prev(f);
            log_verbose("table " + table + " done in " + secs(since(tp->start)));
        };
    }
    if (!j.empty()) urgent_.push_front(std::move(j));
    if (!a.empty()) analyze_.push_back(std::move(a));
}

bool Engine::any_busy() const {
    for (auto& s : slots_)
        if (s.busy()) return true;
    return false;
}

Job Engine::next_job() {
    Job j;
    if (!urgent_.empty()) {
        j = std::move(urgent_.front());
        urgent_.pop_front();
    } else if (!builds_.empty()) {
        j = std::move(builds_.begin()->second);
        builds_.erase(builds_.begin());
        // The tail: every table is in and no other build waits, so the cores
        // of the sessions that go idle would have nothing to do while this
        // build and those running end: give it parallel maintenance workers.
        if (eof_ && builds_.empty() && o_.tail_workers > o_.parallel_workers) {
            const std::string w = std::to_string(o_.tail_workers), back = std::to_string(o_.parallel_workers);
            Unit& u = j.front();
            u.stmts.insert(u.stmts.begin(), "SET max_parallel_maintenance_workers = " + w);
            u.stmts.push_back("SET max_parallel_maintenance_workers = " + back);
            u.cleanup.push_back("SET max_parallel_maintenance_workers = " + back);
            ++tail_builds_;
        }
    } else if (!analyze_.empty()) {
        j = std::move(analyze_.front());
        analyze_.pop_front();
    }
    return j;
}

void Engine::dispatch() {
    for (auto& s : slots_) {
        if (!queued()) return;
        if (s.dead || s.busy()) continue;
        s.job = next_job();
        start_unit(s);
    }
    // No connection left: fail what is queued rather than wait forever.
    bool alive = false;
    for (auto& s : slots_) alive = alive || !s.dead;
    while (!alive && queued()) {
        Job j = next_job();
        while (!j.empty()) {
            Unit u = std::move(j.front());
            j.pop_front();
            Failure f{u.stmts.empty() ? std::string() : u.stmts.back(), "no connection to the target is left", {}};
            if (u.done) u.done(&f);
        }
    }
}

void Engine::start_unit(Slot& s) {
    Unit& u = s.job.front();
    if (u.started) u.started();
    s.todo.assign(u.stmts.begin(), u.stmts.end());
    if (u.transaction) {
        s.todo.push_front("BEGIN");
        s.todo.push_back("COMMIT");
    }
    s.recovering = false;
    s.failure.reset();
    send_next(s);
}

void Engine::send_next(Slot& s) {
    if (s.todo.empty()) {
        finish_unit(s);
        return;
    }
    s.sent = s.todo.front();
    s.todo.pop_front();
    s.stmt_error.reset();
    if (log_verbosity() >= 2) log_verbose("target: " + s.sent);
    if (!PQsendQuery(s.conn->get(), s.sent.c_str())) {
        s.stmt_error = std::make_unique<Failure>(Failure{s.sent, s.conn->error_message(), {}});
        statement_finished(s);
    }
}

void Engine::on_readable(Slot& s) {
    PGconn* c = s.conn->get();
    if (!PQconsumeInput(c)) {
        if (!s.stmt_error) s.stmt_error = std::make_unique<Failure>(Failure{s.sent, s.conn->error_message(), {}});
        if (PQstatus(c) == CONNECTION_BAD) {
            statement_finished(s);
            return;
        }
    }
    while (!PQisBusy(c)) {
        Result r(PQgetResult(c));
        if (!r) {
            statement_finished(s);
            return;
        }
        auto st = PQresultStatus(r.get());
        if (st == PGRES_TUPLES_OK && !s.recovering && s.job.front().rows) s.job.front().rows(r.get());
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !s.stmt_error) {
            const char* primary = PQresultErrorField(r.get(), PG_DIAG_MESSAGE_PRIMARY);
            const char* detail = PQresultErrorField(r.get(), PG_DIAG_MESSAGE_DETAIL);
            s.stmt_error = std::make_unique<Failure>(
                Failure{s.sent, primary ? std::string(primary) : result_error(c, r.get()), detail ? detail : ""});
        }
    }
}

void Engine::statement_finished(Slot& s) {
    if (PQstatus(s.conn->get()) == CONNECTION_BAD) {
        connection_lost(s);
        return;
    }
    if (s.stmt_error && !s.recovering) {
        s.failure = std::move(s.stmt_error);
        s.recovering = true;
        s.todo.clear();
        if (PQtransactionStatus(s.conn->get()) != PQTRANS_IDLE) s.todo.push_back("ROLLBACK");
        const Unit& u = s.job.front();
        s.todo.insert(s.todo.end(), u.cleanup.begin(), u.cleanup.end());
    }
    send_next(s);
}

void Engine::finish_unit(Slot& s) {
    Unit u = std::move(s.job.front());
    s.job.pop_front();
    std::unique_ptr<Failure> f = std::move(s.failure);
    if (u.done) u.done(f.get());
    if (!s.job.empty()) start_unit(s);
}

void Engine::connection_lost(Slot& s) {
    Failure lost{s.sent, "connection to the target lost: " + s.conn->error_message(), {}};
    if (s.stmt_error && !s.stmt_error->message.empty()) lost.message = s.stmt_error->message;
    Job j = std::move(s.job);
    s.job.clear();
    s.todo.clear();
    try {
        s.conn = connect_target();
        log_warning("lost a target connection; reconnected");
    } catch (const Error& e) {
        s.dead = true;
        log_warning(std::string("lost a target connection, and ") + e.what());
    }
    bool first = true;
    for (auto& u : j) {
        Failure f = lost;
        if (!first) f.statement = u.stmts.empty() ? std::string() : u.stmts.back();
        first = false;
        if (u.done) u.done(&f);
    }
}

int Engine::run() {
    auto t0 = Clock::now();
    src_ = std::make_unique<Connection>(o_.source, "source");
    setup_source_session(*src_);
    try {
        begin_snapshot_transaction(*src_, o_.snapshot);
    } catch (const Error& e) {
        if (o_.snapshot.empty()) throw;
        throw Error(e.what(), 1, e.detail,
                    "a snapshot can be used only while the transaction that exported it (snapshot-hold) is open");
    }
    int jobs = std::max(1, o_.jobs);
    // Never build below the target's own maintenance_work_mem (what a fresh
    // session there gets: the server's, database's or role's setting, which
    // pg_restore and every other client build with): our share of
    // --maintenance-work-mem only ever raises it.
    slots_.resize(static_cast<size_t>(jobs));
    slots_[0].conn = connect_target();
    const int64_t server_kb = std::stoll(slots_[0].conn->scalar(
        "SELECT setting FROM pg_catalog.pg_settings WHERE name = 'maintenance_work_mem'"));
    const int64_t share_kb = session_work_mem_kb(o_.maintenance_work_mem, jobs);
    const int64_t work_mem_kb = std::max(share_kb, server_kb);
    log_verbose("maintenance_work_mem of each session: " + std::to_string(work_mem_kb) + " kB (the target's " +
                std::to_string(server_kb) + " kB, a share of --maintenance-work-mem " + std::to_string(share_kb) +
                " kB)");
    setup_sql_ = "SELECT pg_catalog.set_config('search_path', '', false); "
                 "SET maintenance_work_mem = '" + std::to_string(work_mem_kb) +
                 "kB'; SET max_parallel_maintenance_workers = " + std::to_string(o_.parallel_workers) +
                 "; SET statement_timeout = 0; SET lock_timeout = 0; "
                 "SET idle_in_transaction_session_timeout = 0; SET client_min_messages = warning; "
                 "SET default_tablespace = ''; " +
                 // A done line says the index exists: its commit must survive a
                 // target crash (synchronous_commit may be off on the target).
                 durable_commit_setting_sql(false);
    slots_[0].conn->exec(setup_sql_);
    for (size_t i = 1; i < slots_.size(); ++i) slots_[i].conn = connect_target();
    existing_names_ = target_index_names(*slots_[0].conn);
    log_verbose(std::to_string(existing_names_.size()) + " index(es) already on the target");

    std::string buf;
    std::vector<pollfd> fds;
    std::vector<Slot*> fd_slot;
    while (!eof_ || queued() || any_busy()) {
        dispatch();
        fds.clear();
        fd_slot.clear();
        if (!eof_) {
            fds.push_back({o_.in_fd, POLLIN, 0});
            fd_slot.push_back(nullptr);
        }
        for (auto& s : slots_) {
            if (!s.busy()) continue;
            fds.push_back({PQsocket(s.conn->get()), POLLIN, 0});
            fd_slot.push_back(&s);
        }
        if (fds.empty()) continue;  // dispatch() drained the queue without connections
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            throw Error(std::string("poll failed: ") + std::strerror(errno));
        }
        for (size_t i = 0; i < fds.size(); ++i) {
            if (!fds[i].revents) continue;
            if (!fd_slot[i]) {
                char chunk[65536];
                ssize_t n = read(o_.in_fd, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) throw Error(std::string("could not read standard input: ") + std::strerror(errno));
                if (n == 0) {
                    eof_ = true;
                    if (!buf.empty()) on_line(buf);
                    buf.clear();
                    continue;
                }
                buf.append(chunk, static_cast<size_t>(n));
                size_t start = 0, nl;
                while ((nl = buf.find('\n', start)) != std::string::npos) {
                    on_line(buf.substr(start, nl - start));
                    start = nl + 1;
                }
                buf.erase(0, start);
            } else if (fd_slot[i]->busy()) {
                on_readable(*fd_slot[i]);
            }
        }
    }
    for (auto& t : parts_.incomplete())
        log_warning("table " + t + " did not arrive complete; its indexes are left to the post-data");
    if (tail_builds_ > 0)
        log_verbose(std::to_string(tail_builds_) + " build(s) at the tail with " + std::to_string(o_.tail_workers) +
                    " parallel maintenance worker(s)");
    log_verbose(std::to_string(created_) + " index(es) and constraint(s) created, " + std::to_string(failures_) +
                " failure(s), in " + secs(since(t0)));
    return failures_ ? 1 : 0;
}

}  // namespace

int run_index_build(const IndexBuildOptions& opts) {
    Engine e(opts);
    return e.run();
}

}  // namespace fdwcopy

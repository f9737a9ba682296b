// table-checksum's engine (see tablechecksum.h): per item, a catalog lookup
// then the checksum query, sent to both servers at once so that an item takes
// as long as its slower side.
#include "tablechecksum.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "conn.h"
#include "copytable.h"
#include "extconfig.h"
#include "itemsource.h"
#include "quote.h"
#include "snapshot.h"
#include "tsv.h"

namespace fdwcopy {

namespace {

// 64-bit prefixes of md5 summed as numeric (no overflow), then one md5 of the
// sum: an order-independent checksum, the same SQL on both servers.
std::string sum_of_md5(const std::string& text_expr) {
    return "pg_catalog.md5(COALESCE(pg_catalog.sum(('x' OPERATOR(pg_catalog.||) pg_catalog.left("
           "pg_catalog.md5(" + text_expr + "), 16))::pg_catalog.bit(64)::pg_catalog.int8), 0)::pg_catalog.text)";
}

// Settings beyond setup_source_session's that make ROW(t.*)::text render the
// same on both servers (pg_dump sets the first ones too), and a read-only
// session: comparing never writes.
const char* kCompareSettings =
    "SELECT pg_catalog.set_config('TimeZone', 'UTC', false), "
    "pg_catalog.set_config('bytea_output', 'hex', false), "
    "pg_catalog.set_config('lc_monetary', 'C', false), "
    "pg_catalog.set_config('default_transaction_read_only', 'on', false)";

// The columns of a table, in its order, for a comparison with a table of
// another name (--target-table): rows are hashed over these names on both
// sides, so that the two tables may have them in different orders.
const char* kColumnsSql =
    "SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_attribute a "
    "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
    "WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relname OPERATOR(pg_catalog.=) $2 "
    "AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped ORDER BY a.attnum";

const char* kLookupSql =
    "SELECT c.relkind::pg_catalog.text, c.relispopulated::pg_catalog.text FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
    "WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relname OPERATOR(pg_catalog.=) $2";

// One server: its conninfo and the worker's session on it, opened on demand.
struct Side {
    std::string conninfo, role;
    std::unique_ptr<Connection> conn;

    void connect() {
        if (conn) return;
        std::unique_ptr<Connection> c(new Connection(conninfo, role));
        setup_compare_session(*c);
        conn = std::move(c);
    }
};

class Comparer {
public:
    Comparer(const std::string& src, const std::string& tgt, const ChecksumOptions& opt) : opt_(opt) {
        sides_[0].conninfo = src;
        sides_[0].role = "source";
        sides_[1].conninfo = tgt;
        sides_[1].role = "target";
    }

    // Opens both sessions now; throws Error("could not connect to ...").
    void connect() {
        sides_[0].connect();
        sides_[1].connect();
    }

    ChecksumResult compare(const WorkItem& w) {
        ChecksumResult r;
        r.item = w;
        SideSum* sums[2] = {&r.source, &r.target};
        std::string sql, tsql;
        // The item as the target names it (--target-table).
        WorkItem tw = w;
        if (!opt_.target_name.empty() && w.kind == "table") {
            tw.schema = opt_.target_schema;
            tw.name = opt_.target_name;
        }
        try {
            WorkItem item = w;
            // An extension configuration table: the rows pg_dump dumps, those
            // matching the condition the source's extension gives.
            if (item.method == "extconfig") {
                sides_[0].connect();
                read_extension_condition(*sides_[0].conn, item);
            }
            sql = checksum_sql(item);
            item_ = item;
            titem_ = item;
            titem_.schema = tw.schema;
            titem_.name = tw.name;
            tsql = checksum_sql(titem_);
        } catch (const Error& e) {
            r.source.failed = true;
            r.source.error = Error(checksum_subject(w) + ": " + e.what(), e.code, e.detail, e.hint);
            r.status = "error";
            return r;
        }
        subject_ = checksum_subject(w);
        for (int i = 0; i < 2; ++i) {
            try {
                sides_[i].connect();
            } catch (const Error& e) {
                fail(i, *sums[i], e.what());
            }
        }
        bool query[2] = {true, true}, tpartitioned = false;
        char want = item_relkind(w);
        if (want) {
            std::string kind(1, want);
            Result res[2];
            send(0, *sums[0], kLookupSql, {w.schema, w.name});
            send(1, *sums[1], kLookupSql, {tw.schema, tw.name});
            for (int i = 0; i < 2; ++i) res[i] = collect(i, *sums[i]);
            for (int i = 0; i < 2; ++i) {
                if (sums[i]->failed) {
                    query[i] = false;
                    continue;
                }
                // A table may be partitioned on the target (fdwcopy clone
                // --data-only into an existing schema): its rows are those of
                // its partitions.
                bool partitioned = i == 1 && want == 'r' && PQntuples(res[i].get()) == 1 &&
                                   std::strcmp(PQgetvalue(res[i].get(), 0, 0), "p") == 0;
                if (partitioned) tpartitioned = true;
                bool found = PQntuples(res[i].get()) == 1 &&
                             (kind == PQgetvalue(res[i].get(), 0, 0) || partitioned ||
                              (opt_.foreign && want == 'r' && std::strcmp(PQgetvalue(res[i].get(), 0, 0), "f") == 0));
                if (!found) {
                    query[i] = false;
                    sums[i]->found = false;
                    // The source's catalog listed it: gone now is an error there.
                    if (i == 0) fail(0, *sums[0], "relation does not exist");
                } else if (want == 'm' && std::strcmp(PQgetvalue(res[i].get(), 0, 1), "true") != 0) {
                    query[i] = false;
                    sums[i]->sum = "unpopulated";
                }
            }
        }
        // Another table on the target: its columns by the source's names.
        if (!opt_.target_name.empty() && w.kind == "table" && query[0] && query[1]) {
            std::vector<std::string> cols;
            send(0, *sums[0], kColumnsSql, {w.schema, w.name});
            Result c = collect(0, *sums[0]);
            if (sums[0]->failed) return finish(r);
            for (int k = 0; k < PQntuples(c.get()); ++k) cols.push_back(PQgetvalue(c.get(), k, 0));
            sql = checksum_sql(item_, cols);
            tsql = checksum_sql(titem_, cols, tpartitioned);
        } else if (tpartitioned) {
            tsql = checksum_sql(titem_, {}, true);
        }
        Result res[2];
        for (int i = 0; i < 2; ++i)
            if (query[i]) send(i, *sums[i], i == 0 ? sql : tsql, {});
        for (int i = 0; i < 2; ++i) {
            if (!query[i] || sums[i]->failed) continue;
            res[i] = collect(i, *sums[i]);
            if (sums[i]->failed) continue;
            if (PQntuples(res[i].get()) != 1 || PQnfields(res[i].get()) != 2) {
                fail(i, *sums[i], "unexpected result of the checksum query");
                continue;
            }
            sums[i]->value = PQgetvalue(res[i].get(), 0, 0);
            sums[i]->sum = PQgetvalue(res[i].get(), 0, 1);
        }
        return finish(r);
    }

private:
    ChecksumOptions opt_;
    WorkItem item_;   // the item being compared (with an extension's condition read)
    WorkItem titem_;  // the item being compared, as the target names it

    ChecksumResult& finish(ChecksumResult& r) {
        r.status = checksum_status(r.source, r.target);
        return r;
    }
    Side sides_[2];
    std::string subject_;

    void fail(int i, SideSum& s, const std::string& msg) {
        s.failed = true;
        s.value = s.sum = "-";
        s.error = item_error(subject_ + " on " + sides_[i].role + ": ", Error(msg));
        // A lost session is opened anew for the next item.
        if (sides_[i].conn && PQstatus(sides_[i].conn->get()) != CONNECTION_OK) sides_[i].conn.reset();
    }

    void send(int i, SideSum& s, const std::string& sql, const std::vector<std::string>& params) {
        if (s.failed || !sides_[i].conn) return;
        std::vector<const char*> vals;
        for (auto& p : params) vals.push_back(p.c_str());
        PGconn* c = sides_[i].conn->get();
        if (!PQsendQueryParams(c, sql.c_str(), static_cast<int>(vals.size()), nullptr, vals.data(), nullptr,
                               nullptr, 0))
            fail(i, s, result_error(c, nullptr));
    }

    // The result of the query sent on side i (the first error, if any), or an
    // empty Result after recording the failure in s.
    Result collect(int i, SideSum& s) {
        if (s.failed || !sides_[i].conn) return Result();
        PGconn* c = sides_[i].conn->get();
        Result keep;
        bool error = false;
        while (PGresult* p = PQgetResult(c)) {
            Result h(p);
            auto st = PQresultStatus(p);
            bool bad = st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK;
            if (!error && (bad || !keep)) {
                keep = std::move(h);
                error = bad;
            }
        }
        if (!keep) {
            fail(i, s, result_error(c, nullptr));
            return Result();
        }
        if (error) {
            fail(i, s, result_error(c, keep.get()));
            return Result();
        }
        return keep;
    }
};

}  // namespace

char item_relkind(const WorkItem& w) {
    if (w.kind == "table") return 'r';
    if (w.kind == "sequence") return 'S';
    if (w.kind == "matview") return 'm';
    return 0;
}

std::string checksum_subject(const WorkItem& w) {
    if (w.kind == "blobs") return "large objects";
    std::string what = w.kind == "matview" ? "materialized view" : w.kind;
    std::string s = what + " " + quote_qualified(w.schema, w.name);
    if (w.parts > 1) s += " part " + std::to_string(w.part) + "/" + std::to_string(w.parts);
    return s;
}

void setup_compare_session(Connection& conn) {
    setup_source_session(conn);
    conn.exec(kCompareSettings);
}

std::string checksum_sql(const WorkItem& w, const std::vector<std::string>& cols, bool with_partitions) {
    if (w.kind == "sequence")
        return "SELECT last_value::pg_catalog.text, is_called::pg_catalog.text FROM " +
               quote_qualified(w.schema, w.name);
    if (w.kind == "blobs")
        return "SELECT pg_catalog.count(*)::pg_catalog.text, " +
               sum_of_md5("oid::pg_catalog.text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) "
                          "pg_catalog.md5(pg_catalog.lo_get(oid))") +
               " FROM pg_catalog.pg_largeobject_metadata";
    if (w.method == "ctid")
        throw Error("a page-range part (method ctid) cannot be compared: the same pages hold "
                    "different rows on the two servers",
                    1, "", "list the table whole (table-list without --split-larger-than)");
    std::string row = "t.*";
    if (!cols.empty()) {
        row.clear();
        for (size_t i = 0; i < cols.size(); ++i) row += (i ? ", t." : "t.") + quote_ident(cols[i]);
    }
    std::string sql = "SELECT pg_catalog.count(*)::pg_catalog.text, " + sum_of_md5("ROW(" + row + ")::pg_catalog.text") +
                      " FROM " + (w.kind == "matview" || with_partitions ? "" : "ONLY ") +
                      quote_qualified(w.schema, w.name) + " t";
    if (!w.whole()) sql += " WHERE " + w.predicate();
    return sql;
}

std::string checksum_status(const SideSum& s, const SideSum& t) {
    if (s.failed || t.failed) return "error";
    if (!t.found) return "missing";
    return s.value == t.value && s.sum == t.sum ? "equal" : "differ";
}

std::string format_checksum_line(const ChecksumResult& r) {
    const WorkItem& w = r.item;
    return tsv_join({w.kind, w.schema, w.name, std::to_string(w.part), std::to_string(w.parts), r.source.value,
                     r.source.sum, r.target.value, r.target.sum, r.status});
}

int run_table_checksum(const std::string& source, const std::string& target, const std::vector<std::string>& items,
                       const ChecksumOptions& opt) {
    const int jobs = opt.jobs < 1 ? 1 : opt.jobs;
    std::vector<std::unique_ptr<Comparer>> comparers;
    for (int i = 0; i < jobs; ++i) comparers.emplace_back(new Comparer(source, target, opt));
    // Wrong conninfo or a server down: say so once, before reading any item.
    try {
        comparers[0]->connect();
    } catch (const Error& e) {
        return report(e);
    }
    WorkLineRun run(items);
    auto worker = [&](Comparer& cmp) {
        std::string l;
        while (run.next(&l)) {
            WorkItem w;
            try {
                w = parse_work_line(l);
            } catch (const Error& e) {
                run.fail(e, false);
                continue;
            }
            ChecksumResult r = cmp.compare(w);
            if (r.source.failed) run.fail(r.source.error, false);
            if (r.target.failed) run.fail(r.target.error, false);
            if (!run.write_line(format_checksum_line(r)))
                run.fail(Error("could not write the result of " + checksum_subject(w) + ": " + std::strerror(errno)),
                         false);
        }
    };
    run_workers(jobs, [&](int i) { worker(*comparers[i]); });
    return run.status();
}

}  // namespace fdwcopy

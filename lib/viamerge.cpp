// copy-table --via-fdw (see viamerge.h): key ranges compared and merged in
// target transactions, the source read through postgres_fdw foreign tables.
#include "viamerge.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <regex>
#include <set>

#include "conn.h"
#include "itemsource.h"
#include "keyrange.h"
#include "log.h"
#include "quote.h"
#include "snapshot.h"
#include "tablechecksum.h"
#include "workitem.h"

namespace fdwcopy {

std::string via_column_hash(const std::string& column, const std::string& type) {
    // The functions of the types' default hash operator classes (pg_amproc,
    // support function 2), called with an argument of their own type, each
    // with what tells apart the values they hash alike but whose text (what
    // verify compares) differs; every element a bigint (or NULL). Only what
    // postgres_fdw 15 sends (EXPLAIN VERBOSE: the aggregate in the Remote
    // SQL): built-in immutable functions and operators, constants, ARRAY[],
    // CASE; not COALESCE, nor a function of text that is not a foreign
    // column (its collation). % is the column.
    static const std::string kSignBit =
        "(pg_catalog.atan2(%, '-1'::pg_catalog.float8) OPERATOR(pg_catalog.<) '0'::pg_catalog.float8)"
        "::pg_catalog.int4::pg_catalog.int8";
    static const std::vector<std::pair<std::regex, std::string>> kFuncs = {
        {std::regex("smallint"), "pg_catalog.hashint2extended(%, 0)"},
        {std::regex("integer"), "pg_catalog.hashint4extended(%, 0)"},
        {std::regex("bigint"), "pg_catalog.hashint8extended(%, 0)"},
        {std::regex("text|character varying(\\([0-9]+\\))?"), "pg_catalog.hashtextextended(%, 0)"},
        {std::regex("character(\\([0-9]+\\))?"), "pg_catalog.hashbpcharextended(%, 0)"},
        {std::regex("uuid"), "pg_catalog.uuid_hash_extended(%, 0)"},
        {std::regex("boolean"), "pg_catalog.hashint4extended(%::pg_catalog.int4, 0)"},
        // a date as its days since 2000-01-01 (its internal value), infinity
        // and -infinity too (date - date refuses them: the query failed);
        // the casts between date and the timestamp types depend on TimeZone
        {std::regex("date"),
         "pg_catalog.hashint4extended(CASE WHEN % OPERATOR(pg_catalog.=) 'infinity'::pg_catalog.date THEN 2147483647 "
         "WHEN % OPERATOR(pg_catalog.=) '-infinity'::pg_catalog.date THEN '-2147483648'::pg_catalog.int4 "
         "ELSE % OPERATOR(pg_catalog.-) '2000-01-01'::pg_catalog.date END, 0)"},
        {std::regex("timestamp(\\([0-9]\\))? without time zone"), "pg_catalog.timestamp_hash_extended(%, 0)"},
        // the instant as UTC wall-clock time: timezone(interval, ...) is
        // immutable and keeps infinity (timestamptz - timestamptz refuses it)
        {std::regex("timestamp(\\([0-9]\\))? with time zone"),
         "pg_catalog.timestamp_hash_extended(pg_catalog.timezone('00:00:00'::pg_catalog.interval, %), 0)"},
        // numeric's hash function hashes equal values of different text
        // alike (9 = 9.0), and NaN, Infinity and -Infinity all as 0: a second
        // element, the scale, or -1, -2, -3 for those. interval ('1 day' =
        // '24 hours') and jsonb (1.0 = 1.00) have the same fault and nothing
        // postgres_fdw sends tells those apart: they hash by their text, and
        // their ranges' rows cross to compare.
        {std::regex("numeric(\\([0-9, ]+\\))?"),
         "pg_catalog.hash_numeric_extended(%, 0), (CASE WHEN % OPERATOR(pg_catalog.=) 'NaN'::pg_catalog.numeric "
         "THEN -1 WHEN % OPERATOR(pg_catalog.=) 'Infinity'::pg_catalog.numeric THEN -2 "
         "WHEN % OPERATOR(pg_catalog.=) '-Infinity'::pg_catalog.numeric THEN -3 ELSE pg_catalog.scale(%) END)"
         "::pg_catalog.int8"},
        // -0 = 0, both hashed as 0 (every NaN alike, as verify's text 'NaN'):
        // a second element, the sign bit (atan2(-0, -1) is -pi)
        {std::regex("real"), "pg_catalog.hashfloat4extended(%, 0), " + kSignBit},
        {std::regex("double precision"), "pg_catalog.hashfloat8extended(%, 0), " + kSignBit},
        // (md5(%) is not sent: its text has no collation of a foreign column)
        {std::regex("bytea"), "pg_catalog.hash_array_extended(ARRAY[%], 0)"},
    };
    // Element types whose hash tells apart every two values of different
    // text: an array of one of them hashes its elements with their hash
    // function, plus its bounds, which hash_array ignores ('[0:1]={1,2}' and
    // '{1,2}'; '{{1,2},{3,4}}' and '{{1,2,3,4}}'): those of the first
    // dimension, and of the others (up to 6) when it has more than one; an
    // array of any other type hashes by its text.
    static const std::regex kExactElement(
        "smallint|integer|bigint|text|character varying(\\([0-9]+\\))?|character(\\([0-9]+\\))?|uuid|boolean|bytea");
    static const std::string kArray = [] {
        std::string dims;
        for (int d = 2; d <= 6; ++d)
            dims += std::string(d > 2 ? ", " : "") + "pg_catalog.array_lower(%, " + std::to_string(d) +
                    "), pg_catalog.array_upper(%, " + std::to_string(d) + ")";
        return "pg_catalog.hash_array_extended(%, 0), pg_catalog.hash_array_extended(ARRAY[pg_catalog.array_lower(%, 1), "
               "pg_catalog.array_upper(%, 1)], 0), CASE WHEN pg_catalog.array_ndims(%) OPERATOR(pg_catalog.>) 1 THEN "
               "pg_catalog.hash_array_extended(ARRAY[" + dims + "], 0) END";
    }();
    static const std::regex kArrayType("(.*)\\[\\]");
    const std::string col = "t." + quote_ident(column);
    auto expand = [&](std::string call) {
        size_t at = 0;
        while ((at = call.find('%', at)) != std::string::npos) {
            call.replace(at, 1, col);
            at += col.size();
        }
        return call;
    };
    std::smatch m;
    std::string base = type;
    bool array = false;
    while (std::regex_match(base, m, kArrayType)) {
        base = m[1].str();
        array = true;
    }
    if (array) {
        if (std::regex_match(base, kExactElement)) return expand(kArray);
    } else {
        for (auto& f : kFuncs)
            if (std::regex_match(base, f.first)) return expand(f.second);
    }
    // the text in the "C" collation: bytes, not a nondeterministic collation's equality
    return "pg_catalog.hashtextextended(" + col + "::pg_catalog.text COLLATE pg_catalog.\"C\", 0)";
}

std::string via_hash_sql(const std::string& rel, const std::vector<std::string>& hashes, const std::string& predicate) {
    std::string arr;
    for (size_t i = 0; i < hashes.size(); ++i) arr += (i ? ", " : "") + hashes[i];
    std::string sql = "SELECT pg_catalog.count(*)::pg_catalog.text, COALESCE(pg_catalog.sum("
                      "pg_catalog.hash_array_extended(ARRAY[" + arr + "]::pg_catalog.int8[], 0)), 0)::pg_catalog.text "
                      "FROM ONLY " + rel + " t";
    if (!predicate.empty()) sql += " WHERE " + predicate;
    return sql;
}

namespace {

const char* kForeignSql =
    "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), c.oid::pg_catalog.text "
    "FROM pg_catalog.pg_foreign_table ft "
    "JOIN pg_catalog.pg_foreign_server s ON s.oid OPERATOR(pg_catalog.=) ft.ftserver "
    "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) ft.ftrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
    "WHERE s.srvname OPERATOR(pg_catalog.=) $1 AND ft.ftoptions OPERATOR(pg_catalog.@>) "
    "  ARRAY['schema_name=' OPERATOR(pg_catalog.||) $2, 'table_name=' OPERATOR(pg_catalog.||) $3]";

// (a column of a nondeterministic collation: type "-", hashed by its text:
// its type's hash function hashes the strings that collation calls equal
// alike)
const char* kColumnsSql =
    "SELECT a.attname, CASE WHEN co.collisdeterministic OPERATOR(pg_catalog.=) false THEN '-' "
    "ELSE pg_catalog.format_type(a.atttypid, a.atttypmod) END FROM pg_catalog.pg_attribute a "
    "LEFT JOIN pg_catalog.pg_collation co ON co.oid OPERATOR(pg_catalog.=) a.attcollation "
    "WHERE a.attrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass AND a.attnum OPERATOR(pg_catalog.>) 0 "
    " AND NOT a.attisdropped AND a.attgenerated OPERATOR(pg_catalog.=) '' ORDER BY a.attnum";

std::string describe(const WorkItem& w) {
    std::string s = w.kind + " \"" + w.schema + "." + w.name + "\"";
    if (w.method == "range") s += " range [" + w.lo + ", " + w.hi + ")";
    return s;
}

class ViaMerger {
public:
    ViaMerger(const std::string& tgt, const CopyOptions& opt) : tgt_ci_(tgt), opt_(opt) {}

    // Compares (via_diff) or merges w; false when compared equal (no line).
    bool run(const WorkItem& w, std::string* line) {
        try {
            connect();
            if (w.kind == "blobs") throw Error("large objects cannot be read through postgres_fdw");
            if (w.kind != "table" && w.kind != "sequence") throw Error("a " + w.kind + " is not merged");
            if (w.kind == "table" && w.method != "range" && w.method != "-")
                throw Error("only key ranges (table-list --by-key) and whole tables are merged through --via-fdw");
            if (opt_.via_diff) {
                if (!differs(w)) return false;
                *line = format_work_line(w);
                return true;
            }
            *line = format_result_line(w.kind == "sequence" ? set_sequence(w) : merge(w));
            return true;
        } catch (...) {
            if (tgt_ && PQtransactionStatus(tgt_->get()) != PQTRANS_IDLE) tgt_.reset();
            throw;
        }
    }

private:
    std::string tgt_ci_;
    const CopyOptions& opt_;
    std::unique_ptr<Connection> tgt_;

    struct Table {
        std::string rel, foreign;               // quoted names
        std::vector<std::string> cols, hashes;  // both sides have cols (the target's order)
        std::map<std::string, std::string> ftypes;  // the foreign table's column types
    };
    std::string source_timezone_;  // --since: the source's TimeZone, once read
    std::map<std::pair<std::string, std::string>, Table> tables_;

    void connect() {
        if (tgt_) return;
        tgt_.reset(new Connection(tgt_ci_, "target"));
        // comparing: the fallback hash hashes text, the same for the same value
        if (opt_.via_diff) setup_compare_session(*tgt_);
        else setup_target_session(*tgt_);
        if (opt_.disable_triggers) tgt_->exec("SET session_replication_role = replica");
    }

    // The foreign table of w's source relation (quoted), or an error naming it.
    std::string foreign_of(const WorkItem& w) { return foreign_of(w.kind, w.schema, w.name); }
    std::string foreign_of(const std::string& kind, const std::string& schema, const std::string& name) {
        Result f = tgt_->exec_params(kForeignSql, {opt_.via_server, schema, name});
        if (PQntuples(f.get()) != 1)
            throw Error("source: " + kind + " \"" + schema + "." + name + "\" has no foreign table of server \"" +
                        opt_.via_server + "\" (it does not exist on the source, or was not imported)");
        return PQgetvalue(f.get(), 0, 0);
    }

    // --since: "column >= since" with since a constant of the column's type,
    // which postgres_fdw sends (an index of the source serves it); a
    // timestamp or date column takes the time or the day of since in the
    // source's TimeZone (as copy-table --merge --since, whose source session
    // has the source's default): the reset_val of TimeZone in the source's
    // pg_settings, read through the server's foreign table of
    // pg_catalog.pg_settings (fdwcopy sync --via-fdw --since creates it).
    std::string since_predicate(const WorkItem& w, const Table& t) {
        static const std::regex kTs("timestamp(\\([0-9]\\))? without time zone"),
            kTstz("timestamp(\\([0-9]\\))? with time zone");
        auto c = t.ftypes.find(opt_.updated_at);
        if (c == t.ftypes.end())
            throw Error("source: table \"" + w.schema + "." + w.name + "\" has no column \"" + opt_.updated_at +
                        "\" (--updated-at)");
        std::string cast = "pg_catalog.timestamptz", since = opt_.since;
        if (c->second == "date" || std::regex_match(c->second, kTs)) {
            cast = c->second == "date" ? "pg_catalog.date" : "pg_catalog.timestamp";
            if (source_timezone_.empty())
                source_timezone_ = tgt_->scalar("SELECT reset_val FROM " + foreign_of("view", "pg_catalog", "pg_settings") +
                                                " WHERE name OPERATOR(pg_catalog.=) 'TimeZone'");
            Result r = tgt_->exec_params("SELECT pg_catalog.timezone($2, $1::pg_catalog.timestamptz)::" + cast +
                                             "::pg_catalog.text",
                                         {opt_.since, source_timezone_});
            since = PQgetvalue(r.get(), 0, 0);
        } else if (!std::regex_match(c->second, kTstz)) {
            throw Error("source: column \"" + opt_.updated_at + "\" of table \"" + w.schema + "." + w.name +
                        "\" is of type " + c->second + ", not timestamptz, timestamp or date (--updated-at)");
        }
        return quote_ident(opt_.updated_at) + " OPERATOR(pg_catalog.>=) " + quote_literal(since) + "::" + cast;
    }

    const Table& table(const WorkItem& w) {
        auto key = std::make_pair(w.schema, w.name);
        auto it = tables_.find(key);
        if (it != tables_.end()) return it->second;
        Table t;
        t.rel = quote_qualified(w.schema, w.name);
        t.foreign = foreign_of(w);
        std::map<std::string, std::string> ftype;
        Result fc = tgt_->exec_params(kColumnsSql, {t.foreign});
        for (int i = 0; i < PQntuples(fc.get()); ++i) ftype[PQgetvalue(fc.get(), i, 0)] = PQgetvalue(fc.get(), i, 1);
        t.ftypes = ftype;
        Result tc = tgt_->exec_params(kColumnsSql, {t.rel});
        std::vector<std::string> only_target;
        for (int i = 0; i < PQntuples(tc.get()); ++i) {
            std::string c = PQgetvalue(tc.get(), i, 0), type = PQgetvalue(tc.get(), i, 1);
            auto f = ftype.find(c);
            if (f == ftype.end()) {
                only_target.push_back(c);
                continue;
            }
            t.cols.push_back(c);
            // a column whose type differs is hashed by its text on both sides
            t.hashes.push_back(via_column_hash(c, f->second == type ? type : "-"));
            ftype.erase(f);
        }
        auto say = [&](const std::vector<std::string>& c, const char* side) {
            if (c.empty()) return;
            std::string names;
            for (auto& n : c) names += (names.empty() ? "" : ", ") + quote_ident(n);
            log_warning("table " + t.rel + ": column" + (c.size() > 1 ? "s " : " ") + names + " only on the " + side +
                        ": not compared");
        };
        std::vector<std::string> only_source;
        for (auto& f : ftype) only_source.push_back(f.first);
        say(only_source, "source");
        say(only_target, "target");
        return tables_[key] = t;
    }

    std::pair<std::string, std::string> hash_of(const std::string& rel, const Table& t, const std::string& pred) {
        Result r = tgt_->exec(via_hash_sql(rel, t.hashes, pred));
        return {PQgetvalue(r.get(), 0, 0), PQgetvalue(r.get(), 0, 1)};
    }

    bool differs(const WorkItem& w) {
        if (w.kind == "sequence") {
            const std::string q = "SELECT last_value::pg_catalog.text || ' ' || is_called::pg_catalog.text FROM ";
            return tgt_->scalar(q + foreign_of(w)) != tgt_->scalar(q + quote_qualified(w.schema, w.name));
        }
        const Table& t = table(w);
        std::string pred = w.whole() ? "" : w.predicate();
        auto s = hash_of(t.foreign, t, pred), d = hash_of(t.rel, t, pred);
        log_verbose(describe(w) + (s == d ? ": equal (" + s.first + ")"
                                          : ": differs (source " + s.first + ", target " + d.first + ")"));
        return s != d;
    }

    ItemResult set_sequence(const WorkItem& w) {
        tgt_->exec("SELECT pg_catalog.setval(" + quote_literal(quote_qualified(w.schema, w.name)) +
                   "::pg_catalog.regclass, last_value, is_called) FROM " + foreign_of(w));
        ItemResult r;
        r.item = w;
        r.merged = true;
        r.rows = r.updated = 1;
        return r;
    }

    static int64_t count_of(const Result& r, int col = 0) { return std::strtoll(PQgetvalue(r.get(), 0, col), nullptr, 10); }

    // One target transaction; the remote reads of postgres_fdw share one
    // remote REPEATABLE READ transaction, so the delete and the upsert see
    // the same source rows.
    ItemResult merge(const WorkItem& w) {
        const auto t0 = std::chrono::steady_clock::now();
        const Table& t = table(w);
        ItemResult r;
        r.item = w;
        r.merged = true;
        std::string list;
        for (size_t i = 0; i < t.cols.size(); ++i) list += (i ? ", " : "") + quote_ident(t.cols[i]);
        if (!opt_.since.empty() && w.whole())
            throw Error("a table without a key range cannot be merged with --since (only a range of a primary or "
                        "unique not-null key can)");
        tgt_->exec("BEGIN");
        tgt_->exec("SET CONSTRAINTS ALL DEFERRED");
        if (w.whole()) {
            r.deleted = count_of(tgt_->exec("WITH d AS (DELETE FROM ONLY " + t.rel + " RETURNING 1) SELECT pg_catalog.count(*) FROM d"));
            Result x = tgt_->exec("INSERT INTO " + t.rel + " (" + list + ") OVERRIDING SYSTEM VALUE SELECT " + list +
                                  " FROM ONLY " + t.foreign);
            r.rows = r.inserted = std::strtoll(PQcmdTuples(x.get()), nullptr, 10);
        } else {
            std::vector<std::string> keys = item_keys(w);
            std::set<std::string> key_set(keys.begin(), keys.end());
            for (auto& k : keys)
                if (!std::count(t.cols.begin(), t.cols.end(), k)) throw Error("key column \"" + k + "\" is not on both sides");
            const std::string pred = w.predicate();
            // --since: the source's rows changed since then only
            const std::string src_pred = opt_.since.empty() ? pred : pred + " AND " + since_predicate(w, t);
            std::string key_list, t_keys, t_row, x_row, set;
            for (size_t i = 0; i < keys.size(); ++i) {
                key_list += (i ? ", " : "") + quote_ident(keys[i]);
                t_keys += (i ? ", t." : "t.") + quote_ident(keys[i]);
            }
            for (size_t i = 0; i < t.cols.size(); ++i) {
                std::string c = quote_ident(t.cols[i]);
                t_row += (i ? ", t." : "t.") + c;
                x_row += (i ? ", EXCLUDED." : "EXCLUDED.") + c;
                if (!key_set.count(t.cols[i])) set += (set.empty() ? "" : ", ") + c + " = EXCLUDED." + c;
            }
            // first the deletes, so that a key change (or a unique value moving
            // to another row) does not collide with the row it replaces; NOT IN
            // reads the source's keys in one scan (a hashed subplan), where NOT
            // EXISTS may become one remote query per target row; the keys of a
            // range are NOT NULL
            if (opt_.del)
                r.deleted = count_of(tgt_->exec(
                    "WITH d AS (DELETE FROM ONLY " + t.rel + " t WHERE " + pred + " AND (" + t_keys + ") NOT IN (SELECT " +
                    key_list + " FROM ONLY " + t.foreign + " WHERE " + pred + ") RETURNING 1) SELECT pg_catalog.count(*) FROM d"));
            if (!opt_.delete_only) {
                // rows compare by their text, as copy-table --merge compares them
                std::string action = set.empty() ? "DO NOTHING"
                                                 : "DO UPDATE SET " + set + " WHERE ROW(" + t_row +
                                                       ")::pg_catalog.text IS DISTINCT FROM ROW(" + x_row +
                                                       ")::pg_catalog.text";
                Result u = tgt_->exec("WITH s AS MATERIALIZED (SELECT " + list + " FROM ONLY " + t.foreign + " WHERE " +
                                      src_pred + "), u AS (INSERT INTO " + t.rel + " AS t (" + list +
                                      ") OVERRIDING SYSTEM VALUE SELECT " + list + " FROM s ON CONFLICT (" + key_list +
                                      ") " + action +
                                      " RETURNING t.xmax OPERATOR(pg_catalog.=) '0'::pg_catalog.xid AS inserted) "
                                      "SELECT pg_catalog.count(*) FILTER (WHERE inserted), "
                                      "pg_catalog.count(*) FILTER (WHERE NOT inserted), (SELECT pg_catalog.count(*) FROM s) FROM u");
                r.inserted = count_of(u, 0);
                r.updated = count_of(u, 1);
                r.rows = count_of(u, 2);
            }
        }
        commit_durable(*tgt_);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (opt_.progress)
            write_all(2, program_name() + ": " + w.label() + ": " + std::to_string(r.rows) + " source rows, " +
                             std::to_string(r.inserted) + " inserted, " + std::to_string(r.updated) + " updated, " +
                             std::to_string(r.deleted) + " deleted\n");
        return r;
    }
};

}  // namespace

int run_via_fdw(const std::string& target, const std::vector<std::string>& items, const CopyOptions& opt) {
    const int jobs = opt.jobs < 1 ? 1 : opt.jobs;
    WorkLineRun run(items);
    auto worker = [&] {
        ViaMerger m(target, opt);
        std::string l, out;
        while (run.next(&l)) {
            WorkItem w;
            try {
                w = parse_work_line(l);
                if (!m.run(w, &out)) continue;
            } catch (const Error& e) {
                run.fail(item_error(std::string(opt.via_diff ? "could not compare " : "could not merge ") +
                                        (w.kind.empty() ? "a work line" : describe(w)) + ": ",
                                    e),
                         !opt.keep_going);
                continue;
            }
            if (!run.write_line(out))
                run.fail(Error(std::string("could not write a line: ") + std::strerror(errno)), !opt.keep_going);
        }
    };
    run_workers(jobs, [&](int) { worker(); });
    return run.status();
}

}  // namespace fdwcopy

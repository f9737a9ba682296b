// libpq connection and result handles (RAII), and conninfo masking.
// Everything about conninfo strings, URIs, PG* variables, .pgpass and service
// files is libpq's (PostgreSQL docs, "Connection Strings", libpq-connect).
#pragma once
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "log.h"

namespace fdwcopy {

struct ResultDeleter { void operator()(PGresult* r) const { PQclear(r); } };
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// Returns conninfo (keyword=value string or URI) with any password replaced by
// "****", suitable for messages, as keyword='value' pairs (lib/conninfo; a plain
// database name gives dbname='NAME'). An empty string stays empty (libpq
// defaults). If libpq cannot parse it, returns "(unparsable conninfo)" so that nothing of a
// possibly secret string is echoed.
std::string mask_conninfo(const std::string& conninfo);

// Returns the first of: value (if non-empty), getenv(env_name) (if set and
// non-empty), "" (libpq then uses PG* variables and its defaults).
std::string resolve_conninfo(const std::string& value, const char* env_name);

class Connection {
public:
    // Connects with PQconnectdbParams(expand_dbname=1) so that conninfo may be a
    // keyword=value string or a URI, with application_name = the program name.
    // role names the side in messages ("source", "target").
    // Throws Error("could not connect to <role>: <libpq message>"); a conninfo
    // libpq cannot parse gives parse_conninfo's message (lib/conninfo), which
    // never shows a password.
    Connection(const std::string& conninfo, const std::string& role);
    // Same, with extra keyword/value pairs that override the conninfo's (for
    // example replication=database for a walsender session, PostgreSQL docs
    // "Streaming Replication Protocol").
    Connection(const std::string& conninfo, const std::string& role,
               const std::vector<std::pair<std::string, std::string>>& extra);
    Connection(Connection&&) = default;
    Connection& operator=(Connection&&) = default;

    PGconn* get() const { return conn_.get(); }
    const std::string& role() const { return role_; }

    // Runs sql; throws Error("<role>: <libpq message>") unless the result status is
    // PGRES_COMMAND_OK or PGRES_TUPLES_OK. The SQL text is not put in the message
    // (it may hold secrets); callers add context.
    Result exec(const std::string& sql);
    // Same with text parameters ($1, $2, ...) via PQexecParams.
    Result exec_params(const std::string& sql, const std::vector<std::string>& params);
    // Convenience: first column of the first row, or throws if no rows.
    std::string scalar(const std::string& sql, const std::vector<std::string>& params = {});

    // Server version as PQserverVersion (e.g. 150018).
    int server_version() const { return PQserverVersion(conn_.get()); }
    // The last libpq error message without its trailing newline.
    std::string error_message() const;

private:
    struct Deleter { void operator()(PGconn* c) const { PQfinish(c); } };
    std::unique_ptr<PGconn, Deleter> conn_;
    std::string role_;
};

// libpq's error message of res (or of conn if res has none), trailing newline cut.
std::string result_error(PGconn* conn, const PGresult* res);

}  // namespace fdwcopy

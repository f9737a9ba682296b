// libpq RAII wrappers (see conn.h).
#include "conn.h"

#include <cstdlib>

#include "conninfo.h"

namespace fdwcopy {

namespace {
std::string chomp(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}
}  // namespace

std::string mask_conninfo(const std::string& conninfo) {
    std::vector<ConninfoOption> opts;
    try {
        opts = parse_conninfo(conninfo);
    } catch (const Error&) {
        return "(unparsable conninfo)";
    }
    for (auto& [kw, val] : opts)
        if (kw == "password") val = "****";
    return format_conninfo(opts);
}

std::string resolve_conninfo(const std::string& value, const char* env_name) {
    if (!value.empty()) return value;
    if (env_name) {
        const char* v = std::getenv(env_name);
        if (v && *v) return v;
    }
    return {};
}

std::string result_error(PGconn* conn, const PGresult* res) {
    std::string msg;
    if (res) msg = PQresultErrorMessage(res);
    if (msg.empty() && conn) msg = PQerrorMessage(conn);
    return chomp(msg);
}

Connection::Connection(const std::string& conninfo, const std::string& role)
    : Connection(conninfo, role, {}) {}

Connection::Connection(const std::string& conninfo, const std::string& role,
                       const std::vector<std::pair<std::string, std::string>>& extra)
    : role_(role) {
    // libpq's own parse errors may quote the password (a URI component, the
    // whole URI): parse first with lib/conninfo, whose messages never do.
    try {
        parse_conninfo(conninfo);
    } catch (const Error& e) {
        throw Error("could not connect to " + role + ": " + e.what());
    }
    // With expand_dbname the dbname value may be a whole conninfo or URI, and
    // keywords after it override earlier ones: application_name comes first so a
    // user-given application_name wins.
    const std::string app = program_name();
    std::vector<const char*> keys = {"application_name", "dbname"};
    std::vector<const char*> vals = {app.c_str(), conninfo.empty() ? nullptr : conninfo.c_str()};
    for (auto& [k, v] : extra) keys.push_back(k.c_str()), vals.push_back(v.c_str());
    keys.push_back(nullptr);
    vals.push_back(nullptr);
    conn_.reset(PQconnectdbParams(keys.data(), vals.data(), 1));
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
        std::string msg = conn_ ? chomp(PQerrorMessage(conn_.get())) : "out of memory";
        throw Error("could not connect to " + role + ": " + msg);
    }
}

std::string Connection::error_message() const { return chomp(PQerrorMessage(conn_.get())); }

Result Connection::exec(const std::string& sql) {
    Result r(PQexec(conn_.get(), sql.c_str()));
    auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        throw Error(role_ + ": " + result_error(conn_.get(), r.get()));
    return r;
}

Result Connection::exec_params(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> vals;
    vals.reserve(params.size());
    for (auto& p : params) vals.push_back(p.c_str());
    Result r(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(vals.size()), nullptr,
                          vals.data(), nullptr, nullptr, 0));
    auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        throw Error(role_ + ": " + result_error(conn_.get(), r.get()));
    return r;
}

std::string Connection::scalar(const std::string& sql, const std::vector<std::string>& params) {
    Result r = params.empty() ? exec(sql) : exec_params(sql, params);
    if (PQntuples(r.get()) < 1) throw Error(role_ + ": query returned no rows");
    return PQgetvalue(r.get(), 0, 0);
}

}  // namespace fdwcopy

// Conninfo strings parsed by libpq itself (PQconninfoParse): the options a
// string sets, the same options written back as keyword='value' pairs, and the
// split of a conninfo into its password and the rest, which may be shown in
// argv. PostgreSQL docs: libpq "Connection Strings" and PQconninfoParse.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace fdwcopy {

// One option a conninfo sets: libpq keyword and its (decoded) value.
using ConninfoOption = std::pair<std::string, std::string>;

// True when libpq reads s as a conninfo string, false when it reads s as a
// plain database name: with expand_dbname (lib/conn's Connection, psql -d,
// pg_dump -d) a dbname value is expanded only when it starts with
// "postgresql://" or "postgres://" or holds an "=" (libpq's
// recognized_connection_string in fe-connect.c).
bool is_conninfo_string(const std::string& s);

// The options s sets, in libpq's keyword order, with their values (URI parts
// percent-decoded). An empty s sets none. A plain database name (see
// is_conninfo_string) sets dbname. Options s does not set are left out (libpq's
// defaults, PG* variables and service files are not applied).
// Throws Error(libpq's message without its trailing newline) when libpq cannot
// parse s. libpq quotes parts of the input in some messages (a keyword, a URI
// component, the whole URI): when s may hold a password (a URI, or a string
// holding "password") every quoted part except libpq's syntax tokens is
// replaced by "****", so the message never shows a password.
std::vector<ConninfoOption> parse_conninfo(const std::string& s);

// opts as libpq keyword/value pairs "kw='value' kw2='value'" (single space
// between pairs, every value single-quoted with \ and ' escaped by a
// backslash), which PQconninfoParse reads back to the same options. No options:
// "".
std::string format_conninfo(const std::vector<ConninfoOption>& opts);

// A conninfo split for programs whose argv ps shows: safe goes in argv (psql -d),
// password travels apart (PGPASSWORD, a pgpass file).
struct ConninfoSplit {
    std::string safe;           // format_conninfo of the options, without password/passfile
    std::string password;       // the password, "" when none
    bool has_password = false;  // true when s gives a non-empty password
};

// Splits s (as parse_conninfo reads it). A non-empty password is taken out,
// and passfile with it: libpq reads no password file when a password is given,
// and a passfile left in safe would override the PGPASSFILE through which the
// caller passes the password. Without a password passfile stays in safe (it is
// where libpq then looks). An empty password ("password=''") stays in safe: it
// holds no secret, and libpq treats it differently from no password (it then
// ignores PGPASSWORD). Throws Error as parse_conninfo does.
ConninfoSplit split_conninfo(const std::string& s);

// The OPTIONS of a postgres_fdw foreign server and of its user mapping that
// connect the way s does (fdwcopy sync --via-fdw: the target's server
// connects to the source): server gets every option s sets except user,
// password, sslpassword and passfile (a file of the client) and those
// postgres_fdw refuses on a server (client_encoding, replication,
// fallback_application_name); mapping gets user, password and sslpassword
// (postgres_fdw takes these only on a user mapping). user, dbname, host and
// port that s does not set are taken from libpq's defaults here
// (PQconndefaults: PG* variables, the client's user name): the server that
// connects has other defaults. The password also comes from PGPASSWORD when s
// has none; a password file is not read. Each is SQL, "kw 'value', ..."
// (quote_literal), for CREATE SERVER ... OPTIONS (...); "" when empty.
// Throws Error as parse_conninfo does.
struct FdwConninfoOptions {
    std::string server, mapping;
    bool has_password = false;
};
FdwConninfoOptions fdw_conninfo_options(const std::string& s);

}  // namespace fdwcopy

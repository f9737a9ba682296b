// Snapshot export/import, holding a snapshot, data-path session settings
// (see snapshot.h).
#include "snapshot.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "quote.h"

namespace fdwcopy {

namespace {

// Server notices: WARNING is shown (it matters to the user), the rest only
// with -v. An ERROR or FATAL arriving outside a query is the server explaining
// why it is closing the session: it is kept for the "connection lost" error.
thread_local std::string t_last_notice;

void notice_processor(void* arg, const char* message) {
    std::string msg = message ? message : "";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
    const char* role = static_cast<const char*>(arg);
    std::string line = std::string(role) + ": " + msg;
    if (msg.rfind("FATAL", 0) == 0 || msg.rfind("PANIC", 0) == 0 || msg.rfind("ERROR", 0) == 0)
        t_last_notice = msg;
    if (msg.rfind("WARNING", 0) == 0) log_warning(line);
    else log_verbose(line);
}

void common_settings(Connection& conn) {
    // One round trip; set_config() with is_local = false, as pg_dump does for
    // search_path (CVE-2018-1058: our queries qualify every name anyway).
    conn.exec(
        "SELECT pg_catalog.set_config('search_path', '', false), "
        "pg_catalog.set_config('statement_timeout', '0', false), "
        "pg_catalog.set_config('lock_timeout', '0', false), "
        "pg_catalog.set_config('idle_in_transaction_session_timeout', '0', false), "
        "pg_catalog.set_config('DateStyle', 'ISO', false), "
        "pg_catalog.set_config('IntervalStyle', 'postgres', false), "
        "pg_catalog.set_config('extra_float_digits', '3', false)");
}

void set_notices(Connection& conn) {
    // The role string lives as long as the Connection object (role() is a
    // member); the processor gets a pointer to it.
    PQsetNoticeProcessor(conn.get(), notice_processor, const_cast<char*>(conn.role().c_str()));
}

volatile sig_atomic_t g_signalled = 0;
int g_sigpipe[2] = {-1, -1};

void on_signal(int) {
    int saved = errno;
    g_signalled = 1;
    if (g_sigpipe[1] >= 0) {
        char c = 's';
        ssize_t r = ::write(g_sigpipe[1], &c, 1);
        (void)r;
    }
    errno = saved;
}

}  // namespace

void setup_source_session(Connection& conn) {
    set_notices(conn);
    common_settings(conn);
}

void setup_target_session(Connection& conn, const std::string& encoding) {
    set_notices(conn);
    common_settings(conn);
    conn.exec("SET synchronous_commit = off");
    if (!encoding.empty() && PQsetClientEncoding(conn.get(), encoding.c_str()) != 0)
        throw Error(conn.role() + ": could not set client_encoding to \"" + encoding +
                    "\": " + conn.error_message());
}

std::string durable_commit_setting_sql(bool local) {
    return std::string("SELECT pg_catalog.set_config('synchronous_commit', "
                       "CASE WHEN s.reset_val = 'off' THEN 'on' ELSE s.reset_val END, ") +
           (local ? "true" : "false") + ") FROM pg_catalog.pg_settings s WHERE s.name = 'synchronous_commit'";
}

void commit_durable(Connection& conn) { conn.exec(durable_commit_setting_sql(true) + "; COMMIT"); }

std::string export_snapshot(Connection& conn) {
    conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    return conn.scalar("SELECT pg_catalog.pg_export_snapshot()");
}

bool valid_slot_name(const std::string& name) {
    if (name.empty() || name.size() > 63) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

SlotSnapshot create_slot_snapshot(Connection& conn, const std::string& name, bool temporary) {
    if (!valid_slot_name(name)) throw Error("invalid replication slot name \"" + name + "\"");
    // The replication grammar takes the name as an identifier; a valid slot
    // name needs no quoting, quote_ident keeps it exact.
    std::string cmd = "CREATE_REPLICATION_SLOT " + quote_ident(name) + (temporary ? " TEMPORARY" : "") +
                      " LOGICAL pgoutput (SNAPSHOT 'export')";
    Result r(PQexec(conn.get(), cmd.c_str()));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1 || PQnfields(r.get()) < 3)
        throw Error(conn.role() + ": could not create replication slot \"" + name + "\": " +
                    result_error(conn.get(), r.get()));
    // Columns: slot_name, consistent_point, snapshot_name, output_plugin.
    return {PQgetvalue(r.get(), 0, 2), PQgetvalue(r.get(), 0, 1)};
}

void begin_snapshot_transaction(Connection& conn, const std::string& snapshot) {
    std::string sql = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    if (!snapshot.empty()) sql += "; SET TRANSACTION SNAPSHOT " + quote_literal(snapshot);
    Result r(PQexec(conn.get(), sql.c_str()));
    auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK) return;
    std::string msg = result_error(conn.get(), r.get());
    // Leave the session usable for the next item (--keep-going).
    if (PQstatus(conn.get()) == CONNECTION_OK) PQclear(PQexec(conn.get(), "ROLLBACK"));
    if (snapshot.empty()) throw Error(conn.role() + ": " + msg);
    throw Error("could not use snapshot \"" + snapshot + "\": " + conn.role() + ": " + msg);
}

void close_inherited_fds() {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = 3; fd < (max > 0 ? max : 1024); ++fd) close(static_cast<int>(fd));
}

HoldEnd hold_snapshot(Connection& conn, int input_fd) {
    if (pipe(g_sigpipe) != 0) throw Error(std::string("could not create pipe: ") + strerror(errno));
    for (int fd : g_sigpipe) fcntl(fd, F_SETFD, FD_CLOEXEC), fcntl(fd, F_SETFL, O_NONBLOCK);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaction(s, &sa, nullptr);

    auto lost = [&]() {
        // libpq's message, first line only (the rest is its standard
        // "This probably means..." explanation), unless the server said why.
        std::string why = conn.error_message();
        why = why.substr(0, why.find('\n'));
        if (!t_last_notice.empty()) why = t_last_notice.substr(0, t_last_notice.find('\n'));
        return Error("connection to " + conn.role() + " lost: " + why);
    };
    bool input_open = input_fd >= 0;
    char buf[4096];
    while (!g_signalled) {
        struct pollfd fds[3];
        int n = 0;
        fds[n++] = {g_sigpipe[0], POLLIN, 0};
        fds[n++] = {PQsocket(conn.get()), POLLIN, 0};
        if (input_open) fds[n++] = {input_fd, POLLIN, 0};
        int r = poll(fds, n, -1);
        if (r < 0) {
            if (errno == EINTR) continue;
            throw Error(std::string("poll failed: ") + strerror(errno));
        }
        if (fds[0].revents) break;
        if (fds[1].revents) {
            // Readable while idle: a notice, or the server ending the session
            // (a FATAL message, then end of file).
            if (!PQconsumeInput(conn.get())) throw lost();
            PQisBusy(conn.get());  // parses what arrived; notices go to notice_processor
            if (PQstatus(conn.get()) != CONNECTION_OK) throw lost();
        }
        if (input_open && fds[2].revents) {
            if (fds[2].revents & POLLNVAL) return HoldEnd::InputClosed;
            ssize_t got = ::read(input_fd, buf, sizeof buf);
            if (got == 0) return HoldEnd::InputClosed;
            if (got < 0 && errno != EINTR && errno != EAGAIN) return HoldEnd::InputClosed;
        }
    }
    return HoldEnd::Signalled;
}

}  // namespace fdwcopy

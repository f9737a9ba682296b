// Implementation of the stderr message helpers (see log.h).
#include "log.h"

#include <cerrno>
#include <unistd.h>

namespace fdwcopy {

namespace {
std::string g_prog = "fdwcopy";
int g_verbosity = 0;

void emit(const char* level, const std::string& msg) {
    std::string line = g_prog + ": " + level + ": " + msg;
    if (line.empty() || line.back() != '\n') line += '\n';
    write_all(2, line);
}
}  // namespace

void log_init(const std::string& name) {
    auto slash = name.rfind('/');
    g_prog = slash == std::string::npos ? name : name.substr(slash + 1);
}
const std::string& program_name() { return g_prog; }
void log_set_verbosity(int level) { g_verbosity = level; }
int log_verbosity() { return g_verbosity; }

void log_error(const std::string& msg) { emit("error", msg); }
void log_warning(const std::string& msg) {
    if (g_verbosity >= 0) emit("warning", msg);
}
void log_info(const std::string& msg) {
    if (g_verbosity >= 0) emit("info", msg);
}
void log_verbose(const std::string& msg) {
    if (g_verbosity >= 1) emit("debug", msg);
}
// "prog: detail:" and "prog: hint:", as PostgreSQL 15's client programs print
// them (src/common/logging.c).
void log_detail(const std::string& msg) { emit("detail", msg); }
void log_hint(const std::string& msg) { emit("hint", msg); }

bool write_all(int fd, const std::string& buf) {
    const char* p = buf.data();
    size_t left = buf.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    return true;
}

int report(const Error& e) {
    log_error(e.what());
    if (!e.detail.empty()) log_detail(e.detail);
    if (!e.hint.empty()) log_hint(e.hint);
    return e.code;
}

}  // namespace fdwcopy

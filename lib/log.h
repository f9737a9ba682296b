// Messages on stderr in PostgreSQL's client style: "tool: error: ...", then
// optional "detail:" / "hint:" lines. Lower case, no final full stop.
#pragma once
#include <stdexcept>
#include <string>

namespace fdwcopy {

// Verbosity: -1 quiet (errors only), 0 default, 1 verbose (-v), 2 debug (-vv).
void log_init(const std::string& program_name);
const std::string& program_name();
void log_set_verbosity(int level);
int log_verbosity();

// Each writes one line "<prog>: <level>: <msg>\n" with one write(2) call.
void log_error(const std::string& msg);
void log_warning(const std::string& msg);   // suppressed by -q
void log_info(const std::string& msg);      // suppressed by -q
void log_verbose(const std::string& msg);   // only with -v
void log_detail(const std::string& msg);    // "prog: detail: ..." (follows an error or warning)
void log_hint(const std::string& msg);      // "prog: hint: ..."

// Writes all of buf to fd with write(2), retrying on EINTR and short writes.
// Returns false on error (errno set).
bool write_all(int fd, const std::string& buf);

// Thrown for runtime failures; main() prints it with log_error and exits with code.
struct Error : std::runtime_error {
    int code;
    std::string detail, hint;
    explicit Error(const std::string& msg, int exit_code = 1, std::string detail_ = {},
                   std::string hint_ = {})
        : std::runtime_error(msg), code(exit_code), detail(std::move(detail_)),
          hint(std::move(hint_)) {}
};

// Prints e (error, detail, hint) and returns its exit code.
int report(const Error& e);

}  // namespace fdwcopy

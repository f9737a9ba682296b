// fdw-rewrite's logic: find CREATE/ALTER SERVER and CREATE/ALTER/DROP USER
// MAPPING statements in a psql script, rewrite their OPTIONS (and roles) from a
// map (fdwmap.h), leave every other byte alone, and refuse to let any SQL out
// while a foreign server, or a user mapping with options, is not in the map.
// Statement syntax: PostgreSQL docs, CREATE SERVER, ALTER SERVER, CREATE USER
// MAPPING, ALTER USER MAPPING.
#pragma once
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "fdwmap.h"
#include "sqllex.h"

namespace fdwcopy {

struct RewriteConfig {
    bool keep_unmapped = false;  // let unmapped servers and user mappings through (a warning each)
    bool check = false;          // report on stderr (log_info) instead of writing SQL
};

class FdwRewriter {
public:
    FdwRewriter(const FdwMap& map, RewriteConfig cfg);

    // Hold predicate for SqlLexer: true for statements that may be FDW
    // statements this class rewrites (or while the tokens cannot tell yet).
    static bool wants_whole(const std::vector<SqlToken>& tokens);

    // Looks at one piece. Returns false when it goes out unchanged, true with
    // *out set to its replacement. Reports each server and user mapping (log_info
    // with --check, log_verbose otherwise). Throws Error (exit code 1) on an FDW
    // statement it cannot parse: passing it through could leak an endpoint.
    bool rewrite(const SqlPiece& piece, std::string* out);

    // After the whole input: warns about map sections that matched nothing;
    // prints one error per map key that postgres_fdw would reject on a server
    // the input creates with FOREIGN DATA WRAPPER postgres_fdw (then returns
    // EXIT_FAILURE_); with keep_unmapped, warns about each unmapped server and
    // user mapping, otherwise prints one error for each (servers first) and
    // returns EXIT_UNMAPPED. Else EXIT_OK.
    int finish();

    // Foreign servers that are not in the map, in order of first appearance.
    const std::vector<std::string>& unmapped() const { return unmapped_; }
    // User mappings with options that no [user-mapping:...] section covers, as
    // messages name them ("user mapping for \"alice\" on server \"s\""), in
    // order of first appearance. A mapping without options is not one.
    const std::vector<std::string>& unmapped_user_mappings() const { return unmapped_mappings_; }

    struct Stmt;  // a parsed FDW statement (fdwrewrite.cpp)

private:
    bool rewrite_server(const SqlPiece& p, const Stmt& s, std::string* out);
    bool rewrite_user_mapping(const SqlPiece& p, const Stmt& s, std::string* out);
    void note_unmapped(const std::string& server);
    void report(const std::string& line) const;

    const FdwMap& map_;
    RewriteConfig cfg_;
    std::vector<std::string> unmapped_;
    std::vector<std::string> unmapped_mappings_;
    std::set<const MapSection*> used_;
    std::set<std::string> servers_;  // servers with CREATE/ALTER SERVER in the input
    std::vector<std::pair<std::string, std::string>> wrappers_;  // CREATE SERVER: server, wrapper
    size_t user_mappings_ = 0;       // CREATE/ALTER USER MAPPING statements
};

// If tokens are "SET [SESSION|LOCAL] standard_conforming_strings {=|TO} value",
// sets *on and returns true (the lexer must follow it).
bool parse_set_standard_conforming_strings(const std::vector<SqlToken>& tokens, bool* on);

// If tokens are "SET [SESSION|LOCAL] client_encoding {=|TO} value", sets *utf8
// to whether value names UTF-8 (PostgreSQL's encoding names, compared as
// pg_char_to_encoding does: case and punctuation ignored; UTF8, UNICODE) and
// returns true. DEFAULT counts as UTF-8 (pg_dump always names the encoding).
bool parse_set_client_encoding(const std::vector<SqlToken>& tokens, bool* utf8);

// Output held back until the whole input is known to be safe: up to
// memory_bytes in memory, the rest in a temporary file that is unlinked as soon
// as it is created (in $TMPDIR, default /tmp), so nothing is left behind even
// when the process is killed. commit() copies it all to fd; the destructor
// throws it away.
class OutputSpool {
public:
    explicit OutputSpool(size_t memory_bytes);
    ~OutputSpool();
    OutputSpool(const OutputSpool&) = delete;
    OutputSpool& operator=(const OutputSpool&) = delete;

    void write(const std::string& s);  // throws Error if the temporary file cannot be written
    void commit(int fd);               // throws Error if fd cannot be written
    bool spilled() const { return fd_ >= 0; }
    size_t bytes() const { return mem_.size() + file_bytes_; }

private:
    size_t limit_;
    std::string mem_;
    int fd_ = -1;
    size_t file_bytes_ = 0;
};

// The whole filter: reads in_fd to its end, rewrites, and writes everything to
// out_fd only if no server or user mapping is unmapped (or keep_unmapped) and
// every map key suits postgres_fdw where it applies; with check, writes
// nothing. memory_bytes bounds the output held in memory (see OutputSpool).
// Returns the exit code (EXIT_OK, EXIT_FAILURE_ for map keys postgres_fdw rejects,
// EXIT_UNMAPPED); throws Error on failures.
int run_fdw_rewrite(int in_fd, int out_fd, const FdwMap& map, const RewriteConfig& cfg,
                    size_t memory_bytes = 8 * 1024 * 1024);

}  // namespace fdwcopy

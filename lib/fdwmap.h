// The fdw-rewrite map file (fdwcopy-map(5)): INI sections [server:NAME] and
// [user-mapping:ROLE@SERVER] (ROLE may be "public" or "*"), parsed by
// Boost.Program_options' config-file parser; secrets from env:NAME / file:PATH.
#pragma once
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace fdwcopy {

// One "name = value" line of a section.
struct MapOption {
    std::string name;
    std::string value;    // with env:/file: already resolved; empty when remove
    bool remove = false;  // "name =" with an empty value: the option is removed
    bool secret = false;  // the value came from env: or file: (never print it)
    int line = 0;
};

struct MapSection {
    enum Kind { Server, UserMapping };
    // For user mappings: ROLE@SERVER, public@SERVER (the PUBLIC mapping), *@SERVER (all).
    enum RoleKind { NamedRole, PublicRole, AnyRole };

    Kind kind = Server;
    std::string header;  // between the brackets, trimmed: "server:archive_server"
    std::string server;  // server name exactly as in the catalog (case matters)
    RoleKind role_kind = NamedRole;
    std::string role;    // NamedRole: role name exactly as in the catalog
    int line = 0;
    std::vector<MapOption> options;  // FDW options in file order (not role/drop)
    std::optional<std::string> new_role;  // user mappings: role = NEWROLE
    std::optional<bool> drop;             // user mappings: drop = true|false
    int role_line = 0, drop_line = 0;

    const MapOption* option(const std::string& name) const;
};

class FdwMap {
public:
    // Reads and checks the map file at path. Refuses (Error, exit code 1) a map
    // that group or others may access (any of mode 077, as libpq refuses a
    // .pgpass), a missing or unreadable file, and any syntax or content error;
    // error messages start with "PATH:LINE: " when a line is to blame. Secret
    // files are checked the same way; relative secret paths are relative to the
    // map file's directory. No secret value is ever put into a message.
    static FdwMap load(const std::string& path);

    // Parses map text already read from display_name (for load() and tests).
    // base_dir resolves relative file: paths. No permission check on the text.
    static FdwMap parse(const std::string& text, const std::string& display_name,
                        const std::string& base_dir = ".");

    const std::string& file() const { return file_; }
    const std::vector<MapSection>& sections() const { return sections_; }
    // "FILE:LINE" of a section, for messages.
    std::string where(const MapSection& s) const;
    std::string where(int line) const;

    // The [server:NAME] section, or nullptr.
    const MapSection* server(const std::string& name) const;
    // The [user-mapping:...] section for exactly this role kind / role / server, or nullptr.
    const MapSection* user_mapping(MapSection::RoleKind kind, const std::string& role,
                                   const std::string& server) const;

    // For a server whose foreign-data wrapper is postgres_fdw: one message
    // "FILE:LINE: ..." per key of its [server:NAME] and [user-mapping:...@NAME]
    // sections that postgres_fdw does not accept on that object (a typo such
    // as "passwrd", a password in a server section), in file order; role and
    // drop are the map's own keys, never checked. Empty when all are valid.
    // *kinds_out (optional) gets the kinds of section that had a bad key.
    std::vector<std::string> postgres_fdw_option_errors(const std::string& server,
                                                        std::vector<MapSection::Kind>* kinds_out = nullptr) const;

private:
    std::string file_;
    std::vector<MapSection> sections_;
};

// Throws Error unless path is private to its owner: refuses any group or other
// permission bit (mode & 077), as libpq does for .pgpass. what names the file
// in the message ("map file", "secret file").
void check_private_file(const std::string& path, const std::string& what);

// The option names postgres_fdw accepts on a foreign server (Server) or a user
// mapping (UserMapping), in the order its validator lists them in its hint.
// Follows contrib/postgres_fdw/option.c (InitPgFdwOptions) of PostgreSQL 15,
// documented in the postgres_fdw page ("FDW Options of postgres_fdw"):
// libpq's connection options as the linked libpq lists them (PQconndefaults),
// without the debug ones (dispchar "D"), client_encoding and
// fallback_application_name; user and the secret ones (dispchar "*":
// password, sslpassword) on user mappings, the rest on servers; then
// postgres_fdw's own: use_remote_estimate, fdw_startup_cost, fdw_tuple_cost,
// extensions, updatable, truncatable, fetch_size, batch_size, async_capable,
// parallel_commit, keep_connections on servers; password_required, sslcert,
// sslkey on user mappings. Throws Error if libpq cannot list its options.
const std::vector<std::string>& postgres_fdw_options(MapSection::Kind kind);
bool postgres_fdw_accepts(MapSection::Kind kind, const std::string& name);

// True for option names whose values are secrets in messages and --check
// output (password, sslpassword, passphrase, secret, token...).
bool is_secret_option(const std::string& name);

}  // namespace fdwcopy

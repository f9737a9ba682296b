// The map file (see fdwmap.h and man/fdwcopy-map.5). Boost.Program_options
// parses it; it reports no line numbers, so a light pre-scan that follows the
// same line rules (strip from '#', trim, "[section]" or "name = value") pairs
// each option Boost returns with its line.
#include "fdwmap.h"

#include <sys/stat.h>

#include <libpq-fe.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "log.h"
#include "sqllex.h"

namespace fdwcopy {

namespace po = boost::program_options;

namespace {

// Boost's trim_ws: these four characters only.
std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

struct ScanLine {
    enum Kind { Section, Option, Invalid } kind;
    int line;
    std::string text;  // Section: between the brackets, trimmed; Option: the name
};

std::vector<ScanLine> prescan(const std::string& text) {
    std::vector<ScanLine> out;
    std::istringstream in(text);
    std::string raw;
    int line = 0;
    while (std::getline(in, raw)) {
        ++line;
        size_t hash = raw.find('#');
        std::string s = trim(hash == std::string::npos ? raw : raw.substr(0, hash));
        if (s.empty()) continue;
        if (s.front() == '[' && s.back() == ']') {
            out.push_back({ScanLine::Section, line, trim(s.substr(1, s.size() - 2))});
        } else if (s.find('=') != std::string::npos) {
            out.push_back({ScanLine::Option, line, trim(s.substr(0, s.find('=')))});
        } else {
            out.push_back({ScanLine::Invalid, line, {}});
        }
    }
    return out;
}

bool parse_bool(std::string v, bool* out) {
    v = ascii_lower(v);
    if (v == "true" || v == "yes" || v == "on" || v == "1") { *out = true; return true; }
    if (v == "false" || v == "no" || v == "off" || v == "0") { *out = false; return true; }
    return false;
}

std::string read_secret_file(const std::string& path, const std::string& where) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
        throw Error(where + ": could not read secret file \"" + path + "\": " + std::strerror(errno));
    try {
        check_private_file(path, "secret file");
    } catch (const Error& e) {
        throw Error(where + ": " + e.what(), e.code, e.detail, e.hint);
    }
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(where + ": could not read secret file \"" + path + "\": " + std::strerror(errno));
    std::ostringstream ss;
    ss << f.rdbuf();
    std::string v = ss.str();
    // A trailing newline (as editors and echo write) is not part of the secret.
    if (!v.empty() && v.back() == '\n') v.pop_back();
    if (!v.empty() && v.back() == '\r') v.pop_back();
    return v;
}

}  // namespace

const MapOption* MapSection::option(const std::string& name) const {
    for (const auto& o : options)
        if (o.name == name) return &o;
    return nullptr;
}

void check_private_file(const std::string& path, const std::string& what) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
        throw Error("could not open " + what + " \"" + path + "\": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw Error(what + " \"" + path + "\" is a directory");
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        throw Error(what + " \"" + path + "\" has group or world access; permissions should be u=rw (0600) or less",
                    1, {}, "chmod 600 " + path);
}

bool is_secret_option(const std::string& name) {
    std::string n = ascii_lower(name);
    for (const char* s : {"password", "passwd", "passphrase", "secret", "token"})
        if (n.find(s) != std::string::npos) return true;
    return false;
}

const std::vector<std::string>& postgres_fdw_options(MapSection::Kind kind) {
    static std::vector<std::string> server, user_mapping;
    static bool ready = false;
    if (!ready) {
        PQconninfoOption* libpq = PQconndefaults();
        if (!libpq) throw Error("could not get libpq's connection options: out of memory");
        for (const PQconninfoOption* o = libpq; o->keyword; ++o) {
            std::string k = o->keyword;
            std::string disp = o->dispchar ? o->dispchar : "";
            if (disp.find('D') != std::string::npos || k == "fallback_application_name" || k == "client_encoding")
                continue;
            (k == "user" || disp.find('*') != std::string::npos ? user_mapping : server).push_back(k);
        }
        PQconninfoFree(libpq);
        for (const char* k : {"use_remote_estimate", "fdw_startup_cost", "fdw_tuple_cost", "extensions", "updatable",
                              "truncatable", "fetch_size", "batch_size", "async_capable", "parallel_commit",
                              "keep_connections"})
            server.push_back(k);
        // sslcert and sslkey are libpq (server) options that postgres_fdw
        // also takes on user mappings, so that each role can have its own.
        for (const char* k : {"password_required", "sslcert", "sslkey"}) user_mapping.push_back(k);
        ready = true;
    }
    return kind == MapSection::Server ? server : user_mapping;
}

bool postgres_fdw_accepts(MapSection::Kind kind, const std::string& name) {
    const auto& v = postgres_fdw_options(kind);
    return std::find(v.begin(), v.end(), name) != v.end();
}

std::vector<std::string> FdwMap::postgres_fdw_option_errors(const std::string& server,
                                                            std::vector<MapSection::Kind>* kinds_out) const {
    std::vector<std::string> out;
    for (const auto& s : sections_) {
        if (s.server != server) continue;
        for (const auto& o : s.options) {
            if (postgres_fdw_accepts(s.kind, o.name)) continue;
            out.push_back(where(o.line) + ": \"" + o.name + "\" is not an option postgres_fdw accepts on a " +
                          (s.kind == MapSection::Server ? "foreign server" : "user mapping") + " (section [" +
                          s.header + "]; server \"" + server + "\" uses postgres_fdw)");
            if (kinds_out && std::find(kinds_out->begin(), kinds_out->end(), s.kind) == kinds_out->end())
                kinds_out->push_back(s.kind);
        }
    }
    return out;
}

std::string FdwMap::where(int line) const { return file_ + ":" + std::to_string(line); }
std::string FdwMap::where(const MapSection& s) const { return where(s.line); }

const MapSection* FdwMap::server(const std::string& name) const {
    for (const auto& s : sections_)
        if (s.kind == MapSection::Server && s.server == name) return &s;
    return nullptr;
}

const MapSection* FdwMap::user_mapping(MapSection::RoleKind kind, const std::string& role,
                                       const std::string& server) const {
    for (const auto& s : sections_)
        if (s.kind == MapSection::UserMapping && s.server == server && s.role_kind == kind &&
            (kind != MapSection::NamedRole || s.role == role))
            return &s;
    return nullptr;
}

FdwMap FdwMap::load(const std::string& path) {
    check_private_file(path, "map file");
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error("could not open map file \"" + path + "\": " + std::strerror(errno));
    std::ostringstream ss;
    ss << f.rdbuf();
    if (f.bad()) throw Error("could not read map file \"" + path + "\": " + std::strerror(errno));
    std::string dir = ".";
    size_t slash = path.rfind('/');
    if (slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
    return parse(ss.str(), path, dir);
}

FdwMap FdwMap::parse(const std::string& text, const std::string& display_name,
                     const std::string& base_dir) {
    FdwMap map;
    map.file_ = display_name;
    std::vector<ScanLine> lines = prescan(text);

    po::parsed_options parsed(nullptr);
    try {
        std::istringstream in(text);
        po::options_description none;
        parsed = po::parse_config_file(in, none, true);
    } catch (const po::error& e) {
        // Boost's message quotes the line, which may hold a secret: name the line instead.
        for (const auto& l : lines)
            if (l.kind == ScanLine::Invalid)
                throw Error(map.where(l.line) + ": invalid line: expected \"[section]\" or \"name = value\"");
        throw Error(display_name + ": could not parse the map file");
    }

    // Sections, in file order; then every option Boost returned, paired with
    // its pre-scanned line.
    std::map<std::string, int> seen_headers;
    std::vector<std::pair<const ScanLine*, int>> option_lines;  // line, index of its section
    int current = -1;
    for (const auto& l : lines) {
        if (l.kind == ScanLine::Section) {
            MapSection s;
            s.header = l.text;
            s.line = l.line;
            const std::string& h = l.text;
            if (h.compare(0, 7, "server:") == 0) {
                s.kind = MapSection::Server;
                s.server = h.substr(7);
                if (s.server.empty())
                    throw Error(map.where(l.line) + ": section [server:] needs a server name");
            } else if (h.compare(0, 13, "user-mapping:") == 0) {
                s.kind = MapSection::UserMapping;
                std::string rs = h.substr(13);
                size_t at = rs.rfind('@');
                if (at == std::string::npos || at == 0 || at + 1 == rs.size())
                    throw Error(map.where(l.line) + ": section [" + h +
                                "] must be [user-mapping:ROLE@SERVER] (ROLE may be public or *)");
                s.role = rs.substr(0, at);
                s.server = rs.substr(at + 1);
                if (s.role == "*") s.role_kind = MapSection::AnyRole;
                else if (ascii_lower(s.role) == "public") s.role_kind = MapSection::PublicRole;
            } else {
                throw Error(map.where(l.line) + ": unknown section [" + h +
                            "]: expected [server:NAME] or [user-mapping:ROLE@SERVER]");
            }
            std::string key = (s.kind == MapSection::Server ? "s:" : "u:") + std::to_string(s.role_kind) +
                              ":" + (s.role_kind == MapSection::NamedRole ? s.role : "") + "@" + s.server;
            auto [it, fresh] = seen_headers.emplace(key, l.line);
            if (!fresh)
                throw Error(map.where(l.line) + ": duplicate section [" + h + "] (first at line " +
                            std::to_string(it->second) + ")");
            map.sections_.push_back(std::move(s));
            current = static_cast<int>(map.sections_.size()) - 1;
        } else if (l.kind == ScanLine::Option) {
            option_lines.emplace_back(&l, current);
        }
    }
    if (option_lines.size() != parsed.options.size())
        throw Error(display_name + ": could not parse the map file (unexpected line structure)");

    for (size_t i = 0; i < option_lines.size(); ++i) {
        const ScanLine& l = *option_lines[i].first;
        const po::option& o = parsed.options[i];
        const std::string& key = o.string_key;
        if (key.size() < l.text.size() || key.compare(key.size() - l.text.size(), l.text.size(), l.text) != 0)
            throw Error(map.where(l.line) + ": could not parse the map file (unexpected line structure)");
        if (l.text.empty()) throw Error(map.where(l.line) + ": option name missing before \"=\"");
        if (option_lines[i].second < 0)
            throw Error(map.where(l.line) + ": option \"" + l.text +
                        "\" is outside any section; put it under [server:NAME] or [user-mapping:ROLE@SERVER]");
        MapSection& s = map.sections_[static_cast<size_t>(option_lines[i].second)];
        std::string value = o.value.empty() ? std::string() : o.value.front();
        const std::string name = l.text;
        auto dup = [&](int first) {
            throw Error(map.where(l.line) + ": duplicate option \"" + name + "\" in section [" + s.header +
                        "] (first at line " + std::to_string(first) + ")");
        };
        if (s.kind == MapSection::UserMapping && name == "role") {
            if (s.new_role) dup(s.role_line);
            if (value.empty()) throw Error(map.where(l.line) + ": \"role\" needs a role name");
            s.new_role = value;
            s.role_line = l.line;
            continue;
        }
        if (s.kind == MapSection::UserMapping && name == "drop") {
            if (s.drop) dup(s.drop_line);
            bool b;
            if (!parse_bool(value, &b))
                throw Error(map.where(l.line) + ": \"drop\" must be true or false");
            s.drop = b;
            s.drop_line = l.line;
            continue;
        }
        if (const MapOption* prev = s.option(name)) dup(prev->line);
        MapOption mo;
        mo.name = name;
        mo.line = l.line;
        if (value.empty()) {
            mo.remove = true;
        } else if (value.compare(0, 4, "env:") == 0) {
            std::string var = value.substr(4);
            const char* v = var.empty() ? nullptr : std::getenv(var.c_str());
            if (!v)
                throw Error(map.where(l.line) + ": environment variable \"" + var + "\" for option \"" + name +
                            "\" is not set");
            mo.value = v;
            mo.secret = true;
        } else if (value.compare(0, 5, "file:") == 0) {
            std::string path = value.substr(5);
            if (path.empty()) throw Error(map.where(l.line) + ": file: needs a path");
            if (path[0] != '/') path = base_dir + "/" + path;
            mo.value = read_secret_file(path, map.where(l.line));
            mo.secret = true;
        } else {
            mo.value = value;
        }
        s.options.push_back(std::move(mo));
    }
    return map;
}

}  // namespace fdwcopy

// Conninfo parsing on PQconninfoParse (see conninfo.h).
#include "conninfo.h"

#include <libpq-fe.h>

#include <memory>

#include "log.h"
#include "quote.h"

namespace fdwcopy {

namespace {

const char* const kUriPrefixes[] = {"postgresql://", "postgres://"};

bool is_uri(const std::string& s) {
    for (const char* p : kUriPrefixes)
        if (s.compare(0, std::char_traits<char>::length(p), p) == 0) return true;
    return false;
}

// libpq's message with every quoted part ("...") that is not one of libpq's
// own syntax tokens replaced by "****"; trailing newlines cut.
std::string mask_quoted(const std::string& msg) {
    static const char* const tokens[] = {"=", ":", "/", "]", "%00", "%20"};
    std::string out;
    size_t i = 0;
    while (i < msg.size()) {
        size_t open = msg.find('"', i);
        size_t close = open == std::string::npos ? open : msg.find('"', open + 1);
        if (close == std::string::npos) {
            out += msg.substr(i);
            break;
        }
        std::string inner = msg.substr(open + 1, close - open - 1);
        bool token = false;
        for (const char* t : tokens) token = token || inner == t;
        out += msg.substr(i, open - i) + "\"" + (token ? inner : "****") + "\"";
        i = close + 1;
    }
    return out;
}

std::string chomp(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

struct OptionsDeleter { void operator()(PQconninfoOption* o) const { PQconninfoFree(o); } };

}  // namespace

bool is_conninfo_string(const std::string& s) {
    return is_uri(s) || s.find('=') != std::string::npos;
}

std::vector<ConninfoOption> parse_conninfo(const std::string& s) {
    if (s.empty()) return {};
    if (!is_conninfo_string(s)) return {{"dbname", s}};
    char* err = nullptr;
    std::unique_ptr<PQconninfoOption, OptionsDeleter> opts(PQconninfoParse(s.c_str(), &err));
    if (!opts) {
        std::string msg = err ? chomp(err) : "out of memory";
        if (err) PQfreemem(err);
        if (is_uri(s) || s.find("password") != std::string::npos) msg = mask_quoted(msg);
        throw Error(msg);
    }
    std::vector<ConninfoOption> out;
    for (PQconninfoOption* o = opts.get(); o->keyword; ++o)
        if (o->val) out.emplace_back(o->keyword, o->val);
    return out;
}

std::string format_conninfo(const std::vector<ConninfoOption>& opts) {
    std::string out;
    for (const auto& [kw, val] : opts) {
        if (!out.empty()) out += ' ';
        out += kw + "='";
        for (char c : val) {
            if (c == '\'' || c == '\\') out += '\\';
            out += c;
        }
        out += '\'';
    }
    return out;
}

ConninfoSplit split_conninfo(const std::string& s) {
    std::vector<ConninfoOption> opts = parse_conninfo(s);
    ConninfoSplit r;
    for (const auto& [kw, val] : opts)
        if (kw == "password" && !val.empty()) r.password = val, r.has_password = true;
    std::vector<ConninfoOption> kept;
    for (auto& o : opts)
        if (!r.has_password || (o.first != "password" && o.first != "passfile")) kept.push_back(std::move(o));
    r.safe = format_conninfo(kept);
    return r;
}

FdwConninfoOptions fdw_conninfo_options(const std::string& s) {
    std::vector<ConninfoOption> opts = parse_conninfo(s);
    std::unique_ptr<PQconninfoOption, OptionsDeleter> defs(PQconndefaults());
    for (const char* kw : {"user", "dbname", "host", "port", "password"}) {
        bool given = false;
        for (auto& o : opts) given = given || (o.first == kw && !o.second.empty());
        if (given || !defs) continue;
        for (PQconninfoOption* d = defs.get(); d->keyword; ++d)
            if (std::string(d->keyword) == kw && d->val && *d->val) opts.emplace_back(kw, d->val);
    }
    FdwConninfoOptions r;
    for (auto& [kw, val] : opts) {
        if (kw == "passfile" || kw == "client_encoding" || kw == "replication" || kw == "fallback_application_name")
            continue;
        bool mapping = kw == "user" || kw == "password" || kw == "sslpassword";
        if (kw == "password" && val.empty()) continue;
        std::string& out = mapping ? r.mapping : r.server;
        out += (out.empty() ? "" : ", ") + kw + " " + quote_literal(val);
        if (kw == "password") r.has_password = true;
    }
    return r;
}

}  // namespace fdwcopy

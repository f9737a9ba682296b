// fdw-rewrite's logic (see fdwrewrite.h): statement recognition on the tokens
// of lib/sqllex, OPTIONS rewriting by byte-range edits of the statement text,
// and the output spool that keeps SQL back until the input is known safe.
#include "fdwrewrite.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "exitcodes.h"
#include "log.h"
#include "quote.h"

namespace fdwcopy {

namespace {

struct ParseFail {
    std::string why;
};

// One element of an OPTIONS (...) list.
struct Elem {
    std::string action;  // "", "add", "set", "drop" (ALTER only)
    std::string name;    // option name, identifier rules applied
    size_t first = 0, last = 0, name_tok = 0;  // token indexes
    bool has_value = false, value_is_string = false;
    std::string value;   // decoded (string tokens concatenated)
};

struct Edit {
    size_t begin, end;
    std::string text;
};

std::string apply_edits(const std::string& text, std::vector<Edit> edits) {
    std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
    std::string out;
    size_t at = 0;
    for (const auto& e : edits) {
        out.append(text, at, e.begin - at);
        out += e.text;
        at = e.end;
    }
    out.append(text, at, std::string::npos);
    return out;
}

// PostgreSQL 15 keywords that quote_identifier() quotes (the reserved,
// type_func_name and col_name categories of src/include/parser/kwlist.h), so
// that added option names and roles look the way pg_dump writes them ("user").
bool is_quoted_keyword(const std::string& w) {
    static const char* const kw[] = {
        "between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec", "decimal", "exists",
        "extract", "float", "greatest", "grouping", "inout", "int", "integer", "interval", "least", "national",
        "nchar", "none", "normalize", "numeric", "out", "overlay", "position", "precision", "real", "row",
        "setof", "smallint", "substring", "time", "timestamp", "treat", "trim", "values", "varchar",
        "xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse",
        "xmlpi", "xmlroot", "xmlserialize", "xmltable",
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization",
        "binary", "both", "case", "cast", "check", "collate", "collation", "column", "concurrently",
        "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
        "current_schema", "current_time", "current_timestamp", "current_user", "default", "deferrable",
        "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze",
        "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect",
        "into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime",
        "localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order",
        "outer", "overlaps", "placing", "primary", "references", "returning", "right", "select",
        "session_user", "similar", "some", "symmetric", "table", "tablesample", "then", "to",
        "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when", "where",
        "window", "with"};
    for (const char* k : kw)
        if (w == k) return true;
    return false;
}

std::string ascii_upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

// A name as pg_dump's fmtId() writes it: bare when it is a plain lower-case
// identifier that is not one of the keywords above, else quoted.
std::string ident_sql(const std::string& name) {
    bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) plain = false;
    return plain && !is_quoted_keyword(name) ? name : quote_ident(name);
}

std::string option_name_sql(const std::string& name) { return ident_sql(name); }

// A role for FOR ...: public as pg_dump writes the PUBLIC mapping, the
// CURRENT_USER family as keywords, any other name as fmtId() would (so "user",
// a reserved word that would mean CURRENT_USER, is quoted).
std::string role_sql(const std::string& role) {
    std::string l = ascii_lower(role);
    if (l == "public") return l;
    if (l == "current_user" || l == "current_role" || l == "session_user") return ascii_upper(l);
    return ident_sql(role);
}

std::string show_value(const std::string& v, bool secret) { return secret ? "'****'" : quote_literal(v); }

std::string dq(const std::string& name) { return "\"" + name + "\""; }

}  // namespace

struct FdwRewriter::Stmt {
    enum Type { CreateServer, AlterServer, CreateUserMapping, AlterUserMapping, DropUserMapping } type;
    std::string server;
    std::string wrapper;  // CREATE SERVER: the foreign-data wrapper
    // User mappings: the role as written, and the key it has in the map.
    enum RoleType { Named, Public, Keyword } role_type = Named;
    std::string role;  // Named: the name; Keyword: current_user, current_role, session_user
    size_t role_tok = 0;
    bool has_options = false;
    size_t opt_kw = 0, opt_open = 0, opt_close = 0;
    std::vector<Elem> elems;
    size_t insert_tok = 0;  // a new OPTIONS clause goes after this token
    bool has_version = false;
    size_t line = 0;        // input line of the first token

    const char* what() const {
        switch (type) {
        case CreateServer: return "CREATE SERVER";
        case AlterServer: return "ALTER SERVER";
        case CreateUserMapping: return "CREATE USER MAPPING";
        case AlterUserMapping: return "ALTER USER MAPPING";
        case DropUserMapping: return "DROP USER MAPPING";
        }
        return "";
    }
    std::string role_display() const {
        if (role_type == Public) return "PUBLIC";
        if (role_type == Keyword) return ascii_upper(role);
        return dq(role);
    }
};

namespace {

using Stmt = FdwRewriter::Stmt;

class Parser {
public:
    explicit Parser(const std::vector<SqlToken>& t) : t_(t) {}

    bool word(size_t i, const char* w) const { return i < t_.size() && t_[i].is_word(w); }
    bool punct(size_t i, char c) const {
        return i < t_.size() && t_[i].kind == SqlToken::Punct && t_[i].value.size() == 1 && t_[i].value[0] == c;
    }
    bool name(size_t i) const {
        return i < t_.size() && (t_[i].kind == SqlToken::Word || t_[i].kind == SqlToken::QuotedIdent);
    }
    bool string(size_t i) const { return i < t_.size() && t_[i].kind == SqlToken::String; }
    // The statement ends at i: nothing, or ';' and nothing after it.
    bool at_end(size_t i) const { return i >= t_.size() || (punct(i, ';') && i + 1 == t_.size()); }

    size_t need_name(size_t i, const char* what) const {
        if (!name(i)) throw ParseFail{std::string("expected ") + what};
        return i;
    }

    // OPTIONS ( ... ) starting at the OPTIONS keyword i; returns the index after ')'.
    size_t options(size_t i, bool alter, Stmt& s) const {
        s.has_options = true;
        s.opt_kw = i;
        if (!punct(i + 1, '(')) throw ParseFail{"expected \"(\" after OPTIONS"};
        s.opt_open = i + 1;
        size_t j = i + 2, start = j;
        int depth = 0;
        for (; j < t_.size(); ++j) {
            if (punct(j, '(')) ++depth;
            else if (punct(j, ')') && depth > 0) --depth;
            else if ((punct(j, ',') || punct(j, ')')) && depth == 0) {
                if (j == start) throw ParseFail{"empty element in OPTIONS"};
                s.elems.push_back(element(start, j - 1, alter));
                start = j + 1;
                if (punct(j, ')')) break;
            }
        }
        if (j >= t_.size()) throw ParseFail{"OPTIONS list has no closing parenthesis"};
        s.opt_close = j;
        return j + 1;
    }

private:
    Elem element(size_t a, size_t b, bool alter) const {
        Elem e;
        e.first = a;
        e.last = b;
        size_t n = a;
        if (alter && b > a && t_[a].kind == SqlToken::Word &&
            (t_[a].value == "add" || t_[a].value == "set" || t_[a].value == "drop") && name(a + 1)) {
            e.action = t_[a].value;
            n = a + 1;
        }
        if (!name(n)) throw ParseFail{"expected an option name in OPTIONS"};
        e.name_tok = n;
        e.name = t_[n].value;
        e.has_value = n < b;
        e.value_is_string = e.has_value;
        for (size_t k = n + 1; k <= b; ++k) {
            if (t_[k].kind == SqlToken::String) e.value += t_[k].value;
            else e.value_is_string = false;
        }
        if (e.action == "drop" && e.has_value) throw ParseFail{"DROP in OPTIONS takes no value"};
        if (e.action != "drop" && !e.has_value) throw ParseFail{"option \"" + e.name + "\" has no value"};
        return e;
    }

    const std::vector<SqlToken>& t_;
};

enum class Head { None, CreateServer, AlterServer, CreateUserMapping, AlterUserMapping, DropUserMapping };

Head head_of(const std::vector<SqlToken>& t) {
    auto w = [&](size_t i, const char* s) { return i < t.size() && t[i].is_word(s); };
    if (w(0, "create") && w(1, "server")) return Head::CreateServer;
    if (w(0, "alter") && w(1, "server")) return Head::AlterServer;
    if (w(1, "user") && w(2, "mapping")) {
        if (w(0, "create")) return Head::CreateUserMapping;
        if (w(0, "alter")) return Head::AlterUserMapping;
        if (w(0, "drop")) return Head::DropUserMapping;
    }
    return Head::None;
}

// Parses the statement; returns false for statements that are not rewritten
// (ALTER SERVER ... OWNER TO / RENAME TO). Throws ParseFail.
bool parse_statement(const std::vector<SqlToken>& t, Head head, Stmt& s) {
    Parser p(t);
    size_t i = 0;
    switch (head) {
    case Head::CreateServer: {
        s.type = Stmt::CreateServer;
        i = 2;
        if (p.word(i, "if")) {
            if (!p.word(i + 1, "not") || !p.word(i + 2, "exists")) throw ParseFail{"expected IF NOT EXISTS"};
            i += 3;
        }
        s.server = t[p.need_name(i, "a server name")].value;
        ++i;
        if (p.word(i, "type")) {
            if (!p.string(i + 1)) throw ParseFail{"expected a string after TYPE"};
            i += 2;
        }
        if (p.word(i, "version")) {
            if (!p.string(i + 1) && !p.word(i + 1, "null")) throw ParseFail{"expected a string after VERSION"};
            i += 2;
        }
        if (!p.word(i, "foreign") || !p.word(i + 1, "data") || !p.word(i + 2, "wrapper"))
            throw ParseFail{"expected FOREIGN DATA WRAPPER"};
        i += 3;
        s.insert_tok = p.need_name(i, "a foreign-data wrapper name");
        s.wrapper = t[i].value;
        ++i;
        if (p.word(i, "options")) i = p.options(i, false, s);
        break;
    }
    case Head::AlterServer: {
        s.type = Stmt::AlterServer;
        s.server = t[p.need_name(2, "a server name")].value;
        i = 3;
        if (p.word(i, "version")) {
            if (!p.string(i + 1) && !p.word(i + 1, "null")) throw ParseFail{"expected a string after VERSION"};
            s.has_version = true;
            i += 2;
        }
        if (p.word(i, "options")) i = p.options(i, true, s);
        else if (!s.has_version) return false;  // OWNER TO, RENAME TO
        break;
    }
    case Head::CreateUserMapping:
    case Head::AlterUserMapping:
    case Head::DropUserMapping: {
        s.type = head == Head::CreateUserMapping  ? Stmt::CreateUserMapping
                 : head == Head::AlterUserMapping ? Stmt::AlterUserMapping
                                                  : Stmt::DropUserMapping;
        i = 3;
        if (p.word(i, "if")) {
            if (head == Head::CreateUserMapping && p.word(i + 1, "not") && p.word(i + 2, "exists")) i += 3;
            else if (head == Head::DropUserMapping && p.word(i + 1, "exists")) i += 2;
            else throw ParseFail{"unexpected IF"};
        }
        if (!p.word(i, "for")) throw ParseFail{"expected FOR"};
        ++i;
        s.role_tok = p.need_name(i, "a role after FOR");
        const SqlToken& r = t[i];
        // gram.y RoleSpec / auth_ident: "public" (also quoted) is PUBLIC; the
        // CURRENT_USER family are keywords only when not quoted.
        if (r.value == "public") {
            s.role_type = Stmt::Public;
        } else if (r.kind == SqlToken::Word &&
                   (r.value == "user" || r.value == "current_user" || r.value == "current_role" ||
                    r.value == "session_user")) {
            s.role_type = Stmt::Keyword;
            s.role = r.value == "user" ? "current_user" : r.value;
        } else {
            s.role = r.value;
        }
        ++i;
        if (!p.word(i, "server")) throw ParseFail{"expected SERVER"};
        ++i;
        s.insert_tok = p.need_name(i, "a server name");
        s.server = t[i].value;
        ++i;
        if (head != Head::DropUserMapping && p.word(i, "options"))
            i = p.options(i, head == Head::AlterUserMapping, s);
        else if (head == Head::AlterUserMapping)
            throw ParseFail{"expected OPTIONS"};
        break;
    }
    case Head::None:
        return false;
    }
    if (!p.at_end(i)) throw ParseFail{"unexpected text after the statement"};
    return true;
}

// A statement turned into comments, with a first comment line saying why.
// Secret option values are masked: the text may end up in a file.
std::string comment_out(const SqlPiece& p, const Stmt& s, const std::string& why) {
    std::vector<Edit> mask;
    for (const auto& e : s.elems)
        if (e.has_value && is_secret_option(e.name))
            mask.push_back({p.tokens[e.name_tok + 1].begin, p.tokens[e.last].end, "'****'"});
    std::string text = apply_edits(p.text, mask);
    size_t first = p.tokens.front().begin;
    std::string out = text.substr(0, first);
    out += "-- fdw-rewrite: " + why + "\n";
    size_t at = first;
    while (at < text.size()) {
        size_t nl = text.find('\n', at);
        size_t end = nl == std::string::npos ? text.size() : nl + 1;
        out += "-- ";
        out.append(text, at, end - at);
        at = end;
    }
    return out;
}

// Rewrites the OPTIONS of s to the desired map options. Returns false when
// nothing changes; else appends edits. add_missing: CREATE (options the input
// lacks are added); ALTER only rewrites the values it sets. *emptied is set when
// the map removed every option (the caller decides what that means).
bool rewrite_options(const SqlPiece& p, const Stmt& s, const std::vector<const MapOption*>& desired,
                     bool add_missing, std::vector<Edit>& edits, std::vector<std::string>& lines,
                     bool* emptied) {
    const auto& t = p.tokens;
    auto find = [&](const std::string& name) -> const MapOption* {
        for (const MapOption* o : desired)
            if (o->name == name) return o;
        return nullptr;
    };
    auto raw = [&](size_t a, size_t b) { return p.text.substr(t[a].begin, t[b].end - t[a].begin); };
    std::vector<std::string> items;
    bool changed = false;
    for (const auto& e : s.elems) {
        std::string shown = option_name_sql(e.name);
        bool secret = is_secret_option(e.name);
        std::string old = e.value_is_string ? show_value(e.value, secret)
                                            : (secret ? "'****'" : raw(e.name_tok + 1, e.last));
        const MapOption* mo = e.action == "drop" ? nullptr : find(e.name);
        if (e.action == "drop") {
            items.push_back(raw(e.first, e.last));
            lines.push_back("  DROP " + shown + " (unchanged)");
        } else if (!mo) {
            items.push_back(raw(e.first, e.last));
            lines.push_back("  " + shown + " " + old + " (unchanged)");
        } else if (mo->remove) {
            changed = true;
            lines.push_back("  " + shown + " " + old + " (removed)");
        } else if (e.value_is_string && e.value == mo->value) {
            items.push_back(raw(e.first, e.last));
            lines.push_back("  " + shown + " " + old + " (unchanged)");
        } else {
            changed = true;
            items.push_back(raw(e.first, e.name_tok) + " " + quote_literal(mo->value));
            lines.push_back("  " + shown + " " + old + " -> " + show_value(mo->value, secret || mo->secret));
        }
    }
    if (add_missing) {
        for (const MapOption* mo : desired) {
            if (mo->remove) continue;
            bool present = false;
            for (const auto& e : s.elems)
                if (e.name == mo->name) present = true;
            if (present) continue;
            changed = true;
            items.push_back(option_name_sql(mo->name) + " " + quote_literal(mo->value));
            lines.push_back("  " + option_name_sql(mo->name) + " " +
                            show_value(mo->value, mo->secret || is_secret_option(mo->name)) + " (added)");
        }
    }
    *emptied = false;
    if (!changed) return false;
    if (items.empty()) {
        *emptied = true;
        return true;
    }
    std::string list;
    if (s.has_options) {
        // Keep the list's layout: what stood between "(" and the first element,
        // and between the last element and ")"; the separator follows the
        // first (pg_dump: one option a line, four spaces in).
        const std::string prefix =
            p.text.substr(t[s.opt_open].end, t[s.elems.front().first].begin - t[s.opt_open].end);
        const std::string suffix =
            p.text.substr(t[s.elems.back().last].end, t[s.opt_close].begin - t[s.elems.back().last].end);
        size_t nl = prefix.rfind('\n');
        std::string sep = nl == std::string::npos ? ", " : ",\n" + prefix.substr(nl + 1);
        for (size_t i = 0; i < items.size(); ++i) list += (i ? sep : "") + items[i];
        edits.push_back({t[s.opt_open].end, t[s.opt_close].begin, prefix + list + suffix});
    } else {
        for (size_t i = 0; i < items.size(); ++i) list += (i ? ",\n    " : "") + items[i];
        edits.push_back({t[s.insert_tok].end, t[s.insert_tok].end, " OPTIONS (\n    " + list + "\n)"});
    }
    return true;
}

}  // namespace

FdwRewriter::FdwRewriter(const FdwMap& map, RewriteConfig cfg) : map_(map), cfg_(cfg) {}

bool FdwRewriter::wants_whole(const std::vector<SqlToken>& t) {
    static const std::vector<std::vector<const char*>> heads = {
        {"create", "server"}, {"alter", "server"}, {"create", "user", "mapping"},
        {"alter", "user", "mapping"}, {"drop", "user", "mapping"}, {"set"}};
    for (const auto& h : heads) {
        bool match = true;
        for (size_t i = 0; i < h.size() && i < t.size(); ++i)
            if (!t[i].is_word(h[i])) match = false;
        if (match) return true;
    }
    return false;
}

void FdwRewriter::report(const std::string& line) const {
    if (cfg_.check) log_info(line);
    else log_verbose(line);
}

void FdwRewriter::note_unmapped(const std::string& server) {
    if (std::find(unmapped_.begin(), unmapped_.end(), server) == unmapped_.end()) unmapped_.push_back(server);
}

bool FdwRewriter::rewrite(const SqlPiece& p, std::string* out) {
    if (p.kind != SqlPiece::Statement || !p.whole() || p.tokens.empty()) return false;
    Head head = head_of(p.tokens);
    if (head == Head::None) return false;
    Stmt s;
    s.line = p.line;
    for (size_t i = 0; i < p.tokens.front().begin; ++i)
        if (p.text[i] == '\n') ++s.line;
    try {
        if (!parse_statement(p.tokens, head, s)) return false;
    } catch (const ParseFail& f) {
        static const char* const names[] = {"", "CREATE SERVER", "ALTER SERVER", "CREATE USER MAPPING",
                                            "ALTER USER MAPPING", "DROP USER MAPPING"};
        throw Error(std::string("could not parse the ") + names[static_cast<int>(head)] + " statement at input line " +
                        std::to_string(s.line) + ": " + f.why,
                    EXIT_FAILURE_, {},
                    "fdw-rewrite will not pass on a foreign server or user mapping it cannot read");
    }
    if (s.type == Stmt::CreateServer || s.type == Stmt::AlterServer) return rewrite_server(p, s, out);
    return rewrite_user_mapping(p, s, out);
}

bool FdwRewriter::rewrite_server(const SqlPiece& p, const Stmt& s, std::string* out) {
    std::string head = "server " + dq(s.server) + " (" + s.what() + " at input line " + std::to_string(s.line) + ")";
    servers_.insert(s.server);
    if (s.type == Stmt::CreateServer) wrappers_.emplace_back(s.server, s.wrapper);
    const MapSection* sec = map_.server(s.server);
    if (!sec) {
        note_unmapped(s.server);
        report(head + ": not in the map");
        return false;
    }
    used_.insert(sec);
    std::vector<const MapOption*> desired;
    for (const auto& o : sec->options) desired.push_back(&o);
    std::vector<Edit> edits;
    std::vector<std::string> lines;
    bool emptied = false;
    bool changed = rewrite_options(p, s, desired, s.type == Stmt::CreateServer, edits, lines, &emptied);
    report(head + ": " + (changed ? "rewritten" : "unchanged") + " by [" + sec->header + "] (" +
           map_.where(*sec) + ")");
    for (const auto& l : lines) report(l);
    if (!changed) return false;
    if (emptied) {
        if (s.type == Stmt::AlterServer && !s.has_version) {
            *out = comment_out(p, s, "server " + dq(s.server) + ": the map removed every option this ALTER SERVER sets");
            return true;
        }
        // The map removed every option: no OPTIONS clause at all (an empty one is a syntax error).
        edits.push_back({p.tokens[s.opt_kw - 1].end, p.tokens[s.opt_close].end, ""});
    }
    *out = apply_edits(p.text, edits);
    return true;
}

bool FdwRewriter::rewrite_user_mapping(const SqlPiece& p, const Stmt& s, std::string* out) {
    std::string head = "user mapping for " + s.role_display() + " on server " + dq(s.server) + " (" + s.what() +
                       " at input line " + std::to_string(s.line) + ")";
    if (s.type != Stmt::DropUserMapping) {
        ++user_mappings_;
        if (!map_.server(s.server)) note_unmapped(s.server);
    }
    const MapSection* any = map_.user_mapping(MapSection::AnyRole, "", s.server);
    const MapSection* spec = s.role_type == Stmt::Public
                                 ? map_.user_mapping(MapSection::PublicRole, "", s.server)
                                 : map_.user_mapping(MapSection::NamedRole, s.role, s.server);
    if (!any && !spec) {
        // Options (user, password, sslkey, ...) are what production's mapping
        // would carry into the target: refused like an unmapped server. A
        // mapping without any (or an ALTER that only drops some) carries no
        // secret, and DROP USER MAPPING none at all.
        bool has_options = false;
        for (const auto& e : s.elems)
            if (e.action != "drop") has_options = true;
        if (s.type == Stmt::DropUserMapping) {
            report(head + ": not in the map, unchanged");
        } else if (!has_options) {
            // (On an unmapped server the server itself is what the user hears about.)
            std::string what = head + ": not in the map; it sets no options, passed through unchanged";
            if (map_.server(s.server)) log_info(what);
            else report(what);
        } else {
            std::string name = "user mapping for " + s.role_display() + " on server " + dq(s.server);
            if (std::find(unmapped_mappings_.begin(), unmapped_mappings_.end(), name) == unmapped_mappings_.end())
                unmapped_mappings_.push_back(name);
            report(head + ": not in the map");
        }
        return false;
    }
    // Precedence: ROLE@SERVER (or public@SERVER for PUBLIC) over *@SERVER.
    std::vector<const MapOption*> desired;
    std::string by;
    for (const MapSection* sec : {any, spec}) {
        if (!sec) continue;
        used_.insert(sec);
        by += std::string(by.empty() ? "" : ", ") + "[" + sec->header + "] (" + map_.where(*sec) + ")";
        for (const auto& o : sec->options) {
            auto it = std::find_if(desired.begin(), desired.end(),
                                   [&](const MapOption* d) { return d->name == o.name; });
            if (it != desired.end()) *it = &o;
            else desired.push_back(&o);
        }
    }
    auto pick = [&](auto member) -> const MapSection* {
        if (spec && (spec->*member)) return spec;
        if (any && (any->*member)) return any;
        return nullptr;
    };
    const MapSection* drop_sec = pick(&MapSection::drop);
    if (drop_sec && *drop_sec->drop) {
        report(head + ": dropped by [" + drop_sec->header + "] (" + map_.where(*drop_sec) + ")");
        *out = comment_out(p, s,
                           "user mapping for " + s.role_display() + " on server " + dq(s.server) +
                               " dropped: drop = true in [" + drop_sec->header + "] (" +
                               map_.where(drop_sec->drop_line) + ")");
        return true;
    }
    std::vector<Edit> edits;
    std::vector<std::string> lines;
    bool changed = false;
    if (const MapSection* role_sec = pick(&MapSection::new_role)) {
        std::string sql = role_sql(*role_sec->new_role);
        const SqlToken& r = p.tokens[s.role_tok];
        if (p.text.compare(r.begin, r.end - r.begin, sql) != 0) {
            edits.push_back({r.begin, r.end, sql});
            changed = true;
            lines.push_back("  role " + s.role_display() + " -> " + sql);
        }
    }
    bool emptied = false;
    if (s.type != Stmt::DropUserMapping &&
        rewrite_options(p, s, desired, s.type == Stmt::CreateUserMapping, edits, lines, &emptied))
        changed = true;
    report(head + ": " + (changed ? "rewritten" : "unchanged") + " by " + by);
    for (const auto& l : lines) report(l);
    if (!changed) return false;
    if (emptied) {
        if (s.type == Stmt::AlterUserMapping) {
            *out = comment_out(p, s, "user mapping for " + s.role_display() + " on server " + dq(s.server) +
                                         ": the map removed every option this ALTER USER MAPPING sets");
            return true;
        }
        edits.push_back({p.tokens[s.opt_kw - 1].end, p.tokens[s.opt_close].end, ""});
    }
    *out = apply_edits(p.text, edits);
    return true;
}

int FdwRewriter::finish() {
    for (const auto& sec : map_.sections())
        if (!used_.count(&sec))
            log_warning("map section [" + sec.header + "] (" + map_.where(sec) + ") matches nothing in the input");
    auto count = [](size_t n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); };
    if (cfg_.check) {
        std::string missing;
        if (!unmapped_.empty()) missing = count(unmapped_.size(), "server");
        if (!unmapped_mappings_.empty())
            missing += (missing.empty() ? "" : " and ") + count(unmapped_mappings_.size(), "user mapping");
        log_info("found " + count(servers_.size(), "server") + " and " + count(user_mappings_, "user mapping") +
                 "; " +
                 (missing.empty() ? std::string("every server and user mapping is in the map")
                                  : missing + " not in the map"));
    }
    // Map keys postgres_fdw would reject: only for servers the input creates
    // with postgres_fdw (other wrappers' options are theirs to know).
    int rc = EXIT_OK;
    std::vector<MapSection::Kind> bad_kinds;
    std::set<std::string> checked;
    for (const auto& [server, wrapper] : wrappers_) {
        if (wrapper != "postgres_fdw" || !checked.insert(server).second) continue;
        for (const auto& m : map_.postgres_fdw_option_errors(server, &bad_kinds)) log_error(m);
    }
    if (!bad_kinds.empty()) {
        auto list = [](MapSection::Kind k) {
            std::string l;
            for (const auto& n : postgres_fdw_options(k)) l += (l.empty() ? "" : ", ") + n;
            return l;
        };
        for (MapSection::Kind k : {MapSection::Server, MapSection::UserMapping})
            if (std::find(bad_kinds.begin(), bad_kinds.end(), k) != bad_kinds.end())
                log_hint(std::string("postgres_fdw accepts on a ") +
                         (k == MapSection::Server ? "foreign server" : "user mapping") + ": " + list(k));
        rc = EXIT_FAILURE_;
    }
    if (unmapped_.empty() && unmapped_mappings_.empty()) return rc;
    if (cfg_.keep_unmapped) {
        for (const auto& s : unmapped_)
            log_warning("server " + dq(s) + " is not in the map; passed through unchanged (--keep-unmapped)");
        for (const auto& m : unmapped_mappings_)
            log_warning(m + " is not in the map; passed through unchanged with its options (--keep-unmapped)");
        return rc;
    }
    for (const auto& s : unmapped_) log_error("server " + dq(s) + " is not in the map");
    for (const auto& m : unmapped_mappings_) log_error(m + " is not in the map");
    if (!unmapped_.empty())
        log_hint(std::string("add a [server:NAME] section for each (an empty section keeps its options)") +
                 (unmapped_mappings_.empty() ? ", or use --keep-unmapped" : ""));
    if (!unmapped_mappings_.empty())
        log_hint("add a [user-mapping:ROLE@SERVER], [user-mapping:public@SERVER] or [user-mapping:*@SERVER] section "
                 "for each user mapping (an empty section keeps its options), or use --keep-unmapped");
    return rc == EXIT_OK ? EXIT_UNMAPPED : rc;
}

namespace {
// "SET [SESSION|LOCAL] name {=|TO} value": value's text, lower case.
bool parse_set(const std::vector<SqlToken>& t, const char* name, std::string* value) {
    size_t i = 0;
    if (i >= t.size() || !t[i].is_word("set")) return false;
    ++i;
    if (i < t.size() && (t[i].is_word("session") || t[i].is_word("local"))) ++i;
    if (i >= t.size() || !t[i].is_word(name)) return false;
    ++i;
    if (i >= t.size() || !(t[i].is_word("to") || (t[i].kind == SqlToken::Punct && t[i].value == "="))) return false;
    ++i;
    if (i >= t.size()) return false;
    if (t[i].kind != SqlToken::Word && t[i].kind != SqlToken::String && t[i].kind != SqlToken::Number) return false;
    *value = ascii_lower(t[i].value);
    return true;
}
}  // namespace

bool parse_set_client_encoding(const std::vector<SqlToken>& t, bool* utf8) {
    std::string v;
    if (!parse_set(t, "client_encoding", &v)) return false;
    std::string name;
    for (char c : v)
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) name += c;
    *utf8 = name == "utf8" || name == "unicode" || name == "default";
    return true;
}

bool parse_set_standard_conforming_strings(const std::vector<SqlToken>& t, bool* on) {
    std::string v;
    if (!parse_set(t, "standard_conforming_strings", &v)) return false;
    if (v == "on" || v == "true" || v == "yes" || v == "1" || v == "default") *on = true;
    else if (v == "off" || v == "false" || v == "no" || v == "0") *on = false;
    else return false;
    return true;
}

OutputSpool::OutputSpool(size_t memory_bytes) : limit_(memory_bytes) {}

OutputSpool::~OutputSpool() {
    if (fd_ >= 0) ::close(fd_);
}

void OutputSpool::write(const std::string& s) {
    if (fd_ < 0 && mem_.size() + s.size() <= limit_) {
        mem_ += s;
        return;
    }
    if (fd_ < 0) {
        const char* dir = std::getenv("TMPDIR");
        std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/fdw-rewrite.XXXXXX";
        std::vector<char> name(tmpl.begin(), tmpl.end());
        name.push_back('\0');
        fd_ = ::mkstemp(name.data());
        if (fd_ < 0)
            throw Error("could not create a temporary file in \"" + tmpl.substr(0, tmpl.rfind('/')) +
                        "\": " + std::strerror(errno), EXIT_FAILURE_, {},
                        "set TMPDIR to a directory with room for the output, or raise --max-memory");
        ::unlink(name.data());
        log_verbose("output is larger than " + std::to_string(limit_) +
                    " bytes: holding the rest in an unlinked temporary file");
    }
    if (!write_all(fd_, s))
        throw Error(std::string("could not write to the temporary file: ") + std::strerror(errno), EXIT_FAILURE_,
                    {}, "set TMPDIR to a directory with room for the output, or raise --max-memory");
    file_bytes_ += s.size();
}

void OutputSpool::commit(int fd) {
    auto fail = [] {
        throw Error(std::string("could not write to standard output: ") + std::strerror(errno));
    };
    if (!write_all(fd, mem_)) fail();
    mem_.clear();
    if (fd_ < 0) return;
    if (::lseek(fd_, 0, SEEK_SET) < 0)
        throw Error(std::string("could not rewind the temporary file: ") + std::strerror(errno));
    std::string buf(1 << 16, '\0');
    for (;;) {
        ssize_t n = ::read(fd_, &buf[0], buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(std::string("could not read the temporary file: ") + std::strerror(errno));
        }
        if (n == 0) break;
        if (!write_all(fd, buf.substr(0, static_cast<size_t>(n)))) fail();
    }
}

int run_fdw_rewrite(int in_fd, int out_fd, const FdwMap& map, const RewriteConfig& cfg, size_t memory_bytes) {
    FdwRewriter rw(map, cfg);
    SqlLexer lex(&FdwRewriter::wants_whole);
    // A psql script holds no NUL byte, and none that is not UTF-8 while its
    // client_encoding is UTF8 (pg_dump sets it at the top of every script).
    lex.check_text(true);
    OutputSpool spool(memory_bytes);
    SqlPiece piece;
    std::string replaced;
    auto drain = [&] {
        while (lex.next(piece)) {
            bool changed = rw.rewrite(piece, &replaced);
            if (!cfg.check) spool.write(changed ? replaced : piece.text);
            bool on;
            if (piece.kind == SqlPiece::Statement && piece.whole() &&
                parse_set_standard_conforming_strings(piece.tokens, &on))
                lex.set_standard_conforming_strings(on);
            if (piece.kind == SqlPiece::Statement && piece.whole() && parse_set_client_encoding(piece.tokens, &on))
                lex.set_input_utf8(on);
        }
    };
    std::string buf(1 << 16, '\0');
    for (;;) {
        ssize_t n = ::read(in_fd, &buf[0], buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(std::string("could not read standard input: ") + std::strerror(errno));
        }
        if (n == 0) break;
        lex.feed(buf.data(), static_cast<size_t>(n));
        drain();
    }
    lex.finish();
    drain();
    int rc = rw.finish();
    if (rc == EXIT_OK && !cfg.check) spool.commit(out_fd);
    return rc;
}

}  // namespace fdwcopy

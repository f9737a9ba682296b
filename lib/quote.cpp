// SQL identifier and literal quoting (see quote.h).
#include "quote.h"

#include <vector>

namespace fdwcopy {

std::string quote_ident(const std::string& name) {
    std::string out;
    out.reserve(name.size() + 2);
    out += '"';
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string quote_qualified(const std::string& schema, const std::string& name) {
    return quote_ident(schema) + "." + quote_ident(name);
}

bool split_qualified(const std::string& s, std::string* schema, std::string* name) {
    std::vector<std::string> parts(1);
    std::vector<bool> quoted(1, false);
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '"') {
            if (!parts.back().empty() || quoted.back()) return false;
            quoted.back() = true;
            size_t j = i + 1;
            for (;; ++j) {
                if (j >= s.size()) return false;
                if (s[j] == '"') {
                    if (j + 1 < s.size() && s[j + 1] == '"') { parts.back() += '"'; ++j; continue; }
                    break;
                }
                parts.back() += s[j];
            }
            i = j;
            if (i + 1 < s.size() && s[i + 1] != '.') return false;
        } else if (c == '.') {
            if (parts.back().empty()) return false;
            parts.emplace_back();
            quoted.push_back(false);
        } else {
            if (quoted.back()) return false;
            parts.back() += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        }
    }
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) return false;
    *schema = parts[0];
    *name = parts[1];
    return true;
}

std::string quote_literal(const std::string& value) {
    bool backslash = value.find('\\') != std::string::npos;
    std::string out;
    out.reserve(value.size() + 3);
    if (backslash) out += "E";
    out += '\'';
    for (char c : value) {
        if (c == '\'' || c == '\\') out += c;
        out += c;
    }
    out += '\'';
    return out;
}

}  // namespace fdwcopy

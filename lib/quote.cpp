// SQL identifier and literal quoting (see quote.h).
#include "quote.h"

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

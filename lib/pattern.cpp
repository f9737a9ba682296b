// psql-style pattern conversion (see pattern.h); follows psql's
// patternToSQLRegex in src/fe_utils/string_utils.c.
#include "pattern.h"

#include <cctype>
#include <cstring>
#include <regex>
#include <vector>

#include "log.h"

namespace fdwcopy {

namespace {
// Splits pattern on unquoted dots, converting each part; quotes are kept per part.
std::vector<std::string> split_parts(const std::string& pattern) {
    std::vector<std::string> parts(1);
    bool inquotes = false;
    for (size_t i = 0; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '"') {
            if (inquotes && i + 1 < pattern.size() && pattern[i + 1] == '"') {
                parts.back() += "\"\"";
                ++i;
                continue;
            }
            inquotes = !inquotes;
            parts.back() += c;
        } else if (c == '.' && !inquotes) {
            parts.emplace_back();
        } else {
            parts.back() += c;
        }
    }
    return parts;
}
}  // namespace

std::string pattern_part_to_regex(const std::string& part) {
    std::string re;
    bool inquotes = false;
    for (size_t i = 0; i < part.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(part[i]);
        if (c == '"') {
            if (inquotes && i + 1 < part.size() && part[i + 1] == '"') {
                re += '"';
                ++i;
            } else {
                inquotes = !inquotes;
            }
        } else if (!inquotes && c == '*') {
            re += ".*";
        } else if (!inquotes && c == '?') {
            re += '.';
        } else if (!inquotes && std::isupper(c)) {
            re += static_cast<char>(std::tolower(c));
        } else if (inquotes && std::strchr("|*+?()[]{}.^$\\", c)) {
            re += '\\';
            re += static_cast<char>(c);
        } else if (c == '$') {
            re += "\\$";
        } else {
            re += static_cast<char>(c);
        }
    }
    return "^(" + re + ")$";
}

std::string schema_pattern_to_regex(const std::string& pattern) {
    auto parts = split_parts(pattern);
    if (parts.size() != 1)
        throw Error("improper qualified name (too many dotted names): \"" + pattern + "\"");
    return pattern_part_to_regex(parts[0]);
}

NamePattern parse_table_pattern(const std::string& pattern) {
    auto parts = split_parts(pattern);
    if (parts.size() > 2)
        throw Error("improper qualified name (too many dotted names): \"" + pattern + "\"");
    NamePattern p;
    if (parts.size() == 2) p.schema_regex = pattern_part_to_regex(parts[0]);
    p.name_regex = pattern_part_to_regex(parts.back());
    return p;
}

bool regex_matches(const std::string& regex, const std::string& text) {
    if (regex.empty()) return true;
    return std::regex_search(text, std::regex(regex));
}

}  // namespace fdwcopy

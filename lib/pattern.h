// psql-style name patterns, as pg_dump's -n / -t and psql's \d take them
// (PostgreSQL docs, psql "Patterns"): unquoted letters fold to lower case,
// * matches any sequence, ? any one character, . separates schema from name,
// "double quotes" keep case and make * ? . literal ("" is a quote), other
// regular-expression characters keep their meaning, $ is literal.
#pragma once
#include <string>

namespace fdwcopy {

struct NamePattern {
    std::string schema_regex;  // anchored POSIX regex ("" = any schema)
    std::string name_regex;    // anchored POSIX regex ("" = any name)
};

// Converts one pattern part (no separating dots) into an anchored regex,
// e.g. "pay*" -> "^(pay.*)$", "\"Pay.X\"" -> "^(Pay\.X)$".
std::string pattern_part_to_regex(const std::string& part);

// Schema-only pattern (pg_dump -n): the whole pattern names schemas; an unquoted
// dot is an error. Throws Error naming the pattern.
std::string schema_pattern_to_regex(const std::string& pattern);

// Table pattern (pg_dump -t): "name" or "schema.name". Throws Error naming the
// pattern on more than one unquoted dot (database-qualified names are refused).
NamePattern parse_table_pattern(const std::string& pattern);

// True when text matches the anchored regex (std::regex, ECMAScript grammar,
// which agrees with PostgreSQL's ARE on the subset patterns produce).
// An empty regex matches everything.
bool regex_matches(const std::string& regex, const std::string& text);

}  // namespace fdwcopy

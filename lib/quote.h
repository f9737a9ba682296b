// SQL quoting that needs no connection (fdw-rewrite works offline).
// Output matches PQescapeIdentifier / PQescapeLiteral with
// standard_conforming_strings = on (PostgreSQL docs, "Lexical Structure").
#pragma once
#include <string>

namespace fdwcopy {

// "name" with embedded double quotes doubled; always quoted, so it is safe for
// keywords and mixed case, exactly as PQescapeIdentifier does.
std::string quote_ident(const std::string& name);

// schema.name, both quoted with quote_ident.
std::string quote_qualified(const std::string& schema, const std::string& name);

// Splits a qualified name as SQL reads it ("schema.name", "\"My S\".t"):
// an unquoted part is folded to lower case (ASCII), a quoted one taken as is
// with "" read as one quote. Returns false unless there are exactly two
// non-empty parts.
bool split_qualified(const std::string& qualified, std::string* schema, std::string* name);

// 'value' with embedded single quotes doubled. If the value contains a backslash
// the result is E'...' with backslashes doubled, as PQescapeLiteral does, so it is
// right whatever standard_conforming_strings is.
std::string quote_literal(const std::string& value);

}  // namespace fdwcopy

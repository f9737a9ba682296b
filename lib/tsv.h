// Tab-separated lines with fields escaped as in COPY text format (\t, \n, \r,
// \\), used by the work stream, result lines and the done stream.
// PostgreSQL docs: COPY, "Text Format".
#pragma once
#include <string>
#include <vector>

namespace fdwcopy {

// Escapes backslash, tab, newline and carriage return.
std::string tsv_escape(const std::string& field);
// Reverses tsv_escape; also accepts COPY's other backslash escapes (\b \f \v).
// Throws Error on a trailing lone backslash.
std::string tsv_unescape(const std::string& field);

// Splits a line (without its newline) on tabs and unescapes each field.
std::vector<std::string> tsv_split(const std::string& line);
// Joins escaped fields with tabs; no trailing newline.
std::string tsv_join(const std::vector<std::string>& fields);

}  // namespace fdwcopy

// Sizes in bytes as PostgreSQL writes and reads them: parse_size follows
// pg_size_bytes(), format_size follows pg_size_pretty() (PostgreSQL docs,
// "Database Object Management Functions"); units are 1024-based.
#pragma once
#include <cstdint>
#include <string>

namespace fdwcopy {

// Parses "1GB", "500 MB", "8kB", "1.5GB", "100" (bytes), "2 bytes", "1e3"
// into bytes. Units, case-insensitive as in pg_size_bytes: bytes (or B), kB,
// MB, GB, TB, PB; each 1024 times the one before. Leading and trailing spaces
// and a space between number and unit are allowed; a fraction is rounded to
// the nearest byte. Throws Error('invalid size: "..."') on anything else,
// including a result outside the int64 range.
int64_t parse_size(const std::string& text);

// Formats bytes like pg_size_pretty: "9000 bytes", "10 kB", "512 MB", "2 GB"
// (integers, half rounded, a unit is used up to 20 x 1024 - 1 of it).
std::string format_size(int64_t bytes);

// "12.3 MB": bytes / 1024^2 with one decimal, for progress messages.
std::string format_mb(int64_t bytes);

}  // namespace fdwcopy

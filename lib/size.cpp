// Size parsing and formatting (see size.h).
#include "size.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <strings.h>

#include "log.h"

namespace fdwcopy {

int64_t parse_size(const std::string& text) {
    auto bad = [&]() { return Error("invalid size: \"" + text + "\""); };
    size_t i = 0, n = text.size();
    while (i < n && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    // The number: [+-]digits[.digits][e[+-]digits], as pg_size_bytes takes it.
    size_t start = i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    size_t digits = 0;
    while (i < n && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
    if (i < n && text[i] == '.') {
        ++i;
        while (i < n && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
    }
    if (digits == 0) throw bad();
    if (i < n && (text[i] == 'e' || text[i] == 'E')) {
        size_t save = i++;
        if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
        size_t ed = 0;
        while (i < n && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++ed;
        if (ed == 0) i = save;  // "5 EB" is not an exponent; let the unit check refuse it
    }
    long double value = std::strtold(text.substr(start, i - start).c_str(), nullptr);
    while (i < n && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t uend = n;
    while (uend > i && std::isspace(static_cast<unsigned char>(text[uend - 1]))) --uend;
    std::string unit = text.substr(i, uend - i);
    int shift = -1;
    if (unit.empty() || strcasecmp(unit.c_str(), "bytes") == 0 || strcasecmp(unit.c_str(), "b") == 0)
        shift = 0;
    else if (strcasecmp(unit.c_str(), "kb") == 0) shift = 10;
    else if (strcasecmp(unit.c_str(), "mb") == 0) shift = 20;
    else if (strcasecmp(unit.c_str(), "gb") == 0) shift = 30;
    else if (strcasecmp(unit.c_str(), "tb") == 0) shift = 40;
    else if (strcasecmp(unit.c_str(), "pb") == 0) shift = 50;
    if (shift < 0)
        throw Error("invalid size: \"" + text + "\"", 1, {},
                    "Valid units are \"bytes\", \"kB\", \"MB\", \"GB\", \"TB\", and \"PB\".");
    long double bytes = std::ldexp(value, shift);
    if (!std::isfinite(bytes) || bytes >= 9223372036854775807.0L || bytes <= -9223372036854775807.0L)
        throw bad();
    return static_cast<int64_t>(std::llroundl(bytes));
}

std::string format_size(int64_t size) {
    // pg_size_pretty's table (src/backend/utils/adt/dbsize.c, PostgreSQL 15).
    struct Unit { const char* name; int64_t limit; bool round; int bits; };
    static const Unit units[] = {{"bytes", 10 * 1024, false, 0}, {"kB", 20 * 1024 - 1, true, 10},
                                 {"MB", 20 * 1024 - 1, true, 20}, {"GB", 20 * 1024 - 1, true, 30},
                                 {"TB", 20 * 1024 - 1, true, 40}, {"PB", 20 * 1024 - 1, true, 50}};
    const int count = sizeof units / sizeof units[0];
    for (int u = 0; u < count; ++u) {
        const Unit& unit = units[u];
        if (u == count - 1 || std::llabs(size) < unit.limit) {
            if (unit.round) size = (size + (size < 0 ? -1 : 1)) / 2;
            return std::to_string(size) + " " + unit.name;
        }
        int bits = units[u + 1].bits - unit.bits - (units[u + 1].round ? 1 : 0) + (unit.round ? 1 : 0);
        size /= static_cast<int64_t>(1) << bits;
    }
    return std::to_string(size) + " PB";  // not reached
}

std::string format_mb(int64_t bytes) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return buf;
}

}  // namespace fdwcopy

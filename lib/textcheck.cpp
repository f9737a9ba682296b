// Input text checks (see textcheck.h).
#include "textcheck.h"

#include <cstdio>

namespace fdwcopy {

namespace {
std::string hex_bytes(const unsigned char* b, int n) {
    std::string s;
    char h[8];
    for (int i = 0; i < n; ++i) {
        std::snprintf(h, sizeof h, "%s0x%02x", i ? " " : "", b[i]);
        s += h;
    }
    return s;
}
}  // namespace

void TextCheck::set_utf8(bool on) {
    utf8_ = on;
    need_ = have_ = 0;
}

size_t TextCheck::feed(const char* data, size_t len, std::string* why, size_t* back) {
    if (back) *back = 0;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(data);
    for (size_t i = 0; i < len; ++i) {
        unsigned char c = p[i];
        if (c == 0) {
            *why = "NUL byte";
            return i;
        }
        if (!utf8_) continue;
        if (need_ > 0) {
            if (c < lo_ || c > hi_) {
                if (back) *back = static_cast<size_t>(have_);
                seq_[have_++] = c;
                *why = "invalid UTF-8 byte sequence " + hex_bytes(seq_, have_);
                need_ = have_ = 0;
                return i;
            }
            seq_[have_++] = c;
            lo_ = 0x80;
            hi_ = 0xBF;
            --need_;
            continue;
        }
        if (c < 0x80) continue;
        have_ = 0;
        seq_[have_++] = c;
        // RFC 3629, section 4: the second byte's range depends on the first.
        if (c >= 0xC2 && c <= 0xDF) {
            need_ = 1;
        } else if (c == 0xE0) {
            need_ = 2, lo_ = 0xA0;
        } else if (c == 0xED) {
            need_ = 2, hi_ = 0x9F;  // no UTF-16 surrogates
        } else if (c >= 0xE1 && c <= 0xEF) {
            need_ = 2;
        } else if (c == 0xF0) {
            need_ = 3, lo_ = 0x90;
        } else if (c == 0xF4) {
            need_ = 3, hi_ = 0x8F;  // nothing above U+10FFFF
        } else if (c >= 0xF1 && c <= 0xF3) {
            need_ = 3;
        } else {
            *why = "invalid UTF-8 byte sequence " + hex_bytes(seq_, 1);
            have_ = 0;
            return i;
        }
    }
    return std::string::npos;
}

bool TextCheck::finish(std::string* why, size_t* back) const {
    if (!utf8_ || need_ == 0) return true;
    if (back) *back = static_cast<size_t>(have_);
    *why = "incomplete UTF-8 byte sequence " + hex_bytes(seq_, have_) + " at the end of the input";
    return false;
}

std::string text_error_message(size_t line, size_t offset, const std::string& why) {
    return "input line " + std::to_string(line) + ", byte offset " + std::to_string(offset) + ": " + why;
}

}  // namespace fdwcopy

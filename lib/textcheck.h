// Checks that text input is text: no NUL byte (no SQL script or TOC list holds
// one) and, where the text is UTF-8, only valid UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), as PostgreSQL's
// pg_utf8_verifymbstr accepts it (src/common/wchar.c).
#pragma once
#include <cstddef>
#include <string>

namespace fdwcopy {

// An incremental checker: feed() the input in pieces of any size, in order;
// a multibyte character may span two pieces.
class TextCheck {
public:
    // utf8: also check UTF-8 validity (else only NUL bytes are refused).
    explicit TextCheck(bool utf8 = true) : utf8_(utf8) {}

    // Switches UTF-8 checking on or off for bytes not fed yet (a script's
    // SET client_encoding). A character cut in two by the switch is not checked.
    void set_utf8(bool on);
    bool utf8() const { return utf8_; }

    // Checks len bytes. Returns the index in data of the first bad byte (a NUL,
    // a byte that cannot start a character, or the byte that breaks a
    // multibyte character), or std::string::npos when all is well so far. On
    // a bad byte, *why says what is wrong ("NUL byte", "invalid UTF-8 byte
    // sequence 0xc3 0x28") and *back (if given) how many bytes before it the
    // broken character started (0 to 3; they may lie in earlier pieces).
    size_t feed(const char* data, size_t len, std::string* why, size_t* back = nullptr);

    // At end of input: false (with *why, and *back: how many bytes before the
    // end the cut character started) when a multibyte character was cut off.
    bool finish(std::string* why, size_t* back = nullptr) const;

private:
    bool utf8_;
    int need_ = 0;                     // continuation bytes still expected
    unsigned char lo_ = 0x80, hi_ = 0xBF;  // range of the next continuation byte
    unsigned char seq_[4] = {0, 0, 0, 0};  // the sequence so far (for messages)
    int have_ = 0;
};

// The message for a bad byte: "input line LINE, byte offset OFFSET: WHY", with
// LINE 1-based and OFFSET the 0-based position of the byte in the input.
std::string text_error_message(size_t line, size_t offset, const std::string& why);

}  // namespace fdwcopy

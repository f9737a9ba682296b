// The streaming SQL lexer (see sqllex.h). Its rules follow psql's own lexer
// (src/fe_utils/psqlscan.l), which decides where psql ends a statement.
#include "sqllex.h"

#include <algorithm>
#include <cstring>

#include "log.h"

namespace fdwcopy {

namespace {

bool is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_ident_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool is_ident_cont(unsigned char c) {
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_tag_cont(unsigned char c) { return is_ident_start(c) || is_digit(c); }

void append_utf8(std::string& out, unsigned long cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Body of a quoted string (between the quotes) with '' undoubled and, when
// escapes is set, backslash escapes decoded as in E'...' (PostgreSQL docs,
// "String Constants With C-Style Escapes").
std::string decode_quoted(const std::string& body, bool escapes) {
    std::string out;
    out.reserve(body.size());
    for (size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        if (c == '\'' && i + 1 < body.size() && body[i + 1] == '\'') {
            out += '\'';
            ++i;
        } else if (c == '\\' && escapes && i + 1 < body.size()) {
            char e = body[++i];
            switch (e) {
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'x': {
                int v = 0, n = 0;
                while (n < 2 && i + 1 < body.size() && hex_value(body[i + 1]) >= 0) {
                    v = v * 16 + hex_value(body[++i]);
                    ++n;
                }
                if (n == 0) out += 'x';
                else out += static_cast<char>(v);
                break;
            }
            case 'u':
            case 'U': {
                size_t want = e == 'u' ? 4 : 8;
                unsigned long cp = 0;
                bool ok = true;
                for (size_t k = 1; k <= want; ++k) {
                    int h = i + k < body.size() ? hex_value(body[i + k]) : -1;
                    if (h < 0) { ok = false; break; }
                    cp = cp * 16 + static_cast<unsigned long>(h);
                }
                if (ok) {
                    append_utf8(out, cp);
                    i += want;
                } else {
                    out += e;
                }
                break;
            }
            default:
                if (e >= '0' && e <= '7') {
                    int v = e - '0', n = 1;
                    while (n < 3 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7') {
                        v = v * 8 + (body[++i] - '0');
                        ++n;
                    }
                    out += static_cast<char>(v & 0xFF);
                } else {
                    out += e;
                }
            }
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string ascii_lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

SqlLexer::SqlLexer(HoldFn hold, size_t part_bytes, size_t max_held_bytes)
    : hold_(std::move(hold)), part_bytes_(part_bytes ? part_bytes : 1), max_held_bytes_(max_held_bytes) {}

void SqlLexer::feed(const char* data, size_t len) { buf_.append(data, len); }
void SqlLexer::finish() { eof_ = true; }

void SqlLexer::check_text(bool utf8) {
    if (!check_) check_.reset(new TextCheck(utf8));
    else check_->set_utf8(utf8);
}

void SqlLexer::set_input_utf8(bool on) {
    if (check_ && check_->utf8() != on) check_->set_utf8(on);
}

void SqlLexer::emit(SqlPiece& out, SqlPiece::Kind kind, size_t end) {
    if (check_) {
        std::string why;
        size_t back = 0;
        size_t bad = check_->feed(buf_.data(), end, &why, &back);
        // The line of the bad byte (a broken character holds no newline
        // before its breaking byte); the offset of the character's first byte.
        if (bad != std::string::npos)
            throw Error(text_error_message(
                line_ + static_cast<size_t>(std::count(buf_.begin(), buf_.begin() + static_cast<long>(bad), '\n')),
                offset_ + bad - back, why));
    }
    offset_ += end;
    if (tok_begin_ < end) tok_cut_ = true;  // meaningful only while a token is in progress
    out = SqlPiece{};
    out.kind = kind;
    out.text.assign(buf_, 0, end);
    out.line = line_;
    line_ += static_cast<size_t>(std::count(out.text.begin(), out.text.end(), '\n'));
    buf_.erase(0, end);
    pos_ -= end;
    tok_begin_ = tok_begin_ >= end ? tok_begin_ - end : 0;
}

void SqlLexer::reset_statement() {
    has_tokens_ = streaming_ = asked_ = false;
    asked_at_ = 0;
    tokens_.clear();
    paren_depth_ = begin_depth_ = 0;
    ident_count_ = 0;
    std::memset(idents_, 0, sizeof idents_);
    word_count_ = 0;
    is_copy_ = prev_from_ = copy_from_stdin_ = false;
}

// Hands out buf_[0, end) as (a part of) the current statement.
bool SqlLexer::emit_statement(SqlPiece& out, size_t end, bool ends, bool terminated) {
    bool begins = !streaming_;
    std::vector<SqlToken> toks;
    if (begins && ends) toks.swap(tokens_);
    emit(out, SqlPiece::Statement, end);
    out.begins = begins;
    out.ends = ends;
    out.terminated = terminated;
    out.tokens.swap(toks);
    if (ends) {
        reset_statement();
    } else {
        streaming_ = true;
        tokens_.clear();
    }
    return true;
}

// Bookkeeping for every token: COPY ... FROM stdin, psql's BEGIN ... END
// heuristic for SQL-standard function bodies, and the token list while the
// statement is still whole in memory.
void SqlLexer::token(SqlToken::Kind kind, size_t begin, size_t end) {
    has_tokens_ = true;
    std::string value;
    if (kind == SqlToken::Word) {
        // A word whose start went out in an earlier part matches no keyword.
        if (!tok_cut_) value = ascii_lower(buf_.substr(begin, end - begin));
        if (word_count_ == 0 && value == "copy") is_copy_ = true;
        if (is_copy_ && paren_depth_ == 0) {
            if (prev_from_ && value == "stdin") copy_from_stdin_ = true;
            prev_from_ = value == "from";
        }
        ++word_count_;
        // psqlscan.l: track CREATE [OR REPLACE] FUNCTION|PROCEDURE, then BEGIN/CASE/END.
        if (value == "create" || value == "function" || value == "procedure" || value == "or" ||
            value == "replace") {
            if (ident_count_ < sizeof idents_) idents_[ident_count_] = value[0];
        }
        ++ident_count_;
        if (idents_[0] == 'c' &&
            (idents_[1] == 'f' || idents_[1] == 'p' ||
             (idents_[1] == 'o' && idents_[2] == 'r' && (idents_[3] == 'f' || idents_[3] == 'p'))) &&
            paren_depth_ == 0) {
            if (value == "begin") ++begin_depth_;
            else if (value == "case") {
                if (begin_depth_ >= 1) ++begin_depth_;
            } else if (value == "end") {
                if (begin_depth_ > 0) --begin_depth_;
            }
        }
    } else {
        prev_from_ = false;
    }
    if (streaming_) return;
    std::string raw = buf_.substr(begin, end - begin);
    switch (kind) {
    case SqlToken::Word:
        break;
    case SqlToken::QuotedIdent: {
        std::string body = raw.substr(1, raw.size() >= 2 ? raw.size() - 2 : 0);
        for (size_t i = 0; i < body.size(); ++i) {
            value += body[i];
            if (body[i] == '"' && i + 1 < body.size() && body[i + 1] == '"') ++i;
        }
        break;
    }
    case SqlToken::String: {
        if (raw[0] == '$') {
            size_t tag = raw.find('$', 1) + 1;
            value = raw.substr(tag, raw.size() >= 2 * tag ? raw.size() - 2 * tag : 0);
        } else {
            size_t q = raw.find('\'');
            bool escapes = (q == 1 && (raw[0] == 'e' || raw[0] == 'E')) ||
                           (!std_strings_ && (q == 0 || raw[0] == 'n' || raw[0] == 'N'));
            bool closed = raw.size() >= q + 2 && raw.back() == '\'';
            value = decode_quoted(raw.substr(q + 1, raw.size() - q - 1 - (closed ? 1 : 0)), escapes);
        }
        break;
    }
    default:
        value = raw;
    }
    tokens_.push_back(SqlToken{kind, begin, end, std::move(value)});
}

bool SqlLexer::copy_starts_here(const std::string& line) const {
    // "\copy ... from stdin" reads its data from the script, like COPY FROM STDIN.
    std::string l = ascii_lower(line);
    if (l.compare(0, 5, "\\copy") != 0 || (l.size() > 5 && !is_space(l[5]))) return false;
    std::vector<std::string> words;
    std::string w;
    for (char c : l) {
        if (is_space(static_cast<unsigned char>(c))) {
            if (!w.empty()) words.push_back(w);
            w.clear();
        } else {
            w += c;
        }
    }
    if (!w.empty()) words.push_back(w);
    for (size_t i = 1; i + 1 < words.size(); ++i)
        if (words[i] == "from" && (words[i + 1] == "stdin" || words[i + 1] == "pstdin")) return true;
    return false;
}

// Goes on scanning the word, number, parameter or dollar-quote tag that
// started at tok_begin_, from pos_ (never from its start again).
SqlLexer::Step SqlLexer::scan_long_token() {
    const size_t n = buf_.size();
    size_t i = pos_;
    auto number_cont = [](unsigned char c) {
        return is_digit(c) || c == '.' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    };
    switch (st_) {
    case St::Word: while (i < n && is_ident_cont(static_cast<unsigned char>(buf_[i]))) ++i; break;
    case St::Number: while (i < n && number_cont(static_cast<unsigned char>(buf_[i]))) ++i; break;
    case St::Param: while (i < n && is_digit(static_cast<unsigned char>(buf_[i]))) ++i; break;
    default: while (i < n && is_tag_cont(static_cast<unsigned char>(buf_[i]))) ++i; break;
    }
    pos_ = i;
    if (i >= n && !eof_) return Step::NeedMore;
    const int next = i < n ? static_cast<unsigned char>(buf_[i]) : -1;
    switch (st_) {
    case St::Word: {
        const char c = buf_[tok_begin_];
        if (!tok_cut_ && i == tok_begin_ + 1 && next == '\'') {
            // E'...' takes backslash escapes; B'...', X'...', N'...' are plain.
            if (c == 'e' || c == 'E') {
                st_ = St::EString;
                pos_ = i + 1;
                return Step::Progress;
            }
            if (c == 'b' || c == 'B' || c == 'x' || c == 'X') {
                st_ = St::String;
                pos_ = i + 1;
                return Step::Progress;
            }
            if (c == 'n' || c == 'N') {
                st_ = std_strings_ ? St::String : St::EString;
                pos_ = i + 1;
                return Step::Progress;
            }
        }
        st_ = St::Normal;
        token(SqlToken::Word, tok_begin_, i);
        break;
    }
    case St::Number:
        st_ = St::Normal;
        token(SqlToken::Number, tok_begin_, i);
        break;
    case St::Param:
        st_ = St::Normal;
        token(SqlToken::Param, tok_begin_, i);
        break;
    default:  // DollarTag
        if (next == '$' && !tok_cut_) {
            dollar_tag_ = buf_.substr(tok_begin_, i + 1 - tok_begin_);
            st_ = St::Dollar;
            pos_ = i + 1;
        } else {
            // Not a dollar quote: a lone '$', then the rest is scanned again
            // as whatever it is (once; a tag cut by a part is not rescanned).
            st_ = St::Normal;
            token(SqlToken::Punct, tok_begin_, tok_begin_ + 1);
            if (!tok_cut_) pos_ = tok_begin_ + 1;
        }
    }
    return Step::Progress;
}

// A token in progress that is a part long already: shown to the hold
// predicate as it is so far (a token that long decides as much as a whole one,
// and waiting for its end would hold all of it in memory).
bool SqlLexer::long_token_in_progress() const {
    switch (st_) {
    case St::Word: case St::Number: case St::Param: case St::DollarTag:
    case St::String: case St::EString: case St::QuotedIdent: case St::Dollar:
        return !tok_cut_ && pos_ - tok_begin_ >= part_bytes_;
    default:
        return false;
    }
}

// The tokens the hold predicate is asked about: those of the statement so
// far, and a long token in progress (its value: what was scanned, as it is;
// a word folded to lower case).
std::vector<SqlToken> SqlLexer::hold_probe() const {
    std::vector<SqlToken> t = tokens_;
    if (!long_token_in_progress()) return t;
    SqlToken::Kind kind = SqlToken::String;
    if (st_ == St::Word) kind = SqlToken::Word;
    else if (st_ == St::Number) kind = SqlToken::Number;
    else if (st_ == St::Param) kind = SqlToken::Param;
    else if (st_ == St::QuotedIdent) kind = SqlToken::QuotedIdent;
    std::string value = buf_.substr(tok_begin_, pos_ - tok_begin_);
    if (kind == SqlToken::Word) value = ascii_lower(std::move(value));
    t.push_back(SqlToken{kind, tok_begin_, pos_, std::move(value)});
    return t;
}

// Scans one token (or one whitespace byte) in the Normal state.
SqlLexer::Step SqlLexer::scan_normal(SqlPiece& out) {
    const size_t n = buf_.size();
    const unsigned char c = static_cast<unsigned char>(buf_[pos_]);
    auto at = [&](size_t i) -> int { return i < n ? static_cast<unsigned char>(buf_[i]) : -1; };
    // Lookahead past the buffer: wait for more input unless there is none.
    auto short_of = [&](size_t i) { return i >= n && !eof_; };

    if (is_space(c)) {
        ++pos_;
        return Step::Progress;
    }
    if (c == '-' || c == '/') {
        if (short_of(pos_ + 1)) return Step::NeedMore;
        if (c == '-' && at(pos_ + 1) == '-') {
            st_ = St::LineComment;
            pos_ += 2;
            return Step::Progress;
        }
        if (c == '/' && at(pos_ + 1) == '*') {
            st_ = St::BlockComment;
            comment_depth_ = 1;
            pos_ += 2;
            return Step::Progress;
        }
    }
    if (c == '\\') {
        // A psql meta-command runs to the end of the line. Hand out what came
        // before it first (it ends the statement, as \g would).
        if (pos_ > 0) {
            if (has_tokens_ || streaming_) emit_statement(out, pos_, true, false);
            else emit(out, SqlPiece::Space, pos_);
            return Step::Emit;
        }
        st_ = St::MetaLine;
        ++pos_;
        return Step::Progress;
    }
    has_tokens_ = true;
    tok_begin_ = pos_;
    tok_cut_ = false;
    if (c == '\'') {
        st_ = std_strings_ ? St::String : St::EString;
        ++pos_;
        return Step::Progress;
    }
    if (c == '"') {
        st_ = St::QuotedIdent;
        ++pos_;
        return Step::Progress;
    }
    if (c == '$') {
        if (short_of(pos_ + 1)) return Step::NeedMore;
        int d = at(pos_ + 1);
        if (d >= 0 && is_digit(static_cast<unsigned char>(d))) {
            st_ = St::Param;
            pos_ += 2;
            return Step::Progress;
        }
        if (d >= 0 && is_ident_start(static_cast<unsigned char>(d))) {
            st_ = St::DollarTag;
            pos_ += 2;
            return Step::Progress;
        }
        if (d == '$') {
            dollar_tag_ = "$$";
            st_ = St::Dollar;
            pos_ += 2;
            return Step::Progress;
        }
        token(SqlToken::Punct, pos_, pos_ + 1);
        ++pos_;
        return Step::Progress;
    }
    if (is_ident_start(c)) {
        st_ = St::Word;
        ++pos_;
        return Step::Progress;
    }
    if (is_digit(c)) {
        st_ = St::Number;
        ++pos_;
        return Step::Progress;
    }
    if (c == '(') ++paren_depth_;
    if (c == ')' && paren_depth_ > 0) --paren_depth_;
    if (c == ';' && paren_depth_ == 0 && begin_depth_ == 0) {
        token(SqlToken::Punct, pos_, pos_ + 1);
        ++pos_;
        bool copy = copy_from_stdin_;
        emit_statement(out, pos_, true, true);
        // The rest of the line after "COPY ... FROM stdin;" and the lines up to
        // "\." are data.
        if (copy) st_ = St::CopyLine;
        return Step::Emit;
    }
    token(SqlToken::Punct, pos_, pos_ + 1);
    ++pos_;
    return Step::Progress;
}

bool SqlLexer::next(SqlPiece& out) {
    for (;;) {
        const size_t n = buf_.size();
        Step step = Step::Progress;
        if (pos_ >= n) {
            step = Step::NeedMore;
        } else {
            switch (st_) {
            case St::Normal:
                step = scan_normal(out);
                break;
            case St::Word:
            case St::Number:
            case St::Param:
            case St::DollarTag:
                step = scan_long_token();
                break;
            case St::LineComment: {
                // psqlscan.l: a -- comment ends at \n or \r.
                size_t i = buf_.find_first_of("\n\r", pos_);
                if (i == std::string::npos) {
                    pos_ = n;
                    step = Step::NeedMore;
                } else {
                    pos_ = i;
                    st_ = St::Normal;
                }
                break;
            }
            case St::BlockComment: {
                char c = buf_[pos_];
                if (c == '/' || c == '*') {
                    if (pos_ + 1 >= n && !eof_) {
                        step = Step::NeedMore;
                        break;
                    }
                    char d = pos_ + 1 < n ? buf_[pos_ + 1] : '\0';
                    if (c == '/' && d == '*') {
                        ++comment_depth_;
                        pos_ += 2;
                    } else if (c == '*' && d == '/') {
                        pos_ += 2;
                        if (--comment_depth_ == 0) st_ = St::Normal;
                    } else {
                        ++pos_;
                    }
                } else {
                    size_t i = buf_.find_first_of("/*", pos_);
                    pos_ = i == std::string::npos ? n : i;
                }
                break;
            }
            case St::String:
            case St::EString: {
                char c = buf_[pos_];
                if (c == '\\' && st_ == St::EString) {
                    if (pos_ + 1 >= n && !eof_) {
                        step = Step::NeedMore;
                        break;
                    }
                    pos_ = std::min(pos_ + 2, n);
                } else if (c == '\'') {
                    if (pos_ + 1 >= n && !eof_) {
                        step = Step::NeedMore;
                        break;
                    }
                    if (pos_ + 1 < n && buf_[pos_ + 1] == '\'') {
                        pos_ += 2;
                    } else {
                        ++pos_;
                        st_ = St::Normal;
                        token(SqlToken::String, tok_begin_, pos_);
                    }
                } else {
                    size_t i = buf_.find_first_of(st_ == St::EString ? "'\\" : "'", pos_);
                    pos_ = i == std::string::npos ? n : i;
                }
                break;
            }
            case St::QuotedIdent: {
                size_t i = buf_.find('"', pos_);
                if (i == std::string::npos) {
                    pos_ = n;
                    step = Step::NeedMore;
                    break;
                }
                pos_ = i;
                if (pos_ + 1 >= n && !eof_) {
                    step = Step::NeedMore;
                    break;
                }
                if (pos_ + 1 < n && buf_[pos_ + 1] == '"') {
                    pos_ += 2;
                } else {
                    ++pos_;
                    st_ = St::Normal;
                    token(SqlToken::QuotedIdent, tok_begin_, pos_);
                }
                break;
            }
            case St::Dollar: {
                size_t i = buf_.find('$', pos_);
                if (i == std::string::npos) {
                    pos_ = n;
                    step = Step::NeedMore;
                    break;
                }
                pos_ = i;
                if (pos_ + dollar_tag_.size() > n && !eof_) {
                    step = Step::NeedMore;
                    break;
                }
                if (buf_.compare(pos_, dollar_tag_.size(), dollar_tag_) == 0) {
                    pos_ += dollar_tag_.size();
                    st_ = St::Normal;
                    token(SqlToken::String, tok_begin_, pos_);
                } else {
                    ++pos_;
                }
                break;
            }
            case St::MetaLine: {
                size_t i = buf_.find('\n', pos_);
                if (i == std::string::npos) {
                    pos_ = n;
                    step = Step::NeedMore;
                    break;
                }
                pos_ = i + 1;
                bool copy = copy_starts_here(buf_.substr(0, pos_));
                emit(out, SqlPiece::Meta, pos_);
                reset_statement();
                st_ = copy ? St::CopyLineStart : St::Normal;
                return true;
            }
            case St::CopyLine: {
                size_t i = buf_.find('\n', pos_);
                if (i == std::string::npos) {
                    pos_ = n;
                    step = Step::NeedMore;
                } else {
                    pos_ = i + 1;
                    st_ = St::CopyLineStart;
                }
                break;
            }
            case St::CopyLineStart: {
                // psql's copy.c: the data ends at a line that is exactly "\." (or at EOF).
                const char* p = buf_.data() + pos_;
                size_t left = n - pos_;
                if (p[0] != '\\') {
                    st_ = St::CopyLine;
                    break;
                }
                if (left < 2 && !eof_) { step = Step::NeedMore; break; }
                if (left < 2 || p[1] != '.') { st_ = St::CopyLine; break; }
                if (left < 3 && !eof_) { step = Step::NeedMore; break; }
                size_t end = 0;
                if (left == 2) end = 2;
                else if (p[2] == '\n') end = 3;
                else if (p[2] == '\r') {
                    if (left < 4 && !eof_) { step = Step::NeedMore; break; }
                    if (left >= 4 && p[3] == '\n') end = 4;
                }
                if (end == 0) {
                    st_ = St::CopyLine;
                    break;
                }
                pos_ += end;
                emit(out, SqlPiece::CopyData, pos_);
                st_ = St::Normal;
                return true;
            }
            }
        }
        if (step == Step::Emit) return true;

        // Hand out long runs in parts so that memory stays bounded.
        if (pos_ >= part_bytes_ && pos_ > 0) {
            if (st_ == St::CopyLine || st_ == St::CopyLineStart) {
                emit(out, SqlPiece::CopyData, pos_);
                return true;
            }
            if (st_ != St::MetaLine) {
                if (!has_tokens_) {
                    emit(out, SqlPiece::Space, pos_);
                    return true;
                }
                if (streaming_) return emit_statement(out, pos_, false, false);
                // Ask again whenever more tokens are known: "CREATE" alone cannot tell.
                size_t known = tokens_.size() + (long_token_in_progress() ? 1 : 0);
                if (!asked_ || asked_at_ != known) {
                    asked_ = true;
                    asked_at_ = known;
                    if (!hold_ || !hold_(hold_probe())) return emit_statement(out, pos_, false, false);
                }
                if (buf_.size() > max_held_bytes_)
                    throw Error("statement starting at input line " + std::to_string(line_) +
                                " is longer than " + std::to_string(max_held_bytes_) + " bytes");
            }
        }

        if (step == Step::NeedMore) {
            if (!eof_ || pos_ < buf_.size()) {
                if (!eof_) return false;
                continue;  // cannot happen: scanners do not wait at EOF
            }
            if (buf_.empty()) {
                std::string why;
                size_t back = 0;
                if (check_ && !check_->finish(&why, &back))
                    throw Error(text_error_message(line_, offset_ - back, why));
                return false;
            }
            switch (st_) {
            case St::CopyLine:
            case St::CopyLineStart:
                emit(out, SqlPiece::CopyData, buf_.size());
                break;
            case St::MetaLine:
                emit(out, SqlPiece::Meta, buf_.size());
                reset_statement();
                break;
            default:
                // An unterminated string or comment at the end stays as it is.
                if (st_ == St::QuotedIdent)
                    token(SqlToken::QuotedIdent, tok_begin_, buf_.size());
                else if (st_ == St::String || st_ == St::EString || st_ == St::Dollar)
                    token(SqlToken::String, tok_begin_, buf_.size());
                else if (in_long_token())
                    scan_long_token();  // at the end of input: ends the token
                if (has_tokens_ || streaming_) emit_statement(out, buf_.size(), true, false);
                else emit(out, SqlPiece::Space, buf_.size());
            }
            st_ = St::Normal;
            return true;
        }
    }
}

std::vector<SqlPiece> sql_split(const std::string& text, size_t chunk, SqlLexer::HoldFn hold,
                                size_t part_bytes) {
    SqlLexer lex(std::move(hold), part_bytes);
    std::vector<SqlPiece> out;
    SqlPiece p;
    if (chunk == 0) chunk = 1;
    for (size_t off = 0; off < text.size(); off += chunk) {
        lex.feed(text.data() + off, std::min(chunk, text.size() - off));
        while (lex.next(p)) out.push_back(std::move(p));
    }
    lex.finish();
    while (lex.next(p)) out.push_back(std::move(p));
    return out;
}

}  // namespace fdwcopy

// A streaming SQL lexer for psql scripts (pg_dump plain output): splits the
// input into statements, psql meta-command lines and COPY data, byte for byte,
// in constant memory, following PostgreSQL's lexical rules (PostgreSQL docs,
// "Lexical Structure"; src/backend/parser/scan.l, src/fe_utils/psqlscan.l).
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <memory>
#include <vector>

#include "textcheck.h"

namespace fdwcopy {

// One token of a statement. Offsets are bytes into SqlPiece::text.
struct SqlToken {
    enum Kind {
        Word,         // identifier or keyword; value: ASCII letters folded to lower case
        QuotedIdent,  // "..."; value: the name with "" undoubled
        String,       // '...', E'...', B'...', X'...', N'...', $tag$...$tag$; value: decoded
        Number,       // 42, 1.5e3; value: the text
        Param,        // $1; value: the text
        Punct,        // any other single character: ( ) , ; . = + ... ; value: the text
    };
    Kind kind;
    size_t begin, end;  // [begin, end) in the piece text
    std::string value;
    bool is_word(const char* lower) const { return kind == Word && value == lower; }
};

// A run of input bytes handed out by the lexer. Concatenating the text of every
// piece, in order, gives back exactly the input.
struct SqlPiece {
    enum Kind {
        Statement,  // a statement: leading whitespace/comments, its tokens, up to and including ';'
        Space,      // only whitespace and comments (before a meta-command, at end of input,
                    // or a very long run of them before a statement)
        Meta,       // one psql meta-command line: from the backslash through the newline
        CopyData,   // data lines of COPY ... FROM stdin (also \copy ... from stdin), through "\."
    };
    Kind kind = Statement;
    std::string text;
    size_t line = 1;        // 1-based input line on which text starts
    // Statement only. A statement longer than the part size that the hold
    // predicate does not want whole comes in several pieces: the first has
    // begins, the last has ends. whole() pieces carry every token.
    bool begins = true, ends = true;
    bool terminated = false;  // ends with ';' (false: end of input or a meta-command came first)
    std::vector<SqlToken> tokens;  // only for whole() statements
    bool whole() const { return begins && ends; }
};

class SqlLexer {
public:
    // hold(tokens so far) is asked when a statement outgrows part_bytes: true keeps
    // it in memory until its end (use it for statements you want to rewrite; also
    // answer true while the tokens seen cannot decide yet), false streams it in
    // parts. Without a predicate, long statements are streamed.
    // A held statement longer than max_held_bytes throws Error.
    using HoldFn = std::function<bool(const std::vector<SqlToken>&)>;
    explicit SqlLexer(HoldFn hold = {}, size_t part_bytes = 64 * 1024,
                      size_t max_held_bytes = 16 * 1024 * 1024);

    // Appends input. Nothing is scanned until next() is called.
    void feed(const char* data, size_t len);
    void feed(const std::string& s) { feed(s.data(), s.size()); }
    // Declares the end of input; the rest is handed out by next().
    void finish();
    // Scans; returns true with the next piece, or false when more input is
    // needed (or, after finish(), when everything has been handed out).
    bool next(SqlPiece& out);

    // Plain '...' strings take backslash escapes when off (psql's
    // standard_conforming_strings). Takes effect for text not yet scanned: call
    // it after next() returned the SET statement.
    void set_standard_conforming_strings(bool on) { std_strings_ = on; }
    bool standard_conforming_strings() const { return std_strings_; }

    // Refuses input that is not text (lib/textcheck.h): from now on a NUL byte,
    // and invalid UTF-8 while utf8 is set, make next() throw
    // Error("input line L, byte offset O: ...") before the piece holding it is
    // handed out. set_input_utf8 switches the UTF-8 part for text not yet
    // handed out (call it after next() returned a SET client_encoding).
    void check_text(bool utf8);
    void set_input_utf8(bool on);

private:
    // Word, Number, Param and DollarTag scan a token that may outgrow the
    // buffer: each call goes on from pos_, so a token of any length is scanned
    // once (linear time), and can be handed out in parts (bounded memory).
    enum class St { Normal, LineComment, BlockComment, String, EString, QuotedIdent, Dollar,
                    MetaLine, CopyLine, CopyLineStart, Word, Number, Param, DollarTag };
    enum class Step { Progress, NeedMore, Emit };

    Step scan_normal(SqlPiece& out);
    Step scan_long_token();
    bool in_long_token() const {
        return st_ == St::Word || st_ == St::Number || st_ == St::Param || st_ == St::DollarTag;
    }
    bool long_token_in_progress() const;
    std::vector<SqlToken> hold_probe() const;
    bool emit_statement(SqlPiece& out, size_t end, bool ends, bool terminated);
    void emit(SqlPiece& out, SqlPiece::Kind kind, size_t end);
    void token(SqlToken::Kind kind, size_t begin, size_t end);
    void reset_statement();
    bool copy_starts_here(const std::string& meta_line) const;

    HoldFn hold_;
    size_t part_bytes_, max_held_bytes_;
    std::string buf_;       // unhanded input; buf_[0] is the start of the current piece
    size_t pos_ = 0;        // scan position in buf_
    bool eof_ = false;
    bool std_strings_ = true;
    St st_ = St::Normal;
    size_t line_ = 1;       // line of buf_[0]
    // The token being scanned over several calls (strings, comments, dollar bodies).
    size_t tok_begin_ = 0;
    bool tok_cut_ = false;    // a part ended inside the token: its start was handed out
    std::unique_ptr<TextCheck> check_;  // set by check_text
    size_t offset_ = 0;       // input offset of buf_[0]
    int comment_depth_ = 0;
    std::string dollar_tag_;  // "$tag$"
    // The current statement.
    bool has_tokens_ = false;
    bool streaming_ = false;  // a first part was already handed out
    bool asked_ = false;      // hold_ was asked (and said yes) ...
    size_t asked_at_ = 0;     // ... when tokens_ had this many tokens
    std::vector<SqlToken> tokens_;
    int paren_depth_ = 0, begin_depth_ = 0;
    // psqlscan.l's heuristic for BEGIN ATOMIC ... END bodies: first letters of
    // the first identifiers when they are create/or/replace/function/procedure.
    size_t ident_count_ = 0;
    char idents_[4] = {0, 0, 0, 0};
    // COPY ... FROM stdin recognition at parenthesis depth 0.
    size_t word_count_ = 0;
    bool is_copy_ = false, prev_from_ = false, copy_from_stdin_ = false;
};

// Splits text into pieces, feeding it chunk bytes at a time (for tests and small inputs).
std::vector<SqlPiece> sql_split(const std::string& text, size_t chunk = 65536,
                                SqlLexer::HoldFn hold = {}, size_t part_bytes = 64 * 1024);

// ASCII lower case, as PostgreSQL folds unquoted identifiers in UTF-8.
std::string ascii_lower(std::string s);

}  // namespace fdwcopy

// Streaming splitter of plain-format dumps (see schemasplit.h).
#include "schemasplit.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "log.h"

namespace fdwcopy {

// ---------------------------------------------------------------- sinks

FdSink::FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

FdSink::FdSink(std::string path) : owned_(true), name_(path), path_(std::move(path)) {}

FdSink::~FdSink() {
    try {
        flush();
    } catch (const Error&) {
        // Destructors do not throw; finish() flushed and reported already.
    }
    if (owned_ && fd_ >= 0) ::close(fd_);
}

void FdSink::write(std::string_view data) {
    buf_.append(data);
    if (buf_.size() >= 65536) flush();
}

void FdSink::flush() {
    if (buf_.empty()) return;  // a file nothing was written to is not created
    if (fd_ < 0 && owned_) {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd_ < 0) {
            buf_.clear();
            throw Error("could not open file \"" + path_ + "\": " + std::strerror(errno));
        }
    }
    if (!write_all(fd_, buf_)) {
        buf_.clear();
        throw Error("could not write to " + name_ + ": " + std::strerror(errno));
    }
    buf_.clear();
}

// ---------------------------------------------------------------- headers

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string_view strip_newline(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    return line;
}

// The session settings pg_dump writes between entries when they change
// (_becomeUser, _selectOutputSchema, _selectTablespace, _selectTableAccessMethod),
// in the order it writes them; -1 for any other line.
int state_key(std::string_view t) {
    if (!ends_with(t, ";")) return -1;
    if (starts_with(t, "SET SESSION AUTHORIZATION ") || t == "RESET SESSION AUTHORIZATION;") return 0;
    if (starts_with(t, "SET search_path = ")) return 1;
    if (starts_with(t, "SET default_tablespace = ")) return 2;
    if (starts_with(t, "SET default_table_access_method = ")) return 3;
    return -1;
}

}  // namespace

std::optional<SplitEntry> parse_entry_header(std::string_view line) {
    SplitEntry e;
    if (!starts_with(line, "-- ")) return std::nullopt;
    std::string_view rest = line.substr(3);
    if (starts_with(rest, "Data for ")) {
        e.data_for = true;
        rest.remove_prefix(9);
    }
    if (!starts_with(rest, "Name: ")) return std::nullopt;
    rest.remove_prefix(6);
    // The name may contain anything but a newline: take the first "; Type: "
    // followed by a type (no ';') and "; Schema: ".
    for (size_t pos = rest.find("; Type: "); pos != std::string_view::npos;
         pos = rest.find("; Type: ", pos + 1)) {
        size_t tstart = pos + 8;
        size_t sch = rest.find("; Schema: ", tstart);
        if (sch == std::string_view::npos) return std::nullopt;
        std::string_view type = rest.substr(tstart, sch - tstart);
        if (type.find(';') != std::string_view::npos) continue;
        size_t sstart = sch + 10;
        size_t own = rest.find("; Owner: ", sstart);
        if (own == std::string_view::npos) return std::nullopt;
        e.name = std::string(rest.substr(0, pos));
        e.type = std::string(type);
        e.schema = std::string(rest.substr(sstart, own - sstart));
        std::string_view owner = rest.substr(own + 9);
        size_t ts = owner.find("; Tablespace: ");
        if (ts != std::string_view::npos) {
            e.tablespace = std::string(owner.substr(ts + 14));
            owner = owner.substr(0, ts);
        }
        e.owner = std::string(owner);
        if (!toc_type_section(e.type))
            throw Error("unknown TOC entry type \"" + e.type + "\" in header \"" +
                        std::string(line) + "\"");
        return e;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------- splitter

SchemaSplitter::SchemaSplitter(std::array<Sink*, 3> sinks,
                               std::function<void(const SplitEntry&)> on_entry)
    : section_sink_(sinks), on_entry_(std::move(on_entry)) {
    for (Sink* s : sinks) {
        bool seen = false;
        for (Sink* t : sinks_) seen = seen || t == s;
        if (s && !seen) sinks_.push_back(s);
    }
    sink_state_.resize(sinks_.size());
}

void SchemaSplitter::feed(std::string_view data) {
    while (!data.empty()) {
        size_t nl = data.find('\n');
        size_t take = nl == std::string_view::npos ? data.size() : nl + 1;
        std::string_view piece = data.substr(0, take);
        data.remove_prefix(take);
        offset_ += take;
        bool complete = nl != std::string_view::npos;
        if (long_line_) {
            emit(piece);
        } else if (line_.size() + piece.size() > kMaxLine) {
            std::string first = line_;
            first.append(piece);
            line_.clear();
            begin_long_line(first);
        } else if (complete && line_.empty()) {
            on_line(piece);  // the common case: no copy
        } else {
            line_.append(piece);
            if (complete) {
                std::string l;
                l.swap(line_);
                on_line(l);
            }
        }
        if (complete) {
            long_line_ = false;
            line_start_ = offset_;
        }
    }
}

void SchemaSplitter::check_not_archive(std::string_view first) {
    if (line_start_ == 0 && starts_with(first, "PGDMP"))
        throw Error("input is a pg_dump archive, not a plain-format dump", 1, {},
                    "convert it with: pg_restore -f - ARCHIVE | schema-split ...");
}

void SchemaSplitter::begin_long_line(std::string_view first) {
    if (phase_ == Phase::Preamble) {
        check_not_archive(first);
        throw Error("input is not a plain-format dump: no TOC entry header in its first " +
                    std::to_string(line_start_ + first.size()) + " bytes");
    }
    if (phase_ == Phase::Trailer)
        throw Error("unexpected data after the end of the dump at byte " + std::to_string(line_start_));
    flush_pending();
    long_line_ = true;
    prev_blank_ = false;
    emit(first);
}

void SchemaSplitter::emit(std::string_view data) {
    if (phase_ == Phase::Preamble) {
        preamble_.append(data);
        if (preamble_.size() > kMaxPreamble)
            throw Error("input is not a plain-format dump: no TOC entry header in its first " +
                        std::to_string(preamble_.size()) + " bytes");
    } else if (dest_ >= 0) {
        sinks_[dest_]->write(data);
    }
}

void SchemaSplitter::on_line(std::string_view line) {
    std::string_view text = strip_newline(line);
    if (phase_ == Phase::Preamble && line_start_ == 0) check_not_archive(text);
    if (phase_ == Phase::Trailer) {
        if (starts_with(text, "-- Name: ") || starts_with(text, "-- Data for Name: "))
            throw Error("a second dump follows the end of the dump at byte " + std::to_string(line_start_));
        trailer_.append(line);
        if (trailer_.size() > kMaxPreamble)
            throw Error("unexpected data after the end of the dump at byte " + std::to_string(line_start_));
        return;
    }
    if (in_copy_) {
        emit(line);
        if (text == "\\.") in_copy_ = false;
        return;
    }
    if (pend_ != Pend::None) {
        if (pending_accept(line, text)) return;
        flush_pending();
    }
    if (prev_blank_) {
        if (text == "--") {
            pend_ = Pend::Open;
            header_offset_ = line_start_;
            pending_.push_back({std::string(line), Kind::Header, -1});
            pending_bytes_ = line.size();
            return;
        }
        if (int key = state_key(text); key >= 0) {
            pend_ = Pend::Gap;
            pending_.push_back({std::string(line), Kind::Set, key});
            pending_bytes_ = line.size();
            return;
        }
    }
    emit(line);
    if (cur_type_ == "TABLE DATA" && starts_with(text, "COPY ") && ends_with(text, " FROM stdin;"))
        in_copy_ = true;
    prev_blank_ = text.empty();
}

bool SchemaSplitter::pending_accept(std::string_view line, std::string_view text) {
    if (pending_bytes_ + line.size() > 4 * kMaxLine) return false;
    Kind last = pending_.back().kind;
    auto push = [&](Kind k, int key) {
        pending_.push_back({std::string(line), k, key});
        pending_bytes_ += line.size();
    };
    switch (pend_) {
    case Pend::Gap:
        if (text.empty()) {
            push(Kind::Blank, -1);
            return true;
        }
        if (last != Kind::Blank) return false;
        if (int key = state_key(text); key >= 0) {
            push(Kind::Set, key);
            return true;
        }
        if (text == "--") {
            header_offset_ = line_start_;
            push(Kind::Header, -1);
            pend_ = Pend::Open;
            return true;
        }
        return false;
    case Pend::Open:
        if (starts_with(text, "-- TOC entry ") || starts_with(text, "-- Dependencies:")) {
            push(Kind::Header, -1);
            return true;
        }
        if (text == "-- PostgreSQL database dump complete") {
            push(Kind::Header, -1);
            pend_ = Pend::TrailerNamed;
            return true;
        }
        if (auto e = parse_entry_header(text)) {
            pending_entry_ = std::move(*e);
            push(Kind::Header, -1);
            pend_ = Pend::Named;
            return true;
        }
        return false;
    case Pend::Named:
        if (starts_with(text, "-- Data Pos: ") || starts_with(text, "-- File: ")) {
            push(Kind::Header, -1);
            return true;
        }
        if (text == "--") {
            push(Kind::Header, -1);
            complete_header();
            return true;
        }
        return false;
    case Pend::TrailerNamed:
        if (text == "--") {
            push(Kind::Header, -1);
            start_trailer();
            return true;
        }
        return false;
    case Pend::None:
        break;
    }
    return false;
}

void SchemaSplitter::flush_pending() {
    for (const auto& p : pending_) {
        emit(p.text);
        prev_blank_ = strip_newline(p.text).empty();
    }
    pending_.clear();
    pending_bytes_ = 0;
    pend_ = Pend::None;
}

void SchemaSplitter::start_outputs() {
    for (Sink* s : sinks_) s->write(preamble_);
    preamble_.clear();
    preamble_.shrink_to_fit();
    phase_ = Phase::Body;
}

Section SchemaSplitter::section_for(const SplitEntry& e) {
    Section s = *toc_type_section(e.type);
    if (s != Section::None) return last_section_ = s;
    if (e.type == "ACL" || e.type == "ACL LANGUAGE") return Section::PreData;
    if ((e.type == "COMMENT" || e.type == "SECURITY LABEL") && starts_with(e.name, "EVENT TRIGGER "))
        return Section::PostData;
    return last_section_;
}

void SchemaSplitter::sync_state(size_t sink, const std::array<bool, kStateKeys>& in_gap) {
    auto& st = sink_state_[sink];
    for (int k = 0; k < kStateKeys; ++k) {
        // A SET right before this entry in the dump is kept as it is (pg_dump
        // repeats them after ACLs); others only when this output lacks the value.
        if (!dump_state_[k].empty() && (in_gap[k] || st[k] != dump_state_[k])) {
            sinks_[sink]->write(dump_state_[k]);
            st[k] = dump_state_[k];
        }
    }
}

void SchemaSplitter::complete_header() {
    // The SET lines before the header change the session state; the rest is
    // the header block itself.
    size_t i = 0;
    int key = -1;
    std::array<bool, kStateKeys> in_gap{};
    for (; i < pending_.size() && pending_[i].kind != Kind::Header; ++i) {
        if (pending_[i].kind == Kind::Set) {
            key = pending_[i].key;
            in_gap[key] = true;
            dump_state_[key] = pending_[i].text;
        } else if (key >= 0) {
            dump_state_[key] += pending_[i].text;
        }
    }
    if (phase_ == Phase::Preamble) start_outputs();
    SplitEntry e = std::move(pending_entry_);
    e.offset = header_offset_;
    e.section = section_for(e);
    cur_type_ = e.type;
    in_copy_ = false;
    dest_ = -1;
    Sink* s = section_sink_[static_cast<int>(e.section) - 1];
    for (size_t k = 0; k < sinks_.size(); ++k)
        if (sinks_[k] == s) dest_ = static_cast<int>(k);
    ++entries_;
    if (on_entry_) on_entry_(e);
    if (dest_ >= 0) {
        sync_state(static_cast<size_t>(dest_), in_gap);
        for (size_t j = i; j < pending_.size(); ++j) sinks_[dest_]->write(pending_[j].text);
        // An ACL entry's body may switch the session user (SET/RESET SESSION
        // AUTHORIZATION around GRANTs of other grantors): the user is unknown after it,
        // as in pg_backup_archiver.c (_printTocEntry).
        if (e.type == "ACL" || e.type == "ACL LANGUAGE" || e.type == "DEFAULT ACL")
            sink_state_[dest_][0] = "\x01unknown";
    }
    pending_.clear();
    pending_bytes_ = 0;
    pend_ = Pend::None;
    prev_blank_ = false;
}

void SchemaSplitter::start_trailer() {
    // SET lines right before the trailer stay with the last entry.
    size_t i = 0;
    for (; i < pending_.size() && pending_[i].kind != Kind::Header; ++i) emit(pending_[i].text);
    if (phase_ == Phase::Preamble) start_outputs();
    for (size_t j = i; j < pending_.size(); ++j) trailer_ += pending_[j].text;
    pending_.clear();
    pending_bytes_ = 0;
    pend_ = Pend::None;
    phase_ = Phase::Trailer;
}

void SchemaSplitter::finish() {
    if (!line_.empty()) {
        std::string l;
        l.swap(line_);
        on_line(l);
    }
    long_line_ = false;
    if (pend_ != Pend::None) flush_pending();
    auto flush_all = [&] {
        for (Sink* s : sinks_) s->flush();
    };
    if (phase_ == Phase::Preamble) {
        if (offset_ == 0) throw Error("input is empty: expected a plain-format dump");
        throw Error("input is not a plain-format dump: no TOC entry header found");
    }
    if (phase_ == Phase::Body) {
        flush_all();
        if (in_copy_)
            throw Error("input ends inside the COPY data of a TABLE DATA entry (truncated dump?)");
        throw Error("input ends before pg_dump's \"dump complete\" comment (truncated dump?)");
    }
    for (Sink* s : sinks_) s->write(trailer_);
    flush_all();
}

}  // namespace fdwcopy

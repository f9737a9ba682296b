// schema-split's logic: a streaming splitter of plain-format SQL dumps
// (pg_dump -Fp, pg_restore -f -) into their pre-data, data and post-data
// sections, by the TOC entry headers pg_dump writes before every entry:
//   --
//   -- Name: NAME; Type: TYPE; Schema: SCHEMA; Owner: OWNER[; Tablespace: TS]
//   --
// ("-- Data for Name: ..." for TABLE DATA and BLOBS). Follows _printTocEntry
// and RestoreArchive in pg_backup_archiver.c of PostgreSQL 15.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "toc.h"

namespace fdwcopy {

// Where split output goes.
class Sink {
public:
    virtual ~Sink() = default;
    virtual void write(std::string_view data) = 0;
    virtual void flush() {}
};

// Collects output in memory (tests).
class StringSink : public Sink {
public:
    std::string data;
    void write(std::string_view d) override { data.append(d); }
};

// Buffered (64 KiB) writes to a file descriptor, or to a file that is created
// (truncated, mode 0666 & ~umask) on the first write. Throws Error
// "could not write to NAME: ..." / "could not open file \"PATH\": ...".
class FdSink : public Sink {
public:
    FdSink(int fd, std::string name);  // fd stays open
    explicit FdSink(std::string path);   // opened lazily, closed by the destructor
    ~FdSink() override;
    FdSink(const FdSink&) = delete;
    FdSink& operator=(const FdSink&) = delete;
    void write(std::string_view data) override;
    void flush() override;

private:
    int fd_ = -1;
    bool owned_ = false;
    std::string name_, path_, buf_;
};

// One TOC entry header of a plain dump.
struct SplitEntry {
    Section section = Section::PreData;  // the section pg_dump assigns it (see SchemaSplitter)
    std::string type, schema, name, owner, tablespace;  // as printed ("-" when none)
    bool data_for = false;  // "-- Data for Name:"
    uint64_t offset = 0;    // byte offset of the header's first "--" line in the input
};

// Parses a header line without its newline ("-- Name: ..."); nullopt when it is
// not one. Throws Error when the line has the header's shape but an entry type
// that is not in toc_types().
std::optional<SplitEntry> parse_entry_header(std::string_view line);

// Splits a plain dump fed in chunks of any size, holding at most a few lines
// (each at most kMaxLine bytes; longer lines, such as big COPY rows, stream
// through) and the preamble in memory.
//
// Output for each section: the dump's preamble (everything before the first
// entry: SET lines, \restrict, search_path), the section's entries in input
// order, then the trailer ("dump complete" comment, \unrestrict). The SET
// default_tablespace / default_table_access_method / SESSION AUTHORIZATION /
// search_path lines that pg_dump writes between entries when the value changes
// (and again after ACL entries) are tracked: an output gets the ones right
// before its entry, and the current values it has not seen yet; so each output
// runs alone, and one output taking every section reproduces the input byte
// for byte.
//
// Sections, as pg_dump --section assigns them: by type (toc_types());
// ACL entries (all pg_dump 15 objects with privileges are pre-data) pre-data;
// COMMENT and SECURITY LABEL on an EVENT TRIGGER post-data; other COMMENT,
// SECURITY LABEL and DEFAULT ACL entries the section of the last entry before
// them that has one.
//
// Lines of COPY data (between "COPY ... FROM stdin;" of a TABLE DATA entry and
// "\.") are never taken for headers. Text in a function body that looks exactly
// like a header block (blank line, "--", header line, "--") would be.
class SchemaSplitter {
public:
    static constexpr size_t kMaxLine = 1 << 20;      // bytes: longer lines are not classified
    static constexpr size_t kMaxPreamble = 1 << 20;  // bytes before the first header

    // sinks: outputs for pre-data, data and post-data; nullptr drops a section.
    // Sections sharing one sink are written to it in input order.
    // on_entry: called for every entry header, in input order.
    explicit SchemaSplitter(std::array<Sink*, 3> sinks,
                            std::function<void(const SplitEntry&)> on_entry = {});

    void feed(std::string_view data);
    // End of input: writes the trailer, flushes the sinks. Throws Error for an
    // empty input, a pg_dump archive, input without any TOC entry header, or
    // input that ends before pg_dump's "dump complete" comment (truncated).
    void finish();

    uint64_t entries() const { return entries_; }

private:
    enum class Phase { Preamble, Body, Trailer };
    enum class Pend { None, Gap, Open, Named, TrailerNamed };
    enum class Kind { Set, Blank, Header };
    struct PendLine {
        std::string text;
        Kind kind;
        int key;
    };
    static constexpr int kStateKeys = 4;

    void on_line(std::string_view line);
    bool pending_accept(std::string_view line, std::string_view text);
    void flush_pending();
    void complete_header();
    void start_trailer();
    void start_outputs();
    void emit(std::string_view data);
    void sync_state(size_t sink, const std::array<bool, 4>& in_gap);
    void begin_long_line(std::string_view first);
    void check_not_archive(std::string_view first);
    Section section_for(const SplitEntry& e);

    std::array<Sink*, 3> section_sink_;
    std::vector<Sink*> sinks_;  // distinct, non-null
    std::vector<std::array<std::string, kStateKeys>> sink_state_;
    std::function<void(const SplitEntry&)> on_entry_;

    Phase phase_ = Phase::Preamble;
    std::string preamble_, trailer_, line_;
    bool long_line_ = false;
    uint64_t offset_ = 0, line_start_ = 0, header_offset_ = 0, entries_ = 0;

    Pend pend_ = Pend::None;
    std::vector<PendLine> pending_;
    size_t pending_bytes_ = 0;
    SplitEntry pending_entry_;

    int dest_ = -1;  // index into sinks_ of the current entry's output, -1 = dropped
    bool in_copy_ = false, prev_blank_ = true;
    std::string cur_type_;
    Section last_section_ = Section::PreData;
    std::array<std::string, kStateKeys> dump_state_;
};

}  // namespace fdwcopy

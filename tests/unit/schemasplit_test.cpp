// Unit tests for lib/schemasplit: headers, sections, session state, streaming
// and malformed input.
#include <gtest/gtest.h>

#include "log.h"
#include "schemasplit.h"

using namespace fdwcopy;

namespace {

const std::string kPreamble =
    "--\n-- PostgreSQL database dump\n--\n\n\\restrict KEY\n\n"
    "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\n";
const std::string kTrailer = "--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict KEY\n\n";

std::string header(const std::string& name, const std::string& type, const std::string& schema,
                   bool data = false) {
    return "--\n-- " + std::string(data ? "Data for " : "") + "Name: " + name + "; Type: " + type +
           "; Schema: " + schema + "; Owner: postgres\n--\n\n";
}

// A plain dump in pg_dump's shape: session SETs between entries, COPY data with
// rows that look like headers, ACLs and a DEFAULT ACL in the ACL pass at the end.
const std::string kBody =
    header("s", "SCHEMA", "-") + "CREATE SCHEMA s;\n\n\n" +
    header("f()", "FUNCTION", "s") +
    "CREATE FUNCTION s.f() RETURNS int\n    AS $$\nSELECT 1\n$$;\n\n\n" +
    "SET default_tablespace = ts1;\n\nSET default_table_access_method = heap;\n\n" +
    header("t", "TABLE", "s") + "CREATE TABLE s.t (a text);\n\n\n" +
    header("TABLE t", "COMMENT", "s") + "COMMENT ON TABLE s.t IS 'x';\n\n\n" +
    header("t", "TABLE DATA", "s", true) +
    "COPY s.t (a) FROM stdin;\n--\n\n--\n-- Name: fake; Type: TABLE; Schema: s; Owner: x\n--\n\\.\n\n\n" +
    header("t t_pkey", "CONSTRAINT", "s") + "ALTER TABLE ONLY s.t ADD CONSTRAINT t_pkey PRIMARY KEY (a);\n\n\n" +
    header("INDEX t_pkey", "COMMENT", "s") + "COMMENT ON INDEX s.t_pkey IS 'y';\n\n\n" +
    header("TABLE t", "ACL", "s") + "GRANT SELECT ON TABLE s.t TO PUBLIC;\n\n\n" +
    header("DEFAULT PRIVILEGES FOR TABLES", "DEFAULT ACL", "s") +
    "ALTER DEFAULT PRIVILEGES IN SCHEMA s GRANT SELECT ON TABLES TO PUBLIC;\n\n\n";
const std::string kDump = kPreamble + kBody + kTrailer;

struct Split {
    StringSink pre, data, post;
    std::vector<SplitEntry> entries;
};

void run(Split& s, const std::string& input, std::array<Sink*, 3> sinks, size_t chunk = 0) {
    SchemaSplitter sp(sinks, [&](const SplitEntry& e) { s.entries.push_back(e); });
    if (chunk == 0) {
        sp.feed(input);
    } else {
        for (size_t i = 0; i < input.size(); i += chunk) sp.feed(std::string_view(input).substr(i, chunk));
    }
    sp.finish();
}

std::string error_of(const std::string& input) {
    StringSink out;
    try {
        SchemaSplitter sp({&out, &out, &out});
        sp.feed(input);
        sp.finish();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(SchemaSplit, ParsesHeaders) {
    auto e = parse_entry_header("-- Name: items; Type: TABLE; Schema: public; Owner: postgres");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->name, "items");
    EXPECT_EQ(e->type, "TABLE");
    EXPECT_EQ(e->schema, "public");
    EXPECT_EQ(e->owner, "postgres");
    EXPECT_FALSE(e->data_for);
    auto d = parse_entry_header("-- Data for Name: My T; Type: TABLE DATA; Schema: Other S; Owner: -");
    ASSERT_TRUE(d);
    EXPECT_TRUE(d->data_for);
    EXPECT_EQ(d->name, "My T");
    EXPECT_EQ(d->schema, "Other S");
    EXPECT_EQ(d->owner, "-");
    auto t = parse_entry_header("-- Name: t_idx; Type: INDEX; Schema: s; Owner: o; Tablespace: ts1");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->owner, "o");
    EXPECT_EQ(t->tablespace, "ts1");
    auto odd = parse_entry_header("-- Name: a; Type: b; Type: TABLE; Schema: s; Owner: o");
    ASSERT_TRUE(odd);
    EXPECT_EQ(odd->name, "a; Type: b");
    EXPECT_EQ(odd->type, "TABLE");
    EXPECT_FALSE(parse_entry_header("-- Name: t; Type: TABLE; Schema: public"));
    EXPECT_FALSE(parse_entry_header("-- PostgreSQL database dump"));
    EXPECT_FALSE(parse_entry_header("--Name: t; Type: TABLE; Schema: s; Owner: o"));
    EXPECT_THROW(parse_entry_header("-- Name: t; Type: WIDGET; Schema: s; Owner: o"), Error);
}

TEST(SchemaSplit, OneOutputForAllSectionsIsTheInput) {
    for (size_t chunk : {0, 1, 7, 4096}) {
        Split s;
        run(s, kDump, {&s.pre, &s.pre, &s.pre}, chunk);
        EXPECT_EQ(s.pre.data, kDump) << "chunk " << chunk;
        EXPECT_EQ(s.entries.size(), 9u);
    }
}

TEST(SchemaSplit, SectionsAndOffsets) {
    Split s;
    run(s, kDump, {&s.pre, &s.data, &s.post});
    std::vector<std::string> got;
    for (const auto& e : s.entries) got.push_back(std::string(section_name(e.section)) + " " + e.type);
    EXPECT_EQ(got, (std::vector<std::string>{"pre-data SCHEMA", "pre-data FUNCTION", "pre-data TABLE",
                                             "pre-data COMMENT", "data TABLE DATA", "post-data CONSTRAINT",
                                             "post-data COMMENT", "pre-data ACL", "post-data DEFAULT ACL"}));
    for (const auto& e : s.entries) EXPECT_EQ(kDump.compare(e.offset, 11, "--\n-- Name:") == 0 ||
                                              kDump.compare(e.offset, 20, "--\n-- Data for Name:") == 0, true);
    EXPECT_EQ(s.entries[0].offset, kPreamble.size());
}

TEST(SchemaSplit, EachOutputRunsAlone) {
    Split s;
    run(s, kDump, {&s.pre, &s.data, &s.post});
    for (const std::string* out : {&s.pre.data, &s.data.data, &s.post.data}) {
        EXPECT_EQ(out->compare(0, kPreamble.size(), kPreamble), 0);
        EXPECT_EQ(out->substr(out->size() - kTrailer.size()), kTrailer);
    }
    // The tablespace set before the table in pre-data is repeated before the
    // data and post-data entries, which come after it in the dump.
    const std::string sets = "SET default_tablespace = ts1;\n\nSET default_table_access_method = heap;\n\n";
    EXPECT_EQ(s.data.data, kPreamble + sets + header("t", "TABLE DATA", "s", true) +
                               "COPY s.t (a) FROM stdin;\n--\n\n--\n-- Name: fake; Type: TABLE; Schema: s; "
                               "Owner: x\n--\n\\.\n\n\n" + kTrailer);
    EXPECT_NE(s.post.data.find(sets + header("t t_pkey", "CONSTRAINT", "s")), std::string::npos);
    EXPECT_NE(s.post.data.find("ALTER DEFAULT PRIVILEGES"), std::string::npos);
    EXPECT_NE(s.pre.data.find("GRANT SELECT ON TABLE s.t"), std::string::npos);
    EXPECT_EQ(s.pre.data.find("COPY"), std::string::npos);
    // Dropped sections.
    Split only;
    run(only, kDump, {nullptr, nullptr, &only.post});
    EXPECT_EQ(only.post.data, s.post.data);
}

TEST(SchemaSplit, LongLinesStreamThrough) {
    std::string row(3 * SchemaSplitter::kMaxLine, 'x');
    std::string dump = kPreamble + header("t", "TABLE DATA", "s", true) + "COPY s.t (a) FROM stdin;\n" +
                       row + "\n\\.\n\n\n" + header("t t_pkey", "CONSTRAINT", "s") + "ALTER TABLE x;\n\n\n" +
                       kTrailer;
    for (size_t chunk : {0, 65536}) {
        Split s;
        run(s, dump, {&s.pre, &s.data, &s.post}, chunk);
        EXPECT_NE(s.data.data.find(row + "\n\\.\n"), std::string::npos);
        EXPECT_EQ(s.entries.size(), 2u);
        EXPECT_EQ(s.post.data.find('x' + std::string(100, 'x')), std::string::npos);
    }
}

TEST(SchemaSplit, MalformedInput) {
    EXPECT_EQ(error_of(""), "input is empty: expected a plain-format dump");
    EXPECT_EQ(error_of("hello\nworld\n"), "input is not a plain-format dump: no TOC entry header found");
    EXPECT_EQ(error_of("PGDMP\x01\x0e\x00garbage"), "input is a pg_dump archive, not a plain-format dump");
    std::string garbage(3 * SchemaSplitter::kMaxLine, '\x01');
    EXPECT_EQ(error_of(garbage).rfind("input is not a plain-format dump: no TOC entry header in its first", 0), 0u);
    std::string lines;
    while (lines.size() <= SchemaSplitter::kMaxPreamble) lines += "random text line\n";
    EXPECT_EQ(error_of(lines).rfind("input is not a plain-format dump: no TOC entry header in its first", 0), 0u);
    // Truncated: no trailer, in the middle of a header, inside COPY data.
    EXPECT_EQ(error_of(kPreamble + kBody), "input ends before pg_dump's \"dump complete\" comment (truncated dump?)");
    EXPECT_EQ(error_of(kPreamble + header("t", "TABLE", "s") + "CREATE TABLE t();\n\n\n--\n-- Name: u; Type: TAB"),
              "input ends before pg_dump's \"dump complete\" comment (truncated dump?)");
    EXPECT_EQ(error_of(kPreamble + "--\n-- Name: u; Type: TAB"),
              "input is not a plain-format dump: no TOC entry header found");
    EXPECT_EQ(error_of(kPreamble + header("t", "TABLE DATA", "s", true) + "COPY s.t (a) FROM stdin;\nrow\n"),
              "input ends inside the COPY data of a TABLE DATA entry (truncated dump?)");
    EXPECT_EQ(error_of(kDump + kPreamble + kBody + kTrailer).rfind("a second dump follows", 0), 0u);
    EXPECT_EQ(error_of(kPreamble + header("t", "WIDGET", "s") + kTrailer).rfind("unknown TOC entry type \"WIDGET\"", 0), 0u);
}

TEST(SchemaSplit, EmptyDatabaseDumpGivesPreambleAndTrailer) {
    Split s;
    run(s, kPreamble + kTrailer, {&s.pre, &s.data, &s.post});
    EXPECT_EQ(s.entries.size(), 0u);
    EXPECT_EQ(s.data.data, kPreamble + kTrailer);
}

TEST(SchemaSplit, SessionUserIsUnknownAfterAnAcl) {
    const std::string alice = "SET SESSION AUTHORIZATION 'alice';\n\n";
    const std::string dump =
        kPreamble + alice + header("t", "TABLE", "s") + "CREATE TABLE s.t ();\n\n\n" +
        header("TABLE t", "ACL", "s") +
        "SET SESSION AUTHORIZATION bob;\nGRANT SELECT ON TABLE s.t TO carol;\nRESET SESSION AUTHORIZATION;\n\n\n" +
        alice + header("t t_pkey", "CONSTRAINT", "s") + "ALTER TABLE s.t ADD PRIMARY KEY ();\n\n\n" +
        header("TABLE u", "ACL", "s") + "GRANT SELECT ON TABLE s.u TO carol;\n\n\n" + kTrailer;
    Split one;
    run(one, dump, {&one.pre, &one.pre, &one.pre});
    EXPECT_EQ(one.pre.data, dump);
    Split s;
    run(s, dump, {&s.pre, &s.data, &s.post});
    auto count = [&](const std::string& text) {
        size_t n = 0;
        for (size_t p = text.find(alice); p != std::string::npos; p = text.find(alice, p + 1)) ++n;
        return n;
    };
    EXPECT_EQ(count(s.pre.data), 2u);  // again before the second ACL
    EXPECT_EQ(count(s.post.data), 1u);
    EXPECT_EQ(count(s.data.data), 0u);
    EXPECT_NE(s.pre.data.find(alice + header("TABLE u", "ACL", "s")), std::string::npos);
}

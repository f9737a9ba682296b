// Unit tests for lib/toc: pg_restore -l lines, entry types and sections.
#include <gtest/gtest.h>

#include <sstream>

#include "toc.h"

using namespace fdwcopy;

TEST(Toc, ParsesMultiWordTypes) {
    auto e = parse_toc_line("3248; 2606 16439 FK CONSTRAINT public orders orders_item_id_fkey postgres");
    ASSERT_TRUE(e);
    EXPECT_FALSE(e->commented);
    EXPECT_EQ(e->dump_id, 3248);
    EXPECT_EQ(e->catalog_oid, 2606u);
    EXPECT_EQ(e->oid, 16439u);
    EXPECT_EQ(e->type, "FK CONSTRAINT");
    EXPECT_EQ(e->schema, "public");
    EXPECT_EQ(e->name, "orders orders_item_id_fkey");
    EXPECT_EQ(e->owner, "postgres");

    auto d = parse_toc_line("3395; 0 16420 TABLE DATA public items postgres");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->type, "TABLE DATA");
    EXPECT_EQ(d->name, "items");
    auto t = parse_toc_line("221; 1259 16420 TABLE public items postgres");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->type, "TABLE");
    auto p = parse_toc_line("3446; 6237 17103 PUBLICATION TABLES IN SCHEMA s pub s postgres");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->type, "PUBLICATION TABLES IN SCHEMA");
    EXPECT_EQ(p->name, "pub s");
}

TEST(Toc, NoSchemaEmptyOwnerAndSpacesInName) {
    auto um = parse_toc_line("3406; 0 0 USER MAPPING - USER MAPPING postgres SERVER archive_server postgres");
    ASSERT_TRUE(um);
    EXPECT_EQ(um->type, "USER MAPPING");
    EXPECT_EQ(um->schema, "-");
    EXPECT_EQ(um->name, "USER MAPPING postgres SERVER archive_server");
    EXPECT_EQ(um->owner, "postgres");
    auto ext = parse_toc_line("2; 3079 16386 EXTENSION - postgres_fdw ");
    ASSERT_TRUE(ext);
    EXPECT_EQ(ext->name, "postgres_fdw");
    EXPECT_EQ(ext->owner, "");
    auto cast = parse_toc_line("3276; 2605 17044 CAST - CAST (app.pair AS text) ");
    ASSERT_TRUE(cast);
    EXPECT_EQ(cast->name, "CAST (app.pair AS text)");
}

TEST(Toc, KnownSchemasWithSpaces) {
    std::string line = "221; 1259 17069 TABLE Other Schema My Table postgres";
    auto naive = parse_toc_line(line);
    ASSERT_TRUE(naive);
    EXPECT_EQ(naive->schema, "Other");
    std::set<std::string> schemas{"Other Schema", "Other"};
    auto e = parse_toc_line(line, &schemas);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->schema, "Other Schema");
    EXPECT_EQ(e->name, "My Table");
    EXPECT_EQ(format_toc_line(*e), line);
}

TEST(Toc, CommentedEntriesAndRoundTrip) {
    auto e = parse_toc_line(";3240; 1259 16418 INDEX public measurements_2024_ts_idx postgres");
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->commented);
    EXPECT_EQ(e->type, "INDEX");
    EXPECT_EQ(format_toc_line(*e), ";3240; 1259 16418 INDEX public measurements_2024_ts_idx postgres");
    e->commented = false;
    EXPECT_EQ(format_toc_line(*e), "3240; 1259 16418 INDEX public measurements_2024_ts_idx postgres");
}

TEST(Toc, RejectsWhatIsNotAnEntry) {
    for (const char* bad : {"", ";", "; Archive created at 2026-01-01 00:00:00 UTC",
                            ";     dbname: fdwsrc", "garbage", "12; 0 0", "12; 0 0 TABLE",
                            "12; 0 0 NOSUCHTYPE public t postgres", "012; 0 0 TABLE public t postgres",
                            "12; 00 0 TABLE public t postgres", "0; 0 0 TABLE public t postgres",
                            "12;  0 0 TABLE public t postgres", " 12; 0 0 TABLE public t postgres",
                            "12; 0 4294967296 TABLE public t postgres", "12; 0 0 TABLE public  postgres",
                            "12; 0 0 TABLE public"}) {
        EXPECT_FALSE(parse_toc_line(bad)) << bad;
    }
    EXPECT_TRUE(parse_toc_line("12; 0 4294967295 TABLE public t postgres"));
}

TEST(Toc, ListRoundTripsByteForByte) {
    const std::string inputs[] = {
        ";\n; Archive created at x\n;\n2; 3079 16386 EXTENSION - postgres_fdw \n\ngarbage line\n"
        "221; 1259 16420 TABLE public items postgres\n",
        "221; 1259 16420 TABLE public items postgres",  // no final newline
        "221; 1259 16420 TABLE public items postgres\r\n;x\r\n",
        "",
        "\n\n",
    };
    for (const auto& in : inputs) {
        std::istringstream s(in);
        TocList l = read_toc_list(s);
        EXPECT_EQ(write_toc_list(l), in);
    }
    std::istringstream s(";c\n221; 1259 16420 TABLE public items postgres\nzzz\n \n");
    TocList l = read_toc_list(s);
    ASSERT_EQ(l.lines.size(), 4u);
    EXPECT_FALSE(l.lines[0].entry);
    EXPECT_FALSE(l.lines[0].unparsable);
    EXPECT_TRUE(l.lines[1].entry);
    EXPECT_TRUE(l.lines[2].unparsable);
    EXPECT_FALSE(l.lines[3].unparsable);
    l.lines[1].entry->commented = true;
    EXPECT_EQ(write_toc_list(l), ";c\n;221; 1259 16420 TABLE public items postgres\nzzz\n \n");
}

TEST(Toc, ListUsesSchemaEntriesForNames) {
    std::istringstream s("7; 2615 16993 SCHEMA - Other Schema postgres\n"
                         "221; 1259 17069 TABLE Other Schema My Table postgres\n");
    TocList l = read_toc_list(s);
    ASSERT_TRUE(l.lines[1].entry);
    EXPECT_EQ(l.lines[1].entry->schema, "Other Schema");
    EXPECT_EQ(l.lines[1].entry->name, "My Table");
}

TEST(Toc, Sections) {
    EXPECT_EQ(toc_type_section("TABLE"), Section::PreData);
    EXPECT_EQ(toc_type_section("TABLE ATTACH"), Section::PreData);
    EXPECT_EQ(toc_type_section("SEQUENCE SET"), Section::Data);
    EXPECT_EQ(toc_type_section("BLOBS"), Section::Data);
    EXPECT_EQ(toc_type_section("MATERIALIZED VIEW DATA"), Section::PostData);
    EXPECT_EQ(toc_type_section("CHECK CONSTRAINT"), Section::PostData);
    EXPECT_EQ(toc_type_section("ACL"), Section::None);
    EXPECT_EQ(toc_type_section("DEFAULT ACL"), Section::None);
    EXPECT_FALSE(toc_type_section("TABLES"));
    EXPECT_EQ(parse_section_name("post-data"), Section::PostData);
    EXPECT_FALSE(parse_section_name("none"));
    EXPECT_STREQ(section_name(Section::Data), "data");

    SectionTracker t;
    EXPECT_EQ(t.next("COMMENT"), Section::PreData);  // before any entry: pre-data
    EXPECT_EQ(t.next("INDEX"), Section::PostData);
    EXPECT_EQ(t.next("COMMENT"), Section::PostData);
    EXPECT_EQ(t.next("TABLE DATA"), Section::Data);
    EXPECT_EQ(t.next("ACL"), Section::Data);
}

TEST(Toc, MatchTypeTakesTheLongest) {
    std::string s = "TABLE DATA public t x";
    EXPECT_EQ(match_toc_type(s, 0, " "), 10u);
    EXPECT_EQ(match_toc_type("TABLE public", 0, " "), 5u);
    EXPECT_EQ(match_toc_type("TABLEX public", 0, " "), 0u);
    EXPECT_EQ(match_toc_type("x; Type: TABLE; Schema", 9, "; "), 5u);
}

TEST(Toc, UnquoteIdentifier) {
    size_t end = 0;
    EXPECT_EQ(unquote_identifier("public"), "public");
    EXPECT_EQ(unquote_identifier("\"My \"\"S\"\"\".t", &end), "My \"S\"");
    EXPECT_EQ(end, 10u);
    EXPECT_EQ(unquote_identifier("t.c", &end), "t");
    EXPECT_EQ(end, 1u);
}

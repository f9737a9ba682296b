// Unit tests for lib/postlist: which entries of a list get commented out.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "log.h"
#include "pattern.h"
#include "postlist.h"

using namespace fdwcopy;

namespace {

// A list shaped like pg_restore -l of the FDW test database plus a second
// schema, a table with a space in its name and comments/ACLs.
const char* kList =
    ";\n"
    "; Selected TOC Entries:\n"
    ";\n"
    "5; 2615 2200 SCHEMA - public postgres\n"
    "6; 2615 16500 SCHEMA - other postgres\n"
    "3720; 0 0 ACL - SCHEMA other postgres\n"
    "2; 3079 16386 EXTENSION - postgres_fdw \n"
    "3405; 0 0 COMMENT - EXTENSION postgres_fdw \n"
    "2069; 1417 16393 SERVER - archive_server postgres\n"
    "3406; 0 0 USER MAPPING - USER MAPPING postgres SERVER archive_server postgres\n"
    "221; 1259 16420 TABLE public items postgres\n"
    "3500; 0 0 COMMENT public TABLE items postgres\n"
    "3501; 0 0 ACL public TABLE items postgres\n"
    "220; 1259 16419 SEQUENCE public items_id_seq postgres\n"
    "3410; 0 0 SEQUENCE OWNED BY public items_id_seq postgres\n"
    "223; 1259 16431 TABLE public orders postgres\n"
    "230; 1259 16600 TABLE other my table postgres\n"
    "219; 1259 16415 FOREIGN TABLE other old postgres\n"
    "3236; 2604 16423 DEFAULT public items id postgres\n"
    "3395; 0 16420 TABLE DATA public items postgres\n"
    "3397; 0 16431 TABLE DATA public orders postgres\n"
    "3398; 0 16600 TABLE DATA other my table postgres\n"
    "3413; 0 0 SEQUENCE SET public items_id_seq postgres\n"
    "875; 2606 17027 CHECK CONSTRAINT public items items_chk postgres\n"
    "3244; 2606 16427 CONSTRAINT public items items_pkey postgres\n"
    "3247; 2606 16438 CONSTRAINT public orders orders_pkey postgres\n"
    "3250; 2606 16601 CONSTRAINT other my table my table_pkey postgres\n"
    "3245; 1259 16444 INDEX public orders_created_idx postgres\n"
    "3502; 0 0 COMMENT public INDEX orders_created_idx postgres\n"
    "3249; 2620 16447 TRIGGER public orders orders_touch postgres\n"
    "3248; 2606 16439 FK CONSTRAINT public orders orders_item_id_fkey postgres\n"
    "2111; 826 17105 DEFAULT ACL public DEFAULT PRIVILEGES FOR TABLES postgres\n";

TocList load(const char* text = kList) {
    std::istringstream s(text);
    return read_toc_list(s);
}

// Dump ids of the entries left active.
std::vector<int> active(const TocList& l) {
    std::vector<int> ids;
    for (const auto& line : l.lines)
        if (line.entry && !line.entry->commented) ids.push_back(line.entry->dump_id);
    return ids;
}

std::vector<int> commented(const TocList& l) {
    std::vector<int> ids;
    for (const auto& line : l.lines)
        if (line.entry && line.entry->commented) ids.push_back(line.entry->dump_id);
    return ids;
}

}  // namespace

TEST(Postlist, NoFilterChangesNothing) {
    TocList l = load();
    PostlistStats st = postlist_filter(l, {});
    EXPECT_EQ(st.commented, 0u);
    EXPECT_EQ(st.entries, 29u);
    EXPECT_EQ(write_toc_list(l), kList);
}

TEST(Postlist, SectionsFollowPgDump) {
    TocList l = load();
    PostlistOptions o;
    o.sections = {Section::PostData};
    postlist_filter(l, o);
    // Comment on the index and the DEFAULT ACL (after post-data) are post-data.
    EXPECT_EQ(active(l), (std::vector<int>{875, 3244, 3247, 3250, 3245, 3502, 3249, 3248, 2111}));
    TocList d = load();
    o.sections = {Section::Data};
    postlist_filter(d, o);
    EXPECT_EQ(active(d), (std::vector<int>{3395, 3397, 3398, 3413}));
}

TEST(Postlist, DoneCommentsOnlyTheEntry) {
    TocList l = load();
    PostlistOptions o;
    o.sections = {Section::PostData};
    o.done = {{1259, 16444}, {2606, 16427}, {2606, 99999}};
    postlist_filter(l, o);
    EXPECT_EQ(active(l), (std::vector<int>{875, 3247, 3250, 3502, 3249, 3248, 2111}));
}

TEST(Postlist, ExcludeTypeTakesCommentsAlong) {
    TocList l = load();
    PostlistOptions o;
    o.exclude_types = {"INDEX", "FK CONSTRAINT"};
    postlist_filter(l, o);
    EXPECT_EQ(commented(l), (std::vector<int>{3245, 3502, 3248}));
}

TEST(Postlist, SchemaFiltersKeepEntriesWithoutSchema) {
    TocList l = load();
    PostlistOptions o;
    o.include_schemas = {schema_pattern_to_regex("other")};
    postlist_filter(l, o);
    EXPECT_EQ(active(l), (std::vector<int>{6, 3720, 2, 3405, 2069, 3406, 230, 219, 3398, 3250}));

    TocList x = load();
    PostlistOptions e;
    e.exclude_schemas = {schema_pattern_to_regex("oth*")};
    postlist_filter(x, e);
    EXPECT_EQ(commented(x), (std::vector<int>{6, 3720, 230, 219, 3398, 3250}));
}

TEST(Postlist, ExcludeTableTakesDependentsByTag) {
    TocList l = load();
    PostlistOptions o;
    o.exclude_tables = {parse_table_pattern("items")};
    postlist_filter(l, o);
    // The index is not tied to its table; the FK of orders names orders.
    EXPECT_EQ(commented(l), (std::vector<int>{221, 3500, 3501, 3236, 3395, 875, 3244}));

    TocList s = load();
    o.exclude_tables = {parse_table_pattern("other.\"my table\"")};
    postlist_filter(s, o);
    EXPECT_EQ(commented(s), (std::vector<int>{230, 3398, 3250}));

    TocList q = load();
    o.exclude_tables = {parse_table_pattern("public.items*")};
    postlist_filter(q, o);
    EXPECT_EQ(commented(q), (std::vector<int>{221, 3500, 3501, 220, 3410, 3236, 3395, 3413, 875, 3244}));
}

TEST(Postlist, CommentedInputStaysAndUnparsableCounts) {
    TocList l = load(";3245; 1259 16444 INDEX public orders_created_idx postgres\n"
                     "3502; 0 0 COMMENT public INDEX orders_created_idx postgres\n"
                     "junk here\n");
    PostlistOptions o;
    o.exclude_types = {"INDEX"};
    PostlistStats st = postlist_filter(l, o);
    EXPECT_EQ(st.entries, 1u);
    EXPECT_EQ(st.commented, 1u);
    EXPECT_EQ(st.unparsable, 1u);
    EXPECT_EQ(write_toc_list(l), ";3245; 1259 16444 INDEX public orders_created_idx postgres\n"
                                 ";3502; 0 0 COMMENT public INDEX orders_created_idx postgres\n"
                                 "junk here\n");
}

TEST(Postlist, ReadDoneFile) {
    std::string path = ::testing::TempDir() + "postlist_done.tsv";
    {
        std::ofstream f(path);
        f << "# comment\n\n1259\t16444\tINDEX\tpublic\torders_created_idx\n"
             "2606\t16427\tCONSTRAINT\tpublic\titems_pkey\n";
    }
    std::set<std::pair<uint32_t, uint32_t>> done;
    read_done_file(path, done);
    EXPECT_EQ(done, (std::set<std::pair<uint32_t, uint32_t>>{{1259, 16444}, {2606, 16427}}));
    {
        std::ofstream f(path);
        f << "1259\t16444\tINDEX\tpublic\tx\n1259\tabc\tINDEX\tpublic\ty\n";
    }
    try {
        read_done_file(path, done);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(path + ":2: ", 0), 0u) << e.what();
    }
    EXPECT_THROW(read_done_file(path + ".missing", done), Error);
}

TEST(Postlist, OnlyKeepsTheListedObjectsWithTheirComments) {
    TocList l = load();
    PostlistOptions o;
    o.only_given = true;
    o.only = {{1259, 16420}, {1259, 16444}};  // TABLE items, INDEX orders_created_idx
    postlist_filter(l, o);
    EXPECT_EQ(active(l), (std::vector<int>{221, 3500, 3501, 3245, 3502}));
    // nothing listed: nothing kept
    TocList e = load();
    PostlistOptions none;
    none.only_given = true;
    postlist_filter(e, none);
    EXPECT_TRUE(active(e).empty());
}

TEST(Postlist, ReadObjectFile) {
    std::string path = ::testing::TempDir() + "postlist_objects.tsv";
    {
        std::ofstream f(path);
        f << "# comment\n\n1247\t16388\tadd\t-\ttype\tpublic.mpaa_rating\ttable column public.film.rating\n"
             "1259\t16438\n";
    }
    std::set<std::pair<uint32_t, uint32_t>> objects;
    read_object_file(path, objects);
    EXPECT_EQ(objects, (std::set<std::pair<uint32_t, uint32_t>>{{1247, 16388}, {1259, 16438}}));
    {
        std::ofstream f(path);
        f << "1259\t16444\n1259 16445\n";
    }
    try {
        read_object_file(path, objects);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(path + ":2: ", 0), 0u) << e.what();
    }
    EXPECT_THROW(read_object_file(path + ".missing", objects), Error);
}

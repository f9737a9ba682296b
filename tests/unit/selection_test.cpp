// Unit tests for lib/selection: the predicate widened and narrowed by the
// changes, and the --dependencies line.
#include <gtest/gtest.h>

#include "selection.h"

using namespace fdwcopy;

TEST(Selection, PredicateWithoutChangesIsUnchanged) {
    EXPECT_EQ(predicate_with_changes("(p)", {}, "c"), "(p)");
    SelectionChange type;
    type.catalog_oid = 1247;
    type.oid = 16388;
    EXPECT_EQ(predicate_with_changes("(p)", {type}, "c"), "(p)");  // not a relation
}

TEST(Selection, PredicateAddsAndExcludesRelations) {
    SelectionChange a, b, x;
    a.catalog_oid = b.catalog_oid = x.catalog_oid = 1259;
    a.oid = 16438;
    b.oid = 16504;
    x.oid = 16492;
    x.exclude = true;
    EXPECT_EQ(predicate_with_changes("(p)", {a, b, x}, "c"),
              "(((p) OR c.oid OPERATOR(pg_catalog.=) ANY ('{16438,16504}'::pg_catalog.oid[])) AND NOT "
              "c.oid OPERATOR(pg_catalog.=) ANY ('{16492}'::pg_catalog.oid[]))");
}

TEST(Selection, ChangeLine) {
    SelectionChange c;
    c.catalog_oid = 1259;
    c.oid = 16438;
    c.relkind = 'S';
    c.type = "sequence";
    c.identity = "public.film_film_id_seq";
    c.reason = "default value for public.film.film_id";
    EXPECT_EQ(format_change_line(c),
              "1259\t16438\tadd\tS\tsequence\tpublic.film_film_id_seq\tdefault value for public.film.film_id");
    SelectionChange v;
    v.exclude = true;
    v.catalog_oid = 1247;
    v.oid = 7;
    v.type = "type";
    v.identity = "\"a\tb\".t";
    v.reason = "r";
    EXPECT_EQ(format_change_line(v), "1247\t7\texclude\t-\ttype\t\"a\\tb\".t\tr");
}

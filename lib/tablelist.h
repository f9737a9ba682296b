// table-list: the work stream of a source database (which tables, table parts,
// sequences and large objects to copy, largest first), and the arithmetic that
// splits a large table into parts. The line format is lib/workitem.h's,
// documented in table-list(1).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "conn.h"
#include "workitem.h"

namespace fdwcopy {

// pg_dump-style selection (-n / -N / -t / -T), patterns as psql takes them
// (lib/pattern.h). As in pg_dump: include-table patterns, when given, select
// the tables and the schema patterns are then ignored; exclude-table always
// applies; a table pattern without a schema part matches tables visible in the
// session's default search_path (pg_table_is_visible).
struct TableFilters {
    std::vector<std::string> include_schema, exclude_schema, include_table, exclude_table;
    // Apply the changes of the dependencies (lib/selection.h: what the
    // selected tables need, the views depending on what is left out).
    bool with_dependencies = false;
    // pg_dump --exclude-table-data: the relation is selected (its schema is
    // copied) but its rows are not in the work stream (tables, sequences,
    // extension configuration tables, materialized views).
    std::vector<std::string> exclude_table_data;
    bool skip_large_objects = false;  // no "blobs" item (pg_dump --no-blobs)
    bool empty() const {
        return include_schema.empty() && exclude_schema.empty() && include_table.empty() &&
               exclude_table.empty();
    }
    // Large objects are listed only without include filters (pg_dump's -b rule).
    bool includes_blobs() const { return !skip_large_objects && include_schema.empty() && include_table.empty(); }
};

struct TableListOptions {
    TableFilters filters;
    std::string snapshot;           // "" = a fresh REPEATABLE READ snapshot
    int64_t split_larger_than = 0;  // bytes; 0 = never split
    bool matviews = false;          // list materialized views too (kind "matview", never
                                    // split), for table-checksum; copy-table refuses them
    bool by_key = false;            // cut every table with a key into key ranges
                                    // (lib/keyrange.h); split_larger_than is not used
    int64_t chunk_rows = 10000;     // rows per key range with by_key
    bool one_range = false;         // with by_key: one range [-, -) per table, the key
                                    // distribution not sampled (fdwcopy sync --since)
};

// One relation that a clone of the source restores (list_relations).
struct Relation {
    uint32_t oid = 0;      // pg_class oid on the source
    char relkind = 'r';    // pg_class.relkind: r p f v m S
    std::string schema, name;
};

// Most parts a table is split into, whatever the threshold.
constexpr int kMaxParts = 1024;

// SQL boolean expression selecting the relations that the filters select, for
// a query with namespace alias ns and pg_class alias rel. Regexes are embedded
// with quote_literal and matched with OPERATOR(pg_catalog.~). Throws Error on a
// bad pattern (lib/pattern.h). Returns "true" for empty filters.
std::string filter_predicate(const TableFilters& f, const std::string& ns, const std::string& rel);

// SQL boolean expression, same aliases: false for the relations whose data
// f.exclude_table_data excludes (table patterns, as pg_dump matches them),
// "true" when there is none. Throws Error on a bad pattern.
std::string data_predicate(const TableFilters& f, const std::string& ns, const std::string& rel);

// SQL boolean expression selecting the relations that a clone with filters f
// restores, for a query with namespace alias ns and pg_class alias rel: relkind
// r, p, f, v, m or S; not temporary; outside pg_* schemas and
// information_schema; not a member of an extension (pg_depend deptype 'e');
// and selected by filter_predicate, with pg_dump's rules for sequences: a
// sequence owned by a selected relation comes along (pg_depend on pg_class,
// deptype 'a' for serial / OWNED BY, 'i' for identity), and an identity
// sequence comes only with its table (pg_dump dumps it as part of the table).
// The expression uses the aliases fdwcopy_di, fdwcopy_od, fdwcopy_oc and
// fdwcopy_on inside; unqualified patterns depend on the session's search_path
// (match them under the default one, as pg_dump does). Throws Error on a bad
// pattern.
std::string selected_relation_predicate(const TableFilters& f, const std::string& ns, const std::string& rel);

// Number of parts for a table of bytes when splitting above threshold bytes:
// 1 when threshold <= 0 or bytes <= threshold, else ceil(bytes / threshold),
// at most kMaxParts.
int parts_for(int64_t bytes, int64_t threshold);

// Parses a one-dimensional integer array in PostgreSQL text form ("{1,-2,3}",
// as pg_stats.histogram_bounds::text gives it). Throws Error on anything else.
std::vector<int64_t> parse_int_array(const std::string& text);

// True when histogram bounds describe the key range [min, max] well enough to
// place cuts: at least two bounds and they reach within 10% of the span of
// min and max (a stale histogram of a table that grew is not used).
bool histogram_usable(const std::vector<int64_t>& bounds, int64_t min, int64_t max);

// Cut points that divide the rows into `parts` parts of about equal rows, by
// linear interpolation inside the equal-frequency buckets of a pg_stats
// histogram (bounds ascending). Returns at most parts-1 strictly increasing
// values; fewer when the histogram cannot tell them apart.
std::vector<int64_t> cuts_from_histogram(const std::vector<int64_t>& bounds, int parts);

// Cut points dividing the integer range [min, max] into `parts` ranges of equal
// width. At most parts-1 strictly increasing values in (min, max].
std::vector<int64_t> cuts_from_range(int64_t min, int64_t max, int parts);

// The parts of table `whole` for integer key column `key` and cut points c1 <
// c2 < ...: [-, c1) (plus NULL keys), [c1, c2), ..., [ck, -). bytes and rows
// are shared out evenly (the remainder goes to the first part). With no cuts,
// returns whole unchanged (one item, not split).
std::vector<WorkItem> key_parts(const WorkItem& whole, const std::string& key,
                                const std::vector<int64_t>& cuts);

// The parts of table `whole` as heap page ranges of a table of `pages` pages:
// `parts` ranges of about equal pages, the first unbounded below and the last
// unbounded above (so pages added after the count are copied too). At most
// `pages` parts; with parts <= 1 or pages <= 1 returns whole unchanged.
std::vector<WorkItem> ctid_parts(const WorkItem& whole, int64_t pages, int parts);

// Orders the tables largest first (bytes descending, then schema, name and
// part, so the parts of a table stay together and in order).
void sort_largest_first(std::vector<WorkItem>& items);

// Reads the catalogs of source (in options.snapshot when given) and returns the
// work stream: tables and parts (and, with options.matviews, materialized views)
// largest first, then the extension configuration tables the filters select
// (method "extconfig", lib/extconfig.h), then sequences by name, then one
// "blobs" item if the database has large objects and the filters allow them.
// Tables and sequences are those of selected_relation_predicate with the
// changes of selection_changes (lib/selection.h). Throws Error
// on a failed query or a bad pattern.
// With options.by_key, a table with a key (table_key) is listed as key ranges
// of about chunk_rows rows each, in key order (key_chunks), and a table
// without one as one whole-table item. With options.one_range too, each
// table with a key is one range of method "range" (lo and hi "-"), without the
// scan that samples its keys.
std::vector<WorkItem> list_work(Connection& source, const TableListOptions& options);

// Reads the catalogs of source (in options.snapshot when given) and returns
// every relation of selected_relation_predicate with the changes of
// selection_changes (lib/selection.h), ordered by schema and name
// (bytewise, as nspname and relname compare). Throws Error on a failed query or
// a bad pattern; options.split_larger_than and matviews are not used.
std::vector<Relation> list_relations(Connection& source, const TableListOptions& options);

struct SelectionChange;
// Reads the catalogs of source (in options.snapshot when given) and returns
// what the dependencies add to and take out of the selection of
// options.filters (lib/selection.h: selection_changes). Throws Error on a
// failed query or a bad pattern.
std::vector<SelectionChange> list_changes(Connection& source, const TableListOptions& options);

// Formats r as a relations line (table-list --relations): oid, relkind, schema,
// name, tab-separated, fields escaped with tsv_escape; no trailing newline.
std::string format_relation_line(const Relation& r);

}  // namespace fdwcopy

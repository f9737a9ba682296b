// What a filtered selection (-t / -T) brings along or leaves out so that its
// pre-data restores: the objects the selected tables depend on (pg_depend:
// sequences of defaults, types, domains, collations, functions of defaults,
// checks, generated columns, triggers and views, the tables that foreign keys
// and views reference, their schemas, extensions), and the views and
// materialized views that depend on a relation left out, and the foreign keys
// that reference one. table-list
// --dependencies prints them (table-list(1)); list_relations and list_work
// select with them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "conn.h"
#include "tablelist.h"

namespace fdwcopy {

// One object that the dependencies add to a selection, or one relation they
// take out of it.
struct SelectionChange {
    bool exclude = false;     // false: added (the selection needs it); true: excluded
    uint32_t catalog_oid = 0;  // pg_depend.classid of the object: the TOC entry's TABLEOID
    uint32_t oid = 0;          // the object's oid: the TOC entry's OID
    char relkind = 0;          // pg_class.relkind when catalog_oid is pg_class, else 0
    std::string type;          // pg_identify_object's type: "sequence", "type", "function", ...
    std::string identity;      // pg_identify_object's identity, schema-qualified and quoted
                               // as SQL does ("public.film_film_id_seq"): a pattern that
                               // matches exactly this relation for pg_dump -t / -T
    std::string reason;        // why: the object that needs it ("default value for
                               // public.film.film_id"), or, excluded, what it depends on
};

// The changes that the dependencies make to the selection of filters f (none
// unless f.with_dependencies), read
// on src inside its open transaction (table-list's listing transaction: the
// snapshot, and the default search_path that unqualified patterns are matched
// in; the search_path is the default one again on return).
// - Added, only with include-table patterns (pg_dump -t leaves out everything
//   that is not a selected relation): the closure over pg_depend of the
//   selected relations and their defaults, constraints, triggers, rules,
//   policies, indexes and extended statistics. References go from an array
//   type to its element type, from an index or a part of a relation to the
//   relation, from a relation's row type to the relation, from a member of an
//   extension to the extension; built-in objects (oid below 16384), foreign
//   servers and wrappers (the FDW layer comes along by itself) and relations
//   matching an exclude-table pattern are not added. An added table brings
//   its owned sequences. Relations only follow normal dependencies (not a
//   sequence's owner, nor a partition's parent).
// - Excluded, with any filter: the selected views and materialized views
//   whose rule depends on a relation that is not selected (a clone restores
//   it nowhere), and the views depending on those, recursively; and the
//   foreign keys (catalog_oid pg_constraint, relkind 0) of the restored
//   tables that reference a relation not restored (pg_dump dumps them with
//   their table, and their ADD CONSTRAINT would fail), a partitioned table's
//   own only (conparentid 0).
// Added objects come first in the order found, then the excluded ones by oid.
// Throws Error on a failed query or a bad pattern.
std::vector<SelectionChange> selection_changes(Connection& src, const TableFilters& f);

// pred (a predicate on pg_class alias rel) widened with the added relations
// and narrowed by the excluded ones of changes; pred itself when there are
// none.
std::string predicate_with_changes(const std::string& pred, const std::vector<SelectionChange>& changes,
                                   const std::string& rel);

// A table-list --dependencies line: catalog oid, oid, "add" or "exclude",
// relkind ("-" when not a relation), type, identity, reason; tab-separated,
// fields escaped with tsv_escape; no trailing newline.
std::string format_change_line(const SelectionChange& c);

}  // namespace fdwcopy

#!/usr/bin/env bats
# fdwcopy clone --schema-only (pre-data and post-data, no rows) and
# --data-only (rows and sequence values into an existing schema, which may
# partition a table the source has plain), each followed by verify.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start src dst
	load_pagila src pagila
	psql_on src -c "CREATE DATABASE ev"
	psql_on src ev <<'SQL'
CREATE TABLE events (id int PRIMARY KEY, ts date NOT NULL, what text);
INSERT INTO events SELECT g, date '2024-01-01' + (g % 60), 'e' || g FROM generate_series(1, 1000) g;
CREATE SEQUENCE events_ids;
SELECT setval('events_ids', 1000);
ANALYZE;
SQL
	S=$(pgsb_conninfo src pagila)
	E=$(pgsb_conninfo src ev)
	export S E
}

teardown_file() { pgsb_stop; }

@test "clone --schema-only: the schema and its indexes, no rows; verify compares the schema" {
	psql_on dst -c "CREATE DATABASE so"
	run --separate-stderr fdwcopy clone --schema-only --verify --source "$S" --target "$(pgsb_conninfo dst so)"
	[ "$status" -eq 0 ]
	[[ $output == *"data: not copied (--schema-only)"* ]]
	[[ $output == *"verify: equal: schema (with the validity of "*" indexes) (--schema-only: data not compared)"* ]]
	[ "$(psql_on dst so -Atc "SELECT count(*) FROM film")" = 0 ]
	[ "$(psql_on dst so -Atc "SELECT count(*) FROM pg_index WHERE indexrelid = 'film_pkey'::regclass AND indisvalid")" = 1 ]
	# the foreign keys are there (post-data)
	[ "$(psql_on dst so -Atc "SELECT count(*) FROM pg_constraint WHERE conname = 'film_language_id_fkey'")" = 1 ]
	run --separate-stderr fdwcopy verify --source "$S" --target "$(pgsb_conninfo dst so)"
	[ "$status" -eq 1 ]
}

@test "clone --data-only into that schema (foreign keys and triggers in place), twice; verify passes" {
	T=$(pgsb_conninfo dst so)
	run --separate-stderr fdwcopy clone --data-only --verify --jobs 3 --source "$S" --target "$T"
	[ "$status" -eq 0 ]
	[[ $output == *"schema: not restored (--data-only)"* ]]
	[[ $output == *"verify: equal: "*"(--data-only: schemas not compared)"* ]]
	[ "$(psql_on dst so -Atc "SELECT count(*) FROM film")" = 1000 ]
	# again: the rows are replaced, not added (tables referenced by foreign keys included)
	run --separate-stderr fdwcopy clone --data-only --verify --jobs 3 --source "$S" --target "$T"
	[ "$status" -eq 0 ]
	[[ $output == *"verify: equal: "* ]]
	[ "$(psql_on dst so -Atc "SELECT count(*) FROM film")" = 1000 ]
}

@test "clone --data-only into a target that partitions the table: rows routed, old rows gone; verify passes" {
	psql_on dst -c "CREATE DATABASE part"
	psql_on dst part <<'SQL'
CREATE TABLE events (id int, ts date NOT NULL, what text) PARTITION BY RANGE (ts);
CREATE TABLE events_jan PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE events_later PARTITION OF events FOR VALUES FROM ('2024-02-01') TO (MAXVALUE);
INSERT INTO events VALUES (-1, '2024-01-05', 'old'), (-2, '2024-03-01', 'old');
CREATE SEQUENCE events_ids;
SQL
	T=$(pgsb_conninfo dst part)
	run --separate-stderr fdwcopy clone --data-only --verify --source "$E" --target "$T"
	[ "$status" -eq 0 ]
	[[ $output == *"verify: equal: 1 tables (row counts and checksums), 1 sequences"* ]]
	[ "$(psql_on dst part -Atc "SELECT count(*) FROM events")" = 1000 ]
	[ "$(psql_on dst part -Atc "SELECT count(*) FROM events WHERE what = 'old'")" = 0 ]
	[ "$(psql_on dst part -Atc "SELECT count(*) > 0 FROM ONLY events_jan")" = t ]
	[ "$(psql_on dst part -Atc "SELECT count(*) > 0 FROM ONLY events_later")" = t ]
	[ "$(psql_on dst part -Atc "SELECT last_value FROM events_ids")" = 1000 ]
	# a second run replaces them
	run --separate-stderr fdwcopy clone -q --data-only --verify --source "$E" --target "$T"
	[ "$status" -eq 0 ]
	[ "$(psql_on dst part -Atc "SELECT count(*) FROM events")" = 1000 ]
}

@test "clone --data-only refuses a target without the tables, naming them, before anything is written" {
	psql_on dst -c "CREATE DATABASE bare"
	psql_on dst bare -c "CREATE TABLE events (id int, ts date, what text)"
	psql_on dst bare -c "INSERT INTO events VALUES (1, '2024-01-01', 'kept')"
	run --separate-stderr fdwcopy clone --data-only --source "$E" --target "$(pgsb_conninfo dst bare)"
	[ "$status" -eq 1 ]
	# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
	[[ $stderr == *"fdwcopy clone: problem: the target has no sequence public.events_ids to load (--data-only loads into existing tables)"* ]]
	[[ $stderr == *"fdwcopy: error: 1 problem found before anything was written; nothing was written to the target"* ]]
	[ "$(psql_on dst bare -Atc "SELECT what FROM events")" = kept ]
}

@test "clone: --data-only and --schema-only together is a usage error" {
	run --separate-stderr fdwcopy clone --data-only --schema-only --source "$E" --target "$(pgsb_conninfo dst postgres)"
	[ "$status" -eq 2 ]
	[[ $stderr == *"options --data-only and --schema-only cannot be used together"* ]]
}

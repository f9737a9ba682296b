#!/usr/bin/env bats
# fdwcopy verify against real servers: pagila copied with pg_dump | psql is
# equal; a changed row, a missing row, a sequence, a large object and a schema
# change are each found, named, and make verify exit 1.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start src dst
	load_pagila src pagila
	psql_on src pagila -c "SELECT lo_from_bytea(424242, 'large object contents')" >/dev/null
	psql_on dst -c "CREATE DATABASE pagila"
	pg_dump -d "$(pgsb_conninfo src pagila)" | psql -X -q -v ON_ERROR_STOP=1 -d "$(pgsb_conninfo dst pagila)" >/dev/null
}

teardown_file() { pgsb_stop; }

# A fresh copy per test: dst's pagila is copied to a new database from the template.
setup() {
	psql_on dst -c "DROP DATABASE IF EXISTS t" -c "CREATE DATABASE t TEMPLATE pagila"
	S=$(pgsb_conninfo src pagila)
	T=$(pgsb_conninfo dst t)
}

@test "verify: an identical copy is equal (exit 0)" {
	run --separate-stderr fdwcopy verify --jobs 2 --source "$S" --target "$T"
	[ "$status" -eq 0 ]
	[[ $output == "verify: equal: "*" tables (row counts and checksums), 13 sequences, large objects and schema"* ]]
	[ -z "$stderr" ]
}

@test "verify: a changed row names the table (exit 1)" {
	psql_on dst t -c "UPDATE actor SET last_name = 'CHANGED' WHERE actor_id = 5"
	run --separate-stderr fdwcopy verify --source "$S" --target "$T"
	[ "$status" -eq 1 ]
	[[ $stderr == *"fdwcopy: error: verify: source and target differ (1 data mismatches, 0 schema lines)"* ]]
	grep -q '^table  *public\.actor  *200 rows, checksum [0-9a-f]*  *200 rows, checksum [0-9a-f]*$' <<<"$output"
	[ "$(grep -c '^table ' <<<"$output")" -eq 1 ]
}

@test "verify: a missing row and a missing table are found (exit 1)" {
	psql_on dst t -c "DELETE FROM payment_p2022_03 WHERE payment_id = (SELECT min(payment_id) FROM payment_p2022_03)"
	psql_on dst t -c "DROP TABLE film_category CASCADE"
	run --separate-stderr fdwcopy verify --source "$S" --target "$T"
	[ "$status" -eq 1 ]
	n=$(psql_on src pagila -Atc "SELECT count(*) FROM payment_p2022_03")
	grep -q "^table  *public\.payment_p2022_03  *$n rows, .*  $((n - 1)) rows, checksum" <<<"$output"
	grep -q '^table  *public\.film_category  *1000 rows, checksum [0-9a-f]*  *missing$' <<<"$output"
	grep -q '^schema  *pg_dump --schema-only' <<<"$output"
}

@test "verify: a sequence value and a large object are compared" {
	psql_on dst t -c "SELECT setval('public.actor_actor_id_seq', 999)" -c "SELECT lo_unlink(424242)" \
		-c "SELECT lo_from_bytea(424242, 'other contents')" >/dev/null
	run --separate-stderr fdwcopy verify --source "$S" --target "$T"
	[ "$status" -eq 1 ]
	grep -q '^sequence  *public\.actor_actor_id_seq  *last_value 200, is_called t  *last_value 999, is_called t$' <<<"$output"
	grep -q '^large objects  *- *1 objects, checksum' <<<"$output"
}

@test "verify: schema differences are shown, passwords masked" {
	psql_on dst t -c "ALTER TABLE city ADD COLUMN z int" -c "CREATE EXTENSION postgres_fdw" \
		-c "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw" \
		-c "CREATE USER MAPPING FOR postgres SERVER s OPTIONS (password 'very-secret')"
	run --separate-stderr fdwcopy verify --source "$S" --target "$T" --dir "$BATS_TEST_TMPDIR/v"
	[ "$status" -eq 1 ]
	grep -q '^+    z integer$' <<<"$output"
	grep -q "^+CREATE USER MAPPING FOR postgres SERVER s OPTIONS (password '\*\*\*\*');$" <<<"$output"
	[[ $output != *very-secret* && $stderr != *very-secret* ]]
	run -1 grep -rq very-secret "$BATS_TEST_TMPDIR/v"
}

@test "verify: filters compare only the selected tables" {
	psql_on dst t -c "UPDATE actor SET last_name = 'CHANGED' WHERE actor_id = 5"
	run --separate-stderr fdwcopy verify --source "$S" --target "$T" --exclude-table actor
	[ "$status" -eq 0 ]
	# film* and what they need (category, language; actor, which film_actor
	# references, is excluded by name)
	run --separate-stderr fdwcopy verify --source "$S" --target "$T" --include-table 'film*' --exclude-table actor
	[ "$status" -eq 0 ]
	[[ $output == "verify: equal: 5 tables"* ]]
	# without the exclusion, actor is compared: a table film_actor needs
	run --separate-stderr fdwcopy verify --source "$S" --target "$T" --include-table 'film*'
	[ "$status" -eq 1 ]
	grep -q '^table  *public\.actor ' <<<"$output"
}

@test "verify: a table that cannot be read on the source is an error naming it (exit 1), never left out" {
	# A role that may read everything on the source but the actor table.
	psql_on src pagila -c "DROP ROLE IF EXISTS verifier" -c "CREATE ROLE verifier LOGIN" \
		-c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO verifier" \
		-c "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO verifier" \
		-c "GRANT SELECT ON LARGE OBJECT 424242 TO verifier" -c "REVOKE SELECT ON actor FROM verifier"
	run --separate-stderr fdwcopy verify --source "$S user=verifier" --target "$T" --dir "$BATS_TEST_TMPDIR/v"
	psql_on src pagila -c "REASSIGN OWNED BY verifier TO postgres" -c "DROP OWNED BY verifier" -c "DROP ROLE verifier"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *'fdwcopy: error: verify: table "public"."actor" on source: ERROR:  permission denied for table actor'* ]]
	[[ $stderr == *'fdwcopy: error: verify: could not compare 1 of the '*' items (named above)'* ]]
	# Every other table was compared, and equal.
	awk -F'\t' '$3 != "actor" && $10 != "equal" { bad = 1 } END { exit bad }' "$BATS_TEST_TMPDIR/v/verify/checksums.tsv"
	[ "$(awk -F'\t' '$3 == "actor" { print $10 }' "$BATS_TEST_TMPDIR/v/verify/checksums.tsv")" = error ]
}

@test "verify: materialized views compare their populated state" {
	# pagila's rental_by_category is created WITH NO DATA: populate it on the
	# target only.
	[ "$(psql_on src pagila -Atc "SELECT relispopulated FROM pg_class WHERE relname = 'rental_by_category'")" = f ]
	psql_on dst t -c "REFRESH MATERIALIZED VIEW rental_by_category"
	run --separate-stderr fdwcopy verify --source "$S" --target "$T"
	[ "$status" -eq 1 ]
	grep -q '^matview  *public\.rental_by_category  *not populated  *[0-9][0-9]* rows, checksum [0-9a-f]*$' <<<"$output"
	[ "$(grep -c '^matview ' <<<"$output")" -eq 1 ]
}

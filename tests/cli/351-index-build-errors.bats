#!/usr/bin/env bats
# index-build's command line and its failures: a failed build is reported with
# its statement, left out of the done stream and makes exit 1 while the other
# objects are still built; split tables wait for all their parts.

bats_require_minimum_version 1.5.0

load ../lib/pgsandbox
load ../fixtures/indexbuild/helpers

setup_file() {
	pgsb_start src dst
	load_pagila src pagila
	copy_schema_and_data src pagila dst base
	result_lines src pagila >"$BATS_FILE_TMPDIR/results"
}

teardown_file() { pgsb_stop; }

# ib DB [OPTION...]: index-build from src pagila into a fresh copy DB of the
# base target, reading $BATS_TEST_TMPDIR/in; sets status, done and err files.
ib() {
	psql_on dst -c "CREATE DATABASE $1 TEMPLATE base"
	ib_on "$@"
}

# ib_on DB [OPTION...]: the same into an existing database DB.
ib_on() {
	local db=$1
	shift
	status=0
	index-build --source "$(pgsb_conninfo src pagila)" --target "$(pgsb_conninfo dst "$db")" "$@" \
		<"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/done" 2>"$BATS_TEST_TMPDIR/err" || status=$?
	cat "$BATS_TEST_TMPDIR/err"
}

oid_of() { psql_on src pagila -Atc "SELECT $1"; }

@test "index-build --help and --version print to stdout and exit 0" {
	run --separate-stderr index-build --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ $output == *"Usage:"* ]]
	[[ $output == *"--jobs"* ]]
	[[ $output == *"--no-analyze"* ]]
	[[ $output == *"Connection options:"* ]]
	run --separate-stderr index-build --version
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ $output == "index-build (fdwcopy) "* ]]
}

@test "index-build with a bad option or value exits 2 with a hint" {
	run --separate-stderr index-build --no-such-option
	[ "$status" -eq 2 ]
	[[ $stderr == *"index-build: error: "*"no-such-option"* ]]
	[[ $stderr == *'Try "index-build --help" for more information.'* ]]
	run --separate-stderr index-build --jobs 0
	[ "$status" -eq 2 ]
	[[ $stderr == *"-j/--jobs must be in range 1..1024"* ]]
	run --separate-stderr index-build --maintenance-work-mem lots
	[ "$status" -eq 2 ]
	[[ $stderr == *'invalid memory size "lots"'* ]]
}

@test "a duplicate row fails its unique index: exit 1, named with its statement, not in the done stream" {
	cp "$BATS_FILE_TMPDIR/results" "$BATS_TEST_TMPDIR/in"
	psql_on dst -c "CREATE DATABASE dup TEMPLATE base"
	psql_on dst dup -c "INSERT INTO actor SELECT * FROM actor WHERE actor_id = 7"
	ib_on dup --jobs 3
	[ "$status" -eq 1 ]
	grep -F 'index-build: error: could not create constraint "actor_pkey" on "public"."actor": could not create unique index "actor_pkey"' "$BATS_TEST_TMPDIR/err"
	grep -Fx 'index-build: detail: Key (actor_id)=(7) is duplicated.' "$BATS_TEST_TMPDIR/err"
	grep -Fx 'index-build: detail: statement: CREATE UNIQUE INDEX actor_pkey ON public.actor USING btree (actor_id)' "$BATS_TEST_TMPDIR/err"
	[ "$(grep -c 'error:' "$BATS_TEST_TMPDIR/err")" -eq 1 ]
	pk=$(oid_of "oid FROM pg_constraint WHERE conname = 'actor_pkey'")
	run -1 grep -P "^2606\t$pk\t" "$BATS_TEST_TMPDIR/done"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/done")" -eq 53 ]
	grep -P '^1259\t\d+\tINDEX\tpublic\tidx_actor_last_name$' "$BATS_TEST_TMPDIR/done"
	# nothing half-built is left behind
	psql_on dst dup -Atc "SELECT count(*) FROM pg_class WHERE relname = 'actor_pkey'" >"$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = 0 ]
}

@test "a failed ADD CONSTRAINT drops the index it had built" {
	cp "$BATS_FILE_TMPDIR/results" "$BATS_TEST_TMPDIR/in"
	psql_on dst -c "CREATE DATABASE nn TEMPLATE base"
	# a NULL in a primary key column: the unique index builds, the PRIMARY KEY cannot be added
	psql_on dst nn -c "ALTER TABLE category ALTER COLUMN category_id DROP NOT NULL; INSERT INTO category VALUES (NULL, 'x', now())"
	ib_on nn --jobs 2
	[ "$status" -eq 1 ]
	grep -F 'could not create constraint "category_pkey" on "public"."category"' "$BATS_TEST_TMPDIR/err"
	grep -Fx 'index-build: detail: statement: ALTER TABLE ONLY "public"."category" ADD CONSTRAINT "category_pkey" PRIMARY KEY USING INDEX "category_pkey"' "$BATS_TEST_TMPDIR/err"
	run -1 grep -P '\tcategory_pkey$' "$BATS_TEST_TMPDIR/done"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/done")" -eq 53 ]
	psql_on dst nn -Atc "SELECT count(*) FROM pg_class WHERE relname = 'category_pkey'" >"$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = 0 ]
}

@test "a split table is built once all its parts are in; an incomplete one is left to post-data" {
	rental=$(oid_of "'rental'::regclass::oid")
	film=$(oid_of "'film'::regclass::oid")
	{
		grep -Pv "^table\t($rental|$film)\t" "$BATS_FILE_TMPDIR/results"
		printf 'table\t%s\tpublic\trental\t600000\t8000\t2\t2\tctid\t-\t80\t-\t8000\t600000\t0.100\n' "$rental"
		printf 'sequence\t%s\tpublic\tactor_actor_id_seq\t8192\t1\t1\t1\t-\t-\t-\t-\t1\t0\t0.001\n' "$(oid_of "'actor_actor_id_seq'::regclass::oid")"
		printf 'table\t%s\tpublic\tfilm\t400000\t500\t1\t3\tkey\tfilm_id\t-\t300\t300\t100\t0.100\n' "$film"
		printf 'table\t%s\tpublic\trental\t600000\t8000\t1\t2\tctid\t-\t-\t80\t8044\t600000\t0.100\n' "$rental"
		printf 'blobs\t0\t-\t-\t0\t0\t1\t1\t-\t-\t-\t-\t0\t0\t0.000\n'
	} >"$BATS_TEST_TMPDIR/in"
	ib split --jobs 2
	[ "$status" -eq 0 ]
	grep -Fx 'index-build: warning: table public.film (1 of 3 parts) did not arrive complete; its indexes are left to the post-data' "$BATS_TEST_TMPDIR/err"
	grep -P '\trental_pkey$' "$BATS_TEST_TMPDIR/done"
	run -1 grep -P '\t(film_pkey|idx_title)$' "$BATS_TEST_TMPDIR/done"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/done")" -eq 49 ]
}

@test "a bad input line is reported, the other tables are still built, exit 1" {
	{
		echo "table	not a result line"
		cat "$BATS_FILE_TMPDIR/results"
	} >"$BATS_TEST_TMPDIR/in"
	ib badline --jobs 2 --no-analyze
	[ "$status" -eq 1 ]
	grep -F 'index-build: error: invalid input line: result line has 2 fields, expected 15' "$BATS_TEST_TMPDIR/err"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/done")" -eq 54 ]
	psql_on dst badline -Atc "SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL" >"$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = 0 ]
}

@test "an unknown snapshot or an unreachable server gives exit 1 and a message, no password" {
	: >"$BATS_TEST_TMPDIR/in"
	ib snap --snapshot 00000003-0000001B-1
	[ "$status" -eq 1 ]
	grep -F 'index-build: error: could not use snapshot "00000003-0000001B-1": source: ' "$BATS_TEST_TMPDIR/err"
	run --separate-stderr index-build --source "$(pgsb_conninfo src pagila)" \
		--target "host=$PGSB_DIR port=1 user=postgres password=hunter2-secret dbname=x" </dev/null
	[ "$status" -eq 1 ]
	[[ $stderr == "index-build: error: could not connect to target: "* ]]
	[[ $stderr != *hunter2* ]]
	FDWCOPY_SOURCE="host=$PGSB_DIR port=1 password=hunter2-secret" run --separate-stderr index-build </dev/null
	[ "$status" -eq 1 ]
	[[ $stderr == "index-build: error: could not connect to source: "* ]]
	[[ $stderr != *hunter2* ]]
}

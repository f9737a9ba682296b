#!/usr/bin/env bats
# index-build on pagila plus odd objects: it builds exactly the indexes and
# PK/UNIQUE constraints that pg_dump's post-data has for ordinary tables and
# leaf partitions, its done stream carries their pg_restore -l (TABLEOID, OID)
# pairs, and the rest of the post-data restores on top into the source's schema.

load ../lib/pgsandbox
load ../fixtures/indexbuild/helpers

setup_file() {
	pgsb_start src dst
	make_tablespace src ib_space
	make_tablespace dst ib_space
	load_pagila src pagila
	psql_on src pagila -f "$FIXTURES/indexbuild/extras.sql" >/dev/null
	psql_on src pagila -c "ANALYZE"
	copy_schema_and_data src pagila dst base
	result_lines src pagila >"$BATS_FILE_TMPDIR/results"
	pg_dump -Fc --schema-only -d "$(pgsb_conninfo src pagila)" -f "$BATS_FILE_TMPDIR/schema.dump"
}

teardown_file() { pgsb_stop; }

# build DB JOBS: index-build into a fresh copy DB of the base target.
build() {
	psql_on dst -c "CREATE DATABASE $1 TEMPLATE base"
	status=0
	index-build --source "$(pgsb_conninfo src pagila)" --target "$(pgsb_conninfo dst "$1")" \
		--jobs "$2" <"$BATS_FILE_TMPDIR/results" >"$BATS_FILE_TMPDIR/done.$1" 2>"$BATS_FILE_TMPDIR/err.$1" || status=$?
}

@test "index-build creates every index and constraint of tables and leaf partitions, valid" {
	build t4 4
	cat "$BATS_FILE_TMPDIR/err.t4"
	[ "$status" -eq 0 ]
	[ ! -s "$BATS_FILE_TMPDIR/err.t4" ]
	index_list src pagila >"$BATS_TEST_TMPDIR/expected"
	index_list dst t4 >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	# 54 in pagila, 16 in extras.sql
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got")" -eq 70 ]
	psql_on dst t4 -Atc "SELECT count(*) FROM pg_index WHERE NOT (indisvalid AND indisready)" >"$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = 0 ]
	# analyzed after the indexes
	psql_on dst t4 -Atc "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'rental' AND last_analyze IS NOT NULL" >"$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = 1 ]
}

@test "the done stream has exactly the pg_restore -l pairs of those objects" {
	expected_done src pagila "$BATS_FILE_TMPDIR/schema.dump" >"$BATS_TEST_TMPDIR/expected"
	cut -f1,2 "$BATS_FILE_TMPDIR/done.t4" | LC_ALL=C sort >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got")" -eq 70 ]
	# whole lines: type, schema and name as documented in lib/donestream.h
	psql_on src pagila -At -F $'\t' -c "
		SELECT 2606, oid, 'CONSTRAINT', 'Odd Schema', conname FROM pg_constraint WHERE conname = 'code uq'
		UNION ALL
		SELECT 1259, oid, 'INDEX', 'Odd Schema', relname FROM pg_class WHERE relname = 'lower(note) idx'
		ORDER BY 1" >"$BATS_TEST_TMPDIR/expected"
	grep -e 'code uq' -e 'lower(note) idx' "$BATS_FILE_TMPDIR/done.t4" | LC_ALL=C sort >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
}

@test "the post-data without the done entries restores the source's schema" {
	pg_restore -l "$BATS_FILE_TMPDIR/schema.dump" >"$BATS_TEST_TMPDIR/toc"
	postlist-filter --section post-data --done "$BATS_FILE_TMPDIR/done.t4" \
		<"$BATS_TEST_TMPDIR/toc" >"$BATS_TEST_TMPDIR/post.list"
	# the done entries, and only they, are commented out of the post-data
	postlist-filter --section post-data <"$BATS_TEST_TMPDIR/toc" >"$BATS_TEST_TMPDIR/all.list"
	diff "$BATS_TEST_TMPDIR/all.list" "$BATS_TEST_TMPDIR/post.list" | grep -c '^> ;' >"$BATS_TEST_TMPDIR/n" || true
	[ "$(cat "$BATS_TEST_TMPDIR/n")" -eq 70 ]
	pg_restore --exit-on-error -L "$BATS_TEST_TMPDIR/post.list" -d "$(pgsb_conninfo dst t4)" \
		"$BATS_FILE_TMPDIR/schema.dump"
	schema_of src pagila >"$BATS_TEST_TMPDIR/expected"
	schema_of dst t4 >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
}

@test "index-build --jobs 1 writes the same done set as --jobs 4" {
	build t1 1
	[ "$status" -eq 0 ]
	LC_ALL=C sort "$BATS_FILE_TMPDIR/done.t4" >"$BATS_TEST_TMPDIR/expected"
	LC_ALL=C sort "$BATS_FILE_TMPDIR/done.t1" >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
}

@test "a rerun keeps the valid indexes, reindexes an invalid one, rebuilds a different one" {
	relfiles() {
		psql_on dst t1 -Atc "SELECT relname, oid, relfilenode FROM pg_class WHERE relkind = 'i'
			AND relnamespace NOT IN ('pg_catalog'::regnamespace, 'pg_toast'::regnamespace) ORDER BY 1"
	}
	relfiles >"$BATS_TEST_TMPDIR/before"
	psql_on dst t1 -c "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'idx_title'::regclass" \
		-c "DROP INDEX idx_last_name" -c "CREATE INDEX idx_last_name ON customer (first_name)"
	status=0
	index-build --source "$(pgsb_conninfo src pagila)" --target "$(pgsb_conninfo dst t1)" --jobs 2 \
		<"$BATS_FILE_TMPDIR/results" >"$BATS_TEST_TMPDIR/done" 2>"$BATS_TEST_TMPDIR/err" || status=$?
	cat "$BATS_TEST_TMPDIR/err"
	[ "$status" -eq 0 ]
	printf '%s\n' \
		'index-build: info: reindexing index "public"."idx_title": it is on the target, but not valid' \
		'index-build: info: rebuilding index "public"."idx_last_name": the target'"'"'s index of that name is not the source'"'"'s' \
		| sort >"$BATS_TEST_TMPDIR/expected"
	sort "$BATS_TEST_TMPDIR/err" >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	LC_ALL=C sort "$BATS_FILE_TMPDIR/done.t1" >"$BATS_TEST_TMPDIR/expected"
	LC_ALL=C sort "$BATS_TEST_TMPDIR/done" >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	relfiles >"$BATS_TEST_TMPDIR/after"
	# only those two have new storage; the others were kept as they were
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after" | sed -n 's/^\([<>]\) \([^|]*\)|.*/\1 \2/p' \
		| sort -u >"$BATS_TEST_TMPDIR/changed" || true
	printf '%s\n' '< idx_last_name' '< idx_title' '> idx_last_name' '> idx_title' >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/changed"
	index_list src pagila >"$BATS_TEST_TMPDIR/expected"
	index_list dst t1 >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
}

# mwm_of_builds DB MEM: index-build --jobs 2 --maintenance-work-mem MEM into a
# fresh copy DB whose own maintenance_work_mem is 300MB (work_mem 5MB), with
# trace_sort on: prints the distinct workMem (kB) of the server's index sorts,
# from the part of the target's log written during the run.
mwm_of_builds() {
	psql_on dst -c "CREATE DATABASE $1 TEMPLATE base" \
		-c "ALTER DATABASE $1 SET maintenance_work_mem = '300MB'" \
		-c "ALTER DATABASE $1 SET work_mem = '5MB'" -c "ALTER DATABASE $1 SET trace_sort = on"
	local log=$PGSB_DIR/dst.log size
	size=$(stat -c %s "$log")
	index-build --source "$(pgsb_conninfo src pagila)" --target "$(pgsb_conninfo dst "$1")" \
		--jobs 2 --maintenance-work-mem "$2" <"$BATS_FILE_TMPDIR/results" >/dev/null
	tail -c +$((size + 1)) "$log" | sed -n 's/.*begin index sort: .*workMem = \([0-9]*\).*/\1/p' | sort -un
}

@test "each session builds with at least the target's maintenance_work_mem, more when its share is larger" {
	# a share of 32MB each: the target's 300MB (307200 kB) is used instead;
	# 5120 kB (work_mem) is the dead-tuple spool of unique builds
	mwm_of_builds tmwm1 64MB >"$BATS_TEST_TMPDIR/got"
	printf '%s\n' 5120 307200 >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	# a share of 512MB each (524288 kB), above the target's
	mwm_of_builds tmwm2 1GB >"$BATS_TEST_TMPDIR/got"
	printf '%s\n' 5120 524288 >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
}

# build_order DB [OPTION...]: index-build --jobs 1 -vv into a fresh copy DB;
# its statements, in the order sent, are in $BATS_TEST_TMPDIR/sent.
build_order() {
	local db=$1
	shift
	psql_on dst -c "CREATE DATABASE $db TEMPLATE base" >/dev/null
	index-build -vv "$@" --source "$(pgsb_conninfo src pagila)" --target "$(pgsb_conninfo dst "$db")" \
		--jobs 1 <"$BATS_FILE_TMPDIR/results" >/dev/null 2>"$BATS_TEST_TMPDIR/err"
	sed -n 's/.*target: //p' "$BATS_TEST_TMPDIR/err" >"$BATS_TEST_TMPDIR/sent"
}

@test "builds start largest index first (source size), whatever the table; ANALYZE only once no build waits" {
	build_order torder
	# the built indexes' names in build order, numbered
	sed -n 's/^CREATE \(UNIQUE \)\{0,1\}INDEX \(.*\) ON .*/\2/p' "$BATS_TEST_TMPDIR/sent" |
		awk '{ print NR "\t" $0 }' >"$BATS_TEST_TMPDIR/names"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/names")" -eq 70 ]
	# their sizes on the source, in that order: never larger than the one before
	{
		echo "CREATE TEMP TABLE o (n int, name text); COPY o FROM STDIN;"
		cat "$BATS_TEST_TMPDIR/names"
		printf '\\.\n'
		echo "SELECT count(DISTINCT o.n), count(*) FILTER (WHERE o.n <> min_n) FROM o
		        JOIN (SELECT c.relname, c.relpages, min(o2.n) OVER (PARTITION BY c.relname) min_n
		                FROM pg_class c JOIN o o2 ON o2.name = quote_ident(c.relname) WHERE c.relkind = 'i') s
		          ON o.name = quote_ident(s.relname);"
		echo "SELECT string_agg(o.n || ':' || c.relpages, ' ' ORDER BY o.n) FROM o
		        JOIN pg_class c ON o.name = quote_ident(c.relname) AND c.relkind = 'i';"
	} | psql_on src pagila -At >"$BATS_TEST_TMPDIR/sizes"
	cat "$BATS_TEST_TMPDIR/sizes"
	# every name is one source index
	[ "$(sed -n 1p "$BATS_TEST_TMPDIR/sizes")" = "70|0" ]
	sed -n 2p "$BATS_TEST_TMPDIR/sizes" | tr ' ' '\n' | awk -F: 'NR > 1 && $2 > prev { bad++; print "larger after smaller: " $0 } { prev = $2 } END { exit bad > 0 }'
	# not trivially so: the sizes differ
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/sizes" | tr ' ' '\n' | cut -d: -f2 | sort -u | wc -l)" -gt 3 ]
	# every ANALYZE after the last index build
	last_build=$(grep -n '^CREATE \(UNIQUE \)\{0,1\}INDEX ' "$BATS_TEST_TMPDIR/sent" | tail -1 | cut -d: -f1)
	first_analyze=$(grep -n '^ANALYZE ' "$BATS_TEST_TMPDIR/sent" | head -1 | cut -d: -f1)
	[ "$(grep -c '^ANALYZE ' "$BATS_TEST_TMPDIR/sent")" -ge 20 ]
	[ "$first_analyze" -gt "$last_build" ]
}

@test "--tail-workers: the last build, started once the input has ended, gets the parallel workers, and only it" {
	build_order ttail --tail-workers 3
	grep -n -e '^SET max_parallel_maintenance_workers' -e '^CREATE \(UNIQUE \)\{0,1\}INDEX ' "$BATS_TEST_TMPDIR/sent" |
		tail -3 | cut -d: -f2- | sed 's/^CREATE .*/CREATE/' >"$BATS_TEST_TMPDIR/got"
	printf '%s\n' 'SET max_parallel_maintenance_workers = 3' CREATE 'SET max_parallel_maintenance_workers = 0' \
		>"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	[ "$(grep -c '^SET max_parallel_maintenance_workers = 3' "$BATS_TEST_TMPDIR/sent")" -eq 1 ]
	grep -q 'build(s) at the tail with 3 parallel maintenance worker(s)' "$BATS_TEST_TMPDIR/err"
	# without it: no SET of the workers at all but the sessions' own
	build_order ttail0
	[ "$(grep -c '^SET max_parallel_maintenance_workers = [1-9]' "$BATS_TEST_TMPDIR/sent")" -eq 0 ]
}

@test "--tail-workers: a bad value is named" {
	run index-build --tail-workers -1 --source "$(pgsb_conninfo src pagila)" --target "$(pgsb_conninfo dst base)" </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"--tail-workers must be between 0 and 1024"* ]]
}

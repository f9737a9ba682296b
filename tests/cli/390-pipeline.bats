#!/usr/bin/env bats
# DESIGN.md's clone pipeline, run by hand as the README shows it, on pagila
# (plus odd objects) and on the FDW test database:
#   snapshot-hold; pg_dump -Fc --schema-only --snapshot;
#   pg_restore -f - --section=pre-data | schema-split | fdw-rewrite | psql -1;
#   table-list | xargs -P copy-table | index-build > done;
#   pg_restore -l | postlist-filter --section post-data --done done; pg_restore -L
# Then every table's rows (count and md5), the sequences and the schema dump of
# the target equal the source's, and nothing committed after the snapshot leaks in.

load ../lib/pgsandbox
load ../lib/fdwlayout
load ../fixtures/indexbuild/helpers

setup_file() {
	pgsb_start src dst arch
	make_tablespace src ib_space
	make_tablespace dst ib_space
	load_pagila src pagila
	psql_on src pagila -f "$FIXTURES/indexbuild/extras.sql" >/dev/null
	psql_on src pagila -c "ANALYZE"
	make_archive arch archive_db "source archive"
	make_fdw_source src fdwsrc arch archive_db
	# the user mappings of the FDW database name a role of the source cluster
	psql_on dst -c "CREATE ROLE alice"
}

teardown_file() {
	[ -z "${HOLD_PID:-}" ] || kill "$HOLD_PID" 2>/dev/null || true
	pgsb_stop
}

# hold_snapshot DB: starts snapshot-hold on src DB in the background, its stdin a
# FIFO held open on fd 8; sets SNAP and HOLD_PID.
hold_snapshot() {
	local d=$BATS_TEST_TMPDIR
	mkfifo "$d/hold.in"
	snapshot-hold --source "$(pgsb_conninfo src "$1")" <"$d/hold.in" >"$d/snap" 2>"$d/hold.err" 3>&- &
	HOLD_PID=$!
	exec 8>"$d/hold.in"
	for _ in $(seq 100); do
		[ -s "$d/snap" ] && break
		sleep 0.1
	done
	SNAP=$(head -1 "$d/snap")
	[ -n "$SNAP" ]
}

# release_snapshot: closes snapshot-hold's stdin; it must exit 0.
release_snapshot() {
	exec 8>&-
	wait "$HOLD_PID"
	HOLD_PID=
}

# clone DB: the pipeline from src DB into a new database DB on dst, with
# $BATS_TEST_TMPDIR/map as the fdw-rewrite map.
clone() {
	local db=$1 d=$BATS_TEST_TMPDIR
	local S T
	S=$(pgsb_conninfo src "$db")
	T=$(pgsb_conninfo dst "$db")
	pg_dump -Fc --schema-only --snapshot="$SNAP" -d "$S" -f "$d/schema.dump"
	psql_on dst -c "CREATE DATABASE $db"
	set -o pipefail
	pg_restore -f - --section=pre-data "$d/schema.dump" | schema-split --section=pre-data |
		fdw-rewrite --map "$d/map" | psql -X -q -1 -v ON_ERROR_STOP=1 -d "$T" >/dev/null
	table-list --source "$S" --snapshot "$SNAP" |
		xargs -d '\n' -P 2 -n 1 copy-table --source "$S" --target "$T" --snapshot "$SNAP" |
		index-build --source "$S" --target "$T" --snapshot "$SNAP" --jobs 2 >"$d/done" 2>"$d/ib.err"
	set +o pipefail
	pg_restore -l "$d/schema.dump" >"$d/toc"
	postlist-filter --section post-data --done "$d/done" <"$d/toc" >"$d/post.list"
	pg_restore --exit-on-error -j 2 -L "$d/post.list" -d "$T" "$d/schema.dump"
}

# table_sums CLUSTER DB: per ordinary table and leaf partition, its row count
# and the md5 of its rows in a fixed order; then every sequence's state.
table_sums() {
	local t
	psql_on "$1" "$2" -At -c "
		SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
		  JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
		 ORDER BY 1" >"$BATS_TEST_TMPDIR/tables.$1"
	while read -r t; do
		psql_on "$1" "$2" -At -c "SELECT '$t', count(*), md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), ''))
			FROM $t x"
	done <"$BATS_TEST_TMPDIR/tables.$1"
	psql_on "$1" "$2" -At -c "
		SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences ORDER BY 1"
}

@test "pipeline on pagila: rows, sequences and schema equal the source's" {
	: >"$BATS_TEST_TMPDIR/map"  # no foreign servers
	chmod 600 "$BATS_TEST_TMPDIR/map"
	hold_snapshot pagila
	# committed after the snapshot: must not reach the target (an explicit id:
	# sequences are not transactional, a nextval would show through any snapshot)
	psql_on src pagila -c "INSERT INTO actor (actor_id, first_name, last_name) VALUES (100000, 'LATE', 'ROW')"
	psql_on src pagila -c "CREATE INDEX late_idx ON film (length)"
	clone pagila
	release_snapshot
	cat "$BATS_TEST_TMPDIR/ib.err"
	[ ! -s "$BATS_TEST_TMPDIR/ib.err" ]
	psql_on src pagila -c "DELETE FROM actor WHERE actor_id = 100000" -c "DROP INDEX late_idx"
	table_sums src pagila >"$BATS_TEST_TMPDIR/expected"
	table_sums dst pagila >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	schema_of src pagila >"$BATS_TEST_TMPDIR/expected"
	schema_of dst pagila >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	# index-build did the indexes and constraints of the tables, post-data the rest
	[ "$(wc -l <"$BATS_TEST_TMPDIR/done")" -eq 70 ]
	postlist-filter --section post-data <"$BATS_TEST_TMPDIR/toc" >"$BATS_TEST_TMPDIR/all.list"
	diff "$BATS_TEST_TMPDIR/all.list" "$BATS_TEST_TMPDIR/post.list" | grep -c '^> ;[0-9]*; \(1259\|2606\) ' >"$BATS_TEST_TMPDIR/n" || true
	[ "$(cat "$BATS_TEST_TMPDIR/n")" -eq 70 ]
}

@test "pipeline on the FDW database: rows, sequences and schema equal the source's" {
	# the servers stay pointing at the archive cluster: the schemas must be equal
	# (empty sections keep the servers' and the user mappings' options)
	printf '[server:archive_server]\n[server:reporting_srv]\n[user-mapping:*@archive_server]\n[user-mapping:*@reporting_srv]\n' \
		>"$BATS_TEST_TMPDIR/map"
	chmod 600 "$BATS_TEST_TMPDIR/map"
	hold_snapshot fdwsrc
	clone fdwsrc
	release_snapshot
	cat "$BATS_TEST_TMPDIR/ib.err"
	[ ! -s "$BATS_TEST_TMPDIR/ib.err" ]
	table_sums src fdwsrc >"$BATS_TEST_TMPDIR/expected"
	table_sums dst fdwsrc >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	schema_of src fdwsrc >"$BATS_TEST_TMPDIR/expected"
	schema_of dst fdwsrc >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	# the foreign partition still reads the archive through the restored server
	psql_on dst fdwsrc -Atc "SELECT note, count(*) FROM measurements GROUP BY 1 ORDER BY 1" >"$BATS_TEST_TMPDIR/got"
	printf 'hot|10000\nsource archive|50\n' >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	# by index-build: items_pkey, items_code_key, orders_pkey, orders_created_idx
	# and the leaf partitions' measurements_2024_ts_idx and measurements_2025_ts_idx
	[ "$(wc -l <"$BATS_TEST_TMPDIR/done")" -eq 6 ]
}

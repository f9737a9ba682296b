#!/usr/bin/env bats
# A result line is a promise: what copy-table reports (whole tables, key-range
# parts, sequences, large objects) and what index-build reports (done lines)
# survives a crash of the target right after the line is written. The target
# runs with synchronous_commit = off and wal_writer_delay = 10s, so a commit
# that does not wait for its WAL flush is still in the server's WAL buffers
# when the target is crashed (pg_ctl stop -m immediate) a moment later, and
# crash recovery loses it: these tests fail unless each reported commit is
# durable.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	PGSB_DIR=$(mktemp -d /tmp/pgsb.XXXXXX)
	export PGSB_DIR
	"$REPO_ROOT/scripts/pgsandbox" start "$PGSB_DIR" src >/dev/null
	"$REPO_ROOT/scripts/pgsandbox" start --set wal_writer_delay=10s "$PGSB_DIR" dst >/dev/null
	psql_on src -c "CREATE DATABASE d"
	psql_on src d <<'SQL'
CREATE TABLE small (id int PRIMARY KEY, v text);
INSERT INTO small SELECT g, md5(g::text) FROM generate_series(1, 1000) g;
CREATE TABLE big (id int PRIMARY KEY, v text UNIQUE);
INSERT INTO big SELECT g, md5(g::text) || repeat('b', 60) FROM generate_series(1, 100000) g;
CREATE INDEX big_v_prefix ON big (left(v, 8));
CREATE SEQUENCE s;
SELECT setval('s', 4242);
SELECT lo_from_bytea(0, 'durable large object');
ANALYZE;
SQL
	psql_on dst -c "CREATE DATABASE d"
	pg_dump --section=pre-data -d "$(pgsb_conninfo src d)" | psql_on dst d >/dev/null
	# The pre-data itself must survive the crashes below.
	psql_on dst d -c "CHECKPOINT"
	S=$(pgsb_conninfo src d) T=$(pgsb_conninfo dst d)
	export S T
}

teardown_file() { pgsb_stop; }

crash_and_restart_target() {
	"$REPO_ROOT/scripts/pgsandbox" crash "$PGSB_DIR" dst
	"$REPO_ROOT/scripts/pgsandbox" restart "$PGSB_DIR" dst
}

# One item at a time, the target crashed after each result line: a later
# item's WAL would otherwise push an earlier commit record out to disk.
@test "copy-table: tables, key parts, a sequence and large objects reported done survive a target crash" {
	table-list --source "$S" --split-larger-than 2MB >"$BATS_TEST_TMPDIR/work"
	# big in key parts, small whole, the sequence, the large objects.
	[ "$(grep -c "	big	" "$BATS_TEST_TMPDIR/work")" -gt 1 ]
	grep -q '^sequence' "$BATS_TEST_TMPDIR/work"
	grep -q '^blobs' "$BATS_TEST_TMPDIR/work"
	: >"$BATS_TEST_TMPDIR/out"
	local line kind name rows
	while IFS= read -r line; do
		printf '%s\n' "$line" | copy-table -s "$S" -t "$T" >"$BATS_TEST_TMPDIR/one"
		crash_and_restart_target
		cat "$BATS_TEST_TMPDIR/one" >>"$BATS_TEST_TMPDIR/out"
		kind=$(cut -f1 "$BATS_TEST_TMPDIR/one")
		name=$(cut -f4 "$BATS_TEST_TMPDIR/one")
		case $kind in
		table)
			# The rows of every part of that table reported so far.
			rows=$(awk -F'\t' -v n="$name" '$4 == n { s += $13 } END { print s }' "$BATS_TEST_TMPDIR/out")
			[ "$(psql_on dst d -Atc "SELECT count(*) FROM $name")" = "$rows" ] ;;
		sequence)
			[ "$(psql_on dst d -Atc "SELECT last_value FROM s")" = 4242 ] ;;
		blobs)
			[ "$(psql_on dst d -Atc "SELECT convert_from(lo_get(oid), 'UTF8') FROM pg_largeobject_metadata")" = "durable large object" ] ;;
		*) false ;;
		esac
	done <"$BATS_TEST_TMPDIR/work"
	[ "$(psql_on dst d -Atc "SELECT count(*) FROM small")" = 1000 ]
	[ "$(psql_on dst d -Atc "SELECT count(*) FROM big")" = 100000 ]
}

@test "index-build: indexes and constraints on its done lines survive a target crash" {
	table-list --source "$S" --include-table big --include-table small >"$BATS_TEST_TMPDIR/work"
	copy-table -s "$S" -t "$T" <"$BATS_TEST_TMPDIR/work" >"$BATS_TEST_TMPDIR/results"
	psql_on dst d -c "CHECKPOINT"
	index-build -s "$S" -t "$T" --no-analyze <"$BATS_TEST_TMPDIR/results" >"$BATS_TEST_TMPDIR/done"
	crash_and_restart_target
	[ "$(wc -l <"$BATS_TEST_TMPDIR/done")" = 4 ]
	run psql_on dst d -Atc "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	  WHERE i.indrelid IN ('big'::regclass, 'small'::regclass) ORDER BY 1"
	[ "$output" = "big_pkey|t
big_v_key|t
big_v_prefix|t
small_pkey|t" ]
	run psql_on dst d -Atc "SELECT conname FROM pg_constraint WHERE conrelid IN ('big'::regclass, 'small'::regclass)
	  ORDER BY 1"
	[ "$output" = "big_pkey
big_v_key
small_pkey" ]
}

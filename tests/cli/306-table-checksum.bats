#!/usr/bin/env bats
# table-checksum: the same data on two servers compares equal (whatever the
# servers' own rendering settings), a changed row differs, a table missing on
# the target is "missing", a table that cannot be read is a named error with
# exit 1 and never a silent omission, materialized views compare their
# populated state and contents, key-range parts compare their range only.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start src dst
	psql_on src -c "CREATE DATABASE d"
	psql_on src d <<'SQL'
CREATE SCHEMA app;
CREATE TABLE app.eq (id int PRIMARY KEY, t text, ts timestamptz, d date, f float8, b bytea,
  m money, iv interval);
INSERT INTO app.eq SELECT g, E'tab\there ' || g, '2024-01-01 12:00+00'::timestamptz + g * interval '1 hour',
  '2024-01-01'::date + g, 1.0 / g, decode(md5(g::text), 'hex'), g * 1.25, g * interval '90 minutes'
  FROM generate_series(1, 2000) g;
CREATE TABLE app.changed (id int PRIMARY KEY, v text);
INSERT INTO app.changed SELECT g, 'v' || g FROM generate_series(1, 30000) g;
CREATE TABLE app.gone (i int);
INSERT INTO app.gone VALUES (1);
CREATE TABLE app.secret (i int);
INSERT INTO app.secret VALUES (1);
CREATE SEQUENCE app.s1;
SELECT setval('app.s1', 42);
CREATE MATERIALIZED VIEW app.mv_both AS SELECT id, v FROM app.changed WHERE id <= 10;
CREATE MATERIALIZED VIEW app.mv_half AS SELECT 1 AS one;
CREATE MATERIALIZED VIEW app.mv_none AS SELECT 1 AS one WITH NO DATA;
SELECT lo_from_bytea(0, 'hello');
CREATE ROLE reader LOGIN;
GRANT USAGE ON SCHEMA app TO reader;
GRANT SELECT ON ALL TABLES IN SCHEMA app TO reader;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA app TO reader;
REVOKE SELECT ON app.secret FROM reader;
ANALYZE;
SQL
	psql_on dst -c "CREATE ROLE reader LOGIN"
	psql_on dst -c "CREATE DATABASE d"
	pg_dump -d "$(pgsb_conninfo src d)" | psql_on dst d >/dev/null
	# The target renders rows differently by default: the tool's session
	# settings must make the text the same on both sides.
	psql_on dst d <<'SQL'
ALTER DATABASE d SET TimeZone = 'Asia/Tokyo';
ALTER DATABASE d SET DateStyle = 'SQL, DMY';
ALTER DATABASE d SET extra_float_digits = 0;
ALTER DATABASE d SET bytea_output = 'escape';
ALTER DATABASE d SET IntervalStyle = 'sql_standard';
REFRESH MATERIALIZED VIEW app.mv_half;
SQL
	psql_on dst d -c "ALTER MATERIALIZED VIEW app.mv_half RENAME TO tmp" \
		-c "CREATE MATERIALIZED VIEW app.mv_half AS SELECT 1 AS one WITH NO DATA" -c "DROP MATERIALIZED VIEW app.tmp"
	psql_on dst d -c "REFRESH MATERIALIZED VIEW app.mv_both"
}

teardown_file() { pgsb_stop; }

src() { pgsb_conninfo src d; }
dst() { pgsb_conninfo dst d; }
# shellcheck disable=SC2120 # bats' run passes the arguments: run sums --jobs 2
sums() { table-checksum --source "$(src)" --target "$(dst)" "$@"; }
# items PATTERN...: table-list's work lines of the tables matching the patterns.
items() {
	local a=() p
	for p in "$@"; do a+=(--include-table "$p"); done
	table-list --matviews --source "$(src)" "${a[@]}"
}

@test "table-checksum: --help, --version, bad option, bad --jobs" {
	run --separate-stderr table-checksum --help
	[ "$status" -eq 0 ]
	[[ $output == *"--jobs"* ]]
	[ -z "$stderr" ]
	run --separate-stderr table-checksum --jobs 0
	[ "$status" -eq 2 ]
	[[ $stderr == *'table-checksum: error: -j/--jobs must be in range 1..1024'* ]]
	[[ $stderr == *'Try "table-checksum --help" for more information.'* ]]
}

@test "table-checksum: the same rows on both sides are equal, whatever each server's settings" {
	items app.eq app.s1 app.mv_both >"$BATS_TEST_TMPDIR/items"
	table-list --source "$(src)" -N app >>"$BATS_TEST_TMPDIR/items" # the large objects
	sums <"$BATS_TEST_TMPDIR/items" >"$BATS_TEST_TMPDIR/out"
	cut -f1-5,10 "$BATS_TEST_TMPDIR/out" | LC_ALL=C sort >"$BATS_TEST_TMPDIR/got"
	cat >"$BATS_TEST_TMPDIR/expected" <<'EOF2'
blobs	-	-	1	1	equal
matview	app	mv_both	1	1	equal
sequence	app	s1	1	1	equal
table	app	eq	1	1	equal
EOF2
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	# The value columns are the real numbers.
	[ "$(awk -F'\t' '$3 == "eq" { print $6, $8 }' "$BATS_TEST_TMPDIR/out")" = "2000 2000" ]
	[ "$(awk -F'\t' '$3 == "s1" { print $6, $7 }' "$BATS_TEST_TMPDIR/out")" = "42 true" ]
	[ "$(awk -F'\t' '$1 == "blobs" { print $6 }' "$BATS_TEST_TMPDIR/out")" = 1 ]
	[[ "$(awk -F'\t' '$3 == "eq" { print $7 }' "$BATS_TEST_TMPDIR/out")" =~ ^[0-9a-f]{32}$ ]]
}

@test "table-checksum: a changed row differs; a table missing on the target is missing; exit 0" {
	psql_on dst d -c "UPDATE app.changed SET v = 'changed' WHERE id = 7"
	psql_on dst d -c "DROP TABLE app.gone"
	items app.changed app.gone app.eq >"$BATS_TEST_TMPDIR/items"
	run --separate-stderr sums --jobs 2 <"$BATS_TEST_TMPDIR/items"
	psql_on dst d -c "UPDATE app.changed SET v = 'v7' WHERE id = 7"
	psql_on dst d -c "CREATE TABLE app.gone (i int); INSERT INTO app.gone VALUES (1)"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	printf '%s\n' "$output" | cut -f1-3,6,8,10 | LC_ALL=C sort >"$BATS_TEST_TMPDIR/got"
	printf 'table\tapp\tchanged\t30000\t30000\tdiffer\ntable\tapp\teq\t2000\t2000\tequal\ntable\tapp\tgone\t1\t-\tmissing\n' |
		diff -u - "$BATS_TEST_TMPDIR/got"
	# Same count, other checksum: the changed row is seen.
	printf '%s\n' "$output" | awk -F'\t' '$3 == "changed" { print $7; print $9 }' >"$BATS_TEST_TMPDIR/sums"
	[ "$(sort -u "$BATS_TEST_TMPDIR/sums" | wc -l)" -eq 2 ]
}

@test "table-checksum: a table unreadable on both sides is a named error on each side, exit 1, the rest compared" {
	items app.secret app.eq >"$BATS_TEST_TMPDIR/items"
	run --separate-stderr table-checksum --source "$(src) user=reader" --target "$(dst) user=reader" \
		<"$BATS_TEST_TMPDIR/items"
	[ "$status" -eq 1 ]
	[[ $stderr == *'table-checksum: error: table "app"."secret" on source: ERROR:  permission denied for table secret'* ]]
	[[ $stderr == *'table-checksum: error: table "app"."secret" on target: ERROR:  permission denied for table secret'* ]]
	printf '%s\n' "$output" | cut -f1,3,10 | LC_ALL=C sort >"$BATS_TEST_TMPDIR/got"
	printf 'table\teq\tequal\ntable\tsecret\terror\n' | diff -u - "$BATS_TEST_TMPDIR/got"
}

@test "table-checksum: an error on one side only is an error too; a wrong conninfo is one error" {
	items app.secret >"$BATS_TEST_TMPDIR/items"
	run --separate-stderr table-checksum --source "$(src)" --target "$(dst) user=reader" <"$BATS_TEST_TMPDIR/items"
	[ "$status" -eq 1 ]
	[[ $stderr == 'table-checksum: error: table "app"."secret" on target: ERROR:  permission denied for table secret'* ]]
	[ "$(printf '%s\n' "$output" | cut -f10)" = error ]
	run --separate-stderr table-checksum --source "$(src)" --target "$(dst) user=nobody" <"$BATS_TEST_TMPDIR/items"
	[ "$status" -eq 1 ]
	[[ $stderr == 'table-checksum: error: could not connect to target: '*'"nobody" does not exist'* ]]
	[ -z "$output" ]
}

@test "table-checksum: materialized views compare their populated state, and their rows when populated" {
	items 'app.mv_*' >"$BATS_TEST_TMPDIR/items"
	[ "$(cut -f1 "$BATS_TEST_TMPDIR/items" | sort -u)" = matview ]
	run --separate-stderr sums <"$BATS_TEST_TMPDIR/items"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | cut -f3,6-10 | sed 's/[0-9a-f]\{32\}/SUM/g' | LC_ALL=C sort >"$BATS_TEST_TMPDIR/got"
	cat >"$BATS_TEST_TMPDIR/expected" <<'EOF2'
mv_both	10	SUM	10	SUM	equal
mv_half	1	SUM	-	unpopulated	differ
mv_none	-	unpopulated	-	unpopulated	equal
EOF2
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	# Populated on both with other rows: differ.
	psql_on dst d -c "DELETE FROM app.changed WHERE id = 3" -c "REFRESH MATERIALIZED VIEW app.mv_both"
	items app.mv_both >"$BATS_TEST_TMPDIR/items"
	sums <"$BATS_TEST_TMPDIR/items" >"$BATS_TEST_TMPDIR/out"
	psql_on dst d -c "INSERT INTO app.changed VALUES (3, 'v3')" -c "REFRESH MATERIALIZED VIEW app.mv_both"
	[ "$(cut -f6,8,10 "$BATS_TEST_TMPDIR/out")" = "$(printf '10\t9\tdiffer')" ]
}

@test "table-checksum: key-range parts compare their own range only; page-range parts are refused" {
	table-list --source "$(src)" --include-table app.changed --split-larger-than 400kB >"$BATS_TEST_TMPDIR/items"
	[ "$(cut -f9 "$BATS_TEST_TMPDIR/items" | sort -u)" = key ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/items")" -ge 3 ]
	psql_on dst d -c "UPDATE app.changed SET v = 'changed' WHERE id = 29999"
	run --separate-stderr sums -j 3 <"$BATS_TEST_TMPDIR/items"
	psql_on dst d -c "UPDATE app.changed SET v = 'v29999' WHERE id = 29999"
	[ "$status" -eq 0 ]
	# Only the last part (hi "-") differs; the rows of the parts add up.
	printf '%s\n' "$output" | awk -F'\t' '$10 == "differ" { print $4 "/" $5 }' >"$BATS_TEST_TMPDIR/differ"
	n=$(wc -l <"$BATS_TEST_TMPDIR/items")
	[ "$(cat "$BATS_TEST_TMPDIR/differ")" = "$n/$n" ]
	[ "$(printf '%s\n' "$output" | awk -F'\t' '{ s += $6 } END { print s }')" -eq 30000 ]
	# A page-range part: refused, named, exit 1.
	item=$(printf 'table\t1\tapp\tchanged\t0\t0\t1\t2\tctid\t-\t-\t10')
	run --separate-stderr sums "$item"
	[ "$status" -eq 1 ]
	[[ $stderr == 'table-checksum: error: table "app"."changed" part 1/2: a page-range part (method ctid) cannot be compared'* ]]
	[ "$(printf '%s\n' "$output" | cut -f10)" = error ]
}

@test "table-checksum: a bad input line is an error naming it; the other lines are compared" {
	items app.eq >"$BATS_TEST_TMPDIR/items"
	printf 'garbage line\n' >>"$BATS_TEST_TMPDIR/items"
	run --separate-stderr sums <"$BATS_TEST_TMPDIR/items"
	[ "$status" -eq 1 ]
	[[ $stderr == *'work line has 1 fields'*'garbage line'* ]]
	[ "$(printf '%s\n' "$output" | cut -f3,10)" = "$(printf 'eq\tequal')" ]
}

#!/usr/bin/env bats
# fdwcopy sync and its pipeline (table-list --by-key | table-diff | copy-table
# --merge) on real servers: a target that drifted (updates, deletes, inserts,
# a key change, NULLs, text with tabs and newlines, numeric, timestamptz,
# bytea, jsonb, arrays; integer, text, uuid and composite keys; a table
# without a key; a sequence) becomes equal under fdwcopy verify, moving only
# the rows that differ; an unchanged target moves no row; --dry-run writes
# nothing; a killed merge leaves its range applied or not, and a rerun
# converges; a table missing on the target is named and nothing is written.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox
load ../lib/syncfixture

setup_file() {
	pgsb_start src dst
	psql_on src -c "CREATE DATABASE s"
	sync_source_sql | psql_on src s
	sync_base s
}

teardown_file() { pgsb_stop; }

# A fresh copy of the source per test, as database t on dst.
setup() {
	psql_on dst -c "DROP DATABASE IF EXISTS t" -c "CREATE DATABASE t TEMPLATE base"
	S=$(pgsb_conninfo src s)
	T=$(pgsb_conninfo dst t)
	export FDWCOPY_SOURCE=$S FDWCOPY_TARGET=$T   # for the tools run by hand
	W="$BATS_TEST_TMPDIR/work"
}

@test "sync: a drifted target becomes equal under verify; only differing ranges move" {
	sync_drift
	sync_drift_special
	run ! fdwcopy verify -q --source "$S" --target "$T"
	fdwcopy sync --delete --jobs 2 --chunk-rows 500 --min-chunk-rows 50 --dir "$W" \
		--source "$S" --target "$T" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	cat "$BATS_TEST_TMPDIR/out"
	fdwcopy verify --source "$S" --target "$T"
	r="$W/results"
	# Exactly the drift came back (result columns 16-18: inserted, updated,
	# deleted): t_int updated 10, 2500, 1234, 77, 600 (-0), 2801 (infinities,
	# an array's shape), inserted 7 (the key change), 1500, 1501, deleted
	# 90000, 5000, 6000; one row each elsewhere, and the two rows inserted
	# into t_comp deleted.
	[ "$(results_sum "$r" t_int 17)" -eq 6 ]
	[ "$(results_sum "$r" t_int 16)" -eq 3 ]
	[ "$(results_sum "$r" t_int 18)" -eq 3 ]
	[ "$(results_sum "$r" t_text 17)" -eq 1 ] && [ "$(results_sum "$r" t_text 16)" -eq 1 ] &&
		[ "$(results_sum "$r" t_text 18)" -eq 1 ]
	[ "$(results_sum "$r" t_uuid 17)" -eq 1 ] && [ "$(results_sum "$r" t_uuid 16)" -eq 1 ]
	[ "$(results_sum "$r" t_comp 17)" -eq 1 ] && [ "$(results_sum "$r" t_comp 16)" -eq 1 ] &&
		[ "$(results_sum "$r" t_comp 18)" -eq 2 ]
	# The unchanged table: no range differs, no result line, no row moved.
	[ "$(awk -F'\t' '$4 == "t_same"' "$W/diff.list" | wc -l)" -eq 0 ]
	[ "$(awk -F'\t' '$4 == "t_same"' "$r" | wc -l)" -eq 0 ]
	# Rows streamed: far fewer than the tables hold (ranges of at most ~50 rows).
	[ "$(results_sum "$r" t_int 13)" -lt 600 ]
	# The table without a key is copied whole (method "-"): its 300 rows.
	grep -q $'^table\t[0-9]*\tpublic\tt_nokey\t.*\t-\t-\t-\t-\t300\t' "$r"
	# The sequence is set to the source's value.
	[ "$(psql_on dst t -Atc "SELECT last_value FROM t_int_id_seq")" -eq 3000 ]
	grep -q '^  public.t_int  *[0-9]* *[0-9]* *3 *6 *3$' "$BATS_TEST_TMPDIR/out"
}

@test "sync: an unchanged target moves no row; a second run after a sync moves none" {
	fdwcopy sync --delete --jobs 2 --dir "$W" --source "$S" --target "$T" >"$BATS_TEST_TMPDIR/out"
	[ ! -s "$W/diff.list" ]
	[ ! -s "$W/results" ]
	grep -q '6 tables, 6 ranges, 0 differing: 0 rows inserted, 0 updated, 0 deleted; 0 sequences set' "$BATS_TEST_TMPDIR/out"
	sync_drift
	fdwcopy sync --delete --dir "$W.2" --source "$S" --target "$T" >/dev/null
	# each differing table whole (not cut), compared row by row: one result
	# line, and only its 7 new or changed rows read from the source
	[ "$(awk -F'\t' '$4 == "t_int"' "$W.2/results" | wc -l)" -eq 1 ]
	[ "$(results_sum "$W.2/results" t_int 13)" -eq 7 ]
	[ "$(results_sum "$W.2/results" t_int 18)" -eq 3 ]
	fdwcopy sync --delete --dir "$W.3" --source "$S" --target "$T" >"$BATS_TEST_TMPDIR/out3"
	[ ! -s "$W.3/results" ]
	grep -q ' 0 differing: 0 rows inserted, 0 updated, 0 deleted' "$BATS_TEST_TMPDIR/out3"
}

@test "sync --dry-run prints the plan and changes nothing" {
	sync_drift
	pg_dump --data-only -d "$T" | grep -v '^\\\(un\)\?restrict ' | md5sum >"$BATS_TEST_TMPDIR/before"
	fdwcopy sync --dry-run --delete --chunk-rows 500 --source "$S" --target "$T" >"$BATS_TEST_TMPDIR/plan"
	pg_dump --data-only -d "$T" | grep -v '^\\\(un\)\?restrict ' | md5sum >"$BATS_TEST_TMPDIR/after"
	cmp "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	cat "$BATS_TEST_TMPDIR/plan"
	grep -q '^plan (dry run: nothing was written to the target)$' "$BATS_TEST_TMPDIR/plan"
	grep -q '^  public.t_nokey  *whole (no key)  *1  *1   copied whole (TRUNCATE + COPY)$' "$BATS_TEST_TMPDIR/plan"
	# one range per table listed (cut by table-diff only where it differs)
	grep -q '^  public.t_same  *key (id)  *1  *0$' "$BATS_TEST_TMPDIR/plan"
	grep -q '^  public.t_comp  *key (a,b)  *1  *[1-9]' "$BATS_TEST_TMPDIR/plan"
	grep -q '1 sequences differ$' "$BATS_TEST_TMPDIR/plan"
}

@test "sync: an unchanged table costs one hash query a side and no key scan; one changed row is found" {
	sync_drift
	table-list --by-key --one-range >"$BATS_TEST_TMPDIR/chunks"
	# one range per table with a key, open at both ends
	[ "$(awk -F'\t' '$1 == "table" && $4 == "t_same" && $11 == "-" && $12 == "-"' "$BATS_TEST_TMPDIR/chunks" | wc -l)" -eq 1 ]
	table-diff -v --chunk-rows 500 --min-chunk-rows 50 <"$BATS_TEST_TMPDIR/chunks" >"$BATS_TEST_TMPDIR/diff" 2>"$BATS_TEST_TMPDIR/err"
	# t_same: one comparison of the whole table, equal; no range of it compared
	[ "$(grep -c '"public"."t_same"' "$BATS_TEST_TMPDIR/err")" -eq 1 ]
	grep -q '^table-diff: debug: table "public"."t_same": equal (2000)$' "$BATS_TEST_TMPDIR/err"
	# t_int differs: cut into ranges of 500 rows, then the differing ones again
	grep -q '^table-diff: debug: table "public"."t_int": differs' "$BATS_TEST_TMPDIR/err"
	grep -q '^table-diff: debug: table "public"."t_int" range \[-, (501)): differs' "$BATS_TEST_TMPDIR/err"
	[ "$(awk -F'\t' '$4 == "t_same"' "$BATS_TEST_TMPDIR/diff" | wc -l)" -eq 0 ]
	[ "$(awk -F'\t' '$4 == "t_int"' "$BATS_TEST_TMPDIR/diff" | wc -l)" -ge 4 ]
	# one row of the unchanged table changed (in its last column): found, merged
	psql_on dst t -c "UPDATE t_same SET v = 'changed' WHERE id = 1999"
	fdwcopy sync --delete --dir "$W" --source "$S" --target "$T" >/dev/null
	[ "$(awk -F'\t' '$4 == "t_same"' "$W/diff.list" | wc -l)" -eq 1 ]
	[ "$(results_sum "$W/results" t_same 17)" -eq 1 ]
	fdwcopy verify --source "$S" --target "$T" >/dev/null
}

@test "table-diff: the row hash sees NULLs moved between columns, values swapped between rows, and values equal but written differently" {
	psql_on src -c "DROP DATABASE IF EXISTS h" -c "CREATE DATABASE h"
	psql_on src h <<'SQL'
CREATE TABLE t_h (id int PRIMARY KEY, a text, b text, j jsonb, i interval, arr int[], n numeric, ts timestamptz,
  f float8, r real, d date, t timestamp);
INSERT INTO t_h SELECT g, CASE WHEN g = 5 THEN NULL ELSE 'a' || g END, CASE WHEN g = 5 THEN 'a5' ELSE 'b' || g END,
  jsonb_build_object('n', g), g * interval '1 hour', ARRAY[g, g + 1], g, '2024-01-01 00:00+00'::timestamptz + g * interval '1 minute',
  g - 20, g - 20, '2024-01-01'::date + g, '2024-01-01'::timestamp + g * interval '1 minute'
FROM generate_series(1, 2000) g;
UPDATE t_h SET n = 'NaN', f = 'NaN' WHERE id = 22;
UPDATE t_h SET d = 'infinity', ts = 'infinity', t = '-infinity' WHERE id = 30;
SQL
	psql_on dst -c "DROP DATABASE IF EXISTS h" -c "CREATE DATABASE h"
	pg_dump -d "$(pgsb_conninfo src h)" | psql -X -q -v ON_ERROR_STOP=1 -d "$(pgsb_conninfo dst h)" >/dev/null
	FDWCOPY_SOURCE=$(pgsb_conninfo src h)
	FDWCOPY_TARGET=$(pgsb_conninfo dst h)
	table-list --by-key --one-range >"$BATS_TEST_TMPDIR/chunks"
	table-diff -q <"$BATS_TEST_TMPDIR/chunks" >"$BATS_TEST_TMPDIR/diff"
	[ ! -s "$BATS_TEST_TMPDIR/diff" ]
	# each change alone, then undone: (NULL, 'a5') -> ('a5', NULL); two rows
	# swap a value; jsonb 7 -> 7.0; interval 24 hours -> 1 day; an array's
	# lower bound and shape; numeric 9 -> 9.0, NaN -> NULL; float 0 -> -0
	# and NULL, NaN -> NULL; the infinities of date, timestamptz and
	# timestamp; a microsecond of a timestamptz
	while IFS='|' read -r change undo; do
		psql_on dst h -c "$change"
		table-diff -q <"$BATS_TEST_TMPDIR/chunks" >"$BATS_TEST_TMPDIR/diff"
		[ "$(grep -c $'^table\t' "$BATS_TEST_TMPDIR/diff")" -eq 1 ] || { echo "not found: $change"; return 1; }
		psql_on dst h -c "$undo"
	done <<'CASES'
UPDATE t_h SET a = 'a5', b = NULL WHERE id = 5|UPDATE t_h SET a = NULL, b = 'a5' WHERE id = 5
UPDATE t_h SET b = CASE id WHEN 10 THEN 'b11' ELSE 'b10' END WHERE id IN (10, 11)|UPDATE t_h SET b = 'b' || id WHERE id IN (10, 11)
UPDATE t_h SET j = '{"n": 7.0}' WHERE id = 7|UPDATE t_h SET j = '{"n": 7}' WHERE id = 7
UPDATE t_h SET i = '1 day' WHERE id = 24|UPDATE t_h SET i = '24:00:00' WHERE id = 24
UPDATE t_h SET arr = '[0:1]={8,9}' WHERE id = 8|UPDATE t_h SET arr = '{8,9}' WHERE id = 8
UPDATE t_h SET n = 9.0 WHERE id = 9|UPDATE t_h SET n = 9 WHERE id = 9
UPDATE t_h SET arr = '{{12},{13}}' WHERE id = 12|UPDATE t_h SET arr = '{12,13}' WHERE id = 12
UPDATE t_h SET n = NULL WHERE id = 22|UPDATE t_h SET n = 'NaN' WHERE id = 22
UPDATE t_h SET f = '-0' WHERE id = 20|UPDATE t_h SET f = 0 WHERE id = 20
UPDATE t_h SET r = '-0' WHERE id = 20|UPDATE t_h SET r = 0 WHERE id = 20
UPDATE t_h SET f = NULL WHERE id = 20|UPDATE t_h SET f = 0 WHERE id = 20
UPDATE t_h SET f = NULL WHERE id = 22|UPDATE t_h SET f = 'NaN' WHERE id = 22
UPDATE t_h SET d = '-infinity' WHERE id = 30|UPDATE t_h SET d = 'infinity' WHERE id = 30
UPDATE t_h SET ts = '-infinity' WHERE id = 30|UPDATE t_h SET ts = 'infinity' WHERE id = 30
UPDATE t_h SET t = 'infinity' WHERE id = 30|UPDATE t_h SET t = '-infinity' WHERE id = 30
UPDATE t_h SET ts = ts + interval '1 microsecond' WHERE id = 1500|UPDATE t_h SET ts = ts - interval '1 microsecond' WHERE id = 1500
CASES
	table-diff -q <"$BATS_TEST_TMPDIR/chunks" >"$BATS_TEST_TMPDIR/diff"
	[ ! -s "$BATS_TEST_TMPDIR/diff" ]
	psql_on src -c "DROP DATABASE h"
	psql_on dst -c "DROP DATABASE h"
}

@test "sync: a table missing on the target is named and nothing is written" {
	sync_drift
	psql_on dst t -c "DROP TABLE t_same" -c 'ALTER TABLE t_uuid RENAME TO "t uuid"'
	pg_dump --data-only -d "$T" | grep -v '^\\\(un\)\?restrict ' | md5sum >"$BATS_TEST_TMPDIR/before"
	run --separate-stderr fdwcopy sync --source "$S" --target "$T"
	[ "$status" -eq 1 ]
	# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
	# (fdwcopy check's data-only check, before anything is read or written)
	[[ $stderr == *'fdwcopy sync: problem: the target has no table public.t_same to load (sync compares existing tables)'* ]]
	[[ $stderr == *'fdwcopy sync: problem: the target has no table public.t_uuid to load (sync compares existing tables)'* ]]
	[[ $stderr == *"fdwcopy: error: 2 problems found before anything was written; nothing was written to the target"* ]]
	[[ $stderr == *"hint: pass --schema to create what the target lacks"* ]]
	pg_dump --data-only -d "$T" | grep -v '^\\\(un\)\?restrict ' | md5sum >"$BATS_TEST_TMPDIR/after"
	cmp "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

@test "copy-table --merge killed in the middle leaves its range as it was; a rerun of sync converges" {
	sync_drift
	# The upsert of t_int's range waits on the target (a statement trigger
	# sleeps), so that copy-table can be killed inside the transaction; the
	# delete of that range (of key 90000, 5000, 6000) has run by then.
	psql_on dst t <<'SQL'
CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$;
CREATE TRIGGER slow AFTER INSERT ON t_int FOR EACH STATEMENT EXECUTE FUNCTION slow();
ALTER DATABASE t SET client_connection_check_interval = '100ms';
SQL
	table-list --by-key --include-table t_int >"$BATS_TEST_TMPDIR/chunks"
	table-diff --min-chunk-rows 10000 <"$BATS_TEST_TMPDIR/chunks" >"$BATS_TEST_TMPDIR/diff" 2>/dev/null
	# one range of 3000 rows, not cut (and the sequence)
	[ "$(grep -c $'^table\t' "$BATS_TEST_TMPDIR/diff")" -eq 1 ]
	copy-table --merge --delete <"$BATS_TEST_TMPDIR/diff" >"$BATS_TEST_TMPDIR/results" 2>/dev/null &
	pid=$!
	for _ in $(seq 1 100); do
		n=$(psql_on dst t -Atc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'copy-table' AND wait_event = 'PgSleep'")
		[ "$n" -eq 0 ] || break
		sleep 0.1
	done
	[ "$n" -eq 1 ]
	kill -KILL "$pid"
	wait "$pid" || true
	for _ in $(seq 1 100); do
		n=$(psql_on dst t -Atc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'copy-table'")
		[ "$n" -eq 0 ] && break
		sleep 0.1
	done
	[ "$n" -eq 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/results" ]
	# Not applied at all: the deleted and the changed rows are still as the drift left them.
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM t_int WHERE id IN (90000, 5000, 6000)")" -eq 3 ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM t_int WHERE id IN (7, 1500, 1501)")" -eq 0 ]
	[ "$(psql_on dst t -Atc "SELECT txt FROM t_int WHERE id = 10")" = $'changed\ttab\nline' ]
	# the setting is the target database's own: verify compares the database's properties
	psql_on dst t -c "DROP TRIGGER slow ON t_int" -c "DROP FUNCTION slow()" -c "ALTER DATABASE t RESET client_connection_check_interval"
	fdwcopy sync --delete --source "$S" --target "$T" >/dev/null
	fdwcopy verify --source "$S" --target "$T" >/dev/null
}

@test "copy-table --merge --batch-rows: a whole table's differing rows are applied in batches, each whole or not; a rerun converges" {
	sync_drift
	# t_int's differing keys in key order: 7, 10, 77, 1234, 1500, 1501, 2500
	# (upserts), 5000, 6000, 90000 (deletes); in batches of 2, the second
	# ({77, 1234}) fails on 1234's update
	psql_on dst t <<'SQL'
CREATE FUNCTION no_1234() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  IF NEW.id = 1234 THEN RAISE EXCEPTION 'no update of 1234'; END IF; RETURN NEW; END $$;
CREATE TRIGGER no_1234 BEFORE UPDATE ON t_int FOR EACH ROW EXECUTE FUNCTION no_1234();
SQL
	table-list --by-key --one-range --include-table t_int >"$BATS_TEST_TMPDIR/chunks"
	[ "$(grep -c $'^table\t' "$BATS_TEST_TMPDIR/chunks")" -eq 1 ]
	run --separate-stderr copy-table --merge --delete --batch-rows 2 <"$BATS_TEST_TMPDIR/chunks"
	[ "$status" -eq 1 ]
	[[ $stderr == *'no update of 1234'* ]]
	# the first batch is applied, the second not at all, nor any after it
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM t_int WHERE id = 7")" -eq 1 ]
	[ "$(psql_on dst t -Atc "SELECT txt FROM t_int WHERE id = 10")" = $'row 10\twith tab\nand newline' ]
	[ "$(psql_on dst t -Atc "SELECT j FROM t_int WHERE id = 77")" = '{"g": 0}' ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM t_int WHERE id IN (1500, 1501)")" -eq 0 ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM t_int WHERE id IN (5000, 6000, 90000)")" -eq 3 ]
	psql_on dst t -c "DROP TRIGGER no_1234 ON t_int" -c "DROP FUNCTION no_1234()"
	# the rerun: the 8 keys left, in batches of 3, 3 and 2
	copy-table -v --merge --delete --batch-rows 3 <"$BATS_TEST_TMPDIR/chunks" >"$BATS_TEST_TMPDIR/results" 2>"$BATS_TEST_TMPDIR/err"
	grep -q ': 3000 source rows and 3001 target rows listed, 3 batches$' "$BATS_TEST_TMPDIR/err"
	[ "$(results_sum "$BATS_TEST_TMPDIR/results" t_int 16)" -eq 2 ] && [ "$(results_sum "$BATS_TEST_TMPDIR/results" t_int 17)" -eq 3 ] &&
		[ "$(results_sum "$BATS_TEST_TMPDIR/results" t_int 18)" -eq 3 ]
	[ "$(results_sum "$BATS_TEST_TMPDIR/results" t_int 13)" -eq 5 ]
	# t_int is equal now: table-diff passes it on no more
	table-diff -q <"$BATS_TEST_TMPDIR/chunks" >"$BATS_TEST_TMPDIR/diff"
	[ "$(grep -c $'^table\t' "$BATS_TEST_TMPDIR/diff")" -eq 0 ]
	run -2 copy-table --batch-rows 5 </dev/null
}

@test "copy-table --merge: a range is compared row by row and only its differing rows move; --row-diff-max 0 moves it whole" {
	sync_drift
	psql_on dst -c "DROP DATABASE IF EXISTS t2" -c "CREATE DATABASE t2 TEMPLATE t"
	T2=$(pgsb_conninfo dst t2)
	table-list --by-key --include-table t_int --include-table t_text --include-table t_uuid --include-table t_comp \
		--include-table t_nokey >"$BATS_TEST_TMPDIR/chunks"
	# one range per table (integer, text, uuid and composite keys), not cut, and the table without a key
	table-diff --min-chunk-rows 10000 <"$BATS_TEST_TMPDIR/chunks" >"$BATS_TEST_TMPDIR/diff" 2>/dev/null
	[ "$(grep -c $'^table\t' "$BATS_TEST_TMPDIR/diff")" -eq 5 ]
	copy-table --merge --delete <"$BATS_TEST_TMPDIR/diff" >"$BATS_TEST_TMPDIR/rows"
	copy-table --merge --delete --row-diff-max 0 --target "$T2" <"$BATS_TEST_TMPDIR/diff" >"$BATS_TEST_TMPDIR/whole"
	fdwcopy verify --source "$S" --target "$T" >/dev/null
	fdwcopy verify --source "$S" --target "$T2" >/dev/null
	for f in rows whole; do
		r="$BATS_TEST_TMPDIR/$f"
		[ "$(results_sum "$r" t_int 16)" -eq 3 ] && [ "$(results_sum "$r" t_int 17)" -eq 4 ] &&
			[ "$(results_sum "$r" t_int 18)" -eq 3 ]
		[ "$(results_sum "$r" t_text 16)" -eq 1 ] && [ "$(results_sum "$r" t_text 17)" -eq 1 ] &&
			[ "$(results_sum "$r" t_text 18)" -eq 1 ]
		[ "$(results_sum "$r" t_comp 16)" -eq 1 ] && [ "$(results_sum "$r" t_comp 17)" -eq 1 ] &&
			[ "$(results_sum "$r" t_comp 18)" -eq 2 ]
	done
	# Rows read from the source and streamed (result column 13): only the 7
	# inserted or updated rows of t_int's 3000, 2 of each other table's; the
	# whole range with --row-diff-max 0.
	[ "$(results_sum "$BATS_TEST_TMPDIR/rows" t_int 13)" -eq 7 ]
	[ "$(results_sum "$BATS_TEST_TMPDIR/rows" t_text 13)" -eq 2 ]
	[ "$(results_sum "$BATS_TEST_TMPDIR/rows" t_uuid 13)" -eq 2 ]
	[ "$(results_sum "$BATS_TEST_TMPDIR/rows" t_comp 13)" -eq 2 ]
	[ "$(results_sum "$BATS_TEST_TMPDIR/whole" t_int 13)" -eq 3000 ]
	# An equal range: nothing read, nothing written (the table without a key is copied whole again).
	copy-table --merge --delete <"$BATS_TEST_TMPDIR/diff" >"$BATS_TEST_TMPDIR/again"
	[ "$(awk -F'\t' '$1 == "table" && $9 != "-" { s += $13 + $16 + $17 + $18 } END { print s + 0 }' "$BATS_TEST_TMPDIR/again")" -eq 0 ]
	run -2 copy-table --merge --row-diff-max 101 </dev/null
	psql_on dst -c "DROP DATABASE t2"
}

@test "table-list --by-key: integer, text, uuid and composite keys; ranges cover each row once" {
	table-list --by-key --chunk-rows 100 >"$BATS_TEST_TMPDIR/chunks"
	for t in t_int t_text t_uuid t_comp; do
		awk -F'\t' -v t="$t" '$4 == t' "$BATS_TEST_TMPDIR/chunks" >"$BATS_TEST_TMPDIR/$t"
		# first range open below, last open above, each hi the next lo
		awk -F'\t' 'NR == 1 && $11 != "-" { exit 1 } NR > 1 && $11 != hi { exit 1 } { hi = $12 } END { if (hi != "-") exit 1 }' \
			"$BATS_TEST_TMPDIR/$t"
		n=$(psql_on src s -Atc "SELECT count(*) FROM $t")
		[ "$(wc -l <"$BATS_TEST_TMPDIR/$t")" -eq $(((n + 99) / 100)) ]
	done
	grep -qE $'\tt_comp\t.*\trange\t\\(a,b\\)\t-\t\\([0-9]+,"b [0-9]+"\\)$' "$BATS_TEST_TMPDIR/chunks"
	# text keys with tabs and newlines travel escaped in the bounds
	[ "$(awk -F'\t' '$4 == "t_text" && $11 ~ /\\[tn]/' "$BATS_TEST_TMPDIR/chunks" | wc -l)" -gt 0 ]
	# The source against itself: every range equal.
	FDWCOPY_TARGET=$S table-diff -q <"$BATS_TEST_TMPDIR/chunks" >"$BATS_TEST_TMPDIR/none"
	[ ! -s "$BATS_TEST_TMPDIR/none" ]
	grep -q $'^table\t[0-9]*\tpublic\tt_nokey\t[0-9]*\t[0-9]*\t1\t1\t-\t-\t-\t-$' "$BATS_TEST_TMPDIR/chunks"
	run table-list --chunk-rows 10
	[ "$status" -eq 2 ]
	[[ $output == *"--chunk-rows needs --by-key"* ]]
}

@test "table-diff: a column on one side only is a warning, an error with --strict" {
	psql_on dst t -c "ALTER TABLE t_same ADD COLUMN extra int DEFAULT 1"
	table-list --by-key --include-table t_same >"$BATS_TEST_TMPDIR/chunks"
	run --separate-stderr table-diff <"$BATS_TEST_TMPDIR/chunks"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ $stderr == *'table-diff: warning: table "public"."t_same": column "extra" only on the target: not compared'* ]]
	run --separate-stderr table-diff --strict <"$BATS_TEST_TMPDIR/chunks"
	[ "$status" -eq 1 ]
	[[ $stderr == *'table-diff: error: table "public"."t_same": column "extra" only on the target'* ]]
}

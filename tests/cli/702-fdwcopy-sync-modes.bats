#!/usr/bin/env bats
# fdwcopy sync's modes on real servers: --since/--updated-at (incremental:
# only the rows changed since then move, and --since last continues from the
# value the previous run recorded, a transaction in flight during a run
# included); foreign keys between tables hold at the end of every merge
# (referenced tables first, deletes referencing tables first).

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox
load ../lib/syncfixture

setup_file() {
	pgsb_start src dst
	psql_on src -c "CREATE DATABASE s"
	psql_on src s <<'SQL'
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TABLE t_inc (id int PRIMARY KEY, v text, updated_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON t_inc (updated_at);
CREATE TRIGGER touch BEFORE UPDATE ON t_inc FOR EACH ROW EXECUTE FUNCTION touch();
INSERT INTO t_inc SELECT g, 'v' || g, '2020-01-01 00:00+00' FROM generate_series(1, 2000) g;
CREATE TABLE t_day (a int, b text, updated_at date, PRIMARY KEY (a, b));
INSERT INTO t_day SELECT g % 10, 'b' || g, '2020-01-01' FROM generate_series(1, 500) g;
CREATE TABLE t_plain (id int PRIMARY KEY, v text);
INSERT INTO t_plain SELECT g, 'p' || g FROM generate_series(1, 300) g;
CREATE TABLE parent (id int PRIMARY KEY, v text);
INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 100) g;
-- larger than parent: listed (and merged, without ordering) first
CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent, v text);
INSERT INTO child SELECT g, g % 100 + 1, repeat('c', 50) FROM generate_series(1, 3000) g;
CREATE TABLE grandchild (id int PRIMARY KEY, child_id int REFERENCES child DEFERRABLE);
INSERT INTO grandchild SELECT g, g FROM generate_series(1, 200) g;
ANALYZE;
SQL
	sync_base s
}

teardown_file() { pgsb_stop; }

setup() {
	psql_on dst -c "DROP DATABASE IF EXISTS t" -c "CREATE DATABASE t TEMPLATE base"
	psql_on src -c "DROP DATABASE IF EXISTS s2" -c "CREATE DATABASE s2 TEMPLATE s"
	S=$(pgsb_conninfo src s2)
	T=$(pgsb_conninfo dst t)
	export FDWCOPY_SOURCE=$S FDWCOPY_TARGET=$T
	W="$BATS_TEST_TMPDIR/work"
}

@test "sync --since: only the rows changed since then are read and merged; --since last continues" {
	fdwcopy sync --since '2021-01-01 00:00+00' --updated-at updated_at --dir "$W" >"$BATS_TEST_TMPDIR/out"
	cat "$BATS_TEST_TMPDIR/out"
	# nothing changed since 2021: no row of t_inc was even read
	[ "$(results_sum "$W/results" t_inc 13)" -eq 0 ]
	[ "$(results_sum "$W/results" t_day 13)" -eq 0 ]
	grep -q '^  public.t_inc  *1  *1  *0  *0  *0$' "$BATS_TEST_TMPDIR/out"
	[ -s "$W/since" ]
	psql_on src s2 <<'SQL'
UPDATE t_inc SET v = 'changed' WHERE id IN (5, 50, 500, 1500, 1999, 7, 8);
INSERT INTO t_inc (id, v) VALUES (3001, 'new'), (3002, 'new'), (3003, NULL);
UPDATE t_day SET b = b || ' moved', updated_at = current_date WHERE a = 3 AND b = 'b13';
UPDATE t_plain SET v = 'changed' WHERE id = 3;
SQL
	# and one change on the target that --since does not see (an old row)
	psql_on dst t -c "UPDATE t_inc SET v = 'drift' WHERE id = 1000"
	fdwcopy sync --since last --updated-at updated_at --dir "$W" >"$BATS_TEST_TMPDIR/out2"
	cat "$BATS_TEST_TMPDIR/out2"
	# exactly the 10 changed rows of t_inc were read: 7 updated, 3 inserted
	[ "$(results_sum "$W/results" t_inc 13)" -eq 10 ]
	[ "$(results_sum "$W/results" t_inc 16)" -eq 3 ]
	[ "$(results_sum "$W/results" t_inc 17)" -eq 7 ]
	# a date column and a composite key: the day's row (its key changed: inserted)
	[ "$(results_sum "$W/results" t_day 13)" -eq 1 ]
	[ "$(results_sum "$W/results" t_day 16)" -eq 1 ]
	# the table without the column is compared and its range merged
	[ "$(results_sum "$W/results" t_plain 17)" -eq 1 ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM t_inc WHERE v = 'changed'")" -eq 7 ]
	[ "$(psql_on dst t -Atc "SELECT v FROM t_inc WHERE id = 1000")" = drift ]
	# a third run: nothing changed since the second one
	fdwcopy sync --since last --updated-at updated_at --dir "$W" >/dev/null
	[ "$(results_sum "$W/results" t_inc 13)" -eq 0 ]
}

@test "sync --since last: a transaction in flight during a run is merged by the next one" {
	fdwcopy sync --since '2021-01-01 00:00+00' --updated-at updated_at --dir "$W" >/dev/null
	# A transaction that changes a row (updated_at = its start) before the
	# run's snapshot and commits after it.
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	psql_on src s2 <"$BATS_TEST_TMPDIR/fifo" >"$BATS_TEST_TMPDIR/psql.out" 2>&1 &
	psql_pid=$!
	exec {fd}>"$BATS_TEST_TMPDIR/fifo"
	echo "BEGIN; UPDATE t_inc SET v = 'in flight' WHERE id = 42; SELECT pg_sleep(1);" >&$fd
	for _ in $(seq 1 100); do
		n=$(psql_on src s2 -Atc "SELECT count(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()")
		[ "$n" -eq 0 ] || break
		sleep 0.1
	done
	[ "$n" -eq 1 ]
	sleep 1.2
	fdwcopy sync --since last --updated-at updated_at --dir "$W" >/dev/null
	[ "$(results_sum "$W/results" t_inc 13)" -eq 0 ]
	echo "COMMIT;" >&$fd
	exec {fd}>&-
	wait "$psql_pid"
	# the target's trigger (copied from the source) would stamp the merged
	# row with the target's now(): off
	fdwcopy sync --disable-triggers --since last --updated-at updated_at --dir "$W" >/dev/null
	[ "$(results_sum "$W/results" t_inc 17)" -eq 1 ]
	[ "$(psql_on dst t -Atc "SELECT v FROM t_inc WHERE id = 42")" = "in flight" ]
	fdwcopy verify --source "$S" --target "$T" >/dev/null
}

@test "sync --since: bad combinations and values are named" {
	run --separate-stderr fdwcopy sync --since last --updated-at updated_at
	[ "$status" -eq 2 ]
	# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
	[[ $stderr == *'--since last needs --dir'* ]]
	run --separate-stderr fdwcopy sync --since '2021-01-01'
	[ "$status" -eq 2 ]
	[[ $stderr == *'--since needs --updated-at'* ]]
	run --separate-stderr fdwcopy sync --since '2021-01-01' --updated-at updated_at --delete
	[ "$status" -eq 2 ]
	[[ $stderr == *'--since cannot be used with --delete'* ]]
	run --separate-stderr fdwcopy sync --since 'yesterday-ish' --updated-at updated_at
	[ "$status" -eq 1 ]
	[[ $stderr == *'fdwcopy: error: invalid value "yesterday-ish" for --since: invalid input syntax for type timestamp with time zone'* ]]
	run --separate-stderr fdwcopy sync --since last --updated-at updated_at --dir "$W"
	[ "$status" -eq 1 ]
	[[ $stderr == *"--since last: no value recorded in \"$W/since\""* ]]
	run --separate-stderr copy-table --merge --since 2021-01-01
	[ "$status" -eq 2 ]
	[[ $stderr == *'--since needs --updated-at'* ]]
}

@test "sync --delete: foreign keys between tables hold at the end of each merge" {
	# new rows referencing new rows, and deleted rows referenced by deleted rows
	psql_on src s2 <<'SQL'
INSERT INTO parent VALUES (1001, 'new');
INSERT INTO child VALUES (5001, 1001, 'new child');
INSERT INTO grandchild VALUES (9001, 5001);
UPDATE child SET parent_id = 1001 WHERE id = 10;
DELETE FROM grandchild WHERE child_id IN (SELECT id FROM child WHERE parent_id = 7);
DELETE FROM child WHERE parent_id = 7;
DELETE FROM parent WHERE id = 7;
SQL
	fdwcopy sync --delete --jobs 1 --dir "$W" >"$BATS_TEST_TMPDIR/out"
	grep -q '^merge: 3 levels of foreign keys, referenced tables first, then the deletes, referencing tables first$' "$BATS_TEST_TMPDIR/out"
	fdwcopy verify >/dev/null
	[ "$(results_sum "$W/results" parent 18)" -eq 1 ]
	[ "$(results_sum "$W/results" child 18)" -eq 30 ]
	[ "$(results_sum "$W/results" child 16)" -eq 1 ]
	# grandchild, referenced by no table, was merged with its deletes in one pass
	[ "$(results_sum "$W/results" grandchild 18)" -eq 2 ]
	[ "$(awk -F'\t' '$4 == "grandchild"' "$W/results" | wc -l)" -eq "$(awk -F'\t' '$4 == "grandchild"' "$W/diff.list" | wc -l)" ]
}

@test "sync --delete-extra-tables: the target's tables the source lacks, in the selected schemas, listed then dropped" {
	psql_on dst t <<'SQL'
CREATE TABLE t_extra (i int);
CREATE TABLE "we""ird ext" (i int);
CREATE SCHEMA other;
CREATE TABLE other.keep (i int);
SQL
	fdwcopy sync --dry-run --delete-extra-tables -n public >"$BATS_TEST_TMPDIR/plan"
	grep -q '^extra tables: 2 on the target that the source does not have (dry run: not dropped):$' "$BATS_TEST_TMPDIR/plan"
	grep -q '^  DROP TABLE "public"."t_extra"$' "$BATS_TEST_TMPDIR/plan"
	grep -q '^  DROP TABLE "public"."we""ird ext"$' "$BATS_TEST_TMPDIR/plan"
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM pg_tables WHERE tablename IN ('t_extra', 'we\"ird ext', 'keep')")" -eq 3 ]
	fdwcopy sync --delete-extra-tables -n public >"$BATS_TEST_TMPDIR/out"
	grep -q '^extra tables: 2 on the target that the source does not have, dropped:$' "$BATS_TEST_TMPDIR/out"
	[ "$(psql_on dst t -Atc "SELECT string_agg(schemaname || '.' || tablename, ' ') FROM pg_tables WHERE tablename IN ('t_extra', 'we\"ird ext', 'keep')")" = other.keep ]
	# without the option nothing is dropped
	psql_on dst t -c "CREATE TABLE t_extra2 (i int)"
	fdwcopy sync -n public >/dev/null
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM pg_tables WHERE tablename = 't_extra2'")" -eq 1 ]
}

@test "sync --schema: what the target lacks is created first (dry run: listed only), then filled; nothing dropped" {
	psql_on src s2 <<'SQL'
CREATE SCHEMA extra;
CREATE TABLE extra."new t" (id serial PRIMARY KEY, pid int REFERENCES parent, v text DEFAULT 'd');
CREATE INDEX new_v ON extra."new t" (v);
COMMENT ON TABLE extra."new t" IS 'new';
INSERT INTO extra."new t" (pid, v) SELECT g % 100 + 1, 'v' || g FROM generate_series(1, 700) g;
CREATE TABLE extra.parted (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
CREATE TABLE extra.parted_1 PARTITION OF extra.parted FOR VALUES FROM (0) TO (1000);
INSERT INTO extra.parted SELECT g, 'p' FROM generate_series(1, 50) g;
CREATE INDEX t_plain_v ON t_plain (v);
SQL
	psql_on dst t -c "CREATE INDEX target_only ON t_plain (id, v)"
	fdwcopy sync --dry-run --schema --dir "$W" >"$BATS_TEST_TMPDIR/plan"
	cat "$BATS_TEST_TMPDIR/plan"
	grep -q '^  create SCHEMA - extra$' "$BATS_TEST_TMPDIR/plan"
	grep -q '^  create TABLE extra new t$' "$BATS_TEST_TMPDIR/plan"
	grep -q '^  create INDEX public t_plain_v$' "$BATS_TEST_TMPDIR/plan"
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM pg_namespace WHERE nspname = 'extra'")" -eq 0 ]
	fdwcopy sync --schema --delete --dir "$W.2" >"$BATS_TEST_TMPDIR/out"
	# the schema as the source has it (plus the target's own index), the rows too
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM extra.\"new t\"")" -eq 700 ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM extra.parted")" -eq 50 ]
	[ "$(psql_on dst t -Atc "SELECT obj_description('extra.\"new t\"'::regclass)")" = new ]
	psql_on dst t -c "DROP INDEX target_only"
	fdwcopy verify >/dev/null
	# a rerun has nothing to create
	fdwcopy sync --schema --dir "$W.3" >"$BATS_TEST_TMPDIR/out3"
	grep -q '^schema: the target has every selected schema, table, sequence and index$' "$BATS_TEST_TMPDIR/out3"
}

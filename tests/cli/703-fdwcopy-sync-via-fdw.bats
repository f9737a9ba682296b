#!/usr/bin/env bats
# fdwcopy sync --via-fdw on real servers: fdwcopy connects to the target only,
# which reads the source through a temporary postgres_fdw server, user mapping
# and schemas of foreign tables. A drifted target becomes equal under fdwcopy
# verify; afterwards no server, user mapping or schema of the mode is left
# (nor postgres_fdw, which the target lacked), the target's own foreign server
# is untouched, and the source's password is neither in the target's server
# log (log_statement = all) nor in ps. A failing run, a killed driver (its
# watchdog) and a killed driver and watchdog (the next run) leave none behind.
# shellcheck disable=SC2154 # stderr is set by run --separate-stderr

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox
load ../lib/syncfixture

setup_file() {
	pgsb_start src dst
	psql_on dst -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
	psql_on src -c "ALTER SYSTEM SET log_statement = 'all'" -c "ALTER SYSTEM SET log_connections = on" -c "SELECT pg_reload_conf()" >/dev/null
	# the source asks the role for its password (SCRAM)
	psql_on src -c "CREATE ROLE mover LOGIN SUPERUSER PASSWORD 'Via-Sekr3t'"
	sed -i '1i local all mover scram-sha-256' "$PGSB_DIR/src/pg_hba.conf"
	psql_on src -c "SELECT pg_reload_conf()" >/dev/null
	psql_on src -c "CREATE DATABASE s"
	sync_source_sql | psql_on src s
	sync_base s
}

teardown_file() { pgsb_stop; }

teardown() {
	if [ -n "${sampler:-}" ]; then kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; fi
	if [ -n "${syncpid:-}" ]; then kill -KILL -- "-$syncpid" 2>/dev/null || true; fi
}

# A fresh copy of the source per test, as database t on dst; the source's
# conninfo (password included) in fdwcopy's environment, as fdwcopy(1) says.
setup() {
	psql_on dst -c "DROP DATABASE IF EXISTS t" -c "CREATE DATABASE t TEMPLATE base"
	FDWCOPY_SOURCE="$(pgsb_conninfo src s) user=mover password=Via-Sekr3t"
	T=$(pgsb_conninfo dst t)
	export FDWCOPY_SOURCE FDWCOPY_TARGET=$T
	W="$BATS_TEST_TMPDIR/work"
}


# leftovers: the servers, user mappings and schemas of the mode on the
# target, and postgres_fdw (which database t does not have), one per line.
leftovers() {
	psql_on dst t -At <<'SQL'
SELECT 'server ' || srvname FROM pg_foreign_server WHERE srvname LIKE 'fdwcopy%'
UNION ALL SELECT 'mapping ' || srvname FROM pg_user_mappings WHERE srvname LIKE 'fdwcopy%'
UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname LIKE 'fdwcopy%'
UNION ALL SELECT 'extension ' || extname FROM pg_extension WHERE extname = 'postgres_fdw';
SQL
}

# wait_merging: until the target's copy-table sleeps in the trigger slow (or 10 s).
wait_merging() {
	for _ in $(seq 1 100); do
		n=$(psql_on dst t -Atc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'copy-table' AND wait_event = 'PgSleep'")
		[ "$n" -eq 0 ] || return 0
		sleep 0.1
	done
	return 1
}

# slow_trigger: the upsert into t_int sleeps on the target (a statement
# trigger), so that the sync can be killed inside a merge; a session whose
# client died ends within 100 ms.
slow_trigger() {
	psql_on dst t <<'SQL'
CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$;
CREATE TRIGGER slow AFTER INSERT ON t_int FOR EACH STATEMENT EXECUTE FUNCTION slow();
ALTER DATABASE t SET client_connection_check_interval = '100ms';
SQL
}

unslow() {
	psql_on dst t -c "DROP TRIGGER slow ON t_int" -c "DROP FUNCTION slow()" -c "ALTER DATABASE t RESET client_connection_check_interval"
}

@test "sync --via-fdw: a drifted target becomes equal; nothing of the mode is left; the password is in no log nor ps" {
	sync_drift
	sync_drift_special
	# the target's own FDW layer, which the sync must not touch
	psql_on dst t -c "CREATE EXTENSION postgres_fdw" -c "CREATE SERVER own_srv FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'x')" \
		-c "CREATE USER MAPPING FOR postgres SERVER own_srv OPTIONS (user 'me')" -c "CREATE SCHEMA own_schema"
	run ! fdwcopy verify -q --target "$T"
	(while :; do ps -eo args; sleep 0.02; done) >"$BATS_TEST_TMPDIR/ps.log" 2>/dev/null &
	sampler=$!
	from=$(($(wc -l <"$PGSB_DIR/src.log") + 1))
	run --separate-stderr fdwcopy sync --via-fdw --delete --jobs 2 --chunk-rows 500 --dir "$W"
	kill "$sampler"; wait "$sampler" 2>/dev/null || true; sampler=
	tail -n +"$from" "$PGSB_DIR/src.log" >"$BATS_TEST_TMPDIR/src.log"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"via-fdw: the target reads the source through the temporary foreign server fdwcopy_via_"* ]]
	[[ $output == *"via-fdw: dropped the temporary foreign server fdwcopy_via_"*", its user mapping and schemas"* ]]
	grep -q '^  public.t_int  *6  *[0-9]*  *3  *6  *3$' <<<"$output"
	grep -q '^  public.t_same  *4  *0  *0  *0  *0$' <<<"$output"
	# (the data: the target's own FDW objects are in its schema only)
	fdwcopy verify --data-only --target "$T"
	[ "$(psql_on dst t -Atc "SELECT last_value FROM t_int_id_seq")" -eq 3000 ]
	# during the sync fdwcopy made no connection to the source: only the target's server did (postgres_fdw)
	run grep -c "connection authorized: user=mover database=s application_name=postgres_fdw" "$BATS_TEST_TMPDIR/src.log"
	[ "$output" -gt 0 ]
	run -1 grep "connection authorized: .*application_name=[^p]" "$BATS_TEST_TMPDIR/src.log"
	run -1 grep "connection authorized: .*application_name=psql" "$BATS_TEST_TMPDIR/src.log"
	# nothing of the mode is left; the target's own server, mapping and schema are
	[ "$(leftovers)" = "extension postgres_fdw" ]
	[ "$(psql_on dst t -Atc "SELECT srvname || ' ' || usename FROM pg_user_mappings")" = "own_srv postgres" ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM pg_namespace WHERE nspname = 'own_schema'")" -eq 1 ]
	# the server's log has the run's statements (a merge's), not the password of the user mapping's
	grep -q 'statement: WITH s AS MATERIALIZED (SELECT "id", "txt", "num"' "$PGSB_DIR/dst.log"
	run -1 grep -q Via-Sekr3t "$PGSB_DIR/dst.log"
	run -1 grep -q Via-Sekr3t "$BATS_TEST_TMPDIR/ps.log"
	# (the sampler saw the run: its driver, there for the whole sync)
	grep -q 'fdwcopy-sync --via-fdw --delete' "$BATS_TEST_TMPDIR/ps.log"
	run -1 grep -rq Via-Sekr3t "$W"
}

@test "sync --via-fdw: postgres_fdw is created when missing and dropped; an unchanged target moves no row" {
	run --separate-stderr fdwcopy sync --via-fdw --delete --dir "$W"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[ ! -s "$W/diff.list" ]
	[ ! -s "$W/results" ]
	grep -q '6 tables, 6 ranges, 0 differing: 0 rows inserted, 0 updated, 0 deleted; 0 sequences set' <<<"$output"
	[ -z "$(leftovers)" ]
	# the comparison ran on the source: postgres_fdw sent the aggregate of the hashes
	# (not t_int's: its jsonb hashes by its text, see the last test)
	grep 'count(\*), sum(hash_array_extended' "$PGSB_DIR/src.log" | head -n 3
	grep -q 'SELECT count(\*), sum(hash_array_extended(ARRAY\[hashint4extended(id, 0::bigint), hashtextextended(v, 0::bigint)\], 0::bigint)) FROM public.t_same' "$PGSB_DIR/src.log"
}

@test "sync --via-fdw: a failing merge leaves nothing of the mode behind; a rerun converges" {
	sync_drift
	psql_on dst t <<'SQL'
CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;
CREATE TRIGGER fail AFTER INSERT ON t_text FOR EACH STATEMENT EXECUTE FUNCTION fail();
SQL
	run --separate-stderr fdwcopy sync --via-fdw --delete --dir "$W"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"injected failure"* ]]
	[[ $output == *"via-fdw: dropped the temporary foreign server fdwcopy_via_"* ]]
	[ -z "$(leftovers)" ]
	psql_on dst t -c "DROP TRIGGER fail ON t_text" -c "DROP FUNCTION fail()"
	fdwcopy sync --via-fdw --delete --dir "$W.2" >/dev/null
	fdwcopy verify --target "$T" >/dev/null
	[ -z "$(leftovers)" ]
}

@test "sync --via-fdw killed with -9: its watchdog drops the mode's objects" {
	sync_drift
	slow_trigger
	setsid fdwcopy sync --via-fdw --delete --dir "$W" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	syncpid=$!
	wait_merging
	[ -n "$(leftovers)" ]
	kill -KILL "$syncpid"
	for _ in $(seq 1 100); do [ -z "$(leftovers)" ] && break; sleep 0.1; done
	[ -z "$(leftovers)" ]
	syncpid=
	unslow
	fdwcopy sync --via-fdw --delete --dir "$W.2" >"$BATS_TEST_TMPDIR/out2"
	[[ $(cat "$BATS_TEST_TMPDIR/out2") != *"left by an earlier run"* ]]
	fdwcopy verify --target "$T" >/dev/null
}

@test "sync --via-fdw: what a run killed with its watchdog left, the next run drops and says so" {
	sync_drift
	slow_trigger
	setsid fdwcopy sync --via-fdw --delete --dir "$W" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	syncpid=$!
	wait_merging
	kill -KILL -- "-$syncpid"
	wait "$syncpid" || true
	syncpid=
	sleep 1
	left=$(leftovers)
	echo "$left"
	[[ $left == *"server fdwcopy_via_"* ]] && [[ $left == *"mapping fdwcopy_via_"* ]] && [[ $left == *"schema fdwcopy_via_"* ]]
	unslow
	run --separate-stderr fdwcopy sync --via-fdw --delete --dir "$W.2"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"via-fdw: dropped the temporary foreign server fdwcopy_via_"*" and its schemas, left by an earlier run that did not finish"* ]]
	[ -z "$(leftovers)" ]
	fdwcopy verify --target "$T" >/dev/null
}

@test "sync --via-fdw: bad combinations are usage errors; a target that cannot create postgres_fdw is named" {
	run --separate-stderr fdwcopy sync --via-fdw --schema
	[ "$status" -eq 2 ]
	[[ $stderr == *"--via-fdw cannot be used with --schema"* ]]
	run --separate-stderr fdwcopy sync --via-fdw --delete-extra-tables
	[ "$status" -eq 2 ]
	[[ $stderr == *"--via-fdw cannot be used with --delete-extra-tables"* ]]
	run --separate-stderr fdwcopy sync --via-fdw --since 2024-01-01 --updated-at ts --delete
	[ "$status" -eq 2 ]
	[[ $stderr == *"--since cannot be used with --delete (rows deleted on the source are not seen)"* ]]
	psql_on dst t -c "CREATE ROLE plain LOGIN" -c "GRANT ALL ON ALL TABLES IN SCHEMA public TO plain"
	run --separate-stderr fdwcopy sync --via-fdw --target "$(pgsb_conninfo dst t) user=plain"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"--via-fdw needs the extension postgres_fdw in the target database, which does not have it, and it could not be created: permission denied to create extension \"postgres_fdw\""* ]]
	[ -z "$(leftovers)" ]
}

@test "sync --via-fdw --since: only the source rows changed since then cross, through the foreign tables; --since last continues; --dry-run writes nothing" {
	# a source of its own: this test changes it
	psql_on src -c "DROP DATABASE IF EXISTS s3" -c "CREATE DATABASE s3 TEMPLATE s"
	FDWCOPY_SOURCE="$(pgsb_conninfo src s3) user=mover password=Via-Sekr3t"
	run --separate-stderr fdwcopy sync --via-fdw --since '2030-01-01 00:00+00' --updated-at ts --dir "$W"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	# nothing changed since 2030: of t_int only its row dated infinity was read
	[ "$(results_sum "$W/results" t_int 13)" -eq 1 ]
	[ "$(results_sum "$W/results" t_int 17)" -eq 0 ]
	[[ $output == *"since 2030-01-01 00:00:00.000000+00: 1 tables merged from their rows with ts >= it"* ]]
	[ -s "$W/since" ]
	[ -z "$(leftovers)" ]
	psql_on src s3 <<'SQL'
UPDATE t_int SET txt = 'changed', ts = now() WHERE id IN (5, 50, 1500, 2999);
INSERT INTO t_int (id, txt, ts) VALUES (4001, 'new', now());
UPDATE t_text SET v = 'changed' WHERE code = 'key 6';
SQL
	# and on the target an old row that --since does not see
	psql_on dst t -c "UPDATE t_int SET txt = 'drift' WHERE id = 1000"
	pg_dump --data-only -d "$T" | grep -v '^\\\(un\)\?restrict ' | md5sum >"$BATS_TEST_TMPDIR/before"
	run --separate-stderr fdwcopy sync --via-fdw --dry-run --since last --updated-at ts --dir "$W"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	pg_dump --data-only -d "$T" | grep -v '^\\\(un\)\?restrict ' | md5sum >"$BATS_TEST_TMPDIR/after"
	cmp "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	grep -q '^  public.t_int  *since (ts) ' <<<"$output"
	[ -z "$(leftovers)" ]
	run --separate-stderr fdwcopy sync --via-fdw --since last --updated-at ts --dir "$W"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	# exactly the 5 changed rows of t_int crossed (and the one dated infinity): 4 updated, 1 inserted
	[ "$(results_sum "$W/results" t_int 13)" -eq 6 ]
	[ "$(results_sum "$W/results" t_int 16)" -eq 1 ]
	[ "$(results_sum "$W/results" t_int 17)" -eq 4 ]
	# the table without the column is compared and its range merged
	[ "$(results_sum "$W/results" t_text 17)" -eq 1 ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM t_int WHERE txt IN ('changed', 'new')")" -eq 5 ]
	[ "$(psql_on dst t -Atc "SELECT txt FROM t_int WHERE id = 1000")" = drift ]
	[ -z "$(leftovers)" ]
	# a third run: nothing changed since the second one
	run --separate-stderr fdwcopy sync --via-fdw --since last --updated-at ts --dir "$W"
	[ "$status" -eq 0 ]
	[ "$(results_sum "$W/results" t_int 13)" -eq 1 ]
	# a date column: the day of --since in the source's TimeZone (its pg_settings through the server)
	run --separate-stderr fdwcopy sync --via-fdw --since '2040-01-01 00:00+00' --updated-at d --dir "$W.d"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(results_sum "$W.d/results" t_int 13)" -eq 1 ]
	# the drifted old row put back: the target equals the source
	psql_on dst t -c "UPDATE t_int SET txt = 'row 1000' || E'\twith tab\nand newline' WHERE id = 1000" >/dev/null
	fdwcopy verify -q --target "$T" --source "$(pgsb_conninfo src s3)"
}

# (last: it adds tables to the source)
@test "sync --via-fdw: values their type's hash calls equal but whose text differs (numeric 5.0, NaN, Infinity; float -0; array bounds and shapes), infinities, and types hashed by their text are found and merged" {
	for side in "src s" "dst t"; do
		# shellcheck disable=SC2086 # "cluster database"
		psql_on $side <<'SQL'
CREATE TABLE t_types (id int PRIMARY KEY, n numeric, a int[], ts timestamptz, b bytea, d date, f float8, ok boolean, r real);
INSERT INTO t_types SELECT g, g, ARRAY[g], '2024-01-01 00:00+00'::timestamptz + g * interval '1 min', '\x01',
  '2024-01-01'::date + g, g / 3.0, g % 2 = 0, g / 3.0 FROM generate_series(1, 100) g;
UPDATE t_types SET f = 0 WHERE id IN (15, 25);
UPDATE t_types SET r = '-0' WHERE id = 35;
UPDATE t_types SET n = 'NaN' WHERE id = 45;
UPDATE t_types SET n = 'Infinity' WHERE id = 55;
UPDATE t_types SET d = 'infinity' WHERE id = 65;
UPDATE t_types SET ts = '-infinity' WHERE id = 75;
UPDATE t_types SET a = '{{85},{86}}' WHERE id = 85;
CREATE DOMAIN fl AS float8;
CREATE TYPE fpair AS (x float8, y text);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE t_text_hashed (id int PRIMARY KEY, dm fl, c fpair, e mood, s text COLLATE ci, sa text[] COLLATE ci);
INSERT INTO t_text_hashed SELECT g, 0, '(0,y)', 'ok', 'abc', '{abc}' FROM generate_series(1, 50) g;
SQL
	done
	# each change alone in its range of 10 rows: what their hash functions
	# call equal and verify (the text) does not (numeric 5 and 5.0, Infinity
	# and -Infinity; float 0 and -0; arrays' bounds and shapes); NULLs for
	# values hashed as 0 (float 0, numeric NaN); infinities (date - date and
	# timestamptz - timestamptz, the former hashes, refuse them); and types
	# hashed by their text: a domain, a composite type, an enum, a
	# nondeterministic collation (whose hash calls 'abc' and 'ABC' equal)
	psql_on dst t <<'SQL'
UPDATE t_types SET n = 5.0 WHERE id = 5;
UPDATE t_types SET f = '-0' WHERE id = 15;
UPDATE t_types SET f = NULL WHERE id = 25;
UPDATE t_types SET r = 0 WHERE id = 35;
UPDATE t_types SET n = NULL WHERE id = 45;
UPDATE t_types SET n = '-Infinity' WHERE id = 55;
UPDATE t_types SET d = '-infinity' WHERE id = 65;
UPDATE t_types SET ts = 'infinity' WHERE id = 75;
UPDATE t_types SET a = '{{85,86}}' WHERE id = 85;
UPDATE t_types SET a = '[0:0]={95}' WHERE id = 95;
UPDATE t_text_hashed SET dm = '-0' WHERE id = 5;
UPDATE t_text_hashed SET c = '(-0,y)' WHERE id = 15;
UPDATE t_text_hashed SET s = 'ABC' WHERE id = 25;
UPDATE t_text_hashed SET sa = '{ABC}' WHERE id = 35;
UPDATE t_text_hashed SET e = 'sad' WHERE id = 45;
UPDATE t_int SET j = jsonb_set(j, '{g}', '42.0') WHERE id = 42;
SQL
	run ! fdwcopy verify -q --target "$T"
	from=$(($(wc -l <"$PGSB_DIR/src.log") + 1))
	run --separate-stderr fdwcopy sync --via-fdw --chunk-rows 10 --include-table 't_t*' --dir "$W"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	grep -q '^  public.t_types  *10  *10  *0  *10  *0$' <<<"$output"
	grep -q '^  public.t_text_hashed  *5  *5  *0  *5  *0$' <<<"$output"
	run --separate-stderr fdwcopy sync --via-fdw --include-table t_int --dir "$W.2"
	[ "$status" -eq 0 ]
	grep -q '^  public.t_int  *[0-9]*  *1  *0  *1  *0$' <<<"$output"
	run -0 fdwcopy verify -q --target "$T"
	[ "$(psql_on dst t -Atc "SELECT n::text, array_lower(a, 1) FROM t_types WHERE id IN (5, 95) ORDER BY id")" = "5|1
95|1" ]
	# t_types' aggregate was sent to the source, with the scale, the sign and the bounds
	tail -n +"$from" "$PGSB_DIR/src.log" | grep 'FROM public.t_types' | head -n 2
	tail -n +"$from" "$PGSB_DIR/src.log" | grep 'sum(hash_array_extended(ARRAY\[hashint4extended(id, 0::bigint), hash_numeric_extended(n, 0::bigint), .*scale(n).*hash_array_extended(a, 0::bigint), .*array_upper(a, 6).*timestamp_hash_extended(timezone(.*atan2(f, .*FROM public.t_types' | head -n 1 | grep -q .
}

#!/usr/bin/env bats
# fdwcopy clone on pagila with old payments in an archive attached as a
# foreign partition (the demo's layout): SIGTERM in the middle of the data step
# stops every child and says how to resume; --resume finishes with verify
# passing; no password shows in any child's argument list.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start src arch dst darch
	load_pagila src pagila
	local table="CREATE TABLE payment_archive (payment_id int NOT NULL, customer_id int NOT NULL,
	  staff_id int NOT NULL, rental_id int NOT NULL, amount numeric(5,2) NOT NULL,
	  payment_date timestamptz NOT NULL, PRIMARY KEY (payment_date, payment_id))"
	psql_on arch -c "CREATE DATABASE archive"
	psql_on arch archive -c "$table"
	psql_on src pagila <<SQL
CREATE EXTENSION postgres_fdw;
CREATE SERVER payment_archive FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '$PGSB_DIR', port '$(pgsb_port arch)', dbname 'archive');
CREATE USER MAPPING FOR postgres SERVER payment_archive OPTIONS (user 'postgres', password 'prod-archive-pw');
CREATE FOREIGN TABLE payment_archive (payment_id int NOT NULL, customer_id int NOT NULL,
  staff_id int NOT NULL, rental_id int NOT NULL, amount numeric(5,2) NOT NULL,
  payment_date timestamptz NOT NULL) SERVER payment_archive OPTIONS (table_name 'payment_archive');
INSERT INTO payment_archive SELECT * FROM payment WHERE payment_date < '2022-03-01';
ALTER TABLE payment DETACH PARTITION payment_p2022_01;
ALTER TABLE payment DETACH PARTITION payment_p2022_02;
DROP TABLE payment_p2022_01, payment_p2022_02;
ALTER TABLE payment DROP CONSTRAINT payment_pkey;
ALTER TABLE payment_p2022_03 ADD PRIMARY KEY (payment_date, payment_id);
ALTER TABLE payment ATTACH PARTITION payment_archive FOR VALUES FROM (MINVALUE) TO ('2022-03-01');
-- A small table whose rows are slow to load where fdwcopy_test.delay is set
-- (on the target only): the data step can be interrupted in its middle. Wide
-- rows, so that the target backend holds few of them in its input buffer and
-- notices quickly that its client is gone.
CREATE FUNCTION slow_ok(int) RETURNS boolean LANGUAGE plpgsql AS \$\$
BEGIN
  PERFORM pg_sleep(coalesce(nullif(current_setting('fdwcopy_test.delay', true), ''), '0')::float8);
  RETURN true;
END \$\$;
CREATE TABLE slow (id int PRIMARY KEY, pad text, CONSTRAINT slow_check CHECK (slow_ok(id)));
INSERT INTO slow SELECT g, repeat(md5(g::text), 700) FROM generate_series(1, 60) g;
-- populated here (it reads payment, archive included): the clone refreshes it
REFRESH MATERIALIZED VIEW rental_by_category;
ANALYZE;
SQL
	psql_on darch -c "CREATE DATABASE archive"
	pg_dump -d "$(pgsb_conninfo arch archive)" | psql_on darch archive >/dev/null
	export MAP="$BATS_FILE_TMPDIR/staging.map"
	(umask 077 && printf '[server:payment_archive]\nhost = %s\nport = %s\ndbname = archive\n[user-mapping:*@payment_archive]\nuser = postgres\npassword = staging-archive-pw\n' \
		"$PGSB_DIR" "$(pgsb_port darch)" >"$MAP")
	# Passwords in the conninfo: they must reach no argv. The target asks the
	# role "cloner" for its password (SCRAM), so pg_dump, pg_restore and psql
	# must find it in the password file fdwcopy gives them.
	psql_on dst -c "CREATE ROLE cloner LOGIN SUPERUSER PASSWORD 'tgt-conn-pw'"
	sed -i '1i local all cloner scram-sha-256' "$PGSB_DIR/dst/pg_hba.conf"
	psql_on dst -c "SELECT pg_reload_conf()" >/dev/null
	S="$(pgsb_conninfo src pagila) password=src-conn-pw"
	T="host=$PGSB_DIR port=$(pgsb_port dst) user=cloner dbname=t password=tgt-conn-pw"
	export S T
	run -2 psql -X -w -d "host=$PGSB_DIR port=$(pgsb_port dst) user=cloner dbname=postgres" -c "SELECT 1"
	psql_on dst -c "CREATE DATABASE t"
	psql_on dst -c "ALTER DATABASE t SET fdwcopy_test.delay = '0.15'"
}

teardown_file() { pgsb_stop; }

fdwcopy_sessions() {
	psql_on "$1" -Atc "SELECT count(*) FROM pg_stat_activity
	  WHERE application_name IN ('snapshot-hold', 'copy-table', 'index-build', 'table-list', 'pg_restore', 'pg_dump')"
}

@test "clone: SIGTERM in the middle of the data step stops every child and says how to resume" {
	W="$BATS_FILE_TMPDIR/w"
	# The conninfos go in the environment: on fdwcopy's own command line they
	# would be in the ps listing below, which checks what fdwcopy's children get.
	FDWCOPY_SOURCE=$S FDWCOPY_TARGET=$T fdwcopy clone --verify --jobs 2 --index-jobs 2 --fdw-map "$MAP" --dir "$W" \
		>"$BATS_FILE_TMPDIR/run1.out" 2>"$BATS_FILE_TMPDIR/run1.err" 3>&- &
	pid=$!
	# Wait until copy-table is loading "slow" (60 rows x 0.15 s).
	for _ in $(seq 1 300); do
		n=$(psql_on dst -Atc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'copy-table' AND query ILIKE 'COPY%slow%'")
		[ "$n" -ge 1 ] && break
		sleep 0.1
	done
	[ "$n" -ge 1 ]
	# No password in any process's argument list while the clone runs.
	ps -eo args >"$BATS_TEST_TMPDIR/ps"
	run -1 grep -q -e src-conn-pw -e tgt-conn-pw -e prod-archive-pw -e staging-archive-pw "$BATS_TEST_TMPDIR/ps"
	kill -TERM "$pid"
	# fdwcopy must be gone within seconds (a hang fails the test, not the suite)
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "fdwcopy did not exit after SIGTERM"; false; fi
	status=0
	wait "$pid" || status=$?
	cat "$BATS_FILE_TMPDIR/run1.out" "$BATS_FILE_TMPDIR/run1.err"
	[ "$status" -eq 143 ]
	grep -q "fdwcopy: error: interrupted by SIGTERM: stopping every child process" "$BATS_FILE_TMPDIR/run1.err"
	grep -q "fdwcopy clone --resume --dir '$W'" "$BATS_FILE_TMPDIR/run1.err"
	# some tables were done, "slow" was not
	[ -s "$W/results" ]
	run -1 grep -q $'\tslow\t' "$W/results"
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM slow")" = 0 ]
	# no child left: no child process, and soon no fdwcopy session on either
	# server (a backend notices its client is gone when it next reads from it)
	for _ in $(seq 1 50); do
		[ "$(fdwcopy_sessions dst)" = 0 ] && [ "$(fdwcopy_sessions src)" = 0 ] && break
		sleep 0.1
	done
	[ "$(fdwcopy_sessions dst)" = 0 ]
	[ "$(fdwcopy_sessions src)" = 0 ]
	# (fdwcopy's children are the processes with its FDWCOPY_TARGET)
	left=$(grep -lzx -F "FDWCOPY_TARGET=$T" /proc/[0-9]*/environ 2>/dev/null || true)
	[ -z "$left" ]
}

@test "clone --resume: finishes the job, verify passes" {
	W="$BATS_FILE_TMPDIR/w"
	[ -d "$W" ] || skip "the interrupted run did not happen"
	psql_on dst -c "ALTER DATABASE t RESET fdwcopy_test.delay"
	# a table the interrupted run reported copied lost its rows since (a target
	# crash, a hand): the resumed run must see it and copy it again
	lost=$(awk -F'\t' '$1 == "table" && $8 == 1 && $13 > 0 { print $3 "." $4; exit }' "$W/results")
	[ -n "$lost" ]
	psql_on dst t -c "TRUNCATE $lost"
	run --separate-stderr fdwcopy clone --resume --dir "$W" --source "$S" --target "$T"
	# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ $stderr == *"resuming the run in $W with a new snapshot"* ]]
	[[ $output == *"left to copy"* ]]
	[[ $stderr == *"table $lost has 0 rows on the target where the interrupted run reported "*" copied: copying it again"* ]]
	[[ $output == *"verify: equal: "* ]]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM slow")" = 60 ]
	[ "$(psql_on dst t -Atc "SELECT sum(total_sales) FROM rental_by_category")" = \
		"$(psql_on src pagila -Atc "SELECT sum(total_sales) FROM rental_by_category")" ]
	# the archived payments come from the target archive through the rewritten server
	[ "$(psql_on dst t -Atc "SELECT array_to_string(ARRAY(SELECT o FROM unnest(srvoptions) o ORDER BY 1), ',') FROM pg_foreign_server")" = \
		"dbname=archive,host=$PGSB_DIR,port=$(pgsb_port darch)" ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM payment WHERE payment_date < '2022-03-01'")" = \
		"$(psql_on darch archive -Atc "SELECT count(*) FROM payment_archive")" ]
	run -1 grep -q -e src-conn-pw -e tgt-conn-pw "$W/log"
	[ ! -e "$W/source.pgpass" ]
}

@test "clone: kill -9 of the driver leaves no child running, and an immediate --resume finishes" {
	psql_on dst -c "CREATE DATABASE t2"
	psql_on dst -c "ALTER DATABASE t2 SET fdwcopy_test.delay = '0.15'"
	T2=$(pgsb_conninfo dst t2)
	W="$BATS_FILE_TMPDIR/w2"
	FDWCOPY_SOURCE=$S FDWCOPY_TARGET=$T2 fdwcopy clone --jobs 2 --index-jobs 2 --fdw-map "$MAP" --dir "$W" \
		>"$BATS_FILE_TMPDIR/k1.out" 2>"$BATS_FILE_TMPDIR/k1.err" 3>&- &
	pid=$!
	for _ in $(seq 1 300); do
		n=$(psql_on dst -Atc "SELECT count(*) FROM pg_stat_activity WHERE datname = 't2' AND application_name = 'copy-table' AND query ILIKE 'COPY%slow%'")
		[ "$n" -ge 1 ] && break
		sleep 0.1
	done
	[ "$n" -ge 1 ]
	kill -KILL "$pid"
	wait "$pid" || true
	sleep 1.5
	# a second and a half later no tool, awk, tee or psql of the run is left
	# (they carry its FDWCOPY_TARGET); only the driver's watchdog may still be
	# finishing (a shell), and it is gone soon after
	run_procs() {
		local f p
		# shellcheck disable=SC2013 # /proc paths hold no white space
		for f in $(grep -lzx -F "FDWCOPY_TARGET=$T2" /proc/[0-9]*/environ 2>/dev/null); do
			p=${f#/proc/}; p=${p%%/*}
			# a process that ended between the two reads is gone: not left
			c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
			printf '%s %s\n' "$p" "$c"
		done
	}
	run_procs >"$BATS_TEST_TMPDIR/left"
	cat "$BATS_TEST_TMPDIR/left"
	run -1 grep -v -E ' (bash|sleep)$' "$BATS_TEST_TMPDIR/left"
	for _ in $(seq 1 50); do [ -z "$(run_procs)" ] && break; sleep 0.1; done
	[ -z "$(run_procs)" ]
	for _ in $(seq 1 50); do [ "$(fdwcopy_sessions dst)" = 0 ] && break; sleep 0.1; done
	[ "$(fdwcopy_sessions dst)" = 0 ]
	psql_on dst -c "ALTER DATABASE t2 RESET fdwcopy_test.delay"
	run --separate-stderr env FDWCOPY_SOURCE="$S" FDWCOPY_TARGET="$T2" fdwcopy clone --resume --verify --dir "$W"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"verify: equal: "* ]]
	[ "$(psql_on dst t2 -Atc "SELECT count(*) FROM slow")" = 60 ]
}

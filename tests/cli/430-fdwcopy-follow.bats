#!/usr/bin/env bats
# Online migration on PostgreSQL's logical replication: snapshot-hold --slot,
# fdwcopy clone --follow (preflight, publication, slot whose snapshot the
# clone runs in, subscription), fdwcopy follow status|stop and fdwcopy
# cutover, with pgbench writing to the source during the clone and after it.
# The source cluster runs with wal_level = logical.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start --set wal_level=logical --set shared_preload_libraries=pg_stat_statements src dst plain
	# an audited target: every statement logged, utility statements kept by
	# pg_stat_statements (no password may reach either)
	psql_on dst -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" -c "CREATE EXTENSION pg_stat_statements" >/dev/null
	# a source without logical decoding, for the preflight
	psql_on plain -c "ALTER SYSTEM SET wal_level = replica" >/dev/null
	"$REPO_ROOT/scripts/pgsandbox" restart "$PGSB_DIR" plain >/dev/null
	# a role with a password: the subscription's conninfo carries it
	psql_on src -c "CREATE ROLE mover LOGIN SUPERUSER PASSWORD 'Sekr3t-pw'"
	sed -i '1i local all mover scram-sha-256' "$PGSB_DIR/src/pg_hba.conf"
	psql_on src -c "SELECT pg_reload_conf()" >/dev/null
	WRITES="$FIXTURES/follow/writes.pgbench"
	export WRITES
}

teardown_file() { pgsb_stop; }

# make_bench DB [SCALE]: a pgbench database on src whose every table has a
# primary key (pgbench_history gets a bigserial one: a sequence that moves
# under writes), plus a partitioned table events with a sequence.
make_bench() {
	psql_on src -c "CREATE DATABASE $1"
	pgbench -q -i -s "${2:-1}" -d "$(pgsb_conninfo src "$1")" >/dev/null 2>&1
	psql_on src "$1" <<'SQL'
ALTER TABLE pgbench_history ADD COLUMN id bigserial PRIMARY KEY;
CREATE TABLE events (id bigserial, k int NOT NULL, what text, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO (100);
CREATE TABLE events_b PARTITION OF events FOR VALUES FROM (100) TO (200);
INSERT INTO events (k, what) SELECT g % 200, 'e' || g FROM generate_series(1, 5000) g;
SQL
	psql_on dst -c "CREATE DATABASE $1"
}

# writes DB SECONDS: pgbench (the writes fixture: updates, inserts, deletes
# on plain and partitioned tables) on src DB in the background; PGBENCH_PID.
writes() {
	pgbench -n -f "$WRITES" -c 2 -T "$2" -R 200 -d "$(pgsb_conninfo src "$1")" >"$BATS_TEST_TMPDIR/pgbench.log" 2>&1 3>&- &
	PGBENCH_PID=$!
}

# leftovers DB: the slots and publications of DB on the source, subscriptions of DB on the target.
leftovers() {
	psql_on src "$1" -Atc "SELECT 'slot ' || slot_name FROM pg_replication_slots WHERE database = current_database()
		UNION ALL SELECT 'publication ' || pubname FROM pg_publication"
	psql_on dst "$1" -Atc "SELECT 'subscription ' || subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
}

# slots DB: the replication slots of DB on the source.
slots() { psql_on src "$1" -Atc "SELECT slot_name FROM pg_replication_slots WHERE database = current_database()"; }

@test "snapshot-hold --slot: the slot's exported snapshot and its LSN, the slot kept; a bad name, --temporary alone are usage errors" {
	d=$BATS_TEST_TMPDIR
	psql_on src -c "CREATE DATABASE hold"
	psql_on src hold -c "CREATE TABLE t (i int PRIMARY KEY)" -c "INSERT INTO t VALUES (1)"
	mkfifo "$d/ctl"
	snapshot-hold --slot hold_slot --source "$(pgsb_conninfo src hold)" <"$d/ctl" >"$d/id" 2>"$d/err" 3>&- &
	pid=$!
	exec 4>"$d/ctl"
	for _ in $(seq 100); do [ "$(grep -c . "$d/id")" = 2 ] && break; sleep 0.1; done
	[ "$(grep -c . "$d/id")" = 2 ]
	snap=$(sed -n 1p "$d/id")
	lsn=$(sed -n 2p "$d/id")
	[[ $lsn =~ ^[0-9A-F]+/[0-9A-F]+$ ]]
	psql_on src hold -c "INSERT INTO t VALUES (2)"
	n=$(psql_on src hold -Atc "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SET TRANSACTION SNAPSHOT '$snap'" -c "SELECT count(*) FROM t" -c "COMMIT")
	[ "$n" = 1 ]
	[ "$(psql_on src hold -Atc "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'hold_slot'")" = "$lsn" ]
	exec 4>&-
	wait "$pid"
	# the slot outlives snapshot-hold
	[ "$(psql_on src hold -Atc "SELECT plugin || ' ' || slot_type FROM pg_replication_slots WHERE slot_name = 'hold_slot'")" = "pgoutput logical" ]
	psql_on src hold -Atc "SELECT pg_drop_replication_slot('hold_slot')" >/dev/null
	run --separate-stderr snapshot-hold --slot Bad-Name
	[ "$status" -eq 2 ]
	# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
	[[ $stderr == *'invalid replication slot name "Bad-Name"'* ]]
	run --separate-stderr snapshot-hold --temporary
	[ "$status" -eq 2 ]
	[[ $stderr == *"--temporary needs --slot"* ]]
}

@test "clone --follow under writes (the whole clone and 30 s after), cutover refused while they go on, then cutover: verify equal, sequences equal, nothing left on either side" {
	make_bench b1
	S="$(pgsb_conninfo src b1) user=mover password=Sekr3t-pw"
	T=$(pgsb_conninfo dst b1)
	W=$BATS_TEST_TMPDIR/w
	writes b1 300   # for the whole clone and 30 s after it: stopped below
	sleep 1
	run --separate-stderr fdwcopy clone --follow --source "$S" --target "$T" --dir "$W" -j 2
	cloned=$EPOCHSECONDS
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"follow: subscription fdwcopy_"*" on the target applies the source's changes since LSN "* ]]
	[[ $stderr == *"stored in the target's catalog (pg_subscription.subconninfo"* ]]
	[[ "$output$stderr$(cat "$W/log" "$W/follow.state")" != *Sekr3t* ]]
	# nor in the target's server log (log_statement = all) or pg_stat_statements
	grep -q 'statement: CREATE DATABASE b1' "$PGSB_DIR/dst.log"
	run -1 grep -q Sekr3t "$PGSB_DIR/dst.log"
	[ "$(psql_on dst -Atc "SELECT count(*) FROM pg_stat_statements WHERE query LIKE '%SUBSCRIPTION%'")" = 0 ]
	[ "$(psql_on dst -Atc "SELECT count(*) FROM pg_stat_statements WHERE query LIKE '%Sek' || 'r3t%'")" = 0 ]
	copied=$(awk -F'\t' '$4 == "pgbench_history" { print $13 }' "$W/results")
	name=$(sed -n 's/^declare -- FOLLOW_NAME="\(.*\)"$/\1/p' "$W/follow.state")
	# the publication: the plain tables and the partitioned root
	run psql_on src b1 -Atc "SELECT tablename FROM pg_publication_tables WHERE pubname = '$name' ORDER BY 1"
	[ "$output" = "events
pgbench_accounts
pgbench_branches
pgbench_history
pgbench_tellers" ]
	# the clone did not restore our publication on the target
	[ "$(psql_on dst b1 -Atc "SELECT count(*) FROM pg_publication")" = 0 ]
	sleep 2
	run --separate-stderr fdwcopy follow status --dir "$W" --source "$S"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"lag:"*" bytes, "* ]]
	[[ $output == *"subscription:  enabled, apply worker pid "* ]]
	[[ $output == *"schema:        equal"* ]]
	# a cutover while the writes go on refuses, the replication kept
	run --separate-stderr fdwcopy cutover --dir "$W" --source "$S" --timeout 60
	echo "$output"; echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"writes on the source have not stopped: a transaction changed the followed tables at source LSN "* ]]
	[ "$(leftovers b1 | wc -l)" = 3 ]
	# the writes went on for 30 s after the clone (pgbench still running), then stop
	now=$EPOCHSECONDS
	[ $((cloned + 30 - now)) -le 0 ] || sleep $((cloned + 30 - now))
	kill -0 "$PGBENCH_PID"
	kill "$PGBENCH_PID"
	wait "$PGBENCH_PID" || true
	# (a COMMIT pgbench sent before it died still ends on the server)
	for _ in $(seq 100); do [ "$(psql_on src b1 -Atc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench'")" = 0 ] && break; sleep 0.1; done
	run --separate-stderr fdwcopy cutover --dir "$W" --source "$S" --timeout 60
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"no write to the followed tables since the cutover began (seen after verify;"* ]]
	[[ $output == *"verify: equal: 6 tables (row counts and checksums), 2 sequences"* ]]
	[[ $output == *"cutover complete"* ]]
	# the writes reached the target (pgbench_history grew), sequences equal
	[ "$(psql_on dst b1 -Atc "SELECT count(*) FROM pgbench_history")" -gt "$copied" ]
	for s in pgbench_history_id_seq events_id_seq; do
		[ "$(psql_on src b1 -Atc "SELECT last_value FROM $s")" = "$(psql_on dst b1 -Atc "SELECT last_value FROM $s")" ]
	done
	[ -z "$(leftovers b1)" ]
}

@test "clone --follow: every problem listed before anything is written (no primary key, wal_level)" {
	for c in src plain; do
		psql_on "$c" -c "CREATE DATABASE nopk"
		psql_on "$c" nopk <<'SQL'
CREATE TABLE has_pk (id int PRIMARY KEY);
CREATE TABLE no_pk (id int, v text);
CREATE TABLE full_ident (id int);
ALTER TABLE full_ident REPLICA IDENTITY FULL;
SQL
	done
	psql_on dst -c "CREATE DATABASE nopk"
	run --separate-stderr fdwcopy clone --follow --source "$(pgsb_conninfo src nopk)" --target "$(pgsb_conninfo dst nopk)"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"table public.no_pk has no primary key nor replica identity"* ]]
	[[ $stderr != *full_ident* ]]
	[[ $stderr != *has_pk* ]]
	[ "$(psql_on dst nopk -Atc "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")" = 0 ]
	[ -z "$(leftovers nopk)" ]
	# both problems of a source at once
	run --separate-stderr fdwcopy clone --follow --source "$(pgsb_conninfo plain nopk)" --target "$(pgsb_conninfo dst nopk)"
	[ "$status" -eq 1 ]
	[[ $stderr == *"wal_level is replica on the source"* ]]
	[[ $stderr == *"table public.no_pk has no primary key"* ]]
	[ "$(psql_on dst nopk -Atc "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")" = 0 ]
	# leaving the table out is enough
	run --separate-stderr fdwcopy clone --follow --exclude-table no_pk --source "$(pgsb_conninfo src nopk)" \
		--target "$(pgsb_conninfo dst nopk)" --dir "$BATS_TEST_TMPDIR/w"
	[ "$status" -eq 0 ]
	run fdwcopy follow stop --dir "$BATS_TEST_TMPDIR/w"
	[ "$status" -eq 0 ]
	[ -z "$(leftovers nopk)" ]
}

@test "a clone --follow that fails leaves no slot nor publication, and never shows the password" {
	make_bench fail1 1
	# the subscription cannot reach the source through this conninfo
	run --separate-stderr fdwcopy clone --follow --source "$(pgsb_conninfo src fail1)" --target "$(pgsb_conninfo dst fail1)" \
		--follow-conninfo "host=$PGSB_DIR port=1 dbname=fail1 user=mover password=Sekr3t-pw" --dir "$BATS_TEST_TMPDIR/w"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"could not create subscription fdwcopy_"* ]]
	[[ $stderr == *"dropping its replication slot and publication"* ]]
	[[ "$output$stderr$(cat "$BATS_TEST_TMPDIR/w/log")" != *Sekr3t* ]]
	# the failed statement is not in the target's log (log_min_error_statement)
	grep -q 'statement: CREATE DATABASE fail1' "$PGSB_DIR/dst.log"
	run -1 grep -q Sekr3t "$PGSB_DIR/dst.log"
	[ -z "$(leftovers fail1)" ]
}

@test "clone --follow-passfile: the subscription reads the password from the file on the target's server, its conninfo has none" {
	psql_on src -c "CREATE DATABASE pf"
	psql_on src pf -c "CREATE TABLE t (id int PRIMARY KEY, v text)" -c "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g"
	psql_on dst -c "CREATE DATABASE pf"
	# readable by the target server's operating system user only (libpq ignores it otherwise)
	pf=$PGSB_DIR/subscription.pgpass
	printf '*:*:pf:mover:Sekr3t-pw\n' >"$pf"
	chmod 600 "$pf"
	chown --reference="$PGSB_DIR/dst" "$pf"
	S="$(pgsb_conninfo src pf) user=mover password=Sekr3t-pw"
	run --separate-stderr fdwcopy clone --follow --follow-passfile "$pf" --source "$S" --target "$(pgsb_conninfo dst pf)" --dir "$BATS_TEST_TMPDIR/w"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"the subscription reads the password from $pf on the target's server"* ]]
	[[ $stderr != *"stored in the target's catalog"* ]]
	ci=$(psql_on dst pf -Atc "SELECT subconninfo FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = 'pf')")
	[[ $ci == *"passfile='$pf'"* ]]
	[[ $ci == *"user='mover'"* ]]
	[[ $ci != *Sekr3t* ]]
	[[ $ci != *password=* ]]
	# the subscription connects as mover (scram: the password from the file) and applies
	psql_on src pf -c "INSERT INTO t VALUES (101, 'late')" -c "UPDATE t SET v = 'changed' WHERE id = 1"
	for _ in $(seq 100); do [ "$(psql_on dst pf -Atc "SELECT count(*) FROM t WHERE v IN ('late', 'changed')")" = 2 ] && break; sleep 0.1; done
	[ "$(psql_on dst pf -Atc "SELECT count(*) FROM t WHERE v IN ('late', 'changed')")" = 2 ]
	[ "$(psql_on src pf -Atc "SELECT usename FROM pg_stat_replication WHERE application_name LIKE 'fdwcopy_%'")" = mover ]
	# (the work directory keeps no password: the source's is given again)
	run fdwcopy follow stop --dir "$BATS_TEST_TMPDIR/w" --source "$S"
	[ "$status" -eq 0 ]
	[ -z "$(leftovers pf)" ]
}

@test "kill -9 of the clone, clone --resume --follow, kill -9 of cutover, follow status, cutover: equal" {
	make_bench k1 2
	S=$(pgsb_conninfo src k1)
	T=$(pgsb_conninfo dst k1)
	W=$BATS_TEST_TMPDIR/w
	writes k1 15
	fdwcopy clone --follow --source "$S" --target "$T" --dir "$W" -j 2 >"$BATS_TEST_TMPDIR/clone1.log" 2>&1 3>&- &
	pid=$!
	# killed in the data step (the slot is made, rows are being copied)
	for _ in $(seq 300); do [ -s "$W/results" ] && break; sleep 0.05; done
	kill -9 "$pid"
	wait "$pid" || true
	# the slot it ran in was temporary: gone with snapshot-hold's session
	for _ in $(seq 100); do [ -z "$(slots k1)" ] && break; sleep 0.1; done
	[ -z "$(slots k1)" ]
	# follow status says what is left (once the clone's children, holding its lock, are gone)
	for _ in $(seq 100); do flock -n "$W/lock" true && break; sleep 0.1; done
	run --separate-stderr fdwcopy follow status --dir "$W"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 3 ]
	[[ $stderr == *"did not finish (killed?): it left publication fdwcopy_"*", no replication slot (nothing retains WAL)"* ]]
	# follow stop drops it; a resume then starts a new follow
	run --separate-stderr fdwcopy follow stop --dir "$W"
	[ "$status" -eq 0 ]
	[[ $output == *"what the unfinished clone --follow left on the source is dropped"* ]]
	[ -z "$(leftovers k1)" ]
	run --separate-stderr fdwcopy clone --resume --follow --dir "$W" --source "$S" --target "$T"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $stderr == *"every table is copied again, in the snapshot of a new replication slot"* ]]
	# the old slot went, the new one is there
	[ "$(slots k1 | wc -l)" = 1 ]
	name=$(sed -n 's/^declare -- FOLLOW_NAME="\(.*\)"$/\1/p' "$W/follow.state")
	[ "$(slots k1)" = "$name" ]
	# the subscription is the server's: cutover waits while it is disabled
	psql_on dst k1 -c "ALTER SUBSCRIPTION $name DISABLE"
	# ids above the writes' deletes (id = aid % 6000), which go on meanwhile
	psql_on src k1 -c "INSERT INTO events (id, k, what) SELECT 1000000 + g, g % 200, 'late' FROM generate_series(1, 100) g"
	fdwcopy cutover --dir "$W" --timeout 60 >"$BATS_TEST_TMPDIR/cut1.log" 2>&1 3>&- &
	pid=$!
	for _ in $(seq 100); do grep -q 'waiting for the target' "$BATS_TEST_TMPDIR/cut1.log" && break; sleep 0.1; done
	sleep 0.5
	kill -9 "$pid"
	wait "$pid" || true
	run --separate-stderr fdwcopy follow status --dir "$W" --no-schema-check
	echo "$output"; echo "$stderr"
	[ "$status" -eq 3 ]
	[[ $stderr == *"the subscription is disabled"* ]]
	[[ $output == *"subscription:  disabled, apply worker not running"* ]]
	[[ $output != *"lag:           0 bytes"* ]]
	# a cutover in time refuses, saying why, and changes nothing
	run --separate-stderr fdwcopy cutover --dir "$W" --timeout 1
	[ "$status" -eq 1 ]
	[[ $stderr == *"the target did not catch up in 1 s: "*" bytes behind"* ]]
	[ "$(leftovers k1 | wc -l)" = 3 ]
	psql_on dst k1 -c "ALTER SUBSCRIPTION $name ENABLE"
	wait "$PGBENCH_PID"
	run --separate-stderr fdwcopy cutover --dir "$W"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"verify: equal: 6 tables (row counts and checksums), 2 sequences"* ]]
	[ -z "$(leftovers k1)" ]
	[ "$(psql_on dst k1 -Atc "SELECT count(*) FROM events WHERE what = 'late'")" = 100 ]
}

@test "kill -9 of the clone after its data step: the slot is kept, follow status names it and its WAL, clone --resume goes on from it" {
	make_bench kd 1
	S=$(pgsb_conninfo src kd)
	W=$BATS_TEST_TMPDIR/w
	fdwcopy clone --follow --source "$S" --target "$(pgsb_conninfo dst kd)" --dir "$W" >"$BATS_TEST_TMPDIR/clone.log" 2>&1 3>&- &
	pid=$!
	# killed once the permanent slot is made (post-data, before the subscription)
	for _ in $(seq 600); do grep -qs '^declare -- FOLLOW_STAGE="slot"$' "$W/follow.state" && break; sleep 0.05; done
	kill -9 "$pid"
	wait "$pid" || true
	grep -q '^declare -- FOLLOW_STAGE="slot"$' "$W/follow.state"
	name=$(sed -n 's/^declare -- FOLLOW_NAME="\(.*\)"$/\1/p' "$W/follow.state")
	# the temporary slot goes with snapshot-hold's session, the permanent one stays
	for _ in $(seq 100); do [ "$(slots kd)" = "$name" ] && break; sleep 0.1; done
	[ "$(psql_on src kd -Atc "SELECT slot_name || ' ' || temporary FROM pg_replication_slots WHERE database = current_database()")" = "$name false" ]
	for _ in $(seq 100); do flock -n "$W/lock" true && break; sleep 0.1; done
	run --separate-stderr fdwcopy follow status --dir "$W"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 3 ]
	[[ $stderr == *"did not finish (killed?) after copying the data: replication slot $name retains "*" MB of the source's WAL"* ]]
	[[ $stderr == *"fdwcopy clone --resume --dir '$W' goes on from the slot"* ]]
	# a change while nobody follows is in the slot
	psql_on src kd -c "INSERT INTO events (id, k, what) VALUES (2000000, 7, 'while killed')"
	run --separate-stderr fdwcopy clone --resume --follow --dir "$W" --source "$S" --target "$(pgsb_conninfo dst kd)"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"follow: going on from replication slot $name (the data was copied in its snapshot)"* ]]
	[[ $stderr != *"every table is copied again"* ]]
	for _ in $(seq 100); do [ "$(psql_on dst kd -Atc "SELECT count(*) FROM events WHERE what = 'while killed'")" = 1 ] && break; sleep 0.1; done
	[ "$(psql_on dst kd -Atc "SELECT count(*) FROM events WHERE what = 'while killed'")" = 1 ]
	run fdwcopy follow stop --dir "$W"
	[ "$status" -eq 0 ]
	[ -z "$(leftovers kd)" ]
}

@test "follow status warns of schema drift (exit 3); follow stop drops the replication, cutover then refuses" {
	make_bench dr 1
	W=$BATS_TEST_TMPDIR/w
	run --separate-stderr fdwcopy clone --follow --source "$(pgsb_conninfo src dr)" --target "$(pgsb_conninfo dst dr)" --dir "$W"
	[ "$status" -eq 0 ]
	psql_on src dr -c "ALTER TABLE pgbench_tellers ADD COLUMN note text"
	run --separate-stderr fdwcopy follow status --dir "$W"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 3 ]
	[[ $stderr == *"the schemas of source and target differ (DDL is not replicated"* ]]
	[[ $stderr == *"note text"* ]]
	run --separate-stderr fdwcopy follow stop --dir "$W"
	[ "$status" -eq 0 ]
	[ -z "$(leftovers dr)" ]
	run --separate-stderr fdwcopy cutover --dir "$W"
	[ "$status" -eq 1 ]
	[[ $stderr == *"was stopped or cut over already: nothing to cut over"* ]]
	run --separate-stderr fdwcopy follow stop --dir "$W"
	[ "$status" -eq 0 ]
	[[ $output == *"nothing to stop"* ]]
}

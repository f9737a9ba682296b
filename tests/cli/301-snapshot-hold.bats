#!/usr/bin/env bats
# snapshot-hold: exports a snapshot that other sessions can import, holds it
# while its stdin is open, lets go with status 0 on end of input or a signal,
# and exits 1 with a message when its connection dies.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start src
	psql_on src -c "CREATE TABLE t (i int)" -c "INSERT INTO t VALUES (1)"
}

teardown_file() { pgsb_stop; }

# start_hold: snapshot-hold in the background with stdin on a FIFO held open on
# fd 4; sets HOLD_PID and SNAP (waits up to 10 s for the id).
start_hold() {
	local d=$BATS_TEST_TMPDIR
	mkfifo "$d/ctl"
	snapshot-hold --source "$(pgsb_conninfo src)" <"$d/ctl" >"$d/id" 2>"$d/err" 3>&- &
	HOLD_PID=$!
	exec 4>"$d/ctl"
	local i
	for i in $(seq 100); do
		[ -s "$d/id" ] && break
		sleep 0.1
	done
	SNAP=$(cat "$d/id")
	[ -n "$SNAP" ]
}

count_in_snapshot() {
	psql_on src -Atc "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SET TRANSACTION SNAPSHOT '$1'" \
		-c "SELECT count(*) FROM t" -c "COMMIT"
}

@test "snapshot-hold: --help, --version and a bad option" {
	run --separate-stderr snapshot-hold --help
	[ "$status" -eq 0 ]
	[[ $output == *"Usage:"* ]]
	[[ $output == *"--source"* ]]
	[ -z "$stderr" ]
	run --separate-stderr snapshot-hold --version
	[ "$status" -eq 0 ]
	[[ $output == "snapshot-hold (fdwcopy) "* ]]
	run --separate-stderr snapshot-hold --bogus
	[ "$status" -eq 2 ]
	[[ $stderr == *"snapshot-hold: error: "*"bogus"* ]]
	[[ $stderr == *'Try "snapshot-hold --help" for more information.'* ]]
}

@test "snapshot-hold: the snapshot hides rows committed after it; end of input exits 0" {
	start_hold
	[[ $SNAP =~ ^[0-9A-F]+-[0-9A-F]+-[0-9]+$ ]]
	psql_on src -c "INSERT INTO t VALUES (2)"
	run count_in_snapshot "$SNAP"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	exec 4>&-
	rc=0; wait "$HOLD_PID" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	# Released: the id is no longer valid.
	run count_in_snapshot "$SNAP"
	[ "$status" -ne 0 ]
	[[ $output == *"invalid snapshot identifier"* ]]
	psql_on src -c "DELETE FROM t WHERE i = 2"
}

@test "snapshot-hold: a FIFO writer leaked into it by the parent does not keep it alive" {
	local d=$BATS_TEST_TMPDIR fd
	mkfifo "$d/ctl"
	# The driver's pattern: open the FIFO read-write, start the child, close it.
	exec {fd}<>"$d/ctl"
	snapshot-hold --source "$(pgsb_conninfo src)" <"$d/ctl" >"$d/id" 2>"$d/err" 3>&- &
	local pid=$!
	for i in $(seq 100); do [ -s "$d/id" ] && break; sleep 0.1; done
	[ -s "$d/id" ]
	exec {fd}>&-
	local rc=0 i
	for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && kill "$pid"
	wait "$pid" || rc=$?
	[ "$i" -lt 50 ]
	[ "$rc" -eq 0 ]
}

@test "snapshot-hold: SIGTERM and SIGINT release the snapshot with status 0" {
	start_hold
	kill -TERM "$HOLD_PID"
	rc=0; wait "$HOLD_PID" || rc=$?
	[ "$rc" -eq 0 ]
	exec 4>&-
	rm "$BATS_TEST_TMPDIR/ctl"
	start_hold
	kill -INT "$HOLD_PID"
	rc=0; wait "$HOLD_PID" || rc=$?
	[ "$rc" -eq 0 ]
	exec 4>&-
}

@test "snapshot-hold: a terminated session exits 1 and says why" {
	start_hold
	psql_on src -Atc "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	  WHERE application_name = 'snapshot-hold'" >"$BATS_TEST_TMPDIR/n"
	[ "$(cat "$BATS_TEST_TMPDIR/n")" = 1 ]
	rc=0; wait "$HOLD_PID" || rc=$?
	exec 4>&-
	[ "$rc" -eq 1 ]
	run cat "$BATS_TEST_TMPDIR/err"
	[[ $output == "snapshot-hold: error: connection to source lost: FATAL:  terminating connection due to administrator command"* ]]
}

@test "snapshot-hold: stdin at end of file prints the id and exits 0; FDWCOPY_SOURCE is used" {
	FDWCOPY_SOURCE="$(pgsb_conninfo src)" run --separate-stderr snapshot-hold </dev/null
	[ "$status" -eq 0 ]
	[[ $output =~ ^[0-9A-F]+-[0-9A-F]+-[0-9]+$ ]]
	[ -z "$stderr" ]
}

@test "snapshot-hold: no server: exit 1, could not connect, password masked" {
	run --separate-stderr snapshot-hold --source "host=$BATS_TEST_TMPDIR port=1 user=x password=secret-pw" </dev/null
	[ "$status" -eq 1 ]
	[[ $stderr == "snapshot-hold: error: could not connect to source: "* ]]
	[[ $stderr != *secret-pw* ]]
}

#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# The throwaway-cluster harness itself: clusters start on distinct ports with
# postgres_fdw available, and stop leaves no process and no directory behind.

load ../lib/pgsandbox

setup() {
	SB=$(mktemp -d /tmp/pgsb-test.XXXXXX)
}

teardown() {
	"$REPO_ROOT/scripts/pgsandbox" stop "$SB"
}

@test "pgsandbox starts two clusters on distinct ports with postgres_fdw" {
	run "$REPO_ROOT/scripts/pgsandbox" start "$SB" one two
	[ "$status" -eq 0 ]
	p1=$("$REPO_ROOT/scripts/pgsandbox" port "$SB" one)
	p2=$("$REPO_ROOT/scripts/pgsandbox" port "$SB" two)
	[ "$p1" != "$p2" ]
	c1=$("$REPO_ROOT/scripts/pgsandbox" conninfo "$SB" one)
	psql -X -q -d "$c1" -Atc "CREATE EXTENSION postgres_fdw; SELECT current_setting('fsync')" >"$SB/out"
	[ "$(cat "$SB/out")" = "off" ]
	psql -X -d "$c1" -Atc "SHOW listen_addresses" >"$SB/out"
	[ "$(cat "$SB/out")" = "" ]
}

# gone PID: no such process, or only a zombie left of it.
gone() { [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

@test "pgsandbox stop leaves no server process and removes the directory" {
	"$REPO_ROOT/scripts/pgsandbox" start "$SB" one >/dev/null
	pid=$(head -1 "$SB/one/postmaster.pid")
	kill -0 "$pid"
	"$REPO_ROOT/scripts/pgsandbox" stop "$SB"
	# pg_ctl stop -w returns once postmaster.pid is gone, which the postmaster
	# removes just before it exits: allow it a moment; a zombie waiting for
	# its reaper (the machine's init) is no server process either
	for _ in $(seq 1 50); do
		gone "$pid" && break
		sleep 0.1
	done
	run gone "$pid"
	[ "$status" -eq 0 ]
	[ ! -e "$SB" ]
}

@test "pgsandbox: unknown command exits 2" {
	run "$REPO_ROOT/scripts/pgsandbox" frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *'unknown command "frobnicate"'* ]]
}

@test "pgsandbox --help and --version print to stdout and exit 0" {
	run --separate-stderr "$REPO_ROOT/scripts/pgsandbox" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage:"* ]]
	[ -z "$stderr" ]
	run --separate-stderr "$REPO_ROOT/scripts/pgsandbox" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "pgsandbox (fdwcopy) "* ]]
}

@test "pgsandbox start: unknown option exits 2 naming it, and starts nothing" {
	run "$REPO_ROOT/scripts/pgsandbox" start --bogus "$SB" one
	[ "$status" -eq 2 ]
	[[ "$output" == *'unknown option "--bogus"'* ]]
	[ ! -e "$SB/one" ]
}

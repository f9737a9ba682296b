#!/usr/bin/env bats
# The C++ tools stop when the process that started them dies (kill -9 of a
# driver): copy-table in the middle of a COPY, index-build waiting for result
# lines, snapshot-hold holding its snapshot. None of them outlives its parent
# by more than a second, and nothing goes on writing to the target.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox
load ../lib/slowcopy

setup_file() {
	pgsb_start src dst
	make_slow_copy
	S=$(pgsb_conninfo src d) T=$(pgsb_conninfo dst d)
	export S T
}

teardown_file() { pgsb_stop; }

# A tool that failed to die is not left behind.
teardown() {
	local p
	for p in ${STARTED:-}; do kill -9 "$p" 2>/dev/null || true; done
}

# start_under_parent COMMAND...: runs COMMAND in the background under a bash
# parent of its own (not exec'd); sets PARENT and CHILD to their pids.
start_under_parent() {
	local d=$BATS_TEST_TMPDIR
	rm -f "$d/child"
	bash -c '"$@" & echo $! >"'"$d/child"'"; wait' bash "$@" 3>&- &
	PARENT=$!
	for _ in $(seq 100); do
		[ -s "$d/child" ] && break
		sleep 0.05
	done
	CHILD=$(cat "$d/child")
	[ -n "$CHILD" ]
	STARTED="${STARTED:-} $CHILD"
}

# gone_within SECONDS PID: true once PID has exited (polls every 0.05 s). An
# orphan that exited stays a zombie until the reaper it was given to waits
# for it: that counts as gone.
gone_within() {
	local st
	for _ in $(seq $(($1 * 20))); do
		st=$(ps -o stat= -p "$2" || true)
		[ -z "$st" ] || [[ $st == Z* ]] && return 0
		sleep 0.05
	done
	return 1
}

target_copies() { psql_on dst d -Atc "SELECT count(*) FROM pg_stat_progress_copy"; }

@test "copy-table dies with its parent, mid-COPY, and the target stops receiving" {
	table-list --source "$S" --include-table big >"$BATS_TEST_TMPDIR/work"
	# shellcheck disable=SC2016 # $0, $1, $2 are sh's arguments
	start_under_parent sh -c 'exec copy-table -s "$0" -t "$1" <"$2"' "$S" "$T" "$BATS_TEST_TMPDIR/work"
	for _ in $(seq 200); do
		[ "$(target_copies)" -gt 0 ] && break
		sleep 0.05
	done
	[ "$(target_copies)" -gt 0 ]
	kill -9 "$PARENT"
	gone_within 1 "$CHILD"
	for _ in $(seq 40); do
		[ "$(target_copies)" = 0 ] && break
		sleep 0.05
	done
	[ "$(target_copies)" = 0 ]
	[ "$(psql_on dst d -Atc "SELECT count(*) FROM big")" = 0 ]
}

@test "index-build and snapshot-hold die with their parent" {
	local d=$BATS_TEST_TMPDIR
	mkfifo "$d/in1" "$d/in2"
	exec 4<>"$d/in1" 5<>"$d/in2"
	# shellcheck disable=SC2016 # $0, $1, $2 are sh's arguments
	start_under_parent sh -c 'exec index-build -s "$0" -t "$1" <"$2" >/dev/null' "$S" "$T" "$d/in1"
	local ib_parent=$PARENT ib=$CHILD
	# shellcheck disable=SC2016 # $0, $1, $2 are sh's arguments
	start_under_parent sh -c 'exec snapshot-hold -s "$0" <"$1" >/dev/null' "$S" "$d/in2"
	local sh_parent=$PARENT hold=$CHILD
	sleep 0.5
	kill -0 "$ib"
	kill -0 "$hold"
	kill -9 "$ib_parent" "$sh_parent"
	gone_within 1 "$ib"
	gone_within 1 "$hold"
	exec 4>&- 5>&-
}

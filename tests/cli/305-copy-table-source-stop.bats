#!/usr/bin/env bats
# The source server stops (pg_ctl stop -m fast) in the middle of a COPY:
# copy-table exits 1 with a message naming the table and the cause, and the
# target keeps nothing of it. Its own clusters, since it stops one.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox
load ../lib/slowcopy

setup_file() {
	pgsb_start src dst
	make_slow_copy
}

teardown_file() { pgsb_stop; }

@test "copy-table: the source stopping mid-COPY gives exit 1 naming the table; the target keeps nothing" {
	local S T
	S=$(pgsb_conninfo src d) T=$(pgsb_conninfo dst d)
	table-list --source "$S" --include-table big >"$BATS_TEST_TMPDIR/work"
	# A second item: not attempted after the failure.
	table-list --source "$S" --include-table big >>"$BATS_TEST_TMPDIR/work"
	copy-table -s "$S" -t "$T" <"$BATS_TEST_TMPDIR/work" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local pid=$! n=0
	for _ in $(seq 200); do
		n=$(psql_on dst d -Atc "SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy")
		[ "$n" -gt 0 ] && break
		sleep 0.05
	done
	[ "$n" -gt 0 ]
	runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$PGSB_DIR/src" -m fast -w stop >/dev/null
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	run cat "$BATS_TEST_TMPDIR/err"
	# The backend may die before it can say why (its socket is full).
	[ "${#lines[@]}" -le 2 ]
	[[ ${lines[0]} == 'copy-table: error: could not copy table "public.big": source: '* ]]
	[[ ${lines[0]} == *"terminating connection due to administrator command" ]] ||
		[[ ${lines[0]} == *"server closed the connection unexpectedly" ]]
	for _ in $(seq 100); do
		[ "$(psql_on dst d -Atc "SELECT count(*) FROM pg_stat_progress_copy")" = 0 ] && break
		sleep 0.05
	done
	[ "$(psql_on dst d -Atc "SELECT count(*) FROM big")" = 0 ]
}

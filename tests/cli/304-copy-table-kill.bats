#!/usr/bin/env bats
# copy-table killed with SIGKILL in the middle of a COPY: the target keeps
# nothing of that item (whole table: still empty; key part: the other parts'
# rows only), and a rerun completes it. A target session terminated mid-COPY
# makes copy-table exit 1 naming the table. The stream is slowed on the
# target by a CHECK constraint that sleeps now and then, so that "the middle
# of the COPY" lasts long enough to hit.

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

# wait_mid_copy: until the target's COPY into big has stored some rows (10 s max).
wait_mid_copy() {
	local n
	for _ in $(seq 200); do
		n=$(psql_on dst d -Atc "SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy
		  WHERE relid = 'big'::regclass")
		[ "$n" -gt 0 ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_no_copy: until no session copies into the target any more (10 s max).
wait_no_copy() {
	for _ in $(seq 200); do
		[ "$(psql_on dst d -Atc "SELECT count(*) FROM pg_stat_progress_copy")" = 0 ] && return 0
		sleep 0.05
	done
	return 1
}

checksum() {
	psql_on "$1" d -Atc "SELECT count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY t::text)) FROM big t"
}

@test "copy-table: SIGKILL mid-COPY of a whole table leaves it empty; a rerun completes it" {
	table-list --source "$S" --include-table big >"$BATS_TEST_TMPDIR/work"
	copy-table -s "$S" -t "$T" <"$BATS_TEST_TMPDIR/work" >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	local pid=$!
	wait_mid_copy
	kill -9 "$pid"
	wait "$pid" || true
	wait_no_copy
	[ "$(psql_on dst d -Atc "SELECT count(*) FROM big")" = 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	copy-table -s "$S" -t "$T" <"$BATS_TEST_TMPDIR/work" >"$BATS_TEST_TMPDIR/out"
	[ "$(cut -f13 "$BATS_TEST_TMPDIR/out")" = 200000 ]
	[ "$(checksum dst)" = "$(checksum src)" ]
}

@test "copy-table: SIGKILL mid-COPY of a key part keeps the other parts; a rerun completes it" {
	psql_on dst d -c "TRUNCATE big"
	table-list --source "$S" --include-table big --split-larger-than 5MB >"$BATS_TEST_TMPDIR/work"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/work")" -eq 3 ]
	sed -n '1p;3p' "$BATS_TEST_TMPDIR/work" | copy-table -s "$S" -t "$T" >/dev/null
	local before
	before=$(psql_on dst d -Atc "SELECT count(*) FROM big")
	sed -n 2p "$BATS_TEST_TMPDIR/work" | copy-table -s "$S" -t "$T" >/dev/null 2>&1 3>&- &
	local pid=$!
	wait_mid_copy
	kill -9 "$pid"
	wait "$pid" || true
	wait_no_copy
	[ "$(psql_on dst d -Atc "SELECT count(*) FROM big")" = "$before" ]
	# Rerun the whole split: key parts delete their range first, so no row twice.
	copy-table -s "$S" -t "$T" <"$BATS_TEST_TMPDIR/work" >/dev/null
	[ "$(checksum dst)" = "$(checksum src)" ]
}

@test "copy-table: the target session terminated mid-COPY: exit 1 naming the table, nothing kept" {
	psql_on dst d -c "TRUNCATE big"
	table-list --source "$S" --include-table big >"$BATS_TEST_TMPDIR/work"
	copy-table -s "$S" -t "$T" <"$BATS_TEST_TMPDIR/work" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local pid=$!
	wait_mid_copy
	psql_on dst d -Atc "SELECT pg_terminate_backend(pid) FROM pg_stat_progress_copy WHERE relid = 'big'::regclass" >/dev/null
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	run cat "$BATS_TEST_TMPDIR/err"
	[[ $output == 'copy-table: error: could not copy table "public.big": target: '* ]]
	wait_no_copy
	[ "$(psql_on dst d -Atc "SELECT count(*) FROM big")" = 0 ]
}

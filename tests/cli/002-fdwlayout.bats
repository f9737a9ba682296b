#!/usr/bin/env bats
# The shared FDW fixture itself: the source reads its archive through the
# foreign partition, so the suites built on it test something real.

load ../lib/pgsandbox
load ../lib/fdwlayout

setup_file() {
	pgsb_start src arch
	make_archive arch archive_db "source archive"
	make_fdw_source src fdwsrc arch archive_db
}

teardown_file() { pgsb_stop; }

@test "fdw fixture: partitioned table reads local and archived rows" {
	psql_on src fdwsrc -Atc "SELECT note, count(*) FROM measurements GROUP BY 1 ORDER BY 1" >"$BATS_TEST_TMPDIR/out"
	printf 'hot|10000\nsource archive|50\n' >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/out"
}

@test "fdw fixture: foreign servers and user mappings exist" {
	psql_on src fdwsrc -Atc "SELECT srvname FROM pg_foreign_server ORDER BY 1" >"$BATS_TEST_TMPDIR/out"
	printf 'archive_server\nreporting_srv\n' >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/out"
	psql_on src fdwsrc -Atc "SELECT count(*) FROM pg_user_mappings" >"$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = 4 ]
}

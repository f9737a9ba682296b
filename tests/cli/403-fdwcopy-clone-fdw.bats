#!/usr/bin/env bats
# fdwcopy clone end to end on the shared FDW fixture: the clone verifies, the
# target's servers point where the map says and read the target archive;
# refusals (unmapped servers, a target that has the tables) write nothing; a
# filtered clone keeps the servers its foreign tables need.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox
load ../lib/fdwlayout

setup_file() {
	pgsb_start src arch dst darch
	make_archive arch archive_db "source archive"
	make_archive darch archive_db "target archive"
	make_fdw_source src fdwsrc arch archive_db
	# A second schema with a local table and a foreign table on reporting_srv.
	psql_on src fdwsrc <<'SQL'
CREATE SCHEMA sales;
CREATE TABLE sales.deals (id int PRIMARY KEY, amount numeric NOT NULL);
INSERT INTO sales.deals SELECT g, g * 2 FROM generate_series(1, 300) g;
CREATE FOREIGN TABLE sales.remote_summary (k text, v bigint)
  SERVER reporting_srv OPTIONS (schema_name 'public', table_name 'summary');
SQL
	export MAP="$BATS_FILE_TMPDIR/staging.map"
	fdw_map "$MAP" "$(pgsb_port darch)" archive_db env:STAGING_ARCHIVE_PW env:STAGING_ARCHIVE_PW
	export STAGING_ARCHIVE_PW=staging-pw
	S=$(pgsb_conninfo src fdwsrc)
	export S
}

teardown_file() { pgsb_stop; }

# Everything the target database holds, for "nothing was written" checks.
objects_of() {
	psql_on dst "$1" -Atc "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast'))
	  + (SELECT count(*) FROM pg_foreign_server) + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')"
}

@test "clone: the FDW layout clones with --verify passing" {
	psql_on dst -c "CREATE DATABASE t1"
	run --separate-stderr fdwcopy clone --verify --jobs 2 --index-jobs 2 --fdw-map "$MAP" \
		--dir "$BATS_FILE_TMPDIR/w1" --source "$S" --target "$(pgsb_conninfo dst t1)"
	# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"verify: equal: "* ]]
	[[ $output == *"clone complete"* ]]
	# the partitioned index over the foreign partition is valid, as on the
	# source, its partitions' indexes attached, not built again
	[[ $output == *"post-data: 1 partitioned indexes over foreign partitions made valid"* ]]
	[[ $stderr != *"built again"* ]]
	[ -z "$(invalid_indexes dst t1)" ]
	# the work directory and its files are private
	[ "$(stat -c %a "$BATS_FILE_TMPDIR/w1")" = 700 ]
	[ "$(stat -c %a "$BATS_FILE_TMPDIR/w1/schema.dump")" = 600 ]
	# no password anywhere in what was printed or logged
	run -1 grep -q -e src-secret-pw -e staging-pw -e rep-secret-pw <<<"$output$stderr"
	run -1 grep -q -e staging-pw "$BATS_FILE_TMPDIR/w1/log"
}

@test "clone: the target's foreign servers and user mappings are the map's" {
	psql_on dst t1 -Atc "SELECT srvname, array_to_string(ARRAY(SELECT o FROM unnest(srvoptions) o ORDER BY 1), ',') FROM pg_foreign_server ORDER BY 1" >"$BATS_TEST_TMPDIR/out"
	printf '%s\n' "archive_server|dbname=archive_db,host=$PGSB_DIR,port=$(pgsb_port darch)" \
		"reporting_srv|dbname=archive_db,host=$PGSB_DIR,port=$(pgsb_port darch)" >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/out"
	psql_on dst t1 -Atc "SELECT srvname, usename, array_to_string(ARRAY(SELECT o FROM unnest(umoptions) o ORDER BY 1), ',') FROM pg_user_mappings ORDER BY 1, 2" >"$BATS_TEST_TMPDIR/out"
	printf '%s\n' "archive_server|postgres|password=staging-pw,user=postgres" \
		"archive_server|public|password=staging-pw,user=postgres" \
		"reporting_srv|postgres|password=staging-pw,user=postgres" >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/out"
}

@test "clone: the target reads archived rows from the target archive, data equal" {
	psql_on dst t1 -Atc "SELECT note, count(*) FROM measurements GROUP BY 1 ORDER BY 1" >"$BATS_TEST_TMPDIR/out"
	printf 'hot|10000\ntarget archive|50\n' >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/out"
	[ "$(psql_on dst t1 -Atc "SELECT count(*) FROM orders")" = 5000 ]
	[ "$(psql_on dst t1 -Atc "SELECT last_value FROM invoice_no")" = 1234 ]
	[ "$(psql_on dst t1 -Atc "SELECT count(*) FROM pg_constraint WHERE conname IN ('orders_pkey', 'orders_item_id_fkey', 'items_code_key')")" = 3 ]
}

@test "clone --resume: a post-data restore run again skips the objects already made" {
	# As after a failure half way through the post-data: the steps file says
	# it is not done, the objects are on the target.
	W="$BATS_FILE_TMPDIR/w1"
	grep -v '^post-data' "$W/steps" >"$W/steps.new" && mv "$W/steps.new" "$W/steps"
	touch "$W/post-data.started"
	run --separate-stderr fdwcopy clone --resume --dir "$W" --source "$S" --target "$(pgsb_conninfo dst t1)"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"schema, data and indexes: done before"* ]]
	[[ $output == *"objects were already made by the interrupted run"* ]]
	[[ $output == *"verify: equal: "* ]]
}

@test "clone: an unmapped server is refused before anything is written (exit 3)" {
	psql_on dst -c "CREATE DATABASE t2"
	run --separate-stderr fdwcopy clone --source "$S" --target "$(pgsb_conninfo dst t2)" --dir "$BATS_TEST_TMPDIR/w"
	[ "$status" -eq 3 ]
	[[ $stderr == *'fdwcopy clone: problem: foreign server "archive_server" is not mapped: no --fdw-map was given'* ]]
	[[ $stderr == *'fdwcopy clone: problem: foreign server "reporting_srv" is not mapped: no --fdw-map was given'* ]]
	[[ $stderr == *"fdwcopy: error: 2 problems found before anything was written; nothing was written to the target"* ]]
	[[ $stderr == *"--fdw-map=keep"* ]]
	[ "$(objects_of t2)" = 0 ]
	# a map that misses a server: fdw-rewrite refuses, the transaction never commits
	(umask 077 && printf '[server:archive_server]\nhost = %s\nport = %s\n' "$PGSB_DIR" "$(pgsb_port darch)" \
		>"$BATS_TEST_TMPDIR/partial.map")
	run --separate-stderr fdwcopy clone --fdw-map "$BATS_TEST_TMPDIR/partial.map" --source "$S" \
		--target "$(pgsb_conninfo dst t2)" --dir "$BATS_TEST_TMPDIR/w2"
	echo "$stderr"
	[ "$status" -eq 3 ]
	[[ $stderr == *"fdwcopy clone: problem: server \"reporting_srv\" is not in the map (map $BATS_TEST_TMPDIR/partial.map)"* ]]
	[ "$(objects_of t2)" = 0 ]
}

@test "clone: a target that already has the tables is refused, nothing dropped (exit 1)" {
	psql_on dst -c "CREATE DATABASE t3"
	psql_on dst t3 -c "CREATE TABLE items (x int)" -c "INSERT INTO items VALUES (42)"
	run --separate-stderr fdwcopy clone --fdw-map "$MAP" --source "$S" --target "$(pgsb_conninfo dst t3)" --dir "$BATS_TEST_TMPDIR/w"
	[ "$status" -eq 1 ]
	[[ $stderr == *"fdwcopy clone: problem: the target is not empty: it has table public.items"* ]]
	[[ $stderr == *"fdwcopy: error: 1 problem found before anything was written; nothing was written to the target"* ]]
	[ "$(psql_on dst t3 -Atc "SELECT x FROM items")" = 42 ]
	[ "$(objects_of t3)" = 1 ]
}

@test "clone --include-schema: only that schema, plus the servers its foreign tables need" {
	psql_on dst -c "CREATE DATABASE t4"
	run --separate-stderr fdwcopy clone --verify --include-schema sales --fdw-map "$MAP" --source "$S" \
		--target "$(pgsb_conninfo dst t4)" --dir "$BATS_TEST_TMPDIR/w"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"verify: equal: 1 tables"* ]]
	psql_on dst t4 -Atc "SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text FROM pg_class c
	  JOIN pg_namespace n ON n.oid = c.relnamespace
	  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relkind IN ('r', 'p', 'f', 'S', 'v', 'm')
	  ORDER BY 1" >"$BATS_TEST_TMPDIR/out"
	printf 'sales.deals:r\nsales.remote_summary:f\n' >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/out"
	[ "$(psql_on dst t4 -Atc "SELECT string_agg(srvname, ',') FROM pg_foreign_server")" = reporting_srv ]
	[ "$(psql_on dst t4 -Atc "SELECT k FROM sales.remote_summary")" = "target archive" ]
	[ "$(psql_on dst t4 -Atc "SELECT count(*) FROM sales.deals")" = 300 ]
}

@test "clone: a target with log_statement = all gets no user-mapping password in its server log" {
	psql_on dst -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()"
	psql_on dst -c "CREATE DATABASE t9"
	run --separate-stderr fdwcopy clone --fdw-map "$MAP" --dir "$BATS_FILE_TMPDIR/w9" \
		--source "$S" --target "$(pgsb_conninfo dst t9)"
	psql_on dst -c "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	# the target did log the clone's statements, the pre-data's user mappings excepted
	grep -q 'statement: CREATE DATABASE t9' "$PGSB_DIR/dst.log"
	run -1 grep -q -e staging-pw -e src-secret-pw "$PGSB_DIR/dst.log"
	[ "$(psql_on dst t9 -Atc "SELECT count(*) FROM pg_user_mappings WHERE 'password=staging-pw' = ANY (umoptions)")" -ge 1 ]
}

@test "clone: the password files are gone after a run that fails early" {
	FDWCOPY_SOURCE="$S password=src-secret-pw" FDWCOPY_TARGET="$(pgsb_conninfo dst no_such_db) password=tgt-secret-pw" \
		run --separate-stderr fdwcopy clone --fdw-map "$MAP" --dir "$BATS_FILE_TMPDIR/w10"
	[ "$status" -eq 1 ]
	[[ $stderr == *'could not connect to target'* ]]
	find "$BATS_FILE_TMPDIR/w10" >"$BATS_TEST_TMPDIR/files"
	run -1 grep -e '\.pgpass$' "$BATS_TEST_TMPDIR/files"
	run -1 grep -rq -e src-secret-pw -e tgt-secret-pw "$BATS_FILE_TMPDIR/w10"
}

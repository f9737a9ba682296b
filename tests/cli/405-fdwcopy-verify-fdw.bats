#!/usr/bin/env bats
# fdwcopy verify after a clone with an FDW map that changes more than values:
# it adds an option the source's mapping did not have (a password on the
# PUBLIC mapping that only had "user"), with quotes and a backslash in it, and
# moves a mapping to another role (which sorts it elsewhere in pg_dump's
# output). Verify must call that equal, and still find a real difference:
# an option the map did not set, changed on the target.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox
load ../lib/fdwlayout

setup_file() {
	pgsb_start src arch dst
	make_archive arch archive_db "source archive"
	make_fdw_source src fdwsrc arch archive_db
	psql_on dst -c "CREATE ROLE zed" -c "CREATE DATABASE t"
	export MAP="$BATS_FILE_TMPDIR/staging.map"
	(umask 077 && cat >"$MAP" <<MAP
[server:archive_server]
host = $PGSB_DIR
port = $(pgsb_port arch)
dbname = archive_db

[server:reporting_srv]
host = $PGSB_DIR
port = $(pgsb_port arch)
dbname = archive_db

[user-mapping:*@archive_server]
user = postgres
password = env:STAGING_PW

[user-mapping:postgres@reporting_srv]
password = env:STAGING_PW

[user-mapping:alice@reporting_srv]
role = zed
MAP
)
	export STAGING_PW="it's a\\secret"
	S=$(pgsb_conninfo src fdwsrc) T=$(pgsb_conninfo dst t)
	export S T
	fdwcopy clone --jobs 2 --index-jobs 2 --fdw-map "$MAP" --dir "$BATS_FILE_TMPDIR/w" \
		--source "$S" --target "$T" >"$BATS_FILE_TMPDIR/clone.out" 2>&1
}

teardown_file() { pgsb_stop; }

@test "verify: options the map added and a mapping moved to another role are equal" {
	# the PUBLIC mapping had only "user"; the map gave it a password
	psql_on dst t -Atc "SELECT array_to_string(umoptions, ',') FROM pg_user_mappings
	  WHERE srvname = 'archive_server' AND usename = 'public'" >"$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "user=postgres,password=$STAGING_PW" ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM pg_user_mappings WHERE usename = 'zed'")" = 1 ]
	run --separate-stderr fdwcopy verify --jobs 2 --fdw-map "$MAP" --source "$S" --target "$T" \
		--dir "$BATS_TEST_TMPDIR/v"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == "verify: equal: "* ]]
	[ -z "$stderr" ]
}

@test "verify: an option the map did not set, changed on the target, is a difference" {
	psql_on dst t -c "ALTER SERVER archive_server OPTIONS (ADD fetch_size '77')" \
		-c "ALTER USER MAPPING FOR zed SERVER reporting_srv OPTIONS (SET \"user\" 'someone')"
	run --separate-stderr fdwcopy verify --jobs 2 --fdw-map "$MAP" --source "$S" --target "$T" \
		--dir "$BATS_TEST_TMPDIR/v"
	echo "$output"; echo "$stderr"
	psql_on dst t -c "ALTER SERVER archive_server OPTIONS (DROP fetch_size)" \
		-c "ALTER USER MAPPING FOR zed SERVER reporting_srv OPTIONS (SET \"user\" 'postgres')"
	[ "$status" -eq 1 ]
	[[ $stderr == *"fdwcopy: error: verify: source and target differ (0 data mismatches, 4 schema lines)"* ]]
	grep -q "^+CREATE SERVER archive_server .*fetch_size '77'" <<<"$output"
	grep -q "^+CREATE USER MAPPING FOR zed SERVER reporting_srv .*\"user\" 'someone'" <<<"$output"
	# the secrets stay masked
	[[ $output != *secret* && $stderr != *secret* ]]
	run -1 grep -rq secret "$BATS_TEST_TMPDIR/v"
}

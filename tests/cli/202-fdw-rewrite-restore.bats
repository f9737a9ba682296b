#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# fdw-rewrite end to end: the pre-data of the FDW fixture, rewritten to point
# at a "target archive", restores on another cluster whose foreign partition
# then reads the target archive's rows; unmapped servers stop the pipeline
# before anything reaches the target; no password is ever on stderr.

load ../lib/pgsandbox
load ../lib/fdwlayout

setup_file() {
	pgsb_start src arch tarch
	make_archive arch archive_db "source archive"
	make_fdw_source src fdwsrc arch archive_db
	make_archive tarch tarchive_db "target archive"
	psql_on tarch -c "CREATE ROLE bob"
	pg_dump --section=pre-data -d "$(pgsb_conninfo src fdwsrc)" >"$BATS_FILE_TMPDIR/pre.sql"
	pg_dump -d "$(pgsb_conninfo src fdwsrc)" >"$BATS_FILE_TMPDIR/full.sql"
	printf 'file-secret-pw\n' >"$BATS_FILE_TMPDIR/reporting.pw"
	chmod 600 "$BATS_FILE_TMPDIR/reporting.pw"
}

teardown_file() { pgsb_stop; }

setup() {
	T=$BATS_TEST_TMPDIR
	F=$BATS_FILE_TMPDIR
	TPORT=$(pgsb_port tarch)
	export ARCHIVE_PASSWORD=env-secret-pw
}

# staging_map FILE [alice-section-line]: both servers on the target archive.
staging_map() { fdw_map "$1" "$TPORT" tarchive_db env:ARCHIVE_PASSWORD "file:$F/reporting.pw" "${2:-}"; }

# no_secrets FILE: none of the source's or the map's passwords is in FILE.
no_secrets() {
	local rc=0
	grep -q -e src-secret-pw -e alice-secret-pw -e rep-secret-pw -e env-secret-pw -e file-secret-pw "$1" || rc=$?
	# 1: read, no match (0 is a leak, 2 an unreadable file)
	[ "$rc" -eq 1 ]
}

@test "rewritten pre-data restores and the partitioned table reads the target archive" {
	staging_map "$T/staging.map"
	psql_on tarch -c "CREATE DATABASE dst1"
	fdw-rewrite --map "$T/staging.map" <"$F/pre.sql" >"$T/out.sql" 2>"$T/err"
	[ ! -s "$T/err" ]
	psql_on tarch dst1 -1 -f "$T/out.sql" >/dev/null

	psql_on tarch dst1 -Atc "SELECT note, count(*) FROM measurements GROUP BY 1 ORDER BY 1" >"$T/rows"
	echo 'target archive|50' >"$T/expected"
	diff -u "$T/expected" "$T/rows"
	psql_on tarch dst1 -Atc "SELECT k, v FROM reporting_summary" >"$T/rows"
	echo 'target archive|1' >"$T/expected"
	diff -u "$T/expected" "$T/rows"

	psql_on tarch dst1 -Atc "SELECT srvname, array_to_string(srvoptions, ',') FROM pg_foreign_server ORDER BY 1" >"$T/servers"
	printf '%s\n' "archive_server|dbname=tarchive_db,host=$PGSB_DIR,port=$TPORT" \
		"reporting_srv|dbname=tarchive_db,host=$PGSB_DIR,port=$TPORT" >"$T/expected"
	diff -u "$T/expected" "$T/servers"
	psql_on tarch dst1 -Atc "SELECT usename, srvname, array_to_string(umoptions, ',') FROM pg_user_mappings ORDER BY 1, 2" >"$T/mappings"
	printf '%s\n' 'postgres|archive_server|password=env-secret-pw,user=postgres' \
		'postgres|reporting_srv|password=file-secret-pw,user=postgres' \
		'public|archive_server|user=postgres,password=env-secret-pw' >"$T/expected"
	diff -u "$T/expected" "$T/mappings"

	# alice's mapping is commented out, its password masked; no source password survives.
	grep -qx -- '-- fdw-rewrite: user mapping for "alice" on server "reporting_srv" dropped: drop = true in \[user-mapping:alice@reporting_srv\] (.*staging.map:20)' "$T/out.sql"
	run -1 grep -q -e src-secret-pw -e alice-secret-pw -e rep-secret-pw "$T/out.sql"
}

@test "a user mapping moves to another role on the target" {
	staging_map "$T/staging.map" "role = bob"
	psql_on tarch -c "CREATE DATABASE dst2"
	fdw-rewrite --map "$T/staging.map" <"$F/pre.sql" >"$T/out.sql" 2>"$T/err"
	psql_on tarch dst2 -1 -f "$T/out.sql" >/dev/null
	psql_on tarch dst2 -Atc "SELECT usename FROM pg_user_mappings WHERE srvname = 'reporting_srv' ORDER BY 1" >"$T/roles"
	printf 'bob\npostgres\n' >"$T/expected"
	diff -u "$T/expected" "$T/roles"
	no_secrets "$T/err"
}

@test "unmapped servers exit 3 and the target stays empty" {
	cat >"$T/partial.map" <<MAP
[server:archive_server]
host = $PGSB_DIR
MAP
	chmod 600 "$T/partial.map"
	psql_on tarch -c "CREATE DATABASE dst3"
	# The pipeline the README shows: psql gets no SQL at all.
	bash -c 'fdw-rewrite --map "$1" <"$2" 2>"$3" | psql -X -q -v ON_ERROR_STOP=1 -d "$4"; echo "${PIPESTATUS[*]}" >"$5"' _ \
		"$T/partial.map" "$F/pre.sql" "$T/err" "$(pgsb_conninfo tarch dst3)" "$T/status"
	[ "$(cat "$T/status")" = "3 0" ]
	grep -x 'fdw-rewrite: error: .*' "$T/err" >"$T/errors"
	# ... and every user mapping with options, which no section covers either.
	printf '%s\n' 'fdw-rewrite: error: server "reporting_srv" is not in the map' \
		'fdw-rewrite: error: user mapping for "postgres" on server "archive_server" is not in the map' \
		'fdw-rewrite: error: user mapping for PUBLIC on server "archive_server" is not in the map' \
		'fdw-rewrite: error: user mapping for "alice" on server "reporting_srv" is not in the map' \
		'fdw-rewrite: error: user mapping for "postgres" on server "reporting_srv" is not in the map' >"$T/expected"
	diff -u "$T/expected" "$T/errors"
	psql_on tarch dst3 -Atc "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace),
		(SELECT count(*) FROM pg_foreign_server), (SELECT count(*) FROM pg_extension WHERE extname = 'postgres_fdw')" >"$T/counts"
	[ "$(cat "$T/counts")" = "0|0|0" ]
	no_secrets "$T/err"

	# With no server mapped, both are listed.
	: >"$T/empty.map"
	chmod 600 "$T/empty.map"
	rc=0
	fdw-rewrite --map "$T/empty.map" <"$F/pre.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 3 ]
	[ ! -s "$T/out" ]
	grep -x 'fdw-rewrite: error: .*' "$T/err" >"$T/errors"
	grep -x 'fdw-rewrite: error: server .*' "$T/err" >"$T/errors"
	printf '%s\n' 'fdw-rewrite: error: server "archive_server" is not in the map' \
		'fdw-rewrite: error: server "reporting_srv" is not in the map' >"$T/expected"
	diff -u "$T/expected" "$T/errors"
	[ "$(grep -c '^fdw-rewrite: error: user mapping for ' "$T/err")" -eq 4 ]
}

@test "the map's keys are checked against the option names the server's postgres_fdw accepts" {
	# postgres_fdw's own validator lists what it accepts in its hint; fdw-rewrite
	# names the same options, for servers and for user mappings.
	psql_on tarch -c "CREATE DATABASE optnames"
	psql_on tarch optnames -c "CREATE EXTENSION postgres_fdw" \
		-c "CREATE SERVER probe FOREIGN DATA WRAPPER postgres_fdw" >/dev/null
	for obj in server mapping; do
		if [ $obj = server ]; then
			sql="CREATE SERVER s2 FOREIGN DATA WRAPPER postgres_fdw OPTIONS (nosuchopt 'x')"
			map='[server:reporting_srv]\n[server:archive_server]\nnosuchopt = x\n'
			line=3
			what='foreign server'
		else
			sql="CREATE USER MAPPING FOR PUBLIC SERVER probe OPTIONS (nosuchopt 'x')"
			map='[server:archive_server]\n[server:reporting_srv]\n[user-mapping:*@archive_server]\nnosuchopt = x\n'
			line=4
			what='user mapping'
		fi
		run ! psql -X -d "$(pgsb_conninfo tarch optnames)" -c "$sql"
		sed -n 's/^HINT:  Valid options in this context are: //p' <<<"$output" >"$T/server.$obj"
		[ -s "$T/server.$obj" ]
		printf '%b' "$map" >"$T/typo.map"
		chmod 600 "$T/typo.map"
		rc=0
		fdw-rewrite --map "$T/typo.map" <"$F/pre.sql" >"$T/out" 2>"$T/err" || rc=$?
		[ "$rc" -eq 1 ]
		[ ! -s "$T/out" ]
		grep -qx "fdw-rewrite: error: $T/typo.map:$line: \"nosuchopt\" is not an option postgres_fdw accepts on a $what .*" "$T/err"
		sed -n "s/^fdw-rewrite: hint: postgres_fdw accepts on a $what: //p" "$T/err" >"$T/ours.$obj"
		diff -u "$T/server.$obj" "$T/ours.$obj"
	done
}

@test "no password on stderr, with -v and with --check" {
	staging_map "$T/staging.map"
	fdw-rewrite -v --map "$T/staging.map" <"$F/pre.sql" >"$T/out.sql" 2>"$T/err"
	grep -q 'server "archive_server"' "$T/err"
	no_secrets "$T/err"
	fdw-rewrite --check --map "$T/staging.map" <"$F/pre.sql" >"$T/out" 2>"$T/check"
	[ ! -s "$T/out" ]
	no_secrets "$T/check"
	grep -c '^fdw-rewrite: info: server "' "$T/check" >"$T/n"
	[ "$(cat "$T/n")" = 2 ]
	grep -c '^fdw-rewrite: info: user mapping for ' "$T/check" >"$T/n"
	[ "$(cat "$T/n")" = 4 ]
	grep -qx "fdw-rewrite: info:   password '\*\*\*\*' -> '\*\*\*\*'" "$T/check"
	grep -qx 'fdw-rewrite: info: found 2 servers and 4 user mappings; every server and user mapping is in the map' "$T/check"
}

@test "a full plain dump with COPY data passes through and restores" {
	# Empty server sections keep every option: the output is the input, byte for byte.
	printf '[server:archive_server]\n[server:reporting_srv]\n[user-mapping:*@archive_server]\n[user-mapping:*@reporting_srv]\n' >"$T/keep.map"
	chmod 600 "$T/keep.map"
	fdw-rewrite --map "$T/keep.map" <"$F/full.sql" >"$T/same.sql" 2>"$T/err"
	cmp "$F/full.sql" "$T/same.sql"

	staging_map "$T/staging.map"
	psql_on tarch -c "CREATE DATABASE dst4"
	fdw-rewrite --max-memory 65536 --map "$T/staging.map" <"$F/full.sql" >"$T/out.sql" 2>"$T/err"
	psql_on tarch dst4 -1 -f "$T/out.sql" >/dev/null
	psql_on tarch dst4 -Atc "SELECT note, count(*) FROM measurements GROUP BY 1 ORDER BY 1" >"$T/rows"
	printf 'hot|10000\ntarget archive|50\n' >"$T/expected"
	diff -u "$T/expected" "$T/rows"
	psql_on tarch dst4 -Atc "SELECT count(*) FROM orders" >"$T/rows"
	[ "$(cat "$T/rows")" = 5000 ]
}

#!/usr/bin/env bats
# fdwcopy clone with the source's password given in each way libpq knows:
# keyword/value (quotes, backslashes), URIs whose password holds "?", "@", "/",
# "%3F", "%40", spaces and UTF-8, a URI query string, PGPASSWORD, a service
# file, a password file. The source asks the role for its password (SCRAM), so
# the clone succeeds only when every client found it; ps, sampled all along,
# never shows it.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start src dst
	psql_on src -c "CREATE DATABASE d"
	psql_on src d <<'SQL'
CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO item SELECT g, md5(g::text) FROM generate_series(1, 2000) g;
CREATE INDEX item_name ON item (name);
CREATE MATERIALIZED VIEW item_count AS SELECT count(*) AS n FROM item;
SQL
	psql_on src -c "CREATE ROLE cloner LOGIN SUPERUSER PASSWORD 'initial'"
	sed -i '1i local all cloner scram-sha-256' "$PGSB_DIR/src/pg_hba.conf"
	psql_on src -c "SELECT pg_reload_conf()" >/dev/null
	# libpq's clients, each made to live 0.2 s longer than it would, so that
	# the ps sampler sees every one of them with its argument vector (the
	# real program runs: this only slows it down).
	SLOWBIN=$BATS_FILE_TMPDIR/slowbin
	mkdir "$SLOWBIN"
	for p in psql pg_dump pg_restore; do
		printf '#!/bin/bash\nsleep 0.2\nexec %q "$@"\n' "$(command -v "$p")" >"$SLOWBIN/$p"
		chmod 755 "$SLOWBIN/$p"
	done
	SRCPORT=$(pgsb_port src)
	# The socket directory as a URI host (percent-encoded "/").
	URIHOST=${PGSB_DIR//\//%2F}
	export SLOWBIN SRCPORT URIHOST
}

teardown_file() { pgsb_stop; }

teardown() {
	if [ -n "${sampler:-}" ]; then kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; fi
}

# set_password PW: the role cloner's password on the source (given to psql
# through its environment, \getenv, never through argv).
set_password() {
	PW406=$1 psql_on src <<'SQL'
\getenv pw PW406
ALTER ROLE cloner PASSWORD :'pw';
SQL
}

# clone_sampled SOURCE SECRET...: clones database d of src with conninfo
# SOURCE into a new database of dst while ps -eo args is
# sampled; then checks that the clone succeeded, that the samples show the
# source's clients (psql or pg_dump with -d ... user='cloner'), and that no
# SECRET (the password, and each other form in which it was written) is in
# the samples, in fdwcopy's output or in its log.
clone_sampled() {
	local source=$1 db=t$BATS_TEST_NUMBER rc=0 s
	shift
	psql_on dst -c "CREATE DATABASE $db"
	# without its password the role cannot connect: the password is used
	run ! env -u PGPASSWORD -u PGPASSFILE -u PGSERVICEFILE psql -X -w -d "host=$PGSB_DIR port=$SRCPORT user=cloner dbname=d" -c "SELECT 1"
	(while :; do ps -eo args; sleep 0.02; done) >"$BATS_TEST_TMPDIR/ps.log" 2>/dev/null &
	sampler=$!
	# the conninfo in fdwcopy's environment, as fdwcopy(1) says (--source would show it)
	FDWCOPY_SOURCE=$source PATH="$SLOWBIN:$PATH" fdwcopy clone --jobs 2 --dir "$BATS_TEST_TMPDIR/w" \
		--target "$(pgsb_conninfo dst "$db")" \
		>"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null || rc=$?
	kill "$sampler"
	wait "$sampler" 2>/dev/null || true
	sampler=
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 0 ]
	psql_on dst "$db" -Atc "SELECT count(*), sum(id), (SELECT n FROM item_count) FROM item" >"$BATS_TEST_TMPDIR/rows"
	[ "$(cat "$BATS_TEST_TMPDIR/rows")" = "2000|2001000|2000" ]
	# the sampler saw the source's clients and their conninfo (-d, not the target's)
	grep -E "^(/bin/bash $SLOWBIN/)?(psql|pg_dump) .*-d " "$BATS_TEST_TMPDIR/ps.log" |
		grep -vF "dbname='$db'" >"$BATS_TEST_TMPDIR/seen" || true
	[ "$(wc -l <"$BATS_TEST_TMPDIR/seen")" -ge 3 ]
	for s in "$@"; do
		run ! grep -F -e "$s" "$BATS_TEST_TMPDIR/ps.log" "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/w/log"
		echo "$output"
	done
}

@test "ps: keyword/value conninfo, password with quotes, backslashes and spaces" {
	set_password "it's a \\ pw-kv"
	clone_sampled "host='$PGSB_DIR' port=$SRCPORT user=cloner dbname=d password='it\\'s a \\\\ pw-kv'" \
		"it's a \\ pw-kv" "pw-kv"
}

@test "ps: URI whose password holds a literal ?" {
	set_password 'se?cret-qm'
	clone_sampled "postgresql://cloner:se?cret-qm@$URIHOST:$SRCPORT/d" 'se?cret-qm' 'cret-qm'
}

@test "ps: URI whose password holds @, /, ?, a space and UTF-8, percent-encoded (%40, %2F, %3F, %20)" {
	set_password 'a@b/c?d été-enc'
	clone_sampled "postgresql://cloner:a%40b%2Fc%3Fd%20%C3%A9t%C3%A9-enc@$URIHOST:$SRCPORT/d" \
		'a@b/c?d été-enc' 'a%40b%2Fc%3Fd' 'té-enc' '%C3%A9-enc'
}

@test "ps: URI whose password holds a literal space, UTF-8 and an encoded %3F / %40 text" {
	set_password 'zwei wörter %3F%40-raw'
	clone_sampled "postgres://cloner:zwei wörter %253F%2540-raw@$URIHOST:$SRCPORT/d" \
		'zwei wörter %3F%40-raw' 'zwei wörter' '%253F%2540-raw' '-raw'
}

@test "ps: URI with the password in the query string, other parameters kept" {
	set_password 'q&w=x?-query'
	clone_sampled "postgresql:///d?host=$URIHOST&port=$SRCPORT&user=cloner&password=q%26w%3Dx%3F-query&sslmode=disable" \
		'q&w=x?-query' 'q%26w%3Dx%3F-query' '-query'
}

@test "ps: PGPASSWORD" {
	set_password "env pw'\"-pgpassword"
	PGPASSWORD="env pw'\"-pgpassword" clone_sampled "host=$PGSB_DIR port=$SRCPORT user=cloner dbname=d" \
		"env pw'\"-pgpassword" '-pgpassword'
}

@test "ps: a service file (PGSERVICEFILE)" {
	set_password 'svc pw#1:-service'
	(umask 077 && printf '[src406]\nhost=%s\nport=%s\nuser=cloner\ndbname=d\npassword=%s\n' \
		"$PGSB_DIR" "$SRCPORT" 'svc pw#1:-service' >"$BATS_TEST_TMPDIR/pg_service.conf")
	PGSERVICEFILE="$BATS_TEST_TMPDIR/pg_service.conf" clone_sampled "service=src406" \
		'svc pw#1:-service' '-service'
}

@test "ps: a password file entry (PGPASSFILE)" {
	set_password 'pass:file\pw-pgpass'
	(umask 077 && printf '*:*:*:cloner:%s\n' 'pass\:file\\pw-pgpass' >"$BATS_TEST_TMPDIR/pgpass")
	PGPASSFILE="$BATS_TEST_TMPDIR/pgpass" clone_sampled "host=$PGSB_DIR port=$SRCPORT user=cloner dbname=d" \
		'pass:file\pw-pgpass' 'file\pw-pgpass' '-pgpass'
}

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
	# real program runs: this only slows it down). Each also writes what ps
	# shows of itself to $PS_SELF_LOG first, so that a sampler slowed by a
	# loaded machine cannot miss a client.
	SLOWBIN=$BATS_FILE_TMPDIR/slowbin
	mkdir "$SLOWBIN"
	for p in psql pg_dump pg_restore; do
		# shellcheck disable=SC2016 # $$ and $PS_SELF_LOG are the wrapper's, expanded when it runs
		printf '#!/bin/bash\nps -o args= -p $$ >>"${PS_SELF_LOG:-/dev/null}" 2>/dev/null\nsleep 0.2\nexec %q "$@"\n' "$(command -v "$p")" >"$SLOWBIN/$p"
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
	FDWCOPY_SOURCE=$source PS_SELF_LOG=$BATS_TEST_TMPDIR/ps-self.log PATH="$SLOWBIN:$PATH" fdwcopy clone --jobs 2 --dir "$BATS_TEST_TMPDIR/w" \
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
	cat "$BATS_TEST_TMPDIR/ps-self.log" >>"$BATS_TEST_TMPDIR/ps.log"
	grep -E "^(/bin/bash $SLOWBIN/)?(psql|pg_dump) .*-d " "$BATS_TEST_TMPDIR/ps.log" |
		grep -vF "dbname='$db'" >"$BATS_TEST_TMPDIR/seen" || true
	[ "$(wc -l <"$BATS_TEST_TMPDIR/seen")" -ge 3 ]
	# each secret form, searched in every sample, fdwcopy's output and its
	# log; a match is printed (file and line) before the test fails
	for s in "$@"; do
		run grep -n -F -e "$s" "$BATS_TEST_TMPDIR/ps.log" "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/w/log"
		[ "$status" -eq 1 ] || { echo "secret form '$s' seen (grep status $status):"; echo "$output"; false; }
	done
}

@test "ps: keyword/value conninfo, password with quotes, backslashes and spaces" {
	set_password "it's a \\ pw-kvZq8"
	clone_sampled "host='$PGSB_DIR' port=$SRCPORT user=cloner dbname=d password='it\\'s a \\\\ pw-kvZq8'" \
		"it's a \\ pw-kvZq8" "pw-kvZq8"
}

@test "ps: URI whose password holds a literal ?" {
	set_password 'se?cret-qmZq8'
	clone_sampled "postgresql://cloner:se?cret-qmZq8@$URIHOST:$SRCPORT/d" 'se?cret-qmZq8' 'cret-qmZq8'
}

@test "ps: URI whose password holds @, /, ?, a space and UTF-8, percent-encoded (%40, %2F, %3F, %20)" {
	set_password 'a@b/c?d été-encZq8'
	clone_sampled "postgresql://cloner:a%40b%2Fc%3Fd%20%C3%A9t%C3%A9-encZq8@$URIHOST:$SRCPORT/d" \
		'a@b/c?d été-encZq8' 'a%40b%2Fc%3Fd' 'té-encZq8' '%C3%A9-encZq8'
}

@test "ps: URI whose password holds a literal space, UTF-8 and an encoded %3F / %40 text" {
	set_password 'zwei wörter %3F%40-rawZq8'
	clone_sampled "postgres://cloner:zwei wörter %253F%2540-rawZq8@$URIHOST:$SRCPORT/d" \
		'zwei wörter %3F%40-rawZq8' 'zwei wörter' '%253F%2540-rawZq8' '-rawZq8'
}

@test "ps: URI with the password in the query string, other parameters kept" {
	set_password 'q&w=x?-queryZq8'
	clone_sampled "postgresql:///d?host=$URIHOST&port=$SRCPORT&user=cloner&password=q%26w%3Dx%3F-queryZq8&sslmode=disable" \
		'q&w=x?-queryZq8' 'q%26w%3Dx%3F-queryZq8' '-queryZq8'
}

@test "ps: PGPASSWORD" {
	set_password "env pw'\"-pgpasswordZq8"
	PGPASSWORD="env pw'\"-pgpasswordZq8" clone_sampled "host=$PGSB_DIR port=$SRCPORT user=cloner dbname=d" \
		"env pw'\"-pgpasswordZq8" '-pgpasswordZq8'
}

@test "ps: a service file (PGSERVICEFILE)" {
	set_password 'svc pw#1:-serviceZq8'
	(umask 077 && printf '[src406]\nhost=%s\nport=%s\nuser=cloner\ndbname=d\npassword=%s\n' \
		"$PGSB_DIR" "$SRCPORT" 'svc pw#1:-serviceZq8' >"$BATS_TEST_TMPDIR/pg_service.conf")
	PGSERVICEFILE="$BATS_TEST_TMPDIR/pg_service.conf" clone_sampled "service=src406" \
		'svc pw#1:-serviceZq8' '-serviceZq8'
}

@test "ps: a password file entry (PGPASSFILE)" {
	set_password 'pass:file\pw-pgpassZq8'
	(umask 077 && printf '*:*:*:cloner:%s\n' 'pass\:file\\pw-pgpassZq8' >"$BATS_TEST_TMPDIR/pgpass")
	PGPASSFILE="$BATS_TEST_TMPDIR/pgpass" clone_sampled "host=$PGSB_DIR port=$SRCPORT user=cloner dbname=d" \
		'pass:file\pw-pgpassZq8' 'file\pw-pgpassZq8' '-pgpassZq8'
}

# shellcheck shell=bash # loaded by bats (load), not run
# Bats helpers: throwaway clusters per test file, built on scripts/pgsandbox.
#   setup_file()    { pgsb_start src dst; }   (or pgsb_start --set wal_level=logical src dst)
#   teardown_file() { pgsb_stop; }
# Then: pgsb_conninfo src [dbname], pgsb_port src, psql_on src [dbname] -c ...
# PGSB_DIR is exported so tests (which run in subshells) can find the clusters.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# the server's own client programs, not Debian's Perl pg_wrapper (~0.1 s a call)
export PATH="$REPO_ROOT/bin:${PGBIN:-/usr/lib/postgresql/15/bin}:$PATH"
# shellcheck disable=SC2034 # for the test files that load this
FIXTURES="$REPO_ROOT/tests/fixtures"
PAGILA_DIR="$REPO_ROOT/tests/fixtures/pagila"

# pgsb_start [--tcp] [--set NAME=VALUE]... NAME...: the options are
# pgsandbox start's, for every cluster (e.g. --set wal_level=logical).
pgsb_start() {
	local opts=()
	while [ $# -gt 0 ]; do
		case $1 in
		--set) opts+=("$1" "$2"); shift 2 ;;
		--*) opts+=("$1"); shift ;;
		*) break ;;
		esac
	done
	PGSB_DIR=$(mktemp -d /tmp/pgsb.XXXXXX)
	export PGSB_DIR
	"$REPO_ROOT/scripts/pgsandbox" start ${opts[@]+"${opts[@]}"} "$PGSB_DIR" "$@" >/dev/null
}

pgsb_stop() {
	[ -n "${PGSB_DIR:-}" ] && "$REPO_ROOT/scripts/pgsandbox" stop "$PGSB_DIR"
}

pgsb_conninfo() { "$REPO_ROOT/scripts/pgsandbox" conninfo "$PGSB_DIR" "$@"; }
pgsb_port() { "$REPO_ROOT/scripts/pgsandbox" port "$PGSB_DIR" "$1"; }

# psql_on CLUSTER [DBNAME] ARGS...: quiet psql, stops on the first error.
psql_on() {
	local c=$1 db=postgres
	shift
	if [ $# -gt 0 ] && [[ $1 != -* ]]; then db=$1; shift; fi
	psql -X -q -v ON_ERROR_STOP=1 -d "$(pgsb_conninfo "$c" "$db")" "$@"
}

# load_pagila CLUSTER DBNAME: creates DBNAME and loads the pagila fixture.
load_pagila() {
	psql_on "$1" -c "CREATE DATABASE $2"
	psql_on "$1" "$2" -f "$PAGILA_DIR/pagila-schema.sql" >/dev/null
	psql_on "$1" "$2" -f "$PAGILA_DIR/pagila-data.sql" >/dev/null
}

# schema_of CLUSTER DBNAME: pg_dump --schema-only without the \restrict lines
# (whose key is random per dump).
schema_of() {
	pg_dump --schema-only -d "$(pgsb_conninfo "$1" "$2")" | grep -v '^\\\(un\)\?restrict '
}

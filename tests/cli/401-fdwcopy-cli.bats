#!/usr/bin/env bats
# fdwcopy's command line: help, version, usage errors, and the errors a user
# meets before any work starts (missing map file, bad conninfo).

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

@test "fdwcopy --help: usage on stdout, exit 0" {
	run --separate-stderr fdwcopy --help
	[ "$status" -eq 0 ]
	[[ $output == *"fdwcopy clone [OPTION]"* ]]
	[[ $output == *"fdwcopy verify [OPTION]"* ]]
	[ -z "$stderr" ]
}

@test "fdwcopy clone --help and verify --help list their options" {
	run --separate-stderr fdwcopy clone --help
	[ "$status" -eq 0 ]
	for o in --fdw-map --jobs --index-jobs --split-larger-than --dir --resume --include-schema \
		--exclude-schema --include-table --exclude-table --no-owner --no-acl --verify --source --target; do
		[[ $output == *"$o"* ]] || { echo "missing $o"; false; }
	done
	run --separate-stderr fdwcopy verify --help
	[ "$status" -eq 0 ]
	[[ $output == *"--fdw-map"* ]]
	[ -z "$stderr" ]
}

@test "fdwcopy --version: exit 0" {
	run --separate-stderr fdwcopy --version
	[ "$status" -eq 0 ]
	[[ $output == "fdwcopy (fdwcopy) "* ]]
}

@test "fdwcopy --pg-bindir: past Debian's pg_wrapper to the newest /usr/lib/postgresql/N/bin; FDWCOPY_PG_BINDIR; PGCLUSTER keeps the wrapper" {
	# the newest directory that holds the four programs, as pg_wrapper picks psql's
	want=""
	for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
		[ -x "$d/psql" ] && [ -x "$d/pg_dump" ] && [ -x "$d/pg_dumpall" ] && [ -x "$d/pg_restore" ] && want=$d
	done
	[ -n "$want" ]
	# /usr/bin/psql is the wrapper on Debian
	[ "$(readlink -f /usr/bin/psql)" = /usr/share/postgresql-common/pg_wrapper ]
	PATH="$REPO_ROOT/bin:/usr/bin:/bin" run --separate-stderr fdwcopy --pg-bindir
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	PGCLUSTER=15/main PATH="$REPO_ROOT/bin:/usr/bin:/bin" run --separate-stderr fdwcopy --pg-bindir
	[ "$status" -eq 0 ]
	[ "$output" = /usr/bin ]
	FDWCOPY_PG_BINDIR=$want PATH="$REPO_ROOT/bin:/usr/bin:/bin" run --separate-stderr fdwcopy --pg-bindir
	[ "$output" = "$want" ]
	# a directory without them: the command stops, naming it and the program
	mkdir "$BATS_TEST_TMPDIR/pg"
	FDWCOPY_PG_BINDIR=$BATS_TEST_TMPDIR/pg run --separate-stderr fdwcopy verify --source "dbname=x" --target "dbname=y"
	[ "$status" -eq 1 ]
	[[ $stderr == *"fdwcopy: error: FDWCOPY_PG_BINDIR: the directory \"$BATS_TEST_TMPDIR/pg\" has no program psql"* ]]
}

@test "fdwcopy: unknown option, unknown command, bad value: exit 2 with the hint" {
	run --separate-stderr fdwcopy --frobnicate
	[ "$status" -eq 2 ]
	[[ $stderr == *'fdwcopy: error: unrecognised option "--frobnicate"'* ]]
	[[ $stderr == *'Try "fdwcopy --help" for more information.'* ]]
	run --separate-stderr fdwcopy clone --frobnicate --target x=1
	[ "$status" -eq 2 ]
	[[ $stderr == *'Try "fdwcopy --help" for more information.'* ]]
	run --separate-stderr fdwcopy dance
	[ "$status" -eq 2 ]
	[[ $stderr == *'unknown command "dance"'* ]]
	run --separate-stderr fdwcopy clone --jobs zero --target dbname=x
	[ "$status" -eq 2 ]
	[[ $stderr == *'invalid value "zero" for option -j/--jobs'* ]]
	# the same range check as PostgreSQL's option_parse_int, in every subcommand
	for c in clone verify dump restore; do
		run --separate-stderr fdwcopy "$c" --jobs 1025 --target dbname=x --dir /nonexistent
		[ "$status" -eq 2 ]
		[ "${stderr%%$'\n'*}" = 'fdwcopy: error: -j/--jobs must be in range 1..1024' ]
	done
	run --separate-stderr fdwcopy clone --source dbname=a
	[ "$status" -eq 2 ]
	[[ $stderr == *'no target given'* ]]
	run --separate-stderr fdwcopy clone --resume --target dbname=x
	[ "$status" -eq 2 ]
	[[ $stderr == *'--resume needs --dir'* ]]
}

@test "fdwcopy clone: a missing map file is an error before anything starts (exit 1)" {
	run --separate-stderr fdwcopy clone --source dbname=a --target dbname=b --fdw-map "$BATS_TEST_TMPDIR/nope.map"
	[ "$status" -eq 1 ]
	[ "$stderr" = "fdwcopy: error: could not open map file \"$BATS_TEST_TMPDIR/nope.map\": No such file or directory" ]
}

@test "fdwcopy: a bad conninfo gives libpq's message, exit 1, and no password" {
	run --separate-stderr fdwcopy verify --source "host=$BATS_TEST_TMPDIR port=1 password=pw-in-conninfo" --target "dbname=x"
	[ "$status" -eq 1 ]
	[[ $stderr == "fdwcopy: error: could not connect to source: "* ]]
	[[ $stderr != *pw-in-conninfo* ]]
	run --separate-stderr fdwcopy clone --dir "$BATS_TEST_TMPDIR/w" --source "host = '$BATS_TEST_TMPDIR' port=1" --target "dbname=x"
	[ "$status" -eq 1 ]
	[[ $stderr == "fdwcopy: error: could not connect to source: "* ]]
	run --separate-stderr fdwcopy verify --source "host=x dbname" --target "dbname=x"
	[ "$status" -eq 1 ]
	[ "$stderr" = 'fdwcopy: error: invalid source conninfo: missing "=" after "dbname" in connection info string' ]
}

@test "fdwcopy: an unparsable conninfo is named with libpq's reason, never with the password" {
	for ci in "host=h password=s3cret bogus" "postgresql://u:s3cret%zz@h/db"; do
		run --separate-stderr fdwcopy verify --source "$ci" --target "dbname=x"
		[ "$status" -eq 1 ]
		[[ $stderr == "fdwcopy: error: invalid source conninfo: "* ]]
		[[ $stderr != *s3cret* ]]
	done
	# conninfo-split is a tool of its own now (110-conninfo-split.bats)
	run --separate-stderr fdwcopy conninfo-split CI
	[ "$status" -eq 2 ]
	[[ $stderr == *'unknown command "conninfo-split"'* ]]
}

@test "fdwcopy --help lists every subcommand of the library directory" {
	run --separate-stderr fdwcopy --help
	[ "$status" -eq 0 ]
	d=$(fdwcopy --exec-path)
	n=0
	for f in "$d"/fdwcopy-*; do
		s=${f##*/fdwcopy-}
		case $s in sh-*) continue ;; esac
		n=$((n + 1))
		grep -qE "^  $s( |$)" <<<"$output" || { echo "fdwcopy --help does not list $s"; return 1; }
	done
	[ "$n" -ge 5 ]
}

@test "fdwcopy: a bad pattern is a usage error naming it, before connecting (exit 2)" {
	for c in clone verify; do
		run --separate-stderr fdwcopy "$c" --source "host=$BATS_TEST_TMPDIR port=1" --target dbname=x \
			--include-table 'a.b.c'
		[ "$status" -eq 2 ]
		[[ $stderr == 'fdwcopy: error: improper qualified name (too many dotted names): "a.b.c"'* ]]
	done
	run --separate-stderr fdwcopy dump --source "host=$BATS_TEST_TMPDIR port=1" --dir "$BATS_TEST_TMPDIR/d" -N 'x.y'
	[ "$status" -eq 2 ]
	[[ $stderr == 'fdwcopy: error: improper qualified name (too many dotted names): "x.y"'* ]]
	[ ! -e "$BATS_TEST_TMPDIR/d" ]
}

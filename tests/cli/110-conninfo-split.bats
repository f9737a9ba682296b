#!/usr/bin/env bats
# conninfo-split: the conninfo comes from the environment variable named on the
# command line, three NUL-ended fields go to stdout (conninfo without password,
# password, 1/0), and no error message shows the password. No server needed.

bats_require_minimum_version 1.5.0

setup_file() {
	export PATH="$BATS_TEST_DIRNAME/../../bin:$PATH"
}

setup() {
	T=$BATS_TEST_TMPDIR
}

# split CONNINFO: runs conninfo-split on $CI=CONNINFO into $T/out, $T/err.
split() {
	rc=0
	CI=$1 conninfo-split CI >"$T/out" 2>"$T/err" || rc=$?
}

# expect FIELD...: $T/out is exactly the FIELDs, each ended by a NUL byte,
# conninfo-split exited 0 and said nothing on stderr.
expect() {
	printf '%s\0' "$@" >"$T/expected"
	cmp "$T/expected" "$T/out"
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
}

@test "conninfo-split --help prints usage to stdout and exits 0" {
	conninfo-split --help >"$T/out" 2>"$T/err"
	grep -q '^Usage:' "$T/out"
	grep -q 'conninfo-split \[OPTION\]\.\.\. VAR' "$T/out"
	[ ! -s "$T/err" ]
}

@test "conninfo-split --version exits 0" {
	conninfo-split --version >"$T/out" 2>"$T/err"
	[ "$(cat "$T/out")" = "conninfo-split (fdwcopy) 0.1.0" ]
	[ ! -s "$T/err" ]
}

@test "conninfo-split: bad command lines exit 2 with the hint, writing nothing" {
	for args in "--bogus CI" "" "CI OTHER" "1CI" "C-I"; do
		rc=0
		# shellcheck disable=SC2086 # the words are the arguments
		CI=host=h conninfo-split $args >"$T/out" 2>"$T/err" || rc=$?
		[ "$rc" -eq 2 ]
		[ ! -s "$T/out" ]
		grep -q '^conninfo-split: error: ' "$T/err"
		grep -qx 'Try "conninfo-split --help" for more information.' "$T/err"
	done
	rc=0; conninfo-split '' >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ]
	grep -qx 'conninfo-split: error: "" is not an environment variable name' "$T/err"
}

@test "conninfo-split: keyword/value with quotes and backslashes" {
	split "host=/tmp/s port=5432 dbname='my db' user=o\\'neil password='s3 c\\'r\\\\et' passfile=/p"
	expect "user='o\\'neil' dbname='my db' host='/tmp/s' port='5432'" "s3 c'r\\et" 1
}

@test "conninfo-split: URI passwords with ?, @, /, %3F, %40, spaces and UTF-8" {
	split 'postgresql://alice:se?cret@host/db'
	expect "user='alice' dbname='db' host='host'" 'se?cret' 1
	split 'postgresql://alice:a%40b%2Fc%3Fd@host/db'
	expect "user='alice' dbname='db' host='host'" 'a@b/c?d' 1
	split 'postgresql://alice:two words%20more@%2Ftmp%2Fsock:5433/db'
	expect "user='alice' dbname='db' host='/tmp/sock' port='5433'" 'two words more' 1
	split 'postgres://alice:grüße@host/db'
	expect "user='alice' dbname='db' host='host'" 'grüße' 1
}

@test "conninfo-split: URI query string: password taken out, passfile dropped, the rest kept" {
	split 'postgresql://alice@host/db?sslmode=disable&password=q%26w&passfile=/p&application_name=a%20b'
	expect "user='alice' dbname='db' host='host' application_name='a b' sslmode='disable'" 'q&w' 1
}

@test "conninfo-split: no password, a database name, empty and unset variables" {
	split 'host=h passfile=/p'
	expect "passfile='/p' host='h'" '' 0
	split 'shop'
	expect "dbname='shop'" '' 0
	split ''
	expect '' '' 0
	rc=0
	env -u CI conninfo-split CI >"$T/out" 2>"$T/err" || rc=$?
	expect '' '' 0
}

@test "conninfo-split: an invalid conninfo exits 1 naming the variable, never showing the password" {
	for ci in 'host=h password=s3cret bogus' 'host=h password=s3 cret' \
		'postgresql://u:s3cret%zz@h/db' 'postgresql://u:s3cret@[::1/db'; do
		rc=0
		MY_CONNINFO=$ci conninfo-split MY_CONNINFO >"$T/out" 2>"$T/err" || rc=$?
		cat "$T/err"
		[ "$rc" -eq 1 ]
		[ ! -s "$T/out" ]
		[ "$(wc -l <"$T/err")" -eq 1 ]
		# shellcheck disable=SC2016 # a literal $ in the message
		grep -q '^conninfo-split: error: invalid conninfo in \$MY_CONNINFO: ' "$T/err"
		run ! grep -q 's3\|cret' "$T/err"
	done
	split 'host=h dbname'
	[ "$rc" -eq 1 ]
	# shellcheck disable=SC2016 # a literal $ in the message
	[ "$(cat "$T/err")" = 'conninfo-split: error: invalid conninfo in $CI: missing "=" after "dbname" in connection info string' ]
}

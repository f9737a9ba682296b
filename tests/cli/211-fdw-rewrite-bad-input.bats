#!/usr/bin/env bats
# fdw-rewrite on input that is not a psql script (issue 13): binary garbage, a
# NUL byte, invalid UTF-8 in a UTF8 script stop it with one error naming the
# line and byte offset, exit 1, nothing written; a LATIN1 script passes byte
# for byte; a 64 MB word passes byte for byte in linear time and bounded memory.

# shellcheck disable=SC2154 # bats' run --separate-stderr sets stderr and stderr_lines
bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup() {
	T=$BATS_TEST_TMPDIR
	printf '[server:s]\nhost = staging\n' >"$T/map"
	chmod 600 "$T/map"
}

@test "fdw-rewrite: a megabyte of random bytes is refused with one error" {
	head -c 1000000 /dev/urandom >"$T/in"
	run --separate-stderr fdw-rewrite --map "$T/map" <"$T/in"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr =~ ^fdw-rewrite:\ error:\ input\ line\ [0-9]+,\ byte\ offset\ [0-9]+:\  ]]
}

@test "fdw-rewrite: a NUL byte is refused with its line and byte offset, also in a LATIN1 script" {
	printf "SET client_encoding = 'UTF8';\nSELECT 1;\nSELECT 'a\0b';\n" >"$T/in"
	run --separate-stderr fdw-rewrite --map "$T/map" <"$T/in"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "fdw-rewrite: error: input line 3, byte offset 49: NUL byte" ]
	printf "SET client_encoding = 'LATIN1';\nSELECT 'a\0b';\n" >"$T/in"
	run --separate-stderr fdw-rewrite --map "$T/map" <"$T/in"
	[ "$status" -eq 1 ]
	[ "$stderr" = "fdw-rewrite: error: input line 2, byte offset 41: NUL byte" ]
}

@test "fdw-rewrite: invalid UTF-8 in a UTF8 script is refused, in COPY data too" {
	printf "SET client_encoding = 'UTF8';\nSELECT 'caf\xe9';\n" >"$T/in"
	run --separate-stderr fdw-rewrite --map "$T/map" <"$T/in"
	[ "$status" -eq 1 ]
	[ "$stderr" = "fdw-rewrite: error: input line 2, byte offset 41: invalid UTF-8 byte sequence 0xe9 0x27" ]
	printf "COPY t FROM stdin;\nok\n\xff\n\\\\.\n" >"$T/in"
	run --separate-stderr fdw-rewrite --map "$T/map" <"$T/in"
	[ "$status" -eq 1 ]
	[ "$stderr" = "fdw-rewrite: error: input line 3, byte offset 22: invalid UTF-8 byte sequence 0xff" ]
}

@test "fdw-rewrite: a LATIN1 script (pg_dump of a LATIN1 database) passes byte for byte" {
	printf "SET client_encoding = 'LATIN1';\nCREATE TABLE caf\xe9 (n\xe4me text);\nCOPY caf\xe9 FROM stdin;\n\xfc\xdf\n\\\\.\n" >"$T/in"
	fdw-rewrite --map "$T/map" <"$T/in" >"$T/out"
	cmp "$T/in" "$T/out"
}

@test "fdw-rewrite: pagila passes byte for byte" {
	fdw-rewrite --map "$T/map" --keep-unmapped <"$PAGILA_DIR/pagila-data.sql" >"$T/out" 2>/dev/null
	cmp "$PAGILA_DIR/pagila-data.sql" "$T/out"
}

# Before issue 13 a 32 MB word took 4.9 s and 100 MB (the lexer rescanned it
# from its start on every 64 kB read, and held it whole).
@test "fdw-rewrite: a 64 MB word passes byte for byte in linear time and bounded memory" {
	{ printf 'SELECT '; head -c 67108864 /dev/zero | tr '\0' 'a'; printf ' FROM t;\n'; } >"$T/in"
	/usr/bin/time -f '%e %M' -o "$T/time" fdw-rewrite --map "$T/map" <"$T/in" >"$T/out"
	cmp "$T/in" "$T/out"
	rm -f "$T/in" "$T/out"
	local secs kb
	read -r secs kb <"$T/time"
	echo "# 64 MB word: $secs s, $kb kB max RSS" >&3
	[ "$kb" -lt 65536 ]
	awk -v s="$secs" 'BEGIN { exit !(s < 10) }'
}

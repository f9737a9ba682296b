#!/usr/bin/env bats
# postlist-filter on input that is not a pg_restore -l list (issue 13): binary
# garbage, a NUL byte, invalid UTF-8 in a UTF8 list stop it with one error
# naming the line and byte offset, exit 1, nothing written; --encoding LATIN1
# lets a LATIN1 dump's names through; a 64 MB line passes through (the list is read whole: no memory bound).

# shellcheck disable=SC2154 # bats' run --separate-stderr sets stderr and stderr_lines
bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup() {
	T=$BATS_TEST_TMPDIR
	printf ';\n; Selected TOC Entries:\n;\n215; 1259 16390 TABLE public t postgres\n' >"$T/head"
}

@test "postlist-filter: a megabyte of random bytes is refused with one error, not thousands of warnings" {
	head -c 1000000 /dev/urandom >"$T/in"
	run --separate-stderr postlist-filter <"$T/in"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr =~ ^postlist-filter:\ error:\ input\ line\ [0-9]+,\ byte\ offset\ [0-9]+:\  ]]
}

@test "postlist-filter: a NUL byte is refused with its line and byte offset, whatever the encoding" {
	{ cat "$T/head"; printf '216; 1259 16391 TABLE public u\0 postgres\n'; } >"$T/in"
	run --separate-stderr postlist-filter <"$T/in"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "postlist-filter: error: input line 5, byte offset 98: NUL byte" ]
	run --separate-stderr postlist-filter --encoding LATIN1 <"$T/in"
	[ "$status" -eq 1 ]
	[ "$stderr" = "postlist-filter: error: input line 5, byte offset 98: NUL byte" ]
}

@test "postlist-filter: invalid UTF-8 is refused in a UTF8 list, passed with --encoding LATIN1" {
	{ cat "$T/head"; printf '216; 1259 16391 TABLE public caf\xe9 postgres\n'; } >"$T/in"
	run --separate-stderr postlist-filter <"$T/in"
	[ "$status" -eq 1 ]
	[ "$stderr" = "postlist-filter: error: input line 5, byte offset 100: invalid UTF-8 byte sequence 0xe9 0x20" ]
	postlist-filter --encoding LATIN1 <"$T/in" >"$T/out"
	cmp "$T/in" "$T/out"
	{ cat "$T/head"; printf '216; 1259 16391 TABLE public caf\xc3\xa9 postgres\n'; } >"$T/in"
	postlist-filter <"$T/in" >"$T/out"
	cmp "$T/in" "$T/out"
}

@test "postlist-filter: a 64 MB line passes through in modest time, with one short warning" {
	{ cat "$T/head"; head -c 67108864 /dev/zero | tr '\0' 'a'; printf '\n'; } >"$T/in"
	/usr/bin/time -f '%e %M' -o "$T/time" postlist-filter <"$T/in" >"$T/out" 2>"$T/err"
	cmp "$T/in" "$T/out"
	rm -f "$T/in" "$T/out"
	[ "$(wc -l <"$T/err")" -eq 1 ]
	[ "$(wc -c <"$T/err")" -lt 300 ]
	local secs kb
	read -r secs kb <"$T/time"
	echo "# 64 MB line: $secs s, $kb kB max RSS" >&3
	awk -v s="$secs" 'BEGIN { exit !(s < 20) }'
}

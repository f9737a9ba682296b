#!/usr/bin/env bats
# dump-pack (fdwcopy dump's compression step): one read of each file gives its
# newline and byte counts, its gzip-format copy, which gzip and pg_restore
# read back to the same bytes, and the sha256 of the file it leaves; a failure
# names the file and leaves it whole.

# shellcheck disable=SC2154 # bats' run --separate-stderr sets stderr
bats_require_minimum_version 1.5.0

setup() {
	D=$BATS_TEST_TMPDIR
	# COPY-text-like lines, tabs and an escaped newline, and a last line without \n
	{
		for i in $(seq 1 3000); do printf '%d\t%s\tx\\ny\n' "$i" "$(printf 'row %05d ' "$i")"; done
		printf '\\.\n\n\nlast'
	} >"$D/1.dat"
	cp "$D/1.dat" "$D/orig"
	: >"$D/empty.dat"
}

@test "counts newlines and bytes as wc does, and FILE.gz decompresses to FILE; FILE and no .part are left" {
	run --separate-stderr dump-pack "$D/1.dat" "$D/empty.dat"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	read -r lines bytes < <(wc -lc <"$D/orig")
	[ "${lines}" -eq 3003 ]
	sha() { sha256sum "$1" | cut -d' ' -f1; }
	# the sha256 and size are those of FILE.gz as written (sha256sum reads it back)
	printf '%s\t%s\t%s\t%s\t%s\n' "$D/1.dat.gz" "$lines" "$bytes" "$(sha "$D/1.dat.gz")" "$(stat -c %s "$D/1.dat.gz")" \
		"$D/empty.dat.gz" 0 0 "$(sha "$D/empty.dat.gz")" "$(stat -c %s "$D/empty.dat.gz")" >"$D/expected"
	diff -u "$D/expected" <(printf '%s\n' "$output")
	gzip -dc "$D/1.dat.gz" | cmp - "$D/orig"
	[ "$(gzip -dc "$D/empty.dat.gz" | wc -c)" -eq 0 ]
	[ ! -e "$D/1.dat" ]
	[ ! -e "$D/empty.dat" ]
	run -1 compgen -G "$D/*.part"
}

@test "--level: 1 is larger than 9, both decompress the same; 0 only counts and leaves the file" {
	cp "$D/orig" "$D/a.dat"
	cp "$D/orig" "$D/b.dat"
	dump-pack --level 1 "$D/a.dat" >/dev/null
	dump-pack -l 9 "$D/b.dat" >/dev/null
	[ "$(stat -c %s "$D/a.dat.gz")" -gt "$(stat -c %s "$D/b.dat.gz")" ]
	gzip -dc "$D/a.dat.gz" | cmp - "$D/orig"
	gzip -dc "$D/b.dat.gz" | cmp - "$D/orig"
	run dump-pack --level 0 "$D/1.dat"
	[ "$status" -eq 0 ]
	# at level 0 the sha256 is of FILE as read
	size=$(stat -c %s "$D/orig")
	[ "$output" = "$(printf '%s\t%s\t%s\t%s\t%s' "$D/1.dat" 3003 "$size" "$(sha256sum <"$D/orig" | cut -d' ' -f1)" "$size")" ]
	cmp "$D/1.dat" "$D/orig"
	[ ! -e "$D/1.dat.gz" ]
}

@test "a file that cannot be read or written is named, left whole, no .part left; the files before it are done" {
	run --separate-stderr dump-pack "$D/empty.dat" "$D/missing.dat"
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf '%s\t0\t0\t%s\t%s' "$D/empty.dat.gz" "$(sha256sum <"$D/empty.dat.gz" | cut -d' ' -f1)" "$(stat -c %s "$D/empty.dat.gz")")" ]
	[[ $stderr == *"dump-pack: error: could not open \"$D/missing.dat\": No such file or directory"* ]]
	# the compressed copy cannot be written: a .part in the way that is a directory
	mkdir "$D/1.dat.gz.part"
	run --separate-stderr dump-pack "$D/1.dat"
	[ "$status" -eq 1 ]
	[[ $stderr == *"could not create \"$D/1.dat.gz.part\""* ]]
	cmp "$D/1.dat" "$D/orig"
	[ ! -e "$D/1.dat.gz" ]
}

@test "bad command lines are named (exit 2)" {
	run --separate-stderr dump-pack
	[ "$status" -eq 2 ]
	[[ $stderr == *"no file given"* ]]
	run --separate-stderr dump-pack --level 10 "$D/1.dat"
	[ "$status" -eq 2 ]
	[[ $stderr == *"-l/--level must be in range 0..9"* ]]
	cmp "$D/1.dat" "$D/orig"
}

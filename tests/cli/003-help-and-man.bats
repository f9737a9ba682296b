#!/usr/bin/env bats
# House rules on every tool in bin/: --help fits 95 columns, and the tool's man
# page has the required sections and documents every long option its --help
# shows (fdwcopy: every subcommand's --help); make install + uninstall leave
# nothing behind. No server needed.

bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT="$BATS_TEST_DIRNAME/../.."
}

# helps TOOL: the --help texts of TOOL (of each subcommand for fdwcopy).
helps() {
	if [ "$1" = fdwcopy ]; then
		local s
		for s in clone verify dump restore; do "$ROOT/bin/fdwcopy" "$s" --help; done
		"$ROOT/bin/fdwcopy" --help
	else
		"$ROOT/bin/$1" --help
	fi
}

@test "help: every tool's --help fits 95 columns" {
	for t in "$ROOT"/bin/*; do
		n=$(basename "$t")
		helps "$n" >"$BATS_TEST_TMPDIR/help"
		awk -v n="$n" 'length > 95 { print n ": " length ": " $0 }' "$BATS_TEST_TMPDIR/help" >>"$BATS_TEST_TMPDIR/wide"
	done
	cat "$BATS_TEST_TMPDIR/wide"
	[ ! -s "$BATS_TEST_TMPDIR/wide" ]
}

@test "man: every tool has a man page with the sections and every --help option" {
	for t in "$ROOT"/bin/*; do
		n=$(basename "$t")
		m="$ROOT/man/$n.1"
		[ -f "$m" ] || { echo "$n: no man page" >>"$BATS_TEST_TMPDIR/missing"; continue; }
		for sec in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
			grep -q "^\.SH \"\?$sec\"\?$" "$m" || echo "$n: no section $sec" >>"$BATS_TEST_TMPDIR/missing"
		done
		helps "$n" >"$BATS_TEST_TMPDIR/help"
		grep -oE -- '(^|[ ,])--[a-z][a-z-]*' "$BATS_TEST_TMPDIR/help" | sed 's/^[ ,]*//' | sort -u >"$BATS_TEST_TMPDIR/opts"
		while read -r o; do
			grep -qF -- "${o//-/\\-}" "$m" || echo "$n: $o not in man/$n.1" >>"$BATS_TEST_TMPDIR/missing"
		done <"$BATS_TEST_TMPDIR/opts"
	done
	[ ! -e "$BATS_TEST_TMPDIR/missing" ] || cat "$BATS_TEST_TMPDIR/missing"
	[ ! -e "$BATS_TEST_TMPDIR/missing" ]
}

@test "make install then make uninstall into a fresh PREFIX leaves nothing behind" {
	p="$BATS_TEST_TMPDIR/prefix"
	make -s -C "$ROOT" install PREFIX="$p" DESTDIR= >/dev/null
	[ -x "$p/bin/fdwcopy" ] && [ -x "$p/bin/copy-table" ]
	[ -f "$p/share/man/man1/fdwcopy.1" ] && [ -f "$p/share/fdwcopy/fdwcopy.mk" ]
	make -s -C "$ROOT" uninstall PREFIX="$p" DESTDIR= >/dev/null
	[ ! -e "$p" ]
	# a PREFIX that held something keeps it
	mkdir -p "$p/bin" && touch "$p/bin/mine"
	make -s -C "$ROOT" install PREFIX="$p" DESTDIR= >/dev/null
	make -s -C "$ROOT" uninstall PREFIX="$p" DESTDIR= >/dev/null
	find "$p" >"$BATS_TEST_TMPDIR/left"
	printf '%s\n' "$p" "$p/bin" "$p/bin/mine" >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/left"
}

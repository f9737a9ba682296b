#!/usr/bin/env bats
# House rules on every tool in bin/ and every fdwcopy subcommand (each
# executable fdwcopy-NAME of build/libexec, as `fdwcopy NAME` runs it): --help
# fits 95 columns, and the man page (man/TOOL.1, man/fdwcopy-NAME.1) has the
# required sections and documents every option its --help shows; fdwcopy(1)
# lists every subcommand; make install + uninstall install every man page and
# leave nothing behind. No server needed.

bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT="$BATS_TEST_DIRNAME/../.."
}

# subcommands: the NAME of every fdwcopy subcommand, one a line. The
# fdwcopy-sh-* files are libraries (not executable, never dispatched).
subcommands() {
	local f n
	for f in "$ROOT"/build/libexec/fdwcopy-*; do
		n=${f##*/fdwcopy-}
		if [ -x "$f" ] && [[ $n != sh-* ]]; then echo "$n"; fi
	done
}

# documents FILE OPTION: FILE (troff) names OPTION ("\-\-jobs", "\-j") as a
# whole: not "\-c" of "\-\-clean", nor "\-\-index" of "\-\-index\-jobs".
documents() {
	O=${2//-/\\-} awk '
	BEGIN { o = ENVIRON["O"] }
	{
		s = $0
		while ((i = index(s, o)) > 0) {
			rest = substr(s, i + length(o))
			if (rest !~ /^[A-Za-z0-9_]/ && substr(rest, 1, 2) != "\\-") { found = 1; exit }
			s = substr(s, i + 1)
		}
	}
	END { exit !found }' "$1"
}

# pages: "PAGE HELP-COMMAND..." for every tool in bin/ and every subcommand.
pages() {
	local t s
	for t in "$ROOT"/bin/*; do echo "${t##*/} $t"; done
	for s in $(subcommands); do echo "fdwcopy-$s $ROOT/bin/fdwcopy $s"; done
}

@test "help: every tool's and subcommand's --help fits 95 columns" {
	pages >"$BATS_TEST_TMPDIR/pages"
	while read -r n cmd; do
		# shellcheck disable=SC2086
		$cmd --help >"$BATS_TEST_TMPDIR/help"
		awk -v n="$n" 'length > 95 { print n ": " length ": " $0 }' "$BATS_TEST_TMPDIR/help" >>"$BATS_TEST_TMPDIR/wide"
	done <"$BATS_TEST_TMPDIR/pages"
	touch "$BATS_TEST_TMPDIR/wide"
	cat "$BATS_TEST_TMPDIR/wide"
	[ ! -s "$BATS_TEST_TMPDIR/wide" ]
}

@test "man: every tool and subcommand has a man page with the sections and every --help option" {
	subcommands >"$BATS_TEST_TMPDIR/subs"
	# the four of today at least, so that an empty build/libexec cannot pass
	for s in clone verify dump restore; do grep -qx "$s" "$BATS_TEST_TMPDIR/subs"; done
	pages >"$BATS_TEST_TMPDIR/pages"
	while read -r n cmd; do
		m="$ROOT/man/$n.1"
		[ -f "$m" ] || { echo "$n: no man page man/$n.1" >>"$BATS_TEST_TMPDIR/missing"; continue; }
		for sec in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
			grep -q "^\.SH \"\?$sec\"\?$" "$m" || echo "$n: no section $sec in man/$n.1" >>"$BATS_TEST_TMPDIR/missing"
		done
		# NAME names the page ("fdwcopy\-clone \- ...", hyphens escaped or not)
		sed -n '/^\.SH NAME/{n;s/\\-/-/g;p;}' "$m" | grep -q -- "^$n - " ||
			echo "$n: NAME of man/$n.1 does not start with \"$n -\"" >>"$BATS_TEST_TMPDIR/missing"
		# shellcheck disable=SC2086
		$cmd --help >"$BATS_TEST_TMPDIR/help"
		# The options of its option lines ("  -j, --jobs N", Boost's
		# "  -j [ --jobs ] arg", "      --resume"), long and short, are in the
		# page's OPTIONS; any other option its help names ("pg_dump
		# --schema-only") is somewhere in the page.
		grep -oE -- '^ +(-[A-Za-z?](, +| \[ ))?--[a-z][a-z-]*' "$BATS_TEST_TMPDIR/help" |
			grep -oE -- '--[a-z][a-z-]*$' >"$BATS_TEST_TMPDIR/opts"
		grep -oE -- '^ +-[A-Za-z?]([, ]|$)' "$BATS_TEST_TMPDIR/help" | sed 's/^ *//; s/[, ]$//' >>"$BATS_TEST_TMPDIR/opts"
		sort -u -o "$BATS_TEST_TMPDIR/opts" "$BATS_TEST_TMPDIR/opts"
		[ -s "$BATS_TEST_TMPDIR/opts" ] || echo "$n: no option line found in its --help" >>"$BATS_TEST_TMPDIR/missing"
		sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$m" >"$BATS_TEST_TMPDIR/options"
		while read -r o; do
			documents "$BATS_TEST_TMPDIR/options" "$o" ||
				echo "$n: $o not in the OPTIONS of man/$n.1" >>"$BATS_TEST_TMPDIR/missing"
		done <"$BATS_TEST_TMPDIR/opts"
		grep -oE -- '(^|[ ,(])--[a-z][a-z-]*' "$BATS_TEST_TMPDIR/help" | sed 's/^[ ,(]*//' | sort -u >"$BATS_TEST_TMPDIR/named"
		while read -r o; do
			documents "$m" "$o" || echo "$n: $o not in man/$n.1" >>"$BATS_TEST_TMPDIR/missing"
		done <"$BATS_TEST_TMPDIR/named"
	done <"$BATS_TEST_TMPDIR/pages"
	[ ! -e "$BATS_TEST_TMPDIR/missing" ] || cat "$BATS_TEST_TMPDIR/missing"
	[ ! -e "$BATS_TEST_TMPDIR/missing" ]
}

@test "man: fdwcopy(1) lists every subcommand and its page" {
	m="$ROOT/man/fdwcopy.1"
	sed -n '/^\.SH DESCRIPTION/,/^\.SH /p' "$m" >"$BATS_TEST_TMPDIR/description"
	sed -n '/^\.SH "\?SEE ALSO"\?$/,/^\.SH /p' "$m" >"$BATS_TEST_TMPDIR/seealso"
	subcommands >"$BATS_TEST_TMPDIR/subs"
	[ -s "$BATS_TEST_TMPDIR/subs" ]
	while read -r s; do
		e="fdwcopy\\-${s//-/\\-} (1)"   # fdwcopy\-refresh\-matviews (1)
		grep -qF "$e" "$BATS_TEST_TMPDIR/description" ||
			echo "fdwcopy(1): DESCRIPTION does not name fdwcopy-$s(1)" >>"$BATS_TEST_TMPDIR/missing"
		grep -qxF ".BR $e," "$BATS_TEST_TMPDIR/seealso" ||
			echo "fdwcopy(1): SEE ALSO does not list fdwcopy-$s(1)" >>"$BATS_TEST_TMPDIR/missing"
	done <"$BATS_TEST_TMPDIR/subs"
	[ ! -e "$BATS_TEST_TMPDIR/missing" ] || cat "$BATS_TEST_TMPDIR/missing"
	[ ! -e "$BATS_TEST_TMPDIR/missing" ]
}

@test "man: every man page renders without a groff warning" {
	for m in "$ROOT"/man/*.[1-8]; do
		# groff (groff-base, make deps), -ww: every warning, as man --warnings
		groff -ww -z -man -Tutf8 "$m" 2>"$BATS_TEST_TMPDIR/warn"
		[ ! -s "$BATS_TEST_TMPDIR/warn" ] || { echo "${m##*/}:"; cat "$BATS_TEST_TMPDIR/warn"; } >>"$BATS_TEST_TMPDIR/bad"
	done
	[ ! -e "$BATS_TEST_TMPDIR/bad" ] || cat "$BATS_TEST_TMPDIR/bad"
	[ ! -e "$BATS_TEST_TMPDIR/bad" ]
}

@test "make install then make uninstall into a fresh PREFIX leaves nothing behind" {
	p="$BATS_TEST_TMPDIR/prefix"
	make -s -C "$ROOT" install PREFIX="$p" DESTDIR= >/dev/null
	[ -x "$p/bin/fdwcopy" ] && [ -x "$p/bin/copy-table" ]
	[ -f "$p/share/fdwcopy/fdwcopy.mk" ]
	# every man page, the subcommands' among them, with its version filled in
	for m in "$ROOT"/man/*.[1-8]; do
		f="$p/share/man/man${m##*.}/${m##*/}"
		[ -f "$f" ] || echo "not installed: $f" >>"$BATS_TEST_TMPDIR/missing"
		[ ! -f "$f" ] || ! grep -q '@VERSION@' "$f" || echo "@VERSION@ left in $f" >>"$BATS_TEST_TMPDIR/missing"
	done
	for s in $(subcommands); do
		[ -f "$p/share/man/man1/fdwcopy-$s.1" ] || echo "not installed: fdwcopy-$s.1" >>"$BATS_TEST_TMPDIR/missing"
	done
	[ ! -e "$BATS_TEST_TMPDIR/missing" ] || cat "$BATS_TEST_TMPDIR/missing"
	[ ! -e "$BATS_TEST_TMPDIR/missing" ]
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

@test "every C++ tool: --help and --version exit 0 on stdout only, an unknown option exits 2 with the hint" {
	local tools
	# shellcheck disable=SC2016 # $(BUILT_TOOLS) is make's
	tools=$(make -s -C "$ROOT" --no-print-directory -f Makefile -f - print-tools <<<'print-tools: ; @echo $(BUILT_TOOLS)')
	[ -n "$tools" ]
	for n in $tools; do
		run --separate-stderr "$ROOT/bin/$n" --help
		[ "$status" -eq 0 ] && [ -z "$stderr" ] && [[ $output == *"Usage:"* ]] || { echo "$n --help"; false; }
		run --separate-stderr "$ROOT/bin/$n" --version
		[ "$status" -eq 0 ] && [ -z "$stderr" ] && [[ $output == "$n (fdwcopy) "* ]] || { echo "$n --version"; false; }
		run --separate-stderr "$ROOT/bin/$n" --no-such-option
		[ "$status" -eq 2 ] && [ -z "$output" ] || { echo "$n --no-such-option: $status"; false; }
		[[ $stderr == *"--no-such-option"*"Try \"$n --help\" for more information."* ]] || { echo "$n: $stderr"; false; }
	done
	[[ " $tools " == *" table-checksum "* ]]
	[[ " $tools " == *" conninfo-split "* ]]
}

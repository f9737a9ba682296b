#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# fdw-rewrite as a text filter (no server needed): options, map errors,
# secrets and permissions, unmapped servers and user mappings, map keys
# postgres_fdw would reject, --check, byte identity.

load ../lib/pgsandbox

setup() {
	T=$BATS_TEST_TMPDIR
	cat >"$T/in.sql" <<'SQL'
--
-- Name: archive_server; Type: SERVER; Schema: -; Owner: postgres
--

CREATE SERVER archive_server FOREIGN DATA WRAPPER postgres_fdw OPTIONS (
    dbname 'archive_db',
    host 'prod-archive.internal',
    port '5432'
);


ALTER SERVER archive_server OWNER TO postgres;

CREATE USER MAPPING FOR postgres SERVER archive_server OPTIONS (
    password 'prod-secret-pw',
    "user" 'postgres'
);

CREATE USER MAPPING FOR alice SERVER archive_server;
SQL
}

# write_map FILE: the map from stdin, mode 0600.
write_map() {
	cat >"$1"
	chmod 600 "$1"
}

@test "fdw-rewrite --help prints usage to stdout and exits 0" {
	fdw-rewrite --help >"$T/out" 2>"$T/err"
	grep -q '^Usage:' "$T/out"
	grep -q -- '--map FILE' "$T/out"
	grep -q -- '--keep-unmapped' "$T/out"
	[ ! -s "$T/err" ]
	[ "$(awk '{ if (length($0) > 95) n++ } END { print n + 0 }' "$T/out")" = 0 ]
}

@test "fdw-rewrite --version exits 0" {
	fdw-rewrite --version >"$T/out" 2>"$T/err"
	grep -q '^fdw-rewrite (fdwcopy) ' "$T/out"
	[ ! -s "$T/err" ]
}

@test "fdw-rewrite: an unknown option exits 2 with a hint" {
	rc=0
	fdw-rewrite --frobnicate </dev/null >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ]
	[ ! -s "$T/out" ]
	grep -q '^fdw-rewrite: error: ' "$T/err"
	grep -qx 'Try "fdw-rewrite --help" for more information.' "$T/err"
}

@test "fdw-rewrite: --map is required (exit 2)" {
	rc=0
	fdw-rewrite <"$T/in.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ]
	grep -qx 'fdw-rewrite: error: option --map is required' "$T/err"
	[ ! -s "$T/out" ]
}

@test "fdw-rewrite rewrites a server and its user mappings from env: and file: secrets" {
	printf 'file-secret-pw\n' >"$T/alice.pw"
	chmod 600 "$T/alice.pw"
	write_map "$T/m.map" <<'MAP'
[server:archive_server]
host = 127.0.0.1
port = 6543
[user-mapping:*@archive_server]
password = env:FDWRW_TEST_PW
[user-mapping:alice@archive_server]
role = bob
password = file:alice.pw
MAP
	FDWRW_TEST_PW='env-secret-pw' fdw-rewrite --map "$T/m.map" <"$T/in.sql" >"$T/out" 2>"$T/err"
	sed -e "s|'prod-archive.internal'|'127.0.0.1'|" -e "s|'5432'|'6543'|" -e "s|'prod-secret-pw'|'env-secret-pw'|" \
		-e 's|^CREATE USER MAPPING FOR alice SERVER archive_server;|CREATE USER MAPPING FOR bob SERVER archive_server OPTIONS (\n    password '"'file-secret-pw'"'\n);|' \
		"$T/in.sql" >"$T/expected"
	diff -u "$T/expected" "$T/out"
	[ ! -s "$T/err" ]
}

@test "fdw-rewrite: unmapped servers exit 3, are all listed, and nothing reaches stdout" {
	cat "$T/in.sql" >"$T/two.sql"
	echo "CREATE SERVER reporting_srv FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'prod');" >>"$T/two.sql"
	write_map "$T/m.map" <<<'[server:unrelated]'
	rc=0
	fdw-rewrite --map "$T/m.map" <"$T/two.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 3 ]
	[ ! -s "$T/out" ]
	grep -x 'fdw-rewrite: error: server .* is not in the map' "$T/err" >"$T/errors"
	printf '%s\n' 'fdw-rewrite: error: server "archive_server" is not in the map' \
		'fdw-rewrite: error: server "reporting_srv" is not in the map' >"$T/expected"
	diff -u "$T/expected" "$T/errors"
	grep -qx 'fdw-rewrite: warning: map section \[server:unrelated\] (.*m.map:1) matches nothing in the input' "$T/err"
}

@test "fdw-rewrite --keep-unmapped passes unmapped servers and user mappings through with one warning each" {
	write_map "$T/m.map" </dev/null
	fdw-rewrite --keep-unmapped --map "$T/m.map" <"$T/in.sql" >"$T/out" 2>"$T/err"
	cmp "$T/in.sql" "$T/out"
	printf '%s\n' 'fdw-rewrite: warning: server "archive_server" is not in the map; passed through unchanged (--keep-unmapped)' \
		'fdw-rewrite: warning: user mapping for "postgres" on server "archive_server" is not in the map; passed through unchanged with its options (--keep-unmapped)' \
		>"$T/expected"
	diff -u "$T/expected" "$T/err"

	# The server in the map, its user mapping not: the same escape.
	write_map "$T/m.map" <<<'[server:archive_server]'
	fdw-rewrite --keep-unmapped --map "$T/m.map" <"$T/in.sql" >"$T/out" 2>"$T/err"
	cmp "$T/in.sql" "$T/out"
	grep -x 'fdw-rewrite: warning: .*' "$T/err" >"$T/warnings"
	printf '%s\n' 'fdw-rewrite: warning: user mapping for "postgres" on server "archive_server" is not in the map; passed through unchanged with its options (--keep-unmapped)' \
		>"$T/expected"
	diff -u "$T/expected" "$T/warnings"
	run ! grep -q prod-secret-pw "$T/err"
}

@test "fdw-rewrite: user mappings the map does not cover exit 3, are all listed, and nothing reaches stdout" {
	cat "$T/in.sql" >"$T/three.sql"
	cat >>"$T/three.sql" <<'SQL'
CREATE USER MAPPING FOR PUBLIC SERVER archive_server OPTIONS (
    "user" 'guest'
);
CREATE USER MAPPING FOR "Carol" SERVER archive_server OPTIONS (
    sslkey '/prod/carol.key'
);
SQL
	# A server section alone does not cover its user mappings.
	write_map "$T/m.map" <<'MAP'
[server:archive_server]
host = staging
MAP
	rc=0
	fdw-rewrite --map "$T/m.map" <"$T/three.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 3 ]
	[ ! -s "$T/out" ]
	grep -x 'fdw-rewrite: error: .*' "$T/err" >"$T/errors"
	printf '%s\n' 'fdw-rewrite: error: user mapping for "postgres" on server "archive_server" is not in the map' \
		'fdw-rewrite: error: user mapping for PUBLIC on server "archive_server" is not in the map' \
		'fdw-rewrite: error: user mapping for "Carol" on server "archive_server" is not in the map' >"$T/expected"
	diff -u "$T/expected" "$T/errors"
	grep -qx 'fdw-rewrite: hint: add a \[user-mapping:ROLE@SERVER\], \[user-mapping:public@SERVER\] or \[user-mapping:\*@SERVER\] section for each user mapping (an empty section keeps its options), or use --keep-unmapped' "$T/err"
	run ! grep -q prod-secret-pw "$T/err"

	# --check gates the same way, and counts them.
	rc=0
	fdw-rewrite --check --map "$T/m.map" <"$T/three.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 3 ]
	[ ! -s "$T/out" ]
	grep -qx 'fdw-rewrite: info: found 1 server and 4 user mappings; 3 user mappings not in the map' "$T/err"

	# Sections for each (public@ for PUBLIC, an empty one keeps the options): accepted.
	write_map "$T/m.map" <<'MAP'
[server:archive_server]
host = staging
[user-mapping:postgres@archive_server]
password = staging-pw
[user-mapping:public@archive_server]
[user-mapping:Carol@archive_server]
sslkey =
MAP
	fdw-rewrite --map "$T/m.map" <"$T/three.sql" >"$T/out" 2>"$T/err"
	grep -q "password 'staging-pw'" "$T/out"
	grep -q "\"user\" 'guest'" "$T/out"
	grep -qx 'CREATE USER MAPPING FOR "Carol" SERVER archive_server;' "$T/out"
}

@test "fdw-rewrite: a user mapping without options passes with a notice" {
	write_map "$T/m.map" <<'MAP'
[server:archive_server]
[user-mapping:postgres@archive_server]
MAP
	fdw-rewrite --map "$T/m.map" <"$T/in.sql" >"$T/out" 2>"$T/err"
	cmp "$T/in.sql" "$T/out"
	printf '%s\n' 'fdw-rewrite: info: user mapping for "alice" on server "archive_server" (CREATE USER MAPPING at input line 19): not in the map; it sets no options, passed through unchanged' \
		>"$T/expected"
	diff -u "$T/expected" "$T/err"
	# -q: no notice at all.
	fdw-rewrite -q --map "$T/m.map" <"$T/in.sql" >"$T/out" 2>"$T/err"
	cmp "$T/in.sql" "$T/out"
	[ ! -s "$T/err" ]
}

@test "fdw-rewrite: a map key postgres_fdw does not know is named by file and line, nothing is written (exit 1)" {
	write_map "$T/m.map" <<'MAP'
[server:archive_server]
host = staging
prot = 6543

[user-mapping:*@archive_server]
user = reader
passwrd = staging-pw
MAP
	rc=0
	fdw-rewrite --map "$T/m.map" <"$T/in.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	[ ! -s "$T/out" ]
	grep -x 'fdw-rewrite: error: .*' "$T/err" >"$T/errors"
	printf '%s\n' "fdw-rewrite: error: $T/m.map:3: \"prot\" is not an option postgres_fdw accepts on a foreign server (section [server:archive_server]; server \"archive_server\" uses postgres_fdw)" \
		"fdw-rewrite: error: $T/m.map:7: \"passwrd\" is not an option postgres_fdw accepts on a user mapping (section [user-mapping:*@archive_server]; server \"archive_server\" uses postgres_fdw)" \
		>"$T/expected"
	diff -u "$T/expected" "$T/errors"
	grep -qx 'fdw-rewrite: hint: postgres_fdw accepts on a user mapping: user, password, sslpassword, password_required, sslcert, sslkey' "$T/err"
	grep -q '^fdw-rewrite: hint: postgres_fdw accepts on a foreign server: .*, host, .*, port, ' "$T/err"
	run ! grep -q staging-pw "$T/err"
	# --check too, even with --keep-unmapped.
	rc=0
	fdw-rewrite --check --keep-unmapped --map "$T/m.map" <"$T/in.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	grep -q "^fdw-rewrite: error: $T/m.map:7: \"passwrd\" is not an option" "$T/err"

	# Another wrapper's options are its own: not checked.
	sed 's/postgres_fdw/oracle_fdw/' "$T/in.sql" >"$T/ora.sql"
	fdw-rewrite --map "$T/m.map" <"$T/ora.sql" >"$T/out" 2>"$T/err"
	grep -q "prot '6543'" "$T/out"
}

@test "fdw-rewrite --check writes no SQL and masks passwords" {
	write_map "$T/m.map" <<'MAP'
[server:archive_server]
host = staging
[user-mapping:postgres@archive_server]
password = new-secret-pw
MAP
	fdw-rewrite --check --map "$T/m.map" <"$T/in.sql" >"$T/out" 2>"$T/err"
	[ ! -s "$T/out" ]
	grep -qx "fdw-rewrite: info:   host 'prod-archive.internal' -> 'staging'" "$T/err"
	grep -qx "fdw-rewrite: info:   password '\*\*\*\*' -> '\*\*\*\*'" "$T/err"
	grep -q 'user mapping for "alice" on server "archive_server" .*: not in the map; it sets no options, passed through unchanged' "$T/err"
	grep -qx 'fdw-rewrite: info: found 1 server and 2 user mappings; every server and user mapping is in the map' "$T/err"
	run -1 grep -q -e 'prod-secret-pw' -e 'new-secret-pw' "$T/err"
}

@test "fdw-rewrite refuses a map file readable by group or others" {
	printf '[server:archive_server]\n' >"$T/open.map"
	chmod 644 "$T/open.map"
	rc=0
	fdw-rewrite --map "$T/open.map" <"$T/in.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	[ ! -s "$T/out" ]
	grep -qx "fdw-rewrite: error: map file \"$T/open.map\" has group or world access; permissions should be u=rw (0600) or less" "$T/err"
}

@test "fdw-rewrite refuses a secret file readable by others and names FILE:LINE" {
	printf 'leaky-secret\n' >"$T/pw"
	chmod 644 "$T/pw"
	write_map "$T/m.map" <<'MAP'
[server:archive_server]

[user-mapping:*@archive_server]
password = file:pw
MAP
	rc=0
	fdw-rewrite --map "$T/m.map" <"$T/in.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	[ ! -s "$T/out" ]
	grep -q "^fdw-rewrite: error: $T/m.map:4: secret file \"$T/pw\" has group or world access" "$T/err"
	run -1 grep -q leaky-secret "$T/err"
}

@test "fdw-rewrite: map errors name FILE:LINE; an unset env: variable is an error" {
	write_map "$T/m.map" <<'MAP'
[server:archive_server]
host = x
[servr:typo]
MAP
	rc=0
	fdw-rewrite --map "$T/m.map" <"$T/in.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	grep -qx "fdw-rewrite: error: $T/m.map:3: unknown section \[servr:typo\]: expected \[server:NAME\] or \[user-mapping:ROLE@SERVER\]" "$T/err"

	write_map "$T/m.map" <<'MAP'
[user-mapping:*@archive_server]
password = env:FDWRW_SURELY_UNSET
MAP
	rc=0
	env -u FDWRW_SURELY_UNSET fdw-rewrite --map "$T/m.map" <"$T/in.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	grep -qx "fdw-rewrite: error: $T/m.map:2: environment variable \"FDWRW_SURELY_UNSET\" for option \"password\" is not set" "$T/err"
}

@test "fdw-rewrite: pagila (no FDW statements) comes out byte for byte, also when the output spills" {
	write_map "$T/m.map" </dev/null
	cat "$PAGILA_DIR/pagila-schema.sql" "$PAGILA_DIR/pagila-data.sql" >"$T/pagila.sql"
	fdw-rewrite --map "$T/m.map" <"$T/pagila.sql" >"$T/out" 2>"$T/err"
	cmp "$T/pagila.sql" "$T/out"
	[ ! -s "$T/err" ]
	TMPDIR=$T fdw-rewrite --max-memory 4096 --map "$T/m.map" <"$T/pagila.sql" >"$T/out2" 2>"$T/err"
	cmp "$T/pagila.sql" "$T/out2"
	# The spill file is unlinked at once: nothing is left behind.
	[ -z "$(find "$T" -name 'fdw-rewrite.*')" ]
}

# shellcheck shell=bash # loaded by bats (load), not run
# The FDW test database shared by the bats suites and the demo-like tests:
# two postgres_fdw servers, user mappings (a role, PUBLIC, and a role "alice"
# that exists on the source cluster only), a foreign table, a range-partitioned
# table with local partitions and a foreign partition (and a partitioned index
# over it, valid), and the usual post-data objects (PK, unique, FK, index,
# trigger, sequence).
# Needs tests/lib/pgsandbox.bash loaded first.

# make_archive CLUSTER DB LABEL: an archive database whose rows say LABEL
# ("source archive" / "target archive"), so a test can tell which one it read.
make_archive() {
	local c=$1 db=$2 label=$3
	psql_on "$c" -c "CREATE DATABASE $db"
	psql_on "$c" "$db" <<SQL
CREATE TABLE measurements_archive (id int NOT NULL, ts timestamptz NOT NULL, value numeric, note text);
INSERT INTO measurements_archive
  SELECT g, timestamptz '2023-01-01' + g * interval '1 hour', g / 10.0, '$label'
  FROM generate_series(1, 50) g;
CREATE TABLE summary (k text, v bigint);
INSERT INTO summary VALUES ('$label', 1);
SQL
}

# fdw_map FILE PORT DB ARCHIVE_PASSWORD REPORTING_PASSWORD [ALICE_LINE]: a map
# (fdwcopy-map(5), mode 0600) that points both servers of make_fdw_source at
# DB on the cluster listening on PORT, drops reporting_srv's fetch_size, and
# gives the mappings of archive_server (any role) and postgres@reporting_srv
# these password values (literal, env:NAME or file:PATH); alice's mapping on
# reporting_srv gets ALICE_LINE (default "drop = true").
fdw_map() {
	(umask 077 && cat >"$1" <<MAP
[server:archive_server]
host = $PGSB_DIR
port = $2
dbname = $3

[server:reporting_srv]
host = $PGSB_DIR
port = $2
dbname = $3
fetch_size =

[user-mapping:*@archive_server]
user = postgres
password = $4

[user-mapping:postgres@reporting_srv]
password = $5

[user-mapping:alice@reporting_srv]
${6:-drop = true}
MAP
	)
}

# make_fdw_source CLUSTER DB ARCHIVE_CLUSTER ARCHIVE_DB: the source database.
make_fdw_source() {
	local c=$1 db=$2 ac=$3 adb=$4
	local ahost aport
	ahost=$PGSB_DIR
	aport=$(pgsb_port "$ac")
	psql_on "$c" -c "CREATE DATABASE $db"
	psql_on "$c" -c "DO \$\$BEGIN CREATE ROLE alice; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$"
	psql_on "$c" "$db" <<SQL
CREATE EXTENSION postgres_fdw;
CREATE SERVER archive_server FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '$ahost', port '$aport', dbname '$adb');
CREATE SERVER reporting_srv FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '$ahost', port '$aport', dbname '$adb', fetch_size '500');
CREATE USER MAPPING FOR postgres SERVER archive_server
  OPTIONS (user 'postgres', password 'src-secret-pw');
CREATE USER MAPPING FOR PUBLIC SERVER archive_server OPTIONS (user 'postgres');
CREATE USER MAPPING FOR alice SERVER reporting_srv
  OPTIONS (user 'postgres', password 'alice-secret-pw');
CREATE USER MAPPING FOR postgres SERVER reporting_srv
  OPTIONS (user 'postgres', password 'rep-secret-pw');

CREATE FOREIGN TABLE reporting_summary (k text, v bigint)
  SERVER reporting_srv OPTIONS (table_name 'summary');

CREATE TABLE measurements (id int NOT NULL, ts timestamptz NOT NULL, value numeric, note text)
  PARTITION BY RANGE (ts);
CREATE TABLE measurements_2024 PARTITION OF measurements
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurements_2025 PARTITION OF measurements
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE FOREIGN TABLE measurements_old PARTITION OF measurements
  FOR VALUES FROM (MINVALUE) TO ('2024-01-01')
  SERVER archive_server OPTIONS (table_name 'measurements_archive');
CREATE INDEX measurements_2024_ts_idx ON measurements_2024 (ts);
-- A partitioned index over the foreign partition: CREATE INDEX without ONLY
-- attaches measurements_2024_ts_idx, builds one on measurements_2025, skips
-- the foreign partition and is valid (pg_restore's ON ONLY + ATTACH is not).
CREATE INDEX measurements_ts_idx ON measurements (ts);
COMMENT ON INDEX measurements_ts_idx IS 'hot and archived rows by time';
INSERT INTO measurements
  SELECT g, timestamptz '2024-01-01' + g * interval '1 hour', g, 'hot'
  FROM generate_series(1, 10000) g;

CREATE TABLE items (id serial PRIMARY KEY, code text NOT NULL UNIQUE, price numeric(10,2));
CREATE TABLE orders (id bigserial PRIMARY KEY, item_id int NOT NULL REFERENCES items (id),
  created timestamptz NOT NULL DEFAULT now(), qty int CHECK (qty > 0));
CREATE INDEX orders_created_idx ON orders (created);
CREATE SEQUENCE invoice_no START 1000;
SELECT setval('invoice_no', 1234);
CREATE FUNCTION orders_touch() RETURNS trigger LANGUAGE plpgsql AS \$f\$
BEGIN NEW.created := coalesce(NEW.created, now()); RETURN NEW; END \$f\$;
CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION orders_touch();
INSERT INTO items (code, price) SELECT 'item-' || g, g * 1.5 FROM generate_series(1, 200) g;
INSERT INTO orders (item_id, created, qty)
  SELECT 1 + g % 200, timestamptz '2025-01-01' + g * interval '1 minute', 1 + g % 7
  FROM generate_series(1, 5000) g;
ANALYZE;
SQL
}

# invalid_indexes CLUSTER DB: the invalid indexes of DB, one a line (none: empty).
invalid_indexes() {
	psql_on "$1" "$2" -Atc "SELECT indexrelid::regclass::text COLLATE \"C\" FROM pg_index WHERE NOT indisvalid ORDER BY 1"
}

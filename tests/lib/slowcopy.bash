# shellcheck shell=bash # loaded by bats (load), not run
# A copy slow enough to interrupt, for the copy-table failure suites (304, 305):
# database "d" on cluster src with a table big (200000 rows, int PK), its
# pre-data on cluster dst, where a CHECK constraint sleeps now and then so
# that "the middle of the COPY" lasts a few seconds.
# Needs tests/lib/pgsandbox.bash loaded and clusters src and dst started.

# make_slow_copy: creates the databases described above.
make_slow_copy() {
	psql_on src -c "CREATE DATABASE d"
	psql_on src d <<'SQL'
CREATE TABLE big (id int PRIMARY KEY, v text);
INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 200000) g;
ANALYZE big;
SQL
	psql_on dst -c "CREATE DATABASE d"
	pg_dump --section=pre-data -d "$(pgsb_conninfo src d)" | psql_on dst d >/dev/null
	psql_on dst d <<'SQL'
CREATE FUNCTION slow_ok(int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF $1 % 2000 = 0 THEN PERFORM pg_sleep(0.02); END IF;
  RETURN true;
END $$;
ALTER TABLE big ADD CONSTRAINT big_slow CHECK (slow_ok(id));
SQL
}

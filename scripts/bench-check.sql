-- bench-check.sql: the end state of a database that scripts/bench compares
-- between the source and each contender's target, besides the per-table
-- checksums and the pg_dump --schema-only text. Run with psql -X -A -t -F '<TAB>'
-- (-v ON_ERROR_STOP=1); prints sorted lines:
--   sequence   NAME LAST_VALUE IS_CALLED   (pg_sequences; "-" when never called)
--   objects    KIND COUNT                  (indexes, constraints by type, ...)
--   stats      TABLE 0|1                   (1 when ANALYZE left pg_statistic rows)
--   note       WHAT NAME                   (differences that are reported, not failed)
-- and, with -v list=1 instead, the tables whose rows scripts/bench checksums:
--   r QUOTED_NAME   ordinary tables and leaf partitions
--   p QUOTED_NAME   partitioned tables (counted through every partition,
--                   foreign ones included: this reads the archive through the
--                   database's own foreign server)

\if :{?list}
SELECT c.relkind, format('%I.%I', n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
ORDER BY pg_total_relation_size(c.oid) DESC, 2;
\else
SELECT * FROM (
	SELECT 'sequence', format('%I.%I', schemaname, sequencename),
	       coalesce(last_value::text, '-'), (last_value IS NOT NULL)::text
	FROM pg_sequences
	UNION ALL
	SELECT 'objects', 'index', count(*)::text, ''
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	     JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
	UNION ALL
	SELECT 'objects', 'valid index', count(*)::text, ''
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	     JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
	  AND i.indisvalid AND i.indisready AND c.relkind = 'i'
	UNION ALL
	-- pg_dump restores an index of a partitioned table as CREATE INDEX ... ON ONLY
	-- + ALTER INDEX ... ATTACH PARTITION per partition; a foreign partition has no
	-- index to attach, so the parent's index stays invalid (PostgreSQL 15).
	SELECT 'note', 'invalid partitioned index', format('%I.%I', n.nspname, c.relname), ''
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	     JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
	  AND c.relkind = 'I' AND NOT i.indisvalid
	UNION ALL
	SELECT 'objects', 'constraint ' || contype::text, count(*)::text, ''
	FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
	WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
	GROUP BY contype
	UNION ALL
	SELECT 'objects', 'validated constraint ' || contype::text, count(*)::text, ''
	FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
	WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND co.convalidated
	GROUP BY contype
	UNION ALL
	SELECT 'objects', 'relkind ' || c.relkind::text, count(*)::text, ''
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
	GROUP BY c.relkind
	UNION ALL
	SELECT 'objects', 'foreign server ' || s.srvname,
	       array_to_string(ARRAY(SELECT o FROM unnest(s.srvoptions) o ORDER BY o), ','), ''
	FROM pg_foreign_server s
	UNION ALL
	SELECT 'stats', format('%I.%I', n.nspname, c.relname),
	       (EXISTS (SELECT 1 FROM pg_statistic s WHERE s.starelid = c.oid))::int::text, ''
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE c.relkind = 'r'
	  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
) x
ORDER BY 1, 2;
\endif

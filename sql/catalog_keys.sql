--
-- catalog_keys: the catalog can be distributed by repository (Citus).
--
-- Every catalog table but the reference tables carries repo_id, every
-- primary key and unique index leads with it, and every foreign key leads
-- with it on both sides (or points at the repositories table). This is what
-- distributing the tables by repo_id, with lakefs.repositories and the
-- deployment-wide access keys as reference tables, requires.
--
CREATE TEMP VIEW catalog_tables AS
	SELECT c.oid, c.oid::regclass AS tab,
		   c.oid IN ('lakefs.repositories'::regclass,
					 'lakefs_keys.access_keys'::regclass) AS reference
	FROM pg_depend d
	JOIN pg_class c ON c.oid = d.objid AND d.classid = 'pg_class'::regclass
	WHERE d.refclassid = 'pg_extension'::regclass
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_lakefs')
	  AND d.deptype = 'e' AND c.relkind IN ('r', 'p');
-- the reference tables (replicated to every node, not distributed)
SELECT tab FROM catalog_tables WHERE reference ORDER BY tab::text;
-- distributed tables without a repo_id column: none
SELECT tab FROM catalog_tables t
WHERE NOT reference
  AND NOT EXISTS (SELECT FROM pg_attribute a
				  WHERE a.attrelid = t.oid AND a.attname = 'repo_id' AND NOT a.attisdropped);
-- unique indexes (primary keys included) not leading with repo_id: none
SELECT t.tab, i.indexrelid::regclass
FROM catalog_tables t JOIN pg_index i ON i.indrelid = t.oid
WHERE NOT t.reference AND i.indisunique
  AND (SELECT attname FROM pg_attribute
	   WHERE attrelid = t.oid AND attnum = i.indkey[0]) IS DISTINCT FROM 'repo_id';
-- tables without a primary key: none
SELECT tab FROM catalog_tables t
WHERE NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conrelid = t.oid AND c.contype = 'p');
-- foreign keys whose first column is not repo_id on both sides: none
-- (a foreign key to the repositories reference table points at its id)
SELECT t.tab, pg_get_constraintdef(c.oid)
FROM catalog_tables t JOIN pg_constraint c ON c.conrelid = t.oid AND c.contype = 'f'
WHERE NOT t.reference
  AND ((SELECT attname FROM pg_attribute
		WHERE attrelid = t.oid AND attnum = c.conkey[1]) IS DISTINCT FROM 'repo_id'
	   OR (c.confrelid <> 'lakefs.repositories'::regclass
		   AND (SELECT attname FROM pg_attribute
				WHERE attrelid = c.confrelid AND attnum = c.confkey[1])
			   IS DISTINCT FROM 'repo_id'));
-- and the checks above saw the catalog
SELECT count(*) > 10 AS distributed_tables FROM catalog_tables WHERE NOT reference;
-- distributed tables without a foreign key to their repository: the history
-- index only (its per-row key check was most of a big commit's time; each
-- insert locks the repository row instead, and deleting a repository deletes
-- its rows)
SELECT tab FROM catalog_tables t
WHERE NOT reference
  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conrelid = t.oid AND c.contype = 'f')
ORDER BY tab::text;

-- Ref expressions: branch, tag, commit id or prefix, ~N, ^N, branch@
SELECT lakefs_create_repository('repo-refs', 's3://example/repo-refs') IS NOT NULL;
DO $$
BEGIN
	FOR i IN 1..4 LOOP
		PERFORM lakefs_stage_object('repo-refs', 'main', 'f' || i, 'data/' || i, i, 'c');
		PERFORM lakefs_commit('repo-refs', 'main', 'c' || i);
	END LOOP;
END $$;
SELECT lakefs_create_tag('repo-refs', 'release', 'main~1') IS NOT NULL;

CREATE TEMP TABLE h AS SELECT id, message FROM lakefs_log('repo-refs', 'main');
SELECT (SELECT message FROM h WHERE id = lakefs_resolve_ref('repo-refs', e)) AS message, e
	FROM unnest(ARRAY['main', 'main~0', 'main~1', 'main~2', 'main~', 'main~~', 'main^',
					  'main^1', 'main^0', 'main^^', 'main~1^1', 'release', 'release~2',
					  'main@', 'main@~1']) e;

-- full ids and unique prefixes (1 to 64 hex digits, as lakeFS's)
SELECT lakefs_resolve_ref('repo-refs', id) = id AS full_id,
	   lakefs_resolve_ref('repo-refs', left(id, 12)) = id AS prefix_12,
	   lakefs_resolve_ref('repo-refs', left(id, 12) || '~1') = (SELECT id FROM h WHERE message = 'c3') AS prefix_tilde
	FROM h WHERE message = 'c4';

-- a branch and a tag never share a name (42710)...
SELECT lakefs_create_branch('repo-refs', 'release', 'main') IS NOT NULL;
-- ...but a catalog from 0.1.0 may hold both: a branch first, then a tag, then a commit
INSERT INTO lakefs.branches (repo_id, name, head)
	SELECT b.repo_id, 'release', b.head FROM lakefs.branches b
	JOIN lakefs.repositories r ON r.id = b.repo_id WHERE r.name = 'repo-refs' AND b.name = 'main';
SELECT lakefs_resolve_ref('repo-refs', 'release') = lakefs_resolve_ref('repo-refs', 'main') AS branch_wins;

-- errors
SELECT lakefs_resolve_ref('repo-refs', 'nowhere');
SELECT lakefs_resolve_ref('repo-refs', 'main~9');
SELECT lakefs_resolve_ref('repo-refs', 'main^2');
SELECT lakefs_resolve_ref('repo-refs', 'main~x');
SELECT lakefs_resolve_ref('repo-refs', '');
SELECT lakefs_resolve_ref('repo-refs', 'ffffffffff');
SELECT lakefs_resolve_ref('repo-refs', 'release@@');

-- an ambiguous prefix (two commit ids sharing their first 8 hex digits)
INSERT INTO lakefs.commits (repo_id, id, parents, metarange_id, message, committer, metadata, created_at, generation)
	SELECT c.repo_id, 'abcdef01' || repeat(x, 56), ARRAY[c.id], c.metarange_id, 'fake ' || x, 'test', '{}', now(), c.generation + 1
	FROM lakefs.commits c JOIN lakefs.repositories r ON r.id = c.repo_id,
		 unnest(ARRAY['0', '1']) x
	WHERE r.name = 'repo-refs' AND c.id = lakefs_resolve_ref('repo-refs', 'main');
SELECT lakefs_resolve_ref('repo-refs', 'abcdef01');
SELECT lakefs_resolve_ref('repo-refs', 'abcdef011') = 'abcdef01' || repeat('1', 56) AS unique_again;
-- five hex digits are looked up too (0.1.0 wanted six): both match
SELECT lakefs_resolve_ref('repo-refs', 'abcde');

-- one hex digit is enough when one commit id starts with it (lakeFS accepts
-- ^[a-fA-F0-9]{1,64}$): a fake commit whose first digit no other id has
CREATE TEMP TABLE digit AS SELECT x FROM unnest(string_to_array('0123456789abcdef', NULL)) x
	WHERE NOT EXISTS (SELECT FROM lakefs.commits c JOIN lakefs.repositories r ON r.id = c.repo_id
					  WHERE r.name = 'repo-refs' AND left(c.id, 1) = x)
	ORDER BY x LIMIT 1;
INSERT INTO lakefs.commits (repo_id, id, parents, metarange_id, message, committer, metadata, created_at, generation)
	SELECT c.repo_id, d.x || repeat('2', 63), ARRAY[c.id], c.metarange_id, 'one digit', 'test', '{}', now(), c.generation + 1
	FROM lakefs.commits c JOIN lakefs.repositories r ON r.id = c.repo_id, digit d
	WHERE r.name = 'repo-refs' AND c.id = lakefs_resolve_ref('repo-refs', 'main');
SELECT lakefs_resolve_ref('repo-refs', x) = x || repeat('2', 63) AS one_digit,
	   lakefs_resolve_ref('repo-refs', x || '~1') = lakefs_resolve_ref('repo-refs', 'main') AS one_digit_tilde
	FROM digit;
-- every commit's shortest unique prefix resolves to it; one digit fewer is ambiguous
CREATE FUNCTION pg_temp.ambiguous(p text) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
	PERFORM lakefs_resolve_ref('repo-refs', p);
	RETURN false;
EXCEPTION WHEN ambiguous_parameter THEN
	RETURN true;
END $$;
WITH ids AS (SELECT c.id FROM lakefs.commits c JOIN lakefs.repositories r ON r.id = c.repo_id
			 WHERE r.name = 'repo-refs'),
	 shortest AS (SELECT i.id, (SELECT min(k) FROM generate_series(1, 64) k
								WHERE NOT EXISTS (SELECT FROM ids j WHERE j.id <> i.id
												  AND left(j.id, k) = left(i.id, k))) AS k
				  FROM ids i)
SELECT count(*) AS commits,
	   bool_and(lakefs_resolve_ref('repo-refs', left(id, k)) = id) AS shortest_resolves,
	   bool_and(k = 1 OR pg_temp.ambiguous(left(id, k - 1))) AS one_fewer_is_ambiguous
	FROM shortest;

SELECT lakefs_delete_repository('repo-refs');

-- Every pg_lakefs function, called with NULL in each argument position and with
-- an empty string in each text position, the other arguments plausible. Generated
-- from pg_proc, so a function added later is covered without editing this file.
-- A required argument (one without a default) that is NULL must give 22004 or,
-- for a STRICT function, a NULL result; nothing may crash the backend or raise
-- an internal error (class XX). Each call runs in a subtransaction that is rolled
-- back, so the calls do not disturb each other.
SET client_min_messages = warning;
SELECT lakefs_create_repository('nulls-repo', 's3://bucket/nulls-repo') IS NOT NULL AS created;
SELECT lakefs_create_tag('nulls-repo', 'v-old', 'main') IS NOT NULL AS tagged;
-- a server nothing listens on: a call that gets as far as the network fails fast
CREATE SERVER nulls_s3 FOREIGN DATA WRAPPER lakefs_s3
    OPTIONS (endpoint 'http://127.0.0.1:9', region 'us-east-1', max_retries '0',
             connect_timeout '200');
CREATE USER MAPPING FOR PUBLIC SERVER nulls_s3
    OPTIONS (access_key_id 'k', secret_access_key 's');

CREATE TEMP TABLE probe (fn regprocedure, pos int, arg text, kind text,
                         required bool, strict bool, outcome text, message text);

-- a plausible value for an argument, by name and type
CREATE FUNCTION pg_temp.sample(argname text, argtype regtype) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN argname = 'repository' THEN quote_literal('nulls-repo')
    WHEN argname = 'name' THEN quote_literal('nulls-new')
    WHEN argname IN ('branch', 'dest_branch') THEN quote_literal('main')
    WHEN argname LIKE '%ref' THEN quote_literal('main')
    WHEN argname = 'tag' THEN quote_literal('v-new')
    WHEN argname = 'path' THEN quote_literal('a/b.txt')
    WHEN argname = 'storage_namespace' THEN quote_literal('s3://bucket/nulls-new')
    WHEN argname = 'server' THEN quote_literal('nulls_s3')
    WHEN argname = 'uri' THEN quote_literal('s3://bucket/x')
    WHEN argname = 'uris' THEN $q$ARRAY['s3://bucket/x']$q$
    WHEN argname = 'method' THEN quote_literal('GET')
    WHEN argname = 'bucket' THEN quote_literal('bucket')
    WHEN argname = 'physical_address' THEN quote_literal('data/x')
    WHEN argname = 'query' THEN quote_literal($q$SELECT 'q.txt' AS path, 'data/q' AS physical_address, 1::bigint AS size, 'c' AS checksum$q$)
    WHEN argname = 'sources' AND argtype = 'text[]'::regtype THEN $q$ARRAY['s3://bucket/src/']$q$
    WHEN argname = 'strategy' THEN quote_literal('source-wins')
    WHEN argtype = 'text'::regtype THEN quote_literal('x')
    WHEN argtype = 'text[]'::regtype THEN $q$ARRAY['x']$q$
    WHEN argtype = 'name'::regtype THEN quote_literal('nulls_s3')
    WHEN argtype IN ('bigint'::regtype, 'integer'::regtype) THEN '1'
    WHEN argtype = 'boolean'::regtype THEN 'false'
    WHEN argtype = 'jsonb'::regtype THEN quote_literal('{}')
    WHEN argtype = 'bytea'::regtype THEN quote_literal('\x00')
    WHEN argtype = 'interval'::regtype THEN quote_literal('1 minute')
    WHEN argtype = 'timestamp with time zone'::regtype THEN quote_literal('2026-01-01 00:00:00+00')
    WHEN argtype = 'oid'::regtype THEN '0'
    ELSE 'NULL' END || '::' || argtype::text
$$;

DO $probe$
DECLARE
  f record;
  i int;
  k text;
  args text[];
  sql text;
  state text;
  msg text;
BEGIN
  FOR f IN
    SELECT p.oid, p.proname, p.proargnames, p.proargtypes::regtype[] AS types,
           p.pronargs, p.pronargdefaults, p.proisstrict, p.proretset
      FROM pg_proc p
      JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
       AND d.deptype = 'e' AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_lakefs')
     WHERE p.prorettype NOT IN ('fdw_handler'::regtype, 'trigger'::regtype)
       AND p.proname <> 'lakefs_s3_fdw_validator'
     ORDER BY p.oid::regprocedure::text
  LOOP
    FOR i IN 0 .. f.pronargs - 1 LOOP
      FOREACH k IN ARRAY ARRAY['null', 'empty'] LOOP
        CONTINUE WHEN k = 'empty' AND f.types[i] <> 'text'::regtype;
        args := ARRAY[]::text[];
        FOR j IN 0 .. f.pronargs - 1 LOOP
          args := args || CASE
            WHEN j <> i THEN pg_temp.sample(f.proargnames[j + 1], f.types[j])
            WHEN k = 'null' THEN 'NULL::' || f.types[j]::text
            ELSE quote_literal('') || '::text' END;
        END LOOP;
        sql := format('SELECT count(*) FROM %I(%s)', f.proname, array_to_string(args, ', '));
        BEGIN
          EXECUTE sql;
          RAISE EXCEPTION USING ERRCODE = 'LKOK0', MESSAGE = 'returned';
        EXCEPTION WHEN OTHERS THEN
          GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        END;
        INSERT INTO probe VALUES (f.oid, i + 1, f.proargnames[i + 1], k,
                                  i < f.pronargs - f.pronargdefaults, f.proisstrict,
                                  state, msg);
      END LOOP;
    END LOOP;
  END LOOP;
END
$probe$;

-- the probe reached every function and position
SELECT count(DISTINCT fn) >= 38 AS functions, count(*) FILTER (WHERE kind = 'null') >= 136 AS null_calls,
       count(*) FILTER (WHERE kind = 'empty') >= 100 AS empty_calls
  FROM probe;
-- no internal error, no error without a proper SQLSTATE (none expected)
SELECT fn, pos, arg, kind, outcome, message FROM probe
 WHERE outcome LIKE 'XX%' OR outcome = 'P0001' OR outcome IS NULL ORDER BY 1, 2, 4;
-- a NULL required argument is refused with 22004 naming it, or the function is
-- STRICT and returns NULL (none expected). A NULL server of the raw object
-- functions means "no server", for local:// addresses, and is checked above.
SELECT fn, pos, arg, outcome, message FROM probe
 WHERE kind = 'null' AND required AND arg <> 'server'
   AND NOT (outcome = '22004' AND message LIKE '%' || arg || '%')
   AND NOT (strict AND outcome = 'LKOK0')
 ORDER BY 1, 2;
-- what the NULL probes answered, by outcome
SELECT outcome, count(*) > 0 AS seen FROM probe WHERE kind = 'null' AND outcome IN ('22004', 'LKOK0')
 GROUP BY outcome ORDER BY outcome;
-- the catalog is as it was: every call was rolled back
SELECT (SELECT count(*) FROM lakefs_repositories WHERE name LIKE 'nulls-%') AS repositories,
       (SELECT count(*) FROM lakefs_branches WHERE repository = 'nulls-repo') AS branches,
       (SELECT count(*) FROM lakefs_tags WHERE repository = 'nulls-repo') AS tags,
       (SELECT count(*) FROM lakefs_commits WHERE repository = 'nulls-repo') AS commits;
SELECT lakefs_delete_repository('nulls-repo');
DROP USER MAPPING FOR PUBLIC SERVER nulls_s3;
DROP SERVER nulls_s3;

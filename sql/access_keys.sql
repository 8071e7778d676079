-- Access keys for the S3 gateway: a key stands for a role, its secret is shown
-- once and stays in a table only the extension owner reads, and the database
-- itself checks SigV4 signatures (lakefs_verify_signature).
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_lk_alice;
DROP ROLE IF EXISTS regress_lk_bob;
CREATE ROLE regress_lk_alice;
CREATE ROLE regress_lk_bob;
CREATE TEMP TABLE k AS SELECT * FROM lakefs_create_access_key('regress_lk_alice');
SELECT access_key_id ~ '^AKPG[A-Z2-7]{16}$' AS id_shape, length(secret_access_key) AS secret_length FROM k;
SELECT role FROM lakefs_access_keys WHERE access_key_id = (SELECT access_key_id FROM k);
SELECT access_key_id AS alice_key FROM k \gset

-- AWS's published SigV4 example (GET /test.txt, 20130524), with its secret
-- stored for a key: the database derives the signing key and agrees
INSERT INTO lakefs_keys.access_keys (access_key_id, secret_access_key, role_oid)
VALUES ('AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        'regress_lk_alice'::regrole);
SELECT found, role, length(signing_key) FROM lakefs_verify_signature('AKIAIOSFODNN7EXAMPLE',
  '20130524', 'us-east-1', 's3',
  E'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
  'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
-- one bit off: found, no role, no signing key
SELECT found, role, signing_key FROM lakefs_verify_signature('AKIAIOSFODNN7EXAMPLE',
  '20130524', 'us-east-1', 's3',
  E'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
  'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb40');
-- an unknown key
SELECT found, role, signing_key FROM lakefs_verify_signature('AKPGNOSUCHKEY', '20130524',
  'us-east-1', 's3', 'x', 'y');

-- errors: an unknown role, a role one is not a member of, an unknown key
SELECT * FROM lakefs_create_access_key('regress_lk_nobody');
SET ROLE regress_lk_bob;
SELECT * FROM lakefs_create_access_key('regress_lk_alice');
SELECT lakefs_delete_access_key(:'alice_key');
-- bob sees no key of alice, nor the table, nor the check
SELECT count(*) FROM lakefs_access_keys;
SELECT count(*) FROM lakefs_keys.access_keys;
SELECT found FROM lakefs_verify_signature('AKIAIOSFODNN7EXAMPLE', '20130524', 'us-east-1', 's3', 'x', 'y');
-- his own key he may create and delete
SELECT count(*) FROM lakefs_create_access_key();
SELECT role FROM lakefs_access_keys;
SELECT lakefs_delete_access_key(access_key_id) FROM lakefs_access_keys;
RESET ROLE;
SELECT lakefs_delete_access_key('AKPGNOSUCHKEY');
SELECT lakefs_delete_access_key(:'alice_key');
SELECT lakefs_delete_access_key('AKIAIOSFODNN7EXAMPLE');
SELECT count(*) FROM lakefs_access_keys;
DROP ROLE regress_lk_alice;
DROP ROLE regress_lk_bob;

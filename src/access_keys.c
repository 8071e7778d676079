/*-------------------------------------------------------------------------
 *
 * access_keys.c
 *		S3 access keys that stand for Postgres roles, and the SigV4 check the
 *		S3 gateway asks the database for.
 *
 * Design: the secret never leaves the database after it is shown once by
 * lakefs_create_access_key. The gateway builds the canonical request and the
 * string to sign itself (it needs no secret for that) and calls
 * lakefs_verify_signature, which derives the day's signing key (HMAC chain
 * over date, region, service, "aws4_request") here, compares the signature
 * in constant time and answers with the key's role. Only when the signature
 * matches does it also return the day-scoped signing key, which the gateway
 * needs to check the signature of every aws-chunked chunk; that key is what
 * AWS itself hands to its services (it is valid for one day, one region and
 * one service, and does not reveal the secret).
 *
 * Privileges: the table lakefs_keys.access_keys belongs to the extension
 * owner and no one else may read it. The SQL functions here run the table
 * statements through the catalog layer's one door (connect_spi: as the
 * extension owner), after checking the caller's right with the caller's
 * identity (catalog_caller): only a member of a role may create or delete
 * keys for it. lakefs_verify_signature's EXECUTE is revoked from PUBLIC; the
 * gateway's login role is granted it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "catalog/pg_authid.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "api_args.h"
#include "catalog_spi.h"
#include "lakefs_hash.h"

PG_FUNCTION_INFO_V1(lakefs_create_access_key);
PG_FUNCTION_INFO_V1(lakefs_delete_access_key);
PG_FUNCTION_INFO_V1(lakefs_verify_signature);

#define KEYS_TABLE "lakefs_keys.access_keys"
/* NOTIFY channel of deleted keys (the gateways' signing-key caches listen) */
#define LAKEFS_KEYS_CHANNEL "lakefs_access_keys"

/* random characters from alphabet (strong randomness), NUL-terminated */
static void
random_chars(char *out, int n, const char *alphabet)
{
	uint8		rnd[64];
	int			alen = strlen(alphabet);

	Assert(n <= (int) sizeof(rnd));
	if (!pg_strong_random(rnd, n))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random access key")));
	for (int i = 0; i < n; i++)
		out[i] = alphabet[rnd[i] % alen];
	out[n] = '\0';
}

/*
 * run: one statement on the keys table; the caller has opened the catalog
 * layer's one door (connect_spi), so it runs as the extension owner, who owns
 * the table. Returns SPI_processed.
 */
static uint64
run(const char *sql, int nargs, Oid *types, Datum *values)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);

	if (rc < 0)
		elog(ERROR, "access key statement failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

/* caller must be a member of role (superusers are) */
static void
check_member(Oid role, const char *rolename)
{
	/* the calling role, also inside the one door */
	if (!is_member_of_role(catalog_caller(), role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to manage access keys of role \"%s\"", rolename),
				 errdetail("Only members of a role may create or delete its access keys.")));
}

/*
 * lakefs_create_access_key(role) -> (access_key_id, secret_access_key)
 *		A new key for role: an AWS-shaped id (20 characters, AKPG + base32)
 *		and a 40-character secret, both from pg_strong_random.
 */
Datum
lakefs_create_access_key(PG_FUNCTION_ARGS)
{
	char	   *rolename;
	Oid			role;
	char		id[21];
	char		secret[41];
	Oid			types[3] = {TEXTOID, TEXTOID, OIDOID};
	Datum		v[3];
	TupleDesc	desc;
	bool		n[2] = {false, false};

	lk_arg_require(fcinfo, 0);
	rolename = NameStr(*PG_GETARG_NAME(0));
	role = get_role_oid(rolename, false);
	check_member(role, rolename);
	memcpy(id, "AKPG", 4);
	random_chars(id + 4, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
	random_chars(secret, 40,
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	v[0] = CStringGetTextDatum(id);
	v[1] = CStringGetTextDatum(secret);
	v[2] = ObjectIdGetDatum(role);
	connect_spi();
	run("INSERT INTO " KEYS_TABLE
				 " (access_key_id, secret_access_key, role_oid) VALUES ($1, $2, $3)",
				 3, types, v);
	finish_spi();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, n)));
}

/* lakefs_delete_access_key(id): remove the key; 42704 when there is none */
Datum
lakefs_delete_access_key(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {TEXTOID};
	char	   *id = ARG_TEXT(0);
	Datum		v[1] = {PG_GETARG_DATUM(0)};
	bool		isnull;
	Oid			role;
	char	   *rolename;

	connect_spi();
	if (run("SELECT role_oid FROM " KEYS_TABLE " WHERE access_key_id = $1 FOR UPDATE",
			1, types, v) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("access key \"%s\" does not exist", id)));
	role = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										  1, &isnull));
	rolename = GetUserNameFromId(role, true);
	check_member(role, rolename ? rolename : "?");
	run("DELETE FROM " KEYS_TABLE " WHERE access_key_id = $1", 1, types, v);
	finish_spi();
	/* at commit: gateways drop their cached signing keys of this key */
	Async_Notify(LAKEFS_KEYS_CHANNEL, id);
	PG_RETURN_VOID();
}

/* out = HMAC-SHA256(key, msg) */
static void
hmac(unsigned char out[32], const void *key, size_t keylen, const char *msg, size_t len)
{
	unsigned int outlen = 0;

	if (HMAC(EVP_sha256(), key, (int) keylen, (const unsigned char *) msg, len,
			 out, &outlen) == NULL || outlen != 32)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute an HMAC")));
}

/*
 * lakefs_verify_signature(access_key_id, date, region, service,
 *						   string_to_sign, signature)
 *		-> (found, role, signing_key)
 *		found is false for an unknown key (role and signing_key NULL); role
 *		and signing_key are NULL when the signature does not match.
 */
Datum
lakefs_verify_signature(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {TEXTOID};
	Datum		arg[1] = {PG_GETARG_DATUM(0)};
	const char *parts[4];
	char	   *secret;
	char	   *given = text_to_cstring(PG_GETARG_TEXT_PP(5));
	text	   *sts = PG_GETARG_TEXT_PP(4);
	unsigned char k[32];
	unsigned char sig[32];
	char		hex[65];
	char	   *rolename;
	TupleDesc	desc;
	Datum		v[3];
	bool		n[3] = {false, true, true};
	MemoryContext outer = CurrentMemoryContext;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	v[0] = BoolGetDatum(false);
	connect_spi();
	if (run("SELECT k.secret_access_key, r.rolname::text FROM " KEYS_TABLE
			" k JOIN pg_catalog.pg_roles r ON r.oid = k.role_oid"
			" WHERE k.access_key_id = $1", 1, types, arg) == 0)
	{
		finish_spi();
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, n)));
	}
	secret = MemoryContextStrdup(outer, psprintf("AWS4%s",
												  SPI_getvalue(SPI_tuptable->vals[0],
															   SPI_tuptable->tupdesc, 1)));
	rolename = MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[0],
													   SPI_tuptable->tupdesc, 2));
	finish_spi();

	parts[0] = text_to_cstring(PG_GETARG_TEXT_PP(1));
	parts[1] = text_to_cstring(PG_GETARG_TEXT_PP(2));
	parts[2] = text_to_cstring(PG_GETARG_TEXT_PP(3));
	parts[3] = "aws4_request";
	hmac(k, secret, strlen(secret), parts[0], strlen(parts[0]));
	for (int i = 1; i < 4; i++)
		hmac(k, k, 32, parts[i], strlen(parts[i]));
	hmac(sig, k, 32, VARDATA_ANY(sts), VARSIZE_ANY_EXHDR(sts));
	lk_hex(sig, 32, hex);
	explicit_bzero(secret, strlen(secret));

	v[0] = BoolGetDatum(true);
	if (strlen(given) == 64 && CRYPTO_memcmp(given, hex, 64) == 0)
	{
		bytea	   *key = palloc(VARHDRSZ + 32);

		SET_VARSIZE(key, VARHDRSZ + 32);
		memcpy(VARDATA(key), k, 32);
		v[1] = DirectFunctionCall1(namein, CStringGetDatum(rolename));
		v[2] = PointerGetDatum(key);
		n[1] = n[2] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, n)));
}

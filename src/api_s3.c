/*-------------------------------------------------------------------------
 *
 * api_s3.c
 *		SQL functions over the blockstore: listing, presigning and the
 *		low-level object calls (thin fmgr wrappers).
 *
 * The server argument names a lakefs_s3 foreign server; it may be NULL for
 * local:// addresses. Network-reaching calls check USAGE on the server (in
 * blockstore.c, through option.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "api_args.h"
#include "blockstore.h"
#include "option.h"

PG_FUNCTION_INFO_V1(lakefs_list_objects);
PG_FUNCTION_INFO_V1(lakefs_s3_presign);
PG_FUNCTION_INFO_V1(lakefs_s3_put);
PG_FUNCTION_INFO_V1(lakefs_s3_get);
PG_FUNCTION_INFO_V1(lakefs_s3_stat);
PG_FUNCTION_INFO_V1(lakefs_s3_delete);
PG_FUNCTION_INFO_V1(lakefs_s3_delete_many);
PG_FUNCTION_INFO_V1(lakefs_s3_create_bucket);

/* The server OID of argument n, InvalidOid when NULL. */
static Oid
server_arg(FunctionCallInfo fcinfo, int n)
{
	if (PG_ARGISNULL(n))
		return InvalidOid;
	return lakefs_s3_server_oid(text_to_cstring(PG_GETARG_TEXT_PP(n)));
}

/*
 * The raw object functions reach a local:// address only for members of
 * pg_read_server_files (reads) or pg_write_server_files (writes), the roles
 * Postgres gives for server files (superusers are members): pg_lakefs.local_root
 * is a directory of the server's. Others reach a local:// repository's objects
 * through the repository functions. Throws 42501.
 */
static void
check_local_access(const char *uri, bool write)
{
	Oid			role = write ? ROLE_PG_WRITE_SERVER_FILES : ROLE_PG_READ_SERVER_FILES;

	if (strncmp(uri, "local://", 8) != 0 || has_privs_of_role(GetUserId(), role))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s local:// objects directly", write ? "write" : "read"),
			 errdetail("Only superusers and members of %s may.",
					   write ? "pg_write_server_files" : "pg_read_server_files"),
			 errhint("Read and write a local:// repository's objects with the repository "
					 "functions, such as lakefs_get_object and lakefs_put_object.")));
}

/* text argument n, an object address that the caller may read (or write) */
static char *
raw_address(FunctionCallInfo fcinfo, int n, bool write)
{
	char	   *uri = lk_arg_text(fcinfo, n);

	check_local_access(uri, write);
	return uri;
}

typedef struct ListState
{
	BlockstoreLister *lister;
	BlockstoreEntry *entries;
	int			n;
	int			pos;
} ListState;

/*
 * lakefs_list_objects(server text, uri text, delimiter text DEFAULT NULL)
 *		RETURNS TABLE (key text, size bigint, etag text, last_modified timestamptz)
 *		Value per call: one listing page in memory at a time. Common prefixes
 *		come back with NULL size, etag and last_modified.
 */
Datum
lakefs_list_objects(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	ListState  *ls;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		TupleDesc	tupdesc;
		Oid			serverid = server_arg(fcinfo, 0);
		char	   *uri = raw_address(fcinfo, 1, false);
		char	   *delim = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		funcctx->tuple_desc = BlessTupleDesc(tupdesc);
		ls = palloc0(sizeof(ListState));
		ls->lister = blockstore_list_begin(serverid, uri, delim, 0);
		funcctx->user_fctx = ls;
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	ls = (ListState *) funcctx->user_fctx;

	if (ls->pos >= ls->n && ls->lister)
	{
		ls->n = blockstore_list_next(ls->lister, &ls->entries);
		ls->pos = 0;
		if (ls->n == 0)
		{
			blockstore_list_end(ls->lister);
			ls->lister = NULL;
		}
	}
	if (ls->pos < ls->n)
	{
		const BlockstoreEntry *e = &ls->entries[ls->pos++];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(e->key);
		values[1] = Int64GetDatum(e->size);
		nulls[1] = e->is_prefix;
		nulls[2] = e->etag == NULL;
		values[2] = e->etag ? CStringGetTextDatum(e->etag) : (Datum) 0;
		nulls[3] = !e->have_last_modified;
		values[3] = TimestampTzGetDatum(e->last_modified);
		SRF_RETURN_NEXT(funcctx,
						HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc,
														  values, nulls)));
	}
	SRF_RETURN_DONE(funcctx);
}

/*
 * lakefs_s3_presign(server text, method text, uri text, expires interval,
 *					 at timestamptz DEFAULT now()) RETURNS text
 */
Datum
lakefs_s3_presign(PG_FUNCTION_ARGS)
{
	Oid			serverid = server_arg(fcinfo, 0);
	char	   *method = lk_arg_text(fcinfo, 1);
	char	   *uri = lk_arg_text(fcinfo, 2);
	Interval   *span;
	TimestampTz at;
	int64		secs;

	lk_arg_require(fcinfo, 3);
	span = PG_GETARG_INTERVAL_P(3);
	at = PG_ARGISNULL(4) ? GetCurrentTransactionStartTimestamp() : PG_GETARG_TIMESTAMPTZ(4);
	/* SigV4 dates are YYYYMMDD'T'HHMMSS'Z': a finite instant from 1970 to 9999 */
	if (TIMESTAMP_NOT_FINITE(at) || timestamptz_to_time_t(at) < 0 ||
		timestamptz_to_time_t(at) >= INT64CONST(253402300800))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("presign time must be a finite instant between 1970 and 9999")));
	secs = span->time / USECS_PER_SEC + (int64) span->day * SECS_PER_DAY +
		(int64) span->month * DAYS_PER_MONTH * SECS_PER_DAY;
	if (secs < 1 || secs > 7 * SECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("presigned URL lifetime must be between 1 second and 7 days")));
	for (char *p = method; *p; p++)
		*p = pg_toupper((unsigned char) *p);
	PG_RETURN_TEXT_P(cstring_to_text(blockstore_presign(serverid, uri, method, (int) secs,
														timestamptz_to_time_t(at))));
}

/*
 * lakefs_s3_put(server text, uri text, data bytea, content_type text
 *				 DEFAULT NULL, OUT etag text, OUT size bigint)
 */
Datum
lakefs_s3_put(PG_FUNCTION_ARGS)
{
	Oid			serverid = server_arg(fcinfo, 0);
	char	   *uri = raw_address(fcinfo, 1, true);
	bytea	   *data;
	char	   *ctype = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	BlockstoreObjectInfo info;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("data must not be null")));
	data = PG_GETARG_BYTEA_PP(2);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	blockstore_put(serverid, uri, "", VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data),
				   ctype, &info);
	values[0] = CStringGetTextDatum(info.etag);
	values[1] = Int64GetDatum(info.size);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/*
 * lakefs_s3_get(server text, uri text, "offset" bigint DEFAULT 0,
 *				 length bigint DEFAULT NULL) RETURNS bytea
 */
Datum
lakefs_s3_get(PG_FUNCTION_ARGS)
{
	Oid			serverid = server_arg(fcinfo, 0);
	char	   *uri = raw_address(fcinfo, 1, false);
	int64		offset = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2);
	int64		length = PG_ARGISNULL(3) ? -1 : PG_GETARG_INT64(3);

	if (!PG_ARGISNULL(3) && length < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("length must not be negative")));
	PG_RETURN_BYTEA_P(blockstore_get(serverid, uri, offset, length, -1));
}

/*
 * lakefs_s3_stat(server text, uri text, OUT size bigint, OUT etag text,
 *				  OUT last_modified timestamptz)
 */
Datum
lakefs_s3_stat(PG_FUNCTION_ARGS)
{
	Oid			serverid = server_arg(fcinfo, 0);
	char	   *uri = raw_address(fcinfo, 1, false);
	BlockstoreObjectInfo info;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	blockstore_head(serverid, uri, &info);
	values[0] = Int64GetDatum(info.size);
	values[1] = CStringGetTextDatum(info.etag);
	values[2] = TimestampTzGetDatum(info.last_modified);
	nulls[2] = !info.have_last_modified;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/*
 * lakefs_s3_delete(server text, uri text) RETURNS void
 */
Datum
lakefs_s3_delete(PG_FUNCTION_ARGS)
{
	Oid			serverid = server_arg(fcinfo, 0);
	char	   *uri = raw_address(fcinfo, 1, true);

	blockstore_delete(serverid, uri);
	PG_RETURN_VOID();
}

/*
 * lakefs_s3_delete(server text, uris text[]) RETURNS bigint
 *		Multi-object delete; returns the number of addresses given.
 */
Datum
lakefs_s3_delete_many(PG_FUNCTION_ARGS)
{
	Oid			serverid = server_arg(fcinfo, 0);
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	char	  **uris;

	lk_arg_require(fcinfo, 1);
	arr = PG_GETARG_ARRAYTYPE_P(1);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	uris = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("object addresses must not be null")));
		uris[i] = TextDatumGetCString(elems[i]);
		check_local_access(uris[i], true);
	}
	blockstore_delete_many(serverid, uris, n);
	PG_RETURN_INT64(n);
}

/*
 * lakefs_s3_create_bucket(server text, bucket text) RETURNS void
 *		A test and demo convenience.
 */
Datum
lakefs_s3_create_bucket(PG_FUNCTION_ARGS)
{
	char	   *server = lk_arg_text(fcinfo, 0);
	char	   *bucket = lk_arg_text(fcinfo, 1);
	S3Endpoint *ep = lakefs_s3_endpoint(lakefs_s3_server_oid(server), true);

	s3_create_bucket(ep, bucket);
	PG_RETURN_VOID();
}

/*-------------------------------------------------------------------------
 *
 * pg_lakefs.c
 *		Module entry point: PG_MODULE_MAGIC, _PG_init and the GUCs.
 *
 * Everything else lives in a subsystem file; this one only wires the module
 * into the server when it is loaded.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "blockstore.h"
#include "pg_lakefs.h"
#include "s3_client.h"

PG_MODULE_MAGIC;

/*
 * _PG_init
 *		Define the GUCs and reserve the pg_lakefs prefix.
 */
void
_PG_init(void)
{
	s3_client_init();			/* curl_global_init and the S3 client GUCs */
	blockstore_init();
	MarkGUCPrefixReserved("pg_lakefs");
}

PG_FUNCTION_INFO_V1(lakefs_version);

/*
 * lakefs_version
 *		The version of the loaded shared library.
 */
Datum
lakefs_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(PG_LAKEFS_VERSION));
}

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

#include <limits.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "chunker.h"
#include "lk_alloc.h"
#include "blockstore.h"
#include "pg_lakefs.h"
#include "range_cache.h"
#include "s3_client.h"

PG_MODULE_MAGIC;

/* the plain-C layers allocate in the current memory context */
static void *
lk_palloc(size_t size)
{
	return palloc(size);
}

static void *
lk_repalloc(void *ptr, size_t size)
{
	return ptr ? repalloc(ptr, size) : palloc(size);
}

/*
 * _PG_init
 *		Point the plain-C allocator at palloc, define the GUCs and reserve
 *		the pg_lakefs prefix.
 */
void
_PG_init(void)
{
	lk_allocator.alloc = lk_palloc;
	lk_allocator.realloc = lk_repalloc;
	lk_allocator.free = pfree;

	DefineCustomIntVariable("pg_lakefs.range_size_bits",
							"Log2 of the average number of entries in a range.",
							"Ranges are closed at content-defined boundaries; smaller "
							"ranges make diffs of few changes cheaper and metaranges "
							"larger. Changing it only changes which ranges new commits "
							"share with old ones.",
							&chunk_avg_bits, CHUNK_AVG_BITS, 2, 20,
							PGC_USERSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_lakefs.range_cache_size",
							"Memory for this backend's cache of ranges and metaranges.",
							"They are immutable and content-addressed, so cached copies "
							"never go stale; 0 disables the cache.",
							&lakefs_range_cache_kb, 65536, 0, INT_MAX / 1024,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_lakefs.import_progress_interval",
							"Objects between the progress notices of lakefs_import.",
							NULL,
							&lakefs_import_progress_interval, 100000, 1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
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

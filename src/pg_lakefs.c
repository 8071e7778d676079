/*-------------------------------------------------------------------------
 *
 * pg_lakefs.c
 *		Module entry point: PG_MODULE_MAGIC and _PG_init, which calls each
 *		subsystem's init function (each defines the GUCs of its own variables).
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
#include "gc.h"
#include "lk_alloc.h"
#include "catalog_spi.h"
#include "governance.h"
#include "manifest.h"
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
	catalog_spi_init();			/* the one door's (sub)transaction callbacks */
	governance_init();

	/* each file defines the GUCs of the variables it owns */
	s3_client_init();			/* curl_global_init and the S3 client GUCs */
	blockstore_init();
	blockstore_local_init();
	manifest_init();
	range_cache_init();
	import_init();
	gc_init();					/* pg_lakefs.gc_grace */
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

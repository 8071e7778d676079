/*-------------------------------------------------------------------------
 *
 * catalog_spi.c
 *		The SPI helpers of the catalog layer (catalog.c, staging.c,
 *		staging_bulk.c, fsck.c): saved plans, connection, column getters.
 *
 * Only the catalog layer runs SQL, and it does so through these; they
 * also own the switch to the extension owner around every catalog
 * statement (see connect_spi).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "catalog_spi.h"

/*
 * spi_run_saved: run a statement through a plan prepared on first use and
 * kept in *slot for the backend's life. SPI must be connected. Statements
 * see the effects of earlier ones in the same transaction (read_only false:
 * a fresh snapshot each). The plan is generic from the first run: the plan
 * cache would otherwise plan each statement again on its first five runs
 * in every backend, and catalog statements seek by key columns whatever the
 * values. spi_run_saved_custom leaves the choice to the plan cache, for a
 * statement whose best plan depends on a value (a LIKE pattern).
 */
static int
run_saved(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *types,
		  Datum *values, const char *nulls, long count, int cursor_options)
{
	int			rc;

	if (*slot == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, (Oid *) types, cursor_options);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s: %s", SPI_result_code_string(SPI_result), sql);
		SPI_keepplan(plan);
		*slot = plan;
	}
	rc = SPI_execute_plan(*slot, values, nulls, false, count);
	if (rc < 0)
		elog(ERROR, "catalog statement failed: %s: %s", SPI_result_code_string(rc), sql);
	return rc;
}

int
spi_run_saved(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *types,
			  Datum *values, const char *nulls, long count)
{
	return run_saved(slot, sql, nargs, types, values, nulls, count, CURSOR_OPT_GENERIC_PLAN);
}

int
spi_run_saved_custom(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *types,
					 Datum *values, const char *nulls, long count)
{
	return run_saved(slot, sql, nargs, types, values, nulls, count, 0);
}

/*
 * ---- the one door: catalog statements run as the extension owner ----
 *
 * connect_spi() connects to SPI and switches the current user to the owner
 * of the extension (who owns the lakefs.* tables; users get no privileges on
 * them) with SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION,
 * as pg_cron does around its catalog writes, and pins search_path to
 * "pg_catalog, pg_temp" so that no operator or function of the caller's
 * schemas runs with the owner's rights. finish_spi() restores both and
 * disconnects. Catalog-layer files get SPI_finish() mapped to finish_spi()
 * by catalog_spi.h, so a connect_spi() paired with SPI_finish() is still
 * balanced.
 *
 * Error safety: an error between the two needs no cleanup here. Postgres
 * restores the user id and security context saved at the start of the
 * (sub)transaction in AbortTransaction / AbortSubTransaction, and
 * AtEOXact_GUC undoes the search_path of every GUC nest level above the
 * aborted one. The stack below is trimmed by the (sub)transaction callbacks
 * registered in catalog_spi_init().
 *
 * connect_spi_caller() is the same connection without the switch (and back
 * to the caller when a catalog section is open): for SQL the user wrote
 * (the bulk staging query). Hooks run outside any SPI section.
 */
typedef struct SpiFrame
{
	Oid			saved_user;
	int			saved_sec;
	int			guc_level;		/* 0: no GUC level opened */
	int			xact_level;		/* the (sub)transaction nest level */
	bool		switched;		/* runs as the extension owner */
} SpiFrame;

#define SPI_FRAMES_MAX 64

static SpiFrame frames[SPI_FRAMES_MAX];
static int	nframes;
static Oid	owner_cache = InvalidOid;
static bool one_door_cache = false;
static LocalTransactionId owner_lxid = InvalidLocalTransactionId;

/* the owner of the extension (of its tables), looked up once a transaction */
static Oid
extension_owner(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			ext;

	if (owner_lxid == MyProc->lxid && OidIsValid(owner_cache))
		return owner_cache;
	ext = get_extension_oid("pg_lakefs", false);
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "extension pg_lakefs vanished");
	owner_cache = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	/* 0.2.0's catalog (lakefs.grants) is what the one door guards */
	one_door_cache = catalog_relation_exists("grants");
	owner_lxid = MyProc->lxid;
	return owner_cache;
}

/*
 * catalog_one_door: whether the installed catalog is 0.2.0's or later.
 * With the library updated but the catalog still 0.1.0 (before ALTER
 * EXTENSION pg_lakefs UPDATE) access stays as 0.1.0 had it: statements run
 * with the caller's table privileges and no per-repository check applies.
 */
bool
catalog_one_door(void)
{
	(void) extension_owner();
	return one_door_cache;
}

static void
push_frame(bool as_owner)
{
	SpiFrame   *f;
	Oid			target;

	if (nframes >= SPI_FRAMES_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("catalog calls nested too deeply")));
	f = &frames[nframes];
	GetUserIdAndSecContext(&f->saved_user, &f->saved_sec);
	f->xact_level = GetCurrentTransactionNestLevel();
	f->guc_level = 0;
	if (as_owner && !catalog_one_door())
		as_owner = false;
	f->switched = as_owner;
	target = as_owner ? extension_owner() : catalog_caller();
	nframes++;
	if (as_owner)
	{
		SetUserIdAndSecContext(target, f->saved_sec | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		f->guc_level = NewGUCNestLevel();
		(void) set_config_option("search_path", "pg_catalog, pg_temp",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
	}
	else if (target != f->saved_user)
		SetUserIdAndSecContext(target, f->saved_sec & ~SECURITY_RESTRICTED_OPERATION);
}

void
connect_spi(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	push_frame(true);
}

void
connect_spi_caller(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	push_frame(false);
}

#undef SPI_finish
void
finish_spi(void)
{
	if (nframes > 0)
	{
		SpiFrame   *f = &frames[--nframes];

		if (f->guc_level > 0)
			AtEOXact_GUC(true, f->guc_level);
		SetUserIdAndSecContext(f->saved_user, f->saved_sec);
	}
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
}

/* the role that called pg_lakefs: the user before the first open switch */
Oid
catalog_caller(void)
{
	for (int i = 0; i < nframes; i++)
		if (frames[i].switched)
			return frames[i].saved_user;
	return GetUserId();
}

bool
catalog_switched(void)
{
	for (int i = 0; i < nframes; i++)
		if (frames[i].switched)
			return true;
	return false;
}

static void
spi_xact_callback(XactEvent event, void *arg)
{
	nframes = 0;
}

static void
spi_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		int			level = GetCurrentTransactionNestLevel();

		while (nframes > 0 && frames[nframes - 1].xact_level >= level)
			nframes--;
	}
}

void
catalog_spi_init(void)
{
	RegisterXactCallback(spi_xact_callback, NULL);
	RegisterSubXactCallback(spi_subxact_callback, NULL);
}

/* column getters for the current SPI result */
Datum
col(int row, int c, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, c, isnull);
}

/* text column copied into the caller's context; NULL for SQL NULL */
char *
col_text(int row, int c)
{
	bool		isnull;
	Datum		d = col(row, c, &isnull);
	char	   *s;
	char	   *copy;

	if (isnull)
		return NULL;
	s = TextDatumGetCString(d);
	copy = SPI_palloc(strlen(s) + 1);
	strcpy(copy, s);
	return copy;
}

/* bytea column copied into the caller's context, detoasted */
bytea *
col_bytea(int row, int c)
{
	bool		isnull;
	Datum		d = col(row, c, &isnull);
	bytea	   *b;
	bytea	   *copy;

	if (isnull)
		return NULL;
	b = DatumGetByteaPP(d);
	copy = SPI_palloc(VARSIZE_ANY_EXHDR(b) + VARHDRSZ);
	SET_VARSIZE(copy, VARSIZE_ANY_EXHDR(b) + VARHDRSZ);
	memcpy(VARDATA(copy), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	return copy;
}

Datum
bytea_datum(const void *data, size_t len)
{
	bytea	   *b = palloc(len + VARHDRSZ);

	SET_VARSIZE(b, len + VARHDRSZ);
	memcpy(VARDATA(b), data, len);
	return PointerGetDatum(b);
}

/*
 * catalog_relation_exists: is there a relation of that name in schema lakefs?
 * A 0.1.0 schema served by this library lacks what 0.2.0 added. Syscache
 * lookups only.
 */
bool
catalog_relation_exists(const char *name)
{
	Oid			ns = get_namespace_oid("lakefs", true);

	return OidIsValid(ns) && OidIsValid(get_relname_relid(name, ns));
}

/*-------------------------------------------------------------------------
 *
 * fdw.c
 *		The lakefs_s3 foreign data wrapper handler: a foreign table lists a
 *		bucket prefix, one row per object.
 *
 *		CREATE FOREIGN TABLE t (key text, size bigint, etag text,
 *								last_modified timestamptz)
 *			SERVER s OPTIONS (bucket 'b', prefix 'p/');
 *
 * Columns are matched by name; a column of another name reads as NULL. The
 * scan streams the listing page by page through a blockstore lister created
 * in the query context (one page in memory at a time); every qual is checked
 * locally. Rescan restarts the listing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "blockstore.h"
#include "option.h"

typedef enum ScanColumn
{
	COL_OTHER,
	COL_KEY,
	COL_SIZE,
	COL_ETAG,
	COL_LAST_MODIFIED
} ScanColumn;

typedef struct LakefsScanState
{
	Oid			serverid;
	char	   *prefix_uri;
	ScanColumn *columns;		/* per attribute */
	BlockstoreLister *lister;	/* NULL until the first row is asked for */
	BlockstoreEntry *entries;
	int			nentries;
	int			pos;
	bool		done;
} LakefsScanState;

PG_FUNCTION_INFO_V1(lakefs_s3_fdw_handler);

static void
lakefsGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	baserel->rows = 1000;
}

static void
lakefsGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	/* one listing page costs about as much as 1000 rows of local work */
	Cost		startup = 100;
	Cost		total = startup + baserel->rows * 1.0;

	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup, total, NIL,
									 baserel->lateral_relids, NULL, NIL));
}

static ForeignScan *
lakefsGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
					 ForeignPath *best_path, List *tlist, List *scan_clauses,
					 Plan *outer_plan)
{
	scan_clauses = extract_actual_clauses(scan_clauses, false);
	return make_foreignscan(tlist, scan_clauses, baserel->relid, NIL, NIL,
							NIL, NIL, outer_plan);
}

/* The s3:// prefix URI a foreign table lists. */
static char *
table_prefix_uri(ForeignTable *table)
{
	const char *bucket = lakefs_option_value(table->options, "bucket");
	const char *prefix = lakefs_option_value(table->options, "prefix");

	if (bucket == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("foreign table \"%s\" has no bucket option",
						get_rel_name(table->relid)),
				 errhint("Set one: ALTER FOREIGN TABLE ... OPTIONS (ADD bucket 'name').")));
	return psprintf("s3://%s/%s", bucket, prefix ? prefix : "");
}

static void
lakefsBeginForeignScan(ForeignScanState *node, int eflags)
{
	Relation	rel = node->ss.ss_currentRelation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	ForeignTable *table = GetForeignTable(RelationGetRelid(rel));
	LakefsScanState *st = palloc0(sizeof(LakefsScanState));

	st->serverid = table->serverid;
	st->prefix_uri = table_prefix_uri(table);
	st->columns = palloc0(sizeof(ScanColumn) * Max(tupdesc->natts, 1));
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		const char *name = NameStr(att->attname);

		if (att->attisdropped)
			continue;
		if (strcmp(name, "key") == 0 && att->atttypid == TEXTOID)
			st->columns[i] = COL_KEY;
		else if (strcmp(name, "size") == 0 && att->atttypid == INT8OID)
			st->columns[i] = COL_SIZE;
		else if (strcmp(name, "etag") == 0 && att->atttypid == TEXTOID)
			st->columns[i] = COL_ETAG;
		else if (strcmp(name, "last_modified") == 0 && att->atttypid == TIMESTAMPTZOID)
			st->columns[i] = COL_LAST_MODIFIED;
	}
	node->fdw_state = st;
}

static TupleTableSlot *
lakefsIterateForeignScan(ForeignScanState *node)
{
	LakefsScanState *st = (LakefsScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	const BlockstoreEntry *e;

	ExecClearTuple(slot);
	while (st->pos >= st->nentries)
	{
		if (st->done)
			return slot;
		if (st->lister == NULL)
		{
			MemoryContext old =
				MemoryContextSwitchTo(node->ss.ps.state->es_query_cxt);

			st->lister = blockstore_list_begin(st->serverid, st->prefix_uri, NULL, 0);
			MemoryContextSwitchTo(old);
		}
		st->nentries = blockstore_list_next(st->lister, &st->entries);
		st->pos = 0;
		if (st->nentries == 0)
			st->done = true;
	}
	e = &st->entries[st->pos++];
	for (int i = 0; i < slot->tts_tupleDescriptor->natts; i++)
	{
		slot->tts_isnull[i] = false;
		switch (st->columns[i])
		{
			case COL_KEY:
				slot->tts_values[i] = CStringGetTextDatum(e->key);
				break;
			case COL_SIZE:
				slot->tts_values[i] = Int64GetDatum(e->size);
				slot->tts_isnull[i] = e->is_prefix;
				break;
			case COL_ETAG:
				slot->tts_isnull[i] = (e->etag == NULL);
				if (e->etag)
					slot->tts_values[i] = CStringGetTextDatum(e->etag);
				break;
			case COL_LAST_MODIFIED:
				slot->tts_isnull[i] = !e->have_last_modified;
				slot->tts_values[i] = TimestampTzGetDatum(e->last_modified);
				break;
			default:
				slot->tts_isnull[i] = true;
				break;
		}
	}
	return ExecStoreVirtualTuple(slot);
}

static void
lakefsReScanForeignScan(ForeignScanState *node)
{
	LakefsScanState *st = (LakefsScanState *) node->fdw_state;

	if (st->lister)
		blockstore_list_end(st->lister);
	st->lister = NULL;
	st->entries = NULL;
	st->nentries = st->pos = 0;
	st->done = false;
}

static void
lakefsEndForeignScan(ForeignScanState *node)
{
	LakefsScanState *st = (LakefsScanState *) node->fdw_state;

	if (st && st->lister)
		blockstore_list_end(st->lister);
}

static void
lakefsExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	LakefsScanState *st = (LakefsScanState *) node->fdw_state;

	ExplainPropertyText("Listing", st->prefix_uri, es);
}

/*
 * lakefs_s3_fdw_handler
 *		The FdwRoutine of lakefs_s3 (scan only).
 */
Datum
lakefs_s3_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = lakefsGetForeignRelSize;
	routine->GetForeignPaths = lakefsGetForeignPaths;
	routine->GetForeignPlan = lakefsGetForeignPlan;
	routine->BeginForeignScan = lakefsBeginForeignScan;
	routine->IterateForeignScan = lakefsIterateForeignScan;
	routine->ReScanForeignScan = lakefsReScanForeignScan;
	routine->EndForeignScan = lakefsEndForeignScan;
	routine->ExplainForeignScan = lakefsExplainForeignScan;
	PG_RETURN_POINTER(routine);
}

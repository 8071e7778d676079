/*-------------------------------------------------------------------------
 *
 * gc_catalog.c
 *		The catalog statements of garbage collection: the rules
 *		(lakefs.gc_rules), the candidates and what was swept
 *		(lakefs.gc_candidates), the per-repository GC lock, and the mark's
 *		disk-backed working sets.
 *
 * A member of the catalog layer (the only code that runs SQL), through the
 * saved plans of catalog_spi.c.
 *
 * The mark's working sets are temporary tables dropped at commit:
 * pg_temp.lakefs_gc_live (every address an active commit or a staging area
 * references), pg_temp.lakefs_gc_dead (every address of a range no active
 * commit uses) and pg_temp.lakefs_gc_listed (objects under <namespace>/data/
 * older than the grace period). Addresses arrive in batches (one INSERT of an
 * array per batch) and the candidates are one anti-join, which Postgres runs
 * in work_mem and spills to disk beyond it: the mark's memory never grows
 * with the number of entries.
 *
 * The catalog lock. Ranges are inserted with ON CONFLICT DO NOTHING and
 * reused by id, so a writer may rely on a range row that no committed
 * metarange references yet. Every writer therefore holds the repository's
 * catalog lock in share mode (gc_catalog_writer_lock, from lock_branch and
 * from the range and metarange inserts) to the end of its transaction, and
 * the collector takes it exclusively (gc_catalog_lock_writers) only for its
 * final bookkeeping: it waits for the writers in flight, then sees every
 * metarange they committed before it deletes anything. Writers of other
 * branches wait for it only during that bookkeeping.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "catalog_spi.h"
#include "gc.h"


typedef enum GcPlan
{
	G_SET_RULES,
	G_GET_RULES,
	G_TRY_LOCK,
	G_TAGGED,
	G_RANGE_IDS,
	G_HAVE_TEMP,
	G_TRUNCATE,
	G_ADD_LIVE,
	G_ADD_DEAD,
	G_ADD_LISTED,
	G_CLEAR_UNSWEPT,
	G_INSERT_UNREFERENCED,
	G_INSERT_UNCOMMITTED,
	G_COUNT,
	G_UNSWEPT,
	G_MARK_SWEPT,
	G_SWEPT_AT,
	G_CANDIDATES,
	G_DELETE_COMMITS,
	G_EXPIRE_REFLOG,
	G_DELETE_COMMIT_PATHS,
	G_DELETE_METARANGES,
	G_METARANGE_IDS,
	G_DELETE_RANGES,
	G_INDEX_NODE_IDS,
	G_DELETE_INDEX_NODES,
	NUM_GC_PLANS
} GcPlan;

typedef struct GcPlanDef
{
	const char *sql;
	int			nargs;
	Oid			types[4];
} GcPlanDef;

static const GcPlanDef gc_plan_defs[NUM_GC_PLANS] = {
	[G_SET_RULES] = {"INSERT INTO lakefs.gc_rules (repo_id, default_retention, branches) "
		"VALUES ($1, $2, $3) ON CONFLICT (repo_id) DO UPDATE "
		"SET default_retention = EXCLUDED.default_retention, branches = EXCLUDED.branches",
	3, {INT4OID, INTERVALOID, JSONBOID}},
	[G_GET_RULES] = {"SELECT default_retention, branches FROM lakefs.gc_rules "
		"WHERE repo_id = $1", 1, {INT4OID}},
	/* the per-repository GC lock: advisory, class 1819043683 ("lkgc"), key repo id */
	[G_TRY_LOCK] = {"SELECT pg_try_advisory_xact_lock(1819043683, $1)", 1, {INT4OID}},
	[G_TAGGED] = {"SELECT DISTINCT commit_id FROM lakefs.tags WHERE repo_id = $1",
	1, {INT4OID}},
	[G_RANGE_IDS] = {"SELECT id FROM lakefs.ranges WHERE repo_id = $1 ORDER BY id",
	1, {INT4OID}},
	[G_HAVE_TEMP] = {"SELECT to_regclass('pg_temp.lakefs_gc_live') IS NOT NULL", 0, {0}},
	[G_TRUNCATE] = {"TRUNCATE pg_temp.lakefs_gc_live, pg_temp.lakefs_gc_dead, "
		"pg_temp.lakefs_gc_listed", 0, {0}},
	[G_ADD_LIVE] = {"INSERT INTO pg_temp.lakefs_gc_live SELECT unnest($1::text[])",
	1, {TEXTARRAYOID}},
	[G_ADD_DEAD] = {"INSERT INTO pg_temp.lakefs_gc_dead "
		"SELECT * FROM unnest($1::text[], $2::int8[])", 2, {TEXTARRAYOID, INT8ARRAYOID}},
	[G_ADD_LISTED] = {"INSERT INTO pg_temp.lakefs_gc_listed "
		"SELECT * FROM unnest($1::text[], $2::int8[])", 2, {TEXTARRAYOID, INT8ARRAYOID}},
	[G_CLEAR_UNSWEPT] = {"DELETE FROM lakefs.gc_candidates WHERE repo_id = $1 "
		"AND swept_at IS NULL", 1, {INT4OID}},
	[G_INSERT_UNREFERENCED] = {"INSERT INTO lakefs.gc_candidates (repo_id, address, size, why) "
		"SELECT $1, d.address, max(d.size), 'unreferenced' FROM pg_temp.lakefs_gc_dead d "
		"WHERE NOT EXISTS (SELECT 1 FROM pg_temp.lakefs_gc_live l WHERE l.address = d.address) "
		"GROUP BY d.address ON CONFLICT DO NOTHING", 1, {INT4OID}},
	[G_INSERT_UNCOMMITTED] = {"INSERT INTO lakefs.gc_candidates (repo_id, address, size, why) "
		"SELECT $1, d.address, d.size, 'uncommitted' FROM pg_temp.lakefs_gc_listed d "
		"WHERE NOT EXISTS (SELECT 1 FROM pg_temp.lakefs_gc_live l WHERE l.address = d.address) "
		"ON CONFLICT DO NOTHING", 1, {INT4OID}},
	[G_COUNT] = {"SELECT count(*), coalesce(sum(size), 0)::bigint FROM lakefs.gc_candidates "
		"WHERE repo_id = $1 AND swept_at IS NULL", 1, {INT4OID}},
	[G_UNSWEPT] = {"SELECT address FROM lakefs.gc_candidates WHERE repo_id = $1 "
		"AND swept_at IS NULL AND address > $2 ORDER BY address LIMIT $3",
	3, {INT4OID, TEXTOID, INT4OID}},
	[G_MARK_SWEPT] = {"UPDATE lakefs.gc_candidates SET swept_at = now() WHERE repo_id = $1 "
		"AND address = ANY ($2::text[]) AND swept_at IS NULL", 2, {INT4OID, TEXTARRAYOID}},
	[G_SWEPT_AT] = {"SELECT swept_at FROM lakefs.gc_candidates WHERE repo_id = $1 "
		"AND address = $2 AND swept_at IS NOT NULL", 2, {INT4OID, TEXTOID}},
	[G_CANDIDATES] = {"SELECT address, size, why FROM lakefs.gc_candidates "
		"WHERE repo_id = $1 AND swept_at IS NULL ORDER BY address", 1, {INT4OID}},
	/*
	 * Commits no branch or tag reaches, older than the cutoff, and not an
	 * ancestor of a commit that stays (a younger unreachable one).
	 */
	[G_DELETE_COMMITS] = {"WITH RECURSIVE keep(id) AS ("
		"SELECT head FROM lakefs.branches WHERE repo_id = $1 "
		"UNION SELECT commit_id FROM lakefs.tags WHERE repo_id = $1 "
		"UNION SELECT id FROM lakefs.commits WHERE repo_id = $1 AND created_at >= $2 "

		"UNION SELECT unnest(c.parents) FROM keep k JOIN lakefs.commits c "
		"ON c.repo_id = $1 AND c.id = k.id) "
		"DELETE FROM lakefs.commits c WHERE c.repo_id = $1 AND c.created_at < $2 "
		"AND NOT EXISTS (SELECT 1 FROM keep k WHERE k.id = c.id)",
	2, {INT4OID, TIMESTAMPTZOID}},
	/*
	 * The reflog and the history index follow the commits: an entry whose
	 * head was collected goes (an old head that was collected is forgotten),
	 * so a ref such as main@{...} never names a missing commit.
	 */
	[G_EXPIRE_REFLOG] = {"WITH gone AS (DELETE FROM lakefs.reflog f WHERE f.repo_id = $1 "
		"AND NOT EXISTS (SELECT 1 FROM lakefs.commits c WHERE c.repo_id = f.repo_id "
		"AND c.id = coalesce(f.new_head, f.old_head)) RETURNING 1) "
		"UPDATE lakefs.reflog f SET old_head = NULL WHERE f.repo_id = $1 "
		"AND f.old_head IS NOT NULL AND f.new_head IS NOT NULL AND NOT EXISTS "
		"(SELECT 1 FROM lakefs.commits c WHERE c.repo_id = f.repo_id AND c.id = f.old_head)",
	1, {INT4OID}},
	[G_DELETE_COMMIT_PATHS] = {"DELETE FROM lakefs.commit_paths p WHERE p.repo_id = $1 "
		"AND NOT EXISTS (SELECT 1 FROM lakefs.commits c WHERE c.repo_id = p.repo_id "
		"AND c.id = p.commit_id)", 1, {INT4OID}},
	[G_DELETE_METARANGES] = {"DELETE FROM lakefs.metaranges m WHERE m.repo_id = $1 "
		"AND NOT EXISTS (SELECT 1 FROM lakefs.commits c WHERE c.repo_id = m.repo_id "
		"AND c.metarange_id = m.id)", 1, {INT4OID}},
	[G_METARANGE_IDS] = {"SELECT id FROM lakefs.metaranges WHERE repo_id = $1",
	1, {INT4OID}},
	[G_DELETE_RANGES] = {"DELETE FROM lakefs.ranges WHERE repo_id = $1 "
		"AND id = ANY ($2::bytea[])", 2, {INT4OID, BYTEAARRAYOID}},
	[G_INDEX_NODE_IDS] = {"SELECT id FROM lakefs.index_nodes WHERE repo_id = $1",
	1, {INT4OID}},
	[G_DELETE_INDEX_NODES] = {"DELETE FROM lakefs.index_nodes WHERE repo_id = $1 "
		"AND id = ANY ($2::bytea[])", 2, {INT4OID, BYTEAARRAYOID}},
};

static SPIPlanPtr gc_plans[NUM_GC_PLANS];


static int
run_gc_plan(GcPlan p, Datum *values, const char *nulls, long count)
{
	return spi_run_saved(&gc_plans[p], gc_plan_defs[p].sql, gc_plan_defs[p].nargs,
						 gc_plan_defs[p].types, values, nulls, count);
}

/* a text[] of n C strings */
static Datum
text_array(char **strs, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(strs[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
int8_array(int64 *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

/* gc_catalog_set_rules: replace the repository's rules (caller validated them) */
void
gc_catalog_set_rules(int32 repo_id, Interval *dflt, Jsonb *branches)
{
	Datum		args[3] = {Int32GetDatum(repo_id), IntervalPGetDatum(dflt),
	JsonbPGetDatum(branches)};

	connect_spi();
	run_gc_plan(G_SET_RULES, args, NULL, 0);
	SPI_finish();
}

/*
 * gc_catalog_get_rules: the repository's rules into *dflt and *branches
 * (copied into the caller's context); false when it has none.
 */
bool
gc_catalog_get_rules(int32 repo_id, Interval *dflt, Jsonb **branches)
{
	Datum		args[1] = {Int32GetDatum(repo_id)};
	bool		found = false;

	connect_spi();
	run_gc_plan(G_GET_RULES, args, NULL, 1);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Jsonb	   *j;

		*dflt = *DatumGetIntervalP(col(0, 1, &isnull));
		j = DatumGetJsonbP(col(0, 2, &isnull));
		*branches = SPI_palloc(VARSIZE(j));
		memcpy(*branches, j, VARSIZE(j));
		found = true;
	}
	SPI_finish();
	return found;
}

/* gc_catalog_try_lock: the repository's GC lock until the transaction ends */
bool
gc_catalog_try_lock(int32 repo_id)
{
	Datum		args[1] = {Int32GetDatum(repo_id)};
	bool		isnull;
	bool		got;

	connect_spi();
	run_gc_plan(G_TRY_LOCK, args, NULL, 1);
	got = DatumGetBool(col(0, 1, &isnull));
	SPI_finish();
	return got;
}

/* gc_catalog_tagged: the distinct commits that tags name (palloc'd) */
int
gc_catalog_tagged(int32 repo_id, LkCommitId **commits)
{
	Datum		args[1] = {Int32GetDatum(repo_id)};
	int			n;

	connect_spi();
	run_gc_plan(G_TAGGED, args, NULL, 0);
	n = (int) SPI_processed;
	*commits = SPI_palloc(sizeof(LkCommitId) * Max(n, 1));
	for (int i = 0; i < n; i++)
		strlcpy((*commits)[i], col_text(i, 1), sizeof(LkCommitId));
	SPI_finish();
	return n;
}

/*
 * gc_catalog_range_ids: the ids of every range the repository stores, as
 * n * LK_ID_LEN bytes (palloc'd); 32 bytes a range, never the entries.
 */
static int
read_ids(GcPlan p, int32 repo_id, uint8 **ids)
{
	Datum		args[1] = {Int32GetDatum(repo_id)};
	int			n;

	connect_spi();
	run_gc_plan(p, args, NULL, 0);
	n = (int) SPI_processed;
	*ids = SPI_palloc((Size) LK_ID_LEN * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		bool		isnull;
		bytea	   *b = DatumGetByteaPP(col(i, 1, &isnull));

		if (VARSIZE_ANY_EXHDR(b) != LK_ID_LEN)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("range id of %d bytes in the catalog",
							(int) VARSIZE_ANY_EXHDR(b)),
					 errhint("Run lakefs_fsck() on the repository.")));
		memcpy(*ids + (Size) i * LK_ID_LEN, VARDATA_ANY(b), LK_ID_LEN);
	}
	SPI_finish();
	return n;
}

int
gc_catalog_range_ids(int32 repo_id, uint8 **ids)
{
	return read_ids(G_RANGE_IDS, repo_id, ids);
}

/* gc_catalog_metarange_ids: likewise, every metarange the repository stores */
int
gc_catalog_metarange_ids(int32 repo_id, uint8 **ids)
{
	return read_ids(G_METARANGE_IDS, repo_id, ids);
}

/* gc_catalog_index_node_ids: likewise, every index node the repository stores */
int
gc_catalog_index_node_ids(int32 repo_id, uint8 **ids)
{
	return read_ids(G_INDEX_NODE_IDS, repo_id, ids);
}

static void
catalog_lock_tag(LOCKTAG *tag, int32 repo_id)
{
	/* as pg_advisory_xact_lock(1819043684, repo_id) ("lkgd") would take it */
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, 1819043684u, (uint32) repo_id, 2);
}

/*
 * gc_catalog_writer_lock: the repository's catalog lock in share mode, to the
 * end of the transaction (see the header). Every writer of ranges,
 * metaranges or branch heads calls it; cheap when already held.
 */
void
gc_catalog_writer_lock(int32 repo_id)
{
	LOCKTAG		tag;

	catalog_lock_tag(&tag, repo_id);
	(void) LockAcquire(&tag, ShareLock, false, false);
}

/* gc_catalog_lock_writers: the catalog lock exclusively, waiting for writers */
void
gc_catalog_lock_writers(int32 repo_id)
{
	LOCKTAG		tag;

	catalog_lock_tag(&tag, repo_id);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/*
 * gc_catalog_delete_commits: delete the commits no branch or tag reaches
 * that are older than cutoff (keeping the ancestors of younger ones), the
 * reflog entries and history index rows that name them, then the
 * metaranges no commit names; the counts into *commits, *metaranges.
 */
void
gc_catalog_delete_commits(int32 repo_id, TimestampTz cutoff, int64 *commits,
						  int64 *metaranges)
{
	Datum		args[2] = {Int32GetDatum(repo_id), TimestampTzGetDatum(cutoff)};

	connect_spi();
	run_gc_plan(G_DELETE_COMMITS, args, NULL, 0);
	*commits = (int64) SPI_processed;
	if (*commits > 0)
	{
		run_gc_plan(G_EXPIRE_REFLOG, args, NULL, 0);
		run_gc_plan(G_DELETE_COMMIT_PATHS, args, NULL, 0);
	}
	run_gc_plan(G_DELETE_METARANGES, args, NULL, 0);
	*metaranges = (int64) SPI_processed;
	SPI_finish();
}

/* delete n rows (ids packed, 32 bytes each) by plan p */
static void
delete_ids(GcPlan p, int32 repo_id, const uint8 *ids, int n)
{
	Datum	   *d;
	Datum		args[2];

	if (n == 0)
		return;
	d = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
		d[i] = bytea_datum(ids + (Size) i * LK_ID_LEN, LK_ID_LEN);
	args[0] = Int32GetDatum(repo_id);
	args[1] = PointerGetDatum(construct_array(d, n, BYTEAOID, -1, false, TYPALIGN_INT));
	connect_spi();
	run_gc_plan(p, args, NULL, 0);
	SPI_finish();
}

/* gc_catalog_delete_ranges: delete these n ranges (ids packed, 32 bytes each) */
void
gc_catalog_delete_ranges(int32 repo_id, const uint8 *ids, int n)
{
	delete_ids(G_DELETE_RANGES, repo_id, ids, n);
}

/* gc_catalog_delete_index_nodes: delete these n index nodes, likewise */
void
gc_catalog_delete_index_nodes(int32 repo_id, const uint8 *ids, int n)
{
	delete_ids(G_DELETE_INDEX_NODES, repo_id, ids, n);
}

/* gc_catalog_begin_mark: empty working sets, created on first use */
void
gc_catalog_begin_mark(void)
{
	bool		isnull;

	/*
	 * As the caller: temporary tables cannot be created inside the one
	 * door's security-restricted section; the owner (a superuser, who created
	 * the extension) fills them later.
	 */
	connect_spi_caller();
	run_gc_plan(G_HAVE_TEMP, NULL, NULL, 1);
	if (!DatumGetBool(col(0, 1, &isnull)))
	{
		/* not a saved plan: DDL, once per transaction */
		if (SPI_execute("CREATE TEMP TABLE lakefs_gc_live (address text COLLATE \"C\") "
						"ON COMMIT DROP; "
						"CREATE TEMP TABLE lakefs_gc_dead (address text COLLATE \"C\", "
						"size bigint) ON COMMIT DROP; "
						"CREATE TEMP TABLE lakefs_gc_listed (address text COLLATE \"C\", "
						"size bigint) ON COMMIT DROP", false, 0) < 0)
			elog(ERROR, "could not create the garbage collector's working tables");
	}
	else
		run_gc_plan(G_TRUNCATE, NULL, NULL, 0);
	SPI_finish();
}

void
gc_catalog_add_live(char **addresses, int n)
{
	Datum		args[1];

	if (n == 0)
		return;
	args[0] = text_array(addresses, n);
	connect_spi();
	run_gc_plan(G_ADD_LIVE, args, NULL, 0);
	SPI_finish();
}

/* one batch of (address, size) rows into the working set of plan p */
static void
add_sized(GcPlan p, char **addresses, int64 *sizes, int n)
{
	Datum		args[2];

	if (n == 0)
		return;
	args[0] = text_array(addresses, n);
	args[1] = int8_array(sizes, n);
	connect_spi();
	run_gc_plan(p, args, NULL, 0);
	SPI_finish();
}

void
gc_catalog_add_dead(char **addresses, int64 *sizes, int n)
{
	add_sized(G_ADD_DEAD, addresses, sizes, n);
}

void
gc_catalog_add_listed(char **addresses, int64 *sizes, int n)
{
	add_sized(G_ADD_LISTED, addresses, sizes, n);
}

/*
 * gc_catalog_finish_mark: replace the repository's unswept candidates by
 * dead - live and listed - live (addresses swept before stay recorded), and
 * count them into st.
 */
void
gc_catalog_finish_mark(int32 repo_id, GcStats *st)
{
	Datum		args[1] = {Int32GetDatum(repo_id)};
	bool		isnull;

	connect_spi();
	/* the working sets were never analyzed: give the anti-joins real sizes */
	if (SPI_execute("ANALYZE pg_temp.lakefs_gc_live, pg_temp.lakefs_gc_dead, "
					"pg_temp.lakefs_gc_listed", false, 0) < 0)
		elog(ERROR, "could not analyze the garbage collector's working tables");
	run_gc_plan(G_CLEAR_UNSWEPT, args, NULL, 0);
	run_gc_plan(G_INSERT_UNREFERENCED, args, NULL, 0);
	run_gc_plan(G_INSERT_UNCOMMITTED, args, NULL, 0);
	run_gc_plan(G_COUNT, args, NULL, 1);
	st->candidates = DatumGetInt64(col(0, 1, &isnull));
	st->candidate_bytes = DatumGetInt64(col(0, 2, &isnull));
	SPI_finish();
}

/*
 * gc_catalog_unswept: up to limit unswept candidates after the address
 * after, in address order, into *addresses (palloc'd); returns how many.
 */
int
gc_catalog_unswept(int32 repo_id, const char *after, int limit, char ***addresses)
{
	Datum		args[3] = {Int32GetDatum(repo_id), TEXT_ARG(after), Int32GetDatum(limit)};
	int			n;

	connect_spi();
	run_gc_plan(G_UNSWEPT, args, NULL, 0);
	n = (int) SPI_processed;
	*addresses = SPI_palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		(*addresses)[i] = col_text(i, 1);
	SPI_finish();
	return n;
}

/* gc_catalog_mark_swept: record that these candidates are deleted */
void
gc_catalog_mark_swept(int32 repo_id, char **addresses, int n)
{
	Datum		args[2];

	if (n == 0)
		return;
	args[0] = Int32GetDatum(repo_id);
	args[1] = text_array(addresses, n);
	connect_spi();
	run_gc_plan(G_MARK_SWEPT, args, NULL, 0);
	SPI_finish();
}

/* gc_catalog_swept_at: whether GC deleted this relative address, and when */
bool
gc_catalog_swept_at(int32 repo_id, const char *address, TimestampTz *at)
{
	Datum		args[2] = {Int32GetDatum(repo_id), TEXT_ARG(address)};
	bool		found = false;

	connect_spi();
	run_gc_plan(G_SWEPT_AT, args, NULL, 1);
	if (SPI_processed == 1)
	{
		bool		isnull;

		*at = DatumGetTimestampTz(col(0, 1, &isnull));
		found = true;
	}
	SPI_finish();
	return found;
}

/*
 * gc_catalog_candidates: the unswept candidates as rows (address, size,
 * why) into ts (allocated in the caller's per-query context), fetched 1,000
 * at a time through a cursor.
 */
void
gc_catalog_candidates(int32 repo_id, Tuplestorestate *ts, TupleDesc desc)
{
	Datum		args[1] = {Int32GetDatum(repo_id)};
	Portal		portal;

	connect_spi();
	if (gc_plans[G_CANDIDATES] == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(gc_plan_defs[G_CANDIDATES].sql, 1,
									   (Oid *) gc_plan_defs[G_CANDIDATES].types);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		gc_plans[G_CANDIDATES] = plan;
	}
	portal = SPI_cursor_open(NULL, gc_plans[G_CANDIDATES], args, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 1000);
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			Datum		v[3];
			bool		n[3];

			for (int c = 0; c < 3; c++)
				v[c] = col((int) i, c + 1, &n[c]);
			tuplestore_putvalues(ts, desc, v, n);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
}

/*-------------------------------------------------------------------------
 *
 * staging_bulk.c
 *		Bulk staging: the rows of a user query become sorted runs of packed
 *		entries in lakefs.staging_runs.
 *
 * The query runs once, its rows arriving at a DestReceiver (no tuple
 * copies, no executor sort). Each row is validated and copied into an arena;
 * when the arena reaches maintenance_work_mem, or at the end, its entries
 * are sorted in memory (bytewise, as COLLATE "C", by path_sort's multikey
 * quicksort) and written as one run:
 * parts of at most RUN_PART_ENTRIES entries, encoded like ranges, under a
 * fresh sequence number. A path returned twice within one run is an error;
 * across runs of one call (inputs larger than maintenance_work_mem), the
 * later row wins, as for any later staging.
 *
 * Memory: the arena lives in a context of its own, reset after each run;
 * detoasted values in a per-row context. A row's entry and its strings are
 * one piece of a bump allocator over large arena blocks: no chunk header
 * and no power-of-two rounding per string, which halves the arena of a
 * typical row and the page faults of filling it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "catalog_spi.h"
#include "lk_alloc.h"
#include "names.h"
#include "path_sort.h"
#include "staging.h"

#define RUN_PART_ENTRIES 65536
#define ARENA_BLOCK (4 * 1024 * 1024)	/* at most a quarter of the limit */
#define RUN_PART_RESERVE (64 * 1024 * 1024)	/* most a part's body is sized to */

typedef struct BulkState
{
	int32		repo_id;
	const char *branch;
	MemoryContext arena;		/* entries and their strings */
	MemoryContext rowcxt;		/* detoasted values of one row */
	char	   *free;			/* the unused rest of the current arena block */
	char	   *free_end;
	PathItem   *items;			/* path + entry, sorted by path_sort */
	int64		n;
	int64		cap;
	Size		bytes;			/* arena use, against the limit */
	Size		limit;
	int64		total;
	int			runs;
} BulkState;

typedef struct BulkReceiver
{
	DestReceiver pub;
	BulkState  *st;
} BulkReceiver;

static SPIPlanPtr p_nextval,
			p_insert_part;

static void duplicate_path(const PathItem *item) pg_attribute_noreturn();

/* the error of a path the staging query returns twice */
static void
duplicate_path(const PathItem *item)
{
	ereport(ERROR,
			(errcode(ERRCODE_CARDINALITY_VIOLATION),
			 errmsg("the staging query returns path \"%.*s\" more than once",
					(int) item->len, item->path)));
}

/*
 * insert one part; SPI connected. enc (empty) and buf are the run's, reused
 * from part to part, so their memory is touched (page-faulted) once a run,
 * not once a part; the bytea is built in place in buf, its header reserved
 * before the range: one copy of the part's bytes (the encoder's finish).
 */
static void
insert_part(BulkState *st, int64 seq, int32 part, PathItem *items, int n,
			RangeEncoder *enc, StrBuf *buf)
{
	static const Oid types[] = {INT4OID, TEXTOID, INT8OID, INT4OID, TEXTOID, TEXTOID,
	INT4OID, BYTEAOID};
	Datum		args[8];

	for (int i = 0; i < n; i++)
		if (range_encoder_add(enc, items[i].data) != LK_CODEC_OK)
			duplicate_path(&items[i]);
	sb_reset(buf);
	sb_reserve(buf, VARHDRSZ + 16 + enc->body.len);
	buf->len = VARHDRSZ;
	range_encoder_finish(enc, buf);
	SET_VARSIZE(buf->data, buf->len);
	args[0] = Int32GetDatum(st->repo_id);
	args[1] = TEXT_ARG(st->branch);
	args[2] = Int64GetDatum(seq);
	args[3] = Int32GetDatum(part);
	args[4] = PointerGetDatum(cstring_to_text_with_len((const char *) items[0].path,
													   items[0].len));
	args[5] = PointerGetDatum(cstring_to_text_with_len((const char *) items[n - 1].path,
													   items[n - 1].len));
	args[6] = Int32GetDatum(n);
	args[7] = PointerGetDatum(buf->data);
	spi_run_saved(&p_insert_part,
				  "INSERT INTO lakefs.staging_runs (repo_id, branch, seq, part, min_path, "
				  "max_path, entries, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
				  8, types, args, NULL, 0);
}

/* sort the arena's entries and store them as one run; empty the arena */
static void
flush_run(BulkState *st)
{
	int64		seq;
	bool		isnull;
	RangeEncoder enc;
	StrBuf		buf = {0};

	if (st->n == 0)
		return;
	path_sort(st->items, st->n);
	connect_spi();
	spi_run_saved(&p_nextval, "SELECT nextval('lakefs.staging_seq')", 0, NULL, NULL, NULL, 1);
	seq = DatumGetInt64(col(0, 1, &isnull));
	/* sized up front: an entry encodes to less than its arena piece */
	range_encoder_init(&enc);
	sb_reserve(&enc.body, Min(st->bytes / st->n * Min(st->n, RUN_PART_ENTRIES),
							  RUN_PART_RESERVE));
	for (int64 i = 0; i < st->n; i += RUN_PART_ENTRIES)
	{
		CHECK_FOR_INTERRUPTS();
		/* each part's encoder sees its own duplicates; these straddle two */
		if (i > 0 && st->items[i - 1].len == st->items[i].len &&
			memcmp(st->items[i - 1].path, st->items[i].path, st->items[i].len) == 0)
			duplicate_path(&st->items[i]);
		insert_part(st, seq, (int32) (i / RUN_PART_ENTRIES), st->items + i,
					(int) Min(RUN_PART_ENTRIES, st->n - i), &enc, &buf);
	}
	sb_free(&buf);
	range_encoder_free(&enc);
	finish_spi();
	st->total += st->n;
	st->runs++;
	st->n = 0;
	st->bytes = 0;
	st->free = st->free_end = NULL;
	MemoryContextReset(st->arena);
	st->cap = 1024;
	st->items = MemoryContextAlloc(st->arena, sizeof(PathItem) * st->cap);
}

/*
 * size bytes (MAXALIGNed) from the current arena block, or from a new one;
 * counted against the limit as used (a block's unused rest is at most a
 * quarter of the limit).
 */
static char *
arena_alloc(BulkState *st, Size size)
{
	char	   *p;

	size = MAXALIGN(size);
	if ((Size) (st->free_end - st->free) < size)
	{
		Size		block = Max(Min(ARENA_BLOCK, st->limit / 4), size);

		st->free = MemoryContextAlloc(st->arena, block);
		st->free_end = st->free + block;
	}
	p = st->free;
	st->free += size;
	st->bytes += size;
	return p;
}

/* the text value of column i (NULL when null), detoasted in the row context */
static inline text *
row_text(TupleTableSlot *slot, int i, uint32 *len)
{
	text	   *t;

	*len = 0;
	if (slot->tts_isnull[i])
		return NULL;
	t = DatumGetTextPP(slot->tts_values[i]);
	*len = VARSIZE_ANY_EXHDR(t);
	return t;
}

/* copy t (len bytes) to *dst, NUL-terminated; advance *dst. NULL stays NULL. */
static inline const char *
copy_text(char **dst, const text *t, uint32 len)
{
	char	   *copy = *dst;

	if (t == NULL)
		return NULL;
	memcpy(copy, VARDATA_ANY(t), len);
	copy[len] = '\0';
	*dst += len + 1;
	return copy;
}

/*
 * bulk_receive: one row of the wrapped query (path, physical_address, size,
 * checksum, content_type, metadata, last_modified), checked and copied.
 */
static bool
bulk_receive(TupleTableSlot *slot, DestReceiver *self)
{
	BulkState  *st = ((BulkReceiver *) self)->st;
	MemoryContext old = MemoryContextSwitchTo(st->rowcxt);
	Datum	   *v;
	bool	   *n;
	text	   *t[6];
	uint32		len[6];
	Size		size = sizeof(LakefsEntry);
	char	   *dst;
	LakefsEntry *e;

	slot_getallattrs(slot);
	v = slot->tts_values;
	n = slot->tts_isnull;
	/* text columns 0, 1, 3, 4, 5; t[2] (size) stays NULL */
	for (int i = 0; i < 6; i++)
	{
		t[i] = i == 2 ? NULL : row_text(slot, i, &len[i]);
		size += t[i] ? len[i] + 1 : 0;
	}
	e = (LakefsEntry *) arena_alloc(st, size);
	memset(e, 0, sizeof(LakefsEntry));
	dst = (char *) (e + 1);
	e->path = copy_text(&dst, t[0], len[0]);
	e->path_len = t[0] ? len[0] : 0;
	if (e->path == NULL || e->path_len == 0 || e->path_len > LK_MAX_PATH_BYTES)
		check_path(e->path ? e->path : "");
	e->address = copy_text(&dst, t[1], len[1]);
	e->address_len = t[1] ? len[1] : 0;
	if (e->address_len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("physical address of \"%s\" must not be empty", e->path)));
	if (memmem(e->address, e->address_len, "://", 3))
		e->flags = LK_ENTRY_FULL_ADDRESS;
	if (n[2] || DatumGetInt64(v[2]) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("size of \"%s\" must be a non-negative number", e->path)));
	e->size = DatumGetInt64(v[2]);
	if (n[3])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("checksum of \"%s\" must not be null", e->path)));
	e->checksum = copy_text(&dst, t[3], len[3]);
	e->checksum_len = len[3];
	check_entry_header("checksum", e->path, e->checksum, e->checksum_len);
	e->content_type = copy_text(&dst, t[4], len[4]);
	e->content_type_len = t[4] ? len[4] : 0;
	check_entry_header("content type", e->path, e->content_type, e->content_type_len);
	e->metadata = copy_text(&dst, t[5], len[5]);
	e->metadata_len = t[5] ? len[5] : 0;
	/* jsonb's text form: an object starts with '{', as lakefs_stage_object demands */
	if (e->metadata != NULL && e->metadata[0] != '{')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("metadata of \"%s\" must be a JSON object", e->path)));
	e->mtime = n[6] ? 0 : DatumGetTimestampTz(v[6]);
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->rowcxt);

	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->items = repalloc_huge(st->items, sizeof(PathItem) * st->cap);
	}
	st->items[st->n].path = (const unsigned char *) e->path;
	st->items[st->n].len = e->path_len;
	st->items[st->n].data = e;
	st->n++;
	st->bytes += sizeof(PathItem);
	if (st->bytes >= st->limit)
		flush_run(st);
	return true;
}

static void
bulk_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
bulk_shutdown(DestReceiver *self)
{
}

static void
bulk_destroy(DestReceiver *self)
{
}

/* the user query's columns, each checked and cast; optional ones defaulted */
static char *
wrap_stage_query(const char *query)
{
	static const char *const required[] = {"path", "physical_address", "size", "checksum"};
	static const char *const optional[] = {"content_type", "metadata", "last_modified"};
	static const char *const cast[] = {"::text", "::jsonb::text", "::timestamptz"};
	static const char *const dflt[] = {"NULL::text", "NULL::text", "now()"};
	SPIPlanPtr	probe = SPI_prepare(query, 0, NULL);
	TupleDesc	desc;
	StringInfoData sql;

	if (probe == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("could not prepare the staging query: %s",
						SPI_result_code_string(SPI_result))));
	if (!SPI_is_cursor_plan(probe))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the staging query must be a single SELECT")));
	desc = ((CachedPlanSource *) linitial(SPI_plan_get_plan_sources(probe)))->resultDesc;
	for (int i = 0; i < (int) lengthof(required); i++)
		if (SPI_fnumber(desc, required[i]) <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the staging query has no column \"%s\"", required[i]),
					 errhint("Its columns are path, physical_address, size, checksum and "
							 "optionally content_type, metadata, last_modified.")));
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT q.path::text, q.physical_address::text, "
						   "q.size::bigint, q.checksum::text");
	for (int i = 0; i < (int) lengthof(optional); i++)
	{
		if (SPI_fnumber(desc, optional[i]) > 0)
			appendStringInfo(&sql, ", q.%s%s", optional[i], cast[i]);
		else
			appendStringInfo(&sql, ", %s", dflt[i]);
	}
	appendStringInfo(&sql, " FROM (%s) q", query);
	SPI_freeplan(probe);
	return sql.data;
}

/*
 * staging_put_query: stage every row of a user query as sorted runs;
 * returns the number of entries. The query runs with the caller's
 * privileges. A path returned twice is an error (ERRCODE_CARDINALITY_VIOLATION).
 */
int64
staging_put_query(int32 repo_id, const char *branch, const char *query)
{
	BulkState	st;
	BulkReceiver recv;
	SPIExecuteOptions opts;
	char	   *sql;
	int			rc;

	memset(&st, 0, sizeof(st));
	st.repo_id = repo_id;
	st.branch = branch;
	st.limit = (Size) maintenance_work_mem * 1024;
	st.arena = AllocSetContextCreate(CurrentMemoryContext, "lakefs bulk staging",
									 ALLOCSET_DEFAULT_SIZES);
	st.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "lakefs bulk staging row",
									  ALLOCSET_SMALL_SIZES);
	st.cap = 1024;
	st.items = MemoryContextAlloc(st.arena, sizeof(PathItem) * st.cap);

	memset(&recv, 0, sizeof(recv));
	recv.pub.receiveSlot = bulk_receive;
	recv.pub.rStartup = bulk_startup;
	recv.pub.rShutdown = bulk_shutdown;
	recv.pub.rDestroy = bulk_destroy;
	recv.pub.mydest = DestNone;
	recv.st = &st;

	/* the user's query runs with the caller's rights, never the owner's */
	connect_spi_caller();
	sql = wrap_stage_query(query);
	memset(&opts, 0, sizeof(opts));
	opts.read_only = false;
	opts.dest = (DestReceiver *) &recv;
	rc = SPI_execute_extended(sql, &opts);
	/* SPI reports a SELECT into a DestNone receiver as SPI_OK_UTILITY */
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		elog(ERROR, "staging query failed: %s", SPI_result_code_string(rc));
	finish_spi();
	flush_run(&st);
	MemoryContextDelete(st.arena);
	MemoryContextDelete(st.rowcxt);
	return st.total;
}

/*-------------------------------------------------------------------------
 *
 * fsck.c
 *		lakefs_fsck: the integrity checker of the catalog.
 *
 * It reads the lakefs.* tables directly (a read-only member of the catalog
 * layer, like staging.c) and returns one row per problem found:
 *
 *	 dangling_ref		a branch or tag names a commit that does not exist
 *	 missing_parent		a commit's parent does not exist
 *	 missing_metarange	a commit's metarange does not exist
 *	 commit_id_mismatch	a commit's id does not recompute from its fields
 *	 hash_mismatch		a range's or metarange's bytes do not hash to its id
 *	 decode_error		a range or metarange does not decode (or its stored
 *						value cannot be read at all: a broken TOAST chunk)
 *	 key_order			keys not strictly ascending within a range, or the
 *						ranges of a metarange overlap or are out of order
 *	 count_mismatch		a recorded count (ranges, entries or bytes) differs
 *						from the data it counts
 *	 bounds_mismatch	a metarange's min/max key of a range differs from the
 *						range's first/last key (or from another metarange's)
 *	 missing_range		a metarange names a range that does not exist
 *	 missing_index_node	a metarange (version 2) or index node names an
 *						index node that does not exist
 *	 orphan_staging		staged rows or runs of a branch (or repository) that
 *						does not exist
 *
 * Cost and memory. Existence checks are anti-joins in SQL. Commits,
 * metaranges, index nodes and ranges are each read once, through cursors,
 * with a temporary memory context reset for every row: metaranges first,
 * which fills a hash table of every distinct child they reference (id,
 * expected level, bounds, count, bytes: about 100 bytes plus the two keys
 * per child), then the index nodes from the top level down (each checked
 * against what its parents say, then its own children noted), then every
 * row of lakefs.ranges once, so a node or range shared by many trees is
 * still read and decoded once. Memory is bounded by the number of distinct
 * ranges and nodes, never by the number of entries. The same checks hold
 * for index nodes as for ranges: hash, decoding and key order, counts
 * (entries, ranges beneath, bytes, level) and bounds against the parent.
 *
 * Consistency. Every statement runs read-only on the snapshot of the calling
 * query, so concurrent commits never cause false reports.
 *
 * Errors. The codec returns error codes and never throws; reading a stored
 * value can throw (a TOAST chunk missing, lz4 data corrupt: SQLSTATE XX001),
 * so each range and metarange is read inside a subtransaction and such an
 * error becomes a decode_error row. Any other error (cancel, out of memory)
 * propagates.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "catalog.h"
#include "catalog_spi.h"
#include "commit.h"
#include "governance.h"
#include "range_codec.h"

PG_FUNCTION_INFO_V1(lakefs_fsck);

#define FSCK_BATCH 64			/* rows per cursor fetch */
#define FSCK_KEY_SHOWN 200		/* bytes of a key quoted in a detail */

typedef enum FsckPlan
{
	F_REPOS,
	F_DANGLING_REFS,
	F_MISSING_PARENTS,
	F_MISSING_METARANGES,
	F_COMMITS,
	F_METARANGES,
	F_INDEX_NODES,
	F_RANGES,
	F_ORPHAN_STAGING,
	F_ORPHAN_STAGING_REPO,
	NUM_FSCK_PLANS
} FsckPlan;

static const char *const fsck_sql[NUM_FSCK_PLANS] = {
	[F_REPOS] = "SELECT id, name FROM lakefs.repositories ORDER BY name",
	[F_DANGLING_REFS] =
	"SELECT 'branch ' || b.name, b.head FROM lakefs.branches b "
	"WHERE b.repo_id = $1 AND NOT EXISTS (SELECT 1 FROM lakefs.commits c "
	"WHERE c.repo_id = b.repo_id AND c.id = b.head) "
	"UNION ALL "
	"SELECT 'tag ' || t.name, t.commit_id FROM lakefs.tags t "
	"WHERE t.repo_id = $1 AND NOT EXISTS (SELECT 1 FROM lakefs.commits c "
	"WHERE c.repo_id = t.repo_id AND c.id = t.commit_id) ORDER BY 1",
	[F_MISSING_PARENTS] =
	"SELECT c.id, p.parent FROM lakefs.commits c, unnest(c.parents) AS p(parent) "
	"WHERE c.repo_id = $1 AND NOT EXISTS (SELECT 1 FROM lakefs.commits x "
	"WHERE x.repo_id = c.repo_id AND x.id = p.parent) ORDER BY 1, 2",
	[F_MISSING_METARANGES] =
	"SELECT c.id, encode(c.metarange_id, 'hex') FROM lakefs.commits c "
	"WHERE c.repo_id = $1 AND NOT EXISTS (SELECT 1 FROM lakefs.metaranges m "
	"WHERE m.repo_id = c.repo_id AND m.id = c.metarange_id) ORDER BY 1",
	[F_COMMITS] =
	"SELECT id, parents, metarange_id, message, committer, metadata, created_at, "
	"generation FROM lakefs.commits WHERE repo_id = $1 ORDER BY id",
	[F_METARANGES] =
	"SELECT id, ranges, entries, data FROM lakefs.metaranges WHERE repo_id = $1 "
	"ORDER BY id",
	[F_INDEX_NODES] =
	"SELECT id, level, entries, data FROM lakefs.index_nodes WHERE repo_id = $1 "
	"ORDER BY level DESC, id",
	[F_RANGES] = "SELECT id, entries, data FROM lakefs.ranges WHERE repo_id = $1",
	[F_ORPHAN_STAGING] =
	"SELECT s.branch, count(*) FILTER (WHERE s.run IS NULL), "
	"count(DISTINCT s.run) FROM ("
	"SELECT branch, NULL::bigint AS run FROM lakefs.staging WHERE repo_id = $1 "
	"UNION ALL "
	"SELECT branch, seq FROM lakefs.staging_runs WHERE repo_id = $1) s "
	"WHERE NOT EXISTS (SELECT 1 FROM lakefs.branches b "
	"WHERE b.repo_id = $1 AND b.name = s.branch) GROUP BY s.branch ORDER BY 1",
	[F_ORPHAN_STAGING_REPO] =
	"SELECT s.repo_id, count(*) FILTER (WHERE s.run IS NULL), "
	"count(DISTINCT (s.branch, s.run)) FILTER (WHERE s.run IS NOT NULL) FROM ("
	"SELECT repo_id, branch, NULL::bigint AS run FROM lakefs.staging "
	"UNION ALL "
	"SELECT repo_id, branch, seq FROM lakefs.staging_runs) s "
	"WHERE NOT EXISTS (SELECT 1 FROM lakefs.repositories r WHERE r.id = s.repo_id) "
	"GROUP BY s.repo_id ORDER BY 1",
};

static SPIPlanPtr fsck_plans[NUM_FSCK_PLANS];

/*
 * What the metaranges (and index nodes) say about one range or index node,
 * and whether it was read.
 */
typedef struct RangeRef
{
	uint8		id[LK_ID_LEN];	/* hash key */
	uint8		metarange[LK_ID_LEN];	/* the first parent naming it */
	const char *parent_what;	/* "metarange" or "index node" */
	uint32		level;			/* 0: a range; L: an index node of level L */
	uint64		leaves;
	char	   *min_key;
	uint32		min_len;
	char	   *max_key;
	uint32		max_len;
	uint64		count;
	uint64		bytes;
	bool		seen;
} RangeRef;

typedef struct Fsck
{
	ReturnSetInfo *rsinfo;
	const char *repo;			/* name; NULL for rows of no repository */
	int32		repo_id;
	HTAB	   *refs;			/* RangeRef by range id */
	MemoryContext repo_cxt;		/* the range table; reset per repository */
	MemoryContext row_cxt;		/* one row's values; reset per row */
} Fsck;

/* ---- helpers ---- */

static SPIPlanPtr
fsck_plan(FsckPlan p)
{
	if (fsck_plans[p] == NULL)
	{
		Oid			types[1] = {INT4OID};
		SPIPlanPtr	plan = SPI_prepare(fsck_sql[p], p == F_REPOS ||
									   p == F_ORPHAN_STAGING_REPO ? 0 : 1, types);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s: %s",
				 SPI_result_code_string(SPI_result), fsck_sql[p]);
		SPI_keepplan(plan);
		fsck_plans[p] = plan;
	}
	return fsck_plans[p];
}

/* run a plan read-only on the caller's snapshot; the rows are SPI_tuptable */
static void
fsck_run(Fsck *f, FsckPlan p)
{
	Datum		args[1] = {Int32GetDatum(f->repo_id)};
	int			rc = SPI_execute_plan(fsck_plan(p), args, NULL, true, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "catalog statement failed: %s: %s", SPI_result_code_string(rc),
			 fsck_sql[p]);
}

static Portal
fsck_cursor(Fsck *f, FsckPlan p)
{
	Datum		args[1] = {Int32GetDatum(f->repo_id)};

	return SPI_cursor_open(NULL, fsck_plan(p), args, NULL, true);
}

static void
report(Fsck *f, const char *kind, const char *object, const char *fmt,...)
pg_attribute_printf(4, 5);

/* report: one row (repository, kind, object, detail) of the result */
static void
report(Fsck *f, const char *kind, const char *object, const char *fmt,...)
{
	StringInfoData detail;
	Datum		v[4];
	bool		nulls[4] = {f->repo == NULL, false, false, false};

	initStringInfo(&detail);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&detail, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&detail, needed);
	}
	v[0] = f->repo ? CStringGetTextDatum(f->repo) : (Datum) 0;
	v[1] = CStringGetTextDatum(kind);
	v[2] = CStringGetTextDatum(object);
	v[3] = CStringGetTextDatum(detail.data);
	tuplestore_putvalues(f->rsinfo->setResult, f->rsinfo->setDesc, v, nulls);
}

/* "<what> <hex id>" for an id of any length (a corrupt row's id may be short) */
static char *
object_name(const char *what, const uint8 *id, size_t len)
{
	char	   *s = palloc(strlen(what) + 2 * len + 2);
	size_t		n = strlen(what);

	memcpy(s, what, n);
	s[n] = ' ';
	lk_hex(id, len, s + n + 1);
	return s;
}

static char *
id_hex(const uint8 *id)
{
	char	   *s = palloc(LK_ID_HEX_LEN + 1);

	lk_hex(id, LK_ID_LEN, s);
	return s;
}

/* a key for a detail: quoted text if valid, else hex; clipped to a readable size */
static char *
key_text(const char *k, uint32 len)
{
	uint32		shown = len;
	StringInfoData s;

	initStringInfo(&s);
	if (pg_verifymbstr(k, len, true))
	{
		if (shown > FSCK_KEY_SHOWN)
			shown = pg_mbcliplen(k, len, FSCK_KEY_SHOWN);
		appendStringInfo(&s, "\"%.*s\"", (int) shown, k);
	}
	else
	{
		char	   *hex;

		if (shown > FSCK_KEY_SHOWN / 2)
			shown = FSCK_KEY_SHOWN / 2;
		hex = palloc(2 * shown + 1);
		lk_hex((const uint8 *) k, shown, hex);
		appendStringInfo(&s, "\\x%s", hex);
	}
	if (shown < len)
		appendStringInfoString(&s, "...");
	return s.data;
}

static bool
keys_equal(const char *a, uint32 alen, const char *b, uint32 blen)
{
	return lk_keycmp(a, alen, b, blen) == 0;
}

/*
 * read_blob: detoast column c of row i of tt into the current memory
 * context, inside a subtransaction. Returns NULL and sets *err (a message)
 * when the stored value is corrupt (XX001 data_corrupted, XX002
 * index_corrupted); rethrows any other error (a cancel, out of memory).
 */
static bytea *
read_blob(SPITupleTable *tt, uint64 i, int c, char **err)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bytea	   *volatile result = NULL;
	bool		isnull;
	Datum		d = SPI_getbinval(tt->vals[i], tt->tupdesc, c, &isnull);

	*err = NULL;
	if (isnull)
	{
		*err = pstrdup("its data is NULL");
		return NULL;
	}
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		result = DatumGetByteaPCopy(d);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode != ERRCODE_DATA_CORRUPTED &&
			edata->sqlerrcode != ERRCODE_INDEX_CORRUPTED)
			ReThrowError(edata);
		*err = psprintf("its stored value cannot be read: %s", edata->message);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return result;
}

/* the id column of a row as raw bytes (any length) */
static bytea *
row_id(SPITupleTable *tt, uint64 i)
{
	bool		isnull;

	return DatumGetByteaPP(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
}

/* hash_mismatch unless data hashes to id */
static void
check_hash(Fsck *f, const char *object, const bytea *id, const bytea *data)
{
	uint8		h[LK_ID_LEN];

	lk_sha256(VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data), h);
	if (VARSIZE_ANY_EXHDR(id) != LK_ID_LEN || memcmp(VARDATA_ANY(id), h, LK_ID_LEN) != 0)
		report(f, "hash_mismatch", object, "its %zu bytes hash to %s",
			   (size_t) VARSIZE_ANY_EXHDR(data), id_hex(h));
}

/*
 * stored_object: the bytes of row i's column c (a range or an index node
 * named object, content-addressed by id), marked as seen when a tree refers
 * to it (its reference, or NULL, into *ref), hash-checked; NULL after a
 * decode_error report when they cannot be read (a broken TOAST chunk)
 */
static bytea *
stored_object(Fsck *f, SPITupleTable *tt, uint64 i, int c, const char *object, bytea *id,
			  RangeRef **ref)
{
	RangeRef   *r = NULL;
	char	   *err;
	bytea	   *data;

	if (VARSIZE_ANY_EXHDR(id) == LK_ID_LEN)
		r = hash_search(f->refs, VARDATA_ANY(id), HASH_FIND, NULL);
	if (r)
		r->seen = true;
	*ref = r;
	data = read_blob(tt, i, c, &err);
	if (data == NULL)
	{
		report(f, "decode_error", object, "%s", err);
		return NULL;
	}
	check_hash(f, object, id, data);
	return data;
}

static void
codec_problem(Fsck *f, const char *object, int rc)
{
	report(f, rc == LK_CODEC_UNSORTED ? "key_order" : "decode_error", object,
		   "%s", lk_codec_strerror(rc));
}

/*
 * decode_node: decode a metarange (index_node false) or an index node into
 * *level, *descs[*n], with the entries and ranges below it summed into *sum
 * and *leaves; false after reporting a decode_error when it cannot be read
 * or is the other kind
 */
static bool
decode_node(Fsck *f, const char *object, const bytea *data, bool index_node, uint32 *level,
			RangeDesc **descs, uint32 *n, uint64 *sum, uint64 *leaves)
{
	LkNodeKind	kind;
	int			rc = tree_node_decode(VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data), &kind, level,
									  descs, n);

	if (rc != LK_CODEC_OK)
	{
		codec_problem(f, object, rc);
		return false;
	}
	if ((kind == LK_NODE_INDEX) != index_node)
	{
		report(f, "decode_error", object, index_node ?
			   "it holds a metarange, not an index node" :
			   "it holds an index node, not a metarange");
		return false;
	}
	for (uint32 k = 0; k < *n; k++)
	{
		*sum += (*descs)[k].count;
		*leaves += (*descs)[k].leaves;
	}
	return true;
}

/* ---- refs and commits ---- */

static void
check_refs(Fsck *f)
{
	fsck_run(f, F_DANGLING_REFS);
	for (uint64 i = 0; i < SPI_processed; i++)
		report(f, "dangling_ref", col_text(i, 1), "commit %s does not exist",
			   col_text(i, 2));
	fsck_run(f, F_MISSING_PARENTS);
	for (uint64 i = 0; i < SPI_processed; i++)
		report(f, "missing_parent", psprintf("commit %s", col_text(i, 1)),
			   "parent %s does not exist", col_text(i, 2));
	fsck_run(f, F_MISSING_METARANGES);
	for (uint64 i = 0; i < SPI_processed; i++)
		report(f, "missing_metarange", psprintf("commit %s", col_text(i, 1)),
			   "metarange %s does not exist", col_text(i, 2));
}

/* commit_id_mismatch (or decode_error) for row i of a commits batch */
static void
check_commit_row(Fsck *f, SPITupleTable *tt, uint64 i)
{
	TupleDesc	td = tt->tupdesc;
	HeapTuple	row = tt->vals[i];
	bool		isnull;
	char	   *id = TextDatumGetCString(SPI_getbinval(row, td, 1, &isnull));
	char	   *object = psprintf("commit %s", id);
	ArrayType  *parents = DatumGetArrayTypeP(SPI_getbinval(row, td, 2, &isnull));
	bytea	   *mr = DatumGetByteaPP(SPI_getbinval(row, td, 3, &isnull));
	Datum	   *elems;
	bool	   *elem_nulls;
	int			nelems;
	LkCommit	c;
	LkCommitId	computed;

	if (VARSIZE_ANY_EXHDR(mr) != LK_ID_LEN)
	{
		report(f, "decode_error", object, "its metarange id has %zu bytes, not %d",
			   (size_t) VARSIZE_ANY_EXHDR(mr), LK_ID_LEN);
		return;
	}
	deconstruct_array(parents, TEXTOID, -1, false, TYPALIGN_INT, &elems, &elem_nulls,
					  &nelems);
	c.nparents = nelems;
	c.parents = palloc(sizeof(LkCommitId) * (nelems ? nelems : 1));
	for (int p = 0; p < nelems; p++)
	{
		if (elem_nulls[p])
		{
			report(f, "decode_error", object, "parent %d is NULL", p + 1);
			return;
		}
		text_to_cstring_buffer(DatumGetTextPP(elems[p]), c.parents[p], sizeof(LkCommitId));
	}
	memcpy(c.metarange_id, VARDATA_ANY(mr), LK_ID_LEN);
	c.message = TextDatumGetCString(SPI_getbinval(row, td, 4, &isnull));
	c.committer = TextDatumGetCString(SPI_getbinval(row, td, 5, &isnull));
	c.metadata = DatumGetJsonbP(SPI_getbinval(row, td, 6, &isnull));
	c.created_at = DatumGetTimestampTz(SPI_getbinval(row, td, 7, &isnull));
	c.generation = DatumGetInt32(SPI_getbinval(row, td, 8, &isnull));
	commit_compute_id(&c, computed);
	if (strcmp(computed, id) != 0)
		report(f, "commit_id_mismatch", object, "its fields hash to %s", computed);
}

typedef void (*FsckRowCheck) (Fsck *f, SPITupleTable *tt, uint64 i);

/*
 * fsck_scan: run catalog query q as a cursor and call check on every row,
 * FSCK_BATCH rows a fetch, in f->row_cxt reset after each row (an SPI call
 * returns in SPI's own context, so the switch follows every fetch).
 */
static void
fsck_scan(Fsck *f, FsckPlan q, FsckRowCheck check)
{
	Portal		portal = fsck_cursor(f, q);

	for (;;)
	{
		SPITupleTable *tt;
		uint64		n;
		MemoryContext old;

		SPI_cursor_fetch(portal, true, FSCK_BATCH);
		tt = SPI_tuptable;
		n = SPI_processed;
		if (n == 0)
			break;
		/* an SPI call returns in SPI's own context: switch after each fetch */
		old = MemoryContextSwitchTo(f->row_cxt);
		for (uint64 i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			check(f, tt, i);
			MemoryContextReset(f->row_cxt);
		}
		MemoryContextSwitchTo(old);
		SPI_freetuptable(tt);
	}
	SPI_cursor_close(portal);
}

static void
check_commits(Fsck *f)
{
	fsck_scan(f, F_COMMITS, check_commit_row);
}

/* ---- metaranges ---- */

/*
 * note_range: record what parent mr (a metarange or index node: what)
 * says about a child of level `level` (0: a range); a child named by several
 * parents must be described the same way by each.
 */
static void
note_range(Fsck *f, const char *what, const uint8 *mr, uint32 level, const RangeDesc *d)
{
	bool		found;
	RangeRef   *r = hash_search(f->refs, d->id, HASH_ENTER, &found);

	if (!found)
	{
		memcpy(r->metarange, mr, LK_ID_LEN);
		r->parent_what = what;
		r->level = level;
		r->leaves = d->leaves;
		r->min_key = MemoryContextAlloc(f->repo_cxt, d->min_len + d->max_len);
		memcpy(r->min_key, d->min_key, d->min_len);
		r->min_len = d->min_len;
		r->max_key = r->min_key + d->min_len;
		memcpy(r->max_key, d->max_key, d->max_len);
		r->max_len = d->max_len;
		r->count = d->count;
		r->bytes = d->bytes;
		r->seen = false;
		return;
	}
	if (!keys_equal(r->min_key, r->min_len, d->min_key, d->min_len) ||
		!keys_equal(r->max_key, r->max_len, d->max_key, d->max_len))
		report(f, "bounds_mismatch", object_name(what, mr, LK_ID_LEN),
			   "it gives %s %s the keys %s to %s, %s %s gives %s to %s",
			   level ? "index node" : "range",
			   id_hex(d->id), key_text(d->min_key, d->min_len),
			   key_text(d->max_key, d->max_len), r->parent_what, id_hex(r->metarange),
			   key_text(r->min_key, r->min_len), key_text(r->max_key, r->max_len));
	if (r->count != d->count || r->bytes != d->bytes || r->leaves != d->leaves ||
		r->level != level)
		report(f, "count_mismatch", object_name(what, mr, LK_ID_LEN),
			   "it gives %s %s " UINT64_FORMAT " entries in " UINT64_FORMAT
			   " bytes, %s %s gives " UINT64_FORMAT " in " UINT64_FORMAT,
			   level ? "index node" : "range",
			   id_hex(d->id), (uint64) d->count, (uint64) d->bytes,
			   r->parent_what, id_hex(r->metarange), (uint64) r->count, (uint64) r->bytes);
}

/* note every child of a node of level `level` that parent (what, id) holds */
static void
note_children(Fsck *f, const char *what, const bytea *id, uint32 level,
			  const RangeDesc *descs, uint32 n)
{
	/* the hash table is keyed by the 32-byte id the row should have */
	if (VARSIZE_ANY_EXHDR(id) != LK_ID_LEN)
		return;
	for (uint32 k = 0; k < n; k++)
		note_range(f, what, (const uint8 *) VARDATA_ANY(id), level - 1, &descs[k]);
}

static void
check_metarange_row(Fsck *f, SPITupleTable *tt, uint64 i)
{
	bytea	   *id = row_id(tt, i);
	char	   *object = object_name("metarange", (const uint8 *) VARDATA_ANY(id),
									 VARSIZE_ANY_EXHDR(id));
	bool		isnull;
	int32		nranges = DatumGetInt32(SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull));
	int64		entries = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 3, &isnull));
	char	   *err;
	bytea	   *data = read_blob(tt, i, 4, &err);
	RangeDesc  *descs;
	uint32		n;
	uint32		level;
	uint64		sum = 0;
	uint64		leaves = 0;

	if (data == NULL)
	{
		report(f, "decode_error", object, "%s", err);
		return;
	}
	check_hash(f, object, id, data);
	if (!decode_node(f, object, data, false, &level, &descs, &n, &sum, &leaves))
		return;
	if ((int64) leaves != nranges)
		report(f, "count_mismatch", object, "it records %d ranges, its data has " UINT64_FORMAT,
			   nranges, leaves);
	if ((int64) sum != entries)
		report(f, "count_mismatch", object,
			   "it records " INT64_FORMAT " entries, its ranges hold " UINT64_FORMAT,
			   entries, sum);
	note_children(f, "metarange", id, level, descs, n);
}

static void
check_metaranges(Fsck *f)
{
	fsck_scan(f, F_METARANGES, check_metarange_row);
}

/*
 * check_bounds: a range's or node's own first and last key against what its
 * parent says (r), reported as bounds_mismatch; marks r seen
 */
static void
check_bounds(Fsck *f, const char *object, RangeRef *r, const char *first,
			 uint32 first_len, const char *last, uint32 last_len)
{
	r->seen = true;
	if (!keys_equal(r->min_key, r->min_len, first, first_len) ||
		!keys_equal(r->max_key, r->max_len, last, last_len))
		report(f, "bounds_mismatch", object,
			   "its keys run from %s to %s, %s %s says %s to %s",
			   key_text(first, first_len), key_text(last, last_len),
			   r->parent_what, id_hex(r->metarange), key_text(r->min_key, r->min_len),
			   key_text(r->max_key, r->max_len));
}

/* ---- index nodes ---- */

/* a node's own bounds, counts and level against what its parent says */
static void
check_node_against_ref(Fsck *f, const char *object, RangeRef *r, uint32 level,
					   const RangeDesc *descs, uint32 n, uint64 count, uint64 leaves,
					   size_t bytes)
{
	check_bounds(f, object, r, descs[0].min_key, descs[0].min_len, descs[n - 1].max_key,
				 descs[n - 1].max_len);
	if (r->count != count || r->bytes != bytes || r->leaves != leaves || r->level != level)
		report(f, "count_mismatch", object,
			   "it is of level %u and holds " UINT64_FORMAT " entries in " UINT64_FORMAT
			   " ranges and %zu bytes, %s %s says level %u, " UINT64_FORMAT " in "
			   UINT64_FORMAT " and " UINT64_FORMAT,
			   level, count, leaves, bytes, r->parent_what, id_hex(r->metarange),
			   r->level, (uint64) r->count, (uint64) r->leaves, (uint64) r->bytes);
}

static void
check_index_node_row(Fsck *f, SPITupleTable *tt, uint64 i)
{
	bytea	   *id = row_id(tt, i);
	char	   *object = object_name("index_node", (const uint8 *) VARDATA_ANY(id),
									 VARSIZE_ANY_EXHDR(id));
	RangeRef   *r;
	bool		isnull;
	int32		row_level = DatumGetInt32(SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull));
	int64		entries = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 3, &isnull));
	bytea	   *data;
	RangeDesc  *descs;
	uint32		n;
	uint32		level;
	uint64		sum = 0;
	uint64		leaves = 0;

	data = stored_object(f, tt, i, 4, object, id, &r);
	if (data == NULL)
		return;
	if (!decode_node(f, object, data, true, &level, &descs, &n, &sum, &leaves))
		return;
	if ((int64) level != row_level)
		report(f, "count_mismatch", object, "it records level %d, its data has level %u",
			   row_level, level);
	if ((int64) sum != entries)
		report(f, "count_mismatch", object,
			   "it records " INT64_FORMAT " entries, its children hold " UINT64_FORMAT,
			   entries, sum);
	if (r)
		check_node_against_ref(f, object, r, level, descs, n, sum, leaves,
							   VARSIZE_ANY_EXHDR(data));
	note_children(f, "index_node", id, level, descs, n);
}

static void
check_index_nodes(Fsck *f)
{
	fsck_scan(f, F_INDEX_NODES, check_index_node_row);
}

/* ---- ranges ---- */

/* compare a range's decoded first/last key and count with its descriptor */
static void
check_against_ref(Fsck *f, const char *object, RangeRef *r, const char *first,
				  uint32 first_len, const char *last, uint32 last_len,
				  uint64 count, size_t bytes)
{
	if (count > 0)
		check_bounds(f, object, r, first, first_len, last, last_len);
	else
		r->seen = true;
	if (r->count != count || r->bytes != bytes)
		report(f, "count_mismatch", object,
			   "it holds " UINT64_FORMAT " entries in %zu bytes, %s %s says "
			   UINT64_FORMAT " in " UINT64_FORMAT,
			   count, bytes, r->parent_what, id_hex(r->metarange), (uint64) r->count,
			   (uint64) r->bytes);
}

static void
check_range_row(Fsck *f, SPITupleTable *tt, uint64 i)
{
	bytea	   *id = row_id(tt, i);
	char	   *object = object_name("range", (const uint8 *) VARDATA_ANY(id),
									 VARSIZE_ANY_EXHDR(id));
	RangeRef   *r;
	bool		isnull;
	int32		entries = DatumGetInt32(SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull));
	bytea	   *data;
	RangeReader rd;
	LakefsEntry e;
	char	   *first = NULL;
	uint32		first_len = 0;
	int			rc;

	data = stored_object(f, tt, i, 3, object, id, &r);
	if (data == NULL)
		return;
	rc = range_reader_init(&rd, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data));
	while (rc == LK_CODEC_OK)
	{
		rc = range_reader_next(&rd, &e);
		if (rc == LK_CODEC_OK && first == NULL)
		{
			first = pnstrdup(e.path, e.path_len);
			first_len = e.path_len;
		}
	}
	if (rc != LK_CODEC_END)
	{
		codec_problem(f, object, rc);
		return;
	}
	if ((uint64) entries != rd.count)
		report(f, "count_mismatch", object,
			   "it records %d entries, its data has " UINT64_FORMAT, entries, rd.count);
	if (r)
		check_against_ref(f, object, r, first, first_len, rd.path, rd.path_len,
						  rd.count, VARSIZE_ANY_EXHDR(data));
}

static void
check_ranges(Fsck *f)
{
	HASH_SEQ_STATUS seq;
	RangeRef   *r;

	fsck_scan(f, F_RANGES, check_range_row);
	hash_seq_init(&seq, f->refs);
	while ((r = hash_seq_search(&seq)) != NULL)
		if (!r->seen)
			report(f, r->level ? "missing_index_node" : "missing_range",
				   object_name(r->level ? "index_node" : "range", r->id, LK_ID_LEN),
				   "%s %s names it, but it does not exist", r->parent_what,
				   id_hex(r->metarange));
}

/* ---- staging ---- */

static void
check_staging(Fsck *f)
{
	fsck_run(f, F_ORPHAN_STAGING);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		report(f, "orphan_staging", psprintf("branch %s", col_text(i, 1)),
			   "staged rows: " INT64_FORMAT ", staged runs: " INT64_FORMAT
			   "; the branch does not exist",
			   DatumGetInt64(col(i, 2, &isnull)), DatumGetInt64(col(i, 3, &isnull)));
	}
}

/* staging rows and runs whose repository does not exist (repository NULL) */
static void
check_staging_of_no_repository(Fsck *f)
{
	f->repo = NULL;
	f->repo_id = 0;
	fsck_run(f, F_ORPHAN_STAGING_REPO);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		report(f, "orphan_staging",
			   psprintf("repository id %d", DatumGetInt32(col(i, 1, &isnull))),
			   "staged rows: " INT64_FORMAT ", staged runs: " INT64_FORMAT
			   "; the repository does not exist",
			   DatumGetInt64(col(i, 2, &isnull)), DatumGetInt64(col(i, 3, &isnull)));
	}
}

/* every check of one repository; SPI is connected */
static void
fsck_repository(Fsck *f, int32 repo_id, const char *name)
{
	HASHCTL		ctl;

	f->repo = name;
	f->repo_id = repo_id;
	MemoryContextReset(f->repo_cxt);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = LK_ID_LEN;
	ctl.entrysize = sizeof(RangeRef);
	ctl.hcxt = f->repo_cxt;
	f->refs = hash_create("lakefs_fsck ranges", 1024, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	check_refs(f);
	check_commits(f);
	check_metaranges(f);
	check_index_nodes(f);
	check_ranges(f);
	check_staging(f);
}

/*
 * lakefs_fsck(repository text DEFAULT NULL)
 *		One row (repository, kind, object, detail) per problem in the
 *		repository's catalog rows, or in every repository's when NULL. An
 *		unknown repository raises 42704; a role without read on it, or
 *		(for NULL) one that is neither superuser nor lakefs_admin, 42501.
 */
Datum
lakefs_fsck(PG_FUNCTION_ARGS)
{
	Fsck		f;
	LkRepo	   *one = NULL;

	memset(&f, 0, sizeof(f));
	if (!PG_ARGISNULL(0))
		one = catalog_get_repo(text_to_cstring(PG_GETARG_TEXT_PP(0)), false);
	else
		governance_require_global_admin("check every repository");
	InitMaterializedSRF(fcinfo, 0);
	f.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	connect_spi();
	f.repo_cxt = AllocSetContextCreate(CurrentMemoryContext, "lakefs_fsck repository",
									   ALLOCSET_DEFAULT_SIZES);
	f.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "lakefs_fsck row",
									  ALLOCSET_DEFAULT_SIZES);
	if (one)
		fsck_repository(&f, one->id, one->name);
	else
	{
		SPITupleTable *tt;
		uint64		n;

		fsck_run(&f, F_REPOS);
		tt = SPI_tuptable;
		n = SPI_processed;
		for (uint64 i = 0; i < n; i++)
		{
			bool		isnull;
			int32		id = DatumGetInt32(SPI_getbinval(tt->vals[i], tt->tupdesc, 1,
														 &isnull));
			char	   *name = TextDatumGetCString(SPI_getbinval(tt->vals[i],
																	tt->tupdesc, 2,
																	&isnull));

			fsck_repository(&f, id, name);
		}
		check_staging_of_no_repository(&f);
	}
	finish_spi();
	return (Datum) 0;
}

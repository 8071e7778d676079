/*-------------------------------------------------------------------------
 *
 * staging.c
 *		The staging area: single staged rows, bulk sorted runs, and the
 *		cursor that merges them. See staging.h for the model.
 *
 * Bulk staging (sorted runs) is written by staging_bulk.c.
 *
 * The cursor is a k-way merge of the rows (keyset batches in path order)
 * and every run (parts loaded one at a time). Streams advance lazily, at
 * the start of the next call, so a returned entry's strings stay valid
 * until then.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "catalog_spi.h"
#include "names.h"
#include "staging.h"

#define ROW_BATCH 5000

static SPIPlanPtr p_put,
			p_reset_rows,
			p_reset_rows_prefix,
			p_delete_runs,
			p_runs_overlapping,
			p_update_run,
			p_delete_run,
			p_run_parts,
			p_run_part_data,
			p_rows_first,
			p_rows_next,
			p_has_changes;

static void staging_run_corrupt(const char *why) pg_attribute_noreturn();

/* a staging run that does not decode: catalog corruption (XX001), never user input */
static void
staging_run_corrupt(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("corrupt staging run"),
			 why ? errdetail("%s.", why) : 0,
			 errhint("lakefs_reset() on the branch drops its staged changes.")));
}

static const Oid t_repo_branch[] = {INT4OID, TEXTOID};
static const Oid t_repo_branch_text[] = {INT4OID, TEXTOID, TEXTOID};

#define ROW_COLUMNS "path, tombstone, physical_address, full_address, size, checksum, " \
	"last_modified, content_type, metadata::text, seq"

/* staging_put: stage one upsert or tombstone (a row; replaces any row). */
void
staging_put(int32 repo_id, const char *branch, const LkStaged *s)
{
	static const Oid types[] = {INT4OID, TEXTOID, TEXTOID, BOOLOID, TEXTOID, BOOLOID,
	INT8OID, TEXTOID, TIMESTAMPTZOID, TEXTOID, JSONBOID};
	Datum		args[11];
	char		nulls[12] = "           ";

	args[0] = Int32GetDatum(repo_id);
	args[1] = TEXT_ARG(branch);
	args[2] = TEXT_ARG(s->path);
	args[3] = BoolGetDatum(s->tombstone);
	args[5] = BoolGetDatum(s->full_address);
	if (s->tombstone)
		nulls[4] = nulls[6] = nulls[7] = nulls[8] = nulls[9] = nulls[10] = 'n';
	else
	{
		args[4] = TEXT_ARG(s->address);
		args[6] = Int64GetDatum(s->size);
		if (s->checksum)
			args[7] = TEXT_ARG(s->checksum);
		else
			nulls[7] = 'n';
		args[8] = TimestampTzGetDatum(s->last_modified);
		if (s->content_type)
			args[9] = TEXT_ARG(s->content_type);
		else
			nulls[9] = 'n';
		if (s->metadata)
			args[10] = DirectFunctionCall1(jsonb_in, CStringGetDatum(s->metadata));
		else
			nulls[10] = 'n';
	}
	connect_spi();
	spi_run_saved(&p_put,
				  "INSERT INTO lakefs.staging AS s (repo_id, branch, path, tombstone, "
				  "physical_address, full_address, size, checksum, last_modified, content_type, "
				  "metadata, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
				  "nextval('lakefs.staging_seq')) "
				  "ON CONFLICT (repo_id, branch, path) DO UPDATE SET tombstone = EXCLUDED.tombstone, "
				  "physical_address = EXCLUDED.physical_address, full_address = EXCLUDED.full_address, "
				  "size = EXCLUDED.size, checksum = EXCLUDED.checksum, "
				  "last_modified = EXCLUDED.last_modified, content_type = EXCLUDED.content_type, "
				  "metadata = EXCLUDED.metadata, seq = EXCLUDED.seq",
				  11, types, args, nulls, 0);
	finish_spi();
}

/* ---- reset and delete ---- */

/* filter the entries under prefix out of every run part that holds any */
static int64
reset_runs_prefix(int32 repo_id, const char *branch, const char *prefix)
{
	static const Oid types[] = {INT4OID, TEXTOID, TEXTOID, TEXTOID};
	char	   *succ = lk_prefix_successor(prefix, strlen(prefix));
	Datum		args[4] = {Int32GetDatum(repo_id), TEXT_ARG(branch), TEXT_ARG(prefix),
	succ ? TEXT_ARG(succ) : (Datum) 0};
	char		nulls[5] = {' ', ' ', ' ', succ ? ' ' : 'n', '\0'};
	size_t		plen = strlen(prefix);
	int64		removed = 0;
	uint64		nparts;
	SPITupleTable *tt;

	spi_run_saved(&p_runs_overlapping,
				  "SELECT seq, part, data FROM lakefs.staging_runs WHERE repo_id = $1 "
				  "AND branch = $2 AND max_path >= $3 AND ($4 IS NULL OR min_path < $4)",
				  4, types, args, nulls, 0);
	nparts = SPI_processed;
	tt = SPI_tuptable;
	for (uint64 i = 0; i < nparts; i++)
	{
		bool		isnull;
		int64		seq = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
		int32		part = DatumGetInt32(SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull));
		bytea	   *data = DatumGetByteaPP(SPI_getbinval(tt->vals[i], tt->tupdesc, 3, &isnull));
		RangeReader r;
		LakefsEntry e;
		RangeEncoder enc;
		StrBuf		out = {0};
		char	   *min_path = NULL;
		char	   *max_path = NULL;
		Datum		key[4] = {Int32GetDatum(repo_id), TEXT_ARG(branch), Int64GetDatum(seq),
		Int32GetDatum(part)};

		if (range_reader_init(&r, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data)) != LK_CODEC_OK)
			staging_run_corrupt(NULL);
		range_encoder_init(&enc);
		while (range_reader_next(&r, &e) == LK_CODEC_OK)
		{
			if (e.path_len >= plen && memcmp(e.path, prefix, plen) == 0)
			{
				removed++;
				continue;
			}
			range_encoder_add(&enc, &e);
			if (min_path == NULL)
				min_path = pnstrdup(e.path, e.path_len);
			if (max_path)
				pfree(max_path);
			max_path = pnstrdup(e.path, e.path_len);
		}
		if (enc.count == 0)
		{
			static const Oid types[] = {INT4OID, TEXTOID, INT8OID, INT4OID};

			spi_run_saved(&p_delete_run, "DELETE FROM lakefs.staging_runs WHERE repo_id = $1 "
						  "AND branch = $2 AND seq = $3 AND part = $4", 4, types, key, NULL, 0);
		}
		else
		{
			static const Oid types[] = {INT4OID, TEXTOID, INT8OID, INT4OID, TEXTOID, TEXTOID,
			INT4OID, BYTEAOID};
			Datum		upd[8];

			upd[6] = Int32GetDatum((int32) enc.count);
			range_encoder_finish(&enc, &out);
			memcpy(upd, key, sizeof(key));
			upd[4] = TEXT_ARG(min_path);
			upd[5] = TEXT_ARG(max_path);
			upd[7] = bytea_datum(out.data, out.len);
			spi_run_saved(&p_update_run, "UPDATE lakefs.staging_runs SET min_path = $5, "
						  "max_path = $6, entries = $7, data = $8 WHERE repo_id = $1 "
						  "AND branch = $2 AND seq = $3 AND part = $4", 8, types, upd, NULL, 0);
			sb_free(&out);
		}
		range_encoder_free(&enc);
	}
	return removed;
}

/*
 * staging_reset: drop the staged changes under prefix (all when prefix is
 * NULL or empty); returns how many were dropped.
 */
int64
staging_reset(int32 repo_id, const char *branch, const char *prefix)
{
	int64		n;

	if (prefix == NULL || prefix[0] == '\0')
	{
		Datum		args[2] = {Int32GetDatum(repo_id), TEXT_ARG(branch)};

		connect_spi();
		spi_run_saved(&p_reset_rows, "DELETE FROM lakefs.staging WHERE repo_id = $1 "
					  "AND branch = $2", 2, t_repo_branch, args, NULL, 0);
		n = (int64) SPI_processed;
		spi_run_saved(&p_delete_runs, "DELETE FROM lakefs.staging_runs WHERE repo_id = $1 "
					  "AND branch = $2 RETURNING entries", 2, t_repo_branch, args, NULL, 0);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;

			n += DatumGetInt32(col(i, 1, &isnull));
		}
		finish_spi();
		return n;
	}
	else
	{
		Datum		args[3] = {Int32GetDatum(repo_id), TEXT_ARG(branch), TEXT_ARG(prefix)};

		connect_spi();
		spi_run_saved(&p_reset_rows_prefix, "DELETE FROM lakefs.staging WHERE repo_id = $1 "
					  "AND branch = $2 AND path >= $3 AND left(path, length($3)) = $3",
					  3, t_repo_branch_text, args, NULL, 0);
		n = (int64) SPI_processed;
		n += reset_runs_prefix(repo_id, branch, prefix);
		finish_spi();
		return n;
	}
}

/* ---- the merged cursor ---- */

typedef struct RunStream
{
	int64		seq;
	int			nparts;
	int32	   *parts;
	int			next_part;
	bytea	   *data;
	RangeReader reader;
	bool		has;
	LkStagedEntry head;
	bool		advance;
} RunStream;

struct StagingCursor
{
	int32		repo_id;
	char	   *branch;
	MemoryContext cxt;
	/* rows */
	MemoryContext batch_cxt;
	char	   *after;
	bool		first;
	bool		rows_exhausted;
	LkStagedEntry *batch;
	int64	   *batch_seq;
	int			nbatch;
	int			pos;
	bool		advance_rows;
	/* runs */
	int			nruns;
	RunStream  *runs;
	LkStagedEntry out;
};

static void
rows_fetch(StagingCursor *cur)
{
	Datum		args[4];
	static const Oid types[] = {INT4OID, TEXTOID, TEXTOID, INT4OID};
	MemoryContext old;
	bool		first = cur->first;

	if (cur->nbatch > 0)
	{
		const LakefsEntry *last = &cur->batch[cur->nbatch - 1].entry;
		char	   *after = MemoryContextAlloc(cur->cxt, last->path_len + 1);

		memcpy(after, last->path, last->path_len);
		after[last->path_len] = '\0';
		pfree(cur->after);
		cur->after = after;
	}
	MemoryContextReset(cur->batch_cxt);
	cur->nbatch = cur->pos = 0;
	cur->first = false;
	args[0] = Int32GetDatum(cur->repo_id);
	args[1] = TEXT_ARG(cur->branch);
	args[2] = TEXT_ARG(cur->after);
	args[3] = Int32GetDatum(ROW_BATCH);
	connect_spi();
	if (first)
		spi_run_saved(&p_rows_first, "SELECT " ROW_COLUMNS " FROM lakefs.staging "
					  "WHERE repo_id = $1 AND branch = $2 AND path >= $3 ORDER BY path LIMIT $4",
					  4, types, args, NULL, 0);
	else
		spi_run_saved(&p_rows_next, "SELECT " ROW_COLUMNS " FROM lakefs.staging "
					  "WHERE repo_id = $1 AND branch = $2 AND path > $3 ORDER BY path LIMIT $4",
					  4, types, args, NULL, 0);
	old = MemoryContextSwitchTo(cur->batch_cxt);
	cur->batch = palloc0(sizeof(LkStagedEntry) * (SPI_processed + 1));
	cur->batch_seq = palloc(sizeof(int64) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		LkStagedEntry *s = &cur->batch[i];
		LakefsEntry *e = &s->entry;
		bool		isnull;
		Datum		d;
		char	   *str;

#define GET_TEXT(c, field, lenfield) \
		d = col(i, c, &isnull); \
		str = isnull ? "" : TextDatumGetCString(d); \
		e->field = str; \
		e->lenfield = strlen(str)

		GET_TEXT(1, path, path_len);
		s->tombstone = DatumGetBool(col(i, 2, &isnull));
		cur->batch_seq[i] = DatumGetInt64(col(i, 10, &isnull));
		if (s->tombstone)
			continue;
		GET_TEXT(3, address, address_len);
		e->flags = DatumGetBool(col(i, 4, &isnull)) ? LK_ENTRY_FULL_ADDRESS : 0;
		e->size = DatumGetInt64(col(i, 5, &isnull));
		GET_TEXT(6, checksum, checksum_len);
		d = col(i, 7, &isnull);
		e->mtime = isnull ? 0 : DatumGetTimestampTz(d);
		GET_TEXT(8, content_type, content_type_len);
		GET_TEXT(9, metadata, metadata_len);
#undef GET_TEXT
	}
	cur->nbatch = (int) SPI_processed;
	MemoryContextSwitchTo(old);
	finish_spi();
	if (cur->nbatch < ROW_BATCH)
		cur->rows_exhausted = true;
}

static void
rows_advance(StagingCursor *cur)
{
	cur->pos++;
	if (cur->pos >= cur->nbatch && !cur->rows_exhausted)
		rows_fetch(cur);
}

/* load the run's next part; false when there is none */
static bool
run_load_part(StagingCursor *cur, RunStream *rs)
{
	static const Oid types[] = {INT4OID, TEXTOID, INT8OID, INT4OID};
	Datum		args[4];
	MemoryContext old;

	if (rs->data)
		pfree(rs->data);
	rs->data = NULL;
	if (rs->next_part >= rs->nparts)
		return false;
	args[0] = Int32GetDatum(cur->repo_id);
	args[1] = TEXT_ARG(cur->branch);
	args[2] = Int64GetDatum(rs->seq);
	args[3] = Int32GetDatum(rs->parts[rs->next_part++]);
	old = MemoryContextSwitchTo(cur->cxt);
	connect_spi();
	spi_run_saved(&p_run_part_data, "SELECT data FROM lakefs.staging_runs WHERE repo_id = $1 "
				  "AND branch = $2 AND seq = $3 AND part = $4", 4, types, args, NULL, 1);
	if (SPI_processed != 1)
		elog(ERROR, "staging run part vanished");
	rs->data = col_bytea(0, 1);
	finish_spi();
	MemoryContextSwitchTo(old);
	if (range_reader_init(&rs->reader, VARDATA(rs->data), VARSIZE(rs->data) - VARHDRSZ) != 0)
		staging_run_corrupt(NULL);
	return true;
}

static void
run_advance(StagingCursor *cur, RunStream *rs)
{
	for (;;)
	{
		int			rc = rs->data ? range_reader_next(&rs->reader, &rs->head.entry) : LK_CODEC_END;

		if (rc == LK_CODEC_OK)
		{
			rs->has = true;
			return;
		}
		if (rc != LK_CODEC_END)
			staging_run_corrupt(lk_codec_strerror(rc));
		if (!run_load_part(cur, rs))
		{
			rs->has = false;
			return;
		}
	}
}

/* the runs' parts that may hold paths >= from, grouped by run */
static void
runs_open(StagingCursor *cur, const char *from)
{
	Datum		args[3] = {Int32GetDatum(cur->repo_id), TEXT_ARG(cur->branch), TEXT_ARG(from)};
	MemoryContext old;

	connect_spi();
	spi_run_saved(&p_run_parts, "SELECT seq, part FROM lakefs.staging_runs WHERE repo_id = $1 "
				  "AND branch = $2 AND max_path >= $3 ORDER BY seq, part",
				  3, t_repo_branch_text, args, NULL, 0);
	old = MemoryContextSwitchTo(cur->cxt);
	cur->runs = palloc0(sizeof(RunStream) * (SPI_processed + 1));
	cur->nruns = 0;
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		seq = DatumGetInt64(col(i, 1, &isnull));
		int32		part = DatumGetInt32(col(i, 2, &isnull));
		RunStream  *rs;

		if (cur->nruns == 0 || cur->runs[cur->nruns - 1].seq != seq)
		{
			rs = &cur->runs[cur->nruns++];
			rs->seq = seq;
			rs->parts = palloc(sizeof(int32) * (SPI_processed - i));
		}
		rs = &cur->runs[cur->nruns - 1];
		rs->parts[rs->nparts++] = part;
	}
	MemoryContextSwitchTo(old);
	finish_spi();
	for (int i = 0; i < cur->nruns; i++)
	{
		RunStream  *rs = &cur->runs[i];

		/* position at the first entry >= from */
		do
			run_advance(cur, rs);
		while (rs->has && lk_keycmp(rs->head.entry.path, rs->head.entry.path_len,
									from, strlen(from)) < 0);
	}
}

StagingCursor *
staging_cursor_open(int32 repo_id, const char *branch, const char *from)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "lakefs staging cursor",
											  ALLOCSET_DEFAULT_SIZES);
	StagingCursor *cur = MemoryContextAllocZero(cxt, sizeof(StagingCursor));

	cur->cxt = cxt;
	cur->repo_id = repo_id;
	cur->branch = MemoryContextStrdup(cxt, branch);
	cur->after = MemoryContextStrdup(cxt, from ? from : "");
	cur->first = true;
	cur->batch_cxt = AllocSetContextCreate(cxt, "lakefs staging batch", ALLOCSET_DEFAULT_SIZES);
	rows_fetch(cur);
	runs_open(cur, from ? from : "");
	return cur;
}

/*
 * staging_cursor_next: the next staged change in path order; for a path
 * staged several times, the latest. NULL at the end.
 */
const LkStagedEntry *
staging_cursor_next(StagingCursor *cur)
{
	const LakefsEntry *min = NULL;
	int64		best_seq = -1;
	const LkStagedEntry *best = NULL;

	if (cur->advance_rows)
		rows_advance(cur);
	cur->advance_rows = false;
	for (int i = 0; i < cur->nruns; i++)
		if (cur->runs[i].advance)
		{
			run_advance(cur, &cur->runs[i]);
			cur->runs[i].advance = false;
		}

	/* the smallest path among the stream heads */
	if (cur->pos < cur->nbatch)
		min = &cur->batch[cur->pos].entry;
	for (int i = 0; i < cur->nruns; i++)
		if (cur->runs[i].has &&
			(min == NULL || lk_keycmp(cur->runs[i].head.entry.path, cur->runs[i].head.entry.path_len,
									  min->path, min->path_len) < 0))
			min = &cur->runs[i].head.entry;
	if (min == NULL)
		return NULL;

	/* every head at that path advances next time; the latest one wins */
	if (cur->pos < cur->nbatch &&
		lk_keycmp(cur->batch[cur->pos].entry.path, cur->batch[cur->pos].entry.path_len,
				  min->path, min->path_len) == 0)
	{
		best = &cur->batch[cur->pos];
		best_seq = cur->batch_seq[cur->pos];
		cur->advance_rows = true;
	}
	for (int i = 0; i < cur->nruns; i++)
	{
		RunStream  *rs = &cur->runs[i];

		if (rs->has && lk_keycmp(rs->head.entry.path, rs->head.entry.path_len,
								 min->path, min->path_len) == 0)
		{
			rs->advance = true;
			if (rs->seq > best_seq)
			{
				best = &rs->head;
				best_seq = rs->seq;
			}
		}
	}
	cur->out = *best;
	return &cur->out;
}

/*
 * staging_cursor_seek: move forward so that the next change returned is the
 * first with path >= from (from must not be before the last one returned).
 * Rows within the current batch and run entries are skipped in place; only
 * a jump past the batch asks the catalog again.
 */
void
staging_cursor_seek(StagingCursor *cur, const char *from)
{
	uint32		flen = strlen(from);

	cur->advance_rows = false;
	while (cur->pos < cur->nbatch &&
		   lk_keycmp(cur->batch[cur->pos].entry.path, cur->batch[cur->pos].entry.path_len,
					 from, flen) < 0)
		cur->pos++;
	if (cur->pos >= cur->nbatch && !cur->rows_exhausted)
	{
		pfree(cur->after);
		cur->after = MemoryContextStrdup(cur->cxt, from);
		cur->first = true;
		cur->nbatch = 0;
		rows_fetch(cur);
	}
	for (int i = 0; i < cur->nruns; i++)
	{
		RunStream  *rs = &cur->runs[i];

		rs->advance = false;
		while (rs->has && lk_keycmp(rs->head.entry.path, rs->head.entry.path_len,
									from, flen) < 0)
			run_advance(cur, rs);
	}
}

void
staging_cursor_close(StagingCursor *cur)
{
	MemoryContextDelete(cur->cxt);
}

/* staging_has_changes: does the branch have any staged change? */
bool
staging_has_changes(int32 repo_id, const char *branch)
{
	static const Oid types[] = {INT4OID, TEXTOID};
	Datum		args[2] = {Int32GetDatum(repo_id), CStringGetTextDatum(branch)};
	bool		isnull;
	bool		any;

	/* the same test as the view lakefs_branches.has_staged_changes */
	connect_spi();
	spi_run_saved(&p_has_changes,
				  "SELECT EXISTS (SELECT 1 FROM lakefs.staging WHERE repo_id = $1 AND branch = $2) "
				  "OR EXISTS (SELECT 1 FROM lakefs.staging_runs WHERE repo_id = $1 AND branch = $2)",
				  2, types, args, NULL, 1);
	any = DatumGetBool(col(0, 1, &isnull));
	finish_spi();
	return any;
}

/*-------------------------------------------------------------------------
 *
 * manifest.c
 *		Range writer, metarange builder and tree reader.
 *
 * A RangeWriter receives entries in strictly ascending path order and closes
 * a range whenever chunk_is_boundary() says so; each closed range is hashed,
 * stored (idempotently) and described to the MetarangeBuilder. Ranges taken
 * unchanged from another tree go to the builder directly, by id, unread.
 *
 * A TreeReader holds one decoded metarange; ranges are fetched one at a
 * time. lakefs_ranges_loaded counts fetches, so tests can prove that diff,
 * merge and commit skip what did not change.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "catalog.h"
#include "chunker.h"
#include "lk_alloc.h"
#include "manifest.h"
#include "range_cache.h"

/*
 * manifest_init: define pg_lakefs.range_size_bits (from _PG_init). It sets
 * chunk_avg_bits, which the plain-C chunker in src/common/ reads: the GUC is
 * defined by the layer that cuts ranges, next to where the chunker is used.
 */
void
manifest_init(void)
{
	DefineCustomIntVariable("pg_lakefs.range_size_bits",
							"Log2 of the average number of entries in a range.",
							"Ranges are closed at content-defined boundaries; smaller "
							"ranges make diffs of few changes cheaper and metaranges "
							"larger. Changing it only changes which ranges new commits "
							"share with old ones.",
							&chunk_avg_bits, CHUNK_AVG_BITS, 2, 20,
							PGC_USERSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
}

int64		lakefs_ranges_loaded = 0;

/*
 * lakefs_codec_error: report a corrupt range or metarange. This is catalog
 * corruption, not a user error, but a user sees it: name the object.
 */
void
lakefs_codec_error(int rc, const char *what, const uint8 *id)
{
	char		hex[LK_ID_HEX_LEN + 1];

	lk_hex(id, LK_ID_LEN, hex);
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("%s %s is corrupt: %s", what, hex, lk_codec_strerror(rc))));
}

/* ---- metarange builder ---- */

void
metarange_builder_init(MetarangeBuilder *mb, int32 repo_id)
{
	memset(mb, 0, sizeof(*mb));
	mb->repo_id = repo_id;
	mb->cap = 64;
	mb->descs = palloc(sizeof(RangeDesc) * mb->cap);
}

/* metarange_builder_add: append a range descriptor (keys are copied). */
void
metarange_builder_add(MetarangeBuilder *mb, const RangeDesc *d)
{
	RangeDesc  *dst;
	char	   *keys;

	if (mb->n == mb->cap)
	{
		mb->cap *= 2;
		mb->descs = repalloc(mb->descs, sizeof(RangeDesc) * mb->cap);
	}
	dst = &mb->descs[mb->n++];
	*dst = *d;
	keys = palloc(d->min_len + d->max_len);
	memcpy(keys, d->min_key, d->min_len);
	memcpy(keys + d->min_len, d->max_key, d->max_len);
	dst->min_key = keys;
	dst->max_key = keys + d->min_len;
	mb->entries += d->count;
}

/* metarange_builder_finish: encode, store and return the metarange id. */
void
metarange_builder_finish(MetarangeBuilder *mb, uint8 *id_out)
{
	StrBuf		out = {0};

	metarange_encode(&out, mb->descs, mb->n);
	lk_sha256(out.data, out.len, id_out);
	catalog_put_metarange(mb->repo_id, id_out, out.data, out.len, (int32) mb->n,
						  mb->entries);
	sb_free(&out);
}

/* tree_empty_metarange: store (once) and return the id of the empty tree. */
void
tree_empty_metarange(int32 repo_id, uint8 *id_out)
{
	MetarangeBuilder mb;

	metarange_builder_init(&mb, repo_id);
	metarange_builder_finish(&mb, id_out);
}

/* ---- range writer ---- */

void
range_writer_init(RangeWriter *rw, MetarangeBuilder *mb)
{
	memset(rw, 0, sizeof(*rw));
	rw->mb = mb;
	range_encoder_init(&rw->enc);
	sb_init(&rw->buf);
}

/* range_writer_flush: close the current range, if it holds anything. */
void
range_writer_flush(RangeWriter *rw)
{
	RangeDesc	d;

	if (rw->count == 0)
		return;
	sb_reset(&rw->buf);
	range_encoder_finish(&rw->enc, &rw->buf);
	lk_sha256(rw->buf.data, rw->buf.len, d.id);
	catalog_put_range(rw->mb->repo_id, d.id, rw->buf.data, rw->buf.len, (int32) rw->count);
	d.min_key = rw->min_key;
	d.min_len = rw->min_len;
	d.max_key = rw->last_key;
	d.max_len = rw->last_len;
	d.count = rw->count;
	d.bytes = rw->buf.len;
	metarange_builder_add(rw->mb, &d);
	rw->mb->ranges_written++;
	pfree(rw->min_key);
	rw->min_key = NULL;
	rw->count = 0;
}

/*
 * range_writer_add: append an entry (paths strictly ascending, else an
 * internal error) and close the range at a content-defined boundary.
 */
void
range_writer_add(RangeWriter *rw, const LakefsEntry *e)
{
	int			rc = range_encoder_add(&rw->enc, e);

	if (rc != LK_CODEC_OK)
		elog(ERROR, "range writer: %s at \"%.*s\"", lk_codec_strerror(rc),
			 (int) e->path_len, e->path);
	if (rw->count == 0)
	{
		rw->min_key = palloc(e->path_len);
		memcpy(rw->min_key, e->path, e->path_len);
		rw->min_len = e->path_len;
	}
	memcpy(rw->last_key, e->path, e->path_len);
	rw->last_len = e->path_len;
	rw->count++;
	if (chunk_is_boundary(e->path, e->path_len, rw->count))
		range_writer_flush(rw);
}

/* ---- tree reader ---- */

TreeReader *
tree_open(int32 repo_id, const uint8 *metarange_id)
{
	TreeReader *t = palloc0(sizeof(TreeReader));
	int			rc;

	t->repo_id = repo_id;
	memcpy(t->id, metarange_id, LK_ID_LEN);
	t->raw = range_cache_get(repo_id, RANGE_CACHE_METARANGE, metarange_id);
	if (t->raw == NULL)
	{
		t->raw = catalog_get_metarange(repo_id, metarange_id);
		if (t->raw == NULL)
			lakefs_codec_error(LK_CODEC_TRUNCATED, "missing metarange", metarange_id);
		range_cache_put(repo_id, RANGE_CACHE_METARANGE, metarange_id, t->raw);
	}
	rc = metarange_decode(VARDATA_ANY(t->raw), VARSIZE_ANY_EXHDR(t->raw), &t->descs, &t->n);
	if (rc != LK_CODEC_OK)
		lakefs_codec_error(rc, "metarange", metarange_id);
	return t;
}

/* tree_load_range: fetch range i's bytes (counted in lakefs_ranges_loaded). */
bytea *
tree_load_range(TreeReader *t, uint32 i)
{
	bytea	   *data = range_cache_get(t->repo_id, RANGE_CACHE_RANGE, t->descs[i].id);

	if (data == NULL)
	{
		data = catalog_get_range(t->repo_id, t->descs[i].id);
		if (data == NULL)
			lakefs_codec_error(LK_CODEC_TRUNCATED, "missing range", t->descs[i].id);
		range_cache_put(t->repo_id, RANGE_CACHE_RANGE, t->descs[i].id, data);
	}
	lakefs_ranges_loaded++;
	return data;
}

void
tree_range_reader(bytea *data, RangeReader *r)
{
	int			rc = range_reader_init(r, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data));

	if (rc != LK_CODEC_OK)
	{
		uint8		id[LK_ID_LEN];

		lk_sha256(VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data), id);
		lakefs_codec_error(rc, "range", id);
	}
}

/*
 * tree_find_range: index of the first range whose max key is >= key (n when
 * key is past the last range): the range that holds key, if any does.
 */
uint32
tree_find_range(TreeReader *t, const char *key, uint32 len)
{
	uint32		lo = 0,
				hi = t->n;

	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;

		if (lk_keycmp(t->descs[mid].max_key, t->descs[mid].max_len, key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
tree_iter_init(TreeIter *it, TreeReader *t)
{
	memset(it, 0, sizeof(*it));
	it->tree = t;
}

static void
iter_close_range(TreeIter *it)
{
	it->in_range = false;
}

/*
 * iter_open_range: start reading range i. The bytes of the last range read
 * stay cached, so seeks that land in it again (listings with a delimiter)
 * decode it again but do not fetch it again.
 */
static void
iter_open_range(TreeIter *it, uint32 i)
{
	if (it->range_data == NULL || it->loaded != i)
	{
		if (it->range_data)
			pfree(it->range_data);
		it->range_data = tree_load_range(it->tree, i);
		it->loaded = i;
	}
	tree_range_reader(it->range_data, &it->reader);
	it->in_range = true;
	it->next_range = i + 1;
}

/*
 * tree_iter_seek: position so that the next entry returned is the first with
 * path >= key. Loads at most one range.
 */
void
tree_iter_seek(TreeIter *it, const char *key, uint32 len)
{
	uint32		i = tree_find_range(it->tree, key, len);

	iter_close_range(it);
	it->has_pending = false;
	it->next_range = i;
	if (i >= it->tree->n ||
		lk_keycmp(it->tree->descs[i].min_key, it->tree->descs[i].min_len, key, len) >= 0)
		return;
	/* key falls inside range i: open it and skip the smaller entries */
	iter_open_range(it, i);
	for (;;)
	{
		int			rc = range_reader_next(&it->reader, &it->pending);

		if (rc == LK_CODEC_END)
			break;
		if (rc != LK_CODEC_OK)
			lakefs_codec_error(rc, "range", it->tree->descs[i].id);
		if (lk_keycmp(it->pending.path, it->pending.path_len, key, len) >= 0)
		{
			it->has_pending = true;
			break;
		}
	}
}

/* tree_iter_next: the next entry of the tree, false at the end. */
bool
tree_iter_next(TreeIter *it, LakefsEntry *e)
{
	if (it->has_pending)
	{
		*e = it->pending;
		it->has_pending = false;
		return true;
	}
	for (;;)
	{
		if (it->in_range)
		{
			int			rc = range_reader_next(&it->reader, e);

			if (rc == LK_CODEC_OK)
				return true;
			if (rc != LK_CODEC_END)
				lakefs_codec_error(rc, "range", it->tree->descs[it->next_range - 1].id);
			iter_close_range(it);
		}
		if (it->next_range >= it->tree->n)
			return false;
		iter_open_range(it, it->next_range);
	}
}

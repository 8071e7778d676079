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
 * The MetarangeBuilder cuts the descriptors of the ranges into index nodes
 * (content-defined, chunk_node_is_boundary), the descriptors of those into
 * nodes one level up, and so on; what remains at the top when the build
 * ends is the root, stored as the metarange (format version 2; version 1,
 * one flat list, when pg_lakefs.metarange_format = 1). Nodes are stored
 * idempotently, so an unchanged node costs a hash and no catalog bytes; a
 * level-1 node taken whole from another tree (metarange_builder_add_node)
 * costs nothing at all. Why cut on the max key and not on the child's id:
 * see chunker.h.
 *
 * A TreeReader reads the root and every index node above level 1 at open
 * (for 10M entries: a root and some tens of nodes), and each level-1 node
 * (a "segment": the descriptors of a run of ranges) on first use; ranges
 * are fetched one at a time. Callers address ranges by their tree-wide
 * index (tree_desc), or skip a whole segment by id (tree_segment_at).
 * lakefs_ranges_loaded counts range fetches, so tests can prove that diff,
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

static int	metarange_format = 2;

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
	DefineCustomIntVariable("pg_lakefs.index_node_size_bits",
							"Log2 of the average number of children of an index node.",
							"Index nodes of a tree (metarange format 2) are closed at "
							"content-defined boundaries; smaller nodes make a commit "
							"write fewer bytes and the tree deeper.",
							&chunk_node_bits, CHUNK_NODE_BITS, 1, 12,
							PGC_USERSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_lakefs.metarange_format",
							"Format version of the metaranges new commits write.",
							"2 (the default) writes a tree of index nodes; 1 writes one "
							"flat list of ranges, as version 0.1.0 did. Both are read.",
							&metarange_format, 2, 1, 2,
							PGC_USERSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
}

int64		lakefs_ranges_loaded = 0;
int64		lakefs_index_nodes_loaded = 0;

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
	mb->format = metarange_format;
}

/* append a copy of d (keys copied) to level lv */
static void
level_append(BuilderLevel *lv, const RangeDesc *d)
{
	RangeDesc  *dst;
	char	   *keys;

	if (lv->n == lv->cap)
	{
		lv->cap = lv->cap ? lv->cap * 2 : 64;
		lv->descs = lv->descs ? repalloc(lv->descs, sizeof(RangeDesc) * lv->cap) :
			palloc(sizeof(RangeDesc) * lv->cap);
	}
	dst = &lv->descs[lv->n++];
	*dst = *d;
	keys = palloc(d->min_len + d->max_len);
	memcpy(keys, d->min_key, d->min_len);
	memcpy(keys + d->min_len, d->max_key, d->max_len);
	dst->min_key = keys;
	dst->max_key = keys + d->min_len;
	lv->added++;
}

static void level_add(MetarangeBuilder *mb, int level, const RangeDesc *d);

/*
 * metarange_builder_known: t (a tree of the repository that the caller read
 * in this transaction, under the catalog writer lock: its nodes stay) is
 * the tree the build changes. A node re-encoded equal to one of t's upper
 * nodes (above level 1) is then not stored again: the nodes above the
 * reused level-1 nodes cost a hash, no catalog statement.
 */
void
metarange_builder_known(MetarangeBuilder *mb, TreeReader *t)
{
	mb->known = t;
}

static bool
known_node(const MetarangeBuilder *mb, const uint8 *id)
{
	if (mb->known == NULL)
		return false;
	for (uint32 i = 0; i < mb->known->nupper; i++)
		if (memcmp(mb->known->upper_ids + (Size) i * LK_ID_LEN, id, LK_ID_LEN) == 0)
			return true;
	return false;
}

/* level_close: store the children at level as one index node, one level up */
static void
level_close(MetarangeBuilder *mb, int level)
{
	BuilderLevel *lv = &mb->levels[level];
	StrBuf		out = {0};
	RangeDesc	d;

	tree_node_encode(&out, LK_NODE_INDEX, level + 1, lv->descs, lv->n);
	lk_sha256(out.data, out.len, d.id);
	d.min_key = lv->descs[0].min_key;
	d.min_len = lv->descs[0].min_len;
	d.max_key = lv->descs[lv->n - 1].max_key;
	d.max_len = lv->descs[lv->n - 1].max_len;
	d.count = 0;
	d.leaves = 0;
	for (uint32 i = 0; i < lv->n; i++)
	{
		d.count += lv->descs[i].count;
		d.leaves += lv->descs[i].leaves;
	}
	d.bytes = out.len;
	if (!known_node(mb, d.id))
	{
		catalog_put_index_node(mb->repo_id, d.id, out.data, out.len, level + 1,
							   (int64) d.count);
		mb->nodes_written++;
	}
	sb_free(&out);
	lv->n = 0;
	level_add(mb, level + 1, &d);
}

/*
 * level_add: a child at level (0: a range), closing the node being filled
 * at a content-defined boundary. The top level never closes: it is the root.
 */
static void
level_add(MetarangeBuilder *mb, int level, const RangeDesc *d)
{
	BuilderLevel *lv = &mb->levels[level];

	level_append(lv, d);
	if (mb->format == 2 && level + 1 < LK_TREE_MAX_LEVEL &&
		chunk_node_is_boundary(d->max_key, d->max_len, level + 1, lv->n))
		level_close(mb, level);
}

/* metarange_builder_add: append a range descriptor (keys are copied). */
void
metarange_builder_add(MetarangeBuilder *mb, const RangeDesc *d)
{
	mb->entries += d->count;
	mb->ranges++;
	level_add(mb, 0, d);
}

/*
 * metarange_builder_can_add_node: may a whole level-1 node come next? Only
 * in format 2 and when no range is pending (the node being filled at level
 * 1 is empty, as in the tree the node comes from).
 */
bool
metarange_builder_can_add_node(const MetarangeBuilder *mb)
{
	return mb->format == 2 && mb->levels[0].n == 0;
}

/*
 * metarange_builder_add_node: append a whole level-1 node of another tree
 * of the repository, by id, unread (only when can_add_node says so).
 */
void
metarange_builder_add_node(MetarangeBuilder *mb, const TreeSegment *seg)
{
	RangeDesc	d;

	Assert(seg->is_node && metarange_builder_can_add_node(mb));
	memcpy(d.id, seg->id, LK_ID_LEN);
	d.min_key = seg->min_key;
	d.min_len = seg->min_len;
	d.max_key = seg->max_key;
	d.max_len = seg->max_len;
	d.count = seg->count;
	d.bytes = seg->bytes;
	d.leaves = seg->n;
	mb->entries += d.count;
	mb->ranges += d.leaves;
	mb->ranges_reused += d.leaves;
	mb->nodes_reused++;
	level_add(mb, 1, &d);
}

/*
 * metarange_builder_finish: close the nodes still being filled, bottom up,
 * until one level holds the whole tree; store it as the root and return
 * its id.
 */
void
metarange_builder_finish(MetarangeBuilder *mb, uint8 *id_out)
{
	StrBuf		out = {0};
	int			level = 0;

	if (mb->format == 1)
		tree_node_encode(&out, LK_NODE_ROOT_V1, 1, mb->levels[0].descs, mb->levels[0].n);
	else
	{
		for (;;)
		{
			if (level + 1 >= LK_TREE_MAX_LEVEL || mb->levels[level + 1].added == 0)
				break;
			if (mb->levels[level].n > 0)
				level_close(mb, level);
			level++;
		}
		tree_node_encode(&out, LK_NODE_ROOT_V2, level + 1, mb->levels[level].descs,
						 mb->levels[level].n);
	}
	lk_sha256(out.data, out.len, id_out);
	catalog_put_metarange(mb->repo_id, id_out, out.data, out.len, (int32) mb->ranges,
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
	d.leaves = 1;
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

/* fetch (through the cache) the bytes of a root or an index node */
static bytea *
load_node(int32 repo_id, char kind, const uint8 *id)
{
	bytea	   *raw = range_cache_get(repo_id, kind, id);

	if (raw == NULL)
	{
		raw = kind == RANGE_CACHE_METARANGE ? catalog_get_metarange(repo_id, id) :
			catalog_get_index_node(repo_id, id);
		if (raw == NULL)
			lakefs_codec_error(LK_CODEC_TRUNCATED, kind == RANGE_CACHE_METARANGE ?
							   "missing metarange" : "missing index node", id);
		range_cache_put(repo_id, kind, id, raw);
	}
	if (kind == RANGE_CACHE_INDEX_NODE)
		lakefs_index_nodes_loaded++;
	return raw;
}

/*
 * decode_index_node: the descriptors of index node d, which must be of
 * level `level` and hold the ranges and entries d says.
 */
static RangeDesc *
decode_index_node(int32 repo_id, const RangeDesc *d, uint32 level, bytea **raw_out,
				  uint32 *n)
{
	bytea	   *raw = load_node(repo_id, RANGE_CACHE_INDEX_NODE, d->id);
	LkNodeKind	kind;
	uint32		lv;
	RangeDesc  *descs;
	uint64		leaves = 0;
	uint64		count = 0;
	int			rc;

	rc = tree_node_decode(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), &kind, &lv, &descs, n);
	if (rc != LK_CODEC_OK)
		lakefs_codec_error(rc, "index node", d->id);
	for (uint32 i = 0; i < *n; i++)
	{
		leaves += descs[i].leaves;
		count += descs[i].count;
	}
	if (kind != LK_NODE_INDEX || lv != level || leaves != d->leaves || count != d->count ||
		lk_keycmp(descs[0].min_key, descs[0].min_len, d->min_key, d->min_len) != 0 ||
		lk_keycmp(descs[*n - 1].max_key, descs[*n - 1].max_len, d->max_key, d->max_len) != 0)
		lakefs_codec_error(LK_CODEC_BAD_VALUE, "index node", d->id);
	*raw_out = raw;
	return descs;
}

static void
add_segment(TreeReader *t, uint32 *cap, const RangeDesc *d, bool is_node)
{
	TreeSegment *s;

	if (t->nsegs == *cap)
	{
		*cap = *cap ? *cap * 2 : 16;
		t->segs = t->segs ? repalloc(t->segs, sizeof(TreeSegment) * *cap) :
			palloc(sizeof(TreeSegment) * *cap);
	}
	s = &t->segs[t->nsegs++];
	memset(s, 0, sizeof(*s));
	memcpy(s->id, d->id, LK_ID_LEN);
	s->is_node = is_node;
	s->min_key = d->min_key;
	s->min_len = d->min_len;
	s->max_key = d->max_key;
	s->max_len = d->max_len;
	s->first = t->n;
	s->n = (uint32) d->leaves;
	s->count = d->count;
	s->bytes = d->bytes;
	if (d->leaves > PG_UINT32_MAX - t->n)
		lakefs_codec_error(LK_CODEC_BAD_VALUE, "metarange", t->id);
	t->n += (uint32) d->leaves;
}

/*
 * expand: the children of a node of level `level` (> 1): level-1 nodes
 * become segments, higher ones are read and expanded in turn.
 */
static void
expand(TreeReader *t, uint32 *cap, const RangeDesc *descs, uint32 n, uint32 level)
{
	for (uint32 i = 0; i < n; i++)
	{
		bytea	   *raw;
		RangeDesc  *kids;
		uint32		nkids;

		if (level == 2)
		{
			add_segment(t, cap, &descs[i], true);
			continue;
		}
		if (t->nupper == t->upper_cap)
		{
			t->upper_cap = t->upper_cap ? t->upper_cap * 2 : 16;
			t->upper_ids = t->upper_ids ? repalloc(t->upper_ids, LK_ID_LEN * t->upper_cap) :
				palloc(LK_ID_LEN * t->upper_cap);
		}
		memcpy(t->upper_ids + (Size) t->nupper++ * LK_ID_LEN, descs[i].id, LK_ID_LEN);
		kids = decode_index_node(t->repo_id, &descs[i], level - 1, &raw, &nkids);
		expand(t, cap, kids, nkids, level - 1);
	}
}

/*
 * tree_open: read the tree whose root is metarange_id (version 1 or 2).
 * Throws ERRCODE_DATA_CORRUPTED for a missing or corrupt root or upper
 * index node; everything is palloc'd in the current context.
 */
TreeReader *
tree_open(int32 repo_id, const uint8 *metarange_id)
{
	TreeReader *t = palloc0(sizeof(TreeReader));
	RangeDesc  *descs;
	uint32		n;
	uint32		cap = 0;
	int			rc;

	t->repo_id = repo_id;
	memcpy(t->id, metarange_id, LK_ID_LEN);
	t->raw = load_node(repo_id, RANGE_CACHE_METARANGE, metarange_id);
	rc = tree_node_decode(VARDATA_ANY(t->raw), VARSIZE_ANY_EXHDR(t->raw), &t->kind,
						  &t->height, &descs, &n);
	if (rc != LK_CODEC_OK || t->kind == LK_NODE_INDEX)
		lakefs_codec_error(rc != LK_CODEC_OK ? rc : LK_CODEC_BAD_MAGIC, "metarange",
						   metarange_id);
	for (uint32 i = 0; i < n; i++)
		t->entries += descs[i].count;
	if (t->height == 1)
	{
		if (n > 0)
		{
			RangeDesc	all;

			memset(&all, 0, sizeof(all));
			memcpy(all.id, metarange_id, LK_ID_LEN);
			all.min_key = descs[0].min_key;
			all.min_len = descs[0].min_len;
			all.max_key = descs[n - 1].max_key;
			all.max_len = descs[n - 1].max_len;
			all.count = t->entries;
			all.leaves = n;
			add_segment(t, &cap, &all, false);
			t->segs[0].descs = descs;
			t->segs[0].raw = t->raw;
		}
	}
	else
		expand(t, &cap, descs, n, t->height);
	return t;
}

/* the index of the segment holding range i (i < t->n) */
static uint32
segment_of(TreeReader *t, uint32 i)
{
	uint32		lo = 0,
				hi = t->nsegs;

	if (t->last_seg < t->nsegs && t->segs[t->last_seg].first <= i &&
		i < t->segs[t->last_seg].first + t->segs[t->last_seg].n)
		return t->last_seg;
	while (hi - lo > 1)
	{
		uint32		mid = lo + (hi - lo) / 2;

		if (t->segs[mid].first <= i)
			lo = mid;
		else
			hi = mid;
	}
	t->last_seg = lo;
	return lo;
}

/* read a segment's level-1 node on first use */
static TreeSegment *
segment_load(TreeReader *t, uint32 s)
{
	TreeSegment *seg = &t->segs[s];

	if (seg->descs == NULL)
	{
		RangeDesc	d;
		uint32		n;

		memcpy(d.id, seg->id, LK_ID_LEN);
		d.min_key = seg->min_key;
		d.min_len = seg->min_len;
		d.max_key = seg->max_key;
		d.max_len = seg->max_len;
		d.count = seg->count;
		d.leaves = seg->n;
		seg->descs = decode_index_node(t->repo_id, &d, 1, &seg->raw, &n);
	}
	return seg;
}

/* tree_desc: the descriptor of range i (i < t->n); valid as long as t */
const RangeDesc *
tree_desc(TreeReader *t, uint32 i)
{
	TreeSegment *seg;

	Assert(i < t->n);
	seg = segment_load(t, segment_of(t, i));
	return &seg->descs[i - seg->first];
}

/*
 * tree_segment_at: the level-1 index node whose first range is range i,
 * unread, or NULL when range i starts none (or the tree has one level).
 * Two trees whose segments at their positions have equal ids hold the same
 * ranges there: callers skip seg->n ranges at once.
 */
const TreeSegment *
tree_segment_at(TreeReader *t, uint32 i)
{
	const TreeSegment *seg;

	if (i >= t->n)
		return NULL;
	seg = &t->segs[segment_of(t, i)];
	return seg->is_node && seg->first == i ? seg : NULL;
}

/*
 * tree_index_node_ids: call fn with the id of every index node of the tree
 * (reads none: the ids are known at open).
 */
void
tree_index_node_ids(TreeReader *t, void (*fn) (void *arg, const uint8 *id), void *arg)
{
	for (uint32 i = 0; i < t->nupper; i++)
		fn(arg, t->upper_ids + (Size) i * LK_ID_LEN);
	for (uint32 s = 0; s < t->nsegs; s++)
		if (t->segs[s].is_node)
			fn(arg, t->segs[s].id);
}

/* tree_load_range: fetch range i's bytes (counted in lakefs_ranges_loaded). */
bytea *
tree_load_range(TreeReader *t, uint32 i)
{
	const RangeDesc *d = tree_desc(t, i);
	bytea	   *data = range_cache_get(t->repo_id, RANGE_CACHE_RANGE, d->id);

	if (data == NULL)
	{
		data = catalog_get_range(t->repo_id, d->id);
		if (data == NULL)
			lakefs_codec_error(LK_CODEC_TRUNCATED, "missing range", d->id);
		range_cache_put(t->repo_id, RANGE_CACHE_RANGE, d->id, data);
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
 * Reads at most the one level-1 node that holds it.
 */
uint32
tree_find_range(TreeReader *t, const char *key, uint32 len)
{
	uint32		lo = 0,
				hi = t->nsegs;
	TreeSegment *seg;

	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;

		if (lk_keycmp(t->segs[mid].max_key, t->segs[mid].max_len, key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= t->nsegs)
		return t->n;
	t->last_seg = lo;
	seg = segment_load(t, lo);
	lo = 0;
	hi = seg->n;
	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;

		if (lk_keycmp(seg->descs[mid].max_key, seg->descs[mid].max_len, key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return seg->first + lo;
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
		lk_keycmp(tree_desc(it->tree, i)->min_key, tree_desc(it->tree, i)->min_len,
				  key, len) >= 0)
		return;
	/* key falls inside range i: open it and skip the smaller entries */
	iter_open_range(it, i);
	for (;;)
	{
		int			rc = range_reader_next(&it->reader, &it->pending);

		if (rc == LK_CODEC_END)
			break;
		if (rc != LK_CODEC_OK)
			lakefs_codec_error(rc, "range", tree_desc(it->tree, i)->id);
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
				lakefs_codec_error(rc, "range", tree_desc(it->tree, it->next_range - 1)->id);
			iter_close_range(it);
		}
		if (it->next_range >= it->tree->n)
			return false;
		iter_open_range(it, it->next_range);
	}
}

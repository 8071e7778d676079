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
 * node of any level taken whole from another tree (metarange_builder_add_node)
 * costs nothing at all. Why cut on the max key and not on the child's id:
 * see chunker.h.
 *
 * A TreeReader reads the root at open and an index node when something
 * below it is first needed; ranges are fetched one at a time. Callers
 * address ranges by their tree-wide index (tree_desc), find the range that
 * holds a key (tree_find_range, reading one node a level), or take the
 * index node of a level that starts at a range (tree_node_at: its id and
 * bounds come from its parent, the node itself stays unread) to reuse or
 * skip a whole subtree by id. lakefs_ranges_loaded counts range fetches,
 * so tests can prove that diff, merge and commit skip what did not change.
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
	/* a 0.1.0 schema has no lakefs.index_nodes: format 1 there */
	mb->format = metarange_format == 2 && !catalog_has_index_nodes() ? 1 : metarange_format;
}

/* store the pending new ranges or index nodes (p), in one statement */
static void
store_pending(MetarangeBuilder *mb, PendingObjects *p)
{
	if (p->n == 0)
		return;
	if (p == &mb->new_nodes)
		catalog_put_index_nodes(mb->repo_id, p->n, p->ids, p->data, p->levels, p->entries);
	else
		catalog_put_ranges(mb->repo_id, p->n, p->ids, p->data, p->entries);
	for (int i = 0; i < p->n; i++)
		pfree(p->data[i]);
	p->n = 0;
	p->bytes = 0;
}

/*
 * store_object: a new range or index node (id, its bytes, its level, the
 * entries below it) to store with the tree: batched, STORE_BATCH or 8 MB at
 * a time (a bulk load writes thousands; one INSERT each was a statement's
 * start-up each), and all of them before the root
 * (metarange_builder_finish). Nothing reads a tree's new ranges or nodes
 * before its root exists.
 */
static void
store_object(MetarangeBuilder *mb, PendingObjects *p, const uint8 *id, const char *data,
			 size_t len, int32 level, int64 entries)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), data, len);
	memcpy(p->ids[p->n], id, LK_ID_LEN);
	p->data[p->n] = b;
	p->levels[p->n] = level;
	p->entries[p->n] = entries;
	p->n++;
	p->bytes += len;
	if (p->n == STORE_BATCH || p->bytes >= 8 * 1024 * 1024)
		store_pending(mb, p);
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
	store_object(mb, &mb->new_nodes, d.id, out.data, out.len, level + 1, (int64) d.count);
	mb->nodes_written++;
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
 * metarange_builder_can_add_node: may a whole index node of `level` come
 * next? Only in format 2 and when nothing is pending below that level (the
 * node being filled one level up starts here, as in the tree the node comes
 * from).
 */
bool
metarange_builder_can_add_node(const MetarangeBuilder *mb, uint32 level)
{
	if (mb->format != 2 || level < 1 || level >= LK_TREE_MAX_LEVEL)
		return false;
	for (uint32 l = 0; l < level; l++)
		if (mb->levels[l].n > 0)
			return false;
	return true;
}

/*
 * metarange_builder_add_node: append a whole index node of another tree of
 * the repository, by id, unread (only when can_add_node says so).
 */
void
metarange_builder_add_node(MetarangeBuilder *mb, const TreeNode *node)
{
	Assert(metarange_builder_can_add_node(mb, node->level));
	mb->entries += node->desc.count;
	mb->ranges += node->desc.leaves;
	mb->ranges_reused += node->desc.leaves;
	mb->nodes_reused++;
	level_add(mb, node->level, &node->desc);
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
		/*
		 * Up to the highest level anything reached (whole nodes reused by
		 * id may have skipped the levels between), closing what is pending
		 * on the way; that level, which never closed, is the root.
		 */
		for (;;)
		{
			int			top = 0;

			for (int l = 0; l < LK_TREE_MAX_LEVEL; l++)
				if (mb->levels[l].added > 0)
					top = l;
			if (level >= top)
				break;
			if (mb->levels[level].n > 0)
				level_close(mb, level);
			level++;
		}
		tree_node_encode(&out, LK_NODE_ROOT_V2, level + 1, mb->levels[level].descs,
						 mb->levels[level].n);
	}
	lk_sha256(out.data, out.len, id_out);
	store_pending(mb, &mb->new_ranges);
	store_pending(mb, &mb->new_nodes);
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
	store_object(rw->mb, &rw->mb->new_ranges, d.id, rw->buf.data, rw->buf.len, 0,
				 (int64) rw->count);
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
	{
		char		hex[LK_ID_HEX_LEN + 1];

		lk_hex(d->id, LK_ID_LEN, hex);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("index node %s is corrupt: it does not match its parent", hex),
				 errdetail("Its level, entry or range count, or key bounds differ from "
						   "what the node above it records."),
				 errhint("Run lakefs_fsck() on the repository.")));
	}
	*raw_out = raw;
	return descs;
}

/* node_load: read a node's children on first use (the root's are read) */
static TreeNode *
node_load(TreeReader *t, TreeNode *node)
{
	uint32		first;

	if (node->loaded)
		return node;
	node->kids = decode_index_node(t->repo_id, &node->desc, node->level, &node->raw,
								   &node->nkids);
	node->loaded = true;
	if (node->level == 1)
		return node;
	node->sub = palloc0(sizeof(TreeNode) * node->nkids);
	first = node->first;
	for (uint32 k = 0; k < node->nkids; k++)
	{
		node->sub[k].desc = node->kids[k];
		node->sub[k].level = node->level - 1;
		node->sub[k].first = first;
		first += (uint32) node->kids[k].leaves;
	}
	return node;
}

/* set up the root's children (no read) */
static void
root_children(TreeReader *t)
{
	TreeNode   *r = &t->root;
	uint64		first = 0;

	if (r->level == 1)
	{
		t->n = r->nkids;
		return;
	}
	r->sub = palloc0(sizeof(TreeNode) * Max(r->nkids, 1));
	for (uint32 k = 0; k < r->nkids; k++)
	{
		r->sub[k].desc = r->kids[k];
		r->sub[k].level = r->level - 1;
		r->sub[k].first = (uint32) first;
		first += r->kids[k].leaves;
		if (first > PG_UINT32_MAX)
			lakefs_codec_error(LK_CODEC_BAD_VALUE, "metarange", t->id);
	}
	t->n = (uint32) first;
}

/*
 * tree_open: read the tree whose root is metarange_id (version 1 or 2).
 * Reads the root only. Throws ERRCODE_DATA_CORRUPTED for a missing or
 * corrupt root; everything is palloc'd in the current context.
 */
TreeReader *
tree_open(int32 repo_id, const uint8 *metarange_id)
{
	TreeReader *t = palloc0(sizeof(TreeReader));
	TreeNode   *r = &t->root;
	int			rc;

	t->repo_id = repo_id;
	memcpy(t->id, metarange_id, LK_ID_LEN);
	t->raw = load_node(repo_id, RANGE_CACHE_METARANGE, metarange_id);
	rc = tree_node_decode(VARDATA_ANY(t->raw), VARSIZE_ANY_EXHDR(t->raw), &t->kind,
						  &t->height, &r->kids, &r->nkids);
	if (rc != LK_CODEC_OK || t->kind == LK_NODE_INDEX)
		lakefs_codec_error(rc != LK_CODEC_OK ? rc : LK_CODEC_BAD_MAGIC, "metarange",
						   metarange_id);
	memcpy(r->desc.id, metarange_id, LK_ID_LEN);
	r->level = t->height;
	r->loaded = true;
	r->raw = t->raw;
	for (uint32 i = 0; i < r->nkids; i++)
		t->entries += r->kids[i].count;
	root_children(t);
	return t;
}

/* the child of node (level > 1, loaded) whose ranges include range i */
static TreeNode *
child_of(TreeNode *node, uint32 i)
{
	uint32		lo = 0,
				hi = node->nkids;

	while (hi - lo > 1)
	{
		uint32		mid = lo + (hi - lo) / 2;

		if (node->sub[mid].first <= i)
			lo = mid;
		else
			hi = mid;
	}
	return &node->sub[lo];
}

/* the loaded level-1 node (or level-1 root) holding range i (i < t->n) */
static TreeNode *
leaf_node(TreeReader *t, uint32 i)
{
	TreeNode   *node = t->last;

	if (node && node->first <= i && i < node->first + node->nkids)
		return node;
	node = &t->root;
	while (node->level > 1)
		node = node_load(t, child_of(node, i));
	t->last = node;
	return node;
}

/* tree_desc: the descriptor of range i (i < t->n); valid as long as t */
const RangeDesc *
tree_desc(TreeReader *t, uint32 i)
{
	TreeNode   *node;

	Assert(i < t->n);
	node = leaf_node(t, i);
	return &node->kids[i - node->first];
}

/*
 * tree_node_at: the index node of `level` whose first range is range i,
 * unread (only the nodes above it are read), or NULL when none starts
 * there. Two trees whose nodes at their positions have equal ids hold the
 * same ranges there: callers skip node->desc.leaves ranges at once.
 */
const TreeNode *
tree_node_at(TreeReader *t, uint32 i, uint32 level)
{
	TreeNode   *node = &t->root;

	if (i >= t->n || level < 1 || level >= t->height)
		return NULL;
	while (node->level > level)
		node = child_of(node_load(t, node), i);
	return node->first == i ? node : NULL;
}

/* visit the ids of every index node under node (loading those above level 1) */
static void
visit_nodes(TreeReader *t, TreeNode *node, void (*fn) (void *arg, const uint8 *id),
			void *arg)
{
	if (node->level <= 1)
		return;
	node_load(t, node);
	for (uint32 k = 0; k < node->nkids; k++)
	{
		fn(arg, node->kids[k].id);
		visit_nodes(t, &node->sub[k], fn, arg);
	}
}

/*
 * tree_index_node_ids: call fn with the id of every index node of the tree
 * (reads every node above level 1).
 */
void
tree_index_node_ids(TreeReader *t, void (*fn) (void *arg, const uint8 *id), void *arg)
{
	if (t->root.level > 1)
	{
		for (uint32 k = 0; k < t->root.nkids; k++)
		{
			fn(arg, t->root.kids[k].id);
			visit_nodes(t, &t->root.sub[k], fn, arg);
		}
	}
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

/* the first of n descriptors whose max key is >= key (n when none is) */
static uint32
first_max_at_least(const RangeDesc *d, uint32 n, const char *key, uint32 len)
{
	uint32		lo = 0,
				hi = n;

	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;

		if (lk_keycmp(d[mid].max_key, d[mid].max_len, key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * tree_find_range: index of the first range whose max key is >= key (n when
 * key is past the last range): the range that holds key, if any does.
 * Reads only the index nodes on the way down to it.
 */
uint32
tree_find_range(TreeReader *t, const char *key, uint32 len)
{
	TreeNode   *node = &t->root;

	for (;;)
	{
		uint32		k = first_max_at_least(node->kids, node->nkids, key, len);

		if (k >= node->nkids)
			return t->n;		/* only at the root: a child's max bounds its kids */
		if (node->level == 1)
		{
			t->last = node;
			return node->first + k;
		}
		node = node_load(t, &node->sub[k]);
	}
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

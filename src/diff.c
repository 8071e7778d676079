/*-------------------------------------------------------------------------
 *
 * diff.c
 *		Streaming differences between two trees, and between a branch's
 *		staging area and its committed tree.
 *
 * A tree diff walks both trees together. Each side's head is either a
 * range descriptor (not yet read) or an entry of its one open range. At
 * every step:
 *
 *   - two heads at the start of index nodes of one level with equal ids
 *     are skipped together with all their ranges, neither node read (the
 *     highest level first): a diff reads the nodes on the paths to the
 *     ranges that differ and no other;
 *   - two range heads with equal ids are skipped together, unread: equal
 *     ids mean equal bytes, hence equal keys and entries;
 *   - a range head whose min key is <= the other side's key is opened
 *     (its entries may come first); a range whose max key lies before the
 *     other side's position is therefore opened alone and emitted whole;
 *   - two entries are merge-joined: the smaller one is a one-sided change,
 *     equal paths with different entries are a change.
 *
 * Because boundaries are content-defined, the two sides re-align right
 * after a changed stretch and the equal-id skip resumes, so the cost is
 * O(ranges holding changes + changes) plus one pass over the descriptors.
 * Inside a pair of differing ranges, runs of byte-identical encodings after
 * an equal entry are decoded on one side only, and an identical tail not at
 * all (skip_common).
 *
 * Memory: a diff lives in the context current at tree_diff_init; it holds
 * at most one range per side and frees each when it is left. Records point
 * into the iterator and stay valid until the next call: advancing past the
 * entries of a record is deferred to the start of that call (as listing.c
 * does), so a caller may keep using a record while it probes other trees.
 *
 * A staging diff walks the staged rows in path order and looks each one up
 * in the head tree with a TreeProbe, which opens each touched range once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "commit.h"
#include "diff.h"

const char *
diff_type_name(DiffType t)
{
	switch (t)
	{
		case DIFF_ADDED:
			return "added";
		case DIFF_REMOVED:
			return "removed";
		case DIFF_CHANGED:
			return "changed";
		case DIFF_PREFIX_CHANGED:
			return "prefix_changed";
		case DIFF_CONFLICT:
			return "conflict";
	}
	return "?";
}

static bool
bytes_equal(const char *a, uint32 alen, const char *b, uint32 blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* metadata_empty: no user metadata ("" as stored when none, or "{}") */
static bool
metadata_empty(const char *md, uint32 len)
{
	return len == 0 || (len == 2 && md[0] == '{' && md[1] == '}');
}

/*
 * entries_equal: do a and b hold the same content? This is lakeFS's entry
 * identity (pkg/catalog/entry.go, EntryToValue: the hash of size, ETag,
 * user metadata and the optional content type): two entries are the same
 * when their size, checksum, content type and user metadata are, whatever
 * their physical address, address kind, last-modified time or path (the
 * path is the key; callers compare entries at one key). An empty content
 * type is no content type and no metadata is empty metadata, as lakeFS's
 * MarshalStringOpt and MarshalStringMap hash them. NULL stands for "absent";
 * two absent entries are equal.
 */
bool
entries_equal(const LakefsEntry *a, const LakefsEntry *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->size == b->size &&
		bytes_equal(a->checksum, a->checksum_len, b->checksum, b->checksum_len) &&
		bytes_equal(a->content_type, a->content_type_len,
					b->content_type, b->content_type_len) &&
		(metadata_empty(a->metadata, a->metadata_len) ?
		 metadata_empty(b->metadata, b->metadata_len) :
		 bytes_equal(a->metadata, a->metadata_len, b->metadata, b->metadata_len));
}

static bool
has_prefix(const char *path, uint32 len, const char *prefix, uint32 plen)
{
	return len >= plen && memcmp(path, prefix, plen) == 0;
}

/* ---- tree diff ---- */

/* side_step: the next entry of the open range; closes it at its end */
static void
side_step(DiffSide *s)
{
	int			rc = range_reader_next(&s->reader, &s->e);

	if (rc == LK_CODEC_OK)
		return;
	if (rc != LK_CODEC_END)
		lakefs_codec_error(rc, "range", tree_desc(s->tree, s->next - 1)->id);
	pfree(s->data);
	s->data = NULL;
	s->open = false;
}

/* side_open: load the head range and position on its first entry */
static void
side_open(DiffSide *s)
{
	s->data = tree_load_range(s->tree, s->next);
	tree_range_reader(s->data, &s->reader);
	s->open = true;
	s->next++;
	side_step(s);
}

/*
 * node_starting_at: the highest index node whose first range is range i
 * (read: only the nodes above it), or NULL when none starts there.
 */
static const TreeNode *
node_starting_at(TreeReader *t, uint32 i)
{
	for (uint32 level = t->height - 1; level >= 1; level--)
	{
		const TreeNode *node = tree_node_at(t, i, level);

		if (node)
			return node;
	}
	return NULL;
}

/*
 * side_key: the side's current key (entry path or head range min key), or
 * NULL when the side is exhausted or past every path under the prefix.
 */
static const char *
side_key(const TreeDiff *d, const DiffSide *s, uint32 *len)
{
	const char *k;

	if (s->open)
	{
		k = s->e.path;
		*len = s->e.path_len;
	}
	else if (s->next < s->tree->n)
	{
		/* at the start of an index node, its bounds: the node stays unread */
		const TreeNode *node = node_starting_at(s->tree, s->next);

		if (node)
		{
			k = node->desc.min_key;
			*len = node->desc.min_len;
		}
		else
		{
			const RangeDesc *rd = tree_desc(s->tree, s->next);

			k = rd->min_key;
			*len = rd->min_len;
		}
	}
	else
		return NULL;
	if (d->prefix_len > 0 && !has_prefix(k, *len, d->prefix, d->prefix_len) &&
		lk_keycmp(k, *len, d->prefix, d->prefix_len) > 0)
		return NULL;
	return k;
}

/*
 * tree_diff_init: prepare a diff of left -> right restricted to paths that
 * start with prefix ("" for all). Both trees must outlive the diff.
 */
void
tree_diff_init(TreeDiff *d, TreeReader *left, TreeReader *right, const char *prefix)
{
	memset(d, 0, sizeof(*d));
	d->l.tree = left;
	d->r.tree = right;
	d->prefix = pstrdup(prefix ? prefix : "");
	d->prefix_len = strlen(d->prefix);
	d->l.next = tree_find_range(left, d->prefix, d->prefix_len);
	d->r.next = tree_find_range(right, d->prefix, d->prefix_len);
}

/* emit_one: a one-sided record for side s, unless below the prefix */
static bool
emit_one(TreeDiff *d, DiffSide *s, bool left, DiffRecord *rec)
{
	if (!has_prefix(s->e.path, s->e.path_len, d->prefix, d->prefix_len))
	{
		side_step(s);
		return false;
	}
	rec->type = left ? DIFF_REMOVED : DIFF_ADDED;
	rec->left = left ? &s->e : NULL;
	rec->right = left ? NULL : &s->e;
	if (left)
		d->advance_l = true;
	else
		d->advance_r = true;
	return true;
}

/* the length of the common prefix of a and b (n bytes at most) */
static size_t
common_prefix(const uint8 *a, const uint8 *b, size_t n)
{
	size_t		i = 0;

	while (i + 64 <= n && memcmp(a + i, b + i, 64) == 0)
		i += 64;
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/*
 * skip_common: step both sides past the run of equal entries that follows
 * their current (equal) entries. Equal entries (same path, same content;
 * a reader's state is its path alone) leave both readers in the same state, so from here byte-identical encodings decode to equal entries:
 * the run is decoded on the left only (the right reader is then moved to the
 * same offset with the same path), and an identical tail closes both ranges
 * without decoding it. A range pair with one change thus costs about half a
 * range's decoding instead of two ranges'.
 */
static void
skip_common(TreeDiff *d)
{
	RangeReader *lr = &d->l.reader;
	RangeReader *rr = &d->r.reader;
	const uint8 *l0 = lr->p;
	size_t		llen = lr->end - lr->p;
	size_t		rlen = rr->end - rr->p;
	size_t		common = common_prefix(lr->p, rr->p, Min(llen, rlen));
	size_t		done = 0;
	uint64		k = 0;

	if (common == llen && common == rlen && lr->remaining == rr->remaining)
	{
		lr->p = lr->end;
		rr->p = rr->end;
		lr->remaining = rr->remaining = 0;
		side_step(&d->l);
		side_step(&d->r);
		return;
	}
	for (;;)
	{
		side_step(&d->l);
		if (!d->l.open || (size_t) (lr->p - l0) > common)
			break;				/* the left is past the identical run */
		done = lr->p - l0;
		k++;
		memcpy(rr->path, lr->path, lr->path_len);
		rr->path_len = lr->path_len;
	}
	rr->p += done;
	rr->remaining -= k;
	side_step(&d->r);
}

/* emit_both: a changed record when the equal-path entries differ */
static bool
emit_both(TreeDiff *d, DiffRecord *rec)
{
	if (entries_equal(&d->l.e, &d->r.e))
	{
		skip_common(d);
		return false;
	}
	if (!has_prefix(d->l.e.path, d->l.e.path_len, d->prefix, d->prefix_len))
	{
		side_step(&d->l);
		side_step(&d->r);
		return false;
	}
	rec->type = DIFF_CHANGED;
	rec->left = &d->l.e;
	rec->right = &d->r.e;
	d->advance_l = d->advance_r = true;
	return true;
}

/*
 * skip_equal_nodes: when both sides stand at the first range of index nodes
 * of one level with equal ids, pass all their ranges unread (equal ids:
 * equal subtrees), without reading the nodes either. The highest such
 * level is tried first; going down a level reads the two nodes that
 * differed.
 */
static bool
skip_equal_nodes(TreeDiff *d)
{
	uint32		top = Min(d->l.tree->height, d->r.tree->height);

	for (uint32 level = top - 1; level >= 1; level--)
	{
		const TreeNode *ln = tree_node_at(d->l.tree, d->l.next, level);
		const TreeNode *rn;

		if (ln == NULL)
			continue;
		rn = tree_node_at(d->r.tree, d->r.next, level);
		if (rn == NULL || memcmp(ln->desc.id, rn->desc.id, LK_ID_LEN) != 0)
			continue;
		d->l.next += (uint32) ln->desc.leaves;
		d->r.next += (uint32) rn->desc.leaves;
		d->ranges_skipped += (int64) ln->desc.leaves;
		return true;
	}
	return false;
}

/*
 * tree_diff_next: the next difference in path order into *rec; false at the
 * end. Throws on catalog corruption.
 */
bool
tree_diff_next(TreeDiff *d, DiffRecord *rec)
{
	if (d->advance_l)
		side_step(&d->l);
	if (d->advance_r)
		side_step(&d->r);
	d->advance_l = d->advance_r = false;
	for (;;)
	{
		uint32		llen = 0,
					rlen = 0;
		const char *lk = side_key(d, &d->l, &llen);
		const char *rk = side_key(d, &d->r, &rlen);
		int			c;

		CHECK_FOR_INTERRUPTS();
		if (lk == NULL && rk == NULL)
			return false;
		if (lk && rk && !d->l.open && !d->r.open && skip_equal_nodes(d))
			continue;
		if (lk && rk && !d->l.open && !d->r.open &&
			memcmp(tree_desc(d->l.tree, d->l.next)->id,
				   tree_desc(d->r.tree, d->r.next)->id, LK_ID_LEN) == 0)
		{
			d->l.next++;
			d->r.next++;
			d->ranges_skipped++;
			continue;
		}
		c = lk == NULL ? 1 : rk == NULL ? -1 : lk_keycmp(lk, llen, rk, rlen);
		if (!d->l.open && c <= 0)
			side_open(&d->l);
		else if (!d->r.open && c >= 0)
			side_open(&d->r);
		else if (c < 0 ? emit_one(d, &d->l, true, rec) :
				 c > 0 ? emit_one(d, &d->r, false, rec) : emit_both(d, rec))
			return true;
	}
}

/*
 * tree_diff_seek: continue the diff at the ranges that may hold key: every
 * range ending before key is passed unread on both sides. Records before key
 * may still come from the range that holds it; callers filter them.
 */
void
tree_diff_seek(TreeDiff *d, const char *key, uint32 len)
{
	tree_diff_end(d);
	d->advance_l = d->advance_r = false;
	d->l.next = tree_find_range(d->l.tree, key, len);
	d->r.next = tree_find_range(d->r.tree, key, len);
}

/* tree_diff_end: release the open ranges (the trees stay the caller's) */
void
tree_diff_end(TreeDiff *d)
{
	if (d->l.data)
		pfree(d->l.data);
	if (d->r.data)
		pfree(d->r.data);
	d->l.data = d->r.data = NULL;
	d->l.open = d->r.open = false;
}

/* ---- point lookups ---- */

void
tree_probe_init(TreeProbe *p, TreeReader *tree)
{
	memset(p, 0, sizeof(*p));
	p->tree = tree;
	p->cur = -1;
}

static void
probe_step(TreeProbe *p)
{
	int			rc = range_reader_next(&p->reader, &p->e);

	if (rc != LK_CODEC_OK && rc != LK_CODEC_END)
		lakefs_codec_error(rc, "range", tree_desc(p->tree, (uint32) p->cur)->id);
	p->have_e = rc == LK_CODEC_OK;
}

/*
 * tree_probe: the entry at path into *out (pointing into the probe, valid
 * until its next call), or false when the tree has none. Successive calls
 * must ask for ascending paths; a path between two ranges loads nothing.
 */
bool
tree_probe(TreeProbe *p, const char *path, uint32 len, LakefsEntry *out)
{
	uint32		i = tree_find_range(p->tree, path, len);
	const RangeDesc *d;

	if (i >= p->tree->n)
		return false;
	d = tree_desc(p->tree, i);
	if (lk_keycmp(path, len, d->min_key, d->min_len) < 0)
		return false;
	if ((int64) i != p->cur)
	{
		if ((int64) i < p->cur)
			elog(ERROR, "tree probe: paths out of order at \"%.*s\"", (int) len, path);
		if (p->data)
			pfree(p->data);
		p->data = tree_load_range(p->tree, i);
		tree_range_reader(p->data, &p->reader);
		p->cur = i;
		probe_step(p);
	}
	while (p->have_e && lk_keycmp(p->e.path, p->e.path_len, path, len) < 0)
		probe_step(p);
	if (!p->have_e || lk_keycmp(p->e.path, p->e.path_len, path, len) != 0)
		return false;
	*out = p->e;
	return true;
}

void
tree_probe_end(TreeProbe *p)
{
	if (p->data)
		pfree(p->data);
	p->data = NULL;
	p->cur = -1;
}


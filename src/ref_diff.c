/*-------------------------------------------------------------------------
 *
 * ref_diff.c
 *		The diff of two refs as lakefs_diff returns it: a branch read with
 *		its staged changes, a delimiter collapsing the changes below a common
 *		prefix into one row, paging after a path, and three-dot mode.
 *
 * Three streams ordered by path are merged: the tree diff of the two sides'
 * committed trees (range pairs with equal ids passed unread, diff.c), and
 * each branch side's staged changes. A path in none of them is the same on
 * both sides. For a path only a staging stream names, the two committed
 * trees agree, so one probe of the left tree gives both sides' committed
 * entry; the staged change, where there is one, replaces it. The two final
 * entries are compared and equal ones are no change. Cost: O(ranges holding
 * committed changes + staged changes + rows).
 *
 * Seeking: `after` and each collapsed prefix move every stream forward at
 * once (tree_diff_seek passes every range ending before the key unread;
 * staging_cursor_seek skips in place), so a page costs its own rows plus the
 * range pair holding its start, not the rows before it. A stream already at
 * or past the key is left where it is (seeks never go backwards).
 *
 * Three-dot: the left tree is the merge base's (no staging), the right side
 * the right ref. Each row's path is then looked up in the left ref (its tree
 * and, for a branch, its staged changes) in the same ascending order; a path
 * the left ref changed as well, to something other than what the right side
 * has, is a conflict, as in lakeFS's compare and lakefs_merge.
 *
 * Memory: everything lives in the context current at init and dies with it.
 * A record points into the streams and stays valid until the next call:
 * advancing past it is deferred to the start of that call (as listing.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "diff.h"

static bool
has_prefix(const char *path, uint32 len, const char *prefix, uint32 plen)
{
	return len >= plen && memcmp(path, prefix, plen) == 0;
}

/* ---- the staged changes of one side ---- */

static void
overlay_fetch(RefDiff *d, OverlaySide *o)
{
	o->advance = false;
	o->s = staging_cursor_next(o->cursor);
	/* the cursor started at or after the prefix: leaving it is the end */
	if (o->s && !has_prefix(o->s->entry.path, o->s->entry.path_len,
							d->prefix, d->prefix_len))
		o->s = NULL;
}

static void
overlay_open(RefDiff *d, OverlaySide *o, const char *branch, const char *from)
{
	memset(o, 0, sizeof(*o));
	if (branch == NULL)
		return;
	o->cursor = staging_cursor_open(d->repo->id, branch, from);
	overlay_fetch(d, o);
}

/* overlay_seek: the first staged change with path >= key (never backwards) */
static void
overlay_seek(RefDiff *d, OverlaySide *o, const char *key, uint32 len)
{
	if (o->s == NULL || lk_keycmp(o->s->entry.path, o->s->entry.path_len, key, len) >= 0)
		return;
	staging_cursor_seek(o->cursor, key);
	overlay_fetch(d, o);
}

static void
overlay_close(OverlaySide *o)
{
	if (o->cursor)
		staging_cursor_close(o->cursor);
	o->cursor = NULL;
	o->s = NULL;
}

/* ---- the tree diff stream ---- */

static const char *
t_path(const RefDiff *d, uint32 *len)
{
	const LakefsEntry *e = d->t.left ? d->t.left : d->t.right;

	*len = e->path_len;
	return e->path;
}

static void
tree_fetch(RefDiff *d)
{
	d->advance_t = false;
	d->have_t = d->tree_live && tree_diff_next(&d->tree, &d->t);
}

/* the key after every path that starts with key (paths hold no 0xff byte) */
static char *
key_successor(const char *key, uint32 len, uint32 *out_len)
{
	char	   *s = palloc(len + 1);

	memcpy(s, key, len);
	while (len > 0 && (uint8) s[len - 1] == 0xff)
		len--;
	if (len > 0)
		s[len - 1]++;
	s[len] = '\0';
	*out_len = len;
	return s;
}

/*
 * seek_all: move every stream to the first path >= key (key NUL-terminated,
 * len bytes). Streams already there stay.
 */
static void
seek_all(RefDiff *d, const char *key, uint32 len)
{
	uint32		tlen = 0;
	const char *tp = d->have_t ? t_path(d, &tlen) : NULL;

	if (tp && lk_keycmp(tp, tlen, key, len) < 0)
	{
		tree_diff_seek(&d->tree, key, len);
		tree_fetch(d);
	}
	overlay_seek(d, &d->ls, key, len);
	overlay_seek(d, &d->rs, key, len);
}

/* the deferred steps past the streams the last record came from */
static void
apply_advances(RefDiff *d)
{
	if (d->advance_t)
		tree_fetch(d);
	if (d->ls.advance)
		overlay_fetch(d, &d->ls);
	if (d->rs.advance)
		overlay_fetch(d, &d->rs);
}

/*
 * ref_diff_start: the common part of the two inits. left and right are the
 * committed trees, lbranch/rbranch the branches whose staging overlays them
 * (NULL for none). after, when not NULL, is the exclusive start path; with a
 * delimiter, an after ending in it (a prefix row of the previous page) skips
 * everything below that prefix.
 */
static void
ref_diff_start(RefDiff *d, TreeReader *left, TreeReader *right, const char *lbranch,
			   const char *rbranch, const char *prefix, const char *delimiter,
			   const char *after)
{
	const char *from;

	d->prefix = pstrdup(prefix ? prefix : "");
	d->prefix_len = strlen(d->prefix);
	if (delimiter && delimiter[0])
	{
		d->delimiter = pstrdup(delimiter);
		d->delimiter_len = strlen(delimiter);
	}
	if (after)
	{
		uint32		alen = strlen(after);

		if (d->delimiter && alen >= d->delimiter_len &&
			memcmp(after + alen - d->delimiter_len, d->delimiter, d->delimiter_len) == 0)
		{
			d->start = key_successor(after, alen, &d->start_len);
			d->start_incl = true;
		}
		else
		{
			d->start = pstrdup(after);
			d->start_len = alen;
		}
	}
	from = d->start && strcmp(d->start, d->prefix) > 0 ? d->start : d->prefix;

	d->tree_live = memcmp(left->id, right->id, LK_ID_LEN) != 0;
	tree_diff_init(&d->tree, left, right, d->prefix);
	if (from != d->prefix)
		tree_diff_seek(&d->tree, from, strlen(from));
	tree_fetch(d);
	tree_probe_init(&d->base, left);
	overlay_open(d, &d->ls, lbranch, from);
	overlay_open(d, &d->rs, rbranch, from);
}

static TreeReader *
commit_tree(LkRepo *repo, const char *commit)
{
	return tree_open(repo->id, refs_get_commit(repo, commit)->metarange_id);
}

/*
 * ref_diff_init: the diff of left_ref -> right_ref (two-dot), or of their
 * merge base -> right_ref with conflicts against left_ref (three-dot), under
 * prefix, after the path after (NULL: from the start), collapsed by
 * delimiter (NULL or "": none). Throws 42704/22023/42P08 for a bad ref and
 * 55000 when three-dot refs have no common ancestor.
 */
void
ref_diff_init(RefDiff *d, LkRepo *repo, const char *left_ref, const char *right_ref,
			  RefDiffMode mode, const char *prefix, const char *delimiter,
			  const char *after)
{
	LkRef		l;
	LkRef		r;

	memset(d, 0, sizeof(*d));
	d->repo = repo;
	refs_resolve(repo, left_ref, &l);
	refs_resolve(repo, right_ref, &r);
	if (mode == REF_DIFF_THREE_DOT)
	{
		LkCommitId	base;

		if (!refs_merge_base(repo, l.commit, r.commit, base))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("\"%s\" and \"%s\" have no common ancestor", left_ref, right_ref),
					 errhint("A three-dot diff starts at the merge base of the two refs; "
							 "use mode => 'two-dot' to compare them directly.")));
		d->three_dot = true;
		ref_diff_start(d, commit_tree(repo, base), commit_tree(repo, r.commit), NULL,
					   r.branch, prefix, delimiter, after);
		tree_probe_init(&d->dest, commit_tree(repo, l.commit));
		overlay_open(d, &d->ds, l.branch,
					 d->start && strcmp(d->start, d->prefix) > 0 ? d->start : d->prefix);
	}
	else
		ref_diff_start(d, commit_tree(repo, l.commit), commit_tree(repo, r.commit),
					   l.branch, r.branch, prefix, delimiter, after);
}

/*
 * ref_diff_init_trees: the difference between two trees given by their
 * metarange ids, with no staging on either side (what a running pre-hook's
 * operation changes: lakefs_pending_changes). Throws on catalog errors.
 */
void
ref_diff_init_trees(RefDiff *d, LkRepo *repo, const uint8 *left, const uint8 *right)
{
	memset(d, 0, sizeof(*d));
	d->repo = repo;
	ref_diff_start(d, tree_open(repo->id, left), tree_open(repo->id, right), NULL, NULL,
				   "", NULL, NULL);
}

/*
 * ref_diff_init_uncommitted: the branch's staged changes against its
 * committed head (lakefs_diff_uncommitted). Throws 42704 for an unknown
 * branch.
 */
void
ref_diff_init_uncommitted(RefDiff *d, LkRepo *repo, const char *branch,
						  const char *prefix, const char *after)
{
	LkCommitId	head;
	TreeReader *tree;

	memset(d, 0, sizeof(*d));
	d->repo = repo;
	if (!catalog_get_branch(repo->id, branch, BRANCH_LOCK_NONE, head))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("branch \"%s\" not found in repository \"%s\"", branch, repo->name)));
	tree = commit_tree(repo, head);
	ref_diff_start(d, tree, tree, NULL, branch, prefix, NULL, after);
}

/* the left ref's entry at path (three-dot), valid until the next call */
static const LakefsEntry *
dest_lookup(RefDiff *d, const char *path, uint32 len)
{
	OverlaySide *o = &d->ds;

	if (o->s && lk_keycmp(o->s->entry.path, o->s->entry.path_len, path, len) < 0)
	{
		char	   *key = pnstrdup(path, len);

		staging_cursor_seek(o->cursor, key);
		overlay_fetch(d, o);
		pfree(key);
	}
	if (o->s && lk_keycmp(o->s->entry.path, o->s->entry.path_len, path, len) == 0)
		return o->s->tombstone ? NULL : &o->s->entry;
	return tree_probe(&d->dest, path, len, &d->dest_e) ? &d->dest_e : NULL;
}

/* is path before the start (skipped)? */
static bool
before_start(const RefDiff *d, const char *path, uint32 len)
{
	int			c;

	if (d->start == NULL)
		return false;
	c = lk_keycmp(path, len, d->start, d->start_len);
	return c < 0 || (c == 0 && !d->start_incl);
}

/* the smallest current path of the streams, NULL when all are done */
static const char *
next_path(RefDiff *d, uint32 *len)
{
	const char *p = NULL;
	const OverlaySide *sides[2] = {&d->ls, &d->rs};

	if (d->have_t)
		p = t_path(d, len);
	for (int i = 0; i < 2; i++)
	{
		const LakefsEntry *e = sides[i]->s ? &sides[i]->s->entry : NULL;

		if (e && (p == NULL || lk_keycmp(e->path, e->path_len, p, *len) < 0))
		{
			p = e->path;
			*len = e->path_len;
		}
	}
	return p;
}

static bool
side_at(const OverlaySide *o, const char *p, uint32 len)
{
	return o->s && lk_keycmp(o->s->entry.path, o->s->entry.path_len, p, len) == 0;
}

/*
 * collapse: when the path has the delimiter after the prefix, make rec the
 * prefix_changed row of its common prefix and seek every stream past it.
 */
static bool
collapse(RefDiff *d, const char *p, uint32 len, RefDiffRecord *rec)
{
	const char *rest = p + d->prefix_len;
	uint32		rlen = len - d->prefix_len;
	uint32		succ_len;

	if (d->delimiter == NULL)
		return false;
	for (uint32 i = 0; i + d->delimiter_len <= rlen; i++)
	{
		if (memcmp(rest + i, d->delimiter, d->delimiter_len) != 0)
			continue;
		if (d->common)
			pfree(d->common);
		d->common = pnstrdup(p, d->prefix_len + i + d->delimiter_len);
		rec->type = DIFF_PREFIX_CHANGED;
		rec->path = d->common;
		rec->path_len = d->prefix_len + i + d->delimiter_len;
		rec->left = rec->right = NULL;
		if (d->start)
			pfree(d->start);
		d->start = key_successor(d->common, rec->path_len, &succ_len);
		d->start_len = succ_len;
		d->start_incl = true;
		seek_all(d, d->start, d->start_len);
		return true;
	}
	return false;
}

/*
 * ref_diff_next: the next row into *rec, in path order; false at the end.
 * Throws on catalog corruption.
 */
bool
ref_diff_next(RefDiff *d, RefDiffRecord *rec)
{
	apply_advances(d);
	for (;;)
	{
		uint32		len = 0;
		const char *p = next_path(d, &len);
		const LakefsEntry *l;
		const LakefsEntry *r;
		bool		at_t;

		CHECK_FOR_INTERRUPTS();
		if (p == NULL)
			return false;
		at_t = d->have_t;
		if (at_t)
		{
			uint32		tlen;
			const char *tp = t_path(d, &tlen);

			at_t = lk_keycmp(tp, tlen, p, len) == 0;
		}
		d->advance_t = at_t;
		d->ls.advance = side_at(&d->ls, p, len);
		d->rs.advance = side_at(&d->rs, p, len);
		if (before_start(d, p, len))
		{
			apply_advances(d);
			continue;
		}
		if (at_t)
		{
			l = d->t.left;
			r = d->t.right;
		}
		else
			l = r = tree_probe(&d->base, p, len, &d->base_e) ? &d->base_e : NULL;
		if (d->ls.advance)
			l = d->ls.s->tombstone ? NULL : &d->ls.s->entry;
		if (d->rs.advance)
			r = d->rs.s->tombstone ? NULL : &d->rs.s->entry;
		if (entries_equal(l, r))
		{
			apply_advances(d);
			continue;
		}
		if (collapse(d, p, len, rec))
			return true;
		rec->type = l == NULL ? DIFF_ADDED : r == NULL ? DIFF_REMOVED : DIFF_CHANGED;
		rec->path = p;
		rec->path_len = len;
		rec->left = l;
		rec->right = r;
		if (d->three_dot)
		{
			const LakefsEntry *dst = dest_lookup(d, p, len);

			if (!entries_equal(dst, l) && !entries_equal(dst, r))
			{
				rec->type = DIFF_CONFLICT;
				rec->left = dst;
			}
		}
		return true;
	}
}

/* ref_diff_end: close the cursors and ranges (the trees die with the context) */
void
ref_diff_end(RefDiff *d)
{
	tree_diff_end(&d->tree);
	tree_probe_end(&d->base);
	overlay_close(&d->ls);
	overlay_close(&d->rs);
	if (d->three_dot)
	{
		tree_probe_end(&d->dest);
		overlay_close(&d->ds);
	}
}

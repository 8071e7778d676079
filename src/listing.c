/*-------------------------------------------------------------------------
 *
 * listing.c
 *		Iterating the entries of a ref in path order: the committed tree,
 *		with the branch's staged upserts and tombstones laid over it when the
 *		ref names a branch.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commit.h"
#include "listing.h"

static void
advance_tree(RefListing *l)
{
	l->have_tree = tree_iter_next(&l->it, &l->tree_e);
}

static void
advance_staging(RefListing *l)
{
	l->staged = l->staging ? staging_cursor_next(l->staging) : NULL;
	if (l->staged)
		l->staged_e = l->staged->entry;
}

/* listing_open: entries of ref with path >= from (from may be ""). */
RefListing *
listing_open(LkRepo *repo, const LkRef *ref, const char *from)
{
	RefListing *l = palloc0(sizeof(RefListing));
	LkCommit   *c = refs_get_commit(repo, ref->commit);

	l->repo = repo;
	l->tree = tree_open(repo->id, c->metarange_id);
	tree_iter_init(&l->it, l->tree);
	l->branch = ref->branch;
	listing_seek(l, from);
	return l;
}

/* listing_seek: continue at the first path >= from (never backwards). */
void
listing_seek(RefListing *l, const char *from)
{
	l->advance_tree = l->advance_staging = false;
	tree_iter_seek(&l->it, from, strlen(from));
	advance_tree(l);
	if (l->branch)
	{
		if (l->staging)
			staging_cursor_seek(l->staging, from);
		else
			l->staging = staging_cursor_open(l->repo->id, l->branch, from);
		advance_staging(l);
	}
}

/*
 * listing_next: the next visible entry. Its strings stay valid until the next
 * call (the iterators advance lazily, at the start of the next call).
 */
bool
listing_next(RefListing *l, LakefsEntry *e)
{
	if (l->advance_tree)
		advance_tree(l);
	if (l->advance_staging)
		advance_staging(l);
	l->advance_tree = l->advance_staging = false;
	for (;;)
	{
		int			c;

		if (!l->have_tree && !l->staged)
			return false;
		c = !l->staged ? -1 : !l->have_tree ? 1 :
			lk_keycmp(l->tree_e.path, l->tree_e.path_len,
					  l->staged_e.path, l->staged_e.path_len);
		if (c < 0)
		{
			*e = l->tree_e;
			l->advance_tree = true;
			return true;
		}
		if (c == 0)
			advance_tree(l);
		if (!l->staged->tombstone)
		{
			*e = l->staged_e;
			l->advance_staging = true;
			return true;
		}
		advance_staging(l);
	}
}

void
listing_close(RefListing *l)
{
	if (l->staging)
		staging_cursor_close(l->staging);
}

/* listing_lookup: the entry at path in ref, false when there is none. */
bool
listing_lookup(LkRepo *repo, const LkRef *ref, const char *path, LakefsEntry *e)
{
	RefListing *l = listing_open(repo, ref, path);
	bool		found = listing_next(l, e) &&
		lk_keycmp(e->path, e->path_len, path, strlen(path)) == 0;

	listing_close(l);
	return found;
}

/*
 * entry_full_address: the physical address as a URI: full addresses as
 * stored, relative ones under the repository's storage namespace.
 */
char *
entry_full_address(LkRepo *repo, const LakefsEntry *e)
{
	size_t		nslen = strlen(repo->storage_namespace);

	if (e->flags & LK_ENTRY_FULL_ADDRESS)
		return pnstrdup(e->address, e->address_len);
	if (nslen > 0 && repo->storage_namespace[nslen - 1] == '/')
		nslen--;
	return psprintf("%.*s/%.*s", (int) nslen, repo->storage_namespace,
					(int) e->address_len, e->address);
}

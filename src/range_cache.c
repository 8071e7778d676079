/*-------------------------------------------------------------------------
 *
 * range_cache.c
 *		A backend-local LRU cache of range and metarange bytes, keyed by
 *		(repository, kind, content address).
 *
 * Ranges and metaranges are immutable and named by the SHA-256 of their
 * bytes, so a cached copy can never be stale: whatever transaction wrote or
 * rolled back a row, the bytes behind an id are always the same. That makes
 * the cache safe without any invalidation. It saves the catalog fetch (SPI,
 * TOAST chunks, LZ4) when the same trees are read again: a notebook ranking
 * experiments reads the same metarange once per branch, repeated diffs and
 * listings read the same ranges.
 *
 * Memory: entries live in a context under TopMemoryContext, at most
 * pg_lakefs.range_cache_size kilobytes, evicted least recently used first.
 * Callers get a palloc'd copy in their own context (and may pfree it).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "lib/ilist.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "lakefs_hash.h"
#include "range_cache.h"

static int	range_cache_kb = 65536;

/* range_cache_init: define pg_lakefs.range_cache_size (from _PG_init) */
void
range_cache_init(void)
{
	DefineCustomIntVariable("pg_lakefs.range_cache_size",
							"Memory for this backend's cache of ranges and metaranges.",
							"They are immutable and content-addressed, so cached copies "
							"never go stale; 0 disables the cache.",
							&range_cache_kb, 65536, 0, INT_MAX / 1024,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
}

typedef struct CacheKey
{
	int32		repo_id;
	char		kind;
	uint8		id[LK_ID_LEN];
} CacheKey;

typedef struct CacheEntry
{
	CacheKey	key;			/* hash key: first */
	bytea	   *data;
	dlist_node	lru;
} CacheEntry;

static HTAB *cache = NULL;
static MemoryContext cache_cxt = NULL;
static dlist_head lru = DLIST_STATIC_INIT(lru);
static Size cached_bytes = 0;

static void
make_key(CacheKey *k, int32 repo_id, char kind, const uint8 *id)
{
	memset(k, 0, sizeof(*k));
	k->repo_id = repo_id;
	k->kind = kind;
	memcpy(k->id, id, LK_ID_LEN);
}

static void
ensure_cache(void)
{
	HASHCTL		ctl;

	if (cache)
		return;
	cache_cxt = AllocSetContextCreate(TopMemoryContext, "lakefs range cache",
									  ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = sizeof(CacheKey);
	ctl.entrysize = sizeof(CacheEntry);
	ctl.hcxt = cache_cxt;
	cache = hash_create("lakefs range cache", 1024, &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static void
evict_one(void)
{
	CacheEntry *e = dlist_container(CacheEntry, lru, dlist_tail_node(&lru));

	dlist_delete(&e->lru);
	cached_bytes -= VARSIZE(e->data);
	pfree(e->data);
	hash_search(cache, &e->key, HASH_REMOVE, NULL);
}

/* range_cache_get: a copy of the cached bytes, or NULL */
bytea *
range_cache_get(int32 repo_id, char kind, const uint8 *id)
{
	CacheKey	k;
	CacheEntry *e;
	bytea	   *copy;

	if (cache == NULL || range_cache_kb <= 0)
		return NULL;
	make_key(&k, repo_id, kind, id);
	e = hash_search(cache, &k, HASH_FIND, NULL);
	if (e == NULL)
		return NULL;
	dlist_move_head(&lru, &e->lru);
	copy = palloc(VARSIZE(e->data));
	memcpy(copy, e->data, VARSIZE(e->data));
	return copy;
}

/* range_cache_put: remember bytes (a plain, detoasted bytea) */
void
range_cache_put(int32 repo_id, char kind, const uint8 *id, const bytea *data)
{
	Size		limit = (Size) range_cache_kb * 1024;
	CacheKey	k;
	CacheEntry *e;
	bytea	   *copy;
	bool		found;

	if (range_cache_kb <= 0 || VARSIZE(data) > limit / 4)
		return;
	ensure_cache();
	while (cached_bytes + VARSIZE(data) > limit && !dlist_is_empty(&lru))
		evict_one();
	make_key(&k, repo_id, kind, id);
	if (hash_search(cache, &k, HASH_FIND, NULL) != NULL)
		return;
	/* copy first: an allocation failure must not leave a half-made entry */
	copy = MemoryContextAlloc(cache_cxt, VARSIZE(data));
	memcpy(copy, data, VARSIZE(data));
	e = hash_search(cache, &k, HASH_ENTER, &found);
	e->data = copy;
	cached_bytes += VARSIZE(data);
	dlist_push_head(&lru, &e->lru);
}

/*-------------------------------------------------------------------------
 *
 * path_sort.c
 *		Multikey quicksort of paths (Bentley and Sedgewick, "Fast
 *		Algorithms for Sorting and Searching Strings", 1997).
 *
 * Paths of one data set share long prefixes ("raw/Images/class-0042/...");
 * a comparison sort re-compares those prefixes at every step. Multikey
 * quicksort partitions three ways on the path's bytes at depth d and only
 * the "equal" part goes deeper, so every byte is examined about log n times
 * instead of every comparison scanning the shared prefix.
 *
 * It partitions on 7 bytes at a time, not one: each item caches in its key
 * the 7 bytes at depth d (big-endian, zero-padded) and, in the low byte,
 * how many bytes the path has from d on, capped at 8 (8: it goes on past
 * the 7). Keys compare as the paths' order from depth d for 7 bytes, a
 * shorter path first; equal keys with a low byte under 8 mean identical
 * paths. The partition passes read the item array alone, sequentially; a
 * path's bytes are read once per 7-byte step (when the keys are loaded),
 * not once per comparison, which is what a sort of a million paths in a
 * 200 MB arena waits for. Small partitions finish with insertion sort. The
 * order is bytewise with a shorter path first on a tie (lk_keycmp's order).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "path_sort.h"

#define INSERTION_CUTOFF 16
#define KEY_BYTES 7

/* the key of it at depth d (see the header comment) */
static inline uint64_t
key_at(const PathItem *it, size_t d)
{
	size_t		rem = it->len > d ? it->len - d : 0;
	const unsigned char *p = it->path + d;
	uint64_t	k = 0;

	if (rem >= 8)
	{
		uint64_t	x;

		memcpy(&x, p, 8);
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		x = __builtin_bswap64(x);
#else
		x = 0;
		for (int i = 0; i < 8; i++)
			x = (x << 8) | p[i];
#endif
		return (x & ~(uint64_t) 0xff) | 8;
	}
	for (size_t i = 0; i < rem && i < KEY_BYTES; i++)
		k |= (uint64_t) p[i] << (56 - 8 * i);
	return k | rem;
}

static inline void
swap_items(PathItem *a, PathItem *b)
{
	PathItem	t = *a;

	*a = *b;
	*b = t;
}

/* compare from depth d (the first d bytes are known equal) */
static inline int
cmp_from(const PathItem *a, const PathItem *b, size_t d)
{
	size_t		la = a->len - d,
				lb = b->len - d;
	int			c = memcmp(a->path + d, b->path + d, la < lb ? la : lb);

	if (c != 0)
		return c;
	return (la > lb) - (la < lb);
}

/* compare two items whose keys are loaded at depth d */
static inline int
cmp_keyed(const PathItem *a, const PathItem *b, size_t d)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if ((a->key & 0xff) < 8)
		return 0;				/* identical paths */
	return cmp_from(a, b, d + KEY_BYTES);
}

static void
insertion_sort(PathItem *a, size_t n, size_t d)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && cmp_keyed(&a[j - 1], &a[j], d) > 0; j--)
			swap_items(&a[j - 1], &a[j]);
}

static uint64_t
median3(uint64_t x, uint64_t y, uint64_t z)
{
	if (x < y)
		return y < z ? y : (x < z ? z : x);
	return x < z ? x : (y < z ? z : y);
}

/*
 * pick: an index in [0, n) from a xorshift generator. The pivot is the
 * median of three random keys: with 7-byte keys a partition level sees
 * many distinct keys, and fixed positions are defeated by periodic input
 * (one directory after another, as a generated manifest lists them), which
 * makes the sort quadratic in the number of directories.
 */
static inline size_t
pick(uint64_t *rng, size_t n)
{
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	return (size_t) (*rng % n);
}

/* sort a[0..n), which agree on their first d bytes and have keys at d */
static void
mkqsort(PathItem *a, size_t n, size_t d, uint64_t *rng)
{
	while (n > INSERTION_CUTOFF)
	{
		uint64_t	pivot = median3(a[pick(rng, n)].key, a[pick(rng, n)].key,
									a[pick(rng, n)].key);
		size_t		lt = 0,
					i = 0,
					gt = n;

		/* Dijkstra's three-way partition on the keys */
		while (i < gt)
		{
			uint64_t	k = a[i].key;

			if (k < pivot)
				swap_items(&a[lt++], &a[i++]);
			else if (k > pivot)
				swap_items(&a[i], &a[--gt]);
			else
				i++;
		}
		mkqsort(a, lt, d, rng);
		mkqsort(a + gt, n - gt, d, rng);
		if ((pivot & 0xff) < 8)
			return;				/* the equal part: identical paths */
		/* continue with the equal part, KEY_BYTES deeper */
		a += lt;
		n = gt - lt;
		d += KEY_BYTES;
		for (size_t k = 0; k < n; k++)
			a[k].key = key_at(&a[k], d);
	}
	insertion_sort(a, n, d);
}

/* path_sort: sort items by path, bytewise, shorter first on a tie */
void
path_sort(PathItem *items, size_t n)
{
	uint64_t	rng = 0x9e3779b97f4a7c15ULL;	/* fixed: the same input sorts the same way */

	for (size_t i = 0; i < n; i++)
		items[i].key = key_at(&items[i], 0);
	mkqsort(items, n, 0, &rng);
}

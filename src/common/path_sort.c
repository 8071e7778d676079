/*-------------------------------------------------------------------------
 *
 * path_sort.c
 *		Multikey quicksort of paths (Bentley and Sedgewick, "Fast
 *		Algorithms for Sorting and Searching Strings", 1997).
 *
 * Paths of one data set share long prefixes ("raw/Images/class-0042/...");
 * a comparison sort re-compares those prefixes at every step. Multikey
 * quicksort partitions three ways on the byte at depth d and only the
 * "equal" part goes one byte deeper, so every byte is examined about
 * log n times instead of every comparison scanning the shared prefix; a
 * partition that agrees on a byte skips all the bytes it shares in one pass.
 * Small partitions finish with insertion sort from depth d. The order is
 * bytewise with a shorter path first on a tie (lk_keycmp's order).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "path_sort.h"

#define INSERTION_CUTOFF 12

/* byte at depth d, or -1 past the end (so shorter paths sort first) */
static inline int
byte_at(const PathItem *it, size_t d)
{
	return d < it->len ? it->path[d] : -1;
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

static void
insertion_sort(PathItem *a, size_t n, size_t d)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && cmp_from(&a[j - 1], &a[j], d) > 0; j--)
			swap_items(&a[j - 1], &a[j]);
}

static int
median3(int x, int y, int z)
{
	if (x < y)
		return y < z ? y : (x < z ? z : x);
	return x < z ? x : (y < z ? z : y);
}

/*
 * common_depth: the depth at which a[0..n) stop agreeing, knowing they agree
 * on the first d bytes; one pass instead of one partition pass per byte.
 */
static size_t
common_depth(const PathItem *a, size_t n, size_t d)
{
	size_t		end = a[0].len;

	for (size_t i = 1; i < n && end > d; i++)
	{
		size_t		lim = a[i].len < end ? a[i].len : end;
		size_t		k = d;

		while (k < lim && a[i].path[k] == a[0].path[k])
			k++;
		end = k;
	}
	return end;
}

static void
mkqsort(PathItem *a, size_t n, size_t d)
{
	while (n > INSERTION_CUTOFF)
	{
		int			pivot = median3(byte_at(&a[0], d), byte_at(&a[n / 2], d),
									byte_at(&a[n - 1], d));
		size_t		lt = 0,
					i = 0,
					gt = n;

		/* Dijkstra's three-way partition on the byte at depth d */
		while (i < gt)
		{
			int			c = byte_at(&a[i], d);

			if (c < pivot)
				swap_items(&a[lt++], &a[i++]);
			else if (c > pivot)
				swap_items(&a[i], &a[--gt]);
			else
				i++;
		}
		if (pivot < 0 && lt == 0 && gt == n)
			return;				/* all identical paths */
		if (lt == 0 && gt == n)
		{
			/* all share byte d: skip every further byte they all share */
			d = common_depth(a, n, d + 1);
			continue;
		}
		mkqsort(a, lt, d);
		mkqsort(a + gt, n - gt, d);
		if (pivot < 0)
			return;				/* the equal part ended: identical paths */
		/* continue with the equal part, one byte deeper */
		a += lt;
		n = gt - lt;
		d++;
	}
	insertion_sort(a, n, d);
}

/* path_sort: sort items by path, bytewise, shorter first on a tie */
void
path_sort(PathItem *items, size_t n)
{
	mkqsort(items, n, 0);
}

/*-------------------------------------------------------------------------
 *
 * test_path_sort.c
 *		path_sort against qsort with lk_keycmp on random and prefix-heavy
 *		paths, duplicates, empty and very long paths, periodic input and
 *		NUL bytes.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path_sort.h"
#include "range_codec.h"
#include "tap.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
cmp_items(const void *a, const void *b)
{
	const PathItem *x = a;
	const PathItem *y = b;

	return lk_keycmp((const char *) x->path, x->len, (const char *) y->path, y->len);
}

static int
check(size_t n, int kind)
{
	PathItem   *a = malloc(sizeof(PathItem) * (n + 1));
	PathItem   *b = malloc(sizeof(PathItem) * (n + 1));
	char	  **strs = malloc(sizeof(char *) * (n + 1));
	int			same = 1;

	for (size_t i = 0; i < n; i++)
	{
		char		buf[2048];
		size_t		len;

		if (kind == 0)			/* prefix-heavy, like a data set */
			len = snprintf(buf, sizeof(buf), "raw/Images/class-%04d/img-%09d.jpg",
						   (int) (rnd() % 100), (int) (rnd() % 100000));
		else if (kind == 1)		/* random bytes, short, with duplicates */
		{
			len = rnd() % 4;
			for (size_t k = 0; k < len; k++)
				buf[k] = (char) (rnd() % 3 ? 'a' + rnd() % 3 : 0xff);
		}
		else if (kind == 3)		/* one directory after another, as a generated manifest */
			len = snprintf(buf, sizeof(buf), "raw/Images/class-%04d/img-%09d.jpg",
						   (int) (i % 1000), (int) i);
		else if (kind == 4)		/* NUL bytes inside, lengths around the 7-byte keys */
		{
			len = rnd() % 17;
			for (size_t k = 0; k < len; k++)
				buf[k] = (char) (rnd() % 4 ? 0 : 'a' + rnd() % 2);
		}
		else					/* long shared prefixes and prefixes of each other */
		{
			len = 1000 + rnd() % 24;
			memset(buf, 'x', len);
			buf[len - 1 - rnd() % 8] = 'y';
			len -= rnd() % 3;
		}
		strs[i] = malloc(len + 1);
		memcpy(strs[i], buf, len);
		a[i].path = (const unsigned char *) strs[i];
		a[i].len = (uint32_t) len;
		a[i].data = strs[i];
		b[i] = a[i];
	}
	path_sort(a, n);
	qsort(b, n, sizeof(PathItem), cmp_items);
	for (size_t i = 0; i < n && same; i++)
		if (a[i].len != b[i].len || memcmp(a[i].path, b[i].path, a[i].len) != 0 ||
			a[i].data != (void *) a[i].path)
			same = 0;
	for (size_t i = 0; i < n; i++)
		free(strs[i]);
	free(strs);
	free(a);
	free(b);
	return same;
}

int
main(void)
{
	ok(check(0, 0) && check(1, 0), "empty and single-item inputs");
	ok(check(100000, 0), "100,000 prefix-heavy paths sort as qsort does");
	ok(check(20000, 1), "short random paths with many duplicates and 0xff bytes");
	ok(check(5000, 2), "long paths that share 1000-byte prefixes or are prefixes of each other");
	ok(check(200000, 3), "200,000 paths listed one directory after another");
	ok(check(20000, 4), "paths with NUL bytes, of 0 to 16 bytes");
	for (int t = 0; t < 50; t++)
		if (!check(1 + rnd() % 300, (int) (rnd() % 3)))
		{
			ok(0, "small random inputs");
			return done_testing();
		}
	ok(1, "50 small random inputs");
	return done_testing();
}

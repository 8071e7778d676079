/*-------------------------------------------------------------------------
 *
 * lk_alloc.c
 *		Default (malloc-based) allocator of the plain-C layers.
 *
 * See lk_alloc.h. The server replaces lk_allocator in _PG_init.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>

#include "lk_alloc.h"

static void *
xmalloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory (%zu bytes)\n", size);
		abort();
	}
	return p;
}

static void *
xrealloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory (%zu bytes)\n", size);
		abort();
	}
	return p;
}

LkAllocator lk_allocator = {xmalloc, xrealloc, free};

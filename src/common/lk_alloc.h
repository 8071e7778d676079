/*-------------------------------------------------------------------------
 *
 * lk_alloc.h
 *		The allocator of the plain-C layers (codec, signer, XML parsers).
 *
 * Those layers never include postgres.h, so unit tests and fuzz targets link
 * them alone. Inside the server, _PG_init points these hooks at palloc and
 * friends, so everything they allocate lives in the caller's memory context
 * and dies with it (no leak on ereport). Outside, they are malloc/realloc/free.
 * lk_malloc and lk_realloc never return NULL: the hooks abort (or ereport) on
 * out-of-memory.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LK_ALLOC_H
#define LK_ALLOC_H

#include <stddef.h>

typedef struct LkAllocator
{
	void	   *(*alloc) (size_t size);
	void	   *(*realloc) (void *ptr, size_t size);	/* ptr may be NULL */
	void		(*free) (void *ptr);	/* ptr may be NULL */
} LkAllocator;

/* lk_alloc.c */
extern LkAllocator lk_allocator;

static inline void *
lk_malloc(size_t size)
{
	return lk_allocator.alloc(size);
}

static inline void *
lk_realloc(void *ptr, size_t size)
{
	return lk_allocator.realloc(ptr, size);
}

static inline void
lk_free(void *ptr)
{
	if (ptr)
		lk_allocator.free(ptr);
}

#endif							/* LK_ALLOC_H */

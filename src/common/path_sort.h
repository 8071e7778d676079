/*-------------------------------------------------------------------------
 *
 * path_sort.h
 *		Sorting paths bytewise (the order of COLLATE "C") fast, for bulk
 *		staging.
 *
 * Plain C, no allocation: unit-tested against qsort.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PATH_SORT_H
#define PATH_SORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct PathItem
{
	const unsigned char *path;
	uint32_t	len;
	void	   *data;			/* carried along */
	uint64_t	key;			/* path_sort's scratch: callers need not set it */
} PathItem;

/* path_sort.c */
extern void path_sort(PathItem *items, size_t n);

#endif							/* PATH_SORT_H */

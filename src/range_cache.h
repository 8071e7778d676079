/*-------------------------------------------------------------------------
 *
 * range_cache.h
 *		A backend-local LRU cache of range, index node and metarange bytes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_RANGE_CACHE_H
#define LAKEFS_RANGE_CACHE_H

#include "postgres.h"

#define RANGE_CACHE_RANGE 'R'
#define RANGE_CACHE_METARANGE 'M'
#define RANGE_CACHE_INDEX_NODE 'N'

/* range_cache.c */
/* range_cache_init: define pg_lakefs.range_cache_size (from _PG_init) */
extern void range_cache_init(void);
extern bytea *range_cache_get(int32 repo_id, char kind, const uint8 *id);
extern void range_cache_put(int32 repo_id, char kind, const uint8 *id, const bytea *data);

#endif							/* LAKEFS_RANGE_CACHE_H */

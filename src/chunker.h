/*-------------------------------------------------------------------------
 *
 * chunker.h
 *		Content-defined range boundaries.
 *
 * A range is closed after a key whose hash has its low CHUNK_AVG_BITS bits
 * zero, or when it reaches CHUNK_MAX_ENTRIES. The first rule depends on the
 * key alone, so after any change the writer re-aligns with the base tree's
 * boundaries at the next such key: a commit rewrites only the ranges its
 * changes touch (and the one after a forced cut).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHUNKER_H
#define CHUNKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHUNK_AVG_BITS 11		/* about 2048 entries a range */
#define CHUNK_MAX_ENTRIES 16384

/* chunker.c */
extern bool chunk_is_boundary(const char *key, size_t len, uint32_t count);

#endif							/* CHUNKER_H */

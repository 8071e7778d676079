/*-------------------------------------------------------------------------
 *
 * chunker.h
 *		Content-defined range boundaries.
 *
 * A range is closed after a key whose hash has its low chunk_avg_bits bits
 * zero, or when it reaches 8 times the average (chunk_max_entries()). The first rule depends on the
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

#define CHUNK_AVG_BITS 11		/* default: about 2048 entries a range */

/* chunker.c */
extern int	chunk_avg_bits;		/* pg_lakefs.range_size_bits */
extern bool chunk_is_boundary(const char *key, size_t len, uint32_t count);
extern uint32_t chunk_max_entries(void);

#endif							/* CHUNKER_H */

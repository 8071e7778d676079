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
 * Index nodes (range_codec.h) are cut the same way one level up: a node of
 * level L closes after a child whose max key, hashed with L mixed in, has
 * its low chunk_node_bits bits zero (never after its first child, so every
 * level at least halves the count), or at 8 times the average. The rule
 * depends on the child's max key, not on its id: a change inside a child
 * that keeps its max key moves no node boundary, so a commit rewrites
 * exactly the nodes on the paths to its changed ranges.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHUNKER_H
#define CHUNKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHUNK_AVG_BITS 11		/* default: about 2048 entries a range */
#define CHUNK_NODE_BITS 5		/* default: about 32 children an index node */

/* chunker.c */
extern int	chunk_avg_bits;		/* pg_lakefs.range_size_bits */
extern bool chunk_is_boundary(const char *key, size_t len, uint32_t count);
extern uint32_t chunk_max_entries(void);
extern int	chunk_node_bits;	/* pg_lakefs.index_node_size_bits */
extern bool chunk_node_is_boundary(const char *max_key, size_t len, uint32_t level,
								   uint32_t count);

#endif							/* CHUNKER_H */

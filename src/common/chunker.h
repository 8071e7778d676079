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
 * The defaults (ranges of about 128 entries, nodes of about 16 children)
 * were measured (README, Benchmarks): at 1M entries of ~90 bytes, ranges of
 * 2,048 entries made a one-object commit write ~200 KB of range (and ~60 KB
 * of metarange); 128 entries cut that to ~12 KB a range plus one node a
 * level (~2 KB each), made a listing's seeks and a diff's decoding 16 times
 * cheaper, and cost no measurable commit speed for 16 times more range rows.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHUNKER_H
#define CHUNKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHUNK_AVG_BITS 7		/* default: about 128 entries a range */
#define CHUNK_NODE_BITS 4		/* default: about 16 children an index node */

/* chunker.c */
extern int	chunk_avg_bits;		/* pg_lakefs.range_size_bits */
extern bool chunk_is_boundary(const char *key, size_t len, uint32_t count);
extern uint32_t chunk_max_entries(void);
extern int	chunk_node_bits;	/* pg_lakefs.index_node_size_bits */
extern bool chunk_node_is_boundary(const char *max_key, size_t len, uint32_t level,
								   uint32_t count);

#endif							/* CHUNKER_H */

/*-------------------------------------------------------------------------
 *
 * chunker.c
 *		Content-defined range boundaries. See chunker.h.
 *
 *-------------------------------------------------------------------------
 */
#include "chunker.h"
#include "lakefs_hash.h"

int			chunk_avg_bits = CHUNK_AVG_BITS;

/* chunk_max_entries: the forced cut, 8 times the average range size */
uint32_t
chunk_max_entries(void)
{
	return 8u << chunk_avg_bits;
}

/*
 * chunk_is_boundary: true when the range that now holds count entries, the
 * last of which is key, must be closed after it.
 */
bool
chunk_is_boundary(const char *key, size_t len, uint32_t count)
{
	if (count >= chunk_max_entries())
		return true;
	return (lk_key_hash(key, len) & ((1u << chunk_avg_bits) - 1)) == 0;
}

int			chunk_node_bits = CHUNK_NODE_BITS;

/*
 * chunk_node_is_boundary: true when the index node of level `level` that now
 * holds count children, the last of which ends at max_key, must be closed.
 */
bool
chunk_node_is_boundary(const char *max_key, size_t len, uint32_t level, uint32_t count)
{
	uint64_t	h;

	if (count >= (8u << chunk_node_bits))
		return true;
	if (count < 2)
		return false;
	h = lk_key_hash(max_key, len) ^ (0x9e3779b97f4a7c15ULL * (level + 1));
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (h & ((1u << chunk_node_bits) - 1)) == 0;
}

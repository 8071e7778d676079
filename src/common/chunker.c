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

/*-------------------------------------------------------------------------
 *
 * chunker.c
 *		Content-defined range boundaries. See chunker.h.
 *
 *-------------------------------------------------------------------------
 */
#include "chunker.h"
#include "lakefs_hash.h"

/*
 * chunk_is_boundary: true when the range that now holds count entries, the
 * last of which is key, must be closed after it.
 */
bool
chunk_is_boundary(const char *key, size_t len, uint32_t count)
{
	if (count >= CHUNK_MAX_ENTRIES)
		return true;
	return (lk_key_hash(key, len) & ((1u << CHUNK_AVG_BITS) - 1)) == 0;
}

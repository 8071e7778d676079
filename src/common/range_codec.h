/*-------------------------------------------------------------------------
 *
 * range_codec.h
 *		The packed binary formats of ranges and metaranges.
 *
 * Plain C, no server headers: the unit tests and the fuzz target link it
 * alone. A range is an immutable sorted run of entries; a metarange is the
 * sorted list of range descriptors that make up one tree. Both are stored
 * as one bytea each, content-addressed by the SHA-256 of their bytes.
 *
 * Range format, version 1 (all integers unsigned LEB128 varints unless said):
 *
 *   "LKR\x01"               magic and version
 *   count                   number of entries
 *   then count entries, sorted by path (bytewise), paths unique:
 *     shared                bytes shared with the previous path
 *     suffix_len, suffix    the rest of the path
 *     flags                 one byte: bit 0 = address is a full URI
 *     addr_len, addr        physical address
 *     size                  object size in bytes
 *     cks_len, cks          checksum / ETag
 *     mtime                 zigzag varint, microseconds since 2000-01-01 UTC
 *     ct_len, ct            content type ("" for none)
 *     md_len, md            user metadata as JSON text ("" for none)
 *
 * Metarange format, version 1:
 *
 *   "LKM\x01", count, then count descriptors in key order:
 *     id                    32 bytes, the range's SHA-256
 *     min_len, min_key      first path of the range
 *     max_len, max_key      last path of the range
 *     count                 entries in the range
 *     bytes                 encoded size of the range
 *
 * Metarange format, version 2 (a tree of index nodes), and index nodes:
 *
 *   "LKM\x02" (the root, in lakefs.metaranges) or "LKI\x01" (an index node,
 *   in lakefs.index_nodes), then
 *     level                 1: the descriptors name ranges; L > 1: they name
 *                           index nodes of level L - 1 (at most LK_TREE_MAX_LEVEL)
 *     count                 descriptors (a root of level 1 may have none: the
 *                           empty tree; an index node has at least one)
 *   then count descriptors in key order, as in version 1 but with the keys
 *   prefix-compressed (paths of one directory share most of their bytes):
 *     id                    32 bytes
 *     min_shared, min_len, min_suffix
 *                           the first key: the first min_shared bytes of the
 *                           previous descriptor's max key (0 for the first
 *                           descriptor), then min_len bytes of its own
 *     max_shared, max_len, max_suffix
 *                           the last key, likewise from this descriptor's min
 *     count                 entries in the child's subtree
 *     bytes                 encoded size of the child itself (range or node)
 *     leaves                only when level > 1: ranges in the child's subtree
 *
 * A tree is thus a B-tree of content-addressed nodes: a range is a leaf, an
 * index node lists the ranges (or lower nodes) below it with their key
 * bounds, and the root lists the top nodes. Nodes are cut content-defined
 * (chunker.c): after a child whose max key hashes, mixed with the level, to
 * a boundary, so the cut points depend on keys alone and a change rewrites
 * only the nodes on its path. A version 1 metarange reads as a root of
 * level 1. A decoded version 1 descriptor's keys point into the buffer; a
 * version 2 one's are assembled in the descriptor array's own allocation
 * (one lk_free frees both). Prefix compression makes an index node of 16
 * image-set paths about half the size (the ids, 32 random bytes each, are
 * most of what remains), and an index node is what a small commit writes
 * once a level.
 *
 * Decoders check every length against the buffer and return an error code
 * for anything malformed; they never read outside [data, data + len).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RANGE_CODEC_H
#define RANGE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lakefs_hash.h"
#include "strbuf.h"

#define LK_PATH_MAX 4096		/* longest path the codec accepts */

#define LK_ENTRY_FULL_ADDRESS 0x01

/*
 * One catalog entry. Strings are not NUL-terminated; the decoder points
 * them into the range buffer (path into the reader's own buffer), valid
 * until the next call on the reader or until the buffer goes.
 */
typedef struct LakefsEntry
{
	const char *path;
	uint32_t	path_len;
	uint8_t		flags;
	const char *address;
	uint32_t	address_len;
	int64_t		size;
	const char *checksum;
	uint32_t	checksum_len;
	int64_t		mtime;
	const char *content_type;
	uint32_t	content_type_len;
	const char *metadata;
	uint32_t	metadata_len;
} LakefsEntry;

typedef enum LkCodecError
{
	LK_CODEC_OK = 0,
	LK_CODEC_END = 1,			/* reader: no more entries */
	LK_CODEC_BAD_MAGIC = -1,
	LK_CODEC_TRUNCATED = -2,
	LK_CODEC_BAD_VALUE = -3,	/* a length or prefix out of bounds */
	LK_CODEC_UNSORTED = -4,
	LK_CODEC_TRAILING = -5		/* bytes left after the last entry */
} LkCodecError;

/* Streaming range encoder: appends into a StrBuf. */
typedef struct RangeEncoder
{
	StrBuf	   *out;
	uint32_t	count;
	StrBuf		body;
	char		prev[LK_PATH_MAX];
	uint32_t	prev_len;
} RangeEncoder;

/* Streaming range decoder. */
typedef struct RangeReader
{
	const uint8_t *p;
	const uint8_t *end;
	uint64_t	remaining;
	uint64_t	count;
	char		path[LK_PATH_MAX];
	uint32_t	path_len;
} RangeReader;

/* A range descriptor of a metarange; keys point into the metarange buffer. */
typedef struct RangeDesc
{
	uint8_t		id[LK_ID_LEN];
	const char *min_key;
	uint32_t	min_len;
	const char *max_key;
	uint32_t	max_len;
	uint64_t	count;			/* entries in the subtree */
	uint64_t	bytes;			/* encoded size of the child itself */
	uint64_t	leaves;			/* ranges in the subtree: 1 for a range */
} RangeDesc;

#define LK_TREE_MAX_LEVEL 16

/* What a tree node's bytes are: a root (v1 or v2) or an index node. */
typedef enum LkNodeKind
{
	LK_NODE_ROOT_V1 = 1,		/* "LKM\x01": a level-1 root */
	LK_NODE_ROOT_V2 = 2,		/* "LKM\x02" */
	LK_NODE_INDEX = 3			/* "LKI\x01" */
} LkNodeKind;

/* range_codec.c */
extern void range_encoder_init(RangeEncoder *enc);
extern int	range_encoder_add(RangeEncoder *enc, const LakefsEntry *e);
extern void range_encoder_finish(RangeEncoder *enc, StrBuf *out);
extern void range_encoder_free(RangeEncoder *enc);

extern int	range_reader_init(RangeReader *r, const void *data, size_t len);
extern int	range_reader_next(RangeReader *r, LakefsEntry *e);

extern int	range_validate(const void *data, size_t len, uint64_t *count);

extern void metarange_encode(StrBuf *out, const RangeDesc *descs, uint32_t n);
extern int	metarange_decode(const void *data, size_t len, RangeDesc **descs,
							 uint32_t *n);
extern void tree_node_encode(StrBuf *out, LkNodeKind kind, uint32_t level,
							 const RangeDesc *descs, uint32_t n);
extern int	tree_node_decode(const void *data, size_t len, LkNodeKind *kind,
							 uint32_t *level, RangeDesc **descs, uint32_t *n);

extern int	lk_keycmp(const char *a, uint32_t alen, const char *b, uint32_t blen);
extern const char *lk_codec_strerror(int err);

#endif							/* RANGE_CODEC_H */

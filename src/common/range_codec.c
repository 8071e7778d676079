/*-------------------------------------------------------------------------
 *
 * range_codec.c
 *		Encoding and decoding of packed ranges and metaranges.
 *
 * The formats are documented in range_codec.h. Everything here is plain C
 * and allocation goes through lk_alloc.h, so the same code runs in the
 * server, in the unit tests and under the fuzzer.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "lk_alloc.h"
#include "range_codec.h"

static const uint8_t range_magic[4] = {'L', 'K', 'R', 1};
static const uint8_t metarange_magic[4] = {'L', 'K', 'M', 1};

/* ---- varints ---- */

static inline void
put_varint(StrBuf *sb, uint64_t v)
{
	uint8_t		buf[10];
	int			n = 0;

	while (v >= 0x80)
	{
		buf[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	buf[n++] = (uint8_t) v;
	sb_append(sb, buf, n);
}

/* write_varint / write_bytes: into reserved space; return the new end */
static inline uint8_t *
write_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80)
	{
		*p++ = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t) v;
	return p;
}

static inline uint8_t *
write_bytes(uint8_t *p, const char *s, uint32_t len)
{
	p = write_varint(p, len);
	if (len)
		memcpy(p, s, len);
	return p + len;
}

static inline void
put_bytes(StrBuf *sb, const char *s, uint32_t len)
{
	put_varint(sb, len);
	if (len)
		sb_append(sb, s, len);
}

/* get_varint: 0 on success, LK_CODEC_TRUNCATED / BAD_VALUE otherwise. */
static inline int
get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t	v = 0;
	int			shift = 0;

	for (;;)
	{
		if (p >= end)
			return LK_CODEC_TRUNCATED;
		if (shift > 63)
			return LK_CODEC_BAD_VALUE;
		v |= (uint64_t) (*p & 0x7f) << shift;
		if (!(*p++ & 0x80))
			break;
		shift += 7;
	}
	*pp = p;
	*out = v;
	return 0;
}

/* get_bytes: a length-prefixed string pointing into the buffer. */
static inline int
get_bytes(const uint8_t **pp, const uint8_t *end, const char **s, uint32_t *len)
{
	uint64_t	n;
	int			rc = get_varint(pp, end, &n);

	if (rc)
		return rc;
	if (n > (uint64_t) (end - *pp))
		return LK_CODEC_TRUNCATED;
	*s = (const char *) *pp;
	*len = (uint32_t) n;
	*pp += n;
	return 0;
}

/*
 * lk_keycmp: bytewise comparison of two paths, shorter first on a tie; the
 * order of COLLATE "C" text.
 */
int
lk_keycmp(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	int			c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

const char *
lk_codec_strerror(int err)
{
	switch (err)
	{
		case LK_CODEC_OK:
			return "ok";
		case LK_CODEC_END:
			return "end of range";
		case LK_CODEC_BAD_MAGIC:
			return "bad magic or unsupported format version";
		case LK_CODEC_TRUNCATED:
			return "truncated";
		case LK_CODEC_BAD_VALUE:
			return "length or prefix out of bounds";
		case LK_CODEC_UNSORTED:
			return "entries not in strictly ascending path order";
		case LK_CODEC_TRAILING:
			return "trailing bytes after the last entry";
	}
	return "unknown error";
}

/* ---- range encoder ---- */

void
range_encoder_init(RangeEncoder *enc)
{
	enc->count = 0;
	enc->prev_len = 0;
	sb_init(&enc->body);
}

/*
 * range_encoder_add: append one entry. Entries must come in strictly
 * ascending path order with paths of 1..LK_PATH_MAX bytes; returns
 * LK_CODEC_UNSORTED or LK_CODEC_BAD_VALUE (and adds nothing) otherwise.
 */
int
range_encoder_add(RangeEncoder *enc, const LakefsEntry *e)
{
	StrBuf	   *b = &enc->body;
	uint32_t	shared = 0;
	uint32_t	lim;
	uint64_t	zz;
	uint8_t    *p;

	if (e->path_len == 0 || e->path_len > LK_PATH_MAX)
		return LK_CODEC_BAD_VALUE;
	if (enc->count > 0 &&
		lk_keycmp(enc->prev, enc->prev_len, e->path, e->path_len) >= 0)
		return LK_CODEC_UNSORTED;

	lim = enc->prev_len < e->path_len ? enc->prev_len : e->path_len;
	while (shared < lim && enc->prev[shared] == e->path[shared])
		shared++;

	/* reserve the worst case once, then write in place */
	sb_reserve(b, 10 * 10 + 1 + (e->path_len - shared) + e->address_len +
			   e->checksum_len + e->content_type_len + e->metadata_len);
	p = (uint8_t *) b->data + b->len;
	p = write_varint(p, shared);
	p = write_bytes(p, e->path + shared, e->path_len - shared);
	*p++ = e->flags;
	p = write_bytes(p, e->address, e->address_len);
	p = write_varint(p, (uint64_t) e->size);
	p = write_bytes(p, e->checksum, e->checksum_len);
	zz = ((uint64_t) e->mtime << 1) ^ (uint64_t) (e->mtime >> 63);
	p = write_varint(p, zz);
	p = write_bytes(p, e->content_type, e->content_type_len);
	p = write_bytes(p, e->metadata, e->metadata_len);
	b->len = (char *) p - b->data;
	b->data[b->len] = '\0';

	memcpy(enc->prev + shared, e->path + shared, e->path_len - shared);
	enc->prev_len = e->path_len;
	enc->count++;
	return LK_CODEC_OK;
}

/* range_encoder_finish: append the finished range to out and reset enc. */
void
range_encoder_finish(RangeEncoder *enc, StrBuf *out)
{
	sb_append(out, range_magic, sizeof(range_magic));
	put_varint(out, enc->count);
	sb_append(out, enc->body.data, enc->body.len);
	sb_reset(&enc->body);
	enc->count = 0;
	enc->prev_len = 0;
}

void
range_encoder_free(RangeEncoder *enc)
{
	sb_free(&enc->body);
}

/* ---- range reader ---- */

int
range_reader_init(RangeReader *r, const void *data, size_t len)
{
	const uint8_t *p = data;
	int			rc;

	r->end = p + len;
	r->path_len = 0;
	if (len < sizeof(range_magic) || memcmp(p, range_magic, sizeof(range_magic)) != 0)
		return LK_CODEC_BAD_MAGIC;
	p += sizeof(range_magic);
	if ((rc = get_varint(&p, r->end, &r->count)) != 0)
		return rc;
	r->remaining = r->count;
	r->p = p;
	return LK_CODEC_OK;
}

/*
 * range_reader_next: decode the next entry into *e. Returns LK_CODEC_OK,
 * LK_CODEC_END after the last one (checking nothing trails it), or an error.
 */
int
range_reader_next(RangeReader *r, LakefsEntry *e)
{
	const uint8_t *p = r->p;
	uint64_t	shared,
				v;
	const char *suffix;
	uint32_t	suffix_len;
	int			rc;

	if (r->remaining == 0)
		return p == r->end ? LK_CODEC_END : LK_CODEC_TRAILING;

	if ((rc = get_varint(&p, r->end, &shared)) != 0 ||
		(rc = get_bytes(&p, r->end, &suffix, &suffix_len)) != 0)
		return rc;
	if (shared > r->path_len || shared + suffix_len > LK_PATH_MAX ||
		shared + suffix_len == 0)
		return LK_CODEC_BAD_VALUE;
	/* the new path is prev[0..shared) + suffix; it must sort after prev */
	if (r->remaining != r->count &&
		lk_keycmp(suffix, suffix_len, r->path + shared,
				  r->path_len - (uint32_t) shared) <= 0)
		return LK_CODEC_UNSORTED;
	memcpy(r->path + shared, suffix, suffix_len);
	r->path_len = (uint32_t) (shared + suffix_len);

	if (p >= r->end)
		return LK_CODEC_TRUNCATED;
	e->flags = *p++;
	if ((rc = get_bytes(&p, r->end, &e->address, &e->address_len)) != 0 ||
		(rc = get_varint(&p, r->end, &v)) != 0)
		return rc;
	e->size = (int64_t) v;
	if ((rc = get_bytes(&p, r->end, &e->checksum, &e->checksum_len)) != 0 ||
		(rc = get_varint(&p, r->end, &v)) != 0)
		return rc;
	e->mtime = (int64_t) (v >> 1) ^ -(int64_t) (v & 1);
	if ((rc = get_bytes(&p, r->end, &e->content_type, &e->content_type_len)) != 0 ||
		(rc = get_bytes(&p, r->end, &e->metadata, &e->metadata_len)) != 0)
		return rc;

	e->path = r->path;
	e->path_len = r->path_len;
	r->p = p;
	r->remaining--;
	return LK_CODEC_OK;
}

/* range_validate: decode a whole range, checking every entry. */
int
range_validate(const void *data, size_t len, uint64_t *count)
{
	RangeReader r;
	LakefsEntry e;
	int			rc;

	if ((rc = range_reader_init(&r, data, len)) != 0)
		return rc;
	while ((rc = range_reader_next(&r, &e)) == LK_CODEC_OK)
		;
	if (rc == LK_CODEC_END)
	{
		if (count)
			*count = r.count;
		return LK_CODEC_OK;
	}
	return rc;
}

/* ---- metaranges and index nodes ---- */

static const uint8_t metarange2_magic[4] = {'L', 'K', 'M', 2};
static const uint8_t index_magic[4] = {'L', 'K', 'I', 1};

/*
 * put_key: a descriptor key: in full (version 1), or (delta, version 2) as
 * the length of the prefix it shares with prev, then the rest.
 */
static void
put_key(StrBuf *out, bool delta, const char *prev, uint32_t prev_len, const char *key,
		uint32_t len)
{
	uint32_t	shared = 0;

	if (delta)
	{
		while (shared < prev_len && shared < len && prev[shared] == key[shared])
			shared++;
		put_varint(out, shared);
	}
	put_bytes(out, key + shared, len - shared);
}

/*
 * the descriptors of a node: with_leaves for the children of a level > 1;
 * delta: keys prefix-compressed (version 2)
 */
static void
put_descs(StrBuf *out, const RangeDesc *descs, uint32_t n, bool with_leaves, bool delta)
{
	put_varint(out, n);
	for (uint32_t i = 0; i < n; i++)
	{
		sb_append(out, descs[i].id, LK_ID_LEN);
		put_key(out, delta, i > 0 ? descs[i - 1].max_key : NULL,
				i > 0 ? descs[i - 1].max_len : 0, descs[i].min_key, descs[i].min_len);
		put_key(out, delta, descs[i].min_key, descs[i].min_len, descs[i].max_key,
				descs[i].max_len);
		put_varint(out, descs[i].count);
		put_varint(out, descs[i].bytes);
		if (with_leaves)
			put_varint(out, descs[i].leaves);
	}
}

void
metarange_encode(StrBuf *out, const RangeDesc *descs, uint32_t n)
{
	sb_append(out, metarange_magic, sizeof(metarange_magic));
	put_descs(out, descs, n, false, false);
}

/*
 * tree_node_encode: a root of version 2 (kind LK_NODE_ROOT_V2), an index
 * node (LK_NODE_INDEX) or, for level 1 only, a version 1 metarange.
 */
void
tree_node_encode(StrBuf *out, LkNodeKind kind, uint32_t level, const RangeDesc *descs,
				 uint32_t n)
{
	if (kind == LK_NODE_ROOT_V1)
	{
		metarange_encode(out, descs, n);
		return;
	}
	sb_append(out, kind == LK_NODE_INDEX ? index_magic : metarange2_magic, 4);
	put_varint(out, level);
	put_descs(out, descs, n, level > 1, true);
}

/*
 * get_key: a descriptor key at *pp. In full (version 1): *key points into
 * the buffer. Delta (version 2): the key is prev's first `shared` bytes and
 * a suffix, assembled at *arena (which advances past it); with *arena NULL
 * only its length is read (prev is not touched).
 */
static int
get_key(const uint8_t **pp, const uint8_t *end, bool delta, const char *prev,
		uint32_t prev_len, char **arena, const char **key, uint32_t *len)
{
	uint64_t	shared;
	const char *suffix;
	uint32_t	suffix_len;
	int			rc;

	if (!delta)
		return get_bytes(pp, end, key, len);
	if ((rc = get_varint(pp, end, &shared)) != 0 ||
		(rc = get_bytes(pp, end, &suffix, &suffix_len)) != 0)
		return rc;
	if (shared > prev_len || shared + suffix_len > LK_PATH_MAX)
		return LK_CODEC_BAD_VALUE;
	*len = (uint32_t) shared + suffix_len;
	*key = NULL;
	if (*arena == NULL)
		return LK_CODEC_OK;
	if (shared > 0)
		memcpy(*arena, prev, shared);
	if (suffix_len > 0)
		memcpy(*arena + shared, suffix, suffix_len);
	*key = *arena;
	*arena += *len;
	return LK_CODEC_OK;
}

/*
 * get_descs: decode the descriptor list at *pp up to end into a new array
 * (*descs, lk_free it). Keys point into the buffer (version 1) or, delta
 * (version 2: prefix-compressed), into the array's own allocation, after a
 * first pass that sums their lengths. Checks that children are non-empty,
 * ordered and disjoint, and (with_leaves) that every subtree has at least
 * one range and no more ranges than entries.
 */
static int
get_descs(const uint8_t *p, const uint8_t *end, bool with_leaves, bool delta,
		  RangeDesc **descs, uint32_t *n)
{
	uint64_t	count;
	RangeDesc  *d;
	RangeDesc	probe;
	size_t		key_bytes = 0;
	char	   *arena = NULL;
	int			rc;

	if ((rc = get_varint(&p, end, &count)) != 0)
		return rc;
	/* each descriptor takes at least LK_ID_LEN + 4 bytes */
	if (count > (uint64_t) (end - p) / (LK_ID_LEN + 4))
		return LK_CODEC_TRUNCATED;
	if (delta)
	{
		const uint8_t *q = p;
		uint32_t	prev_len = 0;
		uint64_t	v;

		for (uint64_t i = 0; i < count; i++)
		{
			if (end - q < LK_ID_LEN)
				return LK_CODEC_TRUNCATED;
			q += LK_ID_LEN;
			if ((rc = get_key(&q, end, true, NULL, prev_len, &arena, &probe.min_key,
							  &probe.min_len)) != 0 ||
				(rc = get_key(&q, end, true, NULL, probe.min_len, &arena, &probe.max_key,
							  &probe.max_len)) != 0 ||
				(rc = get_varint(&q, end, &v)) != 0 ||
				(rc = get_varint(&q, end, &v)) != 0 ||
				(with_leaves && (rc = get_varint(&q, end, &v)) != 0))
				return rc;
			key_bytes += probe.min_len + probe.max_len;
			prev_len = probe.max_len;
		}
	}
	d = lk_malloc(sizeof(RangeDesc) * (count ? count : 1) + key_bytes);
	if (delta)
		arena = (char *) (d + (count ? count : 1));
	for (uint64_t i = 0; i < count; i++)
	{
		if (end - p < LK_ID_LEN)
		{
			rc = LK_CODEC_TRUNCATED;
			break;
		}
		memcpy(d[i].id, p, LK_ID_LEN);
		p += LK_ID_LEN;
		d[i].leaves = 1;
		if ((rc = get_key(&p, end, delta, i > 0 ? d[i - 1].max_key : NULL,
						  i > 0 ? d[i - 1].max_len : 0, &arena, &d[i].min_key,
						  &d[i].min_len)) != 0 ||
			(rc = get_key(&p, end, delta, d[i].min_key, d[i].min_len, &arena,
						  &d[i].max_key, &d[i].max_len)) != 0 ||
			(rc = get_varint(&p, end, &d[i].count)) != 0 ||
			(rc = get_varint(&p, end, &d[i].bytes)) != 0 ||
			(with_leaves && (rc = get_varint(&p, end, &d[i].leaves)) != 0))
			break;
		if (d[i].count == 0 || d[i].min_len == 0 || d[i].leaves == 0 ||
			d[i].leaves > d[i].count ||
			lk_keycmp(d[i].min_key, d[i].min_len, d[i].max_key, d[i].max_len) > 0 ||
			(d[i].count == 1 &&
			 lk_keycmp(d[i].min_key, d[i].min_len, d[i].max_key, d[i].max_len) != 0))
		{
			rc = LK_CODEC_BAD_VALUE;
			break;
		}
		if (i > 0 && lk_keycmp(d[i - 1].max_key, d[i - 1].max_len,
							   d[i].min_key, d[i].min_len) >= 0)
		{
			rc = LK_CODEC_UNSORTED;
			break;
		}
	}
	if (rc == 0 && p != end)
		rc = LK_CODEC_TRAILING;
	if (rc != 0)
	{
		lk_free(d);
		return rc;
	}
	*descs = d;
	*n = (uint32_t) count;
	return LK_CODEC_OK;
}

/*
 * metarange_decode: decode a version 1 metarange into a new array (*descs,
 * lk_free it) whose keys point into data. Checks that ranges are non-empty,
 * ordered and disjoint.
 */
int
metarange_decode(const void *data, size_t len, RangeDesc **descs, uint32_t *n)
{
	const uint8_t *p = data;

	*descs = NULL;
	*n = 0;
	if (len < sizeof(metarange_magic) ||
		memcmp(p, metarange_magic, sizeof(metarange_magic)) != 0)
		return LK_CODEC_BAD_MAGIC;
	return get_descs(p + sizeof(metarange_magic), p + len, false, false, descs, n);
}

/*
 * tree_node_decode: decode a root (version 1 or 2) or an index node: its
 * kind, level (1 for version 1) and descriptors (*descs, lk_free it; keys
 * point into data). An index node must have at least one descriptor, and
 * so must a root above level 1.
 */
int
tree_node_decode(const void *data, size_t len, LkNodeKind *kind, uint32_t *level,
				 RangeDesc **descs, uint32_t *n)
{
	const uint8_t *p = data;
	const uint8_t *end = p + len;
	uint64_t	lv;
	int			rc;

	*descs = NULL;
	*n = 0;
	if (len < 4)
		return LK_CODEC_BAD_MAGIC;
	if (memcmp(p, metarange_magic, 4) == 0)
	{
		*kind = LK_NODE_ROOT_V1;
		*level = 1;
		return metarange_decode(data, len, descs, n);
	}
	if (memcmp(p, metarange2_magic, 4) == 0)
		*kind = LK_NODE_ROOT_V2;
	else if (memcmp(p, index_magic, 4) == 0)
		*kind = LK_NODE_INDEX;
	else
		return LK_CODEC_BAD_MAGIC;
	p += 4;
	if ((rc = get_varint(&p, end, &lv)) != 0)
		return rc;
	if (lv < 1 || lv > LK_TREE_MAX_LEVEL)
		return LK_CODEC_BAD_VALUE;
	*level = (uint32_t) lv;
	if ((rc = get_descs(p, end, lv > 1, true, descs, n)) != 0)
		return rc;
	if (*n == 0 && (*kind == LK_NODE_INDEX || lv > 1))
	{
		lk_free(*descs);
		*descs = NULL;
		return LK_CODEC_BAD_VALUE;
	}
	return LK_CODEC_OK;
}

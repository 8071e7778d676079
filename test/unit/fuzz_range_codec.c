/*-------------------------------------------------------------------------
 *
 * fuzz_range_codec.c
 *		libFuzzer target over the range and metarange decoders and the range
 *		encoder (range_codec.c).
 *
 * Built by "make -C test/unit fuzz" like fuzz_s3_xml.c: with clang
 * -fsanitize=fuzzer,address,undefined when available (run
 * bin/fuzz_range_codec -max_total_time=60), otherwise with the replay
 * driver fuzz_main.c. The catalog's ranges and metaranges are bytea values
 * that fsck and every read decode, so a damaged TOAST page reaches the
 * decoders: they must reject anything malformed without reading outside
 * the buffer.
 *
 * The first input byte picks the mode:
 *   0  the rest is a range: range_validate and the streaming reader must
 *      agree, and a valid range re-encodes to entries that decode the same;
 *   1  the rest is a tree node (a version 1 or 2 metarange or an index
 *      node): a decoded one re-encodes and decodes alike;
 *   2  the rest is cut into entries (path, address, checksum, ...) that are
 *      encoded (unsorted ones refused) and decoded back.
 * A crash, a sanitizer report or a disagreement (abort()) is a finding.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lk_alloc.h"
#include "range_codec.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_ENTRIES 256

/* Two entries are equal in every field (paths compared by content). */
static int
entry_equal(const LakefsEntry *a, const LakefsEntry *b)
{
#define FIELD_EQ(f) (a->f##_len == b->f##_len && \
					 (a->f##_len == 0 || memcmp(a->f, b->f, a->f##_len) == 0))
	return FIELD_EQ(path) && FIELD_EQ(address) && FIELD_EQ(checksum) &&
		FIELD_EQ(content_type) && FIELD_EQ(metadata) &&
		a->flags == b->flags && a->size == b->size && a->mtime == b->mtime;
#undef FIELD_EQ
}

/* Decode a range fully into copies (paths copied: the reader reuses its buffer). */
static int
decode_all(const uint8_t *data, size_t len, LakefsEntry *out, char (*paths)[LK_PATH_MAX],
		   int max, int *n)
{
	RangeReader *r = lk_malloc(sizeof(RangeReader));
	LakefsEntry e;
	int			rc;

	*n = 0;
	if ((rc = range_reader_init(r, data, len)) == LK_CODEC_OK)
	{
		while ((rc = range_reader_next(r, &e)) == LK_CODEC_OK)
		{
			if (*n < max)
			{
				memcpy(paths[*n], e.path, e.path_len);
				out[*n] = e;
				out[*n].path = paths[*n];
			}
			(*n)++;
		}
		if (rc == LK_CODEC_END)
			rc = LK_CODEC_OK;
	}
	lk_free(r);
	return rc;
}

static void
fuzz_range(const uint8_t *data, size_t size)
{
	static LakefsEntry a[FUZZ_MAX_ENTRIES],
				b[FUZZ_MAX_ENTRIES];
	static char pa[FUZZ_MAX_ENTRIES][LK_PATH_MAX],
				pb[FUZZ_MAX_ENTRIES][LK_PATH_MAX];
	uint64_t	count = 0;
	int			n,
				m,
				rc;
	int			valid = range_validate(data, size, &count) == LK_CODEC_OK;

	rc = decode_all(data, size, a, pa, FUZZ_MAX_ENTRIES, &n);
	if (valid != (rc == LK_CODEC_OK) || (valid && count != (uint64_t) n))
		abort();
	if (valid && n <= FUZZ_MAX_ENTRIES)
	{
		RangeEncoder *enc = lk_malloc(sizeof(RangeEncoder));
		StrBuf		out;

		range_encoder_init(enc);
		sb_init(&out);
		for (int i = 0; i < n; i++)
			if (range_encoder_add(enc, &a[i]) != LK_CODEC_OK)
				abort();
		range_encoder_finish(enc, &out);
		if (decode_all((const uint8_t *) out.data, out.len, b, pb, FUZZ_MAX_ENTRIES, &m) !=
			LK_CODEC_OK || m != n)
			abort();
		for (int i = 0; i < n; i++)
			if (!entry_equal(&a[i], &b[i]))
				abort();
		sb_free(&out);
		range_encoder_free(enc);
		lk_free(enc);
	}
}

static void
fuzz_metarange(const uint8_t *data, size_t size)
{
	RangeDesc  *d,
			   *d2;
	uint32_t	n,
				n2,
				level,
				level2;
	LkNodeKind	kind,
				kind2;
	StrBuf		out;

	/* any tree node: a version 1 or 2 root or an index node */
	if (tree_node_decode(data, size, &kind, &level, &d, &n) != LK_CODEC_OK)
	{
		if (d != NULL || n != 0)
			abort();
		return;
	}
	sb_init(&out);
	tree_node_encode(&out, kind, level, d, n);
	if (tree_node_decode(out.data, out.len, &kind2, &level2, &d2, &n2) != LK_CODEC_OK ||
		n2 != n || kind2 != kind || level2 != level)
		abort();
	for (uint32_t i = 0; i < n; i++)
		if (memcmp(d[i].id, d2[i].id, LK_ID_LEN) != 0 ||
			lk_keycmp(d[i].min_key, d[i].min_len, d2[i].min_key, d2[i].min_len) != 0 ||
			lk_keycmp(d[i].max_key, d[i].max_len, d2[i].max_key, d2[i].max_len) != 0 ||
			d[i].count != d2[i].count || d[i].bytes != d2[i].bytes ||
			d[i].leaves != d2[i].leaves)
			abort();
	/* a version 1 metarange decodes alike through metarange_decode */
	if (kind == LK_NODE_ROOT_V1)
	{
		lk_free(d2);
		if (metarange_decode(data, size, &d2, &n2) != LK_CODEC_OK || n2 != n)
			abort();
	}
	lk_free(d2);
	lk_free(d);
	sb_free(&out);
}

/* Take the next field of at most max bytes: a length byte, then that many. */
static const char *
take(const uint8_t **p, const uint8_t *end, uint32_t max, uint32_t *len)
{
	const char *s;
	uint32_t	n;

	if (*p >= end)
	{
		*len = 0;
		return "";
	}
	n = **p % (max + 1);
	(*p)++;
	if (n > (uint32_t) (end - *p))
		n = (uint32_t) (end - *p);
	s = (const char *) *p;
	*p += n;
	*len = n;
	return s;
}

static void
fuzz_encode(const uint8_t *data, size_t size)
{
	static LakefsEntry in[FUZZ_MAX_ENTRIES],
				back[FUZZ_MAX_ENTRIES];
	static char pb[FUZZ_MAX_ENTRIES][LK_PATH_MAX];
	const uint8_t *p = data,
			   *end = data + size;
	RangeEncoder *enc = lk_malloc(sizeof(RangeEncoder));
	StrBuf		out;
	int			n = 0,
				m;

	range_encoder_init(enc);
	sb_init(&out);
	while (p < end && n < FUZZ_MAX_ENTRIES)
	{
		LakefsEntry *e = &in[n];
		int64_t		v = 0;

		memset(e, 0, sizeof(*e));
		e->path = take(&p, end, 255, &e->path_len);
		e->flags = p < end ? *p++ : 0;
		e->address = take(&p, end, 64, &e->address_len);
		e->checksum = take(&p, end, 16, &e->checksum_len);
		for (int i = 0; i < 8 && p < end; i++)
			v = (int64_t) ((uint64_t) v << 8 | *p++);
		e->size = v;
		e->mtime = (int64_t) (0 - (uint64_t) v);
		e->content_type = take(&p, end, 8, &e->content_type_len);
		e->metadata = take(&p, end, 16, &e->metadata_len);
		/* refused entries (empty, unsorted) are left out, as the writers do */
		if (range_encoder_add(enc, e) == LK_CODEC_OK)
			n++;
	}
	range_encoder_finish(enc, &out);
	if (decode_all((const uint8_t *) out.data, out.len, back, pb, FUZZ_MAX_ENTRIES, &m) !=
		LK_CODEC_OK || m != n)
		abort();
	for (int i = 0; i < n; i++)
		if (!entry_equal(&in[i], &back[i]))
			abort();
	sb_free(&out);
	range_encoder_free(enc);
	lk_free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3)
	{
		case 0:
			fuzz_range(data + 1, size - 1);
			break;
		case 1:
			fuzz_metarange(data + 1, size - 1);
			break;
		default:
			fuzz_encode(data + 1, size - 1);
			break;
	}
	return 0;
}

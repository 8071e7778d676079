/*-------------------------------------------------------------------------
 *
 * test_range_codec.c
 *		Unit tests of the packed range and metarange formats and of the
 *		content-defined chunker.
 *
 * Round trips of random ranges, rejection of unsorted input, every
 * truncation of a valid range, random corruption (a poor man's fuzzer that
 * runs in every test run), the chunker's re-alignment property, and the
 * tree nodes of metarange format 2 (roots and index nodes: round trips,
 * every truncation, bad levels and counts) and their cut rule.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunker.h"
#include "lk_alloc.h"
#include "range_codec.h"
#include "tap.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* n sorted unique random paths, malloc'd, NULL-terminated */
static char **
random_paths(int n)
{
	/* n + 1: the terminating NULL needs a slot when no path is a duplicate */
	char	  **paths = malloc(sizeof(char *) * (n + 1));
	int			m = 0;

	for (int i = 0; i < n; i++)
	{
		char		buf[128];

		snprintf(buf, sizeof(buf), "dir%02d/sub%03d/file-%08llx.bin",
				 (int) (rnd() % 7), (int) (rnd() % 300),
				 (unsigned long long) (rnd() & 0xffffffff));
		paths[i] = strdup(buf);
	}
	qsort(paths, n, sizeof(char *), cmp_str);
	for (int i = 0; i < n; i++)
	{
		if (m > 0 && strcmp(paths[m - 1], paths[i]) == 0)
		{
			free(paths[i]);
			continue;
		}
		paths[m++] = paths[i];
	}
	paths[m] = NULL;
	return paths;
}

static LakefsEntry
make_entry(const char *path, int i)
{
	static char addr[64][64];
	LakefsEntry e;
	char	   *a = addr[i % 64];

	snprintf(a, 64, "data/%08x%08x", (unsigned) i, (unsigned) (i * 2654435761u));
	memset(&e, 0, sizeof(e));
	e.path = path;
	e.path_len = strlen(path);
	e.flags = (i % 3 == 0) ? LK_ENTRY_FULL_ADDRESS : 0;
	e.address = a;
	e.address_len = strlen(a);
	e.size = (int64_t) i * 1000003;
	e.checksum = "d41d8cd98f00b204e9800998ecf8427e";
	e.checksum_len = 32;
	e.mtime = (i % 2) ? -(int64_t) i * 1000 : (int64_t) i * 7777777;
	e.content_type = (i % 5) ? "image/png" : "";
	e.content_type_len = strlen(e.content_type);
	e.metadata = (i % 4) ? "" : "{\"label\": \"7\"}";
	e.metadata_len = strlen(e.metadata);
	return e;
}

static void
test_round_trip(void)
{
	char	  **paths = random_paths(5000);
	RangeEncoder enc;
	StrBuf		out = {0};
	RangeReader r;
	LakefsEntry e;
	int			n = 0,
				bad = 0,
				rc;

	range_encoder_init(&enc);
	for (int i = 0; paths[i]; i++)
	{
		LakefsEntry in = make_entry(paths[i], i);

		if (range_encoder_add(&enc, &in) != LK_CODEC_OK)
			bad++;
		n++;
	}
	ok(bad == 0, "encoder accepts sorted unique paths");
	range_encoder_finish(&enc, &out);
	ok(range_reader_init(&r, out.data, out.len) == LK_CODEC_OK && r.count == (uint64_t) n,
	   "reader sees the entry count");
	bad = 0;
	for (int i = 0; (rc = range_reader_next(&r, &e)) == LK_CODEC_OK; i++)
	{
		LakefsEntry want = make_entry(paths[i], i);

		if (e.path_len != want.path_len || memcmp(e.path, want.path, e.path_len) ||
			e.flags != want.flags || e.size != want.size || e.mtime != want.mtime ||
			e.address_len != want.address_len ||
			memcmp(e.address, want.address, e.address_len) ||
			e.checksum_len != want.checksum_len ||
			e.content_type_len != want.content_type_len ||
			memcmp(e.content_type, want.content_type, e.content_type_len) ||
			e.metadata_len != want.metadata_len ||
			memcmp(e.metadata, want.metadata, e.metadata_len))
			bad++;
	}
	ok(rc == LK_CODEC_END && bad == 0, "every field round-trips");
	ok(range_validate(out.data, out.len, NULL) == LK_CODEC_OK, "range_validate accepts it");
	printf("# %d entries in %zu bytes (%.1f bytes/entry)\n", n, out.len,
		   (double) out.len / n);

	/* every truncation is an error, never a crash */
	bad = 0;
	for (size_t cut = 0; cut < out.len; cut += (cut < 200 ? 1 : 97))
		if (range_validate(out.data, cut, NULL) == LK_CODEC_OK)
			bad++;
	ok(bad == 0, "every truncation is rejected");

	/* random corruption: must not crash; most are rejected */
	{
		char	   *copy = malloc(out.len);
		int			accepted = 0;

		for (int t = 0; t < 3000; t++)
		{
			memcpy(copy, out.data, out.len);
			for (int k = 0; k < 1 + (int) (rnd() % 4); k++)
				copy[rnd() % out.len] = (char) rnd();
			if (range_validate(copy, out.len, NULL) == LK_CODEC_OK)
				accepted++;
		}
		free(copy);
		ok(1, "3000 randomly corrupted ranges decoded without a crash");
		printf("# %d of 3000 corrupted ranges still decode (payload bytes)\n", accepted);
	}

	for (int i = 0; paths[i]; i++)
		free(paths[i]);
	free(paths);
	sb_free(&out);
	range_encoder_free(&enc);
}

static void
test_rejects(void)
{
	RangeEncoder enc;
	LakefsEntry a = make_entry("b", 1);
	LakefsEntry b = make_entry("a", 2);
	LakefsEntry empty = make_entry("", 3);
	StrBuf		out = {0};
	RangeReader r;
	LakefsEntry e;

	range_encoder_init(&enc);
	ok(range_encoder_add(&enc, &a) == LK_CODEC_OK, "first entry accepted");
	ok(range_encoder_add(&enc, &b) == LK_CODEC_UNSORTED, "descending path rejected");
	ok(range_encoder_add(&enc, &a) == LK_CODEC_UNSORTED, "duplicate path rejected");
	ok(range_encoder_add(&enc, &empty) == LK_CODEC_BAD_VALUE, "empty path rejected");
	range_encoder_finish(&enc, &out);
	ok(range_validate(out.data, out.len, NULL) == LK_CODEC_OK, "range of one entry valid");
	ok(range_reader_init(&r, "LKR\x02\x00", 5) == LK_CODEC_BAD_MAGIC,
	   "unknown format version rejected");
	ok(range_reader_init(&r, "LKR\x01\x00", 5) == LK_CODEC_OK &&
	   range_reader_next(&r, &e) == LK_CODEC_END, "empty range decodes to nothing");
	ok(range_reader_init(&r, "LKR\x01\x00X", 6) == LK_CODEC_OK &&
	   range_reader_next(&r, &e) == LK_CODEC_TRAILING, "trailing bytes rejected");
	/* hand-made range whose second path sorts before the first */
	{
		static const char bad[] =
			"LKR\x01\x02"
			"\x00\x01" "b" "\x00" "\x00" "\x00" "\x00" "\x00" "\x00" "\x00"
			"\x00\x01" "a" "\x00" "\x00" "\x00" "\x00" "\x00" "\x00" "\x00";

		ok(range_validate(bad, sizeof(bad) - 1, NULL) == LK_CODEC_UNSORTED,
		   "decoder rejects unsorted paths");
	}
	sb_free(&out);
	range_encoder_free(&enc);
}

static void
test_metarange(void)
{
	RangeDesc	d[3];
	RangeDesc  *got;
	uint32_t	n;
	StrBuf		out = {0};
	const char *keys[] = {"a", "c", "d", "f", "g", "k"};

	for (int i = 0; i < 3; i++)
	{
		memset(d[i].id, i + 1, LK_ID_LEN);
		d[i].min_key = keys[2 * i];
		d[i].min_len = 1;
		d[i].max_key = keys[2 * i + 1];
		d[i].max_len = 1;
		d[i].count = 10 + i;
		d[i].bytes = 1000 + i;
	}
	metarange_encode(&out, d, 3);
	ok(metarange_decode(out.data, out.len, &got, &n) == LK_CODEC_OK && n == 3 &&
	   memcmp(got[2].id, d[2].id, LK_ID_LEN) == 0 && got[1].count == 11 &&
	   got[2].max_key[0] == 'k', "metarange round-trips");
	lk_free(got);
	ok(metarange_decode(out.data, out.len - 1, &got, &n) != LK_CODEC_OK,
	   "truncated metarange rejected");
	sb_reset(&out);
	d[1].min_key = "b";				/* overlaps range 0 */
	metarange_encode(&out, d, 3);
	ok(metarange_decode(out.data, out.len, &got, &n) == LK_CODEC_UNSORTED,
	   "overlapping ranges rejected");
	sb_free(&out);
}

/* three ordered descriptors a-c, d-f, g-k with the given leaves */
static void
three_descs(RangeDesc *d, uint64_t leaves)
{
	static const char *keys[] = {"a", "c", "d", "f", "g", "k"};

	for (int i = 0; i < 3; i++)
	{
		memset(d[i].id, i + 7, LK_ID_LEN);
		d[i].min_key = keys[2 * i];
		d[i].min_len = 1;
		d[i].max_key = keys[2 * i + 1];
		d[i].max_len = 1;
		d[i].count = 100 + i;
		d[i].bytes = 2000 + i;
		d[i].leaves = leaves;
	}
}

/*
 * Version 2 keys are prefix-compressed: a node of paths sharing a long
 * directory is smaller than version 1's, decodes to the same keys, and keeps
 * them after its bytes are gone; a shared prefix longer than the key it is
 * taken from, or a key over LK_PATH_MAX, is rejected.
 */
static void
test_node_key_prefixes(void)
{
	static const char *paths[] = {
		"raw/Images/class-0001/img-000001001.jpg", "raw/Images/class-0001/img-000001127.jpg",
		"raw/Images/class-0001/img-000001128.jpg", "raw/Images/class-0001/img-000002001.jpg",
		"raw/Images/class-0002/img-000000002.jpg", "raw/Images/class-0002/img-000000002.jpgz"};
	RangeDesc	d[3];
	RangeDesc  *got;
	uint32_t	n,
				level;
	LkNodeKind	kind;
	StrBuf		v1 = {0};
	StrBuf		v2 = {0};
	char	   *copy;
	bool		same = true;
	uint8_t		bad_node[LK_ID_LEN + 16];
	size_t		len = 0;

	/* min: shares 1 byte, then "a"; max: shares 1 byte of min, then "a"; 2 entries, 1 byte */
	static const uint8_t desc_tail[] = {1, 1, 'a', 1, 1, 'a', 2, 1};

	for (int i = 0; i < 3; i++)
	{
		memset(d[i].id, 0x40 + i, LK_ID_LEN);
		d[i].min_key = paths[2 * i];
		d[i].min_len = (uint32_t) strlen(paths[2 * i]);
		d[i].max_key = paths[2 * i + 1];
		d[i].max_len = (uint32_t) strlen(paths[2 * i + 1]);
		d[i].count = 128;
		d[i].bytes = 12000;
		d[i].leaves = 1;
	}
	tree_node_encode(&v1, LK_NODE_ROOT_V1, 1, d, 3);
	tree_node_encode(&v2, LK_NODE_INDEX, 1, d, 3);
	ok(v2.len + 120 < v1.len, "prefix-compressed keys: an index node of 3 image paths "
	   "is over 120 bytes smaller than a version 1 list");
	copy = lk_malloc(v2.len);
	memcpy(copy, v2.data, v2.len);
	if (tree_node_decode(copy, v2.len, &kind, &level, &got, &n) != LK_CODEC_OK || n != 3)
		same = false;
	memset(copy, 0, v2.len);
	lk_free(copy);
	for (uint32_t i = 0; same && i < 3; i++)
		same = lk_keycmp(got[i].min_key, got[i].min_len, d[i].min_key, d[i].min_len) == 0 &&
			lk_keycmp(got[i].max_key, got[i].max_len, d[i].max_key, d[i].max_len) == 0;
	ok(same, "prefix-compressed keys decode to the same keys, which outlive the node's bytes");
	if (same)
		lk_free(got);

	/* "LKI\x01", level 1, one descriptor whose min key shares 1 byte with nothing */
	memcpy(bad_node, "LKI\x01\x01\x01", 6);
	len = 6;
	memset(bad_node + len, 7, LK_ID_LEN);
	len += LK_ID_LEN;
	memcpy(bad_node + len, desc_tail, sizeof(desc_tail));
	len += sizeof(desc_tail);
	ok(tree_node_decode(bad_node, len, &kind, &level, &got, &n) == LK_CODEC_BAD_VALUE &&
	   got == NULL, "a shared prefix longer than the key it comes from is rejected");
	/* the same with the min key sharing nothing: decodes ("a" .. "aa") */
	bad_node[6 + LK_ID_LEN] = 0;
	ok(tree_node_decode(bad_node, len, &kind, &level, &got, &n) == LK_CODEC_OK && n == 1 &&
	   got[0].min_len == 1 && got[0].max_len == 2 && memcmp(got[0].max_key, "aa", 2) == 0,
	   "the max key is the min key's shared bytes and its own");
	if (got)
		lk_free(got);
	sb_free(&v1);
	sb_free(&v2);
}

static void
test_tree_nodes(void)
{
	RangeDesc	d[3];
	RangeDesc  *got;
	uint32_t	n,
				level;
	LkNodeKind	kind;
	StrBuf		out = {0};
	int			bad = 0;

	/* an index node of level 2 keeps the leaves of its children */
	three_descs(d, 5);
	tree_node_encode(&out, LK_NODE_INDEX, 2, d, 3);
	ok(tree_node_decode(out.data, out.len, &kind, &level, &got, &n) == LK_CODEC_OK &&
	   kind == LK_NODE_INDEX && level == 2 && n == 3 && got[1].leaves == 5 &&
	   got[2].count == 102 && got[2].bytes == 2002 && got[2].max_key[0] == 'k' &&
	   memcmp(got[0].id, d[0].id, LK_ID_LEN) == 0, "index node of level 2 round-trips");
	lk_free(got);
	for (size_t cut = 0; cut < out.len; cut++)
		if (tree_node_decode(out.data, cut, &kind, &level, &got, &n) == LK_CODEC_OK ||
			got != NULL)
			bad++;
	ok(bad == 0, "every truncation of an index node is rejected");
	ok(metarange_decode(out.data, out.len, &got, &n) == LK_CODEC_BAD_MAGIC,
	   "an index node is no version 1 metarange");

	/* a level-1 root: leaves are not stored (each child is one range) */
	sb_reset(&out);
	tree_node_encode(&out, LK_NODE_ROOT_V2, 1, d, 3);
	ok(tree_node_decode(out.data, out.len, &kind, &level, &got, &n) == LK_CODEC_OK &&
	   kind == LK_NODE_ROOT_V2 && level == 1 && n == 3 && got[0].leaves == 1,
	   "root of level 1 round-trips, one range a child");
	lk_free(got);

	/* version 1 reads as a root of level 1 */
	sb_reset(&out);
	tree_node_encode(&out, LK_NODE_ROOT_V1, 1, d, 3);
	ok(tree_node_decode(out.data, out.len, &kind, &level, &got, &n) == LK_CODEC_OK &&
	   kind == LK_NODE_ROOT_V1 && level == 1 && n == 3 && got[2].leaves == 1,
	   "a version 1 metarange decodes as a root of level 1");
	lk_free(got);

	/* the empty tree: a root of level 1 without children; nothing else empty */
	sb_reset(&out);
	tree_node_encode(&out, LK_NODE_ROOT_V2, 1, d, 0);
	ok(tree_node_decode(out.data, out.len, &kind, &level, &got, &n) == LK_CODEC_OK &&
	   n == 0, "the empty root decodes");
	lk_free(got);
	sb_reset(&out);
	tree_node_encode(&out, LK_NODE_INDEX, 1, d, 0);
	ok(tree_node_decode(out.data, out.len, &kind, &level, &got, &n) == LK_CODEC_BAD_VALUE &&
	   got == NULL, "an empty index node is rejected");
	sb_reset(&out);
	tree_node_encode(&out, LK_NODE_ROOT_V2, 3, d, 0);
	ok(tree_node_decode(out.data, out.len, &kind, &level, &got, &n) == LK_CODEC_BAD_VALUE,
	   "an empty root above level 1 is rejected");

	/* levels outside 1..LK_TREE_MAX_LEVEL */
	sb_reset(&out);
	tree_node_encode(&out, LK_NODE_INDEX, 0, d, 3);
	ok(tree_node_decode(out.data, out.len, &kind, &level, &got, &n) == LK_CODEC_BAD_VALUE,
	   "level 0 is rejected");
	sb_reset(&out);
	tree_node_encode(&out, LK_NODE_INDEX, LK_TREE_MAX_LEVEL + 1, d, 3);
	ok(tree_node_decode(out.data, out.len, &kind, &level, &got, &n) == LK_CODEC_BAD_VALUE,
	   "a level above the maximum is rejected");

	/* a subtree with no range, or more ranges than entries */
	d[1].leaves = 0;
	sb_reset(&out);
	tree_node_encode(&out, LK_NODE_INDEX, 2, d, 3);
	ok(tree_node_decode(out.data, out.len, &kind, &level, &got, &n) == LK_CODEC_BAD_VALUE,
	   "a child of no range is rejected");
	d[1].leaves = 1000;
	sb_reset(&out);
	tree_node_encode(&out, LK_NODE_INDEX, 2, d, 3);
	ok(tree_node_decode(out.data, out.len, &kind, &level, &got, &n) == LK_CODEC_BAD_VALUE,
	   "a child of more ranges than entries is rejected");
	d[1].leaves = 5;
	d[1].min_key = "b";				/* overlaps child 0 */
	sb_reset(&out);
	tree_node_encode(&out, LK_NODE_INDEX, 2, d, 3);
	ok(tree_node_decode(out.data, out.len, &kind, &level, &got, &n) == LK_CODEC_UNSORTED,
	   "overlapping children are rejected");
	sb_reset(&out);
	sb_append(&out, "LKM\x03", 4);
	ok(tree_node_decode(out.data, out.len, &kind, &level, &got, &n) == LK_CODEC_BAD_MAGIC,
	   "an unknown format version is rejected");
	sb_free(&out);

	/* the cut rule of index nodes */
	{
		int			first = 0,
					forced = 1,
					cuts = 0,
					same = 1;
		char		key[32];

		chunk_node_bits = 3;
		for (int i = 0; i < 4000; i++)
		{
			int			len = snprintf(key, sizeof(key), "k%06d", i);

			if (chunk_node_is_boundary(key, len, 1, 1))
				first = 1;
			if (!chunk_node_is_boundary(key, len, 1, 8u << chunk_node_bits))
				forced = 0;
			if (chunk_node_is_boundary(key, len, 1, 2))
				cuts++;
			if (chunk_node_is_boundary(key, len, 1, 2) !=
				chunk_node_is_boundary(key, len, 1, 5))
				same = 0;
		}
		ok(!first, "an index node never closes after its first child");
		ok(forced, "an index node closes at 8 times the average");
		ok(cuts > 4000 / 16 && cuts < 4000 / 4, "about one cut in 2^bits children");
		ok(same, "between the bounds the cut depends on the key alone");
		chunk_node_bits = CHUNK_NODE_BITS;
	}
}

/* chunk boundaries over paths[from..to) with a fresh state at from */
static int
chunk_ends(char **paths, int n, int *ends)
{
	int			count = 0,
				m = 0;

	for (int i = 0; i < n; i++)
	{
		count++;
		if (chunk_is_boundary(paths[i], strlen(paths[i]), count))
		{
			ends[m++] = i;
			count = 0;
		}
	}
	return m;
}

static void
test_chunker(void)
{
	int			n = 0;
	char	  **paths = random_paths(200000);
	int		   *ends;
	int			m,
				min = 1 << 30,
				max = 0;

	while (paths[n])
		n++;
	ends = malloc(sizeof(int) * n);
	m = chunk_ends(paths, n, ends);
	for (int i = 0; i < m; i++)
	{
		int			len = ends[i] - (i ? ends[i - 1] : -1);

		if (len < min)
			min = len;
		if (len > max)
			max = len;
	}
	printf("# %d keys -> %d ranges, avg %.0f, min %d, max %d\n", n, m,
		   (double) n / (m ? m : 1), min, max);
	ok(m > n / (4 << CHUNK_AVG_BITS) && m < n / ((1 << CHUNK_AVG_BITS) / 4),
	   "range sizes average near 2^CHUNK_AVG_BITS");
	ok(max <= (int) chunk_max_entries(), "no range exceeds chunk_max_entries()");

	/* drop one key in the middle: every boundary but the neighbours stays */
	{
		int			drop = n / 2;
		char	  **less = malloc(sizeof(char *) * n);
		int		   *ends2 = malloc(sizeof(int) * n);
		int			m2,
					same = 0;

		memcpy(less, paths, sizeof(char *) * drop);
		memcpy(less + drop, paths + drop + 1, sizeof(char *) * (n - drop - 1));
		m2 = chunk_ends(less, n - 1, ends2);
		for (int i = 0, j = 0; i < m && j < m2;)
		{
			const char *a = paths[ends[i]];
			const char *b = less[ends2[j]];
			int			c = strcmp(a, b);

			if (c == 0)
			{
				same++;
				i++;
				j++;
			}
			else if (c < 0)
				i++;
			else
				j++;
		}
		ok(same >= m - 2, "deleting one key moves at most one boundary");
		free(less);
		free(ends2);
	}
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(ends);
}

int
main(void)
{
	test_round_trip();
	test_rejects();
	test_metarange();
	test_tree_nodes();
	test_node_key_prefixes();
	test_chunker();
	return done_testing();
}

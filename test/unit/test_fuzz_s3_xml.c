/*-------------------------------------------------------------------------
 *
 * test_fuzz_s3_xml.c
 *		Runs the fuzz target fuzz_s3_xml.c under the normal unit build (no
 *		libFuzzer): its seed corpus, then a few thousand deterministic
 *		mutations of it (byte flips, insertions of XML syntax, deletions,
 *		duplications, splices, truncations) and random byte strings.
 *
 * A crash ends the program (test/run counts that as a failure); valgrind
 * or ASan runs of this binary also catch leaks and bad reads.
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"

#include "fuzz_s3_xml.c"

#define FUZZ_MAX_INPUT 16384
#define MAX_SEEDS 64

typedef struct Input
{
	uint8_t    *data;
	size_t		len;
} Input;

static Input seeds[MAX_SEEDS];
static int	nseeds = 0;

static const char *const builtin_seeds[] = {
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><EncodingType>url</EncodingType>"
	"<IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken>"
	"<Contents><Key>a%20b+c</Key><Size>12</Size><ETag>\"e\"</ETag></Contents>"
	"<CommonPrefixes><Prefix>p%2F/</Prefix></CommonPrefixes></ListBucketResult>",
	"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
	"<RequestId>R</RequestId><Resource>/b/k</Resource></Error>",
	"<InitiateMultipartUploadResult><UploadId>u</UploadId></InitiateMultipartUploadResult>",
	"<CompleteMultipartUploadResult><ETag></ETag></CompleteMultipartUploadResult>",
	"<DeleteResult><Error><Key>k</Key><Code>C</Code></Error></DeleteResult>",
};

/* Fragments worth inserting: the syntax parsers trip over. */
static const char *const tokens[] = {
	"<", ">", "</", "/>", "&", "&amp;", "&#0;", "&#x110000;", "&lt", "<![CDATA[", "]]>",
	"<!--", "-->", "<?xml version=\"1.0\"?>", "<!DOCTYPE x [<!ENTITY e \"&e;\">]>", "&e;",
	"<Contents>", "</Contents>", "<Key>", "</Key>", "<Size>", "-1", "99999999999999999999",
	"<IsTruncated>true</IsTruncated>", "<EncodingType>url</EncodingType>", "%", "%2", "%00",
	"+", "xmlns:a=\"x\"", "a:", "\"", "'", "\xc3", "\xff\xfe", "\x00", "<Error>", "<Code>",
	"<UploadId>", "<ETag>", "<CommonPrefixes><Prefix>",
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t
rand_below(size_t n)
{
	return n ? (size_t) (next_rand() % n) : 0;
}

static void
add_seed(const void *data, size_t len)
{
	if (nseeds == MAX_SEEDS || len > FUZZ_MAX_INPUT)
		return;
	seeds[nseeds].data = malloc(len ? len : 1);
	memcpy(seeds[nseeds].data, data, len);
	seeds[nseeds].len = len;
	nseeds++;
}

/* The corpus files, from the repo root or from test/unit. */
static int
load_corpus(void)
{
	const char *dirs[] = {"test/unit/corpus/s3_xml", "corpus/s3_xml"};
	int			loaded = 0;

	for (int i = 0; i < 2 && loaded == 0; i++)
	{
		DIR		   *d = opendir(dirs[i]);
		struct dirent *e;

		while (d && (e = readdir(d)) != NULL)
		{
			char		path[1024];
			char		buf[FUZZ_MAX_INPUT];
			FILE	   *f;
			size_t		n;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%.200s", dirs[i], e->d_name);
			if ((f = fopen(path, "rb")) == NULL)
				continue;
			n = fread(buf, 1, sizeof(buf), f);
			fclose(f);
			add_seed(buf, n);
			loaded++;
		}
		if (d)
			closedir(d);
	}
	return loaded;
}

/* Apply one random mutation to buf (len in/out, capacity FUZZ_MAX_INPUT). */
static void
mutate(uint8_t *buf, size_t *len)
{
	size_t		n = *len;

	switch (next_rand() % 7)
	{
		case 0:					/* flip a byte */
			if (n)
				buf[rand_below(n)] ^= (uint8_t) (1 + rand_below(255));
			break;
		case 1:					/* insert a token */
			{
				const char *t = tokens[rand_below(sizeof(tokens) / sizeof(tokens[0]))];
				size_t		tl = strlen(t) ? strlen(t) : 1;
				size_t		at = rand_below(n + 1);

				if (n + tl > FUZZ_MAX_INPUT)
					break;
				memmove(buf + at + tl, buf + at, n - at);
				memcpy(buf + at, t, tl);
				n += tl;
			}
			break;
		case 2:					/* delete a range */
			if (n)
			{
				size_t		at = rand_below(n);
				size_t		k = 1 + rand_below(n - at < 32 ? n - at : 32);

				memmove(buf + at, buf + at + k, n - at - k);
				n -= k;
			}
			break;
		case 3:					/* duplicate a range */
			if (n)
			{
				size_t		at = rand_below(n);
				size_t		k = 1 + rand_below(n - at < 64 ? n - at : 64);

				if (n + k > FUZZ_MAX_INPUT)
					break;
				memmove(buf + at + k, buf + at, n - at);
				n += k;
			}
			break;
		case 4:					/* truncate */
			n = rand_below(n + 1);
			break;
		case 5:					/* splice the tail of another seed */
			{
				Input	   *o = &seeds[rand_below(nseeds)];
				size_t		at = rand_below(n + 1);
				size_t		from = rand_below(o->len + 1);
				size_t		k = o->len - from;

				if (at + k > FUZZ_MAX_INPUT)
					k = FUZZ_MAX_INPUT - at;
				memcpy(buf + at, o->data + from, k);
				n = at + k;
			}
			break;
		default:				/* overwrite a byte with a random one */
			if (n)
				buf[rand_below(n)] = (uint8_t) next_rand();
			break;
	}
	*len = n;
}

int
main(void)
{
	static uint8_t buf[FUZZ_MAX_INPUT];
	int			from_files = load_corpus();
	int			runs = 0;
	clock_t		t0 = clock();

	for (size_t i = 0; i < sizeof(builtin_seeds) / sizeof(builtin_seeds[0]); i++)
		add_seed(builtin_seeds[i], strlen(builtin_seeds[i]));
	if (from_files == 0)
		printf("# corpus/s3_xml not found, using the built-in seeds only\n");

	for (int i = 0; i < nseeds; i++)
		LLVMFuzzerTestOneInput(seeds[i].data, seeds[i].len);
	ok(1, "fuzz_s3_xml: every seed input ran");

	for (int i = 0; i < 4000; i++)
	{
		Input	   *s = &seeds[rand_below(nseeds)];
		size_t		len = s->len;
		int			k = 1 + (int) rand_below(4);

		memcpy(buf, s->data, len);
		while (k-- > 0)
			mutate(buf, &len);
		LLVMFuzzerTestOneInput(buf, len);
		runs++;
	}
	ok(runs == 4000, "fuzz_s3_xml: 4000 mutated inputs ran without a crash");

	for (int i = 0; i < 500; i++)
	{
		size_t		len = rand_below(512);

		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t) next_rand();
		LLVMFuzzerTestOneInput(buf, len);
	}
	ok(1, "fuzz_s3_xml: 500 random byte strings ran without a crash");
	printf("# %d seeds (%d from files), %.2f s\n", nseeds, from_files,
		   (double) (clock() - t0) / CLOCKS_PER_SEC);

	for (int i = 0; i < nseeds; i++)
		free(seeds[i].data);
	return done_testing();
}

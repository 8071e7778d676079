/*-------------------------------------------------------------------------
 *
 * test_fuzz_range_codec.c
 *		Runs the fuzz target fuzz_range_codec.c under the normal unit build
 *		(no libFuzzer): its seed corpus (corpus/range_codec), then
 *		deterministic mutations of it (byte flips, random bytes, deletions,
 *		duplications, truncations) and random byte strings in every mode.
 *
 * A crash or a disagreement (abort()) ends the program, which test/run
 * counts as a failure; LAKEFS_SANITIZE=1 and valgrind runs of this binary
 * also catch bad reads.
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "fuzz_range_codec.c"

#define FUZZ_MAX_INPUT 8192
#define MAX_SEEDS 32

static uint8_t seeds[MAX_SEEDS][FUZZ_MAX_INPUT];
static size_t seed_len[MAX_SEEDS];
static int	nseeds = 0;

static uint64_t rng = 0x2545f4914f6cdd1dULL;

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

/* The corpus files, from the repo root or from test/unit. */
static void
load_corpus(void)
{
	const char *dirs[] = {"test/unit/corpus/range_codec", "corpus/range_codec"};

	for (int i = 0; i < 2 && nseeds == 0; i++)
	{
		DIR		   *d = opendir(dirs[i]);
		struct dirent *e;

		while (d && (e = readdir(d)) != NULL && nseeds < MAX_SEEDS)
		{
			char		path[1024];
			FILE	   *f;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%.200s", dirs[i], e->d_name);
			if ((f = fopen(path, "rb")) == NULL)
				continue;
			seed_len[nseeds] = fread(seeds[nseeds], 1, FUZZ_MAX_INPUT, f);
			fclose(f);
			nseeds++;
		}
		if (d)
			closedir(d);
	}
}

static void
mutate(uint8_t *buf, size_t *len)
{
	size_t		n = *len;

	switch (next_rand() % 5)
	{
		case 0:					/* flip bits of a byte (never the mode byte) */
			if (n > 1)
				buf[1 + rand_below(n - 1)] ^= (uint8_t) (1 + rand_below(255));
			break;
		case 1:					/* a random byte */
			if (n > 1)
				buf[1 + rand_below(n - 1)] = (uint8_t) next_rand();
			break;
		case 2:					/* delete a run */
			if (n > 1)
			{
				size_t		at = 1 + rand_below(n - 1);
				size_t		k = 1 + rand_below(n - at < 16 ? n - at : 16);

				memmove(buf + at, buf + at + k, n - at - k);
				n -= k;
			}
			break;
		case 3:					/* duplicate a run */
			if (n > 1)
			{
				size_t		at = 1 + rand_below(n - 1);
				size_t		k = 1 + rand_below(n - at < 32 ? n - at : 32);

				if (n + k > FUZZ_MAX_INPUT)
					break;
				memmove(buf + at + k, buf + at, n - at);
				n += k;
			}
			break;
		default:				/* truncate */
			n = 1 + rand_below(n);
			break;
	}
	*len = n;
}

int
main(void)
{
	static uint8_t buf[FUZZ_MAX_INPUT];

	load_corpus();
	printf("# %d seed inputs\n", nseeds);
	ok(nseeds >= 4, "fuzz_range_codec: the seed inputs of corpus/range_codec found");
	for (int i = 0; i < nseeds; i++)
		LLVMFuzzerTestOneInput(seeds[i], seed_len[i]);
	ok(1, "fuzz_range_codec: every seed input ran");

	for (int i = 0; i < 20000 && nseeds > 0; i++)
	{
		int			s = (int) rand_below(nseeds);
		size_t		len = seed_len[s];
		int			k = 1 + (int) rand_below(4);

		memcpy(buf, seeds[s], len);
		while (k-- > 0)
			mutate(buf, &len);
		LLVMFuzzerTestOneInput(buf, len);
	}
	ok(1, "fuzz_range_codec: 20000 mutated ranges, metaranges and entry lists ran");

	for (int i = 0; i < 2000; i++)
	{
		size_t		len = rand_below(512);

		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t) next_rand();
		LLVMFuzzerTestOneInput(buf, len);
	}
	ok(1, "fuzz_range_codec: 2000 random byte strings ran");
	return done_testing();
}

/*-------------------------------------------------------------------------
 *
 * fuzz_s3_xml.c
 *		libFuzzer target over every S3 XML parser and s3_url_decode.
 *
 * Built by "make -C test/unit fuzz": with clang -fsanitize=fuzzer,address
 * when available (run bin/fuzz_s3_xml corpus/s3_xml), otherwise with the
 * standalone driver fuzz_main.c, which replays files given as arguments.
 * test_fuzz_s3_xml.c includes this file and drives it with a few thousand
 * mutated inputs under the normal unit build.
 *
 * A crash, a sanitizer report or a leak is a finding; so is a parser that
 * reports success with an inconsistent result (checked below with abort()).
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lk_alloc.h"
#include "s3_xml.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *xml = (const char *) data;
	S3ListPage	page;
	S3ErrorReply err;
	char		errbuf[256];
	char	   *s;
	char	   *copy;
	int			n;

	if (s3_parse_list_page(xml, size, &page, errbuf, sizeof(errbuf)) == 0)
	{
		for (int i = 0; i < page.nobjects; i++)
			if (page.objects[i].key == NULL || page.objects[i].size < 0)
				abort();
		for (int i = 0; i < page.nprefixes; i++)
			if (page.prefixes[i] == NULL)
				abort();
		if (page.is_truncated && page.next_token == NULL)
			abort();
	}
	s3_list_page_free(&page);

	if (s3_parse_error(xml, size, &err) == 0 && err.code == NULL)
		abort();
	s3_error_reply_free(&err);

	if (s3_parse_upload_id(xml, size, &s, errbuf, sizeof(errbuf)) == 0 &&
		(s == NULL || s[0] == '\0'))
		abort();
	lk_free(s);

	if (s3_parse_complete_multipart(xml, size, &s, errbuf, sizeof(errbuf)) == 0 &&
		s == NULL)
		abort();
	lk_free(s);

	if (s3_parse_delete_result(xml, size, &n, errbuf, sizeof(errbuf)) == 0 && n < 0)
		abort();

	/* s3_url_decode wants a C string: never longer than its input */
	copy = malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	s = s3_url_decode(copy);
	if (strlen(s) > strlen(copy))
		abort();
	lk_free(s);
	free(copy);
	return 0;
}

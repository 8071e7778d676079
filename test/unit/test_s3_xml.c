/*-------------------------------------------------------------------------
 *
 * test_s3_xml.c
 *		Unit tests of the S3 XML parsers and body builders: replies shaped
 *		like AWS, MinIO and Ceph RGW send them, then hostile input (garbage,
 *		truncation at every byte, wrong roots, DOCTYPEs and entity bombs).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lk_alloc.h"
#include "s3_xml.h"
#include "tap.h"

#define NS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

/* ListObjectsV2 as AWS sends it with encoding-type=url. */
static const char aws_list[] =
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
"<ListBucketResult " NS ">"
"<Name>sample-data</Name><Prefix>raw%2F</Prefix><KeyCount>3</KeyCount>"
"<MaxKeys>1000</MaxKeys><Delimiter>%2F</Delimiter><EncodingType>url</EncodingType>"
"<IsTruncated>true</IsTruncated>"
"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
"<Contents><Key>raw/my+file%2B1.csv</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>"
"<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>434234</Size>"
"<StorageClass>STANDARD</StorageClass></Contents>"
"<Contents><Key>raw/%C3%A9t%C3%A9%20x.parquet</Key><LastModified>2024-01-02T03:04:06.000Z</LastModified>"
"<ETag>\"d41d8cd98f00b204e9800998ecf8427e-2\"</ETag><Size>0</Size></Contents>"
"<Contents><Key>raw/a%26b%3Cc%3E</Key><LastModified>2024-01-02T03:04:07.000Z</LastModified>"
"<ETag>\"x\"</ETag><Size>9223372036854775807</Size></Contents>"
"<CommonPrefixes><Prefix>raw/sub+dir/</Prefix></CommonPrefixes>"
"<CommonPrefixes><Prefix>raw/%E2%9C%93/</Prefix></CommonPrefixes>"
"</ListBucketResult>";

/* MinIO, no encoding, last page, pretty-printed. */
static const char minio_list[] =
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
"<ListBucketResult " NS ">\n"
"  <Name>example</Name>\n  <Prefix></Prefix>\n  <KeyCount>1</KeyCount>\n"
"  <MaxKeys>1000</MaxKeys>\n  <IsTruncated>false</IsTruncated>\n"
"  <Contents>\n    <Key>lakefs-minio-demo/data/a b+c%41.bin</Key>\n"
"    <LastModified>2024-05-06T07:08:09.123Z</LastModified>\n"
"    <ETag>&#34;0cc175b9c0f1b6a831c399e269772661&#34;</ETag>\n"
"    <Size>1</Size>\n    <Owner><ID>02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4</ID>"
"<DisplayName>minio</DisplayName></Owner>\n"
"    <StorageClass>STANDARD</StorageClass>\n  </Contents>\n"
"</ListBucketResult>\n";

/* RGW: no namespace prefix issue, CDATA-free, %20 encoding, empty listing. */
static const char rgw_empty[] =
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
"<ListBucketResult " NS "><Name>b</Name><Prefix>x%20y/</Prefix><MaxKeys>1000</MaxKeys>"
"<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated></ListBucketResult>";

static void
test_listing(void)
{
	S3ListPage	page;
	char		err[256] = "";
	int			rc;

	rc = s3_parse_list_page(aws_list, strlen(aws_list), &page, err, sizeof(err));
	ok(rc == 0, "AWS listing parses");
	ok(page.nobjects == 3 && page.nprefixes == 2, "AWS listing: 3 objects, 2 prefixes");
	ok(page.is_truncated, "AWS listing: truncated");
	is_str(page.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=",
		   "continuation token kept verbatim (not decoded)");
	if (page.nobjects == 3 && page.nprefixes == 2)
	{
		is_str(page.objects[0].key, "raw/my file+1.csv", "url decoding: '+' is space, %2B is '+'");
		is_str(page.objects[1].key, "raw/\xc3\xa9t\xc3\xa9 x.parquet", "url decoding: UTF-8 and %20");
		is_str(page.objects[2].key, "raw/a&b<c>", "url decoding: reserved characters");
		is_str(page.objects[0].etag, "9b2cf535f27731c974343645a3985328", "ETag from &quot; loses its quotes");
		is_str(page.objects[1].etag, "d41d8cd98f00b204e9800998ecf8427e-2", "multipart ETag loses its quotes");
		ok(page.objects[0].size == 434234 && page.objects[1].size == 0 &&
		   page.objects[2].size == INT64_MAX, "sizes, up to INT64_MAX");
		is_str(page.objects[0].last_modified, "2024-01-02T03:04:05.000Z", "LastModified as sent");
		is_str(page.prefixes[0], "raw/sub dir/", "common prefix decoded");
		is_str(page.prefixes[1], "raw/\xe2\x9c\x93/", "common prefix decoded (UTF-8)");
	}
	s3_list_page_free(&page);

	rc = s3_parse_list_page(minio_list, strlen(minio_list), &page, err, sizeof(err));
	ok(rc == 0 && page.nobjects == 1 && !page.is_truncated && page.next_token == NULL,
	   "MinIO listing parses, last page");
	if (rc == 0 && page.nobjects == 1)
	{
		is_str(page.objects[0].key, "lakefs-minio-demo/data/a b+c%41.bin",
			   "without EncodingType keys are not decoded");
		is_str(page.objects[0].etag, "0cc175b9c0f1b6a831c399e269772661", "ETag from &#34;");
	}
	s3_list_page_free(&page);

	rc = s3_parse_list_page(rgw_empty, strlen(rgw_empty), &page, err, sizeof(err));
	ok(rc == 0 && page.nobjects == 0 && page.nprefixes == 0 && page.objects == NULL,
	   "empty listing");
	s3_list_page_free(&page);

	{
		const char	nons[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
			"<Contents><Key><![CDATA[a<b]]></Key><Size>5</Size></Contents></ListBucketResult>";

		rc = s3_parse_list_page(nons, strlen(nons), &page, err, sizeof(err));
		ok(rc == 0 && page.nobjects == 1 && strcmp(page.objects[0].key, "a<b") == 0 &&
		   page.objects[0].etag == NULL, "no namespace, CDATA key, no ETag");
		s3_list_page_free(&page);
	}
	{
		const char	pfx[] = "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
			"<s3:IsTruncated>false</s3:IsTruncated><s3:Contents><s3:Key>k</s3:Key>"
			"<s3:Size>1</s3:Size></s3:Contents></s3:ListBucketResult>";

		rc = s3_parse_list_page(pfx, strlen(pfx), &page, err, sizeof(err));
		ok(rc == 0 && page.nobjects == 1 && strcmp(page.objects[0].key, "k") == 0,
		   "prefixed namespace: matched by local names");
		s3_list_page_free(&page);
	}
	{
		const char	bad[] = "<ListBucketResult><Contents><Key>k</Key><Size>12x</Size></Contents>"
			"</ListBucketResult>";

		rc = s3_parse_list_page(bad, strlen(bad), &page, err, sizeof(err));
		ok(rc == -1 && page.objects == NULL && strstr(err, "Size") != NULL,
		   "bad Size rejected, page left empty");
		s3_list_page_free(&page);
	}
	{
		const char	bad[] = "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>";

		rc = s3_parse_list_page(bad, strlen(bad), &page, err, sizeof(err));
		ok(rc == -1 && page.nobjects == 0, "Contents without Key rejected");
	}
	{
		const char	bad[] = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";

		rc = s3_parse_list_page(bad, strlen(bad), &page, err, sizeof(err));
		ok(rc == -1, "truncated listing without a token rejected (would loop)");
	}
}

static void
test_error_and_multipart(void)
{
	S3ErrorReply e;
	char		err[256] = "";
	char	   *s = NULL;
	int			n = -1;
	const char	aws_err[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message>"
		"<Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>";
	const char	minio_err[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
		"does not match the signature you provided.</Message><Key>a</Key><BucketName>b</BucketName>"
		"<Resource>/b/a</Resource><RequestId>17B2C0C1D2E3F4A5</RequestId>"
		"<HostId>dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8</HostId></Error>";
	const char	init[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<InitiateMultipartUploadResult " NS "><Bucket>example-bucket</Bucket>"
		"<Key>example-object</Key><UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
		"</InitiateMultipartUploadResult>";
	const char	done_aws[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<CompleteMultipartUploadResult " NS "><Location>http://Example-Bucket.s3.amazonaws.com/Example-Object</Location>"
		"<Bucket>Example-Bucket</Bucket><Key>Example-Object</Key>"
		"<ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag></CompleteMultipartUploadResult>";
	const char	done_rgw[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		"<CompleteMultipartUploadResult " NS "><Location>b.rgw/k</Location><Bucket>b</Bucket>"
		"<Key>k</Key><ETag></ETag></CompleteMultipartUploadResult>";
	const char	done_err[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n"
		"<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again."
		"</Message><RequestId>656c76696e6727732072657175657374</RequestId></Error>";
	const char	del[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<DeleteResult " NS "><Deleted><Key>sample1.txt</Key></Deleted>"
		"<Error><Key>sample2.txt</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
		"<Error><Key>sample3.txt</Key><Code>InternalError</Code></Error></DeleteResult>";
	const char	del_ok[] = "<DeleteResult " NS "/>";

	ok(s3_parse_error(aws_err, strlen(aws_err), &e) == 0, "AWS error parses");
	is_str(e.code, "NoSuchKey", "error code");
	is_str(e.message, "The resource you requested does not exist", "error message");
	is_str(e.request_id, "4442587FB7D0A2F9", "error request id");
	is_str(e.resource, "/mybucket/myfoto.jpg", "error resource");
	s3_error_reply_free(&e);
	ok(s3_parse_error(minio_err, strlen(minio_err), &e) == 0 &&
	   strcmp(e.code, "SignatureDoesNotMatch") == 0, "MinIO error parses");
	s3_error_reply_free(&e);
	ok(s3_parse_error("Bad Gateway", 11, &e) == -1 && e.code == NULL, "non-XML body is no S3 error");
	ok(s3_parse_error(init, strlen(init), &e) == -1 && e.code == NULL, "other root is no S3 error");
	ok(s3_parse_error("<Error><Message>m</Message></Error>", 35, &e) == -1 && e.message == NULL,
	   "Error without Code is no S3 error");

	ok(s3_parse_upload_id(init, strlen(init), &s, err, sizeof(err)) == 0, "upload id parses");
	is_str(s, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA", "upload id");
	lk_free(s);
	ok(s3_parse_upload_id("<InitiateMultipartUploadResult/>", 32, &s, err, sizeof(err)) == -1 &&
	   s == NULL, "missing UploadId rejected");

	ok(s3_parse_complete_multipart(done_aws, strlen(done_aws), &s, err, sizeof(err)) == 0, "complete parses");
	is_str(s, "3858f62230ac3c915f300c664312c11f-9", "complete: ETag unquoted");
	lk_free(s);
	ok(s3_parse_complete_multipart(done_rgw, strlen(done_rgw), &s, err, sizeof(err)) == 0, "RGW complete parses");
	is_str(s, "", "RGW complete: empty ETag");
	lk_free(s);
	ok(s3_parse_complete_multipart(done_err, strlen(done_err), &s, err, sizeof(err)) == -1 && s == NULL,
	   "an Error in a 200 reply to complete fails");
	ok(strstr(err, "InternalError") != NULL, "its code is reported");

	ok(s3_parse_delete_result(del, strlen(del), &n, err, sizeof(err)) == 0 && n == 2,
	   "delete result: two errors counted");
	is_str(err, "sample2.txt: AccessDenied", "delete result: first key and code");
	ok(s3_parse_delete_result(del_ok, strlen(del_ok), &n, err, sizeof(err)) == 0 && n == 0,
	   "quiet delete result without errors");
}

static void
test_builders(void)
{
	StrBuf		sb;
	char	   *etags[] = {"\"a1\"", "b&2"};
	char	   *keys[] = {"plain", "a&b<c>\"d'e", "tab\tnl\ncr\r"};
	S3ListPage	page;
	char		err[256];

	sb_init(&sb);
	s3_build_complete_multipart(&sb, etags, 2);
	is_str(sb.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload " NS ">"
		   "<Part><PartNumber>1</PartNumber><ETag>&quot;a1&quot;</ETag></Part>"
		   "<Part><PartNumber>2</PartNumber><ETag>b&amp;2</ETag></Part></CompleteMultipartUpload>",
		   "CompleteMultipartUpload body");
	sb_reset(&sb);
	s3_build_delete_objects(&sb, keys, 3);
	is_str(sb.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete " NS "><Quiet>true</Quiet>"
		   "<Object><Key>plain</Key></Object>"
		   "<Object><Key>a&amp;b&lt;c&gt;&quot;d&apos;e</Key></Object>"
		   "<Object><Key>tab&#9;nl&#10;cr&#13;</Key></Object></Delete>",
		   "Delete body, keys escaped");

	/* round trip: escaped keys parse back to themselves */
	sb_reset(&sb);
	sb_appends(&sb, "<ListBucketResult>");
	for (int i = 0; i < 3; i++)
	{
		StrBuf		one;

		sb_init(&one);
		s3_build_delete_objects(&one, &keys[i], 1);
		/* lift the <Key>..</Key> out of the Delete body */
		sb_appends(&sb, "<Contents>");
		*strstr(one.data, "</Key>") = '\0';
		sb_appends(&sb, strstr(one.data, "<Key>"));
		sb_appends(&sb, "</Key></Contents>");
		sb_free(&one);
	}
	sb_appends(&sb, "</ListBucketResult>");
	ok(s3_parse_list_page(sb.data, sb.len, &page, err, sizeof(err)) == 0 && page.nobjects == 3 &&
	   strcmp(page.objects[1].key, keys[1]) == 0 && strcmp(page.objects[2].key, keys[2]) == 0,
	   "escaped keys round-trip through the parser");
	s3_list_page_free(&page);
	sb_free(&sb);
}

static void
test_url_decode(void)
{
	struct
	{
		const char *in;
		const char *out;
	}			cases[] = {
		{"", ""},
		{"a+b", "a b"},
		{"a%2Bb", "a+b"},
		{"a%20b", "a b"},
		{"%e2%9c%93", "\xe2\x9c\x93"},
		{"100%", "100%"},
		{"%4", "%4"},
		{"%zz%41", "%zzA"},
		{"%00x", "%00x"},
		{"dir/%2F/", "dir///"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		char	   *d = s3_url_decode(cases[i].in);
		char		desc[128];

		snprintf(desc, sizeof(desc), "s3_url_decode(\"%s\")", cases[i].in);
		is_str(d, cases[i].out, desc);
		lk_free(d);
	}
	ok(s3_url_decode(NULL) == NULL, "s3_url_decode(NULL)");
}

/* Every parser over buf: none may crash, leak or report success wrongly. */
static int
run_all_parsers(const char *buf, size_t len)
{
	S3ListPage	page;
	S3ErrorReply e;
	char		err[128];
	char	   *s;
	int			n;
	int			oks = 0;

	oks += s3_parse_list_page(buf, len, &page, err, sizeof(err)) == 0;
	s3_list_page_free(&page);
	oks += s3_parse_error(buf, len, &e) == 0;
	s3_error_reply_free(&e);
	oks += s3_parse_upload_id(buf, len, &s, err, sizeof(err)) == 0;
	lk_free(s);
	oks += s3_parse_complete_multipart(buf, len, &s, err, sizeof(err)) == 0;
	lk_free(s);
	oks += s3_parse_delete_result(buf, len, &n, err, sizeof(err)) == 0;
	return oks;
}

static void
test_hostile(void)
{
	S3ListPage	page;
	char		err[256] = "";
	int			rc;
	int			bad = 0;
	clock_t		t0;
	const char *garbage[] = {
		"", " ", "<", "<<<>>>", "\xff\xfe\x00<", "<?xml version=\"1.0\"?>", "not xml at all",
		"<ListBucketResult>", "<ListBucketResult><Contents><Key>a</Key>",
		"</ListBucketResult>", "<ListBucketResult/><ListBucketResult/>",
	};
	const char	laughs[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE ListBucketResult [\n"
		"<!ENTITY a \"aaaaaaaaaa\">\n<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
		"<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
		"<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">\n"
		"<!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">\n]>\n"
		"<ListBucketResult><Contents><Key>&i;</Key><Size>1</Size></Contents></ListBucketResult>";
	const char	xxe[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE Error [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<Error><Code>&x;</Code></Error>";
	const char	ext_dtd[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE Error SYSTEM \"http://127.0.0.1:1/evil.dtd\">"
		"<Error><Code>C</Code></Error>";
	const char	wrong_root[] = "<ListAllMyBucketsResult " NS "><Buckets/></ListAllMyBucketsResult>";

	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		/* garbage[4] holds a NUL: pass its 4 bytes, not strlen() + 4 (one past the literal) */
		bad += run_all_parsers(garbage[i], i == 4 ? 4 : strlen(garbage[i])) != 0;
	ok(bad == 0, "garbage: every parser fails cleanly");

	/* every truncation of a good reply: no crash, and never a false success */
	bad = 0;
	for (size_t cut = 0; cut < strlen(aws_list) - 1; cut++)
	{
		rc = s3_parse_list_page(aws_list, cut, &page, err, sizeof(err));
		bad += rc == 0;
		s3_list_page_free(&page);
		run_all_parsers(aws_list, cut);
	}
	ok(bad == 0, "every truncation of a listing is rejected");

	t0 = clock();
	rc = s3_parse_list_page(laughs, strlen(laughs), &page, err, sizeof(err));
	ok(rc == -1 && page.nobjects == 0, "billion laughs rejected");
	ok((double) (clock() - t0) / CLOCKS_PER_SEC < 1.0, "billion laughs does not expand (under 1 s)");
	s3_list_page_free(&page);
	{
		S3ErrorReply e;

		ok(s3_parse_error(xxe, strlen(xxe), &e) == -1 && e.code == NULL,
		   "external entity (XXE) rejected");
		ok(s3_parse_error(ext_dtd, strlen(ext_dtd), &e) == -1, "external DTD rejected");
	}
	rc = s3_parse_list_page(wrong_root, strlen(wrong_root), &page, err, sizeof(err));
	ok(rc == -1 && strstr(err, "ListAllMyBucketsResult") != NULL, "wrong root rejected with reason");
	ok(run_all_parsers(wrong_root, strlen(wrong_root)) == 0, "wrong root: every parser fails");
	rc = s3_parse_list_page(aws_list, strlen(aws_list), &page, NULL, 0);
	ok(rc == 0, "NULL errbuf accepted");
	s3_list_page_free(&page);
}

int
main(void)
{
	test_listing();
	test_error_and_multipart();
	test_builders();
	test_url_decode();
	test_hostile();
	return done_testing();
}

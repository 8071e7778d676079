/*-------------------------------------------------------------------------
 *
 * s3_xml.h
 *		Parsing the S3 XML replies with libxml2: ListObjectsV2, Error,
 *		InitiateMultipartUpload, CompleteMultipartUpload, DeleteResult; and
 *		building the CompleteMultipartUpload and Delete request bodies.
 *
 * Plain C (no server headers): fuzz targets feed it arbitrary bytes. Every
 * parser returns 0 on success and -1 on a malformed or unexpected document,
 * with a one-line reason in errbuf; it never crashes, never reads past len,
 * and frees every libxml2 object before it returns. Strings in the results
 * come from lk_alloc.h and are released by the matching *_free().
 *
 *-------------------------------------------------------------------------
 */
#ifndef S3_XML_H
#define S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef struct S3Object
{
	char	   *key;			/* decoded when the listing used encoding-type=url */
	int64_t		size;
	char	   *etag;			/* without the surrounding quotes */
	char	   *last_modified;	/* ISO 8601 text as sent */
} S3Object;

typedef struct S3ListPage
{
	S3Object   *objects;
	int			nobjects;
	char	  **prefixes;		/* CommonPrefixes, decoded likewise */
	int			nprefixes;
	bool		is_truncated;
	char	   *next_token;		/* NextContinuationToken, NULL if none */
} S3ListPage;

typedef struct S3ErrorReply
{
	char	   *code;			/* NULL when the body was not an S3 error */
	char	   *message;
	char	   *request_id;
	char	   *resource;
} S3ErrorReply;

/* s3_xml.c */
extern int	s3_parse_list_page(const char *xml, size_t len, S3ListPage *page,
							   char *errbuf, size_t errlen);
extern void s3_list_page_free(S3ListPage *page);

/*
 * <Error> -> code, message, request id, resource. 0 with err->code set, or
 * -1 with *err all NULL when the body is not an S3 error (HTML from a proxy,
 * empty, another root).
 */
extern int	s3_parse_error(const char *xml, size_t len, S3ErrorReply *err);
extern void s3_error_reply_free(S3ErrorReply *err);

/* InitiateMultipartUploadResult -> UploadId */
extern int	s3_parse_upload_id(const char *xml, size_t len, char **upload_id,
							   char *errbuf, size_t errlen);

/*
 * CompleteMultipartUploadResult -> ETag without quotes (may be empty, as RGW
 * sends). An <Error> body (S3 can fail the completion after sending 200)
 * returns -1 with "Code: Message" in errbuf.
 */
extern int	s3_parse_complete_multipart(const char *xml, size_t len, char **etag,
										char *errbuf, size_t errlen);

/* The CompleteMultipartUpload body for parts 1..nparts with their ETags. */
extern void s3_build_complete_multipart(StrBuf *out, char *const *etags, int nparts);

/* The multi-object Delete body (Quiet) for the given keys. */
extern void s3_build_delete_objects(StrBuf *out, char *const *keys, int nkeys);

/* DeleteResult -> number of <Error> elements (first key and code in errbuf). */
extern int	s3_parse_delete_result(const char *xml, size_t len, int *nerrors,
								   char *errbuf, size_t errlen);

/*
 * s3_url_decode: decode %XX and '+' (a space) as in encoding-type=url
 * listings: AWS and MinIO write a space as '+' and a '+' as %2B (botocore
 * reads them with unquote_plus), RGW writes %20. A malformed escape or %00
 * is kept as it is. Returns a new lk_malloc'd string; NULL for NULL.
 */
extern char *s3_url_decode(const char *s);

#endif							/* S3_XML_H */

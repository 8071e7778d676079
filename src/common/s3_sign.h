/*-------------------------------------------------------------------------
 *
 * s3_sign.h
 *		AWS Signature Version 4 for S3: header auth and presigned URLs.
 *
 * Plain C on OpenSSL (no server headers), so the unit tests run AWS's
 * published vectors against it. S3 rules: the path is not normalised and is
 * URI-encoded once (every byte but A-Z a-z 0-9 - _ . ~ and '/'); the query is
 * encoded and sorted; x-amz-content-sha256 is sent and signed on every
 * request. The generic (non-S3) rules used by most AWS test suites are
 * available through the flags, for the tests.
 *
 * Memory: every string this API returns is in a StrBuf or array the caller
 * passed in; nothing is kept between calls.
 *
 *-------------------------------------------------------------------------
 */
#ifndef S3_SIGN_H
#define S3_SIGN_H

#include <stdbool.h>
#include <time.h>

#include "strbuf.h"

#define S3_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define S3_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct S3Credentials
{
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;	/* NULL when none */
} S3Credentials;

typedef struct S3KeyValue
{
	const char *name;
	const char *value;			/* raw, unencoded; "" for a bare name */
} S3KeyValue;

typedef struct S3SignRequest
{
	const char *method;			/* "GET", "PUT", ... */
	const char *host;			/* Host header value, with ":port" if not default */
	const char *path;			/* raw absolute path, e.g. "/bucket/my key" */
	const S3KeyValue *query;	/* raw query parameters, any order */
	int			nquery;
	const S3KeyValue *headers;	/* further headers to sign (Range, Content-Type,
								 * x-amz-meta-*, ...); Host is added by the
								 * signer */
	int			nheaders;
	const char *payload_hash;	/* hex SHA-256 of the body, or
								 * S3_UNSIGNED_PAYLOAD (NULL means that) */
	const char *region;			/* e.g. "us-east-1" */
	const char *service;		/* "s3" */
	time_t		when;			/* signing time, UTC */
	/* generic-suite switches; S3 uses none of them */
	bool		normalize_path; /* remove dot segments, collapse slashes */
	bool		double_encode_path; /* path is given already URI-encoded, as
									 * on the wire, and is encoded once more
									 * (generic services); without it path is
									 * the raw path, encoded once (S3) */
	bool		omit_content_sha256;	/* don't add x-amz-content-sha256 */
	bool		omit_amz_date;	/* don't add x-amz-date: the date travels in
								 * a Date header the caller passes (2011
								 * suite) */
	bool		unsigned_session_token; /* send the session token but leave it
										 * out of the signature (services that
										 * want it added after signing) */
} S3SignRequest;

/* The headers to add to the request, in order: name/value pairs. */
#define S3_MAX_SIGNED_HEADERS 4
typedef struct S3SignedHeaders
{
	int			n;
	StrBuf		name[S3_MAX_SIGNED_HEADERS];
	StrBuf		value[S3_MAX_SIGNED_HEADERS];
} S3SignedHeaders;

/* s3_sign.c */

/*
 * s3_uri_encode: append s URI-encoded per SigV4 (unreserved bytes kept, the
 * rest %XX upper-case); '/' is kept when keep_slash.
 */
extern void s3_uri_encode(StrBuf *out, const char *s, size_t len, bool keep_slash);

/*
 * s3_canonical_request / s3_presign_canonical_request / s3_string_to_sign:
 * the intermediate texts of header and query auth, appended to *out (tests).
 * Host, X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token and
 * Authorization among req->headers are ignored: the signer owns them.
 * Headers given twice are joined with ',' in the order given.
 */
extern void s3_canonical_request(StrBuf *out, const S3SignRequest *req,
								 const S3Credentials *cred);
extern void s3_presign_canonical_request(StrBuf *out, const S3SignRequest *req,
										 const S3Credentials *cred,
										 int expires_seconds);
extern void s3_string_to_sign(StrBuf *out, const S3SignRequest *req,
							  const char *canonical_request);

/*
 * s3_sign_headers: header auth. Fills *out with x-amz-date,
 * x-amz-content-sha256 (unless omitted), x-amz-security-token (when the
 * credentials have a token) and Authorization. The caller sb_free()s each
 * name/value (s3_signed_headers_free does it).
 */
extern void s3_sign_headers(S3SignedHeaders *out, const S3SignRequest *req,
							const S3Credentials *cred);
extern void s3_signed_headers_free(S3SignedHeaders *h);

/*
 * s3_presign_query: query auth. Appends to *query the complete encoded query
 * string (the request's own parameters plus X-Amz-Algorithm, X-Amz-Credential,
 * X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Security-Token when
 * present, and X-Amz-Signature last), without the leading '?'. The
 * signed parameters come in canonical (sorted) order. Query auth signs Host
 * and the caller's headers (X-Amz-SignedHeaders lists them), never
 * x-amz-content-sha256; the token is a signed parameter unless
 * unsigned_session_token, when it is appended before the signature.
 * payload_hash is normally S3_UNSIGNED_PAYLOAD.
 */
extern void s3_presign_query(StrBuf *query, const S3SignRequest *req,
							 const S3Credentials *cred, int expires_seconds);

/* s3_sha256_hex: hex SHA-256 of a buffer into out (65 bytes). */
extern void s3_sha256_hex(char out[65], const void *data, size_t len);

#endif							/* S3_SIGN_H */

/*-------------------------------------------------------------------------
 *
 * ops_put.c
 *		S3 PutObject and CopyObject: writes to a branch, staged (commits
 *		stay in SQL, as in lakeFS).
 *
 * PutObject asks the database for a fresh physical address and a presigned
 * PUT URL (lakefs_upload_url, which also checks that the ref is a branch the
 * role may write), streams the body there as it arrives, and stages it with
 * lakefs_link_object (which HEADs the object for its size and ETag). The
 * body may be plain (UNSIGNED-PAYLOAD, or a signed payload whose SHA-256 is
 * checked as it streams) or aws-chunked (chunked.c checks each chunk's
 * signature); Content-MD5 and x-amz-checksum-* are checked as S3 does
 * (checksum.c). The body's last byte is held back until every check has
 * passed, so a body that fails one never completes in the store (an
 * UploadPart that fails leaves the part as it was). Any failure before the
 * link - a bad hash or chunk signature, a client that goes away, a store
 * error - stages nothing; the orphan object under data/ is garbage to
 * collect.
 *
 * CopyObject is shallow, as lakeFS's: the new path is staged with the
 * source entry's physical address, size and checksum.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "gw.h"
#include "s3_sign.h"

typedef struct PutOp
{
	char	   *ref;
	char	   *path;
	char	   *address;
	char	   *metadata;		/* JSON or NULL */
	const char *content_type;
	GwStore    *store;
	GwChunked  *chunked;
	EVP_MD_CTX *sha;			/* for a signed payload */
	GwChecksum *checksum;		/* Content-MD5, x-amz-checksum-* */
	char		held;			/* the body's last byte so far, not yet sent */
	bool		have_held;
	uint64_t	expected_len;
	const char *upload_id;		/* UploadPart: the upload, else NULL */
	const char *part_number;
	bool		failed;
	GwError		err;
} PutOp;

static void
put_free(GwRequest *r)
{
	PutOp	   *op = r->op;

	if (op == NULL)
		return;
	gw_store_free(op->store);
	gw_chunked_free(op->chunked);
	EVP_MD_CTX_free(op->sha);
	gw_checksum_free(op->checksum);
	free(op->ref);
	free(op->path);
	free(op->address);
	free(op->metadata);
	free(op);
	r->op = NULL;
}

/* collect x-amz-meta-* headers into a JSON object */
static enum MHD_Result
collect_meta(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	json_t	   *obj = cls;

	(void) kind;
	if (strncasecmp(key, "x-amz-meta-", 11) == 0 && key[11] && value)
	{
		char	   *lower = strdup(key + 11);

		for (char *p = lower; *p; p++)
			*p = (char) tolower((unsigned char) *p);
		json_object_set_new(obj, lower, json_string(value));
		free(lower);
	}
	return MHD_YES;
}

/* gw_request_metadata: see gw.h */
char *
gw_request_metadata(GwRequest *r)
{
	json_t	   *obj = json_object();
	char	   *text = NULL;

	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_meta, obj);
	if (json_object_size(obj) > 0)
		text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	return text;
}

/*
 * push decoded body bytes to the store, holding the last one back (sent by
 * put_finish once the body passed its checks)
 */
static bool
put_write(PutOp *op, const char *data, size_t len)
{
	if (len == 0)
		return true;
	gw_checksum_update(op->checksum, data, len);
	if (op->have_held && !gw_store_write(op->store, &op->held, 1))
		return false;
	op->held = data[len - 1];
	op->have_held = true;
	return len == 1 || gw_store_write(op->store, data, len - 1);
}

static int
store_sink(void *arg, const char *data, size_t len)
{
	PutOp	   *op = arg;

	return put_write(op, data, len) ? 0 : -1;
}

static void
put_body(GwRequest *r, const char *data, size_t len)
{
	PutOp	   *op = r->op;

	if (op->failed)
		return;
	if (op->chunked)
	{
		if (gw_chunked_feed(op->chunked, data, len, &op->err) != 0)
			op->failed = true;
		return;
	}
	if (op->sha)
		EVP_DigestUpdate(op->sha, data, len);
	if (!put_write(op, data, len))
	{
		gw_error_set(&op->err, 500, "InternalError", "The object store refused the data.");
		op->failed = true;
	}
}

static int
put_body_cb(GwRequest *r, const char *data, size_t len)
{
	put_body(r, data, len);
	return 0;
}

/* the body is complete: check it, finish the upload, stage it */
static void
put_finish(GwRequest *r)
{
	PutOp	   *op = r->op;
	long		status = 0;
	const char *p[6];
	PGresult   *res;
	char		etag[200];
	const char *hdrs[3];

	if (!op->failed && op->chunked && !gw_chunked_done(op->chunked, &op->err))
		op->failed = true;
	if (!op->failed && op->sha)
	{
		unsigned char d[32];
		unsigned int dl = 0;
		char		hex[65];

		EVP_DigestFinal_ex(op->sha, d, &dl);
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		if (strcmp(hex, r->auth.content_sha256) != 0)
		{
			gw_error_set(&op->err, 400, "XAmzContentSHA256Mismatch",
						 "The provided 'x-amz-content-sha256' header does not match what was computed.");
			op->failed = true;
		}
	}
	if (!op->failed && !gw_checksum_check(op->checksum, &op->err))
		op->failed = true;
	if (!op->failed && op->have_held && !gw_store_write(op->store, &op->held, 1))
	{
		gw_error_set(&op->err, 500, "InternalError", "The object store refused the data.");
		op->failed = true;
	}
	if (!op->failed && !gw_store_finish(op->store, &status))
	{
		gw_error_set(&op->err, 502, "InternalError",
					 "The object store did not take the object (HTTP %ld).", status);
		op->failed = true;
	}
	if (op->failed)
	{
		gw_respond_error(r, &op->err);
		return;
	}
	if (op->upload_id)
	{
		/* UploadPart: the part is in place; Complete stages the whole */
		snprintf(etag, sizeof(etag), "\"%s\"", gw_store_etag(op->store));
		hdrs[0] = "ETag";
		hdrs[1] = etag;
		hdrs[2] = NULL;
		gw_respond(r, 200, NULL, "", 0, hdrs);
		return;
	}
	p[0] = r->bucket;
	p[1] = op->ref;
	p[2] = op->path;
	p[3] = op->address;
	p[4] = op->content_type;
	p[5] = op->metadata;
	res = gw_sql(r, &op->err, "SELECT checksum FROM lakefs_link_object($1, $2, $3, $4, $5, $6::jsonb)",
				 6, p);
	if (res == NULL)
	{
		gw_respond_error(r, &op->err);
		return;
	}
	snprintf(etag, sizeof(etag), "\"%s\"", PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	hdrs[0] = "ETag";
	hdrs[1] = etag;
	hdrs[2] = NULL;
	gw_respond(r, 200, NULL, "", 0, hdrs);
}

/* PutObject, first call (headers): validate, get the upload URL, start */
void
gw_put_object_begin(GwRequest *r)
{
	PutOp	   *op = calloc(1, sizeof(PutOp));
	const char *sha = r->auth.content_sha256;
	const char *cl = gw_header(r, "Content-Length");
	const char *p[5];
	PGresult   *res;
	int64_t		length = cl ? strtoll(cl, NULL, 10) : -1;

	r->op = op;
	r->on_cleanup = put_free;
	if (!gw_split_key(r->key, &op->ref, &op->path) || op->path[0] == '\0')
	{
		gw_error_set(&op->err, 400, "InvalidArgument",
					 "Keys are \"<branch>/<path>\": a path is needed after the branch.");
		gw_respond_error(r, &op->err);
		return;
	}
	op->checksum = gw_checksum_from_headers(r, &op->err);
	if (op->checksum == NULL)
	{
		gw_respond_error(r, &op->err);
		return;
	}
	if (strncmp(sha, "STREAMING-", 10) == 0)
	{
		const char *dl = gw_header(r, "x-amz-decoded-content-length");
		bool		signed_chunks = strncmp(sha, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", 34) == 0;
		bool		trailer = strcmp(sha, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") == 0 ||
			strcmp(sha, "STREAMING-UNSIGNED-PAYLOAD-TRAILER") == 0;

		if (!trailer && strcmp(sha, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") != 0)
		{
			gw_error_set(&op->err, 501, "NotImplemented", "%s bodies are not implemented", sha);
			gw_respond_error(r, &op->err);
			return;
		}
		if (trailer && gw_header(r, "x-amz-trailer") == NULL)
		{
			gw_error_set(&op->err, 400, "InvalidRequest",
						 "%s bodies need an x-amz-trailer header naming the trailing checksum.", sha);
			gw_respond_error(r, &op->err);
			return;
		}
		if (trailer && !gw_checksum_algorithm(op->checksum, gw_header(r, "x-amz-trailer"), &op->err))
		{
			gw_respond_error(r, &op->err);
			return;
		}
		if (dl == NULL)
		{
			gw_error_set(&op->err, 411, "MissingContentLength",
						 "aws-chunked uploads need x-amz-decoded-content-length.");
			gw_respond_error(r, &op->err);
			return;
		}
		length = strtoll(dl, NULL, 10);
		op->chunked = gw_chunked_new(&r->auth, signed_chunks, trailer ? op->checksum : NULL,
									 store_sink, op);
	}
	else if (sha[0] && strcmp(sha, S3_UNSIGNED_PAYLOAD) != 0)
	{
		if (strlen(sha) != 64)
		{
			gw_error_set(&op->err, 400, "InvalidArgument", "x-amz-content-sha256 must be a hex SHA-256");
			gw_respond_error(r, &op->err);
			return;
		}
		op->sha = EVP_MD_CTX_new();
		EVP_DigestInit_ex(op->sha, EVP_sha256(), NULL);
	}
	op->content_type = gw_header(r, "Content-Type");
	op->metadata = gw_request_metadata(r);
	p[0] = r->bucket;
	p[1] = op->ref;
	p[2] = op->path;
	op->upload_id = gw_query(r, "uploadId");
	op->part_number = gw_query(r, "partNumber");
	if (op->upload_id)
	{
		p[2] = op->upload_id;
		p[3] = op->part_number ? op->part_number : "";
		res = gw_sql(r, &op->err, "SELECT '', lakefs_multipart_part_url($1, $2, $3, $4::integer)",
					 4, p);
	}
	else
		res = gw_sql(r, &op->err, "SELECT physical_address, url FROM lakefs_upload_url($1, $2, $3)",
					 3, p);
	if (res == NULL)
	{
		gw_write_ref_error(r, op->ref, &op->err);
		gw_respond_error(r, &op->err);
		return;
	}
	op->address = strdup(PQgetvalue(res, 0, 0));
	op->store = gw_store_put(PQgetvalue(res, 0, 1), length, op->content_type);
	PQclear(res);
	if (op->store == NULL)
	{
		gw_error_set(&op->err, 500, "InternalError", "out of memory");
		gw_respond_error(r, &op->err);
		return;
	}
	r->on_body = put_body_cb;
	r->on_finish = put_finish;
}

/* percent-decode s (x-amz-copy-source); malloc'd */
static char *
url_decode(const char *s)
{
	char	   *out = malloc(strlen(s) + 1);
	char	   *o = out;

	for (; *s; s++)
	{
		if (*s == '%' && isxdigit((unsigned char) s[1]) && isxdigit((unsigned char) s[2]))
		{
			char		h[3] = {s[1], s[2], 0};

			*o++ = (char) strtol(h, NULL, 16);
			s += 2;
		}
		else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* CopyObject: stage the source entry's physical object at the new path */
/*
 * gw_parse_copy_source: split an x-amz-copy-source ("[/]bucket/ref/path",
 * URL-encoded, an optional "?versionId=..." ignored) into malloc'd
 * repository, ref and path; false (nothing to free) when it has no path.
 */
bool
gw_parse_copy_source(const char *source, char **repo, char **ref, char **path)
{
	char	   *src = url_decode(source[0] == '/' ? source + 1 : source);
	char	   *q = strchr(src, '?');
	char	   *slash;

	*repo = *ref = *path = NULL;
	if (strstr(source, "%00") != NULL)
	{
		free(src);
		return false;
	}
	if (q)
		*q = '\0';
	slash = strchr(src, '/');
	if (slash == NULL || slash == src || !gw_split_key(slash + 1, ref, path) ||
		(*path)[0] == '\0')
	{
		free(*ref);
		free(*path);
		*ref = *path = NULL;
		free(src);
		return false;
	}
	*slash = '\0';
	*repo = src;
	return true;
}

void
gw_copy_object(GwRequest *r, const char *source)
{
	char	   *src = url_decode(source[0] == '/' ? source + 1 : source);
	char	   *q = strchr(src, '?');
	char	   *slash;
	char	   *sref = NULL,
			   *spath = NULL,
			   *dref = NULL,
			   *dpath = NULL;
	const char *p[7];
	PGresult   *res;
	GwError		err;
	char	   *metadata = NULL;
	bool		replace;
	GwXml	   *x;
	char		etag[200];

	if (q)
		*q = '\0';
	if (strstr(source, "%00") != NULL)
	{
		gw_error_set(&err, 400, "InvalidArgument", "The copy source must not contain a NUL byte (%%00).");
		gw_respond_error(r, &err);
		goto out;
	}
	slash = strchr(src, '/');
	replace = gw_header(r, "x-amz-metadata-directive") &&
		strcmp(gw_header(r, "x-amz-metadata-directive"), "REPLACE") == 0;
	if (slash == NULL || !gw_split_key(slash + 1, &sref, &spath) || spath[0] == '\0' ||
		!gw_split_key(r->key, &dref, &dpath) || dpath[0] == '\0')
	{
		gw_error_set(&err, 400, "InvalidArgument",
					 "Copy source and destination are \"<repository>/<ref>/<path>\".");
		gw_respond_error(r, &err);
		goto out;
	}
	*slash = '\0';
	if (strcmp(src, r->bucket) != 0)
	{
		gw_error_set(&err, 501, "NotImplemented", "copies between repositories are not implemented");
		gw_respond_error(r, &err);
		goto out;
	}
	if (replace)
		metadata = gw_request_metadata(r);
	p[0] = r->bucket;
	p[1] = dref;
	p[2] = dpath;
	p[3] = sref;
	p[4] = spath;
	p[5] = replace ? "t" : "f";
	p[6] = replace ? gw_header(r, "Content-Type") : NULL;
	{
		const char *pp[8] = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], metadata};

		res = gw_sql(r, &err,
					 "SELECT lakefs_stage_object($1, $2, $3, s.physical_address, s.size, s.checksum, "
					 "CASE WHEN $6::boolean THEN $7 ELSE s.content_type END, "
					 "CASE WHEN $6::boolean THEN $8::jsonb ELSE s.metadata END), s.checksum, "
					 "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
					 "FROM lakefs_stat_object($1, $4, $5) s", 8, pp);
	}
	if (res == NULL)
	{
		gw_write_ref_error(r, dref, &err);
		gw_respond_error(r, &err);
		goto out;
	}
	x = gw_xml_begin("CopyObjectResult");
	gw_xml_elem(x, "LastModified", PQgetvalue(res, 0, 2));
	snprintf(etag, sizeof(etag), "\"%s\"", PQgetvalue(res, 0, 1));
	gw_xml_elem(x, "ETag", etag);
	gw_xml_send(x, r, 200);
	gw_xml_free(x);
	PQclear(res);
out:
	free(src);
	free(sref);
	free(spath);
	free(dref);
	free(dpath);
	free(metadata);
}

/*-------------------------------------------------------------------------
 *
 * ops_multipart.c
 *		S3 multipart uploads on a stateless gateway: CreateMultipartUpload,
 *		UploadPartCopy, ListParts, CompleteMultipartUpload and
 *		AbortMultipartUpload (UploadPart is a PutObject to a part's address,
 *		ops_put.c).
 *
 * No state is kept in the gateway or the catalog: an upload is its objects
 * in the store, under <namespace>/_lakefs/multipart/<id>/ (api_multipart.c):
 * a marker written by lakefs_multipart_create (without it the upload does
 * not exist: NoSuchUpload) and part N at .../NNNNN. ListParts answers from
 * the store's listing of that folder (lakefs_multipart_parts); UploadPartCopy
 * is a copy inside the store (lakefs_multipart_upload_part_copy: the bytes
 * pass neither the gateway nor Postgres). Complete checks each listed
 * part's ETag against that listing, streams the parts in order into one
 * fresh object (a bounded buffer: memory does not grow with the object),
 * stages it with lakefs_link_object and deletes the upload's objects
 * (lakefs_multipart_abort); its ETag is the object's MD5, not S3's
 * "<md5 of md5s>-N". Abort deletes the parts and the marker. Content-Type
 * and x-amz-meta-* are taken at Create, as S3 does, kept in the marker and
 * applied at Complete (lakefs_multipart_upload reads them back).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "gw.h"
#include "s3_sign.h"

#define GW_COMPLETE_BODY_MAX (4 * 1024 * 1024)
#define GW_MAX_PARTS 10000

/* the branch and path of r->key; false (responded) when there is no path */
static bool
split_or_respond(GwRequest *r, char **ref, char **path)
{
	GwError		err;

	if (!gw_split_key(r->key, ref, path) || (*path)[0] == '\0')
	{
		gw_error_set(&err, 400, "InvalidArgument",
					 "Keys are \"<branch>/<path>\": a path is needed after the branch.");
		gw_respond_error(r, &err);
		return false;
	}
	return true;
}

void
gw_create_multipart(GwRequest *r)
{
	char	   *ref = NULL,
			   *path = NULL;
	GwError		err;
	GwXml	   *x;
	const char *p[5];
	PGresult   *res;
	char	   *metadata = NULL;

	if (!split_or_respond(r, &ref, &path))
		goto out;
	metadata = gw_request_metadata(r);
	p[0] = r->bucket;
	p[1] = ref;
	p[2] = path;
	p[3] = gw_header(r, "Content-Type");
	p[4] = metadata;
	res = gw_sql(r, &err, "SELECT lakefs_multipart_create($1, $2, $3, $4, $5::jsonb)", 5, p);
	if (res == NULL)
	{
		gw_write_ref_error(r, ref, &err);
		gw_respond_error(r, &err);
		goto out;
	}
	x = gw_xml_begin("InitiateMultipartUploadResult");
	gw_xml_elem(x, "Bucket", r->bucket);
	gw_xml_elem(x, "Key", r->key);
	gw_xml_elem(x, "UploadId", PQgetvalue(res, 0, 0));
	gw_xml_send(x, r, 200);
	gw_xml_free(x);
	PQclear(res);
out:
	free(ref);
	free(path);
	free(metadata);
}

void
gw_abort_multipart(GwRequest *r)
{
	char	   *ref = NULL,
			   *path = NULL;
	GwError		err;
	const char *p[3];
	PGresult   *res;

	if (!split_or_respond(r, &ref, &path))
		goto out;
	p[0] = r->bucket;
	p[1] = ref;
	p[2] = gw_query(r, "uploadId");
	res = gw_sql(r, &err, "SELECT lakefs_multipart_abort($1, $2, $3)", 3, p);
	if (res == NULL)
		gw_respond_error(r, &err);
	else
		gw_respond(r, 204, NULL, "", 0, NULL);
	PQclear(res);
out:
	free(ref);
	free(path);
}

/* a non-negative integer query parameter, dflt when absent; false if malformed */
static bool
int_param(GwRequest *r, const char *name, long dflt, long max, long *out)
{
	const char *v = gw_query(r, name);
	char	   *end;

	*out = dflt;
	if (v == NULL)
		return true;
	*out = strtol(v, &end, 10);
	return *v != '\0' && *end == '\0' && *out >= 0 && *out <= max;
}

/* ListParts: GET /bucket/key?uploadId=U[&max-parts=N][&part-number-marker=M] */
void
gw_list_parts(GwRequest *r)
{
	char	   *ref = NULL,
			   *path = NULL;
	GwError		err;
	long		max,
				marker;
	char		maxs[32],
				markers[32];
	const char *p[5];
	PGresult   *res;
	GwXml	   *x;
	int			n,
				shown;

	if (!split_or_respond(r, &ref, &path))
		goto out;
	if (!int_param(r, "max-parts", 1000, 2147483646L, &max) ||
		!int_param(r, "part-number-marker", 0, GW_MAX_PARTS, &marker))
	{
		gw_error_set(&err, 400, "InvalidArgument",
					 "max-parts and part-number-marker must be non-negative integers "
					 "(part-number-marker at most %d).", GW_MAX_PARTS);
		gw_respond_error(r, &err);
		goto out;
	}
	if (max > 1000)
		max = 1000;				/* as S3: at most 1000 parts a page */
	snprintf(maxs, sizeof(maxs), "%ld", max + 1);
	snprintf(markers, sizeof(markers), "%ld", marker);
	p[0] = r->bucket;
	p[1] = ref;
	p[2] = gw_query(r, "uploadId");
	p[3] = markers;
	p[4] = maxs;
	res = gw_sql(r, &err,
				 "SELECT part_number, etag, size, to_char(last_modified AT TIME ZONE 'UTC', "
				 "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
				 "FROM lakefs_multipart_parts($1, $2, $3, $4::integer, $5::integer)", 5, p);
	if (res == NULL)
	{
		gw_respond_error(r, &err);
		goto out;
	}
	n = PQntuples(res);
	shown = n > max ? (int) max : n;
	x = gw_xml_begin("ListPartsResult");
	gw_xml_elem(x, "Bucket", r->bucket);
	gw_xml_elem(x, "Key", r->key);
	gw_xml_elem(x, "UploadId", p[2]);
	gw_xml_elemf(x, "PartNumberMarker", "%ld", marker);
	gw_xml_elem(x, "NextPartNumberMarker", shown > 0 ? PQgetvalue(res, shown - 1, 0) : markers);
	gw_xml_elemf(x, "MaxParts", "%ld", max);
	gw_xml_elem(x, "IsTruncated", n > max ? "true" : "false");
	/* S3's shape: the role stands for the account (as ListObjects' fetch-owner) */
	gw_xml_open(x, "Initiator");
	gw_xml_elem(x, "ID", r->auth.role);
	gw_xml_elem(x, "DisplayName", r->auth.role);
	gw_xml_close(x);
	gw_xml_open(x, "Owner");
	gw_xml_elem(x, "ID", r->auth.role);
	gw_xml_elem(x, "DisplayName", r->auth.role);
	gw_xml_close(x);
	gw_xml_elem(x, "StorageClass", "STANDARD");
	for (int i = 0; i < shown; i++)
	{
		gw_xml_open(x, "Part");
		gw_xml_elem(x, "PartNumber", PQgetvalue(res, i, 0));
		gw_xml_elem(x, "LastModified", PQgetvalue(res, i, 3));
		gw_xml_elemf(x, "ETag", "\"%s\"", PQgetvalue(res, i, 1));
		gw_xml_elem(x, "Size", PQgetvalue(res, i, 2));
		gw_xml_close(x);
	}
	gw_xml_send(x, r, 200);
	gw_xml_free(x);
	PQclear(res);
out:
	free(ref);
	free(path);
}

/*
 * "bytes=first-last" of x-amz-copy-source-range into two decimal strings;
 * false when malformed (S3: InvalidArgument)
 */
static bool
copy_range(const char *h, char *first, char *last, size_t size)
{
	long long	a,
				b;
	char	   *end;

	if (strncmp(h, "bytes=", 6) != 0 || h[6] < '0' || h[6] > '9')
		return false;
	a = strtoll(h + 6, &end, 10);
	if (*end != '-' || end[1] < '0' || end[1] > '9')
		return false;
	b = strtoll(end + 1, &end, 10);
	if (*end != '\0' || b < a)
		return false;
	snprintf(first, size, "%lld", a);
	snprintf(last, size, "%lld", b);
	return true;
}

/*
 * UploadPartCopy: PUT /bucket/key?partNumber=N&uploadId=U with
 * x-amz-copy-source (and x-amz-copy-source-range): a copy inside the store
 */
void
gw_upload_part_copy(GwRequest *r)
{
	char	   *ref = NULL,
			   *path = NULL,
			   *srepo = NULL,
			   *sref = NULL,
			   *spath = NULL;
	GwError		err;
	const char *range = gw_header(r, "x-amz-copy-source-range");
	char		first[32],
				last[32];
	const char *p[9];
	PGresult   *res;
	GwXml	   *x;

	if (!split_or_respond(r, &ref, &path))
		goto out;
	if (!gw_parse_copy_source(gw_header(r, "x-amz-copy-source"), &srepo, &sref, &spath))
	{
		gw_error_set(&err, 400, "InvalidArgument",
					 "The copy source is \"<repository>/<ref>/<path>\".");
		gw_respond_error(r, &err);
		goto out;
	}
	if (range && !copy_range(range, first, last, sizeof(first)))
	{
		gw_error_set(&err, 400, "InvalidArgument",
					 "The x-amz-copy-source-range value must be of the form bytes=first-last "
					 "where first and last are the zero-based offsets of the first and last "
					 "bytes to copy");
		gw_respond_error(r, &err);
		goto out;
	}
	p[0] = r->bucket;
	p[1] = ref;
	p[2] = gw_query(r, "uploadId");
	p[3] = gw_query(r, "partNumber");
	p[4] = srepo;
	p[5] = sref;
	p[6] = spath;
	p[7] = range ? first : NULL;
	p[8] = range ? last : NULL;
	res = gw_sql(r, &err,
				 "SELECT etag, to_char(last_modified AT TIME ZONE 'UTC', "
				 "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
				 "FROM lakefs_multipart_upload_part_copy($1, $2, $3, $4::integer, $5, $6, $7, "
				 "$8::bigint, $9::bigint)", 9, p);
	if (res == NULL)
	{
		/* a range past the source's end: S3's InvalidRange */
		if (err.status == 400 && strstr(err.message, "outside the"))
			gw_error_set(&err, 416, "InvalidRange", "The requested range is not satisfiable");
		gw_respond_error(r, &err);
		goto out;
	}
	x = gw_xml_begin("CopyPartResult");
	gw_xml_elem(x, "LastModified", PQgetvalue(res, 0, 1));
	gw_xml_elemf(x, "ETag", "\"%s\"", PQgetvalue(res, 0, 0));
	gw_xml_send(x, r, 200);
	gw_xml_free(x);
	PQclear(res);
out:
	free(ref);
	free(path);
	free(srepo);
	free(sref);
	free(spath);
}

/* ------------------------------------------------------------ complete */

typedef struct Part
{
	int			number;
	char		etag[128];		/* as listed, unquoted */
	char	   *get_url;
	int64_t		size;
} Part;

typedef struct CompleteOp
{
	StrBuf		body;
	bool		too_big;
	Part	   *parts;
	int			nparts;
	char	   *ref;
	char	   *path;
} CompleteOp;

static void
complete_free(GwRequest *r)
{
	CompleteOp *op = r->op;

	if (op == NULL)
		return;
	for (int i = 0; i < op->nparts; i++)
	{
		free(op->parts[i].get_url);
	}
	free(op->parts);
	free(op->ref);
	free(op->path);
	sb_free(&op->body);
	free(op);
	r->op = NULL;
}

static int
complete_body(GwRequest *r, const char *data, size_t len)
{
	CompleteOp *op = r->op;

	gw_body_collect(&op->body, &op->too_big, GW_COMPLETE_BODY_MAX, data, len);
	return 0;
}

static void
unquote(char *dst, size_t size, const char *s)
{
	size_t		len;

	while (*s == '"' || *s == ' ')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '"' || s[len - 1] == ' '))
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* the <Part> list of the body; false with *err set */
static bool
parse_parts(CompleteOp *op, GwError *err)
{
	xmlDocPtr	doc = xmlReadMemory(op->body.data ? op->body.data : "", (int) op->body.len,
									"complete.xml", NULL,
									XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNodePtr	root = doc ? xmlDocGetRootElement(doc) : NULL;
	bool		ok = root && strcmp((const char *) root->name, "CompleteMultipartUpload") == 0;

	op->parts = calloc(GW_MAX_PARTS, sizeof(Part));
	for (xmlNodePtr c = ok ? root->children : NULL; c && ok; c = c->next)
	{
		Part	   *p;

		if (c->type != XML_ELEMENT_NODE || strcmp((const char *) c->name, "Part") != 0)
			continue;
		if (op->nparts == GW_MAX_PARTS)
		{
			ok = false;
			break;
		}
		p = &op->parts[op->nparts];
		p->number = -1;
		for (xmlNodePtr f = c->children; f; f = f->next)
		{
			xmlChar    *v;

			if (f->type != XML_ELEMENT_NODE)
				continue;
			v = xmlNodeGetContent(f);
			if (strcmp((const char *) f->name, "PartNumber") == 0)
				p->number = atoi((const char *) v);
			else if (strcmp((const char *) f->name, "ETag") == 0)
				unquote(p->etag, sizeof(p->etag), (const char *) v);
			xmlFree(v);
		}
		if (p->number < 1 || p->number > GW_MAX_PARTS ||
			(op->nparts > 0 && p->number <= op->parts[op->nparts - 1].number))
		{
			gw_error_set(err, 400, "InvalidPartOrder",
						 "The list of parts was not in ascending order.");
			xmlFreeDoc(doc);
			return false;
		}
		op->nparts++;
	}
	xmlFreeDoc(doc);
	if (!ok || op->nparts == 0)
	{
		gw_error_set(err, 400, "MalformedXML", "The XML you provided was not well-formed.");
		return false;
	}
	return true;
}

/*
 * the store's list of the upload's parts (size and ETag) with a presigned
 * GET URL of each, in one statement; every listed part must be there with
 * its ETag (InvalidPart), the upload must exist (NoSuchUpload)
 */
static bool
part_urls(GwRequest *r, CompleteOp *op, GwError *err)
{
	const char *p[3];
	PGresult   *res;
	int			n,
				j = 0;

	p[0] = r->bucket;
	p[1] = op->ref;
	p[2] = gw_query(r, "uploadId");
	res = gw_sql(r, err,
				 "SELECT part_number, etag, size, "
				 "lakefs_multipart_part_url($1, $2, $3, part_number, 'GET') "
				 "FROM lakefs_multipart_parts($1, $2, $3, 0, 10000)", 3, p);
	if (res == NULL)
		return false;
	n = PQntuples(res);
	for (int i = 0; i < op->nparts; i++)
	{
		Part	   *part = &op->parts[i];

		/* both lists ascend by part number */
		while (j < n && atoi(PQgetvalue(res, j, 0)) < part->number)
			j++;
		if (j == n || atoi(PQgetvalue(res, j, 0)) != part->number ||
			strcmp(PQgetvalue(res, j, 1), part->etag) != 0)
		{
			gw_error_set(err, 400, "InvalidPart",
						 "Part %d could not be found or its ETag does not match.",
						 part->number);
			PQclear(res);
			return false;
		}
		part->size = strtoll(PQgetvalue(res, j, 2), NULL, 10);
		part->get_url = strdup(PQgetvalue(res, j, 3));
	}
	PQclear(res);
	return true;
}

/* copy every part's bytes into store upload s; false on a failed transfer */
static bool
concatenate(CompleteOp *op, GwStore *s)
{
	char	   *buf = malloc(256 * 1024);
	bool		ok = buf != NULL;

	for (int i = 0; ok && i < op->nparts; i++)
	{
		GwStore    *g = gw_store_get(op->parts[i].get_url, 0, -1);
		long		status = 0;
		ssize_t		n = -1;
		int64_t		total = 0;

		ok = g && gw_store_wait_headers(g, &status) && status >= 200 && status < 300;
		while (ok && (n = gw_store_read(g, buf, 256 * 1024)) > 0)
		{
			ok = gw_store_write(s, buf, (size_t) n);
			total += n;
		}
		ok = ok && n == 0 && total == op->parts[i].size;
		gw_store_free(g);
	}
	free(buf);
	return ok;
}

static void
complete_finish(GwRequest *r)
{
	CompleteOp *op = r->op;
	GwError		err;
	int64_t		total = 0;
	const char *p[5];
	PGresult   *res;
	GwStore    *s;
	char	   *address;
	long		status = 0;
	char		etag[200];
	GwXml	   *x;

	if (op->too_big)
	{
		gw_error_set(&err, 400, "MalformedXML", "The part list is too large.");
		goto fail;
	}
	if (strlen(r->auth.content_sha256) == 64)
	{
		char		hex[65];

		s3_sha256_hex(hex, op->body.data ? op->body.data : "", op->body.len);
		if (strcmp(hex, r->auth.content_sha256) != 0)
		{
			gw_error_set(&err, 400, "XAmzContentSHA256Mismatch",
						 "The provided 'x-amz-content-sha256' header does not match what was computed.");
			goto fail;
		}
	}
	if (!parse_parts(op, &err) || !part_urls(r, op, &err))
		goto fail;
	for (int i = 0; i < op->nparts; i++)
		total += op->parts[i].size;
	p[0] = r->bucket;
	p[1] = op->ref;
	p[2] = op->path;
	res = gw_sql(r, &err, "SELECT physical_address, url FROM lakefs_upload_url($1, $2, $3)", 3, p);
	if (res == NULL)
		goto fail;
	address = strdup(PQgetvalue(res, 0, 0));
	s = gw_store_put(PQgetvalue(res, 0, 1), total, NULL);
	PQclear(res);
	if (s == NULL || !concatenate(op, s) || !gw_store_finish(s, &status))
	{
		gw_store_free(s);
		free(address);
		gw_error_set(&err, 502, "InternalError", "The parts could not be joined in the object store.");
		goto fail;
	}
	gw_store_free(s);
	p[3] = address;
	p[4] = gw_query(r, "uploadId");
	/* the Content-Type and user metadata given at Create, kept in the marker */
	res = gw_sql(r, &err, "SELECT checksum FROM lakefs_multipart_upload($1, $2, $5) m, "
				 "lakefs_link_object($1, $2, $3, $4, m->>'content_type', m->'metadata')",
				 5, p);
	free(address);
	if (res == NULL)
		goto fail;
	snprintf(etag, sizeof(etag), "\"%s\"", PQgetvalue(res, 0, 0));
	PQclear(res);
	/* the parts are garbage now; left behind, lakefs_multipart_abort_incomplete takes them */
	p[2] = gw_query(r, "uploadId");
	res = gw_sql(r, &err, "SELECT lakefs_multipart_abort($1, $2, $3)", 3, p);
	if (res == NULL)
		gw_log(GW_LOG_WARNING, "%s: the parts of upload %s were not deleted: %s", r->path,
			   p[2], err.message);
	PQclear(res);
	x = gw_xml_begin("CompleteMultipartUploadResult");
	gw_xml_elem(x, "Location", r->path);
	gw_xml_elem(x, "Bucket", r->bucket);
	gw_xml_elem(x, "Key", r->key);
	gw_xml_elem(x, "ETag", etag);
	gw_xml_send(x, r, 200);
	gw_xml_free(x);
	return;
fail:
	gw_respond_error(r, &err);
}

/* CompleteMultipartUpload, first call: collect the part list */
void
gw_complete_multipart_begin(GwRequest *r)
{
	CompleteOp *op = calloc(1, sizeof(CompleteOp));

	r->op = op;
	r->on_cleanup = complete_free;
	if (!split_or_respond(r, &op->ref, &op->path))
		return;
	r->on_body = complete_body;
	r->on_finish = complete_finish;
}

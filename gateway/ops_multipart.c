/*-------------------------------------------------------------------------
 *
 * ops_multipart.c
 *		S3 multipart uploads on a stateless gateway: CreateMultipartUpload,
 *		CompleteMultipartUpload and AbortMultipartUpload (UploadPart is a
 *		PutObject to a part's address, ops_put.c).
 *
 * No state is kept between requests, in the gateway or the catalog: the
 * upload id is 32 random hex digits and part N lives in the object store at
 * <namespace>/_lakefs/multipart/<id>/N (lakefs_multipart_part_url hands out
 * its presigned URLs, after the checks of a write to the branch). Complete
 * checks each listed part's ETag with a HEAD, streams the parts in order
 * into one fresh object (a bounded buffer: memory does not grow with the
 * object) and stages it with lakefs_link_object; its ETag is then the
 * object's MD5, not S3's "<md5 of md5s>-N". The parts stay behind as
 * garbage, and Abort stages nothing and deletes nothing. Content-Type and
 * x-amz-meta-* are taken from the Complete request, not the Create.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/rand.h>

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

/* check the branch with the part URL function (a tag, privileges, ...) */
static bool
check_branch(GwRequest *r, const char *ref, const char *upload_id, GwError *err)
{
	const char *p[3] = {r->bucket, ref, upload_id};
	PGresult   *res = gw_sql(r, err, "SELECT lakefs_multipart_part_url($1, $2, $3, 1, 'HEAD')",
							 3, p);

	PQclear(res);
	return res != NULL;
}

void
gw_create_multipart(GwRequest *r)
{
	char	   *ref = NULL,
			   *path = NULL;
	unsigned char rnd[16];
	char		id[33];
	GwError		err;
	GwXml	   *x;

	if (!split_or_respond(r, &ref, &path))
		goto out;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
	{
		gw_error_set(&err, 500, "InternalError", "could not draw an upload id");
		gw_respond_error(r, &err);
		goto out;
	}
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	if (!check_branch(r, ref, id, &err))
	{
		gw_respond_error(r, &err);
		goto out;
	}
	x = gw_xml_begin("InitiateMultipartUploadResult");
	gw_xml_elem(x, "Bucket", r->bucket);
	gw_xml_elem(x, "Key", r->key);
	gw_xml_elem(x, "UploadId", id);
	gw_xml_send(x, r, 200);
	gw_xml_free(x);
out:
	free(ref);
	free(path);
}

void
gw_abort_multipart(GwRequest *r)
{
	char	   *ref = NULL,
			   *path = NULL;
	GwError		err;

	if (!split_or_respond(r, &ref, &path))
		goto out;
	if (!check_branch(r, ref, gw_query(r, "uploadId"), &err))
		gw_respond_error(r, &err);
	else
		gw_respond(r, 204, NULL, "", 0, NULL);
out:
	free(ref);
	free(path);
}

/* ------------------------------------------------------------ complete */

typedef struct Part
{
	int			number;
	char		etag[128];		/* as listed, unquoted */
	char	   *head_url;
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
		free(op->parts[i].head_url);
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

/* presigned HEAD and GET URLs of every part, in one statement */
static bool
part_urls(GwRequest *r, CompleteOp *op, GwError *err)
{
	StrBuf		numbers;
	const char *p[4];
	PGresult   *res;

	sb_init(&numbers);
	sb_appendc(&numbers, '{');
	for (int i = 0; i < op->nparts; i++)
		sb_appendf(&numbers, "%s%d", i ? "," : "", op->parts[i].number);
	sb_appendc(&numbers, '}');
	p[0] = r->bucket;
	p[1] = op->ref;
	p[2] = gw_query(r, "uploadId");
	p[3] = numbers.data;
	res = gw_sql(r, err,
				 "SELECT lakefs_multipart_part_url($1, $2, $3, n, 'HEAD'), "
				 "lakefs_multipart_part_url($1, $2, $3, n, 'GET') "
				 "FROM unnest($4::integer[]) WITH ORDINALITY AS t(n, i) ORDER BY i", 4, p);
	sb_free(&numbers);
	if (res == NULL)
		return false;
	for (int i = 0; i < op->nparts && i < PQntuples(res); i++)
	{
		op->parts[i].head_url = strdup(PQgetvalue(res, i, 0));
		op->parts[i].get_url = strdup(PQgetvalue(res, i, 1));
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
	const char *p[6];
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
	{
		char		stored[128];

		if (!gw_store_head(op->parts[i].head_url, &op->parts[i].size, stored) ||
			strcmp(stored, op->parts[i].etag) != 0)
		{
			gw_error_set(&err, 400, "InvalidPart",
						 "Part %d could not be found or its ETag does not match.",
						 op->parts[i].number);
			goto fail;
		}
		total += op->parts[i].size;
	}
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
	p[4] = gw_header(r, "Content-Type");
	p[5] = NULL;
	res = gw_sql(r, &err, "SELECT checksum FROM lakefs_link_object($1, $2, $3, $4, $5, $6::jsonb)",
				 6, p);
	free(address);
	if (res == NULL)
		goto fail;
	snprintf(etag, sizeof(etag), "\"%s\"", PQgetvalue(res, 0, 0));
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

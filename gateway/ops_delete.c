/*-------------------------------------------------------------------------
 *
 * ops_delete.c
 *		S3 DeleteObject and DeleteObjects: tombstones staged on a branch
 *		(lakefs_delete_object). As on S3, deleting a key that is not there
 *		succeeds.
 *
 * DeleteObjects' XML body is small (at most 1,000 keys): it is buffered up
 * to GW_DELETE_BODY_MAX bytes, its SHA-256 checked when the payload is
 * signed, and parsed with libxml2 (no network, no entity expansion).
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

#define GW_DELETE_BODY_MAX (2 * 1024 * 1024)

/* delete one key; true on success (also when it was not there) */
static bool
delete_key(GwRequest *r, const char *key, GwError *err)
{
	char	   *ref,
			   *path;
	const char *p[3];
	PGresult   *res = NULL;
	bool		ok;

	if (!gw_split_key(key, &ref, &path) || path[0] == '\0')
		ok = true;				/* nothing can be stored there */
	else
	{
		p[0] = r->bucket;
		p[1] = ref;
		p[2] = path;
		res = gw_sql(r, err, "SELECT lakefs_delete_object($1, $2, $3)", 3, p);
		if (res == NULL)
			gw_write_ref_error(r, ref, err);
		ok = res != NULL || strcmp(err->code, "NoSuchKey") == 0;
		PQclear(res);
	}
	free(ref);
	free(path);
	return ok;
}

void
gw_delete_object(GwRequest *r)
{
	GwError		err;

	if (!delete_key(r, r->key, &err))
		gw_respond_error(r, &err);
	else
		gw_respond(r, 204, NULL, "", 0, NULL);
}

typedef struct DeleteOp
{
	StrBuf		body;
	bool		too_big;
} DeleteOp;

static void
delete_free(GwRequest *r)
{
	DeleteOp   *op = r->op;

	if (op)
	{
		sb_free(&op->body);
		free(op);
	}
	r->op = NULL;
}

static int
delete_body(GwRequest *r, const char *data, size_t len)
{
	DeleteOp   *op = r->op;

	gw_body_collect(&op->body, &op->too_big, GW_DELETE_BODY_MAX, data, len);
	return 0;
}

static const char *
child_text(xmlNodePtr n, const char *name, xmlChar **hold)
{
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *) c->name, name) == 0)
		{
			*hold = xmlNodeGetContent(c);
			return (const char *) *hold;
		}
	return NULL;
}

static void
delete_finish(GwRequest *r)
{
	DeleteOp   *op = r->op;
	GwError		err;
	xmlDocPtr	doc;
	xmlNodePtr	root;
	bool		quiet = false;
	GwXml	   *x;
	xmlChar    *hold = NULL;
	const char *sha = r->auth.content_sha256;

	if (op->too_big)
	{
		gw_error_set(&err, 400, "MalformedXML", "The delete request is too large.");
		gw_respond_error(r, &err);
		return;
	}
	if (strlen(sha) == 64)
	{
		char		hex[65];

		s3_sha256_hex(hex, op->body.data ? op->body.data : "", op->body.len);
		if (strcmp(hex, sha) != 0)
		{
			gw_error_set(&err, 400, "XAmzContentSHA256Mismatch",
						 "The provided 'x-amz-content-sha256' header does not match what was computed.");
			gw_respond_error(r, &err);
			return;
		}
	}
	doc = xmlReadMemory(op->body.data ? op->body.data : "", (int) op->body.len, "delete.xml",
						NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (root == NULL || strcmp((const char *) root->name, "Delete") != 0)
	{
		xmlFreeDoc(doc);
		gw_error_set(&err, 400, "MalformedXML", "The XML you provided was not well-formed.");
		gw_respond_error(r, &err);
		return;
	}
	if (child_text(root, "Quiet", &hold))
		quiet = strcmp((const char *) hold, "true") == 0;
	xmlFree(hold);
	x = gw_xml_begin("DeleteResult");
	for (xmlNodePtr c = root->children; c; c = c->next)
	{
		const char *key;

		hold = NULL;
		if (c->type != XML_ELEMENT_NODE || strcmp((const char *) c->name, "Object") != 0)
			continue;
		key = child_text(c, "Key", &hold);
		if (key == NULL)
			continue;
		if (delete_key(r, key, &err))
		{
			if (!quiet)
			{
				gw_xml_open(x, "Deleted");
				gw_xml_elem(x, "Key", key);
				gw_xml_close(x);
			}
		}
		else
		{
			gw_xml_open(x, "Error");
			gw_xml_elem(x, "Key", key);
			gw_xml_elem(x, "Code", err.code);
			gw_xml_elem(x, "Message", err.message);
			gw_xml_close(x);
		}
		xmlFree(hold);
	}
	xmlFreeDoc(doc);
	gw_xml_send(x, r, 200);
	gw_xml_free(x);
}

/* DeleteObjects, first call: collect the body */
void
gw_delete_objects_begin(GwRequest *r)
{
	DeleteOp   *op = calloc(1, sizeof(DeleteOp));

	r->op = op;
	r->on_cleanup = delete_free;
	r->on_body = delete_body;
	r->on_finish = delete_finish;
}

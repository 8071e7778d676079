/*-------------------------------------------------------------------------
 *
 * s3_xml.c
 *		libxml2 parsers of the S3 XML replies and builders of the request
 *		bodies. See s3_xml.h.
 *
 * Safety rules, all enforced in parse_doc():
 *	- the parser never touches the network (XML_PARSE_NONET), never loads a
 *	  DTD and never substitutes entities (no XML_PARSE_NOENT/DTDLOAD);
 *	  a document with a DOCTYPE is rejected outright, since no S3 reply has
 *	  one, and text is read only from text and CDATA nodes, so an entity
 *	  reference can never be expanded by us (billion laughs stays one node);
 *	- libxml2's own error output is silenced (NOERROR/NOWARNING); we report
 *	  a one-line reason in the caller's errbuf instead;
 *	- the root element's local name must be the expected one; namespaces are
 *	  ignored (AWS, MinIO and RGW all send xmlns=".../2006-03-01/", some
 *	  proxies send none);
 *	- every xmlDoc is freed before return on every path.
 *
 * Result strings are lk_malloc'd; on failure a parser leaves its output
 * zeroed, having freed whatever it had built.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lakefs_hash.h"
#include "lk_alloc.h"
#include "s3_xml.h"

#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* ------------------------------------------------------------- helpers */

static void
set_err(char *errbuf, size_t errlen, const char *fmt,...)
__attribute__((format(printf, 3, 4)));

static void
set_err(char *errbuf, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

static char *
lk_strdup(const char *s)
{
	size_t		n = strlen(s);
	char	   *p = lk_malloc(n + 1);

	memcpy(p, s, n + 1);
	return p;
}

/*
 * Parse xml[0..len) and check that the root element is named root (local
 * name). Returns the document (the caller xmlFreeDoc()s it) and its root in
 * *rootp, or NULL with a reason in errbuf; frees the document itself then.
 */
static xmlDocPtr
parse_doc(const char *xml, size_t len, const char *root, xmlNodePtr *rootp,
		  char *errbuf, size_t errlen)
{
	xmlDocPtr	doc;
	xmlNodePtr	r;

	*rootp = NULL;
	if (xml == NULL || len == 0)
	{
		set_err(errbuf, errlen, "empty reply body");
		return NULL;
	}
	if (len > INT_MAX)
	{
		set_err(errbuf, errlen, "reply body too large");
		return NULL;
	}
	doc = xmlReadMemory(xml, (int) len, "s3-reply.xml", NULL, PARSE_OPTIONS);
	if (doc == NULL)
	{
		set_err(errbuf, errlen, "malformed XML in reply");
		return NULL;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL)
	{
		set_err(errbuf, errlen, "unexpected DOCTYPE in reply");
		xmlFreeDoc(doc);
		return NULL;
	}
	r = xmlDocGetRootElement(doc);
	if (r == NULL || r->name == NULL || strcmp((const char *) r->name, root) != 0)
	{
		set_err(errbuf, errlen, "unexpected root element <%.64s>, expected <%s>",
				(r && r->name) ? (const char *) r->name : "", root);
		xmlFreeDoc(doc);
		return NULL;
	}
	*rootp = r;
	return doc;
}

/* Is n an element with local name name? */
static bool
is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name != NULL &&
		strcmp((const char *) n->name, name) == 0;
}

/*
 * The text of element n: its text and CDATA children concatenated, never
 * entity references (see the header comment). lk_malloc'd, "" when empty.
 */
static char *
node_text(xmlNodePtr n)
{
	StrBuf		sb;

	sb_init(&sb);
	for (xmlNodePtr c = n->children; c != NULL; c = c->next)
	{
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
			c->content != NULL)
			sb_appends(&sb, (const char *) c->content);
	}
	return sb.data;
}

/* The first child element of parent named name, or NULL. */
static xmlNodePtr
child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
		if (is_elem(c, name))
			return c;
	return NULL;
}

/* node_text() of child(parent, name), or NULL when there is no such child. */
static char *
child_text(xmlNodePtr parent, const char *name)
{
	xmlNodePtr	c = child(parent, name);

	return c ? node_text(c) : NULL;
}

/* ETag text without its surrounding double quotes, in place. */
static void
strip_quotes(char *s)
{
	size_t		n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
	{
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

/*
 * s3_url_decode: the inverse of the encoding-type=url encoding. AWS and
 * MinIO encode like a form (space as '+', '+' itself as %2B); RGW sends %20.
 * Both decode right here: %XX becomes the byte, '+' a space. A '%' not
 * followed by two hex digits, and %00 (a key can't hold NUL), stay as they
 * are. Returns a new lk_malloc'd string; NULL for NULL.
 */
char *
s3_url_decode(const char *s)
{
	char	   *out;
	size_t		o = 0;

	if (s == NULL)
		return NULL;
	out = lk_malloc(strlen(s) + 1);
	for (size_t i = 0; s[i]; i++)
	{
		int			hi,
					lo;

		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%' && (hi = lk_hex_value(s[i + 1])) >= 0 &&
				 (lo = lk_hex_value(s[i + 2])) >= 0 && (hi | lo) != 0)
		{
			out[o++] = (char) (hi * 16 + lo);
			i += 2;
		}
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/* Replace *s by its decoded form when decode is set. */
static void
maybe_decode(char **s, bool decode)
{
	char	   *d;

	if (!decode || *s == NULL)
		return;
	d = s3_url_decode(*s);
	lk_free(*s);
	*s = d;
}

/* ---------------------------------------------------------- ListObjectsV2 */

void
s3_list_page_free(S3ListPage *page)
{
	for (int i = 0; i < page->nobjects; i++)
	{
		lk_free(page->objects[i].key);
		lk_free(page->objects[i].etag);
		lk_free(page->objects[i].last_modified);
	}
	lk_free(page->objects);
	for (int i = 0; i < page->nprefixes; i++)
		lk_free(page->prefixes[i]);
	lk_free(page->prefixes);
	lk_free(page->next_token);
	memset(page, 0, sizeof(*page));
}

/* Parse a decimal, non-negative int64; false if s is anything else. */
static bool
parse_size(const char *s, int64_t *out)
{
	char	   *end;
	long long	v;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (errno != 0 || *end != '\0' || v < 0)
		return false;
	*out = (int64_t) v;
	return true;
}

/* One <Contents> into page (grown); false with errbuf set on bad content. */
static bool
add_object(S3ListPage *page, int *cap, xmlNodePtr contents, bool decode,
		   char *errbuf, size_t errlen)
{
	S3Object	o = {0};
	char	   *size;

	o.key = child_text(contents, "Key");
	if (o.key == NULL)
	{
		set_err(errbuf, errlen, "<Contents> without <Key> in listing");
		return false;
	}
	size = child_text(contents, "Size");
	if (size != NULL && !parse_size(size, &o.size))
	{
		set_err(errbuf, errlen, "bad <Size> \"%.40s\" in listing", size);
		lk_free(size);
		lk_free(o.key);
		return false;
	}
	lk_free(size);
	maybe_decode(&o.key, decode);
	o.etag = child_text(contents, "ETag");
	if (o.etag)
		strip_quotes(o.etag);
	o.last_modified = child_text(contents, "LastModified");

	if (page->nobjects == *cap)
	{
		*cap = *cap ? *cap * 2 : 64;
		page->objects = lk_realloc(page->objects, sizeof(S3Object) * *cap);
	}
	page->objects[page->nobjects++] = o;
	return true;
}

int
s3_parse_list_page(const char *xml, size_t len, S3ListPage *page,
				   char *errbuf, size_t errlen)
{
	xmlNodePtr	root;
	xmlDocPtr	doc;
	char	   *enc;
	bool		decode;
	int			ocap = 0;
	int			pcap = 0;

	memset(page, 0, sizeof(*page));
	doc = parse_doc(xml, len, "ListBucketResult", &root, errbuf, errlen);
	if (doc == NULL)
		return -1;
	enc = child_text(root, "EncodingType");
	decode = enc != NULL && strcasecmp(enc, "url") == 0;
	lk_free(enc);

	for (xmlNodePtr c = root->children; c != NULL; c = c->next)
	{
		if (is_elem(c, "Contents"))
		{
			if (!add_object(page, &ocap, c, decode, errbuf, errlen))
				goto fail;
		}
		else if (is_elem(c, "CommonPrefixes"))
		{
			char	   *p = child_text(c, "Prefix");

			if (p == NULL)
				continue;
			maybe_decode(&p, decode);
			if (page->nprefixes == pcap)
			{
				pcap = pcap ? pcap * 2 : 16;
				page->prefixes = lk_realloc(page->prefixes, sizeof(char *) * pcap);
			}
			page->prefixes[page->nprefixes++] = p;
		}
		else if (is_elem(c, "IsTruncated"))
		{
			char	   *t = node_text(c);

			page->is_truncated = strcasecmp(t, "true") == 0;
			lk_free(t);
		}
		else if (is_elem(c, "NextContinuationToken") && page->next_token == NULL)
			page->next_token = node_text(c);
	}
	if (page->is_truncated && (page->next_token == NULL || page->next_token[0] == '\0'))
	{
		set_err(errbuf, errlen, "truncated listing without a continuation token");
		goto fail;
	}
	xmlFreeDoc(doc);
	return 0;

fail:
	xmlFreeDoc(doc);
	s3_list_page_free(page);
	return -1;
}

/* ----------------------------------------------------------------- Error */

void
s3_error_reply_free(S3ErrorReply *err)
{
	lk_free(err->code);
	lk_free(err->message);
	lk_free(err->request_id);
	lk_free(err->resource);
	memset(err, 0, sizeof(*err));
}

/*
 * s3_parse_error: an <Error> body. Returns 0 and fills *err (code never
 * NULL then) or -1 with *err all NULL when the body is no S3 error.
 */
int
s3_parse_error(const char *xml, size_t len, S3ErrorReply *err)
{
	xmlNodePtr	root;
	xmlDocPtr	doc;

	memset(err, 0, sizeof(*err));
	doc = parse_doc(xml, len, "Error", &root, NULL, 0);
	if (doc == NULL)
		return -1;
	err->code = child_text(root, "Code");
	if (err->code == NULL || err->code[0] == '\0')
	{
		xmlFreeDoc(doc);
		s3_error_reply_free(err);
		return -1;
	}
	err->message = child_text(root, "Message");
	err->request_id = child_text(root, "RequestId");
	err->resource = child_text(root, "Resource");
	xmlFreeDoc(doc);
	return 0;
}

/*
 * Parse a document whose root should be root, but which S3 may replace by
 * an <Error> (CompleteMultipartUpload can fail after a 200): then errbuf
 * gets "Code: Message" and NULL is returned.
 */
static xmlDocPtr
parse_result_or_error(const char *xml, size_t len, const char *root,
					  xmlNodePtr *rootp, char *errbuf, size_t errlen)
{
	S3ErrorReply e;
	xmlDocPtr	doc = parse_doc(xml, len, root, rootp, errbuf, errlen);

	if (doc == NULL && s3_parse_error(xml, len, &e) == 0)
	{
		set_err(errbuf, errlen, "%.100s: %.200s", e.code,
				e.message ? e.message : "");
		s3_error_reply_free(&e);
	}
	return doc;
}

/* ------------------------------------------------------------- multipart */

int
s3_parse_upload_id(const char *xml, size_t len, char **upload_id,
				   char *errbuf, size_t errlen)
{
	xmlNodePtr	root;
	xmlDocPtr	doc;
	char	   *id;

	*upload_id = NULL;
	doc = parse_result_or_error(xml, len, "InitiateMultipartUploadResult", &root,
								errbuf, errlen);
	if (doc == NULL)
		return -1;
	id = child_text(root, "UploadId");
	xmlFreeDoc(doc);
	if (id == NULL || id[0] == '\0')
	{
		lk_free(id);
		set_err(errbuf, errlen, "no <UploadId> in reply");
		return -1;
	}
	*upload_id = id;
	return 0;
}

int
s3_parse_complete_multipart(const char *xml, size_t len, char **etag,
							char *errbuf, size_t errlen)
{
	xmlNodePtr	root;
	xmlDocPtr	doc;
	char	   *e;

	*etag = NULL;
	doc = parse_result_or_error(xml, len, "CompleteMultipartUploadResult", &root,
								errbuf, errlen);
	if (doc == NULL)
		return -1;
	e = child_text(root, "ETag");
	xmlFreeDoc(doc);
	if (e == NULL)
		e = lk_strdup("");
	strip_quotes(e);
	*etag = e;
	return 0;
}

int
s3_parse_delete_result(const char *xml, size_t len, int *nerrors,
					   char *errbuf, size_t errlen)
{
	xmlNodePtr	root;
	xmlDocPtr	doc;
	int			n = 0;

	*nerrors = 0;
	doc = parse_result_or_error(xml, len, "DeleteResult", &root, errbuf, errlen);
	if (doc == NULL)
		return -1;
	for (xmlNodePtr c = root->children; c != NULL; c = c->next)
	{
		if (!is_elem(c, "Error"))
			continue;
		if (n++ == 0)
		{
			char	   *key = child_text(c, "Key");
			char	   *code = child_text(c, "Code");

			set_err(errbuf, errlen, "%.300s: %.100s", key ? key : "",
					code ? code : "");
			lk_free(key);
			lk_free(code);
		}
	}
	xmlFreeDoc(doc);
	*nerrors = n;
	return 0;
}

/* -------------------------------------------------------------- builders */

/*
 * Append s XML-escaped for element content. Tab, LF and CR become character
 * references so no parser folds them; other C0 controls are not legal in
 * XML 1.0 at all and go out as references too (the server will refuse the
 * body, as S3 documents for such keys).
 */
static void
append_escaped(StrBuf *out, const char *s)
{
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		switch (c)
		{
			case '&':
				sb_appends(out, "&amp;");
				break;
			case '<':
				sb_appends(out, "&lt;");
				break;
			case '>':
				sb_appends(out, "&gt;");
				break;
			case '"':
				sb_appends(out, "&quot;");
				break;
			case '\'':
				sb_appends(out, "&apos;");
				break;
			default:
				if (c < 0x20)
					sb_appendf(out, "&#%d;", c);
				else
					sb_appendc(out, (char) c);
		}
	}
}

void
s3_build_complete_multipart(StrBuf *out, char *const *etags, int nparts)
{
	sb_appends(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<CompleteMultipartUpload xmlns=\"" S3_XMLNS "\">");
	for (int i = 0; i < nparts; i++)
	{
		sb_appendf(out, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
		append_escaped(out, etags[i] ? etags[i] : "");
		sb_appends(out, "</ETag></Part>");
	}
	sb_appends(out, "</CompleteMultipartUpload>");
}

void
s3_build_delete_objects(StrBuf *out, char *const *keys, int nkeys)
{
	sb_appends(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<Delete xmlns=\"" S3_XMLNS "\"><Quiet>true</Quiet>");
	for (int i = 0; i < nkeys; i++)
	{
		sb_appends(out, "<Object><Key>");
		append_escaped(out, keys[i]);
		sb_appends(out, "</Key></Object>");
	}
	sb_appends(out, "</Delete>");
}

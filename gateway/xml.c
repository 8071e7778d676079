/*-------------------------------------------------------------------------
 *
 * xml.c
 *		S3 XML response documents, written with libxml2's xmlTextWriter (it
 *		does the escaping).
 *
 * A GwXml is built element by element and sent once; every document's root
 * carries S3's namespace. Keys that are not valid XML text (control bytes)
 * are the caller's business: listings offer encoding-type=url for them.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "gw.h"

struct GwXml
{
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
};

#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

/* gw_xml_begin: a document with root element root (gw_xml_free releases it) */
GwXml *
gw_xml_begin(const char *root)
{
	GwXml	   *x = calloc(1, sizeof(GwXml));

	if (x == NULL)
		abort();
	x->buf = xmlBufferCreate();
	x->w = xmlNewTextWriterMemory(x->buf, 0);
	if (x->buf == NULL || x->w == NULL)
		abort();
	xmlTextWriterStartDocument(x->w, "1.0", "UTF-8", NULL);
	xmlTextWriterStartElement(x->w, BAD_CAST root);
	if (strcmp(root, "Error") != 0)
		xmlTextWriterWriteAttribute(x->w, BAD_CAST "xmlns", BAD_CAST S3_XMLNS);
	return x;
}

void
gw_xml_elem(GwXml *x, const char *name, const char *value)
{
	xmlTextWriterWriteElement(x->w, BAD_CAST name, BAD_CAST(value ? value : ""));
}

void
gw_xml_elemf(GwXml *x, const char *name, const char *fmt,...)
{
	char		buf[256];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	gw_xml_elem(x, name, buf);
}

void
gw_xml_open(GwXml *x, const char *name)
{
	xmlTextWriterStartElement(x->w, BAD_CAST name);
}

void
gw_xml_close(GwXml *x)
{
	xmlTextWriterEndElement(x->w);
}

/* gw_xml_send: finish the document and respond with it */
void
gw_xml_send(GwXml *x, GwRequest *r, int status)
{
	xmlTextWriterEndDocument(x->w);
	xmlTextWriterFlush(x->w);
	gw_respond(r, status, "application/xml", (const char *) xmlBufferContent(x->buf),
			   (size_t) xmlBufferLength(x->buf), NULL);
}

void
gw_xml_free(GwXml *x)
{
	if (x == NULL)
		return;
	xmlFreeTextWriter(x->w);
	xmlBufferFree(x->buf);
	free(x);
}

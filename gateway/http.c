/*-------------------------------------------------------------------------
 *
 * http.c
 *		The gateway's HTTP face: libmicrohttpd's callbacks, routing of S3
 *		requests (path style: /bucket/key) to the operations, responses, S3
 *		error documents and the one log line per request.
 *
 * Request life: the first call of the access handler (headers only)
 * allocates a GwRequest; it is verified and dispatched at once when a body
 * follows, else at the next call (see access_handler). An
 * operation either responds at once or installs on_body/on_finish; body
 * chunks go to on_body, and on_finish runs after the last one (MHD allows a
 * response only at the first or the last call, so an operation that fails
 * mid-body records its error and responds in on_finish). The completion
 * callback logs the request, runs on_cleanup (aborting an unfinished
 * upload: nothing is staged) and frees it.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "gw.h"

static atomic_int in_flight;
static atomic_ulong request_counter;

int
gw_http_in_flight(void)
{
	return atomic_load(&in_flight);
}

/* ------------------------------------------------------------ accessors */

const char *
gw_header(GwRequest *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* gw_query: a query parameter's decoded value; "" for a bare name, NULL if absent */
const char *
gw_query(GwRequest *r, const char *name)
{
	const char *v = NULL;
	size_t		vlen = 0;

	if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name),
									  &v, &vlen) != MHD_YES)
		return NULL;
	return v ? v : "";
}

bool
gw_has_query(GwRequest *r, const char *name)
{
	return gw_query(r, name) != NULL;
}

/* gw_split_key: "ref/path" -> malloc'd ref and path; false without a '/' */
bool
gw_split_key(const char *key, char **ref, char **path)
{
	const char *slash = strchr(key, '/');

	if (slash == NULL)
	{
		*ref = strdup(key);
		*path = strdup("");
		return false;
	}
	*ref = strndup(key, slash - key);
	*path = strdup(slash + 1);
	return true;
}

/* gw_url_encode: S3's encoding-type=url (RFC 3986 unreserved kept) */
void
gw_url_encode(StrBuf *out, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
			c == '~' || (c == '/' && keep_slash))
			sb_appendc(out, (char) c);
		else
		{
			sb_appendc(out, '%');
			sb_appendc(out, hex[c >> 4]);
			sb_appendc(out, hex[c & 15]);
		}
	}
}

/* ------------------------------------------------------------ responses */

static void
common_headers(GwRequest *r, struct MHD_Response *resp)
{
	char		id[32];

	snprintf(id, sizeof(id), "%016lx", (unsigned long) (uintptr_t) r ^
			 (unsigned long) atomic_fetch_add(&request_counter, 1));
	MHD_add_response_header(resp, "x-amz-request-id", id);
	MHD_add_response_header(resp, "Server", "pg_lakefs_gateway");
}

/* gw_respond_response: queue resp with status (takes ownership of resp) */
void
gw_respond_response(GwRequest *r, int status, struct MHD_Response *resp)
{
	common_headers(r, resp);
	if (MHD_queue_response(r->conn, status, resp) != MHD_YES)
		gw_log(GW_LOG_WARNING, "could not queue the response to %s %s", r->method, r->path);
	MHD_destroy_response(resp);
	r->status = status;
	r->responded = true;
}

/*
 * gw_respond: a response with a copied body; headers is NULL or a
 * NULL-terminated list of name, value, name, value, ...
 */
void
gw_respond(GwRequest *r, int status, const char *content_type, const char *body,
		   size_t len, const char *const *headers)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *) body, MHD_RESPMEM_MUST_COPY);

	if (content_type)
		MHD_add_response_header(resp, "Content-Type", content_type);
	for (int i = 0; headers && headers[i]; i += 2)
		MHD_add_response_header(resp, headers[i], headers[i + 1]);
	r->bytes_out += len;
	gw_respond_response(r, status, resp);
}

void
gw_error_set(GwError *e, int status, const char *code, const char *fmt,...)
{
	va_list		ap;

	e->status = status;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/* gw_respond_error: the S3 error document for e */
void
gw_respond_error(GwRequest *r, const GwError *e)
{
	GwXml	   *x = gw_xml_begin("Error");

	gw_xml_elem(x, "Code", e->code);
	gw_xml_elem(x, "Message", e->message);
	gw_xml_elem(x, "Resource", r->path);
	if (r->bucket)
		gw_xml_elem(x, "BucketName", r->bucket);
	if (r->key)
		gw_xml_elem(x, "Key", r->key);
	gw_xml_send(x, r, e->status);
	gw_xml_free(x);
	gw_log(GW_LOG_DEBUG, "%s %s: %s %s", r->method, r->path, e->code, e->message);
}

static void
not_implemented(GwRequest *r, const char *what)
{
	GwError		e;

	gw_error_set(&e, 501, "NotImplemented", "%s is not implemented by pg_lakefs_gateway", what);
	gw_respond_error(r, &e);
}

/* -------------------------------------------------------------- routing */

/* subresources of a bucket or object this gateway does not serve */
static const char *
unsupported_subresource(GwRequest *r)
{
	static const char *const names[] = {
		"acl", "policy", "lifecycle", "cors", "tagging", "versioning", "versions",
		"website", "logging", "notification", "replication", "encryption",
		"object-lock", "retention", "legal-hold", "torrent", "restore", "select",
		"uploads", "accelerate", "requestPayment",
		"inventory", "analytics", "metrics", "ownershipControls", "publicAccessBlock",
		"attributes", NULL
	};

	for (int i = 0; names[i]; i++)
		if (gw_has_query(r, names[i]))
			return names[i];
	return NULL;
}

static void
dispatch(GwRequest *r)
{
	const char *m = r->method;
	const char *sub = NULL;

	if (r->bucket == NULL)
	{
		if (strcmp(m, "GET") == 0)
			gw_list_buckets(r);
		else
			not_implemented(r, "this service operation");
		return;
	}
	if (r->key == NULL)
	{
		if (strcmp(m, "POST") == 0 && gw_has_query(r, "delete"))
			gw_delete_objects_begin(r);
		else if (strcmp(m, "GET") == 0 && gw_has_query(r, "location"))
			gw_get_bucket_location(r);
		else if ((sub = unsupported_subresource(r)) != NULL)
			not_implemented(r, sub);
		else if (strcmp(m, "GET") == 0)
			gw_list_objects(r, gw_query(r, "list-type") &&
							strcmp(gw_query(r, "list-type"), "2") == 0);
		else if (strcmp(m, "HEAD") == 0)
			gw_head_bucket(r);
		else
			not_implemented(r, "this bucket operation (repositories are created in SQL)");
		return;
	}
	if (strcmp(m, "POST") == 0 && gw_has_query(r, "uploads"))
		gw_create_multipart(r);
	else if (strcmp(m, "POST") == 0 && gw_has_query(r, "uploadId"))
		gw_complete_multipart_begin(r);
	else if (strcmp(m, "DELETE") == 0 && gw_has_query(r, "uploadId"))
		gw_abort_multipart(r);
	else if (strcmp(m, "GET") == 0 && gw_has_query(r, "uploadId"))
		gw_list_parts(r);
	else if (strcmp(m, "PUT") == 0 && gw_has_query(r, "uploadId") &&
			 gw_has_query(r, "partNumber") && gw_header(r, "x-amz-copy-source"))
		gw_upload_part_copy(r);
	else if (gw_has_query(r, "uploadId") &&
			 !(strcmp(m, "PUT") == 0 && gw_has_query(r, "partNumber")))
		not_implemented(r, "this multipart operation");
	else if ((sub = unsupported_subresource(r)) != NULL)
		not_implemented(r, sub);
	else if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		gw_get_object(r, m[0] == 'H');
	else if (strcmp(m, "PUT") == 0 && gw_header(r, "x-amz-copy-source"))
		gw_copy_object(r, gw_header(r, "x-amz-copy-source"));
	else if (strcmp(m, "PUT") == 0)
		gw_put_object_begin(r);
	else if (strcmp(m, "DELETE") == 0)
		gw_delete_object(r);
	else
		not_implemented(r, "this object operation");
}

/*
 * Set by unescape() when the URL or a query value it decodes has a NUL byte
 * (%00), which a C string would cut; read and reset by the request's first
 * access_handler call. Thread-local: each connection has its own thread, and
 * MHD decodes a request's URL in that thread just before that first call.
 */
static __thread bool url_had_nul;

static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void) cls;
	(void) c;
	if (strstr(s, "%00") != NULL)
		url_had_nul = true;
	return MHD_http_unescape(s);
}

/* split "/bucket/key" into r->bucket and r->key (key NULL when empty) */
static void
parse_path(GwRequest *r, const char *url)
{
	const char *p = url;
	const char *slash;

	r->path = strdup(url);
	while (*p == '/')
		p++;
	if (*p == '\0')
		return;
	slash = strchr(p, '/');
	if (slash == NULL)
	{
		r->bucket = strdup(p);
		return;
	}
	r->bucket = strndup(p, slash - p);
	if (slash[1] != '\0')
		r->key = strdup(slash + 1);
}

/* does the request announce a body? */
static bool
has_body(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

	return (cl && strcmp(cl, "0") != 0) ||
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding") != NULL;
}

/* verify and dispatch; an error is answered at once */
static void
start(GwRequest *r)
{
	GwError		err;

	memset(&err, 0, sizeof(err));
	if (r->url_nul)
	{
		/* the key would be cut at the NUL, and the signature then fail */
		gw_error_set(&err, 400, "InvalidArgument",
					 "Object keys and query values must not contain a NUL byte (%%00).");
		gw_respond_error(r, &err);
	}
	else if (!gw_authenticate(r, &err))
		gw_respond_error(r, &err);
	else
		dispatch(r);
}

/*
 * MHD calls this once with the headers, then once per body chunk, then once
 * more. A response queued at the first call closes the connection (MHD
 * cannot tell whether a body follows), so requests without a body start at
 * the second call and keep their connection alive; requests with a body
 * start at the first, so that a refused upload is refused before its body
 * is read.
 */
static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url,
			   const char *method, const char *version, const char *upload_data,
			   size_t *upload_data_size, void **con_cls)
{
	GwRequest  *r = *con_cls;
	GwError		err;

	(void) cls;
	(void) version;
	if (r == NULL)
	{
		r = calloc(1, sizeof(GwRequest));
		if (r == NULL)
			return MHD_NO;
		*con_cls = r;
		atomic_fetch_add(&in_flight, 1);
		r->conn = conn;
		r->method = method;
		r->started = gw_now();
		r->url_nul = url_had_nul;
		url_had_nul = false;
		parse_path(r, url);
		r->deferred = !has_body(conn);
		if (!r->deferred)
			start(r);
		return MHD_YES;
	}
	if (r->deferred)
	{
		r->deferred = false;
		start(r);
	}
	if (*upload_data_size > 0)
	{
		r->bytes_in += *upload_data_size;
		if (!r->responded && r->on_body)
			r->on_body(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!r->responded)
	{
		if (r->on_finish)
			r->on_finish(r);
		if (!r->responded)
		{
			gw_error_set(&err, 500, "InternalError", "the request got no response");
			gw_respond_error(r, &err);
		}
	}
	return MHD_YES;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		  enum MHD_RequestTerminationCode toe)
{
	GwRequest  *r = *con_cls;

	(void) cls;
	(void) conn;
	if (r == NULL)
		return;
	if (r->on_cleanup)
		r->on_cleanup(r);
	gw_log(GW_LOG_INFO, "%s %s %d in=%llu out=%llu %.1fms role=%s%s",
		   r->method, r->path, r->status,
		   (unsigned long long) r->bytes_in, (unsigned long long) r->bytes_out,
		   (gw_now() - r->started) * 1000.0,
		   r->auth.role[0] ? r->auth.role : "-",
		   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	free(r->path);
	free(r->bucket);
	free(r->key);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&in_flight, 1);
}

/*
 * gw_http_start: the daemon, one thread per connection; NULL on failure.
 * No SO_REUSEPORT: a second gateway on a port in use must fail, not share
 * its connections.
 */
struct MHD_Daemon *
gw_http_start(const struct sockaddr_in *addr)
{
	return MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
							MHD_USE_ITC | MHD_USE_ERROR_LOG,
							0, NULL, NULL, access_handler, NULL,
							MHD_OPTION_SOCK_ADDR, addr,
							MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
							MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 120,
							MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 1000,
							MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
							MHD_OPTION_END);
}

void
gw_body_collect(StrBuf *body, bool *too_big, size_t max, const char *data, size_t len)
{
	if (*too_big || body->len + len > max)
		*too_big = true;
	else
		sb_append(body, data, len);
}

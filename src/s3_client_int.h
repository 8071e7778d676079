/*-------------------------------------------------------------------------
 *
 * s3_client_int.h
 *		Private to the S3 client files: the request and transfer state and
 *		the transport helpers that s3_client.c (signing, libcurl, retries,
 *		errors) lends to s3_object.c (object operations) and s3_multipart.c
 *		(multipart uploads). Nothing outside those three includes it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef S3_CLIENT_INT_H
#define S3_CLIENT_INT_H

#include "s3_client.h"
#include "s3_sign.h"

#define S3_MAX_QUERY		8
#define S3_MAX_EXTRA		4

/* One logical request. */
typedef struct S3Call
{
	const char *method;			/* GET, HEAD, PUT, POST, DELETE */
	const char *bucket;			/* NULL: service level */
	const char *key;			/* NULL: bucket level */
	S3KeyValue	query[S3_MAX_QUERY];
	int			nquery;
	S3KeyValue	extra[S3_MAX_EXTRA];	/* signed and sent: range, content-md5 */
	int			nextra;
	const char *content_type;	/* sent, not signed; NULL for none */
	const char *body;			/* PUT/POST body (may be NULL with len 0) */
	size_t		body_len;
	const char *op;				/* words for errcontext, e.g. "GET object" */
	bool		range_416_empty;	/* a 416 reply means "empty range" */
} S3Call;

/* State shared with the curl callbacks; they never throw. */
typedef struct XferState
{
	MemoryContext cxt;
	size_t		body_pos;		/* upload cursor */
	const S3Call *call;
	char	   *buf;			/* response body, VARHDRSZ reserved in front */
	size_t		len;			/* bytes of body, excluding the reserve */
	size_t		cap;			/* bytes allocated, including the reserve */
	bool		oom;
	bool		too_large;
	bool		cancelled;
	long		status;
	int64		content_length; /* -1 when not sent */
	bool		content_length_bad; /* sent, but not a decimal number */
	char		content_range[128];
	char		sse[64];		/* x-amz-server-side-encryption */
	bool		sse_customer;	/* SSE-C: the ETag is no MD5 */
	char		etag[256];
	char		last_modified[64];
	char		request_id[128];
} XferState;

/* s3_client.c: building, performing and failing requests */
extern void s3_call_init(S3Call *call, const char *op, const char *method,
						 const char *bucket, const char *key);
extern void s3_call_query(S3Call *call, const char *name, const char *value);
extern void s3_call_header(S3Call *call, const char *name, const char *value);

/*
 * s3_perform: sign and perform call, retrying per the endpoint; on return
 * st holds a 2xx reply (body palloc'd in st->cxt). Throws on failure.
 */
extern void s3_perform(const S3Endpoint *ep, const S3Call *call, XferState *st);
extern void s3_append_encoded(StringInfo out, const char *s, bool keep_slash);

/* s3_target: the Host header and URL path of bucket/key (palloc'd), path or virtual style */
extern void s3_target(const S3Endpoint *ep, const char *bucket, const char *key,
					  char **host, char **path);
extern void s3_error_context(void *arg);
extern char *s3_xfer_text(XferState *st);	/* the body, NUL-terminated */
extern void s3_xfer_free(XferState *st);
extern void s3_raise_malformed(const S3Endpoint *ep, const char *what,
							   const char *reason) pg_attribute_noreturn();
extern void s3_forget_connections(void);

/* push/pop the errcontext naming the operation, bucket and key */
#define S3_PUSH_CONTEXT(errcb, call) \
	do { \
		(errcb).callback = s3_error_context; \
		(errcb).arg = (void *) &(call); \
		(errcb).previous = error_context_stack; \
		error_context_stack = &(errcb); \
	} while (0)
#define S3_POP_CONTEXT(errcb) (error_context_stack = (errcb).previous)

#endif							/* S3_CLIENT_INT_H */

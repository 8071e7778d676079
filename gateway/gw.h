/*-------------------------------------------------------------------------
 *
 * gw.h
 *		pg_lakefs_gateway: the S3 gateway's shared types and the functions
 *		each of its files exports.
 *
 * The gateway is a separate, stateless program: libmicrohttpd serves HTTP
 * (one thread per connection), every request is verified with SigV4 by the
 * database (lakefs_verify_signature; keycache.c then keeps the day-scoped
 * signing key for a short while) and then runs its SQL as the access key's
 * role on a pooled libpq connection (set_config('role') ... RESET ROLE, one
 * pipeline of prepared statements). Object bytes never pass through
 * Postgres: the database hands out presigned URLs of the object store and
 * the gateway streams between client and store with libcurl, through a
 * bounded buffer, or redirects the client there (--redirect-get).
 *
 * Memory: plain malloc/free (the plain-C layers shared with the extension,
 * strbuf.c and s3_sign.c, allocate through lk_alloc.c's malloc hooks).
 *
 *-------------------------------------------------------------------------
 */
#ifndef GW_H
#define GW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libpq-fe.h>
#include <microhttpd.h>

#include "strbuf.h"

/* log levels (--log-level) */
typedef enum GwLogLevel
{
	GW_LOG_ERROR = 0,
	GW_LOG_WARNING,
	GW_LOG_INFO,
	GW_LOG_DEBUG
} GwLogLevel;

/* --redirect-get: when GetObject answers 307 to a presigned store URL */
typedef enum GwRedirect
{
	GW_REDIRECT_OFF = 0,		/* never: bytes stream through the gateway */
	GW_REDIRECT_ASK,			/* when the request asks (?presign=true) */
	GW_REDIRECT_ALWAYS			/* every GetObject without a Range */
} GwRedirect;

/* process-wide settings, from the command line */
typedef struct GwConfig
{
	const char *dsn;
	const char *listen_host;
	int			listen_port;
	int			workers;		/* libpq connections in the pool */
	GwLogLevel	log_level;
	int			max_skew_seconds;	/* RequestTimeTooSkewed past this */
	int			key_cache_seconds;	/* signing-key cache lifetime; 0 = off */
	int			redirect_get;	/* GwRedirect: 307 to a presigned store URL */
} GwConfig;

extern GwConfig gw_config;

/* A verified caller: the role the request runs as. */
typedef struct GwAuth
{
	bool		anonymous;		/* no credentials given */
	char		access_key_id[128];
	char		role[128];
	/* for aws-chunked bodies */
	unsigned char signing_key[32];
	char		seed_signature[80];
	char		amz_date[17];
	char		scope[160];
	char		content_sha256[80]; /* the x-amz-content-sha256 header, or "" */
} GwAuth;

/* An S3 error to send: status and Code; message is free text. */
typedef struct GwError
{
	int			status;			/* 0 = no error */
	const char *code;
	char		message[512];
} GwError;

/* One HTTP request in flight (MHD's con_cls). */
typedef struct GwRequest GwRequest;
typedef int (*GwBodyFn) (GwRequest *r, const char *data, size_t len);
typedef void (*GwFinishFn) (GwRequest *r);
typedef void (*GwCleanupFn) (GwRequest *r);

struct GwRequest
{
	struct MHD_Connection *conn;
	const char *method;
	char	   *path;			/* decoded URL path */
	char	   *bucket;			/* NULL for the service (ListBuckets) */
	char	   *key;			/* NULL or the key after "bucket/" */
	GwAuth		auth;
	int			status;			/* for the log line */
	uint64_t	bytes_in;
	uint64_t	bytes_out;
	double		started;
	bool		responded;
	bool		deferred;		/* no body: start at the second call */
	bool		url_nul;		/* the URL or a query value had %00 */
	/* a request with a body: called per chunk, then once at its end */
	GwBodyFn	on_body;
	GwFinishFn	on_finish;
	GwCleanupFn on_cleanup;
	void	   *op;				/* the operation's state */
};

/* main.c */
extern void gw_log(GwLogLevel level, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
extern double gw_now(void);

/* http.c: responses and request accessors */
extern const char *gw_header(GwRequest *r, const char *name);
extern const char *gw_query(GwRequest *r, const char *name);
extern bool gw_has_query(GwRequest *r, const char *name);
extern void gw_respond(GwRequest *r, int status, const char *content_type,
					   const char *body, size_t len, const char *const *headers);
extern void gw_respond_response(GwRequest *r, int status, struct MHD_Response *resp);
extern void gw_respond_error(GwRequest *r, const GwError *e);
extern void gw_error_set(GwError *e, int status, const char *code,
						 const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* pool.c: pooled libpq connections and role switching */
extern int	gw_pool_init(const char *dsn, int size);
extern void gw_pool_close(void);
extern PGconn *gw_pool_get(void);
extern void gw_pool_put(PGconn *c);
extern PGresult *gw_sql(GwRequest *r, GwError *err, const char *sql, int nparams,
						const char *const *params);
extern void gw_sql_error(GwRequest *r, const PGresult *res, GwError *err);
extern void gw_write_ref_error(GwRequest *r, const char *ref, GwError *err);

/* sigv4.c: request authentication */
extern bool gw_authenticate(GwRequest *r, GwError *err);
extern bool gw_chunk_signature_ok(const GwAuth *a, const char *prev_sig,
								  const char *chunk_sha256_hex, const char *given,
								  char out_sig[65]);
extern bool gw_trailer_signature_ok(const GwAuth *a, const char *prev_sig,
									const char *trailer_sha256_hex, const char *given);

/* keycache.c: the signing-key cache */
extern bool gw_key_cache_get(const char *akid, const char *scope, char role[128],
							 unsigned char key[32], uint64_t *gen);
extern void gw_key_cache_put(const char *akid, const char *scope, const char *role,
							 const unsigned char key[32], uint64_t gen);
extern void gw_key_cache_start(const char *dsn);
extern void gw_key_cache_stop(void);

/* xml.c: S3 XML documents */
typedef struct GwXml GwXml;
extern GwXml *gw_xml_begin(const char *root);
extern void gw_xml_elem(GwXml *x, const char *name, const char *value);
extern void gw_xml_elemf(GwXml *x, const char *name, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern void gw_xml_open(GwXml *x, const char *name);
extern void gw_xml_close(GwXml *x);
extern void gw_xml_send(GwXml *x, GwRequest *r, int status);
extern void gw_xml_free(GwXml *x);

/* ops_bucket.c: service and bucket operations */
extern void gw_list_buckets(GwRequest *r);
extern void gw_head_bucket(GwRequest *r);
extern void gw_get_bucket_location(GwRequest *r);
extern void gw_list_objects(GwRequest *r, bool v2);

/* ops_get.c: reading objects */
extern void gw_get_object(GwRequest *r, bool head);

/* ops_put.c: writing objects */
extern void gw_put_object_begin(GwRequest *r);
extern void gw_copy_object(GwRequest *r, const char *source);
extern bool gw_parse_copy_source(const char *source, char **repo, char **ref, char **path);

/*
 * gw_request_metadata: the request's x-amz-meta-* headers as the text of a
 * JSON object (names lower-cased), malloc'd; NULL when there are none.
 */
extern char *gw_request_metadata(GwRequest *r);

/* ops_multipart.c: multipart uploads */
extern void gw_create_multipart(GwRequest *r);
extern void gw_complete_multipart_begin(GwRequest *r);
extern void gw_abort_multipart(GwRequest *r);
extern void gw_list_parts(GwRequest *r);
extern void gw_upload_part_copy(GwRequest *r);

/* ops_delete.c: deleting objects */
extern void gw_delete_object(GwRequest *r);
extern void gw_delete_objects_begin(GwRequest *r);

/* chunked.c: aws-chunked bodies */
typedef struct GwChunked GwChunked;
typedef int (*GwChunkSink) (void *arg, const char *data, size_t len);
typedef struct GwChecksum GwChecksum;
extern GwChunked *gw_chunked_new(const GwAuth *auth, bool signed_chunks, GwChecksum *trailer,
								 GwChunkSink sink, void *arg);
extern int	gw_chunked_feed(GwChunked *c, const char *data, size_t len, GwError *err);
extern bool gw_chunked_done(GwChunked *c, GwError *err);
extern uint64_t gw_chunked_decoded(GwChunked *c);
extern void gw_chunked_free(GwChunked *c);

/* checksum.c: Content-MD5 and x-amz-checksum-* of a request body */
extern GwChecksum *gw_checksum_from_headers(GwRequest *r, GwError *err);
extern bool gw_checksum_algorithm(GwChecksum *c, const char *name, GwError *err);
extern bool gw_checksum_expect(GwChecksum *c, const char *value, GwError *err);
extern void gw_checksum_update(GwChecksum *c, const char *data, size_t len);
extern bool gw_checksum_check(GwChecksum *c, GwError *err);
extern const char *gw_checksum_name(const GwChecksum *c);
extern void gw_checksum_free(GwChecksum *c);

/* store.c: streaming transfers to and from the object store */
typedef struct GwStore GwStore;
extern GwStore *gw_store_get(const char *url, int64_t offset, int64_t length);
extern ssize_t gw_store_read(GwStore *s, char *buf, size_t max);
extern bool gw_store_wait_headers(GwStore *s, long *status);
extern ssize_t gw_store_fetch(const char *url, int64_t offset, int64_t length, char *buf,
							  size_t cap, long *status);
extern GwStore *gw_store_put(const char *url, int64_t length, const char *content_type);
extern bool gw_store_write(GwStore *s, const char *data, size_t len);
extern bool gw_store_finish(GwStore *s, long *status);
extern const char *gw_store_etag(GwStore *s);
extern bool gw_store_head(const char *url, int64_t *size, char *etag);
extern void gw_store_free(GwStore *s);
extern void gw_store_stop(void);

/* ref/path helpers (http.c) */
extern bool gw_split_key(const char *key, char **ref, char **path);
extern void gw_url_encode(StrBuf *out, const char *s, bool keep_slash);

/*
 * gw_body_collect: append a chunk of a small XML request body to body, or set
 * *too_big once it would pass max bytes (the request then answers an error).
 */
extern void gw_body_collect(StrBuf *body, bool *too_big, size_t max,
							const char *data, size_t len);

#endif							/* GW_H */

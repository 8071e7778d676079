/*-------------------------------------------------------------------------
 *
 * s3_client.h
 *		The S3 HTTP layer on libcurl: signed requests with retries, mapped
 *		to Postgres errors.
 *
 * Every function here may throw (ereport ERROR) with an SQLSTATE a client
 * can act on; results are palloc'd in the caller's memory context. The
 * endpoint (server options + user mapping) is resolved by option.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef S3_CLIENT_H
#define S3_CLIENT_H

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "pgtime.h"

#include "s3_xml.h"

/* A resolved S3 endpoint: server options plus the user's credentials. */
typedef struct S3Endpoint
{
	char	   *server_name;	/* foreign server, for messages */
	char	   *base_url;		/* "scheme://host[:port]", no trailing '/' */
	char	   *scheme;			/* "http" or "https" */
	char	   *host;			/* host[:port] as in the Host header */
	bool		virtual_style;	/* bucket in the host name */
	char	   *region;
	int			connect_timeout_ms;
	int			request_timeout_ms; /* 0 = no limit */
	int			max_retries;
	/* from the user mapping; never printed */
	char	   *access_key_id;
	char	   *secret_access_key;
	char	   *session_token;	/* NULL when none */
} S3Endpoint;

/* What HEAD (and PUT) tell about an object. */
typedef struct S3ObjectInfo
{
	int64		size;
	char	   *etag;			/* without quotes; "" if the server sent none */
	TimestampTz last_modified;	/* 0 when unknown */
	bool		have_last_modified;
} S3ObjectInfo;

/* s3_client.c */
extern PGDLLIMPORT int lakefs_connect_timeout_ms;
extern PGDLLIMPORT int lakefs_request_timeout_ms;
extern PGDLLIMPORT int lakefs_max_retries;

extern void s3_client_init(void);

extern bool s3_header_value_ok(const char *value, size_t len);
extern void s3_check_header_value(const char *what, const char *value);
extern bytea *s3_get_object(const S3Endpoint *ep, const char *bucket,
							const char *key, int64 offset, int64 length,
							int64 object_size);
extern void s3_head_object(const S3Endpoint *ep, const char *bucket,
						   const char *key, S3ObjectInfo *info);
extern char *s3_put_object(const S3Endpoint *ep, const char *bucket,
						   const char *key, const char *data, size_t len,
						   const char *content_type);
extern void s3_delete_object(const S3Endpoint *ep, const char *bucket,
							 const char *key);
extern void s3_delete_objects(const S3Endpoint *ep, const char *bucket,
							  char *const *keys, int nkeys);
extern void s3_create_bucket(const S3Endpoint *ep, const char *bucket);
extern void s3_list_objects_page(const S3Endpoint *ep, const char *bucket,
								 const char *prefix, const char *delimiter,
								 const char *continuation, int max_keys,
								 S3ListPage *page);
extern char *s3_presign_url(const S3Endpoint *ep, const char *method,
							const char *bucket, const char *key,
							int expires_seconds, pg_time_t when);

extern void s3_copy_object(const S3Endpoint *ep, const char *src_bucket, const char *src_key,
						   const char *bucket, const char *key, int64 first, int64 last);
extern char *s3_put_object_multipart(const S3Endpoint *ep, const char *bucket,
									 const char *key, const char *data,
									 size_t len, size_t part_size,
									 const char *content_type);

#endif							/* S3_CLIENT_H */

/*-------------------------------------------------------------------------
 *
 * ops_bucket.c
 *		S3 service and bucket operations: ListBuckets, HeadBucket,
 *		GetBucketLocation, ListObjectsV2 and ListObjects (v1).
 *
 * A bucket is a repository; a key is "<ref>/<path>". A listing whose prefix
 * names a ref runs one lakefs_ls call for exactly one page: the start key
 * (start-after, marker or continuation token) becomes lakefs_ls's after
 * argument and the page size its amount (max-keys + 1, to know whether the
 * listing is truncated), so page N costs what page 1 costs. A listing whose
 * prefix has no '/' yet lists the branches as common prefixes ("main/"),
 * as lakeFS's gateway does. The continuation token is the last key or common
 * prefix returned, base64-encoded.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gw.h"

#define TS_FORMAT "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'"

/* ListBuckets: every repository the role can see */
void
gw_list_buckets(GwRequest *r)
{
	GwError		err;
	PGresult   *res = gw_sql(r, &err,
							 "SELECT name, to_char(created_at AT TIME ZONE 'UTC', " TS_FORMAT ") "
							 "FROM lakefs_repositories ORDER BY name COLLATE \"C\"", 0, NULL);
	GwXml	   *x;

	if (res == NULL)
	{
		gw_respond_error(r, &err);
		return;
	}
	x = gw_xml_begin("ListAllMyBucketsResult");
	gw_xml_open(x, "Owner");
	gw_xml_elem(x, "ID", r->auth.role);
	gw_xml_elem(x, "DisplayName", r->auth.role);
	gw_xml_close(x);
	gw_xml_open(x, "Buckets");
	for (int i = 0; i < PQntuples(res); i++)
	{
		gw_xml_open(x, "Bucket");
		gw_xml_elem(x, "Name", PQgetvalue(res, i, 0));
		gw_xml_elem(x, "CreationDate", PQgetvalue(res, i, 1));
		gw_xml_close(x);
	}
	gw_xml_close(x);
	gw_xml_send(x, r, 200);
	gw_xml_free(x);
	PQclear(res);
}

/* true when the bucket exists (and the role may see it); else *err */
static bool
bucket_exists(GwRequest *r, GwError *err)
{
	const char *p[1] = {r->bucket};
	PGresult   *res = gw_sql(r, err, "SELECT 1 FROM lakefs_repositories WHERE name = $1", 1, p);
	bool		found;

	if (res == NULL)
		return false;
	found = PQntuples(res) == 1;
	PQclear(res);
	if (!found)
		gw_error_set(err, 404, "NoSuchBucket", "The specified bucket does not exist");
	return found;
}

void
gw_head_bucket(GwRequest *r)
{
	GwError		err;

	if (!bucket_exists(r, &err))
		gw_respond_error(r, &err);
	else
		gw_respond(r, 200, NULL, "", 0, NULL);
}

void
gw_get_bucket_location(GwRequest *r)
{
	GwError		err;
	GwXml	   *x;

	if (!bucket_exists(r, &err))
	{
		gw_respond_error(r, &err);
		return;
	}
	x = gw_xml_begin("LocationConstraint");
	gw_xml_send(x, r, 200);
	gw_xml_free(x);
}

/* ------------------------------------------------------------- listing */

typedef struct ListArgs
{
	bool		v2;
	bool		url_encode;
	bool		fetch_owner;
	const char *prefix;
	const char *delimiter;		/* NULL for none */
	const char *start_after;	/* v2 start-after or v1 marker; NULL */
	const char *token;			/* v2 continuation-token as given; NULL */
	char	   *token_key;		/* decoded; malloc'd */
	long		max_keys;
} ListArgs;

static char *
b64(const char *s, bool decode)
{
	size_t		len = strlen(s);
	unsigned char *out = malloc(len / 4 * 3 + len * 2 + 8);
	int			n;

	if (out == NULL)
		return NULL;
	if (!decode)
	{
		EVP_EncodeBlock(out, (const unsigned char *) s, (int) len);
		return (char *) out;
	}
	if (len == 0 || len % 4 != 0)
	{
		free(out);
		return NULL;
	}
	n = EVP_DecodeBlock(out, (const unsigned char *) s, (int) len);
	if (n < 0)
	{
		free(out);
		return NULL;
	}
	while (len > 0 && s[len - 1] == '=')
	{
		n--;
		len--;
	}
	out[n] = '\0';
	if ((int) strlen((char *) out) != n)
	{
		free(out);
		return NULL;
	}
	return (char *) out;
}

/* a key-level value (Key, Prefix, ...) as the client asked it encoded */
static void
xml_key(GwXml *x, const ListArgs *a, const char *name, const char *value)
{
	StrBuf		sb;

	if (!a->url_encode || value == NULL)
	{
		gw_xml_elem(x, name, value);
		return;
	}
	sb_init(&sb);
	gw_url_encode(&sb, value, true);
	gw_xml_elem(x, name, sb.data ? sb.data : "");
	sb_free(&sb);
}

static bool
parse_list_args(GwRequest *r, ListArgs *a, bool v2, GwError *err)
{
	const char *mk = gw_query(r, "max-keys");
	const char *enc = gw_query(r, "encoding-type");
	char	   *end = NULL;

	memset(a, 0, sizeof(*a));
	a->v2 = v2;
	a->prefix = gw_query(r, "prefix") ? gw_query(r, "prefix") : "";
	a->delimiter = gw_query(r, "delimiter");
	if (a->delimiter && a->delimiter[0] == '\0')
		a->delimiter = NULL;
	a->start_after = gw_query(r, v2 ? "start-after" : "marker");
	if (a->start_after && a->start_after[0] == '\0')
		a->start_after = NULL;
	a->max_keys = 1000;
	if (mk)
	{
		a->max_keys = strtol(mk, &end, 10);
		if (*mk == '\0' || *end || a->max_keys < 0)
		{
			gw_error_set(err, 400, "InvalidArgument", "max-keys must be a non-negative integer");
			return false;
		}
		if (a->max_keys > 1000)
			a->max_keys = 1000;
	}
	if (enc && strcmp(enc, "url") != 0)
	{
		gw_error_set(err, 400, "InvalidArgument", "Invalid Encoding Method specified in Request");
		return false;
	}
	a->url_encode = enc != NULL;
	a->fetch_owner = !v2 || (gw_query(r, "fetch-owner") && strcmp(gw_query(r, "fetch-owner"), "true") == 0);
	if (v2 && gw_query(r, "continuation-token"))
	{
		a->token = gw_query(r, "continuation-token");
		a->token_key = b64(a->token, true);
		if (a->token_key == NULL)
		{
			gw_error_set(err, 400, "InvalidArgument", "The continuation token provided is incorrect");
			return false;
		}
	}
	return true;
}

/* the listing's start key: the later of start-after/marker and the token */
static const char *
start_key(const ListArgs *a)
{
	if (a->token_key && (!a->start_after || strcmp(a->token_key, a->start_after) > 0))
		return a->token_key;
	return a->start_after;
}

/* the head of every listing document */
static GwXml *
list_head(GwRequest *r, const ListArgs *a)
{
	GwXml	   *x = gw_xml_begin("ListBucketResult");

	gw_xml_elem(x, "Name", r->bucket);
	xml_key(x, a, "Prefix", a->prefix);
	if (a->v2)
	{
		if (a->start_after)
			xml_key(x, a, "StartAfter", a->start_after);
		if (a->token)
			gw_xml_elem(x, "ContinuationToken", a->token);
	}
	else
		xml_key(x, a, "Marker", a->start_after ? a->start_after : "");
	if (a->delimiter)
		xml_key(x, a, "Delimiter", a->delimiter);
	gw_xml_elemf(x, "MaxKeys", "%ld", a->max_keys);
	if (a->url_encode)
		gw_xml_elem(x, "EncodingType", "url");
	return x;
}

static void
list_tail(GwRequest *r, GwXml *x, const ListArgs *a, int count, bool truncated,
		  const char *last)
{
	gw_xml_elem(x, "IsTruncated", truncated ? "true" : "false");
	if (a->v2)
	{
		gw_xml_elemf(x, "KeyCount", "%d", count);
		if (truncated && last)
		{
			char	   *t = b64(last, false);

			gw_xml_elem(x, "NextContinuationToken", t);
			free(t);
		}
	}
	else if (truncated && last)
		xml_key(x, a, "NextMarker", last);
	gw_xml_send(x, r, 200);
	gw_xml_free(x);
}

static void
common_prefix(GwXml *x, const ListArgs *a, const char *value)
{
	gw_xml_open(x, "CommonPrefixes");
	xml_key(x, a, "Prefix", value);
	gw_xml_close(x);
}

/* a prefix with no '/': the branches, as common prefixes "<branch>/" */
static void
list_branches(GwRequest *r, const ListArgs *a)
{
	GwError		err;
	char		limit[32];
	const char *after = start_key(a);
	const char *p[4];
	PGresult   *res;
	GwXml	   *x;
	int			n;
	bool		truncated;
	char	   *last = NULL;

	if (!bucket_exists(r, &err))
	{
		gw_respond_error(r, &err);
		return;
	}
	snprintf(limit, sizeof(limit), "%ld", a->delimiter && strcmp(a->delimiter, "/") == 0 ?
			 a->max_keys + 1 : 0);
	p[0] = r->bucket;
	p[1] = a->prefix;
	p[2] = after;
	p[3] = limit;
	res = gw_sql(r, &err,
				 "SELECT b FROM (SELECT branch || '/' COLLATE \"C\" AS b FROM lakefs_branches "
				 "WHERE repository = $1) s WHERE starts_with(b, $2) "
				 "AND ($3::text IS NULL OR b > $3::text COLLATE \"C\") ORDER BY b LIMIT $4::bigint",
				 4, p);
	if (res == NULL)
	{
		gw_respond_error(r, &err);
		return;
	}
	x = list_head(r, a);
	n = PQntuples(res);
	truncated = n > a->max_keys;
	if (truncated)
		n = (int) a->max_keys;
	for (int i = 0; i < n; i++)
	{
		common_prefix(x, a, PQgetvalue(res, i, 0));
		last = PQgetvalue(res, i, 0);
	}
	list_tail(r, x, a, n, truncated, last);
	PQclear(res);
}

static void
list_entry(GwXml *x, GwRequest *r, const ListArgs *a, const char *key, PGresult *res, int i)
{
	char		etag[200];

	gw_xml_open(x, "Contents");
	xml_key(x, a, "Key", key);
	gw_xml_elem(x, "LastModified", PQgetvalue(res, i, 4));
	snprintf(etag, sizeof(etag), "\"%s\"", PQgetvalue(res, i, 3));
	gw_xml_elem(x, "ETag", etag);
	gw_xml_elem(x, "Size", PQgetvalue(res, i, 2));
	gw_xml_elem(x, "StorageClass", "STANDARD");
	if (a->fetch_owner)
	{
		gw_xml_open(x, "Owner");
		gw_xml_elem(x, "ID", r->auth.role);
		gw_xml_elem(x, "DisplayName", r->auth.role);
		gw_xml_close(x);
	}
	gw_xml_close(x);
}

/* ListObjectsV2 (v2) and ListObjects (v1) */
void
gw_list_objects(GwRequest *r, bool v2)
{
	ListArgs	a;
	GwError		err;
	char	   *ref = NULL;
	char	   *path_prefix = NULL;
	const char *skey;
	const char *after = NULL;
	size_t		reflen;
	char		amount[32];
	const char *p[6];
	PGresult   *res = NULL;
	GwXml	   *x;
	int			n;
	bool		truncated;
	StrBuf		key,
				last;

	memset(&err, 0, sizeof(err));
	if (!parse_list_args(r, &a, v2, &err))
	{
		gw_respond_error(r, &err);
		free(a.token_key);
		return;
	}
	if (!gw_split_key(a.prefix, &ref, &path_prefix))
	{
		list_branches(r, &a);
		goto out;
	}
	/* the start key, as a path of this ref; past the ref's keys: nothing */
	reflen = strlen(ref);
	skey = start_key(&a);
	sb_init(&key);
	sb_appendf(&key, "%s/", ref);
	if (skey && strncmp(skey, key.data, reflen + 1) == 0)
		after = skey + reflen + 1;
	snprintf(amount, sizeof(amount), "%ld",
			 (skey && !after && strcmp(skey, key.data) > 0) ? 0 : a.max_keys + 1);
	sb_free(&key);
	p[0] = r->bucket;
	p[1] = ref;
	p[2] = path_prefix;
	p[3] = a.delimiter;
	p[4] = after;
	p[5] = amount;
	res = gw_sql(r, &err,
				 "SELECT path, path_type, size, checksum, "
				 "to_char(last_modified AT TIME ZONE 'UTC', " TS_FORMAT ") "
				 "FROM lakefs_ls($1, $2, $3, $4, $5, $6::bigint)", 6, p);
	if (res == NULL && err.status == 404 && strcmp(err.code, "NoSuchKey") == 0)
	{
		/* an unknown ref: S3 answers a prefix that matches nothing with an empty listing */
		x = list_head(r, &a);
		list_tail(r, x, &a, 0, false, NULL);
		goto out;
	}
	if (res == NULL)
	{
		gw_respond_error(r, &err);
		goto out;
	}
	x = list_head(r, &a);
	n = PQntuples(res);
	truncated = n > a.max_keys;
	if (truncated)
		n = (int) a.max_keys;
	sb_init(&key);
	sb_init(&last);
	/* S3 lists Contents first, then CommonPrefixes */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++)
		{
			bool		cp = strcmp(PQgetvalue(res, i, 1), "common_prefix") == 0;

			if (cp != (pass == 1))
				continue;
			sb_reset(&key);
			sb_appendf(&key, "%s/%s", ref, PQgetvalue(res, i, 0));
			if (cp)
				common_prefix(x, &a, key.data);
			else
				list_entry(x, r, &a, key.data, res, i);
		}
	if (n > 0)
		sb_appendf(&last, "%s/%s", ref, PQgetvalue(res, n - 1, 0));
	list_tail(r, x, &a, n, truncated, last.data);
	sb_free(&key);
	sb_free(&last);
	PQclear(res);
out:
	free(ref);
	free(path_prefix);
	free(a.token_key);
}

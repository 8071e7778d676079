/*-------------------------------------------------------------------------
 *
 * s3_multipart.c
 *		Multipart uploads on s3_client.c's transport: initiate, parts,
 *		complete, and abort after a failure (never after a cancel: the
 *		parts stay invisible and the store's lifecycle rules reclaim them).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"


#include "miscadmin.h"

#include "lk_alloc.h"
#include "s3_client_int.h"
#include "s3_xml.h"

static char *
s3_multipart_initiate(const S3Endpoint *ep, const char *bucket, const char *key,
					  const char *content_type)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;
	char	   *upload_id = NULL;
	char	   *result;
	char		reason[256];

	s3_call_init(&call, "INITIATE multipart upload of", "POST", bucket, key);
	s3_call_query(&call, "uploads", "");
	call.content_type = content_type;
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);
	if (s3_parse_upload_id(s3_xfer_text(&st), st.len, &upload_id, reason, sizeof(reason)) != 0)
		s3_raise_malformed(ep, "InitiateMultipartUploadResult", reason);
	S3_POP_CONTEXT(errcb);
	s3_xfer_free(&st);
	result = pstrdup(upload_id);
	lk_free(upload_id);
	return result;
}

static char *
s3_multipart_part(const S3Endpoint *ep, const char *bucket, const char *key,
				  const char *upload_id, int partno, const char *data, size_t len)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;
	char		num[16];

	snprintf(num, sizeof(num), "%d", partno);
	s3_call_init(&call, "UPLOAD part of", "PUT", bucket, key);
	s3_call_query(&call, "partNumber", num);
	s3_call_query(&call, "uploadId", upload_id);
	call.body = data;
	call.body_len = len;
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);
	S3_POP_CONTEXT(errcb);
	s3_xfer_free(&st);
	if (st.etag[0] == '\0')
		s3_raise_malformed(ep, "UploadPart reply", "no ETag header");
	return pstrdup(st.etag);
}

static void
s3_multipart_complete(const S3Endpoint *ep, const char *bucket, const char *key,
					  const char *upload_id, char **etags, int nparts)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;
	StrBuf		body;
	char	   *pbody;
	char	   *etag = NULL;
	char		reason[256];

	sb_init(&body);
	s3_build_complete_multipart(&body, etags, nparts);
	pbody = pnstrdup(body.data, body.len);
	sb_free(&body);

	s3_call_init(&call, "COMPLETE multipart upload of", "POST", bucket, key);
	s3_call_query(&call, "uploadId", upload_id);
	call.body = pbody;
	call.body_len = strlen(pbody);
	call.content_type = "application/xml";
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);

	/*
	 * S3 may answer 200 with an Error document after a long completion; the
	 * parser reports that as a malformed CompleteMultipartUploadResult.
	 */
	if (s3_parse_complete_multipart(s3_xfer_text(&st), st.len, &etag, reason, sizeof(reason)) != 0)
		s3_raise_malformed(ep, "CompleteMultipartUploadResult", reason);
	lk_free(etag);
	S3_POP_CONTEXT(errcb);
	s3_xfer_free(&st);
	pfree(pbody);
}

static void
s3_multipart_abort(const S3Endpoint *ep, const char *bucket, const char *key,
				   const char *upload_id)
{
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;

	s3_call_init(&call, "ABORT multipart upload of", "DELETE", bucket, key);
	s3_call_query(&call, "uploadId", upload_id);
	memset(&st, 0, sizeof(st));
	S3_PUSH_CONTEXT(errcb, call);
	s3_perform(ep, &call, &st);
	S3_POP_CONTEXT(errcb);
	s3_xfer_free(&st);
}

/*
 * abort_and_rethrow: in the PG_CATCH of an upload, abort it and re-throw the
 * error (cxt: the memory context of the PG_TRY). The abort is best effort,
 * and after a cancel it is skipped: a user who cancels wants control back
 * now, and the store that failed may be frozen. Leaving the upload
 * incomplete is safe: its parts never become a visible object, nothing in
 * the catalog points at it, and the store reclaims it (an
 * AbortIncompleteMultipartUpload lifecycle rule; RGW's and MinIO's
 * multipart garbage collection). After any other error the abort gets one
 * attempt bounded to a second, its own failure swallowed, interrupts held
 * so a cancel is not eaten by the abort's progress check.
 */
static void
abort_and_rethrow(const S3Endpoint *ep, const char *bucket, const char *key,
				  const char *upload_id, MemoryContext cxt)
{
	ErrorData  *edata;
	S3Endpoint	abort_ep = *ep;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	if (edata->sqlerrcode != ERRCODE_QUERY_CANCELED)
	{
		HOLD_INTERRUPTS();
		abort_ep.max_retries = 0;
		abort_ep.connect_timeout_ms = Min(ep->connect_timeout_ms, 1000);
		abort_ep.request_timeout_ms = 1000;
		PG_TRY();
		{
			s3_multipart_abort(&abort_ep, bucket, key, upload_id);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			FlushErrorState();
		}
		PG_END_TRY();
		RESUME_INTERRUPTS();
	}
	ReThrowError(edata);
}

/*
 * s3_put_object_multipart
 *		Upload len bytes in parts of part_size (the last may be smaller) and
 *		complete. On any error the upload is aborted (best effort, the abort's
 *		own failure is swallowed) and the original error re-thrown. Returns
 *		the object's ETag from a HEAD after completion (RGW sends an empty
 *		one in the completion reply), palloc'd.
 */
char *
s3_put_object_multipart(const S3Endpoint *ep, const char *bucket, const char *key,
						const char *data, size_t len, size_t part_size,
						const char *content_type)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	char	   *upload_id;
	int			nparts = (int) ((len + part_size - 1) / part_size);
	char	  **etags;
	S3ObjectInfo info;

	if (nparts < 1)
		nparts = 1;
	if (nparts > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("object of %zu bytes needs more than 10000 parts", len),
				 errhint("Raise pg_lakefs.multipart_part_size.")));
	upload_id = s3_multipart_initiate(ep, bucket, key, content_type);
	etags = palloc0(sizeof(char *) * nparts);

	PG_TRY();
	{
		for (int i = 0; i < nparts; i++)
		{
			size_t		off = (size_t) i * part_size;
			size_t		n = Min(part_size, len - off);

			etags[i] = s3_multipart_part(ep, bucket, key, upload_id, i + 1,
										 data + off, n);
		}
		s3_multipart_complete(ep, bucket, key, upload_id, etags, nparts);
	}
	PG_CATCH();
	{
		abort_and_rethrow(ep, bucket, key, upload_id, oldcxt);
	}
	PG_END_TRY();

	s3_head_object(ep, bucket, key, &info);
	return info.etag;
}

/* the ETag of a CopyPartResult document (unquoted), or NULL; palloc'd */
static char *
copy_result_etag(const char *xml, size_t len)
{
	char	   *doc = pnstrdup(xml ? xml : "", len);
	char	   *a = strstr(doc, "<ETag>");
	char	   *b = a ? strstr(a, "</ETag>") : NULL;
	StringInfoData out;

	if (a == NULL || b == NULL || strstr(doc, "<Error>") != NULL)
		return NULL;
	initStringInfo(&out);
	for (char *p = a + 6; p < b; p++)
	{
		if (strncmp(p, "&quot;", 6) == 0)
			p += 5;
		else if (strncmp(p, "&#34;", 5) == 0)
			p += 4;
		else if (*p != '"')
			appendStringInfoChar(&out, *p);
	}
	return out.data;
}

/*
 * s3_copy_object
 *		Make bucket/key a server-side copy of src_bucket/src_key: CopyObject
 *		for the whole object (first < 0), else a one-part multipart upload
 *		whose part is an UploadPartCopy of bytes first..last (S3's CopyObject
 *		takes no range). A failed part copy aborts the upload (best effort).
 *		Throws on failure.
 */
void
s3_copy_object(const S3Endpoint *ep, const char *src_bucket, const char *src_key,
			   const char *bucket, const char *key, int64 first, int64 last)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	StringInfoData source;
	char		range[64];
	S3Call		call;
	XferState	st;
	ErrorContextCallback errcb;
	char	   *upload_id;
	char	   *etags[1];

	initStringInfo(&source);
	appendStringInfoChar(&source, '/');
	s3_append_encoded(&source, src_bucket, false);
	appendStringInfoChar(&source, '/');
	s3_append_encoded(&source, src_key, true);
	if (first < 0)
	{
		s3_call_init(&call, "COPY object to", "PUT", bucket, key);
		s3_call_header(&call, "x-amz-copy-source", source.data);
		memset(&st, 0, sizeof(st));
		S3_PUSH_CONTEXT(errcb, call);
		s3_perform(ep, &call, &st);
		/* a 200 may still carry an Error document */
		if (st.len > 0 && strstr(s3_xfer_text(&st), "<Error>") != NULL)
			s3_raise_malformed(ep, "CopyObjectResult", "an Error document");
		S3_POP_CONTEXT(errcb);
		s3_xfer_free(&st);
		return;
	}
	snprintf(range, sizeof(range), "bytes=%lld-%lld", (long long) first, (long long) last);
	upload_id = s3_multipart_initiate(ep, bucket, key, NULL);
	PG_TRY();
	{
		s3_call_init(&call, "UPLOAD part copy of", "PUT", bucket, key);
		s3_call_query(&call, "partNumber", "1");
		s3_call_query(&call, "uploadId", upload_id);
		s3_call_header(&call, "x-amz-copy-source", source.data);
		s3_call_header(&call, "x-amz-copy-source-range", range);
		memset(&st, 0, sizeof(st));
		S3_PUSH_CONTEXT(errcb, call);
		s3_perform(ep, &call, &st);
		etags[0] = copy_result_etag(s3_xfer_text(&st), st.len);
		if (etags[0] == NULL)
			s3_raise_malformed(ep, "CopyPartResult", "no ETag");
		S3_POP_CONTEXT(errcb);
		s3_xfer_free(&st);
		s3_multipart_complete(ep, bucket, key, upload_id, etags, 1);
	}
	PG_CATCH();
	{
		abort_and_rethrow(ep, bucket, key, upload_id, oldcxt);
	}
	PG_END_TRY();
}

/*-------------------------------------------------------------------------
 *
 * store.c
 *		Streaming transfers between the gateway and the object store, on
 *		presigned URLs the database hands out (the gateway holds no store
 *		credentials).
 *
 A download runs curl_easy_perform on a thread of its own; its write
 * callback fills a ring of GW_STORE_BUFFER bytes and blocks while the ring
 * is full, and the HTTP side's reader empties it as the client takes the
 * bytes (freeing the GwStore cancels the transfer and joins the thread). An
 * upload is one easy handle driven by a multi handle from the HTTP side's
 * thread, pushed as the client's body arrives (the read callback pauses
 * when it has nothing). Memory per transfer is bounded whatever the
 * object's size. Connections to the store are shared
 * between transfers through a curl share handle (keep-alive).
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "gw.h"

#define GW_STORE_BUFFER (1024 * 1024)

struct GwStore
{
	CURLM	   *multi;
	CURL	   *easy;
	struct curl_slist *hdrs;
	bool		done;
	CURLcode	result;
	/* download: curl_easy_perform on its own thread, a bounded ring between */
	pthread_t	thread;
	bool		started;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	char	   *buf;			/* ring of GW_STORE_BUFFER bytes */
	size_t		head;			/* first unread byte */
	size_t		len;			/* unread bytes */
	bool		got_data;
	bool		cancel;
	long		status;
	/* upload */
	const char *up_data;
	size_t		up_len;
	bool		up_eof;
	bool		up_paused;
	char		etag[128];		/* of the store's answer, unquoted */
	char		errbuf[CURL_ERROR_SIZE];
};

static CURLSH *share;
static atomic_bool stopping;
static pthread_key_t fetch_handle;	/* each thread's gw_store_fetch handle */

/* gw_store_stop: make every transfer in progress fail now (shutdown) */
void
gw_store_stop(void)
{
	atomic_store(&stopping, true);
}

/* libcurl's progress callback: non-zero aborts the transfer */
static int
progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			curl_off_t ulnow)
{
	(void) arg;
	(void) dltotal;
	(void) dlnow;
	(void) ultotal;
	(void) ulnow;
	return atomic_load(&stopping) ? 1 : 0;
}
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
static pthread_once_t share_once = PTHREAD_ONCE_INIT;

static void
share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *u)
{
	(void) h;
	(void) access;
	(void) u;
	pthread_mutex_lock(&share_locks[data]);
}

static void
share_unlock(CURL *h, curl_lock_data data, void *u)
{
	(void) h;
	(void) u;
	pthread_mutex_unlock(&share_locks[data]);
}

/* a thread ends (its connection closed): its fetch handle goes with it */
static void
fetch_handle_free(void *easy)
{
	curl_easy_cleanup(easy);
}

static void
share_init(void)
{
	pthread_key_create(&fetch_handle, fetch_handle_free);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_locks[i], NULL);
	share = curl_share_init();
	curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
}

/* the store's bytes into the ring; blocks while it is full (curl's thread) */
/*
 * set_range: ask easy for bytes offset..offset+length-1 (length < 0: to the
 * end; offset 0 and length < 0: the whole object, no Range), formatted in
 * buf (libcurl copies string options)
 */
static void
set_range(CURL *easy, char *buf, size_t size, long long offset, long long length)
{
	if (offset <= 0 && length < 0)
		return;
	if (length >= 0)
		snprintf(buf, size, "%lld-%lld", offset, offset + length - 1);
	else
		snprintf(buf, size, "%lld-", offset);
	curl_easy_setopt(easy, CURLOPT_RANGE, buf);
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	GwStore    *s = arg;
	size_t		n = size * nmemb;
	size_t		done = 0;
	bool		cancel;

	pthread_mutex_lock(&s->lock);
	if (!s->got_data)
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
	s->got_data = true;
	while (done < n && !s->cancel)
	{
		size_t		tail = (s->head + s->len) % GW_STORE_BUFFER;
		size_t		room = GW_STORE_BUFFER - s->len;
		size_t		k = n - done;

		if (room == 0)
		{
			pthread_cond_wait(&s->changed, &s->lock);
			continue;
		}
		if (k > room)
			k = room;
		if (k > GW_STORE_BUFFER - tail)
			k = GW_STORE_BUFFER - tail;
		memcpy(s->buf + tail, ptr + done, k);
		s->len += k;
		done += k;
		pthread_cond_broadcast(&s->changed);
	}
	cancel = s->cancel;
	pthread_mutex_unlock(&s->lock);
	return cancel ? 0 : n;
}

static void *
download_thread(void *arg)
{
	GwStore    *s = arg;
	CURLcode	rc = curl_easy_perform(s->easy);

	pthread_mutex_lock(&s->lock);
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
	s->result = rc;
	s->done = true;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* keep the ETag header of the store's answer (unquoted) in arg (128 bytes) */
static size_t
etag_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	char	   *etag = arg;
	size_t		n = size * nitems;

	if (n > 5 && strncasecmp(buf, "ETag:", 5) == 0)
	{
		const char *v = buf + 5;
		size_t		len = n - 5;

		while (len > 0 && (*v == ' ' || *v == '"'))
			v++, len--;
		while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == '"' ||
						   v[len - 1] == ' '))
			len--;
		if (len < 128)
		{
			memcpy(etag, v, len);
			etag[len] = '\0';
		}
	}
	return n;
}

/* the store's answer to an upload: not needed beyond its status */
static size_t
discard_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void) ptr;
	(void) arg;
	return size * nmemb;
}

static size_t
read_cb(char *buffer, size_t size, size_t nitems, void *arg)
{
	GwStore    *s = arg;
	size_t		n = size * nitems;

	if (s->up_len == 0)
	{
		if (s->up_eof)
			return 0;
		s->up_paused = true;
		return CURL_READFUNC_PAUSE;
	}
	if (n > s->up_len)
		n = s->up_len;
	memcpy(buffer, s->up_data, n);
	s->up_data += n;
	s->up_len -= n;
	return n;
}

static GwStore *
store_new(const char *url)
{
	GwStore    *s = calloc(1, sizeof(GwStore));

	pthread_once(&share_once, share_init);
	if (s == NULL)
		return NULL;
	s->multi = curl_multi_init();
	s->easy = curl_easy_init();
	if (s->multi == NULL || s->easy == NULL)
	{
		gw_store_free(s);
		return NULL;
	}
	curl_easy_setopt(s->easy, CURLOPT_URL, url);
	curl_easy_setopt(s->easy, CURLOPT_SHARE, share);
	curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(s->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(s->easy, CURLOPT_LOW_SPEED_TIME, 120L);
	curl_easy_setopt(s->easy, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(s->easy, CURLOPT_NOPROGRESS, 0L);
	return s;
}

/* run the transfer for at most timeout_ms; sets done/result when it ends */
static void
drive(GwStore *s, int timeout_ms)
{
	int			running = 0;
	CURLMsg    *m;
	int			left;

	curl_multi_perform(s->multi, &running);
	while ((m = curl_multi_info_read(s->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE)
		{
			s->done = true;
			s->result = m->data.result;
		}
	if (!s->done && running == 0)
	{
		s->done = true;
		s->result = CURLE_OK;
	}
	if (!s->done)
		curl_multi_poll(s->multi, NULL, 0, timeout_ms, NULL);
}

/*
 * gw_store_get: start a GET of url (offset/length: a range, length < 0 for
 * the rest). NULL when out of memory. Free with gw_store_free.
 */
GwStore *
gw_store_get(const char *url, int64_t offset, int64_t length)
{
	GwStore    *s = store_new(url);
	char		range[64];

	if (s == NULL)
		return NULL;
	s->buf = malloc(GW_STORE_BUFFER);
	if (s->buf == NULL)
	{
		gw_store_free(s);
		return NULL;
	}
	set_range(s->easy, range, sizeof(range), offset, length);
	curl_easy_setopt(s->easy, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	if (pthread_create(&s->thread, NULL, download_thread, s) != 0)
	{
		gw_store_free(s);
		return NULL;
	}
	s->started = true;
	return s;
}

/*
 * gw_store_wait_headers: run until the first body bytes (or the end) and
 * give the HTTP status; false when the transfer failed outright.
 */
bool
gw_store_wait_headers(GwStore *s, long *status)
{
	bool		ok;

	pthread_mutex_lock(&s->lock);
	while (!s->done && !s->got_data)
		pthread_cond_wait(&s->changed, &s->lock);
	*status = s->status;
	ok = !(s->done && s->result != CURLE_OK);
	pthread_mutex_unlock(&s->lock);
	if (!ok)
		gw_log(GW_LOG_WARNING, "object store transfer failed: %s",
			   s->errbuf[0] ? s->errbuf : curl_easy_strerror(s->result));
	return ok;
}

/* gw_store_read: up to max bytes; 0 at the end, -1 on a failed transfer */
ssize_t
gw_store_read(GwStore *s, char *buf, size_t max)
{
	ssize_t		n;

	pthread_mutex_lock(&s->lock);
	while (s->len == 0 && !s->done)
		pthread_cond_wait(&s->changed, &s->lock);
	if (s->len == 0)
		n = s->result == CURLE_OK ? 0 : -1;
	else
	{
		size_t		k = s->len;

		if (k > max)
			k = max;
		if (k > GW_STORE_BUFFER - s->head)
			k = GW_STORE_BUFFER - s->head;
		memcpy(buf, s->buf + s->head, k);
		s->head = (s->head + k) % GW_STORE_BUFFER;
		s->len -= k;
		n = (ssize_t) k;
		pthread_cond_broadcast(&s->changed);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

typedef struct FetchBuf
{
	char	   *buf;
	size_t		len;
	size_t		cap;
} FetchBuf;

static size_t
fetch_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	FetchBuf   *f = arg;
	size_t		n = size * nmemb;

	if (n > f->cap - f->len)
		return 0;				/* more than asked for: fail the transfer */
	memcpy(f->buf + f->len, ptr, n);
	f->len += n;
	return n;
}

/*
 * gw_store_fetch: GET at most cap bytes of url (a range when offset > 0 or
 * length >= 0) into buf, on the calling thread with a handle it keeps for
 * its next fetch; for small objects, where a transfer thread costs more than
 * the transfer. Returns the bytes read, or -1 (logged); *status is the HTTP
 * status.
 */
ssize_t
gw_store_fetch(const char *url, int64_t offset, int64_t length, char *buf, size_t cap,
			   long *status)
{
	CURL	   *easy;
	FetchBuf	f = {buf, 0, cap};
	char		range[64];
	char		errbuf[CURL_ERROR_SIZE] = "";
	CURLcode	rc;

	pthread_once(&share_once, share_init);
	easy = pthread_getspecific(fetch_handle);
	if (easy == NULL)
	{
		if ((easy = curl_easy_init()) == NULL)
			return -1;
		pthread_setspecific(fetch_handle, easy);
	}
	curl_easy_reset(easy);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_SHARE, share);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, fetch_cb);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &f);
	set_range(easy, range, sizeof(range), offset, length);
	rc = curl_easy_perform(easy);
	*status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);
	if (rc != CURLE_OK)
	{
		gw_log(GW_LOG_WARNING, "object store transfer failed: %s",
			   errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return -1;
	}
	return (ssize_t) f.len;
}

/*
 * gw_store_put: start a PUT of length bytes (< 0: unknown, sent chunked) to
 * url; feed it with gw_store_write, end it with gw_store_finish.
 */
GwStore *
gw_store_put(const char *url, int64_t length, const char *content_type)
{
	GwStore    *s = store_new(url);

	(void) content_type;
	if (s == NULL)
		return NULL;
	s->buf = NULL;
	s->hdrs = curl_slist_append(NULL, "Expect:");
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(s->easy, CURLOPT_UPLOAD, 1L);
	if (length >= 0)
		curl_easy_setopt(s->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t) length);
	curl_easy_setopt(s->easy, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(s->easy, CURLOPT_READDATA, s);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, etag_cb);
	curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, s->etag);
	curl_multi_add_handle(s->multi, s->easy);
	return s;
}

/* gw_store_write: push len bytes; false when the transfer has failed or ended */
bool
gw_store_write(GwStore *s, const char *data, size_t len)
{
	s->up_data = data;
	s->up_len = len;
	while (s->up_len > 0 && !s->done)
	{
		if (s->up_paused)
		{
			s->up_paused = false;
			curl_easy_pause(s->easy, CURLPAUSE_CONT);
		}
		drive(s, 1000);
	}
	s->up_data = NULL;
	return s->up_len == 0;
}

/* gw_store_finish: end the upload and wait; true on a 2xx answer */
bool
gw_store_finish(GwStore *s, long *status)
{
	s->up_eof = true;
	while (!s->done)
	{
		if (s->up_paused)
		{
			s->up_paused = false;
			curl_easy_pause(s->easy, CURLPAUSE_CONT);
		}
		drive(s, 1000);
	}
	*status = 0;
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, status);
	if (s->result != CURLE_OK)
		gw_log(GW_LOG_WARNING, "object store upload failed: %s",
			   s->errbuf[0] ? s->errbuf : curl_easy_strerror(s->result));
	return s->result == CURLE_OK && *status >= 200 && *status < 300;
}

/* gw_store_etag: the ETag the store answered a finished upload with, or "" */
const char *
gw_store_etag(GwStore *s)
{
	return s->etag;
}

/*
 * gw_store_head: HEAD url; fills *size and etag (128 bytes, unquoted) and
 * returns true on a 2xx answer (false, logged, otherwise).
 */
bool
gw_store_head(const char *url, int64_t *size, char *etag)
{
	CURL	   *easy;
	CURLcode	rc;
	long		status = 0;
	curl_off_t	len = -1;
	char		errbuf[CURL_ERROR_SIZE] = "";

	pthread_once(&share_once, share_init);
	easy = curl_easy_init();
	if (easy == NULL)
		return false;
	etag[0] = '\0';
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_SHARE, share);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, etag_cb);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, etag);
	rc = curl_easy_perform(easy);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	curl_easy_cleanup(easy);
	if (rc != CURLE_OK)
		gw_log(GW_LOG_WARNING, "object store HEAD failed: %s",
			   errbuf[0] ? errbuf : curl_easy_strerror(rc));
	*size = (int64_t) len;
	return rc == CURLE_OK && status >= 200 && status < 300 && len >= 0;
}

void
gw_store_free(GwStore *s)
{
	if (s == NULL)
		return;
	if (s->started)
	{
		pthread_mutex_lock(&s->lock);
		s->cancel = true;
		pthread_cond_broadcast(&s->changed);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->changed);
	}
	if (s->multi && s->easy)
		curl_multi_remove_handle(s->multi, s->easy);
	if (s->easy)
		curl_easy_cleanup(s->easy);
	if (s->multi)
		curl_multi_cleanup(s->multi);
	curl_slist_free_all(s->hdrs);
	free(s->buf);
	free(s);
}

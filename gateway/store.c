/*-------------------------------------------------------------------------
 *
 * store.c
 *		Streaming transfers between the gateway and the object store, on
 *		presigned URLs the database hands out (the gateway holds no store
 *		credentials).
 *
 * Each transfer is one libcurl easy handle driven by its own multi handle
 * from the HTTP side's thread: a download is pulled as the client reads
 * (the write callback buffers at most GW_STORE_BUFFER bytes and pauses the
 * transfer beyond that), an upload is pushed as the client's body arrives
 * (the read callback pauses when it has nothing). Memory per transfer is
 * bounded whatever the object's size. Connections to the store are shared
 * between transfers through a curl share handle (keep-alive).
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	/* download */
	char	   *buf;
	size_t		len;
	size_t		off;
	bool		paused;
	bool		got_data;
	/* upload */
	const char *up_data;
	size_t		up_len;
	bool		up_eof;
	bool		up_paused;
	char		errbuf[CURL_ERROR_SIZE];
};

static CURLSH *share;
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

static void
share_init(void)
{
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_locks[i], NULL);
	share = curl_share_init();
	curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	GwStore    *s = arg;
	size_t		n = size * nmemb;

	if (s->off > 0)
	{
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->len + n > GW_STORE_BUFFER)
	{
		s->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	memcpy(s->buf + s->len, ptr, n);
	s->len += n;
	s->got_data = true;
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
	if (offset > 0 || length >= 0)
	{
		if (length >= 0)
			snprintf(range, sizeof(range), "%lld-%lld", (long long) offset,
					 (long long) (offset + length - 1));
		else
			snprintf(range, sizeof(range), "%lld-", (long long) offset);
		curl_easy_setopt(s->easy, CURLOPT_RANGE, range);
	}
	curl_easy_setopt(s->easy, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
	curl_multi_add_handle(s->multi, s->easy);
	return s;
}

/*
 * gw_store_wait_headers: run until the first body bytes (or the end) and
 * give the HTTP status; false when the transfer failed outright.
 */
bool
gw_store_wait_headers(GwStore *s, long *status)
{
	while (!s->done && !s->got_data)
		drive(s, 1000);
	*status = 0;
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, status);
	if (s->done && s->result != CURLE_OK)
	{
		gw_log(GW_LOG_WARNING, "object store transfer failed: %s",
			   s->errbuf[0] ? s->errbuf : curl_easy_strerror(s->result));
		return false;
	}
	return true;
}

/* gw_store_read: up to max bytes; 0 at the end, -1 on a failed transfer */
ssize_t
gw_store_read(GwStore *s, char *buf, size_t max)
{
	for (;;)
	{
		if (s->len > s->off)
		{
			size_t		n = s->len - s->off;

			if (n > max)
				n = max;
			memcpy(buf, s->buf + s->off, n);
			s->off += n;
			return (ssize_t) n;
		}
		if (s->done)
			return s->result == CURLE_OK ? 0 : -1;
		if (s->paused)
		{
			s->paused = false;
			curl_easy_pause(s->easy, CURLPAUSE_CONT);
			continue;
		}
		drive(s, 1000);
	}
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

void
gw_store_free(GwStore *s)
{
	if (s == NULL)
		return;
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

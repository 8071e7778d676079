/*-------------------------------------------------------------------------
 *
 * keycache.c
 *		pg_lakefs_gateway: the short-lived cache of derived SigV4 signing
 *		keys, and its invalidation by the database.
 *
 * lakefs_verify_signature answers a good signature with the key's role
 * and the day-scoped signing key (HMAC chain of the secret over date,
 * region and service: what AWS itself hands its services; it does not
 * reveal the secret and is valid for that one day, region and service).
 * The gateway keeps that answer for --key-cache seconds (default 60), so
 * that the next requests of the same key and scope are checked here with
 * one HMAC instead of a database round trip. The secret never leaves the
 * database.
 *
 * Invariants:
 * - only a signature that matches a cached key is accepted from the cache;
 *   anything else (no entry, expired, mismatch) asks the database;
 * - the cache is used only while a dedicated connection LISTENs on the
 *   channel lakefs_access_keys, on which lakefs_delete_access_key notifies
 *   the key id at commit: the notification drops the key's entries; a lost
 *   listener connection empties the cache and turns it off until it is
 *   back;
 * - a database answer is cached only if no notification arrived while it
 *   was asked (a generation counter), so a key deleted during its own
 *   verification is not cached again.
 *
 * Locking: one mutex over the table; entries are copied out under it.
 *
 *-------------------------------------------------------------------------
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw.h"

#define KEY_CACHE_SLOTS 1024

typedef struct KeyCacheEntry
{
	bool		used;
	double		expires;		/* gw_now() seconds */
	char		akid[128];
	char		scope[128];		/* date/region/service */
	char		role[128];
	unsigned char key[32];
} KeyCacheEntry;

static KeyCacheEntry slots[KEY_CACHE_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool live;				/* the listener is connected and listening */
static uint64_t generation;		/* bumped by every invalidation */
static volatile bool stopping;
static pthread_t listener;
static bool listener_started;

/* FNV-1a of the key id and scope: the entry's slot */
static unsigned
slot_of(const char *akid, const char *scope)
{
	uint32_t	h = 2166136261u;

	for (const char *p = akid; *p; p++)
		h = (h ^ (unsigned char) *p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (const char *p = scope; *p; p++)
		h = (h ^ (unsigned char) *p) * 16777619u;
	return h % KEY_CACHE_SLOTS;
}

/* drop every entry of akid (all entries when akid is NULL); lock held */
static void
drop_locked(const char *akid)
{
	for (int i = 0; i < KEY_CACHE_SLOTS; i++)
		if (slots[i].used && (akid == NULL || strcmp(slots[i].akid, akid) == 0))
		{
			memset(&slots[i], 0, sizeof(slots[i]));
		}
	generation++;
}

/*
 * gw_key_cache_get: the cached role and signing key of akid for scope
 * ("date/region/service"), if there is a live, unexpired entry; copies
 * them out. *gen receives the generation to hand to gw_key_cache_put.
 */
bool
gw_key_cache_get(const char *akid, const char *scope, char role[128],
				 unsigned char key[32], uint64_t *gen)
{
	KeyCacheEntry *e;
	bool		found = false;

	if (gw_config.key_cache_seconds <= 0)
		return false;
	pthread_mutex_lock(&lock);
	*gen = generation;
	e = &slots[slot_of(akid, scope)];
	if (live && e->used && e->expires > gw_now() &&
		strcmp(e->akid, akid) == 0 && strcmp(e->scope, scope) == 0)
	{
		memcpy(role, e->role, 128);
		memcpy(key, e->key, 32);
		found = true;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

/*
 * gw_key_cache_put: remember a database-verified (akid, scope) -> (role,
 * signing key), unless an invalidation came after gen was read.
 */
void
gw_key_cache_put(const char *akid, const char *scope, const char *role,
				 const unsigned char key[32], uint64_t gen)
{
	KeyCacheEntry *e;

	if (gw_config.key_cache_seconds <= 0 || strlen(akid) >= 128 || strlen(scope) >= 128 ||
		strlen(role) >= 128)
		return;
	pthread_mutex_lock(&lock);
	if (live && gen == generation)
	{
		e = &slots[slot_of(akid, scope)];
		e->used = true;
		e->expires = gw_now() + gw_config.key_cache_seconds;
		snprintf(e->akid, sizeof(e->akid), "%s", akid);
		snprintf(e->scope, sizeof(e->scope), "%s", scope);
		snprintf(e->role, sizeof(e->role), "%s", role);
		memcpy(e->key, key, 32);
	}
	pthread_mutex_unlock(&lock);
}

static void
set_live(bool on)
{
	pthread_mutex_lock(&lock);
	drop_locked(NULL);
	live = on;
	pthread_mutex_unlock(&lock);
}

/* the listener: LISTEN, then drop the entries of every notified key */
static void *
listen_loop(void *arg)
{
	const char *dsn = arg;

	while (!stopping)
	{
		PGconn	   *c = PQconnectdb(dsn);
		PGresult   *res = NULL;

		if (PQstatus(c) == CONNECTION_OK)
			res = PQexec(c, "LISTEN lakefs_access_keys");
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			gw_log(GW_LOG_WARNING, "signing-key cache off: cannot LISTEN: %s",
				   PQerrorMessage(c));
			PQclear(res);
			PQfinish(c);
			for (int i = 0; i < 10 && !stopping; i++)
				usleep(100 * 1000);
			continue;
		}
		PQclear(res);
		set_live(true);
		gw_log(GW_LOG_DEBUG, "signing-key cache on (LISTEN lakefs_access_keys)");
		while (!stopping)
		{
			struct pollfd pfd = {PQsocket(c), POLLIN, 0};
			PGnotify   *n;

			if (poll(&pfd, 1, 200) < 0 && !stopping)
				continue;
			if (!PQconsumeInput(c))
				break;
			while ((n = PQnotifies(c)) != NULL)
			{
				pthread_mutex_lock(&lock);
				drop_locked(n->extra && n->extra[0] ? n->extra : NULL);
				pthread_mutex_unlock(&lock);
				gw_log(GW_LOG_DEBUG, "signing-key cache: key %s dropped", n->extra);
				PQfreemem(n);
			}
		}
		set_live(false);
		if (!stopping)
			gw_log(GW_LOG_WARNING, "signing-key cache off: the LISTEN connection broke: %s",
				   PQerrorMessage(c));
		PQfinish(c);
	}
	return NULL;
}

/* gw_key_cache_start: start the listener (nothing when the cache is off) */
void
gw_key_cache_start(const char *dsn)
{
	if (gw_config.key_cache_seconds <= 0)
		return;
	listener_started = pthread_create(&listener, NULL, listen_loop, (void *) dsn) == 0;
	if (!listener_started)
		gw_log(GW_LOG_WARNING, "signing-key cache off: no listener thread");
}

/* gw_key_cache_stop: stop the listener and empty the cache */
void
gw_key_cache_stop(void)
{
	stopping = true;
	if (listener_started)
		pthread_join(listener, NULL);
	listener_started = false;
	set_live(false);
}

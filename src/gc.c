/*-------------------------------------------------------------------------
 *
 * gc.c
 *		Garbage collection of a repository's objects, as lakeFS's GC: the
 *		mark, the sweep, the read-side hint for collected objects, and the
 *		purge of a deleted repository's namespace.
 *
 * Active commits (lakeFS's rules). From every branch head walk the
 * first-parent history: the commits younger than the branch's retention
 * (its entry in the rules' branches object, else the default), plus the
 * first one older, are active; every branch head and every tagged commit is
 * always active.
 *
 * The mark. The distinct metaranges of the active commits are decoded once
 * each into a hash set of distinct range ids (32 bytes a range: memory grows
 * with the ranges, never with the entries). Every stored range of the
 * repository is then read and decoded exactly once: the relative addresses
 * of an active range go to the live set, those of any other range to the
 * dead set; the staged entries of every branch go to the live set. Both sets
 * are temporary tables (gc_catalog.c), so the candidates, dead minus live,
 * are one anti-join that spills to disk beyond work_mem. Uncommitted garbage
 * comes from listing <namespace>/data/: objects older than pg_lakefs.gc_grace
 * that are not live. Only relative addresses (objects the repository wrote
 * under its own namespace) can become candidates: imported objects (full
 * addresses) never are.
 *
 * Order against concurrent writers. Staging is read before the branch heads:
 * an entry committed in between is in a head read afterwards, one committed
 * after was in staging when read. Ranges written after the range list was
 * read are not considered at all. As in lakeFS, an object of a commit that
 * is outside retention and is made reachable again during the run (a branch
 * created at that old commit id) can be collected.
 *
 * The sweep. Unswept candidates are deleted 1,000 keys per DeleteObjects
 * request, and each batch is recorded as swept (lakefs.gc_candidates
 * .swept_at) in the same transaction: an error or a cancel rolls the record
 * back with everything else, so nothing is ever recorded as swept that was
 * not; the rerun deletes again (deleting a missing key succeeds) and then
 * records. A run holds the repository's GC lock (an advisory transaction
 * lock), so two runs on one repository never overlap; writers never take it.
 *
 * The catalog. After the sweep, the same run deletes the commits that no
 * branch or tag reaches and that are older than the default retention (and
 * are no ancestor of a younger one), the metaranges no commit names and the
 * ranges and index nodes no remaining metarange reaches, under the repository's catalog lock
 * (gc_catalog.c) so that a writer reusing a range by id never loses it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "blockstore.h"
#include "catalog.h"
#include "gc.h"
#include "manifest.h"
#include "objects.h"
#include "refs.h"
#include "staging.h"

#define GC_BATCH 5000			/* addresses per INSERT into a working set */
#define GC_DELETE_BATCH 1000	/* keys per DeleteObjects request */
#define GC_MAX_RETENTION_DAYS (1000.0 * 365)

int			lakefs_gc_grace_minutes = 360;

/* gc_init: define pg_lakefs.gc_grace (minutes; accepts units, e.g. '6h') */
void
gc_init(void)
{
	DefineCustomIntVariable("pg_lakefs.gc_grace",
							"Age below which an object no commit ever referenced is not collected.",
							"Protects uploads that are not yet staged or committed.",
							&lakefs_gc_grace_minutes, 360, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MIN, NULL, NULL, NULL);
}

/*
 * gc_check_retention: a retention must be positive and at most 1,000 years;
 * 22023 naming what otherwise.
 */
void
gc_check_retention(Interval *iv, const char *what)
{
	double		days = (double) iv->time / USECS_PER_DAY + iv->day +
		(double) iv->month * DAYS_PER_MONTH;

	if (days <= 0 || days > GC_MAX_RETENTION_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive interval of at most 1000 years", what),
				 errhint("For example: '21 days'.")));
}

/* a buffer of addresses flushed into a working set */
typedef struct AddrBatch
{
	MemoryContext cxt;
	char	   *addr[GC_BATCH];
	int64		size[GC_BATCH];
	int			n;
	void		(*flush) (char **addresses, int64 *sizes, int n);
} AddrBatch;

static void
flush_live(char **addresses, int64 *sizes, int n)
{
	gc_catalog_add_live(addresses, n);
}

/* flush the batch; what the flush allocates dies with the batch's memory */
static void
batch_flush(AddrBatch *b)
{
	MemoryContext old = MemoryContextSwitchTo(b->cxt);

	if (b->n > 0)
		b->flush(b->addr, b->size, b->n);
	MemoryContextSwitchTo(old);
	b->n = 0;
	MemoryContextReset(b->cxt);
}

static void
batch_add(AddrBatch *b, const char *addr, uint32 len, int64 size)
{
	char	   *copy = MemoryContextAlloc(b->cxt, len + 1);

	memcpy(copy, addr, len);
	copy[len] = '\0';
	b->addr[b->n] = copy;
	b->size[b->n] = size;
	if (++b->n == GC_BATCH)
		batch_flush(b);
}

static AddrBatch *
batch_new(void (*flush) (char **, int64 *, int))
{
	AddrBatch  *b = palloc0(sizeof(AddrBatch));

	b->cxt = AllocSetContextCreate(CurrentMemoryContext, "lakefs gc batch",
								   ALLOCSET_DEFAULT_SIZES);
	b->flush = flush;
	return b;
}

/*
 * owned: whether a relative address names an object under the namespace
 * that GC may delete: not empty, no scheme, no leading slash, no "." or ".."
 * segment.
 */
static bool
owned(const char *a, uint32 len)
{
	const char *p = a;
	const char *end = a + len;

	if (len == 0 || a[0] == '/' || memchr(a, '\0', len) != NULL)
		return false;
	while (p < end)
	{
		const char *slash = memchr(p, '/', end - p);
		size_t		seg = (slash ? slash : end) - p;

		if ((seg == 1 && p[0] == '.') || (seg == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (seg > 0 && p[seg - 1] == ':' && slash && slash + 1 < end && slash[1] == '/')
			return false;
		p += seg + 1;
	}
	return true;
}

/* the namespace without trailing slashes */
static char *
namespace_base(LkRepo *repo)
{
	char	   *ns = pstrdup(repo->storage_namespace);
	size_t		n = strlen(ns);

	while (n > 0 && ns[n - 1] == '/')
		ns[--n] = '\0';
	return ns;
}

/*
 * add_entry_live: the address of an entry as the live set holds it:
 * relative addresses as they are, full ones only when inside the namespace
 * (then relative), so the listing of data/ subtracts them too.
 */
static void
add_entry_live(AddrBatch *live, const char *nsbase, const LakefsEntry *e)
{
	if (!(e->flags & LK_ENTRY_FULL_ADDRESS))
		batch_add(live, e->address, e->address_len, e->size);
	else
	{
		size_t		nl = strlen(nsbase);

		if (e->address_len > nl + 1 && strncmp(e->address, nsbase, nl) == 0 &&
			e->address[nl] == '/')
			batch_add(live, e->address + nl + 1, e->address_len - nl - 1, e->size);
	}
}

/* the retention of a branch: its override in the rules, else the default */
static Interval *
branch_retention(Jsonb *branches, const char *name, Interval *dflt)
{
	JsonbValue *v = getKeyJsonValueFromContainer(&branches->root, name, strlen(name),
												 NULL);

	if (v == NULL || v->type != jbvString)
		return dflt;
	return DatumGetIntervalP(DirectFunctionCall3(interval_in,
												 CStringGetDatum(pnstrdup(v->val.string.val,
																		  v->val.string.len)),
												 ObjectIdGetDatum(InvalidOid),
												 Int32GetDatum(-1)));
}

typedef struct CommitKey
{
	LkCommitId	id;
} CommitKey;

typedef struct IdKey
{
	uint8		id[LK_ID_LEN];
} IdKey;

static HTAB *
id_set(const char *name, Size keysize)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = keysize;
	ctl.entrysize = keysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* add one commit as active: its metarange into metaranges */
static void
add_active(LkRepo *repo, const char *id, HTAB *commits, HTAB *metaranges, GcStats *st,
		   LkCommit **out)
{
	CommitKey	key;
	bool		found;
	LkCommit   *c = refs_get_commit(repo, id);

	memset(&key, 0, sizeof(key));
	strlcpy(key.id, id, sizeof(key.id));
	hash_search(commits, &key, HASH_ENTER, &found);
	if (!found)
	{
		st->active_commits++;
		hash_search(metaranges, c->metarange_id, HASH_ENTER, NULL);
	}
	*out = c;
}

/*
 * mark_active_metaranges: the metaranges of every active commit (lakeFS's
 * rules, see the header) into a set of metarange ids.
 */
static HTAB *
mark_active_metaranges(LkRepo *repo, char **names, LkCommitId *heads, int nbranches,
					   Interval *dflt, Jsonb *rules, GcStats *st)
{
	HTAB	   *commits = id_set("lakefs gc commits", sizeof(CommitKey));
	HTAB	   *metaranges = id_set("lakefs gc metaranges", sizeof(IdKey));
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	LkCommitId *tagged;
	int			ntags = gc_catalog_tagged(repo->id, &tagged);
	LkCommit   *c;

	for (int b = 0; b < nbranches; b++)
	{
		Interval   *ret = branch_retention(rules, names[b], dflt);
		TimestampTz cutoff = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
																	 TimestampTzGetDatum(now),
																	 IntervalPGetDatum(ret)));
		const char *id = heads[b];

		for (;;)
		{
			CHECK_FOR_INTERRUPTS();
			add_active(repo, id, commits, metaranges, st, &c);
			/* the first commit older than the retention is the last active */
			if (c->created_at < cutoff || c->nparents == 0)
				break;
			id = c->parents[0];
		}
	}
	for (int t = 0; t < ntags; t++)
		add_active(repo, tagged[t], commits, metaranges, st, &c);
	hash_destroy(commits);
	return metaranges;
}

/* the set of range ids the given metaranges use, each metarange decoded once */
static HTAB *
active_ranges(LkRepo *repo, HTAB *metaranges)
{
	HTAB	   *ranges = id_set("lakefs gc ranges", sizeof(IdKey));
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "lakefs gc metarange",
											  ALLOCSET_DEFAULT_SIZES);
	HASH_SEQ_STATUS seq;
	IdKey	   *m;

	hash_seq_init(&seq, metaranges);
	while ((m = hash_seq_search(&seq)) != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(tmp);
		TreeReader *t = tree_open(repo->id, m->id);

		for (uint32 i = 0; i < t->n; i++)
			hash_search(ranges, tree_desc(t, i)->id, HASH_ENTER, NULL);
		MemoryContextSwitchTo(old);
		MemoryContextReset(tmp);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(tmp);
	return ranges;
}

/* decode one range, its addresses to live (active) or dead (owned ones only) */
static void
read_range(LkRepo *repo, const uint8 *id, bool active, const char *nsbase,
		   AddrBatch *live, AddrBatch *dead, MemoryContext tmp)
{
	MemoryContext old = MemoryContextSwitchTo(tmp);
	bytea	   *data = catalog_get_range(repo->id, id);
	RangeReader r;
	LakefsEntry e;
	int			rc;

	MemoryContextSwitchTo(old);
	if (data == NULL)
		lakefs_codec_error(LK_CODEC_TRUNCATED, "missing range", id);
	tree_range_reader(data, &r);
	while ((rc = range_reader_next(&r, &e)) == LK_CODEC_OK)
	{
		if (active)
			add_entry_live(live, nsbase, &e);
		else if (!(e.flags & LK_ENTRY_FULL_ADDRESS) && owned(e.address, e.address_len))
			batch_add(dead, e.address, e.address_len, e.size);
	}
	if (rc != LK_CODEC_END)
		lakefs_codec_error(rc, "range", id);
	MemoryContextReset(tmp);
}

/* the staged entries of every branch into live */
static void
mark_staged(LkRepo *repo, char **names, int nbranches, const char *nsbase, AddrBatch *live)
{
	for (int b = 0; b < nbranches; b++)
	{
		StagingCursor *cur = staging_cursor_open(repo->id, names[b], NULL);
		const LkStagedEntry *s;

		while ((s = staging_cursor_next(cur)) != NULL)
			if (!s->tombstone)
				add_entry_live(live, nsbase, &s->entry);
		staging_cursor_close(cur);
	}
}

static void
flush_dead(char **addresses, int64 *sizes, int n)
{
	gc_catalog_add_dead(addresses, sizes, n);
}

static void
flush_listed(char **addresses, int64 *sizes, int n)
{
	gc_catalog_add_listed(addresses, sizes, n);
}

/*
 * mark_uncommitted: the objects under <namespace>/data/ older than the grace
 * period into the listed set (relative addresses), one page at a time.
 */
static void
mark_uncommitted(LkRepo *repo, Oid server, const char *nsbase)
{
	BlockstoreAddress nsaddr;
	BlockstoreLister *l;
	BlockstoreEntry *entries;
	AddrBatch  *listed = batch_new(flush_listed);
	TimestampTz cutoff = GetCurrentTransactionStartTimestamp() -
		(TimestampTz) lakefs_gc_grace_minutes * USECS_PER_MINUTE;
	size_t		klen;
	int			n;

	blockstore_parse_address(nsbase, &nsaddr);
	klen = strlen(nsaddr.key);
	l = blockstore_list_begin(server, blockstore_join(nsbase, "data/"), NULL, 0);
	while ((n = blockstore_list_next(l, &entries)) > 0)
	{
		for (int i = 0; i < n; i++)
		{
			const char *rel = entries[i].key + klen + (klen > 0 ? 1 : 0);

			if (entries[i].is_prefix || !entries[i].have_last_modified ||
				entries[i].last_modified >= cutoff ||
				strlen(entries[i].key) <= klen ||
				strncmp(entries[i].key, nsaddr.key, klen) != 0 ||
				!owned(rel, strlen(rel)))
				continue;
			batch_add(listed, rel, strlen(rel), entries[i].size);
		}
		CHECK_FOR_INTERRUPTS();
	}
	blockstore_list_end(l);
	batch_flush(listed);
}

/* the mark: the repository's candidates into lakefs.gc_candidates */
static void
gc_mark(LkRepo *repo, Oid server, Interval *dflt, Jsonb *rules, GcStats *st)
{
	char	   *nsbase = namespace_base(repo);
	char	  **names;
	LkCommitId *heads;
	int			nbranches;
	uint8	   *ids;
	int			nranges;
	HTAB	   *metaranges;
	HTAB	   *ranges;
	AddrBatch  *live = batch_new(flush_live);
	AddrBatch  *dead = batch_new(flush_dead);
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "lakefs gc range",
											  ALLOCSET_DEFAULT_SIZES);

	gc_catalog_begin_mark();
	/* the order matters (see the header): ranges, staging, then the heads */
	nranges = gc_catalog_range_ids(repo->id, &ids);
	nbranches = catalog_list_branches(repo->id, NULL, &names, &heads);
	mark_staged(repo, names, nbranches, nsbase, live);
	nbranches = catalog_list_branches(repo->id, NULL, &names, &heads);
	metaranges = mark_active_metaranges(repo, names, heads, nbranches, dflt, rules, st);
	ranges = active_ranges(repo, metaranges);
	for (int i = 0; i < nranges; i++)
	{
		const uint8 *id = ids + (Size) i * LK_ID_LEN;
		bool		active = hash_search(ranges, id, HASH_FIND, NULL) != NULL;

		read_range(repo, id, active, nsbase, live, dead, tmp);
		st->ranges_read++;
		CHECK_FOR_INTERRUPTS();
	}
	batch_flush(live);
	batch_flush(dead);
	mark_uncommitted(repo, server, nsbase);
	gc_catalog_finish_mark(repo->id, st);
	MemoryContextDelete(tmp);
}

/* the sweep: delete every unswept candidate, recording each batch */
static void
gc_sweep(LkRepo *repo, Oid server, GcStats *st)
{
	char	   *nsbase = namespace_base(repo);
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "lakefs gc sweep",
											  ALLOCSET_DEFAULT_SIZES);
	char	   *after = pstrdup("");

	for (;;)
	{
		MemoryContext old = MemoryContextSwitchTo(tmp);
		char	  **addrs;
		char	  **full;
		int			n = gc_catalog_unswept(repo->id, after, GC_DELETE_BATCH, &addrs);

		if (n == 0)
		{
			MemoryContextSwitchTo(old);
			break;
		}
		full = palloc(sizeof(char *) * n);
		for (int i = 0; i < n; i++)
			full[i] = blockstore_join(nsbase, addrs[i]);
		blockstore_delete_many(server, full, n);
		gc_catalog_mark_swept(repo->id, addrs, n);
		st->deleted += n;
		MemoryContextSwitchTo(old);
		pfree(after);
		after = pstrdup(addrs[n - 1]);
		MemoryContextReset(tmp);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(tmp);
}

/* tree_index_node_ids callback: an index node id into the kept set */
static void
keep_node(void *arg, const uint8 *id)
{
	hash_search((HTAB *) arg, id, HASH_ENTER, NULL);
}

/*
 * gc_collect_catalog: the final bookkeeping, under the exclusive catalog lock
 * (see gc_catalog.c): delete the commits no branch or tag reaches that are
 * older than the default retention, the metaranges no commit names, and the
 * ranges and index nodes no remaining metarange reaches (each metarange's
 * tree read once).
 */
static void
gc_collect_catalog(LkRepo *repo, Interval *dflt)
{
	TimestampTz cutoff = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
																 TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
																 IntervalPGetDatum(dflt)));
	int64		ncommits;
	int64		nmetaranges;
	uint8	   *mids;
	uint8	   *rids;
	uint8	   *drop;
	int			nm;
	int			nr;
	int			ndrop = 0;
	HTAB	   *kept = id_set("lakefs gc kept ranges", sizeof(IdKey));
	HTAB	   *kept_nodes = id_set("lakefs gc kept index nodes", sizeof(IdKey));
	int			ndrop_nodes;
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "lakefs gc metarange",
											  ALLOCSET_DEFAULT_SIZES);

	gc_catalog_lock_writers(repo->id);
	gc_catalog_delete_commits(repo->id, cutoff, &ncommits, &nmetaranges);
	nm = gc_catalog_metarange_ids(repo->id, &mids);
	for (int i = 0; i < nm; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(tmp);
		TreeReader *t = tree_open(repo->id, mids + (Size) i * LK_ID_LEN);

		for (uint32 j = 0; j < t->n; j++)
			hash_search(kept, tree_desc(t, j)->id, HASH_ENTER, NULL);
		tree_index_node_ids(t, keep_node, kept_nodes);
		MemoryContextSwitchTo(old);
		MemoryContextReset(tmp);
		CHECK_FOR_INTERRUPTS();
	}
	nr = gc_catalog_range_ids(repo->id, &rids);
	drop = palloc((Size) LK_ID_LEN * Max(nr, 1));
	for (int i = 0; i < nr; i++)
		if (hash_search(kept, rids + (Size) i * LK_ID_LEN, HASH_FIND, NULL) == NULL)
			memcpy(drop + (Size) ndrop++ * LK_ID_LEN, rids + (Size) i * LK_ID_LEN, LK_ID_LEN);
	for (int i = 0; i < ndrop; i += GC_DELETE_BATCH)
		gc_catalog_delete_ranges(repo->id, drop + (Size) i * LK_ID_LEN,
								 Min(GC_DELETE_BATCH, ndrop - i));
	/* the index nodes no remaining metarange reaches, likewise */
	nr = gc_catalog_index_node_ids(repo->id, &rids);
	drop = palloc((Size) LK_ID_LEN * Max(nr, 1));
	ndrop_nodes = 0;
	for (int i = 0; i < nr; i++)
		if (hash_search(kept_nodes, rids + (Size) i * LK_ID_LEN, HASH_FIND, NULL) == NULL)
			memcpy(drop + (Size) ndrop_nodes++ * LK_ID_LEN, rids + (Size) i * LK_ID_LEN,
				   LK_ID_LEN);
	for (int i = 0; i < ndrop_nodes; i += GC_DELETE_BATCH)
		gc_catalog_delete_index_nodes(repo->id, drop + (Size) i * LK_ID_LEN,
									  Min(GC_DELETE_BATCH, ndrop_nodes - i));
	ereport(DEBUG1,
			(errmsg_internal("lakefs_gc: deleted %lld commits, %lld metaranges, %d ranges, "
							 "%d index nodes", (long long) ncommits,
							 (long long) nmetaranges, ndrop, ndrop_nodes)));
	MemoryContextDelete(tmp);
}

/*
 * gc_run: one garbage collection of the repository (see the header); the
 * figures into st. Throws 55P03 when another run holds the repository,
 * 55000 when it has no rules (or no object store), and whatever the
 * blockstore throws (the transaction then records nothing).
 */
void
gc_run(LkRepo *repo, bool dry_run, GcStats *st)
{
	Interval	dflt;
	Jsonb	   *rules;
	Oid			server;

	memset(st, 0, sizeof(*st));
	if (!gc_catalog_try_lock(repo->id))
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("garbage collection of repository \"%s\" is already running",
						repo->name),
				 errhint("Wait for the other lakefs_gc() call to finish.")));
	if (!gc_catalog_get_rules(repo->id, &dflt, &rules))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("repository \"%s\" has no garbage collection rules", repo->name),
				 errhint("Set them with lakefs_set_gc_rules('%s', '21 days').", repo->name)));
	server = repo_server(repo);
	gc_mark(repo, server, &dflt, rules, st);
	if (!dry_run)
	{
		gc_sweep(repo, server, st);
		gc_collect_catalog(repo, &dflt);
	}
}

/*
 * gc_check_collected: for the entry of path about to be read, 42704 with a
 * hint when garbage collection deleted its object (and when); returns
 * otherwise. Runs a catalog lookup: e's strings may not survive it.
 */
void
gc_check_collected(LkRepo *repo, const char *path, const LakefsEntry *e)
{
	TimestampTz at;
	char	   *rel;

	if (e->flags & LK_ENTRY_FULL_ADDRESS)
		return;
	/* e's strings may live in memory the lookup below reuses: copy first */
	rel = pnstrdup(e->address, e->address_len);
	if (gc_catalog_swept_at(repo->id, rel, &at))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("object \"%s\" was garbage-collected", path),
				 errdetail("lakefs_gc() deleted its physical address \"%s\" at %s.",
						   rel, timestamptz_to_str(at)),
				 errhint("The commit is outside the repository's retention (see lakefs_gc_rules); "
						 "read the path at a retained commit.")));
}

/*
 * gc_purge_namespace: delete every object under the repository's namespace
 * (nothing outside it), 1,000 keys a request, one listing page at a time.
 */
void
gc_purge_namespace(LkRepo *repo)
{
	Oid			server = repo_server(repo);
	char	   *nsbase = namespace_base(repo);
	BlockstoreAddress nsaddr;
	BlockstoreLister *l;
	BlockstoreEntry *entries;
	int			n;
	char	   *prefix = psprintf("%s/", nsbase);

	blockstore_parse_address(nsbase, &nsaddr);
	l = blockstore_list_begin(server, prefix, NULL, GC_DELETE_BATCH);
	while ((n = blockstore_list_next(l, &entries)) > 0)
	{
		char	  **full = palloc(sizeof(char *) * n);
		int			k = 0;

		for (int i = 0; i < n; i++)
			if (!entries[i].is_prefix)
				full[k++] = nsaddr.kind == BLOCKSTORE_S3 ?
					psprintf("s3://%s/%s", nsaddr.bucket, entries[i].key) :
					psprintf("local://%s", entries[i].key);
		if (k > 0)
			blockstore_delete_many(server, full, k);
		CHECK_FOR_INTERRUPTS();
	}
	blockstore_list_end(l);
}

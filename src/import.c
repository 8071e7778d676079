/*-------------------------------------------------------------------------
 *
 * import.c
 *		Zero-copy import: listings of object-store prefixes streamed
 *		straight into a commit.
 *
 * Each source s3://bucket/prefix (or local://prefix) maps to a destination
 * region: the key relative to the source prefix's last '/', under the
 * destination (s3://sample-data/dogs/Images + "raw/" -> "raw/Images/...").
 * Existing entries in that region are replaced. The listing arrives in key
 * order, page by page; a ChangeSource merges it with tombstones for the
 * region's old entries that the listing no longer has, and
 * tree_apply_changes writes the commit's ranges in the same pass. No object
 * is read or copied: entries keep the listed full addresses, sizes, ETags
 * and modification times. Memory: one listing page and one range at a time.
 *
 * The whole import is one transaction: cancelled or failed, it leaves
 * nothing in the catalog.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "api_args.h"
#include "blockstore.h"
#include "commit.h"
#include "listing.h"
#include "manifest.h"
#include "names.h"
#include "objects.h"
#include "pg_lakefs.h"
#include "refs.h"
#include "staging.h"

PG_FUNCTION_INFO_V1(lakefs_import);

int			lakefs_import_progress_interval = 100000;

typedef struct ImportSource
{
	char	   *uri;			/* as given */
	char	   *scheme_bucket;	/* "s3://bucket/" or "local://" */
	char	   *region;			/* destination prefix of its objects */
	size_t		strip;			/* bytes of the listed key to drop */
} ImportSource;

typedef struct ImportState
{
	LkRepo	   *repo;
	Oid			serverid;
	const char *destination;
	ImportSource *sources;
	int			nsources;
	int			cur;			/* source being listed */
	BlockstoreLister *lister;
	BlockstoreEntry *page;
	int			npage;
	int			pos;
	bool		have_listed;
	LakefsEntry listed;
	StrBuf		path;			/* listed entry's destination path */
	StrBuf		address;
	TreeIter	old;			/* the base tree, inside the regions */
	int			old_region;		/* region being walked, -1 before the first */
	bool		old_active;
	bool		have_old;
	LakefsEntry old_e;
	bool		advance_listed; /* lazily, so returned strings stay valid */
	bool		advance_old;
	int64		imported;
	instr_time	start;
} ImportState;

static int
cmp_sources(const void *a, const void *b)
{
	return strcmp(((const ImportSource *) a)->region, ((const ImportSource *) b)->region);
}

/* parse and map the sources; refuse overlaps and the repository's namespace */
static void
import_plan(ImportState *st, ArrayType *arr, const char *destination)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	size_t		nslen = strlen(st->repo->storage_namespace);

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no import sources given"),
				 errhint("For example: ARRAY['s3://sample-data/dogs/Images'].")));
	st->sources = palloc0(sizeof(ImportSource) * n);
	st->nsources = n;
	for (int i = 0; i < n; i++)
	{
		ImportSource *s = &st->sources[i];
		BlockstoreAddress addr;
		const char *slash;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("import sources must not be null")));
		s->uri = TextDatumGetCString(elems[i]);
		blockstore_parse_address(s->uri, &addr);
		if (strncmp(s->uri, st->repo->storage_namespace, nslen) == 0 &&
			(s->uri[nslen] == '\0' || s->uri[nslen] == '/' ||
			 st->repo->storage_namespace[nslen - 1] == '/'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot import \"%s\" from inside the repository's storage namespace",
							s->uri),
					 errdetail("The storage namespace of \"%s\" is \"%s\".",
							   st->repo->name, st->repo->storage_namespace)));
		s->scheme_bucket = addr.kind == BLOCKSTORE_S3 ?
			psprintf("s3://%s/", addr.bucket) : pstrdup("local://");
		slash = strrchr(addr.key, '/');
		s->strip = slash ? (size_t) (slash - addr.key + 1) : 0;
		s->region = psprintf("%s%s", destination, addr.key + s->strip);
		if (s->region[0] != '\0')
			check_path(s->region);
	}
	qsort(st->sources, n, sizeof(ImportSource), cmp_sources);
	for (int i = 1; i < n; i++)
		if (strncmp(st->sources[i].region, st->sources[i - 1].region,
					strlen(st->sources[i - 1].region)) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("import sources \"%s\" and \"%s\" overlap at \"%s\"",
							st->sources[i - 1].uri, st->sources[i].uri,
							st->sources[i - 1].region),
					 errhint("Import them with different destinations.")));
}

static void
report_progress(ImportState *st, bool final)
{
	instr_time	now;
	double		secs;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, st->start);
	secs = INSTR_TIME_GET_DOUBLE(now);
	ereport(final ? DEBUG1 : NOTICE,
			(errmsg("imported " INT64_FORMAT " objects in %.1f s (%.0f objects/s)",
					st->imported, secs, secs > 0 ? st->imported / secs : 0.0)));
}

/* advance the listing to its next object (across pages and sources) */
static void
next_listed(ImportState *st)
{
	for (;;)
	{
		if (st->lister != NULL && st->pos < st->npage)
		{
			const BlockstoreEntry *b = &st->page[st->pos++];
			const ImportSource *s = &st->sources[st->cur];
			LakefsEntry *e = &st->listed;

			if (b->is_prefix || strlen(b->key) < s->strip)
				continue;
			/* the key past the source prefix's last '/', under the destination */
			sb_reset(&st->path);
			sb_appends(&st->path, st->destination);
			sb_appends(&st->path, b->key + s->strip);
			sb_reset(&st->address);
			sb_appendf(&st->address, "%s%s", s->scheme_bucket, b->key);
			memset(e, 0, sizeof(*e));
			e->path = st->path.data;
			e->path_len = st->path.len;
			e->flags = LK_ENTRY_FULL_ADDRESS;
			e->address = st->address.data;
			e->address_len = st->address.len;
			e->size = b->size;
			e->checksum = b->etag ? b->etag : "";
			e->checksum_len = strlen(e->checksum);
			e->mtime = b->have_last_modified ? b->last_modified : 0;
			e->content_type = "";
			e->metadata = "";
			if (st->path.len > LK_MAX_PATH_BYTES)
				check_path(st->path.data);
			st->have_listed = true;
			if (++st->imported % lakefs_import_progress_interval == 0)
				report_progress(st, false);
			return;
		}
		if (st->lister != NULL)
		{
			st->npage = blockstore_list_next(st->lister, &st->page);
			st->pos = 0;
			if (st->npage > 0)
				continue;
			blockstore_list_end(st->lister);
			st->lister = NULL;
			st->cur++;
		}
		if (st->cur >= st->nsources)
		{
			st->have_listed = false;
			return;
		}
		st->lister = blockstore_list_begin(st->serverid, st->sources[st->cur].uri, NULL, 0);
		st->npage = st->pos = 0;
	}
}

/* advance the base tree's iterator to its next entry inside a region */
static void
next_old(ImportState *st)
{
	for (;;)
	{
		const char *region;
		size_t		rlen;

		if (!st->old_active)
		{
			if (++st->old_region >= st->nsources)
			{
				st->have_old = false;
				return;
			}
			region = st->sources[st->old_region].region;
			tree_iter_seek(&st->old, region, strlen(region));
			st->old_active = true;
		}
		region = st->sources[st->old_region].region;
		rlen = strlen(region);
		if (tree_iter_next(&st->old, &st->old_e) && st->old_e.path_len >= rlen &&
			memcmp(st->old_e.path, region, rlen) == 0)
		{
			st->have_old = true;
			return;
		}
		st->old_active = false;
	}
}

/*
 * import_next: the ChangeSource of an import: listed objects as upserts,
 * merged with tombstones for the regions' old entries not listed again.
 */
static bool
import_next(void *arg, LkChange *out)
{
	ImportState *st = arg;
	int			c;

	CHECK_FOR_INTERRUPTS();
	if (st->advance_listed)
		next_listed(st);
	if (st->advance_old)
		next_old(st);
	st->advance_listed = st->advance_old = false;
	if (!st->have_listed && !st->have_old)
		return false;
	c = !st->have_old ? -1 : !st->have_listed ? 1 :
		lk_keycmp(st->listed.path, st->listed.path_len, st->old_e.path, st->old_e.path_len);
	if (c <= 0)
	{
		out->entry = st->listed;
		out->tombstone = false;
		st->advance_listed = true;
		st->advance_old = c == 0;
	}
	else
	{
		memset(&out->entry, 0, sizeof(out->entry));
		out->entry.path = st->old_e.path;
		out->entry.path_len = st->old_e.path_len;
		out->tombstone = true;
		st->advance_old = true;
	}
	return true;
}

/*
 * lakefs_import(repo, branch, sources, destination, message, metadata)
 *		List every source and commit its objects on the branch, replacing
 *		what the destination regions held; returns the commit id.
 */
Datum
lakefs_import(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(lk_arg_text(fcinfo, 0), false);
	char	   *branch = lk_arg_text(fcinfo, 1);
	char	   *destination = PG_ARGISNULL(3) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(3));
	char	   *message = PG_ARGISNULL(4) ? "import objects" :
		text_to_cstring(PG_GETARG_TEXT_PP(4));
	Jsonb	   *metadata = commit_metadata_arg(fcinfo, 5);
	LkCommitId	head;
	ImportState st;
	ChangeSource src;
	ApplyStats	stats;
	char	   *id;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("import sources must not be null")));
	lock_branch(repo, branch, head);
	if (staging_has_changes(repo->id, branch))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("branch \"%s\" has uncommitted changes", branch),
				 errhint("Commit or reset them before importing.")));
	memset(&st, 0, sizeof(st));
	st.repo = repo;
	st.destination = destination;
	st.serverid = repo_server(repo);
	sb_init(&st.path);
	sb_init(&st.address);
	import_plan(&st, PG_GETARG_ARRAYTYPE_P(2), destination);
	tree_iter_init(&st.old, tree_open(repo->id, refs_get_commit(repo, head)->metarange_id));
	st.old_region = -1;
	INSTR_TIME_SET_CURRENT(st.start);
	next_listed(&st);
	next_old(&st);
	if (!st.have_listed)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no objects found under the import sources"),
				 errhint("Check the source URIs with lakefs_list_objects().")));
	src.next = import_next;
	src.arg = &st;
	id = commit_changes(repo, branch, head, &src, message, metadata, true, &stats);
	report_progress(&st, true);
	PG_RETURN_TEXT_P(cstring_to_text(id));
}

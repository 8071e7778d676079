/*-------------------------------------------------------------------------
 *
 * import.c
 *		Zero-copy import: listings of object-store prefixes, and single
 *		objects, streamed straight into a commit.
 *
 * Sources are typed as in lakeFS's import API (ImportLocation: path,
 * destination, type):
 *
 *	common_prefix	s3://bucket/prefix (or local://prefix) maps to a
 *					destination region: the key relative to the source
 *					prefix's last '/', under the destination, to which a '/'
 *					is added unless it is empty or ends in one
 *					(s3://sample-data/dogs/Images + "raw" -> "raw/Images/...").
 *					Existing entries in that region are replaced.
 *	object			exactly one key (HEAD, no listing) to exactly one path;
 *					only that path is replaced.
 *
 * The regions are sorted and may not overlap, so the sources' outputs,
 * taken one source after the other, come in path order. Each listing must
 * keep ListObjectsV2's contract (only keys under the prefix, ascending, each
 * once): a server that breaks it gets 08P01 here, since a key out of order
 * would otherwise reach the range writer and a key outside the prefix would
 * land under a wrong path. A ChangeSource merges the listed objects with
 * tombstones for the regions' old entries that the listing no longer has,
 * and tree_apply_changes writes the commit's ranges in the same pass. No
 * object is read or copied: entries keep the listed full addresses, sizes,
 * ETags and modification times. Memory: one listing page and one range at
 * a time.
 *
 * Never imported: the repository's own storage namespace (a source inside
 * it, or a common_prefix containing it, is refused), and any key with a
 * path segment "_lakefs" -- the metadata folder lakeFS and pg_lakefs keep
 * at the top of every storage namespace. Keys under a namespace that is not
 * this repository's (another repository, another lakeFS) cannot be told
 * from data by their address, so the segment is what decides.
 *
 * The whole import is one transaction: cancelled or failed, it leaves
 * nothing in the catalog.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
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

PG_FUNCTION_INFO_V1(lakefs_import);
PG_FUNCTION_INFO_V1(lakefs_import_jsonb);

static int	import_progress_interval = 100000;

/* import_init: define pg_lakefs.import_progress_interval (from _PG_init) */
void
import_init(void)
{
	DefineCustomIntVariable("pg_lakefs.import_progress_interval",
							"Objects between the progress notices of lakefs_import.",
							NULL,
							&import_progress_interval, 100000, 1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

#define LAKEFS_META_SEGMENT "_lakefs/"
#define SOURCES_HINT \
	"Each source is an object such as {\"path\": \"s3://bucket/prefix/\", " \
	"\"destination\": \"raw/\", \"type\": \"common_prefix\"} or " \
	"{\"path\": \"s3://bucket/labels.csv\", \"destination\": \"raw/labels.csv\", " \
	"\"type\": \"object\"}."

typedef enum ImportType
{
	IMPORT_COMMON_PREFIX,		/* every key under a prefix, replacing a region */
	IMPORT_OBJECT				/* one key, replacing one path */
} ImportType;

typedef struct ImportSource
{
	int			ordinal;		/* 1-based position in the caller's list */
	ImportType	type;
	char	   *uri;			/* as given */
	char	   *destination;	/* as given, then: prefix "" or ending in '/';
								 * object the path */
	char	   *scheme_bucket;	/* "s3://bucket/" or "local://" */
	char	   *key;			/* the listed prefix, or the object's key */
	char	   *region;			/* destination paths it replaces (object: one) */
	size_t		strip;			/* bytes of a listed key to drop */
} ImportSource;

typedef struct ImportState
{
	LkRepo	   *repo;
	Oid			serverid;
	ImportSource *sources;
	int			nsources;
	int			cur;			/* source being listed */
	ImportSource *planning;		/* source being planned, for the context */
	const char *mapping_key;	/* key being mapped, for the context */
	BlockstoreLister *lister;
	BlockstoreEntry *page;
	int			npage;
	int			pos;
	StrBuf		prev_key;		/* the source's last listed key */
	bool		have_prev_key;
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
	int64		skipped_meta;	/* keys under a _lakefs/ segment */
	instr_time	start;
} ImportState;

static int
cmp_sources(const void *a, const void *b)
{
	return strcmp(((const ImportSource *) a)->region, ((const ImportSource *) b)->region);
}

/* does key[0..len) have a path segment "_lakefs" followed by '/'? */
static bool
has_meta_segment(const char *key, size_t len)
{
	const char *p = key;
	const char *end = key + len;
	size_t		seglen = strlen(LAKEFS_META_SEGMENT);

	while (p < end)
	{
		if ((size_t) (end - p) >= seglen && memcmp(p, LAKEFS_META_SEGMENT, seglen) == 0)
			return true;
		p = memchr(p, '/', end - p);
		if (p == NULL)
			break;
		p++;
	}
	return false;
}

/* error context: which source is being planned, which key mapped */
static void
import_error_context(void *arg)
{
	ImportState *st = arg;

	if (st->mapping_key != NULL)
		errcontext("import of key \"%s\" from source %d (\"%s\")", st->mapping_key,
				   st->sources[st->cur].ordinal, st->sources[st->cur].uri);
	else if (st->planning != NULL)
		errcontext("import source %d (\"%s\")", st->planning->ordinal, st->planning->uri);
}

/*
 * refuse a source inside the repository's storage namespace or, for a
 * common_prefix, one whose listing would contain the namespace (as lakeFS
 * refuses both)
 */
static void
check_namespace(ImportState *st, const ImportSource *s, const BlockstoreAddress *addr)
{
	const char *ns = st->repo->storage_namespace;
	BlockstoreAddress nsaddr;
	size_t		nslen;

	blockstore_parse_address(ns, &nsaddr);
	if (addr->kind != nsaddr.kind ||
		(addr->kind == BLOCKSTORE_S3 && strcmp(addr->bucket, nsaddr.bucket) != 0))
		return;
	nslen = strlen(nsaddr.key);
	while (nslen > 0 && nsaddr.key[nslen - 1] == '/')
		nslen--;
	if (nslen == 0 ||
		(strncmp(addr->key, nsaddr.key, nslen) == 0 &&
		 (addr->key[nslen] == '\0' || addr->key[nslen] == '/')))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot import \"%s\" from inside the repository's storage namespace",
						s->uri),
				 errdetail("The storage namespace of \"%s\" is \"%s\".",
						   st->repo->name, ns)));
	if (s->type == IMPORT_COMMON_PREFIX &&
		strncmp(nsaddr.key, addr->key, strlen(addr->key)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot import \"%s\" because it contains the repository's storage namespace",
						s->uri),
				 errdetail("The storage namespace of \"%s\" is \"%s\"; a listing of the source would include it.",
						   st->repo->name, ns),
				 errhint("Import prefixes beside the namespace, ending them with \"/\".")));
}

/* parse one source, map its destination, refuse what must not be imported */
static void
plan_source(ImportState *st, ImportSource *s)
{
	BlockstoreAddress addr;

	blockstore_parse_address(s->uri, &addr);
	s->key = addr.key;
	s->scheme_bucket = addr.kind == BLOCKSTORE_S3 ?
		psprintf("s3://%s/", addr.bucket) : pstrdup("local://");
	check_namespace(st, s, &addr);
	if (s->type == IMPORT_OBJECT)
	{
		if (addr.key[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("object import source \"%s\" has no key", s->uri),
					 errhint("For example: s3://bucket/path/to/object.")));
		if (has_meta_segment(addr.key, strlen(addr.key)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot import \"%s\": keys under \"_lakefs/\" are lakeFS metadata",
							s->uri)));
		check_path(s->destination);
		s->strip = 0;
		s->region = s->destination;
		return;
	}
	/* as lakeFS: a common_prefix destination is a folder */
	if (s->destination[0] != '\0' &&
		s->destination[strlen(s->destination) - 1] != '/')
		s->destination = psprintf("%s/", s->destination);
	s->strip = strrchr(addr.key, '/') ? strrchr(addr.key, '/') - addr.key + 1 : 0;
	if (has_meta_segment(addr.key, s->strip))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot import \"%s\": keys under \"_lakefs/\" are lakeFS metadata",
						s->uri)));
	s->region = psprintf("%s%s", s->destination, addr.key + s->strip);
	if (s->region[0] != '\0')
		check_path(s->region);
}

/*
 * plan every source, sort them by region and refuse overlaps: a
 * common_prefix region may not be a prefix of another region, and no two
 * regions may be equal. Sorted, a region that starts with an earlier
 * common_prefix region also starts with its neighbour's, so neighbours
 * suffice.
 */
static void
import_plan(ImportState *st)
{
	ErrorContextCallback errcb;

	errcb.callback = import_error_context;
	errcb.arg = st;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	for (int i = 0; i < st->nsources; i++)
	{
		st->planning = &st->sources[i];
		plan_source(st, &st->sources[i]);
	}
	st->planning = NULL;
	error_context_stack = errcb.previous;

	qsort(st->sources, st->nsources, sizeof(ImportSource), cmp_sources);
	for (int i = 1; i < st->nsources; i++)
	{
		const ImportSource *a = &st->sources[i - 1];
		const ImportSource *b = &st->sources[i];

		if (strcmp(a->region, b->region) == 0 ||
			(a->type == IMPORT_COMMON_PREFIX &&
			 strncmp(b->region, a->region, strlen(a->region)) == 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("import sources \"%s\" and \"%s\" overlap at \"%s\"",
							a->uri, b->uri, a->region),
					 errhint("Import them with different destinations.")));
	}
}

/* sources from a text[]: each a common_prefix with the one destination */
static void
sources_from_array(ImportState *st, ArrayType *arr, const char *destination)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

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

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("import sources must not contain nulls"),
					 errdetail("Element %d is null.", i + 1)));
		s->ordinal = i + 1;
		s->type = IMPORT_COMMON_PREFIX;
		s->uri = TextDatumGetCString(elems[i]);
		s->destination = pstrdup(destination);
	}
}

static void
bad_source(int ordinal, const char *msg, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("import source %d %s", ordinal, msg),
			 errhint("%s", hint)));
}

/*
 * one source from a JSON object with exactly the keys of lakeFS's
 * ImportLocation: path, destination, type (all strings)
 */
static void
source_from_jsonb(ImportSource *s, int ordinal, JsonbContainer *obj)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	k;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *type = NULL;

	s->ordinal = ordinal;
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *name;
		char	   *val;

		if (tok != WJB_KEY)
			continue;
		name = pnstrdup(k.val.string.val, k.val.string.len);
		(void) JsonbIteratorNext(&it, &v, true);
		if (strcmp(name, "path") != 0 && strcmp(name, "destination") != 0 &&
			strcmp(name, "type") != 0)
			bad_source(ordinal, psprintf("has an unknown key \"%s\"", name),
					   "Valid keys are \"path\", \"destination\" and \"type\".");
		if (v.type != jbvString)
			bad_source(ordinal, psprintf("has a \"%s\" that is not a string", name),
					   SOURCES_HINT);
		val = pnstrdup(v.val.string.val, v.val.string.len);
		if (strcmp(name, "path") == 0)
			s->uri = val;
		else if (strcmp(name, "destination") == 0)
			s->destination = val;
		else
			type = val;
	}
	if (s->uri == NULL || s->destination == NULL || type == NULL)
		bad_source(ordinal, psprintf("has no \"%s\"",
									 s->uri == NULL ? "path" :
									 s->destination == NULL ? "destination" : "type"),
				   SOURCES_HINT);
	if (strcmp(type, "common_prefix") == 0)
		s->type = IMPORT_COMMON_PREFIX;
	else if (strcmp(type, "object") == 0)
		s->type = IMPORT_OBJECT;
	else
		bad_source(ordinal, psprintf("has an unknown type \"%s\"", type),
				   "Valid types are \"common_prefix\" and \"object\".");
}

/* sources from a jsonb array of lakeFS ImportLocation objects */
static void
sources_from_jsonb(ImportState *st, Jsonb *jb)
{
	int			n;

	if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("import sources must be a JSON array"),
				 errhint(SOURCES_HINT)));
	n = JB_ROOT_COUNT(jb);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no import sources given"),
				 errhint(SOURCES_HINT)));
	st->sources = palloc0(sizeof(ImportSource) * n);
	st->nsources = n;
	for (int i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(&jb->root, i);

		if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
			bad_source(i + 1, "is not a JSON object", SOURCES_HINT);
		source_from_jsonb(&st->sources[i], i + 1, v->val.binary.data);
	}
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

/* fill st->listed from st->path, st->address and the object's attributes */
static void
set_listed(ImportState *st, int64 size, const char *etag, TimestampTz mtime,
		   bool have_mtime)
{
	LakefsEntry *e = &st->listed;

	memset(e, 0, sizeof(*e));
	e->path = st->path.data;
	e->path_len = st->path.len;
	e->flags = LK_ENTRY_FULL_ADDRESS;
	e->address = st->address.data;
	e->address_len = st->address.len;
	e->size = size;
	e->checksum = etag ? etag : "";
	e->checksum_len = strlen(e->checksum);
	e->mtime = have_mtime ? mtime : 0;
	e->content_type = "";
	e->metadata = "";
}

/*
 * hold a listed key to ListObjectsV2's contract: under the prefix,
 * ascending, each once (08P01 otherwise)
 */
static void
check_listed_key(ImportState *st, const ImportSource *s, const char *key)
{
	int			c;

	if (strncmp(key, s->key, strlen(s->key)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("listing of \"%s\" returned key \"%s\" outside the prefix",
						s->uri, key),
				 errdetail("ListObjectsV2 returns only keys that start with the requested prefix \"%s\".",
						   s->key)));
	if (st->have_prev_key && (c = strcmp(key, st->prev_key.data)) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 c == 0 ?
				 errmsg("listing of \"%s\" returned key \"%s\" twice", s->uri, key) :
				 errmsg("listing of \"%s\" returned key \"%s\" after \"%s\"",
						s->uri, key, st->prev_key.data),
				 errdetail("ListObjectsV2 returns each key once, in ascending UTF-8 binary order.")));
	sb_reset(&st->prev_key);
	sb_appends(&st->prev_key, key);
	st->have_prev_key = true;
}

/*
 * map one listed entry of the current common_prefix source into st->listed;
 * false when it is not imported (a _lakefs/ key, or the source folder's
 * own marker that would land at an empty path)
 */
static bool
map_listed(ImportState *st, const BlockstoreEntry *b)
{
	const ImportSource *s = &st->sources[st->cur];
	ErrorContextCallback errcb;

	if (b->is_prefix)
		return false;
	/* a local file name may be any bytes; a path must be valid text */
	if (!pg_verifymbstr(b->key, strlen(b->key), true))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("listing of \"%s\" returned a key that is not valid %s",
						s->uri, GetDatabaseEncodingName()),
				 st->have_prev_key ?
				 errdetail("The key follows \"%s\" in the listing.", st->prev_key.data) : 0,
				 errhint("Rename the object, or import around it with narrower sources.")));
	check_listed_key(st, s, b->key);
	if (has_meta_segment(b->key, strlen(b->key)))
	{
		st->skipped_meta++;
		return false;
	}
	/* the key past the source prefix's last '/', under the destination */
	sb_reset(&st->path);
	sb_appends(&st->path, s->destination);
	sb_appends(&st->path, b->key + s->strip);
	if (st->path.len == 0)
		return false;
	errcb.callback = import_error_context;
	errcb.arg = st;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	st->mapping_key = b->key;
	check_path(st->path.data);
	st->mapping_key = NULL;
	error_context_stack = errcb.previous;
	sb_reset(&st->address);
	sb_appendf(&st->address, "%s%s", s->scheme_bucket, b->key);
	set_listed(st, b->size, b->etag, b->last_modified, b->have_last_modified);
	return true;
}

/* the current object source into st->listed (HEAD; 42704 when missing) */
static void
map_object(ImportState *st)
{
	const ImportSource *s = &st->sources[st->cur];
	BlockstoreObjectInfo info;

	blockstore_head(st->serverid, s->uri, &info);
	sb_reset(&st->path);
	sb_appends(&st->path, s->destination);
	sb_reset(&st->address);
	sb_appendf(&st->address, "%s%s", s->scheme_bucket, s->key);
	set_listed(st, info.size, info.etag, info.last_modified, info.have_last_modified);
}

/* advance the listing to its next object (across pages and sources) */
static void
next_listed(ImportState *st)
{
	for (;;)
	{
		if (st->lister != NULL && st->pos < st->npage)
		{
			if (map_listed(st, &st->page[st->pos++]))
				break;
			continue;
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
		if (st->sources[st->cur].type == IMPORT_OBJECT)
		{
			map_object(st);
			st->cur++;
			break;
		}
		st->lister = blockstore_list_begin(st->serverid, st->sources[st->cur].uri, NULL, 0);
		st->npage = st->pos = 0;
		st->have_prev_key = false;
	}
	st->have_listed = true;
	if (++st->imported % import_progress_interval == 0)
		report_progress(st, false);
}

/* advance the base tree's iterator to its next entry inside a region */
static void
next_old(ImportState *st)
{
	for (;;)
	{
		const ImportSource *s;
		size_t		rlen;

		if (!st->old_active)
		{
			if (++st->old_region >= st->nsources)
			{
				st->have_old = false;
				return;
			}
			s = &st->sources[st->old_region];
			tree_iter_seek(&st->old, s->region, strlen(s->region));
			st->old_active = true;
		}
		s = &st->sources[st->old_region];
		rlen = strlen(s->region);
		if (tree_iter_next(&st->old, &st->old_e) && st->old_e.path_len >= rlen &&
			memcmp(st->old_e.path, s->region, rlen) == 0 &&
			(s->type == IMPORT_COMMON_PREFIX || st->old_e.path_len == rlen))
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

/* argument n, the commit metadata, or 22004 */
static Jsonb *
import_metadata_arg(FunctionCallInfo fcinfo, int n)
{
	lk_arg_require(fcinfo, n);
	return commit_metadata_arg(fcinfo, n);
}

/*
 * run_import: import st's sources onto the branch in one commit; returns
 * the commit id (palloc'd). st->sources are parsed but not yet planned.
 * Throws on any failure; the caller's transaction then leaves nothing.
 */
static char *
run_import(ImportState *st, const char *branch, const char *message, Jsonb *metadata)
{
	LkRepo	   *repo = st->repo;
	LkCommitId	head;
	ChangeSource src;
	ApplyStats	stats;
	char	   *id;

	memcpy(head, lock_clean_branch(repo, branch, "import")->id, sizeof(LkCommitId));
	st->serverid = repo_server(repo);
	sb_init(&st->path);
	sb_init(&st->address);
	sb_init(&st->prev_key);
	import_plan(st);
	tree_iter_init(&st->old, tree_open(repo->id, refs_get_commit(repo, head)->metarange_id));
	st->old_region = -1;
	INSTR_TIME_SET_CURRENT(st->start);
	next_listed(st);
	next_old(st);
	if (!st->have_listed)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no objects found under the import sources"),
				 errhint("Check the source URIs with lakefs_list_objects().")));
	src.next = import_next;
	src.arg = st;
	id = commit_changes_op(repo, branch, head, &src, message, metadata, true, &stats,
						   "import");
	if (st->skipped_meta > 0)
		ereport(NOTICE,
				(errmsg("skipped " INT64_FORMAT " objects under \"_lakefs/\"", st->skipped_meta),
				 errdetail("A path segment \"_lakefs\" holds the metadata of a lakeFS storage namespace; it is never imported.")));
	report_progress(st, true);
	return id;
}

/*
 * lakefs_import(repo, branch, sources text[], destination, message, metadata)
 *		List every source (each a common_prefix) and commit its objects on
 *		the branch under destination, replacing what the destination
 *		regions held; returns the commit id. No argument may be NULL.
 */
Datum
lakefs_import(PG_FUNCTION_ARGS)
{
	char	   *reponame = lk_arg_text(fcinfo, 0);
	char	   *branch = lk_arg_text(fcinfo, 1);
	char	   *destination;
	char	   *message;
	Jsonb	   *metadata;
	ImportState st;

	lk_arg_require(fcinfo, 2);
	destination = lk_arg_text(fcinfo, 3);
	message = lk_arg_text(fcinfo, 4);
	metadata = import_metadata_arg(fcinfo, 5);
	memset(&st, 0, sizeof(st));
	st.repo = catalog_get_repo(reponame, false);
	sources_from_array(&st, PG_GETARG_ARRAYTYPE_P(2), destination);
	PG_RETURN_TEXT_P(cstring_to_text(run_import(&st, branch, message, metadata)));
}

/*
 * lakefs_import_jsonb(repo, branch, sources jsonb, message, metadata)
 *		The same with typed sources, as lakeFS's ImportCreation paths:
 *		[{"path", "destination", "type": "common_prefix" | "object"}].
 *		No argument may be NULL; a malformed source is 22023.
 */
Datum
lakefs_import_jsonb(PG_FUNCTION_ARGS)
{
	char	   *reponame = lk_arg_text(fcinfo, 0);
	char	   *branch = lk_arg_text(fcinfo, 1);
	char	   *message;
	Jsonb	   *metadata;
	ImportState st;

	lk_arg_require(fcinfo, 2);
	message = lk_arg_text(fcinfo, 3);
	metadata = import_metadata_arg(fcinfo, 4);
	memset(&st, 0, sizeof(st));
	st.repo = catalog_get_repo(reponame, false);
	sources_from_jsonb(&st, PG_GETARG_JSONB_P(2));
	PG_RETURN_TEXT_P(cstring_to_text(run_import(&st, branch, message, metadata)));
}

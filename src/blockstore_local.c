/*-------------------------------------------------------------------------
 *
 * blockstore_local.c
 *		The local blockstore: local://path addresses are files under the
 *		directory pg_lakefs.local_root (set by a superuser).
 *
 * Containment: a path is refused unless every segment is a plain name (no
 * empty, "." or ".." segments); the real path (symlinks resolved) of the file
 * or its parent directory must then lie under the real path of the root, and
 * listings do not follow symlinks. Writes go to a temporary file in the
 * target directory, renamed into place, so a reader never sees half an
 * object. The checksum (etag) is the MD5 hex of the content, as S3 gives for
 * a single PUT. Files are opened with OpenTransientFile and directories with
 * AllocateDir, so an error closes them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/md5.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "blockstore_int.h"

char	   *lakefs_local_root = NULL;

/* blockstore_local_init: define pg_lakefs.local_root (from _PG_init) */
void
blockstore_local_init(void)
{
	DefineCustomStringVariable("pg_lakefs.local_root",
							   "Directory under which local:// addresses live.",
							   "Empty disables the local blockstore.",
							   &lakefs_local_root, "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
}

#define LOCAL_TMP_PREFIX ".lakefs-tmp-"

/* The real path of the configured root; throws if unset or missing. */
static char *
local_root(void)
{
	char	   *real;

	if (lakefs_local_root == NULL || lakefs_local_root[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the local blockstore is not configured"),
				 errhint("A superuser must set pg_lakefs.local_root to a directory.")));
	if (lakefs_local_root[0] != '/')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pg_lakefs.local_root must be an absolute path")));
	real = realpath(lakefs_local_root, NULL);
	if (real == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not resolve pg_lakefs.local_root \"%s\": %m",
						lakefs_local_root)));
	{
		char	   *r = pstrdup(real);

		free(real);
		return r;
	}
}

/* Throw unless key is a clean relative path (allow_empty: "" is the root). */
static void
check_key(const char *key, bool allow_empty, bool allow_trailing_slash)
{
	const char *p = key;
	const char *why = NULL;

	if (key[0] == '\0')
	{
		if (!allow_empty)
			why = "it is empty";
	}
	else if (key[0] == '/')
		why = "it is absolute";
	while (why == NULL && *p)
	{
		const char *end = strchr(p, '/');
		size_t		n = end ? (size_t) (end - p) : strlen(p);

		if (n == 0 && !(end == NULL || (allow_trailing_slash && end[1] == '\0')))
			why = "it has an empty segment";
		else if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			why = "it has a \".\" or \"..\" segment";
		else if (n >= strlen(LOCAL_TMP_PREFIX) &&
				 strncmp(p, LOCAL_TMP_PREFIX, strlen(LOCAL_TMP_PREFIX)) == 0)
			why = "its names must not start with \"" LOCAL_TMP_PREFIX "\"";
		if (end == NULL)
			break;
		p = end + 1;
		if (*p == '\0' && !allow_trailing_slash)
			why = "it ends with \"/\"";
	}
	if (why)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid local object path \"%s\"", key),
				 errdetail("The path is not allowed because %s.", why),
				 errhint("Use plain names separated by single slashes, e.g. local://repo/data/file.")));
}

/* Throw unless the existing path real lies within root. */
static void
check_within(const char *root, const char *path)
{
	char	   *real = realpath(path, NULL);
	size_t		n = strlen(root);
	bool		inside;

	if (real == NULL)
		return;					/* nothing there: nothing to escape to */
	inside = strncmp(real, root, n) == 0 && (real[n] == '\0' || real[n] == '/');
	free(real);
	if (!inside)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("local object path \"%s\" leads outside pg_lakefs.local_root", path)));
}

/* The file name of addr, checked. */
static char *
local_file(const BlockstoreAddress *addr, char **root_out)
{
	char	   *root = local_root();
	char	   *path;

	check_key(addr->key, false, false);
	path = psprintf("%s/%s", root, addr->key);
	check_within(root, path);
	if (root_out)
		*root_out = root;
	return path;
}

static void
md5_hex(const char *data, size_t len, char *out)
{
	const char *errstr = NULL;

	if (!pg_md5_hash(data, len, out, &errstr))
		elog(ERROR, "could not compute MD5: %s", errstr ? errstr : "unknown");
}

/* Create the directories of path's parent under root (mkdir -p). */
static void
make_parents(const char *root, char *path)
{
	size_t		rootlen = strlen(root);

	for (char *p = path + rootlen + 1; (p = strchr(p, '/')) != NULL; p++)
	{
		*p = '\0';
		if (mkdir(path, S_IRWXU) != 0 && errno != EEXIST)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not create directory \"%s\": %m", path)));
		check_within(root, path);
		*p = '/';
	}
}

/*
 * bs_local_put
 *		Write the object atomically (temporary file + rename).
 */
void
bs_local_put(const BlockstoreAddress *addr, const char *data, size_t len,
			 BlockstoreObjectInfo *info)
{
	static uint32 counter = 0;
	char	   *root;
	char	   *path = local_file(addr, &root);
	char	   *slash;
	char	   *tmp;
	char		etag[33];
	int			fd;
	size_t		done = 0;

	make_parents(root, path);
	slash = strrchr(path, '/');
	tmp = psprintf("%.*s/" LOCAL_TMP_PREFIX "%d-%u", (int) (slash - path), path,
				   MyProcPid, counter++);
	fd = OpenTransientFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", tmp)));
	while (done < len)
	{
		ssize_t		n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			int			save = errno;

			CloseTransientFile(fd);
			unlink(tmp);
			errno = save ? save : ENOSPC;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write file \"%s\": %m", tmp)));
		}
		done += n;
	}
	if (CloseTransientFile(fd) != 0 || rename(tmp, path) != 0)
	{
		int			save = errno;

		unlink(tmp);
		errno = save;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not store file \"%s\": %m", path)));
	}
	md5_hex(data, len, etag);
	info->etag = pstrdup(etag);
	info->size = (int64) len;
}

/* Open an object's file, throwing ERRCODE_UNDEFINED_OBJECT if missing. */
static int
open_object(const BlockstoreAddress *addr, const char *path, struct stat *st)
{
	int			fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);

	if (fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode))
		return fd;
	if (fd >= 0)
		CloseTransientFile(fd);
	if (fd < 0 && errno != ENOENT && errno != ENOTDIR && errno != EISDIR)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("object \"local://%s\" does not exist", addr->key)));
	return -1;					/* keep compiler quiet */
}

/* Read len bytes at offset into buf; throws on error. */
static void
read_at(int fd, const char *path, char *buf, size_t len, off_t offset)
{
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = pread(fd, buf + done, len - done, offset + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		done += n;
	}
}

/*
 * bs_local_get
 *		length bytes from offset (length < 0: to the end).
 */
bytea *
bs_local_get(const BlockstoreAddress *addr, int64 offset, int64 length)
{
	char	   *path = local_file(addr, NULL);
	struct stat st;
	int			fd = open_object(addr, path, &st);
	int64		n = 0;
	bytea	   *result;

	if (offset < st.st_size)
		n = (length < 0) ? st.st_size - offset : Min(length, st.st_size - offset);
	if (n > (int64) (MaxAllocSize - VARHDRSZ))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("object is too large to return as one value"),
				 errhint("Read it in ranges of less than 1 GB.")));
	result = palloc(VARHDRSZ + n);
	SET_VARSIZE(result, VARHDRSZ + n);
	read_at(fd, path, VARDATA(result), (size_t) n, (off_t) offset);
	CloseTransientFile(fd);
	return result;
}

/* Fill size, mtime and MD5 etag of an open file. */
static void
file_info(int fd, const char *path, const struct stat *st, int64 *size,
		  char **etag, TimestampTz *mtime)
{
	char		hex[33];
	char	   *buf;

	if ((uint64) st->st_size > MaxAllocHugeSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("file \"%s\" is too large to read at once", path),
				 errhint("Read it in ranges with offset and length.")));
	buf = palloc_extended(Max(st->st_size, 1), MCXT_ALLOC_HUGE);
	read_at(fd, path, buf, (size_t) st->st_size, 0);
	md5_hex(buf, (size_t) st->st_size, hex);
	pfree(buf);
	*size = st->st_size;
	*etag = pstrdup(hex);
	*mtime = time_t_to_timestamptz(st->st_mtime);
}

/*
 * bs_local_head
 *		Size, MD5 etag and modification time.
 */
void
bs_local_head(const BlockstoreAddress *addr, BlockstoreObjectInfo *info)
{
	char	   *path = local_file(addr, NULL);
	struct stat st;
	int			fd = open_object(addr, path, &st);

	file_info(fd, path, &st, &info->size, &info->etag, &info->last_modified);
	info->have_last_modified = true;
	CloseTransientFile(fd);
}

/*
 * bs_local_delete
 *		Remove the file; no error if it is missing.
 */
void
bs_local_delete(const BlockstoreAddress *addr)
{
	char	   *path = local_file(addr, NULL);

	if (unlink(path) != 0 && errno != ENOENT)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not remove file \"%s\": %m", path)));
}

typedef struct LocalWalk
{
	const char *root;
	const char *prefix;
	BlockstoreEntry *entries;
	int			n;
	int			cap;
} LocalWalk;

/* Collect regular files under root/rel whose path starts with the prefix. */
static void
walk_dir(LocalWalk *w, const char *rel)
{
	char	   *dirpath = rel[0] ? psprintf("%s/%s", w->root, rel) : pstrdup(w->root);
	DIR		   *dir = AllocateDir(dirpath);
	struct dirent *de;

	if (dir == NULL && errno == ENOENT)
		return;
	while ((de = ReadDir(dir, dirpath)) != NULL)
	{
		char	   *child;
		char	   *full;
		struct stat st;
		size_t		plen = strlen(w->prefix);
		size_t		clen;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
			strncmp(de->d_name, LOCAL_TMP_PREFIX, strlen(LOCAL_TMP_PREFIX)) == 0)
			continue;
		CHECK_FOR_INTERRUPTS();
		child = rel[0] ? psprintf("%s/%s", rel, de->d_name) : pstrdup(de->d_name);
		clen = strlen(child);
		/* prune: child must be a prefix of the wanted prefix, or extend it */
		if (strncmp(child, w->prefix, Min(clen, plen)) != 0)
			continue;
		full = psprintf("%s/%s", w->root, child);
		if (lstat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			walk_dir(w, child);
		else if (S_ISREG(st.st_mode) && clen >= plen)
		{
			int			fd;

			if (w->n == w->cap)
			{
				w->cap = Max(64, w->cap * 2);
				w->entries = w->entries
					? repalloc_huge(w->entries, sizeof(BlockstoreEntry) * w->cap)
					: palloc(sizeof(BlockstoreEntry) * w->cap);
			}
			fd = OpenTransientFile(full, O_RDONLY | PG_BINARY);
			if (fd < 0)
				continue;
			memset(&w->entries[w->n], 0, sizeof(BlockstoreEntry));
			w->entries[w->n].key = child;
			file_info(fd, full, &st, &w->entries[w->n].size, &w->entries[w->n].etag,
					  &w->entries[w->n].last_modified);
			w->entries[w->n].have_last_modified = true;
			CloseTransientFile(fd);
			w->n++;
		}
		pfree(full);
	}
	FreeDir(dir);
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const BlockstoreEntry *) a)->key, ((const BlockstoreEntry *) b)->key);
}

/*
 * bs_local_list_all
 *		Every file under the prefix, sorted by path, with keys that have the
 *		delimiter after the prefix folded into common prefixes. palloc'd.
 */
BlockstoreEntry *
bs_local_list_all(const BlockstoreAddress *prefix, const char *delimiter,
				  int *nentries)
{
	LocalWalk	w;
	const char *slash;
	char	   *start;
	int			out = 0;
	size_t		plen = strlen(prefix->key);

	memset(&w, 0, sizeof(w));
	w.root = local_root();
	w.prefix = prefix->key;
	check_key(prefix->key, true, true);

	/* start the walk at the deepest directory the prefix names */
	slash = strrchr(prefix->key, '/');
	start = slash ? pnstrdup(prefix->key, slash - prefix->key) : pstrdup("");
	if (start[0])
		check_within(w.root, psprintf("%s/%s", w.root, start));
	walk_dir(&w, start);
	if (w.n > 1)
		qsort(w.entries, w.n, sizeof(BlockstoreEntry), entry_cmp);

	for (int i = 0; i < w.n; i++)
	{
		const char *d = delimiter ? strstr(w.entries[i].key + plen, delimiter) : NULL;

		if (d)
		{
			char	   *cp = pnstrdup(w.entries[i].key,
									  d - w.entries[i].key + strlen(delimiter));

			if (out > 0 && w.entries[out - 1].is_prefix &&
				strcmp(w.entries[out - 1].key, cp) == 0)
				continue;
			memset(&w.entries[out], 0, sizeof(BlockstoreEntry));
			w.entries[out].key = cp;
			w.entries[out].size = -1;
			w.entries[out].is_prefix = true;
		}
		else if (out != i)
			w.entries[out] = w.entries[i];
		out++;
	}
	*nentries = out;
	return w.entries;
}

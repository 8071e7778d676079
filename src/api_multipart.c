/*-------------------------------------------------------------------------
 *
 * api_multipart.c
 *		Part addresses of the S3 gateway's multipart uploads.
 *
 * The gateway is stateless, so a multipart upload keeps no state anywhere
 * but in the object store: part N of upload U (32 hex digits the gateway
 * draws) is the object <namespace>/_lakefs/multipart/U/N. This function
 * hands out presigned URLs for those objects, after the same checks as a
 * write to the branch (it must be a branch, and the role must be allowed to
 * stage on it); CompleteMultipartUpload then streams the parts, in order,
 * into one fresh object and stages it with lakefs_link_object. Parts stay
 * behind as garbage, like every object a branch no longer points at.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "api_args.h"
#include "blockstore.h"
#include "catalog.h"
#include "commit.h"
#include "objects.h"

PG_FUNCTION_INFO_V1(lakefs_multipart_part_url);

#define MAX_PART_NUMBER 10000

/*
 * lakefs_multipart_part_url(repository, branch, upload_id, part_number,
 *							 method, expires)
 *		A presigned GET, PUT or HEAD URL of one part's object.
 */
Datum
lakefs_multipart_part_url(PG_FUNCTION_ARGS)
{
	LkRepo	   *repo = catalog_get_repo(ARG_TEXT(0), false);
	char	   *branch = ARG_TEXT(1);
	char	   *upload_id = ARG_TEXT(2);
	char	   *method = ARG_TEXT_OR(4, "PUT");
	int32		part;
	int			secs = 900;
	char	   *address;
	LkCommitId	head;

	lk_arg_require(fcinfo, 3);
	part = PG_GETARG_INT32(3);
	if (strlen(upload_id) != 32 || strspn(upload_id, "0123456789abcdef") != 32)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid multipart upload id \"%s\"", upload_id),
				 errhint("An upload id is 32 lower-case hexadecimal digits.")));
	if (part < 1 || part > MAX_PART_NUMBER)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("part number must be between 1 and %d", MAX_PART_NUMBER)));
	if (!PG_ARGISNULL(5))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(5);
		double		s = (double) iv->time / USECS_PER_SEC +
			(double) iv->day * SECS_PER_DAY + (double) iv->month * 30 * SECS_PER_DAY;

		if (s < 1 || s > 7 * SECS_PER_DAY)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("expiry must be between 1 second and 7 days")));
		secs = (int) s;
	}
	lock_branch(repo, branch, head);
	address = blockstore_join(repo->storage_namespace,
							  psprintf("_lakefs/multipart/%s/%05d", upload_id, part));
	PG_RETURN_TEXT_P(cstring_to_text(blockstore_presign(repo_server(repo), address, method,
														secs, time(NULL))));
}

/*-------------------------------------------------------------------------
 *
 * option.c
 *		Options of the lakefs_s3 foreign data wrapper: the validator and the
 *		resolution of a server + user mapping into an S3Endpoint.
 *
 * Secrets (secret_access_key, session_token) appear in no message: a bad
 * value is reported by option name only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "access/reloptions.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "option.h"

typedef struct LakefsOption
{
	const char *name;
	Oid			context;		/* catalog in which it may appear */
	bool		secret;
} LakefsOption;

static const LakefsOption lakefs_options[] = {
	{"endpoint", ForeignServerRelationId, false},
	{"region", ForeignServerRelationId, false},
	{"url_style", ForeignServerRelationId, false},
	{"connect_timeout", ForeignServerRelationId, false},
	{"request_timeout", ForeignServerRelationId, false},
	{"max_retries", ForeignServerRelationId, false},
	{"access_key_id", UserMappingRelationId, false},
	{"secret_access_key", UserMappingRelationId, true},
	{"session_token", UserMappingRelationId, true},
	{"bucket", ForeignTableRelationId, false},
	{"prefix", ForeignTableRelationId, false},
	{NULL, InvalidOid, false}
};

PG_FUNCTION_INFO_V1(lakefs_s3_fdw_validator);

/*
 * lakefs_parse_endpoint_url
 *		Split an endpoint URL with libcurl's URL parser. Returns NULL and sets
 *		*scheme, *host (host[:port]) on success; else a static reason. Never
 *		throws while a curl object is alive.
 */
const char *
lakefs_parse_endpoint_url(const char *url, char **scheme, char **host)
{
	CURLU	   *u = curl_url();
	char	   *sch = NULL,
			   *hst = NULL,
			   *port = NULL,
			   *path = NULL,
			   *query = NULL,
			   *user = NULL;
	const char *why = NULL;

	if (u == NULL)
		return "out of memory";
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		why = "it does not start with http:// or https://";
	else if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		why = "it is not a valid URL";
	else if (curl_url_get(u, CURLUPART_SCHEME, &sch, 0) != CURLUE_OK ||
			 curl_url_get(u, CURLUPART_HOST, &hst, 0) != CURLUE_OK || hst[0] == '\0')
		why = "it has no host";
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		why = "it contains a user name or password";
	else if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK)
		why = "it contains a query";
	else if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
			 path[0] != '\0' && strcmp(path, "/") != 0)
		why = "it contains a path";
	else
	{
		*scheme = pstrdup(sch);
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
			*host = psprintf("%s:%s", hst, port);
		else
			*host = pstrdup(hst);
	}
	curl_free(sch);
	curl_free(hst);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_free(user);
	curl_url_cleanup(u);
	return why;
}

/* Parse a time option ("5000" = ms, or "5s", "2min"); -1 if invalid. */
static int
parse_ms(const char *value)
{
	int			result;

	if (!parse_int(value, &result, GUC_UNIT_MS, NULL) || result < 0)
		return -1;
	return result;
}

/* Check one option's value; throws with the reason. */
static void
check_option_value(DefElem *def)
{
	const char *name = def->defname;
	const char *value = defGetString(def);

	if (strcmp(name, "endpoint") == 0)
	{
		char	   *scheme,
				   *host;
		const char *why = lakefs_parse_endpoint_url(value, &scheme, &host);

		if (why)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"endpoint\""),
					 errdetail("The endpoint is an http or https URL, but %s.", why),
					 errhint("For example: endpoint 'http://127.0.0.1:9000'.")));
	}
	else if (strcmp(name, "url_style") == 0)
	{
		if (strcmp(value, "path") != 0 && strcmp(value, "virtual") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"url_style\": \"%s\"", value),
					 errhint("Valid values are \"path\" and \"virtual\".")));
	}
	else if (strcmp(name, "region") == 0)
	{
		if (value[0] == '\0' || strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(value))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"region\": \"%s\"", value),
					 errhint("A region is lower-case letters, digits and dashes, e.g. \"us-east-1\".")));
	}
	else if (strcmp(name, "connect_timeout") == 0 || strcmp(name, "request_timeout") == 0)
	{
		int			ms = parse_ms(value);

		if (ms < 0 || (ms == 0 && strcmp(name, "connect_timeout") == 0))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
					 errhint("Give milliseconds or a time with a unit, e.g. '5000' or '5s'%s.",
							 strcmp(name, "request_timeout") == 0 ? "; 0 means no limit" : "")));
	}
	else if (strcmp(name, "max_retries") == 0)
	{
		int			n;

		if (!parse_int(value, &n, 0, NULL) || n < 0 || n > 100)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"max_retries\": \"%s\"", value),
					 errhint("Give an integer between 0 and 100.")));
	}
	else if (strcmp(name, "access_key_id") == 0 || strcmp(name, "bucket") == 0)
	{
		if (value[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("option \"%s\" must not be empty", name)));
		/* the access key travels in the Authorization header */
		if (strcmp(name, "access_key_id") == 0)
			s3_check_header_value("option \"access_key_id\"", value);
	}
	else if (strcmp(name, "session_token") == 0)
	{
		/* sent as x-amz-security-token; the same check as every header */
		s3_check_header_value("option \"session_token\"", value);
	}
	else if (strcmp(name, "secret_access_key") == 0)
	{
		if (value[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("option \"secret_access_key\" must not be empty")));
	}
}

/*
 * lakefs_s3_fdw_validator
 *		Validate the options of the wrapper, a server, a user mapping or a
 *		foreign table. Unknown options get an error whose hint lists the
 *		valid ones for that object.
 */
Datum
lakefs_s3_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	ListCell   *cell;

	foreach(cell, options)
	{
		DefElem    *def = (DefElem *) lfirst(cell);
		const LakefsOption *opt;
		bool		found = false;

		for (opt = lakefs_options; opt->name; opt++)
			if (opt->context == catalog && strcmp(opt->name, def->defname) == 0)
				found = true;
		if (!found)
		{
			StringInfoData buf;

			initStringInfo(&buf);
			for (opt = lakefs_options; opt->name; opt++)
				if (opt->context == catalog)
					appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", opt->name);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 buf.len > 0
					 ? errhint("Valid options in this context are: %s.", buf.data)
					 : errhint("There are no valid options in this context.")));
		}
		check_option_value(def);
	}
	PG_RETURN_VOID();
}

/*
 * lakefs_option_value
 *		The string value of option name in a DefElem list, or NULL.
 */
const char *
lakefs_option_value(List *options, const char *name)
{
	ListCell   *cell;

	foreach(cell, options)
	{
		DefElem    *def = (DefElem *) lfirst(cell);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

/*
 * lakefs_s3_server_oid
 *		The named server's OID; throws unless it is a lakefs_s3 server.
 */
Oid
lakefs_s3_server_oid(const char *servername)
{
	ForeignServer *server = GetForeignServerByName(servername, false);
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);

	if (strcmp(fdw->fdwname, "lakefs_s3") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" is not a lakefs_s3 server", servername),
				 errdetail("It uses the foreign data wrapper \"%s\".", fdw->fdwname),
				 errhint("Create it with CREATE SERVER ... FOREIGN DATA WRAPPER lakefs_s3.")));
	return server->serverid;
}

/* does role (or PUBLIC) have a user mapping for server? (GetUserMapping's lookup, no error) */
static bool
has_user_mapping(Oid role, Oid serverid)
{
	Oid			roles[2] = {role, InvalidOid};

	for (int i = 0; i < 2; i++)
	{
		HeapTuple	tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(roles[i]),
										 ObjectIdGetDatum(serverid));

		if (HeapTupleIsValid(tp))
		{
			ReleaseSysCache(tp);
			return true;
		}
	}
	return false;
}

/*
 * lakefs_s3_endpoint
 *		Resolve a server and the current user's mapping (see fdw.h).
 */
S3Endpoint *
lakefs_s3_endpoint(Oid serverid, bool check_usage)
{
	ForeignServer *server;
	UserMapping *um;
	S3Endpoint *ep;
	const char *v;

	/* the calling role's mapping, never the extension owner's (one door) */
	if (catalog_switched())
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("object store reached from inside a catalog statement")));
	server = GetForeignServer(serverid);
	ep = palloc0(sizeof(S3Endpoint));

	if (check_usage)
	{
		AclResult	acl = pg_foreign_server_aclcheck(serverid, GetUserId(), ACL_USAGE);

		if (acl != ACLCHECK_OK)
			aclcheck_error(acl, OBJECT_FOREIGN_SERVER, server->servername);
	}
	ep->server_name = pstrdup(server->servername);

	v = lakefs_option_value(server->options, "endpoint");
	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no endpoint", server->servername),
				 errhint("Set one: ALTER SERVER %s OPTIONS (ADD endpoint 'http://host:port').",
						 quote_identifier(server->servername))));
	if (lakefs_parse_endpoint_url(v, &ep->scheme, &ep->host) != NULL)
		elog(ERROR, "invalid endpoint of server \"%s\"", server->servername);
	ep->base_url = psprintf("%s://%s", ep->scheme, ep->host);

	v = lakefs_option_value(server->options, "region");
	ep->region = pstrdup(v ? v : "us-east-1");
	v = lakefs_option_value(server->options, "url_style");
	ep->virtual_style = (v != NULL && strcmp(v, "virtual") == 0);
	v = lakefs_option_value(server->options, "connect_timeout");
	ep->connect_timeout_ms = v ? parse_ms(v) : lakefs_connect_timeout_ms;
	v = lakefs_option_value(server->options, "request_timeout");
	ep->request_timeout_ms = v ? parse_ms(v) : lakefs_request_timeout_ms;
	v = lakefs_option_value(server->options, "max_retries");
	ep->max_retries = v ? pg_strtoint32(v) : lakefs_max_retries;

	if (!has_user_mapping(GetUserId(), serverid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" has no user mapping for server \"%s\"",
						GetUserNameFromId(GetUserId(), false), server->servername),
				 errdetail("The object store's credentials come from the caller's user "
						   "mapping (or a PUBLIC one)."),
				 errhint("CREATE USER MAPPING FOR %s SERVER %s OPTIONS (access_key_id '...', "
						 "secret_access_key '...'), or FOR PUBLIC.",
						 quote_identifier(GetUserNameFromId(GetUserId(), false)),
						 quote_identifier(server->servername))));
	um = GetUserMapping(GetUserId(), serverid);
	v = lakefs_option_value(um->options, "access_key_id");
	ep->access_key_id = v ? pstrdup(v) : NULL;
	v = lakefs_option_value(um->options, "secret_access_key");
	ep->secret_access_key = v ? pstrdup(v) : NULL;
	v = lakefs_option_value(um->options, "session_token");
	ep->session_token = v ? pstrdup(v) : NULL;
	if (ep->access_key_id == NULL || ep->secret_access_key == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("user mapping for server \"%s\" has no credentials", server->servername),
				 errhint("Set access_key_id and secret_access_key in the user mapping.")));
	return ep;
}

/*-------------------------------------------------------------------------
 *
 * option.h
 *		option.c's declarations: the lakefs_s3 foreign data wrapper's
 *		options, a server's endpoint (with the caller's user mapping) and
 *		option values. (fdw.c, the foreign-table scan, needs no header.)
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAKEFS_OPTION_H
#define LAKEFS_OPTION_H

#include "nodes/pg_list.h"

#include "s3_client.h"

/* option.c */

/*
 * lakefs_s3_server_oid: the OID of the named lakefs_s3 foreign server.
 * Throws if it does not exist or belongs to another wrapper.
 */
extern Oid	lakefs_s3_server_oid(const char *servername);

/*
 * lakefs_s3_endpoint: server options and the current user's mapping,
 * resolved and palloc'd in the current context. When check_usage, throws
 * unless the current user has USAGE on the server. Throws if the server has
 * no endpoint or the mapping lacks credentials.
 */
extern S3Endpoint *lakefs_s3_endpoint(Oid serverid, bool check_usage);

/*
 * lakefs_parse_endpoint_url: split an http/https URL into scheme and
 * host[:port] (both palloc'd). Returns NULL on success, else a static reason.
 */
extern const char *lakefs_parse_endpoint_url(const char *url, char **scheme,
											 char **host);

/* The value of option name in a DefElem list, or NULL. */
extern const char *lakefs_option_value(List *options, const char *name);

#endif							/* LAKEFS_OPTION_H */

/*-------------------------------------------------------------------------
 *
 * catalog_blob.c
 *		Reading one content-addressed object of the catalog (a range, an
 *		index node or a metarange) by its primary key, with a direct index
 *		scan instead of an SPI statement.
 *
 * Every diff, merge, listing and commit reads ranges and index nodes one at
 * a time, hundreds of them for a merge of 100 scattered changes on 10M
 * entries. Through SPI each read paid for the executor's start-up and
 * shutdown, the switch to the extension owner and the search_path pinned
 * around it (catalog_spi.c), several times the cost of the index descent
 * itself. Here a read is what a system-catalog lookup is: the table's
 * primary-key index (repo_id, id) scanned for one tuple under the
 * transaction's snapshot, its data column detoasted into the caller's
 * memory.
 *
 * Rights and visibility are those of the SPI statement it replaces: with a
 * 0.2.0 catalog the read is the extension owner's (the one door, whose
 * tables users cannot read), with a 0.1.0 catalog the caller needs SELECT
 * on the table, as then. The command counter is advanced first, as a
 * non-read-only SPI statement does, so an object written earlier in the
 * transaction is found.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "catalog_spi.h"
#include "lakefs_hash.h"

/*
 * catalog_get_blob: the data column of the row (repo_id, id) of table
 * lakefs.<relname> (ranges, index_nodes or metaranges), detoasted and
 * palloc'd in the current context (the caller frees it or its context);
 * NULL when there is no such row. Throws 42501 on a 0.1.0 catalog for a
 * caller without SELECT on the table, and on catalog errors (a table or
 * its primary key missing: the extension is damaged).
 */
bytea *
catalog_get_blob(const char *relname, int32 repo_id, const uint8 *id)
{
	Oid			ns = get_namespace_oid("lakefs", false);
	Oid			relid = get_relname_relid(relname, ns);
	Relation	rel;
	Oid			pk;
	AttrNumber	repo_att;
	AttrNumber	id_att;
	AttrNumber	data_att;
	ScanKeyData key[2];
	bytea	   *id_bytes;
	Snapshot	snap;
	SysScanDesc scan;
	HeapTuple	tup;
	bytea	   *out = NULL;

	if (!OidIsValid(relid))
		elog(ERROR, "relation lakefs.%s does not exist", relname);
	if (!catalog_one_door())
	{
		AclResult	acl = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);

		if (acl != ACLCHECK_OK)
			aclcheck_error(acl, OBJECT_TABLE, relname);
	}
	rel = table_open(relid, AccessShareLock);
	pk = RelationGetPrimaryKeyIndex(rel);
	/* scan keys name heap columns; systable_beginscan maps them to the index's */
	repo_att = get_attnum(relid, "repo_id");
	id_att = get_attnum(relid, "id");
	data_att = get_attnum(relid, "data");
	if (!OidIsValid(pk) || repo_att == InvalidAttrNumber || id_att == InvalidAttrNumber ||
		data_att == InvalidAttrNumber)
		elog(ERROR, "lakefs.%s lacks its primary key or one of its columns", relname);
	id_bytes = (bytea *) palloc(VARHDRSZ + LK_ID_LEN);
	SET_VARSIZE(id_bytes, VARHDRSZ + LK_ID_LEN);
	memcpy(VARDATA(id_bytes), id, LK_ID_LEN);
	ScanKeyInit(&key[0], repo_att, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(repo_id));
	ScanKeyInit(&key[1], id_att, BTEqualStrategyNumber, F_BYTEAEQ, PointerGetDatum(id_bytes));
	CommandCounterIncrement();
	snap = RegisterSnapshot(GetTransactionSnapshot());
	scan = systable_beginscan(rel, pk, true, snap, 2, key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, data_att, RelationGetDescr(rel), &isnull);

		if (!isnull)
			out = DatumGetByteaPCopy(d);
	}
	systable_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, NoLock);
	pfree(id_bytes);
	return out;
}

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
 * itself. Here a read is an index scan of the table's primary key
 * (repo_id, id) for one tuple under the transaction's snapshot, its data
 * column detoasted into the caller's memory. (index_beginscan itself, not
 * systable_beginscan, which falls back to a whole-table scan under
 * ignore_system_indexes, a setting any session may choose.)
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
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "catalog_spi.h"
#include "lakefs_hash.h"

/* tables whose shape was checked (a new relation gets a new OID): few */
#define CHECKED_TABLES 8
static Oid	checked_relid[CHECKED_TABLES];
static AttrNumber checked_data_att[CHECKED_TABLES];
static int	checked_next;

/*
 * data_column: the data column of lakefs.<relname> (relid), after checking
 * once a backend per relation that its primary key (index) is (repo_id, id);
 * not on every read, which is the catalog's hottest path
 */
static AttrNumber
data_column(Oid relid, Relation index, const char *relname)
{
	AttrNumber	data_att;
	int			slot;

	for (int i = 0; i < CHECKED_TABLES; i++)
		if (checked_relid[i] == relid)
			return checked_data_att[i];
	data_att = get_attnum(relid, "data");
	if (data_att == InvalidAttrNumber ||
		IndexRelationGetNumberOfKeyAttributes(index) != 2 ||
		index->rd_index->indkey.values[0] != get_attnum(relid, "repo_id") ||
		index->rd_index->indkey.values[1] != get_attnum(relid, "id"))
		elog(ERROR, "lakefs.%s lacks its data column or its primary key (repo_id, id)",
			 relname);
	slot = checked_next++ % CHECKED_TABLES;
	checked_relid[slot] = relid;
	checked_data_att[slot] = data_att;
	return data_att;
}

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
	Relation	index;
	Oid			pk;
	AttrNumber	data_att;
	ScanKeyData key[2];
	bytea	   *id_bytes;
	Snapshot	snap;
	IndexScanDesc scan;
	TupleTableSlot *slot;
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
	if (!OidIsValid(pk))
		elog(ERROR, "lakefs.%s has no primary key", relname);
	index = index_open(pk, AccessShareLock);
	data_att = data_column(relid, index, relname);
	id_bytes = (bytea *) palloc(VARHDRSZ + LK_ID_LEN);
	SET_VARSIZE(id_bytes, VARHDRSZ + LK_ID_LEN);
	memcpy(VARDATA(id_bytes), id, LK_ID_LEN);
	/* index scan keys number the index's columns: 1 = repo_id, 2 = id */
	ScanKeyInit(&key[0], 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(repo_id));
	ScanKeyInit(&key[1], 2, BTEqualStrategyNumber, F_BYTEAEQ, PointerGetDatum(id_bytes));
	CommandCounterIncrement();
	snap = RegisterSnapshot(GetTransactionSnapshot());
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, index, snap, 2, 0);
	index_rescan(scan, key, 2, NULL, 0);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		d = slot_getattr(slot, data_att, &isnull);

		if (!isnull)
			out = DatumGetByteaPCopy(d);
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	UnregisterSnapshot(snap);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	pfree(id_bytes);
	return out;
}

/*
 * modify.c
 *		INSERT / UPDATE / DELETE through the Python write API.
 *
 * insert(values) and update(rowid, newvalues) get dicts of every column;
 * update and delete(rowid) get the value of the rowid_column itself.  A dict
 * returned by insert/update/delete is laid over the row PostgreSQL sends to
 * RETURNING (keys it lacks keep their values).  bulk_insert() receives
 * modify_batch_size rows at a time, only when RETURNING and row triggers
 * are absent (PostgreSQL could not return rows from a batch).
 */
#include "multicorn.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#define MC_ROWID_JUNK "mc_rowid"
#define MC_RETURNING_JUNK "mc_returning_%d"	/* DELETE ... RETURNING's columns */

typedef struct MCModifyState
{
	MCInstance *entry;
	MCTableInfo *info;
	char	   *classname;
	MCRowReader *reader;		/* for dicts returned by the FDW */
	AttrNumber	rowid_junk;		/* in the subplan's output */
	Oid			rowid_type;
	AttrNumber *returning_junk; /* DELETE: per column, its junk column or 0 */
	AttrNumber	wholerow_junk;	/* DELETE: the whole row's junk column or 0 */
	MemoryContext rowcxt;
} MCModifyState;

/*
 * The rowid_column name.  None (the default), or the NotImplementedError of
 * older base classes, means a read-only wrapper: INSERT, UPDATE and DELETE
 * all fail here, before any write method runs (multicorn2's rule and text).
 */
static char *
rowid_column_name(MCInstance *entry, const char *relname)
{
	PyObject   *name = PyObject_GetAttrString(entry->instance, "rowid_column");
	char	   *result;

	if (name == NULL && !PyErr_ExceptionMatches(PyExc_NotImplementedError) &&
		!PyErr_ExceptionMatches(PyExc_AttributeError))
		mc_raise_python_error();	/* the wrapper's own message (e.g. read-only table) */
	if (name == NULL || name == Py_None)
	{
		Py_XDECREF(name);
		PyErr_Clear();
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("This FDW does not support the writable API"),
				 errdetail("%s has no rowid_column, so foreign table \"%s\" is read-only.",
						   mc_class_name(entry->instance), relname),
				 errhint("A writable wrapper's rowid_column property names the column that identifies a row.")));
	}
	if (!PyUnicode_Check(name))
	{
		char	   *tpname = pstrdup(Py_TYPE(name)->tp_name);

		Py_DECREF(name);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("%s.rowid_column must be a column name (str), not %s",
						mc_class_name(entry->instance), tpname)));
	}
	{
		const char *utf8 = PyUnicode_AsUTF8(name);

		if (utf8 == NULL)
			PyErr_Clear();
		result = mc_utf8_to_server(utf8 ? utf8 : "", -1, NULL);
	}
	Py_DECREF(name);
	return result;
}

/*
 * DELETE ... RETURNING shows the deleted row, so the scan must fetch the
 * columns RETURNING uses (execute() sees them in `columns`, as with
 * multicorn2); they travel to ExecForeignDelete as junk columns.  A table
 * reached through inheritance (a foreign partition) gets the whole row: its
 * attribute numbers are not the parent's that RETURNING names.
 */
static void
add_delete_returning_columns(PlannerInfo *root, Index rtindex, Relation rel)
{
	Query	   *parse = root->parse;
	TupleDesc	desc = RelationGetDescr(rel);
	Bitmapset  *attrs = NULL;
	int			i;

	if (parse->commandType != CMD_DELETE || parse->returningList == NIL)
		return;
	if (rtindex != (Index) parse->resultRelation)
	{
		add_row_identity_var(root, makeVar(rtindex, InvalidAttrNumber, RECORDOID, -1,
										   InvalidOid, 0), rtindex, "wholerow");
		return;
	}
	pull_varattnos((Node *) parse->returningList, rtindex, &attrs);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped ||
			!(bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs) ||
			  bms_is_member(att->attnum - FirstLowInvalidHeapAttributeNumber, attrs)))
			continue;
		add_row_identity_var(root, makeVar(rtindex, att->attnum, att->atttypid, att->atttypmod,
										   att->attcollation, 0),
							 rtindex, psprintf(MC_RETURNING_JUNK, att->attnum));
	}
}

void
mcAddForeignUpdateTargets(PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte,
						  Relation target_relation)
{
	MCInstance *entry = mc_get_instance(RelationGetRelid(target_relation), mc_plan_rel_userid(root, rtindex));
	char	   *name = rowid_column_name(entry, RelationGetRelationName(target_relation));
	TupleDesc	desc = RelationGetDescr(target_relation);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
		{
			Var		   *var = makeVar(rtindex, att->attnum, att->atttypid, att->atttypmod,
									  att->attcollation, 0);

			add_row_identity_var(root, var, rtindex, MC_ROWID_JUNK);
			add_delete_returning_columns(root, rtindex, target_relation);
			return;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
			 errmsg("rowid_column \"%s\" of %s is not a column of foreign table \"%s\"",
					name, mc_class_name(entry->instance), RelationGetRelationName(target_relation))));
}

List *
mcPlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
					int subplan_index)
{
	return NIL;
}

/* The state every write needs; the instance is the one of `userid`. */
static MCModifyState *
begin_modify_state(EState *estate, ResultRelInfo *rinfo, Oid userid)
{
	Relation	rel = rinfo->ri_RelationDesc;
	MCModifyState *st = palloc0(sizeof(MCModifyState));

	st->entry = mc_get_instance(RelationGetRelid(rel), userid);
	st->info = mc_table_info(rel);
	st->classname = mc_class_name(st->entry->instance);
	st->rowcxt = AllocSetContextCreate(estate->es_query_cxt, "multicorn modify row",
									   ALLOCSET_DEFAULT_SIZES);
	st->reader = mc_row_reader_create(st->info, NULL, true, st->classname, NULL);
	rinfo->ri_FdwState = st;
	return st;
}

/* Where add_delete_returning_columns() put the deleted row's values. */
static void
find_returning_junk(MCModifyState *st, Plan *subplan)
{
	int			i;

	st->returning_junk = palloc0(sizeof(AttrNumber) * Max(st->info->natts, 1));
	for (i = 0; i < st->info->natts; i++)
	{
		AttrNumber	junk = ExecFindJunkAttributeInTlist(subplan->targetlist,
														psprintf(MC_RETURNING_JUNK, i + 1));

		st->returning_junk[i] = AttributeNumberIsValid(junk) ? junk : 0;
	}
	st->wholerow_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, "wholerow");
	if (!AttributeNumberIsValid(st->wholerow_junk))
		st->wholerow_junk = 0;
}

/*
 * The returning slot of a DELETE holds the deleted row as the scan read it
 * (NULL for columns RETURNING does not use).
 */
static void
store_deleted_row(MCModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	int			natts = slot->tts_tupleDescriptor->natts;
	bool		isnull;
	int			i;

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * natts);
	if (st->wholerow_junk > 0)
	{
		Datum		d = ExecGetJunkAttribute(planSlot, st->wholerow_junk, &isnull);

		if (!isnull)
		{
			HeapTupleHeader td = DatumGetHeapTupleHeader(d);
			HeapTupleData tuple;

			tuple.t_len = HeapTupleHeaderGetDatumLength(td);
			ItemPointerSetInvalid(&tuple.t_self);
			tuple.t_tableOid = InvalidOid;
			tuple.t_data = td;
			heap_deform_tuple(&tuple, slot->tts_tupleDescriptor, slot->tts_values,
							  slot->tts_isnull);
		}
	}
	for (i = 0; st->returning_junk && i < natts && i < st->info->natts; i++)
		if (st->returning_junk[i] > 0)
			slot->tts_values[i] = ExecGetJunkAttribute(planSlot, st->returning_junk[i],
													   &slot->tts_isnull[i]);
	ExecStoreVirtualTuple(slot);
}

void
mcBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private,
					 int subplan_index, int eflags)
{
	EState	   *estate = mtstate->ps.state;
	MCModifyState *st = begin_modify_state(estate, rinfo, mc_result_rel_userid(rinfo, estate));
	CmdType		op = mtstate->operation;

	if (op == CMD_UPDATE || op == CMD_DELETE)
	{
		Plan	   *subplan = outerPlanState(mtstate)->plan;
		char	   *name = rowid_column_name(st->entry, st->info->relname);
		int			i;

		st->rowid_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, MC_ROWID_JUNK);
		if (!AttributeNumberIsValid(st->rowid_junk))
			elog(ERROR, "could not find junk column \"%s\"", MC_ROWID_JUNK);
		for (i = 0; i < st->info->natts; i++)
			if (!st->info->cols[i].dropped && strcmp(st->info->cols[i].name, name) == 0)
				st->rowid_type = st->info->cols[i].typoid;
		if (op == CMD_DELETE)
			find_returning_junk(st, subplan);
	}
	else
		(void) rowid_column_name(st->entry, st->info->relname);	/* read-only: refuse */
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY))
		mc_instance_touch_xact(st->entry);
}

/* All columns of the slot as a dict. */
static PyObject *
slot_to_dict(MCModifyState *st, TupleTableSlot *slot)
{
	PyObject   *dict = PyDict_New();
	int			i;

	if (dict == NULL)
		mc_raise_python_error();
	slot_getallattrs(slot);
	for (i = 0; i < st->info->natts; i++)
	{
		PyObject   *v,
				   *k;

		if (st->info->cols[i].dropped)
			continue;
		v = mc_datum_to_python(slot->tts_values[i], slot->tts_isnull[i], st->info->cols[i].typoid);
		k = mc_py_string(st->info->cols[i].name);
		if (v == NULL || k == NULL || PyDict_SetItem(dict, k, v) < 0)
			mc_raise_python_error();
		Py_DECREF(v);
		Py_DECREF(k);
	}
	return dict;
}

/*
 * Lay a returned dict (or row) over the slot's values and store the
 * result; None leaves the slot as it is.
 */
static void store_result_inner(MCModifyState *st, TupleTableSlot *slot, PyObject *result);

/* store_result_inner(), then drop `result` (also when it raises). */
static void
store_result(MCModifyState *st, TupleTableSlot *slot, PyObject *result)
{
	PG_TRY();
	{
		store_result_inner(st, slot, result);
	}
	PG_FINALLY();
	{
		Py_DECREF(result);
	}
	PG_END_TRY();
}

static void
store_result_inner(MCModifyState *st, TupleTableSlot *slot, PyObject *result)
{
	int			natts = st->info->natts;
	Datum	   *values;
	bool	   *isnull;
	Datum	   *newvalues;
	bool	   *newnulls;
	HeapTuple	tuple;
	int			i;
	MemoryContext old;

	if (result == Py_None)
		return;
	MemoryContextReset(st->rowcxt);
	old = MemoryContextSwitchTo(st->rowcxt);
	slot_getallattrs(slot);
	values = palloc(sizeof(Datum) * natts);
	isnull = palloc(sizeof(bool) * natts);
	newvalues = palloc(sizeof(Datum) * natts);
	newnulls = palloc(sizeof(bool) * natts);
	memcpy(values, slot->tts_values, sizeof(Datum) * natts);
	memcpy(isnull, slot->tts_isnull, sizeof(bool) * natts);
	mc_row_reader_fill(st->reader, result, newvalues, newnulls);
	if (PyDict_Check(result))
	{
		for (i = 0; i < natts; i++)
		{
			PyObject   *key = mc_py_string(st->info->cols[i].name);

			if (!st->info->cols[i].dropped && key && PyDict_Contains(result, key) == 1)
			{
				values[i] = newvalues[i];
				isnull[i] = newnulls[i];
			}
			Py_XDECREF(key);
		}
	}
	else
	{
		memcpy(values, newvalues, sizeof(Datum) * natts);
		memcpy(isnull, newnulls, sizeof(bool) * natts);
	}
	tuple = heap_form_tuple(slot->tts_tupleDescriptor, values, isnull);
	MemoryContextSwitchTo(old);
	ExecForceStoreHeapTuple(tuple, slot, false);
}

static PyObject *
call_method(MCModifyState *st, const char *method, PyObject *a, PyObject *b)
{
	PyObject   *res = b ? PyObject_CallMethod(st->entry->instance, method, "OO", a, b)
		: PyObject_CallMethod(st->entry->instance, method, "O", a);

	mc_check_python(res);
	return res;
}

TupleTableSlot *
mcExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
					TupleTableSlot *planSlot)
{
	MCModifyState *st = rinfo->ri_FdwState;
	PyObject   *values = slot_to_dict(st, slot);
	PyObject   *res = call_method(st, "insert", values, NULL);

	Py_DECREF(values);
	store_result(st, slot, res);	/* consumes res */
	return slot;
}

int
mcGetForeignModifyBatchSize(ResultRelInfo *rinfo)
{
	MCModifyState *st = rinfo->ri_FdwState;
	TriggerDesc *trig = rinfo->ri_TrigDesc;
	PyObject   *size;
	long		n;

	if (st == NULL || rinfo->ri_projectReturning != NULL ||
		(trig && (trig->trig_insert_after_row || trig->trig_insert_before_row)))
		return 1;
	size = PyObject_GetAttrString(st->entry->instance, "modify_batch_size");
	if (size == NULL)
	{
		PyErr_Clear();
		return 1;
	}
	n = PyLong_Check(size) ? PyLong_AsLong(size) : 1;
	Py_DECREF(size);
	PyErr_Clear();
	return n < 1 ? 1 : (int) Min(n, 10000);
}

TupleTableSlot **
mcExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot **slots,
						 TupleTableSlot **planSlots, int *numSlots)
{
	MCModifyState *st = rinfo->ri_FdwState;
	PyObject   *rows = PyList_New(0);
	PyObject   *res;
	int			i;

	if (rows == NULL)
		mc_raise_python_error();
	for (i = 0; i < *numSlots; i++)
	{
		PyObject   *d = slot_to_dict(st, slots[i]);

		if (PyList_Append(rows, d) < 0)
			mc_raise_python_error();
		Py_DECREF(d);
	}
	res = call_method(st, "bulk_insert", rows, NULL);
	Py_DECREF(rows);
	Py_DECREF(res);
	return slots;
}

static PyObject *
rowid_value(MCModifyState *st, TupleTableSlot *planSlot)
{
	bool		isnull;
	Datum		d = ExecGetJunkAttribute(planSlot, st->rowid_junk, &isnull);
	PyObject   *v = mc_datum_to_python(d, isnull, st->rowid_type);

	mc_check_python(v);
	return v;
}

TupleTableSlot *
mcExecForeignUpdate(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
					TupleTableSlot *planSlot)
{
	MCModifyState *st = rinfo->ri_FdwState;
	PyObject   *rowid = rowid_value(st, planSlot);
	PyObject   *values = slot_to_dict(st, slot);
	PyObject   *res = call_method(st, "update", rowid, values);

	Py_DECREF(rowid);
	Py_DECREF(values);
	store_result(st, slot, res);	/* consumes res */
	return slot;
}

TupleTableSlot *
mcExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
					TupleTableSlot *planSlot)
{
	MCModifyState *st = rinfo->ri_FdwState;
	PyObject   *rowid = rowid_value(st, planSlot);
	PyObject   *res = call_method(st, "delete", rowid, NULL);

	Py_DECREF(rowid);
	/* RETURNING shows the deleted row, with what delete() returned laid over it. */
	store_deleted_row(st, slot, planSlot);
	store_result(st, slot, res);	/* consumes res */
	return slot;
}

void
mcEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	MCModifyState *st = rinfo->ri_FdwState;
	PyObject   *res;

	if (st == NULL)
		return;
	res = PyObject_CallMethod(st->entry->instance, "end_modify", NULL);
	mc_check_python(res);
	Py_DECREF(res);
	mc_row_reader_free(st->reader);
}

/*
 * COPY FROM and rows routed to a foreign partition (INSERT into, or UPDATE
 * moving rows into, a partitioned table) insert without BeginForeignModify.
 * Without these two callbacks ExecForeignInsert ran with no state (a crash).
 */
void
mcBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	EState	   *estate = mtstate->ps.state;

	/*
	 * An UPDATE moving rows into a foreign partition that the same UPDATE
	 * also updates: its state is the UPDATE's (replacing it broke the
	 * UPDATE), and the moved rows could be updated a second time.  Refuse,
	 * as postgres_fdw does.
	 */
	if (rinfo->ri_FdwState != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot route rows into foreign table \"%s\", which the same statement updates",
						RelationGetRelationName(rinfo->ri_RelationDesc))));

	/* A routing target may have no range table entry: the root's applies. */
	begin_modify_state(estate, rinfo, mc_result_rel_userid(rinfo, estate));
	(void) rowid_column_name(((MCModifyState *) rinfo->ri_FdwState)->entry,
							 RelationGetRelationName(rinfo->ri_RelationDesc));	/* read-only: refuse */
	mc_instance_touch_xact(((MCModifyState *) rinfo->ri_FdwState)->entry);
}

void
mcEndForeignInsert(EState *estate, ResultRelInfo *rinfo)
{
	mcEndForeignModify(estate, rinfo);
}

int
mcIsForeignRelUpdatable(Relation rel)
{
	return (1 << CMD_INSERT) | (1 << CMD_UPDATE) | (1 << CMD_DELETE);
}

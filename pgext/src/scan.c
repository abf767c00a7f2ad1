/*
 * scan.c
 *		Begin / Iterate / ReScan / End / Explain of a foreign scan.
 *
 * execute() is called on the first Iterate after Begin or ReScan, with the
 * qual values evaluated then (so nested-loop parameters are current).  The
 * Python objects a scan holds are released by End, or by a reset callback
 * on the query's memory context when the query fails.  A join of two of our
 * tables (scanrelid 0) runs in joinpush.c.
 */
#include "multicorn.h"

#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "utils/memutils.h"

extern PyObject *mc_sortkeys_to_python(List *keys);

typedef struct MCScanState
{
	MCInstance *entry;
	MCTableInfo *info;
	char	   *classname;
	List	   *quals;			/* MCQual, value unused at run time */
	List	   *qual_states;	/* ExprState per qual */
	Oid		   *qual_types;
	Datum	   *qual_values;
	bool	   *qual_nulls;
	bool	   *qual_known;
	bool		evaluated;		/* qual_values hold the last execution's */
	int			key_qual;		/* a key join's ANY qual (index), or -1 */
	Datum		key_array;		/* ... its value, set by the join */
	bool		key_set;
	MCRowReader *reader;
	MemoryContext rowcxt;		/* one row's conversion; reset per row */
	MemoryContext paramcxt;		/* qual values of one execution; reset per rescan */
	/* Python objects; released together */
	PyObject   *columns;
	PyObject   *sortkeys;
	PyObject   *limit;
	PyObject   *offset;
	PyObject   *iter;
	PyObject   *row;			/* the row being converted (an ERROR may interrupt) */
	bool		in_next;		/* inside PyIter_Next(iter) */
} MCScanState;

static void
release_scan(MCScanState *st)
{
	Py_CLEAR(st->row);
	if (st->in_next)
	{
		/*
		 * Only a FATAL (proc_exit from inside the generator, e.g. after
		 * pg_terminate_backend) gets here: the generator is still running
		 * on the C stack.  Freeing it would free its running frame; leave
		 * it to the exiting process.
		 */
		st->iter = NULL;
	}
	Py_CLEAR(st->iter);
	Py_CLEAR(st->columns);
	Py_CLEAR(st->sortkeys);
	Py_CLEAR(st->limit);
	Py_CLEAR(st->offset);
	if (st->reader)
		mc_row_reader_free(st->reader);
	st->reader = NULL;
}

/*
 * Runs when the query's memory goes away, normal end or error.  After an
 * error nothing may throw here, so Python errors are only printed.
 */
static void
release_scan_callback(void *arg)
{
	bool		was_pending = mc_error_pending();

	release_scan((MCScanState *) arg);
	if (PyErr_Occurred())
		PyErr_Clear();
	/* A generator's finally block may have parked an error: nobody rethrows it. */
	if (!was_pending && mc_error_pending())
		mc_discard_parked_error();
}

/*
 * The user whose instance (and user mapping) the scan uses: decided now,
 * not when planning, as PostgreSQL checks permissions.  A cached plan (a
 * prepared statement, a PL/pgSQL query) run after SET ROLE used the
 * planning user's mapping, i.e. another role's credentials.
 */
static Oid
scan_userid(ForeignScanState *node)
{
	return mc_scan_userid((ForeignScan *) node->ss.ps.plan, node->ss.ps.state);
}

static PyObject *
int_or_none(int v)
{
	if (v < 0)
		Py_RETURN_NONE;
	return PyLong_FromLong(v);
}

static PyObject *
rowid_name_of(PyObject *instance)
{
	PyObject   *name = PyObject_GetAttrString(instance, "rowid_column");

	if (name == NULL || !PyUnicode_Check(name))
	{
		PyErr_Clear();
		Py_XDECREF(name);
		return NULL;
	}
	return name;
}

/*
 * rowid_column is read only when the scan feeds an UPDATE or DELETE of its
 * table: a plain SELECT never touches the property (as in multicorn2, where
 * a read-only wrapper may warn or raise in it).
 */
static PyObject *
scan_rowid_name(ForeignScanState *node)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	MCScanState *st = node->fdw_state;

	if (!ExecRelationIsTargetRelation(node->ss.ps.state, fsplan->scan.scanrelid))
		return NULL;
	return rowid_name_of(st->entry->instance);
}

void
mcBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	List	   *priv = fsplan->fdw_private;
	Relation	rel = node->ss.ss_currentRelation;
	MCScanState *st = palloc0(sizeof(MCScanState));
	MemoryContextCallback *cb;
	Bitmapset  *needed = NULL;
	ListCell   *lc;
	PyObject   *rowid;
	int			n,
				i = 0;

	if (fsplan->scan.scanrelid == 0)
	{
		mc_join_begin(node, eflags);
		return;
	}
	node->fdw_state = st;
	st->entry = mc_get_instance(RelationGetRelid(rel), scan_userid(node));
	st->info = mc_table_info(rel);
	st->classname = mc_class_name(st->entry->instance);
	st->quals = mc_quals_deserialize(linitial(priv), fsplan->fdw_exprs);
	st->qual_states = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	n = Max(list_length(st->quals), 1);
	st->qual_types = palloc0(sizeof(Oid) * n);
	st->qual_values = palloc0(sizeof(Datum) * n);
	st->qual_nulls = palloc0(sizeof(bool) * n);
	st->qual_known = palloc0(sizeof(bool) * n);
	foreach(lc, fsplan->fdw_exprs)
		st->qual_types[i++] = exprType(lfirst(lc));

	cb = palloc0(sizeof(MemoryContextCallback));
	cb->func = release_scan_callback;
	cb->arg = st;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);

	foreach(lc, (List *) lsecond(priv))
	{
		int			j;

		for (j = 0; j < st->info->natts; j++)
			if (!st->info->cols[j].dropped && strcmp(st->info->cols[j].name, strVal(lfirst(lc))) == 0)
				needed = bms_add_member(needed, j + 1);
	}
	st->columns = PyList_New(0);
	if (st->columns == NULL)
		mc_raise_python_error();
	foreach(lc, (List *) lsecond(priv))
	{
		PyObject   *s = mc_py_string(strVal(lfirst(lc)));

		if (s == NULL || PyList_Append(st->columns, s) < 0)
			mc_raise_python_error();
		Py_DECREF(s);
	}
	st->sortkeys = mc_sortkeys_to_python(lthird(priv));
	st->limit = int_or_none(intVal(lfourth(priv)));
	st->offset = int_or_none(intVal(list_nth(priv, 4)));
	st->key_qual = list_length(priv) > 6 ? intVal(list_nth(priv, 6)) : -1;
	rowid = scan_rowid_name(node);
	st->reader = mc_row_reader_create(st->info, needed, false, st->classname, rowid);
	Py_XDECREF(rowid);
	st->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "multicorn row",
									   ALLOCSET_DEFAULT_SIZES);
	st->paramcxt = AllocSetContextCreate(CurrentMemoryContext, "multicorn params",
										 ALLOCSET_SMALL_SIZES);
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY))
		mc_instance_touch_xact(st->entry);
}

static void
evaluate_quals(MCScanState *st, ExprContext *econtext)
{
	ListCell   *lc;
	int			i = 0;
	MemoryContext old;

	/*
	 * The values live until the next execution (EXPLAIN ANALYZE shows them
	 * after the scan): in per-query memory they would pile up over the
	 * rescans of a parameterized scan, one set per outer row.
	 */
	MemoryContextReset(st->paramcxt);
	old = MemoryContextSwitchTo(st->paramcxt);

	foreach(lc, st->qual_states)
	{
		st->qual_values[i] = ExecEvalExpr(lfirst(lc), econtext, &st->qual_nulls[i]);
		st->qual_known[i] = true;
		i++;
	}
	if (st->key_qual >= 0)
	{
		/* a copy: EXPLAIN ANALYZE may show it after the join freed its batch */
		st->qual_nulls[st->key_qual] = !st->key_set;
		st->qual_values[st->key_qual] = st->key_set ?
			PointerGetDatum(PG_DETOAST_DATUM_COPY(st->key_array)) : (Datum) 0;
	}
	MemoryContextSwitchTo(old);
	st->evaluated = true;
}

/*
 * A key join (keyjoin.c) hands the inner scan the outer keys, as an array
 * of the key's type, before each execution.  The array stays the join's.
 */
void
mc_scan_set_keys(ForeignScanState *node, Datum array)
{
	MCScanState *st = node->fdw_state;

	Assert(st->key_qual >= 0);
	st->key_array = array;
	st->key_set = true;
}

/* kwargs shared by execute() and explain(): only what is set, so older FDWs work. */
static PyObject *
scan_kwargs(MCScanState *st)
{
	PyObject   *kw = PyDict_New();

	if (kw == NULL)
		mc_raise_python_error();
	if (PyList_GET_SIZE(st->sortkeys) > 0)
		PyDict_SetItemString(kw, "sortkeys", st->sortkeys);
	if (st->limit != Py_None)
		PyDict_SetItemString(kw, "limit", st->limit);
	if (st->offset != Py_None)
		PyDict_SetItemString(kw, "offset", st->offset);
	return kw;
}

static void
start_execute(MCScanState *st, ForeignScanState *node)
{
	PyObject   *quals,
			   *method,
			   *args,
			   *kwargs,
			   *result;

	evaluate_quals(st, node->ss.ps.ps_ExprContext);
	quals = mc_quals_to_python(st->quals, st->info, st->qual_values, st->qual_nulls,
							   st->qual_types, st->qual_known);
	method = PyObject_GetAttrString(st->entry->instance, "execute");
	mc_check_python(method);
	args = PyTuple_Pack(2, quals, st->columns);
	kwargs = scan_kwargs(st);
	Py_DECREF(quals);
	result = PyObject_Call(method, args, kwargs);
	Py_DECREF(method);
	Py_XDECREF(args);
	Py_DECREF(kwargs);
	mc_check_python(result);
	if (result == Py_None)
	{
		/* multicorn2 reads None as no rows. */
		Py_DECREF(result);
		result = PyTuple_New(0);
		mc_check_python(result);
	}
	st->iter = PyObject_GetIter(result);
	Py_DECREF(result);
	mc_check_python(st->iter);
}

TupleTableSlot *
mcIterateForeignScan(ForeignScanState *node)
{
	MCScanState *st = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	PyObject   *row;
	MemoryContext old;

	if (((ForeignScan *) node->ss.ps.plan)->scan.scanrelid == 0)
		return mc_join_iterate(node);
	ExecClearTuple(slot);
	if (st->iter == NULL)
		start_execute(st, node);
	st->in_next = true;
	row = PyIter_Next(st->iter);
	st->in_next = false;
	if (row == NULL)
	{
		if (PyErr_Occurred() || mc_error_pending())
			mc_raise_python_error();
		return slot;
	}
	mc_check_python(row);
	/* Held by the state so that a conversion ERROR does not leak it. */
	st->row = row;
	MemoryContextReset(st->rowcxt);
	old = MemoryContextSwitchTo(st->rowcxt);
	mc_row_reader_fill(st->reader, row, slot->tts_values, slot->tts_isnull);
	MemoryContextSwitchTo(old);
	Py_CLEAR(st->row);
	return ExecStoreVirtualTuple(slot);
}

void
mcReScanForeignScan(ForeignScanState *node)
{
	MCScanState *st = node->fdw_state;

	if (((ForeignScan *) node->ss.ps.plan)->scan.scanrelid == 0)
	{
		mc_join_rescan(node);
		return;
	}
	/* Closing the iterator runs the generator's finally blocks. */
	Py_CLEAR(st->iter);
	if (mc_error_pending() || PyErr_Occurred())
		mc_raise_python_error();
}

void
mcEndForeignScan(ForeignScanState *node)
{
	MCScanState *st = node->fdw_state;
	PyObject   *res;

	if (st == NULL)
		return;
	if (((ForeignScan *) node->ss.ps.plan)->scan.scanrelid == 0)
	{
		mc_join_end(node);
		return;
	}
	Py_CLEAR(st->iter);
	if (mc_error_pending() || PyErr_Occurred())
		mc_raise_python_error();
	res = PyObject_CallMethod(st->entry->instance, "end_scan", NULL);
	mc_check_python(res);
	Py_DECREF(res);
	release_scan(st);
}

static bool
has_exec_param(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	return expression_tree_walker(node, has_exec_param, context);
}

/* Does a qual's value depend on an outer row (unknown in a plain EXPLAIN)? */
bool
mc_has_exec_param(Node *node)
{
	return has_exec_param(node, NULL);
}

/* `Planned Calls: <calls> in <rounds> round(s) per execution` */
void
mc_explain_planned_calls(double calls, double rounds, ExplainState *es)
{
	ExplainPropertyText("Planned Calls",
						psprintf("%.0f in %.0f round%s per execution", calls, rounds,
								 rounds == 1 ? "" : "s"),
						es);
}

/*
 * The API calls the planner expected one execution to make, and in how many
 * rounds (from the wrapper's get_call_estimate(); 1 in 1 without it).
 */
static void
explain_planned_calls(ForeignScan *fsplan, ExplainState *es)
{
	List	   *calls;

	if (list_length(fsplan->fdw_private) <= 7)
		return;
	calls = list_nth(fsplan->fdw_private, 7);
	mc_explain_planned_calls(floatVal(linitial(calls)), floatVal(lsecond(calls)), es);
}

void
mcExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	MCScanState *st = node->fdw_state;
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	PyObject   *quals,
			   *method,
			   *args,
			   *kwargs,
			   *lines;

	if (fsplan->scan.scanrelid == 0)
	{
		mc_join_explain(node, es);
		return;
	}
	if (!st->evaluated)
	{
		/* Plain EXPLAIN: values that do not depend on outer rows are known. */
		ListCell   *lc,
				   *le;
		int			i = 0;

		forboth(lc, st->qual_states, le, fsplan->fdw_exprs)
		{
			if (i != st->key_qual && !has_exec_param(lfirst(le), NULL))
			{
				st->qual_values[i] = ExecEvalExpr(lfirst(lc), node->ss.ps.ps_ExprContext,
												  &st->qual_nulls[i]);
				st->qual_known[i] = true;
			}
			i++;
		}
	}
	explain_planned_calls(fsplan, es);
	quals = mc_quals_to_python(st->quals, st->info, st->qual_values, st->qual_nulls,
							   st->qual_types, st->qual_known);
	method = PyObject_GetAttrString(st->entry->instance, "explain");
	mc_check_python(method);
	args = PyTuple_Pack(2, quals, st->columns);
	kwargs = scan_kwargs(st);
	PyDict_SetItemString(kwargs, "verbose", es->verbose ? Py_True : Py_False);
	if (PyDict_GetItemString(kwargs, "sortkeys") == NULL)
		PyDict_SetItemString(kwargs, "sortkeys", Py_None);	/* multicorn2: None, not [] */
	Py_DECREF(quals);
	lines = PyObject_Call(method, args, kwargs);
	Py_DECREF(method);
	Py_XDECREF(args);
	Py_DECREF(kwargs);
	mc_explain_lines(lines, es);
}

/*
 * What a wrapper's explain() or explain_join() returned (a new reference,
 * or NULL with a Python error set): None, or an iterable whose items are
 * shown with str() as "Multicorn" lines.
 */
void
mc_explain_lines(PyObject *lines, ExplainState *es)
{
	PyObject   *iter;
	PyObject   *line;

	mc_check_python(lines);
	if (lines == Py_None)
	{
		Py_DECREF(lines);
		return;
	}
	iter = PyObject_GetIter(lines);
	Py_DECREF(lines);
	mc_check_python(iter);
	while ((line = PyIter_Next(iter)) != NULL)
	{
		char	   *text = mc_pystr(line);

		Py_DECREF(line);
		ExplainPropertyText("Multicorn", text, es);
	}
	Py_DECREF(iter);
	if (PyErr_Occurred() || mc_error_pending())
		mc_raise_python_error();
}

/*
 * joinpush.c
 *		foreign_a JOIN foreign_b (two tables of one server) as one call of
 *		the wrapper's execute_join(): GetForeignJoinPaths, the join's plan,
 *		and its execution.
 *
 * Our runtime only (multicorn2 never offers a join to the wrapper).  A
 * wrapper opts in by defining get_join_estimate() and execute_join() (and
 * optionally explain_join()); the base class defines none of them.
 *
 * Planning: an INNER join of exactly two of our base foreign tables, without
 * lateral references, row marks (FOR UPDATE, UPDATE/DELETE ... FROM), a
 * target relation, pseudo-constant join clauses, or whole-row / system
 * columns, is offered first to the outer table's instance
 * (`outer.get_join_estimate(inner, ...)`), then, if it declines, to the
 * inner's.  The first one to accept is `self` at execution.  The answer is
 * asked once per join relation (cached in joinrel->fdw_private).  The path's
 * cost is a base scan's for the (calls, rounds) the wrapper gives, plus its
 * rows: so one round for the join beats two scans of one round each.
 *
 * The plan is a ForeignScan with scanrelid 0 whose scan tuple
 * (fdw_scan_tlist) holds the Vars of both tables the query needs; its qual
 * is every join clause and both tables' restriction clauses, so PostgreSQL
 * rechecks each (row, other_row) pair and the wrapper may return a superset.
 *
 * Execution: execute_join() with both tables' quals bound as a base scan
 * binds them (parameters evaluated per execution, so a rescan under a nested
 * loop or a correlated subquery sees its new values), then each pair is
 * converted by the tables' row readers into the scan tuple.
 */
#include "multicorn.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

/* multicorn.enable_join_pushdown, defined with the other GUCs in keyjoin.c */
bool		mc_enable_join_pushdown = true;

/* What GetForeignJoinPaths decided for a join relation (its fdw_private). */
typedef struct MCJoinPlanState
{
	bool		pushed;			/* false: declined or not applicable */
	RelOptInfo *self;			/* the table whose execute_join() runs */
	RelOptInfo *other;
	List	   *clauses;		/* (String column, String op, String other_column) */
	List	   *local;			/* every clause to recheck on a pair (Expr) */
	double		calls;
	double		rounds;
} MCJoinPlanState;

/* fdw_private of the plan, by position */
enum MCJoinPrivate
{
	MJP_SELF_FIRST = 0,			/* Integer: self has the lower range table index */
	MJP_CLAUSES,				/* as MCJoinPlanState.clauses */
	MJP_CALLS,					/* (Float calls, Float rounds) */
	MJP_SELF_QUALS,				/* serialized quals of self; their values first in fdw_exprs */
	MJP_OTHER_QUALS,			/* ... of other; their values next */
	MJP_SELF_COLUMNS,			/* List of String: the columns needed of self */
	MJP_OTHER_COLUMNS
};

/* ---------- planning ---------- */

static bool
ours(RelOptInfo *rel)
{
	return rel->reloptkind == RELOPT_BASEREL && rel->fdwroutine != NULL &&
		rel->fdwroutine->GetForeignPaths == mcGetForeignPaths && rel->fdw_private != NULL;
}

static Node *
strip_relabel(Node *n)
{
	while (n && IsA(n, RelabelType))
		n = (Node *) ((RelabelType *) n)->arg;
	return n;
}

/* Clauses of a RestrictInfo list (all of them: pseudo-constant ones too). */
static List *
clauses_of(List *rinfos)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, rinfos)
		result = lappend(result, lfirst_node(RestrictInfo, lc)->clause);
	return result;
}

/* Does the scan tuple need a whole-row or system column (which we cannot fill)? */
static bool
needs_special_column(List *exprs)
{
	List	   *vars = pull_var_clause((Node *) exprs, PVC_RECURSE_PLACEHOLDERS);
	ListCell   *lc;

	foreach(lc, vars)
	{
		Var		   *var = lfirst(lc);

		if (!IsA(var, Var) || var->varattno <= 0)
			return true;
	}
	return false;
}

/*
 * Every clause PostgreSQL rechecks on a pair: the join's and both tables'
 * restriction clauses.  False when the join cannot be pushed.
 */
static bool
local_clauses(RelOptInfo *joinrel, RelOptInfo *a, RelOptInfo *b, JoinPathExtraData *extra,
			  List **local)
{
	ListCell   *lc;

	foreach(lc, extra->restrictlist)
	{
		/* would need a gating Result, which a join's scan does not get */
		if (lfirst_node(RestrictInfo, lc)->pseudoconstant)
			return false;
	}
	*local = list_concat(clauses_of(extra->restrictlist), clauses_of(a->baserestrictinfo));
	*local = list_concat(*local, clauses_of(b->baserestrictinfo));
	return !needs_special_column(list_concat(list_copy(joinrel->reltarget->exprs), *local));
}

static bool
pushable(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel, RelOptInfo *innerrel)
{
	Index		result = root->parse->resultRelation;

	return ours(outerrel) && ours(innerrel) && root->rowMarks == NIL &&
		!(result > 0 && bms_is_member(result, joinrel->relids)) &&
		bms_is_empty(joinrel->lateral_relids) && bms_is_empty(outerrel->lateral_relids) &&
		bms_is_empty(innerrel->lateral_relids);
}

/* A plain column of rel (under binary-compatible casts), or NULL. */
static Var *
column_of(Node *node, RelOptInfo *rel)
{
	node = strip_relabel(node);
	if (node && IsA(node, Var) && ((Var *) node)->varno == rel->relid &&
		((Var *) node)->varattno > 0 && ((Var *) node)->varlevelsup == 0)
		return (Var *) node;
	return NULL;
}

static char *
column_name(RelOptInfo *rel, AttrNumber attnum)
{
	MCTableInfo *info;
	Oid			userid;
	List	   *cols;

	mc_rel_instance(rel, &info, &userid, &cols);
	return info->cols[attnum - 1].name;
}

/*
 * The join clauses `self.column <op> other.other_column` between plain
 * columns, written the other way round turned with the commutator.
 */
static List *
oriented_clauses(List *restrictlist, RelOptInfo *self, RelOptInfo *other)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, restrictlist)
	{
		Expr	   *clause = lfirst_node(RestrictInfo, lc)->clause;
		OpExpr	   *op;
		Var		   *mine,
				   *theirs;
		Oid			opno;
		char	   *opname;

		if (!IsA(clause, OpExpr) || list_length(((OpExpr *) clause)->args) != 2)
			continue;
		op = (OpExpr *) clause;
		opno = op->opno;
		mine = column_of(linitial(op->args), self);
		theirs = column_of(lsecond(op->args), other);
		if (mine == NULL || theirs == NULL)
		{
			mine = column_of(lsecond(op->args), self);
			theirs = column_of(linitial(op->args), other);
			opno = get_commutator(opno);
		}
		if (mine == NULL || theirs == NULL || !OidIsValid(opno) ||
			(opname = get_opname(opno)) == NULL)
			continue;
		result = lappend(result, list_make3(makeString(column_name(self, mine->varattno)),
											makeString(opname),
											makeString(column_name(other, theirs->varattno))));
	}
	return result;
}

/* [(column, operator, other_column), ...] */
static PyObject *
clauses_to_python(List *clauses)
{
	PyObject   *list = PyList_New(0);
	ListCell   *lc;

	if (list == NULL)
		mc_raise_python_error();
	foreach(lc, clauses)
	{
		List	   *c = lfirst(lc);
		PyObject   *t = Py_BuildValue("(NsN)", mc_py_string(strVal(linitial(c))),
									  strVal(lsecond(c)), mc_py_string(strVal(lthird(c))));

		if (t == NULL || PyList_Append(list, t) < 0)
			mc_raise_python_error();
		Py_DECREF(t);
	}
	return list;
}

static PyObject *
names_to_set(List *names)
{
	PyObject   *set = PySet_New(NULL);
	ListCell   *lc;

	if (set == NULL)
		mc_raise_python_error();
	foreach(lc, names)
	{
		PyObject   *s = mc_py_string(strVal(lfirst(lc)));

		if (s == NULL || PySet_Add(set, s) < 0)
			mc_raise_python_error();
		Py_DECREF(s);
	}
	return set;
}

/* (other, clauses, quals, other_quals, columns, other_columns) */
static PyObject *
join_args(PyObject *other, PyObject *clauses, PyObject *quals, PyObject *other_quals,
		  List *columns, List *other_columns)
{
	PyObject   *args = Py_BuildValue("(ONNNNN)", other, clauses, quals, other_quals,
									 names_to_set(columns), names_to_set(other_columns));

	mc_check_python(args);
	return args;
}

/*
 * self.get_join_estimate(other, ...): true when it accepts; then sets the
 * joined rows, calls, rounds and width it gives (defaults: PostgreSQL's
 * rows and width, 1 call in 1 round).
 */
static bool
ask_estimate(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *self, RelOptInfo *other,
			 List *clauses, double *rows, double *calls, double *rounds, double *width)
{
	MCTableInfo *info,
			   *oinfo;
	Oid			userid;
	List	   *cols,
			   *ocols;
	MCInstance *me = mc_rel_instance(self, &info, &userid, &cols);
	MCInstance *them = mc_rel_instance(other, &oinfo, &userid, &ocols);
	PyObject   *method,
			   *args,
			   *res;

	if (!PyObject_HasAttrString(me->instance, "get_join_estimate"))
		return false;
	method = PyObject_GetAttrString(me->instance, "get_join_estimate");
	mc_check_python(method);
	args = join_args(them->instance, clauses_to_python(clauses), mc_rel_plan_quals(root, self),
					 mc_rel_plan_quals(root, other), cols, ocols);
	res = PyObject_Call(method, args, NULL);
	Py_DECREF(method);
	Py_DECREF(args);
	mc_check_python(res);
	if (res == Py_None)
	{
		Py_DECREF(res);
		return false;
	}
	if (!PyDict_Check(res))
	{
		Py_DECREF(res);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("%s.get_join_estimate() must return None or a dict {'rows': n, 'calls': c, 'rounds': r}",
						mc_class_name(me->instance))));
	}
	/* PyDict_GetItemString: borrowed, NULL (the default) when missing */
	*rows = mc_rel_estimate(self, PyDict_GetItemString(res, "rows"), joinrel->rows,
							"the rows of get_join_estimate()");
	*calls = mc_rel_estimate(self, PyDict_GetItemString(res, "calls"), 1,
							 "the calls of get_join_estimate()");
	*rounds = mc_rel_estimate(self, PyDict_GetItemString(res, "rounds"), 1,
							  "the rounds of get_join_estimate()");
	*width = mc_rel_estimate(self, PyDict_GetItemString(res, "width"), joinrel->reltarget->width,
							 "the width of get_join_estimate()");
	Py_DECREF(res);
	*rounds = Min(*rounds, *calls);
	*width = Min(*width, MaxAllocSize);
	return true;
}

/* Ask outer, then inner; fills js when one accepts. */
static bool
choose_self(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel,
			RelOptInfo *innerrel, JoinPathExtraData *extra, MCJoinPlanState *js,
			double *rows, double *width)
{
	RelOptInfo *order[2] = {outerrel, innerrel};
	int			i;

	for (i = 0; i < 2; i++)
	{
		RelOptInfo *self = order[i],
				   *other = order[1 - i];
		List	   *clauses = oriented_clauses(extra->restrictlist, self, other);

		if (ask_estimate(root, joinrel, self, other, clauses, rows, &js->calls, &js->rounds,
						 width))
		{
			js->self = self;
			js->other = other;
			js->clauses = clauses;
			return true;
		}
	}
	return false;
}

void
mcGetForeignJoinPaths(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel,
					  RelOptInfo *innerrel, JoinType jointype, JoinPathExtraData *extra)
{
	MCJoinPlanState *js;
	PathTarget *target;
	double		rows,
				width,
				startup;

	if (!mc_enable_join_pushdown || joinrel->fdw_private != NULL || jointype != JOIN_INNER)
		return;
	/* decided once per join relation, whatever the answer */
	js = palloc0(sizeof(MCJoinPlanState));
	joinrel->fdw_private = js;
	if (!pushable(root, joinrel, outerrel, innerrel))
		return;
	if (!local_clauses(joinrel, outerrel, innerrel, extra, &js->local))
		return;
	if (!choose_self(root, joinrel, outerrel, innerrel, extra, js, &rows, &width))
		return;
	js->pushed = true;
	target = copy_pathtarget(joinrel->reltarget);
	target->width = (int) width;
	startup = mc_rel_calls_cost(js->self, js->calls, js->rounds);
	add_path(joinrel, (Path *)
			 mc_create_foreign_join_path(root, joinrel, target, joinrel->rows, startup,
										 startup + clamp_row_est(rows) * MC_ROW_COST,
										 NIL, NULL, NULL, NIL));
}

/* Serialized quals of a base rel's restrictions; appends their values to *exprs. */
static List *
side_quals(PlannerInfo *root, RelOptInfo *rel, List **exprs)
{
	List	   *quals = mc_extract_quals(root, rel, rel->baserestrictinfo, NULL);
	ListCell   *lc;

	foreach(lc, quals)
		*exprs = lappend(*exprs, ((MCQual *) lfirst(lc))->value);
	return mc_quals_serialize(quals);
}

ForeignScan *
mc_join_plan(PlannerInfo *root, RelOptInfo *joinrel, ForeignPath *best_path, List *tlist,
			 Plan *outer_plan)
{
	MCJoinPlanState *js = joinrel->fdw_private;
	List	   *scan_tlist,
			   *exprs = NIL,
			   *priv,
			   *cols,
			   *ocols;
	MCTableInfo *info;
	Oid			userid;

	Assert(js != NULL && js->pushed);
	scan_tlist = add_to_flat_tlist(NIL, pull_var_clause((Node *) joinrel->reltarget->exprs,
														PVC_RECURSE_PLACEHOLDERS));
	scan_tlist = add_to_flat_tlist(scan_tlist, pull_var_clause((Node *) js->local,
															   PVC_RECURSE_PLACEHOLDERS));
	mc_rel_instance(js->self, &info, &userid, &cols);
	mc_rel_instance(js->other, &info, &userid, &ocols);
	priv = list_make3(makeInteger(js->self->relid < js->other->relid), js->clauses,
					  list_make2(makeFloat(psprintf("%g", js->calls)),
								 makeFloat(psprintf("%g", js->rounds))));
	priv = lappend(priv, side_quals(root, js->self, &exprs));
	priv = lappend(priv, side_quals(root, js->other, &exprs));
	priv = lappend(priv, list_copy(cols));
	priv = lappend(priv, list_copy(ocols));
	/* every clause rechecked on each pair: the wrapper may return a superset */
	return make_foreignscan(tlist, js->local, 0, exprs, priv, scan_tlist, NIL, outer_plan);
}

/* ---------- execution ---------- */

typedef struct MCJoinSide
{
	Index		rti;			/* in the executor's range table */
	MCInstance *entry;
	MCTableInfo *info;
	List	   *quals;			/* MCQual */
	int			first;			/* its first qual's index in the bound values */
	PyObject   *columns;		/* set of names */
	MCRowReader *reader;
	Datum	   *values;			/* one row, natts entries */
	bool	   *isnull;
} MCJoinSide;

typedef struct MCJoinScanState
{
	MCJoinSide	side[2];		/* self, other */
	PyObject   *clauses;
	List	   *qual_states;	/* ExprState per value of fdw_exprs */
	int			nquals;
	Oid		   *qual_types;
	Datum	   *qual_values;
	bool	   *qual_nulls;
	bool	   *qual_known;
	bool		evaluated;
	int			ntlist;			/* scan tuple: per column, the side and attnum */
	int		   *tl_side;
	AttrNumber *tl_attnum;
	MemoryContext rowcxt;		/* one pair's conversion; reset per pair */
	MemoryContext paramcxt;		/* qual values of one execution */
	PyObject   *iter;
	PyObject   *pair;			/* the pair being converted */
	bool		in_next;
} MCJoinScanState;

static void
release_join(MCJoinScanState *st)
{
	int			i;

	Py_CLEAR(st->pair);
	if (st->in_next)
		st->iter = NULL;		/* a FATAL inside the generator: see scan.c */
	Py_CLEAR(st->iter);
	Py_CLEAR(st->clauses);
	for (i = 0; i < 2; i++)
	{
		Py_CLEAR(st->side[i].columns);
		if (st->side[i].reader)
			mc_row_reader_free(st->side[i].reader);
		st->side[i].reader = NULL;
	}
}

/* At the query's end or error; never throws (as scan.c's). */
static void
release_join_callback(void *arg)
{
	bool		was_pending = mc_error_pending();

	release_join((MCJoinScanState *) arg);
	if (PyErr_Occurred())
		PyErr_Clear();
	if (!was_pending && mc_error_pending())
		mc_discard_parked_error();
}

static void
begin_side(MCJoinSide *side, EState *estate, Oid userid, List *quals, int first,
		   List *columns)
{
	Oid			relid = exec_rt_fetch(side->rti, estate)->relid;
	Relation	rel = table_open(relid, NoLock);

	side->info = mc_table_info(rel);
	table_close(rel, NoLock);
	side->entry = mc_get_instance(relid, userid);
	side->quals = quals;
	side->first = first;
	side->columns = names_to_set(columns);
	side->values = palloc0(sizeof(Datum) * Max(side->info->natts, 1));
	side->isnull = palloc0(sizeof(bool) * Max(side->info->natts, 1));
}

/* Which side and column fills each column of the scan tuple. */
static void
map_scan_tlist(MCJoinScanState *st, List *scan_tlist, Bitmapset **needed)
{
	ListCell   *lc;
	int			i = 0;

	st->ntlist = list_length(scan_tlist);
	st->tl_side = palloc0(sizeof(int) * Max(st->ntlist, 1));
	st->tl_attnum = palloc0(sizeof(AttrNumber) * Max(st->ntlist, 1));
	foreach(lc, scan_tlist)
	{
		Var		   *var = (Var *) lfirst_node(TargetEntry, lc)->expr;

		if (!IsA(var, Var) || var->varattno <= 0 ||
			(var->varno != st->side[0].rti && var->varno != st->side[1].rti))
			elog(ERROR, "unexpected expression in a multicorn join's scan tuple");
		st->tl_side[i] = var->varno == st->side[0].rti ? 0 : 1;
		st->tl_attnum[i] = var->varattno;
		needed[st->tl_side[i]] = bms_add_member(needed[st->tl_side[i]], var->varattno);
		i++;
	}
}

void
mc_join_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	List	   *priv = fsplan->fdw_private;
	MCJoinScanState *st = palloc0(sizeof(MCJoinScanState));
	Bitmapset  *relids = MC_SCAN_BASE_RELIDS(fsplan);
	Bitmapset  *needed[2] = {NULL, NULL};
	MemoryContextCallback *cb;
	Oid			userid = mc_scan_userid(fsplan, estate);
	int			lo = bms_next_member(relids, -1),
				hi = bms_next_member(relids, lo),
				nself = list_length(list_nth(priv, MJP_SELF_QUALS)),
				i;
	ListCell   *lc;

	node->fdw_state = st;
	if (bms_num_members(relids) != 2)
		elog(ERROR, "a multicorn join scan must read two relations");
	st->side[0].rti = intVal(list_nth(priv, MJP_SELF_FIRST)) ? lo : hi;
	st->side[1].rti = intVal(list_nth(priv, MJP_SELF_FIRST)) ? hi : lo;
	begin_side(&st->side[0], estate, userid,
			   mc_quals_deserialize(list_nth(priv, MJP_SELF_QUALS),
									list_copy_head(fsplan->fdw_exprs, nself)),
			   0, list_nth(priv, MJP_SELF_COLUMNS));
	begin_side(&st->side[1], estate, userid,
			   mc_quals_deserialize(list_nth(priv, MJP_OTHER_QUALS),
									list_copy_tail(fsplan->fdw_exprs, nself)),
			   nself, list_nth(priv, MJP_OTHER_COLUMNS));

	cb = palloc0(sizeof(MemoryContextCallback));
	cb->func = release_join_callback;
	cb->arg = st;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);

	st->clauses = clauses_to_python(list_nth(priv, MJP_CLAUSES));
	st->qual_states = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	st->nquals = list_length(fsplan->fdw_exprs);
	st->qual_types = palloc0(sizeof(Oid) * Max(st->nquals, 1));
	st->qual_values = palloc0(sizeof(Datum) * Max(st->nquals, 1));
	st->qual_nulls = palloc0(sizeof(bool) * Max(st->nquals, 1));
	st->qual_known = palloc0(sizeof(bool) * Max(st->nquals, 1));
	i = 0;
	foreach(lc, fsplan->fdw_exprs)
		st->qual_types[i++] = exprType(lfirst(lc));

	map_scan_tlist(st, fsplan->fdw_scan_tlist, needed);
	for (i = 0; i < 2; i++)
		st->side[i].reader = mc_row_reader_create(st->side[i].info, needed[i], false,
												  mc_class_name(st->side[i].entry->instance),
												  NULL);
	st->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "multicorn join row",
									   ALLOCSET_DEFAULT_SIZES);
	st->paramcxt = AllocSetContextCreate(CurrentMemoryContext, "multicorn join params",
										 ALLOCSET_SMALL_SIZES);
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY))
	{
		mc_instance_touch_xact(st->side[0].entry);
		mc_instance_touch_xact(st->side[1].entry);
	}
}

/*
 * Bind every qual's value for this execution (all when executing; in a
 * plain EXPLAIN only those that do not depend on an outer row).
 */
static void
bind_quals(MCJoinScanState *st, ExprContext *econtext, List *exprs, bool all)
{
	ListCell   *lc,
			   *le;
	int			i = 0;
	MemoryContext old;

	MemoryContextReset(st->paramcxt);
	old = MemoryContextSwitchTo(st->paramcxt);
	forboth(lc, st->qual_states, le, exprs)
	{
		st->qual_known[i] = all || !mc_has_exec_param(lfirst(le));
		if (st->qual_known[i])
			st->qual_values[i] = ExecEvalExpr(lfirst(lc), econtext, &st->qual_nulls[i]);
		i++;
	}
	MemoryContextSwitchTo(old);
}

static PyObject *
side_quals_python(MCJoinScanState *st, int i)
{
	MCJoinSide *side = &st->side[i];
	int			f = side->first;

	return mc_quals_to_python(side->quals, side->info, st->qual_values + f,
							  st->qual_nulls + f, st->qual_types + f, st->qual_known + f);
}

/* (other, clauses, quals, other_quals, columns, other_columns) as bound now */
static PyObject *
bound_join_args(MCJoinScanState *st)
{
	Py_INCREF(st->clauses);
	Py_INCREF(st->side[0].columns);
	Py_INCREF(st->side[1].columns);
	{
		PyObject   *args = Py_BuildValue("(ONNNNN)", st->side[1].entry->instance, st->clauses,
										 side_quals_python(st, 0), side_quals_python(st, 1),
										 st->side[0].columns, st->side[1].columns);

		mc_check_python(args);
		return args;
	}
}

static void
start_join(MCJoinScanState *st, ForeignScanState *node)
{
	PyObject   *method,
			   *args,
			   *result;

	bind_quals(st, node->ss.ps.ps_ExprContext, ((ForeignScan *) node->ss.ps.plan)->fdw_exprs,
			   true);
	st->evaluated = true;
	method = PyObject_GetAttrString(st->side[0].entry->instance, "execute_join");
	mc_check_python(method);
	args = bound_join_args(st);
	result = PyObject_Call(method, args, NULL);
	Py_DECREF(method);
	Py_DECREF(args);
	mc_check_python(result);
	if (result == Py_None)
	{
		Py_DECREF(result);
		result = PyTuple_New(0);
		mc_check_python(result);
	}
	st->iter = PyObject_GetIter(result);
	Py_DECREF(result);
	mc_check_python(st->iter);
}

/* A (row, other_row) pair as a tuple of its own (wrapper code cannot change it). */
static PyObject *
pair_tuple(MCJoinScanState *st, PyObject *pair)
{
	PyObject   *t = (PyTuple_Check(pair) || PyList_Check(pair)) ? PySequence_Tuple(pair) : NULL;

	if (t == NULL || PyTuple_GET_SIZE(t) != 2)
	{
		char	   *what = mc_pyrepr_trunc(pair, 100);

		Py_XDECREF(t);
		PyErr_Clear();
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("%s.execute_join() yielded %s, not a (row, other_row) pair",
						mc_class_name(st->side[0].entry->instance), what),
				 errhint("Yield a tuple of two rows, each as execute() would yield it (for \"%s\", then \"%s\").",
						 st->side[0].info->relname, st->side[1].info->relname)));
	}
	return t;
}

TupleTableSlot *
mc_join_iterate(ForeignScanState *node)
{
	MCJoinScanState *st = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	PyObject   *pair;
	MemoryContext old;
	int			i;

	ExecClearTuple(slot);
	if (st->iter == NULL)
		start_join(st, node);
	st->in_next = true;
	pair = PyIter_Next(st->iter);
	st->in_next = false;
	if (pair == NULL)
	{
		if (PyErr_Occurred() || mc_error_pending())
			mc_raise_python_error();
		return slot;
	}
	mc_check_python(pair);
	st->pair = pair;			/* held: an ERROR while converting does not leak it */
	st->pair = pair_tuple(st, pair);
	Py_DECREF(pair);
	MemoryContextReset(st->rowcxt);
	old = MemoryContextSwitchTo(st->rowcxt);
	for (i = 0; i < 2; i++)
		mc_row_reader_fill(st->side[i].reader, PyTuple_GET_ITEM(st->pair, i),
						   st->side[i].values, st->side[i].isnull);
	for (i = 0; i < st->ntlist; i++)
	{
		MCJoinSide *side = &st->side[st->tl_side[i]];

		slot->tts_values[i] = side->values[st->tl_attnum[i] - 1];
		slot->tts_isnull[i] = side->isnull[st->tl_attnum[i] - 1];
	}
	MemoryContextSwitchTo(old);
	Py_CLEAR(st->pair);
	return ExecStoreVirtualTuple(slot);
}

void
mc_join_rescan(ForeignScanState *node)
{
	MCJoinScanState *st = node->fdw_state;

	/* the next Iterate binds the new parameter values and calls execute_join() again */
	Py_CLEAR(st->iter);
	if (mc_error_pending() || PyErr_Occurred())
		mc_raise_python_error();
}

void
mc_join_end(ForeignScanState *node)
{
	MCJoinScanState *st = node->fdw_state;
	int			i;

	Py_CLEAR(st->iter);
	if (mc_error_pending() || PyErr_Occurred())
		mc_raise_python_error();
	for (i = 0; i < 2; i++)
	{
		PyObject   *res = PyObject_CallMethod(st->side[i].entry->instance, "end_scan", NULL);

		mc_check_python(res);
		Py_DECREF(res);
	}
	release_join(st);
}

/* `schema.table alias`, as postgres_fdw shows a joined relation */
static char *
relation_label(Index rti, ExplainState *es)
{
	RangeTblEntry *rte = rt_fetch(rti, es->rtable);
	char	   *relname = get_rel_name(rte->relid);
	char	   *refname = list_nth(es->rtable_names, rti - 1);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s.%s",
					 quote_identifier(get_namespace_name(get_rel_namespace(rte->relid))),
					 quote_identifier(relname));
	if (refname != NULL && strcmp(refname, relname) != 0)
		appendStringInfo(&buf, " %s", quote_identifier(refname));
	return buf.data;
}

void
mc_join_explain(ForeignScanState *node, ExplainState *es)
{
	MCJoinScanState *st = node->fdw_state;
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	List	   *calls = list_nth(fsplan->fdw_private, MJP_CALLS);
	PyObject   *method,
			   *args,
			   *kwargs,
			   *lines;

	ExplainPropertyText("Relations",
						psprintf("(%s) INNER JOIN (%s)", relation_label(st->side[0].rti, es),
								 relation_label(st->side[1].rti, es)),
						es);
	mc_explain_planned_calls(floatVal(linitial(calls)), floatVal(lsecond(calls)), es);
	if (!PyObject_HasAttrString(st->side[0].entry->instance, "explain_join"))
		return;
	if (!st->evaluated)			/* plain EXPLAIN: what does not depend on outer rows */
		bind_quals(st, node->ss.ps.ps_ExprContext, fsplan->fdw_exprs, false);
	method = PyObject_GetAttrString(st->side[0].entry->instance, "explain_join");
	mc_check_python(method);
	args = bound_join_args(st);
	kwargs = Py_BuildValue("{sO}", "verbose", es->verbose ? Py_True : Py_False);
	if (kwargs == NULL)
		mc_raise_python_error();
	lines = PyObject_Call(method, args, kwargs);
	Py_DECREF(method);
	Py_DECREF(args);
	Py_DECREF(kwargs);
	mc_explain_lines(lines, es);
}

/*
 * planner.c
 *		GetForeignRelSize, GetForeignPaths and GetForeignPlan.
 *
 * Costs: startup = the instance's _startup_cost (default 20); each row
 * costs MC_ROW_COST (Python produces a row far slower than a heap scan).
 * The Python side supplies row counts: get_rel_size() for the plain path,
 * get_path_keys() for parameterized paths (joins that hand over key values).
 * Sorts come from can_sort().  LIMIT/OFFSET go to the wrapper as multicorn2
 * sends them: when the whole query is a single-table scan without WHERE
 * whose order, if any, is fully pushed, and can_limit() agrees, the final
 * (upper-rel) path is the foreign scan itself and PostgreSQL's Limit node
 * is gone, so execute() must return exactly rows [offset, offset + limit).
 */
#include "multicorn.h"

#include <math.h>

#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"


/* fdw_private of a ForeignScan plan, by position */
enum MCPlanPrivate
{
	MCP_QUALS = 0,				/* serialized qual descriptors */
	MCP_COLUMNS,				/* List of String: columns needed */
	MCP_SORTKEYS,				/* List of sort key Lists */
	MCP_LIMIT,					/* Integer, -1 = none */
	MCP_OFFSET,					/* Integer, -1 = none */
	MCP_USERID,					/* Integer (the user the instance is for) */
	MCP_KEY_QUAL,				/* Integer: index of the key join's ANY qual, or -1 */
	MCP_CALLS					/* List of 2 Floats: planned calls, rounds per execution */
};

/* fdw_private of our paths, by position */
enum MCPathPrivate
{
	MCPP_SORTKEYS = 0,
	MCPP_LIMIT,
	MCPP_OFFSET,
	MCPP_KEY,					/* a key join's inner scan: (attnum, opname, arraytype); else NIL */
	MCPP_CALLS					/* (calls, rounds) */
};

typedef struct MCPlanState
{
	MCInstance *entry;
	MCTableInfo *info;
	Oid			userid;
	Bitmapset  *needed;			/* attnums */
	List	   *colnames;		/* String nodes, attnum order */
	double		startup_cost;
	double		calls;			/* get_call_estimate() of the plain scan (1 if none) */
	double		rounds;
	List	   *key_attnums;	/* single-column keys of get_path_keys() */
	List	   *key_rows;		/* ... and their expected rows per key (Float) */
} MCPlanState;

Oid
mc_planning_userid(PlannerInfo *root, RelOptInfo *baserel)
{
	return mc_plan_rel_userid(root, baserel->relid);
}

static PyObject *
names_to_python(List *names)
{
	PyObject   *list = PyList_New(0);
	ListCell   *lc;

	if (list == NULL)
		mc_raise_python_error();
	foreach(lc, names)
	{
		PyObject   *s = mc_py_string(strVal(lfirst(lc)));

		if (s == NULL || PyList_Append(list, s) < 0)
			mc_raise_python_error();
		Py_DECREF(s);
	}
	return list;
}

/* Columns PostgreSQL needs from the scan: output and restriction clauses. */
static void
compute_needed_columns(MCPlanState *ps, RelOptInfo *baserel)
{
	Bitmapset  *attrs = NULL;
	ListCell   *lc;
	int			i;
	bool		all;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	foreach(lc, baserel->baserestrictinfo)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause, baserel->relid, &attrs);
	all = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
	ps->needed = NULL;
	ps->colnames = NIL;
	for (i = 0; i < ps->info->natts; i++)
	{
		MCColumn   *col = &ps->info->cols[i];

		if (col->dropped)
			continue;
		if (all || bms_is_member(col->attnum - FirstLowInvalidHeapAttributeNumber, attrs))
		{
			ps->needed = bms_add_member(ps->needed, col->attnum);
			ps->colnames = lappend(ps->colnames, makeString(col->name));
		}
	}
}

/* Quals with the values known at plan time (constants, folded stable exprs). */
static PyObject *
plan_time_quals(PlannerInfo *root, MCPlanState *ps, List *quals)
{
	int			n = list_length(quals),
				i = 0;
	Datum	   *values = palloc0(sizeof(Datum) * Max(n, 1));
	bool	   *isnull = palloc0(sizeof(bool) * Max(n, 1));
	bool	   *known = palloc0(sizeof(bool) * Max(n, 1));
	Oid		   *types = palloc0(sizeof(Oid) * Max(n, 1));
	ListCell   *lc;

	foreach(lc, quals)
	{
		MCQual	   *q = lfirst(lc);
		Node	   *folded = estimate_expression_value(root, (Node *) q->value);

		types[i] = exprType((Node *) q->value);
		if (IsA(folded, Const))
		{
			values[i] = ((Const *) folded)->constvalue;
			isnull[i] = ((Const *) folded)->constisnull;
			known[i] = true;
		}
		i++;
	}
	return mc_quals_to_python(quals, ps->info, values, isnull, types, known);
}

/*
 * An estimate from Python (rows, width, a cost) the planner can use: a
 * finite number in [0, max].  Anything else (NaN, infinity, -1e12, 3e9 for
 * a width, a value whose __float__ raises) would give NaN costs or an
 * undefined int cast: use the default and say so, once per table and
 * backend so that a prepared statement does not warn on every plan.
 */
static double
estimate_or(MCPlanState *ps, PyObject *obj, double dflt, double max, const char *what)
{
	static List *warned = NIL;	/* relids, in TopMemoryContext */
	double		d;
	char	   *shown;
	MemoryContext old;

	if (obj == NULL && PyErr_Occurred())
		mc_raise_python_error();	/* the result's __getitem__ raised */
	if (obj == NULL || obj == Py_None)
		return dflt;
	d = PyFloat_AsDouble(obj);
	if (d == -1.0 && PyErr_Occurred())
	{
		PyErr_Clear();			/* not a number: its repr is shown */
		shown = mc_pyrepr_trunc(obj, 100);
	}
	else if (isnan(d) || d < 0 || d > max)
		shown = psprintf("%g", d);
	else
		return d;
	PyErr_Clear();
	if (!list_member_oid(warned, ps->info->relid))
	{
		old = MemoryContextSwitchTo(TopMemoryContext);
		warned = lappend_oid(warned, ps->info->relid);
		MemoryContextSwitchTo(old);
		ereport(WARNING,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("%s: %s is %s for foreign table \"%s\"; using %g",
						mc_class_name(ps->entry->instance), what, shown,
						ps->info->relname, dflt),
				 errhint("Return a finite number between 0 and %g.", max)));
	}
	return dflt;
}

/*
 * get_call_estimate(quals, columns): an optional method of our runtime's
 * (multicorn2 never calls it) by which a wrapper says how many API calls
 * one execute() with these quals makes, and in how many rounds (calls that
 * must wait for each other).  A value it cannot know is multicorn.UNBOUND.
 * It returns (calls, rounds); without it a scan is 1 call in 1 round.
 */
static void
call_estimate(MCPlanState *ps, PyObject *quals, PyObject *columns,
			  double *calls, double *rounds)
{
	PyObject   *res,
			   *c,
			   *r;

	*calls = *rounds = 1;
	if (!PyObject_HasAttrString(ps->entry->instance, "get_call_estimate"))
		return;
	res = PyObject_CallMethod(ps->entry->instance, "get_call_estimate", "OO", quals, columns);
	mc_check_python(res);
	if (res == Py_None)
	{
		Py_DECREF(res);
		return;
	}
	if (!PySequence_Check(res) || PySequence_Size(res) != 2)
	{
		Py_DECREF(res);
		PyErr_Clear();
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("%s.get_call_estimate() must return (calls, rounds) or None",
						mc_class_name(ps->entry->instance))));
	}
	c = PySequence_GetItem(res, 0);
	r = PySequence_GetItem(res, 1);
	*calls = estimate_or(ps, c, 1, MC_MAX_ESTIMATE, "the calls of get_call_estimate()");
	*rounds = estimate_or(ps, r, 1, MC_MAX_ESTIMATE, "the rounds of get_call_estimate()");
	Py_XDECREF(c);
	Py_XDECREF(r);
	Py_DECREF(res);
	if (*rounds > *calls)
		*rounds = *calls;
}

/*
 * The start-up cost of one execution: _startup_cost per round trip (what a
 * user waits for), plus a tenth of it per further call (what the calls take
 * from the API's rate budget).  1 call in 1 round costs _startup_cost, as
 * before this model.
 */
static double
calls_cost(MCPlanState *ps, double calls, double rounds)
{
	return ps->startup_cost * rounds + 0.1 * ps->startup_cost * Max(calls - rounds, 0);
}

static List *
calls_private(double calls, double rounds)
{
	return list_make2(makeFloat(psprintf("%g", calls)), makeFloat(psprintf("%g", rounds)));
}

/* Quals of the base rel plus `colname op value` (a Python Qual) for a join's key. */
static PyObject *
quals_with(PlannerInfo *root, MCPlanState *ps, RelOptInfo *baserel, const char *colname,
		   PyObject *op, PyObject *value)
{
	PyObject   *quals = plan_time_quals(root, ps,
										mc_extract_quals(root, baserel,
														 baserel->baserestrictinfo, NULL));
	PyObject   *qual = PyObject_CallFunction(mc_attr("Qual"), "NNN", mc_py_string(colname),
											 op, value);

	mc_check_python(qual);
	if (PyList_Append(quals, qual) < 0)
		mc_raise_python_error();
	Py_DECREF(qual);
	return quals;
}

void
mcGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	MCPlanState *ps = palloc0(sizeof(MCPlanState));
	Relation	rel;
	PyObject   *quals,
			   *columns,
			   *res,
			   *cost;
	List	   *mcquals;

	ps->userid = mc_planning_userid(root, baserel);
	ps->entry = mc_get_instance(foreigntableid, ps->userid);
	rel = table_open(foreigntableid, NoLock);
	ps->info = mc_table_info(rel);
	table_close(rel, NoLock);
	compute_needed_columns(ps, baserel);
	baserel->fdw_private = ps;

	cost = PyObject_GetAttrString(ps->entry->instance, "_startup_cost");
	if (cost == NULL)
		PyErr_Clear();
	ps->startup_cost = estimate_or(ps, cost, 20, MC_MAX_ESTIMATE, "_startup_cost");
	Py_XDECREF(cost);

	mcquals = mc_extract_quals(root, baserel, baserel->baserestrictinfo, NULL);
	quals = plan_time_quals(root, ps, mcquals);
	columns = names_to_python(ps->colnames);
	res = PyObject_CallMethod(ps->entry->instance, "get_rel_size", "OO", quals, columns);
	if (res != NULL)
		call_estimate(ps, quals, columns, &ps->calls, &ps->rounds);
	Py_DECREF(quals);
	Py_DECREF(columns);
	mc_check_python(res);
	if (!PySequence_Check(res) || PySequence_Size(res) != 2)
	{
		Py_DECREF(res);
		PyErr_Clear();			/* a __len__ that raised: the ERROR says it all */
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("%s.get_rel_size() must return (rows, width)",
						mc_class_name(ps->entry->instance))));
	}
	{
		PyObject   *rows = PySequence_GetItem(res, 0);
		PyObject   *width = PySequence_GetItem(res, 1);

		baserel->rows = estimate_or(ps, rows, 1000, MC_MAX_ESTIMATE, "the row count of get_rel_size()");
		baserel->reltarget->width = (int) estimate_or(ps, width, 100, MaxAllocSize,
													  "the width of get_rel_size()");
		Py_XDECREF(rows);
		Py_XDECREF(width);
	}
	Py_DECREF(res);
}

/* ---------- sort keys ---------- */

static Var *
rel_var_of_ec(EquivalenceClass *ec, RelOptInfo *baserel)
{
	ListCell   *lc;

	if (ec->ec_has_volatile)
		return NULL;
	foreach(lc, ec->ec_members)
	{
		EquivalenceMember *em = lfirst(lc);
		Node	   *e = (Node *) em->em_expr;

		while (e && IsA(e, RelabelType))
			e = (Node *) ((RelabelType *) e)->arg;
		if (e && IsA(e, Var) && ((Var *) e)->varno == baserel->relid &&
			((Var *) e)->varattno > 0 && ((Var *) e)->varlevelsup == 0)
			return (Var *) e;
	}
	return NULL;
}

/*
 * SortKey.collate: None for the database's default collation (as multicorn2
 * sends it: a wrapper passing 'default' on to another database fails), else
 * the collation's name.
 */
static char *
sortkey_collation(Oid collid)
{
	if (!OidIsValid(collid) || collid == DEFAULT_COLLATION_OID)
		return NULL;
	return get_collation_name(collid);
}

/* The prefix of query_pathkeys on plain columns, as serialized sort keys. */
static List *
candidate_sortkeys(PlannerInfo *root, RelOptInfo *baserel, MCPlanState *ps)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, root->query_pathkeys)
	{
		PathKey    *pk = lfirst(lc);
		Var		   *var = rel_var_of_ec(pk->pk_eclass, baserel);
		char	   *collname;

		if (var == NULL)
			break;
		collname = sortkey_collation(pk->pk_eclass->ec_collation);
		result = lappend(result,
						 list_make5(makeString(ps->info->cols[var->varattno - 1].name),
									makeInteger(var->varattno),
									makeInteger(MC_PATHKEY_DESCENDING(pk)),
									makeInteger(pk->pk_nulls_first),
									makeString(collname ? collname : "")));
	}
	return result;
}

PyObject *mc_sortkeys_to_python(List *keys);

PyObject *
mc_sortkeys_to_python(List *keys)
{
	PyObject   *cls = mc_attr("SortKey");
	PyObject   *list = PyList_New(0);
	ListCell   *lc;

	if (list == NULL)
		mc_raise_python_error();
	foreach(lc, keys)
	{
		List	   *k = lfirst(lc);
		char	   *coll = strVal(list_nth(k, 4));
		PyObject   *sk;

		sk = PyObject_CallFunction(cls, "NiOON", mc_py_string(strVal(linitial(k))),
								   intVal(lsecond(k)),
								   intVal(lthird(k)) ? Py_True : Py_False,
								   intVal(lfourth(k)) ? Py_True : Py_False,
								   coll[0] ? mc_py_string(coll) : Py_NewRef(Py_None));
		mc_check_python(sk);
		if (PyList_Append(list, sk) < 0)
			mc_raise_python_error();
		Py_DECREF(sk);
	}
	return list;
}

/* How many leading keys can_sort() accepted. */
static int
accepted_sortkeys(MCPlanState *ps, List *keys)
{
	PyObject   *pykeys = mc_sortkeys_to_python(keys);
	PyObject   *res = PyObject_CallMethod(ps->entry->instance, "can_sort", "O", pykeys);
	int			n = 0;
	Py_ssize_t	len;

	Py_DECREF(pykeys);
	mc_check_python(res);
	if (res == Py_None || !PySequence_Check(res))
	{
		Py_DECREF(res);
		return 0;
	}
	len = PySequence_Size(res);
	if (len < 0)
	{
		Py_DECREF(res);
		mc_raise_python_error();
	}
	for (n = 0; n < len && n < list_length(keys); n++)
	{
		PyObject   *item = PySequence_GetItem(res, n);
		PyObject   *name = item ? PyObject_GetAttrString(item, "attname") : NULL;
		const char *utf8 = (name && PyUnicode_Check(name)) ? PyUnicode_AsUTF8(name) : NULL;
		bool		same = utf8 != NULL &&
			strcmp(mc_utf8_to_server(utf8, -1, NULL), strVal(linitial((List *) list_nth(keys, n)))) == 0;

		Py_XDECREF(name);
		Py_XDECREF(item);
		PyErr_Clear();
		if (!same)
			break;
	}
	Py_DECREF(res);
	return n;
}

/* ---------- limit ---------- */

static bool
const_int8(Node *node, int64 *out)
{
	if (node == NULL)
	{
		*out = -1;
		return true;
	}
	if (!IsA(node, Const) || ((Const *) node)->consttype != INT8OID)
		return false;
	*out = ((Const *) node)->constisnull ? -1 : DatumGetInt64(((Const *) node)->constvalue);
	return true;
}

/* Returns whether LIMIT/OFFSET could go to the scan, and their values. */
static bool
pushable_limit(PlannerInfo *root, RelOptInfo *baserel, MCPlanState *ps,
			   int64 *limit, int64 *offset)
{
	Query	   *parse = root->parse;
	PyObject   *res;
	bool		ok;

	if (root->limit_tuples <= 0 || parse->limitCount == NULL ||
		parse->limitOption != LIMIT_OPTION_COUNT ||
		baserel->reloptkind != RELOPT_BASEREL ||
		bms_membership(root->all_baserels) != BMS_SINGLETON ||
		baserel->baserestrictinfo != NIL ||
		!const_int8(parse->limitCount, limit) || *limit < 0 ||
		!const_int8(parse->limitOffset, offset))
		return false;
	res = PyObject_CallMethod(ps->entry->instance, "can_limit", "LL", (long long) *limit,
							  (long long) (*offset < 0 ? 0 : *offset));
	mc_check_python(res);
	{
		int			truth = PyObject_IsTrue(res);

		Py_DECREF(res);
		if (truth < 0)			/* never leave a Python error set */
			mc_raise_python_error();
		ok = truth == 1;
	}
	return ok;
}

/* ---------- parameterized paths ---------- */

static bool
ec_member_is_column(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
					EquivalenceMember *em, void *arg)
{
	Node	   *e = (Node *) em->em_expr;

	while (e && IsA(e, RelabelType))
		e = (Node *) ((RelabelType *) e)->arg;
	return e && IsA(e, Var) && ((Var *) e)->varno == rel->relid &&
		((Var *) e)->varattno == *(AttrNumber *) arg;
}

static bool
is_equality_on(RestrictInfo *rinfo, RelOptInfo *baserel, AttrNumber attnum)
{
	OpExpr	   *op;
	Node	   *l,
			   *r;
	char	   *opname;

	if (!IsA(rinfo->clause, OpExpr))
		return false;
	op = (OpExpr *) rinfo->clause;
	if (list_length(op->args) != 2)
		return false;
	opname = get_opname(op->opno);
	if (opname == NULL || strcmp(opname, "=") != 0)
		return false;
	l = linitial(op->args);
	r = lsecond(op->args);
	while (IsA(l, RelabelType))
		l = (Node *) ((RelabelType *) l)->arg;
	while (IsA(r, RelabelType))
		r = (Node *) ((RelabelType *) r)->arg;
	if (IsA(l, Var) && ((Var *) l)->varno == baserel->relid && ((Var *) l)->varattno == attnum)
		return true;
	return IsA(r, Var) && ((Var *) r)->varno == baserel->relid && ((Var *) r)->varattno == attnum;
}

/* Relids that can supply a value for `col = <outer>`, or NULL. */
static Relids
outer_for_column(PlannerInfo *root, RelOptInfo *baserel, AttrNumber attnum)
{
	ListCell   *lc;
	List	   *ec_clauses;

	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *rinfo = lfirst(lc);

		if (is_equality_on(rinfo, baserel, attnum) &&
			join_clause_is_movable_to(rinfo, baserel))
			return bms_difference(rinfo->clause_relids, baserel->relids);
	}
	ec_clauses = generate_implied_equalities_for_column(root, baserel, ec_member_is_column,
														&attnum, baserel->lateral_referencers);
	foreach(lc, ec_clauses)
	{
		RestrictInfo *rinfo = lfirst(lc);
		Relids		outer = bms_difference(rinfo->clause_relids, baserel->relids);

		if (!bms_is_empty(outer))
			return outer;
	}
	return NULL;
}

static AttrNumber
attnum_of(MCTableInfo *info, const char *name)
{
	int			i;

	for (i = 0; i < info->natts; i++)
		if (!info->cols[i].dropped && strcmp(info->cols[i].name, name) == 0)
			return info->cols[i].attnum;
	return InvalidAttrNumber;
}

static List *
path_private(List *sortkeys, int64 limit, int64 offset, List *key, List *calls)
{
	return list_make5(sortkeys, makeInteger((int) Min(limit, PG_INT32_MAX)),
					  makeInteger((int) Min(offset, PG_INT32_MAX)), key, calls);
}

static void
add_one_parameterized_path(PlannerInfo *root, RelOptInfo *baserel, MCPlanState *ps,
						   PyObject *key_columns, double rows)
{
	Relids		required = NULL;
	char	   *key_colname = NULL;
	PyObject   *seq;
	Py_ssize_t	i,
				n;

	if (PyUnicode_Check(key_columns))
		seq = PyTuple_Pack(1, key_columns);
	else
		seq = PySequence_Tuple(key_columns);
	mc_check_python(seq);
	n = PyTuple_GET_SIZE(seq);
	for (i = 0; i < n; i++)
	{
		PyObject   *name = PyTuple_GET_ITEM(seq, i);
		AttrNumber	attnum;
		Relids		outer;
		char	   *colname;

		if (!PyUnicode_Check(name) || PyUnicode_AsUTF8(name) == NULL)
		{
			PyErr_Clear();
			break;
		}
		colname = mc_utf8_to_server(PyUnicode_AsUTF8(name), -1, NULL);	/* server encoding */
		attnum = attnum_of(ps->info, colname);
		if (attnum == InvalidAttrNumber)
		{
			Py_DECREF(seq);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
					 errmsg("%s.get_path_keys() names column \"%s\", which foreign table \"%s\" does not have",
							mc_class_name(ps->entry->instance), colname,
							ps->info->relname)));
		}
		if (n == 1)				/* a key the key join may hand a list of */
		{
			key_colname = colname;
			ps->key_attnums = lappend_int(ps->key_attnums, attnum);
			ps->key_rows = lappend(ps->key_rows, makeFloat(psprintf("%g", clamp_row_est(rows))));
		}
		outer = outer_for_column(root, baserel, attnum);
		if (outer == NULL)
			break;
		required = bms_union(required, outer);
	}
	Py_DECREF(seq);
	if (i < n || bms_is_empty(required))
		return;
	required = bms_union(required, baserel->lateral_relids);
	rows = clamp_row_est(rows);
	{
		double		calls = 1,
					rounds = 1,
					startup;

		if (key_colname != NULL)
		{
			PyObject   *quals,
					   *columns = names_to_python(ps->colnames);

			quals = quals_with(root, ps, baserel, key_colname, PyUnicode_FromString("="),
							   Py_NewRef(mc_attr("UNBOUND")));
			call_estimate(ps, quals, columns, &calls, &rounds);
			Py_DECREF(quals);
			Py_DECREF(columns);
		}
		startup = calls_cost(ps, calls, rounds);
		add_path(baserel, (Path *)
				 mc_create_foreignscan_path(root, baserel, NULL, rows, startup,
											startup + rows * MC_ROW_COST, NIL, required,
											NULL, path_private(NIL, -1, -1, NIL,
															   calls_private(calls, rounds))));
	}
}

static void
add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel, MCPlanState *ps)
{
	PyObject   *keys = PyObject_CallMethod(ps->entry->instance, "get_path_keys", NULL);
	PyObject   *iter,
			   *item;

	mc_check_python(keys);
	if (keys == Py_None)
	{
		Py_DECREF(keys);
		return;
	}
	iter = PyObject_GetIter(keys);
	Py_DECREF(keys);
	mc_check_python(iter);
	while ((item = PyIter_Next(iter)) != NULL)
	{
		PyObject   *cols = NULL,
				   *rows = NULL;

		if (PySequence_Check(item) && PySequence_Size(item) == 2)
		{
			cols = PySequence_GetItem(item, 0);
			rows = PySequence_GetItem(item, 1);
		}
		if (cols == NULL || rows == NULL)
		{
			PyErr_Clear();		/* a __len__ or __getitem__ that raised */
			Py_XDECREF(cols);
			Py_XDECREF(rows);
			Py_DECREF(item);
			Py_DECREF(iter);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("%s.get_path_keys() must return a list of (columns, expected_rows)",
							mc_class_name(ps->entry->instance))));
		}
		add_one_parameterized_path(root, baserel, ps, cols,
								   estimate_or(ps, rows, 1, MC_MAX_ESTIMATE,
											   "the expected rows of get_path_keys()"));
		Py_DECREF(cols);
		Py_DECREF(rows);
		Py_DECREF(item);
	}
	Py_DECREF(iter);
	if (PyErr_Occurred())
		mc_raise_python_error();
}

void
mcGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	MCPlanState *ps = baserel->fdw_private;
	double		startup = calls_cost(ps, ps->calls, ps->rounds);
	double		total = startup + baserel->rows * MC_ROW_COST;
	List	   *sortkeys = NIL;
	int			nsorted = 0;

	if (root->query_pathkeys != NIL)
	{
		sortkeys = candidate_sortkeys(root, baserel, ps);
		if (sortkeys != NIL)
			nsorted = accepted_sortkeys(ps, sortkeys);
	}

	/*
	 * Unsorted path.  Every path needs at least the rels the scan refers to
	 * laterally (a LATERAL subquery's expressions evaluated at this scan):
	 * without them the scan would be run once and its output reused for
	 * every outer row.  No base path carries a LIMIT: PostgreSQL's Limit
	 * node applies it, unless mcGetForeignUpperPaths() replaces that node.
	 */
	add_path(baserel, (Path *)
			 mc_create_foreignscan_path(root, baserel, NULL, baserel->rows, startup,
									 total, NIL, baserel->lateral_relids, NULL,
									 path_private(NIL, -1, -1, NIL,
												  calls_private(ps->calls, ps->rounds))));
	if (nsorted > 0)
	{
		List	   *pathkeys = list_copy_head(root->query_pathkeys, nsorted);

		add_path(baserel, (Path *)
				 mc_create_foreignscan_path(root, baserel, NULL, baserel->rows, startup,
										 total, pathkeys, baserel->lateral_relids, NULL,
										 path_private(list_copy_head(sortkeys, nsorted), -1, -1,
													  NIL, calls_private(ps->calls, ps->rounds))));
	}
	add_parameterized_paths(root, baserel, ps);
}

/* ---------- LIMIT/OFFSET in the final path ---------- */

/*
 * The unparameterized scan of one of our base rels among the input rel's
 * paths whose order gives the whole ORDER BY (any order when there is none).
 */
static ForeignPath *
scan_path_with_query_order(PlannerInfo *root, RelOptInfo *input_rel)
{
	ListCell   *lc;

	foreach(lc, input_rel->pathlist)
	{
		Path	   *path = lfirst(lc);
		RelOptInfo *rel = path->parent;

		if (IsA(path, ForeignPath) && path->param_info == NULL &&
			rel->reloptkind == RELOPT_BASEREL && rel->fdwroutine != NULL &&
			rel->fdwroutine->GetForeignPaths == mcGetForeignPaths &&
			rel->fdw_private != NULL &&
			pathkeys_contained_in(root->sort_pathkeys, path->pathkeys))
			return (ForeignPath *) path;
	}
	return NULL;
}

/*
 * UPPERREL_FINAL: when can_limit() accepts the query's LIMIT/OFFSET, the
 * final path is a foreign scan that applies them itself (multicorn2's
 * contract), replacing the Limit path: a wrapper that honours the offset
 * would otherwise see it applied twice.
 */
void
mcGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel,
					   RelOptInfo *output_rel, void *extra)
{
	FinalPathExtraData *fextra = extra;
	Query	   *parse = root->parse;
	ForeignPath *scan;
	RelOptInfo *baserel;
	int64		limit,
				offset;
	double		rows;
	List	   *sortkeys;

	if (stage != UPPERREL_FINAL || fextra == NULL || !fextra->limit_needed ||
		parse->commandType != CMD_SELECT || parse->rowMarks != NIL ||
		parse->hasTargetSRFs || parse->hasAggs || parse->hasWindowFuncs ||
		parse->groupClause != NIL || parse->groupingSets != NIL ||
		parse->distinctClause != NIL || parse->havingQual != NULL ||
		parse->setOperations != NULL)
		return;
	scan = scan_path_with_query_order(root, input_rel);
	if (scan == NULL)
		return;
	baserel = scan->path.parent;
	if (!pushable_limit(root, baserel, baserel->fdw_private, &limit, &offset))
		return;
	rows = clamp_row_est(Min(Max(scan->path.rows - Max(offset, 0), 0), (double) limit));
	sortkeys = linitial(scan->fdw_private);

	/*
	 * The wrapper now skips the offset itself: a Limit path over this scan
	 * would skip it again, and as it may cost the same it must not compete.
	 */
	output_rel->pathlist = NIL;
	output_rel->fdw_private = baserel;
	add_path(output_rel, (Path *)
			 mc_create_foreign_upper_path(root, output_rel, root->upper_targets[UPPERREL_FINAL],
										  rows, scan->path.startup_cost,
										  scan->path.startup_cost + rows * MC_ROW_COST,
										  scan->path.pathkeys, NULL,
										  path_private(sortkeys, limit, offset, NIL,
													   list_nth(scan->fdw_private, MCPP_CALLS))));
}

/* The plan of the final path above: a plain scan of the base rel. */
static ForeignScan *
limit_scan_plan(RelOptInfo *upperrel, ForeignPath *best_path, List *tlist)
{
	RelOptInfo *baserel = upperrel->fdw_private;
	MCPlanState *ps = baserel->fdw_private;
	List	   *path_priv = best_path->fdw_private;
	List	   *priv;

	priv = list_make5(mc_quals_serialize(NIL), ps->colnames, linitial(path_priv),
					  lsecond(path_priv), lthird(path_priv));
	priv = lappend(priv, makeInteger(ps->userid));
	priv = lappend(priv, makeInteger(-1));
	priv = lappend(priv, list_nth(path_priv, MCPP_CALLS));
	return make_foreignscan(tlist, NIL, baserel->relid, NIL, priv, NIL, NIL, NULL);
}

ForeignScan *
mcGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				 ForeignPath *best_path, List *tlist, List *scan_clauses, Plan *outer_plan)
{
	MCPlanState *ps = baserel->fdw_private;
	Relids		outer = best_path->path.param_info ? best_path->path.param_info->ppi_req_outer : NULL;
	List	   *quals = mc_extract_quals(root, baserel, scan_clauses, outer);
	List	   *exprs = NIL;
	List	   *path_priv = best_path->fdw_private;
	List	   *priv;
	ListCell   *lc;
	int			key_qual = -1;

	if (IS_UPPER_REL(baserel))	/* the LIMIT path of mcGetForeignUpperPaths */
		return limit_scan_plan(baserel, best_path, tlist);
	if (IS_JOIN_REL(baserel))	/* a join of two of our tables (joinpush.c) */
		return mc_join_plan(root, baserel, best_path, tlist, outer_plan);
	if (list_nth(path_priv, MCPP_KEY) != NIL)
	{
		/* The inner scan of a key join: `key = ANY(<the outer keys>)`, set by keyjoin.c. */
		List	   *key = list_nth(path_priv, MCPP_KEY);

		key_qual = list_length(quals);
		quals = lappend(quals, mc_make_key_qual(intVal(linitial(key)), strVal(lsecond(key)),
												(Oid) intVal(lthird(key))));
	}
	foreach(lc, quals)
		exprs = lappend(exprs, ((MCQual *) lfirst(lc))->value);
	priv = list_make5(mc_quals_serialize(quals), ps->colnames, linitial(path_priv),
					  lsecond(path_priv), lthird(path_priv));
	priv = lappend(priv, makeInteger(ps->userid));
	priv = lappend(priv, makeInteger(key_qual));	/* MCP_KEY_QUAL */
	priv = lappend(priv, list_nth(path_priv, MCPP_CALLS));
	/* Every clause is rechecked by PostgreSQL. */
	scan_clauses = extract_actual_clauses(scan_clauses, false);
	return make_foreignscan(tlist, scan_clauses, baserel->relid, exprs, priv, NIL, NIL,
							outer_plan);
}

/* ---------- what keyjoin.c asks of a base rel ---------- */

/* Is attnum a single-column key of get_path_keys()?  Sets its rows per key. */
bool
mc_key_column(RelOptInfo *baserel, AttrNumber attnum, double *rows_per_key)
{
	MCPlanState *ps = baserel->fdw_private;
	ListCell   *la,
			   *lr;

	if (ps == NULL)
		return false;
	forboth(la, ps->key_attnums, lr, ps->key_rows)
	{
		if (lfirst_int(la) == attnum)
		{
			*rows_per_key = floatVal(lfirst(lr));
			return true;
		}
	}
	return false;
}

/*
 * The inner scan of a key join: a plain scan of baserel whose plan gets one
 * more qual, `attnum opname ANY(array of arraytype)`, filled by the join at
 * run time.  Not added to the rel's paths; the custom join path owns it.
 */
Path *
mc_key_scan_path(PlannerInfo *root, RelOptInfo *baserel, AttrNumber attnum,
				 const char *opname, Oid arraytype, double rows, double calls,
				 double rounds, double startup, double total)
{
	List	   *key = list_make3(makeInteger(attnum), makeString(pstrdup(opname)),
								 makeInteger((int) arraytype));

	return (Path *) mc_create_foreignscan_path(root, baserel, NULL, clamp_row_est(rows),
											   startup, total, NIL, NULL, NULL,
											   path_private(NIL, -1, -1, key,
															calls_private(calls, rounds)));
}

/*
 * Calls and rounds of one execution of the key join's inner scan with
 * nkeys keys (get_call_estimate() sees `key = ANY([UNBOUND] * nkeys)`), and
 * its start-up cost.
 */
double
mc_key_scan_calls(PlannerInfo *root, RelOptInfo *baserel, AttrNumber attnum, int nkeys,
				  double *calls, double *rounds)
{
	MCPlanState *ps = baserel->fdw_private;
	PyObject   *list = PyList_New(0),
			   *quals,
			   *columns;
	int			i;

	mc_check_python(list);
	for (i = 0; i < nkeys; i++)
		if (PyList_Append(list, mc_attr("UNBOUND")) < 0)
			mc_raise_python_error();
	quals = quals_with(root, ps, baserel, ps->info->cols[attnum - 1].name,
					   Py_BuildValue("(sO)", "=", Py_True), list);
	columns = names_to_python(ps->colnames);
	call_estimate(ps, quals, columns, calls, rounds);
	Py_DECREF(quals);
	Py_DECREF(columns);
	return calls_cost(ps, *calls, *rounds);
}

/* ---------- what joinpush.c asks of a base rel ---------- */

/* The instance, table, user and needed columns (String nodes) of a base rel. */
MCInstance *
mc_rel_instance(RelOptInfo *baserel, MCTableInfo **info, Oid *userid, List **colnames)
{
	MCPlanState *ps = baserel->fdw_private;

	*info = ps->info;
	*userid = ps->userid;
	*colnames = ps->colnames;
	return ps->entry;
}

/* The base rel's restriction quals as get_rel_size() got them (UNBOUND when unknown). */
PyObject *
mc_rel_plan_quals(PlannerInfo *root, RelOptInfo *baserel)
{
	return plan_time_quals(root, baserel->fdw_private,
						   mc_extract_quals(root, baserel, baserel->baserestrictinfo, NULL));
}

/* A Python estimate checked as the base rel's own are (see estimate_or). */
double
mc_rel_estimate(RelOptInfo *baserel, PyObject *obj, double dflt, const char *what)
{
	return estimate_or(baserel->fdw_private, obj, dflt, MC_MAX_ESTIMATE, what);
}

/* The start-up cost of calls in rounds at the base rel's _startup_cost. */
double
mc_rel_calls_cost(RelOptInfo *baserel, double calls, double rounds)
{
	return calls_cost(baserel->fdw_private, calls, rounds);
}

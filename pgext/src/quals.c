/*
 * quals.c
 *		Restriction clauses -> Qual descriptors, and descriptors -> Python.
 *
 * Shapes recognised (column on either side of a binary operator; the
 * commutator is used when it is on the right):
 *	 col OP expr					  -> (opname, value)
 *	 col OP ANY/ALL (array expr)	  -> ((opname, is_any), list)
 *	 col IS [NOT] NULL				  -> ('=' | '<>', None)
 *	 boolcol / NOT boolcol			  -> ('=' | '<>', True)
 *	 boolcol IS [NOT] TRUE|FALSE	  -> ('IS' | 'IS NOT', True|False)
 *	 boolcol IS [NOT] UNKNOWN		  -> ('IS' | 'IS NOT', None)
 * The value side may be any non-volatile expression without sublinks that
 * does not reference the scanned relation; it is evaluated at execution
 * (so parameters and nested-loop outer values arrive as plain values).
 * Nothing else is pushed (OR, functions of the column, ...), silently:
 * PostgreSQL rechecks every clause anyway.
 */
#include "multicorn.h"

#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/restrictinfo.h"
#include "utils/lsyscache.h"

static Var *
scanned_var(Node *node, Index relid)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	if (node && IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varno == relid && var->varlevelsup == 0 && var->varattno > 0)
			return var;
	}
	return NULL;
}

/* May this expression be the value side of a pushed qual? */
static bool
usable_value(PlannerInfo *root, Node *expr, Index relid, Relids outer_ok)
{
	Relids		varnos;

	if (contain_volatile_functions(expr) || contain_subplans(expr))
		return false;
	varnos = pull_varnos(root, expr);
	if (bms_is_member(relid, varnos))
		return false;
	return bms_is_subset(varnos, outer_ok);
}

static MCQual *
make_qual(AttrNumber attnum, const char *opname, MCListKind kind, Expr *value)
{
	MCQual	   *q = palloc0(sizeof(MCQual));

	q->attnum = attnum;
	q->opname = pstrdup(opname);
	q->listkind = kind;
	q->value = value;
	return q;
}

static MCQual *
from_opexpr(PlannerInfo *root, OpExpr *op, Index relid, Relids outer_ok)
{
	Node	   *left,
			   *right;
	Var		   *var;
	Oid			opno = op->opno;
	char	   *opname;

	if (list_length(op->args) != 2)
		return NULL;
	left = linitial(op->args);
	right = lsecond(op->args);
	if ((var = scanned_var(left, relid)) == NULL)
	{
		if ((var = scanned_var(right, relid)) == NULL)
			return NULL;
		opno = get_commutator(opno);
		if (!OidIsValid(opno))
			return NULL;
		right = left;
	}
	if (!usable_value(root, right, relid, outer_ok))
		return NULL;
	opname = get_opname(opno);
	if (opname == NULL)
		return NULL;
	return make_qual(var->varattno, opname, MC_LIST_NONE, (Expr *) right);
}

static MCQual *
from_array_op(PlannerInfo *root, ScalarArrayOpExpr *op, Index relid, Relids outer_ok)
{
	Var		   *var;
	Node	   *array;
	char	   *opname;

	if (list_length(op->args) != 2)
		return NULL;
	var = scanned_var(linitial(op->args), relid);
	array = lsecond(op->args);
	if (var == NULL || !usable_value(root, array, relid, outer_ok))
		return NULL;
	opname = get_opname(op->opno);
	if (opname == NULL)
		return NULL;
	return make_qual(var->varattno, opname, op->useOr ? MC_LIST_ANY : MC_LIST_ALL,
					 (Expr *) array);
}

static MCQual *
from_nulltest(NullTest *nt, Index relid)
{
	Var		   *var = scanned_var((Node *) nt->arg, relid);

	if (var == NULL || nt->argisrow)
		return NULL;
	return make_qual(var->varattno, nt->nulltesttype == IS_NULL ? "=" : "<>", MC_LIST_NONE,
					 (Expr *) makeNullConst(var->vartype, var->vartypmod, var->varcollid));
}

/* boolcol IS [NOT] UNKNOWN -> ('IS' | 'IS NOT', None), as multicorn2 sends it. */
static MCQual *
from_unknown_test(BooleanTest *bt, Var *var)
{
	return make_qual(var->varattno, bt->booltesttype == IS_UNKNOWN ? "IS" : "IS NOT",
					 MC_LIST_NONE, (Expr *) makeBoolConst(false, true));
}

static MCQual *
from_booltest(BooleanTest *bt, Index relid)
{
	Var		   *var = scanned_var((Node *) bt->arg, relid);
	const char *op;
	bool		val;

	if (var == NULL)
		return NULL;
	if (bt->booltesttype == IS_UNKNOWN || bt->booltesttype == IS_NOT_UNKNOWN)
		return from_unknown_test(bt, var);
	switch (bt->booltesttype)
	{
		case IS_TRUE:
			op = "IS", val = true;
			break;
		case IS_NOT_TRUE:
			op = "IS NOT", val = true;
			break;
		case IS_FALSE:
			op = "IS", val = false;
			break;
		case IS_NOT_FALSE:
			op = "IS NOT", val = false;
			break;
		default:
			return NULL;
	}
	return make_qual(var->varattno, op, MC_LIST_NONE,
					 (Expr *) makeBoolConst(val, false));
}

static MCQual *
from_clause(PlannerInfo *root, Node *clause, Index relid, Relids outer_ok)
{
	Var		   *var;

	switch (nodeTag(clause))
	{
		case T_OpExpr:
			return from_opexpr(root, (OpExpr *) clause, relid, outer_ok);
		case T_ScalarArrayOpExpr:
			return from_array_op(root, (ScalarArrayOpExpr *) clause, relid, outer_ok);
		case T_NullTest:
			return from_nulltest((NullTest *) clause, relid);
		case T_BooleanTest:
			return from_booltest((BooleanTest *) clause, relid);
		case T_Var:
			var = scanned_var(clause, relid);
			if (var && var->vartype == BOOLOID)
				return make_qual(var->varattno, "=", MC_LIST_NONE,
								 (Expr *) makeBoolConst(true, false));
			return NULL;
		case T_BoolExpr:
			{
				BoolExpr   *b = (BoolExpr *) clause;

				if (b->boolop != NOT_EXPR || list_length(b->args) != 1)
					return NULL;
				var = scanned_var(linitial(b->args), relid);
				if (var && var->vartype == BOOLOID)
					return make_qual(var->varattno, "<>", MC_LIST_NONE,
									 (Expr *) makeBoolConst(true, false));
				return NULL;
			}
		default:
			return NULL;
	}
}

/*
 * clauses: RestrictInfos (or bare expressions).  outer_ok: the relids whose
 * Vars may appear on the value side (those of a parameterized path).
 */
List *
mc_extract_quals(PlannerInfo *root, RelOptInfo *baserel, List *clauses, Relids outer_ok)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, clauses)
	{
		Node	   *clause = lfirst(lc);
		MCQual	   *q;

		if (IsA(clause, RestrictInfo))
			clause = (Node *) ((RestrictInfo *) clause)->clause;
		q = from_clause(root, clause, baserel->relid, outer_ok);
		if (q)
			result = lappend(result, q);
	}
	return result;
}

List *
mc_quals_serialize(List *quals)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, quals)
	{
		MCQual	   *q = lfirst(lc);

		result = lappend(result, list_make3(makeInteger(q->attnum), makeString(q->opname),
											makeInteger(q->listkind)));
	}
	return result;
}

List *
mc_quals_deserialize(List *serialized, List *exprs)
{
	List	   *result = NIL;
	ListCell   *lc,
			   *le;

	forboth(lc, serialized, le, exprs)
	{
		List	   *item = lfirst(lc);

		result = lappend(result, make_qual(intVal(linitial(item)), strVal(lsecond(item)),
										   intVal(lthird(item)), lfirst(le)));
	}
	return result;
}

/*
 * Build the Python list of Qual objects.  values/isnull/types give each
 * qual's evaluated value; known[i] false means "not known yet" (planning,
 * EXPLAIN without execution) and yields multicorn.UNBOUND.
 */
PyObject *
mc_quals_to_python(List *quals, MCTableInfo *info, Datum *values, bool *isnull,
				   Oid *types, bool *known)
{
	PyObject   *qual_cls = mc_attr("Qual");
	PyObject   *unbound = mc_attr("UNBOUND");
	PyObject   *list = PyList_New(0);
	ListCell   *lc;
	int			i = 0;

	if (list == NULL)
		mc_raise_python_error();
	foreach(lc, quals)
	{
		MCQual	   *q = lfirst(lc);
		PyObject   *op,
				   *value,
				   *qual;

		if (q->listkind == MC_LIST_NONE)
			op = PyUnicode_FromString(q->opname);
		else
			op = Py_BuildValue("(sO)", q->opname, q->listkind == MC_LIST_ANY ? Py_True : Py_False);
		if (known[i])
			value = mc_datum_to_python(values[i], isnull[i], types[i]);
		else
		{
			Py_INCREF(unbound);
			value = unbound;
		}
		qual = PyObject_CallFunction(qual_cls, "NNN", mc_py_string(info->cols[q->attnum - 1].name),
									 op, value);
		mc_check_python(qual);
		if (PyList_Append(list, qual) < 0)
			mc_raise_python_error();
		Py_DECREF(qual);
		i++;
	}
	return list;
}

/*
 * The ANY qual of a key join's inner scan: its value is a placeholder (a
 * NULL array) that the join replaces with the outer keys before each
 * execution (mc_scan_set_keys).
 */
MCQual *
mc_make_key_qual(AttrNumber attnum, const char *opname, Oid arraytype)
{
	return make_qual(attnum, opname, MC_LIST_ANY,
					 (Expr *) makeNullConst(arraytype, -1, InvalidOid));
}

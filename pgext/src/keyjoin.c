/*
 * keyjoin.c
 *		local_table JOIN foreign_table ON local.x = foreign.key: one scan per
 *		batch of outer keys instead of one per outer row.
 *
 * PostgreSQL's ordinary plan for such a join is a nested loop whose inner
 * side is the parameterized foreign scan: execute() runs once per outer
 * row, i.e. one API round trip per row.  This file adds one more join path
 * (a CustomScan, through set_join_pathlist_hook) when the foreign table
 * declares the column a single-column key in get_path_keys():
 *
 *	1. read the outer side until it has given `multicorn.key_join_batch`
 *	   distinct non-NULL keys (or is exhausted), keeping its rows;
 *	2. run the inner foreign scan once with `key = ANY(those keys)` as an
 *	   extra qual (the wrapper sees one list qual, as for `key IN (...)`);
 *	3. hash the inner rows by key and emit outer x matching inner rows; the
 *	   join clauses are evaluated on every emitted pair, so the hash is only
 *	   a filter and the result is the ordinary join's;
 *	4. repeat until the outer side is done.
 *
 * Inner joins only (and `key IN (SELECT ...)`, as an inner join with the
 * distinct outer values), in queries without row marks (FOR UPDATE, the
 * joins of UPDATE/DELETE ... FROM), with an equality operator that is hashable and has the
 * same type on both sides.  Everything else keeps PostgreSQL's plans, and so
 * does `SET multicorn.enable_key_join = off`.  PostgreSQL picks the path by
 * cost: ceil(keys / batch) scan start-ups instead of one per outer row.
 */
#include "multicorn.h"

#include <math.h>

#include "access/htup_details.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#define MC_KEYJOIN_NAME "MulticornKeyJoin"

static bool mc_enable_key_join = true;
static int	mc_key_join_batch = 1000;
static set_join_pathlist_hook_type prev_join_pathlist_hook = NULL;

/* custom_private of the plan, by position */
enum MCKeyJoinPrivate
{
	MKJ_OPNO = 0,				/* Integer: the equality operator */
	MKJ_COLLATION,				/* Integer: its input collation */
	MKJ_NOUTER,					/* Integer: outer columns in the scan tuple */
	MKJ_BATCH,					/* Integer: distinct keys per inner scan */
	MKJ_PLANNED_KEYS,			/* Float: keys the planner expected */
	MKJ_KEYTYPE,				/* Integer: the operator's input type */
	MKJ_CALLS					/* (Float calls, Float rounds) planned in all */
};

typedef struct MCKeyEntry
{
	uint32		hash;
	Datum		key;			/* outer key (dedup set) */
	MinimalTuple tuple;			/* inner row (hash table) */
	struct MCKeyEntry *next;
} MCKeyEntry;

typedef struct MCKeyJoinState
{
	CustomScanState css;
	PlanState  *outer;
	ForeignScanState *inner;
	ExprState  *outer_key;		/* on the scan tuple with the outer part filled */
	ExprState  *inner_key;		/* ... with the inner part filled */
	int			nouter;
	int			ninner;
	int			batch_size;
	FmgrInfo	eqfn;
	FmgrInfo	hashfn;
	Oid			collation;
	Oid			keytype;
	int16		keylen;
	bool		keybyval;
	char		keyalign;
	MemoryContext batchcxt;		/* one batch: outer rows, keys, inner rows */
	TupleTableSlot *outer_store;	/* to read back a kept outer row */
	TupleTableSlot *inner_store;
	TupleTableSlot *pending;	/* outer row that did not fit the last batch */
	bool		outer_done;
	bool		inner_started;
	/* the batch */
	MinimalTuple *outer_rows;
	uint32	   *outer_hashes;
	bool	   *outer_null;
	int			nrows;
	int			nbuckets;
	MCKeyEntry **buckets;		/* inner rows by key hash */
	/* probing */
	int			cur_row;
	MCKeyEntry *cur_entry;
	bool		row_loaded;
	/* EXPLAIN ANALYZE */
	long		nbatches;
	long		nkeys;
	double		planned_keys;
} MCKeyJoinState;

static CustomPathMethods keyjoin_path_methods;
static CustomScanMethods keyjoin_scan_methods;
static CustomExecMethods keyjoin_exec_methods;

/* ---------- planning ---------- */

static Node *
strip_relabel(Node *n)
{
	while (n && IsA(n, RelabelType))
		n = (Node *) ((RelabelType *) n)->arg;
	return n;
}

/*
 * Is rinfo `outer_expr = inner.key` with a key column of innerrel?  Sets the
 * two sides, the key's attnum and its rows per key.
 */
static bool
key_clause(RestrictInfo *rinfo, RelOptInfo *outerrel, RelOptInfo *innerrel,
		   Expr **outer_expr, Var **inner_var, double *rows_per_key)
{
	OpExpr	   *op;
	Oid			ltype,
				rtype;
	char	   *opname;
	int			side;

	if (!IsA(rinfo->clause, OpExpr) || !rinfo->can_join)
		return false;
	op = (OpExpr *) rinfo->clause;
	if (list_length(op->args) != 2 || !OidIsValid(rinfo->hashjoinoperator))
		return false;
	op_input_types(op->opno, &ltype, &rtype);
	opname = get_opname(op->opno);
	if (ltype != rtype || opname == NULL || strcmp(opname, "=") != 0)
		return false;
	for (side = 0; side < 2; side++)
	{
		Node	   *mine = strip_relabel(list_nth(op->args, side));
		Node	   *other = list_nth(op->args, 1 - side);
		Relids		other_relids = side == 0 ? rinfo->right_relids : rinfo->left_relids;

		if (!IsA(mine, Var) || ((Var *) mine)->varno != innerrel->relid ||
			((Var *) mine)->varattno <= 0 || ((Var *) mine)->varlevelsup != 0)
			continue;
		if (bms_is_empty(other_relids) || !bms_is_subset(other_relids, outerrel->relids))
			continue;
		if (!mc_key_column(innerrel, ((Var *) mine)->varattno, rows_per_key))
			continue;
		*inner_var = (Var *) mine;
		*outer_expr = (Expr *) other;
		return true;
	}
	return false;
}

static bool
ours(RelOptInfo *rel)
{
	return rel->reloptkind == RELOPT_BASEREL && rel->fdwroutine != NULL &&
		rel->fdwroutine->GetForeignPaths == mcGetForeignPaths && rel->fdw_private != NULL;
}

static void
keyjoin_pathlist(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel,
				 RelOptInfo *innerrel, JoinType jointype, JoinPathExtraData *extra)
{
	Path	   *outer_path = outerrel->cheapest_total_path;
	RestrictInfo *keyinfo = NULL;
	Expr	   *outer_expr = NULL;
	Var		   *inner_var = NULL;
	double		rows_per_key = 1,
				calls,
				rounds,
				nkeys,
				batches,
				inner_rows,
				startup,
				inner_total,
				cpu;
	ListCell   *lc;
	CustomPath *cpath;
	Path	   *inner_path;
	OpExpr	   *op;
	Oid			arraytype,
				keytype;

	if (prev_join_pathlist_hook)
		prev_join_pathlist_hook(root, joinrel, outerrel, innerrel, jointype, extra);
	if (!mc_enable_key_join || !ours(innerrel) || outer_path == NULL)
		return;
	/* rows to lock or to re-check (FOR UPDATE, UPDATE/DELETE ... FROM): PostgreSQL's joins */
	if (root->rowMarks != NIL || root->parse->resultRelation == (int) innerrel->relid)
		return;
#if PG_VERSION_NUM < 190000		/* 19 unique-ifies the semijoin's side as a rel of its own */
	if (jointype == JOIN_UNIQUE_OUTER)
	{
		/* `foreign.key IN (SELECT x FROM local)`: the distinct x, then as INNER */
		outer_path = (Path *) create_unique_path(root, outerrel, outer_path, extra->sjinfo);
		if (outer_path == NULL)
			return;
		jointype = JOIN_INNER;
	}
#endif
	if (jointype != JOIN_INNER || outer_path->param_info != NULL ||
		!bms_is_empty(innerrel->lateral_relids) || !bms_is_empty(joinrel->lateral_relids) ||
		root->placeholder_list != NIL)
		return;
	foreach(lc, extra->restrictlist)
	{
		RestrictInfo *rinfo = lfirst(lc);

		if (rinfo->pseudoconstant)
			return;				/* would need a gating Result: leave it to PostgreSQL */
		if (keyinfo == NULL &&
			key_clause(rinfo, outerrel, innerrel, &outer_expr, &inner_var, &rows_per_key))
			keyinfo = rinfo;
	}
	if (keyinfo == NULL)
		return;
	op = (OpExpr *) keyinfo->clause;
	op_input_types(op->opno, &keytype, &keytype);
	arraytype = get_array_type(keytype);
	if (!OidIsValid(arraytype))
		return;

	/*
	 * Cost: the outer side, one scan start-up per batch of keys (instead of
	 * one per outer row), the inner rows, and hashing both sides.
	 */
	nkeys = clamp_row_est(outer_path->rows);
	batches = ceil(nkeys / mc_key_join_batch);
	inner_rows = clamp_row_est(nkeys * rows_per_key);
	startup = mc_key_scan_calls(root, innerrel, inner_var->varattno,
								(int) Min(nkeys, mc_key_join_batch), &calls, &rounds);
	inner_total = batches * startup + inner_rows * 10 * cpu_tuple_cost;
	cpu = (outer_path->rows + inner_rows) * cpu_operator_cost + joinrel->rows * cpu_tuple_cost;
	inner_path = mc_key_scan_path(root, innerrel, inner_var->varattno, "=", arraytype,
								  inner_rows, calls, rounds, startup, inner_total);

	cpath = makeNode(CustomPath);
	cpath->path.pathtype = T_CustomScan;
	cpath->path.parent = joinrel;
	cpath->path.pathtarget = joinrel->reltarget;
	cpath->path.param_info = NULL;
	cpath->path.parallel_aware = false;
	cpath->path.parallel_safe = false;
	cpath->path.parallel_workers = 0;
	cpath->path.rows = joinrel->rows;
	cpath->path.startup_cost = outer_path->total_cost + startup;
	cpath->path.total_cost = outer_path->total_cost + inner_total + cpu;
	/* rows come out batch by batch in the outer side's order */
	cpath->path.pathkeys = build_join_pathkeys(root, joinrel, JOIN_INNER, outer_path->pathkeys);
	cpath->flags = 0;
	cpath->custom_paths = list_make2(outer_path, inner_path);
	cpath->custom_private = list_make4(extract_actual_clauses(extra->restrictlist, false),
									   outer_expr, inner_var,
									   list_make4(makeInteger((int) op->opno),
												  makeInteger((int) op->inputcollid),
												  makeFloat(psprintf("%g", nkeys)),
												  makeInteger((int) keytype)));
	cpath->custom_private = lappend(cpath->custom_private,
									list_make2(makeFloat(psprintf("%g", batches * calls)),
											   makeFloat(psprintf("%g", batches * rounds))));
	cpath->methods = &keyjoin_path_methods;
	add_path(joinrel, (Path *) cpath);
}

/* The scan tuple: the outer plan's columns, then the inner plan's. */
static List *
scan_tlist(Plan *outer, Plan *inner)
{
	List	   *tl = NIL;
	ListCell   *lc;
	int			resno = 1;

	foreach(lc, outer->targetlist)
		tl = lappend(tl, makeTargetEntry(copyObject(((TargetEntry *) lfirst(lc))->expr),
										 resno++, NULL, false));
	foreach(lc, inner->targetlist)
		tl = lappend(tl, makeTargetEntry(copyObject(((TargetEntry *) lfirst(lc))->expr),
										 resno++, NULL, false));
	return tl;
}

static Plan *
keyjoin_plan(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path, List *tlist,
			 List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	List	   *priv = best_path->custom_private;
	List	   *opinfo = lfourth(priv);
	Plan	   *outer = linitial(custom_plans);
	Plan	   *inner = lsecond(custom_plans);

	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = linitial(priv);	/* every join clause, rechecked */
	cscan->scan.scanrelid = 0;
	cscan->flags = best_path->flags;
	cscan->custom_plans = custom_plans;
	cscan->custom_exprs = list_make2(lsecond(priv), lthird(priv));
	cscan->custom_scan_tlist = scan_tlist(outer, inner);
	cscan->custom_relids = bms_copy(rel->relids);
	cscan->custom_private = list_make5(linitial(opinfo), lsecond(opinfo),
									   makeInteger(list_length(outer->targetlist)),
									   makeInteger(mc_key_join_batch), lthird(opinfo));
	cscan->custom_private = lappend(cscan->custom_private, lfourth(opinfo));
	cscan->custom_private = lappend(cscan->custom_private, list_nth(priv, 4));
	cscan->methods = &keyjoin_scan_methods;
	return &cscan->scan.plan;
}

/* ---------- execution ---------- */

static Node *
keyjoin_create_state(CustomScan *cscan)
{
	MCKeyJoinState *st = palloc0(sizeof(MCKeyJoinState));

	NodeSetTag(st, T_CustomScanState);
	st->css.methods = &keyjoin_exec_methods;
	return (Node *) st;
}

static void
keyjoin_begin(CustomScanState *node, EState *estate, int eflags)
{
	MCKeyJoinState *st = (MCKeyJoinState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *priv = cscan->custom_private;
	Oid			opno = (Oid) intVal(list_nth(priv, MKJ_OPNO));
	RegProcedure lhash,
				rhash;
	TupleDesc	outer_desc,
				inner_desc;

	st->outer = ExecInitNode(linitial(cscan->custom_plans), estate, eflags);
	st->inner = (ForeignScanState *) ExecInitNode(lsecond(cscan->custom_plans), estate, eflags);
	node->custom_ps = list_make2(st->outer, st->inner);
	st->outer_key = ExecInitExpr(linitial(cscan->custom_exprs), &node->ss.ps);
	st->inner_key = ExecInitExpr(lsecond(cscan->custom_exprs), &node->ss.ps);
	st->nouter = intVal(list_nth(priv, MKJ_NOUTER));
	st->batch_size = intVal(list_nth(priv, MKJ_BATCH));
	st->planned_keys = floatVal(list_nth(priv, MKJ_PLANNED_KEYS));
	st->collation = (Oid) intVal(list_nth(priv, MKJ_COLLATION));
	st->keytype = (Oid) intVal(list_nth(priv, MKJ_KEYTYPE));
	get_typlenbyvalalign(st->keytype, &st->keylen, &st->keybyval, &st->keyalign);
	fmgr_info(get_opcode(opno), &st->eqfn);
	if (!get_op_hash_functions(opno, &lhash, &rhash))
		elog(ERROR, "operator %u has no hash function", opno);
	fmgr_info(lhash, &st->hashfn);

	outer_desc = ExecGetResultType(st->outer);
	inner_desc = ExecGetResultType((PlanState *) st->inner);
	st->ninner = inner_desc->natts;
	st->outer_store = ExecInitExtraTupleSlot(estate, outer_desc, &TTSOpsMinimalTuple);
	st->inner_store = ExecInitExtraTupleSlot(estate, inner_desc, &TTSOpsMinimalTuple);
	st->pending = ExecInitExtraTupleSlot(estate, outer_desc, &TTSOpsMinimalTuple);
	st->batchcxt = AllocSetContextCreate(CurrentMemoryContext, "multicorn key join batch",
										 ALLOCSET_DEFAULT_SIZES);
}

/* Fill the scan tuple from an outer and/or inner row (NULLs elsewhere). */
static TupleTableSlot *
fill_scan(MCKeyJoinState *st, TupleTableSlot *outer, TupleTableSlot *inner)
{
	TupleTableSlot *scan = st->css.ss.ss_ScanTupleSlot;
	int			i;

	ExecClearTuple(scan);
	if (outer)
		slot_getallattrs(outer);
	if (inner)
		slot_getallattrs(inner);
	for (i = 0; i < st->nouter; i++)
	{
		scan->tts_values[i] = outer ? outer->tts_values[i] : (Datum) 0;
		scan->tts_isnull[i] = outer ? outer->tts_isnull[i] : true;
	}
	for (i = 0; i < st->ninner; i++)
	{
		scan->tts_values[st->nouter + i] = inner ? inner->tts_values[i] : (Datum) 0;
		scan->tts_isnull[st->nouter + i] = inner ? inner->tts_isnull[i] : true;
	}
	return ExecStoreVirtualTuple(scan);
}

static Datum
eval_key(MCKeyJoinState *st, ExprState *expr, bool *isnull)
{
	ExprContext *econtext = st->css.ss.ps.ps_ExprContext;

	econtext->ecxt_scantuple = st->css.ss.ss_ScanTupleSlot;
	return ExecEvalExpr(expr, econtext, isnull);
}

static uint32
key_hash(MCKeyJoinState *st, Datum key)
{
	return DatumGetUInt32(FunctionCall1Coll(&st->hashfn, st->collation, key));
}

static bool
key_equal(MCKeyJoinState *st, Datum a, Datum b)
{
	return DatumGetBool(FunctionCall2Coll(&st->eqfn, st->collation, a, b));
}

/* Adds key to the batch's set of distinct keys; returns whether it was new. */
static bool
add_distinct_key(MCKeyJoinState *st, MCKeyEntry **set, int nset, uint32 hash, Datum key,
				 Datum *keys, int *nkeys)
{
	MCKeyEntry **head = &set[hash & (nset - 1)];
	MCKeyEntry *e;

	for (e = *head; e; e = e->next)
		if (e->hash == hash && key_equal(st, e->key, key))
			return false;
	e = palloc(sizeof(MCKeyEntry));
	e->hash = hash;
	e->key = datumCopy(key, st->keybyval, st->keylen);
	e->tuple = NULL;
	e->next = *head;
	*head = e;
	keys[(*nkeys)++] = e->key;
	return true;
}

static int
buckets_for(int n)
{
	int			b = 16;

	while (b < n * 2 && b < (1 << 24))
		b <<= 1;
	return b;
}

/*
 * Read the next batch of outer rows (up to batch_size distinct keys).  The
 * batch lives in batchcxt; the child runs in the caller's (query) context,
 * as it may keep what it allocates (a heap scan's descriptor) past the batch.
 */
static Datum *
read_outer_batch(MCKeyJoinState *st, int *nkeys)
{
	int			cap = 64;
	int			nset = buckets_for(st->batch_size);
	MemoryContext old = MemoryContextSwitchTo(st->batchcxt);
	MCKeyEntry **set = palloc0(sizeof(MCKeyEntry *) * nset);
	Datum	   *keys = palloc(sizeof(Datum) * st->batch_size);

	st->outer_rows = palloc(sizeof(MinimalTuple) * cap);
	st->outer_hashes = palloc(sizeof(uint32) * cap);
	st->outer_null = palloc(sizeof(bool) * cap);
	MemoryContextSwitchTo(old);
	st->nrows = 0;
	*nkeys = 0;
	while (!st->outer_done)
	{
		TupleTableSlot *slot;
		Datum		key;
		bool		isnull;
		uint32		hash = 0;

		if (!TupIsNull(st->pending))
			slot = st->pending;
		else
		{
			slot = ExecProcNode(st->outer);
			if (TupIsNull(slot))
			{
				st->outer_done = true;
				break;
			}
		}
		fill_scan(st, slot, NULL);
		key = eval_key(st, st->outer_key, &isnull);
		if (!isnull)
		{
			hash = key_hash(st, key);
			if (*nkeys >= st->batch_size)
			{
				/* a new key that does not fit: it starts the next batch */
				MCKeyEntry *e;

				for (e = set[hash & (nset - 1)]; e; e = e->next)
					if (e->hash == hash && key_equal(st, e->key, key))
						break;
				if (e == NULL)
				{
					if (slot != st->pending)
						ExecCopySlot(st->pending, slot);
					return keys;
				}
			}
			else
			{
				old = MemoryContextSwitchTo(st->batchcxt);
				add_distinct_key(st, set, nset, hash, key, keys, nkeys);
				MemoryContextSwitchTo(old);
			}
		}
		old = MemoryContextSwitchTo(st->batchcxt);
		if (st->nrows == cap)
		{
			cap *= 2;
			st->outer_rows = repalloc(st->outer_rows, sizeof(MinimalTuple) * cap);
			st->outer_hashes = repalloc(st->outer_hashes, sizeof(uint32) * cap);
			st->outer_null = repalloc(st->outer_null, sizeof(bool) * cap);
		}
		st->outer_rows[st->nrows] = ExecCopySlotMinimalTuple(slot);
		st->outer_hashes[st->nrows] = hash;
		st->outer_null[st->nrows] = isnull;
		st->nrows++;
		MemoryContextSwitchTo(old);
		if (slot == st->pending)
			ExecClearTuple(st->pending);
	}
	return keys;
}

/* Run the inner scan once with `key = ANY(keys)` and hash its rows by key. */
static void
read_inner(MCKeyJoinState *st, Datum *keys, int nkeys)
{
	MemoryContext old = MemoryContextSwitchTo(st->batchcxt);
	ArrayType  *array = construct_array(keys, nkeys, st->keytype, st->keylen,
										st->keybyval, st->keyalign);

	st->nbuckets = buckets_for(nkeys);
	st->buckets = palloc0(sizeof(MCKeyEntry *) * st->nbuckets);
	MemoryContextSwitchTo(old);
	if (st->inner_started)
		ExecReScan((PlanState *) st->inner);
	st->inner_started = true;
	mc_scan_set_keys(st->inner, PointerGetDatum(array));
	st->nbatches++;
	st->nkeys += nkeys;
	for (;;)
	{
		TupleTableSlot *slot = ExecProcNode((PlanState *) st->inner);
		MCKeyEntry *e;
		Datum		key;
		bool		isnull;

		if (TupIsNull(slot))
			break;
		fill_scan(st, NULL, slot);
		key = eval_key(st, st->inner_key, &isnull);
		if (isnull)
			continue;
		old = MemoryContextSwitchTo(st->batchcxt);
		e = palloc(sizeof(MCKeyEntry));
		e->hash = key_hash(st, key);
		e->key = (Datum) 0;
		e->tuple = ExecCopySlotMinimalTuple(slot);
		e->next = st->buckets[e->hash & (st->nbuckets - 1)];
		st->buckets[e->hash & (st->nbuckets - 1)] = e;
		MemoryContextSwitchTo(old);
	}
}

/* Load the next batch; false when the outer side is done. */
static bool
next_batch(MCKeyJoinState *st)
{
	for (;;)
	{
		Datum	   *keys;
		int			nkeys;

		if (st->outer_done && TupIsNull(st->pending))
			return false;
		MemoryContextReset(st->batchcxt);
		keys = read_outer_batch(st, &nkeys);
		if (nkeys == 0)
			continue;			/* only NULL keys (or nothing): no scan */
		read_inner(st, keys, nkeys);
		st->cur_row = 0;
		st->cur_entry = NULL;
		st->row_loaded = false;
		return true;
	}
}

/* The next outer x inner pair of the batch whose key hashes match. */
static TupleTableSlot *
keyjoin_next(ScanState *ss)
{
	MCKeyJoinState *st = (MCKeyJoinState *) ss;

	for (;;)
	{
		if (st->buckets == NULL || st->cur_row >= st->nrows)
		{
			st->buckets = NULL;
			if (!next_batch(st))
				return ExecClearTuple(ss->ss_ScanTupleSlot);
		}
		if (!st->row_loaded)
		{
			if (st->outer_null[st->cur_row])
			{
				st->cur_row++;
				continue;
			}
			st->cur_entry = st->buckets[st->outer_hashes[st->cur_row] & (st->nbuckets - 1)];
			st->row_loaded = true;
		}
		while (st->cur_entry && st->cur_entry->hash != st->outer_hashes[st->cur_row])
			st->cur_entry = st->cur_entry->next;
		if (st->cur_entry == NULL)
		{
			st->cur_row++;
			st->row_loaded = false;
			continue;
		}
		ExecStoreMinimalTuple(st->outer_rows[st->cur_row], st->outer_store, false);
		ExecStoreMinimalTuple(st->cur_entry->tuple, st->inner_store, false);
		st->cur_entry = st->cur_entry->next;
		return fill_scan(st, st->outer_store, st->inner_store);
	}
}

static bool
keyjoin_recheck(ScanState *ss, TupleTableSlot *slot)
{
	return true;
}

static TupleTableSlot *
keyjoin_exec(CustomScanState *node)
{
	return ExecScan(&node->ss, keyjoin_next, keyjoin_recheck);
}

static void
keyjoin_end(CustomScanState *node)
{
	MCKeyJoinState *st = (MCKeyJoinState *) node;

	ExecEndNode(st->outer);
	ExecEndNode((PlanState *) st->inner);
}

static void
keyjoin_rescan(CustomScanState *node)
{
	MCKeyJoinState *st = (MCKeyJoinState *) node;

	ExecReScan(st->outer);
	ExecClearTuple(st->pending);
	st->outer_done = false;
	st->buckets = NULL;
	st->nrows = 0;
	MemoryContextReset(st->batchcxt);
}

static void
keyjoin_explain(CustomScanState *node, List *ancestors, ExplainState *es)
{
	MCKeyJoinState *st = (MCKeyJoinState *) node;
	double		planned = ceil(st->planned_keys / st->batch_size);
	List	   *calls = list_nth(((CustomScan *) node->ss.ps.plan)->custom_private, MKJ_CALLS);

	ExplainPropertyInteger("Keys per Scan", NULL, st->batch_size, es);
	ExplainPropertyFloat("Planned Inner Scans", NULL, planned, 0, es);
	ExplainPropertyText("Planned Calls",
						psprintf("%.0f in %.0f round%s", floatVal(linitial(calls)),
								 floatVal(lsecond(calls)),
								 floatVal(lsecond(calls)) == 1 ? "" : "s"), es);
	if (es->analyze)
	{
		ExplainPropertyInteger("Inner Scans", NULL, st->nbatches, es);
		ExplainPropertyInteger("Keys Sent", NULL, st->nkeys, es);
	}
}

/* ---------- set-up ---------- */

void
mc_keyjoin_init(void)
{
	static bool done = false;

	if (done)
		return;
	done = true;
	DefineCustomBoolVariable("multicorn.enable_key_join",
							 "Lets a join on a key column of a multicorn table hand the "
							 "wrapper the outer side's keys as one ANY qual.",
							 "Off: PostgreSQL's ordinary plans only (a nested loop calls "
							 "execute() once per outer row).",
							 &mc_enable_key_join, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("multicorn.enable_join_pushdown",
							 "Lets a join of two multicorn tables of one server run as one "
							 "execute_join() call of the wrapper.",
							 "Off: PostgreSQL's ordinary plans (each table scanned on its own).",
							 &mc_enable_join_pushdown, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("multicorn.key_join_batch",
							"Most distinct keys a key join hands the wrapper in one scan.",
							NULL, &mc_key_join_batch, 1000, 1, 100000, PGC_USERSET, 0,
							NULL, NULL, NULL);

	keyjoin_path_methods.CustomName = MC_KEYJOIN_NAME;
	keyjoin_path_methods.PlanCustomPath = keyjoin_plan;
	keyjoin_scan_methods.CustomName = MC_KEYJOIN_NAME;
	keyjoin_scan_methods.CreateCustomScanState = keyjoin_create_state;
	keyjoin_exec_methods.CustomName = MC_KEYJOIN_NAME;
	keyjoin_exec_methods.BeginCustomScan = keyjoin_begin;
	keyjoin_exec_methods.ExecCustomScan = keyjoin_exec;
	keyjoin_exec_methods.EndCustomScan = keyjoin_end;
	keyjoin_exec_methods.ReScanCustomScan = keyjoin_rescan;
	keyjoin_exec_methods.ExplainCustomScan = keyjoin_explain;
	RegisterCustomScanMethods(&keyjoin_scan_methods);

	prev_join_pathlist_hook = set_join_pathlist_hook;
	set_join_pathlist_hook = keyjoin_pathlist;
}

/*
 * multicorn.h
 *		Shared declarations of the ig_fdw Multicorn-compatible runtime.
 *
 * The runtime embeds CPython in a PostgreSQL backend and exposes the
 * multicorn2 3.2 Python API.  Files, one concern each:
 *
 *	init.c		 module load, the FDW handler and validator
 *	interp.c	 starting the embedded interpreter, the multicorn package
 *	signals.c	 relaying cancels, timeouts and terminations to Python
 *	bridge.c	 the boundary between PostgreSQL errors and Python exceptions
 *	instance.c	 options, column definitions and the per-table instance cache
 *	quals.c		 turning restriction clauses into Qual descriptors
 *	planner.c	 GetForeignRelSize / Paths / Plan (path keys, sort, limit)
 *	scan.c		 Begin / Iterate / ReScan / End / Explain of a scan
 *	keyjoin.c	 local JOIN foreign on a key: the outer keys as one ANY qual
 *	joinpush.c	 foreign JOIN foreign of one server as one execute_join() call
 *	convert_in.c Datum -> Python (qual values, rows handed to writes)
 *	convert_out*.c Python -> Datum (values returned by execute()); the
 *				 files and their private header: convert_out.h
 *	row_reader.c rows returned by execute() -> values/isnull
 *	modify.c	 INSERT / UPDATE / DELETE, batch insert, RETURNING
 *	xact.c		 transaction and subtransaction hooks
 *	import.c	 IMPORT FOREIGN SCHEMA
 *
 * The one rule that every file follows: a PostgreSQL error must never
 * longjmp across live Python frames.  Calls from Python into PostgreSQL go
 * through bridge.c, which catches the error, parks it, and raises a Python
 * exception instead; when control is back in C, mc_check_python() rethrows.
 */
#ifndef IGFDW_MULTICORN_H
#define IGFDW_MULTICORN_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "postgres.h"

#include "access/tupdesc.h"
#include "fmgr.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/pg_list.h"
#include "utils/rel.h"

#include "compat.h"

/* A marker string; pgext/Makefile uses it to tell our build from upstream's. */
#define MC_RUNTIME_MARKER "ig_fdw-multicorn-runtime"
extern const char *mc_runtime_marker;

/* ----- interp.c ----- */
extern void mc_ensure_python(void);
extern PyObject *mc_multicorn_module(void);		/* the "multicorn" package */
extern PyObject *mc_attr(const char *name);		/* borrowed attr of it */

/* ----- signals.c ----- */
extern void mc_install_signal_relay(PyObject *native);

/* ----- bridge.c ----- */
extern PyObject *mc_native_module_create(void);
extern void mc_check_python(PyObject *result);	/* rethrow/raise if needed */
extern void mc_raise_python_error(void);		/* pending Python exc -> ERROR */
extern bool mc_error_pending(void);
extern void mc_discard_parked_error(void);	/* drop an error nobody will rethrow */
extern char *mc_pystr_ascii(PyObject *obj);	/* str(obj), non-ASCII escaped; never ERRORs but OOM */
extern char *mc_pystr(PyObject *obj);			/* str(obj) as palloc'd UTF-8 */
extern char *mc_pyrepr_trunc(PyObject *obj, int maxlen);
extern PyObject *mc_py_string(const char *s);	/* server encoding -> str */
extern PyObject *mc_py_string_len(const char *s, int len);
extern char *mc_utf8_to_server(const char *s, Py_ssize_t len, Py_ssize_t *outlen);
extern PyObject *mc_decimal_type(void);		/* decimal.Decimal (borrowed) */

/* ----- instance.c ----- */
typedef struct MCColumn
{
	AttrNumber	attnum;
	char	   *name;
	Oid			typoid;
	int32		typmod;
	bool		dropped;
} MCColumn;

typedef struct MCTableInfo
{
	Oid			relid;
	char	   *relname;
	int			natts;			/* including dropped */
	MCColumn   *cols;			/* natts entries, attnum = i + 1 */
} MCTableInfo;

typedef struct MCInstance
{
	/* hash key */
	Oid			relid;
	Oid			userid;
	/* payload */
	PyObject   *instance;
	PyObject   *signature;		/* (options dict, columns tuple) it was built from */
	bool		stale;
	int			xact_depth;		/* 0: not begun in this transaction */
} MCInstance;

extern MCInstance *mc_get_instance(Oid relid, Oid userid);
extern MCTableInfo *mc_table_info(Relation rel);
extern void mc_add_options(PyObject *dict, List *options);
extern List *mc_user_mapping_options(Oid userid, Oid serverid);
extern PyObject *mc_options_dict(Oid relid, Oid userid, Oid *serverid_out);
extern char *mc_class_name(PyObject *instance);
extern void mc_instance_init_cache(void);
extern void mc_instance_touch_xact(MCInstance *entry);
extern void mc_foreach_instance(void (*fn) (MCInstance *, void *), void *arg);
extern void mc_instance_release_retired(void);

/* ----- quals.c ----- */
typedef enum MCListKind
{
	MC_LIST_NONE = 0,
	MC_LIST_ANY = 1,
	MC_LIST_ALL = 2
} MCListKind;

typedef struct MCQual
{
	AttrNumber	attnum;
	char	   *opname;
	MCListKind	listkind;
	Expr	   *value;			/* the expression giving the right-hand value */
} MCQual;

extern List *mc_extract_quals(PlannerInfo *root, RelOptInfo *baserel, List *clauses,
							  Relids outer_ok);
extern PyObject *mc_quals_to_python(List *quals, MCTableInfo *info,
									Datum *values, bool *isnull, Oid *types,
									bool *known);
extern List *mc_quals_serialize(List *quals);	/* -> fdw_private part */
extern List *mc_quals_deserialize(List *serialized, List *exprs);
extern MCQual *mc_make_key_qual(AttrNumber attnum, const char *opname, Oid arraytype);

/* ----- convert_in.c ----- */
extern void mc_convert_in_init(void);
extern PyObject *mc_datum_to_python(Datum value, bool isnull, Oid typoid);

/* ----- convert_out.c ----- */
typedef struct MCConverter MCConverter;
extern void mc_convert_out_init(void);
extern MCConverter *mc_make_converter(Oid typoid, int32 typmod);
extern Datum mc_python_to_datum(MCConverter *conv, PyObject *value, bool *isnull,
								const char *relname, const char *colname);

/* ----- row_reader.c ----- */
typedef struct MCRowReader
{
	const char *relname;
	const char *classname;
	int			natts;
	MCColumn   *cols;
	MCConverter **convs;		/* per attribute, NULL when dropped */
	bool	   *needed;			/* per attribute: convert this one */
	PyObject   *name_to_index;	/* dict: interned name -> int attribute index */
	PyObject   *rowid_name;		/* may be NULL; tolerated as an extra key */
	int			nlive;			/* non-dropped attributes */
	PyObject  **key_cache;		/* per dict position: the key seen last (owned) */
	long	   *key_index_cache;	/* ... and its attribute index */
} MCRowReader;

extern MCRowReader *mc_row_reader_create(MCTableInfo *info, Bitmapset *needed_attnums,
										 bool all, const char *classname, PyObject *rowid_name);
extern void mc_row_reader_fill(MCRowReader *reader, PyObject *row,
							   Datum *values, bool *isnull);
extern void mc_row_reader_free(MCRowReader *reader);

/* ----- planner.c ----- */
/* Each row from Python costs this much (Python makes a row far slower than a heap scan). */
#define MC_ROW_COST (10 * cpu_tuple_cost)
/* The largest row count or cost taken from Python (PostgreSQL's row count clamp). */
#define MC_MAX_ESTIMATE 1e100
extern void mcGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
extern void mcGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
extern ForeignScan *mcGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
									 Oid foreigntableid, ForeignPath *best_path,
									 List *tlist, List *scan_clauses, Plan *outer_plan);
extern Oid	mc_planning_userid(PlannerInfo *root, RelOptInfo *baserel);
extern void mcGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage,
								   RelOptInfo *input_rel, RelOptInfo *output_rel,
								   void *extra);
extern bool mc_key_column(RelOptInfo *baserel, AttrNumber attnum, double *rows_per_key);
extern Path *mc_key_scan_path(PlannerInfo *root, RelOptInfo *baserel, AttrNumber attnum,
							  const char *opname, Oid arraytype, double rows,
							  double calls, double rounds, double startup, double total);
extern double mc_key_scan_calls(PlannerInfo *root, RelOptInfo *baserel, AttrNumber attnum,
								int nkeys, double *calls, double *rounds);
extern MCInstance *mc_rel_instance(RelOptInfo *baserel, MCTableInfo **info, Oid *userid,
								   List **colnames);
extern PyObject *mc_rel_plan_quals(PlannerInfo *root, RelOptInfo *baserel);
extern double mc_rel_estimate(RelOptInfo *baserel, PyObject *obj, double dflt, const char *what);
extern double mc_rel_calls_cost(RelOptInfo *baserel, double calls, double rounds);

/* ----- joinpush.c ----- */
extern bool mc_enable_join_pushdown;
extern void mcGetForeignJoinPaths(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel,
								  RelOptInfo *innerrel, JoinType jointype,
								  JoinPathExtraData *extra);
extern ForeignScan *mc_join_plan(PlannerInfo *root, RelOptInfo *joinrel, ForeignPath *best_path,
								 List *tlist, Plan *outer_plan);
extern void mc_join_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *mc_join_iterate(ForeignScanState *node);
extern void mc_join_rescan(ForeignScanState *node);
extern void mc_join_end(ForeignScanState *node);
extern void mc_join_explain(ForeignScanState *node, struct ExplainState *es);

/* ----- keyjoin.c ----- */
extern void mc_keyjoin_init(void);

/* ----- scan.c ----- */
extern void mcBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *mcIterateForeignScan(ForeignScanState *node);
extern void mcReScanForeignScan(ForeignScanState *node);
extern void mcEndForeignScan(ForeignScanState *node);
extern void mcExplainForeignScan(ForeignScanState *node, struct ExplainState *es);
extern void mc_release_on_reset(MemoryContext cxt, PyObject **slots, int nslots);
extern void mc_scan_set_keys(ForeignScanState *node, Datum array);
extern bool mc_has_exec_param(Node *node);
extern void mc_explain_planned_calls(double calls, double rounds, struct ExplainState *es);
extern void mc_explain_lines(PyObject *lines, struct ExplainState *es);	/* a wrapper's explain lines */

/* ----- modify.c ----- */
extern void mcAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
									  RangeTblEntry *target_rte, Relation target_relation);
extern List *mcPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
								 Index resultRelation, int subplan_index);
extern void mcBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
								 List *fdw_private, int subplan_index, int eflags);
extern TupleTableSlot *mcExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
										   TupleTableSlot *slot, TupleTableSlot *planSlot);
extern TupleTableSlot **mcExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo,
												 TupleTableSlot **slots,
												 TupleTableSlot **planSlots, int *numSlots);
extern int	mcGetForeignModifyBatchSize(ResultRelInfo *rinfo);
extern TupleTableSlot *mcExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
										   TupleTableSlot *slot, TupleTableSlot *planSlot);
extern TupleTableSlot *mcExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
										   TupleTableSlot *slot, TupleTableSlot *planSlot);
extern void mcEndForeignModify(EState *estate, ResultRelInfo *rinfo);
extern void mcBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo);
extern void mcEndForeignInsert(EState *estate, ResultRelInfo *rinfo);
extern int	mcIsForeignRelUpdatable(Relation rel);

/* ----- xact.c ----- */
extern void mc_xact_register(void);

/* ----- import.c ----- */
extern List *mcImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);

#endif							/* IGFDW_MULTICORN_H */

/*
 * compat.h
 *		PostgreSQL version differences (15 to 18), one place per concern.
 *
 * As contrib/postgres_fdw does, the code elsewhere is written for the
 * newest API and this header maps it onto older servers with
 * PG_VERSION_NUM.  Included by multicorn.h after postgres.h.
 */
#ifndef IGFDW_COMPAT_H
#define IGFDW_COMPAT_H

#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"

/*
 * 18 dropped pg_attribute_noreturn() for pg_noreturn, a function specifier
 * (C11 _Noreturn) that is valid where the old attribute was written.
 */
#ifndef pg_attribute_noreturn
#define pg_attribute_noreturn() pg_noreturn
#endif

/* 18: EXPLAIN's state and its Property functions have headers of their own. */
#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#else
#include "commands/explain.h"
#endif

/* Is the path key a descending sort?  18 replaced pk_strategy by pk_cmptype. */
#if PG_VERSION_NUM >= 180000
#define MC_PATHKEY_DESCENDING(pk) ((pk)->pk_cmptype == COMPARE_GT)
#else
#define MC_PATHKEY_DESCENDING(pk) ((pk)->pk_strategy == BTGreaterStrategyNumber)
#endif

/*
 * create_foreignscan_path / create_foreign_upper_path: 17 added
 * fdw_restrictinfo, 18 disabled_nodes.  The mc_ forms take 15's arguments.
 */
#if PG_VERSION_NUM >= 180000
#define mc_create_foreignscan_path(root, rel, target, rows, startup, total, pathkeys, \
								   required_outer, outerpath, fdw_private) \
	create_foreignscan_path(root, rel, target, rows, 0, startup, total, pathkeys, \
							required_outer, outerpath, NIL, fdw_private)
#define mc_create_foreign_upper_path(root, rel, target, rows, startup, total, pathkeys, \
									 outerpath, fdw_private) \
	create_foreign_upper_path(root, rel, target, rows, 0, startup, total, pathkeys, \
							  outerpath, NIL, fdw_private)
#elif PG_VERSION_NUM >= 170000
#define mc_create_foreignscan_path(root, rel, target, rows, startup, total, pathkeys, \
								   required_outer, outerpath, fdw_private) \
	create_foreignscan_path(root, rel, target, rows, startup, total, pathkeys, \
							required_outer, outerpath, NIL, fdw_private)
#define mc_create_foreign_upper_path(root, rel, target, rows, startup, total, pathkeys, \
									 outerpath, fdw_private) \
	create_foreign_upper_path(root, rel, target, rows, startup, total, pathkeys, \
							  outerpath, NIL, fdw_private)
#else
#define mc_create_foreignscan_path create_foreignscan_path
#define mc_create_foreign_upper_path create_foreign_upper_path
#endif

/* create_foreign_join_path: the same differences; the mc_ form takes 15's arguments. */
#if PG_VERSION_NUM >= 180000
#define mc_create_foreign_join_path(root, rel, target, rows, startup, total, pathkeys, \
									required_outer, outerpath, fdw_private) \
	create_foreign_join_path(root, rel, target, rows, 0, startup, total, pathkeys, \
							 required_outer, outerpath, NIL, fdw_private)
#elif PG_VERSION_NUM >= 170000
#define mc_create_foreign_join_path(root, rel, target, rows, startup, total, pathkeys, \
									required_outer, outerpath, fdw_private) \
	create_foreign_join_path(root, rel, target, rows, startup, total, pathkeys, \
							 required_outer, outerpath, NIL, fdw_private)
#else
#define mc_create_foreign_join_path create_foreign_join_path
#endif

/* The base relations a join's ForeignScan reads: 16 added outer joins to fs_relids. */
#if PG_VERSION_NUM >= 160000
#define MC_SCAN_BASE_RELIDS(fsplan) ((fsplan)->fs_base_relids)
#else
#define MC_SCAN_BASE_RELIDS(fsplan) ((fsplan)->fs_relids)
#endif

/*
 * The role whose user mapping (and credentials) a relation is accessed
 * with: the view owner's through a view, else the current user.  16 moved
 * checkAsUser from RangeTblEntry to RTEPermissionInfo (and onto ForeignScan
 * and RelOptInfo).  See compat.c.
 */
extern Oid	mc_plan_rel_userid(PlannerInfo *root, Index rti);
extern Oid	mc_scan_userid(ForeignScan *fsplan, EState *estate);
extern Oid	mc_result_rel_userid(ResultRelInfo *rinfo, EState *estate);

/*
 * Install a signal handler and return the one it replaces.  18's pqsignal()
 * returns nothing.  See compat.c.
 */
typedef void (*mc_sigfunc) (int);
extern mc_sigfunc mc_pqsignal(int signo, mc_sigfunc func);

#endif							/* IGFDW_COMPAT_H */

/*
 * compat.c
 *		PostgreSQL version differences that need code, not just a macro
 *		(see compat.h).
 */
#include "multicorn.h"

#include <signal.h>

#include "executor/executor.h"
#include "miscadmin.h"
#include "parser/parsetree.h"
#if PG_VERSION_NUM >= 160000
#include "parser/parse_relation.h"
#endif

static Oid
or_current_user(Oid userid)
{
	return OidIsValid(userid) ? userid : GetUserId();
}

/*
 * While planning (also from AddForeignUpdateTargets, which may run before
 * the planner's range table arrays exist: read the query's range table).
 * From 16 on, an inheritance child (a foreign partition) has no
 * RTEPermissionInfo of its own: its parent's applies, as for RelOptInfo.userid.
 */
Oid
mc_plan_rel_userid(PlannerInfo *root, Index rti)
{
	RangeTblEntry *rte = rt_fetch(rti, root->parse->rtable);

#if PG_VERSION_NUM >= 160000
	while (rte->perminfoindex == 0 && root->append_rel_array != NULL &&
		   root->append_rel_array[rti] != NULL)
	{
		rti = root->append_rel_array[rti]->parent_relid;
		rte = rt_fetch(rti, root->parse->rtable);
	}
	if (rte->perminfoindex == 0)
		return GetUserId();
	return or_current_user(getRTEPermissionInfo(root->parse->rteperminfos, rte)->checkAsUser);
#else
	return or_current_user(rte->checkAsUser);
#endif
}

/*
 * When a scan starts (permissions are checked then, not when planning).  A
 * join's scan (scanrelid 0) reads relations of one user mapping: any of them.
 */
Oid
mc_scan_userid(ForeignScan *fsplan, EState *estate)
{
#if PG_VERSION_NUM >= 160000
	return or_current_user(fsplan->checkAsUser);
#else
	Index		rti = fsplan->scan.scanrelid;

	if (rti == 0)
		rti = bms_next_member(fsplan->fs_relids, -1);
	return or_current_user(exec_rt_fetch(rti, estate)->checkAsUser);
#endif
}

/*
 * A table written to.  A routing target (a partition) may have no range
 * table entry of its own: the partitioned table's applies.
 */
Oid
mc_result_rel_userid(ResultRelInfo *rinfo, EState *estate)
{
#if PG_VERSION_NUM >= 160000
	return ExecGetResultRelCheckAsUser(rinfo, estate);
#else
	Index		rti = rinfo->ri_RangeTableIndex;

	if (rti == 0 && rinfo->ri_RootResultRelInfo != NULL)
		rti = rinfo->ri_RootResultRelInfo->ri_RangeTableIndex;
	if (rti == 0)
		return GetUserId();
	return or_current_user(exec_rt_fetch(rti, estate)->checkAsUser);
#endif
}

/*
 * Up to 17, pqsignal() returns the handler it replaces.  18's returns
 * nothing, and installs a wrapper at the OS level that dispatches to a
 * table of handlers; so swap the OS-level handler directly: the one
 * returned (PostgreSQL's wrapper) still dispatches to PostgreSQL's own
 * handler when the relay calls it, and putting it back restores the state.
 */
mc_sigfunc
mc_pqsignal(int signo, mc_sigfunc func)
{
#if PG_VERSION_NUM >= 180000
	struct sigaction act,
				old;

	if (func == SIG_ERR)
		return SIG_ERR;
	if (sigaction(signo, NULL, &old) < 0 || (old.sa_flags & SA_SIGINFO))
		return SIG_ERR;
	act = old;
	act.sa_handler = func;
	if (sigaction(signo, &act, NULL) < 0)
		return SIG_ERR;
	return old.sa_handler;
#else
	return pqsignal(signo, func);
#endif
}

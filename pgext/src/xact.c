/*
 * xact.c
 *		Transaction hooks: begin/pre_commit/commit/rollback and their
 *		subtransaction counterparts, for every instance used in the
 *		transaction (see mc_instance_touch_xact).
 *
 * pre_commit may fail the commit (an ERROR there aborts the transaction,
 * which then calls rollback).  commit, rollback and the hooks run during
 * abort must not throw: their failures become WARNINGs.
 */
#include "multicorn.h"

#include "access/xact.h"

typedef struct HookCall
{
	const char *method;
	int			level;			/* > 0: pass the level; only entries this deep */
	bool		may_throw;
	int			new_depth;		/* depth after the call, -1 = level - 1 */
} HookCall;

static void
call_nothrow(PyObject *instance, const char *method, PyObject *res)
{
	if (res != NULL && !mc_error_pending())
	{
		Py_DECREF(res);
		return;
	}
	Py_XDECREF(res);
	/* Nothing will rethrow it: the hook's failure is only reported. */
	mc_discard_parked_error();
	{
		char	   *msg = "unknown error";
		PyObject   *type,
				   *value,
				   *tb;

		PyErr_Fetch(&type, &value, &tb);
		if (value)
			msg = mc_pystr_ascii(value);	/* no encoding conversion here */
		Py_XDECREF(type);
		Py_XDECREF(value);
		Py_XDECREF(tb);
		PyErr_Clear();
		ereport(WARNING,
				(errmsg("%s.%s() failed: %s", mc_class_name(instance), method, msg)));
	}
}

static void
run_hook(MCInstance *entry, void *arg)
{
	HookCall   *call = arg;
	PyObject   *res;

	if (entry->xact_depth == 0 || (call->level > 0 && entry->xact_depth < call->level))
		return;
	if (call->level > 0)
		res = PyObject_CallMethod(entry->instance, call->method, "i", call->level);
	else
		res = PyObject_CallMethod(entry->instance, call->method, NULL);
	if (call->may_throw)
	{
		/*
		 * On failure the depth stays: the (sub)transaction is then aborted
		 * and this instance gets its (sub_)rollback, as after pre_commit.
		 */
		mc_check_python(res);
		Py_DECREF(res);
	}
	else
		call_nothrow(entry->instance, call->method, res);
	entry->xact_depth = call->new_depth >= 0 ? call->new_depth : call->level - 1;
}

static void
run_hooks(const char *method, int level, bool may_throw, int new_depth)
{
	HookCall	call = {method, level, may_throw, new_depth};

	if (!Py_IsInitialized())
		return;
	mc_foreach_instance(run_hook, &call);
}

static void
note_participant(MCInstance *entry, void *arg)
{
	if (entry->xact_depth > 0)
		*(bool *) arg = true;
}

static void
xact_callback(XactEvent event, void *arg)
{
	bool		participated = false;

	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:

			/*
			 * The wrappers' hooks have no two-phase protocol: after PREPARE
			 * this backend never learns the outcome (COMMIT/ROLLBACK PREPARED
			 * may run anywhere), and the hooks would instead fire for the
			 * next, unrelated transaction.  Refuse, as postgres_fdw does; the
			 * abort that follows calls rollback().
			 */
			if (Py_IsInitialized())
				mc_foreach_instance(note_participant, &participated);
			if (participated)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has used multicorn foreign tables")));
			break;
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
			/* keep depth: commit() still has to run */
			run_hooks("pre_commit", 0, true, 1);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			run_hooks("commit", 0, false, 0);
			/* An error parked in this transaction must not outlive it. */
			mc_discard_parked_error();
			if (Py_IsInitialized())
				mc_instance_release_retired();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			run_hooks("rollback", 0, false, 0);
			mc_discard_parked_error();
			if (Py_IsInitialized())
				mc_instance_release_retired();
			break;
		default:
			break;
	}
}

static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid,
				 SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	if (event == SUBXACT_EVENT_PRE_COMMIT_SUB)
		run_hooks("sub_commit", level, true, -1);
	else if (event == SUBXACT_EVENT_ABORT_SUB)
		run_hooks("sub_rollback", level, false, -1);
}

void
mc_xact_register(void)
{
	RegisterXactCallback(xact_callback, NULL);
	RegisterSubXactCallback(subxact_callback, NULL);
}

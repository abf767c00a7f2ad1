/*
 * instance.c
 *		Options, column definitions and the cache of Python FDW instances.
 *
 * An instance is kept per (foreign table, user) for the life of the backend
 * and rebuilt when the options or columns it was built from change.  Any
 * catalog invalidation that may concern us only marks entries stale; the
 * comparison happens on the next use.
 */
#include "multicorn.h"

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

static HTAB *instances = NULL;

/*
 * Instances replaced while their transaction was open (the table's options
 * or columns changed mid-transaction).  They still get their transaction
 * hooks (a TransactionAwareForeignDataWrapper applies its queued writes in
 * pre_commit: dropping the instance silently lost them), and are released
 * when the transaction ends.  MCInstance copies in TopMemoryContext.
 */
static List *retired = NIL;

static void
mark_all_stale(void)
{
	HASH_SEQ_STATUS status;
	MCInstance *entry;

	if (instances == NULL)
		return;
	hash_seq_init(&status, instances);
	while ((entry = hash_seq_search(&status)) != NULL)
		entry->stale = true;
}

static void
syscache_inval(Datum arg, int cacheid, uint32 hashvalue)
{
	mark_all_stale();
}

static void
relcache_inval(Datum arg, Oid relid)
{
	mark_all_stale();
}

void
mc_instance_init_cache(void)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = 2 * sizeof(Oid);
	ctl.entrysize = sizeof(MCInstance);
	ctl.hcxt = TopMemoryContext;
	instances = hash_create("multicorn instances", 64, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterSyscacheCallback(FOREIGNTABLEREL, syscache_inval, (Datum) 0);
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, syscache_inval, (Datum) 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, syscache_inval, (Datum) 0);
	CacheRegisterRelcacheCallback(relcache_inval, (Datum) 0);
}

void
mc_foreach_instance(void (*fn) (MCInstance *, void *), void *arg)
{
	HASH_SEQ_STATUS status;
	MCInstance *entry;

	ListCell   *lc;

	hash_seq_init(&status, instances);
	while ((entry = hash_seq_search(&status)) != NULL)
		if (entry->instance != NULL)
			fn(entry, arg);
	foreach(lc, retired)
		fn((MCInstance *) lfirst(lc), arg);
}

/* At the end of the top-level transaction: drop the retired instances. */
void
mc_instance_release_retired(void)
{
	ListCell   *lc;

	foreach(lc, retired)
	{
		MCInstance *old = lfirst(lc);

		Py_CLEAR(old->instance);
		Py_CLEAR(old->signature);
		pfree(old);
	}
	list_free(retired);
	retired = NIL;
}

/* Put every DefElem of a list into dict (later lists override earlier). */
void
mc_add_options(PyObject *dict, List *options)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);
		PyObject   *val = mc_py_string(defGetString(def));
		PyObject   *key = mc_py_string(def->defname);

		if (key == NULL || val == NULL || PyDict_SetItem(dict, key, val) < 0)
			mc_raise_python_error();
		Py_DECREF(key);
		Py_DECREF(val);
	}
}

/* The user mapping's options: the user's own, else PUBLIC's, else none. */
List *
mc_user_mapping_options(Oid userid, Oid serverid)
{
	HeapTuple	tp;
	Datum		datum;
	bool		isnull;
	List	   *result = NIL;

	tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(userid),
						 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
							 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		return NIL;
	datum = SysCacheGetAttr(USERMAPPINGUSERSERVER, tp,
							Anum_pg_user_mapping_umoptions, &isnull);
	if (!isnull)
		result = untransformRelOptions(datum);
	ReleaseSysCache(tp);
	return result;
}

/*
 * Options merged table, then server, then user mapping: on a duplicate key
 * the user mapping wins over the server, which wins over the table.
 */
PyObject *
mc_options_dict(Oid relid, Oid userid, Oid *serverid_out)
{
	ForeignTable *table = GetForeignTable(relid);
	ForeignServer *server = GetForeignServer(table->serverid);
	PyObject   *dict = PyDict_New();

	if (dict == NULL)
		mc_raise_python_error();
	mc_add_options(dict, table->options);
	mc_add_options(dict, server->options);
	mc_add_options(dict, mc_user_mapping_options(userid, table->serverid));
	if (serverid_out)
		*serverid_out = table->serverid;
	return dict;
}

MCTableInfo *
mc_table_info(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	MCTableInfo *info = palloc0(sizeof(MCTableInfo));
	int			i;

	info->relid = RelationGetRelid(rel);
	info->relname = pstrdup(RelationGetRelationName(rel));
	info->natts = desc->natts;
	info->cols = palloc0(sizeof(MCColumn) * Max(desc->natts, 1));
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		info->cols[i].attnum = i + 1;
		info->cols[i].name = pstrdup(NameStr(att->attname));
		info->cols[i].typoid = att->atttypid;
		info->cols[i].typmod = att->atttypmod;
		info->cols[i].dropped = att->attisdropped;
	}
	return info;
}

static PyObject *
column_options_dict(Oid relid, AttrNumber attnum)
{
	PyObject   *dict = PyDict_New();

	if (dict == NULL)
		mc_raise_python_error();
	mc_add_options(dict, GetForeignColumnOptions(relid, attnum));
	return dict;
}

/*
 * Build ({name: ColumnDefinition}, signature tuple) for the relation.
 * The signature holds plain values so that it compares cheaply.
 */
static void
build_columns(Relation rel, PyObject **columns_out, PyObject **signature_out)
{
	MCTableInfo *info = mc_table_info(rel);
	PyObject   *coldef_cls = mc_attr("ColumnDefinition");
	PyObject   *columns = PyDict_New();
	PyObject   *sig = PyList_New(0);
	int			i;

	if (columns == NULL || sig == NULL)
		mc_raise_python_error();
	for (i = 0; i < info->natts; i++)
	{
		MCColumn   *col = &info->cols[i];
		PyObject   *opts,
				   *coldef,
				   *item,
				   *pyname,
				   *pytypname;
		char	   *typname,
				   *basename;

		if (col->dropped)
			continue;
		typname = format_type_with_typemod(col->typoid, col->typmod);
		basename = format_type_be(col->typoid);
		opts = column_options_dict(info->relid, col->attnum);
		/* Names are in the server encoding: decode them, never as UTF-8. */
		pyname = mc_py_string(col->name);
		pytypname = mc_py_string(typname);
		if (pyname == NULL || pytypname == NULL)
			mc_raise_python_error();
		coldef = PyObject_CallFunction(coldef_cls, "OIiON", pyname, (int) col->typoid,
									   (int) col->typmod, pytypname,
									   mc_py_string(basename));
		mc_check_python(coldef);
		if (PyObject_SetAttrString(coldef, "options", opts) < 0)
			mc_raise_python_error();
		if (PyDict_SetItem(columns, pyname, coldef) < 0)
			mc_raise_python_error();
		item = Py_BuildValue("(NIiNO)", pyname, (unsigned int) col->typoid,
							 (int) col->typmod, pytypname, opts);
		if (item == NULL || PyList_Append(sig, item) < 0)
			mc_raise_python_error();
		Py_DECREF(item);
		Py_DECREF(coldef);
		Py_DECREF(opts);
	}
	*columns_out = columns;
	*signature_out = sig;
}

/* The Python class named by the server's `wrapper` option. */
static PyObject *
wrapper_class(PyObject *options)
{
	PyObject   *name = PyDict_GetItemString(options, "wrapper");	/* borrowed */
	PyObject   *cls;

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("the foreign server has no \"wrapper\" option"),
				 errhint("ALTER SERVER ... OPTIONS (ADD wrapper 'package.Class').")));
	cls = PyObject_CallFunctionObjArgs(mc_attr("_get_class"), name, NULL);
	mc_check_python(cls);
	return cls;
}

char *
mc_class_name(PyObject *instance)
{
	PyTypeObject *tp = Py_TYPE(instance);
	PyObject   *mod = PyObject_GetAttrString((PyObject *) tp, "__module__");
	char	   *result;

	if (mod && PyUnicode_Check(mod))
		result = psprintf("%s.%s", PyUnicode_AsUTF8(mod), tp->tp_name);
	else
		result = pstrdup(tp->tp_name);
	Py_XDECREF(mod);
	PyErr_Clear();
	return result;
}

MCInstance *
mc_get_instance(Oid relid, Oid userid)
{
	Oid			key[2] = {relid, userid};
	MCInstance *entry;
	bool		found;
	Relation	rel;
	PyObject   *options,
			   *columns,
			   *colsig,
			   *signature,
			   *cls,
			   *instance;

	mc_ensure_python();
	entry = hash_search(instances, key, HASH_ENTER, &found);
	if (!found)
	{
		entry->instance = NULL;
		entry->signature = NULL;
		entry->xact_depth = 0;
		entry->stale = true;
	}
	if (entry->instance != NULL && !entry->stale)
		return entry;

	rel = table_open(relid, AccessShareLock);
	options = mc_options_dict(relid, userid, NULL);
	build_columns(rel, &columns, &colsig);
	table_close(rel, AccessShareLock);
	signature = Py_BuildValue("(NN)", options, colsig);	/* steals both */
	if (signature == NULL)
		mc_raise_python_error();

	if (entry->instance != NULL && entry->signature != NULL)
	{
		int			same = PyObject_RichCompareBool(entry->signature, signature, Py_EQ);

		if (same == 1)
		{
			Py_DECREF(signature);
			Py_DECREF(columns);
			entry->stale = false;
			return entry;
		}
		PyErr_Clear();
	}

	cls = wrapper_class(options);
	{
		PyObject   *fdw_options = PyDict_Copy(options);

		if (fdw_options == NULL || PyDict_DelItemString(fdw_options, "wrapper") < 0)
			mc_raise_python_error();
		instance = PyObject_CallFunctionObjArgs(cls, fdw_options, columns, NULL);
		Py_DECREF(fdw_options);
	}
	Py_DECREF(cls);
	Py_DECREF(columns);
	if (instance == NULL)
		Py_DECREF(signature);
	mc_check_python(instance);

	if (entry->instance != NULL && entry->xact_depth > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		MCInstance *copy = palloc(sizeof(MCInstance));

		*copy = *entry;			/* takes over the references */
		retired = lappend(retired, copy);
		MemoryContextSwitchTo(old);
	}
	else
	{
		Py_XDECREF(entry->instance);
		Py_XDECREF(entry->signature);
	}
	entry->instance = instance;
	entry->signature = signature;
	entry->stale = false;
	/* A new instance has not begun the current transaction. */
	entry->xact_depth = 0;
	return entry;
}

static void
call_hook(PyObject *instance, const char *method, PyObject *arg)
{
	PyObject   *res;

	if (arg)
		res = PyObject_CallMethod(instance, method, "O", arg);
	else
		res = PyObject_CallMethod(instance, method, NULL);
	mc_check_python(res);
	Py_DECREF(res);
}

/*
 * Called when an instance is used by an executor node: begin() once per
 * transaction, then sub_begin(level) for each subtransaction level entered
 * since.
 */
void
mc_instance_touch_xact(MCInstance *entry)
{
	int			level = GetCurrentTransactionNestLevel();

	if (entry->xact_depth == 0)
	{
		entry->xact_depth = 1;
		call_hook(entry->instance, "begin", IsolationUsesXactSnapshot() ? Py_True : Py_False);
	}
	while (entry->xact_depth < level)
	{
		PyObject   *lvl;

		entry->xact_depth++;
		lvl = PyLong_FromLong(entry->xact_depth);
		call_hook(entry->instance, "sub_begin", lvl);
		Py_DECREF(lvl);
	}
}

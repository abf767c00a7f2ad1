/*
 * init.c
 *		Module load, the FDW handler and the validator.  The interpreter
 *		starts in interp.c, on first use; the signal relay is signals.c.
 */
#include "multicorn.h"

#include "access/reloptions.h"
#include "commands/defrem.h"
#include "utils/lsyscache.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "tcop/pquery.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(multicorn_handler);
PG_FUNCTION_INFO_V1(multicorn_validator);

void		_PG_init(void);

/* Referenced so the marker string survives linking; the Makefile greps it. */
const char *mc_runtime_marker = MC_RUNTIME_MARKER;

void
_PG_init(void)
{
	mc_instance_init_cache();
	mc_xact_register();
	mc_keyjoin_init();			/* its GUCs and join hook, visible from load */
}

Datum
multicorn_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = mcGetForeignRelSize;
	routine->GetForeignPaths = mcGetForeignPaths;
	routine->GetForeignPlan = mcGetForeignPlan;
	routine->GetForeignUpperPaths = mcGetForeignUpperPaths;
	routine->GetForeignJoinPaths = mcGetForeignJoinPaths;
	routine->BeginForeignScan = mcBeginForeignScan;
	routine->IterateForeignScan = mcIterateForeignScan;
	routine->ReScanForeignScan = mcReScanForeignScan;
	routine->EndForeignScan = mcEndForeignScan;
	routine->ExplainForeignScan = mcExplainForeignScan;

	routine->AddForeignUpdateTargets = mcAddForeignUpdateTargets;
	routine->PlanForeignModify = mcPlanForeignModify;
	routine->BeginForeignModify = mcBeginForeignModify;
	routine->ExecForeignInsert = mcExecForeignInsert;
	routine->ExecForeignBatchInsert = mcExecForeignBatchInsert;
	routine->GetForeignModifyBatchSize = mcGetForeignModifyBatchSize;
	routine->ExecForeignUpdate = mcExecForeignUpdate;
	routine->ExecForeignDelete = mcExecForeignDelete;
	routine->EndForeignModify = mcEndForeignModify;
	routine->BeginForeignInsert = mcBeginForeignInsert;
	routine->EndForeignInsert = mcEndForeignInsert;
	routine->IsForeignRelUpdatable = mcIsForeignRelUpdatable;

	routine->ImportForeignSchema = mcImportForeignSchema;

	PG_RETURN_POINTER(routine);
}

/*
 * The server a CREATE/ALTER USER MAPPING or FOREIGN TABLE statement names.
 * The validator is not told; the statement being run is the utility
 * statement of the active portal (one statement per portal, also for a
 * multi-statement query string, whose other statements may name other
 * servers; IMPORT FOREIGN SCHEMA runs its CREATE FOREIGN TABLEs inside its
 * own portal).  NULL when it cannot be told (e.g. DDL run from a function):
 * the wrapper then checks its options when it is first used.
 */
static char *
statement_server_name(Oid catalog)
{
	ListCell   *lc;

	if (ActivePortal == NULL)
		return NULL;
	foreach(lc, ActivePortal->stmts)
	{
		PlannedStmt *pstmt = lfirst_node(PlannedStmt, lc);
		Node	   *node = pstmt->utilityStmt;

		if (pstmt->commandType != CMD_UTILITY || node == NULL)
			continue;
		if (catalog == UserMappingRelationId && IsA(node, CreateUserMappingStmt))
			return ((CreateUserMappingStmt *) node)->servername;
		if (catalog == UserMappingRelationId && IsA(node, AlterUserMappingStmt))
			return ((AlterUserMappingStmt *) node)->servername;
		if ((catalog == ForeignTableRelationId || catalog == AttributeRelationId) &&
			IsA(node, CreateForeignTableStmt))
			return ((CreateForeignTableStmt *) node)->servername;
		if ((catalog == ForeignTableRelationId || catalog == AttributeRelationId) &&
			IsA(node, ImportForeignSchemaStmt))
			return ((ImportForeignSchemaStmt *) node)->server_name;
		if ((catalog == ForeignTableRelationId || catalog == AttributeRelationId) &&
			IsA(node, AlterTableStmt))
		{
			Oid			relid = RangeVarGetRelid(((AlterTableStmt *) node)->relation, NoLock, true);

			if (OidIsValid(relid) && get_rel_relkind(relid) == RELKIND_FOREIGN_TABLE)
				return GetForeignServer(GetForeignTable(relid)->serverid)->servername;
		}
	}
	return NULL;
}

static char *
wrapper_of_server(const char *servername)
{
	ForeignServer *server = GetForeignServerByName(servername, true);
	ListCell   *lc;

	if (server == NULL)
		return NULL;
	foreach(lc, server->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "wrapper") == 0)
			return defGetString(def);
	}
	return NULL;
}

/*
 * Raise the wrapper validator's error, if any, without the statement text:
 * the refused statement may carry a secret (CREATE USER MAPPING ... OPTIONS
 * (oauthclientsecret '...')), and the server log would otherwise repeat it
 * in its STATEMENT: line.  Only the STATEMENT: line goes; log_statement
 * still logs what it is set to log (docs/security.md).
 */
static void
check_without_statement(PyObject *result)
{
	MemoryContext oldcxt = CurrentMemoryContext;

	PG_TRY();
	{
		mc_check_python(result);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		edata->hide_stmt = true;
		ReThrowError(edata);
	}
	PG_END_TRY();
}

/*
 * An extension over multicorn2: if the wrapper class has a classmethod
 * validate_options(level, options), it is called at CREATE/ALTER time with
 * level 'server', 'user_mapping', 'table' or 'column'.
 */
static void
call_wrapper_validator(const char *wrapper, const char *level, List *options)
{
	PyObject   *cls,
			   *dict,
			   *res;

	mc_ensure_python();
	cls = PyObject_CallFunction(mc_attr("_get_class"), "N", mc_py_string(wrapper));
	if (cls == NULL)
	{
		/* Not fatal: a dump must restore before its Python package is installed. */
		PyObject   *type,
				   *value,
				   *tb;

		PyErr_Fetch(&type, &value, &tb);
		ereport(WARNING,
				(errmsg("could not import the wrapper class \"%s\" to check these options: %s",
						wrapper, value ? mc_pystr(value) : "unknown error"),
				 errhint("The options are checked when the foreign table is first used. If the module "
						 "should be importable, the server's Python does not find it: set PYTHONPATH in "
						 "the server's environment (Debian: /etc/postgresql/<version>/<cluster>/environment"
						 ") and restart PostgreSQL.")));
		Py_XDECREF(type);
		Py_XDECREF(value);
		Py_XDECREF(tb);
		return;
	}
	mc_check_python(cls);
	if (!PyObject_HasAttrString(cls, "validate_options"))
	{
		Py_DECREF(cls);
		return;
	}
	dict = PyDict_New();
	if (dict == NULL)
		mc_raise_python_error();
	mc_add_options(dict, options);
	res = PyObject_CallMethod(cls, "validate_options", "sO", level, dict);
	Py_DECREF(cls);
	Py_DECREF(dict);
	check_without_statement(res);
	Py_DECREF(res);
}

/*
 * The validator checks where `wrapper` may appear, then lets the wrapper
 * class check its own options (see call_wrapper_validator).
 */
Datum
multicorn_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	char	   *wrapper = NULL;
	const char *level;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "wrapper") == 0)
			wrapper = defGetString(def);
	}
	if (wrapper && catalog != ForeignServerRelationId)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("the option \"wrapper\" may only be set on a foreign server"),
				 errhint("Set it with CREATE SERVER ... OPTIONS (wrapper 'package.Class') and remove it here.")));
	if (!wrapper && catalog == ForeignServerRelationId)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("a multicorn foreign server needs the option \"wrapper\""),
				 errhint("Name the Python class, e.g. OPTIONS (wrapper 'package.module.Class').")));

	if (catalog == ForeignServerRelationId)
		level = "server";
	else if (catalog == UserMappingRelationId)
		level = "user_mapping";
	else if (catalog == ForeignTableRelationId)
		level = "table";
	else if (catalog == AttributeRelationId)
		level = "column";
	else
		PG_RETURN_VOID();
	if (wrapper == NULL)
	{
		char	   *server = statement_server_name(catalog);

		wrapper = server ? wrapper_of_server(server) : NULL;
	}
	if (wrapper)
		call_wrapper_validator(wrapper, level, options);
	PG_RETURN_VOID();
}

/*
 * init.c
 *		Module load, the FDW handler and validator, and the start of the
 *		embedded Python interpreter (once per backend, on first use).
 */
#include "multicorn.h"

#include <signal.h>

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

static bool python_ready = false;
static PyObject *multicorn_module = NULL;

static pqsigfunc pg_sigint_handler = NULL;
static pqsigfunc pg_sigalrm_handler = NULL;
static pqsigfunc pg_sigterm_handler = NULL;

extern void mc_convert_in_init(void);
extern void mc_convert_out_init(void);

void
_PG_init(void)
{
	mc_instance_init_cache();
	mc_xact_register();
}

/*
 * Signal relay.  PostgreSQL's own handler runs first (it only sets flags and
 * the latch); then Python is told that "SIGINT" arrived, so that its eval
 * loop, time.sleep() and blocking socket calls in the main thread run our
 * Python-level handler, which calls check_interrupts().  SIGALRM is relayed
 * too because statement_timeout is delivered through it, and SIGTERM for
 * pg_terminate_backend() and shutdowns (check_interrupts() then ends the
 * backend with FATAL, which exits without unwinding).
 * PyErr_SetInterruptEx is documented as async-signal-safe.
 */
static void
mc_signal_relay(SIGNAL_ARGS)
{
	int			save_errno = errno;

	if (postgres_signal_arg == SIGINT && pg_sigint_handler)
		pg_sigint_handler(postgres_signal_arg);
	else if (postgres_signal_arg == SIGALRM && pg_sigalrm_handler)
		pg_sigalrm_handler(postgres_signal_arg);
	else if (postgres_signal_arg == SIGTERM && pg_sigterm_handler)
		pg_sigterm_handler(postgres_signal_arg);
	PyErr_SetInterruptEx(SIGINT);
	errno = save_errno;
}

static bool
is_real_handler(pqsigfunc f)
{
	return f != NULL && f != SIG_IGN && f != SIG_DFL && f != SIG_ERR;
}

/*
 * Make Python's SIGINT slot point at our check_interrupts handler, then put
 * the OS-level handlers back to the relay (Python's signal.signal replaced
 * them with its own).
 */
static void
install_signal_relay(PyObject *native)
{
	PyObject   *signal_mod,
			   *handler,
			   *res;

	pg_sigint_handler = mc_pqsignal(SIGINT, mc_signal_relay);
	signal_mod = PyImport_ImportModule("signal");
	if (signal_mod == NULL)
		mc_raise_python_error();
	handler = PyObject_GetAttrString(native, "_signal_handler");
	if (handler == NULL)
		mc_raise_python_error();
	res = PyObject_CallMethod(signal_mod, "signal", "iO", SIGINT, handler);
	Py_XDECREF(handler);
	Py_DECREF(signal_mod);
	if (res == NULL)
		mc_raise_python_error();
	Py_DECREF(res);

	if (is_real_handler(pg_sigint_handler))
		mc_pqsignal(SIGINT, mc_signal_relay);
	else
		mc_pqsignal(SIGINT, pg_sigint_handler);

	pg_sigalrm_handler = mc_pqsignal(SIGALRM, mc_signal_relay);
	if (!is_real_handler(pg_sigalrm_handler))
		mc_pqsignal(SIGALRM, pg_sigalrm_handler);

	/*
	 * SIGTERM too: pg_terminate_backend() and a fast shutdown must not wait
	 * for a busy or sleeping wrapper (they did, for ever, until a cancel).
	 */
	pg_sigterm_handler = mc_pqsignal(SIGTERM, mc_signal_relay);
	if (!is_real_handler(pg_sigterm_handler))
		mc_pqsignal(SIGTERM, pg_sigterm_handler);
}

static void
start_interpreter(void)
{
	PyConfig	config;
	PyStatus	status;

	PyConfig_InitPythonConfig(&config);
	config.install_signal_handlers = 0;
	config.parse_argv = 0;
	/* Give sys.executable a meaning; the build records which Python. */
	status = PyConfig_SetBytesString(&config, &config.program_name, MC_PYTHON_EXE);
	if (!PyStatus_Exception(status))
		status = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(status))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION),
				 errmsg("could not start the embedded Python interpreter: %s",
						status.err_msg ? status.err_msg : "unknown error")));
}

/* Put the runtime's own Python directory first on sys.path. */
static void
prepend_runtime_path(void)
{
	char		sharedir[MAXPGPATH];
	char		path[MAXPGPATH];
	PyObject   *sys_path,
			   *entry;

	get_share_path(my_exec_path, sharedir);
	snprintf(path, sizeof(path), "%s/multicorn_runtime/python", sharedir);
	sys_path = PySys_GetObject("path");	/* borrowed */
	if (sys_path == NULL || !PyList_Check(sys_path))
		ereport(ERROR, (errmsg("Python's sys.path is not a list")));
	entry = PyUnicode_DecodeFSDefault(path);
	if (entry == NULL || PyList_Insert(sys_path, 0, entry) < 0)
		mc_raise_python_error();
	Py_DECREF(entry);
}

void
mc_ensure_python(void)
{
	PyObject   *native,
			   *modules;

	if (python_ready)
		return;
	if (!Py_IsInitialized())
		start_interpreter();

	prepend_runtime_path();
	native = mc_native_module_create();
	if (native == NULL)
		mc_raise_python_error();
	modules = PyImport_GetModuleDict();	/* borrowed */
	if (PyDict_SetItemString(modules, "_multicorn_native", native) < 0)
		mc_raise_python_error();

	multicorn_module = PyImport_ImportModule("multicorn");
	if (multicorn_module == NULL)
		mc_raise_python_error();
	if (!PyObject_HasAttrString(multicorn_module, "_RUNTIME"))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION),
				 errmsg("the Python module \"multicorn\" found first on sys.path is not the one of this runtime"),
				 errhint("Another multicorn package shadows it; check the server's PYTHONPATH.")));
	mc_convert_in_init();
	mc_convert_out_init();
	install_signal_relay(native);
	Py_DECREF(native);
	python_ready = true;
}

PyObject *
mc_multicorn_module(void)
{
	if (multicorn_module == NULL)
		mc_ensure_python();
	return multicorn_module;
}

/* A borrowed reference to an attribute of the multicorn package. */
PyObject *
mc_attr(const char *name)
{
	PyObject   *obj;

	obj = PyObject_GetAttrString(mc_multicorn_module(), name);
	if (obj == NULL)
		mc_raise_python_error();
	Py_DECREF(obj);				/* the module keeps it alive */
	return obj;
}

Datum
multicorn_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = mcGetForeignRelSize;
	routine->GetForeignPaths = mcGetForeignPaths;
	routine->GetForeignPlan = mcGetForeignPlan;
	routine->GetForeignUpperPaths = mcGetForeignUpperPaths;
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

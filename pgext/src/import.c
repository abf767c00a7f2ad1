/*
 * import.c
 *		IMPORT FOREIGN SCHEMA through the wrapper's import_schema().
 *
 * import_schema(schema, srv_options, options, restriction_type, restricts)
 * gets the server's options (without `wrapper`) merged with the current
 * user's mapping, the statement's OPTIONS, 'limit' / 'except' / None and
 * the listed table names; each TableDefinition it returns becomes a CREATE FOREIGN TABLE.
 * PostgreSQL filters LIMIT TO / EXCEPT again on the result.
 */
#include "multicorn.h"

#include "commands/defrem.h"
#include "miscadmin.h"

static PyObject *
defelems_to_dict(List *options)
{
	PyObject   *dict = PyDict_New();

	if (dict == NULL)
		mc_raise_python_error();
	mc_add_options(dict, options);
	return dict;
}

/* Server options, then the current user's (or PUBLIC) mapping. */
static PyObject *
server_options(ForeignServer *server)
{
	PyObject   *dict = defelems_to_dict(server->options);
	PyObject   *um = defelems_to_dict(mc_user_mapping_options(GetUserId(), server->serverid));

	if (PyDict_Update(dict, um) < 0)
		mc_raise_python_error();
	Py_DECREF(um);
	return dict;
}

List *
mcImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	PyObject   *srv_options,
			   *options,
			   *restricts,
			   *cls,
			   *tables,
			   *iter,
			   *table;
	const char *restriction = NULL;
	List	   *result = NIL;
	ListCell   *lc;

	mc_ensure_python();
	srv_options = server_options(server);
	if (PyDict_GetItemString(srv_options, "wrapper") == NULL)
		ereport(ERROR, (errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
						errmsg("foreign server \"%s\" has no \"wrapper\" option", server->servername)));
	cls = PyObject_CallFunctionObjArgs(mc_attr("_get_class"),
									   PyDict_GetItemString(srv_options, "wrapper"), NULL);
	mc_check_python(cls);
	/* The class path is the runtime's business: import_schema() never sees it. */
	if (PyDict_DelItemString(srv_options, "wrapper") < 0)
		mc_raise_python_error();
	options = defelems_to_dict(stmt->options);
	restricts = PyList_New(0);
	foreach(lc, stmt->table_list)
	{
		PyObject   *name = mc_py_string(((RangeVar *) lfirst(lc))->relname);

		if (name == NULL || PyList_Append(restricts, name) < 0)
			mc_raise_python_error();
		Py_DECREF(name);
	}
	if (stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO)
		restriction = "limit";
	else if (stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT)
		restriction = "except";

	tables = PyObject_CallMethod(cls, "import_schema", "NOOzO", mc_py_string(stmt->remote_schema),
								 srv_options, options, restriction, restricts);
	Py_DECREF(cls);
	Py_DECREF(srv_options);
	Py_DECREF(options);
	Py_DECREF(restricts);
	mc_check_python(tables);
	iter = PyObject_GetIter(tables);
	Py_DECREF(tables);
	mc_check_python(iter);
	while ((table = PyIter_Next(iter)) != NULL)
	{
		PyObject   *sql = PyObject_CallMethod(table, "to_statement", "NN",
											  mc_py_string(stmt->local_schema),
											  mc_py_string(server->servername));

		Py_DECREF(table);
		mc_check_python(sql);
		result = lappend(result, mc_pystr(sql));
		Py_DECREF(sql);
	}
	Py_DECREF(iter);
	if (PyErr_Occurred() || mc_error_pending())
		mc_raise_python_error();
	return result;
}

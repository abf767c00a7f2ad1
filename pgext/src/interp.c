/*
 * interp.c
 *		The embedded Python interpreter: started once per backend on first
 *		use, with the runtime's Python directory first on sys.path, the
 *		native module registered, the "multicorn" package imported, the
 *		conversions initialized and the signal relay installed.
 */
#include "multicorn.h"

#include "miscadmin.h"

static bool python_ready = false;
static PyObject *multicorn_module = NULL;

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
	mc_install_signal_relay(native);
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

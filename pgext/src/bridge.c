/*
 * bridge.c
 *		The boundary between PostgreSQL errors and Python exceptions.
 *
 * Python calls into PostgreSQL only through the functions of the native
 * module defined here (log_to_postgres, check_interrupts).  Each runs its
 * PostgreSQL work under PG_TRY: an error is copied, the error state is
 * flushed, and the error is *parked* while a Python exception
 * (PostgresError, a BaseException so that `except Exception` does not eat a
 * cancel) unwinds the Python stack.  When control is back in C,
 * mc_check_python() rethrows the parked error with its original SQLSTATE.
 * Thus no longjmp ever crosses a Python frame.
 */
#include "multicorn.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/elog.h"
#include "utils/memutils.h"

static ErrorData *parked_error = NULL;
static MemoryContext parked_cxt = NULL;
static unsigned long main_thread_ident = 0;
static PyObject *PostgresError = NULL;

bool
mc_error_pending(void)
{
	return parked_error != NULL;
}

static void
park_current_error(MemoryContext return_to)
{
	if (parked_cxt == NULL)
		parked_cxt = AllocSetContextCreate(TopMemoryContext, "multicorn parked error",
										   ALLOCSET_SMALL_SIZES);
	if (parked_error == NULL)
	{
		MemoryContextReset(parked_cxt);
		MemoryContextSwitchTo(parked_cxt);
		parked_error = CopyErrorData();
	}
	FlushErrorState();
	MemoryContextSwitchTo(return_to);
}

/*
 * Forget a parked error that nobody will rethrow: a Python callback that ran
 * where errors cannot propagate (commit/rollback hooks, a generator closed
 * while the query's memory is released) may leave one.  It must not be
 * rethrown by a later, unrelated statement.
 */
void
mc_discard_parked_error(void)
{
	parked_error = NULL;
	if (parked_cxt != NULL)
		MemoryContextReset(parked_cxt);
}

static void
rethrow_parked(void)
{
	ErrorData  *edata = parked_error;

	parked_error = NULL;
	ReThrowError(edata);
}

/* Raise the Python-side image of the parked error; returns NULL. */
static PyObject *
raise_parked_in_python(void)
{
	PyObject   *exc;

	exc = PyObject_CallFunction(PostgresError, "s", parked_error->message ? parked_error->message : "");
	if (exc != NULL)
	{
		PyObject   *state = PyUnicode_FromString(unpack_sql_state(parked_error->sqlerrcode));

		if (state)
		{
			PyObject_SetAttrString(exc, "sqlstate", state);
			Py_DECREF(state);
		}
		PyErr_SetObject(PostgresError, exc);
		Py_DECREF(exc);
	}
	return NULL;
}

typedef void (*guarded_fn) (void *arg);

/*
 * Run fn(arg) where a PostgreSQL error may be raised, from Python's side.
 * Returns true on success; false with the error parked and a Python
 * exception set.
 */
static bool
run_guarded(guarded_fn fn, void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	uint32		save_holdoff = InterruptHoldoffCount;
	uint32		save_cancel_holdoff = QueryCancelHoldoffCount;
	uint32		save_crit = CritSectionCount;
	volatile bool ok = true;

	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		park_current_error(oldcxt);
		/* errfinish() zeroed these before longjmp'ing; give them back. */
		InterruptHoldoffCount = save_holdoff;
		QueryCancelHoldoffCount = save_cancel_holdoff;
		CritSectionCount = save_crit;
		ok = false;
	}
	PG_END_TRY();
	if (!ok)
		raise_parked_in_python();
	return ok;
}

static bool
in_main_thread(void)
{
	return PyThread_get_thread_ident() == main_thread_ident;
}

/* ---------- log_to_postgres ---------- */

typedef struct LogArgs
{
	int			elevel;
	/* UTF-8, owned by Python objects that outlive the call */
	const char *message;
	const char *hint;
	const char *detail;
} LogArgs;

static MemoryContext log_cxt = NULL;

/*
 * Everything that may raise a PostgreSQL error runs here, under run_guarded:
 * the conversion to the server encoding fails for characters the database
 * encoding lacks (e.g. a euro sign in a LATIN1 database), and palloc may
 * fail.  The strings live in a context reset after each call, so a long
 * logging loop does not grow the caller's memory.
 */
static void
do_log(void *arg)
{
	LogArgs    *a = (LogArgs *) arg;
	MemoryContext old;
	char	   *message,
			   *hint,
			   *detail;

	if (log_cxt == NULL)
		log_cxt = AllocSetContextCreate(TopMemoryContext, "multicorn log_to_postgres",
										ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(log_cxt);
	message = mc_utf8_to_server(a->message, -1, NULL);
	hint = a->hint ? mc_utf8_to_server(a->hint, -1, NULL) : NULL;
	detail = a->detail ? mc_utf8_to_server(a->detail, -1, NULL) : NULL;
	MemoryContextSwitchTo(old);
	ereport(a->elevel,
			(errmsg_internal("%s", message),
			 hint ? errhint("%s", hint) : 0,
			 detail ? errdetail_internal("%s", detail) : 0));
}

/* The UTF-8 of a str argument, NULL for None or a non-str (or bad Unicode). */
static const char *
optional_utf8(PyObject *obj)
{
	const char *s;

	if (obj == NULL || obj == Py_None)
		return NULL;
	if (!PyUnicode_Check(obj))
		return NULL;
	s = PyUnicode_AsUTF8(obj);
	if (s == NULL)
		PyErr_Clear();
	return s;
}

/*
 * _log_to_postgres(message, code, hint=None, detail=None)
 * code: 0 DEBUG, 1 INFO (shown as NOTICE), 2 WARNING.  ERROR and CRITICAL
 * never get here: multicorn.utils raises MulticornException for them.
 *
 * Nothing here may raise a PostgreSQL error outside run_guarded(): a Python
 * frame (the caller's) is live on the stack.
 */
static PyObject *
py_log_to_postgres(PyObject *self, PyObject *args, PyObject *kwargs)
{
	static char *kwlist[] = {"message", "level", "hint", "detail", NULL};
	PyObject   *message,
			   *hint = NULL,
			   *detail = NULL;
	int			code = 1;
	LogArgs		a;
	PyObject   *msgstr;
	bool		ok;

	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|iOO", kwlist,
									 &message, &code, &hint, &detail))
		return NULL;
	if (parked_error)
		return raise_parked_in_python();
	msgstr = PyObject_Str(message);
	if (msgstr == NULL)
		return NULL;

	if (!in_main_thread())
	{
		/* Worker threads must not touch PostgreSQL: the server log gets it. */
		const char *utf8 = PyUnicode_AsUTF8(msgstr);

		if (utf8 == NULL)
			PyErr_Clear();
		fprintf(stderr, "multicorn (thread): %s\n", utf8 ? utf8 : "<unprintable>");
		Py_DECREF(msgstr);
		Py_RETURN_NONE;
	}

	a.elevel = code <= 0 ? DEBUG1 : code == 1 ? NOTICE : WARNING;
	a.message = optional_utf8(msgstr);
	if (a.message == NULL)
		a.message = "<message is not valid Unicode>";
	a.hint = optional_utf8(hint);
	a.detail = optional_utf8(detail);
	ok = run_guarded(do_log, &a);
	if (log_cxt != NULL)
		MemoryContextReset(log_cxt);
	Py_DECREF(msgstr);
	if (!ok)
		return NULL;
	Py_RETURN_NONE;
}

/* ---------- check_interrupts ---------- */

static void
do_check_interrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * check_interrupts(): raise PostgresError if the statement was cancelled
 * (statement_timeout, pg_cancel_backend, client cancel) or the backend is
 * asked to terminate.  Cheap when nothing is pending.  From a worker thread
 * it only looks at the flags and raises without touching PostgreSQL.
 */
static PyObject *
py_check_interrupts(PyObject *self, PyObject *noargs)
{
	if (parked_error)
		return raise_parked_in_python();
	if (!InterruptPending)
		Py_RETURN_NONE;
	if (!in_main_thread())
	{
		if (QueryCancelPending || ProcDiePending)
		{
			PyErr_SetString(PostgresError, "canceling statement: requested by PostgreSQL");
			return NULL;
		}
		Py_RETURN_NONE;
	}
	if (!run_guarded(do_check_interrupts, NULL))
		return NULL;
	Py_RETURN_NONE;
}

/* Python-level SIGINT handler installed by signals.c; signals relay here. */
static PyObject *
py_signal_handler(PyObject *self, PyObject *args)
{
	return py_check_interrupts(self, NULL);
}

static PyObject *
py_cancel_pending(PyObject *self, PyObject *noargs)
{
	return PyBool_FromLong(parked_error != NULL ||
						   (InterruptPending && (QueryCancelPending || ProcDiePending)));
}

static PyMethodDef native_methods[] = {
	{"log_to_postgres", (PyCFunction) (void (*) (void)) py_log_to_postgres,
	METH_VARARGS | METH_KEYWORDS, "Emit a message through PostgreSQL's elog."},
	{"check_interrupts", py_check_interrupts, METH_NOARGS,
	"Raise PostgresError if PostgreSQL wants the statement cancelled."},
	{"cancel_pending", py_cancel_pending, METH_NOARGS,
	"True if a cancel or termination is pending (safe from any thread)."},
	{"_signal_handler", py_signal_handler, METH_VARARGS, NULL},
	{NULL, NULL, 0, NULL}
};

static struct PyModuleDef native_def = {
	PyModuleDef_HEAD_INIT, "_multicorn_native",
	"C side of the ig_fdw multicorn runtime.", -1, native_methods
};

PyObject *
mc_native_module_create(void)
{
	PyObject   *mod = PyModule_Create(&native_def);

	if (mod == NULL)
		return NULL;
	main_thread_ident = PyThread_get_thread_ident();
	PostgresError = PyErr_NewExceptionWithDoc("multicorn.PostgresError",
											  "A PostgreSQL error (e.g. a cancel) raised while Python called into PostgreSQL. "
											  "Derives from BaseException: let it propagate.",
											  PyExc_BaseException, NULL);
	if (PostgresError == NULL)
		return NULL;
	Py_INCREF(PostgresError);
	if (PyModule_AddObject(mod, "PostgresError", PostgresError) < 0)
		return NULL;
	if (PyModule_AddStringConstant(mod, "marker", MC_RUNTIME_MARKER) < 0)
		return NULL;
	return mod;
}

/* ---------- Python exception -> PostgreSQL ERROR ---------- */

static char *
attr_string(PyObject *obj, const char *name)
{
	PyObject   *val;
	char	   *result = NULL;

	if (obj == NULL)
		return NULL;
	val = PyObject_GetAttrString(obj, name);
	if (val == NULL)
	{
		PyErr_Clear();
		return NULL;
	}
	if (PyUnicode_Check(val))
		result = mc_utf8_to_server(PyUnicode_AsUTF8(val), -1, NULL);
	Py_DECREF(val);
	PyErr_Clear();
	return result;
}

static char *
format_traceback(PyObject *type, PyObject *value, PyObject *tb)
{
	PyObject   *mod,
			   *lines,
			   *joined = NULL,
			   *sep;
	char	   *result = NULL;

	mod = PyImport_ImportModule("traceback");
	if (mod == NULL)
	{
		PyErr_Clear();
		return NULL;
	}
	lines = PyObject_CallMethod(mod, "format_exception", "OOO",
								type ? type : Py_None, value ? value : Py_None, tb ? tb : Py_None);
	Py_DECREF(mod);
	if (lines)
	{
		sep = PyUnicode_FromString("");
		if (sep)
		{
			joined = PyUnicode_Join(sep, lines);
			Py_DECREF(sep);
		}
		Py_DECREF(lines);
	}
	if (joined)
	{
		result = mc_utf8_to_server(PyUnicode_AsUTF8(joined), -1, NULL);
		Py_DECREF(joined);
	}
	PyErr_Clear();
	return result;
}

static int
sqlstate_of(PyObject *value)
{
	char	   *s = attr_string(value, "sqlstate");
	int			i;

	if (s == NULL || strlen(s) != 5)
		return ERRCODE_FDW_ERROR;
	for (i = 0; i < 5; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
			return ERRCODE_FDW_ERROR;
	return MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4]);
}

/*
 * The current Python exception becomes an ERROR: message str(exc), or its
 * `message` attribute when it has one; HINT/DETAIL from its `hint`/`detail`,
 * SQLSTATE from its `sqlstate` (default HV000); the traceback goes to the
 * server log only.  A parked PostgreSQL error wins over the Python one: it
 * is what really happened (e.g. the cancel that made Python unwind).
 */
void
mc_raise_python_error(void)
{
	PyObject   *type,
			   *value,
			   *tb;
	char	   *message,
			   *hint,
			   *detail,
			   *trace;
	int			code;

	if (parked_error)
	{
		PyErr_Clear();
		rethrow_parked();
	}
	PyErr_Fetch(&type, &value, &tb);
	if (type == NULL)
		ereport(ERROR, (errcode(ERRCODE_FDW_ERROR),
						errmsg("Python call failed without an exception")));
	PyErr_NormalizeException(&type, &value, &tb);
	if (tb && value)
		PyException_SetTraceback(value, tb);

	/* A `message` attribute (MulticornException's, or a wrapper's own
	 * exceptions whose str() also carries the hint for upstream multicorn2)
	 * is the message; else str(exc). */
	message = attr_string(value, "message");
	if (message == NULL)
		message = value ? mc_pystr(value) : NULL;
	if (message == NULL || message[0] == '\0')
		message = pstrdup(((PyTypeObject *) type)->tp_name);
	hint = attr_string(value, "hint");
	detail = attr_string(value, "detail");
	code = sqlstate_of(value);
	trace = format_traceback(type, value, tb);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
	PyErr_Clear();

	ereport(ERROR,
			(errcode(code),
			 errmsg_internal("%s", message),
			 hint ? errhint("%s", hint) : 0,
			 detail ? errdetail_internal("%s", detail) : 0,
			 trace ? errdetail_log("%s%s%s", detail ? detail : "", detail ? "\n" : "", trace) : 0));
}

/*
 * Call after every call from C into Python: raises for a NULL result and
 * rethrows an error that was parked while Python ran.
 */
void
mc_check_python(PyObject *result)
{
	if (result == NULL)
		mc_raise_python_error();
	if (parked_error)
	{
		Py_DECREF(result);
		PyErr_Clear();
		rethrow_parked();
	}
}

/* ---------- strings ---------- */

char *
mc_utf8_to_server(const char *s, Py_ssize_t len, Py_ssize_t *outlen)
{
	char	   *conv;

	if (s == NULL)
	{
		PyErr_Clear();
		s = "";
	}
	if (len < 0)
		len = strlen(s);
	{
		/*
		 * ASCII is the same in every server encoding: no conversion, hence
		 * no error and no catalog lookup (conversions outside a transaction,
		 * as in commit/abort hooks, would fail).
		 */
		Py_ssize_t	i;

		for (i = 0; i < len; i++)
			if ((unsigned char) s[i] >= 0x80)
				break;
		if (i == len)
		{
			if (outlen)
				*outlen = len;
			return pnstrdup(s, len);
		}
	}
	conv = pg_any_to_server(s, (int) len, PG_UTF8);
	if (conv == s)
		conv = pnstrdup(s, len);
	if (outlen)
		*outlen = strlen(conv);
	return conv;
}

char *
mc_pystr(PyObject *obj)
{
	PyObject   *s = PyObject_Str(obj);
	const char *utf8;
	char	   *result;

	if (s == NULL)
	{
		PyErr_Clear();
		return pstrdup("<unprintable>");
	}
	utf8 = PyUnicode_AsUTF8(s);
	result = utf8 ? mc_utf8_to_server(utf8, -1, NULL) : pstrdup("<unprintable>");
	Py_DECREF(s);
	PyErr_Clear();
	return result;
}

/*
 * str(obj) with non-ASCII characters backslash-escaped: safe where the
 * server-encoding conversion may not run (outside a transaction, during
 * abort).
 */
char *
mc_pystr_ascii(PyObject *obj)
{
	PyObject   *s = PyObject_Str(obj);
	PyObject   *b;
	char	   *result;

	if (s == NULL)
	{
		PyErr_Clear();
		return pstrdup("<unprintable>");
	}
	b = PyUnicode_AsEncodedString(s, "ascii", "backslashreplace");
	Py_DECREF(s);
	if (b == NULL)
	{
		PyErr_Clear();
		return pstrdup("<unprintable>");
	}
	result = pnstrdup(PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b));
	Py_DECREF(b);
	return result;
}

char *
mc_pyrepr_trunc(PyObject *obj, int maxlen)
{
	PyObject   *r = PyObject_Repr(obj);
	const char *utf8;
	char	   *result;

	if (r == NULL)
	{
		PyErr_Clear();
		return pstrdup("<unrepresentable>");
	}
	utf8 = PyUnicode_AsUTF8(r);
	if (utf8 == NULL)
	{
		Py_DECREF(r);
		PyErr_Clear();
		return pstrdup("<unrepresentable>");
	}
	if ((int) strlen(utf8) > maxlen)
	{
		int			cut = pg_mbcliplen(utf8, strlen(utf8), maxlen);
		char	   *tmp = psprintf("%.*s...", cut, utf8);

		result = mc_utf8_to_server(tmp, -1, NULL);
	}
	else
		result = mc_utf8_to_server(utf8, -1, NULL);
	Py_DECREF(r);
	return result;
}

PyObject *
mc_py_string_len(const char *s, int len)
{
	char	   *utf8 = pg_server_to_any(s, len, PG_UTF8);
	PyObject   *result;

	if (utf8 != s)
		len = strlen(utf8);
	result = PyUnicode_DecodeUTF8(utf8, len, "replace");
	if (utf8 != s)
		pfree(utf8);
	return result;
}

PyObject *
mc_py_string(const char *s)
{
	return mc_py_string_len(s, strlen(s));
}

/*
 * decimal.Decimal, imported once per backend.  Both directions of the
 * conversion need it (numeric quals go in as Decimals, Decimals come back
 * as numeric), so the look-up lives here, below both.
 */
PyObject *
mc_decimal_type(void)
{
	static PyObject *cls = NULL;
	PyObject   *mod;

	if (cls != NULL)
		return cls;
	mod = PyImport_ImportModule("decimal");
	if (mod == NULL)
		mc_raise_python_error();
	cls = PyObject_GetAttrString(mod, "Decimal");
	Py_DECREF(mod);
	if (cls == NULL)
		mc_raise_python_error();
	return cls;
}

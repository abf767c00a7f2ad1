/*
 * convert_out_common.c
 *		What every Python -> Datum converter shares: the keep list, which
 *		holds the Python objects a row's conversion depends on while wrapper
 *		code runs, and the conversion errors that name table, column, Python
 *		type and value.
 */
#include "convert_out.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

/*
 * References the converter holds while it calls back into Python.  Wrapper
 * code (a __str__, __eq__, __hash__ or a Decimal subclass) may clear or
 * grow the very list or dict being converted; so lists are converted from
 * a tuple snapshot and dicts from a copy, both kept here until the row is
 * done.  Emptied at the start and end of every row, so what an ERROR left
 * behind is released by the next row (or when the reader is freed).
 */
static PyObject *keep = NULL;

void
mc_keep_clear(void)
{
	if (keep != NULL && PyList_GET_SIZE(keep) > 0 &&
		PyList_SetSlice(keep, 0, PyList_GET_SIZE(keep), NULL) < 0)
		mc_raise_python_error();
}

/* The same, where nothing may throw (a reader freed during abort). */
void
mc_keep_clear_nothrow(void)
{
	if (keep != NULL && !PyErr_Occurred() && PyList_SetSlice(keep, 0, PyList_GET_SIZE(keep), NULL) < 0)
		PyErr_Clear();
}

/* Pass ownership of a new reference (NULL: a Python error) to the keep list. */
static PyObject *
keep_new(PyObject *obj)
{
	if (obj == NULL)
		mc_raise_python_error();
	if (keep == NULL && (keep = PyList_New(0)) == NULL)
	{
		Py_DECREF(obj);
		mc_raise_python_error();
	}
	if (PyList_Append(keep, obj) < 0)
	{
		Py_DECREF(obj);
		mc_raise_python_error();
	}
	Py_DECREF(obj);
	return obj;
}

/*
 * A list or tuple whose items stay alive and in place whatever Python code
 * runs meanwhile: a tuple is immutable (its owner is held), a list is
 * copied into a held tuple.
 */
PyObject *
mc_stable_seq(PyObject *seq)
{
	if (PyTuple_Check(seq))
		return seq;
	return keep_new(PyList_AsTuple(seq));
}

/* A held copy of a dict: iterating it is safe whatever Python code runs. */
PyObject *
mc_stable_dict(PyObject *dict)
{
	return keep_new(PyDict_Copy(dict));
}

/*
 * repr() of a value for an error message.  A container goes through
 * reprlib (bounded items and depth): [[1] * 50000] * 50000 costs two small
 * lists in Python but its full repr() is gigabytes.
 */
static char *
value_repr(PyObject *value)
{
	static PyObject *bounded = NULL;	/* reprlib.Repr().repr */
	PyObject   *r;
	const char *utf8;
	char	   *result;

	if (!(PyList_Check(value) || PyTuple_Check(value) || PyDict_Check(value) ||
		  PyAnySet_Check(value)))
		return mc_pyrepr_trunc(value, 200);
	if (bounded == NULL)
	{
		PyObject   *mod = PyImport_ImportModule("reprlib");
		PyObject   *inst = mod ? PyObject_CallMethod(mod, "Repr", NULL) : NULL;

		if (inst != NULL)
		{
			static const char *const limits[] = {"maxlist", "maxdict", "maxstring"};
			int			i;

			for (i = 0; i < lengthof(limits); i++)
			{
				PyObject   *n = PyLong_FromLong(i < 2 ? 20 : 100);

				if (n != NULL)
					PyObject_SetAttrString(inst, limits[i], n);
				Py_XDECREF(n);
			}
			bounded = PyObject_GetAttrString(inst, "repr");
		}
		Py_XDECREF(inst);
		Py_XDECREF(mod);
		PyErr_Clear();
	}
	r = bounded ? PyObject_CallOneArg(bounded, value) : NULL;
	utf8 = r ? PyUnicode_AsUTF8(r) : NULL;
	if (utf8 == NULL)
		result = psprintf("<%s of %zd items>", Py_TYPE(value)->tp_name, PyObject_Size(value));
	else
		result = mc_utf8_to_server(pnstrdup(utf8, pg_mbcliplen(utf8, strlen(utf8), 200)), -1, NULL);
	Py_XDECREF(r);
	PyErr_Clear();
	return result;
}

void pg_attribute_noreturn()
mc_conversion_error(const Target *t, PyObject *value, const char *reason)
{
	char	   *repr = value_repr(value);

	PyErr_Clear();
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("cannot convert Python %s to %s for column \"%s\" of foreign table \"%s\": %s",
					Py_TYPE(value)->tp_name, format_type_be(t->conv->typoid),
					t->colname, t->relname, reason),
			 errdetail("Python value: %s", repr)));
}

void
mc_check_no_nul(const Target *t, PyObject *value, const char *s, Py_ssize_t len)
{
	if (memchr(s, '\0', len) != NULL)
		mc_conversion_error(t, value, "the string contains a NUL character");
}

/*
 * The pending Python exception as "what: Type: message" (then cleared), for
 * a mc_conversion_error reason: a fallible C-API call failed in wrapper code.
 */
const char *
mc_python_reason(const char *what)
{
	PyObject   *type,
			   *val,
			   *tb;
	char	   *msg;

	PyErr_Fetch(&type, &val, &tb);
	if (type == NULL)
		return what;
	msg = psprintf("%s: %s: %s", what, ((PyTypeObject *) type)->tp_name,
				   val ? mc_pystr(val) : "");
	Py_XDECREF(type);
	Py_XDECREF(val);
	Py_XDECREF(tb);
	PyErr_Clear();
	return msg;
}

/* A Python call's new reference, kept until the row is done; ERROR naming the column if it failed. */
PyObject *
mc_checked(const Target *t, PyObject *top, PyObject *obj, const char *what)
{
	if (obj == NULL)
		mc_conversion_error(t, top, mc_python_reason(what));
	return keep_new(obj);
}

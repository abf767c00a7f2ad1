/*
 * convert_out_scalar.c
 *		Python scalars -> Datum: integers, floats and numeric (int, float,
 *		Decimal, ints beyond int64), text, timestamps, and the general route
 *		through str() and the type's input function.
 */
#include "convert_out.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

/* PostgreSQL's utils/datetime.h and Python's datetime.h share a guard. */
#undef DATETIME_H
#include <datetime.h>

PyObject   *mc_decimal_cls = NULL;

void
mc_convert_out_scalar_init(void)
{
	PyDateTime_IMPORT;
	if (PyDateTimeAPI == NULL)
		mc_raise_python_error();
	mc_decimal_cls = mc_decimal_type();
}

/*
 * Decimal digits of an int too large for int64.  str(int) refuses more
 * than sys.get_int_max_str_digits() (4300) digits, PostgreSQL's numeric
 * takes 131072: write the digits 1000 at a time, lowest chunk first.
 */
static char *
long_digits(const Target *t, PyObject *top, PyObject *value)
{
	static PyObject *base = NULL;	/* 10 ** 1000 */
	PyObject   *n;
	List	   *chunks = NIL;
	StringInfoData buf;
	ListCell   *lc;
	int			ge;

	if (base == NULL)
	{
		PyObject   *ten = mc_checked(t, top, PyLong_FromLong(10), "int(10)");
		PyObject   *exp = mc_checked(t, top, PyLong_FromLong(1000), "int(1000)");

		base = PyNumber_Power(ten, exp, Py_None);
		if (base == NULL)
			mc_conversion_error(t, top, mc_python_reason("10 ** 1000"));
	}
	initStringInfo(&buf);
	n = mc_checked(t, top, PyNumber_Absolute(value), "abs()");
	ge = PyObject_RichCompareBool(value, n, Py_NE);
	if (ge < 0)
		mc_conversion_error(t, top, mc_python_reason("int comparison"));
	if (ge == 1)
		appendStringInfoChar(&buf, '-');
	while ((ge = PyObject_RichCompareBool(n, base, Py_GE)) == 1)
	{
		PyObject   *qr = mc_checked(t, top, PyNumber_Divmod(n, base), "divmod()");
		PyObject   *r = mc_checked(t, top, PyObject_Str(PyTuple_GET_ITEM(qr, 1)), "str()");
		const char *digits = PyUnicode_AsUTF8(r);

		if (digits == NULL)
			mc_conversion_error(t, top, mc_python_reason("str()"));
		chunks = lcons(psprintf("%01000d", 0), chunks);
		strcpy((char *) linitial(chunks) + 1000 - strlen(digits), digits);
		n = PyTuple_GET_ITEM(qr, 0);
	}
	if (ge < 0)
		mc_conversion_error(t, top, mc_python_reason("int comparison"));
	{
		PyObject   *head = mc_checked(t, top, PyObject_Str(n), "str()");
		const char *digits = PyUnicode_AsUTF8(head);

		if (digits == NULL)
			mc_conversion_error(t, top, mc_python_reason("str()"));
		appendStringInfoString(&buf, digits);
	}
	foreach(lc, chunks)
		appendStringInfoString(&buf, (char *) lfirst(lc));
	return buf.data;
}

/* An int's digits, whatever its size (an int subclass keeps its own __str__). */
static bool
is_big_int(PyObject *value)
{
	int			overflow = 0;

	if (!PyLong_CheckExact(value))
		return false;
	(void) PyLong_AsLongLongAndOverflow(value, &overflow);
	return overflow != 0;
}

/* A Python str as server-encoded bytes. */
static const char *
utf8_of(const Target *t, PyObject *value, Py_ssize_t *len)
{
	const char *s = PyUnicode_AsUTF8AndSize(value, len);

	if (s == NULL)
		mc_conversion_error(t, value, "the string is not valid Unicode");
	mc_check_no_nul(t, value, s, *len);
	if (GetDatabaseEncoding() != PG_UTF8)
		s = mc_utf8_to_server(s, *len, len);
	return s;
}

/*
 * Inside a PG_CATCH: a data error (a bad literal, numeric field overflow)
 * is about the value, so it is reworded to name the target; anything else
 * (a cancel, out of memory) is re-thrown unchanged.
 */
static void
reword_data_error(MemoryContext cxt, const Target *t, PyObject *value)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION &&
		ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_INVALID_TEXT_REPRESENTATION)
		PG_RE_THROW();
	FlushErrorState();
	mc_conversion_error(t, value, edata->message);
}

/* str(value) -> input function; input errors are reworded to name the target. */
Datum
mc_via_input_function(const Target *t, PyObject *value)
{
	MemoryContext cxt = CurrentMemoryContext;
	PyObject   *str;
	Py_ssize_t	len;
	const char *s;
	char	   *cstr;
	volatile Datum result = (Datum) 0;

	if (is_big_int(value))
		str = PyUnicode_FromString(long_digits(t, value, value));
	else
		str = PyUnicode_Check(value) ? Py_NewRef(value) : PyObject_Str(value);
	if (str == NULL)
		mc_conversion_error(t, value, mc_python_reason("str() failed"));
	s = PyUnicode_AsUTF8AndSize(str, &len);
	if (s == NULL)
	{
		Py_DECREF(str);
		mc_conversion_error(t, value, "str() is not valid Unicode");
	}
	if (memchr(s, '\0', len) != NULL)
	{
		Py_DECREF(str);
		mc_conversion_error(t, value, "the string contains a NUL character");
	}
	if (GetDatabaseEncoding() != PG_UTF8)
		cstr = mc_utf8_to_server(s, len, NULL);
	else
		cstr = pnstrdup(s, len);
	Py_DECREF(str);

	PG_TRY();
	{
		result = InputFunctionCall(&t->conv->infunc, cstr, t->conv->ioparam, t->conv->typmod);
	}
	PG_CATCH();
	{
		reword_data_error(cxt, t, value);
	}
	PG_END_TRY();
	return result;
}

Datum
mc_text_datum(const Target *t, PyObject *value)
{
	Py_ssize_t	len;
	const char *s = utf8_of(t, value, &len);

	return PointerGetDatum(cstring_to_text_with_len(s, len));
}

Datum
mc_int_datum(const Target *t, PyObject *value, int64 min, int64 max)
{
	int			overflow;
	long long	v = PyLong_AsLongLongAndOverflow(value, &overflow);

	if (v == -1 && PyErr_Occurred())
		mc_conversion_error(t, value, "not an integer");
	if (overflow || v < min || v > max)
		mc_conversion_error(t, value, "value out of range");
	switch (t->conv->kind)
	{
		case K_INT2:
			return Int16GetDatum((int16) v);
		case K_INT4:
			return Int32GetDatum((int32) v);
		default:
			return Int64GetDatum((int64) v);
	}
}

double
mc_double_of(const Target *t, PyObject *value)
{
	double		d = PyFloat_Check(value) ? PyFloat_AS_DOUBLE(value) : PyLong_AsDouble(value);

	if (d == -1.0 && PyErr_Occurred())
		mc_conversion_error(t, value, "value out of range for a double");
	return d;
}

/*
 * Run a PostgreSQL function whose data errors (numeric field overflow, ...)
 * are about the value: reword them to name the column, as
 * mc_via_input_function does.  Other errors (a cancel) pass unchanged.
 */
static Datum
call_naming_target(const Target *t, PyObject *value, PGFunction fn, Datum a, Datum b, Datum c)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile Datum result = (Datum) 0;

	PG_TRY();
	{
		result = DirectFunctionCall3(fn, a, b, c);
	}
	PG_CATCH();
	{
		reword_data_error(cxt, t, value);
	}
	PG_END_TRY();
	return result;
}

/*
 * numeric_in with the column's typmod, as PostgreSQL reads the same
 * literal ('1E-16384' into numeric(10,2) is 0.00; applying the typmod
 * afterwards would overflow the unconstrained numeric first).
 */
static Numeric
numeric_from_cstring(const Target *t, PyObject *value, const char *s, int32 typmod)
{
	return DatumGetNumeric(call_naming_target(t, value, numeric_in, CStringGetDatum(s),
											  ObjectIdGetDatum(InvalidOid),
											  Int32GetDatum(typmod)));
}

/* int, float or Decimal -> numeric of typmod; NULL if value is none of those. */
Numeric
mc_numeric_of(const Target *t, PyObject *value, int32 typmod)
{
	if (PyLong_Check(value) && !PyBool_Check(value))
	{
		int			overflow;
		long long	v = PyLong_AsLongLongAndOverflow(value, &overflow);
		Numeric		n;

		if (v == -1 && PyErr_Occurred())
			mc_conversion_error(t, value, mc_python_reason("int() failed"));
		if (overflow)
			return numeric_from_cstring(t, value, long_digits(t, value, value), typmod);
		n = int64_to_numeric(v);
		if (typmod >= 0)
			n = DatumGetNumeric(call_naming_target(t, value, numeric, NumericGetDatum(n),
												   Int32GetDatum(typmod), (Datum) 0));
		return n;
	}
	else if (PyFloat_Check(value))
	{
		char	   *pyrepr = PyOS_double_to_string(PyFloat_AS_DOUBLE(value), 'r', 0, 0, NULL);
		char	   *repr;

		if (pyrepr == NULL)
			mc_conversion_error(t, value, mc_python_reason("float formatting failed"));
		repr = pstrdup(pyrepr);
		PyMem_Free(pyrepr);
		if (strcmp(repr, "inf") == 0 || strcmp(repr, "-inf") == 0 || strcmp(repr, "nan") == 0)
			repr = strcmp(repr, "nan") == 0 ? "NaN" : repr[0] == '-' ? "-Infinity" : "Infinity";
		return numeric_from_cstring(t, value, repr, typmod);
	}
	else if (PyObject_TypeCheck(value, (PyTypeObject *) mc_decimal_cls))
	{
		/* A Decimal subclass's __str__ is wrapper code: it may fail. */
		PyObject   *str = mc_checked(t, value, PyObject_Str(value), "str() failed");
		const char *s = PyUnicode_AsUTF8(str);

		if (s == NULL)
			mc_conversion_error(t, value, mc_python_reason("str() is not valid Unicode"));
		return numeric_from_cstring(t, value, s, typmod);
	}
	return NULL;
}

Datum
mc_numeric_datum(const Target *t, PyObject *value)
{
	Numeric		n = mc_numeric_of(t, value, t->conv->typmod);

	if (n == NULL)
		return mc_via_input_function(t, value);
	return NumericGetDatum(n);
}

/* datetime -> Timestamp; with_tz: aware values are shifted to UTC, naive ones read in TimeZone. */
Timestamp
mc_timestamp_of(const Target *t, PyObject *value, bool with_tz)
{
	int			y = PyDateTime_GET_YEAR(value),
				mo = PyDateTime_GET_MONTH(value),
				d = PyDateTime_GET_DAY(value);
	int			h = PyDateTime_DATE_GET_HOUR(value),
				mi = PyDateTime_DATE_GET_MINUTE(value),
				s = PyDateTime_DATE_GET_SECOND(value);
	int			us = PyDateTime_DATE_GET_MICROSECOND(value);
	PyObject   *tz = PyDateTime_DATE_GET_TZINFO(value);
	Timestamp	ts;

	ts = (int64) (date2j(y, mo, d) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY +
		((int64) (h * 60 + mi) * 60 + s) * USECS_PER_SEC + us;
	if (with_tz && tz != Py_None && tz != PyDateTime_TimeZone_UTC)
	{
		PyObject   *off = PyObject_CallMethod(value, "utcoffset", NULL);

		if (off == NULL)
			mc_conversion_error(t, value, "utcoffset() failed");
		if (PyDelta_Check(off))
		{
			ts -= ((int64) PyDateTime_DELTA_GET_DAYS(off) * SECS_PER_DAY +
				   PyDateTime_DELTA_GET_SECONDS(off)) * USECS_PER_SEC +
				PyDateTime_DELTA_GET_MICROSECONDS(off);
			Py_DECREF(off);
			if (!IS_VALID_TIMESTAMP(ts))
				mc_conversion_error(t, value, "timestamp out of range");
			return ts;
		}
		/* A tzinfo whose utcoffset() is None: Python calls that naive. */
		Py_DECREF(off);
		tz = Py_None;
	}
	if (with_tz && tz == Py_None)
	{
		struct pg_tm tm;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y, tm.tm_mon = mo, tm.tm_mday = d;
		tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = s;
		ts += (int64) DetermineTimeZoneOffset(&tm, session_timezone) * USECS_PER_SEC;
	}
	if (!IS_VALID_TIMESTAMP(ts))
		mc_conversion_error(t, value, "timestamp out of range");
	return ts;
}

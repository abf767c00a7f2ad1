/*
 * convert_out.c
 *		Python -> Datum for the rows execute() yields: the hot path.
 *
 * Each column gets a converter chosen once per scan from its type.  Native
 * Python values take a direct route (no str() and no input function): int
 * -> int2/4/8/numeric/float, float -> float4/8/numeric, bool, str -> text,
 * datetime/date/time -> timestamptz/timestamp/date/time, Decimal ->
 * numeric, bytes -> bytea, dict/list -> json/jsonb (jsonb built in place),
 * list/tuple -> arrays (None elements -> NULL).  Everything else falls back
 * to str(value) and the type's input function, as upstream multicorn does.
 * A value that cannot be converted is an ERROR naming table, column, Python
 * type and value.
 */
#include "multicorn.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

/* PostgreSQL's utils/datetime.h and Python's datetime.h share a guard. */
#undef DATETIME_H
#include <datetime.h>

typedef enum MCKind
{
	K_OTHER = 0, K_INT2, K_INT4, K_INT8, K_FLOAT4, K_FLOAT8, K_NUMERIC, K_BOOL,
	K_TEXT, K_TIMESTAMPTZ, K_TIMESTAMP, K_DATE, K_TIME, K_JSON, K_JSONB, K_BYTEA,
	K_ARRAY, K_DOMAIN
} MCKind;

struct MCConverter
{
	MCKind		kind;
	Oid			typoid;
	int32		typmod;
	FmgrInfo	infunc;
	Oid			ioparam;
	/* arrays */
	Oid			elemtype;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	MCConverter *elem;
	/* domains over a type converted directly: convert as base, then check */
	MCConverter *base;
	void	   *domain_extra;	/* domain_check()'s cache */
	MemoryContext domain_cxt;
};

static PyObject *decimal_cls = NULL;

/*
 * References the converter holds while it calls back into Python.  Wrapper
 * code (a __str__, __eq__, __hash__ or a Decimal subclass) may clear or
 * grow the very list or dict being converted; so lists are converted from
 * a tuple snapshot and dicts from a copy, both kept here until the row is
 * done.  Emptied at the start and end of every row, so what an ERROR left
 * behind is released by the next row (or when the reader is freed).
 */
static PyObject *keep = NULL;

static void
keep_clear(void)
{
	if (keep != NULL && PyList_GET_SIZE(keep) > 0 &&
		PyList_SetSlice(keep, 0, PyList_GET_SIZE(keep), NULL) < 0)
		mc_raise_python_error();
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
static PyObject *
stable_seq(PyObject *seq)
{
	if (PyTuple_Check(seq))
		return seq;
	return keep_new(PyList_AsTuple(seq));
}

/* A held copy of a dict: iterating it is safe whatever Python code runs. */
static PyObject *
stable_dict(PyObject *dict)
{
	return keep_new(PyDict_Copy(dict));
}

void		mc_convert_out_init(void);

void
mc_convert_out_init(void)
{
	PyObject   *mod;

	PyDateTime_IMPORT;
	if (PyDateTimeAPI == NULL)
		mc_raise_python_error();
	mod = PyImport_ImportModule("decimal");
	if (mod == NULL)
		mc_raise_python_error();
	decimal_cls = PyObject_GetAttrString(mod, "Decimal");
	Py_DECREF(mod);
	if (decimal_cls == NULL)
		mc_raise_python_error();
}

static MCKind
kind_of(Oid typoid, int32 typmod)
{
	switch (typoid)
	{
		case INT2OID:
			return K_INT2;
		case INT4OID:
			return K_INT4;
		case INT8OID:
			return K_INT8;
		case FLOAT4OID:
			return K_FLOAT4;
		case FLOAT8OID:
			return K_FLOAT8;
		case NUMERICOID:
			return K_NUMERIC;
		case BOOLOID:
			return K_BOOL;
		case TEXTOID:
			return K_TEXT;
		case VARCHAROID:
			return typmod < 0 ? K_TEXT : K_OTHER;	/* varchar(n) checks length */
		case TIMESTAMPTZOID:
			return typmod < 0 ? K_TIMESTAMPTZ : K_OTHER;
		case TIMESTAMPOID:
			return typmod < 0 ? K_TIMESTAMP : K_OTHER;
		case DATEOID:
			return K_DATE;
		case TIMEOID:
			return typmod < 0 ? K_TIME : K_OTHER;
		case JSONOID:
			return K_JSON;
		case JSONBOID:
			return K_JSONB;
		case BYTEAOID:
			return K_BYTEA;
		default:
			/* (domains: see mc_make_converter) */
			if (type_is_array(typoid) && get_typtype(typoid) != TYPTYPE_DOMAIN)
				return K_ARRAY;
			return K_OTHER;
	}
}

MCConverter *
mc_make_converter(Oid typoid, int32 typmod)
{
	MCConverter *c = palloc0(sizeof(MCConverter));
	Oid			infunc;

	c->typoid = typoid;
	c->typmod = typmod;
	c->kind = kind_of(typoid, typmod);
	getTypeInputInfo(typoid, &infunc, &c->ioparam);
	fmgr_info(infunc, &c->infunc);
	if (get_typtype(typoid) == TYPTYPE_DOMAIN)
	{
		/*
		 * A domain over a type with a direct route (int, jsonb, an array,
		 * ...) converts as its base type, then domain_check() runs the
		 * domain's constraints, as its input function would.  Otherwise the
		 * domain's input function does both.
		 */
		int32		basetypmod = typmod;
		Oid			basetype = getBaseTypeAndTypmod(typoid, &basetypmod);
		MCConverter *base = mc_make_converter(basetype, basetypmod);

		if (base->kind != K_OTHER)
		{
			c->kind = K_DOMAIN;
			c->base = base;
			c->domain_cxt = CurrentMemoryContext;
		}
	}
	if (c->kind == K_ARRAY)
	{
		c->elemtype = get_element_type(typoid);
		get_typlenbyvalalign(c->elemtype, &c->elmlen, &c->elmbyval, &c->elmalign);
		c->elem = mc_make_converter(c->elemtype, typmod);
	}
	return c;
}

/* Where a value goes, for error messages. */
typedef struct Target
{
	const char *relname;
	const char *colname;
	MCConverter *conv;
} Target;

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

static void pg_attribute_noreturn()
conversion_error(const Target *t, PyObject *value, const char *reason)
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

static void
check_no_nul(const Target *t, PyObject *value, const char *s, Py_ssize_t len)
{
	if (memchr(s, '\0', len) != NULL)
		conversion_error(t, value, "the string contains a NUL character");
}

/*
 * The pending Python exception as "what: Type: message" (then cleared), for
 * a conversion_error reason: a fallible C-API call failed in wrapper code.
 */
static const char *
python_reason(const char *what)
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
static PyObject *
checked(const Target *t, PyObject *top, PyObject *obj, const char *what)
{
	if (obj == NULL)
		conversion_error(t, top, python_reason(what));
	return keep_new(obj);
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
		PyObject   *ten = checked(t, top, PyLong_FromLong(10), "int(10)");
		PyObject   *exp = checked(t, top, PyLong_FromLong(1000), "int(1000)");

		base = PyNumber_Power(ten, exp, Py_None);
		if (base == NULL)
			conversion_error(t, top, python_reason("10 ** 1000"));
	}
	initStringInfo(&buf);
	n = checked(t, top, PyNumber_Absolute(value), "abs()");
	ge = PyObject_RichCompareBool(value, n, Py_NE);
	if (ge < 0)
		conversion_error(t, top, python_reason("int comparison"));
	if (ge == 1)
		appendStringInfoChar(&buf, '-');
	while ((ge = PyObject_RichCompareBool(n, base, Py_GE)) == 1)
	{
		PyObject   *qr = checked(t, top, PyNumber_Divmod(n, base), "divmod()");
		PyObject   *r = checked(t, top, PyObject_Str(PyTuple_GET_ITEM(qr, 1)), "str()");
		const char *digits = PyUnicode_AsUTF8(r);

		if (digits == NULL)
			conversion_error(t, top, python_reason("str()"));
		chunks = lcons(psprintf("%01000d", 0), chunks);
		strcpy((char *) linitial(chunks) + 1000 - strlen(digits), digits);
		n = PyTuple_GET_ITEM(qr, 0);
	}
	if (ge < 0)
		conversion_error(t, top, python_reason("int comparison"));
	{
		PyObject   *head = checked(t, top, PyObject_Str(n), "str()");
		const char *digits = PyUnicode_AsUTF8(head);

		if (digits == NULL)
			conversion_error(t, top, python_reason("str()"));
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
		conversion_error(t, value, "the string is not valid Unicode");
	check_no_nul(t, value, s, *len);
	if (GetDatabaseEncoding() != PG_UTF8)
		s = mc_utf8_to_server(s, *len, len);
	return s;
}

/* str(value) -> input function; input errors are reworded to name the target. */
static Datum
via_input_function(const Target *t, PyObject *value)
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
		conversion_error(t, value, python_reason("str() failed"));
	s = PyUnicode_AsUTF8AndSize(str, &len);
	if (s == NULL)
	{
		Py_DECREF(str);
		conversion_error(t, value, "str() is not valid Unicode");
	}
	if (memchr(s, '\0', len) != NULL)
	{
		Py_DECREF(str);
		conversion_error(t, value, "the string contains a NUL character");
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
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		/* Only data errors are about the value; anything else (a cancel) passes. */
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION &&
			ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_INVALID_TEXT_REPRESENTATION)
			PG_RE_THROW();
		FlushErrorState();
		conversion_error(t, value, edata->message);
	}
	PG_END_TRY();
	return result;
}

static Datum
text_datum(const Target *t, PyObject *value)
{
	Py_ssize_t	len;
	const char *s = utf8_of(t, value, &len);

	return PointerGetDatum(cstring_to_text_with_len(s, len));
}

static Datum
int_datum(const Target *t, PyObject *value, int64 min, int64 max)
{
	int			overflow;
	long long	v = PyLong_AsLongLongAndOverflow(value, &overflow);

	if (v == -1 && PyErr_Occurred())
		conversion_error(t, value, "not an integer");
	if (overflow || v < min || v > max)
		conversion_error(t, value, "value out of range");
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

static double
double_of(const Target *t, PyObject *value)
{
	double		d = PyFloat_Check(value) ? PyFloat_AS_DOUBLE(value) : PyLong_AsDouble(value);

	if (d == -1.0 && PyErr_Occurred())
		conversion_error(t, value, "value out of range for a double");
	return d;
}

/*
 * Run a PostgreSQL function whose data errors (numeric field overflow, ...)
 * are about the value: reword them to name the column, as
 * via_input_function does.  Other errors (a cancel) pass unchanged.
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
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION &&
			ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_INVALID_TEXT_REPRESENTATION)
			PG_RE_THROW();
		FlushErrorState();
		conversion_error(t, value, edata->message);
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
static Numeric
numeric_of(const Target *t, PyObject *value, int32 typmod)
{
	if (PyLong_Check(value) && !PyBool_Check(value))
	{
		int			overflow;
		long long	v = PyLong_AsLongLongAndOverflow(value, &overflow);
		Numeric		n;

		if (v == -1 && PyErr_Occurred())
			conversion_error(t, value, python_reason("int() failed"));
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
			conversion_error(t, value, python_reason("float formatting failed"));
		repr = pstrdup(pyrepr);
		PyMem_Free(pyrepr);
		if (strcmp(repr, "inf") == 0 || strcmp(repr, "-inf") == 0 || strcmp(repr, "nan") == 0)
			repr = strcmp(repr, "nan") == 0 ? "NaN" : repr[0] == '-' ? "-Infinity" : "Infinity";
		return numeric_from_cstring(t, value, repr, typmod);
	}
	else if (PyObject_TypeCheck(value, (PyTypeObject *) decimal_cls))
	{
		/* A Decimal subclass's __str__ is wrapper code: it may fail. */
		PyObject   *str = checked(t, value, PyObject_Str(value), "str() failed");
		const char *s = PyUnicode_AsUTF8(str);

		if (s == NULL)
			conversion_error(t, value, python_reason("str() is not valid Unicode"));
		return numeric_from_cstring(t, value, s, typmod);
	}
	return NULL;
}

static Datum
numeric_datum(const Target *t, PyObject *value)
{
	Numeric		n = numeric_of(t, value, t->conv->typmod);

	if (n == NULL)
		return via_input_function(t, value);
	return NumericGetDatum(n);
}

/* datetime -> Timestamp; with_tz: aware values are shifted to UTC, naive ones read in TimeZone. */
static Timestamp
timestamp_of(const Target *t, PyObject *value, bool with_tz)
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
			conversion_error(t, value, "utcoffset() failed");
		if (PyDelta_Check(off))
		{
			ts -= ((int64) PyDateTime_DELTA_GET_DAYS(off) * SECS_PER_DAY +
				   PyDateTime_DELTA_GET_SECONDS(off)) * USECS_PER_SEC +
				PyDateTime_DELTA_GET_MICROSECONDS(off);
			Py_DECREF(off);
			if (!IS_VALID_TIMESTAMP(ts))
				conversion_error(t, value, "timestamp out of range");
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
		conversion_error(t, value, "timestamp out of range");
	return ts;
}

static Datum array_datum(const Target *t, PyObject *value);
static Datum bytes_as_text(MCConverter *c, PyObject *value, bool *isnull,
						   const char *relname, const char *colname);
static bool is_hstore(Oid typoid);
static Datum hstore_datum(const Target *t, PyObject *value);
static Datum jsonb_datum(const Target *t, PyObject *value);

static void jsonb_key(const Target *t, PyObject *top, PyObject *key, JsonbValue *jv);
static void jsonb_scalar(const Target *t, PyObject *top, PyObject *value, JsonbValue *jv);
static bool is_seq(PyObject *o);

static void
json_write_string(StringInfo buf, const JsonbValue *jv)
{
	escape_json(buf, pnstrdup(jv->val.string.val, jv->val.string.len));
}

/*
 * JSON text for a json column, written directly: key order as in the dict,
 * numbers exact (a Decimal keeps its digits), the same scalar rules as
 * jsonb (dates as ISO 8601, NaN and infinity refused).
 */
static void
json_write(StringInfo buf, const Target *t, PyObject *top, PyObject *value)
{
	JsonbValue	jv;

	check_stack_depth();
	if (PyDict_Check(value))
	{
		Py_ssize_t	pos = 0;
		PyObject   *k,
				   *v;
		bool		first = true;

		value = stable_dict(value);
		appendStringInfoChar(buf, '{');
		while (PyDict_Next(value, &pos, &k, &v))
		{
			if (!first)
				appendStringInfoString(buf, ", ");
			first = false;
			jsonb_key(t, top, k, &jv);
			json_write_string(buf, &jv);
			appendStringInfoString(buf, ": ");
			json_write(buf, t, top, v);
		}
		appendStringInfoChar(buf, '}');
	}
	else if (is_seq(value))
	{
		Py_ssize_t	i,
					n;
		PyObject  **items;

		value = stable_seq(value);
		n = PySequence_Fast_GET_SIZE(value);
		items = PySequence_Fast_ITEMS(value);
		appendStringInfoChar(buf, '[');
		for (i = 0; i < n; i++)
		{
			if (i > 0)
				appendStringInfoString(buf, ", ");
			json_write(buf, t, top, items[i]);
		}
		appendStringInfoChar(buf, ']');
	}
	else
	{
		jsonb_scalar(t, top, value, &jv);
		switch (jv.type)
		{
			case jbvNull:
				appendStringInfoString(buf, "null");
				break;
			case jbvBool:
				appendStringInfoString(buf, jv.val.boolean ? "true" : "false");
				break;
			case jbvString:
				json_write_string(buf, &jv);
				break;
			case jbvNumeric:
				appendStringInfoString(buf, DatumGetCString(DirectFunctionCall1(numeric_out,
																			NumericGetDatum(jv.val.numeric))));
				break;
			default:
				conversion_error(t, top, "unexpected JSON value");
		}
	}
}

static Datum
json_datum(const Target *t, PyObject *value)
{
	StringInfoData buf;

	initStringInfo(&buf);
	json_write(&buf, t, value, value);
	return PointerGetDatum(cstring_to_text_with_len(buf.data, buf.len));
}

/* ---------- bytes as text, dicts as hstore (multicorn2's conversions) ---------- */

/*
 * bytes (or bytearray) for a column that is not bytea: its content is the
 * value's text in the database encoding, as multicorn2 reads it (str()
 * would store the repr b'...').  Bytes not valid in that encoding are an
 * ERROR, never stored.
 */
static Datum
bytes_as_text(MCConverter *c, PyObject *value, bool *isnull,
			  const char *relname, const char *colname)
{
	Target		t = {relname, colname, c};
	char	   *s = PyBytes_Check(value) ? PyBytes_AS_STRING(value) : PyByteArray_AS_STRING(value);
	Py_ssize_t	len = PyBytes_Check(value) ? PyBytes_GET_SIZE(value) : PyByteArray_GET_SIZE(value);
	PyObject   *text;
	volatile Datum result = (Datum) 0;

	if (len > MaxAllocSize - 1)
		conversion_error(&t, value, "the value is too long");
	check_no_nul(&t, value, s, len);
	if (!pg_verify_mbstr(GetDatabaseEncoding(), s, (int) len, true))
		conversion_error(&t, value, psprintf("the bytes are not valid %s text",
											 GetDatabaseEncodingName()));
	text = mc_py_string_len(s, (int) len);
	if (text == NULL)
		conversion_error(&t, value, "the bytes cannot be decoded");
	PG_TRY();
	{
		result = mc_python_to_datum(c, text, isnull, relname, colname);
	}
	PG_FINALLY();
	{
		Py_DECREF(text);
	}
	PG_END_TRY();
	return result;
}

/* Is the type (or the domain's base type) the hstore extension's type? */
static bool
is_hstore(Oid typoid)
{
	HeapTuple	tp = SearchSysCache1(TYPEOID, ObjectIdGetDatum(getBaseType(typoid)));
	bool		result;

	if (!HeapTupleIsValid(tp))
		return false;
	result = ((Form_pg_type) GETSTRUCT(tp))->typtype == TYPTYPE_BASE &&
		strcmp(NameStr(((Form_pg_type) GETSTRUCT(tp))->typname), "hstore") == 0;
	ReleaseSysCache(tp);
	return result;
}

/* "text" with backslashes and double quotes escaped, as hstore reads it. */
static void
hstore_quote(const Target *t, PyObject *dict, StringInfo buf, PyObject *obj)
{
	PyObject   *str = PyUnicode_Check(obj) ? Py_NewRef(obj) : PyObject_Str(obj);
	const char *s;
	Py_ssize_t	len,
				i;

	if (str == NULL)
		conversion_error(t, dict, "str() of a key or value failed");
	s = PyUnicode_AsUTF8AndSize(str, &len);
	if (s == NULL)
	{
		Py_DECREF(str);
		conversion_error(t, dict, "a key or value is not valid Unicode");
	}
	appendStringInfoChar(buf, '"');
	for (i = 0; i < len; i++)
	{
		if (s[i] == '"' || s[i] == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, s[i]);
	}
	appendStringInfoChar(buf, '"');
	Py_DECREF(str);
}

/*
 * A dict for an hstore column: rendered "k"=>"v", ... (None values are
 * NULL) and read by hstore's input function, as multicorn2 does.
 */
static Datum
hstore_datum(const Target *t, PyObject *value)
{
	StringInfoData buf;
	Py_ssize_t	pos = 0;
	PyObject   *k,
			   *v,
			   *text;
	volatile Datum result = (Datum) 0;

	initStringInfo(&buf);
	while (PyDict_Next(value, &pos, &k, &v))
	{
		if (k == Py_None)
			conversion_error(t, value, "an hstore key cannot be None");
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		hstore_quote(t, value, &buf, k);
		appendStringInfoString(&buf, "=>");
		if (v == Py_None)
			appendStringInfoString(&buf, "NULL");
		else
			hstore_quote(t, value, &buf, v);
	}
	text = PyUnicode_DecodeUTF8(buf.data, buf.len, "strict");
	if (text == NULL)
		conversion_error(t, value, "the rendered hstore is not valid UTF-8");
	PG_TRY();
	{
		result = via_input_function(t, text);
	}
	PG_FINALLY();
	{
		Py_DECREF(text);
	}
	PG_END_TRY();
	return result;
}

Datum
mc_python_to_datum(MCConverter *c, PyObject *value, bool *isnull,
				   const char *relname, const char *colname)
{
	Target		t = {relname, colname, c};

	if (value == Py_None)
	{
		*isnull = true;
		return (Datum) 0;
	}
	*isnull = false;
	switch (c->kind)
	{
		case K_INT2:
			if (PyLong_Check(value))
				return int_datum(&t, value, PG_INT16_MIN, PG_INT16_MAX);
			break;
		case K_INT4:
			if (PyLong_Check(value))
				return int_datum(&t, value, PG_INT32_MIN, PG_INT32_MAX);
			break;
		case K_INT8:
			if (PyLong_Check(value))
				return int_datum(&t, value, PG_INT64_MIN, PG_INT64_MAX);
			break;
		case K_FLOAT8:
			if (PyFloat_Check(value) || PyLong_Check(value))
				return Float8GetDatum(double_of(&t, value));
			break;
		case K_FLOAT4:
			if (PyFloat_Check(value) || PyLong_Check(value))
			{
				double		d = double_of(&t, value);
				float4		f = (float4) d;

				if ((isinf(f) && !isinf(d)) || (f == 0.0f && d != 0.0))
					conversion_error(&t, value, "value out of range for type real");
				return Float4GetDatum(f);
			}
			break;
		case K_NUMERIC:
			return numeric_datum(&t, value);
		case K_BOOL:
			if (PyBool_Check(value))
				return BoolGetDatum(value == Py_True);
			if (PyLong_Check(value))
			{
				/* An int subclass's __bool__ is wrapper code: it may raise. */
				int			truth = PyObject_IsTrue(value);

				if (truth < 0)
					conversion_error(&t, value, python_reason("bool() failed"));
				return BoolGetDatum(truth == 1);
			}
			break;
		case K_TEXT:
			if (PyUnicode_Check(value))
				return text_datum(&t, value);
			break;
		case K_TIMESTAMPTZ:
			if (PyDateTime_Check(value))
				return TimestampTzGetDatum(timestamp_of(&t, value, true));
			break;
		case K_TIMESTAMP:
			if (PyDateTime_Check(value))
				return TimestampGetDatum(timestamp_of(&t, value, false));
			break;
		case K_DATE:
			if (PyDate_Check(value))
				return DateADTGetDatum(date2j(PyDateTime_GET_YEAR(value), PyDateTime_GET_MONTH(value),
											  PyDateTime_GET_DAY(value)) - POSTGRES_EPOCH_JDATE);
			break;
		case K_TIME:
			if (PyTime_Check(value))
				return TimeADTGetDatum(((int64) (PyDateTime_TIME_GET_HOUR(value) * 60 +
												 PyDateTime_TIME_GET_MINUTE(value)) * 60 +
										PyDateTime_TIME_GET_SECOND(value)) * USECS_PER_SEC +
									   PyDateTime_TIME_GET_MICROSECOND(value));
			break;
		case K_JSONB:
			if (PyDict_Check(value) || PyList_Check(value) || PyTuple_Check(value) ||
				PyBool_Check(value) || PyLong_Check(value) || PyFloat_Check(value) ||
				PyObject_TypeCheck(value, (PyTypeObject *) decimal_cls) ||
				PyDate_Check(value) || PyTime_Check(value))
				return jsonb_datum(&t, value);
			break;
		case K_JSON:
			if (PyDict_Check(value) || PyList_Check(value) || PyTuple_Check(value) ||
				PyBool_Check(value) || PyFloat_Check(value) || PyLong_Check(value) ||
				PyObject_TypeCheck(value, (PyTypeObject *) decimal_cls) ||
				PyDate_Check(value) || PyTime_Check(value))
				return json_datum(&t, value);
			break;
		case K_BYTEA:
			if (PyMemoryView_Check(value))
			{
				/* str(memoryview) is "<memory at 0x...>": copy the bytes. */
				Py_buffer	view;
				bytea	   *b;

				/* Strided views too (m[::2]): copied in C order, as bytes(m) does. */
				if (PyObject_GetBuffer(value, &view, PyBUF_FULL_RO) < 0)
					conversion_error(&t, value, python_reason("not a buffer"));
				b = palloc(view.len + VARHDRSZ);
				SET_VARSIZE(b, view.len + VARHDRSZ);
				if (PyBuffer_ToContiguous(VARDATA(b), &view, view.len, 'C') < 0)
				{
					PyBuffer_Release(&view);
					conversion_error(&t, value, python_reason("the buffer could not be copied"));
				}
				PyBuffer_Release(&view);
				return PointerGetDatum(b);
			}
			if (PyBytes_Check(value) || PyByteArray_Check(value))
			{
				char	   *buf = PyBytes_Check(value) ? PyBytes_AS_STRING(value) : PyByteArray_AS_STRING(value);
				Py_ssize_t	len = PyBytes_Check(value) ? PyBytes_GET_SIZE(value) : PyByteArray_GET_SIZE(value);
				bytea	   *b = palloc(len + VARHDRSZ);

				SET_VARSIZE(b, len + VARHDRSZ);
				memcpy(VARDATA(b), buf, len);
				return PointerGetDatum(b);
			}
			break;
		case K_ARRAY:
			if (PyList_Check(value) || PyTuple_Check(value))
				return array_datum(&t, value);
			break;
		case K_DOMAIN:
			{
				Datum		d = mc_python_to_datum(c->base, value, isnull, relname, colname);

				domain_check(d, false, c->typoid, &c->domain_extra, c->domain_cxt);
				return d;
			}
		case K_OTHER:
			break;
	}
	if (PyBytes_Check(value) || PyByteArray_Check(value))
		return bytes_as_text(c, value, isnull, relname, colname);
	if (PyDict_Check(value) && is_hstore(c->typoid))
		return hstore_datum(&t, value);
	return via_input_function(&t, value);
}

/* ---------- arrays ---------- */

typedef struct ArrayFill
{
	const Target *t;
	PyObject   *top;
	int			ndim;
	int		   *dims;
	Datum	   *elems;
	bool	   *nulls;
	int			pos;
} ArrayFill;

static bool
is_seq(PyObject *o)
{
	return PyList_Check(o) || PyTuple_Check(o);
}

static void
fill_array(ArrayFill *f, PyObject *seq, int dim)
{
	Py_ssize_t	n;
	PyObject  **items;
	Py_ssize_t	i;

	/* Converting an item runs Python code that may change the list. */
	seq = stable_seq(seq);
	n = PySequence_Fast_GET_SIZE(seq);
	items = PySequence_Fast_ITEMS(seq);

	if (n != f->dims[dim])
		conversion_error(f->t, f->top, "multidimensional arrays must have sub-lists of matching lengths");
	for (i = 0; i < n; i++)
	{
		if (dim + 1 < f->ndim)
		{
			if (!is_seq(items[i]))
				conversion_error(f->t, f->top, "multidimensional arrays must have sub-lists of matching lengths");
			fill_array(f, items[i], dim + 1);
		}
		else
		{
			MCConverter *ec = f->t->conv->elem;
			Target		et = {f->t->relname, f->t->colname, ec};

			if (is_seq(items[i]) && ec->kind != K_JSON && ec->kind != K_JSONB)
				conversion_error(f->t, f->top, "multidimensional arrays must have sub-lists of matching lengths");
			f->elems[f->pos] = mc_python_to_datum(ec, items[i], &f->nulls[f->pos],
												  et.relname, et.colname);
			f->pos++;
		}
	}
}

static bool
array_contains_nulls_of(const bool *nulls, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (nulls[i])
			return true;
	return false;
}

static Datum
array_datum(const Target *t, PyObject *value)
{
	MCConverter *c = t->conv;
	int			dims[MAXDIM],
				lbs[MAXDIM];
	int			ndim = 0,
				total = 1,
				i;
	PyObject   *cur = value;
	bool		elem_is_json = c->elem->kind == K_JSON || c->elem->kind == K_JSONB;
	ArrayFill	f;

	while (is_seq(cur))
	{
		Py_ssize_t	n = PySequence_Fast_GET_SIZE(cur);

		if (ndim == MAXDIM)
			conversion_error(t, value, "too many array dimensions");
		dims[ndim] = (int) Min(n, (Py_ssize_t) MaxArraySize + 1);	/* checked below */
		lbs[ndim] = 1;
		ndim++;
		if (n == 0 || elem_is_json)
			break;
		cur = PySequence_Fast_ITEMS(cur)[0];
	}
	for (i = 0; i < ndim; i++)
	{
		/*
		 * [[x] * 50000] * 50000 is cheap in Python: without this check the
		 * product overflows int and the element buffer is far too small.
		 */
		if ((Size) dims[i] > MaxArraySize || (dims[i] > 0 && total > (int) MaxArraySize / dims[i]))
			conversion_error(t, value, psprintf("an array cannot have more than %d elements",
												(int) MaxArraySize));
		total *= dims[i];
	}
	if (c->typoid == INT2VECTOROID || c->typoid == OIDVECTOROID)
	{
		/* As int2vectorin/oidvectorin build them: one dimension from 0, no NULLs. */
		if (ndim > 1)
			conversion_error(t, value, "a vector has one dimension");
		lbs[0] = 0;
	}
	f.t = t;
	f.top = value;
	f.ndim = ndim;
	f.dims = dims;
	f.elems = palloc(sizeof(Datum) * Max(total, 1));
	f.nulls = palloc(sizeof(bool) * Max(total, 1));
	f.pos = 0;
	/* Also when total is 0: [[], [1]] must be rejected, not read as {}. */
	fill_array(&f, value, 0);
	if (c->typoid == INT2VECTOROID || c->typoid == OIDVECTOROID)
	{
		if (array_contains_nulls_of(f.nulls, total))
			conversion_error(t, value, "a vector cannot hold NULL");
		if (total == 0)
		{
			/* One dimension even when empty: the vector's readers expect dim1 and lbound1. */
			ArrayType  *empty = palloc0(ARR_OVERHEAD_NONULLS(1));

			SET_VARSIZE(empty, ARR_OVERHEAD_NONULLS(1));
			empty->ndim = 1;
			empty->elemtype = c->elemtype;
			return PointerGetDatum(empty);	/* dims[0] = lbs[0] = 0 */
		}
		return PointerGetDatum(construct_md_array(f.elems, f.nulls, 1, dims, lbs, c->elemtype,
												  c->elmlen, c->elmbyval, c->elmalign));
	}
	if (total == 0)
		return PointerGetDatum(construct_empty_array(c->elemtype));
	return PointerGetDatum(construct_md_array(f.elems, f.nulls, ndim, dims, lbs, c->elemtype,
											  c->elmlen, c->elmbyval, c->elmalign));
}

/* ---------- jsonb built in place ---------- */

/*
 * The JsonbValues point into string buffers until JsonbValueToJsonb copies
 * them; buffers of temporary Python objects are copied (copy = true).
 */
static void
jsonb_string(const Target *t, PyObject *top, PyObject *str, JsonbValue *jv, bool copy)
{
	Py_ssize_t	len;
	const char *s = PyUnicode_AsUTF8AndSize(str, &len);

	if (s == NULL)
		conversion_error(t, top, "a string is not valid Unicode");
	if (memchr(s, '\0', len))
		conversion_error(t, top, "jsonb cannot hold a NUL character");
	if (GetDatabaseEncoding() != PG_UTF8)
		s = mc_utf8_to_server(s, len, &len);
	else if (copy)
		s = pnstrdup(s, len);
	jv->type = jbvString;
	jv->val.string.len = (int) len;
	jv->val.string.val = (char *) s;
}

static void
jsonb_key(const Target *t, PyObject *top, PyObject *key, JsonbValue *jv)
{
	PyObject   *str = NULL;

	if (PyUnicode_Check(key))
	{
		jsonb_string(t, top, key, jv, false);
		return;
	}
	/* As json.dumps does for non-string keys. */
	if (key == Py_True || key == Py_False || key == Py_None)
		str = PyUnicode_FromString(key == Py_True ? "true" : key == Py_False ? "false" : "null");
	else if (PyLong_Check(key) || PyFloat_Check(key))
		str = PyObject_Str(key);
	else
		conversion_error(t, top, psprintf("a dict key of type %s is not valid in JSON",
										  Py_TYPE(key)->tp_name));
	if (str == NULL)
		conversion_error(t, top, "a dict key could not be converted");
	jsonb_string(t, top, str, jv, true);
	Py_DECREF(str);
}

static void
jsonb_scalar(const Target *t, PyObject *top, PyObject *value, JsonbValue *jv)
{
	if (value == Py_None)
		jv->type = jbvNull;
	else if (PyBool_Check(value))
	{
		jv->type = jbvBool;
		jv->val.boolean = (value == Py_True);
	}
	else if (PyUnicode_Check(value))
		jsonb_string(t, top, value, jv, false);
	else if (PyLong_Check(value) || PyFloat_Check(value) ||
			 PyObject_TypeCheck(value, (PyTypeObject *) decimal_cls))
	{
		Numeric		n = numeric_of(t, value, -1);

		if (n == NULL || numeric_is_nan(n) || numeric_is_inf(n))
			conversion_error(t, top, "JSON cannot represent NaN or infinity");
		jv->type = jbvNumeric;
		jv->val.numeric = n;
	}
	else if (PyDate_Check(value) || PyTime_Check(value))
	{
		PyObject   *iso = PyObject_CallMethod(value, "isoformat", NULL);

		if (iso == NULL)
			conversion_error(t, top, "isoformat() failed");
		jsonb_string(t, top, iso, jv, true);
		Py_DECREF(iso);
	}
	else
		conversion_error(t, top, psprintf("a value of type %s inside it is not valid in JSON",
										  Py_TYPE(value)->tp_name));
}

/* jsonb orders object keys by length, then bytes. */
static int
key_cmp(const JsonbPair *a, const JsonbPair *b)
{
	if (a->key.val.string.len != b->key.val.string.len)
		return a->key.val.string.len > b->key.val.string.len ? 1 : -1;
	return memcmp(a->key.val.string.val, b->key.val.string.val, a->key.val.string.len);
}

/*
 * Sort pairs into jsonb's key order (insertion sort: objects are small) and
 * drop duplicate keys keeping the later one, as jsonb input does.  Python
 * dicts only repeat a key when e.g. 1 and "1" are both present.
 */
static int
sort_pairs(JsonbPair *pairs, int n)
{
	int			i,
				j,
				out;

	for (i = 1; i < n; i++)
	{
		JsonbPair	tmp = pairs[i];

		for (j = i; j > 0 && key_cmp(&pairs[j - 1], &tmp) > 0; j--)
			pairs[j] = pairs[j - 1];
		pairs[j] = tmp;
	}
	for (i = 1, out = 1; i < n; i++)
	{
		if (key_cmp(&pairs[out - 1], &pairs[i]) == 0)
		{
			if (pairs[i].order > pairs[out - 1].order)
				pairs[out - 1] = pairs[i];
		}
		else
			pairs[out++] = pairs[i];
	}
	return n > 0 ? out : 0;
}

/*
 * Build the JsonbValue tree of a Python value directly (objects sorted as
 * jsonb wants them), then let JsonbValueToJsonb serialize it once.
 */
static void
build_jsonb(const Target *t, PyObject *top, PyObject *value, JsonbValue *out)
{
	check_stack_depth();
	if (PyDict_Check(value))
	{
		Py_ssize_t	pos = 0;
		PyObject   *k,
				   *v;
		int			n,
					i = 0;
		JsonbPair  *pairs;

		/*
		 * A held copy: converting a value runs Python code that may clear the
		 * dict, and the pairs point into its key strings until the end.
		 */
		value = stable_dict(value);
		n = (int) PyDict_GET_SIZE(value);
		pairs = palloc(sizeof(JsonbPair) * Max(n, 1));
		while (PyDict_Next(value, &pos, &k, &v) && i < n)
		{
			jsonb_key(t, top, k, &pairs[i].key);
			build_jsonb(t, top, v, &pairs[i].value);
			pairs[i].order = i;
			i++;
		}
		out->type = jbvObject;
		out->val.object.pairs = pairs;
		out->val.object.nPairs = sort_pairs(pairs, i);
	}
	else if (is_seq(value))
	{
		Py_ssize_t	i,
					n;
		PyObject  **items;
		JsonbValue *elems;

		value = stable_seq(value);
		n = PySequence_Fast_GET_SIZE(value);
		items = PySequence_Fast_ITEMS(value);
		elems = palloc(sizeof(JsonbValue) * Max(n, 1));

		for (i = 0; i < n; i++)
			build_jsonb(t, top, items[i], &elems[i]);
		out->type = jbvArray;
		out->val.array.elems = elems;
		out->val.array.nElems = (int) n;
		out->val.array.rawScalar = false;
	}
	else
		jsonb_scalar(t, top, value, out);
}

static Datum
jsonb_datum(const Target *t, PyObject *value)
{
	JsonbValue	root;

	build_jsonb(t, value, value, &root);
	/* JsonbValueToJsonb wraps a top-level scalar as jsonb requires. */
	return JsonbPGetDatum(JsonbValueToJsonb(&root));
}

/* ---------- rows ---------- */

MCRowReader *
mc_row_reader_create(MCTableInfo *info, Bitmapset *needed_attnums, bool all,
					 const char *classname, PyObject *rowid_name)
{
	MCRowReader *r = palloc0(sizeof(MCRowReader));
	int			i;

	r->relname = info->relname;
	r->classname = classname;
	r->natts = info->natts;
	r->cols = info->cols;
	r->convs = palloc0(sizeof(MCConverter *) * Max(info->natts, 1));
	r->needed = palloc0(sizeof(bool) * Max(info->natts, 1));
	r->key_cache = palloc0(sizeof(PyObject *) * Max(info->natts, 1));
	r->key_index_cache = palloc0(sizeof(long) * Max(info->natts, 1));
	r->name_to_index = PyDict_New();
	if (r->name_to_index == NULL)
		mc_raise_python_error();
	for (i = 0; i < info->natts; i++)
	{
		MCColumn   *col = &info->cols[i];
		PyObject   *key,
				   *idx;

		if (col->dropped)
			continue;
		r->nlive++;
		key = mc_py_string(col->name);	/* server encoding, not UTF-8 */
		if (key != NULL)
			PyUnicode_InternInPlace(&key);
		idx = PyLong_FromLong(i);
		if (key == NULL || idx == NULL || PyDict_SetItem(r->name_to_index, key, idx) < 0)
			mc_raise_python_error();
		Py_DECREF(key);
		Py_DECREF(idx);
		if (all || bms_is_member(col->attnum, needed_attnums))
		{
			r->needed[i] = true;
			r->convs[i] = mc_make_converter(col->typoid, col->typmod);
		}
	}
	r->rowid_name = rowid_name;
	Py_XINCREF(rowid_name);
	return r;
}

void
mc_row_reader_free(MCRowReader *r)
{
	if (r == NULL)
		return;
	int			i;

	Py_CLEAR(r->name_to_index);
	Py_CLEAR(r->rowid_name);
	if (keep != NULL && !PyErr_Occurred() && PyList_SetSlice(keep, 0, PyList_GET_SIZE(keep), NULL) < 0)
		PyErr_Clear();			/* may run at abort: never throw */
	for (i = 0; i < r->natts; i++)
		Py_CLEAR(r->key_cache[i]);
}

static void pg_attribute_noreturn()
bad_row(MCRowReader *r, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("%s returned a bad row for foreign table \"%s\": %s",
					r->classname, r->relname, what),
			 errhint("execute() must yield dicts keyed by column name, or tuples/lists with one value per column (%d).",
					 r->nlive)));
}

/*
 * Column index of a dict key.  Rows built the same way present the same key
 * objects in the same order, so the key seen at each position last time is
 * remembered (with a reference, so its address cannot be reused) and a
 * pointer comparison usually replaces the hash lookup.
 */
static long
key_index(MCRowReader *r, PyObject *key, int pos)
{
	PyObject   *idx;

	if (pos < r->natts && r->key_cache[pos] == key)
		return r->key_index_cache[pos];
	idx = PyDict_GetItemWithError(r->name_to_index, key);
	if (idx == NULL)
	{
		if (PyErr_Occurred())
			mc_raise_python_error();
		if (r->rowid_name)
		{
			/* A str subclass key's __eq__ is wrapper code: it may raise. */
			int			same = PyObject_RichCompareBool(key, r->rowid_name, Py_EQ);

			if (same < 0)
			{
				const char *why = python_reason("comparing it with rowid_column failed");

				bad_row(r, psprintf("the key %s: %s", mc_pyrepr_trunc(key, 100), why));
			}
			if (same == 1)
				return -1;
		}
		bad_row(r, psprintf("the key %s is not a column of the table",
							mc_pyrepr_trunc(key, 100)));
	}
	if (pos < r->natts)
	{
		Py_INCREF(key);
		Py_XDECREF(r->key_cache[pos]);
		r->key_cache[pos] = key;
		r->key_index_cache[pos] = PyLong_AS_LONG(idx);
	}
	return PyLong_AS_LONG(idx);
}

static void
fill_from_dict(MCRowReader *r, PyObject *row, Datum *values, bool *isnull)
{
	Py_ssize_t	pos = 0;
	PyObject   *key,
			   *val;
	int			n = 0;

	/* A held copy: a key's __eq__/__hash__ or a value's __str__ may clear the row. */
	row = stable_dict(row);
	while (PyDict_Next(row, &pos, &key, &val))
	{
		long		i = key_index(r, key, n++);

		if (i >= 0 && r->needed[i])
			values[i] = mc_python_to_datum(r->convs[i], val, &isnull[i], r->relname,
										   r->cols[i].name);
	}
}

static void
fill_from_sequence(MCRowReader *r, PyObject *row, Datum *values, bool *isnull)
{
	Py_ssize_t	n;
	PyObject  **items;
	int			i,
				j = 0;

	/* A list row may be cleared or grown by a value's __str__: use a snapshot. */
	row = stable_seq(row);
	n = PySequence_Fast_GET_SIZE(row);
	items = PySequence_Fast_ITEMS(row);

	if (n != r->nlive)
		bad_row(r, psprintf("a %s of %zd values for %d columns",
							Py_TYPE(row)->tp_name, n, r->nlive));
	for (i = 0; i < r->natts; i++)
	{
		if (r->cols[i].dropped)
			continue;
		if (r->needed[i])
			values[i] = mc_python_to_datum(r->convs[i], items[j], &isnull[i], r->relname,
										   r->cols[i].name);
		j++;
	}
}

/* Convert one row into values/isnull (natts entries); unneeded columns stay NULL. */
void
mc_row_reader_fill(MCRowReader *r, PyObject *row, Datum *values, bool *isnull)
{
	int			i;

	for (i = 0; i < r->natts; i++)
	{
		values[i] = (Datum) 0;
		isnull[i] = true;
	}
	keep_clear();				/* what an ERROR in an earlier row left */
	if (PyDict_Check(row))
		fill_from_dict(r, row, values, isnull);
	else if (PyTuple_Check(row) || PyList_Check(row))
		fill_from_sequence(r, row, values, isnull);
	else
		bad_row(r, psprintf("a value of type %s", Py_TYPE(row)->tp_name));
	keep_clear();
}

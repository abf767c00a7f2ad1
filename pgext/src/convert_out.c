/*
 * convert_out.c
 *		Python -> Datum for the rows execute() yields: the hot path.  This
 *		file chooses a converter per column type and dispatches each value
 *		to it; convert_out.h lists the files that do the converting.
 *
 * Each column gets a converter chosen once per scan from its type.  Native
 * Python values take a direct route (no str() and no input function): int
 * -> int2/4/8/numeric/float, float -> float4/8/numeric, bool, str -> text,
 * datetime/date/time -> timestamptz/timestamp/date/time, Decimal ->
 * numeric, bytes -> bytea, dict/list -> json/jsonb (jsonb built in place),
 * list/tuple -> arrays (None elements -> NULL).  Everything else falls back
 * to str(value) and the type's input function, as upstream multicorn does
 * (bytes as text and dicts as hstore, multicorn2's own conversions, are
 * here too).  A value that cannot be converted is an ERROR naming table,
 * column, Python type and value.
 */
#include "convert_out.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

/* PostgreSQL's utils/datetime.h and Python's datetime.h share a guard. */
#undef DATETIME_H
#include <datetime.h>

void
mc_convert_out_init(void)
{
	PyDateTime_IMPORT;
	if (PyDateTimeAPI == NULL)
		mc_raise_python_error();
	mc_convert_out_scalar_init();
	mc_convert_out_jsonb_init();
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
		mc_conversion_error(&t, value, "the value is too long");
	mc_check_no_nul(&t, value, s, len);
	if (!pg_verify_mbstr(GetDatabaseEncoding(), s, (int) len, true))
		mc_conversion_error(&t, value, psprintf("the bytes are not valid %s text",
											 GetDatabaseEncodingName()));
	text = mc_py_string_len(s, (int) len);
	if (text == NULL)
		mc_conversion_error(&t, value, "the bytes cannot be decoded");
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
		mc_conversion_error(t, dict, "str() of a key or value failed");
	s = PyUnicode_AsUTF8AndSize(str, &len);
	if (s == NULL)
	{
		Py_DECREF(str);
		mc_conversion_error(t, dict, "a key or value is not valid Unicode");
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
			mc_conversion_error(t, value, "an hstore key cannot be None");
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
		mc_conversion_error(t, value, "the rendered hstore is not valid UTF-8");
	PG_TRY();
	{
		result = mc_via_input_function(t, text);
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
				return mc_int_datum(&t, value, PG_INT16_MIN, PG_INT16_MAX);
			break;
		case K_INT4:
			if (PyLong_Check(value))
				return mc_int_datum(&t, value, PG_INT32_MIN, PG_INT32_MAX);
			break;
		case K_INT8:
			if (PyLong_Check(value))
				return mc_int_datum(&t, value, PG_INT64_MIN, PG_INT64_MAX);
			break;
		case K_FLOAT8:
			if (PyFloat_Check(value) || PyLong_Check(value))
				return Float8GetDatum(mc_double_of(&t, value));
			break;
		case K_FLOAT4:
			if (PyFloat_Check(value) || PyLong_Check(value))
			{
				double		d = mc_double_of(&t, value);
				float4		f = (float4) d;

				if ((isinf(f) && !isinf(d)) || (f == 0.0f && d != 0.0))
					mc_conversion_error(&t, value, "value out of range for type real");
				return Float4GetDatum(f);
			}
			break;
		case K_NUMERIC:
			return mc_numeric_datum(&t, value);
		case K_BOOL:
			if (PyBool_Check(value))
				return BoolGetDatum(value == Py_True);
			if (PyLong_Check(value))
			{
				/* An int subclass's __bool__ is wrapper code: it may raise. */
				int			truth = PyObject_IsTrue(value);

				if (truth < 0)
					mc_conversion_error(&t, value, mc_python_reason("bool() failed"));
				return BoolGetDatum(truth == 1);
			}
			break;
		case K_TEXT:
			if (PyUnicode_Check(value))
				return mc_text_datum(&t, value);
			break;
		case K_TIMESTAMPTZ:
			if (PyDateTime_Check(value))
				return TimestampTzGetDatum(mc_timestamp_of(&t, value, true));
			break;
		case K_TIMESTAMP:
			if (PyDateTime_Check(value))
				return TimestampGetDatum(mc_timestamp_of(&t, value, false));
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
				PyObject_TypeCheck(value, (PyTypeObject *) mc_decimal_cls) ||
				PyDate_Check(value) || PyTime_Check(value))
				return mc_jsonb_datum(&t, value);
			break;
		case K_JSON:
			if (PyDict_Check(value) || PyList_Check(value) || PyTuple_Check(value) ||
				PyBool_Check(value) || PyFloat_Check(value) || PyLong_Check(value) ||
				PyObject_TypeCheck(value, (PyTypeObject *) mc_decimal_cls) ||
				PyDate_Check(value) || PyTime_Check(value))
				return mc_json_datum(&t, value);
			break;
		case K_BYTEA:
			if (PyMemoryView_Check(value))
			{
				/* str(memoryview) is "<memory at 0x...>": copy the bytes. */
				Py_buffer	view;
				bytea	   *b;

				/* Strided views too (m[::2]): copied in C order, as bytes(m) does. */
				if (PyObject_GetBuffer(value, &view, PyBUF_FULL_RO) < 0)
					mc_conversion_error(&t, value, mc_python_reason("not a buffer"));
				b = palloc(view.len + VARHDRSZ);
				SET_VARSIZE(b, view.len + VARHDRSZ);
				if (PyBuffer_ToContiguous(VARDATA(b), &view, view.len, 'C') < 0)
				{
					PyBuffer_Release(&view);
					mc_conversion_error(&t, value, mc_python_reason("the buffer could not be copied"));
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
				return mc_array_datum(&t, value);
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
	return mc_via_input_function(&t, value);
}

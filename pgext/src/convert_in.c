/*
 * convert_in.c
 *		Datum -> Python, for qual values and the rows handed to writes.
 *
 * Typed: integers -> int, float -> float, numeric -> Decimal, bool -> bool,
 * text-like -> str, timestamptz -> aware datetime (UTC), timestamp ->
 * naive datetime, date -> date, time -> time, bytea -> bytes, arrays ->
 * lists (NULL elements -> None).  Anything else (and values Python cannot
 * represent, such as 'infinity' dates) -> str from the type's output
 * function.
 */
#include "multicorn.h"


#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

/* PostgreSQL's utils/datetime.h and Python's datetime.h share a guard. */
#undef DATETIME_H
#include <datetime.h>

static PyObject *decimal_cls = NULL;

void
mc_convert_in_init(void)
{
	PyDateTime_IMPORT;
	if (PyDateTimeAPI == NULL)
		mc_raise_python_error();
	decimal_cls = mc_decimal_type();
}

static PyObject *
via_output_function(Datum value, Oid typoid)
{
	Oid			outfunc;
	bool		isvarlena;
	char	   *str;

	getTypeOutputInfo(typoid, &outfunc, &isvarlena);
	str = OidOutputFunctionCall(outfunc, value);
	return mc_py_string(str);
}

static PyObject *
timestamp_to_python(Timestamp ts, bool with_tz)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0 ||
		tm.tm_year < 1 || tm.tm_year > 9999)
		return NULL;
	return PyDateTimeAPI->DateTime_FromDateAndTime(tm.tm_year, tm.tm_mon, tm.tm_mday,
												   tm.tm_hour, tm.tm_min, tm.tm_sec, fsec,
												   with_tz ? PyDateTime_TimeZone_UTC : Py_None,
												   PyDateTimeAPI->DateTimeType);
}

static PyObject *
date_to_python(DateADT d)
{
	int			y,
				m,
				day;

	if (DATE_NOT_FINITE(d))
		return NULL;
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	if (y < 1 || y > 9999)
		return NULL;
	return PyDate_FromDate(y, m, day);
}

static PyObject *
time_to_python(TimeADT t)
{
	int64		us = t;
	int			h = us / USECS_PER_HOUR;

	if (h >= 24)				/* 24:00:00 is valid in PostgreSQL only */
		return NULL;
	us -= (int64) h * USECS_PER_HOUR;
	return PyTime_FromTime(h, (int) (us / USECS_PER_MINUTE),
						   (int) ((us % USECS_PER_MINUTE) / USECS_PER_SEC),
						   (int) (us % USECS_PER_SEC));
}

static PyObject *
numeric_to_python(Datum value)
{
	char	   *str = DatumGetCString(DirectFunctionCall1(numeric_out, value));

	return PyObject_CallFunction(decimal_cls, "s", str);
}

static PyObject *array_to_python(Datum value, Oid typoid);

/* Returns a new reference, or NULL with a Python error set. */
PyObject *
mc_datum_to_python(Datum value, bool isnull, Oid typoid)
{
	PyObject   *result = NULL;

	if (isnull)
		Py_RETURN_NONE;
	switch (typoid)
	{
		case BOOLOID:
			return PyBool_FromLong(DatumGetBool(value));
		case INT2OID:
			return PyLong_FromLong(DatumGetInt16(value));
		case INT4OID:
			return PyLong_FromLong(DatumGetInt32(value));
		case INT8OID:
			return PyLong_FromLongLong(DatumGetInt64(value));
		case OIDOID:
			return PyLong_FromUnsignedLong(DatumGetObjectId(value));
		case FLOAT4OID:
			return PyFloat_FromDouble(DatumGetFloat4(value));
		case FLOAT8OID:
			return PyFloat_FromDouble(DatumGetFloat8(value));
		case NUMERICOID:
			return numeric_to_python(value);
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			{
				text	   *t = DatumGetTextPP(value);

				return mc_py_string_len(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			}
		case NAMEOID:
			return mc_py_string(NameStr(*DatumGetName(value)));
		case BYTEAOID:
			{
				bytea	   *b = DatumGetByteaPP(value);

				return PyBytes_FromStringAndSize(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
			}
		case TIMESTAMPTZOID:
			result = timestamp_to_python(DatumGetTimestampTz(value), true);
			break;
		case TIMESTAMPOID:
			result = timestamp_to_python(DatumGetTimestamp(value), false);
			break;
		case DATEOID:
			result = date_to_python(DatumGetDateADT(value));
			break;
		case TIMEOID:
			result = time_to_python(DatumGetTimeADT(value));
			break;
		default:
			if (OidIsValid(get_element_type(typoid)) && type_is_array(typoid))
				return array_to_python(value, typoid);
			break;
	}
	if (result != NULL || PyErr_Occurred())
		return result;
	return via_output_function(value, typoid);
}

/* Nested lists for multi-dimensional arrays. */
static PyObject *
array_dim_to_python(int dim, int ndim, int *dims, Datum *elems, bool *nulls, int *pos,
					Oid elemtype)
{
	PyObject   *list = PyList_New(dims[dim]);
	int			i;

	if (list == NULL)
		return NULL;
	for (i = 0; i < dims[dim]; i++)
	{
		PyObject   *item;

		if (dim + 1 < ndim)
			item = array_dim_to_python(dim + 1, ndim, dims, elems, nulls, pos, elemtype);
		else
		{
			item = mc_datum_to_python(elems[*pos], nulls[*pos], elemtype);
			(*pos)++;
		}
		if (item == NULL)
		{
			Py_DECREF(list);
			return NULL;
		}
		PyList_SET_ITEM(list, i, item);
	}
	return list;
}

static PyObject *
array_to_python(Datum value, Oid typoid)
{
	ArrayType  *arr = DatumGetArrayTypeP(value);
	Oid			elemtype = ARR_ELEMTYPE(arr);
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems,
				pos = 0;

	if (ARR_NDIM(arr) == 0)
		return PyList_New(0);
	get_typlenbyvalalign(elemtype, &elmlen, &elmbyval, &elmalign);
	deconstruct_array(arr, elemtype, elmlen, elmbyval, elmalign, &elems, &nulls, &nelems);
	return array_dim_to_python(0, ARR_NDIM(arr), ARR_DIMS(arr), elems, nulls, &pos, elemtype);
}

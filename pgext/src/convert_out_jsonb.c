/*
 * convert_out_jsonb.c
 *		The jsonb builder: a Python value -> a JsonbValue tree, built in
 *		place and serialized once; also the JSON scalar and key rules the
 *		JSON writer (convert_out_json.c) shares.
 */
#include "convert_out.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

/* PostgreSQL's utils/datetime.h and Python's datetime.h share a guard. */
#undef DATETIME_H
#include <datetime.h>

void
mc_convert_out_jsonb_init(void)
{
	PyDateTime_IMPORT;
	if (PyDateTimeAPI == NULL)
		mc_raise_python_error();
}

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
		mc_conversion_error(t, top, "a string is not valid Unicode");
	if (memchr(s, '\0', len))
		mc_conversion_error(t, top, "jsonb cannot hold a NUL character");
	if (GetDatabaseEncoding() != PG_UTF8)
		s = mc_utf8_to_server(s, len, &len);
	else if (copy)
		s = pnstrdup(s, len);
	jv->type = jbvString;
	jv->val.string.len = (int) len;
	jv->val.string.val = (char *) s;
}

void
mc_jsonb_key(const Target *t, PyObject *top, PyObject *key, JsonbValue *jv)
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
		mc_conversion_error(t, top, psprintf("a dict key of type %s is not valid in JSON",
										  Py_TYPE(key)->tp_name));
	if (str == NULL)
		mc_conversion_error(t, top, "a dict key could not be converted");
	jsonb_string(t, top, str, jv, true);
	Py_DECREF(str);
}

void
mc_jsonb_scalar(const Target *t, PyObject *top, PyObject *value, JsonbValue *jv)
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
			 PyObject_TypeCheck(value, (PyTypeObject *) mc_decimal_cls))
	{
		Numeric		n = mc_numeric_of(t, value, -1);

		if (n == NULL || numeric_is_nan(n) || numeric_is_inf(n))
			mc_conversion_error(t, top, "JSON cannot represent NaN or infinity");
		jv->type = jbvNumeric;
		jv->val.numeric = n;
	}
	else if (PyDate_Check(value) || PyTime_Check(value))
	{
		PyObject   *iso = PyObject_CallMethod(value, "isoformat", NULL);

		if (iso == NULL)
			mc_conversion_error(t, top, "isoformat() failed");
		jsonb_string(t, top, iso, jv, true);
		Py_DECREF(iso);
	}
	else
		mc_conversion_error(t, top, psprintf("a value of type %s inside it is not valid in JSON",
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
		value = mc_stable_dict(value);
		n = (int) PyDict_GET_SIZE(value);
		pairs = palloc(sizeof(JsonbPair) * Max(n, 1));
		while (PyDict_Next(value, &pos, &k, &v) && i < n)
		{
			mc_jsonb_key(t, top, k, &pairs[i].key);
			build_jsonb(t, top, v, &pairs[i].value);
			pairs[i].order = i;
			i++;
		}
		out->type = jbvObject;
		out->val.object.pairs = pairs;
		out->val.object.nPairs = sort_pairs(pairs, i);
	}
	else if (mc_is_seq(value))
	{
		Py_ssize_t	i,
					n;
		PyObject  **items;
		JsonbValue *elems;

		value = mc_stable_seq(value);
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
		mc_jsonb_scalar(t, top, value, out);
}

Datum
mc_jsonb_datum(const Target *t, PyObject *value)
{
	JsonbValue	root;

	build_jsonb(t, value, value, &root);
	/* JsonbValueToJsonb wraps a top-level scalar as jsonb requires. */
	return JsonbPGetDatum(JsonbValueToJsonb(&root));
}

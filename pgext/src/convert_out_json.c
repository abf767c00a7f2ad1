/*
 * convert_out_json.c
 *		The JSON text writer: a Python dict, list or scalar -> a json value,
 *		with the jsonb builder's scalar rules (convert_out_jsonb.c).
 */
#include "convert_out.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"

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

		value = mc_stable_dict(value);
		appendStringInfoChar(buf, '{');
		while (PyDict_Next(value, &pos, &k, &v))
		{
			if (!first)
				appendStringInfoString(buf, ", ");
			first = false;
			mc_jsonb_key(t, top, k, &jv);
			json_write_string(buf, &jv);
			appendStringInfoString(buf, ": ");
			json_write(buf, t, top, v);
		}
		appendStringInfoChar(buf, '}');
	}
	else if (mc_is_seq(value))
	{
		Py_ssize_t	i,
					n;
		PyObject  **items;

		value = mc_stable_seq(value);
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
		mc_jsonb_scalar(t, top, value, &jv);
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
				mc_conversion_error(t, top, "unexpected JSON value");
		}
	}
}

Datum
mc_json_datum(const Target *t, PyObject *value)
{
	StringInfoData buf;

	initStringInfo(&buf);
	json_write(&buf, t, value, value);
	return PointerGetDatum(cstring_to_text_with_len(buf.data, buf.len));
}

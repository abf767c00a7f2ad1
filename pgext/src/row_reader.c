/*
 * row_reader.c
 *		The row reader: a row yielded by execute() (a dict keyed by column
 *		name, or a tuple/list with one value per column) -> values/isnull,
 *		converting only the columns the scan needs (convert_out.c).
 */
#include "convert_out.h"

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
	mc_keep_clear_nothrow();	/* may run at abort: never throw */
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
				const char *why = mc_python_reason("comparing it with rowid_column failed");

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
	row = mc_stable_dict(row);
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
	row = mc_stable_seq(row);
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
	mc_keep_clear();				/* what an ERROR in an earlier row left */
	if (PyDict_Check(row))
		fill_from_dict(r, row, values, isnull);
	else if (PyTuple_Check(row) || PyList_Check(row))
		fill_from_sequence(r, row, values, isnull);
	else
		bad_row(r, psprintf("a value of type %s", Py_TYPE(row)->tp_name));
	mc_keep_clear();
}

/*
 * convert_out_array.c
 *		Python lists and tuples -> PostgreSQL arrays (any number of
 *		dimensions, None elements -> NULL), int2vector and oidvector.
 */
#include "convert_out.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/memutils.h"		/* MaxAllocSize, which MaxArraySize needs (PostgreSQL 18) */

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

static void
fill_array(ArrayFill *f, PyObject *seq, int dim)
{
	Py_ssize_t	n;
	PyObject  **items;
	Py_ssize_t	i;

	/* Converting an item runs Python code that may change the list. */
	seq = mc_stable_seq(seq);
	n = PySequence_Fast_GET_SIZE(seq);
	items = PySequence_Fast_ITEMS(seq);

	if (n != f->dims[dim])
		mc_conversion_error(f->t, f->top, "multidimensional arrays must have sub-lists of matching lengths");
	for (i = 0; i < n; i++)
	{
		if (dim + 1 < f->ndim)
		{
			if (!mc_is_seq(items[i]))
				mc_conversion_error(f->t, f->top, "multidimensional arrays must have sub-lists of matching lengths");
			fill_array(f, items[i], dim + 1);
		}
		else
		{
			MCConverter *ec = f->t->conv->elem;
			Target		et = {f->t->relname, f->t->colname, ec};

			if (mc_is_seq(items[i]) && ec->kind != K_JSON && ec->kind != K_JSONB)
				mc_conversion_error(f->t, f->top, "multidimensional arrays must have sub-lists of matching lengths");
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

Datum
mc_array_datum(const Target *t, PyObject *value)
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

	while (mc_is_seq(cur))
	{
		Py_ssize_t	n = PySequence_Fast_GET_SIZE(cur);

		if (ndim == MAXDIM)
			mc_conversion_error(t, value, "too many array dimensions");
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
			mc_conversion_error(t, value, psprintf("an array cannot have more than %d elements",
												(int) MaxArraySize));
		total *= dims[i];
	}
	if (c->typoid == INT2VECTOROID || c->typoid == OIDVECTOROID)
	{
		/* As int2vectorin/oidvectorin build them: one dimension from 0, no NULLs. */
		if (ndim > 1)
			mc_conversion_error(t, value, "a vector has one dimension");
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
			mc_conversion_error(t, value, "a vector cannot hold NULL");
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

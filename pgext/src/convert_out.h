/*
 * convert_out.h
 *		Private declarations of the Python -> Datum conversion, shared by
 *		convert_out*.c and row_reader.c only (multicorn.h keeps the API the
 *		rest of the runtime calls: mc_make_converter, mc_python_to_datum and
 *		the row reader).
 *
 *	convert_out.c		 choosing a converter per column type, the dispatch
 *						 (mc_python_to_datum), multicorn2's fallbacks
 *						 (bytes as text, dicts as hstore)
 *	convert_out_common.c the keep list (references held while Python code
 *						 runs) and conversion errors naming the column
 *	convert_out_scalar.c numbers, text, timestamps, str() -> input function
 *	convert_out_array.c	 list/tuple -> arrays and int2vector/oidvector
 *	convert_out_json.c	 the JSON text writer (json columns)
 *	convert_out_jsonb.c	 the jsonb builder (jsonb columns, JSON scalars)
 *	row_reader.c		 rows yielded by execute() -> values/isnull
 *
 * Python's datetime C API is a static pointer in each file that includes
 * <datetime.h> (see Python's datetime.h): every such file imports it in
 * its own init function, called from mc_convert_out_init().
 */
#ifndef IGFDW_CONVERT_OUT_H
#define IGFDW_CONVERT_OUT_H

#include "multicorn.h"

#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

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

/* Where a value goes, for error messages. */
typedef struct Target
{
	const char *relname;
	const char *colname;
	MCConverter *conv;
} Target;

/* decimal.Decimal, looked up once by mc_convert_out_scalar_init. */
extern PyObject *mc_decimal_cls;

static inline bool
mc_is_seq(PyObject *o)
{
	return PyList_Check(o) || PyTuple_Check(o);
}

/* ----- convert_out_common.c ----- */
extern void mc_keep_clear(void);
extern void mc_keep_clear_nothrow(void);
extern PyObject *mc_stable_seq(PyObject *seq);
extern PyObject *mc_stable_dict(PyObject *dict);
extern void pg_attribute_noreturn() mc_conversion_error(const Target *t, PyObject *value,
														 const char *reason);
extern void mc_check_no_nul(const Target *t, PyObject *value, const char *s, Py_ssize_t len);
extern const char *mc_python_reason(const char *what);
extern PyObject *mc_checked(const Target *t, PyObject *top, PyObject *obj, const char *what);

/* ----- convert_out_scalar.c ----- */
extern void mc_convert_out_scalar_init(void);
extern Datum mc_via_input_function(const Target *t, PyObject *value);
extern Datum mc_text_datum(const Target *t, PyObject *value);
extern Datum mc_int_datum(const Target *t, PyObject *value, int64 min, int64 max);
extern double mc_double_of(const Target *t, PyObject *value);
extern Numeric mc_numeric_of(const Target *t, PyObject *value, int32 typmod);
extern Datum mc_numeric_datum(const Target *t, PyObject *value);
extern Timestamp mc_timestamp_of(const Target *t, PyObject *value, bool with_tz);

/* ----- convert_out_array.c ----- */
extern Datum mc_array_datum(const Target *t, PyObject *value);

/* ----- convert_out_json.c ----- */
extern Datum mc_json_datum(const Target *t, PyObject *value);

/* ----- convert_out_jsonb.c ----- */
extern void mc_convert_out_jsonb_init(void);
extern Datum mc_jsonb_datum(const Target *t, PyObject *value);
extern void mc_jsonb_key(const Target *t, PyObject *top, PyObject *key, JsonbValue *jv);
extern void mc_jsonb_scalar(const Target *t, PyObject *top, PyObject *value, JsonbValue *jv);

#endif							/* IGFDW_CONVERT_OUT_H */

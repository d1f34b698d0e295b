/* A tiny reader/printer for the Python literals found in .npy headers (strings, integers,
 * True/False/None, tuples, lists, dicts). Internal to the numpy format module. */
#ifndef ZR_FORMATS_NUMPY_PYLIT_H
#define ZR_FORMATS_NUMPY_PYLIT_H

#include "core/internal.h"

/* Parse one literal from UTF-8 text @p s (@p n bytes) into values allocated in @p doc. Strings
 * become ZR_KIND_STRING (UTF-8), integers INT (or a ZR_ERR_RANGE error), True/False BOOL, None
 * NULL, tuples TUPLE, lists LIST, dicts MAP. Trailing whitespace is allowed; anything else after
 * the literal is an error. Offsets in errors are relative to @p s plus @p base. */
zr_status zr__pylit_parse(const char *s, size_t n, zr_doc *doc, zr_value *out, int64_t base, zr_error *err);

/* Append the Python repr() of @p v (the kinds above) to @p b. */
zr_status zr__pylit_repr(zr__buf *b, const zr_value *v);

#endif

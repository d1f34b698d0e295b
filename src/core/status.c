#include <stdio.h>

#include "internal.h"

const char *zr_strerror(zr_status code) {
  switch (code) {
#define ZR__CASE(name, value, text)                                                                \
  case value:                                                                                      \
    return text;
    ZR_STATUS_LIST(ZR__CASE)
#undef ZR__CASE
    default:
      return "unknown status";
  }
}

const char *zr_status_name(zr_status code) {
  switch (code) {
#define ZR__CASE(name, value, text)                                                                \
  case value:                                                                                      \
    return #name;
    ZR_STATUS_LIST(ZR__CASE)
#undef ZR__CASE
    default:
      return NULL;
  }
}

void zr_error_clear(zr_error *err) {
  if (!err) return;
  err->code = ZR_OK;
  err->offset = -1;
  err->message[0] = '\0';
  err->path[0] = '\0';
}

zr_status zr__errv(zr_error *err, zr_status code, int64_t offset, const char *fmt, va_list ap) {
  if (!err) return code;
  err->code = code;
  err->offset = offset;
  err->path[0] = '\0'; /* a new error: no path left over from an earlier one; callers add theirs after */
  if (fmt) {
    vsnprintf(err->message, sizeof err->message, fmt, ap);
  } else {
    snprintf(err->message, sizeof err->message, "%s", zr_strerror(code));
  }
  return code;
}

zr_status zr_error_set(zr_error *err, zr_status code, int64_t offset, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  zr__errv(err, code, offset, fmt, ap);
  va_end(ap);
  return code;
}

void zr_error_set_path(zr_error *err, const char *path) {
  if (!err) return;
  snprintf(err->path, sizeof err->path, "%s", path ? path : "");
}

zr_status zr__err_path(zr_error *err, zr_status code, const char *path, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  zr__errv(err, code, -1, fmt, ap);
  va_end(ap);
  zr_error_set_path(err, path);
  return code;
}

zr_status zr__err_nomem(zr_error *err) { return zr_error_set(err, ZR_ERR_NOMEM, -1, "out of memory"); }

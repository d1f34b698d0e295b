/* The table of built-in formats. Each format module defines its zr__format_<name>; add it here. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "zerial/format.h"

/* One line per format module, in detection-preference order; keep the NULL last. */
extern const zr_format zr__format_binary, zr__format_json, zr__format_npy, zr__format_npz, zr__format_pickle,
    zr__format_etf, zr__format_arrow_stream, zr__format_arrow_file;

static const zr_format *const table[] = {
    &zr__format_binary,
    &zr__format_json,
    &zr__format_npy,
    &zr__format_npz,
    &zr__format_pickle,
    &zr__format_etf,
    &zr__format_arrow_file,
    &zr__format_arrow_stream,
    NULL,
};

size_t zr_format_count(void) { return sizeof table / sizeof table[0] - 1; }
const zr_format *zr_format_at(size_t i) { return i < zr_format_count() ? table[i] : NULL; }

const zr_format *zr_format_by_name(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < zr_format_count(); i++)
    if (strcmp(table[i]->name, name) == 0) return table[i];
  return NULL;
}

const zr_format *zr_format_by_id(uint16_t id) {
  for (size_t i = 0; i < zr_format_count(); i++)
    if (table[i]->id == id) return table[i];
  return NULL;
}

const zr_format *zr_format_detect(const uint8_t *data, size_t len) {
  const zr_format *best = NULL;
  int best_score = 0;
  for (size_t i = 0; i < zr_format_count(); i++) {
    if (!table[i]->detect) continue;
    int s = table[i]->detect(data, len);
    if (s > best_score) {
      best_score = s;
      best = table[i];
    }
  }
  return best;
}

void zr_warnings_add(zr_warnings *w, zr_status code, const char *path, const char *fmt, ...) {
  if (!w) return;
  if (w->count < ZR_MAX_WARNINGS) {
    zr_warning *x = &w->items[w->count];
    x->code = code;
    snprintf(x->path, sizeof x->path, "%s", path ? path : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->message, sizeof x->message, fmt, ap);
    va_end(ap);
  }
  w->count++;
}

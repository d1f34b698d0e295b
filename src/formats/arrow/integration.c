/* The driver of Arrow's cross-implementation integration protocol (VALIDATE, JSON_TO_ARROW,
 * STREAM_TO_FILE, FILE_TO_STREAM), used by `zerial arrow-integration` and the tests. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "formats/arrow/arrow_int.h"

/* Whole file (or stdin for NULL / "-") into malloc'd memory; gunzipped when it starts with 1f 8b. */
static zr_status slurp(const char *path, uint8_t **out, size_t *len, zr_error *err) {
  FILE *f = (!path || !strcmp(path, "-")) ? stdin : fopen(path, "rb");
  if (!f) return zr__err(err, ZR_ERR_IO, -1, "cannot open %s", path);
  size_t cap = 1 << 16, n = 0;
  uint8_t *b = malloc(cap);
  while (b) {
    if (n == cap) {
      uint8_t *nb = realloc(b, cap * 2);
      if (!nb) {
        free(b);
        b = NULL;
        break;
      }
      b = nb;
      cap *= 2;
    }
    size_t got = fread(b + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (f != stdin) fclose(f);
  if (!b) return zr__err_nomem(err);
  if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
      free(b);
      return zr__err_nomem(err);
    }
    size_t ocap = n * 8 + 1024, on = 0;
    uint8_t *o = malloc(ocap);
    z.next_in = b;
    z.avail_in = (uInt)n;
    int rc = Z_OK;
    while (o && rc != Z_STREAM_END) {
      if (on == ocap) {
        uint8_t *no = realloc(o, ocap * 2);
        if (!no) {
          free(o);
          o = NULL;
          break;
        }
        o = no;
        ocap *= 2;
      }
      z.next_out = o + on;
      z.avail_out = (uInt)(ocap - on);
      rc = inflate(&z, Z_NO_FLUSH);
      on = ocap - z.avail_out;
      if (rc != Z_OK && rc != Z_STREAM_END) break;
    }
    inflateEnd(&z);
    free(b);
    if (!o || rc != Z_STREAM_END) {
      free(o);
      return zr__err(err, ZR_ERR_MALFORMED, -1, "%s: bad gzip data", path ? path : "stdin");
    }
    b = o;
    n = on;
  }
  *out = b;
  *len = n;
  return ZR_OK;
}

static zr_status read_json(const char *path, zr_table *t, zr_error *err) {
  uint8_t *b;
  size_t n;
  ZR_TRY(slurp(path, &b, &n, err));
  zr_status st = zr_arrow_from_integration_json((const char *)b, n, NULL, t, err);
  free(b);
  return st;
}

static zr_status read_arrow(const char *path, zr_table *t, uint8_t **keep, zr_error *err) {
  size_t n;
  ZR_TRY(slurp(path, keep, &n, err));
  zr_arrow_read_opts o;
  zr_arrow_read_opts_init(&o);
  o.validate_utf8 = 1;
  zr_status st = zr_arrow_read(*keep, n, &o, t, err);
  if (st) {
    free(*keep);
    *keep = NULL;
  }
  return st;
}

static zr_status write_arrow(const char *path, const zr_table *t, int file, const zr_arrow_write_opts *wopts,
                             zr_error *err) {
  zr_sink *sink;
  if (!path || !strcmp(path, "-")) ZR_TRY(zr_sink_fd_new(1, &sink, err));
  else ZR_TRY(zr_sink_file_new(path, &sink, err));
  zr_arrow_write_opts wo;
  if (wopts) wo = *wopts;
  else memset(&wo, 0, sizeof wo);
  wo.file = file;
  zr_status st = zr_arrow_write(t, &wo, sink, err);
  if (!st) st = zr_sink_finish(sink, err);
  zr_sink_free(sink);
  return st;
}

zr_status zr_arrow_integration(const char *mode, const char *json, const char *arrow, const char *stream,
                               zr_error *err) {
  return zr_arrow_integration_opts(mode, json, arrow, stream, NULL, err);
}

zr_status zr_arrow_integration_opts(const char *mode, const char *json, const char *arrow, const char *stream,
                                    const zr_arrow_write_opts *wo, zr_error *err) {
  if (!mode) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow-integration: --mode is required");
  zr_table a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  uint8_t *keep = NULL, *keep2 = NULL;
  zr_status st;
  if (!strcmp(mode, "VALIDATE")) {
    if (!json || !arrow) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "VALIDATE needs --json and --arrow");
    st = read_json(json, &a, err);
    if (!st) st = read_arrow(arrow, &b, &keep, err);
    if (!st) {
      char why[400];
      if (!za_table_equal(&a, &b, why, sizeof why))
        st = zr__err(err, ZR_ERR_INCOMPATIBLE, -1, "%s differs from %s: %s", arrow, json, why);
    }
  } else if (!strcmp(mode, "JSON_TO_ARROW")) {
    if (!json || !arrow) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "JSON_TO_ARROW needs --json and --arrow");
    st = read_json(json, &a, err);
    if (!st) st = write_arrow(arrow, &a, 1, wo, err);
  } else if (!strcmp(mode, "STREAM_TO_FILE")) {
    if (!arrow) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "STREAM_TO_FILE needs --arrow");
    st = read_arrow(stream, &a, &keep, err);
    if (!st) st = write_arrow(arrow, &a, 1, wo, err);
  } else if (!strcmp(mode, "FILE_TO_STREAM")) {
    if (!arrow) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "FILE_TO_STREAM needs --arrow");
    st = read_arrow(arrow, &a, &keep, err);
    if (!st) st = write_arrow(stream, &a, 0, wo, err);
  } else {
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow-integration: unknown mode %s", mode);
  }
  zr_table_release(&a);
  zr_table_release(&b);
  free(keep);
  free(keep2);
  return st;
}

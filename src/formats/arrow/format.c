/* The arrow-stream and arrow-file entries of the format table. */
#include <stdio.h>

#include "formats/arrow/arrow_int.h"
#include "formats/arrow/fb.h"
#include "zerial/format.h"
#include "zerial/numpy.h"



static int detect_stream(const uint8_t *d, size_t n) {
  if (n < 8) return 0;
  size_t off = 4;
  uint32_t w = zr__ld32le(d);
  if (w == 0xFFFFFFFFu) {
    w = zr__ld32le(d + 4);
    off = 8;
  }
  if (w == 0 || w > n - off || w > (1u << 30)) return 0;
  /* a Message flatbuffer with a Schema header */
  zr__fb fb;
  zr__fb_init(&fb, d + off, w, (int64_t)off);
  zr__fbt root = zr__fb_root(&fb);
  int16_t ver = zr__fb_i16(&fb, &root, 0, 0);
  uint8_t ht = zr__fb_u8(&fb, &root, 1, 0);
  if (fb.status || ver < 0 || ver > 4 || ht != 1) return 0;
  return off == 8 ? 100 : 60;
}

static int detect_file(const uint8_t *d, size_t n) { return n >= 8 && memcmp(d, "ARROW1", 6) == 0 ? 100 : 0; }

static zr_status decode(const uint8_t *data, size_t len, const zr_decode_opts *opts, zr_doc **out, zr_error *err) {
  zr_decode_opts dflt;
  if (!opts) {
    zr_decode_opts_init(&dflt);
    opts = &dflt;
  }
  zr_arrow_read_opts o;
  zr_arrow_read_opts_init(&o);
  o.alloc = opts->alloc;
  o.copy = opts->copy;
  o.validate_utf8 = opts->validate_utf8;
  o.max_bytes = opts->max_bytes;
  if (opts->max_depth && opts->max_depth < 64) o.max_depth = opts->max_depth;
  zr_table t;
  ZR_TRY(zr_arrow_read(data, len, &o, &t, err));
  zr_doc *d = zr__doc_new_limited(opts->alloc, opts->max_bytes);
  if (!d) {
    zr_table_release(&t);
    return zr__err_nomem(err);
  }
  zr_value v = zr_table_value(d, &t);
  if (v.kind != ZR_KIND_TABLE) {
    zr_table_release(&t);
    zr_doc_free(d);
    return zr__err_nomem(err);
  }
  zr_doc_set_root(d, v);
  *out = d;
  return ZR_OK;
}

static zr_status encode_as(const zr_value *v, const zr_encode_opts *opts, zr_sink *sink, int file, zr_error *err) {
  zr_arrow_write_opts wo;
  memset(&wo, 0, sizeof wo);
  wo.file = file;
  if (opts) {
    wo.alloc = opts->alloc;
    wo.alignment = opts->alignment;
    wo.level = opts->level;
    if (opts->codec && !strcmp(opts->codec, "lz4")) wo.codec = ZR_ARROW_CODEC_LZ4;
    else if (opts->codec && (!strcmp(opts->codec, "zstd") || !strcmp(opts->codec, "auto"))) wo.codec = ZR_ARROW_CODEC_ZSTD;
    else if (opts->codec && strcmp(opts->codec, "none") != 0)
      return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "arrow: codec %s not available (lz4, zstd)", opts->codec);
  }
  if (v->kind == ZR_KIND_TABLE) return zr_arrow_write(v->u.table, &wo, sink, err);
  zr_table t;
  if (zr_numpy_is_tensor_table(v)) { /* NumPy-shaped data: a tensor, a structured tensor, npz members */
    ZR_TRY(zr_numpy_to_table(v, &t, err));
    zr_status st = zr_arrow_write(&t, &wo, sink, err);
    zr_table_release(&t);
    return st;
  }
  zr_arrow_convert_opts co;
  memset(&co, 0, sizeof co);
  co.alloc = opts ? opts->alloc : NULL;
  co.flags = opts ? opts->flags : 0;
  ZR_TRY(zr_arrow_from_value(v, &co, &t, opts ? opts->warnings : NULL, err));
  zr_status st = zr_arrow_write(&t, &wo, sink, err);
  zr_table_release(&t);
  return st;
}

static zr_status encode_stream(const zr_value *v, const zr_encode_opts *o, zr_sink *s, zr_error *e) { return encode_as(v, o, s, 0, e); }
static zr_status encode_file(const zr_value *v, const zr_encode_opts *o, zr_sink *s, zr_error *e) { return encode_as(v, o, s, 1, e); }

const zr_format zr__format_arrow_stream = {
    "arrow-stream", ZR_FORMAT_ID_ARROW_STREAM, "Apache Arrow IPC stream (tables; zero-copy reads)",
    detect_stream, decode, encode_stream, zr__arrow_inspect,
};

const zr_format zr__format_arrow_file = {
    "arrow-file", ZR_FORMAT_ID_ARROW_FILE, "Apache Arrow IPC file (Feather v2; random access to batches)",
    detect_file, decode, encode_file, zr__arrow_inspect,
};

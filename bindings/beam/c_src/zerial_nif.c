/* zerial NIF: Erlang/Elixir terms ↔ zerial formats (etf, binary, npy, arrow-stream, …).
 *
 * encode: the term is flattened with enif_term_to_binary, decoded by zr_etf_decode (zero-copy
 *         views into that flat copy), and written by the chosen format into a zerial memory sink;
 *         the output buffer is handed to the VM as a resource binary (no copy; freed by the
 *         resource destructor when the last reference to the binary goes away).
 * decode: the input binary is decoded in place (views into it); values become terms directly.
 *         Binaries that lie inside the input become sub-binaries of it; binaries that lie in
 *         zerial memory (inflated or converted data) become resource binaries over the decoded
 *         doc, which stays alive as long as any of them. Non-ASCII atoms and bignums go through
 *         a small external-term round trip (the NIF API cannot build them directly).
 * Work on inputs larger than 64 KiB (decode) and every encode runs on a dirty CPU scheduler.
 */
#include <erl_nif.h>
#include <stdio.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zerial/etf.h"
#include "zerial/format.h"
#include "zerial/shm.h"
#include "zerial/zerial.h"

#define DIRTY_THRESHOLD (64 * 1024)
#define SMALL_COPY 64 /* binaries up to this size are copied rather than referenced */
#define KEYS_ATOMS 0x10000u /* decode flag of ours (beyond the ZR_ETF_* bits): string map keys as atoms */

static ErlNifResourceType *buf_type;
static ErlNifResourceType *doc_type;

typedef struct {
  uint8_t *data;
  size_t len;
} buf_res;

typedef struct {
  zr_doc *doc;
} doc_res;

static ERL_NIF_TERM a_ok, a_error, a_nil, a_undefined, a_true, a_false, a_tensor_tag;

static void buf_dtor(ErlNifEnv *env, void *obj) {
  (void)env;
  buf_res *r = obj;
  zr_free(r->data);
}

static void doc_dtor(ErlNifEnv *env, void *obj) {
  (void)env;
  doc_res *r = obj;
  zr_doc_free(r->doc);
}

/* load: the resource types are created. upgrade (the module is reloaded while its old code, with
 * this library, is still loaded): they already exist, and are taken over, so that binaries made
 * by the old instance keep working and are freed by this one. */
static int open_types(ErlNifEnv *env, ErlNifResourceFlags how) {
  buf_type = enif_open_resource_type(env, NULL, "zerial_buf", buf_dtor, how, NULL);
  doc_type = enif_open_resource_type(env, NULL, "zerial_doc", doc_dtor, how, NULL);
  if (!buf_type || !doc_type) return 1;
  a_ok = enif_make_atom(env, "ok");
  a_error = enif_make_atom(env, "error");
  a_nil = enif_make_atom(env, "nil");
  a_undefined = enif_make_atom(env, "undefined");
  a_true = enif_make_atom(env, "true");
  a_false = enif_make_atom(env, "false");
  a_tensor_tag = enif_make_atom(env, "$zerial_tensor");
  return 0;
}

static int load(ErlNifEnv *env, void **priv, ERL_NIF_TERM info) {
  (void)priv;
  (void)info;
  return open_types(env, ERL_NIF_RT_CREATE);
}

static int upgrade(ErlNifEnv *env, void **priv, void **old, ERL_NIF_TERM info) {
  (void)priv;
  (void)old;
  (void)info;
  return open_types(env, ERL_NIF_RT_CREATE | ERL_NIF_RT_TAKEOVER);
}

/* {error, {Code, Message, Offset}}: Code is the lower-case status name without "err_"
 * (type, malformed, truncated, unsupported, ...); the value path, if any, ends the message. */
static ERL_NIF_TERM make_error(ErlNifEnv *env, zr_status st, const zr_error *e) {
  const char *name = zr_status_name(st);
  char code[64];
  size_t n = 0;
  if (!name) name = "ERR_INTERNAL";
  if (strncmp(name, "ERR_", 4) == 0) name += 4;
  for (; n < sizeof code - 1 && name[n]; n++)
    code[n] = (char)(name[n] >= 'A' && name[n] <= 'Z' ? name[n] + 32 : name[n]);
  code[n] = 0;
  char msg[ZR_ERROR_MESSAGE_MAX + ZR_ERROR_PATH_MAX + 8];
  const char *m = e && e->code == st && e->message[0] ? e->message : zr_strerror(st);
  if (e && e->code == st && e->path[0])
    snprintf(msg, sizeof msg, "%s at %s", m, e->path);
  else
    snprintf(msg, sizeof msg, "%s", m);
  ERL_NIF_TERM mt;
  size_t ml = strlen(msg);
  unsigned char *mp = enif_make_new_binary(env, ml, &mt);
  memcpy(mp, msg, ml);
  int64_t off = e && e->code == st ? e->offset : -1;
  return enif_make_tuple2(env, a_error,
                          enif_make_tuple3(env, enif_make_atom(env, code), mt, enif_make_int64(env, off)));
}

static ERL_NIF_TERM badarg_error(ErlNifEnv *env, const char *what) {
  zr_error e;
  zr_error_clear(&e); /* zr_error_set leaves the path alone: make_error would read it uninitialised */
  zr_error_set(&e, ZR_ERR_INVALID_ARG, -1, "%s", what);
  return make_error(env, ZR_ERR_INVALID_ARG, &e);
}

/* A format name: a binary or an atom of fewer than cap bytes. A binary with a NUL byte is refused
 * (it would otherwise name the format spelled before the NUL). */
static int get_name(ErlNifEnv *env, ERL_NIF_TERM t, char *out, size_t cap) {
  ErlNifBinary b;
  if (enif_inspect_binary(env, t, &b)) {
    if (b.size >= cap || memchr(b.data, 0, b.size)) return 0;
    memcpy(out, b.data, b.size);
    out[b.size] = 0;
    return 1;
  }
  return enif_get_atom(env, t, out, (unsigned)cap, ERL_NIF_LATIN1) > 0;
}

/* ---------------------------------------------------------------------------------------------
 * encode(Term, Format, EtfFlags, EncFlags, Level) */
static ERL_NIF_TERM encode_impl(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
  (void)argc;
  char fmt_name[32];
  unsigned flags, eflags;
  int level;
  if (!get_name(env, argv[1], fmt_name, sizeof fmt_name) || !enif_get_uint(env, argv[2], &flags) ||
      !enif_get_uint(env, argv[3], &eflags) || !enif_get_int(env, argv[4], &level))
    return enif_make_badarg(env);
  const zr_format *fmt = zr_format_by_name(fmt_name);
  if (!fmt || !fmt->encode) {
    zr_error e;
    zr_error_clear(&e);
    zr_error_set(&e, ZR_ERR_NOT_FOUND, -1, "no format named \"%s\" in this build", fmt_name);
    return make_error(env, ZR_ERR_NOT_FOUND, &e);
  }
  ErlNifBinary flat;
  if (!enif_term_to_binary(env, argv[0], &flat)) return badarg_error(env, "term_to_binary failed");
  zr_error e;
  zr_error_clear(&e);
  zr_doc *doc = NULL;
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  zr_status st = zr_etf_decode(flat.data, flat.size, &o, flags & ~(unsigned)ZR_ETF_COMPRESS, &doc, &e);
  if (st != ZR_OK) e.offset = -1; /* the offset is in the VM's flat copy, meaningless to the caller */
  zr_sink *sink = NULL;
  if (st == ZR_OK) st = zr_sink_memory_new(NULL, &sink, &e);
  if (st == ZR_OK) {
    zr_encode_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.flags = eflags;
    eo.level = level;
    if (strcmp(fmt->name, "etf") == 0)
      st = zr_etf_encode(zr_doc_root(doc), &eo, flags, sink, &e);
    else
      st = fmt->encode(zr_doc_root(doc), &eo, sink, &e);
  }
  zr_doc_free(doc);
  enif_release_binary(&flat);
  if (st != ZR_OK) {
    zr_sink_free(sink);
    return make_error(env, st, &e);
  }
  buf_res *r = enif_alloc_resource(buf_type, sizeof *r);
  if (!r) {
    zr_sink_free(sink);
    return make_error(env, ZR_ERR_NOMEM, NULL);
  }
  r->data = NULL;
  r->len = 0;
  st = zr_sink_memory_take(sink, &r->data, &r->len, &e);
  zr_sink_free(sink);
  if (st != ZR_OK) {
    enif_release_resource(r);
    return make_error(env, st, &e);
  }
  ERL_NIF_TERM bin = enif_make_resource_binary(env, r, r->data, r->len);
  enif_release_resource(r);
  return enif_make_tuple2(env, a_ok, bin);
}

static ERL_NIF_TERM encode_nif(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
  if (argc != 5) return enif_make_badarg(env);
  return enif_schedule_nif(env, "encode_dirty", ERL_NIF_DIRTY_JOB_CPU_BOUND, encode_impl, argc, argv);
}

/* ---------------------------------------------------------------------------------------------
 * decode(Bin, Format | auto, EtfFlags, Copy) */
typedef struct conv {
  ErlNifEnv *env;
  ERL_NIF_TERM input; /* the input binary term */
  const uint8_t *in_lo, *in_hi;
  doc_res *docr; /* resource over the doc (created on first use) */
  zr_doc *doc;
  ERL_NIF_TERM doc_term; /* unused placeholder */
  unsigned flags;
  int safe;
  zr_error *err;
} conv;

static int via_etf(conv *c, const zr_value *v, ERL_NIF_TERM *out, zr_status *st) {
  zr_sink *s = NULL;
  *st = zr_sink_memory_new(NULL, &s, c->err);
  if (*st) return 0;
  *st = zr_etf_encode(v, NULL, c->flags & ZR_ETF_UNDEFINED_NULL, s, c->err);
  const uint8_t *p;
  size_t n;
  int ok = 0;
  if (*st == ZR_OK && zr_sink_memory_data(s, &p, &n) == ZR_OK) {
    ok = enif_binary_to_term(c->env, p, n, out, c->safe ? ERL_NIF_BIN2TERM_SAFE : 0) > 0;
    if (!ok)
      *st = zr_error_set(c->err, ZR_ERR_REFUSED, -1, "binary_to_term refused a value (unknown atom in safe mode?)");
  }
  zr_sink_free(s);
  return ok;
}

static int bytes_term(conv *c, const uint8_t *p, size_t n, ERL_NIF_TERM *out) {
  if (n && p >= c->in_lo && p + n <= c->in_hi && n > SMALL_COPY) {
    *out = enif_make_sub_binary(c->env, c->input, (size_t)(p - c->in_lo), n);
    return 1;
  }
  if (n > SMALL_COPY && c->doc) {
    if (!c->docr) {
      c->docr = enif_alloc_resource(doc_type, sizeof *c->docr);
      if (!c->docr) return 0;
      c->docr->doc = c->doc;
      c->doc = NULL; /* now owned by the resource */
    }
    *out = enif_make_resource_binary(c->env, c->docr, p, n);
    return 1;
  }
  unsigned char *d = enif_make_new_binary(c->env, n, out);
  if (!d) return 0;
  if (n) memcpy(d, p, n);
  return 1;
}

static int to_term(conv *c, const zr_value *v, ERL_NIF_TERM *out, zr_status *st, unsigned depth) {
  ErlNifEnv *env = c->env;
  if (depth > 100000) {
    *st = zr_error_set(c->err, ZR_ERR_LIMIT, -1, "value nested too deeply");
    return 0;
  }
  switch ((zr_kind)v->kind) {
    case ZR_KIND_NULL: *out = (c->flags & ZR_ETF_UNDEFINED_NULL) ? a_undefined : a_nil; return 1;
    case ZR_KIND_BOOL: *out = v->u.b ? a_true : a_false; return 1;
    case ZR_KIND_INT: *out = enif_make_int64(env, v->u.i); return 1;
    case ZR_KIND_UINT: *out = enif_make_uint64(env, v->u.u); return 1;
    case ZR_KIND_FLOAT:
      if (v->u.f != v->u.f || v->u.f - v->u.f != 0) return via_etf(c, v, out, st); /* reports the error */
      *out = enif_make_double(env, v->u.f);
      return 1;
    case ZR_KIND_STRING:
    case ZR_KIND_BINARY:
      if (bytes_term(c, v->u.bin, (size_t)v->n.len, out)) return 1;
      *st = ZR_ERR_NOMEM; /* enif_alloc_resource failed (was reported as "internal") */
      return 0;
    case ZR_KIND_SYMBOL: {
      size_t n = (size_t)v->n.len;
      int ascii = n <= 255;
      for (size_t i = 0; i < n && ascii; i++) ascii = (uint8_t)v->u.str[i] < 0x80;
      if (!ascii) return via_etf(c, v, out, st);
      if (c->safe) {
        if (enif_make_existing_atom_len(env, v->u.str, n, out, ERL_NIF_LATIN1)) return 1;
        *st = zr_error_set(c->err, ZR_ERR_REFUSED, -1, "atom '%.*s' does not exist (safe mode)", (int)(n > 64 ? 64 : n),
                           v->u.str);
        return 0;
      }
      *out = enif_make_atom_len(env, v->u.str, n);
      return 1;
    }
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE: {
      size_t n = (size_t)v->n.len;
      ERL_NIF_TERM stack[16];
      ERL_NIF_TERM *a = n <= 16 ? stack : enif_alloc(n * sizeof *a);
      if (!a) {
        *st = ZR_ERR_NOMEM;
        return 0;
      }
      int ok = 1;
      for (size_t i = 0; i < n && ok; i++) ok = to_term(c, &v->u.items[i], &a[i], st, depth + 1);
      if (ok)
        *out = v->kind == ZR_KIND_LIST ? enif_make_list_from_array(env, a, (unsigned)n)
                                       : enif_make_tuple_from_array(env, a, (unsigned)n);
      if (a != stack) enif_free(a);
      return ok;
    }
    case ZR_KIND_MAP: {
      size_t n = (size_t)v->n.len;
      ERL_NIF_TERM *k = enif_alloc((2 * n + 1) * sizeof *k);
      if (!k) {
        *st = ZR_ERR_NOMEM;
        return 0;
      }
      ERL_NIF_TERM *vals = k + n;
      int ok = 1;
      for (size_t i = 0; i < n && ok; i++) {
        const zr_value *key = &v->u.members[i].key;
        if ((c->flags & KEYS_ATOMS) && key->kind == ZR_KIND_STRING) {
          zr_value sym = *key;
          sym.kind = ZR_KIND_SYMBOL;
          ok = to_term(c, &sym, &k[i], st, depth + 1);
        } else {
          ok = to_term(c, key, &k[i], st, depth + 1);
        }
        if (ok) ok = to_term(c, &v->u.members[i].val, &vals[i], st, depth + 1);
      }
      if (ok && !enif_make_map_from_arrays(env, k, vals, n, out)) {
        /* repeated keys: the last one wins */
        *out = enif_make_new_map(env);
        for (size_t i = 0; i < n; i++) enif_make_map_put(env, *out, k[i], vals[i], out);
      }
      enif_free(k);
      return ok;
    }
    case ZR_KIND_TENSOR: {
      const zr_tensor *t = v->u.tensor;
      if (!zr_tensor_is_c_contiguous(t) || t->byte_order == ZR_ORDER_BIG || t->dtype > ZR_DT_COMPLEX128 ||
          zr_dtype_size(t->dtype) != t->itemsize)
        return via_etf(c, v, out, st);
      ERL_NIF_TERM dims[ZR_TENSOR_MAX_DIMS], data;
      for (uint32_t i = 0; i < t->ndim; i++) dims[i] = enif_make_int64(env, t->shape[i]);
      if (!bytes_term(c, t->data, (size_t)(zr_tensor_count(t) * t->itemsize), &data)) {
        *st = ZR_ERR_NOMEM;
        return 0;
      }
      *out = enif_make_tuple4(env, a_tensor_tag, enif_make_atom(env, zr_dtype_name(t->dtype)),
                              enif_make_tuple_from_array(env, dims, t->ndim), data);
      return 1;
    }
    case ZR_KIND_TABLE: {
      /* an Arrow table: its rows, one map per row (column name => value) */
      zr_doc *d = c->docr ? c->docr->doc : c->doc;
      zr_value rows;
      *st = zr_arrow_to_value(v->u.table, d, &rows, c->err);
      if (*st != ZR_OK) return 0;
      return to_term(c, &rows, out, st, depth + 1);
    }
    default: return via_etf(c, v, out, st);
  }
}

static ERL_NIF_TERM decode_impl(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
  (void)argc;
  ErlNifBinary in;
  char fmt_name[32];
  unsigned flags;
  int copy, safe;
  if (!enif_inspect_binary(env, argv[0], &in) || !get_name(env, argv[1], fmt_name, sizeof fmt_name) ||
      !enif_get_uint(env, argv[2], &flags) || !enif_get_int(env, argv[3], &copy) || !enif_get_int(env, argv[4], &safe))
    return enif_make_badarg(env);
  zr_error e;
  zr_error_clear(&e);
  const zr_format *fmt =
      strcmp(fmt_name, "auto") == 0 ? zr_format_detect(in.data, in.size) : zr_format_by_name(fmt_name);
  if (!fmt || !fmt->decode) {
    zr_error_set(&e, ZR_ERR_FORMAT, 0, "%s",
                 strcmp(fmt_name, "auto") == 0 ? "format not detected" : "no such format in this build");
    return make_error(env, ZR_ERR_FORMAT, &e);
  }
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.copy = copy;
  zr_doc *doc = NULL;
  zr_status st = strcmp(fmt->name, "etf") == 0 ? zr_etf_decode(in.data, in.size, &o, flags & ~KEYS_ATOMS, &doc, &e)
                                               : fmt->decode(in.data, in.size, &o, &doc, &e);
  if (st != ZR_OK) return make_error(env, st, &e);
  conv c = {.env = env,
            .input = argv[0],
            .in_lo = in.data,
            .in_hi = in.data + in.size,
            .doc = doc,
            .flags = flags,
            .safe = safe,
            .err = &e};
  if (copy) c.in_lo = c.in_hi = NULL;
  ERL_NIF_TERM out;
  int ok = to_term(&c, zr_doc_root(doc), &out, &st, 0);
  if (c.docr)
    enif_release_resource(c.docr); /* binaries made over it keep it alive */
  else
    zr_doc_free(c.doc);
  if (!ok) return make_error(env, st ? st : ZR_ERR_INTERNAL, &e);
  return enif_make_tuple2(env, a_ok, out);
}

static ERL_NIF_TERM decode_nif(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
  ErlNifBinary in;
  if (argc != 5 || !enif_inspect_binary(env, argv[0], &in)) return enif_make_badarg(env);
  if (in.size > DIRTY_THRESHOLD)
    return enif_schedule_nif(env, "decode_dirty", ERL_NIF_DIRTY_JOB_CPU_BOUND, decode_impl, argc, argv);
  return decode_impl(env, argc, argv);
}

/* ---------------------------------------------------------------------------------------------
 * Shared memory.
 * to_shm(Region, [{Name, Term} | {Name, Term, Format}], Format, EtfFlags, EncFlags): create the
 *   region, write each term (with its own Format when given)
 *   with Format ("auto": tensors as raw tensor objects, everything else zerial binary; "raw":
 *   tensors only; or any format name) straight into the mapping, publish, close. The region stays
 *   until unlink_shm/1.
 * from_shm(Region, EtfFlags, Safe) -> {ok, [{Name, Term}]}: open the published region and decode
 *   every object as views into the mapping; binaries and tensor data longer than 64 bytes become
 *   resource binaries over the decoded doc, which holds a reference on the mapping — the data is
 *   never copied and stays mapped while any of those binaries lives. */
static int get_bin_str(ErlNifEnv *env, ERL_NIF_TERM t, char *out, size_t cap) {
  ErlNifBinary b;
  if (!enif_inspect_iolist_as_binary(env, t, &b) || b.size >= cap || memchr(b.data, 0, b.size)) return 0;
  memcpy(out, b.data, b.size);
  out[b.size] = 0;
  return 1;
}

static ERL_NIF_TERM to_shm_nif(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
  (void)argc;
  char region[ZR_SHM_REGION_NAME_MAX + 1], fmt_name[32];
  unsigned flags, eflags, n;
  if (!get_bin_str(env, argv[0], region, sizeof region) || !enif_get_list_length(env, argv[1], &n) ||
      !get_name(env, argv[2], fmt_name, sizeof fmt_name) || !enif_get_uint(env, argv[3], &flags) ||
      !enif_get_uint(env, argv[4], &eflags))
    return enif_make_badarg(env);
  int is_auto = strcmp(fmt_name, "auto") == 0, is_raw = strcmp(fmt_name, "raw") == 0;
  const zr_format *fmt = is_auto ? zr_format_by_name("binary") : is_raw ? NULL : zr_format_by_name(fmt_name);
  zr_error e;
  zr_error_clear(&e);
  if (!is_raw && !fmt) {
    zr_error_set(&e, ZR_ERR_NOT_FOUND, -1, "no format named \"%s\" in this build", fmt_name);
    return make_error(env, ZR_ERR_NOT_FOUND, &e);
  }
  zr_shm_create_opts co;
  memset(&co, 0, sizeof co);
  co.max_objects = n > ZR_SHM_DEFAULT_OBJECTS ? n : 0;
  zr_shm *r = NULL;
  zr_status st = zr_shm_create(region, &co, &r, &e);
  if (st != ZR_OK) return make_error(env, st, &e);
  ERL_NIF_TERM list = argv[1], head;
  while (st == ZR_OK && enif_get_list_cell(env, list, &head, &list)) {
    int arity;
    const ERL_NIF_TERM *tup;
    char name[ZR_SHM_NAME_MAX + 1];
    char ofmt_name[32];
    if (!enif_get_tuple(env, head, &arity, &tup) || (arity != 2 && arity != 3) ||
        !get_bin_str(env, tup[0], name, sizeof name) ||
        (arity == 3 && !get_name(env, tup[2], ofmt_name, sizeof ofmt_name))) {
      st = zr_error_set(&e, ZR_ERR_INVALID_ARG, -1,
                        "objects must be {Name, Term} or {Name, Term, Format} with a binary name of at most %u bytes",
                        ZR_SHM_NAME_MAX);
      break;
    }
    /* {Name, Term, Format}: this object's own format */
    int o_auto = is_auto, o_raw = is_raw;
    const zr_format *ofmt = fmt;
    if (arity == 3) {
      o_auto = strcmp(ofmt_name, "auto") == 0;
      o_raw = strcmp(ofmt_name, "raw") == 0;
      ofmt = o_auto ? zr_format_by_name("binary") : o_raw ? NULL : zr_format_by_name(ofmt_name);
      if (!o_raw && !ofmt) {
        st = zr_error_set(&e, ZR_ERR_NOT_FOUND, -1, "object \"%s\": no format named \"%s\" in this build", name, ofmt_name);
        break;
      }
    }
    ErlNifBinary flat;
    if (!enif_term_to_binary(env, tup[1], &flat)) {
      st = zr_error_set(&e, ZR_ERR_INVALID_ARG, -1, "term_to_binary failed");
      break;
    }
    zr_doc *doc = NULL;
    st = zr_etf_decode(flat.data, flat.size, NULL, flags & ~(unsigned)ZR_ETF_COMPRESS, &doc, &e);
    if (st == ZR_OK) {
      const zr_value *v = zr_doc_root(doc);
      zr_encode_opts eo;
      memset(&eo, 0, sizeof eo);
      eo.flags = eflags;
      if ((o_auto || o_raw) && v->kind == ZR_KIND_TENSOR)
        st = zr_shm_put_tensor(r, name, v->u.tensor, 0, &e);
      else if (o_raw)
        st = zr_error_set(&e, ZR_ERR_TYPE, -1, "object \"%s\": format raw holds tensors only", name);
      else
        st = zr_shm_put_value(r, name, ofmt->id, v, &eo, 0, &e);
    } else {
      e.offset = -1;
    }
    zr_doc_free(doc);
    enif_release_binary(&flat);
  }
  if (st == ZR_OK) st = zr_shm_publish(r, &e);
  zr_shm_close(r);
  if (st != ZR_OK) {
    zr_shm_unlink(region, NULL);
    return make_error(env, st, &e);
  }
  return a_ok;
}

static ERL_NIF_TERM from_shm_nif(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
  (void)argc;
  char region[ZR_SHM_REGION_NAME_MAX + 1];
  unsigned flags;
  int safe;
  if (!get_bin_str(env, argv[0], region, sizeof region) || !enif_get_uint(env, argv[1], &flags) ||
      !enif_get_int(env, argv[2], &safe))
    return enif_make_badarg(env);
  zr_error e;
  zr_error_clear(&e);
  zr_shm *r = NULL;
  zr_status st = zr_shm_open(region, ZR_SHM_READ, NULL, &r, &e);
  if (st != ZR_OK) return make_error(env, st, &e);
  size_t n = zr_shm_count(r);
  ERL_NIF_TERM out = enif_make_list(env, 0);
  for (size_t i = n; st == ZR_OK && i-- > 0;) {
    zr_shm_object obj;
    st = zr_shm_object_at(r, i, &obj, &e);
    if (st != ZR_OK) break;
    zr_doc *doc = NULL;
    st = zr_shm_get_value(r, obj.name, NULL, &doc, &e);
    if (st != ZR_OK) break;
    conv c = {.env = env, .doc = doc, .flags = flags, .safe = safe, .err = &e};
    ERL_NIF_TERM t;
    int ok = to_term(&c, zr_doc_root(doc), &t, &st, 0);
    if (c.docr)
      enif_release_resource(c.docr);
    else
      zr_doc_free(c.doc);
    if (!ok) {
      if (st == ZR_OK) st = ZR_ERR_INTERNAL;
      break;
    }
    ERL_NIF_TERM nm;
    size_t nl = strlen(obj.name);
    memcpy(enif_make_new_binary(env, nl, &nm), obj.name, nl);
    out = enif_make_list_cell(env, enif_make_tuple2(env, nm, t), out);
  }
  zr_shm_close(r);
  if (st != ZR_OK) return make_error(env, st, &e);
  return enif_make_tuple2(env, a_ok, out);
}

static ERL_NIF_TERM unlink_shm_nif(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
  (void)argc;
  char region[ZR_SHM_REGION_NAME_MAX + 1];
  if (!get_bin_str(env, argv[0], region, sizeof region)) return enif_make_badarg(env);
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_shm_unlink(region, &e);
  return st == ZR_OK ? a_ok : make_error(env, st, &e);
}

/* inspect(Bin) -> {ok, JsonBinary} */
static ERL_NIF_TERM inspect_nif(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
  ErlNifBinary in;
  if (argc != 1 || !enif_inspect_binary(env, argv[0], &in)) return enif_make_badarg(env);
  zr_error e;
  zr_error_clear(&e);
  const zr_format *fmt = zr_format_detect(in.data, in.size);
  if (!fmt || !fmt->inspect) {
    zr_error_set(&e, ZR_ERR_FORMAT, 0, "format not detected or without inspect");
    return make_error(env, ZR_ERR_FORMAT, &e);
  }
  zr_sink *s = NULL;
  zr_status st = zr_sink_memory_new(NULL, &s, &e);
  if (st == ZR_OK) st = fmt->inspect(in.data, in.size, s, &e);
  const uint8_t *p;
  size_t n;
  ERL_NIF_TERM out;
  if (st == ZR_OK && (st = zr_sink_memory_data(s, &p, &n)) == ZR_OK) {
    unsigned char *d = enif_make_new_binary(env, n, &out);
    memcpy(d, p, n);
  }
  zr_sink_free(s);
  if (st != ZR_OK) return make_error(env, st, &e);
  return enif_make_tuple2(env, a_ok, out);
}

/* formats() -> [Name :: binary()] */
static ERL_NIF_TERM formats_nif(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
  (void)argc;
  (void)argv;
  ERL_NIF_TERM l = enif_make_list(env, 0);
  for (size_t i = zr_format_count(); i-- > 0;) {
    const char *nm = zr_format_at(i)->name;
    ERL_NIF_TERM b;
    unsigned char *d = enif_make_new_binary(env, strlen(nm), &b);
    memcpy(d, nm, strlen(nm));
    l = enif_make_list_cell(env, b, l);
  }
  return l;
}

static ErlNifFunc funcs[] = {
    {"encode_nif", 5, encode_nif, 0},
    {"decode_nif", 5, decode_nif, 0},
    {"inspect_nif", 1, inspect_nif, ERL_NIF_DIRTY_JOB_CPU_BOUND},
    {"formats_nif", 0, formats_nif, 0},
    {"to_shm_nif", 5, to_shm_nif, ERL_NIF_DIRTY_JOB_CPU_BOUND},
    {"from_shm_nif", 3, from_shm_nif, ERL_NIF_DIRTY_JOB_CPU_BOUND},
    {"unlink_shm_nif", 1, unlink_shm_nif, ERL_NIF_DIRTY_JOB_IO_BOUND},
};

ERL_NIF_INIT(zerial, funcs, load, NULL, upgrade, NULL)

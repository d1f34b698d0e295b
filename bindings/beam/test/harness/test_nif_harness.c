/* The NIF glue (c_src/zerial_nif.c) outside the VM: linked with erl_nif_stub.c (our stand-in for
 * the enif_* API) and libzerial, and driven through the function table of its ERL_NIF_INIT, so
 * that valgrind memcheck (ZR_VALGRIND build; memcheck cannot follow Debian's JIT VM) and ASan
 * (ZR_SANITIZE build, beside the real-VM suites) check every entry point: good terms, bad
 * arguments in every position, truncated and corrupted input of every format, allocation failures
 * of the NIF API (enif_alloc, enif_alloc_resource) at each call in turn, resource
 * lifetimes (every resource freed once its last binary goes), shared memory, and the upgrade
 * callback. Exits non-zero on the first failed check. ctest: beam_nif_harness.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "erl_nif_stub.h"

ErlNifEntry *nif_init(void);

static ErlNifEntry *entry;
static ErlNifEnv *env;
static int checks;

#define CHECK(cond)                                                                         \
  do {                                                                                      \
    checks++;                                                                               \
    if (!(cond)) {                                                                          \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
      exit(1);                                                                              \
    }                                                                                       \
  } while (0)

/* ---- terms ---- */
static ERL_NIF_TERM A(const char *s) { return enif_make_atom(env, s); }
static ERL_NIF_TERM I(long v) { return enif_make_long(env, v); }
static ERL_NIF_TERM S(const char *s) { return stub_binary(s, strlen(s)); }
static ERL_NIF_TERM BIN(size_t n, unsigned char fill) {
  unsigned char *d = malloc(n ? n : 1);
  CHECK(d != NULL);
  memset(d, fill, n);
  ERL_NIF_TERM t = stub_binary(d, n);
  free(d);
  return t;
}
static ERL_NIF_TERM NIL(void) { return enif_make_list(env, 0); }
static ERL_NIF_TERM LIST(unsigned n, const ERL_NIF_TERM *a) { return enif_make_list_from_array(env, a, n); }
static ERL_NIF_TERM MAP(unsigned n, ERL_NIF_TERM *k, ERL_NIF_TERM *v) {
  ERL_NIF_TERM m;
  CHECK(enif_make_map_from_arrays(env, k, v, n, &m));
  return m;
}
static ERL_NIF_TERM SEQ(unsigned n) {
  ERL_NIF_TERM *a = malloc(n * sizeof *a);
  CHECK(a != NULL);
  for (unsigned i = 0; i < n; i++) a[i] = I((long)i * 7 - 3);
  ERL_NIF_TERM l = LIST(n, a);
  free(a);
  return l;
}
static ERL_NIF_TERM NESTED(unsigned depth, ERL_NIF_TERM leaf) {
  for (unsigned i = 0; i < depth; i++) leaf = enif_make_list_cell(env, leaf, NIL());
  return leaf;
}

/* ---- calling the NIF ---- */
static ERL_NIF_TERM call(const char *name, int argc, ...) {
  ERL_NIF_TERM argv[8];
  va_list ap;
  va_start(ap, argc);
  for (int i = 0; i < argc; i++) argv[i] = va_arg(ap, ERL_NIF_TERM);
  va_end(ap);
  for (int i = 0; i < entry->num_of_funcs; i++) {
    ErlNifFunc *f = &entry->funcs[i];
    if (strcmp(f->name, name) == 0 && (int)f->arity == argc) return f->fptr(env, argc, argv);
  }
  fprintf(stderr, "no NIF %s/%d\n", name, argc);
  exit(1);
}

static ERL_NIF_TERM call_v(const char *name, int argc, const ERL_NIF_TERM *argv) {
  for (int i = 0; i < entry->num_of_funcs; i++) {
    ErlNifFunc *f = &entry->funcs[i];
    if (strcmp(f->name, name) == 0 && (int)f->arity == argc) return f->fptr(env, argc, argv);
  }
  exit(1);
}

enum { RS_OK = 1, RS_ERROR, RS_BADARG, RS_OTHER };

/* the shape of a result: {ok, V} / ok / a list (formats) -> RS_OK; {error, {Code, Msg, Off}} ->
 * RS_ERROR (code in *code); a badarg exception -> RS_BADARG */
static int shape(ERL_NIF_TERM r, ERL_NIF_TERM *val, const char **code) {
  int arity;
  const ERL_NIF_TERM *t;
  if (stub_exception()) return stub_atom_name(r) && strcmp(stub_atom_name(r), "badarg") == 0 ? RS_BADARG : RS_OTHER;
  if (stub_kind(r) == STUB_ATOM && strcmp(stub_atom_name(r), "ok") == 0) return RS_OK;
  if (stub_kind(r) == STUB_CONS || stub_kind(r) == STUB_NIL) return RS_OK;
  if (!enif_get_tuple(env, r, &arity, &t) || arity != 2 || stub_kind(t[0]) != STUB_ATOM) return RS_OTHER;
  if (strcmp(stub_atom_name(t[0]), "ok") == 0) {
    if (val) *val = t[1];
    return RS_OK;
  }
  const ERL_NIF_TERM *e;
  if (strcmp(stub_atom_name(t[0]), "error") != 0 || !enif_get_tuple(env, t[1], &arity, &e) || arity != 3 ||
      stub_kind(e[0]) != STUB_ATOM || stub_kind(e[1]) != STUB_BINARY || stub_kind(e[2]) != STUB_INT)
    return RS_OTHER;
  if (code) *code = stub_atom_name(e[0]);
  return RS_ERROR;
}

static int is_error(ERL_NIF_TERM r, const char *code) {
  const char *c = NULL;
  return shape(r, NULL, &c) == RS_ERROR && (!code || strcmp(c, code) == 0);
}

/* clear the badarg flag between calls (the VM raises it when the NIF returns) */
static void next(void) { stub_clear_exception(); }

static ERL_NIF_TERM encode(ERL_NIF_TERM t, const char *fmt, unsigned flags, unsigned eflags, int level) {
  next();
  return call("encode_nif", 5, t, S(fmt), I((long)flags), I((long)eflags), I(level));
}

static ERL_NIF_TERM decode(ERL_NIF_TERM bin, const char *fmt, unsigned flags, int copy, int safe) {
  next();
  return call("decode_nif", 5, bin, S(fmt), I((long)flags), I(copy), I(safe));
}

static void dump(const char *what, ERL_NIF_TERM r) {
  ErlNifBinary eb;
  enif_term_to_binary(env, r, &eb);
  fprintf(stderr, "%s (exception %d), as external term format:", what, stub_exception());
  for (size_t i = 0; i < eb.size && i < 200; i++) fprintf(stderr, " %u", eb.data[i]);
  fprintf(stderr, "\n");
  enif_release_binary(&eb);
}

/* the V of {ok, V} */
#define ok_val(r) ok_val_at((r), __LINE__)
static ERL_NIF_TERM ok_val_at(ERL_NIF_TERM r, int line) {
  ERL_NIF_TERM v = 0;
  if (shape(r, &v, NULL) != RS_OK) {
    fprintf(stderr, "line %d: not {ok, _}\n", line);
    dump("result", r);
    exit(1);
  }
  return v;
}

static const char *const formats[] = {"etf", "binary", "json", "npy", "npz", "pickle", "arrow-stream", "arrow-file"};
#define NFORMATS (sizeof formats / sizeof formats[0])

/* ---- samples ---- */
static ERL_NIF_TERM tensor(void) {
  double d[12];
  for (int i = 0; i < 12; i++) d[i] = i * 0.5;
  ERL_NIF_TERM shp[2] = {I(3), I(4)};
  return enif_make_tuple(env, 4, A("$zerial_tensor"), A("float64"), enif_make_tuple_from_array(env, shp, 2),
                         stub_binary(d, sizeof d));
}

static ERL_NIF_TERM rows(unsigned n) {
  ERL_NIF_TERM *r = malloc(n * sizeof *r);
  CHECK(r != NULL);
  for (unsigned i = 0; i < n; i++) {
    ERL_NIF_TERM k[4] = {S("id"), S("name"), S("x"), S("blob")};
    char nm[16];
    snprintf(nm, sizeof nm, "n%u", i);
    ERL_NIF_TERM v[4] = {I((long)i), S(nm), enif_make_double(env, i * 1.5), BIN(70, (unsigned char)i)};
    r[i] = MAP(4, k, v);
  }
  ERL_NIF_TERM l = LIST(n, r);
  free(r);
  return l;
}

static ERL_NIF_TERM sample(int i) {
  switch (i) {
    case 0: {
      ERL_NIF_TERM items[6] = {I(1), I(-2), enif_make_double(env, 3.5), S("str"), A("nil"), A("true")};
      ERL_NIF_TERM k[3] = {S("a"), A("k"), S("big")};
      ERL_NIF_TERM v[3] = {LIST(6, items),
                           enif_make_tuple(env, 4, A("x"), A("h\xc3\xa9"), enif_make_ulong(env, UINT64_MAX),
                                           enif_make_long(env, INT64_MIN)),
                           BIN(200, 'z')};
      return MAP(3, k, v);
    }
    case 1: return tensor();
    case 2: return rows(6);
    case 3: return SEQ(40);
    default: {
      ERL_NIF_TERM items[3] = {BIN(100, 'q'), enif_make_tuple(env, 0), enif_make_new_map(env)};
      return LIST(3, items);
    }
  }
}
#define NSAMPLES 5

/* ---- tests ---- */
static void test_formats_and_roundtrip(void) {
  next();
  ERL_NIF_TERM fl = call("formats_nif", 0);
  unsigned n;
  CHECK(enif_get_list_length(env, fl, &n) && n >= 2);
  for (int i = 0; i < NSAMPLES; i++) {
    ERL_NIF_TERM t = sample(i);
    ERL_NIF_TERM b = ok_val(encode(t, "etf", 0, 0, 0));
    for (int copy = 0; copy < 2; copy++) {
      ERL_NIF_TERM back = ok_val(decode(b, "auto", 0, copy, 0));
      CHECK(stub_equal(back, t));
    }
    /* compressed ETF: the decoded binaries live in zerial memory (resource binaries) */
    ERL_NIF_TERM c = ok_val(encode(t, "etf", 0x20, 0, 9));
    CHECK(stub_equal(ok_val(decode(c, "etf", 0, 0, 0)), t));
    for (size_t f = 0; f < NFORMATS; f++) {
      ERL_NIF_TERM r = encode(t, formats[f], 0, 0, 0);
      ERL_NIF_TERM v;
      int s = shape(r, &v, NULL);
      CHECK(s == RS_OK || s == RS_ERROR);
      if (s == RS_OK) CHECK(shape(decode(v, formats[f], 0, 0, 0), NULL, NULL) == RS_OK);
    }
  }
  stub_reset();
  CHECK(stub_live_resources() == 0);
}

static void test_bad_arguments(void) {
  char region[64];
  snprintf(region, sizeof region, "/zr-harness-args-%ld", (long)getpid());
  struct {
    const char *name;
    int argc;
  } nifs[] = {{"encode_nif", 5}, {"decode_nif", 5}, {"inspect_nif", 1}, {"to_shm_nif", 5}, {"from_shm_nif", 3}, {"unlink_shm_nif", 1}};
  for (size_t k = 0; k < sizeof nifs / sizeof nifs[0]; k++) {
    for (int pos = 0; pos < nifs[k].argc; pos++) {
      for (int bad = 0; bad < 14; bad++) {
        ERL_NIF_TERM good[5];
        ERL_NIF_TERM obj = enif_make_tuple(env, 2, S("a"), I(1));
        if (strcmp(nifs[k].name, "encode_nif") == 0) {
          ERL_NIF_TERM g[5] = {sample(0), S("etf"), I(0), I(0), I(0)};
          memcpy(good, g, sizeof g);
        } else if (strcmp(nifs[k].name, "decode_nif") == 0) {
          ERL_NIF_TERM g[5] = {ok_val(encode(sample(0), "etf", 0, 0, 0)), S("auto"), I(0), I(0), I(0)};
          memcpy(good, g, sizeof g);
        } else if (strcmp(nifs[k].name, "inspect_nif") == 0) {
          good[0] = ok_val(encode(sample(3), "etf", 0, 0, 0));
        } else if (strcmp(nifs[k].name, "to_shm_nif") == 0) {
          ERL_NIF_TERM g[5] = {S(region), LIST(1, &obj), S("auto"), I(0), I(0)};
          memcpy(good, g, sizeof g);
        } else if (strcmp(nifs[k].name, "from_shm_nif") == 0) {
          ERL_NIF_TERM g[3] = {S(region), I(0), I(0)};
          memcpy(good, g, sizeof g);
        } else {
          good[0] = S(region);
        }
        ERL_NIF_TERM badv;
        switch (bad) {
          case 0: badv = A("an_atom"); break;
          case 1: badv = I(-1); break;
          case 2: badv = enif_make_ulong(env, UINT64_MAX); break;
          case 3: badv = enif_make_double(env, 1.5); break;
          case 4: badv = stub_pid(); break;
          case 5: badv = enif_make_tuple(env, 2, I(1), I(2)); break;
          case 6: badv = enif_make_new_map(env); break;
          case 7: badv = BIN(40, 'x'); break;
          case 8: badv = stub_binary("nul\0name", 8); break;
          case 9: badv = BIN(0, 0); break;
          case 10: badv = enif_make_list_cell(env, I(1), I(2)); break;
          case 11: badv = NIL(); break;
          case 12: badv = BIN(300, '/'); break;
          default: badv = enif_make_long(env, (long)1 << 40); break;
        }
        good[pos] = badv;
        next();
        ERL_NIF_TERM res = call_v(nifs[k].name, nifs[k].argc, good);
        int s = shape(res, NULL, NULL);
        if (s == RS_OTHER) {
          fprintf(stderr, "%s arg %d bad value %d: unexpected result\n", nifs[k].name, pos, bad);
          dump("result", res);
        }
        CHECK(s == RS_OK || s == RS_ERROR || s == RS_BADARG);
        next();
        call("unlink_shm_nif", 1, S(region));
      }
      stub_reset();
    }
  }
  /* format names: 31 bytes are looked up, 32 are a bad argument, a NUL byte is refused */
  CHECK(is_error(encode(I(1), "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", 0, 0, 0), "not_found"));
  next();
  call("encode_nif", 5, I(1), BIN(32, 'e'), I(0), I(0), I(0));
  CHECK(stub_exception());
  next();
  call("encode_nif", 5, I(1), stub_binary("etf\0junk", 8), I(0), I(0), I(0));
  CHECK(stub_exception());
  next();
  call("decode_nif", 5, ok_val(encode(I(1), "etf", 0, 0, 0)), stub_binary("etf", 4), I(0), I(0), I(0));
  CHECK(stub_exception());
  CHECK(is_error(decode(S("not any format at all"), "auto", 0, 0, 0), "format"));
  CHECK(is_error(decode(BIN(0, 0), "auto", 0, 0, 0), "format"));
  CHECK(is_error(encode(stub_pid(), "etf", 0, 0, 0), "unsupported"));
  stub_reset();
}

static void hostile_one(ERL_NIF_TERM b, const char *fmt) {
  ErlNifBinary in;
  CHECK(enif_inspect_binary(env, b, &in));
  size_t n = in.size;
  unsigned char *copy = malloc(n ? n : 1);
  CHECK(copy != NULL);
  memcpy(copy, in.data, n);
  for (size_t p = 0; p < n; p += p < 64 ? 1 : n / 24 + 1) {
    for (int how = 0; how < 3; how++) {
      ERL_NIF_TERM x;
      if (how == 0) {
        x = stub_binary(copy, p);
      } else {
        copy[p] ^= how == 1 ? 0xFF : 0x81;
        x = stub_binary(copy, n);
        copy[p] ^= how == 1 ? 0xFF : 0x81;
      }
      for (int k = 0; k < 2; k++) {
        int s = shape(decode(x, k ? "auto" : fmt, 0, how == 2, 0), NULL, NULL);
        CHECK(s == RS_OK || s == RS_ERROR);
      }
      next();
      int s = shape(call("inspect_nif", 1, x), NULL, NULL);
      CHECK(s == RS_OK || s == RS_ERROR);
    }
    stub_reset(); /* b is gone too: only the copy is used */
  }
  free(copy);
}

static void test_hostile_input(void) {
  for (size_t f = 0; f < NFORMATS; f++)
    for (int i = 0; i < NSAMPLES; i++) {
      ERL_NIF_TERM v;
      if (shape(encode(sample(i), formats[f], 0, 0, 0), &v, NULL) != RS_OK) continue;
      hostile_one(v, formats[f]);
      stub_reset();
    }
  CHECK(stub_live_resources() == 0);
}

static void test_values(void) {
  /* nesting: 500 levels work, deeper is a limit error (encode and decode) */
  ERL_NIF_TERM deep = NESTED(500, I(1));
  CHECK(stub_equal(ok_val(decode(ok_val(encode(deep, "etf", 0, 0, 0)), "etf", 0, 0, 0)), deep));
  CHECK(is_error(encode(NESTED(5000, I(1)), "etf", 0, 0, 0), "limit"));
  stub_reset();
  /* JSON: repeated keys (the last wins), keys as atoms, an over-long atom, safe mode */
  ERL_NIF_TERM m = ok_val(decode(S("{\"a\":1,\"b\":3,\"a\":2}"), "json", 0, 0, 0)), v;
  CHECK(stub_map_get(m, S("a"), &v) && stub_equal(v, I(2)));
  m = ok_val(decode(S("{\"plain\":1,\"h\xc3\xa9\":2}"), "json", 0x10000, 0, 0));
  CHECK(stub_map_get(m, A("plain"), &v) && stub_equal(v, I(1)));
  char longkey[400];
  memset(longkey, 0, sizeof longkey);
  strcpy(longkey, "{\"");
  memset(longkey + 2, 'k', 300);
  strcat(longkey, "\":1}");
  CHECK(is_error(decode(S(longkey), "json", 0x10000, 0, 0), NULL));
  CHECK(is_error(decode(S("{\"zr_never_an_atom_q\":1}"), "json", 0x10000, 0, 1), "refused"));
  /* NaN and infinity cannot be terms */
  double vals[2] = {1.5, 2.5};
  ERL_NIF_TERM fl[2] = {enif_make_double(env, vals[0]), enif_make_double(env, vals[1])};
  ErlNifBinary bb;
  ERL_NIF_TERM enc = ok_val(encode(LIST(2, fl), "binary", 0, 0, 0));
  CHECK(enif_inspect_binary(env, enc, &bb));
  for (size_t p = 0; p + 8 <= bb.size; p++)
    if (memcmp(bb.data + p, &vals[0], 8) == 0) {
      unsigned char *c = malloc(bb.size);
      CHECK(c != NULL);
      memcpy(c, bb.data, bb.size);
      double bad[3] = {0.0 / 0.0, 1.0 / 0.0, -1.0 / 0.0};
      for (int k = 0; k < 3; k++) {
        memcpy(c + p, &bad[k], 8);
        CHECK(is_error(decode(stub_binary(c, bb.size), "binary", 0, 0, 0), NULL));
      }
      free(c);
      break;
    }
  /* atoms: unknown in safe mode, non-ASCII through binary_to_term */
  static const unsigned char ext[] = {131, 119, 10, 'z', 'r', '_', 'h', 0xc3, 0xa9, '_', 'n', 'e', 'w'};
  CHECK(is_error(decode(stub_binary(ext, sizeof ext), "etf", 0, 0, 1), "refused"));
  CHECK(shape(decode(stub_binary(ext, sizeof ext), "etf", 0, 0, 0), NULL, NULL) == RS_OK);
  /* tensors that need the external-term fallback */
  static const char *const npys[] = {
      "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }",
      "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
      "{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }",
      "{'descr': '|b1', 'fortran_order': False, 'shape': (6,), }",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }",
  };
  for (size_t k = 0; k < sizeof npys / sizeof npys[0]; k++) {
    unsigned char buf[256];
    size_t dl = strlen(npys[k]), hl = ((10 + dl + 1 + 63) / 64) * 64 - 10;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)hl;
    buf[9] = 0;
    memset(buf + 10, ' ', hl);
    memcpy(buf + 10, npys[k], dl);
    buf[10 + hl - 1] = '\n';
    for (int i = 0; i < 48; i++) buf[10 + hl + i] = (unsigned char)i;
    for (int copy = 0; copy < 2; copy++) {
      int s = shape(decode(stub_binary(buf, 10 + hl + 48), "auto", 0, copy, 0), NULL, NULL);
      CHECK(s == RS_OK || s == RS_ERROR);
    }
  }
  stub_reset();
  CHECK(stub_live_resources() == 0);
}

/* every enif allocation of a call, failed in turn: a clean error (or success), never a crash
 * or a leak, and every resource freed once the terms go */
static void test_alloc_failures(void) {
  for (int which = 0; which < 5; which++) {
    for (long n = 1; n < 400; n++) {
      ERL_NIF_TERM in;
      const char *fmt = "etf";
      unsigned flags = 0;
      int copy = 0;
      switch (which) {
        case 0: in = ok_val(encode(rows(20), "etf", 0x20, 0, 1)); break;            /* resource binaries */
        case 1: in = ok_val(encode(sample(0), "etf", 0, 0, 0)); break;              /* sub-binaries */
        case 2: in = ok_val(encode(SEQ(100), "etf", 0, 0, 0)); copy = 1; break;     /* big lists */
        case 3: in = ok_val(encode(rows(5), "arrow-stream", 0x40, 0, 0)); fmt = "auto"; flags = 0x10000; break;
        default: in = ok_val(encode(tensor(), "npy", 0, 0, 0)); fmt = "npy"; break;
      }
      stub_fail_after(n);
      ERL_NIF_TERM r = decode(in, fmt, flags, copy, 0);
      int s = shape(r, NULL, NULL);
      int hit = n == 1 || s == RS_ERROR;
      CHECK(s == RS_OK || s == RS_ERROR);
      if (s == RS_ERROR) CHECK(is_error(r, "nomem"));
      stub_fail_after(0);
      stub_reset();
      CHECK(stub_live_resources() == 0);
      if (!hit) {
        printf("allocation failures, case %d: each of %ld enif allocations failed in turn\n", which, n - 1);
        CHECK(n > 1);
        break; /* the call made fewer than n allocations */
      }
    }
  }
  /* encode: the output resource */
  for (long n = 1; n < 4; n++) {
    stub_fail_after(n);
    ERL_NIF_TERM r = encode(rows(3), "binary", 0, 0, 0);
    stub_fail_after(0);
    CHECK(shape(r, NULL, NULL) == RS_OK || is_error(r, "nomem"));
    stub_reset();
    CHECK(stub_live_resources() == 0);
  }
}

static void test_lifetimes(void) {
  /* binaries over a resource outlive the input and every other term */
  ERL_NIF_TERM big = BIN(20000, 'b');
  ERL_NIF_TERM two = enif_make_tuple(env, 2, big, big);
  ERL_NIF_TERM c = ok_val(encode(two, "etf", 0x20, 0, 9));
  ERL_NIF_TERM d = ok_val(decode(c, "etf", 0, 0, 0));
  int arity;
  const ERL_NIF_TERM *t;
  CHECK(enif_get_tuple(env, d, &arity, &t) && arity == 2);
  ERL_NIF_TERM sub = enif_make_sub_binary(env, t[0], 100, 1000);
  CHECK(stub_live_resources() >= 1);
  ErlNifBinary sb;
  CHECK(enif_inspect_binary(env, sub, &sb) && sb.size == 1000 && sb.data[999] == 'b');
  stub_reset();
  CHECK(stub_live_resources() == 0);
}

static void test_shm(void) {
  char r[64], r2[64];
  snprintf(r, sizeof r, "/zr-harness-%ld", (long)getpid());
  snprintf(r2, sizeof r2, "/zr-harness2-%ld", (long)getpid());
  next();
  call("unlink_shm_nif", 1, S(r));
  ERL_NIF_TERM objs[6] = {
      enif_make_tuple(env, 2, S("a"), sample(0)),
      enif_make_tuple(env, 3, S("t"), tensor(), S("raw")),
      enif_make_tuple(env, 3, S("tn"), tensor(), A("npy")),
      enif_make_tuple(env, 3, S("rows"), rows(4), S("arrow-stream")),
      enif_make_tuple(env, 2, enif_make_list_cell(env, S("io"), enif_make_list_cell(env, I('x'), NIL())), SEQ(30)),
      enif_make_tuple(env, 2, S("b"), BIN(5000, 7)),
  };
  next();
  CHECK(shape(call("to_shm_nif", 5, S(r), LIST(6, objs), S("auto"), I(0x40), I(1)), NULL, NULL) == RS_OK);
  for (int safe = 0; safe < 2; safe++) {
    next();
    ERL_NIF_TERM l = ok_val(call("from_shm_nif", 3, S(r), I(safe ? 0 : 0x10000), I(safe)));
    unsigned n;
    CHECK(enif_get_list_length(env, l, &n) && n == 6);
  }
  next();
  CHECK(is_error(call("to_shm_nif", 5, S(r), NIL(), S("auto"), I(0), I(0)), "exists"));
  /* every bad object: an error, and no region left behind */
  ERL_NIF_TERM bad[8] = {
      enif_make_tuple(env, 4, S("a"), I(1), S("auto"), I(0)),
      A("not_a_tuple"),
      enif_make_tuple(env, 2, BIN(300, 'n'), I(1)),
      enif_make_tuple(env, 2, stub_binary("n\0", 2), I(1)),
      enif_make_tuple(env, 3, S("a"), I(1), I(42)),
      enif_make_tuple(env, 3, S("a"), I(1), S("no-such-format")),
      enif_make_tuple(env, 2, S("a"), stub_pid()),
      enif_make_tuple(env, 3, S("a"), SEQ(3), S("raw")),
  };
  for (int i = 0; i < 8; i++) {
    ERL_NIF_TERM two[2] = {enif_make_tuple(env, 2, S("ok"), I(1)), bad[i]};
    next();
    CHECK(is_error(call("to_shm_nif", 5, S(r2), LIST(2, two), S("auto"), I(0), I(0)), NULL));
    next();
    CHECK(is_error(call("from_shm_nif", 3, S(r2), I(0), I(0)), "not_found"));
  }
  /* a decode failure on a later object (keys as atoms, safe mode, a key that is no atom) */
  ERL_NIF_TERM k[1] = {S("zr_harness_never_an_atom")}, v[1] = {BIN(100, 1)};
  ERL_NIF_TERM two[2] = {enif_make_tuple(env, 2, S("y"), MAP(1, k, v)), enif_make_tuple(env, 2, S("x"), SEQ(20))};
  next();
  CHECK(shape(call("to_shm_nif", 5, S(r2), LIST(2, two), S("binary"), I(0x40), I(0)), NULL, NULL) == RS_OK);
  next();
  CHECK(is_error(call("from_shm_nif", 3, S(r2), I(0x10000), I(1)), "refused"));
  next();
  CHECK(shape(call("unlink_shm_nif", 1, S(r2)), NULL, NULL) == RS_OK);
  next();
  CHECK(shape(call("unlink_shm_nif", 1, S(r)), NULL, NULL) == RS_OK);
  next();
  CHECK(is_error(call("unlink_shm_nif", 1, S(r)), "not_found"));
  stub_reset();
  CHECK(stub_live_resources() == 0);
}

int main(void) {
  env = stub_env();
  entry = nif_init();
  CHECK(entry && strcmp(entry->name, "zerial") == 0);
  void *priv = NULL, *old = NULL;
  CHECK(entry->load(env, &priv, I(0)) == 0);
  /* the module reloaded while loaded: upgrade takes the resource types over */
  CHECK(entry->upgrade(env, &priv, &old, I(0)) == 0);
  test_formats_and_roundtrip();
  test_bad_arguments();
  test_values();
  test_lifetimes();
  test_shm();
  test_alloc_failures();
  test_hostile_input();
  stub_shutdown();
  printf("beam_nif_harness: %d checks passed\n", checks);
  return 0;
}

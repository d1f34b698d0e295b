/* Arrow IPC: golden files read in both formats agree, round trips through our writer, fuzz
 * regression files rejected or read cleanly, FlatBuffers layer basics. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/arrow.h"
#include "formats/arrow/arrow_int.h"
#include "formats/arrow/fb.h"
#include <sys/stat.h>

/* the inspect JSON of an IPC stream or file (malloc'd text) */
static char *inspect_text(const uint8_t *data, size_t len) {
  zr_sink *js;
  assert_int_equal(zr_sink_memory_new(NULL, &js, NULL), 0);
  assert_int_equal(zr__arrow_inspect(data, len, js, NULL), 0);
  const uint8_t *jt;
  size_t jl;
  zr_sink_memory_data(js, &jt, &jl);
  char *txt = strndup((const char *)jt, jl);
  zr_sink_free(js);
  return txt;
}

static int teq(const zr_table *a, const zr_table *b) {
  char why[300];
  if (za_table_equal(a, b, why, sizeof why)) return 1;
  fprintf(stderr, "tables differ: %s\n", why);
  return 0;
}

static const char *cases_1[] = {"custom_metadata", "datetime", "decimal", "decimal256", "dictionary",
                                "dictionary_unsigned", "duplicate_fieldnames", "extension", "interval", "map",
                                "map_non_canonical", "nested", "nested_dictionary", "nested_large_offsets", "null",
                                "null_trivial", "primitive", "primitive_large_offsets", "primitive_no_batches",
                                "primitive_zerolength", "recursive_nested", "union", NULL};
static const char *cases_2[] = {"lz4", "uncompressible_lz4", "uncompressible_zstd", "zstd", NULL};

static int read_path(const char *path, int copy, zr_table *t, uint8_t **buf) {
  size_t len;
  *buf = zr_test_read_file(path, &len);
  if (!*buf) return -1;
  zr_arrow_read_opts o;
  zr_arrow_read_opts_init(&o);
  o.copy = copy;
  o.validate_utf8 = 1;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_arrow_read(*buf, len, &o, t, &e);
  if (st) fprintf(stderr, "%s: %s (at %lld)\n", path, e.message, (long long)e.offset);
  return st;
}

static void roundtrip_be(const zr_table *t, int file, int codec, uint32_t align, int big) {
  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), 0);
  zr_arrow_write_opts wo;
  memset(&wo, 0, sizeof wo);
  wo.file = file;
  wo.codec = codec;
  wo.alignment = align;
  wo.big_endian = big;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_arrow_write(t, &wo, sink, &e);
  if (st) fprintf(stderr, "write: %s\n", e.message);
  assert_int_equal(st, 0);
  const uint8_t *data;
  size_t len;
  assert_int_equal(zr_sink_memory_data(sink, &data, &len), 0);
  zr_table back;
  zr_arrow_read_opts o;
  zr_arrow_read_opts_init(&o);
  st = zr_arrow_read(data, len, &o, &back, &e);
  if (st) fprintf(stderr, "reread: %s at %lld\n", e.message, (long long)e.offset);
  assert_int_equal(st, 0);
  assert_true(teq(t, &back));
  if (big) { /* inspect reports the byte order; a copying read agrees too */
    char *txt = inspect_text(data, len);
    assert_non_null(strstr(txt, "\"endianness\": \"big\""));
    free(txt);
    zr_table c;
    o.copy = 1;
    assert_int_equal(zr_arrow_read(data, len, &o, &c, NULL), 0);
    assert_true(teq(t, &c));
    zr_table_release(&c);
  }
  if (file) {
    zr_arrow_file *f;
    assert_int_equal(zr_arrow_file_open(data, len, NULL, &f, NULL), 0);
    assert_int_equal(zr_arrow_file_num_batches(f), t->n_batches);
    for (int64_t i = t->n_batches; i-- > 0;) {
      struct ArrowArray b;
      assert_int_equal(zr_arrow_file_batch(f, i, &b, NULL), 0);
      assert_int_equal(b.length, t->batches[i].length);
      b.release(&b);
    }
    zr_arrow_file_close(f);
  }
  zr_table_release(&back);
  zr_sink_free(sink);
}

static void roundtrip(const zr_table *t, int file, int codec, uint32_t align) { roundtrip_be(t, file, codec, align, 0); }

static void run_case(const char *dir, const char *name) {
  char rel[512];
  zr_table ts, tf, tc;
  uint8_t *b1, *b2, *b3;
  snprintf(rel, sizeof rel, "testdata/arrow-testing/data/arrow-ipc-stream/integration/%s/generated_%s.stream", dir, name);
  fprintf(stderr, "case %s/%s\n", dir, name);
  int st = read_path(zr_test_shared_path(rel), 0, &ts, &b1);
  if (st == -1) {
    fprintf(stderr, "skip %s (no golden files)\n", rel);
    return;
  }
  assert_int_equal(st, 0);
  snprintf(rel, sizeof rel, "testdata/arrow-testing/data/arrow-ipc-stream/integration/%s/generated_%s.arrow_file", dir, name);
  assert_int_equal(read_path(zr_test_shared_path(rel), 0, &tf, &b2), 0);
  assert_int_equal(read_path(zr_test_shared_path(rel), 1, &tc, &b3), 0);
  free(b3); /* copies must not depend on the input */
  assert_true(teq(&ts, &tf));
  assert_true(teq(&tc, &tf));
  roundtrip(&ts, 0, 0, 8);
  roundtrip(&ts, 1, 0, 64);
  roundtrip(&ts, 0, ZR_ARROW_CODEC_LZ4, 8);
  roundtrip(&ts, 1, ZR_ARROW_CODEC_ZSTD, 8);
  /* big-endian bodies: written swapped, read back native and equal */
  roundtrip_be(&ts, 0, 0, 8, 1);
  roundtrip_be(&ts, 1, 0, 64, 1);
  roundtrip_be(&ts, 0, ZR_ARROW_CODEC_ZSTD, 8, 1);
  /* value copy and equality through the core hooks */
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_table_value(d, &tc), c;
  assert_int_equal(zr_value_copy(d, &v, &c, NULL), 0);
  assert_true(zr_value_equal(&v, &c));
  zr_doc_free(d);
  zr_table_release(&ts);
  zr_table_release(&tf);
  free(b1);
  free(b2);
}

static void test_golden(void **state) {
  (void)state;
  for (int i = 0; cases_1[i]; i++) run_case("1.0.0-littleendian", cases_1[i]);
  for (int i = 0; cases_2[i]; i++) run_case("2.0.0-compression", cases_2[i]);
}

static void fuzz_dir(const char *rel) {
  const char *dir = zr_test_shared_path(rel);
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
    size_t len;
    uint8_t *buf = zr_test_read_file(path, &len);
    if (!buf) continue;
    for (int copy = 0; copy < 2; copy++) {
      zr_arrow_read_opts o;
      zr_arrow_read_opts_init(&o);
      o.copy = copy;
      o.validate_utf8 = 1;
      o.max_bytes = 1u << 28;
      zr_table t;
      zr_error err;
      zr_error_clear(&err);
      zr_status st = zr_arrow_read(buf, len, &o, &t, &err);
      if (st == 0) {
        /* whatever we accept we can write and compare */
        zr_sink *sink;
        assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), 0);
        if (zr_arrow_write(&t, NULL, sink, NULL) == 0) {
          const uint8_t *data;
          size_t l2;
          zr_sink_memory_data(sink, &data, &l2);
          zr_table b;
          if (zr_arrow_read(data, l2, NULL, &b, NULL) == 0) zr_table_release(&b);
        }
        zr_sink_free(sink);
        zr_table_release(&t);
      } else {
        assert_true(err.message[0] != 0);
      }
    }
    free(buf);
    n++;
  }
  closedir(d);
  fprintf(stderr, "%s: %d files\n", rel, n);
}

static void test_fuzz_regressions(void **state) {
  (void)state;
  fuzz_dir("testdata/arrow-testing/data/arrow-ipc-stream");
  fuzz_dir("testdata/arrow-testing/data/arrow-ipc-file");
}

static void test_truncations(void **state) {
  (void)state;
  size_t len;
  uint8_t *buf = zr_test_read_file(
      zr_test_shared_path("testdata/arrow-testing/data/arrow-ipc-stream/integration/1.0.0-littleendian/generated_nested.stream"), &len);
  if (!buf) return;
  for (size_t cut = 0; cut < len; cut += (cut < 600 ? 1 : 37)) {
    uint8_t *c = malloc(cut ? cut : 1);
    memcpy(c, buf, cut);
    zr_table t;
    zr_error e;
    if (zr_arrow_read(c, cut, NULL, &t, &e) == 0) zr_table_release(&t);
    free(c);
  }
  /* bit flips */
  uint64_t seed = 7;
  for (int i = 0; i < 3000; i++) {
    uint8_t *c = malloc(len);
    memcpy(c, buf, len);
    size_t at = zr_test_rand(&seed) % len;
    c[at] ^= (uint8_t)(1u << (zr_test_rand(&seed) % 8));
    zr_table t;
    zr_error e;
    if (zr_arrow_read(c, len, NULL, &t, &e) == 0) zr_table_release(&t);
    free(c);
  }
  free(buf);
}

/* A utf8 dictionary array of the given strings (in store st). */
static void dict_array(za_store *st, const char **v, int n, struct ArrowArray *a) {
  assert_int_equal(za_array_make(a, st, 3, 0, 0), 0);
  int32_t *o = za_store_alloc(st, (size_t)(n + 1) * 4);
  char *d = za_store_alloc(st, 64);
  o[0] = 0;
  for (int i = 0; i < n; i++) {
    memcpy(d + o[i], v[i], strlen(v[i]));
    o[i + 1] = o[i] + (int32_t)strlen(v[i]);
  }
  a->length = n;
  a->buffers[1] = o;
  a->buffers[2] = d;
}

static void make_batch(za_store *st, struct ArrowArray *b, const char **dict, int nd, const int32_t *idx, int n) {
  assert_int_equal(za_array_make(b, st, 1, 1, 0), 0);
  b->length = n;
  struct ArrowArray *c = b->children[0];
  assert_int_equal(za_array_make(c, st, 2, 0, 1), 0);
  c->length = n;
  int32_t *ix = za_store_alloc(st, (size_t)n * 4);
  memcpy(ix, idx, (size_t)n * 4);
  c->buffers[1] = ix;
  dict_array(st, dict, nd, c->dictionary);
}

static void test_dictionary_deltas(void **state) {
  (void)state;
  za_store *st = za_store_new(NULL, 0);
  zr_table t;
  memset(&t, 0, sizeof t);
  assert_int_equal(za_schema_make(&t.schema, NULL, "+s", "", NULL, 0, 1, 0), 0);
  assert_int_equal(za_schema_make(t.schema.children[0], NULL, "i", "c", NULL, ARROW_FLAG_NULLABLE, 0, 1), 0);
  assert_int_equal(za_schema_make(t.schema.children[0]->dictionary, NULL, "u", NULL, NULL, ARROW_FLAG_NULLABLE, 0, 0), 0);
  t.batches = calloc(3, sizeof *t.batches);
  t.n_batches = 3;
  const char *d1[] = {"a", "b"}, *d2[] = {"a", "b", "c"}, *d3[] = {"x", "y"};
  int32_t i1[] = {0, 1, 1}, i2[] = {2, 0}, i3[] = {1, 0, 1};
  make_batch(st, &t.batches[0], d1, 2, i1, 3);
  make_batch(st, &t.batches[1], d2, 3, i2, 2);
  make_batch(st, &t.batches[2], d3, 2, i3, 3);
  za_store_unref(st);
  /* stream: a delta then a replacement */
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), 0);
  assert_int_equal(zr_arrow_write(&t, NULL, s, NULL), 0);
  const uint8_t *data;
  size_t len;
  zr_sink_memory_data(s, &data, &len);
  char *txt = inspect_text(data, len);
  assert_non_null(strstr(txt, "\"delta\": true"));
  free(txt);
  zr_table back;
  assert_int_equal(zr_arrow_read(data, len, NULL, &back, NULL), 0);
  assert_true(teq(&t, &back));
  assert_int_equal(back.batches[1].children[0]->dictionary->length, 3);
  zr_table_release(&back);
  zr_sink_free(s);
  /* file: the delta is fine, the replacement is refused */
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), 0);
  zr_arrow_write_opts wo;
  memset(&wo, 0, sizeof wo);
  wo.file = 1;
  zr_error e;
  assert_int_equal(zr_arrow_write(&t, &wo, s, &e), ZR_ERR_UNSUPPORTED);
  zr_sink_free(s);
  t.n_batches = 2;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), 0);
  assert_int_equal(zr_arrow_write(&t, &wo, s, NULL), 0);
  zr_sink_memory_data(s, &data, &len);
  assert_int_equal(zr_arrow_read(data, len, NULL, &back, NULL), 0);
  t.n_batches = 3;
  assert_int_equal(back.n_batches, 2);
  zr_table_release(&back);
  zr_sink_free(s);
  zr_table_release(&t);
}

/* Delta dictionaries whose values are nested: list<int32> and struct<a: int32, b: utf8>. */
static void int_array(za_store *st, const int32_t *v, int n, struct ArrowArray *a) {
  assert_int_equal(za_array_make(a, st, 2, 0, 0), 0);
  int32_t *d = za_store_alloc(st, (size_t)(n ? n : 1) * 4);
  memcpy(d, v, (size_t)n * 4);
  a->length = n;
  a->buffers[1] = d;
}

static void nested_batch(za_store *st, struct ArrowArray *b, int nd, const int32_t *idx, int n) {
  static const int32_t lvals[] = {1, 2, 3, 4, 5, 6, 7}, loffs[] = {0, 2, 3, 6, 7};
  static const int32_t svals[] = {10, 20, 30, 40};
  static const char *sstr[] = {"ten", "twenty", "thirty", "forty"};
  assert_int_equal(za_array_make(b, st, 1, 2, 0), 0);
  b->length = n;
  for (int c = 0; c < 2; c++) {
    struct ArrowArray *col = b->children[c];
    assert_int_equal(za_array_make(col, st, 2, 0, 1), 0);
    col->length = n;
    int32_t *ix = za_store_alloc(st, (size_t)n * 4);
    memcpy(ix, idx, (size_t)n * 4);
    col->buffers[1] = ix;
    struct ArrowArray *d = col->dictionary;
    if (c == 0) {
      assert_int_equal(za_array_make(d, st, 2, 1, 0), 0);
      int32_t *o = za_store_alloc(st, (size_t)(nd + 1) * 4);
      memcpy(o, loffs, (size_t)(nd + 1) * 4);
      d->buffers[1] = o;
      int_array(st, lvals, loffs[nd], d->children[0]);
    } else {
      assert_int_equal(za_array_make(d, st, 1, 2, 0), 0);
      int_array(st, svals, nd, d->children[0]);
      dict_array(st, sstr, nd, d->children[1]);
    }
    d->length = nd;
  }
}

static int count_str(const char *h, const char *n) {
  int k = 0;
  for (const char *p = h; (p = strstr(p, n)); p++) k++;
  return k;
}

static void test_nested_dictionary_deltas(void **state) {
  (void)state;
  za_store *st = za_store_new(NULL, 0);
  zr_table t;
  memset(&t, 0, sizeof t);
  assert_int_equal(za_schema_make(&t.schema, NULL, "+s", "", NULL, 0, 2, 0), 0);
  struct ArrowSchema *c0 = t.schema.children[0], *c1 = t.schema.children[1];
  assert_int_equal(za_schema_make(c0, NULL, "i", "lists", NULL, ARROW_FLAG_NULLABLE, 0, 1), 0);
  assert_int_equal(za_schema_make(c0->dictionary, NULL, "+l", NULL, NULL, ARROW_FLAG_NULLABLE, 1, 0), 0);
  assert_int_equal(za_schema_make(c0->dictionary->children[0], NULL, "i", "item", NULL, ARROW_FLAG_NULLABLE, 0, 0), 0);
  assert_int_equal(za_schema_make(c1, NULL, "i", "structs", NULL, ARROW_FLAG_NULLABLE, 0, 1), 0);
  assert_int_equal(za_schema_make(c1->dictionary, NULL, "+s", NULL, NULL, ARROW_FLAG_NULLABLE, 2, 0), 0);
  assert_int_equal(za_schema_make(c1->dictionary->children[0], NULL, "i", "a", NULL, ARROW_FLAG_NULLABLE, 0, 0), 0);
  assert_int_equal(za_schema_make(c1->dictionary->children[1], NULL, "u", "b", NULL, ARROW_FLAG_NULLABLE, 0, 0), 0);
  t.batches = calloc(3, sizeof *t.batches);
  t.n_batches = 3;
  int32_t i1[] = {0, 1, 1}, i2[] = {2, 0, 1}, i3[] = {3, 3, 0, 2};
  nested_batch(st, &t.batches[0], 2, i1, 3);
  nested_batch(st, &t.batches[1], 3, i2, 3); /* one more value: a delta */
  nested_batch(st, &t.batches[2], 4, i3, 4); /* and another */
  za_store_unref(st);
  for (int mode = 0; mode < 3; mode++) {
    zr_sink *s;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), 0);
    zr_arrow_write_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.file = mode == 1;
    wo.big_endian = mode == 2;
    zr_error e;
    zr_error_clear(&e);
    zr_status rc = zr_arrow_write(&t, &wo, s, &e);
    if (rc) fprintf(stderr, "write: %s\n", e.message);
    assert_int_equal(rc, 0);
    const uint8_t *data;
    size_t len;
    zr_sink_memory_data(s, &data, &len);
    char *txt = inspect_text(data, len);
    assert_int_equal(count_str(txt, "\"delta\": true"), 4); /* two deltas for each of the two dictionaries */
    free(txt);
    zr_table back;
    rc = zr_arrow_read(data, len, NULL, &back, &e);
    if (rc) fprintf(stderr, "read: %s\n", e.message);
    assert_int_equal(rc, 0);
    assert_true(teq(&t, &back));
    assert_int_equal(back.batches[2].children[0]->dictionary->length, 4);
    assert_int_equal(back.batches[2].children[1]->dictionary->length, 4);
    assert_int_equal(back.batches[2].children[0]->dictionary->children[0]->length, 7);
    zr_table_release(&back);
    zr_sink_free(s);
  }
  zr_table_release(&t);
}

static void test_slices(void **state) {
  (void)state;
  /* write a sliced batch (offset 3, length 9) and compare with the same rows */
  size_t len;
  uint8_t *buf = zr_test_read_file(
      zr_test_shared_path("testdata/arrow-testing/data/arrow-ipc-stream/integration/1.0.0-littleendian/generated_primitive.stream"), &len);
  if (!buf) return;
  zr_table t;
  assert_int_equal(zr_arrow_read(buf, len, NULL, &t, NULL), 0);
  struct ArrowArray *b = &t.batches[1];
  int64_t old_len = b->length;
  b->offset = 3;
  b->length = 9;
  zr_sink *s;
  zr_sink_memory_new(NULL, &s, NULL);
  zr_arrow_writer *w;
  assert_int_equal(zr_arrow_writer_new(s, &t.schema, NULL, &w, NULL), 0);
  assert_int_equal(zr_arrow_writer_write(w, b, NULL), 0);
  assert_int_equal(zr_arrow_writer_finish(w, NULL), 0);
  zr_arrow_writer_free(w);
  const uint8_t *data;
  size_t n;
  zr_sink_memory_data(s, &data, &n);
  zr_table back;
  assert_int_equal(zr_arrow_read(data, n, NULL, &back, NULL), 0);
  assert_int_equal(back.batches[0].length, 9);
  for (int64_t c = 0; c < t.schema.n_children; c++) {
    struct ArrowArray view = *b->children[c];
    view.offset += 3;
    view.length = 9;
    char why[200];
    if (!za_array_equal(t.schema.children[c], &view, back.batches[0].children[c], why, sizeof why)) fail_msg("%s", why);
  }
  b->offset = 0;
  b->length = old_len;
  zr_table_release(&back);
  zr_sink_free(s);
  zr_table_release(&t);
  free(buf);
}

static void test_flatbuffers(void **state) {
  (void)state;
  zr__fbb b;
  zr__fbb_init(&b, NULL);
  zr__fbref name = zr__fbb_string(&b, "hello", 5);
  int64_t v[2] = {7, -1};
  zr__fbref vec = zr__fbb_vec_raw(&b, v, 2, 8, 8);
  zr__fbb_start(&b);
  zr__fbb_add_i16(&b, 0, 5); /* V6: not known */
  zr__fbb_add_ref(&b, 1, name);
  zr__fbb_add_ref(&b, 2, vec);
  zr__fbb_add_u8(&b, 3, 9);
  zr__fbref root = zr__fbb_end(&b);
  assert_int_equal(zr__fbb_finish(&b, root), 0);
  zr__fb fb;
  zr__fb_init(&fb, zr__fbb_data(&b), b.used, 0);
  zr__fbt t = zr__fb_root(&fb);
  assert_int_equal(zr__fb_i16(&fb, &t, 0, 0), 5);
  uint32_t l;
  const char *str = zr__fb_str(&fb, &t, 1, &l);
  assert_int_equal(l, 5);
  assert_memory_equal(str, "hello", 5);
  zr__fbv vv;
  assert_true(zr__fb_vec(&fb, &t, 2, 8, 8, &vv));
  assert_int_equal(vv.n, 2);
  assert_int_equal((int64_t)zr__ld64le(fb.buf + vv.pos + 8), -1);
  assert_int_equal(zr__fb_u8(&fb, &t, 3, 0), 9);
  assert_int_equal(zr__fb_i32(&fb, &t, 9, 42), 42); /* absent: default */
  assert_int_equal(fb.status, 0);
  /* every truncation or corruption of the buffer is caught by the verifier, never read past */
  for (size_t cut = 0; cut < b.used; cut++) {
    zr__fb f2;
    zr__fb_init(&f2, zr__fbb_data(&b), cut, 0);
    zr__fbt t2 = zr__fb_root(&f2);
    zr__fb_str(&f2, &t2, 1, &l);
    zr__fb_vec(&f2, &t2, 2, 8, 8, &vv);
  }
  /* a message with metadata version V6 is refused clearly */
  zr__fbb_reset(&b);
  zr__fbb_start(&b);
  zr__fbref sc = zr__fbb_end(&b);
  zr__fbb_start(&b);
  zr__fbb_add_i16(&b, 0, 5);
  zr__fbb_add_u8(&b, 1, 1);
  zr__fbb_add_ref(&b, 2, sc);
  zr__fbb_add_i64(&b, 3, 0);
  root = zr__fbb_end(&b);
  assert_int_equal(zr__fbb_finish(&b, root), 0);
  uint8_t msg[512];
  zr__st32le(msg, 0xFFFFFFFFu);
  zr__st32le(msg + 4, (uint32_t)b.used);
  memcpy(msg + 8, zr__fbb_data(&b), b.used);
  zr_table tb;
  zr_error e;
  assert_int_equal(zr_arrow_read(msg, 8 + b.used, NULL, &tb, &e), ZR_ERR_VERSION);
  assert_non_null(strstr(e.message, "newer than V5"));
  zr__fbb_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden),
      cmocka_unit_test(test_fuzz_regressions),
      cmocka_unit_test(test_truncations),
      cmocka_unit_test(test_dictionary_deltas),
      cmocka_unit_test(test_nested_dictionary_deltas),
      cmocka_unit_test(test_slices),
      cmocka_unit_test(test_flatbuffers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

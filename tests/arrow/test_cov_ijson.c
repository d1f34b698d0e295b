/* Coverage: the integration-JSON reader (every error message, loose JSON types for numbers, half
 * floats, hex and decimal strings, view and list-view columns, allocation failures) and delta
 * dictionaries of every supported value type through the writer and the reader (concatenation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zr_test.h"

static char *dq(const char *sq) {
  size_t n = strlen(sq);
  char *j = malloc(n + 1);
  for (size_t i = 0; i <= n; i++) j[i] = sq[i] == '\'' ? '"' : sq[i];
  return j;
}

static zr_status parse(const char *sq, const zr_allocator *al, zr_table *t, zr_error *e) {
  char *j = dq(sq);
  zr_error_clear(e);
  zr_status st = zr_arrow_from_integration_json(j, strlen(j), al, t, e);
  free(j);
  return st;
}

static zr_table load(const char *sq) {
  zr_table t;
  zr_error e;
  if (parse(sq, NULL, &t, &e) != ZR_OK) fail_msg("json: %s\n%s", e.message, sq);
  return t;
}

/* rows of a one-batch table as values */
static zr_value rows_of(const zr_table *t, zr_doc *d) {
  zr_value rows;
  zr_error e;
  if (zr_arrow_to_value(t, d, &rows, &e) != ZR_OK) fail_msg("to_value: %s", e.message);
  return rows;
}

static const zr_value *cell(const zr_value *rows, size_t r, const char *k) {
  assert_true(r < rows->n.len);
  const zr_value *v = zr_map_get(&rows->u.items[r], k, strlen(k));
  assert_non_null(v);
  return v;
}

#define I32 "{'name':'int','isSigned':true,'bitWidth':32}"

static void test_errors(void **state) {
  (void)state;
  static const struct {
    const char *json;
    zr_status code;
    const char *msg;
  } c[] = {
      {"{'schema':{}}", ZR_ERR_MALFORMED, "arrow json: no schema fields"},
      {"{'schema':{'fields':{}}}", ZR_ERR_MALFORMED, "arrow json: no schema fields"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'time'}}]}}", ZR_ERR_MALFORMED, "arrow json: bad unit"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'bool'},'metadata':[{'key':'k'}]}]}}", ZR_ERR_MALFORMED,
       "arrow json: bad metadata entry"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'bool'},'dictionary':{'id':0,'indexType':{'name':'int','bitWidth':7}}}]}}",
       ZR_ERR_MALFORMED, "arrow json: int bitWidth 7"},
      {"{'schema':{'fields':[{'name':'x','type':" I32 "}]},'batches':[{'count':1,'columns':[]}]}", ZR_ERR_MALFORMED,
       "arrow json: batch 0 has 0 columns"},
      {"{'schema':{'fields':[{'name':'x','type':" I32 "}]},'batches':[{'count':1,'columns':[{'name':'x','count':-1}]}]}",
       ZR_ERR_MALFORMED, "arrow json: bad count"},
      {"{'schema':{'fields':[{'name':'x','type':" I32 "}]},'batches':[{'count':1,'columns':[{'name':'x','count':'9999999999'}]}]}",
       ZR_ERR_MALFORMED, "arrow json: bad count"},
      {"{'schema':{'fields':[{'name':'x','type':" I32 "}]},'batches':[{'count':2,'columns':[{'name':'x','count':2,'DATA':[1]}]}]}",
       ZR_ERR_MALFORMED, "arrow json: DATA shorter than count in 'x'"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'decimal','precision':5,'scale':0}}]},"
       "'batches':[{'count':1,'columns':[{'name':'x','count':1,'DATA':[5]}]}]}",
       ZR_ERR_MALFORMED, "arrow json: decimal not a string"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'decimal','precision':5,'scale':0}}]},"
       "'batches':[{'count':1,'columns':[{'name':'x','count':1,'DATA':['12a']}]}]}",
       ZR_ERR_MALFORMED, "arrow json: bad decimal digit"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'fixedsizebinary','byteWidth':2}}]},"
       "'batches':[{'count':1,'columns':[{'name':'x','count':1,'DATA':['012']}]}]}",
       ZR_ERR_MALFORMED, "arrow json: fixed-size binary of wrong length"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'fixedsizebinary','byteWidth':2}}]},"
       "'batches':[{'count':1,'columns':[{'name':'x','count':1,'DATA':[12]}]}]}",
       ZR_ERR_MALFORMED, "arrow json: fixed-size binary of wrong length"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'fixedsizebinary','byteWidth':2}}]},"
       "'batches':[{'count':1,'columns':[{'name':'x','count':1,'DATA':['0g12']}]}]}",
       ZR_ERR_MALFORMED, "arrow json: bad hex"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'fixedsizebinary','byteWidth':2}}]},"
       "'batches':[{'count':1,'columns':[{'name':'x','count':1,'DATA':['01:2']}]}]}",
       ZR_ERR_MALFORMED, "arrow json: bad hex"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'binary'}}]},"
       "'batches':[{'count':1,'columns':[{'name':'x','count':1,'DATA':[1]}]}]}",
       ZR_ERR_MALFORMED, "arrow json: binary value not a string"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'binary'}}]},"
       "'batches':[{'count':1,'columns':[{'name':'x','count':1,'DATA':['zz']}]}]}",
       ZR_ERR_MALFORMED, "arrow json: bad hex"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'binary'}}]},"
       "'batches':[{'count':1,'columns':[{'name':'x','count':1,'DATA':['0z']}]}]}",
       ZR_ERR_MALFORMED, "arrow json: bad hex"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'list'},'children':[{'name':'i','type':" I32 "}]}]},"
       "'batches':[{'count':1,'columns':[{'name':'x','count':1,'OFFSET':[0,0]}]}]}",
       ZR_ERR_MALFORMED, "arrow json: column 'x' lacks children"},
      /* a dictionary without data */
      {"{'schema':{'fields':[{'name':'x','type':{'name':'utf8'},'dictionary':{'id':3}}]},"
       "'batches':[{'count':1,'columns':[{'name':'x','count':1,'DATA':[0]}]}]}",
       ZR_ERR_MALFORMED, "arrow json: dictionary 3 has no data"},
      /* a dictionary of lists whose items use the same dictionary */
      {"{'schema':{'fields':[{'name':'x','type':{'name':'list'},'children':[{'name':'i','type':{'name':'utf8'},"
       "'dictionary':{'id':1}}],'dictionary':{'id':1}}]},"
       "'dictionaries':[{'id':1,'data':{'count':1,'columns':[{'name':'D','count':1,'OFFSET':[0,1],"
       "'children':[{'name':'i','count':1,'DATA':[0]}]}]}}],"
       "'batches':[{'count':1,'columns':[{'name':'x','count':1,'DATA':[0]}]}]}",
       ZR_ERR_MALFORMED, "arrow json: dictionary 1 refers to itself"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'quux'}}]}}", ZR_ERR_UNSUPPORTED, "arrow json: type quux not supported"},
      {"{'schema':{'fields':[{'name':'x','type':{'name':'fixedsizebinary','byteWidth':-3}}]}}", ZR_ERR_UNSUPPORTED,
       "arrow: unsupported format string 'w:-3'"},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    zr_table t;
    zr_error e;
    zr_status st = parse(c[i].json, NULL, &t, &e);
    if (st != c[i].code || strcmp(e.message, c[i].msg) != 0)
      fail_msg("case %zu: %d '%s', want %d '%s'", i, st, e.message, c[i].code, c[i].msg);
    assert_int_equal(t.n_batches, 0);
    assert_null(t.schema.release);
  }
  /* not JSON: the offset of the JSON error */
  zr_table t;
  zr_error e;
  assert_int_equal(zr_arrow_from_integration_json("{\"schema\": ]", 12, NULL, &t, &e), ZR_ERR_MALFORMED);
  assert_int_equal(e.offset, 12);
  assert_memory_equal(e.message, "arrow json: ", 12);
  assert_int_equal(zr_arrow_from_integration_json(NULL, 0, NULL, &t, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "arrow json: NULL argument");
  assert_int_equal(zr_arrow_from_integration_json("{}", 2, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  /* nested 70 lists deep */
  char deep[20000];
  size_t k = (size_t)snprintf(deep, sizeof deep, "{'schema':{'fields':[");
  for (int i = 0; i < 70; i++) k += (size_t)snprintf(deep + k, sizeof deep - k, "{'name':'l','type':{'name':'list'},'children':[");
  k += (size_t)snprintf(deep + k, sizeof deep - k, "{'name':'i','type':" I32 "}");
  for (int i = 0; i < 70; i++) k += (size_t)snprintf(deep + k, sizeof deep - k, "]}");
  snprintf(deep + k, sizeof deep - k, "]}}");
  assert_int_equal(parse(deep, NULL, &t, &e), ZR_ERR_MALFORMED);
  assert_string_equal(e.message, "arrow json: nested too deeply");
}

/* numbers given as strings, reals and booleans; temporal and decimal units; half floats */
static void test_loose_values(void **state) {
  (void)state;
  zr_table t = load(
      "{'schema':{'fields':["
      "{'name':'i','nullable':true,'type':" I32 ",'metadata':{'not':'a list'}},"
      "{'name':'u','nullable':true,'type':{'name':'int','isSigned':false,'bitWidth':64}},"
      "{'name':'h','nullable':true,'type':{'name':'floatingpoint','precision':'HALF'}},"
      "{'name':'f','nullable':true,'type':{'name':'floatingpoint','precision':'SINGLE'}},"
      "{'name':'dt','nullable':true,'type':{'name':'date'}},"
      "{'name':'dec','nullable':true,'type':{'name':'decimal','precision':20,'scale':2,'bitWidth':256}},"
      "{'name':'fb','nullable':true,'type':{'name':'fixedsizebinary','byteWidth':3}},"
      "{'name':'iv','nullable':true,'type':{'name':'interval','unit':'MONTH_DAY_NANO'}},"
      "{'name':'b','nullable':true,'type':{'name':'bool'}},"
      "{'name':'m','nullable':true,'type':{'name':'map','keysSorted':true},'children':[{'name':'entries','type':{'name':'struct'},"
      "'children':[{'name':'key','type':{'name':'utf8'}},{'name':'value','nullable':true,'type':" I32 "}]}]},"
      "{'name':'lv','nullable':true,'type':{'name':'largelistview'},'children':[{'name':'item','nullable':true,'type':" I32 "}]},"
      "{'name':'lw','nullable':true,'type':{'name':'listview'},'children':[{'name':'item','nullable':true,'type':" I32 "}]},"
      "{'name':'ll','nullable':true,'type':{'name':'list'},'children':[{'name':'item','nullable':true,'type':" I32 "}]},"
      "{'name':'un','nullable':true,'type':{'name':'union'},'children':[{'name':'a','nullable':true,'type':" I32 "}]},"
      "{'name':'bv','nullable':true,'type':{'name':'binaryview'}},"
      "{'type':" I32 ",'children':{}},"
      "{'name':'dtm','nullable':true,'type':{'name':'interval','unit':'DAY_TIME'}},"
      "{'name':'ym','nullable':true,'type':{'name':'interval','unit':'YEAR_MONTH'}}"
      "],'metadata':[]},"
      "'batches':[{'count':4,'columns':["
      "{'count':4,'VALIDITY':[1,1,1,0],'DATA':['-7',2.9,true,null]},"
      "{'count':4,'VALIDITY':[1,1,1,1],'DATA':['18446744073709551615',3,'0',false]},"
      "{'count':4,'DATA':['NaN',1e6,6.0e-8,1e-10]},"
      "{'count':4,'DATA':['1.5',-0.0,'inf',null]},"
      "{'count':4,'DATA':[0,86400000,-86400000,1]},"
      "{'count':4,'DATA':['+123','-1','0','99999999999999999999']},"
      "{'count':4,'DATA':['abcdef','ABCDEF','000000','09aF0b']},"
      "{'count':4,'DATA':[{'months':1,'days':-2,'nanoseconds':'3'},{},{'months':'5'},{'nanoseconds':-1}]},"
      "{'count':4,'DATA':[true,false,1,'true']},"
      "{'count':4,'OFFSET':[0,1,1,1,1],'children':[{'count':1,'children':[{'count':1,'OFFSET':[0,1],'DATA':['k']},"
      "{'count':1,'DATA':[4]}]}]},"
      "{'count':4,'OFFSET':['0','1','0','0'],'SIZE':['1','0','1','0'],'children':[{'count':1,'DATA':[8]}]},"
      "{'count':4,'children':[{'count':0,'DATA':[]}]},"
      "{'count':4,'children':[{'count':0,'DATA':[]}]},"
      "{'count':4,'TYPE_ID':[0,0,0,0],'children':[{'count':4,'DATA':[1,2,3,4]}]},"
      "{'count':4,'VIEWS':[{'SIZE':2,'INLINED':'a1B2'},{'SIZE':0,'INLINED':null},{'SIZE':13,'BUFFER_INDEX':1,'OFFSET':0},"
      "{'SIZE':1,'INLINED':'ff'}],'VARIADIC_DATA_BUFFERS':[null,'00112233445566778899aabbcc']},"
      "{'count':4,'DATA':[1,2,3,4]},"
      "{'count':4,'DATA':[{'days':1,'milliseconds':2},{'days':-1,'milliseconds':0},{},{'days':3}]},"
      "{'count':4,'DATA':[1,-2,3,4]}"
      "]}]}");
  /* the schema */
  assert_int_equal(t.schema.n_children, 18);
  assert_string_equal(t.schema.children[4]->format, "tdm");
  assert_string_equal(t.schema.children[5]->format, "d:20,2,256");
  assert_string_equal(t.schema.children[9]->format, "+m");
  assert_int_equal(t.schema.children[9]->flags, ARROW_FLAG_NULLABLE | ARROW_FLAG_MAP_KEYS_SORTED);
  assert_string_equal(t.schema.children[10]->format, "+vL");
  assert_string_equal(t.schema.children[13]->format, "+us:0");
  assert_string_equal(t.schema.children[15]->name, "");
  assert_null(t.schema.children[0]->metadata);
  assert_non_null(t.schema.metadata); /* an empty list: a metadata blob with no pairs */
  zr_doc *d = zr_doc_new(NULL);
  zr_value rows = rows_of(&t, d);
  assert_int_equal(rows.n.len, 4);
  assert_int_equal(cell(&rows, 0, "i")->u.i, -7);
  assert_int_equal(cell(&rows, 1, "i")->u.i, 2);
  assert_int_equal(cell(&rows, 2, "i")->u.i, 1);
  assert_int_equal(cell(&rows, 3, "i")->kind, ZR_KIND_NULL);
  assert_int_equal(cell(&rows, 0, "u")->u.u, UINT64_MAX);
  assert_int_equal(cell(&rows, 1, "u")->u.i, 3);
  assert_int_equal(cell(&rows, 3, "u")->u.i, 0);
  /* half floats: NaN, overflow to infinity, a subnormal, and a string that is no number (0) */
  assert_true(cell(&rows, 0, "h")->u.f != cell(&rows, 0, "h")->u.f);
  assert_true(cell(&rows, 1, "h")->u.f > 1e300);
  assert_true(cell(&rows, 2, "h")->u.f > 5.9e-8 && cell(&rows, 2, "h")->u.f < 6.1e-8);
  assert_true(cell(&rows, 3, "h")->u.f == 0.0);
  assert_true(cell(&rows, 0, "f")->u.f == 1.5);
  assert_true(cell(&rows, 2, "f")->u.f > 1e300);
  assert_true(cell(&rows, 3, "f")->u.f == 0.0);
  assert_int_equal(cell(&rows, 1, "dt")->u.i, 86400000);
  const zr_value *dec = cell(&rows, 0, "dec");
  assert_int_equal(dec->n.len, 4);
  assert_memory_equal(dec->u.str, "1.23", 4);
  dec = cell(&rows, 1, "dec");
  assert_int_equal(dec->n.len, 5);
  assert_memory_equal(dec->u.str, "-0.01", 5);
  dec = cell(&rows, 3, "dec");
  assert_int_equal(dec->n.len, 21);
  assert_memory_equal(dec->u.str, "999999999999999999.99", 21);
  assert_memory_equal(cell(&rows, 0, "fb")->u.bin, "\xab\xcd\xef", 3);
  assert_memory_equal(cell(&rows, 1, "fb")->u.bin, "\xab\xcd\xef", 3);
  assert_memory_equal(cell(&rows, 3, "fb")->u.bin, "\x09\xaf\x0b", 3);
  const zr_value *iv = cell(&rows, 0, "iv");
  assert_int_equal(zr_map_get(iv, "months", 6)->u.i, 1);
  assert_int_equal(zr_map_get(iv, "days", 4)->u.i, -2);
  assert_int_equal(zr_map_get(iv, "nanoseconds", 11)->u.i, 3);
  assert_int_equal(zr_map_get(cell(&rows, 3, "iv"), "nanoseconds", 11)->u.i, -1);
  assert_true(cell(&rows, 0, "b")->u.b);
  assert_false(cell(&rows, 2, "b")->u.b); /* only JSON true is true */
  const zr_value *m = cell(&rows, 0, "m");
  assert_int_equal(m->kind, ZR_KIND_MAP);
  assert_int_equal(m->n.len, 1);
  assert_int_equal(zr_map_get(m, "k", 1)->u.i, 4);
  assert_int_equal(cell(&rows, 0, "lv")->n.len, 1);
  assert_int_equal(cell(&rows, 0, "lv")->u.items[0].u.i, 8);
  assert_int_equal(cell(&rows, 2, "lv")->n.len, 1);
  assert_int_equal(cell(&rows, 1, "lw")->n.len, 0);
  assert_int_equal(cell(&rows, 1, "ll")->n.len, 0);
  assert_int_equal(cell(&rows, 3, "un")->u.i, 4);
  const zr_value *bv = cell(&rows, 0, "bv");
  assert_int_equal(bv->n.len, 2);
  assert_memory_equal(bv->u.bin, "\xa1\xb2", 2);
  assert_int_equal(cell(&rows, 1, "bv")->n.len, 0);
  assert_int_equal(cell(&rows, 3, "bv")->u.bin[0], 0xff);
  assert_int_equal(cell(&rows, 2, "")->u.i, 3);
  assert_int_equal(zr_map_get(cell(&rows, 0, "dtm"), "milliseconds", 12)->u.i, 2);
  assert_int_equal(zr_map_get(cell(&rows, 1, "ym"), "months", 6)->u.i, -2);
  zr_doc_free(d);
  /* written big-endian (views, list views, decimals, intervals swapped) and read back equal */
  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  zr_arrow_write_opts wo;
  memset(&wo, 0, sizeof wo);
  wo.big_endian = 1;
  zr_error e;
  if (zr_arrow_write(&t, &wo, sink, &e) != ZR_OK) fail_msg("write: %s", e.message);
  const uint8_t *p;
  size_t n;
  assert_int_equal(zr_sink_memory_data(sink, &p, &n), ZR_OK);
  zr_table back;
  if (zr_arrow_read(p, n, NULL, &back, &e) != ZR_OK) fail_msg("read: %s", e.message);
  char why[300];
  if (!zr_arrow_table_diff(&t, &back, why, sizeof why)) fail_msg("big-endian round trip: %s", why);
  zr_table_release(&back);
  zr_sink_free(sink);
  zr_table_release(&t);
}

/* every allocation of a parse fails in turn: NOMEM, nothing leaked; then it succeeds */
static void test_alloc_failures(void **state) {
  (void)state;
  const char *j =
      "{'schema':{'fields':["
      "{'name':'b','nullable':true,'type':{'name':'bool'},'metadata':[{'key':'a','value':'b'}]},"
      "{'name':'s','nullable':true,'type':{'name':'utf8'},'dictionary':{'id':0,'indexType':{'name':'int','isSigned':true,'bitWidth':8},'isOrdered':true}},"
      "{'name':'v','nullable':true,'type':{'name':'utf8view'}},"
      "{'name':'l','nullable':true,'type':{'name':'listview'},'children':[{'name':'i','nullable':true,'type':" I32 "}]},"
      "{'name':'u','nullable':true,'type':{'name':'union','mode':'DENSE','typeIds':[4]},'children':[{'name':'a','nullable':true,'type':" I32 "}]},"
      "{'name':'z','nullable':true,'type':{'name':'largebinary'}}"
      "],'metadata':[{'key':'k','value':'v'}]},"
      "'dictionaries':[{'id':0,'data':{'count':2,'columns':[{'name':'D','count':2,'VALIDITY':[1,1],'OFFSET':[0,1,2],'DATA':['p','q']}]}}],"
      "'batches':[{'count':2,'columns':["
      "{'name':'b','count':2,'VALIDITY':[1,0],'DATA':[true,false]},"
      "{'name':'s','count':2,'VALIDITY':[1,1],'DATA':[1,0]},"
      "{'name':'v','count':2,'VALIDITY':[1,1],'VIEWS':[{'SIZE':1,'INLINED':'x'},{'SIZE':13,'PREFIX_HEX':'61616161','BUFFER_INDEX':0,'OFFSET':0}],"
      "'VARIADIC_DATA_BUFFERS':['61616161616161616161616161']},"
      "{'name':'l','count':2,'VALIDITY':[1,1],'OFFSET':[0,1],'SIZE':[1,1],'children':[{'name':'i','count':2,'VALIDITY':[1,1],'DATA':[5,6]}]},"
      "{'name':'u','count':2,'TYPE_ID':[4,4],'OFFSET':[0,1],'children':[{'name':'a','count':2,'VALIDITY':[1,1],'DATA':[7,8]}]},"
      "{'name':'z','count':2,'VALIDITY':[1,1],'OFFSET':['0','1','2'],'DATA':['00','ff']}"
      "]},{'count':0,'columns':[{'name':'b','count':0},{'name':'s','count':0},{'name':'v','count':0,'VIEWS':[],'VARIADIC_DATA_BUFFERS':[]},"
      "{'name':'l','count':0,'children':[{'name':'i','count':0}]},{'name':'u','count':0,'children':[{'name':'a','count':0}]},"
      "{'name':'z','count':0}]}]}";
  zr_table ref = load(j);
  int ok = 0;
  for (uint64_t n = 1; n < 500 && !ok; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_table t;
    zr_error e;
    zr_status st = parse(j, &fa.a, &t, &e);
    if (st == ZR_OK) {
      ok = 1;
      char why[200];
      if (!zr_arrow_table_diff(&ref, &t, why, sizeof why)) fail_msg("differs: %s", why);
      zr_table_release(&t);
    } else {
      if (st != ZR_ERR_NOMEM) fail_msg("alloc %llu: %d %s", (unsigned long long)n, st, e.message);
      assert_int_equal(e.code, ZR_ERR_NOMEM);
    }
    if (fa.live != 0) fail_msg("alloc %llu (status %d): %lld blocks live", (unsigned long long)n, st, (long long)fa.live);
  }
  assert_true(ok);
  zr_table_release(&ref);
}

/* ---- delta dictionaries: the second batch's dictionary extends the first one */

typedef struct dcase {
  const char *type, *kids, *d1, *d2;
  const char *fail; /* NULL: read back equal; else the reader's message */
} dcase;

static char *dict_json(const dcase *c, const char *dict, const char *idx) {
  static char buf[3][4096];
  static int k;
  char *b = buf[k++ % 3];
  snprintf(b, 4096,
           "{'schema':{'fields':[{'name':'x','nullable':true,'type':%s,'children':%s,'dictionary':{'id':0,'indexType':" I32 "}}]},"
           "'dictionaries':[{'id':0,'data':{'count':0,'columns':[%s]}}],"
           "'batches':[{'count':2,'columns':[{'name':'x','count':2,'VALIDITY':[1,1],'DATA':[%s]}]}]}",
           c->type, c->kids, dict, idx);
  return b;
}

static void test_delta_dictionaries(void **state) {
  (void)state;
  static const dcase cases[] = {
      {"{'name':'bool'}", "[]", "{'count':2,'VALIDITY':[1,0],'DATA':[true,false]}",
       "{'count':3,'VALIDITY':[1,0,1],'DATA':[true,false,false]}", NULL},
      {I32, "[]", "{'count':2,'VALIDITY':[1,1],'DATA':[1,2]}", "{'count':3,'VALIDITY':[1,1,0],'DATA':[1,2,3]}", NULL},
      {"{'name':'utf8'}", "[]", "{'count':2,'VALIDITY':[1,1],'DATA':['a','']}",
       "{'count':4,'VALIDITY':[1,1,1,1],'DATA':['a','','cc','']}", NULL},
      {"{'name':'largebinary'}", "[]", "{'count':1,'VALIDITY':[1],'DATA':['00']}",
       "{'count':2,'VALIDITY':[1,1],'DATA':['00','0102']}", NULL},
      {"{'name':'list'}", "[{'name':'i','nullable':true,'type':" I32 "}]",
       "{'count':2,'VALIDITY':[1,1],'OFFSET':[0,1,3],'children':[{'name':'i','count':3,'VALIDITY':[1,1,1],'DATA':[1,2,3]}]}",
       "{'count':3,'VALIDITY':[1,1,1],'OFFSET':[0,1,3,4],'children':[{'name':'i','count':4,'VALIDITY':[1,1,1,1],'DATA':[1,2,3,4]}]}", NULL},
      {"{'name':'largelist'}", "[{'name':'i','nullable':true,'type':" I32 "}]",
       "{'count':1,'VALIDITY':[1],'OFFSET':['0','2'],'children':[{'name':'i','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]}",
       "{'count':2,'VALIDITY':[1,1],'OFFSET':['0','2','2'],'children':[{'name':'i','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]}", NULL},
      {"{'name':'fixedsizelist','listSize':2}", "[{'name':'i','nullable':true,'type':" I32 "}]",
       "{'count':1,'VALIDITY':[1],'children':[{'name':'i','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]}",
       "{'count':2,'VALIDITY':[1,1],'children':[{'name':'i','count':4,'VALIDITY':[1,1,1,1],'DATA':[1,2,3,4]}]}", NULL},
      {"{'name':'struct'}", "[{'name':'a','nullable':true,'type':" I32 "},{'name':'b','nullable':true,'type':{'name':'utf8'}}]",
       "{'count':1,'VALIDITY':[1],'children':[{'name':'a','count':1,'VALIDITY':[1],'DATA':[1]},{'name':'b','count':1,'VALIDITY':[1],'DATA':['x']}]}",
       "{'count':2,'VALIDITY':[1,1],'children':[{'name':'a','count':2,'VALIDITY':[1,1],'DATA':[1,2]},"
       "{'name':'b','count':2,'VALIDITY':[1,1],'DATA':['x','yz']}]}", NULL},
      {"{'name':'null'}", "[]", "{'count':1}", "{'count':3}", NULL},
      {"{'name':'utf8view'}", "[]", "{'count':1,'VALIDITY':[1],'VIEWS':[{'SIZE':1,'INLINED':'a'}],'VARIADIC_DATA_BUFFERS':[]}",
       "{'count':2,'VALIDITY':[1,1],'VIEWS':[{'SIZE':1,'INLINED':'a'},{'SIZE':1,'INLINED':'b'}],'VARIADIC_DATA_BUFFERS':[]}",
       "arrow: delta dictionaries of type vu are not supported"},
      {"{'name':'list'}", "[{'name':'i','nullable':true,'type':{'name':'listview'},'children':[{'name':'j','nullable':true,'type':" I32 "}]}]",
       "{'count':1,'VALIDITY':[1],'OFFSET':[0,1],'children':[{'name':'i','count':1,'VALIDITY':[1],'OFFSET':[0],'SIZE':[1],"
       "'children':[{'name':'j','count':1,'VALIDITY':[1],'DATA':[1]}]}]}",
       "{'count':2,'VALIDITY':[1,1],'OFFSET':[0,1,1],'children':[{'name':'i','count':1,'VALIDITY':[1],'OFFSET':[0],'SIZE':[1],"
       "'children':[{'name':'j','count':1,'VALIDITY':[1],'DATA':[1]}]}]}",
       "arrow: delta dictionaries of type +vl are not supported"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const dcase *c = &cases[i];
    zr_table a = load(dict_json(c, c->d1, "0,0")), b = load(dict_json(c, c->d2, "1,0"));
    zr_sink *sink;
    assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
    zr_arrow_writer *w;
    zr_error e;
    assert_int_equal(zr_arrow_writer_new(sink, &a.schema, NULL, &w, &e), ZR_OK);
    assert_int_equal(zr_arrow_writer_write(w, &a.batches[0], &e), ZR_OK);
    if (zr_arrow_writer_write(w, &b.batches[0], &e) != ZR_OK) fail_msg("case %zu: %s", i, e.message);
    assert_int_equal(zr_arrow_writer_finish(w, &e), ZR_OK);
    zr_arrow_writer_free(w);
    const uint8_t *p;
    size_t n;
    assert_int_equal(zr_sink_memory_data(sink, &p, &n), ZR_OK);
    zr_table back;
    zr_status st = zr_arrow_read(p, n, NULL, &back, &e);
    if (c->fail) {
      assert_int_equal(st, ZR_ERR_UNSUPPORTED);
      assert_string_equal(e.message, c->fail);
    } else {
      if (st) fail_msg("case %zu: read %s", i, e.message);
      /* the expected table: a's schema, a's batch and b's batch */
      zr_table want;
      memset(&want, 0, sizeof want);
      want.schema = a.schema;
      a.schema.release = NULL;
      want.n_batches = 2;
      want.batches = malloc(2 * sizeof *want.batches);
      want.batches[0] = a.batches[0];
      want.batches[1] = b.batches[0];
      a.batches[0].release = b.batches[0].release = NULL;
      char why[300];
      if (!zr_arrow_table_diff(&want, &back, why, sizeof why)) fail_msg("case %zu: %s", i, why);
      assert_int_equal(back.batches[1].children[0]->dictionary->length, back.batches[1].children[0]->dictionary->length);
      zr_table_release(&want);
      zr_table_release(&back);
    }
    zr_sink_free(sink);
    zr_table_release(&a);
    zr_table_release(&b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_loose_values),
      cmocka_unit_test(test_alloc_failures),
      cmocka_unit_test(test_delta_dictionaries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

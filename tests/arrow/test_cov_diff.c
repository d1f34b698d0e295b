/* Coverage: table equality (zr_arrow_table_equal / zr_arrow_table_diff) — every kind of schema and
 * value difference, in every physical layout, with the description of the first difference. Tables
 * come from integration JSON written with single quotes (turned into double quotes here). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zr_test.h"

/* JSON text with ' for " */
static zr_table load(const char *sq) {
  size_t n = strlen(sq);
  char *j = malloc(n + 1);
  for (size_t i = 0; i <= n; i++) j[i] = sq[i] == '\'' ? '"' : sq[i];
  zr_table t;
  zr_error e;
  zr_error_clear(&e);
  if (zr_arrow_from_integration_json(j, n, NULL, &t, &e) != ZR_OK) fail_msg("json: %s\n%s", e.message, j);
  free(j);
  return t;
}

/* one column table: field JSON and column JSON (count rows) */
static zr_table one(const char *field, const char *col, int count) {
  char buf[8192];
  snprintf(buf, sizeof buf, "{'schema':{'fields':[%s]},'batches':[{'count':%d,'columns':[%s]}]}", field, count, col);
  return load(buf);
}

static void expect_diff(zr_table *a, zr_table *b, const char *want) {
  char why[400];
  memset(why, 'x', sizeof why);
  int eq = zr_arrow_table_diff(a, b, why, sizeof why);
  if (!want) {
    if (!eq) fail_msg("tables differ: %s", why);
    assert_true(zr_arrow_table_equal(a, b));
  } else {
    if (eq) fail_msg("tables equal, want '%s'", want);
    if (strcmp(why, want) != 0) fail_msg("why '%s', want '%s'", why, want);
    assert_false(zr_arrow_table_equal(a, b));
    /* no description buffer: the same answer */
    assert_int_equal(zr_arrow_table_diff(a, b, NULL, 0), 0);
  }
  zr_table_release(a);
  zr_table_release(b);
}

static void pair(const char *fa, const char *ca, const char *fb, const char *cb, int count, const char *want) {
  zr_table a = one(fa, ca, count), b = one(fb, cb, count);
  expect_diff(&a, &b, want);
}

#define I32 "{'name':'int','isSigned':true,'bitWidth':32}"
#define I16 "{'name':'int','isSigned':true,'bitWidth':16}"
#define I64 "{'name':'int','isSigned':true,'bitWidth':64}"
#define U8T "{'name':'utf8'}"

static void test_schema_differences(void **state) {
  (void)state;
  const char *ci = "{'name':'x','count':2,'VALIDITY':[1,1],'DATA':[1,2]}";
  const char *cu = "{'name':'x','count':2,'VALIDITY':[1,1],'OFFSET':[0,1,2],'DATA':['a','b']}";
  pair("{'name':'x','nullable':true,'type':" I32 ",'children':[]}", ci,
       "{'name':'x','nullable':true,'type':" U8T ",'children':[]}", cu, 2, "field 'x': type i vs u");
  pair("{'name':'x','nullable':true,'type':" I32 ",'children':[]}", ci,
       "{'name':'y','nullable':true,'type':" I32 ",'children':[]}", "{'name':'y','count':2,'DATA':[1,2]}", 2,
       "field name 'x' vs 'y'");
  pair("{'name':'x','nullable':true,'type':" I32 ",'children':[]}", ci,
       "{'name':'x','nullable':false,'type':" I32 ",'children':[]}", ci, 2, "field 'x': flags 2 vs 0");
  /* metadata: another value, another key, another count; the same pairs in another order are equal */
  const char *f_md1 = "{'name':'x','nullable':true,'type':" I32 ",'children':[],'metadata':[{'key':'k','value':'1'},{'key':'j','value':'2'}]}";
  const char *f_md2 = "{'name':'x','nullable':true,'type':" I32 ",'children':[],'metadata':[{'key':'j','value':'2'},{'key':'k','value':'1'}]}";
  const char *f_md3 = "{'name':'x','nullable':true,'type':" I32 ",'children':[],'metadata':[{'key':'k','value':'9'},{'key':'j','value':'2'}]}";
  const char *f_md4 = "{'name':'x','nullable':true,'type':" I32 ",'children':[],'metadata':[{'key':'k','value':'1'},{'key':'q','value':'2'}]}";
  const char *f_md5 = "{'name':'x','nullable':true,'type':" I32 ",'children':[],'metadata':[{'key':'k','value':'1'}]}";
  const char *f_md6 = "{'name':'x','nullable':true,'type':" I32 ",'children':[],'metadata':[{'key':'k','value':'10'},{'key':'j','value':'2'}]}";
  pair(f_md1, ci, f_md2, ci, 2, NULL);
  pair(f_md1, ci, f_md3, ci, 2, "field 'x': metadata differs");
  pair(f_md1, ci, f_md4, ci, 2, "field 'x': metadata differs");
  pair(f_md1, ci, f_md5, ci, 2, "field 'x': metadata differs");
  pair(f_md1, ci, f_md6, ci, 2, "field 'x': metadata differs");
  /* children */
  pair("{'name':'s','nullable':true,'type':{'name':'struct'},'children':[{'name':'a','nullable':true,'type':" I32 ",'children':[]}]}",
       "{'name':'s','count':1,'VALIDITY':[1],'children':[{'name':'a','count':1,'VALIDITY':[1],'DATA':[1]}]}",
       "{'name':'s','nullable':true,'type':{'name':'struct'},'children':[{'name':'a','nullable':true,'type':" I32 ",'children':[]},"
       "{'name':'b','nullable':true,'type':" I32 ",'children':[]}]}",
       "{'name':'s','count':1,'VALIDITY':[1],'children':[{'name':'a','count':1,'VALIDITY':[1],'DATA':[1]},"
       "{'name':'b','count':1,'VALIDITY':[1],'DATA':[1]}]}",
       1, "field 's': 1 vs 2 children");
  /* a nested field name differs */
  pair("{'name':'s','nullable':true,'type':{'name':'struct'},'children':[{'name':'a','nullable':true,'type':" I32 ",'children':[]}]}",
       "{'name':'s','count':1,'VALIDITY':[1],'children':[{'name':'a','count':1,'VALIDITY':[1],'DATA':[1]}]}",
       "{'name':'s','nullable':true,'type':{'name':'struct'},'children':[{'name':'b','nullable':true,'type':" I32 ",'children':[]}]}",
       "{'name':'s','count':1,'VALIDITY':[1],'children':[{'name':'b','count':1,'VALIDITY':[1],'DATA':[1]}]}",
       1, "field name 'a' vs 'b'");
  /* map entry and key/value names are not part of the type */
  const char *map1 =
      "{'name':'m','nullable':true,'type':{'name':'map','keysSorted':false},'children':[{'name':'entries','nullable':false,"
      "'type':{'name':'struct'},'children':[{'name':'key','nullable':false,'type':" U8T ",'children':[]},"
      "{'name':'value','nullable':true,'type':" I32 ",'children':[]}]}]}";
  const char *map2 =
      "{'name':'m','nullable':true,'type':{'name':'map','keysSorted':false},'children':[{'name':'kv','nullable':false,"
      "'type':{'name':'struct'},'children':[{'name':'k','nullable':false,'type':" U8T ",'children':[]},"
      "{'name':'v','nullable':true,'type':" I32 ",'children':[]}]}]}";
  const char *mapc1 =
      "{'name':'m','count':1,'VALIDITY':[1],'OFFSET':[0,1],'children':[{'name':'entries','count':1,'VALIDITY':[1],'children':["
      "{'name':'key','count':1,'VALIDITY':[1],'OFFSET':[0,1],'DATA':['a']},{'name':'value','count':1,'VALIDITY':[1],'DATA':[5]}]}]}";
  const char *mapc2 =
      "{'name':'m','count':1,'VALIDITY':[1],'OFFSET':[0,1],'children':[{'name':'kv','count':1,'VALIDITY':[1],'children':["
      "{'name':'k','count':1,'VALIDITY':[1],'OFFSET':[0,1],'DATA':['a']},{'name':'v','count':1,'VALIDITY':[1],'DATA':[6]}]}]}";
  pair(map1, mapc1, map2, mapc1, 1, NULL);
  /* the description names the field of the first table */
  pair(map1, mapc1, map2, mapc2, 1, "batch 0 column 0: field 'value': values differ at 0");
  /* dictionary encoded vs plain, with the same (index) format */
  zr_table d = load("{'schema':{'fields':[{'name':'x','nullable':true,'type':" U8T ",'children':[],"
                    "'dictionary':{'id':0,'indexType':" I32 ",'isOrdered':false}}]},"
                    "'dictionaries':[{'id':0,'data':{'count':2,'columns':[{'name':'DICT0','count':2,'VALIDITY':[1,1],"
                    "'OFFSET':[0,1,2],'DATA':['a','b']}]}}],"
                    "'batches':[{'count':2,'columns':[{'name':'x','count':2,'VALIDITY':[1,1],'DATA':[1,0]}]}]}");
  zr_table p = one("{'name':'x','nullable':true,'type':" I32 ",'children':[]}", "{'name':'x','count':2,'VALIDITY':[1,1],'DATA':[1,0]}", 2);
  expect_diff(&d, &p, "field 'x': dictionary encoding differs");
  /* the dictionary value types differ */
  d = load("{'schema':{'fields':[{'name':'x','nullable':true,'type':" U8T ",'children':[],"
           "'dictionary':{'id':0,'indexType':" I32 ",'isOrdered':false}}]},"
           "'dictionaries':[{'id':0,'data':{'count':1,'columns':[{'name':'DICT0','count':1,'VALIDITY':[1],'OFFSET':[0,1],'DATA':['a']}]}}],"
           "'batches':[{'count':1,'columns':[{'name':'x','count':1,'VALIDITY':[1],'DATA':[0]}]}]}");
  p = load("{'schema':{'fields':[{'name':'x','nullable':true,'type':{'name':'binary'},'children':[],"
           "'dictionary':{'id':0,'indexType':" I32 ",'isOrdered':false}}]},"
           "'dictionaries':[{'id':0,'data':{'count':1,'columns':[{'name':'DICT0','count':1,'VALIDITY':[1],'OFFSET':[0,1],'DATA':['61']}]}}],"
           "'batches':[{'count':1,'columns':[{'name':'x','count':1,'VALIDITY':[1],'DATA':[0]}]}]}");
  expect_diff(&d, &p, "field '': type u vs z");
  /* schema metadata */
  zr_table a = load("{'schema':{'fields':[],'metadata':[{'key':'a','value':'1'}]},'batches':[]}");
  zr_table b = load("{'schema':{'fields':[],'metadata':[{'key':'a','value':'2'}]},'batches':[]}");
  expect_diff(&a, &b, "field '': metadata differs");
  /* an empty metadata list is no metadata */
  a = load("{'schema':{'fields':[],'metadata':[]},'batches':[]}");
  b = load("{'schema':{'fields':[]},'batches':[]}");
  expect_diff(&a, &b, NULL);
}

static void test_batch_differences(void **state) {
  (void)state;
  const char *f = "{'schema':{'fields':[{'name':'x','nullable':true,'type':" I32 ",'children':[]}]},'batches':[%s]}";
  char b1[512], b2[512];
  snprintf(b1, sizeof b1, f, "{'count':1,'columns':[{'name':'x','count':1,'VALIDITY':[1],'DATA':[1]}]}");
  snprintf(b2, sizeof b2, f,
           "{'count':1,'columns':[{'name':'x','count':1,'VALIDITY':[1],'DATA':[1]}]},"
           "{'count':1,'columns':[{'name':'x','count':1,'VALIDITY':[1],'DATA':[1]}]}");
  zr_table a = load(b1), b = load(b2);
  expect_diff(&a, &b, "1 vs 2 batches");
  snprintf(b2, sizeof b2, f, "{'count':2,'columns':[{'name':'x','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]}");
  a = load(b1);
  b = load(b2);
  expect_diff(&a, &b, "batch 0: 1 vs 2 rows");
  /* the column longer than its batch: compared on the column's length */
  snprintf(b2, sizeof b2, f, "{'count':1,'columns':[{'name':'x','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]}");
  a = load(b1);
  b = load(b2);
  expect_diff(&a, &b, "batch 0 column 0: length 1 vs 2");
  /* NULL tables and identity */
  a = load(b1);
  assert_true(zr_arrow_table_equal(&a, &a));
  assert_false(zr_arrow_table_equal(&a, NULL));
  assert_false(zr_arrow_table_equal(NULL, &a));
  assert_true(zr_arrow_table_equal(NULL, NULL));
  char why[8] = "keep";
  assert_int_equal(zr_arrow_table_diff(NULL, &a, why, sizeof why), 0);
  assert_int_equal(zr_arrow_table_diff(&a, NULL, why, sizeof why), 0);
  assert_string_equal(why, "keep");
  /* a description cut to the buffer */
  b = load(b2);
  assert_int_equal(zr_arrow_table_diff(&a, &b, why, sizeof why), 0);
  assert_int_equal(strlen(why), sizeof why - 1);
  assert_memory_equal(why, "batch 0", 7);
  zr_table_release(&a);
  zr_table_release(&b);
}

/* each layout: a value difference at row 1, and a validity difference at row 1 */
static void test_value_differences(void **state) {
  (void)state;
  static const struct {
    const char *type, *kids, *a, *b, *want;
  } c[] = {
      {"{'name':'bool'}", "", "'DATA':[true,true]", "'DATA':[true,false]", NULL},
      {I32, "", "'DATA':[1,2]", "'DATA':[1,3]", NULL},
      {"{'name':'fixedsizebinary','byteWidth':0}", "", "'DATA':['','']", "'DATA':['','']", "equal"},
      {"{'name':'fixedsizebinary','byteWidth':2}", "", "'DATA':['0001','0203']", "'DATA':['0001','0204']", NULL},
      {U8T, "", "'OFFSET':[0,1,3],'DATA':['a','bc']", "'OFFSET':[0,1,3],'DATA':['a','bd']", NULL},
      {U8T, "", "'OFFSET':[0,1,3],'DATA':['a','bc']", "'OFFSET':[0,1,2],'DATA':['a','b']", NULL},
      {U8T, "", "'OFFSET':[0,0,0],'DATA':['','']", "'OFFSET':[0,0,0],'DATA':['','']", "equal"},
      {"{'name':'largeutf8'}", "", "'OFFSET':['0','1','3'],'DATA':['a','bc']", "'OFFSET':['0','1','3'],'DATA':['a','bb']", NULL},
      {"{'name':'largebinary'}", "", "'OFFSET':['0','1','2'],'DATA':['00','01']", "'OFFSET':['0','1','2'],'DATA':['00','02']", NULL},
      {"{'name':'utf8view'}", "", "'VIEWS':[{'SIZE':1,'INLINED':'a'},{'SIZE':2,'INLINED':'bc'}],'VARIADIC_DATA_BUFFERS':[]",
       "'VIEWS':[{'SIZE':1,'INLINED':'a'},{'SIZE':2,'INLINED':'bd'}],'VARIADIC_DATA_BUFFERS':[]", NULL},
      {"{'name':'utf8view'}", "", "'VIEWS':[{'SIZE':1,'INLINED':'a'},{'SIZE':2,'INLINED':'bc'}],'VARIADIC_DATA_BUFFERS':[]",
       "'VIEWS':[{'SIZE':1,'INLINED':'a'},{'SIZE':1,'INLINED':'b'}],'VARIADIC_DATA_BUFFERS':[]", NULL},
      {"{'name':'binaryview'}", "",
       "'VIEWS':[{'SIZE':0,'INLINED':''},{'SIZE':13,'PREFIX_HEX':'61616161','BUFFER_INDEX':0,'OFFSET':0}],"
       "'VARIADIC_DATA_BUFFERS':['61616161616161616161616161']",
       "'VIEWS':[{'SIZE':0,'INLINED':''},{'SIZE':13,'PREFIX_HEX':'61616161','BUFFER_INDEX':0,'OFFSET':0}],"
       "'VARIADIC_DATA_BUFFERS':['61616161616161616161616162']", NULL},
      {"{'name':'list'}", "[{'name':'item','nullable':true,'type':" I32 ",'children':[]}]",
       "'OFFSET':[0,1,2],'children':[{'name':'item','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]",
       "'OFFSET':[0,1,2],'children':[{'name':'item','count':2,'VALIDITY':[1,1],'DATA':[1,3]}]", "item"},
      {"{'name':'list'}", "[{'name':'item','nullable':true,'type':" I32 ",'children':[]}]",
       "'OFFSET':[0,1,2],'children':[{'name':'item','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]",
       "'OFFSET':[0,1,1],'children':[{'name':'item','count':1,'VALIDITY':[1],'DATA':[1]}]", NULL},
      {"{'name':'largelist'}", "[{'name':'item','nullable':true,'type':" I32 ",'children':[]}]",
       "'OFFSET':['0','1','2'],'children':[{'name':'item','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]",
       "'OFFSET':['0','1','2'],'children':[{'name':'item','count':2,'VALIDITY':[1,0],'DATA':[1,2]}]", "item-validity"},
      {"{'name':'listview'}", "[{'name':'item','nullable':true,'type':" I32 ",'children':[]}]",
       "'OFFSET':[0,1],'SIZE':[1,1],'children':[{'name':'item','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]",
       "'OFFSET':[0,1],'SIZE':[1,0],'children':[{'name':'item','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]", NULL},
      {"{'name':'largelistview'}", "[{'name':'item','nullable':true,'type':" I32 ",'children':[]}]",
       "'OFFSET':['0','1'],'SIZE':['1','1'],'children':[{'name':'item','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]",
       "'OFFSET':['0','1'],'SIZE':['1','1'],'children':[{'name':'item','count':2,'VALIDITY':[1,1],'DATA':[1,5]}]", "item"},
      {"{'name':'fixedsizelist','listSize':1}", "[{'name':'item','nullable':true,'type':" I32 ",'children':[]}]",
       "'children':[{'name':'item','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]",
       "'children':[{'name':'item','count':2,'VALIDITY':[1,1],'DATA':[1,4]}]", "item"},
      {"{'name':'struct'}", "[{'name':'f','nullable':true,'type':" I32 ",'children':[]},{'name':'g','nullable':true,'type':" I32 ",'children':[]}]",
       "'children':[{'name':'f','count':2,'VALIDITY':[1,1],'DATA':[1,2]},{'name':'g','count':2,'VALIDITY':[1,1],'DATA':[1,2]}]",
       "'children':[{'name':'f','count':2,'VALIDITY':[1,1],'DATA':[1,2]},{'name':'g','count':2,'VALIDITY':[1,1],'DATA':[1,7]}]", "g"},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    char fld[1024], ca[1024], cb[1024], want[200];
    snprintf(fld, sizeof fld, "{'name':'x','nullable':true,'type':%s,'children':%s}", c[i].type, c[i].kids[0] ? c[i].kids : "[]");
    snprintf(ca, sizeof ca, "{'name':'x','count':2,'VALIDITY':[1,1],%s}", c[i].a);
    snprintf(cb, sizeof cb, "{'name':'x','count':2,'VALIDITY':[1,1],%s}", c[i].b);
    const char *w = want;
    if (!c[i].want) snprintf(want, sizeof want, "batch 0 column 0: field 'x': values differ at 1");
    else if (!strcmp(c[i].want, "equal")) w = NULL;
    else if (!strcmp(c[i].want, "item-validity")) snprintf(want, sizeof want, "batch 0 column 0: field 'item': validity differs at 1");
    else snprintf(want, sizeof want, "batch 0 column 0: field '%s': values differ at %d", c[i].want, c[i].kids[0] == '[' && strstr(c[i].type, "struct") ? 1 : 1);
    pair(fld, ca, fld, cb, 2, w);
    /* the same values, one of them null on one side: validity; both null: equal */
    snprintf(cb, sizeof cb, "{'name':'x','count':2,'VALIDITY':[1,0],%s}", c[i].a);
    pair(fld, ca, fld, cb, 2, "batch 0 column 0: field 'x': validity differs at 1");
    snprintf(ca, sizeof ca, "{'name':'x','count':2,'VALIDITY':[1,0],%s}", c[i].a);
    snprintf(cb, sizeof cb, "{'name':'x','count':2,'VALIDITY':[1,0],%s}", c[i].b);
    pair(fld, ca, fld, cb, 2, NULL);
  }
}

/* layouts without a validity bitmap: unions, run-end encoded; and dictionaries */
static void test_value_differences_nobitmap(void **state) {
  (void)state;
  const char *su = "{'name':'x','nullable':false,'type':{'name':'union','mode':'SPARSE','typeIds':[3,4]},'children':["
                   "{'name':'a','nullable':true,'type':" I32 ",'children':[]},{'name':'b','nullable':true,'type':" U8T ",'children':[]}]}";
  const char *s1 = "{'name':'x','count':2,'TYPE_ID':[3,4],'children':[{'name':'a','count':2,'VALIDITY':[1,1],'DATA':[1,2]},"
                   "{'name':'b','count':2,'VALIDITY':[1,1],'OFFSET':[0,1,2],'DATA':['p','q']}]}";
  const char *s2 = "{'name':'x','count':2,'TYPE_ID':[3,3],'children':[{'name':'a','count':2,'VALIDITY':[1,1],'DATA':[1,2]},"
                   "{'name':'b','count':2,'VALIDITY':[1,1],'OFFSET':[0,1,2],'DATA':['p','q']}]}";
  const char *s3 = "{'name':'x','count':2,'TYPE_ID':[3,4],'children':[{'name':'a','count':2,'VALIDITY':[1,1],'DATA':[1,2]},"
                   "{'name':'b','count':2,'VALIDITY':[1,1],'OFFSET':[0,1,2],'DATA':['p','r']}]}";
  const char *s4 = "{'name':'x','count':2,'TYPE_ID':[3,5],'children':[{'name':'a','count':2,'VALIDITY':[1,1],'DATA':[1,2]},"
                   "{'name':'b','count':2,'VALIDITY':[1,1],'OFFSET':[0,1,2],'DATA':['p','q']}]}";
  pair(su, s1, su, s1, 2, NULL);
  pair(su, s1, su, s2, 2, "batch 0 column 0: field 'x': values differ at 1");
  pair(su, s1, su, s3, 2, "batch 0 column 0: field 'b': values differ at 1");
  /* an undeclared type id on both sides is never equal */
  pair(su, s4, su, s4, 2, "batch 0 column 0: field 'x': values differ at 1");
  const char *du = "{'name':'x','nullable':false,'type':{'name':'union','mode':'DENSE','typeIds':[0,1]},'children':["
                   "{'name':'a','nullable':true,'type':" I32 ",'children':[]},{'name':'b','nullable':true,'type':" U8T ",'children':[]}]}";
  const char *d1 = "{'name':'x','count':2,'TYPE_ID':[0,1],'OFFSET':[0,0],'children':[{'name':'a','count':1,'VALIDITY':[1],'DATA':[7]},"
                   "{'name':'b','count':1,'VALIDITY':[1],'OFFSET':[0,1],'DATA':['z']}]}";
  const char *d2 = "{'name':'x','count':2,'TYPE_ID':[0,1],'OFFSET':[0,0],'children':[{'name':'a','count':1,'VALIDITY':[1],'DATA':[7]},"
                   "{'name':'b','count':1,'VALIDITY':[1],'OFFSET':[0,1],'DATA':['y']}]}";
  pair(du, d1, du, d1, 2, NULL);
  pair(du, d1, du, d2, 2, "batch 0 column 0: field 'b': values differ at 0");
  /* run-end encoded with 16, 32 and 64 bit run ends */
  const char *rt[3] = {I16, I32, I64};
  for (int k = 0; k < 3; k++) {
    char f[600], c1[600], c2[600];
    snprintf(f, sizeof f,
             "{'name':'x','nullable':false,'type':{'name':'runendencoded'},'children':[{'name':'run_ends','nullable':false,"
             "'type':%s,'children':[]},{'name':'values','nullable':true,'type':" I32 ",'children':[]}]}", rt[k]);
    snprintf(c1, sizeof c1, "{'name':'x','count':4,'children':[{'name':'run_ends','count':3,'VALIDITY':[1,1,1],'DATA':['1','2','4']},"
                            "{'name':'values','count':3,'VALIDITY':[1,1,1],'DATA':[5,6,7]}]}");
    snprintf(c2, sizeof c2, "{'name':'x','count':4,'children':[{'name':'run_ends','count':3,'VALIDITY':[1,1,1],'DATA':['1','2','4']},"
                            "{'name':'values','count':3,'VALIDITY':[1,1,1],'DATA':[5,6,8]}]}");
    pair(f, c1, f, c1, 4, NULL);
    pair(f, c1, f, c2, 4, "batch 0 column 0: field 'values': values differ at 2");
  }
  /* dictionary: the indices differ but point at equal values (equal); at different values */
  const char *dj = "{'schema':{'fields':[{'name':'x','nullable':true,'type':" U8T ",'children':[],"
                   "'dictionary':{'id':0,'indexType':%s,'isOrdered':false}}]},"
                   "'dictionaries':[{'id':0,'data':{'count':3,'columns':[{'name':'DICT0','count':3,'VALIDITY':[1,1,1],"
                   "'OFFSET':[0,1,2,3],'DATA':['a','b','a']}]}}],"
                   "'batches':[{'count':2,'columns':[{'name':'x','count':2,'VALIDITY':[1,1],'DATA':[%s]}]}]}";
  static const char *itypes[] = {
      "{'name':'int','isSigned':true,'bitWidth':8}", "{'name':'int','isSigned':false,'bitWidth':8}",
      "{'name':'int','isSigned':true,'bitWidth':16}", "{'name':'int','isSigned':false,'bitWidth':16}",
      "{'name':'int','isSigned':true,'bitWidth':32}", "{'name':'int','isSigned':false,'bitWidth':32}",
      "{'name':'int','isSigned':true,'bitWidth':64}", "{'name':'int','isSigned':false,'bitWidth':64}",
  };
  for (size_t k = 0; k < sizeof itypes / sizeof itypes[0]; k++) {
    char x[2000], y[2000];
    snprintf(x, sizeof x, dj, itypes[k], "0,1");
    snprintf(y, sizeof y, dj, itypes[k], "2,1");
    zr_table a = load(x), b = load(y);
    expect_diff(&a, &b, NULL);
    snprintf(y, sizeof y, dj, itypes[k], "0,0");
    a = load(x);
    b = load(y);
    /* row 1 holds index 1 vs 0: the description gives the position in the dictionary (1) */
    expect_diff(&a, &b, "batch 0 column 0: field '': values differ at 1");
  }
  /* null columns are always equal */
  pair("{'name':'x','nullable':true,'type':{'name':'null'},'children':[]}", "{'name':'x','count':2}",
       "{'name':'x','nullable':true,'type':{'name':'null'},'children':[]}", "{'name':'x','count':2}", 2, NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_schema_differences),
      cmocka_unit_test(test_batch_differences),
      cmocka_unit_test(test_value_differences),
      cmocka_unit_test(test_value_differences_nobitmap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

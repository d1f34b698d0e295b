/* Schema model: JSON form, canonical form, fingerprints, accessors. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "schema/schema_internal.h"

static const struct {
  zs_kind k;
  const char *name;
} kind_names[] = {
    {ZS_NULL, "null"},       {ZS_BOOL, "bool"},         {ZS_INT8, "int8"},       {ZS_INT16, "int16"},
    {ZS_INT32, "int32"},     {ZS_INT64, "int64"},       {ZS_UINT8, "uint8"},     {ZS_UINT16, "uint16"},
    {ZS_UINT32, "uint32"},   {ZS_UINT64, "uint64"},     {ZS_FLOAT16, "float16"}, {ZS_FLOAT32, "float32"},
    {ZS_FLOAT64, "float64"}, {ZS_DECIMAL, "decimal"},   {ZS_UTF8, "utf8"},       {ZS_BINARY, "binary"},
    {ZS_TIMESTAMP, "timestamp"}, {ZS_DATE, "date"},     {ZS_TIME, "time"},       {ZS_DURATION, "duration"},
    {ZS_LIST, "list"},       {ZS_STRUCT, "struct"},     {ZS_MAP, "map"},         {ZS_TENSOR, "tensor"},
    {ZS_DICT, "dictionary"},
};

const char *zs_kind_name(zs_kind k) {
  for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
    if (kind_names[i].k == k) return kind_names[i].name;
  return "?";
}

static int kind_by_name(const char *s, zs_kind *k) {
  for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
    if (strcmp(kind_names[i].name, s) == 0) {
      *k = kind_names[i].k;
      return 1;
    }
  return 0;
}

int zs_is_int(zs_kind k) { return k >= ZS_INT8 && k <= ZS_INT64; }
int zs_is_uint(zs_kind k) { return k >= ZS_UINT8 && k <= ZS_UINT64; }
int zs_is_float(zs_kind k) { return k >= ZS_FLOAT16 && k <= ZS_FLOAT64; }
int zs_int_bits(zs_kind k) {
  switch (k) {
    case ZS_INT8: case ZS_UINT8: return 8;
    case ZS_INT16: case ZS_UINT16: case ZS_FLOAT16: return 16;
    case ZS_INT32: case ZS_UINT32: case ZS_FLOAT32: return 32;
    case ZS_INT64: case ZS_UINT64: case ZS_FLOAT64: return 64;
    default: return 0;
  }
}

static const char *const unit_names[] = {"s", "ms", "us", "ns"};
const char *zs_unit_name(int unit) { return unit >= 0 && unit < 4 ? unit_names[unit] : "?"; }
static int unit_by_name(const char *s) {
  for (int i = 0; i < 4; i++)
    if (strcmp(unit_names[i], s) == 0) return i;
  return -1;
}

zs_type *zs_type_new(zs_kind k) {
  zs_type *t = zs_calloc(1, sizeof *t);
  if (t) {
    t->kind = k;
    t->unit = ZR_TU_MICRO;
    t->index = ZS_INT32;
  }
  return t;
}

void zs_field_clear(zs_field *f) {
  if (!f) return;
  zs_free(f->name);
  for (size_t i = 0; i < f->naliases; i++) zs_free(f->aliases[i]);
  zs_free(f->aliases);
  zs_type_free(f->type);
  if (f->initial_default) json_decref(f->initial_default);
  if (f->write_default) json_decref(f->write_default);
  zs_free(f->doc);
  if (f->metadata) json_decref(f->metadata);
  memset(f, 0, sizeof *f);
}

static void field_free(zs_field *f) {
  zs_field_clear(f);
  zs_free(f);
}

void zs_type_free(zs_type *t) {
  if (!t) return;
  zs_free(t->tz);
  if (t->elem) field_free(t->elem);
  if (t->key) field_free(t->key);
  if (t->value) field_free(t->value);
  for (size_t i = 0; i < t->nfields; i++) zs_field_clear(&t->fields[i]);
  zs_free(t->fields);
  zs_free(t->shape);
  zs_free(t->text);
  zs_free(t);
}

/* ---- readable type text ---- */
/* a text being built; the first failed append is remembered (a cut text would name a wrong type) */
typedef struct tbuf {
  zr__buf b;
  zr_status st;
} tbuf;
static void text_append(tbuf *b, const char *s) {
  if (b->st == ZR_OK) b->st = zr__buf_append(&b->b, s, strlen(s));
}

static void type_text(const zs_type *t, tbuf *b) {
  char tmp[64];
  switch (t->kind) {
    case ZS_DECIMAL:
      snprintf(tmp, sizeof tmp, "decimal(%d,%d)", t->precision, t->scale);
      text_append(b, tmp);
      return;
    case ZS_TIMESTAMP:
      text_append(b, "timestamp(");
      text_append(b, zs_unit_name(t->unit));
      if (t->tz) {
        text_append(b, ", ");
        text_append(b, t->tz);
      }
      text_append(b, ")");
      return;
    case ZS_TIME:
    case ZS_DURATION:
      snprintf(tmp, sizeof tmp, "%s(%s)", zs_kind_name(t->kind), zs_unit_name(t->unit));
      text_append(b, tmp);
      return;
    case ZS_LIST:
      text_append(b, "list<");
      type_text(t->elem->type, b);
      text_append(b, ">");
      return;
    case ZS_MAP:
      text_append(b, "map<");
      type_text(t->key->type, b);
      text_append(b, ", ");
      type_text(t->value->type, b);
      text_append(b, ">");
      return;
    case ZS_STRUCT:
      text_append(b, "struct<");
      for (size_t i = 0; i < t->nfields; i++) {
        if (i) text_append(b, ", ");
        text_append(b, t->fields[i].name);
        text_append(b, ": ");
        type_text(t->fields[i].type, b);
      }
      text_append(b, ">");
      return;
    case ZS_TENSOR:
      text_append(b, "tensor<");
      text_append(b, zs_kind_name(t->dtype));
      text_append(b, ">");
      if (t->shape) {
        text_append(b, "[");
        for (int i = 0; i < t->ndim; i++) {
          snprintf(tmp, sizeof tmp, i ? ",%lld" : "%lld", (long long)t->shape[i]);
          text_append(b, tmp);
        }
        text_append(b, "]");
      } else {
        text_append(b, "[*]");
      }
      return;
    case ZS_DICT:
      text_append(b, "dictionary<utf8, ");
      text_append(b, zs_kind_name(t->index));
      text_append(b, ">");
      return;
    default:
      text_append(b, zs_kind_name(t->kind));
  }
}

const char zs_text_oom[] = "?";

const char *zs_type_text(zs_type *t) {
  if (!t) return "-";
  if (!t->text) {
    tbuf b = {.st = ZR_OK};
    zr__buf_init(&b.b, zs_alloc());
    type_text(t, &b);
    if (b.st != ZR_OK || zr__buf_push(&b.b, 0) != ZR_OK) {
      zr__buf_free(&b.b);
      return zs_text_oom;
    }
    t->text = (char *)b.b.data;
  }
  return t->text;
}

/* ---- parsing ---- */
static zr_status bad(zr_error *err, const char *path, const char *fmt, const char *what) {
  return zr__err_path(err, ZR_ERR_MALFORMED, path, fmt, what);
}

static char *dupstr(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = zs_malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static zr_status field_from_json(json_t *j, zs_field *f, const char *path, zr_error *err);

/* path + printf-style suffix, truncated to the buffer */
static void subpath(char *dst, size_t cap, const char *path, const char *fmt, ...) {
  size_t n = strlen(path);
  if (n >= cap) n = cap - 1;
  memcpy(dst, path, n);
  dst[n] = '\0';
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dst + n, cap - n, fmt, ap);
  va_end(ap);
}

static zr_status child_field(json_t *j, const char *type_key, const char *id_key, const char *null_key,
                             const char *name, zs_field **out, const char *path, zr_error *err) {
  char sub[ZR_ERROR_PATH_MAX];
  subpath(sub, sizeof sub, path, ".%s", type_key);
  json_t *tj = json_object_get(j, type_key);
  if (!tj) return bad(err, path, "missing \"%s\"", type_key);
  zs_field *f = zs_calloc(1, sizeof *f);
  if (!f) return zr__err_nomem(err);
  f->id = -1;
  f->name = dupstr(name);
  if (!f->name) {
    zs_free(f);
    return zr__err_nomem(err);
  }
  zr_status st = zs_type_from_json(tj, &f->type, sub, err);
  if (st != ZR_OK) {
    field_free(f);
    return st;
  }
  json_t *id = json_object_get(j, id_key);
  if (id) {
    if (!json_is_integer(id) || json_integer_value(id) < 0 || json_integer_value(id) > INT32_MAX) {
      field_free(f);
      return bad(err, path, "\"%s\" must be a non-negative integer", id_key);
    }
    f->id = (int32_t)json_integer_value(id);
  }
  json_t *nl = null_key ? json_object_get(j, null_key) : NULL;
  f->nullable = nl ? json_is_true(nl) : 0;
  *out = f;
  return ZR_OK;
}

zr_status zs_type_from_json(json_t *j, zs_type **out, const char *path, zr_error *err) {
  zs_kind k;
  if (json_is_string(j)) {
    const char *s = json_string_value(j);
    if (!kind_by_name(s, &k)) return bad(err, path, "unknown type \"%s\"", s);
    if (k == ZS_LIST || k == ZS_MAP || k == ZS_STRUCT || k == ZS_TENSOR || k == ZS_DECIMAL)
      return bad(err, path, "type \"%s\" needs its parameters (use the object form)", s);
    zs_type *t = zs_type_new(k);
    if (!t) return zr__err_nomem(err);
    if (k == ZS_TIME) t->unit = ZR_TU_MILLI;
    *out = t;
    return ZR_OK;
  }
  if (!json_is_object(j)) return bad(err, path, "a type is a string or an object%s", "");
  json_t *tn = json_object_get(j, "type");
  if (!json_is_string(tn)) return bad(err, path, "missing \"type\"%s", "");
  if (!kind_by_name(json_string_value(tn), &k)) return bad(err, path, "unknown type \"%s\"", json_string_value(tn));
  zs_type *t = zs_type_new(k);
  if (!t) return zr__err_nomem(err);
  zr_status st = ZR_OK;
  char sub[ZR_ERROR_PATH_MAX];
  switch (k) {
    case ZS_DECIMAL: {
      json_t *p = json_object_get(j, "precision"), *s = json_object_get(j, "scale");
      if (!json_is_integer(p) || json_integer_value(p) < 1 || json_integer_value(p) > 76) {
        st = bad(err, path, "decimal precision must be 1..76%s", "");
        break;
      }
      t->precision = (int)json_integer_value(p);
      t->scale = s ? (int)json_integer_value(s) : 0;
      if (s && (!json_is_integer(s) || t->scale < 0 || t->scale > t->precision))
        st = bad(err, path, "decimal scale must be 0..precision%s", "");
      break;
    }
    case ZS_TIMESTAMP:
    case ZS_TIME:
    case ZS_DURATION: {
      json_t *u = json_object_get(j, "unit");
      t->unit = k == ZS_TIME ? ZR_TU_MILLI : ZR_TU_MICRO;
      if (u) {
        int unit = json_is_string(u) ? unit_by_name(json_string_value(u)) : -1;
        if (unit < 0) {
          st = bad(err, path, "unit must be s, ms, us or ns%s", "");
          break;
        }
        t->unit = unit;
      }
      json_t *tz = json_object_get(j, "tz");
      if (tz && !json_is_null(tz)) {
        if (k != ZS_TIMESTAMP || !json_is_string(tz)) {
          st = bad(err, path, "tz is a string on timestamps only%s", "");
          break;
        }
        t->tz = dupstr(json_string_value(tz));
        if (!t->tz) st = zr__err_nomem(err);
      }
      break;
    }
    case ZS_LIST:
      st = child_field(j, "element", "element-id", "element-nullable", "element", &t->elem, path, err);
      break;
    case ZS_MAP:
      st = child_field(j, "key", "key-id", NULL, "key", &t->key, path, err);
      if (st == ZR_OK) st = child_field(j, "value", "value-id", "value-nullable", "value", &t->value, path, err);
      break;
    case ZS_STRUCT: {
      json_t *fs = json_object_get(j, "fields");
      if (!json_is_array(fs)) {
        st = bad(err, path, "struct needs a \"fields\" array%s", "");
        break;
      }
      size_t n = json_array_size(fs);
      t->fields = zs_calloc(n ? n : 1, sizeof *t->fields);
      if (!t->fields) {
        st = zr__err_nomem(err);
        break;
      }
      for (size_t i = 0; i < n && st == ZR_OK; i++) {
        subpath(sub, sizeof sub, path, ".fields[%zu]", i);
        st = field_from_json(json_array_get(fs, i), &t->fields[i], sub, err);
        if (st == ZR_OK) t->nfields++;
        for (size_t q = 0; st == ZR_OK && q + 1 < t->nfields; q++) {
          if (strcmp(t->fields[q].name, t->fields[i].name) == 0) st = bad(err, sub, "duplicate field name \"%s\"", t->fields[i].name);
          else if (t->fields[i].id >= 0 && t->fields[q].id == t->fields[i].id) st = bad(err, sub, "duplicate field id in \"%s\"", t->fields[i].name);
        }
      }
      break;
    }
    case ZS_TENSOR: {
      json_t *dt = json_object_get(j, "dtype");
      zs_kind dk;
      if (!json_is_string(dt) || !kind_by_name(json_string_value(dt), &dk) ||
          !(zs_is_int(dk) || zs_is_uint(dk) || zs_is_float(dk) || dk == ZS_BOOL)) {
        st = bad(err, path, "tensor dtype must be a numeric or bool type%s", "");
        break;
      }
      t->dtype = dk;
      json_t *sh = json_object_get(j, "shape");
      if (sh && !json_is_null(sh)) {
        if (!json_is_array(sh) || json_array_size(sh) > ZR_TENSOR_MAX_DIMS) {
          st = bad(err, path, "tensor shape must be an array of at most 32 extents%s", "");
          break;
        }
        t->ndim = (int)json_array_size(sh);
        t->shape = zs_calloc((size_t)t->ndim + 1, sizeof *t->shape);
        if (!t->shape) {
          st = zr__err_nomem(err);
          break;
        }
        for (int i = 0; i < t->ndim; i++) {
          json_t *e = json_array_get(sh, (size_t)i);
          if (!json_is_integer(e) || json_integer_value(e) < 0) {
            st = bad(err, path, "tensor extents are non-negative integers%s", "");
            break;
          }
          t->shape[i] = json_integer_value(e);
        }
      }
      break;
    }
    case ZS_DICT: {
      json_t *v = json_object_get(j, "value"), *ix = json_object_get(j, "index");
      if (v && !(json_is_string(v) && strcmp(json_string_value(v), "utf8") == 0)) {
        st = bad(err, path, "dictionaries hold utf8 values%s", "");
        break;
      }
      if (ix) {
        zs_kind ik;
        if (!json_is_string(ix) || !kind_by_name(json_string_value(ix), &ik) || !(zs_is_int(ik) || zs_is_uint(ik))) {
          st = bad(err, path, "dictionary index must be an integer type%s", "");
          break;
        }
        t->index = ik;
      }
      break;
    }
    default:
      break;
  }
  if (st != ZR_OK) {
    zs_type_free(t);
    return st;
  }
  *out = t;
  return ZR_OK;
}

static zr_status field_from_json(json_t *j, zs_field *f, const char *path, zr_error *err) {
  memset(f, 0, sizeof *f);
  f->id = -1;
  if (!json_is_object(j)) return bad(err, path, "a field is an object%s", "");
  json_t *name = json_object_get(j, "name");
  if (!json_is_string(name) || !json_string_length(name)) return bad(err, path, "field needs a non-empty \"name\"%s", "");
  f->name = dupstr(json_string_value(name));
  if (!f->name) return zr__err_nomem(err);
  char sub[ZR_ERROR_PATH_MAX];
  subpath(sub, sizeof sub, path, ".type");
  json_t *tj = json_object_get(j, "type");
  if (!tj) {
    zs_field_clear(f);
    return bad(err, path, "field \"%s\" has no type", json_string_value(name));
  }
  zr_status st = zs_type_from_json(tj, &f->type, sub, err);
  if (st != ZR_OK) {
    zs_field_clear(f);
    return st;
  }
  json_t *id = json_object_get(j, "id");
  if (id) {
    if (!json_is_integer(id) || json_integer_value(id) < 0 || json_integer_value(id) > INT32_MAX) {
      zs_field_clear(f);
      return bad(err, path, "field id must be a non-negative integer%s", "");
    }
    f->id = (int32_t)json_integer_value(id);
  }
  json_t *nl = json_object_get(j, "nullable");
  f->nullable = nl ? json_is_true(nl) : 0;
  json_t *al = json_object_get(j, "aliases");
  if (al) {
    if (!json_is_array(al)) {
      zs_field_clear(f);
      return bad(err, path, "aliases must be an array of strings%s", "");
    }
    f->aliases = zs_calloc(json_array_size(al) + 1, sizeof *f->aliases);
    if (!f->aliases) {
      zs_field_clear(f);
      return zr__err_nomem(err);
    }
    for (size_t i = 0; i < json_array_size(al); i++) {
      json_t *a = json_array_get(al, i);
      if (!json_is_string(a)) {
        zs_field_clear(f);
        return bad(err, path, "aliases must be an array of strings%s", "");
      }
      f->aliases[f->naliases] = dupstr(json_string_value(a));
      if (!f->aliases[f->naliases]) {
        zs_field_clear(f);
        return zr__err_nomem(err);
      }
      f->naliases++;
    }
  }
  json_t *d;
  if ((d = json_object_get(j, "initial-default"))) f->initial_default = json_incref(d);
  if ((d = json_object_get(j, "write-default"))) f->write_default = json_incref(d);
  if ((d = json_object_get(j, "doc")) && json_is_string(d) && !(f->doc = dupstr(json_string_value(d)))) {
    zs_field_clear(f);
    return zr__err_nomem(err);
  }
  if ((d = json_object_get(j, "metadata")) && json_is_object(d)) f->metadata = json_incref(d);
  return ZR_OK;
}

/* nesting of objects/arrays in JSON text, without parsing it (strings skipped); stops past @p max */
static unsigned json_text_depth(const char *t, size_t n, unsigned max, size_t *at) {
  unsigned depth = 0, worst = 0;
  int in_str = 0;
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    if (in_str) {
      if (c == '\\') i++;
      else if (c == '"') in_str = 0;
    } else if (c == '"') {
      in_str = 1;
    } else if (c == '{' || c == '[') {
      if (++depth > worst) worst = depth;
      if (worst > max) {
        *at = i;
        return worst;
      }
    } else if ((c == '}' || c == ']') && depth) {
      depth--;
    }
  }
  return worst;
}

zr_status zr_schema_parse(const char *text, size_t len, zr_schema **out, zr_error *err) {
  if (!text || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (len > ZR_SCHEMA_MAX_TEXT)
    return zr__err(err, ZR_ERR_LIMIT, -1, "schema text of %zu bytes exceeds the limit of %u", len,
                   (unsigned)ZR_SCHEMA_MAX_TEXT);
  size_t deep_at = 0;
  if (json_text_depth(text, len, ZR_SCHEMA_MAX_DEPTH, &deep_at) > ZR_SCHEMA_MAX_DEPTH)
    return zr__err(err, ZR_ERR_LIMIT, (int64_t)deep_at, "schema JSON nested deeper than %u", ZR_SCHEMA_MAX_DEPTH);
  json_error_t je;
  int oom = 0;
  json_t *j = zs_json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je, &oom);
  if (oom) return zr__err_nomem(err);
  if (!j) return zr__err(err, ZR_ERR_MALFORMED, je.position, "schema is not valid JSON: %s (line %d)", je.text, je.line);
  zr_schema *s = zs_calloc(1, sizeof *s);
  if (!s) {
    json_decref(j);
    return zr__err_nomem(err);
  }
  /* a bare {"fields": [...]} is a struct: the parsed tree is ours, so it takes the type in place
   * (a deep copy would be one more allocation whose failure jansson does not always report) */
  if (json_is_object(j) && !json_object_get(j, "type") && json_object_get(j, "fields") &&
      json_object_set_new(j, "type", json_string("struct")) != 0) {
    json_decref(j);
    zs_free(s);
    return zr__err_nomem(err);
  }
  json_t *root = j;
  zr_status st = zs_type_from_json(root, &s->root, "$", err);
  if (st == ZR_OK && s->root->kind != ZS_STRUCT) st = bad(err, "$", "a schema is a struct type%s", "");
  if (st == ZR_OK) {
    json_t *d;
    if ((d = json_object_get(root, "doc")) && json_is_string(d) && !(s->doc = dupstr(json_string_value(d))))
      st = zr__err_nomem(err);
    if ((d = json_object_get(root, "metadata")) && json_is_object(d)) s->metadata = json_incref(d);
  }
  json_decref(j);
  if (st != ZR_OK) {
    zr_schema_free(s);
    return st;
  }
  *out = s;
  return ZR_OK;
}

void zr_schema_free(zr_schema *s) {
  if (!s) return;
  zs_type_free(s->root);
  zs_free(s->doc);
  if (s->metadata) json_decref(s->metadata);
  zs_free(s);
}

/* ---- to JSON ----
 * Every builder returns NULL when any part failed (out of memory): a JSON form with a part
 * missing would describe another schema (and give another fingerprint). */
static json_t *field_to_json(const zs_field *f, int canonical);

/* o[k] = v (v stolen); 0 when v is NULL or the insertion failed */
static int put(json_t *o, const char *k, json_t *v) { return v && json_object_set_new(o, k, v) == 0; }
static int push(json_t *a, json_t *v) { return v && json_array_append_new(a, v) == 0; }

static int set_child(json_t *o, const zs_field *f, const char *type_key, const char *id_key, const char *null_key,
                     int canonical) {
  if (!put(o, type_key, zs_type_to_json(f->type, canonical))) return 0;
  if (f->id >= 0 && !put(o, id_key, json_integer(f->id))) return 0;
  if (null_key && !put(o, null_key, json_boolean(f->nullable))) return 0;
  return 1;
}

static int cmp_field_order(const void *a, const void *b) {
  const zs_field *x = *(const zs_field *const *)a, *y = *(const zs_field *const *)b;
  if (x->id != y->id) return x->id < y->id ? -1 : 1;
  return strcmp(x->name, y->name);
}

static json_t *fail(json_t *o) {
  json_decref(o);
  return NULL;
}

json_t *zs_type_to_json(const zs_type *t, int canonical) {
  switch (t->kind) {
    case ZS_DECIMAL: return json_pack("{s:s,s:i,s:i}", "type", "decimal", "precision", t->precision, "scale", t->scale);
    case ZS_TIMESTAMP: {
      json_t *o = json_pack("{s:s,s:s}", "type", "timestamp", "unit", zs_unit_name(t->unit));
      if (o && t->tz && !put(o, "tz", json_string(t->tz))) return fail(o);
      return o;
    }
    case ZS_TIME:
    case ZS_DURATION: return json_pack("{s:s,s:s}", "type", zs_kind_name(t->kind), "unit", zs_unit_name(t->unit));
    case ZS_LIST: {
      json_t *o = json_pack("{s:s}", "type", "list");
      if (o && !set_child(o, t->elem, "element", "element-id", "element-nullable", canonical)) return fail(o);
      return o;
    }
    case ZS_MAP: {
      json_t *o = json_pack("{s:s}", "type", "map");
      if (o && !(set_child(o, t->key, "key", "key-id", NULL, canonical) &&
                 set_child(o, t->value, "value", "value-id", "value-nullable", canonical)))
        return fail(o);
      return o;
    }
    case ZS_STRUCT: {
      json_t *o = json_pack("{s:s}", "type", "struct");
      json_t *arr = json_array();
      const zs_field **order = zs_calloc(t->nfields + 1, sizeof *order);
      int ok = o && arr && order;
      if (ok) {
        for (size_t i = 0; i < t->nfields; i++) order[i] = &t->fields[i];
        if (canonical) qsort(order, t->nfields, sizeof *order, cmp_field_order);
        for (size_t i = 0; ok && i < t->nfields; i++) ok = push(arr, field_to_json(order[i], canonical));
      }
      zs_free(order);
      if (ok) {
        ok = put(o, "fields", arr);
        arr = NULL; /* stolen */
      }
      json_decref(arr);
      return ok ? o : fail(o);
    }
    case ZS_TENSOR: {
      json_t *o = json_pack("{s:s,s:s}", "type", "tensor", "dtype", zs_kind_name(t->dtype));
      if (o && t->shape) {
        json_t *sh = json_array();
        int ok = sh != NULL;
        for (int i = 0; ok && i < t->ndim; i++) ok = push(sh, json_integer(t->shape[i]));
        if (!ok) {
          json_decref(sh);
          return fail(o);
        }
        if (!put(o, "shape", sh)) return fail(o);
      }
      return o;
    }
    case ZS_DICT:
      return json_pack("{s:s,s:s,s:s}", "type", "dictionary", "value", "utf8", "index", zs_kind_name(t->index));
    default:
      return json_string(zs_kind_name(t->kind));
  }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static json_t *field_to_json(const zs_field *f, int canonical) {
  json_t *o = json_object();
  if (!o) return NULL;
  if (f->id >= 0 && !put(o, "id", json_integer(f->id))) return fail(o);
  if (!put(o, "name", json_string(f->name)) || !put(o, "type", zs_type_to_json(f->type, canonical)) ||
      !put(o, "nullable", json_boolean(f->nullable)))
    return fail(o);
  if (f->naliases) {
    json_t *a = json_array();
    char **sorted = zs_calloc(f->naliases, sizeof *sorted);
    int ok = a && sorted;
    if (ok) {
      memcpy(sorted, f->aliases, f->naliases * sizeof *sorted);
      if (canonical) qsort(sorted, f->naliases, sizeof *sorted, cmp_str);
      for (size_t i = 0; ok && i < f->naliases; i++) ok = push(a, json_string(sorted[i]));
    }
    zs_free(sorted);
    if (!ok) {
      json_decref(a);
      return fail(o);
    }
    if (!put(o, "aliases", a)) return fail(o);
  }
  if (f->initial_default && json_object_set(o, "initial-default", f->initial_default) != 0) return fail(o);
  if (f->write_default && json_object_set(o, "write-default", f->write_default) != 0) return fail(o);
  if (!canonical) {
    if (f->doc && !put(o, "doc", json_string(f->doc))) return fail(o);
    if (f->metadata && json_object_set(o, "metadata", f->metadata) != 0) return fail(o);
  }
  return o;
}

static zr_status dump(json_t *j, size_t flags, char **out, zr_error *err) {
  if (!j) return zr__err_nomem(err);
  char *s = zs_json_dumps(j, flags | JSON_ENCODE_ANY);
  json_decref(j);
  if (!s) return zr__err_nomem(err);
  *out = s;
  return ZR_OK;
}

zr_status zr_schema_to_json(const zr_schema *s, int pretty, char **out, zr_error *err) {
  if (!s || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  json_t *j = zs_type_to_json(s->root, 0);
  if (j && s->doc && !put(j, "doc", json_string(s->doc))) j = fail(j);
  if (j && s->metadata && json_object_set(j, "metadata", s->metadata) != 0) j = fail(j);
  return dump(j, pretty ? JSON_INDENT(2) : JSON_COMPACT, out, err);
}

zr_status zr_schema_canonical(const zr_schema *s, char **out, zr_error *err) {
  if (!s || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  return dump(zs_type_to_json(s->root, 1), JSON_COMPACT | JSON_SORT_KEYS, out, err);
}

/* CRC-64-AVRO: the Rabin fingerprint of the Avro specification (EMPTY = 0xc15d213aa4d7a795). */
uint64_t zr_crc64_avro(const void *data, size_t len) {
  static uint64_t table[256];
  static int ready;
  const uint64_t empty = UINT64_C(0xc15d213aa4d7a795);
  if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
    for (int i = 0; i < 256; i++) {
      uint64_t fp = (uint64_t)i;
      for (int j = 0; j < 8; j++) fp = (fp >> 1) ^ (empty & (0 - (fp & 1)));
      table[i] = fp;
    }
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
  }
  const uint8_t *p = data;
  uint64_t fp = empty;
  for (size_t i = 0; i < len; i++) fp = (fp >> 8) ^ table[(fp ^ p[i]) & 0xff];
  return fp;
}

zr_status zs_fingerprints(const zr_schema *s, uint64_t *fp64, char hex[65], zr_error *err) {
  char *c = NULL;
  ZR_TRY(zr_schema_canonical(s, &c, err));
  if (fp64) *fp64 = zr_crc64_avro(c, strlen(c));
  zr_status st = ZR_OK;
  if (hex) {
    unsigned char md[32];
    unsigned int mdlen = 0;
    hex[0] = '\0';
    if (EVP_Digest(c, strlen(c), md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32)
      for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    else
      st = zr__err(err, ZR_ERR_INTERNAL, -1, "SHA-256 of the canonical form failed");
  }
  zs_free(c);
  return st;
}

uint64_t zr_schema_fingerprint64(const zr_schema *s) {
  uint64_t fp = 0;
  return zs_fingerprints(s, &fp, NULL, NULL) == ZR_OK ? fp : 0;
}

void zr_schema_fingerprint_sha256(const zr_schema *s, char hex[65]) {
  if (zs_fingerprints(s, NULL, hex, NULL) != ZR_OK) hex[0] = '\0';
}

size_t zr_schema_field_count(const zr_schema *s) { return s ? s->root->nfields : 0; }
const char *zr_schema_field_name(const zr_schema *s, size_t i) {
  return s && i < s->root->nfields ? s->root->fields[i].name : NULL;
}
int32_t zr_schema_field_id(const zr_schema *s, size_t i) { return s && i < s->root->nfields ? s->root->fields[i].id : -1; }
const char *zr_schema_field_type(const zr_schema *s, size_t i) {
  return s && i < s->root->nfields ? zs_type_text(s->root->fields[i].type) : NULL;
}

const char *zr_compat_mode_name(zr_compat_mode m) {
  static const char *const n[] = {"BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
                                  "FULL",     "FULL_TRANSITIVE",     "NONE"};
  return (unsigned)m < 7 ? n[m] : "?";
}

zr_status zr_compat_mode_parse(const char *name, zr_compat_mode *out) {
  if (!name || !out) return ZR_ERR_INVALID_ARG;
  for (int i = 0; i < 7; i++)
    if (strcasecmp(name, zr_compat_mode_name((zr_compat_mode)i)) == 0) {
      *out = (zr_compat_mode)i;
      return ZR_OK;
    }
  return ZR_ERR_INVALID_ARG;
}

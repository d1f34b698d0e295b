/* Compatibility checking (rules in docs/formats/schema.md and ../shared/schema-rules.md). */
#include <stdio.h>
#include <stdlib.h>

#include "schema/schema_internal.h"

typedef struct report_item {
  zr_compat_violation v;
  char *strings; /* one allocation holding the strings of v */
} report_item;

struct zr_compat_report {
  report_item *items;
  size_t n, cap;
};

zr_compat_report *zs_report_new(void) { return zs_calloc(1, sizeof(zr_compat_report)); }

size_t zr_compat_report_count(const zr_compat_report *r) { return r ? r->n : 0; }
const zr_compat_violation *zr_compat_report_at(const zr_compat_report *r, size_t i) {
  return r && i < r->n ? &r->items[i].v : NULL;
}

void zr_compat_report_free(zr_compat_report *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) zs_free(r->items[i].strings);
  zs_free(r->items);
  zs_free(r);
}

zr_status zs_report_add(zr_compat_report *r, const char *subject, int version, zr_compat_direction dir,
                            const char *path, int32_t id, const char *rule, const char *wt, const char *rt,
                            const char *fix) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 8;
    report_item *it = zs_realloc(r->items, cap * sizeof *it);
    if (!it) return ZR_ERR_NOMEM;
    r->items = it;
    r->cap = cap;
  }
  const char *src[6] = {subject ? subject : "", path, rule, wt ? wt : "-", rt ? rt : "-", fix ? fix : "-"};
  size_t len[6], total = 0;
  for (int i = 0; i < 6; i++) total += (len[i] = strlen(src[i])) + 1;
  char *buf = zs_malloc(total);
  if (!buf) return ZR_ERR_NOMEM;
  const char *dst[6];
  char *p = buf;
  for (int i = 0; i < 6; i++) {
    memcpy(p, src[i], len[i] + 1);
    dst[i] = p;
    p += len[i] + 1;
  }
  report_item *it = &r->items[r->n++];
  it->strings = buf;
  it->v = (zr_compat_violation){dst[0], version, dir, dst[1], id, dst[2], dst[3], dst[4], dst[5]};
  return ZR_OK;
}

char *zr_compat_report_text(const zr_compat_report *r) {
  zr__buf b;
  zr__buf_init(&b, zs_alloc());
  zr_status st = ZR_OK;
  for (size_t i = 0; st == ZR_OK && r && i < r->n; i++) {
    const zr_compat_violation *v = &r->items[i].v;
    st = zr__buf_printf(&b, "%s%s%sversion %d, %s: field %s (id %d): %s: writer %s, reader %s; fix: %s\n", v->subject,
                   *v->subject ? " " : "", "", v->version, v->direction == ZR_DIR_BACKWARD ? "BACKWARD" : "FORWARD",
                   v->path, v->field_id, v->rule, v->writer_type, v->reader_type, v->fix);
  }
  if (st != ZR_OK || zr__buf_push(&b, 0) != ZR_OK) {
    zr__buf_free(&b);
    return NULL;
  }
  return (char *)b.data;
}

char *zr_compat_report_json(const zr_compat_report *r) {
  json_t *a = json_array();
  for (size_t i = 0; a && r && i < r->n; i++) {
    const zr_compat_violation *v = &r->items[i].v;
    json_t *o = json_pack("{s:s,s:i,s:s,s:s,s:i,s:s,s:s,s:s,s:s}", "subject", v->subject, "version",
                                       v->version, "direction", v->direction == ZR_DIR_BACKWARD ? "BACKWARD" : "FORWARD",
                                       "path", v->path, "field_id", v->field_id, "rule", v->rule, "writer_type",
                                       v->writer_type, "reader_type", v->reader_type, "fix", v->fix);
    if (!o || json_array_append_new(a, o) != 0) {
      json_decref(a);
      a = NULL;
    }
  }
  char *s = a ? zs_json_dumps(a, JSON_COMPACT) : NULL;
  json_decref(a);
  return s;
}

/* ---- the checker ---- */
typedef struct chk {
  zr_compat_report *r;
  const char *subject;
  int version;
  zr_compat_direction dir;
  zr_status st;
} chk;

/* readable text of @p t; out of memory stops the check */
static const char *ttext(chk *c, zs_type *t) {
  const char *s = zs_type_text(t);
  if (s == zs_text_oom && c->st == ZR_OK) c->st = ZR_ERR_NOMEM;
  return s;
}

static void violation(chk *c, const char *path, int32_t id, const char *rule, zs_type *w, zs_type *r, const char *fix) {
  if (c->st != ZR_OK) return;
  const char *wt = w ? ttext(c, w) : "-", *rt = r ? ttext(c, r) : "-";
  if (c->st != ZR_OK) return;
  c->st = zs_report_add(c->r, c->subject, c->version, c->dir, path, id, rule, wt, rt, fix);
}

/* Is reading a writer value of numeric kind w as reader kind r a (lossless or documented lossy) widening? */
static int numeric_widening(zs_kind w, zs_kind r) {
  int wb = zs_int_bits(w), rb = zs_int_bits(r);
  if (zs_is_int(w) && zs_is_int(r)) return rb > wb;
  if (zs_is_uint(w) && zs_is_uint(r)) return rb > wb;
  if (zs_is_uint(w) && zs_is_int(r)) return rb > wb;
  if ((zs_is_int(w) || zs_is_uint(w)) && zs_is_float(r)) {
    if (r == ZS_FLOAT16) return 0;
    return 1; /* int8/16 → float32 and ≤32 → float64 lossless; 32→f32 and 64→f64 lossy but promotions */
  }
  if (zs_is_float(w) && zs_is_float(r)) return rb > wb;
  return 0;
}

static int is_numeric(zs_kind k) { return zs_is_int(k) || zs_is_uint(k) || zs_is_float(k); }
static int is_nested(zs_kind k) { return k == ZS_STRUCT || k == ZS_LIST || k == ZS_MAP; }

static void check_fields(chk *c, zs_type *reader, zs_type *writer, const char *path);
static void check_field_pair(chk *c, zs_field *rf, zs_field *wf, const char *path);

/* path.name, truncated to cap */
static void join(char *dst, size_t cap, const char *path, const char *name) {
  size_t pos = 0;
  for (const char *s = path; *s && pos + 1 < cap; s++) dst[pos++] = *s;
  if (*path && pos + 1 < cap) dst[pos++] = '.';
  for (const char *s = name; *s && pos + 1 < cap; s++) dst[pos++] = *s;
  dst[pos] = '\0';
}

static void check_type(chk *c, zs_type *r, zs_type *w, const char *path, int32_t id) {
  if (w->kind == ZS_NULL) return; /* null → anything (nullability is checked on the field) */
  if (r->kind == ZS_NULL) {
    violation(c, path, id, "TYPE_MISMATCH", w, r, "a null-typed reader cannot hold values; use a nullable type");
    return;
  }
  if ((r->kind == ZS_UTF8 && w->kind == ZS_DICT) || (r->kind == ZS_DICT && w->kind == ZS_UTF8)) return;
  if (r->kind != w->kind) {
    if (is_numeric(r->kind) && is_numeric(w->kind)) {
      if (!numeric_widening(w->kind, r->kind))
        violation(c, path, id, "TYPE_NARROWING", w, r,
                  "narrowing is range-checked at read time and only forward compatible; widen instead");
      return;
    }
    if (w->kind == ZS_UTF8 && r->kind == ZS_BINARY) return;
    if (w->kind == ZS_BINARY && r->kind == ZS_UTF8) {
      violation(c, path, id, "TYPE_NARROWING", w, r, "binary → utf8 needs a UTF-8 check; keep binary");
      return;
    }
    if (w->kind == ZS_DATE && r->kind == ZS_TIMESTAMP) {
      if (r->tz) violation(c, path, id, "TYPE_MISMATCH", w, r, "date widens only to a timestamp without time zone");
      return;
    }
    if (w->kind == ZS_TIMESTAMP && r->kind == ZS_DATE) {
      if (w->tz) violation(c, path, id, "TYPE_MISMATCH", w, r, "a timestamp with a time zone does not become a date");
      else violation(c, path, id, "TYPE_NARROWING", w, r, "timestamp → date loses the time of day");
      return;
    }
    if ((w->kind == ZS_BOOL && is_numeric(r->kind)) || (r->kind == ZS_BOOL && is_numeric(w->kind))) {
      violation(c, path, id, "TYPE_MISMATCH", w, r, "bool and numbers do not convert; add a new field");
      return;
    }
    if (is_nested(r->kind) || is_nested(w->kind))
      violation(c, path, id, "TYPE_STRUCTURE_CHANGED", w, r, "struct, list and scalar do not convert; add a new field");
    else
      violation(c, path, id, "TYPE_MISMATCH", w, r, "the types do not convert; add a new field with a new id");
    return;
  }
  switch (r->kind) {
    case ZS_DECIMAL:
      if (r->scale != w->scale) violation(c, path, id, "DECIMAL_SCALE_CHANGED", w, r, "keep the scale; widen the precision only");
      else if (r->precision < w->precision) violation(c, path, id, "TYPE_NARROWING", w, r, "decimal precision may only grow");
      return;
    case ZS_TIMESTAMP:
      if ((r->tz == NULL) != (w->tz == NULL)) {
        violation(c, path, id, "TIMESTAMP_TZ_CHANGED", w, r, "a time zone cannot be added or removed; add a new field");
        return;
      }
      /* fallthrough */
    case ZS_TIME:
    case ZS_DURATION:
      if (r->unit < w->unit)
        violation(c, path, id, "TYPE_NARROWING", w, r, "a coarser time unit loses precision; keep the finer unit");
      return;
    case ZS_LIST:
      check_field_pair(c, r->elem, w->elem, path);
      return;
    case ZS_MAP: {
      const char *rk = ttext(c, r->key->type), *wk = ttext(c, w->key->type);
      if (c->st != ZR_OK) return;
      if (strcmp(rk, wk) != 0) {
        violation(c, path, id, "MAP_KEY_CHANGED", w->key->type, r->key->type, "map key types never change");
        return;
      }
      check_field_pair(c, r->value, w->value, path);
      return;
    }
    case ZS_STRUCT:
      check_fields(c, r, w, path);
      return;
    case ZS_TENSOR:
      if (r->dtype != w->dtype) {
        if (!(is_numeric(r->dtype) && is_numeric(w->dtype) && numeric_widening(w->dtype, r->dtype)))
          violation(c, path, id, "TYPE_NARROWING", w, r, "tensor dtypes follow the scalar widening rules");
      }
      if (r->shape && !w->shape) {
        violation(c, path, id, "TENSOR_SHAPE_CHANGED", w, r, "a variable shape cannot become fixed");
      } else if (r->shape && w->shape) {
        int same = r->ndim == w->ndim;
        for (int i = 0; same && i < r->ndim; i++) same = r->shape[i] == w->shape[i];
        if (!same) violation(c, path, id, "TENSOR_SHAPE_CHANGED", w, r, "tensor shapes never change; add a new field");
      }
      return;
    default:
      return;
  }
}

static void check_field_pair(chk *c, zs_field *rf, zs_field *wf, const char *path) {
  char p[ZR_ERROR_PATH_MAX];
  join(p, sizeof p, path, rf->name);
  if (wf->nullable && !rf->nullable)
    violation(c, p, rf->id, "READER_REQUIRED_WRITER_NULLABLE", wf->type, rf->type,
              c->dir == ZR_DIR_BACKWARD ? "old data may hold nulls: give a fill value or keep the field nullable"
                                        : "old readers reject nulls: keep the field required");
  if (rf->initial_default && wf->initial_default && !json_equal(rf->initial_default, wf->initial_default))
    violation(c, p, rf->id, "INITIAL_DEFAULT_CHANGED", wf->type, rf->type, "the initial default never changes");
  check_type(c, rf->type, wf->type, p, rf->id);
}

static int has_alias(const zs_field *f, const char *name) {
  for (size_t i = 0; i < f->naliases; i++)
    if (strcmp(f->aliases[i], name) == 0) return 1;
  return 0;
}

zs_field *zs_match(zs_field *rf, zs_type *writer) {
  if (rf->id >= 0) {
    for (size_t i = 0; i < writer->nfields; i++)
      if (writer->fields[i].id == rf->id) return &writer->fields[i];
    int writer_has_ids = 0;
    for (size_t i = 0; i < writer->nfields; i++) writer_has_ids |= writer->fields[i].id >= 0;
    if (writer_has_ids) return NULL;
  }
  for (size_t i = 0; i < writer->nfields; i++)
    if (strcmp(writer->fields[i].name, rf->name) == 0) return &writer->fields[i];
  for (size_t i = 0; i < writer->nfields; i++)
    if (has_alias(rf, writer->fields[i].name) || has_alias(&writer->fields[i], rf->name)) return &writer->fields[i];
  return NULL;
}

static void check_fields(chk *c, zs_type *reader, zs_type *writer, const char *path) {
  for (size_t i = 0; i < reader->nfields; i++) {
    zs_field *rf = &reader->fields[i];
    zs_field *wf = zs_match(rf, writer);
    if (!wf) {
      if (!rf->nullable && !rf->initial_default) {
        char p[ZR_ERROR_PATH_MAX];
        join(p, sizeof p, path, rf->name);
        violation(c, p, rf->id, "READER_FIELD_MISSING_DEFAULT", NULL, rf->type,
                  c->dir == ZR_DIR_BACKWARD ? "give it a default or make it nullable"
                                            : "old readers need a default for the removed field");
      }
      continue;
    }
    check_field_pair(c, rf, wf, path);
  }
}

/* ---- id → (path, name, type) index for move and reuse detection ---- */
typedef struct id_entry {
  int32_t id;
  char parent[ZR_ERROR_PATH_MAX];
  const zs_field *f;
} id_entry;
typedef struct id_index {
  id_entry *e;
  size_t n, cap;
  int oom; /* an entry could not be stored: the index is incomplete */
} id_index;

static void index_type(id_index *ix, const zs_type *t, const char *path);
static void index_field(id_index *ix, const zs_field *f, const char *parent) {
  if (f->id >= 0) {
    if (ix->n == ix->cap) {
      size_t cap = ix->cap ? ix->cap * 2 : 16;
      id_entry *e = zs_realloc(ix->e, cap * sizeof *e);
      if (!e) {
        ix->oom = 1;
        return;
      }
      ix->e = e;
      ix->cap = cap;
    }
    id_entry *e = &ix->e[ix->n++];
    e->id = f->id;
    snprintf(e->parent, sizeof e->parent, "%s", parent);
    e->f = f;
  }
  char p[ZR_ERROR_PATH_MAX];
  join(p, sizeof p, parent, f->name);
  index_type(ix, f->type, p);
}
static void index_type(id_index *ix, const zs_type *t, const char *path) {
  if (t->kind == ZS_STRUCT)
    for (size_t i = 0; i < t->nfields; i++) index_field(ix, &t->fields[i], path);
  else if (t->kind == ZS_LIST) index_field(ix, t->elem, path);
  else if (t->kind == ZS_MAP) {
    index_field(ix, t->key, path);
    index_field(ix, t->value, path);
  }
}
static const id_entry *index_find(const id_index *ix, int32_t id) {
  for (size_t i = 0; i < ix->n; i++)
    if (ix->e[i].id == id) return &ix->e[i];
  return NULL;
}

/* fields that moved between structs: same id, different parent path */
static void check_moves(chk *c, const zr_schema *reader, const zr_schema *writer) {
  id_index ri = {0}, wi = {0};
  index_type(&ri, reader->root, "");
  index_type(&wi, writer->root, "");
  if ((ri.oom || wi.oom) && c->st == ZR_OK) c->st = ZR_ERR_NOMEM;
  for (size_t i = 0; i < ri.n && c->st == ZR_OK; i++) {
    const id_entry *w = index_find(&wi, ri.e[i].id);
    if (w && strcmp(w->parent, ri.e[i].parent) != 0) {
      char p[ZR_ERROR_PATH_MAX];
      join(p, sizeof p, ri.e[i].parent, ri.e[i].f->name);
      violation(c, p, ri.e[i].id, "FIELD_MOVED", w->f->type, ri.e[i].f->type,
                "moving a field into or out of a struct is breaking; add a new field");
    }
  }
  zs_free(ri.e);
  zs_free(wi.e);
}

zr_status zr_schema_check_read(const zr_schema *reader, const zr_schema *writer, zr_compat_direction direction,
                               const char *subject, int version, zr_compat_report **report, zr_error *err) {
  if (!reader || !writer || !report) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (!*report) {
    *report = zs_report_new();
    if (!*report) return zr__err_nomem(err);
  }
  chk c = {*report, subject, version, direction, ZR_OK};
  check_fields(&c, reader->root, writer->root, "");
  check_moves(&c, reader, writer);
  if (c.st != ZR_OK) return zr__err_nomem(err);
  return ZR_OK;
}

/* An id present in an older version, absent from the latest, and back with another name or type. */
static zr_status check_id_reuse(const zr_schema *s, const zr_schema *const *history, size_t n, const char *subject,
                                zr_compat_report *r) {
  if (n == 0) return ZR_OK;
  id_index cur = {0}, last = {0};
  index_type(&cur, s->root, "");
  index_type(&last, history[n - 1]->root, "");
  chk c = {r, subject, (int)n, ZR_DIR_BACKWARD, ZR_OK};
  if (cur.oom || last.oom) c.st = ZR_ERR_NOMEM;
  for (size_t i = 0; i < cur.n && c.st == ZR_OK; i++) {
    const id_entry *e = &cur.e[i];
    if (index_find(&last, e->id)) continue; /* present in the latest: renames and type changes are checked pairwise */
    for (size_t h = n - 1; h-- > 0;) {
      id_index old = {0};
      index_type(&old, history[h]->root, "");
      if (old.oom) c.st = ZR_ERR_NOMEM;
      const id_entry *o = c.st == ZR_OK ? index_find(&old, e->id) : NULL;
      int reused = o && (strcmp(o->f->name, e->f->name) != 0 ||
                         strcmp(ttext(&c, o->f->type), ttext(&c, e->f->type)) != 0);
      if (c.st != ZR_OK) {
        zs_free(old.e);
        break;
      }
      if (reused) {
        char p[ZR_ERROR_PATH_MAX];
        join(p, sizeof p, e->parent, e->f->name);
        c.version = (int)h + 1;
        violation(&c, p, e->id, "FIELD_ID_REUSED", o->f->type, e->f->type,
                  "ids are never reused: give the new field a fresh id");
      }
      zs_free(old.e);
      if (o) break; /* the newest version that had the id decides */
    }
  }
  zs_free(cur.e);
  zs_free(last.e);
  return c.st;
}

zr_status zr_schema_check(const zr_schema *s, const zr_schema *const *history, size_t n, zr_compat_mode mode,
                          const char *subject, zr_compat_report **report, zr_error *err) {
  if (!s || (n && !history) || !report) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  *report = zs_report_new();
  if (!*report) return zr__err_nomem(err);
  if (mode == ZR_COMPAT_NONE || n == 0) return ZR_OK;
  int transitive = mode == ZR_COMPAT_BACKWARD_TRANSITIVE || mode == ZR_COMPAT_FORWARD_TRANSITIVE ||
                   mode == ZR_COMPAT_FULL_TRANSITIVE;
  int back = mode == ZR_COMPAT_BACKWARD || mode == ZR_COMPAT_BACKWARD_TRANSITIVE || mode == ZR_COMPAT_FULL ||
             mode == ZR_COMPAT_FULL_TRANSITIVE;
  int fwd = mode == ZR_COMPAT_FORWARD || mode == ZR_COMPAT_FORWARD_TRANSITIVE || mode == ZR_COMPAT_FULL ||
            mode == ZR_COMPAT_FULL_TRANSITIVE;
  size_t from = transitive ? 0 : n - 1;
  for (size_t i = n; i-- > from;) { /* newest first */
    if (back) ZR_TRY(zr_schema_check_read(s, history[i], ZR_DIR_BACKWARD, subject, (int)i + 1, report, err));
    if (fwd) ZR_TRY(zr_schema_check_read(history[i], s, ZR_DIR_FORWARD, subject, (int)i + 1, report, err));
  }
  if (check_id_reuse(s, history, n, subject, *report) != ZR_OK) return zr__err_nomem(err);
  return ZR_OK;
}

/* Internal schema representation (src/schema only). */
#ifndef ZERIAL_SCHEMA_INTERNAL_H
#define ZERIAL_SCHEMA_INTERNAL_H

#include <jansson.h>

#include "core/internal.h"
#include "zerial/schema.h"

/* ---- memory ----
 * Every block the schema module allocates itself (types, fields, reports, registry handles,
 * lists, and the strings it returns to callers) comes from zs_alloc(): the C library's allocator,
 * so callers free returned strings with zr_free(), unless zr__schema_set_allocator() installed
 * another. jansson values use jansson's own allocator (json_set_alloc_funcs). */
const zr_allocator *zs_alloc(void);
#define zs_malloc(n) zr__malloc(zs_alloc(), (n))
#define zs_realloc(p, n) zr__realloc(zs_alloc(), (p), (n))
#define zs_free(p) zr__free(zs_alloc(), (p))
void *zs_calloc(size_t n, size_t size);
char *zs_strdup(const char *s);
char *zs_strndup(const char *s, size_t n);
/* @p j as text (json_dumps flags) in memory of zs_alloc(); NULL when out of memory */
char *zs_json_dumps(const json_t *j, size_t flags);
/* json_loadb that tells running out of memory apart from bad text: NULL with *oom set when
 * jansson could not allocate (its error record then says nothing useful) */
json_t *zs_json_loadb(const char *text, size_t len, size_t flags, json_error_t *je, int *oom);
/* Test seam: make the schema module allocate with @p a (NULL: the C library again). Install it
 * while no schema object exists (objects are freed with the allocator current at free time);
 * memory returned to the caller then comes from @p a too. */
void zr__schema_set_allocator(const zr_allocator *a);

typedef enum zs_kind {
  ZS_NULL, ZS_BOOL,
  ZS_INT8, ZS_INT16, ZS_INT32, ZS_INT64,
  ZS_UINT8, ZS_UINT16, ZS_UINT32, ZS_UINT64,
  ZS_FLOAT16, ZS_FLOAT32, ZS_FLOAT64,
  ZS_DECIMAL, ZS_UTF8, ZS_BINARY, ZS_TIMESTAMP, ZS_DATE, ZS_TIME, ZS_DURATION,
  ZS_LIST, ZS_STRUCT, ZS_MAP, ZS_TENSOR, ZS_DICT
} zs_kind;

typedef struct zs_type zs_type;

typedef struct zs_field {
  int32_t id;          /* -1 when absent */
  char *name;
  char **aliases;
  size_t naliases;
  zs_type *type;
  int nullable;
  json_t *initial_default; /* NULL when absent */
  json_t *write_default;
  char *doc;
  json_t *metadata;
} zs_field;

struct zs_type {
  zs_kind kind;
  int precision, scale;   /* decimal */
  int unit;               /* zr_time_unit: timestamp, time, duration */
  char *tz;               /* timestamp */
  zs_field *elem;         /* list element */
  zs_field *key, *value;  /* map */
  zs_field *fields;       /* struct */
  size_t nfields;
  zs_kind dtype;          /* tensor element */
  int64_t *shape;         /* tensor; NULL = variable shape */
  int ndim;
  zs_kind index;          /* dictionary index type */
  char *text;             /* readable form, built on demand */
};

struct zr_schema {
  zs_type *root; /* a struct */
  char *doc;
  json_t *metadata;
};

const char *zs_kind_name(zs_kind k);
int zs_is_int(zs_kind k);
int zs_is_uint(zs_kind k);
int zs_is_float(zs_kind k);
int zs_int_bits(zs_kind k);
const char *zs_type_text(zs_type *t); /* cached readable string; zs_text_oom when out of memory */
extern const char zs_text_oom[];
zs_type *zs_type_new(zs_kind k);
void zs_type_free(zs_type *t);
void zs_field_clear(zs_field *f);
zr_status zs_type_from_json(json_t *j, zs_type **out, const char *path, zr_error *err);
json_t *zs_type_to_json(const zs_type *t, int canonical);
const char *zs_unit_name(int unit);
/* CRC-64-AVRO and SHA-256 (hex) of the canonical form (either may be NULL); ZR_ERR_NOMEM when out of memory */
zr_status zs_fingerprints(const zr_schema *s, uint64_t *fp64, char hex[65], zr_error *err);
/* writer field matching reader field rf: by id when both carry ids, else name, then alias */
zs_field *zs_match(zs_field *rf, zs_type *writer);

zr_compat_report *zs_report_new(void);
/* append a violation (strings copied) */
zr_status zs_report_add(zr_compat_report *r, const char *subject, int version, zr_compat_direction dir,
                        const char *path, int32_t id, const char *rule, const char *wt, const char *rt, const char *fix);

/* remote registry (libcurl) behind a zr_registry opened with an http(s) URL */
typedef struct zs_remote zs_remote;
zr_status zs_remote_open(const char *url, zs_remote **out, zr_error *err);
void zs_remote_close(zs_remote *rm);
zr_status zs_remote_register(zs_remote *rm, const char *subject, const zr_schema *s, zr_register_result *res,
                             zr_compat_report **report, zr_error *err);
zr_status zs_remote_check(zs_remote *rm, const char *subject, const zr_schema *s, zr_compat_report **report, zr_error *err);
zr_status zs_remote_get(zs_remote *rm, const char *subject, int version, zr_schema **out, int64_t *id, int *got_version,
                        zr_error *err);
zr_status zs_remote_get_by_id(zs_remote *rm, int64_t id, zr_schema **out, zr_error *err);
zr_status zs_remote_list(zs_remote *rm, const char *subject, char **json, zr_error *err);
zr_status zs_remote_delete(zs_remote *rm, const char *subject, int version, int permanent, zr_error *err);
zr_status zs_remote_get_mode(zs_remote *rm, const char *subject, zr_compat_mode *mode, zr_error *err);
zr_status zs_remote_set_mode(zs_remote *rm, const char *subject, zr_compat_mode mode, zr_error *err);

#endif

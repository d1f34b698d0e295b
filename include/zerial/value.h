/**
 * @file value.h
 * @brief The value model: ::zr_value trees living in a ::zr_doc.
 *
 * A doc owns an arena; every value, string and container array inside it lives as long as the
 * doc. A doc returned by a decoder in zero-copy mode may *borrow* strings, binaries and tensor
 * data from the input: the input must then outlive the doc (ask the decoder to copy otherwise).
 * The same type builds values for encoding: scalars are made by value with the inline
 * constructors below; strings are referenced (`zr_str_ref`, the caller keeps the bytes alive) or
 * copied into the doc (`zr_str_copy`); containers grow with zr_list_push() and zr_map_put().
 *
 * Builder calls that allocate record the first failure in the doc (zr_doc_status()) and return
 * a null value or the failing status, so a builder can check once at the end.
 *
 * Thread safety: a doc may be read from many threads at once; building (any call taking a
 * non-const doc) needs one thread at a time per doc.
 */
#ifndef ZERIAL_VALUE_H
#define ZERIAL_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "io.h"
#include "status.h"
#include "table.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Kinds of value. Numbers are stable. */
typedef enum zr_kind {
  ZR_KIND_NULL = 0,      /**< null / None / nil */
  ZR_KIND_BOOL = 1,      /**< u.b */
  ZR_KIND_INT = 2,       /**< u.i: int64 */
  ZR_KIND_UINT = 3,      /**< u.u: uint64 (producers use it for values above INT64_MAX) */
  ZR_KIND_BIGINT = 4,    /**< sign in flags (ZR_VF_NEGATIVE), magnitude little-endian bytes u.bin / n.len */
  ZR_KIND_FLOAT = 5,     /**< u.f: double; ZR_VF_F32 when it came from / should go to float32 */
  ZR_KIND_STRING = 6,    /**< u.str / n.len: UTF-8, not NUL-terminated in general */
  ZR_KIND_BINARY = 7,    /**< u.bin / n.len */
  ZR_KIND_SYMBOL = 8,    /**< u.str / n.len: an atom / symbol name (UTF-8) */
  ZR_KIND_LIST = 9,      /**< u.items / n.len */
  ZR_KIND_TUPLE = 10,    /**< u.items / n.len */
  ZR_KIND_MAP = 11,      /**< u.members / n.len: ordered, keys of any kind */
  ZR_KIND_TIMESTAMP = 12,/**< u.i count of aux16 (::zr_time_unit) since 1970-01-01T00:00:00Z; tz NUL-terminated or NULL in n.tz */
  ZR_KIND_TENSOR = 13,   /**< u.tensor */
  ZR_KIND_TABLE = 14,    /**< u.table */
  ZR_KIND_EXT = 15       /**< custom type: aux32 type id, aux16 version, u.bin / n.len bytes */
} zr_kind;

/** @brief Value flag: a float that was (or should be written as) float32. */
#define ZR_VF_F32 0x01u
/** @brief Value flag: a negative bigint. */
#define ZR_VF_NEGATIVE 0x02u

/** @brief A value (see struct zr_value). */
typedef struct zr_value zr_value;
/** @brief A map entry (see struct zr_member). */
typedef struct zr_member zr_member;

/**
 * @brief One value (24 bytes). Read fields through the accessors; layout is public for speed.
 */
struct zr_value {
  uint8_t kind;   /**< ::zr_kind */
  uint8_t flags;  /**< ZR_VF_* */
  uint16_t aux16; /**< timestamp unit; ext version */
  uint32_t aux32; /**< ext type id; capacity of a container being built */
  /** @brief Length or count, or the time zone of a timestamp (by kind). */
  union {
    uint64_t len;   /**< length of strings, binaries, bigints, ext bytes; count of items/members */
    const char *tz; /**< timestamp time zone (NUL-terminated) or NULL */
  } n;
  /** @brief The payload (by kind). */
  union {
    int b;                /**< bool */
    int64_t i;            /**< int, timestamp */
    uint64_t u;           /**< uint */
    double f;             /**< float */
    const char *str;      /**< string, symbol */
    const uint8_t *bin;   /**< binary, bigint magnitude, ext bytes */
    zr_value *items;      /**< list, tuple */
    zr_member *members;   /**< map */
    zr_tensor *tensor;    /**< tensor */
    zr_table *table;      /**< table */
  } u;
};

/** @brief A map entry. */
struct zr_member {
  zr_value key; /**< any kind */
  zr_value val; /**< any kind */
};

/** @brief Opaque document: an arena holding a value tree. */
typedef struct zr_doc zr_doc;

/** @brief What decoders do with repeated map keys. */
typedef enum zr_dup_policy {
  ZR_DUP_KEEP = 0,  /**< keep every entry in order (default: maps are ordered multimaps) */
  ZR_DUP_ERROR = 1, /**< fail with ZR_ERR_MALFORMED */
  ZR_DUP_FIRST = 2, /**< keep the first entry */
  ZR_DUP_LAST = 3   /**< keep the last entry (in the position of the first) */
} zr_dup_policy;

/** @brief Default maximum nesting depth of decoders. */
#define ZR_DEFAULT_MAX_DEPTH 512u
/** @brief Default maximum number of values one decode may produce. */
#define ZR_DEFAULT_MAX_ELEMENTS (UINT64_C(1) << 28)
/** @brief Default maximum bytes one decode may allocate or produce (4 GiB). */
#define ZR_DEFAULT_MAX_BYTES (UINT64_C(1) << 32)

/**
 * @brief Options shared by every decoder. Initialise with zr_decode_opts_init().
 */
typedef struct zr_decode_opts {
  const zr_allocator *alloc;  /**< allocator for the doc (NULL: default) */
  uint32_t max_depth;         /**< nesting limit */
  uint64_t max_elements;      /**< values limit */
  uint64_t max_bytes;         /**< allocation / output limit */
  int copy;                   /**< 0: views into the input (default); 1: copy everything */
  int validate_utf8;          /**< 1 (default): strings and symbols must be UTF-8 */
  zr_dup_policy dup_keys;     /**< repeated map keys */
} zr_decode_opts;

/** @brief Fill @p o with the safe defaults. */
ZR_API void zr_decode_opts_init(zr_decode_opts *o);

/** @brief Create an empty doc (root null). Returns NULL when out of memory. Free with zr_doc_free(). */
ZR_API zr_doc *zr_doc_new(const zr_allocator *alloc);

/** @brief Free a doc, its arena, and release tensors, tables and keep-alive owners it holds. NULL-safe. */
ZR_API void zr_doc_free(zr_doc *doc);

/** @brief The root value; valid as long as the doc. Never NULL for a non-NULL doc. */
ZR_API const zr_value *zr_doc_root(const zr_doc *doc);

/** @brief Set the root (the value is copied; containers keep sharing their arrays). */
ZR_API zr_status zr_doc_set_root(zr_doc *doc, zr_value v);

/** @brief First allocation failure recorded by a builder call, or ZR_OK. */
ZR_API zr_status zr_doc_status(const zr_doc *doc);

/** @brief Arena memory living as long as the doc (@p align a power of two ≤ 64). NULL on failure. */
ZR_API void *zr_doc_alloc(zr_doc *doc, size_t size, size_t align);

/**
 * @brief Register @p release(@p owner) to run when the doc is freed (e.g. to keep a mapping alive
 * while values borrow from it). Runs in reverse order of registration.
 */
ZR_API zr_status zr_doc_keep(zr_doc *doc, void (*release)(void *owner), void *owner);

/**
 * @brief Empty @p doc for reuse (NULL-safe): runs the releases registered with zr_doc_keep(),
 * forgets every value (the root becomes null, the status ZR_OK) and keeps the arena's memory, so
 * values built or decoded into the doc afterwards (zr_binary_decode_into(),
 * zr_binary_decode_next()) reuse it instead of asking the allocator for fresh pages. Every
 * pointer into the doc's old values becomes invalid. The memory is returned by zr_doc_free().
 * Not thread-safe for one doc (no other call may use it at the same time).
 */
ZR_API void zr_doc_reset(zr_doc *doc);

/** @brief Bytes the doc's arena holds in live values (for metrics and limits; memory kept for
 * reuse by zr_doc_reset() is not counted). */
ZR_API uint64_t zr_doc_bytes(const zr_doc *doc);

/* ---- inline constructors (no allocation) ---- */

/** @brief A null value. */
static inline zr_value zr_null(void) { zr_value v; memset(&v, 0, sizeof v); return v; }
/** @brief A bool value. */
static inline zr_value zr_bool(int b) { zr_value v = zr_null(); v.kind = ZR_KIND_BOOL; v.u.b = b ? 1 : 0; return v; }
/** @brief An int64 value. */
static inline zr_value zr_int(int64_t i) { zr_value v = zr_null(); v.kind = ZR_KIND_INT; v.u.i = i; return v; }
/** @brief A uint64 value. */
static inline zr_value zr_uint(uint64_t u) { zr_value v = zr_null(); v.kind = ZR_KIND_UINT; v.u.u = u; return v; }
/** @brief A float64 value. */
static inline zr_value zr_float(double f) { zr_value v = zr_null(); v.kind = ZR_KIND_FLOAT; v.u.f = f; return v; }
/** @brief A float value marked as float32. */
static inline zr_value zr_float32(float f) { zr_value v = zr_float((double)f); v.flags = ZR_VF_F32; return v; }
/** @brief A string referencing caller bytes (must outlive every use of the value). */
static inline zr_value zr_str_ref(const char *s, size_t len) { zr_value v = zr_null(); v.kind = ZR_KIND_STRING; v.u.str = s; v.n.len = len; return v; }
/** @brief A string referencing a NUL-terminated C string. */
static inline zr_value zr_cstr_ref(const char *s) { return zr_str_ref(s, strlen(s)); }
/** @brief A binary referencing caller bytes. */
static inline zr_value zr_bin_ref(const void *p, size_t len) { zr_value v = zr_null(); v.kind = ZR_KIND_BINARY; v.u.bin = (const uint8_t *)p; v.n.len = len; return v; }
/** @brief A symbol referencing caller bytes. */
static inline zr_value zr_sym_ref(const char *s, size_t len) { zr_value v = zr_str_ref(s, len); v.kind = ZR_KIND_SYMBOL; return v; }

/* ---- constructors that allocate in the doc ---- */

/** @brief A string copied into the doc. */
ZR_API zr_value zr_str_copy(zr_doc *doc, const char *s, size_t len);
/** @brief A binary copied into the doc. */
ZR_API zr_value zr_bin_copy(zr_doc *doc, const void *p, size_t len);
/** @brief A symbol copied into the doc. */
ZR_API zr_value zr_sym_copy(zr_doc *doc, const char *s, size_t len);
/** @brief A bigint from a sign and little-endian magnitude bytes (copied; leading zero bytes trimmed). */
ZR_API zr_value zr_bigint(zr_doc *doc, int negative, const uint8_t *mag_le, size_t len);
/** @brief A timestamp: @p value units of @p unit since the epoch, @p tz (copied) or NULL. */
ZR_API zr_value zr_timestamp(zr_doc *doc, int64_t value, zr_time_unit unit, const char *tz);
/** @brief A tensor (struct copied into the doc; the doc calls its release when freed). */
ZR_API zr_value zr_tensor_value(zr_doc *doc, const zr_tensor *t);
/** @brief A table, moved into the doc (@p t is zeroed; the doc releases it when freed). */
ZR_API zr_value zr_table_value(zr_doc *doc, zr_table *t);
/** @brief An ext value of custom type @p type_id, @p version, bytes copied. */
ZR_API zr_value zr_ext(zr_doc *doc, uint32_t type_id, uint16_t version, const void *p, size_t len);
/** @brief An empty list with room for @p cap items. */
ZR_API zr_value zr_list_new(zr_doc *doc, size_t cap);
/** @brief An empty tuple with room for @p cap items. */
ZR_API zr_value zr_tuple_new(zr_doc *doc, size_t cap);
/** @brief An empty map with room for @p cap entries. */
ZR_API zr_value zr_map_new(zr_doc *doc, size_t cap);
/** @brief Append @p item (copied) to a list or tuple. */
ZR_API zr_status zr_list_push(zr_doc *doc, zr_value *list, zr_value item);
/** @brief Append an entry to a map (no duplicate check). */
ZR_API zr_status zr_map_put(zr_doc *doc, zr_value *map, zr_value key, zr_value val);
/** @brief Append an entry with a C-string key (copied). */
ZR_API zr_status zr_map_put_cstr(zr_doc *doc, zr_value *map, const char *key, zr_value val);
/** @brief Deep-copy @p src into @p doc (strings, arrays, tensors' data, tables exported anew). */
ZR_API zr_status zr_value_copy(zr_doc *doc, const zr_value *src, zr_value *dst, zr_error *err);

/* ---- inline accessors ---- */

/** @brief Kind of @p v (ZR_KIND_NULL for NULL). */
static inline zr_kind zr_kind_of(const zr_value *v) { return v ? (zr_kind)v->kind : ZR_KIND_NULL; }
/** @brief Items / members / bytes count of a container, string, binary, bigint or ext. */
static inline uint64_t zr_len(const zr_value *v) { return v->n.len; }
/** @brief Item @p i of a list or tuple (no bounds check). */
static inline const zr_value *zr_item(const zr_value *v, uint64_t i) { return &v->u.items[i]; }
/** @brief Key of member @p i of a map (no bounds check). */
static inline const zr_value *zr_member_key(const zr_value *v, uint64_t i) { return &v->u.members[i].key; }
/** @brief Value of member @p i of a map (no bounds check). */
static inline const zr_value *zr_member_val(const zr_value *v, uint64_t i) { return &v->u.members[i].val; }

/** @brief Name of a kind ("null", "int", "map", …). Static storage. */
ZR_API const char *zr_kind_name(zr_kind k);

/** @brief First member of a map whose key is the string @p key (@p len bytes); NULL if none or not a map. */
ZR_API const zr_value *zr_map_get(const zr_value *map, const char *key, size_t len);

/**
 * @brief Deep equality: same kinds, floats compared bit for bit (NaN payloads and -0.0 matter),
 * maps compared in order, tensors by dtype, shape and element bytes, tables by their content.
 */
ZR_API int zr_value_equal(const zr_value *a, const zr_value *b);

/**
 * @brief Follow a path such as `$.rows[3].score` or `$["odd key"][0]` from @p root.
 * @return ZR_ERR_NOT_FOUND (with the failing prefix in err->path) or ZR_ERR_INVALID_ARG for a bad path.
 */
ZR_API zr_status zr_value_at_path(const zr_value *root, const char *path, const zr_value **out,
                                  zr_error *err);

/** @brief Flags for JSON conversion. */
enum zr_json_flags {
  ZR_JSON_PRETTY = 1,   /**< indent output */
  ZR_JSON_EXTENDED = 2, /**< typed wrappers ({"$bin": …}, {"$tuple": …}) so every kind round-trips */
  ZR_JSON_SORT_KEYS = 4 /**< sort object keys */
};

/**
 * @brief Write @p v as JSON to @p sink. Without ZR_JSON_EXTENDED, kinds JSON lacks are mapped
 * plainly (binary as base64 strings, tuples as arrays, symbols as strings, non-string keys as
 * their JSON text) and non-finite floats as null. Uses jansson.
 */
ZR_API zr_status zr_value_to_json(const zr_value *v, unsigned flags, zr_sink *sink, zr_error *err);

/**
 * @brief Parse JSON text into a new doc (*out, free with zr_doc_free()). Extended wrappers are
 * recognised when ZR_JSON_EXTENDED is set. Integers beyond int64 become uint or bigint.
 */
ZR_API zr_status zr_value_from_json(const char *text, size_t len, unsigned flags,
                                    const zr_decode_opts *opts, zr_doc **out, zr_error *err);

/** @brief Validate UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF); @p bad receives the offset of the first bad byte. */
ZR_API int zr_utf8_valid(const void *s, size_t len, size_t *bad);

/** @brief XXH3 64-bit hash of @p len bytes with @p seed (libxxhash). */
ZR_API uint64_t zr_xxh3_64(const void *data, size_t len, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_VALUE_H */

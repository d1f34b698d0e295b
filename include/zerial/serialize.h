/**
 * @file serialize.h
 * @brief The serialization manager: one call to serialize any value into the best format for it,
 * one call to read back anything zerial can detect.
 *
 * A ::zr_ctx holds the configuration (defaults, a JSON file, `ZERIAL_*` environment overrides and
 * API setters), the registries (formats beyond the built-in table, custom types), a log hook, the
 * learned encode costs that feed automatic selection, and the last decision records.
 *
 * Ownership and lifetime: a context is created by zr_ctx_new() and freed by zr_ctx_free(); it
 * must outlive every call made with it. Everything a call returns through a result struct
 * (::zr_serialize_result, ::zr_decision, ::zr_deserialize_info) is plain data copied into the
 * caller's struct: no pointers into the context, nothing to free. Docs returned by
 * zr_deserialize() belong to the caller (free with zr_doc_free()).
 *
 * Thread safety: unless a function says otherwise, every call taking a `zr_ctx *` may run from
 * many threads at once on the same context, including zr_ctx_reload() and the setters: each
 * serialize/deserialize/explain call takes a consistent snapshot of the configuration when it
 * starts and keeps it to the end, so a reload never mixes old and new settings within one call.
 * Registries and learned statistics are protected by locks. Callbacks (log hook, custom types)
 * may therefore be called from several threads at once.
 */
#ifndef ZERIAL_SERIALIZE_H
#define ZERIAL_SERIALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "io.h"
#include "status.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Opaque serialization context. */
typedef struct zr_ctx zr_ctx;

/* ------------------------------------------------------------------------------------------ */
/* Logging                                                                                     */

/** @brief Log levels for the log hook. */
typedef enum zr_log_level {
  ZR_LOG_DEBUG = 0,
  ZR_LOG_INFO = 1,
  ZR_LOG_WARN = 2,
  ZR_LOG_ERROR = 3,
  ZR_LOG_OFF = 4
} zr_log_level;

/** @brief One structured log field (key and value are NUL-terminated, valid during the call). */
typedef struct zr_log_field {
  const char *key;   /**< field name */
  const char *value; /**< field value as text */
} zr_log_field;

/**
 * @brief Log hook: called with a level, an event name ("serialize", "select", "fallback",
 * "config.reload", "custom.fallback", …) and fields. Pointers are valid only during the call.
 * May be called from several threads at once; must not call back into the same context's setters.
 */
typedef void (*zr_log_fn)(void *ud, zr_log_level level, const char *event, const zr_log_field *fields,
                          size_t n_fields);

/* ------------------------------------------------------------------------------------------ */
/* Context and configuration                                                                   */

/**
 * @brief Create a context.
 *
 * Configuration is built from the defaults, then the JSON file named by the environment variable
 * `ZERIAL_CONFIG` (when set), then `ZERIAL_*` environment overrides (see
 * docs/guides/configuration.md). An invalid file or variable fails the call with ZR_ERR_CONFIG and
 * a message naming the key.
 * @param alloc allocator for everything the context allocates (NULL: default); must outlive it.
 * @param out receives the context; free with zr_ctx_free().
 * @param err NULL or filled on failure.
 * Thread safety: reentrant.
 */
ZR_API zr_status zr_ctx_new(const zr_allocator *alloc, zr_ctx **out, zr_error *err);

/**
 * @brief Like zr_ctx_new() but ignores the environment entirely (no ZERIAL_CONFIG, no ZERIAL_*):
 * defaults only. Useful for tests and embedders that want full control.
 */
ZR_API zr_status zr_ctx_new_isolated(const zr_allocator *alloc, zr_ctx **out, zr_error *err);

/** @brief Free a context (NULL-safe). Not thread-safe: no other call may be running on it. */
ZR_API void zr_ctx_free(zr_ctx *ctx);

/**
 * @brief Set one configuration key from its text form, such as ("compression.codec", "zstd") or
 * ("selection.performance", "0.8"). The setting is validated (ZR_ERR_CONFIG naming the key on a bad
 * key or value), applied atomically, and remembered: it is re-applied on top of the file and the
 * environment by every zr_ctx_reload(). Thread-safe.
 */
ZR_API zr_status zr_ctx_set(zr_ctx *ctx, const char *key, const char *value, zr_error *err);

/**
 * @brief Current text value of a configuration key into @p buf (NUL-terminated, truncated to
 * @p cap). ZR_ERR_CONFIG for an unknown key. Thread-safe.
 */
ZR_API zr_status zr_ctx_get(zr_ctx *ctx, const char *key, char *buf, size_t cap, zr_error *err);

/**
 * @brief Load configuration from a JSON file (nested objects name dotted keys:
 * `{"compression": {"codec": "zstd"}}` sets `compression.codec`), then the environment (unless
 * the context is isolated), then the remembered API settings, and swap it in atomically.
 * @p path NULL reloads the file loaded last (or only the environment and settings when none).
 * On any error the previous configuration stays in force. Other threads may keep serializing
 * during the call: calls already running finish with the configuration they started with.
 */
ZR_API zr_status zr_ctx_reload(zr_ctx *ctx, const char *path, zr_error *err);

/**
 * @brief Load configuration from JSON text (same rules as zr_ctx_reload() for a file). Thread-safe.
 */
ZR_API zr_status zr_ctx_load_json(zr_ctx *ctx, const char *json, size_t len, zr_error *err);

/** @brief Number of configuration keys (for listing them). */
ZR_API size_t zr_config_key_count(void);
/**
 * @brief Key @p i: its name, its environment variable and a one-line description (static
 * storage), or ZR_ERR_NOT_FOUND past the end.
 */
ZR_API zr_status zr_config_key_at(size_t i, const char **key, const char **env, const char **help);

/**
 * @brief Install the log hook (NULL to remove); @p ud is passed to every call and must outlive
 * the installation. The least level passed is the configuration key `log.level`. Thread-safe;
 * calls running concurrently may still use the previous hook once.
 */
ZR_API void zr_ctx_set_log(zr_ctx *ctx, zr_log_fn fn, void *ud);

/**
 * @brief Register a format beyond the built-in table (for example a user format with id ≥
 * ZR_FORMAT_ID_CUSTOM, or a replacement for tests). Formats registered here are looked up before
 * the built-in ones by name and id, and take part in detection and automatic selection (with
 * neutral prior scores). The vtable must outlive the context. ZR_ERR_EXISTS when a registered
 * format already has that name. Thread-safe.
 */
ZR_API zr_status zr_ctx_register_format(zr_ctx *ctx, const zr_format *fmt, zr_error *err);

/** @brief Format by name: the context's registry first, then the built-in table; NULL if none. Thread-safe. */
ZR_API const zr_format *zr_ctx_format(zr_ctx *ctx, const char *name);

/* ------------------------------------------------------------------------------------------ */
/* Custom types                                                                                */

/**
 * @brief A custom serializer for one application type.
 *
 * Values of the type travel as ext values (::ZR_KIND_EXT) with `aux32 == id`. When such a value
 * is serialized (at the root), the manager calls @p encode, which writes the type's own bytes;
 * they are stored as an ext value (id, @p version, bytes) in the binary format, so any zerial
 * reader can carry them. zr_deserialize() turns such a root back by calling @p decode with the
 * version the data was written with. If @p encode fails, the value is written with the plain
 * binary ext encoding (its own bytes) and a warning.
 *
 * - `probe` (optional): non-zero when a value that is *not* an ext of this id should also be
 *   handled by this type (e.g. a map shaped like the type); used by automatic selection.
 * - `score` (optional): a selection score in [0, 1] for @p v (default 0.9 for ext values of the
 *   id, 0.6 for probed ones).
 * - `encode`: write the type's bytes for @p v to @p sink.
 * - `decode`: build the value from @p data written with @p version into @p doc, store it in @p out.
 *
 * Callbacks may run from several threads at once; @p ud is passed through.
 */
typedef struct zr_custom_type {
  const char *name; /**< unique name, e.g. "geo.point" (copied at registration) */
  uint32_t id;      /**< ext type id (unique within the context) */
  uint16_t version; /**< version written now */
  /** optional: non-zero when a non-ext value should be handled by this type */
  int (*probe)(void *ud, const zr_value *v);
  /** optional: selection score in [0, 1] for @p v */
  double (*score)(void *ud, const zr_value *v);
  /** required: write the type's bytes for @p v to @p sink */
  zr_status (*encode)(void *ud, const zr_value *v, zr_sink *sink, zr_error *err);
  /** required: build the value from @p data (written with @p version) into @p doc, store it in @p out */
  zr_status (*decode)(void *ud, const uint8_t *data, size_t len, uint16_t version, zr_doc *doc,
                      zr_value *out, zr_error *err);
  void *ud; /**< user data for the callbacks; must outlive the registration */
} zr_custom_type;

/**
 * @brief Register a custom type (the struct is copied). ZR_ERR_EXISTS when its id or name is
 * taken; ZR_ERR_INVALID_ARG without a name, encode or decode. Thread-safe.
 */
ZR_API zr_status zr_ctx_register_type(zr_ctx *ctx, const zr_custom_type *type, zr_error *err);

/** @brief Remove the custom type with @p id (ZR_ERR_NOT_FOUND if none). Thread-safe. */
ZR_API zr_status zr_ctx_unregister_type(zr_ctx *ctx, uint32_t id, zr_error *err);

/**
 * @brief Decode one ext value with its registered type into @p doc (for ext values nested inside
 * a decoded tree). ZR_ERR_NOT_FOUND when no type has its id. Thread-safe.
 */
ZR_API zr_status zr_ctx_decode_ext(zr_ctx *ctx, const zr_value *ext, zr_doc *doc, zr_value *out,
                                   zr_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Decisions                                                                                   */

/** @brief Capacity of the reason text of a candidate / a decision. */
#define ZR_REASON_MAX 320
/** @brief Largest number of candidates a decision lists. */
#define ZR_MAX_CANDIDATES 12

/** @brief What the analyzer measured about a value (bounded, sampled). Plain data. */
typedef struct zr_characteristics {
  char shape[24];         /**< shape class: table, columns, tensor, numeric-list, binary, scalar, string, document, ext, … */
  uint8_t root_kind;      /**< ::zr_kind of the root */
  uint32_t depth;         /**< nesting depth seen */
  uint64_t elements;      /**< estimated number of values (extrapolated from the sample) */
  uint64_t size_estimate; /**< estimated encoded size in bytes */
  double homogeneity;     /**< share of sampled container items of the dominant kind (1 = uniform) */
  double numeric_share;   /**< share of sampled leaves that are numbers */
  double entropy;         /**< order-0 entropy of sampled bytes, bits per byte (0…8; -1 = no bytes sampled) */
  double compressibility; /**< estimated size reduction a fast codec gets (0 … 1) */
  uint64_t sampled;       /**< values visited */
  int sampled_partially;  /**< non-zero when large containers were sampled, not walked */
  int64_t rows;           /**< table-like: rows; tensor-like: first dimension */
  int64_t cols;           /**< table-like: columns; tensor-like: second dimension */
  char python_objects;    /**< non-zero when the target asks for a Python object graph */
} zr_characteristics;

/** @brief One ranked candidate: a format (and codec) with its score and reasons. */
typedef struct zr_candidate {
  char format[32];        /**< format name ("custom:<type>" for a custom type) */
  char codec[16];         /**< codec the plan would use ("none", "lz4", "zstd", "gzip") */
  double score;           /**< total score (higher is better); 0 when not viable */
  double fit;             /**< how well the format represents the shape (0 … 1) */
  double performance;     /**< predicted performance score (0 … 1) */
  double compatibility;   /**< compatibility with the target (0 … 1) */
  double predicted_ns_per_byte; /**< predicted encode+compress cost */
  double measured_ns_per_byte;  /**< learned moving average, or -1 when never measured */
  double measured_ratio;        /**< learned output/input size ratio, or -1 */
  uint64_t measurements;        /**< samples behind the moving averages */
  int viable;             /**< 0 when the format cannot represent the value or is not available */
  char reasons[ZR_REASON_MAX]; /**< readable reasons, "; "-separated */
} zr_candidate;

/** @brief A selection decision: the characteristics and the ranked candidates, best first. */
typedef struct zr_decision {
  zr_characteristics ch;               /**< what the analyzer saw */
  unsigned n_candidates;               /**< entries in cand */
  zr_candidate cand[ZR_MAX_CANDIDATES];/**< best first */
  char format[32];                     /**< format finally used (after any fallback) */
  char codec[16];                      /**< codec finally used */
  char reason[ZR_REASON_MAX];          /**< why: the winner's reasons, or why a name was given */
  double select_ms;                    /**< time spent analyzing and ranking */
  double weight_performance;           /**< weight of the performance score in force */
  double weight_compatibility;         /**< weight of the compatibility score in force */
  char target[24];                     /**< target in force */
} zr_decision;

/**
 * @brief Write @p d as JSON (object with characteristics, candidates, weights) or, with
 * @p json 0, as readable text lines. Reentrant.
 */
ZR_API zr_status zr_decision_write(const zr_decision *d, int json, zr_sink *sink, zr_error *err);

/**
 * @brief Copy the last (up to @p cap) decision records of the context into @p out, newest first;
 * @p n receives how many. The context keeps the last 32. Thread-safe.
 */
ZR_API zr_status zr_ctx_decisions(zr_ctx *ctx, zr_decision *out, size_t cap, size_t *n);

/* ------------------------------------------------------------------------------------------ */
/* Serialize                                                                                   */

/** @brief A user metadata entry (NUL-terminated strings, copied into the output). */
typedef struct zr_meta_kv {
  const char *key;   /**< metadata key */
  const char *value; /**< metadata value */
} zr_meta_kv;

/** @brief Options of one serialize call. Initialise with zr_serialize_opts_init(). */
typedef struct zr_serialize_opts {
  const char *format;   /**< NULL: configuration ("auto" by default); "auto" or a format name */
  const char *codec;    /**< NULL: configuration; "auto", "none", "lz4", "zstd", "gzip" */
  int level;            /**< codec level; 0: configuration */
  int envelope;         /**< -1: configuration; 0: native bytes only; 1: envelope frame */
  int strict;           /**< -1: configuration; 1: lossy conversions and fallbacks are errors */
  const char *target;   /**< NULL: configuration; "any", "python", "python-objects", "beam", "arrow", "numpy" */
  const char *producer; /**< NULL: configuration "producer" */
  const zr_meta_kv *meta; /**< user metadata (envelope only) */
  size_t n_meta;        /**< entries in meta */
  int lineage;          /**< -1: configuration; 1: append a lineage record (envelope only) */
  const char *operation;/**< lineage operation name (default "serialize") */
  const uint64_t *inputs;  /**< lineage input fingerprints (XXH3-64 of each input's bytes, seed 0) */
  size_t n_inputs;         /**< entries in inputs */
  const uint8_t *parent;   /**< bytes the value was read from (e.g. the input of a convert): its
                                lineage is carried over and its fingerprint becomes an input; or NULL */
  size_t parent_len;       /**< bytes at parent */
  const zr_allocator *alloc; /**< scratch memory (NULL: the context's allocator) */
  int deterministic;       /**< -1: configuration; 1: deterministic encoding (ZR_ENC_DETERMINISTIC:
                                map keys in a canonical order where the format allows); 0: off */
} zr_serialize_opts;

/** @brief Fill @p o with "use the configuration" for every field. */
ZR_API void zr_serialize_opts_init(zr_serialize_opts *o);

/** @brief What one serialize call did. Plain data. */
typedef struct zr_serialize_result {
  char format[32];        /**< format written */
  char codec[16];         /**< codec applied ("none" when not compressed) */
  int envelope;           /**< non-zero when an envelope frame was written */
  uint64_t encoded_bytes; /**< bytes out of the format encoder */
  uint64_t payload_bytes; /**< bytes after compression */
  uint64_t total_bytes;   /**< bytes written to the sink (with envelope) */
  double ratio;           /**< encoded_bytes / payload_bytes (≥ 1 when compression helped) */
  double select_ms;       /**< wall time of format selection */
  double encode_ms;       /**< wall time of the format encoder */
  double compress_ms;     /**< wall time of compression */
  double total_ms;        /**< wall time of the whole call */
  int fell_back;          /**< non-zero when the first choice could not represent the value */
  uint64_t fingerprint;   /**< XXH3 of the bytes written (lineage input id for the next step) */
  zr_warnings warnings;   /**< lossy conversions and fallbacks */
  zr_decision decision;   /**< the ranking and reasons */
} zr_serialize_result;

/**
 * @brief Serialize @p v to @p sink.
 *
 * The format is selected (format "auto") or taken as given; the value is encoded into scratch
 * memory first, so a format that cannot represent it (ZR_ERR_TYPE) leaves nothing in the sink and
 * the next candidate is tried with a warning (in strict mode: the error is returned). Then the
 * payload is compressed (codec "auto": chosen by size, measured compressibility and learned gain)
 * and framed in an envelope when asked. The sink is flushed, not finished (call zr_sink_finish()
 * for file sinks).
 * @param ctx the context (shared between threads).
 * @param v the value (only read).
 * @param opts NULL: all from the configuration.
 * @param sink where the bytes go (the caller's; one thread at a time).
 * @param result NULL or filled on success (and with the decision on failure).
 * Thread-safe (see the file comment). @p v must not change during the call.
 * @param err NULL or filled on failure (with the value path).
 */
ZR_API zr_status zr_serialize(zr_ctx *ctx, const zr_value *v, const zr_serialize_opts *opts,
                              zr_sink *sink, zr_serialize_result *result, zr_error *err);

/**
 * @brief Rank the formats for @p v without encoding (what format "auto" would choose and why,
 * with predicted and measured costs). @p opts may be NULL. Thread-safe.
 */
ZR_API zr_status zr_explain(zr_ctx *ctx, const zr_value *v, const zr_serialize_opts *opts,
                            zr_decision *out, zr_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Deserialize and inspect                                                                     */

/** @brief Maximum layers (envelope, compression frames) peeled off one input. */
#define ZR_MAX_LAYERS 4

/** @brief What zr_deserialize() found. Plain data. */
typedef struct zr_deserialize_info {
  char format[32];        /**< format decoded */
  char layers[ZR_MAX_LAYERS][16]; /**< outer to inner: "envelope", "zstd", "lz4", "gzip" */
  unsigned n_layers;      /**< entries in layers */
  uint64_t input_bytes;   /**< bytes given */
  uint64_t payload_bytes; /**< bytes the format decoder read */
  int custom;             /**< non-zero when a custom type decoded the root */
  uint16_t custom_version;/**< version the custom data was written with */
} zr_deserialize_info;

/**
 * @brief Detect and decode @p data: an envelope, zstd/LZ4/gzip frames around anything, then any
 * format of the registry or the built-in table (binary, Arrow stream or file, npy, npz, pickle,
 * ETF, JSON). A root ext value of a registered custom type is decoded by that type.
 * @param ctx the context (shared between threads).
 * @param data,len the bytes (only read).
 * @param opts decode limits (NULL: the configuration's limits).
 * @param out receives a new doc; free with zr_doc_free(). Unless opts->copy, the doc may borrow
 * from @p data, which must then outlive it (decompressed bytes are owned by the doc).
 * @param info NULL or filled.
 * Thread-safe.
 * @param err NULL or filled on failure (with the byte offset).
 */
ZR_API zr_status zr_deserialize(zr_ctx *ctx, const uint8_t *data, size_t len,
                                const zr_decode_opts *opts, zr_doc **out, zr_deserialize_info *info,
                                zr_error *err);

/**
 * @brief zr_deserialize() from a source (read completely within the configured byte limit). The
 * doc may borrow from the source's memory: free the doc before the source. Thread-safe.
 */
ZR_API zr_status zr_deserialize_source(zr_ctx *ctx, zr_source *src, const zr_decode_opts *opts,
                                       zr_doc **out, zr_deserialize_info *info, zr_error *err);

/**
 * @brief Summarise @p data as one JSON object without decoding payloads: the layers peeled
 * (envelope fields, codec and sizes), the detected format and, when the format offers it, its own
 * inspect object under "format_info". Compressed payloads are decompressed (within limits) to
 * reach the format header. Thread-safe.
 */
ZR_API zr_status zr_inspect(zr_ctx *ctx, const uint8_t *data, size_t len, zr_sink *json_out,
                            zr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_SERIALIZE_H */

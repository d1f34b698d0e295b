/**
 * @file format.h
 * @brief Format plug-ins: the vtable every wire format fills, and the table of built-in formats.
 *
 * Each format module (src/formats/NAME) defines one ::zr_format. The serialization manager, the
 * CLI and the bindings reach formats only through this table, so nothing outside a format's folder
 * knows its bytes.
 *
 * Thread safety: the table and the vtables are immutable; their functions are reentrant.
 */
#ifndef ZERIAL_FORMAT_H
#define ZERIAL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "status.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Encoder flag: deterministic output (sorted map keys where the format allows). */
#define ZR_ENC_DETERMINISTIC 0x1u
/** @brief Encoder flag: fail instead of warning on lossy conversions. */
#define ZR_ENC_STRICT 0x2u

/** @brief Maximum warnings an encode records (further ones are counted, not kept). */
#define ZR_MAX_WARNINGS 16

/**
 * @brief A non-fatal note from an encoder: a lossy conversion, a fallback. Plain data.
 */
typedef struct zr_warning {
  zr_status code;                  /**< e.g. ZR_ERR_LOSSY */
  char message[160];               /**< what happened */
  char path[ZR_ERROR_PATH_MAX];    /**< value path, e.g. $.rows[3].score */
} zr_warning;

/** @brief Warnings collected by one encode. */
typedef struct zr_warnings {
  unsigned count;                       /**< warnings raised (may exceed ZR_MAX_WARNINGS) */
  zr_warning items[ZR_MAX_WARNINGS];    /**< the first ZR_MAX_WARNINGS of them */
} zr_warnings;

/** @brief Append a warning (NULL-safe on @p w). */
ZR_API void zr_warnings_add(zr_warnings *w, zr_status code, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/**
 * @brief Options shared by every encoder. Zero-initialise, then set what you need: zero means
 * the format's default for every field.
 */
typedef struct zr_encode_opts {
  const zr_allocator *alloc;  /**< scratch allocations (NULL: default) */
  const char *codec;          /**< NULL/"none", "lz4", "zstd", "gzip" or "auto" where the format compresses */
  int level;                  /**< codec level, 0 = codec default */
  const char *filter;         /**< NULL/"none", "byte" or "bit" shuffle for typed arrays */
  uint32_t alignment;         /**< buffer alignment where the format has a choice (0: default) */
  unsigned flags;             /**< ZR_ENC_* */
  zr_warnings *warnings;      /**< where lossy conversions are reported, or NULL */
  const char *member;         /**< container formats (npz): member name, or NULL */
} zr_encode_opts;

/** @brief A wire format's vtable (see struct zr_format). */
typedef struct zr_format zr_format;

/**
 * @brief A wire format.
 *
 * - `detect` returns a confidence 0 (not this format) … 100 (magic matched) from the first bytes.
 * - `decode` decodes a complete input into a new doc (zero-copy views into @p data unless
 *   opts->copy); the caller frees the doc, and keeps @p data alive as long as the doc in
 *   zero-copy mode.
 * - `encode` writes @p v; returns ZR_ERR_TYPE (with the value path) when the format cannot
 *   represent the value, so callers can fall back to another format.
 * - `inspect` writes a JSON object describing the input without decoding payloads (NULL when
 *   the format has nothing beyond decode).
 */
struct zr_format {
  const char *name;     /**< "binary", "arrow-stream", "arrow-file", "npy", "npz", "pickle", "etf", "json" */
  uint16_t id;          /**< format id used in the envelope (stable) */
  const char *summary;  /**< one line for help texts */
  /** Confidence 0…100 that @p data is this format (magic matched: 100). */
  int (*detect)(const uint8_t *data, size_t len);
  /** Decode a complete input into a new doc (views into @p data unless opts->copy). */
  zr_status (*decode)(const uint8_t *data, size_t len, const zr_decode_opts *opts, zr_doc **out, zr_error *err);
  /** Encode @p v to @p sink; ZR_ERR_TYPE (with the value path) when the format cannot hold it. */
  zr_status (*encode)(const zr_value *v, const zr_encode_opts *opts, zr_sink *sink, zr_error *err);
  /** Write a JSON summary of @p data without decoding payloads, or NULL. */
  zr_status (*inspect)(const uint8_t *data, size_t len, zr_sink *json_out, zr_error *err);
};

/** @brief Envelope format ids (stable; never reused). */
enum zr_format_id {
  ZR_FORMAT_ID_BINARY = 1,
  ZR_FORMAT_ID_ARROW_STREAM = 2,
  ZR_FORMAT_ID_ARROW_FILE = 3,
  ZR_FORMAT_ID_NPY = 4,
  ZR_FORMAT_ID_NPZ = 5,
  ZR_FORMAT_ID_PICKLE = 6,
  ZR_FORMAT_ID_ETF = 7,
  ZR_FORMAT_ID_JSON = 8,
  ZR_FORMAT_ID_CUSTOM = 1000 /**< first id for user formats */
};

/** @brief Number of built-in formats. */
ZR_API size_t zr_format_count(void);
/** @brief Built-in format @p i (0 ≤ i < zr_format_count()), or NULL. Static storage. */
ZR_API const zr_format *zr_format_at(size_t i);
/** @brief Built-in format by name, or NULL. */
ZR_API const zr_format *zr_format_by_name(const char *name);
/** @brief Built-in format by envelope id, or NULL. */
ZR_API const zr_format *zr_format_by_id(uint16_t id);
/** @brief The format whose detect() is most confident about @p data (NULL if none > 0). */
ZR_API const zr_format *zr_format_detect(const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_FORMAT_H */

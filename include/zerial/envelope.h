/**
 * @file envelope.h
 * @brief The envelope: a self-describing, checksummed frame around any payload.
 *
 * A frame is a 64-byte fixed header (magic, frame version, format id, codec id, flags, lengths,
 * checksums), a metadata block (schema fingerprint, created-at, producer, user key/values,
 * lineage), zero padding, and the payload starting at a 64-byte aligned offset. All integers
 * are little endian. The exact layout is specified in docs/formats/envelope.md.
 *
 * Integrity: an XXH3-64 checksum covers the header, the metadata, the padding and the payload; a
 * second, 32-bit check covers the header alone so that a damaged length field is reported as
 * damage rather than as a short input. Any flipped bit or truncation is reported
 * (::ZR_ERR_CHECKSUM, ::ZR_ERR_TRUNCATED, ::ZR_ERR_MALFORMED with the byte offset) and nothing is
 * returned from a corrupt frame.
 *
 * Thread safety: every function is reentrant; a ::zr_envelope or ::zr_envelope_writer belongs
 * to one thread at a time.
 */
#ifndef ZERIAL_ENVELOPE_H
#define ZERIAL_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "io.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Envelope frame version written by this library (readers accept 1). */
#define ZR_ENVELOPE_VERSION 1u
/** @brief Size of the fixed header in bytes. */
#define ZR_ENVELOPE_HEADER_SIZE 64u
/** @brief Alignment of the payload relative to the start of the frame. */
#define ZR_ENVELOPE_ALIGN 64u
/** @brief Length of the magic. */
#define ZR_ENVELOPE_MAGIC_LEN 8u
/** @brief The magic bytes: 0x89 'Z' 'R' 'L' CR LF ^Z LF (catches 7-bit and newline mangling). */
#define ZR_ENVELOPE_MAGIC "\x89ZRL\r\n\x1a\n"
/** @brief Largest metadata block a reader accepts (16 MiB). */
#define ZR_ENVELOPE_MAX_METADATA (UINT32_C(1) << 24)

/** @brief Compression codec of the payload (also the codec module's ids, see codec.h). Numbers are part of the frame format. */
typedef enum zr_codec_id {
  ZR_CODEC_NONE = 0, /**< stored as is */
  ZR_CODEC_LZ4 = 1,  /**< LZ4 frame */
  ZR_CODEC_ZSTD = 2, /**< Zstandard frame */
  ZR_CODEC_GZIP = 3  /**< gzip member (RFC 1952) */
} zr_codec_id;

/** @brief Name of a codec id ("none", "lz4", "zstd", "gzip"; "unknown" otherwise). Static storage. */
ZR_API const char *zr_codec_id_name(unsigned codec);

/** @brief A byte string that is not necessarily NUL-terminated (ptr NULL: absent). */
typedef struct zr_envelope_str {
  const char *ptr; /**< bytes (UTF-8 text); NUL-terminated in parse results */
  size_t len;      /**< byte count, excluding any NUL */
} zr_envelope_str;

/** @brief One user key/value pair of the metadata (both UTF-8). */
typedef struct zr_envelope_kv {
  zr_envelope_str key;   /**< key */
  zr_envelope_str value; /**< value */
} zr_envelope_kv;

/** @brief One lineage entry: which operation, run by whom and when, made the payload from which inputs. */
typedef struct zr_envelope_lineage {
  zr_envelope_str operation; /**< e.g. "convert json->binary" */
  zr_envelope_str producer;  /**< e.g. "zerial-cli 0.1.0" */
  int64_t time_ns;           /**< nanoseconds since 1970-01-01T00:00:00Z */
  const uint64_t *inputs;    /**< fingerprints of the inputs (e.g. their checksums) */
  size_t n_inputs;           /**< number of inputs */
} zr_envelope_lineage;

/**
 * @brief The metadata block. Zero-initialise for "nothing"; every part is optional.
 *
 * As a writer's input, every pointer is borrowed for the duration of the call. As a parse
 * result, everything lives in memory owned by the ::zr_envelope it came from.
 */
typedef struct zr_envelope_meta {
  int has_schema_fingerprint;         /**< non-zero when schema_fingerprint is set */
  uint64_t schema_fingerprint;        /**< fingerprint of the payload's schema */
  int has_created_at;                 /**< non-zero when created_at_ns is set */
  int64_t created_at_ns;              /**< creation time, ns since the epoch (UTC) */
  zr_envelope_str producer;           /**< who wrote the frame (ptr NULL: absent) */
  const zr_envelope_kv *kv;           /**< user key/values, in order */
  size_t n_kv;                        /**< number of key/values */
  const zr_envelope_lineage *lineage; /**< lineage entries, oldest first */
  size_t n_lineage;                   /**< number of lineage entries */
} zr_envelope_meta;

/** @brief The fixed header fields of a frame, as parsed. */
typedef struct zr_envelope_header {
  uint16_t version;        /**< frame version (1) */
  uint16_t format_id;      /**< ZR_FORMAT_ID_* of the payload */
  uint8_t codec;           /**< ::zr_codec_id of the payload */
  uint32_t flags;          /**< frame flags (none are defined in version 1; must be 0) */
  uint32_t metadata_len;   /**< bytes of the metadata block */
  uint32_t payload_offset; /**< offset of the payload from the frame start (multiple of 64) */
  uint64_t payload_len;    /**< stored payload bytes */
  uint64_t raw_len;        /**< payload bytes once decompressed (= payload_len for codec none) */
  uint64_t frame_len;      /**< payload_offset + payload_len: bytes the frame occupies */
  uint64_t checksum;       /**< the frame's XXH3-64 checksum */
} zr_envelope_header;

/**
 * @brief A parsed frame: header, metadata and a view of the payload.
 *
 * Filled by zr_envelope_parse() or zr_envelope_read_meta(); release with zr_envelope_clear().
 * `payload` points into the caller's input (which must outlive its use); the metadata lives in
 * memory owned by this struct.
 */
typedef struct zr_envelope {
  zr_envelope_header header; /**< fixed header */
  zr_envelope_meta meta;     /**< metadata (owned by this struct) */
  const uint8_t *payload;    /**< payload view into the input, or NULL (zr_envelope_read_meta) */
  size_t payload_len;        /**< bytes at payload */
  int verified;              /**< 1 when the frame checksum over the payload was verified */
  void *priv_;               /**< private: owned memory */
} zr_envelope;

/** @brief What to write around a payload. Zero-initialise, then set the fields. */
typedef struct zr_envelope_params {
  uint16_t format_id;           /**< ZR_FORMAT_ID_* of the payload */
  uint8_t codec;                /**< ::zr_codec_id the payload is compressed with (0: none) */
  uint32_t flags;               /**< frame flags: 0 in version 1 */
  uint64_t raw_len;             /**< decompressed payload length (ignored for codec none) */
  const zr_envelope_meta *meta; /**< metadata, or NULL for none */
  const zr_allocator *alloc;    /**< scratch allocator (NULL: default) */
} zr_envelope_params;

/**
 * @brief Non-zero when @p data starts with the envelope magic (needs ≥ 8 bytes). Thread-safe.
 */
ZR_API int zr_envelope_detect(const uint8_t *data, size_t len);

/**
 * @brief Write a whole frame around @p payload (@p len bytes) to @p sink.
 *
 * Works with every sink (the checksum is computed before anything is written). Nothing of
 * @p params or @p payload is retained.
 * @return ZR_OK; ZR_ERR_INVALID_ARG for bad parameters (unknown codec, flags, strings over
 * 4 GiB, metadata over ZR_ENVELOPE_MAX_METADATA, invalid UTF-8); sink errors.
 */
ZR_API zr_status zr_envelope_write(zr_sink *sink, const zr_envelope_params *params, const void *payload, size_t len,
                                   zr_error *err);

/**
 * @brief In-place writing state (see zr_envelope_begin()). Plain data; no resources.
 */
typedef struct zr_envelope_writer {
  zr_sink *sink;       /**< the sink written to */
  uint64_t start;      /**< sink offset where the frame starts */
  uint32_t prefix_len; /**< header + metadata + padding bytes */
  uint16_t format_id;  /**< copied from the params */
  uint8_t codec;       /**< copied from the params */
  uint64_t raw_len;    /**< copied from the params */
} zr_envelope_writer;

/**
 * @brief Start a frame in place: write the header (lengths and checksums zero), the metadata and
 * the padding to @p sink, whose bytes must be addressable (a memory or fixed sink:
 * zr_sink_memory_data() must work, else ZR_ERR_UNSUPPORTED). The caller then writes the payload
 * to the same sink by any means (an encoder, zr_sink_reserve()/zr_sink_commit()) and calls
 * zr_envelope_end(), which patches lengths and checksums. Nothing else may be written to the sink
 * in between.
 */
ZR_API zr_status zr_envelope_begin(zr_sink *sink, const zr_envelope_params *params, zr_envelope_writer *w,
                                   zr_error *err);

/**
 * @brief Finish a frame started with zr_envelope_begin(): the payload is every byte written to
 * the sink since. For codec none, raw_len becomes the payload length.
 * @return ZR_OK, or ZR_ERR_STATE when the sink's bytes are no longer addressable.
 */
ZR_API zr_status zr_envelope_end(zr_envelope_writer *w, zr_error *err);

/**
 * @brief Parse and verify a frame at the start of @p data.
 *
 * Checks the magic, the header check, the version, the lengths against @p len, the frame
 * checksum over everything, the padding and the metadata structure. Bytes after the frame
 * (header.frame_len) are not looked at: callers that expect one frame compare lengths.
 * On success @p out holds the header, the metadata (owned by @p out) and a view of the payload
 * inside @p data. On failure @p out is left cleared (nothing to release) and @p err names the
 * problem and its byte offset.
 * @param data,len the bytes (only read; the payload view points into them, so they must outlive @p out).
 * @param alloc allocator of the metadata (NULL: default).
 * @param out receives the parsed frame; release with zr_envelope_clear().
 * @param err NULL or filled on failure. Reentrant.
 */
ZR_API zr_status zr_envelope_parse(const uint8_t *data, size_t len, const zr_allocator *alloc, zr_envelope *out,
                                   zr_error *err);

/**
 * @brief Read the header and metadata only (for inspection): checks the magic, the header check,
 * the version and the metadata structure, but not the payload, which need not be present.
 * `out->payload` is NULL and `out->verified` 0.
 */
ZR_API zr_status zr_envelope_read_meta(const uint8_t *data, size_t len, const zr_allocator *alloc, zr_envelope *out,
                                       zr_error *err);

/** @brief Release what a parse result owns and zero it. NULL-safe; safe on a cleared struct. */
ZR_API void zr_envelope_clear(zr_envelope *env);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_ENVELOPE_H */

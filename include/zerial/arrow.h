/**
 * @file arrow.h
 * @brief Apache Arrow IPC (stream and file formats) and conversions between values and tables.
 *
 * Tables are ::zr_table values: an Arrow C Data Interface schema and record batches. The reader
 * returns buffers that are views into the input (zero-copy) unless asked to copy; the writer
 * produces metadata version V5 with optional LZ4_FRAME / ZSTD body compression. See
 * docs/guides/arrow.md for the rules of the value ↔ table conversion.
 *
 * Thread safety: every function is reentrant; a reader, writer or table is used by one thread at a
 * time. Released arrays may be dropped from any thread.
 */
#ifndef ZERIAL_ARROW_H
#define ZERIAL_ARROW_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "format.h"
#include "io.h"
#include "status.h"
#include "table.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Validation level of the reader. */
typedef enum zr_arrow_validate {
  ZR_ARROW_VALIDATE_FULL = 0,   /**< default: bounds plus offsets, dictionary indices, union ids, run ends */
  ZR_ARROW_VALIDATE_BOUNDS = 1  /**< metadata and buffer bounds only: O(columns), not O(rows) */
} zr_arrow_validate;

/** @brief Options of the reader. Initialise with zr_arrow_read_opts_init(). */
typedef struct zr_arrow_read_opts {
  const zr_allocator *alloc;   /**< allocator for nodes and copies (NULL: default) */
  int copy;                    /**< 1: copy every buffer out of the input; 0 (default): views */
  int validate;                /**< ::zr_arrow_validate */
  int validate_utf8;           /**< 1: utf8 columns must hold valid UTF-8 (default 0) */
  uint64_t max_bytes;          /**< limit of memory allocated by one read (copies, decompression) */
  uint32_t max_depth;          /**< nesting limit of the schema (default 64) */
  /** Called once when the last array viewing the input is released (e.g. to unmap it), or NULL. */
  void (*keep_release)(void *owner);
  void *keep_owner;            /**< passed to keep_release */
} zr_arrow_read_opts;

/** @brief Fill @p o with the defaults (views, full validation, 4 GiB limit). */
ZR_API void zr_arrow_read_opts_init(zr_arrow_read_opts *o);

/**
 * @brief Read a whole Arrow IPC stream or file (detected from the bytes) into @p out.
 *
 * In view mode the arrays point into @p data, which must stay alive and unchanged until every
 * array of @p out (and every array moved out of it) is released; opts->keep_release runs at that
 * moment. On failure @p out is left empty and err carries the byte offset of the problem.
 * Release @p out with zr_table_release().
 */
ZR_API zr_status zr_arrow_read(const uint8_t *data, size_t len, const zr_arrow_read_opts *opts,
                               zr_table *out, zr_error *err);

/**
 * @brief Map the file @p path read-only and read it as Arrow IPC into a new doc whose root is a
 * table value. The mapping lives until the doc and every array moved out of it are released.
 */
ZR_API zr_status zr_arrow_open(const char *path, const zr_arrow_read_opts *opts, zr_doc **out,
                               zr_error *err);

/** @brief A random-access reader of the Arrow file format. */
typedef struct zr_arrow_file zr_arrow_file;

/**
 * @brief Open the Arrow file in @p data (borrowed: it must outlive the reader and the arrays it
 * returns in view mode). Reads the footer, the schema and the dictionaries; batches are read on
 * demand. Free with zr_arrow_file_close().
 */
ZR_API zr_status zr_arrow_file_open(const uint8_t *data, size_t len, const zr_arrow_read_opts *opts,
                                    zr_arrow_file **out, zr_error *err);
/** @brief Number of record batches listed in the footer. */
ZR_API int64_t zr_arrow_file_num_batches(const zr_arrow_file *f);
/** @brief The schema (owned by the reader; valid until zr_arrow_file_close()). */
ZR_API const struct ArrowSchema *zr_arrow_file_schema(const zr_arrow_file *f);
/** @brief Read batch @p i into @p out (caller releases it; it may outlive the reader). */
ZR_API zr_status zr_arrow_file_batch(zr_arrow_file *f, int64_t i, struct ArrowArray *out, zr_error *err);
/** @brief Close the reader (NULL-safe). Arrays already returned stay valid. */
ZR_API void zr_arrow_file_close(zr_arrow_file *f);

/** @brief Body compression codecs of the IPC format. */
typedef enum zr_arrow_codec {
  ZR_ARROW_CODEC_NONE = 0, /**< no compression */
  ZR_ARROW_CODEC_LZ4 = 1,  /**< LZ4_FRAME */
  ZR_ARROW_CODEC_ZSTD = 2  /**< ZSTD */
} zr_arrow_codec;

/** @brief Options of the writer; zero-initialised means stream format, 8-byte alignment, no codec. */
typedef struct zr_arrow_write_opts {
  const zr_allocator *alloc; /**< scratch memory (NULL: default) */
  int file;                  /**< 1: file format (ARROW1 magic, footer); 0: stream format */
  uint32_t alignment;        /**< body buffer alignment: 8 (default) or 64 */
  int codec;                 /**< ::zr_arrow_codec */
  int level;                 /**< codec level (0: default) */
  int big_endian;            /**< 1: big-endian body buffers (Schema.endianness = Big), for
                                  big-endian consumers and tests; readers swap them back */
} zr_arrow_write_opts;

/**
 * @brief Write @p t (schema with its metadata, dictionaries, batches) to @p sink.
 * Dictionary arrays that change between batches become delta batches when the old one is a
 * prefix of the new one, replacements otherwise (stream format only). @p t is not modified.
 */
ZR_API zr_status zr_arrow_write(const zr_table *t, const zr_arrow_write_opts *opts, zr_sink *sink,
                                zr_error *err);

/** @brief An incremental IPC writer. */
typedef struct zr_arrow_writer zr_arrow_writer;
/** @brief Start writing: the schema (copied) is written at once. @p sink must outlive the writer. */
ZR_API zr_status zr_arrow_writer_new(zr_sink *sink, const struct ArrowSchema *schema,
                                     const zr_arrow_write_opts *opts, zr_arrow_writer **out,
                                     zr_error *err);
/** @brief Write one record batch (a struct array matching the schema; not consumed). */
ZR_API zr_status zr_arrow_writer_write(zr_arrow_writer *w, const struct ArrowArray *batch, zr_error *err);
/** @brief Write the end-of-stream marker (and the footer for files). */
ZR_API zr_status zr_arrow_writer_finish(zr_arrow_writer *w, zr_error *err);
/** @brief Free the writer (NULL-safe); does not finish it. */
ZR_API void zr_arrow_writer_free(zr_arrow_writer *w);

/** @brief Content equality of two tables (schema, metadata and values; batch boundaries matter). */
ZR_API int zr_arrow_table_equal(const zr_table *a, const zr_table *b);

/**
 * @brief Like zr_arrow_table_equal(), and on a difference writes a description of the first one
 * into @p why (@p cap bytes, NUL-terminated). Returns 1 when equal.
 */
ZR_API int zr_arrow_table_diff(const zr_table *a, const zr_table *b, char *why, size_t cap);

/**
 * @brief Parse Arrow's integration-test JSON (schema, dictionaries, batches; see Arrow's
 * Integration.rst) into a table (independent memory; release with zr_table_release()).
 */
ZR_API zr_status zr_arrow_from_integration_json(const char *text, size_t len, const zr_allocator *alloc,
                                                zr_table *out, zr_error *err);

/**
 * @brief One step of Arrow's integration protocol (what `zerial arrow-integration` runs).
 *
 * - "VALIDATE": the Arrow stream or file @p arrow equals the JSON @p json (ZR_ERR_INCOMPATIBLE
 *   with the first difference in err otherwise).
 * - "JSON_TO_ARROW": write the JSON @p json as an Arrow file @p arrow.
 * - "STREAM_TO_FILE": read the stream @p stream (NULL or "-": stdin), write the file @p arrow.
 * - "FILE_TO_STREAM": read the file @p arrow, write the stream @p stream (NULL or "-": stdout).
 * JSON files may be gzip-compressed. Output files are replaced atomically.
 */
ZR_API zr_status zr_arrow_integration(const char *mode, const char *json, const char *arrow,
                                      const char *stream, zr_error *err);

/**
 * @brief zr_arrow_integration() with writer options for the modes that write (@p wopts may be
 * NULL; its `file` field is ignored, the mode decides). E.g. `big_endian` writes big-endian files.
 */
ZR_API zr_status zr_arrow_integration_opts(const char *mode, const char *json, const char *arrow,
                                           const char *stream, const zr_arrow_write_opts *wopts,
                                           zr_error *err);

/** @brief Deep copy of @p src into @p dst (independent memory). Release @p dst with zr_table_release(). */
ZR_API zr_status zr_arrow_table_copy(const zr_table *src, zr_table *dst, zr_error *err);

/**
 * @brief Move the table into a C stream (@p t is left empty). The stream yields the batches in
 * order; release it with its release callback.
 */
ZR_API zr_status zr_arrow_table_to_stream(zr_table *t, struct ArrowArrayStream *out, zr_error *err);

/** @brief Drain a C stream into a table; the stream is released. */
ZR_API zr_status zr_arrow_table_from_stream(struct ArrowArrayStream *in, zr_table *out, zr_error *err);

/** @brief Options of the value → table conversion. Zero-initialise. */
typedef struct zr_arrow_convert_opts {
  const zr_allocator *alloc;  /**< NULL: default */
  int dictionary_strings;     /**< 1: string columns with few distinct values become dictionary-encoded */
  unsigned flags;             /**< ZR_ENC_STRICT (format.h): fail instead of warning on lossy conversions */
} zr_arrow_convert_opts;

/**
 * @brief Convert a value to a table: a list of maps with the same keys (rows), or a map of
 * equal-length lists (columns), or a table value. Nested maps become structs, lists lists, nulls
 * make fields nullable, mixed int/float columns float64 (a warning, with the value path, for
 * integers beyond 2^53), tensors `arrow.fixed_shape_tensor`. Returns ZR_ERR_TYPE with the value
 * path in err->path when the value has no table form.
 * @param v the value (a doc of the caller; only read).
 * @param opts NULL for the defaults.
 * @param out receives the table (owned by the caller: release with zr_table_release()); untouched on failure.
 * @param warnings where lossy conversions are reported (or NULL).
 * @param err NULL or filled on failure.
 */
ZR_API zr_status zr_arrow_from_value(const zr_value *v, const zr_arrow_convert_opts *opts,
                                     zr_table *out, zr_warnings *warnings, zr_error *err);

/**
 * @brief Convert a table back to values in @p doc: a list of maps, one per row (see the guide
 * for each type's value kind). Values live as long as @p doc.
 */
ZR_API zr_status zr_arrow_to_value(const zr_table *t, zr_doc *doc, zr_value *out, zr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_ARROW_H */

/**
 * @file etf.h
 * @brief Erlang external term format (version 131): decode terms into ::zr_value trees and
 * encode values as terms that `binary_to_term/2` reads with `[safe]`.
 *
 * The mapping, the tagged tuples used for kinds Erlang lacks, and the options are described in
 * docs/guides/beam.md. In short, decoding: integers → int (bigint beyond int64), floats → float,
 * atoms → symbol (`true`/`false` → bool and `nil` → null unless ::ZR_ETF_ATOMS_AS_SYMBOLS),
 * tuples → tuple, lists → list, byte lists (STRING_EXT) → list of ints (string with
 * ::ZR_ETF_CHARLIST_STRING), binaries → binary, maps → map. Pids, ports, references, funs and
 * export funs are refused with ::ZR_ERR_UNSUPPORTED naming the tag and its byte offset.
 * Encoding: strings and binaries → binaries, symbols → UTF-8 atoms, null → `nil`, floats →
 * NEW_FLOAT_EXT, integers beyond int64 → bignums.
 *
 * Thread safety: every function is reentrant; a doc or sink belongs to one caller at a time.
 */
#ifndef ZERIAL_ETF_H
#define ZERIAL_ETF_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "io.h"
#include "status.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Version byte that starts every external term. */
#define ZR_ETF_VERSION 131

/** @brief Flags of zr_etf_decode() and zr_etf_encode(); 0 gives the defaults. */
enum zr_etf_flags {
  /** Decode: every atom becomes a symbol (no `true`/`false` → bool, `nil` → null). */
  ZR_ETF_ATOMS_AS_SYMBOLS = 0x01,
  /** Decode: the atom `undefined` also becomes null. Encode: null is written as `undefined`
   *  instead of `nil`. */
  ZR_ETF_UNDEFINED_NULL = 0x02,
  /** Decode: STRING_EXT byte lists become strings (Latin-1 → UTF-8) instead of lists of ints. */
  ZR_ETF_CHARLIST_STRING = 0x04,
  /** Decode: an improper list becomes `{'$zerial_improper_list', Items, Tail}` instead of
   *  failing with ZR_ERR_UNSUPPORTED. */
  ZR_ETF_IMPROPER_TAGGED = 0x08,
  /** Decode: do not turn `'$zerial_*'` tagged tuples back into timestamps, ext values and
   *  tensors; encode: do not turn the improper-list and bitstring tuples back into their tags. */
  ZR_ETF_NO_TAGS = 0x10,
  /** Encode: write a compressed term (tag 80, zlib at zr_encode_opts::level). */
  ZR_ETF_COMPRESS = 0x20,
  /** Decode: binaries (BINARY_EXT) that are valid UTF-8 become strings instead of binaries
   *  (Elixir strings are binaries; Python, JSON and Arrow tell text from bytes). */
  ZR_ETF_BINARY_STRINGS = 0x40
};

/**
 * @brief Decode one external term of @p len bytes at @p data into a new doc.
 *
 * @param data,len the term bytes (starting with the version byte 131).
 * @param opts  limits and allocator (NULL: defaults). `max_bytes` also caps the declared size of
 *              a compressed term. With `opts->copy == 0` binaries, strings and atoms are views
 *              into @p data (or into the doc's inflated copy of a compressed term), so @p data
 *              must outlive the doc.
 * @param flags ::zr_etf_flags.
 * @param out   receives the doc (free with zr_doc_free()); untouched on failure.
 * @param err   NULL or filled on failure. Reentrant.
 * @return ZR_OK; ZR_ERR_TRUNCATED, ZR_ERR_MALFORMED, ZR_ERR_VERSION, ZR_ERR_UTF8, ZR_ERR_LIMIT,
 *         ZR_ERR_UNSUPPORTED (pids, ports, references, funs, improper lists without
 *         ::ZR_ETF_IMPROPER_TAGGED), ZR_ERR_CODEC, ZR_ERR_NOMEM; @p err gets the byte offset.
 */
ZR_API zr_status zr_etf_decode(const void *data, size_t len, const zr_decode_opts *opts, unsigned flags, zr_doc **out,
                               zr_error *err);

/**
 * @brief Encode @p v as one external term (starting with the version byte) to @p sink.
 *
 * @param v     the value (only read).
 * @param opts  NULL or encoder options: `flags & ZR_ENC_DETERMINISTIC` sorts map keys in Erlang
 *              term order; `alloc` for scratch memory; `level` for ::ZR_ETF_COMPRESS; `codec`
 *              "gzip"/"zlib" also selects the compressed form.
 * @param flags ::zr_etf_flags.
 * @param sink  where the term is appended (the caller's).
 * @param err   NULL or filled on failure (with the value path). Reentrant.
 * @return ZR_OK; ZR_ERR_TYPE with the value path for values Erlang cannot hold (tables,
 *         non-finite floats, non-numeric tensors); ZR_ERR_RANGE for atoms over 255 characters;
 *         sink errors. The sink may hold a partial term on failure.
 */
ZR_API zr_status zr_etf_encode(const zr_value *v, const zr_encode_opts *opts, unsigned flags, zr_sink *sink,
                               zr_error *err);

/**
 * @brief Write a JSON summary of the term tree of @p data to @p json_out (types, sizes, the first
 * children of each container, depth-limited) without building a doc.
 */
ZR_API zr_status zr_etf_inspect(const void *data, size_t len, zr_sink *json_out, zr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_ETF_H */

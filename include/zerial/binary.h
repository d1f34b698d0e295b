/**
 * @file binary.h
 * @brief zerial's compact binary format ("binary", envelope format id ZR_FORMAT_ID_BINARY).
 *
 * A self-describing, versioned encoding of every ::zr_value kind except tables (tables travel as
 * Arrow). One tag byte per value, immediates for small integers, short strings and small
 * containers, LEB128 lengths, homogeneous numeric lists written as raw typed arrays, and tensor
 * payloads written raw and 64-byte aligned from the first byte of the encoding, so a reader can
 * view them in place. The byte layout is specified in docs/formats/binary.md.
 *
 * Every kind survives a round trip exactly (zr_value_equal() holds between the value encoded
 * and the value decoded), including INT64_MIN, UINT64_MAX, NaN payloads, -0.0, the float32 hint,
 * map insertion order and keys of any kind. A tensor comes back C-contiguous (strides are
 * normalised to C order when written).
 *
 * Thread safety: all functions are reentrant; distinct calls share nothing.
 */
#ifndef ZERIAL_BINARY_H
#define ZERIAL_BINARY_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "io.h"
#include "status.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The newest format version this library writes (and the newest it reads). Version 2 adds
 * compressed typed lists and tensors; an encoding without compression is written as version 1. */
#define ZR_BINARY_VERSION 2
/** @brief The three magic bytes that open every encoding; the fourth byte is the version. */
#define ZR_BINARY_MAGIC "ZRB"
/** @brief Bytes of the header (magic + version) before the root value. */
#define ZR_BINARY_HEADER_SIZE 4
/** @brief Default alignment of tensor payloads, in bytes from the first byte of the encoding. */
#define ZR_BINARY_TENSOR_ALIGN 64
/** @brief Deepest nesting the encoder writes and the decoders read, whatever
 * zr_decode_opts::max_depth asks: it bounds the recursive decoders' stack, and being the
 * encoder's own limit, everything zerial writes reads back. */
#define ZR_BINARY_MAX_DEPTH 4096u

/**
 * @brief Exact number of bytes zr_binary_encode() writes for @p v with @p opts.
 *
 * Also validates the value: it fails exactly where zr_binary_encode() would fail for a reason
 * other than the sink (ZR_ERR_TYPE for tables, ZR_ERR_INVALID_ARG for inconsistent tensors or
 * unknown kinds, ZR_ERR_LIMIT for nesting deeper than 4096 or cycles), with the value path in
 * err->path.
 * @param v the value (not modified, not retained).
 * @param opts encoder options or NULL (only `alignment` matters: tensor payload alignment, a power
 *        of two from 1 to 128; 0 means ::ZR_BINARY_TENSOR_ALIGN).
 * @param size receives the byte count.
 * @param err NULL-safe error record.
 */
ZR_API zr_status zr_binary_encoded_size(const zr_value *v, const zr_encode_opts *opts, uint64_t *size,
                                        zr_error *err);

/**
 * @brief Encode @p v to @p sink.
 *
 * When the sink can reserve memory (zr_sink_can_reserve(): memory and fixed-memory sinks), the
 * value is read once and written in place into a reservation that grows with the encoding (a
 * fixed sink is filled up to its capacity; ::ZR_ERR_NOSPACE when the encoding does not fit); the
 * bytes are committed only when the whole value is written, so nothing is committed on failure.
 * Otherwise the exact size is computed first (a bad value writes nothing), then bytes go through
 * a staging buffer of 64 KiB (allocated with opts->alloc) in large writes, and large payloads are
 * written straight from the value; on a sink failure the bytes already written stay in the sink. The sink is not flushed or finished: call zr_sink_flush() or
 * zr_sink_finish() when done. A ::ZR_WOULD_BLOCK from a callback sink is not an error (the sink
 * keeps the bytes; flush later).
 *
 * The output is deterministic: the same value always gives the same bytes (maps keep their order;
 * ZR_ENC_DETERMINISTIC changes nothing). Encoding fails with ZR_ERR_TYPE and the path (such as
 * `$.rows[3]`) for a table ("tables travel as Arrow") so callers can fall back to Arrow.
 * @param v the value (not modified, not retained); strings, tensors' data etc. are read only
 *        during the call.
 * @param opts encoder options or NULL for defaults.
 * @param sink where the bytes go (owned by the caller).
 * @param err NULL-safe error record: path set for value errors.
 */
ZR_API zr_status zr_binary_encode(const zr_value *v, const zr_encode_opts *opts, zr_sink *sink, zr_error *err);

/**
 * @brief Decode a complete encoding into a new doc.
 *
 * In zero-copy mode (the default, opts->copy == 0) strings, symbols, binaries, bigint magnitudes,
 * ext bytes and tensor data of the doc are views into @p data, which must then outlive the doc
 * and stay unchanged; a tensor whose data is not aligned in memory to its element's natural
 * alignment is copied (64-byte aligned) instead. With opts->copy every byte is copied into the
 * doc (strings also NUL-terminated) and @p data may be released right after the call. Timestamp
 * time zones and tensor descr strings are always copied (they are NUL-terminated in the value
 * model). Homogeneous numeric lists come back as lists of int/uint/float values (their kinds
 * round-trip exactly); tensors come back as tensors.
 *
 * Limits from opts (max_depth: nested containers; max_elements: values produced, map keys
 * included; max_bytes: bytes the doc allocates; 0 in any of them means its default) fail with
 * ZR_ERR_LIMIT. A large tree (4 MiB or more by a pre-scan of the input) is allocated in the doc
 * as one block advised for transparent huge pages, which spares most first-touch page faults. Malformed input fails with
 * ZR_ERR_TRUNCATED, ZR_ERR_MALFORMED, ZR_ERR_UTF8 (when opts->validate_utf8) or ZR_ERR_VERSION and
 * err->offset set to the byte offset of the problem; the decoder never reads outside
 * [data, data + len). Repeated map keys follow opts->dup_keys.
 * @param data the encoding (borrowed, see above).
 * @param len its size in bytes; the root value must end exactly at @p len.
 * @param opts decoder options or NULL for zr_decode_opts_init() defaults.
 * @param out receives the doc (free with zr_doc_free()); NULL on failure.
 * @param err NULL-safe error record.
 */
ZR_API zr_status zr_binary_decode(const void *data, size_t len, const zr_decode_opts *opts, zr_doc **out,
                                  zr_error *err);

/**
 * @brief zr_binary_decode() into an existing doc, reusing its memory: @p doc is reset first
 * (zr_doc_reset(): its previous values become invalid) and receives the decoded root. Decoding
 * message after message into one doc allocates nothing once the doc's kept memory covers the
 * largest tree, so no fresh pages are touched (the way a streaming reader reuses one zone).
 * Options, limits (opts->max_bytes becomes the doc's limit), zero-copy rules and errors are those
 * of zr_binary_decode(); on failure the doc is left reset (root null).
 * @param data the encoding (borrowed in zero-copy mode as long as the doc holds its values).
 * @param len its size in bytes; the root value must end exactly at @p len.
 * @param opts decoder options or NULL for zr_decode_opts_init() defaults.
 * @param doc the doc to fill (owned by the caller; not thread-safe for one doc).
 * @param err NULL-safe error record.
 */
ZR_API zr_status zr_binary_decode_into(const void *data, size_t len, const zr_decode_opts *opts, zr_doc *doc,
                                       zr_error *err);

/**
 * @brief Decode the encoding at the start of a stream of concatenated encodings (each with its
 * own header) into @p doc, like zr_binary_decode_into(), accepting bytes after it.
 *
 * On success *used is the size of that encoding: the next one starts at data + *used. When
 * [data, data + len) holds only the beginning of an encoding the call fails with
 * ZR_ERR_TRUNCATED (the caller reads more and calls again with the longer buffer; at the end of
 * the stream it is an error). Other failures are those of zr_binary_decode(). In zero-copy mode
 * the values borrow from @p data as long as the doc holds them.
 * @param data the bytes at hand, starting with an encoding.
 * @param len how many bytes are at hand (may extend past the encoding).
 * @param opts decoder options or NULL for zr_decode_opts_init() defaults.
 * @param doc the doc to fill (reset first, as in zr_binary_decode_into()).
 * @param used receives the bytes consumed (0 on failure); required.
 * @param err NULL-safe error record.
 */
ZR_API zr_status zr_binary_decode_next(const void *data, size_t len, const zr_decode_opts *opts, zr_doc *doc,
                                       size_t *used, zr_error *err);

/**
 * @brief Confidence (0 … 100) that @p data starts a zerial binary encoding: 100 when the magic
 * and a known version match, 50 when the magic matches with a version this library does not
 * know, 0 otherwise. Reads at most 4 bytes.
 */
ZR_API int zr_binary_detect(const void *data, size_t len);

/**
 * @brief Write a JSON object summarising an encoding to @p json_out without building the value:
 * version, sizes, counts of values per kind, maximum depth, the first tensors' dtypes and shapes,
 * and a shallow tree of the root (the first members or items of the root container). Typed arrays
 * and tensor payloads are skipped, not read.
 * @return ZR_OK, or the decode errors (with offsets) when the input is malformed.
 */
ZR_API zr_status zr_binary_inspect(const void *data, size_t len, zr_sink *json_out, zr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_BINARY_H */

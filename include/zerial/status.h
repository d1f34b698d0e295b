/**
 * @file status.h
 * @brief Status codes and the error record every zerial call can fill.
 *
 * Every fallible function returns a ::zr_status (0 on success, a negative code otherwise) and
 * takes a last, NULL-safe `zr_error *err` parameter. Codes only grow: a code's number never
 * changes once released.
 *
 * Thread safety: all functions here are reentrant; a ::zr_error belongs to one caller at a time.
 */
#ifndef ZERIAL_STATUS_H
#define ZERIAL_STATUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Export macro: symbols of the library are hidden unless marked with it. */
#if defined(_WIN32)
#define ZR_API
#elif defined(__GNUC__)
#define ZR_API __attribute__((visibility("default")))
#else
#define ZR_API
#endif

/**
 * @brief The one list of status codes: X(NAME, value, description).
 *
 * Used to generate the ::zr_status_code enum and zr_strerror(). New codes are appended with the
 * next free negative number; numbers are never reused.
 */
#define ZR_STATUS_LIST(X)                                                                          \
  X(OK, 0, "success")                                                                              \
  X(ERR_NOMEM, -1, "out of memory")                                                                \
  X(ERR_INVALID_ARG, -2, "invalid argument")                                                       \
  X(ERR_IO, -3, "input/output error")                                                              \
  X(WOULD_BLOCK, -4, "operation would block; retry later")                                         \
  X(ERR_TRUNCATED, -5, "input is truncated")                                                       \
  X(ERR_MALFORMED, -6, "input is malformed")                                                       \
  X(ERR_CHECKSUM, -7, "checksum mismatch")                                                         \
  X(ERR_LIMIT, -8, "a configured limit was exceeded")                                              \
  X(ERR_UNSUPPORTED, -9, "unsupported feature or type")                                            \
  X(ERR_VERSION, -10, "unsupported version")                                                       \
  X(ERR_UTF8, -11, "invalid UTF-8")                                                                \
  X(ERR_TYPE, -12, "value has the wrong kind for this operation")                                  \
  X(ERR_NOT_FOUND, -13, "not found")                                                               \
  X(ERR_OVERFLOW, -14, "arithmetic overflow")                                                      \
  X(ERR_RANGE, -15, "value out of range")                                                          \
  X(ERR_FORMAT, -16, "unknown or undetectable format")                                             \
  X(ERR_CODEC, -17, "compression codec error")                                                     \
  X(ERR_EXISTS, -18, "already exists")                                                             \
  X(ERR_PERMISSION, -19, "permission denied")                                                      \
  X(ERR_NOSPACE, -20, "no space left on device")                                                   \
  X(ERR_STATE, -21, "operation not valid in the current state")                                    \
  X(ERR_REFUSED, -22, "refused for safety")                                                        \
  X(ERR_INCOMPATIBLE, -23, "incompatible schema")                                                  \
  X(ERR_LOSSY, -24, "conversion would lose information")                                           \
  X(ERR_CONFIG, -25, "invalid configuration")                                                      \
  X(ERR_BUSY, -26, "resource busy")                                                                \
  X(ERR_INTERNAL, -27, "internal error")                                                           \
  X(ERR_DATABASE, -28, "database error")                                                           \
  X(ERR_NETWORK, -29, "network error")                                                             \
  X(ERR_CANCELLED, -30, "cancelled")                                                               \
  X(ERR_EOF, -31, "end of input")                                                                  \
  X(ERR_ALIGNMENT, -32, "misaligned data")

/** @brief Numeric status: 0 success, negative on failure (see ::zr_status_code). */
typedef int zr_status;

/** @brief Every status code as an enum constant `ZR_<NAME>`. */
enum zr_status_code {
#define ZR__STATUS_ENUM(name, value, text) ZR_##name = value,
  ZR_STATUS_LIST(ZR__STATUS_ENUM)
#undef ZR__STATUS_ENUM
};

/* Per-code documentation (the enum is generated, so each constant is documented here; what to do
 * about each one: docs/guides/troubleshooting.md). */
/** @var ZR_OK
 * @brief Success. */
/** @var ZR_ERR_NOMEM
 * @brief An allocation failed (or a failing allocator hook said no). Nothing half-built is left behind. */
/** @var ZR_ERR_INVALID_ARG
 * @brief A NULL or out-of-domain argument, or an object of the wrong kind (a region name with a slash in the middle, a file that is not a regular file). */
/** @var ZR_ERR_IO
 * @brief A read or write of a file, pipe or stream failed (the message carries the system's reason). */
/** @var ZR_WOULD_BLOCK
 * @brief Not an error: a callback sink or source cannot take or give bytes now; the rest stays buffered, call again later. */
/** @var ZR_ERR_TRUNCATED
 * @brief The input ends before the structure it declares (the offset says where the missing bytes start). */
/** @var ZR_ERR_MALFORMED
 * @brief The input is structurally invalid for its format (bad tag, bad length, bad padding); the offset says where. */
/** @var ZR_ERR_CHECKSUM
 * @brief A checksum in the input (envelope XXH3, codec frame, npz CRC-32, region directory) does not match the bytes. */
/** @var ZR_ERR_LIMIT
 * @brief A limit of zr_decode_opts (depth, elements, bytes) or of a buffer was exceeded: the input may be hostile, or the limit too low. */
/** @var ZR_ERR_UNSUPPORTED
 * @brief A feature or type this build or format does not handle (a codec not compiled in, an Erlang pid, an Arrow type without a mapping). */
/** @var ZR_ERR_VERSION
 * @brief The input was written by a newer (or unknown) version of its format. */
/** @var ZR_ERR_UTF8
 * @brief A string that must be UTF-8 is not; the offset points at the first bad byte. */
/** @var ZR_ERR_TYPE
 * @brief A value has the wrong kind for the operation or format (a table for Erlang, string keys expected); encoders give the value path. */
/** @var ZR_ERR_NOT_FOUND
 * @brief A named thing is absent: a region, an object, a schema subject or version, a custom type id, a frame's content size. */
/** @var ZR_ERR_OVERFLOW
 * @brief A size computation would overflow (shape times item size, offsets past 2^64). */
/** @var ZR_ERR_RANGE
 * @brief A number is outside the range the target can hold (narrowing in a schema migration, an option outside its bounds). */
/** @var ZR_ERR_FORMAT
 * @brief The bytes are not in any known format, or a format name or id is unknown to this build. */
/** @var ZR_ERR_CODEC
 * @brief The compression library reported an error (corrupt frame, bad parameters). */
/** @var ZR_ERR_EXISTS
 * @brief Creating something that already exists: a region, an object in a region, a registered format or custom type. */
/** @var ZR_ERR_PERMISSION
 * @brief The operating system refused access (file or /dev/shm permissions). */
/** @var ZR_ERR_NOSPACE
 * @brief No room: a caller buffer too small (use the bound functions) or a full device or /dev/shm. */
/** @var ZR_ERR_STATE
 * @brief The call does not fit the object's state: a region not published yet, a reservation pending, a sink already finished. */
/** @var ZR_ERR_REFUSED
 * @brief Refused for safety: pickle globals outside the NumPy allow-list, object arrays, anything that would run code. */
/** @var ZR_ERR_INCOMPATIBLE
 * @brief A schema breaks the compatibility mode of its subject (the report lists each violation and its path). */
/** @var ZR_ERR_LOSSY
 * @brief A strict conversion would lose information (int beyond 2^53 to float64, timestamp precision, JSON forms). */
/** @var ZR_ERR_CONFIG
 * @brief Invalid configuration (ZERIAL_CONFIG file or ZERIAL_* variable); the message names the key. */
/** @var ZR_ERR_BUSY
 * @brief A resource is in use: the schema registry database is locked, or a region is being written. */
/** @var ZR_ERR_INTERNAL
 * @brief A bug in zerial (an invariant failed); please report it with the input. */
/** @var ZR_ERR_DATABASE
 * @brief The schema registry's SQLite database failed or is not a registry. */
/** @var ZR_ERR_NETWORK
 * @brief A network request (remote schema registry) failed or answered without JSON. */
/** @var ZR_ERR_CANCELLED
 * @brief The operation was cancelled by the caller (a callback asked to stop). */
/** @var ZR_ERR_EOF
 * @brief The input ended cleanly where more was requested (end of a stream). */
/** @var ZR_ERR_ALIGNMENT
 * @brief Data is not aligned as its format requires (Arrow metadata, region objects). */

/** @brief Capacity of zr_error::message including the terminating NUL. */
#define ZR_ERROR_MESSAGE_MAX 256
/** @brief Capacity of zr_error::path including the terminating NUL. */
#define ZR_ERROR_PATH_MAX 256

/**
 * @brief Details of a failure.
 *
 * Filled by the function that failed; untouched on success. `offset` is the byte offset in the
 * input where a decoder found the problem (-1 when not applicable); `path` is the value path where
 * an encoder failed, such as `$.rows[3].score` (empty when not applicable). Every field describes
 * the same, latest failure: a record reused across calls never pairs a new message with the path
 * of an earlier error (zr_error_set() empties the path; zr_error_set_path() then adds the new one).
 * Plain data: copy it freely; no resources to release.
 */
typedef struct zr_error {
  zr_status code;                      /**< The status returned, or ZR_OK. */
  int64_t offset;                      /**< Byte offset in the input, or -1. */
  char message[ZR_ERROR_MESSAGE_MAX];  /**< Human-readable message, NUL-terminated. */
  char path[ZR_ERROR_PATH_MAX];        /**< Value path, NUL-terminated, may be empty. */
} zr_error;

/**
 * @brief Static description of a status code ("unknown status" for numbers not in the list).
 * @return A string with static storage duration. Thread-safe.
 */
ZR_API const char *zr_strerror(zr_status code);

/**
 * @brief Symbolic name of a status code, such as "ERR_TRUNCATED" (NULL for unknown numbers).
 * @return A string with static storage duration. Thread-safe.
 */
ZR_API const char *zr_status_name(zr_status code);

/** @brief Reset an error record to "no error" (code 0, offset -1, empty strings). NULL-safe. */
ZR_API void zr_error_clear(zr_error *err);

/**
 * @brief Fill @p err with a code, an offset and a printf-style message; NULL-safe.
 *
 * For custom serializers and sinks written by users. Replaces every field: the path is emptied
 * too, so that a path left by an earlier error is not reported beside this one. To give a value
 * path, call zr_error_set_path() after this function, not before.
 * @return @p code, so that `return zr_error_set(err, ZR_ERR_RANGE, -1, "...")` reads naturally.
 */
ZR_API zr_status zr_error_set(zr_error *err, zr_status code, int64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/**
 * @brief Set the value path of @p err (truncated to ZR_ERROR_PATH_MAX - 1 bytes). NULL-safe.
 *
 * Call it after zr_error_set(), which empties the path. Code and message are left unchanged.
 */
ZR_API void zr_error_set_path(zr_error *err, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_STATUS_H */

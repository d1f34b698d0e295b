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

/** @brief Capacity of zr_error::message including the terminating NUL. */
#define ZR_ERROR_MESSAGE_MAX 256
/** @brief Capacity of zr_error::path including the terminating NUL. */
#define ZR_ERROR_PATH_MAX 256

/**
 * @brief Details of a failure.
 *
 * Filled by the function that failed; untouched on success. `offset` is the byte offset in the
 * input where a decoder found the problem (-1 when not applicable); `path` is the value path where
 * an encoder failed, such as `$.rows[3].score` (empty when not applicable). Plain data: copy it
 * freely; no resources to release.
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
 * For custom serializers and sinks written by users. The path is left unchanged.
 * @return @p code, so that `return zr_error_set(err, ZR_ERR_RANGE, -1, "...")` reads naturally.
 */
ZR_API zr_status zr_error_set(zr_error *err, zr_status code, int64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/** @brief Set the value path of @p err (truncated to ZR_ERROR_PATH_MAX - 1 bytes). NULL-safe. */
ZR_API void zr_error_set_path(zr_error *err, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_STATUS_H */

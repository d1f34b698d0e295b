/**
 * @file zerial.h
 * @brief Umbrella header: include this to get the whole public API of zerial.
 *
 * zerial moves data between processes and languages fast: a compact binary format, Arrow IPC,
 * NumPy layouts, optional compression and shared memory, and a reader that opens it without
 * copying. See README.md and docs/guides/.
 *
 * Conventions of every header: functions return a ::zr_status and fill a last, NULL-safe
 * `zr_error *err`; each comment says who owns what, how long returned pointers stay valid and
 * whether the call is thread-safe (a header's file comment gives the rule for the whole module).
 * The version functions below are thread-safe and return static data.
 */
#ifndef ZERIAL_ZERIAL_H
#define ZERIAL_ZERIAL_H

/** @brief Major version. */
#define ZR_VERSION_MAJOR 0
/** @brief Minor version. */
#define ZR_VERSION_MINOR 1
/** @brief Patch version. */
#define ZR_VERSION_PATCH 0
/** @brief Version as one comparable number: major × 10000 + minor × 100 + patch. */
#define ZR_VERSION_NUMBER (ZR_VERSION_MAJOR * 10000 + ZR_VERSION_MINOR * 100 + ZR_VERSION_PATCH)
/** @brief Version as a string. */
#define ZR_VERSION_STRING "0.1.0"

#include "alloc.h"
#include "format.h"
#include "io.h"
#include "schema.h"
#include "status.h"
#include "table.h"
#include "tensor.h"
#include "value.h"
/* Headers of modules, each present once its module has landed. */
#if __has_include("binary.h")
#include "binary.h"
#endif
#if __has_include("envelope.h")
#include "envelope.h"
#endif
#if __has_include("codec.h")
#include "codec.h"
#endif
#if __has_include("arrow.h")
#include "arrow.h"
#endif
#if __has_include("numpy.h")
#include "numpy.h"
#endif
#if __has_include("etf.h")
#include "etf.h"
#endif
#if __has_include("shm.h")
#include "shm.h"
#endif
#if __has_include("serialize.h")
#include "serialize.h"
#endif
#if __has_include("stream.h")
#include "stream.h"
#endif
#if __has_include("metrics.h")
#include "metrics.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @brief ZR_VERSION_NUMBER of the library actually linked (may differ from the header's). */
ZR_API unsigned zr_version_number(void);
/** @brief ZR_VERSION_STRING of the library actually linked. Static storage. */
ZR_API const char *zr_version_string(void);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_ZERIAL_H */

/**
 * @file metrics.h
 * @brief Operations: process-wide metrics (Prometheus text exposition), an embeddable HTTP
 * handler for `/metrics`, `/healthz` and `/readyz`, health checks and graceful degradation.
 *
 * What is counted: every zr_serialize(), zr_deserialize() and zr_inspect() call, per format and
 * operation (calls, bytes in and out, errors by status code, latency histogram), the compression
 * ratio per format and codec, format decisions per data shape, fallbacks (a format that could not
 * represent a value, a codec or shared memory that failed and was degraded around), shared-memory
 * regions and bytes mapped by this process, and buffer high-water marks. Metric names, labels and
 * meanings: docs/guides/metrics.md.
 *
 * The metrics are process-wide (one registry, whatever the number of contexts), as a Prometheus
 * scrape of a process expects. Each thread counts into its own shard of plain counters (no lock,
 * no shared cache line on the hot path); readers merge the shards. A shard outlives its thread:
 * when the thread exits, the next new thread adopts it, so counts are never lost.
 *
 * Thread safety: every function here may be called from any thread at any time.
 */
#ifndef ZERIAL_METRICS_H
#define ZERIAL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "serialize.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The operations metrics are kept for. */
typedef enum zr_metrics_op {
  ZR_METRICS_SERIALIZE = 0,   /**< zr_serialize() (label op="serialize") */
  ZR_METRICS_DESERIALIZE = 1, /**< zr_deserialize(), zr_deserialize_source() (op="deserialize") */
  ZR_METRICS_INSPECT = 2      /**< zr_inspect() (op="inspect") */
} zr_metrics_op;

/** @brief Number of ::zr_metrics_op values. */
#define ZR_METRICS_OPS 3

/** @brief Kinds of fallback counted by `zerial_fallbacks_total{kind=…}`. */
typedef enum zr_fallback_kind {
  ZR_FALLBACK_FORMAT = 0, /**< the first format could not represent the value; the next one was used */
  ZR_FALLBACK_CODEC = 1,  /**< compression failed; the payload was stored uncompressed (raw) */
  ZR_FALLBACK_SHM = 2     /**< shared memory failed; the bytes were kept in process memory */
} zr_fallback_kind;

/**
 * @brief Turn counting on or off (on by default; the environment variable `ZERIAL_METRICS=0`
 * turns it off at start). While off, the hooks cost one relaxed atomic load per call.
 */
ZR_API void zr_metrics_set_enabled(int on);
/** @brief Non-zero when counting is on. */
ZR_API int zr_metrics_enabled(void);

/**
 * @brief Latency sampling: time one call in @p every per thread (default 8; 1 times every call).
 * A thread whose last timed call took 20 µs or more times every call (two clock reads are then
 * negligible), so slow or rare calls are always measured. Counts and bytes are never sampled.
 */
ZR_API void zr_metrics_set_sampling(unsigned every);

/**
 * @brief Set every counter and histogram back to zero (gauges of shared memory in use are kept).
 * Counts made by other threads during the call may survive or be lost; meant for tests and for
 * tools that measure one run.
 */
ZR_API void zr_metrics_reset(void);

/** @brief Merged totals of one format × operation (plain data). */
typedef struct zr_metrics_stats {
  uint64_t calls;        /**< calls, failed ones included */
  uint64_t errors;       /**< failed calls (all codes) */
  uint64_t bytes_in;     /**< serialize: encoded bytes before compression; deserialize/inspect: input bytes */
  uint64_t bytes_out;    /**< serialize: bytes written; deserialize: payload bytes decoded; inspect: payload bytes */
  uint64_t timed;        /**< calls whose latency was measured (see zr_metrics_set_sampling()) */
  double seconds;        /**< total latency of the timed calls */
  uint64_t fallbacks[3]; /**< by ::zr_fallback_kind (serialize only) */
} zr_metrics_stats;

/**
 * @brief Totals for @p format ("binary", "arrow", …; "unknown" for inputs no format recognised)
 * and @p op, merged over all threads. ZR_ERR_NOT_FOUND when the format was never seen.
 */
ZR_API zr_status zr_metrics_get(const char *format, zr_metrics_op op, zr_metrics_stats *out);

/** @brief Errors with status @p code counted for @p format × @p op (0 when none). */
ZR_API uint64_t zr_metrics_errors(const char *format, zr_metrics_op op, zr_status code);

/** @brief Shared-memory regions mapped by this process now, and their bytes. */
ZR_API void zr_metrics_shm(uint64_t *regions, uint64_t *bytes);

/**
 * @brief Write every metric in the Prometheus text exposition format (version 0.0.4: `# HELP`
 * and `# TYPE` lines, escaped label values, cumulative histogram buckets) to @p sink. The sink is
 * flushed, not finished. Reentrant; the values are a merge of all threads at the time of the call.
 */
ZR_API zr_status zr_metrics_write_prometheus(zr_sink *sink, zr_error *err);

/** @brief Content-Type of the text exposition format (static string). */
#define ZR_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ------------------------------------------------------------------------------------------ */
/* Health                                                                                      */

/** @brief Result of one health check or of the whole report. */
typedef enum zr_health_status {
  ZR_HEALTH_OK = 0,       /**< works */
  ZR_HEALTH_DEGRADED = 1, /**< does not work, but zerial works around it (e.g. no shared memory: in-memory) */
  ZR_HEALTH_FAIL = 2,     /**< does not work and nothing works around it */
  ZR_HEALTH_SKIPPED = 3   /**< not configured (e.g. no registry) */
} zr_health_status;

/** @brief Largest number of checks in a report. */
#define ZR_HEALTH_MAX_CHECKS 16

/** @brief One check of a health report. Plain data. */
typedef struct zr_health_check {
  char name[32];           /**< "codec.zstd", "format.binary", "shm", "registry" */
  zr_health_status status; /**< verdict of this check */
  double ms;         /**< time the check took */
  char message[160]; /**< what was found ("round trip of 4096 bytes", or the error) */
} zr_health_check;

/** @brief A health report: the overall status is the worst check (SKIPPED counts as OK). */
typedef struct zr_health_report {
  zr_health_status status;                      /**< worst status of the checks */
  unsigned n_checks;                            /**< entries used in checks */
  zr_health_check checks[ZR_HEALTH_MAX_CHECKS]; /**< in the order they ran */
} zr_health_report;

/** @brief Options of zr_ctx_health() (zero-initialise; NULL means all defaults). */
typedef struct zr_health_opts {
  const char *registry; /**< schema registry (SQLite path) to check; NULL: `ZERIAL_REGISTRY` if set, else skipped */
  int skip_shm;         /**< non-zero: do not try to create a shared-memory region */
} zr_health_opts;

/**
 * @brief Check that zerial can do its job here: every built-in codec compresses and decompresses
 * a test pattern (round trip compared byte for byte), the binary format round-trips a small
 * document, a shared-memory region can be created, published, opened and removed, and the schema
 * registry (when configured) opens and answers. Does not count in the operation metrics; updates
 * the `zerial_health_status` gauge. @p out is plain data filled by the call.
 * Returns ZR_OK whenever the report was produced (read @p out->status for the verdict).
 * Thread-safe.
 */
ZR_API zr_status zr_ctx_health(zr_ctx *ctx, const zr_health_opts *opts, zr_health_report *out, zr_error *err);

/** @brief Write @p r as one JSON object (`{"status":"ok","checks":[…]}`). Reentrant. */
ZR_API zr_status zr_health_write_json(const zr_health_report *r, zr_sink *sink, zr_error *err);

/** @brief "ok", "degraded", "fail" or "skipped" (static). */
ZR_API const char *zr_health_status_name(zr_health_status s);

/* ------------------------------------------------------------------------------------------ */
/* Shared memory with an in-memory fallback                                                    */

/** @brief Where zr_ctx_share() put the bytes. Release with zr_shared_release(). */
typedef struct zr_shared {
  int in_memory;              /**< non-zero when shared memory failed and the bytes are in `data` */
  char region[208];           /**< region name (when !in_memory) */
  char object[64];            /**< object name inside the region */
  uint8_t *data;              /**< in_memory: the serialized bytes (owned; freed by zr_shared_release) */
  size_t len;                 /**< bytes serialized */
  zr_serialize_result result; /**< what the serializer did */
  const zr_allocator *alloc;  /**< allocator of data */
} zr_shared;

/**
 * @brief Serialize @p v (like zr_serialize() with @p opts) and publish it as object @p object of a
 * new shared-memory region @p region. If shared memory fails at run time (no /dev/shm, no space,
 * a limit), the call does not fail: it keeps the bytes in process memory (`out->in_memory`),
 * logs a "shm.fallback" warning and counts `zerial_fallbacks_total{kind="shm"}` — unless the
 * configuration is strict, which returns the error. A region that already exists (ZR_ERR_EXISTS)
 * or an invalid region or object name (ZR_ERR_INVALID_ARG) is an error, never a fallback. The
 * region (when created) stays until
 * zr_shm_unlink(); @p out owns in-memory bytes until zr_shared_release(). Thread-safe.
 */
ZR_API zr_status zr_ctx_share(zr_ctx *ctx, const char *region, const char *object, const zr_value *v,
                              const zr_serialize_opts *opts, zr_shared *out, zr_error *err);

/** @brief Free what @p s owns (NULL-safe; does not unlink the region). */
ZR_API void zr_shared_release(zr_shared *s);

/* ------------------------------------------------------------------------------------------ */
/* Embeddable HTTP handler                                                                     */

/** @brief A response built by zr_metrics_http_handle(). Free with zr_http_response_free(). */
typedef struct zr_http_response {
  int status;               /**< HTTP status code */
  const char *content_type; /**< static string */
  char *body;               /**< owned, NUL-terminated */
  size_t len;               /**< body bytes (without the NUL) */
} zr_http_response;

/**
 * @brief Answer one HTTP request of a host process's web server, whatever the server library:
 * `GET /metrics` (the exposition format), `GET /healthz` (liveness: 200 with the health report
 * as JSON unless a check fails, then 503), `GET /readyz` (readiness: 200 "ready" unless a check
 * fails, then 503 with the report). HEAD is answered like GET (the caller drops the body);
 * another method gives 405, another path 404. @p ctx (may be NULL: health checks without a
 * context's configuration) and @p hopts are used by the health endpoints. @p path may carry a
 * query string (ignored). Thread-safe: call it from any server thread.
 */
ZR_API zr_status zr_metrics_http_handle(zr_ctx *ctx, const zr_health_opts *hopts, const char *method, const char *path,
                                        zr_http_response *out, zr_error *err);

/** @brief Free the body of @p r (NULL-safe). */
ZR_API void zr_http_response_free(zr_http_response *r);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_METRICS_H */

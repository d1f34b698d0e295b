/* Internals of src/metrics: the hooks the manager (src/ctx) and shared memory (src/shm) call,
 * fault injection for tests, and degradation helpers. */
#ifndef ZERIAL_METRICS_INTERNAL_H
#define ZERIAL_METRICS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "zerial/metrics.h"

/* Start of a timed call: monotonic nanoseconds (never 0), or 0 when metrics are off. */
uint64_t zr__metrics_clock(void);

/* End of a call started at t0 (no-ops when t0 is 0). */
/* @p asked: the format named by the caller (label of a failed call when none was written), or NULL */
void zr__metrics_serialize(uint64_t t0, zr_status st, const zr_serialize_result *r, const char *asked);
void zr__metrics_deserialize(uint64_t t0, zr_status st, const zr_deserialize_info *inf);
void zr__metrics_inspect(uint64_t t0, zr_status st, size_t in_len);
/* The format zr_inspect() detected, for the inspect record of this thread's current call. */
void zr__metrics_note_format(const char *name, size_t payload_len);

/* A fallback of @p kind that ended in @p format (counted even when no call is being timed). */
void zr__metrics_fallback(zr_fallback_kind kind, const char *format);

/* Shared memory mapped by this process: regions and bytes (deltas may be negative). */
void zr__metrics_shm(int regions, int64_t bytes);

/* Last health verdict (zerial_health_status gauge). */
void zr__metrics_health(zr_health_status s);

/* The exposition text and the health report as JSON, appended to @p b. */
zr_status zr__metrics_text(zr__buf *b);
zr_status zr__health_json(const zr_health_report *r, zr__buf *b);

/* Degrade around a codec that failed in zr_serialize: warning, "codec.fallback" log, metric;
 * clears @p err. The caller then stores the payload uncompressed. */
struct zr__config;
void zr__degrade_codec(zr_ctx *ctx, const struct zr__config *cfg, const char *codec, const char *format, zr_warnings *w,
                       zr_error *err);

/* ---- fault injection (tests) ----
 * Sites fail on purpose when named in the environment variable ZERIAL_FAULT (comma-separated,
 * read once) or by zr__fault_set(): "codec" (compression in zr_serialize), "shm" (creating a
 * shared-memory region in zr_ctx_share and the health check). */
#define ZR__FAULT_CODEC 1u
#define ZR__FAULT_SHM 2u
int zr__fault(unsigned site);
/* Replace the set of failing sites (NULL or "": none). */
void zr__fault_set(const char *sites);

#endif

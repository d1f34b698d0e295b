/* Internal interface of src/codec (not installed). */
#ifndef ZERIAL_CODEC_INTERNAL_H
#define ZERIAL_CODEC_INTERNAL_H

#include "core/internal.h"
#include "zerial/codec.h"

/* Reusable compression contexts, one per thread of work (lazily created per codec). */
typedef struct zr__cctx {
  void *zstd;            /* ZSTD_CCtx */
  int zstd_level;        /* level the zstd context is parameterised for (INT32_MIN: none) */
  void *deflate;         /* struct libdeflate_compressor */
  int deflate_level;
  void *lz4;             /* LZ4F_cctx */
} zr__cctx;

void zr__cctx_init(zr__cctx *c);
void zr__cctx_free(zr__cctx *c);
/* One frame of codec id into dst (cap may be smaller than the bound: ZR_ERR_NOSPACE then). The level
 * must already be resolved (zr_codec_level). */
zr_status zr__cctx_compress(zr__cctx *c, int id, int level, const void *src, size_t len, void *dst, size_t cap,
                            size_t *out_len, zr_error *err);

/* Reusable decompression contexts. */
typedef struct zr__dctx {
  void *zstd;    /* ZSTD_DCtx */
  void *lz4;     /* LZ4F_dctx */
  void *deflate; /* struct libdeflate_decompressor */
} zr__dctx;

void zr__dctx_init(zr__dctx *d);
void zr__dctx_free(zr__dctx *d);
/* Decompress frames of codec id that must yield exactly `expect` bytes into dst (block container,
 * Arrow buffers). base_offset is added to error offsets. */
zr_status zr__dctx_decompress_exact(zr__dctx *d, int id, const void *src, size_t len, void *dst, size_t expect,
                                    int64_t base_offset, zr_error *err);

/* Names for messages ("lz4", …; "codec N" for unknown ids: static buffer not needed since ids are checked). */
const char *zr__codec_name(int id);

/* Shuffle kernels dispatched by zr_filter (filter NONE: memcpy). */
void zr__filter_apply(int filter, size_t typesize, const void *src, void *dst, size_t len);
void zr__filter_undo(int filter, size_t typesize, const void *src, void *dst, size_t len);

/* Monotonic clock in nanoseconds. */
uint64_t zr__codec_now_ns(void);

#endif

/* Internal pieces shared by the stream writer, reader and checkpoint code (not installed).
 * The byte layout is specified in docs/formats/stream.md. */
#ifndef ZERIAL_STREAM_INTERNAL_H
#define ZERIAL_STREAM_INTERNAL_H

#include "core/internal.h"
#include "zerial/stream.h"

#define ZR__ST_FRAME_MAGIC "ZRCK"
#define ZR__ST_TYPE_CHUNK 1
#define ZR__ST_TYPE_TRAILER 2
#define ZR__ST_TRAILER_PAYLOAD 32
#define ZR__ST_CKPT_MAGIC "ZRCP"
#define ZR__ST_CKPT_SIZE 72

/* A decoded frame header. */
typedef struct zr__st_frame {
  uint8_t type, codec;
  uint64_t seq;
  uint32_t stored, raw;
  uint64_t records;
  uint64_t checksum;
} zr__st_frame;

/* Stream header bytes [0, 32). */
void zr__st_header_put(uint8_t out[ZR_STREAM_HEADER_SIZE], int payload, int codec, uint64_t fingerprint);
/* Check a stream header: ZR_ERR_FORMAT / VERSION / CHECKSUM / MALFORMED with err->offset. */
zr_status zr__st_header_get(const uint8_t *h, int *payload, uint64_t *fingerprint, uint64_t *checksum, zr_error *err);

/* Fill bytes [0, 32) of a frame header; returns the seed of the payload checksum. */
uint64_t zr__st_frame_put(uint8_t *h, const zr__st_frame *f);
/* Parse a frame header (magic, type, codec, lengths); returns the payload-checksum seed in *seed. */
zr_status zr__st_frame_get(const uint8_t *h, uint64_t offset, zr__st_frame *f, uint64_t *seed, zr_error *err);

/* The running stream checksum after one more chunk whose frame checksum is @p frame_sum. */
uint64_t zr__st_chain(uint64_t running, uint64_t frame_sum);

/* Checkpoint file (tmp + fsync + rename + fsync of the directory). */
zr_status zr__st_ckpt_write(const char *path, const zr_stream_checkpoint *cp, int sync, zr_error *err);

/* Scan the stream in memory for its last good cut (used by resume without a checkpoint).
 * complete=1 when it ends with a valid trailer. Header missing or torn: *cp zeroed with offset 0. */
zr_status zr__st_scan(const uint8_t *data, size_t len, zr_stream_checkpoint *cp, int *complete, int *payload,
                      zr_error *err);

#endif

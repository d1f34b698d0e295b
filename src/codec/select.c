/* Automatic codec selection: estimate the gain from a bounded sample, then apply the policy. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "codec/codec_internal.h"

#define SAMPLE 65536u
#define SAMPLES 4u

int zr_codec_policy_by_name(const char *name) {
  if (!name) return -1;
  if (strcasecmp(name, "balanced") == 0) return ZR_POLICY_BALANCED;
  if (strcasecmp(name, "speed") == 0) return ZR_POLICY_SPEED;
  if (strcasecmp(name, "size") == 0) return ZR_POLICY_SIZE;
  return -1;
}

static const char *policy_name(int p) {
  return p == ZR_POLICY_SPEED ? "speed" : p == ZR_POLICY_SIZE ? "size" : "balanced";
}

zr_status zr_codec_choose(const void *data, size_t len, const zr_codec_opts *opts, zr_codec_decision *out,
                          zr_error *err) {
  if (!out || (!data && len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  uint64_t t0 = zr__codec_now_ns();
  zr_codec_opts o;
  if (opts) o = *opts;
  else memset(&o, 0, sizeof o);
  memset(out, 0, sizeof *out);
  unsigned T = o.typesize ? o.typesize : 1;
  out->typesize = T;
  out->est_ratio = 1.0;
  if (o.policy < ZR_POLICY_BALANCED || o.policy > ZR_POLICY_SIZE)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "unknown policy %d", (int)o.policy);
  if (o.filter != -1 && !zr_filter_name(o.filter)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "unknown filter %d", o.filter);

  if (o.codec != ZR_CODEC_AUTO) {
    ZR_TRY(zr_codec_level(o.codec, o.level, &out->level, err));
    out->codec = (zr_codec_id)o.codec;
    out->filter = (zr_filter)(o.filter < 0 || T == 1 ? ZR_FILTER_NONE : o.filter);
    snprintf(out->reason, sizeof out->reason, "%s chosen by the caller", zr__codec_name(o.codec));
    out->elapsed_ns = zr__codec_now_ns() - t0;
    return ZR_OK;
  }

  uint64_t min_size = o.auto_min_size ? o.auto_min_size : 4096;
  double min_gain = o.auto_min_gain > 0 ? o.auto_min_gain
                    : o.policy == ZR_POLICY_SPEED ? 0.25
                    : o.policy == ZR_POLICY_SIZE  ? 0.03
                                                  : 0.10;
  if (len < min_size) {
    out->codec = ZR_CODEC_NONE;
    snprintf(out->reason, sizeof out->reason, "stored raw: %zu bytes is below the minimum size of %llu", len,
             (unsigned long long)min_size);
    out->elapsed_ns = zr__codec_now_ns() - t0;
    return ZR_OK;
  }

  /* Samples: up to four blocks of 64 KiB spread evenly from the start to the end. */
  size_t unit = (size_t)T * 8;
  size_t S = len < SAMPLE ? len : SAMPLE;
  if (T > 1 && S >= unit) S = S / unit * unit;
  unsigned k = (unsigned)((len + SAMPLE - 1) / SAMPLE);
  if (k > SAMPLES) k = SAMPLES;
  int try_filter = T > 1 && (o.filter == -1 || o.filter == ZR_FILTER_SHUFFLE || o.filter == ZR_FILTER_BITSHUFFLE);
  int filter = o.filter == -1 ? ZR_FILTER_SHUFFLE : o.filter;
  size_t bound = zr_codec_bound(ZR_CODEC_LZ4, S);
  uint8_t *z = malloc(bound), *sh = try_filter ? malloc(S) : NULL;
  if (!z || (try_filter && !sh)) {
    free(z);
    free(sh);
    return zr__err_nomem(err);
  }
  zr__cctx c;
  zr__cctx_init(&c);
  uint64_t raw = 0, zplain = 0, zshuf = 0;
  zr_status st = ZR_OK;
  for (unsigned i = 0; i < k && st == ZR_OK; i++) {
    size_t off = k == 1 ? 0 : (size_t)((uint64_t)(len - S) * i / (k - 1));
    off -= off % T;
    const uint8_t *p = (const uint8_t *)data + off;
    size_t n = 0;
    st = zr__cctx_compress(&c, ZR_CODEC_LZ4, 1, p, S, z, bound, &n, err);
    raw += S;
    zplain += n;
    if (st == ZR_OK && try_filter) {
      zr__filter_apply(filter, T, p, sh, S);
      st = zr__cctx_compress(&c, ZR_CODEC_LZ4, 1, sh, S, z, bound, &n, err);
      zshuf += n;
    }
  }
  zr__cctx_free(&c);
  free(z);
  free(sh);
  if (st != ZR_OK) return st;

  double r_plain = zplain ? (double)raw / (double)zplain : 1.0;
  double r_shuf = zshuf ? (double)raw / (double)zshuf : 0.0;
  out->sampled_bytes = raw * (try_filter ? 2 : 1);
  out->est_ratio_plain = r_plain;
  int use_filter = try_filter && r_shuf > r_plain * 1.02;
  if (try_filter && o.filter != -1) use_filter = 1; /* the caller asked for this filter */
  double ratio = use_filter ? r_shuf : r_plain;
  out->est_ratio = ratio;
  out->filter = use_filter ? (zr_filter)filter : ZR_FILTER_NONE;
  double gain = 1.0 - 1.0 / ratio;
  char fdesc[64] = "";
  if (try_filter)
    snprintf(fdesc, sizeof fdesc, "; %s shuffle %s (ratio %.2f vs %.2f without)", zr_filter_name(filter),
             use_filter ? "kept" : "dropped", r_shuf, r_plain);
  if (gain < min_gain) {
    out->codec = ZR_CODEC_NONE;
    out->filter = ZR_FILTER_NONE;
    out->level = 0;
    snprintf(out->reason, sizeof out->reason, "stored raw: lz4 sample saves %.1f%%, below the %.1f%% minimum%s",
             gain * 100, min_gain * 100, fdesc);
  } else {
    int codec = o.policy == ZR_POLICY_SPEED ? ZR_CODEC_LZ4 : ZR_CODEC_ZSTD;
    int level = o.policy == ZR_POLICY_SPEED ? 1 : o.policy == ZR_POLICY_SIZE ? 9 : 1;
    if (o.level && zr_codec_level(codec, o.level, NULL, NULL) == ZR_OK) level = o.level;
    out->codec = (zr_codec_id)codec;
    out->level = level;
    snprintf(out->reason, sizeof out->reason, "lz4 sample saves %.1f%% (ratio %.2f) >= %.1f%%; policy %s -> %s %d%s",
             gain * 100, ratio, min_gain * 100, policy_name(o.policy), zr__codec_name(codec), level, fdesc);
  }
  out->elapsed_ns = zr__codec_now_ns() - t0;
  return ZR_OK;
}

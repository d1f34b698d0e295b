/* Pickle inspection: a walk over the opcodes that never builds or executes anything. It reports
 * the protocol, a count per opcode, the globals the pickle references (and whether the safe
 * reader's allow-list admits them), out-of-band buffers and in-band byte payloads. */
#include <stdio.h>

#include "formats/numpy/numpy_internal.h"
#include "formats/numpy/pickle_ops.h"

int zr__pickle_global_id(const uint8_t *mod, size_t ml, const uint8_t *name, size_t nl);

/* Argument shape of each opcode: fixed byte count, a length prefix of 1/4/8 bytes, or text lines. */
enum { A_NONE, A_FIXED, A_LEN1, A_LEN4, A_LEN8, A_LINE, A_LINE2 };

typedef struct opinfo {
  uint8_t op;
  const char *name;
  int arg;
  int n; /* A_FIXED: bytes */
} opinfo;

#define OPINFO(name, byte, shape, n) {PK_##name, #name, A_##shape, n},
static const opinfo ops[] = {ZR_PICKLE_OPCODES(OPINFO)};
#undef OPINFO
#define NOPS (sizeof ops / sizeof ops[0])
#define MAX_GLOBALS 64

typedef struct gref {
  const uint8_t *mod, *name;
  size_t ml, nl;
  uint64_t count;
} gref;

static void add_global(gref *g, int *ng, unsigned *dropped, const uint8_t *mod, size_t ml, const uint8_t *name, size_t nl) {
  for (int i = 0; i < *ng; i++)
    if (g[i].ml == ml && g[i].nl == nl && !memcmp(g[i].mod, mod, ml) && !memcmp(g[i].name, name, nl)) {
      g[i].count++;
      return;
    }
  if (*ng == MAX_GLOBALS) {
    (*dropped)++;
    return;
  }
  g[*ng] = (gref){mod, name, ml, nl, 1};
  (*ng)++;
}

static const uint8_t *line_end(const uint8_t *p, const uint8_t *end) {
  const uint8_t *q = memchr(p, '\n', (size_t)(end - p));
  return q;
}

zr_status zr__pickle_inspect(const uint8_t *data, size_t len, zr_sink *json_out, zr_error *err) {
  if ((!data && len) || !json_out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  int8_t idx[256];
  memset(idx, -1, sizeof idx);
  for (size_t i = 0; i < NOPS; i++) idx[ops[i].op] = (int8_t)i;
  uint64_t counts[NOPS];
  memset(counts, 0, sizeof counts);
  gref globals[MAX_GLOBALS];
  int ng = 0;
  unsigned gdropped = 0;
  /* the two values on top of the stack when they are strings (NULL: something else), and the memo
   * entries that hold strings, so STACK_GLOBAL's (module, name) is known even through BINGET */
  const uint8_t *sp[2] = {NULL, NULL};
  size_t sl[2] = {0, 0};
  enum { MEMO_MAX = 4096 };
  const uint8_t **memo_p = zr__malloc(zr_allocator_default(), MEMO_MAX * sizeof *memo_p);
  size_t *memo_l = zr__malloc(zr_allocator_default(), MEMO_MAX * sizeof *memo_l);
  if (!memo_p || !memo_l) {
    zr__free(zr_allocator_default(), memo_p);
    zr__free(zr_allocator_default(), memo_l);
    return zr__err_nomem(err);
  }
  memset(memo_p, 0, MEMO_MAX * sizeof *memo_p);
  uint64_t memo_next = 0;
  int protocol = -1, stopped = 0, readonly = 0;
  uint64_t oob = 0, inband = 0, inband_bytes = 0, nops = 0, unknown_stack_globals = 0;
  const uint8_t *p = data, *end = data + len;
  zr_status st = ZR_OK;
  while (p < end && !stopped) {
    int64_t at = (int64_t)(p - data);
    uint8_t op = *p++;
    int k = idx[op];
    if (k < 0) {
      st = zr__err(err, ZR_ERR_MALFORMED, at, "pickle: unknown opcode 0x%02x", op);
      break;
    }
    counts[k]++;
    nops++;
    const uint8_t *arg = p;
    uint64_t n = 0;
    switch (ops[k].arg) {
      case A_NONE: break;
      case A_FIXED: n = (uint64_t)ops[k].n; break;
      case A_LEN1: case A_LEN4: case A_LEN8: {
        size_t w = ops[k].arg == A_LEN1 ? 1 : ops[k].arg == A_LEN4 ? 4 : 8;
        if ((size_t)(end - p) < w) goto truncated;
        n = w == 1 ? p[0] : w == 4 ? zr__ld32le(p) : zr__ld64le(p);
        p += w;
        arg = p;
        break;
      }
      case A_LINE: case A_LINE2: {
        const uint8_t *e = line_end(p, end);
        if (!e) goto truncated;
        if (ops[k].arg == A_LINE2) {
          const uint8_t *e2 = line_end(e + 1, end);
          if (!e2) goto truncated;
          add_global(globals, &ng, &gdropped, p, (size_t)(e - p), e + 1, (size_t)(e2 - e - 1));
          e = e2;
        }
        n = (uint64_t)(e + 1 - p);
        break;
      }
    }
    if (n > (uint64_t)(end - p)) goto truncated;
    const uint8_t *pushed = NULL; /* string pushed by this opcode */
    size_t pushed_len = 0;
    int shift = 1;
    switch (op) {
      case PK_PROTO: protocol = *arg; shift = 0; break;
      case PK_FRAME: shift = 0; break;
      case PK_STOP: stopped = 1; break;
      case PK_SHORT_BINUNICODE: case PK_BINUNICODE: case PK_BINUNICODE8:
        pushed = arg;
        pushed_len = (size_t)n;
        break;
      case PK_MEMOIZE: case PK_BINPUT: case PK_LONG_BINPUT: {
        uint64_t i = op == PK_MEMOIZE ? memo_next++ : op == PK_BINPUT ? arg[0] : zr__ld32le(arg);
        if (i < MEMO_MAX) {
          memo_p[i] = sp[1];
          memo_l[i] = sl[1];
        }
        shift = 0;
        break;
      }
      case PK_BINGET: case PK_LONG_BINGET: {
        uint64_t i = op == PK_BINGET ? arg[0] : zr__ld32le(arg);
        if (i < MEMO_MAX && memo_p[i]) {
          pushed = memo_p[i];
          pushed_len = memo_l[i];
        }
        break;
      }
      case PK_STACK_GLOBAL:
        if (sp[0] && sp[1]) add_global(globals, &ng, &gdropped, sp[0], sl[0], sp[1], sl[1]);
        else unknown_stack_globals++;
        break;
      case PK_NEXT_BUFFER: oob++; break;
      case PK_READONLY_BUFFER: readonly++; break;
      case PK_BYTEARRAY8: case PK_BINBYTES8: case PK_BINBYTES: case PK_SHORT_BINBYTES:
        inband++;
        inband_bytes += n;
        break;
      default: break;
    }
    if (shift) {
      sp[0] = sp[1];
      sl[0] = sl[1];
      sp[1] = pushed;
      sl[1] = pushed_len;
    }
    p = arg + n;
    continue;
  truncated:
    st = zr__err(err, ZR_ERR_TRUNCATED, at, "pickle: opcode %s runs past the end", ops[k].name);
    break;
  }
  zr__free(zr_allocator_default(), memo_p);
  zr__free(zr_allocator_default(), memo_l);
  if (st == ZR_OK && !stopped) st = zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "pickle: no STOP opcode");
  if (st != ZR_OK) return st;
  zr__buf b;
  zr__buf_init(&b, NULL);
  int bad = 0;
  bad |= zr__buf_printf(&b, "{\"format\":\"pickle\",\"protocol\":%d,\"bytes\":%zu,\"trailing_bytes\":%zu,\"opcode_count\":%llu,\"opcodes\":{",
                        protocol < 0 ? 0 : protocol, len, (size_t)(end - p), (unsigned long long)nops) != ZR_OK;
  int first = 1;
  for (size_t i = 0; i < NOPS; i++) {
    if (!counts[i]) continue;
    bad |= zr__buf_printf(&b, "%s\"%s\":%llu", first ? "" : ",", ops[i].name, (unsigned long long)counts[i]) != ZR_OK;
    first = 0;
  }
  bad |= zr__buf_append(&b, "},\"globals\":[", 13) != ZR_OK;
  int all_allowed = unknown_stack_globals == 0;
  for (int i = 0; i < ng; i++) {
    int ok = zr__pickle_global_id(globals[i].mod, globals[i].ml, globals[i].name, globals[i].nl) >= 0;
    all_allowed &= ok;
    bad |= zr__buf_printf(&b, "%s{\"module\":", i ? "," : "") != ZR_OK;
    bad |= zr__json_str(&b, (const char *)globals[i].mod, globals[i].ml) != ZR_OK;
    bad |= zr__buf_append(&b, ",\"name\":", 8) != ZR_OK;
    bad |= zr__json_str(&b, (const char *)globals[i].name, globals[i].nl) != ZR_OK;
    bad |= zr__buf_printf(&b, ",\"count\":%llu,\"allowed\":%s}", (unsigned long long)globals[i].count, ok ? "true" : "false") != ZR_OK;
  }
  bad |= zr__buf_printf(&b, "],\"globals_not_listed\":%u,\"unresolved_stack_globals\":%llu,\"safe_reader_accepts_globals\":%s,"
                            "\"out_of_band_buffers\":%llu,\"readonly_buffers\":%llu,\"in_band_payloads\":%llu,\"in_band_bytes\":%llu}\n",
                        gdropped, (unsigned long long)unknown_stack_globals, all_allowed ? "true" : "false",
                        (unsigned long long)oob, (unsigned long long)readonly, (unsigned long long)inband,
                        (unsigned long long)inband_bytes) != ZR_OK;
  st = bad ? zr__err_nomem(err) : zr_sink_write(json_out, b.data, b.len, err);
  zr__buf_free(&b);
  return st;
}

/* zerial bench [FILE]: every format × codec that can carry the value (read from FILE, detected; or
 * a built-in sample of records), with sizes, encode and decode times (medians), ratios and a
 * recommendation; --json for machines, --svg OUT for a chart of throughput against ratio. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "zerial/serialize.h"

static int run(int argc, char **argv);

static const zr_cli_cmd cmd = {
    "bench",
    "measure every format and codec on your data and recommend one",
    "zerial bench [FILE] [--runs N] [--json] [--svg OUT] [--transfer-ns X] [--formats A,B] [--codecs A,B]",
    "FILE is read with format detection (envelopes and compression frames are peeled); without FILE\n"
    "a built-in sample of 20,000 records is used. Each format (binary, json, npy, npz, pickle, etf,\n"
    "arrow-stream, arrow-file) is tried with each codec (none, lz4, zstd, gzip) through the\n"
    "serialization manager in strict mode: a format that cannot carry the value exactly is listed\n"
    "as skipped with the reason.\n"
    "  --runs N         runs per measurement (default 5); times are medians of process CPU time\n"
    "  --json           print the results as one JSON object\n"
    "  --svg OUT        write an SVG chart: round-trip throughput against compression ratio\n"
    "  --transfer-ns X  cost of moving one byte, for the recommendation (default 1.0 ns = 1 GB/s)\n"
    "  --formats LIST   only these formats (comma-separated); --codecs LIST only these codecs\n"
    "Columns: bytes written; ratio = bytes of the uncompressed binary encoding / bytes written;\n"
    "encode and decode ms; MB/s of the uncompressed binary size per second. The recommendation\n"
    "minimises encode + decode + bytes x transfer cost among exact formats.\n",
    "  zerial bench                          # the built-in sample\n"
    "  zerial bench data.json --runs 9 --svg chart.svg\n"
    "  zerial bench table.arrows --json --codecs none,zstd\n",
    run,
};
ZR_CLI_REGISTER(cmd)

#define MAX_ROWS 64
#define MAX_RUNS 101

typedef struct row {
  char format[32], codec[16];
  int ok;
  char why[300];             /* reason when skipped */
  uint64_t bytes;            /* bytes written */
  double enc_ms, dec_ms;     /* medians */
  double ratio;              /* reference bytes / bytes */
  double enc_mbs, dec_mbs;   /* reference MB per second */
  double cost;               /* recommendation cost, ms */
} row;

static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_d);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The built-in sample: 20,000 records {id, name, score, tags, active}. */
static zr_value sample(zr_doc *d) {
  static const char *const tags[] = {"red", "green", "blue", "alpha", "beta", "gamma"};
  zr_value list = zr_list_new(d, 20000);
  uint64_t s = 12345;
  for (int i = 0; i < 20000; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    char name[24];
    snprintf(name, sizeof name, "user_%06d", (int)((uint64_t)i * 7919 % 1000000));
    zr_value m = zr_map_new(d, 5);
    zr_map_put_cstr(d, &m, "id", zr_int(i));
    zr_map_put_cstr(d, &m, "name", zr_str_copy(d, name, strlen(name)));
    zr_map_put_cstr(d, &m, "score", zr_float((double)(s >> 40) / 1024.0));
    zr_value t = zr_list_new(d, 2);
    zr_list_push(d, &t, zr_cstr_ref(tags[(s >> 8) % 6]));
    zr_list_push(d, &t, zr_cstr_ref(tags[(s >> 16) % 6]));
    zr_map_put_cstr(d, &m, "tags", t);
    zr_map_put_cstr(d, &m, "active", zr_bool((int)((s >> 20) & 1)));
    zr_list_push(d, &list, m);
  }
  return list;
}

/* One format × codec: runs serializations and deserializations. */
static void measure(zr_ctx *ctx, const zr_value *v, row *r, int runs) {
  double te[MAX_RUNS], td[MAX_RUNS];
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = r->format;
  o.codec = r->codec;
  o.envelope = 0;
  o.strict = 1;
  o.lineage = 0;
  for (int i = 0; i < runs; i++) {
    zr_sink *s = NULL;
    zr_error err;
    zr_error_clear(&err);
    if (zr_sink_memory_new(NULL, &s, &err) != ZR_OK) {
      snprintf(r->why, sizeof r->why, "%s", err.message);
      return;
    }
    double t0 = cpu_ms();
    zr_status st = zr_serialize(ctx, v, &o, s, NULL, &err);
    te[i] = cpu_ms() - t0;
    if (st != ZR_OK) {
      snprintf(r->why, sizeof r->why, "%s", err.message[0] ? err.message : zr_strerror(st));
      zr_sink_free(s);
      return;
    }
    const uint8_t *data;
    size_t len;
    zr_sink_memory_data(s, &data, &len);
    r->bytes = len;
    zr_doc *back = NULL;
    t0 = cpu_ms();
    st = zr_deserialize(ctx, data, len, NULL, &back, NULL, &err);
    td[i] = cpu_ms() - t0;
    zr_doc_free(back);
    zr_sink_free(s);
    if (st != ZR_OK) {
      snprintf(r->why, sizeof r->why, "written but not read back: %s", err.message);
      return;
    }
  }
  r->enc_ms = median(te, runs);
  r->dec_ms = median(td, runs);
  r->ok = 1;
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

static void xml_text(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
}

/* Scatter plot: x = compression ratio, y = round-trip throughput (MB/s, log scale). */
static int write_svg(const char *path, const row *rows, size_t n, const char *title) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  const double W = 760, H = 480, L = 70, R = 170, T = 40, B = 50;
  double xmax = 1, ymin = 1e300, ymax = 0;
  for (size_t i = 0; i < n; i++) {
    if (!rows[i].ok) continue;
    double tp = rows[i].enc_mbs * rows[i].dec_mbs / (rows[i].enc_mbs + rows[i].dec_mbs + 1e-300);
    if (rows[i].ratio > xmax) xmax = rows[i].ratio;
    if (tp < ymin) ymin = tp;
    if (tp > ymax) ymax = tp;
  }
  if (!(ymin > 0) || ymin > ymax) ymin = 1, ymax = 10;
  double ly0 = floor(log10(ymin)), ly1 = ceil(log10(ymax));
  if (ly1 <= ly0) ly1 = ly0 + 1;
  xmax = xmax * 1.1;
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H, W, H);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%.0f\" y=\"22\" font-size=\"14\">", L);
  xml_text(f, title);
  fprintf(f, "</text>\n");
  double pw = W - L - R, ph = H - T - B;
  fprintf(f, "<g stroke=\"#999\" fill=\"none\"><rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\"/></g>\n", L, T, pw, ph);
  for (double e = ly0; e <= ly1 + 1e-9; e += 1) { /* y grid: decades */
    double y = T + ph - (e - ly0) / (ly1 - ly0) * ph;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
            L, y, L + pw, y, L - 4, y + 4, pow(10, e));
  }
  for (int k = 0; k <= 5; k++) { /* x grid */
    double xv = xmax * k / 5, x = L + pw * k / 5;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.2f</text>\n",
            x, T, x, T + ph, x, T + ph + 14, xv);
  }
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">compression ratio (uncompressed binary bytes / bytes written)</text>\n", L + pw / 2, H - 12);
  fprintf(f, "<text transform=\"translate(16,%.1f) rotate(-90)\" text-anchor=\"middle\">round-trip throughput, MB/s (log)</text>\n", T + ph / 2);
  static const char *const colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  fprintf(f, "<g id=\"points\">\n");
  int li = 0;
  for (size_t i = 0; i < n; i++) {
    if (!rows[i].ok) continue;
    double tp = rows[i].enc_mbs * rows[i].dec_mbs / (rows[i].enc_mbs + rows[i].dec_mbs + 1e-300);
    double x = L + pw * rows[i].ratio / xmax;
    double y = T + ph - (log10(tp > 0 ? tp : ymin) - ly0) / (ly1 - ly0) * ph;
    int ci = 0;
    for (const char *p = rows[i].format; *p; p++) ci = (ci * 31 + *p) & 0xFFFF;
    fprintf(f, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" data-format=\"%s\" data-codec=\"%s\"><title>", x, y,
            colors[ci % 10], rows[i].format, rows[i].codec);
    fprintf(f, "%s + %s: ratio %.2f, %.1f MB/s, %llu bytes", rows[i].format, rows[i].codec, rows[i].ratio, tp,
            (unsigned long long)rows[i].bytes);
    fprintf(f, "</title></circle>\n");
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\">%s+%s</text>\n", x + 6, y - 4, rows[i].format, rows[i].codec);
    li++;
  }
  fprintf(f, "</g>\n</svg>\n");
  (void)li;
  int bad = ferror(f);
  if (fclose(f) != 0 || bad) return -1;
  return 0;
}

static int run(int argc, char **argv) {
  const char *path = NULL, *svg = NULL, *flist = NULL, *clist = NULL;
  int runs = 5, json = 0;
  double transfer_ns = 1.0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--json")) json = 1;
    else if (!strcmp(a, "--runs") || !strcmp(a, "--svg") || !strcmp(a, "--transfer-ns") || !strcmp(a, "--formats") ||
             !strcmp(a, "--codecs")) {
      if (i + 1 >= argc) return zr_cli_usage(&cmd, "%s needs a value", a);
      const char *v = argv[++i];
      char *end = NULL;
      if (!strcmp(a, "--runs")) {
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || n > MAX_RUNS) return zr_cli_usage(&cmd, "--runs takes 1 … %d", MAX_RUNS);
        runs = (int)n;
      } else if (!strcmp(a, "--transfer-ns")) {
        transfer_ns = strtod(v, &end);
        if (!*v || *end || !(transfer_ns >= 0)) return zr_cli_usage(&cmd, "--transfer-ns takes a number ≥ 0");
      } else if (!strcmp(a, "--svg")) svg = v;
      else if (!strcmp(a, "--formats")) flist = v;
      else clist = v;
    } else if (a[0] == '-' && a[1]) return zr_cli_usage(&cmd, "unknown option '%s'", a);
    else if (path) return zr_cli_usage(&cmd, "unexpected argument '%s'", a);
    else path = a;
  }
  zr_error err;
  zr_error_clear(&err);
  zr_ctx *ctx = NULL;
  if (zr_ctx_new(NULL, &ctx, &err) != ZR_OK) return zr_cli_fail(cmd.name, "context", &err);
  zr_ctx_set(ctx, "selection.learning", "false", NULL);
  zr_cli_input in;
  memset(&in, 0, sizeof in);
  zr_doc *doc = NULL;
  zr_value v;
  char source[300];
  int rc = ZR_CLI_OK;
  if (path) {
    if (zr_cli_input_open(path, &in, &err) != ZR_OK) {
      zr_ctx_free(ctx);
      return zr_cli_fail(cmd.name, path, &err);
    }
    zr_deserialize_info info;
    if (zr_deserialize(ctx, in.data, in.len, NULL, &doc, &info, &err) != ZR_OK) {
      rc = zr_cli_fail(cmd.name, in.name, &err);
      zr_cli_input_close(&in);
      zr_ctx_free(ctx);
      return rc;
    }
    v = *zr_doc_root(doc);
    snprintf(source, sizeof source, "%s (%s, %zu bytes)", in.name, info.format, in.len);
  } else {
    doc = zr_doc_new(NULL);
    v = sample(doc);
    if (!doc || zr_doc_status(doc) != ZR_OK) {
      zr_ctx_free(ctx);
      zr_doc_free(doc);
      fprintf(stderr, "zerial bench: out of memory\n");
      return ZR_CLI_BAD_INPUT;
    }
    snprintf(source, sizeof source, "built-in sample: 20000 records");
  }

  /* reference size: the uncompressed binary encoding */
  uint64_t ref = 0;
  {
    zr_sink *s = NULL;
    zr_serialize_opts o;
    zr_serialize_opts_init(&o);
    o.format = "binary";
    o.codec = "none";
    o.envelope = 0;
    zr_serialize_result res;
    if (zr_sink_memory_new(NULL, &s, NULL) == ZR_OK && zr_serialize(ctx, &v, &o, s, &res, &err) == ZR_OK)
      ref = res.total_bytes;
    zr_sink_free(s);
  }
  static const char *const codecs[] = {"none", "lz4", "zstd", "gzip"};
  row rows[MAX_ROWS];
  size_t n = 0;
  for (size_t fi = 0; fi < zr_format_count(); fi++) {
    const zr_format *f = zr_format_at(fi);
    if (!f->encode || !zr_cli_in_list(flist, f->name)) continue;
    for (size_t ci = 0; ci < 4 && n < MAX_ROWS; ci++) {
      if (!zr_cli_in_list(clist, codecs[ci])) continue;
      if (ci && !zr_codec_by_name(codecs[ci])) continue;
      row *r = &rows[n++];
      memset(r, 0, sizeof *r);
      snprintf(r->format, sizeof r->format, "%s", f->name);
      snprintf(r->codec, sizeof r->codec, "%s", codecs[ci]);
      measure(ctx, &v, r, runs);
      if (!r->ok) continue;
      r->ratio = r->bytes ? (double)ref / (double)r->bytes : 0;
      r->enc_mbs = r->enc_ms > 0 ? (double)ref / 1e3 / r->enc_ms : 0;
      r->dec_mbs = r->dec_ms > 0 ? (double)ref / 1e3 / r->dec_ms : 0;
      r->cost = r->enc_ms + r->dec_ms + (double)r->bytes * transfer_ns / 1e6;
    }
  }
  const row *best = NULL;
  for (size_t i = 0; i < n; i++)
    if (rows[i].ok && (!best || rows[i].cost < best->cost)) best = &rows[i];

  if (json) {
    printf("{\"source\":");
    json_str(stdout, source);
    printf(",\"reference_bytes\":%llu,\"runs\":%d,\"clock\":\"process CPU time, median\",\"transfer_ns_per_byte\":%g,\"rows\":[",
           (unsigned long long)ref, runs, transfer_ns);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
      const row *r = &rows[i];
      printf("%s{\"format\":\"%s\",\"codec\":\"%s\",\"ok\":%s", first ? "" : ",", r->format, r->codec, r->ok ? "true" : "false");
      first = 0;
      if (r->ok)
        printf(",\"bytes\":%llu,\"ratio\":%.4f,\"encode_ms\":%.4f,\"decode_ms\":%.4f,\"encode_mb_s\":%.2f,\"decode_mb_s\":%.2f,\"cost_ms\":%.4f}",
               (unsigned long long)r->bytes, r->ratio, r->enc_ms, r->dec_ms, r->enc_mbs, r->dec_mbs, r->cost);
      else {
        printf(",\"skipped\":");
        json_str(stdout, r->why);
        printf("}");
      }
    }
    printf("],\"recommendation\":");
    if (best) {
      printf("{\"format\":\"%s\",\"codec\":\"%s\",\"reason\":\"lowest encode + decode + transfer cost (%.3f ms at %g ns/byte)\"}",
             best->format, best->codec, best->cost, transfer_ns);
    } else {
      printf("null");
    }
    printf("}\n");
  } else {
    printf("%s; reference (binary, uncompressed): %llu bytes; medians of %d runs, process CPU time\n", source,
           (unsigned long long)ref, runs);
    printf("%-13s %-5s %12s %7s %10s %10s %9s %9s\n", "format", "codec", "bytes", "ratio", "encode ms", "decode ms", "enc MB/s",
           "dec MB/s");
    for (size_t i = 0; i < n; i++) {
      const row *r = &rows[i];
      if (r->ok)
        printf("%-13s %-5s %12llu %7.2f %10.3f %10.3f %9.1f %9.1f%s\n", r->format, r->codec, (unsigned long long)r->bytes,
               r->ratio, r->enc_ms, r->dec_ms, r->enc_mbs, r->dec_mbs, r == best ? "  <- recommended" : "");
      else
        printf("%-13s %-5s skipped: %s\n", r->format, r->codec, r->why);
    }
    if (best)
      printf("recommendation: %s with codec %s (lowest encode + decode + transfer cost: %.3f ms at %g ns per byte)\n",
             best->format, best->codec, best->cost, transfer_ns);
    else
      printf("recommendation: none (no format could carry the value)\n");
  }
  if (svg) {
    char title[400];
    snprintf(title, sizeof title, "zerial bench: %s", source);
    if (write_svg(svg, rows, n, title) != 0) {
      fprintf(stderr, "zerial bench: cannot write %s\n", svg);
      rc = ZR_CLI_BAD_INPUT;
    }
  }
  if (!best && rc == ZR_CLI_OK) rc = ZR_CLI_BAD_INPUT;
  zr_doc_free(doc);
  if (path) zr_cli_input_close(&in);
  zr_ctx_free(ctx);
  return rc;
}

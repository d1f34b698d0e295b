/* zerial CLI entry point: dispatches to the subcommands that registered themselves, and the
 * helpers declared in cli.h. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "help_examples.h"

#define MAX_CMDS 64
static const zr_cli_cmd *cmds[MAX_CMDS];
static size_t n_cmds;

void zr_cli_register(const zr_cli_cmd *cmd) {
  if (n_cmds == MAX_CMDS) {
    fprintf(stderr, "zerial: too many subcommands; %s not registered\n", cmd->name);
    return;
  }
  /* keep the registry sorted by name (constructors run in link order) */
  size_t i = n_cmds++;
  while (i > 0 && strcmp(cmds[i - 1]->name, cmd->name) > 0) {
    cmds[i] = cmds[i - 1];
    i--;
  }
  cmds[i] = cmd;
}

size_t zr_cli_count(void) { return n_cmds; }
const zr_cli_cmd *zr_cli_at(size_t i) { return i < n_cmds ? cmds[i] : NULL; }
const zr_cli_cmd *zr_cli_find(const char *name) {
  for (size_t i = 0; name && i < n_cmds; i++)
    if (strcmp(cmds[i]->name, name) == 0) return cmds[i];
  return NULL;
}

/* does the message already say "byte N"? */
static int says_offset(const char *m) {
  for (const char *p = strstr(m, "byte "); p; p = strstr(p + 1, "byte "))
    if (p[5] >= '0' && p[5] <= '9') return 1;
  return 0;
}

int zr_cli_fail(const char *cmd, const char *what, const zr_error *err) {
  fprintf(stderr, "zerial %s: %s: %s", cmd, what, err && err->message[0] ? err->message : "failed");
  if (err) {
    int open = 0;
    if (err->offset >= 0 && !says_offset(err->message)) {
      fprintf(stderr, " (at byte %lld", (long long)err->offset);
      open = 1;
    }
    if (err->path[0]) {
      fprintf(stderr, "%s value %s", open ? "," : " (at", err->path);
      open = 1;
    }
    if (open) fputc(')', stderr);
    const char *name = zr_status_name(err->code);
    if (name) fprintf(stderr, " [%s]", name);
  }
  fputc('\n', stderr);
  return ZR_CLI_BAD_INPUT;
}

int zr_cli_usage(const zr_cli_cmd *cmd, const char *fmt, ...) {
  fprintf(stderr, "zerial %s: ", cmd ? cmd->name : "");
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (cmd)
    fprintf(stderr, "\nusage: %s\nTry 'zerial help %s'.\n", cmd->usage, cmd->name);
  else
    fprintf(stderr, "\nTry 'zerial help'.\n");
  return ZR_CLI_USAGE;
}

int zr_cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return 1;
  }
  return 0;
}

int zr_cli_opt_value(int argc, char **argv, int *i, const char *name, const char **out) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0) return 0;
  if (argv[*i][n] == '=') {
    *out = argv[*i] + n + 1;
    return 1;
  }
  if (argv[*i][n] != 0) return 0;
  *out = *i + 1 < argc ? argv[++*i] : NULL;
  return 1;
}

int zr_cli_in_list(const char *list, const char *name) {
  if (!list) return 1;
  size_t n = strlen(name);
  for (const char *p = list; *p;) {
    const char *e = strchr(p, ',');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == n && strncmp(p, name, n) == 0) return 1;
    if (!e) break;
    p = e + 1;
  }
  return 0;
}

void zr_cli_print_help(const zr_cli_cmd *c) {
  printf("zerial %s - %s\n\nusage: %s\n", c->name, c->summary, c->usage);
  if (c->details && *c->details) printf("\n%s", c->details);
  const char *worked = zr_cli_help_examples(c->name); /* worked examples: help_examples.c */
  if (worked)
    printf("\nexamples:\n%s", worked);
  else if (c->examples && *c->examples)
    printf("\nexamples:\n%s", c->examples);
}

static void print_overview(FILE *f) {
  fprintf(
      f, "zerial %s - move data between processes and languages fast\n\nusage: zerial COMMAND [ARGS...]\n\ncommands:\n",
      zr_version_string());
  for (size_t i = 0; i < n_cmds; i++) fprintf(f, "  %-10s %s\n", cmds[i]->name, cmds[i]->summary);
  fprintf(f,
          "\nexamples:\n"
          "  zerial convert data.json data.zrl             # JSON -> binary in a checksummed envelope\n"
          "  zerial inspect data.zrl                       # format, sizes, metadata, summary\n"
          "  zerial convert data.zrl - --to json --pretty  # back to JSON on the terminal\n"
          "\nRun 'zerial help COMMAND' for the options and examples of one command.\n"
          "Exit codes: 0 success, 1 bad input or I/O failure, 2 bad command line.\n");
}

/* ---- input ---- */

zr_status zr_cli_input_open(const char *path, zr_cli_input *in, zr_error *err) {
  memset(in, 0, sizeof *in);
  zr_status st;
  if (strcmp(path, "-") == 0) {
    in->name = "<stdin>";
    st = zr_source_fd_new(0, &in->src, err);
  } else {
    in->name = path;
    st = zr_source_mmap_new(path, &in->src, err);
    if (st == ZR_ERR_INVALID_ARG) /* not a regular file (a pipe, /dev/stdin): read it */
      st = zr_source_file_new(path, &in->src, err);
  }
  if (st == ZR_OK) st = zr_source_read_all(in->src, UINT64_MAX, &in->data, &in->len, err);
  if (st != ZR_OK) {
    zr_source_free(in->src);
    in->src = NULL;
  }
  return st;
}

void zr_cli_input_close(zr_cli_input *in) {
  zr_source_free(in->src);
  memset(in, 0, sizeof *in);
}

static zr_status unwrap(const uint8_t *data, size_t len, zr_cli_payload *p, zr_error *err);

zr_status zr_cli_unwrap(const uint8_t *data, size_t len, zr_cli_payload *p, zr_error *err) {
  zr_codec_id c = zr_codec_detect(data, len);
  if (c == ZR_CODEC_NONE) return unwrap(data, len, p, err);
  /* a bare compressed frame: decompress it (checksums verified, size bounded), then read what it holds */
  uint8_t *raw = NULL;
  size_t n = 0;
  memset(p, 0, sizeof *p);
  zr_status st = zr_codec_decompress_alloc(c, data, len, ZR_CLI_MAX_RAW, NULL, &raw, &n, err);
  if (st != ZR_OK) return st;
  st = unwrap(raw, n, p, err);
  if (st != ZR_OK) {
    zr_free(raw);
    return st;
  }
  p->peeled_codec = c;
  p->peeled = raw;
  p->peeled_len = n;
  return ZR_OK;
}

static zr_status unwrap(const uint8_t *data, size_t len, zr_cli_payload *p, zr_error *err) {
  memset(p, 0, sizeof *p);
  /* the magic, or what text-mode transfers and 7-bit channels leave of it: let the parser say what is wrong */
  int framed = zr_envelope_detect(data, len) || (len > 0 && len < 8 && memcmp(data, ZR_ENVELOPE_MAGIC, len) == 0) ||
               (len >= 4 && (data[0] == 0x89 || data[0] == 0x09) && memcmp(data + 1, "ZRL", 3) == 0);
  if (framed) {
    zr_status st = zr_envelope_parse(data, len, NULL, &p->env, err);
    if (st != ZR_OK) return st;
    p->enveloped = 1;
    uint64_t frame_len = p->env.header.frame_len;
    if (frame_len != len) {
      zr_cli_payload_clear(p);
      return zr_error_set(err, ZR_ERR_MALFORMED, (int64_t)frame_len, "%llu unexpected bytes after the envelope frame",
                          (unsigned long long)(len - frame_len));
    }
    p->data = p->env.payload;
    p->len = p->env.payload_len;
    if (p->env.header.codec != ZR_CODEC_NONE) {
      /* decompress into memory sized by the frame's raw length (bounded: hostile headers) */
      uint64_t raw = p->env.header.raw_len;
      unsigned c = p->env.header.codec;
      if (raw > ZR_CLI_MAX_RAW) {
        zr_cli_payload_clear(p);
        return zr_error_set(err, ZR_ERR_LIMIT, 32, "the payload would decompress to %llu bytes, over the limit",
                            (unsigned long long)raw);
      }
      uint8_t *buf = malloc(raw ? (size_t)raw : 1);
      size_t got = 0;
      zr_status st = buf ? zr_codec_decompress(c, p->data, p->len, buf, (size_t)raw, &got, err) : ZR_ERR_NOMEM;
      if (st == ZR_OK && got != raw)
        st = zr_error_set(err, ZR_ERR_MALFORMED, 32, "the payload decompressed to %zu bytes, the envelope says %llu",
                          got, (unsigned long long)raw);
      if (st != ZR_OK) {
        free(buf);
        zr_cli_payload_clear(p);
        if (st == ZR_ERR_NOMEM) zr_error_set(err, st, -1, "out of memory decompressing the payload");
        return st;
      }
      p->owned = buf;
      p->data = buf;
      p->len = (size_t)raw;
    }
    p->format_id = p->env.header.format_id;
    p->fmt = zr_format_by_id(p->format_id);
    return ZR_OK;
  }
  p->data = data;
  p->len = len;
  p->fmt = zr_format_detect(data, len);
  p->format_id = p->fmt ? p->fmt->id : 0;
  return ZR_OK;
}

void zr_cli_payload_clear(zr_cli_payload *p) {
  if (p->enveloped) zr_envelope_clear(&p->env);
  free(p->owned);
  zr_free(p->peeled);
  memset(p, 0, sizeof *p);
}

zr_status zr_cli_output_open(const char *path, zr_sink **out, zr_error *err) {
  if (strcmp(path, "-") == 0) return zr_sink_fd_new(1, out, err);
  return zr_sink_file_new(path, out, err);
}

void zr_cli_output_mode(const char *path) {
  struct stat sb;
  if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return; /* never chmod /dev/null or a FIFO */
  mode_t m = umask(0);
  umask(m);
  (void)chmod(path, 0666 & ~m);
}

int zr_cli_parse_ipv4_addr(const char *addr, struct sockaddr_in *sa) {
  char host[64];
  unsigned port = 0;
  const char *colon = strrchr(addr, ':');
  if (!colon || sscanf(colon + 1, "%u", &port) != 1 || port > 65535 || (size_t)(colon - addr) >= sizeof host)
    return 1;
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = '\0';
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, host[0] ? host : "127.0.0.1", &sa->sin_addr) == 1 ? 0 : 2;
}

int64_t zr_cli_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void zr_cli_iso8601(int64_t ns, char *buf, size_t cap) {
  time_t s = (time_t)(ns / 1000000000);
  int64_t rem = ns % 1000000000;
  if (rem < 0) {
    rem += 1000000000;
    s--;
  }
  struct tm tm;
  gmtime_r(&s, &tm);
  char tmp[32];
  strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, cap, "%s.%03dZ", tmp, (int)(rem / 1000000));
}

void zr_cli_format_names(char *buf, size_t cap) {
  size_t pos = 0;
  buf[0] = 0;
  for (size_t i = 0; i < zr_format_count() && pos < cap; i++)
    pos += (size_t)snprintf(buf + pos, cap - pos, "%s%s", i ? ", " : "", zr_format_at(i)->name);
}

/* ---- help ---- */

static int run_help(int argc, char **argv) {
  if (argc < 2) {
    print_overview(stdout);
    return ZR_CLI_OK;
  }
  const zr_cli_cmd *c = zr_cli_find(argv[1]);
  if (!c) return zr_cli_usage(zr_cli_find("help"), "unknown command '%s'", argv[1]);
  zr_cli_print_help(c);
  return ZR_CLI_OK;
}

static const zr_cli_cmd help_cmd = {"help",
                                    "list commands, or show the options and examples of one",
                                    "zerial help [COMMAND]",
                                    "",
                                    "  zerial help\n  zerial help convert\n",
                                    run_help};
ZR_CLI_REGISTER(help_cmd)

int main(int argc, char **argv) {
  if (argc < 2) {
    print_overview(stderr);
    return ZR_CLI_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) name = "help";
  if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) name = "version";
  const zr_cli_cmd *c = zr_cli_find(name);
  if (!c) return zr_cli_usage(NULL, "unknown command '%s'", argv[1]);
  if (c != &help_cmd && zr_cli_wants_help(argc - 1, argv + 1)) {
    zr_cli_print_help(c);
    return ZR_CLI_OK;
  }
  int rc = c->run(argc - 1, argv + 1);
  if (fflush(stdout) != 0 && rc == ZR_CLI_OK) {
    fprintf(stderr, "zerial %s: cannot write to standard output\n", c->name);
    rc = ZR_CLI_BAD_INPUT;
  }
  return rc;
}

/* The zerial command-line tool: subcommand registry and helpers shared by the cmd_*.c files.
 *
 * A subcommand lives in its own file tools/zerial/cmd_<name>.c and registers itself before
 * main() runs:
 *
 *   static int run(int argc, char **argv);   // argv[0] is the subcommand name
 *   static const zr_cli_cmd cmd = {"name", "one-line summary", "usage line", "details\n", "examples\n", run};
 *   ZR_CLI_REGISTER(cmd)
 *
 * Exit codes: ZR_CLI_OK (0) success, ZR_CLI_BAD_INPUT (1) bad input or failed I/O,
 * ZR_CLI_USAGE (2) bad command line. The library is reached only through its public headers. */
#ifndef ZERIAL_CLI_H
#define ZERIAL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "zerial/codec.h"
#include "zerial/envelope.h"
#include "zerial/format.h"
#include "zerial/zerial.h"

enum { ZR_CLI_OK = 0, ZR_CLI_BAD_INPUT = 1, ZR_CLI_USAGE = 2 };

/** A subcommand. All strings are static. */
typedef struct zr_cli_cmd {
  const char *name;                  /**< "convert" */
  const char *summary;               /**< one line for `zerial help` */
  const char *usage;                 /**< "zerial convert IN OUT [--from FMT] ..." */
  const char *details;               /**< options, one per line (may be "") */
  const char *examples;              /**< example command lines (may be "") */
  int (*run)(int argc, char **argv); /**< argv[0] is the subcommand name; returns an exit code */
} zr_cli_cmd;

/** Add a subcommand to the registry (called from constructors; up to 64 commands). */
void zr_cli_register(const zr_cli_cmd *cmd);
/** Number of registered subcommands, and the i-th in name order. */
size_t zr_cli_count(void);
const zr_cli_cmd *zr_cli_at(size_t i);
/** The subcommand called @p name, or NULL. */
const zr_cli_cmd *zr_cli_find(const char *name);

#define ZR_CLI_REGISTER(cmdvar) \
  __attribute__((constructor)) static void zr_cli_register_##cmdvar(void) { zr_cli_register(&cmdvar); }

/* ---- messages ---- */

/** Print "zerial CMD: WHAT: message (byte N, at PATH) [CODE]" to stderr and return ZR_CLI_BAD_INPUT. */
int zr_cli_fail(const char *cmd, const char *what, const zr_error *err);
/** Print a usage error with the command's usage line to stderr and return ZR_CLI_USAGE. */
int zr_cli_usage(const zr_cli_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** True when argv holds -h or --help: the command should print its help and return 0. */
int zr_cli_wants_help(int argc, char **argv);
/** Print the full help of one command to stdout. */
void zr_cli_print_help(const zr_cli_cmd *cmd);
/** Whether argv[*i] is option @p name, as "NAME=VALUE" or "NAME VALUE" (then *i moves past the
 * value). *out is the value, or NULL when the option ends the command line without one. */
int zr_cli_opt_value(int argc, char **argv, int *i, const char *name, const char **out);
/** Whether @p name is one of the comma-separated names of @p list (NULL: every name is). */
int zr_cli_in_list(const char *list, const char *name);

/* ---- input ---- */

/** A whole input: a read-only mapping of a file, or stdin read into memory. */
typedef struct zr_cli_input {
  const char *name;    /**< path, or "<stdin>" */
  const uint8_t *data; /**< the bytes (valid until zr_cli_input_close) */
  size_t len;
  zr_source *src; /**< owner of the bytes */
} zr_cli_input;

/** Read @p path ("-" for stdin) fully: mmap for regular files. */
zr_status zr_cli_input_open(const char *path, zr_cli_input *in, zr_error *err);
void zr_cli_input_close(zr_cli_input *in);

/**
 * An input seen through an optional envelope: a bare zstd, LZ4 or gzip frame (`data.json.zst`) is
 * first decompressed (peeled_codec set; at most ZR_CLI_MAX_RAW bytes) and what it holds is read as
 * below. When @p data starts with the envelope magic, the
 * frame is verified and unwrapped (env filled, payload = the frame's payload, decompressed when
 * the frame names a codec, fmt from its format id); otherwise payload = data and fmt from detection (NULL when
 * undetected).
 */
typedef struct zr_cli_payload {
  int enveloped;
  zr_envelope env; /**< valid when enveloped (release with zr_cli_payload_clear) */
  const uint8_t *data;
  size_t len;
  const zr_format *fmt; /**< detected / named format, or NULL */
  uint16_t format_id;   /**< the envelope's id (may be unknown to this build) */
  uint8_t *owned;       /**< the decompressed payload (data points here), or NULL */
  int peeled_codec;     /**< codec of a bare zstd/LZ4/gzip frame peeled off the input (0: none) */
  uint8_t *peeled;      /**< the peeled input's decompressed bytes (zr_free), or NULL */
  size_t peeled_len;    /**< their size (the compressed size is the input's) */
} zr_cli_payload;

/** Largest decompressed payload the CLI accepts (16 GiB). */
#define ZR_CLI_MAX_RAW (UINT64_C(1) << 34)

zr_status zr_cli_unwrap(const uint8_t *data, size_t len, zr_cli_payload *p, zr_error *err);
void zr_cli_payload_clear(zr_cli_payload *p);

/* ---- output ---- */

/** Open @p path for writing: "-" is stdout; a file is written to a temporary name and renamed
 * by zr_sink_finish() only (zr_sink_free() without finish leaves nothing). */
zr_status zr_cli_output_open(const char *path, zr_sink **out, zr_error *err);

/** Give a finished output file the mode a shell user expects (0666 less the umask; the atomic
 * sink creates its temporary file 0600). */
void zr_cli_output_mode(const char *path);

/* Parse "HOST:PORT" (IPv4 HOST, empty HOST = 127.0.0.1; PORT 0..65535) into *sa.
 * Returns 0, 1 when addr is not of the form HOST:PORT, 2 when HOST is not an IPv4 address. */
int zr_cli_parse_ipv4_addr(const char *addr, struct sockaddr_in *sa);

/* ---- misc ---- */

/** Nanoseconds since the epoch (CLOCK_REALTIME). */
int64_t zr_cli_now_ns(void);
/** Format ns since the epoch as ISO 8601 UTC with milliseconds into @p buf (≥ 32 bytes). */
void zr_cli_iso8601(int64_t ns, char *buf, size_t cap);
/** Comma-separated names of the registered formats into @p buf. */
void zr_cli_format_names(char *buf, size_t cap);

#endif

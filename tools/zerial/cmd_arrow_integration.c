/* zerial arrow-integration: Arrow's cross-implementation integration protocol. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "zerial/arrow.h"

static int run(int argc, char **argv);

static const zr_cli_cmd cmd = {
    "arrow-integration",
    "Arrow integration protocol: VALIDATE, JSON_TO_ARROW, STREAM_TO_FILE, FILE_TO_STREAM",
    "zerial arrow-integration --mode MODE [--json F] [--arrow F] [--stream F]",
    "  --mode VALIDATE        exit 0 only when the Arrow stream or file --arrow equals --json\n"
    "  --mode JSON_TO_ARROW   write the integration JSON --json as the Arrow file --arrow\n"
    "  --mode STREAM_TO_FILE  read a stream (--stream F, default stdin), write the file --arrow\n"
    "  --mode FILE_TO_STREAM  read the file --arrow, write a stream (--stream F, default stdout)\n"
    "  --json F               integration JSON (Arrow's Integration.rst); .gz accepted\n"
    "  --arrow F              Arrow IPC file (or stream for VALIDATE)\n"
    "  --big-endian           write big-endian body buffers (Schema.endianness = Big)\n",
    "  zerial arrow-integration --mode VALIDATE --json t.json --arrow t.arrow_file\n"
    "  zerial arrow-integration --mode FILE_TO_STREAM --arrow t.arrow_file > t.stream\n",
    run,
};
ZR_CLI_REGISTER(cmd)

static int run(int argc, char **argv) {
  const char *mode = NULL, *json = NULL, *arrow = NULL, *stream = NULL;
  zr_arrow_write_opts wo;
  memset(&wo, 0, sizeof wo);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--big-endian")) {
      wo.big_endian = 1;
      continue;
    }
    const char **slot = !strcmp(argv[i], "--mode")     ? &mode
                        : !strcmp(argv[i], "--json")   ? &json
                        : !strcmp(argv[i], "--arrow")  ? &arrow
                        : !strcmp(argv[i], "--stream") ? &stream
                                                       : NULL;
    if (!slot) return zr_cli_usage(&cmd, "unknown argument '%s'", argv[i]);
    if (i + 1 >= argc) return zr_cli_usage(&cmd, "%s needs a value", argv[i]);
    *slot = argv[++i];
  }
  if (!mode) return zr_cli_usage(&cmd, "needs --mode");
  if (strcmp(mode, "VALIDATE") && strcmp(mode, "JSON_TO_ARROW") && strcmp(mode, "STREAM_TO_FILE") &&
      strcmp(mode, "FILE_TO_STREAM"))
    return zr_cli_usage(&cmd, "unknown mode '%s'", mode);
  zr_error err;
  zr_error_clear(&err);
  zr_status st = zr_arrow_integration_opts(mode, json, arrow, stream, &wo, &err);
  if (st == ZR_ERR_INVALID_ARG) return zr_cli_usage(&cmd, "%s", err.message);
  if (st != ZR_OK) return zr_cli_fail(cmd.name, mode, &err);
  return ZR_CLI_OK;
}

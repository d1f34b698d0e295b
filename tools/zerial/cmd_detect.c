/* zerial detect FILE: the detected format, "envelope(<inner>)" when framed. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int run(int argc, char **argv);

static const zr_cli_cmd cmd = {
    "detect",
    "print the format of a file (envelope(<inner>) when it is framed)",
    "zerial detect FILE",
    "Prints one line: the format name (json, binary, ...) or envelope(<inner>); exits 1 when\n"
    "the format is unknown or an envelope is damaged. FILE may be - for standard input.\n",
    "  zerial detect data.zrb          # binary\n"
    "  zerial detect data.zrl          # envelope(binary)\n"
    "  zerial detect data.json.zst     # zstd(json): a bare zstd/LZ4/gzip frame is looked into\n",
    run,
};
ZR_CLI_REGISTER(cmd)

static int run(int argc, char **argv) {
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1]) return zr_cli_usage(&cmd, "unknown option '%s'", argv[i]);
    if (path) return zr_cli_usage(&cmd, "unexpected argument '%s'", argv[i]);
    path = argv[i];
  }
  if (!path) return zr_cli_usage(&cmd, "needs FILE");
  zr_error err;
  zr_error_clear(&err);
  zr_cli_input in;
  if (zr_cli_input_open(path, &in, &err) != ZR_OK) return zr_cli_fail(cmd.name, path, &err);
  zr_cli_payload pl;
  int rc = ZR_CLI_OK;
  if (zr_cli_unwrap(in.data, in.len, &pl, &err) != ZR_OK) {
    rc = zr_cli_fail(cmd.name, in.name, &err);
  } else {
    /* a bare compressed frame shows as codec(inner), e.g. zstd(json) */
    if (pl.peeled_codec) printf("%s(", zr_codec_id_name(pl.peeled_codec));
    if (pl.enveloped) {
      if (pl.fmt)
        printf("envelope(%s)", pl.fmt->name);
      else
        printf("envelope(format-id-%u)", pl.format_id);
    } else if (pl.fmt) {
      printf("%s", pl.fmt->name);
    } else {
      printf("unknown");
      rc = ZR_CLI_BAD_INPUT;
    }
    printf("%s\n", pl.peeled_codec ? ")" : "");
  }
  zr_cli_payload_clear(&pl);
  zr_cli_input_close(&in);
  return rc;
}

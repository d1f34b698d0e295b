/* zerial version: the library's version and the versions of the libraries linked in. */
#include <jansson.h>
#include <libdeflate.h>
#include <lz4.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include "cli.h"

static int run(int argc, char **argv);

static const zr_cli_cmd cmd = {
    "version",
    "print the zerial version and the versions of the linked libraries",
    "zerial version",
    "",
    "  zerial version\n",
    run,
};
ZR_CLI_REGISTER(cmd)

static int run(int argc, char **argv) {
  if (argc > 1) return zr_cli_usage(&cmd, "unexpected argument '%s'", argv[1]);
  unsigned x = XXH_versionNumber();
  printf("zerial %s (library %u, envelope v%u)\n", zr_version_string(), zr_version_number(),
         (unsigned)ZR_ENVELOPE_VERSION);
  printf("formats: ");
  for (size_t i = 0; i < zr_format_count(); i++) printf("%s%s", i ? ", " : "", zr_format_at(i)->name);
  printf("\n");
  printf("lz4 %s\n", LZ4_versionString());
  printf("zstd %s\n", ZSTD_versionString());
  printf("zlib %s\n", zlibVersion());
  printf("libdeflate %s\n", LIBDEFLATE_VERSION_STRING);
  printf("xxhash %u.%u.%u\n", x / 10000, x / 100 % 100, x % 100);
  printf("jansson %s\n", jansson_version_str());
  printf("sqlite %s\n", sqlite3_libversion());
  return ZR_CLI_OK;
}

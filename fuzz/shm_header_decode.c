/* Fuzz target: parse and check a shared-memory region header and directory from bytes, exactly
 * as zr_shm_open() does after mapping (docs/formats/shm-region.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/shm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* the mapping of a real region is page aligned: give the parser an aligned copy */
  uint8_t *copy = aligned_alloc(64, size ? (size + 63) / 64 * 64 : 64);
  if (!copy) return 0;
  if (size) memcpy(copy, data, size);
  size_t count = 0;
  zr_error err;
  zr_shm_header_check(copy, size, &count, &err);
  free(copy);
  return 0;
}

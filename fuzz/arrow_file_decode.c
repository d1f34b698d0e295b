/* libFuzzer target: Arrow IPC files, including random access to every batch through the footer. */
#include "arrow_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  zr_fuzz_arrow(data, size);
  zr_arrow_file *f;
  if (zr_arrow_file_open(data, size, NULL, &f, NULL) == ZR_OK) {
    for (int64_t i = zr_arrow_file_num_batches(f); i-- > 0;) {
      struct ArrowArray b;
      if (zr_arrow_file_batch(f, i, &b, NULL) == ZR_OK) b.release(&b);
    }
    zr_arrow_file_close(f);
  }
  return 0;
}

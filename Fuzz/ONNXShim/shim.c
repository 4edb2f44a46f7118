// The entry point SwiftPM gives the FuzzONNX executable (it links with --defsym main=FuzzONNX_main):
// hands the process to libFuzzer's driver with the Swift target's one-input function.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t));
int mle_fuzz_one(const uint8_t *data, size_t size);

int FuzzONNX_main(int argc, char **argv) { return LLVMFuzzerRunDriver(&argc, &argv, mle_fuzz_one); }

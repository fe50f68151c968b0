// AVX-512 kernels (placeholder until written): not compiled in yet.
#include "kernels/codec/codec_internal.h"

namespace dctcm {
namespace codec {
namespace internal {
bool Avx512Supported() { return false; }
const Kernels* Avx512Kernels() { return nullptr; }
}  // namespace internal
}  // namespace codec
}  // namespace dctcm

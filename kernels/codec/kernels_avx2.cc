// AVX2 kernels (placeholder until written): not compiled in yet.
#include "kernels/codec/codec_internal.h"

namespace dctcm {
namespace codec {
namespace internal {
bool Avx2Supported() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2"); }
const Kernels* Avx2Kernels() { return nullptr; }
}  // namespace internal
}  // namespace codec
}  // namespace dctcm

// AVX2 variant: the reference kernels (kernels_generic.inc) compiled with
// -mavx2 -O3 and left to the compiler's vectoriser. Integer-exact and the
// same binary32 quantiser, so byte-identical to the scalar reference (tests
// check it). Hand-written AVX2 kernels (pshufb-LUT zvc expand, vpmaddwd DCT)
// are future work; see README.md.
#include <cmath>
#include <cstring>

#include "kernels/codec/codec_internal.h"

namespace dctcm {
namespace codec {
namespace internal {

bool Avx2Supported() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
         __builtin_cpu_supports("popcnt");
}

namespace {

#include "kernels/codec/kernels_generic.inc"

const Kernels kAvx2Kernels = {
    ZvcEncodeRef,  ZvcDecodeRef, PzvcSizeRef,   PzvcEncodeRef, PzvcDecodeRef,
    ZigZagRef,     UnZigZagRef,  DctForwardRef, DctInverseRef, CountZerosRef,
};

}  // namespace

const Kernels* Avx2Kernels() { return &kAvx2Kernels; }

}  // namespace internal
}  // namespace codec
}  // namespace dctcm

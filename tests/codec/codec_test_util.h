// Shared helpers for the codec tests: synthetic post-ReLU-like maps.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/codec/codec.h"
#include "kernels/codec/codec_internal.h"

namespace dctcm {
namespace codec {
namespace testing {

// The SIMD kernel tables this CPU runs, by name (each is tested against
// internal::kScalarKernels).
inline std::vector<std::pair<std::string, const internal::Kernels*>> SimdKernels() {
  std::vector<std::pair<std::string, const internal::Kernels*>> v;
  if (internal::Avx2Kernels() && internal::Avx2Supported())
    v.push_back({"avx2", internal::Avx2Kernels()});
  if (internal::Avx512Kernels() && internal::Avx512Supported())
    v.push_back({"avx512", internal::Avx512Kernels()});
  return v;
}

// Zero with probability `sparsity`, else 1 + geometric-like value with mean
// ~8 (post-ReLU activation codes). Signed maps get a random sign.
inline std::vector<uint8_t> MakeMap(size_t bytes, double sparsity,
                                    bool is_signed, uint32_t seed,
                                    double mean = 8.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<uint8_t> m(bytes);
  for (auto& v : m) {
    if (u(rng) < sparsity) {
      v = 0;
      continue;
    }
    double x = 1.0 - std::log(1.0 - u(rng)) * (mean - 1.0);
    int iv = static_cast<int>(x);
    if (is_signed) {
      if (iv > 127) iv = 127;
      if (u(rng) < 0.5) iv = -iv;
      v = static_cast<uint8_t>(static_cast<int8_t>(iv));
    } else {
      v = static_cast<uint8_t>(iv > 255 ? 255 : iv);
    }
  }
  return m;
}

inline std::vector<uint8_t> EncodeOrDie(const Variant& v,
                                        const std::vector<uint8_t>& src,
                                        const MapDesc& d,
                                        const EncodeParams& p,
                                        EncodeStats* st = nullptr) {
  std::vector<uint8_t> out(EncodeBound(d, p));
  size_t written = 0;
  Error e = v.encode(src.data(), d, p, out.data(), out.size(), &written, st);
  if (e != Error::kOk) return {};
  out.resize(written);
  return out;
}

}  // namespace testing
}  // namespace codec
}  // namespace dctcm

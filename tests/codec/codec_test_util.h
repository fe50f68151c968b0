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

// The tile index of a valid stream (FORMAT.md §4): each tile's kind and
// payload bytes, after the header, steps and permutation (§2-§3).
struct TileEntry {
  uint32_t kind = 0;
  size_t bytes = 0;
};
inline std::vector<TileEntry> TileIndex(const std::vector<uint8_t>& s) {
  MapDesc d;
  EncodeParams p;
  TileInfo ti;
  if (ReadHeader(s.data(), s.size(), &d, &p) != Error::kOk ||
      ReadTileInfo(s.data(), s.size(), &ti) != Error::kOk)
    return {};
  const size_t index = 32 + (p.mode == Mode::kDctcm ? p.dct.K + 2 * p.dct.perm.size() : 0);
  std::vector<TileEntry> out;
  uint32_t prev = 0;
  for (uint32_t t = 0; t < ti.num_tiles; ++t) {
    const uint8_t* e = s.data() + index + 4 * size_t{t};
    const uint32_t v = uint32_t(e[0]) | uint32_t(e[1]) << 8 | uint32_t(e[2]) << 16 |
                       uint32_t(e[3]) << 24;
    out.push_back({v >> 30, (v & 0x3FFFFFFFu) - prev});
    prev = v & 0x3FFFFFFFu;
  }
  return out;
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

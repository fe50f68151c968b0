// transpose_bench: the AVX-512 tile -> channel-planes transpose alone
// (Kernels::transpose, as Encode calls it: rows = pixels, cols = channels),
// for the 16 KiB tiles of each ResNet-50 channel count, in two regimes:
// one tile over and over (in L1), and the 50 tiles of an 800 KiB map in
// turn (from L2). GB/s of tile bytes, best of 7 batches.
//
//   g++ -O2 -std=c++17 -I. tools/transpose_bench.cc \
//       build/kernels/codec/libdctcm_codec.a -o /tmp/transpose_bench
//   taskset -c 1 /tmp/transpose_bench
//
// Built against another revision's library (same kernel table), it gives
// that revision's figures.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/codec/codec_internal.h"

int main() {
  using namespace dctcm::codec::internal;
  const Kernels* k = Avx512Kernels();
  if (!k || !Avx512Supported()) {
    std::fprintf(stderr, "transpose_bench: this CPU has no AVX-512 kernels\n");
    return 1;
  }
  constexpr size_t kTile = 16384, kTiles = 50;
  std::vector<uint8_t> src(kTile * kTiles), dst(kTile + 64);
  std::mt19937 rng(1);
  for (auto& v : src) v = static_cast<uint8_t>(rng());
  std::printf("%-10s %12s %12s\n", "rows x C", "L1 GB/s", "L2 GB/s");
  for (size_t cols : {64, 128, 256, 512, 1024, 2048}) {
    const size_t rows = kTile / cols;
    double gbps[2];
    for (int regime = 0; regime < 2; ++regime) {
      const size_t tiles = regime == 0 ? 1 : kTiles;
      const int reps = regime == 0 ? 2000 : 40;
      double best = 1e30;
      for (int b = 0; b < 7; ++b) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int r = 0; r < reps; ++r)
          for (size_t t = 0; t < tiles; ++t) k->transpose(src.data() + t * kTile, rows, cols, dst.data());
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::min(best, s);
        asm volatile("" ::"r"(dst.data()) : "memory");
      }
      gbps[regime] = double(kTile) * tiles * reps / best / 1e9;
    }
    std::printf("%4zu x %-4zu %12.1f %12.1f\n", rows, cols, gbps[0], gbps[1]);
  }
}

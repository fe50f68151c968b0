// codec_ab: one-process A/B of two builds of the AVX-512 codec kernels, on
// dumped maps. Built and run by tools/codec_ab.sh, which compiles another
// revision's kernels_avx512.cc with its table renamed Avx512KernelsOld and
// links it with the current library; both go through the same framework
// (internal::EncodeWith / DecodeWith), so only the kernels differ.
//
// On a shared host, separate benchmark runs drift by more than the changes
// being measured; here every round times both sides back to back (best of
// 5 passes over all maps each; old first in even rounds, new first in odd
// ones), and the ratio new / old is taken per round. Printed: the best GB/s of each side and the median (min..max)
// of the per-round ratios. Streams and decoded maps must be identical.
//
//   codec_ab DIR [ROUNDS]      DIR holds *.dmap files (dctcm traffic --dump-maps)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "kernels/codec/codec_internal.h"
#include "kernels/codec/dmap.h"

namespace dctcm {
namespace codec {
namespace internal {
const Kernels* Avx512KernelsOld();
}  // namespace internal
}  // namespace codec
}  // namespace dctcm

namespace {

namespace cd = dctcm::codec;
namespace in = dctcm::codec::internal;
using Clock = std::chrono::steady_clock;

using Map = cd::DumpedMap;

struct Config {
  const char* name;
  cd::Mode mode;
  int L, K, step;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR_OF_DMAP_FILES [ROUNDS]\n", argv[0]);
    return 2;
  }
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 9;
  constexpr int kReps = 5;
  const in::Kernels* side[2] = {in::Avx512KernelsOld(), in::Avx512Kernels()};
  if (side[0] == nullptr || side[1] == nullptr) {
    std::fprintf(stderr, "codec_ab: this CPU has no AVX-512 variant\n");
    return 1;
  }
  std::vector<Map> maps;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (!cd::ListDmaps(argv[1], &files, &ec)) {
    std::fprintf(stderr, "codec_ab: %s: cannot list the directory: %s\n", argv[1],
                 ec.message().c_str());
    return 1;
  }
  size_t raw = 0, cap = 0;
  for (const auto& f : files) {
    Map m;
    if (!cd::ReadDmap(f, &m)) {
      std::fprintf(stderr, "codec_ab: %s: not a dmap file\n", f.c_str());
      return 1;
    }
    raw += m.bytes.size();
    maps.push_back(std::move(m));
  }
  if (maps.empty()) {
    std::fprintf(stderr, "codec_ab: %s: no .dmap files\n", argv[1]);
    return 1;
  }
  const Config configs[] = {
      {"pzvc", cd::Mode::kPzvc, 8, 8, 1},
      {"dctcm L8 K8 step1", cd::Mode::kDctcm, 8, 8, 1},
      {"dctcm L8 K4 step8", cd::Mode::kDctcm, 8, 4, 8},
      {"dctcm L8 K8 step2", cd::Mode::kDctcm, 8, 8, 2},
      {"dctcm L1 step3", cd::Mode::kDctcm, 1, 1, 3},
  };
  std::printf("%zu maps, %.1f MB; %d rounds, best of %d passes per side per round\n",
              maps.size(), raw / 1e6, rounds, kReps);
  std::printf("%-18s %7s | %-32s | %-32s\n", "configuration", "ratio",
              "encode GB/s old new, new/old", "decode GB/s old new, new/old");
  for (const Config& c : configs) {
    cd::EncodeParams p;
    p.mode = c.mode;
    p.dct.L = static_cast<uint8_t>(c.L);
    p.dct.K = static_cast<uint8_t>(c.K);
    p.dct.steps.assign(c.K, static_cast<uint16_t>(c.step));
    // Encode every map on both sides once; the streams must agree.
    std::vector<std::vector<uint8_t>> streams(maps.size());
    size_t coded = 0;
    for (size_t i = 0; i < maps.size(); ++i) {
      cap = cd::EncodeBound(maps[i].desc, p);
      std::vector<uint8_t> a(cap), b(cap);
      size_t wa = 0, wb = 0;
      if (in::EncodeWith(*side[0], maps[i].bytes.data(), maps[i].desc, p, a.data(), cap, &wa,
                         nullptr) != cd::Error::kOk ||
          in::EncodeWith(*side[1], maps[i].bytes.data(), maps[i].desc, p, b.data(), cap, &wb,
                         nullptr) != cd::Error::kOk ||
          wa != wb || std::memcmp(a.data(), b.data(), wa) != 0) {
        std::fprintf(stderr, "codec_ab: %s, %s: the two builds write different streams\n",
                     c.name, maps[i].name.c_str());
        return 1;
      }
      a.resize(wa);
      streams[i] = std::move(a);
      coded += wa;
    }
    std::vector<uint8_t> enc_buf, dec_a, dec_b;
    for (const Map& m : maps) {
      enc_buf.resize(std::max(enc_buf.size(), cd::EncodeBound(m.desc, p)));
      dec_a.resize(std::max(dec_a.size(), m.bytes.size()));
    }
    dec_b.resize(dec_a.size());
    for (size_t i = 0; i < maps.size(); ++i) {
      cd::MapDesc d;
      in::DecodeWith(*side[0], streams[i].data(), streams[i].size(), dec_a.data(), dec_a.size(), &d);
      in::DecodeWith(*side[1], streams[i].data(), streams[i].size(), dec_b.data(), dec_b.size(), &d);
      if (std::memcmp(dec_a.data(), dec_b.data(), maps[i].bytes.size()) != 0) {
        std::fprintf(stderr, "codec_ab: %s, %s: the two builds decode differently\n", c.name,
                     maps[i].name.c_str());
        return 1;
      }
    }
    auto pass = [&](int s, bool encode) {
      double best = 1e30;
      for (int r = 0; r < kReps; ++r) {
        const auto t0 = Clock::now();
        for (size_t i = 0; i < maps.size(); ++i) {
          size_t w = 0;
          cd::MapDesc d;
          if (encode)
            in::EncodeWith(*side[s], maps[i].bytes.data(), maps[i].desc, p, enc_buf.data(),
                           enc_buf.size(), &w, nullptr);
          else
            in::DecodeWith(*side[s], streams[i].data(), streams[i].size(), dec_a.data(),
                           dec_a.size(), &d);
        }
        best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
      }
      return raw / best / 1e9;
    };
    double best[2][2] = {{0, 0}, {0, 0}};  // [encode/decode][old/new]
    std::vector<double> ratio[2];
    for (int r = 0; r < rounds; ++r) {
      for (int e = 0; e < 2; ++e) {
        // Alternate which side goes first (the second pass of a round
        // finds warmer caches).
        double o, n;
        if (r % 2 == 0) {
          o = pass(0, e == 0);
          n = pass(1, e == 0);
        } else {
          n = pass(1, e == 0);
          o = pass(0, e == 0);
        }
        best[e][0] = std::max(best[e][0], o);
        best[e][1] = std::max(best[e][1], n);
        ratio[e].push_back(n / o);
      }
    }
    std::printf("%-18s %7.3f |", c.name, double(raw) / coded);
    for (int e = 0; e < 2; ++e) {
      std::sort(ratio[e].begin(), ratio[e].end());
      std::printf(" %5.2f %5.2f, %.3f (%.3f..%.3f) |", best[e][0], best[e][1],
                  ratio[e][ratio[e].size() / 2], ratio[e].front(), ratio[e].back());
    }
    std::printf("\n");
  }
  return 0;
}

// codec_ab: one-process A/B of two builds of the codec library, on dumped
// maps. Built and run by tools/codec_ab.sh, which compiles another
// revision's kernels/codec (the whole library: framework, tables and
// kernels) with the project namespace renamed, and links it beside the
// working tree's library. Each side is reached through its public API
// (codec_ab_side.h), with the same variant on both sides (avx512 unless
// --variant says otherwise), so a change anywhere in the codec is measured,
// and the two revisions may differ in their internal interfaces.
//
// On a shared host, separate benchmark runs drift by more than the changes
// being measured. Here every map is coded by both sides back to back, 5
// times each, alternating which side goes first; a side's time for the
// map is its best of the 5, as `dctcm-bench-codec` measures one map over
// and over (the map warm in the caches). A round sums those times over
// the maps, and the ratio new / old (of speeds) is taken per round. Printed
// per configuration: the GB/s of each side (per map, the best time over
// all rounds), and the median (min..max) of the per-round ratios. The
// streams and the decoded maps of the two sides must be identical.
//
//   codec_ab DIR [ROUNDS] [--tuning CALIBRATION] [--variant NAME]
//
// DIR holds *.dmap files (dctcm traffic --dump-maps, tools/bench_maps.sh).
// --tuning adds the configuration "tuned": every map coded with the
// parameters that the calibration's codec tuning gives it, as the engine's
// pool codes it (CodecConfig::ParamsFor), i.e. the throughput targets'
// configuration (tools/codec_targets.sh).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/pool.h"
#include "kernels/codec/codec.h"
#include "kernels/codec/dmap.h"
#include "tools/codec_ab_side.h"

namespace {

namespace cd = dctcm::codec;
using Clock = std::chrono::steady_clock;
using codecab::AbMap;
using codecab::AbParams;
using codecab::AbSide;

AbParams FromParams(const cd::EncodeParams& p) {
  AbParams a;
  a.mode = static_cast<int>(p.mode);
  a.L = p.dct.L;
  a.K = p.dct.K;
  a.steps = p.dct.steps;
  a.perm = p.dct.perm;
  a.fallback = p.dct.fallback;
  a.tile_pixels = p.tile_pixels;
  return a;
}

AbParams Fixed(cd::Mode mode, int L, int K, int step) {
  cd::EncodeParams p;
  p.mode = mode;
  p.dct.L = static_cast<uint8_t>(L);
  p.dct.K = static_cast<uint8_t>(K);
  p.dct.steps.assign(K, static_cast<uint16_t>(step));
  return FromParams(p);
}

struct Config {
  std::string name;
  std::function<AbParams(const cd::DumpedMap&)> params;
};

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s DIR_OF_DMAP_FILES [ROUNDS] [--tuning CALIBRATION] [--variant NAME]\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir, tuning_file, variant = "avx512";
  // --format-change: the two sides may write different streams (each side
  // decodes its own; the two decoded maps must still be identical).
  bool format_change = false;
  int rounds = 9;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--format-change") {
      format_change = true;
    } else if ((a == "--tuning" || a == "--variant") && i + 1 < argc) {
      (a == "--tuning" ? tuning_file : variant) = argv[++i];
    } else if (!a.empty() && a[0] == '-') {
      return Usage(argv[0]);
    } else if (dir.empty()) {
      dir = a;
    } else {
      rounds = std::max(1, std::atoi(a.c_str()));
    }
  }
  if (dir.empty()) return Usage(argv[0]);
  constexpr int kReps = 5;
  const AbSide* side[2] = {codecab::OldSide(), codecab::NewSide()};
  for (int s = 0; s < 2; ++s) {
    if (!side[s]->select(variant.c_str())) {
      std::fprintf(stderr, "codec_ab: the %s build has no variant %s that this CPU runs\n",
                   s ? "new" : "old", variant.c_str());
      return 1;
    }
  }
  std::vector<cd::DumpedMap> maps;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (!cd::ListDmaps(dir, &files, &ec)) {
    std::fprintf(stderr, "codec_ab: %s: cannot list the directory: %s\n", dir.c_str(),
                 ec.message().c_str());
    return 1;
  }
  size_t raw = 0, max_raw = 0;
  for (const auto& f : files) {
    cd::DumpedMap m;
    if (!cd::ReadDmap(f, &m)) {
      std::fprintf(stderr, "codec_ab: %s: not a dmap file\n", f.c_str());
      return 1;
    }
    raw += m.bytes.size();
    max_raw = std::max(max_raw, m.bytes.size());
    maps.push_back(std::move(m));
  }
  if (maps.empty()) {
    std::fprintf(stderr, "codec_ab: %s: no .dmap files\n", dir.c_str());
    return 1;
  }
  std::vector<Config> configs = {
      {"pzvc", [](const cd::DumpedMap&) { return Fixed(cd::Mode::kPzvc, 8, 8, 1); }},
      {"dctcm L8 K8 step1", [](const cd::DumpedMap&) { return Fixed(cd::Mode::kDctcm, 8, 8, 1); }},
      {"dctcm L8 K4 step8", [](const cd::DumpedMap&) { return Fixed(cd::Mode::kDctcm, 8, 4, 8); }},
      {"dctcm L8 K8 step2", [](const cd::DumpedMap&) { return Fixed(cd::Mode::kDctcm, 8, 8, 2); }},
      {"dctcm L1 step3", [](const cd::DumpedMap&) { return Fixed(cd::Mode::kDctcm, 1, 1, 3); }},
  };
  if (!tuning_file.empty()) {
    auto cfg = std::make_shared<dctcm::CodecConfig>();
    const dctcm::Status st = dctcm::ReadTuning(tuning_file, cfg.get());
    if (!st.ok()) {
      std::fprintf(stderr, "codec_ab: --tuning: %s\n", st.message().c_str());
      return 2;
    }
    configs.push_back({"tuned", [cfg](const cd::DumpedMap& m) {
                         const std::string name = std::filesystem::path(m.name).stem().string();
                         return FromParams(cfg->ParamsFor(name, m.desc.c));
                       }});
  }
  std::printf("%zu maps, %.1f MB, variant %s; %d rounds, per map best of %d per side per round\n",
              maps.size(), raw / 1e6, variant.c_str(), rounds, kReps);
  std::printf("%-18s %7s | %-32s | %-32s\n", "configuration", "ratio",
              "encode GB/s old new, new/old", "decode GB/s old new, new/old");
  std::vector<uint8_t> enc_buf, dec_a(max_raw + 64), dec_b(max_raw + 64);
  for (const Config& c : configs) {
    const size_t n = maps.size();
    std::vector<AbMap> desc(n);
    std::vector<const void*> params[2];
    std::vector<std::vector<uint8_t>> streams[2] = {std::vector<std::vector<uint8_t>>(n), std::vector<std::vector<uint8_t>>(n)};
    size_t coded = 0;
    for (size_t i = 0; i < n; ++i) {
      const cd::DumpedMap& m = maps[i];
      desc[i] = {m.desc.h, m.desc.w, m.desc.c, m.desc.is_signed};
      const AbParams ap = c.params(m);
      std::vector<uint8_t> out[2];
      size_t w[2] = {0, 0};
      for (int s = 0; s < 2; ++s) {
        params[s].push_back(side[s]->params(ap));
        const size_t cap = side[s]->bound(desc[i], params[s][i]);
        enc_buf.resize(std::max(enc_buf.size(), cap));
        out[s].resize(cap);
        if (!side[s]->encode(m.bytes.data(), desc[i], params[s][i], out[s].data(), cap, &w[s])) {
          std::fprintf(stderr, "codec_ab: %s, %s: the %s build fails to encode\n", c.name.c_str(),
                       m.name.c_str(), s ? "new" : "old");
          return 1;
        }
      }
      if (!format_change && (w[0] != w[1] || std::memcmp(out[0].data(), out[1].data(), w[0]) != 0)) {
        std::fprintf(stderr, "codec_ab: %s, %s: the two builds write different streams\n",
                     c.name.c_str(), m.name.c_str());
        return 1;
      }
      for (int s = 0; s < 2; ++s) {
        out[s].resize(w[s]);
        streams[s][i] = std::move(out[s]);
      }
      coded += w[1];
      const size_t bytes = m.bytes.size();
      if (!side[0]->decode(streams[0][i].data(), streams[0][i].size(), dec_a.data(), bytes) ||
          !side[1]->decode(streams[1][i].data(), streams[1][i].size(), dec_b.data(), bytes) ||
          std::memcmp(dec_a.data(), dec_b.data(), bytes) != 0) {
        std::fprintf(stderr, "codec_ab: %s, %s: the two builds decode differently\n",
                     c.name.c_str(), m.name.c_str());
        return 1;
      }
    }
    auto once = [&](int s, bool encode, size_t i) {
      const auto t0 = Clock::now();
      size_t w = 0;
      if (encode)
        side[s]->encode(maps[i].bytes.data(), desc[i], params[s][i], enc_buf.data(),
                        enc_buf.size(), &w);
      else
        side[s]->decode(streams[s][i].data(), streams[s][i].size(), dec_a.data(), maps[i].bytes.size());
      return Seconds(t0);
    };
    // best[e][s][i]: the best time of map i over all rounds.
    std::vector<double> best[2][2];
    for (auto& e : best)
      for (auto& s : e) s.assign(n, 1e30);
    std::vector<double> ratio[2];
    for (int r = 0; r < rounds; ++r) {
      for (int e = 0; e < 2; ++e) {
        double sum[2] = {0, 0};
        for (size_t i = 0; i < n; ++i) {
          double t[2] = {1e30, 1e30};
          for (int k = 0; k < kReps; ++k) {
            const int first = (r + k) % 2;  // alternate which side goes first
            for (int j = 0; j < 2; ++j) {
              const int s = j == 0 ? first : 1 - first;
              t[s] = std::min(t[s], once(s, e == 0, i));
            }
          }
          for (int s = 0; s < 2; ++s) {
            sum[s] += t[s];
            best[e][s][i] = std::min(best[e][s][i], t[s]);
          }
        }
        ratio[e].push_back(sum[0] / sum[1]);
      }
    }
    std::printf("%-18s %7.3f |", c.name.c_str(), double(raw) / coded);
    for (int e = 0; e < 2; ++e) {
      double gbps[2];
      for (int s = 0; s < 2; ++s) {
        double t = 0;
        for (double v : best[e][s]) t += v;
        gbps[s] = raw / t / 1e9;
      }
      std::sort(ratio[e].begin(), ratio[e].end());
      std::printf(" %5.2f %5.2f, %.3f (%.3f..%.3f) |", gbps[0], gbps[1],
                  ratio[e][ratio[e].size() / 2], ratio[e].front(), ratio[e].back());
    }
    std::printf("\n");
  }
  return 0;
}

// dctcm-bench-codec: encode/decode throughput (GB/s of raw map bytes) per
// variant and mode, with memcpy of the same bytes as the yardstick.
//
//   dctcm-bench-codec [--maps DIR] [--sparsity S[,S...]] [--variant V]
//                     [--mode M[,M...]] [--json FILE] [--seconds T]
//                     [--dct-L L] [--dct-K K] [--dct-step S] [--dct-perm]
//                     [--tuning CALIBRATION] [--kernels]
//
// Synthetic maps: ResNet-50 shapes, zeros with probability S, other values
// 1 + exponential(mean 7) (post-ReLU activation codes, mean ~8).
// Real maps: DIR/*.dmap (kernels/codec/dmap.h).
// --dct-perm: dctcm maps carry a channel permutation (a fixed shuffle per
// map, seed 1), as the tuner's permuted maps do (FORMAT.md §3).
// Each figure is the median of 5 timed batches of about T/5 seconds each.
// --tuning FILE: one more mode, "tuned": each map coded with the
// parameters `dctcm tune` stored for it in the calibration FILE (by map
// name: DIR/NAME.dmap is op output NAME), i.e. DCT-CM as the engine's pool
// runs it (engine/pool.h CodecConfig::ParamsFor).
// --kernels: instead, the per-kernel breakdown (GB/s of tile bytes, each
// kernel timed alone on every default-size tile of every map, in cache,
// best of 15 runs): plane transpose, block stats, packed encode/decode,
// the L = 8 DCT and its plane reordering, per variant.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernels/codec/codec.h"
#include "kernels/codec/codec_internal.h"
#include "kernels/codec/dmap.h"
#include "engine/pool.h"

using namespace dctcm::codec;

namespace {

using Map = DumpedMap;

std::vector<uint8_t> Synthetic(size_t n, double s, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<uint8_t> m(n);
  for (auto& v : m) {
    if (u(rng) < s) {
      v = 0;
    } else {
      const double x = 1.0 - std::log(1.0 - u(rng)) * 7.0;
      v = static_cast<uint8_t>(x > 255 ? 255 : x);
    }
  }
  return m;
}

using Clock = std::chrono::steady_clock;

// Median over 5 batches of the seconds per call of fn.
template <typename Fn>
double MedianSeconds(Fn fn, double seconds) {
  fn();  // warm up
  const auto t0 = Clock::now();
  fn();
  double one = std::chrono::duration<double>(Clock::now() - t0).count();
  const int reps = std::max(1, int((seconds / 5) / std::max(one, 1e-7)));
  std::vector<double> t;
  for (int b = 0; b < 5; ++b) {
    const auto s = Clock::now();
    for (int r = 0; r < reps; ++r) fn();
    t.push_back(std::chrono::duration<double>(Clock::now() - s).count() / reps);
  }
  std::sort(t.begin(), t.end());
  return t[2];
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t a = 0;
  while (a <= s.size()) {
    size_t b = s.find(',', a);
    if (b == std::string::npos) b = s.size();
    if (b > a) out.push_back(s.substr(a, b - a));
    a = b + 1;
  }
  return out;
}

struct Result {
  std::string variant, mode, map;
  double enc, dec, ratio, memcpy_gbps;
  size_t raw, total, meta;
  double zero_frac;
};


// --kernels: per-kernel GB/s over the tiles of the maps (see the header).
void KernelBreakdown(const std::vector<Map>& maps, const std::vector<const Variant*>& variants,
                     int dct_K, int dct_step) {
  namespace in = dctcm::codec::internal;
  for (const Variant* v : variants) {
    const std::string name = v->name;
    const in::Kernels* k = name == "avx512" ? in::Avx512Kernels()
                           : name == "avx2" ? in::Avx2Kernels()
                                            : &in::kScalarKernels;
    const int reps = name == "scalar" ? 3 : 15;
    auto best = [&](auto fn) {
      double b = 1e30;
      for (int r = 0; r < reps; ++r) {
        const auto t0 = Clock::now();
        fn();
        b = std::min(b, std::chrono::duration<double>(Clock::now() - t0).count());
      }
      return b;
    };
    double t[8] = {0}, bytes = 0;
    for (const Map& m : maps) {
      const size_t C = m.desc.c, P = size_t(m.desc.n) * m.desc.h * m.desc.w;
      if (C % 8 != 0) continue;
      const size_t tp = std::max<size_t>(1, 16384 / C), G = C / 8;
      std::vector<uint8_t> planes(tp * C + 64), enc(2 * tp * C + 256), dec(tp * C + 64),
          sym(tp * C + 64), gm(tp * C + 64);
      std::vector<uint16_t> steps(dct_K, uint16_t(dct_step));
      in::DctPlan plan;
      in::MakeDctPlan(8, dct_K, steps.data(), m.desc.is_signed, int(C), &plan);
      for (size_t p0 = 0; p0 < P; p0 += tp) {
        const size_t np = std::min(tp, P - p0), n = np * C, F = np * G;
        const uint8_t* x = m.bytes.data() + p0 * C;
        size_t sz = 0;
        t[0] += best([&] { k->transpose(x, np, C, planes.data()); });
        t[1] += best([&] { sz = k->pzvc_size(planes.data(), n); });
        t[2] += best([&] { sz = k->pzvc_encode(planes.data(), n, enc.data()); });
        t[3] += best([&] { k->pzvc_decode(enc.data(), sz, n, dec.data()); });
        t[4] += best([&] { k->transpose(dec.data(), C, np, planes.data()); });
        k->transpose(x, np, C, planes.data());  // the DCT's input (as in Encode)
        t[5] += best([&] { k->dct_forward(plan, planes.data(), np, nullptr, gm.data()); });
        t[6] += best([&] {
          for (int q = 0; q < dct_K; ++q) k->transpose(gm.data() + q * F, G, np, sym.data() + q * F);
        });
        t[7] += best([&] { k->dct_inverse(plan, sym.data(), np, dec.data()); });
        bytes += n;
      }
    }
    const char* names[8] = {"tile->planes", "stats(size)", "pack-encode", "pack-decode",
                            "planes->tile", "dct-fwd(planes)", "dct stream->planes", "dct-inv"};
    std::printf("kernels %-8s", v->name);
    for (int i = 0; i < 8; ++i) std::printf("  %s %.2f", names[i], t[i] > 0 ? bytes / t[i] / 1e9 : 0);
    std::printf("  (GB/s of tile bytes, DCT L=8 K=%d step %d)\n", dct_K, dct_step);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string maps_dir, json, variant_name, modes_arg = "raw,zvc,rle,csc,pzvc,dctcm";
  std::string sparsity_arg = "0.5";
  double seconds = 0.5;
  int dct_L = 8, dct_K = 8, dct_step = 1;
  bool kernels = false, dct_perm = false;
  std::string tuning_file;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--maps") maps_dir = next();
    else if (a == "--sparsity") sparsity_arg = next();
    else if (a == "--variant") variant_name = next();
    else if (a == "--mode") modes_arg = next();
    else if (a == "--json") json = next();
    else if (a == "--seconds") seconds = std::atof(next().c_str());
    else if (a == "--dct-L") dct_L = std::atoi(next().c_str());
    else if (a == "--dct-K") dct_K = std::atoi(next().c_str());
    else if (a == "--dct-step") dct_step = std::atoi(next().c_str());
    else if (a == "--dct-perm") dct_perm = true;
    else if (a == "--kernels") kernels = true;
    else if (a == "--tuning") tuning_file = next();
    else {
      std::fprintf(stderr,
                   "usage: %s [--maps DIR] [--sparsity S[,S..]] [--variant V] [--mode M[,M..]]\n"
                   "          [--json FILE] [--seconds T] [--dct-L L] [--dct-K K] [--dct-step S]\n"
                   "          [--dct-perm] [--tuning CALIBRATION] [--kernels]\n",
                   argv[0]);
      return 2;
    }
  }
  // A configuration: a label and the parameters it gives each map
  // (nullopt: skipped for that map).
  struct Config {
    std::string label;
    std::function<std::optional<EncodeParams>(const Map&)> params;
  };
  std::vector<Config> configs;
  for (const auto& m : Split(modes_arg)) {
    Mode mode;
    if (!ParseMode(m, &mode)) {
      std::fprintf(stderr, "unknown mode %s\n", m.c_str());
      return 2;
    }
    configs.push_back({ModeName(mode), [=](const Map& map) -> std::optional<EncodeParams> {
      EncodeParams p;
      p.mode = mode;
      p.dct.L = uint8_t(dct_L);
      p.dct.K = uint8_t(dct_K);
      p.dct.steps.assign(dct_K, uint16_t(dct_step));
      if (map.desc.c % dct_L != 0 && mode == Mode::kDctcm) return std::nullopt;
      if (dct_perm && mode == Mode::kDctcm) {
        p.dct.perm.resize(map.desc.c);
        std::iota(p.dct.perm.begin(), p.dct.perm.end(), uint16_t{0});
        std::shuffle(p.dct.perm.begin(), p.dct.perm.end(), std::mt19937(1));
      }
      return p;
    }});
  }
  if (!tuning_file.empty()) {
    auto cfg = std::make_shared<dctcm::CodecConfig>();
    const dctcm::Status st = dctcm::ReadTuning(tuning_file, cfg.get());
    if (!st.ok()) {
      std::fprintf(stderr, "--tuning: %s\n", st.message().c_str());
      return 2;
    }
    configs.push_back({"tuned", [cfg](const Map& map) -> std::optional<EncodeParams> {
      const std::string name = std::filesystem::path(map.name).stem().string();
      return cfg->ParamsFor(name, map.desc.c);
    }});
  }
  std::vector<const Variant*> variants;
  for (const Variant& v : Variants()) {
    if (!v.supported()) continue;
    if (!variant_name.empty() && variant_name != v.name) continue;
    variants.push_back(&v);
  }
  if (variants.empty()) {
    std::fprintf(stderr, "no supported variant named %s\n", variant_name.c_str());
    return 2;
  }

  std::vector<Map> maps;
  if (!maps_dir.empty()) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    if (!ListDmaps(maps_dir, &files, &ec)) {
      std::fprintf(stderr, "--maps %s: cannot list the directory: %s\n", maps_dir.c_str(),
                   ec.message().c_str());
      return 2;
    }
    for (const auto& f : files) {
      Map m;
      if (ReadDmap(f, &m)) maps.push_back(std::move(m));
      else std::fprintf(stderr, "skipping %s (not a DMAP file)\n", f.c_str());
    }
  } else {
    const uint32_t shapes[][3] = {{56, 56, 64}, {56, 56, 256}, {28, 28, 512},
                                  {14, 14, 1024}, {7, 7, 2048}};
    uint32_t seed = 1;
    for (const auto& s : Split(sparsity_arg)) {
      const double sp = std::atof(s.c_str());
      for (const auto& sh : shapes) {
        Map m;
        m.desc = MapDesc{1, sh[0], sh[1], sh[2], false};
        m.bytes = Synthetic(size_t(sh[0]) * sh[1] * sh[2], sp, seed++);
        char name[64];
        std::snprintf(name, sizeof(name), "%ux%ux%u_s%.2f", sh[0], sh[1], sh[2], sp);
        m.name = name;
        maps.push_back(std::move(m));
      }
    }
  }

  if (kernels) {
    KernelBreakdown(maps, variants, dct_K, dct_step);
    return 0;
  }
  std::vector<Result> results;
  double memcpy_sum = 0;
  std::printf("%-8s %-6s %-22s %9s %9s %7s %9s\n", "variant", "mode", "map", "enc GB/s",
              "dec GB/s", "ratio", "memcpy");
  for (const Map& m : maps) {
    const size_t raw = m.bytes.size();
    std::vector<uint8_t> copy(raw);
    const double mc = MedianSeconds(
        [&] {
          std::memcpy(copy.data(), m.bytes.data(), raw);
          asm volatile("" ::"r"(copy.data()) : "memory");
        },
        seconds);
    const double mc_gbps = raw / mc / 1e9;
    memcpy_sum += mc_gbps;
    for (const Config& config : configs) {
      const std::optional<EncodeParams> po = config.params(m);
      if (!po) continue;
      const EncodeParams& p = *po;
      const Mode mode = p.mode;
      const size_t bound = EncodeBound(m.desc, p);
      if (bound == 0) continue;
      std::vector<uint8_t> enc(bound), dec(raw);
      for (const Variant* v : variants) {
        size_t written = 0;
        EncodeStats st;
        if (v->encode(m.bytes.data(), m.desc, p, enc.data(), bound, &written, &st) !=
            Error::kOk) {
          std::fprintf(stderr, "encode failed: %s %s\n", v->name, m.name.c_str());
          return 1;
        }
        // --seconds 0: ratios only (no timing).
        const double te = seconds <= 0 ? 0 : MedianSeconds(
            [&] { v->encode(m.bytes.data(), m.desc, p, enc.data(), bound, &written, nullptr); },
            seconds);
        const double td = seconds <= 0 ? 0 : MedianSeconds(
            [&] { v->decode(enc.data(), written, dec.data(), raw, nullptr); }, seconds);
        if (seconds <= 0) {
          if (v->decode(enc.data(), written, dec.data(), raw, nullptr) != Error::kOk ||
              (mode != Mode::kDctcm && dec != m.bytes)) {
            std::fprintf(stderr, "round trip failed: %s %s %s\n", v->name, ModeName(mode), m.name.c_str());
            return 1;
          }
        }
        Result r{v->name, config.label, m.name, te > 0 ? raw / te / 1e9 : 0,
                 td > 0 ? raw / td / 1e9 : 0,
                 double(raw) / written, mc_gbps, raw, written, st.header_bytes,
                 double(st.zero_values) / raw};
        std::printf("%-8s %-6s %-22s %9.2f %9.2f %7.3f %9.2f\n", r.variant.c_str(),
                    r.mode.c_str(), r.map.c_str(), r.enc, r.dec, r.ratio, mc_gbps);
        std::fflush(stdout);
        results.push_back(r);
      }
    }
  }
  const double memcpy_gbps = maps.empty() ? 0 : memcpy_sum / maps.size();
  std::printf("memcpy mean over maps: %.2f GB/s\n", memcpy_gbps);
  // Per variant and mode: total = sum raw / sum stream, mean of per-map
  // ratios, and GB/s of all raw bytes over the summed times.
  for (const Variant* v : variants) {
    for (const Config& config : configs) {
      double raw = 0, stream = 0, rsum = 0, te = 0, td = 0;
      int cnt = 0;
      for (const Result& r : results) {
        if (r.variant != v->name || r.mode != config.label) continue;
        raw += r.raw;
        stream += r.total;
        rsum += r.ratio;
        te += r.enc > 0 ? r.raw / r.enc : 0;
        td += r.dec > 0 ? r.raw / r.dec : 0;
        ++cnt;
      }
      if (cnt == 0) continue;
      std::printf("summary %-8s %-6s maps %3d ratio total %.3f mean %.3f  enc %.2f dec %.2f GB/s\n",
                  v->name, config.label.c_str(), cnt, raw / stream, rsum / cnt,
                  te > 0 ? raw / te : 0, td > 0 ? raw / td : 0);
    }
  }
  if (!json.empty()) {
    FILE* f = std::fopen(json.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "cannot write %s\n", json.c_str());
      return 1;
    }
    std::fprintf(f,
                 "{\"memcpy_gbps\": %.4f, \"dct\": {\"L\": %d, \"K\": %d, \"step\": %d, "
                 "\"perm\": %s}, \"tuning\": \"%s\",\n",
                 memcpy_gbps, dct_L, dct_K, dct_step, dct_perm ? "true" : "false",
                 tuning_file.c_str());
    std::fprintf(f, " \"results\": [\n");
    for (size_t i = 0; i < results.size(); ++i) {
      const Result& r = results[i];
      std::fprintf(f,
                   "  {\"variant\": \"%s\", \"mode\": \"%s\", \"map\": \"%s\", "
                   "\"encode_gbps\": %.4f, \"decode_gbps\": %.4f, \"ratio\": %.4f, "
                   "\"memcpy_gbps\": %.4f, \"raw_bytes\": %zu, \"stream_bytes\": %zu, "
                   "\"metadata_bytes\": %zu, \"zero_fraction\": %.4f}%s\n",
                   r.variant.c_str(), r.mode.c_str(), r.map.c_str(), r.enc, r.dec, r.ratio,
                   r.memcpy_gbps, r.raw, r.total, r.meta, r.zero_frac,
                   i + 1 < results.size() ? "," : "");
    }
    std::fprintf(f, " ]}\n");
    std::fclose(f);
  }
  return 0;
}

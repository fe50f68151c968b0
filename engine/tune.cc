#include "engine/tune.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

namespace dctcm {
namespace {

struct Candidate {
  codec::EncodeParams params;
  std::string label;
  double bytes = 0;   // per image, offline estimate
  double mse = 0;     // per value, in quantisation steps^2
  double snr_db = 0;
  double kl = 0;      // measured effect on the output
  double flips = 0;   // top-1 changes on the sensitivity images
};

struct LayerInfo {
  int op = -1;
  std::string name;
  MapInfo map;
  double raw = 0;      // bytes per image
  int readers = 1;     // loads per store (traffic weight)
  double var = 0;
  std::vector<std::vector<uint8_t>> maps;  // one per map image
  std::vector<Candidate> cands;            // [0] = lossless pzvc
  int choice = 0;
};

double Value(const MapInfo& m, uint8_t b) { return m.is_signed ? double(int8_t(b)) : double(b); }

std::vector<double> Softmax(const float* l, int n) {
  std::vector<double> p(n);
  double mx = *std::max_element(l, l + n), sum = 0;
  for (int i = 0; i < n; ++i) sum += (p[i] = std::exp(double(l[i]) - mx));
  for (auto& v : p) v /= sum;
  return p;
}

double Kl(const std::vector<double>& p, const std::vector<double>& q) {
  double k = 0;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] > 1e-12) k += p[i] * std::log(p[i] / std::max(q[i], 1e-12));
  return k;
}

// Encodes and decodes every map of the layer with `p`: bytes per image, MSE.
void Measure(const LayerInfo& L, const codec::EncodeParams& p, double* bytes, double* mse) {
  std::vector<uint8_t> stream, back;
  double b = 0, e = 0, n = 0;
  codec::MapDesc d{1, uint32_t(L.map.h), uint32_t(L.map.w), uint32_t(L.map.c), L.map.is_signed};
  for (const auto& m : L.maps) {
    stream.resize(codec::EncodeBound(d, p));
    size_t w = 0;
    if (codec::Encode(m.data(), d, p, stream.data(), stream.size(), &w, nullptr) != codec::Error::kOk) {
      *bytes = 1e30;
      return;
    }
    back.resize(m.size());
    codec::Decode(stream.data(), w, back.data(), back.size(), nullptr);
    b += w;
    for (size_t i = 0; i < m.size(); ++i) {
      double x = Value(L.map, m[i]) - Value(L.map, back[i]);
      e += x * x;
    }
    n += m.size();
  }
  *bytes = b / L.maps.size();
  *mse = e / n;
}

}  // namespace

std::vector<uint16_t> ChainPermutation(const std::vector<const uint8_t*>& maps, size_t pixels, int c,
                                       bool is_signed) {
  // Sample up to 2048 pixels spread over the maps.
  const size_t total = pixels * maps.size();
  const size_t want = std::min<size_t>(2048, total);
  std::vector<float> x(want * c);  // [sample][channel]
  for (size_t s = 0; s < want; ++s) {
    size_t g = s * total / want;
    const uint8_t* px = maps[g / pixels] + (g % pixels) * c;
    for (int ch = 0; ch < c; ++ch) x[s * c + ch] = is_signed ? float(int8_t(px[ch])) : float(px[ch]);
  }
  // Transpose to [channel][sample] for the distance loops.
  std::vector<float> t(size_t(c) * want);
  for (size_t s = 0; s < want; ++s)
    for (int ch = 0; ch < c; ++ch) t[size_t(ch) * want + s] = x[s * c + ch];
  std::vector<double> mean(c, 0);
  for (int ch = 0; ch < c; ++ch)
    for (size_t s = 0; s < want; ++s) mean[ch] += t[size_t(ch) * want + s];
  std::vector<uint16_t> perm;
  std::vector<char> used(c, 0);
  int cur = int(std::max_element(mean.begin(), mean.end()) - mean.begin());
  for (int step = 0; step < c; ++step) {
    perm.push_back(static_cast<uint16_t>(cur));
    used[cur] = 1;
    if (step + 1 == c) break;
    const float* a = t.data() + size_t(cur) * want;
    double best = 1e300;
    int next = -1;
    for (int ch = 0; ch < c; ++ch) {
      if (used[ch]) continue;
      const float* b = t.data() + size_t(ch) * want;
      float d = 0;
      for (size_t s = 0; s < want; ++s) d += (a[s] - b[s]) * (a[s] - b[s]);
      if (d < best) best = d, next = ch;
    }
    cur = next;
  }
  return perm;
}

Status TuneCodec(Session* s, const std::vector<DatasetItem>& items, const TuneOptions& opt,
                 TuneResult* out) {
  CompressedPool* pool = s->pool();
  if (!pool || pool->options().codec.mode != codec::Mode::kDctcm)
    return Error("tune needs an int8 session with codec dctcm");
  const Model& model = s->model();
  const int classes = model.ops.back().out_c;
  char line[512];

  // Load every calibration image once.
  std::vector<std::vector<float>> inputs;
  for (const auto& it : items) {
    std::vector<float> in;
    Status st = LoadInput(it.path, s->options().preprocess, s->options().limits, &in);
    if (!st.ok()) {
      std::fprintf(stderr, "error: %s (skipped)\n", st.message().c_str());
      continue;
    }
    inputs.push_back(std::move(in));
  }
  if (inputs.empty()) return Error("tune: no calibration image could be read");
  const int n_map = std::min<int>(opt.map_images, inputs.size());
  const int n_sens = std::min<int>(opt.sens_images, inputs.size());

  Network* net = nullptr;
  DCTCM_RETURN_IF_ERROR(s->Prepare(1, &net));
  std::vector<float> logits;

  // 1. The reference: every map stored losslessly (pzvc), which is exactly
  //    the uncompressed int8 network. Collect maps and clean outputs.
  CodecConfig lossless = pool->options().codec;
  lossless.per_layer.clear();
  lossless.tuning.clear();
  std::vector<LayerInfo> layers;
  std::map<int, int> layer_of_op;
  for (size_t i = 0; i < model.ops.size(); ++i) {
    const OpDesc& op = model.ops[i];
    if (op.kind != OpDesc::kConv && op.kind != OpDesc::kMaxPool) continue;
    if (net->last_consumer(int(i)) < 0) continue;
    LayerInfo L;
    L.op = int(i);
    L.name = op.name;
    L.map = net->map_info(int(i));
    L.raw = double(L.map.bytes());
    L.readers = 0;
    for (const auto& o : model.ops) L.readers += (o.src == op.name) + (o.add == op.name);
    layer_of_op[int(i)] = int(layers.size());
    codec::EncodeParams pz;
    pz.mode = codec::Mode::kPzvc;
    lossless.per_layer[op.name] = pz;
    layers.push_back(std::move(L));
  }
  pool->set_codec(lossless);
  std::vector<std::vector<double>> clean(inputs.size());
  std::vector<int> clean_top(inputs.size());
  int collecting = -1;
  net->int8_observer = [&](const MapInfo& m, const uint8_t* d) {
    if (collecting < 0) return;
    auto it = layer_of_op.find(m.op);
    if (it != layer_of_op.end()) layers[it->second].maps.emplace_back(d, d + m.bytes());
  };
  for (size_t k = 0; k < inputs.size(); ++k) {
    collecting = int(k) < n_map ? int(k) : -1;
    DCTCM_RETURN_IF_ERROR(s->Run(inputs[k], 1, &logits, nullptr));
    clean[k] = Softmax(logits.data(), classes);
    clean_top[k] = int(std::max_element(clean[k].begin(), clean[k].end()) - clean[k].begin());
  }
  net->int8_observer = nullptr;

  // 2. Offline: size and error of candidate parameters on the collected maps.
  for (auto& L : layers) {
    double sum = 0, sq = 0, n = 0;
    for (const auto& m : L.maps)
      for (uint8_t b : m) {
        double v = Value(L.map, b);
        sum += v, sq += v * v, n += 1;
      }
    L.var = std::max(1e-9, sq / n - (sum / n) * (sum / n));
    Candidate base;
    base.params = lossless.per_layer[L.name];
    base.label = "pzvc";
    Measure(L, base.params, &base.bytes, &base.mse);
    base.snr_db = 99;
    L.cands.push_back(base);
    std::vector<const uint8_t*> ptrs;
    for (auto& m : L.maps) ptrs.push_back(m.data());
    const size_t pixels = size_t(L.map.h) * L.map.w;
    std::vector<uint16_t> chain = ChainPermutation(ptrs, pixels, L.map.c, L.map.is_signed);
    std::vector<Candidate> all;
    // Sizes and measures one DCT-CM candidate (K = L); keeps it if it saves
    // at least 3 % over lossless at an SNR above the floor.
    auto consider = [&](int Lg, std::vector<uint16_t> steps, bool use_perm, const char* label) {
      Candidate c;
      c.params.mode = codec::Mode::kDctcm;
      c.params.dct.L = uint8_t(Lg);
      c.params.dct.K = uint8_t(Lg);
      c.params.dct.steps = std::move(steps);
      if (use_perm) c.params.dct.perm = chain;
      c.label = label;
      Measure(L, c.params, &c.bytes, &c.mse);
      c.snr_db = 10 * std::log10(L.var / std::max(c.mse, 1e-12));
      if (c.bytes < base.bytes * 0.97 && c.snr_db >= opt.min_snr_db) all.push_back(c);
    };
    // L = 1: no transform, one step on the values themselves (§6.5 of
    // kernels/codec/FORMAT.md). Zeros stay zero, so on the sparse ReLU maps
    // this costs fewer bits of error than a step on DCT coefficients.
    for (int step : {2, 3, 4}) {
      std::snprintf(line, sizeof line, "L1 step %d", step);
      consider(1, {uint16_t(step)}, false, line);
    }
    // The channel DCT. The frequency mask (K < L) costs 15-25 dB of SNR on
    // these maps (their channels are not smooth, even after the permutation;
    // docs/TUNING.md), so the candidates keep every frequency and vary the
    // steps.
    for (int Lg : {8, 16}) {
      if (L.map.c % Lg) continue;
      // Uniform steps (optionally a finer DC), and JPEG-like ramps that
      // keep the low frequencies exact and coarsen the high ones.
      std::vector<std::pair<std::vector<uint16_t>, std::string>> profiles;
      for (int step : {2, 3, 4})
        for (int dc_fine : {0, 1}) {
          std::vector<uint16_t> st(Lg, uint16_t(step));
          if (dc_fine) st[0] = uint16_t(std::max(1, step / 2));
          std::snprintf(line, sizeof line, "step %d%s", step, dc_fine ? " dc/2" : "");
          profiles.push_back({st, line});
        }
      for (int a : {2, 3, 4, 6}) {
        std::vector<uint16_t> st(Lg);
        for (int k = 0; k < Lg; ++k) st[k] = uint16_t(1 + (a * k) / Lg);
        std::snprintf(line, sizeof line, "ramp 1..%d", int(st[Lg - 1]));
        profiles.push_back({st, line});
      }
      for (int use_perm : {0, 1}) {
        for (const auto& [steps, name] : profiles) {
          std::snprintf(line, sizeof line, "dct L%d %s%s", Lg, name.c_str(), use_perm ? " perm" : "");
          consider(Lg, steps, use_perm != 0, line);
        }
      }
    }
    // Pareto front on (bytes, mse), at most 4 points spread over it.
    std::sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
      return a.mse < b.mse || (a.mse == b.mse && a.bytes < b.bytes);
    });
    std::vector<Candidate> front;
    for (auto& c : all)
      if (front.empty() || c.bytes < front.back().bytes) front.push_back(c);
    if (front.size() > 4) {
      std::vector<Candidate> pick;
      for (int k = 0; k < 4; ++k) pick.push_back(front[k * (front.size() - 1) / 3]);
      front = pick;
    }
    for (auto& c : front) L.cands.push_back(c);
  }

  // Sum of KL(clean || codec) and the number of top-1 changes over images
  // [0, count), in batches of opt.batch images (logits and pool bytes do
  // not depend on the batch, so neither does the tuning; the sums run in
  // image order).
  const int B = std::max(1, opt.batch);
  std::vector<float> batch_in;
  auto score = [&](int count, double* kl, int* flips) -> Status {
    *kl = 0;
    *flips = 0;
    const size_t per = inputs[0].size();
    for (int k0 = 0; k0 < count; k0 += B) {
      const int nb = std::min(B, count - k0);
      batch_in.resize(per * nb);
      for (int j = 0; j < nb; ++j)
        std::copy(inputs[k0 + j].begin(), inputs[k0 + j].end(), batch_in.begin() + per * j);
      DCTCM_RETURN_IF_ERROR(s->Run(batch_in, nb, &logits, nullptr));
      for (int j = 0; j < nb; ++j) {
        auto p = Softmax(logits.data() + size_t(j) * classes, classes);
        *kl += Kl(clean[k0 + j], p);
        *flips += int(std::max_element(p.begin(), p.end()) - p.begin()) != clean_top[k0 + j];
      }
    }
    return Status::Ok();
  };

  // 3. Sensitivity: each candidate alone in its layer, on the sensitivity images.
  for (auto& L : layers) {
    for (size_t ci = 1; ci < L.cands.size(); ++ci) {
      CodecConfig cfg = lossless;
      cfg.per_layer[L.name] = L.cands[ci].params;
      pool->set_codec(cfg);
      double kl = 0;
      int flips = 0;
      DCTCM_RETURN_IF_ERROR(score(n_sens, &kl, &flips));
      L.cands[ci].kl = kl / n_sens;
      L.cands[ci].flips = flips;
    }
  }

  // 4. Choose per layer minimising cost + lambda * KL; the cost counts each
  //    map's traffic (one write + its reads) towards both ratio definitions.
  double raw_total = 0;
  for (auto& L : layers) raw_total += L.raw;
  const double nl = double(layers.size());
  auto cost = [&](const LayerInfo& L, const Candidate& c) {
    return c.bytes / raw_total + c.bytes / (L.raw * nl);
  };
  auto choose = [&](double lambda) {
    CodecConfig cfg = lossless;
    for (auto& L : layers) {
      int best = 0;
      double bv = cost(L, L.cands[0]);
      for (size_t ci = 1; ci < L.cands.size(); ++ci) {
        double v = cost(L, L.cands[ci]) + lambda * L.cands[ci].kl;
        if (L.cands[ci].flips == 0 && v < bv) bv = v, best = int(ci);
      }
      L.choice = best;
      cfg.per_layer[L.name] = L.cands[best].params;
    }
    return cfg;
  };
  auto verify = [&](const CodecConfig& cfg, double* agree, double* kl) -> Status {
    pool->set_codec(cfg);
    const int n = int(inputs.size());
    int flips = 0;
    double k = 0;
    DCTCM_RETURN_IF_ERROR(score(n, &k, &flips));
    *agree = double(n - flips) / n;
    *kl = k / n;
    return Status::Ok();
  };
  // Estimated ratios of a choice (offline sizes on the map images).
  double raw_sum = raw_total;
  auto ratios = [&](double* total, double* mean) {
    double b = 0, m = 0;
    for (auto& L : layers) b += L.cands[L.choice].bytes, m += L.raw / L.cands[L.choice].bytes;
    *total = raw_sum / b;
    *mean = m / nl;
  };
  // Search lambda: a geometric sweep from aggressive to conservative, then
  // bisection between the last failing and the first passing value.
  CodecConfig best = lossless;
  double agree = 1, mkl = 0;
  auto passes = [&](double lambda, CodecConfig* cfg, double* a, double* k) -> Status {
    *cfg = choose(lambda);
    DCTCM_RETURN_IF_ERROR(verify(*cfg, a, k));
    if (opt.verbose) {
      double rt, rmn;
      ratios(&rt, &rmn);
      std::fprintf(stderr, "tune: lambda %.4g: agreement %.4f, mean KL %.5f, est. ratio %.3fx total %.3fx mean\n",
                   lambda, *a, *k, rt, rmn);
    }
    return Status::Ok();
  };
  double lo = 0, hi = -1;  // lo fails, hi passes
  for (double lambda = 0.05; lambda < 1e6; lambda *= 3) {
    CodecConfig cfg;
    double a, k;
    DCTCM_RETURN_IF_ERROR(passes(lambda, &cfg, &a, &k));
    if (a >= opt.min_agreement && k <= opt.max_mean_kl) {
      best = cfg, agree = a, mkl = k, hi = lambda;
      break;
    }
    lo = lambda;
  }
  for (int it = 0; hi > 0 && lo > 0 && it < 8; ++it) {
    double mid = std::sqrt(lo * hi);
    CodecConfig cfg;
    double a, k;
    DCTCM_RETURN_IF_ERROR(passes(mid, &cfg, &a, &k));
    if (a >= opt.min_agreement && k <= opt.max_mean_kl) best = cfg, agree = a, mkl = k, hi = mid;
    else lo = mid;
  }
  if (hi < 0) {
    best = choose(1e300);  // all lossless
    DCTCM_RETURN_IF_ERROR(verify(best, &agree, &mkl));
  } else {
    choose(hi);  // restore the per-layer choices of the kept configuration
  }

  // 5. Report.
  double sb = 0, sb0 = 0, rm = 0, rm0 = 0;
  for (auto& L : layers) {
    const Candidate& c = L.cands[L.choice];
    sb += c.bytes, sb0 += L.cands[0].bytes;
    rm += L.raw / c.bytes, rm0 += L.raw / L.cands[0].bytes;
    std::snprintf(line, sizeof line, "%-16s %-28s %9.0f B (lossless %9.0f B, raw %9.0f B) SNR %5.1f dB KL %.5f\n",
                  L.name.c_str(), c.label.c_str(), c.bytes, L.cands[0].bytes, L.raw,
                  c.snr_db, c.kl);
    out->log += line;
  }
  out->config = best;
  out->agreement = agree;
  out->mean_kl = mkl;
  out->verify_images = int(inputs.size());
  out->ratio_total = raw_total / sb;
  out->ratio_mean = rm / nl;
  out->lossless_ratio_total = raw_total / sb0;
  out->lossless_ratio_mean = rm0 / nl;
  int lossy = 0, no_transform = 0;
  for (auto& L : layers) {
    lossy += L.choice > 0;
    no_transform += L.choice > 0 && L.cands[L.choice].params.dct.L == 1;
  }
  std::snprintf(line, sizeof line,
                "%d of %zu maps lossy DCT-CM (%d with the channel DCT, %d with L=1: a step on the "
                "values); on %d calibration images: top-1 agreement with int8 "
                "%.2f%%, mean KL %.4f; estimated ratio total %.2fx mean %.2fx (lossless %.2fx / %.2fx)",
                lossy, layers.size(), lossy - no_transform, no_transform, out->verify_images,
                100 * agree, mkl, out->ratio_total,
                out->ratio_mean, out->lossless_ratio_total, out->lossless_ratio_mean);
  out->summary = line;
  pool->set_codec(best);
  return Status::Ok();
}

}  // namespace dctcm

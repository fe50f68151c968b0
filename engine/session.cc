#include "engine/session.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace dctcm {
namespace fs = std::filesystem;

std::string CacheDir() {
  if (const char* d = std::getenv("DCTCM_CACHE"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::string(x) + "/dctcm";
  const char* h = std::getenv("HOME");
  return std::string(h && *h ? h : ".") + "/.cache/dctcm";
}
std::string DefaultWeightsPath() { return CacheDir() + "/resnet50.dctw"; }
std::string DefaultCalibrationPath() { return CacheDir() + "/calibration.json"; }
std::string DefaultPhotosDir() { return CacheDir() + "/photos"; }

std::vector<std::string> DefaultPhotos() {
  std::vector<std::string> v;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(DefaultPhotosDir(), ec)) {
    auto ext = e.path().extension().string();
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg") v.push_back(e.path().string());
  }
  std::sort(v.begin(), v.end());
  return v;
}

Status Session::Open(const SessionOptions& opt) {
  opt_ = opt;
  if (opt_.weights.empty()) opt_.weights = DefaultWeightsPath();
  if (opt_.threads > 0) omp_set_num_threads(opt_.threads);
  DCTCM_RETURN_IF_ERROR(LoadModel(opt_.weights, &model_));
  if (opt_.preprocess.crop != model_.in_h || model_.in_h != model_.in_w)
    return UsageError("crop " + std::to_string(opt_.preprocess.crop) +
                      " does not match the network input " +
                      std::to_string(model_.in_h));
  for (int i = 0; i < 3; ++i) opt_.preprocess.mean_bgr[i] = model_.mean[i];
  if (opt_.precision == Precision::kInt8) {
    if (opt_.calibration.empty()) opt_.calibration = DefaultCalibrationPath();
    DCTCM_RETURN_IF_ERROR(
        ReadCalibration(opt_.calibration, model_.weights_hash, &calib_));
  }
  if (opt_.codec != "none" && !opt_.store) {
    if (opt_.precision != Precision::kInt8)
      return UsageError("--codec " + opt_.codec + " needs --mode int8 (the pool holds 8-bit maps)");
    PoolOptions po;
    po.capacity = opt_.pool_bytes;
    if (!codec::ParseMode(opt_.codec, &po.codec.mode))
      return UsageError("--codec: expected none, raw, zvc, rle, csc, pzvc or dctcm, found '" +
                        opt_.codec + "'");
    if (po.codec.mode == codec::Mode::kDctcm && opt_.use_tuning && !calib_.codec_json.empty())
      DCTCM_RETURN_IF_ERROR(ParseTuning(calib_.codec_json, opt_.calibration, &po.codec));
    pool_ = std::make_unique<CompressedPool>(po);
  }
  return Status::Ok();
}

Network* Session::network(int batch) {
  auto it = nets_.find(batch);
  return it == nets_.end() ? nullptr : it->second.get();
}

Status Session::Prepare(int n, Network** out) {
  auto& net = nets_[n];
  if (!net) {
    net = std::make_unique<Network>();
    NetworkConfig cfg;
    cfg.precision = opt_.precision;
    cfg.batch = n;
    cfg.calibration = opt_.precision == Precision::kInt8 ? &calib_ : nullptr;
    cfg.store = opt_.store ? opt_.store : pool_.get();
    cfg.time_layers = opt_.time_layers;
    Status st = net->Init(model_, cfg);
    if (!st.ok()) {
      nets_.erase(n);
      return st;
    }
  }
  *out = net.get();
  return Status::Ok();
}

Status Session::Run(const std::vector<float>& inputs, int n,
                    std::vector<float>* logits, std::vector<float>* probs) {
  if (inputs.size() < input_size() * n)
    return Error("internal: input buffer too small for batch");
  Network* net = nullptr;
  DCTCM_RETURN_IF_ERROR(Prepare(n, &net));
  return net->Run(inputs.data(), logits, probs);
}

Status TopOneAgreement(const ValidationResult& r, const std::string& csv,
                       double* agreement, int* n) {
  std::ifstream f(csv);
  if (!f) return UsageError(csv + ": cannot open predictions file");
  std::map<std::string, int> other;
  std::string line;
  int lineno = 0;
  while (std::getline(f, line)) {
    if (++lineno == 1) continue;  // header
    size_t c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos || c3 == std::string::npos)
      return Error(csv + ":" + std::to_string(lineno) + ": expected file,label,top1,...");
    other[line.substr(0, c1)] = std::atoi(line.substr(c2 + 1, c3 - c2 - 1).c_str());
  }
  int both = 0, same = 0;
  for (const auto& p : r.predictions) {
    if (p.failed || p.top5.empty()) continue;
    auto it = other.find(p.file);
    if (it == other.end()) continue;
    ++both;
    same += it->second == p.top5[0];
  }
  if (both == 0) return Error(csv + ": no image in common with this run");
  *agreement = double(same) / both;
  *n = both;
  return Status::Ok();
}

Status Validate(Session* s, const std::vector<DatasetItem>& items,
                const ValidationOptions& opt, ValidationResult* r) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  auto last_report = start;
  const size_t isz = s->input_size();
  const int classes = s->model().ops.back().out_c;
  r->predictions.assign(items.size(), Prediction{});
  std::vector<float> batch_in(isz * opt.batch), logits, probs;
  std::vector<size_t> batch_idx;
  size_t done = 0;

  auto flush = [&]() -> Status {
    if (batch_idx.empty()) return Status::Ok();
    const int n = static_cast<int>(batch_idx.size());
    DCTCM_RETURN_IF_ERROR(s->Run(batch_in, n, &logits, &probs));
    for (int b = 0; b < n; ++b) {
      Prediction& p = r->predictions[batch_idx[b]];
      const float* pr = probs.data() + size_t(b) * classes;
      p.top5 = TopK(pr, classes, std::max(5, opt.top_k));
      for (int k : p.top5) p.top5_prob.push_back(pr[k]);
      ++r->n;
      if (p.label >= 0) {
        if (p.top5[0] == p.label) ++r->top1;
        if (std::find(p.top5.begin(), p.top5.begin() + std::min<size_t>(5, p.top5.size()), p.label) != p.top5.begin() + std::min<size_t>(5, p.top5.size())) ++r->top5;
      }
    }
    batch_idx.clear();
    return Status::Ok();
  };

  for (size_t i = 0; i < items.size(); ++i) {
    Prediction& p = r->predictions[i];
    p.file = items[i].file;
    p.label = items[i].label;
    std::vector<float> in;
    Status st = LoadInput(items[i].path, s->options().preprocess,
                          s->options().limits, &in);
    if (!st.ok()) {
      p.failed = true;
      p.error = st.message();
      ++r->n_failed;
      std::fprintf(stderr, "error: %s\n", st.message().c_str());
    } else {
      std::copy(in.begin(), in.end(), batch_in.begin() + isz * batch_idx.size());
      batch_idx.push_back(i);
      if (static_cast<int>(batch_idx.size()) == opt.batch) DCTCM_RETURN_IF_ERROR(flush());
    }
    ++done;
    auto now = clock::now();
    double since = std::chrono::duration<double>(now - last_report).count();
    if (opt.progress_seconds > 0 && (since >= opt.progress_seconds || done == items.size())) {
      last_report = now;
      double el = std::chrono::duration<double>(now - start).count();
      double rate = done / std::max(el, 1e-9);
      std::fprintf(stderr,
                   "[%zu/%zu] %.1f img/s, ETA %.0f s, Acc@1 %.3f Acc@5 %.3f\n",
                   done, items.size(), rate, (items.size() - done) / std::max(rate, 1e-9),
                   r->n ? 100.0 * r->top1 / r->n : 0.0,
                   r->n ? 100.0 * r->top5 / r->n : 0.0);
    }
  }
  DCTCM_RETURN_IF_ERROR(flush());
  r->seconds = std::chrono::duration<double>(clock::now() - start).count();
  return Status::Ok();
}

}  // namespace dctcm

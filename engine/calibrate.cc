#include "engine/calibrate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dctcm {
namespace {

// Histogram of |x| over [0, range); the range doubles (merging bin pairs)
// whenever a larger value arrives, so one pass suffices.
class AbsHistogram {
 public:
  static constexpr int kBins = 8192;
  void Add(const float* x, size_t n) {
    float mx = 0;
    for (size_t i = 0; i < n; ++i) mx = std::max(mx, std::fabs(x[i]));
    max_ = std::max(max_, mx);
    if (mx == 0) {
      bins_[0] += n;
      return;
    }
    if (range_ == 0) range_ = mx * 1.0001f;
    while (mx >= range_) Grow();
    const float k = kBins / range_;
    for (size_t i = 0; i < n; ++i)
      ++bins_[std::min(kBins - 1, static_cast<int>(std::fabs(x[i]) * k))];
  }
  float max() const { return max_; }
  float Percentile(double p) const {
    double total = 0;
    for (double b : bins_) total += b;
    double want = total * p / 100.0, acc = 0;
    for (int i = 0; i < kBins; ++i) {
      acc += bins_[i];
      if (acc >= want) return std::min(max_, (i + 1) * range_ / kBins);
    }
    return max_;
  }
  // Clip threshold minimising the expected squared quantisation error with
  // `levels` steps over [0, t] (values above t are clipped).
  float MinMse(int levels) const {
    if (max_ == 0) return 0;
    float best_t = max_;
    double best = 1e300;
    const float w = range_ / kBins;
    for (int c = 16; c <= 256; ++c) {
      float t = max_ * c / 256.f;
      float step = t / levels;
      double err = 0;
      for (int i = 0; i < kBins; ++i) {
        if (!bins_[i]) continue;
        float v = (i + 0.5f) * w;
        double e = v > t ? double(v - t) * (v - t) + step * step / 12.0
                         : step * step / 12.0;
        err += bins_[i] * e;
      }
      if (err < best) best = err, best_t = t;
    }
    return best_t;
  }

 private:
  void Grow() {
    for (int i = 0; i < kBins / 2; ++i) bins_[i] = bins_[2 * i] + bins_[2 * i + 1];
    std::fill(bins_.begin() + kBins / 2, bins_.end(), 0.0);
    range_ *= 2;
  }
  std::vector<double> bins_ = std::vector<double>(kBins, 0.0);
  float range_ = 0, max_ = 0;
};

}  // namespace

Status CalibrateScales(Session* s, const std::vector<DatasetItem>& items,
                       const CalibrateOptions& opt, Calibration* out, int* used) {
  if (s->options().precision != Precision::kFp32)
    return Error("calibration runs the fp32 network");
  if (opt.method != "max" && opt.method != "percentile" && opt.method != "mse")
    return UsageError("--method: expected max, percentile or mse, found '" + opt.method + "'");
  const Model& m = s->model();
  const int n_ops = static_cast<int>(m.ops.size());
  std::vector<AbsHistogram> hist(n_ops + 1);  // last: the input
  std::vector<float> in;
  std::vector<float> batch_in(s->input_size() * opt.batch), logits;
  int n = 0, pending = 0;
  auto run = [&]() -> Status {
    if (!pending) return Status::Ok();
    Network* net = nullptr;
    DCTCM_RETURN_IF_ERROR(s->Prepare(pending, &net));
    net->fp32_observer = [&](int op, const float* d, size_t c) { hist[op].Add(d, c); };
    DCTCM_RETURN_IF_ERROR(s->Run(batch_in, pending, &logits, nullptr));
    hist[n_ops].Add(batch_in.data(), s->input_size() * pending);
    n += pending;
    pending = 0;
    return Status::Ok();
  };
  for (size_t i = 0; i < items.size(); ++i) {
    Status st = LoadInput(items[i].path, s->options().preprocess, s->options().limits, &in);
    if (!st.ok()) {
      std::fprintf(stderr, "error: %s (skipped)\n", st.message().c_str());
      continue;
    }
    std::copy(in.begin(), in.end(), batch_in.begin() + s->input_size() * pending);
    if (++pending == opt.batch) DCTCM_RETURN_IF_ERROR(run());
    if (opt.progress_seconds > 0 && (i + 1) % 25 == 0)
      std::fprintf(stderr, "[%zu/%zu] calibrating\n", i + 1, items.size());
  }
  DCTCM_RETURN_IF_ERROR(run());
  if (n == 0) return Error("calibration: no image could be read");
  auto scale = [&](const AbsHistogram& h, int levels) {
    float t = h.max();
    if (opt.method == "percentile") t = h.Percentile(opt.percentile);
    else if (opt.method == "mse") t = h.MinMse(levels);
    return t > 0 ? t / levels : 1.f;
  };
  out->method = opt.method;
  out->images = n;
  out->weights_hash = m.weights_hash;
  out->scales.clear();
  out->scales["input"] = scale(hist[n_ops], 127);
  for (int i = 0; i < n_ops; ++i) {
    const OpDesc& op = m.ops[i];
    // Max pools keep their input's scale; the global pool gets its own
    // (uint8: its input is post-ReLU); the classifier's logits stay fp32.
    if (op.kind == OpDesc::kConv) out->scales[op.name] = scale(hist[i], op.relu ? 255 : 127);
    if (op.kind == OpDesc::kGap) {
      const OpDesc& in = m.ops[op.src_index];
      out->scales[op.name] = scale(hist[i], in.kind == OpDesc::kConv && !in.relu ? 127 : 255);
    }
  }
  *used = n;
  return Status::Ok();
}

}  // namespace dctcm

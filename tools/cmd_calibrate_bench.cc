// dctcm calibrate and dctcm bench.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <cmath>
#include <omp.h>

#include "engine/calibrate.h"
#include "tools/commands.h"

namespace dctcm {
namespace {

using nlohmann::json;

}  // namespace

int CmdCalibrate(int argc, char** argv) {
  auto spec = With(SessionFlags(),
                   {{"data", true, "image folder (as for validate)"},
                    {"labels", true, "FILENAME LABEL list (default: DIR/val.txt if present)"},
                    {"count", true, "images to use: the first N of the list (default 100)"},
                    {"method", true, "max | percentile | mse (default max)"},
                    {"percentile", true, "percentile for --method percentile (default 99.999)"},
                    {"out", true, "calibration file to write (default: the cache's calibration.json)"}});
  Args a;
  Status st = a.Parse(argc, argv, spec);
  if (ShowHelp(a, "dctcm calibrate (--data DIR [--labels F] | IMAGE ...) [options]",
                 "Runs the fp32 network on N images and writes the int8 activation\n"
                 "scales (docs/CALIBRATION.md), tied to the weight file's hash.",
                 spec)) return 0;
  int count = 100, batch = 1;
  CalibrateOptions co;
  if (st.ok()) st = a.Int("count", 100, &count);
  if (st.ok()) st = a.Int("batch", 1, &batch);
  if (st.ok()) st = a.Double("percentile", 99.999, &co.percentile);
  if (st.ok() && (count < 1 || batch < 1)) st = UsageError("--count and --batch must be >= 1");
  if (st.ok() && !a.has("data") && a.positional().empty())
    st = UsageError("calibrate needs --data DIR or image files");
  if (st.ok() && a.has("mode") && a.str("mode") != "fp32")
    st = UsageError("calibrate always runs the fp32 network; drop --mode");
  if (!st.ok()) return Fail(st);
  co.method = a.str("method", "max");
  co.batch = batch;
  std::vector<DatasetItem> items;
  std::string source;
  if (a.has("data")) {
    st = ListDataset(a.str("data"), a.str("labels"), 0, count, &items);
    if (!st.ok()) return Fail(st);
    source = a.str("data") + (a.has("labels") ? " (" + a.str("labels") + ")" : "") +
             ", first " + std::to_string(items.size());
  } else {
    for (auto& f : a.positional()) items.push_back({f, f, -1});
    if (static_cast<int>(items.size()) > count) items.resize(count);
    source = std::to_string(items.size()) + " image files";
  }
  // The fp32 session: same options but fp32.
  Session s;
  SessionOptions o;
  o.weights = a.str("weights");
  o.precision = Precision::kFp32;
  st = a.Int("threads", 0, &o.threads);
  if (st.ok()) st = a.Int("resize", 256, &o.preprocess.resize);
  if (st.ok()) st = a.Int("crop", 224, &o.preprocess.crop);
  if (st.ok()) st = s.Open(o);
  if (!st.ok()) return Fail(st);
  Calibration c;
  int used = 0;
  st = CalibrateScales(&s, items, co, &c, &used);
  if (!st.ok()) return Fail(st);
  c.source = source;
  std::string out = a.str("out", DefaultCalibrationPath());
  st = WriteCalibration(out, c);
  if (!st.ok()) return Fail(st);
  std::printf("wrote %s: %zu scales, method %s, %d images (%s)\n", out.c_str(),
              c.scales.size(), c.method.c_str(), used, source.c_str());
  return used < static_cast<int>(items.size()) ? 4 : 0;
}

int CmdBench(int argc, char** argv) {
  auto spec = With(SessionFlags(),
                   {{"iters", true, "timed iterations (default 50)"},
                    {"time", true, "run for S seconds instead of --iters"},
                    {"warmup", true, "untimed iterations after the first (default 5)"},
                    {"image", true, "input image (default: the first sample photo; random if none)"},
                    {"layers", false, "print a per-layer time table"},
                    {"json", true, "write the results as JSON to FILE"},
                    {"report-format", true, "table | csv | json: format of the report on stdout or --report-file"},
                    {"report-file", true, "write the report (in --report-format) to FILE"}});
  Args a;
  Status st = a.Parse(argc, argv, spec);
  if (ShowHelp(a, "dctcm bench [options]",
                 "Latency (first inference apart, warm-up excluded) and throughput.",
                 spec)) return 0;
  int iters = 50, warmup = 5, batch = 1, threads = 0;
  double seconds = 0;
  if (st.ok()) st = a.Int("iters", 50, &iters);
  if (st.ok()) st = a.Int("warmup", 5, &warmup);
  if (st.ok()) st = a.Int("batch", 1, &batch);
  if (st.ok()) st = a.Int("threads", 0, &threads);
  if (st.ok()) st = a.Double("time", 0, &seconds);
  if (st.ok() && (iters < 1 || batch < 1 || warmup < 0)) st = UsageError("--iters/--batch must be >= 1");
  if (!st.ok()) return Fail(st);
  const bool layers = a.has("layers");
  Session s;
  st = OpenSession(a, &s, nullptr, layers);
  if (!st.ok()) return Fail(st);

  std::vector<float> one;
  std::string image = a.str("image");
  if (image.empty()) {
    auto photos = DefaultPhotos();
    if (!photos.empty()) image = photos[0];
  }
  if (!image.empty()) {
    st = LoadInput(image, s.options().preprocess, s.options().limits, &one);
    if (!st.ok()) return Fail(st);
  } else {
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.f, 60.f);
    one.resize(s.input_size());
    for (auto& v : one) v = nd(rng);
    image = "random";
  }
  std::vector<float> input(s.input_size() * batch), logits;
  for (int b = 0; b < batch; ++b) std::copy(one.begin(), one.end(), input.begin() + b * one.size());

  const std::string mode = PrecisionName(s.options().precision);
  std::printf("bench: batch %d, threads %d, isa %s, input %s\n  %s\n", batch,
              threads > 0 ? threads : omp_get_max_threads(), CpuIsaName().c_str(),
              image.c_str(), DescribeSession(s).c_str());
  using clock = std::chrono::steady_clock;
  auto ms_since = [](clock::time_point t) {
    return std::chrono::duration<double, std::milli>(clock::now() - t).count();
  };
  auto t0 = clock::now();
  st = s.Run(input, batch, &logits, nullptr);  // includes network creation
  if (!st.ok()) return Fail(st);
  const double first_ms = ms_since(t0);
  for (int i = 0; i < warmup; ++i) {
    st = s.Run(input, batch, &logits, nullptr);
    if (!st.ok()) return Fail(st);
  }
  Network* net = s.network(batch);
  std::vector<LayerTime> acc(net->model().ops.size());
  std::vector<double> lat;
  auto start = clock::now();
  for (int i = 0; seconds > 0 ? ms_since(start) < seconds * 1000 : i < iters; ++i) {
    if (layers) const_cast<std::vector<LayerTime>&>(net->layer_times()).assign(acc.size(), LayerTime{});
    auto t = clock::now();
    st = s.Run(input, batch, &logits, nullptr);
    if (!st.ok()) return Fail(st);
    lat.push_back(ms_since(t));
    if (layers)
      for (size_t k = 0; k < acc.size(); ++k) {
        acc[k].ms += net->layer_times()[k].ms;
        acc[k].load_ms += net->layer_times()[k].load_ms;
        acc[k].store_ms += net->layer_times()[k].store_ms;
      }
  }
  const double total_ms = ms_since(start);
  std::vector<double> sorted = lat;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) {
    size_t k = static_cast<size_t>(std::ceil(p / 100.0 * sorted.size())) ;
    return sorted[std::min(sorted.size() - 1, k ? k - 1 : 0)];
  };
  const double med = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                       : 0.5 * (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]);
  const double ips = lat.size() * batch / (total_ms / 1000.0);
  std::printf("first inference: %.2f ms (includes primitive creation and weight reorder)\n", first_ms);
  std::printf("iterations: %zu (after %d warm-up)\n", lat.size(), warmup);
  std::printf("latency ms: min %.3f  median %.3f  p90 %.3f  max %.3f\n", sorted.front(), med,
              pct(90), sorted.back());
  std::printf("throughput: %.1f images/s\n", ips);
  json j = {{"mode", mode}, {"codec", s.options().codec}, {"batch", batch},
            {"threads", threads > 0 ? threads : omp_get_max_threads()},
            {"isa", CpuIsaName()}, {"iters", lat.size()}, {"warmup", warmup},
            {"first_ms", first_ms},
            {"latency_ms", {{"min", sorted.front()}, {"median", med}, {"p90", pct(90)},
                            {"max", sorted.back()}}},
            {"images_per_s", ips}, {"input", image},
            {"weights_hash", HashHex(s.model().weights_hash)}};
  if (layers) {
    const double n = lat.size();
    double total = 0, conv = 0;
    for (auto& t : acc) total += (t.ms + t.load_ms + t.store_ms) / n;
    std::printf("\n%-20s %-8s %-16s %10s %10s %10s %7s\n", "layer", "op", "out shape (HxWxC)",
                "compute ms", "load ms", "store ms", "% total");
    json jl = json::array();
    for (size_t k = 0; k < acc.size(); ++k) {
      const OpDesc& op = net->model().ops[k];
      const char* kind = op.kind == OpDesc::kConv ? "conv" : op.kind == OpDesc::kMaxPool ? "maxpool"
                         : op.kind == OpDesc::kGap ? "gap" : "fc";
      double c = acc[k].ms / n, l = acc[k].load_ms / n, w = acc[k].store_ms / n;
      if (op.kind == OpDesc::kConv) conv += c;
      char shape[48];
      std::snprintf(shape, sizeof shape, "%dx%dx%d", op.out_h, op.out_w, op.out_c);
      std::printf("%-20s %-8s %-16s %10.3f %10.3f %10.3f %6.1f%%\n", op.name.c_str(), kind, shape,
                  c, l, w, 100.0 * (c + l + w) / total);
      jl.push_back({{"name", op.name}, {"op", kind}, {"shape", {op.out_h, op.out_w, op.out_c}},
                    {"ms", c}, {"load_ms", l}, {"store_ms", w}, {"percent", 100.0 * (c + l + w) / total}});
    }
    std::printf("%-20s %-8s %-16s %10.3f\n", "SUM", "", "", total);
    std::printf("sum of the %zu convolution times: %.3f ms; median latency / conv sum = %.2f\n",
                static_cast<size_t>(std::count_if(net->model().ops.begin(), net->model().ops.end(),
                                                  [](const OpDesc& o) { return o.kind == OpDesc::kConv; })),
                conv, med / conv);
    j["layers"] = jl;
    j["conv_ms_sum"] = conv;
    j["layers_ms_sum"] = total;
  }
  j["schema_version"] = 1;
  j["kind"] = "bench";
  j["config"] = ConfigJson(s, batch);
  if (a.has("json")) {
    st = WriteJsonFile(a.str("json"), j);
    if (!st.ok()) return Fail(st);
  }
  const std::string fmt = a.str("report-format", "table");
  if (fmt == "json" || fmt == "csv" || a.has("report-file")) {
    std::string text;
    if (fmt == "json") {
      text = j.dump(1) + "\n";
    } else if (fmt == "csv") {
      char line[512];
      std::snprintf(line, sizeof line,
                    "mode,codec,batch,threads,isa,iters,first_ms,min_ms,median_ms,p90_ms,max_ms,"
                    "images_per_s\n%s,%s,%d,%d,%s,%zu,%.3f,%.3f,%.3f,%.3f,%.3f,%.2f\n",
                    mode.c_str(), s.options().codec.c_str(), batch,
                    threads > 0 ? threads : omp_get_max_threads(), CpuIsaName().c_str(), lat.size(),
                    first_ms, sorted.front(), med, pct(90), sorted.back(), ips);
      text = line;
    } else if (fmt == "table") {
      char line[256];
      std::snprintf(line, sizeof line, "latency ms: min %.3f  median %.3f  p90 %.3f  max %.3f; %.1f images/s\n",
                    sorted.front(), med, pct(90), sorted.back(), ips);
      text = line;
    } else {
      return Fail(UsageError("--report-format: expected table, csv or json, found '" + fmt + "'"));
    }
    st = WriteReport(a.str("report-file"), text);
    if (!st.ok()) return Fail(st);
  }
  return 0;
}

}  // namespace dctcm

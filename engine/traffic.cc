#include "engine/traffic.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace dctcm {

const char* const kTrafficModel =
    "traffic model: each feature map is written once and read once per consumer; weights "
    "(int8 + int32 bias + fp32 scales) are read once per image per layer; the input image is "
    "read once (int8, uncompressed); no on-chip reuse across layers, except that the global "
    "average pool and the classifier run fused (the pooled vector is not a DRAM map)";

TrafficReport BuildTrafficReport(const Network& net, const CompressedPool& pool, int images) {
  return BuildTrafficReport(net.model(), pool.counters(), codec::ModeName(pool.options().codec.mode),
                            pool.options().codec.tuning, double(pool.peak_bytes()), images);
}

nlohmann::json CountersToJson(const std::vector<MapCounters>& c) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& x : c)
    a.push_back({x.ofmap_raw, x.ofmap_comp, x.ofmap_payload, x.ofmap_meta, x.ofmap_zeros,
                 x.ifmap_raw, x.ifmap_comp, x.tiles[0], x.tiles[1], x.tiles[2],
                 x.occupancy_after, x.stores, x.loads, x.mode, x.dct_L});
  return a;
}

Status CountersFromJson(const nlohmann::json& j, std::vector<MapCounters>* c) {
  c->clear();
  try {
    for (const auto& e : j) {
      if (e.size() != 15) return Error("per-layer counters: 15 numbers expected");
      MapCounters x;
      uint64_t* f[15] = {&x.ofmap_raw, &x.ofmap_comp, &x.ofmap_payload, &x.ofmap_meta,
                         &x.ofmap_zeros, &x.ifmap_raw, &x.ifmap_comp, &x.tiles[0], &x.tiles[1],
                         &x.tiles[2], &x.occupancy_after, &x.stores, &x.loads, &x.mode, &x.dct_L};
      for (int i = 0; i < 15; ++i) *f[i] = e.at(i).get<uint64_t>();
      if (x.mode >= codec::kNumModes) return Error("per-layer counters: bad codec mode");
      c->push_back(x);
    }
  } catch (const std::exception& e) {
    return Error(std::string("per-layer counters: ") + e.what());
  }
  return Status::Ok();
}

TrafficReport BuildTrafficReport(const Model& m, const std::vector<MapCounters>& cnt,
                                 const std::string& codec_name, const std::string& tuning,
                                 double peak_pool, int images) {
  TrafficReport r;
  r.codec = codec_name;
  r.tuning = tuning;
  r.images = images;
  const double n = std::max(1, images);
  double ratio_sum = 0;
  for (size_t i = 0; i < m.ops.size(); ++i) {
    const OpDesc& op = m.ops[i];
    TrafficRow row;
    row.name = op.name;
    row.op = op.kind == OpDesc::kConv ? "conv" : op.kind == OpDesc::kMaxPool ? "maxpool"
             : op.kind == OpDesc::kGap ? "gap" : "fc";
    row.in_h = op.in_h, row.in_w = op.in_w, row.in_c = op.in_c;
    row.out_h = op.out_h, row.out_w = op.out_w, row.out_c = op.out_c;
    if (op.kind == OpDesc::kConv) {
      row.macs = double(op.out_h) * op.out_w * op.out_c * op.kh * op.kw * op.in_c;
      row.weight_bytes = double(op.kh) * op.kw * op.in_c * op.out_c + 8.0 * op.out_c;
    } else if (op.kind == OpDesc::kFc) {
      row.macs = double(op.in_c) * op.out_c;
      row.weight_bytes = double(op.in_c) * op.out_c + 8.0 * op.out_c;
    }
    if (op.src_index < 0) {  // the network input, read once
      row.ifmap_raw = row.ifmap_comp = double(op.in_h) * op.in_w * op.in_c;
    }
    if (i < cnt.size()) {
      const MapCounters& c = cnt[i];
      row.ifmap_raw += c.ifmap_raw / n;
      row.ifmap_comp += c.ifmap_comp / n;
      row.ofmap_raw = c.ofmap_raw / n;
      row.ofmap_comp = c.ofmap_comp / n;
      row.payload = c.ofmap_payload / n;
      row.meta = c.ofmap_meta / n;
      row.zero_frac = c.ofmap_raw ? double(c.ofmap_zeros) / c.ofmap_raw : 0;
      row.peak_pool = c.occupancy_after;
      uint64_t t = c.tiles[0] + c.tiles[1] + c.tiles[2];
      if (t) {
        static const char* kinds[3] = {"raw", "coded", "pzvc"};
        int best = int(std::max_element(c.tiles, c.tiles + 3) - c.tiles);
        row.mode = best == 1 ? codec::ModeName(static_cast<codec::Mode>(c.mode)) : kinds[best];
        // DCT tiles name their group length: L1 = no transform (a step on
        // the values), L8/L16 = the channel DCT.
        if (best == 1 && c.mode == uint64_t(codec::Mode::kDctcm) && c.dct_L)
          row.mode += " L" + std::to_string(c.dct_L);
        if (c.tiles[best] != t) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%s %.0f%%", row.mode.c_str(), 100.0 * c.tiles[best] / t);
          row.mode = buf;
        }
      }
    }
    if (op.kind == OpDesc::kGap) row.ofmap_raw = row.ofmap_comp = 0;
    if (row.ofmap_comp > 0) {
      row.ratio = row.ofmap_raw / row.ofmap_comp;
      ratio_sum += row.ratio;
      ++r.maps;
    }
    auto& t = r.total;
    t.macs += row.macs, t.weight_bytes += row.weight_bytes;
    t.ifmap_raw += row.ifmap_raw, t.ifmap_comp += row.ifmap_comp;
    t.ofmap_raw += row.ofmap_raw, t.ofmap_comp += row.ofmap_comp;
    t.payload += row.payload, t.meta += row.meta;
    t.zero_frac += row.zero_frac * row.ofmap_raw;
    r.rows.push_back(row);
  }
  r.total.name = "TOTAL";
  r.total.zero_frac = r.total.ofmap_raw ? r.total.zero_frac / r.total.ofmap_raw : 0;
  r.ratio_total = r.total.ofmap_comp ? r.total.ofmap_raw / r.total.ofmap_comp : 0;
  r.total.ratio = r.ratio_total;
  r.ratio_mean = r.maps ? ratio_sum / r.maps : 0;
  r.peak_pool = peak_pool;
  r.total.peak_pool = r.peak_pool;
  return r;
}

static std::string Shape(int h, int w, int c) {
  return std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c);
}

std::string FormatTrafficTable(const TrafficReport& r) {
  std::string s;
  char buf[512];
  std::snprintf(buf, sizeof buf, "codec %s%s%s, %d image(s), per-image averages\n%s\n",
                r.codec.c_str(), r.tuning.empty() ? "" : ", tuning ", r.tuning.c_str(), r.images,
                kTrafficModel);
  s += buf;
  std::snprintf(buf, sizeof buf,
                "%-16s %-7s %-12s %9s %9s %10s %10s %10s %10s %8s %7s %6s %-10s %6s\n", "layer", "op",
                "out HxWxC", "MMACs", "wt KB", "ifmap KB", "ifmap KB", "ofmap KB", "ofmap KB",
                "meta KB", "zeros", "ratio", "mode", "peak");
  s += buf;
  std::snprintf(buf, sizeof buf,
                "%-16s %-7s %-12s %9s %9s %10s %10s %10s %10s %8s %7s %6s %-10s %6s\n", "", "", "",
                "", "", "raw", "comp", "raw", "comp", "", "(%)", "(x)", "", "(KB)");
  s += buf;
  auto line = [&](const TrafficRow& w, bool total) {
    std::snprintf(buf, sizeof buf,
                  "%-16s %-7s %-12s %9.1f %9.1f %10.1f %10.1f %10.1f %10.1f %8.2f %7.1f %6.2f %-10s %6.0f\n",
                  w.name.c_str(), w.op.c_str(),
                  total ? "" : Shape(w.out_h, w.out_w, w.out_c).c_str(), w.macs / 1e6,
                  w.weight_bytes / 1e3, w.ifmap_raw / 1e3, w.ifmap_comp / 1e3, w.ofmap_raw / 1e3,
                  w.ofmap_comp / 1e3, w.meta / 1e3, 100 * w.zero_frac, w.ratio, w.mode.c_str(),
                  w.peak_pool / 1e3);
    s += buf;
  };
  for (const auto& w : r.rows) line(w, false);
  line(r.total, true);
  std::snprintf(buf, sizeof buf,
                "maps stored per image: %d; compression ratio over them: total %.3fx (sum raw / sum "
                "compressed), mean %.3fx (mean of per-layer ratios)\n"
                "DRAM bytes per image: %.1f KB (weights %.1f KB + ifmap reads %.1f KB + ofmap writes "
                "%.1f KB); without compression %.1f KB; peak pool occupancy %.1f KB\n",
                r.maps, r.ratio_total, r.ratio_mean,
                (r.total.weight_bytes + r.total.ifmap_comp + r.total.ofmap_comp) / 1e3,
                r.total.weight_bytes / 1e3, r.total.ifmap_comp / 1e3, r.total.ofmap_comp / 1e3,
                (r.total.weight_bytes + r.total.ifmap_raw + r.total.ofmap_raw) / 1e3,
                r.peak_pool / 1e3);
  s += buf;
  if (r.top1 >= 0) {
    std::snprintf(buf, sizeof buf, "top-1 %.3f%%, top-5 %.3f%% (%d labelled images)\n",
                  100.0 * r.top1 / std::max(1, r.n), 100.0 * r.top5 / std::max(1, r.n), r.n);
    s += buf;
  }
  return s;
}

std::string FormatTrafficCsv(const TrafficReport& r) {
  std::string s =
      "codec,layer,op,out_h,out_w,out_c,macs,weight_bytes,ifmap_raw_bytes,ifmap_compressed_bytes,"
      "ofmap_raw_bytes,ofmap_compressed_bytes,payload_bytes,metadata_bytes,zero_fraction,ratio,"
      "mode,peak_pool_bytes\n";
  char buf[512];
  auto line = [&](const TrafficRow& w) {
    std::snprintf(buf, sizeof buf, "%s,%s,%s,%d,%d,%d,%.0f,%.0f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.5f,%.4f,%s,%.0f\n",
                  r.codec.c_str(), w.name.c_str(), w.op.c_str(), w.out_h, w.out_w, w.out_c, w.macs,
                  w.weight_bytes, w.ifmap_raw, w.ifmap_comp, w.ofmap_raw, w.ofmap_comp, w.payload,
                  w.meta, w.zero_frac, w.ratio, w.mode.c_str(), w.peak_pool);
    s += buf;
  };
  for (const auto& w : r.rows) line(w);
  line(r.total);
  return s;
}

nlohmann::json TrafficToJson(const TrafficReport& r) {
  using nlohmann::json;
  auto row = [](const TrafficRow& w) {
    return json{{"name", w.name}, {"op", w.op}, {"out_shape", {w.out_h, w.out_w, w.out_c}},
                {"in_shape", {w.in_h, w.in_w, w.in_c}}, {"macs", w.macs},
                {"weight_bytes", w.weight_bytes}, {"ifmap_raw_bytes", w.ifmap_raw},
                {"ifmap_compressed_bytes", w.ifmap_comp}, {"raw_bytes", w.ofmap_raw},
                {"compressed_bytes", w.ofmap_comp}, {"payload_bytes", w.payload},
                {"metadata_bytes", w.meta}, {"zero_fraction", w.zero_frac}, {"ratio", w.ratio},
                {"mode", w.mode}, {"peak_pool_bytes", w.peak_pool},
                {"dram_bytes", w.dram_bytes()}};
  };
  json layers = json::array();
  for (const auto& w : r.rows) layers.push_back(row(w));
  json total = row(r.total);
  total["ratio_total"] = r.ratio_total;
  total["ratio_mean"] = r.ratio_mean;
  total["maps"] = r.maps;
  json j = {{"codec", r.codec}, {"tuning", r.tuning}, {"images", r.images},
            {"traffic_model", kTrafficModel}, {"layers", layers}, {"total", total},
            {"peak_pool_bytes", r.peak_pool}};
  if (r.top1 >= 0) {
    j["top1"] = double(r.top1) / std::max(1, r.n);
    j["top5"] = double(r.top5) / std::max(1, r.n);
    j["n"] = r.n;
  }
  return j;
}

Status PlotTraffic(const std::vector<TrafficReport>& reports, const std::string& png) {
  if (reports.empty()) return Error("plot: nothing to draw");
  // Layers that store a map.
  std::vector<int> idx;
  for (size_t i = 0; i < reports[0].rows.size(); ++i)
    if (reports[0].rows[i].ofmap_raw > 0) idx.push_back(static_cast<int>(i));
  const int n = static_cast<int>(idx.size());
  const int left = 90, right = 80, top = 95, bottom = 150, colw = 22;
  const int W = std::max(left + right + n * colw, 900), H = 645;
  cv::Mat img(H, W, CV_8UC3, cv::Scalar(255, 255, 255));
  const int ph = H - top - bottom;
  double maxb = 1;
  for (int i : idx) maxb = std::max(maxb, reports[0].rows[i].ofmap_raw);
  const double lmin = 3, lmax = std::ceil(std::log10(maxb));  // 1 KB .. max
  auto ybytes = [&](double b) {
    double l = std::log10(std::max(b, 1000.0));
    return top + ph - int((l - lmin) / (lmax - lmin) * ph);
  };
  double maxr = 1;
  for (auto& r : reports)
    for (int i : idx) maxr = std::max(maxr, r.rows[i].ratio);
  maxr = std::ceil(maxr);
  auto yratio = [&](double x) { return top + ph - int(x / maxr * ph); };
  const cv::Scalar black(0, 0, 0), grey(200, 200, 200), raw_col(180, 180, 180);
  const cv::Scalar cols[] = {{200, 120, 40}, {40, 40, 200}, {40, 160, 40}, {160, 40, 160}, {20, 140, 200}, {120, 120, 0}};
  auto text = [&](const std::string& s, int x, int y, double sc = 0.45, cv::Scalar c = cv::Scalar(0, 0, 0)) {
    cv::putText(img, s, {x, y}, cv::FONT_HERSHEY_SIMPLEX, sc, c, 1, cv::LINE_AA);
  };
  for (int l = int(lmin); l <= int(lmax); ++l) {
    int y = ybytes(std::pow(10.0, l));
    cv::line(img, {left, y}, {W - right, y}, grey);
    const char* lab[] = {"1", "10", "100", "1 KB", "10 KB", "100 KB", "1 MB", "10 MB", "100 MB"};
    text(lab[std::min(l, 8)], 10, y + 4);
  }
  for (int k = 0; k <= int(maxr); ++k) text(std::to_string(k) + "x", W - right + 8, yratio(k) + 4);
  const int nb = static_cast<int>(reports.size()) + 1;
  const int bw = std::max(2, (colw - 4) / nb);
  for (int j = 0; j < n; ++j) {
    const int x0 = left + j * colw + 2;
    const TrafficRow& r0 = reports[0].rows[idx[j]];
    cv::rectangle(img, {x0, ybytes(r0.ofmap_raw)}, {x0 + bw - 1, top + ph}, raw_col, cv::FILLED);
    for (size_t k = 0; k < reports.size(); ++k) {
      const TrafficRow& r = reports[k].rows[idx[j]];
      int x = x0 + bw * int(k + 1);
      cv::rectangle(img, {x, ybytes(r.ofmap_comp)}, {x + bw - 1, top + ph}, cols[k % 6], cv::FILLED);
    }
    // Layer name, rotated: draw on a small canvas and rotate.
    cv::Mat lab(16, 140, CV_8UC3, cv::Scalar(255, 255, 255));
    cv::putText(lab, r0.name, {2, 12}, cv::FONT_HERSHEY_SIMPLEX, 0.38, black, 1, cv::LINE_AA);
    cv::Mat rot;
    cv::rotate(lab, rot, cv::ROTATE_90_COUNTERCLOCKWISE);
    int lx = left + j * colw + 3, ly = top + ph + 4;
    if (lx + rot.cols <= W && ly + rot.rows <= H) rot.copyTo(img(cv::Rect(lx, ly, rot.cols, rot.rows)));
  }
  for (size_t k = 0; k < reports.size(); ++k) {
    std::vector<cv::Point> pts;
    for (int j = 0; j < n; ++j)
      pts.push_back({left + j * colw + colw / 2, yratio(reports[k].rows[idx[j]].ratio)});
    cv::polylines(img, pts, false, cols[k % 6], 2, cv::LINE_AA);
    for (auto& p : pts) cv::circle(img, p, 3, cols[k % 6], cv::FILLED);
  }
  cv::rectangle(img, {left, top}, {W - right, top + ph}, black);
  text("Off-chip feature-map bytes per image, per layer (bars, log scale, left axis) and "
       "compression ratio (lines, right axis)", left, 25, 0.55);
  // Legend: wraps onto a second row when the codecs do not fit in one.
  int lx = left, ly = 50;
  text("grey: raw", lx, ly, 0.45, raw_col);
  lx += 90;
  for (size_t k = 0; k < reports.size(); ++k) {
    char b[160];
    std::snprintf(b, sizeof b, "%s: total %.2fx, mean %.2fx", reports[k].codec.c_str(),
                  reports[k].ratio_total, reports[k].ratio_mean);
    if (lx + 250 > W) lx = left, ly += 20;
    text(b, lx, ly, 0.45, cols[k % 6]);
    lx += 260;
  }
  text("bytes", 10, top - 8);
  text("ratio", W - right + 8, top - 8);
  try {
    if (!cv::imwrite(png, img)) return Error(png + ": cannot write PNG");
  } catch (const cv::Exception& e) {
    return Error(png + ": " + e.what());
  }
  return Status::Ok();
}

}  // namespace dctcm

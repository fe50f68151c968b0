// dctcm traffic: off-chip bytes per layer through the compressed pool.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/traffic.h"
#include "engine/tune.h"
#include "tools/commands.h"

namespace dctcm {
namespace {

using nlohmann::json;

int Fail(const Status& st) {
  std::fprintf(stderr, "dctcm: error: %s\n", st.message().c_str());
  return st.exit_code() ? st.exit_code() : 1;
}

// Writes a map in the codec benchmark's .dmap format (kernels/codec/README.md):
// "DMAP", uint32 h, w, c, uint8 is_signed, 3 zero bytes, then the NHWC bytes.
void DumpMap(const std::string& dir, const MapInfo& m, const uint8_t* d) {
  std::ofstream f(dir + "/" + m.name + ".dmap", std::ios::binary);
  uint32_t hdr[3] = {uint32_t(m.n * m.h), uint32_t(m.w), uint32_t(m.c)};
  uint8_t sign[4] = {uint8_t(m.is_signed), 0, 0, 0};
  f.write("DMAP", 4);
  f.write(reinterpret_cast<const char*>(hdr), 12);
  f.write(reinterpret_cast<const char*>(sign), 4);
  f.write(reinterpret_cast<const char*>(d), m.bytes());
}

}  // namespace

Status ListInputs(const Args& a, std::vector<DatasetItem>* items, bool* labelled) {
  int skip = 0, limit = -1;
  DCTCM_RETURN_IF_ERROR(a.Int("skip", 0, &skip));
  DCTCM_RETURN_IF_ERROR(a.Int("limit", -1, &limit));
  *labelled = false;
  if (a.has("data")) {
    DCTCM_RETURN_IF_ERROR(ListDataset(a.str("data"), a.str("labels"), skip, limit, items));
    *labelled = !items->empty() && (*items)[0].label >= 0;
    return Status::Ok();
  }
  std::vector<std::string> files = a.positional();
  if (files.empty()) files = DefaultPhotos();
  if (files.empty())
    return UsageError("no image given and no default photos in " + DefaultPhotosDir() +
                      " (run tools/run.sh setup)");
  for (auto& f : files) items->push_back({f, f, -1});
  return Status::Ok();
}

int CmdTraffic(int argc, char** argv) {
  std::vector<FlagSpec> spec = SessionFlags();
  for (auto& f : std::vector<FlagSpec>{
           {"data", true, "image folder (as for validate); else IMAGE arguments or the sample photos"},
           {"labels", true, "FILENAME LABEL list (default: DIR/val.txt if present)"},
           {"skip", true, "skip the first N entries"},
           {"limit", true, "at most N entries"},
           {"csv", true, "write the per-layer table as CSV to FILE"},
           {"json", true, "write the report as JSON to FILE (docs/TRAFFIC.md)"},
           {"plot", true, "draw raw vs compressed bytes and the ratio per layer into F.png"},
           {"dump-maps", true, "write every stored map of the first image to DIR/*.dmap"},
           {"quiet", false, "no per-layer table on stdout (summary only)"}})
    spec.push_back(f);
  Args a;
  Status st = a.Parse(argc, argv, spec);
  if (a.help()) {
    std::printf("%s", FormatHelp("dctcm traffic [--codec C|all] [IMAGE ... | --data DIR ...] [options]",
                                 "Runs int8 inference with every feature map written to and read from\n"
                                 "the simulated DRAM pool through codec C, and reports off-chip bytes\n"
                                 "per layer, averaged over the images. --codec all: raw, zvc, rle, csc,\n"
                                 "pzvc and dctcm side by side.",
                                 spec).c_str());
    return 0;
  }
  int batch = 1;
  if (st.ok()) st = a.Int("batch", 1, &batch);
  if (st.ok() && batch < 1) st = UsageError("--batch must be >= 1");
  if (st.ok() && a.str("mode", "int8") != "int8") st = UsageError("traffic runs the int8 network");
  if (st.ok() && a.str("codec") == "none") st = UsageError("traffic needs a codec (not none)");
  std::vector<DatasetItem> items;
  bool labelled = false;
  if (st.ok()) st = ListInputs(a, &items, &labelled);
  if (!st.ok()) return Fail(st);
  std::vector<std::string> codecs;
  if (a.str("codec", "dctcm") == "all") codecs = {"raw", "zvc", "rle", "csc", "pzvc", "dctcm"};
  else codecs = {a.str("codec", "dctcm")};

  std::vector<TrafficReport> reports;
  int failed = 0;
  for (const std::string& c : codecs) {
    Args ac = a;
    Session s;
    st = OpenSessionWithCodec(a, c, &s);
    if (!st.ok()) return Fail(st);
    std::fprintf(stderr, "traffic: %zu images, %s\n", items.size(), DescribeSession(s).c_str());
    bool dumped = false;
    const std::string dump = a.str("dump-maps");
    if (!dump.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(dump, ec);
      Network* net = nullptr;
      st = s.Prepare(batch, &net);
      if (!st.ok()) return Fail(st);
      net->int8_observer = [&](const MapInfo& m, const uint8_t* d) {
        if (!dumped && net->last_consumer(m.op) >= 0) DumpMap(dump, m, d);
      };
    }
    ValidationOptions vo;
    vo.batch = batch;
    vo.progress_seconds = items.size() > 20 ? 10 : 0;
    ValidationResult r;
    s.pool()->ResetCounters();
    st = Validate(&s, items, vo, &r);
    if (!st.ok()) return Fail(st);
    dumped = true;
    failed = r.n_failed;
    Network* net = s.network(batch) ? s.network(batch) : s.network(1);
    if (!net) return Fail(Error("no image could be run"));
    TrafficReport rep = BuildTrafficReport(*net, *s.pool(), r.n);
    rep.calibration = s.calibration().path;
    if (labelled) rep.top1 = r.top1, rep.top5 = r.top5, rep.n = r.n;
    if (!a.has("quiet") && codecs.size() == 1) std::printf("%s", FormatTrafficTable(rep).c_str());
    reports.push_back(std::move(rep));
  }
  if (codecs.size() > 1) {
    // Side by side: per layer, compressed KB and ratio of each codec.
    std::printf("%s\nper image, %d image(s); KB = 1000 bytes\n%-16s %10s", kTrafficModel,
                reports[0].images, "layer", "raw KB");
    for (auto& r : reports) std::printf(" %9s KB %6s", r.codec.c_str(), "(x)");
    std::printf("\n");
    for (size_t i = 0; i < reports[0].rows.size(); ++i) {
      if (reports[0].rows[i].ofmap_raw <= 0) continue;
      std::printf("%-16s %10.1f", reports[0].rows[i].name.c_str(), reports[0].rows[i].ofmap_raw / 1e3);
      for (auto& r : reports) std::printf(" %12.1f %6.2f", r.rows[i].ofmap_comp / 1e3, r.rows[i].ratio);
      std::printf("\n");
    }
    std::printf("%-16s %10.1f", "TOTAL", reports[0].total.ofmap_raw / 1e3);
    for (auto& r : reports) std::printf(" %12.1f %6.2f", r.total.ofmap_comp / 1e3, r.ratio_total);
    std::printf("\n%-16s %10s", "mean ratio (x)", "");
    for (auto& r : reports) std::printf(" %12s %6.2f", "", r.ratio_mean);
    std::printf("\n");
    if (labelled) {
      std::printf("%-16s %10s", "top-1 (%)", "");
      for (auto& r : reports) std::printf(" %12s %6.2f", "", 100.0 * r.top1 / std::max(1, r.n));
      std::printf("\n");
    }
  } else if (a.has("quiet")) {
    const TrafficReport& r = reports[0];
    std::printf("codec %s: %d maps, ratio total %.3fx, mean %.3fx, %.1f KB raw -> %.1f KB per image",
                r.codec.c_str(), r.maps, r.ratio_total, r.ratio_mean, r.total.ofmap_raw / 1e3,
                r.total.ofmap_comp / 1e3);
    if (r.top1 >= 0) std::printf(", top-1 %.3f%% (%d images)", 100.0 * r.top1 / std::max(1, r.n), r.n);
    std::printf("\n");
  }
  if (a.has("json")) {
    json j;
    if (reports.size() == 1) {
      j = TrafficToJson(reports[0]);
    } else {
      j["codecs"] = json::object();
      for (auto& r : reports) j["codecs"][r.codec] = TrafficToJson(r);
      j["traffic_model"] = kTrafficModel;
    }
    std::ofstream f(a.str("json"));
    f << j.dump(1) << "\n";
    if (!f) return Fail(Error(a.str("json") + ": cannot write"));
  }
  if (a.has("csv")) {
    std::ofstream f(a.str("csv"));
    bool first = true;
    for (auto& r : reports) {
      std::string c = FormatTrafficCsv(r);
      f << (first ? c : c.substr(c.find('\n') + 1));
      first = false;
    }
    if (!f) return Fail(Error(a.str("csv") + ": cannot write"));
  }
  if (a.has("plot")) {
    st = PlotTraffic(reports, a.str("plot"));
    if (!st.ok()) return Fail(st);
  }
  return failed ? 4 : 0;
}

}  // namespace dctcm

namespace dctcm {

int CmdTune(int argc, char** argv) {
  std::vector<FlagSpec> spec = SessionFlags();
  for (auto& f : std::vector<FlagSpec>{
           {"data", true, "calibration image folder (as for calibrate); else IMAGE arguments"},
           {"labels", true, "FILENAME LABEL list (default: DIR/val.txt if present)"},
           {"count", true, "calibration images: the first N of the list (default 100)"},
           {"out", true, "calibration file to write with the tuning (default: overwrite --calib)"},
           {"agreement", true, "minimum top-1 agreement with int8 on the calibration images (default 0.99)"},
           {"max-kl", true, "maximum mean KL divergence from int8 (default 0.02)"},
           {"map-images", true, "images whose maps size the candidates (default 8)"},
           {"sens-images", true, "images that measure each candidate's effect (default 8)"},
           {"verbose", false, "print the search and the per-layer choices"}})
    spec.push_back(f);
  Args a;
  Status st = a.Parse(argc, argv, spec);
  if (a.help()) {
    std::printf("%s", FormatHelp("dctcm tune (--data DIR | IMAGE ...) [options]",
                                 "Chooses each feature map's DCT-CM parameters (or lossless packed\n"
                                 "zvc) on calibration images under an accuracy budget and stores them\n"
                                 "in the calibration file (docs/TUNING.md).",
                                 spec).c_str());
    return 0;
  }
  int count = 100;
  TuneOptions to;
  if (st.ok()) st = a.Int("count", 100, &count);
  if (st.ok()) st = a.Double("agreement", 0.99, &to.min_agreement);
  if (st.ok()) st = a.Double("max-kl", 0.02, &to.max_mean_kl);
  if (st.ok()) st = a.Int("map-images", 8, &to.map_images);
  if (st.ok()) st = a.Int("sens-images", 8, &to.sens_images);
  if (st.ok() && (count < 1 || to.map_images < 1 || to.sens_images < 1))
    st = UsageError("--count, --map-images and --sens-images must be >= 1");
  if (st.ok() && a.has("codec") && a.str("codec") != "dctcm") st = UsageError("tune tunes dctcm");
  to.verbose = a.has("verbose");
  std::vector<DatasetItem> items;
  bool labelled = false;
  if (st.ok()) {
    if (!a.has("data") && a.positional().empty()) st = UsageError("tune needs --data DIR or image files");
    else st = ListInputs(a, &items, &labelled);
  }
  if (st.ok() && a.has("data") && static_cast<int>(items.size()) > count) items.resize(count);
  if (!st.ok()) return Fail(st);
  Session s;
  st = OpenSessionWithCodec(a, "dctcm", &s);
  if (!st.ok()) return Fail(st);
  std::fprintf(stderr, "tune: %zu calibration images, %s\n", items.size(), DescribeSession(s).c_str());
  TuneResult r;
  st = TuneCodec(&s, items, to, &r);
  if (!st.ok()) return Fail(st);
  if (to.verbose) std::printf("%s", r.log.c_str());
  Calibration c = s.calibration();
  c.codec_json = TuningToJson(r.config, r.summary);
  const std::string out = a.str("out", c.path);
  st = WriteCalibration(out, c);
  if (!st.ok()) return Fail(st);
  std::printf("wrote %s: %s\n", out.c_str(), r.summary.c_str());
  return 0;
}

}  // namespace dctcm

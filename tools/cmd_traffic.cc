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

// The CSV of several reports: one header, then every report's rows.
std::string TrafficCsv(const std::vector<TrafficReport>& reports) {
  std::string text;
  for (const auto& r : reports) {
    std::string c = FormatTrafficCsv(r);
    text += text.empty() ? c : c.substr(c.find('\n') + 1);
  }
  return text;
}

json TrafficReportJson(const std::vector<TrafficReport>& reports, const json& config) {
  json j;
  if (reports.size() == 1) {
    j = TrafficToJson(reports[0]);
  } else {
    j["codecs"] = json::object();
    for (auto& r : reports) j["codecs"][r.codec] = TrafficToJson(r);
    j["traffic_model"] = kTrafficModel;
  }
  j["schema_version"] = 1;
  j["kind"] = "traffic";
  j["config"] = config;
  return j;
}

// Writes a map in the codec benchmarks' .dmap format (kernels/codec/dmap.h):
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
           {"quiet", false, "no per-layer table on stdout (summary only)"},
           {"report-format", true, "table | csv | json: format of the report on stdout or --report-file"},
           {"report-file", true, "write the report (in --report-format) to FILE instead of stdout"},
           {"shard", true, "k/N: run item i of the sorted list when i mod N == k; --json then writes "
                           "raw counts for dctcm merge (default: SLURM_ARRAY_TASK_ID/COUNT)"}})
    spec.push_back(f);
  Args a;
  Status st = a.Parse(argc, argv, spec);
  if (ShowHelp(a, "dctcm traffic [--codec C|all] [IMAGE ... | --data DIR ...] [options]",
                 "Runs int8 inference with every feature map written to and read from\n"
                 "the simulated DRAM pool through codec C, and reports off-chip bytes\n"
                 "per layer, averaged over the images. --codec all: raw, zvc, rle, csc,\n"
                 "pzvc and dctcm side by side.",
                 spec)) return 0;
  int batch = 1;
  if (st.ok()) st = a.Int("batch", 1, &batch);
  if (st.ok() && batch < 1) st = UsageError("--batch must be >= 1");
  if (st.ok() && a.str("mode", "int8") != "int8") st = UsageError("traffic runs the int8 network");
  if (st.ok() && a.str("codec") == "none") st = UsageError("traffic needs a codec (not none)");
  std::vector<DatasetItem> items;
  bool labelled = false;
  if (st.ok()) st = ListInputs(a, &items, &labelled);
  ShardSpec shard;
  if (st.ok()) st = ParseShard(a.str("shard"), &shard);
  const std::string fmt = a.str("report-format", "table");
  if (st.ok() && fmt != "table" && fmt != "csv" && fmt != "json")
    st = UsageError("--report-format: expected table, csv or json, found '" + fmt + "'");
  if (st.ok() && shard.active() && a.str("codec", "dctcm") == "all")
    st = UsageError("--shard runs one codec per job (not --codec all)");
  if (!st.ok()) return Fail(st);
  uint64_t list_hash = 0;
  size_t list_count = 0;
  SelectShard(shard, &items, &list_hash, &list_count);
  std::vector<std::string> codecs;
  if (a.str("codec", "dctcm") == "all") codecs = {"raw", "zvc", "rle", "csc", "pzvc", "dctcm"};
  else codecs = {a.str("codec", "dctcm")};
  json config;
  std::vector<json> shard_json;

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
    config = ConfigJson(s, batch);
    config["codec"] = a.str("codec", "dctcm");
    config["data"] = a.str("data"), config["labels"] = a.str("labels");
    config["skip"] = a.str("skip"), config["limit"] = a.str("limit");
    if (shard.active()) {
      shard_json.push_back({{"schema_version", 1}, {"kind", "traffic-shard"}, {"config", config},
                            {"shard", shard.index}, {"shards", shard.count},
                            {"list_hash", HashHex(list_hash)}, {"list_count", list_count},
                            {"codec", c}, {"tuning", s.pool()->options().codec.tuning},
                            {"counts", {{"images", r.n}, {"failed", r.n_failed},
                                        {"top1_hits", r.top1}, {"top5_hits", r.top5},
                                        {"labelled", labelled},
                                        {"peak_pool_bytes", s.pool()->peak_bytes()},
                                        {"layers", CountersToJson(s.pool()->counters())}}}});
    }
    TrafficReport rep = BuildTrafficReport(s.model(), s.pool()->counters(), c,
                                           s.pool()->options().codec.tuning,
                                           double(s.pool()->peak_bytes()), r.n);
    rep.calibration = s.calibration().path;
    if (labelled) rep.top1 = r.top1, rep.top5 = r.top5, rep.n = r.n;
    if (!a.has("quiet") && codecs.size() == 1 && fmt == "table" && !a.has("report-file"))
      std::printf("%s", FormatTrafficTable(rep).c_str());
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
  const json full = TrafficReportJson(reports, config);
  if (a.has("json")) {
    st = WriteJsonFile(a.str("json"), shard.active() ? shard_json[0] : full);
    if (!st.ok()) return Fail(st);
  }
  if (fmt != "table" || a.has("report-file")) {
    std::string text;
    if (fmt == "json") {
      text = full.dump(1) + "\n";
    } else if (fmt == "csv") {
      text = TrafficCsv(reports);
    } else {
      for (auto& r : reports) text += FormatTrafficTable(r);
    }
    st = WriteReport(a.str("report-file"), text);
    if (!st.ok()) return Fail(st);
  }
  if (a.has("csv")) {
    st = WriteReport(a.str("csv"), TrafficCsv(reports));
    if (!st.ok()) return Fail(st);
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
           {"agreement", true, "minimum top-1 agreement with int8 on the calibration images (default 0.98)"},
           {"max-kl", true, "maximum mean KL divergence from int8 (default 0.006)"},
           {"map-images", true, "images whose maps size the candidates (default 8)"},
           {"sens-images", true, "images that measure each candidate's effect (default 32)"},
           {"verbose", false, "print the search and the per-layer choices"}})
    spec.push_back(f);
  Args a;
  Status st = a.Parse(argc, argv, spec);
  if (ShowHelp(a, "dctcm tune (--data DIR | IMAGE ...) [options]",
                 "Chooses each feature map's DCT-CM parameters (or lossless packed\n"
                 "zvc) on calibration images under an accuracy budget and stores them\n"
                 "in the calibration file (docs/TUNING.md). --batch sets the images per\n"
                 "forward pass when scoring (default 8 here; the tuning does not depend on it).",
                 spec)) return 0;
  int count = 100;
  TuneOptions to;
  if (st.ok()) st = a.Int("count", 100, &count);
  if (st.ok()) st = a.Double("agreement", 0.98, &to.min_agreement);
  if (st.ok()) st = a.Double("max-kl", 0.006, &to.max_mean_kl);
  if (st.ok()) st = a.Int("map-images", 8, &to.map_images);
  if (st.ok()) st = a.Int("sens-images", 32, &to.sens_images);
  if (st.ok()) st = a.Int("batch", 8, &to.batch);
  if (st.ok() && (count < 1 || to.map_images < 1 || to.sens_images < 1 || to.batch < 1))
    st = UsageError("--count, --map-images, --sens-images and --batch must be >= 1");
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

namespace dctcm {

int CmdMerge(int argc, char** argv) {
  std::vector<FlagSpec> spec = {
      {"json", true, "write the merged report as JSON to FILE (same keys as a single run)"},
      {"csv", true, "traffic: write the merged per-layer table as CSV to FILE"},
      {"weights", true, "traffic: weight file for the layer shapes (default: the shards' weight file)"},
      {"quiet", false, "traffic: summary line only"}};
  Args a;
  Status st = a.Parse(argc, argv, spec);
  if (ShowHelp(a, "dctcm merge SHARD.json ... [options]",
                 "Sums the raw counts that `validate --shard k/N --json F` or\n"
                 "`traffic --shard k/N --json F` wrote, after checking that all N shards\n"
                 "are there once, with the same configuration and image list, and prints\n"
                 "what a single run over the whole list would.",
                 spec)) return 0;
  if (st.ok() && a.positional().empty()) st = UsageError("merge needs shard JSON files");
  if (!st.ok()) return Fail(st);
  std::vector<json> shards;
  for (const auto& f : a.positional()) {
    std::ifstream in(f);
    if (!in) return Fail(UsageError(f + ": cannot open shard file"));
    try {
      shards.push_back(json::parse(in));
    } catch (const std::exception& e) {
      return Fail(Error(f + ": not a JSON shard file: " + e.what()));
    }
  }
  auto comparable = [](json c) {
    c.erase("threads");
    c.erase("batch");
    return c;
  };
  std::string kind, list_hash;
  int count = -1;
  json config;
  std::vector<int> seen;
  try {
    for (size_t i = 0; i < shards.size(); ++i) {
      const json& s = shards[i];
      const std::string& f = a.positional()[i];
      std::string k = s.value("kind", "");
      if (k != "validate-shard" && k != "traffic-shard")
        return Fail(Error(f + ": not a shard file (kind '" + k + "')"));
      if (s.value("schema_version", 0) != 1) return Fail(Error(f + ": unsupported schema_version"));
      if (i == 0) {
        kind = k, list_hash = s.at("list_hash"), count = s.at("shards"), config = s.at("config");
        seen.assign(count, 0);
      }
      if (k != kind) return Fail(Error(f + ": mixes " + k + " with " + kind));
      if (s.at("list_hash") != list_hash)
        return Fail(Error(f + ": image list differs (hash " + s.at("list_hash").get<std::string>() +
                          ", first shard " + list_hash + ")"));
      if (s.at("shards") != count)
        return Fail(Error(f + ": shard count " + s.at("shards").dump() + ", first shard " +
                          std::to_string(count)));
      if (comparable(s.at("config")) != comparable(config))
        return Fail(Error(f + ": configuration differs from " + a.positional()[0] + ": " +
                          comparable(s.at("config")).dump() + " vs " + comparable(config).dump()));
      int idx = s.at("shard");
      if (idx < 0 || idx >= count) return Fail(Error(f + ": shard index out of range"));
      if (seen[idx]++) return Fail(Error(f + ": shard " + std::to_string(idx) + " given twice"));
    }
  } catch (const std::exception& e) {
    return Fail(Error(std::string("malformed shard file: ") + e.what()));
  }
  std::string missing;
  for (int i = 0; i < count; ++i)
    if (!seen[i]) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
  if (!missing.empty())
    return Fail(Error("missing shard(s) " + missing + " of " + std::to_string(count)));

  if (kind == "validate-shard") {
    ValidateCounts c;
    for (const auto& s : shards) {
      const json& k = s.at("counts");
      c.images += k.at("images").get<int>();
      c.failed += k.at("failed").get<int>();
      c.top1 += k.at("top1_hits").get<int>();
      c.top5 += k.at("top5_hits").get<int>();
      c.seconds += k.at("seconds").get<double>();
      for (const auto& f : s.at("failed")) c.failures.push_back(f);
    }
    std::printf("%s\n", ValidateSummaryLine(c).c_str());
    if (a.has("json")) {
      st = WriteJsonFile(a.str("json"), ValidateJson(c, config));
      if (!st.ok()) return Fail(st);
    }
    return c.failed ? 4 : 0;
  }

  // Traffic: sum the integer counters; the model gives the layer shapes.
  Model model;
  st = LoadModel(a.str("weights", config.value("weights", DefaultWeightsPath())), &model);
  if (!st.ok()) return Fail(st);
  if (HashHex(model.weights_hash) != config.value("weights_hash", ""))
    return Fail(Error(model.path + ": weight hash " + HashHex(model.weights_hash) +
                      " differs from the shards' " + config.value("weights_hash", "")));
  std::vector<MapCounters> sum;
  int images = 0, failed = 0, top1 = 0, top5 = 0;
  bool labelled = false;
  double peak = 0;
  for (const auto& s : shards) {
    const json& k = s.at("counts");
    std::vector<MapCounters> c;
    st = CountersFromJson(k.at("layers"), &c);
    if (!st.ok()) return Fail(st);
    if (sum.size() < c.size()) sum.resize(c.size());
    for (size_t i = 0; i < c.size(); ++i) {
      MapCounters& d = sum[i];
      d.ofmap_raw += c[i].ofmap_raw, d.ofmap_comp += c[i].ofmap_comp;
      d.ofmap_payload += c[i].ofmap_payload, d.ofmap_meta += c[i].ofmap_meta;
      d.ofmap_zeros += c[i].ofmap_zeros, d.ifmap_raw += c[i].ifmap_raw;
      d.ifmap_comp += c[i].ifmap_comp;
      for (int t = 0; t < 3; ++t) d.tiles[t] += c[i].tiles[t];
      d.occupancy_after = std::max(d.occupancy_after, c[i].occupancy_after);
      d.stores += c[i].stores, d.loads += c[i].loads;
      if (c[i].stores) {
        d.mode = c[i].mode;
        d.dct_L = c[i].dct_L;
      }
    }
    images += k.at("images").get<int>();
    failed += k.at("failed").get<int>();
    top1 += k.at("top1_hits").get<int>();
    top5 += k.at("top5_hits").get<int>();
    labelled = k.at("labelled").get<bool>();
    peak = std::max(peak, k.at("peak_pool_bytes").get<double>());
  }
  TrafficReport rep = BuildTrafficReport(model, sum, shards[0].at("codec"),
                                         shards[0].value("tuning", ""), peak, images);
  if (labelled) rep.top1 = top1, rep.top5 = top5, rep.n = images;
  if (a.has("quiet")) {
    std::printf("codec %s: %d maps, ratio total %.3fx, mean %.3fx\n", rep.codec.c_str(), rep.maps,
                rep.ratio_total, rep.ratio_mean);
  } else {
    std::printf("%s", FormatTrafficTable(rep).c_str());
  }
  if (a.has("json")) {
    st = WriteJsonFile(a.str("json"), TrafficReportJson({rep}, config));
    if (!st.ok()) return Fail(st);
  }
  if (a.has("csv")) {
    st = WriteReport(a.str("csv"), FormatTrafficCsv(rep));
    if (!st.ok()) return Fail(st);
  }
  return failed ? 4 : 0;
}

}  // namespace dctcm

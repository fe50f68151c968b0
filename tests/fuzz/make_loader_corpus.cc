// Writes the seed corpora of the loader fuzz targets (run by hand; the output
// is committed):
//   dctcm_make_loader_corpus OUT_DIR WEIGHTS CALIBRATION
// fuzz_weights:     small valid weight files made with WriteWeightFile (the
//                   tiny network of loader_corpus.h, and variants), and graph
//                   JSON: the tiny one and the real ResNet-50 graph of WEIGHTS.
// fuzz_calibration: the real CALIBRATION file, tuning objects made with
//                   TuningToJson, a calibration with an embedded tuning.
// (fuzz_image's seeds are not committed: make_image_seeds.cc draws them at
// build time.)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/pool.h"
#include "tests/fuzz/loader_corpus.h"
#include "weights/calibration.h"
#include "weights/format.h"

using namespace dctcm;

namespace {

std::string g_dir;

void Write(const std::string& name, const std::vector<uint8_t>& b) {
  const std::string path = g_dir + "/" + name;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (b.size() >= 64 * 1024) std::fprintf(stderr, "warning: %s is %zu bytes\n", path.c_str(), b.size());
}
void WriteText(const std::string& name, const std::string& s) {
  Write(name, std::vector<uint8_t>(s.begin(), s.end()));
}
std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::vector<uint8_t> WeightBytes(WeightFile wf) {
  const std::string tmp = g_dir + "/.tmp.dctw";
  if (!WriteWeightFile(tmp, &wf).ok()) std::exit(1);
  std::vector<uint8_t> b = ReadAll(tmp);
  std::remove(tmp.c_str());
  return b;
}

std::vector<uint8_t> WithControl(uint8_t control, const std::vector<uint8_t>& b) {
  // Sized once (GCC 12 reports a false -Warray-bounds for an insert into
  // a one-element vector).
  std::vector<uint8_t> out(b.size() + 1);
  out[0] = control;
  std::copy(b.begin(), b.end(), out.begin() + 1);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s OUT_DIR WEIGHTS CALIBRATION\n", argv[0]);
    return 2;
  }
  const std::string out = argv[1];

  // Weight files.
  g_dir = out + "/fuzz_weights";
  WeightFile tiny;
  tiny.graph_json = fuzz::TinyGraph();
  tiny.tensors = fuzz::TinyTensors();
  const std::vector<uint8_t> tiny_bytes = WeightBytes(tiny);
  Write("tiny_checked", WithControl(0, tiny_bytes));
  Write("tiny_fixhash", WithControl(1, tiny_bytes));
  WeightFile one;
  one.graph_json = "{}";
  one.tensors["x"] = fuzz::Filled({1}, 1.f);
  Write("one_tensor", WithControl(0, WeightBytes(one)));
  WeightFile four_d;
  four_d.graph_json = "";
  four_d.tensors["a/kernel"] = fuzz::Filled({2, 1, 3, 2}, -1.f);
  four_d.tensors["b/bias"] = fuzz::Filled({3}, 2.f);
  four_d.tensors["c"] = fuzz::Filled({17}, 0.f);  // padding between tensors
  Write("padded_fixhash", WithControl(1, WeightBytes(four_d)));
  WriteText("graph_tiny", std::string(1, '\x02') + fuzz::TinyGraph());
  WeightFile real;
  if (!ReadWeightFile(argv[2], &real).ok()) return 1;
  WriteText("graph_resnet50", std::string(1, '\x02') + real.graph_json);

  // Calibration and tuning files.
  g_dir = out + "/fuzz_calibration";
  Write("calibration_resnet50.json", ReadAll(argv[3]));
  CodecConfig cfg;
  codec::EncodeParams p;
  p.dct.L = 8, p.dct.K = 8;
  cfg.per_layer["conv1"] = p;
  p.dct.L = 16, p.dct.K = 6, p.dct.steps = {2, 3, 3, 4, 6, 8};
  cfg.per_layer["res2a_branch2a"] = p;
  p.dct.L = 8, p.dct.K = 3, p.dct.steps = {1, 2, 4};
  for (uint16_t i = 0; i < 16; ++i) p.dct.perm.push_back(uint16_t((i * 5) % 16));
  cfg.per_layer["res3a_out"] = p;
  codec::EncodeParams lossless;
  lossless.mode = codec::Mode::kPzvc;
  cfg.per_layer["res5c_out"] = lossless;
  const std::string tuning = TuningToJson(cfg, "budget 0.5% top-1, 3 layers lossy");
  WriteText("tuning.json", tuning);
  Calibration cal;
  cal.method = "percentile";
  cal.images = 2;
  cal.source = "photos";
  cal.weights_hash = 0x0123456789abcdefull;
  cal.scales = {{"input", 0.9f}, {"conv1", 0.05f}, {"res2a_branch2a", 0.031f}, {"fc1000", 0.2f}};
  cal.codec_json = tuning;
  if (!WriteCalibration(g_dir + "/calibration_tuned.json", cal).ok()) return 1;

  std::printf("wrote loader corpora to %s\n", out.c_str());
  return 0;
}

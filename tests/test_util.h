// Helpers shared by the tests: tiny synthetic models, paths to real data.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "engine/model.h"
#include "engine/session.h"

namespace dctcm::test {

inline std::string SharedData() {
  if (const char* d = std::getenv("DCTCM_DATA"); d && *d) return d;
  return std::string(DCTCM_SOURCE_DIR) + "/../shared/data/imagenet-val-1300";
}
inline bool HaveSharedData() {
  return std::filesystem::exists(SharedData() + "/val.txt");
}
inline bool HaveWeights() { return std::filesystem::exists(DefaultWeightsPath()); }

#define DCTCM_REQUIRE_SHARED_DATA()                                          \
  if (!::dctcm::test::HaveSharedData())                                      \
  GTEST_SKIP() << "shared ImageNet subset not found at "                     \
               << ::dctcm::test::SharedData() << " (set DCTCM_DATA)"
#define DCTCM_REQUIRE_WEIGHTS()                                              \
  if (!::dctcm::test::HaveWeights())                                         \
  GTEST_SKIP() << "weights not found at " << ::dctcm::DefaultWeightsPath()   \
               << " (run tools/run.sh setup)"

struct ConvSpec {
  int h = 9, w = 9, cin = 3, cout = 8, k = 3, stride = 1;
  int pad[4] = {1, 1, 1, 1};
  bool relu = true;
  bool residual = false;  // add a second 1x1 conv summing the first's output
};

// Readable test names: "k3 s2 pad 1,1,1,1 16->24 @11 relu residual".
inline void PrintTo(const ConvSpec& s, std::ostream* os) {
  *os << "k" << s.k << " s" << s.stride << " pad " << s.pad[0] << "," << s.pad[1] << ","
      << s.pad[2] << "," << s.pad[3] << " " << s.cin << "->" << s.cout << " @" << s.h
      << (s.relu ? " relu" : "") << (s.residual ? " residual" : "");
}

inline Tensor RandomTensor(std::vector<int64_t> dims, std::mt19937* rng, float scale) {
  Tensor t;
  t.dims = dims;
  std::uniform_real_distribution<float> u(-scale, scale);
  t.data.resize(t.size());
  for (auto& v : t.data) v = u(*rng);
  return t;
}

// conv "c1" [-> conv "c2" with add=c1] -> gap -> fc (4 classes).
inline Model MakeTinyModel(const ConvSpec& s, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  Model m;
  int oh = (s.h + s.pad[0] + s.pad[2] - s.k) / s.stride + 1;
  int ow = (s.w + s.pad[1] + s.pad[3] - s.k) / s.stride + 1;
  nlohmann::json ops = nlohmann::json::array();
  ops.push_back({{"op", "conv"}, {"name", "c1"}, {"src", "input"}, {"kh", s.k}, {"kw", s.k},
                 {"stride", s.stride}, {"pad", {s.pad[0], s.pad[1], s.pad[2], s.pad[3]}},
                 {"relu", s.relu}, {"out", {oh, ow, s.cout}}});
  m.weights.tensors["c1/kernel"] = RandomTensor({s.k, s.k, s.cin, s.cout}, &rng, 0.5f);
  m.weights.tensors["c1/bias"] = RandomTensor({s.cout}, &rng, 2.f);
  std::string last = "c1";
  if (s.residual) {
    ops.push_back({{"op", "conv"}, {"name", "c2"}, {"src", "c1"}, {"kh", 1}, {"kw", 1},
                   {"stride", 1}, {"pad", {0, 0, 0, 0}}, {"relu", true}, {"add", "c1"},
                   {"out", {oh, ow, s.cout}}});
    m.weights.tensors["c2/kernel"] = RandomTensor({1, 1, s.cout, s.cout}, &rng, 0.5f);
    m.weights.tensors["c2/bias"] = RandomTensor({s.cout}, &rng, 1.f);
    last = "c2";
  }
  ops.push_back({{"op", "gap"}, {"name", "gap"}, {"src", last}, {"out", {1, 1, s.cout}}});
  ops.push_back({{"op", "fc"}, {"name", "fc"}, {"src", "gap"}, {"softmax", true}, {"out", {1, 1, 4}}});
  m.weights.tensors["fc/kernel"] = RandomTensor({s.cout, 4}, &rng, 0.5f);
  m.weights.tensors["fc/bias"] = RandomTensor({4}, &rng, 0.5f);
  nlohmann::json g = {{"format", "dctcm-graph"}, {"version", 1}, {"input", {s.h, s.w, s.cin}},
                      {"preprocess", {{"mean", {0, 0, 0}}}}, {"ops", ops},
                      {"labels", {"a", "b", "c", "d"}}};
  m.weights.graph_json = g.dump();
  Status st = ParseGraph(m.weights.graph_json, "tiny", &m);
  EXPECT_TRUE(st.ok()) << st.message();
  return m;
}

}  // namespace dctcm::test

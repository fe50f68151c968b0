// End to end on the real network: the fp32 pass against the independent
// reference's statistics, and golden top-5 ids in fp32 and int8.
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/tune.h"
#include "tests/test_util.h"

namespace dctcm {
namespace {

struct Golden {
  const char* file;
  std::vector<int> fp32, int8;
};

// Measured with `dctcm classify --json --mode fp32|int8` (int8 with the
// default calibration: first 100 lines of val.txt, max method).
const Golden kImages[] = {
    {"ILSVRC2012_val_00000347.JPEG", {472, 693, 975, 871, 449}, {472, 693, 975, 871, 449}},
    {"ILSVRC2012_val_00000355.JPEG", {260, 259, 154, 261, 244}, {260, 259, 261, 154, 244}},
    {"ILSVRC2012_val_00000361.JPEG", {300, 302, 303, 304, 308}, {300, 302, 303, 304, 308}},
    {"ILSVRC2012_val_00000363.JPEG", {133, 85, 135, 138, 142}, {133, 85, 135, 138, 142}},
    {"ILSVRC2012_val_00000556.JPEG", {625, 779, 407, 654, 536}, {625, 779, 407, 654, 874}},
    {"ILSVRC2012_val_00000560.JPEG", {705, 547, 565, 820, 829}, {705, 547, 565, 820, 829}},
    {"ILSVRC2012_val_00000580.JPEG", {509, 582, 886, 865, 860}, {509, 582, 886, 865, 860}},
    {"ILSVRC2012_val_00000657.JPEG", {388, 387, 294, 296, 284}, {388, 387, 294, 296, 284}},
};

const Golden kPhotos[] = {
    {"astronaut.png", {450, 541, 573, 822, 819}, {}},
    {"camera.png", {872, 447, 759, 593, 486}, {}},
    {"chelsea.png", {285, 282, 281, 287, 728}, {}},
    {"coffee.png", {967, 968, 925, 504, 868}, {}},
    {"motorcycle_left.png", {665, 670, 535, 518, 661}, {}},
};

std::vector<int> Top5(Session* s, const std::string& path) {
  std::vector<float> in, logits, probs;
  Status st = LoadInput(path, s->options().preprocess, s->options().limits, &in);
  EXPECT_TRUE(st.ok()) << st.message();
  st = s->Run(in, 1, &logits, &probs);
  EXPECT_TRUE(st.ok()) << st.message();
  return TopK(probs.data(), static_cast<int>(probs.size()), 5);
}

Status Open(Session* s, Precision p) {
  SessionOptions o;
  o.precision = p;
  return s->Open(o);
}

// `dctcm tune` scores the images in batches (TuneOptions::batch); the
// tuning must not depend on it. Batch 1 against batch 2: sensitivity on 2
// images, verification on 3 (so its last batch is partial): the same
// per-map choice and the same scores.
TEST(EndToEnd, TuningDoesNotDependOnTheBatch) {
  DCTCM_REQUIRE_WEIGHTS();
  DCTCM_REQUIRE_SHARED_DATA();
  std::vector<DatasetItem> items;
  for (int k = 0; k < 3; ++k) {
    DatasetItem it;
    it.file = kImages[k].file;
    it.path = test::SharedData() + "/images/" + it.file;
    items.push_back(it);
  }
  std::string json[2];
  double agreement[2], kl[2];
  for (int r = 0; r < 2; ++r) {
    Session s;
    SessionOptions o;
    o.codec = "dctcm";
    o.threads = 2;
    Status st = s.Open(o);
    ASSERT_TRUE(st.ok()) << st.message();
    TuneOptions to;
    to.map_images = 1;
    to.sens_images = 2;
    to.batch = r == 0 ? 1 : 2;
    TuneResult res;
    st = TuneCodec(&s, items, to, &res);
    ASSERT_TRUE(st.ok()) << st.message();
    json[r] = TuningToJson(res.config, "");
    agreement[r] = res.agreement;
    kl[r] = res.mean_kl;
  }
  EXPECT_EQ(json[0], json[1]);
  EXPECT_EQ(agreement[0], agreement[1]);
  EXPECT_EQ(kl[0], kl[1]);
  EXPECT_GT(kl[0], 0.0);  // the candidates were scored (lossy ones exist)
}

TEST(EndToEnd, Fp32GoldenTop5OnImageNet) {
  DCTCM_REQUIRE_WEIGHTS();
  DCTCM_REQUIRE_SHARED_DATA();
  Session s;
  ASSERT_TRUE(Open(&s, Precision::kFp32).ok());
  for (const auto& g : kImages)
    EXPECT_EQ(Top5(&s, test::SharedData() + "/images/" + g.file), g.fp32) << g.file;
}

TEST(EndToEnd, Int8GoldenTop5OnImageNet) {
  DCTCM_REQUIRE_WEIGHTS();
  DCTCM_REQUIRE_SHARED_DATA();
  Session s;
  Status st = Open(&s, Precision::kInt8);
  ASSERT_TRUE(st.ok()) << st.message();
  if (s.calibration().source.find("imagenet-val-1300") == std::string::npos)
    GTEST_SKIP() << "default calibration is not the shared subset's first 100 images";
  for (const auto& g : kImages)
    EXPECT_EQ(Top5(&s, test::SharedData() + "/images/" + g.file), g.int8) << g.file;
}

TEST(EndToEnd, Fp32GoldenTop5OnDefaultPhotos) {
  DCTCM_REQUIRE_WEIGHTS();
  Session s;
  ASSERT_TRUE(Open(&s, Precision::kFp32).ok());
  for (const auto& g : kPhotos) {
    std::string p = DefaultPhotosDir() + "/" + g.file;
    if (!std::filesystem::exists(p)) GTEST_SKIP() << p << " missing (run tools/run.sh setup)";
    EXPECT_EQ(Top5(&s, p), g.fp32) << g.file;
  }
}

TEST(EndToEnd, Int8TopOneOnDefaultPhotosMatchesFp32) {
  DCTCM_REQUIRE_WEIGHTS();
  Session s;
  Status st = Open(&s, Precision::kInt8);
  ASSERT_TRUE(st.ok()) << st.message();
  for (const auto& g : kPhotos) {
    std::string p = DefaultPhotosDir() + "/" + g.file;
    if (!std::filesystem::exists(p)) GTEST_SKIP() << p << " missing (run tools/run.sh setup)";
    EXPECT_EQ(Top5(&s, p)[0], g.fp32[0]) << g.file;
  }
}

// Per-layer statistics of the independent reference implementation
// (../shared/data/reference/resnet50-activations.json) on 4 images.
TEST(EndToEnd, Fp32MatchesIndependentReference) {
  DCTCM_REQUIRE_WEIGHTS();
  DCTCM_REQUIRE_SHARED_DATA();
  std::ifstream f(test::SharedData() + "/../reference/resnet50-activations.json");
  if (!f) GTEST_SKIP() << "reference statistics not found";
  nlohmann::json ref = nlohmann::json::parse(f);
  Session s;
  ASSERT_TRUE(Open(&s, Precision::kFp32).ok());
  std::vector<float> in, logits, probs;
  ASSERT_TRUE(s.Run(std::vector<float>(s.input_size()), 1, &logits, &probs).ok());
  Network* net = s.network(1);
  struct Stat { double mean, max, abs_sum, zero_frac; };
  std::map<std::string, Stat> got;
  net->fp32_observer = [&](int op, const float* d, size_t n) {
    Stat st{0, -1e30, 0, 0};
    for (size_t i = 0; i < n; ++i) {
      st.mean += d[i];
      st.max = std::max<double>(st.max, d[i]);
      st.abs_sum += std::fabs(d[i]);
      st.zero_frac += d[i] == 0;
    }
    st.mean /= n;
    st.zero_frac /= n;
    got[s.model().ops[op].name] = st;
  };
  for (const auto& im : ref.at("images")) {
    std::vector<uint8_t> crop;
    std::string path = test::SharedData() + "/images/" + im.at("file").get<std::string>();
    ASSERT_TRUE(LoadInput(path, s.options().preprocess, s.options().limits, &in, &crop).ok());
    long long sum = 0;
    for (uint8_t v : crop) sum += v;
    EXPECT_EQ(sum, im.at("input_rgb_sum").get<long long>()) << path;
    got.clear();
    ASSERT_TRUE(s.Run(in, 1, &logits, &probs).ok());
    for (const auto& t : im.at("fp32_top5")) {
      int cls = t.at(0);
      EXPECT_NEAR(logits[cls], t.at(1).get<double>(), 2e-3 * std::max(1.0, std::fabs(t.at(1).get<double>())))
          << path << " class " << cls;
    }
    int checked = 0;
    for (const auto& [name, st] : im.at("fp32_nodes").items()) {
      if (name == "input") continue;
      ASSERT_TRUE(got.count(name)) << "no map named " << name;
      const Stat& g = got[name];
      double mean = st.at("mean"), mx = st.at("max"), zf = st.at("zero_frac");
      EXPECT_NEAR(g.mean, mean, 1e-3 * std::max(1.0, std::fabs(mean))) << name;
      EXPECT_NEAR(g.max, mx, 1e-3 * std::max(1.0, std::fabs(mx))) << name;
      EXPECT_NEAR(g.zero_frac, zf, 2e-3) << name;
      ++checked;
    }
    EXPECT_EQ(checked, 55);
  }
}

}  // namespace
}  // namespace dctcm

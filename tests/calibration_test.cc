#include "engine/network.h"
#include "tests/test_util.h"
#include "weights/calibration.h"

namespace dctcm {
namespace {

const char* kGood = R"({"format":"dctcm-calibration","version":1,"weights_hash":"00000000000000ab",
  "method":"max","images":3,"scales":{"input":0.5,"c1":0.25,"gap":0.1}})";

TEST(Calibration, ParsesAndChecksHash) {
  Calibration c;
  Status st = ParseCalibration(kGood, "cal.json", 0xab, &c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_FLOAT_EQ(c.scales["c1"], 0.25f);
  st = ParseCalibration(kGood, "cal.json", 0xac, &c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("00000000000000ab"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("00000000000000ac"), std::string::npos) << st.message();
}

TEST(Calibration, RejectsNonFiniteAndNonPositiveScales) {
  for (const char* bad : {"-1", "0", "1e400", "\"x\""}) {
    std::string t = kGood;
    t.replace(t.find("0.25"), 4, bad);
    Calibration c;
    Status st = ParseCalibration(t, "cal.json", 0, &c);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_TRUE(st.message().find("'c1'") != std::string::npos ||
                st.message().find("overflow") != std::string::npos)
        << st.message();
  }
}

TEST(Calibration, RejectsGarbageAndOtherVersions) {
  Calibration c;
  EXPECT_FALSE(ParseCalibration("{", "cal.json", 0, &c).ok());
  EXPECT_FALSE(ParseCalibration("[]", "cal.json", 0, &c).ok());
  std::string v2 = kGood;
  v2.replace(v2.find("\"version\":1"), 11, "\"version\":2");
  Status st = ParseCalibration(v2, "cal.json", 0, &c);
  EXPECT_NE(st.message().find("version"), std::string::npos);
}

TEST(Calibration, MissingLayerIsNamedWhenTheNetworkIsBuilt) {
  test::ConvSpec s;
  Model m = test::MakeTinyModel(s);
  Calibration c;
  ASSERT_TRUE(ParseCalibration(kGood, "cal.json", 0, &c).ok());
  c.scales.erase("c1");
  Network net;
  NetworkConfig cfg;
  cfg.calibration = &c;
  Status st = net.Init(m, cfg);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'c1'"), std::string::npos) << st.message();
}

TEST(Calibration, WriteReadRoundTrip) {
  Calibration c;
  c.method = "mse";
  c.images = 7;
  c.weights_hash = 0x1234;
  c.scales = {{"input", 0.75f}, {"a", 0.125f}};
  std::string p = ::testing::TempDir() + "/cal.json";
  ASSERT_TRUE(WriteCalibration(p, c).ok());
  Calibration r;
  Status st = ReadCalibration(p, 0x1234, &r);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(r.method, "mse");
  EXPECT_EQ(r.scales, c.scales);
}

}  // namespace
}  // namespace dctcm

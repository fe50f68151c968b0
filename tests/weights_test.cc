// The weight file reader rejects malformed files with a message naming the
// tensor and the expected vs found value.
#include <cstring>
#include <fstream>

#include "tests/test_util.h"
#include "weights/format.h"

namespace dctcm {
namespace {

std::vector<uint8_t> ValidFile() {
  WeightFile wf;
  wf.graph_json = "{\"x\":1}";
  Tensor a;
  a.dims = {3, 5};
  for (int i = 0; i < 15; ++i) a.data.push_back(i * 0.5f);
  Tensor b;
  b.dims = {7};
  b.data.assign(7, -1.f);
  wf.tensors["alpha/kernel"] = a;
  wf.tensors["beta/bias"] = b;
  std::string path = ::testing::TempDir() + "/w.dctw";
  EXPECT_TRUE(WriteWeightFile(path, &wf).ok());
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

Status Parse(const std::vector<uint8_t>& buf, WeightFile* wf) {
  return ParseWeightFile(buf.data(), buf.size(), "w.dctw", wf);
}

// Byte offsets from weights/FORMAT.md.
constexpr size_t kTableOffsetField = 32;
size_t TableOffset(const std::vector<uint8_t>& b) {
  uint64_t v;
  std::memcpy(&v, b.data() + kTableOffsetField, 8);
  return v;
}

TEST(WeightFile, RoundTrip) {
  auto buf = ValidFile();
  WeightFile wf;
  Status st = Parse(buf, &wf);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(wf.graph_json, "{\"x\":1}");
  ASSERT_EQ(wf.tensors.size(), 2u);
  EXPECT_EQ(wf.tensors["alpha/kernel"].dims, (std::vector<int64_t>{3, 5}));
  EXPECT_FLOAT_EQ(wf.tensors["alpha/kernel"].data[14], 7.f);
  EXPECT_EQ(buf.size() % 64, 0u);
}

TEST(WeightFile, TruncatedAtEveryLengthIsRejected) {
  auto buf = ValidFile();
  for (size_t n = 0; n < buf.size(); n += 7) {
    std::vector<uint8_t> t(buf.begin(), buf.begin() + n);
    WeightFile wf;
    Status st = Parse(t, &wf);
    ASSERT_FALSE(st.ok()) << n;
    EXPECT_NE(st.message().find("w.dctw"), std::string::npos);
  }
  std::vector<uint8_t> t(buf.begin(), buf.end() - 1);
  WeightFile wf;
  Status st = Parse(t, &wf);
  EXPECT_NE(st.message().find("truncated"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(std::to_string(buf.size())), std::string::npos) << st.message();
}

TEST(WeightFile, OversizedIsRejected) {
  auto buf = ValidFile();
  buf.push_back(0);
  WeightFile wf;
  Status st = Parse(buf, &wf);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("oversized"), std::string::npos) << st.message();
}

TEST(WeightFile, ShapeMismatchNamesTensorAndSizes) {
  auto buf = ValidFile();
  // First entry (sorted: alpha/kernel): dims at +72; make it 3x6.
  uint32_t six = 6;
  std::memcpy(buf.data() + TableOffset(buf) + 72 + 4, &six, 4);
  WeightFile wf;
  Status st = Parse(buf, &wf);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("alpha/kernel"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("72"), std::string::npos) << st.message();  // 3*6*4 expected
  EXPECT_NE(st.message().find("60"), std::string::npos) << st.message();  // found
}

TEST(WeightFile, MisalignedOffsetIsRejected) {
  auto buf = ValidFile();
  uint64_t off = 4;  // second entry's offset: 64 -> 4... make the first misaligned
  std::memcpy(buf.data() + TableOffset(buf) + 88, &off, 8);
  WeightFile wf;
  Status st = Parse(buf, &wf);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("misaligned"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("alpha/kernel"), std::string::npos) << st.message();
}

TEST(WeightFile, TamperedDataFailsTheChecksum) {
  auto buf = ValidFile();
  buf[buf.size() - 70] ^= 0x10;
  WeightFile wf;
  Status st = Parse(buf, &wf);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("checksum"), std::string::npos) << st.message();
}

TEST(WeightFile, BadMagicAndVersion) {
  auto buf = ValidFile();
  auto b1 = buf;
  b1[0] = 'X';
  WeightFile wf;
  EXPECT_NE(Parse(b1, &wf).message().find("magic"), std::string::npos);
  auto b2 = buf;
  b2[8] = 9;
  EXPECT_NE(Parse(b2, &wf).message().find("version"), std::string::npos);
}

TEST(WeightFile, RandomBitFlipsNeverCrash) {
  auto buf = ValidFile();
  std::mt19937 rng(3);
  int rejected = 0;
  for (int i = 0; i < 2000; ++i) {
    auto b = buf;
    b[rng() % b.size()] ^= uint8_t(1u << (rng() % 8));
    WeightFile wf;
    if (!Parse(b, &wf).ok()) ++rejected;
  }
  // Flips in the graph text or in reserved bytes can pass; most must not.
  EXPECT_GT(rejected, 1000);
}

TEST(WeightFile, MissingFileNamesThePath) {
  WeightFile wf;
  Status st = ReadWeightFile("/nonexistent/x.dctw", &wf);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent/x.dctw"), std::string::npos);
}

TEST(WeightFile, RealWeightsGraphIsResNet50) {
  DCTCM_REQUIRE_WEIGHTS();
  Model m;
  Status st = LoadModel(DefaultWeightsPath(), &m);
  ASSERT_TRUE(st.ok()) << st.message();
  int convs = 0, adds = 0;
  for (auto& op : m.ops) {
    convs += op.kind == OpDesc::kConv;
    adds += !op.add.empty();
  }
  EXPECT_EQ(convs, 53);
  EXPECT_EQ(adds, 16);
  EXPECT_EQ(m.labels.size(), 1000u);
  const OpDesc& c1 = m.ops[m.FindOp("conv1")];
  EXPECT_EQ(c1.pad, (std::array<int, 4>{3, 3, 3, 3}));
  EXPECT_EQ(c1.out_h, 112);
  // Downsampling blocks stride on their first 1x1 conv, Keras v1 style.
  const OpDesc& r3 = m.ops[m.FindOp("res3a_branch2a")];
  EXPECT_EQ(r3.stride, 2);
  EXPECT_EQ(r3.kh, 1);
  EXPECT_EQ(m.ops[m.FindOp("res3a_branch2b")].stride, 1);
  EXPECT_EQ(m.ops[m.FindOp("res3a_out")].add, "res3a_branch1");
}

}  // namespace
}  // namespace dctcm

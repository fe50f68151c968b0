// The compressed pool on the real network: exact raw byte counts, lossless
// codecs bit-exact against the uncompressed int8 network, an empty pool after
// every image, and results independent of threads and batch size.
#include <map>

#include "engine/pool.h"
#include "engine/traffic.h"
#include "tests/test_util.h"

namespace dctcm {
namespace {

// N*H*W*C of every map the int8 ResNet-50 stores (N = 1).
const std::map<std::string, uint64_t> kMapBytes = {
    {"conv1", 802816},
    {"pool1", 200704},
    {"res2a_branch2a", 200704},
    {"res2a_branch2b", 200704},
    {"res2a_branch1", 802816},
    {"res2a_out", 802816},
    {"res2b_branch2a", 200704},
    {"res2b_branch2b", 200704},
    {"res2b_out", 802816},
    {"res2c_branch2a", 200704},
    {"res2c_branch2b", 200704},
    {"res2c_out", 802816},
    {"res3a_branch2a", 100352},
    {"res3a_branch2b", 100352},
    {"res3a_branch1", 401408},
    {"res3a_out", 401408},
    {"res3b_branch2a", 100352},
    {"res3b_branch2b", 100352},
    {"res3b_out", 401408},
    {"res3c_branch2a", 100352},
    {"res3c_branch2b", 100352},
    {"res3c_out", 401408},
    {"res3d_branch2a", 100352},
    {"res3d_branch2b", 100352},
    {"res3d_out", 401408},
    {"res4a_branch2a", 50176},
    {"res4a_branch2b", 50176},
    {"res4a_branch1", 200704},
    {"res4a_out", 200704},
    {"res4b_branch2a", 50176},
    {"res4b_branch2b", 50176},
    {"res4b_out", 200704},
    {"res4c_branch2a", 50176},
    {"res4c_branch2b", 50176},
    {"res4c_out", 200704},
    {"res4d_branch2a", 50176},
    {"res4d_branch2b", 50176},
    {"res4d_out", 200704},
    {"res4e_branch2a", 50176},
    {"res4e_branch2b", 50176},
    {"res4e_out", 200704},
    {"res4f_branch2a", 50176},
    {"res4f_branch2b", 50176},
    {"res4f_out", 200704},
    {"res5a_branch2a", 25088},
    {"res5a_branch2b", 25088},
    {"res5a_branch1", 100352},
    {"res5a_out", 100352},
    {"res5b_branch2a", 25088},
    {"res5b_branch2b", 25088},
    {"res5b_out", 100352},
    {"res5c_branch2a", 25088},
    {"res5c_branch2b", 25088},
    {"res5c_out", 100352}
};

std::string Photo() { return DefaultPhotosDir() + "/chelsea.png"; }

Status OpenInt8(Session* s, const std::string& codec, int threads = 0) {
  SessionOptions o;
  o.codec = codec;
  o.threads = threads;
  return s->Open(o);
}

std::vector<float> RunLogits(Session* s, const std::vector<float>& in, int batch) {
  std::vector<float> x, logits;
  for (int b = 0; b < batch; ++b) x.insert(x.end(), in.begin(), in.end());
  Status st = s->Run(x, batch, &logits, nullptr);
  EXPECT_TRUE(st.ok()) << st.message();
  return logits;
}

class PoolReal : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::HaveWeights()) GTEST_SKIP() << "weights not found (run tools/run.sh setup)";
    if (!std::filesystem::exists(Photo())) GTEST_SKIP() << Photo() << " missing (run tools/run.sh setup)";
    PreprocessConfig pc;
    ASSERT_TRUE(LoadInput(Photo(), pc, ImageLimits{}, &input_).ok());
  }
  std::vector<float> input_;
};

TEST_F(PoolReal, RawCodecCountsExactlyNHWCForEveryMap) {
  Session s;
  Status st = OpenInt8(&s, "raw");
  ASSERT_TRUE(st.ok()) << st.message();
  RunLogits(&s, input_, 1);
  const auto& c = s.pool()->counters();
  const Model& m = s.model();
  int stored = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i].stores == 0) continue;
    ++stored;
    auto it = kMapBytes.find(m.ops[i].name);
    ASSERT_NE(it, kMapBytes.end()) << m.ops[i].name;
    EXPECT_EQ(c[i].ofmap_raw, it->second) << m.ops[i].name;
    EXPECT_EQ(c[i].ofmap_payload, it->second) << m.ops[i].name;  // raw payload = the map
    EXPECT_EQ(c[i].ofmap_comp, c[i].ofmap_payload + c[i].ofmap_meta) << m.ops[i].name;
  }
  EXPECT_EQ(stored, static_cast<int>(kMapBytes.size()));
  EXPECT_EQ(kMapBytes.at("conv1"), 112u * 112 * 64);
  EXPECT_EQ(s.pool()->in_use(), 0u);  // every map freed after its last reader
  // The report's TOTAL row is the sum of its rows.
  Network* net = s.network(1);
  TrafficReport r = BuildTrafficReport(*net, *s.pool(), 1);
  double sum = 0;
  for (auto& row : r.rows) sum += row.ofmap_comp;
  EXPECT_DOUBLE_EQ(sum, r.total.ofmap_comp);
  EXPECT_EQ(r.maps, 54);
}

TEST_F(PoolReal, LosslessCodecsAreBitExact) {
  Session none;
  ASSERT_TRUE(OpenInt8(&none, "none").ok());
  const auto ref = RunLogits(&none, input_, 1);
  for (const char* c : {"raw", "zvc", "rle", "csc", "pzvc"}) {
    Session s;
    ASSERT_TRUE(OpenInt8(&s, c).ok());
    EXPECT_EQ(RunLogits(&s, input_, 1), ref) << c;
    EXPECT_EQ(s.pool()->in_use(), 0u) << c;
  }
}

TEST_F(PoolReal, DctcmResultsIndependentOfThreadsAndBatch) {
  Session a, b;
  ASSERT_TRUE(OpenInt8(&a, "dctcm", 1).ok());
  ASSERT_TRUE(OpenInt8(&b, "dctcm", 2).ok());
  const auto la = RunLogits(&a, input_, 1);
  const auto lb = RunLogits(&b, input_, 8);
  ASSERT_EQ(lb.size(), 8 * la.size());
  for (int k = 0; k < 8; ++k)
    EXPECT_TRUE(std::equal(la.begin(), la.end(), lb.begin() + k * la.size())) << k;
  const auto& ca = a.pool()->counters();
  const auto& cb = b.pool()->counters();
  ASSERT_EQ(ca.size(), cb.size());
  for (size_t i = 0; i < ca.size(); ++i) {
    EXPECT_EQ(8 * ca[i].ofmap_comp, cb[i].ofmap_comp) << i;
    EXPECT_EQ(8 * ca[i].ifmap_comp, cb[i].ifmap_comp) << i;
  }
}

TEST(PoolUnit, CapacityErrorNamesLayerAndNumbers) {
  PoolOptions po;
  po.capacity = 1000;
  po.codec.mode = codec::Mode::kRaw;
  CompressedPool pool(po);
  MapInfo m;
  m.op = 0;
  m.name = "big";
  m.h = 10, m.w = 10, m.c = 16;
  std::vector<uint8_t> data(m.bytes(), 1);
  ASSERT_TRUE(pool.BeginImage().ok());
  Status st = pool.Store(m, data.data());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kPoolExhausted);
  for (const char* w : {"'big'", "requested", "capacity 1000", "in use 0", "peak 0"})
    EXPECT_NE(st.message().find(w), std::string::npos) << st.message();
}

TEST(PoolUnit, CorruptedEntryIsDetectedAndNamed) {
  PoolOptions po;
  po.codec.mode = codec::Mode::kPzvc;
  CompressedPool pool(po);
  pool.after_store = [](const MapInfo&, uint8_t* b, size_t n) { b[n / 2] ^= 4; };
  MapInfo m;
  m.op = 3;
  m.name = "res9z";
  m.h = 4, m.w = 5, m.c = 64;
  std::vector<uint8_t> data(m.bytes());
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t((i * 7) % 13);
  ASSERT_TRUE(pool.BeginImage().ok());
  ASSERT_TRUE(pool.Store(m, data.data()).ok());
  std::vector<uint8_t> back(m.bytes());
  Status st = pool.Load(m, 4, back.data());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("res9z"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("checksum"), std::string::npos) << st.message();
}

TEST(PoolUnit, AbortImageDropsTheMapsOfAFailedImage) {
  PoolOptions po;
  po.codec.mode = codec::Mode::kPzvc;
  CompressedPool pool(po);
  std::vector<MapInfo> maps(3);
  std::vector<uint8_t> data(4 * 5 * 64);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t((i * 7) % 13);
  ASSERT_TRUE(pool.BeginImage().ok());
  for (int k = 0; k < 3; ++k) {
    maps[k].op = k;
    maps[k].name = "m" + std::to_string(k);
    maps[k].h = 4, maps[k].w = 5, maps[k].c = 64;
    ASSERT_TRUE(pool.Store(maps[k], data.data()).ok());
  }
  ASSERT_TRUE(pool.Free(maps[1]).ok());  // a hole below the top
  EXPECT_GT(pool.in_use(), 0u);
  EXPECT_FALSE(pool.BeginImage().ok());  // maps still stored
  pool.AbortImage();
  EXPECT_EQ(pool.in_use(), 0u);
  // The next image starts empty and ends with consistent accounting.
  ASSERT_TRUE(pool.BeginImage().ok());
  ASSERT_TRUE(pool.Store(maps[0], data.data()).ok());
  std::vector<uint8_t> back(data.size());
  ASSERT_TRUE(pool.Load(maps[0], 1, back.data()).ok());
  EXPECT_EQ(back, data);
  ASSERT_TRUE(pool.Free(maps[0]).ok());
  Status st = pool.EndImage();
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(PoolUnit, NotEmptyAfterImageIsAnError) {
  PoolOptions po;
  po.codec.mode = codec::Mode::kRaw;
  CompressedPool pool(po);
  MapInfo m;
  m.op = 1;
  m.name = "leak";
  m.h = m.w = 2, m.c = 8;
  std::vector<uint8_t> data(m.bytes(), 0);
  ASSERT_TRUE(pool.BeginImage().ok());
  ASSERT_TRUE(pool.Store(m, data.data()).ok());
  Status st = pool.EndImage();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("leak"), std::string::npos);
  ASSERT_TRUE(pool.Free(m).ok());
  EXPECT_TRUE(pool.EndImage().ok());
  EXPECT_EQ(pool.in_use(), 0u);
}

}  // namespace
}  // namespace dctcm

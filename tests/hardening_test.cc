// Hardening (docs/HARDENING.md): the fuzz seeds are valid inputs; a corrupt
// image corpus through `dctcm validate`; single-bit faults in the compressed
// pool; the pool capacity at and one byte below the measured peak.
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "engine/image.h"
#include "engine/pool.h"
#include "tests/cli_util.h"
#include "tests/fuzz/loader_corpus.h"
#include "tests/test_util.h"
#include "weights/calibration.h"

namespace dctcm {
namespace {

namespace fs = std::filesystem;
using test::ReadText;

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}
void WriteBytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// ---------------------------------------------------------------------------
// The seed corpora of the loader fuzz targets hold valid inputs, so that
// fuzzing starts from files that reach every check. fuzz_image's are drawn
// at build time (tests/fuzz/make_image_seeds.cc), the others are committed.

std::string CorpusDir(const std::string& target) {
  if (target == "fuzz_image") return DCTCM_IMAGE_SEEDS;
  return std::string(DCTCM_SOURCE_DIR) + "/tests/fuzz/corpus/" + target;
}

TEST(FuzzSeeds, WeightSeedsAreValid) {
  for (const char* name : {"tiny_checked", "tiny_fixhash", "one_tensor", "padded_fixhash"}) {
    std::vector<uint8_t> b = ReadBytes(CorpusDir("fuzz_weights") + "/" + name);
    ASSERT_GT(b.size(), 1u) << name;
    WeightFile wf;
    Status st = ParseWeightFile(b.data() + 1, b.size() - 1, name, &wf);
    EXPECT_TRUE(st.ok()) << st.message();
  }
  std::vector<uint8_t> b = ReadBytes(CorpusDir("fuzz_weights") + "/tiny_checked");
  Model m;
  ASSERT_TRUE(ParseWeightFile(b.data() + 1, b.size() - 1, "tiny", &m.weights).ok());
  Status st = ParseGraph(m.weights.graph_json, "tiny", &m);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(m.ops.size(), 5u);
  std::string g = ReadText(CorpusDir("fuzz_weights") + "/graph_tiny").substr(1);
  Model m2;
  m2.weights.tensors = fuzz::TinyTensors();
  st = ParseGraph(g, "graph_tiny", &m2);
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(FuzzSeeds, CalibrationSeedsAreValid) {
  Calibration c;
  for (const char* name : {"calibration_resnet50.json", "calibration_tuned.json"}) {
    Status st = ParseCalibration(ReadText(CorpusDir("fuzz_calibration") + "/" + name), name, 0, &c);
    EXPECT_TRUE(st.ok()) << st.message();
  }
  CodecConfig cfg;
  ASSERT_FALSE(c.codec_json.empty());
  Status st = ParseTuning(c.codec_json, "calibration_tuned.json", &cfg);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(cfg.per_layer.size(), 4u);
  st = ParseTuning(ReadText(CorpusDir("fuzz_calibration") + "/tuning.json"), "tuning.json", &cfg);
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(FuzzSeeds, ImageSeedsDecode) {
  int n = 0, regress = 0;
  for (const auto& e : fs::directory_iterator(CorpusDir("fuzz_image"))) {
    const bool bad = e.path().filename().string().rfind("regress_", 0) == 0;
    std::vector<uint8_t> b = ReadBytes(e.path().string());
    Image img;
    Status st = DecodeImage(b.data(), b.size(), e.path().string(), ImageLimits{}, &img);
    if (bad) {  // regression inputs must be rejected
      EXPECT_FALSE(st.ok()) << e.path();
      ++regress;
    } else {
      EXPECT_TRUE(st.ok()) << st.message();
      ++n;
    }
  }
  EXPECT_GE(n, 16);
  EXPECT_GE(regress, 1);
}

// A tiny file must not cost gigabytes after decoding either: a 16384x1 PNG
// (a few hundred bytes) would be scaled to 3670016x224 before the crop.
TEST(ImageLimits, ExtremeAspectRatioIsRejectedBeforeScaling) {
  const std::string strip = ::testing::TempDir() + "/strip_16384x1.png";
  ASSERT_TRUE(cv::imwrite(strip, cv::Mat(1, 16384, CV_8UC3, cv::Scalar(10, 20, 30))));
  std::vector<float> in;
  Status st = LoadInput(strip, PreprocessConfig{}, ImageLimits{}, &in);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kRuntime);
  EXPECT_NE(st.message().find(strip + ": image of 16384x1 would be scaled to 3670016x224"),
            std::string::npos)
      << st.message();
  const std::string wide = ::testing::TempDir() + "/wide_2048x40.png";
  ASSERT_TRUE(cv::imwrite(wide, cv::Mat(40, 2048, CV_8UC3, cv::Scalar(10, 20, 30))));
  st = LoadInput(wide, PreprocessConfig{}, ImageLimits{}, &in);
  EXPECT_TRUE(st.ok()) << st.message();
}

// ---------------------------------------------------------------------------
// Corrupt-input corpus through the CLI.
//
// From real JPEGs of the shared subset (and PNGs made from them) the test
// writes truncated and bit-flipped copies. Each copy is classified with
// DecodeImage (the function the CLI decodes with) against the decoded
// original: rejected, decodes to the identical pixels (a flip in a field that
// does not affect them, e.g. JFIF density), or decodes to other pixels without
// any error. The last is possible only in JPEG, which has no checksum: a flip
// in the entropy-coded data or in a quantisation table can yield a valid
// stream. Those are counted and reported, never counted as detected. PNG
// (CRC on every chunk, Adler-32 over the image data) and every truncation must
// never decode silently to other pixels.
//
// Then `dctcm validate` runs over all files mixed with the originals: every
// rejected file is counted as failed and named on stderr, every other file
// (the originals included) is scored, exit code 4, no crash.

enum class Outcome { kRejected, kIdentical, kSilent };

struct CorruptFile {
  std::string name;
  int label = 0;
  bool truncated = false;
  bool png = false;
  bool in_header = false;  // JPEG flip before the first scan's entropy data
  Outcome outcome = Outcome::kRejected;
};

// Offset of the first byte of entropy-coded data after the first SOS marker.
size_t JpegEntropyStart(const std::vector<uint8_t>& b) {
  for (size_t i = 2; i + 3 < b.size(); ++i)
    if (b[i] == 0xFF && b[i + 1] == 0xDA) return i + 2 + (size_t{b[i + 2]} << 8 | b[i + 3]);
  return b.size();
}

Outcome Classify(const std::vector<uint8_t>& b, const Image& original) {
  Image img;
  if (!DecodeImage(b.data(), b.size(), "x", ImageLimits{}, &img).ok()) return Outcome::kRejected;
  return img.width == original.width && img.height == original.height && img.bgr == original.bgr
             ? Outcome::kIdentical
             : Outcome::kSilent;
}

TEST(CorruptCorpus, ValidateCountsEveryBadImageAndScoresTheGoodOnes) {
  DCTCM_REQUIRE_WEIGHTS();
  DCTCM_REQUIRE_SHARED_DATA();
  const std::string dir = ::testing::TempDir() + "/dctcm_corrupt_corpus";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ifstream val(test::SharedData() + "/val.txt");
  std::vector<std::pair<std::string, int>> sources;
  std::string file;
  int label;
  while (sources.size() < 8 && val >> file >> label) sources.emplace_back(file, label);
  ASSERT_EQ(sources.size(), 8u);

  std::vector<CorruptFile> files;
  std::vector<std::string> originals;
  for (size_t s = 0; s < sources.size(); ++s) {
    const std::vector<uint8_t> jpg = ReadBytes(test::SharedData() + "/images/" + sources[s].first);
    Image original;
    ASSERT_TRUE(DecodeImage(jpg.data(), jpg.size(), sources[s].first, ImageLimits{}, &original).ok());
    cv::Mat m(original.height, original.width, CV_8UC3, original.bgr.data());
    std::vector<uint8_t> png;
    ASSERT_TRUE(cv::imencode(".png", m, png));
    std::mt19937 rng(static_cast<uint32_t>(1000 + s));
    for (bool is_png : {false, true}) {
      const std::vector<uint8_t>& src = is_png ? png : jpg;
      const std::string stem = "s" + std::to_string(s) + (is_png ? "_png" : "_jpg");
      const std::string ext = is_png ? ".png" : ".jpg";
      originals.push_back(stem + ext);
      WriteBytes(dir + "/" + stem + ext, src);
      const size_t n = src.size();
      for (size_t len : {size_t{1}, size_t{2}, size_t{8}, size_t{64}, n / 4, n / 2, 3 * n / 4,
                         n - 64, n - 2, n - 1}) {
        CorruptFile f{stem + "_trunc" + std::to_string(len) + ext, sources[s].second, true, is_png};
        std::vector<uint8_t> b(src.begin(), src.begin() + static_cast<std::ptrdiff_t>(len));
        f.outcome = Classify(b, original);
        WriteBytes(dir + "/" + f.name, b);
        files.push_back(f);
      }
      const size_t entropy = is_png ? 0 : JpegEntropyStart(src);
      for (int k = 0; k < 10; ++k) {
        size_t pos;
        if (is_png) pos = rng() % n;
        else if (k < 5) pos = 2 + rng() % (entropy - 2);  // header and marker segments
        else pos = entropy + rng() % (n - 2 - entropy);   // entropy-coded data
        const int bit = static_cast<int>(rng() % 8);
        CorruptFile f{stem + "_flip" + std::to_string(pos) + "b" + std::to_string(bit) + ext,
                      sources[s].second, false, is_png, !is_png && pos < entropy};
        std::vector<uint8_t> b = src;
        b[pos] ^= static_cast<uint8_t>(1u << bit);
        f.outcome = Classify(b, original);
        WriteBytes(dir + "/" + f.name, b);
        files.push_back(f);
      }
    }
  }
  files.push_back({"empty.jpg", 0, true, false});
  WriteBytes(dir + "/empty.jpg", {});

  // Counts by kind, reported in the test log and docs/HARDENING.md.
  std::set<std::string> rejected, scored(originals.begin(), originals.end());
  int silent_jpeg_header = 0, silent_jpeg_entropy = 0, identical = 0;
  for (const CorruptFile& f : files) {
    if (f.outcome == Outcome::kRejected) rejected.insert(f.name);
    else scored.insert(f.name);
    if (f.outcome == Outcome::kIdentical) ++identical;
    if (f.outcome == Outcome::kSilent) {
      EXPECT_FALSE(f.truncated) << f.name << ": truncated file decoded to other pixels";
      EXPECT_FALSE(f.png) << f.name << ": PNG bit flip decoded to other pixels";
      ++(f.in_header ? silent_jpeg_header : silent_jpeg_entropy);
    }
  }
  std::printf("corrupt corpus: %zu files (%zu originals), %zu rejected, %d decode identically, "
              "undetectable JPEG flips: %d in header segments, %d in entropy data\n",
              files.size() + originals.size(), originals.size(), rejected.size(), identical,
              silent_jpeg_header, silent_jpeg_entropy);
  RecordProperty("rejected", static_cast<int>(rejected.size()));
  RecordProperty("silent_jpeg_flips", silent_jpeg_header + silent_jpeg_entropy);
  ASSERT_GE(rejected.size(), 200u);

  // Labels file: originals first, then each source's corrupt copies.
  std::ofstream labels(dir + "/labels.txt");
  for (size_t s = 0; s < originals.size(); ++s)
    labels << originals[s] << " " << sources[s / 2].second << "\n";
  for (const CorruptFile& f : files) labels << f.name << " " << f.label << "\n";
  labels.close();
  const size_t total = originals.size() + files.size();

  test::CliResult r = test::RunCli(
      {"validate", "--data", dir, "--labels", dir + "/labels.txt", "--limit", std::to_string(total),
       "--codec", "none", "--threads", "1", "--json", dir + "/summary.json", "--predictions",
       dir + "/predictions.csv"});
  ASSERT_EQ(r.code, 4) << test::Describe(r);
  nlohmann::json j = nlohmann::json::parse(ReadText(dir + "/summary.json"));
  EXPECT_EQ(j["n"].get<size_t>(), scored.size());
  EXPECT_EQ(j["n_failed"].get<size_t>(), rejected.size());
  std::set<std::string> failed;
  for (const auto& f : j["failed"]) failed.insert(f["file"].get<std::string>());
  EXPECT_EQ(failed, rejected);
  for (const std::string& name : rejected)
    EXPECT_NE(r.err.find("error: " + dir + "/" + name + ": "), std::string::npos)
        << name << " not named on stderr";
  std::set<std::string> predicted;
  std::istringstream csv(ReadText(dir + "/predictions.csv"));
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) predicted.insert(line.substr(0, line.find(',')));
  EXPECT_EQ(predicted, scored);
  EXPECT_NE(r.out.find("(" + std::to_string(scored.size()) + " images, " +
                       std::to_string(rejected.size()) + " failed)"),
            std::string::npos)
      << r.out;
}

// ---------------------------------------------------------------------------
// The compressed pool: single-bit faults and capacity.

// A MapStore forwarding to a pool that the test replaces between images.
class SwapStore : public MapStore {
 public:
  std::unique_ptr<CompressedPool> pool;
  Status BeginImage() override { return pool->BeginImage(); }
  Status Store(const MapInfo& m, const uint8_t* d) override { return pool->Store(m, d); }
  Status Load(const MapInfo& m, int c, uint8_t* d) override { return pool->Load(m, c, d); }
  Status Free(const MapInfo& m) override { return pool->Free(m); }
  Status EndImage() override { return pool->EndImage(); }
  void AbortImage() override { pool->AbortImage(); }
};

std::string TestImage() {
  if (test::HaveSharedData()) {
    std::ifstream val(test::SharedData() + "/val.txt");
    std::string file;
    if (val >> file) return test::SharedData() + "/images/" + file;
  }
  const std::vector<std::string> photos = DefaultPhotos();
  return photos.empty() ? "" : photos.front();
}

class PoolFaults : public ::testing::TestWithParam<codec::Mode> {};

TEST_P(PoolFaults, EverySingleBitFlipIsDetectedAndNamesTheLayer) {
  DCTCM_REQUIRE_WEIGHTS();
  const std::string image = TestImage();
  if (image.empty()) GTEST_SKIP() << "no test image (shared subset or default photos)";
  SwapStore store;
  SessionOptions o;
  o.threads = 2;
  o.store = &store;
  Session s;
  Status st = s.Open(o);
  ASSERT_TRUE(st.ok()) << st.message();
  std::vector<float> in, logits, probs, ref;
  st = LoadInput(image, s.options().preprocess, s.options().limits, &in);
  ASSERT_TRUE(st.ok()) << st.message();
  PoolOptions po;
  po.codec.mode = GetParam();
  po.segments_per_image = 2;

  struct Stored {
    MapInfo info;
    size_t bytes;
  };
  std::vector<Stored> stored;
  store.pool = std::make_unique<CompressedPool>(po);
  store.pool->after_store = [&](const MapInfo& m, uint8_t*, size_t n) {
    stored.push_back({m, n});
  };
  st = s.Run(in, 1, &logits, &ref);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_GE(stored.size(), 50u);  // ResNet-50: every map read by a later op

  // A sample of maps across the network (first, last, every 7th), each with
  // flips in its first byte, last byte and two random positions.
  std::mt19937 rng(7);
  int runs = 0;
  for (size_t k = 0; k < stored.size(); ++k) {
    if (k % 7 != 0 && k + 1 != stored.size()) continue;
    const Stored& target = stored[k];
    const size_t n = target.bytes;
    for (size_t pos : {size_t{0}, n - 1, rng() % n, rng() % n}) {
      const int bit = static_cast<int>(rng() % 8);
      store.pool = std::make_unique<CompressedPool>(po);
      int flips = 0;
      store.pool->after_store = [&](const MapInfo& m, uint8_t* b, size_t nb) {
        if (m.op != target.info.op) return;
        ASSERT_EQ(nb, n);  // deterministic: the same stream as the clean run
        b[pos] ^= static_cast<uint8_t>(1u << bit);
        ++flips;
      };
      st = s.Run(in, 1, &logits, &probs);
      ++runs;
      EXPECT_EQ(flips, 1);
      ASSERT_FALSE(st.ok()) << "flip of bit " << bit << " at byte " << pos << " of "
                            << target.info.name << " went undetected (outputs "
                            << (probs == ref ? "unchanged" : "CHANGED") << ")";
      EXPECT_EQ(st.code(), StatusCode::kRuntime);
      EXPECT_NE(st.message().find("'" + target.info.name + "'"), std::string::npos)
          << st.message();
      // The failed image's maps were dropped; once per map, the same pool
      // runs the image again, cleanly, with the same outputs.
      EXPECT_EQ(store.pool->in_use(), 0u);
      if (pos == 0) {
        store.pool->after_store = nullptr;
        st = s.Run(in, 1, &logits, &probs);
        ASSERT_TRUE(st.ok()) << "after a failed image: " << st.message();
        EXPECT_EQ(probs, ref);
      }
    }
  }
  std::printf("%s: %d single-bit flips over %zu stored maps, all detected\n",
              codec::ModeName(GetParam()), runs, stored.size());
  // The session still works with a fresh pool.
  store.pool = std::make_unique<CompressedPool>(po);
  st = s.Run(in, 1, &logits, &probs);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(probs, ref);
}

INSTANTIATE_TEST_SUITE_P(Codecs, PoolFaults, ::testing::Values(codec::Mode::kDctcm, codec::Mode::kPzvc),
                         [](const auto& info) { return std::string(codec::ModeName(info.param)); });

// Number after `key` in a message, e.g. "capacity 123".
uint64_t Field(const std::string& msg, const std::string& key) {
  size_t p = msg.find(key);
  if (p == std::string::npos) return 0;
  return std::stoull(msg.substr(p + key.size()));
}

TEST(PoolCapacity, OneByteBelowThePeakFailsAtThePeakSucceeds) {
  DCTCM_REQUIRE_WEIGHTS();
  const std::string image = TestImage();
  if (image.empty()) GTEST_SKIP() << "no test image (shared subset or default photos)";
  // The CLI's own configuration (codec dctcm with the calibration's tuning,
  // one segment per thread), so that the peak also holds for `dctcm classify`.
  auto open = [&](Session* s, uint64_t pool_bytes) {
    SessionOptions o;
    o.threads = 2;
    o.codec = "dctcm";
    o.pool_bytes = pool_bytes;
    return s->Open(o);
  };
  Session ample;
  ASSERT_TRUE(open(&ample, 0).ok());
  std::vector<float> in, logits, ref, probs;
  Status st = LoadInput(image, ample.options().preprocess, ample.options().limits, &in);
  ASSERT_TRUE(st.ok()) << st.message();
  st = ample.Run(in, 1, &logits, &ref);
  ASSERT_TRUE(st.ok()) << st.message();
  const uint64_t peak = ample.pool()->peak_bytes();
  ASSERT_GT(peak, 0u);

  Session below;
  ASSERT_TRUE(open(&below, peak - 1).ok());
  st = below.Run(in, 1, &logits, &probs);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kPoolExhausted) << st.message();
  const std::string& msg = st.message();
  const size_t q = msg.find("layer '");
  ASSERT_NE(q, std::string::npos) << msg;
  const std::string layer = msg.substr(q + 7, msg.find('\'', q + 7) - q - 7);
  EXPECT_GE(ample.model().FindOp(layer), 0) << msg;
  const uint64_t requested = Field(msg, "requested "), in_use = Field(msg, "in use ");
  EXPECT_EQ(Field(msg, "capacity "), peak - 1) << msg;
  EXPECT_GT(requested, 0u) << msg;
  EXPECT_GT(in_use + requested, peak - 1) << msg;
  EXPECT_NE(msg.find("peak "), std::string::npos) << msg;

  Session at;
  ASSERT_TRUE(open(&at, peak).ok());
  st = at.Run(in, 1, &logits, &probs);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(probs, ref);
  EXPECT_EQ(at.pool()->peak_bytes(), peak);

  // The same through the CLI: exit 3 and the same message, then exit 0.
  test::CliResult r = test::RunCli({"classify", "--threads", "2", "--codec", "dctcm",
                                    "--pool-bytes", std::to_string(peak - 1), image});
  EXPECT_EQ(r.code, 3) << test::Describe(r);
  EXPECT_NE(r.err.find(msg), std::string::npos) << test::Describe(r);
  r = test::RunCli({"classify", "--threads", "2", "--codec", "dctcm", "--pool-bytes",
                    std::to_string(peak), image});
  EXPECT_EQ(r.code, 0) << test::Describe(r);
}

}  // namespace
}  // namespace dctcm

// Image decoding and preprocessing: formats, limits, corrupt data, crops.
#include <opencv2/imgcodecs.hpp>

#include "engine/image.h"
#include "tests/test_util.h"

namespace dctcm {
namespace {

std::vector<uint8_t> Encode(const cv::Mat& m, const std::string& ext) {
  std::vector<uint8_t> buf;
  EXPECT_TRUE(cv::imencode(ext, m, buf));
  return buf;
}

cv::Mat Pattern(int w, int h, int type) {
  cv::Mat m(h, w, type);
  cv::randu(m, 0, type == CV_16UC3 ? 65535 : 255);
  return m;
}

TEST(Image, DecodesColourGrayAlphaAnd16Bit) {
  ImageLimits lim;
  for (int type : {CV_8UC3, CV_8UC1, CV_8UC4, CV_16UC3}) {
    auto buf = Encode(Pattern(31, 17, type), ".png");
    Image img;
    Status st = DecodeImage(buf.data(), buf.size(), "x.png", lim, &img);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(img.width, 31);
    EXPECT_EQ(img.height, 17);
    EXPECT_EQ(img.bgr.size(), 31u * 17 * 3);
  }
  cv::Mat g = Pattern(40, 30, CV_8UC1);
  auto buf = Encode(g, ".png");
  Image img;
  ASSERT_TRUE(DecodeImage(buf.data(), buf.size(), "g.png", lim, &img).ok());
  for (int i = 0; i < 40 * 30; ++i) {  // gray replicated into B, G and R
    ASSERT_EQ(img.bgr[3 * i], g.data[i]);
    ASSERT_EQ(img.bgr[3 * i + 2], g.data[i]);
  }
}

TEST(Image, RejectsOtherFormats) {
  auto bmp = Encode(Pattern(8, 8, CV_8UC3), ".bmp");
  Image img;
  Status st = DecodeImage(bmp.data(), bmp.size(), "a.bmp", ImageLimits{}, &img);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("a.bmp"), std::string::npos);
  EXPECT_NE(st.message().find("JPEG or PNG"), std::string::npos);
  const uint8_t gif[] = "GIF89a\x01\x00\x01\x00";
  EXPECT_FALSE(DecodeImage(gif, sizeof gif, "a.gif", ImageLimits{}, &img).ok());
}

TEST(Image, SizeCapIsCheckedFromTheHeader) {
  auto buf = Encode(Pattern(300, 200, CV_8UC3), ".jpg");
  ImageLimits lim;
  lim.max_width = 299;
  Image img;
  Status st = DecodeImage(buf.data(), buf.size(), "big.jpg", lim, &img);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("300x200"), std::string::npos) << st.message();
  lim = ImageLimits{};
  lim.max_pixels = 300 * 200 - 1;
  EXPECT_FALSE(DecodeImage(buf.data(), buf.size(), "big.jpg", lim, &img).ok());
}

TEST(Image, TruncatedAndFlippedFilesFailCleanly) {
  ImageLimits lim;
  for (const char* ext : {".jpg", ".png"}) {
    auto buf = Encode(Pattern(64, 48, CV_8UC3), ext);
    for (size_t n : {size_t(0), size_t(2), size_t(10), buf.size() / 3, buf.size() / 2}) {
      Image img;
      Status st = DecodeImage(buf.data(), n, "t", lim, &img);
      EXPECT_FALSE(st.ok()) << ext << " " << n;
    }
    std::mt19937 rng(5);
    for (int i = 0; i < 200; ++i) {  // must not crash; may decode
      auto b = buf;
      b[rng() % b.size()] ^= uint8_t(1u << (rng() % 8));
      Image img;
      (void)DecodeImage(b.data(), b.size(), "f", lim, &img);
    }
  }
}

TEST(Image, CropRules) {
  PreprocessConfig cfg;
  Image img;
  std::vector<uint8_t> out;
  // 227x227 (pre-scaled ImageNet): centre crop only, offset 1.
  img.width = img.height = 227;
  img.bgr.resize(227 * 227 * 3);
  for (size_t i = 0; i < img.bgr.size(); ++i) img.bgr[i] = uint8_t(i / 3 % 227);  // x coordinate
  ASSERT_TRUE(CropImage(img, cfg, &out).ok());
  ASSERT_EQ(out.size(), 224u * 224 * 3);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[3 * 223], 224);
  // Large image: shorter side to 256, then crop.
  img.width = 512, img.height = 300;
  img.bgr.assign(512 * 300 * 3, 7);
  ASSERT_TRUE(CropImage(img, cfg, &out).ok());
  EXPECT_EQ(out.size(), 224u * 224 * 3);
  // Small image: scaled up to the crop.
  img.width = 100, img.height = 150;
  img.bgr.assign(100 * 150 * 3, 9);
  ASSERT_TRUE(CropImage(img, cfg, &out).ok());
  EXPECT_EQ(out.size(), 224u * 224 * 3);
  EXPECT_EQ(out[5000], 9);
}

}  // namespace
}  // namespace dctcm

// Writes the seed corpus of the fuzz_image target into OUT_DIR, at build
// time (nothing image-like is committed):
//   dctcm_make_image_seeds OUT_DIR
// Three small pictures drawn here (gradients, shapes, text, noise; fixed
// seeds, so the bytes are the same on every build), each written as colour /
// gray / progressive / CMYK (or Adobe-inverted YCCK) JPEG and colour / gray /
// alpha / 16-bit PNG, and one regression input: the colour JPEG of the first
// picture with its first DHT segment declaring 16 x 255 codes (more than
// the 256 a table can hold; stb_image 2.27 wrote past its tables on it,
// docs/HARDENING.md), which the decoder must reject.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

namespace {

std::string g_dir;

void Write(const std::string& name, const std::vector<uint8_t>& b) {
  const std::string path = g_dir + "/" + name;
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!f) {
    std::fprintf(stderr, "%s: cannot write\n", path.c_str());
    std::exit(1);
  }
}

// libjpeg directly: OpenCV cannot write CMYK (ImageNet has CMYK JPEGs).
std::vector<uint8_t> CmykJpeg(const cv::Mat& bgr, bool adobe_inverted) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* mem = nullptr;
  unsigned long n = 0;
  jpeg_mem_dest(&c, &mem, &n);
  c.image_width = bgr.cols;
  c.image_height = bgr.rows;
  c.input_components = 4;
  c.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_set_colorspace(&c, adobe_inverted ? JCS_YCCK : JCS_CMYK);
  jpeg_set_quality(&c, 85, TRUE);
  jpeg_start_compress(&c, TRUE);
  std::vector<uint8_t> row(size_t{4} * bgr.cols);
  while (c.next_scanline < c.image_height) {
    const uint8_t* p = bgr.ptr(c.next_scanline);
    for (int x = 0; x < bgr.cols; ++x) {
      const int b = p[3 * x], g = p[3 * x + 1], r = p[3 * x + 2];
      const int k = 255 - std::max({r, g, b});
      uint8_t* o = &row[4 * x];
      o[0] = uint8_t(255 - r - k), o[1] = uint8_t(255 - g - k), o[2] = uint8_t(255 - b - k);
      o[3] = uint8_t(k);
      if (adobe_inverted) for (int i = 0; i < 4; ++i) o[i] = uint8_t(255 - o[i]);
    }
    JSAMPROW rp = row.data();
    jpeg_write_scanlines(&c, &rp, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::vector<uint8_t> out(mem, mem + n);
  free(mem);
  return out;
}

std::vector<uint8_t> Encode(const cv::Mat& m, const std::string& ext,
                            const std::vector<int>& params = {}) {
  std::vector<uint8_t> b;
  if (!cv::imencode(ext, m, b, params)) std::exit(1);
  return b;
}

// Picture k: w x h BGR, a two-axis gradient, a few filled shapes, a line
// of text and some noise, so that every JPEG block and PNG filter sees
// varied content.
cv::Mat Picture(int k, int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      m.at<cv::Vec3b>(y, x) = cv::Vec3b(uint8_t(255 * x / w), uint8_t(255 * y / h),
                                        uint8_t((60 * k + 7 * x + 3 * y) & 255));
  cv::RNG rng(0x5eed + k);
  for (int i = 0; i < 4; ++i) {
    const cv::Scalar colour(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256));
    const cv::Point c(rng.uniform(0, w), rng.uniform(0, h));
    if (i % 2) cv::circle(m, c, rng.uniform(2, std::max(3, h / 3)), colour, cv::FILLED);
    else cv::rectangle(m, c, c + cv::Point(rng.uniform(2, w / 2), rng.uniform(2, h / 2)), colour, cv::FILLED);
  }
  cv::putText(m, "dctcm", cv::Point(1, h - 2), cv::FONT_HERSHEY_PLAIN, 0.6, cv::Scalar(255, 255, 255));
  cv::Mat noise(h, w, CV_8UC3);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 24);
  m += noise;
  return m;
}

// The first DHT segment's 16 code-length counts set to 255 each.
std::vector<uint8_t> OverfullDht(std::vector<uint8_t> jpg) {
  for (size_t i = 2; i + 4 + 1 + 16 < jpg.size(); ++i) {
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xC4) {
      std::fill(jpg.begin() + long(i + 5), jpg.begin() + long(i + 5 + 16), uint8_t{255});
      return jpg;
    }
  }
  std::fprintf(stderr, "no DHT segment in the JPEG\n");
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  g_dir = argv[1];
  for (int k = 0; k < 3; ++k) {
    const int w = 24 + 5 * k, h = 17 + 3 * k;
    cv::Mat m = Picture(k, w, h), g, a, s16;
    cv::cvtColor(m, g, cv::COLOR_BGR2GRAY);
    cv::cvtColor(m, a, cv::COLOR_BGR2BGRA);
    m.convertTo(s16, CV_16UC3, 257.0);
    const std::string n = "img" + std::to_string(k);
    const std::vector<uint8_t> jpg = Encode(m, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90});
    Write(n + ".jpg", jpg);
    Write(n + "_gray.jpg", Encode(g, ".jpg"));
    Write(n + "_progressive.jpg", Encode(m, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
    Write(n + "_cmyk.jpg", CmykJpeg(m, k % 2 == 0));
    Write(n + ".png", Encode(m, ".png"));
    Write(n + "_gray.png", Encode(g, ".png"));
    Write(n + "_alpha.png", Encode(a, ".png"));
    Write(n + "_16bit.png", Encode(s16, ".png"));
    if (k == 0) Write("regress_dht_over_256_codes.jpg", OverfullDht(jpg));
  }
  return 0;
}

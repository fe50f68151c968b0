#include "engine/image.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

extern "C" int stbi_info_from_memory(const unsigned char* buffer, int len,
                                     int* x, int* y, int* comp);

namespace dctcm {

Status DecodeImage(const uint8_t* data, size_t size, const std::string& name,
                   const ImageLimits& limits, Image* out) {
  const bool jpeg = size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
  const bool png = size >= 8 && std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0;
  if (!jpeg && !png)
    return Error(name + ": not a JPEG or PNG file (unsupported image format)");
  if (size > limits.max_file_bytes || size > static_cast<size_t>(INT32_MAX))
    return Error(name + ": file of " + std::to_string(size) +
                 " bytes exceeds the limit of " +
                 std::to_string(limits.max_file_bytes));
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, static_cast<int>(size), &w, &h, &comp))
    return Error(name + std::string(": corrupt ") + (jpeg ? "JPEG" : "PNG") +
                 " header");
  if (w <= 0 || h <= 0 || w > limits.max_width || h > limits.max_height ||
      int64_t{w} * h > limits.max_pixels)
    return Error(name + ": image of " + std::to_string(w) + "x" +
                 std::to_string(h) + " exceeds the limit of " +
                 std::to_string(limits.max_width) + "x" +
                 std::to_string(limits.max_height) + ", " +
                 std::to_string(limits.max_pixels) + " pixels");
  cv::Mat m;
  try {
    // libjpeg-turbo / libpng through OpenCV: the same decoders (islow IDCT,
    // fancy upsampling) as the reference pipeline. IMREAD_COLOR turns
    // grayscale, CMYK, palette and 16-bit inputs into 8-bit BGR.
    cv::Mat buf(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data));
    m = cv::imdecode(buf, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return Error(name + ": image decoder failed: " + e.what());
  }
  if (m.empty() || m.type() != CV_8UC3)
    return Error(name + std::string(": corrupt or truncated ") +
                 (jpeg ? "JPEG" : "PNG") + " data");
  if (m.cols != w || m.rows != h)
    return Error(name + ": decoded size differs from header");
  out->width = m.cols;
  out->height = m.rows;
  out->bgr.resize(size_t{3} * m.cols * m.rows);
  for (int y = 0; y < m.rows; ++y)
    std::memcpy(out->bgr.data() + size_t{3} * m.cols * y, m.ptr(y), size_t{3} * m.cols);
  return Status::Ok();
}

Status LoadImageFile(const std::string& path, const ImageLimits& limits,
                     Image* out) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return Error(path + ": cannot open image file");
  std::streamoff n = f.tellg();
  if (n <= 0) return Error(path + ": empty or unreadable image file");
  if (static_cast<size_t>(n) > limits.max_file_bytes)
    return Error(path + ": file of " + std::to_string(n) +
                 " bytes exceeds the limit of " +
                 std::to_string(limits.max_file_bytes));
  std::vector<uint8_t> buf(static_cast<size_t>(n));
  f.seekg(0);
  f.read(reinterpret_cast<char*>(buf.data()), n);
  if (!f) return Error(path + ": read failed");
  return DecodeImage(buf.data(), buf.size(), path, limits, out);
}

Status CropImage(const Image& img, const PreprocessConfig& cfg,
                 std::vector<uint8_t>* out) {
  if (cfg.crop < 1 || cfg.resize < cfg.crop)
    return UsageError("preprocessing: need 1 <= crop <= resize");
  cv::Mat m(img.height, img.width, CV_8UC3, const_cast<uint8_t*>(img.bgr.data()));
  cv::Mat scaled = m;
  int shorter = std::min(img.width, img.height);
  bool prescaled = img.width == 227 && img.height == 227;
  int target = 0;
  if (shorter >= cfg.resize && !prescaled) target = cfg.resize;
  else if (shorter < cfg.crop) target = cfg.crop;
  if (target && shorter != target) {
    int w = static_cast<int>(int64_t{img.width} * target / shorter);
    int h = static_cast<int>(int64_t{img.height} * target / shorter);
    if (img.width == shorter) w = target;
    else h = target;
    cv::resize(m, scaled, cv::Size(w, h), 0, 0,
               target < shorter ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  int y0 = (scaled.rows - cfg.crop) / 2, x0 = (scaled.cols - cfg.crop) / 2;
  out->resize(size_t{3} * cfg.crop * cfg.crop);
  for (int y = 0; y < cfg.crop; ++y)
    std::memcpy(out->data() + size_t{3} * cfg.crop * y,
                scaled.ptr(y0 + y) + 3 * x0, size_t{3} * cfg.crop);
  return Status::Ok();
}

void NormalizeImage(const std::vector<uint8_t>& bgr, const PreprocessConfig& cfg,
                    float* dst) {
  for (size_t i = 0; i < bgr.size(); ++i) dst[i] = bgr[i] - cfg.mean_bgr[i % 3];
}

Status LoadInput(const std::string& path, const PreprocessConfig& cfg,
                 const ImageLimits& limits, std::vector<float>* input,
                 std::vector<uint8_t>* bgr_crop) {
  Image img;
  DCTCM_RETURN_IF_ERROR(LoadImageFile(path, limits, &img));
  std::vector<uint8_t> crop;
  DCTCM_RETURN_IF_ERROR(CropImage(img, cfg, &crop));
  input->resize(crop.size());
  NormalizeImage(crop, cfg, input->data());
  if (bgr_crop) *bgr_crop = std::move(crop);
  return Status::Ok();
}

}  // namespace dctcm

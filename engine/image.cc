#include "engine/image.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <csetjmp>
#include <cstdio>
#include <jpeglib.h>

extern "C" int stbi_info_from_memory(const unsigned char* buffer, int len,
                                     int* x, int* y, int* comp);

namespace dctcm {
namespace {

// libjpeg-turbo directly (the decoder the reference pipeline used: islow
// IDCT, fancy upsampling), with every libjpeg warning ("premature end of
// data", "bad Huffman code", "corrupt data segment") an error: a damaged JPEG
// is reported, never decoded into silent garbage.
struct JpegErr {
  jpeg_error_mgr mgr;
  jmp_buf jump;
  char msg[JMSG_LENGTH_MAX] = {0};
};

void JpegErrorExit(j_common_ptr c) {
  JpegErr* e = reinterpret_cast<JpegErr*>(c->err);
  (*c->err->format_message)(c, e->msg);
  longjmp(e->jump, 1);
}

void JpegEmit(j_common_ptr c, int level) {
  if (level < 0) JpegErrorExit(c);  // warnings are errors
}

Status CheckSize(const std::string& name, int64_t w, int64_t h, const ImageLimits& limits) {
  if (w <= 0 || h <= 0 || w > limits.max_width || h > limits.max_height ||
      w * h > limits.max_pixels)
    return Error(name + ": image of " + std::to_string(w) + "x" +
                 std::to_string(h) + " exceeds the limit of " +
                 std::to_string(limits.max_width) + "x" +
                 std::to_string(limits.max_height) + ", " +
                 std::to_string(limits.max_pixels) + " pixels");
  return Status::Ok();
}

// The JPEG header is read by libjpeg itself (not stb_image, whose JPEG marker
// parser overruns its Huffman tables on a DHT segment with more than 256
// codes), and the size is checked before any pixel buffer is allocated.
Status DecodeJpeg(const uint8_t* data, size_t size, const std::string& name,
                  const ImageLimits& limits, Image* out) {
  jpeg_decompress_struct cinfo;
  JpegErr err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = JpegErrorExit;
  err.mgr.emit_message = JpegEmit;
  // Locals modified after setjmp must not live in registers.
  std::vector<uint8_t>* volatile rows = new std::vector<uint8_t>();
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    delete rows;
    return Error(name + ": corrupt JPEG data (libjpeg: " + err.msg + ")");
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, const_cast<unsigned char*>(data), static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  if (Status st = CheckSize(name, cinfo.image_width, cinfo.image_height, limits); !st.ok()) {
    jpeg_destroy_decompress(&cinfo);
    delete rows;
    return st;
  }
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  const bool gray = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  cinfo.out_color_space = cmyk ? JCS_CMYK : gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const int w = cinfo.output_width, h = cinfo.output_height, nc = cinfo.output_components;
  rows->resize(size_t(w) * nc);
  out->width = w;
  out->height = h;
  out->bgr.resize(size_t(w) * h * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    const int y = cinfo.output_scanline;
    JSAMPROW row = rows->data();
    jpeg_read_scanlines(&cinfo, &row, 1);
    uint8_t* o = out->bgr.data() + size_t(y) * w * 3;
    const uint8_t* r = rows->data();
    for (int x = 0; x < w; ++x, o += 3) {
      if (gray) {
        o[0] = o[1] = o[2] = r[x];
      } else if (cmyk) {
        // Adobe writes inverted CMYK: the stored value is 255 - ink.
        const uint8_t* p = r + 4 * x;
        int c = p[0], m = p[1], yy = p[2], k = p[3];
        if (!cinfo.saw_Adobe_marker) c = 255 - c, m = 255 - m, yy = 255 - yy, k = 255 - k;
        o[2] = uint8_t((c * k + 127) / 255);
        o[1] = uint8_t((m * k + 127) / 255);
        o[0] = uint8_t((yy * k + 127) / 255);
      } else {
        o[0] = r[3 * x + 2], o[1] = r[3 * x + 1], o[2] = r[3 * x];
      }
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  delete rows;
  return Status::Ok();
}

// A JPEG's last scan must be followed by its end-of-image marker; libjpeg
// only warns about a missing one.
bool JpegHasEoiAfterLastScan(const uint8_t* d, size_t n) {
  size_t last_sos = 0, last_eoi = 0;
  for (size_t i = 2; i + 1 < n; ++i) {
    if (d[i] != 0xFF) continue;
    if (d[i + 1] == 0xDA) last_sos = i;
    else if (d[i + 1] == 0xD9) last_eoi = i;
  }
  return last_sos && last_eoi > last_sos;
}

}  // namespace

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
  if (jpeg) {
    if (!JpegHasEoiAfterLastScan(data, size))
      return Error(name + ": truncated JPEG (no end-of-image marker after the last scan)");
    Image img;
    DCTCM_RETURN_IF_ERROR(DecodeJpeg(data, size, name, limits, &img));
    *out = std::move(img);
    return Status::Ok();
  }
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, static_cast<int>(size), &w, &h, &comp))
    return Error(name + ": corrupt PNG header");
  DCTCM_RETURN_IF_ERROR(CheckSize(name, w, h, limits));
  cv::Mat m;
  try {
    // PNG through OpenCV's libpng: chunk CRCs are checked, and IMREAD_COLOR
    // turns grayscale, palette, alpha and 16-bit images into 8-bit BGR.
    cv::Mat buf(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data));
    m = cv::imdecode(buf, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return Error(name + ": image decoder failed: " + e.what());
  }
  if (m.empty() || m.type() != CV_8UC3)
    return Error(name + ": corrupt or truncated PNG data");
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
                 std::vector<uint8_t>* out, int64_t max_scaled_pixels) {
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
    if (int64_t{w} * h > max_scaled_pixels)
      return Error("image of " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                   " would be scaled to " + std::to_string(w) + "x" + std::to_string(h) +
                   ", more than " + std::to_string(max_scaled_pixels) +
                   " pixels (aspect ratio too extreme)");
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
  if (Status st = CropImage(img, cfg, &crop, limits.max_pixels); !st.ok())
    return st.code() == StatusCode::kUsage ? st : Error(path + ": " + st.message());
  input->resize(crop.size());
  NormalizeImage(crop, cfg, input->data());
  if (bgr_crop) *bgr_crop = std::move(crop);
  return Status::Ok();
}

}  // namespace dctcm

// Image decoding and preprocessing, the one path every subcommand uses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/status.h"

namespace dctcm {

struct ImageLimits {
  int max_width = 16384;
  int max_height = 16384;
  int64_t max_pixels = 64ll << 20;  // 64 Mpixel
  size_t max_file_bytes = 256u << 20;
};

struct PreprocessConfig {
  int resize = 256;  // shorter side before the centre crop
  int crop = 224;
  // Keras 'caffe' mode: BGR order, per-channel mean subtracted, no scaling.
  float mean_bgr[3] = {103.939f, 116.779f, 123.68f};
};

// Decoded 8-bit BGR image, HWC.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> bgr;
};

// Decodes a JPEG or PNG held in memory (any other format: error). Checks the
// dimensions from the header against `limits` before decoding; grayscale,
// CMYK, 16-bit and alpha inputs come out as 8-bit BGR (alpha dropped).
Status DecodeImage(const uint8_t* data, size_t size, const std::string& name,
                   const ImageLimits& limits, Image* out);
Status LoadImageFile(const std::string& path, const ImageLimits& limits,
                     Image* out);

// Resize + centre crop as the reference does: an image whose shorter side is
// at least `resize` (and that is not the 227x227 of the pre-scaled ImageNet
// copies) is scaled so that its shorter side is `resize`, then the centre
// `crop` x `crop` is taken; smaller images are cropped directly (and scaled
// up to `crop` first when smaller than it). Returns BGR bytes crop*crop*3.
// An image whose scaled size would exceed `max_scaled_pixels` (a 16384x1
// strip becomes 3670016x224) is an error, not a multi-gigabyte allocation.
Status CropImage(const Image& img, const PreprocessConfig& cfg,
                 std::vector<uint8_t>* bgr_crop,
                 int64_t max_scaled_pixels = ImageLimits().max_pixels);
// Mean subtraction into float NHWC (one image).
void NormalizeImage(const std::vector<uint8_t>& bgr_crop,
                    const PreprocessConfig& cfg, float* dst);

// Whole path from file to network input (one image, crop*crop*3 floats).
Status LoadInput(const std::string& path, const PreprocessConfig& cfg,
                 const ImageLimits& limits, std::vector<float>* input,
                 std::vector<uint8_t>* bgr_crop = nullptr);

}  // namespace dctcm

// Contract: DecodeImage (the function every subcommand decodes through, via
// LoadImageFile) accepts or rejects any bytes with a Status naming the input,
// never crashes, never lets a decoder exception escape, never decodes past the
// size limits, and what it accepts is a consistent 8-bit BGR image that the
// preprocessing (CropImage, NormalizeImage) handles.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/image.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Limits well below the defaults keep one execution cheap; the checks are
  // the same code with other numbers.
  dctcm::ImageLimits lim;
  lim.max_width = 2048;
  lim.max_height = 2048;
  lim.max_pixels = 1 << 20;
  lim.max_file_bytes = 1 << 20;
  dctcm::Image img;
  dctcm::Status st = dctcm::DecodeImage(data, size, "fuzz.img", lim, &img);
  if (!st.ok()) {
    FUZZ_CHECK(st.message().rfind("fuzz.img: ", 0) == 0);
    return 0;
  }
  FUZZ_CHECK(img.width >= 1 && img.height >= 1);
  FUZZ_CHECK(img.width <= lim.max_width && img.height <= lim.max_height);
  FUZZ_CHECK(int64_t{img.width} * img.height <= lim.max_pixels);
  FUZZ_CHECK(img.bgr.size() == size_t{3} * img.width * img.height);
  dctcm::PreprocessConfig cfg;
  cfg.resize = 20;
  cfg.crop = 16;
  std::vector<uint8_t> crop;
  FUZZ_CHECK(dctcm::CropImage(img, cfg, &crop).ok());
  FUZZ_CHECK(crop.size() == size_t{3} * 16 * 16);
  std::vector<float> in(crop.size());
  dctcm::NormalizeImage(crop, cfg, in.data());
  return 0;
}

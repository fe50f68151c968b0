// dctcm tune: chooses each map's codec mode and DCT-CM parameters on
// calibration images under an accuracy budget (docs/TUNING.md).
#pragma once

#include <string>
#include <vector>

#include "engine/dataset.h"
#include "engine/pool.h"
#include "engine/session.h"

namespace dctcm {

struct TuneOptions {
  int map_images = 8;        // images whose maps size every candidate offline
  int sens_images = 32;      // images on which each candidate's effect is measured
  double min_agreement = 0.98;  // top-1 agreement with uncompressed int8 (verification)
  double max_mean_kl = 0.006;   // mean KL(int8 || int8+codec) over verification images
  double min_snr_db = 14;    // candidates noisier than this are not considered
  int batch = 8;             // images per forward pass when scoring (results do not depend on it)
  bool verbose = false;
};

struct TuneResult {
  CodecConfig config;        // per_layer filled for every stored map
  double agreement = 0, mean_kl = 0;  // on the verification images
  int verify_images = 0;
  double ratio_total = 0, ratio_mean = 0;  // estimated from the map images
  double lossless_ratio_total = 0, lossless_ratio_mean = 0;
  std::string summary;
  std::string log;           // one line per layer: choice, bytes, SNR, KL
};

// `s` is an int8 session opened with codec "dctcm" (its pool is retuned in
// place). `items`: the calibration images (verification uses all of them;
// the first map_images / sens_images serve the offline and sensitivity steps).
Status TuneCodec(Session* s, const std::vector<DatasetItem>& items, const TuneOptions& opt,
                 TuneResult* out);

// Channel order that puts similar channels next to each other (greedy
// nearest-neighbour chain on mean squared difference over sample pixels).
std::vector<uint16_t> ChainPermutation(const std::vector<const uint8_t*>& maps, size_t pixels,
                                       int c, bool is_signed);

}  // namespace dctcm

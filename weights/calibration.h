// Activation scales of the int8 network and the codec tuning, stored as a
// versioned JSON file tied to the weight file's hash (docs/CALIBRATION.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "engine/status.h"

namespace dctcm {

struct Calibration {
  std::string method = "max";        // max | percentile | mse
  int images = 0;                    // how many images it was measured on
  std::string source;                // what they were (folder / labels file)
  uint64_t weights_hash = 0;         // FNV-1a 64 of the weight file
  // real value = quantised value * scale; "input" is the network input (int8),
  // every other key is an op output name.
  std::map<std::string, float> scales;
  std::string codec_json;            // tuning (dctcm tune), raw JSON object text; empty if none
  std::string path;                  // where it was read from
  uint64_t file_hash = 0;            // FNV-1a 64 of the file's bytes (set by the reader)
};

Status WriteCalibration(const std::string& path, const Calibration& c);
// Checks format/version, the weight hash against `expected_weights_hash`
// (0 = skip), and that every scale is finite and positive.
Status ReadCalibration(const std::string& path, uint64_t expected_weights_hash,
                       Calibration* c);
Status ParseCalibration(const std::string& text, const std::string& name,
                        uint64_t expected_weights_hash, Calibration* c);

}  // namespace dctcm

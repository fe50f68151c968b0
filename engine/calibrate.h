// Post-training calibration of the int8 activation scales: runs the fp32
// network on images and turns each map's value distribution into a scale.
#pragma once

#include <string>
#include <vector>

#include "engine/dataset.h"
#include "engine/session.h"
#include "weights/calibration.h"

namespace dctcm {

struct CalibrateOptions {
  std::string method = "max";  // max | percentile | mse
  double percentile = 99.999;  // for "percentile"
  int batch = 1;
  double progress_seconds = 5;
};

// `fp32` must be an fp32 session. Every op output that the int8 network
// stores gets a scale (uint8 range for ReLU outputs, int8 otherwise), and
// "input" the int8 scale of the preprocessed image. Images that fail to load
// are reported on stderr and skipped; `used` returns how many were measured.
Status CalibrateScales(Session* fp32, const std::vector<DatasetItem>& items,
                       const CalibrateOptions& opt, Calibration* out, int* used);

}  // namespace dctcm

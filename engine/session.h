// A loaded model ready to classify: weights, calibration, networks per batch
// size, preprocessing. What the CLI's subcommands and the public API use.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/dataset.h"
#include "engine/image.h"
#include "engine/model.h"
#include "engine/network.h"
#include "weights/calibration.h"

namespace dctcm {

// Default locations: $DCTCM_CACHE, else $XDG_CACHE_HOME/dctcm, else
// ~/.cache/dctcm.
std::string CacheDir();
std::string DefaultWeightsPath();      // CacheDir()/resnet50.dctw
std::string DefaultCalibrationPath();  // CacheDir()/calibration.json
std::string DefaultPhotosDir();        // CacheDir()/photos
std::vector<std::string> DefaultPhotos();  // sorted *.png/*.jpg there

struct SessionOptions {
  std::string weights;      // empty: default
  std::string calibration;  // empty: default (int8 only)
  Precision precision = Precision::kInt8;
  int threads = 0;          // 0: all cores
  PreprocessConfig preprocess;
  ImageLimits limits;
  MapStore* store = nullptr;
  bool time_layers = false;
};

class Session {
 public:
  Status Open(const SessionOptions& opt);
  // Runs a batch of preprocessed inputs (n images); creates the network for
  // batch size n on first use.
  Status Run(const std::vector<float>& inputs, int n, std::vector<float>* logits,
             std::vector<float>* probs);
  Network* network(int batch);  // null until Run/Prepare with that batch
  // Creates (once) the network for batch size n.
  Status Prepare(int n, Network** net);
  const Model& model() const { return model_; }
  const Calibration& calibration() const { return calib_; }
  const SessionOptions& options() const { return opt_; }
  size_t input_size() const {
    return size_t(opt_.preprocess.crop) * opt_.preprocess.crop * 3;
  }

 private:
  SessionOptions opt_;
  Model model_;
  Calibration calib_;
  std::map<int, std::unique_ptr<Network>> nets_;
};

struct Prediction {
  std::string file;
  int label = -1;
  std::vector<int> top5;         // top-k class ids, best first (k >= 5)
  std::vector<float> top5_prob;
  bool failed = false;
  std::string error;
};

struct ValidationResult {
  int n = 0;          // images scored
  int n_failed = 0;
  int top1 = 0, top5 = 0;  // hits
  double seconds = 0;
  std::vector<Prediction> predictions;  // in input order, failed ones included
};

struct ValidationOptions {
  int batch = 1;
  int top_k = 5;                // classes kept per prediction (at least 5)
  double progress_seconds = 5;  // <= 0: no progress lines
};

Status Validate(Session* s, const std::vector<DatasetItem>& items,
                const ValidationOptions& opt, ValidationResult* r);

}  // namespace dctcm

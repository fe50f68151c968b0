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
#include "engine/pool.h"
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
  MapStore* store = nullptr;  // an external store (tests); overrides codec
  // int8 only: "none" keeps maps in place (no pool); otherwise every map goes
  // through a CompressedPool with this codec (raw|zvc|rle|csc|pzvc|dctcm).
  std::string codec = "none";
  uint64_t pool_bytes = 0;    // 0: ample
  bool use_tuning = true;     // dctcm: per-layer parameters from the calibration file
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
  CompressedPool* pool() { return pool_.get(); }  // null without a codec
  size_t input_size() const {
    return size_t(opt_.preprocess.crop) * opt_.preprocess.crop * 3;
  }

 private:
  SessionOptions opt_;
  Model model_;
  Calibration calib_;
  std::unique_ptr<CompressedPool> pool_;
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

// Fraction of images (by file name, both scored) whose top-1 class equals the
// one in a predictions CSV written by `validate --predictions`.
Status TopOneAgreement(const ValidationResult& r, const std::string& csv,
                       double* agreement, int* n);

Status Validate(Session* s, const std::vector<DatasetItem>& items,
                const ValidationOptions& opt, ValidationResult* r);

}  // namespace dctcm

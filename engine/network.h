// The runner: executes a Model's op list on oneDNN, in fp32 (the reference)
// or int8 (the default), NHWC activations throughout. It is the only place
// that moves feature maps between layers; with a MapStore attached, every map
// that one op writes and another reads goes through it (the compressed pool).
#pragma once

#include <dnnl.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/model.h"
#include "engine/status.h"
#include "weights/calibration.h"

namespace dctcm {

enum class Precision { kFp32, kInt8 };
const char* PrecisionName(Precision p);
bool ParsePrecision(const std::string& s, Precision* p);

// A feature map as the runner hands it to a store.
struct MapInfo {
  int op = -1;                // producing op index
  std::string name;
  int n = 1, h = 0, w = 0, c = 0;
  bool is_signed = false;     // int8 (projection shortcuts, the input) vs uint8
  size_t bytes() const { return size_t(n) * h * w * c; }
};

// Where int8 maps live between layers (engine/pool.h implements it).
class MapStore {
 public:
  virtual ~MapStore() = default;
  virtual Status BeginImage() = 0;
  // Takes a copy of `data` (e.g. compressed); the runner reuses its buffer.
  virtual Status Store(const MapInfo& m, const uint8_t* data) = 0;
  // Writes the map back (decoded) into `dst` (m.bytes() bytes) for `consumer`.
  virtual Status Load(const MapInfo& m, int consumer, uint8_t* dst) = 0;
  virtual Status Free(const MapInfo& m) = 0;
  virtual Status EndImage() = 0;
  // Called instead of EndImage when the image failed (a load found a
  // corrupt map, the pool was full, ...): drops the image's stored maps so
  // that the next image starts from an empty store.
  virtual void AbortImage() {}
};

struct NetworkConfig {
  Precision precision = Precision::kInt8;
  int batch = 1;
  const Calibration* calibration = nullptr;  // required for int8
  MapStore* store = nullptr;                 // int8 only; null: maps stay in place
  bool time_layers = false;
};

struct LayerTime {
  double ms = 0;        // compute (oneDNN primitive or loop)
  double load_ms = 0;   // store loads (decode) for this op's inputs
  double store_ms = 0;  // store of this op's output (encode)
};

class Network {
 public:
  Network();
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  Status Init(const Model& model, const NetworkConfig& cfg);
  // input: batch x H x W x 3 floats (preprocessed, NHWC). Writes batch x
  // classes logits and probabilities.
  Status Run(const float* input, std::vector<float>* logits,
             std::vector<float>* probs);

  // fp32 only: called with every op's output after it is computed (used by
  // calibration). The pointer is valid only during the call.
  std::function<void(int op, const float* data, size_t count)> fp32_observer;
  // int8 only: called with every stored map (u8/s8 bytes) after compute.
  std::function<void(const MapInfo& m, const uint8_t* data)> int8_observer;

  const Model& model() const { return *model_; }
  const NetworkConfig& config() const { return cfg_; }
  const std::vector<LayerTime>& layer_times() const { return times_; }
  // Map of op i as the store sees it.
  MapInfo map_info(int op) const;
  // Index of the last op reading op i's output (-1 if none).
  int last_consumer(int op) const { return last_use_[op]; }
  double input_scale() const { return in_scale_; }

 private:
  struct Layer;
  Status BuildConv(int i, Layer* L);
  Status BuildPool(int i, Layer* L);
  Status BuildFc(Layer* L);
  Status RunImpl(const float* input, std::vector<float>* logits,
                 std::vector<float>* probs);

  const Model* model_ = nullptr;
  NetworkConfig cfg_;
  dnnl::engine eng_;
  dnnl::stream strm_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<int> last_use_;
  std::vector<int> slot_;                 // direct mode: buffer slot per op
  std::vector<std::vector<uint8_t>> slots_;  // aligned via over-allocation
  std::vector<uint8_t> scratch_src_, scratch_dst_, input_q_;
  std::vector<float> gap_;
  std::vector<uint8_t> gap_q_;
  std::vector<LayerTime> times_;
  float in_scale_ = 1.f;
  size_t elem_ = 4;  // bytes per activation element
};

// Index of the largest values, best first.
std::vector<int> TopK(const float* v, int n, int k);
std::string CpuIsaName();

}  // namespace dctcm

// The network description: the op list of the weight file's graph, parsed and
// checked, plus the tensors. See weights/FORMAT.md "Graph".
#pragma once

#include <array>
#include <string>
#include <vector>

#include "engine/status.h"
#include "weights/format.h"

namespace dctcm {

struct OpDesc {
  enum Kind { kConv, kMaxPool, kGap, kFc } kind = kConv;
  std::string name;  // output map name, e.g. "res2a_out"
  std::string src;   // input map name ("input" for the image)
  std::string add;   // conv only: residual input summed before the ReLU
  int kh = 1, kw = 1, stride = 1;
  std::array<int, 4> pad{0, 0, 0, 0};  // top, left, bottom, right
  bool relu = false;
  bool softmax = false;
  int in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int src_index = -1;  // index of the producing op, -1 = network input
  int add_index = -1;
};

struct Model {
  std::string path;
  uint64_t weights_hash = 0;
  int in_h = 224, in_w = 224, in_c = 3;
  std::array<float, 3> mean{103.939f, 116.779f, 123.68f};  // BGR
  std::vector<OpDesc> ops;
  std::vector<std::string> labels;
  WeightFile weights;

  const Tensor& tensor(const std::string& name) const;
  int FindOp(const std::string& name) const;  // -1 if absent
};

Status LoadModel(const std::string& path, Model* model);
// Builds the op list from graph JSON (exposed for tests and fuzzing).
Status ParseGraph(const std::string& json_text, const std::string& file,
                  Model* model);

}  // namespace dctcm

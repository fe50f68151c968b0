// Small valid inputs shared by the loader fuzz targets and their corpus
// generator (make_loader_corpus.cc): a tiny network's tensors and graph.
#pragma once

#include <map>
#include <string>

#include "weights/format.h"

namespace dctcm::fuzz {

inline Tensor Filled(std::vector<int64_t> dims, float base) {
  Tensor t;
  t.dims = std::move(dims);
  t.data.resize(static_cast<size_t>(t.size()));
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = base + 0.01f * static_cast<float>(i % 97);
  return t;
}

// conv "c1" 3x3 3->8, conv "c2" 1x1 8->8 (+ c1), maxpool "p", gap, fc 8->4.
inline std::map<std::string, Tensor> TinyTensors() {
  return {{"c1/kernel", Filled({3, 3, 3, 8}, -0.3f)}, {"c1/bias", Filled({8}, 0.1f)},
          {"c2/kernel", Filled({1, 1, 8, 8}, -0.2f)}, {"c2/bias", Filled({8}, 0.f)},
          {"fc/kernel", Filled({8, 4}, -0.1f)},       {"fc/bias", Filled({4}, 0.f)}};
}

inline const char* TinyGraph() {
  return R"({"format":"dctcm-graph","version":1,"name":"tiny",
"preprocess":{"mode":"caffe","channel_order":"BGR","mean":[103.939,116.779,123.68]},
"input":[9,9,3],"output":"fc","ops":[
{"op":"conv","name":"c1","src":"input","kh":3,"kw":3,"stride":1,"pad":[1,1,1,1],"relu":true,"out":[9,9,8]},
{"op":"conv","name":"c2","src":"c1","kh":1,"kw":1,"stride":1,"pad":[0,0,0,0],"relu":true,"add":"c1","out":[9,9,8]},
{"op":"maxpool","name":"p","src":"c2","kh":3,"kw":3,"stride":2,"pad":[0,0,1,1],"out":[4,4,8]},
{"op":"gap","name":"gap","src":"p","out":[1,1,8]},
{"op":"fc","name":"fc","src":"gap","softmax":true,"out":[1,1,4]}],
"labels":["a","b","c","d"]})";
}

}  // namespace dctcm::fuzz

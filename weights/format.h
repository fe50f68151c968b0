// The engine's own weight file (".dctw"), documented byte by byte in
// weights/FORMAT.md. One file holds the network description (JSON text) and
// every tensor (little-endian float32, 64-byte aligned).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/status.h"

namespace dctcm {

struct Tensor {
  std::vector<int64_t> dims;  // row-major; conv kernels are [KH, KW, CIN, COUT]
  std::vector<float> data;
  int64_t size() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
  }
};

struct WeightFile {
  std::string graph_json;                // network description, see FORMAT.md
  std::map<std::string, Tensor> tensors;  // by name, e.g. "conv1/kernel"
  uint64_t content_hash = 0;             // FNV-1a 64 of the whole file (set by reader/writer)
};

// 64-bit FNV-1a over bytes, continuing from `h` (offset basis by default).
uint64_t Fnv1a64(const void* data, size_t n,
                 uint64_t h = 0xcbf29ce484222325ull);
std::string HashHex(uint64_t h);

Status WriteWeightFile(const std::string& path, WeightFile* wf);
// Validates everything listed in FORMAT.md "Reader checks"; on failure the
// message names the file, the tensor and the expected vs found value.
Status ReadWeightFile(const std::string& path, WeightFile* wf);
// The same over a memory buffer (used by the reader and by the fuzz target).
Status ParseWeightFile(const uint8_t* data, size_t size, const std::string& name,
                       WeightFile* wf);

}  // namespace dctcm

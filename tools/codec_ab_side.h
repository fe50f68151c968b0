// One side of tools/codec_ab (see codec_ab.cc): the public codec API of one
// build behind an interface that names none of its types, so that two
// builds of the library (the working tree's, and another revision's with
// its namespace renamed) link into one program. Keep the token of the
// project's namespace out of this file: codec_ab.sh compiles it with that
// token defined to another name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace codecab {

struct AbParams {  // EncodeParams, field by field
  int mode = 4;    // codec::Mode
  int L = 8, K = 8;
  std::vector<uint16_t> steps, perm;
  bool fallback = true;
  uint32_t tile_pixels = 0;
};
struct AbMap {  // MapDesc with n = 1
  uint32_t h = 0, w = 0, c = 0;
  bool is_signed = false;
};

struct AbSide {
  // The variant used, by name ("avx512", ...); false if this build has none
  // of that name or this CPU cannot run it.
  bool (*select)(const char* variant);
  // An encoder's parameters, made once (the handle lives to the end).
  const void* (*params)(const AbParams& p);
  size_t (*bound)(const AbMap& m, const void* params);
  // false on any codec error.
  bool (*encode)(const uint8_t* src, const AbMap& m, const void* params, uint8_t* dst,
                 size_t cap, size_t* written);
  bool (*decode)(const uint8_t* src, size_t len, uint8_t* dst, size_t cap);
};

const AbSide* OldSide();  // codec_ab_side.cc built with CODEC_AB_OLD
const AbSide* NewSide();

}  // namespace codecab

// Dumped feature maps, the input of the codec benchmarks
// (dctcm-bench-codec --maps, tools/codec_ab.sh). Written by
// `dctcm traffic IMAGE --dump-maps DIR` (tools/cmd_traffic.cc):
// DIR/*.dmap = "DMAP", u32 h, w, c, u8 is_signed, 3 zero bytes, then the
// h*w*c NHWC bytes (20-byte header, little-endian, n = 1).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "kernels/codec/codec.h"

namespace dctcm {
namespace codec {

struct DumpedMap {
  std::string name;  // file name
  MapDesc desc;
  std::vector<uint8_t> bytes;
};

// False when p is not a complete DMAP file of at most kMaxValues values.
inline bool ReadDmap(const std::filesystem::path& p, DumpedMap* m) {
  std::ifstream in(p, std::ios::binary);
  uint8_t h[20];
  if (!in.read(reinterpret_cast<char*>(h), 20) || std::memcmp(h, "DMAP", 4) != 0) return false;
  auto u32 = [&](int o) {
    return uint32_t(h[o]) | uint32_t(h[o + 1]) << 8 | uint32_t(h[o + 2]) << 16 |
           uint32_t(h[o + 3]) << 24;
  };
  m->desc.n = 1;
  m->desc.h = u32(4);
  m->desc.w = u32(8);
  m->desc.c = u32(12);
  m->desc.is_signed = h[16] != 0;
  const uint64_t n = uint64_t(m->desc.h) * m->desc.w * m->desc.c;
  if (n == 0 || n > kMaxValues) return false;
  m->bytes.resize(n);
  if (!in.read(reinterpret_cast<char*>(m->bytes.data()), std::streamsize(n))) return false;
  m->name = p.filename().string();
  return true;
}

// The *.dmap files of dir, sorted by name; false (ec set) when dir cannot
// be listed.
inline bool ListDmaps(const std::string& dir, std::vector<std::filesystem::path>* files,
                      std::error_code* ec) {
  files->clear();
  for (std::filesystem::directory_iterator it(dir, *ec), end; !*ec && it != end; it.increment(*ec))
    if (it->path().extension() == ".dmap") files->push_back(it->path());
  if (*ec) return false;
  std::sort(files->begin(), files->end());
  return true;
}

}  // namespace codec
}  // namespace dctcm

// Writes the seed corpora of the codec fuzz targets:
//   dctcm_make_codec_corpus <tests/fuzz/corpus>
// decode seeds: one small valid stream per mode (and signed/perm DCT-CM);
// round-trip seeds: parameter bytes + a few map bytes.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "kernels/codec/codec.h"

using namespace dctcm::codec;

static void Write(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  std::vector<uint8_t> map(3 * 4 * 16);
  for (size_t i = 0; i < map.size(); ++i) map[i] = (i * 37 % 11) < 5 ? 0 : uint8_t(i * 13 % 40);
  int idx = 0;
  for (int m = 0; m < kNumModes; ++m) {
    for (int variant = 0; variant < 3; ++variant) {
      MapDesc d{1, 3, 4, 16, variant == 1};
      EncodeParams p;
      p.mode = Mode(m);
      p.tile_pixels = variant == 2 ? 5 : 0;
      if (m == int(Mode::kDctcm)) {
        p.dct.L = variant == 2 ? 16 : 8;
        p.dct.K = variant == 0 ? 8 : 3;
        if (variant == 1) p.dct.steps = {2, 1, 3};
        if (variant == 2)
          for (uint16_t j = 0; j < 16; ++j) p.dct.perm.push_back(uint16_t((j + 5) % 16));
        p.dct.fallback = variant != 0;
      }
      std::vector<uint8_t> out(EncodeBound(d, p));
      size_t w = 0;
      if (Encode(map.data(), d, p, out.data(), out.size(), &w, nullptr) != Error::kOk) return 1;
      out.resize(w);
      Write(dir + "/fuzz_codec_decode/seed" + std::to_string(idx++), out);
    }
  }
  {  // pzvc with split-layout tiles (kind 3): dense tiles after the first
    std::vector<uint8_t> dense(4 * 4 * 16);
    for (size_t i = 0; i < dense.size(); ++i) dense[i] = uint8_t(1 + (i * 29 + i / 7) % 97);
    MapDesc d{1, 4, 4, 16, false};
    EncodeParams p;
    p.mode = Mode::kPzvc;
    p.tile_pixels = 4;
    std::vector<uint8_t> out(EncodeBound(d, p));
    size_t w = 0;
    EncodeStats st;
    if (Encode(dense.data(), d, p, out.data(), out.size(), &w, &st) != Error::kOk) return 1;
    if (st.tiles_by_kind[kTilePzvcSplit] == 0) return 1;
    out.resize(w);
    Write(dir + "/fuzz_codec_decode/seed" + std::to_string(idx++), out);
  }
  for (int m = 0; m < kNumModes; ++m) {
    for (int s = 0; s < 3; ++s) {
      std::vector<uint8_t> in = {uint8_t(m | (s << 3) | (s == 1 ? 0x20 : 0) |
                                         (s == 2 ? 0xC0 : 0)),
                                 uint8_t(2 + s), 5, uint8_t(s), uint8_t(s * 3), 7,
                                 0x5a, uint8_t(3 + s), 9};
      for (int i = 0; i < 24 + 16 * s; ++i) in.push_back(i % 3 == 0 ? 0 : uint8_t(i * 7 + s));
      Write(dir + "/fuzz_codec_roundtrip/seed" + std::to_string(m * 3 + s), in);
    }
  }
  std::printf("wrote corpus to %s\n", dir.c_str());
  return 0;
}

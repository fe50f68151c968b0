// Contract: ParseCalibration and ParseTuning (engine/pool.h) accept or reject
// any text with a Status, without crashes or undefined behaviour; what they
// accept is usable: every scale finite and positive, and every per-layer codec
// setting encodes and decodes a map of a shape it applies to.
//
// The whole input is tried as a calibration file, then as a tuning object;
// a calibration file's embedded "codec" object goes through ParseTuning too.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/pool.h"
#include "kernels/codec/codec.h"
#include "tests/fuzz/fuzz_common.h"
#include "weights/calibration.h"

namespace {

namespace codec = dctcm::codec;

// Every tuned layer: its parameters must round-trip a small map whose channel
// count they were made for (L, or the permutation's length).
void CheckTuning(const dctcm::CodecConfig& cfg) {
  for (const auto& [name, p0] : cfg.per_layer) {
    uint32_t c = p0.mode == codec::Mode::kDctcm ? p0.dct.L : 8;
    if (!p0.dct.perm.empty()) c = static_cast<uint32_t>(p0.dct.perm.size());
    if (c == 0 || c > 4096) continue;
    const codec::EncodeParams p = cfg.ParamsFor(name, c);
    const codec::MapDesc d{1, 2, 3, c, false};
    std::vector<uint8_t> map(size_t{2} * 3 * c);
    for (size_t i = 0; i < map.size(); ++i) map[i] = static_cast<uint8_t>(i * 29 % 7 ? i : 0);
    const size_t bound = codec::EncodeBound(d, p);
    FUZZ_CHECK(bound > 0);
    std::vector<uint8_t> enc(bound), dec(map.size());
    size_t written = 0;
    FUZZ_CHECK(codec::Encode(map.data(), d, p, enc.data(), enc.size(), &written, nullptr) ==
               codec::Error::kOk);
    codec::MapDesc got;
    FUZZ_CHECK(codec::Decode(enc.data(), written, dec.data(), dec.size(), &got) ==
               codec::Error::kOk);
    FUZZ_CHECK(got.c == c && got.h == 2 && got.w == 3);
    if (p.mode != codec::Mode::kDctcm) FUZZ_CHECK(dec == map);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  dctcm::Calibration cal;
  dctcm::Status st = dctcm::ParseCalibration(text, "fuzz.json", 0, &cal);
  if (st.ok()) {
    for (const auto& [k, s] : cal.scales) FUZZ_CHECK(std::isfinite(s) && s > 0);
    if (!cal.codec_json.empty()) {
      dctcm::CodecConfig cfg;
      if (dctcm::ParseTuning(cal.codec_json, "fuzz.json", &cfg).ok()) CheckTuning(cfg);
    }
    // A hash check against another weight file must fail, never throw.
    dctcm::Calibration other;
    const uint64_t wrong = cal.weights_hash == 1 ? 2 : cal.weights_hash ^ 1;
    FUZZ_CHECK(!dctcm::ParseCalibration(text, "fuzz.json", wrong, &other).ok());
  } else {
    FUZZ_CHECK(st.message().rfind("fuzz.json: ", 0) == 0);
  }
  dctcm::CodecConfig cfg;
  if (dctcm::ParseTuning(text, "fuzz.json", &cfg).ok()) CheckTuning(cfg);
  return 0;
}

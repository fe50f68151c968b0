// One side of tools/codec_ab: compiled once against the working tree (the
// "new" side) and once against another revision's kernels/codec with the
// project namespace renamed and CODEC_AB_OLD defined (the "old" side); see
// codec_ab_side.h.
#include "tools/codec_ab_side.h"

#include <memory>

#include "kernels/codec/codec.h"

namespace codecab {
namespace {

namespace cd = dctcm::codec;

const cd::Variant* g_variant = nullptr;
std::vector<std::unique_ptr<cd::EncodeParams>> g_params;

bool Select(const char* name) {
  const cd::Variant* v = cd::FindVariant(name);
  if (v == nullptr || !v->supported()) return false;
  g_variant = v;
  return true;
}

const void* Params(const AbParams& a) {
  auto p = std::make_unique<cd::EncodeParams>();
  p->mode = static_cast<cd::Mode>(a.mode);
  p->dct.L = static_cast<uint8_t>(a.L);
  p->dct.K = static_cast<uint8_t>(a.K);
  p->dct.steps = a.steps;
  p->dct.perm = a.perm;
  p->dct.fallback = a.fallback;
  p->tile_pixels = a.tile_pixels;
  g_params.push_back(std::move(p));
  return g_params.back().get();
}

cd::MapDesc Desc(const AbMap& m) {
  cd::MapDesc d;
  d.n = 1;
  d.h = m.h;
  d.w = m.w;
  d.c = m.c;
  d.is_signed = m.is_signed;
  return d;
}

size_t Bound(const AbMap& m, const void* p) {
  return cd::EncodeBound(Desc(m), *static_cast<const cd::EncodeParams*>(p));
}

bool Encode(const uint8_t* src, const AbMap& m, const void* p, uint8_t* dst, size_t cap,
            size_t* written) {
  return g_variant->encode(src, Desc(m), *static_cast<const cd::EncodeParams*>(p), dst, cap,
                           written, nullptr) == cd::Error::kOk;
}

bool Decode(const uint8_t* src, size_t len, uint8_t* dst, size_t cap) {
  cd::MapDesc d;
  return g_variant->decode(src, len, dst, cap, &d) == cd::Error::kOk;
}

constexpr AbSide kSide = {Select, Params, Bound, Encode, Decode};

}  // namespace

#ifdef CODEC_AB_OLD
const AbSide* OldSide() { return &kSide; }
#else
const AbSide* NewSide() { return &kSide; }
#endif

}  // namespace codecab

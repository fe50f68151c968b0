// Contract: ParseWeightFile and ParseGraph accept or reject any bytes with a
// Status, never read or write out of bounds, never hit undefined behaviour,
// and what they accept is self-consistent (weights/FORMAT.md "Reader checks").
//
// Input: one control byte, then the payload.
//   bit 0 clear: the payload is a weight file, parsed as is.
//   bit 0 set:   the payload is a weight file whose checksums (data_hash and
//                every in-range table entry's hash) are recomputed first, so
//                that mutations get past the FNV checks to the deeper ones.
//   bit 1 set:   the payload is graph JSON, parsed by ParseGraph against a
//                fixed small tensor set (the one make_loader_corpus writes).
// A weight file that parses has its graph parsed too.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "engine/model.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/fuzz/loader_corpus.h"
#include "weights/format.h"

namespace {

using dctcm::Fnv1a64;

uint64_t Get64(const std::vector<uint8_t>& b, size_t off) {
  uint64_t v;
  std::memcpy(&v, b.data() + off, 8);
  return v;
}
void Put64(std::vector<uint8_t>* b, size_t off, uint64_t v) {
  std::memcpy(b->data() + off, &v, 8);
}

// Recomputes the hashes where the layout allows (FORMAT.md "Layout").
void FixHashes(std::vector<uint8_t>* b) {
  if (b->size() < 64) return;
  uint32_t count;
  std::memcpy(&count, b->data() + 12, 4);
  const uint64_t table = Get64(*b, 32), data = Get64(*b, 40);
  if (data > b->size()) return;
  for (uint64_t i = 0; i < count && i < 4096; ++i) {
    const uint64_t e = table + 128 * i;
    if (table > b->size() || e + 128 > b->size()) break;
    const uint64_t off = Get64(*b, e + 88), n = Get64(*b, e + 96);
    if (off > b->size() - data || n > b->size() - data - off) continue;
    Put64(b, e + 104, Fnv1a64(b->data() + data + off, n));
  }
  Put64(b, 56, Fnv1a64(b->data() + data, b->size() - data));
}

void CheckModel(const dctcm::Model& m) {
  FUZZ_CHECK(!m.ops.empty());
  FUZZ_CHECK(m.ops.back().kind == dctcm::OpDesc::kFc);
  FUZZ_CHECK(m.labels.size() == static_cast<size_t>(m.ops.back().out_c));
  for (size_t i = 0; i < m.ops.size(); ++i) {
    const dctcm::OpDesc& op = m.ops[i];
    FUZZ_CHECK(op.src_index < static_cast<int>(i) && op.add_index < static_cast<int>(i));
    FUZZ_CHECK(op.out_h >= 1 && op.out_w >= 1 && op.out_c >= 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  std::vector<uint8_t> buf(data + 1, data + size);
  if (control & 2) {
    dctcm::Model m;
    m.weights.tensors = dctcm::fuzz::TinyTensors();
    dctcm::Status st = dctcm::ParseGraph(std::string(buf.begin(), buf.end()), "fuzz", &m);
    if (st.ok()) CheckModel(m);
    else FUZZ_CHECK(!st.message().empty());
    return 0;
  }
  if (control & 1) FixHashes(&buf);
  dctcm::WeightFile wf;
  dctcm::Status st = dctcm::ParseWeightFile(buf.data(), buf.size(), "fuzz.dctw", &wf);
  if (!st.ok()) {
    FUZZ_CHECK(st.message().rfind("fuzz.dctw: invalid weight file: ", 0) == 0);
    return 0;
  }
  size_t bytes = 0;
  for (const auto& [name, t] : wf.tensors) {
    FUZZ_CHECK(!name.empty() && name.size() < 64);
    FUZZ_CHECK(static_cast<int64_t>(t.data.size()) == t.size());
    bytes += t.data.size() * 4;
  }
  FUZZ_CHECK(bytes <= buf.size());
  FUZZ_CHECK(wf.content_hash == Fnv1a64(buf.data(), buf.size()));
  dctcm::Model m;
  m.weights = std::move(wf);
  if (dctcm::ParseGraph(m.weights.graph_json, "fuzz.dctw", &m).ok()) CheckModel(m);
  return 0;
}

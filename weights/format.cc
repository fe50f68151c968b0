#include "weights/format.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace dctcm {
namespace {

// FORMAT.md, section "Layout".
constexpr char kMagic[8] = {'D', 'C', 'T', 'C', 'M', 'W', 'T', '\0'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 64;
constexpr size_t kEntrySize = 128;
constexpr size_t kNameSize = 64;
constexpr size_t kAlign = 64;
constexpr uint32_t kDtypeF32 = 1;
constexpr uint32_t kMaxTensors = 100000;
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMaxGraphBytes = 16u << 20;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t tensor_count;
  uint64_t graph_offset;
  uint64_t graph_size;
  uint64_t table_offset;
  uint64_t data_offset;
  uint64_t file_size;
  uint64_t data_hash;  // FNV-1a 64 of bytes [data_offset, file_size)
};
static_assert(sizeof(Header) == kHeaderSize, "header is 64 bytes");

struct Entry {
  char name[kNameSize];
  uint32_t dtype;
  uint32_t ndim;
  uint32_t dims[kMaxDims];
  uint64_t offset;  // from data_offset, multiple of 64
  uint64_t nbytes;
  uint64_t hash;    // FNV-1a 64 of the tensor's bytes
  uint8_t reserved[kEntrySize - kNameSize - 8 - 16 - 24];
};
static_assert(sizeof(Entry) == kEntrySize, "table entry is 128 bytes");

uint64_t AlignUp(uint64_t x) { return (x + kAlign - 1) / kAlign * kAlign; }

}  // namespace

uint64_t Fnv1a64(const void* data, size_t n, uint64_t h) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  // Four independent lanes folded at the end would be faster, but the format
  // pins plain FNV-1a so that any tool can recompute it.
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string HashHex(uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Status WriteWeightFile(const std::string& path, WeightFile* wf) {
  Header hd{};
  std::memcpy(hd.magic, kMagic, 8);
  hd.version = kVersion;
  hd.tensor_count = static_cast<uint32_t>(wf->tensors.size());
  hd.graph_offset = kHeaderSize;
  hd.graph_size = wf->graph_json.size();
  hd.table_offset = AlignUp(hd.graph_offset + hd.graph_size);
  hd.data_offset = AlignUp(hd.table_offset + kEntrySize * hd.tensor_count);

  std::vector<Entry> entries;
  uint64_t off = 0;
  for (const auto& [name, t] : wf->tensors) {
    if (name.size() >= kNameSize)
      return Error("weight tensor name too long (max 63 bytes): " + name);
    if (t.dims.empty() || t.dims.size() > kMaxDims)
      return Error("weight tensor " + name + ": 1..4 dims expected");
    if (static_cast<int64_t>(t.data.size()) != t.size())
      return Error("weight tensor " + name + ": data size does not match dims");
    Entry e{};
    std::memcpy(e.name, name.data(), name.size());
    e.dtype = kDtypeF32;
    e.ndim = static_cast<uint32_t>(t.dims.size());
    for (size_t i = 0; i < t.dims.size(); ++i)
      e.dims[i] = static_cast<uint32_t>(t.dims[i]);
    e.offset = off;
    e.nbytes = t.data.size() * sizeof(float);
    e.hash = Fnv1a64(t.data.data(), e.nbytes);
    off = AlignUp(off + e.nbytes);
    entries.push_back(e);
  }
  hd.file_size = hd.data_offset + off;

  std::vector<uint8_t> buf(hd.file_size, 0);
  std::memcpy(buf.data() + hd.graph_offset, wf->graph_json.data(),
              hd.graph_size);
  std::memcpy(buf.data() + hd.table_offset, entries.data(),
              entries.size() * kEntrySize);
  size_t i = 0;
  for (const auto& [name, t] : wf->tensors) {
    std::memcpy(buf.data() + hd.data_offset + entries[i].offset, t.data.data(),
                entries[i].nbytes);
    ++i;
  }
  hd.data_hash = Fnv1a64(buf.data() + hd.data_offset, off);
  std::memcpy(buf.data(), &hd, kHeaderSize);
  wf->content_hash = Fnv1a64(buf.data(), buf.size());

  // Write to a temporary name and rename, so a crash never leaves a
  // half-written file under the final name.
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) return Error(tmp + ": cannot open for writing");
    f.write(reinterpret_cast<const char*>(buf.data()), buf.size());
    if (!f) return Error(tmp + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return Error(path + ": cannot rename from " + tmp);
  return Status::Ok();
}

Status ParseWeightFile(const uint8_t* data, size_t size, const std::string& fn,
                       WeightFile* wf) {
  auto fail = [&](const std::string& what) {
    return Error(fn + ": invalid weight file: " + what);
  };
  if (size < kHeaderSize)
    return fail("truncated header: expected at least 64 bytes, found " +
                std::to_string(size));
  Header hd;
  std::memcpy(&hd, data, kHeaderSize);
  if (std::memcmp(hd.magic, kMagic, 8) != 0)
    return fail("bad magic (not a dctcm weight file)");
  if (hd.version != kVersion)
    return fail("unsupported version " + std::to_string(hd.version) +
                " (expected " + std::to_string(kVersion) + ")");
  if (hd.file_size != size)
    return fail(std::string(size < hd.file_size ? "truncated" : "oversized") +
                ": header says " + std::to_string(hd.file_size) +
                " bytes, found " + std::to_string(size));
  if (hd.tensor_count == 0 || hd.tensor_count > kMaxTensors)
    return fail("tensor count " + std::to_string(hd.tensor_count) +
                " out of range 1.." + std::to_string(kMaxTensors));
  if (hd.graph_offset != kHeaderSize || hd.graph_size > kMaxGraphBytes ||
      hd.table_offset != AlignUp(hd.graph_offset + hd.graph_size) ||
      hd.data_offset != AlignUp(hd.table_offset +
                                uint64_t{kEntrySize} * hd.tensor_count) ||
      hd.data_offset > size)
    return fail("section offsets inconsistent (graph " +
                std::to_string(hd.graph_offset) + "+" +
                std::to_string(hd.graph_size) + ", table " +
                std::to_string(hd.table_offset) + ", data " +
                std::to_string(hd.data_offset) + ")");
  if (Fnv1a64(data + hd.data_offset, size - hd.data_offset) != hd.data_hash)
    return fail("data checksum mismatch (file corrupted or tampered)");

  wf->graph_json.assign(reinterpret_cast<const char*>(data + hd.graph_offset),
                        hd.graph_size);
  wf->tensors.clear();
  uint64_t expect_off = 0;
  for (uint32_t i = 0; i < hd.tensor_count; ++i) {
    Entry e;
    std::memcpy(&e, data + hd.table_offset + uint64_t{i} * kEntrySize,
                kEntrySize);
    if (e.name[kNameSize - 1] != '\0' || e.name[0] == '\0')
      return fail("table entry " + std::to_string(i) + ": bad name");
    std::string name(e.name);
    auto tfail = [&](const std::string& what) {
      return fail("tensor '" + name + "': " + what);
    };
    if (e.dtype != kDtypeF32)
      return tfail("dtype " + std::to_string(e.dtype) + ", expected 1 (f32)");
    if (e.ndim == 0 || e.ndim > kMaxDims)
      return tfail("ndim " + std::to_string(e.ndim) + ", expected 1..4");
    Tensor t;
    uint64_t count = 1;
    for (uint32_t d = 0; d < e.ndim; ++d) {
      if (e.dims[d] == 0 || e.dims[d] > (1u << 24))
        return tfail("dim " + std::to_string(d) + " = " +
                     std::to_string(e.dims[d]) + " out of range");
      t.dims.push_back(e.dims[d]);
      count *= e.dims[d];
    }
    if (e.nbytes != count * 4)
      return tfail("size mismatch: shape needs " + std::to_string(count * 4) +
                   " bytes, entry says " + std::to_string(e.nbytes));
    if (e.offset % kAlign != 0)
      return tfail("misaligned offset " + std::to_string(e.offset) +
                   " (expected a multiple of 64)");
    if (e.offset != expect_off)
      return tfail("offset " + std::to_string(e.offset) + ", expected " +
                   std::to_string(expect_off) + " (tensors must be packed)");
    if (e.offset + e.nbytes > size - hd.data_offset)
      return tfail("extends past end of file: needs " +
                   std::to_string(hd.data_offset + e.offset + e.nbytes) +
                   " bytes, file has " + std::to_string(size));
    const uint8_t* p = data + hd.data_offset + e.offset;
    if (Fnv1a64(p, e.nbytes) != e.hash) return tfail("checksum mismatch");
    t.data.resize(count);
    std::memcpy(t.data.data(), p, e.nbytes);
    for (float v : t.data)
      if (!std::isfinite(v)) return tfail("non-finite value");
    if (!wf->tensors.emplace(name, std::move(t)).second)
      return tfail("duplicate name");
    expect_off = AlignUp(e.offset + e.nbytes);
  }
  if (hd.data_offset + expect_off != size)
    return fail("oversized: " + std::to_string(size - hd.data_offset - expect_off) +
                " bytes after the last tensor");
  wf->content_hash = Fnv1a64(data, size);
  return Status::Ok();
}

Status ReadWeightFile(const std::string& path, WeightFile* wf) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f)
    return Error(path +
                 ": cannot open weight file (run tools/run.sh setup to fetch "
                 "and convert the weights)");
  std::streamoff n = f.tellg();
  if (n < 0) return Error(path + ": cannot read");
  std::vector<uint8_t> buf(static_cast<size_t>(n));
  f.seekg(0);
  f.read(reinterpret_cast<char*>(buf.data()), n);
  if (!f) return Error(path + ": read failed");
  return ParseWeightFile(buf.data(), buf.size(), path, wf);
}

}  // namespace dctcm

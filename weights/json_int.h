// Integers read from JSON files that users did not make. nlohmann's implicit
// conversion static_casts whatever number it finds, which is undefined
// behaviour for 1e300 -> int; this throws instead (the readers catch
// std::exception and report the file as malformed).
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace dctcm {

template <typename T = int>
T JsonInt(const nlohmann::json& v) {
  constexpr auto lo = static_cast<int64_t>(std::numeric_limits<T>::min());
  constexpr auto hi = static_cast<uint64_t>(std::numeric_limits<T>::max());
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() <= hi) return static_cast<T>(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    const int64_t x = v.get<int64_t>();
    if (x >= lo && (x < 0 || static_cast<uint64_t>(x) <= hi)) return static_cast<T>(x);
  }
  throw std::out_of_range("expected an integer in " + std::to_string(lo) + ".." +
                          std::to_string(hi) + ", found " + v.dump());
}

}  // namespace dctcm

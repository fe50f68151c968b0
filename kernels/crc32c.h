// CRC-32C (Castagnoli), the pool's out-of-band checksum of stored maps.
// Detects every single-bit and every burst error up to 32 bits.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dctcm {

uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);
// Table-driven reference (the readable spec); Crc32c uses the SSE4.2
// instruction when the CPU has it and must equal this.
uint32_t Crc32cScalar(const void* data, size_t n, uint32_t crc = 0);

}  // namespace dctcm

// Our own stb_image translation unit: PNG only, with a dimension cap. Used to
// read PNG headers (size, channels) before any decoding, so that a hostile
// header is rejected before a large allocation. JPEG headers are read by
// libjpeg (engine/image.cc): stb_image 2.27's JPEG marker parser writes past
// its Huffman tables on a DHT with more than 256 codes (found by fuzz_image).
// Debian's prebuilt libstb enables every format; we do not link it.
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS 65536
#define STB_IMAGE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#include <stb/stb_image.h>

#!/usr/bin/env python3
"""Offline count of the packed encoder's bit-writer steps (FORMAT.md §5.4,
kernels/codec/README.md "Encoder, fifth session"), over a directory of
.dmap maps (`dctcm traffic IMAGE --dump-maps DIR`).

Per group of 256 symbols (default tiles, channel planes, int8 maps
zigzagged, the normative dense / masked choice), prints:
- the selected symbols (all of a dense block, the non-zeros of a masked
  one) and their value bits;
- the writer's pieces in v3: one per 8 selected symbols (the AVX-512
  encoder's pext of a qword of compacted symbols);
- the pieces of a hypothetical split of the value part into a low-nibble
  stream (min(w, 4) bits of every selected symbol, 16 per piece) and a
  high-nibble stream (w - 4 bits of the symbols of blocks wider than 4,
  16 per piece). Sizes would not change; only the writer's step count;
- the pieces if the encoder pre-packed each dense block (16 symbols of w
  bits = 2w whole bytes) before the compaction, so that it fed the writer
  2w bytes of 8 bits instead of 16 symbols ("Encoder, sixth session").
  Same bytes; one piece per 8 compacted bytes.

usage: tools/pzvc_piece_estimate.py DIR
"""
import sys

from pzvc_tiles import blocks, dmap_files, map_tiles


def main(d):
    total = sel_t = wide_t = bits_t = p3 = plo = phi = pp = 0
    for f in dmap_files(d):
        for t in map_tiles(f)[1]:
            sel = wide = packed = 0  # packed: compacted bytes, dense blocks pre-packed
            for bw, s, _ in blocks(t):
                sel += s
                packed += 2 * bw if s == 16 and bw > 0 else s
                bits_t += s * bw
                if bw > 4:
                    wide += s
            total += len(t)
            sel_t += sel
            wide_t += wide
            p3 += (sel + 7) // 8
            plo += (sel + 15) // 16
            phi += (wide + 15) // 16
            pp += (packed + 7) // 8
    g = total / 256
    print(f"per 256 symbols: {sel_t / g:.1f} selected, {bits_t / g:.0f} value bits "
          f"({bits_t / g / 64:.1f} qwords)")
    print(f"writer pieces, v3: {p3 / g:.1f}")
    print(f"nibble split: {plo / g:.1f} low + {phi / g:.1f} high = {(plo + phi) / g:.1f} "
          f"({wide_t / g:.1f} selected symbols in blocks wider than 4)")
    print(f"dense blocks pre-packed: {pp / g:.1f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

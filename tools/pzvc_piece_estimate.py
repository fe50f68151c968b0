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
  16 per piece). Sizes would not change; only the writer's step count.

usage: tools/pzvc_piece_estimate.py DIR
"""
import glob
import os
import struct
import sys


def zigzag(v):
    s = v - 256 if v > 127 else v
    return ((s << 1) ^ (-1 if s < 0 else 0)) & 0xFF


def main(d):
    files = sorted(glob.glob(os.path.join(d, "*.dmap")))
    if not files:
        sys.exit(f"error: {d}: no .dmap files")
    total = sel_t = wide_t = bits_t = p3 = plo = phi = 0
    for f in files:
        data = open(f, "rb").read()
        if data[:4] != b"DMAP":
            sys.exit(f"error: {f}: not a DMAP file")
        h, w, c, sg = struct.unpack("<IIIB", data[4:17])
        x = data[20:20 + h * w * c]
        if len(x) != h * w * c:
            sys.exit(f"error: {f}: truncated")
        if sg:
            x = bytes(zigzag(v) for v in x)
        pixels, tp = h * w, max(1, 16384 // c)
        for p0 in range(0, pixels, tp):
            npx = min(tp, pixels - p0)
            t = x[p0 * c:(p0 + npx) * c]
            if c > 1 and npx > 1:
                t = bytes(t[p * c + ch] for ch in range(c) for p in range(npx))
            sel = wide = 0
            for b in range(0, len(t), 16):
                blk = t[b:b + 16]
                orv = nnz = 0
                for v in blk:
                    orv |= v
                    nnz += v != 0
                bw = orv.bit_length()
                if bw == 0:
                    continue
                cnt = len(blk)
                s = nnz if bw > 1 and cnt + nnz * bw < cnt * bw else cnt
                sel += s
                bits_t += s * bw
                if bw > 4:
                    wide += s
            total += len(t)
            sel_t += sel
            wide_t += wide
            p3 += (sel + 7) // 8
            plo += (sel + 15) // 16
            phi += (wide + 15) // 16
    g = total / 256
    print(f"per 256 symbols: {sel_t / g:.1f} selected, {bits_t / g:.0f} value bits "
          f"({bits_t / g / 64:.1f} qwords)")
    print(f"writer pieces, v3: {p3 / g:.1f}")
    print(f"nibble split: {plo / g:.1f} low + {phi / g:.1f} high = {(plo + phi) / g:.1f} "
          f"({wide_t / g:.1f} selected symbols in blocks wider than 4)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

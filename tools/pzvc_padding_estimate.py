#!/usr/bin/env python3
"""Offline estimate of what byte-aligning the packed blocks (FORMAT.md §5.4)
would cost in ratio, over a directory of .dmap maps (`dctcm traffic IMAGE
--dump-maps DIR`).

For every map: default tiles (max(1, 16384 / c) pixels), channel planes,
int8 maps zigzagged, blocks of 16 symbols with the normative dense / masked
choice; the size is codes + bits as in version 3 (the codec's pzvc payload;
its stream adds the 32-byte header and the tile index), then the same bits
with every block's, or every 4 blocks', bits padded to a whole byte.
Prints total (sum raw / sum coded) and mean (of per-map ratios) for each.

usage: tools/pzvc_padding_estimate.py DIR
"""
import glob
import os
import struct
import sys


def zigzag(v):
    s = v - 256 if v > 127 else v
    return ((s << 1) ^ (-1 if s < 0 else 0)) & 0xFF


def block_bits(blk):
    orv, nnz = 0, 0
    for v in blk:
        orv |= v
        nnz += v != 0
    w = orv.bit_length()
    if w == 0:
        return 0
    cnt = len(blk)
    return min(cnt * w, cnt + nnz * w)


def main(d):
    files = sorted(glob.glob(os.path.join(d, "*.dmap")))
    if not files:
        sys.exit(f"error: {d}: no .dmap files")
    raw_t = 0
    coded_t = [0, 0, 0]
    ratios = [[], [], []]
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
        sizes = [0, 0, 0]  # v3, per-block padding, per-4-block padding
        for p0 in range(0, pixels, tp):
            npx = min(tp, pixels - p0)
            t = x[p0 * c:(p0 + npx) * c]
            if c > 1 and npx > 1:
                t = bytes(t[p * c + ch] for ch in range(c) for p in range(npx))
            n = len(t)
            bits = [block_bits(t[b:b + 16]) for b in range(0, n, 16)]
            head = ((n + 15) // 16 + 1) // 2
            sizes[0] += head + (sum(bits) + 7) // 8
            sizes[1] += head + sum((b + 7) // 8 for b in bits)
            sizes[2] += head + sum((sum(bits[i:i + 4]) + 7) // 8 for i in range(0, len(bits), 4))
        raw_t += h * w * c
        for k in range(3):
            coded_t[k] += sizes[k]
            ratios[k].append(h * w * c / sizes[k])
    for k, name in enumerate(["v3 (continuous bits)", "each block padded to a byte",
                              "each 4 blocks padded to a byte"]):
        print(f"{name:32s} total {raw_t / coded_t[k]:.3f} mean {sum(ratios[k]) / len(ratios[k]):.3f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

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
import sys

from pzvc_tiles import blocks, dmap_files, map_tiles


def main(d):
    raw_t = 0
    coded_t = [0, 0, 0]
    ratios = [[], [], []]
    for f in dmap_files(d):
        raw, tiles = map_tiles(f)
        sizes = [0, 0, 0]  # v3, per-block padding, per-4-block padding
        for t in tiles:
            n = len(t)
            bits = [bb for _, _, bb in blocks(t)]
            head = ((n + 15) // 16 + 1) // 2
            sizes[0] += head + (sum(bits) + 7) // 8
            sizes[1] += head + sum((b + 7) // 8 for b in bits)
            sizes[2] += head + sum((sum(bits[i:i + 4]) + 7) // 8 for i in range(0, len(bits), 4))
        raw_t += raw
        for k in range(3):
            coded_t[k] += sizes[k]
            ratios[k].append(raw / sizes[k])
    for k, name in enumerate(["v3 (continuous bits)", "each block padded to a byte",
                              "each 4 blocks padded to a byte"]):
        print(f"{name:32s} total {raw_t / coded_t[k]:.3f} mean {sum(ratios[k]) / len(ratios[k]):.3f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

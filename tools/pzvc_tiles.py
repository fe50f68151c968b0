"""The lossless tiles of dumped maps as FORMAT.md §5.4 codes them, for the
offline estimators (tools/pzvc_padding_estimate.py,
tools/pzvc_piece_estimate.py): default tiles of max(1, 16384 / c) pixels,
channel planes, int8 maps zigzagged, and each 16-symbol block's width,
non-zero count and the normative dense / masked choice."""
import glob
import os
import struct
import sys


def zigzag(v):
    s = v - 256 if v > 127 else v
    return ((s << 1) ^ (-1 if s < 0 else 0)) & 0xFF


def dmap_files(d):
    files = sorted(glob.glob(os.path.join(d, "*.dmap")))
    if not files:
        sys.exit(f"error: {d}: no .dmap files")
    return files


def map_tiles(f):
    """(raw byte count, list of tiles as symbol bytes in stream order)."""
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
    tiles = []
    for p0 in range(0, pixels, tp):
        npx = min(tp, pixels - p0)
        t = x[p0 * c:(p0 + npx) * c]
        if c > 1 and npx > 1:
            t = bytes(t[p * c + ch] for ch in range(c) for p in range(npx))
        tiles.append(t)
    return h * w * c, tiles


def blocks(t):
    """Per block of the tile: (width w, selected symbols, bits), where the
    selected symbols are all of a dense block or the non-zeros of a masked
    one, and bits = mask + value bits (0 for an all-zero block)."""
    out = []
    for b in range(0, len(t), 16):
        blk = t[b:b + 16]
        orv = nnz = 0
        for v in blk:
            orv |= v
            nnz += v != 0
        bw = orv.bit_length()
        cnt = len(blk)
        if bw == 0:
            out.append((0, 0, 0))
        elif bw > 1 and cnt + nnz * bw < cnt * bw:
            out.append((bw, nnz, cnt + nnz * bw))
        else:
            out.append((bw, cnt, cnt * bw))
    return out

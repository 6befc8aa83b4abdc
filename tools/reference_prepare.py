#!/usr/bin/env python3
"""Independent reference of `ddtrain prepare` for the golden test (Tests/CorpusTests/Golden).

Re-implements from the written rules (method.md §2, docs/data.md), in plain Python + numpy: byte tokens, the
decomposition loop, the seeded long-document draw (xoshiro256** seeded through SplitMix64, Swift's
`next(upperBound:)` multiply-high rejection), the validation hash, concat-and-chunk, best-fit-decreasing packing
(naive O(items x bins) scan; among bins with the least sufficient room the one that reached that room last),
and the file formats. Writes golden.json: per configuration the SHA-256 and size of every file and the
manifest's counts. Usage: python3 tools/reference_prepare.py  (rewrites Tests/CorpusTests/Golden/golden.json)
"""
import hashlib
import json
import os
import random
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from reference_rng import splitmix64, xoshiro256ss  # noqa: E402

M = (1 << 64) - 1
HERE = os.path.join(os.path.dirname(__file__), "..", "Tests", "CorpusTests", "Golden")


def derive(seed, *ids):
    g = splitmix64(seed)
    h = next(g)
    for i in ids:
        g = splitmix64(h ^ ((i * 0xD6E8FEB86659FD93) & M))
        h = next(g)
    return h


def below(gen, n):
    """Swift's FixedWidthInteger random(in:)/next(upperBound:): Lemire's multiply-high with rejection."""
    r = next(gen)
    m = r * n
    if (m & M) < n:
        t = ((1 << 64) - n) % n
        while (m & M) < t:
            r = next(gen)
            m = r * n
    return m >> 64


def is_valid(seed, doc_id, fraction):
    return fraction > 0 and (derive(seed, 0x76616C6964, doc_id) >> 11) * 2.0 ** -53 < fraction


def decompose(length, doc_id, lo, hi, exact, seeded, seed):
    pieces, start, rest, gen = [], 0, length, None
    while (rest >= 1) if exact else (rest > 1):
        usable = rest if exact else rest - 1
        k = usable.bit_length() - 1
        if k < lo:
            break
        if k > hi:
            if seeded:
                if gen is None:
                    gen = xoshiro256ss(derive(seed, 0x6465636F6D70, doc_id))
                u = below(gen, (1 << (hi - lo + 1)) - 1)
                for kk in range(lo, hi + 1):
                    w = 1 << (hi - kk)
                    if u < w:
                        k = kk
                        break
                    u -= w
            else:
                k = hi
        n = (1 << k) if exact else (1 << k) + 1
        pieces.append((start, k, n))
        start += n
        rest -= n
    return pieces, rest


def index_bytes(seqs):
    """DDSEQIDX v1 from a list of (length, starts)."""
    tok, st, starts = [0], [0], []
    for n, s in seqs:
        tok.append(tok[-1] + n)
        starts += s
        st.append(len(starts))
    head = b"DDSEQIDX" + np.array([1, len(seqs), len(starts)], "<u8").tobytes()
    return head + np.array(tok, "<i8").tobytes() + np.array(st, "<i8").tobytes() + np.array(starts, "<i4").tobytes()


def concat(docs, L):
    chunks, chunk, starts = [], [], []
    for d in docs:
        i, first = 0, True
        while i < len(d):
            if not chunk:
                starts = [0]
            elif first:
                starts.append(len(chunk))
            first = False
            take = min(L + 1 - len(chunk), len(d) - i)
            chunk += d[i:i + take]
            i += take
            if len(chunk) == L + 1:
                chunks.append((chunk, starts))
                chunk, starts = [], []
    return chunks, len(chunk)


def packed(docs, L):
    cap = L + 1
    items = []
    for d in docs:
        for i in range(0, len(d), cap):
            items.append(d[i:i + cap])
    order = sorted(range(len(items)), key=lambda i: (-len(items[i]), i))
    bins, room, reached, clock = [], [], [], 0
    for it in order:
        n = len(items[it])
        best = None
        for b in range(len(bins)):
            if room[b] >= n and room[b] > 0 and (best is None or room[b] < room[best] or (room[b] == room[best] and reached[b] > reached[best])):
                best = b
        if best is None:
            bins.append([it]); room.append(cap - n)
            reached.append(clock)
        else:
            bins[best].append(it); room[best] -= n; reached[best] = clock
        clock += 1
    out = []
    for b in bins:
        seq, starts = [], []
        for it in b:
            starts.append(len(seq))
            seq += items[it]
        out.append((seq, starts))
    return out


def prepare(texts, cfg):
    lo, hi, exact, seeded, seed = cfg["min_bucket"], cfg["max_bucket"], cfg["pieces"] == "exact", cfg["long_docs"] == "seeded", cfg["seed"]
    files, counts, discarded = {}, {}, {"buckets": 0}
    for shard in range(cfg["shards"]):
        ids = list(range(shard, len(texts), cfg["shards"]))
        split_docs = {"train": [], "valid": []}
        buckets = {(k, s): [] for k in range(lo, hi + 1) for s in ("train", "valid")}
        for i in ids:
            toks = list(texts[i].encode("utf-8")) + [256]
            split = "valid" if is_valid(seed, i, cfg["valid_fraction"]) else "train"
            split_docs[split].append(toks)
            pieces, tail = decompose(len(toks), i, lo, hi, exact, seeded, seed)
            discarded["buckets"] += tail
            for start, k, n in pieces:
                buckets[(k, split)].append(toks[start:start + n])
        for (k, split), seqs in buckets.items():
            name = "bucket-%02d.shard-%04d.%s.tokens" % (k, shard, split)
            files[name] = np.array([t for s in seqs for t in s], "<u2").tobytes()
            counts[name] = len(seqs)
        for L in cfg["baselines"]:
            for split in ("train", "valid"):
                chunks, lost = concat(split_docs[split], L)
                discarded["concat-%d" % L] = discarded.get("concat-%d" % L, 0) + lost
                for kind, seqs in (("concat", chunks), ("packed", packed(split_docs[split], L))):
                    base = "%s-%d.shard-%04d.%s" % (kind, L, shard, split)
                    files[base + ".tokens"] = np.array([t for s, _ in seqs for t in s], "<u2").tobytes()
                    files[base + ".index"] = index_bytes([(len(s), st) for s, st in seqs])
                    counts[base + ".tokens"] = len(seqs)
            discarded.setdefault("packed-%d" % L, 0)
    return {
        "files": {n: {"bytes": len(b), "sha256": hashlib.sha256(b).hexdigest(), "sequences": counts.get(n)} for n, b in sorted(files.items())},
        "discarded_tokens": discarded,
    }


def main():
    rnd = random.Random(3)
    words = ["river", "stone", "lamp", "über", "naïve", "東京", "code", "tree", "🙂", "wind"]
    texts = []
    for i in range(70):
        n = rnd.choice([1, 2, 5, 10, 20, 40, 80, 160, 400])
        texts.append(" ".join(rnd.choice(words) for _ in range(rnd.randint(1, n))))
    os.makedirs(HERE, exist_ok=True)
    with open(os.path.join(HERE, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    configs = [
        {"name": "seeded-2shards", "min_bucket": 4, "max_bucket": 7, "pieces": "reference", "long_docs": "seeded", "seed": 7,
         "valid_fraction": 0.25, "baselines": [24], "shards": 2},
        {"name": "exact-max-1shard", "min_bucket": 3, "max_bucket": 8, "pieces": "exact", "long_docs": "max", "seed": 1,
         "valid_fraction": 0.1, "baselines": [40], "shards": 1},
    ]
    golden = [dict(cfg, **prepare(texts, cfg)) for cfg in configs]
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", len(golden), "configurations,", sum(len(g["files"]) for g in golden), "files")


if __name__ == "__main__":
    main()

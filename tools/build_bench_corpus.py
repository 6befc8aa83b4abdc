#!/usr/bin/env python3
"""Builds the benchmark-sized corpus (about 55 MB of text, not committed) as JSONL.gz (see docs/data.md).

Sources (Debian bookworm packages; one document per file):
  linux-doc-6.1    usr/share/doc/linux-doc-6.1/Documentation/**/*.rst(.gz), *.txt(.gz)   GPL-2.0
  python3.11-doc   usr/share/doc/python3.11/html/_sources/**/*.rst.txt                   PSF-2.0
  perl-doc         usr/share/perl/5.36.0/pod/*.pod                                      GPL-1+ or Artistic
  git-doc          usr/share/doc/git-doc/*.txt                                          GPL-2.0
  debian-policy    usr/share/doc/debian-policy/**/*.txt(.gz) except policy.txt.gz        GPL-2+
  fortunes         every cookie (short documents)                                       BSD-3-Clause
Usage: python3 tools/build_bench_corpus.py [--out data/bench-corpus.jsonl.gz] [--work /tmp/ddtrain-bench-corpus]
Then:  ddtrain prepare --source data/bench-corpus.jsonl.gz --out data/bench --baselines 8192
"""
import argparse
import json
import os
import shutil

import corpus_tools as ct

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--out", default="data/bench-corpus.jsonl.gz")
parser.add_argument("--work", default="/tmp/ddtrain-bench-corpus")
args = parser.parse_args()

shutil.rmtree(args.work, ignore_errors=True)
root = ct.fetch(["linux-doc-6.1", "python3.11-doc", "perl-doc", "git-doc", "debian-policy", "fortunes", "fortunes-min"], args.work)
docs = []
for pattern in ["**/*.rst", "**/*.rst.gz", "**/*.txt", "**/*.txt.gz"]:
    docs += ct.whole_files(root, "usr/share/doc/linux-doc-6.1/Documentation/" + pattern, "linux-doc", min_bytes=64)
docs += ct.whole_files(root, "usr/share/doc/python3.11/html/_sources/**/*.rst.txt", "python3.11-doc", min_bytes=64)
docs += ct.whole_files(root, "usr/share/perl/5.36.0/pod/*.pod", "perl-doc", min_bytes=64)
docs += ct.whole_files(root, "usr/share/doc/git-doc/*.txt", "git-doc", min_bytes=64)
docs += [d for d in ct.whole_files(root, "usr/share/doc/debian-policy/**/*.txt*", "debian-policy", min_bytes=64)
         if not d["source"].endswith("policy.txt.gz")]
docs += ct.fortunes(root)
os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
raw, packed = ct.write_jsonl_gz(docs, args.out)
print(json.dumps({"file": args.out, "documents": len(docs), "text_bytes": sum(len(d["text"].encode()) for d in docs),
                  "jsonl_bytes": raw, "gzip_bytes": packed, "packages": ct.versions(args.work),
                  "byte_length_bins": {str(1 << b): n for b, n in ct.length_bins(docs).items()}}, indent=2))

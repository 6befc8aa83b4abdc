#!/usr/bin/env python3
"""Rebuilds assets/corpus/default.jsonl.gz, the bundled default corpus (see docs/data.md).

Sources (Debian bookworm packages, fetched with apt-get download, unpacked with dpkg -x):
  git-doc       every usr/share/doc/git-doc/*.txt (AsciiDoc manuals and guides)    GPL-2.0
  python3.11-doc  every usr/share/doc/python3.11/html/_sources/**/*.rst.txt (reST)  PSF-2.0
  fortunes, fortunes-min
                4,000 cookies drawn with a fixed seed from usr/share/games/fortunes  BSD-3-Clause
Usage: python3 tools/build_default_corpus.py [--out assets/corpus/default.jsonl.gz] [--work /tmp/ddtrain-corpus]
"""
import argparse
import json
import os
import shutil

import corpus_tools as ct

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--out", default="assets/corpus/default.jsonl.gz")
parser.add_argument("--work", default="/tmp/ddtrain-default-corpus")
parser.add_argument("--fortunes", type=int, default=4000)
args = parser.parse_args()

shutil.rmtree(args.work, ignore_errors=True)
root = ct.fetch(["git-doc", "python3.11-doc", "fortunes", "fortunes-min"], args.work)
docs = ct.whole_files(root, "usr/share/doc/git-doc/*.txt", "git-doc", min_bytes=64)
docs += ct.whole_files(root, "usr/share/doc/python3.11/html/_sources/**/*.rst.txt", "python3.11-doc", min_bytes=64)
docs += ct.fortunes(root, limit=args.fortunes)
raw, packed = ct.write_jsonl_gz(docs, args.out)
meta = {
    "file": os.path.basename(args.out), "documents": len(docs), "text_bytes": sum(len(d["text"].encode()) for d in docs),
    "jsonl_bytes": raw, "gzip_bytes": packed, "packages": ct.versions(args.work),
    "byte_length_bins": {str(1 << b): n for b, n in ct.length_bins(docs).items()},
}
with open(os.path.join(os.path.dirname(args.out), "default.meta.json"), "w") as f:
    json.dump(meta, f, indent=2, sort_keys=True)
    f.write("\n")
for name in ["git-doc", "python3.11-doc", "fortunes-min"]:
    src = os.path.join(root, "usr/share/doc", name, "copyright")
    shutil.copyfile(src, os.path.join(os.path.dirname(args.out), "COPYRIGHT." + name))
print(json.dumps(meta, indent=2))

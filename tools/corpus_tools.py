"""Shared helpers of the corpus build scripts: fetch Debian packages, collect documents, write JSONL.gz.

Only the Python standard library; run on a Debian machine with apt-get and dpkg (no network besides the
package mirror). Output is deterministic: documents are sorted, then shuffled with a fixed seed, and the
gzip header carries no timestamp or file name, so a rebuild from the same package versions is byte-identical.
"""
import glob
import gzip
import io
import json
import os
import random
import subprocess
import sys


def fetch(packages, workdir):
    """Downloads the .deb files of `packages` into workdir and unpacks them under workdir/root."""
    os.makedirs(workdir, exist_ok=True)
    subprocess.run(["apt-get", "download"] + packages, cwd=workdir, check=True)
    root = os.path.join(workdir, "root")
    for deb in sorted(glob.glob(os.path.join(workdir, "*.deb"))):
        subprocess.run(["dpkg", "-x", deb, root], check=True)
    return root


def versions(workdir):
    """Package name -> version of every .deb in workdir (from dpkg-deb)."""
    out = {}
    for deb in sorted(glob.glob(os.path.join(workdir, "*.deb"))):
        name = subprocess.run(["dpkg-deb", "-f", deb, "Package"], capture_output=True, text=True, check=True).stdout.strip()
        ver = subprocess.run(["dpkg-deb", "-f", deb, "Version"], capture_output=True, text=True, check=True).stdout.strip()
        out[name] = ver
    return out


def read_text(path):
    """The UTF-8 text of a file (gunzipped when it ends in .gz), or None when it is not valid UTF-8."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def files_under(root, pattern):
    """Regular files (not symlinks) matching a glob pattern under root, sorted."""
    return sorted(p for p in glob.glob(os.path.join(root, pattern), recursive=True)
                  if os.path.isfile(p) and not os.path.islink(p))


def fortunes(root, limit=None):
    """Fortune cookies of every fortunes file under root (split on lines holding only '%')."""
    docs = []
    for path in files_under(root, "usr/share/games/fortunes/*"):
        if path.endswith(".dat") or path.endswith(".u8"):
            continue
        text = read_text(path)
        if text is None:
            continue
        name = os.path.basename(path)
        for i, cookie in enumerate(text.split("\n%\n")):
            cookie = cookie.strip("\n")
            if cookie.strip():
                docs.append({"text": cookie + "\n", "source": "fortunes/%s#%d" % (name, i)})
    if limit is not None:
        random.Random(1).shuffle(docs)
        docs = sorted(docs[:limit], key=lambda d: d["source"])
    return docs


def whole_files(root, pattern, label, min_bytes=1):
    """One document per file matching pattern (skipping files that are not UTF-8 or shorter than min_bytes)."""
    docs, skipped = [], 0
    for path in files_under(root, pattern):
        text = read_text(path)
        if text is None or len(text.encode("utf-8")) < min_bytes:
            skipped += 1
            continue
        docs.append({"text": text, "source": label + "/" + os.path.relpath(path, root)})
    if skipped:
        print("%s: skipped %d files (not UTF-8 or too short)" % (label, skipped), file=sys.stderr)
    return docs


def write_jsonl_gz(docs, path, seed=0):
    """Writes docs shuffled with `seed` as JSON Lines, gzip level 9, without timestamp or name in the header."""
    docs = sorted(docs, key=lambda d: d["source"])
    random.Random(seed).shuffle(docs)
    raw = "".join(json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n" for d in docs).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buf, mtime=0) as g:
        g.write(raw)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return len(raw), len(buf.getvalue())


def length_bins(docs):
    """Histogram of document lengths in bytes (+1 for end-of-text) over power-of-two bins."""
    bins = {}
    for d in docs:
        n = len(d["text"].encode("utf-8")) + 1
        b = n.bit_length() - 1
        bins[b] = bins.get(b, 0) + 1
    return dict(sorted(bins.items()))

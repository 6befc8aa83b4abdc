#!/bin/sh
# Builds /tmp/bench_corpus_tok from Sources/Support, Sources/Corpus and tools/bench_corpus_tok.swift as one
# optimised module (the flags of Package.swift's numeric targets, whole-module like a release build).
set -e
cd "$(dirname "$0")/.."
src=$(mktemp -d)
for f in Sources/Support/*.swift Sources/Corpus/*.swift; do
    sed '/^import Support$/d' "$f" > "$src/$(basename "$(dirname "$f")")_$(basename "$f")"
done
cp tools/bench_corpus_tok.swift "$src/main.swift"
swiftc -O -wmo -Ounchecked -target-cpu haswell -module-name Bench "$src"/*.swift -o /tmp/bench_corpus_tok
rm -rf "$src"
echo "built /tmp/bench_corpus_tok"

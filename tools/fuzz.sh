#!/usr/bin/env bash
# Runs ddtrain's libFuzzer targets (fuzz/) for a fixed time each and collects crashing inputs.
#
# usage: tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]
#   SECONDS_PER_TARGET  default 60
#   TARGET              FuzzConfig FuzzManifest FuzzMegatronIndex FuzzLLMCHeader (default: all)
# Dictionaries of JSON keys in fuzz/dicts/TARGET.dict are used when present.
# Environment: FUZZ_WORK (default fuzz/work) holds each target's growing corpus and findings/ (crash-*,
# timeout-*, oom-* inputs). After a crash the target is restarted for the time left, so one run can collect
# several findings. Prints executions and crashes per target; exits 1 when anything crashed.
set -uo pipefail
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(FuzzConfig FuzzManifest FuzzMegatronIndex FuzzLLMCHeader)
root=$(cd "$(dirname "$0")/.." && pwd)
work=${FUZZ_WORK:-$root/fuzz/work}
flags=(-c release -Xswiftc -sanitize=fuzzer,address)

cd "$root/fuzz" || exit 2
swift build "${flags[@]}" || { echo "fuzz.sh: build failed (the toolchain needs libFuzzer: -sanitize=fuzzer)" >&2; exit 2; }
bin=$(swift build "${flags[@]}" --show-bin-path)

seeds_of() {
    case "$1" in
        FuzzConfig) echo "$root/fuzz/seeds/config" ;;
        FuzzManifest) echo "$root/fuzz/seeds/manifest" ;;
        FuzzMegatronIndex) echo "$root/fuzz/seeds/megatron" ;;
        FuzzLLMCHeader) echo "$root/fuzz/seeds/llmc" ;;
        *) echo "fuzz.sh: unknown target $1" >&2; exit 2 ;;
    esac
}

status=0
summary=$(printf "%-18s %8s %12s %8s %8s\n" target seconds executions crashes corpus)
for t in "${targets[@]}"; do
    seeds=$(seeds_of "$t")
    corpus="$work/$t/corpus" findings="$work/$t/findings" log="$work/$t/last.log"
    mkdir -p "$corpus" "$findings"
    start=$(date +%s) executions=0 crashes=0
    while :; do
        left=$(( secs - ($(date +%s) - start) ))
        [ "$left" -le 0 ] && break
        dict=() && [ -f "$root/fuzz/dicts/$t.dict" ] && dict=(-dict="$root/fuzz/dicts/$t.dict")
        "$bin/$t" "${dict[@]}" -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$findings/" "$corpus" "$seeds" >"$log" 2>&1
        rc=$?
        n=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
        executions=$(( executions + ${n:-0} ))
        [ "$rc" -eq 0 ] && break
        crashes=$(( crashes + 1 ))
        echo "fuzz.sh: $t crashed (exit $rc); input in $findings; $(grep -m1 -E 'ERROR|Fatal error|fatal' "$log")" >&2
        [ "$crashes" -ge 20 ] && break
    done
    [ "$crashes" -gt 0 ] && status=1
    summary+=$(printf "\n%-18s %8d %12d %8d %8d" "$t" "$secs" "$executions" "$crashes" "$(ls "$corpus" | wc -l)")
done
echo "$summary"
exit $status

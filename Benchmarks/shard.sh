#!/usr/bin/env bash
# quern shard vs quern count on the same inputs, in one run.
#
# Usage: Benchmarks/shard.sh [TEXT_FILE] [ROUNDS=3]
#   TEXT_FILE defaults to a 100 MB real-text corpus built by ../shared/bench/make-text-corpus.sh;
#   the JSONL sample Corpora/sample/books.jsonl.zst is measured too.
# Both commands read, parse and encode on all cores; shard also spills, interleaves and writes
# llm.c shards. Prints the median CPU (user+sys) and wall seconds and peak RSS of each, the
# CPU ratio shard/count (1.10 = shard costs 10% more), and checks that the token totals agree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work="$here/work"
mkdir -p "$work"
text=${1:-}
rounds=${2:-3}
if [ -z "$text" ]; then
  text="$work/text100.txt"
  [ -s "$text" ] || bash "$root/../shared/bench/make-text-corpus.sh" "$text" 100
fi
if ! build=$(cd "$root" && swift build -c release --product quern 2>&1); then
  echo "$build" >&2; exit 1
fi
quern="$root/.build/release/quern"
out="$work/shards"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

measure() {  # label input
  local label=$1 input=$2
  local cc=() cw=() cm=() sc=() sw=() sm=()
  for ((r = 0; r < rounds; r++)); do
    /usr/bin/time -f "%U %S %e %M" -o "$work/t" "$quern" count "$input" --json > "$work/count.json"
    read -r u s e m < "$work/t"; cc+=("$(echo "$u + $s" | bc)"); cw+=("$e"); cm+=("$m")
    rm -rf "$out"
    /usr/bin/time -f "%U %S %e %M" -o "$work/t" "$quern" shard "$input" -o "$out" --format llmc 2> "$work/shard.log"
    read -r u s e m < "$work/t"; sc+=("$(echo "$u + $s" | bc)"); sw+=("$e"); sm+=("$m")
  done
  local c=$(printf '%s\n' "${cc[@]}" | median) s=$(printf '%s\n' "${sc[@]}" | median)
  local counted=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['total']['tokens'])" "$work/count.json")
  local sharded=$(python3 -c "import json,sys; print(sum(s['tokens'] for s in json.load(open(sys.argv[1]))['sources']))" "$out/manifest.json")
  printf '%-28s count %6.2f CPU-s %6.2f wall %5d MB | shard %6.2f CPU-s %6.2f wall %5d MB | shard/count CPU %.3f | tokens %s %s\n' \
    "$label" "$c" "$(printf '%s\n' "${cw[@]}" | median)" "$(( $(printf '%s\n' "${cm[@]}" | median) / 1024 ))" \
    "$s" "$(printf '%s\n' "${sw[@]}" | median)" "$(( $(printf '%s\n' "${sm[@]}" | median) / 1024 ))" \
    "$(echo "$s / $c" | bc -l)" "$counted" "$([ "$counted" = "$sharded" ] && echo equal || echo "DIFFER: shard $sharded")"
}

# The same text as JSONL documents of 20 lines each, zstd-compressed (made once).
jsonl="$work/$(basename "$text" .txt).jsonl.zst"
if [ ! -s "$jsonl" ]; then
  python3 - "$text" <<'PY' | zstd -q -c > "$jsonl.tmp" && mv "$jsonl.tmp" "$jsonl"
import json, sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")
out = sys.stdout
for i in range(0, len(lines), 20):
    text = "\n".join(l for l in lines[i:i + 20] if l)
    if text:
        out.write(json.dumps({"id": str(i // 20), "text": text, "source": "bench"}) + "\n")
PY
fi

echo "$(nproc) cores, $rounds rounds, medians"
measure "$(basename "$text")" "$text"
measure "$(basename "$jsonl")" "$jsonl"
measure "books.jsonl.zst (sample)" "$root/Corpora/sample/books.jsonl.zst"
rm -rf "$out"

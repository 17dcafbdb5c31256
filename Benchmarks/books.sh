#!/usr/bin/env bash
# `quern extract books` throughput per core: MB of input per CPU-second (user + system), median
# of interleaved rounds, for the plain-text books (UTF-8, windows-1252, Aozora) and for the EPUBs
# of the shared corpus. Each file is passed REPEAT times so one run lasts long enough to time.
#
# Usage: Benchmarks/books.sh [ROUNDS] [REPEAT]   (needs ../shared/corpora or $QUERN_CORPORA)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rounds=${1:-5}
repeat=${2:-10}
corpora=${QUERN_CORPORA:-$root/../shared/corpora}
books="$corpora/books"
work="$root/Benchmarks/work/books"
mkdir -p "$work"
swift build -c release --product quern >/dev/null
quern="$root/.build/release/quern"

txt=(); epub=()
for ((i = 0; i < repeat; i++)); do
  for f in "$books"/*.txt; do txt+=("$f"); done
  for f in "$books"/*.epub; do epub+=("$f"); done
done
size() { local total=0; for f in "$@"; do total=$((total + $(stat -c %s "$f"))); done; echo "$total"; }
txt_bytes=$(size "${txt[@]}")
epub_bytes=$(size "${epub[@]}")

cpu() { # prints user+system seconds of one single-threaded run
  /usr/bin/time -f "%U %S" -o "$work/time" "$quern" extract books "$@" -o "$work/out.jsonl" -t 1 2>/dev/null
  awk '{print $1 + $2}' "$work/time"
}
declare -a t_txt t_epub
for ((r = 0; r < rounds; r++)); do
  t_txt+=("$(cpu "${txt[@]}")")
  t_epub+=("$(cpu "${epub[@]}")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mt=$(median "${t_txt[@]}"); me=$(median "${t_epub[@]}")
echo "| input | MB in | CPU s (median of $rounds) | MB/s per core |"
echo "|---|---:|---:|---:|"
awk -v n="${#txt[@]}" -v b="$txt_bytes" -v t="$mt" 'BEGIN {printf "| plain-text books (%d files) | %.1f | %.2f | %.0f |\n", n, b/1e6, t, b/1e6/t}'
awk -v n="${#epub[@]}" -v b="$epub_bytes" -v t="$me" 'BEGIN {printf "| EPUB, zip bytes (%d files) | %.1f | %.2f | %.0f |\n", n, b/1e6, t, b/1e6/t}'

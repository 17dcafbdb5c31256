#!/usr/bin/env bash
# quern extract wiki vs WikiExtractor on the same dumps, in one run.
#
# Usage: Benchmarks/wiki.sh [ROUNDS=3] [REPEAT=8]
# Needs `pip install wikiextractor` (3.1.0 measured). Prints, for the shared enwiki excerpt (206
# pages, 6.0 MB of XML, one bzip2 stream) and its plain XML, the median wall and CPU (user+sys)
# seconds of each tool over interleaved rounds, pages per CPU-second and MB of XML per CPU-second:
#   - WikiExtractor with one process, and with --processes 2;
#   - quern extract wiki with one cleaning thread (-t 1), and with all cores.
# Then a bigger input: the excerpt's pages repeated REPEAT times, written as a Wikimedia-style
# multistream bzip2 (siteinfo in its own stream, then one stream per 100 pages), to check that
# extraction keeps up with the parallel bzip2 decoder on all cores: `quern cat` on the same file is
# the bound. The machines are shared and noisy: compare CPU seconds and same-run ratios.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work="$here/work/wiki"
mkdir -p "$work"
rounds=${1:-3}
repeat=${2:-8}
corpora=${QUERN_CORPORA:-$root/../shared/corpora}
dump="$corpora/wikipedia/gensim__enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
[ -s "$dump" ] || { echo "missing $dump" >&2; exit 2; }
python3 -c "import wikiextractor" 2>/dev/null || { echo "pip install wikiextractor" >&2; exit 2; }
command -v bzip2 >/dev/null || { echo "missing bzip2" >&2; exit 2; }

if ! build=$(cd "$root" && swift build -c release --product quern 2>&1); then
  echo "$build" >&2; exit 1
fi
quern="$root/.build/release/quern"

xml="$work/enwiki.xml"
[ -s "$xml" ] || bzip2 -dc "$dump" > "$xml"
big="$work/enwiki-x$repeat.multistream.xml.bz2"
if [ ! -s "$big" ]; then
  python3 - "$xml" "$big" "$repeat" <<'EOF'
import bz2, sys
xml, out, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(xml, encoding="utf-8").read()
head, _, rest = text.partition("  <page>")
body, _, tail = ("  <page>" + rest).rpartition("</mediawiki>")
pages = ["  <page>" + p for p in body.split("  <page>")[1:]]
with open(out + ".tmp", "wb") as f:
    f.write(bz2.compress(head.encode()))          # siteinfo alone, as in Wikimedia's dumps
    all_pages = pages * repeat
    for i in range(0, len(all_pages), 100):       # then 100 pages per stream
        f.write(bz2.compress("".join(all_pages[i:i + 100]).encode()))
    f.write(bz2.compress(("</mediawiki>" + tail).encode()))
import os; os.replace(out + ".tmp", out)
EOF
fi

# Seconds as "wall cpu" for one command (children included), output discarded.
measure() {
  local TIMEFORMAT='%R %U %S'
  { time "$@" > /dev/null 2>/dev/null; } 2>&1 | awk '{printf "%.3f %.3f\n", $1, $2 + $3}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

we() {  # input processes
  rm -rf "$work/we"
  python3 -m wikiextractor.WikiExtractor --json --no-templates -q -b 100M --processes "$2" -o "$work/we" "$1"
}
qx() {  # input threads
  "$quern" extract wiki "$1" -t "$2" -o "$work/quern.jsonl"
}

pages=$(grep -c "<page>" "$xml")
xmlmb=$(awk -v b="$(stat -c %s "$xml")" 'BEGIN {print b / 1e6}')
cores=$(nproc)
echo "enwiki excerpt: $pages pages, $xmlmb MB of XML; $cores cores, $rounds rounds"

table() {  # label input
  local label=$1 input=$2
  declare -A wall cpu
  local names=("WikiExtractor 1 process" "WikiExtractor --processes 2" "quern -t 1" "quern -t $cores")
  for ((r = 0; r < rounds; r++)); do
    read -r w c < <(measure we "$input" 1); wall[0]+="$w "; cpu[0]+="$c "
    read -r w c < <(measure we "$input" 2); wall[1]+="$w "; cpu[1]+="$c "
    read -r w c < <(measure qx "$input" 1); wall[2]+="$w "; cpu[2]+="$c "
    read -r w c < <(measure qx "$input" "$cores"); wall[3]+="$w "; cpu[3]+="$c "
  done
  echo
  echo "### $label"
  echo "| tool | wall s | CPU s | pages per CPU-s | XML MB per CPU-s |"
  echo "|---|---:|---:|---:|---:|"
  local base=""
  for i in 0 1 2 3; do
    local mw mc
    mw=$(tr ' ' '\n' <<< "${wall[$i]}" | grep . | median)
    mc=$(tr ' ' '\n' <<< "${cpu[$i]}" | grep . | median)
    awk -v n="${names[$i]}" -v w="$mw" -v c="$mc" -v p="$pages" -v mb="$xmlmb" \
      'BEGIN {printf "| %s | %.2f | %.2f | %.0f | %.1f |\n", n, w, c, p / c, mb / c}'
    [ $i = 0 ] && base=$mc
    [ $i = 2 ] && ratio=$(awk -v a="$base" -v b="$mc" 'BEGIN {printf "%.1f", a / b}')
  done
  echo "quern -t 1 uses ${ratio}x less CPU than WikiExtractor with one process"
}
table "bzip2 (one stream)" "$dump"
table "plain XML" "$xml"

# Extraction against decoding alone (`quern cat`) on the same file: the one-stream excerpt, then
# the bigger multistream input, which the decoder spreads over all cores.
bound() {  # label file pages
  local label=$1 file=$2 n=$3
  echo
  echo "### $label"
  echo "| command | wall s | CPU s | pages/s (wall) |"
  echo "|---|---:|---:|---:|"
  local cw=() cc=() ew=() ec=()
  for ((r = 0; r < rounds; r++)); do
    read -r w c < <(measure "$quern" cat "$file"); cw+=("$w"); cc+=("$c")
    read -r w c < <(measure "$quern" extract wiki "$file" -o "$work/bound.jsonl"); ew+=("$w"); ec+=("$c")
  done
  local mcw mcc mew mec
  mcw=$(printf '%s\n' "${cw[@]}" | median); mcc=$(printf '%s\n' "${cc[@]}" | median)
  mew=$(printf '%s\n' "${ew[@]}" | median); mec=$(printf '%s\n' "${ec[@]}" | median)
  awk -v w="$mcw" -v c="$mcc" -v p="$n" 'BEGIN {printf "| quern cat | %.2f | %.2f | %.0f |\n", w, c, p / w}'
  awk -v w="$mew" -v c="$mec" -v p="$n" 'BEGIN {printf "| quern extract wiki | %.2f | %.2f | %.0f |\n", w, c, p / w}'
  awk -v a="$mew" -v b="$mcw" 'BEGIN {printf "extract wiki wall / cat wall: %.2f (1.00 = bzip2-bound)\n", a / b}'
}
bound "bzip2, one stream: the excerpt ($pages pages)" "$dump" "$pages"
bigpages=$((pages * repeat))
bound "multistream bzip2, $repeat x the excerpt ($bigpages pages, $(awk -v b="$(stat -c %s "$big")" 'BEGIN {printf "%.1f", b / 1e6}') MB stored)" "$big" "$bigpages"

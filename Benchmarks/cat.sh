#!/usr/bin/env bash
# quern cat vs the system decompressors, side by side on the same files in one run.
#
# Usage: Benchmarks/cat.sh [TEXT_FILE] [ROUNDS=5]
#   TEXT_FILE defaults to a 100 MB real-text corpus built by ../shared/bench/make-text-corpus.sh.
# Prints, per format, the median wall and CPU (user+sys) seconds of each tool over interleaved
# rounds, and the ratio tool/quern (above 1.0: quern is faster). The machines are shared and
# noisy: read CPU ratios for the one-core codecs, wall ratios for the parallel ones (multistream
# bzip2, multi-block xz). Every output is also checked byte for byte against the tool's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work="$here/work"
mkdir -p "$work"
text=${1:-}
rounds=${2:-5}
if [ -z "$text" ]; then
  text="$work/text100.txt"
  [ -s "$text" ] || bash "$root/../shared/bench/make-text-corpus.sh" "$text" 100
fi
for tool in gzip bzip2 zstd xz; do command -v $tool >/dev/null || { echo "missing $tool" >&2; exit 2; }; done

if ! build=$(cd "$root" && swift build -c release --product quern 2>&1); then
  echo "$build" >&2; exit 1
fi
quern="$root/.build/release/quern"

echo "input: $text ($(( $(stat -L -c %s "$text") / 1000000 )) MB), $(nproc) cores, $rounds rounds"
# Compressed copies (made once, kept in Benchmarks/work, which git ignores).
make() {  # output compressor... (reads the text on stdin; written under a temporary name)
  local out=$1; shift
  [ -s "$out" ] || { "$@" < "$text" > "$out.tmp" && mv "$out.tmp" "$out"; }
}
make "$work/t.gz" gzip -c
make "$work/t.zst" zstd -q -c
make "$work/t.xz" xz -T0 -c
make "$work/t1.xz" xz -T1 -c
make "$work/t.bz2" bzip2 -c
if [ ! -s "$work/t.multistream.bz2" ]; then
  # Wikipedia-style multistream: one bzip2 stream per ~1 MB piece.
  rm -rf "$work/pieces"; mkdir -p "$work/pieces"
  split -b 1000000 -d -a 4 "$text" "$work/pieces/p"
  for p in "$work"/pieces/p*; do bzip2 -c "$p"; done > "$work/t.multistream.bz2.tmp"
  mv "$work/t.multistream.bz2.tmp" "$work/t.multistream.bz2"
  rm -rf "$work/pieces"
fi

# Seconds as "wall cpu" for one command, output to /dev/null.
measure() {
  local TIMEFORMAT='%R %U %S'
  { time "$@" > /dev/null 2>/dev/null; } 2>&1 | awk '{printf "%.3f %.3f\n", $1, $2 + $3}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

row() {  # label file tool-command...
  local label=$1 file=$2; shift 2
  if ! cmp -s <("$quern" cat "$file") <("$@" "$file"); then
    echo "$label: OUTPUT DIFFERS from $*" >&2; exit 1
  fi
  local qw=() qc=() tw=() tc=()
  for ((r = 0; r < rounds; r++)); do
    read -r w c < <(measure "$quern" cat "$file"); qw+=("$w"); qc+=("$c")
    read -r w c < <(measure "$@" "$file"); tw+=("$w"); tc+=("$c")
  done
  local mqw mqc mtw mtc
  mqw=$(printf '%s\n' "${qw[@]}" | median); mqc=$(printf '%s\n' "${qc[@]}" | median)
  mtw=$(printf '%s\n' "${tw[@]}" | median); mtc=$(printf '%s\n' "${tc[@]}" | median)
  awk -v l="$label" -v t="$*" -v qw="$mqw" -v qc="$mqc" -v tw="$mtw" -v tc="$mtc" -v mb="$mb" 'BEGIN {
    printf "%-22s %-16s quern %6.2fs wall %6.2fs cpu (%6.0f MB/s cpu) | tool %6.2fs wall %6.2fs cpu | ratio wall %.2fx cpu %.2fx\n",
      l, t, qw, qc, mb / qc, tw, tc, tw / qw, tc / qc }'
}

mb=$(awk -v b="$(stat -L -c %s "$text")" 'BEGIN {print b / 1e6}')
row "gzip"                 "$work/t.gz"  gzip -dc
row "zstd"                 "$work/t.zst" zstd -dc
row "xz (one block)"       "$work/t1.xz" xz -dc
row "xz (multi-block)"     "$work/t.xz"  xz -dc
row "xz (multi-block)"     "$work/t.xz"  xz -T0 -dc
row "bzip2 (one stream)"   "$work/t.bz2" bzip2 -dc
row "bzip2 (multistream)"  "$work/t.multistream.bz2" bzip2 -dc
command -v lbzip2 >/dev/null && row "bzip2 (multistream)" "$work/t.multistream.bz2" lbzip2 -dc
row "plain"                "$text"       cat

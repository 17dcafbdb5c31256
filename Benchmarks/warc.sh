#!/usr/bin/env bash
# Reading WARC files: `quern warc index` vs fastwarc (and warcio for reference), same input, one run.
#
# Usage: Benchmarks/warc.sh [SIZE_MB=150] [ROUNDS=3]
# Builds Benchmarks/work/warc<SIZE>.warc.gz by concatenating the shared corpora's .warc.gz files
# (one gzip member per record, as Common Crawl writes them; members concatenate) until it is about
# SIZE MB, then times, in interleaved rounds:
#   quern     quern warc index (release build): every record's header parsed, its block copied,
#             one JSON index line printed (offset, length, type, URI, id, HTTP status)
#   fastwarc  fastwarc ArchiveIterator, every record's content read, HTTP parsing off / on
#   warcio    warcio ArchiveIterator, every record's raw block read
# and prints the median CPU seconds (user+sys), MB/s of compressed input per CPU second, and
# fastwarc's CPU time over Quern's (above 1.0: Quern is faster). Record counts must agree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work="$here/work"
mkdir -p "$work"
corpora="${QUERN_CORPORA:-$root/../shared/corpora}"
size_mb=${1:-150}
rounds=${2:-3}
input="$work/warc$size_mb.warc.gz"
if [ ! -s "$input" ]; then
  : > "$input.tmp"
  while [ "$(stat -c %s "$input.tmp")" -lt $(( size_mb * 1000000 )) ]; do
    cat "$corpora"/web/*.warc.gz "$corpora"/web/*.wet.gz "$corpora"/web/*.wat.gz >> "$input.tmp"
  done
  mv "$input.tmp" "$input"
fi
if ! build=$(cd "$root" && swift build -c release --product quern 2>&1); then
  echo "$build" >&2; exit 1
fi
quern="$root/.build/release/quern"
mb=$(python3 -c "print($(stat -c %s "$input") / 1e6)")
echo "input: $input ($mb MB gzip, $(gzip -dc "$input" | wc -c | awk '{printf "%.0f", $1/1e6}') MB decompressed), $rounds rounds"

cpu() {  # prints "cpu_seconds output_first_line" of a command
  local out
  out=$( { /usr/bin/time -f "%U %S" "$@" 2>&1 >"$work/out.txt"; } | tail -1)
  python3 -c "import sys; u,s=sys.argv[1].split(); print(float(u)+float(s))" "$out"
}
declare -A times
tools="quern fastwarc fastwarc-http warcio"
for ((r = 0; r < rounds; r++)); do
  for tool in $tools; do
    if [ $tool = quern ]; then
      t=$(cpu "$quern" warc index "$input"); n=$(wc -l < "$work/out.txt")
    else
      t=$(cpu python3 "$here/warc_peer.py" $tool "$input"); n=$(cut -d' ' -f1 "$work/out.txt")
    fi
    times[$tool]="${times[$tool]:-} $t"
    eval "count_${tool//-/_}=$n"
  done
done
median() { python3 -c "import sys,statistics; print(statistics.median(map(float, sys.argv[1:])))" $1; }
q=$(median "${times[quern]}")
printf "%-14s %10s %10s %10s %14s\n" tool records cpu_s MB/s "tool/quern"
for tool in $tools; do
  t=$(median "${times[$tool]}")
  c=$(eval echo \$count_${tool//-/_})
  python3 -c "import sys; t=float(sys.argv[2]); print('%-14s %10s %10.2f %10.1f %14.2f' % (sys.argv[1], sys.argv[4], t, float(sys.argv[3])/t, t/float(sys.argv[5])))" $tool $t $mb $c $q
done
if [ "$count_quern" != "$count_fastwarc" ] || [ "$count_quern" != "$count_warcio" ]; then
  echo "record counts differ: quern $count_quern fastwarc $count_fastwarc warcio $count_warcio" >&2; exit 1
fi

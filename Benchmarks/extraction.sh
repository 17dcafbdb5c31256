#!/usr/bin/env bash
# Main-content extraction: Quern vs trafilatura vs resiliparse on the same pages in one run.
#
# Usage: Benchmarks/extraction.sh [--quern BIN | --no-quern] [bench.py options...]
#   Accuracy on the trafilatura evaluation set (990 pages, must-contain / must-not-contain snippets,
#   scored like trafilatura's evaluate.py) and the WCXB dev subset (165 pages, word-level F1 of the
#   gold main_content, scored like WCXB's evaluate.py); throughput in MB of HTML per CPU-second.
#   Without --quern the script builds `quern` (release) and uses it; a binary that has no
#   `extract html` command yet is reported as "not run".
#   Options passed on to Benchmarks/extraction/bench.py (see its --help), the useful ones:
#     --peers auto|run|cached|none   reuse trafilatura's and resiliparse's cached outputs and
#                                    timings (auto, the default, when valid) or run them now (run)
#     --details quern                per page: missed `with` and leaked `without` snippets
#     --json FILE                    every figure as JSON
#   Needs: pip install trafilatura==2.3.1 lxml_html_clean resiliparse==2.0.1
# Everything unpacked or written goes to Benchmarks/work/extraction (git ignores Benchmarks/work).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work="$here/work/extraction"
corpora="${QUERN_CORPORA:-$root/../shared/corpora}"
mkdir -p "$work"

quern=""
build=1
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quern) quern=$2; build=0; shift 2 ;;
    --quern=*) quern=${1#--quern=}; build=0; shift ;;
    --no-quern) build=0; shift ;;
    *) args+=("$1"); shift ;;
  esac
done

# Unpack each gold set once. WCXB's pages are gzipped: gunzip them next to the .gz so that every
# tool reads the same plain HTML (throughput is MB of HTML, not of gzip).
unpack() {  # tarball folder
  local tarball=$1 dest=$2
  [ -f "$tarball" ] || { echo "missing $tarball (set QUERN_CORPORA)" >&2; exit 2; }
  if [ ! -f "$dest/.unpacked" ]; then
    rm -rf "$dest"; mkdir -p "$dest"
    tar -xJf "$tarball" -C "$dest"
    touch "$dest/.unpacked"
  fi
}
unpack "$corpora/extraction/trafilatura_eval_e90b0ef.tar.xz" "$work/trafilatura"
unpack "$corpora/extraction/wcxb_dev_subset165_c039d5e.tar.xz" "$work/wcxb"
for gz in "$work"/wcxb/dev/html/*.html.gz; do
  [ -f "${gz%.gz}" ] || { gzip -dc "$gz" > "${gz%.gz}.tmp" && mv "${gz%.gz}.tmp" "${gz%.gz}"; }
done

if [ "$build" = 1 ]; then
  if ! out=$(cd "$root" && swift build -c release --product quern 2>&1); then
    echo "$out" >&2; exit 1
  fi
  quern="$root/.build/release/quern"
fi

if [ -n "$quern" ]; then args+=(--quern "$quern"); fi
exec python3 "$here/extraction/bench.py" --work "$work" ${args[@]+"${args[@]}"}

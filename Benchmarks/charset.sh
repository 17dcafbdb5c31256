#!/usr/bin/env bash
# Charset decoding throughput per core (thread CPU time, median of 5 rounds) on the real pages of
# the shared corpora: valid-UTF-8 pass-through, the windows-1252 table, Shift_JIS / EUC-JP / GBK
# through ICU, and the cost of ICU's detector per page.
#
# Usage: Benchmarks/charset.sh        (needs ../shared/corpora or $QUERN_CORPORA)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
QUERN_BENCH=1 swift test -c release --filter CharsetBenchmarkTests 2>&1 | grep -E "charset-bench|error|failed" || true

#!/usr/bin/env bash
# Quern's tokenizer side by side with sentencepiece 0.2.3, HF tokenizers, rustbpe and tiktoken, on
# the same ~100 MB real-text corpus in one run.
#
# Usage: Benchmarks/tokenizer.sh [TEXT_FILE]
#   TEXT_FILE defaults to ../shared/bench/make-text-corpus.sh's 100 MB corpus.
#   Needs: pip install sentencepiece==0.2.3 tokenizers tiktoken rustbpe protobuf
# Prints: training CPU seconds and peak memory (vocab 32000, byte fallback, split digits), the
# compression (bytes per token) of Quern's and sentencepiece's vocabularies on held-apart text,
# and encode throughput per core (1 thread) and on all cores. CPU seconds are what to compare on
# these shared, noisy machines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work="$here/work"
mkdir -p "$work"
corpora="${QUERN_CORPORA:-$root/../shared/corpora}"
text=${1:-}
if [ -z "$text" ]; then
  text="$work/text100.txt"
  [ -s "$text" ] || bash "$root/../shared/bench/make-text-corpus.sh" "$text" 100
fi
peers="python3 $here/tokenizer_peers.py"
if ! build=$(cd "$root" && swift build -c release --product quern 2>&1); then
  echo "$build" >&2; exit 1
fi
quern="$root/.build/release/quern"
cores=$(nproc)

# Held-apart text: every line whose hash falls in 1/20 goes to held.txt, the rest to train.txt, so a
# line repeated in the corpus never lands on both sides.
if [ ! -s "$work/held.txt" ]; then
  python3 - "$text" "$work/train.txt" "$work/held.txt" <<'PY'
import sys, zlib
src, train, held = sys.argv[1:]
with open(src, "rb") as f, open(train, "wb") as t, open(held, "wb") as h:
    for line in f:
        (h if zlib.crc32(line) % 20 == 0 else t).write(line)
PY
fi
mb() { awk -v b="$(stat -L -c %s "$1")" 'BEGIN {printf "%.1f", b / 1e6}'; }
echo "corpus: $text; train $(mb "$work/train.txt") MB, held apart $(mb "$work/held.txt") MB; $cores cores"

measure() {  # label command... -> "label wall cpu peakMB"
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@" > /dev/null
  awk -v l="$label" '{printf "%-34s %6.2f s wall %6.2f CPU-s %6.0f MB peak\n", l, $1, $2 + $3, $4 / 1024}' "$work/time.txt"
}

echo
echo "== training, vocab 32000, LLaMA recipe (byte fallback, split digits, coverage 0.99995)"
measure "quern tokenizer train" "$quern" tokenizer train "$work/train.txt" -o "$work/quern32k"
measure "sentencepiece 0.2.3 (bpe)" $peers train-spm "$work/train.txt" "$work/spm32k"
measure "HF tokenizers (BPE, byte fallback)" $peers train-hf "$work/train.txt" "$work/hf32k.json"
measure "rustbpe (byte-level)" $peers train-rustbpe "$work/train.txt"
if cmp -s "$work/quern32k.vocab" "$work/spm32k.vocab"; then
  echo "quern32k.vocab and spm32k.vocab are byte-identical"
else
  echo "quern32k.vocab and spm32k.vocab differ: $(diff "$work/quern32k.vocab" "$work/spm32k.vocab" | grep -c '^<') lines"
fi

echo
echo "== compression on held-apart text (both encoded by sentencepiece; higher is better)"
q=$($peers bytes-per-token "$work/quern32k.model" "$work/held.txt" | python3 -c "import json,sys; print(json.load(sys.stdin)['bytes_per_token'])")
s=$($peers bytes-per-token "$work/spm32k.model" "$work/held.txt" | python3 -c "import json,sys; print(json.load(sys.stdin)['bytes_per_token'])")
awk -v q="$q" -v s="$s" 'BEGIN {printf "quern %.4f bytes/token, sentencepiece %.4f: quern/sentencepiece %.4f\n", q, s, q / s}'

echo
echo "== encode throughput (MB of text per CPU-second; all-core rows also MB/s wall)"
head -c 20000000 "$work/held.txt" > "$work/encode.txt" 2>/dev/null || true
[ "$(stat -c %s "$work/encode.txt")" -ge 4000000 ] || head -c 20000000 "$text" > "$work/encode.txt"
llama="$corpora/tokenizers/llama2.c__tokenizer.model"
llama3="$corpora/tokenizers/llama-models__llama3_tokenizer.model"
gpt2="$corpora/tokenizers/KV260-Accelerated-Platform__gpt2_tokenizer.json"
encode_quern() {  # label tokenizer threads
  local bytes; bytes=$(grep -v '^$' "$work/encode.txt" | tr -d '\n' | wc -c)
  /usr/bin/time -f "%e %U %S" -o "$work/time.txt" "$quern" count -T "$2" --threads "$3" --format text "$work/encode.txt" > /dev/null
  awk -v l="$1" -v b="$bytes" -v t="$3" '{c = $2 + $3; printf "%-44s threads %d: %7.1f MB/CPU-s %7.1f MB/s wall\n", l, t, b / 1e6 / c, b / 1e6 / $1}' "$work/time.txt"
}
encode_peer() {  # label kind file threads
  $peers "$2" "$3" "$work/encode.txt" "$4" | python3 -c "
import json, sys; r = json.load(sys.stdin)
print('%-44s threads %d: %7.1f MB/CPU-s %7.1f MB/s wall' % ('$1', r['threads'], r['mb_per_cpu_s'], r['mb_per_s']))"
}
for t in 1 "$cores"; do
  encode_quern "quern (LLaMA tokenizer.model)" "$llama" "$t"
  encode_peer "sentencepiece (LLaMA tokenizer.model)" encode-spm "$llama" "$t"
  encode_quern "quern (Llama 3 tiktoken ranks)" "$llama3" "$t"
  encode_peer "tiktoken (Llama 3 ranks)" encode-tiktoken "$llama3" "$t"
  encode_quern "quern (GPT-2 tokenizer.json)" "$gpt2" "$t"
  encode_peer "HF tokenizers (GPT-2 tokenizer.json)" encode-hf "$gpt2" "$t"
done
echo "(quern's figures include process start-up, loading the tokenizer and reading the file; the peers' count only the encode call)"

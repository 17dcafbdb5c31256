#!/usr/bin/env python3
"""The peers' side of Benchmarks/tokenizer.sh: one measurement per call, printed as JSON.

  train-spm TRAIN.txt PREFIX            sentencepiece 0.2.3 BPE, LLaMA recipe, vocab 32000
  train-hf TRAIN.txt OUT.json           HF tokenizers BPE, Metaspace + byte fallback + digits
  train-rustbpe TRAIN.txt               rustbpe (byte-level, GPT-4 pattern)
  bytes-per-token MODEL TEXT            sentencepiece encode of TEXT's lines with MODEL
  encode-spm MODEL TEXT THREADS         sentencepiece encode throughput
  encode-tiktoken RANKS TEXT THREADS    tiktoken (llama3 pattern) encode_ordinary throughput
  encode-hf TOKENIZER.json TEXT THREADS HF tokenizers encode_batch throughput
Timings are process CPU seconds (user+sys of this process and its threads), measured around the
work only, so reading the file and importing the library do not count.
"""
import json, os, resource, sys, time

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def lines_of(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return [l.rstrip("\n") for l in f if l.strip()]

def report(**kw):
    print(json.dumps(kw))

cmd = sys.argv[1]
if cmd == "train-spm":
    import sentencepiece as spm
    c0, w0 = cpu(), time.time()
    spm.SentencePieceTrainer.train(
        input=sys.argv[2], model_prefix=sys.argv[3], model_type="bpe", vocab_size=32000,
        byte_fallback=True, split_digits=True, character_coverage=0.99995, allow_whitespace_only_pieces=True,
        remove_extra_whitespaces=False, normalization_rule_name="identity", num_threads=os.cpu_count(),
        input_sentence_size=0, max_sentence_length=4192, minloglevel=2)
    report(tool="sentencepiece", cpu=cpu() - c0, wall=time.time() - w0, peak_mb=peak_mb())
elif cmd == "train-hf":
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, decoders, trainers
    tok = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>"))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split("▁", "merged_with_next"),
                                                 pre_tokenizers.Digits(individual_digits=True)])
    trainer = trainers.BpeTrainer(vocab_size=32000, special_tokens=["<unk>", "<s>", "</s>"],
                                  initial_alphabet=[f"<0x{i:02X}>" for i in range(256)], show_progress=False)
    c0, w0 = cpu(), time.time()
    tok.train([sys.argv[2]], trainer)
    report(tool="hf-tokenizers", cpu=cpu() - c0, wall=time.time() - w0, peak_mb=peak_mb())
    tok.save(sys.argv[3])
elif cmd == "train-rustbpe":
    import rustbpe
    lines = lines_of(sys.argv[2])
    c0, w0 = cpu(), time.time()
    t = rustbpe.Tokenizer()
    t.train_from_iterator(iter(lines), 32000)
    report(tool="rustbpe", cpu=cpu() - c0, wall=time.time() - w0, peak_mb=peak_mb())
elif cmd == "bytes-per-token":
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=sys.argv[2])
    lines = lines_of(sys.argv[3])
    tokens = sum(len(ids) for ids in sp.encode(lines))
    nbytes = sum(len(l.encode()) for l in lines)
    report(model=sys.argv[2], bytes=nbytes, tokens=tokens, bytes_per_token=nbytes / tokens)
elif cmd in ("encode-spm", "encode-tiktoken", "encode-hf"):
    text_path, threads = sys.argv[3], int(sys.argv[4])
    lines = lines_of(text_path)
    nbytes = sum(len(l.encode()) for l in lines)
    if cmd == "encode-spm":
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=sys.argv[2])
        run = lambda: sum(len(x) for x in sp.encode(lines, num_threads=threads))
        tool = "sentencepiece"
    elif cmd == "encode-tiktoken":
        import tiktoken
        from tiktoken.load import load_tiktoken_bpe
        pat = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
        enc = tiktoken.Encoding("llama3", pat_str=pat, mergeable_ranks=load_tiktoken_bpe(sys.argv[2]), special_tokens={})
        run = lambda: sum(len(x) for x in enc.encode_ordinary_batch(lines, num_threads=threads))
        tool = "tiktoken"
    else:
        os.environ["RAYON_NUM_THREADS"] = str(threads)
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(sys.argv[2])
        run = lambda: sum(len(e.ids) for e in tok.encode_batch(lines, add_special_tokens=False))
        tool = "hf-tokenizers"
    c0, w0 = cpu(), time.time()
    tokens = run()
    c, w = cpu() - c0, time.time() - w0
    report(tool=tool, threads=threads, bytes=nbytes, tokens=tokens, cpu=c, wall=w,
           mb_per_cpu_s=nbytes / 1e6 / c, mb_per_s=nbytes / 1e6 / w)
else:
    sys.exit(__doc__)

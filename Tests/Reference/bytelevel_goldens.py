#!/usr/bin/env python3
"""Golden ids for Quern's byte-level BPE, tiktoken and tokenizer.json tests (run by hand).

    python3 Tests/Reference/bytelevel_goldens.py [--corpora DIR]

Needs tiktoken 0.14 and tokenizers 0.23 (the references) and the shared corpora
(../shared/corpora or $QUERN_CORPORA). Writes into Tests/QuernTokenizerTests/Golden/:

  bytelevel_<name>.jsonl    one test case per line; the first line describes the tokenizer
  bytelevel_<name>.json     tokenizer.json files built here (small vocabularies trained on the
                            corpora) to cover tokenizer.json features the real files lack
  bytelevel_unicode_classes.json
                            \\p{L}, \\p{N}, \\s, \\p{Lu}... of every scalar as the regex engines
                            of tiktoken (Rust regex) and tokenizers (Oniguruma) see them

A case is either hand-made text, stored inline ("text", or "hex" for bytes that are not UTF-8),
or a stretch of a corpus file, stored as a reference only ("src" path under the corpora, "enc",
"off", "len": a byte range of the decompressed file; or "line": a JSONL record whose "text" is
the case). Corpus text is never copied here: the Swift tests read it again from the corpora.

"enc" says how the bytes become the text the reference encoded: "utf8" (valid UTF-8), "raw"
(bytes with invalid UTF-8, decoded by Python with errors="replace": Quern must repair them the
same way), "latin1" (ISO-8859-1, transcoded), "jsonl" (the record's "text").

"ids" are the reference's ids; "pieces" (tiktoken files) the FNV-1a 64 of the byte lengths of
the pre-tokenized pieces, comma-separated, as Oniguruma cuts the text with the preset's regex. "dec" is null when the reference decodes the ids back to the
text, else {"fnv": FNV-1a 64 of the UTF-8 of what it decodes, "n": its byte count}; "decs" the
same for decode(skip_special_tokens=True) when it differs from "dec".
"""
import argparse
import bz2
import gzip
import json
import os
import random
import sys
import unicodedata

import tiktoken
import tiktoken_ext.openai_public as openai_public
import tokenizers
from tiktoken.load import load_tiktoken_bpe
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "Tests", "QuernTokenizerTests", "Golden")

# The presets, spelled as their references spell them. cl100k_base and o200k_base come from
# tiktoken_ext itself (read below), the others are written out here.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3_PATTERN = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def openai_pattern(constructor):
    """The pat_str of a tiktoken_ext constructor, without downloading its ranks."""
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda *args, **kwargs: {}
    try:
        return constructor()["pat_str"]
    finally:
        openai_public.load_tiktoken_bpe = original


# Corpus files and how their bytes become text; (path, enc, number of cases).
SOURCES = [
    ("books/GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt", "utf8", 300),
    ("books/GITenberg_Faust--Der-Trag-die-erster-Teil__2229-8.txt", "latin1", 250),
    ("books/GITenberg_Faust--Der-Trag-die-erster-Teil__2229-8.txt", "raw", 60),
    ("books/GITenberg_La-Divina-Commedia-di-Dante__1012-0.txt", "utf8", 250),
    ("books/GITenberg_Moby-Dick--Or-The-Whale__moby10b.txt", "utf8", 300),
    ("books/GITenberg_Pride-and-Prejudice__1342-0.txt", "utf8", 250),
    ("books/LectorQuijote__pg2000.txt", "utf8", 250),
    ("books/sentencepiece__botchan.txt", "utf8", 200),
    ("books/sentencepiece__wagahaiwa_nekodearu.txt", "utf8", 300),
    ("wikipedia/gensim__enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2", "utf8", 450),
    ("wikipedia/wp2txt__testdata_ja.bz2", "utf8", 350),
    ("wikipedia/gensim__enwiki-table-markup.xml.bz2", "utf8", 150),
    ("wikipedia/pywikibot__article-pear-0.10.xml", "utf8", 80),
    ("web/dolma__sample-0000.warc.gz", "utf8", 150),
    ("web/resiliparse__warcfile.warc.gz", "raw", 150),
    ("web/pywb__iana.warc.gz", "raw", 120),
    ("web/resiliparse__clueweb-quirk.warc.gz", "raw", 150),
    ("web/webarchive-discovery__BL-20140325121225068-00000-32090~opera~8443.warc.gz", "raw", 120),
]
JSONL_SOURCES = [
    "pretraining/dolma__cc_en_head-0091.jsonl.gz",
    "pretraining/dolma__cc_en_head-0174.jsonl.gz",
]

EDGE_CASES = [
    # whitespace
    "Hello world", "  leading spaces", "trailing spaces  ", " ", "   ", "\t", "\n", "\r", "\r\n",
    "a\r\nb", "\r\n\r\n", "line one\r\nline two\r\n", "x\n\n\ny", "x \n y", "x  \n  y", "tab\tsep",
    "\t\t\tindented", "a  \t b", "hello\n  ", "hello \n \n", "hello\n", "hello\n\n", "hello \n",
    " \n", "\n ", "\n\n ", "  \n\n  \n", "end with spaces   ", "a \u00a0b", "\u00a0\u00a0x", "\u3000全角",
    "a\u2028b", "a\u2029b", "a\u0085b", "\x0b\x0c\x1c\x1d\x1e\x1f", "a\u200bb", "x\u1680y", "x\u202fy",
    "multiple     spaces    here", "a\t\tb  \t\n\tc", "\n\n\n\n\n\n\n\n", " " * 100 + "x", "\t" * 37,
    # numbers
    "1", "12", "123", "1234", "12345", "1234567890", "3.14159", "1,000,000", "x123y", " 42", "  42",
    "year 2024!", "٣٤٥٦٧", "①②③④", "Ⅻ Ⅲ ⅷ", "x²³ ½ ¾", "007", "0x1F 0b1010", "1e10 -5 +7",
    "12:30:45", "v1.2.3-rc4", "१२३४५", "١٢٣٤", "𝟙𝟚𝟛𝟜",
    # contractions in all cases
    "don't", "I'M", "WE'LL", "she'S", "they'Re", "you'VE", "I'd", "it'D", "'s", "'", "''", "'''s",
    "x'ſ", "O'Neil", "rock'n'roll", "'ll've", "don’t", "DON'T", "Shan't", "'S'T'RE'VE'M'LL'D",
    "I'm'll", "the 90's", "'tis", "y'all", "'m", "' s", "'ſ", "ſ's",
    # emoji, ZWJ, flags
    "👍", "👨‍👩‍👧‍👦", "🏳️‍🌈", "😀😃😄", "a👍b", "👍🏽", "🇫🇷🇩🇪", "I ❤️ NY", "❤", "#️⃣",
    # CJK and other scripts
    "吾輩は猫である。名前はまだ無い。", "中文测试 文本", "한국어 텍스트입니다", "日本語とEnglishの混在",
    "ｶﾀｶﾅ ﾃｽﾄ", "𠮷野家", "ไทยภาษาไทย", "مرحبا بالعالم", "שָׁלוֹם עוֹלָם", "नमस्ते दुनिया",
    "Привет, мир!", "Γειά σου Κόσμε", "ΣΊΣΥΦΟΣ σίσυφος", "ქართული", "Հայերեն", "ᠮᠣᠩᠭᠣᠯ",
    # combining marks and accents
    "e\u0301", "Cafe\u0301", " \u0301x", "\u0301abc", "a\u0308\u0304", "\u0301\u0302\u0303",
    "ÅÄÖ åäö", "Élan naïve café", "ÀÉÎÕÜ", "ǅungla ǈ ǋ", "ʰʲʷ", "ß ẞ", "ﬁne ﬂow", "İstanbul ı",
    "Zürich", "façade", "x\u20dd", "n\u0303o", "A\u030aB",
    # case boundaries (o200k)
    "HelloWorld", "HTTPServer", "iPhone", "McDONALD'S", "XMLHttpRequest", "ÀBC", "ABCdef'S",
    "camelCaseWord", "SCREAMING_SNAKE", "PascalCase'll", "aBC", "ǅa", "ǅA", "Aʰb", "ABʰ",
    # control characters
    "\x00", "\x01\x02\x03", "a\x7fb", "\x1b[31mred\x1b[0m", "\ufeffBOM", "a\u200db", "\u00ad",
    "\ufffd", "a\ufffdb",
    # special-token strings (plain text for tiktoken; added tokens for tokenizer.json)
    "<|endoftext|>", "hi<|endoftext|>there", " <|endoftext|> ", "<|endoftext|><|endoftext|>",
    "<|begin_of_text|>", "<|end_of_text|>", "|||EMAIL_ADDRESS|||", "mail me at |||EMAIL_ADDRESS||| now",
    "|||PHONE_NUMBER|||x", " |||IP_ADDRESS|||", "a|||EMAIL_ADDRESS|||b", "<s>", "</s>", "<unk>",
    "<s>hello</s>", "hello <s> world", "<<s>>", "|||EMAIL_ADDRESS||||||PHONE_NUMBER|||", "<|endoftext",
    # the made-up tokenizers' added tokens: lstrip, rstrip, single_word, normalized or not
    "<mask>", " <mask> ", "a<mask>b", "x <mask>\ty", "x\u3000<mask>\u2000y", "[SEP]  next", "[SEP]\n\nx",
    "word<sep>", "  <sep>", "a  <sep>  b", "Tony ony pony", "ony", " ony ", "(ony)", "ony's", "hello world",
    "hello  world", "Hello world", "café é é", "x é", "Ġtest", "a Ġtest b", "ﬁne fine ﬁ", "<eos>", " <eos> x",
    "~<eos>", "<0x41>", "a<s>b", "[UNK]", "<unk><unk>",
    # code and markup
    "def f(x):\n    return x**2\n", "if (a && b) { c(); }", "path/to/file.txt", "https://example.com/a?b=c&d=e",
    "// comment\n/* block */", "<div class=\"x\">text</div>", "a//b///c", "!!!\n\n///", "x /\ny",
    "#include <stdio.h>\nint main() { return 0; }\n", "SELECT * FROM t WHERE a='b';",
    # long pieces (the heap merge), long runs
    "a" * 1000, "ab" * 300, "\u00e9" * 200, " " * 500, "\n" * 300, "x" + " " * 200 + "y",
    "QmFzZTY0IGVuY29kZWQgdGV4dA" * 40, "7" * 100, "日本" * 100, "!?" * 150,
    # scalars whose class changed or that were assigned after Unicode 16.0
    "\u0295 \u0295a a\u0295", "x\u088fy", "\U00016ea0\U00016ebb",
    "\u10fc\u1d2c\u2c7c",
    # lone surrogates: tiktoken encodes str with them as U+FFFD (checked below)
    "a\ufffdb\ufffd",
]
# Bytes that are not UTF-8: Quern repairs them as Python's decode(errors="replace") does.
RAW_CASES = [
    b"\xff", b"abc\xc3", b"\xc3(", b"\xe2\x82", b"\xf0\x9f\x98", b"\xed\xa0\x80", b"\xc0\xaf",
    b"\xf4\x90\x80\x80", b"caf\xe9 cr\xe8me", b"\x80\x80\x80", b"a\xf5b", b"\xe0\x80\xaf",
    b"ok \xf0\x9f\x91\x8d \xf0\x9f\x91 end", b"\xfe\xff\x00a", b"line\r\n\xa0\xa0x",
    b"\xed\xbf\xbf\xee\x80\x80", b"\xf8\x88\x80\x80\x80", b"mixed \xe6\x97\xa5\xe6\x9c ok",
]


def fnv64(data):
    h = 0xCBF29CE484222325
    for byte in data:
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


class Corpora:
    def __init__(self, root):
        self.root = root
        self.cache = {}

    def bytes(self, path):
        if path not in self.cache:
            full = os.path.join(self.root, path)
            if path.endswith(".bz2"):
                with bz2.open(full) as f:
                    data = f.read()
            elif path.endswith(".gz"):
                with gzip.open(full) as f:
                    data = f.read()
            else:
                with open(full, "rb") as f:
                    data = f.read()
            self.cache[path] = data
        return self.cache[path]


def text_of(data, enc):
    if enc == "latin1":
        return data.decode("latin-1")
    if enc == "raw":
        return data.decode("utf-8", "replace")
    return data.decode("utf-8")


def corpus_cases(corpora, rng):
    """Stretches of 1 to 4 lines (with their line ends) of every source, at random line starts."""
    cases = []
    for path, enc, count in SOURCES:
        count = count * 9 // 10
        data = corpora.bytes(path)
        starts = [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A and i + 1 < len(data)]
        taken = set()
        tries = 0
        while len([c for c in cases if c["src"] == path and c["enc"] == enc]) < count and tries < count * 20:
            tries += 1
            k = rng.randrange(len(starts))
            lines = rng.choice([1, 1, 1, 2, 3, 4])
            start = starts[k]
            end = starts[k + lines] if k + lines < len(starts) else len(data)
            if end - start > 1500:
                end = starts[k + 1] if k + 1 < len(starts) else len(data)
            if end - start > 2500 or end - start < 2 or (start, end) in taken:
                continue
            chunk = data[start:end]
            if enc == "utf8":
                try:
                    chunk.decode("utf-8")
                except UnicodeDecodeError:
                    continue  # a line cut inside a character (web pages); not this source's kind
            if enc == "raw":
                try:
                    chunk.decode("utf-8")
                    if rng.random() < 0.7:
                        continue  # keep mostly stretches that need repair
                except UnicodeDecodeError:
                    pass
            taken.add((start, end))
            cases.append({"src": path, "enc": enc, "off": start, "len": end - start})
    for path in JSONL_SOURCES:
        for k, line in enumerate(corpora.bytes(path).split(b"\n")):
            if line.strip():
                cases.append({"src": path, "enc": "jsonl", "line": k})
    return cases


def case_text(case, corpora):
    if "text" in case:
        return case["text"]
    if "hex" in case:
        return bytes.fromhex(case["hex"]).decode("utf-8", "replace")
    data = corpora.bytes(case["src"])
    if case["enc"] == "jsonl":
        return json.loads(data.split(b"\n")[case["line"]])["text"]
    return text_of(data[case["off"]:case["off"] + case["len"]], case["enc"])


def edge_cases():
    cases = [{"text": t} for t in EDGE_CASES]
    cases += [{"hex": b.hex()} for b in RAW_CASES]
    return cases


def decode_field(decoded, text):
    if decoded == text:
        return None
    data = decoded.encode("utf-8")
    return {"fnv": fnv64(data), "n": len(data)}


def write_cases(name, header, cases, encode, decode=None, decode_skipping=None, pieces=None):
    path = os.path.join(OUT, "bytelevel_%s.jsonl" % name)
    total = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(header, ensure_ascii=False) + "\n")
        for case in cases:
            text = case_text(case, CORPORA)
            row = dict(case)
            row["ids"] = encode(text)
            total += len(row["ids"])
            if pieces is not None:
                row["pieces"] = pieces(text)
            if decode is not None:
                decoded = decode(row["ids"])
                row["dec"] = decode_field(decoded, text)
                if decode_skipping is not None:
                    skipped = decode_skipping(row["ids"])
                    if skipped != decoded:
                        row["decs"] = decode_field(skipped, text)
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    size = os.path.getsize(path)
    print("%-45s %5d cases %8d ids %9d bytes" % (os.path.basename(path), len(cases), total, size))
    if size > 2_100_000:
        sys.exit("%s is over the size budget" % path)


def tiktoken_goldens(cases, ranks_path):
    ranks = load_tiktoken_bpe(ranks_path)
    patterns = {
        "gpt2": GPT2_PATTERN,
        "cl100k_base": openai_pattern(openai_public.cl100k_base),
        "o200k_base": openai_pattern(openai_public.o200k_base),
        "llama3": LLAMA3_PATTERN,
    }
    for name, pattern in patterns.items():
        enc = tiktoken.Encoding(name="llama3-" + name, pat_str=pattern, mergeable_ranks=ranks, special_tokens={})
        # tiktoken encodes a str with lone surrogates as if they were U+FFFD.
        assert enc.encode("a\ud800b\udfff") == enc.encode_ordinary("a\ufffdb\ufffd")

        def encode(text, enc=enc):
            ids = enc.encode_ordinary(text)
            assert enc.decode_bytes(ids) == text.encode("utf-8")
            return ids

        # The pieces themselves, as Oniguruma cuts them with the spelling Quern writes into
        # tokenizer.json files (with Llama 3's ranks, some different cuts give the same ids).
        splitter = pre_tokenizers.Split(Regex(ONIGURUMA_PATTERNS[name]), behavior="isolated")

        def pieces(text):
            found = [piece for piece, _ in splitter.pre_tokenize_str(text)]
            assert "".join(found) == text
            return fnv64(",".join(str(len(piece.encode("utf-8"))) for piece in found).encode())

        header = {"kind": "tiktoken", "ranks": "tokenizers/llama-models__llama3_tokenizer.model",
                  "pattern": name, "regex": pattern, "oniguruma": ONIGURUMA_PATTERNS[name],
                  "tiktoken": tiktoken.__version__}
        write_cases("tiktoken_llama3_" + name, header, cases, encode, pieces=pieces)


def hf_goldens(name, tokenizer, header, cases):
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def encode(text):
        return tokenizer.encode(text, add_special_tokens=False).ids

    header = dict(header, kind="hf", tokenizers=tokenizers.__version__)
    write_cases(name, header, cases, encode,
                decode=lambda ids: tokenizer.decode(ids, skip_special_tokens=False),
                decode_skipping=lambda ids: tokenizer.decode(ids, skip_special_tokens=True))


def training_text(corpora):
    """Some text of every language in the corpora, to train the small vocabularies."""
    parts = []
    for path, enc, _ in SOURCES[:12]:
        data = corpora.bytes(path)
        chunk = data[len(data) // 3:len(data) // 3 + 150_000]
        parts.append(chunk.decode("latin-1") if enc == "latin1" else chunk.decode("utf-8", "replace"))
    return "\n".join(parts).split("\n")


def synthetic_tokenizers(corpora):
    """Small tokenizer.json files covering features the real files lack."""
    lines = training_text(corpora)
    made = {}

    # Metaspace (prepend first, split), NFKC, byte fallback, unk fused, Metaspace decoder chain.
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    tok.decoder = decoders.Sequence([decoders.Metaspace(replacement="▁", prepend_scheme="first"),
                                     decoders.ByteFallback(), decoders.Fuse()])
    tok.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=900, special_tokens=["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)],
        show_progress=False))
    tok.add_tokens([AddedToken("hello world", normalized=True), AddedToken("ﬁ", normalized=True)])
    made["metaspace_first"] = tok

    # ByteLevel with the prefix space, NFC, added tokens with every option.
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=700, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=True, single_word=True, normalized=False),
                            AddedToken("[SEP]", rstrip=True, normalized=False),
                            AddedToken("<|endoftext|>", normalized=False)])
    tok.add_tokens([AddedToken("hello world", normalized=True), AddedToken("Ġtest", normalized=False),
                    AddedToken("ony", single_word=True, normalized=True), AddedToken("é", normalized=True, lstrip=True),
                    AddedToken("<sep>", lstrip=True, normalized=False)])
    made["bytelevel_prefix"] = tok

    # Split(o200k regex) + ByteLevel(use_regex=False), ignore_merges, NFKC.
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace("``", '"')])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(openai_pattern(openai_public.o200k_base)), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=800, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    made["split_o200k"] = tok

    # Split(Llama 3 regex as HF writes it), subword prefix and word suffix, BPEDecoder.
    tok = Tokenizer(models.BPE(continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tok.normalizer = normalizers.Sequence([normalizers.Strip(), normalizers.NFD()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.Sequence([decoders.ByteLevel(), decoders.BPEDecoder(suffix="</w>")])
    tok.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=900, continuing_subword_prefix="##", end_of_word_suffix="</w>",
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    made["prefix_suffix"] = tok

    # Metaspace (always, no split), no byte fallback, unk not fused; Prepend normalizer; Strip decoder.
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKD(), normalizers.Prepend("~")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    # (tokenizers 0.23's Strip panics on a token that is only the stripped character with both
    # sides stripping, or on an empty token with `right` > 0: this chain avoids both.)
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.Strip(content=" ", left=0, right=1),
                                     decoders.Strip(content="~", left=1, right=0)])
    small = [line for line in lines if all(ord(c) < 0x250 for c in line)]
    tok.train_from_iterator(small, trainers.BpeTrainer(vocab_size=600, special_tokens=["<unk>"], show_progress=False))
    tok.add_special_tokens([AddedToken("<eos>", normalized=True)])
    made["metaspace_always"] = tok

    # Metaspace never + cl100k Split (Oniguruma-safe spelling); legacy add_prefix_space.
    tok = Tokenizer(models.BPE(unk_token="[UNK]", fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CL100K_ONIG_PATTERN), behavior="isolated"),
        pre_tokenizers.Metaspace(replacement="_", prepend_scheme="never", split=True)])
    tok.decoder = decoders.Metaspace(replacement="_", prepend_scheme="never")
    tok.train_from_iterator(small, trainers.BpeTrainer(vocab_size=500, special_tokens=["[UNK]"], show_progress=False))
    made["metaspace_never"] = tok

    # The layout of Benchmarks/tokenizer_peers.py's HF trainer: Prepend + Replace normalizer, Split
    # on "▁" (merged with next) and single digits, byte fallback.
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split("▁", "merged_with_next"),
                                                 pre_tokenizers.Digits(individual_digits=True)])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(content=" ", left=1, right=0)])
    tok.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=1000, special_tokens=["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)],
        show_progress=False))
    made["split_string_digits"] = tok

    # Every Split behavior, invert, contiguous digits, then ByteLevel without its regex.
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(" ", "removed"), pre_tokenizers.Split("-", "contiguous"),
        pre_tokenizers.Split(",", "merged_with_previous"), pre_tokenizers.Split("e", "merged_with_next", invert=True),
        pre_tokenizers.Split(Regex(GPT2_PATTERN), "isolated"), pre_tokenizers.Digits(individual_digits=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(small, trainers.BpeTrainer(
        vocab_size=600, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    made["split_behaviors"] = tok

    return made


CL100K_ONIG_PATTERN = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
# What Quern writes into a Split for each preset (Oniguruma reads cl100k's `{1,3}+` differently).
ONIGURUMA_PATTERNS = {
    "gpt2": GPT2_PATTERN,
    "cl100k_base": CL100K_ONIG_PATTERN,
    "o200k_base": openai_pattern(openai_public.o200k_base),
    "llama3": LLAMA3_PATTERN,
}


def unicode_classes():
    """The class sets of every scalar under both engines (they agree), as ranges."""
    classes = {"L": r"\p{L}", "N": r"\p{N}", "s": r"\s", "Lu": r"\p{Lu}", "Ll": r"\p{Ll}", "Lt": r"\p{Lt}",
               "Lm": r"\p{Lm}", "Lo": r"\p{Lo}", "M": r"\p{M}"}
    scalars = [c for c in range(0x110000) if not (0xD800 <= c < 0xE000) and c != ord("Z")]
    text = "".join(chr(c) for c in scalars)
    # tiktoken: "Z" + a scalar is one piece (hence one token of this made-up vocabulary) exactly
    # when the scalar is in the class.
    ranks = {bytes([b]): b for b in range(256)}
    for i, c in enumerate(scalars):
        ranks[("Z" + chr(c)).encode("utf-8", "surrogatepass")] = 256 + i
    probe_text = "Z" + "Z".join(chr(c) for c in scalars)
    result = {}
    for name, cls in classes.items():
        enc = tiktoken.Encoding(name="probe", pat_str="Z" + cls + r"|(?s:.)", mergeable_ranks=ranks, special_tokens={})
        in_tiktoken = {scalars[i - 256] for i in enc.encode_ordinary(probe_text) if i >= 256}
        removed = pre_tokenizers.Split(Regex(cls), behavior="removed").pre_tokenize_str(text)
        outside = set()
        for piece, _ in removed:
            outside.update(ord(ch) for ch in piece)
        in_oniguruma = set(scalars) - outside
        assert in_tiktoken == in_oniguruma, name
        if name in ("L", "Lu"):
            in_tiktoken.add(ord("Z"))
        ranges = []
        for c in sorted(in_tiktoken):
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
        result[name] = ranges
    path = os.path.join(OUT, "bytelevel_unicode_classes.json")
    with open(path, "w") as out:
        json.dump({"tiktoken": tiktoken.__version__, "tokenizers": tokenizers.__version__,
                   "unicodedata": unicodedata.unidata_version, "classes": result}, out, separators=(",", ":"))
    print("%-45s %9d bytes" % (os.path.basename(path), os.path.getsize(path)))


def main():
    global CORPORA
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.environ.get("QUERN_CORPORA") or os.path.join(os.path.dirname(ROOT), "shared", "corpora")
    parser.add_argument("--corpora", default=default)
    parser.add_argument("--skip-classes", action="store_true", help="do not recompute the Unicode class file")
    args = parser.parse_args()
    if tiktoken.__version__ != "0.14.0" or not tokenizers.__version__.startswith("0.23."):
        print("warning: goldens are meant for tiktoken 0.14.0 and tokenizers 0.23.x", file=sys.stderr)
    CORPORA = Corpora(args.corpora)
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(20240521)
    edge = edge_cases()
    corpus = corpus_cases(CORPORA, rng)
    cases = edge + corpus

    tiktoken_goldens(cases, os.path.join(args.corpora, "tokenizers/llama-models__llama3_tokenizer.model"))

    gpt2 = "tokenizers/KV260-Accelerated-Platform__gpt2_tokenizer.json"
    hf_goldens("hf_gpt2", Tokenizer.from_file(os.path.join(args.corpora, gpt2)), {"tokenizer": gpt2}, cases)
    dolma = "tokenizers/dolma__llama-test-tokenizer.json"
    hf_goldens("hf_dolma_llama", Tokenizer.from_file(os.path.join(args.corpora, dolma)), {"tokenizer": dolma}, cases)

    # The small made-up tokenizers: their files here, with the edge cases and some corpus cases.
    few = edge + rng.sample(corpus, 700)
    for name, tok in synthetic_tokenizers(CORPORA).items():
        file = "bytelevel_%s.json" % name
        tok.save(os.path.join(OUT, file))
        reloaded = Tokenizer.from_file(os.path.join(OUT, file))
        hf_goldens("hf_" + name, reloaded, {"tokenizer_golden": file}, few)

    if not args.skip_classes:
        unicode_classes()


if __name__ == "__main__":
    main()

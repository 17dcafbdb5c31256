#!/usr/bin/env python3
"""Golden ids and decodings from sentencepiece 0.2.3 for Quern's SentencePiece tests.

Run by hand (python3 Tests/Reference/sentencepiece_goldens.py) with sentencepiece==0.2.3 and the
shared corpora at ../shared/corpora (or $QUERN_CORPORA). Writes Tests/QuernTokenizerTests/Golden/:

  sentencepiece_NAME.golden   one file per model, tab-separated records (format below)
  sentencepiece_NAME.model    small models trained here on botchan.txt (user-defined and control symbols,
                charsmaps, custom normalization/denormalization rules, whitespace as suffix,
                unused pieces, no escaping), so that those code paths are tested without corpora.
                They are kept when they already exist (pass --retrain to rebuild them, which
                changes every golden of theirs).

The two corpora models: tokenizers/llama2.c__tokenizer.model (LLaMA BPE, byte fallback) and
tokenizers/sentencepiece__test_model.model (unigram, nmt_nfkc).

Golden records (all text as lowercase hex of its bytes, ids comma-separated):
  model   corpora|golden  PATH
  vocab   SIZE  bos ID  eos ID  unk ID  pad ID          (-1: none)
  source  INDEX  PATH  TRANSFORM  SIZE  CRC32           corpus file (decompressed: SIZE bytes,
                                                        zlib CRC-32); TRANSFORM raw or latin1
  case    INPUT_HEX  IDS  DECODED_HEX                   hand-made input
  normal  INPUT_HEX  NORMALIZED_HEX                     normalize() of a hand-made input, when it
                                                        is not the input itself
  decode  IDS  DECODED_HEX                              decoding of a made-up id sequence
  line    SOURCE  START  END  IDS  DECODED              corpus text: bytes START..END of the
                                                        decompressed file (then TRANSFORM);
                                                        DECODED is "=" when decode(ids) equals
                                                        the text, else CRC32:LENGTH of it
Corpus text is never copied here: the Swift test re-reads it from the corpora.

Inputs are always passed to sentencepiece as bytes (encode(bytes) and encode(str) agree on
well-formed text; bytes also carry malformed UTF-8, which sentencepiece turns into U+FFFD).
"""

import argparse
import bz2
import gzip
import os
import random
import sys
import zlib

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(PACKAGE, "Tests", "QuernTokenizerTests", "Golden")
PREFIX = "sentencepiece_"  # the Golden folder is shared with other tokenizers' goldens

# ---------------------------------------------------------------------------------------------
# Corpus sources: (path under the corpora, transform, kind). Lines are split on b"\n" only (a
# "\r" stays in the line), in the decompressed bytes.

SOURCES = [
    ("books/GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt", "raw", "text"),
    ("books/GITenberg_Faust--Der-Trag-die-erster-Teil__2229-8.txt", "latin1", "text"),
    ("books/GITenberg_La-Divina-Commedia-di-Dante__1012-0.txt", "raw", "text"),
    ("books/GITenberg_Moby-Dick--Or-The-Whale__moby10b.txt", "raw", "text"),
    ("books/GITenberg_Pride-and-Prejudice__1342-0.txt", "raw", "text"),
    ("books/LectorQuijote__pg2000.txt", "raw", "text"),
    ("books/sentencepiece__botchan.txt", "raw", "text"),
    ("books/sentencepiece__wagahaiwa_nekodearu.txt", "raw", "text"),
    ("wikipedia/gensim__enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2", "raw", "text"),
    ("wikipedia/gensim__bgwiki-latest-pages-articles-shortened.xml.bz2", "raw", "text"),
    ("wikipedia/gensim__enwiki-table-markup.xml.bz2", "raw", "text"),
    ("wikipedia/wp2txt__testdata_ja.bz2", "raw", "text"),
    ("wikipedia/pywikibot__article-pear-0.10.xml", "raw", "text"),
    ("wikipedia/pywikibot__article-pyrus-utf16.xml.bz2", "raw", "text"),  # UTF-16: malformed UTF-8
    ("web/CmonCrawl__mini.warc.gz", "raw", "warc"),
    ("web/dolma__sample-0000.warc.gz", "raw", "warc"),
    ("web/dolma__sample-0001.warc.gz", "raw", "warc"),
    ("web/pywb__iana.warc.gz", "raw", "warc"),
    ("web/resiliparse__clueweb-quirk.warc.gz", "raw", "warc"),  # Japanese pages, some not UTF-8
    ("web/resiliparse__warcfile.warc.gz", "raw", "warc"),       # Chinese and other languages
    ("web/warcio__example.warc.gz", "raw", "warc"),
    ("web/webarchive-discovery__BL-20140325121225068-00000-32090~opera~8443.warc.gz", "raw", "warc"),
    ("web/whirlwind-python__whirlwind.warc.gz", "raw", "warc"),
    ("pretraining/dolma__cc_en_head-0091.jsonl.gz", "raw", "text"),
]

# Lines longer than this are not drawn (the longest ones up to it are, on purpose). The small
# trained models get shorter lines: their ids are many per byte and the goldens stay small.
MAX_LINE = 4000
MAX_LINE_TRAINED = 1200
LONG_SPAN = 60000
LONG_SPAN_SOURCES = ("books/GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt",
                     "books/sentencepiece__wagahaiwa_nekodearu.txt")


def corpora_root():
    env = os.environ.get("QUERN_CORPORA")
    if env:
        return env
    return os.path.join(os.path.dirname(PACKAGE), "shared", "corpora")


def read_decompressed(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    return data


def line_ranges(data):
    """(start, end) of every line (without its "\\n")."""
    ranges, start = [], 0
    while True:
        end = data.find(b"\n", start)
        if end < 0:
            if start < len(data):
                ranges.append((start, len(data)))
            return ranges
        ranges.append((start, end))
        start = end + 1


def warc_payload_lines(data):
    """Line ranges inside the payloads of WARC response records with a text/* content type."""
    ranges, pos = [], 0
    while True:
        start = data.find(b"WARC/", pos)
        if start < 0:
            return ranges
        header_end = data.find(b"\r\n\r\n", start)
        if header_end < 0:
            return ranges
        header = data[start:header_end].decode("latin-1").lower()
        length = 0
        for h in header.split("\r\n"):
            if h.startswith("content-length:"):
                try:
                    length = int(h.split(":", 1)[1].strip())
                except ValueError:
                    length = 0
        block = header_end + 4
        pos = block + max(length, 0)
        if "warc-type: response" not in header:
            continue
        http_end = data.find(b"\r\n\r\n", block, pos)
        if http_end < 0:
            continue
        http = data[block:http_end].decode("latin-1").lower()
        if "content-type: text/" not in http:
            continue
        body_start = http_end + 4
        for s, e in line_ranges(data[body_start:pos]):
            ranges.append((body_start + s, body_start + e))


def transform(data, name):
    return data.decode("latin-1").encode("utf-8") if name == "latin1" else data


# ---------------------------------------------------------------------------------------------
# Hand-made cases

def hand_made_cases():
    s = [
        "", " ", "  ", "\t", "\n", "\r", "\r\n", "a", "A", "hello", "hello world", "Hello World!",
        "  leading spaces", "trailing spaces  ", "  both  ", "multiple   spaces   inside  words",
        " a b  c   d    e     f ", "x" + " " * 50 + "y", " " * 100,
        "tab\tseparated\tvalues", "\ttab first", "line one\nline two\n", "\n\nblank lines\n\n",
        "crlf\r\nline\r\n", "mixed \t \n \r whitespace", "a\u000bb\u000cc",
        "".join(chr(c) for c in range(1, 32)), "\u007f", "\u0085", "x\u0080y\u009fz",
        "\u00a0nbsp\u00a0here", "en\u2002em\u2003thin\u2009hair\u200aspace", "zero\u200bwidth",
        "ideographic\u3000space", "\ufeffbom first", "zwj\u200dalone", "word\u2028line\u2029para",
        "0", "7", "42", "1234567890", "3.14159", "1,000,000.00", "-273.15°C", "2024-05-17 12:34:56",
        "12345678901234567890123456789012345678901234567890", "9" * 300, "0x1F 0b1010 1e-9",
        "\u0663\u0664\u0665 Arabic-Indic", "\u00b2\u00b3 superscripts", "\u2460\u2461\u2462 circled",
        "\uff21\uff22\uff23\uff11\uff12\uff13 full-width", "\ufb01\ufb02 \ufb00 ligatures",
        "\u2122 \u2103 \u338f \u337b", "\u00bd \u2153 fractions", "\u216b Roman", "\uff83\uff7d\uff84",
        "\uff76\uff9e half-width", "\uff41\uff42\uff43\u3000\uff44\uff45\uff46",
        "\U0001f600", "\U0001f44d\U0001f3fd", "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
        "\U0001f3f3\ufe0f\u200d\U0001f308", "\U0001f1ef\U0001f1f5\U0001f1fa\U0001f1f8", "1\ufe0f\u20e3",
        "emoji \U0001f680 in \U0001f30d text \u2728", "\u2764\ufe0f", "\U0001f9d1\u200d\U0001f4bb",
        "漢字", "日本語のテキストです。", "吾輩は猫である。名前はまだ無い。", "中文字符测试，你好世界！",
        "한국어 텍스트", "\u1100\u1161\u11a8 jamo", "ภาษาไทย", "مرحبا بالعالم", "שלום עולם",
        "नमस्ते दुनिया", "Ελληνικά κείμενα", "Русский текст", "Ünïcödé çàfé naïve",
        "e\u0301", "n\u0303o", "a\u0300\u0301\u0302\u0303\u0304", "\u212b \u00c5 A\u030a",
        "\u00e9 vs e\u0301", "\u0958 nukta", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334 zalgo",
        "\ufffd", "\ufffd\ufffd\ufffd", "a\ufffdb", "\uffff", "\ue000 private", "\U0010ffff",
        "\U0001d400\U0001d401 math bold", "\u0130stanbul", "stra\u00dfe STRASSE", "\u01c5 \u01c4 \u01c6",
        "\u03a3\u0391\u03a3 \u03c3\u03b1\u03c2", "HELLO hello Hello hElLo",
        "<s>", "</s>", "<unk>", "<pad>", "<s> hello </s>", "<0x41>", "<0x0A>", "<0xZZ>", "<mask>",
        "a<mask>b", " <mask> ", "@@", "a@@b", "2024", "in 2024 and 20245", "<sep>", "<cls>",
        "\u2581", "\u2581\u2581hello", "hello\u2581world", "\u2581 \u2581", " \u2581 ", "\u2581" * 20,
        "abc xyz", "abcabc xyzxyz", "\uff21\u2460 abc",
        "a" * 1000, "supercalifragilisticexpialidocious" * 20, "abc" * 500, "ab " * 300,
        "Pneumonoultramicroscopicsilicovolcanoconiosis",
        "https://example.com/path/to/page?query=1&b=two#frag", "user.name+tag@example.co.uk",
        "def f(x):\n    return x ** 2  # square\n", '{"key": "value", "n": [1, 2, 3]}',
        "<p>Hello&nbsp;<b>world</b></p>", "# Title\n\n* item\n* **bold** _it_",
        "¿Qué tal? ¡Muy bien!", "«guillemets» „quotes“ ‘single’ — dash – en … ellipsis",
        "It's don't won't I'm you're", "U.S.A. e.g. i.e. etc.", "hello—world", "snake_case camelCase",
        "helloмирworld世界", "The quick brown fox jumps over the lazy dog.",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.",
    ]
    cases = [t.encode("utf-8") for t in s]
    cases += [
        b"\xff", b"\xfe\xff", b"\x80", b"abc\x80def", b"\xc3", b"\xc3(", b"\xe2\x82", b"\xe2\x82(",
        b"\xf0\x9f\x98", b"\xf0\x9f\x98 x", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
        b"\xed\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xf8\x88\x80\x80\x80",
        b"\xfc\x84\x80\x80\x80\x80", b"\x00", b"a\x00b", b"\x00\x00\x00", b"\xef\xbb\xbfBOM text",
        b"caf\xe9 cr\xe8me", b"\x80" * 10, b"ok \xff\xfe bad \xc3\xa9 good \xe2\x28\xa1",
        b" \xff ", b"\xff \xff", b"\xe2\x96", b"\xe2\x96\x81\xe2\x96", b"\xed\x9f\xbf\xee\x80\x80",
        b"\xef\xbf\xbd\xef\xbf\xbe\xef\xbf\xbf", b"  \xff  ", b"\xc2\xa0\xc2", bytes(range(256)),
        bytes(range(255, -1, -1)),
    ]
    # Random strings from a mixed alphabet (fixed seed): fuzzing for parity.
    rng = random.Random(20240517)
    alphabet = ([bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789.,;:!?'\"()-_/"]
                + [b" "] * 12 + [b"\t", b"\n", b"\r"] + [c.encode() for c in "éüßçñ漢字猫のはアイ한국ñ"]
                + ["\u2581".encode(), "\u0301".encode(), "\U0001f600".encode(), "\u200d".encode(),
                   "\uff21".encode(), "\u2460".encode(), "\ufb01".encode(), "\u3000".encode(),
                   "\u00a0".encode(), "\ufffd".encode()]
                + [b"\xff", b"\x80", b"\xc3", b"\xe2\x82", b"\x00"]
                + [b"<s>", b"<0x41>", b"<mask>", b"@@", b"2024", b"abc", b"xyz"])
    for _ in range(120):
        n = rng.choice([1, 2, 3, 5, 8, 13, 21, 40, 80, 200])
        cases.append(b"".join(rng.choice(alphabet) for _ in range(n)))
    seen, unique = set(), []
    for c in cases:
        if c not in seen:
            seen.add(c)
            unique.append(c)
    return unique


def decode_sequences(sp, rng):
    """Made-up id sequences for the decoder: specials, byte pieces, leading "▁", random ids."""
    n = sp.get_piece_size()
    seqs = []
    hello = sp.encode(b"hello world")
    specials = [i for i in (sp.bos_id(), sp.eos_id(), sp.unk_id(), sp.pad_id()) if i >= 0]
    seqs += [[i] for i in specials]
    if sp.bos_id() >= 0 and sp.eos_id() >= 0:
        seqs.append([sp.bos_id()] + hello + [sp.eos_id()])
        seqs.append([sp.bos_id(), sp.bos_id()] + hello)
    seqs.append([sp.unk_id(), sp.unk_id()])
    seqs.append(hello + [sp.unk_id()] + hello)
    space = sp.piece_to_id("\u2581")
    if space != sp.unk_id():
        seqs += [[space], [space, space], [space] + hello, hello + [space], [space, space] + hello]
        if sp.bos_id() >= 0:
            seqs.append([sp.bos_id(), space] + hello)
    byte = {}
    for i in range(n):
        if sp.is_byte(i):
            byte[int(sp.id_to_piece(i)[3:5], 16)] = i
    if byte:
        for raw in [b"\xc3\xa9", b"\xff", b"\xe2\x82", b"\xe2\x82\xac", b"\xe2\x96\x81", b"\xf0\x9f\x98\x80",
                    b"\x80\x80", b"A", b"\n", b" x", b"\xed\xa0\x80", b"\xef\xbf\xbd", b"\xc0\xaf"]:
            seq = [byte[b] for b in raw]
            seqs += [seq, hello + seq, seq + hello]
            if space != sp.unk_id():
                seqs.append(seq + [space] + hello)
    for _ in range(80):
        length = rng.choice([1, 2, 3, 5, 10, 30])
        seqs.append([rng.randrange(n) for _ in range(length)])
    # Random pieces biased towards the interesting kinds.
    kinds = [i for i in range(n) if sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i)
             or sp.id_to_piece(i).startswith("\u2581")][:2000]
    for _ in range(40):
        seqs.append([rng.choice(kinds) for _ in range(rng.choice([1, 2, 4, 8]))])
    return seqs


# ---------------------------------------------------------------------------------------------
# Trained models

def train_models(botchan, retrain):
    """Small models covering options the corpora models do not use. Kept if present."""
    os.makedirs(GOLDEN, exist_ok=True)
    work = os.path.join(GOLDEN, ".train")
    os.makedirs(work, exist_ok=True)
    common = dict(input=botchan, num_threads=2, minloglevel=2, input_sentence_size=0)

    def train(name, **options):
        path = os.path.join(GOLDEN, PREFIX + name + ".model")
        if os.path.exists(path) and not retrain:
            return
        spm.SentencePieceTrainer.train(model_prefix=os.path.join(work, name), **common, **options)
        os.replace(os.path.join(work, name + ".model"), path)
        os.remove(os.path.join(work, name + ".vocab"))

    def derive(name, source, edit):
        path = os.path.join(GOLDEN, PREFIX + name + ".model")
        if os.path.exists(path) and not retrain:
            return
        m = model_pb2.ModelProto()
        with open(os.path.join(GOLDEN, PREFIX + source + ".model"), "rb") as f:
            m.ParseFromString(f.read())
        edit(m)
        with open(path, "wb") as f:
            f.write(m.SerializeToString())

    # Unigram, NFKC with case folding, user-defined and control symbols, byte fallback.
    train("unigram_nfkc_cf", model_type="unigram", vocab_size=2000, normalization_rule_name="nmt_nfkc_cf",
          user_defined_symbols=["<mask>", "@@", "2024", "\uff76\uff9e", "http://"],
          control_symbols=["<sep>", "<cls>"], byte_fallback=True, split_digits=True)
    # BPE, identity rules, user-defined symbols, byte fallback, squeezed whitespace, no prefix.
    train("bpe_user", model_type="bpe", vocab_size=1500, normalization_rule_name="identity",
          user_defined_symbols=["<mask>", "@@", "2024", "the", "\u2581\u2581"], control_symbols=["<sep>"],
          byte_fallback=True, remove_extra_whitespaces=True, add_dummy_prefix=False)
    # BPE with custom rules and a denormalizer, whitespace as suffix, whitespace-only pieces,
    # no byte fallback (unknown runs collapse into one <unk>), whitespace kept as it is.
    rules = os.path.join(work, "rules.tsv")
    with open(rules, "w") as f:
        f.write("FF21\t41\n2460\t31\n61 62 63\t78 79 7A\n20 20 20\t20\n")
    derules = os.path.join(work, "derules.tsv")
    with open(derules, "w") as f:
        f.write("78 79 7A\t41 42 43\n2E\t2E 2E\n")
    train("bpe_suffix_rules", model_type="bpe", vocab_size=1000, normalization_rule_tsv=rules,
          denormalization_rule_tsv=derules, treat_whitespace_as_suffix=True,
          allow_whitespace_only_pieces=True, remove_extra_whitespaces=False, byte_fallback=False)
    # Unigram with identity rules and no dummy prefix; then derived with unused pieces and
    # without whitespace escaping.
    train("unigram_identity", model_type="unigram", vocab_size=1000, normalization_rule_name="identity",
          add_dummy_prefix=False, remove_extra_whitespaces=False, user_defined_symbols=["<mask>"])

    def mark_unused(m, every):
        count = 0
        for i, p in enumerate(m.pieces):
            if p.type == model_pb2.ModelProto.SentencePiece.NORMAL and len(p.piece) > 1 and i % every == 0:
                p.type = model_pb2.ModelProto.SentencePiece.UNUSED
                count += 1
        return count

    def unused_unigram(m):
        mark_unused(m, 7)
        m.normalizer_spec.escape_whitespaces = False

    derive("unigram_unused", "unigram_identity", unused_unigram)
    derive("bpe_unused", "bpe_user", lambda m: mark_unused(m, 5))
    for f in os.listdir(work):
        os.remove(os.path.join(work, f))
    os.rmdir(work)


# ---------------------------------------------------------------------------------------------

def hexs(b):
    return b.hex()


def ids_text(ids):
    return ",".join(str(i) for i in ids)


def crc(b):
    return "%08x" % (zlib.crc32(b) & 0xFFFFFFFF)


def write_golden(name, where, rel_path, model_path, sources, lines_per_source, max_line, seed):
    sp = spm.SentencePieceProcessor(model_file=model_path)
    rng = random.Random(seed)
    out = []
    out.append("# sentencepiece %s goldens for %s, written by Tests/Reference/sentencepiece_goldens.py"
               % (spm.__version__, rel_path))
    out.append("model\t%s\t%s" % (where, rel_path))
    out.append("vocab\t%d\tbos\t%d\teos\t%d\tunk\t%d\tpad\t%d"
               % (sp.get_piece_size(), sp.bos_id(), sp.eos_id(), sp.unk_id(), sp.pad_id()))

    def dec(ids):
        return sp.decode(ids, out_type=bytes)

    for text in hand_made_cases():
        ids = sp.encode(text)
        out.append("case\t%s\t%s\t%s" % (hexs(text), ids_text(ids), hexs(dec(ids))))
        normalized = sp.normalize(text)
        if normalized != text:
            out.append("normal\t%s\t%s" % (hexs(text), hexs(normalized)))
    for ids in decode_sequences(sp, rng):
        out.append("decode\t%s\t%s" % (ids_text(ids), hexs(dec(ids))))

    for index, (path, trans, data, ranges) in enumerate(sources):
        out.append("source\t%d\t%s\t%s\t%d\t%s" % (index, path, trans, len(data), crc(data)))
        usable = [r for r in ranges if r[1] - r[0] <= max_line]
        picked = rng.sample(usable, min(lines_per_source, len(usable)))
        # A few multi-line spans (newlines inside the text) and the longest usable lines.
        spans = []
        for _ in range(max(1, lines_per_source // 25)):
            if len(ranges) > 4:
                i = rng.randrange(len(ranges) - 4)
                if ranges[i + 3][1] - ranges[i][0] <= max_line:
                    spans.append((ranges[i][0], ranges[i + 3][1]))
        longest = sorted(usable, key=lambda r: r[0] - r[1])[:2]
        # For the corpora models, one very long span from two books (tens of thousands of
        # tokens: the unigram path score passes sentencepiece's +-100,000 reset threshold).
        huge = []
        if where == "corpora" and path in LONG_SPAN_SOURCES and len(ranges) > 10:
            first = rng.randrange(len(ranges) // 2)
            last = first
            while last + 1 < len(ranges) and ranges[last][1] - ranges[first][0] < LONG_SPAN:
                last += 1
            huge.append((ranges[first][0], ranges[last][1]))
        for start, end in sorted(set(picked + spans + longest + huge)):
            text = transform(data[start:end], trans)
            ids = sp.encode(text)
            decoded = dec(ids)
            check = "=" if decoded == text else "%s:%d" % (crc(decoded), len(decoded))
            out.append("line\t%d\t%d\t%d\t%s\t%s" % (index, start, end, ids_text(ids), check))

    path = os.path.join(GOLDEN, PREFIX + name + ".golden")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("%-36s %6d records %6.0f KB" % (os.path.basename(path), len(out), os.path.getsize(path) / 1024))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--retrain", action="store_true", help="rebuild the trained models")
    args = parser.parse_args()
    if spm.__version__ != "0.2.3":
        sys.exit("sentencepiece %s found; the goldens are for 0.2.3" % spm.__version__)
    root = corpora_root()
    if not os.path.isdir(root):
        sys.exit("corpora not found at %s (set QUERN_CORPORA)" % root)

    sources = []
    for path, trans, kind in SOURCES:
        full = os.path.join(root, path)
        if not os.path.exists(full):
            print("missing, skipped:", path)
            continue
        data = read_decompressed(full)
        ranges = warc_payload_lines(data) if kind == "warc" else line_ranges(data)
        sources.append((path, trans, data, ranges))

    train_models(os.path.join(root, "books/sentencepiece__botchan.txt"), args.retrain)

    models = [
        ("llama2", "corpora", "tokenizers/llama2.c__tokenizer.model", 190),
        ("test_model", "corpora", "tokenizers/sentencepiece__test_model.model", 130),
        ("unigram_nfkc_cf", "golden", PREFIX + "unigram_nfkc_cf.model", 25),
        ("bpe_user", "golden", PREFIX + "bpe_user.model", 25),
        ("bpe_suffix_rules", "golden", PREFIX + "bpe_suffix_rules.model", 25),
        ("unigram_identity", "golden", PREFIX + "unigram_identity.model", 20),
        ("unigram_unused", "golden", PREFIX + "unigram_unused.model", 20),
        ("bpe_unused", "golden", PREFIX + "bpe_unused.model", 20),
    ]
    for seed, (name, where, rel, per_source) in enumerate(models):
        model_path = os.path.join(root, rel) if where == "corpora" else os.path.join(GOLDEN, rel)
        max_line = MAX_LINE if where == "corpora" else MAX_LINE_TRAINED
        write_golden(name, where, rel, model_path, sources, per_source, max_line, 1000 + seed)


if __name__ == "__main__":
    main()

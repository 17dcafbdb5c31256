#!/usr/bin/env python3
"""Builds Corpora/sample/books.jsonl.zst, the small sample the README's first command runs on.

Public-domain Project Gutenberg books from ../shared/corpora/books (English, German, Italian,
Spanish), each cut between its START/END markers (licence boilerplate dropped) into documents of
about 40 paragraphs, in the dolma document schema (id, text, source, added, metadata). Only the
first few documents of each book are kept so the sample stays small. Deterministic: run again to
reproduce the committed file byte for byte (zstd -19, no time stamps).

Usage: python3 Corpora/sample/make-sample.py [CORPORA_DIR]
"""
import json, os, re, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
corpora = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "shared", "corpora")
BOOKS = [  # file, Gutenberg id, language, title, encoding, documents kept
    ("GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt", 11, "en", "Alice's Adventures in Wonderland", "utf-8-sig", 6),
    ("GITenberg_Pride-and-Prejudice__1342-0.txt", 1342, "en", "Pride and Prejudice", "utf-8-sig", 8),
    ("GITenberg_Moby-Dick--Or-The-Whale__moby10b.txt", 2701, "en", "Moby Dick; Or, The Whale", "latin-1", 6),
    ("GITenberg_Faust--Der-Trag-die-erster-Teil__2229-8.txt", 2229, "de", "Faust: Der Tragödie erster Teil", "latin-1", 4),
    ("GITenberg_La-Divina-Commedia-di-Dante__1012-0.txt", 1012, "it", "La Divina Commedia", "utf-8-sig", 4),
    ("LectorQuijote__pg2000.txt", 2000, "es", "Don Quijote", "utf-8-sig", 4),
]
START = re.compile(r"^\*\*\*\s*START OF (THE|THIS) PROJECT GUTENBERG.*$|^\*END[* ]THE SMALL PRINT.*$", re.M | re.I)
END = re.compile(r"^\*\*\*\s*END OF (THE|THIS) PROJECT GUTENBERG.*$|^End of (the )?Project Gutenberg.*$", re.M | re.I)

records = []
for name, pg, lang, title, encoding, keep in BOOKS:
    raw = open(os.path.join(corpora, "books", name), "rb").read().decode(encoding)
    raw = raw.replace("\r\n", "\n")
    start, end = START.search(raw), END.search(raw)
    body = raw[start.end() if start else 0 : end.start() if end else len(raw)]
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    for i in range(0, min(len(paragraphs), keep * 40), 40):
        text = "\n\n".join(paragraphs[i : i + 40])
        records.append({
            "id": f"pg{pg}-{i // 40:04d}",
            "text": text,
            "source": "gutenberg",
            "added": "2026-11-23T00:00:00Z",
            "metadata": {"title": title, "language": lang, "gutenberg_id": pg},
        })
lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
out = os.path.join(here, "books.jsonl.zst")
subprocess.run(["zstd", "-q", "-19", "-f", "--no-progress", "-o", out + ".tmp"], input=lines, check=True)
os.replace(out + ".tmp", out)
print(f"{out}: {len(records)} documents, {len(lines)} bytes of JSONL, {os.path.getsize(out)} compressed", file=sys.stderr)

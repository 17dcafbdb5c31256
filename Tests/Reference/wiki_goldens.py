#!/usr/bin/env python3
"""Golden texts for the QuernWiki tests: WikiExtractor's output on the shared English dumps.

Run by hand (pip install wikiextractor; 3.1.0 was used, it runs on Python 3.11 without a patch):

    python3 Tests/Reference/wiki_goldens.py [CORPORA]

For each dump it runs `python3 -m wikiextractor.WikiExtractor --json --no-templates` in a scratch
folder and stores, per page, {"id", "title", "text"} as gzipped JSONL under
Tests/QuernWikiTests/Golden/<dump>.wikiextractor.jsonl.gz. (The table-markup dump is not used:
it has no <siteinfo>, and WikiExtractor writes no page for it.) The Swift test compares Quern's text
with it page by page (word overlap, length, markup WikiExtractor leaks and Quern does not).
"""
import gzip, json, os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPORA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), "shared", "corpora")
OUT = os.path.join(ROOT, "Tests", "QuernWikiTests", "Golden")
DUMPS = [
    "wikipedia/gensim__enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
    "wikipedia/pywikibot__article-pear-0.10.xml",
]

def run(dump):
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([sys.executable, "-m", "wikiextractor.WikiExtractor", "--json", "--no-templates", "-q",
                        "-b", "100M", "-o", scratch, dump], check=True)
        docs = []
        for folder, _, files in sorted(os.walk(scratch)):
            for name in sorted(files):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    docs.extend(json.loads(line) for line in f if line.strip())
        return docs

def main():
    os.makedirs(OUT, exist_ok=True)
    for relative in DUMPS:
        docs = run(os.path.join(CORPORA, relative))
        name = os.path.basename(relative).split(".xml")[0]
        path = os.path.join(OUT, name + ".wikiextractor.jsonl.gz")
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
            for d in docs:
                f.write(json.dumps({"id": d["id"], "title": d["title"], "text": d["text"]}, ensure_ascii=False) + "\n")
        print(f"{path}: {len(docs)} pages")

if __name__ == "__main__":
    main()

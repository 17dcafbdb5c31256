"""How each gold set is scored: the way its own authors score it.

trafilatura set (snippet confusion matrix). trafilatura's evaluation (adbar/trafilatura
tests/evaluate.py + tests/eval_common.py `count_item`/`ConfusionMatrix`, read at commit d5f6da0;
the older tests/comparison.py `evaluate_result` did the same without the whitespace step):
  - both the output and each snippet are whitespace-normalised: every run of Unicode white space
    (Python's re `\\s`, which includes U+00A0) becomes one space, ends stripped;
  - per `with` snippet: contained in the output -> true positive, else false negative;
  - per `without` snippet: contained -> false positive, else true negative;
  - an extractor that fails or returns None: every `with` is a FN, every `without` a TN;
  - counts are summed over all pages (micro average): precision TP/(TP+FP), recall TP/(TP+FN),
    F1 2TP/(2TP+FP+FN), accuracy (TP+TN)/all.

WCXB (word-level bag-of-words F1 of main_content). WCXB's evaluate.py (Murrough-Foley/
web-content-extraction-benchmark, evaluate.py `word_f1` / `evaluate_results`):
  - tokens are re `\\w+` matches (Unicode) of the lower-cased text;
  - overlap = size of the multiset intersection of output and gold tokens; precision =
    overlap / output tokens, recall = overlap / gold tokens, F1 their harmonic mean;
  - empty gold: 1.0 for an empty output, else 0; empty output against non-empty gold: 0;
  - P, R and F1 are computed per page and then averaged over pages (macro average; the reported F1
    is the mean of per-page F1s, not the F1 of the mean P and R);
  - it also reports the mean share of `with` snippets found and of `without` snippets leaked,
    matched case-insensitively as plain substrings (no whitespace normalisation).
"""
import re
from collections import Counter
from dataclasses import dataclass

_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def squeeze(text):
    return _WS.sub(" ", text).strip()


@dataclass
class SnippetCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, other):
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn

    def scores(self):
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else 0.0
        total = self.tp + self.fp + self.fn + self.tn
        acc = (self.tp + self.tn) / total if total else 0.0
        return {"precision": p, "recall": r, "f1": f, "accuracy": acc}


def snippet_page(page, text):
    """(counts, missed `with` snippets, leaked `without` snippets) for one trafilatura-set page."""
    if text is None:
        return SnippetCounts(fn=len(page.with_), tn=len(page.without)), list(page.with_), []
    out = squeeze(text)
    missed = [s for s in page.with_ if squeeze(s) not in out]
    leaked = [s for s in page.without if squeeze(s) in out]
    counts = SnippetCounts(tp=len(page.with_) - len(missed), fn=len(missed),
                           fp=len(leaked), tn=len(page.without) - len(leaked))
    return counts, missed, leaked


def score_trafilatura_set(pages, texts):
    """texts: page id -> output text or None. Returns the summary and the per-page rows."""
    total = SnippetCounts()
    rows = []
    for page in pages:
        counts, missed, leaked = snippet_page(page, texts.get(page.id))
        total.add(counts)
        rows.append({"id": page.id, "label": page.label, "tp": counts.tp, "fp": counts.fp,
                     "fn": counts.fn, "tn": counts.tn, "missed": missed, "leaked": leaked})
    summary = total.scores()
    summary.update(tp=total.tp, fp=total.fp, fn=total.fn, tn=total.tn)
    return summary, rows


def words(text):
    return _WORD.findall(text.lower()) if text else []


def word_prf(output, gold):
    pred = words(output)
    ref = words(gold)
    if not ref:
        return (1.0, 1.0, 1.0) if not pred else (0.0, 0.0, 0.0)
    if not pred:
        return (0.0, 0.0, 0.0)
    overlap = sum((Counter(pred) & Counter(ref)).values())
    p = overlap / len(pred)
    r = overlap / len(ref)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return (p, r, f)


def score_wcxb(pages, texts):
    rows = []
    for page in pages:
        text = texts.get(page.id) or ""
        p, r, f = word_prf(text, page.main_content)
        lower = text.lower()
        missed = [s for s in page.with_ if s.lower() not in lower]
        leaked = [s for s in page.without if s.lower() in lower]
        with_rate = 1 - len(missed) / len(page.with_) if page.with_ else 1.0
        without_rate = len(leaked) / len(page.without) if page.without else 1.0
        rows.append({"id": page.id, "label": page.label, "page_type": page.page_type,
                     "precision": p, "recall": r, "f1": f, "with_rate": with_rate,
                     "without_rate": without_rate, "missed": missed, "leaked": leaked})
    n = len(rows)
    summary = {key: sum(row[key] for row in rows) / n
               for key in ("precision", "recall", "f1", "with_rate", "without_rate")}
    by_type = {}
    for row in rows:
        by_type.setdefault(row["page_type"], []).append(row["f1"])
    summary["f1_by_type"] = {t: sum(v) / len(v) for t, v in sorted(by_type.items())}
    summary["pages_by_type"] = {t: len(v) for t, v in sorted(by_type.items())}
    return summary, rows

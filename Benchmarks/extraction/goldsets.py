"""The two gold sets of Benchmarks/extraction.sh, as lists of pages.

trafilatura: adbar/trafilatura @ e90b0ef tests/evaldata.json (990 pages). Each entry maps a URL to
  {file, with: [snippets the extraction must contain], without: [boilerplate it must not contain]};
  the file lives in tests/cache/ or tests/eval/ (looked up in that order, as trafilatura's
  tests/eval_common.py `resolve` does).
wcxb: Murrough-Foley/web-content-extraction-benchmark @ c039d5e, 165 dev pages:
  dev/html/NNNN.html(.gz) + dev/ground-truth/NNNN.json with ground_truth.main_content (the gold
  text) and with/without snippets. Extraction.sh gunzips the pages next to the .gz files so that
  every tool reads the same plain HTML bytes (throughput counts bytes of HTML, not of gzip).
"""
import json
import os
from dataclasses import dataclass, field


@dataclass
class Page:
    id: str            # trafilatura: the file name; wcxb: the four-digit file id
    path: str          # the plain HTML file every tool reads
    size: int          # bytes of HTML
    label: str         # URL (trafilatura) or "type url" (wcxb), for the details listing
    with_: list = field(default_factory=list)
    without: list = field(default_factory=list)
    main_content: str | None = None  # wcxb only
    page_type: str | None = None     # wcxb only


class GoldSetError(Exception):
    pass


def load_trafilatura(root):
    """root is the unpacked tarball (holding tests/evaldata.json)."""
    tests = os.path.join(root, "tests")
    gold_path = os.path.join(tests, "evaldata.json")
    if not os.path.isfile(gold_path):
        raise GoldSetError(f"{gold_path}: missing (run Benchmarks/extraction.sh to unpack the gold sets)")
    with open(gold_path, encoding="utf-8") as f:
        gold = json.load(f)
    pages = []
    for url, item in gold.items():
        name = item["file"]
        path = None
        for sub in ("cache", "eval"):
            candidate = os.path.join(tests, sub, name)
            if os.path.isfile(candidate):
                path = candidate
                break
        if path is None:
            raise GoldSetError(f"{gold_path}: {url}: file {name!r} is in neither tests/cache nor tests/eval")
        pages.append(Page(id=name, path=path, size=os.path.getsize(path), label=url,
                          with_=list(item["with"]), without=list(item["without"])))
    return pages


def page_type_of(data):
    # As WCXB's evaluate.py reads it: _internal.page_type.primary (or a plain string), and the
    # older name "category" counts as "collection".
    pt = (data.get("_internal") or {}).get("page_type", {})
    if isinstance(pt, dict):
        pt = pt.get("primary", "article")
    elif not isinstance(pt, str):
        pt = "article"
    return "collection" if pt == "category" else pt


def load_wcxb(root):
    """root is the unpacked tarball (holding dev/ground-truth and dev/html)."""
    gt_dir = os.path.join(root, "dev", "ground-truth")
    html_dir = os.path.join(root, "dev", "html")
    if not os.path.isdir(gt_dir):
        raise GoldSetError(f"{gt_dir}: missing (run Benchmarks/extraction.sh to unpack the gold sets)")
    pages = []
    for name in sorted(os.listdir(gt_dir)):
        if not name.endswith(".json"):
            continue
        file_id = name[:-5]
        with open(os.path.join(gt_dir, name), encoding="utf-8") as f:
            data = json.load(f)
        gt = data.get("ground_truth")
        if not isinstance(gt, dict):
            continue  # WCXB's own loader skips these too
        path = os.path.join(html_dir, file_id + ".html")
        if not os.path.isfile(path):
            raise GoldSetError(f"{path}: missing (extraction.sh gunzips {path}.gz next to it)")
        ptype = page_type_of(data)
        pages.append(Page(id=file_id, path=path, size=os.path.getsize(path),
                          label=f"{ptype} {data.get('url', '')}",
                          with_=list(gt.get("with") or []), without=list(gt.get("without") or []),
                          main_content=gt.get("main_content") or "", page_type=ptype))
    if not pages:
        raise GoldSetError(f"{gt_dir}: no ground-truth files")
    return pages

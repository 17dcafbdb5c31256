#!/usr/bin/env python3
"""Main-content extraction: accuracy on two gold sets and CPU throughput, Quern vs trafilatura vs
resiliparse, on the same pages in one run. Benchmarks/extraction.sh unpacks the data and calls this.

  bench.py [--quern BIN] [--peers auto|run|cached|none] [--sets trafilatura,wcxb]
           [--details TOOL] [--json FILE] [--no-quern-per-page] [--limit N] [--work DIR]

Prints one Markdown table per gold set (precision, recall, F1, MB of HTML per CPU-second) and, with
--details TOOL, every page where TOOL missed a `with` snippet or leaked a `without` snippet (WCXB:
every page, worst word-F1 first). Scoring is described in scoring.py, timing in tools.py.

--peers: run = run trafilatura and resiliparse now and refresh the cache in the work folder;
cached = reuse that cache (error if absent or made by other library versions); auto (default) =
cached when valid, else run; none = Quern only. Cached peer timings come from an earlier run: for a
same-run speed comparison use --peers run.
"""
import argparse
import datetime
import json
import os
import sys
from statistics import median

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import goldsets  # noqa: E402
import scoring  # noqa: E402
import tools  # noqa: E402

PEER_NAMES = ["trafilatura", "resiliparse"]
SETS = {
    "trafilatura": ("trafilatura eval set (adbar/trafilatura @ e90b0ef, tests/evaldata.json)",
                    "trafilatura", goldsets.load_trafilatura),
    "wcxb": ("WCXB dev subset (165 pages, @ c039d5e)", "wcxb", goldsets.load_wcxb),
}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.path.join(os.path.dirname(HERE), "work", "extraction"),
                    help="unpacked gold sets, caches and Quern's outputs (default Benchmarks/work/extraction)")
    ap.add_argument("--quern", help="the quern binary (needs `quern extract html --jsonl`)")
    ap.add_argument("--peers", choices=["auto", "run", "cached", "none"], default="auto")
    ap.add_argument("--sets", default="trafilatura,wcxb", help="comma-separated: trafilatura, wcxb")
    ap.add_argument("--details", metavar="TOOL",
                    help="per-page misses and leaks of TOOL (quern, trafilatura, resiliparse)")
    ap.add_argument("--json", metavar="FILE",
                    help="also write every figure as JSON to FILE ('-' = stdout, then no tables)")
    ap.add_argument("--no-quern-per-page", action="store_true",
                    help="skip the second Quern pass that starts one process per page")
    ap.add_argument("--rounds", type=int, default=1,
                    help="time every tool this many times over the set and report the median CPU (default 1)")
    ap.add_argument("--limit", type=int,
                    help="only the first N pages of each set (quick checks; the cache is neither read nor written)")
    args = ap.parse_args()
    args.sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    for s in args.sets:
        if s not in SETS:
            ap.error(f"unknown set {s!r} (known: {', '.join(SETS)})")
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if args.details and args.details not in ["quern", *PEER_NAMES]:
        ap.error(f"--details: unknown tool {args.details!r}")
    return args


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- peers and their cache -------------------------------------------------------------------

def cache_path(work, set_name):
    return os.path.join(work, f"peers-{set_name}.json")


def load_cache(work, set_name, pages, versions):
    """(results, created) or (None, why not)."""
    path = cache_path(work, set_name)
    if not os.path.isfile(path):
        return None, f"{path}: no cache yet"
    with open(path, encoding="utf-8") as f:
        cache = json.load(f)
    if cache.get("versions") != versions or cache.get("trafilatura_opts") != tools.TRAFILATURA_OPTS:
        return None, f"{path}: made with {cache.get('versions')}, installed {versions}"
    ids = [p.id for p in pages]
    for name, res in cache["results"].items():
        if "cpu_rounds" not in res or any(i not in res["texts"] for i in ids):
            return None, f"{path}: does not cover every page for {name}"
    return cache["results"], cache["created"]


def save_cache(work, set_name, results, versions):
    path = cache_path(work, set_name)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"created": now(), "versions": versions, "trafilatura_opts": tools.TRAFILATURA_OPTS,
                   "results": results}, f)
    os.replace(tmp, path)


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def peer_plan(args, set_name, pages):
    """What to do about the peers of one set: (cached results or None, runners to run now,
    {tool: reason not run}, where the figures come from)."""
    if args.peers == "none":
        return None, {}, {}, None
    versions = tools.peer_versions(PEER_NAMES)
    wanted = [n for n in PEER_NAMES if versions[n] is not None]
    missing = {n: f"{tools.PEERS[n][0]} is not installed" for n in PEER_NAMES if versions[n] is None}
    if args.peers in ("auto", "cached") and not args.limit:
        results, info = load_cache(args.work, set_name, pages, versions)
        if results is not None:
            return {n: results[n] for n in wanted if n in results}, {}, missing, f"cached run of {info}"
        if args.peers == "cached":
            sys.exit(f"--peers cached: {info}; run once with --peers run")
        log(f"{set_name}: {info}; running the peers")
    runners, skipped = tools.prepare_peers(wanted)
    missing.update(skipped)
    return None, runners, missing, "this run"


# ---- one gold set --------------------------------------------------------------------------

def score(set_name, pages, texts):
    if set_name == "trafilatura":
        return scoring.score_trafilatura_set(pages, texts)
    return scoring.score_wcxb(pages, texts)


def evaluate_set(args, set_name, quern_problem):
    title, sub, loader = SETS[set_name]
    pages = loader(os.path.join(args.work, sub))
    if args.limit:
        pages = pages[:args.limit]
    mb = sum(p.size for p in pages) / 1e6
    tag = set_name + (f"-limit{args.limit}" if args.limit else "")

    # Timed rounds, interleaved: peers then Quern, `rounds` times; outputs of round 1 are scored.
    cached, runners, peer_missing, peer_source = peer_plan(args, set_name, pages)
    peer_results = cached or {name: {"texts": {}, "cpu": {}, "cpu_rounds": [], "errors": {}}
                              for name in runners}
    quern_cpu, quern_first = [], None
    for r in range(args.rounds):
        label = f"{set_name}, round {r + 1}/{args.rounds}: "
        if runners:
            log(f"{label}{', '.join(runners)} on {len(pages)} pages")
            tools.peer_round(pages, runners, peer_results, label)
        if not quern_problem:
            log(f"{label}quern on {len(pages)} pages")
            code, cpu, out_path, err_path = tools.quern_round(args.quern, pages, args.work, tag if r == 0 else tag + "-again")
            quern_cpu.append(cpu)
            if r == 0:
                quern_first = tools.quern_result(pages, code, out_path, err_path)
    if runners and not args.limit:
        save_cache(args.work, set_name, peer_results, tools.peer_versions(PEER_NAMES))

    tools_out = {}
    for name in PEER_NAMES:
        if name in peer_missing:
            tools_out[name] = {"status": "not run", "reason": peer_missing[name]}
            continue
        if name not in peer_results:
            continue
        res = peer_results[name]
        summary, rows = score(set_name, pages, res["texts"])
        cpu = median(res["cpu_rounds"])
        empty = sum(1 for p in pages if not res["texts"].get(p.id))
        tools_out[name] = {"status": "ok", "summary": summary, "rows": rows, "cpu_s": cpu,
                           "cpu_rounds": res["cpu_rounds"], "mb_per_cpu_s": mb / cpu if cpu else None,
                           "errors": len(res["errors"]), "error_samples": dict(list(res["errors"].items())[:5]),
                           "empty": empty, "timing_source": peer_source}

    if quern_problem:
        tools_out["quern"] = {"status": "not run", "reason": quern_problem}
    else:
        q = quern_first
        summary, rows = score(set_name, pages, q["texts"])
        cpu = median(quern_cpu)
        entry = {"status": "ok", "summary": summary, "rows": rows, "cpu_s": cpu, "cpu_rounds": quern_cpu,
                 "mb_per_cpu_s": mb / cpu if cpu else None,
                 "exit": q["exit"], "missing_pages": len(q["missing"]), "missing_ids": q["missing"],
                 "bad_lines": q["bad_lines"][:10], "unknown_paths": q["unknown_paths"],
                 "stderr_tail": q["stderr_tail"], "output": q["output"],
                 "empty": sum(1 for p in pages if p.id in q["texts"] and not q["texts"][p.id]),
                 "timing_source": "this run"}
        if not args.no_quern_per_page:
            log(f"{set_name}: quern, one process per page")
            c, failures = tools.quern_per_page(args.quern, pages, args.work, tag)
            entry["cpu_s_per_page_processes"] = c
            entry["mb_per_cpu_s_per_page_processes"] = mb / c if c else None
            entry["per_page_failures"] = failures
        tools_out["quern"] = entry
    return {"title": title, "pages": len(pages), "mb": mb, "tools": tools_out}, pages


# ---- output --------------------------------------------------------------------------------

def fmt(x, digits=3):
    return "—" if x is None else f"{x:.{digits}f}"


def notes_for(name, t, n_pages):
    if t["status"] != "ok":
        return f"not run: {t['reason']}"
    notes = []
    if name == "quern":
        if "mb_per_cpu_s_per_page_processes" in t:
            notes.append(f"{fmt(t['mb_per_cpu_s_per_page_processes'], 1)} MB/s with one process per page")
        if t["missing_pages"]:
            notes.append(f"no output for {t['missing_pages']}/{n_pages} pages")
        if t["exit"] != 0:
            notes.append(f"exit status {t['exit']}")
        if t["bad_lines"]:
            notes.append(f"{len(t['bad_lines'])} unreadable JSONL lines")
        if t.get("per_page_failures"):
            notes.append(f"{t['per_page_failures']} per-page runs failed")
    else:
        if t["errors"]:
            notes.append(f"{t['errors']} exceptions")
        if t["timing_source"] != "this run":
            notes.append(f"timing from {t['timing_source']}")
    if t["empty"]:
        notes.append(f"{t['empty']} empty outputs")
    return "; ".join(notes)


def table(set_name, data):
    order = ["quern", *PEER_NAMES]
    lines = [f"### {data['title']}: {data['pages']} pages, {data['mb']:.1f} MB of HTML", ""]
    if set_name == "trafilatura":
        lines += ["| tool | precision | recall | F1 | accuracy | MB/s per core | notes |",
                  "|---|---:|---:|---:|---:|---:|---|"]
    else:
        lines += ["| tool | precision | recall | F1 | `with` found | `without` leaked | MB/s per core | notes |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
    for name in order:
        t = data["tools"].get(name)
        if t is None:
            continue
        notes = notes_for(name, t, data["pages"])
        if t["status"] != "ok":
            cells = ["—"] * (5 if set_name == "trafilatura" else 6)
        else:
            s = t["summary"]
            cells = [fmt(s["precision"]), fmt(s["recall"]), fmt(s["f1"])]
            if set_name == "trafilatura":
                cells.append(fmt(s["accuracy"]))
            else:
                cells += [f"{s['with_rate']:.1%}", f"{s['without_rate']:.1%}"]
            cells.append(fmt(t["mb_per_cpu_s"], 1))
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {notes} |")
    if set_name == "wcxb":
        ran = [n for n in order if data["tools"].get(n, {}).get("status") == "ok"]
        if ran:
            types = list(data["tools"][ran[0]]["summary"]["f1_by_type"])
            counts = data["tools"][ran[0]]["summary"]["pages_by_type"]
            lines += ["", "F1 by page type:", "",
                      "| tool | " + " | ".join(f"{t} ({counts[t]})" for t in types) + " |",
                      "|---|" + "---:|" * len(types)]
            for n in ran:
                by = data["tools"][n]["summary"]["f1_by_type"]
                lines.append(f"| {n} | " + " | ".join(fmt(by.get(t)) for t in types) + " |")
    return "\n".join(lines)


def details(set_name, data, tool):
    t = data["tools"].get(tool)
    if not t or t["status"] != "ok":
        reason = t["reason"] if t else "not part of this run"
        return f"### details, {tool}, {set_name}: not run ({reason})"
    out = [f"### details, {tool}, {data['title']}"]
    absent = set(t.get("missing_ids", []))
    if set_name == "trafilatura":
        rows = [r for r in t["rows"] if r["missed"] or r["leaked"]]
        rows.sort(key=lambda r: (-(len(r["missed"]) + len(r["leaked"])), r["id"]))
        out.append(f"{len(rows)} of {data['pages']} pages with a missed `with` or a leaked `without` snippet "
                   f"(FN {t['summary']['fn']}, FP {t['summary']['fp']})")
        for r in rows:
            out.append(f"\n{r['id']}  {r['label']}" + ("  (no output)" if r["id"] in absent else ""))
            for s in r["missed"]:
                out.append(f"  missed: {s!r}")
            for s in r["leaked"]:
                out.append(f"  leaked: {s!r}")
    else:
        rows = sorted(t["rows"], key=lambda r: (r["f1"], r["id"]))
        out.append("every page, lowest word F1 first (P = share of output words in the gold text, "
                   "R = share of gold words in the output)")
        for r in rows:
            out.append(f"\n{r['id']}  F1 {r['f1']:.3f}  P {r['precision']:.3f}  R {r['recall']:.3f}  {r['label']}"
                       + ("  (no output)" if r["id"] in absent else ""))
            for s in r["missed"]:
                out.append(f"  missed: {s!r}")
            for s in r["leaked"]:
                out.append(f"  leaked: {s!r}")
    return "\n".join(out)


def main():
    args = parse_args()
    quern_problem = tools.quern_support(args.quern)
    if quern_problem:
        log(f"quern: not run ({quern_problem})")
    report = {"created": now(), "cores": os.cpu_count(),
              "versions": {**tools.peer_versions(PEER_NAMES), "quern": args.quern if not quern_problem else None},
              "trafilatura_opts": tools.TRAFILATURA_OPTS, "sets": {}}
    page_lists = {}
    for set_name in args.sets:
        try:
            report["sets"][set_name], page_lists[set_name] = evaluate_set(args, set_name, quern_problem)
        except goldsets.GoldSetError as err:
            sys.exit(f"error: {err}")

    if args.json:
        text = json.dumps(report, indent=1, ensure_ascii=False)
        if args.json == "-":
            print(text)
            return
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    v = report["versions"]
    print(f"Extraction benchmark, {report['created']}, {report['cores']} cores; trafilatura {v['trafilatura']} "
          f"(extract {', '.join(f'{k}={val}' for k, val in tools.TRAFILATURA_OPTS.items())}), "
          f"resiliparse {v['resiliparse']} (main_content=True), quern {v['quern'] or 'not run'}")
    print("MB/s per core = MB of HTML / CPU seconds (user+sys). Peers: the extraction calls only. "
          "Quern: the whole child process over all pages (start-up, reading files, writing JSONL included).")
    for set_name, data in report["sets"].items():
        print()
        print(table(set_name, data))
    print()
    print("Trafilatura set: snippet counts summed over pages, matched after collapsing white space (trafilatura's "
          "evaluate.py). WCXB: per-page word-level bag-of-words P/R/F1 of main_content (\\w+ tokens, lower-cased), "
          "averaged over pages (WCXB's evaluate.py); snippet rates are case-insensitive substring checks.")
    if args.details:
        for set_name, data in report["sets"].items():
            print()
            print(details(set_name, data, args.details))


if __name__ == "__main__":
    main()

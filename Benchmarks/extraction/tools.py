"""The extractors under comparison and how their CPU time is measured.

Peers run in this process, one after the other over the whole page set; with --rounds N the
passes of all tools (Quern included) alternate N times so that machine noise falls on all of them
alike, and the median is reported. Each call is timed with time.process_time()
(user+sys CPU of this process, all threads) around the extraction call only: reading the file,
importing the library and one warm-up call per library happen before the clock starts.

Quern runs as a child process (`quern extract html --jsonl FILE...`); its CPU time is the child's
user+sys from os.wait4, so it includes process start-up, reading the files and writing the JSONL.
"""
import json
import os
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version

# trafilatura's canonical benchmark settings: tests/eval_common.py EXTRACT_OPTS
# (include_comments=False, include_tables=True, include_formatting=False) and the "trafilatura"
# row of tests/evaluate.py, i.e. RUNNERS["fallback"] = extract(fast=False, **EXTRACT_OPTS)
# (adbar/trafilatura, read at commit d5f6da0). The raw bytes are passed, as there.
TRAFILATURA_OPTS = {"fast": False, "include_comments": False, "include_tables": True,
                    "include_formatting": False}


def _trafilatura():
    from trafilatura import extract

    def run(html):
        return extract(html, **TRAFILATURA_OPTS)
    return run


def _resiliparse():
    # As trafilatura's evaluate.py run_resiliparse and the resiliparse docs: resiliparse's own
    # encoding detection, decode, then main-content plain text.
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    def run(html):
        return extract_plain_text(bytes_to_str(html, detect_encoding(html)), main_content=True)
    return run


PEERS = {
    "trafilatura": ("trafilatura", _trafilatura),
    "resiliparse": ("resiliparse", _resiliparse),
}


def peer_versions(names):
    out = {}
    for name in names:
        try:
            out[name] = version(PEERS[name][0])
        except PackageNotFoundError:
            out[name] = None
    return out


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def prepare_peers(names):
    """({name: extract function} for the peers that import and survive a warm-up call,
    {name: reason} for the others)."""
    runners, skipped = {}, {}
    for name in names:
        try:
            fn = PEERS[name][1]()
            fn(b"<html><body><article><p>warm-up text for the first call</p></article></body></html>")
            runners[name] = fn
        except Exception as err:  # ImportError and friends: the tool is not run
            skipped[name] = f"{type(err).__name__}: {err}"
    return runners, skipped


def peer_round(pages, runners, results, label=""):
    """One timed pass of every peer over the pages, one peer after the other. Tool-major on
    purpose: interleaving page by page let trafilatura's large lxml trees evict resiliparse's
    working set from the caches, which cost resiliparse about 10% in one measurement.
    results is {name: {"texts": {id: str|None}, "cpu": {id: s}, "cpu_rounds": [s], "errors":
    {id: msg}}}; a peer's first round fills texts, per-page cpu and errors, every round appends
    its total."""
    for name, fn in runners.items():
        res = results[name]
        first = not res["cpu_rounds"]
        total = 0.0
        for i, page in enumerate(pages, 1):
            html = read_bytes(page.path)
            t0 = time.process_time()
            try:
                text, error = fn(html), None
            except Exception as err:
                text, error = None, f"{type(err).__name__}: {err}"
            dt = time.process_time() - t0
            total += dt
            if first:
                res["cpu"][page.id] = dt
                res["texts"][page.id] = text
                if error:
                    res["errors"][page.id] = error
            if i % 250 == 0:
                print(f"  {label}{name}: {i}/{len(pages)} pages", file=sys.stderr, flush=True)
        res["cpu_rounds"].append(total)


def _child_cpu(argv, stdout_path, stderr_path):
    """Run argv with stdout/stderr to files; (exit code, child user+sys seconds, wall seconds)."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        w0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - w0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return proc.returncode, usage.ru_utime + usage.ru_stime, wall


def quern_support(quern):
    """None when `quern extract html --jsonl` exists, else why Quern cannot be run."""
    if not quern:
        return "no --quern binary given"
    if not (os.path.isfile(quern) and os.access(quern, os.X_OK)):
        return f"{quern}: not an executable file"
    try:
        proc = subprocess.run([quern, "extract", "html", "--help"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{quern} extract html --help: {err}"
    help_text = proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        first = help_text.strip().splitlines()[:1]
        return f"`quern extract html` not supported by {quern} (exit {proc.returncode}: {first[0] if first else ''})"
    # ArgumentParser answers --help after an unknown subcommand with the top-level help and exit 0.
    if "extract html" not in help_text:
        return f"`quern extract html` not supported by {quern} (its --help shows the top-level help)"
    if "--jsonl" not in help_text:
        return f"`quern extract html` of {quern} has no --jsonl option"
    return None


def _read_jsonl(path, pages):
    """Map the JSONL lines back to page ids by the "path" field (as given on the command line, or
    the same file under another spelling). Returns (texts, bad lines, unknown paths)."""
    by_path = {}
    for page in pages:
        by_path[page.path] = page.id
        by_path[os.path.realpath(page.path)] = page.id
    texts, bad, unknown = {}, [], []
    with open(path, "rb") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                p = rec["path"]
                text = rec["text"]
            except (ValueError, KeyError, TypeError) as err:
                bad.append(f"line {lineno}: {err}")
                continue
            pid = by_path.get(p) or by_path.get(os.path.realpath(p))
            if pid is None:
                unknown.append(p)
            elif pid in texts:
                bad.append(f"line {lineno}: second record for {p}")
            else:
                texts[pid] = text
    return texts, bad, unknown


def quern_argv(quern, pages):
    return [quern, "extract", "html", "--jsonl", *[p.path for p in pages]]


def quern_round(quern, pages, work, tag):
    """One process over all pages (start-up amortised). Returns (exit code, CPU s, paths of the
    JSONL output and of stderr)."""
    out_path = os.path.join(work, f"quern-{tag}.jsonl")
    err_path = os.path.join(work, f"quern-{tag}.stderr")
    code, cpu, _ = _child_cpu(quern_argv(quern, pages), out_path, err_path)
    return code, cpu, out_path, err_path


def quern_result(pages, code, out_path, err_path):
    texts, bad, unknown = _read_jsonl(out_path, pages)
    with open(err_path, "rb") as f:
        stderr_tail = f.read()[-2000:].decode("utf-8", "replace")
    return {"texts": texts, "exit": code, "bad_lines": bad, "unknown_paths": unknown[:20],
            "stderr_tail": stderr_tail, "missing": [p.id for p in pages if p.id not in texts],
            "output": out_path}


def quern_per_page(quern, pages, work, tag):
    """One process per page, so that every page pays start-up: (total CPU s, failed runs)."""
    out = os.path.join(work, f"quern-{tag}-one.jsonl")
    err = os.path.join(work, f"quern-{tag}-one.stderr")
    total, failures = 0.0, 0
    for page in pages:
        code, cpu, _ = _child_cpu(quern_argv(quern, [page]), out, err)
        total += cpu
        failures += code != 0
    return total, failures

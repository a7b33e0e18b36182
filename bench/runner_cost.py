#!/usr/bin/env python3
"""What qa-lint's block runner costs beyond the floor's own work, with no process in the way.

    bench/runner_cost.py [--corpus DIR] [--runs 7]

`--jobs 1` is bound by the child that runs the entries (docs/performance.md). Its time is the
runner (`src/exec/qa_runner.py`: compiling, running statement by statement, recording the
evidence the judge needs) plus the child's work around each entry (set-up, checks, reset).
This script separates the first from the second: it runs the corpus's entries through
`qa_runner.Entry` in this one process, and, on the same entries and in the same process, the
floor's per-block work (`bench/floor.py`'s `check_block`: parse, compile each statement, run
it with stdout captured, compare the claim). It also times the two compile steps both do (the
block's AST, each statement's code) alone. Each figure is the best of `--runs` passes over
all entries, in microseconds per entry; the difference between the runner and the floor's
work is what the evidence costs.

DIR is a corpus of bench/gen_corpus.py (default: `$TMPDIR/qa-lint-bench/1000`, which
bench/run.py makes). The runner's results go to a page in memory and are dropped.
"""
import argparse
import ast
import builtins
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src" / "exec"))
sys.path.insert(0, str(ROOT / "bench"))

import floor  # noqa: E402 - bench/floor.py: the floor's own per-block work
import qa_runner  # noqa: E402 - the runner the workers embed


def entries_of(corpus):
    """Each entry's blocks as the pool sends them (exec mode, one pseudo file name per block)."""
    out = []
    for path in sorted((corpus / "qa").glob("*.md")):
        for k, part in enumerate(floor.ENTRY.split(path.read_text())[1:]):
            blocks = [{"filename": "<qa:%s:%d:%d>" % (path.name, k, i), "source": m.group(1), "mode": "exec"}
                      for i, m in enumerate(floor.FENCE.finditer(part))]
            if blocks:
                out.append({"blocks": blocks, "limits": {"max_output_bytes": 1 << 20}})
    return out


def runner_pass(entries, page, fd):
    t = time.perf_counter()
    for seq, req in enumerate(entries):
        entry = qa_runner.Entry(req, fd, None, page, seq)
        entry.run()
        entry.results.lines.clear()  # the child would send them; here they are dropped
    return time.perf_counter() - t


def floor_pass(entries):
    out, stats = io.StringIO(), {"blocks": 0, "claims": 0, "bad": 0}
    real, sys.stdout = sys.stdout, out
    t = time.perf_counter()
    try:
        for req in entries:
            ns = {"__name__": "__main__"}
            for b in req["blocks"]:
                floor.check_block(b["source"], ns, b["filename"], out, stats)
    finally:
        sys.stdout = real
    return time.perf_counter() - t


def compile_pass(entries):
    """The compile steps alone, as the runner makes them (the floor's are the same calls)."""
    t = time.perf_counter()
    for req in entries:
        for b in req["blocks"]:
            tree = compile(b["source"], b["filename"], "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
            for node in tree.body:
                if isinstance(node, ast.Expr):
                    compile(ast.Expression(node.value), b["filename"], "eval", 0, dont_inherit=True)
                else:
                    compile(ast.Module([node], []), b["filename"], "exec", 0, dont_inherit=True)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "qa-lint-bench" / "1000")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    if not (args.corpus / "qa").is_dir():
        sys.exit("no corpus at %s: run bench/gen_corpus.py --blocks 1000 --out %s (or bench/run.py)"
                 % (args.corpus, args.corpus))
    entries = entries_of(args.corpus)
    page = memoryview(bytearray(1 << 20))
    _, w = os.pipe()
    saved = (sys.stdout, sys.stderr, builtins.print)
    try:
        cases = [("runner (qa_runner.Entry)", lambda: runner_pass(entries, page, w)),
                 ("floor's work (floor.check_block)", lambda: floor_pass(entries)),
                 ("compile steps alone", lambda: compile_pass(entries))]
        # In turns, so that a change in the machine's load falls on every case alike.
        times = {name: [] for name, _ in cases}
        for _ in range(args.runs):
            for name, run in cases:
                times[name].append(run())
                sys.stdout, sys.stderr, builtins.print = saved  # an Entry redirects them
    finally:
        sys.stdout, sys.stderr, builtins.print = saved
    n = len(entries)
    print("%d entries, %d blocks; best of %d passes, us per entry:" % (
        n, sum(len(e["blocks"]) for e in entries), args.runs))
    best = {name: min(t) / n * 1e6 for name, t in times.items()}
    for name, us in best.items():
        print("  %-34s %7.1f" % (name, us))
    print("  runner / floor's work: %.2fx" % (best["runner (qa_runner.Entry)"] / best["floor's work (floor.check_block)"]))


if __name__ == "__main__":
    main()

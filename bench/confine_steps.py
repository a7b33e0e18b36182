#!/usr/bin/env python3
"""What each step of confining a child costs under --strict-sandbox (issue 26).

    bench/confine_steps.py --corpus /tmp/qa-lint-bench/200 [--qa-lint BIN] [--runs 3]

Runs `qa-lint --strict-sandbox --jobs 1 --no-cache qa` in the corpus with QA_LINT_EXEC_TRACE=1:
every child (one per entry in strict mode) times its confinement steps in-process
(src/exec/confine_child.rs `confine`, and the resource limits its first set-up sets) and the
supervisor traces them, one `confined:` line per child. Prints, per step, the median and mean
microseconds over all children of all runs, and the median total per child.
"""
import argparse
import collections
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def steps(qa, corpus):
    env = dict(os.environ, QA_LINT_EXEC_TRACE="1")
    run = subprocess.run([qa, "--strict-sandbox", "--jobs", "1", "--no-cache", "-q", "qa"], cwd=corpus,
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    children = []
    for line in run.stderr.splitlines():
        m = re.search(r" confined: (.*)$", line)
        if m:
            children.append([(name, int(us)) for name, us in
                             (part[:-3].rsplit(" ", 1) for part in m.group(1).split(", "))])
    return children


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True, help="a bench/gen_corpus.py directory (with qa/)")
    ap.add_argument("--qa-lint", default=str(ROOT / "target/release/qa-lint"))
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    per_step, totals, order = collections.defaultdict(list), [], []
    for _ in range(a.runs):
        for child in steps(a.qa_lint, a.corpus):
            totals.append(sum(us for _, us in child))
            for name, us in child:
                if name not in order:
                    order.append(name)
                per_step[name].append(us)
    if not totals:
        sys.exit("no `confined:` lines: is kernel confinement available here?")
    print("%d children, %d runs: microseconds per child" % (len(totals), a.runs))
    print("| step | median | mean |")
    print("|---|---:|---:|")
    for name in order:
        v = per_step[name]
        print("| %s | %d | %d |" % (name, statistics.median(v), statistics.mean(v)))
    print("| **total** | %d | %d |" % (statistics.median(totals), statistics.mean(totals)))


if __name__ == "__main__":
    main()

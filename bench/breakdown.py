#!/usr/bin/env python3
"""Where qa-lint's CPU goes, per entry and per process (issue 15's breakdown table).

    bench/breakdown.py --corpus /tmp/qa-lint-bench/1000 [--qa-lint BIN] [--runs 3] [-- ARGS...]

Runs `perf record` over the whole process tree of `qa-lint ARGS qa` in the corpus directory
(ARGS default: `--jobs 1 --no-cache`), then splits the samples by process:

- **main**: the qa-lint process (Rust: discovery, parsing, validation, the pool, judging);
- **supervisor**: each worker's Python loop (qa_helper.serve), the longest-lived worker process
  with the most samples;
- **fork server**: the worker's other long-lived process (qa_forkserver.py), which only forks;
- **children**: every other process (the entries' children: set-up, running, reset, exit),

each as user and kernel time. Numbers are CPU microseconds per entry (entries counted from the
summary line), the median of --runs runs. perf must be installed and allowed
(`kernel.perf_event_paranoid` <= 1, or root). A confined worker's waiter (outside the PID
namespace) is counted with the supervisor; it does nothing but wait.
"""
import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def record(qa, corpus, args, data):
    """(samples per process, the worker's trace: which pids are supervisors and children)."""
    cmd = ["perf", "record", "-q", "-e", "task-clock", "-F", "5000", "-o", data, "--", qa, *args, "qa"]
    env = dict(os.environ, QA_LINT_EXEC_TRACE="1")
    run = subprocess.run(cmd, cwd=corpus, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         check=False, env=env)
    trace = {"supervisor": set(), "children": set()}
    for line in run.stderr.splitlines():
        m = re.match(r"qa-lint exec\[(\d+)\]: (?:child|spare) (\d+)", line)
        if m:
            trace["supervisor"].add(int(m.group(1)))
            trace["children"].add(int(m.group(2)))
    out = subprocess.run(["perf", "script", "-i", data, "-F", "pid,tid,time,period,ip,dso"],
                         capture_output=True, text=True, check=True).stdout
    procs = collections.defaultdict(lambda: {"user": 0, "kernel": 0, "first": None, "last": None})
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 5:
            continue
        pid = int(parts[0].split("/")[0])
        t = float(parts[1].rstrip(":"))
        period = int(parts[2])
        kernel = "kernel" in line or "[k]" in line or "vmlinux" in line
        p = procs[pid]
        p["kernel" if kernel else "user"] += period
        p["first"] = t if p["first"] is None else min(p["first"], t)
        p["last"] = t if p["last"] is None else max(p["last"], t)
    return procs, trace


def classify(procs, main_pid, trace):
    """main = perf's command. A weak worker's trace names its supervisor and its children
    (a reused child lives as long as the supervisor, so lifetimes cannot tell them apart);
    the other long-lived process is the fork server. A confined worker's trace has PIDs of its
    own namespace: then the long-lived processes are told apart by their samples, supervisor
    first (a reused child counts as the supervisor there)."""
    if trace["supervisor"] & set(procs):
        roles = {pid: "children" for pid in procs}
        roles[main_pid] = "main"
        for pid in procs:
            if pid in trace["supervisor"]:
                roles[pid] = "supervisor"
            elif pid not in trace["children"] and pid != main_pid:
                roles[pid] = "fork server" if _long_lived(procs, pid) else "children"
        return roles
    start = min(p["first"] for p in procs.values())
    end = max(p["last"] for p in procs.values())
    span = end - start or 1.0
    roles = {}
    long_lived = sorted((pid for pid, p in procs.items()
                         if pid != main_pid and (p["last"] - p["first"]) > 0.5 * span),
                        key=lambda pid: -(procs[pid]["user"] + procs[pid]["kernel"]))
    for pid in procs:
        roles[pid] = "children"
    roles[main_pid] = "main"
    if long_lived:
        roles[long_lived[0]] = "supervisor"
    if len(long_lived) > 1:
        roles[long_lived[1]] = "fork server"
    for pid in long_lived[2:]:
        roles[pid] = "supervisor"  # a confined worker's waiter
    return roles


def _long_lived(procs, pid):
    start = min(p["first"] for p in procs.values())
    end = max(p["last"] for p in procs.values())
    return procs[pid]["last"] - procs[pid]["first"] > 0.5 * ((end - start) or 1.0)


def entries(qa, corpus):
    """The entry count from qa-lint's summary line ("... in F files, N entries")."""
    out = subprocess.run([qa, "--no-exec", "--no-cache", "qa"], cwd=corpus, capture_output=True,
                         text=True, check=False)
    last = (out.stdout + out.stderr).strip().splitlines()[-1]
    return int(last.rsplit(",", 1)[1].split()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True, help="a bench corpus dir (with qa/)")
    ap.add_argument("--qa-lint", default=str(ROOT / "target/release/qa-lint"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("args", nargs="*", help="qa-lint arguments (after --)")
    a = ap.parse_args()
    a.qa_lint = os.path.abspath(a.qa_lint)  # runs in the corpus directory
    args = a.args or ["--jobs", "1", "--no-cache"]
    n = entries(a.qa_lint, a.corpus)
    rows = collections.defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.runs):
            data = os.path.join(tmp, "perf-%d.data" % i)
            procs, trace = record(a.qa_lint, a.corpus, args, data)
            # perf's own command is the first process to be sampled.
            main_pid = min(procs, key=lambda pid: procs[pid]["first"])
            roles = classify(procs, main_pid, trace)
            sums = collections.defaultdict(lambda: [0, 0])
            for pid, p in procs.items():
                sums[roles[pid]][0] += p["user"]
                sums[roles[pid]][1] += p["kernel"]
            for role in ("main", "supervisor", "fork server", "children"):
                u, k = sums[role]
                rows[role].append((u / 1e3 / n, k / 1e3 / n))  # perf periods are ns of task-clock
    print("qa-lint %s qa: %d entries, median of %d runs, CPU us per entry" % (" ".join(args), n, a.runs))
    print("| process | user | kernel | total |")
    print("|---|---:|---:|---:|")
    total_u = total_k = 0.0
    for role in ("main", "supervisor", "fork server", "children"):
        u = statistics.median(r[0] for r in rows[role])
        k = statistics.median(r[1] for r in rows[role])
        total_u, total_k = total_u + u, total_k + k
        print("| %s | %.0f | %.0f | %.0f |" % (role, u, k, u + k))
    print("| **total** | %.0f | %.0f | **%.0f** |" % (total_u, total_k, total_u + total_k))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Where qa-lint's CPU goes, per entry and per process (issue 15's breakdown table).

    bench/breakdown.py --corpus /tmp/qa-lint-bench/1000 [--qa-lint BIN] [--runs 3] [-- ARGS...]

Runs `perf record` over the whole process tree of `qa-lint ARGS qa` in the corpus directory
(ARGS default: `--jobs 1 --no-cache`), then splits the samples by process:

- **main**: the qa-lint process (Rust: discovery, parsing, validation, the pool, judging);
- **supervisor**: each worker's process that runs its Python loop (qa_helper.serve), with its
  CPython start-up; a confined worker's waiter (outside the PID namespace: it enters the
  namespaces, forks the supervisor and waits) is counted with it;
- **fork server**: what the supervisor forks (qa_forkserver.py), which only forks;
- **children**: what the fork servers fork: the entries' children (set-up, running, the
  checks and reset between the entries of a reused child, exit), and their descendants,

each as user and kernel time, the roles read from the fork and exec records perf keeps (see
`classify`). Numbers are CPU microseconds per entry (entries counted from the summary line),
the median of --runs runs. perf must be installed and allowed (`kernel.perf_event_paranoid`
<= 1, or root).
"""
import argparse
import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def record(qa, corpus, args, data):
    """(samples per process, the process tree: pid -> the task that forked it, pid -> its
    parent when it exited, the pids that exec'd, in order). perf records every fork, exec and
    exit of the tree with the pids the kernel knows, so the roles below come from them, in a
    confined worker too (whose own pids are those of its namespace)."""
    cmd = ["perf", "record", "-q", "-e", "task-clock", "-F", "5000", "-o", data, "--", qa, *args, "qa"]
    subprocess.run(cmd, cwd=corpus, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    out = subprocess.run(["perf", "script", "-i", data, "--show-task-events", "-F", "pid,tid,time,period,ip,dso"],
                         capture_output=True, text=True, check=True).stdout
    procs = collections.defaultdict(lambda: {"user": 0, "kernel": 0})
    forked_by, exited_under, execs = {}, {}, []
    for line in out.splitlines():
        m = re.search(r"PERF_RECORD_(FORK|EXIT)\((\d+):(\d+)\):\((\d+):(\d+)\)", line)
        if m:
            if m.group(2) == m.group(3):  # a process, not a thread
                (forked_by if m.group(1) == "FORK" else exited_under)[int(m.group(2))] = int(m.group(4))
            continue
        m = re.search(r"PERF_RECORD_COMM exec: .*:(\d+)/(\d+)", line)
        if m:
            execs.append(int(m.group(1)))
            continue
        if "PERF_RECORD" in line:
            continue
        parts = line.split()
        if len(parts) < 5:
            continue
        pid = int(parts[0].split("/")[0])
        period = int(parts[2])
        kernel = "kernel" in line or "[k]" in line or "vmlinux" in line
        procs[pid]["kernel" if kernel else "user"] += period
    return procs, forked_by, exited_under, execs


def classify(procs, forked_by, exited_under, execs):
    """A fork server forks the entries' children with CLONE_PARENT: perf's fork record names
    the server, the child's exit record names its real parent, the supervisor, which forked
    the server. So every such pair gives a supervisor and a fork server, in a weak or a
    confined worker alike. Then: main = perf's command (the first exec) and what it forks
    (the confinement probe); the supervisors, with a confined worker's waiter (the exec'd
    process that entered the namespaces and forked its supervisor); the fork servers;
    everything else (the children, what they start) = children."""
    if not execs:
        sys.exit("breakdown: perf recorded no exec (is perf allowed? kernel.perf_event_paranoid)")
    servers, supervisors = set(), set()
    for pid, server in forked_by.items():
        parent = exited_under.get(pid)
        if parent is not None and parent != server and forked_by.get(server) == parent:
            servers.add(server)
            supervisors.add(parent)
    kids = collections.defaultdict(list)
    for child, parent in forked_by.items():
        kids[parent].append(child)
    roles, todo = {}, [execs[0]]
    while todo:  # main's own tree, down to the supervisors
        pid = todo.pop()
        if pid not in supervisors:
            roles[pid] = "main"
            todo.extend(kids[pid])
    for pid in supervisors:
        roles[pid] = "supervisor"
        if forked_by.get(pid) in execs[1:]:
            roles[forked_by[pid]] = "supervisor"  # its waiter
    for pid in servers:
        roles[pid] = "fork server"
    return {pid: roles.get(pid, "children") for pid in procs}


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
            procs, forked_by, exited_under, execs = record(a.qa_lint, a.corpus, args, data)
            roles = classify(procs, forked_by, exited_under, execs)
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

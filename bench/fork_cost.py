#!/usr/bin/env python3
"""What a fresh process costs on this machine: the floor under `--strict-sandbox` (issue 26).

    bench/fork_cost.py [--forks 300] [--runs 3]

Strict mode runs each entry in a process of its own, forked from a template that holds the
interpreter (docs/performance.md). Whatever qa-lint does in that process, the kernel charges
for three things, which this script measures with nothing of qa-lint in the way:

- **fork + exit, by the size of the parent**: the parent's page tables are copied at fork and
  torn down at exit, so both grow with the private memory the parent has touched;
- **a page written after fork** (copy-on-write): CPython writes the reference count of every
  object it touches, so each page a child's Python code reads from still costs a copy;
- **CPython's own after-fork work** (the `os.register_at_fork` handlers of the modules
  imported, `threading`'s above all): page copies a child pays before it runs a line.

The first two measures fork `--forks` children from this process (after it has touched the
given memory) and take the median of `--runs` runs: wall time per fork, and CPU per fork of
the parent and of the children (`getrusage`). A child writes one byte in each page it is told
to. The parent is this script's interpreter, so the children's CPU includes the after-fork
work of what it imported. The third measure starts a `python3 -S` per row that imports the
given modules and forks three children, each reporting its minor page faults (`ru_minflt`)
at its first line: mostly pages copied on write, also pages only mapped in, and those of the
measuring line itself. Use the default `--forks` or more: with few forks the per-page figure
is noise.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

PAGE = os.sysconf("SC_PAGE_SIZE")


def forks(n, mem, write_pages):
    """(wall us, parent CPU us, child CPU us) per fork of this process holding `mem`."""
    view = memoryview(mem)
    t0, c0 = time.perf_counter(), _cpu()
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            for i in range(write_pages):
                view[i * PAGE] = 2
            os._exit(0)
        os.waitpid(pid, 0)
    t1, c1 = time.perf_counter(), _cpu()
    return (t1 - t0) / n * 1e6, (c1[0] - c0[0]) / n * 1e6, (c1[1] - c0[1]) / n * 1e6


def _cpu():
    """CPU seconds (user + system) of this process and of its reaped children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def median_of(runs, fn):
    got = [fn() for _ in range(runs)]
    return tuple(statistics.median(g[i] for g in got) for i in range(len(got[0])))


def after_fork_pages(imports):
    """Pages a child of a `python3 -S` that imported `imports` has faulted in before its first
    line (the median of three forks)."""
    code = (
        "import os, resource\n" + "".join("import %s\n" % m for m in imports) +
        "got = []\n"
        "for _ in range(3):\n"
        "    r, w = os.pipe()\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        os.write(w, str(resource.getrusage(resource.RUSAGE_SELF).ru_minflt).encode())\n"
        "        os._exit(0)\n"
        "    os.waitpid(pid, 0)\n"
        "    got.append(int(os.read(r, 64)))\n"
        "print(sorted(got)[1])\n")
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--forks", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()

    print("fork + exit, by the parent's private memory (no page written by the child)\n")
    print("| parent MB | wall us/fork | parent CPU us | child CPU us |")
    print("|---:|---:|---:|---:|")
    sizes, cpu = (1, 10, 40), {}
    for mb in sizes:
        mem = bytearray(b"\1") * (mb << 20)  # touched: every page is the parent's own
        wall, parent, child = median_of(a.runs, lambda: forks(a.forks, mem, 0))
        cpu[mb] = parent + child
        print("| %d | %.0f | %.0f | %.0f |" % (mb, wall, parent, child))
        del mem
    slope = (cpu[40] - cpu[1]) / 39
    print("\nCPU per MB of the parent (fork and exit together): %.1f us" % slope)

    print("\npages written by the child after fork (parent 10 MB)\n")
    print("| pages written | child CPU us | us per page |")
    print("|---:|---:|---:|")
    mem = bytearray(b"\1") * (10 << 20)
    base = None
    for pages in (0, 200, 800):
        child = median_of(a.runs, lambda: forks(a.forks, mem, pages))[2]
        if base is None:
            base = child
            print("| 0 | %.0f | |" % child)
        else:
            print("| %d | %.0f | %.2f |" % (pages, child, (child - base) / pages))

    print("\nminor faults of a child before its first line (python3 -S, by what was imported)\n")
    print("| imported | faults |")
    print("|---|---:|")
    for imports in ([], ["random"], ["threading"], ["threading", "random", "json", "tempfile"]):
        print("| %s | %d |" % (", ".join(imports) or "nothing", after_fork_pages(imports)))
    print("\n(%s %s, %d cores, page %d bytes; minor faults from getrusage)" % (
        sys.implementation.name, sys.version.split()[0], os.cpu_count(), PAGE))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""What waking another process costs on this machine: a pipe round trip between two processes.

    bench/wake_cost.py [--trips 20000]

Every entry qa-lint runs crosses pipes between processes (the pool, the supervisor, the child:
src/exec/protocol.rs), and each crossing that finds the reader asleep wakes it. This measures
the price of one such wake-up with nothing of qa-lint in the way: a parent and a forked child
bounce one byte over two pipes, pinned to two different cores (every wake-up crosses cores),
then both pinned to one core (no inter-processor interrupt: the kernel switches from one to
the other), then free to run anywhere (what the scheduler makes of it). It prints, per round
trip (two wake-ups), the wall time and each side's CPU time (user + system).

On a virtual machine, waking a sleeping core is an interrupt the hypervisor delivers, and it
can cost an order of magnitude more than a switch on one core; docs/performance.md ("Issue 26,
seventh session") uses this to explain why a child's last write of an entry costs more with
`--jobs 1` (the supervisor's core is idle, asleep) than with a worker per core.
"""
import argparse
import os
import resource
import time


def round_trips(trips, parent_cpu=None, child_cpu=None):
    """(wall µs, parent CPU µs, child CPU µs) per round trip; each side pinned to its core
    when given."""
    to_child, to_parent = os.pipe(), os.pipe()
    if parent_cpu is not None:
        os.sched_setaffinity(0, {parent_cpu})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pid = os.fork()
    if pid == 0:
        if child_cpu is not None:
            os.sched_setaffinity(0, {child_cpu})
        for _ in range(trips):
            os.read(to_child[0], 1)
            os.write(to_parent[1], b"x")
        os._exit(0)
    start, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(trips):
        os.write(to_child[1], b"x")
        os.read(to_parent[0], 1)
    wall, own = time.perf_counter() - start, time.process_time() - cpu0
    os.waitpid(pid, 0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    theirs = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    for fd in to_child + to_parent:
        os.close(fd)
    return wall / trips * 1e6, own / trips * 1e6, theirs / trips * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trips", type=int, default=20000)
    args = ap.parse_args()
    if args.trips < 1:
        ap.error("--trips must be at least 1")
    cores = sorted(os.sched_getaffinity(0))
    print("%d round trips; µs per round trip (two wake-ups)" % args.trips)
    print("| where | wall | parent CPU | child CPU |")
    print("|---|---:|---:|---:|")
    cases = [("two cores (each side pinned to its own)", cores[0], cores[-1])] if len(cores) > 1 else []
    cases += [("one core (both pinned)", cores[0], cores[0]),
              ("any core (%d allowed)" % len(cores), None, None)]
    try:
        for name, parent_cpu, child_cpu in cases:
            os.sched_setaffinity(0, cores)
            wall, own, theirs = round_trips(args.trips, parent_cpu, child_cpu)
            print("| %s | %.1f | %.1f | %.1f |" % (name, wall, own, theirs))
    finally:
        os.sched_setaffinity(0, cores)


if __name__ == "__main__":
    main()

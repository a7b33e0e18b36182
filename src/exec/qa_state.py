"""The state of a process that serves many entries (the supervisor, its fork server) and of a
spare child waiting for one: resource limits, CPU affinity and niceness. Another process of
the same user can change them from outside (prlimit, sched_setaffinity, setpriority), and what
one entry's processes set there would hold for the entries of other files. Confined snippets
are refused those calls (seccomp); in any mode, a serving process re-asserts its state before
each next entry, a spare whose state changed is not used, and a change that cannot be undone
(a lowered hard limit, a niceness only a privileged process may lower) retires the process.

Loaded by the worker as module `qa_state`; nothing here runs snippet code.
"""
import os, resource

_LIMITS = sorted(getattr(resource, n) for n in dir(resource) if n.startswith("RLIMIT_"))


def _read(pid):
    limits = {}
    for r in _LIMITS:
        try:
            limits[r] = resource.prlimit(pid, r)
        except (OSError, ValueError):
            pass
    try:
        affinity = frozenset(os.sched_getaffinity(pid))
    except OSError:
        affinity = None
    try:
        nice = os.getpriority(os.PRIO_PROCESS, pid)
    except OSError:
        nice = None
    return limits, affinity, nice


class ProcessState:
    def __init__(self):
        self.limits, self.affinity, self.nice = _read(0)

    def matches(self, pid):
        """Whether process `pid` (a spare child) still has this state."""
        return _read(pid) == (self.limits, self.affinity, self.nice)

    def reassert(self):
        """Puts this process's state back; False when a change could not be undone."""
        ok = True
        limits, affinity, nice = _read(0)
        for r, lim in self.limits.items():
            if limits.get(r) != lim:
                try:
                    resource.setrlimit(r, lim)
                except (OSError, ValueError):
                    ok = False
        if affinity != self.affinity and self.affinity is not None:
            try:
                os.sched_setaffinity(0, self.affinity)
            except OSError:
                ok = False
        if nice != self.nice and self.nice is not None:
            try:
                os.setpriority(os.PRIO_PROCESS, 0, self.nice)
            except OSError:
                ok = False
        return ok

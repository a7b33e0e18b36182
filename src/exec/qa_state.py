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
    # This process's own limits through getrlimit: prlimit raises an audit event, which in a
    # child goes through the sandbox's hook, sixteen times per entry.
    get = resource.getrlimit if pid == 0 else lambda r: resource.prlimit(pid, r)
    limits = {}
    for r in _LIMITS:
        try:
            limits[r] = get(r)
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


# ------------------------------------------------------------------ a child between entries
#
# A reusable child runs the entries of many files, one after another, in one warm interpreter
# (`[exec] isolation = "worker"`, the default). Before its first entry it takes a snapshot of
# the process-wide state an entry can change and that Child.reset does not already put back
# (globals, builtins, sys.path, sys.modules, environment, random, warnings, recursion limit,
# hooks); after each entry it compares. What differs is restored when it can be, and otherwise
# named, which retires the child: the next entry gets a fresh one. (State of a module an entry
# loads first is compared with the module as imported, then joins the snapshot.) Detected, not guessed: the
# static risk check (qa_risk.py) sends entries likely to do this to a fresh child up front,
# and this catches what it did not foresee.

# State of a stdlib module as it is right after its import: a module first imported during an
# entry is compared with this (it had no "before").
_AS_IMPORTED = {
    "logging configuration": ((), 30, False, 0),
    "faulthandler": False,
    "socket default timeout": None,
    "asyncio event loop policy": None,
}


# `_signal`, not `signal`: the wrapper makes an enum of every number (100 µs per snapshot).
_SIGNALS = tuple(sorted(int(s) for s in __import__("_signal").valid_signals()))


def _signals():
    from _signal import getsignal
    return [getsignal(s) for s in _SIGNALS]


def _watched():
    """State held by modules, read only when they are loaded (importing one here would change
    what the entry sees; `atexit` and `_locale` are built in and imported at set-up)."""
    import sys
    mods, out = sys.modules, {}
    out["atexit callbacks"] = mods["atexit"]._ncallbacks()
    loc = mods["_locale"]
    try:
        out["locale"] = tuple(loc.setlocale(c, None) for c in
                              (loc.LC_CTYPE, loc.LC_NUMERIC, loc.LC_TIME, loc.LC_COLLATE, loc.LC_MONETARY))
    except Exception:
        pass
    m = mods.get("copyreg")
    if m is not None:
        out["copyreg dispatch table"] = len(m.dispatch_table)
    m = mods.get("logging")
    if m is not None:
        root = m.root
        out["logging configuration"] = (tuple(root.handlers), root.level, root.disabled, root.manager.disable)
    m = mods.get("faulthandler")
    if m is not None:
        out["faulthandler"] = m.is_enabled()
    m = mods.get("socket")
    if m is not None:
        out["socket default timeout"] = m.getdefaulttimeout()
    m = mods.get("decimal")
    if m is not None:
        c, d = m.getcontext(), m.Context()
        c.clear_flags()  # flags record what ran (an inexact division); they are not settings
        fields = lambda x: (x.prec, x.rounding, x.Emin, x.Emax, x.capitals, x.clamp,
                            tuple(sorted(k.__name__ for k, v in x.traps.items() if v)))
        out["decimal context"] = fields(c)
        _AS_IMPORTED["decimal context"] = fields(d)
    m = mods.get("asyncio.events")
    if m is not None:
        policy = getattr(m, "_event_loop_policy", None)
        # The default policy is made on first use: that is not a change.
        out["asyncio event loop policy"] = None if policy is None or \
            type(policy).__name__.endswith("DefaultEventLoopPolicy") else id(policy)
    return out


class EntryState:
    """A snapshot of a reusable child's process-wide state (see above). `after.restore(before)`
    puts back what can be and returns what could not, as a short reason (None: clean)."""

    def __init__(self, rearmed=()):
        """`rearmed`: resource limits whose soft value the child sets per entry (only their hard
        value is compared)."""
        import _signal, gc, sys, threading
        self.umask = os.umask(0o022)
        os.umask(self.umask)
        self.signals = _signals()
        self.sigmask = _signal.pthread_sigmask(_signal.SIG_BLOCK, [])
        self.switch = sys.getswitchinterval()
        self.gc = (gc.isenabled(), gc.get_threshold())
        self.excepthook = threading.excepthook
        self.stdin = sys.stdin
        self.asyncgen = sys.get_asyncgen_hooks()
        self.coro_depth = sys.get_coroutine_origin_tracking_depth()
        self.import_hooks = (list(sys.meta_path), list(sys.path_hooks))
        limits, self.affinity, self.nice = _read(0)
        self.rearmed = frozenset(rearmed)
        self.limits = {r: (None, v[1]) if r in self.rearmed else v for r, v in limits.items()}
        self.watched = _watched()

    def restore(self, before):
        import _signal as signal, gc, sys, threading
        if self.umask != before.umask:
            os.umask(before.umask)
        if self.signals != before.signals:
            for s, h in zip(_SIGNALS, before.signals):
                if h is not None and signal.getsignal(s) is not h:
                    try:
                        signal.signal(s, h)
                    except (OSError, ValueError, TypeError):
                        return "signal handlers changed"
        if signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0):
            signal.setitimer(signal.ITIMER_REAL, 0)  # a pending alarm() would fire in the next entry
        if self.sigmask != before.sigmask:
            signal.pthread_sigmask(signal.SIG_SETMASK, before.sigmask)
        if self.switch != before.switch:
            sys.setswitchinterval(before.switch)
        if self.gc != before.gc:
            (gc.enable if before.gc[0] else gc.disable)()
            gc.set_threshold(*before.gc[1])
        threading.excepthook = before.excepthook
        sys.stdin = before.stdin
        if self.asyncgen != before.asyncgen:
            sys.set_asyncgen_hooks(*before.asyncgen)
        if self.coro_depth != before.coro_depth:
            sys.set_coroutine_origin_tracking_depth(before.coro_depth)
        if self.import_hooks != before.import_hooks:
            return "import hooks (sys.meta_path, sys.path_hooks) changed"
        for r, lim in before.limits.items():
            now = self.limits.get(r)
            if now != lim:
                if r in self.rearmed:
                    return "resource limits lowered"
                try:
                    resource.setrlimit(r, lim)
                except (OSError, ValueError):
                    return "resource limits lowered"
        if self.affinity != before.affinity and before.affinity is not None:
            try:
                os.sched_setaffinity(0, before.affinity)
            except OSError:
                return "CPU affinity changed"
        if self.nice != before.nice and before.nice is not None:
            try:
                os.setpriority(os.PRIO_PROCESS, 0, before.nice)
            except OSError:
                return "niceness raised"
        for what, value in self.watched.items():
            if before.watched.get(what, _AS_IMPORTED.get(what, value)) != value:
                return what + " changed"
        return None

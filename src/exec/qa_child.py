"""qa-lint's entry child (embedded in the worker as module `qa_child`, loaded before qa_helper.py).

A Child is a forked copy of the worker's pristine supervisor: it sets itself up (process group,
death signal, fds 0-2 on /dev/null, in a confined worker the kernel's confinement), reads its
requests from the supervisor, runs each entry with qa_runner in a fresh working directory with
rlimits and the audit-hook sandbox, and, when it may be reused for the next entry of the same
file, checks and resets everything an entry could have changed (after_entry, reset). The wire
protocol is written down in src/exec/protocol.rs.
"""
import _thread, importlib.util, json, linecache, math, mmap, os, resource, shutil, signal, sys
import tempfile, threading, time

import qa_runner
from qa_page import STMT, encode_line, send_json
from qa_sandbox import Sandbox as _SandboxState, make_hook as _make_hook
from qa_state import EntryState as _EntryState

# Limits whose soft value rearm() sets for each entry: EntryState compares only their hard value.
_REARMED = (resource.RLIMIT_CPU, resource.RLIMIT_AS)


def plan_of(req):
    """The kernel confinement a child needs for `req`: (scratch bytes, allow network, allow
    subprocesses, allow writes outside). A spare confined ahead is used only for a request with
    the same plan."""
    sb, lim = req["sandbox"], req["limits"]
    return (int(lim.get("scratch_bytes", 256 << 20)), bool(sb.get("allow_network")),
            bool(sb.get("allow_subprocess")), bool(sb.get("allow_writes_outside")))


def _mapped_bytes(statm=None):
    """Current virtual size of this process (VmSize), 0 if unknown. `statm`: a `_Statm` kept
    open by a child that asks before every entry."""
    try:
        if statm is not None:
            return int(statm.read().split()[0]) * mmap.PAGESIZE
        fd = os.open("/proc/self/statm", os.O_RDONLY)
        try:
            return int(os.read(fd, 200).split()[0]) * mmap.PAGESIZE
        finally:
            os.close(fd)
    except (OSError, ValueError, IndexError):
        return 0


class _Statm:
    """/proc/self/statm of a reusable child, opened once: its size is read before every entry,
    and opening it walks /proc each time (a third of re-arming the limits). An entry may close
    the descriptor and get its number for another file: then (checked by identity, one fstat)
    it is opened again."""

    def __init__(self):
        self.fd, self.id = -1, None

    def read(self):
        try:
            st = os.fstat(self.fd) if self.fd >= 0 else None
        except OSError:
            st = None
        if st is None or (st.st_dev, st.st_ino) != self.id:
            self.fd = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
            st = os.fstat(self.fd)
            self.id = (st.st_dev, st.st_ino)
        return os.pread(self.fd, 200, 0)


def _setrl(res, soft, hard=None):
    cur_soft, cur_hard = resource.getrlimit(res)
    hard = soft if hard is None else hard
    if cur_hard != resource.RLIM_INFINITY:
        hard = min(hard, cur_hard) if hard != resource.RLIM_INFINITY else cur_hard
        soft = min(soft, hard)
    try:
        resource.setrlimit(res, (soft, hard))
    except (ValueError, OSError):
        pass


def _open_fds():
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0


class Child:
    def __init__(self, req_r, w, shm, root, plan, confine):
        """`plan`: confine now with these settings (a spare forked ahead, see plan_of); None:
        confine after the first request (or never, in a weak worker)."""
        self.req_r, self.w, self.shm, self.root, self.plan = req_r, w, shm, root, plan
        self.confine = confine
        self.reusable = False
        self.sb = _SandboxState()
        self.hooked = False
        self.spare = None
        self.steps = None  # how long confining took, step by step (sent with the first D line)

    def main(self, child_setup, parent):
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
        if not child_setup(parent):  # PR_SET_PDEATHSIG; False if the worker already died
            return 71
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # big files -> OSError, not death
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # raw fd output (C code, subprocesses) must not reach qa-lint's terminal
            os.dup2(null, fd)
        os.close(null)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")  # BLAS thread pools vs RLIMIT_AS, and determinism
        if self.confine is not None and self.plan is not None:  # a spare: before any request exists
            self.steps = self.confine(self.root, *self.plan)
        reader = os.fdopen(self.req_r, "rb")
        # The supervisor's first line: "1" = may run later entries of one file, "0" = one entry.
        mode = reader.readline()
        if not mode:
            return 0
        self.reusable = mode == b"1\n"
        seq = 0
        while True:
            line = reader.readline()
            if not line:
                return 0
            seq += 1
            req = json.loads(line)
            if seq == 1:
                if self.confine is not None and self.plan is None:  # before anything of the entry exists
                    self.steps = self.confine(self.root, *plan_of(req))
                started = time.perf_counter()
                self.first_setup(req["limits"], float(req["timeout"]))
                if self.steps is not None and not self.reusable:  # then set-up is only the limits
                    self.steps.append(("rlimits", int((time.perf_counter() - started) * 1e6)))
            if not self.run_entry(req, seq):
                # Unfit for another entry: the supervisor retires this child, and the next
                # entry, which it may already have handed over, must not start here.
                return 0

    def first_setup(self, lim, timeout):
        _setrl(resource.RLIMIT_FSIZE, lim["file_size_bytes"])
        _setrl(resource.RLIMIT_NOFILE, lim["open_files"])
        _setrl(resource.RLIMIT_CORE, 0)
        # Root ignores RLIMIT_NPROC. A confined child is uid 0 of its user namespace whatever
        # qa-lint's uid is, and the kernel judges by the uid outside: so it is always set there.
        if os.geteuid() != 0 or self.confine is not None:
            _setrl(resource.RLIMIT_NPROC, lim["max_processes"])
        if not self.reusable:
            # One entry only: fixed limits, hard = soft (+2 s for CPU), as strict mode always had.
            # The budget is on top of what the process already maps: the Rust allocator and CPython
            # reserve address space up front, so an absolute RLIMIT_AS would starve threads and imports.
            _setrl(resource.RLIMIT_AS, _mapped_bytes() + lim["memory_bytes"])
            cpu = lim.get("cpu_seconds") or int(math.ceil(timeout)) + 1
            _setrl(resource.RLIMIT_CPU, cpu, cpu + 2)  # soft < hard -> SIGXCPU (24), not SIGKILL
            return
        # A reusable child re-arms the soft limits per entry (rearm); hard limits stay as inherited.
        import random, warnings
        import atexit, _locale  # built in, read by EntryState: part of the baseline, not the entry's
        self.environ = os.environ
        self.env0 = dict(os.environ)
        # The bytes behind os.environ (POSIX CPython): comparing them is one C-level dict
        # comparison per entry, where comparing os.environ decodes every variable (~30 us).
        data = getattr(os.environ, "_data", None)
        self.envdata0 = None if data is None else dict(data)
        self.path0 = list(sys.path)
        self.builtins0 = dict(vars(__import__("builtins")))
        self.hooks0 = (sys.displayhook, sys.excepthook, sys.breakpointhook, sys.unraisablehook)
        self.reclimit0 = sys.getrecursionlimit()
        self.digits0 = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
        self.modules0 = dict(sys.modules)
        self.random0 = random.getstate()
        self.warnings0 = (list(warnings.filters), warnings.showwarning, warnings.formatwarning)
        self.tempdir0 = tempfile.tempdir
        self.statm = _Statm()
        _mapped_bytes(self.statm)  # opens it now (errors are 0): a descriptor every entry starts with
        self.fds0 = _open_fds()
        self.rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.hook()
        # The process state every entry starts from, and is brought back to after it
        # (qa_state.EntryState): one snapshot, taken before the first entry.
        self.baseline = _EntryState(_REARMED)

    def rearm(self, lim, timeout):
        cpu = lim.get("cpu_seconds") or int(math.ceil(timeout)) + 1
        ru = resource.getrusage(resource.RUSAGE_SELF)
        _setrl(resource.RLIMIT_CPU, int(math.ceil(ru.ru_utime + ru.ru_stime + cpu)), resource.RLIM_INFINITY)
        _setrl(resource.RLIMIT_AS, _mapped_bytes(self.statm) + lim["memory_bytes"], resource.RLIM_INFINITY)

    def hook(self):
        if not self.hooked:
            sys.addaudithook(_make_hook(self.sb))
            self.hooked = True

    def run_entry(self, req, seq):
        """Runs one entry and sends its results; returns whether this child may run another."""
        STMT.pack_into(self.shm, 0, seq, -1, 0, 0)
        if self.spare:  # the previous entry's dir, left empty (saves a mkdir + rmdir on ext4)
            tmp, self.spare = self.spare, None
        else:
            tmp = os.path.join(self.root, "qa-lint-%d" % seq)  # the cwd keeps the qa-lint- prefix
            os.mkdir(tmp)
            self.dirmode = os.stat(tmp).st_mode
        os.chdir(tmp)
        if self.reusable:
            self.rearm(req["limits"], float(req["timeout"]))
        for rel, data in req["files"]:
            full = os.path.realpath(os.path.join(tmp, rel))
            if os.path.isabs(rel) or not full.startswith(tmp + os.sep):
                raise ValueError("fixture path %r escapes the working directory" % rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data.encode("latin-1"))
        os.environ["HOME"] = os.environ["TMPDIR"] = tmp
        tempfile.tempdir = tmp
        sys.path.insert(0, tmp)
        sys.argv = [""]
        missing = []
        for mod in req["requires"]:
            try:
                if importlib.util.find_spec(mod) is None:
                    missing.append(mod)
            except (ImportError, ValueError):
                missing.append(mod)
        if missing:
            send_json(self.w, missing, b"M")
            return False
        sb = req["sandbox"]
        if self.reusable or not (sb.get("allow_network") and sb.get("allow_subprocess")
                                 and sb.get("allow_writes_outside")):
            self.hook()
        self.sb.arm(sb, tmp)
        qa_runner.CUR = entry = qa_runner.Entry(req, self.w, tmp, self.shm, seq)
        entry.run()
        self.sb.active = False
        threads = max(0, threading.active_count() - 1)
        dirty = None
        if self.reusable:
            dirty = self.after_entry(entry, max(threads, _thread._count()), tmp)
        done = {"threads_left": threads, "truncated": entry.truncated, "dirty": dirty}
        if self.steps is not None:
            done["confine"], self.steps = self.steps, None
        entry.results.finish(encode_line(b"D", done))
        return self.reusable and dirty is None

    def after_entry(self, entry, threads, tmp):
        """Runtime checks after an entry in a reusable child, then the reset. Returns why the
        child must not run another entry (None = clean)."""
        qa_runner.CUR = None
        why = None
        if threads:
            why = "threads left"
        elif entry.violations:
            why = "sandbox violation"
        elif self.sb.dirty:
            why = self.sb.dirty
        elif entry.severe:
            why = "escaped " + entry.severe
        elif sys.stdout is not entry.out or sys.stderr is not entry.err:
            why = "sys.stdout/stderr replaced"
        elif os.environ is not self.environ:
            why = "os.environ replaced"
        elif sys.gettrace() is not None or sys.getprofile() is not None:
            why = "a trace or profile function is set"
        for f in entry.fnames:
            linecache.cache.pop(f, None)
        ns = entry.ns
        entry.ns = None
        entry = None
        try:
            ns.clear()  # runs __del__ methods now (their output goes nowhere)
        except BaseException:
            why = why or "error while clearing the namespace"
        ns = None
        if why is None and (threading.active_count() > 1 or _thread._count()):
            why = "threads left"
        if why is None:
            why = self.check_modules(tmp)
        if why is None and _open_fds() > self.fds0:
            why = "open files left"
        if why is None and resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > self.rss0 + (256 << 10):
            why = "memory grew by more than 256 MB"
        if why is None:
            try:
                self.reset(tmp)
                after = _EntryState(_REARMED)
                why = after.restore(self.baseline)
                if why is None:  # modules this entry loaded join the baseline, as loaded
                    for what, value in after.watched.items():
                        self.baseline.watched.setdefault(what, value)
            except BaseException as e:
                why = "reset failed: %r" % (e,)
        return why

    def check_modules(self, tmp):
        """sys.modules: no module replaced or removed; modules imported from the entry's dir are
        dropped (the next entry may have its own `helper.py`); other new ones join the baseline."""
        mods, base = sys.modules, self.modules0
        if len(mods) < len(base):
            return "sys.modules entries removed"
        for name, m in base.items():
            if mods.get(name) is not m:
                return "sys.modules[%r] replaced" % name
        if len(mods) > len(base):
            for name in [n for n in mods if n not in base]:
                m = mods[name]
                f = getattr(m, "__file__", None) or ""
                if f.startswith(self.root + os.sep):
                    del mods[name]
                else:
                    base[name] = m
        for p in [p for p in sys.path_importer_cache if p.startswith(self.root)]:
            del sys.path_importer_cache[p]
        return None

    def reset(self, tmp):
        import builtins, random, warnings
        b, b0 = vars(builtins), self.builtins0
        for k in [k for k in b if k not in b0]:
            del b[k]
        for k, v in b0.items():  # by identity: a proxy equal to the original is still a change
            if b.get(k, b) is not v:
                b[k] = v
        sys.displayhook, sys.excepthook, sys.breakpointhook, sys.unraisablehook = self.hooks0
        sys.setrecursionlimit(self.reclimit0)
        if self.digits0 is not None:
            sys.set_int_max_str_digits(self.digits0)
        sys.path[:] = self.path0
        sys.argv = [""]
        env, env0 = os.environ, self.env0
        for k in ("HOME", "TMPDIR"):  # set per entry (run_entry): put back first
            if k in env0:
                env[k] = env0[k]
            else:
                env.pop(k, None)
        if self.envdata0 is None or env._data != self.envdata0:
            for k in [k for k in env if k not in env0]:
                del env[k]
            for k, v in env0.items():
                if env.get(k) != v:
                    env[k] = v
        random.setstate(self.random0)
        filters, show, fmt = self.warnings0
        if warnings.filters != filters or warnings.showwarning is not show:
            warnings.filters[:] = filters
            warnings.showwarning, warnings.formatwarning = show, fmt
        getattr(warnings, "_filters_mutated", lambda: None)()  # forgets "already warned" (a warning shows once per entry)
        warnings.onceregistry.clear()
        tempfile.tempdir = self.tempdir0
        os.chdir(self.root)
        try:
            if not os.listdir(tmp) and os.stat(tmp).st_mode == self.dirmode:
                self.spare = tmp
                return
        except OSError:
            pass
        shutil.rmtree(tmp, ignore_errors=True)

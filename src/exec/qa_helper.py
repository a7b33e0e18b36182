"""qa-lint's Python side (embedded in the worker with include_str!).

serve(in_fd, out_fd, child_setup, confine) is the worker's supervisor loop. The wire protocol
(pool <-> supervisor <-> child, and what each side checks) is written down in one place: the
module doc of src/exec/protocol.rs; tests/protocol.rs holds both sides to it.

Entries run in forked children (copies of this pristine process) with rlimits, a temp cwd, an
audit-hook sandbox (a guard against accidents) and, in a confined worker, the kernel's
confinement (src/exec/confine.rs). A child is *reused* for the next entry when that entry belongs
to the same group (Markdown file) with the same sandbox settings, `limits.reuse` is on, the
previous entry was clean and neither entry is risky (see _risk_reason / _Child.after_entry).
Otherwise a fresh child is forked (with `reuse = false`, always under --strict-sandbox, every
entry gets its own fork).
"""
import _thread, ast, gc, importlib.util, json, linecache, math, mmap, os, platform, re, resource
import select, shutil, signal, struct, sys, tempfile, threading, time, traceback

import qa_runner
from qa_runner import send as _send
from qa_risk import risk_reason as _risk_reason
from qa_sandbox import Sandbox as _SandboxState, make_hook as _make_hook

REUSE_MAX = 64  # entries per child before a fresh fork (bounds slow leaks: memory, caches)
_STMT = struct.Struct("iiii")  # entry seq, block, first, last (block -1 = none yet)
_TRACE = bool(os.environ.get("QA_LINT_EXEC_TRACE"))
# Working directories on tmpfs when there is one: creating and removing a directory per child
# on a disk file system was a tenth of the supervisor's time (py-spy, bench corpus).
_TMP_BASE = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK) else None
# Bytes a child may send per entry beyond what its output cap explains (JSON escaping can make
# one byte of output six bytes on the wire; sources and wanted texts of sessions come back too).
_WIRE_SLACK = 1 << 20


def _trace(msg):
    if _TRACE:
        try:
            os.write(2, ("qa-lint exec[%d]: %s\n" % (os.getpid(), msg)).encode("utf-8", "replace"))
        except OSError:
            pass

# ------------------------------------------------------------------ supervisor (worker process)


class _Live:
    """The supervisor's handle on a forked child (idle between entries when reusable)."""
    __slots__ = ("pid", "req_w", "res_r", "shm", "root", "group", "runs", "reusable", "buf", "sandbox")


def serve(in_fd, out_fd, child_setup, confine=None):
    """`confine` (from Rust, None in a weak worker) locks each forked child; a confined worker is
    PID 1 of its own PID namespace (see src/exec/confine.rs)."""
    global _TMP_BASE
    me = os.getpid()
    if confine is not None:
        _TMP_BASE = "/run"  # the worker's private tmpfs; each child mounts its own scratch on its root
    _send(out_fd, {"python": "%s %s" % (platform.python_implementation(), platform.python_version()),
                   "prefix": sys.prefix, "pid": me, "confined": confine is not None})
    reader = os.fdopen(in_fd, "rb", closefd=False)
    gc.freeze()  # keep the supervisor's objects out of the children's GC (less copy-on-write)
    sup = _Supervisor(in_fd, out_fd, child_setup, me, confine)
    while True:
        line = reader.readline()
        if not line:
            sup.retire(now=True)
            return
        req, cleanup = {}, []
        sup.cleanup = cleanup
        try:
            req = json.loads(line)
            nonce = req.pop("nonce", "")
            if nonce:  # the child gets the request without it (same length: no re-encoding)
                line = line.replace(nonce.encode(), b"0" * len(nonce), 1)
            resp = b'{"id":%d,"nonce":"%s","outcome":%s}' % (req["id"], nonce.encode(), sup.supervise(req, line))
        except BaseException:
            if os.getpid() != me:
                os._exit(0)
            sup.retire()
            resp = json.dumps({"id": req.get("id"), "error": traceback.format_exc()}).encode()
        if os.getpid() != me:
            os._exit(0)
        _write_all(out_fd, resp + b"\n")
        for fn in cleanup:  # reaping + rmtree after answering: overlaps with the parent's work
            try:
                fn()
            except OSError:
                pass


def _kill(pid, status):
    """SIGKILL a child's whole process group (grandchildren too), and the child itself if it
    has not been reaped yet (`status` None)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    if status is None:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class _Supervisor:
    def __init__(self, in_fd, out_fd, setup, me, confine):
        self.in_fd, self.out_fd, self.setup, self.me, self.confine = in_fd, out_fd, setup, me, confine
        self.live = None
        self.cleanup = []

    def supervise(self, req, line):
        group = req.get("group") or ""
        lim = req["limits"]
        can_reuse = bool(group) and lim.get("reuse", True)
        if any(b["mode"] == "session" for b in req["blocks"]) and "doctest" not in sys.modules:
            import doctest  # noqa: F401  (lazy: only workers that meet a session pay for it)
            gc.freeze()
        risk = _risk_reason(req) if can_reuse else None
        c = self.live
        if c is not None:
            why = None
            if not (can_reuse and c.reusable):
                why = "no reuse"
            elif c.group != group:
                why = "new group"
            elif c.sandbox != req["sandbox"]:
                why = "other sandbox settings"  # a confined child cannot be loosened
            elif risk:
                why = "risky entry: " + risk
            elif c.runs >= REUSE_MAX:
                why = "%d entries run" % c.runs
            if why:
                _trace("retire %d (%s)" % (c.pid, why))
                self.retire()
                c = None
        if c is None:
            c = self.live = self.fork(group, can_reuse and not risk)
            _trace("fork %d for %s%s" % (c.pid, group or "?", " (risky: %s)" % risk if risk else ""))
        else:
            _trace("reuse %d for entry %d" % (c.pid, c.runs + 1))
        c.runs += 1
        c.sandbox = req["sandbox"]
        seq = c.runs
        try:
            _write_all(c.req_w, line if line.endswith(b"\n") else line + b"\n")
        except OSError:
            pass  # the child is gone: the read below sees EOF and reports how it ended
        cap = 8 * int(lim.get("max_output_bytes", 1 << 20)) + 2 * len(line) + _WIRE_SLACK
        return self.collect(c, seq, float(req.get("timeout") or 10), cap)

    def fork(self, group, reusable):
        root = os.path.realpath(tempfile.mkdtemp(prefix="qa-lint-", dir=_TMP_BASE))
        fds = []
        try:
            req_r, req_w = os.pipe()
            fds += [req_r, req_w]
            res_r, res_w = os.pipe()
            fds += [res_r, res_w]
            shm = mmap.mmap(-1, _STMT.size)  # MAP_SHARED | MAP_ANONYMOUS: survives fork
            pid = os.fork()
        except BaseException:
            for fd in fds:
                os.close(fd)
            shutil.rmtree(root, ignore_errors=True)
            raise
        if pid == 0:  # ---- child: never returns
            code = 70
            try:
                for fd in (req_w, res_r, self.in_fd, self.out_fd):
                    os.close(fd)
                code = _Child(req_r, res_w, shm, root, reusable, self.confine).main(self.setup, self.me)
            except BaseException:
                try:
                    _send_tag(res_w, b"I", traceback.format_exc())
                except BaseException:
                    pass
            finally:
                os._exit(code)
        os.close(req_r)
        os.close(res_w)
        try:
            os.setpgid(pid, pid)  # also done by the child; whichever runs first wins the race
        except OSError:
            pass
        c = _Live()
        c.pid, c.req_w, c.res_r, c.shm, c.root = pid, req_w, res_r, shm, root
        c.group, c.runs, c.reusable, c.buf, c.sandbox = group, 0, reusable, b"", None
        return c

    def retire(self, status=None, now=False):
        """Kills the live child's process group (grandchildren too); reaping and removing its
        temp root happen after the answer (or `now`)."""
        c, self.live = self.live, None
        if c is None:
            return
        for fd in (c.req_w, c.res_r):
            try:
                os.close(fd)
            except OSError:
                pass
        c.shm.close()
        _kill(c.pid, status)
        if self.confine is not None:
            # PID 1 of the namespace, no other child alive: this kills everything the entry
            # started, also what left the child's process group (setsid, double fork).
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass

        def reap(pid=c.pid, root=c.root, status=status):
            # A confined child's exit tears down its mount namespace, which can take a few ms:
            # with no other child alive, the sweep below reaps it (now or after a later entry)
            # instead of waiting for it.
            if status is None and (self.confine is None or self.live is not None):
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
            while self.confine is not None and self.live is None:  # orphans were re-parented to us
                try:
                    if os.waitpid(-1, os.WNOHANG)[0] == 0:
                        break
                except ChildProcessError:
                    break
            shutil.rmtree(root, ignore_errors=True)
        if now:
            reap()
        else:
            self.cleanup.append(reap)

    def collect(self, c, seq, timeout, cap):
        blocks, done, missing, internal, status = [], None, None, None, None
        truncated = timed_out = flooded = False
        got = 0
        deadline = time.monotonic() + timeout
        r = c.res_r
        buf = c.buf
        while done is None and missing is None:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([r], [], [], min(left, 0.5))
            if not ready:  # child gone while a grandchild still holds the pipe?
                p, st = os.waitpid(c.pid, os.WNOHANG)
                if p:
                    status = st
                    break
                continue
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            got += len(chunk)
            if got > cap:  # more than any honest result: stop reading, the child is killed below
                flooded = True
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for ln in lines:
                tag = ln[:1]
                if tag == b"B":
                    blocks.append(ln[2:])  # raw JSON, spliced into the answer as is
                    truncated = truncated or ln[1:2] == b"1"
                elif tag == b"D":
                    done = json.loads(ln[1:])
                elif tag == b"M":
                    missing = ln[1:]
                elif tag == b"I":
                    internal = json.loads(ln[1:])
        c.buf = buf
        if flooded:
            done = missing = None
            blocks = []
        ok = done is not None or missing is not None
        if done is not None and done.get("dirty"):
            _trace("child %d dirty after entry %d: %s" % (c.pid, seq, done["dirty"]))
        stmt = None
        if not ok:  # timeout or crash: the shared page says what was running (child stopped first)
            _kill(c.pid, status)
            if status is None:
                _, status = os.waitpid(c.pid, 0)
            s, bi, first, last = _STMT.unpack_from(c.shm, 0)
            if s == seq and bi >= 0:
                stmt = [bi, first, last]
            self.retire(status=status)
        elif not c.reusable or (done is not None and done.get("dirty")) or missing is not None:
            self.retire()
        if missing is not None:
            return b'{"kind":"missing_modules","data":%s}' % missing
        if done is not None:
            truncated = bool(done.get("truncated", truncated))
        result = b'{"blocks":[%s],"output_truncated":%s,"threads_left":%d}' % (
            b",".join(blocks), b"true" if truncated else b"false",
            done["threads_left"] if done else 0)
        if done is not None:
            return b'{"kind":"completed","data":%s}' % result
        if timed_out:
            return b'{"kind":"timed_out","data":{"result":%s,"stmt":%s}}' % (result, json.dumps(stmt).encode())
        if flooded:
            detail = "the entry sent more than %d bytes of results; killed" % cap
        elif internal:
            detail = "qa-lint helper error: " + internal
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = "?"
            detail = "killed by signal %d (%s)" % (sig, name)
        else:
            detail = "exit code %d" % os.waitstatus_to_exitcode(status)
        return b'{"kind":"crashed","data":{"result":%s,"detail":%s,"stmt":%s}}' % (
            result, json.dumps(detail).encode(), json.dumps(stmt).encode())


def _send_tag(fd, tag, obj):
    qa_runner._write(fd, tag + qa_runner.dumps(obj).encode("utf-8", "replace") + b"\n")

# ------------------------------------------------------------------ child


def _mapped_bytes():
    """Current virtual size of this process (VmSize), 0 if unknown."""
    try:
        fd = os.open("/proc/self/statm", os.O_RDONLY)
        try:
            return int(os.read(fd, 200).split()[0]) * mmap.PAGESIZE
        finally:
            os.close(fd)
    except (OSError, ValueError, IndexError):
        return 0


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


class _Child:
    def __init__(self, req_r, w, shm, root, reusable, confine):
        self.req_r, self.w, self.shm, self.root, self.reusable = req_r, w, shm, root, reusable
        self.confine = confine
        self.sb = _SandboxState()
        self.hooked = False
        self.spare = None

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
        reader = os.fdopen(self.req_r, "rb")
        seq = 0
        while True:
            line = reader.readline()
            if not line:
                return 0
            seq += 1
            req = json.loads(line)
            if seq == 1:
                if self.confine is not None:  # before anything of the entry exists
                    sb, lim = req["sandbox"], req["limits"]
                    self.confine(self.root, int(lim.get("scratch_bytes", 256 << 20)), bool(sb.get("allow_network")),
                                 bool(sb.get("allow_subprocess")), bool(sb.get("allow_writes_outside")))
                self.first_setup(req["limits"], float(req["timeout"]))
            self.run_entry(req, seq)

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
        self.environ = os.environ
        self.env0 = dict(os.environ)
        self.path0 = list(sys.path)
        self.builtins0 = dict(vars(__import__("builtins")))
        self.hooks0 = (sys.displayhook, sys.excepthook, sys.breakpointhook, sys.unraisablehook)
        self.reclimit0 = sys.getrecursionlimit()
        self.digits0 = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
        self.modules0 = dict(sys.modules)
        self.random0 = random.getstate()
        self.warnings0 = (list(warnings.filters), warnings.showwarning, warnings.formatwarning)
        self.tempdir0 = tempfile.tempdir
        self.fds0 = _open_fds()
        self.rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.hook()

    def rearm(self, lim, timeout):
        cpu = lim.get("cpu_seconds") or int(math.ceil(timeout)) + 1
        ru = resource.getrusage(resource.RUSAGE_SELF)
        _setrl(resource.RLIMIT_CPU, int(math.ceil(ru.ru_utime + ru.ru_stime + cpu)), resource.RLIM_INFINITY)
        _setrl(resource.RLIMIT_AS, _mapped_bytes() + lim["memory_bytes"], resource.RLIM_INFINITY)

    def hook(self):
        if not self.hooked:
            sys.addaudithook(_make_hook(self.sb))
            self.hooked = True

    def run_entry(self, req, seq):
        _STMT.pack_into(self.shm, 0, seq, -1, 0, 0)
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
            if self.reusable:
                self.reset(tmp)
            _send_tag(self.w, b"M", missing)
            return
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
        _send_tag(self.w, b"D", {"threads_left": threads, "truncated": entry.truncated, "dirty": dirty})

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
        for k, v in b0.items():
            if b.get(k, b) is not v:
                b[k] = v
        sys.displayhook, sys.excepthook, sys.breakpointhook, sys.unraisablehook = self.hooks0
        sys.setrecursionlimit(self.reclimit0)
        if self.digits0 is not None:
            sys.set_int_max_str_digits(self.digits0)
        sys.path[:] = self.path0
        sys.argv = [""]
        env, env0 = os.environ, self.env0
        if env != env0:
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

"""qa-lint's Python side (embedded in the worker with include_str!).

serve(in_fd, out_fd, child_setup) is the worker's supervisor loop: one JSON request per line in,
one JSON response per line out (field names match src/exec/protocol.rs). Each entry runs in a
forked child (fresh copy of this pristine process) with rlimits, a temp cwd and an audit-hook
sandbox; the child streams JSON lines back through a pipe:
  {"stmt": [block, first, last]}   before each top-level statement (or >>> example)
  {"block": i, "result": {...}, "truncated": bool}   per finished block
  {"missing": [...]} | {"done": true, "threads_left": n} | {"internal": traceback}
"""
import gc, importlib.util, json, math, os, platform, resource
import select, shutil, signal, sys, tempfile, threading, time, traceback

import qa_runner
from qa_runner import send as _send

# ------------------------------------------------------------------ supervisor (worker process)

def serve(in_fd, out_fd, child_setup):
    me = os.getpid()
    _send(out_fd, {"python": "%s %s" % (platform.python_implementation(), platform.python_version()),
                   "prefix": sys.prefix, "pid": me})
    reader = os.fdopen(in_fd, "rb", closefd=False)
    gc.freeze()  # keep the supervisor's objects out of the children's GC (less copy-on-write)
    while True:
        line = reader.readline()
        if not line:
            return
        req, cleanup = {}, []
        try:
            req = json.loads(line)
            resp = {"id": req["id"], "outcome": _supervise(req, in_fd, out_fd, child_setup, me, cleanup)}
        except BaseException:
            if os.getpid() != me:
                os._exit(0)
            resp = {"id": req.get("id"), "error": traceback.format_exc()}
        if os.getpid() != me:
            os._exit(0)
        _send(out_fd, resp)
        for fn in cleanup:  # reaping + rmtree after answering: overlaps with the parent's work
            try:
                fn()
            except OSError:
                pass


def _supervise(req, in_fd, out_fd, child_setup, me, cleanup):
    tmp = os.path.realpath(tempfile.mkdtemp(prefix="qa-lint-"))
    r, w = os.pipe()
    try:
        pid = os.fork()
    except BaseException:
        os.close(r)
        os.close(w)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if pid == 0:  # ---- child: never returns
        code = 70
        try:
            os.close(r)
            os.close(in_fd)
            os.close(out_fd)
            code = _child(req, tmp, w, child_setup, me)
        except BaseException:
            try:
                _send(w, {"internal": traceback.format_exc()})
            except BaseException:
                pass
        finally:
            os._exit(code)
    os.close(w)
    try:
        os.setpgid(pid, pid)  # also done by the child; whichever runs first wins the race
    except OSError:
        pass
    blocks, stmt, done, missing, internal, status = [], None, None, None, None, None
    truncated = timed_out = False
    deadline = time.monotonic() + float(req.get("timeout") or 10)
    buf = b""
    try:
        while done is None and missing is None:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([r], [], [], min(left, 0.5))
            if not ready:  # child gone while a grandchild still holds the pipe?
                p, st = os.waitpid(pid, os.WNOHANG)
                if p:
                    status = st
                    break
                continue
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for ln in lines:
                msg = json.loads(ln)
                if "stmt" in msg:
                    stmt = msg["stmt"]
                elif "block" in msg:
                    blocks.append(msg["result"])
                    truncated = truncated or msg["truncated"]
                elif "done" in msg:
                    done = msg
                elif "missing" in msg:
                    missing = msg["missing"]
                elif "internal" in msg:
                    internal = msg["internal"]
    finally:
        os.close(r)
        try:
            os.killpg(pid, signal.SIGKILL)  # the child's group: reaps grandchildren too
        except OSError:
            pass
        if status is None:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if status is None and (done is not None or missing is not None):
            cleanup.append(lambda: (os.waitpid(pid, 0), shutil.rmtree(tmp, ignore_errors=True)))
        else:
            if status is None:
                _, status = os.waitpid(pid, 0)
            shutil.rmtree(tmp, ignore_errors=True)
    if missing is not None:
        return {"kind": "missing_modules", "data": missing}
    result = {"blocks": blocks, "output_truncated": truncated,
              "threads_left": done["threads_left"] if done else 0}
    if done is not None:
        return {"kind": "completed", "data": result}
    if timed_out:
        return {"kind": "timed_out", "data": {"result": result, "stmt": stmt}}
    if internal:
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
    return {"kind": "crashed", "data": {"result": result, "detail": detail, "stmt": stmt}}


# ------------------------------------------------------------------ child

def _mapped_bytes():
    """Current virtual size of this process (VmSize), 0 if unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _setrl(res, soft, hard=None):
    cur_soft, cur_hard = resource.getrlimit(res)
    hard = soft if hard is None else hard
    if cur_hard != resource.RLIM_INFINITY:
        hard = min(hard, cur_hard)
        soft = min(soft, hard)
    try:
        resource.setrlimit(res, (soft, hard))
    except (ValueError, OSError):
        pass


def _child(req, tmp, w, child_setup, parent):
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
    lim, timeout = req["limits"], float(req["timeout"])
    # The budget is on top of what the process already maps: the Rust allocator and CPython
    # reserve address space up front, so an absolute RLIMIT_AS would starve threads and imports.
    _setrl(resource.RLIMIT_AS, _mapped_bytes() + lim["memory_bytes"])
    cpu = lim.get("cpu_seconds") or int(math.ceil(timeout)) + 1
    _setrl(resource.RLIMIT_CPU, cpu, cpu + 2)  # soft < hard -> SIGXCPU (24), not SIGKILL
    _setrl(resource.RLIMIT_FSIZE, lim["file_size_bytes"])
    _setrl(resource.RLIMIT_NOFILE, lim["open_files"])
    _setrl(resource.RLIMIT_CORE, 0)
    if os.geteuid() != 0:  # root ignores RLIMIT_NPROC
        _setrl(resource.RLIMIT_NPROC, lim["max_processes"])
    os.chdir(tmp)
    for rel, data in req["files"]:
        full = os.path.realpath(os.path.join(tmp, rel))
        if os.path.isabs(rel) or not full.startswith(tmp + os.sep):
            raise ValueError("fixture path %r escapes the working directory" % rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data.encode("latin-1"))
    os.environ["HOME"] = os.environ["TMPDIR"] = tmp
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # BLAS thread pools vs RLIMIT_AS, and determinism
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
        _send(w, {"missing": missing})
        return 0
    qa_runner.CUR = entry = qa_runner.Entry(req, w, tmp)
    if not req["sandbox"].get("allow_network") or not req["sandbox"].get("allow_subprocess") \
            or not req["sandbox"].get("allow_writes_outside"):
        sys.addaudithook(_make_hook(req["sandbox"], tmp))
    entry.run()
    _send(w, {"done": True, "threads_left": max(0, threading.active_count() - 1)})
    return 0


# ------------------------------------------------------------------ sandbox (audit hook, child only)

_NET = {"socket.connect", "socket.bind", "socket.sendto"}
_PROC = {"os.system", "os.exec", "os.posix_spawn", "os.fork", "os.forkpty", "subprocess.Popen",
         "pty.spawn", "os.spawn"}
_FS = {"os.remove", "os.rename", "os.rmdir", "shutil.rmtree", "os.truncate", "os.mkdir"}
_WFLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _make_hook(sb, tmp):
    deny_net = not sb.get("allow_network")
    deny_proc = not sb.get("allow_subprocess")
    deny_write = not sb.get("allow_writes_outside")
    inside_prefix = tmp + os.sep
    busy = []

    def outside(path):
        if isinstance(path, int) or path is None:
            return False
        try:
            p = os.path.realpath(os.path.join(os.getcwd(), os.fsdecode(path)))
        except Exception:
            return True
        return not (p == tmp or p.startswith(inside_prefix) or p == os.devnull)

    def hook(event, args):
        if busy:
            return
        msg = None
        busy.append(1)
        try:
            if deny_net and event in _NET:
                msg = "network access blocked (%s to %r)" % (event, args[1] if len(args) > 1 else None)
            elif deny_proc and event in _PROC:
                msg = "subprocess blocked (%s)" % event
            elif deny_write and event == "open":
                path, mode, flags = (tuple(args) + (None, None, None))[:3]
                writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                    (isinstance(flags, int) and flags & _WFLAGS)
                if writing and outside(path):
                    msg = "write outside the working directory blocked (open %r, mode %r)" % (
                        os.fsdecode(path), mode if mode is not None else flags)
            elif deny_write and event in _FS:
                paths = args[:2] if event == "os.rename" else args[:1]
                if any(outside(p) for p in paths):
                    msg = "change outside the working directory blocked (%s %r)" % (event, paths[0])
        finally:
            busy.pop()
        if msg is not None:
            msg = "qa-lint sandbox: " + msg
            if qa_runner.CUR is not None:
                qa_runner.CUR.violation(msg)
            raise PermissionError(msg)

    return hook

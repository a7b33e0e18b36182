"""qa-lint's Python side (embedded in the worker with include_str!).

serve(in_fd, out_fd, child_setup) is the worker's supervisor loop: one JSON request per line in,
one JSON response per line out (field names match src/exec/protocol.rs). Each entry runs in a
forked child (fresh copy of this pristine process) with rlimits, a temp cwd and an audit-hook
sandbox; the child streams JSON lines back through a pipe:
  {"stmt": [block, first, last]}   before each top-level statement (or >>> example)
  {"block": i, "result": {...}, "truncated": bool}   per finished block
  {"missing": [...]} | {"done": true, "threads_left": n} | {"internal": traceback}
"""
import __future__
import ast, builtins, doctest, gc, importlib.util, io, json, math, os, platform, resource
import select, shutil, signal, sys, tempfile, threading, time, traceback

_FUTURE_MASK = 0
for _n in __future__.all_feature_names:
    _FUTURE_MASK |= getattr(__future__, _n).compiler_flag
_real_print = builtins.print
_CUR = None  # the running _Entry (child only)


def _send(fd, obj):
    data = json.dumps(obj, ensure_ascii=False).encode("utf-8", "replace") + b"\n"
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


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
            fn()


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
    _setrl(resource.RLIMIT_AS, lim["memory_bytes"])
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
    global _CUR
    _CUR = entry = _Entry(req, w, tmp)
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
            if _CUR is not None:
                _CUR.violation(msg)
            raise PermissionError(msg)

    return hook


# ------------------------------------------------------------------ running blocks (child only)

class _Stream(io.TextIOBase):
    """sys.stdout / sys.stderr recorder for raw .write() calls."""
    encoding, errors, name, mode, line_buffering = "utf-8", "strict", "<stdout>", "w", False

    def __init__(self, entry, stream):
        self._entry, self._stream, self.name = entry, stream, "<%s>" % stream
        self.buffer = _Buffer(self)

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        self._entry.write(self._stream, s)
        return len(s)

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        raise io.UnsupportedOperation("fileno")


class _Buffer:
    def __init__(self, stream):
        self._stream = stream

    def write(self, b):
        self._stream.write(bytes(b).decode("utf-8", "replace"))
        return len(b)

    def flush(self):
        pass


class _Entry:
    def __init__(self, req, w, tmp):
        self.req, self.w, self.pid = req, w, os.getpid()
        self.blocks = req["blocks"]
        self.fnames = {b["filename"]: i for i, b in enumerate(self.blocks)}
        self.left = int(req["limits"]["max_output_bytes"])
        self.truncated = False
        self.flags = 0
        self.ns = self.new_ns()
        self.fname, self.stmt, self.res, self.pending = None, None, None, None
        self.out, self.err = _Stream(self, "stdout"), _Stream(self, "stderr")
        sys.stdout = sys.__stdout__ = self.out
        sys.stderr = sys.__stderr__ = self.err
        sys.stdin = sys.__stdin__ = io.StringIO("")  # input() -> EOFError at once
        builtins.print = self.print

    @staticmethod
    def new_ns():
        return {"__name__": "__main__", "__builtins__": builtins, "__doc__": None}

    # -- output
    def budget(self, text):
        """Cut text to the remaining output budget (None when nothing is left)."""
        if self.left <= 0:
            if text:
                self.truncated = True
            return None
        if len(text) > self.left:
            text, self.truncated = text[:self.left], True
        n = len(text.encode("utf-8", "surrogatepass"))
        if n > self.left:
            text = text.encode("utf-8", "surrogatepass")[:self.left].decode("utf-8", "ignore")
            n, self.truncated = len(text.encode("utf-8", "surrogatepass")), True
        self.left -= n
        return text

    def line(self):
        f, fname = sys._getframe(2), self.fname
        while f is not None:
            if f.f_code.co_filename == fname:
                return f.f_lineno
            f = f.f_back
        return None

    def event(self, stream, text, newline, kind, line):
        if self.res is not None:
            self.res["events"].append({"stream": stream, "text": text, "newline": newline,
                                       "kind": kind, "stmt": self.stmt, "line": line})

    def print(self, *args, sep=" ", end="\n", file=None, flush=False):
        target = sys.stdout if file is None else file
        if target is self.out or target is self.err:
            for what, v in (("sep", sep), ("end", end)):
                if v is not None and not isinstance(v, str):
                    raise TypeError("%s must be None or a string, not %s" % (what, type(v).__name__))
            sep = " " if sep is None else sep
            end = "\n" if end is None else end
            body = sep.join([str(a) for a in args])
            newline = end.endswith("\n")
            self.flush_pending()
            body = self.budget(body)
            tail = self.budget(end) if body is not None else None
            if body is not None:
                text = body + (tail[:-1] if newline and tail else (tail or ""))
                self.event("stderr" if target is self.err else "stdout", text,
                           newline and tail is not None and tail.endswith("\n"), "print", self.line())
        else:
            _real_print(*args, sep=sep, end=end, file=file, flush=flush)

    def write(self, stream, s):
        s = self.budget(s)
        if not s:
            return
        p = self.pending
        if p is not None and p[0] == stream and p[2] == self.stmt:
            p[1].append(s)
        else:
            self.flush_pending()
            self.pending = [stream, [s], self.stmt, self.line()]

    def flush_pending(self):
        p, self.pending = self.pending, None
        if p is not None:
            text = "".join(p[1])
            newline = text.endswith("\n")
            self.event(p[0], text[:-1] if newline else text, newline, "write", p[3])

    def violation(self, msg):
        if self.res is not None:
            self.res["sandbox_violations"].append({"stmt": self.stmt, "line": self.line(), "message": msg})

    def fix_io(self):
        for name, rec in (("stdout", self.out), ("stderr", self.err)):
            cur = getattr(sys, name, None)
            if cur is None or not callable(getattr(cur, "write", None)):
                setattr(sys, name, rec)
        if getattr(sys, "stdin", None) is None:
            sys.stdin = io.StringIO("")

    # -- errors
    def error(self, e, stmt):
        tb, frames, line = e.__traceback__, [], None
        while tb is not None:
            code = tb.tb_frame.f_code
            bi = self.fnames.get(code.co_filename)
            if bi is not None and tb.tb_lineno is not None:
                frames.append({"block": bi, "line": tb.tb_lineno, "function": code.co_name})
                if code.co_filename == self.fname:
                    line = tb.tb_lineno
            tb = tb.tb_next
        offset = None
        if isinstance(e, SyntaxError) and e.filename == self.fname:
            line, offset = e.lineno, e.offset
        if len(frames) > 40:
            frames = frames[:20] + frames[-20:]
        t = type(e)
        qual = t.__qualname__ if t.__module__ == "builtins" else "%s.%s" % (t.__module__, t.__qualname__)
        try:
            msg = str(e)
        except BaseException:
            msg = "<str() of the exception failed>"
        return {"type": t.__name__, "qualname": qual, "message": msg, "stmt": stmt, "line": line,
                "offset": offset, "traceback": frames}

    # -- driver
    def run(self):
        for bi, block in enumerate(self.blocks):
            self.fname, self.stmt = block["filename"], None
            self.res = {"syntax_error": None, "events": [], "values": [], "errors": [],
                        "session": [], "sandbox_violations": []}
            if block.get("fresh_namespace"):
                self.ns = self.new_ns()
            self.fix_io()
            mode = block["mode"]
            try:
                if mode == "session":
                    self.run_session(bi, block)
                elif mode == "compile_only":
                    self.compile_block(block)
                else:
                    self.run_exec(bi, block)
            finally:
                self.flush_pending()
                self.check_pid()
            res, self.res = self.res, None
            _send(self.w, {"block": bi, "result": res, "truncated": self.truncated})

    def check_pid(self):
        if os.getpid() != self.pid:  # a snippet forked and this is the copy: vanish silently
            os._exit(0)

    def compile_block(self, block, flags=ast.PyCF_ONLY_AST):
        try:
            tree = compile(block["source"], self.fname, "exec", flags | self.flags, dont_inherit=True)
            compile(tree, self.fname, "exec", self.flags, dont_inherit=True)  # e.g. 'return' outside function
            return tree
        except BaseException as e:  # SyntaxError, ValueError (NUL bytes), RecursionError (deep nesting)
            self.res["syntax_error"] = self.error(e, None)
            return None

    def run_exec(self, bi, block):
        tree = self.compile_block(block)
        if tree is None:
            return
        ns, fname = self.ns, self.fname
        for node in tree.body:
            first, last = node.lineno, node.end_lineno
            for d in getattr(node, "decorator_list", ()):  # a decorated def starts at its first @
                first = min(first, d.lineno)
            self.stmt = stmt = [first, last]
            os.write(self.w, b'{"stmt":[%d,%d,%d]}\n' % (bi, first, last))
            try:
                if isinstance(node, ast.Expr):
                    code = compile(ast.Expression(node.value), fname, "eval", self.flags, dont_inherit=True)
                    value = eval(code, ns)
                    if value is not None:
                        self.flush_pending()
                        r = self.budget(repr(value))
                        if r is not None:
                            self.res["values"].append({"stmt": stmt, "repr": r})
                    value = None
                else:
                    code = compile(ast.Module([node], []), fname, "exec", self.flags, dont_inherit=True)
                    self.flags |= code.co_flags & _FUTURE_MASK
                    exec(code, ns)
            except BaseException as e:
                self.flush_pending()
                self.res["errors"].append(self.error(e, stmt))
                e = None
            finally:
                self.flush_pending()
                self.check_pid()
                self.fix_io()

    def run_session(self, bi, block):
        try:
            test = doctest.DocTestParser().get_doctest(block["source"], self.ns, self.fname, self.fname, 0)
        except ValueError as e:  # malformed transcript (e.g. no space after >>>)
            self.res["syntax_error"] = self.error(e, None)
            return
        runner = _DocRunner(self, bi, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                            verbose=False)
        try:
            runner.run(test, out=lambda s: None, clear_globs=False)
        except BaseException as e:  # KeyboardInterrupt is re-raised by doctest
            self.res["errors"].append(self.error(e, self.stmt))
        self.fix_io()


class _DocRunner(doctest.DocTestRunner):
    def __init__(self, entry, bi, **kw):
        super().__init__(**kw)
        self.entry, self.bi = entry, bi

    def report_start(self, out, test, example):
        first = example.lineno + 1
        last = first + max(1, example.source.count("\n")) - 1
        self.entry.stmt = [first, last]
        os.write(self.entry.w, b'{"stmt":[%d,%d,%d]}\n' % (self.bi, first, last))

    def _add(self, example, got, ok, exception=None):
        if exception is None and "Traceback (most recent call last):" in got:
            exception = got.rstrip("\n").rsplit("\n", 1)[-1]
        got = self.entry.budget(got) or ""
        self.entry.res["session"].append({
            "line": example.lineno + 1, "source": example.source, "want": example.want,
            "got": got, "ok": ok, "exception": exception})

    def report_success(self, out, test, example, got):
        self._add(example, got, True)

    def report_failure(self, out, test, example, got):
        self._add(example, got, False)

    def report_unexpected_exception(self, out, test, example, exc_info):
        exc = traceback.format_exception_only(exc_info[0], exc_info[1])[-1].strip()
        self._add(example, "", False, exc)

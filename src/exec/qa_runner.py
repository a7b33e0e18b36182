"""qa-lint's block runner (child side), loaded by the worker as module `qa_runner` before
qa_helper.py. An Entry runs one entry's blocks in the forked child: statement by statement
(exec mode), as a doctest transcript (session mode) or compile-only, and records output,
values and exceptions (field names match src/exec/protocol.rs).

doctest is imported lazily (only for session blocks): it pulls in about 30 modules (pdb,
inspect, unittest...) that would otherwise make every fork of the worker more expensive.
"""
import __future__
import ast, builtins, io, json, linecache, os, struct, sys, traceback

_FUTURE_MASK = 0
for _n in __future__.all_feature_names:
    _FUTURE_MASK |= getattr(__future__, _n).compiler_flag
_real_print = builtins.print
_STMT = struct.Struct("iiii")  # entry seq, block, first, last: the shared page (see qa_helper)
# Exceptions that say the process itself may be in a bad state: the child is not reused.
_SEVERE = (SystemExit, KeyboardInterrupt, RecursionError, MemoryError)
CUR = None  # the running Entry (set in the child; read by the sandbox hook)


# Bound once: a snippet that patches json.dumps or os.write must not break the protocol.
dumps = json.JSONEncoder(ensure_ascii=False).encode
_os_write = os.write


def send(fd, obj):
    """Writes one JSON line (lone surrogates become '?', serde_json would reject them)."""
    _write(fd, dumps(obj).encode("utf-8", "replace") + b"\n")


def _write(fd, data):
    view = memoryview(data)
    while view:
        view = view[_os_write(fd, view):]

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


class Entry:
    def __init__(self, req, w, tmp, shm, seq):
        self.req, self.w, self.pid = req, w, os.getpid()
        self.shm, self.seq = shm, seq
        self.violations = 0
        self.severe = None  # name of a _SEVERE exception a statement raised
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
        self.violations += 1
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
        if isinstance(e, _SEVERE) and self.severe is None:
            self.severe = type(e).__name__
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
            src = block["source"]  # so inspect.getsource, tracebacks and warnings see the code
            linecache.cache[self.fname] = (len(src), None, src.splitlines(True), self.fname)
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
            data = dumps(res).encode("utf-8", "replace")
            _write(self.w, b"B%d%s\n" % (self.truncated, data))

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
            _STMT.pack_into(self.shm, 0, self.seq, bi, first, last)
            try:
                if isinstance(node, ast.Expr):
                    code = compile(ast.Expression(node.value), fname, "eval", self.flags, dont_inherit=True)
                    value = eval(code, ns)
                    # None is recorded too: `items.sort()  # None` is a claim about it (the
                    # judge ignores it for any other claim, as a REPL shows nothing).
                    if True:
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
        import doctest
        try:
            test = doctest.DocTestParser().get_doctest(block["source"], self.ns, self.fname, self.fname, 0)
        except ValueError as e:  # malformed transcript (e.g. no space after >>>)
            self.res["syntax_error"] = self.error(e, None)
            return
        test.globs = self.ns  # DocTest copies globs; the entry namespace must be shared
        runner = _doc_runner()(self, bi, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                               verbose=False)
        try:
            runner.run(test, out=lambda s: None, clear_globs=False)
        except BaseException as e:  # KeyboardInterrupt is re-raised by doctest
            self.res["errors"].append(self.error(e, self.stmt))
        self.fix_io()


_DOC_RUNNER = []


def _doc_runner():
    """The doctest runner class (defined on first use: doctest is imported lazily)."""
    if _DOC_RUNNER:
        return _DOC_RUNNER[0]
    import doctest

    class _DocRunner(doctest.DocTestRunner):
        def __init__(self, entry, bi, **kw):
            super().__init__(**kw)
            self.entry, self.bi = entry, bi

        def report_start(self, out, test, example):
            first = example.lineno + 1
            last = first + max(1, example.source.count("\n")) - 1
            self.entry.stmt = [first, last]
            _STMT.pack_into(self.entry.shm, 0, self.entry.seq, self.bi, first, last)

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
            if isinstance(exc_info[1], _SEVERE) and self.entry.severe is None:
                self.entry.severe = exc_info[0].__name__
            exc = traceback.format_exception_only(exc_info[0], exc_info[1])[-1].strip()
            self._add(example, "", False, exc)

    _DOC_RUNNER.append(_DocRunner)
    return _DocRunner

"""qa-lint's block runner (child side), loaded by the worker as module `qa_runner` before
qa_helper.py. An Entry runs one entry's blocks in the forked child: statement by statement
(exec mode), as a doctest transcript (session mode) or compile-only, and records output,
values and exceptions (field names match src/exec/protocol.rs).

doctest is imported lazily (only for session blocks): it pulls in about 30 modules (pdb,
inspect, unittest...) that would otherwise make every fork of the worker more expensive.
"""
import __future__
import ast, builtins, io, linecache, os, re, sys, traceback, types

from qa_page import STMT, Results, encode_line
from qa_code import AWAIT, const_pool, shared, slips_repair, top_level_await
from qa_session import SessionRunner
from qa_stmt import (LOST, SYNTAX_ERROR, HELD, bound, bound_by_text, has_handler, hold_value, holds_value, loads,
                     missing_module, near_name, star_import)

# Words of code whose meaning spans statements: such a block is also compiled as one unit.
_SPANS_STATEMENTS = re.compile(r"\b(?:global|nonlocal|__future__)\b")
_FUTURE_MASK = 0
for _n in __future__.all_feature_names:
    _FUTURE_MASK |= getattr(__future__, _n).compiler_flag
_real_print = builtins.print
# Exceptions that say the process itself may be in a bad state: the child is not reused.
_SEVERE = (SystemExit, KeyboardInterrupt, RecursionError, MemoryError)
CUR = None  # the running Entry (set in the child; read by the sandbox hook)
_UNSET = object()
_LOOPBACK_PROBE = re.compile(r"socket\.bind to \('(?:::1|127\.0\.0\.1|localhost)', 0\)")


def _importing():
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_filename.startswith("<frozen importlib"):
            return True
        f = f.f_back
    return False


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


class _Print:
    """`print` as a snippet sees it: it records each call as one output (Entry.print), and
    otherwise looks like the built-in it stands in for, so that `print(print)`, `help(print)`
    and `print.__name__` show what they show when the page's code runs as a script."""
    __slots__ = ("_call",)
    __name__ = __qualname__ = "print"
    __module__ = "builtins"
    __doc__ = _real_print.__doc__
    __text_signature__ = getattr(_real_print, "__text_signature__", None)

    def __init__(self, call):
        self._call = call

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def __repr__(self):
        return repr(_real_print)

    def __reduce__(self):
        return "print"


class Entry(SessionRunner):
    def __init__(self, req, w, tmp, shm, seq):
        self.req, self.w, self.pid = req, w, os.getpid()
        self.shm, self.seq = shm, seq
        self.results = Results(shm, w, seq)  # sent when the entry ends (qa_child.run_entry)
        self.violations = 0
        self.severe = None  # name of a _SEVERE exception a statement raised
        self.blocks = req["blocks"]
        self.fnames = {b["filename"]: i for i, b in enumerate(self.blocks)}
        self.left = int(req["limits"]["max_output_bytes"])
        self.truncated = False
        self.flags = 0
        self.consts = {}
        self.env_roots = set()  # failures for want of a module, a file or the network
        self.awaits = False  # the block being run has top-level awaits
        self.loop = None  # the event loop top-level awaits run on (created when one is met)
        self.main0, self.main = _UNSET, None
        self.ns = self.new_ns()
        self.fname, self.stmt, self.res, self.pending = None, None, None, None
        self.out, self.err = _Stream(self, "stdout"), _Stream(self, "stderr")
        sys.stdout = sys.__stdout__ = self.out
        sys.stderr = sys.__stderr__ = self.err
        sys.stdin = sys.__stdin__ = io.StringIO("")  # input() -> EOFError at once
        builtins.print = _Print(self.print)

    def new_ns(self):
        """A fresh `__main__` module: its dict is the namespace, and it is sys.modules['__main__']
        while the entry runs, so pickle, dataclasses and typing find classes defined in a snippet
        (restore_main puts the worker's own module back)."""
        mod = types.ModuleType("__main__")
        mod.__dict__.update({"__builtins__": builtins, "__doc__": None})
        if self.main0 is _UNSET:
            self.main0 = sys.modules.get("__main__", _UNSET)
        sys.modules["__main__"] = mod
        self.main = mod  # keeps the module (and so its dict) alive while the entry runs
        self.failed, self.failed_star = {}, None
        return mod.__dict__

    def restore_main(self):
        if self.main0 is not _UNSET:
            sys.modules["__main__"] = self.main0
        elif sys.modules.get("__main__") is self.main:
            del sys.modules["__main__"]

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

    def showwarning(self, message, category, filename, lineno, file=None, line=None):
        """Warnings are recorded apart from printed output (kind "warning"): a SyntaxWarning or
        DeprecationWarning on stderr is not what a claim is about."""
        import warnings
        if file is not None and file is not self.err:
            try:
                file.write(warnings.formatwarning(message, category, filename, lineno, line))
            except BaseException:
                pass
            return
        try:
            text = warnings.formatwarning(message, category, filename, lineno, line)
        except BaseException:
            text = "%s: %s" % (getattr(category, "__name__", "Warning"), message)
        self.flush_pending()
        text = self.budget(text.rstrip("\n"))
        if text is not None:
            self.event("stderr", text, True, "warning", self.line())

    def violation(self, msg):
        self.violations += 1
        if _LOOPBACK_PROBE.search(msg) and _importing():
            # A library probing at import time whether IPv6 works (urllib3, imported by
            # requests, binds ('::1', 0) and catches the error): not the snippet's doing.
            return
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
    def note_severe(self, e):
        """An exception that retires the child after the entry (see qa_helper)."""
        if isinstance(e, _SEVERE) and self.severe is None:
            self.severe = type(e).__name__

    def mark(self, bi, first, last):
        """The statement now running, on the page the supervisor reads after a timeout."""
        STMT.pack_into(self.shm, 0, self.seq, bi, first, last)

    def error(self, e, stmt):
        self.note_severe(e)
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
        if type(e) is NameError and "Did you mean" not in msg:
            near = near_name(getattr(e, "name", None), self.ns)
            if near:
                msg += ". Did you mean: %r?" % near  # as the traceback of Python 3.12 says
        return {"type": t.__name__, "qualname": qual, "message": msg, "stmt": stmt, "line": line,
                "offset": offset, "traceback": frames}

    # -- driver
    def run(self):
        try:
            self.run_blocks()
        finally:
            self.restore_main()
            if self.loop is not None:
                self.loop.close()

    def awaited(self, awaitable):
        """What `await awaitable` gives at the top level of a page, as `python -m asyncio` runs
        it: the entry's own event loop runs it to its end."""
        if self.loop is None:
            import asyncio
            self.loop = asyncio.new_event_loop()
        return self.loop.run_until_complete(awaitable)

    def run_blocks(self):
        import warnings
        warnings.showwarning = self.showwarning  # the supervisor's reset puts the original back
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
                    self.compile_block(block, whole=True)
                elif mode == "lost":
                    # An earlier run never finished this block: what it binds is lost.
                    for name in bound_by_text(src):
                        self.failed[name] = [bi, LOST]
                else:
                    self.run_exec(bi, block)
            finally:
                self.flush_pending()
                self.check_pid()
            res, self.res = self.res, None
            self.results.add(encode_line(b"B%d" % self.truncated, res))

    def check_pid(self):
        if os.getpid() != self.pid:  # a snippet forked and this is the copy: vanish silently
            os._exit(0)

    def compile_block(self, block, whole=False):
        """The block's AST (None after a syntax error, recorded); `whole`: always compile it as
        one unit too (a block that is only compiled)."""
        try:
            tree = compile(block["source"], self.fname, "exec", ast.PyCF_ONLY_AST | self.flags, dont_inherit=True)
            if "await" in block["source"]:
                tree, self.awaits = top_level_await(tree)
            else:
                self.awaits = False
            self.consts = {}
            if whole or _SPANS_STATEMENTS.search(block["source"]):
                # The block as one compilation unit: what only the whole block can get wrong (a
                # `global` after a use, a `__future__` import out of place) fails here, and the
                # constants are pooled from it. Other blocks pool them from their statements
                # (run_exec): the same objects, one compile less.
                self.consts = const_pool(compile(tree, self.fname, "exec", self.flags, dont_inherit=True))
            return tree
        except BaseException as e:  # SyntaxError, ValueError (NUL bytes), RecursionError (deep nesting)
            self.res["syntax_error"] = self.syntax_error(e, block["source"])
            return None

    def syntax_error(self, e, source):
        """A block that does not compile, and whether one edit would make it (qa_code)."""
        err = self.error(e, None)
        if isinstance(e, SyntaxError) and e.filename == self.fname:
            err["repairable"] = slips_repair(source, e, self.flags)
        return err

    def compile_stmt(self, node, commented):
        """(code, held): one statement compiled as the runner runs it (an expression in eval
        mode, a claimed assignment holding its value), with the block's shared constants."""
        if isinstance(node, ast.Expr):
            return compile(ast.Expression(node.value), self.fname, "eval", self.flags, dont_inherit=True), False
        held = commented and holds_value(node)
        body = hold_value(node) if held else [node]
        return compile(ast.Module(body, []), self.fname, "exec", self.flags, dont_inherit=True), held

    def run_exec(self, bi, block):
        tree = self.compile_block(block)
        lines = block["source"].splitlines()
        compiled = commented = None
        if tree is not None:
            # Only a statement with a comment can carry a claim: the extra work is for those.
            commented = [any("#" in l for l in lines[n.lineno - 1:n.end_lineno + 1]) for n in tree.body]
            if not self.consts and "__future__" not in block["source"]:
                # Every statement compiled before the first runs, their constants pooled. A
                # statement that does not compile stops the whole block, as a script's would.
                compiled = []
                try:
                    for node, c in zip(tree.body, commented):
                        compiled.append(self.compile_stmt(node, c))
                        const_pool(compiled[-1][0], self.consts)
                except BaseException as e:
                    self.res["syntax_error"] = self.syntax_error(e, block["source"])
                    tree = None
        if tree is None:
            # Nothing in the block ran: what it would have bound is missing below, and the
            # NameErrors that follow are the syntax error's.
            for name in bound_by_text(block["source"]):
                self.failed[name] = [bi, SYNTAX_ERROR]
            return
        ns = self.ns
        for i, node in enumerate(tree.body):
            first, last = node.lineno, node.end_lineno
            for d in getattr(node, "decorator_list", ()):  # a decorated def starts at its first @
                first = min(first, d.lineno)
            self.stmt = stmt = [first, last]
            self.mark(bi, first, last)
            # `try`/`with` must be in the statement's text: most statements skip the AST walk.
            caught = [] if commented[i] and any("try" in l or "with" in l for l in lines[first - 1:last]) \
                and has_handler(node) else None
            if self.awaits:
                ns[AWAIT] = self.awaited
            try:
                got = self.compile_stmt(node, commented[i]) if compiled is None else compiled[i]
                code, held = shared(got[0], self.consts), got[1]
                if isinstance(node, ast.Expr):
                    value = eval(code, ns)
                    # None is recorded too: `items.sort()  # None` is a claim about it (the
                    # judge ignores it for any other claim, as a REPL shows nothing).
                    self.flush_pending()
                    r = self.budget(repr(value))
                    if r is not None:
                        rec = {"stmt": stmt, "repr": r}
                        if commented[i] and not isinstance(value, (str, int, float, bool, type(None))):
                            try:
                                text = str(value)
                            except BaseException:
                                text = r
                            if text != r and len(text) <= 4096:
                                rec["str"] = self.budget(text)
                        self.res["values"].append(rec)
                    if value is None and commented[i]:
                        self.receiver_state(node.value, stmt)
                    value = None
                else:
                    self.flags |= code.co_flags & _FUTURE_MASK
                    if caught is None:
                        exec(code, ns)
                    else:
                        self.exec_traced(code, ns, caught)
                    if held:
                        self.assigned(node, stmt, ns.pop(HELD, None))
                    elif commented[i]:
                        self.assigned(node, stmt)
                if self.failed or self.failed_star is not None:
                    root = self.ran(node)
                    if root is not None:
                        # It ran, on values a failure left stale: what it shows proves nothing.
                        self.res.setdefault("stale", []).append({"stmt": stmt, "root": root})
            except BaseException as e:
                ns.pop(HELD, None)
                ns.pop(AWAIT, None)
                self.flush_pending()
                rec = self.error(e, stmt)
                self.note_failure(e, rec, node, [bi, len(self.res["errors"])])
                self.res["errors"].append(rec)
                e = None
            finally:
                ns.pop(AWAIT, None)
                if caught:
                    self.record_caught(caught, stmt)
                self.flush_pending()
                self.check_pid()
                self.fix_io()

    # -- what a claim on an assignment or inside `try:` needs
    def assigned(self, node, stmt, value=_UNSET):
        """`x = f()  # 3` claims the value bound to x: its repr is recorded (assigned=true)."""
        if value is _UNSET:
            if isinstance(node, ast.Assign):
                target = node.targets[-1]
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and getattr(node, "value", True) is not None:
                target = node.target
            else:
                return
            if not isinstance(target, ast.Name) or target.id not in self.ns:
                return
            value = self.ns[target.id]
        try:
            r = repr(value)
        except BaseException:
            return
        if len(r) > 4096:  # a claim is a line or two; a big repr would only eat the output budget
            return
        self.flush_pending()
        r = self.budget(r)
        if r is not None:
            self.res["values"].append({"stmt": stmt, "repr": r, "assigned": True})

    def receiver_state(self, call, stmt):
        """`fruits.insert(1, 'kiwi')  # ['apple', 'kiwi']`: a method that changes its object in
        place returns None, and the comment shows the object afterwards: its repr is recorded."""
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name) and call.func.value.id in self.ns):
            return
        try:
            r = repr(self.ns[call.func.value.id])
        except BaseException:
            return
        if len(r) <= 4096:
            r = self.budget(r)
            if r is not None:
                self.res["values"].append({"stmt": stmt, "repr": r, "receiver": True})

    def exec_traced(self, code, ns, caught):
        """Runs a statement holding a `try:`/`with` with a tracer that notes every exception
        raised on a line of this block, caught or not: `int(s)  # raises ValueError` inside a
        `try:` whose `except` handles it is a true claim."""
        fname = self.fname

        def local(frame, event, arg):
            if event == "exception" and len(caught) < 64:
                caught.append((frame.f_lineno, arg[0], arg[1]))
            return local

        def glob(frame, event, arg):
            if frame.f_code.co_filename == fname:
                frame.f_trace_lines = False
                return local
            return None

        old = sys.gettrace()
        sys.settrace(glob)
        try:
            exec(code, ns)
        finally:
            sys.settrace(old)

    def record_caught(self, caught, stmt):
        seen = set()
        for line, t, v in caught:
            if (line, t) in seen or not isinstance(v, BaseException):
                continue
            seen.add((line, t))
            rec = self.error(v, stmt)
            rec["line"], rec["caught"], rec["traceback"] = line, True, []
            self.res["errors"].append(rec)

    # -- one root cause, one diagnostic
    def cause_of(self, e, node):
        """The [block, index] of the earlier failure this exception comes from, if any: a
        NameError for a name that a failed statement would have bound, or any failure of a
        statement that uses such a name (it still holds a stale value, or none)."""
        if isinstance(e, NameError) and not isinstance(e, UnboundLocalError):
            name = getattr(e, "name", None)
            if name is None:
                m = re.match(r"name '(\w+)' is not defined", str(e))
                name = m and m.group(1)
            if name in self.failed:
                return self.failed[name]
            if self.failed_star is not None and name not in self.ns:
                return self.failed_star
        return self.uses_failed(node)

    def uses_failed(self, node):
        if self.failed and node is not None:
            for n in ast.walk(node):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in self.failed:
                    return self.failed[n.id]
        return None

    def ran(self, node):
        """A statement that ran binds its names again; but what it computed from a name a
        failure left stale (a class from an earlier block) is stale too. Returns that failure."""
        root = self.uses_failed(node)
        if root is None:
            self.forget(node)
        else:
            for name in bound(node):
                self.failed[name] = root
        return root

    def note_failure(self, e, rec, node, me):
        root = self.cause_of(e, node)
        if root is not None:
            rec["root"] = root
        missing = missing_module(e)
        if missing:
            rec["missing_module"] = missing
        why = root or me
        for name in bound(node):
            self.failed[name] = why
        if star_import(node):
            self.failed_star = why
        # Code that needed a missing module, file or the network would have acted on what it
        # reads (filled a list, registered a hook): those objects are stale from here on.
        if missing or isinstance(e, (OSError, ImportError)) or (root is not None and tuple(root) in self.env_roots):
            self.env_roots.add(tuple(why))
            for name in loads(node):
                if name in self.ns and name not in self.failed:
                    self.failed[name] = why

    def forget(self, node):
        """A statement that ran binds its names again: uses of them no longer depend on the
        failure that left them undefined."""
        for name in bound(node):
            self.failed.pop(name, None)

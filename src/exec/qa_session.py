"""`>>>` transcripts for the block runner (qa_runner.py): each prompt run with doctest, one at a
time like a REPL, its outcome recorded per example with what it follows from (the root of a
NameError, a value an earlier failure left stale), and top-level `await` run as the asyncio REPL
runs it. `SessionRunner` is a part of qa_runner's `Entry`; nothing here runs outside one.

Loaded by the worker as module `qa_session` before qa_runner.py.
"""
import ast, re, sys, traceback

from qa_code import AWAIT, top_level_await

_FEATURES = frozenset(__import__("__future__").all_feature_names)


class SessionRunner:
    def run_session(self, bi, block):
        import doctest
        try:
            # DocTest copies the globals it is given: an empty dict, since each example runs
            # in the entry's own namespace (set below), not in a copy of it.
            test = doctest.DocTestParser().get_doctest(block["source"], {}, self.fname, self.fname, 0)
        except ValueError as e:  # malformed transcript (e.g. no space after >>>)
            self.res["syntax_error"] = self.error(e, None)
            return
        def new_runner():
            return _doc_runner()(self, bi, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                                 verbose=False)

        runner = new_runner()
        # One example at a time, like a REPL: a `from __future__ import ...` on one `>>>` line
        # holds for the lines after it (doctest reads the flags only once per test).
        for example in test.examples:
            if "await" in example.source:
                self.await_in_session(example)
            one = doctest.DocTest([example], {}, test.name, test.filename, test.lineno, None)
            one.globs = self.ns  # the entry's namespace itself: what one prompt binds, the next sees
            flags = self.flags
            if not self.ns.keys().isdisjoint(_FEATURES):  # doctest's lookup, only when it can find one
                flags |= doctest._extract_future_flags(self.ns)
            try:
                runner.run(one, compileflags=flags, out=lambda s: None, clear_globs=False)
            except BaseException:
                # What escapes doctest: KeyboardInterrupt, the one exception it lets through,
                # or the failure of formatting the page's exception (doctest formats it outside
                # its own `try`). The REPL prints a traceback and reads the next prompt: so does
                # this, judging the prompt as any that raised, with a fresh runner (the
                # interrupted one still holds this prompt's output and `# doctest:` options).
                runner.report_unexpected_exception(None, one, example, sys.exc_info())
                runner = new_runner()
            finally:
                self.ns.pop(AWAIT, None)
                self.fix_io()

    def await_in_session(self, example):
        """A prompt with a top-level `await` (`>>> await client.get(url)`), as the asyncio REPL
        runs it: its awaits become calls that run on the entry's loop."""
        try:
            tree, changed = top_level_await(ast.parse(example.source))
        except SyntaxError:
            return
        if changed:
            example.source = ast.unparse(tree) + "\n"
            self.ns[AWAIT] = self.awaited


_DOC_RUNNER = []


def _doc_runner():
    """The doctest runner class (defined on first use: doctest is imported lazily)."""
    if _DOC_RUNNER:
        return _DOC_RUNNER[0]
    import doctest
    _DebuggerOnDemand.made_by = doctest._OutputRedirectingPdb
    doctest._OutputRedirectingPdb = _DebuggerOnDemand

    class _DocRunner(doctest.DocTestRunner):
        def __init__(self, entry, bi, **kw):
            super().__init__(**kw)
            self.entry, self.bi = entry, bi

        def report_start(self, out, test, example):
            first = example.lineno + 1
            last = first + max(1, example.source.count("\n")) - 1
            self.entry.stmt = [first, last]
            self.entry.mark(self.bi, first, last)

        def _add(self, example, got, ok, exception=None, exc=None):
            if exception is None and "Traceback (most recent call last):" in got:
                exception = got.rstrip("\n").rsplit("\n", 1)[-1]
                got = repl_traceback(got)
            got = self.entry.budget(got) or ""
            rec = {"line": example.lineno + 1, "source": example.source, "want": example.want,
                   "got": got, "ok": ok, "exception": exception}
            entry, session = self.entry, self.entry.res["session"]
            node = None
            if exc is not None or entry.failed or entry.failed_star is not None:
                # Only what follows from a failure needs the example's names.
                try:
                    node = ast.parse(example.source)
                except BaseException:
                    pass
            if exc is not None and node is not None:
                entry.note_failure(exc, rec, node, [self.bi, len(session)])
            elif node is not None and (entry.failed or entry.failed_star is not None):
                root = entry.ran(node)
                if root is not None:
                    rec["root"] = root  # what it shows comes from stale values
            session.append(rec)

        def report_success(self, out, test, example, got):
            self._add(example, got, True)

        def report_failure(self, out, test, example, got):
            # A prompt that shows a traceback and raised another exception: doctest hands over
            # only the text, but what it follows from (a NameError for a name an earlier failure
            # left unbound) must still be traced to its root.
            exc = None
            if "Traceback (most recent call last):" in got:
                last = got.rstrip("\n").rsplit("\n", 1)[-1]
                kind, _, msg = last.partition(": ")
                m = re.match(r"name '(\w+)' is not defined", msg)
                if kind == "NameError" and m:
                    exc = NameError(msg)
                    exc.name = m.group(1)
                else:
                    exc = RuntimeError(msg)
            self._add(example, got, False, exc=exc)

        def report_unexpected_exception(self, out, test, example, exc_info):
            self.entry.note_severe(exc_info[1])
            exc = traceback.format_exception_only(exc_info[0], exc_info[1])[-1].strip()
            self._add(example, "", False, exc, exc_info[1])

    _DOC_RUNNER.append(_DocRunner)
    return _DocRunner


class _DebuggerOnDemand:
    """What doctest's `run` makes on every call (here, once per `>>>` example): a debugger, so
    that `pdb.set_trace()` in an example writes where the transcript's output goes. Making one
    builds a `cmd.Cmd` and looks for `.pdbrc` files, about a fifth of running a transcript;
    this makes it only when an example calls `set_trace`, as doctest's own would then act."""
    made_by = None  # doctest's debugger class, set when doctest is first used

    def __init__(self, out):
        self._out, self._made = out, None

    def reset(self):
        pass

    def set_trace(self, frame=None):
        self._made = self.made_by(self._out)
        self._made.reset()
        self._made.set_trace(sys._getframe().f_back if frame is None else frame)

    def set_continue(self):  # after every example; the debugger stops tracing if it ran
        if self._made is not None:
            self._made.set_continue()


_FRAME = re.compile(r'^  File "(?P<file>[^"]*)", line \d+')


def repl_traceback(got):
    """A traceback as the REPL shows it: the frames of the page's code under `<stdin>`, without
    doctest's own (whose paths belong to this machine's Python)."""
    out, keep = [], True
    for line in got.split("\n"):
        m = _FRAME.match(line)
        if m:
            keep = m.group("file").startswith("<doctest")
            if keep:
                line = line.replace(m.group("file"), "<stdin>", 1)
        elif not line.startswith("    ") and not line.startswith("  File"):
            keep = True
        if keep:
            out.append(line)
    return "\n".join(out)

"""The static risk check: may an entry change process state that a reused child cannot reset?

Run by the supervisor (qa_helper.py) before an entry; a risky entry gets a fresh child of its own.
"""
import ast, re, unicodedata

# ------------------------------------------------------------------ static risk check (supervisor)
#
# An entry is *risky* when its code may change process state that the per-entry reset in a reused
# child (_Child.reset) does not restore and the runtime checks (_Child.after_entry) may not see.
# A risky entry always runs in a fresh child that is discarded after it, exactly like strict mode.
# False positives only cost speed, so the rules are broad. What they look for, in all blocks of
# the entry together, and in the Python files it brings (`file=` blocks and fixture modules, which
# run when a block imports them; names imported in one block are used in the next):
#
# 1. Imports of modules whose use changes process-wide state:
#    threads, processes, event loops: threading _thread multiprocessing concurrent asyncio
#      subprocess pty (a leftover thread/process outlives the entry and prints into the next);
#    process-wide handlers and interpreter hooks: signal atexit faulthandler gc tracemalloc
#      resource pdb bdb trace cProfile profile readline rlcompleter;
#    global configuration held by the stdlib: locale logging (the root logger; basicConfig is a
#      no-op the second time) copyreg;
#    raw memory, fds and sockets: ctypes cffi fcntl termios tty socket socketserver ssl;
#    the import system and __main__: importlib runpy site zipimport __main__;
#    global GUI / figure state and patching: tkinter turtle matplotlib pylab unittest (mock.patch).
#    A star import (unknown names) is risky too.
# 2. Writes through a module: attribute assignment or deletion (`json.dumps = None`,
#    `decimal.getcontext().prec = 5`) and subscript assignment or deletion (`sys.modules[k] = m`)
#    whose root name is imported in the entry, aliased from an imported name (`m = sys.modules`)
#    or is sys, os, builtins or __builtins__. Exception: os.environ[...] (restored).
# 3. Calls through a module to functions whose name says they change state (`np.set_printoptions`,
#    `random.seed`, `Sequence.register`, `sys.path.append` is fine: restored): see _MUTATOR.
# 4. Names that reach around the namespace: setattr delattr exec eval compile __import__ globals
#    vars breakpoint; frame and code internals (f_back, f_globals, tb_frame, __globals__, __code__,
#    __subclasses__, ...); sys.modules, sys.getrefcount, sys._getframe and any `_private`
#    attribute of a module (reads included: their results depend on what ran before).
# 5. A module (bound by `import X`, or sys/os/builtins) used other than through an attribute or
#    as an argument of a read-only builtin (print, dir, type, getattr...): `poke(json)`,
#    `m = json`, `[os, sys]` -- the module could be patched where rules 2-3 cannot see it.
# 6. Anything that does not parse (exec blocks, and the examples of session blocks), except a
#    Python block that does not parse as a whole: the child compiles such a block whole before
#    it runs a statement of it, with the same parser, so none of it runs. (Not when the entry
#    names `__future__`: a future import can change the grammar the child parses with. A
#    session's examples are split here apart from doctest's own reading: they stay risky.)

_RISKY_MODULES = frozenset("""
    threading _thread multiprocessing concurrent asyncio subprocess pty
    signal atexit faulthandler gc tracemalloc resource pdb bdb trace cProfile profile readline
    rlcompleter locale logging copyreg ctypes cffi fcntl termios tty socket socketserver ssl
    importlib runpy site zipimport __main__ tkinter turtle matplotlib pylab unittest mock
""".split())
_ALWAYS_ROOTS = frozenset(("sys", "os", "builtins", "__builtins__"))
_RISKY_NAMES = frozenset(("setattr", "delattr", "exec", "eval", "compile", "__import__", "globals",
                          "vars", "breakpoint"))
_RISKY_ATTRS = frozenset(("f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame",
                          "cr_frame", "ag_frame", "__globals__", "__builtins__", "__code__",
                          "__subclasses__", "__setattr__", "__delattr__", "__closure__"))
_RISKY_SYS = frozenset(("modules", "getrefcount", "getallocatedblocks", "_getframe",
                        "_current_frames", "path_importer_cache", "meta_path", "path_hooks"))
_SAFE_CALLS = frozenset(("print", "dir", "help", "type", "id", "repr", "str", "isinstance", "hasattr",
                         "getattr", "callable", "len", "hash", "format"))
_RESTORED = frozenset((("sys", "path"), ("sys", "argv"), ("os", "environ")))
_MUTATOR = re.compile(
    r"(set|seed|manual_seed|register|unregister|enable|disable|install|uninstall|use|"
    r"basicConfig|dictConfig|fileConfig|getcontext|reset|patch|monkeypatch|add_|push|pop|"
    r"clear|update|append|extend|insert|discard|putenv|unsetenv|umask|close|dup|nice|kill|abort|"
    r"chroot|fchdir|reload|tzset|filterwarnings|simplefilter|invalidate_caches|ion|ioff|rc|"
    r"switch_backend|freeze|_)")
# Every rule above needs one of these words in the code (an import, a name that is always a
# root, a risky name or attribute): an ASCII entry without any of them is not risky, and is
# not parsed here at all (most entries: the parse and walk are the supervisor's largest cost).
_TRIGGER = re.compile(r"\b(?:import|%s)\b" % "|".join(
    sorted(_ALWAYS_ROOTS | _RISKY_NAMES | _RISKY_ATTRS)))
_EXAMPLE = re.compile(r"^[ \t]*>>>(?: (.*))?$")
_CONT = re.compile(r"^[ \t]*\.\.\.(?: (.*))?$")


def _chain(node, calls=True):
    """Names from the root of an attribute/subscript/call chain: `a.b[0].c()` -> ['a', 'b', 'c'];
    None when the root is not a plain name (or is reached through a call and not `calls`)."""
    out = []
    while True:
        if isinstance(node, ast.Attribute):
            out.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call) and calls:
            node = node.func
        elif isinstance(node, ast.Name):
            out.append(node.id)
            out.reverse()
            return out
        else:
            return None


def _modules(req):
    """The Python files an entry brings (`file=` blocks, fixtures): importing one runs it."""
    for rel, data in req.get("files", ()):
        if rel.endswith(".py"):
            yield data.encode("latin-1").decode("utf-8", "replace")


def _names_future(src):
    """Whether `src` can import from `__future__` (identifiers are NFKC-normalised: `_＿future＿＿`
    is the same module)."""
    return "__future__" in (src if src.isascii() else unicodedata.normalize("NFKC", src))


def _sources(req, modules):
    """(mode, source) of the Python an entry executes (session examples one by one)."""
    for src in modules:
        yield "exec", src
    for b in req["blocks"]:
        if b["mode"] == "exec":
            yield "exec", b["source"]
        elif b["mode"] == "session":
            cur = None
            for line in b["source"].splitlines():
                m = _EXAMPLE.match(line)
                if m:
                    if cur is not None:
                        yield "session", "\n".join(cur)
                    cur = [m.group(1) or ""]
                    continue
                m = _CONT.match(line) if cur is not None else None
                if m:
                    cur.append(m.group(1) or "")
                elif cur is not None:
                    yield "session", "\n".join(cur)
                    cur = None
            if cur is not None:
                yield "session", "\n".join(cur)


def risk_reason(req):
    """Why this entry must run alone in a fresh child (None = it may share one); see above."""
    modules = list(_modules(req))
    srcs = [b["source"] for b in req["blocks"] if b["mode"] in ("exec", "session")] + modules
    # Identifiers are NFKC-normalised (`ｓｙｓ` is `sys`): only ASCII code takes the fast path.
    if all(src.isascii() and not _TRIGGER.search(src) for src in srcs):
        return None
    trees, future = [], None
    for mode, src in _sources(req, modules):
        try:
            trees.append(ast.parse(src))
        except BaseException:  # SyntaxError, deep nesting, NUL bytes...
            if future is None:
                future = any(map(_names_future, srcs))
            if mode != "exec" or future:  # rule 6
                return "does not parse"
    nodes = [n for t in trees for n in ast.walk(t)]
    roots = set(_ALWAYS_ROOTS)
    modules = set(_ALWAYS_ROOTS)
    for n in nodes:
        if isinstance(n, ast.Import):
            modules.update(a.asname or a.name.split(".")[0] for a in n.names)
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""]
            for m in mods:
                if m.split(".")[0] in _RISKY_MODULES:
                    return "imports " + m
            for a in n.names:
                if a.name == "*":
                    return "star import"
                roots.add(a.asname or a.name.split(".")[0])
    for _ in range(3):  # aliases of imported things: `m = sys.modules`, `e = os.environ`
        grew = False
        for n in nodes:
            if isinstance(n, (ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.withitem)):
                value = n.context_expr if isinstance(n, ast.withitem) else n.value
                targets = n.targets if isinstance(n, ast.Assign) else \
                    [n.optional_vars if isinstance(n, ast.withitem) else n.target]
                ch = _chain(value, calls=False) if value is not None else None
                if ch and ch[0] in roots:
                    for t in targets:
                        for m in ast.walk(t) if t is not None else ():
                            if isinstance(m, ast.Name) and m.id not in roots:
                                roots.add(m.id)
                                grew = True
        if not grew:
            break
    used, allowed = {}, {}  # rule 5 without a parent map: all loads of a module vs the harmless ones
    for n in nodes:
        t = type(n)
        if t is ast.Name:
            if n.id in _RISKY_NAMES:
                return "uses " + n.id
            if n.id in modules and type(n.ctx) is ast.Load:
                used[n.id] = used.get(n.id, 0) + 1
            continue
        if t is ast.Attribute and type(n.value) is ast.Name:
            allowed[n.value.id] = allowed.get(n.value.id, 0) + 1
        elif t is ast.Call and type(n.func) is ast.Name and n.func.id in _SAFE_CALLS:
            for a in n.args:
                if type(a) is ast.Name:
                    allowed[a.id] = allowed.get(a.id, 0) + 1
        if isinstance(n, ast.Attribute):
            if n.attr in _RISKY_ATTRS:
                return "uses ." + n.attr
            ch = _chain(n)
            if not ch or ch[0] not in roots:
                continue
            if isinstance(n.ctx, (ast.Store, ast.Del)):
                return "sets %s" % ".".join(ch)
            if ch[0] == "sys" and len(ch) > 1 and ch[1] in _RISKY_SYS:
                return "uses sys." + ch[1]
            if n.attr.startswith("_") and not n.attr.endswith("__") or n.attr == "__dict__":
                return "uses %s" % ".".join(ch)
        elif isinstance(n, ast.Subscript) and isinstance(n.ctx, (ast.Store, ast.Del)):
            ch = _chain(n)
            if ch and ch[0] in roots and tuple(ch[:2]) not in _RESTORED:
                return "sets %s[...]" % ".".join(ch)
        elif isinstance(n, ast.Call):
            ch = _chain(n.func, calls=False)  # `hashlib.sha256().update()` acts on a new object
            if ch and ch[0] in roots and tuple(ch[:2]) not in _RESTORED and _MUTATOR.match(ch[-1]):
                return "calls %s()" % ".".join(ch)
    for name, count in used.items():
        if count > allowed.get(name, 0):
            return "passes the module " + name
    return None

"""What the block runner (qa_runner.py) needs to know about statements and names, from the
code alone: which names a statement binds (so a later NameError can name its root cause), which
statements hold a value a claim may be about, which may swallow an exception, and, for a failed
statement, which module is missing or which defined name a NameError probably meant.

Loaded by the worker as module `qa_stmt` before qa_runner.py; nothing here runs snippet code.
"""
import ast, builtins, re

def bound(node):
    """Names a statement binds at its own level (function and class bodies excluded), and the
    names whose object it changes in place (`d['a'] = ...`, `obj.x = ...`): if it fails, what
    they hold is not what the page means either."""
    names, stack = set(), [node]

    def target(t):
        if isinstance(t, ast.Name):
            names.add(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                target(e)
        elif isinstance(t, ast.Starred):
            target(t.value)
        elif isinstance(t, (ast.Subscript, ast.Attribute)):
            target(t.value)

    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
            continue
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            for a in n.names:
                if a.name != "*":
                    names.add(a.asname or a.name.split(".")[0])
            continue
        if isinstance(n, ast.Lambda):
            continue
        if isinstance(n, ast.Assign):
            for t in n.targets:
                target(t)
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.NamedExpr)):
            target(n.target)
        elif isinstance(n, (ast.With, ast.AsyncWith)):
            for it in n.items:
                if it.optional_vars is not None:
                    target(it.optional_vars)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
        stack.extend(ast.iter_child_nodes(n))
    return names


def loads(node):
    """Names a statement reads anywhere in it, function and class bodies included: what it could
    change in place, or hand to code that does (a hook, a callback, a decorated function)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


HELD = "__qa_lint_value__"
LOST = 2**31 - 2  # the error index that names a block an earlier run never finished (protocol.rs)
SYNTAX_ERROR = 2**31 - 1  # the error index that names a block's syntax error (src/examples/judge/mod.rs)
_ASSIGNED = re.compile(r"^\s*(?:(?:async\s+)?def|class)\s+(\w+)|^\s*([A-Za-z_][\w, ]*?)\s*(?::[^=]*)?=[^=]", re.M)
_IMPORTED = re.compile(r"^\s*(?:from\s+\S+\s+)?import\s+(.+)$", re.M)


def bound_by_text(source):
    """Names a block that does not compile appears to bind (assignments, def, class, import)."""
    names = set()
    for m in _ASSIGNED.finditer(source):
        if m.group(1):
            names.add(m.group(1))
        else:
            names.update(n.strip() for n in m.group(2).split(",") if n.strip().isidentifier())
    for m in _IMPORTED.finditer(source):
        for part in m.group(1).split("#")[0].strip("() ").split(","):
            words = part.split()
            if words:
                name = words[-1] if len(words) == 3 and words[1] == "as" else words[0].split(".")[0]
                if name.isidentifier():
                    names.add(name)
    return names


def holds_value(node):
    """`d[k] = v` and `obj.attr = v`: the value cannot be read back from a name."""
    return isinstance(node, ast.Assign) and len(node.targets) == 1 and \
        isinstance(node.targets[0], (ast.Subscript, ast.Attribute))


def hold_value(node):
    """`t = v` as `__held = v; t = __held`: the same order of evaluation, and the value kept."""
    held = ast.Assign(targets=[ast.Name(HELD, ast.Store())], value=node.value)
    again = ast.Assign(targets=node.targets, value=ast.Name(HELD, ast.Load()))
    for n in (held, again):
        ast.copy_location(n, node)
        ast.fix_missing_locations(n)
    for n in ast.walk(again.value):
        ast.copy_location(n, node)
    return [held, again]


def star_import(node):
    return isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)


def has_handler(node):
    """Whether a statement holds a `try:` or a `with` (which may swallow an exception) outside
    any function or class body."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Try, ast.With, ast.AsyncWith)) or type(n).__name__ == "TryStar":
            return True
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return False


def missing_module(e):
    """The top-level module that is not installed, when `e` is (or was raised from) a failed
    import of one: `import numpy`, or a library's `ImportError("email-validator is not
    installed")` raised from the ModuleNotFoundError of `email_validator`."""
    seen = 0
    while e is not None and seen < 8:
        if isinstance(e, ModuleNotFoundError):
            top = (getattr(e, "name", None) or "").split(".")[0]
            if top and not_installed(top):
                return top
        if not isinstance(e, ImportError):
            return None
        e = e.__cause__ or e.__context__
        seen += 1
    return None


def near_name(name, ns):
    """A defined name that `name` is probably a typo of: another case (`x` for `X`) or one
    edit away."""
    if not isinstance(name, str) or not isinstance(ns, dict):
        return None
    names = [n for n in list(ns) + dir(builtins) if isinstance(n, str) and not n.startswith("__")]
    for n in names:
        if n.lower() == name.lower() and n != name:
            return n
    if len(name) < 3:
        return None
    import difflib
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.85)
    return close[0] if close else None


def not_installed(top):
    import importlib.util
    try:
        return importlib.util.find_spec(top) is None
    except BaseException:
        return True

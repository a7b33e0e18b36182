"""How the block runner (qa_runner.py) compiles a page's code so that it runs as its reader
runs it, while still running it statement by statement (to attribute output and failures to
lines): the constants of the block compiled as one unit, shared by its statements as a script
run shares them, and `await` at the top level run on an event loop as `python -m asyncio` does.

Loaded by the worker as module `qa_code` before qa_runner.py; nothing here runs snippet code.
"""
import ast, types


AWAIT = "__qa_lint_await__"


class _TopLevelAwait(ast.NodeTransformer):
    """`await x` outside any function becomes `__qa_lint_await__(x)`, which runs `x` to its end
    on the entry's event loop: a page's code run as `python -m asyncio` runs it. Awaits inside
    an `async def` are the function's own."""

    def __init__(self):
        self.changed = False

    def visit_AsyncFunctionDef(self, node):
        return node

    visit_FunctionDef = visit_Lambda = visit_AsyncFunctionDef

    def visit_Await(self, node):
        self.generic_visit(node)
        self.changed = True
        call = ast.Call(func=ast.Name(AWAIT, ast.Load()), args=[node.value], keywords=[])
        return ast.copy_location(call, node)


def top_level_await(tree):
    """`tree` with its top-level awaits made calls (see _TopLevelAwait), and whether it had any."""
    t = _TopLevelAwait()
    tree = t.visit(tree)
    if t.changed:
        ast.fix_missing_locations(tree)
    return tree, t.changed



def const_key(c):
    """The key under which equal constants are one object, or None for those the interpreter
    makes one object of anyway (small ints, identifier-like strings, singletons)."""
    t = type(c)
    if t is int:
        return None if -5 <= c <= 256 else (t, c)
    if t is str:
        return None if c.isidentifier() or len(c) <= 1 else (t, c)
    if t is bytes:
        return (t, c) if len(c) > 1 else None
    if t is float or t is complex:
        return (t, repr(c))  # repr keeps 0.0 and -0.0 apart
    return None


def const_pool(code, pool=None):
    """The constants of a block compiled as one unit, by value: a script's compiler makes one
    object of equal constants across the whole file (module code, functions, classes), so
    `a = 257` at module level and `257` in a function are the same object when the file runs."""
    pool = {} if pool is None else pool
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            const_pool(c, pool)
        else:
            key = const_key(c)
            if key is not None:
                pool.setdefault(key, c)
    return pool


def shared(code, pool):
    """`code` (one statement of the block) with its constants replaced by the block's own, so
    that running the block statement by statement keeps the identities a script run has."""
    if not pool:
        return code
    changed, consts = False, []
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            d = shared(c, pool)
        else:
            key = const_key(c)
            d = c if key is None else pool.get(key, c)
        changed |= d is not c
        consts.append(d)
    return code.replace(co_consts=tuple(consts)) if changed else code

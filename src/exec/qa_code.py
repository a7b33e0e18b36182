"""How the block runner (qa_runner.py) compiles a page's code so that it runs as its reader
runs it, while still running it statement by statement (to attribute output and failures to
lines): the constants of the block compiled as one unit, shared by its statements as a script
run shares them, and `await` at the top level run on an event loop as `python -m asyncio` does.

Loaded by the worker as module `qa_code` before qa_runner.py; nothing here runs snippet code.
"""
import ast, re, types


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


# The characters a slip-of-the-pen message says are missing or wrong (see is_slip in
# src/examples/judge/syntax.rs); the edits below try only these.
_SLIP_CHARS = (
    ("expected ':'", ":"),
    ("forgot a comma", ","),
    ("unterminated triple-quoted", "\"\"\"'''"),
    ("unterminated string", "\"'"),
    ("was never closed", ")]}"),
    ("unmatched", "([{"),
    ("does not match opening", ")]}"),
)
_LOOKALIKES = {"，": ",", "：": ":", "（": "(", "）": ")", "“": '"', "”": '"', "‘": "'", "’": "'",
               "；": ";", "–": "-", "—": "-", "　": " "}
# Bounds that keep the check cheap whatever the block: a slip sits near where the compiler
# stopped, and a block too large to recompile many times is judged by the message alone.
_MAX_TRIES = 600
_MAX_SOURCE = 20_000
_NEAR = 80


def slips_repair(source, error, flags, rounds=3):
    """Whether the block is complete code with a few slips of the pen: each error the
    compiler reports in turn is one character (inserted, or replacing or deleting one, near
    where it stopped) of the kind its message names, and after at most `rounds` such edits
    the whole block compiles. A sketch (`...` for the elided entries of a literal, prose
    between code lines) meets an error no single character fixes. None when the first
    message names no single character, or the block is too large to check."""
    if len(source) > _MAX_SOURCE:
        return None
    budget = [_MAX_TRIES]  # compiles left, shared by the rounds: the whole search is bounded
    try:
        for n in range(rounds):
            fixed = _one_edit(source, error, flags, budget)
            if fixed is None:
                return None if n == 0 else False
            if fixed is False:
                return False
            try:
                compile(fixed, "<repair>", "exec", ast.PyCF_ONLY_AST | flags, dont_inherit=True)
                return True
            except SyntaxError as e:
                source, error = fixed, e
            except BaseException:
                return False
        return False
    except BaseException:  # MemoryError, RecursionError: judged by the message alone
        return None


def _where(error):
    return (error.lineno or 0, error.offset or 0)


def _one_edit(source, error, flags, budget):
    """The source with one character edited so that the compiler gets past `error` (it may
    stop at a later slip), False when no such edit exists (within `budget[0]` more compiles),
    None when the message names no single character."""
    message = str(getattr(error, "msg", "") or "")
    chars = next((c for key, c in _SLIP_CHARS if key in message), None)
    bad = None
    if _names_an_invalid_character(message):
        quoted = re.search(r"'(.)'", message)
        code = re.search(r"U\+([0-9A-Fa-f]{4,6})", message)
        if quoted:
            bad = quoted.group(1)
        elif code:
            bad = chr(int(code.group(1), 16))
        chars = _LOOKALIKES.get(bad, " " if bad is not None and not bad.isprintable() else "")
    if chars is None:
        return None
    lines = source.splitlines(keepends=True)
    if not lines:
        return False
    at = max(1, min(error.lineno or 1, len(lines))) - 1
    # A full-width comma in a line with no ASCII letter or digit is punctuation of prose in
    # another script (whose words Python would take for names), not a typo in code.
    if bad is not None and not re.search(r"[A-Za-z0-9]", lines[at]):
        return False
    was = _where(error)

    def outcome(text):
        """True when the text compiles; the position of a later slip-like error it stops at;
        None when it stops no later, or at something that is no slip."""
        try:
            compile(text, "<repair>", "exec", ast.PyCF_ONLY_AST | flags, dont_inherit=True)
            return True
        except SyntaxError as e:
            later = _where(e) > was and not _slip_moved(e, error)
            return _where(e) if later and _names_a_character(e) else None
        except BaseException:
            return None

    def columns(body, center):
        """Columns of a line, nearest to `center` first, at most _NEAR either side."""
        yield len(body)
        for d in range(_NEAR + 1):
            for col in (center - d, center + d) if d else (center,):
                if 0 <= col < len(body):
                    yield col

    def candidates():
        center = max(0, (error.offset or 1) - 1)
        # Insertions near the error on its line and the lines around it; a closer may also
        # belong at the end of a later line (`'(' was never closed` names the opening line).
        closes = "never closed" in message or "unterminated triple" in message
        last = len(lines) if closes else min(len(lines), at + 2)
        for i in range(max(0, at - 1), last):
            line = lines[i]
            body = line.rstrip("\r\n")
            cols = columns(body, center if i == at else len(body)) if i <= at + 1 else (len(body),)
            for col in cols:
                for c in chars:
                    yield lines[:i] + [line[:col] + c + line[col:]] + lines[i + 1:]
        # Replacements and deletions on the failing line: a look-alike or invisible character,
        # an extra or wrong bracket where the message is about brackets, and otherwise only
        # punctuation typed for the one named (`;` for `:`), never a bracket or a quote.
        line = lines[at]
        body = line.rstrip("\r\n")
        brackets = "unmatched" in message or "does not match" in message
        for col in columns(body, center):
            old = body[col] if col < len(body) else ""
            if bad is not None:
                if old != bad:
                    continue
            elif not old or old.isalnum() or old in "_ \t" or (not brackets and old in "()[]{}'\""):
                continue
            for new in (("",) if bad is not None or brackets else ()) + tuple(chars):
                yield lines[:at] + [line[:col] + new + line[col + 1:]] + lines[at + 1:]

    best = None
    for edited in candidates():
        if budget[0] <= 0:
            break
        budget[0] -= 1
        text = "".join(edited)
        got = outcome(text)
        if got is True:
            return text
        if got is not None and (best is None or got > best[0]):
            best = (got, text)
    return best[1] if best else False


def _names_an_invalid_character(message):
    return "invalid character" in message or "non-printable" in message


def _names_a_character(error):
    message = str(getattr(error, "msg", "") or "")
    return any(key in message for key, _ in _SLIP_CHARS) or _names_an_invalid_character(message)


def _slip_moved(new, old):
    """The same unclosed bracket or string reported again further down: not past it."""
    return "never closed" in str(new.msg) and "never closed" in str(old.msg)

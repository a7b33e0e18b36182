"""Markdown scanning for bench/corpus.py: Python fences, literal value claims, their mutations
and the probe lines that tell which blocks ran.

This is deliberately independent of qa-lint's own parser: the measurement must not inherit the
blind spots it measures. So fences are found at any indentation (mkdocs admonitions, content
tabs, list items), with any case of the language word and any attributes after it.
"""
import ast
import io
import re
import tokenize
from dataclasses import dataclass, field

PY_LANGS = {"python", "py", "python3", "py3", "pycon", "ipython"}
FENCE = re.compile(r"^( *)(`{3,}|~{3,})(.*)$")
VERSION_REQ = re.compile(r"""requires\s*=\s*["']?(\d+)\.(\d+)""")
# Comment texts that parse as literals but are never value claims.
EMPTY_EXPR = {"..."}
# `# Output: 3`, `# output -> 3`, `# prints 3`, `# => 3`, `# returns 3`: a literal after a label.
# mkdocs-material code annotation markers (`# (1)`, `# (2)!`): pointers to the numbered notes
# under the block, never claims (docs/claims.md), so not literal claims to mutate either.
ANNOTATION = re.compile(r"^\(\d+\)!?$")
PREFIX = re.compile(r"^(?:(?:output|result|prints?|returns?)\s*(?::|->|=>|=)?|=>|->|→)\s*(?=\S)", re.I)


@dataclass
class Block:
    """One fenced Python block. `first` is the 1-based file line of its first content line."""
    path: str
    first: int
    indent: int
    info: str
    kind: str  # "python" (statements) or "session" (>>> transcript)
    lines: list  # content lines without the fence indentation, no line ends
    marker: str = ""  # "test-skip" / "requires-3.12" / "skip": the author excused it


@dataclass
class Claim:
    """A literal value claim: `code  # LITERAL`, or a run of pytest-examples `#>` lines."""
    path: str
    block: int  # index of the block in the file
    lines: list  # 1-based file lines the claim covers
    col: int  # 0-based column of the claim text in the first line
    text: str
    kind: str  # "literal", "pydantic"; not in the headline: "prefixed", "transcript"
    mutated: str = ""
    verdict: str = ""  # caught / wrong-rule / missed / unmutated
    rules: list = field(default_factory=list)


def split_lines(text):
    """Lines with their ends, split on \\n only (as qa-lint counts lines)."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def strip_end(line):
    return line.rstrip("\n").rstrip("\r")


def language(info):
    """First word of the info string, lower-cased, `{` and a leading `.` dropped."""
    word = info.strip().lstrip("{").strip().split(None, 1)
    if not word:
        return ""
    return re.split(r"[\s{}]", word[0])[0].lstrip(".").lower()


def marker_of(info):
    low = info.lower()
    if re.search(r"""test\s*=\s*["']?skip""", low):
        return "test-skip"
    m = VERSION_REQ.search(low)
    if m:
        return f"requires-{m.group(1)}.{m.group(2)}"
    words = re.split(r"[\s{}]+", low.strip())[1:]
    if any(w.lstrip(".").removeprefix("qa-") == "skip" for w in words):
        return "skip"
    return ""


def scan_blocks(path, text):
    """Every fenced block whose language is Python, at any indentation."""
    lines = split_lines(text)
    blocks = []
    i = 0
    while i < len(lines):
        m = FENCE.match(strip_end(lines[i]))
        if not m or (m.group(2)[0] == "`" and "`" in m.group(3)):
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3)
        close = re.compile(r"^ *" + re.escape(fence[0]) + "{%d,}\\s*$" % len(fence))
        j = i + 1
        while j < len(lines) and not close.match(strip_end(lines[j])):
            j += 1
        body = [strip_end(l) for l in lines[i + 1:j]]
        body = [l[min(indent, len(l) - len(l.lstrip(" "))):] for l in body]
        lang = language(info)
        if lang in PY_LANGS:
            first_code = next((l.lstrip() for l in body if l.strip() and not l.lstrip().startswith("#")), "")
            kind = "session" if lang == "pycon" or first_code.startswith(">>>") else "python"
            blocks.append(Block(path, i + 2, indent, info, kind, body, marker_of(info)))
        i = j + 1
    return blocks


def literal(text):
    """(True, value) when `text` is a literal made of numbers, strings, True/False/None and
    lists/tuples/dicts/sets of those; (False, None) otherwise."""
    if not text or text in EMPTY_EXPR:
        return False, None
    try:
        node = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False, None

    def ok(n):
        if isinstance(n, ast.Constant):
            return n.value is not Ellipsis
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            return isinstance(n.operand, ast.Constant) and isinstance(n.operand.value, (int, float, complex)) \
                and not isinstance(n.operand.value, bool)
        if isinstance(n, (ast.List, ast.Tuple, ast.Set)):
            return all(ok(e) for e in n.elts)
        if isinstance(n, ast.Dict):
            return all(k is not None and ok(k) for k in n.keys) and all(ok(v) for v in n.values)
        if isinstance(n, ast.Call):
            return isinstance(n.func, ast.Name) and n.func.id == "set" and not n.args and not n.keywords
        return False

    try:
        if not ok(node):
            return False, None
        return True, ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def comments(lines):
    """(row, col, depth) of every comment of a block (0-based row). tokenize first, so `#` in
    strings is not a comment; from the first line it cannot tokenize, a per-line quote scan."""
    src = "\n".join(lines) + "\n"
    out, depth, done = [], 0, 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            done = tok.start[0] - 1
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth = max(0, depth - 1)
            elif tok.type == tokenize.COMMENT:
                out.append((tok.start[0] - 1, tok.start[1], depth))
        return out
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    seen = {r for r, _, _ in out}
    for row in range(done, len(lines)):
        col = hash_col(lines[row])
        if col >= 0 and row not in seen:
            out.append((row, col, 0))
    return out


def hash_col(line):
    """Column of the first `#` outside a one-line string, or -1."""
    quote, i = None, 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i, quote = i + len(quote), None
                continue
        elif c == "#":
            return i
        elif c in "'\"":
            quote = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else c
            i += len(quote)
            continue
        i += 1
    return -1


def transcript_claims(block, index):
    """Kind `transcript`: in a `>>>` session, a statement's output when it is one line and a
    literal (`>>> len(x)` then `3`). The expected output is the claim; doctest has no comments."""
    out, i, lines = [], 0, block.lines
    while i < len(lines):
        if not lines[i].lstrip().startswith(">>>"):
            i += 1
            continue
        prompt = i
        i += 1
        while i < len(lines) and lines[i].lstrip().startswith("..."):
            i += 1
        start = i
        while i < len(lines) and lines[i].strip() and not lines[i].lstrip().startswith(">>>"):
            i += 1
        if i - start == 1 and literal(lines[start].strip())[0]:
            text = lines[start].strip()
            col = block.indent + len(lines[start]) - len(lines[start].lstrip())
            # the output line is mutated; qa-lint reports a session mismatch at the prompt
            out.append(Claim(block.path, index, [block.first + start, block.first + prompt], col, text,
                             "transcript"))
    return out


def find_claims(block, index):
    """Literal claims of a `python` block: trailing comments after a complete statement (not a
    `def`/`if` header, not inside brackets) whose text is a literal, and `#>` runs; and, as
    kind `prefixed`, such comments whose literal follows an `Output:`-style label. A session
    block has transcript claims instead."""
    if block.kind != "python":
        return transcript_claims(block, index)
    claims, prev_pyd = [], None
    for row, col, depth in sorted(comments(block.lines)):
        line = block.lines[row]
        code, comment = line[:col], line[col:]
        file_line = block.first + row
        if not code.strip() and comment.startswith("#>"):
            if prev_pyd is not None and prev_pyd.lines[-1] == file_line - 1:
                prev_pyd.lines.append(file_line)
                continue
            text = comment[2:].strip()
            start = block.indent + col + len(comment) - len(comment[2:].lstrip())
            prev_pyd = Claim(block.path, index, [file_line], start, text, "pydantic")
            claims.append(prev_pyd)
            continue
        if not code.strip() or depth > 0 or code.rstrip().endswith((":", "\\")):
            continue
        body = comment[1:]
        text = body.strip()
        if text.startswith(">") or ANNOTATION.match(text):
            continue
        start = block.indent + col + 1 + len(body) - len(body.lstrip())
        if literal(text)[0]:
            claims.append(Claim(block.path, index, [file_line], start, text, "literal"))
            continue
        m = PREFIX.match(text)
        if m and literal(text[m.end():])[0]:
            claims.append(Claim(block.path, index, [file_line], start + m.end(), text[m.end():], "prefixed"))
    return claims


def _string_variants(tok):
    m = re.match(r"^([a-zA-Z]*)('''|\"\"\"|'|\")(.*)\2$", tok, re.S)
    if not m:
        return []
    prefix, q, body = m.groups()
    out = []
    for i in range(len(body) - 1, -1, -1):
        c = body[i]
        if c.isalnum() and (i == 0 or body[i - 1] != "\\"):
            r = "y" if c.lower() == "x" else "x"
            r = r.upper() if c.isupper() else r
            out.append(prefix + q + body[:i] + r + body[i + 1:] + q)
            break
    out.append(prefix + q + "Q" + body + q)
    return out


def _leaf_variants(tok):
    if tok.type == tokenize.NAME:
        return {"True": ["False"], "False": ["True"], "None": ["False"]}.get(tok.string, [])
    if tok.type == tokenize.STRING:
        return _string_variants(tok.string)
    try:
        v = ast.literal_eval(tok.string)
    except (ValueError, SyntaxError):
        return []
    if isinstance(v, complex):
        return [repr(v + 1j).strip("()")]
    return [repr(v + 1), repr(v * 2 + 3)]


def mutate_literal(text):
    """A wrong value of the same shape: the last number/string/constant changed (3 -> 4,
    'abc' -> 'abx', True -> False); an empty container gains an element. None when impossible."""
    ok, orig = literal(text)
    if not ok:
        return None
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        toks = []
    leaves = [t for t in toks if t.type in (tokenize.NUMBER, tokenize.STRING)
              or (t.type == tokenize.NAME and t.string in ("True", "False", "None"))]
    for t in reversed(leaves):
        if t.start[0] != 1 or t.end[0] != 1:
            continue
        for repl in _leaf_variants(t):
            new = text[:t.start[1]] + repl + text[t.end[1]:]
            ok2, v2 = literal(new)
            if ok2 and v2 != orig:
                return new
    if isinstance(orig, (list, tuple)):
        return repr(type(orig)(list(orig) + [0]))
    if isinstance(orig, set):
        return repr(orig | {"qa-mutated"})
    if isinstance(orig, dict):
        return repr({**orig, "qa-mutated": 0})
    return None


def mutate_text(text):
    """For `#>` output that is not a literal: bump the last digit, else change the last letter."""
    if literal(text)[0]:
        return mutate_literal(text)
    for i in range(len(text) - 1, -1, -1):
        if text[i].isdigit():
            return text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:]
    for i in range(len(text) - 1, -1, -1):
        c = text[i]
        if c.isalpha():
            r = "b" if c.lower() == "a" else "a"
            return text[:i] + (r.upper() if c.isupper() else r) + text[i + 1:]
    return text + " x"


def mutate(claim):
    return mutate_text(claim.text) if claim.kind == "pydantic" else mutate_literal(claim.text)


PROBE_CODE = "6 * 7  # 41"


def probe(blocks, text):
    """The file with a wrong-on-purpose claim inserted at the top of every block that has code,
    and {block index: probe lines}. qa-lint reports the probe only if it ran the block."""
    lines = split_lines(text)
    inserts = {}  # file line index (0-based) before which to insert -> (lines, block index)
    for bi, b in enumerate(blocks):
        rows = [r for r, l in enumerate(b.lines) if l.strip() and not l.lstrip().startswith("#")]
        if b.kind == "session":
            rows = [r for r, l in enumerate(b.lines) if l.lstrip().startswith(">>>")]
        if not rows:
            continue
        r = rows[0]
        if b.kind == "python":
            while r < len(b.lines) and (b.lines[r].lstrip().startswith("from __future__")
                                        or not b.lines[r].strip() or b.lines[r].lstrip().startswith("#")):
                r += 1
            if r >= len(b.lines):
                r = rows[0]
        src = b.lines[r]
        pad = " " * b.indent + src[: len(src) - len(src.lstrip())]
        new = [pad + PROBE_CODE] if b.kind == "python" else [pad + ">>> 6 * 7", pad + "41"]
        inserts[b.first - 1 + r] = (new, bi)
    out, where, shift = [], {}, 0
    eol = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    for i, line in enumerate(lines):
        if i in inserts:
            new, bi = inserts[i]
            where[bi] = [i + shift + k + 1 for k in range(len(new))]
            out.extend(l + eol for l in new)
            shift += len(new)
        out.append(line)
    return "".join(out), where

#!/usr/bin/env python3
"""Deterministic synthetic Q&A corpus for qa-lint's benchmark (issue 9).

    python3 bench/gen_corpus.py --blocks 1000 --out DIR [--seed 9] [--entries-per-file 4]

writes two trees with the same entries and the same code:

  DIR/qa/*.md       qa-lint's format: front matter, `## N. Question?`, `**Short answer:**`, a
                    defining sentence, `### In Everyday Code`, `### Example`, `### Common Mistake`,
                    `### How I Would Say It in an Interview` + blockquote; 2-3 ```python blocks per
                    entry whose trailing comments claim the output in every common form: plain
                    prints, commentary (`# True -> ...`), loop outputs (`# 0, 1, 2`), expression
                    statements (`a == b  # True`) and a few exceptions (`# raises KeyError`,
                    `# ZeroDivisionError: division by zero`).
  DIR/doctest/*.md  the same blocks as `>>>` sessions (```pycon fences, blank line before the
                    closing fence) for `python -m doctest DIR/doctest/*.md`.

Every claim is computed here by running the entry (one namespace per entry, statement by
statement), so the corpus passes by construction; bench/floor.py re-checks it independently.
The output depends only on --blocks, --seed and --entries-per-file.
"""
import argparse
import ast
import contextlib
import io
import random
import shutil
import sys
from pathlib import Path

# A statement is (source, kind[, commentary]). kind: None (no claim), "out" (what it prints),
# "loop" (several prints, joined with ", "), "expr" (repr of the value), "raises" (`raises T`),
# "exc" (`T: message`). The claim is written as a trailing comment on the statement's last line.


def t_identity(r, n):
    k = r.randint(2, 9)
    return dict(
        topic=f"`==` and `is` on lists of {k} items",
        title=f"Why Are Two Lists of {k} Items Equal but Not Identical?",
        short="`==` compares values by calling `__eq__`, while `is` compares identity, so two "
              "separately built lists with equal items are equal but are never the same object.",
        definition="Identity is the property that makes an object itself: `is` asks whether two "
                   "names refer to one object, while `==` asks whether two objects hold equal values.",
        blocks=[
            [(f"a = list(range({k}))", None), (f"b = list(range({k}))", None),
             ("a == b", "expr"), ("print(a is b)", "out", "two separate list objects")],
            [("c = a", None), ("print(c is a)", "out", "same object, two names"),
             (f"c.append({k})", None), ("print(len(a), len(b))", "out")],
            [("for name, obj in (('a', a), ('b', b)):\n    print(name, obj[-1])", "loop")],
        ])


def t_sort(r, n):
    xs = [r.randint(0, 60) for _ in range(r.randint(4, 7))]
    return dict(
        topic=f"sorting {len(xs)} numbers",
        title=f"What Does `list.sort()` Return for {len(xs)} Numbers?",
        short="`list.sort()` sorts the list in place and returns `None`; `sorted()` builds and "
              "returns a new sorted list and leaves its argument alone.",
        definition="In-place sorting is a mutation: `list.sort()` is a method that reorders the "
                   "list it is called on, while `sorted()` is a function that returns a new list.",
        blocks=[
            [(f"xs = {xs!r}", None), ("print(sorted(xs))", "out"), ("print(xs)", "out", "unchanged")],
            [("result = xs.sort()", None), ("print(result)", "out", "sort() works in place"),
             ("xs[0]", "expr"), ("xs[-1] == max(xs)", "expr")],
            [("for x in xs[:3]:\n    print(x * 2)", "loop")],
        ])


def t_dict(r, n):
    a, b = r.randint(1, 40), r.randint(1, 40)
    key = r.choice(["color", "size", "owner", "region"])
    return dict(
        topic=f"looking up `{key}` in a dict",
        title=f"How Do You Read a Missing Key Like `{key}` From a Dict?",
        short="Indexing with `d[key]` raises `KeyError` for a missing key, while `d.get(key, "
              "default)` returns the default, so pick by whether absence is an error.",
        definition="A dict lookup is a hash-table search: `d[key]` hashes the key and either finds "
                   "its slot or raises `KeyError`, and `get` is a method that turns the miss into a default.",
        blocks=[
            [(f"d = {{'a': {a}, 'b': {b}}}", None), (f"print(d.get('{key}', 0))", "out"),
             ("d.get('a')", "expr"), ("print(sorted(d.items()))", "out")],
            [("for k in sorted(d):\n    print(k, d[k])", "loop")],
            [(f"d['{key}']", "raises")],
        ])


def t_slice(r, n):
    w = r.choice(["python", "interview", "markdown", "iterator", "closure", "generator"])
    k = r.randint(1, 4)
    return dict(
        topic=f"slicing the string {w!r}",
        title=f"How Does Slicing Work on the String '{w}'?",
        short="A slice `s[start:stop:step]` copies the selected characters into a new string; "
              "omitted bounds default to the ends and a negative step walks backwards.",
        definition="A slice is a view description, not a view: `s[i:j]` is an expression that "
                   "builds a new string from positions `i` up to, but not including, `j`.",
        blocks=[
            [(f"s = {w!r}", None), ("print(s[::-1])", "out"), (f"s[{k}:]", "expr"),
             ("print(s.upper())", "out", "a new string; s is unchanged")],
            [("for ch in s[:3]:\n    print(ch.upper())", "loop"), ("s[100:] == ''", "expr")],
        ])


def t_division(r, n):
    a, k = r.randint(10, 99), r.randint(2, 9)
    return dict(
        topic=f"dividing {a} by {k}",
        title=f"What Do `//` and `%` Give for {a} and {k}?",
        short="`//` is floor division and `%` the matching remainder, so `a == (a // b) * b + a % b` "
              "always holds, including for negative numbers, where the floor rounds down.",
        definition="Floor division is an integer operation: `a // b` is the largest integer not "
                   "greater than the true quotient, and `a % b` is what is left over.",
        blocks=[
            [(f"print({a} // {k}, {a} % {k})", "out"), (f"divmod(-{a}, {k})", "expr"),
             (f"print({a} / {k} == {a} // {k})", "out", "true division keeps the fraction")],
            [(f"q, rem = divmod({a}, {k})", None), (f"q * {k} + rem == {a}", "expr")],
            [(f"{a} / 0", "exc")],
        ])


def t_comprehension(r, n):
    m = r.randint(4, 9)
    return dict(
        topic=f"comprehensions over range({m})",
        title=f"What Does a Comprehension Build From `range({m})`?",
        short="A comprehension builds a list, dict or set from an iterable in one expression, with "
              "an optional filter; it runs in its own scope, so its loop variable does not leak.",
        definition="A comprehension is an expression that builds a container by looping over an "
                   "iterable, optionally filtering, and collecting one value per accepted item.",
        blocks=[
            [(f"squares = [i * i for i in range({m})]", None), ("print(squares)", "out"),
             ("sum(squares)", "expr")],
            [(f"evens = {{i: i * i for i in range({m}) if i % 2 == 0}}", None),
             ("print(evens)", "out"), ("len(evens)", "expr"),
             (f"print(len(squares) == {m})", "out", "one square per input")],
        ])


def t_next(r, n):
    xs = [r.randint(0, 99) for _ in range(2)]
    return dict(
        topic=f"calling next() on an iterator over {xs!r}",
        title=f"What Happens When `next()` Runs Past the End of {xs!r}?",
        short="`next(it)` returns the iterator's next item and raises `StopIteration` once it is "
              "exhausted, unless a default is given as the second argument.",
        definition="An iterator is an object with a `__next__` method that returns one item per "
                   "call and raises `StopIteration` when nothing is left.",
        blocks=[
            [(f"it = iter({xs!r})", None), ("print(next(it))", "out"), ("print(next(it))", "out")],
            [("print(next(it, 'done'))", "out", "the default instead of StopIteration"),
             ("list(it)", "expr")],
            [("next(it)", "raises")],
        ])


def t_default_arg(r, n):
    a, b = r.randint(1, 50), r.randint(51, 99)
    return dict(
        topic="mutable default arguments",
        title=f"Why Does a Default List Remember {a} Between Calls?",
        short="Default values are evaluated once, when the `def` runs, so a mutable default such as "
              "a list is shared by every call that does not pass the argument.",
        definition="A default argument is a value stored on the function object when the `def` "
                   "statement executes, not a fresh value created on each call.",
        blocks=[
            [("def add(x, acc=[]):\n    acc.append(x)\n    return acc", None),
             (f"print(add({a}))", "out"), (f"print(add({b}))", "out", "the same list is reused")],
            [("def add_fixed(x, acc=None):\n    acc = [] if acc is None else acc\n"
              "    acc.append(x)\n    return acc", None),
             (f"print(add_fixed({a}))", "out"), (f"add_fixed({b})", "expr"),
             ("len(add.__defaults__[0])", "expr")],
        ])


def t_closure(r, n):
    m = r.randint(3, 5)
    return dict(
        topic=f"closures created in a loop of {m}",
        title=f"Why Do {m} Lambdas Made in a Loop Return the Same Value?",
        short="Closures look variables up when they are called, not when they are created, so "
              "lambdas made in a loop all see the loop variable's final value.",
        definition="A closure is a function that keeps references to variables of the scope it was "
                   "defined in and reads their current values each time it runs.",
        blocks=[
            [(f"fs = [lambda: i for i in range({m})]", None),
             ("print([f() for f in fs])", "out", "late binding")],
            [(f"fs = [lambda i=i: i for i in range({m})]", None),
             ("for f in fs:\n    print(f())", "loop")],
            [("fs[0].__defaults__", "expr"), ("callable(fs[-1])", "expr")],
        ])


def t_unpacking(r, n):
    xs = [r.randint(0, 99) for _ in range(r.randint(4, 6))]
    return dict(
        topic=f"star unpacking of {len(xs)} values",
        title=f"How Does Star Unpacking Split a List of {len(xs)} Values?",
        short="In an assignment target, one starred name collects every item the other names do not "
              "take, as a list; without a star the counts must match exactly.",
        definition="Iterable unpacking is an assignment form that binds several names from one "
                   "iterable, position by position, with at most one starred catch-all.",
        blocks=[
            [(f"first, *rest = {xs!r}", None), ("print(first)", "out"), ("print(rest)", "out")],
            [(f"*init, last = {xs!r}", None), (f"last == {xs[-1]}", "expr"), ("len(init)", "expr")],
            [(f"a, b = {xs!r}", "raises")],
        ])


def t_int(r, n):
    v = r.randint(10, 255)
    return dict(
        topic=f"parsing {v} from text",
        title=f"How Does `int()` Parse the Text '{v}'?",
        short="`int(text, base)` parses digits in the given base, ignoring surrounding whitespace, "
              "and raises `ValueError` for anything that is not a valid number.",
        definition="Parsing is a conversion from text to a value: `int()` is a constructor that "
                   "reads an optional sign and digits and returns the integer they spell.",
        blocks=[
            [(f"int(' {v} ') + 1", "expr"), (f"print(int('{v:x}', 16))", "out"),
             (f"print(int('{v:b}', 2) == {v})", "out", "base 2 round trip")],
            [(f"for text in ('{v}', '0x{v:x}'):\n    print(int(text, 0))", "loop")],
            [("int('abc')", "exc")],
        ])


def t_enumerate(r, n):
    names = r.sample(["ana", "bo", "cy", "dee", "eli", "fay"], 3)
    return dict(
        topic=f"enumerate and zip over {names!r}",
        title=f"What Do `enumerate` and `zip` Yield for {', '.join(names)}?",
        short="`enumerate(xs)` yields `(index, item)` pairs and `zip(a, b)` yields tuples of items "
              "at the same position, stopping at the shortest input.",
        definition="`enumerate` and `zip` are lazy iterators: each pulls one item at a time from "
                   "its inputs and yields it as part of a tuple.",
        blocks=[
            [(f"names = {names!r}", None),
             ("for i, name in enumerate(names):\n    print(i, name)", "loop")],
            [("pairs = list(zip(names, range(10)))", None), ("pairs[0]", "expr"),
             ("print(dict(pairs))", "out", "zip stops at the shortest input")],
        ])


def t_tuple(r, n):
    v = r.randint(1, 9)
    return dict(
        topic="mutable items inside a tuple",
        title=f"Can a Tuple Holding a List Change When You Append {v}?",
        short="A tuple cannot be rebound item by item, but the objects it holds keep their own "
              "mutability, so a list inside a tuple can still grow.",
        definition="Immutability is a property of a container's slots: a tuple is a sequence whose "
                   "references can never be replaced, whatever they point to.",
        blocks=[
            [("t = (1, 2, [3])", None), (f"t[2].append({v})", None), ("print(t)", "out"),
             ("len(t)", "expr")],
            [(f"t[0] = {v}", "exc")],
        ])


TEMPLATES = [t_identity, t_sort, t_dict, t_slice, t_division, t_comprehension, t_next,
             t_default_arg, t_closure, t_unpacking, t_int, t_enumerate, t_tuple]


# ------------------------------------------------------------------ running an entry

def _run(src, ns, expr):
    """Runs one statement; returns (printed lines, repr of the value or None, exception)."""
    buf = io.StringIO()
    value, exc = None, None
    with contextlib.redirect_stdout(buf):
        try:
            if expr:
                value = eval(compile(src, "<gen>", "eval"), ns)
            else:
                exec(compile(src, "<gen>", "exec"), ns)
        except Exception as e:  # noqa: BLE001 - we record what the statement raises
            exc = e
    out = buf.getvalue()
    lines = out[:-1].split("\n") if out else []
    return lines, (None if value is None else repr(value)), exc


def build_entry(tpl):
    """Runs the template's blocks and returns (qa blocks, doctest blocks), each a list of str."""
    ns = {"__name__": "__main__"}
    qa, sessions = [], []
    for block in tpl["blocks"]:
        qa_lines, doc_lines = [], []
        for st in block:
            src, kind = st[0], st[1]
            note = st[2] if len(st) > 2 else None
            tree = ast.parse(src)
            is_expr = len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)
            lines, value, exc = _run(src, ns, is_expr)
            if kind is None:
                claim = None
                assert exc is None and not lines and value is None, (src, lines, exc)
            elif kind in ("raises", "exc"):
                assert exc is not None, src
                name = type(exc).__name__
                claim = "raises " + name if kind == "raises" else "%s: %s" % (name, exc)
            elif kind == "expr":
                assert exc is None and not lines and value is not None, (src, lines, value)
                claim = value
            else:
                assert exc is None and lines, (src, exc)
                if kind == "out":
                    assert len(lines) == 1, (src, lines)
                claim = ", ".join(lines)
            if note:
                claim += " -> " + note
            src_lines = src.split("\n")
            if claim is not None:
                src_lines[-1] += "  # " + claim
            qa_lines.extend(src_lines)
            # doctest session: the statement, then what it shows
            doc_lines.append(">>> " + src.split("\n")[0])
            doc_lines.extend("... " + x for x in src.split("\n")[1:])
            if len(src.split("\n")) > 1:
                doc_lines.append("...")
            if exc is not None:
                doc_lines.append("Traceback (most recent call last):")
                doc_lines.append("  ...")
                doc_lines.append("%s: %s" % (type(exc).__name__, exc) if str(exc)
                                 else type(exc).__name__)
            else:
                doc_lines.extend(lines)
                if value is not None:
                    doc_lines.append(value)
        qa.append("\n".join(qa_lines))
        sessions.append("\n".join(doc_lines))
    return qa, sessions


def render_entry(num, tpl, blocks, fence):
    """One entry in qa-lint's format; blocks go under Everyday Code, Example and Common Mistake."""
    def fenced(code):
        if fence == "pycon":
            return "```pycon\n" + code + "\n\n```\n"
        return "```python\n" + code + "\n```\n"

    topic = tpl["topic"]
    parts = [
        f"## {num}. {tpl['title']}\n",
        f"**Short answer:** {tpl['short']}\n",
        f"{tpl['definition']} This entry looks at {topic}.\n",
        "### In Everyday Code\n",
        f"You meet {topic} in ordinary scripts and services, usually without noticing. "
        "The block below shows the everyday case:\n",
        fenced(blocks[0]),
        "### Example\n",
        "Names from the block above are still defined here, because all blocks of an entry "
        "share one namespace:\n",
        fenced(blocks[1]),
        "### Common Mistake\n",
    ]
    if len(blocks) > 2:
        parts.append("The usual slip is to assume the simple case always holds. "
                     "It does not:\n")
        parts.append(fenced(blocks[2]))
    else:
        parts.append("The usual slip is to assume the simple case always holds; read the "
                     "outputs above again before relying on it.\n")
    parts += [
        "### How I Would Say It in an Interview\n",
        f"> I would start from the definition and then show {topic} in a few lines. "
        "I always mention the edge case from the mistake section. "
        "Then I say when I would reach for it in real code.\n",
    ]
    return "\n".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--blocks", type=int, required=True, help="number of python blocks (>= 2)")
    ap.add_argument("--out", type=Path, required=True, help="output dir (gets qa/ and doctest/)")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--entries-per-file", type=int, default=4)
    a = ap.parse_args()
    if a.blocks < 2:
        sys.exit("--blocks must be at least 2")
    r = random.Random(a.seed)
    qa_dir, doc_dir = a.out / "qa", a.out / "doctest"
    for d in (qa_dir, doc_dir):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    left, files, entries, claims = a.blocks, 0, 0, 0
    while left > 0:
        qa_doc = ["---\nbucket: runtime\n---\n# Python Basics, Part %d\n" % (files + 1),
                  "Synthetic benchmark entries generated by bench/gen_corpus.py.\n"]
        dt_doc = list(qa_doc)
        for num in range(1, a.entries_per_file + 1):
            if left <= 0:
                break
            nb = r.choice([2, 3])
            if left in (2, 3):
                nb = left
            elif left == 4:
                nb = 2
            tpl = r.choice([t for t in TEMPLATES if len(t(random.Random(0), 0)["blocks"]) >= nb])(
                r, entries)
            tpl["blocks"] = tpl["blocks"][:nb]
            qa, sessions = build_entry(tpl)
            claims += sum(b.count("  # ") for b in qa)
            qa_doc.append(render_entry(num, tpl, qa, "python"))
            dt_doc.append(render_entry(num, tpl, sessions, "pycon"))
            left -= nb
            entries += 1
        name = "qa_%05d.md" % files
        (qa_dir / name).write_text("\n".join(qa_doc))
        (doc_dir / name).write_text("\n".join(dt_doc))
        files += 1
    print(f"{a.blocks} blocks, {entries} entries, {claims} claims, {files} files "
          f"-> {qa_dir} and {doc_dir}")


if __name__ == "__main__":
    main()

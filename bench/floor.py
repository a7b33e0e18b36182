#!/usr/bin/env python3
"""The floor for bench/run.sh: the least work that checks every claim of the corpus.

    python3 bench/floor.py DIR_OR_FILE...

One plain python3 process, no isolation: for every ```python block of every `## ` entry it
parses the block, runs it statement by statement in one namespace per entry (with stdout
captured per statement) and compares what each statement shows with the trailing claim on its
lines: printed lines joined with ", " (or the repr of an expression statement's value), after
dropping ` -> ` commentary; `raises T` and `T: message` claims compare the exception instead.
A statement that raises ends its block. Prints the counts; exit 1 on any mismatch.

It understands the claim forms bench/gen_corpus.py writes, not qa-lint's whole grammar: it is
a yardstick for qa-lint's cost, not a second implementation.
"""
import ast
import io
import re
import sys
from pathlib import Path

ENTRY = re.compile(r"^## ", re.M)
FENCE = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)
CLAIM = re.compile(r"  # (.*)$")
EXC = re.compile(r"^([A-Z]\w*(?:Error|Exception|Iteration)): (.*)$")


def check_block(code, ns, where, out, stats):
    lines = code.split("\n")
    tree = ast.parse(code, where)
    for stmt in tree.body:
        claim = None
        for ln in lines[stmt.lineno - 1:stmt.end_lineno]:
            m = CLAIM.search(ln)
            if m:
                claim = m.group(1).split(" -> ", 1)[0]
        out.seek(0)
        out.truncate()
        value = exc = None
        try:
            if isinstance(stmt, ast.Expr):
                value = eval(compile(ast.Expression(stmt.value), where, "eval"), ns)
            else:
                exec(compile(ast.Module([stmt], []), where, "exec"), ns)
        except Exception as e:  # noqa: BLE001 - judged against the claim below
            exc = e
        printed = out.getvalue()
        if claim is None:
            if exc is not None:
                stats["bad"] += 1
                print(f"{where}:{stmt.lineno}: unexpected {type(exc).__name__}", file=sys.stderr)
                return
            continue
        stats["claims"] += 1
        if claim.startswith("raises "):
            ok = exc is not None and type(exc).__name__ == claim[7:].strip()
        elif EXC.match(claim):
            t, msg = EXC.match(claim).groups()
            ok = exc is not None and type(exc).__name__ == t and str(exc) == msg
        elif exc is not None:
            ok = False
        elif printed:
            ok = ", ".join(printed[:-1].split("\n")) == claim
        else:
            ok = value is not None and repr(value) == claim
        if not ok:
            stats["bad"] += 1
            got = f"{type(exc).__name__}: {exc}" if exc is not None else (printed or repr(value))
            print(f"{where}:{stmt.lineno}: claim {claim!r}, got {got!r}", file=sys.stderr)
        if exc is not None:
            return


def main():
    paths = []
    for arg in sys.argv[1:]:
        p = Path(arg)
        paths.extend(sorted(p.rglob("*.md")) if p.is_dir() else [p])
    stats = {"blocks": 0, "claims": 0, "bad": 0}
    out = io.StringIO()
    real = sys.stdout
    sys.stdout = out
    try:
        for path in paths:
            text = path.read_text()
            for entry in ENTRY.split(text)[1:]:
                ns = {"__name__": "__main__"}
                for i, m in enumerate(FENCE.finditer(entry)):
                    stats["blocks"] += 1
                    check_block(m.group(1), ns, f"{path}:{entry[:entry.find('.')]}:{i + 1}",
                                out, stats)
    finally:
        sys.stdout = real
    print(f"{len(paths)} files, {stats['blocks']} blocks, {stats['claims']} claims, "
          f"{stats['bad']} mismatches")
    return 1 if stats["bad"] else 0


if __name__ == "__main__":
    sys.exit(main())

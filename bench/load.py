#!/usr/bin/env python3
"""Load test (issue 7): N entries mixing healthy, failing and hostile examples.

Writes the corpus, runs qa-lint once over it with --output-format json, and checks that
every healthy entry passes and every failing or hostile entry is reported at its heading's
entry, with the expected rule. Prints counts, wall time and peak RSS of the whole run.

    python3 bench/load.py --entries 10000 --qa-lint target/release/qa-lint
"""
import argparse, json, os, random, re, shutil, subprocess, sys, tempfile, time

HEALTHY = [
    ("xs = [3, 1, 2]\nprint(sorted(xs))  # [1, 2, 3]\nprint(len(xs))  # 3", None),
    ("d = {'a': 1}\nprint(d.get('b'))  # None\nd['a'] == 1  # True", None),
    ("it = iter([1])\nnext(it)  # 1\nnext(it)  # raises StopIteration", None),
    ("for n in range(3):\n    print(n * n)  # 0, 1, 4", None),
]
FAILING = [
    ("xs = [3, 1, 2]\nprint(sorted(xs))  # [3, 2, 1]", "output-mismatch"),
    ("t = (1, 2)\nt[0] = 5  # raises KeyError", "output-mismatch"),
    ("print(1 + 1)  # 3", "output-mismatch"),
    ("x = 1\nx  # raises ValueError", "expected-exception-not-raised"),
]
HOSTILE = [
    ("import os\nos._exit(3)", "interpreter-crash"),
    ("import ctypes\nctypes.string_at(0)", "interpreter-crash"),
    ("b = b'x' * 2**40", "unexpected-exception"),
    ("import socket\nsocket.create_connection(('127.0.0.1', 9))", "sandbox-violation"),
    ("import subprocess\nsubprocess.run(['true'])", "sandbox-violation"),
    ("def f(): return f()\nf()", "unexpected-exception"),
    ("while True:\n    pass", "timeout"),
]

ENTRY = """## {n}. What Does Example {n} Show?

**Short answer:** Example {n} is a small program that demonstrates one behaviour.

Example {n} is a program used for load testing. In practice it runs like any other entry.

<!-- qa-lint: timeout=1 -->
```python
{code}
```

### Common Mistake

Avoid reading too much into a generated example.

### How I Would Say It in an Interview

> It is a generated example.

"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=10000)
    ap.add_argument("--per-file", type=int, default=20)
    ap.add_argument("--hostile-every", type=int, default=100, help="one hostile entry per N")
    ap.add_argument("--failing-every", type=int, default=10, help="one failing entry per N")
    ap.add_argument("--qa-lint", default="target/release/qa-lint")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    rnd = random.Random(7)
    out = tempfile.mkdtemp(prefix="qa-load-")
    expected = {}  # (file, n) -> rule or None
    files = {}
    for i in range(args.entries):
        if i % args.hostile_every == args.hostile_every - 1:
            code, rule = HOSTILE[(i // args.hostile_every) % len(HOSTILE)]
        elif i % args.failing_every == 3:
            code, rule = rnd.choice(FAILING)
        else:
            code, rule = rnd.choice(HEALTHY)
        fname = "f%05d.md" % (i // args.per_file)
        n = i % args.per_file + 1
        files.setdefault(fname, []).append(ENTRY.format(n=n, code=code))
        expected[(fname, n)] = rule
    for fname, entries in files.items():
        with open(os.path.join(out, fname), "w") as f:
            f.write("# Load\n\n" + "".join(entries))
    cmd = ["/usr/bin/time", "-f", "%e %M", args.qa_lint, "--no-cache", "--output-format", "json", out]
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t
    elapsed, rss_kb = p.stderr.strip().splitlines()[-1].split()
    diags = json.loads(p.stdout)
    # Map each diagnostic to its entry by line: entries start at "## N." headings.
    starts = {}
    for fname in files:
        lines = open(os.path.join(out, fname)).read().split("\n")
        starts[fname] = [(k + 1, int(m.group(1))) for k, l in enumerate(lines) if (m := re.match(r"## (\d+)\.", l))]
    got = {}
    for d in diags:
        fname = os.path.basename(d["path"])
        n = max((num for line, num in starts[fname] if line <= d["line"]), default=0)
        got.setdefault((fname, n), set()).add(d["rule"])
    healthy_bad = [k for k, r in expected.items() if r is None and k in got]
    missed = [k for k, r in expected.items() if r is not None and r not in got.get(k, set())]
    print(f"entries {args.entries}: healthy {sum(r is None for r in expected.values())}, "
          f"failing/hostile {sum(r is not None for r in expected.values())}")
    print(f"diagnostics {len(diags)}; healthy entries reported: {len(healthy_bad)}; expected reports missed: {len(missed)}")
    print(f"wall {wall:.1f} s (time: {elapsed} s), peak RSS of the main process {int(rss_kb) / 1024:.0f} MB, exit {p.returncode}")
    for k in (healthy_bad + missed)[:10]:
        print("  mismatch:", k, "expected", expected[k], "got", sorted(got.get(k, [])))
    if not args.keep:
        shutil.rmtree(out)
    sys.exit(1 if healthy_bad or missed else 0)


if __name__ == "__main__":
    main()

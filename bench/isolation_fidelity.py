#!/usr/bin/env python3
"""Do two isolation modes give the same verdicts on real Markdown?

    python3 bench/isolation_fidelity.py [--qa-lint BIN] [--modes worker file] DIR...

Runs qa-lint (`--no-cache --entries sections --output-format json`) on each DIR once per
`[exec] isolation` mode (through a `--config` file of its own) and compares the diagnostics by
(path, line, rule, severity). Messages are not compared: they quote values that change from
run to run (object ids, random numbers). Exit 1 when a verdict differs.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def verdicts(qa, corpus, mode, tmp):
    cfg = os.path.join(tmp, "isolation-%s.toml" % mode)
    with open(cfg, "w") as f:
        f.write('[exec]\nisolation = "%s"\n' % mode)
    out = subprocess.run([qa, "--no-cache", "--entries", "sections", "--config", cfg, "--output-format", "json", "."],
                         cwd=corpus, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit("%s: qa-lint exit %d: %s" % (corpus, out.returncode, out.stderr[-400:]))
    return sorted((d["path"], d["line"], d["rule"], d["severity"]) for d in json.loads(out.stdout))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpora", nargs="+")
    ap.add_argument("--qa-lint", default=os.environ.get("QA_LINT") or os.path.join(HERE, "..", "target", "release", "qa-lint"))
    ap.add_argument("--modes", nargs=2, default=["worker", "file"])
    args = ap.parse_args()
    differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        for corpus in args.corpora:
            a, b = (verdicts(args.qa_lint, corpus, m, tmp) for m in args.modes)
            diff = sorted(set(a) ^ set(b))
            differ += len(diff)
            print("%s: %d diagnostics, %d verdicts differ" % (os.path.basename(os.path.normpath(corpus)), len(a), len(diff)))
            for d in diff[:10]:
                print("   %s only: %s:%d %s (%s)" % ((args.modes[0] if d in a else args.modes[1]),) + d)
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Precision of qa-lint's error-severity execution diagnostics against a labelled sample (issue 13).

    bench/precision.py ROOT [--qa-lint PATH] [--labels TSV] [--draw N --seed S]

Runs qa-lint (`--entries sections`, and `--entries qa` for the Q&A corpora, each with
`--no-cache --output-format json`) on scratch copies of the development corpora, keeps the
error-severity diagnostics of the execute step, and joins them with the labels by
(path from ROOT, line, rule). A diagnostic reported in both modes counts once. It prints, per
corpus and per rule, the labelled diagnostics still reported, how many are real and false, the
precision real/(real+false), the labelled ones that disappeared (a real one that disappears is a
lost catch), and the unlabelled ones, so they can be labelled. `--draw N` instead prints a
stratified random sample of N unlabelled diagnostics (fixed `--seed`) to label. No corpus text is
written outside the scratch folder.
"""
import argparse
import collections
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_QA = str(Path(__file__).resolve().parent.parent / "target" / "release" / "qa-lint")
DEFAULT_LABELS = Path(__file__).resolve().parent / "labels" / "precision.tsv"
# corpus (repository, optional sub-path) -> entry modes it is run in.
CORPORA = {
    "python-basics": ("qa", "sections"),
    "python-interview-questions": ("qa", "sections"),
    "pydantic/docs": ("sections",),
    "30-seconds-of-python/snippets": ("sections",),
}
EXEC_RULES = {"output-mismatch", "unexpected-exception", "expected-exception-not-raised",
              "claim-without-output", "python-syntax-error", "timeout", "interpreter-crash",
              "sandbox-violation"}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="folder with one folder per corpus repository")
    ap.add_argument("--qa-lint", default=DEFAULT_QA)
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    ap.add_argument("--draw", type=int, help="print a random sample of N unlabelled diagnostics")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--timeout", type=float, default=900)
    return ap.parse_args()


def copy_corpus(root, spec, work):
    """A scratch copy, with the repository's top-level files above a sub-path (its config)."""
    repo, _, sub = spec.partition("/")
    (work / repo).mkdir(parents=True, exist_ok=True)
    if sub:
        for f in (root / repo).iterdir():
            if f.is_file() and not f.is_symlink():
                shutil.copy2(f, work / repo / f.name)
    dest = work / spec
    shutil.copytree(root / spec, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".git", ".qa-lint-cache"))
    return dest


def collect(args):
    """{(path, line, rule): {"modes": [...], "message": str}} over every corpus and mode."""
    found = {}
    with tempfile.TemporaryDirectory(prefix="qa-lint-precision-") as tmp:
        for spec, modes in CORPORA.items():
            cwd = copy_corpus(args.root, spec, Path(tmp))
            for mode in modes:
                cmd = [args.qa_lint, "--entries", mode, "--no-cache", "--output-format", "json", "--", "."]
                p = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                                   timeout=args.timeout)
                if p.returncode not in (0, 1):
                    sys.exit(f"qa-lint exited {p.returncode} on {spec} ({mode}): "
                             f"{p.stderr.decode(errors='replace')[-500:]}")
                for d in json.loads(p.stdout or b"[]"):
                    if d.get("severity") != "error" or d.get("rule") not in EXEC_RULES:
                        continue
                    path = f"{spec}/{d['path'].removeprefix('./')}"
                    key = (path, int(d["line"]), d["rule"])
                    hit = found.setdefault(key, {"modes": [], "message": d.get("message", "")})
                    if mode not in hit["modes"]:
                        hit["modes"].append(mode)
    return found


def corpus_of(path):
    return next(c for c in CORPORA if path.startswith(c + "/"))


def read_labels(path):
    labels = {}
    if not path.exists():
        return labels
    for n, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not row.strip() or row.startswith("#") or row.startswith("path\t"):
            continue
        cols = row.split("\t")
        if len(cols) != 5 or cols[3] not in ("real", "false"):
            sys.exit(f"{path}:{n}: expected path, line, rule, real|false, cause")
        labels[(cols[0], int(cols[1]), cols[2])] = (cols[3], cols[4])
    return labels


def draw(found, labels, n, seed):
    """Stratified by corpus, in proportion to each corpus's count, at least 10 each."""
    pool = collections.defaultdict(list)
    for key in sorted(found):
        if key not in labels:
            pool[corpus_of(key[0])].append(key)
    total = sum(len(v) for v in pool.values())
    rng = random.Random(seed)
    picked = []
    for corpus in CORPORA:
        keys = pool.get(corpus, [])
        k = min(len(keys), max(10, round(n * len(keys) / max(total, 1))))
        picked += rng.sample(keys, k)
    for key in sorted(picked):
        print(f"{key[0]}\t{key[1]}\t{key[2]}\t{found[key]['message'][:160]}")


def table(title, groups):
    print(f"\n### {title}\n")
    print("| | reported labelled | real | false | precision | false gone | real gone | unlabelled |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in sorted(groups):
        g = groups[name]
        real, false = g["real"], g["false"]
        prec = f"{100 * real / (real + false):.0f}%" if real + false else "–"
        print(f"| {name} | {real + false} | {real} | {false} | {prec} | {g['false_gone']} "
              f"| {g['real_gone']} | {g['new']} |")


def report(found, labels):
    zero = lambda: collections.Counter(real=0, false=0, false_gone=0, real_gone=0, new=0)  # noqa: E731
    by_corpus, by_rule = collections.defaultdict(zero), collections.defaultdict(zero)
    lost, gone_false, new = [], [], []
    for key in set(found) | set(labels):
        if key in labels:
            verdict, cause = labels[key]
            what = verdict if key in found else f"{verdict}_gone"
            if what == "real_gone":
                lost.append((key, cause))
            elif what == "false_gone":
                gone_false.append((key, cause))
        else:
            what = "new"
            new.append(key)
        for groups, name in ((by_corpus, corpus_of(key[0])), (by_rule, key[2])):
            groups[name][what] += 1
    table("Per corpus", by_corpus)
    table("Per rule", by_rule)
    total = sum(by_rule.values(), collections.Counter())
    table("All", {"all": total})
    causes = collections.Counter(labels[k][1].split(":")[0] for k in labels
                                 if labels[k][0] == "false" and k in found)
    print("\n### Causes of the false alarms still reported\n")
    for cause, n in causes.most_common():
        print(f"- {n} {cause}")
    if lost:
        print(f"\n!!! LOST CATCHES: {len(lost)} diagnostics labelled real are no longer reported !!!")
        for (p, line, rule), cause in sorted(lost):
            print(f"!!! {p}:{line} {rule} ({cause})")
    if gone_false:
        print(f"\nFalse alarms that disappeared ({len(gone_false)}):")
        for (p, line, rule), cause in sorted(gone_false):
            print(f"  {p}:{line} {rule} ({cause})")
    if new:
        print(f"\nUnlabelled diagnostics ({len(new)}):")
        for key in sorted(new):
            print(f"  {key[0]}\t{key[1]}\t{key[2]}\t{found[key]['message'][:160]}")
    return 1 if lost else 0


def main():
    args = parse_args()
    found = collect(args)
    labels = read_labels(args.labels)
    if args.draw:
        draw(found, labels, args.draw, args.seed)
        return 0
    return report(found, labels)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Precision of qa-lint's error-severity execution diagnostics on real Markdown (issue 13).

A diagnostic is *real* when it points at a genuine defect of the Markdown as published (a
wrong claim, code that fails on its own where the page presents it as runnable) and
*false* when it comes from qa-lint or from the reader's environment (a missing package or
data file, another library version, machine speed, the sandbox, a claim that holds but is
written differently). bench/labels/precision.tsv holds the verdicts, by path, line and rule
only (no third-party text):

    path<TAB>line<TAB>rule<TAB>verdict<TAB>cause<TAB>sample

`sample` names the runs whose random sample the row belongs to (`before`, `after`, or
both): a run's precision is computed on its sample only, so a label made for one run does
not bias the estimate for the other. Without the column every label counts for every run.

This script runs qa-lint (`--entries sections`, `--no-cache`, JSON) on each corpus, keeps
the error-severity diagnostics of execution rules (codes QA2xx), matches them with the
labels, and prints precision = real / labelled, per rule and per corpus. Diagnostics with
no label are listed: label them (or draw a sample with --sample) before trusting the
number.

    python3 bench/precision.py [--root DIR] [--qa-lint BIN] [--before BIN]
                               [--labels bench/labels/precision.tsv] [CORPUS ...]
    python3 bench/precision.py --sample 120 --seed 13 --out sample.tsv [--qa-lint BIN]

--before BIN adds a "before" column measured with another binary (the labels cover both
runs). --json DIR saves (or, with --from-json, reads) the qa-lint reports. CORPUS is a
folder of ROOT, optionally with a sub-path (pydantic/docs); the default is the development
set of issue 12. Only Python 3 and a qa-lint binary are needed.
"""
import argparse
import collections
import csv
import json
import os
import random
import subprocess
import sys

DEFAULT_CORPORA = ["python-basics", "python-interview-questions", "pydantic/docs", "30-seconds-of-python/snippets"]
HERE = os.path.dirname(os.path.abspath(__file__))


def run(binary, root, corpus, json_dir=None, from_json=False, tag="run"):
    """Error-severity execution diagnostics of one corpus: [(path, line, rule, message)]."""
    saved = os.path.join(json_dir, "%s-%s.json" % (tag, corpus.replace("/", "_"))) if json_dir else None
    if from_json and saved and os.path.exists(saved):
        with open(saved) as f:
            report = json.load(f)
    else:
        out = subprocess.run(
            [binary, "--no-cache", "--entries", "sections", "--output-format", "json", corpus],
            cwd=root, capture_output=True, text=True)
        if out.returncode not in (0, 1):
            sys.exit("qa-lint failed on %s (exit %d):\n%s" % (corpus, out.returncode, out.stderr[-2000:]))
        report = json.loads(out.stdout)
        if saved:
            os.makedirs(json_dir, exist_ok=True)
            with open(saved, "w") as f:
                json.dump(report, f)
    found = []
    for d in report:
        if d.get("severity") == "error" and str(d.get("code", "")).startswith("QA2"):
            path = os.path.relpath(os.path.join(root, d["path"]), root) if not os.path.isabs(d["path"]) \
                else os.path.relpath(d["path"], root)
            found.append((path, int(d["line"]), d["rule"], d.get("message", "")))
    return found


def read_labels(path):
    labels = {}
    if not os.path.exists(path):
        return labels
    with open(path, newline="") as f:
        for row in csv.reader(f, delimiter="\t"):
            if not row or row[0].startswith("#") or row[0] == "path":
                continue
            p, line, rule, verdict, cause, sample = (row + [""] * 6)[:6]
            samples = {x.strip() for x in sample.split(",") if x.strip()}
            labels[(p, int(line), rule)] = (verdict.strip(), cause.strip(), samples)
    return labels


def corpus_of(path, corpora):
    for c in sorted(corpora, key=len, reverse=True):
        if path == c or path.startswith(c.rstrip("/") + "/"):
            return c
    return path.split("/")[0]


def label_for(labels, key, tag):
    """The label of a diagnostic if it is in `tag`'s sample."""
    lab = labels.get(key)
    sampled = any(l[2] for l in labels.values())
    if lab and (not sampled or tag in lab[2]):
        return lab
    return None


def tally(found, labels, tag):
    """Per key: [diagnostics, labelled (in the run's sample), real]."""
    t = collections.defaultdict(lambda: [0, 0, 0])
    for path, line, rule, _ in found:
        lab = label_for(labels, (path, line, rule), tag)
        for key in (("rule", rule), ("corpus", path), ("all", "")):
            row = t[key]
            row[0] += 1
            if lab:
                row[1] += 1
                row[2] += lab[0] == "real"
    return t


def pct(real, labelled):
    return "%.0f%%" % (100.0 * real / labelled) if labelled else "–"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpora", nargs="*", default=DEFAULT_CORPORA)
    ap.add_argument("--root", default=os.environ.get("QA_LINT_CORPORA") or os.path.join(HERE, "..", "..", "corpora"),
                    help="folder holding the corpora (default: $QA_LINT_CORPORA, else ../corpora beside the repository)")
    ap.add_argument("--qa-lint", default=os.environ.get("QA_LINT") or os.path.join(HERE, "..", "target", "release", "qa-lint"))
    ap.add_argument("--before", help="a second binary, measured as 'before'")
    ap.add_argument("--labels", default=os.path.join(HERE, "labels", "precision.tsv"))
    ap.add_argument("--json", dest="json_dir", help="folder to save the qa-lint reports in")
    ap.add_argument("--from-json", action="store_true", help="read the reports saved with --json instead of running")
    ap.add_argument("--list-unlabelled", action="store_true", help="list the diagnostics that have no label")
    ap.add_argument("--sample", type=int, help="write a random sample of this many unlabelled diagnostics")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", help="where --sample writes (default: stdout)")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    labels = read_labels(args.labels)

    runs = {}
    for tag, binary in (("after", args.qa_lint), ("before", args.before)):
        if binary:
            found = []
            for c in args.corpora:
                found += [(p, l, r, m) for p, l, r, m in run(os.path.abspath(binary), root, c, args.json_dir, args.from_json, tag)]
            runs[tag] = found

    if args.sample:
        pool = sorted({(p, l, r) for found in runs.values() for p, l, r, _ in found} - set(labels))
        random.Random(args.seed).shuffle(pool)
        out = open(args.out, "w") if args.out else sys.stdout
        out.write("path\tline\trule\tverdict\tcause\tsample\n")
        tag = "before" if args.before else "after"
        for p, l, r in sorted(pool[:args.sample]):
            out.write("%s\t%d\t%s\t\t\t%s\n" % (p, l, r, tag))
        return

    tags = [t for t in ("before", "after") if t in runs]
    tallies = {t: tally(runs[t], labels, t) for t in tags}
    keys = sorted({k for t in tags for k in tallies[t] if k[0] != "all"}, key=lambda k: (k[0] != "rule", k[1]))
    head = "| | " + " | ".join("%s: errors | sampled | real | precision" % t for t in tags) + " |"
    print(head)
    print("|---|" + "---:|" * (4 * len(tags)))

    def row(name, key):
        cells = []
        for t in tags:
            n, lab, real = tallies[t].get(key, [0, 0, 0])
            cells += [str(n), str(lab), str(real), pct(real, lab)]
        print("| %s | %s |" % (name, " | ".join(cells)))

    for kind in ("rule", "corpus"):
        if kind == "corpus":
            # Aggregate files into their corpus.
            for t in tags:
                agg = collections.defaultdict(lambda: [0, 0, 0])
                for (k, v), cnt in list(tallies[t].items()):
                    if k == "corpus":
                        c = agg[corpus_of(v, args.corpora)]
                        for i in range(3):
                            c[i] += cnt[i]
                for c, cnt in agg.items():
                    tallies[t][("by-corpus", c)] = cnt
            names = sorted({k[1] for t in tags for k in tallies[t] if k[0] == "by-corpus"})
            for c in names:
                row("corpus `%s`" % c, ("by-corpus", c))
        else:
            for k in keys:
                if k[0] == "rule":
                    row("rule `%s`" % k[1], k)
    row("**all**", ("all", ""))

    causes = collections.Counter()
    for t in tags:
        for p, l, r, _ in runs[t]:
            lab = label_for(labels, (p, l, r), t)
            if lab and lab[0] != "real":
                causes[(t, lab[1])] += 1
    if causes:
        print("\n| false alarms by cause | " + " | ".join(tags) + " |")
        print("|---|" + "---:|" * len(tags))
        for cause in sorted({c for _, c in causes}):
            print("| %s | %s |" % (cause, " | ".join(str(causes[(t, cause)]) for t in tags)))
    for t in tags:
        sampled = sum(1 for p, l, r, _ in runs[t] if label_for(labels, (p, l, r), t))
        missing = [(p, l, r) for p, l, r, _ in runs[t] if (p, l, r) not in labels]
        print("\n%s: %d diagnostics, %d of them in its labelled sample; %d have no label at all"
              % (t, len(runs[t]), sampled, len(missing)))
        if missing and (args.list_unlabelled or sampled == 0):
            for p, l, r in missing[:200]:
                print("  %s:%d %s" % (p, l, r))


if __name__ == "__main__":
    main()

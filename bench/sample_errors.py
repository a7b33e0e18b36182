#!/usr/bin/env python3
"""Draw a labelling sample of qa-lint's errors, at most N per repository, and score labels
against a later run.

Reports are qa-lint `--output-format json` runs, one file per repository named REPO.json
(`qa-lint --no-cache --entries sections --output-format json REPO > DIR/REPO.json`). Labels
are TSV rows `repo, path (relative to the repository), line, rule, verdict (real|false),
cause`, written by whoever labels the sample; no text of the repositories goes in them.

    python3 bench/sample_errors.py draw DIR --per-repo 12 --seed 2412 > sample.json
    python3 bench/sample_errors.py score DIR bench/labels/precision-dev-2026-12-07.tsv

`score` says, for a run of another binary, how many labelled real problems are still errors
(recall on the sample) and how many labelled false alarms still are (what is left to fix).
"""
import argparse, glob, json, os, random, sys


def errors(path):
    with open(path) as f:
        return [d for d in json.load(f) if d["severity"] == "error" and d["rule"] != "unreadable-file"]


def draw(args):
    rng = random.Random(args.seed)
    out = []
    for f in sorted(glob.glob(os.path.join(args.dir, "*.json"))):
        repo = os.path.basename(f)[:-5]
        errs = errors(f)
        for i in sorted(rng.sample(range(len(errs)), min(args.per_repo, len(errs)))):
            out.append(dict(errs[i], repo=repo))
    json.dump(out, sys.stdout, indent=1)
    print(f"{len(out)} errors drawn", file=sys.stderr)


def score(args):
    rows = []
    with open(args.labels) as f:
        for line in f:
            if line.startswith("#") or not line.strip() or line.startswith("repo\t"):
                continue
            rows.append(line.rstrip("\n").split("\t"))
    found = {}
    for repo in {r[0] for r in rows}:
        path = os.path.join(args.dir, repo + ".json")
        found[repo] = set()
        for d in errors(path) if os.path.exists(path) else []:
            rel = d["path"].split(f"/{repo}/", 1)[-1]
            # By line, whatever the rule: an error that moved to another rule is still one.
            found[repo].add((rel, d["line"]))
    tally = {"real": [0, 0], "false": [0, 0]}
    for repo, path, line, rule, verdict, cause in rows:
        still = (path, int(line)) in found[repo]
        tally[verdict][0] += still
        tally[verdict][1] += 1
        if still and verdict == "false":
            print(f"false alarm still an error: {repo} {path}:{line} {rule} ({cause})")
        if not still and verdict == "real":
            print(f"real problem no longer an error: {repo} {path}:{line} {rule}")
    (rk, rn), (fk, fn) = tally["real"], tally["false"]
    print(f"real problems still errors: {rk}/{rn}; false alarms still errors: {fk}/{fn}; "
          f"precision on the sample: {rk}/{rk + fk}" if rk + fk else "no labelled error left")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("draw")
    d.add_argument("dir")
    d.add_argument("--per-repo", type=int, default=12)
    d.add_argument("--seed", type=int, default=2412)
    s = sub.add_parser("score")
    s.add_argument("dir")
    s.add_argument("labels")
    args = p.parse_args()
    draw(args) if args.cmd == "draw" else score(args)


if __name__ == "__main__":
    main()

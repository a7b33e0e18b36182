#!/usr/bin/env python3
"""How much of real-world Python Markdown does qa-lint judge? (issue 12, item 6)

    bench/corpus.py ROOT [CORPUS ...] [--qa-lint PATH] [--json OUT] [--labels DIR]

ROOT holds one folder per repository; each CORPUS is a folder name with an optional sub-path
(`pydantic/docs`); without CORPUS every folder of ROOT is one. Each corpus is copied to a
scratch folder (--work) and, per entry mode (`--entries qa` and `--entries sections`; a mode
qa-lint's --help does not offer is reported as unavailable, and without the flag at all `qa` is
today's default run), measured in three steps:

1. baseline: one `qa-lint --no-cache --output-format json` run: diagnostics per rule, crashes
   (exit code 2, a panic, a timeout), wall time, and qa-lint's "claims verified" (--summary-file);
2. probe: every Python block gets a wrong claim (`6 * 7  # 41`) as its first statement; a block
   ran when qa-lint reports that claim (qa-lint's JSON has no count of blocks run);
3. sweep: every literal value claim (`code  # LITERAL`, pytest-examples `#>` runs) is changed to
   a wrong value of the same shape, at most one per block per round so one cannot mask another;
   a claim is judged when the mutated run has a new diagnostic at its line or an
   output-mismatch there. Only files with a mutation in the round are re-run.

Prints Markdown tables and writes the JSON report. No third-party text is written anywhere but
the scratch folder; --labels writes `path<TAB>line<TAB>verdict` per claim.
"""
import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_claims import find_claims, mutate, probe, scan_blocks  # noqa: E402

# The release binary of the checkout this script is in (`cargo build --release`).
DEFAULT_QA = str(Path(__file__).resolve().parent.parent / "target" / "release" / "qa-lint")
JUDGE_RULE = "output-mismatch"
# Rules that mean the statements after them may not have run.
EXEC_FAILURES = {"unexpected-exception", "missing-module", "timeout", "interpreter-crash",
                 "sandbox-violation", "missing-fixture", "python-syntax-error"}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("root", type=Path, help="folder with one sub-folder per repository")
    ap.add_argument("corpus", nargs="*", help="NAME or NAME/SUB/PATH (default: every folder of ROOT)")
    ap.add_argument("--qa-lint", default=os.environ.get("QA_LINT", DEFAULT_QA), help="binary (default: target/release/qa-lint of this checkout; env QA_LINT)")
    ap.add_argument("--modes", default="qa,sections", help="entry modes to measure (default qa,sections)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "qa-lint-corpus",
                    help="scratch folder for the copies (default $TMPDIR/qa-lint-corpus; emptied per corpus)")
    ap.add_argument("--json", type=Path, help="JSON report (default WORK/report.json)")
    ap.add_argument("--labels", type=Path, help="write DIR/MODE/CORPUS.tsv: path, line, verdict per claim")
    ap.add_argument("--compare", type=Path, help="labels DIR of an earlier run: list claims no longer judged")
    ap.add_argument("--no-sweep", action="store_true", help="baseline and probe only")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per qa-lint run (default 900)")
    ap.add_argument("-j", "--jobs", type=int, help="passed to qa-lint as -j")
    ap.add_argument("--qa-arg", action="append", default=[], help="extra qa-lint argument (repeatable)")
    return ap.parse_args()


class Runner:
    """Runs qa-lint on a corpus copy and keeps every crash."""

    def __init__(self, args, flags, cwd):
        self.args, self.flags, self.cwd = args, flags, cwd
        self.crashes, self.runs, self.seconds = [], 0, 0.0

    def run(self, paths, step):
        summary = self.args.work / f".summary-{os.getpid()}.md"
        summary.unlink(missing_ok=True)
        cmd = [self.args.qa_lint, *self.flags, "--no-cache", "--output-format", "json",
               "--summary-file", str(summary), *self.args.qa_arg]
        if self.args.jobs:
            cmd += ["-j", str(self.args.jobs)]
        cmd += ["--", *paths]
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        timed_out = False
        try:
            out, err = p.communicate(timeout=self.args.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            timed_out = True
        wall = time.perf_counter() - t0
        self.runs += 1
        self.seconds += wall
        err = err.decode("utf-8", "replace")
        try:
            diags = json.loads(out or b"[]")
        except ValueError:
            diags = None
        crash = ("timeout" if timed_out else "panic" if "panicked at" in err
                 else f"exit {p.returncode}" if p.returncode not in (0, 1)
                 else "unparsable json" if diags is None else None)
        if crash:
            tail = err.strip().splitlines()[-3:]
            self.crashes.append({"step": step, "kind": crash, "files": len(paths), "stderr_tail": tail})
        table = parse_summary(summary)
        summary.unlink(missing_ok=True)
        return index(diags or []), table, wall


def parse_summary(path):
    """The first table of qa-lint's --summary-file: {row name: value}."""
    try:
        text = path.read_text()
    except OSError:
        return {}
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\|([^|]*)\|([^|]*)\|$", line)
        key = m.group(1).strip() if m else ""
        if key and not set(key) <= set("-:"):
            rows[key] = m.group(2).strip()
        elif rows and not line.strip():
            break
    return rows


def index(diags):
    by = collections.defaultdict(list)
    for d in diags:
        by[os.path.normpath(d.get("path", ""))].append(d)
    return by


def at(by_path, path, lines):
    """Diagnostics that start on one of `lines` (a span over a whole block or entry starts
    elsewhere, so it is not taken for a verdict on one claim)."""
    return [d for d in by_path.get(path, []) if d["line"] in lines]


def python_version(table):
    m = re.search(r"(\d+)\.(\d+)", table.get("Python", ""))
    return (int(m.group(1)), int(m.group(2))) if m else sys.version_info[:2]


def excused(block, py):
    """The author marked the block as not for this run: skip, or a newer Python."""
    if block.marker in ("skip", "test-skip"):
        return True
    m = re.match(r"requires-(\d+)\.(\d+)", block.marker)
    return bool(m) and (int(m.group(1)), int(m.group(2))) > py


def entry_flags(qa, work):
    """`--entries MODE` flags per mode, or None when this binary does not accept the mode (tried
    on an empty folder). A binary without the flag at all has only today's `qa` behaviour."""
    help_text = subprocess.run([qa, "--help"], capture_output=True, text=True).stdout
    if "--entries" not in help_text:
        return {"qa": [], "sections": None}
    empty = work / ".empty"
    empty.mkdir(exist_ok=True)
    flags = {}
    for mode in ("qa", "sections"):
        p = subprocess.run([qa, "--entries", mode, "--no-exec", "--no-cache", "-q", "."], cwd=empty,
                           capture_output=True, text=True)
        flags[mode] = ["--entries", mode] if p.returncode in (0, 1) else None
    return flags


class Corpus:
    """A scratch copy of one corpus. With a sub-path, the repository's top-level files
    (qa-lint.toml, pyproject.toml, mkdocs.yml, ...) are copied above it as in the repository, so
    qa-lint finds the same configuration and dialect hints."""

    def __init__(self, root, spec, work):
        self.name = spec.strip("/")
        repo, _, sub = self.name.partition("/")
        self.base = work / self.name.replace("/", "__")
        if self.base.exists():
            shutil.rmtree(self.base)
        self.copy = self.base / repo / sub if sub else self.base / repo
        (self.base / repo).mkdir(parents=True)
        if sub:
            for f in (root / repo).iterdir():
                if f.is_file() and not f.is_symlink():
                    shutil.copy2(f, self.base / repo / f.name)
        shutil.copytree(root / self.name, self.copy, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".git", ".qa-lint-cache"))
        self.texts, self.blocks, self.claims = {}, {}, {}
        for p in sorted(self.copy.rglob("*")):
            if p.suffix.lower() not in (".md", ".markdown") or not p.is_file():
                continue
            rel = os.path.relpath(p, self.copy)
            try:
                text = p.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                continue
            self.texts[rel] = text
            self.blocks[rel] = scan_blocks(rel, text)
            self.claims[rel] = [c for i, b in enumerate(self.blocks[rel]) for c in find_claims(b, i)]

    def write(self, rel, text):
        with open(self.copy / rel, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    def restore(self, rels):
        for rel in rels:
            self.write(rel, self.texts[rel])


def blocks_run(corpus, runner):
    """Probe step: ({rel: indices of the blocks that ran}, {rel: indices of the blocks probed})."""
    probed = {}
    for rel, blocks in corpus.blocks.items():
        if blocks:
            text, where = probe(blocks, corpus.texts[rel])
            probed[rel] = where
            corpus.write(rel, text)
    try:
        by, _, _ = runner.run(sorted(probed), "probe") if probed else ({}, {}, 0)
    finally:
        corpus.restore(probed)
    ran = {}
    for rel, where in probed.items():
        ran[rel] = {bi for bi, lines in where.items()
                    if any(d["rule"] == JUDGE_RULE or d["rule"].startswith("claim-")
                           for d in at(by, rel, lines))}
    return ran, {rel: set(where) for rel, where in probed.items()}


def sweep(corpus, runner, base):
    """Mutation rounds; sets each claim's verdict. Returns the number of rounds."""
    per_block = collections.defaultdict(list)
    for rel, claims in corpus.claims.items():
        for c in claims:
            c.verdict, c.rules, c.mutated = "", [], mutate(c) or ""
            if c.mutated and c.mutated != c.text:
                per_block[(rel, c.block)].append(c)
            else:
                c.verdict = "unmutated"
    rounds = max((len(v) for v in per_block.values()), default=0)
    for r in range(rounds):
        batch = collections.defaultdict(list)
        for (rel, _), claims in per_block.items():
            if len(claims) > r:
                batch[rel].append(claims[r])
        for rel, claims in batch.items():
            lines = corpus.texts[rel].split("\n")
            for c in claims:
                i = c.lines[0] - 1
                assert lines[i][c.col:c.col + len(c.text)] == c.text, (rel, c.lines[0])
                lines[i] = lines[i][:c.col] + c.mutated + lines[i][c.col + len(c.text):]
            corpus.write(rel, "\n".join(lines))
        try:
            by, _, _ = runner.run(sorted(batch), f"sweep round {r + 1}")
        finally:
            corpus.restore(batch)
        for rel, claims in batch.items():
            for c in claims:
                judge(c, at(base, rel, c.lines), at(by, rel, c.lines))
    return rounds


def judge(c, before, after):
    """Caught: an output-mismatch at the claim, or a diagnostic there that the unchanged file did
    not have (messages compared with the mutated text put back, so an exception message that
    quotes the claim is not new). Caught by another rule than output-mismatch is `wrong-rule`.
    A claim the unchanged file already failed with output-mismatch is judged either way (the
    mutation may even have made it right)."""
    old = {(d["rule"], d["message"]) for d in before}
    new = [d for d in after if (d["rule"], d["message"]) not in old
           and (d["rule"], d["message"].replace(c.mutated, c.text)) not in old]
    c.rules = sorted({d["rule"] for d in after})
    if any(d["rule"] == JUDGE_RULE for d in after + before):
        c.verdict = "caught"
    elif new:
        c.verdict = "wrong-rule"
    else:
        c.verdict = "missed"


def block_reason(block, base, py):
    """Why a block did not run, as far as the outside can tell."""
    if excused(block, py) or block.marker == "skip":
        return "marked skip/newer Python"
    last = block.first + len(block.lines)
    if any(d["rule"] == "python-syntax-error" and block.first - 1 <= d["line"] <= last
           for d in base.get(block.path, [])):
        return "does not compile"
    if block.indent:
        return "indented fence"
    return "other (outside entries, ...)"


def not_judged(corpus, claims, base, ran, py):
    """{reason: count} for the literal claims the sweep did not see judged."""
    out = collections.Counter()
    for c in claims:
        if c.verdict in ("caught", "wrong-rule"):
            continue
        block = corpus.blocks[c.path][c.block]
        if c.verdict == "unmutated":
            out["no wrong value found"] += 1
        elif c.block not in ran.get(c.path, ()):
            out["block not run: " + block_reason(block, base, py)] += 1
        elif c.rules:
            out["block ran: " + ", ".join(c.rules)] += 1
        elif any(block.first <= d["line"] < c.lines[0] and d["rule"] in EXEC_FAILURES
                 for d in base.get(c.path, [])):
            out["block ran: no diagnostic, after a failure above it in the block"] += 1
        else:
            out["block ran: no diagnostic at the claim"] += 1
    return dict(out.most_common())


def measure(corpus, args, flags):
    runner = Runner(args, flags, corpus.copy)
    files = sorted(corpus.texts)
    base, table, wall = runner.run(["."], "baseline")
    rules = collections.Counter(d["rule"] for ds in base.values() for d in ds)
    severities = collections.Counter(d["severity"] for ds in base.values() for d in ds)
    ran, probed = blocks_run(corpus, runner)
    t0 = time.perf_counter()
    rounds = 0 if args.no_sweep else sweep(corpus, runner, base)
    sweep_s = time.perf_counter() - t0
    py = python_version(table)
    every = [c for rel in files for c in corpus.claims[rel]]
    claims = [c for c in every if c.kind in ("literal", "pydantic")]  # the headline
    prefixed = [c for c in every if c.kind == "prefixed"]
    transcript = [c for c in every if c.kind == "transcript"]
    verdicts = collections.Counter(c.verdict for c in claims)
    judged = ("caught", "wrong-rule")
    excuse = [c for c in claims if excused(corpus.blocks[c.path][c.block], py)]
    by_kind = {k: dict(collections.Counter(c.verdict for c in every if c.kind == k))
               for k in ("literal", "pydantic", "prefixed", "transcript")}
    return {
        "wall_s": round(wall, 2), "sweep_s": round(sweep_s, 1), "runs": runner.runs,
        "qa_lint_s": round(runner.seconds, 1), "rounds": rounds, "crashes": runner.crashes,
        "summary": table, "rules": dict(sorted(rules.items())), "severities": dict(severities),
        "blocks_probed": sum(len(v) for v in probed.values()), "blocks_run": sum(len(v) for v in ran.values()),
        "blocks_not_run": [{"path": rel, "line": corpus.blocks[rel][bi].first - 1,
                            "reason": block_reason(corpus.blocks[rel][bi], base, py)}
                           for rel in sorted(probed) for bi in sorted(probed[rel] - ran.get(rel, set()))],
        "qa_lint_blocks_run": next((v for k, v in table.items() if "block" in k.lower() and "run" in k.lower()), None),
        "claims": len(claims), "verdicts": dict(verdicts),
        "judged": verdicts["caught"] + verdicts["wrong-rule"], "wrong_rule": verdicts["wrong-rule"],
        "by_kind": by_kind, "prefixed": len(prefixed),
        "prefixed_judged": sum(c.verdict in judged for c in prefixed),
        "transcript": len(transcript), "transcript_judged": sum(c.verdict in judged for c in transcript),
        "not_judged": not_judged(corpus, claims, base, ran, py),
        "excused": len(excuse), "excused_judged": sum(c.verdict in judged for c in excuse),
        "claims_in_blocks_run": sum(c.block in ran.get(c.path, ()) for c in claims),
        "claim_list": [{"path": c.path, "line": c.lines[0], "kind": c.kind, "verdict": c.verdict,
                        "rules": c.rules, "block_ran": c.block in ran.get(c.path, ())} for c in every],
    }


def pct(n, d):
    return f"{100 * n / d:.0f}%" if d else "–"


def markdown(report):
    out = ["| corpus | mode | files | entries¹ | Python blocks | blocks run | claims verified¹ | literal claims | "
           "judged | judged % | wrong rule | excused² | judged % of the rest | `Output:` claims³ | `>>>` outputs³ | crashes | time (s) | sweep (s) |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in report["corpora"]:
        for mode, m in c["modes"].items():
            if m is None:
                out.append(f"| {c['name']} | {mode} | {c['files']} | | {c['python_blocks']} | "
                           "not offered by this qa-lint | | | | | | | | | | | | |")
                continue
            crashes = ", ".join(sorted({x["kind"] for x in m["crashes"]})) or "0"
            crashes = f"{len(m['crashes'])} ({crashes})" if m["crashes"] else "0"
            out.append(
                f"| {c['name']} | {mode} | {c['files']} | {m['summary'].get('Entries checked', '?')} | "
                f"{c['python_blocks']} | {m['blocks_run']}"
                + (f" (qa-lint: {m['qa_lint_blocks_run']})" if m["qa_lint_blocks_run"] is not None else "") + " | "
                f"{m['summary'].get('Claims verified', '?')} | {m['claims']} | {m['judged']} | "
                f"{pct(m['judged'], m['claims'])} | {m['wrong_rule']} | {m['excused']} | "
                f"{pct(m['judged'] - m['excused_judged'], m['claims'] - m['excused'])} | "
                f"{m['prefixed_judged']}/{m['prefixed']} | {m['transcript_judged']}/{m['transcript']} | {crashes} | "
                f"{m['wall_s']:.2f} | {m['sweep_s']:.0f} |")
    out += ["", "¹ qa-lint's own counts (--summary-file). ² claims in blocks marked skip, test=\"skip\" "
            "or requires= a newer Python than qa-lint ran; they are in the other columns too. ³ judged/found "
            "`# Output: 3`-style claims (a label before the literal) and one-line literal outputs in `>>>` "
            "transcripts; they are not in the literal columns.", ""]
    runs = [(f"{c['name']} {mode}", m) for c in report["corpora"] for mode, m in c["modes"].items() if m]
    out += pivot("literal claims not judged", [(n, m["not_judged"]) for n, m in runs])
    out += pivot("Python blocks not run", [(n, collections.Counter(b["reason"] for b in m["blocks_not_run"]))
                                           for n, m in runs])
    out += pivot("rule", [(n, m["rules"]) for n, m in runs])
    return "\n".join(out)


def pivot(title, cols):
    """A table of counts: one row per key, one column per run."""
    keys = sorted({k for _, counts in cols for k in counts})
    if not keys:
        return []
    out = [f"| {title} | " + " | ".join(name for name, _ in cols) + " |", "|---|" + "---:|" * len(cols)]
    out += [f"| {k} | " + " | ".join(str(counts.get(k, 0)) for _, counts in cols) + " |" for k in keys]
    return out + [""]


def write_labels(report, root):
    for c in report["corpora"]:
        for mode, m in c["modes"].items():
            if m is None:
                continue
            path = root / mode / (c["name"].replace("/", "__") + ".tsv")
            path.parent.mkdir(parents=True, exist_ok=True)
            rows = ["# path\tline\tverdict  (bench/corpus.py sweep; caught, wrong-rule, missed, unmutated)"]
            rows += [f"{x['path']}\t{x['line']}\t{x['verdict']}" for x in m["claim_list"]]
            path.write_text("\n".join(rows) + "\n")


def compare(report, root):
    """Claims an earlier run judged that this run does not: the regressions."""
    lines = []
    for c in report["corpora"]:
        for mode, m in c["modes"].items():
            path = root / mode / (c["name"].replace("/", "__") + ".tsv")
            if m is None or not path.exists():
                continue
            old = {}
            for row in path.read_text().splitlines():
                if not row.startswith("#"):
                    p, ln, v = row.split("\t")
                    old[(p, int(ln))] = v
            now = {(x["path"], x["line"]): x["verdict"] for x in m["claim_list"]}
            ok = ("caught", "wrong-rule")
            lost = sorted(k for k, v in old.items() if v in ok and now.get(k) not in ok)
            gained = sum(1 for k, v in now.items() if v in ok and old.get(k) not in ok)
            lines.append(f"{c['name']} {mode}: {len(lost)} no longer judged, {gained} newly judged")
            lines += [f"  {p}:{ln}: was {old[(p, ln)]}, now {now.get((p, ln), 'not found')}" for p, ln in lost[:20]]
    return "\n".join(lines)


def main():
    args = parse_args()
    args.qa_lint = str(Path(args.qa_lint).resolve())
    if not os.access(args.qa_lint, os.X_OK):
        sys.exit(f"error: no qa-lint binary at {args.qa_lint} (cargo build --release, or --qa-lint PATH)")
    args.work.mkdir(parents=True, exist_ok=True)
    flags = entry_flags(args.qa_lint, args.work)
    if not args.root.is_dir():
        sys.exit(f"error: {args.root} is not a folder")
    specs = args.corpus or sorted(p.name for p in args.root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for spec in specs:
        if not (args.root / spec.strip("/")).is_dir():
            sys.exit(f"error: no folder {args.root / spec.strip('/')}")
    version = subprocess.run([args.qa_lint, "--version"], capture_output=True, text=True).stdout.strip()
    report = {"qa_lint": args.qa_lint, "version": version, "command": sys.argv,
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "corpora": []}
    for spec in specs:
        corpus = Corpus(args.root, spec, args.work)
        blocks = [b for bs in corpus.blocks.values() for b in bs]
        entry = {"name": corpus.name, "files": len(corpus.texts), "python_blocks": len(blocks),
                 "session_blocks": sum(b.kind == "session" for b in blocks),
                 "claims": collections.Counter(c.kind for cs in corpus.claims.values() for c in cs), "modes": {}}
        for mode in args.modes.split(","):
            f = flags.get(mode)
            print(f"{corpus.name} {mode}: " + ("measuring" if f is not None else "not offered"), file=sys.stderr)
            entry["modes"][mode] = measure(corpus, args, f) if f is not None else None
        report["corpora"].append(entry)
        shutil.rmtree(corpus.base)
    out = args.json or args.work / "report.json"
    out.write_text(json.dumps(report, indent=1, default=str) + "\n")
    print(f"qa-lint: {args.qa_lint} ({version})\n")
    print(markdown(report))
    if args.compare:
        print("\n" + compare(report, args.compare))
    if args.labels:
        write_labels(report, args.labels)
    print(f"\nJSON report: {out}", file=sys.stderr)
    return 1 if any(m and m["crashes"] for c in report["corpora"] for m in c["modes"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())

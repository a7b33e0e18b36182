#!/usr/bin/env python3
"""qa-lint benchmark (issue 9): one command, one corpus per size, every case on the same bytes.

    bench/run.sh                    # sizes 1k and 10k blocks, 5 timed runs per case
    bench/run.sh --scaling          # 1k, 10k, 100k blocks: time per block, peak RSS main/worker
    bench/run.sh --sizes 1000 --runs 3 --work /tmp/qb
    bench/run.sh --smoke            # CI: every case once on 200 blocks, debug build, no timing
    bench/run.sh --baseline /tmp/qa-lint-main   # also run the execution cases with another build
    bench/run.sh --baseline target/release/qa-lint --baseline-env QA_LINT_SPARE=0

Each case gets one untimed warm-up run, then --runs timed runs (at least 20 for the
sub-0.1 s fixed-cost cases); the table shows the median wall time, the ratio to the floor
(bench/floor.py on the same corpus) and the largest peak RSS of the runs. Peak RSS is the
`/usr/bin/time -f %M` figure (every run goes through /usr/bin/time; its ru_maxrss is the
largest resident set of any process of the command's tree that was waited for). --scaling also
samples /proc/PID/status VmHWM of the main qa-lint process and of its `__worker` children.

Every run must succeed: qa-lint and the floor must report 0 errors (exit 0), doctest must pass.
Corpora are generated with bench/gen_corpus.py into --work (default $TMPDIR/qa-lint-bench) and
reused while the generator is unchanged. qa-lint runs with cwd = the corpus dir, so the warm
cache case uses the default cache dir `.qa-lint-cache` there.
"""
import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = sys.executable or "python3"
QA_FLAGS = ["--output-format", "concise", "-q"]
TIME = "/usr/bin/time"
# --smoke: every case runs once, without a warm-up; what counts is that each one exits 0.
SMOKE = False
# --baseline: another qa-lint binary (e.g. built from main) whose execution cases run in the
# same run, right after this build's, so that a change is measured side by side.
BASELINE = None  # argv prefix: [env K=V ...] EXE


# ------------------------------------------------------------------ running and measuring

class Sampler(threading.Thread):
    """Polls VmHWM (peak RSS, kB) of the main process and of its `__worker` children."""

    def __init__(self, pid, every=0.02, target=False):
        """target: pid is /usr/bin/time; sample its child, the command itself."""
        super().__init__(daemon=True)
        self.pid, self.every, self.target = pid, every, target
        self.main_kb = self.worker_kb = 0
        self.stop = threading.Event()

    @staticmethod
    def hwm(pid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def children(self):
        kids = []
        try:
            for task in os.listdir(f"/proc/{self.pid}/task"):
                with open(f"/proc/{self.pid}/task/{task}/children") as f:
                    kids.extend(int(x) for x in f.read().split())
        except OSError:
            pass
        return kids

    def run(self):
        if self.target:
            while not self.stop.is_set():
                kids = self.children()
                if kids:
                    self.pid = kids[0]
                    break
                self.stop.wait(0.001)
        while not self.stop.is_set():
            self.main_kb = max(self.main_kb, self.hwm(self.pid))
            for kid in self.children():
                try:
                    with open(f"/proc/{kid}/cmdline", "rb") as f:
                        if b"__worker" not in f.read():
                            continue
                except OSError:
                    continue
                self.worker_kb = max(self.worker_kb, self.hwm(kid))
            self.stop.wait(self.every)


def run_once(argv, cwd, sample=False):
    """Runs argv under /usr/bin/time; returns (seconds, max RSS kB, CPU seconds of the tree,
    rc, stderr tail, sampler)."""
    err = tempfile.TemporaryFile()
    with tempfile.NamedTemporaryFile("r") as rss:
        # /usr/bin/time is tiny, so the high-water mark its child inherits across exec is
        # small; wait4() straight from this Python would report Python's own RSS as a floor.
        t0 = time.perf_counter()
        p = subprocess.Popen([TIME, "-f", "%M %U %S", "-o", rss.name, *argv], cwd=cwd,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        s = None
        if sample:
            s = Sampler(p.pid, target=True)
            s.start()
        rc = p.wait()
        dt = time.perf_counter() - t0
        if s:
            s.stop.set()
            s.join()
        kb, user, sys_s = rss.read().split("\n")[-2].split()
        kb, cpu = int(kb), float(user) + float(sys_s)
    err.seek(0)
    tail = err.read()[-2000:].decode("utf-8", "replace")
    return dt, kb, cpu, rc, tail, s


def measure(name, argv, cwd, runs, prep=None, sample=False, warmup=1):
    """`warmup` untimed runs, then `runs` timed runs. Fails loudly if any run does not exit 0."""
    return measure_in_turns([(name, argv)], cwd, runs, prep, sample, warmup)[0]


def measure_in_turns(cases, cwd, runs, prep=None, sample=False, warmup=1):
    """measure() for several (name, argv) cases at once, run in turns (A B A B ...), so that a
    change in the load of a shared machine falls on all of them alike."""
    if prep:
        prep()
    if SMOKE:
        runs, warmup = 1, (1 if prep else 0)  # the warm-cache case needs its priming run
    acc = [{"times": [], "cpus": [], "rss": [], "main_kb": 0, "worker_kb": 0} for _ in cases]
    for i in range(runs + warmup):
        for (name, argv), a in zip(cases, acc):
            dt, kb, cpu, rc, tail, s = run_once(argv, cwd, sample)
            if rc != 0:
                sys.exit(f"bench: case {name!r} failed (exit {rc}): {' '.join(argv[:6])} ...\n{tail}")
            if i < warmup:
                continue  # warm-up (page cache, the primed cache dir, pyc files)
            a["times"].append(dt)
            a["cpus"].append(cpu)
            a["rss"].append(kb)
            if s:
                a["main_kb"], a["worker_kb"] = max(a["main_kb"], s.main_kb), max(a["worker_kb"], s.worker_kb)
    rows = []
    for (name, _), a in zip(cases, acc):
        times = a["times"]
        res = {"case": name, "median_s": statistics.median(times), "min_s": min(times),
               "cpu_s": statistics.median(a["cpus"]),
               "max_s": max(times), "runs": runs, "peak_rss_mb": max(a["rss"]) / 1024}
        if sample:
            res["main_rss_mb"], res["worker_rss_mb"] = a["main_kb"] / 1024, a["worker_kb"] / 1024
        print(f"  {name:<44} {res['median_s']:8.3f} s  {res['cpu_s']:8.3f} s CPU  "
              f"{res['peak_rss_mb']:7.1f} MB  load {os.getloadavg()[0]:.2f}", file=sys.stderr)
        rows.append(res)
    return rows


# ------------------------------------------------------------------ set-up

def build(skip):
    if skip:
        return
    print("bench: cargo build --release --bins --example bare_parse", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "--bins", "--example", "bare_parse"],
                   cwd=ROOT, check=True)


def corpus(work, blocks):
    """Generates (or reuses) the corpus of `blocks` blocks; returns its directory."""
    d = work / f"{blocks}"
    gen = BENCH / "gen_corpus.py"
    stamp = hashlib.sha256(gen.read_bytes()).hexdigest() + f" {blocks}"
    sf = d / "stamp"
    if sf.exists() and sf.read_text() == stamp:
        return d
    print(f"bench: generating {blocks} blocks into {d}", file=sys.stderr)
    subprocess.run([PY, str(gen), "--blocks", str(blocks), "--out", str(d)], check=True,
                   stdout=sys.stderr)
    sf.write_text(stamp)
    return d


def machine():
    info = {"nproc": os.cpu_count(), "python": platform.python_version(),
            "kernel": platform.release()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        keep = ("Model name", "CPU(s)", "Thread(s) per core", "Core(s) per socket", "CPU max MHz",
                "L2 cache", "L3 cache", "Hypervisor vendor")
        info["lscpu"] = {k.strip(): v.strip() for k, v in
                         (ln.split(":", 1) for ln in out.splitlines() if ":" in ln)
                         if k.strip() in keep}
    except OSError:
        pass
    info["loadavg_before"] = os.getloadavg()
    return info


# ------------------------------------------------------------------ the benchmark

def size_cases(d, exe, bare, runs, sample=False):
    qa_files = sorted(str(p.relative_to(d)) for p in (d / "qa").glob("*.md"))
    dt_files = sorted(str(p.relative_to(d)) for p in (d / "doctest").glob("*.md"))
    cache = d / ".qa-lint-cache"

    def drop_cache():
        shutil.rmtree(cache, ignore_errors=True)

    # (case, arguments, corpus folder): `doctest` is doctest's own dialect, the same blocks as
    # `>>>` transcripts, the files `python -m doctest` runs
    exec_cases = [
        ("--jobs 1 --no-cache", ["--jobs", "1", "--no-cache"], "qa"),
        ("--no-cache (default jobs)", ["--no-cache"], "qa"),
        # confined, a fresh child for every entry (one fork per entry)
        ("--strict-sandbox --no-cache", ["--strict-sandbox", "--no-cache"], "qa"),
        ("--strict-sandbox --jobs 1 --no-cache", ["--strict-sandbox", "--jobs", "1", "--no-cache"], "qa"),
        ("--no-cache on the session corpus", ["--no-cache"], "doctest"),
        ("--jobs 1 --no-cache on the session corpus", ["--jobs", "1", "--no-cache"], "doctest"),
    ]
    rows = [
        measure("floor (bench/floor.py)", [PY, str(BENCH / "floor.py"), "qa"], d, runs),
        measure("python -m doctest (session corpus)", [PY, "-m", "doctest", *dt_files], d, runs),
        measure("pulldown-cmark bare parse", [bare, *qa_files], d, runs),
        measure("qa-lint --no-exec", [exe, "--no-exec", "--no-cache", *QA_FLAGS, "qa"], d, runs),
        *(row for name, args, corpus in exec_cases for row in measure_in_turns(
            [(f"qa-lint {name}", [exe, *args, *QA_FLAGS, corpus]),
             *([(f"baseline {name}", [*BASELINE, *args, *QA_FLAGS, corpus])] if BASELINE else [])],
            d, runs, sample=sample)),
        # the warm-up run of measure() is the priming run after drop_cache
        measure("qa-lint warm cache (unchanged re-run)", [exe, *QA_FLAGS, "qa"], d, runs,
                prep=drop_cache),
    ]
    drop_cache()
    return rows


def fixed_cases(d1k, exe, runs):
    small = sorted((d1k / "qa").glob("*.md"))[0]
    return [
        measure("python3 -c pass", [PY, "-c", "pass"], d1k, max(runs, 20)),
        measure(f"qa-lint one small file (--no-cache, {small.name})",
                [exe, "--no-cache", *QA_FLAGS, str(small.relative_to(d1k))], d1k, max(runs, 20)),
    ]


def table(rows, floor, floor_cpu):
    out = ["| case | median s | ratio to floor | peak RSS MB | CPU s (user+sys) | CPU ratio |",
           "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = f"{r['median_s'] / floor:.2f}x" if floor else "-"
        cratio = f"{r['cpu_s'] / floor_cpu:.2f}x" if floor_cpu else "-"
        out.append(f"| {r['case']} | {r['median_s']:.3f} | {ratio} | {r['peak_rss_mb']:.1f} | "
                   f"{r['cpu_s']:.3f} | {cratio} |")
    return "\n".join(out)


def verdicts(by_size, fixed):
    lines = ["| target | measured | met? |", "|---|---|---|"]

    def add(target, value, ok):
        lines.append(f"| {target} | {value} | {'yes' if ok else '**no**'} |")

    for n, rows in by_size.items():
        r = {x["case"]: x["median_s"] for x in rows}
        floor = r["floor (bench/floor.py)"]
        j1, jd = r["qa-lint --jobs 1 --no-cache"], r["qa-lint --no-cache (default jobs)"]
        dt = r["python -m doctest (session corpus)"]
        ne, bp = r["qa-lint --no-exec"], r["pulldown-cmark bare parse"]
        st = r["qa-lint --strict-sandbox --no-cache"]
        warm = r["qa-lint warm cache (unchanged re-run)"]
        add(f"{n} blocks: --jobs 1 <= 1.5x floor", f"{j1 / floor:.2f}x", j1 <= 1.5 * floor)
        add(f"{n} blocks: default jobs <= 1.0x floor", f"{jd / floor:.2f}x", jd <= floor)
        add(f"{n} blocks: --strict-sandbox <= 2.0x floor", f"{st / floor:.2f}x", st <= 2 * floor)
        add(f"{n} blocks: --jobs 1 and default faster than doctest",
            f"{j1 / dt:.2f}x / {jd / dt:.2f}x doctest", j1 < dt and jd < dt)
        sd = r["qa-lint --no-cache on the session corpus"]
        s1 = r["qa-lint --jobs 1 --no-cache on the session corpus"]
        add(f"{n} blocks: default jobs <= 1.0x doctest on its own files",
            f"{sd / dt:.2f}x (--jobs 1: {s1 / dt:.2f}x)", sd <= dt)
        add(f"{n} blocks: --no-exec <= 2x bare parse", f"{ne / bp:.2f}x", ne <= 2 * bp)
        add(f"{n} blocks: unchanged re-run <= 2x --no-exec", f"{warm / ne:.2f}x", warm <= 2 * ne)
    if fixed:
        py, small = fixed[0]["median_s"], fixed[1]["median_s"]
        add("one small file <= 5x `python3 -c pass`", f"{small / py:.2f}x", small <= 5 * py)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated block counts")
    ap.add_argument("--scaling", action="store_true", help="sizes 1k,10k,100k: per-block figures")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per case (after a warm-up)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "qa-lint-bench")
    ap.add_argument("--no-build", action="store_true", help="use the existing release build")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--skip-jobs1", action="store_true", help="--scaling: default jobs only")
    ap.add_argument("--baseline", type=Path,
                    help="another qa-lint binary: its execution cases run next to this build's")
    ap.add_argument("--baseline-env", action="append", default=[], metavar="VAR=VALUE",
                    help="environment of the baseline runs (repeatable)")
    ap.add_argument("--smoke", action="store_true",
                    help="CI: 200 blocks, each case once, the debug build `cargo test` made; no timing")
    a = ap.parse_args()
    global SMOKE, BASELINE
    SMOKE = a.smoke
    if a.baseline:
        BASELINE = (["env", *a.baseline_env] if a.baseline_env else []) + [str(a.baseline.resolve())]
    profile = "debug" if a.smoke else "release"
    if a.smoke:
        a.sizes, a.scaling = "200", False
    else:
        build(a.no_build)
    exe = str(ROOT / f"target/{profile}/qa-lint")
    bare = str(ROOT / f"target/{profile}/examples/bare_parse")
    for path in (exe, bare):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {path} is missing (run `cargo build --bins --example bare_parse`"
                     f"{' --release' if profile == 'release' else ''} first)")
    a.work.mkdir(parents=True, exist_ok=True)
    info = machine()
    sizes = [int(x) for x in a.sizes.split(",")]
    if a.scaling and a.sizes == "1000,10000":
        sizes = [1000, 10000, 100000]
    results = {"machine": info, "sizes": {}, "fixed": []}
    report = []
    if a.scaling:
        report.append("| blocks | case | median s | ms per block | x smallest per-block | "
                      "CPU ms per block | peak RSS MB (tree) | main RSS MB | worker RSS MB |")
        report.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        base = {}
        for n in sizes:
            d = corpus(a.work, n)
            big = n >= 100000
            runs, wu = (1, 0) if big else (a.runs, 1)
            print(f"bench: {n} blocks, {runs} runs", file=sys.stderr)
            rows = [
                measure("floor (bench/floor.py)", [PY, str(BENCH / "floor.py"), "qa"], d, runs,
                        warmup=wu),
                measure("qa-lint --no-cache (default jobs)",
                        [exe, "--no-cache", *QA_FLAGS, "qa"], d, runs, sample=True, warmup=wu),
            ]
            if not a.skip_jobs1:
                rows.append(measure("qa-lint --jobs 1 --no-cache",
                                    [exe, "--jobs", "1", "--no-cache", *QA_FLAGS, "qa"], d, runs,
                                    sample=True, warmup=wu))
            results["sizes"][n] = rows
            for r in rows:
                per = r["median_s"] / n * 1000
                base.setdefault(r["case"], per)
                main_mb = f"{r['main_rss_mb']:.1f}" if "main_rss_mb" in r else "-"
                worker_mb = f"{r['worker_rss_mb']:.1f}" if "worker_rss_mb" in r else "-"
                report.append(
                    f"| {n} | {r['case']} | {r['median_s']:.3f} | {per:.3f} | "
                    f"{per / base[r['case']]:.2f}x | {r['cpu_s'] / n * 1000:.3f} | "
                    f"{r['peak_rss_mb']:.1f} | {main_mb} | "
                    f"{worker_mb} |")
    else:
        for n in sizes:
            d = corpus(a.work, n)
            print(f"bench: {n} blocks, {a.runs} runs", file=sys.stderr)
            rows = size_cases(d, exe, bare, a.runs)
            results["sizes"][n] = rows
            report.append(f"### {n} blocks\n")
            report.append(table(rows, rows[0]["median_s"], rows[0]["cpu_s"]) + "\n")
        d1k = corpus(a.work, min(sizes))
        fixed = fixed_cases(d1k, exe, a.runs)
        results["fixed"] = fixed
        report.append("### Fixed cost\n")
        report.append(table(fixed, 0, 0) + "\n")
        report.append("### Targets\n")
        if SMOKE:
            report.append("(smoke run: one run per case on the debug build; the times mean "
                          "nothing, every case exited 0)")
        else:
            report.append(verdicts(results["sizes"], fixed))
    info["loadavg_after"] = os.getloadavg()
    lscpu = info.get("lscpu", {})
    print(f"Machine: {lscpu.get('Model name', platform.processor())}, nproc {info['nproc']}, "
          f"Python {info['python']}, Linux {info['kernel']}, load average "
          f"{info['loadavg_before'][0]:.2f} before / {info['loadavg_after'][0]:.2f} after\n")
    print("\n".join(report))
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

"""Suite benchmark: the quick run and the unit tests, each with a cold and a warm JAX compilation cache.

    python benchmarks/bench_suite.py                 # everything (make bench-suite)
    python benchmarks/bench_suite.py --notebooks 00 --tests tests/test_ssm.py   # a small slice

For each job the cache folder starts empty (cold), then the job runs again on the filled cache
(warm).  Wall time, CPU time of the child processes (user + sys, kernels included) and, for the
quick run, each notebook's wall and JAX compile time (``results/timings.json``) are recorded.
One JSON line per invocation is appended to ``benchmarks/suite_history.jsonl`` with the commit,
the machine and its load; the printout gives every number as a ratio against the previous record
of the same selection (``< 1``: faster now), plus the warm/cold ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "benchmarks" / "suite_history.jsonl"


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(cmd: list[str], env: dict, log: Path) -> dict:
    c0, t0 = _cpu_children(), time.perf_counter()
    with open(log, "w") as fh:
        rc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT).returncode
    return {"wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(_cpu_children() - c0, 1), "rc": rc}


def _env(cache: Path) -> dict:
    env = dict(os.environ)
    for k in ("JAX_COMPILATION_CACHE_DIR", "SSMTHEORY_RESULTS_DIR", "SSMTHEORY_FIG_DIR", "SSMTHEORY_JAX_CACHE"):
        env.pop(k, None)
    env.update({"SSMTHEORY_JAX_CACHE_DIR": str(cache), "JAX_PLATFORMS": env.get("JAX_PLATFORMS", "cpu"),
                "MPLBACKEND": "agg", "PYTHONHASHSEED": "0"})
    return env


def bench_run(work: Path, notebooks: list[str], jobs: int) -> dict:
    cache = work / "cache_run"
    out = {}
    for phase in ("cold", "warm"):
        if phase == "cold":
            shutil.rmtree(cache, ignore_errors=True)
        res = work / f"run_{phase}"
        shutil.rmtree(res, ignore_errors=True)
        cmd = [sys.executable, "-m", "ssmtheory.harness.cli", "run", "--profile", "quick", "--jobs", str(jobs),
               "--results-dir", str(res), *(notebooks or ["--all"])]
        r = _timed(cmd, _env(cache), work / f"run_{phase}.log")
        try:
            t = json.loads((res / "timings.json").read_text())
            r["notebooks"] = {k: {"wall_s": v.get("seconds"), "compile_s": v.get("compile_seconds")} for k, v in t.items()}
        except (OSError, ValueError):
            r["notebooks"] = {}
        out[phase] = r
        print(f"quick run  {phase}: {r['wall_s']:7.1f} s wall, {r['cpu_s']:7.1f} s CPU (rc {r['rc']})", flush=True)
    return out


def bench_tests(work: Path, tests: list[str], test_jobs: int) -> dict:
    cache = work / "cache_tests"
    out = {}
    for phase in ("cold", "warm"):
        if phase == "cold":
            shutil.rmtree(cache, ignore_errors=True)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
        if test_jobs > 1:
            cmd += ["-n", str(test_jobs), "--dist", "loadfile"]
        r = _timed(cmd, _env(cache), work / f"tests_{phase}.log")
        out[phase] = r
        print(f"unit tests {phase}: {r['wall_s']:7.1f} s wall, {r['cpu_s']:7.1f} s CPU (rc {r['rc']})", flush=True)
    return out


def _flatten(rec: dict, prefix="") -> dict:
    flat = {}
    for k, v in rec.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            flat.update(_flatten(v, key + "."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and (k.endswith("_s")):
            flat[key] = float(v)
    return flat


def _previous(history: Path, selection: dict) -> dict | None:
    if not history.exists():
        return None
    prev = None
    for line in history.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("selection") == selection:
            prev = rec
    return prev


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notebooks", nargs="*", default=[], help="notebook selectors for the quick run (default: all)")
    ap.add_argument("--tests", nargs="*", default=["tests"], help="pytest paths for the unit tests (default: tests)")
    ap.add_argument("--jobs", type=int, default=1, help="ssmtheory run --jobs (default 1)")
    ap.add_argument("--test-jobs", type=int, default=2, help="pytest -n (default 2, as make test)")
    ap.add_argument("--skip-run", action="store_true")
    ap.add_argument("--skip-tests", action="store_true")
    ap.add_argument("--no-record", action="store_true", help="print only, do not append to the history")
    ap.add_argument("--history", default=None, help=f"history file (default: {HISTORY.relative_to(ROOT)})")
    args = ap.parse_args(argv)
    history = Path(args.history) if args.history else HISTORY

    selection = {"notebooks": args.notebooks or "all", "tests": args.tests, "jobs": args.jobs, "test_jobs": args.test_jobs,
                 "run": not args.skip_run, "unit_tests": not args.skip_tests}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip())
    rec = {
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "commit": commit + ("+dirty" if dirty else ""),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "selection": selection,
    }
    with tempfile.TemporaryDirectory(prefix="ssmtheory-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_run:
            rec["quick_run"] = bench_run(work, args.notebooks, args.jobs)
        if not args.skip_tests:
            rec["unit_tests"] = bench_tests(work, args.tests, args.test_jobs)
    rec["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]

    print()
    for job in ("quick_run", "unit_tests"):
        if job in rec:
            c, w = rec[job]["cold"], rec[job]["warm"]
            print(f"{job}: warm/cold wall {w['wall_s'] / max(c['wall_s'], 1e-9):.2f}, CPU {w['cpu_s'] / max(c['cpu_s'], 1e-9):.2f}")
    if "quick_run" in rec:
        print("\n| notebook | cold wall (compile) | warm wall (compile) |\n|---|---:|---:|")
        cold, warm = rec["quick_run"]["cold"]["notebooks"], rec["quick_run"]["warm"]["notebooks"]
        for nb in sorted(set(cold) | set(warm)):
            a, b = cold.get(nb, {}), warm.get(nb, {})
            print(f"| {nb} | {a.get('wall_s')} ({a.get('compile_s')}) | {b.get('wall_s')} ({b.get('compile_s')}) |")
    prev = _previous(history, selection)
    if prev is not None:
        new, old = _flatten(rec), _flatten(prev)
        print(f"\nratios against the previous record ({prev.get('commit')}, {prev.get('date')}; < 1 is faster now):")
        for k in sorted(new):
            if old.get(k):
                print(f"  {k:<50} {new[k]:8.1f} / {old[k]:8.1f} = {new[k] / old[k]:.2f}")
        rec["ratios_vs_previous"] = {k: round(new[k] / old[k], 3) for k in new if old.get(k)}
        rec["previous_commit"] = prev.get("commit")
    else:
        print("\n(no previous record of this selection: this one becomes the reference)")
    if not args.no_record:
        history.parent.mkdir(parents=True, exist_ok=True)
        with open(history, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")
        print(f"recorded in {history}")
    bad = [job for job in ("quick_run", "unit_tests") if job in rec and any(rec[job][p]["rc"] not in (0,) for p in ("cold", "warm"))]
    if bad:
        print(f"note: non-zero exit in {', '.join(bad)} (see the numbers with care)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

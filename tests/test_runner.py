"""``ssmtheory run`` end to end on tiny notebooks: staging, kept results, interruption, threads, timings.

The notebooks write their claims files themselves (no dependence on the claims API), the way
``claims.finalize()`` does: ``$SSMTHEORY_RESULTS_DIR/claims/<notebook>.json``, then raise when a
claim failed.  Each run starts real kernels, so the scenarios are grouped into few runs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from ssmtheory.harness import cli, runner

pytestmark = pytest.mark.notebooks

HELPERS = '''\
import json, os, pathlib
def write_claims(stem, verdict="reproduced", observed=1.0, profile="quick"):
    d = pathlib.Path(os.environ["SSMTHEORY_RESULTS_DIR"]) / "claims"
    d.mkdir(parents=True, exist_ok=True)
    rec = {"notebook": stem, "paper": "core", "claim": f"core.{stem}", "description": "d", "observed": observed,
           "threshold": 2.0, "op": "<=", "verdict": verdict, "profile": profile, "kind": "sanity"}
    (d / f"{stem}.json").write_text(json.dumps([rec]))
def save_fig(stem, name):
    d = pathlib.Path(os.environ["SSMTHEORY_FIG_DIR"]); d.mkdir(parents=True, exist_ok=True)
    (d / f"{stem}-{name}.png").write_bytes(b"png " + name.encode())
'''


def _notebook(path: Path, params: str, *cells: str):
    nb = nbformat.v4.new_notebook()
    c = nbformat.v4.new_code_cell(params)
    c.metadata["tags"] = ["parameters"]
    nb.cells = [c, nbformat.v4.new_code_cell(HELPERS), *(nbformat.v4.new_code_cell(s) for s in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))


PARAMS = 'profile: str = "quick"\nseed: int = 0\nmode: str = "ok"'


@pytest.fixture
def tree(tmp_path, monkeypatch):
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    # 00: passes, two figures (one from seed 2 on), records the environment it saw
    _notebook(nbdir / "00_pass.ipynb", PARAMS,
              'save_fig("00_pass", "a")\nif seed < 2:\n    save_fig("00_pass", "b")',
              'env = {k: os.environ.get(k) for k in ("XLA_PYTHON_CLIENT_PREALLOCATE", "OPENBLAS_NUM_THREADS", '
              '"JAX_COMPILATION_CACHE_DIR", "SSMTHEORY_RESULTS_DIR")}\n'
              'pathlib.Path(os.environ["SSMTHEORY_RESULTS_DIR"], "env.json").write_text(json.dumps(env))\n'
              'write_claims("00_pass", observed=float(seed))\n"a long return value"')
    # 01: writes its claims then fails a claim (like finalize) -- "claims failed"
    _notebook(nbdir / "01_claimfail.ipynb", PARAMS,
              'write_claims("01_claimfail", verdict="FAILED", observed=3.0)\nraise AssertionError("1 unexpected claim failure")')
    # 02: crashes before writing claims when mode == "crash", sleeps when mode == "sleep"
    _notebook(nbdir / "02_crash.ipynb", PARAMS,
              'save_fig("02_crash", "x")',
              'import time\nif mode == "sleep":\n    time.sleep(120)\nif mode != "ok":\n    raise RuntimeError("boom")',
              'write_claims("02_crash", observed=float(seed))')
    monkeypatch.setenv("SSMTHEORY_RESULTS_DIR", str(tmp_path / "env_results"))
    monkeypatch.delenv("SSMTHEORY_FIG_DIR", raising=False)
    monkeypatch.setenv("SSMTHEORY_COMPILE_TIMING", "0")  # kernels need not import jax here
    monkeypatch.setenv("SSMTHEORY_JAX_CACHE_DIR", str(tmp_path / "jax_cache"))
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    # under pytest-xdist the root conftest sets per-worker thread/memory settings; --jobs 1 must add none
    monkeypatch.delenv("XLA_PYTHON_CLIENT_PREALLOCATE", raising=False)
    res = tmp_path / "results"
    return {"nbdir": nbdir, "res": res, "args": ["--notebooks-dir", str(nbdir), "--results-dir", str(res)]}


def _claims(res: Path, stem: str):
    return json.loads((res / "claims" / f"{stem}.json").read_text())


def test_run_keeps_earlier_results_until_new_claims_are_complete(tree, capsys):
    res = tree["res"]
    # first run: everything passes except 01 (a failed claim is still a complete result)
    rc = cli.main(["run", *tree["args"], "--all", "-p", "seed", "1"])
    cap = capsys.readouterr()
    assert rc == 1, cap.err
    assert _claims(res, "00_pass")[0]["observed"] == 1.0 and _claims(res, "02_crash")[0]["observed"] == 1.0
    assert _claims(res, "01_claimfail")[0]["verdict"] == "FAILED"
    assert sorted(p.name for p in (res / "figures").iterdir()) == ["00_pass-a.png", "00_pass-b.png", "02_crash-x.png"]
    assert (res / "REPORT.md").exists() and (res / "REPORT.html").exists()  # report in the run folder by default
    manifest = json.loads((res / "run.json").read_text())["notebooks"]
    assert manifest["00_pass"]["status"] == "ok" and manifest["01_claimfail"]["status"] == "claims failed"
    assert manifest["00_pass"]["figures"] == ["00_pass-a.png", "00_pass-b.png"]
    timings = json.loads((res / "timings.json").read_text())
    assert set(timings) == {"00_pass", "01_claimfail", "02_crash"} and timings["00_pass"]["profile"] == "quick"
    env = json.loads((res / "env.json").read_text())
    assert env["SSMTHEORY_RESULTS_DIR"].endswith(os.path.join(".staging", "00_pass"))  # kernels write to staging
    assert env["XLA_PYTHON_CLIENT_PREALLOCATE"] is None  # --jobs 1: no thread / memory settings
    assert env["JAX_COMPILATION_CACHE_DIR"] == str(res.parent / "jax_cache")
    # clean terminal output: no kernel noise, no return-value echo, one summary
    assert "TCP without encryption" not in cap.out + cap.err and "a long return value" not in cap.out
    assert "[1/3] 00_pass ... ok" in cap.out and "claims failed" in cap.out
    assert (res / "logs" / "00_pass.log").exists()  # kernel and worker messages go there (ipykernel 7: the TCP warning)
    executed_02 = (res / "executed" / "02_crash.ipynb").read_bytes()

    # second run: 02 crashes before its claims are complete -> its earlier claims, figure and executed copy stay;
    # 00 now makes one figure -> its stale figure b is removed
    rc = cli.main(["run", *tree["args"], "00", "02", "-p", "seed", "2", "-p", "mode", "crash"])
    cap = capsys.readouterr()
    assert rc == 1
    assert _claims(res, "00_pass")[0]["observed"] == 2.0
    assert _claims(res, "02_crash")[0]["observed"] == 1.0  # kept
    assert (res / "executed" / "02_crash.ipynb").read_bytes() == executed_02
    assert (res / "executed" / "02_crash.failed.ipynb").exists()
    assert sorted(p.name for p in (res / "figures").iterdir()) == ["00_pass-a.png", "02_crash-x.png"]
    assert "earlier claims kept" in cap.out and "RuntimeError: boom" in cap.out
    merged = json.loads((res / "claims.json").read_text())
    assert [r["notebook"] for r in merged] == ["00_pass", "01_claimfail", "02_crash"]
    report = (res / "REPORT.md").read_text()
    assert "02_crash" in report and "earlier run" in report
    manifest = json.loads((res / "run.json").read_text())["notebooks"]
    assert manifest["02_crash"]["status"] == "failed" and manifest["02_crash"]["profile"] == "quick"
    assert manifest["02_crash"]["last_attempt"]["parameters"]["mode"] == "crash"
    assert not any((res / ".staging").glob("0*"))


def test_parallel_jobs_set_thread_and_memory_env(tree, capsys):
    res = tree["res"]
    rc = cli.main(["run", *tree["args"], "--jobs", "2", "00", "02"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    env = json.loads((res / "env.json").read_text())
    assert env["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
    assert env["OPENBLAS_NUM_THREADS"] == os.environ.get("OPENBLAS_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // 2)))
    assert "2 at a time" in cap.out


def test_timeout_fails_the_notebook_and_keeps_its_results(tree, capsys):
    res = tree["res"]
    assert cli.main(["run", *tree["args"], "02"]) == 0
    before = (res / "claims" / "02_crash.json").read_bytes()
    capsys.readouterr()
    rc = cli.main(["run", *tree["args"], "02", "--timeout", "2", "-p", "mode", "sleep", "-p", "seed", "5"])
    cap = capsys.readouterr()
    assert rc == 1
    assert "failed" in cap.out and "earlier claims kept" in cap.out
    assert (res / "claims" / "02_crash.json").read_bytes() == before


def test_sigint_leaves_previous_state_intact(tree):
    res = tree["res"]
    env = dict(os.environ)
    base = [sys.executable, "-m", "ssmtheory.harness.cli", "run", *tree["args"]]
    assert subprocess.run([*base, "02"], env=env, capture_output=True, text=True).returncode == 0
    before = {p.name: p.read_bytes() for p in [res / "claims" / "02_crash.json", res / "REPORT.md",
                                               res / "executed" / "02_crash.ipynb", res / "figures" / "02_crash-x.png"]}
    proc = subprocess.Popen([*base, "02", "-p", "mode", "sleep", "-p", "seed", "7", "--progress-every", "0.5"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    out = ""
    while time.time() < deadline:  # wait until the sleeping cell runs
        line = proc.stdout.readline()
        out += line
        m = re.search(r"cell (\d+)/", line)
        if m and int(m.group(1)) >= 4:  # the sleeping cell (4th, or later once papermill injects parameters)
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    out += rest
    assert proc.returncode == 130, out + err
    assert "interrupted" in out and "earlier claims kept" in out
    assert "interrupted" in err and "keeps its earlier claims" in err
    assert json.loads((res / "claims" / "02_crash.json").read_text())[0]["observed"] == 0.0
    for p in [res / "claims" / "02_crash.json", res / "executed" / "02_crash.ipynb", res / "figures" / "02_crash-x.png"]:
        assert p.read_bytes() == before[p.name], p
    report = (res / "REPORT.md").read_text()
    assert "core.02_crash" in report and "interrupted" in report  # still there, and says so
    assert not any((res / ".staging").glob("02*"))
    time.sleep(3)  # the kernel notices its worker is gone within ~1 s
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(res / ".staging" / "02_crash") not in ps


def test_compile_time_recorded(tmp_path, monkeypatch, capsys):
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    _notebook(nbdir / "00_jit.ipynb", 'profile: str = "quick"\nseed: int = 0',
              "import jax, jax.numpy as jnp\nf = jax.jit(lambda x: jnp.sin(x) @ jnp.cos(x).T)\nf(jnp.ones((8, 8))).block_until_ready()",
              'write_claims("00_jit")')
    monkeypatch.setenv("SSMTHEORY_JAX_CACHE_DIR", str(tmp_path / "jax_cache"))
    monkeypatch.setenv("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    res = tmp_path / "results"
    args = ["run", "--notebooks-dir", str(nbdir), "--results-dir", str(res), "00"]
    assert cli.main(args) == 0
    t = json.loads((res / "timings.json").read_text())["00_jit"]
    assert t["compile_seconds"] > 0 and t["execute_seconds"] >= 0 and t["cache_misses"] >= 1
    assert any((tmp_path / "jax_cache").iterdir())  # the persistent cache was written
    assert cli.main(args) == 0  # warm: served from the cache
    t = json.loads((res / "timings.json").read_text())["00_jit"]
    assert t["cache_hits"] >= 1
    assert "compile" in capsys.readouterr().out


def test_thread_env():
    assert runner.thread_env(1) == {}
    env = runner.thread_env(2, cpus=2)
    assert env["XLA_PYTHON_CLIENT_PREALLOCATE"] == os.environ.get("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    if "OMP_NUM_THREADS" not in os.environ:
        assert env["OMP_NUM_THREADS"] == "1"
    if "XLA_FLAGS" not in os.environ:
        assert "--xla_cpu_multi_thread_eigen=false" in env["XLA_FLAGS"]
    if "OMP_NUM_THREADS" not in os.environ:
        assert runner.thread_env(2, cpus=16)["OMP_NUM_THREADS"] == "8"

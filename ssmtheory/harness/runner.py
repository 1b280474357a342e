"""The notebook runner behind ``ssmtheory run``: staged, interruptible, with progress and timings.

Each notebook runs in its own worker process (``python -m ssmtheory.harness.runner worker SPEC``) that
executes it with papermill into a **staging folder** ``<results>/.staging/<notebook>/``: the kernel
sees ``SSMTHEORY_RESULTS_DIR`` / ``SSMTHEORY_FIG_DIR`` pointing there.  Only when the notebook's
claims file is complete (``claims.finalize()`` ran, even if it then raised on a failed claim) are
its claims, figures and executed notebook moved into the run folder, each by an atomic
``os.replace``.  A notebook that crashes, times out or is interrupted leaves its earlier claims,
figures and executed notebook untouched; the runner says so.

The worker reports progress as JSON lines on a private pipe (``cell i of n``); everything the
worker and its kernel print (kernel warnings, tracebacks, "KeyboardInterrupt caught in kernel")
goes to ``<results>/logs/<notebook>.log`` instead of the terminal.  Workers run in their own
session, so Ctrl-C reaches only the runner, which then stops the workers (their kernels exit with
them: ipykernel polls its parent) and keeps the previous state of every unfinished notebook.

A small IPython startup file (installed in a private ``IPYTHONDIR``) makes every kernel record
the JAX compile time it spends (``jax.monitoring`` events: tracing, lowering, backend compile or
persistent-cache retrieval) after each cell; the runner stores it in ``timings.json``.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ssmtheory.harness import paths

__all__ = ["NotebookResult", "run_notebooks", "thread_env", "KERNEL_STARTUP"]

STAGING = ".staging"
MANIFEST = "run.json"

# Installed as <IPYTHONDIR>/profile_default/startup/00-ssmtheory-timing.py for the runner's kernels.
KERNEL_STARTUP = r'''
"""ssmtheory runner: record JAX compile time per kernel (written after every cell)."""
def _ssmtheory_timing():
    import json, os, time
    out = os.environ.get("SSMTHEORY_KERNEL_TIMING")
    if not out:
        return
    totals = {"compile_seconds": 0.0, "trace_seconds": 0.0, "lower_seconds": 0.0,
              "backend_compile_seconds": 0.0, "compiles": 0, "cache_hits": 0, "cache_misses": 0,
              "kernel_start": time.time()}
    try:
        from jax import monitoring
    except Exception:
        return
    keys = {"/jax/core/compile/jaxpr_trace_duration": "trace_seconds",
            "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower_seconds",
            "/jax/core/compile/backend_compile_duration": "backend_compile_seconds"}

    def on_duration(event, duration, **kw):
        k = keys.get(event)
        if k is not None:
            totals[k] += float(duration)
            totals["compile_seconds"] += float(duration)
            if k == "backend_compile_seconds":
                totals["compiles"] += 1

    def on_event(event, **kw):
        if event == "/jax/compilation_cache/cache_hits":
            totals["cache_hits"] += 1
        elif event == "/jax/compilation_cache/cache_misses":
            totals["cache_misses"] += 1

    monitoring.register_event_duration_secs_listener(on_duration)
    monitoring.register_event_listener(on_event)

    def dump(*a, **k):
        tmp = out + ".tmp"
        try:
            with open(tmp, "w") as fh:
                json.dump(totals, fh)
            os.replace(tmp, out)
        except OSError:
            pass

    get_ipython().events.register("post_run_cell", dump)
    dump()

_ssmtheory_timing()
del _ssmtheory_timing
'''


def thread_env(parallel: int, cpus: int | None = None) -> dict:
    """Thread settings so that ``parallel`` JAX/BLAS processes share ``cpus`` cores without oversubscribing.

    Empty for ``parallel <= 1``.  Each process gets ``max(1, cpus // parallel)`` BLAS/OpenMP threads;
    XLA's CPU backend is told not to spread one op over every core
    (``--xla_cpu_multi_thread_eigen=false``) and GPU memory is not preallocated
    (``XLA_PYTHON_CLIENT_PREALLOCATE=false``: N kernels would each grab 75 %).  Values already set
    in the environment win.
    """
    from ssmtheory._validate import check_int

    parallel = check_int(parallel, "parallel")
    if cpus is not None:
        cpus = check_int(cpus, "cpus")
    if parallel <= 1:
        return {}
    cpus = cpus or os.cpu_count() or 1
    n = str(max(1, cpus // parallel))
    env = {}
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[k] = os.environ.get(k, n)
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags and int(n) == 1:
        flags = (flags + " --xla_cpu_multi_thread_eigen=false").strip()
    if flags:
        env["XLA_FLAGS"] = flags
    env["XLA_PYTHON_CLIENT_PREALLOCATE"] = os.environ.get("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    return env


@dataclass
class NotebookResult:
    stem: str
    status: str = "not run"  # ok | claims failed | failed | interrupted | not run
    seconds: float = 0.0
    message: str = ""
    claims: str = "none"  # "new" (this run), "previous" (kept from an earlier run) or "none"
    timing: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# --------------------------------------------------------------------------------------- worker
def _short(text: str, max_lines: int = 3, max_chars: int = 400) -> str:
    lines = [ln for ln in str(text).strip().splitlines() if ln.strip()]
    s = " | ".join(lines[:max_lines]) + (" | ..." if len(lines) > max_lines else "")
    return s if len(s) <= max_chars else s[: max_chars - 3] + "..."


def error_message(exc: BaseException) -> str:
    try:
        import papermill

        if isinstance(exc, papermill.PapermillExecutionError):
            return f"{exc.ename}: {_short(exc.evalue)} (cell {exc.cell_index} of the executed notebook)"
    except ImportError:  # pragma: no cover
        pass
    return f"{type(exc).__name__}: {_short(str(exc))}"


def _worker(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    # progress events go to the original stdout; anything else printed goes to stderr (the log)
    ev_fd = os.dup(1)
    os.dup2(2, 1)
    events = os.fdopen(ev_fd, "w", buffering=1, encoding="utf-8")

    def emit(**ev):
        events.write(json.dumps(ev) + "\n")
        events.flush()

    import papermill
    from papermill.engines import NBClientEngine, papermill_engines

    class ProgressEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            code = [i for i, c in enumerate(nb_man.nb.cells) if c.cell_type == "code"]
            index = {i: k for k, i in enumerate(code)}
            orig = nb_man.cell_start

            def cell_start(cell, cell_index=None, **kw):
                if cell_index in index:
                    emit(event="cell", cell=index[cell_index] + 1, cells=len(code))
                return orig(cell, cell_index, **kw)

            nb_man.cell_start = cell_start
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("ssmtheory", ProgressEngine)
    emit(event="start")
    t0 = time.perf_counter()
    try:
        papermill.execute_notebook(
            spec["notebook"],
            spec["output"],
            parameters=spec["parameters"],
            cwd=spec["cwd"],
            kernel_name="python3",
            engine_name="ssmtheory",
            progress_bar=False,
            log_output=False,
            execution_timeout=spec.get("timeout"),
        )
    except Exception as exc:  # noqa: BLE001 - reported to the runner
        import traceback

        traceback.print_exc()
        emit(event="end", ok=False, seconds=time.perf_counter() - t0, message=error_message(exc))
        return 1
    emit(event="end", ok=True, seconds=time.perf_counter() - t0, message="")
    return 0


# --------------------------------------------------------------------------------------- runner
class _Display:
    """Per-notebook progress: one rewritten line on a terminal, a line every ``every`` s otherwise."""

    def __init__(self, n: int, stream=None, every: float = 30.0):
        self.stream = stream or sys.stdout
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.n = n
        self.every = every
        self.state: dict[str, dict] = {}
        self.last_print: dict[str, float] = {}
        self._status_len = 0

    def _clear(self):
        if self.tty and self._status_len:
            self.stream.write("\r\033[K")
            self._status_len = 0

    def start(self, i: int, stem: str):
        self.state[stem] = {"i": i, "cell": 0, "cells": 0, "t0": time.monotonic()}
        self.last_print[stem] = time.monotonic()
        if not self.tty:
            self.stream.write(f"[{i}/{self.n}] {stem} ... started\n")
            self.stream.flush()

    def cell(self, stem: str, cell: int, cells: int):
        st = self.state.get(stem)
        if st is None:
            return
        st["cell"], st["cells"] = cell, cells

    def _text(self, stem):
        st = self.state[stem]
        el = time.monotonic() - st["t0"]
        cell = f"cell {st['cell']}/{st['cells']}" if st["cells"] else "starting kernel"
        return f"[{st['i']}/{self.n}] {stem}: {cell}, {el:.0f} s"

    def tick(self):
        if not self.state:
            return
        if self.tty:
            text = " | ".join(self._text(s) for s in self.state)
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self._clear()
            self.stream.write(text[:width])
            self._status_len = len(text[:width])
            self.stream.flush()
        else:
            now = time.monotonic()
            for s in self.state:
                if now - self.last_print[s] >= self.every:
                    self.stream.write(self._text(s) + "\n")
                    self.last_print[s] = now
            self.stream.flush()

    def done(self, res: NotebookResult):
        st = self.state.pop(res.stem, {"i": "?"})
        self._clear()
        comp = res.timing.get("compile_seconds")
        ctext = f", compile {comp:.1f} s" if isinstance(comp, (int, float)) else ""
        line = f"[{st['i']}/{self.n}] {res.stem} ... {res.status} ({res.seconds:.1f} s{ctext})"
        if res.message:
            line += f": {res.message}"
        if not res.ok and res.claims == "previous":
            line += " [earlier claims kept]"
        self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self):
        self._clear()
        self.stream.flush()


def _install_ipython_dir(root: Path) -> Path:
    ipdir = root / "ipython"
    startup = ipdir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    f = startup / "00-ssmtheory-timing.py"
    if not f.exists() or f.read_text(encoding="utf-8") != KERNEL_STARTUP:
        paths.atomic_write_text(f, KERNEL_STARTUP)
    return ipdir


def _valid_claims_file(p: Path) -> bool:
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, list)


def _commit(stage: Path, stem: str, results: Path, figs: Path, ok: bool, message: str, res: NotebookResult):
    """Move a finished notebook's staged outputs into the run folder (atomic renames)."""
    claim_files = sorted((stage / "claims").glob("*.json")) if (stage / "claims").is_dir() else []
    complete = bool(claim_files) and all(_valid_claims_file(p) for p in claim_files)
    executed = stage / "executed.ipynb"
    (results / "executed").mkdir(parents=True, exist_ok=True)
    if complete:
        figs.mkdir(parents=True, exist_ok=True)
        new = sorted(p.name for p in (stage / "figures").iterdir() if p.is_file()) if (stage / "figures").is_dir() else []
        for name in new:
            os.replace(stage / "figures" / name, figs / name)
        for old in figs.glob(f"{stem}-*"):  # figures this notebook no longer makes
            if old.is_file() and old.name not in new:
                old.unlink()
        (results / "claims").mkdir(parents=True, exist_ok=True)
        for p in claim_files:
            os.replace(p, results / "claims" / p.name)
        if executed.exists():
            os.replace(executed, results / "executed" / f"{stem}.ipynb")
            (results / "executed" / f"{stem}.failed.ipynb").unlink(missing_ok=True)
        # anything else the notebook wrote into its results folder
        for p in sorted(stage.rglob("*")):
            rel = p.relative_to(stage)
            if p.is_file() and rel.parts[0] not in ("claims", "figures", "executed.ipynb", "kernel_timing.json",
                                                    "spec.json", "worker.log"):
                dest = results / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(p, dest)
        res.figures = new
        res.claims = "new"
        res.status = "ok" if ok else "claims failed"
    else:
        if executed.exists():
            os.replace(executed, results / "executed" / f"{stem}.failed.ipynb")
        res.claims = "previous" if (results / "claims" / f"{stem}.json").exists() else "none"
        res.status = "failed"
    res.message = message


def _read_events(proc, stem: str, q: "queue.Queue"):
    for line in proc.stdout:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        q.put((stem, ev))
    q.put((stem, {"event": "eof"}))


def _terminate(proc: subprocess.Popen, grace: float = 5.0):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
        proc.wait()


class _InterruptGuard:
    """Turn SIGINT / SIGTERM into ``KeyboardInterrupt``, but never inside a :meth:`critical` section.

    A signal that arrives while a notebook is being committed is held and raised right after, so a
    commit is all or nothing.  Handlers are installed only in the main thread and restored on exit.
    """

    def __init__(self):
        self._on = False
        self._pending = False
        self._old = {}

    def _handler(self, signum, frame):
        if self._on:
            self._pending = True
            return
        raise KeyboardInterrupt

    def critical(self, fn, *a):
        self._on = True
        try:
            return fn(*a)
        finally:
            self._on = False
            if self._pending:
                self._pending = False
                raise KeyboardInterrupt

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.getsignal(sig)
                signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc):
        for sig, h in self._old.items():
            signal.signal(sig, h)
        return False


def _base_env(parallel: int, ipdir: Path, env: dict | None) -> dict:
    """The workers' environment: ours, the JAX cache, thread counts for ``parallel`` workers, then ``env``."""
    base = dict(os.environ)
    base.update({"MPLBACKEND": "agg", "PYTHONHASHSEED": "0", "IPYTHONDIR": str(ipdir),
                 "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONUNBUFFERED": "1"})
    base.update(paths.jax_cache_env())
    base.update(thread_env(parallel))
    base.update(env or {})
    return base


class _Batch:
    """At most ``parallel`` worker processes at a time; each notebook is staged, then committed or dropped."""

    def __init__(self, notebooks, *, results: Path, figs: Path, parameters: dict, cwd: Path, timeout,
                 parallel: int, env: dict, display: "_Display"):
        self.results, self.figs = results, figs
        self.parameters, self.cwd, self.timeout = parameters, cwd, timeout
        self.parallel, self.env, self.display = parallel, env, display
        self.staging_root = results / STAGING
        self.logs = results / "logs"
        self.out = {Path(nb).stem: NotebookResult(Path(nb).stem) for nb in notebooks}
        self.pending = list(enumerate(notebooks, 1))
        self.running: dict[str, dict] = {}
        self.q: queue.Queue = queue.Queue()

    def launch(self, i, nb):
        nb = Path(nb)
        stem = nb.stem
        stage = self.staging_root / stem
        if stage.exists():
            shutil.rmtree(stage)
        (stage / "figures").mkdir(parents=True)
        spec = {"notebook": str(nb), "output": str(stage / "executed.ipynb"), "parameters": self.parameters,
                "cwd": str(self.cwd), "timeout": self.timeout}
        (stage / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        wenv = dict(self.env)
        wenv.update({"SSMTHEORY_RESULTS_DIR": str(stage), "SSMTHEORY_FIG_DIR": str(stage / "figures")})
        if os.environ.get("SSMTHEORY_COMPILE_TIMING", "1") != "0":  # 0: kernels skip importing jax up front
            wenv["SSMTHEORY_KERNEL_TIMING"] = str(stage / "kernel_timing.json")
        log_path = self.logs / f"{stem}.log"
        log = open(log_path, "w", encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "ssmtheory.harness.runner", "worker", str(stage / "spec.json")],
                                stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, env=wenv,
                                text=True, start_new_session=True)
        t = threading.Thread(target=_read_events, args=(proc, stem, self.q), daemon=True)
        t.start()
        self.running[stem] = {"proc": proc, "log": log, "thread": t, "stage": stage, "t0": time.perf_counter(),
                              "end": None, "log_path": log_path}
        self.display.start(i, stem)

    def finish(self, stem):
        r = self.running.pop(stem)
        r["proc"].wait()
        r["thread"].join(5)
        r["log"].close()
        res = self.out[stem]
        end = r["end"] or {}
        res.seconds = time.perf_counter() - r["t0"]  # wall time from launch: worker and kernel start included
        ok = bool(end.get("ok")) and r["proc"].returncode == 0
        msg = end.get("message") or ("" if ok else f"worker exited with status {r['proc'].returncode} (see {r['log_path']})")
        try:
            res.timing = json.loads((r["stage"] / "kernel_timing.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            res.timing = {}
        res.log = str(r["log_path"])
        _commit(r["stage"], stem, self.results, self.figs, ok, msg, res)
        shutil.rmtree(r["stage"], ignore_errors=True)
        self.display.done(res)

    def loop(self, guard: _InterruptGuard):
        """Launch, follow worker events, commit finished notebooks; return when all are done."""
        while self.pending or self.running:
            while self.pending and len(self.running) < self.parallel:
                guard.critical(self.launch, *self.pending.pop(0))
            try:
                stem, ev = self.q.get(timeout=0.5)
            except queue.Empty:
                self.display.tick()
                continue
            r = self.running.get(stem)
            if r is None:
                continue
            kind = ev.get("event")
            if kind == "cell":
                self.display.cell(stem, ev["cell"], ev["cells"])
                self.display.tick()
            elif kind == "end":
                r["end"] = ev
            elif kind == "eof":
                guard.critical(self.finish, stem)

    def _previous(self, stem) -> str:
        return "previous" if (self.results / "claims" / f"{stem}.json").exists() else "none"

    def interrupt(self):
        """Stop the running workers, drop their staging folders; earlier claims stay as they were."""
        for stem, r in list(self.running.items()):
            _terminate(r["proc"])
            r["log"].close()
            res = self.out[stem]
            res.seconds = time.perf_counter() - r["t0"]
            res.status, res.claims, res.message, res.log = "interrupted", self._previous(stem), "", str(r["log_path"])
            shutil.rmtree(r["stage"], ignore_errors=True)
            self.running.pop(stem)
            self.display.done(res)
        for _i, nb in self.pending:
            self.out[Path(nb).stem].claims = self._previous(Path(nb).stem)


def run_notebooks(notebooks, *, results: Path, figs: Path, parameters: dict, cwd: Path, timeout,
                  jobs: int = 1, env: dict | None = None, stream=None, progress_every: float = 30.0):
    """Run ``notebooks`` (paths) with at most ``jobs`` at a time; return ``(results_by_stem, interrupted)``.

    ``results_by_stem`` maps each notebook stem to a :class:`NotebookResult` (``status`` is
    ``not run`` for notebooks an interruption kept from starting).
    """
    from ssmtheory._validate import check_int

    jobs = check_int(jobs, "jobs")
    if timeout is not None and (isinstance(timeout, (bool, str)) or not isinstance(timeout, (int, float))
                                or not timeout > 0):
        raise ValueError(f"timeout must be None (no limit) or a number of seconds > 0, got {timeout!r}")
    notebooks = [Path(nb) for nb in notebooks]
    missing = [str(nb) for nb in notebooks if not nb.is_file()]
    if missing:
        raise ValueError(f"notebooks: no such notebook file(s): {', '.join(missing)}")
    if not isinstance(parameters, dict):
        raise ValueError(f"parameters must be a dict, got {type(parameters).__name__}")
    results, figs = Path(results), Path(figs)
    (results / STAGING).mkdir(parents=True, exist_ok=True)
    (results / "logs").mkdir(parents=True, exist_ok=True)
    parallel = max(1, min(int(jobs), len(notebooks)))
    ipdir = _install_ipython_dir(results / STAGING)
    display = _Display(len(notebooks), stream=stream, every=progress_every)
    batch = _Batch(notebooks, results=results, figs=figs, parameters=parameters, cwd=cwd, timeout=timeout,
                   parallel=parallel, env=_base_env(parallel, ipdir, env), display=display)
    interrupted = False
    with _InterruptGuard() as guard:
        try:
            batch.loop(guard)
        except KeyboardInterrupt:
            interrupted = True
            batch.interrupt()
        finally:
            display.finish()
    return batch.out, interrupted


def main(argv=None) -> int:  # pragma: no cover - exercised through subprocesses
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) == 2 and argv[0] == "worker":
        return _worker(argv[1])
    print("usage: python -m ssmtheory.harness.runner worker SPEC.json", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

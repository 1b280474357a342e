"""Command line interface ``ssmtheory``: list, run and report the verification notebooks.

``ssmtheory list``    notebooks ``NN_*.ipynb`` with their papermill parameters;
``ssmtheory run``     execute notebooks with papermill, merge their claims, write ``REPORT.md``;
``ssmtheory report``  rebuild ``REPORT.md`` from ``<results>/claims.json``.

Exit status of ``run``: 0 when every notebook ran and no claim is ``FAILED``, 1 otherwise,
2 for usage errors (e.g. an unknown notebook selector).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser", "discover_notebooks", "select_notebooks", "parse_value"]

_NB_RE = re.compile(r"^\d{2}_.*\.ipynb$")
_NUM_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class SelectorError(ValueError):
    """An ``ssmtheory run`` selector matched no notebook."""


def discover_notebooks(notebooks_dir) -> list[Path]:
    """Every ``NN_*.ipynb`` directly in ``notebooks_dir``, sorted by name."""
    d = Path(notebooks_dir)
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.is_file() and _NB_RE.match(p.name))


def select_notebooks(selectors, available: list[Path]) -> list[Path]:
    """Resolve selectors (stem, two-digit prefix such as ``"00"``, or a path) in ``available`` order.

    No selectors means all.  Raises :class:`SelectorError` naming the first unknown selector.
    """
    if not selectors:
        return list(available)
    chosen: list[Path] = []
    for sel in selectors:
        s = str(sel)
        hits: list[Path] = []
        stem = Path(s).name[: -len(".ipynb")] if s.endswith(".ipynb") else s
        if s.isdigit():
            prefix = f"{int(s):02d}_"
            hits = [p for p in available if p.name.startswith(prefix)]
        if not hits:
            hits = [p for p in available if p.stem == stem]
        if not hits and (s.endswith(".ipynb") or os.sep in s or "/" in s):
            p = Path(s)
            if p.is_file():
                hits = [p.resolve()]
        if not hits:
            raise SelectorError(s)
        for h in hits:
            if h not in chosen:
                chosen.append(h)
    return chosen


def parse_value(text: str):
    """Type a ``-p NAME VALUE`` value like YAML (``3`` -> int, ``true`` -> bool, ``1e-5`` -> float)."""
    try:
        import yaml

        val = yaml.safe_load(text)
    except Exception:
        return text
    if isinstance(val, str) and _NUM_RE.match(val.strip()):
        return float(val)
    if val is None and text.strip() not in ("", "~", "null", "Null", "NULL"):
        return text
    return val


def _short(text: str, max_lines: int = 3, max_chars: int = 400) -> str:
    lines = [ln for ln in str(text).strip().splitlines() if ln.strip()]
    s = " | ".join(lines[:max_lines]) + (" | ..." if len(lines) > max_lines else "")
    return s if len(s) <= max_chars else s[: max_chars - 3] + "..."


def _error_message(exc: BaseException) -> str:
    import papermill

    if isinstance(exc, papermill.PapermillExecutionError):
        return f"{exc.ename}: {_short(exc.evalue)} (cell {exc.cell_index} of the executed notebook)"
    return f"{type(exc).__name__}: {_short(str(exc))}"


def _execute_one(nb_path: str, out_path: str, parameters: dict, cwd: str, timeout, env: dict):
    """Run one notebook with papermill; return ``(stem, ok, seconds, message)`` (never raises)."""
    os.environ.update(env)
    import papermill

    stem = Path(nb_path).stem
    t0 = time.perf_counter()
    try:
        papermill.execute_notebook(
            nb_path,
            out_path,
            parameters=parameters,
            cwd=cwd,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
        )
        ok, msg = True, ""
    except Exception as exc:  # noqa: BLE001 - any failure is reported, the others go on
        ok, msg = False, _error_message(exc)
    return stem, ok, time.perf_counter() - t0, msg


@contextlib.contextmanager
def _environ(updates: dict):
    old = {k: os.environ.get(k) for k in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _load_json(path: Path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return default


def _figures_rel(fig_dir: Path, report_path: Path) -> str:
    try:
        return Path(os.path.relpath(fig_dir.resolve(), report_path.resolve().parent)).as_posix()
    except ValueError:  # different drives (Windows)
        return fig_dir.resolve().as_posix()


def _cmd_list(args) -> int:
    from papermill import inspect_notebook

    from . import paths

    nb_dir = Path(args.notebooks_dir) if args.notebooks_dir else paths.notebooks_dir()
    nbs = discover_notebooks(nb_dir)
    if not nbs:
        print(f"no NN_*.ipynb notebooks in {nb_dir}", file=sys.stderr)
        return 0
    for nb in nbs:
        print(nb.stem)
        try:
            params = inspect_notebook(str(nb))
        except Exception as exc:  # noqa: BLE001
            print(f"    (cannot inspect: {_error_message(exc)})")
            continue
        if not params:
            print("    (no parameters cell)")
        for name, p in params.items():
            typ = p.get("inferred_type_name") or ""
            typ = "" if typ == "None" else f"  [{typ}]"
            hlp = f"  # {p['help']}" if p.get("help") else ""
            print(f"    {name} = {p.get('default')}{typ}{hlp}")
    return 0


def _cmd_run(args) -> int:
    from . import claims, paths, report

    nb_dir = Path(args.notebooks_dir).resolve() if args.notebooks_dir else paths.notebooks_dir().resolve()
    available = discover_notebooks(nb_dir)
    try:
        selected = select_notebooks(args.notebooks, available)
    except SelectorError as exc:
        names = ", ".join(p.stem for p in available) or "none"
        print(f"ssmtheory run: unknown notebook {exc.args[0]!r} (available in {nb_dir}: {names})", file=sys.stderr)
        return 2
    if not selected:
        print(f"ssmtheory run: no NN_*.ipynb notebooks in {nb_dir}", file=sys.stderr)
        return 2
    results = Path(args.results_dir).resolve() if args.results_dir else paths.results_dir().resolve()
    figs = Path(args.fig_dir).resolve() if args.fig_dir else paths.figure_dir().resolve()
    report_path = Path(args.report).resolve() if args.report else paths.repo_root() / "REPORT.md"
    results.mkdir(parents=True, exist_ok=True)
    figs.mkdir(parents=True, exist_ok=True)
    executed = results / "executed"
    executed.mkdir(parents=True, exist_ok=True)
    extra = {name: parse_value(value) for name, value in (args.param or [])}
    parameters = {"profile": args.profile, **extra}
    env = {
        "MPLBACKEND": "agg",
        "SSMTHEORY_RESULTS_DIR": str(results),
        "SSMTHEORY_FIG_DIR": str(figs),
        "PYTHONHASHSEED": "0",
    }
    # stale claims of a notebook that now fails before finalize() must not reach the report
    for nb in selected:
        (results / "claims" / f"{nb.stem}.json").unlink(missing_ok=True)

    n = len(selected)
    jobs = max(1, int(args.jobs))
    outcomes: dict[str, tuple[bool, float, str]] = {}
    tasks = [(str(nb), str(executed / f"{nb.stem}.ipynb"), parameters, str(nb_dir), args.timeout, env) for nb in selected]

    def report_line(i, stem, ok, secs, msg, prefix_printed=False):
        head = "" if prefix_printed else f"[{i}/{n}] {stem} ... "
        if ok:
            print(f"{head}ok ({secs:.1f} s)", flush=True)
        else:
            if prefix_printed:
                print(f"FAILED ({secs:.1f} s)", flush=True)
            print(f"[{i}/{n}] {stem} ... FAILED ({secs:.1f} s): {msg}", file=sys.stderr, flush=True)

    with _environ(env):
        if jobs == 1 or n == 1:
            for i, task in enumerate(tasks, 1):
                print(f"[{i}/{n}] {Path(task[0]).stem} ... ", end="", flush=True)
                stem, ok, secs, msg = _execute_one(*task)
                outcomes[stem] = (ok, secs, msg)
                report_line(i, stem, ok, secs, msg, prefix_printed=True)
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(jobs, n), mp_context=ctx) as pool:
                futures = [pool.submit(_execute_one, *task) for task in tasks]
                for i, fut in enumerate(as_completed(futures), 1):
                    try:
                        stem, ok, secs, msg = fut.result()
                    except Exception as exc:  # noqa: BLE001 - worker crashed
                        task = tasks[futures.index(fut)]
                        stem, ok, secs, msg = Path(task[0]).stem, False, 0.0, _error_message(exc)
                    outcomes[stem] = (ok, secs, msg)
                    report_line(i, stem, ok, secs, msg)

    records = claims.load_all(results)
    (results / "claims.json").write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    timings = _load_json(results / "timings.json", {})
    if not isinstance(timings, dict):
        timings = {}
    for stem, (_ok, secs, _msg) in outcomes.items():
        timings[stem] = {"seconds": round(secs, 1), "profile": args.profile}
    timings = {k: timings[k] for k in sorted(timings)}
    (results / "timings.json").write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")
    failures = {stem: msg for stem, (ok, _s, msg) in outcomes.items() if not ok}
    report.write_report(records, report_path, figures_rel=_figures_rel(figs, report_path), timings=timings, failures=failures)
    html_path = report.write_html(records, report_path.with_suffix(".html"), figs, timings=timings, failures=failures)

    print()
    print(report.summary_table(records), end="")
    print(f"report: {report_path} (and {html_path.name}, figures inline)")
    failed_claims = [r["claim"] for r in records if r.get("verdict") == "FAILED"]
    if failures:
        print(f"{len(failures)} of {n} notebook(s) failed: {', '.join(sorted(failures))}", file=sys.stderr)
    if failed_claims:
        print(f"{len(failed_claims)} FAILED claim(s): {', '.join(failed_claims)}", file=sys.stderr)
    return 1 if failures or failed_claims else 0


def _cmd_report(args) -> int:
    from . import claims, paths, report

    results = Path(args.results_dir) if args.results_dir else paths.results_dir()
    report_path = Path(args.report) if args.report else paths.repo_root() / "REPORT.md"
    cj = results / "claims.json"
    if cj.exists():
        records = json.loads(cj.read_text(encoding="utf-8"))
    elif (results / "claims").is_dir():
        records = claims.load_all(results)
    else:
        print(f"ssmtheory report: no {cj} (run `ssmtheory run` first)", file=sys.stderr)
        return 2
    figs = Path(args.fig_dir) if args.fig_dir else paths.figure_dir()
    timings = _load_json(results / "timings.json", None)
    report.write_report(records, report_path, figures_rel=_figures_rel(figs, report_path), timings=timings or None)
    report.write_html(records, report_path.with_suffix(".html"), figs, timings=timings or None)
    print(report.summary_table(records), end="")
    print(f"report: {report_path}")
    return 0


class _ParamAction(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        items = getattr(namespace, self.dest) or []
        items.append(tuple(values))
        setattr(namespace, self.dest, items)


def build_parser() -> argparse.ArgumentParser:
    """The ``ssmtheory`` argument parser (sub-commands ``list``, ``run``, ``report``)."""
    parser = argparse.ArgumentParser(
        prog="ssmtheory",
        description="Run the ssmtheory verification notebooks and build the claims report.",
        epilog=(
            "examples:\n"
            "  ssmtheory list\n"
            "  ssmtheory run                      # every notebook, quick profile\n"
            "  ssmtheory run --profile full --jobs 2 00 03_stablessm\n"
            "  ssmtheory run -p seed 1 00_ssm_core\n"
            "  ssmtheory report"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p_list = sub.add_parser("list", help="list notebooks and their parameters", description="List every NN_*.ipynb notebook with its papermill parameters and defaults.")
    p_list.add_argument("--notebooks-dir", metavar="DIR", help="notebook folder (default: <repo>/notebooks)")
    p_list.set_defaults(func=_cmd_list)

    p_run = sub.add_parser(
        "run",
        help="execute notebooks, merge claims, write REPORT.md",
        description=(
            "Execute notebooks with papermill (outputs in <results>/executed/), merge their claims into "
            "<results>/claims.json, record runtimes in <results>/timings.json and write REPORT.md. "
            "Exit status 1 if a notebook failed or a claim is FAILED, 2 for an unknown selector."
        ),
    )
    p_run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="stem (00_ssm_core), two-digit prefix (00) or path; default: all")
    p_run.add_argument("--profile", choices=("quick", "full"), default="quick", help="parameter 'profile' passed to every notebook (default: quick)")
    p_run.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="notebooks run in parallel processes (default: 1)")
    p_run.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="per-cell execution timeout (default: none)")
    p_run.add_argument("--notebooks-dir", metavar="DIR", help="notebook folder (default: <repo>/notebooks)")
    p_run.add_argument("--results-dir", metavar="DIR", help="results folder (default: $SSMTHEORY_RESULTS_DIR or <repo>/results)")
    p_run.add_argument("--fig-dir", metavar="DIR", help="figure folder (default: $SSMTHEORY_FIG_DIR or <repo>/figures)")
    p_run.add_argument("--report", metavar="PATH", help="report file (default: <repo>/REPORT.md)")
    p_run.add_argument(
        "-p", "--parameter", dest="param", nargs=2, action=_ParamAction, metavar=("NAME", "VALUE"),
        help="extra notebook parameter (repeatable); VALUE is typed like YAML (3, 1e-5, true, [1, 2])",
    )
    p_run.set_defaults(func=_cmd_run)

    p_rep = sub.add_parser("report", help="rebuild REPORT.md from <results>/claims.json", description="Rebuild REPORT.md from <results>/claims.json (and timings.json) without running anything.")
    p_rep.add_argument("--results-dir", metavar="DIR", help="results folder (default: $SSMTHEORY_RESULTS_DIR or <repo>/results)")
    p_rep.add_argument("--fig-dir", metavar="DIR", help="figure folder for links (default: $SSMTHEORY_FIG_DIR or <repo>/figures)")
    p_rep.add_argument("--report", metavar="PATH", help="report file (default: <repo>/REPORT.md)")
    p_rep.set_defaults(func=_cmd_report)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``ssmtheory`` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse error or --help
        return int(exc.code or 0)
    if getattr(args, "jobs", 1) < 1:
        print("ssmtheory run: --jobs must be >= 1", file=sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

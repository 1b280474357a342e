"""Command line interface ``ssmtheory``: list, run, report, publish the verification notebooks.

``ssmtheory list``           notebooks ``NN_*.ipynb`` with their (typed) papermill parameters;
``ssmtheory run``            execute notebooks into the run folder ``results/`` (figures, claims,
                             executed notebooks, timings, ``REPORT.md``/``.html``);
``ssmtheory report``         rebuild ``results/REPORT.md`` from ``results/claims/*.json`` (else ``claims.json``);
``ssmtheory publish``        copy a complete full-profile run into the committed gallery
                             (``figures/``, ``REPORT.md``, ``REPORT.html``, ``docs/executed/``);
``ssmtheory expect-update``  write ``tests/expected_claims/<notebook>.json`` from a quick run.

A run never touches the committed gallery: everything goes to ``results/`` (or ``--results-dir``
/ ``$SSMTHEORY_RESULTS_DIR``) under the checkout of the working directory.  A notebook's earlier
claims, figures and executed copy are replaced only when its new claims are complete
(see :mod:`ssmtheory.harness.runner`).

Exit status: 0 when every notebook ran and no claim is ``FAILED``; 1 otherwise; 2 for usage
errors (unknown notebook or parameter, wrong parameter type, unwritable output path, a
refused publish); 130 when interrupted.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

__all__ = [
    "main",
    "build_parser",
    "discover_notebooks",
    "select_notebooks",
    "parse_value",
    "coerce_parameter",
    "inspect_parameters",
    "type_matches",
    "publish_problems",
]

_NB_RE = re.compile(r"^\d{2}_.*\.ipynb$")
_NUM_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
PROFILES = ("quick", "full")


class SelectorError(ValueError):
    """An ``ssmtheory run`` selector matched no notebook."""

    def __str__(self) -> str:  # args[0] stays the bare selector (the CLI quotes it in its own message)
        return f"selectors: no notebook matches {self.args[0]!r}" if self.args else "selectors: no match"


class UsageError(ValueError):
    """A bad command line, reported with exit status 2 before anything runs."""


def discover_notebooks(notebooks_dir) -> list[Path]:
    """Every ``NN_*.ipynb`` directly in ``notebooks_dir``, sorted by name."""
    if not isinstance(notebooks_dir, (str, Path)):
        raise ValueError(f"notebooks_dir must be a path, got {type(notebooks_dir).__name__}")
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


# ------------------------------------------------------------------------- typed parameters
def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts]


def _alternatives(type_name: str) -> list[str] | None:
    """The alternatives of a type annotation (``int | None`` -> ``["int", "None"]``); None if untyped."""
    t = (type_name or "").strip().strip("'\"")
    if not t or t == "None":  # papermill's inferred_type_name for "no annotation"
        return None
    m = re.fullmatch(r"(?:typing\.)?Optional\[(.*)\]", t)
    if m:
        return _alternatives(m.group(1)) + ["None"] if _alternatives(m.group(1)) else None
    m = re.fullmatch(r"(?:typing\.)?Union\[(.*)\]", t)
    if m:
        return _split_top(m.group(1), ",")
    return _split_top(t, "|")


_BASE = {
    "int": int, "float": float, "str": str, "bool": bool, "list": list, "List": list, "tuple": tuple,
    "Tuple": tuple, "dict": dict, "Dict": dict, "Sequence": (list, tuple),
}


def _matches_one(value, alt: str):
    """True/False when ``alt`` is understood, None when it is not."""
    if alt in ("None", "NoneType"):
        return value is None
    if alt in ("Any", "object", "typing.Any"):
        return True
    head = re.sub(r"^typing\.", "", alt.split("[", 1)[0].strip())
    if head == "Literal":
        inner = alt[alt.index("[") + 1: alt.rindex("]")]
        try:
            import ast

            opts = [ast.literal_eval(x) for x in _split_top(inner, ",")]
        except (ValueError, SyntaxError):
            return None
        return value in opts and not (isinstance(value, bool) and not any(isinstance(o, bool) for o in opts))
    typ = _BASE.get(head)
    if typ is None:
        return None
    if typ is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if typ is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, typ)


def type_matches(value, type_name: str) -> bool:
    """Whether ``value`` fits the annotation ``type_name`` (unknown or missing annotations accept anything)."""
    alts = _alternatives(type_name)
    if alts is None:
        return True
    res = [_matches_one(value, a) for a in alts]
    return any(r is True for r in res) or all(r is None for r in res) or (None in res and not any(res))


def coerce_parameter(text: str, type_name: str | None):
    """The value of ``-p NAME TEXT`` for a parameter annotated ``type_name`` (papermill's inferred type).

    ``str`` keeps the text as is (``-p tag 00`` stays ``"00"``), ``int``/``float``/``bool`` parse
    strictly, anything else is read like YAML.  Raises ``ValueError`` when the value does not
    fit the annotation.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    if type_name is not None and not isinstance(type_name, str):
        raise ValueError(f"type_name must be a str or None, got {type(type_name).__name__}")
    alts = _alternatives(type_name or "") or []
    if "str" in alts and not (text.strip() in ("null", "~", "None") and "None" in alts):
        return text
    if text.strip() in ("None", "null", "~") and "None" in alts:
        return None
    val = parse_value(text)
    if "float" in alts and isinstance(val, int) and not isinstance(val, bool) and "int" not in alts:
        val = float(val)
    if "int" in alts and isinstance(val, float) and val.is_integer() and re.fullmatch(r"[+-]?\d+", text.strip()):
        val = int(val)
    if not type_matches(val, type_name or ""):
        raise ValueError(f"{text!r} is not a {type_name}")
    return val


# ------------------------------------------------------------------------- helpers
def _load_json(path: Path, default):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return default


def _dump(path: Path, data) -> None:
    from ssmtheory.harness import paths

    paths.atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def _figures_rel(fig_dir: Path, report_path: Path) -> str:
    try:
        return Path(os.path.relpath(Path(fig_dir).resolve(), Path(report_path).resolve().parent)).as_posix()
    except ValueError:  # different drives (Windows)
        return Path(fig_dir).resolve().as_posix()


def _check_writable_dir(d: Path, what: str) -> None:
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ssmtheory-write-test-", dir=str(d))
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise UsageError(f"{what} {d} is not writable: {exc.strerror or exc}") from None


def _check_report_path(p: Path) -> None:
    if p.exists() and p.is_dir():
        raise UsageError(f"--report {p} is a directory")
    _check_writable_dir(p.parent, "report folder")
    if p.exists() and not os.access(p, os.W_OK):
        raise UsageError(f"report {p} is not writable")


def _write_reports(records, report_path: Path, figs: Path, timings=None, failures=None) -> Path:
    """REPORT.md and REPORT.html (figures inline), each written atomically."""
    from ssmtheory.harness import paths, report

    md = report.render_report(records, figures_rel=_figures_rel(figs, report_path), timings=timings or None,
                              failures=failures or None)
    paths.atomic_write_text(report_path, md)
    html_path = report_path.with_suffix(".html")
    html = report.render_html(records, figs, timings=timings or None, failures=failures or None)
    paths.atomic_write_text(html_path, html)
    return html_path


def _sha256(p: Path) -> str:
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _results_from(args) -> Path:
    from ssmtheory.harness import paths

    return Path(args.results_dir).resolve() if getattr(args, "results_dir", None) else paths.results_dir().resolve()


def _figs_from(args, results: Path) -> Path:
    if getattr(args, "fig_dir", None):
        return Path(args.fig_dir).resolve()
    env = os.environ.get("SSMTHEORY_FIG_DIR")
    return Path(env).resolve() if env else results / "figures"


# ------------------------------------------------------------------------- list
def _cmd_list(args) -> int:
    from ssmtheory.harness import paths

    nb_dir = Path(args.notebooks_dir) if args.notebooks_dir else paths.notebooks_dir()
    nbs = discover_notebooks(nb_dir)
    if not nbs:
        print(f"no NN_*.ipynb notebooks in {nb_dir}", file=sys.stderr)
        return 0
    for nb in nbs:
        print(nb.stem)
        try:
            params = inspect_parameters(nb)
        except UsageError as exc:
            print(f"    (cannot inspect: {exc})")
            continue
        if not params:
            print("    (no parameters cell)")
        for name, p in params.items():
            typ = p.get("inferred_type_name") or ""
            typ = "" if typ == "None" else f": {typ}"
            hlp = f"  # {p['help']}" if p.get("help") else ""
            print(f"    {name}{typ} = {p.get('default')}{hlp}")
    return 0


# ------------------------------------------------------------------------- run
def inspect_parameters(nb: Path) -> dict:
    """``{name: {"name", "inferred_type_name", "default", "help"}}`` of the cell tagged ``parameters``.

    Like ``papermill.inspect_notebook`` but read with :mod:`ast`, so annotations papermill 2.7
    cannot parse (``int | None``) are typed too; falls back to papermill when the cell is not
    valid Python.
    """
    import ast

    import nbformat

    try:
        book = nbformat.read(str(nb), as_version=4)
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"cannot read {nb}: {exc}") from None
    cells = [c for c in book.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if not cells:
        return {}
    src = cells[0].source
    try:
        tree = ast.parse(src)
    except SyntaxError:
        from papermill import inspect_notebook

        return inspect_notebook(str(nb)) or {}
    lines = src.splitlines()
    out: dict = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, ann, value = node.target.id, ast.unparse(node.annotation), node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, ann, value = node.targets[0].id, "None", node.value
        else:
            continue
        default = ast.get_source_segment(src, value) if value is not None else ""
        last = lines[node.end_lineno - 1] if node.end_lineno else ""
        tail = last[node.end_col_offset:] if node.end_col_offset is not None else ""
        hlp = tail.split("#", 1)[1].strip() if "#" in tail else ""
        out[name] = {"name": name, "inferred_type_name": ann, "default": default, "help": hlp}
    return out


def _notebook_parameters(nb: Path) -> dict:
    return inspect_parameters(nb)


def _validate_parameters(raw: list, selected: list[Path], profile: str) -> dict:
    """Typed ``{"profile": ..., **extras}`` for ``-p NAME VALUE`` pairs, checked against every selected notebook."""
    decl = {nb.stem: _notebook_parameters(nb) for nb in selected}
    for stem, params in decl.items():
        if params and "profile" not in params:
            raise UsageError(f"{stem} has no 'profile' parameter")
    extras: dict = {}
    for name, text in raw:
        if not name.isidentifier():
            raise UsageError(f"-p {name} {text}: {name!r} is not a parameter name")
        if name == "profile":
            raise UsageError(f"-p profile {text}: use --profile ({' or '.join(PROFILES)})")
        missing = [s for s, p in decl.items() if name not in p]
        if missing:
            known = sorted({k for p in decl.values() for k in p})
            raise UsageError(
                f"-p {name} {text}: {', '.join(missing)} has no parameter {name!r} "
                f"(parameters: {', '.join(known) or 'none'}; see `ssmtheory list`)"
            )
        values = set()
        for stem, params in decl.items():
            tname = params[name].get("inferred_type_name")
            try:
                v = coerce_parameter(text, tname)
            except ValueError:
                raise UsageError(f"-p {name} {text}: {stem} declares {name}: {tname}") from None
            values.add(json.dumps(v))
        if len(values) > 1:
            raise UsageError(f"-p {name} {text}: the selected notebooks type {name!r} differently; run them separately")
        extras[name] = json.loads(values.pop())
    return {"profile": profile, **extras}


def _run_problems(args) -> None:
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError(f"--timeout must be > 0 seconds (omit it for no timeout), got {args.timeout:g}")
    if args.jobs < 1:
        raise UsageError("--jobs must be >= 1")
    if args.param and not args.notebooks and not args.all:
        last = args.param[-1]
        raise UsageError(
            "-p NAME VALUE was given but no notebook: name the notebooks after the options "
            f"(e.g. `ssmtheory run -p {last[0]} {last[1]} 00`) or pass --all to run every notebook "
            f"(note: in `-p {last[0]} {last[1]}`, {last[1]!r} is the value of {last[0]!r}, not a notebook)"
        )
    if args.all and args.notebooks:
        raise UsageError("--all and notebook selectors are exclusive")


def _prepare_run(args):
    """Everything checked before a notebook starts: selection, output paths, typed parameters."""
    from ssmtheory.harness import paths

    _run_problems(args)
    nb_dir = Path(args.notebooks_dir).resolve() if args.notebooks_dir else paths.notebooks_dir().resolve()
    available = discover_notebooks(nb_dir)
    try:
        selected = select_notebooks(args.notebooks, available)
    except SelectorError as exc:
        names = ", ".join(p.stem for p in available) or "none"
        raise UsageError(f"unknown notebook {exc.args[0]!r} (available in {nb_dir}: {names})") from None
    if not selected:
        raise UsageError(f"no NN_*.ipynb notebooks in {nb_dir}")
    results = _results_from(args)
    figs = _figs_from(args, results)
    report_path = Path(args.report).resolve() if args.report else results / "REPORT.md"
    _check_writable_dir(results, "results folder")
    _check_writable_dir(figs, "figure folder")
    _check_report_path(report_path)
    parameters = _validate_parameters(args.param or [], selected, args.profile)
    return nb_dir, selected, results, figs, report_path, parameters


def _manifest_entry(nb: Path, res, args, parameters: dict, figs: Path, results: Path) -> dict:
    entry = {
        "status": res.status,
        "profile": args.profile,
        "parameters": parameters,
        "notebook_sha256": _sha256(nb),
        "finished": _now(),
        "seconds": round(res.seconds, 1),
        "claims": res.claims,
        "message": res.message,
        "log": os.path.relpath(res.log, results) if res.log else None,
    }
    if res.claims == "new":
        entry["figures"] = res.figures
        entry["fig_dir"] = str(figs)
    return entry


def _timing_entry(res, profile: str, jobs: int) -> dict:
    comp = res.timing.get("compile_seconds")
    known = isinstance(comp, (int, float))
    return {
        "seconds": round(res.seconds, 1),
        "compile_seconds": round(comp, 1) if known else None,
        "execute_seconds": round(res.seconds - comp, 1) if known else None,
        "profile": profile,
        "jobs": jobs,
        "cache_hits": res.timing.get("cache_hits"),
        "cache_misses": res.timing.get("cache_misses"),
    }


def _record_run(args, selected, outcome, results: Path, figs: Path, parameters: dict, jobs: int, started: str,
                interrupted: bool):
    """Update ``run.json`` (what each notebook's current results came from) and ``timings.json``."""
    manifest = _load_json(results / "run.json", {})
    manifest = manifest if isinstance(manifest, dict) else {}
    entries = manifest.setdefault("notebooks", {})
    timings = _load_json(results / "timings.json", {})
    timings = timings if isinstance(timings, dict) else {}
    for nb in selected:
        res = outcome[nb.stem]
        if res.status == "not run":
            continue
        entry = _manifest_entry(nb, res, args, parameters, figs, results)
        if res.claims == "new":
            entries[nb.stem] = entry
        else:  # the folder still holds the earlier run's results: keep what described them
            entries[nb.stem] = {**entries.get(nb.stem, {}), "status": res.status, "last_attempt": entry}
        if res.status in ("ok", "claims failed"):
            timings[nb.stem] = _timing_entry(res, args.profile, jobs)
    manifest["last_run"] = {
        "started": started, "finished": _now(), "profile": args.profile, "parameters": parameters, "jobs": jobs,
        "selected": [nb.stem for nb in selected], "interrupted": interrupted,
    }
    manifest["notebooks"] = {k: entries[k] for k in sorted(entries)}
    return manifest, {k: timings[k] for k in sorted(timings)}


def _run_failures(manifest: dict) -> dict:
    failures = {}
    for stem, e in manifest["notebooks"].items():
        if e.get("status") in ("failed", "interrupted"):
            last = e.get("last_attempt", e)
            kept = " (claims shown are from an earlier run)" if last.get("claims") == "previous" else ""
            msg = last.get("message") or ""
            failures[stem] = f"{e['status']}{': ' + msg if msg else ''}{kept}"
    return failures


def _print_run_summary(selected, outcome, records, report_path: Path, html_path: Path, results: Path,
                       interrupted: bool) -> int:
    """Per-notebook lines, the claims table, and the exit status (0 ok, 1 failures, 130 interrupted)."""
    from ssmtheory.harness import report

    print()
    for nb in selected:
        res = outcome[nb.stem]
        comp = res.timing.get("compile_seconds")
        ctext = f"{comp:7.1f}" if isinstance(comp, (int, float)) else "      -"
        note = {"previous": "earlier claims kept", "none": "no claims", "new": ""}.get(res.claims, "")
        print(f"  {nb.stem:<36} {res.status:<14} {res.seconds:7.1f} s  (compile {ctext} s)  {note}")
    print()
    print(report.summary_table(records), end="")
    print(f"report: {report_path} (and {html_path.name}, figures inline); executed notebooks: {results / 'executed'}")
    failed_claims = [r["claim"] for r in records if r.get("verdict") in ("FAILED", "cannot discriminate")]
    bad = [nb.stem for nb in selected if outcome[nb.stem].status not in ("ok", "not run")]
    if interrupted:
        not_run = [nb.stem for nb in selected if outcome[nb.stem].status == "not run"]
        print(
            "ssmtheory run: interrupted. Every unfinished notebook keeps its earlier claims, figures and "
            f"executed copy in {results}" + (f"; not started: {', '.join(not_run)}" if not_run else ""),
            file=sys.stderr,
        )
        return 130
    if bad:
        print(f"{len(bad)} of {len(selected)} notebook(s) did not pass: {', '.join(bad)} (logs in {results / 'logs'})",
              file=sys.stderr)
    if failed_claims:
        print(f"{len(failed_claims)} failing claim(s): {', '.join(failed_claims)}", file=sys.stderr)
    return 1 if bad or failed_claims else 0


def _cmd_run(args) -> int:
    from ssmtheory.harness import claims
    from ssmtheory.harness.runner import run_notebooks

    try:
        nb_dir, selected, results, figs, report_path, parameters = _prepare_run(args)
    except UsageError as exc:
        print(f"ssmtheory run: {exc}", file=sys.stderr)
        return 2
    jobs = max(1, min(int(args.jobs), len(selected)))
    where = f"{results}" + (f" (figures: {figs})" if figs != results / "figures" else "")
    print(f"ssmtheory run: {len(selected)} notebook(s), profile {args.profile}, {jobs} at a time -> {where}", flush=True)
    started = _now()
    outcome, interrupted = run_notebooks(
        selected, results=results, figs=figs, parameters=parameters, cwd=nb_dir, timeout=args.timeout, jobs=jobs,
        progress_every=args.progress_every,
    )
    manifest, timings = _record_run(args, selected, outcome, results, figs, parameters, jobs, started, interrupted)
    records = claims.load_all(results)
    _dump(results / "timings.json", timings)
    _dump(results / "run.json", manifest)
    _dump(results / "claims.json", records)
    html_path = _write_reports(records, report_path, figs, timings=timings, failures=_run_failures(manifest))
    return _print_run_summary(selected, outcome, records, report_path, html_path, results, interrupted)


# ------------------------------------------------------------------------- report
def _cmd_report(args) -> int:
    from ssmtheory.harness import claims, report

    results = _results_from(args)
    report_path = Path(args.report).resolve() if args.report else results / "REPORT.md"
    cj = results / "claims.json"
    if (results / "claims").is_dir():  # the per-notebook files are the source: a notebook re-run by papermill
        records = claims.load_all(results)  # updates its own file, not the run's aggregate claims.json
    elif cj.exists():
        records = json.loads(cj.read_text(encoding="utf-8"))
    else:
        print(f"ssmtheory report: no {cj} (run `ssmtheory run` first)", file=sys.stderr)
        return 2
    try:
        _check_report_path(report_path)
    except UsageError as exc:
        print(f"ssmtheory report: {exc}", file=sys.stderr)
        return 2
    figs = _figs_from(args, results)
    timings = _load_json(results / "timings.json", None)
    _write_reports(records, report_path, figs, timings=timings)
    print(report.summary_table(records), end="")
    print(f"report: {report_path}")
    if args.readme:
        readme = Path(args.readme).resolve()
        try:
            changed = report.update_readme(readme, records)
        except (OSError, ValueError) as exc:
            print(f"ssmtheory report: --readme {readme}: {exc}", file=sys.stderr)
            return 2
        print(f"readme: {readme} ({'updated' if changed else 'unchanged'})")
    return 0


# ------------------------------------------------------------------------- publish
def _code_sources(path: Path) -> list[str] | None:
    """The code cells of a notebook, without papermill's injected-parameters cell (None if unreadable)."""
    import nbformat

    try:
        book = nbformat.read(str(path), as_version=4)
    except Exception:  # noqa: BLE001
        return None
    return [c.source.strip() for c in book.cells
            if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]


def _entry_from_executed(results: Path, nb: Path) -> dict | None:
    """A run.json entry for a notebook executed straight with papermill into ``results`` (no ``ssmtheory run``)."""
    import nbformat

    ex = results / "executed" / f"{nb.stem}.ipynb"
    if not ex.is_file():
        return None
    try:
        meta = nbformat.read(str(ex), as_version=4).metadata.get("papermill", {})
    except Exception:  # noqa: BLE001
        return None
    params = dict(meta.get("parameters") or {})
    env = os.environ.get("SSMTHEORY_FIG_DIR")
    fig_dir = Path(env) if env else results / "figures"
    figs = sorted(p.name for p in fig_dir.glob(f"{nb.stem}-*") if p.is_file()) if fig_dir.is_dir() else []
    ok = not meta.get("exception") and meta.get("end_time") is not None
    return {"status": "ok" if ok else "failed", "profile": params.get("profile"), "parameters": params,
            "figures": figs, "fig_dir": str(fig_dir), "source": "papermill metadata"}


def publish_problems(results: Path, available: list[Path]) -> list[str]:
    """Why the run in ``results`` may not be published (empty: it is a complete, passing full-profile run).

    Notebooks run by ``ssmtheory run`` are described by ``<results>/run.json``; notebooks executed
    straight with papermill into ``<results>/executed/`` (SSMTHEORY_RESULTS_DIR=<results>) are
    judged from the papermill metadata of the executed copy.  Either way the executed copy must
    hold the current notebook's code.
    """
    from ssmtheory.harness import claims

    problems = []
    manifest = _load_json(results / "run.json", None)
    entries = manifest.get("notebooks", {}) if isinstance(manifest, dict) else {}
    try:
        records = claims.load_all(results)
    except (ValueError, OSError) as exc:
        return [f"cannot read the claims in {results / 'claims'}: {exc}"]
    for nb in available:
        e = entries.get(nb.stem) or _entry_from_executed(results, nb)
        if e is None:
            problems.append(f"{nb.stem}: not run in {results} (run `ssmtheory run --profile full`, i.e. make full)")
            continue
        if e.get("status") != "ok":
            problems.append(f"{nb.stem}: last run {e.get('status')}")
            continue
        if e.get("profile") != "full":
            problems.append(f"{nb.stem}: ran at profile {e.get('profile')!r}, not 'full'")
        extra = {k: v for k, v in (e.get("parameters") or {}).items() if k != "profile"}
        if extra:
            problems.append(f"{nb.stem}: ran with non-default parameters {extra}")
        executed = results / "executed" / f"{nb.stem}.ipynb"
        if not executed.is_file():
            problems.append(f"{nb.stem}: executed notebook missing")
        elif _code_sources(executed) != _code_sources(nb):
            problems.append(f"{nb.stem}: the notebook changed since it ran")
        recs = [r for r in records if r.get("notebook") == nb.stem]
        if not recs:
            problems.append(f"{nb.stem}: no claims in {results / 'claims'}")
        elif any(r.get("profile") != "full" for r in recs):
            problems.append(f"{nb.stem}: claims file holds non-full-profile claims")
        bad = [r["claim"] for r in recs if r.get("verdict") in ("FAILED", "cannot discriminate")]
        if bad:
            problems.append(f"{nb.stem}: failing claims {', '.join(bad)}")
        fig_dir = Path(e.get("fig_dir") or results / "figures")
        missing = [f for f in e.get("figures", []) if not (fig_dir / f).is_file()]
        if missing:
            problems.append(f"{nb.stem}: figures missing from {fig_dir}: {', '.join(missing)}")
    stems = {nb.stem for nb in available}
    extra = sorted({r.get("notebook") for r in records} - stems)
    if extra:
        problems.append(f"claims of notebooks that no longer exist: {', '.join(map(str, extra))} (remove them from {results / 'claims'})")
    return problems


def _render_html_notebook(src: Path, dest: Path) -> bool:
    try:
        import nbformat
        from nbconvert import HTMLExporter
    except ImportError:
        return False
    nb = nbformat.read(str(src), as_version=4)
    body, _ = HTMLExporter(embed_images=True).from_notebook_node(nb)
    from ssmtheory.harness import paths

    paths.atomic_write_text(dest, body)
    return True


def _publish_actions(results: Path, available, gallery: Path, docs: Path) -> list:
    """``(kind, source, target)`` steps that publish ``results``: copy figures, remove stale ones, copy and render notebooks."""
    manifest = _load_json(results / "run.json", {})
    entries = manifest.get("notebooks", {}) if isinstance(manifest, dict) else {}
    actions = []
    for nb in available:
        e = entries.get(nb.stem) or _entry_from_executed(results, nb)
        fig_dir = Path(e.get("fig_dir") or results / "figures")
        keep = set(e.get("figures", []))
        for f in sorted(keep):
            actions.append(("copy", fig_dir / f, gallery / f))
        if gallery.is_dir():
            for old in sorted(gallery.glob(f"{nb.stem}-*")):
                if old.is_file() and old.name not in keep:
                    actions.append(("remove", old, None))
        actions.append(("notebook", results / "executed" / f"{nb.stem}.ipynb", docs / f"{nb.stem}.ipynb", nb))
        actions.append(("html", docs / f"{nb.stem}.ipynb", docs / f"{nb.stem}.html"))
    return actions


def _with_current_prose(book, source: Path):
    """``book`` (an executed notebook) with the markdown of ``source`` (the notebook as committed now).

    Publishing checks that the executed code equals the current code; the prose written after the run (its
    findings) may be newer, so the markdown cells are taken from ``source`` when both notebooks have the same
    cell layout (papermill's injected-parameters cell aside).  Code cells and outputs are never touched."""
    import nbformat

    cur = nbformat.read(str(source), as_version=4).cells
    ran = [c for c in book.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    if [c.cell_type for c in ran] == [c.cell_type for c in cur]:
        for old, new in zip(ran, cur):
            if old.cell_type == "markdown":
                old.source = new.source
    return book


def _apply_publish_actions(actions: list, gallery: Path, docs: Path) -> bool:
    """Carry out :func:`_publish_actions` (each write atomic); return True when nbconvert was missing."""
    from ssmtheory.harness import paths

    gallery.mkdir(parents=True, exist_ok=True)
    docs.mkdir(parents=True, exist_ok=True)
    no_html = False
    for kind, a, b, *src in actions:
        if kind == "notebook":  # unpaired copy (Lab must not pair it with a .py), with the current prose
            import nbformat

            book = _with_current_prose(nbformat.read(str(a), as_version=4), src[0])
            book.metadata.pop("jupytext", None)
            paths.atomic_write_text(b, nbformat.writes(book) + "\n")
        elif kind == "copy":
            paths.atomic_write_bytes(b, Path(a).read_bytes())
        elif kind == "remove":
            Path(a).unlink()
        elif kind == "html":
            no_html |= not _render_html_notebook(a, b)
    return no_html


def _cmd_publish(args) -> int:
    from ssmtheory.harness import claims, paths

    results = _results_from(args)
    dest = Path(args.dest).resolve() if args.dest else paths.repo_root().resolve()
    nb_dir = Path(args.notebooks_dir).resolve() if args.notebooks_dir else dest / "notebooks"
    available = discover_notebooks(nb_dir)
    if not available:
        print(f"ssmtheory publish: no NN_*.ipynb notebooks in {nb_dir}", file=sys.stderr)
        return 2
    problems = publish_problems(results, available)
    if problems:
        print(f"ssmtheory publish: refusing, {results} is not a complete, passing full-profile run:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 2
    gallery = dest / "figures"
    docs = dest / "docs" / "executed"
    actions = _publish_actions(results, available, gallery, docs)
    if args.dry_run:
        for kind, a, b, *_ in actions:
            print(f"{kind:<6} {a}" + (f" -> {b}" if b else ""))
        print(f"report {dest / 'REPORT.md'} and {dest / 'REPORT.html'}")
        return 0
    no_html = _apply_publish_actions(actions, gallery, docs)
    records = claims.load_all(results)
    timings = _load_json(results / "timings.json", None)
    _write_reports(records, dest / "REPORT.md", gallery, timings=timings)
    n_fig = sum(1 for k, *_ in actions if k == "copy")
    print(f"published {len(available)} notebooks from {results}: {n_fig} figures -> {gallery}, "
          f"executed notebooks -> {docs}, {dest / 'REPORT.md'} and REPORT.html")
    if no_html:
        print("note: nbconvert is not installed, so docs/executed/*.html were not rendered (pip install nbconvert)",
              file=sys.stderr)
    return 0


# ------------------------------------------------------------------------- expectations
def _cmd_expect_update(args) -> int:
    from ssmtheory.harness import expectations, paths

    results = _results_from(args)
    exp_dir = Path(args.expected_dir).resolve() if args.expected_dir else paths.repo_root() / "tests" / "expected_claims"
    files = sorted((results / "claims").glob("*.json")) if (results / "claims").is_dir() else []
    if args.notebooks:
        stems = {p.stem for p in files}
        want = []
        for sel in args.notebooks:
            hits = [s for s in sorted(stems) if s == sel or (sel.isdigit() and s.startswith(f"{int(sel):02d}_"))]
            if not hits:
                print(f"ssmtheory expect-update: no claims for {sel!r} in {results / 'claims'}", file=sys.stderr)
                return 2
            want.extend(hits)
        files = [p for p in files if p.stem in want]
    if not files:
        print(f"ssmtheory expect-update: no claims in {results / 'claims'} (run `ssmtheory run` first)", file=sys.stderr)
        return 2
    for f in files:
        records = json.loads(f.read_text(encoding="utf-8"))
        out = exp_dir / f"{f.stem}.json"
        prev = expectations.load(out) if out.exists() else None
        try:
            doc = expectations.expectation_from_records(records, previous=prev, rtol=args.rtol, atol_frac=args.atol_frac)
        except ValueError as exc:
            print(f"ssmtheory expect-update: {f.name}: {exc}", file=sys.stderr)
            return 2
        changed = expectations.compare(records, prev) if prev else ["new file"]
        expectations.save(out, doc)
        print(f"{out}: {len(doc['claims'])} claims" + (f" ({len(changed)} changed)" if prev and changed else "")
              + ("" if prev else " (new)"))
    return 0


# ------------------------------------------------------------------------- parser
class _ParamAction(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        items = getattr(namespace, self.dest) or []
        items.append(tuple(values))
        setattr(namespace, self.dest, items)


def _add_results_dir(p, figures: str | None = None, report: bool = False) -> None:
    """``--results-dir`` (and ``--fig-dir`` / ``--report`` when asked), shared by the sub-commands."""
    p.add_argument("--results-dir", metavar="DIR", help="run folder (default: $SSMTHEORY_RESULTS_DIR or <checkout>/results)")
    if figures:
        p.add_argument("--fig-dir", metavar="DIR", help=f"{figures} (default: $SSMTHEORY_FIG_DIR or <results>/figures)")
    if report:
        p.add_argument("--report", metavar="PATH", help="report file (default: <results>/REPORT.md)")


def _add_list_command(sub) -> None:
    """The ``list`` sub-command."""
    p_list = sub.add_parser("list", help="list notebooks and their parameters",
                            description="List every NN_*.ipynb notebook with its papermill parameters, types and defaults.")
    p_list.add_argument("--notebooks-dir", metavar="DIR", help="notebook folder (default: <checkout>/notebooks)")
    p_list.set_defaults(func=_cmd_list)


def _add_run_command(sub) -> None:
    """The ``run`` sub-command."""
    p_run = sub.add_parser(
        "run",
        help="execute notebooks into the run folder (results/)",
        description=(
            "Execute notebooks with papermill into the run folder (default: $SSMTHEORY_RESULTS_DIR or "
            "<checkout>/results): executed/<nb>.ipynb, figures/, claims/<nb>.json, claims.json, timings.json "
            "(wall and JAX compile time), run.json, logs/<nb>.log and REPORT.md/.html. A notebook's earlier "
            "results are replaced only when its new claims are complete. The committed figures/ and REPORT.md "
            "change only through `ssmtheory publish`. Exit status 1 if a notebook failed or a claim is FAILED, "
            "2 for a usage error (checked before anything runs), 130 when interrupted."
        ),
        epilog="example: ssmtheory run --profile full --jobs 2 00 03   |   ssmtheory run 00 -p seed 1",
    )
    p_run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                       help="stem (00_ssm_core), two-digit prefix (00) or path; default: all (with -p: give them or --all)")
    p_run.add_argument("--all", action="store_true", help="run every notebook (needed with -p and no NOTEBOOK)")
    p_run.add_argument("--profile", choices=PROFILES, default="quick", help="parameter 'profile' passed to every notebook (default: quick)")
    p_run.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="notebooks run in parallel processes (default: 1)")
    p_run.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="per-cell execution timeout, > 0 (default: none)")
    p_run.add_argument("--notebooks-dir", metavar="DIR", help="notebook folder (default: <checkout>/notebooks)")
    _add_results_dir(p_run, figures="figure folder", report=True)
    p_run.add_argument("--progress-every", type=float, default=30.0, metavar="SECONDS", help=argparse.SUPPRESS)
    p_run.add_argument(
        "-p", "--parameter", dest="param", nargs=2, action=_ParamAction, metavar=("NAME", "VALUE"),
        help="extra notebook parameter (repeatable), typed by the notebook's annotation (int, float, str, ...) "
             "or like YAML; checked against every selected notebook before anything runs",
    )
    p_run.set_defaults(func=_cmd_run)


def _add_report_command(sub) -> None:
    """The ``report`` sub-command."""
    p_rep = sub.add_parser("report", help="rebuild the report from <results>/claims/*.json",
                           description="Rebuild REPORT.md/.html from <results>/claims/*.json (else <results>/claims.json) "
                                       "and timings.json without running anything.")
    _add_results_dir(p_rep, figures="figure folder for links", report=True)
    p_rep.add_argument("--readme", metavar="PATH", help="also regenerate the claims-table and findings blocks of this README "
                       "(between <!-- NAME:begin --> and <!-- NAME:end -->) from the same claims")
    p_rep.set_defaults(func=_cmd_report)


def _add_publish_command(sub) -> None:
    """The ``publish`` sub-command."""
    p_pub = sub.add_parser(
        "publish", help="copy a complete full-profile run into figures/, REPORT.md, docs/executed/",
        description=(
            "Publish the run in <results> as the committed gallery: figures -> <dest>/figures (stale figures of "
            "the same notebooks removed), REPORT.md and REPORT.html -> <dest>, executed notebooks (.ipynb and "
            "rendered .html) -> <dest>/docs/executed. Refused unless every notebook's last run in <results> "
            "passed at the full profile with default parameters and the notebook has not changed since."
        ),
    )
    _add_results_dir(p_pub)
    p_pub.add_argument("--dest", metavar="DIR", help="checkout to publish into (default: the checkout of the working directory)")
    p_pub.add_argument("--notebooks-dir", metavar="DIR", help="notebook folder (default: <dest>/notebooks)")
    p_pub.add_argument("--dry-run", action="store_true", help="say what would be written, write nothing")
    p_pub.set_defaults(func=_cmd_publish)


def _add_expect_update_command(sub) -> None:
    """The ``expect-update`` sub-command."""
    from ssmtheory.harness.expectations import DEFAULT_ATOL_FRAC, DEFAULT_RTOL

    p_exp = sub.add_parser(
        "expect-update", help="write tests/expected_claims/ from a quick run",
        description=(
            "Write tests/expected_claims/<notebook>.json from the quick-profile claims in <results>/claims "
            "(tolerances already in a file are kept). make test compares every notebook's claims with these files."
        ),
    )
    p_exp.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="stem or two-digit prefix; default: every claims file")
    _add_results_dir(p_exp)
    p_exp.add_argument("--expected-dir", metavar="DIR", help="default: <checkout>/tests/expected_claims")
    p_exp.add_argument("--rtol", type=float, default=DEFAULT_RTOL, help=f"relative tolerance for new claims (default {DEFAULT_RTOL:g})")
    p_exp.add_argument("--atol-frac", type=float, default=DEFAULT_ATOL_FRAC,
                       help=f"absolute tolerance for new claims as a fraction of |threshold| (default {DEFAULT_ATOL_FRAC:g})")
    p_exp.set_defaults(func=_cmd_expect_update)

def build_parser() -> argparse.ArgumentParser:
    """The ``ssmtheory`` argument parser (sub-commands ``list``, ``run``, ``report``, ``publish``, ``expect-update``)."""
    parser = argparse.ArgumentParser(
        prog="ssmtheory",
        description="Run the ssmtheory verification notebooks and build the claims report.",
        epilog=(
            "examples:\n"
            "  ssmtheory list\n"
            "  ssmtheory run                       # every notebook, quick profile -> results/\n"
            "  ssmtheory run --profile full --jobs 2 00 03\n"
            "  ssmtheory run 00_ssm_core -p seed 1\n"
            "  ssmtheory report\n"
            "  ssmtheory publish                   # a complete full-profile run -> figures/, REPORT.md"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_list_command(sub)
    _add_run_command(sub)
    _add_report_command(sub)
    _add_publish_command(sub)
    _add_expect_update_command(sub)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``ssmtheory`` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse error or --help
        return int(exc.code or 0)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

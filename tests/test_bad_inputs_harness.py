"""Bad-input suite (issue 13) for the harness: argument validation of the public functions of claims, report,
paths, plotting, expectations, runner, cli and nbstrip.  Tables as in tests/test_bad_inputs.py (machinery:
tests/_bad_inputs.py).  Every call writes into a temporary results folder (autouse fixture below)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from _bad_inputs import make_bad_input_tests

MODULES = ("harness.claims", "harness.report", "harness.paths", "harness.plotting", "harness.expectations",
           "harness.runner", "harness.cli", "harness.nbstrip")

TMP = Path(tempfile.mkdtemp(prefix="ssm_bad_inputs_harness_"))
NB_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NB = sorted(NB_DIR.glob("00_*.ipynb"))[0]
REC = {"notebook": "00_x", "paper": "core", "claim": "core.a", "kind": "theorem", "description": "d", "observed": 0.5,
       "threshold": 1.0, "op": "<=", "passed": True, "control": "c", "control_observed": 2.0, "control_passed": False,
       "expected": "pass", "reason": None, "verdict": "reproduced", "evidence": None, "figure": None, "cell": 3,
       "profile": "quick"}


def _claims():
    try:
        from ssmtheory.harness import claims
    except ImportError:  # pragma: no cover - the flat layout of the base commit (benchmarks/fuzz_tally.py)
        from ssmtheory import claims
    return claims


def _started(declare=True):
    def setup():
        c = _claims()
        c.start(notebook="bad_inputs_fuzz", paper="core", profile="quick")
        if declare:
            c.expect("core.a", kind="theorem", op="<=", threshold=1.0, control="c")
    return setup


def _fig():
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    return plt.figure()


def _ax():
    return _fig().add_subplot()


SETUP = {
    "harness.claims.expect": _started(declare=False),
    "harness.claims.check": _started(),
    "harness.claims.sanity": _started(),
    "harness.claims.finalize": _started(declare=False),
    "harness.claims.records": _started(),
    "harness.claims.declarations": _started(),
}

(TMP / "claims").mkdir(exist_ok=True)
(TMP / "claims" / "00_x.json").write_text(json.dumps([REC]))
(TMP / "expected").mkdir(exist_ok=True)
(TMP / "README.md").write_text("# r\n")
(TMP / "expected" / "00_x.json").write_text(json.dumps({"notebook": "00_x", "claims": {}}))

VALID = {
    # claims
    "harness.claims.start": (dict(notebook="bad_inputs_fuzz", paper="core", profile="quick"),
                             {"notebook": "path", "profile": "option"}),
    "harness.claims.expect": (dict(name="core.a", kind="theorem", op="<=", threshold=1.0, control="c"),
                              {"kind": "option", "op": "option", "threshold": "float"}),
    "harness.claims.check": (dict(name="core.a", observed=0.5, control_observed=2.0), {"observed": "real",
                                                                                      "control_observed": "real"}),
    "harness.claims.sanity": (dict(name="core.s", observed=0.5, threshold=1.0, op="<="),
                              {"observed": "real", "threshold": "float", "op": "option"}),
    "harness.claims.finalize": (dict(path=TMP / "claims_final.json"), {}),
    "harness.claims.records": (dict(), {}),
    "harness.claims.declarations": (dict(), {}),
    "harness.claims.load_all": (dict(results_dir=TMP), {}),
    "harness.claims.verdict_of": (dict(expected="pass", passed=True, control_passed=False, kind="theorem"),
                                  {"expected": "option", "kind": "option"}),
    # report
    "harness.report.render_report": (dict(records=[REC]), {}),
    "harness.report.write_report": (dict(records=[REC], path=TMP / "REPORT.md"), {}),
    "harness.report.render_html": (dict(records=[REC], fig_dir=TMP), {}),
    "harness.report.write_html": (dict(records=[REC], path=TMP / "REPORT.html", fig_dir=TMP), {}),
    "harness.report.summary_table": (dict(records=[REC]), {}),
    "harness.report.format_value": (dict(x=0.5), {}),
    "harness.report.headline": (dict(records=[REC]), {}),
    "harness.report.render_findings": (dict(records=[REC]), {}),
    "harness.report.update_readme": (dict(path=TMP / "README.md", records=[REC]), {}),
    # paths
    "harness.paths.project_root": (dict(start=TMP), {}),
    "harness.paths.repo_root": (dict(), {}),
    "harness.paths.results_dir": (dict(), {}),
    "harness.paths.figure_dir": (dict(), {}),
    "harness.paths.gallery_dir": (dict(), {}),
    "harness.paths.notebooks_dir": (dict(), {}),
    "harness.paths.jax_cache_dir": (dict(), {}),
    "harness.paths.jax_cache_env": (dict(cache_dir=TMP / "jaxcache"), {}),
    "harness.paths.atomic_path": (dict(path=TMP / "a.txt"), {}),
    "harness.paths.atomic_write_bytes": (dict(path=TMP / "b.bin", data=b"x"), {}),
    "harness.paths.atomic_write_text": (dict(path=TMP / "t.txt", text="x"), {}),
    # plotting
    "harness.plotting.use_style": (dict(), {}),
    "harness.plotting.save_figure": (dict(fig=_fig(), notebook="00_x", name="fig"), {"notebook": "path", "name": "path"}),
    "harness.plotting.saved_figures": (dict(), {}),
    "harness.plotting.mark_roundoff_floor": (dict(ax=_ax(), level=1e-12, axis="y"), {"level": "float", "axis": "option"}),
    # expectations
    "harness.expectations.expectation_from_records": (dict(records=[REC], rtol=1e-3, atol_frac=0.01),
                                                      {"rtol": "nnfloat", "atol_frac": "nnfloat"}),
    "harness.expectations.compare": (dict(records=[REC], expected={"claims": {}}), {}),
    "harness.expectations.load": (dict(path=TMP / "expected" / "00_x.json"), {}),
    "harness.expectations.save": (dict(path=TMP / "expected" / "00_x.json", doc={"claims": {}}), {}),
    "harness.expectations.check_notebook": (dict(stem="00_x", results_dir=TMP, expected_dir=TMP / "expected"), {}),
    # runner
    "harness.runner.run_notebooks": (dict(notebooks=[], results=TMP / "run", figs=TMP / "run" / "figures", parameters={},
                                          cwd=TMP, timeout=60, jobs=1), {"timeout": "pfloat", "jobs": "pint"}),
    "harness.runner.thread_env": (dict(parallel=2, cpus=2), {"parallel": "pint", "cpus": "pint"}),
    # cli
    "harness.cli.main": (dict(argv=["list"]), {}),
    "harness.cli.build_parser": (dict(), {}),
    "harness.cli.discover_notebooks": (dict(notebooks_dir=NB_DIR), {}),
    "harness.cli.select_notebooks": (dict(selectors=["00"], available=[NB]), {}),
    "harness.cli.parse_value": (dict(text="3"), {}),
    "harness.cli.coerce_parameter": (dict(text="3", type_name="int"), {}),
    "harness.cli.inspect_parameters": (dict(nb=NB), {}),
    "harness.cli.type_matches": (dict(value=3, type_name="int"), {}),
    "harness.cli.publish_problems": (dict(results=TMP, available=[NB]), {}),
    # nbstrip
    "harness.nbstrip.strip_notebook": (dict(nb={"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), {}),
    "harness.nbstrip.strip_text": (dict(text=NB.read_text()), {}),
}

EXEMPT = {}

ALLOWED = {
    ("harness.claims.check", "observed", "nan"): "a NaN observed is recorded as a FAILED claim (a broken computation fails the notebook)",
    ("harness.claims.check", "observed", "inf"): "an infinite observed is compared as is (e.g. an unbounded ratio) and recorded",
    ("harness.claims.check", "control_observed", "nan"): "as observed: recorded, the control counts as not passing",
    ("harness.claims.check", "control_observed", "inf"): "as observed",
    ("harness.claims.sanity", "observed", "nan"): "recorded as a FAILED sanity check",
    ("harness.claims.sanity", "observed", "inf"): "recorded (compared as is)",
    ("harness.claims.expect", "threshold", "inf"): "an infinite threshold is a legal bound (e.g. op '<' inf)",
    ("harness.claims.sanity", "threshold", "inf"): "an infinite threshold is a legal bound",
    ("harness.claims.check", "observed", "wrong rank"): "a size-1 array is a scalar",
    ("harness.claims.check", "control_observed", "wrong rank"): "a size-1 array is a scalar",
    ("harness.claims.sanity", "observed", "wrong rank"): "a size-1 array is a scalar",
    ("harness.claims.start", "profile", "None"): "profile=None: a notebook run outside the profiles (tests)",
    ("harness.runner.run_notebooks", "timeout", "inf"): "an infinite per-cell timeout is no limit (as `--timeout inf`)",
}

# Not here, by design: a missing or unwritable file raises the OSError that names it (FileNotFoundError,
# PermissionError); claims.check of an undeclared name is the deprecated legacy sanity path (DeprecationWarning);
# report.format_value formats any object; cli.coerce_parameter's message names the value and the type
# ("'abc' is not a int"), which is what `ssmtheory run -p NAME VALUE` shows.
EXTRA = [
    ("harness.claims.verdict_of", "expected", "unknown", "bogus"),
    ("harness.claims.check", "observed", "two values", np.array([0.5, 0.6])),
    ("harness.claims.start", "notebook", "empty", ""),
    ("harness.claims.load_all", "results_dir", "not a folder", TMP / "README.md"),
    ("harness.report.render_report", "records", "not a list of records", [1, 2]),
    ("harness.paths.atomic_write_text", "text", "bytes", b"x"),
    ("harness.paths.atomic_write_bytes", "data", "str", "x"),
    ("harness.expectations.compare", "expected", "not a dict", [1]),
    ("harness.expectations.save", "doc", "not a dict", [1]),
    ("harness.runner.run_notebooks", "timeout", "zero", 0),
    ("harness.runner.run_notebooks", "notebooks", "missing file", [TMP / "nope.ipynb"]),
    ("harness.runner.thread_env", "parallel", "more than cpus", 0),
    ("harness.cli.select_notebooks", "selectors", "unknown", ["99"]),
    ("harness.cli.coerce_parameter", "type_name", "not a string", 3),
    ("harness.cli.discover_notebooks", "notebooks_dir", "None", None),
    ("harness.nbstrip.strip_notebook", "nb", "not a notebook", {"cells": 3}),
    ("harness.nbstrip.strip_text", "text", "not JSON", "{"),
    ("harness.plotting.save_figure", "fig", "not a figure", None),
    ("harness.plotting.save_figure", "formats", "unknown format", ("bogus",)),
    ("harness.plotting.mark_roundoff_floor", "ax", "not an axes", None),
]


@pytest.fixture(autouse=True)
def _tmp_results(monkeypatch):
    monkeypatch.setenv("SSMTHEORY_RESULTS_DIR", str(TMP / "results"))
    monkeypatch.setenv("SSMTHEORY_FIG_DIR", str(TMP / "results" / "figures"))


(test_every_public_function_is_covered, test_valid_call_succeeds,
 test_bad_argument_is_refused_by_name, test_bad_value_is_refused) = make_bad_input_tests(
    MODULES, VALID, EXEMPT, ALLOWED, EXTRA, setup=SETUP,
    extra_names=("name", "records", "path", "text", "data", "expected", "timeout", "notebooks", "parallel", "selectors",
                 "selector", "type_name", "nb", "notebooks_dir", "fig", "formats", "ax", "x", "doc", "results_dir",
                 "observed", "notebook"))

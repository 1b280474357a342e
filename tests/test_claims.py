"""Claims harness v2: kinds, declarations, controls, verdicts, JSON output, the reports and the README blocks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ssmtheory.harness import claims, report

REQUIRED = set(claims.FIELDS)


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("SSMTHEORY_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("SSMTHEORY_FIG_DIR", str(tmp_path / "figures"))
    monkeypatch.setattr(claims, "_state", None)
    yield


@pytest.mark.parametrize(
    "observed, op, threshold, expected",
    [
        (1.0, "<=", 1.0, True), (1.0 + 1e-12, "<=", 1.0, False), (0.5, "<=", 1.0, True),
        (1.0, "<", 1.0, False), (0.999, "<", 1.0, True),
        (1.0, ">=", 1.0, True), (0.999, ">=", 1.0, False),
        (1.0, ">", 1.0, False), (1.001, ">", 1.0, True),
        (3, "==", 3, True), (3.0, "==", 3, True), (2, "==", 3, False),
        (True, "==", True, True), (np.bool_(False), "==", True, False),
        (0.1, "in", (0.1, 0.9), True), (0.9, "in", (0.1, 0.9), True), (0.5, "in", [0.1, 0.9], True),
        (0.0999, "in", (0.1, 0.9), False), (0.9001, "in", (0.1, 0.9), False), (5, "in", (1, 10), True),
    ],
)
def test_ops(observed, op, threshold, expected):
    claims.start(notebook="t", paper="core")
    assert claims.sanity("c", observed=observed, threshold=threshold, op=op) is expected
    rec = claims.records()[0]
    assert rec["passed"] is expected and rec["kind"] == "sanity"
    assert rec["verdict"] == ("sanity passed" if expected else "FAILED")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), np.float32("nan")])
def test_nonfinite_observed_fails_without_raising(bad):
    claims.start(notebook="t")
    assert claims.sanity("c", observed=bad, threshold=1.0, op="<=") is False
    assert claims.records()[0]["observed"] in ("nan", "inf", "-inf")


# the verdict table of the module docstring, exhaustively
@pytest.mark.parametrize(
    "expected, passed, control_passed, verdict",
    [
        ("pass", True, False, "reproduced"),
        ("pass", True, True, "cannot discriminate"),
        ("pass", False, False, "FAILED"),
        ("pass", False, True, "FAILED"),
        ("not reproduced", False, False, "not reproduced"),
        ("not reproduced", False, True, "not reproduced"),
        ("not reproduced", True, False, "unexpectedly reproduced"),
        ("not reproduced", True, True, "cannot discriminate"),
    ],
)
def test_verdict_table(expected, passed, control_passed, verdict):
    assert claims.verdict_of(expected, passed, control_passed, kind="theorem") == verdict
    claims.start(notebook="t")
    claims.expect("c", kind="experiment", op="<=", threshold=1.0, control="ctrl", expected=expected,
                  reason=None if expected == "pass" else "evidence: run 1")
    claims.check("c", observed=0.0 if passed else 2.0, control_observed=0.0 if control_passed else 2.0)
    r = claims.records()[0]
    assert r["verdict"] == verdict and r["control_passed"] is control_passed and r["control"] == "ctrl"


def test_verdict_of_rejects_bad_input():
    with pytest.raises(ValueError, match="kind"):
        claims.verdict_of("pass", True, False, kind="bogus")
    with pytest.raises(ValueError, match="expected"):
        claims.verdict_of("bogus", True, False)
    with pytest.raises(ValueError, match="control_passed"):
        claims.verdict_of("pass", True)
    assert claims.verdict_of("bogus", True, kind="sanity") == "sanity passed"


def test_declaration_rules():
    claims.start(notebook="t")
    with pytest.raises(ValueError, match="kind"):
        claims.expect("a", kind="sanity", op="<=", threshold=1, control="c")
    with pytest.raises(ValueError, match="control"):
        claims.expect("a", kind="theorem", op="<=", threshold=1, control="")
    with pytest.raises(ValueError, match="reason"):
        claims.expect("a", kind="theorem", op="<=", threshold=1, control="c", expected="not reproduced")
    with pytest.raises(ValueError, match="op"):
        claims.expect("a", kind="theorem", op="=<", threshold=1, control="c")
    with pytest.raises(ValueError, match="threshold"):
        claims.expect("a", kind="theorem", op="in", threshold=(2, 1), control="c")
    claims.expect("a", kind="theorem", op="<=", threshold=1, control="c")
    with pytest.raises(ValueError, match="duplicate"):
        claims.expect("a", kind="theorem", op="<=", threshold=1, control="c")
    # check must match the declaration
    with pytest.raises(ValueError, match="threshold"):
        claims.check("a", observed=0.5, threshold=2, control_observed=3)
    with pytest.raises(ValueError, match="op"):
        claims.check("a", observed=0.5, op="<", control_observed=3)
    with pytest.raises(ValueError, match="kind"):
        claims.check("a", observed=0.5, kind="experiment", control_observed=3)
    with pytest.raises(ValueError, match="control_observed"):
        claims.check("a", observed=0.5)
    with pytest.raises(ValueError, match="not declared"):
        claims.check("zzz", observed=0.5, control_observed=3)
    with pytest.raises(ValueError, match="declared as"):
        claims.sanity("a", observed=0.5, threshold=1)
    assert claims.check("a", observed=0.5, threshold=1, op="<=", kind="theorem", control_observed=3)
    with pytest.raises(ValueError, match="twice"):
        claims.check("a", observed=0.5, control_observed=3)
    with pytest.raises(ValueError, match="after the first check"):
        claims.expect("b", kind="theorem", op="<=", threshold=1, control="c")


def test_start_validates():
    with pytest.raises(ValueError, match="notebook"):
        claims.start(notebook="../../x")
    with pytest.raises(ValueError, match="notebook"):
        claims.start(notebook="")
    with pytest.raises(ValueError, match="profile must be one of"):
        claims.start(notebook="t", profile="medium")
    claims.start(notebook="t", profile="full")


def test_errors_before_start():
    with pytest.raises(RuntimeError, match="start"):
        claims.sanity("c", observed=1.0, threshold=1.0)
    with pytest.raises(RuntimeError, match="start"):
        claims.expect("c", kind="theorem", op="<=", threshold=1, control="c")
    with pytest.raises(RuntimeError, match="start"):
        claims.finalize()


def test_sanity_errors():
    claims.start(notebook="t")
    with pytest.raises(ValueError, match="op"):
        claims.sanity("c", observed=1.0, threshold=1.0, op="=<")
    with pytest.raises(ValueError, match="observed"):
        claims.sanity("c", observed=np.ones(3), threshold=1.0)
    with pytest.raises(ValueError, match="evidence"):
        claims.sanity("c", observed=1.0, threshold=1.0, evidence=[1, 2])
    claims.sanity("c", observed=1.0, threshold=1.0)
    with pytest.raises(ValueError, match="duplicate"):
        claims.sanity("c", observed=0.0, threshold=1.0)


def test_undeclared_check_is_refused_even_with_a_threshold():
    claims.start(notebook="t")
    with pytest.raises(ValueError, match="not declared"):
        claims.check("old", observed=0.1, threshold=1.0)
    assert claims.records() == []


def test_finalize_json_unchecked_and_failures(tmp_path, capsys):
    from ssmtheory import stats

    claims.start(notebook="01_demo", paper="racz-2024", profile="quick")
    claims.expect("r.ok", kind="theorem", op="<=", threshold=1.0, control="radius 1", description="gap below bound")
    claims.expect("r.nr", kind="experiment", op=">", threshold=0.0, control="c", expected="not reproduced",
                  reason="earlier run: -0.2")
    claims.expect("r.never", kind="experiment", op=">", threshold=0.0, control="c")
    inf = stats.paired_bootstrap([1.0, 2, 3, 4, 5], [0.0, 0, 1, 1, 2])
    claims.check("r.ok", observed=0.5, control_observed=np.float64(3.0), evidence=inf.record(), figure="f.png")
    claims.check("r.nr", observed=-0.2, control_observed=-1.0)
    claims.sanity("s.id", observed=1e-16, threshold=1e-12, description="identity")
    with pytest.raises(claims.ClaimFailure, match="r.never") as ei:
        claims.finalize()
    assert "declared but never checked" in str(ei.value)
    data = json.loads((tmp_path / "results" / "claims" / "01_demo.json").read_text())
    assert [r["verdict"] for r in data] == ["reproduced", "not reproduced", "sanity passed", "FAILED"]
    for r in data:
        assert set(r) == REQUIRED
    assert data[0]["evidence"]["ci"][1] == "inf" and data[0]["evidence"]["n"] == 5
    assert data[0]["figure"] == "f.png" and data[0]["paper"] == "racz-2024"
    assert "cannot" not in capsys.readouterr().out


def test_cannot_discriminate_fails_notebook():
    claims.start(notebook="t")
    claims.expect("c", kind="theorem", op="<=", threshold=1.0, control="wrong constant")
    claims.check("c", observed=0.5, control_observed=0.9)
    with pytest.raises(claims.ClaimFailure, match="cannot discriminate"):
        claims.finalize()


def test_finalize_deterministic(tmp_path):
    def run():
        claims.start(notebook="00_demo", paper="core", profile="quick")
        claims.expect("a", kind="theorem", op="in", threshold=(0, 1), control="c")
        claims.check("a", observed=0.5, control_observed=2.0)
        claims.sanity("b", observed=3, threshold=3, op="==")
        claims.finalize()
        return (tmp_path / "results" / "claims" / "00_demo.json").read_bytes()

    assert run() == run()


def test_load_all_merges(tmp_path):
    for nb, names in (("02_b", ["z", "a"]), ("00_a", ["m", "b", "c"])):
        claims.start(notebook=nb)
        for n in names:
            claims.sanity(n, observed=0.0, threshold=1.0)
        claims.finalize()
    merged = claims.load_all()
    assert [(r["notebook"], r["claim"]) for r in merged] == [
        ("00_a", "m"), ("00_a", "b"), ("00_a", "c"), ("02_b", "z"), ("02_b", "a")]
    assert claims.load_all(tmp_path / "empty") == []


# --------------------------------------------------------------------------- reports


def _synthetic():
    base = dict(description="d", profile="quick", reason=None, figure=None, expected="pass", evidence=None,
                control=None, control_observed=None, control_passed=None, cell=None)
    return [
        dict(base, notebook="03_x", paper="racz-2024", claim="racz.nr", kind="experiment", observed=0.91234,
             threshold=0.3, op="<=", passed=False, expected="not reproduced", reason="gap grows with T | see fig",
             verdict="not reproduced", control="marginal", control_observed=2.0, control_passed=False),
        dict(base, notebook="00_core", paper="core", claim="core.scan", kind="sanity", observed=3.14159e-7,
             threshold=1e-5, op="<=", passed=True, verdict="sanity passed", figure="00_core-kernels.png", cell=4),
        dict(base, notebook="03_x", paper="racz-2024", claim="racz.th", kind="theorem", observed=0.5, threshold=1.0,
             op="<=", passed=True, verdict="reproduced", control="radius 1", control_observed=3.0, control_passed=False,
             evidence={"test": "paired bootstrap", "n": 5, "ci": [0.1, 0.6], "p": 0.01, "level": 0.95}),
        dict(base, notebook="05_s", paper="synthesis", claim="s.cd", kind="experiment", observed=0.1, threshold=1.0,
             op="<=", passed=True, verdict="cannot discriminate", control="c", control_observed=0.2, control_passed=True),
    ]


def test_render_report_groups_by_paper_and_kind(tmp_path):
    recs = _synthetic()
    text = report.render_report(recs, timings={"00_core": {"seconds": 12.3, "profile": "quick", "compile_seconds": 4.0}})
    assert text.splitlines()[2].startswith("**3 paper claims** (1 theorem, 2 experiment)")
    assert "1 ✅ reproduced, 1 ⚠️ not reproduced, 1 ❌ cannot discriminate" in text
    assert "1 sanity checks (1 passed, 0 failed)" in text
    assert text.index("## core") < text.index("## racz-2024") < text.index("## synthesis")
    racz = text[text.index("## racz-2024"):text.index("## synthesis")]
    assert racz.index("### theorem claims") < racz.index("### experiment claims")
    assert "radius 1: 3" in racz and "95% CI [0.1, 0.6]" in racz and "p=0.01" in racz
    assert "gap grows with T \\| see fig" in racz and "In [4]" in text
    assert "compile seconds" in text
    p = report.write_report(recs, tmp_path / "R.md")
    assert p.read_bytes() == report.write_report(list(recs), tmp_path / "R2.md").read_bytes()


def test_summary_table_counts_kinds():
    t = report.summary_table(_synthetic()).splitlines()
    assert t[0].startswith("| paper | theorem | experiment | reproduced | not reproduced | cannot discriminate | failed |")
    rows = {line.split("|")[1].strip(): line for line in t[2:]}
    assert rows["core"].endswith("| 1/1 |") and "| 0 | 0 | 0 | 0 | 0 | 0 |" in rows["core"]
    assert rows["racz-2024"].startswith("| racz-2024 | 1 | 1 | 1 | 1 | 0 | 0 |")
    assert rows["**total**"].startswith("| **total** | 1 | 2 | 1 | 1 | 1 | 0 |")


def test_update_readme_blocks(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- claims-table:begin -->\nold\n<!-- claims-table:end -->\nmid\n"
                      "<!-- findings:begin -->\n<!-- findings:end -->\nend\n")
    assert report.update_readme(readme, _synthetic()) is True
    text = readme.read_text()
    assert "old" not in text and "| **total** |" in text and text.endswith("end\n")
    assert "control (radius 1): 3" in text and "sanity" not in text.split("<!-- findings:begin -->")[1].split("end -->")[0].split("(")[0]
    assert report.update_readme(readme, _synthetic()) is False
    readme.write_text("<!-- findings:begin -->\nno end\n")
    with pytest.raises(ValueError, match="without"):
        report.update_readme(readme, _synthetic())


def test_render_html(tmp_path):
    recs = _synthetic()
    (tmp_path / "00_core-kernels.png").write_bytes(b"\x89PNG fake")
    html = report.render_html(recs, tmp_path)
    assert "data:image/png;base64," in html and "cannot-discriminate" in html and "radius 1: 3" in html
    p = report.write_html(recs, tmp_path / "R.html", tmp_path)
    assert p.read_bytes() == report.write_html(recs, tmp_path / "R2.html", tmp_path).read_bytes()


# --------------------------------------------------------------------------- real kernel


@pytest.mark.slow
def test_cell_number_in_a_real_kernel(tmp_path):
    """The recorded cell is the In [N] that Jupyter shows, in a real ipykernel (two cells)."""
    import nbclient
    import nbformat

    out = tmp_path / "c.json"
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("from ssmtheory.harness import claims\nclaims.start(notebook='k')"),
        nbformat.v4.new_code_cell(f"claims.sanity('x', observed=0.0, threshold=1.0)\nclaims.finalize(path={str(out)!r});"),
    ]
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    assert nb.cells[1].execution_count == 2
    assert json.loads(out.read_text())[0]["cell"] == nb.cells[1].execution_count

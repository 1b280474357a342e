"""Claims registry semantics, JSON output, ClaimFailure and the Markdown report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ssmtheory import claims, report

REQUIRED = {
    "notebook", "paper", "claim", "description", "observed", "threshold", "op",
    "passed", "expected", "reason", "verdict", "figure", "profile", "cell",
}


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
    assert claims.check("c", observed=observed, threshold=threshold, op=op) is expected
    rec = claims.records()[0]
    assert rec["passed"] is expected
    assert rec["verdict"] == ("reproduced" if expected else "FAILED")
    if op == "in":
        assert isinstance(rec["threshold"], list)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), np.float32("nan")])
@pytest.mark.parametrize("op, thr", [("<=", 1.0), (">=", -1.0), ("in", (-1e300, 1e300)), ("==", 0.0)])
def test_nonfinite_observed_fails_without_raising(bad, op, thr):
    claims.start(notebook="t")
    assert claims.check("c", observed=bad, threshold=thr, op=op) is False
    obs = claims.records()[0]["observed"]
    assert obs in ("nan", "inf", "-inf")


def test_numpy_and_jax_scalars():
    import jax.numpy as jnp

    claims.start(notebook="t")
    assert claims.check("np", observed=np.float64(1e-7), threshold=1e-5)
    assert claims.check("np0d", observed=np.array(2.0), threshold=1.0, op=">")
    assert claims.check("jax", observed=jnp.asarray(0.5), threshold=(0.0, 1.0), op="in")
    assert claims.check("int", observed=np.int64(4), threshold=4, op="==")
    recs = claims.records()
    assert isinstance(recs[0]["observed"], float)
    assert recs[3]["observed"] == 4
    json.dumps(recs)


def test_errors():
    with pytest.raises(RuntimeError, match="start"):
        claims.check("c", observed=1.0, threshold=1.0)
    with pytest.raises(RuntimeError, match="start"):
        claims.finalize()
    claims.start(notebook="t")
    with pytest.raises(ValueError, match="op"):
        claims.check("c", observed=1.0, threshold=1.0, op="=<")
    with pytest.raises(ValueError, match="reason"):
        claims.check("c", observed=1.0, threshold=1.0, expected="not reproduced")
    with pytest.raises(ValueError, match="reason"):
        claims.check("c", observed=1.0, threshold=1.0, expected="not reproduced", reason="  ")
    with pytest.raises(ValueError, match="expected"):
        claims.check("c", observed=1.0, threshold=1.0, expected="xfail")
    with pytest.raises(ValueError, match="threshold"):
        claims.check("c", observed=1.0, threshold=1.0, op="in")
    with pytest.raises(ValueError, match="threshold"):
        claims.check("c", observed=1.0, threshold=(2.0, 1.0), op="in")
    with pytest.raises(ValueError, match="observed"):
        claims.check("c", observed=np.ones(3), threshold=1.0)
    claims.check("c", observed=1.0, threshold=1.0)
    with pytest.raises(ValueError, match="duplicate"):
        claims.check("c", observed=0.0, threshold=1.0)
    assert len(claims.records()) == 1


def test_start_resets():
    claims.start(notebook="a")
    claims.check("c", observed=1.0, threshold=1.0)
    claims.start(notebook="b")
    assert claims.records() == []
    claims.check("c", observed=1.0, threshold=1.0)  # same name, new notebook: fine


def test_check_prints_labels(capsys):
    claims.start(notebook="t")
    claims.check("core.scan", observed=3.1e-7, threshold=1e-5)
    claims.check("core.bad", observed=2.0, threshold=1.0)
    claims.check("x.nr", observed=2.0, threshold=1.0, expected="not reproduced", reason="r")
    claims.check("x.xp", observed=0.0, threshold=1.0, expected="not reproduced", reason="r")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "PASS   core.scan  observed=3.1e-07 <= 1e-05"
    assert out[1].startswith("FAIL ") and "core.bad" in out[1]
    assert out[2].startswith("XFAIL(not reproduced)")
    assert out[3].startswith("XPASS")


def test_finalize_writes_json_and_passes(tmp_path):
    claims.start(notebook="00_demo", paper="core", profile="quick")
    claims.check("core.a", observed=1e-7, threshold=1e-5, description="scan agrees", figure="00_demo-k.png")
    claims.check("racz.b", observed=0.9, threshold=0.3, paper="racz-2024",
                 expected="not reproduced", reason="gap grows with T")
    claims.check("racz.c", observed=0.1, threshold=0.3, paper="racz-2024",
                 expected="not reproduced", reason="expected mismatch")
    recs = claims.finalize()  # no FAILED: must not raise
    f = tmp_path / "results" / "claims" / "00_demo.json"
    data = json.loads(f.read_text())
    assert data == recs
    for r in data:
        assert set(r) == REQUIRED
        assert r["notebook"] == "00_demo" and r["profile"] == "quick"
    assert [r["verdict"] for r in data] == ["reproduced", "not reproduced", "unexpectedly reproduced"]
    assert data[0]["paper"] == "core" and data[1]["paper"] == "racz-2024"
    assert data[0]["figure"] == "00_demo-k.png" and data[1]["figure"] is None
    assert data[0]["reason"] is None and data[1]["reason"] == "gap grows with T"
    # deterministic: same claims -> same bytes
    first = f.read_bytes()
    claims.start(notebook="00_demo", paper="core", profile="quick")
    claims.check("core.a", observed=1e-7, threshold=1e-5, description="scan agrees", figure="00_demo-k.png")
    claims.check("racz.b", observed=0.9, threshold=0.3, paper="racz-2024",
                 expected="not reproduced", reason="gap grows with T")
    claims.check("racz.c", observed=0.1, threshold=0.3, paper="racz-2024",
                 expected="not reproduced", reason="expected mismatch")
    claims.finalize()
    assert f.read_bytes() == first


def test_finalize_raises_on_failed(tmp_path, capsys):
    claims.start(notebook="01_bad", paper="core")
    claims.check("ok", observed=0.0, threshold=1.0)
    claims.check("bad1", observed=2.0, threshold=1.0)
    claims.check("bad2", observed=float("nan"), threshold=(0, 1), op="in")
    with pytest.raises(claims.ClaimFailure, match="2 unexpected claim failures") as ei:
        claims.finalize()
    assert isinstance(ei.value, AssertionError)
    assert "bad1" in str(ei.value) and "bad2" in str(ei.value) and "ok (" not in str(ei.value)
    assert "observed=2" in str(ei.value)
    # JSON written before raising
    data = json.loads((tmp_path / "results" / "claims" / "01_bad.json").read_text())
    assert [r["verdict"] for r in data] == ["reproduced", "FAILED", "FAILED"]
    assert "FAILED" in capsys.readouterr().out


def test_finalize_custom_path(tmp_path):
    claims.start(notebook="x")
    claims.check("a", observed=1, threshold=1, op="==")
    p = tmp_path / "elsewhere" / "x.json"
    claims.finalize(path=p)
    assert json.loads(p.read_text())[0]["claim"] == "a"


def test_load_all_merges(tmp_path):
    for nb, names in (("02_b", ["z", "a"]), ("00_a", ["m", "b", "c"])):
        claims.start(notebook=nb)
        for n in names:
            claims.check(n, observed=0.0, threshold=1.0)
        claims.finalize()
    merged = claims.load_all()
    assert [(r["notebook"], r["claim"]) for r in merged] == [
        ("00_a", "m"), ("00_a", "b"), ("00_a", "c"), ("02_b", "z"), ("02_b", "a")]
    assert claims.load_all(tmp_path / "results") == merged
    assert claims.load_all(tmp_path / "empty") == []


# --------------------------------------------------------------------------- report


def _synthetic():
    base = dict(description="d", profile="quick", reason=None, figure=None, expected="pass")
    return [
        dict(base, notebook="03_x", paper="racz-2024", claim="racz.nr", observed=0.91234, threshold=0.3, op="<=",
             passed=False, expected="not reproduced", reason="gap grows with T | see fig", verdict="not reproduced"),
        dict(base, notebook="00_core", paper="core", claim="core.scan", observed=3.14159e-7, threshold=1e-5, op="<=",
             passed=True, verdict="reproduced", figure="00_core-kernels.png"),
        dict(base, notebook="00_core", paper="core", claim="core.bad", observed=2.0, threshold=[0.5, 1.5], op="in",
             passed=False, verdict="FAILED"),
        dict(base, notebook="09_z", paper="zzz-other", claim="z.xp", observed=True, threshold=True, op="==",
             passed=True, expected="not reproduced", reason="surprise", verdict="unexpectedly reproduced"),
        dict(base, notebook="05_s", paper="synthesis", claim="s.nan", observed="nan", threshold=1.0, op="<=",
             passed=False, verdict="FAILED"),
    ]


def test_write_report(tmp_path):
    recs = _synthetic()
    p = report.write_report(recs, tmp_path / "REPORT.md", timings={"00_core": 12.34, "03_x": {"seconds": 5.0, "profile": "quick"}})
    text = p.read_text(encoding="utf-8")
    for r in recs:
        assert f"`{r['claim']}`" in text
    assert "| claim | what | observed | threshold | verdict | figure |" in text
    assert "✅ reproduced" in text and "❌ FAILED" in text and "⚠️ not reproduced" in text and "❔ unexpectedly reproduced" in text
    assert "[png](figures/00_core-kernels.png)" in text
    assert "| 3.14e-07 | <= 1e-05 |" in text
    assert "in [0.5, 1.5]" in text
    assert "0.912" in text
    assert "gap grows with T \\| see fig" in text  # footnote, pipe escaped
    assert "Notebook `00_core` (profile: quick)" in text
    assert "## Runtimes" in text and "12.3" in text
    # section order: core, racz-2024, synthesis, then others
    idx = [text.index(f"## {p}") for p in ("core", "racz-2024", "synthesis", "zzz-other")]
    assert idx == sorted(idx)
    assert text.splitlines()[0].startswith("# ")
    assert "**5 claims**" in text
    # deterministic
    p2 = report.write_report(list(recs), tmp_path / "R2.md", timings={"00_core": 12.34, "03_x": {"seconds": 5.0, "profile": "quick"}})
    assert p.read_bytes() == p2.read_bytes()
    p3 = report.write_report(recs, tmp_path / "R3.md", figures_rel="../figs")
    assert "[png](../figs/00_core-kernels.png)" in p3.read_text(encoding="utf-8")


def test_summary_table():
    t = report.summary_table(_synthetic())
    lines = t.strip().splitlines()
    assert lines[0].startswith("| paper | claims | reproduced | not reproduced | failed |")
    assert lines[2].startswith("| core | 2 | 1 | 0 | 1 |")
    assert lines[-1].startswith("| **total** | 5 | 1 | 1 | 2 |")
    assert report.summary_table(_synthetic()[:2]).splitlines()[0] == "| paper | claims | reproduced | not reproduced | failed |"


def test_infinite_threshold_is_json_safe(tmp_path):
    claims.start(notebook="inf")
    assert claims.check("a", observed=5.0, threshold=(0.0, float("inf")), op="in")
    assert claims.check("b", observed=5.0, threshold=-float("inf"), op=">")
    recs = claims.finalize()
    assert recs[0]["threshold"] == [0.0, "inf"] and recs[1]["threshold"] == "-inf"
    report.write_report(recs, tmp_path / "R.md")
    assert "in [0, inf]" in (tmp_path / "R.md").read_text(encoding="utf-8")


def test_cell_is_none_outside_ipython_and_html_report(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    from ssmtheory import report

    monkeypatch.setenv("SSMTHEORY_RESULTS_DIR", str(tmp_path / "res"))
    claims.start(notebook="99_x", paper="core")
    claims.check("core.a", 1.0, 2.0, figure="99_x-f.png")
    recs = claims.records()
    assert recs[0]["cell"] is None
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    fig.savefig(tmp_path / "99_x-f.png")
    html = report.render_html(recs + [dict(recs[0], claim="core.b", figure="missing.png")], tmp_path)
    assert html.count("data:image/png;base64,") == 1 and "core.a" in html and "missing.png not found" in html
    p = report.write_html(recs, tmp_path / "R.html", tmp_path)
    assert p.read_bytes() == report.write_html(recs, tmp_path / "R2.html", tmp_path).read_bytes()

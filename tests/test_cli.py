"""The ``ssmtheory`` CLI on two tiny notebooks (one passing, one with a failing claim)."""

from __future__ import annotations

import json

import nbformat
import pytest

from ssmtheory import cli

PASS_SRC = """\
from ssmtheory import claims
claims.start(notebook="00_pass", paper="core", profile=profile)
claims.check("core.one", observed=1.0, threshold=2.0, op="<=", description="one is small")
claims.check("core.n", observed=n, threshold=n_expected, op="==", description="parameter typed")
claims.finalize()
"""

FAIL_SRC = """\
from ssmtheory import claims
claims.start(notebook="01_fail", paper="racz-2024", profile=profile)
claims.check("racz.ok", observed=0.0, threshold=1.0, op="<=")
claims.check("racz.bad", observed=3.0, threshold=2.0, op="<=", description="must fail")
claims.finalize()
"""


def _notebook(path, params, body):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))


@pytest.fixture
def tree(tmp_path, monkeypatch):
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    _notebook(nbdir / "00_pass.ipynb", 'profile = "quick"\nn = 1\nn_expected = 1', PASS_SRC)
    _notebook(nbdir / "01_fail.ipynb", 'profile = "quick"', FAIL_SRC)
    (nbdir / "helper.ipynb").write_text("{}")  # not NN_*: ignored
    monkeypatch.setenv("SSMTHEORY_RESULTS_DIR", str(tmp_path / "env_results"))
    monkeypatch.setenv("SSMTHEORY_FIG_DIR", str(tmp_path / "env_figs"))
    res, figs, rep = tmp_path / "results", tmp_path / "figures", tmp_path / "REPORT.md"
    args = ["--notebooks-dir", str(nbdir), "--results-dir", str(res), "--fig-dir", str(figs), "--report", str(rep)]
    return {"nbdir": nbdir, "res": res, "figs": figs, "rep": rep, "args": args}


def test_parse_value():
    assert cli.parse_value("3") == 3
    assert cli.parse_value("1e-5") == 1e-5
    assert cli.parse_value("0.5") == 0.5
    assert cli.parse_value("true") is True
    assert cli.parse_value("[1, 2]") == [1, 2]
    assert cli.parse_value("full") == "full"
    assert cli.parse_value("a: [") == "a: ["


def test_select_notebooks(tmp_path):
    avail = [tmp_path / "00_a.ipynb", tmp_path / "01_b.ipynb", tmp_path / "10_c.ipynb"]
    assert cli.select_notebooks([], avail) == avail
    assert cli.select_notebooks(["01"], avail) == [avail[1]]
    assert cli.select_notebooks(["1"], avail) == [avail[1]]
    assert cli.select_notebooks(["10_c", "00"], avail) == [avail[2], avail[0]]
    assert cli.select_notebooks([str(avail[0])], avail) == [avail[0]]
    with pytest.raises(cli.SelectorError):
        cli.select_notebooks(["99"], avail)


def test_help(capsys):
    assert cli.main(["--help"]) == 0
    assert "run" in capsys.readouterr().out
    assert cli.main(["run", "--help"]) == 0
    assert "--profile" in capsys.readouterr().out
    assert cli.main([]) == 2


@pytest.mark.notebooks
def test_list(tree, capsys):
    assert cli.main(["list", "--notebooks-dir", str(tree["nbdir"])]) == 0
    out = capsys.readouterr().out
    assert "00_pass" in out and "01_fail" in out and "helper" not in out
    assert "profile = \"quick\"" in out or "profile = 'quick'" in out
    assert "n_expected = 1" in out


@pytest.mark.notebooks
def test_unknown_selector(tree, capsys):
    assert cli.main(["run", *tree["args"], "07"]) == 2
    err = capsys.readouterr().err
    assert "07" in err and "00_pass" in err
    assert not (tree["res"] / "executed").exists() or not any((tree["res"] / "executed").iterdir())


def _check_full_run(tree, out, err):
    res = tree["res"]
    assert (res / "executed" / "00_pass.ipynb").exists() and (res / "executed" / "01_fail.ipynb").exists()
    records = json.loads((res / "claims.json").read_text())
    by = {r["claim"]: r for r in records}
    assert by["core.one"]["verdict"] == "reproduced" and by["core.one"]["profile"] == "quick"
    assert by["racz.bad"]["verdict"] == "FAILED"  # finalize writes before raising
    assert isinstance(by["core.one"]["cell"], int) and by["core.one"]["cell"] >= 1  # In [N] of the checking cell
    html = tree["rep"].with_suffix(".html").read_text(encoding="utf-8")
    assert "core.one" in html and "racz.bad" in html
    assert [r["notebook"] for r in records] == ["00_pass", "00_pass", "01_fail", "01_fail"]
    timings = json.loads((res / "timings.json").read_text())
    assert set(timings) == {"00_pass", "01_fail"} and timings["00_pass"]["profile"] == "quick"
    text = tree["rep"].read_text(encoding="utf-8")
    assert "`core.one`" in text and "`racz.bad`" in text and "❌ FAILED" in text and "01_fail" in text
    assert "ok (" in out and "00_pass" in out
    assert "01_fail ... FAILED" in err and "ClaimFailure" in err and "racz.bad" in err
    assert "| **total** | 4 | 3 | 0 | 1 |" in out
    # nothing went to the env-var dirs (the CLI overrides them) and the env is restored
    assert not (tree["res"].parent / "env_results" / "claims").exists()


@pytest.mark.notebooks
def test_run_all_sequential_then_report(tree, capsys):
    assert cli.main(["run", *tree["args"]]) == 1
    cap = capsys.readouterr()
    _check_full_run(tree, cap.out, cap.err)
    assert "[1/2] 00_pass ... ok (" in cap.out
    # rebuild the report from claims.json
    tree["rep"].unlink()
    assert cli.main(["report", "--results-dir", str(tree["res"]), "--fig-dir", str(tree["figs"]),
                     "--report", str(tree["rep"])]) == 0
    assert "`racz.bad`" in tree["rep"].read_text(encoding="utf-8")


@pytest.mark.notebooks
def test_run_parallel(tree, capsys):
    assert cli.main(["run", "--jobs", "2", *tree["args"]]) == 1
    cap = capsys.readouterr()
    _check_full_run(tree, cap.out, cap.err)


@pytest.mark.notebooks
def test_run_selector_and_parameter(tree, capsys):
    rc = cli.main(["run", *tree["args"], "--profile", "full", "-p", "n", "3", "-p", "n_expected", "3", "00"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    assert not (tree["res"] / "executed" / "01_fail.ipynb").exists()
    records = json.loads((tree["res"] / "claims.json").read_text())
    assert {r["notebook"] for r in records} == {"00_pass"}
    assert all(r["profile"] == "full" for r in records)
    assert next(r for r in records if r["claim"] == "core.n")["observed"] == 3
    assert "[1/1] 00_pass ... ok" in cap.out

"""The ``ssmtheory`` CLI without executing notebooks: selectors, typed parameters, usage errors
(checked before anything runs), publish and expect-update.  End-to-end runs are in test_runner.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from ssmtheory.harness import cli

REPO = Path(__file__).resolve().parent.parent


def _notebook(path, params, body="pass"):
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
    _notebook(nbdir / "00_a.ipynb", 'from typing import Optional\nprofile: str = "quick"  # quick or full\nseed: int = 0\n'
                                    'n_seeds: Optional[int] = None  # from the profile\nlr: float = 0.1\ntag = "x"')
    _notebook(nbdir / "01_b.ipynb", 'profile: str = "quick"\nseed: int = 0\nn_seeds: int | None = None')
    (nbdir / "helper.ipynb").write_text("{}")  # not NN_*: ignored
    monkeypatch.setenv("SSMTHEORY_RESULTS_DIR", str(tmp_path / "env_results"))
    monkeypatch.delenv("SSMTHEORY_FIG_DIR", raising=False)
    res = tmp_path / "results"
    return {"nbdir": nbdir, "res": res, "tmp": tmp_path, "args": ["--notebooks-dir", str(nbdir), "--results-dir", str(res)]}


def test_parse_value():
    assert cli.parse_value("3") == 3
    assert cli.parse_value("1e-5") == 1e-5
    assert cli.parse_value("0.5") == 0.5
    assert cli.parse_value("true") is True
    assert cli.parse_value("[1, 2]") == [1, 2]
    assert cli.parse_value("full") == "full"
    assert cli.parse_value("a: [") == "a: ["


@pytest.mark.parametrize(
    "text, typ, value",
    [("00", "int", 0), ("00", "str", "00"), ("3", "float", 3.0), ("3", "Optional[int]", 3), ("None", "int | None", None),
     ("null", "Optional[int]", None), ("[1, 2]", "list[int] | None", [1, 2]), ("true", "bool", True),
     ("7", "None", 7), ("abc", "None", "abc"), ("x", "Literal['x', 'y']", "x"), ("1e-3", "float", 1e-3)],
)
def test_coerce_parameter(text, typ, value):
    got = cli.coerce_parameter(text, typ)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("text, typ", [("x", "int"), ("1.5", "int"), ("true", "int"), ("abc", "Optional[float]"),
                                       ("z", "Literal['x', 'y']"), ("1", "bool"), ("[1]", "dict")])
def test_coerce_parameter_refuses(text, typ):
    with pytest.raises(ValueError):
        cli.coerce_parameter(text, typ)


def test_inspect_parameters_types_and_help(tree):
    p = cli.inspect_parameters(tree["nbdir"] / "00_a.ipynb")
    assert list(p) == ["profile", "seed", "n_seeds", "lr", "tag"]
    assert p["n_seeds"]["inferred_type_name"] == "Optional[int]" and p["n_seeds"]["help"] == "from the profile"
    assert p["profile"]["default"] == '"quick"' and p["tag"]["inferred_type_name"] == "None"
    q = cli.inspect_parameters(tree["nbdir"] / "01_b.ipynb")
    assert q["n_seeds"]["inferred_type_name"] == "int | None"  # papermill 2.7 misses this form; we do not


def test_select_notebooks(tmp_path):
    avail = [tmp_path / "00_a.ipynb", tmp_path / "01_b.ipynb", tmp_path / "10_c.ipynb"]
    assert cli.select_notebooks([], avail) == avail
    assert cli.select_notebooks(["01"], avail) == [avail[1]]
    assert cli.select_notebooks(["1"], avail) == [avail[1]]
    assert cli.select_notebooks(["10_c", "00"], avail) == [avail[2], avail[0]]
    assert cli.select_notebooks([str(avail[0])], avail) == [avail[0]]
    with pytest.raises(cli.SelectorError):
        cli.select_notebooks(["99"], avail)


def test_help_and_its_examples_are_valid(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "run" in out and "publish" in out
    assert cli.main(["run", "--help"]) == 0
    assert "--profile" in capsys.readouterr().out
    assert cli.main([]) == 2
    # every `ssmtheory run ...` example parses, passes the pre-run checks and selects existing notebooks
    available = cli.discover_notebooks(REPO / "notebooks")
    examples = [ln.strip().split("#")[0].split() for ln in cli.build_parser().epilog.splitlines() if "ssmtheory run" in ln]
    assert examples
    for ex in examples:
        args = cli.build_parser().parse_args(ex[1:])
        cli._run_problems(args)
        assert cli.select_notebooks(args.notebooks, available)


def test_list(tree, capsys):
    assert cli.main(["list", "--notebooks-dir", str(tree["nbdir"])]) == 0
    out = capsys.readouterr().out
    assert "00_a" in out and "01_b" in out and "helper" not in out
    assert 'profile: str = "quick"  # quick or full' in out and "n_seeds: int | None = None" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["-p", "seed", "00"], "no notebook"),  # '00' is the value of seed, not a selector
        (["--timeout", "0", "00"], "--timeout must be > 0"),
        (["--timeout", "-5", "00"], "--timeout must be > 0"),
        (["--jobs", "0", "00"], "--jobs must be >= 1"),
        (["07"], "unknown notebook '07'"),
        (["-p", "nope", "1", "00"], "has no parameter 'nope'"),
        (["-p", "seed", "abc", "00"], "declares seed: int"),
        (["-p", "n_seeds", "2.5", "--all"], "n_seeds"),
        (["-p", "profile", "medium", "00"], "use --profile"),
        (["-p", "lr", "0.5", "--all"], "01_b has no parameter 'lr'"),
        (["--all", "00"], "exclusive"),
    ],
)
def test_usage_errors_before_anything_runs(tree, capsys, argv, message):
    assert cli.main(["run", *tree["args"], *argv]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert not tree["res"].exists() or not (tree["res"] / "executed").exists()


def test_profile_choices(tree, capsys):
    assert cli.main(["run", *tree["args"], "--profile", "medium", "00"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_unwritable_outputs_refused_before_running(tree, capsys):
    blocker = tree["tmp"] / "afile"
    blocker.write_text("x")
    assert cli.main(["run", "--notebooks-dir", str(tree["nbdir"]), "--results-dir", str(blocker / "sub"), "00"]) == 2
    assert "not writable" in capsys.readouterr().err
    assert cli.main(["run", *tree["args"], "--report", str(blocker / "R.md"), "00"]) == 2
    assert "not writable" in capsys.readouterr().err
    (tree["tmp"] / "adir").mkdir()
    assert cli.main(["run", *tree["args"], "--report", str(tree["tmp"] / "adir"), "00"]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert cli.main(["run", *tree["args"], "--fig-dir", str(blocker / "figs"), "00"]) == 2
    assert "figure folder" in capsys.readouterr().err
    assert not (tree["res"] / "executed").exists()


def test_validate_parameters_types(tree):
    sel = [tree["nbdir"] / "00_a.ipynb", tree["nbdir"] / "01_b.ipynb"]
    got = cli._validate_parameters([("seed", "00"), ("n_seeds", "7")], sel, "full")
    assert got == {"profile": "full", "seed": 0, "n_seeds": 7}
    assert cli._validate_parameters([("tag", "00")], sel[:1], "quick")["tag"] == 0  # untyped: YAML


# ------------------------------------------------------------------------- publish
def _fake_run(tree, profile="full", params=None, status="ok", figures=("00_a-x.png",)):
    res = tree["res"]
    (res / "claims").mkdir(parents=True, exist_ok=True)
    (res / "figures").mkdir(parents=True, exist_ok=True)
    (res / "executed").mkdir(parents=True, exist_ok=True)
    nbs = {}
    for nb in cli.discover_notebooks(tree["nbdir"]):
        rec = {"notebook": nb.stem, "paper": "core", "claim": f"core.{nb.stem}", "observed": 1.0, "threshold": 2.0,
               "op": "<=", "verdict": "reproduced", "profile": profile, "kind": "sanity", "description": ""}
        (res / "claims" / f"{nb.stem}.json").write_text(json.dumps([rec]))
        figs = [f for f in figures if f.startswith(nb.stem)]
        for f in figs:
            (res / "figures" / f).write_bytes(b"new " + f.encode())
        nbformat.write(nbformat.read(str(nb), as_version=4), str(res / "executed" / f"{nb.stem}.ipynb"))
        nbs[nb.stem] = {"status": status, "profile": profile, "parameters": params or {"profile": profile},
                        "notebook_sha256": cli._sha256(nb), "figures": figs, "fig_dir": str(res / "figures")}
    (res / "run.json").write_text(json.dumps({"notebooks": nbs}))


def test_publish_refuses_incomplete_runs(tree, capsys):
    args = ["publish", "--results-dir", str(tree["res"]), "--dest", str(tree["tmp"]), "--notebooks-dir", str(tree["nbdir"])]
    assert cli.main(args) == 2
    assert "00_a: not run in" in capsys.readouterr().err
    _fake_run(tree, profile="quick")
    assert cli.main(args) == 2
    assert "not 'full'" in capsys.readouterr().err
    _fake_run(tree, params={"profile": "full", "seed": 3})
    assert cli.main(args) == 2
    assert "non-default parameters" in capsys.readouterr().err
    _fake_run(tree, status="failed")
    assert cli.main(args) == 2
    assert "last run failed" in capsys.readouterr().err
    _fake_run(tree)
    (tree["res"] / "claims" / "01_b.json").unlink()
    assert cli.main(args) == 2
    assert "01_b: no claims" in capsys.readouterr().err
    _fake_run(tree)
    _notebook(tree["nbdir"] / "01_b.ipynb", 'profile: str = "quick"\nseed: int = 1')
    assert cli.main(args) == 2
    assert "changed since it ran" in capsys.readouterr().err
    assert not (tree["tmp"] / "REPORT.md").exists() and not (tree["tmp"] / "figures").exists()


def test_publish_complete_full_run(tree, capsys):
    dest = tree["tmp"]
    gallery = dest / "figures"
    gallery.mkdir()
    (gallery / "00_a-old.png").write_bytes(b"stale")
    (gallery / "99_other-keep.png").write_bytes(b"other")
    _fake_run(tree)
    args = ["publish", "--results-dir", str(tree["res"]), "--dest", str(dest), "--notebooks-dir", str(tree["nbdir"])]
    assert cli.main([*args, "--dry-run"]) == 0
    assert "00_a-x.png" in capsys.readouterr().out and not (dest / "REPORT.md").exists()
    assert cli.main(args) == 0, capsys.readouterr().err
    assert (gallery / "00_a-x.png").read_bytes() == b"new 00_a-x.png"
    assert not (gallery / "00_a-old.png").exists() and (gallery / "99_other-keep.png").exists()
    text = (dest / "REPORT.md").read_text()
    assert "core.00_a" in text and "core.01_b" in text
    assert (dest / "REPORT.html").exists()
    assert (dest / "docs" / "executed" / "00_a.ipynb").exists()


def test_publish_from_plain_papermill_outputs(tree, capsys):
    """SSMTHEORY_RESULTS_DIR=<results> papermill ... <results>/executed/NN.ipynb -p profile full, no run.json."""
    _fake_run(tree)
    (tree["res"] / "run.json").unlink()
    for nb in cli.discover_notebooks(tree["nbdir"]):
        ex = tree["res"] / "executed" / f"{nb.stem}.ipynb"
        book = nbformat.read(str(ex), as_version=4)
        inj = nbformat.v4.new_code_cell('profile = "full"')
        inj.metadata["tags"] = ["injected-parameters"]
        book.cells.insert(1, inj)
        book.metadata["papermill"] = {"parameters": {"profile": "full"}, "exception": None, "end_time": "2026-01-01"}
        nbformat.write(book, str(ex))
    args = ["publish", "--results-dir", str(tree["res"]), "--dest", str(tree["tmp"]), "--notebooks-dir", str(tree["nbdir"])]
    assert cli.main(args) == 0, capsys.readouterr().err
    assert (tree["tmp"] / "figures" / "00_a-x.png").exists()
    published = nbformat.read(str(tree["tmp"] / "docs" / "executed" / "00_a.ipynb"), as_version=4)
    assert "jupytext" not in published.metadata  # the copy is not paired with a .py
    ex = tree["res"] / "executed" / "01_b.ipynb"
    book = nbformat.read(str(ex), as_version=4)
    book.metadata["papermill"]["exception"] = True
    nbformat.write(book, str(ex))
    assert cli.main(args) == 2
    assert "01_b: last run failed" in capsys.readouterr().err


# ------------------------------------------------------------------------- expect-update
def test_expect_update(tree, capsys):
    res = tree["res"]
    (res / "claims").mkdir(parents=True)
    rec = {"notebook": "00_a", "claim": "core.x", "observed": 0.5, "threshold": 1.0, "op": "<=",
           "verdict": "reproduced", "profile": "quick"}
    (res / "claims" / "00_a.json").write_text(json.dumps([rec]))
    exp = tree["tmp"] / "expected"
    assert cli.main(["expect-update", "--results-dir", str(res), "--expected-dir", str(exp)]) == 0
    doc = json.loads((exp / "00_a.json").read_text())
    assert doc["claims"]["core.x"]["observed"] == 0.5 and doc["claims"]["core.x"]["atol"] == pytest.approx(0.01)
    doc["claims"]["core.x"]["rtol"] = 0.2  # a hand-tuned tolerance survives regeneration
    (exp / "00_a.json").write_text(json.dumps(doc))
    assert cli.main(["expect-update", "00", "--results-dir", str(res), "--expected-dir", str(exp)]) == 0
    assert json.loads((exp / "00_a.json").read_text())["claims"]["core.x"]["rtol"] == 0.2
    rec["profile"] = "full"
    (res / "claims" / "00_a.json").write_text(json.dumps([rec]))
    assert cli.main(["expect-update", "--results-dir", str(res), "--expected-dir", str(exp)]) == 2
    assert "quick profile" in capsys.readouterr().err
    assert cli.main(["expect-update", "05", "--results-dir", str(res), "--expected-dir", str(exp)]) == 2


def test_report_rebuild(tree, capsys):
    res = tree["res"]
    (res / "claims").mkdir(parents=True)
    rec = {"notebook": "00_a", "paper": "core", "claim": "core.x", "observed": 0.5, "threshold": 1.0, "op": "<=",
           "verdict": "reproduced", "profile": "quick", "kind": "sanity", "description": ""}
    (res / "claims" / "00_a.json").write_text(json.dumps([rec]))
    assert cli.main(["report", "--results-dir", str(res)]) == 0
    assert "core.x" in (res / "REPORT.md").read_text() and (res / "REPORT.html").exists()
    assert not list(res.glob(".REPORT*.tmp"))
    assert cli.main(["report", "--results-dir", str(tree["tmp"] / "nothing")]) == 2
    # a stale aggregate (written by an earlier `ssmtheory run`) never hides a notebook re-run since
    (res / "claims.json").write_text(json.dumps([dict(rec, claim="core.stale")]))
    assert cli.main(["report", "--results-dir", str(res)]) == 0
    text = (res / "REPORT.md").read_text()
    assert "core.x" in text and "core.stale" not in text
    os.chmod(res, 0o755)


def test_report_readme_blocks_regenerated(tmp_path):
    """`ssmtheory report --readme` fills the README's generated blocks from the claims (issue 11)."""
    import json as _json

    from ssmtheory.harness import cli

    res = tmp_path / "res"
    (res / "claims").mkdir(parents=True)
    rec = dict(notebook="01_x", paper="racz-2024", claim="racz.a", kind="theorem", description="d", observed=0.5,
               threshold=1.0, op="<=", passed=True, control="c", control_observed=2.0, control_passed=False,
               expected="pass", reason=None, verdict="reproduced", evidence=None, figure=None, profile="full", cell=3)
    (res / "claims" / "01_x.json").write_text(_json.dumps([rec]))
    readme = tmp_path / "README.md"
    readme.write_text("<!-- findings:begin -->\n<!-- findings:end -->\n<!-- claims-table:begin -->\n<!-- claims-table:end -->\n")
    rc = cli.main(["report", "--results-dir", str(res), "--report", str(tmp_path / "R.md"), "--readme", str(readme)])
    assert rc == 0
    text = readme.read_text()
    assert "racz.a" in text and "| **total** | 1 | 0 | 1 |" in text


def test_publish_takes_the_current_prose_but_never_the_code(tree, capsys):
    """The executed copy keeps its code and outputs; its markdown is the committed notebook's (findings written
    after the run), and a notebook whose cell layout changed keeps its own markdown."""
    _fake_run(tree)
    nbs = cli.discover_notebooks(tree["nbdir"])
    src = nbs[0]
    book = nbformat.read(str(src), as_version=4)
    book.cells.insert(0, nbformat.v4.new_markdown_cell("# Findings written after the run"))
    nbformat.write(book, str(src))
    ex = tree["res"] / "executed" / f"{src.stem}.ipynb"
    run = nbformat.read(str(ex), as_version=4)
    run.cells.insert(0, nbformat.v4.new_markdown_cell("# old prose"))
    run.cells[1].outputs = [nbformat.v4.new_output("stream", text="computed\n")]
    nbformat.write(run, str(ex))
    args = ["publish", "--results-dir", str(tree["res"]), "--dest", str(tree["tmp"]), "--notebooks-dir", str(tree["nbdir"])]
    assert cli.main(args) == 0, capsys.readouterr().err
    pub = nbformat.read(str(tree["tmp"] / "docs" / "executed" / f"{src.stem}.ipynb"), as_version=4)
    assert pub.cells[0].source == "# Findings written after the run"
    assert pub.cells[1].outputs[0]["text"] == "computed\n" and pub.cells[1].source == run.cells[1].source
    run.cells.insert(0, nbformat.v4.new_markdown_cell("# an extra cell"))
    assert cli._with_current_prose(run, src).cells[0].source == "# an extra cell"

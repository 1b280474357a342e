"""Packaging facts that drift silently: bounds, environment.yml, constraints, LICENSE/CITATION, Makefile, nbstrip."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from ssmtheory.harness import nbstrip

ROOT = Path(__file__).resolve().parent.parent

try:
    import tomllib
except ImportError:  # pragma: no cover - Python < 3.11 is not supported anyway
    tomllib = None

_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(>=\s*([0-9][0-9A-Za-z.]*))?")
CONDA_NAMES = {"matplotlib": "matplotlib-base", "seaborn": "seaborn-base"}


def _pyproject():
    if tomllib is None:
        pytest.skip("tomllib needs Python >= 3.11")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _bounds(reqs):
    out = {}
    for r in reqs:
        m = _REQ.match(r)
        assert m, r
        out[m.group(1).lower()] = m.group(4)
    return out


def _runtime_and_dev():
    proj = _pyproject()["project"]
    deps = _bounds(proj["dependencies"])
    dev = _bounds(proj["optional-dependencies"]["dev"])
    return deps, dev


def test_pyproject_license_and_bounds():
    proj = _pyproject()
    assert proj["project"]["license"] == "MIT"  # PEP 639 string: no setuptools deprecation warning
    assert "LICENSE" in proj["project"]["license-files"]
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert any(r.startswith("setuptools>=77") for r in proj["build-system"]["requires"])
    deps, _ = _runtime_and_dev()
    assert deps["jax"] == "0.10.1"  # eig(..., enable_eigvec_derivs=True) first appears in jax 0.10.1
    assert proj["project"]["requires-python"] == ">=3.11"  # jax 0.10 requires it
    for name, lo in deps.items():
        assert lo, f"{name} has no lower bound"


def _release(v: str):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


def test_constraints_pin_the_lower_bounds():
    deps, dev = _runtime_and_dev()
    pins = {}
    for line in (ROOT / "constraints" / "minimum.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, ver = line.split("==")
            pins[name.strip().lower()] = ver.strip()
    for name, lo in {**deps, **dev}.items():
        assert name in pins, f"constraints/minimum.txt does not pin {name}"
        lo_t, pin_t = _release(lo), _release(pins[name])
        assert pin_t[: len(lo_t)] == lo_t, f"{name}: pyproject says >={lo}, the constraints test {pins[name]}"
    assert pins["jaxlib"] == pins["jax"]


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda, pip = {}, {}
    for d in env["dependencies"]:
        if isinstance(d, dict):
            for r in d["pip"]:
                if not r.startswith("-e"):
                    pip.update(_bounds([r]))
        else:
            m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(>=\s*([0-9][0-9A-Za-z.]*))?", d)
            conda[m.group(1).lower()] = m.group(3)
    assert "matplotlib" not in conda and "matplotlib-base" in conda  # no Qt
    deps, dev = _runtime_and_dev()
    for name, lo in {**deps, **dev}.items():
        cname = CONDA_NAMES.get(name, name)
        got = conda.get(cname, pip.get(name))
        assert got is not None, f"environment.yml lacks {cname}"
        assert got == lo, f"environment.yml: {cname}>={got}, pyproject: {name}>={lo}"
    assert conda["python"] == _pyproject()["project"]["requires-python"].lstrip(">=")


def test_citation_cff():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"].startswith("1.2") and cff["license"] == "MIT"
    assert cff["version"] == _pyproject()["project"]["version"]
    assert cff["title"] and cff["authors"] and len(cff["references"]) == 5


def test_jupytext_configuration():
    from jupytext.config import find_jupytext_configuration_file, load_jupytext_configuration_file

    f = find_jupytext_configuration_file(str(ROOT / "notebooks"))
    assert f and Path(f).name == "pyproject.toml"
    cfg = load_jupytext_configuration_file(f)
    assert "py:percent" in str(cfg.formats) and "ipynb" in str(cfg.formats)


def _make_n(*args):
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    r = subprocess.run(["make", "-n", "-C", str(ROOT), *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout.replace("\\\n", " ")


def test_make_lab_headless_and_root_only_when_asked():
    out = _make_n("lab")
    lab = [ln for ln in out.splitlines() if "jupyter lab" in ln][0]
    assert "--no-browser" in lab and "--ip=127.0.0.1" in lab and "--port=8888" in lab
    assert f"--ServerApp.root_dir=\"{ROOT}\"" in lab or f"--ServerApp.root_dir={ROOT}" in lab
    assert "--allow-root" not in lab
    lab = [ln for ln in _make_n("lab", "LAB_ALLOW_ROOT=1", "LAB_IP=0.0.0.0", "LAB_PORT=9999").splitlines() if "jupyter lab" in ln][0]
    assert "--allow-root" in lab and "--ip=0.0.0.0" in lab and "--port=9999" in lab
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    lab_recipe = text.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "pip install" not in lab_recipe  # installs once, through its stamp


def test_make_targets():
    assert "jupytext --to ipynb --update" in _make_n("notebooks")
    assert "ssmtheory publish" in _make_n("publish")
    assert "--profile quick" in _make_n("run")
    assert "JAX_PLATFORMS=cuda" in _make_n("test-gpu")
    assert "constraints/minimum.txt" in (ROOT / "Makefile").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def _lab_save(nb: dict) -> str:
    """What JupyterLab writes after Run All + Save: outputs, counts, execution metadata, language_info."""
    node = nbformat.from_dict(json.loads(json.dumps(nb)))
    for i, c in enumerate(node.cells, 1):
        if c.cell_type == "code":
            c.execution_count = i
            c.outputs = [nbformat.v4.new_output("stream", name="stdout", text="PASS  x\n"),
                         nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]
            c.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00.000Z"}
            c.metadata["scrolled"] = True
    node.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    return nbformat.writes(node)


@pytest.mark.parametrize("ipynb", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_nbstrip_undoes_a_lab_save(ipynb):
    committed = subprocess.run(["git", "-C", str(ROOT), "show", f"HEAD:notebooks/{ipynb.name}"],
                               capture_output=True, text=True)
    if committed.returncode != 0:
        pytest.skip("not committed yet")
    text = committed.stdout
    assert nbstrip.strip_text(text) == text  # the filter is the identity on what jupytext writes
    saved = _lab_save(json.loads(text))
    assert '"output_type"' in saved and '"language_info"' in saved
    assert nbstrip.strip_text(saved) == text


def test_git_filter_strips_on_commit(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / ".gitattributes", repo / ".gitattributes")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", id="abc")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    stripped = nbstrip.strip_text(nbformat.writes(nb))
    (repo / "notebooks" / "00_x.ipynb").write_text(stripped)

    def git(*a):
        return subprocess.run(["git", "-C", str(repo), *a], capture_output=True, text=True, check=True).stdout

    git("init", "-q")
    git("config", "user.email", "t@t")
    git("config", "user.name", "t")
    git("config", "filter.nbstrip.clean", f"{sys.executable} -m ssmtheory.harness.nbstrip")
    git("config", "filter.nbstrip.smudge", "cat")
    git("add", ".")
    git("commit", "-q", "-m", "x")
    (repo / "notebooks" / "00_x.ipynb").write_text(_lab_save(json.loads(stripped)))  # Run All + Save in Lab
    assert git("diff") == ""  # git status may list it (size changed), but there is nothing to commit:
    git("add", ".")
    assert git("status", "--porcelain") == ""
    assert git("show", "HEAD:notebooks/00_x.ipynb") == stripped
    nb.cells[0].source = "x = 2"  # a real edit still shows, without its outputs
    (repo / "notebooks" / "00_x.ipynb").write_text(_lab_save(json.loads(nbstrip.strip_text(nbformat.writes(nb)))))
    git("add", ".")
    staged = json.loads(git("show", ":notebooks/00_x.ipynb"))
    assert "".join(staged["cells"][0]["source"]) == "x = 2" and staged["cells"][0]["outputs"] == []


def test_nbstrip_refuses_non_notebooks():
    with pytest.raises(ValueError, match="nb"):
        nbstrip.strip_notebook({"cells": "no"})

"""The notebook contract (DESIGN.md): paired sources, a papermill parameters cell, claims finalized last.

nbval executes the notebooks themselves (``make test`` collects ``notebooks/``); this file checks
their shape cheaply so a contract break is reported by name.
"""

from pathlib import Path

import jupytext
import nbformat
import pytest

NB_DIR = Path(__file__).resolve().parent.parent / "notebooks"
SOURCES = sorted(NB_DIR.glob("[0-9][0-9]_*.py"))


def test_there_are_notebooks():
    assert SOURCES, "no notebooks/NN_*.py sources found"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_ipynb_in_sync_with_py_source(src):
    ipynb = src.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.name} missing: run `make notebooks`"
    from_py = jupytext.read(src)
    stored = nbformat.read(ipynb, as_version=4)
    a = [(c.cell_type, c.source.strip()) for c in from_py.cells]
    b = [(c.cell_type, c.source.strip()) for c in stored.cells]
    assert a == b, f"{ipynb.name} differs from {src.name}: run `make notebooks`"
    for c in stored.cells:
        if c.cell_type == "code":
            assert not c.get("outputs"), f"{ipynb.name} is committed with outputs"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_parameters_cell_and_final_claims(src):
    nb = jupytext.read(src)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    assert code.index(params[0]) == 0, "the parameters cell is the first code cell"
    assert "profile" in params[0].source and "seed" in params[0].source
    assert "claims.finalize()" in code[-1].source, "the last code cell calls claims.finalize()"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"

"""The notebook contract (DESIGN.md): paired sources, a papermill parameters cell, claims finalized last.

nbval executes the notebooks themselves (``make test`` collects ``notebooks/``); this file checks
their shape cheaply so a contract break is reported by name.
"""

from pathlib import Path

import jupytext
import nbformat
import pytest

from ssmtheory.harness.nbstrip import strip_text

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
    text = ipynb.read_text(encoding="utf-8")
    if _strip_filter_configured():  # make setup / make lab: outputs are stripped on `git add`
        text = strip_text(text)
    committed = nbformat.reads(text, as_version=4)
    for c in committed.cells:
        if c.cell_type == "code":
            assert not c.get("outputs"), f"{ipynb.name} has outputs and no nbstrip filter: run `make setup`"


def _strip_filter_configured() -> bool:
    """True when git strips notebook outputs on commit (``make setup`` configures the nbstrip filter)."""
    import subprocess

    r = subprocess.run(["git", "-C", str(NB_DIR), "config", "filter.nbstrip.clean"], capture_output=True, text=True)
    return r.returncode == 0 and "nbstrip" in r.stdout


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


# --------------------------------------------------------------------------- pre-registration (issue 11)
import ast  # noqa: E402

# names a declaration may use besides the parameters: pure functions of literals
ALLOWED_CALLS = {"min", "max", "abs", "len", "float", "int", "round", "tuple", "list", "range", "sum"}
ALLOWED_MODULES = {"math", "np"}
ALLOWED_NP = {"log", "log10", "log2", "sqrt", "exp", "pi", "e", "inf"}


def _cells(src):
    nb = jupytext.read(src)
    code = [c for c in nb.cells if c.cell_type == "code"]
    return code


def _param_names(code):
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])][0]
    names = set()
    for node in ast.parse(params.source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names, params


def _is_claims_call(node, attr):
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attr
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "claims")


def _declaration_violations(tree, allowed_names):
    """Names and constructs in the declarations cell that are not literals/parameters/pure functions."""
    bad = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(stmt, ast.Expr) and (_is_claims_call(stmt.value, "expect") or _is_claims_call(stmt.value, "start")):
            for arg in list(stmt.value.args) + [k.value for k in stmt.value.keywords]:
                for node in ast.walk(arg):
                    if isinstance(node, ast.Name) and node.id not in allowed_names | ALLOWED_CALLS | ALLOWED_MODULES:
                        bad.append(f"line {stmt.lineno}: uses {node.id!r}, which is not a parameter")
                    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                        if node.value.id == "np" and node.attr not in ALLOWED_NP:
                            bad.append(f"line {stmt.lineno}: np.{node.attr} is not allowed in a declaration")
                        elif node.value.id not in ALLOWED_MODULES:
                            bad.append(f"line {stmt.lineno}: attribute of {node.value.id!r}")
                    elif isinstance(node, (ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.Subscript)):
                        bad.append(f"line {stmt.lineno}: {type(node).__name__} is not allowed in a declaration")
            continue
        if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            # profile presets: NAME = <literal/parameter expression> are allowed and become allowed names
            for node in ast.walk(stmt.value):
                if isinstance(node, ast.Name) and node.id not in allowed_names | ALLOWED_CALLS | ALLOWED_MODULES:
                    bad.append(f"line {stmt.lineno}: preset uses {node.id!r}, which is not a parameter")
                elif isinstance(node, (ast.Call,)) and not (isinstance(node.func, ast.Name) and node.func.id in ALLOWED_CALLS):
                    if not (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                            and node.func.value.id in ALLOWED_MODULES):
                        bad.append(f"line {stmt.lineno}: preset calls {ast.unparse(node.func)}")
            allowed_names |= {t.id for t in stmt.targets}
            continue
        if isinstance(stmt, ast.If):
            # `if NAME is None: NAME = <preset>` blocks (papermill overrides), same rules
            sub = ast.Module(body=list(stmt.body) + list(stmt.orelse), type_ignores=[])
            for node in ast.walk(stmt.test):
                if isinstance(node, ast.Name) and node.id not in allowed_names | ALLOWED_CALLS:
                    bad.append(f"line {stmt.lineno}: condition uses {node.id!r}")
            bad.extend(_declaration_violations(sub, allowed_names))
            for s in ast.walk(sub):
                if isinstance(s, ast.Assign):
                    allowed_names |= {t.id for t in s.targets if isinstance(t, ast.Name)}
            continue
        bad.append(f"line {stmt.lineno}: {type(stmt).__name__} statement ({ast.unparse(stmt)[:60]!r})")
    return bad


def _const_str(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_notebook_source_parses(src):
    ast.parse(src.read_text(encoding="utf-8"), filename=str(src))


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_claims_declared_before_computing(src):
    """Cell 2 starts the registry and declares every theorem/experiment claim from literals and parameters only."""
    code = _cells(src)
    names, params = _param_names(code)
    decl = code[code.index(params) + 1]
    tree = ast.parse(decl.source)
    assert any(isinstance(s, ast.Expr) and _is_claims_call(s.value, "start") for s in tree.body), \
        "the cell after the parameters cell must call claims.start(...)"
    bad = _declaration_violations(tree, set(names))
    assert not bad, "declarations must use literals and parameters only:\n" + "\n".join(bad)
    # expect() only in the declarations cell
    for c in code:
        if c is decl:
            continue
        for node in ast.walk(ast.parse(c.source)):
            assert not _is_claims_call(node, "expect"), "claims.expect outside the declarations cell"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_every_paper_claim_has_a_control_and_a_declaration(src):
    code = _cells(src)
    declared, checked = {}, []
    for c in code:
        for node in ast.walk(ast.parse(c.source)):
            if _is_claims_call(node, "expect"):
                kw = {k.arg: k.value for k in node.keywords}
                name = _const_str(node.args[0]) if node.args else _const_str(kw.get("name"))
                assert name, "claims.expect needs a literal name"
                assert "control" in kw and (_const_str(kw["control"]) or "").strip(), f"{name}: no control described"
                assert _const_str(kw.get("kind")) in ("theorem", "experiment"), f"{name}: kind must be a literal theorem/experiment"
                declared[name] = kw
            elif _is_claims_call(node, "check"):
                kw = {k.arg: k.value for k in node.keywords}
                assert "control_observed" in kw, (
                    f"claims.check at line {node.lineno} has no control_observed: paper claims need a control, "
                    "identities use claims.sanity")
                name = _const_str(node.args[0]) if node.args else _const_str(kw.get("name"))
                if name is not None:
                    checked.append(name)
    for name in checked:
        assert name in declared, f"{name} is checked but not declared"


def test_declaration_checker_rejects_computed_values():
    ok = ast.parse(
        "from ssmtheory.harness import claims\n"
        "claims.start(notebook='x', paper='p', profile=profile)\n"
        "n_seeds = 3 if profile == 'quick' else 5\n"
        "claims.expect('a', kind='theorem', op='<=', threshold=0.5 * math.log(n_seeds), control='c')\n")
    assert _declaration_violations(ok, {"profile"}) == []
    for src in (
        "result = run()\n",                                                             # computing
        "claims.expect('a', kind='theorem', op='<=', threshold=observed, control='c')\n",  # a computed name
        "claims.expect('a', kind='theorem', op='<=', threshold=np.median([1]), control='c')\n",
        "claims.expect('a', kind='theorem', op='<=', threshold=data[0], control='c')\n",
    ):
        assert _declaration_violations(ast.parse(src), {"profile"}), src


MAX_COMPUTE_CELL_LINES = 30  # issue 12: compute cells stay short (about 20 lines); logic lives in experiments/


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_compute_cells_are_short(src):
    """Every code cell after the parameters and declarations cells (the ones that only declare) is at most
    MAX_COMPUTE_CELL_LINES non-blank lines: parameters -> declarations -> calls -> figures -> checks."""
    code = [c for c in jupytext.read(src).cells if c.cell_type == "code"]
    compute = [c for c in code[1:] if "claims.start(" not in c.source]
    long = {i: n for i, c in enumerate(compute) if (n := sum(1 for ln in c.source.splitlines() if ln.strip()))
            > MAX_COMPUTE_CELL_LINES}
    assert not long, f"compute cells longer than {MAX_COMPUTE_CELL_LINES} lines (index: lines): {long}"

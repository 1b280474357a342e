"""The package's layers import one way only: harness -> experiments -> theory -> core (README "Architecture").

Read from the source with ``ast`` (lazy imports inside functions count too), so a shortcut across layers fails here
before it becomes a cycle.  Also: no module imports another module's private name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "ssmtheory"
RANK = {"core": 0, "theory": 1, "experiments": 2, "harness": 3}


def _layer(path: Path) -> str:
    rel = path.relative_to(PKG).parts
    return rel[0] if len(rel) > 1 else "core"


def _imports(path: Path):
    """``(module, names)`` for every ``from ssmtheory... import names`` and ``import ssmtheory...`` in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ssmtheory"):
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import (use absolute ssmtheory.* imports)")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("ssmtheory"):
                    yield a.name, []


def _target_layer(module: str, names: list[str]) -> list[str]:
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in RANK:
        return [parts[1]]
    if module == "ssmtheory":  # from ssmtheory import ssm, theory, ...
        return [n if n in RANK else "core" for n in names]
    return ["core"]


MODULES = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_imports_point_down_the_layers(path):
    mine = _layer(path)
    for module, names in _imports(path):
        for target in _target_layer(module, names):
            assert RANK[target] <= RANK[mine], f"{path.relative_to(PKG)} ({mine}) imports {module} ({target})"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_no_private_names_from_other_modules(path):
    for module, names in _imports(path):
        private = [n for n in names if n.startswith("_") and n != "__version__"]
        if module == "ssmtheory._validate" or module == "ssmtheory" and private == ["_validate"]:
            continue  # the shared validators are package-internal by design
        assert not private, f"{path.relative_to(PKG)} imports private {private} from {module}"


def _optimizer_steps(path: Path) -> list[str]:
    """Calls that apply an optimizer update (``optax.apply_updates``, ``<tx>.update(grads, state, ...)``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "apply_updates":
                found.append(f"line {node.lineno}: apply_updates")
            elif node.func.attr == "update" and len(node.args) >= 2:  # tx.update(g, state[, params])
                found.append(f"line {node.lineno}: .update(g, state, ...)")
    return found


def test_one_training_loop():
    """Issue 12: the engine (ssmtheory/train.py) is the package's one optax training loop; every trainer calls it."""
    offenders = {str(p.relative_to(PKG)): f for p in sorted(PKG.rglob("*.py"))
                 if p.name != "train.py" and (f := _optimizer_steps(p))}
    assert not offenders, f"optimizer updates outside ssmtheory/train.py: {offenders}"
    assert _optimizer_steps(PKG / "train.py"), "the check no longer sees the engine's own update"

"""Every module of the package is in some bad-input table file (issue 13): a new module cannot escape the suite.

Each ``tests/test_bad_inputs*.py`` names the modules it covers (``CORE`` or ``MODULES``); the coverage test in each
file then requires an entry for every public name of those modules.  This test closes the loop: the union of those
module lists must be every module of ``ssmtheory`` that has public names.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import ssmtheory

TESTS = Path(__file__).resolve().parent


def _listed() -> set[str]:
    names = set()
    for f in TESTS.glob("test_bad_inputs*.py"):
        for node in ast.parse(f.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in ("CORE", "MODULES")
                                                    for t in node.targets):
                names |= set(ast.literal_eval(node.value))
    return names


def _modules_with_public_names() -> list[str]:
    out = []
    for info in pkgutil.walk_packages(ssmtheory.__path__, "ssmtheory."):
        if info.ispkg or info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        mod = importlib.import_module(info.name)
        public = getattr(mod, "__all__", None)
        if public is None:
            public = [n for n in vars(mod) if not n.startswith("_") and callable(vars(mod)[n])
                      and getattr(vars(mod)[n], "__module__", None) == mod.__name__]
        if public:
            out.append(info.name.removeprefix("ssmtheory."))
    return out


def test_every_module_is_in_a_bad_input_table():
    listed = _listed()
    modules = _modules_with_public_names()
    assert len(modules) >= 30, modules  # the walk found the package (core, theory, experiments, harness)
    missing = [m for m in modules if m not in listed]
    assert not missing, f"modules with public names but no bad-input table: {missing}"

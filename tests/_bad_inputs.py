"""Shared machinery of the bad-input suite (issue 13); the tables live in each area's test file.

Usage in ``tests/test_bad_inputs_<area>.py``::

    from _bad_inputs import make_bad_input_tests

    VALID = {  # "module.function" (module relative to ssmtheory) -> (valid kwargs, {arg: kind})
        "theory.uniform_gap.gap_bound": (dict(x=np.ones(4), n=3), {"x": "real", "n": "pint"}),
    }
    EXEMPT = {"theory.uniform_gap.SomeClass": "why it takes no data"}
    ALLOWED = {("theory.uniform_gap.gap_bound", "x", "wrong rank"): "why that variant is a valid input"}
    EXTRA = [("theory.uniform_gap.gap_bound", "x", "label", bad_value)]  # bad values the kinds do not derive

    (test_every_public_function_is_covered, test_valid_call_succeeds,
     test_bad_argument_is_refused_by_name, test_bad_value_is_refused) = make_bad_input_tests(
        ("theory.uniform_gap",), VALID, EXEMPT, ALLOWED, EXTRA)

The four names must start with ``test`` so pytest collects them.  Kinds: "array" (finite real or
complex), "real" (finite real array), "pint" (int >= 1), "nnint" (int >= 0), "pfloat" (finite > 0),
"nnfloat" (finite >= 0), "float" (finite), "option" (a string from a fixed set), "path" (a path
that must stay inside the results folder).  Each kind derives its bad variants in :func:`variants`;
a refused variant must raise ``ValueError`` whose message names the argument (``TypeError`` is
accepted for a wrong Python type where listed).
"""

from __future__ import annotations

import importlib
import inspect
import re

import numpy as np
import pytest


def variants(kind, value):
    """(label, bad value, accepted exception types) for one argument kind."""
    out = []
    if kind in ("array", "real"):
        a = np.asarray(value)
        nan = a.astype(np.result_type(a.dtype, float)).copy()
        nan.flat[0] = np.nan
        inf = nan.copy()
        inf.flat[0] = np.inf
        out += [("nan", nan, (ValueError,)), ("inf", inf, (ValueError,)),
                ("wrong rank", a[..., None] if a.ndim < 3 else a.reshape(-1), (ValueError,))]
        if kind == "real":
            out.append(("complex", a.astype(complex) + 1j, (ValueError,)))
        out.append(("None", None, (ValueError, TypeError)))
    elif kind in ("pint", "nnint"):
        out += [("negative", -1, (ValueError,)), ("fraction", 2.5, (ValueError, TypeError)),
                ("bool", True, (ValueError, TypeError)), ("string", "3", (ValueError, TypeError))]
        if kind == "pint":
            out.append(("zero", 0, (ValueError,)))
    elif kind in ("pfloat", "nnfloat"):
        out += [("nan", float("nan"), (ValueError,)), ("inf", float("inf"), (ValueError,)), ("negative", -1.0, (ValueError,))]
        if kind == "pfloat":
            out.append(("zero", 0.0, (ValueError,)))
    elif kind == "float":
        out += [("nan", float("nan"), (ValueError,)), ("inf", float("inf"), (ValueError,))]
    elif kind == "option":
        out.append(("unknown option", "bogus", (ValueError,)))
    elif kind == "path":
        out.append(("escapes folder", "../../x", (ValueError,)))
    else:
        raise KeyError(f"unknown argument kind {kind!r}")
    return out


def resolve(qual):
    """``"theory.memory.fn"`` -> the function ``ssmtheory.theory.memory.fn``."""
    mod, name = qual.rsplit(".", 1)
    return getattr(importlib.import_module(f"ssmtheory.{mod}"), name)


def public_functions(modname):
    """Names in ``ssmtheory.<modname>.__all__`` that are functions (classes and constants are not fuzzed)."""
    mod = importlib.import_module(f"ssmtheory.{modname}")
    names = getattr(mod, "__all__", None)
    assert names is not None, f"ssmtheory.{modname} has no __all__"
    return [n for n in names if inspect.isfunction(getattr(mod, n))]


def all_covered():
    """Every name in VALID or EXEMPT of any tests/test_bad_inputs*.py (a module's functions may be split between the
    core file and an area file, e.g. new train functions covered by the engine's file)."""
    from pathlib import Path

    out = set()
    for f in sorted(Path(__file__).resolve().parent.glob("test_bad_inputs*.py")):
        mod = importlib.import_module(f.stem)
        out |= set(getattr(mod, "VALID", {})) | set(getattr(mod, "EXEMPT", {}))
    return out


def names_argument(arg, message, also=()):
    return re.search(rf"\b({'|'.join(re.escape(a) for a in (arg, *also))})\b", message) is not None


def call(qual, kw, setup=None):
    """Run ``setup[qual]()`` (state a stateful function needs, e.g. a started claims registry), then the function."""
    if setup and qual in setup:
        setup[qual]()
    return resolve(qual)(**kw)


def make_bad_input_tests(modules, valid, exempt=None, allowed=None, extra=(), extra_names=(), setup=None,
                         valid_run_by=None):
    """Build the four pytest functions of the suite for ``modules`` from the tables.

    ``valid_run_by``: ``{qual: where}`` for functions that train models, whose valid call already runs in a named
    unit test or notebook of ``make test`` (``where``); their valid call is skipped here with that reason, so CI
    does not compile and train the same study twice.  Their bad arguments are still tried.

    ``extra_names``: further words an EXTRA case's message may name instead of the argument
    (e.g. "X" for a ``data=(X, Y)`` tuple).  ``setup``: ``{qual: zero-argument callable}`` run before
    every call of that function (export it as ``SETUP`` so benchmarks/fuzz_tally.py uses it too).
    """
    exempt = dict(exempt or {})
    valid_run_by = dict(valid_run_by or {})
    unknown_runs = [q for q in valid_run_by if q not in valid]
    assert not unknown_runs, f"valid_run_by entries for functions without a VALID call: {unknown_runs}"
    allowed = dict(allowed or {})
    extra = list(extra)
    unknown = [k for k in allowed if k[0] not in valid]
    assert not unknown, f"ALLOWED entries for functions without a VALID call: {unknown}"
    cases = [
        pytest.param(qual, arg, label, bad, exc, id=f"{qual}-{arg}-{label}")
        for qual, (kw, kinds) in valid.items()
        for arg, kind in kinds.items()
        for label, bad, exc in variants(kind, kw[arg])
        if (qual, arg, label) not in allowed
    ]

    def test_every_public_function_is_covered():
        covered = set(valid) | set(exempt) | all_covered()
        missing = [f"{m}.{n}" for m in modules for n in public_functions(m) if f"{m}.{n}" not in covered]
        assert not missing, f"public functions without a bad-input entry: {missing}"

    @pytest.mark.parametrize("qual", sorted(valid))
    def test_valid_call_succeeds(qual):
        if qual in valid_run_by:
            pytest.skip(f"its valid call runs in {valid_run_by[qual]}")
        kw, _ = valid[qual]
        call(qual, kw, setup)

    @pytest.mark.parametrize("qual, arg, label, bad, exc", cases)
    def test_bad_argument_is_refused_by_name(qual, arg, label, bad, exc):
        kw, _ = valid[qual]
        with pytest.raises(exc) as ei:
            call(qual, dict(kw, **{arg: bad}), setup)
        if ei.type is ValueError:
            assert names_argument(arg, str(ei.value)), f"message does not name {arg!r}: {ei.value}"

    @pytest.mark.parametrize("qual, arg, label, bad", extra or [pytest.param(None, None, None, None, marks=pytest.mark.skip("no EXTRA cases"))],
                             ids=[f"{q}-{a}-{lab}" for q, a, lab, _ in extra] or None)
    def test_bad_value_is_refused(qual, arg, label, bad):
        kw, _ = valid[qual]
        with pytest.raises((ValueError, TypeError)) as ei:
            call(qual, dict(kw, **{arg: bad}), setup)
        assert ei.type is TypeError or names_argument(arg, str(ei.value), extra_names), str(ei.value)

    return (test_every_public_function_is_covered, test_valid_call_succeeds,
            test_bad_argument_is_refused_by_name, test_bad_value_is_refused)

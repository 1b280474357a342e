"""benchmarks/fuzz_tally.py's classifier (issue 13): what counts as a silent NaN/inf, a refusal, a crash."""

import importlib.util
import math
from pathlib import Path

import numpy as np

_spec = importlib.util.spec_from_file_location("fuzz_tally", Path(__file__).resolve().parent.parent / "benchmarks" / "fuzz_tally.py")
ft = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ft)


def test_nonfinite_walks_containers_and_records():
    from dataclasses import dataclass

    @dataclass
    class R:
        a: float
        b: object

    assert ft._nonfinite(1.0) == (False, False)
    assert ft._nonfinite(np.array([1.0, np.nan])) == (True, False)
    assert ft._nonfinite({"x": [1.0, (2.0, math.inf)]}) == (False, True)
    assert ft._nonfinite(R(1.0, np.array([np.nan]))) == (True, False)
    assert ft._nonfinite("nan") == (False, False)


def test_inf_is_silent_only_where_the_valid_call_has_none():
    one_sided = dict(outcome="returned", nan=False, inf=True)
    assert ft.classify(one_sided, dict(nan=False, inf=True)) == "finite"  # a one-sided CI's inf end, by design
    assert ft.classify(one_sided, dict(nan=False, inf=False)) == "nonfinite"
    assert ft.classify(dict(outcome="returned", nan=True, inf=False), dict(nan=False, inf=False)) == "nonfinite"
    assert ft.classify(dict(outcome="hang"), {}) == "hang"


def test_tally_counts_only_functions_whose_valid_call_returns():
    res = [dict(qual="m.f", arg=None, label="__valid__", outcome="returned", nan=False, inf=False),
           dict(qual="m.f", arg="x", label="nan", outcome="named"),
           dict(qual="m.f", arg="x", label="inf", outcome="returned", nan=False, inf=False, warned=True),
           dict(qual="m.g", arg=None, label="__valid__", outcome="other"),
           dict(qual="m.g", arg="x", label="nan", outcome="crash")]
    tot, per, ok = ft.tally(dict(results=res))
    assert ok == {"m.f": True, "m.g": False}
    assert (tot["tried"], tot["named"], tot["finite"], tot["silent_warned"], tot["crash"]) == (2, 1, 1, 1, 0)

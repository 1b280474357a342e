"""Committed claim expectations: a changed verdict or number fails, tolerances work, regeneration keeps them."""

from __future__ import annotations

import json
import time

import pytest

from ssmtheory.harness import expectations as ex


def _recs():
    return [
        {"notebook": "00_x", "claim": "core.err", "observed": 3e-16, "threshold": 1e-12, "op": "<=",
         "verdict": "sanity passed", "profile": "quick", "kind": "sanity"},
        {"notebook": "00_x", "claim": "racz.ratio", "observed": 0.42, "control_observed": 1.7, "threshold": 1.0,
         "op": "<=", "verdict": "reproduced", "profile": "quick", "kind": "theorem", "expected": "pass"},
        {"notebook": "00_x", "claim": "racz.nan", "observed": "nan", "threshold": [0.0, 1.0], "op": "in",
         "verdict": "not reproduced", "profile": "quick", "kind": "experiment", "expected": "not reproduced"},
    ]


def test_roundtrip_agrees():
    doc = ex.expectation_from_records(_recs())
    assert ex.compare(_recs(), doc) == []
    assert doc["claims"]["racz.ratio"]["atol"] == pytest.approx(0.01)
    assert doc["claims"]["core.err"]["atol"] == pytest.approx(1e-13)  # the float64 floor, above 1 % of 1e-12


def test_changed_number_fails():
    doc = ex.expectation_from_records(_recs())
    recs = _recs()
    recs[1]["observed"] = 0.44  # 0.02 > 0.01 + 1e-3 * 0.42
    (msg,) = ex.compare(recs, doc)
    assert "racz.ratio: observed 0.44" in msg
    recs = _recs()
    recs[1]["observed"] = 0.4205  # inside the tolerance
    assert ex.compare(recs, doc) == []
    recs[1]["control_observed"] = 1.9
    assert "control_observed" in ex.compare(recs, doc)[0]
    # a round-off number may move by 1 % of its threshold, not more
    recs = _recs()
    recs[0]["observed"] = 5e-15
    assert ex.compare(recs, doc) == []
    recs[0]["observed"] = 5e-13
    assert ex.compare(recs, doc)


def test_deliberately_changed_expectation_fails():
    doc = ex.expectation_from_records(_recs())
    doc["claims"]["racz.ratio"]["observed"] = 0.5
    assert any("racz.ratio" in p for p in ex.compare(_recs(), doc))


@pytest.mark.parametrize(
    "field, value",
    [("verdict", "FAILED"), ("threshold", 2.0), ("op", "<"), ("kind", "experiment")],
)
def test_changed_declaration_or_verdict_fails(field, value):
    doc = ex.expectation_from_records(_recs())
    recs = _recs()
    recs[1][field] = value
    assert any(f"racz.ratio: {field} changed" in p for p in ex.compare(recs, doc))


def test_nan_inf_and_claim_sets():
    doc = ex.expectation_from_records(_recs())
    recs = _recs()
    recs[2]["observed"] = 0.3
    assert ex.compare(recs, doc)
    recs = _recs()[:2]
    assert ex.compare(recs, doc) == ["racz.nan: expected claim missing"]
    recs = _recs() + [dict(_recs()[0], claim="core.new")]
    assert ex.compare(recs, doc) == ["core.new: new claim with no expectation"]


def test_values_false_compares_only_the_verdict():
    doc = ex.expectation_from_records(_recs())
    doc["claims"]["racz.ratio"]["values"] = False
    recs = _recs()
    recs[1]["observed"] = 0.9
    assert ex.compare(recs, doc) == []
    recs[1]["verdict"] = "FAILED"
    assert ex.compare(recs, doc)


def test_regeneration_keeps_tolerances():
    doc = ex.expectation_from_records(_recs())
    doc["claims"]["racz.ratio"].update(rtol=0.5, atol=0.0, values=False)
    new = ex.expectation_from_records(_recs(), previous=doc)
    assert new["claims"]["racz.ratio"]["rtol"] == 0.5 and new["claims"]["racz.ratio"]["values"] is False


@pytest.mark.parametrize(
    "recs, match",
    [([], "at least one"), ([dict(_recs()[0], profile="full")], "quick profile"),
     ([_recs()[0], dict(_recs()[0], notebook="01_y")], "one notebook"), ([_recs()[0], _recs()[0]], "duplicate")],
)
def test_expectation_from_records_refuses(recs, match):
    with pytest.raises(ValueError, match=match):
        ex.expectation_from_records(recs)


def test_check_notebook(tmp_path):
    res, exp = tmp_path / "res", tmp_path / "exp"
    (res / "claims").mkdir(parents=True)
    exp.mkdir()
    assert ex.check_notebook("00_x", res, exp)[0] == "skip"
    ex.save(exp / "00_x.json", ex.expectation_from_records(_recs()))
    status, lines = ex.check_notebook("00_x", res, exp)
    assert status == "fail" and "not reach claims.finalize" in lines[0]
    (res / "claims" / "00_x.json").write_text(json.dumps(_recs()))
    assert ex.check_notebook("00_x", res, exp) == ("ok", [])
    assert ex.check_notebook("00_x", res, exp, since=time.time() + 100)[0] == "fail"  # stale file
    recs = _recs()
    recs[1]["observed"] = 0.9
    (res / "claims" / "00_x.json").write_text(json.dumps(recs))
    status, lines = ex.check_notebook("00_x", res, exp)
    assert status == "fail" and "expect-update" in lines[-1]

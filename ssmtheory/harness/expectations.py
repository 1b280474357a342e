"""Committed expectations for the quick-profile claims, so that CI catches a changed number.

``make test`` executes every notebook with nbval (quick profile, claims written to
``$SSMTHEORY_RESULTS_DIR/claims/<notebook>.json``); the root ``conftest.py`` then adds one test per
notebook, ``<notebook>.ipynb::claims-expectation``, that compares those records with
``tests/expected_claims/<notebook>.json`` and fails on

* a claim added or removed,
* a changed verdict, ``op`` or threshold,
* an ``observed`` (or ``control_observed``) value outside the claim's tolerance
  ``|new - old| <= atol + rtol * |old|``.

``ssmtheory expect-update`` (``make expect-update``) regenerates the files from a quick run; the
tolerances of claims already in a file (``rtol``, ``atol``, ``values: false`` for a volatile number
such as a timing, whose verdict is still compared) are kept, so hand-tuned ones survive.

Default tolerances: ``rtol = 1e-3`` and ``atol = max(1e-2 * |threshold|, 1e-13)``: a round-off-level
number far below its threshold may move by 1 % of the threshold (and by a few hundred float64 ulp
of 1 in any case), a number near its threshold by 0.1 %.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ssmtheory.harness import paths

__all__ = [
    "DEFAULT_RTOL",
    "DEFAULT_ATOL_FRAC",
    "VALUE_FIELDS",
    "expectation_from_records",
    "compare",
    "load",
    "save",
    "check_notebook",
]

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL_FRAC = 1e-2
# float64 round-off of O(1) quantities differs between machines by a few ulp (1 ulp of 1.0 = 2.2e-16)
ATOL_FLOOR = 1e-13
VALUE_FIELDS = ("observed", "control_observed")
EXACT_FIELDS = ("verdict", "op", "threshold", "kind", "expected")


def _num(x):
    """A float for a JSON number or a non-finite marker string; None otherwise (bools are not numbers)."""
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str) and x in ("nan", "inf", "-inf"):
        return float(x)
    return None


def _default_atol(threshold, atol_frac: float) -> float:
    t = _num(threshold)
    if t is None and isinstance(threshold, (list, tuple)) and threshold:
        vals = [abs(v) for v in (_num(x) for x in threshold) if v is not None and math.isfinite(v)]
        t = max(vals) if vals else None
    if t is None or not math.isfinite(t):
        return ATOL_FLOOR
    return max(float(atol_frac * abs(t)), ATOL_FLOOR)


def expectation_from_records(records, previous: dict | None = None, rtol: float = DEFAULT_RTOL,
                             atol_frac: float = DEFAULT_ATOL_FRAC) -> dict:
    """The expectation document for one notebook's claim ``records`` (a list of dicts).

    Tolerances (``rtol``, ``atol``, ``values``) of claims present in ``previous`` are kept.
    Raises ``ValueError`` for records of more than one notebook, of a profile other than
    ``quick``, or with duplicate claim names.
    """
    records = _records(records)
    if not records:
        raise ValueError("records must hold at least one claim")
    for v, nm in ((rtol, "rtol"), (atol_frac, "atol_frac")):
        if isinstance(v, (bool, str)) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"{nm} must be a finite number >= 0, got {v!r}")
    nbs = {r.get("notebook") for r in records}
    if len(nbs) != 1:
        raise ValueError(f"records must come from one notebook, got {sorted(map(str, nbs))}")
    profiles = {r.get("profile") for r in records}
    if profiles != {"quick"}:
        raise ValueError(f"expectations are made from the quick profile, got profile(s) {sorted(map(str, profiles))}")
    if not (rtol >= 0 and atol_frac >= 0):
        raise ValueError(f"rtol and atol_frac must be >= 0, got {rtol!r}, {atol_frac!r}")
    prev = (previous or {}).get("claims", {})
    claims: dict[str, dict] = {}
    for r in records:
        name = r.get("claim")
        if not isinstance(name, str) or not name:
            raise ValueError(f"record without a claim name: {r!r}")
        if name in claims:
            raise ValueError(f"duplicate claim {name!r}")
        e = {k: r[k] for k in EXACT_FIELDS if k in r}
        for k in VALUE_FIELDS:
            if k in r:
                e[k] = r[k]
        old = prev.get(name, {})
        e["rtol"] = float(old.get("rtol", rtol))
        e["atol"] = float(old.get("atol", _default_atol(r.get("threshold"), atol_frac)))
        if "values" in old:
            e["values"] = bool(old["values"])
        claims[name] = e
    return {"notebook": nbs.pop(), "profile": "quick", "claims": claims}


def _close(new, old, rtol: float, atol: float) -> bool:
    a, b = _num(new), _num(old)
    if a is None or b is None:
        if isinstance(new, (list, tuple)) and isinstance(old, (list, tuple)) and len(new) == len(old):
            return all(_close(x, y, rtol, atol) for x, y in zip(new, old))
        return new == old
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


def compare(records, expected: dict) -> list[str]:
    """Differences between claim ``records`` and an ``expected`` document (empty list: they agree)."""
    if not isinstance(expected, dict) or not isinstance(expected.get("claims", {}), dict):
        raise ValueError(f"expected must be an expectation document (a dict with 'claims'), got {type(expected).__name__}")
    got = {r.get("claim"): r for r in _records(records)}
    want = expected.get("claims", {})
    problems = []
    for name in want:
        if name not in got:
            problems.append(f"{name}: expected claim missing")
    for name in got:
        if name not in want:
            problems.append(f"{name}: new claim with no expectation")
    for name, e in want.items():
        r = got.get(name)
        if r is None:
            continue
        for k in EXACT_FIELDS:
            if k in e and not _close(r.get(k), e[k], 1e-12, 0.0):
                problems.append(f"{name}: {k} changed from {e[k]!r} to {r.get(k)!r}")
        if e.get("values", True):
            rtol, atol = float(e.get("rtol", DEFAULT_RTOL)), float(e.get("atol", 0.0))
            for k in VALUE_FIELDS:
                if k in e and not _close(r.get(k), e[k], rtol, atol):
                    problems.append(
                        f"{name}: {k} {r.get(k)!r} differs from the expected {e[k]!r} "
                        f"by more than atol={atol:.3g} + rtol={rtol:.3g}*|expected|"
                    )
    return problems


def _records(records) -> list:
    records = list(records)
    if not all(isinstance(r, dict) for r in records):
        raise ValueError("records must be a list of claim records (dicts)")
    return records


def load(path) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("claims"), dict):
        raise ValueError(f"{path}: not an expectation file (a JSON object with 'claims')")
    return data


def save(path, doc: dict) -> Path:
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), dict):
        raise ValueError(f"doc must be an expectation document (a dict with 'claims'), got {type(doc).__name__}")
    return paths.atomic_write_text(path, json.dumps(doc, indent=1, sort_keys=True, allow_nan=False) + "\n")


def check_notebook(stem: str, results_dir, expected_dir, since: float | None = None) -> tuple[str, list[str]]:
    """Compare ``<results_dir>/claims/<stem>.json`` with ``<expected_dir>/<stem>.json``.

    Returns ``("skip", [why])`` when no expectation is committed, ``("fail", problems)`` when the
    claims are missing, stale (older than ``since``, a ``time.time()``) or differ, else ``("ok", [])``.
    """
    exp_path = Path(expected_dir) / f"{stem}.json"
    if not exp_path.exists():
        return "skip", [f"no expectation committed ({exp_path}); create it with `make expect-update`"]
    got_path = Path(results_dir) / "claims" / f"{stem}.json"
    if not got_path.exists():
        return "fail", [f"{got_path} was not written: the notebook did not reach claims.finalize()"]
    if since is not None and got_path.stat().st_mtime < since - 1:
        return "fail", [f"{got_path} is older than this test session"]
    records = json.loads(got_path.read_text(encoding="utf-8"))
    problems = compare(records, load(exp_path))
    if problems:
        problems.append("if the change is intended: `make expect-update` and commit tests/expected_claims/")
        return "fail", problems
    return "ok", []

"""Claims registry: every quantitative statement a notebook makes is a checked, recorded claim.

Usage in a notebook::

    from ssmtheory import claims
    claims.start(notebook="00_ssm_core", paper="core", profile=profile)
    claims.check("core.scan_vs_associative", observed=err, threshold=1e-5, op="<=",
                 description="sequential and associative scan agree (max abs error, float64)",
                 figure="00_ssm_core-kernels.png")
    claims.check("racz.gap_vs_T", observed=rho, threshold=0.3, op="<=", paper="racz-2024",
                 expected="not reproduced", reason="gap grows with T here: see figure ...")
    claims.finalize()   # last cell

Semantics
---------
* ``start`` resets the registry for one notebook (``paper`` and ``profile`` are defaults for
  every claim that follows).
* ``check`` evaluates ``observed <op> threshold`` with ``op`` one of ``<=, <, >=, >, ==, in``
  (``in``: ``threshold`` is an inclusive ``(lo, hi)`` pair).  A NaN or infinite ``observed``
  never raises: the claim simply does not pass.  ``check`` prints one line and returns
  ``passed``.
* ``expected="pass"`` (default) is a claim the paper makes and we expect to confirm;
  ``expected="not reproduced"`` (with a non-empty ``reason``) records a documented
  disagreement.  The verdict is

  =================  ==========  ==========================
  expected           passed      verdict
  =================  ==========  ==========================
  pass               True        ``reproduced``
  pass               False       ``FAILED``
  not reproduced     False       ``not reproduced``
  not reproduced     True        ``unexpectedly reproduced``
  =================  ==========  ==========================

* ``finalize`` writes ``results_dir()/claims/<notebook>.json``, prints a summary and raises
  :class:`ClaimFailure` if any verdict is ``FAILED`` (so the notebook run fails).  An
  ``unexpectedly reproduced`` claim is reported but does not fail.

Thresholds must come from theory (a bound, a rate, a round-off estimate such as
``c * eps * L``), fixed *before* looking at the numbers; never tune a threshold to an observed
run, or the claim stops testing anything.

Records are plain JSON-serializable dicts without timestamps (deterministic output); a
non-finite ``observed`` (or infinite threshold) is stored as the string ``"nan"``, ``"inf"`` or
``"-inf"``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from . import paths

__all__ = [
    "ClaimFailure",
    "OPS",
    "EXPECTED",
    "start",
    "check",
    "finalize",
    "records",
    "load_all",
    "verdict_of",
]

OPS = ("<=", "<", ">=", ">", "==", "in")
EXPECTED = ("pass", "not reproduced")
FIELDS = (
    "notebook",
    "paper",
    "claim",
    "description",
    "observed",
    "threshold",
    "op",
    "passed",
    "expected",
    "reason",
    "verdict",
    "figure",
    "profile",
    "cell",
)

_LABELS = {
    "reproduced": "PASS",
    "FAILED": "FAIL",
    "not reproduced": "XFAIL(not reproduced)",
    "unexpectedly reproduced": "XPASS",
}


class ClaimFailure(AssertionError):
    """Raised by :func:`finalize` when at least one expected-pass claim failed."""


_state: dict | None = None


def start(notebook: str, paper: str = "core", profile: str | None = None) -> None:
    """Reset the registry for ``notebook``; ``paper``/``profile`` are defaults for later claims."""
    global _state
    if not isinstance(notebook, str) or not notebook:
        raise ValueError(f"notebook must be a non-empty string, got {notebook!r}")
    if not isinstance(paper, str) or not paper:
        raise ValueError(f"paper must be a non-empty string, got {paper!r}")
    _state = {"notebook": notebook, "paper": paper, "profile": profile, "records": []}


def _require_started() -> dict:
    if _state is None:
        raise RuntimeError(
            "claims.start(notebook=..., paper=..., profile=...) must be called before "
            "claims.check / claims.finalize"
        )
    return _state


def _scalar(x, name: str):
    """Python bool/int/float from a Python, NumPy or JAX scalar (or size-1 array)."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, float):
        return x
    try:
        a = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic objects
        raise ValueError(f"{name} must be a real scalar, got {type(x).__name__}") from exc
    if a.size != 1:
        raise ValueError(f"{name} must be a scalar, got shape {tuple(a.shape)}")
    kind = a.dtype.kind
    if kind == "b":
        return bool(a.reshape(()).item())
    if kind in "iu":
        return int(a.reshape(()).item())
    if kind == "f":
        return float(a.reshape(()).item())
    raise ValueError(f"{name} must be a real scalar, got dtype {a.dtype}")


def _finite(v) -> bool:
    return isinstance(v, (bool, int)) or math.isfinite(v)


def _threshold(threshold, op: str):
    if op == "in":
        try:
            lo, hi = threshold
        except (TypeError, ValueError) as exc:
            raise ValueError(f"threshold for op 'in' must be a (lo, hi) pair, got {threshold!r}") from exc
        lo, hi = _scalar(lo, "threshold"), _scalar(hi, "threshold")
        if any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)) or lo > hi:
            raise ValueError(f"threshold for op 'in' must satisfy lo <= hi, got {threshold!r}")
        return [lo, hi]
    t = _scalar(threshold, "threshold")
    if isinstance(t, float) and math.isnan(t):
        raise ValueError("threshold must not be NaN")
    return t


def _compare(obs, op: str, thr) -> bool:
    if not _finite(obs):
        return False
    if op == "<=":
        return bool(obs <= thr)
    if op == "<":
        return bool(obs < thr)
    if op == ">=":
        return bool(obs >= thr)
    if op == ">":
        return bool(obs > thr)
    if op == "==":
        return bool(obs == thr)
    lo, hi = thr
    return bool(lo <= obs <= hi)


def verdict_of(expected: str, passed: bool) -> str:
    """Verdict from ``expected`` and ``passed`` (see the module table)."""
    if expected == "pass":
        return "reproduced" if passed else "FAILED"
    return "unexpectedly reproduced" if passed else "not reproduced"


def _fmt(v) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _current_cell():
    """The IPython execution count of the running cell (``In [N]``), or None outside IPython."""
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except Exception:  # pragma: no cover - IPython always installed with ipykernel
        return None
    n = getattr(ip, "execution_count", None) if ip is not None else None
    return int(n) if isinstance(n, int) else None


def _json_obs(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def check(
    name: str,
    observed,
    threshold,
    op: str = "<=",
    *,
    description: str = "",
    paper: str | None = None,
    expected: str = "pass",
    reason: str | None = None,
    figure: str | None = None,
) -> bool:
    """Record the claim ``observed <op> threshold`` under ``name``; print one line; return ``passed``.

    Raises ``RuntimeError`` before :func:`start`, ``ValueError`` for an unknown ``op`` or
    ``expected``, a missing ``reason`` for ``expected="not reproduced"``, a malformed
    ``threshold`` or a duplicate ``name`` in this notebook.  A NaN/inf ``observed`` gives
    ``passed=False`` (no exception).
    """
    st = _require_started()
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if op not in OPS:
        raise ValueError(f"op must be one of {list(OPS)!r}, got {op!r}")
    if expected not in EXPECTED:
        raise ValueError(f"expected must be one of {list(EXPECTED)!r}, got {expected!r}")
    if expected == "not reproduced" and not (isinstance(reason, str) and reason.strip()):
        raise ValueError("reason must be a non-empty string when expected='not reproduced'")
    if reason is not None and not isinstance(reason, str):
        raise ValueError(f"reason must be a string or None, got {reason!r}")
    if figure is not None:
        figure = str(getattr(figure, "name", figure))
    if any(r["claim"] == name for r in st["records"]):
        raise ValueError(f"duplicate claim name {name!r} in notebook {st['notebook']!r}")
    thr = _threshold(threshold, op)
    obs = _scalar(observed, "observed")
    passed = _compare(obs, op, thr)
    verdict = verdict_of(expected, passed)
    rec = {
        "notebook": st["notebook"],
        "paper": paper if paper is not None else st["paper"],
        "claim": name,
        "description": str(description),
        "observed": _json_obs(obs),
        "threshold": [_json_obs(t) for t in thr] if isinstance(thr, list) else _json_obs(thr),
        "op": op,
        "passed": passed,
        "expected": expected,
        "reason": reason,
        "verdict": verdict,
        "figure": figure,
        "profile": st["profile"],
        "cell": _current_cell(),
    }
    st["records"].append(rec)
    print(f"{_LABELS[verdict]:<5}  {name}  observed={_fmt(rec['observed'])} {op} {_fmt(rec['threshold'])}", flush=True)
    return passed


def records() -> list[dict]:
    """The records of the current notebook (copies), in the order they were checked."""
    st = _require_started()
    return [dict(r) for r in st["records"]]


def _summary_lines(recs: list[dict]) -> list[str]:
    counts = {v: 0 for v in _LABELS}
    for r in recs:
        counts[r["verdict"]] += 1
    head = ", ".join(f"{n} {v}" for v, n in counts.items() if n) or "no claims"
    lines = [f"claims: {len(recs)} ({head})"]
    if recs:
        w = max(len(r["claim"]) for r in recs)
        for r in recs:
            lines.append(
                f"  {r['verdict']:<23}  {r['claim']:<{w}}  {_fmt(r['observed'])} {r['op']} {_fmt(r['threshold'])}"
            )
    return lines


def finalize(path: str | Path | None = None) -> list[dict]:
    """Write the records as JSON, print a summary, raise :class:`ClaimFailure` on any ``FAILED``.

    ``path`` defaults to ``results_dir()/claims/<notebook>.json``.  The file is written before
    raising, so failed claims still reach the report.  Returns the records.
    """
    st = _require_started()
    recs = records()
    out = Path(path) if path is not None else paths.results_dir() / "claims" / f"{st['notebook']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(recs, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    print("\n".join(_summary_lines(recs)), flush=True)
    failed = [r for r in recs if r["verdict"] == "FAILED"]
    if failed:
        parts = "; ".join(
            f"{r['claim']} (observed={_fmt(r['observed'])}, required {r['op']} {_fmt(r['threshold'])})"
            for r in failed
        )
        n = len(failed)
        raise ClaimFailure(f"{n} unexpected claim failure{'s' if n != 1 else ''}: {parts}")
    return recs


def load_all(results_dir: str | Path | None = None) -> list[dict]:
    """Merge every ``claims/*.json`` under ``results_dir`` (default ``paths.results_dir()``).

    Sorted by notebook, keeping each notebook's claim order.
    """
    root = Path(results_dir) if results_dir is not None else paths.results_dir()
    merged: list[dict] = []
    for f in sorted((root / "claims").glob("*.json")):
        data = json.loads(f.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError(f"{f} must hold a list of claim records")
        merged.extend(data)
    merged.sort(key=lambda r: str(r.get("notebook", "")))  # stable: keeps claim order
    return merged

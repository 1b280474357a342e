"""Claims registry: every quantitative statement a notebook makes is a declared, checked, recorded claim.

Usage in a notebook (cell 1 = parameters, cell 2 = declarations, from literals and parameters only)::

    from ssmtheory.harness import claims
    claims.start(notebook="01_length_independent_bounds", paper="racz-2024", profile=profile)
    claims.expect("racz.chain_above_mc", kind="theorem", op="<=", threshold=1.0,
                  description="max over T of Monte Carlo lower bound / chain bound",
                  control="blocks allowed radius 1 (outside the theorem): must exceed 1")
    ...                                    # later cells compute
    claims.check("racz.chain_above_mc", observed=ratio, control_observed=ratio_ctrl, figure=path)
    claims.sanity("core.scan_vs_loop", observed=err, threshold=1e-12, op="<=", description="...")
    claims.finalize();                     # last cell

Kinds
-----
``theorem``     a paper's mathematical statement, checked numerically on instances it covers;
``experiment``  a paper's empirical finding (figure or table), re-run;
``sanity``      an identity, an agreement with an oracle, or a property of our own construction.

Only theorem and experiment claims count as reproductions.  They must be declared with
:func:`expect` *before* anything is computed (the notebook contract test checks that a
declaration uses only literals and parameters), and they must carry a **control**: the same
statistic, same ``op`` and ``threshold``, evaluated on a counterfactual where the check must come
out the other way (the paper's premise removed, or a deliberately wrong variant).

Verdicts
--------

==============  ===========  ===============  ===========================
expected        main passes  control passes   verdict
==============  ===========  ===============  ===========================
pass            yes          no               ``reproduced``
pass            yes          yes              ``cannot discriminate`` (fails)
pass            no           any              ``FAILED`` (fails)
not reproduced  no           any              ``not reproduced``
not reproduced  yes          no               ``unexpectedly reproduced``
not reproduced  yes          yes              ``cannot discriminate`` (fails)
(sanity)        yes          --               ``sanity passed``
(sanity)        no           --               ``FAILED`` (fails)
==============  ===========  ===============  ===========================

``finalize`` writes ``results_dir()/claims/<notebook>.json``, prints a summary and raises
:class:`ClaimFailure` if any verdict fails the notebook (``FAILED``, ``cannot discriminate``,
or a declared claim never checked).  ``ops``: ``<=, <, >=, >, ==, in`` (``in``: inclusive
``(lo, hi)``).  A NaN or infinite observed value never raises; it does not pass.

Thresholds come from theory or pre-registration, fixed *before* looking at the numbers.
``expected="not reproduced"`` is allowed only in a declaration, with the evidence it rests on.
Records are JSON-serializable dicts without timestamps; non-finite numbers are stored as the
strings ``"nan"``, ``"inf"``, ``"-inf"``.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path

import numpy as np

from ssmtheory.harness import paths
from ssmtheory.harness.report import format_value as _fmt

__all__ = [
    "ClaimFailure",
    "OPS",
    "KINDS",
    "EXPECTED",
    "PROFILES",
    "VERDICTS",
    "FAILING_VERDICTS",
    "start",
    "expect",
    "check",
    "sanity",
    "finalize",
    "records",
    "declarations",
    "load_all",
    "verdict_of",
]

OPS = ("<=", "<", ">=", ">", "==", "in")
KINDS = ("theorem", "experiment", "sanity")
EXPECTED = ("pass", "not reproduced")
PROFILES = ("quick", "full")
VERDICTS = (
    "reproduced",
    "not reproduced",
    "unexpectedly reproduced",
    "cannot discriminate",
    "FAILED",
    "sanity passed",
)
FAILING_VERDICTS = ("FAILED", "cannot discriminate")
FIELDS = (
    "notebook",
    "paper",
    "claim",
    "kind",
    "description",
    "observed",
    "threshold",
    "op",
    "passed",
    "control",
    "control_observed",
    "control_passed",
    "expected",
    "reason",
    "verdict",
    "evidence",
    "figure",
    "profile",
    "cell",
)

_LABELS = {
    "reproduced": "PASS",
    "FAILED": "FAIL",
    "not reproduced": "XFAIL(not reproduced)",
    "unexpectedly reproduced": "XPASS",
    "cannot discriminate": "FAIL(cannot discriminate)",
    "sanity passed": "ok",
}
_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")


class ClaimFailure(AssertionError):
    """Raised by :func:`finalize` when a claim failed, could not discriminate, or was never checked."""


_state: dict | None = None


def start(notebook: str, paper: str = "core", profile: str | None = None, profiles=PROFILES) -> None:
    """Reset the registry for ``notebook``; ``paper``/``profile`` are defaults for later claims.

    ``notebook`` must match ``[A-Za-z0-9_.-]+`` (it names the results file).  When ``profile`` is
    given it must be one of ``profiles`` (a ``ValueError`` lists the valid values), so a notebook
    validates its papermill parameter before any heavy import.
    """
    global _state
    if not isinstance(notebook, str) or not _NAME_RE.fullmatch(notebook) or notebook in (".", ".."):
        raise ValueError(f"notebook must be a non-empty name matching [A-Za-z0-9_.-]+, got {notebook!r}")
    if not isinstance(paper, str) or not paper:
        raise ValueError(f"paper must be a non-empty string, got {paper!r}")
    if profile is not None and profile not in tuple(profiles):
        raise ValueError(f"profile must be one of {list(profiles)!r}, got {profile!r}")
    _state = {"notebook": notebook, "paper": paper, "profile": profile, "records": [], "declared": {}}


def _require_started() -> dict:
    if _state is None:
        raise RuntimeError(
            "claims.start(notebook=..., paper=..., profile=...) must be called before "
            "claims.expect / claims.check / claims.finalize"
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


def verdict_of(expected: str, passed: bool, control_passed: bool | None = None, kind: str = "theorem") -> str:
    """Verdict from ``expected``, ``passed`` and ``control_passed`` (see the module table).

    ``kind="sanity"`` ignores ``expected`` and the control.  For theorem and experiment claims
    ``control_passed`` must be a bool.  Raises ``ValueError`` for an unknown ``kind`` or ``expected``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)!r}, got {kind!r}")
    if not isinstance(passed, (bool, np.bool_)):
        raise ValueError(f"passed must be a bool, got {passed!r}")
    if kind == "sanity":
        return "sanity passed" if passed else "FAILED"
    if expected not in EXPECTED:
        raise ValueError(f"expected must be one of {list(EXPECTED)!r}, got {expected!r}")
    if not isinstance(control_passed, (bool, np.bool_)):
        raise ValueError(f"control_passed must be a bool for a {kind} claim, got {control_passed!r}")
    if passed and control_passed:
        return "cannot discriminate"
    if expected == "pass":
        return "reproduced" if passed else "FAILED"
    return "unexpectedly reproduced" if passed else "not reproduced"


def _current_cell():
    """The ``In [N]`` of the running cell, or None outside IPython.

    IPython >= 8.? increments ``execution_count`` when a cell *starts*; ``displayhook.prompt_count``
    is the number of the running cell in both old and new IPython (tested in a real kernel).
    """
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except Exception:  # pragma: no cover - IPython always installed with ipykernel
        return None
    if ip is None:
        return None
    n = getattr(getattr(ip, "displayhook", None), "prompt_count", None)
    if not isinstance(n, int):
        n = getattr(ip, "execution_count", None)
    return int(n) if isinstance(n, int) and n > 0 else None


def _json_obs(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def _json_threshold(thr):
    return [_json_obs(t) for t in thr] if isinstance(thr, list) else _json_obs(thr)


def _check_name(name) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")


def _check_text(value, arg: str, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{arg} must be a non-empty string, got {value!r}")
    return value


def expect(
    name: str,
    *,
    kind: str,
    op: str,
    threshold,
    control: str,
    expected: str = "pass",
    description: str = "",
    reason: str | None = None,
    paper: str | None = None,
) -> None:
    """Pre-register a theorem or experiment claim, before anything is computed.

    ``control`` describes the counterfactual on which the same ``op``/``threshold`` must come out
    the other way.  ``expected="not reproduced"`` needs a ``reason`` giving the evidence it rests
    on.  Raises ``ValueError`` for a bad argument, a sanity kind (sanity checks need no
    declaration), a duplicate name, or a declaration after the first :func:`check`.
    """
    st = _require_started()
    _check_name(name)
    if kind not in ("theorem", "experiment"):
        raise ValueError(f"kind must be 'theorem' or 'experiment' in a declaration, got {kind!r} (use claims.sanity)")
    if op not in OPS:
        raise ValueError(f"op must be one of {list(OPS)!r}, got {op!r}")
    if expected not in EXPECTED:
        raise ValueError(f"expected must be one of {list(EXPECTED)!r}, got {expected!r}")
    _check_text(control, "control", required=True)
    _check_text(reason, "reason", required=expected == "not reproduced")
    if paper is not None:
        _check_text(paper, "paper", required=True)
    if st["records"]:
        raise ValueError(f"claim {name!r} declared after the first check: declare every claim before computing")
    if name in st["declared"]:
        raise ValueError(f"duplicate declaration of {name!r} in notebook {st['notebook']!r}")
    st["declared"][name] = {
        "kind": kind,
        "op": op,
        "threshold": _threshold(threshold, op),
        "control": control,
        "expected": expected,
        "description": str(description),
        "reason": reason,
        "paper": paper if paper is not None else st["paper"],
    }


def declarations() -> dict[str, dict]:
    """The declared claims of the current notebook (copies), by name."""
    st = _require_started()
    return {k: dict(v) for k, v in st["declared"].items()}


def _append(st: dict, rec: dict) -> bool:
    st["records"].append(rec)
    line = f"{_LABELS[rec['verdict']]:<5}  {rec['claim']}  observed={_fmt(rec['observed'])} {rec['op']} {_fmt(rec['threshold'])}"
    if rec["kind"] != "sanity":
        line += f"  (control: {_fmt(rec['control_observed'])})"
    print(line, flush=True)
    return rec["passed"]


def _base_record(st: dict, name: str, kind: str, paper: str, description: str, figure, evidence) -> dict:
    if figure is not None:
        figure = str(getattr(figure, "name", figure))
    if evidence is not None:
        if not isinstance(evidence, dict):
            raise ValueError(f"evidence must be a dict (e.g. stats.Inference.record()), got {type(evidence).__name__}")
        evidence = json.loads(json.dumps(evidence, default=_json_default))
    return {
        "notebook": st["notebook"],
        "paper": paper,
        "claim": name,
        "kind": kind,
        "description": str(description),
        "figure": figure,
        "evidence": evidence,
        "profile": st["profile"],
        "cell": _current_cell(),
    }


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        v = float(o)
        return v if math.isfinite(v) else _json_obs(v)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"evidence value of type {type(o).__name__} is not JSON-serializable")


def _declaration_for(st: dict, name: str, kind, op, threshold, control_observed) -> dict:
    """The declaration ``check`` evaluates; refuses an undeclared name, a changed kind/op/threshold, a second
    check of the same claim, and a missing control."""
    decl = st["declared"].get(name)
    if decl is None:
        raise ValueError(
            f"claim {name!r} was not declared: declare it with claims.expect(...) in the declarations cell, "
            "or record a sanity check with claims.sanity(...)"
        )
    if kind is not None and kind != decl["kind"]:
        raise ValueError(f"kind {kind!r} differs from the declaration of {name!r} ({decl['kind']!r})")
    if op is not None and op != decl["op"]:
        raise ValueError(f"op {op!r} differs from the declaration of {name!r} ({decl['op']!r})")
    if threshold is not None and _threshold(threshold, decl["op"]) != decl["threshold"]:
        raise ValueError(f"threshold {threshold!r} differs from the declaration of {name!r} ({decl['threshold']!r})")
    if any(r["claim"] == name for r in st["records"]):
        raise ValueError(f"claim {name!r} checked twice in notebook {st['notebook']!r}")
    if control_observed is None:
        raise ValueError(f"control_observed is required for the {decl['kind']} claim {name!r}")
    return decl


def check(
    name: str,
    observed,
    threshold=None,
    op: str | None = None,
    *,
    control_observed=None,
    kind: str | None = None,
    description: str | None = None,
    evidence: dict | None = None,
    figure=None,
) -> bool:
    """Evaluate a declared claim on its main case and its control; record it; return ``passed``.

    ``threshold``/``op``/``kind`` may be omitted; when given they must equal the declaration.
    ``control_observed`` (the same statistic on the control) is required.  ``evidence`` is an
    optional dict (n, CI, test, p ...) stored in the record.  Undeclared names raise
    ``ValueError`` (sanity checks use :func:`sanity`, or ``kind="sanity"`` with threshold and op).
    """
    st = _require_started()
    _check_name(name)
    if kind == "sanity":
        if control_observed is not None:
            raise ValueError("a sanity check has no control; declare a theorem/experiment claim instead")
        return sanity(name, observed, threshold, "<=" if op is None else op, description=description or "",
                      evidence=evidence, figure=figure)
    decl = _declaration_for(st, name, kind, op, threshold, control_observed)
    obs = _scalar(observed, "observed")
    cobs = _scalar(control_observed, "control_observed")
    passed = _compare(obs, decl["op"], decl["threshold"])
    cpassed = _compare(cobs, decl["op"], decl["threshold"])
    rec = _base_record(st, name, decl["kind"], decl["paper"], description or decl["description"], figure, evidence)
    rec.update(
        observed=_json_obs(obs),
        threshold=_json_threshold(decl["threshold"]),
        op=decl["op"],
        passed=passed,
        control=decl["control"],
        control_observed=_json_obs(cobs),
        control_passed=cpassed,
        expected=decl["expected"],
        reason=decl["reason"],
        verdict=verdict_of(decl["expected"], passed, cpassed, decl["kind"]),
    )
    return _append(st, {k: rec[k] for k in FIELDS})


def sanity(
    name: str,
    observed,
    threshold,
    op: str = "<=",
    *,
    description: str = "",
    paper: str | None = None,
    evidence: dict | None = None,
    figure=None,
) -> bool:
    """Record a sanity check ``observed <op> threshold`` (identity, oracle agreement, own construction).

    Needs no declaration or control, never counts as a reproduction, and fails the notebook when it
    fails.  A name that was declared as a theorem/experiment claim raises ``ValueError``.
    """
    st = _require_started()
    _check_name(name)
    if op not in OPS:
        raise ValueError(f"op must be one of {list(OPS)!r}, got {op!r}")
    if threshold is None:
        raise ValueError("threshold is required for a sanity check")
    if name in st["declared"]:
        raise ValueError(f"{name!r} is declared as a {st['declared'][name]['kind']} claim: use claims.check")
    if any(r["claim"] == name for r in st["records"]):
        raise ValueError(f"duplicate claim name {name!r} in notebook {st['notebook']!r}")
    thr = _threshold(threshold, op)
    obs = _scalar(observed, "observed")
    passed = _compare(obs, op, thr)
    rec = _base_record(st, name, "sanity", paper if paper is not None else st["paper"], description, figure, evidence)
    rec.update(
        observed=_json_obs(obs),
        threshold=_json_threshold(thr),
        op=op,
        passed=passed,
        control=None,
        control_observed=None,
        control_passed=None,
        expected="pass",
        reason=None,
        verdict=verdict_of("pass", passed, kind="sanity"),
    )
    return _append(st, {k: rec[k] for k in FIELDS})


def records() -> list[dict]:
    """The records of the current notebook (copies), in the order they were checked."""
    st = _require_started()
    return [dict(r) for r in st["records"]]


def _unchecked_records(st: dict) -> list[dict]:
    done = {r["claim"] for r in st["records"]}
    out = []
    for name, d in st["declared"].items():
        if name in done:
            continue
        out.append({
            "notebook": st["notebook"], "paper": d["paper"], "claim": name, "kind": d["kind"],
            "description": d["description"], "observed": "nan", "threshold": _json_threshold(d["threshold"]),
            "op": d["op"], "passed": False, "control": d["control"], "control_observed": None,
            "control_passed": None, "expected": d["expected"],
            "reason": "declared but never checked", "verdict": "FAILED", "evidence": None, "figure": None,
            "profile": st["profile"], "cell": None,
        })
    return out


def _summary_lines(recs: list[dict]) -> list[str]:
    counts: dict[str, int] = {}
    for r in recs:
        key = f"{r['kind']} {r['verdict']}" if r["kind"] != "sanity" else r["verdict"]
        counts[key] = counts.get(key, 0) + 1
    head = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no claims"
    lines = [f"claims: {len(recs)} ({head})"]
    if recs:
        w = max(len(r["claim"]) for r in recs)
        for r in recs:
            ctrl = f"   control {_fmt(r['control_observed'])}" if r["kind"] != "sanity" else ""
            lines.append(
                f"  {r['verdict']:<23}  {r['claim']:<{w}}  {_fmt(r['observed'])} {r['op']} {_fmt(r['threshold'])}{ctrl}"
            )
    return lines


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def finalize(path: str | Path | None = None) -> list[dict]:
    """Write the records as JSON (atomically), print a summary, raise :class:`ClaimFailure` on a failing verdict.

    Declared claims that were never checked are added as ``FAILED``.  ``path`` defaults to
    ``results_dir()/claims/<notebook>.json``.  The file is written before raising, so failed claims
    still reach the report.  Returns the records.
    """
    st = _require_started()
    recs = records() + _unchecked_records(st)
    out = Path(path) if path is not None else paths.results_dir() / "claims" / f"{st['notebook']}.json"
    _atomic_write_text(out, json.dumps(recs, indent=2, allow_nan=False) + "\n")
    print("\n".join(_summary_lines(recs)), flush=True)
    bad = [r for r in recs if r["verdict"] in FAILING_VERDICTS]
    if bad:
        parts = "; ".join(
            f"{r['claim']} [{r['verdict']}] (observed={_fmt(r['observed'])}, required {r['op']} {_fmt(r['threshold'])}"
            + (f", control={_fmt(r['control_observed'])}" if r["kind"] != "sanity" else "")
            + (f", {r['reason']}" if r.get("reason") == "declared but never checked" else "")
            + ")"
            for r in bad
        )
        n = len(bad)
        raise ClaimFailure(f"{n} failing claim{'s' if n != 1 else ''}: {parts}")
    return recs


def load_all(results_dir: str | Path | None = None) -> list[dict]:
    """Merge every ``claims/*.json`` under ``results_dir`` (default ``paths.results_dir()``).

    Sorted by notebook, keeping each notebook's claim order.  Records written before claim kinds
    existed get ``kind="sanity"`` only if they say so; otherwise they are kept as they are.
    """
    root = Path(results_dir) if results_dir is not None else paths.results_dir()
    if root.exists() and not root.is_dir():
        raise ValueError(f"results_dir must be a folder, got the file {root}")
    merged: list[dict] = []
    for f in sorted((root / "claims").glob("*.json")):
        data = json.loads(f.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError(f"{f} must hold a list of claim records")
        merged.extend(data)
    merged.sort(key=lambda r: str(r.get("notebook", "")))  # stable: keeps claim order
    return merged

"""Markdown report from claim records (see :mod:`ssmtheory.claims`).

:func:`write_report` writes ``REPORT.md``: a title, verdict counts, then one section per paper
(``core, racz-2024, liu-li-2024, stablessm-2023, complex-ssm-2024, ptd-2023, synthesis``, then
any other paper alphabetically) with one table per notebook.  :func:`summary_table` is the
short per-paper table used in the README and printed by the CLI.  Both are pure functions of
their inputs: the same records give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PAPER_ORDER", "VERDICT_SYMBOLS", "render_report", "write_report", "summary_table", "format_value"]

PAPER_ORDER = ("core", "racz-2024", "liu-li-2024", "stablessm-2023", "complex-ssm-2024", "ptd-2023", "synthesis")
VERDICTS = ("reproduced", "not reproduced", "FAILED", "unexpectedly reproduced")
VERDICT_SYMBOLS = {
    "reproduced": "✅ reproduced",
    "FAILED": "❌ FAILED",
    "not reproduced": "⚠️ not reproduced",
    "unexpectedly reproduced": "❔ unexpectedly reproduced",
}


def format_value(x) -> str:
    """3 significant digits for floats, ``[lo, hi]`` for pairs, ``str`` otherwise."""
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.3g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in x) + "]"
    return str(x)


def _threshold_text(rec: dict) -> str:
    return f"{rec.get('op', '')} {format_value(rec.get('threshold'))}".strip()


def _cell(text) -> str:
    s = "" if text is None else str(text)
    return " ".join(s.split()).replace("|", "\\|")


def _paper_key(paper: str):
    return (PAPER_ORDER.index(paper), "") if paper in PAPER_ORDER else (len(PAPER_ORDER), paper)


def _group(records) -> dict[str, dict[str, list[dict]]]:
    """paper -> notebook -> records (paper order per PAPER_ORDER, notebooks sorted, claims in order)."""
    by_paper: dict[str, dict[str, list[dict]]] = {}
    for r in records:
        by_paper.setdefault(str(r.get("paper") or "unknown"), {}).setdefault(str(r.get("notebook") or "?"), []).append(r)
    return {p: {nb: by_paper[p][nb] for nb in sorted(by_paper[p])} for p in sorted(by_paper, key=_paper_key)}


def _counts(recs) -> dict[str, int]:
    c = {v: 0 for v in VERDICTS}
    for r in recs:
        v = r.get("verdict")
        c[v] = c.get(v, 0) + 1
    return c


def _timing(v) -> tuple[float | None, str | None]:
    if isinstance(v, dict):
        s = v.get("seconds")
        return (float(s) if s is not None else None), v.get("profile")
    return (float(v) if v is not None else None), None


def render_report(records, figures_rel: str = "figures", timings=None, failures=None, title: str = "ssmtheory: reproduction report") -> str:
    """The Markdown text of :func:`write_report` (same arguments, no file)."""
    records = list(records)
    figures_rel = str(figures_rel).replace("\\", "/").rstrip("/")
    c = _counts(records)
    lines = [f"# {title}", ""]
    summary = ", ".join(f"{c[v]} {VERDICT_SYMBOLS.get(v, v)}" for v in VERDICTS if c.get(v))
    lines.append(f"**{len(records)} claims**: {summary or 'none'}.")
    lines.append("")
    lines.append(
        "Every claim is a check `observed <op> threshold` evaluated in a notebook (thresholds come from "
        "theory, not from a run); see `ssmtheory/claims.py` for the semantics."
    )
    lines.append("")
    if failures:
        lines.append("## Notebook failures")
        lines.append("")
        for nb in sorted(failures):
            lines.append(f"- `{nb}`: {_cell(failures[nb])}")
        lines.append("")
    note = 0
    for paper, notebooks in _group(records).items():
        lines.append(f"## {paper}")
        lines.append("")
        for nb, recs in notebooks.items():
            profiles = sorted({str(r.get("profile")) for r in recs if r.get("profile") is not None})
            prof = f" (profile: {', '.join(profiles)})" if profiles else ""
            lines.append(f"Notebook `{nb}`{prof}")
            lines.append("")
            lines.append("| claim | what | observed | threshold | verdict | figure |")
            lines.append("|---|---|---|---|---|---|")
            notes = []
            for r in recs:
                verdict = r.get("verdict", "")
                vtext = VERDICT_SYMBOLS.get(verdict, _cell(verdict))
                if r.get("reason") and verdict in ("not reproduced", "unexpectedly reproduced", "FAILED"):
                    note += 1
                    vtext += f" [{note}]"
                    notes.append(f"[{note}] `{_cell(r.get('claim'))}`: {_cell(r['reason'])}")
                fig = r.get("figure")
                ftext = f"[{Path(str(fig)).suffix.lstrip('.') or 'figure'}]({figures_rel}/{fig})" if fig else ""
                lines.append(
                    f"| `{_cell(r.get('claim'))}` | {_cell(r.get('description'))} | {format_value(r.get('observed'))} "
                    f"| {_cell(_threshold_text(r))} | {vtext} | {ftext} |"
                )
            lines.append("")
            if notes:
                lines.extend(n + "  " for n in notes[:-1])
                lines.append(notes[-1])
                lines.append("")
    if timings:
        lines.append("## Runtimes")
        lines.append("")
        lines.append("| notebook | profile | seconds |")
        lines.append("|---|---|---|")
        for nb in sorted(timings):
            s, prof = _timing(timings[nb])
            lines.append(f"| `{nb}` | {prof or ''} | {'' if s is None else f'{s:.1f}'} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def write_report(records, path, figures_rel: str = "figures", timings=None, failures=None) -> Path:
    """Write the Markdown report of ``records`` to ``path``; return the path.

    ``figures_rel`` is the figure folder relative to the report (figure links are
    ``[png](<figures_rel>/<file>)``).  ``timings`` maps notebook -> seconds (or
    ``{"seconds": s, "profile": p}``) and adds a runtime table; ``failures`` maps notebook ->
    error message and adds a "Notebook failures" section.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(records, figures_rel=figures_rel, timings=timings, failures=failures)
    path.write_bytes(text.encode("utf-8"))
    return path


def summary_table(records) -> str:
    """Per-paper Markdown table: ``paper | claims | reproduced | not reproduced | failed``.

    An ``unexpectedly reproduced`` column is added only when such claims exist.
    """
    groups = _group(records)
    total = _counts(records)
    extra = total.get("unexpectedly reproduced", 0) > 0
    head = "| paper | claims | reproduced | not reproduced | failed |" + (" unexpectedly reproduced |" if extra else "")
    sep = "|---|---:|---:|---:|---:|" + ("---:|" if extra else "")
    lines = [head, sep]

    def row(name, recs):
        c = _counts(recs)
        s = f"| {name} | {len(recs)} | {c['reproduced']} | {c['not reproduced']} | {c['FAILED']} |"
        return s + (f" {c['unexpectedly reproduced']} |" if extra else "")

    for paper, notebooks in groups.items():
        lines.append(row(paper, [r for recs in notebooks.values() for r in recs]))
    lines.append(row("**total**", list(records)))
    return "\n".join(lines) + "\n"

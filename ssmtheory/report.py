"""Markdown report from claim records (see :mod:`ssmtheory.claims`).

:func:`write_report` writes ``REPORT.md``: a title, verdict counts, then one section per paper
(``core, racz-2024, liu-li-2024, stablessm-2023, complex-ssm-2024, ptd-2023, synthesis``, then
any other paper alphabetically) with one table per notebook.  :func:`summary_table` is the
short per-paper table used in the README and printed by the CLI.  Both are pure functions of
their inputs: the same records give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PAPER_ORDER", "VERDICT_SYMBOLS", "render_report", "write_report", "render_html", "write_html",
           "summary_table", "format_value"]

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
        "theory, not from a run); see `ssmtheory/claims.py` for the semantics. The *cell* column is the "
        "`In [N]` of the cell that checks the claim in the executed notebook (`results/executed/<notebook>.ipynb`, "
        "or the same notebook run top to bottom in JupyterLab)."
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
            lines.append("| claim | what | observed | threshold | verdict | figure | cell |")
            lines.append("|---|---|---|---|---|---|---|")
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
                ctext = f"In [{r['cell']}]" if r.get("cell") is not None else ""
                lines.append(
                    f"| `{_cell(r.get('claim'))}` | {_cell(r.get('description'))} | {format_value(r.get('observed'))} "
                    f"| {_cell(_threshold_text(r))} | {vtext} | {ftext} | {ctext} |"
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


# ----------------------------------------------------------------------------------------------
# HTML version: the same content with every figure inline (base64), one self-contained file
# ----------------------------------------------------------------------------------------------
_CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;margin:0.5em 0 1.5em;font-size:0.9em}
th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top}th{background:#f3f3f3}
code{font-size:0.9em}.reproduced{background:#eefbee}.FAILED{background:#fde8e8}
.not-reproduced{background:#fff6e0}.unexpectedly-reproduced{background:#eef3ff}
figure{display:inline-block;margin:0.5em;max-width:48%}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:0.8em;color:#555}.note{font-size:0.85em;color:#444}"""


def _esc(x) -> str:
    import html

    return html.escape("" if x is None else str(x))


def render_html(records, fig_dir, timings=None, failures=None, title: str = "ssmtheory: reproduction report") -> str:
    """Self-contained HTML report: the tables of :func:`render_report` plus every referenced figure inline.

    ``fig_dir`` is the folder holding the PNGs named in the records; missing files are listed, not fatal.
    """
    import base64

    records = list(records)
    fig_dir = Path(fig_dir)
    c = _counts(records)
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{_esc(title)}</h1>",
           "<p><b>" + f"{len(records)} claims</b>: " + _esc(", ".join(f"{c[v]} {VERDICT_SYMBOLS.get(v, v)}" for v in VERDICTS if c.get(v))) + "</p>"]
    if failures:
        out.append("<h2>Notebook failures</h2><ul>" + "".join(f"<li><code>{_esc(k)}</code>: {_esc(v)}</li>" for k, v in sorted(failures.items())) + "</ul>")
    for paper, notebooks in _group(records).items():
        out.append(f"<h2>{_esc(paper)}</h2>")
        for nb, recs in notebooks.items():
            out.append(f"<h3>Notebook <code>{_esc(nb)}</code></h3><table><tr><th>claim</th><th>what</th><th>observed</th>"
                       "<th>threshold</th><th>verdict</th><th>cell</th></tr>")
            figs = []
            for r in recs:
                v = str(r.get("verdict", ""))
                cls = v.replace(" ", "-")
                reason = f"<div class='note'>{_esc(r.get('reason'))}</div>" if r.get("reason") else ""
                cell = f"In [{r['cell']}]" if r.get("cell") is not None else ""
                out.append(f"<tr class='{_esc(cls)}'><td><code>{_esc(r.get('claim'))}</code></td><td>{_esc(r.get('description'))}</td>"
                           f"<td>{_esc(format_value(r.get('observed')))}</td><td>{_esc(_threshold_text(r))}</td>"
                           f"<td>{_esc(VERDICT_SYMBOLS.get(v, v))}{reason}</td><td>{cell}</td></tr>")
                if r.get("figure") and r["figure"] not in figs:
                    figs.append(r["figure"])
            out.append("</table>")
            for f in figs:
                p = fig_dir / f
                if p.exists():
                    b64 = base64.b64encode(p.read_bytes()).decode("ascii")
                    out.append(f"<figure><img src='data:image/png;base64,{b64}' alt='{_esc(f)}'><figcaption>{_esc(f)}</figcaption></figure>")
                else:
                    out.append(f"<p class='note'>figure {_esc(f)} not found in {_esc(fig_dir)}</p>")
    if timings:
        out.append("<h2>Runtimes</h2><table><tr><th>notebook</th><th>profile</th><th>seconds</th></tr>")
        for nb in sorted(timings):
            s, prof = _timing(timings[nb])
            out.append(f"<tr><td><code>{_esc(nb)}</code></td><td>{_esc(prof or '')}</td><td>{'' if s is None else f'{s:.1f}'}</td></tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_html(records, path, fig_dir, timings=None, failures=None) -> Path:
    """Write :func:`render_html` to ``path``; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_html(records, fig_dir, timings=timings, failures=failures).encode("utf-8"))
    return path

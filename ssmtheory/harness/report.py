"""Reports from claim records (see :mod:`ssmtheory.harness.claims`): REPORT.md, REPORT.html and the README blocks.

:func:`write_report` writes ``REPORT.md``: a headline that counts only theorem and experiment claims
(reproduced, not reproduced, cannot discriminate, failed), the sanity checks counted apart, then one
section per paper (``core, racz-2024, liu-li-2024, stablessm-2023, complex-ssm-2024, ptd-2023,
synthesis``, then others alphabetically) with one table per kind.  :func:`summary_table` is the
per-paper table used in the README and printed by the CLI; :func:`update_readme` regenerates the
README's marked blocks from the records so prose never drifts from numbers.  All are pure functions
of their inputs: the same records give the same bytes.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

__all__ = ["PAPER_ORDER", "KIND_ORDER", "VERDICT_SYMBOLS", "render_report", "write_report", "render_html", "write_html",
           "summary_table", "format_value", "headline", "render_findings", "update_readme", "README_BLOCKS"]

PAPER_ORDER = ("core", "racz-2024", "liu-li-2024", "stablessm-2023", "complex-ssm-2024", "ptd-2023", "synthesis")
KIND_ORDER = ("theorem", "experiment", "sanity")
EVIDENCE_VERDICTS = ("reproduced", "not reproduced", "cannot discriminate", "FAILED", "unexpectedly reproduced")
VERDICTS = EVIDENCE_VERDICTS + ("sanity passed",)
VERDICT_SYMBOLS = {
    "reproduced": "✅ reproduced",
    "FAILED": "❌ FAILED",
    "not reproduced": "⚠️ not reproduced",
    "unexpectedly reproduced": "❔ unexpectedly reproduced",
    "cannot discriminate": "❌ cannot discriminate",
    "sanity passed": "☑️ sanity passed",
}
README_BLOCKS = ("claims-table", "findings")


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


def _kind(rec: dict) -> str:
    k = rec.get("kind")
    return k if k in KIND_ORDER else "sanity"


def _paper_key(paper: str):
    return (PAPER_ORDER.index(paper), "") if paper in PAPER_ORDER else (len(PAPER_ORDER), paper)


def _group(records) -> dict[str, dict[str, list[dict]]]:
    """paper -> kind -> records (paper order per PAPER_ORDER, kinds per KIND_ORDER, notebook then claim order)."""
    by_paper: dict[str, dict[str, list[dict]]] = {}
    for r in sorted(records, key=lambda r: str(r.get("notebook") or "")):
        by_paper.setdefault(str(r.get("paper") or "unknown"), {}).setdefault(_kind(r), []).append(r)
    return {p: {k: by_paper[p][k] for k in KIND_ORDER if k in by_paper[p]} for p in sorted(by_paper, key=_paper_key)}


def _records(records) -> list[dict]:
    """``records`` as a list, refused (ValueError naming it) unless every item is a claim record (a dict)."""
    if isinstance(records, (str, bytes, dict)) or not hasattr(records, "__iter__"):
        raise ValueError(f"records must be a list of claim records (dicts), got {type(records).__name__}")
    records = list(records)
    bad = [type(r).__name__ for r in records if not isinstance(r, dict)]
    if bad:
        raise ValueError(f"records must be a list of claim records (dicts), got items of type {sorted(set(bad))}")
    return records


def _counts(recs) -> dict[str, int]:
    c = {v: 0 for v in VERDICTS}
    for r in recs:
        v = r.get("verdict")
        c[v] = c.get(v, 0) + 1
    return c


def headline(records) -> str:
    """One sentence: theorem/experiment verdict counts, then sanity checks apart."""
    records = _records(records)
    ev = [r for r in records if _kind(r) != "sanity"]
    sa = [r for r in records if _kind(r) == "sanity"]
    c = _counts(ev)
    parts = ", ".join(f"{c[v]} {VERDICT_SYMBOLS[v]}" for v in EVIDENCE_VERDICTS if c.get(v)) or "none"
    kinds = ", ".join(f"{sum(1 for r in ev if _kind(r) == k)} {k}" for k in ("theorem", "experiment"))
    sfail = sum(1 for r in sa if r.get("verdict") == "FAILED")
    sanity = f"{len(sa)} sanity checks ({len(sa) - sfail} passed, {sfail} failed)"
    return f"**{len(ev)} paper claims** ({kinds}): {parts}. Apart from these: {sanity}, never counted as reproductions."


def _timing(v) -> tuple[float | None, str | None]:
    if isinstance(v, dict):
        s = v.get("seconds")
        return (float(s) if s is not None else None), v.get("profile")
    return (float(v) if v is not None else None), None


def _timing_cols(timings) -> list[str]:
    extra = []
    for v in timings.values():
        if isinstance(v, dict):
            for k in ("compile_seconds", "execute_seconds"):
                if k in v and k not in extra:
                    extra.append(k)
    return extra


def _control_text(r: dict) -> str:
    if _kind(r) == "sanity" or not r.get("control"):
        return ""
    return f"{_cell(r.get('control'))}: {format_value(r.get('control_observed'))}"


def _evidence_text(r: dict) -> str:
    ev = r.get("evidence")
    if not isinstance(ev, dict):
        return ""
    bits = []
    if "test" in ev:
        bits.append(str(ev["test"]))
    if "n" in ev:
        bits.append(f"n={ev['n']}")
    if "ci" in ev:
        lvl = ev.get("level")
        bits.append(f"{'' if lvl is None else f'{100 * float(lvl):.0f}% '}CI {format_value(ev['ci'])}")
    if ev.get("p") is not None:
        bits.append(f"p={format_value(ev['p'])}")
    return "; ".join(bits)


_INTRO = (
    "Every claim is a check `observed <op> threshold` declared before anything is computed. A **theorem** "
    "or **experiment** claim is evaluated twice with the same op and threshold: on the paper's setting and on "
    "a *control* where it must come out the other way. *Reproduced* means the main check passes and the "
    "control fails; if both pass the check *cannot discriminate* and the notebook fails. **Sanity** checks "
    "(identities, oracle agreement, our own constructions) are listed apart and never count as reproductions. "
    "The *cell* column is the `In [N]` of the checking cell in the executed notebook."
)


def _claim_row(r: dict, kind: str, vtext: str, figures_rel: str) -> str:
    fig = r.get("figure")
    ftext = f"[{Path(str(fig)).suffix.lstrip('.') or 'figure'}]({figures_rel}/{fig})" if fig else ""
    ctext = f"In [{r['cell']}]" if r.get("cell") is not None else ""
    if kind == "sanity":
        return (f"| `{_cell(r.get('claim'))}` | {_cell(r.get('description'))} | {format_value(r.get('observed'))} "
                f"| {_cell(_threshold_text(r))} | {vtext} | {ftext} | {ctext} |")
    return (f"| `{_cell(r.get('claim'))}` | {kind} | {_cell(r.get('description'))} | {format_value(r.get('observed'))} "
            f"| {_cell(_threshold_text(r))} | {_control_text(r)} | {vtext} | {_cell(_evidence_text(r))} | {ftext} | {ctext} |")


def _kind_section(kind: str, recs: list, figures_rel: str, note: int) -> tuple[list, int]:
    """One table of a paper's claims of one kind, with numbered notes for verdicts that carry a reason."""
    nbs = sorted({str(r.get("notebook")) for r in recs})
    profiles = sorted({str(r.get("profile")) for r in recs if r.get("profile") is not None})
    prof = f"; profile: {', '.join(profiles)}" if profiles else ""
    lines = [f"### {kind} claims ({len(recs)}; notebook {', '.join(f'`{n}`' for n in nbs)}{prof})", ""]
    if kind == "sanity":
        lines += ["| claim | what | observed | threshold | verdict | figure | cell |", "|---|---|---|---|---|---|---|"]
    else:
        lines += ["| claim | kind | what | observed | threshold | control | verdict | statistics | figure | cell |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for r in recs:
        verdict = r.get("verdict", "")
        vtext = VERDICT_SYMBOLS.get(verdict, _cell(verdict))
        if r.get("reason") and verdict in ("not reproduced", "unexpectedly reproduced", "FAILED", "cannot discriminate"):
            note += 1
            vtext += f" [{note}]"
            notes.append(f"[{note}] `{_cell(r.get('claim'))}`: {_cell(r['reason'])}")
        lines.append(_claim_row(r, kind, vtext, figures_rel))
    lines.append("")
    if notes:
        lines.extend(n + "  " for n in notes[:-1])
        lines += [notes[-1], ""]
    return lines, note


def _runtime_section(timings: dict) -> list:
    extra = _timing_cols(timings)
    lines = ["## Runtimes", "",
             "| notebook | profile | seconds |" + "".join(f" {k.replace('_', ' ')} |" for k in extra),
             "|---|---|---|" + "---|" * len(extra)]
    for nb in sorted(timings):
        s, prof = _timing(timings[nb])
        row = f"| `{nb}` | {prof or ''} | {'' if s is None else f'{s:.1f}'} |"
        for k in extra:
            v = timings[nb].get(k) if isinstance(timings[nb], dict) else None
            row += f" {'' if v is None else f'{float(v):.1f}'} |"
        lines.append(row)
    return lines + [""]


def render_report(records, figures_rel: str = "figures", timings=None, failures=None, title: str = "ssmtheory: reproduction report") -> str:
    """The Markdown text of :func:`write_report` (same arguments, no file)."""
    records = _records(records)
    figures_rel = str(figures_rel).replace("\\", "/").rstrip("/")
    lines = [f"# {title}", "", headline(records), "", _INTRO, ""]
    if failures:
        lines += ["## Notebook failures", ""] + [f"- `{nb}`: {_cell(failures[nb])}" for nb in sorted(failures)] + [""]
    note = 0
    for paper, kinds in _group(records).items():
        lines += [f"## {paper}", ""]
        for kind, recs in kinds.items():
            section, note = _kind_section(kind, recs, figures_rel, note)
            lines += section
    if timings:
        lines += _runtime_section(timings)
    return "\n".join(lines).rstrip("\n") + "\n"


def _atomic_write_bytes(path: Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_report(records, path, figures_rel: str = "figures", timings=None, failures=None) -> Path:
    """Write the Markdown report of ``records`` to ``path`` (atomically); return the path.

    ``figures_rel`` is the figure folder relative to the report (figure links are
    ``[png](<figures_rel>/<file>)``).  ``timings`` maps notebook -> seconds (or a dict with
    ``seconds``, ``profile`` and optionally ``compile_seconds``/``execute_seconds``) and adds a
    runtime table; ``failures`` maps notebook -> error message and adds a "Notebook failures" section.
    """
    text = render_report(records, figures_rel=figures_rel, timings=timings, failures=failures)
    return _atomic_write_bytes(Path(path), text.encode("utf-8"))


def summary_table(records) -> str:
    """Per-paper Markdown table of paper claims by verdict, with the sanity checks counted apart.

    Columns: ``paper | theorem | experiment | reproduced | not reproduced | cannot discriminate |
    failed | sanity (passed/total)``; an ``unexpectedly reproduced`` column is added only when such
    claims exist.
    """
    records = _records(records)
    groups = _group(records)
    extra = any(r.get("verdict") == "unexpectedly reproduced" for r in records)
    head = ("| paper | theorem | experiment | reproduced | not reproduced | cannot discriminate | failed |"
            + (" unexpectedly reproduced |" if extra else "") + " sanity (passed/total) |")
    sep = "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if extra else "") + "---:|"
    lines = [head, sep]

    def row(name, recs):
        ev = [r for r in recs if _kind(r) != "sanity"]
        sa = [r for r in recs if _kind(r) == "sanity"]
        c = _counts(ev)
        nth = sum(1 for r in ev if _kind(r) == "theorem")
        s = (f"| {name} | {nth} | {len(ev) - nth} | {c['reproduced']} | {c['not reproduced']} | "
             f"{c['cannot discriminate']} | {c['FAILED']} |")
        if extra:
            s += f" {c['unexpectedly reproduced']} |"
        spass = sum(1 for r in sa if r.get("verdict") == "sanity passed")
        return s + f" {spass}/{len(sa)} |"

    for paper, kinds in groups.items():
        lines.append(row(paper, [r for recs in kinds.values() for r in recs]))
    lines.append(row("**total**", records))
    return "\n".join(lines) + "\n"


def render_findings(records) -> str:
    """"What we found", generated: per paper, every theorem/experiment claim with its number, control and verdict.

    Wording follows fixed rules: the verdict word comes from the record, the numbers from
    ``observed``, ``threshold`` and ``control_observed``, and statistical evidence (CI, p, n) is
    quoted when present.  Nothing is hand-written.
    """
    out = []
    for paper, kinds in _group(_records(records)).items():
        ev = [r for k, recs in kinds.items() if k != "sanity" for r in recs]
        if not ev:
            continue
        out.append(f"**{paper}**")
        out.append("")
        for r in ev:
            desc = _cell(r.get("description")) or r.get("claim")
            stat = _evidence_text(r)
            stat = f"; {stat}" if stat else ""
            out.append(
                f"- {VERDICT_SYMBOLS.get(r.get('verdict'), r.get('verdict'))} ({_kind(r)}) {desc}: "
                f"{format_value(r.get('observed'))} (required {_threshold_text(r)}{stat}); control "
                f"({_cell(r.get('control'))}): {format_value(r.get('control_observed'))}. `{r.get('claim')}`"
            )
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def update_readme(path, records) -> bool:
    """Regenerate the README blocks between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``.

    ``claims-table`` gets :func:`headline` + :func:`summary_table`; ``findings`` gets
    :func:`render_findings`.  Blocks that are absent are left alone; a ``begin`` without its
    ``end`` raises ``ValueError``.  Returns True when the file changed (written atomically).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    records = _records(records)
    bodies = {"claims-table": headline(records) + "\n\n" + summary_table(records), "findings": render_findings(records)}
    new = text
    for name in README_BLOCKS:
        b, e = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        if b not in new:
            continue
        if e not in new or new.index(e) < new.index(b):
            raise ValueError(f"{path}: {b} without a following {e}")
        pat = re.compile(re.escape(b) + r".*?" + re.escape(e), re.S)
        new = pat.sub(lambda m: f"{b}\n{bodies[name].rstrip()}\n{e}", new, count=1)
    if new != text:
        _atomic_write_bytes(path, new.encode("utf-8"))
        return True
    return False


# ----------------------------------------------------------------------------------------------
# HTML version: the same content with every figure inline (base64), one self-contained file
# ----------------------------------------------------------------------------------------------
_CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;margin:0.5em 0 1.5em;font-size:0.9em}
th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top}th{background:#f3f3f3}
code{font-size:0.9em}.reproduced{background:#eefbee}.FAILED{background:#fde8e8}
.not-reproduced{background:#fff6e0}.cannot-discriminate{background:#fde8e8}.sanity-passed{background:#f7f7f7}.unexpectedly-reproduced{background:#eef3ff}
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

    records = _records(records)
    fig_dir = Path(fig_dir)
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{_esc(title)}</h1>",
           "<p>" + _esc(headline(records).replace("**", "")) + "</p>"]
    if failures:
        out.append("<h2>Notebook failures</h2><ul>" + "".join(f"<li><code>{_esc(k)}</code>: {_esc(v)}</li>" for k, v in sorted(failures.items())) + "</ul>")
    for paper, kinds in _group(records).items():
        out.append(f"<h2>{_esc(paper)}</h2>")
        figs = []
        for kind, recs in kinds.items():
            out.append(f"<h3>{_esc(kind)} claims</h3><table><tr><th>claim</th><th>what</th><th>observed</th>"
                       "<th>threshold</th><th>control</th><th>verdict</th><th>statistics</th><th>cell</th></tr>")
            for r in recs:
                v = str(r.get("verdict", ""))
                cls = v.replace(" ", "-")
                reason = f"<div class='note'>{_esc(r.get('reason'))}</div>" if r.get("reason") else ""
                cell = f"In [{r['cell']}]" if r.get("cell") is not None else ""
                out.append(f"<tr class='{_esc(cls)}'><td><code>{_esc(r.get('claim'))}</code></td><td>{_esc(r.get('description'))}</td>"
                           f"<td>{_esc(format_value(r.get('observed')))}</td><td>{_esc(_threshold_text(r))}</td>"
                           f"<td>{_esc(_control_text(r))}</td>"
                           f"<td>{_esc(VERDICT_SYMBOLS.get(v, v))}{reason}</td><td>{_esc(_evidence_text(r))}</td><td>{cell}</td></tr>")
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
    return _atomic_write_bytes(Path(path), render_html(records, fig_dir, timings=timings, failures=failures).encode("utf-8"))

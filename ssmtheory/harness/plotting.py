"""Shared figure style and deterministic figure saving.

* :func:`use_style` sets one seaborn/matplotlib look for every notebook (idempotent).
* :func:`save_figure` writes ``figure_dir()/<notebook>-<name>.<fmt>`` (atomically; by default
  under the run folder ``results/figures``, never the committed gallery) with metadata stripped so
  that the same figure gives the same bytes; notebooks pass ``figure=path.name`` to
  :func:`ssmtheory.harness.claims.check`.
* :func:`mark_roundoff_floor` shades the region below a round-off level (e.g. ``1e-12 ||A||`` in
  pseudospectra plots) so that noise is not read as signal.
"""

from __future__ import annotations

import re
from pathlib import Path

from ssmtheory.harness import paths

__all__ = ["use_style", "save_figure", "saved_figures", "mark_roundoff_floor", "RC"]

_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")
_FORMATS = ("png", "pdf", "svg")

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "figure.titlesize": 13,
    "lines.linewidth": 1.6,
    "svg.hashsalt": "ssmtheory",
}

_saved: list[str] = []


def use_style() -> None:
    """Apply the shared look: seaborn whitegrid / notebook context / colorblind palette + :data:`RC`."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", palette="colorblind")
    mpl.rcParams.update(RC)


def _metadata(fmt: str) -> dict:
    if fmt == "png":
        return {"Software": None}
    if fmt == "pdf":
        return {"Creator": None, "Producer": None, "CreationDate": None}
    return {"Creator": None, "Date": None}


def save_figure(fig, notebook: str, name: str, formats=("png",)) -> Path:
    """Save ``fig`` as ``figure_dir()/<notebook>-<name>.<fmt>`` for each format; return the PNG path.

    ``notebook`` and ``name`` must match ``[A-Za-z0-9_.-]+`` and ``formats`` be a subset of
    ``png, pdf, svg`` (``ValueError`` otherwise).  Output is byte-for-byte reproducible
    (no software/date metadata, fixed SVG hash salt).  When ``png`` is not requested the path
    of the first format is returned.  The basename is also appended to :func:`saved_figures`.
    Each file is written atomically (temporary file in the same folder, then renamed).
    """
    import matplotlib as mpl

    if not hasattr(fig, "savefig"):
        raise ValueError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    for val, arg in ((notebook, "notebook"), (name, "name")):
        if not isinstance(val, str) or not _NAME_RE.fullmatch(val):
            raise ValueError(f"{arg} must match [A-Za-z0-9_.-]+, got {val!r}")
    if isinstance(formats, str):
        formats = (formats,)
    formats = tuple(formats)
    if not formats or any(f not in _FORMATS for f in formats):
        raise ValueError(f"formats must be a non-empty subset of {_FORMATS!r}, got {formats!r}")
    out_dir = paths.figure_dir()
    written: dict[str, Path] = {}
    with mpl.rc_context({"svg.hashsalt": "ssmtheory"}):
        for fmt in formats:
            p = out_dir / f"{notebook}-{name}.{fmt}"
            with paths.atomic_path(p) as tmp:  # a reader (or an interrupted run) never sees half a figure
                fig.savefig(tmp, format=fmt, metadata=_metadata(fmt))
            written[fmt] = p
    main = written.get("png", written[formats[0]])
    _saved.append(main.name)
    return main


def saved_figures() -> list[str]:
    """Basenames returned by :func:`save_figure` in this process, in order."""
    return list(_saved)


def mark_roundoff_floor(ax, level: float, axis: str = "y", label: str = "round-off floor"):
    """Shade (hatched grey) everything below ``level`` on ``axis`` ("x" or "y") and label it.

    Draws a dashed line at ``level`` plus a band from the lower axis limit to ``level``; the
    view limits are kept (extended downwards on a log axis when ``level`` is below them, so the
    band stays visible).  Returns the band artist; the legend entry is ``label``.
    """
    import math

    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    if not all(hasattr(ax, m) for m in ("get_ylim", "axhspan", "get_yscale")):
        raise ValueError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    if isinstance(level, (str, bytes, bool)):
        raise ValueError(f"level must be a real number, got {level!r}")
    level = float(level)
    if not math.isfinite(level):
        raise ValueError(f"level must be finite, got {level!r}")
    get_lim = ax.get_ylim if axis == "y" else ax.get_xlim
    set_lim = ax.set_ylim if axis == "y" else ax.set_xlim
    scale = ax.get_yscale() if axis == "y" else ax.get_xscale()
    lo, hi = get_lim()
    if scale == "log":
        if level <= 0:
            raise ValueError(f"level must be positive on a log axis, got {level!r}")
        if lo >= level:
            lo = level / 10.0
        if hi <= level:
            hi = level * 10.0
    else:
        if lo >= level:
            lo = level - 0.1 * max(abs(level), hi - lo, 1e-300)
        if hi <= level:
            hi = level + 0.1 * max(abs(level), hi - lo, 1e-300)
    span = ax.axhspan if axis == "y" else ax.axvspan
    line = ax.axhline if axis == "y" else ax.axvline
    band = span(lo, level, facecolor="0.85", edgecolor="0.55", hatch="///", alpha=0.5, linewidth=0, zorder=0, label=label)
    line(level, color="0.4", linestyle="--", linewidth=1.0, zorder=1)
    set_lim(lo, hi)
    return band

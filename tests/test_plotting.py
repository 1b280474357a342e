"""Shared style and deterministic figure saving."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ssmtheory.harness import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("SSMTHEORY_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("SSMTHEORY_FIG_DIR", str(tmp_path / "figures"))
    with matplotlib.rc_context():
        yield
    plt.close("all")


def _figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    x = np.linspace(1, 10, 20)
    ax.semilogy(x, np.exp(-x), label="decay")
    ax.set_title("t")
    ax.legend()
    return fig, ax


def test_use_style_idempotent():
    plotting.use_style()
    first = dict(matplotlib.rcParams)
    plotting.use_style()
    assert dict(matplotlib.rcParams) == first
    assert matplotlib.rcParams["figure.dpi"] == 110
    assert matplotlib.rcParams["savefig.dpi"] == 150
    assert matplotlib.rcParams["savefig.bbox"] == "tight"


def test_save_figure_png_deterministic(tmp_path):
    plotting.use_style()
    fig, _ = _figure()
    p = plotting.save_figure(fig, "00_demo", "decay")
    assert p == tmp_path / "figures" / "00_demo-decay.png"
    data = p.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"Software" not in data
    p2 = plotting.save_figure(fig, "00_demo", "decay")
    assert p2.read_bytes() == data
    assert plotting.saved_figures()[-1] == p.name == "00_demo-decay.png"


def test_save_figure_pdf_svg_deterministic(tmp_path):
    fig, _ = _figure()
    p = plotting.save_figure(fig, "00_demo", "v2", formats=("png", "pdf", "svg"))
    assert p.suffix == ".png"
    pdf, svg = p.with_suffix(".pdf"), p.with_suffix(".svg")
    a, b = pdf.read_bytes(), svg.read_bytes()
    assert a.startswith(b"%PDF") and b"CreationDate" not in a
    plotting.save_figure(fig, "00_demo", "v2", formats=("pdf", "svg"))
    assert pdf.read_bytes() == a and svg.read_bytes() == b
    assert plotting.save_figure(fig, "00_demo", "only", formats="svg").suffix == ".svg"


@pytest.mark.parametrize("name", ["a b", "a/b", "", "x*"])
def test_save_figure_bad_name(name):
    fig, _ = _figure()
    with pytest.raises(ValueError, match="name"):
        plotting.save_figure(fig, "00_demo", name)


def test_save_figure_bad_format():
    fig, _ = _figure()
    with pytest.raises(ValueError, match="formats"):
        plotting.save_figure(fig, "00_demo", "x", formats=("jpg",))


def test_mark_roundoff_floor():
    fig, ax = _figure()
    lo, hi = ax.get_ylim()
    band = plotting.mark_roundoff_floor(ax, 1e-3)
    assert band.get_label() == "round-off floor"
    assert ax.get_ylim() == pytest.approx((lo, hi))
    ax.legend()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "round-off floor" in labels
    # level below the view on a log axis: view is extended so the band shows
    fig2, ax2 = _figure()
    plotting.mark_roundoff_floor(ax2, 1e-12, label="1e-12 ||A||")
    assert ax2.get_ylim()[0] <= 1e-12
    fig3, ax3 = plt.subplots()
    ax3.plot([0, 1], [0, 1])
    plotting.mark_roundoff_floor(ax3, 0.2, axis="x")
    with pytest.raises(ValueError, match="axis"):
        plotting.mark_roundoff_floor(ax3, 0.2, axis="z")


def test_save_figure_atomic(tmp_path, monkeypatch):
    """An interrupted save leaves the previous figure intact and no temporary file behind."""
    fig, _ = _figure()
    p = plotting.save_figure(fig, "00_demo", "atomic")
    before = p.read_bytes()

    def broken(path, **kw):
        with open(path, "wb") as fh:
            fh.write(b"half a png")
        raise KeyboardInterrupt

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(KeyboardInterrupt):
        plotting.save_figure(fig, "00_demo", "atomic")
    assert p.read_bytes() == before
    assert sorted(x.name for x in p.parent.iterdir()) == ["00_demo-atomic.png"]


def test_default_figure_dir_is_the_run_folder(tmp_path, monkeypatch):
    """Without SSMTHEORY_FIG_DIR figures go to <results>/figures, never the committed gallery."""
    monkeypatch.delenv("SSMTHEORY_FIG_DIR")
    fig, _ = _figure()
    p = plotting.save_figure(fig, "00_demo", "where")
    assert p.parent == tmp_path / "results" / "figures"

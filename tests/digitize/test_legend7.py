"""Legends an expert reads at a glance, drawn here with matplotlib (seeded data, pinned styles):
the truth is what was drawn — each entry's text, its colour, and which curve it names.

* Marker-only entries outside the axes on the right, in grey text, on a grey figure with tick
  labels set well apart from the axes: both entries are read and each names the curve of its
  colour.
* A column of grey entries, each a line (solid, dashed, dotted) with a marker on it: every entry
  is read, in order, with its own shade.
* Thick black line handles touching or nearly touching black text (a monochrome series): every
  entry is read, the line is not read as the start of its text.
* A gridline running through an entry's text and handle: the entry is still read, with the
  handle's colour.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from voltlens.digitize import digitize
from voltlens.digitize.curves import plot_region
from voltlens.digitize.layout import analyse_layout
from voltlens.digitize.legend import Legend, find_legend

from . import conftest  # noqa: F401  (skips without the image extra)


def _png(
    draw: Callable[[Any, Any], None], *, size: tuple[float, float] = (6.0, 4.5), face: str = "white"
) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100, facecolor=face)
    FigureCanvasAgg(fig)
    draw(fig, fig.add_subplot())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor=face)
    return buf.getvalue()


TEXT = "#5a5a5a"


def _waves(seed: int, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` peaks of rising height (µA) over a shared potential grid (V)."""
    rng = np.random.default_rng(seed)
    e = np.linspace(-0.3, 0.5, 240)
    e0 = 0.1 + 0.05 * rng.uniform(-1.0, 1.0)
    heights = np.cumsum(rng.uniform(0.8, 1.2, n))
    return [(e, h * np.exp(-(((e - e0) / 0.08) ** 2))) for h in heights]


def _legend(png: bytes) -> Legend | None:
    from voltlens.digitize.image import load_image

    img = load_image(png, source="test")
    layout = analyse_layout(img, source="test")
    return find_legend(layout, plot_region(layout.box, layout.ink.strength.shape))


def _same(a: str, b: str) -> bool:
    return "".join(a.split()).lower() == "".join(b.split()).lower()


@pytest.mark.parametrize("seed", [1, 5])
def test_marker_only_entries_outside_the_axes(seed: int) -> None:
    truths = _waves(seed, 2)
    names = ["sample A", "sample B"]
    colours = ["#1b9e77", "#d95f02"]

    def draw(fig, ax) -> None:  # type: ignore[no-untyped-def]
        fig.subplots_adjust(left=0.17, right=0.78, bottom=0.2)
        for (e, i), name, c in zip(truths, names, colours, strict=True):
            ax.plot(e, i, ls="none", marker="s" if name.endswith("B") else "x", ms=4, color=c, label=name)
        ax.set_facecolor("white")
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        # grey text, the tick labels set well apart from the axes
        ax.tick_params(pad=24, labelcolor=TEXT)
        ax.set_xlabel("E (V)", color=TEXT)
        ax.set_ylabel("I [µA]", color=TEXT)
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, labelcolor=TEXT)

    png = _png(draw, face="#f2f2f2")
    legend = _legend(png)
    assert legend is not None
    assert [e.label for e in legend.entries] == names
    result = digitize(png)
    heights = {
        lb: float(np.max(c.current)) for lb, c in zip(result.legend_labels, result.curves, strict=True)
    }
    for name, (_, i) in zip(names, truths, strict=True):  # each label on the curve of its colour
        assert abs(heights[name] * 1e6 - float(np.max(i))) <= 0.05 * float(np.max(truths[-1][1])), name


@pytest.mark.parametrize("seed", [2, 8])
def test_grey_line_and_marker_entries(seed: int) -> None:
    truths = _waves(seed, 6)
    names = [f"{v} mV/s" for v in (76, 120, 190, 300, 470, 740)]
    styles = ["-", "--", ":", "--", "-", "--"]
    greys = np.linspace(0.65, 0.0, 6)

    def draw(fig, ax) -> None:  # type: ignore[no-untyped-def]
        for k, ((e, i), name) in enumerate(zip(truths, names, strict=True)):
            g = str(round(float(greys[k]), 3))
            ax.plot(
                e, i, ls=styles[k], color=g, marker="o", mfc="none", markevery=20, lw=2.5, ms=8, label=name
            )
        ax.set_xlabel("Potential (V)")
        ax.set_ylabel("I (µA)")
        ax.legend(loc="upper left", frameon=False, handlelength=3)

    legend = _legend(_png(draw))
    assert legend is not None
    assert [e.label for e in legend.entries] == names
    shades = [float(np.mean(e.color)) for e in legend.entries]
    for got, want in zip(shades, greys * 255, strict=True):  # each entry has its own shade
        assert abs(got - want) <= 30, (shades, list(greys * 255))


@pytest.mark.parametrize(("seed", "pad"), [(3, 0.3), (4, 0.25)])
def test_black_line_handles_before_black_text(seed: int, pad: float) -> None:
    truths = _waves(seed, 5)
    names = ["blank"] + [f"{0.0178 * k:.3g} mM" for k in range(1, 5)]

    def draw(fig, ax) -> None:  # type: ignore[no-untyped-def]
        for (e, i), name in zip(truths, names, strict=True):
            ax.plot(e, i, color="black", lw=6, label=name)
        ax.set_xlabel("Potential / V")
        ax.set_ylabel("I / µA")
        # thick lines ending a pixel or two before their texts
        ax.legend(loc="upper right", handletextpad=pad, prop={"size": 12, "family": "serif"})

    legend = _legend(_png(draw))
    assert legend is not None
    assert [e.label for e in legend.entries] == names
    for e in legend.entries:  # the handle is the line, the text starts after it
        assert e.handle[2] <= e.text[0]
        assert e.handle[2] - e.handle[0] >= 2 * (e.text[3] - e.text[1])


@pytest.mark.parametrize("seed", [6, 7])
def test_gridline_through_an_entry(seed: int) -> None:
    truths = _waves(seed, 3)
    names = ["sample A", "sample B", "sample C"]
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c"]

    def draw(fig, ax) -> None:  # type: ignore[no-untyped-def]
        for (e, i), name, c in zip(truths, names, colours, strict=True):
            ax.plot(e, i, color=c, lw=1.5, label=name)
        # a gridline at mid-height of the axes, through the middle entry of a legend centred there
        ax.set_ylim(-0.5, 4.5)
        ax.set_yticks([0.0, 1.0, 2.0, 3.0, 4.0])
        ax.grid(True, color="0.6", lw=0.8)
        ax.set_xlabel("E / V")
        ax.set_ylabel("I / µA")
        ax.legend(loc="center right", bbox_to_anchor=(1.0, 0.5), frameon=False, borderaxespad=0.3)

    png = _png(draw)
    legend = _legend(png)
    assert legend is not None
    assert [e.label for e in legend.entries] == names
    for e, c in zip(legend.entries, colours, strict=True):
        want = np.array([int(c[k : k + 2], 16) for k in (1, 3, 5)])
        assert float(np.abs(np.asarray(e.color) - want).max()) <= 40, (e.label, e.color, c)
    result = digitize(png)
    labels = sorted(lb or "" for lb in result.legend_labels)
    assert len(labels) == len(names), labels
    assert all(_same(a, b) for a, b in zip(labels, names, strict=True)), labels


def test_a_line_that_is_all_handle_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the handle split takes a whole line of ink (a curve drawn through an entry's text in
    the text colour — dev figure 000177 of seed 600000 crashed), the line is no entry and the
    legend search goes on, not an IndexError."""
    import voltlens.digitize.legend as legend_mod

    truths = _waves(3, 2)

    def draw(fig, ax) -> None:  # type: ignore[no-untyped-def]
        for (e, i), name in zip(truths, ["sample A", "sample B"], strict=True):
            ax.plot(e, i, label=name)
        ax.legend(loc="upper left")

    png = _png(draw)
    calls: list[int] = []
    monkeypatch.setattr(legend_mod, "_split_lead", lambda word, mask: calls.append(1) or ([], list(word)))
    legend = _legend(png)
    assert calls, "the handle split was never reached"
    assert legend is None or not legend.entries

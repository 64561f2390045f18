"""Legend handles an expert reads at a glance, with the truth planted: what was drawn.

* Excel-style handles — a thick line with a big marker on it, in a colour near the grey text —
  run into one piece of ink that the text search takes for the start of the entry's text: every
  entry is still read, in order, each with its own colour.
* A coloured handle whose box takes in a piece of black ink (the legend's frame where a gridline
  meets it, a black mark beside it): the handle keeps its own colour, not the stronger black —
  also where the text is grey and the black lies beyond it on the grey axis.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from voltlens.digitize.curves import plot_region
from voltlens.digitize.layout import analyse_layout
from voltlens.digitize.legend import Legend, find_legend
from voltlens.digitize.legend import _handle_colour as handle_colour
from voltlens.digitize.text import Glyph

from . import conftest  # noqa: F401  (skips without the image extra)


def _png(draw: Callable[[Any, Any], None], *, size: tuple[float, float] = (5.2, 5.2)) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    draw(fig, fig.add_subplot())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white")
    return buf.getvalue()


def _legend(png: bytes) -> Legend | None:
    from voltlens.digitize.image import load_image

    img = load_image(png, source="test")
    layout = analyse_layout(img, source="test")
    return find_legend(layout, plot_region(layout.box, layout.ink.strength.shape))


def _rgb(hexcode: str) -> np.ndarray:
    return np.array([int(hexcode[k : k + 2], 16) for k in (1, 3, 5)], dtype=float)


EXCEL_TEXT = "#6d6d6d"
EXCEL = ["#4472c4", "#ed7d31", "#a5a5a5", "#ffc000", "#5b9bd5", "#70ad47"]
MARKERS = ["D", "s", "^", "x", "*", "o"]


@pytest.mark.parametrize("seed", [3, 9])
def test_line_and_big_marker_handles_in_colours_near_the_text(seed: int) -> None:
    rng = np.random.default_rng(seed)
    e = np.linspace(-0.7, 0.1, 200)
    names = [f"{v} mV/s" for v in (98, 140, 200, 290, 410, 590)]
    heights = np.cumsum(rng.uniform(0.8, 1.2, len(names)))

    def draw(fig, ax) -> None:  # type: ignore[no-untyped-def]
        fig.subplots_adjust(left=0.14, right=0.72, bottom=0.12, top=0.95)
        for k, name in enumerate(names):
            i = heights[k] * np.exp(-(((e + 0.3) / 0.08) ** 2))
            ax.plot(e, i, color=EXCEL[k], lw=3, marker=MARKERS[k], ms=11, markevery=25, label=name)
        ax.tick_params(labelcolor=EXCEL_TEXT, colors=EXCEL_TEXT)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel("E / V", color=EXCEL_TEXT)
        ax.set_ylabel("I [µA]", color=EXCEL_TEXT)
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
            labelcolor=EXCEL_TEXT,
            handlelength=2.2,
            handletextpad=0.6,
        )

    legend = _legend(_png(draw))
    assert legend is not None
    assert ["".join(en.label.split()) for en in legend.entries] == ["".join(n.split()) for n in names]
    for en, c in zip(legend.entries, EXCEL, strict=True):
        assert float(np.abs(np.asarray(en.color) - _rgb(c)).max()) <= 40, (en.label, en.color, c)


@pytest.mark.parametrize(
    ("line", "text"), [("#9467bd", "#000000"), ("#2ca02c", "#2c2c2c"), ("#d62728", "#000000")]
)
@pytest.mark.parametrize("thick", [4, 6])
def test_a_coloured_handle_keeps_its_colour_beside_black_ink(line: str, text: str, thick: int) -> None:
    """A handle's box with a black frame piece at its left end: the colour is the line's."""
    h, w = 40, 160
    img = np.full((h, w, 3), 255, dtype=np.uint8)
    img[10:30, 20 : 20 + thick] = 0  # the black frame where a gridline meets it
    img[18:24, 36:140] = _rgb(line).astype(np.uint8)  # the series line
    strength = (255 - img.min(axis=2)).astype(np.uint8)
    background = np.full_like(img, 255)
    g = Glyph(18, 10, 141, 30, int((strength > 0).sum()))
    got = handle_colour(img, background, strength, g, _rgb(text))
    assert float(np.abs(got - _rgb(line)).max()) <= 20, (got, line)


def test_a_black_handle_stays_black_beside_grey_text() -> None:
    """A handle drawn in black (a monochrome series) with grey text: no colour is made up for it,
    even from its anti-aliased edges."""
    h, w = 40, 160
    img = np.full((h, w, 3), 255, dtype=np.uint8)
    img[18:24, 36:140] = 0
    img[17, 36:140] = 170  # anti-aliased edges
    img[24, 36:140] = 170
    strength = (255 - img.min(axis=2)).astype(np.uint8)
    background = np.full_like(img, 255)
    g = Glyph(36, 17, 140, 25, int((strength > 0).sum()))
    got = handle_colour(img, background, strength, g, _rgb("#595959"))
    assert float(np.abs(got).max()) <= 20, got

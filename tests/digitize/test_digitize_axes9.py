"""Axis text read as an expert reads it, against planted truths.

* A plot drawn without axis lines (dash-dot gridlines, thick dashed curves): the plot area comes
  from the tick labels alone, and the dashes of the curves and of the first x gridline must not be
  taken for (or chain together) the column of y tick labels — both axes calibrate within 0.5 %.
* A current title whose brackets OCR read as strokes ("Curent IpAl" for "Current [pA]"): the
  brackets are restored and the unit read. A "p" stays pico: OCR sometimes reads µ as p, but
  microelectrode voltammograms are drawn in pA, and a guessed µ would put them 10⁶ off.
"""

from __future__ import annotations

import numpy as np
import pytest

from voltlens.digitize.parse import parse_current_title

from .conftest import layout_errors, planted_figure

XLIM = (0.62, -0.28)
YLIM = (-0.23, 0.36)


def _no_lines_dashed(seed: int) -> tuple[np.ndarray, object]:
    rng = np.random.default_rng(seed)
    e = np.linspace(0.55, -0.25, 300)

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        for k, c in enumerate(["0.65", "0.35", "black"]):
            e0 = 0.25 + 0.05 * k + 0.02 * rng.uniform(-1, 1)
            i = 0.3 * (0.6 + 0.2 * k) * np.exp(-(((e - e0) / 0.05) ** 2)) + 0.1 * np.tanh((e - 0.3) / 0.05)
            ax.plot(np.r_[e, e[::-1]], np.r_[i, -0.6 * i[::-1]], lw=4, color=c, dashes=(3, 1.5))
        ax.set_xlim(*XLIM)
        ax.set_ylim(*YLIM)
        ax.set_yticks([-0.2, -0.1, 0.0, 0.1, 0.2, 0.3])
        ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.1e}")
        ax.grid(True, ls="-.", color="0.75", lw=1.5)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.tick_params(length=0)
        ax.set_xlabel("E / V")
        ax.set_ylabel("Current / µA")

    return planted_figure(draw, size=(5.0, 5.0), margins=(0.25, 0.12))


@pytest.mark.parametrize("seed", [1, 2])
def test_no_axis_lines_dashed_curves_across_the_label_rows(seed: int) -> None:
    img, to_pixel = _no_lines_dashed(seed)
    ex, ey = layout_errors(img, to_pixel, XLIM, YLIM)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


@pytest.mark.parametrize(
    ("read", "symbol"),
    [
        ("Curent IpAl", "pA"),
        ("Current lpA]", "pA"),
        ("I (pA)", "pA"),
        ("Current lmAl", "mA"),
        ("I |nA|", "nA"),
    ],
)
def test_brackets_read_as_strokes(read: str, symbol: str) -> None:
    t = parse_current_title(read)
    assert t.unit is not None and t.unit.symbol == symbol, (read, t)
    assert not t.prefix_guessed


def test_a_word_ending_in_a_is_still_no_unit() -> None:
    """The bracket repair needs a stroke on both sides of the unit: "Il" alone, or a title with
    no unit at all, stays unreadable."""
    assert parse_current_title("Current").unit is None
    assert parse_current_title("I l").unit is None

"""Legends and curves of one colour told apart by line style, drawn here with matplotlib (seeded
data, pinned styles): the truth is what was drawn — how many curves, and the legend text of each.

* Monochrome DPV series drawn solid, dashed, dotted and dash-dotted over one shared baseline:
  every curve comes back (the dashes' gaps no longer hide the columns where all strokes part),
  each with a legend value, the blank (flattest) with the first entry.
* A legend without a frame drawn over coloured curves that cross its texts: every entry is read
  with its value (the crossing curve's colour is kept out of the letters and of the OCR).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from voltlens.digitize import DigitizedFigure, digitize

from . import conftest  # noqa: F401  (skips without the image extra)

STYLES = ["-", "--", ":", "-."]


def _png(
    draw: Callable[[Any], None],
    size: tuple[float, float] = (6.0, 4.5),
    dpi: int = 100,
    *,
    tight: bool = False,
) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    draw(fig.add_subplot())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight" if tight else None)
    return buf.getvalue()


def _dpv_series(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    e = np.linspace(-0.2, 0.6, 400)
    e0 = 0.2 + 0.05 * rng.uniform(-1.0, 1.0)
    heights = np.array([0.0, 1.0, 2.2, 3.6]) * rng.uniform(0.8, 1.2)
    base = 0.2 + 0.8 * (e - 0.2) ** 2
    return [(e, 1e-6 * (base + h * np.exp(-(((e - e0) / 0.06) ** 2)))) for h in heights]


@pytest.mark.parametrize(("seed", "dpi"), [(3, 100), (11, 100), (4, 150)])
def test_dashed_series_count_and_labels(seed: int, dpi: int) -> None:
    truths = _dpv_series(seed)
    names = [f"{0.5 * k:.1f} mM" for k in range(len(truths))]

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        for k, (pe, pi) in enumerate(truths):
            ax.plot(pe, pi * 1e6, color="black", ls=STYLES[k], lw=1.5, label=names[k])
        ax.set_xlabel("E / V")
        ax.set_ylabel("i (µA)")
        ax.legend(loc="upper left")

    result = digitize(_png(draw, dpi=dpi))
    assert len(result.curves) == len(truths)
    assert sorted(lb for lb in result.legend_labels if lb) == sorted(names)
    # each curve's peak height over its ends against the drawn one (the legend order is rising height)
    got = [float(np.ptp(c.current)) for c in result.curves]
    want = [float(np.ptp(i)) for _, i in truths]
    span = max(want)
    by_label = dict(zip(result.legend_labels, got, strict=True))
    for name, w in zip(names, want, strict=True):
        assert abs(by_label[name] - w) <= 0.05 * span, (name, by_label[name], w)


@pytest.mark.parametrize("seed", [2, 9])
def test_unframed_legend_over_crossing_coloured_curves(seed: int) -> None:
    rng = np.random.default_rng(seed)
    e = np.linspace(0.2, 1.1, 300)
    names = ["blank", "0.2 mM", "0.4 mM", "0.6 mM"]
    heights = np.array([0.0, 1.0, 2.0, 3.0]) * rng.uniform(8.0, 12.0)
    noise = [0.3 * rng.standard_normal(e.size) for _ in heights]
    truths = [
        -(h * (np.exp(-(((e - 0.46) / 0.05) ** 2)) + np.exp(-(((e - 0.8) / 0.05) ** 2)))) + nz
        for h, nz in zip(heights, noise, strict=True)
    ]

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        for i, name in zip(truths, names, strict=True):
            ax.plot(e, i, lw=2.0, label=name)
        ax.set_xlabel("Potential (V)")
        ax.set_ylabel("I / µA")
        ax.legend(loc="upper right", frameon=False)

    result = digitize(_png(draw, size=(5.0, 4.5), dpi=130))
    assert len(result.curves) == len(truths)
    assert sorted(lb for lb in result.legend_labels if lb) == sorted(names)
    for c, lb in zip(result.curves, result.legend_labels, strict=True):  # each label on its own curve
        depth = -1e6 * float(c.current.min())
        want = -float(truths[names.index(lb)].min())
        assert abs(depth - want) <= 0.05 * float(heights.max() + 1.0), (lb, depth, want)


def _cv(e: np.ndarray, e0: float, h: float, sep: float = 0.03, w: float = 0.06) -> np.ndarray:
    fwd = h * np.exp(-(((e - e0 - sep) / w) ** 2)) + 0.1 * h
    rev = -h * np.exp(-(((e - e0 + sep) / w) ** 2)) - 0.1 * h
    return np.concatenate([fwd, rev[::-1]])


def test_dark_sequential_shades_next_to_black_stay_apart() -> None:
    """A navy curve and a black one (a dark sequential palette, cividis-like): the legend names
    both, so the navy is a curve of its own, not an anti-aliased shade of the black."""
    e = np.linspace(-0.1, 0.5, 300)
    colours = ["#00224e", "#575c6d", "#a59c74", "#000000"]
    names = ["5 mV/s", "10 mV/s", "20 mV/s", "40 mV/s"]
    heights = [1.0, 1.4, 2.0, 2.8]

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        for c, name, h in zip(colours, names, heights, strict=True):
            ax.plot(np.concatenate([e, e[::-1]]), _cv(e, 0.2, h), color=c, lw=1.5, label=name)
        ax.set_xlabel("E / V")
        ax.set_ylabel("i / µA")
        ax.legend(loc="upper left")

    result = digitize(_png(draw))
    assert len(result.curves) == len(names)
    assert list(result.legend_labels) == names  # legend order, each on its own colour
    for c, h in zip(result.curves, heights, strict=True):
        assert abs(1e6 * float(c.current.max()) - 1.1 * h) <= 0.05 * 1.1 * max(heights)


def test_flat_blank_in_a_legend_colour_is_a_curve() -> None:
    """A flat blank (a straight coloured line, partly under the other curves' baselines) lies
    along rows like a gridline, but the legend names its colour: it comes back as a curve."""
    e = np.linspace(-0.6, 0.1, 300)
    names = ["blank", "0.5 mM", "1.0 mM", "1.5 mM"]
    heights = [0.0, 0.5, 1.0, 1.5]

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        for name, h in zip(names, heights, strict=True):
            i = _cv(e, -0.28, h, w=0.05) + np.concatenate([np.full(e.size, 0.12), np.full(e.size, -0.12)])
            ax.plot(np.concatenate([e, e[::-1]]), i, lw=1.5, label=name)
        ax.set_xlabel("Potential / V")
        ax.set_ylabel("I (µA)")
        ax.legend(loc="upper right", fontsize=8)

    result = digitize(_png(draw, size=(4.0, 4.5), tight=True))
    assert sorted(lb for lb in result.legend_labels if lb) == sorted(names)
    blank = result.curves[result.legend_labels.index("blank")]
    assert float(np.ptp(blank.current)) <= 0.3e-6  # flat: ±0.12 µA drawn, nothing of a peak


def _dense_loops() -> DigitizedFigure:
    """Four thick dark-blue cycles drifting apart, drawn on a small figure."""
    e = np.linspace(-0.2, 0.5, 250)
    cycles = [_cv(e, 0.02 + 0.03 * k, 12.0, w=0.05) for k in range(4)]

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        x = np.concatenate([np.concatenate([e, e[::-1]])] * 4)
        ax.plot(x, np.concatenate(cycles), color="#08306b", lw=2.2)
        ax.set_xlabel("E / V", fontsize=9)
        ax.set_ylabel("Current / nA", fontsize=9)
        ax.tick_params(labelsize=8)

    return digitize(_png(draw, size=(2.4, 2.0), dpi=110, tight=True))


def test_dense_multicycle_loops_on_a_small_figure_are_read() -> None:
    """Four thick dark-blue cycles drifting apart on a small figure fill most rows and columns of
    their box: a curve, not a bundle of gridlines — read, not refused."""
    result = _dense_loops()
    assert len(result.curves) == 1
    want = 1.1 * 12.0e-9
    assert abs(float(result.curves[0].current.min()) + want) <= 0.1 * want  # the cathodic peaks


def test_dense_multicycle_loops_anodic_peak() -> None:
    result = _dense_loops()
    want = 1.1 * 12.0e-9
    assert abs(float(result.curves[0].current.max()) - want) <= 0.1 * want

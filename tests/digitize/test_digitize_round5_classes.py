"""Round-5 failure classes of curve tracing, planted in figures drawn with plain matplotlib (the
truth is the formula or the points plotted, never an earlier output of the digitizer).

- a few sparse markers over one sharp peak bend at most steps, like the markers of a loop, but
  they rise then fall: they are one single-valued curve, and the markers at the top are kept;
- a branch hidden under another curve (or the legend) that comes out again far from where the
  trace last was is followed there, not dropped for the rest of the plot."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from voltlens.digitize import digitize
from voltlens.digitize.curves import _single_valued, sub_branches

from .conftest import figure_png


@pytest.mark.parametrize(("n", "width"), [(13, 0.06), (11, 0.05), (9, 0.1)])
def test_sparse_markers_over_a_sharp_peak_are_one_curve_with_its_top(n: int, width: float) -> None:
    e = np.linspace(-0.2, 0.4, n)
    i = 4.5e-6 * np.exp(-0.5 * ((e - 0.07) / width) ** 2)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(e, i * 1e6, "o", mfc="none", color="tab:red")
    ax.set_xlabel("E / V")
    ax.set_ylabel("I (µA)")
    got = digitize(figure_png(fig))
    assert len(got.curves) == 1
    c = got.curves[0]
    assert c.segment is None  # not read as a loop
    assert c.potential.size == n  # every marker, the top ones included
    assert float(c.potential[np.argmax(c.current)]) == pytest.approx(float(e[np.argmax(i)]), abs=0.006)
    assert float(c.current.max()) == pytest.approx(float(i.max()), rel=0.02)


@pytest.mark.parametrize("seed", [0, 1])
def test_markers_of_a_loop_still_read_as_a_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 2.0 * np.pi, 61)[:-1] + rng.uniform(0, 0.05)
    e = 0.3 * np.cos(t)
    i = 2e-6 * np.sin(t) + 1e-6 * np.cos(t)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(e, i * 1e6, "s", color="tab:blue", ms=4)
    ax.set_xlabel("E / V")
    ax.set_ylabel("I (µA)")
    got = digitize(figure_png(fig))
    assert len(got.curves) == 1
    c = got.curves[0]
    assert c.segment is not None
    assert float(c.current.max()) == pytest.approx(float(i.max()), rel=0.05)
    assert float(c.current.min()) == pytest.approx(float(i.min()), rel=0.05)


def _reemerging(thick: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stroke centres (pixel x, y; y down) of a branch seen over x 0–30 at y 200, hidden over
    x 31–79, and seen again from x 80 on along y = 40 + 0.2 (x − 80): far from where it was lost."""
    x1 = np.arange(0, 31, dtype=float)
    x2 = np.arange(80, 400, dtype=float)
    y1 = np.full(x1.size, 200.0)
    y2 = 40.0 + 0.2 * (x2 - 80.0)
    half = np.arange(-(thick // 2), thick // 2 + 1)
    xs = np.concatenate([np.repeat(x1, half.size), np.repeat(x2, half.size)])
    ys = np.concatenate([(y1[:, None] + half).ravel(), (y2[:, None] + half).ravel()])
    return xs, ys, x2


@pytest.mark.parametrize("thick", [1.0, 3.0, 5.0])
def test_a_branch_coming_out_far_from_where_it_was_hidden_is_followed(thick: float) -> None:
    xs, ys, x2 = _reemerging(thick)
    for pts in (sub_branches(xs, ys, thick, outer_first="top")[0], _single_valued(xs, ys, thick)):
        seen = pts[pts[:, 0] >= 80]
        # all but the first few columns of the visible stretch, on the stroke's centre line
        assert np.unique(seen[:, 0]).size >= x2.size - 3.0 * 12
        assert np.max(np.abs(seen[:, 1] - (40.0 + 0.2 * (seen[:, 0] - 80.0)))) <= thick


@pytest.mark.parametrize("length", [3, 8])
def test_a_short_stray_mark_far_from_the_trace_is_still_skipped(length: int) -> None:
    """A tick or a stray mark a few columns long, far from the trace, is not jumped to."""
    x = np.arange(0, 200, dtype=float)
    y = np.full(x.size, 150.0)
    far = (x >= 100) & (x < 100 + length)
    y[far] = 20.0  # the trace is hidden there and only the mark shows
    for pts in (sub_branches(x, y, 1.0, outer_first="top")[0], _single_valued(x, y, 1.0)):
        assert np.all(pts[:, 1] == 150.0)


@pytest.mark.parametrize(
    "colours", [("#00224e", "#545a6d", "#9d9576", "k"), ("tab:orange", "0.35", "tab:green", "k")]
)
def test_grey_and_black_marker_series_are_curves_not_text(colours: tuple[str, ...]) -> None:
    """A concentration series drawn as dots in grey shades and black (a cividis-like or a grey
    scale): the dots are all of one size and spread over the plot — markers, not letters."""
    e = np.linspace(-0.82, -0.22, 100)
    heights = (0.0, 12e-6, 24e-6, 36e-6)
    fig, ax = plt.subplots(figsize=(8, 6))
    for h, colour, name in zip(heights, colours, ("blank", "1.5 mM", "3.0 mM", "4.5 mM"), strict=True):
        ax.plot(e, h * 1e6 * np.exp(-0.5 * ((e + 0.52) / 0.06) ** 2), "o", ms=4, color=colour, label=name)
    ax.legend(frameon=False, loc="upper right")
    ax.set_xlabel("E (V)")
    ax.set_ylabel("I / µA")
    got = digitize(figure_png(fig))
    assert len(got.curves) == 4
    tops = sorted(float(c.current.max()) for c in got.curves)
    for top, h in zip(tops[1:], heights[1:], strict=True):
        assert top == pytest.approx(h, rel=0.03)
    for c in got.curves:
        if float(c.current.max()) > 5e-6:
            assert float(c.potential[np.argmax(c.current)]) == pytest.approx(-0.52, abs=0.006)

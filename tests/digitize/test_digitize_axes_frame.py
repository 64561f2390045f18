"""Frame, tick and tick-label reading on figures drawn here with matplotlib in the situations that
used to lose an axis: pale hairline gridlines with no spine beside the labels, dotted gridlines
broken by curves with tick labels in line with them, tick labels run together, ticks shorter than
the gap to their labels, plots without spines whose plot area reaches below the outer gridline,
and a slightly rotated photo whose bottom tick label sits in line with the spine.

The truth is matplotlib's own data → pixel transform of the drawn axes (``transData``), rotated
with the image where the image is rotated: the calibration is checked against it, never against
an earlier output of the digitizer.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from . import conftest  # noqa: F401  (skips without the image extra)


def _cv(rng: np.random.Generator, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """A CV-like closed loop with a peak on each sweep (seeded)."""
    e0 = rng.uniform(0.2, 0.4)
    t = np.linspace(0, 1, n)
    e = np.where(t < 0.5, 0.0 + 1.2 * t * 0.7 / 0.6, 0.7 - (t - 0.5) * 1.4)
    ip = rng.uniform(0.8, 1.2)
    fwd = ip * np.exp(-(((e - e0) / 0.06) ** 2)) + 0.1 * e
    rev = -ip * np.exp(-(((e - e0 + 0.06) / 0.06) ** 2)) - 0.05
    return e, np.where(t < 0.5, fwd, rev)


def _render(
    draw: Callable[[Any], None],
    *,
    size: tuple[float, float] = (5.6, 4.2),
    dpi: int = 100,
    facecolor: str = "white",
    rotate_deg: float = 0.0,
) -> tuple[np.ndarray, Callable]:
    """The figure as an RGB array and its truth: data (x, y) → pixel index (column, row)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    fig = Figure(figsize=size, dpi=dpi, facecolor=facecolor)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.22, right=0.95, bottom=0.2, top=0.95)
    draw(ax)
    fig.canvas.draw()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor=facecolor)
    im = Image.open(buf).convert("RGB")
    w, h = im.size
    trans = ax.transData

    def to_pixel(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = trans.transform(np.column_stack([x, y]))
        col, row = d[:, 0] - 0.5, h - d[:, 1] - 0.5
        if rotate_deg:
            # PIL rotates counter-clockwise about the image centre
            cx, cy = w / 2 - 0.5, h / 2 - 0.5
            a = np.radians(rotate_deg)
            dx, dy = col - cx, row - cy
            col = cx + np.cos(a) * dx + np.sin(a) * dy
            row = cy - np.sin(a) * dx + np.cos(a) * dy
        return col, row

    if rotate_deg:
        im = im.rotate(rotate_deg, resample=Image.BICUBIC, fillcolor=facecolor)
    return np.asarray(im), to_pixel


def _calibration_errors(img: np.ndarray, to_pixel: Callable, xlim: tuple, ylim: tuple) -> tuple[float, float]:
    """Largest error (% of the axis range) of the read pixel → value maps over the axis interior."""
    from voltlens.digitize.layout import analyse_layout

    lay = analyse_layout(img, source="planted")
    xs = np.linspace(*xlim, 7)[1:-1]
    ys = np.linspace(*ylim, 7)[1:-1]
    errs = []
    for axis, vals, k in ((lay.x, xs, 0), (lay.y, ys, 1)):
        other = np.full(vals.size, 0.5 * sum(ylim if k == 0 else xlim))
        col, row = to_pixel(vals, other) if k == 0 else to_pixel(other, vals)
        pts = np.column_stack([col, row, np.ones(col.size)]) @ lay.homography.T
        pix = pts[:, k] / pts[:, 2]
        got = np.asarray(axis.fit.value(pix)) * 10.0**axis.multiplier_exponent
        rng_ = abs((xlim if k == 0 else ylim)[1] - (xlim if k == 0 else ylim)[0])
        errs.append(float(np.max(np.abs(got - vals)) / rng_ * 100))
    return errs[0], errs[1]


def _series(ax: Any, rng: np.random.Generator, n: int, **kw: Any) -> None:
    for k in range(n):
        e, i = _cv(rng)
        ax.plot(e, i * (1 + 0.25 * k), **kw)


@pytest.mark.parametrize("seed", [3])
def test_pale_hairline_gridlines_without_left_spine(seed: int) -> None:
    """Excel-like: faint one-pixel gridlines on a tinted background, a bottom axis line only,
    y tick labels centred on the gridlines, coloured curves with markers; the image turned by
    0.15° (too little to rectify: the hairlines drift across two rows)."""
    rng = np.random.default_rng(seed)
    xlim, ylim = (-0.05, 0.75), (-1.6, 2.0)

    def draw(ax: Any) -> None:
        ax.set_facecolor("#f3fdf3")
        _series(ax, rng, 4, marker="o", markevery=40, lw=1.2)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.grid(axis="y", color="#dfe8df", lw=0.5)
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_color("#c8c8c8")
        ax.tick_params(length=0, labelcolor="#595959")
        ax.set_xlabel("Applied potential (V)", color="#595959")
        ax.set_ylabel("I (uA)", color="#595959")

    img, to_pixel = _render(draw, facecolor="#f3fdf3", rotate_deg=0.15)
    ex, ey = _calibration_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


@pytest.mark.parametrize("seed", [5])
def test_dotted_gridlines_broken_by_curves_no_spines(seed: int) -> None:
    """Dotted horizontal gridlines only, crossed by a bundle of curves; the y tick labels sit in
    line with the gridlines and nearly touch them."""
    rng = np.random.default_rng(seed)
    xlim, ylim = (-0.15, 0.85), (-900.0, 900.0)

    def draw(ax: Any) -> None:
        for k in range(6):
            e, i = _cv(rng)
            ax.plot(e, 600 * i * (1 + 0.2 * k), lw=1.5)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_yticks(np.arange(-750, 751, 250))
        ax.grid(axis="y", color="#a0a0a0", ls=(0, (1, 1.5)), lw=0.8)
        for side in ("left", "right", "top", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(length=0, pad=1)
        ax.set_xlabel("E / V")
        ax.set_ylabel("Current [nA]")

    img, to_pixel = _render(draw)
    ex, ey = _calibration_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


def test_tick_labels_run_together_and_short_ticks() -> None:
    """Large type on a narrow axis: the x tick labels touch (−600−500−400…); the ticks are much
    shorter than the gap to their labels."""
    rng = np.random.default_rng(11)
    xlim, ylim = (-640.0, 20.0), (-25.0, 30.0)

    def draw(ax: Any) -> None:
        e, i = _cv(rng)
        ax.plot(1000 * e - 620, 20 * i, "k.", ms=3)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xticks(np.arange(-600, 1, 100))
        ax.tick_params(labelsize=17, length=6, pad=9)
        ax.set_xlabel("E [mV]", fontsize=17)
        ax.set_ylabel("I (µA)", fontsize=17)

    img, to_pixel = _render(draw, size=(5.0, 4.4))
    ex, ey = _calibration_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


@pytest.mark.parametrize("seed", [2])
def test_no_spines_plot_area_beyond_outer_gridlines(seed: int) -> None:
    """A dark theme without spines: the gridlines stop at the outer ticks, the plot area (and the
    curves) run on below them, and the x tick labels start right at the inferred edge."""
    rng = np.random.default_rng(seed)
    xlim, ylim = (-0.05, 0.75), (-1.7, 2.4)

    def draw(ax: Any) -> None:
        ax.set_facecolor("black")
        _series(ax, rng, 3, lw=2.0)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_yticks([-1.0, 0.0, 1.0, 2.0])
        ax.grid(color="#505050", lw=0.6)
        for side in ("left", "right", "top", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(colors="white", length=0, pad=1)
        ax.set_xlabel("Potential [V]", color="white")
        ax.set_ylabel("Current / µA", color="white")

    img, to_pixel = _render(draw, facecolor="black")
    ex, ey = _calibration_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


@pytest.mark.parametrize("angle", [0.6, -0.5])
def test_rotated_photo_label_in_line_with_spine(angle: float) -> None:
    """A slightly rotated image of a plot whose lowest y tick label is in line with the bottom
    spine (the spine seems to run on to the left through the label)."""
    rng = np.random.default_rng(7)
    xlim, ylim = (-0.4, 0.5), (-5e-5, 1.5e-5)

    def draw(ax: Any) -> None:
        for k in range(3):
            e, i = _cv(rng)
            ax.plot(e - 0.3, 1e-5 * i * (1 + 0.3 * k) - 1e-5, lw=1.2)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_yticks(np.arange(-5, 2) * 1e-5)
        ax.set_xticks([-0.2, 0.0, 0.2, 0.4])
        ax.yaxis.set_major_formatter("{x:.1e}")
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
        ax.tick_params(length=0, pad=3)
        ax.set_xlabel("Potential/V")
        ax.set_ylabel("Current/A")

    img, to_pixel = _render(draw, size=(5.0, 3.6), rotate_deg=angle)
    ex, ey = _calibration_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)

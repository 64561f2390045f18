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

from typing import Any

import numpy as np
import pytest

from .conftest import layout_errors, office_axes, planted_figure


def _cv(rng: np.random.Generator, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """A CV-like closed loop with a peak on each sweep (seeded)."""
    e0 = rng.uniform(0.2, 0.4)
    t = np.linspace(0, 1, n)
    e = np.where(t < 0.5, 0.0 + 1.2 * t * 0.7 / 0.6, 0.7 - (t - 0.5) * 1.4)
    ip = rng.uniform(0.8, 1.2)
    fwd = ip * np.exp(-(((e - e0) / 0.06) ** 2)) + 0.1 * e
    rev = -ip * np.exp(-(((e - e0 + 0.06) / 0.06) ** 2)) - 0.05
    return e, np.where(t < 0.5, fwd, rev)


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
        office_axes(
            ax, grid=("#dfe8df", 0.5), spine="#c8c8c8", xlabel="Applied potential (V)", ylabel="I (uA)"
        )

    img, to_pixel = planted_figure(draw, facecolor="#f3fdf3", rotate_deg=0.15)
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
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

    img, to_pixel = planted_figure(draw)
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
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

    img, to_pixel = planted_figure(draw, size=(5.0, 4.4))
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
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

    img, to_pixel = planted_figure(draw, facecolor="black")
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
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

    img, to_pixel = planted_figure(draw, size=(5.0, 3.6), rotate_deg=angle)
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)

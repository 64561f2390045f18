"""Axis reading in the situations that failed on development figures (round 13): a legend frame as
wide as the plot set below a spreadsheet chart (horizontal gridlines only, no spines on the sides),
tick marks touching their labels on a small dark figure drawn without spines, and an axis "fitted"
on two sci-notation labels of which one lost its exponent's minus ("2,0E 06" for 2.0E-06).

The truth is matplotlib's own data → pixel transform of the drawn axes (``transData``) or, for
the fit, labels planted at known positions: the readings are checked against it, never against
an earlier output of the digitizer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from voltlens.digitize.calibrate import fit_axis

from .conftest import layout_errors, office_axes, planted_figure, seeded_cv, tick_labels


@pytest.mark.parametrize("seed", [1, 2])
def test_full_width_legend_frame_below_the_axis_is_not_the_box(seed: int) -> None:
    """Gridlines only, and a framed legend of two rows below the x labels spanning the plot's
    width: its frame's top and bottom lines share the gridlines' extent, but the two are joined
    by short vertical sides — a closed rectangle, not the axis line."""
    from voltlens.digitize.frame import find_box
    from voltlens.digitize.ink import ink_of
    from voltlens.digitize.layout import _line_evidence

    rng = np.random.default_rng(seed)
    xlim, ylim = (-0.95, -0.05), (-60.0, 60.0)

    def draw(ax: Any) -> None:
        for k in range(6):
            e, i = seeded_cv(rng)
            ax.plot(e, i * (0.3 + 0.15 * k), lw=1.5, label=f"{0.1 * (k + 1):.1f} mM")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        office_axes(ax, grid=("#d9d9d9", 0.8), spine="#595959", xlabel="E [V]", ylabel="I / µA")
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(0.0, -0.2, 1.0, 0.1),
            mode="expand",
            ncol=3,
            borderaxespad=0.0,
            frameon=True,
            fancybox=False,
            edgecolor="#404040",
        )

    img, to_pixel = planted_figure(draw, size=(6.4, 5.0), margins=(0.14, 0.34))
    ink = ink_of(img)
    box = find_box(_line_evidence(ink), ink.background)
    _, axis_row = to_pixel(np.array([xlim[0]]), np.array([ylim[0]]))
    assert box is not None and abs(box.bottom - float(axis_row[0])) <= 2.5, (box, axis_row)
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


@pytest.mark.parametrize("pad", [0.6, 1.0])
def test_tick_marks_touching_their_labels_without_spines(pad: float) -> None:
    """A small dark figure without spines: each x tick mark touches the label under it (one glyph
    with it, twice a label's height), so the row of labels is only found, and read, with the
    ticks cut off the words."""
    rng = np.random.default_rng(1)
    xlim, ylim = (-0.95, -0.05), (-60.0, 60.0)
    bg = "#263238"

    def draw(ax: Any) -> None:
        e, i = seeded_cv(rng)
        ax.plot(e, i, lw=1.5, color="white")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xticks([-0.8, -0.6, -0.4, -0.2])
        ax.set_yticks([-50, 0, 50])
        ax.set_facecolor(bg)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.tick_params(colors="white", length=4, pad=pad, labelsize=7)
        ax.set_xlabel("Potential / V", color="white", fontsize=7)
        ax.set_ylabel("I (µA)", color="white", fontsize=7)

    img, to_pixel = planted_figure(draw, size=(3.5, 2.24), facecolor=bg, margins=(0.15, 0.2))
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


@pytest.mark.parametrize(
    ("texts", "values", "pos"),
    [
        (["1.0E-05", "2,0E 06"], [1.0e-5, -2.0e-6], [91.6, 255.8]),
        (["5.0E 06", "1.5E-05"], [-5.0e-6, 1.5e-5], [300.0, 100.0]),
    ],
)
def test_two_labels_one_with_its_exponent_sign_lost_are_refused(
    texts: list[str], values: list[float], pos: list[float]
) -> None:
    """Two of an axis's sci-notation labels read, one with the minus of its exponent lost (read
    as 10⁺⁶): the pair makes a "nice" step of 2×10⁶ per tick pitch, but the other label would
    then stand where 0 is (the two ten thousand times apart and more: no linear axis) — a wrong
    axis, to be refused rather than returned."""
    fit = fit_axis(tick_labels(texts, pos, score=0.9), source="planted", axis="y (current)")
    if fit is not None:  # a right reading is fine too
        got = np.asarray(fit.value(np.asarray(pos)))
        assert np.allclose(got, values, rtol=0.01, atol=0.0), got

"""Axis reading in the situations that failed on development figures (round 10): a row of x tick
labels where some run together with no gap or minus between them while others stand apart
("−800−600−400−200  0  200400600"), and an axis "read" from letters alone (a blurred photo's "I",
"I", "I" or "l", "o" taken for 1, 1, 1 and 1, 0).

The truth is matplotlib's own data → pixel transform of the drawn axes (``transData``) or, for
the fit, labels planted at known positions: the readings are checked against it, never against
an earlier output of the digitizer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from voltlens.digitize.calibrate import fit_axis

from .conftest import layout_errors, planted_figure, seeded_cv, tick_labels


@pytest.mark.parametrize(("seed", "invert"), [(3, False), (4, True)])
def test_x_labels_partly_run_together_split_at_the_ticks(seed: int, invert: bool) -> None:
    """Large labels on a narrow axis: the negative ones split at their minus signs, "0" stands
    apart, and the positive ones run together into one word over three ticks: that word is split
    half-way between the tick marks under it even though the row has other words."""
    rng = np.random.default_rng(seed)
    lo, hi, step = -800.0, 600.0, 200.0
    xlim, ylim = (lo - 0.3 * step, hi + 0.3 * step), (-60.0, 60.0)

    def draw(ax: Any) -> None:
        e, i = seeded_cv(rng)
        ax.plot(lo + (e + 0.95) / 0.9 * (hi - lo), i, lw=1.5)
        ax.set_xlim(*(xlim[::-1] if invert else xlim))
        ax.set_ylim(*ylim)
        ax.set_xticks(np.arange(lo, hi + 0.5 * step, step))
        ax.tick_params(axis="x", labelsize=15.5, pad=2)
        ax.set_xlabel("E / mV")
        ax.set_ylabel("I / µA")

    img, to_pixel = planted_figure(draw, size=(4.4, 3.8), margins=(0.2, 0.17))
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


@pytest.mark.parametrize(
    ("texts", "pos"),
    [
        (["I", "I", "I"], [174.0, 188.5, 202.0]),  # a blurred photo's tiny words, read as letters
        (["l", "o"], [41.5, 90.0]),
        (["I", "O", "l", "I"], [20.0, 60.0, 100.0, 140.0]),
    ],
)
def test_no_axis_from_letters_alone(texts: list[str], pos: list[float]) -> None:
    """Letters that parse as digits ("I", "l" as 1, "o" as 0) are no tick labels unless at least
    two of the labels a fit explains hold a digit read as one: no axis, rather than one scaled by
    millions."""
    assert fit_axis(tick_labels(texts, pos), source="planted", axis="y") is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_letter_among_digits_still_reads(seed: int) -> None:
    """One label read as a letter ("O" for 0) among digits: the axis is read, its truth planted."""
    rng = np.random.default_rng(seed)
    step_px = rng.uniform(40.0, 90.0)
    x0 = rng.uniform(30.0, 80.0)
    values = [-1.0, 0.0, 1.0, 2.0]
    texts = ["-1", "O", "1", "2"]
    pos = [x0 + k * step_px for k in range(4)]
    fit = fit_axis(tick_labels(texts, pos), source="planted", axis="x")
    assert fit is not None
    got = np.asarray(fit.value(np.asarray(pos)))
    assert np.allclose(got, values, atol=1e-6 * step_px)


def test_letters_do_not_outweigh_digits() -> None:
    """Two labels read as digits, three more blurred into "I"s (1 and, with a lost minus, −1: a
    line read more surely): the axis is the digits' line, planted at 0.5 per 40 px."""
    texts = ["0.5", "1.0", "I", "I", "I"]
    pos = [100.0, 140.0, 180.0, 220.0, 260.0]
    lbs = tick_labels(texts, pos, score=0.9)
    lbs = [replace(lb, score=0.6) if lb.text in ("0.5", "1.0") else lb for lb in lbs]
    fit = fit_axis(lbs, source="planted", axis="x")
    assert fit is not None
    assert np.allclose(np.asarray(fit.value(np.array([100.0, 140.0]))), [0.5, 1.0], atol=1e-9)

"""Frame and tick-label reading in the situations that lost calibrations on development figures:
a plot with tick marks only (no spines, no gridlines), tick labels run together with only a small
gap between them, an Excel-like plot framed by gridlines alone and scanned a little rotated, and
tick readings that fit a line only by accident.

The truth is matplotlib's own data → pixel transform of the drawn axes (``transData``), rotated with
the image, or tick values built here: the readings are
checked against it, never against an earlier output of the digitizer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from voltlens.digitize.calibrate import TickLabel, fit_axis

from .conftest import layout_errors, office_axes, planted_figure


def _cv(rng: np.random.Generator, lo: float, hi: float, ip: float) -> tuple[np.ndarray, np.ndarray]:
    """A CV-like closed loop between ``lo`` and ``hi`` with peaks of about ``ip`` (seeded)."""
    t = np.linspace(0.0, 1.0, 400)
    tri = np.where(t < 0.5, 2.0 * t, 2.0 - 2.0 * t)
    e = lo + (hi - lo) * tri
    e0 = lo + (hi - lo) * rng.uniform(0.4, 0.6)
    w = 0.08 * (hi - lo)
    fwd = ip * np.exp(-(((e - e0) / w) ** 2)) + 0.1 * ip * tri
    rev = -ip * np.exp(-(((e - e0 + 0.3 * w) / w) ** 2)) - 0.05 * ip
    return e, np.where(t < 0.5, fwd, rev)


@pytest.mark.parametrize("seed", [4])
def test_tick_marks_only_no_spines(seed: int) -> None:
    """A dark theme with neither spines nor gridlines: major and minor tick marks stand alone at
    the labels' ends (they align with them and must not be taken for labels)."""
    rng = np.random.default_rng(seed)
    xlim, ylim = (-0.35, 0.95), (-580.0, 45.0)

    def draw(ax: Any) -> None:
        ax.set_facecolor("#202020")
        for k in range(3):
            e, i = _cv(rng, -0.25, 0.85, 150.0 + 150.0 * k)
            ax.plot(e, -np.abs(i), lw=1.2)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xticks([-0.25, 0.0, 0.25, 0.5, 0.75])
        ax.set_yticks([-400.0, -200.0, 0.0])
        ax.minorticks_on()
        for side in ("left", "right", "top", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(colors="#d0d0d0", which="both")
        ax.set_xlabel("Potential / V", color="#d0d0d0")
        ax.set_ylabel("Current [µA]", color="#d0d0d0")

    img, to_pixel = planted_figure(draw, facecolor="#202020")
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


def test_labels_run_together_with_small_gaps_no_left_spine() -> None:
    """Large serif type on a narrow axis: the x tick labels touch or nearly touch
    (``−0.3−0.2−0.1 0.0 0.1``), the bottom spine carries dense ticks, there is no left spine."""
    rng = np.random.default_rng(31)
    xlim, ylim = (-0.39, 0.51), (-80.0, 95.0)

    def draw(ax: Any) -> None:
        e, i = _cv(rng, -0.35, 0.45, 70.0)
        ax.plot(e, i, "--", lw=2.5)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xticks(np.round(np.arange(-0.3, 0.51, 0.1), 1))
        ax.set_yticks([-50.0, 0.0, 50.0])
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_linewidth(2.0)
        ax.tick_params(axis="x", direction="inout", length=8, width=2, labelsize=12)
        ax.tick_params(axis="y", length=0, labelsize=12)
        ax.set_xlabel("E / V", fontsize=12)
        ax.set_ylabel("i (µA)", fontsize=12)

    img, to_pixel = planted_figure(draw, size=(4.2, 3.3), margins=(0.22, 0.22))
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


@pytest.mark.parametrize("angle", [0.65, -0.55])
def test_gridlines_only_rotated_scan(angle: float) -> None:
    """Excel-like: no spines, only pale horizontal gridlines and a bottom axis line, the image
    turned by about half a degree (a scan): the common tilt of the gridlines levels it."""
    rng = np.random.default_rng(52)
    xlim, ylim = (-0.21, 1.38), (-445.0, 235.0)

    def draw(ax: Any) -> None:
        e, i = _cv(rng, -0.15, 1.3, 180.0)
        ax.plot(e, i, "-o", ms=2.5, lw=1.0, color="#4472c4")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_yticks([-400.0, -200.0, 0.0, 200.0])
        office_axes(ax, grid=("#d9d9d9", 0.8), spine="#bfbfbf", xlabel="Potential (V)", ylabel="Current [µA]")

    img, to_pixel = planted_figure(draw, size=(5.0, 5.6), rotate_deg=angle)
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


def _labels(
    pos: np.ndarray, texts: list[str], scores: list[float], from_tick: bool = True
) -> list[TickLabel]:
    out = []
    for p, t, s in zip(pos, texts, scores, strict=True):
        v = float(t.replace("$", "").replace("−", "-"))
        out.append(TickLabel(float(p), v, s, t, t.startswith(("-", "−")), "plain", from_tick))
    return out


def test_two_misreadings_do_not_make_an_axis() -> None:
    """Four evenly spaced labels read as "-1030", "-0", "0", "600" (for −1000, −500, 0, 500):
    only two agree on any line, and not a nice step apart — no axis rather than a wrong one."""
    pos = np.array([109.4, 170.4, 231.4, 292.3])
    got = fit_axis(_labels(pos, ["-1030", "-0", "0", "600"], [0.6, 0.5, 0.9, 0.6]), source="t", axis="x")
    assert got is None


def test_two_labels_a_nice_step_apart_still_fit() -> None:
    """Two labels read right and one misread between them: the two still make the axis (their
    step, 0.25 per tick pitch, is nice), matching the true map."""
    truth = (-0.3, 0.0025)  # value = a + b·px
    pos = np.array([140.0, 240.0, 340.0])
    vals = truth[0] + truth[1] * pos
    texts = [f"{vals[0]:.2f}", "7", f"{vals[2]:.2f}"]
    fit = fit_axis(_labels(pos, texts, [0.9, 0.3, 0.9]), source="t", axis="x")
    assert fit is not None
    probe = np.linspace(120.0, 360.0, 7)
    assert np.max(np.abs(fit.value(probe) - (truth[0] + truth[1] * probe))) <= 1e-9


@pytest.mark.parametrize("shift", [2.4, -2.6])
def test_a_tick_found_on_the_spine_is_left_out(shift: float) -> None:
    """Five labels of a true map; the end one took its 'tick' from the spine beside it (a few
    px off) and reads with the best OCR score, the middle one is misread: the fit follows the
    labels that lie straight, not the best-scored pair."""
    a, b = 0.58, -0.0036  # value = a + b·px
    vals = [0.4, 0.2, 0.0, -0.2, -0.4]
    pos = (np.array(vals) - a) / b
    texts = [f"{v:.1f}" for v in vals]
    pos_read = pos.copy()
    pos_read[0] += shift
    lbls = _labels(pos_read, texts, [0.99, 0.7, 0.75, 0.72, 0.74])
    lbls[2] = TickLabel(float(pos_read[2]), 7.0, 0.2, "7", False, "plain", True)  # "0.0" misread
    fit = fit_axis(lbls, source="t", axis="x")
    assert fit is not None
    probe = np.linspace(pos.min(), pos.max(), 7)[1:-1]
    err = np.max(np.abs(fit.value(probe) - (a + b * probe)))
    assert err <= 0.005 * 0.8, err

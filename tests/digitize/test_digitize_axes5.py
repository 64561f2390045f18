"""Axis reading in the situations that failed on development figures: tick labels whose decimal
point or minus sign OCR lost ("-10" for "-1.0", "20" for "-20", "-025" for "-0.25"), an "E/V"
title whose slash reads as I, and photos of a printout in strong perspective (opposite sides of
the frame tilted several degrees apart) or framed by the rim of the paper.

The truth is matplotlib's own data → pixel transform of the drawn axes (``transData``), carried
through the exact homography that makes the "photo", or the tick values matplotlib placed: the
readings are checked against it, never against an earlier output of the digitizer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from voltlens.digitize.calibrate import TickLabel, fit_axis
from voltlens.digitize.parse import parse_potential_title, parse_tick

from .conftest import layout_errors, planted_figure, seeded_cv

# -- tick labels with a lost decimal point or minus sign ----------------------------------------


@pytest.mark.parametrize(("text", "value"), [("-025", -0.25), ("025", 0.25), ("-05", -0.5), ("00", 0.0)])
def test_leading_zero_is_a_lost_decimal_point(text: str, value: float) -> None:
    t = parse_tick(text)
    assert t is not None and t.value == pytest.approx(value, abs=1e-12)


@pytest.mark.parametrize("title", ["EIV", "ElV", "E |V", "Potential IV"])
def test_slash_read_as_bar_before_the_volt(title: str) -> None:
    assert parse_potential_title(title).unit is not None
    assert parse_potential_title(title).unit.symbol == "V"


def test_slash_read_as_bar_before_millivolt() -> None:
    got = parse_potential_title("ElmV vs Ag/AgCl")
    assert got.unit is not None and got.unit.symbol == "mV" and got.reference == "Ag/AgCl"


@pytest.mark.parametrize("seed", [3, 4])
def test_axis_fit_recovers_lost_points_and_minus_signs(seed: int) -> None:
    """Tick labels at matplotlib's own tick positions, read as a photo's OCR reads them: "-1.0"
    as "-10", "-0.5" as "0.5", "-20" as "20"; one label unreadable as a stray digit.  The fit must
    still give matplotlib's pixel → value map."""
    rng = np.random.default_rng(seed)
    xlim, ylim = (-1.05, 0.15), (-52.0, 6.0)

    def draw(ax: Any) -> None:
        e, i = seeded_cv(rng)
        ax.plot(e, i, lw=1.0)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xticks([-1.0, -0.5, 0.0])
        ax.set_yticks([-40.0, -20.0, 0.0])

    _, to_pixel = planted_figure(draw, size=(5.2, 4.0), margins=(0.2, 0.17))
    xs_px, _ = to_pixel(np.array([-1.0, -0.5, 0.0]), np.zeros(3))
    _, ys_px = to_pixel(np.zeros(3), np.array([-40.0, -20.0, 0.0]))
    x_read = [("-10", -10.0, True), ("0.5", 0.5, False), ("0.0", 0.0, False)]
    y_read = [("-40", -40.0, True), ("20", 20.0, False), ("4", 4.0, False)]  # "0" as a stray "4"
    xl = [
        TickLabel(float(p), v, 0.95, t, s, "plain", True) for p, (t, v, s) in zip(xs_px, x_read, strict=True)
    ]
    yl = [
        TickLabel(float(p), v, 0.9, t, s, "plain", True) for p, (t, v, s) in zip(ys_px, y_read, strict=True)
    ]
    yl[2] = TickLabel(float(ys_px[2]), 4.0, 0.33, "4", False, "plain", True)
    xf = fit_axis(xl, source="planted", axis="x")
    yf = fit_axis(yl, source="planted", axis="y")
    assert xf is not None and yf is not None
    probe = np.linspace(*xlim, 7)[1:-1]
    col, _ = to_pixel(probe, np.zeros(probe.size))
    assert np.max(np.abs(xf.value(col) - probe)) <= 0.005 * (xlim[1] - xlim[0])
    probe = np.linspace(*ylim, 7)[1:-1]
    _, row = to_pixel(np.zeros(probe.size), probe)
    assert np.max(np.abs(yf.value(row) - probe)) <= 0.005 * (ylim[1] - ylim[0])


def test_correct_labels_keep_their_reading() -> None:
    """Labels read right are never 'corrected': 10, 20, 30 stay 10, 20, 30 (not 1.0, 2.0, …)."""
    pos = [100.0, 200.0, 300.0, 400.0]
    vals = [10.0, 20.0, 30.0, 40.0]
    labels = [TickLabel(p, v, 0.95, f"{v:.0f}", False, "plain", True) for p, v in zip(pos, vals, strict=True)]
    fit = fit_axis(labels, source="planted", axis="x")
    assert fit is not None and fit.sign_fixes == 0
    assert fit.value(250.0) == pytest.approx(25.0, abs=1e-9)


# -- photos in perspective ----------------------------------------------------------------------


def _photo(
    img: np.ndarray, quad: np.ndarray, size: tuple[int, int], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The figure printed on paper, photographed: mapped onto ``quad`` (tl, tr, br, bl) of a dark
    table, lit unevenly, with sensor noise."""
    import cv2

    h, w = img.shape[:2]
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    hm = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    out = cv2.warpPerspective(
        img, hm, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT, borderValue=(40, 48, 60)
    ).astype(np.float64)
    _yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    out *= (0.9 + 0.1 * xx / size[0])[..., None]
    out += rng.normal(0.0, 3.0, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8), hm


@pytest.mark.parametrize("seed", [0, 1])
def test_photo_in_strong_perspective(seed: int) -> None:
    """A printout photographed at an angle: the bottom spine tilts ~3.5° while the top stays level
    (opposite sides more than 2.6° apart, beyond what a global tilt and ±2° could follow)."""
    rng = np.random.default_rng(seed)
    xlim, ylim = (-1.05, 0.15), (-55.0, 55.0)

    def draw(ax: Any) -> None:
        e, i = seeded_cv(rng)
        ax.plot(e, i, "k-", lw=1.2)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xlabel("Potential (V)")
        ax.set_ylabel("Current (µA)")

    img, to_pixel = planted_figure(draw, size=(5.2, 4.0), margins=(0.2, 0.17))
    h, w = img.shape[:2]
    sag = rng.uniform(26.0, 32.0)  # px the bottom right corner drops: ~3.5° over the width
    quad = np.array([[30, 20], [30 + w, 16], [24 + w, 24 + h + sag], [40, 24 + h]], dtype=float)
    photo, hm = _photo(img, quad, (w + 70, h + 80), rng)
    ex, ey = layout_errors(photo, to_pixel, xlim, ylim, warp=hm)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


# -- x tick labels run together ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lo", "hi", "step", "size"), [(300.0, 1000.0, 100.0, 15.5), (-0.75, 1.0, 0.25, 14.0)]
)
def test_x_labels_run_together_split_at_the_ticks(lo: float, hi: float, step: float, size: float) -> None:
    """Large tick labels on a narrow axis touch one another ("1000900800700…", or
    "−0.75−0.50−0.250.00…" with each minus kerned into the digit before it): the row is split
    half-way between the tick marks under it."""
    rng = np.random.default_rng(5)
    xlim, ylim = (lo - 0.4 * step, hi + 0.4 * step), (-60.0, 60.0)

    def draw(ax: Any) -> None:
        e, i = seeded_cv(rng)
        ax.plot(lo + (e + 0.95) / 0.9 * (hi - lo), i, lw=1.5)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xticks(np.arange(lo, hi + 0.5 * step, step))
        if step < 1:
            ax.xaxis.set_major_formatter("{x:.2f}")
        ax.tick_params(axis="x", labelsize=size, pad=2)
        ax.set_xlabel("E / mV" if step >= 1 else "E / V")
        ax.set_ylabel("I / µA")

    img, to_pixel = planted_figure(draw, size=(4.6, 3.8), margins=(0.2, 0.17))
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)

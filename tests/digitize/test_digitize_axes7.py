"""Tick marks and axis texts in the situations that lost calibrations or units on development
figures: a short inward tick next to a legend's frame that ends just above the spine, y tick
labels with decimal commas (the comma's tail hangs below the digits) placed by their centres, y
labels next to free-standing tick marks with no spines, a printout with left and bottom spines
only photographed in perspective (the sheet's edges give the corner the frame lacks), an offset
text whose thin leading "1" OCR drops, and axis titles whose slash, bracket or µ OCR misreads.

The truths are the planted stroke positions (exact pixel columns), matplotlib's own data → pixel
transform of the drawn axes, the renderer's exact transform through its photo degradation, and
the texts the figures were drawn with.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from voltlens.digitize.axes import tick_position
from voltlens.digitize.parse import parse_current_title, parse_multiplier, parse_potential_title, parse_tick

from .conftest import calibration_errors, layout_errors, planted_figure, synth_figure


def _spine_with_tick(tick: int, stray: int, *, vertical: bool) -> np.ndarray:
    """Ink strength of a spine (rows 40–41) with a 3 px inward tick at column ``tick`` and, at
    column ``stray``, the side of a legend's frame that stops 6 px above the spine (with the
    frame's bottom edge joining it)."""
    s = np.zeros((60, 80), dtype=np.float32)
    s[40:42, :] = 255.0
    s[37:40, tick] = 255.0
    s[18:35, stray] = 255.0
    lo, hi = sorted((stray, stray - 25))
    s[34, max(0, lo) : hi + 1] = 255.0
    return s.T.copy() if vertical else s


@pytest.mark.parametrize("vertical", [False, True])
@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_short_tick_beside_a_legend_frame(offset: int, vertical: bool) -> None:
    """The stroke that starts at the axis line is the tick, not the longer one standing apart
    from it (the frame of a legend set in the plot's corner), however much more ink it has."""
    tick = 30
    s = _spine_with_tick(tick, tick + offset, vertical=vertical)
    got = tick_position(
        s,
        horizontal_axis=not vertical,
        line=40.5,
        centre=float(tick),
        half_window=8.0,
        after=2.0,
        before=19.0,
        threshold=128.0,
    )
    assert got is not None and abs(got - tick) <= 0.25, got


def test_a_tick_with_no_stray_stroke_is_unchanged() -> None:
    """A tall tick touching the line (no stray stroke near it) is found at its column."""
    s = np.zeros((60, 80), dtype=np.float32)
    s[40:42, :] = 255.0
    s[30:40, 44] = 255.0
    got = tick_position(
        s,
        horizontal_axis=True,
        line=40.5,
        centre=43.0,
        half_window=8.0,
        after=2.0,
        before=19.0,
        threshold=128.0,
    )
    assert got == pytest.approx(44.0)


@pytest.mark.parametrize(("text", "exponent"), [("e−5", -5), (".e-5", -5), ("le-4", -4), ("1e−6", -6)])
def test_offset_text_with_its_leading_one_lost(text: str, exponent: int) -> None:
    """matplotlib's "1e−5" offset read without its thin "1" (OCR drops it, or the crop cut it)."""
    got = parse_multiplier(text)
    assert got is not None and got == (exponent, True)


@pytest.mark.parametrize(
    ("read", "drawn", "symbol"),
    [
        ("1 (μa)", "i (µA)", "µA"),  # the A read in lower case at the end of its bracket
        ("<l>iμA", "<I>/µA", "µA"),  # the slash read as "i" right before µ
        ("I/μA", "I/µA", "µA"),
        ("Current (mA)", "Current (mA)", "mA"),
    ],
)
def test_current_titles_as_ocr_reads_them(read: str, drawn: str, symbol: str) -> None:
    got = parse_current_title(read)
    assert got.unit is not None and got.unit.symbol == symbol, (drawn, got)
    assert not got.prefix_guessed


@pytest.mark.parametrize(
    ("read", "drawn", "symbol"),
    [
        ("PetentiaymV", "Potential/mV", "mV"),  # the slash read as "y"
        ("EIVI", "E [V]", "V"),  # both brackets read as I
        ("EIV", "E/V", "V"),
        ("Potential (mV)", "Potential (mV)", "mV"),
    ],
)
def test_potential_titles_as_ocr_reads_them(read: str, drawn: str, symbol: str) -> None:
    got = parse_potential_title(read)
    assert got.unit is not None and got.unit.symbol == symbol, (drawn, got)


@pytest.mark.parametrize("read", ["Current", "Scan rate", "Temperature"])
def test_current_titles_without_a_unit_stay_unread(read: str) -> None:
    """Words that merely hold a letter of a unit are not read as one (refusal over invention)."""
    assert parse_current_title(read).unit is None


@pytest.mark.parametrize("read", ["Potential", "E [M]", "Time / s"])
def test_potential_titles_without_a_unit_stay_unread(read: str) -> None:
    assert parse_potential_title(read).unit is None


def _loop(
    n: int,
    start: float,
    span: float,
    anodic: tuple[float, float, float],
    cathodic: tuple[float, float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """A CV-like loop of ``n`` points from ``start`` up by ``span`` and back: a Gaussian peak
    (height, centre, width) on the way up and a negative one on the way down."""
    t = np.linspace(0.0, 1.0, n)
    e = start + span * np.where(t < 0.5, 2.0 * t, 2.0 - 2.0 * t)
    (ha, ca, wa), (hc, cc, wc) = anodic, cathodic
    i = np.where(t < 0.5, ha * np.exp(-(((e - ca) / wa) ** 2)), -hc * np.exp(-(((e - cc) / wc) ** 2)))
    return e, i


@pytest.mark.parametrize(("size", "fontsize"), [((3.7, 2.7), 8), ((4.5, 3.4), 8), ((4.5, 3.4), 10)])
def test_decimal_comma_labels_placed_by_their_digits(size: tuple[float, float], fontsize: int) -> None:
    """Y tick labels "2,0E+01" with no tick marks: each label stands for the row of its centre,
    which is the centre of its digits — the comma's tail below the baseline does not pull it
    down (a one-pixel bias on every label of a short axis)."""
    from matplotlib.ticker import FuncFormatter

    rng = np.random.default_rng(11)
    xlim, ylim = (-0.45, 0.25), (-31.0, 29.0)

    def draw(ax: Any) -> None:
        e, i = _loop(300, -0.4, 0.6, (22.0, -0.1, 0.06), (25.0, -0.15, 0.06))
        ax.plot(e, i + rng.normal(0.0, 0.3, e.size), lw=1.5)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_yticks([-20.0, 0.0, 20.0])
        ax.set_xticks([-0.4, -0.2, 0.0, 0.2])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1E}".replace(".", ",")))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1f}".replace(".", ",")))
        ax.tick_params(length=0, labelsize=fontsize)
        ax.set_xlabel("E [V]")
        ax.set_ylabel("I / µA")

    img, to_pixel = planted_figure(draw, size=size, margins=(0.3, 0.2))
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
    # three labels ~65 px apart on a 60-unit axis: a pixel of bias is 0.3 % of the range
    assert ex <= 0.5 and ey <= 0.2, (ex, ey)


@pytest.mark.parametrize("size", [(7.5, 5.9), (5.6, 4.2)])
def test_no_spines_ticks_on_both_sides_of_the_labels(size: tuple[float, float]) -> None:
    """No spines and no gridlines (the box is inferred from the tick labels), major and minor
    tick marks standing free between the y labels and the plot, an x minor tick at the corner in
    line with the y labels' ends: the labels are the column of evenly spaced numbers, not the
    flat tick marks next to them, and a mark below the column does not break it."""
    from matplotlib.ticker import FuncFormatter

    rng = np.random.default_rng(53)
    xlim, ylim = (-400.0, 1200.0), (-30.0, 90.0)

    def draw(ax: Any) -> None:
        e, peak = _loop(400, -350.0, 1400.0, (40.0, 850.0, 80.0), (30.0, -100.0, 90.0))
        ax.plot(e, 0.05 * (e - 200.0) + peak + rng.normal(0.0, 0.5, e.size), lw=2.5)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xticks([0.0, 500.0, 1000.0])
        ax.set_yticks([-20.0, 0.0, 20.0, 40.0, 60.0, 80.0])
        ax.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _: f"{v:.1e}".replace(".", ",").replace("e+0", "e").replace("e-0", "e-"))
        )
        ax.minorticks_on()
        for side in ("left", "right", "top", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(which="major", width=1.5, length=6, labelsize=11)
        ax.tick_params(which="minor", width=0.9, length=3)
        ax.set_xlabel("Potential / mV")
        ax.set_ylabel("WE(1).Current (µA)")

    img, to_pixel = planted_figure(draw, size=size, margins=(0.2, 0.15))
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


@pytest.mark.parametrize("index", [1, 6])
def test_photo_of_an_open_frame_rectified_by_the_sheet(index: int) -> None:
    """Left and bottom spines only, printed and photographed turned 3° and in perspective, the
    whole sheet in view on a grey table: the frame's two lines leave its far corner to a guess
    (a parallelogram, no perspective), so the sheet's four edges fix the rectification."""
    from voltlens.digitize import digitize
    from voltlens.render import Degradation

    photo = Degradation(
        kind="photo",
        rotation_deg=3.0,
        perspective=(0.014, 0.0055, 0.0033, -0.0234, -0.0123, 0.0117, 0.0115, 0.0047),
        zoom=0.82,
        background=(90, 90, 90),
        ink=0.9,
        paper=(0.96, 0.93, 0.9),
        illumination=0.15,
        illumination_angle_deg=280.0,
        vignette=0.3,
        blur_sigma=0.8,
        scale=0.8,
        resample="bicubic",
        noise_sigma=6.0,
        jpeg_quality=70,
    )
    fig = synth_figure(7, index, style={"theme": "paper", "spines": "lb"}, degradation=photo)
    ex, ey = calibration_errors(fig, digitize(fig.image))
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


def test_two_labels_one_barely_read_fit_no_axis() -> None:
    """A blurred photo's x labels read as "1", "-0" (OCR score 0.47) and "-03": the two that
    happen to lie a nice step apart per pitch are no calibration when one is barely read — a
    refusal, not a made-up axis; read surely, the same two fit."""
    from voltlens.digitize.calibrate import TickLabel, fit_axis

    def labels(score: float) -> list[TickLabel]:
        out = []
        for pos, text, sc in ((67.5, "1", 0.86), (89.5, "-0", score), (279.5, "-03", 0.95)):
            t = parse_tick(text)
            assert t is not None
            out.append(TickLabel(pos, t.value, sc, text, t.signed, t.kind, False))
        return out

    assert fit_axis(labels(0.47), source="planted", axis="x") is None
    sure = fit_axis(labels(0.9), source="planted", axis="x")
    assert sure is not None and len(sure.inliers) == 2


def test_column_extent_spans_holes_and_is_zero_on_empty_columns() -> None:
    """Each column's ink height from its top to its bottom pixel, holes included (an 'o', an '8'
    read as one piece); 0 where the column holds no ink."""
    from voltlens.digitize.text import column_extent

    sub = np.zeros((7, 4), dtype=bool)
    sub[1:3, 0] = True  # a 2-px run
    sub[[0, 6], 1] = True  # two pixels with a hole between: 7 px
    sub[4, 3] = True  # one pixel; column 2 empty
    assert column_extent(sub).tolist() == [2, 7, 0, 1]

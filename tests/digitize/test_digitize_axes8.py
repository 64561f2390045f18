"""Axes, frames and tick labels in the situations that lost calibrations on development figures
of round 8: a dark figure with no spines whose legend (thick handles, concentrations as text)
stands where the box inferred from the text looked for the y labels, …

The truths are matplotlib's own data → pixel transform of the drawn axes and the renderer's
exact transform.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from voltlens.digitize.parse import parse_tick

from .conftest import layout_errors, planted_figure


def _wave(e: np.ndarray, centre: float, height: float, width: float) -> np.ndarray:
    return height * np.exp(-(((e - centre) / width) ** 2))


@pytest.mark.parametrize("n_entries", [4, 6])
def test_dark_no_spines_legend_of_numbers_is_not_the_y_axis(n_entries: int) -> None:
    """A dark theme, no spines, dashed gridlines crossed by thick curves (they frame no box) and a
    legend of thick handles with numeric texts ("1.56 mM") in the upper left: the y tick labels
    are the column of numbers beside the plot that reaches down to the x axis, not the legend's
    evenly spaced numbers nor its handles (solid bars, right-aligned like labels)."""
    xlim, ylim = (-0.99, -0.44), (-10.0, 42.0)
    fg, bg = "#cfcfd8", "#1a1c2c"
    colours = ["#ffff00", "#00ffff", "#ff44ff", "#44ff44", "#ff8800", "#ffffff"]

    def draw(ax: Any) -> None:
        ax.set_facecolor(bg)
        e = np.linspace(-0.98, -0.45, 300)
        for k in range(n_entries):
            c = 1.56 * k
            i = _wave(e, -0.71, 5.0 * c, 0.06) + 0.5 * c * (e + 0.7) + 2.0 * np.exp((e + 0.45) / 0.03)
            ax.plot(e, i, lw=3.5, color=colours[k], label="blank" if k == 0 else f"{c:.2f} mM")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_yticks([0.0, 20.0, 40.0])
        ax.grid(True, ls="--", color="#555566", lw=0.8)
        for side in ("left", "right", "top", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(colors=fg, labelcolor=fg, labelsize=8, length=6, pad=5)
        ax.legend(loc="upper left", frameon=False, labelcolor=fg, fontsize=7)
        ax.set_xlabel("Potential / V", color=fg, fontsize=8)
        ax.set_ylabel("i (µA)", color=fg, fontsize=8)

    img, to_pixel = planted_figure(draw, size=(5.35, 4.0), facecolor=bg, margins=(0.12, 0.15))
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


def _synth_layout_errors(fig: Any) -> tuple[float, float]:
    """Largest error (% of the axis range) of the layout's pixel → displayed value maps over the
    interior of each axis of a synthetic figure, against the renderer's exact transform."""
    from voltlens.digitize.layout import analyse_layout

    lay = analyse_layout(fig.image, source="planted")
    xa, ya = fig.meta["x_axis"], fig.meta["y_axis"]
    neg = -1.0 if ya.get("negated") else 1.0
    xlo, xhi = (v * xa["scale"] for v in xa["limits"])
    ylo, yhi = (v * ya["scale"] * neg for v in ya["limits"])
    es = np.linspace(min(xlo, xhi), max(xlo, xhi), 7)[1:-1]
    is_ = np.linspace(min(ylo, yhi), max(ylo, yhi), 7)[1:-1]
    hm = lay.homography

    def rect(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = np.column_stack([px - 0.5, py - 0.5, np.ones(px.size)]) @ hm.T  # pixel centres at i + 0.5
        return p[:, 0] / p[:, 2], p[:, 1] / p[:, 2]

    col, row = rect(*fig.transform.to_pixel(es, np.full(es.size, 0.5 * (ylo + yhi))))
    ex = np.max(np.abs(lay.x.si(col) - es)) / abs(xhi - xlo) * 100
    col, row = rect(*fig.transform.to_pixel(np.full(is_.size, 0.5 * (xlo + xhi)), is_))
    ey = np.max(np.abs(lay.y.si(row) - neg * is_)) / abs(yhi - ylo) * 100
    return float(ex), float(ey)


def _spine_under_an_offset(gap: int) -> np.ndarray:
    """Ink mask of a left spine (columns 50–51, rows 30–111) and a bottom one, with an offset text
    "×10" set ``gap`` px above the left spine's top, the "×"'s lower-left stroke over the spine."""
    m = np.zeros((140, 220), dtype=bool)
    m[30:112, 50:52] = True
    m[110:112, 50:200] = True
    top = 30 - gap
    for k in range(5):  # the "×": two 2-px diagonal strokes, 5 px tall
        m[top - 5 + k, 50 + k : 52 + k] = True
        m[top - 5 + k, 53 - k : 55 - k] = True
    m[top - 7 : top - 1, 58:60] = True  # "1"
    m[top - 7 : top - 1, 62:66] = True  # "0"
    return m


@pytest.mark.parametrize("gap", [2, 3, 4])
def test_spine_ends_where_its_ink_ends_under_an_offset_text(gap: int) -> None:
    """A small figure with left and bottom spines only: matplotlib's "×10⁻⁵" offset text sits right
    on top of the left spine, its "×" a couple of pixels above the spine's end.  The spine (and
    the box's top) ends where its unbroken ink ends, and the whole offset text lies above it."""
    from voltlens.digitize.axes import find_offset
    from voltlens.digitize.frame import Evidence, find_box

    m = _spine_under_an_offset(gap)
    box = find_box(Evidence.of_mask(m))
    assert box is not None and box.top == pytest.approx(30.0, abs=0.5), box
    off = find_offset(m, box, 6.0)
    assert off is not None and off.x0 <= 50 and off.x1 == 66, off  # "×" to "0"


@pytest.mark.parametrize("band", [(60, 80), (100, 126)])
def test_filled_panel_across_a_band_of_curves(band: tuple[int, int]) -> None:
    """A grey ggplot panel (rows 20–219, columns 40–339) on a white figure, crossed by a band of
    curves that covers its whole width (many traces starting together): the panel is the whole
    grey rectangle, not the larger of its parts above and below the band."""
    from voltlens.digitize.frame import box_from_fill

    img = np.full((260, 380, 3), 255, dtype=np.uint8)
    img[20:220, 40:340] = 235
    img[:, 100::50][20:220] = 255  # white gridlines
    rng = np.random.default_rng(5)
    colours = rng.integers(0, 200, size=(band[1] - band[0], 3))
    img[band[0] : band[1], 40:340] = colours[:, None, :]
    box = box_from_fill(img)
    assert box is not None
    assert (box.left, box.top, box.right, box.bottom) == pytest.approx((39.5, 19.5, 339.5, 219.5)), box


@pytest.mark.parametrize(
    ("read", "symbol"),
    [("WE(1).Current (µA", "µA"), ("E(1).Current (μA", "µA"), ("Current [mA", "mA"), ("I (nA", "nA")],
)
def test_current_title_with_its_closing_bracket_lost(read: str, symbol: str) -> None:
    """OCR drops the closing bracket of "WE(1).Current (µA)": the unit is the open bracket's
    content, not the "(1)" of the channel name."""
    from voltlens.digitize.parse import parse_current_title

    got = parse_current_title(read)
    assert got.unit is not None and got.unit.symbol == symbol, got


@pytest.mark.parametrize("ticks", [(0.0, 50.0), (-10.0, 0.0, 10.0)])
def test_right_aligned_labels_ending_in_a_serif_one(ticks: tuple[float, ...]) -> None:
    """Y tick labels in a serif font ("5.0e+01" over "0.0e+00"), right-aligned: the "1" ends a
    fifth of a character short of the "0" beside it, and both are the labels' last glyphs — not
    marks standing between the labels and the axis."""
    from matplotlib.ticker import FuncFormatter

    xlim, ylim = (-0.1, 0.7), (1.5 * ticks[0] - 5.0, 1.2 * ticks[-1] + 5.0)

    def draw(ax: Any) -> None:
        e = np.linspace(0.0, 0.6, 200)
        ax.plot(e, _wave(e, 0.3, 0.8 * ticks[-1], 0.08), lw=2.0)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_yticks(list(ticks))
        ax.set_xticks([0.0, 0.2, 0.4, 0.6])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1e}"))
        for lab in ax.get_xticklabels() + ax.get_yticklabels():
            lab.set_fontfamily("STIXGeneral")
        ax.tick_params(labelsize=15)
        ax.set_xlabel("E (V)")
        ax.set_ylabel("I / µA")

    img, to_pixel = planted_figure(draw, size=(6.0, 4.0), margins=(0.25, 0.18))
    ex, ey = layout_errors(img, to_pixel, xlim, ylim)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


def test_dashed_gridlines_are_no_inner_frame() -> None:
    """A full frame of spines with dashed gridlines crossing at two x ticks only (an EC-Lab style,
    pinned from a development figure, on fresh data): the gridlines, cut short where they cross
    each other, frame a box of their own inside the spines — but dashed lines are no plot frame,
    the spines are."""
    import json
    from pathlib import Path

    from .conftest import synth_figure

    style = json.loads((Path(__file__).parent / "data" / "style_eclab_dashed_grid.json").read_text())
    fig = synth_figure(19, 141, style=style)
    assert len(fig.meta["x_axis"]["ticks"]) == 2  # the situation is planted
    ex, ey = _synth_layout_errors(fig)
    assert ex <= 0.5 and ey <= 0.5, (ex, ey)


def test_decimal_commas_hanging_below_the_digits_join_their_row() -> None:
    """x tick labels "0,0  0,2  0,4" in a large serif font: each comma's tail hangs below the
    baseline, overlapping the digits' rows by a few pixels only.  The commas belong to the row of
    the labels (one row, three labels), not to a row of their own — a row of evenly spaced marks
    that would be taken for the tick labels."""
    from voltlens.digitize.text import Glyph, rows_of, words_of

    glyphs = []
    for x in (100, 246, 392):  # "0" "," "0" per label, digits 23 px tall, the comma 8 px
        glyphs += [Glyph(x, 1073, x + 14, 1096, 150), Glyph(x + 16, 1094, x + 21, 1102, 20)]
        glyphs += [Glyph(x + 24, 1073, x + 38, 1096, 150)]
    rows = rows_of(glyphs)
    assert len(rows) == 1 and len(rows[0]) == 9
    words = words_of(rows[0], gap=0.65 * 23)
    assert [(wd.x0, wd.x1) for wd in words] == [(100, 138), (246, 284), (392, 430)]


def test_gridlines_broken_by_curves_with_an_axis_line_at_zero() -> None:
    """A spreadsheet chart: thin horizontal gridlines, no spines, the x axis drawn as a thicker
    line at zero across the middle; curves cut two of the gridlines short of the right end.  The
    box runs from the top gridline to the bottom one, not from the axis line down."""
    from voltlens.digitize.frame import Evidence, find_box

    m = np.zeros((430, 573), dtype=bool)
    m[219:222, 46:553] = True  # the axis line at zero, 3 px
    for row, (a, b) in {76: (48, 425), 148: (48, 441), 293: (159, 550), 365: (48, 550)}.items():
        m[row, a:b] = True
    box = find_box(Evidence.of_mask(m))
    assert (
        box is not None
        and box.top == pytest.approx(76.0, abs=0.5)
        and box.bottom == pytest.approx(365.0, abs=0.5)
    )


def test_y_title_run_together_into_one_piece_of_ink() -> None:
    """A small web image: the rotated y title's letters are blurred into one tall, narrow piece of
    ink (columns 16–20, rows 88–131) left of the tick labels.  It is the title (its box is read),
    though it is a single component; a solid line there would not be."""
    from voltlens.digitize.axes import find_y_text
    from voltlens.digitize.frame import Box

    m = np.zeros((240, 426), dtype=bool)
    for k, top in enumerate(range(21, 200, 35)):  # six right-aligned labels, 7 px tall, ending at 42
        width = 15 if k < 2 else 10
        for c in range(42 - width, 42, 5):
            m[top : top + 7, c : c + 4] = True
            m[top + 2 : top + 5, c + 1 : c + 3] = False  # the digits' counters
    m[20:200, 45] = True  # the left spine
    title = np.ones((44, 5), dtype=bool)
    title[1::2, 2:] = False  # gaps between the blurred letters: not solid
    m[88:132, 16:21] = title
    box = Box(45.5, 18.0, 403.5, 199.5, {"l": None, "r": None, "t": None, "b": None}, "")
    found = find_y_text(m, box)
    assert found is not None and len(found.labels) == 6
    assert found.title == (16, 88, 21, 132), found.title
    m[88:132, 16:21] = True  # a solid bar: no title
    found = find_y_text(m, box)
    assert found is not None and found.title is None


@pytest.mark.parametrize("flat_end", [150, 180])
def test_a_curves_flat_stretch_from_the_spine_does_not_end_the_box(flat_end: int) -> None:
    """Left and bottom spines only (columns 58, rows 46–192, the bottom spine to column 380) and a
    CV whose flat baseline starts on the left spine and runs to ``flat_end``: the box's right edge
    is where the bottom spine ends, not the median end of the lines starting on the spine."""
    from voltlens.digitize.frame import Evidence, find_box

    m = np.zeros((240, 400), dtype=bool)
    m[46:194, 58:60] = True
    m[192:194, 58:381] = True
    m[128, 60:flat_end] = True  # the curve's flat stretch
    m[131, 60 : flat_end - 10] = True  # its second cycle
    box = find_box(Evidence.of_mask(m))
    assert box is not None and box.right == pytest.approx(380.0, abs=1.0), box


@pytest.mark.parametrize("framed", [True, False])
def test_one_frame_search_per_evidence(framed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stroke mask carries the box found on it (:func:`evidence_of`): the rectification's
    fast path and the box search give what they give on the bare mask, and the mask is searched
    for a frame once (framed on two sides) or twice (faint strokes added), not three times."""
    from voltlens.digitize import frame

    strength = np.zeros((200, 300), dtype=np.float32)
    strength[179:181, 40:281] = 200.0  # bottom spine
    if framed:
        strength[20:181, 40:42] = 200.0  # left spine
    for x in range(80, 281, 40):
        strength[22:179, x] = 60.0  # pale gridlines
    bare = frame.line_evidence(strength, 100.0)
    plain = frame.Evidence.of_mask(bare)
    want_box, want_h = frame.find_box(plain), frame.rectifying_homography(plain)
    calls = []
    box_of = frame._box_of
    # calls on the whole mask (an inner frame is looked for on a part of it)
    monkeypatch.setattr(frame, "_box_of", lambda m, *a: calls.append(m.shape == bare.shape) or box_of(m, *a))
    ev = frame.evidence_of(strength, 100.0)
    assert np.array_equal(ev.mask, bare)
    assert want_h is None
    assert frame.find_box(ev) == want_box
    assert frame.rectifying_homography(ev) is None
    assert sum(calls) == (1 if framed else 2)


def test_two_good_labels_beat_a_misread_pair_a_nice_step_apart() -> None:
    """x labels "−0.25", "0.00", "0.25" one tick pitch (107 px) apart, the first read "-02.25":
    the misreading and "0.25" differ by a nice 2.5, as "0.00" and "0.25" differ by a nice 0.25 —
    but only the latter is a nice step per tick pitch (2.5 over two pitches is 1.25 a tick), so it
    is the line taken, and the axis is fitted (not refused on the misread pair)."""
    from voltlens.digitize.calibrate import TickLabel, fit_axis

    labels = []
    for pos, text in ((117.0, "-02.25"), (224.0, "0.00"), (331.0, "0.25")):
        t = parse_tick(text)
        assert t is not None
        labels.append(TickLabel(pos, t.value, 0.91, text, t.signed, t.kind, True))
    fit = fit_axis(labels, source="planted", axis="x")
    assert fit is not None and fit.inliers == (1, 2)
    assert fit.slope == pytest.approx(0.25 / 107.0) and fit.value(117.0) == pytest.approx(-0.25)


def test_title_in_one_piece_over_the_ticks_is_not_split_into_labels() -> None:
    """Two x tick labels ("400", "600", bold digits touching) in the first row under the axis,
    minor ticks all along it, and the title "Potential (mV)" set in one piece below: the labels
    are the first row, and the title is not cut at the ticks into three evenly spaced "labels"."""
    from voltlens.digitize.axes import find_x_text
    from voltlens.digitize.frame import Box, Line

    m = np.zeros((270, 360), dtype=bool)
    m[200:202, 39:335] = True  # bottom spine
    m[36:38, 39:335] = True  # top spine
    for x in range(65, 335, 30):  # ticks under the spine, every 30 px
        m[202:206, x] = True
    for x0 in (84, 204):  # labels: three touching bold digits each
        for k in range(3):
            m[209:218, x0 + 6 * k : x0 + 6 * k + 6] = True
            m[211:216, x0 + 6 * k + 2 : x0 + 6 * k + 4] = False
    for k in range(12):  # the title: twelve letters 1 px apart in one run, 145..228
        m[224:233, 145 + 7 * k : 151 + 7 * k] = True
        m[226:231, 147 + 7 * k : 149 + 7 * k] = False
    lines = {
        "b": Line(True, 0.0, 200.5, 39.0, 334.0, 2.0, 1.0),
        "t": Line(True, 0.0, 36.5, 39.0, 334.0, 2.0, 1.0),
        "l": None,
        "r": None,
    }
    box = Box(39.0, 36.5, 334.0, 200.5, lines, "lbrt")
    found = find_x_text(m, box)
    assert found is not None
    assert [(wd.x0, wd.x1) for wd in found.labels] == [(84, 102), (204, 222)]

"""Legend text and marker classes of the pipeline:

- a legend text whose read box ends early (the reader dropped the unit, "0.1 mM" read "0.1 r") is
  still kept out of the curves whole, so its tail is not read as a curve of the text colour;
- a black marker series drawn first, with many of its markers partly covered by the series drawn
  over it, is still a curve (not text): its whole markers are alike and hold most of its ink.

Planted truths: the text's ink drawn at a known place; marker series drawn with plain matplotlib
(not voltlens.render) from Gaussian DPV peaks whose positions are known."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from voltlens.digitize import digitize
from voltlens.digitize.legend import Legend, LegendEntry
from voltlens.digitize.pipeline import _legend_exclusion

from .conftest import figure_png


def _text_strength(word: str, at: tuple[int, int], scale: float) -> tuple[np.ndarray, np.ndarray]:
    """An ink-strength image (0–255) with ``word`` written at ``at`` (x, baseline y), and its mask."""
    import cv2

    img = np.zeros((300, 500), np.uint8)
    cv2.putText(img, word, at, cv2.FONT_HERSHEY_SIMPLEX, scale, 255, 2, cv2.LINE_AA)
    return img.astype(np.float32), img > 100


def _excluded(parts: list[tuple[int, int, int, int]], shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, bool)
    for a0, b0, a1, b1 in parts:
        out[max(0, b0) : max(0, b1), max(0, a0) : max(0, a1)] = True
    return out


@pytest.mark.parametrize("crossing", [False, True])
@pytest.mark.parametrize("word", ["0.0864 mM", "blank A", "1.25 uA", "20 mm s"])
def test_a_legend_text_read_short_is_excluded_whole(word: str, crossing: bool) -> None:
    strength, text = _text_strength(word, (200, 130), 0.8)
    ys, xs = np.nonzero(text)
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    short = (x0, y0, x0 + (x1 - x0) // 3, y1)  # the reader's box: only its first third
    handle = (x0 - 60, (y0 + y1) // 2 - 2, x0 - 15, (y0 + y1) // 2 + 2)
    strength[handle[1] : handle[3], handle[0] : handle[2]] = 255.0
    if crossing:  # a curve running through the legend's box (a legend without a fill)
        strength[y0 - 14 : y0 - 12, 20:480] = 255.0  # within the box's padding, above the text
        strength[60 : y0 - 12, 150] = 255.0
    entry = LegendEntry((0, 0, 0), word[:3], 0.9, handle, short)
    legend = Legend((handle[0], y0, short[2], y1), True, (entry,))
    parts = _legend_exclusion(legend, strength, float(y1 - y0))
    left = text & ~_excluded(parts, strength.shape)
    assert left.sum() <= 0.02 * text.sum(), f"{left.sum()} of {text.sum()} text pixels left as curve ink"


def test_a_legend_text_stops_where_a_curve_runs_alongside() -> None:
    """The text's run on stops at ink above or below its rows: a curve, not the text's tail (a
    guard on the rule above; the old code never ran a text on)."""
    strength, text = _text_strength("0.5 mM", (100, 130), 0.8)
    ys, xs = np.nonzero(text)
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    # a steep curve right after the text, crossing its rows and the rows above and below
    cx = x1 + 6
    strength[y0 - 14 : y0 - 12, 20:480] = 255.0  # a curve through the legend's box, above the text
    strength[y0 - 40 : y1 + 40, cx : cx + 3] = 255.0
    strength[y1 + 39 : y1 + 42, cx : cx + 200] = 255.0
    handle = (x0 - 60, (y0 + y1) // 2 - 2, x0 - 15, (y0 + y1) // 2 + 2)
    entry = LegendEntry((0, 0, 0), "0.5 mM", 0.9, handle, (x0, y0, x1, y1))
    legend = Legend((handle[0], y0, x1, y1), True, (entry,))
    parts = _legend_exclusion(legend, strength, float(y1 - y0))
    far = np.zeros(strength.shape, bool)
    far[y0 - 40 : y1 + 40, cx + 1] = True  # the curve's middle column
    assert (far & _excluded(parts, strength.shape)).sum() <= 0.5 * (y1 - y0 + 80)


@pytest.mark.parametrize("thickness", [2, 3, 4])
def test_a_flat_curve_running_on_from_a_text_read_whole_is_not_hidden(thickness: int) -> None:
    """A flat curve (a baseline) starting just right of a legend text read whole, at the text's
    height: no letter stands in the run on, so the text is not run on over the curve."""
    strength, text = _text_strength("0.5 mM", (100, 130), 0.8)
    ys, xs = np.nonzero(text)
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    mid = (y0 + y1) // 2
    strength[mid : mid + thickness, x1 + 4 : 480] = 255.0
    handle = (x0 - 60, mid - 2, x0 - 15, mid + 2)
    entry = LegendEntry((0, 0, 0), "0.5 mM", 0.9, handle, (x0, y0, x1, y1))
    legend = Legend((handle[0], y0, x1, y1), True, (entry,))
    parts = _legend_exclusion(legend, strength, float(y1 - y0))
    line = np.zeros(strength.shape, bool)
    line[mid : mid + thickness, x1 + 4 : 480] = True
    hidden = (line & _excluded(parts, strength.shape)).sum()
    assert hidden <= 0.05 * line.sum(), f"{hidden} of {line.sum()} curve pixels hidden as text"


def _peak(e: np.ndarray, ep: float, h: float) -> np.ndarray:
    return h * np.exp(-0.5 * ((e - ep) / 0.06) ** 2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_black_marker_series_half_covered_is_a_curve(seed: int) -> None:
    """A flat black blank under three coloured DPV marker series at the same potentials: the
    coloured markers cover parts of the black ones along the shared baseline."""
    rng = np.random.default_rng(seed)
    e = np.linspace(0.0, -0.6, 31)
    fig, ax = plt.subplots(figsize=(10, 8))
    blank = rng.normal(0, 3.0, e.size)
    ax.plot(e, blank, "o", color="black", ms=12, label="blank")
    for k, (m, c) in enumerate(zip("Dhs", ("#e69f00", "#56b4e9", "#009e73"), strict=True)):
        # on the baseline, each coloured marker lies about half a marker off a black one
        i = -_peak(e, -0.33 - 0.01 * k, 400.0 * (k + 1)) + blank + rng.choice([-12.0, 12.0], e.size)
        ax.plot(e, i, m, color=c, ms=12, label=f"{k + 1} mM")
    ax.invert_xaxis()
    ax.set_xlabel("E [V]")
    ax.set_ylabel("Current [µA]")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 1.12), ncol=4)
    res = digitize(figure_png(fig))
    assert len(res.curves) == 4
    flat = [c for c in res.curves if np.ptp(np.asarray(c.current)) < 0.1 * 1200e-6]
    assert len(flat) == 1, "the blank is read as one flat curve"


def _framed_plot(label_gap: int, tick_len: int) -> tuple[np.ndarray, object, list[float]]:
    """A mask 400 × 360 with a box (spines 4 px thick at x 20/380, y 10/300), ticks drawn inward
    from the bottom spine every 60 px from x 50, digit-sized labels ``label_gap`` px under the
    spine at each tick, and a curve that stays inside; the tick columns whose labels were read
    (the last one unread)."""
    import cv2

    from voltlens.digitize.frame import Box, Line

    mask = np.zeros((360, 400), np.uint8)
    mask[8:13, 20:381] = 1
    mask[298:303, 20:381] = 1
    mask[8:303, 18:23] = 1
    mask[8:303, 378:383] = 1
    ticks = [50.0 + 60.0 * k for k in range(6)]
    for t in ticks:
        c = int(t)
        mask[298 - tick_len : 298, c - 1 : c + 1] = 1
        glyphs = np.zeros((40, 60), np.uint8)
        cv2.putText(glyphs, "-1.4", (4, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 1, 2)
        rows, cols = np.nonzero(glyphs)
        mask[rows - rows.min() + 303 + label_gap, cols - cols.min() + c - 16] = 1
    e = np.linspace(30, 370, 200)
    y = 200 - 150 * np.exp(-0.5 * ((e - 200) / 30) ** 2)
    cv2.polylines(mask, [np.round(np.column_stack([e, y])).astype(np.int32).reshape(-1, 1, 2)], False, 1, 2)
    lines = {
        "l": Line(False, 0.0, 20.0, 10.0, 300.0, 4.0, 1.0),
        "r": Line(False, 0.0, 380.0, 10.0, 300.0, 4.0, 1.0),
        "t": Line(True, 0.0, 10.0, 20.0, 380.0, 4.0, 1.0),
        "b": Line(True, 0.0, 300.0, 20.0, 380.0, 4.0, 1.0),
    }
    return mask.astype(bool), Box(20.0, 10.0, 380.0, 300.0, lines, "lbrt"), ticks[:-1]


@pytest.mark.parametrize(("label_gap", "tick_len"), [(0, 8), (1, 6), (1, 10)])
def test_the_region_does_not_grow_over_tick_labels_under_inward_ticks(label_gap: int, tick_len: int) -> None:
    """Inward ticks meet the region's bottom rows and their labels sit just past the spine: no
    curve crosses the bottom, so the region keeps its bottom (the labels are no curve)."""
    from voltlens.digitize.curves import extend_region, plot_region

    mask, box, read = _framed_plot(label_gap, tick_len)
    region = plot_region(box, mask.shape)
    got = extend_region(mask, region, box, tick_cols=read)
    assert got[3] == region[3]


def test_a_legend_frame_shorter_than_its_read_box_is_found() -> None:
    """A legend's frame whose read box runs well past it (a scan's blur, a box taken with the
    texts' spacing), next to the axes' spines: the frame is found and all inside it goes."""
    strength = np.zeros((300, 500), np.float32)
    strength[20:23, :] = 255.0  # the top spine through the crop
    strength[:, 440:443] = 255.0  # the right spine
    fx0, fy0, fx1, fy1 = 300, 40, 420, 68  # the frame, 3 px thick
    strength[fy0 : fy0 + 3, fx0:fx1] = 255.0
    strength[fy1 - 3 : fy1, fx0:fx1] = 255.0
    strength[fy0:fy1, fx0 : fx0 + 3] = 255.0
    strength[fy0:fy1, fx1 - 3 : fx1] = 255.0
    strength[50:56, 310:340] = 255.0  # the handle
    strength[47:60, 350:410:4] = 255.0  # the text's strokes
    entry = LegendEntry((0, 0, 0), "50 mV/s", 0.9, (310, 50, 340, 56), (350, 47, 410, 60))
    legend = Legend((305, 45, 425, 95), True, (entry,))  # read 27 px taller than the frame
    parts = _legend_exclusion(legend, strength, 14.0)
    gone = _excluded(parts, strength.shape)
    frame = np.zeros(strength.shape, bool)
    frame[fy0:fy1, fx0:fx1] = True
    frame[fy0 + 3 : fy1 - 3, fx0 + 3 : fx1 - 3] = False
    assert gone[frame].mean() >= 0.95


@pytest.mark.parametrize("row", ["-0.6 -0.5 -0.4 -0.3 -0.2 -0.1", "-1.0  -0.8  -0.6  -0.4  -0.2"])
def test_a_row_of_negative_numbers_is_no_marker_series(row: str) -> None:
    """Tick labels inside the axes (an x axis drawn at zero): their digits are alike in size and
    hold most of the ink, but they come in groups, not at the steps of one potential grid."""
    import cv2

    from voltlens.digitize.pipeline import _uniform_marks

    _, text = _text_strength(row, (20, 130), 0.9)
    _, _, stats, _ = cv2.connectedComponentsWithStats(text.astype(np.uint8), connectivity=8)
    assert not _uniform_marks(stats[1:], text.shape[1])

"""``digitize``: a voltammogram plot image → :class:`DigitizedFigure`, or a refusal.

Layout and calibration (:mod:`.layout`) → legend (:mod:`.legend`) → curve pixels, series and
branches (:mod:`.curves`) → SI voltammograms with conventions, uncertainties and a report.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DigitizeError
from ..model import SignConvention, Technique, Voltammogram
from .curves import (
    SAME_COLOUR_LAB,
    Series,
    Trace,
    curve_mask,
    extend_region,
    find_series,
    lab_of,
    plot_region,
    split_stacked,
    split_styles,
    trace_series,
)
from .image import as_rgb, load_image
from .layout import Axis, Layout, analyse_layout
from .legend import Legend, find_legend, handle_style, match_legend
from .result import AxisReport, DigitizationReport, DigitizedFigure, PointUncertainty
from .text import column_extent

__all__ = ["digitize"]


def digitize(image: np.ndarray | str | Path | bytes, *, source: str | None = None) -> DigitizedFigure:
    """Read a voltammogram plot image back into data.

    ``image`` is an RGB array (H×W×3 uint8), a file path or encoded bytes (PNG, JPEG, …; checked
    by :func:`load_image`).  Returns SI, IUPAC-signed curves with per-point uncertainties and a
    report of the calibration, conventions, warnings and an overall confidence.  Raises
    :class:`~voltlens.errors.DigitizeError` when the image is not a readable line plot of a
    voltammogram (no frame, unreadable or logarithmic axes, bars or filled areas, no curve) —
    it never makes numbers up.
    """
    t0 = time.perf_counter()
    if isinstance(image, np.ndarray):
        src = source or "<image array>"
        img = as_rgb(image, source=src)
    else:
        src = source or (str(image) if isinstance(image, str | Path) else "<image bytes>")
        img = load_image(image, source=src)
    layout = analyse_layout(img, source=src)
    return _assemble(img, layout, src, t0)


def _assemble(img: np.ndarray, layout: Layout, src: str, t0: float) -> DigitizedFigure:
    ink, box = layout.ink, layout.box
    region = plot_region(box, ink.strength.shape)
    x0, y0, x1, y1 = region
    if x1 - x0 < 10 or y1 - y0 < 10:
        raise DigitizeError(src, "the plot area is too small to hold a curve")
    warnings = list(layout.warnings)
    legend = find_legend(layout, region)
    exclude = _legend_exclusion(legend, ink.strength, layout.char_h) if legend is not None else []
    tick_rows = [lb.pos for lb in layout.y.labels] + _zero(layout.y)
    tick_cols = [lb.pos for lb in layout.x.labels]
    region = extend_region(
        ink.mask, region, box, avoid=exclude, label_side=layout.y.side[0], tick_cols=tick_cols
    )
    x0, y0, x1, y1 = region
    legend_colors = [e.color for e in legend.entries] if legend is not None else None
    cand = curve_mask(
        layout.image,
        ink.strength,
        ink.threshold,
        region,
        tick_rows=tick_rows,
        tick_cols=tick_cols,
        exclude=exclude,
        char_h=layout.char_h,
        legend_colors=legend_colors,
    )
    sub = (slice(y0, y1), slice(x0, x1))
    min_px = max(25, int(0.05 * (x1 - x0)))
    series = find_series(
        layout.image[sub],
        ink.strength[sub],
        cand,
        ink.background[sub],
        min_pixels=min_px,
        legend_colors=legend_colors,
    )
    if series and legend is None:  # stray marks: a small fraction of the largest series
        biggest = series[0].n_pixels
        series = [s for s in series if s.n_pixels >= 0.04 * biggest]
    if len(series) > 1:  # a legend box or a panel letter in the text colour is not a curve
        series = [sr for sr in series if not _neutral_text(sr, layout.char_h)] or series
    if not series:
        raise DigitizeError(src, "no curve found inside the plot area")
    _refuse_filled(series, src)
    series = [part for s in series for part in _by_style(s, legend, min_px)]
    traces: list[tuple[Series, Trace]] = []
    for s in series:
        tr = trace_series(s, ink.strength[sub])
        if tr is not None and tr.x_extent[1] - tr.x_extent[0] >= 0.05 * (x1 - x0):
            traces.append((s, tr))
    if not traces:
        raise DigitizeError(src, "no curve could be traced inside the plot area")
    traces = _noisy_loops(traces, ink.strength[sub])
    if legend is not None and len(legend.entries) > len(traces):
        traces = _split_shared(traces, legend, ink.strength[sub])
    traces = _coincident_loops(traces)
    labels: list[str | None] = [None] * len(traces)
    if legend is not None and legend.entries:
        styled = any(s.style is not None for s, _ in traces)  # handle styles name only style-split curves
        styles = [handle_style(ink.mask, e.handle) for e in legend.entries] if styled else None
        traces, labels, notes = match_legend(traces, legend, handle_styles=styles)
        warnings += notes
    curves, uncs, covs, conv, more, noise = _to_data(traces, layout, region, src)
    warnings += more
    rep = _report(layout, region, curves, covs, conv, warnings, t0, legend)
    fmap = {
        "x_intercept": layout.x.fit.intercept,
        "x_slope": layout.x.fit.slope,
        "x_scale": layout.x.scale,
        "y_intercept": layout.y.fit.intercept,
        "y_slope": layout.y.fit.slope,
        "y_scale": layout.y.scale,
        "y_sign": -1.0 if conv.get("cathodic_up") else 1.0,
    }
    return DigitizedFigure(
        tuple(curves),
        tuple(labels),
        tuple(uncs),
        rep,
        src,
        (int(img.shape[1]), int(img.shape[0])),
        fmap,
        tuple(noise),
    )


NOISY_LOOP_COVERAGE = 0.9  # least share of its span a noisy loop's ink must cover to be read again


def _outvoted(flags: list[bool]) -> bool:
    """Whether more than half of ``flags`` are set but not all: the figure's curves are mostly of
    one kind, and the others may be misread."""
    return len(flags) > sum(flags) > len(flags) / 2


def _noisy_loops(traces: list[tuple[Series, Trace]], strength: np.ndarray) -> list[tuple[Series, Trace]]:
    """Line traces read as single sweeps in a figure where more than half the line traces are
    loops, traced again allowing for a noisy loop (:func:`.curves.trace_series`): the curves of
    one figure are mostly of one technique, and a noisy cycle's zig-zag hides its branches' gap
    from the plain reading.  Single-curve figures and sweep figures are left as they are."""
    if not _outvoted([tr.loop for s, tr in traces if not s.markers]):
        return traces
    out = []
    for s, tr in traces:
        if not s.markers and not tr.loop:
            again = trace_series(s, strength, noisy_loops=True)
            # drawn over nearly all its span: a series mostly hidden under curves drawn after it
            # leaves gaps in its ink that are occlusion, not a gap between branches
            if again is not None and again.loop and again.coverage >= NOISY_LOOP_COVERAGE:
                tr = again
        out.append((s, tr))
    return out


COINCIDENT_TURN = (
    0.15  # most a peakless stroke turns back, as a share of the median height of the figure's loops
)


def _coincident_loops(traces: list[tuple[Series, Trace]]) -> list[tuple[Series, Trace]]:
    """Peakless single-valued traces in a figure where more than half the traces are loops, read as
    loops whose two branches coincide.  A blank or background CV among the curves of a series has
    forward and reverse sweeps that draw one stroke (no faradaic peak, little charging current), so
    the plain reading takes it for a single sweep, and the figure's curves for different techniques.
    A stroke with a peak stays a single sweep: a cycle's reverse sweep would carry the opposite peak
    apart from it, so one stroke with a peak is not both sweeps (it may be a loop with one branch
    hidden, which this cannot tell from a sweep)."""
    if not _outvoted([tr.loop for _s, tr in traces]):
        return traces
    loops = [tr for _s, tr in traces if tr.loop]
    height = float(np.median([np.ptp(np.concatenate([b[:, 1] for b in tr.branches])) for tr in loops]))
    out = []
    for s, tr in traces:
        if not tr.loop and _excursion(tr.branches[0]) <= COINCIDENT_TURN * height:
            b = tr.branches[0]
            tr = dataclasses.replace(tr, branches=(b, b[::-1].copy()), loop=True)
        out.append((s, tr))
    return out


def _excursion(branch: np.ndarray) -> float:
    """How far (px) a single-valued branch, smoothed by a running median over a 60th of its
    points, turns back against its overall trend: 0 for a monotone stroke (a sloped or curved
    background), the noise for a flat one, a peak's fall for one with a peak."""
    o = np.argsort(branch[:, 0], kind="stable")
    y = branch[o, 1]
    if y.size < 10:
        return float(np.ptp(y)) if y.size else 0.0
    y = _running_median(y, max(3, y.size // 60) | 1)
    return float(min(np.max(np.maximum.accumulate(y) - y), np.max(y - np.minimum.accumulate(y))))


def _split_shared(traces: list[tuple[Series, Trace]], legend: Legend, strength: np.ndarray) -> list:
    """Traces whose colour several legend entries share (a monochrome series, one shade for the
    whole series) split into that many stacked curves, where their strokes run apart over enough
    columns (solid strokes; dashed ones are left whole, see :func:`.curves.split_stacked`).  Parts
    of one series split by line style (:func:`_by_style`, one colour) are curves already: the
    entries of their colour name them all, and none is split again."""
    tl = lab_of([s.color for s, _ in traces])
    el = lab_of([e.color for e in legend.entries])
    d = np.linalg.norm(el[:, None, :] - tl[None, :, :], axis=2)
    nearest = np.argmin(d, axis=1)
    close = d[np.arange(d.shape[0]), nearest] <= SAME_COLOUR_LAB
    out: list[tuple[Series, Trace]] = []
    for i, (s, tr) in enumerate(traces):
        n = int(np.count_nonzero((nearest == i) & close)) if s.style is None else 1
        parts = split_stacked(s, tr, strength, n) if n >= 2 else None
        out += [(s, p) for p in parts] if parts else [(s, tr)]
    return out


def _by_style(series: Series, legend: Legend | None, min_px: int) -> list[Series]:
    """A series split by line style (:func:`.curves.split_styles`), unless the legend names more
    curves of its colour than styles were found: several curves of one style then share a part, and
    the whole series is left for :func:`_split_shared` to tell apart by their stacking."""
    parts = split_styles(series, min_pixels=min_px)
    if not parts:
        return [series]
    if legend is not None and len(legend.entries) > len(parts):
        el = lab_of([e.color for e in legend.entries])
        own = lab_of([series.color])[0]
        if np.count_nonzero(np.linalg.norm(el - own, axis=1) <= SAME_COLOUR_LAB) > len(parts):
            return [series]
    return parts


def _framed(box: tuple[int, int, int, int], char_h: float) -> tuple[int, int, int, int]:
    """A legend's entries' box grown by its usual padding, to take in the frame drawn round them."""
    pad = round(char_h)
    return box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad


def _legend_exclusion(legend: Legend, strength: np.ndarray, char_h: float) -> list[tuple[int, int, int, int]]:
    """What of a legend inside the axes to keep out of the curves: its whole (framed) box, or —
    when curves run on through the box (a legend drawn without a fill over the data) — only its
    handles and texts, so those curves are not cut.  A legend drawn in a frame is opaque: what lies
    inside its frame goes, frame included (the frame's long edges are no curves running through).
    A text read short is run on over the ink of its line (:func:`_text_end`)."""
    if not legend.inside:
        return []
    box = _framed(legend.box, char_h)
    h, w = strength.shape
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return [box]
    s = strength[y0:y1, x0:x1]
    level = 0.5 * float(np.percentile(strength, 99.9))
    strong = s > max(level, 1.0)
    frame = _frame_rect(strong)
    if frame is not None:  # a framed legend is opaque: all inside its frame goes, nothing outside
        return [(x0 + frame[0], y0 + frame[1], x0 + frame[2], y0 + frame[3])]
    parts = []
    inked = strength > max(level, 1.0)
    texts = [(*e.text[:2], _text_end(inked, e.text, char_h), e.text[3]) for e in legend.entries]
    for e, text in zip(legend.entries, texts, strict=True):
        for a0, b0, a1, b1 in (e.handle, text):
            p = max(2, round(0.2 * char_h))
            parts.append((a0 - p, b0 - p, a1 + p, b1 + p))
            strong[max(0, b0 - p - y0) : max(0, b1 + p - y0), max(0, a0 - p - x0) : max(0, a1 + p - x0)] = (
                False
            )
    # curves crossing: strong ink outside the entries in most columns of the box
    if float(strong.any(axis=0).mean()) >= 0.5 and int(strong.sum()) >= 2 * (x1 - x0):
        return parts
    return [(box[0], box[1], max([box[2]] + [t[2] + round(char_h) for t in texts]), box[3])]


TEXT_GAP = 0.8  # widest gap (in character heights) between the words of one legend text…
TEXT_MORE = 8.0  # …and the most (character heights) a text read short may run on past its box
TEXT_TALL = 0.45  # a letter's column spans this share of the text's rows (lower case: the x-height)
TEXT_TAIL = 0.3  # the stroke ending a letter past its last tall column (character heights)


def _text_end(strong: np.ndarray, text: tuple[int, int, int, int], char_h: float) -> int:
    """Right edge (exclusive) of a legend text whose read box ended early (the reader dropped a
    unit, "0.1 mM" read "0.1 r"): the text runs on while ink lies in its rows and none in the
    half-character rows just above and below them (the gaps between a legend's lines; a curve
    crossing there is no text), with gaps no wider than a space between words, and only as far as
    its last letter-tall column (:data:`TEXT_TALL` of the text's height; a flat curve running on
    at the text's height is a stroke wide, no letter) and the stroke that ends that letter."""
    _a0, b0, a1, b1 = text
    h, w = strong.shape
    m = max(1, round(0.5 * char_h))
    if b1 <= b0 or a1 >= w or b0 < 0 or b1 > h:
        return a1
    stop = min(w, a1 + round(TEXT_MORE * char_h))
    rows = strong[b0:b1, a1:stop]
    band = rows.any(axis=0)
    tall = column_extent(rows) >= TEXT_TALL * (b1 - b0)
    rims = strong[max(0, b0 - m) : b0, a1:stop].any(axis=0) | strong[b1 : b1 + m, a1:stop].any(axis=0)
    end, gap, last_tall = a1, 0, None
    for k in range(band.size):
        if rims[k]:
            break
        if band[k]:
            end, gap = a1 + k + 1, 0
            last_tall = k if tall[k] else last_tall
        else:
            gap += 1
            if gap > TEXT_GAP * char_h:
                break
    if last_tall is None:
        return a1
    return min(end, a1 + last_tall + 1 + round(TEXT_TAIL * char_h))


FRAME_SIDE = 0.35  # least share of the crop's width (height) a legend frame's edge spans (a legend box
# read taller than its frame leaves the frame's sides well under half the crop)
FRAME_CORNER = 0.06  # most an edge's ends may miss the perpendicular edges, as a share of its length
FRAME_MAX_EDGES = 12  # more long strokes per direction: hatching or a grid, no frame (the search is quartic)


def _straight_edges(strong: np.ndarray) -> list[tuple[float, int, int]]:
    """Horizontal straight strokes of ``strong`` spanning at least FRAME_SIDE of its width: per
    group of adjacent rows, (mean row, first column, last column + 1) of their longest runs."""
    d = np.diff(np.pad(strong.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    edges: list[tuple[float, int, int]] = []
    group: list[tuple[int, int, int]] = []
    for r in range(strong.shape[0]):
        a, b = np.flatnonzero(d[r] == 1), np.flatnonzero(d[r] == -1)
        k = int(np.argmax(b - a)) if a.size else -1
        long_ = k >= 0 and b[k] - a[k] >= FRAME_SIDE * strong.shape[1]
        if long_ and group and abs(a[k] - group[-1][1]) <= 2 and abs(b[k] - group[-1][2]) <= 2:
            group.append((r, int(a[k]), int(b[k])))
            continue
        if group:
            edges.append((float(np.mean([g[0] for g in group])), group[0][1], group[0][2]))
        group = [(r, int(a[k]), int(b[k]))] if long_ else []
    if group:
        edges.append((float(np.mean([g[0] for g in group])), group[0][1], group[0][2]))
    return edges


def _frame_rect(strong: np.ndarray) -> tuple[int, int, int, int] | None:
    """The rectangle [x0, x1) × [y0, y1) of a legend frame within a crop of strong ink round the
    legend: two horizontal and two vertical straight strokes whose ends meet at the corners.  A
    gridline or a spine crosses the crop from side to side, ending at no perpendicular stroke; a
    curve crossing a frameless legend is no straight stroke."""
    rows, cols = _straight_edges(strong), _straight_edges(strong.T)
    if len(rows) > FRAME_MAX_EDGES or len(cols) > FRAME_MAX_EDGES:
        return None
    best = None
    for top in rows:
        for bot in rows:
            if bot[0] - top[0] < 4:
                continue
            for left in cols:
                for right in cols:
                    if right[0] - left[0] < 4:
                        continue
                    tol_x = max(4.0, FRAME_CORNER * (right[0] - left[0]))
                    tol_y = max(4.0, FRAME_CORNER * (bot[0] - top[0]))
                    meets = all(
                        abs(h[1] - left[0]) <= tol_x and abs(h[2] - 1 - right[0]) <= tol_x for h in (top, bot)
                    ) and all(
                        abs(v[1] - top[0]) <= tol_y and abs(v[2] - 1 - bot[0]) <= tol_y for v in (left, right)
                    )
                    area = (right[0] - left[0]) * (bot[0] - top[0])
                    if meets and (best is None or area > best[0]):
                        best = (area, left, right, top, bot)
    if best is None:
        return None
    _, left, right, top, bot = best
    return (
        min(top[1], bot[1]) - 2,
        min(left[1], right[1]) - 2,
        max(top[2], bot[2]) + 2,
        max(left[2], right[2]) + 2,
    )


def _zero(axis: Axis) -> list[float]:
    """Pixel row of zero current (where a zero line or an x axis drawn at zero would be)."""
    return [float(axis.fit.pixel(0.0))]


def _neutral_text(series: Series, char_h: float) -> bool:
    """A grey or black cluster made mostly of character-sized marks and rectangle outlines: text,
    a legend's frame, a panel letter inside the axes — not a curve."""
    import cv2

    r, g, b = series.color
    if max(r, g, b) - min(r, g, b) > 40:
        return False
    n, lab, st, _ = cv2.connectedComponentsWithStats(series.mask.astype(np.uint8), connectivity=8)
    if _uniform_marks(st[1:], series.mask.shape[1]):
        return False
    texty = 0
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in st[i])
        if 0.4 * char_h <= h <= 1.8 * char_h and w <= 1.8 * char_h and max(w, h) >= 3:
            texty += area
        elif w >= 3 * char_h and h >= char_h:
            comp = lab[y : y + h, x : x + w] == i
            k = max(3, int(0.12 * min(w, h)))  # thick frames of large images
            edge = comp.copy()
            edge[k:-k, k:-k] = False
            if edge.sum() >= 0.8 * area:  # a rectangle's outline
                texty += area
    return texty >= 0.6 * series.n_pixels


def _uniform_marks(stats: np.ndarray, width: int) -> bool:
    """Many marks of one size spread across the plot: the markers of a grey or black series (the
    letters of a text differ in width and height, and a text sits in one place)."""
    if stats.shape[0] < 8:
        return False
    w, h, area = stats[:, 2].astype(float), stats[:, 3].astype(float), stats[:, 4].astype(float)
    x_mid = stats[:, 0] + 0.5 * w
    for mw, mh in (
        (float(np.median(w)), float(np.median(h))),
        (_area_median(w, area), _area_median(h, area)),
    ):
        alike = (np.abs(w - mw) <= max(1.0, 0.2 * mw)) & (np.abs(h - mh) <= max(1.0, 0.2 * mh))
        # most marks alike, or — where curves drawn later cover parts of many markers, leaving
        # slivers — the whole markers alike holding most of the ink, at the steps of one potential
        # grid (a row of numbers, "-0.6 -0.5 …", has its digits alike too, but grouped)
        if (
            alike.sum() >= max(8, 0.7 * w.size)
            or (alike.sum() >= 8 and area[alike].sum() >= 0.7 * area.sum() and _on_one_grid(x_mid[alike], mw))
        ) and 0.6 <= mw / max(mh, 1.0) <= 1.6:
            break
    else:
        return False
    x = stats[alike, 0] + 0.5 * w[alike]
    return bool(np.ptp(x) >= 0.3 * width)


GRID_SLACK = 0.2  # a gap between markers within this share of a step of a whole number of steps
GRID_SHARE = 0.8  # the share of the gaps that must be so


def _on_one_grid(x: np.ndarray, width: float) -> bool:
    """Marks (``width`` px wide) whose x-centres step along one grid: most gaps between neighbours
    (half a mark or more; the two sweeps of a loop share potentials, a pixel or two apart) a whole
    number of the smallest such gap, as markers at equal potential steps, some covered, are; the
    digits of a row of numbers are grouped instead."""
    gaps = np.diff(np.sort(x))
    gaps = gaps[gaps >= max(1.0, 0.5 * width)]
    if gaps.size < 3:
        return False
    k = gaps / float(gaps.min())
    return bool(np.mean(np.abs(k - np.round(k)) <= GRID_SLACK) >= GRID_SHARE)


def _area_median(v: np.ndarray, area: np.ndarray) -> float:
    """The median of ``v`` over the marks weighted by their ink (a mark's size where most ink is)."""
    o = np.argsort(v, kind="stable")
    c = np.cumsum(area[o])
    return float(v[o][min(int(np.searchsorted(c, 0.5 * c[-1])), v.size - 1)])


def _refuse_filled(series: list[Series], src: str) -> None:
    """Bars and filled areas are not curves: refuse rather than trace their outlines.  A filled
    area keeps a solid core after an erosion wider than any plotted line."""
    import cv2

    for s in series[:3]:
        m = s.mask.astype(np.uint8)
        k = max(9, int(0.04 * min(m.shape)))
        core = cv2.erode(m, np.ones((k, k), np.uint8))
        solid = int(core.sum())
        if solid >= 0.5 * s.n_pixels and solid >= 0.02 * m.size:
            raise DigitizeError(
                src,
                "the plot holds filled areas (a bar chart or a filled plot), not line curves; "
                "only line or marker plots of voltammograms are digitized",
            )


def _to_data(
    traces: list[tuple[Series, Trace]], layout: Layout, region: tuple[int, int, int, int], src: str
) -> tuple[list[Voltammogram], list[PointUncertainty], list[float], dict[str, Any], list[str], list[float]]:
    x0, y0 = region[0], region[1]
    xa, ya = layout.x, layout.y
    data = []
    for s, tr in traces:
        brs = []
        for br in tr.branches:
            e = np.asarray(xa.si(br[:, 0] + x0), dtype=float)
            i = np.asarray(ya.si(br[:, 1] + y0), dtype=float)
            brs.append((e, i))
        data.append((s, tr, brs))
    inverted = xa.fit.slope < 0
    cathodic_up, basis = _cathodic_up(data, inverted)
    sign = -1.0 if cathodic_up else 1.0
    warnings: list[str] = []
    curves, uncs, covs, noise = [], [], [], []
    px_e, px_i = xa.per_pixel_si, ya.per_pixel_si
    rms_e = _rms_si(xa)
    rms_i = _rms_si(ya)
    density = (
        ya.title is not None and ya.title.unit is not None and ya.title.unit.quantity == "current_density"
    )
    ref = xa.title.reference if xa.title is not None else None
    starts: list[bool | None] = []
    for s, tr, brs in data:
        brs = [(e, sign * i) for e, i in brs]
        if tr.loop:
            es, is_, segs, cyc = [], [], [], []
            side = _open_end(s.mask, tr.branches[0], tr.branches[1], tr.thickness)
            high = side is not None and (side > 0) != inverted  # the scan began at the high end
            starts.append(None if side is None else high)
            for j in range(0, len(brs), 2):
                (ea, ia), (eb, ib) = brs[j], brs[j + 1]
                if ia.size and ib.size and np.mean(ia) < np.mean(ib):
                    (ea, ia), (eb, ib) = (eb, ib), (ea, ia)
                oa = np.argsort(ea, kind="stable")
                ob = np.argsort(-eb, kind="stable")
                sweeps = [(ea[oa], ia[oa]), (eb[ob], ib[ob])]  # positive-going, then negative-going
                for k, (se, si) in enumerate(sweeps[::-1] if high else sweeps):
                    es.append(se)
                    is_.append(si)
                    segs.append(np.full(se.size, j + k))
                cyc.append(np.full(ea.size + eb.size, j // 2 + 1))
            e, i = np.concatenate(es), np.concatenate(is_)
            seg = np.concatenate(segs).astype(np.int64)
            cycle = np.concatenate(cyc).astype(np.int64)
            technique = Technique.CV
        else:
            (e, i) = brs[0]
            o = np.argsort(e, kind="stable")
            e, i = e[o], i[o]
            seg = None
            cycle = None
            technique = _single_technique(e, i)
        if e.size < 2:
            continue
        sigma = float(tr.jitter * abs(px_i))
        meta = {
            "digitized": True,
            "noise_sigma": sigma,
            "color": "#{:02x}{:02x}{:02x}".format(*s.color),
            "markers_only": s.markers,
            "coverage": tr.coverage,
            "source_image": src,
        }
        curves.append(
            Voltammogram(
                e,
                i,
                technique=technique,
                segment=seg,
                cycle=cycle if (cycle is not None and cycle.max() > 1) else None,
                reference_electrode=ref,
                sign_convention=SignConvention.US if cathodic_up else SignConvention.IUPAC,
                current_is_density=density,
                display_units={
                    "potential": xa.title.unit.symbol if (xa.title and xa.title.unit) else "V",
                    "current": ya.title.unit.symbol if (ya.title and ya.title.unit) else "A",
                },
                metadata=meta,
                source=src,
            )
        )
        thick = max(0.5, tr.thickness / 4.0)
        uncs.append(
            PointUncertainty(
                np.full(e.size, float(np.hypot(0.5 * px_e, rms_e))),
                np.full(e.size, float(np.hypot(thick * px_i, rms_i))),
            )
        )
        covs.append(tr.coverage)
        noise.append(sigma)
    if not curves:
        raise DigitizeError(src, "no curve with at least two points was traced")
    curves = _peakless_like_peers(curves)
    conv = {
        "potential_axis_inverted": bool(inverted),
        "cathodic_up": cathodic_up,
        "cathodic_up_basis": basis,
        "sweep_start": _sweep_start(starts),
    }
    return curves, uncs, covs, conv, warnings, noise


def _peakless_like_peers(curves: list[Voltammogram]) -> list[Voltammogram]:
    """Single sweeps with no peak (a blank: a flat or sloped stroke, its shape telling no technique,
    so it reads as LSV) in a figure where more than half the curves are DPV, read as DPV too — the
    same reading as :func:`_coincident_loops` for a figure of loops."""
    if not _outvoted([c.technique is Technique.DPV for c in curves]):
        return curves
    dpv = [c for c in curves if c.technique is Technique.DPV]
    height = float(np.median([np.ptp(c.current) for c in dpv]))
    return [
        c.replace(technique=Technique.DPV)
        if c.technique is Technique.LSV
        and _excursion(np.column_stack([c.potential, c.current])) <= COINCIDENT_TURN * height
        else c
        for c in curves
    ]


def _sweep_start(starts: list[bool | None]) -> str:
    """How the loops' sweeps were ordered (``starts``: per loop, began at the high end, or None
    where the ink did not tell)."""
    if not starts:
        return "no loop"
    told = [s for s in starts if s is not None]
    if not told:
        return "unknown: loops start at the low-potential end with the positive-going sweep"
    high = sum(told)
    return (
        f"{len(told)} of {len(starts)} loops open at one end, taken as the scan's start "
        f"({high} at the high-potential end, {len(told) - high} at the low); the others start at the low end"
    )


OPEN_END_FILLED = 0.3  # at most this share of the rows between two branch ends inked: no stroke joins them
JOINED_END_FILLED = 0.7  # at least this share inked: a drawn step joins them (a turning vertex)


def _end_state(mask: np.ndarray, upper: np.ndarray, lower: np.ndarray, thick: float, side: int) -> str:
    """Whether a traced loop's two branches meet at one end (``side`` −1: left, +1: right):
    "joined" where they touch or the curve's stroke (``mask``) runs between their ends, "open"
    where it hardly does, "unclear" otherwise or where one branch stops short of the other."""
    t = max(1.0, float(thick))
    ends = []
    for br in (upper, lower):
        x = br[:, 0]
        xe = float(x.min() if side < 0 else x.max())
        near = np.abs(x - xe) <= t
        ends.append((xe, float(np.median(br[near, 1]))))
    (xu, yu), (xl, yl) = ends
    if abs(xu - xl) > 3.0 * t:  # one branch traced short of the vertex: nothing to compare
        return "unclear"
    if abs(yu - yl) <= 3.0 * t:
        return "joined"
    c0 = int(max(0, np.floor(min(xu, xl) - t)))
    c1 = int(min(mask.shape[1], np.ceil(max(xu, xl) + t) + 1))
    r0, r1 = round(min(yu, yl) + t), round(max(yu, yl) - t) + 1
    if c1 <= c0 or r1 <= r0:
        return "unclear"
    filled = float(mask[r0:r1, c0:c1].any(axis=1).mean())
    if filled >= JOINED_END_FILLED:
        return "joined"
    return "open" if filled <= OPEN_END_FILLED else "unclear"


def _open_end(mask: np.ndarray, upper: np.ndarray, lower: np.ndarray, thick: float) -> int | None:
    """The end of a traced loop where the scan began (−1: left, +1: right), or None when the ink
    does not tell.  A voltammogram is continuous in time at its turning vertex (where the charging
    current reverses the plot draws a step), so a loop joined at one end and open at the other
    began, and ended, at the open end."""
    if upper.shape[0] < 3 or lower.shape[0] < 3:
        return None
    left, right = (_end_state(mask, upper, lower, thick, side) for side in (-1, 1))
    if left == "open" and right == "joined":
        return -1
    if right == "open" and left == "joined":
        return 1
    return None


def _rms_si(axis: Axis) -> float:
    return float(axis.fit.rms * axis.scale)


def _cathodic_up(data: list, inverted: bool) -> tuple[bool, str]:
    """Whether the figure plots cathodic current up (US convention), and why we think so."""
    votes = []
    for _s, tr, brs in data:
        if not tr.loop:
            continue
        (ea, ia), (eb, ib) = brs[0], brs[1]
        if ea.size < 10 or eb.size < 10:
            continue
        up, dn = (ea, ia), (eb, ib)
        if np.mean(ia) < np.mean(ib):
            up, dn = dn, up
        e_max = up[0][int(np.argmax(up[1]))]
        e_min = dn[0][int(np.argmin(dn[1]))]
        up, dn = _smooth_branch(*up), _smooth_branch(*dn)
        all_e = np.concatenate([ea, eb])
        span = max(float(np.ptp(all_e)), 1e-12)
        i_span = max(float(np.ptp(np.concatenate([ia, ib]))), 1e-30)
        lo, hi = float(all_e.min()), float(all_e.max())
        interior = all(lo + 0.03 * span < v < hi - 0.03 * span for v in (e_max, e_min))
        h_up, h_dn = _prominence(*up, +1), _prominence(*dn, -1)
        prominent = h_up >= 0.12 * i_span and h_dn >= 0.12 * i_span
        opened = _open_at(dn, e_max, float(np.interp(e_max, *up)), h_up) and _open_at(
            up, e_min, float(np.interp(e_min, *dn)), h_dn
        )
        if interior and prominent and opened and abs(e_max - e_min) > 0.01 * span:
            votes.append(1 if e_max < e_min else -1)
    if votes and abs(sum(votes)) >= max(1, len(votes) // 2):
        up = sum(votes) > 0
        return up, "peak order of the loop (anodic peak at the more positive potential)"
    if inverted:
        return True, "assumed from the inverted potential axis (US convention)"
    return False, "assumed IUPAC (anodic up); no loop with separated peaks to tell"


def _smooth_branch(e: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A loop branch sorted by potential, its current a running median over a 30th of its points.
    A voltammetric peak is tens of millivolts wide at the least; the narrow spikes and dips of a
    noisy trace are no peaks, so a vote's peaks are measured (prominence, gap) on the smoothed branch."""
    o = np.argsort(e, kind="stable")
    return e[o], _running_median(i[o], max(3, e.size // 30) | 1)


LOOP_OPEN = 0.5  # least gap of a loop at a voting peak, as a share of that peak's prominence


def _open_at(other: tuple[np.ndarray, np.ndarray], e_peak: float, i_peak: float, height: float) -> bool:
    """Whether a loop is open at a branch's peak: the other branch (sorted by potential, as
    :func:`_smooth_branch` gives it) is drawn at that potential and
    stands apart from the peak by at least ``LOOP_OPEN`` of the peak's height.  A cycle's two sweeps
    run between the same vertices, and at a sweep's peak the other sweep carries the background or
    its own, opposite peak; a dip where the other branch is not drawn, or that touches it, is the
    noise of one stroke (a noisy DPV closed into a loop by the zero line or a grid line), not a
    peak of the reverse sweep."""
    e, i = other
    if not e[0] <= e_peak <= e[-1]:
        return False
    return bool(abs(float(np.interp(e_peak, e, i)) - i_peak) >= LOOP_OPEN * height)


def _prominence(e: np.ndarray, i: np.ndarray, sign: int) -> float:
    """Height of a branch's extreme above the straight line joining the branch's ends."""
    o = np.argsort(e)
    e, i = e[o], sign * i[o]
    k = max(1, e.size // 20)
    base = np.interp(e, [e[:k].mean(), e[-k:].mean()], [np.median(i[:k]), np.median(i[-k:])])
    return float(np.max(i - base))


LSV_RETURN = 0.6  # a peak that falls back by less than this share of its height on one side: an LSV tail
LSV_RETURN_SKEWED = 0.9  # …or by less than this, with a fall side wider than the rise side by LSV_SKEW
LSV_SKEW = 1.2
LSV_SKEW_ALONE = 2.0  # half-height widths this unequal: a diffusion tail, however far it falls


def _single_technique(e: np.ndarray, i: np.ndarray) -> Technique:
    """DPV for a bell-shaped peak, LSV for a wave, a monotone trace or a peak with a diffusion tail.

    A DPV peak rises from and falls back to its baseline on both sides, symmetric about Ep; a
    linear-sweep peak falls back only part way (the t^−1/2 diffusion tail), so it stands much
    higher over one foot than over the other, and is wider on that side at half height.  On
    simulated LSV/DPV curves with every artifact this calls 88 % right on seeds not used to set the
    thresholds; a surface-confined LSV peak is a symmetric bell and reads as DPV."""
    shape = _peak_shape(e, i)
    if shape is None:
        return Technique.LSV
    skew, back = shape
    lsv = back < LSV_RETURN or (back < LSV_RETURN_SKEWED and skew > LSV_SKEW) or skew > LSV_SKEW_ALONE
    return Technique.LSV if lsv else Technique.DPV


def _peak_shape(e: np.ndarray, i: np.ndarray) -> tuple[float, float] | None:
    """(half-width ratio wide/narrow side, smaller fall-back share) of the main peak of a single
    sweep sorted by potential; None without an interior peak."""
    n = e.size
    if n < 10:
        return None
    k = max(2, n // 20)
    ends = np.array([np.median(i[:k]), np.median(i[-k:])])
    r = i - np.interp(e, [e[0], e[-1]], ends)
    sign = 1.0 if r[int(np.argmax(np.abs(r)))] >= 0 else -1.0
    y = sign * _running_median(i, max(3, n // 60) | 1)
    above = y - np.interp(e, [e[0], e[-1]], sign * ends)
    j = int(np.argmax(above))
    if j < 0.05 * n or j > 0.95 * n:
        return None
    ml, mr = _foot(y, j, -1, FOOT_REBOUND * above[j]), _foot(y, j, +1, FOOT_REBOUND * above[j])
    d = y - np.interp(e, [e[ml], e[mr]], [y[ml], y[mr]])
    h = d[j]
    if not h > 0:
        return None
    left, right = np.nonzero(d[:j] < h / 2)[0], np.nonzero(d[j:] < h / 2)[0]
    if not (left.size and right.size):
        return None
    wl, wr = e[j] - e[left[-1]], e[j + right[0]] - e[j]
    skew = max(wl, wr) / max(min(wl, wr), 1e-12)
    height = y[j] - min(y[ml], y[mr])
    back = min(y[j] - y[ml], y[j] - y[mr]) / height
    return float(skew), float(back)


FOOT_REBOUND = 0.08  # past a peak's foot the trace climbs again by this share of the peak (a neighbour)


def _foot(y: np.ndarray, j: int, step: int, rebound: float) -> int:
    """Index of the lowest point walking from the peak ``j`` in ``step`` direction, stopping where
    the trace climbs ``rebound`` above that lowest point (the rise of a neighbouring peak or of the
    background, which belongs to no foot of this peak)."""
    low, at = y[j], j
    k = j + step
    while 0 <= k < y.size:
        if y[k] < low:
            low, at = y[k], k
        elif y[k] > low + rebound:
            break
        k += step
    return at


def _running_median(y: np.ndarray, size: int) -> np.ndarray:
    """Median over a centred window of ``size`` points (ends padded with the end values)."""
    if size < 3:
        return y
    h = size // 2
    padded = np.concatenate([np.full(h, y[0]), y, np.full(h, y[-1])])
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, size), axis=1)


def _axis_report(
    axis: Axis, hm: np.ndarray, lo_px: float, hi_px: float, quantity: str, title: str, across: float
) -> AxisReport:
    r = np.asarray(axis.fit.residuals) * axis.scale
    lo, hi = float(axis.si(lo_px)), float(axis.si(hi_px))
    span = abs(hi - lo) or 1.0
    unit = axis.title.unit.symbol if (axis.title is not None and axis.title.unit is not None) else None
    labels = tuple((lb.text, lb.value, _original(hm, lb.pos, axis.name, across)) for lb in axis.labels)
    return AxisReport(
        quantity=quantity,
        unit=unit,
        multiplier=10.0**axis.multiplier_exponent,
        scale_to_si=axis.scale,
        range_si=(min(lo, hi), max(lo, hi)),
        inverted=bool(axis.fit.slope < 0) if axis.name == "x" else bool(axis.fit.slope > 0),
        labels=labels,
        n_used=len(axis.fit.inliers),
        residual_rms=float(np.sqrt(np.mean(r**2))) if r.size else 0.0,
        residual_max=float(np.max(np.abs(r))) if r.size else 0.0,
        residual_pct=float(100.0 * np.max(np.abs(r)) / span) if r.size else 0.0,
        pixel_size=axis.per_pixel_si,
        ocr_confidence=axis.ocr_score,
        title=title,
    )


def _original(hm: np.ndarray, pos: float, name: str, across: float) -> float:
    """Position along its axis, in original-image pixel coordinates, of a tick at ``pos``
    (rectified) on an axis line at ``across``."""
    x, y = (pos, across) if name == "x" else (across, pos)
    p = np.linalg.inv(hm) @ np.array([x, y, 1.0])
    return float((p[0] if name == "x" else p[1]) / p[2] + 0.5)


def _report(
    layout: Layout,
    region: tuple[int, int, int, int],
    curves: list[Voltammogram],
    covs: list[float],
    conv: dict[str, Any],
    warnings: list[str],
    t0: float,
    legend: Legend | None,
) -> DigitizationReport:
    box = layout.box
    hm = layout.homography
    xa, ya = layout.x, layout.y
    xr = _axis_report(xa, hm, box.left, box.right, "potential", xa.title.text if xa.title else "", box.bottom)
    yq = "current_density" if curves and curves[0].current_is_density else "current"
    yr = _axis_report(ya, hm, box.bottom, box.top, yq, ya.title.text if ya.title else "", box.left)
    conf = 1.0
    for ax, rep in ((xa, xr), (ya, yr)):
        n = rep.n_used
        conf *= 1.0 if n >= 4 else (0.9 if n == 3 else 0.6)
        conf *= 0.5 + 0.5 * min(1.0, rep.ocr_confidence)
        if rep.residual_pct > 0.5:
            conf *= 0.7
        if not ax.fit.nice:
            conf *= 0.85
            warnings.append(f"{ax.name} tick values are not evenly spaced nice numbers")
        if ax.fit.sign_fixes:
            conf *= 0.9
            warnings.append(
                f"{ax.fit.sign_fixes} {ax.name} tick label(s) read without their minus sign were corrected"
            )
    if not ya.unit_known:
        conf *= 0.6
    elif ya.title is not None and ya.title.prefix_guessed:
        conf *= 0.75
    if not xa.unit_known:
        conf *= 0.8
    if covs and float(np.mean(covs)) < 0.6:
        conf *= 0.75
        warnings.append(
            f"curves cover only {100 * float(np.mean(covs)):.0f}% of their potential span on average"
        )
    if not np.allclose(hm, np.eye(3)):
        conf *= 0.9
        warnings.append("the image was skewed (rotated or in perspective) and has been rectified")
    if conv.get("cathodic_up_basis", "").startswith("assumed"):
        conf *= 0.95
    hinv = np.linalg.inv(hm)
    quad = []
    for x, y in ((box.left, box.top), (box.right, box.top), (box.right, box.bottom), (box.left, box.bottom)):
        p = hinv @ np.array([x, y, 1.0])
        quad.append((float(p[0] / p[2] + 0.5), float(p[1] / p[2] + 0.5)))
    ocr_conf = float(np.mean([xr.ocr_confidence, yr.ocr_confidence]))
    return DigitizationReport(
        x_axis=xr,
        y_axis=yr,
        ocr_confidence=ocr_conf,
        coverage=tuple(float(c) for c in covs),
        conventions=conv,
        reference_electrode=xa.title.reference if xa.title else None,
        current_unit_read=ya.unit_known,
        warnings=tuple(dict.fromkeys(warnings)),
        confidence=float(np.clip(conf, 0.0, 1.0)),
        plot_quad_px=tuple(quad),
        homography=tuple(float(v) for v in hm.ravel()),
        seconds=time.perf_counter() - t0,
    )

"""Curves inside the axes box: ink that is not frame, grid, tick or legend, split by colour, traced
into branches.

1. Candidate pixels: ink inside the box, minus full-width straight lines (gridlines, zero line,
   an x axis drawn at zero), small tick marks on the spines and the legend area.
2. Series: the colours of stroke centres are clustered (Lab); anti-aliased edge pixels join the
   cluster of the stroke they border, and clusters that are blends of two others (where two curves
   overlap) or too small to be a curve are dropped.
3. Points: per pixel column, the runs of a series' pixels give stroke centres (steep strokes give
   several points down the run; isolated markers give their centroids).
4. Branches: where a column holds two separated values the series is a loop (cyclic
   voltammogram): a midline splits it into an upper and a lower branch; otherwise it is one
   single-valued trace followed by continuity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .frame import Box, find_lines

__all__ = ["Series", "Trace", "curve_mask", "find_series", "split_stacked", "split_styles", "trace_series"]


@dataclass(frozen=True, slots=True)
class Series:
    """One colour cluster: its colour (RGB), mask (box-sized, bool) and pixel count; ``style`` the
    line style of a part of one colour's ink split by style (:func:`split_styles`), else None."""

    color: tuple[int, int, int]
    mask: np.ndarray
    n_pixels: int
    markers: bool
    style: str | None = None


@dataclass(frozen=True, slots=True)
class Trace:
    """Pixel points of one series in box coordinates (x right, y down, pixel indices of the
    rectified image): ``branches`` is one array (single-valued) or two (upper, lower) of shape
    (n, 2); ``thickness`` the stroke width (px); ``coverage`` the fraction of the series'
    x-extent with points."""

    branches: tuple[np.ndarray, ...]
    loop: bool
    thickness: float
    coverage: float
    x_extent: tuple[float, float]
    jitter: float = 0.0  # vertical noise of the stroke (px, one sigma): centre-line wobble or ink band


def plot_region(box: Box, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """Pixel bounds [x0, x1) × [y0, y1) of the box interior, spines excluded."""
    h, w = shape

    def half(side: str) -> float:
        ln = box.lines.get(side)
        return 0.5 * ln.thickness + 1.0 if ln is not None else 0.0

    x0 = int(np.ceil(box.left + half("l")))
    x1 = int(np.floor(box.right - half("r"))) + 1
    y0 = int(np.ceil(box.top + half("t")))
    y1 = int(np.floor(box.bottom - half("b"))) + 1
    return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


def extend_region(
    mask: np.ndarray,
    region: tuple[int, int, int, int],
    box: Box,
    *,
    avoid: list[tuple[int, int, int, int]] | None = None,
    label_side: str = "l",
    tick_cols: list[float] | None = None,
) -> tuple[int, int, int, int]:
    """The region grown up (down) to where curve ink that crosses its top (bottom) edge ends: a
    frame taken from the outermost gridlines of a plot without spines (Excel) would cut off the
    peaks drawn beyond them; and sideways past a side without a spine (:func:`_extend_sideways`),
    except on ``label_side`` ("l" or "r"), where the current axis' tick labels stand.  Ink at the
    potential axis' ``tick_cols`` (pixel columns of its tick labels) is no curve crossing the top
    or bottom edge: ticks drawn inward, with their labels just past the spine."""
    x0, y0, x1, y1 = region
    h = y1 - y0
    new_y0, new_y1 = y0, y1
    at_tick = np.zeros(x1 - x0, dtype=bool)
    for c in _every_tick(sorted(tick_cols or []), x0, x1):
        at_tick[max(0, round(c) - x0 - TICK_HALF) : max(0, round(c) - x0 + TICK_HALF + 1)] = True
    for side in ("t", "b"):
        line = box.lines.get(side)
        gap = int(np.ceil(line.thickness)) + 2 if line is not None else 1
        if side == "t":
            lim, end = max(0, int(y0 - 0.35 * h)), y0 - gap
            inside = mask[y0 : y0 + 2, x0:x1].any(axis=0)
        else:
            lim, end = min(mask.shape[0], int(y1 + 0.35 * h)), y1 + gap
            inside = mask[max(y0, y1 - 2) : y1, x0:x1].any(axis=0)
        inside = inside & ~at_tick[: inside.size]
        if abs(end - lim) < 4 or not inside.any():
            continue
        strip = (mask[lim:end, x0:x1] if side == "t" else mask[end:lim, x0:x1]).copy()
        top_row = lim if side == "t" else end
        for a0, b0, a1, b1 in avoid or []:  # a legend (and its frame) is not a curve
            strip[max(0, b0 - top_row) : max(0, b1 - top_row), max(0, a0 - x0) : max(0, a1 - x0)] = False
        grown = _crossing_extent(strip, inside, x1 - x0, at_bottom=side == "t", min_h=max(4, 2 * gap))
        if grown is None:
            continue
        if side == "t":
            new_y0 = lim + grown
        else:
            new_y1 = end + grown + 1
    new_x0, new_x1 = _extend_sideways(mask, (x0, new_y0, x1, new_y1), box, avoid or [], label_side)
    return new_x0, new_y0, new_x1, new_y1


TICK_HALF = 3  # px either side of a tick label's column where an inward tick mark lies


def _every_tick(cols: list[float], x0: int, x1: int) -> list[float]:
    """Tick columns carried on at their spacing across [x0, x1): labels at the ends go unread
    more often than not (cut by the frame, or too close to the other axis' labels)."""
    if len(cols) < 2:
        return cols
    step = float(np.median(np.diff(cols)))
    if step < 4 or np.ptp(np.diff(cols)) > 0.1 * step:  # not one even spacing: only the labels read
        return cols
    k = np.arange(np.floor((x0 - cols[0]) / step), np.ceil((x1 - cols[0]) / step) + 1)
    return [float(v) for v in cols[0] + k * step]


SIDEWAYS_MIN = 0.1  # least share of the region's width that curve ink runs on past a side to grow it


def _extend_sideways(
    mask: np.ndarray,
    region: tuple[int, int, int, int],
    box: Box,
    avoid: list[tuple[int, int, int, int]],
    label_side: str,
) -> tuple[int, int]:
    """Left and right bounds of the region grown out to where curve ink crossing a side with no
    spine ends (a frame whose right edge was taken short of a plot without a right spine would cut
    the curves there), no farther than the potential axis line runs (or a third of the width
    where there is none)."""
    x0, y0, x1, y1 = region
    w = x1 - x0
    axis = box.lines.get("b") or box.lines.get("t")
    out = [x0, x1]
    for k, side in enumerate(("l", "r")):
        if box.lines.get(side) is not None or side == label_side:
            continue
        if side == "l":
            lim = max(0, int(axis.start) if axis is not None else int(x0 - 0.35 * w))
            lim, end = min(lim, x0 - 1), x0 - 1
            inside = mask[y0:y1, x0 : x0 + 2].any(axis=1)
        else:
            lim = min(mask.shape[1], int(axis.end) + 1 if axis is not None else int(x1 + 0.35 * w))
            lim, end = max(lim, x1 + 1), x1 + 1
            inside = mask[y0:y1, max(x0, x1 - 2) : x1].any(axis=1)
        if abs(end - lim) < 4 or not inside.any():
            continue
        strip = (mask[y0:y1, lim:end] if side == "l" else mask[y0:y1, end:lim]).copy()
        left_col = lim if side == "l" else end
        for a0, b0, a1, b1 in avoid:  # a legend (and its frame) is not a curve
            strip[max(0, b0 - y0) : max(0, b1 - y0), max(0, a0 - left_col) : max(0, a1 - left_col)] = False
        if strip.shape[1] >= 20:  # a gridline across the strip, which a curve leaving the region may touch
            strip[strip.mean(axis=1) >= 0.6] = False
        # a curve leaving sideways may span any height (a loop's vertex end); a gridline, a thin
        # solid bar, is left out as a tick mark is
        grown = _crossing_extent(strip.T, inside, y1 - y0, at_bottom=side == "l", min_h=4, max_across=1.0)
        # a stroke's cap or the half of a marker beyond the last point juts out a few pixels: only
        # ink running on for a tenth of the width is a curve the frame cut short
        if grown is None or abs((lim + grown if side == "l" else end + grown) - end) < SIDEWAYS_MIN * w:
            continue
        out[k] = lim + grown if side == "l" else end + grown + 1
    return out[0], out[1]


def _crossing_extent(
    strip: np.ndarray, inside: np.ndarray, width: int, *, at_bottom: bool, min_h: int, max_across: float = 0.2
) -> int | None:
    """Row (in ``strip``) of the farthest end of the narrow components (across at most
    ``max_across`` of ``width``) that touch the strip's edge next to the region (its bottom row when
    ``at_bottom``) where ink continues inside."""
    import cv2

    if strip.size == 0:
        return None
    n, lab, st, _ = cv2.connectedComponentsWithStats(strip.astype(np.uint8), connectivity=8)
    edge = strip.shape[0] - 1 if at_bottom else 0
    near = cv2.dilate(inside.astype(np.uint8)[None, :], np.ones((1, 5), np.uint8))[0].astype(bool)
    best: int | None = None
    for i in range(1, n):
        gx, gy, gw, gh, area = (int(v) for v in st[i])
        touches = gy + gh - 1 == edge if at_bottom else gy == 0
        if not touches or gw > max_across * width or gh < min_h:
            continue  # too wide (a frame line, a legend) or too flat (a tilted spine's remnant)
        comp = lab[gy : gy + gh, gx : gx + gw] == i
        k = max(3, int(0.12 * min(gw, gh)))
        rim = comp.copy()
        rim[k:-k, k:-k] = False
        if gw > 2 * k and gh > 2 * k and rim.sum() >= 0.8 * area:
            continue  # the outline of a box (a legend's frame), not a curve
        if gw <= 4 and area >= 0.8 * gw * gh:
            continue  # a tick mark drawn outward from the spine
        cols = lab[edge] == i
        if not (cols & near).any():
            continue
        far = gy if at_bottom else gy + gh - 1
        best = far if best is None else (min(best, far) if at_bottom else max(best, far))
    return best


def _remove_straight_lines(
    cand: np.ndarray,
    rgb: np.ndarray,
    tick_rows: list[float],
    tick_cols: list[float],
    keep: list[tuple[int, int, int]] | None = None,
) -> np.ndarray:
    """Candidate pixels without full-width horizontal / full-height vertical straight lines,
    except those drawn in a chromatic colour of ``keep`` (legend colours): a flat blank the
    legend names is a curve, not a gridline."""
    h, w = cand.shape
    named = [np.asarray(c, dtype=np.int16) for c in (keep or []) if int(np.ptp(np.asarray(c))) >= 40]
    out = cand.copy()
    for horizontal, extent, ticks in ((True, w, tick_rows), (False, h, tick_cols)):
        lines = find_lines(cand, horizontal=horizontal, min_length=0.5 * extent, angle=0.0)
        for ln in lines:
            full = ln.length >= 0.85 * extent
            at_tick = any(abs(ln.middle - t) <= 2.0 for t in ticks)
            if not (full or (at_tick and ln.length >= 0.6 * extent)):
                continue
            c = ln.middle
            half = 0.5 * ln.thickness + 1.0
            a, b = int(np.floor(c - half)), int(np.ceil(c + half)) + 1
            a, b = max(0, a), min(h if horizontal else w, b)
            band = out[a:b, :] if horizontal else out[:, a:b]
            pix = rgb[a:b, :] if horizontal else rgb[:, a:b]
            sel = band.copy()
            if sel.sum() < 10:
                continue
            colour = np.median(pix[sel], axis=0)
            if any(int(np.abs(colour.astype(np.int16) - c).max()) <= 30 for c in named):
                continue
            close = np.abs(pix.astype(np.int16) - colour.astype(np.int16)).max(axis=-1) <= 40
            band &= ~close
    return out


def _remove_spine_ticks(cand: np.ndarray, max_len: int) -> np.ndarray:
    """Small strokes standing on the edges of the region (inward tick marks)."""
    import cv2

    h, w = cand.shape
    n, lab, stats, _ = cv2.connectedComponentsWithStats(cand.astype(np.uint8), connectivity=8)
    out = cand.copy()
    thin = max(6, int(0.012 * max(h, w)))
    for i in range(1, n):
        x, y, cw, chh, _area = (int(v) for v in stats[i])
        touches_v = x <= 4 or x + cw >= w - 4
        touches_h = y <= 4 or y + chh >= h - 4
        small = (touches_h and cw <= thin and chh <= max_len) or (touches_v and chh <= thin and cw <= max_len)
        if small:
            out[lab == i] = False
    return out


def curve_mask(
    rgb: np.ndarray,
    strength: np.ndarray,
    threshold: float,
    region: tuple[int, int, int, int],
    *,
    tick_rows: list[float],
    tick_cols: list[float],
    exclude: list[tuple[int, int, int, int]],
    char_h: float = 10.0,
    legend_colors: list[tuple[int, int, int]] | None = None,
) -> np.ndarray:
    """Curve candidate pixels in ``region`` (box coordinates: arrays are the region's crop);
    straight lines in a chromatic ``legend_colors`` colour are kept (a flat blank)."""
    x0, y0, x1, y1 = region
    s = strength[y0:y1, x0:x1]
    cand = s > threshold
    for ex in exclude:
        a0, b0, a1, b1 = ex
        cand[max(0, b0 - y0) : max(0, b1 - y0), max(0, a0 - x0) : max(0, a1 - x0)] = False
    sub = rgb[y0:y1, x0:x1]
    cand = _remove_straight_lines(
        cand, sub, [r - y0 for r in tick_rows], [c - x0 for c in tick_cols], legend_colors
    )
    max_len = max(6, int(0.04 * min(rgb.shape[:2])))
    cand = _remove_spine_ticks(cand, max_len)
    cand = _remove_edge_remnants(cand)
    return _remove_corner_text(cand, char_h)


def _remove_edge_remnants(cand: np.ndarray) -> np.ndarray:
    """Columns (rows) hugging the region's sides that are inked over most of the height (width):
    the edge of a spine the box just missed, not a curve."""
    h, w = cand.shape
    out = cand.copy()
    for k in list(range(min(3, w))) + list(range(max(0, w - 3), w)):
        if cand[:, k].mean() >= 0.5:
            out[:, k] = False
    for k in list(range(min(3, h))) + list(range(max(0, h - 3), h)):
        if cand[k, :].mean() >= 0.5:
            out[k, :] = False
    return out


def _remove_corner_text(cand: np.ndarray, char_h: float) -> np.ndarray:
    """A panel letter ("(a)", "B") drawn inside the top-left corner of the plot, apart from the curves."""
    import cv2

    h, w = cand.shape
    k = max(3, round(0.5 * char_h) | 1)
    grown = cv2.dilate(cand.astype(np.uint8), np.ones((k, k), np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    out = cand.copy()
    for i in range(1, n):
        x, y, cw, chh, _ = (int(v) for v in stats[i])
        if chh > 2.5 * char_h + k or cw > 5.0 * char_h + k:
            continue
        # panel letters sit in the top-left corner, clear of the curves
        if y + chh <= 0.2 * h and x + cw <= 0.2 * w:
            out[lab == i] = False
    return out


SAME_COLOUR_LAB = 35.0  # two colours (a legend handle, a curve) this close in CIELAB are one colour


def lab_of(rgb: np.ndarray | tuple | list) -> np.ndarray:
    """CIELAB of RGB colours (0–255), one row each (N × 3)."""
    import cv2

    px = np.asarray(rgb, dtype=np.float32).reshape(-1, 1, 3) / 255.0
    if px.size == 0:
        return np.zeros((0, 3), dtype=np.float32)
    return cv2.cvtColor(px, cv2.COLOR_RGB2LAB).reshape(-1, 3)


def find_series(
    rgb: np.ndarray,
    strength: np.ndarray,
    cand: np.ndarray,
    background: np.ndarray,
    *,
    min_pixels: int,
    legend_colors: list[tuple[int, int, int]] | None = None,
) -> list[Series]:
    """Colour clusters of the candidate pixels (box crops), largest first.  ``legend_colors``
    (the legend's handle colours) keep apart two shades the legend names separately."""
    import cv2

    if cand.sum() < min_pixels:
        return []
    s = strength.astype(np.float32)
    local_max = cv2.dilate(s, np.ones((3, 3), np.uint8))
    core = cand & (s >= 0.75 * local_max)
    ys, xs = np.nonzero(core)
    if ys.size == 0:
        return []
    lab = lab_of(rgb[ys, xs])
    weights = s[ys, xs]
    centres = _cluster_colours(lab, weights)
    if not centres:
        return []
    centres = _with_legend_shades(centres, legend_colors or [])
    cl = np.array(centres)
    d = np.linalg.norm(lab[:, None, :] - cl[None, :, :], axis=2)
    assign = np.argmin(d, axis=1)
    ok = d[np.arange(d.shape[0]), assign] <= 28.0
    h, w = cand.shape
    cores = []
    for k in range(len(centres)):
        m = np.zeros((h, w), dtype=bool)
        sel = ok & (assign == k)
        m[ys[sel], xs[sel]] = True
        cores.append(m)
    # blends of two clusters (overlaps, anti-aliased crossings) and tiny clusters go
    sizes = np.array([c.sum() for c in cores])
    _merge_interleaved(cl, cores, sizes, _legend_names(cl, legend_colors or []))
    keep = [k for k in range(len(centres)) if sizes[k] >= min_pixels]
    keep = [k for k in keep if not _is_blend(k, keep, cl, cores, sizes)]
    bg_lab = lab_of(
        np.median(
            background.reshape(-1, 3)[:: max(1, background.size // 30000)], axis=0, keepdims=True
        ).astype(np.uint8)
    )[0]
    keep = [k for k in keep if not _is_bg_blend(k, keep, cl, cores, sizes, bg_lab)]
    keep = [k for k in keep if np.linalg.norm(cl[k] - bg_lab) >= 15.0]  # shading of the background
    keep = _merge_pale(keep, cl, cores, sizes, _rgb_of(bg_lab), legend_colors or [])
    keep = [k for k in keep if _wide_enough(cores[k])]
    named = _legend_names(cl, legend_colors or [])
    keep = [k for k in keep if not _is_shade(k, keep, cl, cores, sizes, named)]
    if not keep:
        return []
    # every candidate pixel joins the nearest kept core (in colour along its mixing line with the
    # background) within 2 px
    dil = [cv2.dilate(cores[k].astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) for k in keep]
    cy, cx = np.nonzero(cand)
    px = rgb[cy, cx].astype(np.float32)
    bg = background[cy, cx].astype(np.float32)
    best = np.full(cy.size, -1)
    best_r = np.full(cy.size, np.inf, dtype=np.float32)
    for j, k in enumerate(keep):
        colour = _rgb_of(cl[k])
        v = colour[None, :] - bg
        vv = np.maximum((v * v).sum(axis=1), 1.0)
        alpha = np.clip(((px - bg) * v).sum(axis=1) / vv, 0.0, 1.2)
        r = np.linalg.norm(px - bg - alpha[:, None] * v, axis=1)
        r = np.where(dil[j][cy, cx], r, np.inf)
        better = r < best_r
        best[better] = j
        best_r[better] = r[better]
    out = []
    for j, k in enumerate(keep):
        m = np.zeros((h, w), dtype=bool)
        sel = (best == j) & (best_r <= 60)
        m[cy[sel], cx[sel]] = True
        m |= cores[k]
        if is_line_like(m) and not _named_colour(k, cl, named):
            continue
        out.append(Series(tuple(int(v) for v in _rgb_of(cl[k])), m, int(m.sum()), _markers_only(m)))
    out.sort(key=lambda sr: -sr.n_pixels)
    return out


def _with_legend_shades(centres: list[np.ndarray], legend: list) -> list[np.ndarray]:
    """Colour centres where two or more legend colours share one centre replaced by those legend
    colours: a sequential palette (light to dark blues) is one cluster to the histogram but several
    curves to the legend.  A legend colour a little off its curve's (JPEG) changes nothing."""
    if len(legend) < 2:
        return centres
    named = lab_of(np.asarray(legend, dtype=np.uint8).reshape(-1, 3))
    cl = np.array(centres)
    nearest = np.argmin(np.linalg.norm(named[:, None, :] - cl[None, :, :], axis=2), axis=1)
    out = [c for k, c in enumerate(centres) if np.count_nonzero(nearest == k) < 2]
    for k in range(len(centres)):
        sel = np.flatnonzero(nearest == k)
        if sel.size >= 2:
            out += [named[j].astype(np.float64) for j in sel]
    return out


def _legend_names(cl: np.ndarray, legend: list) -> dict[int, int]:
    """Cluster → legend entry, for the cluster nearest each legend colour (within 10 Lab units)."""
    if len(legend) < 2:
        return {}
    out: dict[int, int] = {}
    for j, c in enumerate(lab_of(np.asarray(legend, dtype=np.uint8).reshape(-1, 3))):
        d = np.linalg.norm(cl - c, axis=1)
        k = int(np.argmin(d))
        if d[k] <= 10.0 and k not in out:
            out[k] = j
    return out


def _named_colour(k: int, cl: np.ndarray, named: dict[int, int]) -> bool:
    """Whether cluster ``k`` is a colour the legend names, and a chromatic one (gridlines and
    zero lines are grey or black): a flat curve (a blank) of that colour is a curve, though it
    lies along rows like a gridline."""
    return k in named and float(np.hypot(cl[k][1], cl[k][2])) >= 20.0


def _rgb_of(lab: np.ndarray) -> np.ndarray:
    import cv2

    px = cv2.cvtColor(np.asarray(lab, dtype=np.float32).reshape(1, 1, 3), cv2.COLOR_LAB2RGB).reshape(3)
    return np.clip(px * 255.0, 0, 255).astype(np.float32)


def _cluster_colours(lab: np.ndarray, w: np.ndarray, radius: float = 16.0) -> list[np.ndarray]:
    """Greedy colour clustering on a coarse Lab histogram, refined by two k-means passes."""
    q = np.floor(lab / np.array([5.0, 6.0, 6.0])).astype(np.int64)
    _keys, inv = np.unique(q, axis=0, return_inverse=True)
    inv = inv.ravel()
    counts = np.bincount(inv, weights=w)
    mean = np.stack([np.bincount(inv, weights=w * lab[:, c]) for c in range(3)], axis=1) / counts[:, None]
    order = np.argsort(-counts)
    centres: list[np.ndarray] = []
    mass: list[float] = []
    total = counts.sum()
    for b in order:
        if counts[b] < 0.002 * total:
            break
        c = mean[b]
        if centres:
            dd = [float(np.linalg.norm((c - x) * np.array([0.6, 1.0, 1.0]))) for x in centres]
            j = int(np.argmin(dd))
            if dd[j] < radius:
                mass[j] += counts[b]
                continue
        centres.append(c.copy())
        mass.append(float(counts[b]))
    for _ in range(2):
        if not centres:
            break
        cl = np.array(centres)
        d = np.linalg.norm((mean[:, None, :] - cl[None, :, :]) * np.array([0.6, 1.0, 1.0]), axis=2)
        a = np.argmin(d, axis=1)
        new = []
        for k in range(len(centres)):
            sel = a == k
            if counts[sel].sum() > 0:
                new.append((mean[sel] * counts[sel, None]).sum(axis=0) / counts[sel].sum())
        centres = new
    return centres


def _merge_interleaved(
    cl: np.ndarray, cores: list[np.ndarray], sizes: np.ndarray, named: dict[int, int] | None = None
) -> None:
    """Merge clusters of close colours whose pixels run along the same strokes (JPEG blocks and
    anti-aliasing split one curve's colour), in place: the smaller joins the larger — unless the
    legend names the two shades apart (``named``: cluster → legend entry)."""
    import cv2

    named = named or {}

    order = np.argsort(-sizes)
    for ia, a in enumerate(order):
        if sizes[a] == 0:
            continue
        near = None
        for b in order[ia + 1 :]:
            if sizes[b] == 0 or np.linalg.norm((cl[a] - cl[b]) * np.array([0.6, 1.0, 1.0])) > 24.0:
                continue
            if a in named and b in named and named[a] != named[b]:
                continue
            if near is None:
                near = cv2.dilate(cores[a].astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
            if (near & cores[b]).sum() >= 0.5 * sizes[b]:
                cores[a] |= cores[b]
                cores[b] = np.zeros_like(cores[b])
                sizes[a] += sizes[b]
                sizes[b] = 0
                near = None


PALE_NEAR = 15  # a pale shade and the darker pixels of one stroke lie within 7 px of each other…
PALE_ALONG = 0.4  # …for this share of the smaller's pixels (anti-aliasing alternates along a stroke)


def _merge_pale(
    keep: list[int],
    cl: np.ndarray,
    cores: list[np.ndarray],
    sizes: np.ndarray,
    bg_rgb: np.ndarray,
    legend: list,
) -> list[int]:
    """A thin anti-aliased stroke never reaches its full colour: a cluster lying on the line from
    the background to a darker cluster's colour (same direction, less ink) whose pixels lie along
    that cluster's strokes is that curve, unless the legend names both shades.  A grey apart from
    the black strokes (a grey curve beside black ones, grey gridlines behind black markers) is not
    part of them, though any grey lies on the line from a white background to black."""
    import cv2

    out = list(keep)
    rgb = {k: _rgb_of(cl[k]) for k in keep}

    def named(k: int) -> int | None:
        if not legend:
            return None
        d = [float(np.abs(rgb[k] - np.asarray(c, dtype=np.float32)).max()) for c in legend]
        j = int(np.argmin(d))
        return j if d[j] <= 40 else None

    for k in sorted(keep, key=lambda q: float(np.abs(rgb[q] - bg_rgb).sum())):
        vk = rgb[k] - bg_rgb
        nk = float(np.linalg.norm(vk))
        for a in out:
            if a == k:
                continue
            va = rgb[a] - bg_rgb
            na = float(np.linalg.norm(va))
            if na <= nk * 1.15 or nk < 1.0:
                continue
            cos = float(np.dot(va, vk) / (na * nk))
            if cos < 0.995:
                continue
            ja, jk = named(a), named(k)
            if ja is not None and jk is not None and ja != jk:
                continue
            # the smaller of the two lies along the other's strokes (a thin curve may be mostly
            # pale, with dark pixels only where it runs steep)
            big, small = (a, k) if sizes[a] >= sizes[k] else (k, a)
            near = cv2.dilate(cores[big].astype(np.uint8), np.ones((PALE_NEAR, PALE_NEAR), np.uint8))
            along = near.astype(bool) & cores[small]
            if np.count_nonzero(along) < PALE_ALONG * sizes[small]:
                if small == k:  # the shade's pixels along the darker strokes are theirs; the rest…
                    cores[a] |= along
                    cores[k] &= ~along
                    sizes[a], sizes[k] = np.count_nonzero(cores[a]), np.count_nonzero(cores[k])
                    if _straight_remnant(cores[k]):
                        out.remove(k)  # …what the line removal left of gridlines or a zero line
                        break
                continue
            cores[a] |= cores[k]
            sizes[a] += sizes[k]
            out.remove(k)
            break
    return out


def _straight_remnant(mask: np.ndarray) -> bool:
    """Whether ``mask`` is what is left of straight lines: most of it on rows (columns) it inks over
    a tenth of the width (height) — dotted or dashed gridlines — or all of it within 2 px of one
    straight line (a zero line in a rotated photo).  A curve crosses rows and bends."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    if ys.size < 3:
        return True
    rows = mask.sum(axis=1) >= max(15, 0.1 * w)
    cols = mask.sum(axis=0) >= max(15, 0.1 * h)
    if np.count_nonzero(rows[ys] | cols[xs]) >= 0.75 * ys.size:
        return True
    pts = np.column_stack([xs, ys]).astype(np.float64)
    spread = np.linalg.eigvalsh(np.cov(pts - pts.mean(axis=0), rowvar=False))
    return bool(np.sqrt(max(spread[0], 0.0)) <= 2.0 and np.sqrt(spread[1]) >= 0.05 * max(h, w))


def _is_blend(k: int, keep: list[int], cl: np.ndarray, cores: list[np.ndarray], sizes: np.ndarray) -> bool:
    import cv2

    for a in keep:
        for b in keep:
            if a >= b or k in (a, b) or sizes[a] < sizes[k] or sizes[b] < sizes[k]:
                continue
            pa, pb, pk = cl[a], cl[b], cl[k]
            ab = pb - pa
            t = float(np.clip(np.dot(pk - pa, ab) / max(np.dot(ab, ab), 1e-9), 0.0, 1.0))
            if np.linalg.norm(pa + t * ab - pk) > 12.0:
                continue
            near = cv2.dilate((cores[a] | cores[b]).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
            if (near & cores[k]).sum() >= 0.6 * sizes[k]:
                return True
    return False


def _is_bg_blend(
    k: int, keep: list[int], cl: np.ndarray, cores: list[np.ndarray], sizes: np.ndarray, bg: np.ndarray
) -> bool:
    """A paler edge of another stroke: its colour lies between that stroke's and the background's,
    and its pixels hug that stroke."""
    import cv2

    for a in keep:
        if a == k or sizes[a] < 0.5 * sizes[k]:
            continue
        ab = bg - cl[a]
        t = float(np.dot(cl[k] - cl[a], ab) / max(np.dot(ab, ab), 1e-9))
        if not 0.0 < t < 0.9 or np.linalg.norm(cl[a] + t * ab - cl[k]) > 10.0:
            continue
        near = cv2.dilate(cores[a].astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        if (near & cores[k]).sum() >= 0.7 * sizes[k]:
            return True
    return False


SHADE_NEAR = 30.0  # a shade this close (Lab) to a stroke's colour is part of it where it mostly hugs it…
SHADE_NEAR_HUG = 0.7  # …with this share of its pixels within 2 px of the stroke
SHADE_FAR = 40.0  # farthest (Lab) a shade of a stroke's colour may lie from it…
SHADE_FAR_HUG = 0.95  # …beyond SHADE_NEAR, with at least this share of its pixels within 2 px of the stroke


def _is_shade(
    k: int,
    keep: list[int],
    cl: np.ndarray,
    cores: list[np.ndarray],
    sizes: np.ndarray,
    named: dict[int, int] | None = None,
) -> bool:
    """A slightly different shade hugging a bigger stroke of a similar colour (anti-aliasing,
    JPEG ringing): part of that stroke, not a curve of its own — unless the legend names both
    colours (a navy curve next to a black one in a dark sequential palette).  A shade further off
    (JPEG ringing of a saturated red, up to SHADE_FAR Lab units) must hug the stroke all along."""
    import cv2

    named = named or {}
    for a in keep:
        dist = float(np.linalg.norm(cl[a] - cl[k]))
        if a == k or sizes[a] < sizes[k] or dist > SHADE_FAR:
            continue
        if k in named and a in named:
            continue
        near = cv2.dilate(cores[a].astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        if (near & cores[k]).sum() >= (SHADE_NEAR_HUG if dist <= SHADE_NEAR else SHADE_FAR_HUG) * sizes[k]:
            return True
    return False


LINE_MAX_PX = 8  # the thickest gridline or zero line (anti-aliased, high dpi), in rows or columns


def is_line_like(mask: np.ndarray) -> bool:
    """True when most of a series lies on full horizontal or vertical lines (gridline or zero-line
    remnants), not along a curve."""
    n = int(mask.sum())
    if n == 0:
        return True
    h, w = mask.shape
    rows = mask.sum(axis=1)
    cols = mask.sum(axis=0)
    line_rows = rows >= max(15, 0.2 * w)
    line_cols = cols >= max(15, 0.2 * h)
    # a line is a few rows (columns) thick; a long block of full rows is a dense bundle of strokes
    for lines in (line_rows, line_cols):
        d = np.diff(np.concatenate([[0], lines.astype(np.int8), [0]]))
        for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True):
            if b - a > LINE_MAX_PX:
                lines[a:b] = False
    line_rows |= np.roll(line_rows, 1) | np.roll(line_rows, -1)
    line_cols |= np.roll(line_cols, 1) | np.roll(line_cols, -1)
    on = mask & (line_rows[:, None] | line_cols[None, :])
    if on.sum() < 0.75 * n:
        return False
    # a flat curve lies on one row too: lines also show little else besides
    ys, _xs = np.nonzero(mask & ~(line_rows[:, None] | line_cols[None, :]))
    return ys.size < 0.1 * n


def _wide_enough(core: np.ndarray) -> bool:
    cols = np.flatnonzero(core.any(axis=0))
    rows = np.flatnonzero(core.any(axis=1))
    if cols.size == 0:
        return False
    w = core.shape[1]
    h = core.shape[0]
    return (cols[-1] - cols[0]) >= 0.08 * w or (rows[-1] - rows[0]) >= 0.25 * h


def _markers_only(mask: np.ndarray) -> bool:
    """True when the series is a scatter of separate, compact, like-sized blobs (markers) rather
    than a stroke, even a broken one."""
    import cv2

    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n < 9:
        return False
    st = stats[1:]
    w_, h_, area = st[:, cv2.CC_STAT_WIDTH], st[:, cv2.CC_STAT_HEIGHT], st[:, cv2.CC_STAT_AREA]
    if st[:, cv2.CC_STAT_WIDTH].max() >= 0.15 * mask.shape[1] or np.median(area) < 4:
        return False
    size = float(np.median(np.maximum(w_, h_)))
    compact = (np.maximum(w_, h_) <= 2.5 * size) & (np.minimum(w_, h_) >= 0.4 * np.maximum(w_, h_))
    return bool(area[compact].sum() >= 0.7 * area.sum())


# ---- line styles ----------------------------------------------------------------------------

STYLE_NAMES = {0: "solid", 1: "dotted", 2: "dashed", 3: "long-dashed or dash-dotted"}  # split_styles' classes
STYLE_LONG = 10.0  # a piece this many stroke widths long (major axis) is a solid stroke
STYLE_DOT = 2.0  # …one under this a dot (':' draws 1-width dots; '--' 3.7-width dashes, '-.' 6.4;
STYLE_DASH = 3.8  # the width measured is the ink's, anti-aliased edges included, a pixel or so
# more than the line's); one under STYLE_DASH a dash, one under STYLE_LONG a dash-dot's long dash
STYLE_MIN_PIECES = 40  # fewest pieces of a dashed or dotted curve
STYLE_REGULAR = 0.85  # least share of them whose neighbour lies at about the class's usual distance
STYLE_SHARE = 0.08  # least share of the series' ink the solid pieces hold (thin dots hold little)
STYLE_STROKE = 0.25  # least share of the series' columns the longest solid piece spans
STYLE_ALIGNED = 0.5  # most share of the pieces in line with others along a column or a row
STYLE_SIZE_SPREAD = 0.12  # most spread (std / mean) of one style's piece lengths
STYLE_WIDTH = (0.5, 1.6)  # a piece's mean width (area / length) in stroke widths
STYLE_PERIOD = (1.1, 3.5)  # spacing of neighbouring pieces in piece lengths (':' about 2.6 dots)
STYLE_REACH = 1.5  # least path the pieces draw (count × spacing), in the series' spans (a CV: 2 or more)


def split_styles(series: Series, *, min_pixels: int) -> list[Series] | None:
    """One colour's ink split by line style: solid, dashed, dotted and dash-dotted curves of one
    colour (a monochrome series told apart by style) are one colour cluster, which traces as one
    curve.  Each connected piece is classed by its length in stroke widths (a solid stroke is long;
    dashes and dots are short and like-sized, and lie at a regular spacing along their curve); a
    dot whose nearest piece is a dash rather than another dot is a dash-dot curve's dot.  Pieces of
    no style found (blobs where two curves overlap) are left out.  None unless two or more styles
    each hold enough ink (``min_pixels``; the solid pieces a share of the series, one of them a
    stroke over a quarter of its columns) over a fifth of the series' columns, the dashed or dotted
    ones in a chain of many (:func:`_dash_chain`)."""
    import cv2

    if series.markers:
        return None
    mask = series.mask
    rx, top, bot, _ = _column_runs(mask, np.ones(mask.shape))
    if rx.size == 0:
        return None
    thick = _stroke_width(rx, top, bot)
    n, lab, stats, cents = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n < STYLE_MIN_PIECES + 2:
        return None
    st, cents = stats[1:], cents[1:]
    r = _piece_lengths(lab, n) / thick
    area = st[:, cv2.CC_STAT_AREA].astype(np.float64)
    cls = np.select([r < STYLE_DOT, r < STYLE_DASH, r < STYLE_LONG], [1, 2, 3], 0)
    cls = _dash_dot_dots(cls, cents)
    span = float(np.ptp(rx)) + 1.0
    groups = {}
    for c in (1, 2, 3):
        sel = cls == c
        main = sel & (r >= STYLE_DOT) if c > 1 else sel  # a dash-dot curve's dashes, without its dots
        if np.count_nonzero(main) >= STYLE_MIN_PIECES and _dash_chain(
            r[main], area[main], cents[main], thick, span
        ):
            groups[c] = sel
    if not groups:
        return None
    long_ = cls == 0
    if area[long_].sum() > 0:
        groups[0] = long_
    total = float(area.sum())
    good = {}
    for c, sel in groups.items():
        x_lo = st[sel, cv2.CC_STAT_LEFT].min()
        x_hi = (st[sel, cv2.CC_STAT_LEFT] + st[sel, cv2.CC_STAT_WIDTH]).max()
        ink = float(area[sel].sum())
        least = max(min_pixels, STYLE_SHARE * total) if c == 0 else min_pixels
        # a solid curve is a stroke across much of the plot, not a clump of markers run together
        stroke = c > 0 or st[sel, cv2.CC_STAT_WIDTH].max() >= STYLE_STROKE * span
        if ink >= least and x_hi - x_lo >= 0.2 * span and stroke:
            good[c] = sel
    if len(good) < 2:
        return None
    out = []
    for c, sel in good.items():
        m = np.isin(lab, 1 + np.flatnonzero(sel))
        out.append(Series(series.color, m, int(m.sum()), False, style=STYLE_NAMES[c]))
    return sorted(out, key=lambda sr: -sr.n_pixels)


def _piece_lengths(lab: np.ndarray, n: int) -> np.ndarray:
    """Length (px) of each labelled piece (labels 1..n-1) along its major axis, from its second
    moments: a bar's length at any slant (its box's diagonal grows as the bar turns)."""
    ys, xs = np.nonzero(lab)
    k = lab[ys, xs]
    cnt = np.maximum(np.bincount(k, minlength=n)[1:].astype(np.float64), 1.0)

    def mean(v: np.ndarray) -> np.ndarray:
        return np.bincount(k, weights=v, minlength=n)[1:] / cnt

    mx, my = mean(xs.astype(np.float64)), mean(ys.astype(np.float64))
    sxx = mean(xs.astype(np.float64) ** 2) - mx**2 + 1.0 / 12.0  # a pixel is a unit square
    syy = mean(ys.astype(np.float64) ** 2) - my**2 + 1.0 / 12.0
    sxy = mean(xs.astype(np.float64) * ys) - mx * my
    major = 0.5 * (sxx + syy) + np.sqrt(0.25 * (sxx - syy) ** 2 + sxy**2)
    return np.sqrt(12.0 * np.maximum(major, 0.0))


def _dash_dot_dots(cls: np.ndarray, cents: np.ndarray) -> np.ndarray:
    """Piece classes with a dot (class 1) whose nearest dash (classes 2–3) lies closer than its
    nearest other dot moved to that dash's class: a dash-dot curve's dots sit between its dashes,
    a dotted curve's dots next to each other."""
    dots = np.flatnonzero(cls == 1)
    dashes = np.flatnonzero((cls == 2) | (cls == 3))
    if dots.size < 2 or dashes.size == 0:
        return cls
    from scipy.spatial import cKDTree

    out = cls.copy()
    dd = cKDTree(cents[dots]).query(cents[dots], k=2)[0][:, 1]
    dk, j = cKDTree(cents[dashes]).query(cents[dots])
    moved = dk < dd
    out[dots[moved]] = cls[dashes[j[moved]]]
    return out


def _dash_chain(r: np.ndarray, area: np.ndarray, cents: np.ndarray, thick: float, span: float) -> bool:
    """Whether pieces (lengths ``r`` in stroke widths, pixel areas, centroids) are the dashes or
    dots of a line: like-sized, as thick as the stroke (not the thin fringes another colour's
    anti-aliasing leaves along this one), each with a neighbour at about the usual spacing, which is
    a little longer than a piece (a gap under about two pieces long; markers lie further apart), in
    a chain (two near neighbours each) that is not a dashed gridline, and together long enough to
    draw a curve across a fair share of the series' columns."""
    from scipy.spatial import cKDTree

    length = float(np.median(r)) * thick
    if np.std(r) > STYLE_SIZE_SPREAD * np.mean(r):
        return False
    width = float(np.median(area / np.maximum(r * thick, 1.0)))
    if not STYLE_WIDTH[0] * thick <= width <= STYLE_WIDTH[1] * thick:
        return False
    tree = cKDTree(cents)
    nn = tree.query(cents, k=2)[0][:, 1]
    med = float(np.median(nn))
    if not STYLE_PERIOD[0] * length <= med <= STYLE_PERIOD[1] * length + thick:
        return False
    if np.mean((nn >= 0.5 * med) & (nn <= 2.0 * med)) < STYLE_REGULAR:
        return False
    # a chain: a piece's near neighbours are the one before and the one after it (a texture or a
    # hatching packs more round each piece)
    if np.median(tree.query_ball_point(cents, 1.5 * med, return_length=True) - 1) > 2:
        return False
    if np.mean(_in_line(cents[:, 0]) | _in_line(cents[:, 1])) > STYLE_ALIGNED:
        return False  # dashed gridlines: pieces stacked in a few columns or rows
    return r.size * med >= STYLE_REACH * span


def _in_line(v: np.ndarray) -> np.ndarray:
    """Which pieces share their column (or row) ``v`` to within a pixel with three or more others."""
    o = np.sort(v)
    n = np.searchsorted(o, v + 1.0, side="right") - np.searchsorted(o, v - 1.0, side="left") - 1
    return n >= 3


# ---- tracing --------------------------------------------------------------------------------


def _stroke_width(rx: np.ndarray, top: np.ndarray, bot: np.ndarray) -> float:
    """A stroke's width (px, at least 1): the median height of the column runs (:func:`_column_runs`)
    of the columns the ink crosses once (all runs where none does)."""
    counts = np.bincount(rx.astype(np.int64))
    single = counts[rx.astype(np.int64)] == 1
    runs_len = bot - top + 1
    return max(1.0, float(np.median(runs_len[single] if single.any() else runs_len)))


def _column_runs(mask: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, ...]:
    """Vertical runs of each column: arrays (x, top, bottom, centre)."""
    m = mask.astype(np.int8)
    padded = np.pad(m, ((1, 1), (0, 0)))
    d = np.diff(padded, axis=0)
    sy, sx = np.nonzero(d == 1)
    ey, ex = np.nonzero(d == -1)
    o1 = np.lexsort((sy, sx))
    o2 = np.lexsort((ey, ex))
    sy, sx, ey = sy[o1], sx[o1], ey[o2]
    # centre weighted by ink strength: cumulative sums per column
    wcum = np.cumsum(np.pad(weight * mask, ((1, 0), (0, 0))), axis=0)
    ycum = np.cumsum(np.pad(weight * mask * np.arange(mask.shape[0])[:, None], ((1, 0), (0, 0))), axis=0)
    ws = wcum[ey, sx] - wcum[sy, sx]
    yc = (ycum[ey, sx] - ycum[sy, sx]) / np.maximum(ws, 1e-9)
    return sx.astype(np.float64), sy.astype(np.float64), (ey - 1).astype(np.float64), yc


def _marker_points(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    import cv2

    filled = mask.astype(np.uint8)
    contours, _ = cv2.findContours(filled, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    xs, ys, sizes = [], [], []
    for c in contours:
        _x, _y, w_, h_ = cv2.boundingRect(c)
        sizes.append(max(w_, h_))
        m = cv2.moments(c)
        if m["m00"] > 0:
            xs.append(m["m10"] / m["m00"])
            ys.append(m["m01"] / m["m00"])
        else:
            xs.append(float(c[:, 0, 0].mean()))
            ys.append(float(c[:, 0, 1].mean()))
    return np.array(xs), np.array(ys), float(np.median(sizes)) if sizes else 2.0


def _main_body(mask: np.ndarray) -> np.ndarray:
    """The series without small strokes lying apart from its main body at the plot's edges (tick
    marks, a spine's remnant): groups of strokes within 7 px of each other that hold under 5 % of
    the series' pixels and touch the border zone are dropped."""
    import cv2

    grown = cv2.dilate(mask.astype(np.uint8), np.ones((15, 15), np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    if n <= 2:
        return mask
    counts = np.bincount(lab[mask], minlength=n)
    h, w = mask.shape
    mx, my = 0.03 * w + 8, 0.03 * h + 8
    x, y, cw, chh = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    at_edge = (x <= mx) | (y <= my) | (x + cw >= w - mx) | (y + chh >= h - my)
    keep = (counts >= 0.05 * counts.sum()) | ~at_edge  # only small marks at the edges go
    keep[0] = False
    return keep[lab] & mask


def trace_series(series: Series, strength: np.ndarray, *, noisy_loops: bool = False) -> Trace | None:
    """Branch points of one series (box-crop pixel coordinates).  ``noisy_loops``: a line series
    that does not read as a loop is asked again at its ink's own width (see below) — for figures
    whose other curves are loops, where a noisy cycle is likelier than a noisy single sweep."""
    mask = series.mask if series.markers else _main_body(series.mask)
    if series.markers:
        px, py, size = _marker_points(mask)
        thick = max(2.0, size)
        pts_x, pts_y = px, py
    else:
        rx, top, bot, yc = _column_runs(mask, strength.astype(np.float64))
        if rx.size == 0:
            return None
        thick = _stroke_width(rx, top, bot)
        counts = np.bincount(rx.astype(np.int64))
        pts_x, pts_y = _run_points(rx, top, bot, yc, thick)
    if pts_x.size < 3:
        return None
    x_lo, x_hi = float(pts_x.min()), float(pts_x.max())
    span = max(x_hi - x_lo, 1.0)
    upper, lower, loop = _split_loop(pts_x, pts_y, thick, span, series.markers)
    if noisy_loops and not loop and not series.markers:
        # a noisy stroke zig-zags: its columns' runs are long and overstate its width, hiding the
        # gap between a loop's branches — ask again at the ink's own width (distance transform)
        width = _ink_width(mask, counts)
        if width <= 0.7 * thick:
            wx, wy = _run_points(rx, top, bot, yc, width)
            up2, dn2, loop2 = _split_loop(wx, wy, width, span, False)
            # …where the branches leave clear ink-free gaps between them in part of the plot (a
            # noisy single sweep is a solid band: its spread is noise, with no gap inside)
            if (
                loop2
                and _hole_share(wx, wy, width, span) >= LOOP_HOLE_SHARE
                and _corridor_share(mask, span) >= LOOP_CORRIDOR_SHARE
            ):
                upper, lower, loop = up2, dn2, True
                pts_x, pts_y = wx, wy
    if loop:
        ups = sub_branches(*upper, thick, outer_first="top")
        dns = sub_branches(*lower, thick, outer_first="bottom")
        n = min(len(ups), len(dns))
        if len(ups) != len(dns):  # one branch shows the cycles apart, the other not: reuse it
            n = max(len(ups), len(dns))
            ups = [ups[min(j, len(ups) - 1)] for j in range(n)]
            dns = [dns[min(j, len(dns) - 1)] for j in range(n)]
        branches = tuple(b for j in range(n) for b in (ups[j], dns[j]))
    else:
        branches = (_single_valued(pts_x, pts_y, thick, markers=series.markers),)
    cols = np.unique(np.round(pts_x))
    coverage = float(cols.size / (span + 1))
    if series.markers:
        coverage = 1.0
    jitter = _marker_jitter(branches) if series.markers else _stroke_jitter(rx, top, bot, branches)
    return Trace(branches, loop, thick, min(1.0, coverage), (x_lo, x_hi), jitter)


LOOP_HOLE_SHARE = 0.2  # share of the columns where a noisy loop's branches leave a gap between them
LOOP_CORRIDOR_SHARE = 0.15  # …and a corridor free of ink over whole bins of columns
# the narrowest gap between two branches that tells them apart (an anti-aliased edge drops 1 px)
CORRIDOR_PX = 2


def _hole_share(x: np.ndarray, y: np.ndarray, thick: float, span: float) -> float:
    """Share of the column bins of :func:`_split_loop` whose points leave an empty vertical
    stretch wider than half the branch separation."""
    b, nb = _bins(x, _line_bin(span), span)
    present = np.bincount(b, minlength=nb) > 0
    sep = _branch_sep(thick)
    hole = _inner_gaps(b, y, nb)
    return float(np.count_nonzero(present & (hole > 0.5 * sep)) / max(1, np.count_nonzero(present)))


def _corridor_share(mask: np.ndarray, span: float) -> float:
    """Share of the bins of about a 120th of ``span`` (whole columns, at least 3) whose ink,
    taken over all the bin's columns together, leaves an empty stretch of rows inside it.  One curve drawn as a function of
    potential, however noisy, inks every row between its lowest and highest point within any range
    of columns (it passes through every value in between); two branches leave a corridor between
    them wherever they do not touch."""
    cols = np.flatnonzero(mask.any(axis=0))
    if cols.size == 0:
        return 0.0
    bw = max(3, round(span / 120.0))
    edges = np.arange(cols[0], cols[-1] + 1, bw)
    if edges.size == 0:
        return 0.0
    rows = np.logical_or.reduceat(mask[:, cols[0] : cols[-1] + 1], edges - cols[0], axis=1)
    inked = rows.any(axis=0)
    top = np.argmax(rows, axis=0)
    bot = rows.shape[0] - 1 - np.argmax(rows[::-1], axis=0)
    depth = np.arange(rows.shape[0])[:, None]
    empty = ~rows & (depth > top[None, :]) & (depth < bot[None, :])
    # the longest empty stretch per bin, at least CORRIDOR_PX rows
    run = np.zeros(rows.shape[1], dtype=np.int64)
    best = np.zeros(rows.shape[1], dtype=np.int64)
    for r in range(rows.shape[0]):
        run = np.where(empty[r], run + 1, 0)
        best = np.maximum(best, run)
    return float(np.count_nonzero(inked & (best >= CORRIDOR_PX)) / max(1, np.count_nonzero(inked)))


def _run_points(
    rx: np.ndarray, top: np.ndarray, bot: np.ndarray, yc: np.ndarray, thick: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points of a line series from its column runs: each run's centre, and points all along the
    runs longer than 2.5 stroke widths (steep strokes)."""
    xs, ys = [rx], [yc]
    long_ = bot - top + 1 > 2.5 * thick
    for x, a, b in zip(rx[long_], top[long_], bot[long_], strict=True):
        inner = np.arange(a + 0.5 * thick, b - 0.5 * thick + 1e-9, 1.0)
        xs.append(np.full(inner.size, x))
        ys.append(inner)
    return np.concatenate(xs), np.concatenate(ys)


def _ink_width(mask: np.ndarray, counts: np.ndarray) -> float:
    """Stroke width (px) from the distance transform: twice the median over the columns holding
    one run of the column's deepest pixel, less one.  Unlike a column's run length, it does not
    grow where the stroke is steep."""
    import cv2

    deep = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5).max(axis=0)
    one = np.zeros(mask.shape[1], dtype=bool)
    one[: counts.size] = counts == 1
    sel = one & (deep > 0)
    if not sel.any():
        sel = deep > 0
    if not sel.any():
        return 1.0
    return max(1.0, 2.0 * float(np.median(deep[sel])) - 1.0)


def _stroke_jitter(
    rx: np.ndarray, top: np.ndarray, bot: np.ndarray, branches: tuple[np.ndarray, ...]
) -> float:
    """One-sigma vertical noise (px) of a line series.  Two signs of noise: the centre line
    wobbling about its running median (sparse noisy points joined by lines), and the ink of a
    column spreading beyond the bare line width (dense noisy points fill a band about ±2σ wide).
    Only shallow stretches count for the wobble, and the typical column for the band, so slopes
    and crossings do not."""
    xi = rx.astype(np.int64)
    if xi.size < 20:
        return 0.0
    counts = np.bincount(xi)
    ext = (bot - top + 1)[counts[xi] <= 2]
    band = 0.0
    if ext.size >= 20:
        band = float(np.median(ext) - np.percentile(ext, 5)) / 4.0
    return max(_marker_jitter(branches, size=15, shallow=True), band)


def _marker_jitter(branches: tuple[np.ndarray, ...], *, size: int = 5, shallow: bool = False) -> float:
    """One-sigma scatter (px) of branch points (marker centres, centre-line points) about their
    running median; with ``shallow`` only where that median moves under a pixel per pixel."""
    from scipy.ndimage import median_filter

    out = []
    for br in branches:
        if br.shape[0] < 2 * size:
            continue
        o = np.argsort(br[:, 0], kind="stable")
        x, y = br[o, 0], br[o, 1]
        trend = median_filter(y, size=size, mode="nearest")
        r = y - trend
        if shallow:
            dx = np.gradient(x)
            ok = dx > 0
            ok[ok] = np.abs(np.gradient(trend)[ok] / dx[ok]) < 1.0
            if ok.sum() < size:
                continue
            r = r[ok]
        out.append(1.4826 * float(np.median(np.abs(r - np.median(r)))))
    return float(np.median(out)) if out else 0.0


def _scatter_is_loop(x: np.ndarray, y: np.ndarray) -> bool:
    """Markers of a function of x, sorted by x, make a smooth path; those of a loop jump between
    the branches at almost every step."""
    if x.size < 8:
        return False
    o = np.argsort(x, kind="stable")
    ys = y[o]
    dev = np.abs(ys[1:-1] - 0.5 * (ys[:-2] + ys[2:]))
    if not np.median(dev) > 0.06 * max(float(np.ptp(y)), 1.0):
        return False
    # a few sparse markers over a sharp peak also bend at most steps, but they rise, then fall:
    # markers of two branches turn back and forth between them
    step = np.sign(np.diff(ys))
    step = step[step != 0]
    turns = np.count_nonzero(step[1:] != step[:-1]) / max(1, step.size - 1)
    return bool(turns >= 0.3)


def _longest_run(flags: np.ndarray) -> int:
    if not flags.any():
        return 0
    d = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return int((ends - starts).max())


def _split_loop(
    x: np.ndarray, y: np.ndarray, thick: float, span: float, markers: bool
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], bool]:
    """Upper and lower branches of a loop, or (…, False) when the series is single-valued."""
    if markers:
        if not _scatter_is_loop(x, y):
            return (x, y), (x, y), False
        dx = np.diff(np.sort(x))
        bw = max(3.0, 2.0 * float(np.median(dx[dx > 0])) if (dx > 0).any() else 3.0)
    else:
        bw = _line_bin(span)
    lo = x.min()
    b, nb = _bins(x, bw, span)
    ymin = np.full(nb, np.inf)
    ymax = np.full(nb, -np.inf)
    np.minimum.at(ymin, b, y)
    np.maximum.at(ymax, b, y)
    present = np.isfinite(ymin)
    sep = _branch_sep(thick)
    gap = np.where(present, ymax - np.where(present, ymin, 0.0), 0.0)
    # a steep stroke fills its bin: a hole between strokes tells two values from one steep one;
    # where the spread alone says two values in most bins, that is a loop whatever the holes
    hole = gap if markers else _inner_gaps(b, y, nb)
    spread = (present & (gap > sep)).sum() / max(1, present.sum())
    two = present & (gap > sep) & ((hole > sep) | (spread >= 0.6))
    frac = two.sum() / max(1, present.sum())
    # a loop: two values in many columns, or a clearly open stretch (a peak pair on a flat base)
    wide = present & (hole > max(2.0 * sep, 8.0))
    stretch = _longest_run(wide)
    if frac < 0.3 and not (stretch >= max(5, 0.05 * present.sum()) and not markers):
        return (x, y), (x, y), False
    mid = np.where(present, 0.5 * (np.where(present, ymin, 0.0) + np.where(present, ymax, 0.0)), 0.0)
    centres = lo + (np.arange(nb) + 0.5) * bw
    idx = np.flatnonzero(two)
    midline = np.interp(centres, centres[idx], mid[idx])
    m_at = np.interp(x, centres, midline)
    dist = y - m_at
    both = ~two[b]
    up = (dist < 0) | both
    dn = (dist > 0) | both
    for outside, edge in ((b < idx[0], idx[0]), (b > idx[-1], idx[-1])):
        sel = both & outside
        if not sel.any() or gap[edge] <= 1.5 * sep:
            continue  # the branches converge there (a vertex): the single stroke is both
        # one stroke beyond where the branches stand apart: the other branch is hidden (under a
        # curve drawn later, as the shared foot of an overlay) — the stroke continues the branch
        # it meets, not both
        near = sel & (np.abs(b - edge) <= 3)
        y_near = float(np.median(y[near])) if near.any() else float(np.median(y[sel]))
        to_top = abs(y_near - ymin[edge]) < abs(y_near - ymax[edge])
        up[sel], dn[sel] = to_top, not to_top
    return (x[up], y[up]), (x[dn], y[dn]), True


def _bins(x: np.ndarray, bw: float, span: float) -> tuple[np.ndarray, int]:
    """Bin of ``bw`` columns of each point (from the leftmost), and the number of bins over ``span``."""
    nb = int(np.floor(span / bw)) + 1
    return np.minimum(((x - x.min()) / bw).astype(np.int64), nb - 1), nb


def _line_bin(span: float) -> float:
    """Width (columns) of the bins a line series' loop test reads: a 120th of its span, at least 3."""
    return max(3.0, span / 120.0)


def _branch_sep(thick: float) -> float:
    """Least vertical spread (px) of a bin's points that shows two strokes of width ``thick``."""
    return min(3.0 * thick + 2.0, thick + 8.0)


def _inner_gaps(b: np.ndarray, y: np.ndarray, nb: int) -> np.ndarray:
    """Per bin, the largest empty vertical stretch between its points (0 for one stroke)."""
    o = np.lexsort((y, b))
    bs, ys = b[o], y[o]
    gaps = np.zeros(nb)
    if ys.size > 1:
        same = bs[1:] == bs[:-1]
        np.maximum.at(gaps, bs[1:][same], np.diff(ys)[same])
    return gaps


def _column_groups(x: np.ndarray, y: np.ndarray, thick: float) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """Per pixel column, the y values split into separate strokes (groups), top to bottom."""
    xi = np.round(x).astype(np.int64)
    order = np.lexsort((y, xi))
    y, xi = y[order], xi[order]
    new_col = np.concatenate([[True], xi[1:] != xi[:-1]])
    new_grp = new_col | np.concatenate([[False], np.diff(y) > 1.5 + thick])
    gstart = np.flatnonzero(new_grp)
    gend = np.append(gstart[1:], y.size)
    cstart = np.flatnonzero(new_col)
    cols = xi[cstart]
    # groups per column: group k belongs to column col_of[k]
    col_of = np.searchsorted(cstart, gstart, side="right") - 1
    bounds = np.searchsorted(col_of, np.arange(cols.size + 1))
    groups = [[y[gstart[k] : gend[k]] for k in range(bounds[c], bounds[c + 1])] for c in range(cols.size)]
    return cols, groups


def _gap(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two intervals (0 when they overlap)."""
    lo_a, hi_a = min(a), max(a)
    lo_b, hi_b = min(b), max(b)
    return max(0.0, lo_a - hi_b, lo_b - hi_a)


def _resume_after(thick: float) -> int:
    """Columns a stroke must run on, far from where the trace was last, before the trace follows it:
    longer than a tick mark, a stray mark or a letter, shorter than a curve coming out from under
    another curve (or from under the legend) at a different height from where it went in."""
    return int(max(12.0, 3.0 * thick))


class _Away:
    """Skips strokes far from the trace (ticks, stray marks), unless they keep going: a stroke
    that runs on continuously for :func:`_resume_after` columns is the trace itself, re-emerging
    where it was hidden, and the trace jumps to it instead of staying lost for the rest of the plot."""

    def __init__(self, far: float, resume: int) -> None:
        self.far, self.resume = far, resume
        self.run = 0
        self.last: tuple[float, float] | None = None

    def skip(self, ends: list[tuple[float, float]], span: tuple[float, float]) -> bool:
        if min(_gap(e, span) for e in ends) <= self.far:
            self.run, self.last = 0, None
            return False
        here = min(ends, key=lambda e: _gap(e, self.last)) if self.last is not None else ends[0]
        if self.last is not None and _gap(here, self.last) <= max(3.0, 0.25 * self.far):
            self.run += 1
        else:
            self.run = 1
        self.last = here
        if self.run >= self.resume:
            self.run, self.last = 0, None
            return False
        return True


def sub_branches(x: np.ndarray, y: np.ndarray, thick: float, *, outer_first: str) -> list[np.ndarray]:
    """One loop branch split into the overlaid cycles that run along it.

    The number of strokes most columns hold is the number of cycles; each column's strokes are
    ranked from the outside of the loop (``outer_first`` "top" for the upper branch) and followed
    by continuity where strokes merge or split.  A single steep stroke keeps all its points.
    Returns (n, 2) arrays ordered along x, outermost first.
    """
    if x.size == 0:
        return [np.empty((0, 2))]
    cols, groups = _column_groups(x, y, thick)
    counts = np.array([len(g) for g in groups])
    k = int(np.bincount(counts).argmax())
    k = max(1, min(k, 6))
    if outer_first == "bottom":
        groups = [g[::-1] for g in groups]
    span_y = float(np.ptp(y)) if y.size else 1.0
    far = max(6.0 * thick, 0.12 * span_y)
    xs_out: list[list[np.ndarray]] = [[] for _ in range(k)]
    ys_out: list[list[np.ndarray]] = [[] for _ in range(k)]
    last: list[float | None] = [None] * k
    span: tuple[float, float] | None = None  # the previous stroke's extent (a spike's whole run)
    away = _Away(far, _resume_after(thick))
    for c, gs in zip(cols, groups, strict=True):
        ends = [(float(g[0]), float(g[-1])) for g in gs]
        if k == 1 and span is not None and away.skip(ends, span):
            continue
        if len(gs) == k:
            pick = list(range(k))
        else:
            pick = []
            for j in range(k):
                ref = last[j] if last[j] is not None else 0.5 * sum(ends[min(j, len(gs) - 1)])
                pick.append(
                    min(range(len(gs)), key=lambda q: min(abs(ends[q][0] - ref), abs(ends[q][1] - ref)))
                )
        for j in range(k):
            g = gs[pick[j]]
            if g.size > 1 and k == 1:
                pts = g if (last[j] is None or abs(g[0] - last[j]) <= abs(g[-1] - last[j])) else g[::-1]
            else:
                pts = np.array([0.5 * (g[0] + g[-1]) if g.size > 2 else float(g.mean())])
            xs_out[j].append(np.full(pts.size, float(c)))
            ys_out[j].append(pts)
            last[j] = float(pts[-1])
            if j == 0:
                span = (float(pts.min()), float(pts.max()))
    return [
        np.column_stack([np.concatenate(xs_out[j]), np.concatenate(ys_out[j])])
        if xs_out[j]
        else np.empty((0, 2))
        for j in range(k)
    ]


def _single_valued(x: np.ndarray, y: np.ndarray, thick: float, *, markers: bool = False) -> np.ndarray:
    """A single trace: per column the value continuing the trace (closest to the previous one);
    steep runs keep all their points."""
    xi = np.round(x).astype(np.int64)
    order = np.lexsort((y, xi))
    x, y, xi = x[order], y[order], xi[order]
    cols, start = np.unique(xi, return_index=True)
    ends = np.append(start[1:], xi.size)
    # group the values of each column into clusters (separate strokes) and follow one of them
    span_y = float(np.ptp(y)) if y.size else 1.0
    first = xi <= cols[0] + max(3, (cols[-1] - cols[0]) // 20)
    start_y = float(np.median(y[first]))
    out: list[np.ndarray] = []
    prev: float | None = None
    prev_span = (0.0, 0.0)
    away = _Away(max(6.0 * thick, 0.12 * span_y), _resume_after(thick))
    for c, a, b in zip(cols, start, ends, strict=True):
        seg = y[a:b]
        groups = np.split(seg, np.flatnonzero(np.diff(seg) > 1.5 + thick) + 1)
        if prev is None:
            g = min(groups, key=lambda gg: abs(float(np.median(gg)) - start_y))
        else:
            g = min(groups, key=lambda gg: _gap((gg[0], gg[-1]), prev_span))
            if not markers and away.skip([(float(g[0]), float(g[-1]))], prev_span):
                continue
        if g.size > 1 and prev is not None and abs(g[-1] - prev) < abs(g[0] - prev):
            g = g[::-1]
        out.append(np.column_stack([np.full(g.size, float(c)), g]))
        prev = float(g[-1])
        prev_span = (float(g.min()), float(g.max()))
    return np.concatenate(out)


def split_stacked(series: Series, trace: Trace, strength: np.ndarray, n: int) -> list[Trace] | None:
    """``n`` curves of one colour (a monochrome concentration or scan-rate series) told apart by
    their order from top to bottom: columns showing every stroke apart (``n`` for single-valued
    curves, ``2n`` for nested loops) anchor each stroke, and where curves run together (a shared
    flat baseline) or one hides under another, every curve follows the stroke nearest its
    interpolated path — a hidden curve still lies there.  Dashed, dotted and dash-dotted strokes
    show every stroke apart in too few columns: their gaps are then bridged (:func:`_bridge_dashes`)
    to find the anchors, and the points are still taken from the ink itself.  The curves come back
    in rising amplitude (blank first).  None when too few columns show them apart."""
    if n < 2 or series.markers:
        return None
    w = strength.astype(np.float64)
    runs = _column_runs(series.mask, w)
    if runs[0].size == 0:
        return None
    out = _split_runs(runs, runs, n, trace.jitter)
    if out is None:
        bridged = _bridge_dashes(series.mask, trace.thickness)
        out = _split_runs(_column_runs(bridged, np.maximum(w, 1e-3 * bridged)), runs, n, trace.jitter)
    return out


def _split_runs(
    anchor_runs: tuple[np.ndarray, ...], runs: tuple[np.ndarray, ...], n: int, jitter: float
) -> list[Trace] | None:
    """:func:`split_stacked` on column runs: ``anchor_runs`` to find the columns showing every
    stroke apart and their heights, ``runs`` (the ink) to take each curve's points from."""
    rx, top, bot, yc = anchor_runs
    xi = rx.astype(np.int64)
    counts = np.bincount(xi)
    span = float(np.ptp(rx)) + 1.0
    need = max(8.0, 0.04 * span)
    n2 = np.count_nonzero(counts == 2 * n)  # nested loops show an upper and a lower stroke each
    m = 2 * n if n2 >= need and n2 > np.count_nonzero(counts == n) else n
    full_cols = np.flatnonzero(counts == m)
    # anchors must be dense where the strokes part: dashed strokes leave columns with n strokes by
    # chance, far apart, and rank order there is no guide
    if full_cols.size < need or full_cols.size < 0.5 * (full_cols[-1] - full_cols[0] + 1):
        return None
    order = np.lexsort((yc, xi))
    xi, top, bot, yc = xi[order], top[order], bot[order], yc[order]
    starts = np.searchsorted(xi, full_cols)
    anchors = np.stack([yc[starts + k] for k in range(m)])  # (m, columns) top to bottom
    xi_a, top_a, bot_a = xi, top, bot
    rx, top, bot, _ = runs
    order = np.lexsort((top, rx))
    xi, top, bot = rx[order].astype(np.int64), top[order], bot[order]
    in_full = np.isin(xi, full_cols)
    thick = max(1.0, float(np.median((bot - top + 1)[in_full]))) if in_full.any() else 1.0
    cols, first = np.unique(xi, return_index=True)
    last = np.append(first[1:], xi.size)
    inside = (cols >= full_cols[0]) & (cols <= full_cols[-1])
    layers = [
        _layer(np.interp(cols, full_cols, anchors[k]), inside, cols, first, last, top, bot, thick)
        for k in range(m)
    ]
    if anchor_runs is not runs:  # columns where a dash's gap left the ink no point: the bridged strokes
        acols, afirst = np.unique(xi_a, return_index=True)
        alast = np.append(afirst[1:], xi_a.size)
        ain = (acols >= full_cols[0]) & (acols <= full_cols[-1])
        for k in range(m):
            path = np.interp(acols, full_cols, anchors[k])
            alt = _layer(path, ain, acols, afirst, alast, top_a, bot_a, thick, merged=False)
            alt = alt[~np.isin(alt[:, 0], layers[k][:, 0])]
            both = np.concatenate([layers[k], alt])
            layers[k] = both[np.argsort(both[:, 0], kind="stable")]
    if any(lay.shape[0] < 3 for lay in layers):
        return None
    if m == n:
        groups = [(lay,) for lay in layers]
    else:  # nested loops: the k-th upper stroke from the top pairs with the k-th lower from the bottom
        groups = [(layers[k], layers[m - 1 - k]) for k in range(n)]
    out = []
    for br in groups:
        xs = np.concatenate([b[:, 0] for b in br])
        cover = float(np.unique(xs).size / span)
        out.append(Trace(br, m != n, thick, min(1.0, cover), (float(xs.min()), float(xs.max())), jitter))
    return sorted(out, key=_amplitude)


def _bridge_dashes(mask: np.ndarray, thick: float) -> np.ndarray:
    """The mask with the gaps of dashed, dotted and dash-dotted strokes closed: a closing over a
    square a little wider than such gaps (about 1.6–1.7 stroke widths in matplotlib's and most
    programs' dash patterns), so a dashed curve counts as one stroke per column.  Strokes closer
    than that run together anyway."""
    import cv2

    k = max(3, round(2.6 * thick) | 1)
    closed = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    return closed.astype(bool)


def _layer(
    path: np.ndarray,
    inside: np.ndarray,
    cols: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    top: np.ndarray,
    bot: np.ndarray,
    thick: float,
    *,
    merged: bool = True,
) -> np.ndarray:
    """Points of one stacked stroke: per column the run its path crosses (or passes within two
    stroke widths of), at the path's height clipped into that run.  Between anchor columns
    (``inside``) the path is interpolated; beyond them the stroke is followed column by column,
    carried on along its slope over gaps.  ``merged=False`` takes no point from a run much thicker
    than a stroke (strokes bridged together, where the path's height would only be a guess)."""
    y = np.full(cols.size, np.nan)
    lo, hi = int(np.argmax(inside)), int(cols.size - 1 - np.argmax(inside[::-1]))

    def pick(i: int, p: float, tol: float) -> float | None:
        a, b = first[i], last[i]
        gap = np.maximum(np.maximum(top[a:b] - p, p - bot[a:b]), 0.0)
        j = int(np.argmin(gap))
        if gap[j] > tol:
            return None
        t, u = top[a + j], bot[a + j]
        if u - t + 1 <= 1.5 * thick:
            return float((t + u) / 2)
        return float(np.clip(p, t, u)) if merged else None

    for i in range(lo, hi + 1):
        got = pick(i, float(path[i]), 2.0 * thick)
        if got is not None:
            y[i] = got
    for rng_ in (range(hi + 1, cols.size), range(lo - 1, -1, -1)):
        at = hi if rng_.start > hi else lo
        p = float(y[at])
        if np.isnan(p):
            p = float(path[at])
        # the stroke's course carried on over a dash's gap: the slope of the last few points
        seen = [(float(cols[at]), p)]
        for i in rng_:
            x_last, y_last = seen[-1]
            slope = 0.0
            if len(seen) >= 2 and x_last != seen[0][0]:
                slope = (y_last - seen[0][1]) / (x_last - seen[0][0])
            gap = abs(float(cols[i]) - x_last)
            pred = y_last + slope * (float(cols[i]) - x_last) if gap > 1 else y_last
            got = pick(i, pred, 3.0 * thick)
            if got is not None:
                y[i] = got
                seen = [*seen[-3:], (float(cols[i]), got)]
    ok = ~np.isnan(y)
    return np.column_stack([cols[ok].astype(np.float64), y[ok]])


def _amplitude(trace: Trace) -> float:
    y = np.concatenate([b[:, 1] for b in trace.branches])
    return float(np.ptp(y)) if trace.loop else float(np.max(np.abs(y - np.median(y))))

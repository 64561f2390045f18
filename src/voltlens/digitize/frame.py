"""The plot area: long straight lines (spines, gridlines), the axes box and, for skewed images,
the homography that makes the box axis-aligned again.

Lines are found on the ink mask: a short directional opening keeps stroke pixels that run roughly
horizontally (or vertically), a shear search finds the dominant angle (rotated scans and photos),
and each peak of the sheared projection is refined into a straight line with its own angle and
extent (so the four sides of a box seen in perspective are fitted separately).  The box is the
family of lines sharing the longest extent: spines and gridlines are clipped to the axes, curves
are not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Box", "Line", "find_box", "find_lines", "rectifying_homography"]

_MAX_TILT_DEG = 6.0


@dataclass(frozen=True, slots=True)
class Line:
    """A straight stroke: ``across = slope·along + offset`` (for a horizontal line along = x,
    across = y), drawn from ``start`` to ``end`` along it, ``thickness`` px, ``fill`` the inked
    fraction of its extent."""

    horizontal: bool
    slope: float
    offset: float
    start: float
    end: float
    thickness: float
    fill: float

    @property
    def length(self) -> float:
        return self.end - self.start

    def at(self, along: float) -> float:
        return self.slope * along + self.offset

    @property
    def middle(self) -> float:
        return self.at(0.5 * (self.start + self.end))

    def angle_deg(self) -> float:
        return float(np.degrees(np.arctan(self.slope)))


@dataclass(frozen=True, slots=True)
class Box:
    """The axes box in pixel coordinates (edges at the spine centres) and the lines found on each
    side (``None`` where that side has no spine).  ``exact`` says which edges come from a line."""

    left: float
    top: float
    right: float
    bottom: float
    lines: dict
    exact: str  # subset of "lbrt"

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _oriented_points(mask: np.ndarray, horizontal: bool, k: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    m = mask.astype(np.uint8)
    shape = (k, 1) if horizontal else (1, k)
    opened = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, shape))
    ys, xs = np.nonzero(opened)
    if horizontal:
        return xs.astype(np.float64), ys.astype(np.float64)
    return ys.astype(np.float64), xs.astype(np.float64)


def _best_angle(along: np.ndarray, across: np.ndarray, span: int) -> float:
    if along.size < 20:
        return 0.0
    if along.size > 60000:
        step = along.size // 60000 + 1
        along, across = along[::step], across[::step]
    best, best_t = -1.0, 0.0
    for coarse in (np.radians(np.arange(-_MAX_TILT_DEG, _MAX_TILT_DEG + 1e-9, 0.25)),):
        for t in coarse:
            proj = np.rint(across - along * np.tan(t)).astype(np.int64)
            proj -= proj.min()
            counts = np.bincount(proj)
            score = float(np.dot(counts, counts))
            if score > best:
                best, best_t = score, float(t)
    fine = best_t + np.radians(np.arange(-0.25, 0.2501, 0.02))
    for t in fine:
        proj = np.rint(across - along * np.tan(t)).astype(np.int64)
        proj -= proj.min()
        counts = np.bincount(proj)
        score = float(np.dot(counts, counts))
        if score > best:
            best, best_t = score, float(t)
    return best_t


def find_lines(
    mask: np.ndarray,
    *,
    horizontal: bool,
    min_length: float,
    weights: np.ndarray | None = None,
    angle: float | None = None,
) -> list[Line]:
    """Straight lines at least ``min_length`` px long, roughly horizontal (or vertical)."""
    k = 15
    along, across = _oriented_points(mask, horizontal, k)
    if along.size < min_length:
        return []
    t = _best_angle(along, across, 0) if angle is None else angle
    tan = np.tan(t)
    proj = across - along * tan
    lo = np.floor(proj.min())
    idx = np.rint(proj - lo).astype(np.int64)
    counts = np.bincount(idx).astype(np.float64)
    smooth = np.convolve(counts, np.ones(3), mode="same")
    cand = np.flatnonzero(
        (smooth >= min_length * 0.5)
        & (smooth >= np.roll(smooth, 1))
        & (smooth >= np.roll(smooth, -1))
    )
    lines: list[Line] = []
    used = np.zeros(smooth.size, dtype=bool)
    for c in cand[np.argsort(-smooth[cand])]:
        if used[max(0, c - 2) : c + 3].any():
            continue
        sel = np.abs(idx - c) <= 2
        a, b = along[sel], across[sel]
        if a.size < 10:
            continue
        line = _fit_line(a, b, tan, horizontal, min_length)
        if line is not None:
            lines.append(line)
            used[max(0, c - 2) : c + 3] = True
    lines.sort(key=lambda ln: ln.middle)
    return _dedupe(lines)


def _fit_line(a: np.ndarray, b: np.ndarray, tan: float, horizontal: bool, min_length: float) -> Line | None:
    slope, offset = tan, float(np.median(b - tan * a))
    for _ in range(2):
        r = b - (slope * a + offset)
        keep = np.abs(r) <= 1.6
        if keep.sum() < 10:
            return None
        aa, bb = a[keep], b[keep]
        if np.ptp(aa) > 10:
            slope, offset = np.polyfit(aa, bb, 1)
    r = b - (slope * a + offset)
    keep = np.abs(r) <= 1.6
    aa = np.sort(a[keep])
    if aa.size < 10:
        return None
    cols = np.unique(np.rint(aa))
    gaps = np.flatnonzero(np.diff(cols) > 6)
    starts = np.concatenate([[0], gaps + 1])
    ends = np.concatenate([gaps, [cols.size - 1]])
    best = int(np.argmax(cols[ends] - cols[starts]))
    # join runs separated by small gaps into the longest dashed/solid extent
    s, e = cols[starts[best]], cols[ends[best]]
    length = e - s + 1
    if length < min_length:
        return None
    inside = (cols >= s) & (cols <= e)
    fill = float(inside.sum()) / length
    n_px = float(((aa >= s - 0.5) & (aa <= e + 0.5)).sum())
    thickness = n_px / max(1.0, float(inside.sum()))
    return Line(horizontal, float(slope), float(offset), float(s), float(e), thickness, fill)


def _dedupe(lines: list[Line]) -> list[Line]:
    out: list[Line] = []
    for ln in lines:
        if out and abs(out[-1].middle - ln.middle) < 2.0 and _overlap(out[-1], ln) > 0.5:
            if ln.length > out[-1].length:
                out[-1] = ln
            continue
        out.append(ln)
    return out


def _overlap(a: Line, b: Line) -> float:
    lo, hi = max(a.start, b.start), min(a.end, b.end)
    return max(0.0, hi - lo) / max(1.0, min(a.length, b.length))


def _family(lines: list[Line], tol: float) -> tuple[float, float, list[Line]] | None:
    """The extent (start, end) shared by the longest lines, and the lines that share it."""
    if not lines:
        return None
    longest = max(ln.length for ln in lines)
    big = [ln for ln in lines if ln.length >= 0.85 * longest and ln.fill >= 0.3]
    if not big:
        return None
    start = float(np.median([ln.start for ln in big]))
    end = float(np.median([ln.end for ln in big]))
    fam = [ln for ln in lines if abs(ln.start - start) <= tol and abs(ln.end - end) <= tol]
    return start, end, fam


def find_box(mask: np.ndarray) -> Box | None:
    """The axes box of an axis-aligned plot image, or None when no long lines frame it."""
    h, w = mask.shape
    hl = [ln for ln in find_lines(mask, horizontal=True, min_length=0.18 * w, angle=0.0)]
    vl = [ln for ln in find_lines(mask, horizontal=False, min_length=0.15 * h, angle=0.0)]
    return box_from_lines(hl, vl, w, h)


def box_from_lines(hl: list[Line], vl: list[Line], w: int, h: int) -> Box | None:
    tol = max(4.0, 0.006 * max(w, h))
    hf = _family(hl, tol)
    vf = _family(vl, tol)
    if hf is None and vf is None:
        return None
    lines: dict = {"l": None, "r": None, "t": None, "b": None}
    exact = ""
    if hf is not None:
        x0, x1, hfam = hf
        top_line, bottom_line = hfam[0], hfam[-1]
        y0, y1 = top_line.middle, bottom_line.middle
    if vf is not None:
        vy0, vy1, vfam = vf
        left_line, right_line = vfam[0], vfam[-1]
        if hf is None:
            x0, x1 = left_line.middle, right_line.middle
            y0, y1 = vy0, vy1
        else:
            # the vertical family's extent is the box's height; its outer lines may be spines
            y0, y1 = min(y0, vy0), max(y1, vy1)
            x0, x1 = min(x0, left_line.middle), max(x1, right_line.middle)
    if hf is not None:
        for ln in hfam:
            if abs(ln.middle - y1) <= 2.5:
                lines["b"] = ln
            if abs(ln.middle - y0) <= 2.5:
                lines["t"] = ln
    if vf is not None:
        for ln in vfam:
            if abs(ln.middle - x0) <= 2.5:
                lines["l"] = ln
            if abs(ln.middle - x1) <= 2.5:
                lines["r"] = ln
    exact = "".join(s for s in "lbrt" if lines[s] is not None)
    if hf is not None and vf is not None:
        exact = "lbrt"  # extents of one family fix the other's edges exactly
    elif hf is not None:
        exact = "".join(s for s in "lr") + exact.replace("l", "").replace("r", "")
    elif vf is not None:
        exact = "".join(s for s in "bt") + exact.replace("b", "").replace("t", "")
    if x1 - x0 < 0.12 * w or y1 - y0 < 0.1 * h:
        if hf is not None and vf is None:
            pass  # a single family: height unknown
        else:
            return None
    return Box(float(x0), float(y0), float(x1), float(y1), lines, "".join(sorted(set(exact), key="lbrt".index)))


def rectifying_homography(mask: np.ndarray) -> np.ndarray | None:
    """A 3×3 homography that maps the image so the plot's frame lines become axis-aligned, or None
    when they already are (within 0.06°)."""
    h, w = mask.shape
    hl = find_lines(mask, horizontal=True, min_length=0.2 * w)
    vl = find_lines(mask, horizontal=False, min_length=0.15 * h)
    long_h = [ln for ln in hl if ln.length >= 0.5 * max((x.length for x in hl), default=0)]
    long_v = [ln for ln in vl if ln.length >= 0.5 * max((x.length for x in vl), default=0)]
    tilts = [abs(ln.angle_deg()) for ln in long_h + long_v]
    if not tilts or max(tilts) < 0.06:
        return None
    box_src = _quad(hl, vl, w, h)
    if box_src is None:
        return None
    src = np.asarray(box_src, dtype=np.float64)
    wt = 0.5 * (np.hypot(*(src[1] - src[0])) + np.hypot(*(src[2] - src[3])))
    ht = 0.5 * (np.hypot(*(src[3] - src[0])) + np.hypot(*(src[2] - src[1])))
    cx, cy = src.mean(axis=0)
    dst = np.array(
        [[cx - wt / 2, cy - ht / 2], [cx + wt / 2, cy - ht / 2], [cx + wt / 2, cy + ht / 2], [cx - wt / 2, cy + ht / 2]]
    )
    return _homography(src, dst)


def _intersect(hline: Line, vline: Line) -> tuple[float, float]:
    # y = a x + b ; x = c y + d
    a, b, c, d = hline.slope, hline.offset, vline.slope, vline.offset
    x = (c * b + d) / (1 - a * c)
    return x, a * x + b


def _quad(hl: list[Line], vl: list[Line], w: int, h: int) -> list[tuple[float, float]] | None:
    """Corners (tl, tr, br, bl) of the frame in the skewed image."""
    tol = max(6.0, 0.015 * max(w, h))
    hf = _family(hl, tol)
    vf = _family(vl, tol)
    if hf is not None and vf is not None and len(hf[2]) >= 1 and len(vf[2]) >= 1:
        top, bottom = hf[2][0], hf[2][-1]
        left, right = vf[2][0], vf[2][-1]
        if bottom.middle - top.middle > 0.1 * h and right.middle - left.middle > 0.1 * w:
            return [_intersect(top, left), _intersect(top, right), _intersect(bottom, right), _intersect(bottom, left)]
        if bottom.middle - top.middle <= 0.1 * h:  # one horizontal line (bottom spine) + verticals
            bl, br = _intersect(bottom, left), _intersect(bottom, right)
            tl = (left.at(left.start), left.start)
            tr = (right.at(right.start), right.start)
            return [tl, tr, br, bl]
        top_l = (top.start, top.at(top.start))
        bot_l = (bottom.start, bottom.at(bottom.start))
        return [top_l, (top.end, top.at(top.end)), (bottom.end, bottom.at(bottom.end)), bot_l]
    if hf is not None and len(hf[2]) >= 2:
        top, bottom = hf[2][0], hf[2][-1]
        return [
            (top.start, top.at(top.start)),
            (top.end, top.at(top.end)),
            (bottom.end, bottom.at(bottom.end)),
            (bottom.start, bottom.at(bottom.start)),
        ]
    if vf is not None and len(vf[2]) >= 2:
        left, right = vf[2][0], vf[2][-1]
        return [
            (left.at(left.start), left.start),
            (right.at(right.start), right.start),
            (right.at(right.end), right.end),
            (left.at(left.end), left.end),
        ]
    lines = [ln for ln in hl + vl if ln.length > 0.3 * min(w, h)]
    if not lines:
        return None
    # rotation only: the median tilt of the long lines
    t = float(np.median([np.arctan(ln.slope) * (1 if ln.horizontal else -1) for ln in lines]))
    c, s = np.cos(t), np.sin(t)
    cx, cy = w / 2, h / 2
    corners = [(cx - w / 4, cy - h / 4), (cx + w / 4, cy - h / 4), (cx + w / 4, cy + h / 4), (cx - w / 4, cy + h / 4)]
    return [(cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c) for x, y in corners]


def _homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    a, b = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    hvec = np.linalg.solve(np.array(a, dtype=float), np.array(b, dtype=float))
    return np.append(hvec, 1.0).reshape(3, 3)

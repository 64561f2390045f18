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

__all__ = ["Box", "Evidence", "Line", "evidence_of", "find_box", "find_lines", "rectifying_homography"]

_MAX_TILT_DEG = 6.0
_TILT_STEPS_DEG = (0.0, -1.0, 1.0, -2.0, 2.0, -3.0, 3.0, -4.0, 4.0)
_TILT_SPREAD_DEG = 4.6  # how far one line's tilt may differ from the image's


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


@dataclass(frozen=True, slots=True)
class Evidence:
    """A stroke mask (:func:`line_evidence`) and the axis-aligned box found on it (None when its
    lines frame none): the rectification's fast path and the box search take it as it is, so
    the mask is searched for a frame once, not three times."""

    mask: np.ndarray
    box: Box | None

    @classmethod
    def of_mask(cls, mask: np.ndarray) -> Evidence:
        """A stroke mask as it is (a drawn one, in tests) with the axis-aligned box found on it."""
        h, w = mask.shape
        return cls(mask, _box_of(mask, w, h))


def evidence_of(strength: np.ndarray, threshold: float) -> Evidence:
    """:func:`line_evidence` with its axis-aligned box (:class:`Evidence`)."""
    mask, box = _stroke_mask(strength, threshold)
    if box is None:
        h, w = mask.shape
        box = _box_of(mask, w, h)
    return Evidence(mask, box)


def line_evidence(strength: np.ndarray, threshold: float) -> np.ndarray:
    """Where straight strokes may be: ink at a lower threshold than for curves (faint frames of
    scans and photos matter), lightly smoothed so noise does not break thin lines.

    Where that frames no box on two sides, the strength is also averaged along rows and along
    columns (an isotropic smoothing halves a one-pixel line): a pale hairline gridline keeps its
    full strength along itself while the noise is averaged down √7 times, so half the threshold
    is still well above it."""
    return _stroke_mask(strength, threshold)[0]


def _stroke_mask(strength: np.ndarray, threshold: float) -> tuple[np.ndarray, Box | None]:
    """:func:`line_evidence`'s mask, and the box it frames when that made the faint strokes
    needless (None otherwise: not looked for on the final mask)."""
    import cv2

    iso = cv2.GaussianBlur(strength, (3, 3), 0) >= threshold
    h, w = iso.shape
    framed = _box_of(iso, w, h)
    if framed is not None and _sides(framed) >= 2:
        return iso, framed  # the frame is plain to see: faint strokes would only add clutter
    inked = strength >= 0.25 * threshold  # the averages do not smear strong ink onto paper
    along_x = cv2.blur(strength, (7, 1)) >= 0.5 * threshold
    along_y = cv2.blur(strength, (1, 7)) >= 0.5 * threshold
    faint = inked & (along_x | along_y)
    # not at the image's edges, where the background estimate leaves a faint rim (scans, crops)
    faint[:3, :] = faint[-3:, :] = False
    faint[:, :3] = faint[:, -3:] = False
    return iso | faint, None


def background_edges(background: np.ndarray) -> np.ndarray:
    """Edges between background regions (a grey axes area without spines on a white figure)."""
    bg = background.astype(np.int16)
    edge = np.zeros(bg.shape[:2], dtype=bool)
    edge[:, 1:] |= np.abs(bg[:, 1:] - bg[:, :-1]).max(axis=2) >= 8
    edge[1:, :] |= np.abs(bg[1:, :] - bg[:-1, :]).max(axis=2) >= 8
    return edge


def _oriented_points(
    mask: np.ndarray, horizontal: bool, k: int, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixels of thin strokes that run roughly along the direction: a directional closing bridges
    the gaps of faint or dashed strokes, an opening keeps runs of ``k`` px, and pixels inked on both
    sides 7 px across (inside a filled or densely scribbled area) are dropped."""
    import cv2

    m = mask.astype(np.uint8)
    shape = (k, 1) if horizontal else (1, k)
    bridged = cv2.morphologyEx(
        m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 1) if horizontal else (1, 3))
    )
    opened = cv2.morphologyEx(bridged, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, shape))
    opened &= m
    d = 7
    both = np.zeros_like(m)
    if horizontal:
        both[d:-d, :] = m[: -2 * d, :] & m[2 * d :, :]
    else:
        both[:, d:-d] = m[:, : -2 * d] & m[:, 2 * d :]
    opened &= 1 - both
    ys, xs = np.nonzero(opened)
    wts = np.ones(ys.size) if weights is None else weights[ys, xs].astype(np.float64)
    if horizontal:
        return xs.astype(np.float64), ys.astype(np.float64), wts
    return ys.astype(np.float64), xs.astype(np.float64), wts


def _best_angle(along: np.ndarray, across: np.ndarray) -> float:
    if along.size < 20:
        return 0.0
    if along.size > 60000:
        step = along.size // 60000 + 1
        along, across = along[::step], across[::step]
    best, best_t = -1.0, 0.0
    coarse = np.radians(np.arange(-_MAX_TILT_DEG, _MAX_TILT_DEG + 1e-9, 0.25))
    fine_step = np.radians(np.arange(-0.25, 0.2501, 0.02))
    for grid in (coarse, None):
        ts = grid if grid is not None else best_t + fine_step
        for t in ts:
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
    """Straight lines at least ``min_length`` px long, roughly horizontal (or vertical).

    ``angle`` (radians) fixes the tilt (0 for an axis-aligned image); otherwise a global tilt
    is searched and each line then gets its own (perspective makes opposite sides differ).
    """
    along, across, wts = _oriented_points(mask, horizontal, 15, weights)
    if along.size < min_length:
        return []
    t0 = _best_angle(along, across) if angle is None else angle
    # perspective (a photo of a printout) tilts opposite sides by several degrees apart
    tilts = [t0] if angle is not None else [t0 + np.radians(d) for d in _TILT_STEPS_DEG]
    cands: list[tuple[float, float, float]] = []  # (count, tilt, offset at along=0)
    for t in tilts:
        proj = across - along * np.tan(t)
        lo = np.floor(proj.min())
        idx = np.rint(proj - lo).astype(np.int64)
        counts = np.bincount(idx).astype(np.float64)
        padded = np.pad(counts, 1)
        peaks = np.flatnonzero(
            (counts >= 0.35 * min_length) & (counts >= padded[:-2]) & (counts >= padded[2:])
        )
        cands += [(float(counts[c]), float(t), float(c + lo)) for c in peaks]
    cands.sort(key=lambda c: -c[0])
    mid = float(np.median(along))
    lines: list[Line] = []
    for _count, t, off in cands[:80]:
        pos = off + mid * np.tan(t)
        if any(abs(ln.at(mid) - pos) < 3.0 for ln in lines):
            continue
        near = np.abs(across - along * np.tan(t) - off) <= (4 if angle is not None else 8)
        a, b, w = along[near], across[near], wts[near]
        if a.size < 10:
            continue
        if angle is None:
            t = _refine_angle(a, b, t, off)
        p = b - a * np.tan(t)
        pi = np.rint(p - off).astype(np.int64)
        win = np.abs(pi) <= 6
        if win.sum() < 10:
            continue
        hist = np.bincount(pi[win] + 6, minlength=13)
        pc = off + float(np.argmax(hist) - 6)
        line = _fit_band(a, b, w, p, pc, np.tan(t), horizontal, min_length)
        if (
            line is not None
            and abs(np.arctan(line.slope) - t0) <= np.radians(_TILT_SPREAD_DEG)
            and abs(line.angle_deg()) <= 5.0
        ):
            if not any(abs(ln.at(mid) - line.at(mid)) < 2.0 for ln in lines):
                lines.append(line)
    lines = [_trim_text_ends(mask, ln) for ln in lines]
    lines = [
        ln for ln in lines if abs(np.arctan(ln.slope) - t0) <= np.radians(2.6) or _long_and_solid(ln, mask)
    ]
    lines.sort(key=lambda ln: ln.middle)
    return _dedupe(lines)


def _long_and_solid(line: Line, mask: np.ndarray) -> bool:
    """A line tilted far from the rest (perspective) counts only when long and unbroken: the
    steep straight stretch of a curve is neither."""
    extent = mask.shape[1] if line.horizontal else mask.shape[0]
    return line.length >= 0.35 * extent and line.fill >= 0.9


def _trim_text_ends(mask: np.ndarray, line: Line) -> Line:
    """The line without the text in line with its ends: tick labels centred on a gridline (Excel
    draws them so) touch it and read as part of it.  Text is ink 3–6 px above and below the
    line over many columns; a crossing spine or curve is a few columns only."""
    h, w = mask.shape
    s, e = round(line.start), round(line.end)
    if e - s < 40:
        return line
    cols = np.arange(s, e + 1)
    centre = np.rint(line.slope * cols + line.offset).astype(np.int64)
    half = max(3, round(0.5 * line.thickness) + 2)
    # both sides: text spans the line; a curve ending on it or a legend above it does not
    above = np.zeros(cols.size, dtype=bool)
    below = np.zeros(cols.size, dtype=bool)
    n_across = h if line.horizontal else w
    n_along = w if line.horizontal else h
    along = np.clip(cols, 0, n_along - 1)
    for k in (half, half + 1, half + 2):
        for sign, acc in ((1, below), (-1, above)):
            idx = np.clip(centre + sign * k, 0, n_across - 1)
            acc |= mask[idx, along] if line.horizontal else mask[along, idx]
    texty = above & below

    inked = above | below  # the line resumes where neither side has ink for 6 columns
    on_line = (
        mask[np.clip(centre, 0, n_across - 1), along]
        if line.horizontal
        else mask[along, centre.clip(0, n_across - 1)]
    )

    i0 = _text_cut(inked, texty, on_line)
    i1 = _text_cut(inked[::-1], texty[::-1], on_line[::-1])
    new_s, new_e = s + i0, e - i1
    if (new_s, new_e) == (s, e):
        return line
    return Line(
        line.horizontal, line.slope, line.offset, float(new_s), float(new_e), line.thickness, line.fill
    )


def _past_gap(i: int, row: np.ndarray) -> tuple[int, int]:
    """Past the gap between the text and the line: the text's last column may still be
    clean 3 px off the line (a round glyph's edge), so the gap is looked for a little on."""
    holes = np.flatnonzero(~row[i : i + 5])
    if holes.size == 0:
        return i, 0
    j, gap = i + int(holes[0]), 0
    while j < row.size // 3 and not row[j]:
        j, gap = j + 1, gap + 1
    return j, gap


def _text_cut(inked: np.ndarray, texty: np.ndarray, row: np.ndarray) -> int:
    """Columns of text at this end: up to the first clean run of 6 columns after which the
    line resumes, when before it many columns span the line (or a few and a gap: the last
    glyph) and the line's own row is interrupted (text, not a spine crossed by a curve); a
    spine crossing the line's end spans it over its own width only, with no gap."""
    run = 0
    for i in range(int(0.3 * inked.size)):
        run = 0 if inked[i] else run + 1
        if run != 6 or i == 5:
            continue
        c = i - 5
        if texty[c : c + 15].any():  # a flat glyph inside the text (a minus), not its end
            continue
        n = int(texty[:c].sum())
        j, gap = _past_gap(c, row)
        if (n >= 6 or (n >= 2 and gap)) and not row[:c].all():
            return j
    return 0


def _refine_angle(a: np.ndarray, b: np.ndarray, t0: float, off: float) -> float:
    """The tilt near ``t0`` that makes the line ``across = off + along·tan(t0)`` sharpest."""
    best, best_t = -1.0, t0
    mid = float(np.median(a))
    for t in t0 + np.radians(np.arange(-0.6, 0.6001, 0.03)):
        proj = b - a * np.tan(t)
        expect = off - mid * (np.tan(t) - np.tan(t0))
        sel = np.abs(proj - expect) <= 3
        if not sel.any():
            continue
        counts = np.bincount(np.rint(proj[sel] - expect + 3).astype(np.int64))
        score = float(np.dot(counts, counts))
        if score > best:
            best, best_t = score, float(t)
    return best_t


def _fit_band(
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray,
    p: np.ndarray,
    pc: float,
    tan: float,
    horizontal: bool,
    min_length: float,
) -> Line | None:
    """Fit the line whose sheared projection ``p`` peaks near ``pc``: the band of rows around the
    peak holding most of its pixels (the core of a thick line, not a curve running alongside)."""
    pi = np.rint(p - pc).astype(np.int64)
    inside = np.abs(pi) <= 12
    if inside.sum() < 10:
        return None
    hist = np.bincount(pi[inside] + 12, minlength=25).astype(np.float64)
    peak = int(np.argmax(hist))
    core = hist >= 0.45 * hist[peak]
    lo_i = hi_i = peak
    while lo_i > 0 and core[lo_i - 1]:
        lo_i -= 1
    while hi_i < 24 and core[hi_i + 1]:
        hi_i += 1
    sel = inside & (pi + 12 >= lo_i) & (pi + 12 <= hi_i)
    a, b, w = a[sel], b[sel], w[sel]
    if a.size < 10:
        return None
    cols = np.rint(a).astype(np.int64)
    c0 = cols.min()
    ci = cols - c0
    n = ci.max() + 1
    wsum = np.bincount(ci, weights=w, minlength=n)
    bsum = np.bincount(ci, weights=w * b, minlength=n)
    present = wsum > 0
    ucols = np.flatnonzero(present)
    centre = bsum[present] / wsum[present]
    gaps = np.flatnonzero(np.diff(ucols) > 4)
    starts = list(np.concatenate([[0], gaps + 1]))
    ends = list(np.concatenate([gaps, [ucols.size - 1]]))
    # solid pieces split by a crossing line (a gap of a few pixels) are one line; a sparse piece
    # (the text of a tick label in line with a gridline) is not joined
    k = 0
    while k + 1 < len(starts):
        gap = ucols[starts[k + 1]] - ucols[ends[k]]

        def solid(i: int) -> bool:
            n = ends[i] - starts[i] + 1
            return n >= 8 and n / (ucols[ends[i]] - ucols[starts[i]] + 1) >= 0.9

        if gap <= 9 and solid(k) and solid(k + 1):
            ends[k] = ends[k + 1]
            del starts[k + 1], ends[k + 1]
        else:
            k += 1
    starts_a, ends_a = np.array(starts), np.array(ends)
    starts_a, ends_a = _join_periodic(ucols, starts_a, ends_a)
    starts_a, ends_a = _join_long_runs(ucols, starts_a, ends_a)
    best = int(np.argmax(ucols[ends_a] - ucols[starts_a]))
    s_i, e_i = starts_a[best], ends_a[best]
    # trim sparse ends (a tick label or legend text touching the line's row is not the line)
    seg = ucols[s_i : e_i + 1]
    if seg.size > 30:
        cover = np.zeros(seg[-1] - seg[0] + 1)
        cover[seg - seg[0]] = 1.0
        local = np.convolve(cover, np.ones(15) / 15.0, mode="same")
        level = float(np.median(local))
        dense = np.flatnonzero(local >= 0.75 * level)
        if dense.size:
            lo_c, hi_c = seg[0] + dense[0], seg[0] + dense[-1]
            lo_c, hi_c = _ends_within(seg, lo_c, hi_c, 7)
            keep = (seg >= lo_c) & (seg <= hi_c)
            idx = np.flatnonzero(keep)
            s_i, e_i = s_i + idx[0], s_i + idx[-1]
    s, e = ucols[s_i] + c0, ucols[e_i] + c0
    length = float(e - s + 1)
    if length < min_length:
        return None
    xs = (ucols[s_i : e_i + 1] + c0).astype(np.float64)
    ys = centre[s_i : e_i + 1]
    ws = wsum[present][s_i : e_i + 1]
    slope, offset = tan, float(np.average(ys - tan * xs, weights=ws))
    if xs.size >= 10 and np.ptp(xs) > 10:
        for tol in (2.0, 1.0, 0.5):
            r = ys - (slope * xs + offset)
            keep = np.abs(r) <= max(tol, 2.0 * float(np.median(np.abs(r))))
            if keep.sum() < max(10, 0.3 * xs.size):
                break
            slope, offset = np.polyfit(xs[keep], ys[keep], 1, w=np.sqrt(ws[keep]))
    r = ys - (slope * xs + offset)
    if float(np.sqrt(np.average(r**2, weights=ws))) > 1.2:
        return None  # not straight: a curve, a text baseline
    fill = xs.size / length
    thickness = float(np.sum((a >= s - 0.5) & (a <= e + 0.5))) / max(1, xs.size)
    return Line(horizontal, float(slope), float(offset), float(s), float(e), max(thickness, 1.0), float(fill))


def _ends_within(seg: np.ndarray, lo: int, hi: int, slack: int) -> tuple[int, int]:
    """The dense core ``lo..hi`` of a line's columns ``seg`` (sorted) grown back by up to
    ``slack`` px at each end (the density window erodes the ends).  A solid core grows only
    through unbroken ink: a glyph a few px past the end of a spine (an offset text "×10⁻⁵" set
    on top of the left spine) is not the line."""
    inner = seg[(seg >= lo) & (seg <= hi)]
    if inner.size < 0.9 * (hi - lo + 1):  # dashed or broken: its ends lie a gap apart
        return lo - slack, hi + slack
    i, j = int(np.searchsorted(seg, lo)), int(np.searchsorted(seg, hi, side="right")) - 1
    while i > 0 and seg[i - 1] >= seg[i] - 2 and seg[i - 1] >= lo - slack:
        i -= 1
    while j < seg.size - 1 and seg[j + 1] <= seg[j] + 2 and seg[j + 1] <= hi + slack:
        j += 1
    return int(seg[i]), int(seg[j])


def _join_periodic(ucols: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join the pieces of a dotted or dashed line: ten or more pieces with regular lengths and
    gaps (text is not that regular)."""
    n = starts.size
    if n < 10:
        return starts, ends
    lengths = (ucols[ends] - ucols[starts] + 1).astype(float)
    gaps = (ucols[starts[1:]] - ucols[ends[:-1]]).astype(float)
    regular_gap = (np.abs(gaps - np.median(gaps)) <= max(1.5, 0.35 * np.median(gaps))) & (gaps <= 30)
    regular_len = np.abs(lengths - np.median(lengths)) <= max(1.5, 0.5 * np.median(lengths))
    ok = regular_gap & regular_len[:-1] & regular_len[1:]
    out_s, out_e = [int(starts[0])], [int(ends[0])]
    for k in range(1, n):
        if ok[k - 1]:
            out_e[-1] = int(ends[k])
        else:
            out_s.append(int(starts[k]))
            out_e.append(int(ends[k]))
    return np.array(out_s), np.array(out_e)


def _join_long_runs(ucols: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join long solid runs of one line separated by a gap of up to 24 px: where a bundle of
    curves crosses a gridline its pixels are dropped (inked on both sides) and leave a hole.
    Text in line with a line is not joined (its runs are short or sparse)."""

    def solid(s_i: int, e_i: int) -> bool:
        span = ucols[e_i] - ucols[s_i] + 1
        return span >= 40 and (e_i - s_i + 1) / span >= 0.6  # dotted lines after bridging: ~0.7

    out_s, out_e = [int(starts[0])], [int(ends[0])]
    for k in range(1, starts.size):
        gap = ucols[starts[k]] - ucols[out_e[-1]]
        if gap <= 24 and solid(out_s[-1], out_e[-1]) and solid(int(starts[k]), int(ends[k])):
            out_e[-1] = int(ends[k])
        else:
            out_s.append(int(starts[k]))
            out_e.append(int(ends[k]))
    return np.array(out_s), np.array(out_e)


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
    if not fam and len(big) >= 3:
        # some long lines are broken short of one end (curves cross them): the extent shared by
        # the most of them, not the median of all
        def shared(vals: list[float]) -> float:
            counts = [sum(abs(v - u) <= tol for u in vals) for v in vals]
            return vals[int(np.argmax(counts))]

        start = shared([ln.start for ln in big])
        end = shared([ln.end for ln in big])
        fam = [ln for ln in lines if abs(ln.start - start) <= tol and abs(ln.end - end) <= tol]
    if not fam:
        return None
    # thin gridlines broken by curves keep one end of the shared extent
    broken = [
        ln
        for ln in lines
        if ln not in fam
        and ln.thickness <= 2.5
        and ln.length >= 0.35 * (end - start)
        and ln.start >= start - tol
        and ln.end <= end + tol
        and (abs(ln.start - start) <= tol or abs(ln.end - end) <= tol)
    ]
    # (a family of gridlines: one thicker line among them is an axis drawn at zero, Excel-style)
    if broken and sum(ln.thickness <= 2.5 for ln in fam) >= max(1, len(fam) - 1):
        fam = sorted(fam + broken, key=lambda ln: ln.middle)
    return start, end, fam


def find_box(evidence: Evidence, background: np.ndarray | None = None) -> Box | None:
    """The axes box of an axis-aligned plot image, or None when no long lines frame it.

    ``evidence`` is the stroke mask with the box found on it (:func:`evidence_of`); when it
    frames no box on at least two sides, the edges of the background regions (``background``)
    are tried: a grey axes area without spines (ggplot) is bounded by them.
    """
    mask, box = evidence.mask, evidence.box
    h, w = mask.shape
    if box is not None:
        box = _inner_frame(mask, box) or box
    if background is not None and (box is None or _sides(box) < 2):
        alt = _box_of(background_edges(background), w, h)
        if alt is not None and (box is None or _sides(alt) > _sides(box)):
            box = alt
    return box


def _inner_frame(evidence: np.ndarray, outer: Box, *, tilted: bool = False) -> Box | None:
    """A frame standing free inside the box found (the box is then the sheet of paper of a photo,
    or a chart's border): framed on three sides or more, its lines stopping short of the outer
    box (gridlines run across to it) and leaving room for tick labels to its left and below.
    ``tilted``: the lines may be tilted (a skewed photo, before rectification)."""
    h, w = evidence.shape
    x0, y0 = max(0, round(outer.left) + 2), max(0, round(outer.top) + 2)
    x1, y1 = min(w, round(outer.right) - 1), min(h, round(outer.bottom) - 1)
    if x1 - x0 < 0.3 * w or y1 - y0 < 0.3 * h:
        return None
    sub = without_lines(evidence, outer)[y0:y1, x0:x1]
    sw, sh = x1 - x0, y1 - y0
    if tilted:
        hl = find_lines(sub, horizontal=True, min_length=0.2 * sw)
        vl = find_lines(sub, horizontal=False, min_length=0.15 * sh)
        inner = box_from_lines(hl, vl, sw, sh)
    else:
        inner = _box_of(sub, sw, sh)
    if inner is None or _sides(inner) < 3 or inner.width * inner.height < 0.25 * sw * sh:
        return None
    if sum(ln.fill >= 0.85 for ln in inner.lines.values() if ln is not None) < 2:
        return None  # dashed gridlines (cut short where they cross each other), not a frame
    if (
        inner.left + x0 - outer.left < 0.05 * outer.width
        or outer.bottom - inner.bottom - y0 < 0.05 * outer.height
    ):
        return None  # no room for the tick labels
    clear = 0.02 * max(sw, sh)
    for ln in inner.lines.values():
        if ln is None:
            continue
        if (ln.horizontal and ln.start < inner.left - clear) or (
            not ln.horizontal and ln.end > inner.bottom + clear
        ):
            return None  # runs on through the labels' margin to the outer box: gridlines
    lines = {k: (None if ln is None else _shifted(ln, x0, y0)) for k, ln in inner.lines.items()}
    return Box(inner.left + x0, inner.top + y0, inner.right + x0, inner.bottom + y0, lines, inner.exact)


def without_lines(mask: np.ndarray, box: Box, *, pad: int = 3) -> np.ndarray:
    """The mask with the box's own lines wiped out (``pad`` px beyond their half thickness)."""
    out = mask.copy()
    h, w = mask.shape
    for ln in box.lines.values():
        if ln is None:
            continue
        along = np.arange(max(0, int(ln.start) - 3), min(w if ln.horizontal else h, int(ln.end) + 4))
        half = int(np.ceil(0.5 * ln.thickness)) + pad
        centre = np.rint(ln.slope * along + ln.offset).astype(np.int64)
        for k in range(-half, half + 1):
            across = centre + k
            ok = (across >= 0) & (across < (h if ln.horizontal else w))
            if ln.horizontal:
                out[across[ok], along[ok]] = False
            else:
                out[along[ok], across[ok]] = False
    return out


def _shifted(line: Line, dx: float, dy: float) -> Line:
    """The line moved by (dx, dy) px."""
    along, across = (dx, dy) if line.horizontal else (dy, dx)
    # across = slope · along + offset, in the new coordinates
    offset = line.offset + across - line.slope * along
    return Line(
        line.horizontal, line.slope, offset, line.start + along, line.end + along, line.thickness, line.fill
    )


def box_from_fill(img: np.ndarray) -> Box | None:
    """The axes box as a filled rectangle of its own colour (a grey ggplot panel without
    spines): the rows and columns mostly of the centre's colour, when it differs from the border's."""
    h, w = img.shape[:2]
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]]).astype(np.int16)
    b_col = np.median(border, axis=0)
    centre = img[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].reshape(-1, 3).astype(np.int16)
    q = (centre // 4).astype(np.int64)  # 64 levels a channel: the commonest colour, by packed keys
    counts = np.bincount(q[:, 0] * 4096 + q[:, 1] * 64 + q[:, 2], minlength=64**3)
    key = int(np.argmax(counts))
    c_col = np.array([key // 4096, (key // 64) % 64, key % 64], dtype=np.int16) * 4 + 2
    if np.abs(c_col - b_col).max() < 8:
        return None
    same = np.abs(img.astype(np.int16) - c_col).max(axis=2) <= 6
    rows = same.mean(axis=1)
    cols = same.mean(axis=0)
    # curves crossing the panel (noisy overlays) cover much of some rows: a low bar
    r_in = np.flatnonzero(rows >= 0.2 * rows.max())
    c_in = np.flatnonzero(cols >= 0.2 * cols.max())
    if r_in.size < 0.2 * h or c_in.size < 0.2 * w:
        return None

    # rows and columns mostly of the border's colour lie outside the panel
    outside = np.abs(img.astype(np.int16) - b_col).max(axis=2) <= 6

    # the longest contiguous block of panel rows / columns
    def block(idx: np.ndarray, out: np.ndarray) -> tuple[int, int]:
        gaps = np.diff(idx)
        # gridlines in the panel's colour are thin; a band of curves covering the panel's whole
        # width (where many traces start together) is not the border's colour
        cut = [g > 8 and float(np.median(out[idx[k] + 1 : idx[k + 1]])) >= 0.5 for k, g in enumerate(gaps)]
        cuts = np.flatnonzero(cut)
        starts = np.concatenate([[0], cuts + 1])
        ends = np.concatenate([cuts, [idx.size - 1]])
        j = int(np.argmax(idx[ends] - idx[starts]))
        return int(idx[starts[j]]), int(idx[ends[j]])

    y0, y1 = block(r_in, outside.mean(axis=1))
    x0, x1 = block(c_in, outside.mean(axis=0))
    if (y1 - y0) < 0.2 * h or (x1 - x0) < 0.2 * w or (x1 - x0) >= w - 3 or (y1 - y0) >= h - 3:
        return None
    if same[y0 : y1 + 1, x0 : x1 + 1].mean() < 0.35:
        return None
    return Box(x0 - 0.5, y0 - 0.5, x1 + 0.5, y1 + 0.5, {"l": None, "r": None, "t": None, "b": None}, "lbrt")


def _sides(box: Box) -> int:
    return sum(v is not None for v in box.lines.values())


def _box_of(mask: np.ndarray, w: int, h: int) -> Box | None:
    hl = find_lines(mask, horizontal=True, min_length=0.18 * w, angle=0.0)
    vl = find_lines(mask, horizontal=False, min_length=0.15 * h, angle=0.0)
    # the rim of a photo or scan (the paper's edge cut by the image border) is no frame line
    hl = [ln for ln in hl if _off_edge(ln, h)]
    vl = [ln for ln in vl if _off_edge(ln, w)]
    box = box_from_lines(hl, vl, w, h)
    for _ in range(2):  # a full-width legend frame below the axis, or above the plot area
        if box is None or box.lines["l"] is not None or box.lines["r"] is not None:
            break
        framed = _closed_pair(mask, hl, box)
        if not framed:
            break
        hl = [ln for ln in hl if ln not in framed]
        box = box_from_lines(hl, vl, w, h)
    if box is not None and (box.height < 0.1 * h or box.width < 0.12 * w):
        return None
    return box


def _closed_pair(mask: np.ndarray, hl: list[Line], box: Box) -> list[Line]:
    """The outermost horizontal line of a box framed by horizontal lines alone (no spine on
    either side), with its neighbour, when the two are joined at both ends by vertical strokes:
    a closed rectangle — a legend frame as wide as the plot set below or above it (the
    vertical sides are too short to be found as lines), not the axis line and a gridline (no
    strokes join them: that plot has no spines)."""
    h, w = mask.shape
    ys = [ln.middle for ln in hl]
    out: list[Line] = []
    if not ys:
        return out
    for edge, lower in ((max(ys), True), (min(ys), False)):
        outer = hl[ys.index(edge)]
        if abs(outer.middle - (box.bottom if lower else box.top)) > 1:
            continue
        same = [
            ln
            for ln in hl
            if ln is not outer
            and abs(ln.start - outer.start) <= 4
            and abs(ln.end - outer.end) <= 4
            and (ln.middle < outer.middle if lower else ln.middle > outer.middle)
        ]
        if not same:
            continue
        inner = min(same, key=lambda ln: abs(ln.middle - outer.middle))
        pad = 0.5 * max(outer.thickness, inner.thickness) + 1
        y0, y1 = sorted((outer.middle, inner.middle))
        r0, r1 = round(y0 + pad), round(y1 - pad)
        if r1 - r0 < 4 or y1 - y0 > 0.25 * h:
            continue
        k = min(10, r1 - r0)
        p0, p1 = (round(y0 - pad) - k, round(y0 - pad)) if lower else (round(y1 + pad), round(y1 + pad) + k)
        sides, past, inside = [], [], []
        for x, into in ((max(outer.start, inner.start), 1), (min(outer.end, inner.end), -1)):
            c0, c1 = max(0, round(x) - 3), min(w, round(x) + 4)
            sides.append(float(mask[r0:r1, c0:c1].any(axis=1).mean()))
            # past the inner line the sides stop (a panel's edges run on up the plot), and
            # inside them is no fill (a grey panel's band under its last gridline; the entries
            # of a legend leave rows clear)
            past.append(float(mask[max(0, p0) : max(0, p1), c0:c1].any(axis=1).mean()) if p1 > 0 else 1.0)
            i0, i1 = sorted((round(x) + into * 5, round(x) + into * 10))
            inside.append(float(mask[r0:r1, max(0, i0) : min(w, i1)].any(axis=1).mean()))
        if min(sides) >= 0.9 and max(past) <= 0.5 and max(inside) <= 0.8:
            out += [outer, inner]
    return out


def _touches(h: Line, v: Line, tol: float) -> bool:
    """A horizontal and a vertical line meet (or cross) within ``tol`` px."""
    x, y = _intersect(h, v)
    return h.start - tol <= x <= h.end + tol and v.start - tol <= y <= v.end + tol


def box_from_lines(hl: list[Line], vl: list[Line], w: int, h: int) -> Box | None:
    """The largest rectangle framed by a pair of vertical lines joined by horizontal ones (or, with
    lines in one direction only, the extent they share).

    Gridlines broken by curves still count: a horizontal line meeting one of the pair and spanning
    most of the width can be the bottom (or top) spine, and where the horizontal lines run on past a
    vertical gridline (no spine on that side) the box extends to their end.
    """
    tol = max(4.0, 0.006 * max(w, h))
    reach = max(tol, 0.04 * h)  # vertical lines may run on into tick marks
    hl = [ln for ln in hl if ln.fill >= 0.3]
    vl = [ln for ln in vl if ln.fill >= 0.3]
    best: tuple[float, Box] | None = None
    for i, left in enumerate(vl):
        for right in vl[i + 1 :]:
            width = right.middle - left.middle
            if width < 0.12 * w:
                continue
            joins = [ln for ln in hl if _touches(ln, left, tol) and _touches(ln, right, tol)]
            if not joins:
                continue
            # broken lines: meeting one side and spanning most of the width
            wide = [
                ln
                for ln in hl
                if (_touches(ln, left, tol) or _touches(ln, right, tol)) and ln.length >= 0.6 * width
            ]
            top_l = min(joins + wide, key=lambda ln: ln.middle)
            bot_l = max(joins + wide, key=lambda ln: ln.middle)
            lines = {"l": left, "r": right, "t": None, "b": None}
            y0, y1 = 0.5 * (left.start + right.start), 0.5 * (left.end + right.end)
            if (
                min(abs(top_l.middle - left.start), abs(top_l.middle - right.start)) <= reach
                or top_l.middle < y0
            ):
                y0, lines["t"] = top_l.middle, top_l
            if min(abs(bot_l.middle - left.end), abs(bot_l.middle - right.end)) <= reach or bot_l.middle > y1:
                y1, lines["b"] = bot_l.middle, bot_l
            area = width * (y1 - y0)  # the pair's own frame, before any extension below
            if y1 - y0 >= 0.1 * h and (best is None or area > best[0]):
                x0, x1 = left.middle, right.middle
                # the lines run on past a side only when all of them do: a tick label in line
                # with one spine extends that spine, not the frame
                ends = min(ln.end for ln in joins)
                starts = max(ln.start for ln in joins)
                if ends > x1 + tol + 0.5 * right.thickness + reach:  # lines run on: no right spine
                    x1, lines["r"] = ends, None
                if starts < x0 - tol - 0.5 * left.thickness - reach:
                    x0, lines["l"] = starts, None
                best = (area, Box(x0, y0, x1, y1, lines, "lbrt"))
    if best is not None:
        return best[1]
    if vl and hl:  # one vertical line (a left spine) and horizontal lines starting on it
        for left in vl:
            if left.length < 0.25 * h:  # a steep stretch of a curve, not a spine
                continue
            # starting at the spine where they meet it (a tilted spine's middle lies elsewhere)
            joins = [
                ln for ln in hl if _touches(ln, left, tol) and ln.start >= _intersect(ln, left)[0] - 3 * tol
            ]
            if not joins:
                continue
            right = float(np.median([ln.end for ln in joins]))
            bot_l = joins[-1]
            y0, y1 = left.start, max(left.end, bot_l.middle)
            lines = {"l": left, "r": None, "t": None, "b": None}
            if abs(bot_l.middle - left.end) <= max(tol, bot_l.thickness):
                y1, lines["b"] = bot_l.middle, bot_l
            top_l = joins[0]
            if abs(top_l.middle - left.start) <= max(tol, top_l.thickness):
                y0, lines["t"] = top_l.middle, top_l
            spines = [ln for ln in (lines["b"], lines["t"]) if ln is not None]
            if spines:  # the box ends where its spines do, not where a curve's flat stretch does
                right = max(ln.end for ln in spines)
            if right - left.middle < 0.12 * w:
                continue
            if y1 - y0 >= 0.1 * h:
                cand = Box(left.middle, y0, right, y1, lines, "lbrt")
                area = cand.width * cand.height
                if best is None or area > best[0]:
                    best = (area, cand)
        if best is not None:
            return best[1]
    hf = _family(hl, tol)
    if hf is not None:
        x0, x1, fam = hf
        if x1 - x0 >= 0.12 * w:
            lines = {"l": None, "r": None, "t": None, "b": fam[-1]}
            exact = "lbr"
            if len(fam) == 1:
                exact = "lrb"
            return Box(x0, fam[0].middle, x1, fam[-1].middle, lines, "".join(c for c in "lbrt" if c in exact))
    vf = _family(vl, tol)
    if vf is not None:
        y0, y1, fam = vf
        if fam[-1].middle - fam[0].middle >= 0.12 * w:
            lines = {"l": fam[0], "r": None, "t": None, "b": None}
            return Box(fam[0].middle, y0, fam[-1].middle, y1, lines, "lbt")
    return None


def rectifying_homography(evidence: Evidence) -> np.ndarray | None:
    """A 3×3 homography that maps the image so the plot's frame lines become axis-aligned, or None
    when they already are (within 0.06°); ``evidence`` as for :func:`find_box`."""
    # fast path: an axis-aligned frame is found at zero tilt with straight, level lines
    mask, quick = evidence.mask, evidence.box
    h, w = mask.shape
    if quick is not None and _sides(quick) >= 3:
        # a thick line (a panel's edge run together with the curves along it) is level within a
        # quarter of its thickness: its fitted slope is no finer
        drift = [
            abs(ln.slope) * ln.length / max(1.0, 0.25 * ln.thickness)
            for ln in quick.lines.values()
            if ln is not None
        ]
        if max(drift) < 1.0:
            return None
    scale = min(1.0, 900.0 / max(h, w))
    small = mask
    if scale < 1.0:
        import cv2

        small = (
            cv2.resize(
                mask.astype(np.uint8), (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
            )
            > 0
        )
    sh, sw = small.shape
    hl = find_lines(small, horizontal=True, min_length=0.2 * sw)
    vl = find_lines(small, horizontal=False, min_length=0.15 * sh)
    # a line along the image's edge is the rim of a scan or crop, cut square to the image, not the
    # plot's (skewed) frame
    hl = [ln for ln in hl if _off_edge(ln, sh)]
    vl = [ln for ln in vl if _off_edge(ln, sw)]
    box = box_from_lines(hl, vl, sw, sh)
    if box is None:
        return None
    # the plot's own frame inside a photographed sheet rectifies the plot itself
    box = _inner_frame(small, box, tilted=True) or box
    frame = [ln for ln in box.lines.values() if ln is not None]
    # a frame open on a side leaves a corner to guess (as if there were no perspective): the
    # photographed sheet's four edges around it (or the spines with the outer gridlines) give
    # all four corners of a true rectangle
    src = _sheet_corners(hl, vl, box, sw, sh) if len(frame) < 4 else None
    if src is not None:
        drift = max(
            abs(src[0, 1] - src[1, 1]),
            abs(src[3, 1] - src[2, 1]),
            abs(src[0, 0] - src[3, 0]),
            abs(src[1, 0] - src[2, 0]),
        )
        if drift < 1.5:
            return None  # an axis-aligned rectangle: not skewed
    else:
        if len(frame) < 2:  # gridlines framing no box (Excel: no spines): their common tilt
            return _derotation(hl + vl, sw, sh, scale)
        shifts = sorted(abs(ln.slope) * ln.length for ln in frame)
        # one line alone drifting: a sheared photo's spine when it is long and solid (4 px over
        # more than half the image), else the straight stretch of a curve
        sheared = any(
            abs(ln.slope) * ln.length >= 4.0
            and ln.fill >= 0.95
            and ln.length >= 0.5 * (sw if ln.horizontal else sh)
            for ln in frame
        )
        if len(shifts) < 2 or (shifts[-2] < 1.5 and not sheared):
            return None  # no two frame lines drift by 1.5 px along their length: not skewed
        src = _corners(box)
        if src is None:
            return None
    src = (src + 0.5) / scale - 0.5
    wt = 0.5 * (np.hypot(*(src[1] - src[0])) + np.hypot(*(src[2] - src[3])))
    ht = 0.5 * (np.hypot(*(src[3] - src[0])) + np.hypot(*(src[2] - src[1])))
    cx, cy = src.mean(axis=0)
    dst = np.array(
        [
            [cx - wt / 2, cy - ht / 2],
            [cx + wt / 2, cy - ht / 2],
            [cx + wt / 2, cy + ht / 2],
            [cx - wt / 2, cy + ht / 2],
        ]
    )
    return _homography(src, dst)


def _derotation(lines: list[Line], w: int, h: int, scale: float) -> np.ndarray | None:
    """The rotation (about the image centre, in full-size pixels) that levels a plot whose frame
    is only gridlines: three or more long, solid lines tilted alike by 1.5 px or more along
    their length (a rotated scan); None when they are level or disagree."""
    long = [ln for ln in lines if ln.length >= 0.3 * (w if ln.horizontal else h) and ln.fill >= 0.6]
    if len(long) < 3:
        return None
    # a horizontal line tilted by θ has slope tan θ, a vertical one −tan θ
    tilts = np.array([np.arctan(ln.slope) * (1 if ln.horizontal else -1) for ln in long])
    t = float(np.median(tilts))
    length = max(ln.length for ln in long)
    agree = np.abs(tilts - t) * length <= 1.0
    if agree.sum() < 3 or abs(np.tan(t)) * length < 1.5:
        return None
    c, s_ = np.cos(t), np.sin(t)
    cx, cy = 0.5 * (w / scale - 1), 0.5 * (h / scale - 1)
    to_origin = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]], dtype=float)
    back = np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1]], dtype=float)
    rot = np.array([[c, s_, 0], [-s_, c, 0], [0, 0, 1]], dtype=float)
    return back @ rot @ to_origin


def _off_edge(line: Line, across: int) -> bool:
    """The line keeps clear of the image's edges (it is not the rim of the image)."""
    lo, hi = sorted((line.at(line.start), line.at(line.end)))
    margin = 0.5 * line.thickness + 3.0
    return lo > margin and hi < across - 1 - margin


def _sheet_corners(hl: list[Line], vl: list[Line], box: Box, w: int, h: int) -> np.ndarray | None:
    """Corners (tl, tr, br, bl) of a rectangle of the plot's plane around the frame ``box``: the
    outermost long, solid line on each side that spans the frame — the edges of the photographed
    sheet of paper, or the frame's own spines and outer gridlines; None when a side has none.
    Any rectangle of that plane rectifies the plot as well as the frame's own corners would."""

    def spans(ln: Line, lo: float, hi: float) -> bool:
        return ln.start <= lo + 0.25 * (hi - lo) and ln.end >= hi - 0.25 * (hi - lo)

    def outermost(lines: list[Line], lo: float, hi: float, extent: int, first: bool) -> Line | None:
        # solid: a sheet's edge or a spine, not the dashes of a column of minus signs
        cand = [ln for ln in lines if ln.fill >= 0.97 and ln.length >= 0.3 * extent and spans(ln, lo, hi)]
        if not cand:
            return None
        return min(cand, key=lambda ln: ln.middle) if first else max(cand, key=lambda ln: ln.middle)

    top = outermost(hl, box.left, box.right, w, True)
    bottom = outermost(hl, box.left, box.right, w, False)
    left = outermost(vl, box.top, box.bottom, h, True)
    right = outermost(vl, box.top, box.bottom, h, False)
    if top is None or bottom is None or left is None or right is None:
        return None
    if max(abs(top.angle_deg() - bottom.angle_deg()), abs(left.angle_deg() - right.angle_deg())) > 4.0:
        return None  # opposite sides far from parallel: not the edges of one rectangle
    pts = np.asarray(
        [_intersect(top, left), _intersect(top, right), _intersect(bottom, right), _intersect(bottom, left)]
    )
    # a rectangle around the frame (sharing its lines or beyond them), not a strip of it
    # (a frame's edge without a line, from where a tilted line ends, is a few px off)
    tx, ty = max(3.0, 0.05 * box.width), max(3.0, 0.05 * box.height)
    if not (
        pts[[0, 3], 0].max() <= box.left + tx
        and pts[[1, 2], 0].min() >= box.right - tx
        and pts[[0, 1], 1].max() <= box.top + ty
        and pts[[2, 3], 1].min() >= box.bottom - ty
    ):
        return None
    return pts


def _corners(box: Box) -> np.ndarray | None:
    """Corners (tl, tr, br, bl) of a box whose lines may be tilted."""
    ln = box.lines
    pts: list[tuple[float, float] | None] = [None, None, None, None]
    pairs = (("t", "l"), ("t", "r"), ("b", "r"), ("b", "l"))
    for k, (hs, vs) in enumerate(pairs):
        hline, vline = ln.get(hs), ln.get(vs)
        if hline is not None and vline is not None:
            pts[k] = _intersect(hline, vline)
        elif vline is not None:  # the box's extent, not the line's end (a line may stop short)
            y = box.top if hs == "t" else box.bottom
            pts[k] = (vline.at(y), y)
        elif hline is not None:
            x = box.left if vs == "l" else box.right
            pts[k] = (x, hline.at(x))
    missing = [k for k, p in enumerate(pts) if p is None]
    if len(missing) > 1:
        return None
    if missing:
        k = missing[0]
        a, b, c = pts[(k + 1) % 4], pts[(k + 2) % 4], pts[(k + 3) % 4]
        pts[k] = (a[0] + c[0] - b[0], a[1] + c[1] - b[1])  # type: ignore[index]
    return np.asarray(pts, dtype=np.float64)


def _intersect(hline: Line, vline: Line) -> tuple[float, float]:
    # y = a x + b ; x = c y + d
    a, b, c, d = hline.slope, hline.offset, vline.slope, vline.offset
    x = (c * b + d) / (1 - a * c)
    return x, a * x + b


def _homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray | None:
    a, b = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    try:
        hvec = np.linalg.solve(np.array(a, dtype=float), np.array(b, dtype=float))
    except np.linalg.LinAlgError:
        return None
    return np.append(hvec, 1.0).reshape(3, 3)

"""Where the axis text is: tick labels, their tick marks, axis titles and offset texts.

Works on an axis-aligned image with a known (possibly approximate) axes box.  The x tick labels
are the first row of words below the box, the y tick labels the right-aligned column of words left
of it; the next row down (column further left) is the axis title.  Each label's position along its
axis comes from the tick mark next to it when one is found (sub-pixel centroid), else from the
label's centre.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .frame import Box, without_lines
from .text import Glyph, Word, column_extent, extent, glyphs_in, rows_of, words_of

__all__ = ["AxisText", "find_x_text", "find_y_text", "split_crowded", "tick_position"]


@dataclass(frozen=True, slots=True)
class AxisText:
    """Text found along one axis: tick-label words, title glyphs (box, or None) and offset text."""

    labels: tuple[Word, ...]
    title: tuple[int, int, int, int] | None
    offset: Word | None
    char_h: float


def _median_h(glyphs: list[Glyph]) -> float:
    """Character height of a set of glyphs: the tall ones (digits), not dots and minus signs."""
    hs = [g.h for g in glyphs if g.h >= 3]
    return float(np.percentile(hs, 85)) if hs else 8.0


def _is_tick_row(row: list[Glyph], edge: float) -> bool:
    """Tick marks, not text: narrow upright strokes only, next to the axis line or (without a
    spine, below a plot area larger than its outer gridline) several of them evenly spaced."""
    if not all(g.w <= 4 for g in row):
        return False
    if min(min(abs(g.y0 - edge), abs(g.y1 - edge)) for g in row) <= 4:
        return True  # next to the axis line (stubs, once the line itself is wiped out)
    return all(g.h >= 2 * g.w for g in row) and len(row) >= 3 and _regular([g.cx for g in row])


def find_x_text(mask: np.ndarray, box: Box, *, below: bool = True) -> AxisText | None:
    """Tick labels under (or above) the box, the title row after them, and an offset text at the
    right end (matplotlib puts an x offset there).  When none are found, they are looked for
    again with the box's lines wiped out when that side has a line: labels set close to a thick
    (blurred) spine touch it."""
    found = _x_text(mask, box, below=below)
    if found is None and box.lines.get("b" if below else "t") is not None:
        found = _x_text(without_lines(mask, box, pad=1), box, below=below)
    return found


def _x_text(mask: np.ndarray, box: Box, *, below: bool) -> AxisText | None:
    h, w = mask.shape
    # an edge drawn by no line (inferred from where gridlines or ticks end) is only approximate:
    # the labels may start right at it
    lines = box.lines
    inferred = lines.get("b" if below else "t") is None and (lines.get("l") or lines.get("r")) is not None
    slack = -0.04 * h if inferred else 2
    if below:
        region = (
            box.left - 0.08 * w,
            box.bottom + slack,
            box.right + 0.08 * w,
            min(h, box.bottom + 0.35 * h),
        )
    else:
        region = (box.left - 0.08 * w, max(0, box.top - 0.25 * h), box.right + 0.08 * w, box.top - slack)
    glyphs = glyphs_in(mask, tuple(round(v) for v in region), max_h=0.12 * h, max_w=0.45 * w)
    rows = rows_of(glyphs)
    if not below:
        rows = rows[::-1]
    edge = box.bottom if below else box.top
    rows = [r for r in rows if not _is_tick_row(r, edge)]
    found: list[tuple[int, list[Word], float]] = []
    for k, row in enumerate(rows):
        ch = _median_h(row)
        words = words_of(row, gap=0.65 * ch)
        if below:  # a tick mark touching its label (small text, no spine) is no part of it
            words = [_without_tick(mask, wd) for wd in words]
        words = [wd for wd in words if wd.h <= 2.2 * ch]
        inside = [wd for wd in words if box.left - 0.06 * w <= wd.cx <= box.right + 0.06 * w]
        inside = [piece for wd in inside for piece in split_crowded(mask, wd, ch)]
        # labels run together with no minus to split at: split at the ticks — in the first row of
        # words only (a title further down, set in one piece over the ticks, is not labels), and
        # beside labels read apart too ("600400200  0  −200400600800": only a word spanning three
        # ticks or more is split)
        if not found:
            inside = [piece for wd in inside for piece in split_at_ticks(mask, box, wd, ch, below=below)]
        if 2 <= len(inside) <= 30:  # more: the dashes of a gridline, not tick labels
            found.append((k, inside, ch))
    # the tick labels: the first row of text, unless bits of a curve running below the box (a
    # plot area larger than its outer gridlines) come first — too small to be digits, and not
    # the evenly spaced row that follows
    readable = [f for f in found if f[2] >= 5] or found
    first = readable[:1]
    regular = [f for f in readable[:3] if len(f[1]) >= 3 and _regular([wd.cx for wd in f[1]])]
    if first and regular and not (len(first[0][1]) >= 3 and _regular([wd.cx for wd in first[0][1]])):
        first = regular[:1]
    if not first:
        return None
    k, inside, ch = first[0]
    title = None
    if k + 1 < len(rows):
        nxt = rows[k + 1]
        tw = [wd for wd in words_of(nxt, gap=1.2 * _median_h(nxt))]
        if tw:
            big = max(tw, key=lambda wd: wd.w)
            close = [wd for wd in tw if abs(wd.cx - big.cx) < 0.6 * (box.right - box.left)]
            title = extent(close)
    return AxisText(tuple(inside), title, None, ch)


def split_crowded(mask: np.ndarray, word: Word, ch: float) -> list[Word]:
    """Tick labels run together (large type on a narrow axis: ``−600−500−400``, ``−0.1 0.0 0.1``)
    split before each minus sign that follows a digit, then at gaps far wider than those between
    the characters of a label.  Only words longer than one label are split, and a word of two
    labels only into pieces of one width, so the minus of an exponent (``1.0e−05``) stays."""
    if word.w < 4 * ch or word.h < 5:
        return [word]
    out = _split_at_minus(mask, word, ch)
    if len(out) == 2 and word.w < 8 * ch and not _same_widths(out):
        out = [word]
    return [piece for wd in out for piece in _split_at_gaps(mask, wd, ch)]


def _same_widths(words: list[Word]) -> bool:
    ws = [wd.w for wd in words]
    return max(ws) <= 1.15 * min(ws)


def _split_at_gaps(mask: np.ndarray, word: Word, ch: float) -> list[Word]:
    """A long word cut at its wide gaps (blank columns at least 0.4 ch and 2.5 times the
    median gap): kept only when the pieces are evenly spaced (three or more) or alike."""
    if word.w < 6 * ch:
        return [word]
    inked = mask[word.y0 : word.y1, word.x0 : word.x1].any(axis=0)
    edges = np.flatnonzero(np.diff(np.concatenate([[1], inked.astype(np.int8), [1]])))
    starts, ends = edges[::2], edges[1::2]  # blank runs
    if starts.size < 2:
        return [word]
    gaps = ends - starts
    wide = gaps >= max(3.0, 0.4 * ch, 2.5 * float(np.median(gaps)))
    cuts = [int(0.5 * (a + b)) for a, b, keep in zip(starts, ends, wide, strict=True) if keep]
    if not cuts:
        return [word]
    out = _pieces(mask, word, cuts)
    if (len(out) >= 3 and _regular([wd.cx for wd in out])) or (len(out) == 2 and _same_widths(out)):
        return out
    return [word]


def _split_at_minus(mask: np.ndarray, word: Word, ch: float) -> list[Word]:
    """``word`` cut before each minus sign that follows a digit (the word itself when none)."""
    sub = mask[word.y0 : word.y1, word.x0 : word.x1]
    hh = sub.shape[0]
    rows = np.arange(hh)[:, None]
    inked = sub.any(axis=0)
    extent = column_extent(sub)
    centre = np.where(inked, (sub * rows).sum(axis=0) / np.maximum(sub.sum(axis=0), 1), -1.0)
    tall = extent >= 0.6 * hh
    flat = inked & (extent <= 0.3 * hh) & (centre >= 0.3 * hh) & (centre <= 0.75 * hh)
    cuts: list[int] = []
    c, n = 0, sub.shape[1]
    while c < n:
        if not flat[c]:
            c += 1
            continue
        e = c
        while e < n and flat[e]:
            e += 1
        if e - c >= 0.25 * ch and tall[max(0, c - round(0.8 * ch)) : c].any():
            cuts.append(c)
        c = e
    out = _pieces(mask, word, cuts)
    return out if len(out) >= 2 else [word]


def _pieces(mask: np.ndarray, word: Word, cuts: list[int]) -> list[Word]:
    """``word`` cut at the columns ``cuts`` (from its left edge): one word per inked piece, its
    ink trimmed to a box."""
    sub = mask[word.y0 : word.y1, word.x0 : word.x1]
    out: list[Word] = []
    for a, b in zip([0, *cuts], [*cuts, sub.shape[1]], strict=True):
        ys, xs = np.nonzero(sub[:, a:b])
        if ys.size:
            x0, y0 = word.x0 + a + int(xs.min()), word.y0 + int(ys.min())
            x1, y1 = word.x0 + a + int(xs.max()) + 1, word.y0 + int(ys.max()) + 1
            out.append(Word((Glyph(x0, y0, x1, y1, int(ys.size)),)))
    return out


def _tick_centres(mask: np.ndarray, box: Box, lo: int, hi: int, *, below: bool) -> list[float]:
    """Columns ``lo..hi`` where a tick mark (or gridline) meets the x spine: inked over a short
    band just outside the box (outward ticks) or, failing a regular row there, just inside."""
    h, _w = mask.shape
    edge = round(box.bottom if below else box.top)
    bands = (
        ((edge + 2, edge + 5), (edge - 7, edge - 3))
        if below
        else ((edge - 5, edge - 2), (edge + 3, edge + 7))
    )
    for a, b in bands:
        a, b = max(0, a), min(h, b)
        if b - a < 3:
            continue
        cols = mask[a:b, lo:hi].mean(axis=0) >= 0.6
        runs = np.flatnonzero(np.diff(np.concatenate([[0], cols.astype(np.int8), [0]])))
        centres = [lo + 0.5 * (s + e - 1) for s, e in zip(runs[::2], runs[1::2], strict=True) if e - s <= 6]
        # not the side spines
        centres = [c for c in centres if min(abs(c - box.left), abs(c - box.right)) > 4]
        if len(centres) >= 3 and _regular(centres):
            return centres
    return []


def split_at_ticks(mask: np.ndarray, box: Box, word: Word, ch: float, *, below: bool = True) -> list[Word]:
    """A row of x tick labels run together with no gap or minus between them (large type on a
    narrow axis: ``1000900800700``), split half-way between the tick marks under it."""
    if word.w < 6 * ch:
        return [word]
    centres = _tick_centres(mask, box, word.x0, word.x1, below=below)
    if len(centres) < 3:
        return [word]
    pitch = float(np.median(np.diff(centres)))
    cuts = [round(0.5 * (a + b)) - word.x0 for a, b in itertools.pairwise(centres)]
    # the first and last pieces hold the labels past the outer ticks (up to half a pitch beyond)
    out = _pieces(mask, word, cuts)
    if len(out) < 3 or max(wd.w for wd in out) > 1.3 * pitch:
        return [word]
    return out


def find_y_text(mask: np.ndarray, box: Box, *, left: bool = True) -> AxisText | None:
    """Right-aligned tick labels left of the box (or left-aligned ones right of it) and the
    rotated title beyond them (:func:`_y_text`); looked for again with the box's lines wiped
    out when none are found and that side has a line (labels touching a thick spine)."""
    found = _y_text(mask, box, left=left)
    if found is None and box.lines.get("l" if left else "r") is not None:
        found = _y_text(without_lines(mask, box, pad=1), box, left=left)
    return found


def _y_text(mask: np.ndarray, box: Box, *, left: bool) -> AxisText | None:
    """Right-aligned tick labels left of the box (or left-aligned ones right of it) and the
    rotated title beyond them.

    The glyphs nearest the axis end each label and fix the label rows; glyphs outside those rows
    start the title, which grows along its column; what is left in each row, chained from the axis
    side with small gaps, is the label.
    """
    h, w = mask.shape
    # an edge where gridlines start (no spine on this side, but lines elsewhere) may lie a pixel
    # after the labels end; a spine, or the edge of a filled panel, has ticks just beyond it
    lines = box.lines
    inferred = lines.get("l" if left else "r") is None and (lines.get("t") or lines.get("b")) is not None
    slack = 0 if inferred else 2
    if left:
        region = (max(0, box.left - 0.45 * w), box.top - 0.06 * h, box.left - slack, box.bottom + 0.06 * h)
    else:
        region = (box.right + slack, box.top - 0.06 * h, min(w, box.right + 0.45 * w), box.bottom + 0.06 * h)
    glyphs = glyphs_in(mask, tuple(round(v) for v in region), max_h=0.3 * h, max_w=0.3 * w)
    if len(glyphs) < 2:
        return None

    def dist(g: Glyph) -> float:  # distance of a glyph's near edge from the axis side
        return (region[2] - g.x1) if left else (g.x0 - region[0])

    glyphs.sort(key=dist)
    # the alignment edge: the nearest distance shared by at least two glyphs of like height
    ends: list[Glyph] = []
    for c in glyphs:
        if c.h < 3:
            continue
        # right-aligned text ends at the same advance, its ink a little apart ("1" vs "0": a
        # serif font's "1" ends a fifth of the height short)
        slack = max(2.0, 0.25 * c.h)
        same = [g for g in glyphs if abs(dist(g) - dist(c)) <= slack and 0.7 * c.h <= g.h <= 1.4 * c.h]
        # thin flat strokes all: tick marks drawn without a spine, not the labels' ends
        if len(same) >= 2 and not all(g.w >= 1.5 * g.h and g.h <= 4 for g in same):
            ends = same
            break
    if len(ends) < 2:
        return None
    d0 = min(dist(g) for g in ends)
    ch = float(np.median([g.h for g in ends]))
    # tick marks drawn without a spine stand between the labels and the axis: not label text
    glyphs = [g for g in glyphs if dist(g) >= d0 - max(1.0, 0.12 * ch)]
    spans = sorted((g.y0, g.y1) for g in ends)

    def in_row(g: Glyph) -> tuple[int, int] | None:
        for a, b in spans:
            if min(b, g.y1) - max(a, g.y0) >= 0.5 * min(max(g.h, 1), b - a) and g.h <= 1.5 * (b - a) + 2:
                return (a, b)
            if g.h < 0.5 * (b - a) and a - 0.3 * (b - a) <= g.cy <= b + 0.3 * (b - a):
                return (a, b)  # a decimal comma or point hanging below the baseline
        return None

    # title: columns of glyphs outside every label row (within the box's height), each grown
    # along itself by the glyphs it overlaps
    seeds = [g for g in glyphs if in_row(g) is None and g.h >= 2 and box.top - 0.15 * h <= g.cy <= box.bottom]
    columns = _columns(sorted(seeds, key=dist), ch)
    for col in columns:
        grew = True
        while grew:
            grew = False
            tx0, tx1 = min(g.x0 for g in col), max(g.x1 for g in col)
            for g in glyphs:
                if g in col or any(g in c for c in columns):
                    continue
                overlap = min(tx1, g.x1) - max(tx0, g.x0)
                vgap = min(max(g.y0 - t.y1, t.y0 - g.y1, 0) for t in col)
                if overlap >= 0.7 * g.w and vgap <= 0.6 * ch and dist(g) > d0 + 0.5 * ch:
                    col.append(g)
                    grew = True
    columns = [
        c
        for c in columns
        if len(c) >= 2
        and max(g.y1 for g in c) - min(g.y0 for g in c) >= 1.5 * ch
        and sum(g.h for g in c) >= 0.4 * (max(g.y1 for g in c) - min(g.y0 for g in c))
    ]
    title = columns[0] if columns else []
    labels: list[Word] = []
    for a, b in spans:
        row = sorted(
            (g for g in glyphs if not any(g in c for c in columns) and in_row(g) == (a, b)), key=dist
        )
        if not row:
            continue
        chain = [row[0]]
        edge = row[0].x0 if left else row[0].x1
        for g in row[1:]:
            gap = (edge - g.x1) if left else (g.x0 - edge)
            if gap > 0.6 * ch or (g.w > 1.3 * ch and g.h < 0.8 * ch):
                break  # a gap, or a letter of the rotated title lying on its side
            chain.append(g)
            edge = min(edge, g.x0) if left else max(edge, g.x1)
        labels.append(Word(tuple(chain)))
    labels = [wd for wd in labels if wd.h <= 1.8 * ch]
    if len(labels) < 2:
        return None
    labels.sort(key=lambda wd: wd.cy)
    title = _title_beyond(glyphs, labels, columns, title, box, left=left, ch=ch, dist=dist)
    ch = float(np.median([wd.h for wd in labels]))
    return AxisText(tuple(labels), extent(title) if title else None, None, ch)


def _title_beyond(
    glyphs: list[Glyph],
    labels: list[Word],
    columns: list[list[Glyph]],
    title: list[Glyph],
    box: Box,
    *,
    left: bool,
    ch: float,
    dist: object,
) -> list[Glyph]:
    """The y title: the nearest tall, narrow column of glyphs beyond the tick labels' outer edge
    and centred within the box's height.  Letters of a title that share a row with a tick label
    belong to it, and a panel letter ("b)") above the box does not."""
    used = {g for wd in labels for g in wd.glyphs}
    outer = min(wd.x0 for wd in labels) if left else max(wd.x1 for wd in labels)
    cand = [
        g
        for g in glyphs
        if g not in used
        and g.h >= 2
        and (g.x1 <= outer + 1 if left else g.x0 >= outer - 1)
        and box.top - 0.1 * box.height <= g.cy <= box.bottom + 0.05 * box.height
    ]
    cand.sort(key=dist)  # type: ignore[arg-type]
    for col in _columns(cand, ch):
        x0, x1 = min(g.x0 for g in col), max(g.x1 for g in col)
        y0, y1 = min(g.y0 for g in col), max(g.y1 for g in col)
        if (
            len(col) >= 2
            and y1 - y0 >= 1.5 * ch
            and y1 - y0 >= 1.5 * (x1 - x0)
            and box.top <= 0.5 * (y0 + y1) <= box.bottom
            and sum(g.h for g in col) >= 0.4 * (y1 - y0)
        ):
            return col
    if title and not any(g in used for g in title):
        return title
    # a small, blurred title whose letters run together into one tall, narrow piece of ink (a
    # web image's "Current/µA"): not a solid line
    for g in cand:
        if g.h >= 3 * ch and g.h >= 3 * g.w and g.area <= 0.8 * g.w * g.h and box.top <= g.cy <= box.bottom:
            return [g]
    return []


def _columns(seeds: list[Glyph], ch: float) -> list[list[Glyph]]:
    """Seeds linked into columns (single linkage): glyphs that overlap horizontally and are at
    most about a character apart vertically — a panel letter above the title stays apart."""
    n = len(seeds)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            a, b = seeds[i], seeds[j]
            xo = min(a.x1, b.x1) - max(a.x0, b.x0)
            vgap = max(a.y0 - b.y1, b.y0 - a.y1, 0)
            if xo > -0.3 * ch and vgap <= 1.2 * ch:
                parent[root(i)] = root(j)
    groups: dict[int, list[Glyph]] = {}
    for i in range(n):  # seeds come sorted by distance from the axis: columns keep that order
        groups.setdefault(root(i), []).append(seeds[i])
    return list(groups.values())


def _is_bar(word: Word) -> bool:
    """A solid flat bar, not text: one glyph wider than tall that fills its box (the handle of a
    legend entry, drawn as a thick line; the handles of a legend stack right-aligned, evenly
    spaced, like a column of y tick labels)."""
    if len(word.glyphs) != 1:
        return False
    g = word.glyphs[0]
    return g.w >= 1.5 * g.h and g.area >= 0.85 * g.w * g.h


def _steps(centres: list[float]) -> np.ndarray | None:
    """The gaps between at least three positions, in order, all positive; None otherwise."""
    c = np.sort(np.asarray(centres, dtype=float))
    if c.size < 3:
        return None
    d = np.diff(c)
    return d if d.min() > 0 else None


def _regular(centres: list[float]) -> bool:
    """At least three positions, evenly spaced (tick labels)."""
    d = _steps(centres)
    return d is not None and bool(np.ptp(d) <= max(3.0, 0.12 * float(np.median(d))))


def _regular_with_gaps(centres: list[float]) -> bool:
    """At least three positions on an even grid, up to two steps missing in a row (a label
    that is not text-like: ``0`` set apart from the others, in line with an axis)."""
    d = _steps(centres)
    if d is None:
        return False
    step = float(d.min())
    k = np.round(d / step)
    return bool(k.max() <= 3 and np.all(np.abs(d - k * step) <= max(3.0, 0.06 * step)))


def _gapped_run(col: list[Word], min_step: float) -> list[Word]:
    """The longest run of neighbouring words of a column (top to bottom) on an even grid of rows
    (:func:`_regular_with_gaps`) at least ``min_step`` apart, three or more: the y tick labels
    without a mark in line with them above or below (a tick mark of the x axis at the corner),
    not the letters of a rotated title (a character apart)."""
    n = len(col)
    for size in range(n, 2, -1):
        for a in range(n - size + 1):
            cy = [wd.cy for wd in col[a : a + size]]
            if float(np.min(np.diff(cy))) >= min_step and _regular_with_gaps(cy):
                return col[a : a + size]
    return []


def _regular_run(words: list[Word]) -> list[Word]:
    """The longest run of neighbouring words (left to right) whose centres are evenly spaced,
    three or more: a row of tick labels without the strokes in line with it at its ends (the
    edge of a photographed sheet, a legend's frame)."""
    words = sorted(words, key=lambda wd: wd.cx)
    n = len(words)
    for size in range(n, 2, -1):
        for a in range(n - size + 1):
            run = words[a : a + size]
            if _regular([wd.cx for wd in run]):
                return run
    return []


def box_from_text(mask: np.ndarray) -> Box | None:
    """An axes box inferred from the tick labels alone (plots drawn without spines or gridlines):
    the lowest row of evenly spaced words in the lower half is the x axis, the right-aligned column
    of evenly spaced words in the left half the y axis.  When none is found, it is looked for
    again with tick marks standing over the x labels cut off the words (small text, no spine:
    a tick touching its label is one glyph with it, and makes the label twice as tall)."""
    return _box_from_text(mask) or _box_from_text(mask, tidy=True)


def _without_tick(mask: np.ndarray, word: Word) -> Word:
    """``word`` less a tick mark standing on it: the rows at its top where its ink is one narrow
    stroke (at most 3 px wide), cut off when the rest is a line of text at least as tall."""
    sub = mask[word.y0 : word.y1, word.x0 : word.x1]
    rows = np.flatnonzero(sub.any(axis=1))
    cut, mid = 0, 0.5 * (word.w - 1)
    for r in rows:
        cols = np.flatnonzero(sub[r])
        # narrow, and over the word's middle (the "1" of "−1" stands at its end)
        if cols[-1] - cols[0] >= 3 or abs(0.5 * (cols[0] + cols[-1]) - mid) > 0.2 * word.w:
            break
        cut = r + 1
    if cut < 2 or word.h - cut < max(3, cut):
        return word
    y = word.y0 + cut
    kept = [Glyph(g.x0, max(g.y0, y), g.x1, g.y1, g.area) for g in word.glyphs if g.y1 > y]
    return Word(tuple(kept)) if kept else word


def _below_body(row: list[Glyph]) -> list[Glyph]:
    """A row less the specks lying wholly below its tall glyphs (bits of the title under it that
    joined it, and which would join its words), keeping decimal points and commas (they start
    inside the digits' height)."""
    tall = [g for g in row if g.h >= 3]
    if not tall:
        return row
    bottom = max(g.y1 for g in tall)
    return [g for g in row if g.h >= 3 or g.y0 < bottom]


def _box_from_text(mask: np.ndarray, *, tidy: bool = False) -> Box | None:
    """:func:`box_from_text` on ``mask``; ``tidy``: the x labels' words with the tick marks on them
    cut off (:func:`_without_tick`), the specks under their row and words of specks alone left
    out (small blurred text: bits of the title under it join it)."""
    h, w = mask.shape
    glyphs = glyphs_in(mask, (0, 0, w, h), max_h=0.08 * h, max_w=0.2 * w)
    if len(glyphs) < 6:
        return None
    xrow: list[Word] | None = None
    lift = 0  # how far the tick marks cut off the labels stood above them
    for row in rows_of(glyphs)[::-1]:
        if min(g.y0 for g in row) < 0.45 * h:
            break
        ch = _median_h(row)
        if tidy:
            row = _below_body(row)
            whole = words_of(row, gap=0.65 * ch)
            cut = [_without_tick(mask, wd) for wd in whole]
            lift = max(c.y0 - wd.y0 for c, wd in zip(cut, whole, strict=True))
            ch = _median_h([g for wd in cut for g in wd.glyphs])
            words = [wd for wd in cut if 0.5 * ch <= wd.h <= 1.6 * ch]
        else:
            words = [wd for wd in words_of(row, gap=0.65 * ch) if wd.h <= 1.6 * ch]
        words = [piece for wd in words for piece in split_crowded(mask, wd, ch)]  # "−0.3−0.2"
        run = _regular_run([wd for wd in words if wd.w <= 5.5 * ch])  # no longer than a number
        if run and len(run) >= len(words) - 3:  # the row, less a few strokes in line with it
            xrow = run
            break
    if xrow is None:
        return None
    x_top = min(wd.y0 for wd in xrow)
    ch = float(np.median([wd.h for wd in xrow]))
    # y labels: words of the upper part whose right edges align, evenly spaced vertically — left
    # of the first x tick (the plot area starts there at the latest; its gridline neither), so
    # that a dashed curve or gridline does not chain the rows of text into one
    x_first = min(wd.cx for wd in xrow) - 2
    cand: list[Word] = []
    for row in rows_of([g for g in glyphs if g.y1 < x_top - 0.3 * ch and g.x1 <= x_first]):
        # not flat tick marks (drawn without a spine, they align with the labels' ends too)
        words = [
            wd
            for wd in words_of(row, gap=0.65 * _median_h(row))
            if 0.5 * ch <= wd.h <= 1.6 * ch and wd.x1 < 0.5 * w and not _is_bar(wd)
        ]
        cand += words
    best: list[Word] = []
    for c in cand:
        col = sorted((wd for wd in cand if abs(wd.x1 - c.x1) <= 2), key=lambda wd: wd.cy)
        if len(col) >= 3 and len(col) > len(best):
            run = _gapped_run(col, 1.5 * ch)
            # the lowest y label lies within a tick step or two of the x axis (a column of
            # numbers standing far higher is a legend's text: "1.56 mM", "3.13 mM", ...)
            if run and x_top - run[-1].cy <= 2 * float(np.min(np.diff([wd.cy for wd in run]))) + 3 * ch:
                best = max(best, run, key=len)
    if len(best) < 3:
        return None
    left = max(wd.x1 for wd in best) + 0.6 * ch
    bottom = x_top - 0.6 * ch - lift  # above the tick marks: they are no part of the labels
    top = max(0.0, min(wd.cy for wd in best) - 0.8 * ch)
    right = min(
        float(w - 1),
        max(wd.cx for wd in xrow) + 0.5 * float(np.median(np.diff(sorted(wd.cx for wd in xrow)))),
    )
    if right - left < 0.2 * w or bottom - top < 0.15 * h:
        return None
    return Box(
        float(left), float(top), float(right), float(bottom), {"l": None, "r": None, "t": None, "b": None}, ""
    )


def find_offset(mask: np.ndarray, box: Box, char_h: float) -> Word | None:
    """A multiplier text (``1e−5``, ``×10⁻⁵``) just above the top-left corner of the box."""
    _h, w = mask.shape
    top = box.top
    region = (
        box.left - 2 * char_h,
        max(0, top - 5 * char_h),
        box.left + 0.45 * (box.right - box.left),
        top + 0.6 * char_h,
    )
    glyphs = glyphs_in(mask, tuple(round(v) for v in region), max_h=2.5 * char_h, max_w=0.3 * w)
    if not glyphs:
        return None
    glyphs = [g for g in glyphs if g.y1 <= top + 3]  # above the plot area, not a curve inside it
    rows = rows_of(glyphs)
    if not rows:
        return None
    row = rows[-1]  # nearest the box
    words = words_of(row, gap=0.7 * _median_h(row))
    if not words:
        return None
    first = min(words, key=lambda wd: wd.x0)
    if first.x0 > box.left + 3 * char_h or first.w > 8 * char_h:
        return None
    return first


def tick_position(
    strength: np.ndarray,
    *,
    horizontal_axis: bool,
    line: float,
    centre: float,
    half_window: float,
    after: float,
    before: float,
    threshold: float,
    gap: float = 2.0,
) -> float | None:
    """Sub-pixel position of a tick mark near ``centre`` along an axis line at ``line``.

    Searches a band ``after`` px beyond the line (larger row or column index: below the x axis,
    right of the y axis) and ``before`` px before it, starting ``gap`` px from the line's centre,
    for a narrow perpendicular stroke.
    """
    h, w = strength.shape
    lo, hi = int(np.floor(centre - half_window)), int(np.ceil(centre + half_window)) + 1
    best: tuple[float, float] | None = None
    for sign, depth in ((1, after), (-1, before)):
        if depth < 2:
            continue
        a, b = (line + gap, line + gap + depth) if sign > 0 else (line - gap - depth, line - gap + 1)
        a, b = round(a), round(b)
        if horizontal_axis:
            if a < 0 or b > h or lo < 0 or hi > w or b - a < 2:
                continue
            band = strength[a:b, lo:hi].astype(np.float64)
        else:
            if a < 0 or b > w or lo < 0 or hi > h or b - a < 2:
                continue
            band = strength[lo:hi, a:b].T.astype(np.float64)
        # rows inked all along the window belong to a thick (blurred) axis line, not its ticks
        solid = (band >= threshold).mean(axis=1) >= 0.9
        k0 = int(np.argmin(solid)) if sign > 0 else 0
        k1 = band.shape[0] if sign > 0 else band.shape[0] - int(np.argmin(solid[::-1]))
        if solid.all() or k1 - k0 < 2:
            continue
        band = band[k0:k1]
        inked = band >= threshold
        on = inked.mean(axis=0)
        # a tick shorter than the gap to its label: a run of ink that starts at the axis line
        from_line = inked if sign > 0 else inked[::-1]
        run = np.argmin(np.vstack([from_line, np.zeros((1, from_line.shape[1]), dtype=bool)]), axis=0)
        prof = band.mean(axis=0)
        k = int(np.argmax(prof))
        attached = _attached_tick(run, k)
        if attached is not None:  # the strongest stroke stands apart from the line (a legend's
            k, depth_k = attached  # frame): the short stroke that starts at the line is the tick
            near = from_line[:depth_k]
            band = (band if sign > 0 else band[::-1])[:depth_k]
            on, prof = near.mean(axis=0), band.mean(axis=0)
        elif on[k] < 0.7 and run[k] < max(3.0, 0.25 * band.shape[0]):
            continue
        # narrow: falls off within a few pixels on both sides
        left_ok = k >= 2 and prof[max(0, k - 5) : k - 1].min(initial=prof[k]) < 0.4 * prof[k]
        right_ok = k <= prof.size - 3 and prof[k + 2 : k + 6].min(initial=prof[k]) < 0.4 * prof[k]
        if not (left_ok and right_ok):
            continue
        sel = slice(max(0, k - 4), min(prof.size, k + 5))
        seg = prof[sel] - 0.3 * prof[k]
        seg = np.clip(seg, 0, None)
        idx = np.arange(sel.start, sel.stop)
        c = float((seg * idx).sum() / seg.sum()) + lo
        score = float(on[k])
        if best is None or score > best[1]:
            best = (c, score)
    return None if best is None else best[0]


def _attached_tick(run: np.ndarray, k: int) -> tuple[int, int] | None:
    """The column of a short stroke that starts at the axis line (``run``: inked rows from the line
    on, per column), with its length, when the strongest column ``k`` does not touch the line;
    None when ``k`` does or no narrow stroke does."""
    if run[k] >= 2 or run.max() < 2:
        return None
    j = int(np.argmax(run))
    r = int(run[j])
    left = run[max(0, j - 5) : max(0, j - 1)]
    right = run[j + 2 : j + 6]
    if left.size == 0 or right.size == 0 or left.min() >= 0.5 * r or right.min() >= 0.5 * r:
        return None  # not narrow: the line's own blur or a flat stroke along it
    return j, r

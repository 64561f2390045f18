"""Text layout from connected components: glyphs, text rows, words.

Text near the axes is found without OCR: small connected components of ink are glyphs, glyphs
whose vertical extents overlap form rows, and glyphs closer than about half a character height
form words.  Tick labels are the first row of words below the x axis and the right-aligned column
of words left of the y axis; the rows beyond them are the axis titles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Glyph", "Word", "column_extent", "extent", "glyphs_in", "rows_of", "words_of"]


def column_extent(sub: np.ndarray) -> np.ndarray:
    """Height (px) of each column's ink of the mask ``sub``, from its top to its bottom ink pixel
    with any holes between; 0 for an empty column."""
    inked = sub.any(axis=0)
    top = np.argmax(sub, axis=0)
    bottom = sub.shape[0] - 1 - np.argmax(sub[::-1], axis=0)
    return np.where(inked, bottom - top + 1, 0)


@dataclass(frozen=True, slots=True)
class Glyph:
    """A connected component: bounding box ``[x0, x1) × [y0, y1)`` in pixels and its pixel count."""

    x0: int
    y0: int
    x1: int
    y1: int
    area: int

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return 0.5 * (self.x0 + self.x1 - 1)

    @property
    def cy(self) -> float:
        return 0.5 * (self.y0 + self.y1 - 1)


def extent(items: Sequence[Glyph] | Sequence[Word]) -> tuple[int, int, int, int]:
    """The box (x0, y0, x1, y1) around glyphs or words (pixel indices, end exclusive)."""
    return (
        min(it.x0 for it in items),
        min(it.y0 for it in items),
        max(it.x1 for it in items),
        max(it.y1 for it in items),
    )


@dataclass(frozen=True, slots=True)
class Word:
    """Glyphs read together: their union box (pixel indices, end exclusive)."""

    glyphs: tuple[Glyph, ...]

    @property
    def x0(self) -> int:
        return min(g.x0 for g in self.glyphs)

    @property
    def x1(self) -> int:
        return max(g.x1 for g in self.glyphs)

    @property
    def y0(self) -> int:
        return min(g.y0 for g in self.glyphs)

    @property
    def y1(self) -> int:
        return max(g.y1 for g in self.glyphs)

    @property
    def cx(self) -> float:
        return 0.5 * (self.x0 + self.x1 - 1)

    @property
    def cy(self) -> float:
        """Centre row of the word's body (its glyphs over half as tall as the tallest): a small
        mark below or above the others — the decimal comma of "2,5", whose tail descends under
        the baseline, or a tick mark run into a label — does not pull it off."""
        tall = max(g.h for g in self.glyphs)
        body = [g for g in self.glyphs if g.h > 0.5 * tall]
        return 0.5 * (min(g.y0 for g in body) + max(g.y1 for g in body) - 1)

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    def box(self, pad: int = 0) -> tuple[int, int, int, int]:
        return self.x0 - pad, self.y0 - pad, self.x1 + pad, self.y1 + pad


def glyphs_in(
    mask: np.ndarray, region: tuple[int, int, int, int], *, max_h: float, max_w: float
) -> list[Glyph]:
    """Components of ``mask`` lying inside ``region`` (x0, y0, x1, y1) that are text-sized."""
    import cv2

    h, w = mask.shape
    x0, y0, x1, y1 = (
        int(max(0, region[0])),
        int(max(0, region[1])),
        int(min(w, region[2])),
        int(min(h, region[3])),
    )
    if x1 - x0 < 2 or y1 - y0 < 2:
        return []
    sub = np.ascontiguousarray(mask[y0:y1, x0:x1].astype(np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    out: list[Glyph] = []
    for i in range(1, n):
        gx, gy, gw, gh, area = (int(v) for v in stats[i])
        if gh > max_h or gw > max_w:
            continue
        # components cut by the region's edge belong to something larger (a spine, a curve)
        if (
            (gx == 0 and x0 > 0)
            or (gy == 0 and y0 > 0)
            or (gx + gw == x1 - x0 and x1 < w)
            or (gy + gh == y1 - y0 and y1 < h)
        ):
            continue
        out.append(Glyph(gx + x0, gy + y0, gx + gw + x0, gy + gh + y0, area))
    return out


def rows_of(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs grouped into text rows (vertical overlap), top to bottom; small marks (minus signs,
    dots) join the row whose vertical range contains them."""
    big = sorted((g for g in glyphs if g.h >= 3), key=lambda g: g.cy)
    rows: list[list[Glyph]] = []
    spans: list[list[float]] = []
    for g in big:
        for r, span in zip(rows, spans, strict=True):
            ov = min(span[1], g.y1) - max(span[0], g.y0)
            if ov >= 0.4 * min(g.h, span[1] - span[0]) or _hangs_from(g, r, span):
                r.append(g)
                span[0], span[1] = min(span[0], g.y0), max(span[1], g.y1)
                break
        else:
            rows.append([g])
            spans.append([g.y0, g.y1])
    for g in glyphs:
        if g.h >= 3:
            continue
        for r, span in zip(rows, spans, strict=True):
            if span[0] - 1 <= g.cy <= span[1] + 1:
                r.append(g)
                break
    order = np.argsort([s[0] for s in spans])
    return [sorted(rows[i], key=lambda g: g.x0) for i in order]


def _hangs_from(g: Glyph, row: list[Glyph], span: list[float]) -> bool:
    """A small mark, upright, hanging below a clean row of text beside its glyphs: a decimal
    comma's tail, which overlaps the digits by a pixel or two only (the letters of a rotated
    title lie on their side, wider than tall; the dashes of a curve do not start inside a row)."""
    if not (span[0] <= g.y0 < span[1] < g.y1) or g.w > g.h:
        return False
    tall = max(t.h for t in row)
    body = [t for t in row if t.h > 0.5 * tall]
    top, bottom = min(t.y0 for t in body), max(t.y1 for t in body)
    ch = float(np.median([t.h for t in body]))
    return (
        g.h <= 0.5 * ch
        and bottom - top <= 1.5 * ch
        and top + 0.5 * ch <= g.y0 < bottom < g.y1
        and any(abs(g.cx - t.cx) <= 0.6 * ch + 0.5 * (g.w + t.w) for t in body)
    )


def words_of(row: list[Glyph], *, gap: float) -> list[Word]:
    """Glyphs of a row joined into words where they are at most ``gap`` px apart."""
    if not row:
        return []
    row = sorted(row, key=lambda g: g.x0)
    words: list[list[Glyph]] = [[row[0]]]
    right = row[0].x1
    for g in row[1:]:
        if g.x0 - right <= gap:
            words[-1].append(g)
        else:
            words.append([g])
        right = max(right, g.x1)
    return [Word(tuple(w)) for w in words]

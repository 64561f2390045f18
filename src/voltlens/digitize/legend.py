"""The legend: entries (a coloured handle — a short line or a marker — followed by text), where
the legend sits (so its swatches are not read as curves) and which curve each entry names.

Entries are text rows whose first element is a handle: a short horizontal stroke or a compact
mark, drawn in a series colour (or a bar even when black), one gap before text in the text colour.
Rows whose handles line up form the legend; its text is read by OCR and each entry is matched to
the curve of the nearest colour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import ocr
from .text import Glyph, glyphs_in, rows_of, words_of

__all__ = ["Legend", "LegendEntry", "find_legend", "match_legend"]


@dataclass(frozen=True, slots=True)
class LegendEntry:
    color: tuple[int, int, int]
    label: str
    score: float
    handle: tuple[int, int, int, int]
    text: tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Legend:
    box: tuple[int, int, int, int]  # rectified pixel box, end exclusive
    inside: bool
    entries: tuple[LegendEntry, ...]


def _colour(img: np.ndarray, strength: np.ndarray, g: Glyph) -> np.ndarray:
    s = strength[g.y0 : g.y1, g.x0 : g.x1]
    px = img[g.y0 : g.y1, g.x0 : g.x1]
    sel = s >= 0.7 * s.max() if s.size else np.zeros_like(s, dtype=bool)
    if not sel.any():
        return np.array([0.0, 0.0, 0.0])
    return np.median(px[sel].astype(np.float64), axis=0)


def _text_colour(layout) -> np.ndarray:  # type: ignore[no-untyped-def]
    img, s = layout.image, layout.ink.strength
    cols = []
    for lb in (layout.x.labels[:3], layout.y.labels[:3]):
        for t in lb:
            del t
    box = layout.box
    # the tick label text below the x axis is drawn in the foreground colour
    h, w = s.shape
    y0 = int(min(h - 1, box.bottom + 3))
    y1 = int(min(h, box.bottom + 3 + 3 * layout.char_h))
    x0, x1 = int(max(0, box.left)), int(min(w, box.right))
    patch = s[y0:y1, x0:x1]
    if patch.size and (patch >= 0.7 * patch.max()).any():
        sel = patch >= 0.7 * patch.max()
        cols.append(np.median(img[y0:y1, x0:x1][sel].astype(np.float64), axis=0))
    return cols[0] if cols else np.array([0.0, 0.0, 0.0])


def find_legend(layout, region: tuple[int, int, int, int]) -> Legend | None:  # type: ignore[no-untyped-def]
    """The legend of the figure, inside or outside the plot area, or None."""
    img, ink, box = layout.image, layout.ink, layout.box
    h, w = ink.mask.shape
    ch_axis = layout.char_h
    glyphs = glyphs_in(ink.mask, (0, 0, w, h), max_h=2.5 * ch_axis + 4, max_w=0.25 * w)
    if not glyphs:
        return None
    text_rgb = _text_colour(layout)
    axis_zone = _axis_text_zone(layout)
    entries: list[tuple[Glyph, list[Glyph], float]] = []
    for row in rows_of(glyphs):
        row = [g for g in row if not _in_any(g, axis_zone)]
        if len(row) < 2:
            continue
        ch = float(np.percentile([g.h for g in row if g.h >= 3] or [ch_axis], 60))
        row.sort(key=lambda g: g.x0)
        handle = row[0]
        rest = row[1:]
        gap = rest[0].x0 - handle.x1
        if gap < 0.2 * ch or gap > 2.5 * ch:
            continue
        bar = handle.w >= 1.2 * ch and handle.h <= 0.7 * ch
        mark = handle.w <= 1.6 * ch and handle.h <= 1.6 * ch and handle.w >= 0.3 * ch and handle.h >= 0.3 * ch
        hc = _colour(img, ink.strength, handle)
        coloured = float(np.abs(hc - text_rgb).max()) > 60
        if not (bar or (mark and coloured)):
            continue
        # text: glyphs chained right of the handle in the text colour
        words = words_of(rest, gap=0.9 * ch)
        if not words:
            continue
        text = words[0]
        for wd in words[1:]:
            if wd.x0 - text.x1 <= 1.2 * ch:
                from .text import Word

                text = Word(text.glyphs + wd.glyphs)
        tc = _colour(img, ink.strength, Glyph(text.x0, text.y0, text.x1, text.y1, 0))
        if float(np.abs(tc - text_rgb).max()) > 90 and coloured:
            continue
        entries.append((handle, list(text.glyphs), ch))
    if not entries:
        return None
    # keep the largest group of entries whose handles line up
    groups: list[list[tuple[Glyph, list[Glyph], float]]] = []
    for e in entries:
        for grp in groups:
            g0 = grp[0][0]
            same_col = abs(e[0].x0 - g0.x0) <= 0.6 * e[2]
            same_row = abs(e[0].cy - g0.cy) <= 0.6 * e[2]
            near = min(abs(e[0].cy - x[0].cy) for x in grp) <= 3.5 * e[2] or min(abs(e[0].x0 - x[0].x0) for x in grp) <= 25 * e[2]
            if (same_col or same_row) and near:
                grp.append(e)
                break
        else:
            groups.append([e])
    groups.sort(key=len, reverse=True)
    grp = groups[0]
    if len(grp) == 1 and not _single_ok(grp[0], layout):
        return None
    grp.sort(key=lambda e: (round(e[0].cy / max(1.0, e[2])), e[0].x0))
    ch = float(np.median([e[2] for e in grp]))
    xs0 = min(e[0].x0 for e in grp)
    ys0 = min(min(e[0].y0, min(g.y0 for g in e[1])) for e in grp)
    xs1 = max(max(g.x1 for g in e[1]) for e in grp)
    ys1 = max(max(e[0].y1, max(g.y1 for g in e[1])) for e in grp)
    pad = int(round(0.9 * ch)) + 2
    lbox = (xs0 - pad, ys0 - pad, xs1 + pad, ys1 + pad)
    rx0, ry0, rx1, ry1 = region
    cx, cy = 0.5 * (xs0 + xs1), 0.5 * (ys0 + ys1)
    inside = rx0 <= cx <= rx1 and ry0 <= cy <= ry1
    crops = []
    for handle, text, _ in grp:
        tx0, ty0 = min(g.x0 for g in text), min(g.y0 for g in text)
        tx1, ty1 = max(g.x1 for g in text), max(g.y1 for g in text)
        p = max(2, int(0.25 * ch))
        crops.append(img[max(0, ty0 - p) : ty1 + p, max(0, tx0 - p) : tx1 + p])
    readings = ocr.read_crops(crops, dark=ink.dark)
    out = []
    for (handle, text, _), rd in zip(grp, readings, strict=True):
        col = _colour(img, ink.strength, handle)
        tb = (min(g.x0 for g in text), min(g.y0 for g in text), max(g.x1 for g in text), max(g.y1 for g in text))
        out.append(
            LegendEntry(
                tuple(int(v) for v in col), rd.text, rd.score, (handle.x0, handle.y0, handle.x1, handle.y1), tb
            )
        )
    return Legend(lbox, inside, tuple(out))


def _single_ok(entry: tuple[Glyph, list[Glyph], float], layout) -> bool:  # type: ignore[no-untyped-def]
    """A lone legend entry must be a clear bar followed by a few words."""
    handle, text, ch = entry
    return handle.w >= 1.5 * ch and handle.h <= 0.5 * ch and len(text) >= 3


def _axis_text_zone(layout) -> list[tuple[float, float, float, float]]:  # type: ignore[no-untyped-def]
    box = layout.box
    h, w = layout.ink.mask.shape
    ch = layout.char_h
    zones = []
    if layout.x.side == "bottom":
        zones.append((box.left - 3 * ch, box.bottom, box.right + 3 * ch, box.bottom + 2.5 * ch + 12))
    if layout.y.side == "left":
        zones.append((0, box.top - ch, box.left, box.bottom + ch))
    return zones


def _in_any(g: Glyph, zones: list[tuple[float, float, float, float]]) -> bool:
    return any(a <= g.cx <= c and b <= g.cy <= d for a, b, c, d in zones)


def _lab(rgb: tuple[int, int, int] | np.ndarray) -> np.ndarray:
    import cv2

    px = np.asarray(rgb, dtype=np.float32).reshape(1, 1, 3) / 255.0
    return cv2.cvtColor(px, cv2.COLOR_RGB2LAB).reshape(3)


def match_legend(traces: list, legend: Legend) -> tuple[list, list[str | None], list[str]]:
    """Traces matched to legend entries by colour (greedy, nearest first); unmatched small traces
    are dropped as stray marks, unmatched entries reported."""
    notes: list[str] = []
    if not traces:
        return traces, [], notes
    tl = [_lab(s.color) for s, _ in traces]
    el = [_lab(e.color) for e in legend.entries]
    pairs = sorted(
        ((float(np.linalg.norm(a - b)), i, j) for i, a in enumerate(tl) for j, b in enumerate(el)), key=lambda t: t[0]
    )
    used_t, used_e = {}, set()
    for d, i, j in pairs:
        if i in used_t or j in used_e or d > 35:
            continue
        used_t[i] = j
        used_e.add(j)
    out, labels = [], []
    biggest = max(s.n_pixels for s, _ in traces)
    for i, t in enumerate(traces):
        if i in used_t:
            out.append(t)
            labels.append(legend.entries[used_t[i]].label)
        elif t[0].n_pixels >= 0.25 * biggest:
            out.append(t)
            labels.append(None)
    missing = [legend.entries[j].label for j in range(len(legend.entries)) if j not in used_e]
    if missing:
        notes.append(f"legend entries without a visible curve of their colour: {', '.join(repr(m) for m in missing)}")
    return out, labels, notes

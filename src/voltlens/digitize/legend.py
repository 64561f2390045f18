"""The legend: entries (a coloured handle — a short line or a marker — followed by text), where
the legend sits (so its swatches are not read as curves) and which curve each entry names.

Entries are text rows whose first element is a handle: a short horizontal stroke or a compact
mark, drawn in a series colour (or a bar even when black), one gap before text in the text colour.
Rows whose handles line up form the legend; its text is read by OCR and each entry is matched to
the curve of the nearest colour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from . import ocr
from .curves import SAME_COLOUR_LAB, lab_of
from .text import Glyph, column_extent, extent, glyphs_in

__all__ = ["Legend", "LegendEntry", "clean_label", "find_legend", "harmonise_units", "match_legend"]


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


def _colour(
    img: np.ndarray, strength: np.ndarray, g: Glyph, *, among: np.ndarray | None = None
) -> np.ndarray:
    """The colour of the glyph's strongest ink (median of its pixels within 70 % of the strongest),
    ``among`` the pixels of this mask of the glyph's box only, where given."""
    s = strength[g.y0 : g.y1, g.x0 : g.x1]
    px = img[g.y0 : g.y1, g.x0 : g.x1]
    if among is not None:
        s = np.where(among, s, -np.inf)
    sel = s >= 0.7 * s.max() if s.size else np.zeros_like(s, dtype=bool)
    if not sel.any():
        return np.array([0.0, 0.0, 0.0])
    return np.median(px[sel].astype(np.float64), axis=0)


def _text_colour(layout) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Colour of the tick-label text (drawn in the figure's foreground colour): the strongest ink
    of the tick-label bands beside the axes (below the x axis, left of the y axis, or on the
    sides the labels are), each band reaching out 6 character heights so labels set well apart
    from a box drawn at the gridlines are still found.  Black (white on a dark theme) where the
    bands hold no ink."""
    img, s, m = layout.image, layout.ink.strength, layout.ink.mask
    box, ch = layout.box, layout.char_h
    h, w = s.shape
    reach = 6 * ch + 3
    bands = []
    x0, x1 = int(max(0, box.left)), int(min(w, box.right))
    y0, y1 = int(max(0, box.top)), int(min(h, box.bottom))
    # each band with the side of it that runs along the axis
    if layout.x.side == "top":
        bands.append(
            ((slice(int(max(0, box.top - reach)), int(max(0, box.top - 3))), slice(x0, x1)), "bottom")
        )
    else:
        bands.append(
            ((slice(int(min(h, box.bottom + 3)), int(min(h, box.bottom + reach))), slice(x0, x1)), "top")
        )
    if layout.y.side == "right":
        bands.append(
            ((slice(y0, y1), slice(int(min(w, box.right + 3)), int(min(w, box.right + reach)))), "left")
        )
    else:
        bands.append(
            ((slice(y0, y1), slice(int(max(0, box.left - reach)), int(max(0, box.left - 3)))), "right")
        )
    import cv2

    px, st = [], []
    for band, along in bands:
        sel = m[band].copy()
        # tick marks reach into the band from the axis (drawn in the tick colour, which need not
        # be the text's): what touches the band's edge along the axis is left out
        _n, lab = cv2.connectedComponents(sel.astype(np.uint8), connectivity=8)
        edge = {"top": lab[:2], "bottom": lab[-2:], "left": lab[:, :2], "right": lab[:, -2:]}[along]
        touching = np.unique(edge[edge > 0])
        sel &= ~np.isin(lab, touching)
        if int(sel.sum()) >= 8:
            px.append(img[band][sel].astype(np.float64))
            st.append(s[band][sel].astype(np.float64))
    if not px:
        return np.array([255.0, 255.0, 255.0]) if layout.ink.dark else np.array([0.0, 0.0, 0.0])
    allpx, allst = np.concatenate(px), np.concatenate(st)
    return np.median(allpx[allst >= 0.7 * allst.max()], axis=0)


def find_legend(layout, region: tuple[int, int, int, int]) -> Legend | None:  # type: ignore[no-untyped-def]
    """The legend of the figure, inside or outside the plot area, or None.

    Text first: runs of text-coloured glyphs are label candidates; one whose left neighbour
    (within 3.5 character heights, on its line) is ink of any colour has a handle.  Entries whose
    texts start at the same x (a column of entries) or share a line (a row of entries) form the
    legend.  Curves of other colours crossing a legend drawn over the data fuse with its letters
    and break its words: a second reading keeps only the ink of the text colour (and its blend
    into the background) for the texts, and the one giving more entries is kept.
    """
    text_rgb = _text_colour(layout)
    first = _find_legend(layout, region, text_rgb, text_only=False)
    if first is not None and not first.inside:
        return first
    second = _find_legend(layout, region, text_rgb, text_only=True)
    if first is None or second is None:
        return first or second
    return (
        _merged(first, second)
        if _overlap(first.box, second.box)
        else max((first, second), key=lambda lg: len(lg.entries))
    )


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _merged(first: Legend, second: Legend) -> Legend:
    """One legend from two readings of it.  Entries both readings found (text boxes overlapping)
    are its core, each kept in its better reading (:func:`_quality`; the second on a tie: its
    texts are read free of crossing curves); an entry only one reading
    found joins when its text lines up with the core's (same column or same row) — a curve's
    piece in the text colour read as a word beside the legend does not.  Without a core, the
    reading with more entries."""
    core, pairs_a, pairs_b = [], set(), set()
    for i, e in enumerate(first.entries):
        for j, f in enumerate(second.entries):
            if j not in pairs_b and _overlap(e.text, f.text):
                best = max((f, e), key=_quality)  # ties: the text-only reading
                # the handle as the full reading saw it: the text-only one keeps only the ink
                # of the text colour, not a coloured handle's
                core.append(replace(best, color=e.color, handle=e.handle))
                pairs_a.add(i)
                pairs_b.add(j)
                break
    if not core:
        return max((first, second), key=lambda lg: len(lg.entries))
    extra = [e for i, e in enumerate(first.entries) if i not in pairs_a]
    extra += [f for j, f in enumerate(second.entries) if j not in pairs_b]
    entries = core + [e for e in extra if _lines_up(e, core)]
    entries.sort(key=lambda e: (e.text[1], e.text[0]))
    ch = float(np.median([e.text[3] - e.text[1] for e in entries]))
    pad = round(0.8 * ch) + 2  # as find_legend pads its entries
    box = (
        min(min(e.handle[0], e.text[0]) for e in entries) - pad,
        min(min(e.handle[1], e.text[1]) for e in entries) - pad,
        max(max(e.handle[2], e.text[2]) for e in entries) + pad,
        max(max(e.handle[3], e.text[3]) for e in entries) + pad,
    )
    return Legend(box, first.inside or second.inside, tuple(entries))


def _quality(e: LegendEntry) -> tuple[bool, float, int]:
    """The better of two readings of one legend text: free of stray strokes read as characters
    ('|', brackets), then the more confident (to 0.1), then the longer (not cut where a curve crosses)."""
    return (not re.search(r"[|\[\]{}$]", e.label), round(e.score, 1), len(e.label))


def _lines_up(e: LegendEntry, core: list[LegendEntry]) -> bool:
    """Whether an entry's text starts where the core's texts start (a column of entries), or —
    when the core is laid out in a row — shares the core's row."""
    h = max(2, e.text[3] - e.text[1])
    mid = [0.5 * (c.text[1] + c.text[3]) for c in core]
    in_row = any(abs(a - b) <= 0.4 * h for i, a in enumerate(mid) for b in mid[i + 1 :])
    cy = 0.5 * (e.text[1] + e.text[3])
    for c, m in zip(core, mid, strict=True):
        if abs(e.text[0] - c.text[0]) <= 0.8 * h or (in_row and abs(cy - m) <= 0.4 * h):
            return True
    return False


def _text_ink(img: np.ndarray, background: np.ndarray, mask: np.ndarray, text_rgb: np.ndarray) -> np.ndarray:
    """Pixels of ``mask`` whose colour lies on the blend from the text colour to the local
    background (text and its anti-aliased edges), not those of a coloured curve crossing it."""
    return mask & (_off_text_blend(img, background, text_rgb) <= 45.0)


def _off_text_blend(
    img: np.ndarray, background: np.ndarray, text_rgb: np.ndarray, *, beyond: bool = False
) -> np.ndarray:
    """How far (largest channel difference) each pixel's colour lies from the blend of the text
    colour into the local background — or, ``beyond``, from the line through both (a black frame
    beside grey text lies on it)."""
    px = img.astype(np.float32)
    bg = background.astype(np.float32)
    t = text_rgb.astype(np.float32).reshape(1, 1, 3)
    d = bg - t
    dd = np.maximum((d * d).sum(axis=2), 1.0)
    a = ((px - t) * d).sum(axis=2) / dd
    if not beyond:
        a = np.clip(a, 0.0, 1.0)
    return np.abs(px - (t + a[..., None] * d)).max(axis=2)


def _find_legend(  # type: ignore[no-untyped-def]
    layout, region: tuple[int, int, int, int], text_rgb: np.ndarray, *, text_only: bool
) -> Legend | None:
    """One reading of the legend (:func:`find_legend`), ``text_rgb`` the tick labels' colour."""
    img, ink = layout.image, layout.ink
    h, w = ink.mask.shape
    ch_axis = layout.char_h
    base = _text_ink(img, ink.background, ink.mask, text_rgb) if text_only else ink.mask
    mask = _without_long_lines(base, ch_axis)
    glyphs = glyphs_in(mask, (0, 0, w, h), max_h=2.5 * ch_axis + 4, max_w=0.25 * w)
    if not glyphs:
        return None
    # gridlines and spines crossing a text are not read as strokes ('|', '$' for 's')
    ocr_img = np.where((base & ~mask)[..., None], ink.background, img)
    if text_only:  # what reads as text now: only its own colour goes to the OCR
        ocr_img = np.where((ink.mask & ~base)[..., None], ink.background, ocr_img)
    axis_zone = _axis_text_zone(layout)
    glyphs = [g for g in glyphs if not _in_any(g, axis_zone)]
    if len(glyphs) < 3:
        return None
    gx0 = np.array([g.x0 for g in glyphs], dtype=float)
    gx1 = np.array([g.x1 for g in glyphs], dtype=float)
    gy0 = np.array([g.y0 for g in glyphs], dtype=float)
    gy1 = np.array([g.y1 for g in glyphs], dtype=float)
    gcy = 0.5 * (gy0 + gy1)
    gh = gy1 - gy0
    # small marks (decimal points, minus signs) are too blurred to judge: they follow their word
    coloured_as_text = np.array(
        [float(np.abs(_colour(img, ink.strength, g) - text_rgb).max()) <= 70 for g in glyphs]
    )
    is_text = coloured_as_text | np.array([g.area <= 12 for g in glyphs])
    used = np.zeros(len(glyphs), dtype=bool)
    entries: list[tuple[Glyph, list[Glyph], float]] = []
    for s_idx in np.argsort(gx0, kind="stable"):
        seed = glyphs[s_idx]
        if used[s_idx] or not coloured_as_text[s_idx] or seed.h < 3:  # a line starts with a letter
            continue
        # the line of text starting at this glyph: text-coloured glyphs chained to the right
        same_line = (
            is_text
            & (np.abs(gcy - seed.cy) <= 0.5 * max(seed.h, 4))
            & (gh <= 1.6 * seed.h + 2)
            & (gx0 >= seed.x0)
        )
        cand = np.flatnonzero(same_line)
        cand = cand[np.argsort(gx0[cand], kind="stable")]
        word_idx = [int(s_idx)]
        right = seed.x1
        for c in cand:
            if c == s_idx:
                continue
            local = max(gh[word_idx].max(), gh[c])
            if gx0[c] - right > 0.9 * local:
                break
            word_idx.append(int(c))
            right = max(right, gx1[c])
        used[word_idx] = True
        word, lead = _split_lead([glyphs[k] for k in word_idx], mask)
        tall = [g.h for g in word if g.h >= 3]
        if not tall:  # all of it was the handle
            continue
        ch = float(np.percentile(tall, 75))
        wx0 = min(g.x0 for g in word)
        if not _looks_like_text(word, ch):
            continue
        wcy = 0.5 * (min(g.y0 for g in word) + max(g.y1 for g in word))
        # its handle: ink just left of it on the same line
        left = (
            (gx1 <= wx0 - 0.2 * ch)
            & (gx1 >= wx0 - 3.0 * ch)
            & (np.abs(gcy - wcy) <= 0.45 * ch)
            & (gh <= 1.8 * ch)
        )
        hb = None
        if left.any():
            right_end = gx1[left].max()
            pieces = np.flatnonzero(
                (gx1 <= right_end)
                & (gx0 >= right_end - 4.5 * ch)
                & (np.abs(gcy - wcy) <= 0.45 * ch)
                & (gh <= 1.8 * ch)
            )
            pieces = np.union1d(pieces, np.flatnonzero(left & (gx1 == right_end)))
            handle_g = [glyphs[k] for k in pieces]
            hb = _union(handle_g)
            if not _looks_like_handle(hb, handle_g, ch):
                hb = None
        if hb is None and lead:  # drawn in the text colour: what came before the text on its line
            hb = _union(lead)
        if hb is None:  # a handle fused with a curve, a marker or the legend frame: a bar of pixels
            hb = _bar_handle(ink.mask, img, ink.strength, wx0, wcy, ch, text_rgb)
        if hb is None:
            continue
        entries.append((hb, word, ch))
    if not entries:
        return None
    # entries in one column (texts start at the same x) or one row form a legend
    n = len(entries)
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    tx = [min(g.x0 for g in e[1]) for e in entries]
    for a in range(n):
        for b in range(a + 1, n):
            ch = max(entries[a][2], entries[b][2])
            dy = abs(entries[a][0].cy - entries[b][0].cy)
            # a column: texts start together, one line apart — or two, where an entry between
            # was not read, when the handles start together too
            hx = abs(entries[a][0].x0 - entries[b][0].x0) <= 0.6 * ch
            same_col = abs(tx[a] - tx[b]) <= 0.6 * ch and (dy <= 3.2 * ch or (hx and dy <= 5.5 * ch))
            ends = (max(g.x1 for g in entries[a][1]), max(g.x1 for g in entries[b][1]))
            same_row = dy <= 0.4 * ch and (
                0 < entries[b][0].x0 - ends[0] <= 6 * ch or 0 < entries[a][0].x0 - ends[1] <= 6 * ch
            )
            if same_col or same_row:
                parent[find(a)] = find(b)
    comps: dict[int, list[int]] = {}
    for a in range(n):
        comps.setdefault(find(a), []).append(a)
    best = max(
        comps.values(),
        key=lambda c: (len(c), len({_colour_key(img, ink.strength, entries[k][0]) for k in c})),
    )
    grp = [entries[k] for k in best]
    if len(grp) == 1 and not _single_ok(grp[0], layout):
        return None
    grp.sort(key=lambda e: e[0].cy)
    line, last = 0, None
    keyed = []
    for e in grp:  # reading order: lines top to bottom, entries left to right
        if last is not None and e[0].cy - last > 0.5 * e[2]:
            line += 1
        last = e[0].cy
        keyed.append((line, e[0].x0, e))
    grp = [e for _, _, e in sorted(keyed, key=lambda t: (t[0], t[1]))]
    ch = float(np.median([e[2] for e in grp]))
    xs0 = min(e[0].x0 for e in grp)
    ys0 = min(min(e[0].y0, min(g.y0 for g in e[1])) for e in grp)
    xs1 = max(max(g.x1 for g in e[1]) for e in grp)
    ys1 = max(max(e[0].y1, max(g.y1 for g in e[1])) for e in grp)
    pad = round(0.8 * ch) + 2
    lbox = (xs0 - pad, ys0 - pad, xs1 + pad, ys1 + pad)
    rx0, ry0, rx1, ry1 = region
    cx, cy = 0.5 * (xs0 + xs1), 0.5 * (ys0 + ys1)
    inside = rx0 <= cx <= rx1 and ry0 <= cy <= ry1
    crops, longer, long_idx = [], [], []
    ends = _column_ends(grp, ch)
    for k, (handle, text, _) in enumerate(grp):
        tx0, ty0, tx1, ty1 = extent(text)
        p = max(2, int(0.25 * ch))
        cx0 = max(0, tx0 - p)
        if handle.x1 <= tx0 and abs(handle.cy - 0.5 * (ty0 + ty1)) <= 0.5 * ch:
            cx0 = max(cx0, handle.x1 + (1 if tx0 - handle.x1 >= 2 else 0))  # not the handle's end
        crops.append(ocr_img[max(0, ty0 - p) : ty1 + p, cx0 : tx1 + p])
        if ends[k] > tx1 + 0.5 * ch:  # the text may go on where a curve crossing it hid it
            longer.append(ocr_img[max(0, ty0 - p) : ty1 + p, cx0 : ends[k] + p])
            long_idx.append(k)
    readings = ocr.read_crops(crops + longer, dark=ink.dark)
    readings, extra = readings[: len(crops)], readings[len(crops) :]
    for k, rd in zip(long_idx, extra, strict=True):
        if _continues(readings[k].text, rd.text) and rd.score >= 0.7:
            readings[k] = rd
    keep = [k for k, rd in enumerate(readings) if _legible(rd.text, rd.score)]
    if not keep:
        return None  # curve fragments and markers taken for text: no legend
    grp = [grp[k] for k in keep]
    readings = [readings[k] for k in keep]
    texts = harmonise_units([clean_label(rd.text) for rd in readings])
    out = []
    for (handle, text, _), rd, label in zip(grp, readings, texts, strict=True):
        col = _handle_colour(img, ink.background, ink.strength, handle, text_rgb)
        tb = extent(text)
        out.append(
            LegendEntry(
                tuple(int(v) for v in col),
                label,
                rd.score,
                (handle.x0, handle.y0, handle.x1, handle.y1),
                tb,
            )
        )
    return Legend(lbox, inside, tuple(out))


_JUNK = "|,;:_-'\"`"
_VALUE = re.compile(r"^([-+]?\d+(?:[.,]\d+)?)\s*(\S*(?:\s\S+)?)$")


def clean_label(text: str) -> str:
    """A legend text as read, less stray strokes at its ends (a curve crossing the crop read as
    '|' or ','), with a space put back between a number and its unit ('4mV/s')."""
    t = text.strip().strip(_JUNK).strip()
    return re.sub(r"^([-+]?\d+(?:[.,]\d+)?)(?=[A-Za-zµμ])(?![eE][-+\d])", r"\1 ", t)


def harmonise_units(labels: list[str]) -> list[str]:
    """Labels of a series ("0.1 mM", "0.2 mM", …) share their unit: where the labels that are a
    number and a unit agree on one unit more often than on any other, a label whose unit is
    missing or within two edits of it (cut off or misread where a curve crosses the text: '8.92',
    '2.97 mN', '120 mV') gets it."""
    parsed = [_VALUE.match(t) for t in labels]
    units = [m.group(2) for m in parsed if m is not None and m.group(2)]
    if len(units) < 2:
        return labels
    counts = sorted(((units.count(u), u) for u in set(units)), reverse=True)
    top = counts[0][1]
    runner_up = counts[1][0] if len(counts) > 1 else 0
    if counts[0][0] < 2 or counts[0][0] <= runner_up or not any(c.isalpha() for c in top):
        return labels
    out = []
    for t, m in zip(labels, parsed, strict=True):
        if m is not None and m.group(2) != top and (not m.group(2) or _edit_distance(m.group(2), top) <= 2):
            t = f"{m.group(1)} {top}"
        out.append(t)
    return out


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _column_ends(grp: list, ch: float) -> list[int]:  # type: ignore[type-arg]
    """How far right each entry's text may run: to the right end of the longest text in its
    column of entries, short of the next entry's handle on its line."""
    boxes = [extent(t) for _h, t, _c in grp]
    out = []
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        col = [b[2] for b in boxes if abs(b[0] - x0) <= 0.6 * ch]
        end = max([x1, *col])
        for j, (h, _t, _c) in enumerate(grp):
            if j != k and h.x0 > x1 and abs(h.cy - 0.5 * (y0 + y1)) <= 0.5 * ch:
                end = min(end, h.x0 - round(0.5 * ch))
        out.append(int(max(end, x1)))
    return out


def _continues(short: str, long: str) -> bool:
    """Whether a reading of a longer crop extends the reading of the text's own crop."""
    a, b = "".join(short.split()), "".join(long.split())
    return len(b) > len(a) and b.startswith(a)


def _legible(text: str, score: float) -> bool:
    """OCR of a legend text worth keeping: confidently read, with a letter or a digit."""
    return score >= 0.6 and any(c.isalnum() for c in text)


def _without_long_lines(mask: np.ndarray, ch: float) -> np.ndarray:
    """The ink mask less gridlines and spines: vertical strokes taller than two text lines and
    horizontal ones longer than any legend handle, so text they cross splits back into glyphs —
    except where such a line runs through a letter (ink on both sides of it), which stays whole."""
    import cv2

    m = mask.astype(np.uint8)
    lv = max(5, round(2.2 * ch))
    lh = max(9, round(7.0 * ch))
    vert = cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((lv, 1), np.uint8))
    hor = cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((1, lh), np.uint8)) > 0
    kept = mask & (vert == 0) & ~hor
    # a gridline through a line of text: its pixels between a letter's stroke above and below
    # stay, so the letters it crosses are not cut in halves
    above, below = np.zeros_like(kept), np.zeros_like(kept)
    left, right = np.zeros_like(kept), np.zeros_like(kept)
    for d in range(1, 4):
        above[d:] |= kept[:-d]
        below[:-d] |= kept[d:]
        left[:, d:] |= kept[:, :-d]
        right[:, :-d] |= kept[:, d:]
    return kept | (hor & (vert == 0) & above & below) | ((vert > 0) & ~hor & left & right)


def _bar_handle(
    mask: np.ndarray,
    img: np.ndarray,
    strength: np.ndarray,
    wx0: int,
    wcy: float,
    ch: float,
    text_rgb: np.ndarray,
) -> Glyph | None:
    """A legend line drawn just left of a text (its rows within a third of a character of the
    text's centre): a horizontal run of series-coloured ink 1–5 character widths long ending
    less than 1.5 characters before the text.  Found on pixels, so a handle touching a curve, a
    marker or the frame still counts."""
    h = mask.shape[0]
    ya, yb = int(max(0, round(wcy - 0.35 * ch))), int(min(h, round(wcy + 0.35 * ch) + 1))
    xa, xb = int(max(0, wx0 - round(6.0 * ch))), int(max(0, wx0 - round(0.15 * ch)))
    if yb - ya < 1 or xb - xa < ch:
        return None
    best: tuple[int, int, int] | None = None
    for y in range(ya, yb):
        row = mask[y, xa:xb]
        if not row.any():
            continue
        # the run of ink nearest the text
        idx = np.flatnonzero(row)
        end = int(idx[-1])
        if xb - (xa + end) > 1.5 * ch:
            continue
        start = end
        while start > 0 and row[start - 1]:
            start -= 1
        n = end - start + 1
        if start == 0:  # running on past the window: a gridline, a flat curve — or a coloured
            start, end = _chromatic_run(img[y, xa:xb], end)  # handle drawn over a grey gridline
            n = end - start + 1
        if n < 1.0 * ch or start == 0:
            continue  # too short, or running on past the window (a gridline, a flat curve)
        if best is None or n > best[2] - best[1]:
            best = (y, xa + start, xa + end + 1)
    if best is None:
        return None
    y, x0, x1 = best
    band = mask[ya:yb, x0:x1]
    rows = np.flatnonzero(band.any(axis=1))
    g = Glyph(x0, ya + int(rows[0]), x1, ya + int(rows[-1]) + 1, int(band.sum()))
    col = _colour(img, strength, g)
    if float(np.abs(col - text_rgb).max()) <= 40 and float(np.ptp(col)) < 30:
        return None  # a text-coloured rule (an underline, a table line), not a series swatch
    return g


def _chromatic_run(row: np.ndarray, end: int) -> tuple[int, int]:
    """The run of chromatic pixels (a series colour, not a grey) ending nearest ``end`` in a
    row of RGB pixels, as (start, end); (0, end) when there is none."""
    px = row.astype(np.int16)
    chroma = (px.max(axis=1) - px.min(axis=1)) >= 60
    idx = np.flatnonzero(chroma[: end + 1])
    if idx.size == 0:
        return 0, end
    e = int(idx[-1])
    if end - e > 2:
        return 0, end
    a = e
    while a > 0 and chroma[a - 1]:
        a -= 1
    return a, e


def _handle_colour(
    img: np.ndarray, background: np.ndarray, strength: np.ndarray, g: Glyph, text_rgb: np.ndarray
) -> np.ndarray:
    """The series colour of a handle: its strongest pixels (a marker's face, a line's core) — of
    its pixels off the text colour's blend into the background, when they make up a third of its
    ink or more: a coloured handle whose box took in a piece of the legend's frame or of a black
    gridline junction keeps its own colour, not the frame's stronger black."""
    box = (slice(g.y0, g.y1), slice(g.x0, g.x1))
    s = strength[box]
    if s.size == 0:
        return _colour(img, strength, g)
    inked = s >= 0.5 * s.max()
    own = inked & (_off_text_blend(img[box], background[box], text_rgb, beyond=True) > 30.0)
    if not own.any() or own.sum() < max(4, inked.sum() / 3):
        return _colour(img, strength, g)
    return _colour(img, strength, g, among=own)


def _colour_key(img: np.ndarray, strength: np.ndarray, g: Glyph) -> tuple[int, int, int]:
    return tuple(int(v) // 40 for v in _colour(img, strength, g))  # type: ignore[return-value]


def _union(gs: list[Glyph]) -> Glyph:
    return Glyph(*extent(gs), sum(g.area for g in gs))


def _split_lead(word: list[Glyph], mask: np.ndarray) -> tuple[list[Glyph], list[Glyph]]:
    """A line of text less the handle drawn in the text colour at its start (a black line, solid
    or dashed, with or without a marker: no letter is that long and flat), and that handle
    (empty when there is none).  The handle ends a gap before the text — or touches its first
    letter (:func:`_cut_swatch`); what is left is text."""
    word = sorted(word, key=lambda g: g.x0)
    letters = [g.h for g in word if g.h >= 3 and g.w < 1.6 * g.h]
    if len(letters) < 2:  # letters run together (blurred, tight text): heights of all but the first
        letters = [g.h for g in word[1:] if g.h >= 3]
    if len(letters) < 2:
        return word, []
    ch = float(np.percentile(letters, 75))
    k, marks = 0, 0
    while k < len(word) - 2:
        g = word[k]
        # a line (a marker on it or not): longer than letters run together, and thin in most
        # of its columns where letters run together are letter-tall
        bar = g.w >= 2.2 * ch and g.h <= 1.4 * ch and _median_extent(mask, g) <= 0.85 * ch
        bar = bar or (k == 0 and _marked_line(mask, g, ch))
        # a dash or a dot: flat or round and solid (small letters are neither)
        dash = g.h <= 0.5 * ch + 1 and g.w >= max(0.3 * ch, 0.8 * g.h) and g.area >= 0.75 * g.w * g.h
        mark = 0.5 * ch <= g.w <= 1.4 * ch and 0.5 * ch <= g.h <= 1.4 * ch  # a marker on the line
        if not (bar or dash or (mark and marks == 0)):
            break
        marks += int(mark and not (bar or dash))
        k += 1
    while k > 0 and marks and not (word[k - 1].h <= 0.5 * ch + 1 or word[k - 1].w >= 1.5 * ch):
        k -= 1  # a lead ending in its marker: the marker may be the text's first letter
        marks -= 1
    if 0 < k < len(word) and word[k].x0 - word[k - 1].x1 < 0.3 * ch:
        # the lead's last glyph a letter's width from the next: its end may be a letter it touches
        cut = _cut_swatch(word[k - 1], mask, ch)
        if cut is not None:
            return [cut[1], *word[k:]], [*word[: k - 1], cut[0]]
    lead, rest = word[:k], word[k:]
    if not lead or (marks and len(lead) < 2):
        cut = _cut_swatch(word[0], mask, ch)
        return ([cut[1], *word[1:]], [cut[0]]) if cut is not None else (word, [])
    span = max(g.x1 for g in lead) - lead[0].x0
    gap = rest[0].x0 - max(g.x1 for g in lead)
    if span < 1.2 * ch and gap < 0.6 * ch:
        return word, []  # one short dash close to the text: a minus sign
    long_bar = any(g.w >= 2.5 * ch and g.h <= ch for g in lead)  # no letter is: it may touch the text
    if gap < (0.15 if long_bar or any(g.w >= 1.5 * ch for g in lead) else 0.4) * ch and not long_bar:
        return word, []  # dashes and dots alone: a handle's pad from its text, not a letter's
    return rest, lead


def _marked_line(mask: np.ndarray, g: Glyph, ch: float) -> bool:
    """A line with a big marker on it, in one piece (an Excel-style handle): wider than letters run
    together, up to two characters tall, and both its ends straight flat strokes (0.4 characters from
    each, past a round cap, inked over the same rows, at most 0.9 character heights) at one height
    across its middle, a marker taller than them between — a line's ends, not a letter's stems,
    bowls or serifs."""
    if not (g.w >= 2.2 * ch and g.h <= 2.0 * ch):
        return False
    sub = mask[g.y0 : g.y1, g.x0 : g.x1]
    n = max(3, round(0.4 * ch))
    mids: list[float] = []
    thick: list[int] = []
    for cols in (sub[:, 2 : n + 2], sub[:, -n - 2 : -2]):  # past a round cap
        inked = cols.any(axis=1)
        ys = np.flatnonzero(inked)
        if ys.size == 0 or ys[-1] - ys[0] + 1 > 0.9 * ch or ys.size != ys[-1] - ys[0] + 1:
            return False
        per_col = cols[ys[0] : ys[-1] + 1].sum(axis=0)
        if per_col.min() < per_col.max() - 2:  # not one flat band all along
            return False
        mids.append(0.5 * (ys[0] + ys[-1]))
        thick.append(ys[-1] - ys[0] + 1)
    middle = 0.5 * (sub.shape[0] - 1)
    marker = column_extent(sub).max() >= max(thick) + 0.3 * ch  # taller than the line somewhere
    return (
        marker
        and abs(mids[0] - mids[1]) <= 1.5
        and all(abs(m - middle) <= 0.15 * sub.shape[0] + 1 for m in mids)
    )


def _median_extent(mask: np.ndarray, g: Glyph) -> float:
    """Median height of the ink in the glyph's columns (top to bottom, holes included)."""
    ext = column_extent(mask[g.y0 : g.y1, g.x0 : g.x1])
    return float(np.median(ext[ext > 0])) if ext.any() else 0.0


def _cut_swatch(g: Glyph, mask: np.ndarray, ch: float) -> tuple[Glyph, Glyph] | None:
    """A line swatch and the first letter it touches, apart: the glyph's leading columns as
    thin as a line (at most 0.85 character heights) for at least 1.2 characters, then a
    letter's taller columns.  None when the glyph does not start so."""
    if g.w < 1.7 * ch:
        return None
    sub = mask[g.y0 : g.y1, g.x0 : g.x1]
    heights = column_extent(sub)
    h0 = float(np.median(heights[: max(2, round(ch))]))
    if h0 > 0.85 * ch:
        return None
    tall = np.flatnonzero(heights > h0 + max(1.0, 0.1 * ch))
    if tall.size == 0:
        return None
    n = int(tall[0])
    if n < 1.2 * ch or g.w - n < 0.3 * ch:
        return None
    bar, rest = sub[:, :n], sub[:, n:]
    rb, rr = np.flatnonzero(bar.any(axis=1)), np.flatnonzero(rest.any(axis=1))
    cr = np.flatnonzero(rest.any(axis=0))
    if rb.size == 0 or rr.size == 0:
        return None
    return (
        Glyph(g.x0, g.y0 + int(rb[0]), g.x0 + n, g.y0 + int(rb[-1]) + 1, int(bar.sum())),
        Glyph(g.x0 + n + int(cr[0]), g.y0 + int(rr[0]), g.x1, g.y0 + int(rr[-1]) + 1, int(rest.sum())),
    )


def _looks_like_text(word: list[Glyph], ch: float) -> bool:
    """Glyphs of a line of text: several of them, most of letter height, bottoms aligned."""
    tall = [g for g in word if 0.5 * ch <= g.h <= 1.35 * ch]
    if len(tall) < 2:
        return False
    bottoms = np.array([g.y1 for g in tall])
    return float(np.mean(np.abs(bottoms - np.median(bottoms)) <= 0.3 * ch + 1)) >= 0.6


def _looks_like_handle(hb: Glyph, pieces: list[Glyph], ch: float) -> bool:
    """A legend handle: a (possibly dashed) horizontal line, or a compact marker (not a word)."""
    if len(pieces) >= 2 and sum(p.h >= 0.6 * ch for p in pieces) >= 2:
        return False  # several letter-sized pieces: a word, not a handle
    if hb.w >= 0.9 * ch and all(p.h <= 0.6 * ch for p in pieces):
        return True  # a line, solid or dashed
    if hb.w >= 0.9 * ch and len(pieces) <= 3:
        return True  # a line with a marker on it
    tall = [p for p in pieces if p.h >= 0.6 * ch]
    rest = [p for p in pieces if p not in tall]
    if (
        hb.w >= 0.9 * ch
        and len(tall) <= 1
        and all(p.h <= 0.5 * ch + 1 and abs(p.cy - hb.cy) <= 0.25 * ch + 1 for p in rest)
    ):
        return True  # a dotted or dashed line with a marker on it: one mark, the rest dots and dashes
    return (
        0.25 * ch <= hb.w <= 1.8 * ch and 0.25 * ch <= hb.h <= 1.8 * ch and 0.4 <= hb.w / max(hb.h, 1) <= 2.5
    )


def _single_ok(entry: tuple[Glyph, list[Glyph], float], layout) -> bool:  # type: ignore[no-untyped-def]
    """A lone legend entry must be a clear bar followed by a few words."""
    handle, text, ch = entry
    return handle.w >= 1.5 * ch and handle.h <= 0.5 * ch and len(text) >= 3


def _axis_text_zone(layout) -> list[tuple[float, float, float, float]]:  # type: ignore[no-untyped-def]
    box = layout.box
    _h, _w = layout.ink.mask.shape
    ch = layout.char_h
    zones = []
    if layout.x.side == "bottom":
        zones.append((box.left - 3 * ch, box.bottom, box.right + 3 * ch, box.bottom + 2.5 * ch + 12))
    if layout.y.side == "left":
        zones.append((0, box.top - ch, box.left, box.bottom + ch))
    return zones


def _in_any(g: Glyph, zones: list[tuple[float, float, float, float]]) -> bool:
    return any(a <= g.cx <= c and b <= g.cy <= d for a, b, c, d in zones)


HANDLE_DOT = 2.0  # a handle's ink runs shorter than this many stroke widths (median) are dots


def handle_style(mask: np.ndarray, handle: tuple[int, int, int, int]) -> str:
    """The line style a legend handle draws, from its ink's columns: one run is solid, runs shorter
    than :data:`HANDLE_DOT` stroke widths dotted, longer ones dashed (dash-dotted included)."""
    x0, y0, x1, y1 = handle
    sub = mask[y0:y1, x0:x1]
    cols = sub.any(axis=0)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], cols.astype(np.int8), [0]])))
    runs = edges[1::2] - edges[::2]
    if runs.size <= 1:
        return "solid"
    thick = max(1.0, float(np.median(sub.sum(axis=0)[cols])))
    return "dotted" if float(np.median(runs)) < HANDLE_DOT * thick else "dashed"


def _style_family(style: str) -> str:
    """A curve's line style (:data:`.curves.STYLE_NAMES`) as a handle shows it: solid, dotted, dashed."""
    return style if style in ("solid", "dotted") else "dashed"


def _by_handle_style(
    traces: list, legend: Legend, styled: set[int], handle_styles: list[str], close: np.ndarray
) -> dict[int, int]:
    """Styled traces named by the one entry of their colour whose handle draws their style, where
    each style appears once among those traces and once among those entries."""
    out: dict[int, int] = {}
    fams = {i: _style_family(traces[i][0].style) for i in styled}
    for i, fam in fams.items():
        entries = [j for j in range(len(legend.entries)) if close[i, j] and handle_styles[j] == fam]
        rivals = [k for k, f in fams.items() if f == fam and k != i]
        if len(entries) == 1 and not rivals:
            out[i] = entries[0]
    return out


def _real_unnamed(i: int, traces: list, tl: np.ndarray, used_t: dict[int, int], biggest: int) -> bool:
    """Whether unmatched trace ``i``, under a quarter of the largest trace's ink, is still a curve
    whose legend entry went unread (a flat blank scan, say) rather than text or legend debris:
    a drawn stroke (over 1 px thick: anti-aliased text and gridline fringes trace 1 px thin) running
    over half the plot width, inked over most of it (debris traces cover a quarter to 0.43 of their
    span), with a tenth of the largest trace's ink, in a colour no named curve has (a navy curve
    beside a black one is a colour of its own: the colour clustering kept them apart already, so
    only a near-identical shade, half the one-colour distance, is refused)."""
    s, tr = traces[i]
    span = tr.x_extent[1] - tr.x_extent[0]
    if s.n_pixels < 0.1 * biggest or tr.thickness < 2.0 or tr.coverage < 0.45 or span < 0.5 * s.mask.shape[1]:
        return False
    return all(float(np.linalg.norm(tl[i] - tl[k])) > 0.5 * SAME_COLOUR_LAB for k in used_t)


def match_legend(
    traces: list, legend: Legend, *, handle_styles: list[str] | None = None
) -> tuple[list, list[str | None], list[str]]:
    """Traces matched to legend entries by colour (greedy, nearest first); unmatched small traces
    are dropped as stray marks unless drawn as a curve (:func:`_real_unnamed`), unmatched entries
    reported.  Curves of one colour told apart by their line styles (one series split by
    :func:`.pipeline._by_style`) are named by the entry of their colour whose handle draws their
    style (``handle_styles``, :func:`handle_style`), where that is unambiguous; otherwise kept
    unnamed, with a note, and the entries of their colour are not reported missing."""
    notes: list[str] = []
    if not traces:
        return traces, [], notes
    styled = {i for i, (s, _) in enumerate(traces) if s.style is not None}
    tl = lab_of([s.color for s, _ in traces])
    el = lab_of([e.color for e in legend.entries])
    dist = np.linalg.norm(tl[:, None, :] - el[None, :, :], axis=2)  # trace × entry
    order = np.argsort(dist, axis=None, kind="stable")
    pairs = [(float(dist.flat[f]), *divmod(int(f), dist.shape[1])) for f in order]
    close = dist <= SAME_COLOUR_LAB
    used_t: dict[int, int] = {}
    if styled and handle_styles is not None:
        used_t = _by_handle_style(traces, legend, styled, handle_styles, close)
    used_e = set(used_t.values())
    for d, i, j in pairs:
        if i in styled and d <= SAME_COLOUR_LAB:
            used_e.add(j)  # an entry of a colour several styled curves share: which one it names is not read
        if i in used_t or i in styled or j in used_e or d > SAME_COLOUR_LAB:
            continue
        used_t[i] = j
        used_e.add(j)
    if styled - set(used_t):
        styled = styled - set(used_t)
        notes.append(
            f"{len(styled)} curves of one colour told apart by their line styles "
            f"({', '.join(sorted({traces[i][0].style for i in styled}))}) are left unnamed: "
            "which legend entry names which style is not read"
        )
    out, labels = [], []
    biggest = max(s.n_pixels for s, _ in traces)
    by_entry = {j: i for i, j in used_t.items()}
    for j in range(len(legend.entries)):  # legend order first
        if j in by_entry:
            out.append(traces[by_entry[j]])
            labels.append(legend.entries[j].label)
    for i, t in enumerate(traces):
        if i not in used_t and (
            i in styled or t[0].n_pixels >= 0.25 * biggest or _real_unnamed(i, traces, tl, used_t, biggest)
        ):
            out.append(t)
            labels.append(None)
    missing = [legend.entries[j].label for j in range(len(legend.entries)) if j not in used_e]
    if missing:
        notes.append(
            f"legend entries without a visible curve of their colour: {', '.join(repr(m) for m in missing)}"
        )
    return out, labels, notes

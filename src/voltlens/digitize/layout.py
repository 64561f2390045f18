"""Layout and calibration of a plot image: rectify, find the box, read the axes.

The result (:class:`Layout`) maps rectified pixels to displayed axis values on both axes; the
curve extraction and the report build on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import DigitizeError
from ..units import Unit, parse_unit
from . import ocr
from .axes import AxisText, box_from_text, find_offset, find_x_text, find_y_text, tick_position
from .calibrate import AxisFit, TickLabel, fit_axis
from .frame import Box, Evidence, box_from_fill, evidence_of, find_box, rectifying_homography
from .ink import Ink, ink_of
from .parse import AxisTitle, parse_current_title, parse_multiplier, parse_potential_title, parse_tick
from .text import Word

__all__ = ["Axis", "Layout", "analyse_layout"]


@dataclass(frozen=True, slots=True)
class Axis:
    """One calibrated axis: ``fit`` maps rectified pixels to displayed values; ``scale`` turns a
    displayed value into SI (unit × multiplier); ``labels`` the tick labels read."""

    name: str
    fit: AxisFit
    labels: tuple[TickLabel, ...]
    title: AxisTitle | None
    multiplier_exponent: int
    scale: float
    unit_known: bool
    side: str  # "bottom"/"top" or "left"/"right"
    notes: tuple[str, ...] = ()

    def si(self, pixel: float | np.ndarray) -> float | np.ndarray:
        return self.fit.value(pixel) * self.scale

    def pixel_of_si(self, value: float | np.ndarray) -> float | np.ndarray:
        return self.fit.pixel(np.asarray(value) / self.scale)

    @property
    def per_pixel_si(self) -> float:
        return abs(self.fit.slope * self.scale)

    @property
    def ocr_score(self) -> float:
        return float(np.mean([self.labels[i].score for i in self.fit.inliers])) if self.fit.inliers else 0.0


@dataclass(frozen=True, slots=True)
class Layout:
    image: np.ndarray  # rectified RGB
    homography: np.ndarray  # original pixel index → rectified pixel index
    ink: Ink
    box: Box
    x: Axis
    y: Axis
    char_h: float
    warnings: tuple[str, ...] = field(default=())


def _line_evidence(ink: Ink) -> Evidence:
    """Where the straight strokes of the frame and grid may be, with the box they frame
    (:func:`~.frame.evidence_of`: searched once, for the rectification and the frame both)."""
    return evidence_of(ink.strength, max(18.0, min(ink.threshold, 3.5 * ink.noise)))


def _rectify(img: np.ndarray, ink: Ink, evidence: Evidence) -> tuple[np.ndarray, np.ndarray, Ink]:
    """The image, the homography and the ink after undoing a photo's perspective (``ink`` itself
    when the image needs none); ``evidence`` is ``ink``'s :func:`_line_evidence`."""
    import cv2

    hmat = rectifying_homography(evidence)
    if hmat is None:
        return img, np.eye(3), ink
    h, w = img.shape[:2]
    corners = np.array([[0, 0, 1], [w - 1, 0, 1], [w - 1, h - 1, 1], [0, h - 1, 1]], dtype=float) @ hmat.T
    corners = corners[:, :2] / corners[:, 2:]
    x0, y0 = np.floor(corners.min(axis=0))
    x1, y1 = np.ceil(corners.max(axis=0))
    if (x1 - x0) * (y1 - y0) > 2.0 * w * h:
        return img, np.eye(3), ink
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], dtype=float)
    hmat = shift @ hmat
    size = (int(x1 - x0) + 1, int(y1 - y0) + 1)
    fill = tuple(int(v) for v in np.median(ink.background.reshape(-1, 3)[:: max(1, h * w // 5000)], axis=0))
    warped = cv2.warpPerspective(
        img, hmat, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
    )
    return warped, hmat, ink_of(warped)


def _crop(img: np.ndarray, box: tuple[int, int, int, int], pad: int) -> np.ndarray:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = box
    return img[max(0, y0 - pad) : min(h, y1 + pad), max(0, x0 - pad) : min(w, x1 + pad)]


def _word_crop(img: np.ndarray, word: Word, pad: int) -> np.ndarray:
    """A word's crop with everything outside its glyphs (a spine, a tick mark, a gridline that
    falls within the padding) painted over with the crop's background."""
    h, w = img.shape[:2]
    x0, y0 = max(0, word.x0 - pad), max(0, word.y0 - pad)
    x1, y1 = min(w, word.x1 + pad), min(h, word.y1 + pad)
    crop = img[y0:y1, x0:x1].copy()
    if crop.size == 0:
        return crop
    keep = np.zeros(crop.shape[:2], dtype=bool)
    for g in word.glyphs:
        keep[max(0, g.y0 - 1 - y0) : g.y1 + 1 - y0, max(0, g.x0 - 1 - x0) : g.x1 + 1 - x0] = True
    if keep.all():
        return crop
    bg = np.median(crop[~keep].reshape(-1, crop.shape[2]) if crop.ndim == 3 else crop[~keep], axis=0)
    crop[~keep] = bg.astype(crop.dtype)
    return crop


def _tick_labels(
    img: np.ndarray, ink: Ink, box: Box, text: AxisText, *, horizontal: bool, side: str
) -> list[TickLabel]:
    pad = max(2, round(0.25 * text.char_h))
    crops = [_word_crop(img, wd, pad) for wd in text.labels]
    readings = ocr.read_packed(crops, dark=ink.dark)
    out: list[TickLabel] = []
    h, w = ink.strength.shape
    for wd, rd in zip(text.labels, readings, strict=True):
        tick = parse_tick(rd.text)
        if tick is None:
            continue
        if horizontal:
            line = box.bottom if side == "bottom" else box.top
            gap_out = (wd.y0 - line - 2) if side == "bottom" else (line - wd.y1 - 2)
            inward = min(0.04 * h, 0.3 * box.height)
            after, before = (gap_out, inward) if side == "bottom" else (inward, gap_out)
            pos = tick_position(
                ink.strength,
                horizontal_axis=True,
                line=line,
                centre=wd.cx,
                half_window=0.3 * wd.w + 2,
                after=max(0.0, after),
                before=max(0.0, before),
                threshold=ink.threshold,
            )
            centre = wd.cx
        else:
            line = box.left if side == "left" else box.right
            gap_out = (line - wd.x1 - 2) if side == "left" else (wd.x0 - line - 2)
            inward = min(0.04 * w, 0.3 * box.width)
            after, before = (inward, gap_out) if side == "left" else (gap_out, inward)
            pos = tick_position(
                ink.strength,
                horizontal_axis=False,
                line=line,
                centre=wd.cy,
                half_window=0.5 * wd.h + 1,
                after=max(0.0, after),
                before=max(0.0, before),
                threshold=ink.threshold,
            )
            centre = wd.cy
        size = wd.w if horizontal else wd.h
        if pos is not None and abs(pos - centre) > max(1.5, 0.15 * size):
            pos = None  # a spine, gridline or curve next to the label, not its tick
        out.append(
            TickLabel(
                pos if pos is not None else centre,
                tick.value,
                rd.score,
                rd.text,
                tick.signed,
                tick.kind,
                pos is not None,
            )
        )
    return out


def _title_text(img: np.ndarray, ink: Ink, box: tuple[int, int, int, int] | None, *, rotated: bool) -> str:
    if box is None:
        return ""
    crop = _crop(img, box, 3)
    if crop.size == 0:
        return ""
    if rotated:
        crop = np.ascontiguousarray(np.rot90(crop, k=-1))
    return ocr.read_crops([crop], dark=ink.dark)[0].text


def _plausible_current_unit(title: AxisTitle, fit: AxisFit, exponent: int) -> tuple[AxisTitle, str]:
    """A title read as bare amperes over ticks of 0.5 or more (half an ampere and up, with no
    multiplier) has lost its prefix: voltammetric currents are µA to mA, and the µ is the
    glyph OCR drops (a tiny or odd mark before the A).  Taken as µA, flagged as guessed; a title
    whose power of ten was unreadable keeps that flag too (the guess is the commonest multiplier,
    not a reading)."""
    unit = title.unit
    if unit is None or not fit.values:
        return title, ""
    top = max(abs(v) for v in fit.values) * 10.0**exponent
    if title.prefix_guessed and unit.symbol == "µA" and top < 1e-2:
        # an odd mark before the A was a slash or a bracket, not a µ: ticks of 1e-4 are amperes
        # (a µA axis never needs ticks below 0.01 — it would be drawn in nA)
        fixed = replace(title, unit=parse_unit("A"), prefix_guessed=False)
        return fixed, f"current title {title.text!r}: the mark before A taken as a separator (ticks {top:g})"
    if unit.symbol != "A" or exponent != 0:
        return title, ""
    if max(abs(v) for v in fit.values) < 0.5:
        return title, ""
    fixed = replace(title, unit=parse_unit("µA"), prefix_guessed=True)
    return (
        fixed,
        f"current title {title.text!r} reads as A but ticks reach {max(abs(v) for v in fit.values):g}",
    )


def _calibrate(rect: np.ndarray, ink: Ink, box: Box, source: str) -> tuple:  # type: ignore[type-arg]
    """Tick labels found, read and fitted on both axes of one candidate frame."""
    xt, xside = find_x_text(ink.mask, box), "bottom"
    if xt is None:
        xt, xside = find_x_text(ink.mask, box, below=False), "top"
    yt, yside = find_y_text(ink.mask, box), "left"
    if yt is None:
        yt, yside = find_y_text(ink.mask, box, left=False), "right"
    if xt is None or yt is None:
        which = "x (potential)" if xt is None else "y (current)"
        raise DigitizeError(source, f"no tick labels found along the {which} axis")
    xl = _tick_labels(rect, ink, box, xt, horizontal=True, side=xside)
    yl = _tick_labels(rect, ink, box, yt, horizontal=False, side=yside)
    xf = fit_axis(xl, source=source, axis="x (potential)")
    yf = fit_axis(yl, source=source, axis="y (current)")
    if xf is None or yf is None:
        which, got = ("x (potential)", xl) if xf is None else ("y (current)", yl)
        texts = ", ".join(repr(lb.text) for lb in got[:6]) or "none"
        raise DigitizeError(
            source,
            f"the {which} axis has fewer than two tick labels that read as consistent numbers ({texts})",
        )
    return box, xt, xside, yt, yside, xl, yl, xf, yf


def analyse_layout(img: np.ndarray, *, source: str) -> Layout:
    """Rectify, frame and calibrate a plot image; raises :class:`DigitizeError` when it cannot."""
    ink0 = ink_of(img)
    evidence0 = _line_evidence(ink0)
    rect, hmat, ink = _rectify(img, ink0, evidence0)
    warnings: list[str] = []
    first = find_box(evidence0 if ink is ink0 else _line_evidence(ink), ink.background)
    if first is not None and sum(v is not None for v in first.lines.values()) == 0:
        first = box_from_fill(rect) or first
    boxes = [(first, "")] if first is not None else []
    fill = box_from_fill(rect)
    if fill is not None:
        boxes.append((fill, "no axis lines: the plot area is the filled panel"))
    boxes.append((None, "no axis lines: the plot area was inferred from the tick labels"))
    error: DigitizeError | None = None
    best: tuple | None = None  # type: ignore[type-arg]
    for cand, note in boxes:
        box = box_from_text(ink.mask) if cand is None else cand
        if box is None:
            continue
        try:
            got = _calibrate(rect, ink, box, source)
        except DigitizeError as exc:  # another frame candidate may read
            error = error or exc
            continue
        n_used = min(len(got[7].inliers), len(got[8].inliers))
        if best is None or n_used > best[0]:
            best = (n_used, got, note)
        if n_used >= 3:  # both axes read from three or more labels: a frame that fits its text
            break
    if best is None:
        raise error or DigitizeError(
            source, "no plot frame found (no axis lines, gridlines or rows of tick labels): not a line plot?"
        )
    _, (box, xt, xside, yt, yside, xl, yl, xf, yf), note = best
    if note:
        warnings.append(note)
    # titles, units, multipliers
    xtitle = parse_potential_title(_title_text(rect, ink, xt.title, rotated=False))
    ytitle = parse_current_title(_title_text(rect, ink, yt.title, rotated=yside == "left"))
    exp_y = ytitle.multiplier_exponent or 0
    notes_y: list[str] = []
    off = find_offset(ink.mask, box, yt.char_h)
    if off is not None:
        rd = ocr.read_crops([_crop(rect, off.box(), 3)], dark=ink.dark)[0]
        mult = parse_multiplier(rd.text)
        if mult is not None:
            e, sign_read = mult
            if not sign_read and e > 0:
                e = -e  # a current multiplier is a negative power of ten; the superscript minus was lost
                notes_y.append(f"offset text {rd.text!r} read as 10^{e} (minus sign assumed)")
            exp_y += e
    ytitle, note = _plausible_current_unit(ytitle, yf, exp_y)
    if note:
        notes_y.append(note)
    xunit: Unit | None = xtitle.unit
    xnotes: list[str] = []
    if xunit is None:
        big = max(abs(v) for v in xf.values)
        xscale = 1e-3 if big > 20 else 1.0
        xnotes.append(f"potential unit unreadable in {xtitle.text!r}; assumed {'mV' if big > 20 else 'V'}")
    else:
        xscale = xunit.scale
    yunit = ytitle.unit
    if ytitle.multiplier_unread:
        notes_y.append(f"the power of ten in {ytitle.text!r} is unreadable; currents are off by it")
    if yunit is None:
        yscale = 1.0
        notes_y.append(
            f"current unit unreadable in {ytitle.text!r}; values left in displayed units (assumed A)"
        )
    else:
        yscale = yunit.scale
        if ytitle.prefix_guessed:
            notes_y.append(f"current unit prefix unreadable in {ytitle.text!r}; assumed µ ({yunit.symbol})")
    yscale *= 10.0**exp_y
    xa = Axis("x", xf, tuple(xl), xtitle, 0, xscale, xunit is not None, xside, tuple(xnotes))
    known = yunit is not None and not ytitle.multiplier_unread
    ya = Axis("y", yf, tuple(yl), ytitle, exp_y, yscale, known, yside, tuple(notes_y))
    warnings += list(xnotes) + notes_y
    return Layout(rect, hmat, ink, box, xa, ya, 0.5 * (xt.char_h + yt.char_h), tuple(warnings))

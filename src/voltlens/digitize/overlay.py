"""Draw what was read over the image it was read from, so a person sees at a glance whether the
digitizer got the figure right."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .image import as_rgb
from .result import DigitizedFigure

__all__ = ["overlay"]

_COLORS = (
    (230, 0, 126),
    (0, 170, 90),
    (255, 140, 0),
    (0, 120, 255),
    (150, 0, 220),
    (0, 190, 190),
    (200, 30, 30),
)


def overlay(image: np.ndarray, figure: DigitizedFigure, *, peaks: Sequence[Any] | None = None) -> np.ndarray:
    """The image with the recovered curves drawn over it (thin contrasting polylines), the plot
    frame that was calibrated, and ``peaks`` (objects with ``potential_V`` and ``height_A`` +
    ``baseline_A``, e.g. :class:`voltlens.model.Peak`, or (potential, current) pairs) as crosses.

    Returns a new H×W×3 uint8 RGB array; ``image`` must be the one that was digitized.
    """
    import cv2

    out = np.array(as_rgb(image, source=figure.source), copy=True)
    quad = np.array(figure.digitization.plot_quad_px, dtype=np.float64) - 0.5
    cv2.polylines(out, [np.round(quad * 4).astype(np.int32)], True, (0, 200, 255), 1, cv2.LINE_AA, shift=2)
    lw = max(1, round(min(out.shape[:2]) / 500))
    for k, curve in enumerate(figure.curves):
        x, y = figure.data_to_pixel(curve.potential, curve.current)
        pts = np.column_stack([x - 0.5, y - 0.5])
        ok = np.all(np.isfinite(pts), axis=1)
        pts = np.round(pts[ok] * 4).astype(np.int32)
        colour = _COLORS[k % len(_COLORS)]
        if curve.segment is not None:
            for s in np.unique(curve.segment):
                sel = curve.segment[ok] == s
                cv2.polylines(out, [pts[sel]], False, colour, lw, cv2.LINE_AA, shift=2)
        else:
            cv2.polylines(out, [pts], False, colour, lw, cv2.LINE_AA, shift=2)
    for p in peaks or ():
        e, i = _peak_xy(p)
        x, y = figure.data_to_pixel(e, i)
        c = (round(float(x) - 0.5), round(float(y) - 0.5))
        size = max(6, 4 * lw)
        cv2.drawMarker(out, c, (255, 0, 0), cv2.MARKER_CROSS, size, lw + 1, cv2.LINE_AA)
    return out


def _peak_xy(p: Any) -> tuple[float, float]:
    if hasattr(p, "potential_V"):
        return float(p.potential_V), float(getattr(p, "height_A", 0.0) + getattr(p, "baseline_A", 0.0))
    e, i = p
    return float(e), float(i)

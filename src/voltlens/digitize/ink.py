"""Background and ink: how far each pixel is from the paper (or screen) behind it.

The background is estimated locally (a morphological closing on a reduced image, an opening for
dark themes), so a grey axes area on a white figure, a paper tint or the uneven light of a photo
are all background, while thin strokes (lines, text, markers up to ~40 px) are ink.  Ink strength
is the largest per-channel difference from the local background, so a yellow curve on white
counts as much as a black one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Ink", "ink_of"]


@dataclass(frozen=True, slots=True)
class Ink:
    """``strength`` (H×W uint8), ``background`` (H×W×3 uint8), ``mask`` (strength above the noise
    threshold), ``dark`` (light ink on a dark background), ``threshold`` and ``noise`` (grey levels)."""

    strength: np.ndarray
    background: np.ndarray
    mask: np.ndarray
    dark: bool
    threshold: float
    noise: float


def _background(img: np.ndarray, dark: bool) -> np.ndarray:
    """Local background: a closing (an opening on dark themes) with a window larger than any
    stroke, at full resolution so region edges (grey axes on a white figure) stay sharp."""
    import cv2

    h, w = img.shape[:2]
    k = int(np.clip(round(0.03 * max(h, w)), 21, 61)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    op = cv2.MORPH_OPEN if dark else cv2.MORPH_CLOSE
    return cv2.morphologyEx(cv2.blur(img, (3, 3)), op, kernel)


def ink_of(img: np.ndarray) -> Ink:
    """Ink strength and mask of an RGB image."""
    import cv2

    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    centre = grey[h // 5 : h - h // 5, w // 5 : w - w // 5]
    dark = float(np.median(centre)) < 110.0
    bg = _background(img, dark)
    diff = cv2.absdiff(img, bg)
    strength = diff.max(axis=2)
    # noise from the background: spread of small differences
    sample = strength[::3, ::3]
    quiet = sample[sample < 40]
    noise = float(np.percentile(quiet, 75)) / 0.6745 * 0.5 if quiet.size else 0.0
    threshold = float(np.clip(max(28.0, 4.5 * noise), 28.0, 70.0))
    mask = strength > threshold
    return Ink(strength, bg, mask, dark, threshold, noise)

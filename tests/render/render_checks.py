"""Independent readers of rendered images for the renderer tests.

They look at pixels and at the label text a person would read (never at the renderer's own
number formatting): ink centroids, colour hits, and a small axis-title/tick-label reader that
uses ``voltlens.units.parse_unit``.
"""

from __future__ import annotations

import re

import numpy as np

from voltlens.units import parse_unit

_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")


def hex_rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def ink(image: np.ndarray, background: str) -> np.ndarray:
    """Per-pixel distance from the background colour (max over channels, 0–255)."""
    return np.abs(image.astype(float) - hex_rgb(background)).max(axis=2)


def ink_centroid(weights: np.ndarray, x: float, y: float, radius: int) -> tuple[float, float]:
    """Weighted centroid (pixel centres at +0.5) of ``weights`` in a square window around (x, y)."""
    xs = np.arange(int(np.floor(x)) - radius, int(np.floor(x)) + radius + 1)
    ys = np.arange(int(np.floor(y)) - radius, int(np.floor(y)) + radius + 1)
    w = weights[np.ix_(ys, xs)]
    total = w.sum()
    return float((w.sum(axis=0) * (xs + 0.5)).sum() / total), float(
        (w.sum(axis=1) * (ys + 0.5)).sum() / total
    )


def colour_hits(
    image: np.ndarray, xs: np.ndarray, ys: np.ndarray, color: str, *, radius: int, tol: float
) -> np.ndarray:
    """For each point: is there a pixel within ``radius`` (square) whose colour is within ``tol``?"""
    target = hex_rgb(color)
    H, W = image.shape[:2]
    out = np.zeros(len(xs), dtype=bool)
    for k, (x, y) in enumerate(zip(xs, ys, strict=True)):
        i, j = int(np.floor(x)), int(np.floor(y))
        if not (radius <= i < W - radius and radius <= j < H - radius):
            continue
        window = image[j - radius : j + radius + 1, i - radius : i + radius + 1].astype(float)
        out[k] = bool((np.abs(window - target).max(axis=2) <= tol).any())
    return out


def read_number(text: str) -> float:
    """A tick label as a reader reads it: Unicode minus, decimal comma, e/E exponents."""
    return float(text.replace("−", "-").replace(",", "."))


def read_offset(text: str) -> float:
    """Offset text above an axis: '' → 1, '1e−5' → 1e-5, '×10⁻⁵' → 1e-5."""
    if not text:
        return 1.0
    t = text.replace("−", "-").strip()
    if t.startswith("×10"):
        return 10.0 ** int(t[3:].translate(_SUPER))
    return float(t)


def read_unit(title: str) -> tuple[float, float]:
    """(SI scale of the unit, multiplier) read from an axis title such as 'E / V vs Ag/AgCl',
    'Potential (V vs. SCE)', 'I (10⁻⁵ A)', 'j / mA cm⁻²', 'Ewe/V', '<I>/mA', 'WE(1).Current (A)'."""
    t = re.sub(r"\s+(?:vs\.?|versus)\s+.*?(?=\s/\s|[()\[\]]|$)", "", title.strip())
    if t.endswith(")"):
        unit = t[t.rindex("(") + 1 : -1]
    elif t.endswith("]"):
        unit = t[t.rindex("[") + 1 : -1]
    elif " / " in t:
        unit = t.split(" / ")[-1]
    else:
        unit = t.split("/")[-1]
    unit = unit.strip()
    multiplier = 1.0
    m = re.match(r"^10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+)\s+(.*)$", unit)
    if m:
        multiplier = 10.0 ** int(m[1].translate(_SUPER))
        unit = m[2]
    return parse_unit(unit).scale, multiplier

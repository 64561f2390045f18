"""Figure renderer: voltammograms + a style → an RGB image and its exact data ↔ pixel transform.

Feeds the synthetic-data generator (random styles and degradations over a wide space of real
looks) and the digitizer's accuracy tests (the transform is exact).

- :class:`Style` records every visual choice; :func:`sample_style` draws one at random.
- :func:`render` draws curves in a style → :class:`Rendered` (image, :class:`PixelTransform`,
  style, metadata of what was drawn).
- :func:`degrade` / :func:`sample_degradation`: screenshots, web JPEGs, scans, photos of
  printouts, with the transform carried through exactly.
- :func:`contact_sheet` tiles images for people; :func:`encode_png` gives deterministic bytes.
"""

from __future__ import annotations

from .degrade import DEGRADATION_KINDS, Degradation, degrade, sample_degradation
from .draw import Rendered, render
from .fonts import available_fonts, font_available
from .palettes import PALETTES, palette_colors
from .sampling import NOT_SAMPLED, THEME_WEIGHTS, sample_style
from .sheet import contact_sheet, encode_png
from .style import FONT_FAMILIES, OPTIONS, RANGES, THEMES, Style
from .transform import PixelTransform

__all__ = [
    "DEGRADATION_KINDS",
    "FONT_FAMILIES",
    "NOT_SAMPLED",
    "OPTIONS",
    "PALETTES",
    "RANGES",
    "THEMES",
    "THEME_WEIGHTS",
    "Degradation",
    "PixelTransform",
    "Rendered",
    "Style",
    "available_fonts",
    "contact_sheet",
    "degrade",
    "encode_png",
    "font_available",
    "palette_colors",
    "render",
    "sample_degradation",
    "sample_style",
]

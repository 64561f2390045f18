"""Which font families the renderer may use: those matplotlib ships, plus any installed ones."""

from __future__ import annotations

from functools import lru_cache

from matplotlib import font_manager

from .style import FONT_FAMILIES

__all__ = ["available_fonts", "font_available"]


@lru_cache(maxsize=64)
def font_available(family: str) -> bool:
    """True when ``matplotlib.font_manager`` finds a file for ``family`` without falling back."""
    try:
        font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        return False
    return True


def available_fonts() -> tuple[str, ...]:
    """The shipped families followed by every other family installed on this machine (sorted).

    Pass it to ``sample_style(..., fonts=available_fonts())`` to widen the font space; the default
    uses only the shipped families so sampled styles render alike on every machine.
    """
    found = sorted({f.name for f in font_manager.fontManager.ttflist} - set(FONT_FAMILIES))
    usable = [name for name in found if font_available(name) and not name.startswith(("STIXSize", "cm"))]
    return FONT_FAMILIES + tuple(usable)

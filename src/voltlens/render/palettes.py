"""Named colour palettes for curve series: qualitative lists and sampled colormaps."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

from ..errors import ParameterError

__all__ = ["PALETTES", "palette_colors"]

_QUALITATIVE: dict[str, tuple[str, ...]] = {
    "tab10": (
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ),
    # Okabe & Ito (2008), colour-blind safe; black first as in most papers that use it
    "okabe_ito": ("#000000", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"),
    "classic": ("#0000ff", "#008000", "#ff0000", "#00bfbf", "#bf00bf", "#bfbf00", "#000000"),
    "origin": ("#000000", "#ff0000", "#0000ff", "#ff00ff", "#808000", "#000080", "#8000ff", "#800000"),
    "excel": ("#4472c4", "#ed7d31", "#a5a5a5", "#ffc000", "#5b9bd5", "#70ad47", "#264478", "#9e480e"),
    "instrument": ("#0000ff", "#ff0000", "#008000", "#ff00ff", "#00a0a0", "#a05000", "#000000"),
    "bright_on_dark": ("#ffff00", "#00ffff", "#ff40ff", "#40ff40", "#ff8000", "#ffffff", "#8080ff"),
    "set1": ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#999999"),
    "dark2": ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"),
    "ggplot": ("#f8766d", "#00ba38", "#619cff", "#c77cff", "#cd9600", "#00bfc4"),
    "greys": ("#000000", "#555555", "#888888", "#aaaaaa", "#333333", "#777777"),
    "black": ("#000000",),
}  # fmt: skip

# sequential maps sampled at n points in [lo, hi]
_SEQUENTIAL: dict[str, tuple[str, float, float]] = {
    "viridis": ("viridis", 0.0, 0.9),
    "plasma": ("plasma", 0.0, 0.88),
    "cividis": ("cividis", 0.0, 0.95),
    "jet": ("jet", 0.05, 0.95),
    "coolwarm": ("coolwarm", 0.0, 1.0),
    "blues": ("Blues", 0.4, 1.0),
    "reds": ("Reds", 0.4, 1.0),
    "grey_ramp": ("Greys", 0.45, 1.0),
}

PALETTES = tuple(_QUALITATIVE) + tuple(_SEQUENTIAL)


def palette_colors(name: str, n: int) -> tuple[str, ...]:
    """Colours of palette ``name`` for ``n`` series: a qualitative list as is (cycled when drawing),
    a sequential map sampled at ``n`` evenly spaced points (its dark end for one)."""
    if name in _QUALITATIVE:
        return _QUALITATIVE[name]
    if name not in _SEQUENTIAL:
        raise ParameterError("palette", name, f"one of {list(PALETTES)}")
    cmap, lo, hi = _SEQUENTIAL[name]
    dark_end = hi if cmap in ("Blues", "Reds", "Greys") else lo
    points = np.linspace(lo, hi, n) if n > 1 else np.array([dark_end])
    return tuple(to_hex(colormaps[cmap](float(p))) for p in points)

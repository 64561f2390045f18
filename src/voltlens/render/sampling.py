"""Random styles: :func:`sample_style` draws a :class:`Style` from the whole style space.

A theme is drawn first (weights favour the looks common in papers, instrument screenshots and
spreadsheet exports); each theme then draws every field from its own distribution.  The
``custom`` theme draws every field uniformly from its full option set, so every option is
reachable.  ``overrides`` pin fields: a pinned field is not drawn, and the fields that depend on
it (colours on the palette, sizes on the dpi, ...) follow it.

Not drawn (reachable only through overrides): explicit current units (``mA``, ``µA``, ``nA``,
``pA``) — a sampled style does not know the data's magnitude, so it draws ``auto`` or ``A``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.colors import to_rgb

from ..errors import ConfigError, ParameterError
from .palettes import PALETTES, palette_colors
from .style import (
    CURRENT_LABELS,
    DENSITY_LABELS,
    FONT_FAMILIES,
    LINE_STYLES,
    MARKERS,
    OPTIONS,
    POTENTIAL_LABELS,
    RANGES,
    THEMES,
    Style,
)

__all__ = ["NOT_SAMPLED", "THEME_WEIGHTS", "sample_style"]

THEME_WEIGHTS: dict[str, float] = {
    "light": 0.13,
    "matplotlib": 0.14,
    "classic": 0.03,
    "chi": 0.08,
    "eclab": 0.07,
    "nova": 0.06,
    "origin": 0.12,
    "excel": 0.07,
    "ggplot": 0.04,
    "paper": 0.12,
    "dark": 0.05,
    "custom": 0.09,
}

#: Option values that sample_style never draws (pin them with ``overrides``).
NOT_SAMPLED: dict[str, tuple[Any, ...]] = {"current_unit": ("mA", "µA", "nA", "pA")}

_SCREEN = ("chi", "eclab", "nova", "excel")
_INSTRUMENT = ("chi", "eclab", "nova")
_MPL = ("light", "matplotlib", "classic", "ggplot", "dark")
_SPECIFIC_POTENTIAL = ("Ewe/{unit}", "Ewe/{unit}{vs}", "WE(1).Potential ({unit})", "Potential/{unit}")
_SPECIFIC_CURRENT = ("<I>/{unit}", "WE(1).Current ({unit})", "Current/{unit}")
_GENERIC_POTENTIAL = tuple(t for t in POTENTIAL_LABELS if t not in _SPECIFIC_POTENTIAL)
_GENERIC_CURRENT = tuple(t for t in CURRENT_LABELS if t not in _SPECIFIC_CURRENT)
_TITLES = (
    "Cyclic voltammogram",
    "Cyclic Voltammetry",
    "CV",
    "Scan rate dependence",
    "1 mM ferrocene in MeCN",
    "5 mM K3[Fe(CN)6] in 0.1 M KCl",
    "Blank electrolyte",
    "Chart Title",
    "CV of sample",
)
_PANEL_FORMS = ("({l})", "{l}", "{L}", "({L})", "{l})", "{L})")
_FONT_MATH = {
    "DejaVu Sans": "dejavusans",
    "DejaVu Serif": "dejavuserif",
    "DejaVu Sans Mono": "dejavusans",
    "STIXGeneral": "stix",
    "cmr10": "cm",
    "cmss10": "stixsans",
}


class _Draw:
    """Draws fields in order; a pinned field is taken from the overrides without drawing."""

    def __init__(self, rng: np.random.Generator, overrides: Mapping[str, Any]) -> None:
        self.rng = rng
        self.over = overrides
        self.d: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        return self.d[name]

    def set(self, name: str, draw: Callable[[], Any]) -> Any:
        value = self.over[name] if name in self.over else draw()
        if isinstance(value, np.generic):
            value = value.item()
        self.d[name] = value
        return value

    # distributions ---------------------------------------------------------------------------
    def choice(self, options: Sequence[Any], weights: Sequence[float] | None = None) -> Any:
        if weights is None:
            return options[int(self.rng.integers(len(options)))]
        p = np.asarray(weights, dtype=float)
        return options[int(self.rng.choice(len(options), p=p / p.sum()))]

    def pick(self, *pairs: Any) -> Any:
        """pick(value1, weight1, value2, weight2, ...)."""
        return self.choice(pairs[0::2], pairs[1::2])

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def uniform(self, lo: float, hi: float, digits: int = 3) -> float:
        return round(float(self.rng.uniform(lo, hi)), digits)


def sample_style(
    rng: np.random.Generator,
    *,
    n_curves: int = 1,
    overrides: Mapping[str, Any] | None = None,
    fonts: Sequence[str] | None = None,
) -> Style:
    """A random :class:`Style` for a figure of ``n_curves`` overlaid curves.

    ``overrides`` pins fields (``{"theme": "origin", "dpi": 150}``); ``fonts`` widens the font
    choice (e.g. ``available_fonts()``; default: the families matplotlib ships).
    """
    if not isinstance(n_curves, int) or n_curves < 1:
        raise ParameterError("n_curves", n_curves, "a positive integer")
    over = dict(overrides or {})
    names = {f.name for f in dataclasses.fields(Style)}
    for key, value in over.items():
        if key not in names:
            raise ConfigError("overrides", key, value, "a Style field")
    over = {k: tuple(v) if isinstance(v, list) else v for k, v in over.items()}
    s = _Draw(rng, over)
    theme = s.set("theme", lambda: s.choice(list(THEME_WEIGHTS), list(THEME_WEIGHTS.values())))
    if theme not in THEMES:
        raise ConfigError("overrides", "theme", theme, f"one of {list(THEMES)}")
    families = tuple(fonts) if fonts else FONT_FAMILIES
    _canvas(s, theme)
    _fonts(s, theme, families)
    _colours(s, theme)
    _series(s, theme, n_curves)
    _decoration(s, theme)
    _text(s, theme)
    _legend(s, theme, n_curves)
    _annotations(s, theme)
    _layout(s, theme)
    for name, (lo, hi) in RANGES.items():  # keep drawn (not pinned) numbers inside the valid ranges
        value = s.d.get(name)
        if name not in over and isinstance(value, float):
            s.d[name] = min(max(value, float(lo)), float(hi))
    try:
        return Style(**s.d)
    except ParameterError as exc:
        if exc.name in over:
            raise ConfigError("overrides", exc.name, exc.value, exc.expected) from None
        raise


def _canvas(s: _Draw, theme: str) -> None:
    def dpi() -> int:
        if theme == "custom" or s.chance(0.08):
            return int(s.rng.integers(60, 301))
        if theme in _SCREEN:
            return s.pick(96, 0.6, 72, 0.1, 120, 0.15, 144, 0.1, 192, 0.05)
        if theme in ("paper", "origin"):
            return s.pick(300, 0.35, 200, 0.2, 150, 0.2, 100, 0.1, 96, 0.1, 72, 0.05)
        return s.pick(100, 0.35, 72, 0.1, 80, 0.1, 96, 0.1, 150, 0.15, 200, 0.12, 300, 0.08)

    d = s.set("dpi", dpi)

    def width() -> float:
        if theme in _SCREEN:
            px = int(s.rng.integers(420, 1100)) if s.chance(0.9) else int(s.rng.integers(1100, 1700))
        elif theme == "matplotlib" and s.chance(0.5):
            px = round(6.4 * d)
        elif theme == "classic" and s.chance(0.5):
            px = round(8.0 * d)
        elif theme == "paper":
            px = round((s.uniform(3.0, 4.2) if s.chance(0.6) else s.uniform(4.2, 7.0)) * d)
        elif theme == "custom":
            px = int(s.rng.integers(300, 2401))
        else:
            px = round(s.uniform(3.5, 8.0) * d)
        return min(max(px, 300), 2400, round(12 * d)) / d

    w_in = s.set("width_in", width)

    def height() -> float:
        if theme == "matplotlib" and abs(w_in * d - round(6.4 * d)) < 1:
            aspect = 4 / 3
        elif s.chance(0.15):
            aspect = s.uniform(0.8, 2.0)
        else:
            aspect = s.pick(
                4 / 3, 0.35, 1.5, 0.1, 1.618, 0.08, 1.25, 0.12, 1.0, 0.12, 16 / 9, 0.08, 2.0, 0.03, 0.85, 0.05
            )
        px = round(w_in * d / aspect)
        return min(max(px, 240), 2400) / d

    s.set("height_in", height)


def _fonts(s: _Draw, theme: str, families: tuple[str, ...]) -> None:
    def family() -> str:
        if theme == "custom":
            return s.choice(families)
        extra = [f for f in families if f not in FONT_FAMILIES]
        if extra and s.chance(0.15):
            return s.choice(extra)
        if theme == "paper":
            return s.pick(
                "DejaVu Serif", 0.25, "STIXGeneral", 0.3, "cmr10", 0.15, "DejaVu Sans", 0.25, "cmss10", 0.05
            )
        if theme in ("origin", "excel"):
            return s.pick(
                "DejaVu Sans", 0.75, "STIXGeneral", 0.12, "DejaVu Serif", 0.1, "DejaVu Sans Mono", 0.03
            )
        if theme in _INSTRUMENT:
            return s.pick("DejaVu Sans", 0.85, "DejaVu Sans Mono", 0.1, "DejaVu Serif", 0.05)
        return s.pick(
            "DejaVu Sans", 0.85, "DejaVu Serif", 0.07, "STIXGeneral", 0.05, "DejaVu Sans Mono", 0.03
        )

    fam = s.set("font_family", family)
    s.set(
        "math_fontset",
        lambda: s.choice(OPTIONS["math_fontset"]) if theme == "custom" else _FONT_MATH.get(fam, "dejavusans"),
    )
    d, w_px, h_px = s["dpi"], s["width_in"] * s["dpi"], s["height_in"] * s["dpi"]

    def tick_size() -> float:
        # text height as a fraction of the figure width, as in real figures (2–3 % typical)
        if theme == "matplotlib" and s.chance(0.6):
            pt = 10.0
        else:
            lo, hi = (0.012, 0.042) if theme == "custom" else (0.016, 0.032)
            pt = s.uniform(lo, hi, 4) * w_px * 72 / d
        px_max = 0.06 * h_px
        min_px = 7.5 if theme == "custom" else 9.0
        return round(min(max(pt, min_px * 72 / d, 4.0), px_max * 72 / d, 24.0), 2)

    tick = s.set("tick_font_size", tick_size)
    label = s.set(
        "label_font_size", lambda: round(min(tick * s.pick(1.0, 0.5, s.uniform(1.0, 1.35), 0.5), 30.0), 2)
    )
    s.set("title_font_size", lambda: round(min(label * s.uniform(1.0, 1.3), 34.0), 2))
    s.set("legend_font_size", lambda: round(max(tick * s.uniform(0.8, 1.0), 8.0 * 72 / d), 2))
    s.set(
        "label_weight",
        lambda: (
            "bold" if s.chance({"origin": 0.35, "paper": 0.1, "custom": 0.5}.get(theme, 0.04)) else "normal"
        ),
    )


def _luminance(color: str) -> float:
    r, g, b = to_rgb(color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _colours(s: _Draw, theme: str) -> None:
    dark = theme == "dark" or (theme == "custom" and s.chance(0.12))

    def background() -> str:
        if dark:
            return s.choice(("#000000", "#1e1e1e", "#2b2b2b", "#0d1117", "#263238", "#1a1a2e"))
        if theme == "classic":
            return "#bfbfbf"
        if theme in _INSTRUMENT:
            return s.pick("#ffffff", 0.6, "#f0f0f0", 0.25, "#ececec", 0.15)
        if theme == "custom":
            return s.choice(("#ffffff", "#fafafa", "#f5f5f5", "#fffff0", "#f0f0f0", "#fdf6e3", "#eaeaf2"))
        return "#ffffff"

    bg = s.set("background", background)

    def axes_bg() -> str:
        if dark:
            return bg if s.chance(0.7) else s.choice(("#000000", "#111111", "#202020", "#303030"))
        if theme == "ggplot":
            return s.pick("#ebebeb", 0.8, "#eaeaf2", 0.2)
        if theme == "custom" and s.chance(0.3):
            return s.choice(("#ebebeb", "#eaeaf2", "#fffff0", "#f8f8f8", "#ffffe0"))
        return "#ffffff" if theme in ("classic", *_INSTRUMENT) or s.chance(0.9) else bg

    abg = s.set("axes_background", axes_bg)

    def foreground() -> str:
        if dark:
            return s.choice(("#ffffff", "#d0d0d0", "#cccccc", "#e0e0e0"))
        if theme == "ggplot":
            return "#4d4d4d"
        if theme == "excel":
            return s.pick("#595959", 0.7, "#000000", 0.3)
        return s.pick("#000000", 0.85, "#262626", 0.1, "#333333", 0.05)

    fg = s.set("foreground", foreground)
    s.set("text_color", lambda: fg if s.chance(0.85) else ("#000000" if _luminance(abg) > 0.5 else "#ffffff"))

    def grid_color() -> str:
        if theme == "ggplot":
            return "#ffffff"
        if dark:
            return s.choice(("#404040", "#505050", "#606060", "#3a3a3a"))
        return s.choice(("#b0b0b0", "#d9d9d9", "#cccccc", "#e0e0e0", "#c0c0c0", "#999999"))

    s.set("grid_color", grid_color)
    s.set("zero_line_color", lambda: s.choice(("#808080", "#b0b0b0", fg)))


def _palette(s: _Draw, theme: str) -> str:
    table: dict[str, tuple[Any, ...]] = {
        "classic": ("classic", 0.9, "tab10", 0.1),
        "chi": ("instrument", 0.6, "black", 0.2, "classic", 0.2),
        "eclab": ("set1", 0.4, "instrument", 0.4, "tab10", 0.2),
        "nova": ("instrument", 0.5, "tab10", 0.3, "set1", 0.2),
        "origin": ("origin", 0.55, "black", 0.1, "jet", 0.1, "set1", 0.1, "okabe_ito", 0.1),
        "excel": ("excel", 0.9, "tab10", 0.1),
        "ggplot": ("ggplot", 0.7, "set1", 0.1, "dark2", 0.1, "viridis", 0.1),
        "dark": ("bright_on_dark", 0.6, "tab10", 0.2, "plasma", 0.1, "viridis", 0.1),
        "paper": (
            "black", 0.22, "okabe_ito", 0.18, "greys", 0.08, "grey_ramp", 0.05, "viridis", 0.1, "tab10", 0.1,
            "set1", 0.05, "dark2", 0.06, "blues", 0.05, "reds", 0.04, "cividis", 0.03, "coolwarm", 0.04,
        ),
    }  # fmt: skip
    if theme == "custom" or (s["axes_background"] != "#ffffff" and theme not in table):
        return s.choice(PALETTES)
    if theme in table:
        pairs = [(v, w) for v, w in zip(table[theme][0::2], table[theme][1::2], strict=True) if v in PALETTES]
        return s.choice([v for v, _ in pairs], [w for _, w in pairs])
    return s.pick(
        "tab10", 0.55, "okabe_ito", 0.08, "viridis", 0.08, "set1", 0.05, "dark2", 0.05, "plasma", 0.04,
        "jet", 0.04, "coolwarm", 0.03, "cividis", 0.02, "blues", 0.02, "reds", 0.02, "classic", 0.02,
    )  # fmt: skip


def _visible(colors: tuple[str, ...], background: str, fallback: str) -> tuple[str, ...]:
    """Replace colours that would vanish on the axes background."""
    lb = _luminance(background)
    return tuple(c if abs(_luminance(c) - lb) > 0.18 else fallback for c in colors)


def _series(s: _Draw, theme: str, n: int) -> None:
    palette = s.set("palette", lambda: _palette(s, theme))
    s.set("colors", lambda: _visible(palette_colors(palette, n), s["axes_background"], s["foreground"]))
    mono = palette in ("black", "greys", "grey_ramp")

    def line_styles() -> tuple[str, ...]:
        if theme == "custom":
            return (
                tuple(s.rng.permutation(LINE_STYLES).tolist()) if s.chance(0.5) else (s.choice(LINE_STYLES),)
            )
        if n > 1 and s.chance(0.6 if mono else 0.08):
            return LINE_STYLES
        return ("-",)

    s.set("line_styles", line_styles)

    def mode() -> str:
        weights = {
            "excel": (0.45, 0.05, 0.5),
            "origin": (0.55, 0.15, 0.3),
            "eclab": (0.65, 0.3, 0.05),
            "paper": (0.7, 0.12, 0.18),
            "custom": (1, 1, 1),
        }.get(theme, (0.8, 0.1, 0.1))
        return s.choice(("line", "markers", "line+markers"), weights)

    draw_mode = s.set("draw_mode", mode)

    def markers() -> tuple[str, ...]:
        if theme == "custom":
            return tuple(s.rng.permutation(MARKERS)[: int(s.rng.integers(1, 6))].tolist())
        if theme == "excel":
            return ("D", "s", "^", "x", "*", "o")
        if theme == "origin":
            return ("s", "o", "^", "v", "D", "p", "h") if n > 1 or s.chance(0.5) else (s.choice(("s", "o")),)
        if n > 1 and s.chance(0.5):
            return tuple(s.rng.permutation(("o", "s", "^", "v", "D", "d", "p", "h"))[:n].tolist())
        return (s.pick("o", 0.6, ".", 0.1, "s", 0.1, "^", 0.05, "x", 0.05, "+", 0.05, "*", 0.05),)

    s.set("markers", markers)
    dense = draw_mode == "markers"
    s.set("marker_size", lambda: s.uniform(1.5, 6.0, 1) if dense else s.uniform(3.0, 8.0, 1))

    def every() -> int:
        if dense:
            return s.pick(1, 0.45, 2, 0.15, 3, 0.1, 4, 0.1, 5, 0.1, 10, 0.1)
        return int(s.rng.integers(8, 60))

    s.set("marker_every", every)
    s.set(
        "marker_fill",
        lambda: (
            "none" if s.chance({"origin": 0.35, "paper": 0.3, "custom": 0.5}.get(theme, 0.15)) else "full"
        ),
    )

    def width() -> float:
        if theme == "matplotlib" and s.chance(0.6):
            return 1.5
        lo, hi = {
            "chi": (0.6, 1.5),
            "eclab": (0.6, 1.6),
            "nova": (0.8, 2.0),
            "excel": (1.5, 2.6),
            "origin": (1.0, 2.5),
            "paper": (0.6, 2.0),
            "custom": (0.3, 4.0),
        }.get(theme, (0.75, 2.75))
        return s.uniform(lo, hi, 2)

    s.set("line_width", width)
    s.set("split_cycles", lambda: s.chance(0.35 if theme in _INSTRUMENT else 0.15))
    aliased = {"chi": 0.4, "eclab": 0.35, "nova": 0.3, "excel": 0.05, "custom": 0.2}.get(theme, 0.02)
    s.set("antialiased", lambda: not s.chance(aliased))
    s.set("scan_arrow", lambda: s.chance({"paper": 0.15, "origin": 0.1, "custom": 0.3}.get(theme, 0.04)))


def _decoration(s: _Draw, theme: str) -> None:
    def table(field: str, default: tuple[Any, ...], **per_theme: tuple[Any, ...]) -> Any:
        if theme == "custom":
            return s.choice(OPTIONS[field])
        return s.pick(*per_theme.get(theme, default))

    s.set(
        "spines",
        lambda: table(
            "spines",
            ("lbrt", 0.8, "lb", 0.17, "lbr", 0.03),
            excel=("b", 0.55, "", 0.25, "lb", 0.2),
            ggplot=("", 0.9, "lb", 0.1),
            paper=("lbrt", 0.6, "lb", 0.4),
            origin=("lbrt", 0.85, "lb", 0.15),
            nova=("lbrt", 0.7, "lb", 0.3),
            dark=("lbrt", 0.5, "lb", 0.3, "", 0.2),
            classic=("lbrt", 1.0),
            chi=("lbrt", 1.0),
            eclab=("lbrt", 1.0),
        ),
    )
    s.set(
        "spine_width",
        lambda: {
            "matplotlib": 0.8,
            "classic": 1.0,
            "origin": s.uniform(1.0, 2.0, 2),
            "paper": s.uniform(0.5, 1.3, 2),
            "excel": 0.75,
            "custom": s.uniform(0.4, 2.5, 2),
        }.get(theme, s.uniform(0.6, 1.3, 2)),
    )
    s.set(
        "ticks",
        lambda: table(
            "ticks",
            ("lb", 0.85, "lbrt", 0.15),
            classic=("lbrt", 1.0),
            origin=("lbrt", 0.8, "lb", 0.2),
            chi=("lb", 0.5, "lbrt", 0.5),
            eclab=("lbrt", 0.6, "lb", 0.4),
            excel=("b", 0.35, "", 0.45, "lb", 0.2),
            paper=("lbrt", 0.5, "lb", 0.5),
            ggplot=("lb", 1.0),
        ),
    )
    if s["spines"] and "ticks" not in s.over:
        s.d["ticks"] = "".join(c for c in s["ticks"] if c in s["spines"])
    s.set(
        "tick_direction",
        lambda: table(
            "tick_direction",
            ("out", 0.85, "in", 0.12, "inout", 0.03),
            classic=("in", 1.0),
            origin=("in", 0.8, "inout", 0.1, "out", 0.1),
            chi=("in", 0.5, "out", 0.5),
            eclab=("in", 0.6, "out", 0.4),
            paper=("in", 0.6, "out", 0.3, "inout", 0.1),
        ),
    )
    s.set(
        "major_tick_length",
        lambda: (
            3.5
            if theme == "matplotlib"
            else s.uniform(
                *{"origin": (4.0, 7.0), "custom": (1.5, 8.0), "ggplot": (2.0, 3.0)}.get(theme, (2.5, 5.0)), 1
            )
        ),
    )
    s.set("minor_tick_length", lambda: round(s["major_tick_length"] * s.uniform(0.45, 0.65), 1))
    s.set(
        "tick_width",
        lambda: (
            0.8
            if theme == "matplotlib"
            else round(min(max(s["spine_width"] * s.uniform(0.7, 1.0), 0.4), 1.6), 2)
        ),
    )
    s.set(
        "minor_ticks",
        lambda: s.chance(
            {
                "origin": 0.8,
                "paper": 0.5,
                "eclab": 0.5,
                "chi": 0.3,
                "nova": 0.2,
                "custom": 0.5,
                "excel": 0.0,
                "ggplot": 0.0,
            }.get(theme, 0.15)
        ),
    )
    s.set(
        "minor_divisions",
        lambda: s.pick(2, 0.6, 5, 0.3, 4, 0.1) if theme == "origin" else s.pick(5, 0.45, 4, 0.35, 2, 0.2),
    )
    nb = {"excel": (6, 11), "custom": (3, 11)}.get(theme, (4, 9))
    s.set("x_nbins", lambda: int(s.rng.integers(*nb)))
    s.set("y_nbins", lambda: int(s.rng.integers(*nb)))
    s.set(
        "grid",
        lambda: table(
            "grid",
            ("none", 0.55, "major", 0.33, "major+minor", 0.04, "horizontal", 0.04, "vertical", 0.04),
            matplotlib=("none", 0.85, "major", 0.15),
            classic=("none", 0.8, "major", 0.2),
            chi=("none", 0.7, "major", 0.3),
            eclab=("major", 0.75, "none", 0.25),
            nova=("major", 0.8, "major+minor", 0.2),
            origin=("none", 0.9, "major", 0.1),
            excel=("horizontal", 0.85, "major", 0.15),
            ggplot=("major+minor", 0.8, "major", 0.2),
            paper=("none", 0.92, "major", 0.08),
            dark=("major", 0.5, "none", 0.5),
        ),
    )
    s.set(
        "grid_style",
        lambda: table(
            "grid_style", ("-", 0.85, "--", 0.08, ":", 0.07), eclab=(":", 0.4, "--", 0.2, "-", 0.4)
        ),
    )
    s.set("grid_width", lambda: s.uniform(0.4, 1.0, 2) if theme != "ggplot" else s.uniform(0.8, 1.2, 2))
    s.set("zero_line", lambda: s.chance({"paper": 0.15, "custom": 0.3, "excel": 0.0}.get(theme, 0.08)))
    s.set("xaxis_at_zero", lambda: s.chance({"excel": 0.35, "custom": 0.15}.get(theme, 0.0)))
    s.set(
        "round_limits",
        lambda: s.chance(
            {"origin": 0.5, "excel": 0.7, "chi": 0.3, "eclab": 0.3, "nova": 0.2, "custom": 0.5}.get(
                theme, 0.1
            )
        ),
    )
    s.set(
        "x_margin",
        lambda: (
            0.05
            if theme == "matplotlib"
            else s.uniform(
                *{"custom": (0.0, 0.12), "excel": (0.0, 0.02)}.get(
                    theme, (0.0, 0.06) if theme in _INSTRUMENT else (0.0, 0.08)
                )
            )
        ),
    )
    s.set("y_margin", lambda: 0.05 if theme == "matplotlib" else s.uniform(0.02, 0.12))


def _text(s: _Draw, theme: str) -> None:
    def convention() -> tuple[bool, bool]:
        p_us = {"chi": 0.6, "paper": 0.18, "custom": 0.3}.get(theme, 0.12)
        if s.chance(p_us):
            return True, True
        if s.chance(0.04 if theme != "custom" else 0.3):
            return (True, False) if s.chance(0.5) else (False, True)
        return False, False

    inv, neg = convention()
    s.set("invert_potential", lambda: inv)
    s.set("negate_current", lambda: neg)
    s.set(
        "potential_unit",
        lambda: "mV" if s.chance({"eclab": 0.2, "paper": 0.15, "custom": 0.5}.get(theme, 0.1)) else "V",
    )
    unit = s.set(
        "current_unit",
        lambda: (
            "A"
            if s.chance({"chi": 0.6, "nova": 0.5, "excel": 0.2, "custom": 0.35}.get(theme, 0.12))
            else "auto"
        ),
    )
    s.set("auto_unit_min", lambda: 1.0 if s.chance(0.8) else 0.1)

    def tick_format() -> str:
        if theme == "custom":
            return s.choice(OPTIONS["current_tick_format"])
        if unit != "A":
            return "plain"
        return s.pick(
            *{
                "chi": ("e_short", 0.4, "e", 0.3, "plain", 0.3),
                "nova": ("E", 0.5, "plain", 0.5),
                "excel": ("E", 0.6, "plain", 0.4),
            }.get(theme, ("plain", 0.8, "e", 0.15, "E", 0.05))
        )

    s.set("current_tick_format", tick_format)
    s.set(
        "offset_style",
        lambda: (
            s.choice(OPTIONS["offset_style"])
            if theme == "custom"
            else (
                s.pick("in_label", 0.5, "math", 0.3, "plain", 0.2)
                if theme == "origin"
                else s.pick("plain", 0.5, "math", 0.38, "in_label", 0.12)
            )
        ),
    )

    def potential_label() -> str:
        if theme == "custom":
            return s.choice(POTENTIAL_LABELS)
        specific = {
            "chi": ("Potential/{unit}", 0.8),
            "eclab": ("Ewe/{unit}", 0.5, "Ewe/{unit}{vs}", 0.3),
            "nova": ("WE(1).Potential ({unit})", 0.7),
        }.get(theme)
        if specific and s.chance(sum(specific[1::2])):
            return s.pick(*specific)
        if theme == "paper":
            return s.choice(
                (
                    "E / {unit}{vs}",
                    "$E$ / {unit}{vs}",
                    "E ({unit}{vs})",
                    "$E$ ({unit}{vs})",
                    "E{vs} / {unit}",
                    "Potential ({unit}{vs})",
                    "Potential / {unit}{vs}",
                )
            )
        return s.choice(_GENERIC_POTENTIAL)

    def current_label() -> str:
        if theme == "custom":
            return s.choice(CURRENT_LABELS)
        specific = {
            "chi": ("Current/{unit}", 0.8),
            "eclab": ("<I>/{unit}", 0.75),
            "nova": ("WE(1).Current ({unit})", 0.7),
        }.get(theme)
        if specific and s.chance(sum(specific[1::2])):
            return s.pick(*specific)
        if theme == "paper":
            return s.choice(
                (
                    "I / {unit}",
                    "$I$ / {unit}",
                    "i ({unit})",
                    "$i$ ({unit})",
                    "I ({unit})",
                    "Current ({unit})",
                    "Current / {unit}",
                )
            )
        return s.choice(_GENERIC_CURRENT)

    s.set("potential_label", potential_label)
    s.set("current_label", current_label)
    s.set("density_label", lambda: s.choice(DENSITY_LABELS))
    s.set("vs_word", lambda: s.pick("vs", 0.5, "vs.", 0.4, "versus", 0.1))
    s.set("micro", lambda: s.pick("µ", 0.72, "μ", 0.1, "$\\mu$", 0.1, "u", 0.08))
    s.set(
        "density_unit",
        lambda: s.pick(
            "{p}A cm⁻²", 0.45, "{p}A/cm²", 0.2, "{p}A cm$^{{-2}}$", 0.2, "{p}A·cm⁻²", 0.1, "{p}A cm-2", 0.05
        ),
    )
    s.set(
        "decimal_comma",
        lambda: s.chance(
            {"origin": 0.25, "excel": 0.15, "eclab": 0.1, "paper": 0.05, "custom": 0.3}.get(theme, 0.03)
        ),
    )
    hyphen = theme in ("origin", "excel", *_INSTRUMENT)
    s.set("unicode_minus", lambda: s.chance(0.5 if theme == "custom" else (0.15 if hyphen else 0.92)))
    s.set("trim_zeros", lambda: s.chance({"excel": 0.8, "origin": 0.2, "custom": 0.4}.get(theme, 0.05)))


def _legend(s: _Draw, theme: str, n: int) -> None:
    def where() -> str:
        if theme == "custom":
            return s.choice(OPTIONS["legend"])
        if n == 1:
            return s.pick("none", 0.85, "inside", 0.15)
        if theme == "excel":
            return s.pick("below", 0.45, "outside_right", 0.35, "inside", 0.1, "outside_top", 0.1)
        return s.pick("inside", 0.72, "outside_right", 0.12, "outside_top", 0.05, "below", 0.04, "none", 0.07)

    where_ = s.set("legend", where)
    if where_ == "outside_right" and "legend" not in s.over:
        # keep the axes at least half the figure wide: a legend is ~12 em wide
        w_px = s["width_in"] * s["dpi"]
        if s["legend_font_size"] * s["dpi"] / 72 * 12 > 0.4 * w_px:
            s.d["legend"] = "inside"
    s.set(
        "legend_corner",
        lambda: s.pick(
            "auto", 0.6, "upper left", 0.1, "upper right", 0.1, "lower left", 0.1, "lower right", 0.1
        ),
    )
    s.set(
        "legend_frame",
        lambda: s.chance({"matplotlib": 0.85, "origin": 0.3, "paper": 0.4, "excel": 0.5}.get(theme, 0.5)),
    )
    s.set("legend_fancy", lambda: s.chance(0.8 if theme in _MPL else (0.5 if theme == "custom" else 0.1)))
    s.set("rate_format", lambda: s.pick(
        "{v} mV/s", 0.4, "{v} mV s⁻¹", 0.25, "{v} mV s$^{{-1}}$", 0.15, "v = {v} mV/s", 0.1, "{v} mV·s⁻¹", 0.05, "{v} mVs-1", 0.05
    ))  # fmt: skip
    s.set(
        "cycle_format",
        lambda: s.pick(
            "cycle {n}", 0.3, "Cycle {n}", 0.25, "scan {n}", 0.1, "Scan {n}", 0.1, "#{n}", 0.1, "{n}", 0.15
        ),
    )


def _annotations(s: _Draw, theme: str) -> None:
    def title() -> str | None:
        p = {"paper": 0.03, "excel": 0.3, "custom": 0.4, "origin": 0.1}.get(theme, 0.15)
        if not s.chance(p):
            return None
        return "Chart Title" if theme == "excel" and s.chance(0.4) else s.choice(_TITLES)

    s.set("title", title)

    def panel() -> str | None:
        if not s.chance(
            {"paper": 0.5, "origin": 0.2, "light": 0.15, "matplotlib": 0.15, "custom": 0.4}.get(theme, 0.03)
        ):
            return None
        letter = s.choice("abcdef")
        return s.choice(_PANEL_FORMS).format(l=letter, L=letter.upper())

    s.set("panel_label", panel)
    s.set("panel_position", lambda: s.pick("outside", 0.6, "inside", 0.4))
    s.set("panel_weight", lambda: s.pick("bold", 0.7, "normal", 0.3))


def _layout(s: _Draw, theme: str) -> None:
    def margins() -> tuple[float, float, float, float]:
        if theme in ("matplotlib", "classic") and s.chance(0.7):
            return (0.125, 0.11, 0.1, 0.12)
        if theme == "custom" or s.chance(0.15):
            return tuple(s.uniform(0.0, 0.15) for _ in range(4))  # type: ignore[return-value]
        return (0.0, 0.0, 0.0, 0.0)

    s.set("margins", margins)
    s.set("pad_in", lambda: s.uniform(0.02, 0.2) if theme != "custom" else s.uniform(0.0, 0.3))

    def aspect() -> float | None:
        p_square, p_free = {"paper": (0.3, 0.15), "custom": (0.2, 0.3)}.get(theme, (0.08, 0.04))
        u = s.rng.random()
        if u < p_square:
            return 1.0
        if u < p_square + p_free:
            return s.uniform(0.6, 1.3)
        return None

    s.set("axes_aspect", aspect)

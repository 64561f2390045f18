"""The figure style: one frozen record of every visual choice the renderer makes.

A :class:`Style` is pure data (JSON via :meth:`Style.to_dict` / :meth:`Style.from_dict`); the
renderer reads nothing else, so a style plus the curves fully determine the image.  The option
spaces below (:data:`OPTIONS`, :data:`RANGES`) are the single source of truth for validation,
for :func:`voltlens.render.sample_style` and for the tests that every option is reachable.

Label templates: ``potential_label`` may hold ``{unit}`` and ``{vs}`` (`` vs Ag/AgCl`` built from
``vs_word`` and the curve's reference electrode, empty when it has none); ``current_label`` and
``density_label`` hold ``{unit}``.  ``density_unit`` holds ``{p}`` for the SI prefix.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, ParameterError

__all__ = [
    "FONT_FAMILIES",
    "MATH_FONTSETS",
    "OPTIONS",
    "RANGES",
    "THEMES",
    "Style",
]

#: Themes: a name recorded in the style; every concrete choice is in the other fields.
THEMES = (
    "light",
    "matplotlib",
    "classic",
    "chi",
    "eclab",
    "nova",
    "origin",
    "excel",
    "ggplot",
    "paper",
    "dark",
    "custom",
)

#: Fonts that matplotlib ships (so styles render identically on every machine).  Any other
#: family that ``matplotlib.font_manager`` finds is accepted too (see ``available_fonts``).
FONT_FAMILIES = ("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono", "STIXGeneral", "cmr10", "cmss10")
MATH_FONTSETS = ("dejavusans", "dejavuserif", "stix", "stixsans", "cm")

LINE_STYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "v", "D", "d", "x", "+", ".", "*", "p", "h")

POTENTIAL_LABELS = (
    "E / {unit}{vs}",
    "E ({unit}{vs})",
    "E{vs} / {unit}",
    "E{vs} ({unit})",
    "$E$ / {unit}{vs}",
    "$E$ ({unit}{vs})",
    "Potential ({unit}{vs})",
    "Potential / {unit}{vs}",
    "Potential{vs} ({unit})",
    "Potential{vs} / {unit}",
    "Potential/{unit}",
    "Potential [{unit}]",
    "E [{unit}]",
    "Applied potential ({unit})",
    "Voltage ({unit})",
    "Ewe/{unit}",
    "Ewe/{unit}{vs}",
    "WE(1).Potential ({unit})",
)
CURRENT_LABELS = (
    "I / {unit}",
    "I ({unit})",
    "i / {unit}",
    "i ({unit})",
    "$I$ / {unit}",
    "$i$ ({unit})",
    "Current / {unit}",
    "Current ({unit})",
    "Current/{unit}",
    "Current [{unit}]",
    "I [{unit}]",
    "<I>/{unit}",
    "WE(1).Current ({unit})",
)
DENSITY_LABELS = (
    "j / {unit}",
    "j ({unit})",
    "J ({unit})",
    "$j$ / {unit}",
    "i ({unit})",
    "Current density ({unit})",
    "Current density / {unit}",
    "Current density [{unit}]",
)
DENSITY_UNITS = ("{p}A cm⁻²", "{p}A/cm²", "{p}A cm$^{{-2}}$", "{p}A·cm⁻²", "{p}A cm-2")
RATE_FORMATS = ("{v} mV/s", "{v} mV s⁻¹", "{v} mV s$^{{-1}}$", "v = {v} mV/s", "{v} mV·s⁻¹", "{v} mVs-1")
CYCLE_FORMATS = ("cycle {n}", "Cycle {n}", "scan {n}", "Scan {n}", "#{n}", "{n}")

#: Categorical fields and their allowed values.
OPTIONS: dict[str, tuple[Any, ...]] = {
    "theme": THEMES,
    "font_family": FONT_FAMILIES,
    "math_fontset": MATH_FONTSETS,
    "label_weight": ("normal", "bold"),
    "potential_unit": ("V", "mV"),
    # "auto": the SI prefix that puts the largest |current| in [auto_unit_min, 1000·auto_unit_min);
    # "A": SI amperes, with an offset/multiplier ("1e−5", "×10⁻⁵", "10⁻⁵ A") as matplotlib would.
    "current_unit": ("auto", "A", "mA", "µA", "nA", "pA"),
    "draw_mode": ("line", "markers", "line+markers"),
    "marker_fill": ("full", "none"),
    "tick_direction": ("in", "out", "inout"),
    "minor_divisions": (2, 4, 5),
    "grid": ("none", "major", "major+minor", "horizontal", "vertical"),
    "grid_style": LINE_STYLES,
    # sides (any subset of "lbrt" in that order is valid; these are the ones sampled)
    "spines": ("lbrt", "lb", "b", "lbr", ""),
    "ticks": ("lb", "lbrt", "b", ""),
    "potential_label": POTENTIAL_LABELS,
    "current_label": CURRENT_LABELS,
    "density_label": DENSITY_LABELS,
    "vs_word": ("vs", "vs.", "versus"),
    "micro": ("µ", "μ", "$\\mu$", "u"),
    "density_unit": DENSITY_UNITS,
    "current_tick_format": ("plain", "e", "E", "e_short"),
    "offset_style": ("plain", "math", "in_label"),
    "legend": ("none", "inside", "outside_right", "outside_top", "below"),
    "legend_corner": ("auto", "upper left", "upper right", "lower left", "lower right"),
    "rate_format": RATE_FORMATS,
    "cycle_format": CYCLE_FORMATS,
    "panel_position": ("outside", "inside"),
    "panel_weight": ("normal", "bold"),
}

#: Numeric fields and their closed ranges.
RANGES: dict[str, tuple[float, float]] = {
    "width_in": (1.5, 16.0),
    "height_in": (1.2, 16.0),
    "dpi": (60, 300),
    "tick_font_size": (4.0, 28.0),
    "label_font_size": (4.0, 32.0),
    "title_font_size": (4.0, 36.0),
    "legend_font_size": (4.0, 28.0),
    "pad_in": (0.0, 1.0),
    "axes_aspect": (0.3, 3.0),
    "x_margin": (0.0, 0.3),
    "y_margin": (0.0, 0.4),
    "auto_unit_min": (0.01, 1.0),
    "line_width": (0.1, 8.0),
    "marker_size": (0.5, 20.0),
    "marker_every": (1, 1000),
    "spine_width": (0.0, 5.0),
    "major_tick_length": (0.0, 15.0),
    "minor_tick_length": (0.0, 10.0),
    "tick_width": (0.1, 5.0),
    "x_nbins": (2, 15),
    "y_nbins": (2, 15),
    "grid_width": (0.1, 4.0),
}

_HEX = re.compile(r"^#[0-9a-f]{6}$")
_COLOR_FIELDS = ("background", "axes_background", "foreground", "text_color", "grid_color", "zero_line_color")
_BOOL_FIELDS = (
    "round_limits",
    "invert_potential",
    "negate_current",
    "split_cycles",
    "antialiased",
    "minor_ticks",
    "zero_line",
    "xaxis_at_zero",
    "decimal_comma",
    "unicode_minus",
    "trim_zeros",
    "legend_frame",
    "legend_fancy",
    "scan_arrow",
)
_TEMPLATE_KEYS = {
    "potential_label": ("unit", "vs"),
    "current_label": ("unit",),
    "density_label": ("unit",),
    "density_unit": ("p",),
    "rate_format": ("v",),
    "cycle_format": ("n",),
}
_TABLEAU = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


@dataclass(frozen=True, slots=True)
class Style:
    """Every choice of one figure.  Sizes in inches and points (1 pt = 1/72 in), colours ``#rrggbb``.

    The default is matplotlib's plain look (6.4 × 4.8 in at 100 dpi, tab10, ticks out, full box).
    Pixel size of the image is ``round(width_in·dpi) × round(height_in·dpi)``.
    """

    theme: str = "light"
    # canvas
    width_in: float = 6.4
    height_in: float = 4.8
    dpi: int = 100
    background: str = "#ffffff"
    axes_background: str = "#ffffff"
    foreground: str = "#000000"  # spines, tick marks, tick labels
    text_color: str = "#000000"  # axis titles, title, legend text, panel letter
    # fonts
    font_family: str = "DejaVu Sans"
    math_fontset: str = "dejavusans"
    tick_font_size: float = 10.0
    label_font_size: float = 10.0
    title_font_size: float = 12.0
    legend_font_size: float = 10.0
    label_weight: str = "normal"
    # layout: minimum margins (figure fractions left, bottom, right, top); text is never clipped
    margins: tuple[float, float, float, float] = (0.125, 0.11, 0.1, 0.12)
    pad_in: float = 0.06  # whitespace kept around the outermost text
    axes_aspect: float | None = None  # height / width of the axes box; None = fill
    # data limits and conventions
    x_margin: float = 0.05  # fraction of the data range added on each side
    y_margin: float = 0.05
    round_limits: bool = False  # extend the limits to the enclosing major ticks
    invert_potential: bool = False  # US: potential decreasing to the right
    negate_current: bool = False  # US: cathodic current plotted up
    potential_unit: str = "V"
    current_unit: str = "auto"
    auto_unit_min: float = 1.0
    # series
    draw_mode: str = "line"
    line_width: float = 1.5
    line_styles: tuple[str, ...] = ("-",)
    palette: str = "tab10"
    colors: tuple[str, ...] = _TABLEAU
    markers: tuple[str, ...] = ("o",)
    marker_size: float = 6.0
    marker_every: int = 1
    marker_fill: str = "full"
    split_cycles: bool = False  # each cycle of a voltammogram becomes its own series
    antialiased: bool = True
    scan_arrow: bool = False  # an arrow showing the initial scan direction
    # axes decoration: sides as letters l, b, r, t
    spines: str = "lbrt"
    spine_width: float = 0.8
    ticks: str = "lb"
    tick_direction: str = "out"
    major_tick_length: float = 3.5
    minor_tick_length: float = 2.0
    tick_width: float = 0.8
    minor_ticks: bool = False
    minor_divisions: int = 5
    x_nbins: int = 6
    y_nbins: int = 6
    grid: str = "none"
    grid_color: str = "#b0b0b0"
    grid_width: float = 0.8
    grid_style: str = "-"
    zero_line: bool = False
    zero_line_color: str = "#808080"
    xaxis_at_zero: bool = False  # Excel: the potential axis line crosses at zero current
    # text
    potential_label: str = "E / {unit}{vs}"
    current_label: str = "I / {unit}"
    density_label: str = "j / {unit}"
    vs_word: str = "vs"
    micro: str = "µ"
    density_unit: str = "{p}A cm⁻²"
    decimal_comma: bool = False
    unicode_minus: bool = True
    trim_zeros: bool = False
    current_tick_format: str = "plain"
    offset_style: str = "plain"
    # legend
    legend: str = "none"
    legend_corner: str = "auto"
    legend_frame: bool = True
    legend_fancy: bool = True
    rate_format: str = "{v} mV/s"
    cycle_format: str = "cycle {n}"
    # annotations
    title: str | None = None
    panel_label: str | None = None
    panel_position: str = "outside"
    panel_weight: str = "bold"

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def pixel_size(self) -> tuple[int, int]:
        """(width, height) of the rendered image in pixels."""
        return round(self.width_in * self.dpi), round(self.height_in * self.dpi)

    @property
    def convention(self) -> str:
        """``"IUPAC"``, ``"US"`` (inverted potential axis and cathodic up) or ``"mixed"``."""
        if self.invert_potential == self.negate_current:
            return "US" if self.negate_current else "IUPAC"
        return "mixed"

    def replace(self, **changes: Any) -> Style:
        """A copy with some fields changed (re-validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable mapping (tuples become lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "style") -> Style:
        """Inverse of :meth:`to_dict`; missing fields take their defaults, unknown ones are an error."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in names:
                raise ConfigError(source, key, value, "a Style field")
            kwargs[key] = tuple(value) if isinstance(value, list) else value
        try:
            return cls(**kwargs)
        except ParameterError as exc:
            raise ConfigError(source, exc.name, exc.value, exc.expected) from None


def _validate(style: Style) -> None:
    for name, allowed in OPTIONS.items():
        value = getattr(style, name)
        if name == "font_family":
            _check_font(value)
        elif name in ("spines", "ticks"):
            if not isinstance(value, str) or value != "".join(c for c in "lbrt" if c in value):
                raise ParameterError(name, value, "sides as a subset of 'lbrt' in that order, e.g. 'lb'")
        elif value not in allowed:
            raise ParameterError(name, value, f"one of {list(allowed)}")
    for name, (lo, hi) in RANGES.items():
        value = getattr(style, name)
        if value is None and name == "axes_aspect":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise ParameterError(name, value, f"a number in [{lo}, {hi}]")
    for name in ("dpi", "marker_every", "x_nbins", "y_nbins", "minor_divisions"):
        if not isinstance(getattr(style, name), int):
            raise ParameterError(name, getattr(style, name), "an integer")
    for name in _COLOR_FIELDS:
        if not isinstance(getattr(style, name), str) or not _HEX.match(getattr(style, name)):
            raise ParameterError(name, getattr(style, name), "a colour '#rrggbb' (lower case)")
    for name in _BOOL_FIELDS:
        if not isinstance(getattr(style, name), bool):
            raise ParameterError(name, getattr(style, name), "true or false")
    _check_sequence(
        style, "colors", lambda c: isinstance(c, str) and bool(_HEX.match(c)), "colours '#rrggbb'"
    )
    _check_sequence(style, "line_styles", lambda s: s in LINE_STYLES, f"line styles from {list(LINE_STYLES)}")
    _check_sequence(style, "markers", lambda m: m in MARKERS, f"markers from {list(MARKERS)}")
    margins = style.margins
    if (
        not isinstance(margins, tuple)
        or len(margins) != 4
        or not all(isinstance(m, int | float) and 0 <= m <= 0.45 for m in margins)
    ):
        raise ParameterError("margins", margins, "4 figure fractions in [0, 0.45] (left, bottom, right, top)")
    if not isinstance(style.palette, str) or not style.palette:
        raise ParameterError("palette", style.palette, "a palette name")
    for name, keys in _TEMPLATE_KEYS.items():
        _check_template(name, getattr(style, name), keys)
    for name in ("title", "panel_label"):
        value = getattr(style, name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ParameterError(name, value, "a non-empty string or None")
    w, h = style.pixel_size
    if not (120 <= w <= 4800 and 120 <= h <= 4800):
        raise ParameterError(
            "width_in·dpi × height_in·dpi", (w, h), "an image between 120 and 4800 px a side"
        )


def _check_sequence(style: Style, name: str, ok: Any, what: str) -> None:
    value = getattr(style, name)
    if not isinstance(value, tuple) or not value or not all(ok(v) for v in value):
        raise ParameterError(name, value, f"a non-empty tuple of {what}")


def _check_template(name: str, template: Any, keys: tuple[str, ...]) -> None:
    if not isinstance(template, str):
        raise ParameterError(name, template, "a template string")
    try:
        template.format(**dict.fromkeys(keys, ""))
    except (KeyError, IndexError, ValueError):
        raise ParameterError(name, template, f"a template using only {{{'}, {'.join(keys)}}}") from None
    if keys[0] in ("unit", "p", "v", "n") and "{" + keys[0] + "}" not in template:
        raise ParameterError(name, template, f"a template containing {{{keys[0]}}}")


def _check_font(family: Any) -> None:
    if family in FONT_FAMILIES:
        return
    from .fonts import font_available

    if not isinstance(family, str) or not font_available(family):
        raise ParameterError(
            "font_family", family, f"one of {list(FONT_FAMILIES)} or an installed font family"
        )

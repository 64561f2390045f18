"""Render voltammograms to an RGB image plus the exact data ↔ pixel transform.

The figure is laid out here, not by matplotlib's Axes: tick values, labels and margins are
computed from the style, and every element (spines, ticks, grid, curves, text, legend) is a plain
figure-level artist in pixel coordinates drawn by Agg.  This is ~4× faster than an ``Axes``
(no Tick objects, no tight-layout pass) and makes the transform exact by construction: the curves
are drawn through the very affine map that :class:`PixelTransform` records, and the axes box is
snapped to the pixel grid the way Agg snaps the spines.

Only the object API is used (``Figure`` + ``FigureCanvasAgg``); matplotlib's defaults are pinned
with an ``rc_context`` for the duration of one render, so a user's rcParams never leak in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import FancyArrowPatch, PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, Bbox, IdentityTransform
from PIL import Image as PILImage

from ..errors import DataError, ParameterError
from ..model import Voltammogram
from . import labels as lab
from .palettes import palette_colors
from .style import Style
from .transform import PixelTransform

__all__ = ["Rendered", "render"]

_RC_SKIP = {"backend", "backend_fallback", "interactive", "webagg.port", "webagg.address", "toolbar"}
_BASE_RC = {k: v for k, v in mpl.rcParamsDefault.items() if k not in _RC_SKIP}
_TICK_PAD_PT = 3.5
_LABEL_PAD_PT = 4.0
_TITLE_PAD_PT = 6.0


@dataclass(frozen=True, slots=True)
class Rendered:
    """An image (H×W×3 uint8 RGB, read-only), its exact transform, the style, and what was drawn.

    ``meta`` (JSON-serialisable) holds ``image_size``, ``axes_box_px`` / ``axes_quad_px``,
    ``content_box_px`` / ``content_quad_px`` (everything drawn), ``legend_box_px`` /
    ``legend_quad_px`` (or None), ``curves`` (per series: label, colour, line style, marker,
    source curve and cycle), ``x_axis`` / ``y_axis`` (title text as drawn and as read, unit,
    ``scale`` = SI per displayed unit, ``multiplier`` = factor of the offset text, inverted/negated,
    limits, major ticks with label text, value and pixel position, minor tick values, offset
    text), ``title``, ``panel_label``, ``convention``, ``layout`` (``as_styled``, or which
    fallback made room for the axes) and, after :func:`degrade`, ``degradations``.  Boxes are
    ``[x0, y0, x1, y1]`` and quads four ``[x, y]`` corners (top-left, top-right, bottom-right,
    bottom-left) in the image's pixel convention (see :mod:`voltlens.render.transform`); after a
    warp the boxes are the bounding boxes of the quads.
    """

    image: np.ndarray
    transform: PixelTransform
    style: Style
    meta: Mapping[str, Any]

    def __post_init__(self) -> None:
        image = np.asarray(self.image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ParameterError("image", f"{image.shape} {image.dtype}", "an H×W×3 uint8 array")
        if image.flags.writeable:  # own a read-only copy; never freeze the caller's array
            image = image.copy()
            image.setflags(write=False)
        object.__setattr__(self, "image", image)
        if not isinstance(self.meta, MappingProxyType):
            object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))


@dataclass(frozen=True, slots=True)
class _Series:
    potential: np.ndarray  # V
    current: np.ndarray  # A or A/m²
    label: str | None
    source: int
    cycle: int | None


@dataclass(frozen=True, slots=True)
class _Axis:
    unit: lab.AxisText
    sign: float  # +1, or -1 when the current is negated
    lo: float  # drawn-value limits, lo < hi
    hi: float
    ticks: np.ndarray  # drawn values of the visible major ticks
    minor: np.ndarray
    exponent: int  # multiplier 10**exponent factored out of the tick labels
    texts: list[str]


def render(curves: Sequence[Voltammogram], style: Style, *, labels: Sequence[str] | None = None) -> Rendered:
    """Draw ``curves`` (overlaid, one series each) in ``style``.

    ``labels`` name the curves in the legend (one per curve); without them the legend shows
    scan rates (``style.rate_format``), cycle numbers, ``metadata['label']`` or ``curve n``.
    Same curves and style give a byte-identical image.
    """
    curves = _check_curves(curves)
    series = _series(curves, style, labels)
    density = curves[0].current_is_density
    ref = next((c.reference_electrode for c in curves if c.reference_electrode), None)
    rc = dict(_BASE_RC)
    rc.update(
        {
            "axes.unicode_minus": style.unicode_minus,
            "mathtext.fontset": style.math_fontset,
            "text.antialiased": style.antialiased,
            "lines.antialiased": style.antialiased,
            "patch.antialiased": style.antialiased,
        }
    )
    with mpl.rc_context(rc=rc):
        return _render(series, style, density=density, ref=ref)


def _check_curves(curves: Sequence[Voltammogram]) -> list[Voltammogram]:
    curves = list(curves) if not isinstance(curves, Voltammogram) else [curves]
    if not curves:
        raise ParameterError("curves", curves, "at least one Voltammogram")
    for i, c in enumerate(curves):
        if not isinstance(c, Voltammogram):
            raise ParameterError(f"curves[{i}]", type(c).__name__, "a Voltammogram")
    if len({c.current_is_density for c in curves}) > 1:
        raise DataError(
            curves[1].source, "mixes currents and current densities in one figure", field="current"
        )
    return curves


def _series(curves: list[Voltammogram], style: Style, labels: Sequence[str] | None) -> list[_Series]:
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(labels) != len(curves):
            raise ParameterError("labels", labels, f"one label per curve ({len(curves)})")
    names = labels if labels is not None else _auto_labels(curves, style)
    out: list[_Series] = []
    for i, curve in enumerate(curves):
        parts = list(curve.cycles()) if style.split_cycles and curve.n_cycles > 1 else [(None, curve)]
        for number, part in parts:
            name = names[i]
            if number is not None:
                cyc = style.cycle_format.format(n=number)
                name = cyc if (labels is None and len(curves) == 1) else f"{name}, {cyc}"
            out.append(_Series(part.potential, part.current, name, i, number))
    return out


def _auto_labels(curves: list[Voltammogram], style: Style) -> list[str]:
    rates = [c.scan_rate for c in curves]
    if all(r is not None for r in rates) and len(set(rates)) == len(rates):
        return [style.rate_format.format(v=f"{r * 1e3:g}") for r in rates]  # type: ignore[operator]
    named = [c.metadata.get("label") for c in curves]
    if all(isinstance(n, str) and n for n in named):
        return [str(n) for n in named]
    return [f"curve {i + 1}" for i in range(len(curves))]


_NO_BOLD = ("cmr10", "cmss10")  # shipped without a bold face


_COMPLETE = ("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono")  # hold every glyph the renderer writes


def _font(style: Style, size: float, weight: str = "normal") -> FontProperties:
    if style.font_family in _NO_BOLD:
        weight = "normal"
    # other families fall back to DejaVu Sans for missing glyphs (µ, ⁻, −, ×, · ...); a single
    # family is cheaper to look up for every text drawn
    family = style.font_family if style.font_family in _COMPLETE else [style.font_family, "DejaVu Sans"]
    return FontProperties(family=family, size=size, weight=weight, math_fontfamily=style.math_fontset)


def _axes(series: list[_Series], style: Style, *, density: bool) -> tuple[_Axis, _Axis]:
    potentials = np.concatenate([s.potential for s in series])
    currents = np.concatenate([s.current for s in series])
    punit = lab.potential_unit(style.potential_unit)
    cunit = lab.current_unit(
        float(np.max(np.abs(currents))),
        mode=style.current_unit,
        auto_min=style.auto_unit_min,
        density=density,
        micro=style.micro,
        density_format=style.density_unit,
    )
    sign = -1.0 if style.negate_current else 1.0
    x = _axis(potentials / punit.scale, punit, 1.0, style, style.x_margin, style.x_nbins, "plain", False)
    want_multiplier = style.current_unit == "A" and style.current_tick_format == "plain"
    y = _axis(
        sign * currents / cunit.scale,
        cunit,
        sign,
        style,
        style.y_margin,
        style.y_nbins,
        style.current_tick_format,
        want_multiplier,
    )
    return x, y


def _axis(
    values: np.ndarray,
    unit: lab.AxisText,
    sign: float,
    style: Style,
    margin: float,
    nbins: int,
    fmt: str,
    want_multiplier: bool,
) -> _Axis:
    lo, hi = float(np.min(values)), float(np.max(values))
    span = hi - lo
    if not span > 1e-12 * max(abs(lo), abs(hi), 1e-300):
        span = abs(lo) if lo != 0 else 1.0
        lo, hi = lo - 0.5 * span, hi + 0.5 * span
        span = hi - lo
    lo, hi = lo - margin * span, hi + margin * span
    major = lab.nice_ticks(lo, hi, nbins)
    if style.round_limits:
        lo = float(major[major <= lo + 1e-9 * span].max(initial=lo))
        hi = float(major[major >= hi - 1e-9 * span].min(initial=hi))
    eps = 1e-9 * (hi - lo)
    ticks = major[(major >= lo - eps) & (major <= hi + eps)]
    minor = lab.minor_tick_values(major, lo, hi, style.minor_divisions) if style.minor_ticks else np.empty(0)
    exponent = lab.multiplier_exponent(ticks) if want_multiplier else 0
    texts = lab.format_ticks(
        ticks / 10.0**exponent,
        fmt=fmt,
        decimal_comma=style.decimal_comma,
        unicode_minus=style.unicode_minus,
        trim_zeros=style.trim_zeros,
    )
    return _Axis(unit, sign, lo, hi, ticks, minor, exponent, texts)


def _titles(style: Style, x: _Axis, y: _Axis, *, density: bool, ref: str | None) -> tuple[str, str, str]:
    """(potential title, current title, offset text)."""
    vs = " ".join(("", style.vs_word, ref.replace("$", r"\$"))) if ref else ""
    xt = style.potential_label.format(unit=x.unit.text, vs=vs)
    offset = ""
    unit_text = y.unit.text
    if y.exponent:
        if style.offset_style == "in_label":
            unit_text = f"10{lab.superscript(y.exponent)} {unit_text}"
        else:
            offset = lab.offset_text(y.exponent, style=style.offset_style, unicode_minus=style.unicode_minus)
    yt = (style.density_label if density else style.current_label).format(unit=unit_text)
    return lab.math_safe(xt), lab.math_safe(yt), offset


@dataclass(frozen=True, slots=True)
class _Snap:
    """Agg's snapping of straight axis-parallel lines, in both directions.

    Agg moves a snapped line whose pixel width rounds to an odd number to ``floor(v + 0.5) + 0.5``
    and an even one to ``floor(v + 0.5)``, in image coordinates (y down) — up to one pixel off
    for odd widths.  ``drawn`` is the nearest position Agg can draw a line of that width at (at
    most 0.5 px from ``v``); ``feed`` is the coordinate that makes Agg draw it there.  The
    methods take and return display coordinates (y up, image height ``H``).
    """

    H: float

    @staticmethod
    def _odd(width_px: float) -> bool:
        return int(width_px + 0.5) % 2 == 1

    @classmethod
    def _drawn(cls, v: float, w: float) -> float:
        return math.floor(v) + 0.5 if cls._odd(w) else math.floor(v + 0.5)

    @classmethod
    def _feed(cls, v: float, w: float) -> float:
        return float(math.floor(v)) if cls._odd(w) else float(math.floor(v + 0.5))

    def x(self, v: float, w: float) -> float:
        return self._drawn(v, w)

    def y(self, v: float, w: float) -> float:
        return self.H - self._drawn(self.H - v, w)

    def feed_x(self, v: float, w: float) -> float:
        return self._feed(v, w)

    def feed_y(self, v: float, w: float) -> float:
        return self.H - self._feed(self.H - v, w)


def _render(series: list[_Series], style: Style, *, density: bool, ref: str | None) -> Rendered:
    W, H = style.pixel_size
    dpi = float(style.dpi)
    pt = dpi / 72.0
    x, y = _axes(series, style, density=density)
    xtitle, ytitle, offset = _titles(style, x, y, density=density, ref=ref)

    fig = Figure(figsize=_inches(W, H, dpi), dpi=dpi, facecolor=style.background, edgecolor=style.background)
    canvas = FigureCanvasAgg(fig)
    try:
        renderer = canvas.get_renderer()
        ident = IdentityTransform()
        tick_font = _font(style, style.tick_font_size)
        label_font = _font(style, style.label_font_size, style.label_weight)

        def text(s: str, font: FontProperties, color: str, **kw: Any) -> Text:
            t = Text(0, 0, s, fontproperties=font, color=color, transform=ident, **kw)
            t.set_antialiased(style.antialiased)
            fig.add_artist(t)
            return t

        xtick_texts = [text(s, tick_font, style.foreground, ha="center", va="top") for s in x.texts]
        ytick_texts = [
            text(s, tick_font, style.foreground, ha="right", va="center_baseline") for s in y.texts
        ]
        xlabel = text(xtitle, label_font, style.text_color, ha="center", va="top")
        ylabel = text(
            ytitle,
            label_font,
            style.text_color,
            ha="center",
            va="bottom",
            rotation=90,
            rotation_mode="anchor",
        )
        offset_t = text(offset, tick_font, style.foreground, ha="left", va="bottom") if offset else None
        title_t = (
            text(
                style.title, _font(style, style.title_font_size), style.text_color, ha="center", va="baseline"
            )
            if style.title
            else None
        )
        panel_t = (
            text(
                style.panel_label,
                _font(style, style.title_font_size, style.panel_weight),
                style.text_color,
                ha="left",
                va="top",
            )
            if style.panel_label
            else None
        )

        def size(t: Text | None) -> tuple[float, float]:
            if t is None:
                return 0.0, 0.0
            bb = t.get_window_extent(renderer)
            return bb.width, bb.height

        xt_sizes = [size(t) for t in xtick_texts]
        yt_sizes = [size(t) for t in ytick_texts]
        xl_h = size(xlabel)[1]
        yl_w = size(ylabel)[0]  # rotated: its width is the text height
        off_h = size(offset_t)[1]
        ti_h = size(title_t)[1]
        pa_h = size(panel_t)[1]

        lines = _series_artists(series, style, pt)
        legend = _legend(fig, lines, series, style) if style.legend != "none" else None
        leg_w, leg_h = (0.0, 0.0)
        if legend is not None:
            bb = legend.get_window_extent(renderer)
            leg_w, leg_h = bb.width, bb.height

        # ---- margins (display px) ------------------------------------------------------------
        tick_len = style.major_tick_length * pt
        out = {"out": tick_len, "inout": 0.5 * tick_len, "in": 0.0}[style.tick_direction]
        outs = {side: (out if side in style.ticks else 0.0) for side in "lbrt"}
        tick_pad = _TICK_PAD_PT * pt
        label_pad = _LABEL_PAD_PT * pt
        gap = 0.5 * style.legend_font_size * pt
        xt_h = max((h for _, h in xt_sizes), default=0.0)
        yt_w = max((w for w, _ in yt_sizes), default=0.0)
        yt_h = max((h for _, h in yt_sizes), default=0.0)
        half_first = xt_sizes[0][0] / 2 if xt_sizes else 0.0  # overhang of the end tick labels
        half_last = xt_sizes[-1][0] / 2 if xt_sizes else 0.0
        if style.invert_potential:  # the lowest value is on the right
            half_first, half_last = half_last, half_first

        leg_top = leg_h + gap if (legend is not None and style.legend == "outside_top") else 0.0

        def margins(pad: float, use_minimum: bool) -> tuple[float, float, float, float]:
            left = max(pad + yl_w + label_pad + yt_w + tick_pad + outs["l"], pad + half_first)
            bottom = max(pad + xl_h + label_pad + xt_h + tick_pad + outs["b"], pad + yt_h / 2)
            right = pad + max(outs["r"], half_last)
            top = pad + top_stack + leg_top
            if title_t is not None:
                top += _TITLE_PAD_PT * pt + ti_h
            if panel_t is not None and style.panel_position == "outside":
                top = max(top, 2 * pad + pa_h)
            if legend is not None and style.legend == "outside_right":
                right = max(right, pad + leg_w + gap)
            elif legend is not None and style.legend == "below":
                bottom += leg_h + gap
            if use_minimum:
                ml, mb, mr, mt = style.margins
                left, bottom, right, top = (
                    max(left, ml * W),
                    max(bottom, mb * H),
                    max(right, mr * W),
                    max(top, mt * H),
                )
            return left, bottom, right, top

        top_stack = max(outs["t"], yt_h / 2)
        if offset_t is not None:
            top_stack = max(top_stack, off_h + 0.3 * tick_pad)
        # as the style asks; if the axes would be squeezed below 30 % of the figure, drop the
        # minimum margins, then the padding (recorded in meta["layout"])
        for option in (
            (style.pad_in * dpi, True, "as_styled"),
            (style.pad_in * dpi, False, "no_minimum_margins"),
            (0.0, False, "no_padding"),
        ):
            pad, use_minimum, layout = option
            left, bottom, right, top = margins(pad, use_minimum)
            box_w, box_h = W - left - right, H - top - bottom
            if box_w >= 0.3 * W and box_h >= 0.3 * H:
                break
        else:
            raise ParameterError(
                "style",
                f"{W}×{H} px with {style.tick_font_size}/{style.label_font_size} pt text",
                "text leaves too little room for the axes: use smaller fonts or a larger figure",
            )
        x0, y0 = left, bottom
        if style.axes_aspect is not None:
            want_h = box_w * style.axes_aspect
            if want_h <= box_h:
                y0 += (box_h - want_h) / 2
                box_h = want_h
            else:
                want_w = box_h / style.axes_aspect
                x0 += (box_w - want_w) / 2
                box_w = want_w
        # the box edges are where Agg can draw the spines crisply; the transform uses them
        snap = _Snap(H)
        lw_px = (style.spine_width if style.spines else style.tick_width) * pt
        x1 = snap.x(x0 + box_w, lw_px)
        x0 = snap.x(x0, lw_px)
        y1 = snap.y(y0 + box_h, lw_px)
        y0 = snap.y(y0, lw_px)

        # ---- the data → display affine, shared by the curves and the transform -------------------
        xl, xr = (x.hi, x.lo) if style.invert_potential else (x.lo, x.hi)
        sx = (x1 - x0) / (xr - xl)  # display px per drawn unit
        sy = (y1 - y0) / (y.hi - y.lo)
        x_scale = sx / x.unit.scale
        x_offset = x0 - xl * sx
        y_scale_disp = sy * y.sign / y.unit.scale
        y_offset_disp = y0 - y.lo * sy
        data_to_display = Affine2D(
            np.array([[x_scale, 0, x_offset], [0, y_scale_disp, y_offset_disp], [0, 0, 1]])
        )
        transform = PixelTransform(x_scale, x_offset, -y_scale_disp, H - y_offset_disp, W, H)

        def xpos(v: np.ndarray) -> np.ndarray:
            return x0 + (np.asarray(v) - xl) * sx

        def ypos(v: np.ndarray) -> np.ndarray:
            return y0 + (np.asarray(v) - y.lo) * sy

        box = Bbox.from_extents(x0, y0, x1, y1)
        xaxis_y = y0
        if style.xaxis_at_zero and y.lo < 0 < y.hi:
            xaxis_y = snap.y(float(ypos(0.0)), lw_px)

        # ---- artists --------------------------------------------------------------------------
        fig.add_artist(
            Rectangle(
                (x0, y0),
                x1 - x0,
                y1 - y0,
                transform=ident,
                facecolor=style.axes_background,
                edgecolor="none",
                zorder=0,
            )
        )
        _grid(fig, style, x, y, xpos, ypos, box, snap, pt)
        if style.zero_line and y.lo < 0 < y.hi:
            zy = snap.feed_y(float(ypos(0.0)), 0.8 * style.grid_width * pt)
            fig.add_artist(
                Line2D(
                    [x0, x1],
                    [zy, zy],
                    transform=ident,
                    color=style.zero_line_color,
                    lw=0.8 * style.grid_width,
                    ls="--" if style.grid_style == "-" else "-",
                    zorder=1.2,
                    snap=True,
                )
            )
        clip = box.frozen()
        for s_, line in zip(series, lines, strict=True):
            if style.draw_mode != "markers":
                drawn = Line2D([], [])
                drawn.update_from(line)
                drawn.set_data(s_.potential, s_.current)
                drawn.set_marker("None")
                drawn.set_transform(data_to_display)
                drawn.set_clip_box(clip)
                fig.add_artist(drawn)
            if style.draw_mode != "line":
                fig.add_artist(_markers(s_, line, style, data_to_display, clip, pt))
        if style.scan_arrow:
            _arrow(fig, series[0], lines[0], data_to_display, box, style, pt)
        _spines(fig, style, (x0, y0, x1, y1), xaxis_y, snap, pt)
        tick_lines = _ticks(fig, style, x, y, xpos, ypos, (x0, y0, x1, y1), xaxis_y, snap, pt)

        # ---- place text ---------------------------------------------------------------------
        xt_top = y0 - outs["b"] - tick_pad
        for t, v in zip(xtick_texts, x.ticks, strict=True):
            t.set_position((float(xpos(v)), xt_top))
        yt_right = x0 - outs["l"] - tick_pad
        for t, v in zip(ytick_texts, y.ticks, strict=True):
            t.set_position((yt_right, float(ypos(v))))
        xlabel.set_position(((x0 + x1) / 2, xt_top - xt_h - label_pad))
        ylabel.set_position((yt_right - yt_w - label_pad, (y0 + y1) / 2))
        if offset_t is not None:
            offset_t.set_position((x0, y1 + outs["t"] + 0.3 * tick_pad))
        if title_t is not None:
            title_t.set_position(((x0 + x1) / 2, y1 + top_stack + leg_top + _TITLE_PAD_PT * pt))
        if panel_t is not None:
            if style.panel_position == "outside":
                panel_t.set_position((pad, H - pad))
            else:
                panel_t.set_position((x0 + 0.03 * (x1 - x0) + outs["l"], y1 - 0.03 * (y1 - y0)))
        if legend is not None:
            _place_legend(
                legend,
                style,
                series,
                data_to_display,
                box,
                (leg_w, leg_h),
                gap,
                y1 + top_stack,
                xlabel,
                renderer,
            )

        canvas.draw()
        rgba = canvas.buffer_rgba()  # Pillow drops alpha ~2× faster than a strided numpy copy
        image = np.asarray(
            PILImage.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1).convert(
                "RGB"
            )
        )
        if image.shape[:2] != (H, W):
            raise ParameterError(
                "style", image.shape, f"an image of {H}×{W} px (matplotlib drew another size)"
            )
        meta = _meta(
            style=style,
            x=x,
            y=y,
            titles=(xtitle, ytitle, offset),
            texts={
                "xtick": xtick_texts,
                "ytick": ytick_texts,
                "xlabel": xlabel,
                "ylabel": ylabel,
                "offset": offset_t,
                "title": title_t,
                "panel": panel_t,
            },
            tick_lines=tick_lines,
            legend=legend,
            lines=lines,
            series=series,
            box=(x0, y0, x1, y1),
            xaxis_y=xaxis_y,
            xpos=xpos,
            ypos=ypos,
            size=(W, H),
            renderer=renderer,
            layout=layout,
        )
        return Rendered(image, transform, style, meta)
    finally:
        fig.clear()


def _inches(W: int, H: int, dpi: float) -> tuple[float, float]:
    """Figure size in inches whose pixel size matplotlib rounds down to exactly W × H."""
    w, h = W / dpi, H / dpi
    while w * dpi < W:
        w = math.nextafter(w, math.inf)
    while h * dpi < H:
        h = math.nextafter(h, math.inf)
    return w, h


def _series_artists(series: list[_Series], style: Style, pt: float) -> list[Line2D]:
    """One Line2D per series carrying its full look (line and marker): drawn for the line part
    and used as the legend handle; markers are drawn separately by :func:`_markers`."""
    colors = style.colors if len(style.colors) >= len(series) else _extend_colors(style, len(series))
    out = []
    for k, s in enumerate(series):
        color = colors[k % len(colors)]
        marker = style.markers[k % len(style.markers)] if style.draw_mode != "line" else "None"
        ls = style.line_styles[k % len(style.line_styles)] if style.draw_mode != "markers" else "None"
        line = Line2D(
            s.potential,
            s.current,
            color=color,
            lw=style.line_width,
            ls=ls,
            marker=marker,
            markersize=style.marker_size,
            markerfacecolor=color if style.marker_fill == "full" else "none",
            markeredgecolor=color,
            markeredgewidth=_marker_edge(style, marker),
            antialiased=style.antialiased,
            solid_joinstyle="round",
            solid_capstyle="round",
            zorder=2 + 0.01 * k,
            label=s.label,
        )
        out.append(line)
    return out


def _marker_edge(style: Style, marker: str) -> float:
    if marker in ("x", "+"):
        return max(0.6, 0.6 * style.line_width)
    return 0.8 if style.marker_fill == "full" else max(0.8, 0.5 * style.line_width)


def _markers(s: _Series, line: Line2D, style: Style, tr: Affine2D, clip: Bbox, pt: float) -> PathPatch:
    """All markers of a series as one compound path at exact (unsnapped) display positions.

    Agg's own marker drawing rounds marker centres to the pixel grid (up to 1 px off); a plain
    path is rasterised at sub-pixel precision.
    """
    marker = MarkerStyle(line.get_marker(), fillstyle="full" if style.marker_fill == "full" else "none")
    base = marker.get_path().transformed(marker.get_transform().scale(style.marker_size * pt))
    verts = base.vertices
    codes = (
        base.codes if base.codes is not None else np.array([Path.MOVETO] + [Path.LINETO] * (len(verts) - 1))
    )
    centres = tr.transform(np.column_stack([s.potential, s.current])[:: style.marker_every])
    all_verts = (verts[None, :, :] + centres[:, None, :]).reshape(-1, 2)
    all_codes = np.tile(codes, centres.shape[0])
    filled = marker.is_filled() and style.marker_fill == "full"
    patch = PathPatch(
        Path(all_verts, all_codes),
        transform=IdentityTransform(),
        facecolor=line.get_color() if filled else "none",
        edgecolor=line.get_color(),
        lw=line.get_markeredgewidth(),
        fill=filled,
        snap=False,
        antialiased=style.antialiased,
        zorder=line.get_zorder() + 0.005,
        joinstyle="miter",
    )
    patch.set_clip_box(clip)
    return patch


def _extend_colors(style: Style, n: int) -> tuple[str, ...]:
    """Colours for more series than the style lists: resample sequential palettes, else cycle."""
    try:
        fresh = palette_colors(style.palette, n)
    except ParameterError:
        return style.colors
    return fresh if len(fresh) >= n else style.colors


def _grid(
    fig: Figure, style: Style, x: _Axis, y: _Axis, xpos: Any, ypos: Any, box: Bbox, snap: _Snap, pt: float
) -> None:
    if style.grid == "none":
        return
    x0, y0, x1, y1 = box.extents
    vertical = style.grid in ("major", "major+minor", "vertical")
    horizontal = style.grid in ("major", "major+minor", "horizontal")
    sets = [(x.ticks, y.ticks, 1.0, 1.1)]
    if style.grid == "major+minor":
        minor_x = (
            x.minor if x.minor.size else lab.minor_tick_values(x.ticks, x.lo, x.hi, style.minor_divisions)
        )
        minor_y = (
            y.minor if y.minor.size else lab.minor_tick_values(y.ticks, y.lo, y.hi, style.minor_divisions)
        )
        sets.insert(0, (minor_x, minor_y, 0.5, 1.0))
    for xs, ys, width, z in sets:
        segs = []
        w = style.grid_width * width * pt
        if vertical:
            segs += [[(snap.feed_x(p, w), y0), (snap.feed_x(p, w), y1)] for p in xpos(xs)]
        if horizontal:
            segs += [[(x0, snap.feed_y(p, w)), (x1, snap.feed_y(p, w))] for p in ypos(ys)]
        if not segs:
            continue
        lc = LineCollection(
            segs,
            colors=style.grid_color,
            linewidths=style.grid_width * width,
            linestyles=style.grid_style,
            transform=IdentityTransform(),
            snap=True,
            antialiaseds=style.antialiased,
            zorder=z,
        )
        lc.set_clip_box(box)
        fig.add_artist(lc)


def _spines(
    fig: Figure, style: Style, box: tuple[float, float, float, float], xaxis_y: float, snap: _Snap, pt: float
) -> None:
    if not style.spines or style.spine_width == 0:
        return
    w = style.spine_width * pt
    x0, x1 = snap.feed_x(box[0], w), snap.feed_x(box[2], w)
    y0, y1, xaxis_y = snap.feed_y(box[1], w), snap.feed_y(box[3], w), snap.feed_y(xaxis_y, w)
    kw = {
        "transform": IdentityTransform(),
        "color": style.foreground,
        "lw": style.spine_width,
        "snap": True,
        "zorder": 2.5,
        "antialiased": style.antialiased,
        "solid_capstyle": "projecting",
    }
    if style.spines == "lbrt" and abs(xaxis_y - y0) < 0.5:
        fig.add_artist(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, joinstyle="miter", **_patch_kw(kw)))
        return
    sides = {"l": ([x0, x0], [y0, y1]), "b": ([x0, x1], [xaxis_y, xaxis_y]), "r": ([x1, x1], [y0, y1])}
    sides["t"] = ([x0, x1], [y1, y1])
    for side in style.spines:
        xs, ys = sides[side]
        fig.add_artist(Line2D(xs, ys, **kw))
    if style.xaxis_at_zero and "b" in style.spines and abs(xaxis_y - y0) >= 0.5 and "l" in style.spines:
        fig.add_artist(Line2D([x0, x1], [y0, y0], **kw))  # keep the box closed below


def _patch_kw(kw: dict[str, Any]) -> dict[str, Any]:
    return {
        "transform": kw["transform"],
        "edgecolor": kw["color"],
        "lw": kw["lw"],
        "snap": True,
        "zorder": kw["zorder"],
        "antialiased": kw["antialiased"],
    }


def _ticks(
    fig: Figure,
    style: Style,
    x: _Axis,
    y: _Axis,
    xpos: Any,
    ypos: Any,
    box: tuple[float, float, float, float],
    xaxis_y: float,
    snap: _Snap,
    pt: float,
) -> dict[str, list[list[float]]]:
    """Tick marks on the sides in ``style.ticks``; returns the major tick anchor points (display)."""
    x0, _, x1, y1 = box
    d = style.tick_direction
    anchors: dict[str, list[list[float]]] = {"x": [], "y": []}
    for major, xs, ys, length, width in (
        (True, x.ticks, y.ticks, style.major_tick_length, style.tick_width),
        (False, x.minor, y.minor, style.minor_tick_length, 0.75 * style.tick_width),
    ):
        L = length * pt
        w = width * pt
        inner, outer = {"in": (L, 0.0), "out": (0.0, L), "inout": (L / 2, L / 2)}[d]
        segs = []
        for side in style.ticks:
            if side in "bt":
                base, sgn = (xaxis_y, 1.0) if side == "b" else (y1, -1.0)
                for p in xpos(xs):
                    p, q = float(p), snap.feed_x(float(p), w)
                    segs.append([(q, base - sgn * outer), (q, base + sgn * inner)])
                    if major and side == "b":
                        anchors["x"].append([p, base])
            else:
                base, sgn = (x0, 1.0) if side == "l" else (x1, -1.0)
                for p in ypos(ys):
                    p, q = float(p), snap.feed_y(float(p), w)
                    segs.append([(base - sgn * outer, q), (base + sgn * inner, q)])
                    if major and side == "l":
                        anchors["y"].append([base, p])
        if segs and L > 0:
            fig.add_artist(
                LineCollection(
                    segs,
                    colors=style.foreground,
                    linewidths=width,
                    transform=IdentityTransform(),
                    snap=True,
                    antialiaseds=style.antialiased,
                    capstyle="butt",
                    zorder=2.4,
                )
            )
    if not anchors["x"]:
        anchors["x"] = [[float(p), xaxis_y] for p in xpos(x.ticks)]
    if not anchors["y"]:
        anchors["y"] = [[x0, float(p)] for p in ypos(y.ticks)]
    return anchors


def _legend(fig: Figure, lines: list[Line2D], series: list[_Series], style: Style) -> Legend | None:
    """The legend of the labelled series (unlabelled ones — label None or "" — are left out)."""
    entries = [(line, lab.math_safe(s.label)) for line, s in zip(lines, series, strict=True) if s.label]
    if not entries:
        return None
    ncols = 1
    if style.legend in ("outside_top", "below"):
        ncols = min(len(entries), 4)
    legend = Legend(
        fig,
        [line for line, _ in entries],
        [text for _, text in entries],
        loc="upper left",
        prop=_font(style, style.legend_font_size),
        labelcolor=style.text_color,
        frameon=style.legend_frame,
        fancybox=style.legend_fancy,
        framealpha=0.8 if style.legend_fancy else 1.0,
        facecolor=style.axes_background,
        edgecolor="#cccccc" if style.legend_fancy else style.foreground,
        ncols=ncols,
        numpoints=1,
        borderaxespad=0.0,
        bbox_to_anchor=Bbox.from_bounds(0, 0, 1, 1),
        bbox_transform=IdentityTransform(),
    )
    legend.legendPatch.set_antialiased(style.antialiased)
    legend.set_zorder(5)
    fig.legends.append(legend)
    return legend


def _place_legend(
    legend: Legend,
    style: Style,
    series: list[_Series],
    data_to_display: Affine2D,
    box: Bbox,
    size: tuple[float, float],
    gap: float,
    above: float,
    xlabel: Text,
    renderer: Any,
) -> None:
    x0, y0, x1, y1 = box.extents
    w, h = size
    inset = gap
    if style.legend == "inside":
        corner = style.legend_corner
        if corner == "auto":
            corner = _emptiest_corner(series, data_to_display, box, w, h, inset)
        legend.set_loc(corner)
        legend.set_bbox_to_anchor(
            Bbox.from_extents(x0 + inset, y0 + inset, x1 - inset, y1 - inset), IdentityTransform()
        )
    elif style.legend == "outside_right":
        legend.set_loc("upper left")
        legend.set_bbox_to_anchor(Bbox.from_bounds(x1 + gap, y1 - h, w, h), IdentityTransform())
    elif style.legend == "outside_top":
        legend.set_loc("lower center")
        legend.set_bbox_to_anchor(
            Bbox.from_bounds((x0 + x1) / 2 - w / 2, above + gap, w, h), IdentityTransform()
        )
    else:  # below
        legend.set_loc("upper center")
        bottom = xlabel.get_window_extent(renderer).y0
        legend.set_bbox_to_anchor(
            Bbox.from_bounds((x0 + x1) / 2 - w / 2, bottom - gap - h, w, h), IdentityTransform()
        )


def _emptiest_corner(series: list[_Series], tr: Affine2D, box: Bbox, w: float, h: float, inset: float) -> str:
    x0, y0, x1, y1 = box.extents
    pts = []
    for s in series:
        step = max(1, s.potential.size // 600)
        pts.append(np.column_stack([s.potential[::step], s.current[::step]]))
    xy = tr.transform(np.concatenate(pts))
    best, best_n = "upper right", None
    for corner in ("upper right", "upper left", "lower right", "lower left"):
        lx = x1 - inset - w if "right" in corner else x0 + inset
        ly = y1 - inset - h if "upper" in corner else y0 + inset
        n = int(
            np.count_nonzero(
                (xy[:, 0] >= lx) & (xy[:, 0] <= lx + w) & (xy[:, 1] >= ly) & (xy[:, 1] <= ly + h)
            )
        )
        if best_n is None or n < best_n:
            best, best_n = corner, n
    return best


def _arrow(fig: Figure, s: _Series, line: Line2D, tr: Affine2D, box: Bbox, style: Style, pt: float) -> None:
    """A short arrow beside the first sweep (outside the loop), pointing along the scan."""
    xy = tr.transform(np.column_stack([s.potential, s.current]))
    dE = np.diff(s.potential)
    turn = np.flatnonzero(np.sign(dE[1:]) * np.sign(dE[:-1]) < 0)
    seg_end = int(turn[0]) + 1 if turn.size else xy.shape[0] - 1
    if seg_end < 4:
        return
    first = s.potential[: seg_end + 1]
    target = first[0] + 0.4 * (first[-1] - first[0])
    i = int(np.argmin(np.abs(first - target)))
    k = max(2, seg_end // 20)
    a, b = xy[max(0, i - k)], xy[min(seg_end, i + k)]
    d = b - a
    norm = float(np.hypot(*d))
    if norm < 1e-6:
        return
    d /= norm
    normal = np.array([-d[1], d[0]])
    if np.dot(normal, xy[i] - xy.mean(axis=0)) < 0:
        normal = -normal
    font_px = style.tick_font_size * pt
    length = 0.07 * box.width
    start = xy[i] + normal * (1.2 * font_px + style.line_width * pt) - d * length / 2
    fig.add_artist(
        FancyArrowPatch(
            tuple(start),
            tuple(start + d * length),
            transform=IdentityTransform(),
            arrowstyle="-|>",
            mutation_scale=0.8 * style.tick_font_size,  # points, like lw
            color=line.get_color(),
            lw=max(0.6, 0.7 * style.line_width),
            zorder=2.3,
            antialiased=style.antialiased,
            shrinkA=0,
            shrinkB=0,
        )
    )


# ---- metadata --------------------------------------------------------------------------------


def _box_img(bb: Bbox, H: int) -> list[float]:
    return [float(bb.x0), float(H - bb.y1), float(bb.x1), float(H - bb.y0)]


def _quad(box: list[float]) -> list[list[float]]:
    x0, y0, x1, y1 = box
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def _meta(
    *,
    style: Style,
    x: _Axis,
    y: _Axis,
    titles: tuple[str, str, str],
    texts: dict[str, Any],
    tick_lines: dict[str, list[list[float]]],
    legend: Legend | None,
    lines: list[Line2D],
    series: list[_Series],
    box: tuple[float, float, float, float],
    xaxis_y: float,
    xpos: Any,
    ypos: Any,
    size: tuple[int, int],
    renderer: Any,
    layout: str,
) -> dict[str, Any]:
    W, H = size
    x0, y0, x1, y1 = box
    extents: list[Bbox] = [Bbox.from_extents(x0, y0, x1, y1)]

    def tbox(t: Text | None) -> list[float] | None:
        if t is None:
            return None
        bb = t.get_window_extent(renderer)
        extents.append(bb)
        return _box_img(bb, H)

    def axis_meta(
        ax: _Axis, kind: str, title: str, label_texts: list[Text], anchors: list[list[float]]
    ) -> dict:
        ticks = []
        for v, s, t, (px, py) in zip(ax.ticks, ax.texts, label_texts, anchors, strict=True):
            si = float(v) * ax.unit.scale * ax.sign
            ticks.append(
                {
                    "value": float(v) / 10.0**ax.exponent,
                    "text": s,
                    "data_si": si,
                    "px": [px, H - py],
                    "label_box_px": tbox(t),
                }
            )
        return {
            "quantity": kind,
            "title": title,
            "title_text": lab.plain_text(title),
            "unit": ax.unit.symbol,
            "unit_text": ax.unit.text,
            "scale": ax.unit.scale,
            "multiplier": 10.0**ax.exponent,
            "limits": [ax.lo, ax.hi],
            "ticks": ticks,
            "minor_ticks": [float(v) for v in ax.minor],
        }

    xm = axis_meta(x, "potential", titles[0], texts["xtick"], tick_lines["x"])
    xm.update(inverted=style.invert_potential, title_box_px=tbox(texts["xlabel"]), offset_text="")
    ym = axis_meta(
        y,
        "current_density" if "cm" in y.unit.symbol else "current",
        titles[1],
        texts["ytick"],
        tick_lines["y"],
    )
    ym.update(
        negated=style.negate_current,
        title_box_px=tbox(texts["ylabel"]),
        offset_text=lab.plain_text(titles[2]),
        offset_box_px=tbox(texts["offset"]),
    )
    if style.xaxis_at_zero:
        xm["axis_line_points_px"] = [[x0, H - xaxis_y], [x1, H - xaxis_y]]
    title_box = tbox(texts["title"])
    panel_box = tbox(texts["panel"])
    legend_box = None
    if legend is not None:
        bb = legend.get_window_extent(renderer)
        extents.append(bb)
        legend_box = _box_img(bb, H)
    content = Bbox.union(extents)
    axes_box = [x0, H - y1, x1, H - y0]
    content_box = [
        max(0.0, float(content.x0)),
        max(0.0, float(H - content.y1)),
        min(float(W), float(content.x1)),
        min(float(H), float(H - content.y0)),
    ]
    return {
        "image_size": [W, H],
        "axes_box_px": axes_box,
        "axes_quad_px": _quad(axes_box),
        "content_box_px": content_box,
        "content_quad_px": _quad(content_box),
        "legend_box_px": legend_box,
        "legend_quad_px": _quad(legend_box) if legend_box else None,
        "curves": [
            {
                "label": (s.label or None) if legend is not None else None,
                "color": line.get_color(),
                "line_style": line.get_linestyle() if style.draw_mode != "markers" else None,
                "marker": line.get_marker() if style.draw_mode != "line" else None,
                "marker_every": style.marker_every if style.draw_mode != "line" else None,
                "source": s.source,
                "cycle": s.cycle,
                "n_points": int(s.potential.size),
            }
            for s, line in zip(series, lines, strict=True)
        ],
        "x_axis": xm,
        "y_axis": ym,
        "title": style.title,
        "title_box_px": title_box,
        "panel_label": style.panel_label,
        "panel_box_px": panel_box,
        "convention": style.convention,
        "layout": layout,
        "degradations": [],
    }

"""Text the renderer draws: units and their scale, axis titles, tick values and tick labels.

Pure string/number functions; nothing here touches matplotlib.  Every label is produced together
with the number a reader of the figure recovers from it, so the figure and its metadata agree.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import MaxNLocator

from ..errors import ParameterError

__all__ = [
    "AxisText",
    "current_unit",
    "format_ticks",
    "math_safe",
    "minor_tick_values",
    "multiplier_exponent",
    "nice_ticks",
    "offset_text",
    "plain_text",
    "superscript",
]

_PREFIXES = (("", 1.0), ("m", 1e-3), ("µ", 1e-6), ("n", 1e-9), ("p", 1e-12))
_SUPERSCRIPT = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")
_CM2 = 1e-4  # m² per cm²


@dataclass(frozen=True, slots=True)
class AxisText:
    """A unit as drawn: canonical symbol (``"µA"``, ``"mA cm⁻²"``), the text drawn in the axis
    title, and ``scale``: SI value of one displayed unit (A, A/m² or V)."""

    symbol: str
    text: str
    scale: float


def superscript(exponent: int) -> str:
    """``-5`` → ``'⁻⁵'``."""
    return str(int(exponent)).translate(_SUPERSCRIPT)


def current_unit(
    max_abs_si: float, *, mode: str, auto_min: float, density: bool, micro: str, density_format: str
) -> AxisText:
    """The current (or current-density) unit for data whose largest magnitude is ``max_abs_si``
    (A or A/m²).  ``mode`` is a Style.current_unit value; densities are shown per cm²."""
    per = _CM2 if density else 1.0
    if mode == "auto":
        value = max_abs_si * per
        prefix, scale = _PREFIXES[-1]
        for p, s in _PREFIXES:
            if value >= auto_min * s:
                prefix, scale = p, s
                break
    else:
        lookup = {p + "A": (p, s) for p, s in _PREFIXES}
        if mode not in lookup:
            raise ParameterError("current_unit", mode, f"'auto' or one of {sorted(lookup)}")
        prefix, scale = lookup[mode]
    shown = micro if prefix == "µ" else prefix
    if density:
        return AxisText(f"{prefix}A cm⁻²", density_format.format(p=shown), scale / per)
    return AxisText(f"{prefix}A", f"{shown}A", scale)


def potential_unit(symbol: str) -> AxisText:
    return AxisText(symbol, symbol, {"V": 1.0, "mV": 1e-3}[symbol])


def nice_ticks(lo: float, hi: float, nbins: int) -> np.ndarray:
    """Major tick values (1-2-2.5-5 steps, at most ``nbins`` intervals) covering [lo, hi], one beyond
    each end when the ends are not ticks themselves."""
    return MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)


def minor_tick_values(major: np.ndarray, lo: float, hi: float, divisions: int) -> np.ndarray:
    """Minor ticks: each major interval split in ``divisions``, majors excluded, within [lo, hi]."""
    if major.size < 2:
        return np.empty(0)
    step = (major[1] - major[0]) / divisions
    first = math.floor((lo - major[0]) / step) - 1
    last = math.ceil((hi - major[0]) / step) + 1
    k = np.arange(first, last + 1)
    values = major[0] + k * step
    keep = (k % divisions != 0) & (values >= lo - 1e-9 * step) & (values <= hi + 1e-9 * step)
    return values[keep]


def multiplier_exponent(values: np.ndarray) -> int:
    """Power of ten factored out of SI ticks (matplotlib-like offset), 0 when none is needed."""
    big = float(np.max(np.abs(values))) if values.size else 0.0
    if big == 0:
        return 0
    oom = math.floor(math.log10(big))
    return oom if (oom <= -3 or oom >= 4) else 0


def _decimals(values: np.ndarray, step: float) -> int:
    for d in range(0, 12):
        if np.all(np.abs(np.round(values, d) - values) <= 1e-6 * abs(step)):
            return d
    return 12


def _mantissa_decimals(values: np.ndarray) -> int:
    for d in range(1, 6):
        back = np.array([float(f"{v:.{d}e}") for v in values])
        if np.all(np.abs(back - values) <= 1e-6 * np.max(np.abs(values))):
            return d
    return 6


def format_ticks(
    values: np.ndarray,
    *,
    fmt: str = "plain",
    decimal_comma: bool = False,
    unicode_minus: bool = True,
    trim_zeros: bool = False,
) -> list[str]:
    """Tick label strings for ``values`` (already divided by any multiplier).

    ``fmt``: ``plain`` (common decimals, as matplotlib), ``e`` (``2.0e-05``), ``E`` (``2.0E-05``,
    Excel), ``e_short`` (``2.0e-5``).
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return []
    step = float(np.min(np.abs(np.diff(values)))) if values.size > 1 else max(abs(values[0]), 1.0)
    values = np.where(np.abs(values) < 1e-9 * step, 0.0, values)
    if fmt == "plain":
        d = _decimals(values, step)
        texts = [f"{v:.{d}f}" for v in values]
        if trim_zeros and d > 0:
            texts = [t.rstrip("0").rstrip(".") for t in texts]
    elif fmt in ("e", "E", "e_short"):
        d = _mantissa_decimals(values)
        texts = [f"{v:.{d}e}" for v in values]
        if fmt == "E":
            texts = [t.upper() for t in texts]
        elif fmt == "e_short":
            texts = [re.sub(r"e([+-])0*(\d)", r"e\1\2", t).replace("e+", "e") for t in texts]
    else:
        raise ParameterError("current_tick_format", fmt, "one of ['plain', 'e', 'E', 'e_short']")
    texts = ["0" + t[2:] if t.startswith("-0") and float(t.replace(",", ".")) == 0 else t for t in texts]
    if decimal_comma:
        texts = [t.replace(".", ",") for t in texts]
    if unicode_minus:
        texts = [t.replace("-", "−") for t in texts]
    return texts


def offset_text(exponent: int, *, style: str, unicode_minus: bool) -> str:
    """The multiplier drawn above the current axis: ``1e−5`` (plain) or ``$\\times10^{-5}$`` (math)."""
    if style == "math":
        return f"$\\times10^{{{exponent}}}$"
    text = f"1e{exponent}"
    return text.replace("-", "−") if unicode_minus else text


_MATH = (
    (r"\times", "×"),
    (r"\mu", "μ"),
    (r"\cdot", "·"),
    ("^{-1}", "⁻¹"),
    ("^{-2}", "⁻²"),
)


def plain_text(text: str) -> str:
    """What a reader sees in a label that may hold the renderer's few mathtext pieces."""
    if "$" not in text:
        return text
    out = text
    for src, dst in _MATH:
        out = out.replace(src, dst)
    out = re.sub(r"\^\{(-?\d+)\}", lambda m: superscript(int(m[1])), out)
    return out.replace("$", "")


_UNSUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPER_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")


def math_safe(text: str) -> str:
    """A label that mathtext renders with any math font set.

    Text holding ``$...$`` is laid out entirely by mathtext, whose Computer Modern and STIX
    fonts lack Unicode superscripts, Greek μ and a few symbols; write those as mathtext.
    Text without ``$`` is returned unchanged (regular text falls back to DejaVu Sans).
    """
    if text.count("$") < 2:
        return text
    out = _SUPER_RUN.sub(lambda m: "$^{" + m[0].translate(_UNSUPER) + "}$", text)
    for src, dst in (("μ", "$\\mu$"), ("·", "$\\cdot$"), ("−", "$-$"), ("×", "$\\times$")):
        out = out.replace(src, dst)
    return out.replace("$$", "")

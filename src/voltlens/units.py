"""Units of potential and current as people write them, and their SI scale factors.

``parse_unit("µA")`` → ``Unit(quantity="current", symbol="µA", scale=1e-6)``; current densities
("mA cm-2", "mA/cm²", "A m⁻²") carry ``per_area`` with the area's scale to m².  Used by the file
readers, the digitizer and the renderer so every edge agrees on what a label means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .errors import ParameterError

__all__ = ["Unit", "format_si", "parse_unit", "prefix_scale"]

_PREFIX = {"": 1.0, "k": 1e3, "m": 1e-3, "µ": 1e-6, "μ": 1e-6, "u": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15}
_AREA = {"m": 1.0, "cm": 1e-4, "mm": 1e-6}


@dataclass(frozen=True, slots=True)
class Unit:
    quantity: Literal["potential", "current", "current_density", "time", "charge"]
    symbol: str
    scale: float  # multiply a value in this unit by scale to get SI (V, A, A/m², s, C)


def prefix_scale(prefix: str) -> float:
    try:
        return _PREFIX[prefix]
    except KeyError:
        raise ParameterError("prefix", prefix, f"one of {sorted(_PREFIX)}") from None


_DENSITY = re.compile(
    r"^(?P<p>[kmµμun]?)A\s*(?:/\s*(?P<a1>[cm]?m)\s*(?:\^?2|²)|\s*(?:\*|·)?\s*(?P<a2>[cm]?m)\s*(?:\^?-2|⁻²|-²))$"
)
_SIMPLE = re.compile(r"^(?P<p>[kmµμunpf]?)(?P<u>V|A|s|C)$")


def parse_unit(text: str) -> Unit:
    """Parse a unit string such as ``V``, ``mV``, ``µA``, ``uA``, ``mA cm-2``, ``A/m^2``, ``ms``."""
    raw = text.strip().strip("[]()")
    cleaned = raw.replace("−", "-").replace("–", "-").replace(" ", "")
    cleaned = cleaned.replace("μ", "µ")
    m = _SIMPLE.match(cleaned)
    if m:
        quantity = {"V": "potential", "A": "current", "s": "time", "C": "charge"}[m["u"]]
        return Unit(quantity, raw, _PREFIX[m["p"]])  # type: ignore[arg-type]
    m = _DENSITY.match(cleaned)
    if m:
        area = m["a1"] or m["a2"]
        return Unit("current_density", raw, _PREFIX[m["p"]] / _AREA[area])
    raise ParameterError(
        "unit", text, "a potential (V, mV), current (A, mA, µA, nA) or current density (mA cm-2)"
    )


def format_si(value: float, unit: str, *, digits: int = 3) -> str:
    """``format_si(1.2e-5, "A")`` → ``'12 µA'``: a value with an engineering prefix."""
    if value == 0 or not (abs(value) < float("inf")):
        return f"{value:.{digits}g} {unit}"
    for prefix, scale in (("", 1.0), ("m", 1e-3), ("µ", 1e-6), ("n", 1e-9), ("p", 1e-12)):
        if abs(value) >= scale * 0.9995:
            return f"{value / scale:.{digits}g} {prefix}{unit}"
    return f"{value:.{digits}g} {unit}"

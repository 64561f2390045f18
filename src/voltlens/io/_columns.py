"""Column headers as instruments and people write them: name, unit, reference, role.

``split_header("E [mV]")`` → ``Header(name="E", unit="mV", reference=None)``;
``role_of(header)`` says whether a column is the potential, the current, a current density,
the time or the cycle number, preferring the measured quantity over control or counter signals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..errors import ParameterError
from ..units import Unit, parse_unit

__all__ = [
    "Header",
    "Role",
    "choose_columns",
    "parse_unit_or_none",
    "role_of",
    "split_header",
    "split_reference",
]

Role = Literal["potential", "current", "density", "time", "cycle", "other"]


@dataclass(frozen=True, slots=True)
class Header:
    name: str  # the quantity's name as written (unit and reference removed)
    unit: str | None  # the unit text as written, e.g. "mV", "µA", "mA cm-2"
    reference: str | None  # "vs. <electrode>" found in the header, if any
    raw: str


def parse_unit_or_none(text: str | None) -> Unit | None:
    """``parse_unit`` that answers None instead of raising, with a few spellings added (uA, μA, A/cm²)."""
    if text is None:
        return None
    t = text.strip().replace("μ", "µ")
    if not t:
        return None
    if t.lower() in _TIME_UNITS:
        return Unit("time", t, _TIME_UNITS[t.lower()])
    t = re.sub(r"\s*/\s*", "/", t)
    t = t.replace("cm^-2", "cm-2").replace("cm⁻²", "cm-2").replace("cm2", "cm²").replace("m2", "m²")
    for candidate in (t, t.replace("²", "^2"), t.replace("cm²", "cm-2").replace("/", " ")):
        try:
            return parse_unit(candidate)
        except ParameterError:
            continue
    return None


_TIME_UNITS = {"sec": 1.0, "secs": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}
_VS = re.compile(r"\s*\bvs\.?\s*(?P<ref>.+)$", re.IGNORECASE)


def split_reference(text: str) -> tuple[str, str | None]:
    """``"V vs. Ag/AgCl"`` → ``("V", "Ag/AgCl")``; text without "vs" comes back unchanged."""
    m = _VS.search(text)
    if not m:
        return text.strip(), None
    ref = m["ref"].strip().strip("()[]").strip()
    return text[: m.start()].strip(), (ref or None)


def split_header(raw: str) -> Header:
    """Split a column header into quantity name, unit and reference electrode.

    Handles ``Potential/V``, ``E [mV]``, ``I (A)``, ``j / mA cm-2``, ``<I>/mA``, ``WE(1).Current (A)``,
    ``E vs. SCE / V``, ``Potential (V vs Ag/AgCl)``, ``potential_V`` and bare names.
    """
    text = raw.strip().strip('"').strip("'").strip()
    m = re.match(r"^(?P<name>[A-Za-z]+)\(i/(?P<unit>[A-Za-zµμ]{1,2})\)$", text)  # CHI "Diff(i/A)"
    if m:
        return Header(f"{m['name']}(i)", m["unit"], None, raw)
    # "name [unit]" or "name (unit)" at the end
    m = re.match(r"^(?P<name>.*?)\s*[\[(](?P<unit>[^\[\]()]*)[\])]\s*$", text)
    if m and m["name"]:
        unit, ref = split_reference(m["unit"])
        if parse_unit_or_none(unit) is not None:
            name, ref2 = split_reference(m["name"])
            return Header(name.strip(), unit, ref or ref2, raw)
    # "name / unit": the first '/' whose right side is a unit
    for idx in [i for i, ch in enumerate(text) if ch == "/"]:
        left, right = text[:idx], text[idx + 1 :]
        unit, ref = split_reference(right)
        if left.strip() and parse_unit_or_none(unit) is not None:
            name, ref2 = split_reference(left)
            return Header(name.strip(), unit.strip(), ref or ref2, raw)
    # "name_unit" (voltlens CSV and similar)
    m = re.match(r"^(?P<name>[A-Za-z][A-Za-z ]*?)_(?P<unit>[A-Za-zµμ]{1,3})$", text)
    if m and parse_unit_or_none(m["unit"]) is not None:
        return Header(m["name"], m["unit"], None, raw)
    if text == "current_density_A_per_m2":
        return Header("current_density", "A/m²", None, raw)
    name, ref = split_reference(text)
    return Header(name, None, ref, raw)


_POTENTIAL_NAMES = (
    "ewe",
    "<ewe>",
    "e",
    "u",
    "v",
    "vf",
    "potential",
    "voltage",
    "we(1).potential",
    "e_we",
    "e we",
    "vstep",
    "e step",
    "estep",
)
_POTENTIAL_AVOID = (
    "control",
    "ece",
    "ewe-ece",
    "vu",
    "sig",
    "ach",
    "|ewe|",
    "ecell",
    "e cell",
    "vrev",
    "vfwd",
)
_CURRENT_NAMES = (
    "<i>",
    "i",
    "im",
    "current",
    "we(1).current",
    "i_we",
    "idif",
    "i dif",
    "idiff",
    "i delta",
    "diff(i)",
    "delta i",
    "net current",
    "inet",
)
_CURRENT_AVOID = (
    "|i|",
    "i range",
    "idc",
    "iac",
    "ifwd",
    "irev",
    "ich",
    "for(i)",
    "rev(i)",
    "forward",
    "reverse",
)
_DENSITY_NAMES = ("j", "current density", "current_density", "jwe")
_TIME_NAMES = ("t", "time", "time/s", "elapsed time", "t_s", "time_s")
_CYCLE_NAMES = ("cycle", "cycle number", "cycle_number", "scan", "cycle no", "cycle no.", "scan number")


def role_of(header: Header) -> tuple[Role, int]:
    """(role, preference): a higher preference wins when several columns share a role."""
    name = header.name.strip().lower()
    unit = parse_unit_or_none(header.unit)
    if unit is None and header.unit is not None and name in _CYCLE_NAMES:
        return "cycle", 1
    if unit is not None:
        quantity = unit.quantity
        if quantity == "potential":
            return "potential", _preference(name, _POTENTIAL_NAMES, _POTENTIAL_AVOID)
        if quantity == "current":
            return "current", _preference(name, _CURRENT_NAMES, _CURRENT_AVOID)
        if quantity == "current_density":
            return "density", 2
        if quantity == "time":
            return ("time", 2) if name in _TIME_NAMES or "time" in name else ("other", 0)
        return "other", 0
    if name in _CYCLE_NAMES:
        return "cycle", 2
    if name in _TIME_NAMES:
        return "time", 1
    if name in _DENSITY_NAMES:
        return "density", 1
    if name in _POTENTIAL_NAMES and not any(a == name for a in _POTENTIAL_AVOID):
        return "potential", 1
    if name in _CURRENT_NAMES:
        return "current", 1
    return "other", 0


def _preference(name: str, good: tuple[str, ...], avoid: tuple[str, ...]) -> int:
    if any(name == a or name.startswith(a) for a in avoid):
        return 1
    if name in good:
        return 4
    if any(g in name for g in ("potential", "current", "ewe", "<i>")):
        return 3
    return 2


def choose_columns(headers: list[Header]) -> dict[Role, int]:
    """Column index for each role found (the best-preferred, then the leftmost)."""
    best: dict[Role, tuple[int, int]] = {}
    for idx, header in enumerate(headers):
        role, pref = role_of(header)
        if role == "other" or pref <= 0:
            continue
        if role not in best or pref > best[role][0]:
            best[role] = (pref, idx)
    return {role: idx for role, (pref, idx) in best.items()}

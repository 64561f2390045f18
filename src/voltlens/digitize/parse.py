"""What the text of a plot says: tick values, multipliers, units, reference electrodes.

OCR output is normalised first (the many minus signs, ``μ``/``µ``/``u``, ``O`` for ``0``, ``,``
for a decimal point, superscript exponents), then matched against the few forms tick labels and
axis titles take.  Functions return ``None`` rather than guess when the text does not fit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import ParameterError
from ..units import Unit, parse_unit

__all__ = [
    "AxisTitle",
    "TickText",
    "parse_current_title",
    "parse_multiplier",
    "parse_potential_title",
    "parse_tick",
]

_MINUS = "−–—‐‑‒一ー﹣－⁻"
_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_NUMERIC_FIX = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1", "!": "1", "i": "1"}
)


@dataclass(frozen=True, slots=True)
class TickText:
    """A tick label read as a number: ``kind`` is ``plain`` (0.25), ``sci`` (2.5e-05) or ``power``
    (10⁻³, a logarithmic axis); ``signed`` says whether a minus sign was read."""

    value: float
    text: str
    kind: str
    signed: bool


def _normalise(text: str) -> str:
    t = text.strip()
    for m in _MINUS:
        t = t.replace(m, "-")
    t = t.replace("^", "").replace("{", "").replace("}", "").replace("$", "")
    t = re.sub(r"\s+", "", t)
    return t


def parse_tick(text: str) -> TickText | None:
    """A tick label's number, or None when the text is not a number."""
    raw = text
    m = re.fullmatch(r"\s*(?:([-+]?\d+(?:[.,]\d+)?)\s*[x×]\s*)?10([⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)\s*", text)
    if m:  # 10² or 2×10⁻³ with superscript digits: a power of ten (logarithmic axes)
        exp = int(m[2].translate(_SUPER))
        if not m[1]:
            return TickText(10.0**exp, raw, "power", False)
        return TickText(float(f"{m[1].replace(',', '.')}e{exp}"), raw, "sci", m[1].startswith("-"))
    t = _normalise(text).translate(_SUPER)
    t = t.replace("×", "x").replace("*", "x").replace("X", "x")
    t = t.strip(".'`\"_:;")
    if not t:
        return None
    # the exponent's "e" read as "c" or "é" (small text): 2.0c-04
    t = re.sub(r"(?<=\d)[cCéè](?=[-+]?\d{1,3}$)", "e", t)
    # O/o/l/I misread as digits, only inside numbers
    if re.fullmatch(r"[-+]?[0-9OoDQlI|!i.,]+([eE][-+]?[0-9OolI]+)?", t):
        head, _, tail = t.partition("e") if "e" in t else t.partition("E")
        t = head.translate(_NUMERIC_FIX) + (("e" + tail.translate(_NUMERIC_FIX)) if tail else "")
    t = t.replace(",", ".")
    if t.count(".") > 1:
        return None
    signed = t.startswith("-")
    # tick labels never carry leading zeros: "-025" is "-0.25" with its decimal point lost to OCR
    t = re.sub(r"^([-+]?0)(\d+)$", r"\1.\2", t)
    m = re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", t)
    if m:
        return TickText(float(t), raw, "plain", signed)
    m = re.fullmatch(r"([-+]?(?:\d+\.?\d*|\.\d+))[eE]([-+]?\d{1,3})", t)
    if m:
        return TickText(float(f"{m[1]}e{m[2]}"), raw, "sci", signed)
    m = re.fullmatch(r"(?:([-+]?\d+\.?\d*)x)?10([-+]\d{1,2})", t)
    if m:
        mant = float(m[1]) if m[1] else 1.0
        return TickText(mant * 10.0 ** int(m[2]), raw, "power", mant < 0)
    m = re.fullmatch(r"([-+]?\d+\.?\d*)x10(\d{1,2})", t)
    if m:  # a lost superscript minus: "2x105" (10⁻⁵) — sign unknown, kept positive, marked
        return TickText(float(m[1]) * 10.0 ** int(m[2]), raw, "power", signed)
    return None


def parse_multiplier(text: str) -> tuple[int, bool] | None:
    """Exponent of an offset text (``1e−5``, ``×10⁻⁵``, ``10⁻⁵``) and whether its sign was read.

    Returns None when the text is not a multiplier.
    """
    t = _normalise(text).translate(_SUPER).replace("×", "x").replace("X", "x").replace("*", "x")
    t = t.strip(".'`\"")
    # "1e−5" with its thin "1" lost to OCR or cut off the crop ("e−5"): the exponent is whole
    m = re.fullmatch(r"\+?[1lI|]?[eE]([-+]?)(\d{1,2})", t)
    if not m:
        m = re.fullmatch(r"x?10([-+]?)(\d{1,2})", t)
    if not m:
        return None
    sign = -1 if m[1] == "-" else 1
    return sign * int(m[2]), bool(m[1])


@dataclass(frozen=True, slots=True)
class AxisTitle:
    """An axis title as understood: the unit (None when unreadable), a multiplier written inside the
    title (``I / 10⁻⁵ A``), the reference electrode named after "vs", and the text as read."""

    text: str
    unit: Unit | None
    multiplier_exponent: int | None = None
    reference: str | None = None
    prefix_guessed: bool = False  # an unreadable mark before "A" was taken as µ
    multiplier_unread: bool = False  # "10" and a power too small to read ("10-° A")


_REFERENCES = (
    ("Ag/AgCl", r"ag\s*/?\s*agc[l1i|]"),
    ("Ag/Ag+", r"ag\s*/\s*ag\s*\+"),
    ("Fc/Fc+", r"fc\s*/\s*fc\s*\+?"),
    ("Hg/HgO", r"hg\s*/\s*hgo"),
    ("Hg/Hg2SO4", r"hg\s*/\s*hg2so4"),
    ("SCE", r"\bsce\b"),
    ("RHE", r"\brhe\b"),
    ("SHE", r"\bshe\b"),
    ("NHE", r"\bnhe\b"),
    ("MSE", r"\bmse\b"),
)


def _reference(text: str) -> str | None:
    m = re.search(r"\b(?:vs\.?|versus)\s*(.+)", text, flags=re.IGNORECASE)
    if not m:
        return None
    rest = m[1]
    low = rest.lower()
    for name, pattern in _REFERENCES:
        if re.search(pattern, low):
            return name
    token = re.split(r"[)\]]|\s/\s|\(", rest)[0].strip(" .,;")
    return token or None


def _clean_title(text: str) -> str:
    t = text.replace("μ", "µ").replace("\\mu", "µ").replace("$", "")
    t = t.replace("{", "").replace("}", "").replace("^", "")
    for m in _MINUS:
        t = t.replace(m, "-")
    return t


def parse_potential_title(text: str) -> AxisTitle:
    """Unit (V or mV) and reference electrode of a potential axis title."""
    t = _clean_title(text)
    ref = _reference(t)
    # the slash of "E/V" read as I, l or | ("EIV", "E lmV"): a lone symbol, a bar, then the unit
    # …and brackets read so too ("EIVI" for "E [V]")
    t = re.sub(r"^(\s*(?:[EU](?:we)?|[Pp]otential|[Vv]oltage)\s*)[Il|](\s*m?V)(?:\b|[Il|]\s*$)", r"\1/\2", t)
    core = re.split(r"\b(?:vs\.?|versus)\b", t, flags=re.IGNORECASE)[0] + " " + _unit_zone(t)
    unit = None
    # "mV" closing the title after a letter: its slash or bracket misread ("PotentiaymV")
    if re.search(r"(?<![A-Za-z])(m\s*[vV]|mi[vV]|rn[vV])(?![a-z])", core) or re.search(r"[a-z]mV\W*$", t):
        unit = parse_unit("mV")
    elif re.search(r"(?<![A-Za-z])[vV](?![a-z])", core):
        unit = parse_unit("V")
    return AxisTitle(text, unit, None, ref)


def _unit_zone(t: str) -> str:
    """The part of a title that holds the unit: the last bracket, or what follows a slash."""
    # a bracket left open at the end (OCR lost the closing one: "WE(1).Current (µA") holds it
    opened = re.search(r"[(\[]([^()\[\]]*)$", t)
    if opened and opened[1].strip():
        return opened[1]
    br = re.findall(r"[(\[]([^()\[\]]*)[)\]]", t)
    if br:
        return br[-1]
    if "/" in t:
        return t.split("/", 1)[1]
    return t


_PREFIX_FIX = {"u": "µ", "µ": "µ", "μ": "µ", "m": "m", "n": "n", "p": "p", "k": "k", "": ""}


def parse_current_title(text: str) -> AxisTitle:
    """Unit (A, mA, µA, …, or a current density) and in-title multiplier of a current axis title."""
    t = _clean_title(text)
    # both brackets read as strokes ("Curent IpAl" for "Current [µA]"): brackets again
    t = re.sub(r"(^|\s)[Il|1]\s*([kmµunp]?A)\s*[Il|1\])]\s*$", r"\1(\2)", t)
    zone = _unit_zone(t) if ("(" in t or "[" in t or "/" in t) else t
    lost = re.search(r"([kmµunp]?A(?:\s*/?\s*cm-?2|\s*cm²)?)\s*[)\]]\s*$", t)
    if lost and "(" not in t and "[" not in t:  # the opening bracket lost to OCR: "I (uA)" → "HuA)"
        zone = lost[1]
    exponent = None
    m = re.search(r"(?:x|×)?\s*10\s*([-+]?)\s*([0-9⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)\s*(?=[kmµunp]?A)", zone.translate(_SUPER))
    if m:
        digits = m[2].translate(_SUPER).lstrip("-")
        if digits.isdigit():
            # a current written as "10⁻⁵ A": the power is negative even when OCR lost its minus
            exponent = -int(digits)
        zone = zone[: m.start()] + zone[m.end() :]
    unread = False
    if exponent is None:
        g = re.search(r"(?:x|×)?\s*10\s*[-+]?\s*[^\sA-Za-z0-9()\[\]/]+\s*(?=[kmµunp]?A)", zone)
        if g:  # a power of ten whose digits did not survive OCR: the scale is unknown
            unread = True
            zone = zone[: g.start()] + " " + zone[g.end() :]
    z = zone.strip()
    # a prefixed ampere in lower case at the end of its bracket ("(μa)"): no word ends so
    z = re.sub(r"([µμ])a(?=\s*[)\]]?\s*$)", r"\1A", z)
    # the current unit: the last "A" that is not part of a word, with its prefix
    hits = [
        j
        for j, ch in enumerate(z)
        if ch == "A" and not (j + 1 < len(z) and z[j + 1] in "abdefghijklnopqrstuvwxyz")
    ]
    if not hits:
        return AxisTitle(text, None, exponent, None)
    j = hits[-1]
    before = z[j - 1] if j > 0 else " "
    guessed = False
    # µ is in no word: it is the prefix whatever stands before it (a slash read as "i": "<l>iμA")
    if before in "µμ" or (before in "kmunp" and (j < 2 or not z[j - 2].isalpha())):
        prefix = _PREFIX_FIX.get(before, before)
    elif before in " ([/" or j == 0:
        prefix = ""
    elif before.isalpha() and before not in "HhyYjJ":
        return AxisTitle(text, None, exponent, None)  # "A" inside a word
    else:
        prefix, guessed = "µ", True  # OCR misreads µ (H, y, `, ¿, ...): an odd mark before A
    after = z[j + 1 :].replace(" ", "")
    density = re.match(r"[·*/]?c?m(?:-?2|²|⁻²|\^-?2)?", after)
    try:
        if density and "cm" in after[:4]:
            unit = parse_unit(f"{prefix}A/cm²")
        elif density and after.startswith(("/m", "m-2", "m²", "m⁻²")):
            unit = parse_unit(f"{prefix}A/m²")
        else:
            unit = parse_unit(f"{prefix}A")
    except ParameterError:
        unit = None
    return AxisTitle(text, unit, exponent, None, guessed, unread)


def is_nice_step(step: float) -> bool:
    """True for steps of 1, 2, 2.5 or 5 × 10ⁿ (how axis ticks are spaced)."""
    if not (step > 0 and math.isfinite(step)):
        return False
    e = math.floor(math.log10(step))
    m = step / 10.0**e
    return any(abs(m - n) < 1e-6 * n for n in (1.0, 2.0, 2.5, 5.0, 10.0))

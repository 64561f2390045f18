"""Tolerant reading of a model's answer: JSON first, then free text guided by the answer schema.

:func:`parse_response` is what the runner calls on every raw answer:

1. :func:`voltlens.vlm.parse.parse_answer` extracts JSON; JSON that breaks the schema only in
   form (a bare number where a quantity is expected, ``"450 mV"`` as a string, ``"oxidation"`` for
   ``"anodic"``, ``"yes"`` for ``true``) is coerced and checked again;
2. without JSON, :func:`parse_free_text` reads prose: numbers with units and SI prefixes
   (``0.45 V``, ``450 mV``, ``-1.2e-5 A``, ``12 µA``, ``3 × 10^-6 A``), words for enumerations
   (oxidation/anodic, reduction/cathodic, reversible, quasi-reversible, irreversible, yes/no),
   counts (``two peaks`` → 2), lists of peaks or numbers, curve names among the figure's legends;
3. refusals are ``refusal``, text with nothing usable ``unparseable``.  Never raises.

A quantity whose unit is not stated gets ``"unit": ""``: the scorer reads it in the unit of the
truth.  Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from ..vlm.parse import _REFUSAL, ParsedAnswer, parse_answer
from ..vlm.schema import ANALYSIS_REF, schema_problems

__all__ = [
    "ParsedAnswer",
    "convert",
    "find_quantities",
    "parse_free_text",
    "parse_response",
    "unit_factor",
]

# ----------------------------------------------------------------------------------------------
# units

_PREFIX = {"": 1.0, "k": 1e3, "m": 1e-3, "µ": 1e-6, "μ": 1e-6, "u": 1e-6, "n": 1e-9, "p": 1e-12}
_BASE = {"V": "V", "A": "A", "M": "M", "s": "s"}


def _simple_unit(text: str) -> tuple[str, float] | None:
    t = text.strip()
    if t in ("", "1", "-"):
        return "1", 1.0
    if t == "%":
        return "1", 0.01
    if t in ("mol/m3", "mol/m^3", "mol m-3", "mol/m³"):
        return "M", 1e-3
    if t in ("mol/L", "mol/l", "mol L-1", "mol dm-3"):
        return "M", 1.0
    if t in ("V/s", "Vs-1"):
        return "V/s", 1.0
    if len(t) >= 1 and t[-1] in _BASE:
        prefix = t[:-1]
        if prefix in _PREFIX:
            return _BASE[t[-1]], _PREFIX[prefix]
    return None


def unit_factor(unit: str | None) -> tuple[str, float] | None:
    """``"mV"`` → ``("V", 1e-3)``, ``"µA/mM"`` → ``("A/M", 1e-3)``, ``"1"``/``""`` → ``("1", 1)``;
    ``None`` for a unit it does not know."""
    text = (unit or "").strip().replace("μ", "µ").replace(" ", "")
    simple = _simple_unit(text)
    if simple is not None or "/" not in text:
        return simple
    num, _, den = text.partition("/")
    a, b = _simple_unit(num), _simple_unit(den)
    if a is None or b is None:
        return None
    return f"{a[0]}/{b[0]}", a[1] / b[1]


def convert(value: float, unit: str | None, to: str | None) -> float | None:
    """``value`` in ``unit`` expressed in ``to``; an empty ``unit`` means ``to`` already;
    ``None`` when the dimensions differ or a unit is unknown."""
    if not (unit or "").strip() or (unit or "").strip() == (to or "").strip():
        return value
    a, b = unit_factor(unit), unit_factor(to)
    if a is None or b is None or a[0] != b[0]:
        return None
    return value * a[1] / b[1]


# ----------------------------------------------------------------------------------------------
# numbers in text

_NUM = r"[-+−–]?(?:\d+(?:[.,]\d+)?|\.\d+)(?:\s*[eE][-+−–]?\d+|\s*[×x·*]\s*10\s*\^?\s*\(?[-+−–]?\d+\)?)?"
_UNIT = r"(?:[kmµμunp]?(?:V|A)(?:\s*(?:/|per)\s*[mµμun]?M)?(?:\s*/\s*s)?|[mµμun]?M|mol\s*/\s*(?:L|m3|m\^3)|%)"
_QUANTITY = re.compile(rf"(?<![\w.^])(?P<num>{_NUM})(?:\s*(?P<unit>{_UNIT})(?![A-Za-z]))?")
_WORDS = {
    "zero": 0,
    "no": 0,
    "none": 0,
    "one": 1,
    "a single": 1,
    "single": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "both": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}


def _number(text: str) -> float | None:
    t = text.replace("−", "-").replace("–", "-").replace(" ", "")
    m = re.match(r"^([-+]?[\d.,]+)(?:[×x·*]10\^?\(?([-+]?\d+)\)?)?$", t)
    try:
        if m and m.group(2) is not None:
            return float(m.group(1).replace(",", ".")) * 10.0 ** int(m.group(2))
        return float(t.replace(",", "."))
    except ValueError:
        return None


def find_quantities(text: str) -> list[tuple[int, float, str]]:
    """Every number in ``text`` with its unit (``""`` when none): (position, value, unit)."""
    out = []
    for m in _QUANTITY.finditer(text):
        value = _number(m["num"])
        if value is None or not math.isfinite(value):
            continue
        unit = re.sub(r"\s+", "", (m["unit"] or "").replace("per", "/")).replace("μ", "µ")
        out.append((m.start(), value, unit))
    return out


# ----------------------------------------------------------------------------------------------
# vocabulary

SYNONYMS: dict[str, tuple[str, ...]] = {
    "anodic": ("anodic", "oxidation", "oxidative", "oxidising", "oxidizing"),
    "cathodic": ("cathodic", "reduction", "reductive", "reducing"),
    "reversible": ("reversible", "nernstian", "fully reversible"),
    "quasi-reversible": ("quasi-reversible", "quasireversible", "quasi reversible", "quasi"),
    "irreversible": ("irreversible", "totally irreversible"),
    "diffusion": ("diffusion", "diffusion-controlled", "diffusion controlled", "freely diffusing", "randles"),
    "adsorption": (
        "adsorption",
        "adsorption-controlled",
        "adsorbed",
        "surface-confined",
        "surface confined",
        "surface-bound",
        "surface bound",
    ),
    "increases": ("increases", "increase", "increasing", "rises", "grows", "proportional", "linearly"),
    "decreases": ("decreases", "decrease", "decreasing", "falls", "drops"),
    "constant": ("constant", "unchanged", "independent", "does not change"),
    "EC": ("EC", "E C", "EC mechanism", "following chemical", "chemical step"),
    "EE": ("EE", "two successive", "two-step electron", "stepwise"),
    "adsorbed": ("adsorbed", "adsorption", "surface-confined", "surface confined", "surface-bound"),
    "CV": ("CV", "cyclic voltammo"),
    "LSV": ("LSV", "linear sweep", "linear-sweep"),
    "DPV": ("DPV", "differential pulse", "differential-pulse"),
    "SWV": ("SWV", "square wave", "square-wave"),
}
_CASE_SENSITIVE = {"EC", "EE", "E C", "CV", "LSV", "DPV", "SWV"}

ANOMALY_WORDS: dict[str, tuple[str, ...]] = {
    "noise": ("noise", "noisy"),
    "spikes": ("spike", "spikes", "glitch"),
    "clipping": ("clipping", "clipped", "saturat"),
    "quantisation": ("quantisation", "quantization", "quantised", "quantized", "step-like"),
    "ir_distortion": ("ir_distortion", "ir drop", "ir distortion", "ohmic", "uncompensated resistance"),
    "drift": ("drift", "drifting"),
    "fouling": ("fouling", "fouled", "passivat"),
    "reference_drift": ("reference_drift", "reference drift", "reference electrode drift", "reference shift"),
    "background": ("background", "sloping baseline"),
    "charging": ("charging", "capacitive", "double-layer", "double layer"),
}

KEYWORDS: dict[str, tuple[str, ...]] = {
    "E_half": (
        "e½",
        "e1/2",
        "e_1/2",
        "e 1/2",
        "e_half",
        "half-wave",
        "half wave",
        "formal potential",
        "midpoint",
    ),
    "delta_Ep": (
        "δep",
        "Δep",
        "delta ep",
        "delta_ep",
        "deltaep",
        "peak separation",
        "peak-to-peak",
        "separation",
    ),
    "current_ratio": ("ipa/ipc", "ratio"),
    "log_log_slope": ("slope",),
    "sensitivity": ("sensitivity",),
    "concentration": ("concentration", "c ≈", "c =", "c≈", "c="),
    "lod": ("lod", "limit of detection", "detection limit"),
    "current": ("current",),
    "potential": ("potential",),
}
DIMENSION = {
    "E_half": "V",
    "delta_Ep": "V",
    "potential": "V",
    "current": "A",
    "current_ratio": "1",
    "log_log_slope": "1",
    "sensitivity": "A/M",
    "concentration": "M",
    "lod": "M",
}


def _word_pattern(word: str) -> re.Pattern[str]:
    flags = 0 if word in _CASE_SENSITIVE else re.IGNORECASE
    body = re.escape(word).replace(r"\ ", r"[\s-]+")
    tail = "" if word.endswith(("voltammo", "saturat", "passivat", "quasi")) else r"(?![\w-])"
    return re.compile(rf"(?<![\w-]){body}{tail}", flags)


def _find_words(text: str, vocab: dict[str, Sequence[str]]) -> list[tuple[int, str]]:
    """Occurrences (position, key) of any word of ``vocab``; a match inside a longer one is dropped."""
    spans: list[tuple[int, int, str]] = []
    for key, words in vocab.items():
        for w in words:
            spans += [(m.start(), m.end(), key) for m in _word_pattern(w).finditer(text)]
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[tuple[int, str]] = []
    end = -1
    for s, e, key in spans:
        if s >= end:
            out.append((s, key))
            end = e
        elif e > end:  # overlapping but not contained: keep the first
            continue
    return out


# ----------------------------------------------------------------------------------------------
# schema helpers


def _is_quantity(schema: dict[str, Any]) -> bool:
    props = schema.get("properties") or {}
    return "value" in props and "unit" in props


def _types(schema: dict[str, Any]) -> list[str]:
    t = schema.get("type")
    return [] if t is None else ([t] if isinstance(t, str) else list(t))


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "uncertainty": None}


def _sentence_end(text: str, start: int) -> int:
    m = re.compile(r"(?<!\d)\.(?!\d)|[;\n]").search(text, start)
    return len(text) if m is None else m.start()


def _strip_parentheses(text: str) -> str:
    """Parenthetical asides replaced by spaces (positions kept): they hold side numbers."""
    out, depth = [], 0
    for ch in text:
        if ch in "([":
            depth += 1
        if depth:
            out.append(" ")
        else:
            out.append(ch)
        if ch in ")]" and depth:
            depth -= 1
    return "".join(out)


def _fits(unit: str, dim: str | None) -> bool:
    if dim is None:
        return True
    f = unit_factor(unit)
    return unit == "" or (f is not None and f[0] == dim)


def _keyword_positions(text: str, name: str) -> list[int]:
    low = text.lower()
    out = []
    for kw in KEYWORDS.get(name, (name.lower().replace("_", " "),)):
        start = 0
        while (k := low.find(kw.lower(), start)) >= 0:
            out.append(k + len(kw))
            start = k + 1
    return sorted(out)


def _pick_quantity(text: str, name: str, *, alone: bool) -> dict[str, Any] | None:
    dim = DIMENSION.get(name)
    plain = _strip_parentheses(text)
    found = [q for q in find_quantities(plain) if _fits(q[2], dim)]
    if dim not in (None, "1"):
        with_unit = [q for q in found if q[2]]
        found = with_unit or found
    if not found:
        return None
    for pos in _keyword_positions(plain, name):
        end = _sentence_end(plain, pos)
        after = [q for q in found if pos <= q[0] < end]
        if after:
            return _quantity(after[0][1], after[0][2])
    if alone:
        return _quantity(found[0][1], found[0][2])
    return None


def _count(text: str, nouns: Sequence[str]) -> int | None:
    words = "|".join(sorted((re.escape(w) for w in _WORDS), key=len, reverse=True))
    noun = "|".join(nouns)
    m = re.search(rf"(?<![\w.])(\d+|{words})\s+(?:[\w-]+\s+){{0,2}}?(?:{noun})", text, re.IGNORECASE)
    if not m:
        return None
    token = m.group(1).lower()
    return int(token) if token.isdigit() else _WORDS.get(token)


COUNT_NOUNS = {
    "n_peaks": ("peaks?", "maxima"),
    "anodic": ("anodic", "oxidation"),
    "cathodic": ("cathodic", "reduction"),
}


def _boolean(text: str) -> bool | None:
    vocab = {
        "false": (
            "no",
            "false",
            "not",
            "cannot",
            "can't",
            "untrustworthy",
            "unreliable",
            "should not",
            "shouldn't",
        ),
        "true": ("yes", "true", "trustworthy", "reliable", "can be trusted", "trusted"),
    }
    found = _find_words(text, vocab)
    return None if not found else found[0][1] == "true"


def _enum(text: str, values: Sequence[str]) -> str | None:
    vocab = {v: (*SYNONYMS.get(v, ()), v) for v in values}
    found = _find_words(text, vocab)
    return found[0][1] if found else None


def _choice_positions(text: str, choices: Sequence[str]) -> list[tuple[int, str]]:
    spans = []
    for c in choices:
        if c:
            pat = re.compile(rf"(?<![\w.]){re.escape(c)}(?![\w.])", re.IGNORECASE)
            spans += [(m.start(), m.end(), c) for m in pat.finditer(text)]
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out, end = [], -1
    for s, e, c in spans:
        if s >= end:
            out.append((s, c))
            end = e
    return out


def _anomalies(text: str) -> list[str] | None:
    found = _find_words(text, ANOMALY_WORDS)
    kinds = list(dict.fromkeys(k for _, k in found))
    if kinds:
        return sorted(kinds)
    if re.search(r"\b(no|none|clean|without)\b", text, re.IGNORECASE):
        return []
    return None


def _peaks(text: str, item_schema: dict[str, Any]) -> list[dict[str, Any]]:
    props = item_schema.get("properties") or {}
    marks = _find_words(text, {"anodic": SYNONYMS["anodic"], "cathodic": SYNONYMS["cathodic"]})
    out = []
    for k, (pos, direction) in enumerate(marks):
        end = marks[k + 1][0] if k + 1 < len(marks) else len(text)
        clause = text[pos:end]
        qs = find_quantities(clause)
        pot = next((q for q in qs if q[2] and _fits(q[2], "V")), None)
        if pot is None:  # "0.45 V, anodic": the numbers may come just before the direction word
            lo = marks[k - 1][0] if k else 0
            start = (
                max(text.rfind(";", lo, pos), text.rfind("\n", lo, pos), text.rfind(",", lo, pos - 2), lo) + 1
            )
            qs = find_quantities(text[start:pos])
            pot = next((q for q in qs if q[2] and _fits(q[2], "V")), None)
        if pot is None:
            continue
        peak: dict[str, Any] = {"direction": direction, "potential": _quantity(pot[1], pot[2])}
        if "current" in props:
            cur = next((q for q in qs if q[2] and _fits(q[2], "A")), None)
            if cur is not None:
                peak["current"] = _quantity(cur[1], cur[2])
        out.append(peak)
    return out


def _segments(text: str) -> list[str]:
    return [s for s in re.split(r"[;\n]|(?<=[.])\s+(?=[A-Z])", text) if s.strip()]


def _free_object(text: str, schema: dict[str, Any], choices: Sequence[str], *, top: bool) -> dict[str, Any]:
    props: dict[str, Any] = schema.get("properties") or {}
    quantities = [k for k, s in props.items() if _is_quantity(s)]
    out: dict[str, Any] = {}
    for name, sub in props.items():
        value = _free_value(text, name, sub, choices, alone=len(quantities) == 1)
        if value is not None:
            out[name] = value
    if top and {"n_peaks", "anodic", "cathodic"} <= set(props):
        if "n_peaks" not in out and "anodic" in out and "cathodic" in out:
            out["n_peaks"] = out["anodic"] + out["cathodic"]
        if out.get("n_peaks") == 0:
            out.setdefault("anodic", 0)
            out.setdefault("cathodic", 0)
        if "n_peaks" in out and "anodic" in out and "cathodic" not in out:
            out["cathodic"] = out["n_peaks"] - out["anodic"]
        if "n_peaks" in out and "cathodic" in out and "anodic" not in out:
            out["anodic"] = out["n_peaks"] - out["cathodic"]
    return out


def _free_value(text: str, name: str, sub: dict[str, Any], choices: Sequence[str], *, alone: bool) -> Any:
    types = _types(sub)
    if _is_quantity(sub):
        return _pick_quantity(text, name, alone=alone)
    if "enum" in sub:
        return _enum(text, [str(v) for v in sub["enum"]])
    if "boolean" in types:
        return _boolean(text)
    if "integer" in types or "number" in types:
        if name in COUNT_NOUNS:
            return _count(text, COUNT_NOUNS[name])
        q = find_quantities(text)
        return None if not q else (int(q[0][1]) if "integer" in types else q[0][1])
    if "string" in types:
        found = _choice_positions(text, choices)
        return found[0][1] if found else None
    if "array" in types:
        return _free_array(text, name, sub.get("items") or {}, choices)
    return None


def _free_array(text: str, name: str, items: dict[str, Any], choices: Sequence[str]) -> list[Any] | None:
    if _is_quantity(items):
        dim = DIMENSION.get(name, "V")
        plain = _strip_parentheses(text)
        pos = _keyword_positions(plain, name)
        start = pos[0] if pos else 0
        qs = [q for q in find_quantities(plain[start:]) if q[2] and _fits(q[2], dim)]
        return [_quantity(v, u) for _, v, u in qs] if (qs or pos) else None
    if items.get("type") == "object":
        props = items.get("properties") or {}
        if "direction" in props:
            return _peaks(text, items) or None
        rows = [_free_object(seg, items, choices, top=False) for seg in _segments(text)]
        first = next(iter(props), None)
        rows = [r for r in rows if first is None or first in r]
        return rows or None
    if name in ("anomalies", "reasons"):
        return _anomalies(text)
    if name in ("mechanisms",):
        values = ("reversible", "quasi-reversible", "irreversible", "EC", "EE", "adsorbed")
        found = _find_words(text, {v: (*SYNONYMS.get(v, ()), v) for v in values})
        return list(dict.fromkeys(k for _, k in found)) or None
    if choices:
        found = [c for _, c in _choice_positions(text, choices)]
        return list(dict.fromkeys(found)) or None
    return None


def parse_free_text(text: str, schema: dict[str, Any], *, choices: Sequence[str] = ()) -> ParsedAnswer:
    """Read an answer written in prose, guided by the question's answer ``schema``.

    ``choices`` are the names a string answer may take (the figure's legends).  ``ok`` when at least
    one field of the schema was found (missing ones are listed in ``problems``), ``refusal`` or
    ``unparseable`` otherwise.  Never raises.
    """
    raw = text or ""
    try:
        if _REFUSAL.search(raw):
            return ParsedAnswer("refusal", None, ("the model declined to answer",), raw)
        if schema.get("$ref") == ANALYSIS_REF or schema.get("type") != "object":
            return ParsedAnswer("unparseable", None, ("no JSON, and this answer needs JSON",), raw)
        value = _free_object(raw, schema, choices, top=True)
    except Exception as exc:  # a parser bug must not stop a run: count it
        return ParsedAnswer("unparseable", None, (f"free-text parser failed: {exc!r}",), raw)
    if not value:
        return ParsedAnswer(
            "unparseable", None, ("no JSON and nothing the schema asks for in the text",), raw
        )
    missing = [k for k in schema.get("required", []) if k not in value]
    problems = tuple(f"$: {k!r} not found in the text" for k in missing)
    return ParsedAnswer("ok", value, problems, raw, {"source": "free_text"})


# ----------------------------------------------------------------------------------------------
# coercion of JSON answers


def _coerce(value: Any, schema: dict[str, Any], choices: Sequence[str]) -> Any:
    types = _types(schema)
    if _is_quantity(schema):
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return _quantity(float(value), "")
        if isinstance(value, str):
            qs = find_quantities(value)
            return _quantity(qs[0][1], qs[0][2]) if qs else value
        if isinstance(value, dict) and isinstance(value.get("value"), str):
            qs = find_quantities(value["value"])
            if qs:
                unit = value.get("unit") or qs[0][2]
                return {**value, "value": qs[0][1], "unit": str(unit)}
        if isinstance(value, dict) and "unit" not in value and "value" in value:
            return {**value, "unit": ""}
        return value
    if "enum" in schema and isinstance(value, str) and value not in schema["enum"]:
        return _enum(value, [str(v) for v in schema["enum"]]) or value
    if "boolean" in types and isinstance(value, str):
        found = _boolean(value)
        return value if found is None else found
    if "integer" in types and not isinstance(value, bool):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            token = value.strip().lower()
            return int(token) if token.isdigit() else _WORDS.get(token, value)
    if "string" in types and isinstance(value, str) and choices and value not in choices:
        found = _choice_positions(value, choices)
        return found[0][1] if found else value
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        return {k: (_coerce(v, props[k], choices) if k in props else v) for k, v in value.items()}
    if isinstance(value, list) and "items" in schema:
        return [_coerce(v, schema["items"], choices) for v in value]
    return value


def _confidence(value: Any, raw: str) -> float | None:
    c = value.get("confidence") if isinstance(value, dict) else None
    if c is None:
        m = re.search(r"confidence\W{0,3}(\d+(?:\.\d+)?)\s*(%)?", raw, re.IGNORECASE)
        if m:
            c = float(m.group(1)) / (100.0 if m.group(2) else 1.0)
    if isinstance(c, bool) or not isinstance(c, int | float) or not math.isfinite(c):
        return None
    c = float(c) / 100.0 if 1.0 < c <= 100.0 else float(c)
    return c if 0.0 <= c <= 1.0 else None


def parse_response(raw: str | None, schema: dict[str, Any], *, choices: Sequence[str] = ()) -> ParsedAnswer:
    """The answer in ``raw`` as JSON conforming to ``schema`` where possible; never raises.

    ``extra`` carries ``confidence`` (0–1) when the answer states one and ``source`` (``json``,
    ``json_coerced`` or ``free_text``).
    """
    text = raw or ""
    try:
        parsed = parse_answer(text, schema)
        if parsed.status == "invalid" and schema.get("$ref") != ANALYSIS_REF:
            value = _coerce(parsed.value, schema, choices)
            problems = schema_problems(value, schema)
            status = "invalid" if problems else "ok"
            parsed = ParsedAnswer(status, value, tuple(problems), text, {"source": "json_coerced"})
        elif parsed.status == "ok":
            parsed = ParsedAnswer("ok", parsed.value, (), text, {"source": "json"})
        elif parsed.status == "unparseable":
            parsed = parse_free_text(text, schema, choices=choices)
        conf = _confidence(parsed.value, text)
        return ParsedAnswer(
            parsed.status, parsed.value, parsed.problems, text, {**parsed.extra, "confidence": conf}
        )
    except Exception as exc:  # never let one answer stop a run
        return ParsedAnswer("unparseable", None, (f"parser failed: {exc!r}",), text, {"confidence": None})

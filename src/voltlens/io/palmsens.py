"""PalmSens: PSTrace ``.pssession`` sessions and PSTrace CSV exports.

``.pssession``: UTF-16 JSON followed by a stray character (a second BOM), holding
``Measurements[]``; keys are CamelCase in new PSTrace versions and lower-case in older ones
(matched case-insensitively here).  Each measurement has a ``Method`` text (``METHOD_ID=cv``,
``SCAN_RATE=``, ``E_STEP=``, ``E_PULSE=``, ``T_PULSE=``, ``E_BEGIN=``, ``E_END=``, ``NOTES=``
URL-encoded, ``REF_ELECTRODE_NAME=``) and a ``DataSet`` of arrays, each with a ``Unit`` (the unit
*type* carries the prefix: ``PalmSens.Units.MicroAmpere`` = µA although the symbol is ``A``) and
``DataValues`` ``[{"v": ...}, ...]``.  A CV has one potential/current array pair per scan
(``scan1``, ``scan2``...) → cycles 1, 2, ...; the ``time`` array covers the first scan only, so
later scans get times continued at the same interval.

A session may mix techniques: voltammetric ones (CV, LSV, DPV, SWV) are returned, others (EIS,
chronoamperometry, OCP, ...) are named in ``metadata["skipped_measurements"]`` of every returned
record; a file holding only those raises :class:`~voltlens.errors.UnsupportedMeasurementError`.

PSTrace CSV (UTF-16): ``Date and time:`` line, then per curve a column pair whose name row
(``Cyclic Voltammetry: CV i vs E Scan 1``), ``Date and time measurement:`` row and units row
(``V``, ``µA``) head the numbers; curves of the same measurement become the cycles of one record;
EIS blocks (``freq / Hz``) and time-based pairs (``s``, ``µA``) are skipped and named.

PalmSens software writes anodic current positive (IUPAC).
"""

from __future__ import annotations

import io
import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, FormatError
from ..model import PulseSettings, SignConvention, Technique, Voltammogram
from ..units import Unit
from ._build import build_voltammogram
from ._columns import parse_unit_or_none
from ._techniques import Unsupported, classify_technique, raise_unsupported, unsupported_message
from ._text import (
    MAX_JSON_BYTES,
    MAX_POINTS,
    decode_bytes,
    detect_encoding,
    file_size,
    is_number,
    parse_table,
)

__all__ = ["read_pssession", "read_pstrace_csv"]

_UNIT_TYPES = {
    "ampere": ("current", 1.0),
    "milliampere": ("current", 1e-3),
    "microampere": ("current", 1e-6),
    "nanoampere": ("current", 1e-9),
    "picoampere": ("current", 1e-12),
    "volt": ("potential", 1.0),
    "millivolt": ("potential", 1e-3),
    "microvolt": ("potential", 1e-6),
    "time": ("time", 1.0),
    "second": ("time", 1.0),
    "millisecond": ("time", 1e-3),
}
_SYMBOL = {1.0: "", 1e-3: "m", 1e-6: "µ", 1e-9: "n", 1e-12: "p"}
_METHOD_IDS: dict[str, Technique | Unsupported] = {
    "cv": Technique.CV,
    "lsv": Technique.LSV,
    "dpv": Technique.DPV,
    "swv": Technique.SWV,
    "fcv": Technique.CV,
    "acv": Unsupported("AC voltammetry"),
    "npv": Unsupported("normal pulse voltammetry (NPV)"),
    "eis": Unsupported("EIS (impedance)"),
    "geis": Unsupported("EIS (impedance)"),
    "ca": Unsupported("chronoamperometry"),
    "ad": Unsupported("chronoamperometry"),
    "pad": Unsupported("chronoamperometry"),
    "fca": Unsupported("chronoamperometry"),
    "ma": Unsupported("chronoamperometry"),
    "cp": Unsupported("chronopotentiometry"),
    "pot": Unsupported("chronopotentiometry"),
    "lsp": Unsupported("chronopotentiometry"),
    "ocp": Unsupported("open-circuit potential (OCP)"),
    "ms": Unsupported("mixed mode"),
    "mm": Unsupported("mixed mode"),
}


def _get(obj: Any, key: str) -> Any:
    """Case-insensitive dict lookup (PSTrace versions differ in key case)."""
    if not isinstance(obj, dict):
        return None
    if key in obj:
        return obj[key]
    low = key.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return None


def _method(text: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if not isinstance(text, str):
        return out
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out.setdefault(key.strip().upper(), value.strip())
    return out


def _num(method: dict[str, str], key: str) -> float | None:
    try:
        value = float(method[key])
    except (KeyError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _unit(array: dict[str, Any], source: str) -> Unit:
    unit = _get(array, "Unit") or {}
    type_name = str(_get(unit, "Type") or "").rsplit(".", 1)[-1].lower()
    if type_name in _UNIT_TYPES:
        quantity, scale = _UNIT_TYPES[type_name]
        symbol = _SYMBOL.get(scale, "") + str(_get(unit, "S") or "")
        return Unit(quantity, symbol, scale)  # type: ignore[arg-type]
    raise FormatError(
        source, f"unknown PalmSens unit type {type_name!r}", field=str(_get(array, "Description"))
    )


def _values(array: dict[str, Any], source: str) -> np.ndarray:
    items = _get(array, "DataValues")
    if not isinstance(items, list):
        raise FormatError(
            source, "a data array has no DataValues list", field=str(_get(array, "Description"))
        )
    if len(items) > MAX_POINTS:
        raise DataError(
            source, f"an array holds {len(items)} points, more than {MAX_POINTS}", field="DataValues"
        )
    key = "v" if items and isinstance(items[0], dict) and "v" in items[0] else "V"
    try:
        return np.fromiter((float(x[key]) for x in items), dtype=float, count=len(items))
    except (TypeError, ValueError, KeyError):
        raise FormatError(
            source, "a data value has no numeric 'V'", field=str(_get(array, "Description"))
        ) from None


def _kind(measurement: dict[str, Any], method: dict[str, str]) -> Technique | Unsupported:
    mid = method.get("METHOD_ID", "").strip().lower()
    if mid in _METHOD_IDS:
        return _METHOD_IDS[mid]
    found = classify_technique(str(_get(measurement, "Title") or ""))
    return found if found is not None else Unsupported(f"an unknown technique ({mid or 'no METHOD_ID'})")


def _pairs(values: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(potential array, current array) per scan, paired by their Description."""
    pots: dict[str, dict[str, Any]] = {}
    curs: dict[str, dict[str, Any]] = {}
    for arr in values:
        kind = str(_get(arr, "Type") or "")
        desc = str(_get(arr, "Description") or "")
        if kind.endswith("DataArrayPotentials"):
            pots.setdefault(desc, arr)
        elif kind.endswith("DataArrayCurrents"):
            curs.setdefault(desc, arr)
    pairs = [(pots[d], curs[d]) for d in pots if d in curs]
    if not pairs and len(pots) == 1 and len(curs) == 1:
        pairs = [(next(iter(pots.values())), next(iter(curs.values())))]
    return sorted(pairs, key=lambda p: _scan_number(str(_get(p[0], "Description"))))


def _scan_number(desc: str) -> int:
    m = re.search(r"(\d+)\s*$", desc)
    return int(m.group(1)) if m else 0


def _pulse(technique: Technique, method: dict[str, str]) -> PulseSettings | None:
    begin, end = _num(method, "E_BEGIN"), _num(method, "E_END")
    direction = -1.0 if begin is not None and end is not None and end < begin else 1.0
    step = _num(method, "E_STEP")
    if technique == Technique.DPV:
        amp, width, rate = _num(method, "E_PULSE"), _num(method, "T_PULSE"), _num(method, "SCAN_RATE")
        if amp is None or width is None or step is None or not rate:
            return None
        return PulseSettings(direction * abs(amp), width, abs(step), abs(step) / rate)
    if technique == Technique.SWV:
        amp = _num(method, "E_AMP") or _num(method, "E_PULSE")
        freq = _num(method, "FREQUENCY") or _num(method, "FREQ")
        if amp is None or step is None or not freq:
            return None
        return PulseSettings(direction * abs(amp), 0.5 / freq, abs(step), 1.0 / freq, 0.0, freq)
    return None


def _measurement(
    m: dict[str, Any],
    technique: Technique,
    method: dict[str, str],
    source: str,
    index: int,
    extra: dict[str, Any],
) -> Voltammogram:
    dataset = _get(m, "DataSet") or {}
    values = _get(dataset, "Values") or []
    pairs = _pairs(values if isinstance(values, list) else [])
    if not pairs:
        raise FormatError(
            source,
            f"measurement {index} ({_get(m, 'Title')}) has no potential/current arrays",
            field="DataSet",
        )
    pot_unit, cur_unit = _unit(pairs[0][0], source), _unit(pairs[0][1], source)
    pots, curs, cycles = [], [], []
    for k, (p, c) in enumerate(pairs, start=1):
        e, i = _values(p, source), _values(c, source)
        if e.size != i.size:
            raise FormatError(
                source,
                f"scan {k} has {e.size} potentials but {i.size} currents",
                field=str(_get(p, "Description")),
            )
        if _unit(p, source) != pot_unit or _unit(c, source) != cur_unit:
            raise FormatError(source, f"scan {k} changes units within measurement {index}", field="Unit")
        pots.append(e)
        curs.append(i)
        cycles.append(np.full(e.size, k, dtype=np.int64))
    potential, current = np.concatenate(pots), np.concatenate(curs)
    time = None
    time_arrays = [a for a in values if str(_get(a, "Type") or "").endswith("DataArrayTime")]
    if time_arrays:
        t = _values(time_arrays[0], source) * _unit(time_arrays[0], source).scale
        if t.size == potential.size:
            time = t
        elif t.size >= 2 and t.size == pots[0].size:
            dt = float(np.median(np.diff(t)))
            time = np.concatenate([t, t[-1] + dt * np.arange(1, potential.size - t.size + 1)])
            extra = {**extra, "time_basis": "first scan from the file, later scans continued at its interval"}
    scan_rate = _num(method, "SCAN_RATE")
    pulse = _pulse(technique, method) if technique in (Technique.DPV, Technique.SWV) else None
    notes = urllib.parse.unquote(method.get("NOTES", "")).strip()
    metadata: dict[str, Any] = {
        "instrument": f"PalmSens (serial {_get(m, 'DeviceSerial')})"
        if _get(m, "DeviceSerial")
        else "PalmSens",
        "measurement_title": _get(m, "Title"),
        "measurement_index": index,
        "file_technique": method.get("METHOD_ID"),
        "method": method,
        **extra,
    }
    if notes:
        metadata["notes"] = notes
    return build_voltammogram(
        source=source,
        fmt="palmsens",
        potential=potential,
        current=current,
        potential_unit=pot_unit,
        current_unit=cur_unit,
        labels={
            "potential": str(_get(pairs[0][0], "Description")),
            "current": str(_get(pairs[0][1], "Description")),
        },
        time=time,
        cycle=np.concatenate(cycles) if technique == Technique.CV else None,
        technique=technique,
        scan_rate=scan_rate if scan_rate and scan_rate > 0 else None,
        pulse=pulse,
        reference_electrode=urllib.parse.unquote(method.get("REF_ELECTRODE_NAME", "")).strip() or None,
        sign_convention=SignConvention.IUPAC,
        sign_basis="PalmSens convention (anodic current positive)",
        metadata=metadata,
    )


def _load_session(path: Path, source: str) -> dict[str, Any]:
    file_size(path, source, limit=MAX_JSON_BYTES)
    data = path.read_bytes()
    text = decode_bytes(data, detect_encoding(data[:65536], source), source).lstrip("\ufeff \t\r\n")
    try:
        doc, _ = json.JSONDecoder().raw_decode(text)  # ignores the stray trailing character
    except json.JSONDecodeError as exc:
        raise FormatError(
            source, f"is not a valid PalmSens session (JSON error: {exc.msg} at {exc.pos})", field="json"
        ) from None
    except RecursionError:
        raise FormatError(source, "is JSON nested too deeply", field="json") from None
    if not isinstance(doc, dict) or not isinstance(_get(doc, "Measurements"), list):
        raise FormatError(
            source, "is JSON without a 'Measurements' list (not a PalmSens session)", field="Measurements"
        )
    return doc


def read_pssession(path: Path, source: str) -> list[Voltammogram]:
    doc = _load_session(path, source)
    measurements = [m for m in _get(doc, "Measurements") if isinstance(m, dict)]
    plan: list[tuple[int, dict[str, Any], Technique, dict[str, str]]] = []
    skipped: list[dict[str, Any]] = []
    for index, m in enumerate(measurements, start=1):
        method = _method(_get(m, "Method"))
        kind = _kind(m, method)
        if isinstance(kind, Technique):
            plan.append((index, m, kind, method))
        else:
            skipped.append({"index": index, "title": _get(m, "Title"), "kind": kind.kind})
    if not plan:
        if not skipped:
            raise DataError(source, "holds no measurements", field="Measurements")
        raise_unsupported(source, [str(s["kind"]) for s in skipped])
    extra: dict[str, Any] = {"session_measurements": len(measurements)}
    if skipped:
        extra["skipped_measurements"] = skipped
        extra["skipped_note"] = unsupported_message([str(s["kind"]) for s in skipped])
    return [_measurement(m, kind, method, source, index, extra) for index, m, kind, method in plan]


# --- PSTrace CSV -------------------------------------------------------------------------------


def _csv_text(path: Path, source: str) -> str:
    file_size(path, source, limit=MAX_JSON_BYTES)
    data = path.read_bytes()
    return decode_bytes(data, detect_encoding(data[:65536], source), source).lstrip("\ufeff")


def _fill_empty(block: str) -> str:
    """Empty CSV fields → ``nan`` so ragged columns parse as one numeric block."""
    lines = []
    for line in block.split("\n"):
        if not line.strip():
            continue
        fields = [f.strip() or "nan" for f in line.split(",")]
        lines.append(",".join(fields))
    return "\n".join(lines)


def read_pstrace_csv(path: Path, source: str) -> list[Voltammogram]:
    text = _csv_text(path, source).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    skipped: list[dict[str, Any]] = []
    if any(ln.lower().startswith("freq / hz") or ln.startswith("Measurement:") for ln in lines):
        skipped.append({"title": "Impedance Spectroscopy", "kind": "EIS (impedance)"})
    groups: dict[str, list[tuple[np.ndarray, np.ndarray, Unit, Unit, str]]] = {}
    kinds: dict[str, Technique | None] = {}
    for r, line in enumerate(lines):
        if not line.startswith("Date and time measurement:") or r == 0 or r + 1 >= len(lines):
            continue
        names = [f.strip() for f in lines[r - 1].split(",")]
        units = [f.strip() for f in lines[r + 1].split(",")]
        end = r + 2
        while (
            end < len(lines)
            and lines[end].strip()
            and all(is_number(f) or not f.strip() for f in lines[end].split(","))
        ):
            end += 1
        if end == r + 2:
            continue
        width = len(units)
        block = _fill_empty(
            "\n".join(",".join((ln.split(",") + [""] * width)[:width]) for ln in lines[r + 2 : end])
        )
        table = parse_table(
            io.StringIO(block),
            source=source,
            delimiter=",",
            usecols=list(range(width)),
            names=units,
            first_line=r + 3,
        )
        for c in range(0, width - 1, 2):
            title = names[c] if c < len(names) else ""
            xu, yu = parse_unit_or_none(units[c]), parse_unit_or_none(units[c + 1])
            measurement = title.split(":")[0].strip() or f"curve {c // 2 + 1}"
            kind = classify_technique(measurement)
            if xu is None or yu is None or xu.quantity != "potential" or yu.quantity != "current":
                label = kind.kind if isinstance(kind, Unsupported) else None
                if label is None and xu is not None and xu.quantity == "time":
                    label = "chronoamperometry"
                if label:
                    skipped.append({"title": title, "kind": label})
                continue
            if isinstance(kind, Unsupported):
                skipped.append({"title": title, "kind": kind.kind})
                continue
            x, y = table[:, c], table[:, c + 1]
            keep = ~(np.isnan(x) & np.isnan(y))
            last = int(np.flatnonzero(keep)[-1]) + 1 if keep.any() else 0
            groups.setdefault(measurement, []).append((x[:last], y[:last], xu, yu, title))
            kinds[measurement] = kind if isinstance(kind, Technique) else None
    if not groups:
        if skipped:
            raise_unsupported(source, [s["kind"] for s in skipped])
        raise FormatError(
            source,
            "holds no PSTrace curve (name row, 'Date and time measurement:', units row)",
            field="content",
        )
    out = []
    extra: dict[str, Any] = {}
    if skipped:
        extra["skipped_measurements"] = skipped
        extra["skipped_note"] = unsupported_message([s["kind"] for s in skipped])
    for measurement, curves in groups.items():
        technique = kinds[measurement]
        potential = np.concatenate([c[0] for c in curves])
        current = np.concatenate([c[1] for c in curves])
        cycle = np.concatenate([np.full(c[0].size, k, dtype=np.int64) for k, c in enumerate(curves, start=1)])
        out.append(
            build_voltammogram(
                source=source,
                fmt="pstrace_csv",
                potential=potential,
                current=current,
                potential_unit=curves[0][2],
                current_unit=curves[0][3],
                labels={"potential": curves[0][4], "current": curves[0][4]},
                cycle=cycle if technique == Technique.CV else None,
                technique=technique,
                sign_convention=SignConvention.IUPAC,
                sign_basis="PalmSens convention (anodic current positive)",
                metadata={
                    "instrument": "PalmSens (PSTrace CSV)",
                    "measurement_title": measurement,
                    "curves": [c[4] for c in curves],
                    **extra,
                },
            )
        )
    return out

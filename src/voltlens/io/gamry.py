"""Gamry Framework ``.DTA`` files (EXPLAIN format).

Layout: ``EXPLAIN``, ``TAG<TAB>CV`` (the technique), typed key lines
``KEY<TAB>TYPE<TAB>VALUE<TAB>label`` (types LABEL, QUANT, IQUANT, POTEN, SELECTOR, TOGGLE,
TWOPARAM, NOTES, PSTAT; the unit is in the label, e.g. ``Scan Rate (mV/s)``), then one
``CURVEn<TAB>TABLE`` per cycle (``CURVE<TAB>TABLE<TAB>N`` for single-curve techniques), each with a
column-name row and a units row (``V vs. Ref.``, ``A``) before tab-indented data rows.
``OCVCURVE`` tables (the open-circuit hold before the experiment) are skipped.  Numbers may use
a decimal comma.

Columns used: CV/LSV ``Vf`` (potential) and ``Im`` (current), DPV/SWV ``Vstep`` and ``Idif``
(net current); ``T`` is the time.  Each CURVEn is numbered as cycle n.

Sign convention: ``CONVENTION<TAB>IQUANT<TAB>1`` = anodic current positive (IUPAC, Gamry's
default), ``0`` = cathodic positive (US); the value 1 was checked against a real CV whose anodic
peak on the positive-going sweep is positive.  Files without the key are inferred from the data.
``AREA`` equal to Gamry's default 1 cm² is not taken as the electrode area (kept in metadata).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, FormatError
from ..model import PulseSettings, SignConvention, Technique, Voltammogram
from ._build import build_voltammogram
from ._columns import choose_columns, parse_unit_or_none, split_header, split_reference
from ._techniques import Unsupported, classify_technique, raise_unsupported
from ._text import MAX_POINTS, detect_encoding, iter_lines, parse_number, parse_table, read_head

__all__ = ["read_gamry"]

GAMRY_DEFAULT_AREA_CM2 = 1.0
_TAGS = {
    "CV": Technique.CV,
    "RCV": Technique.CV,
    "LSV": Technique.LSV,
    "POTENTIODYNAMIC": Technique.LSV,
    "SQUARE_WAVE": Technique.SWV,
    "SWV": Technique.SWV,
    "DPV": Technique.DPV,
    "DIFFPULSE": Technique.DPV,
    "DIFFERENTIAL_PULSE": Technique.DPV,
}


class _Table:
    __slots__ = ("first_line", "name", "names", "rows", "units")

    def __init__(self, name: str, first_line: int) -> None:
        self.name = name
        self.names: list[str] = []
        self.units: list[str] = []
        self.rows: list[str] = []
        self.first_line = first_line


def _scan(path: Path, encoding: str, source: str) -> tuple[dict[str, list[str]], list[str], list[_Table]]:
    keys: dict[str, list[str]] = {}
    notes: list[str] = []
    tables: list[_Table] = []
    table: _Table | None = None
    pending_notes = 0
    n_rows = 0
    for lineno, line in enumerate(iter_lines(path, encoding, source), start=1):
        if table is not None:
            if not table.names:
                table.names = [f.strip() for f in line.split("\t")]
                continue
            if not table.units:
                table.units = [f.strip() for f in line.split("\t")]
                table.first_line = lineno + 1
                continue
            if line.startswith("\t") and line.strip():
                table.rows.append(line)
                n_rows += 1
                if n_rows > MAX_POINTS:
                    raise DataError(
                        source, f"has more than {MAX_POINTS} data rows (voltlens.io.MAX_POINTS)", field="rows"
                    )
                continue
            if not line.strip():
                continue
            table = None
        if pending_notes > 0:
            notes.append(line.strip())
            pending_notes -= 1
            continue
        fields = line.split("\t")
        key = fields[0].strip()
        if len(fields) >= 2 and fields[1].strip() == "TABLE":
            table = _Table(key, lineno + 3)
            tables.append(table)
            continue
        if len(fields) >= 3 and fields[1].strip() == "NOTES":
            pending_notes = int(parse_number(fields[2]) or 0)
        if key:
            keys.setdefault(key, [f.strip() for f in fields[1:]])
    return keys, notes, tables


def _quant(keys: dict[str, list[str]], key: str) -> tuple[float | None, str | None]:
    """(value, unit text from the label) of a QUANT/POTEN/IQUANT key."""
    fields = keys.get(key)
    if not fields or len(fields) < 2:
        return None, None
    value = parse_number(fields[1])
    label = fields[-1].replace("&", "")
    m = re.search(r"\(([^()]*)\)\s*$", label)
    return value, (m.group(1) if m else None)


def _scaled(keys: dict[str, list[str]], key: str, default_unit: str) -> float | None:
    value, unit = _quant(keys, key)
    if value is None:
        return None
    u = parse_unit_or_none((unit or default_unit).split("/")[0])
    scale = u.scale if u is not None else 1.0
    return value * scale


def _label(keys: dict[str, list[str]], key: str) -> str | None:
    fields = keys.get(key)
    return fields[1] if fields and len(fields) > 1 and fields[1] else None


def _technique(keys: dict[str, list[str]]) -> Technique | Unsupported | None:
    tag = (keys.get("TAG") or [""])[0].strip().upper()
    if tag in _TAGS:
        return _TAGS[tag]
    title = keys.get("TITLE") or ["", ""]
    return classify_technique(tag) or classify_technique(title[1] if len(title) > 1 else None)


def _convention(keys: dict[str, list[str]]) -> SignConvention | None:
    """CONVENTION (or ICONVENTION) IQUANT: 1 = anodic positive, 0 = cathodic positive; or the words."""
    fields = keys.get("CONVENTION") or keys.get("ICONVENTION")
    if not fields or len(fields) < 2:
        return None
    text = fields[1].strip().lower()
    value = parse_number(text)
    if value == 1 or text.startswith("anodic"):
        return SignConvention.IUPAC
    if value == 0 or text.startswith("cathodic"):
        return SignConvention.US
    return None


def _pulse(technique: Technique, keys: dict[str, list[str]]) -> PulseSettings | None:
    init = _scaled(keys, "VINIT", "V")
    final = _scaled(keys, "VFINAL", "V")
    direction = -1.0 if init is not None and final is not None and final < init else 1.0
    amp = _scaled(keys, "PULSESIZE", "mV")
    step = _scaled(keys, "STEPSIZE", "mV")
    if technique == Technique.SWV:
        freq, _ = _quant(keys, "FREQUENCY")
        if amp is None or step is None or not freq:
            return None
        return PulseSettings(direction * abs(amp), 0.5 / freq, abs(step), 1.0 / freq, 0.0, freq)
    width, _ = _quant(keys, "PULSETIME")
    period, _ = _quant(keys, "STEPTIME")
    if period is None:
        period, _ = _quant(keys, "SAMPLEPERIOD")
    if amp is None or step is None or width is None or period is None:
        return None
    return PulseSettings(direction * abs(amp), width, abs(step), period)


def read_gamry(path: Path, source: str) -> list[Voltammogram]:
    head = read_head(path, source)
    encoding = detect_encoding(head, source)
    keys, notes, tables = _scan(path, encoding, source)
    if "EXPLAIN" not in keys:
        raise FormatError(source, "does not start with the Gamry 'EXPLAIN' line", field="line 1")
    technique = _technique(keys)
    if isinstance(technique, Unsupported):
        raise_unsupported(source, [technique.kind])
    curves = [t for t in tables if re.fullmatch(r"CURVE\d*", t.name)]
    if not curves:
        raise FormatError(source, "has no CURVE table", field="CURVE")
    names = curves[0].names
    headers = [
        split_header(f"{n} [{u}]") if u and u not in ("#", "bits") else split_header(n)
        for n, u in zip(names, curves[0].units + [""] * (len(names) - len(curves[0].units)), strict=False)
    ]
    roles = choose_columns(headers)
    if technique in (Technique.DPV, Technique.SWV):
        for idx, name in enumerate(names):
            if name == "Idif":
                roles["current"] = idx
            if name == "Vstep":
                roles["potential"] = idx
    for role, label in (("potential", "Vf"), ("current", "Im")):
        if role not in roles:
            raise FormatError(
                source, f"no {role} column ({label}) in {curves[0].name}: {names}", field="columns"
            )
    order = [r for r in ("potential", "current", "time") if r in roles]
    usecols = [roles[r] for r in order]
    col_names = [names[c] for c in usecols]
    parts: list[np.ndarray] = []
    cycle_parts: list[np.ndarray] = []
    decimal_comma = any("," in row for t in curves for row in t.rows[:20])
    for number, table in enumerate(curves, start=1):
        if table.names != names:
            raise FormatError(
                source, f"{table.name} has columns {table.names}, unlike {curves[0].name}", field=table.name
            )
        if not table.rows:
            continue
        block = parse_table(
            io.StringIO("\n".join(table.rows)),
            source=source,
            delimiter="\t",
            usecols=usecols,
            names=col_names,
            first_line=table.first_line,
            decimal_comma=decimal_comma,
        )
        table.rows = []
        parts.append(block)
        m = re.search(r"(\d+)$", table.name)
        cycle_parts.append(np.full(block.shape[0], int(m.group(1)) if m else number, dtype=np.int64))
    if not parts:
        raise DataError(source, "its CURVE tables hold no data rows", field="CURVE")
    data = np.concatenate(parts)
    cycles = np.concatenate(cycle_parts)
    col = {r: data[:, k] for k, r in enumerate(order)}
    unit_of = {r: headers[roles[r]].unit for r in order}
    _, ref = split_reference(
        curves[0].units[roles["potential"]] if roles["potential"] < len(curves[0].units) else ""
    )
    area_cm2, _ = _quant(keys, "AREA")
    scan_rate = (
        _scaled(keys, "SCANRATE", "mV/s") if technique in (None, Technique.CV, Technique.LSV) else None
    )
    pulse = _pulse(technique, keys) if technique in (Technique.DPV, Technique.SWV) else None
    if pulse is not None and scan_rate is None and pulse.period_s > 0:
        scan_rate = pulse.step_V / pulse.period_s
    convention = _convention(keys)
    metadata: dict[str, Any] = {
        "instrument": _label(keys, "PSTATSECTION") or _label(keys, "PSTAT"),
        "file_technique": (keys.get("TAG") or [None])[0],
        "title": _label(keys, "TITLE"),
        "header": {k: v[1] if len(v) > 1 else (v[0] if v else "") for k, v in keys.items()},
        "curves": [t.name for t in curves],
    }
    if notes and any(notes):
        metadata["notes"] = "\n".join(notes)
    if area_cm2 is not None:
        metadata["area_stated_cm2"] = area_cm2
    cycles_stated, _ = _quant(keys, "CYCLES")
    if cycles_stated is not None:
        metadata["cycles_programmed"] = int(cycles_stated)
    return [
        build_voltammogram(
            source=source,
            fmt="gamry",
            potential=col["potential"],
            current=col["current"],
            potential_unit=parse_unit_or_none(unit_of["potential"]),
            current_unit=parse_unit_or_none(unit_of["current"]),
            labels={r: names[roles[r]] for r in order},
            time=col.get("time"),
            time_unit=parse_unit_or_none(unit_of["time"]) if "time" in unit_of else None,
            cycle=cycles if technique in (None, Technique.CV) or len(curves) > 1 else None,
            technique=technique,
            scan_rate=scan_rate if scan_rate and scan_rate > 0 else None,
            pulse=pulse,
            area_m2=area_cm2 * 1e-4
            if area_cm2 and area_cm2 > 0 and area_cm2 != GAMRY_DEFAULT_AREA_CM2
            else None,
            reference_electrode=ref if ref and ref.strip(". ").lower() != "ref" else None,
            sign_convention=convention,
            sign_basis="stated by the file (CONVENTION: "
            + (
                "anodic current positive)"
                if convention == SignConvention.IUPAC
                else "cathodic current positive)"
            ),
            metadata=metadata,
        )
    ]

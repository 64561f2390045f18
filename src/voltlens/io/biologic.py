"""BioLogic EC-Lab text files: the ``.mpt`` export and the plain column export.

``.mpt``: first line ``EC-Lab ASCII FILE``, second ``Nb header lines : N`` (N counts every line
up to and including the column-name line), then ``key : value`` lines, the technique name, a
fixed-width parameter table (``Ei (V)``, ``dE/dt``, ``dE/dt unit``, ``E1 (V)`` ...), the
tab-separated column names (``time/s``, ``control/V``, ``Ewe/V``, ``<I>/mA``, ``cycle number``,
...) and the data.  Written in windows-1252 with the locale's decimal mark (often a comma);
currents in mA.  The plain export (``Ewe/V<TAB><I>/mA`` and numbers, no header block) is read
with the same column rules.

EC-Lab writes anodic current positive (IUPAC).  ``Electrode surface area : 0,001 cm²`` is
EC-Lab's default placeholder and is not taken as the electrode area (it stays in metadata).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, FormatError
from ..model import PulseSettings, SignConvention, Technique, Voltammogram
from ._build import build_voltammogram
from ._columns import choose_columns, parse_unit_or_none, split_header
from ._table import TableLayout, read_columns, sniff_table, split_fields
from ._techniques import Unsupported, classify_technique, raise_unsupported
from ._text import check_row_count, detect_encoding, head_lines, iter_lines, parse_number, read_head

__all__ = ["looks_like_ec_lab_columns", "read_biologic_mpt", "read_biologic_txt"]

EC_LAB_DEFAULT_AREA_CM2 = 0.001
_POTENTIAL_COLUMNS = ("Ewe/V", "<Ewe>/V", "Ewe-Ece/V", "<Ewe/V>")
_CURRENT_COLUMNS = ("<I>/mA", "I/mA", "<I>/A", "I/A", "<I>/µA", "I/µA")


def looks_like_ec_lab_columns(fields: list[str]) -> bool:
    """True for EC-Lab's own column names (``Ewe/V`` with ``<I>/mA`` or ``I/mA``)."""
    names = {f.strip() for f in fields}
    return bool(names & set(_POTENTIAL_COLUMNS)) and bool(names & set(_CURRENT_COLUMNS))


def _header_lines(path: Path, encoding: str, source: str, n: int) -> list[str]:
    out: list[str] = []
    for line in iter_lines(path, encoding, source):
        out.append(line)
        if len(out) >= n:
            break
    return out


def _parse_mpt_header(lines: list[str]) -> dict[str, Any]:
    info: dict[str, str] = {}
    params: list[tuple[str, str]] = []
    technique_text = None
    for k, line in enumerate(lines[2:], start=2):
        if not line.strip():
            continue
        if " : " in line or line.rstrip().endswith(" :"):
            key, _, value = line.partition(" :")
            info.setdefault(key.strip(), value.strip(" :\t"))
            continue
        if len(line) > 20 and line[:20].strip() and line[20:].strip() and line[19] == " ":
            key = line[:20].strip()
            values = [line[i : i + 20].strip() for i in range(20, len(line), 20)]
            params.append((key, " | ".join(v for v in values if v)))
            continue
        if technique_text is None and k < 12 and classify_technique(line.strip()) is not None:
            technique_text = line.strip()
    return {"info": info, "params": params, "technique_text": technique_text}


def _first_param(params: list[tuple[str, str]], *keys: str) -> str | None:
    for key in keys:
        for k, v in params:
            if k.lower() == key.lower():
                return v.split(" | ")[0]
    return None


def _scan_rate(params: list[tuple[str, str]]) -> float | None:
    value = parse_number(_first_param(params, "dE/dt"))
    unit = (_first_param(params, "dE/dt unit") or "mV/s").strip()
    if value is None or value <= 0:
        return None
    numerator = unit.split("/")[0]
    u = parse_unit_or_none(numerator)
    scale = u.scale if u is not None and u.quantity == "potential" else 1e-3
    per = unit.split("/")[1].strip().lower() if "/" in unit else "s"
    per_scale = {"s": 1.0, "ms": 1e-3, "min": 60.0, "h": 3600.0}.get(per, 1.0)
    return value * scale / per_scale


def _reference(info: dict[str, str]) -> str | None:
    text = info.get("Reference electrode")
    if not text:
        return None
    text = re.sub(r"\(\s*[-+]?[\d.,]+\s*V\s*\)\s*$", "", text).strip()
    return text or None


def _area_m2(info: dict[str, str]) -> float | None:
    text = info.get("Electrode surface area")
    value = parse_number(text)
    if value is None or value <= 0 or abs(value - EC_LAB_DEFAULT_AREA_CM2) < 1e-12:
        return None
    unit = (text or "").split()[-1] if text and len(text.split()) > 1 else "cm²"
    scale = {"cm²": 1e-4, "cm2": 1e-4, "mm²": 1e-6, "mm2": 1e-6, "m²": 1.0, "m2": 1.0}.get(unit, 1e-4)
    return value * scale


def _pulse(technique: Technique, params: list[tuple[str, str]]) -> PulseSettings | None:
    if technique == Technique.DPV:
        amp = parse_number(_first_param(params, "PH (mV)", "Pulse Height (mV)"))
        width = parse_number(_first_param(params, "PW (ms)", "Pulse Width (ms)"))
        step = parse_number(_first_param(params, "SH (mV)", "Step Height (mV)"))
        period = parse_number(_first_param(params, "ST (ms)", "Step Time (ms)"))
        if None in (amp, width, step, period):
            return None
        return PulseSettings(amp * 1e-3, width * 1e-3, abs(step) * 1e-3, period * 1e-3)  # type: ignore[operator]
    if technique == Technique.SWV:
        amp = parse_number(_first_param(params, "PH (mV)", "Pulse Height (mV)"))
        step = parse_number(_first_param(params, "SH (mV)", "Step Height (mV)"))
        freq = parse_number(_first_param(params, "f (Hz)", "Frequency (Hz)"))
        if None in (amp, step, freq) or not freq:
            return None
        return PulseSettings(amp * 1e-3, 0.5 / freq, abs(step) * 1e-3, 1.0 / freq, 0.0, freq)  # type: ignore[operator]
    return None


def _columns(fields: list[str], technique: Technique | None, source: str) -> dict[str, int]:
    headers = [split_header(f) for f in fields]
    roles = choose_columns(headers)
    if technique in (Technique.DPV, Technique.SWV):
        for idx, f in enumerate(fields):
            low = f.lower()
            if ("delta" in low or "diff" in low) and parse_unit_or_none(headers[idx].unit) is not None:
                roles["current"] = idx
    if "potential" not in roles:
        raise FormatError(source, f"no potential column (Ewe/V) among {fields}", field="columns")
    if "current" not in roles and "density" not in roles:
        raise FormatError(source, f"no current column (<I>/mA or I/mA) among {fields}", field="columns")
    return {k: v for k, v in roles.items() if k in ("potential", "current", "density", "time", "cycle")}


def read_biologic_mpt(path: Path, source: str) -> list[Voltammogram]:
    head = read_head(path, source)
    check_row_count(path, source)
    encoding = detect_encoding(head, source)
    first = head_lines(head, encoding)[:2]
    if len(first) < 2 or not first[0].strip().startswith("EC-Lab ASCII FILE"):
        raise FormatError(source, "does not start with 'EC-Lab ASCII FILE'", field="line 1")
    m = re.match(r"^\s*Nb header lines\s*:\s*(\d+)\s*$", first[1])
    if not m:
        raise FormatError(
            source,
            f"second line is {first[1][:60]!r}, expected 'Nb header lines : N'",
            field="Nb header lines",
        )
    n_header = int(m.group(1))
    if n_header < 3:
        raise FormatError(
            source, f"'Nb header lines' is {n_header}, expected at least 3", field="Nb header lines"
        )
    lines = _header_lines(path, encoding, source, n_header + 1)
    if len(lines) < n_header:
        raise FormatError(
            source, f"has {len(lines)} lines but declares {n_header} header lines", field="Nb header lines"
        )
    header = _parse_mpt_header(lines[: n_header - 1])
    fields = split_fields(lines[n_header - 1], "\t")
    technique = classify_technique(header["technique_text"])
    if isinstance(technique, Unsupported):
        raise_unsupported(source, [technique.kind])
    if any(f.startswith("freq/Hz") or f.startswith("Re(Z)") for f in fields):
        raise_unsupported(source, ["EIS (impedance)"])
    roles = _columns(fields, technique, source)
    order = [r for r in ("potential", "current", "density", "time", "cycle") if r in roles]
    usecols = [roles[r] for r in order]
    names = [fields[c] for c in usecols]
    layout = TableLayout(n_header, "\t", True, len(fields), fields, n_header - 1)
    data = read_columns(path, encoding, layout, usecols, names, source)
    if data.shape[0] == 0:
        raise DataError(source, "holds no data rows after its header", field="rows")
    col = {r: data[:, k] for k, r in enumerate(order)}
    headers = {r: split_header(fields[roles[r]]) for r in order}
    cur_role = "current" if "current" in col else "density"
    info = header["info"]
    metadata: dict[str, Any] = {
        "instrument": info.get("Device"),
        "software": next((ln.strip() for ln in lines[: n_header - 1] if "EC-Lab for windows" in ln), None),
        "file_technique": header["technique_text"],
        "header": info,
        "parameters": dict(header["params"]),
    }
    if info.get("Electrode surface area"):
        metadata["electrode_surface_area_stated"] = info["Electrode surface area"]
    scan_rate = _scan_rate(header["params"]) if technique in (None, Technique.CV, Technique.LSV) else None
    pulse = _pulse(technique, header["params"]) if technique in (Technique.DPV, Technique.SWV) else None
    return [
        build_voltammogram(
            source=source,
            fmt="biologic_mpt",
            potential=col["potential"],
            current=col[cur_role],
            potential_unit=parse_unit_or_none(headers["potential"].unit),
            current_unit=parse_unit_or_none(headers[cur_role].unit),
            labels={r: fields[roles[r]] for r in order if r != "density"}
            | ({"current": fields[roles[cur_role]]}),
            time=col.get("time"),
            time_unit=parse_unit_or_none(headers["time"].unit) if "time" in headers else None,
            cycle=col.get("cycle"),
            technique=technique,
            scan_rate=scan_rate,
            pulse=pulse,
            area_m2=_area_m2(info),
            reference_electrode=_reference(info),
            sign_convention=SignConvention.IUPAC,
            sign_basis="EC-Lab convention (anodic current positive)",
            metadata=metadata,
        )
    ]


def read_biologic_txt(path: Path, source: str) -> list[Voltammogram]:
    """The plain EC-Lab column export (``Ewe/V<TAB><I>/mA`` header, then numbers)."""
    head = read_head(path, source)
    check_row_count(path, source)
    encoding = detect_encoding(head, source)
    lines = head_lines(head, encoding)
    layout = sniff_table(lines, source)
    if layout.header is None:
        raise FormatError(source, "has no EC-Lab column header (Ewe/V, <I>/mA)", field="columns")
    roles = _columns(layout.header, None, source)
    order = [r for r in ("potential", "current", "density", "time", "cycle") if r in roles]
    usecols = [roles[r] for r in order]
    names = [layout.header[c] for c in usecols]
    data = read_columns(path, encoding, layout, usecols, names, source)
    col = {r: data[:, k] for k, r in enumerate(order)}
    headers = {r: split_header(layout.header[roles[r]]) for r in order}
    cur_role = "current" if "current" in col else "density"
    return [
        build_voltammogram(
            source=source,
            fmt="biologic_txt",
            potential=col["potential"],
            current=col[cur_role],
            potential_unit=parse_unit_or_none(headers["potential"].unit),
            current_unit=parse_unit_or_none(headers[cur_role].unit),
            labels={"potential": names[0], "current": layout.header[roles[cur_role]]},
            time=col.get("time"),
            time_unit=parse_unit_or_none(headers["time"].unit) if "time" in headers else None,
            cycle=np.asarray(col["cycle"]) if "cycle" in col else None,
            sign_convention=SignConvention.IUPAC,
            sign_basis="EC-Lab convention (anodic current positive)",
            metadata={"instrument": "BioLogic (EC-Lab text export)"},
        )
    ]

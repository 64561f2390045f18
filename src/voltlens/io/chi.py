"""CH Instruments text/CSV exports (CV, LSV, DPV, SWV).

Layout: a date line, the technique name, ``Key: value`` lines (File, Data Source, Instrument
Model, Header, Note), ``Key (unit) = value`` parameters (``Init E (V)``, ``High E (V)``,
``Low E (V)``, ``Scan Rate (V/s)``, ``Segment``, ``Sample Interval (V)``, DPV ``Amplitude (V)``,
``Pulse Width (sec)``, ``Pulse Period (sec)``, ``Incr E (V)``, SWV ``Frequency (Hz)``), an
optional ``Results:`` block (the instrument's own Ep/ip/Ah per segment, kept in metadata), then
one table (``Potential/V, Current/A``) holding all segments.  The same layout is written by
some non-CHI software (e.g. D3TaLES robots driving a BioLogic SP50E); the instrument model is
kept in metadata.

Sign convention: the file does not state it.  Older CHI software wrote cathodic current
positive (the "US"/polarographic convention, switchable in the software); the CHI650E/760E files
seen so far are IUPAC.  The reader therefore infers it from the data
(:func:`voltlens.io._sweeps.infer_sign_convention`) and assumes IUPAC when the evidence is weak.

Sweep numbering: segments are computed from the sweep direction; when the header lists which
instrument segments the table holds (``Segment 5:``, ``Segment 6:``), the numbering starts there
(0-based: instrument segment 5 is segment 4), and cycles are ``segment // 2 + 1``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ..model import PulseSettings, SignConvention, Technique, Voltammogram
from ..units import Unit
from ._build import build_voltammogram
from ._columns import choose_columns, parse_unit_or_none, split_header
from ._sweeps import sweep_segments
from ._table import read_columns, sniff_table
from ._techniques import Unsupported, classify_technique, raise_unsupported
from ._text import check_row_count, detect_encoding, head_lines, parse_number, read_head

__all__ = ["looks_like_chi", "read_chi"]

_TECHNIQUE_LINES = (
    "cyclic voltammetry",
    "linear sweep voltammetry",
    "differential pulse voltammetry",
    "square wave voltammetry",
    "normal pulse voltammetry",
    "differential normal pulse voltammetry",
    "a.c. impedance",
    "amperometric i-t curve",
    "chronoamperometry",
    "chronocoulometry",
    "chronopotentiometry",
    "open circuit potential - time",
    "linear sweep",
    "tafel plot",
    "bulk electrolysis with coulometry",
)
_VOLT = Unit("potential", "V", 1.0)
_PARAM = re.compile(r"^(?P<key>[^=:]+?)\s*=\s*(?P<value>.*)$")
_INFO = re.compile(r"^(?P<key>File|Data Source|Instrument Model|Header|Note|Instrument)\s*:\s*(?P<value>.*)$")
_SEGMENT = re.compile(r"^Segment\s+(?P<n>\d+)\s*:\s*$")


def looks_like_chi(lines: list[str]) -> bool:
    """CHI layout: a technique line near the top and ``Init E (V) =`` style parameters."""
    top = [ln.strip().lower() for ln in lines[:6]]
    has_technique = any(t in _TECHNIQUE_LINES for t in top)
    has_params = any(
        re.match(r"^(init e|high e|low e|final e|scan rate|quiet time|sensitivity)", ln.strip().lower())
        and "=" in ln
        for ln in lines[:80]
    )
    return has_technique and has_params


def _parse_header(lines: list[str]) -> dict[str, Any]:
    info: dict[str, str] = {}
    params: dict[str, str] = {}
    results: dict[str, dict[str, str]] = {}
    listed_segments: list[int] = []
    technique_text: str | None = None
    in_results = False
    current_block = "Results"
    for line in lines:
        s = line.strip()
        if not s:
            continue
        low = s.lower()
        if technique_text is None and low in _TECHNIQUE_LINES:
            technique_text = s
            continue
        if low.startswith("results"):
            in_results = True
            continue
        seg = _SEGMENT.match(s)
        if seg:
            listed_segments.append(int(seg["n"]))
            current_block = f"Segment {seg['n']}"
            results.setdefault(current_block, {})
            continue
        if re.match(r"^channel\s+\d+\s*:\s*$", low):
            current_block = s.rstrip(":")
            continue
        m = _INFO.match(s)
        if m:
            info[m["key"]] = m["value"].strip()
            continue
        m = _PARAM.match(s)
        if m:
            if in_results or listed_segments:
                results.setdefault(current_block, {})[m["key"].strip()] = m["value"].strip()
            else:
                params[m["key"].strip()] = m["value"].strip()
    return {
        "info": info,
        "params": params,
        "results": results,
        "listed_segments": listed_segments,
        "technique_text": technique_text,
        "date": lines[0].strip() if lines else "",
    }


def _param(params: dict[str, str], *names: str) -> float | None:
    for name in names:
        for key, value in params.items():
            if key.lower().replace(" ", "") == name.lower().replace(" ", ""):
                return parse_number(value)
    return None


def _pulse(technique: Technique, params: dict[str, str]) -> tuple[PulseSettings | None, float | None]:
    init = _param(params, "Init E (V)")
    final = _param(params, "Final E (V)")
    direction = 1.0 if init is None or final is None or final >= init else -1.0
    amplitude = _param(params, "Amplitude (V)")
    step = _param(params, "Incr E (V)")
    if technique == Technique.DPV:
        width = _param(params, "Pulse Width (sec)")
        period = _param(params, "Pulse Period (sec)")
        sample = _param(params, "Sample Width (sec)") or 0.0
        if amplitude is None or width is None or step is None or period is None:
            return None, None
        scan_rate = abs(step) / period if period > 0 and step else None
        return PulseSettings(direction * abs(amplitude), width, abs(step), period, sample), scan_rate
    if technique == Technique.SWV:
        freq = _param(params, "Frequency (Hz)")
        if amplitude is None or step is None or not freq:
            return None, None
        period = 1.0 / freq
        scan_rate = abs(step) * freq if step else None
        return PulseSettings(direction * abs(amplitude), period / 2, abs(step), period, 0.0, freq), scan_rate
    return None, None


def read_chi(path: Path, source: str) -> list[Voltammogram]:
    head = read_head(path, source, 1 << 18)
    check_row_count(path, source)
    encoding = detect_encoding(head, source)
    lines = head_lines(head, encoding)
    layout = sniff_table(lines, source)
    header = _parse_header(lines[: layout.header_line if layout.header_line is not None else layout.start])
    technique_text = header["technique_text"]
    technique = classify_technique(technique_text)
    if isinstance(technique, Unsupported):
        raise_unsupported(source, [technique.kind])
    if layout.header is None:
        raise FormatError(
            source, "the data table has no column header (expected 'Potential/V, Current/A')", field="columns"
        )
    headers = [split_header(h) for h in layout.header]
    roles = choose_columns(headers)
    if "potential" not in roles:
        raise FormatError(source, f"no potential column among {layout.header}", field="columns")
    current_role = "current" if "current" in roles else "density" if "density" in roles else None
    if current_role is None:
        raise FormatError(source, f"no current column among {layout.header}", field="columns")
    usecols = [roles["potential"], roles[current_role]]
    if "time" in roles:
        usecols.append(roles["time"])
    names = [layout.header[c] for c in usecols]
    data = read_columns(path, encoding, layout, usecols, names, source)
    params: dict[str, str] = header["params"]
    scan_rate = _param(params, "Scan Rate (V/s)")
    pulse, pulse_rate = (None, None)
    if technique in (Technique.DPV, Technique.SWV):
        pulse, pulse_rate = _pulse(technique, params)
        scan_rate = scan_rate or pulse_rate
    potential = data[:, 0]
    segment = None
    listed = header["listed_segments"]
    if technique in (None, Technique.CV, Technique.LSV) and potential.size >= 3:
        segment = sweep_segments(potential * (parse_unit_or_none(headers[usecols[0]].unit) or _VOLT).scale)
        n_found = int(segment.max()) + 1
        if listed and len(listed) == n_found and listed == list(range(listed[0], listed[0] + n_found)):
            segment = segment + (listed[0] - 1)
    metadata: dict[str, Any] = {
        "instrument": header["info"].get("Instrument Model"),
        "data_source": header["info"].get("Data Source"),
        "file_technique": technique_text,
        "date": header["date"],
        "header": params,
        "info": header["info"],
    }
    if header["results"]:
        metadata["results"] = header["results"]
    if listed:
        metadata["segments_listed"] = listed
    stated_segments = _param(params, "Segment")
    if stated_segments is not None:
        metadata["segments_programmed"] = int(stated_segments)
    return [
        build_voltammogram(
            source=source,
            fmt="chi",
            potential=potential,
            current=data[:, 1],
            potential_unit=parse_unit_or_none(headers[usecols[0]].unit),
            current_unit=parse_unit_or_none(headers[usecols[1]].unit),
            labels={
                "potential": names[0],
                "current": names[1],
                **({"time": names[2]} if len(names) > 2 else {}),
            },
            time=data[:, 2] if len(usecols) > 2 else None,
            time_unit=parse_unit_or_none(headers[usecols[2]].unit) if len(usecols) > 2 else None,
            segment=segment,
            technique=technique,
            scan_rate=scan_rate if scan_rate and scan_rate > 0 else None,
            pulse=pulse,
            sign_convention=None,
            default_convention=SignConvention.IUPAC,
            metadata=metadata,
            units_assumed=tuple(
                r for r, c in (("potential", usecols[0]), ("current", usecols[1])) if headers[c].unit is None
            ),
        )
    ]

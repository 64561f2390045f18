"""echemdb / frictionless data packages: a CSV described by a JSON package.

The JSON (``{"resources": [{"path": "x.csv", "schema": {"fields": [...]}, "metadata":
{"echemdb": {...}}}]}``) gives each field's unit (``t`` in s, ``E`` in V with its
``reference``, ``j`` in ``mA / cm2``/``uA / cm2``/``µA cm⁻²`` or ``I`` in ``uA``), the scan rate
(``figureDescription.scanRate``), the measurement type and the electrodes.  Either file may be
given to :func:`voltlens.io.read`; a CSV is read as a package when a JSON of the same name beside
it describes it.  Current densities are converted to A/m² (``current_is_density=True``).

echemdb curves are mostly retraces of published figures (about 1 % of the axis range in error;
``metadata["figure_type"] == "digitized"``).  The sign convention is not stated: it is inferred
from the data, IUPAC when the evidence is weak.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ..model import Technique, Voltammogram
from ._build import build_voltammogram
from ._columns import parse_unit_or_none
from ._table import read_columns, sniff_table
from ._techniques import Unsupported, classify_technique, raise_unsupported
from ._text import (
    MAX_JSON_BYTES,
    check_row_count,
    decode_bytes,
    detect_encoding,
    file_size,
    head_lines,
    read_head,
)

__all__ = ["is_data_package", "package_for_csv", "quantity_si", "read_echemdb", "reference_from_electrodes"]

_AREA = {"m2": 1.0, "m²": 1.0, "cm2": 1e-4, "cm²": 1e-4, "mm2": 1e-6, "mm²": 1e-6, "µm2": 1e-12, "um2": 1e-12}
_TIME = {"s": 1.0, "ms": 1e-3, "min": 60.0, "h": 3600.0}


def quantity_si(value: Any, unit: Any, kind: str) -> float | None:
    """A scan rate (``mV / s``) or an area (``cm2``) in SI, or None when unreadable."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not (number > 0 and number < float("inf")):
        return None
    text = re.sub(r"\s+", "", str(unit or ""))
    if kind == "area":
        scale = _AREA.get(text.replace("^2", "2"))
        return None if scale is None else number * scale
    m = re.match(r"^(?P<num>[a-zµμ]*V)(?:/(?P<den>[a-z]+)|(?P<den2>[a-z]+)(?:-1|⁻¹))$", text)
    if not m:
        return None
    num = parse_unit_or_none(m["num"])
    den = _TIME.get(m["den"] or m["den2"] or "")
    if num is None or num.quantity != "potential" or den is None:
        return None
    return number * num.scale / den


def reference_from_electrodes(electrodes: list[Any]) -> str | None:
    for el in electrodes:
        if isinstance(el, dict) and "reference" in str(el.get("function", "")).lower():
            for key in ("type", "redoxSystem", "name"):
                if el.get(key) and str(el[key]) not in ("RE", "REF"):
                    return str(el[key])
    return None


def is_data_package(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list) or not doc["resources"]:
        return False
    res = doc["resources"][0]
    return (
        isinstance(res, dict)
        and isinstance(res.get("schema"), dict)
        and isinstance(res["schema"].get("fields"), list)
    )


def _load_json(path: Path, source: str) -> Any:
    file_size(path, source, limit=MAX_JSON_BYTES)
    data = path.read_bytes()
    text = decode_bytes(data, detect_encoding(data[:65536], source), source)
    try:
        return json.JSONDecoder().raw_decode(text.lstrip("\ufeff \t\r\n"))[0]
    except json.JSONDecodeError as exc:
        raise FormatError(
            source, f"is not valid JSON: {exc.msg} at line {exc.lineno}", field="json"
        ) from None


def package_for_csv(csv_path: Path) -> tuple[dict[str, Any], Path] | None:
    """The data package (and its path) beside ``csv_path`` that describes it, if any."""
    candidate = csv_path.with_suffix(".json")
    if not candidate.is_file() or candidate.stat().st_size > MAX_JSON_BYTES:
        return None
    try:
        doc = json.loads(candidate.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    if not is_data_package(doc):
        return None
    if any(
        isinstance(r, dict) and Path(str(r.get("path", ""))).name == csv_path.name for r in doc["resources"]
    ):
        return doc, candidate
    return None


def _resource(doc: dict[str, Any], csv_name: str | None, source: str) -> dict[str, Any]:
    resources = [r for r in doc["resources"] if isinstance(r, dict)]
    if csv_name is not None:
        for r in resources:
            if Path(str(r.get("path", ""))).name == csv_name:
                return r
    for r in resources:
        if str(r.get("path", "")).lower().endswith((".csv", ".tsv", ".txt")):
            return r
    raise FormatError(source, "its data package names no CSV resource", field="resources")


def read_echemdb(path: Path, source: str) -> list[Voltammogram]:
    if path.suffix.lower() == ".json" or read_head(path, source, 64).lstrip(
        b"\xef\xbb\xbf \t\r\n"
    ).startswith(b"{"):
        doc = _load_json(path, source)
        if not is_data_package(doc):
            raise FormatError(
                source, "is JSON but not a data package (no resources[].schema.fields)", field="resources"
            )
        resource = _resource(doc, None, source)
        csv_path = (path.parent / str(resource.get("path"))).resolve()
        if path.parent.resolve() not in csv_path.parents:
            raise FormatError(
                source,
                f"resource path {resource.get('path')!r} leaves the package directory",
                field="resources.path",
            )
        csv_source = f"{source} → {csv_path.name}"
    else:
        found = package_for_csv(path)
        if found is None:
            raise FormatError(
                source, "has no data package (JSON of the same name) describing it", field="package"
            )
        doc, _ = found
        resource = _resource(doc, path.name, source)
        csv_path, csv_source = path, source
    fields = {str(f.get("name")): f for f in resource["schema"]["fields"] if isinstance(f, dict)}
    head = read_head(csv_path, csv_source)
    check_row_count(csv_path, csv_source)
    encoding = detect_encoding(head, csv_source)
    layout = sniff_table(head_lines(head, encoding), csv_source)
    if layout.header is None:
        raise FormatError(csv_source, "has no header row naming the package's fields", field="columns")
    roles: dict[str, int] = {}
    units: dict[str, Any] = {}
    for idx, name in enumerate(layout.header):
        spec = fields.get(name)
        unit = parse_unit_or_none(str(spec.get("unit"))) if spec else None
        if unit is None:
            continue
        role = {
            "potential": "potential",
            "current": "current",
            "current_density": "current",
            "time": "time",
        }.get(unit.quantity)
        if role and role not in roles:
            roles[role] = idx
            units[role] = unit
    for role in ("potential", "current"):
        if role not in roles:
            raise FormatError(
                csv_source,
                f"the package gives no {role} field with a unit among {layout.header}",
                field="schema.fields",
            )
    order = [r for r in ("potential", "current", "time") if r in roles]
    names = [layout.header[roles[r]] for r in order]
    data = read_columns(csv_path, encoding, layout, [roles[r] for r in order], names, csv_source)
    echem = (
        ((resource.get("metadata") or {}).get("echemdb") or {})
        if isinstance(resource.get("metadata"), dict)
        else {}
    )
    fig = echem.get("figureDescription") or {}
    kind = classify_technique(str(fig.get("measurementType") or ""))
    if isinstance(kind, Unsupported):
        raise_unsupported(source, [kind.kind])
    technique = kind if isinstance(kind, Technique) else None
    rate = fig.get("scanRate") or {}
    scan_rate = (
        quantity_si(rate.get("value"), rate.get("unit"), "scan_rate") if isinstance(rate, dict) else None
    )
    e_field = fields.get(layout.header[roles["potential"]], {})
    system = echem.get("system") or {}
    electrodes = system.get("electrodes") if isinstance(system, dict) else None
    reference = e_field.get("reference") or (
        reference_from_electrodes(electrodes) if isinstance(electrodes, list) else None
    )
    area = None
    working: dict[str, Any] = {}
    for el in electrodes if isinstance(electrodes, list) else []:
        if isinstance(el, dict) and "working" in str(el.get("function", "")).lower():
            a = el.get("geometricElectrolyteContactArea")
            if isinstance(a, dict):
                area = quantity_si(a.get("value"), a.get("unit"), "area")
            working = {k: el[k] for k in ("material", "crystallographicOrientation", "type") if k in el}
    src = echem.get("source") or {}
    metadata: dict[str, Any] = {
        "package": resource.get("name"),
        "figure_type": fig.get("type"),
        "file_technique": fig.get("measurementType"),
        "literature": {k: src[k] for k in ("citationKey", "url", "figure", "curve") if k in src}
        if isinstance(src, dict)
        else {},
        "working_electrode": working,
        "electrolyte": system.get("electrolyte") if isinstance(system, dict) else None,
        "fields": {n: {k: v for k, v in f.items() if k in ("unit", "reference")} for n, f in fields.items()},
    }
    if fig.get("comment"):
        metadata["comment"] = fig["comment"]
    col = {r: data[:, k] for k, r in enumerate(order)}
    return [
        build_voltammogram(
            source=source,
            fmt="echemdb",
            potential=col["potential"],
            current=col["current"],
            potential_unit=units["potential"],
            current_unit=units["current"],
            labels={
                r: f"{layout.header[roles[r]]} [{fields[layout.header[roles[r]]].get('unit')}]" for r in order
            },
            time=col.get("time"),
            time_unit=units.get("time"),
            technique=technique,
            scan_rate=scan_rate,
            area_m2=area,
            reference_electrode=str(reference) if reference else None,
            sign_convention=None,
            metadata=metadata,
        )
    ]

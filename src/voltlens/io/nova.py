"""Metrohm Autolab NOVA ASCII exports.

One header row naming the columns (``Time (s)``, ``WE(1).Potential (V)``, ``WE(1).Current (A)``,
``Potential applied (V)``, ``Scan``, ``Index``, ...), then rows separated by ``;`` or tabs (a
decimal comma is possible with ``;``).  The measured ``WE(1).Potential`` is preferred over the
applied potential; ``Scan`` numbers the cycles.  NOVA writes anodic current positive (IUPAC).

NOVA does not write the scan rate or the reference electrode: the scan rate is estimated from
the time column, and an echemdb metadata YAML beside the file (same name, ``.yaml``/``.yml``;
``figureDescription.scanRate``, ``dataDescription.fieldUnits[E].reference``, the working
electrode's ``geometricElectrolyteContactArea``) fills them in when present.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model import SignConvention, Voltammogram
from .echemdb import quantity_si, reference_from_electrodes
from .generic import read_generic

__all__ = ["looks_like_nova", "read_nova"]


def looks_like_nova(header: list[str] | None) -> bool:
    """A NOVA header names ``WE(1).`` columns or ``Potential applied (V)``."""
    if not header:
        return False
    return any(
        h.strip().startswith("WE(") or h.strip().lower().startswith("potential applied") for h in header
    )


def _sidecar(path: Path) -> tuple[dict[str, Any], Path] | None:
    import yaml

    for suffix in (".yaml", ".yml"):
        candidate = path.with_suffix(suffix)
        if candidate.is_file() and candidate.stat().st_size < 1 << 20:
            try:
                doc = yaml.safe_load(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                return None
            return (doc, candidate) if isinstance(doc, dict) else None
    return None


def _from_sidecar(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    fig = doc.get("figureDescription") or {}
    rate = fig.get("scanRate") if isinstance(fig, dict) else None
    if isinstance(rate, dict):
        out["scan_rate"] = quantity_si(rate.get("value"), rate.get("unit"), "scan_rate")
    data_desc = doc.get("dataDescription") or {}
    for field in (data_desc.get("fieldUnits") or []) if isinstance(data_desc, dict) else []:
        if isinstance(field, dict) and field.get("name") == "E" and field.get("reference"):
            out["reference"] = str(field["reference"])
    system = doc.get("system") or {}
    electrodes = system.get("electrodes") if isinstance(system, dict) else None
    if isinstance(electrodes, list):
        out.setdefault("reference", reference_from_electrodes(electrodes))
        for el in electrodes:
            if isinstance(el, dict) and "working" in str(el.get("function", "")).lower():
                area = el.get("geometricElectrolyteContactArea")
                if isinstance(area, dict):
                    out["area_m2"] = quantity_si(area.get("value"), area.get("unit"), "area")
                out["working_electrode"] = {
                    k: el[k] for k in ("material", "crystallographicOrientation", "type") if k in el
                }
    source = doc.get("source")
    if isinstance(source, dict):
        out["literature"] = {k: source[k] for k in ("citationKey", "url", "figure", "curve") if k in source}
    return out


def read_nova(path: Path, source: str) -> list[Voltammogram]:
    metadata: dict[str, Any] = {"instrument": "Metrohm Autolab (NOVA export)"}
    side = _sidecar(path)
    extra: dict[str, Any] = {}
    if side is not None:
        doc, side_path = side
        extra = _from_sidecar(doc)
        metadata["sidecar"] = side_path.name
        for key in ("working_electrode", "literature"):
            if extra.get(key):
                metadata[key] = extra[key]
    (v,) = read_generic(
        path,
        source,
        fmt="nova",
        metadata=metadata,
        sign_convention=SignConvention.IUPAC,
        sign_basis="Autolab/NOVA convention (anodic current positive)",
    )
    changes: dict[str, Any] = {}
    if extra.get("scan_rate"):
        changes["scan_rate"] = extra["scan_rate"]
        changes["metadata"] = {**v.metadata, "scan_rate_basis": f"stated by {metadata['sidecar']}"}
    if extra.get("reference") and v.reference_electrode is None:
        changes["reference_electrode"] = extra["reference"]
    if extra.get("area_m2"):
        changes["area_m2"] = extra["area_m2"]
    return [v.replace(**changes) if changes else v]

"""The analysis-contract report a perfect reader would give for a labelled figure.

Built from the label truth only (peaks, couples and visible artifacts of every curve), validated
against :class:`voltlens.analyze.contract.AnalysisReport`, and written compactly (fields equal to
their defaults are left out) so that it is a reasonable training target for a VLM.  Series
figures are not covered yet (``None``): their contract blocks need fitted statistics that a
label does not state.
"""

from __future__ import annotations

from typing import Any

from .templates import ANOMALY_KIND, VISIBLE_SEVERITY, quantity

__all__ = ["MAX_REPORT_PEAKS", "report_from_label"]

MAX_REPORT_PEAKS = 8


def _peak(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "direction": p["direction"],
        "cycle": p["cycle"],
        "segment": p["segment"],
        "potential": quantity(p["potential_V"], "V"),
        "current": quantity(p["current_A"], "A"),
        "confidence": 1.0,
    }


def _couple(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "E_half": quantity(c["E_half_V"], "V"),
        "delta_Ep": quantity(c["delta_Ep_V"], "V"),
        "current_ratio": quantity(c["current_ratio"], "1"),
        "reversibility": c["reversibility"],
        "confidence": 1.0,
        "anodic_peak": c["anodic"],
        "cathodic_peak": c["cathodic"],
    }


def _curve(curve: dict[str, Any], name: str) -> dict[str, Any]:
    rate = curve.get("scan_rate_V_s")
    return {
        "source": name,
        "technique": curve["technique"],
        "scan_rate": None if rate is None else quantity(rate, "V/s"),
        "peaks": [_peak(p) for p in curve["peaks"]],
        "couples": [_couple(c) for c in curve["couples"]],
        "anomalies": [
            {
                "kind": ANOMALY_KIND.get(a["kind"], a["kind"]),
                "confidence": 1.0,
                "detail": a["kind"].replace("_", " "),
                "severity": round(a["severity"], 2),
            }
            for a in curve["artifacts"]
            if a["severity"] >= VISIBLE_SEVERITY
        ],
    }


def _interpretation(curves: list[dict[str, Any]]) -> str:
    parts = []
    for c in curves:
        couples = ", ".join(f"E½ {q['E_half']['value']:+.3f} V ({q['reversibility']})" for q in c["couples"])
        bits = f"{c['source']}: {c['technique']}, {len(c['peaks'])} peak(s)"
        if couples:
            bits += f", {couples}"
        if c["anomalies"]:
            bits += "; artifacts: " + ", ".join(dict.fromkeys(a["kind"] for a in c["anomalies"]))
        parts.append(bits)
    return ". ".join(parts) + "."


def report_from_label(label: dict[str, Any]) -> dict[str, Any] | None:
    """The compact contract JSON for a single or overlay figure; ``None`` where not covered."""
    from ..analyze.contract import AnalysisReport

    if label["kind"] not in ("single", "overlay"):
        return None
    if sum(len(c["peaks"]) for c in label["curves"]) > MAX_REPORT_PEAKS:
        return None
    names = [c.get("legend") or f"curve {k + 1}" for k, c in enumerate(label["curves"])]
    curves = [_curve(c, name) for c, name in zip(label["curves"], names, strict=True)]
    data = {
        "schema_version": "1",
        "curves": curves,
        "series": None,
        "interpretation": _interpretation(curves),
    }
    report = AnalysisReport.model_validate(data)
    out = report.model_dump(mode="json", exclude_defaults=True)
    out["schema_version"] = "1"
    return out

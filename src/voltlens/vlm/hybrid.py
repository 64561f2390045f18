"""Hybrid reading: the built-in engine and a VLM on the same figure, with their disagreements.

The engine's report is the base (its numbers are measured on the digitised curve); each engine
peak or couple that the VLM places elsewhere, or does not report, has its confidence lowered,
and every disagreement is listed.  Where the engine could not read the figure the VLM's report
is returned with that noted.  Pure: works on contract dicts.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["DISAGREEMENT_FACTOR", "merge_reports"]

DISAGREEMENT_FACTOR = 0.5  # confidence multiplier where the two readers disagree
POTENTIAL_TOL_V = 0.03
CURRENT_REL_TOL = 0.25


def _value(q: dict[str, Any] | None) -> float | None:
    return None if not q else q.get("value")


def _nearest(peak: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any] | None:
    e = _value(peak["potential"])
    same = [
        o
        for o in others
        if o.get("direction") == peak["direction"] and _value(o.get("potential")) is not None
    ]
    if e is None or not same:
        return None
    return min(same, key=lambda o: abs(_value(o["potential"]) - e))


def _peak_disagreement(peak: dict[str, Any], other: dict[str, Any] | None) -> str | None:
    e = _value(peak["potential"])
    if other is None:
        return f"the VLM reports no {peak['direction']} peak near {e:+.3f} V"
    de = abs(_value(other["potential"]) - e)
    if de > POTENTIAL_TOL_V:
        return f"{peak['direction']} peak at {e:+.3f} V: the VLM places it {de * 1e3:.0f} mV away"
    i, j = _value(peak.get("current")), _value(other.get("current"))
    if i and j is not None and abs(j - i) > CURRENT_REL_TOL * abs(i):
        return (
            f"{peak['direction']} peak at {e:+.3f} V: the VLM's current differs by {abs(j - i) / abs(i):.0%}"
        )
    return None


def merge_reports(engine: dict[str, Any] | None, vlm: dict[str, Any] | None) -> dict[str, Any]:
    """The engine's report with confidence lowered where the VLM disagrees, plus ``disagreements``."""
    if engine is None and vlm is None:
        raise ValueError("merge_reports needs at least one report")
    if engine is None:
        out = copy.deepcopy(vlm)
        out["disagreements"] = []
        out.setdefault("notes", []).append("the built-in engine could not read this figure; VLM report only")
        return out
    out = copy.deepcopy(engine)
    notes: list[str] = []
    if vlm is None:
        out["disagreements"] = []
        out["notes"] = ["the VLM gave no usable answer; engine report only"]
        return out
    v_curves = vlm.get("curves", [])
    for k, curve in enumerate(out.get("curves", [])):
        v_peaks = v_curves[k].get("peaks", []) if k < len(v_curves) else []
        for p, peak in enumerate(curve.get("peaks", [])):
            problem = _peak_disagreement(peak, _nearest(peak, v_peaks))
            if problem:
                peak["confidence"] = round(peak["confidence"] * DISAGREEMENT_FACTOR, 4)
                notes.append(f"curves[{k}].peaks[{p}]: {problem}")
        v_couples = v_curves[k].get("couples", []) if k < len(v_curves) else []
        for c, couple in enumerate(curve.get("couples", [])):
            e = _value(couple["E_half"])
            near = [abs(_value(o["E_half"]) - e) for o in v_couples if _value(o.get("E_half")) is not None]
            if e is not None and (not near or min(near) > POTENTIAL_TOL_V):
                couple["confidence"] = round(couple["confidence"] * DISAGREEMENT_FACTOR, 4)
                notes.append(f"curves[{k}].couples[{c}]: the VLM reports no couple with E½ near {e:+.3f} V")
        v_kinds = {a.get("kind") for a in (v_curves[k].get("anomalies", []) if k < len(v_curves) else [])}
        for a, anomaly in enumerate(curve.get("anomalies", [])):
            if anomaly["kind"] not in v_kinds:
                anomaly["confidence"] = round(anomaly["confidence"] * DISAGREEMENT_FACTOR, 4)
                notes.append(f"curves[{k}].anomalies[{a}]: the VLM does not see {anomaly['kind']}")
    if len(v_curves) != len(out.get("curves", [])):
        notes.append(f"the engine reads {len(out.get('curves', []))} curve(s), the VLM {len(v_curves)}")
    out["disagreements"] = notes
    if vlm.get("interpretation"):
        out["vlm_interpretation"] = vlm["interpretation"]
    return out

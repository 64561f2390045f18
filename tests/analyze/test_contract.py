"""The JSON contract of ``voltlens analyze --json``: the minimum keys, units on the wire, no NaN/inf,
round trip through the pydantic model, and the published schema."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from voltlens.analyze import analyze, combine
from voltlens.analyze.contract import SCHEMA_VERSION, AnalysisReport, analysis_schema, build_report, to_json
from voltlens.analyze.result import Anomaly, CurveAnalysis, FoundCouple, FoundPeak, Quantity
from voltlens.model import Voltammogram

NAN = math.nan


def _strict_loads(text: str):
    def refuse(token):
        raise AssertionError(f"non-JSON number {token} in output")

    return json.loads(text, parse_constant=refuse)


def _toy_curve(*, density: bool = False, nan: bool = False) -> CurveAnalysis:
    e = np.concatenate([np.linspace(-0.3, 0.3, 61), np.linspace(0.3, -0.3, 61)])
    i = np.concatenate([np.linspace(0, 1, 61), np.linspace(1, 0, 61)]) * 1e-5
    v = Voltammogram(e, i, scan_rate=0.1, current_is_density=density, source="toy.csv")
    u = NAN if nan else 1e-8
    pa = FoundPeak("anodic", 1, 0, Quantity(0.03, "V", 0.001), Quantity(10.0, "A", u), 0.5, confidence=0.9)
    pc = FoundPeak(
        "cathodic", 1, 1, Quantity(-0.03, "V", 0.001), Quantity(-9.0, "A", u), -0.5, confidence=0.8
    )
    couple = FoundCouple(
        0,
        1,
        Quantity(0.0, "V", 0.001),
        Quantity(0.060, "V", 0.0014),
        Quantity(1.11, "1", NAN),
        "reversible",
        0.85,
        k0=Quantity(math.inf if nan else 1e-4, "m/s", NAN),
    )
    anomaly = Anomaly("noise", 0.7, "noisy", severity=NAN if nan else 0.2)
    return CurveAnalysis(v, Quantity(1e-8, "A", NAN), (pa, pc), (couple,), (anomaly,))


def test_minimum_contract_keys_and_types():
    data = _strict_loads(to_json(build_report((_toy_curve(),))))
    assert data["schema_version"] == SCHEMA_VERSION == "1"
    assert data["series"] is None and isinstance(data["interpretation"], str)
    (curve,) = data["curves"]
    assert curve["source"] == "toy.csv" and curve["technique"] == "CV"
    assert curve["scan_rate"] == {"value": 0.1, "unit": "V/s", "uncertainty": None}
    for peak in curve["peaks"]:
        assert peak["direction"] in ("anodic", "cathodic")
        assert isinstance(peak["cycle"], int)
        assert peak["potential"]["unit"] == "V" and peak["current"]["unit"] == "A"
        assert set(peak["potential"]) >= {"value", "unit", "uncertainty"}
        assert 0 <= peak["confidence"] <= 1
    (couple,) = curve["couples"]
    assert set(couple) >= {"E_half", "delta_Ep", "current_ratio", "reversibility", "confidence"}
    assert couple["delta_Ep"] == {"value": 0.06, "unit": "V", "uncertainty": 0.0014}
    assert couple["k0"]["unit"] == "cm/s" and couple["k0"]["value"] == pytest.approx(1e-2)  # 1e-4 m/s
    assert curve["anomalies"] == [
        {"kind": "noise", "confidence": 0.7, "detail": "noisy", "severity": 0.2, "cycle": None}
    ]


def test_nan_and_inf_never_reach_json():
    text = to_json(build_report((_toy_curve(nan=True),)))
    data = _strict_loads(text)
    peak = data["curves"][0]["peaks"][0]
    assert peak["current"]["uncertainty"] is None
    assert data["curves"][0]["couples"][0]["k0"]["value"] is None
    assert data["curves"][0]["anomalies"][0]["severity"] is None
    assert "NaN" not in text and "Infinity" not in text


def test_current_density_goes_out_in_A_per_cm2():
    data = _strict_loads(to_json(build_report((_toy_curve(density=True),))))
    curve = data["curves"][0]
    assert curve["current_unit"] == "A/cm2"
    peak = curve["peaks"][0]
    assert peak["current"]["unit"] == "A/cm2"
    assert peak["current"]["value"] == pytest.approx(10.0 * 1e-4)  # 10 A/m² = 1e-3 A/cm²
    assert peak["current"]["uncertainty"] == pytest.approx(1e-8 * 1e-4)


def test_round_trip_through_the_model():
    text = to_json(build_report((_toy_curve(),)))
    again = AnalysisReport.model_validate_json(text)
    assert _strict_loads(again.model_dump_json()) == _strict_loads(text)


def test_schema_requires_the_minimum_contract():
    schema = analysis_schema()
    json.dumps(schema)  # serialisable
    assert {"schema_version", "curves", "series", "interpretation"} <= set(schema["required"])
    defs = schema["$defs"]
    assert {"source", "technique", "scan_rate", "peaks", "couples", "anomalies"} <= set(
        defs["CurveOut"]["required"]
    )
    assert {"direction", "cycle", "potential", "current", "confidence"} <= set(defs["PeakOut"]["required"])
    assert {"E_half", "delta_Ep", "current_ratio", "reversibility", "confidence"} <= set(
        defs["CoupleOut"]["required"]
    )
    assert {"kind", "confidence", "detail"} <= set(defs["AnomalyOut"]["required"])
    assert set(defs["QuantityOut"]["required"]) == {"value", "unit", "uncertainty"}
    assert defs["PeakOut"]["properties"]["direction"]["enum"] == ["anodic", "cathodic"]
    assert set(defs["CurveOut"]["properties"]["technique"]["enum"]) == {"CV", "LSV", "DPV", "SWV"}
    kinds = {defs[k]["properties"]["kind"]["const"] for k in ("ScanRateSeriesOut", "ConcentrationSeriesOut")}
    assert kinds == {"scan_rate", "concentration"}


def test_confidence_out_of_range_is_refused_by_the_model():
    data = _strict_loads(to_json(build_report((_toy_curve(),))))
    data["curves"][0]["peaks"][0]["confidence"] = 1.5
    with pytest.raises(ValueError, match="confidence"):
        AnalysisReport.model_validate(data)


def _series(textbook, kind: str):
    rng = np.random.default_rng(3)
    curves = []
    if kind == "scan_rate":
        for v in (0.05, 0.1, 0.2, 0.4):
            s = textbook.simulate_cv(
                [textbook.Couple(0.0)],
                e_start=-0.35,
                e_vertex=0.35,
                scan_rate=v,
                step=2e-3,
                noise=3e-9,
                rng=rng,
            )
            curves.append(
                Voltammogram(s.potential, s.current, scan_rate=v, area_m2=7.07e-6, source=f"v{v}.csv")
            )
        return analyze(curves, concentration_mol_m3=1.0)
    for c in (0.0, 0.5, 1.0, 2.0):
        s = textbook.simulate_cv(
            [textbook.Couple(0.0, conc=max(c, 1e-12))],
            e_start=-0.35,
            e_vertex=0.35,
            step=2e-3,
            noise=3e-9,
            rng=rng,
        )
        curves.append(Voltammogram(s.potential, s.current, scan_rate=0.1, source=f"c{c}.csv"))
    return analyze(curves, concentrations=[0.0, 0.5, 1.0, 2.0])


@pytest.mark.parametrize("kind", ["scan_rate", "concentration"])
def test_series_contract(textbook, kind):
    result = _series(textbook, kind)
    text = to_json(result)
    data = _strict_loads(text)
    AnalysisReport.model_validate_json(text)
    series = data["series"]
    assert series["kind"] == kind
    if kind == "scan_rate":
        assert series["log_log_slope"]["unit"] == "1"
        assert series["diffusion_coefficient"]["unit"] == "cm2/s"
        assert series["diffusion_coefficient"]["value"] == pytest.approx(1e-5, rel=0.05)  # D = 1e-9 m²/s
        assert (
            series["log_log_slope_ci"]["low"]
            < series["log_log_slope"]["value"]
            < series["log_log_slope_ci"]["high"]
        )
    else:
        assert series["slope"]["unit"] == "A/mM"
        assert series["concentrations"][0] == {"value": 0.0, "unit": "mM", "uncertainty": None}
        assert {d["name"] for d in series["detection_limits"]} >= {"ich_residual"}
        for d in series["detection_limits"]:
            assert d["lod"]["unit"] == "mM" and d["definition"]


def test_combine_refuses_both_series_kinds():
    from voltlens.errors import ParameterError

    with pytest.raises(ParameterError, match="concentrations"):
        combine([_toy_curve(), _toy_curve()], concentrations=[1, 2], series="scan_rate")
    with pytest.raises(ParameterError, match="one value per curve"):
        combine([_toy_curve(), _toy_curve()], concentrations=[1, 2, 3])

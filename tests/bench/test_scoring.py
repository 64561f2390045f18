"""Scoring: tolerances and units, Hungarian peak matching, failure modes, Wilson CIs, confusion, ECE."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from scipy.stats import binomtest

from voltlens.bench.answers import parse_response
from voltlens.bench.scoring import FAILURE_MODES, calibration, score, summarize, wilson
from voltlens.dataset.templates import TEMPLATES, quantity


def item(template: str, truth: dict, **extra) -> dict:
    t = TEMPLATES[template]
    meta = {"legends": extra.pop("legends", [])}
    return {
        "id": "x",
        "template": template,
        "skill": t.skill,
        "answer_schema": t.answer_schema,
        "truth": truth,
        "tolerance": t.tolerance,
        "meta": meta,
        **extra,
    }


def run(it: dict, raw: str):
    return score(it, parse_response(raw, it["answer_schema"], choices=it["meta"]["legends"]))


E_HALF = item("values.e_half", {"E_half": quantity(0.480, "V")})


@pytest.mark.parametrize(
    ("raw", "correct", "mode"),
    [
        ('{"E_half": {"value": 0.49, "unit": "V"}}', True, None),  # 10 mV off, tol 15 mV
        ('{"E_half": {"value": 0.50, "unit": "V"}}', False, "wrong_value"),  # 20 mV off
        ('{"E_half": {"value": 494, "unit": "mV"}}', True, None),  # mV converted
        ('{"E_half": {"value": 500, "unit": "mV"}}', False, "wrong_value"),
        ("E½ is 480000 µV", True, None),
        ('{"E_half": {"value": 480, "unit": "V"}}', False, "unit_scale"),  # ×1000
        ('{"E_half": 480}', False, "unit_scale"),  # bare number read in V
        ('{"E_half": {"value": 0.00048, "unit": "V"}}', False, "unit_scale"),
        ('{"E_half": {"value": -0.48, "unit": "V"}}', False, "sign_or_direction"),
        ('{"E_half": {"value": 0.48, "unit": "A"}}', False, "wrong_value"),
        ("I'm sorry, I cannot tell.", False, "refusal"),
        ("no idea", False, "unparseable"),
        ('{"E_half": [0.48]}', False, "invalid_schema"),
    ],
)
def test_quantity_tolerance_and_failure_modes(raw, correct, mode):
    s = run(E_HALF, raw)
    assert (s.correct, s.failure_mode) == (correct, mode), s.detail
    assert s.score == (1.0 if correct else 0.0)
    assert mode is None or mode in FAILURE_MODES


def test_near_zero_truth_is_not_called_a_scale_or_sign_error():
    it = item("values.e_half", {"E_half": quantity(0.004, "V")})
    assert run(it, '{"E_half": {"value": 4, "unit": "V"}}').failure_mode == "wrong_value"
    assert run(it, '{"E_half": {"value": -0.004, "unit": "V"}}').correct  # within 15 mV anyway


def test_relative_tolerance():
    it = item("concentration.unknown", {"concentration": quantity(2.0, "mM")})
    assert run(it, "c ≈ 2.25 mM").correct  # 12.5 % < 15 %
    assert not run(it, "c ≈ 2.4 mM").correct
    assert run(it, "c ≈ 2000 µM").correct
    assert run(it, "c ≈ 2000 mM").failure_mode == "unit_scale"


def _peaks(*rows: tuple[str, float, float]) -> dict:
    return {
        "peaks": [
            {"direction": d, "potential": quantity(e, "V"), "current": quantity(i, "A")} for d, e, i in rows
        ]
    }


TRUE_PEAKS = _peaks(("cathodic", -0.10, -5e-6), ("anodic", -0.04, 5e-6), ("anodic", 0.50, 2e-6))


def _answer(rows) -> str:
    return json.dumps(_peaks(*rows))


def test_hungarian_matching_ignores_order_and_uses_magnitudes():
    it = item("peaks.currents", TRUE_PEAKS)
    shuffled = [("anodic", 0.505, 2.1e-6), ("cathodic", -0.095, 5.2e-6), ("anodic", -0.045, 4.8e-6)]
    assert run(it, _answer(shuffled)).correct


def test_missed_and_spurious_peaks():
    it = item("peaks.currents", TRUE_PEAKS)
    missed = run(it, _answer([("cathodic", -0.10, -5e-6), ("anodic", -0.04, 5e-6)]))
    assert missed.failure_mode == "missed_peak" and missed.score == pytest.approx(2 / 3)
    extra = [
        ("cathodic", -0.10, -5e-6),
        ("anodic", -0.04, 5e-6),
        ("anodic", 0.50, 2e-6),
        ("anodic", 0.8, 1e-6),
    ]
    spurious = run(it, _answer(extra))
    assert spurious.failure_mode == "spurious_peak" and spurious.score == pytest.approx(3 / 4)
    swapped = run(it, _answer([("anodic", -0.10, 5e-6), ("anodic", -0.04, 5e-6), ("anodic", 0.50, 2e-6)]))
    assert swapped.failure_mode == "sign_or_direction"
    scaled = run(it, _answer([("cathodic", -100, -5e-6), ("anodic", -40, 5e-6), ("anodic", 500, 2e-6)]))
    assert scaled.failure_mode == "unit_scale"
    current = run(it, _answer([("cathodic", -0.10, -5e-3), ("anodic", -0.04, 5e-6), ("anodic", 0.50, 2e-6)]))
    assert current.failure_mode == "unit_scale" and current.score == pytest.approx(2 / 3)
    assert run(item("peaks.currents", {"peaks": []}), '{"peaks": []}').correct


def _brute_force_pairs(t: list[float], p: list[float], tol: float) -> int:
    """Most pairs within tolerance over every assignment (the independent truth for small sets)."""
    best = 0
    small, large = (t, p) if len(t) <= len(p) else (p, t)
    for perm in itertools.permutations(range(len(large)), len(small)):
        best = max(best, sum(abs(small[i] - large[j]) <= tol for i, j in enumerate(perm)))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_hungarian_agrees_with_brute_force(seed):
    rng = np.random.default_rng(seed)
    t = sorted(rng.uniform(-0.5, 0.5, rng.integers(1, 5)).round(3).tolist())
    p = np.array(t + rng.uniform(-0.5, 0.5, 2).tolist())[: rng.integers(1, len(t) + 3)]
    p = (p + rng.normal(0, 0.012, len(p))).round(3).tolist()
    it = item(
        "peaks.potentials", {"peaks": [{"direction": "anodic", "potential": quantity(e, "V")} for e in t]}
    )
    raw = json.dumps({"peaks": [{"direction": "anodic", "potential": quantity(e, "V")} for e in p]})
    s = run(it, raw)
    best = _brute_force_pairs(t, p, 0.015)
    assert s.score == pytest.approx(best / max(len(t), len(p)))
    assert s.correct == (best == len(t) == len(p))


def test_count_modes():
    it = item("peaks.count", {"n_peaks": 2, "anodic": 1, "cathodic": 1})
    assert run(it, "two peaks, one anodic and one cathodic").correct
    assert run(it, '{"n_peaks": 1, "anodic": 1, "cathodic": 0}').failure_mode == "missed_peak"
    assert run(it, '{"n_peaks": 3, "anodic": 2, "cathodic": 1}').failure_mode == "spurious_peak"
    it = item("peaks.count", {"n_peaks": 2, "anodic": 2, "cathodic": 0})
    assert run(it, '{"n_peaks": 2, "anodic": 0, "cathodic": 2}').failure_mode == "sign_or_direction"


def test_categories_and_confusion_record():
    it = item("reversibility.class", {"reversibility": "reversible", "delta_Ep": quantity(0.06, "V")})
    s = run(it, "quasi-reversible")
    assert s.failure_mode == "wrong_category"
    assert s.categorical == {"field": "reversibility", "true": "reversible", "pred": "quasi-reversible"}
    assert run(it, '{"reversibility": "reversible", "delta_Ep": {"value": 0.2, "unit": "V"}}').correct
    trend = item("concentration.trend", {"trend": "increases", "sensitivity": quantity(2e-6, "A/mM")})
    assert run(trend, "It decreases, 2 µA/mM").failure_mode == "sign_or_direction"
    assert run(trend, "It increases by 2.1 µA per mM").correct
    trust = item("anomaly.trust", {"trustworthy": False, "reasons": ["drift"]})
    assert run(trust, "yes").categorical == {"field": "trustworthy", "true": "false", "pred": "true"}


def test_wrong_curve_from_alternatives_and_legends():
    legends = ["A", "B", "C"]
    alts = [
        {"failure_mode": "wrong_curve", "answer": {"curve": "B", "current": quantity(3e-6, "A")}},
        {"failure_mode": "wrong_curve", "answer": {"curve": "C", "current": quantity(1e-6, "A")}},
    ]
    it = item(
        "compare.larger_peak",
        {"curve": "A", "current": quantity(6e-6, "A")},
        legends=legends,
        alternatives=alts,
    )
    assert run(it, "A, with 6.2 µA").correct
    assert run(it, '{"curve": "B", "current": {"value": 3, "unit": "µA"}}').failure_mode == "wrong_curve"
    assert run(it, '{"curve": "C", "current": {"value": 6, "unit": "µA"}}').failure_mode == "wrong_curve"
    assert run(it, '{"curve": "D", "current": {"value": 6, "unit": "µA"}}').failure_mode == "wrong_category"
    ranking = item("compare.ranking", {"ranking": ["A", "B", "C"]}, legends=legends)
    assert run(ranking, "C > B > A").failure_mode == "sign_or_direction"
    assert run(ranking, "B > A > C").failure_mode == "wrong_category"


def test_baseline_confusion_from_alternatives():
    truth = _peaks(("anodic", 0.1, 5e-6))
    alts = [{"failure_mode": "baseline_confusion", "answer": _peaks(("anodic", 0.1, 8e-6))}]
    it = item("peaks.currents", truth, alternatives=alts)
    assert run(it, _answer([("anodic", 0.1, 8e-6)])).failure_mode == "baseline_confusion"
    assert run(it, _answer([("anodic", 0.1, 5.2e-6)])).correct


def test_anomaly_sets():
    it = item("anomaly.kinds", {"anomalies": ["drift", "noise"]})
    assert run(it, "noise and drift").correct
    s = run(it, "noise only")
    assert not s.correct and s.failure_mode == "wrong_category" and s.score == pytest.approx(0.5)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (8, 10), (10, 10), (95, 100), (1, 1), (47, 50)])
def test_wilson_against_scipy(k, n):
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-9)
    assert wilson(0, 0) == (0.0, 1.0)


def test_calibration_by_hand():
    preds = [{"confidence": 0.95, "correct": True}] * 3 + [{"confidence": 0.95, "correct": False}]
    preds += [{"confidence": 0.25, "correct": False}] * 2 + [{"confidence": None, "correct": True}]
    cal = calibration(preds)
    # bins [0.9, 1): conf .95, acc .75 (n 4); [0.2, 0.3): conf .25, acc 0 (n 2)
    assert cal["ece"] == pytest.approx(4 / 6 * 0.2 + 2 / 6 * 0.25)
    assert sum(b["n"] for b in cal["bins"]) == 6 and len(cal["bins"]) == 10
    assert calibration([{"confidence": None, "correct": True}]) is None


def test_summary_by_hand():
    rows = [
        {
            "skill": "values",
            "template": "t1",
            "split": "synthetic",
            "correct": True,
            "score": 1.0,
            "failure_mode": None,
            "status": "ok",
            "confidence": None,
            "categorical": {"field": "regime", "true": "diffusion", "pred": "diffusion"},
        },
        {
            "skill": "values",
            "template": "t1",
            "split": "synthetic",
            "correct": False,
            "score": 0.0,
            "failure_mode": "unit_scale",
            "status": "ok",
            "confidence": None,
            "categorical": {"field": "regime", "true": "diffusion", "pred": "adsorption"},
        },
        {
            "skill": "scan_rate",
            "template": "t2",
            "split": "real",
            "correct": False,
            "score": 0.0,
            "failure_mode": "refusal",
            "status": "refusal",
            "confidence": None,
            "categorical": {"field": "regime", "true": "adsorption", "pred": None},
        },
    ]
    s = summarize(rows)
    assert s["n_items"] == 3 and s["accuracy"] == pytest.approx(1 / 3)
    assert list(s["skills"]) == ["values", "scan_rate"]  # SKILLS order
    assert s["skills"]["values"]["accuracy"] == 0.5 and s["skills"]["values"]["ci95"] == list(wilson(1, 2))
    assert s["failure_modes"] == {"refusal": 1, "unit_scale": 1}
    conf = s["confusion"]["regime"]
    assert conf["labels"] == ["adsorption", "diffusion", "(none)"]
    assert conf["matrix"] == [[0, 0, 1], [1, 1, 0], [0, 0, 0]]
    assert s["calibration"] is None and s["splits"]["real"]["n"] == 1


def test_direction_confusion_pairs_peaks_by_potential():
    truth = _peaks(("cathodic", -0.10, -5e-6), ("anodic", -0.04, 5e-6), ("anodic", 0.50, 2e-6))
    parsed = _peaks(("anodic", -0.095, 5e-6), ("anodic", -0.04, 5e-6))  # one swapped, one missed
    row = {
        "skill": "peak_detection",
        "template": "peaks.currents",
        "split": "synthetic",
        "correct": False,
        "score": 0.0,
        "failure_mode": "missed_peak",
        "status": "ok",
        "confidence": None,
        "categorical": None,
        "truth": truth,
        "parsed": parsed,
        "tolerance": TEMPLATES["peaks.currents"].tolerance,
    }
    conf = summarize([row])["confusion"]["direction"]
    assert conf["labels"] == ["anodic", "cathodic", "(none)"]
    assert conf["matrix"] == [[1, 0, 1], [1, 0, 0], [0, 0, 0]]


# ----------------------------------------------------------------------------------------------
# the whole analysis report (interpretation.report) and the summary


def _report_label(n_curves: int = 2, n_cycles: int = 1) -> dict:
    """A label as the simulator writes it (only the fields report_from_label reads)."""
    curves = []
    for k in range(n_curves):
        e0 = 0.1 + 0.3 * k
        peaks, couples = [], []
        for cyc in range(1, n_cycles + 1):
            base = len(peaks)
            peaks += [
                {"direction": "anodic", "cycle": cyc, "segment": 1, "potential_V": e0 + 0.03,
                 "current_A": 2e-6 * (k + 1), "baseline_A": 0.0},
                {"direction": "cathodic", "cycle": cyc, "segment": 2, "potential_V": e0 - 0.03,
                 "current_A": -1.9e-6 * (k + 1), "baseline_A": 0.0},
            ]  # fmt: skip
            couples.append(
                {"cycle": cyc, "species": 0, "E_half_V": e0, "delta_Ep_V": 0.06, "current_ratio": 1.05,
                 "reversibility": "reversible", "anodic": base, "cathodic": base + 1, "n": 1}
            )  # fmt: skip
        curves.append(
            {"legend": f"sample {k + 1}", "technique": "CV", "scan_rate_V_s": 0.1, "peaks": peaks,
             "couples": couples,
             "artifacts": [{"kind": "white_noise", "severity": 0.4, "params": {"rms_A": 1e-8}}]}
        )  # fmt: skip
    return {"kind": "overlay" if n_curves > 1 else "single", "technique": "CV", "curves": curves}


def _report_item(label: dict) -> dict:
    from voltlens.dataset.report import report_from_label

    return item("interpretation.report", report_from_label(label))


def _run_report(it: dict, report: dict):
    return run(it, json.dumps(report))


def test_report_truth_answer_is_correct_and_curve_order_does_not_matter():
    it = _report_item(_report_label(3))
    assert it["tolerance"]["match"] == "report"
    s = _run_report(it, it["truth"])
    assert s.correct and s.score == 1.0
    shuffled = {**it["truth"], "curves": it["truth"]["curves"][::-1]}  # a figure does not order its traces
    s = _run_report(it, shuffled)
    assert s.correct and s.score == 1.0, s.detail


def test_report_peak_or_couple_out_of_tolerance_is_wrong_with_partial_credit():
    it = _report_item(_report_label(2))
    pred = json.loads(json.dumps(it["truth"]))
    pred["curves"][1]["peaks"][0]["potential"]["value"] += 0.025  # 25 mV off: beyond ±15 mV
    s = _run_report(it, pred)
    assert not s.correct and 0.0 < s.score < 1.0 and s.failure_mode in ("missed_peak", "spurious_peak")
    pred = json.loads(json.dumps(it["truth"]))
    pred["curves"][0]["peaks"][1]["current"]["value"] *= 1.3  # |ip| 30 % off: beyond ±10 %
    s = _run_report(it, pred)
    assert not s.correct and 0.0 < s.score < 1.0 and s.failure_mode == "wrong_value"
    pred = json.loads(json.dumps(it["truth"]))
    pred["curves"][0]["couples"][0]["delta_Ep"]["value"] = 0.09  # ΔEp 30 mV off
    s = _run_report(it, pred)
    assert not s.correct and 0.0 < s.score < 1.0
    pred = json.loads(json.dumps(it["truth"]))
    pred["curves"][0]["couples"][0]["E_half"]["value"] += 0.004  # within tolerance
    pred["curves"][0]["peaks"][0]["current"]["value"] *= 1.05
    assert _run_report(it, pred).correct


def test_report_missing_curve_and_anomalies():
    it = _report_item(_report_label(2))
    one = {**it["truth"], "curves": it["truth"]["curves"][:1]}
    s = _run_report(it, one)
    assert not s.correct and s.failure_mode == "missed_peak" and 0.0 < s.score < 1.0
    # anomaly names give partial credit only: peaks and couples right → correct, score below 1
    pred = json.loads(json.dumps(it["truth"]))
    pred["curves"][0]["anomalies"] = []
    s = _run_report(it, pred)
    assert s.correct and s.score == pytest.approx((1 + 1 + 0.5) / 3)


def test_report_scores_the_first_cycle_only():
    it = _report_item(_report_label(1, n_cycles=3))
    first = json.loads(json.dumps(it["truth"]))
    curve = first["curves"][0]
    keep = [k for k, p in enumerate(curve["peaks"]) if p.get("cycle", 1) == 1]
    curve["peaks"] = [curve["peaks"][k] for k in keep]
    curve["couples"] = [c for c in curve["couples"] if c.get("anodic_peak") in keep]
    assert len(curve["peaks"]) == 2 and len(curve["couples"]) == 1
    assert _run_report(it, first).correct
    assert _run_report(it, it["truth"]).correct  # reporting every cycle is fine too


def test_summary_mechanisms_and_anomalies_are_partial_credit():
    truth = {
        "technique": "CV",
        "n_peaks": 2,
        "E_half": [quantity(0.2, "V")],
        "mechanisms": ["reversible"],
        "anomalies": ["noise"],
    }
    it = item("interpretation.summary", truth)
    assert run(it, json.dumps(truth)).correct
    s = run(it, json.dumps({**truth, "mechanisms": ["EC"], "anomalies": []}))
    assert s.correct and s.score == pytest.approx(3 / 5)
    s = run(it, json.dumps({**truth, "n_peaks": 3}))
    assert not s.correct and s.score == pytest.approx(4 / 5)
    s = run(it, json.dumps({**truth, "E_half": [quantity(0.24, "V")]}))
    assert not s.correct


def test_ocr_doubt_turns_a_plain_miss_into_ocr_misread_but_keeps_specific_modes():
    from voltlens.bench.scoring import Score, attribute_to_ocr

    doubt = {"digitization": {"ocr_suspect": ["current unit not read"]}}
    miss = Score(False, 0.0, "wrong_value", None, "E½ 0.512 V vs 0.480 V")
    assert attribute_to_ocr(miss, doubt).failure_mode == "ocr_misread"
    assert "current unit not read" in attribute_to_ocr(miss, doubt).detail
    assert attribute_to_ocr(miss, {"digitization": {"ocr_suspect": []}}).failure_mode == "wrong_value"
    assert attribute_to_ocr(miss, None).failure_mode == "wrong_value"
    scale = Score(False, 0.0, "unit_scale", None, "×1000")
    assert attribute_to_ocr(scale, doubt).failure_mode == "unit_scale"
    right = Score(True, 1.0, None, None, "")
    assert attribute_to_ocr(right, doubt) == right

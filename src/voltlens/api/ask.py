"""Answer a plain-language question about analysed voltammograms from their analysis report.

:func:`route` maps a question to one of :data:`~voltlens.api.models.INTENTS` with a few ordered
keyword rules (or says it cannot); :func:`answer` reads the answer out of an
:class:`~voltlens.analyze.contract.AnalysisReport`, quoting every number it uses as evidence
(value, unit, JSON path in the report) and giving a confidence taken from the findings it rests
on.  Nothing is invented: a question the report cannot settle gets ``answered=False`` and says
why.  Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..analyze.contract import AnalysisReport, EvidenceOut, QuantityOut
from .models import INTENTS, AskAnswer

__all__ = ["CANNOT_ANSWER", "answer", "route"]

CANNOT_ANSWER = (
    "I cannot answer that from the analysis. I can answer: how many peaks, peak potentials, peak "
    "currents, E½, ΔEp, the ipa/ipc ratio, reversibility, anomalies, the scan-rate dependence, trends "
    "across a series or cycles, the detection limit and the calibration."
)
_CONFIDENT = 0.5  # peaks below this confidence are mentioned but not counted

# Ordered: the first rule that matches wins (specific wording before generic wording).
_RULES: tuple[tuple[str, str], ...] = (
    ("detection_limit", r"\b(lod|loq|detection limits?|limits? of (detection|quantif\w*)|detectable)\b"),
    ("calibration", r"\b(sensitivity|calibration|linear (range|response)|linearity|r2|r²)\b"),
    (
        "scan_rate_dependence",
        r"(scan[- ]?rates?|sweep rates?|diffusion[- ]?(controlled|limited)|adsorb\w*|surface[- ]confined|"
        r"randles|log[- ]?log|\bregime\b|mass transport)",
    ),
    (
        "e_half",
        r"(e ?1/2|e½|e_half|half[- ]wave|formal (redox )?potential|mid-?point potential|\be0\b|e°|e0')",
    ),
    ("delta_ep", r"(δ ?e ?p|Δ ?e ?p|delta[ _-]?e ?p|peak[- ]to[- ]peak|peak separation|separation)"),
    ("current_ratio", r"(ratio|ipa ?/ ?ipc|ipc ?/ ?ipa|i_?pa ?/ ?i_?pc)"),
    ("reversibility", r"(reversib\w*|nernstian|quasi|electron[- ]transfer (kinetics|rate)|\bk0\b)"),
    ("trend", r"(trend|stab(le|ility)|decay\w*|degrad\w*|over (the )?cycles|cycle to cycle|fouling)"),
    (
        "anomalies",
        r"(anomal\w*|artifact\w*|artefact\w*|problems?|issues?|wrong|nois[ey]\w*|distort\w*|trust\w*|"
        r"quality|ir[- ]drop|ohmic|clipp\w*|saturat\w*|oxygen|glitch\w*)",
    ),
    ("peak_count", r"(how many (peaks?|waves?|redox|processes)|number of (peaks?|waves?)|count)"),
    (
        "peak_potentials",
        r"(peak potentials?|where (are|is|do)|at what potentials?|which potentials?|potentials? of the|"
        r"\be ?p ?[ac]?\b|oxidi[sz]\w*|reduc\w*)",
    ),
    ("peak_currents", r"(peak currents?|peak heights?|\bi ?p ?[ac]?\b|how (large|big|high|tall)|current)"),
)
_COMPILED = tuple((intent, re.compile(rule, re.IGNORECASE)) for intent, rule in _RULES)
assert {i for i, _ in _RULES} == set(INTENTS)


def route(question: str) -> str | None:
    """The intent a question asks about, or None when it is none of those the engine answers."""
    text = " ".join(question.split())
    for intent, pattern in _COMPILED:
        if pattern.search(text):
            return intent
    return None


def answer(report: AnalysisReport, question: str, *, intent: str | None = None) -> AskAnswer:
    """The engine's answer to ``question`` about ``report`` (``intent`` skips the routing)."""
    chosen = intent or route(question)
    if chosen is None:
        return _unanswered(question, None, CANNOT_ANSWER)
    return _HANDLERS[chosen](report, question)


# ----------------------------------------------------------------------------------------------
# helpers


def _unanswered(question: str, intent: str | None, why: str) -> AskAnswer:
    return AskAnswer(
        question=question,
        answered=False,
        intent=intent,
        answer=why,
        structured={},
        evidence=[],
        confidence=0.0,
    )


def _ev(text: str, path: str, q: QuantityOut | None) -> EvidenceOut | None:
    if q is None or q.value is None:
        return None
    return EvidenceOut(text=text, path=path, value=q.value, unit=q.unit)


def _num(q: QuantityOut | None, scale: float = 1.0, unit: str | None = None, digits: int = 4) -> str:
    if q is None or q.value is None:
        return "unknown"
    text = f"{q.value * scale:.{digits}g}"
    if q.uncertainty is not None:
        text += f" ± {q.uncertainty * scale:.2g}"
    return f"{text} {unit or q.unit}"


def _qd(q: QuantityOut | None) -> dict | None:
    return None if q is None else q.model_dump(mode="json")


def _label(report: AnalysisReport, i: int) -> str:
    return f"curve {i} ({report.curves[i].source})" if len(report.curves) > 1 else report.curves[i].source


def _done(
    question: str, intent: str, text: str, structured: dict, evidence: list, confidence: float
) -> AskAnswer:
    return AskAnswer(
        question=question,
        answered=True,
        intent=intent,
        answer=text,
        structured=structured,
        evidence=[e for e in evidence if e is not None],
        confidence=float(min(1.0, max(0.0, confidence))),
    )


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _first_cycle_peaks(curve) -> list[tuple[int, object]]:  # type: ignore[no-untyped-def]
    if not curve.peaks:
        return []
    first = min(p.cycle for p in curve.peaks)
    return [(k, p) for k, p in enumerate(curve.peaks) if p.cycle == first]


# ----------------------------------------------------------------------------------------------
# per-curve peaks


def _peak_count(report: AnalysisReport, question: str) -> AskAnswer:
    rows, parts, evidence, confs = [], [], [], []
    for i, curve in enumerate(report.curves):
        peaks = _first_cycle_peaks(curve)
        counted = [(k, p) for k, p in peaks if p.confidence >= _CONFIDENT and not p.shoulder]
        doubtful = [(k, p) for k, p in peaks if (k, p) not in counted]
        n_a = sum(p.direction == "anodic" for _, p in counted)
        n_c = len(counted) - n_a
        rows.append(
            {
                "curve": i,
                "source": curve.source,
                "n_peaks": len(counted),
                "anodic": n_a,
                "cathodic": n_c,
                "doubtful": len(doubtful),
            }
        )
        extra = f", plus {len(doubtful)} doubtful or shoulder peak(s)" if doubtful else ""
        parts.append(f"{_label(report, i)}: {len(counted)} peak(s) ({n_a} anodic, {n_c} cathodic){extra}")
        for k, p in counted:
            evidence.append(_ev(f"{p.direction} peak at", f"curves[{i}].peaks[{k}].potential", p.potential))
        confs.extend(p.confidence for _, p in counted)
        confs.extend(1.0 - p.confidence for _, p in doubtful if not p.shoulder)
    text = "; ".join(parts) + " (first cycle)."
    return _done(question, "peak_count", text, {"curves": rows}, evidence, _mean(confs, 0.6))


def _peak_list(report: AnalysisReport, question: str, what: str) -> AskAnswer:
    intent = "peak_potentials" if what == "potential" else "peak_currents"
    rows, parts, evidence, confs = [], [], [], []
    for i, curve in enumerate(report.curves):
        peaks = _first_cycle_peaks(curve)
        if not peaks:
            parts.append(f"{_label(report, i)}: no peaks")
            continue
        items = []
        for k, p in peaks:
            q = p.potential if what == "potential" else p.current
            rows.append(
                {"curve": i, "peak": k, "direction": p.direction, what: _qd(q), "confidence": p.confidence}
            )
            evidence.append(_ev(f"{p.direction} peak {what}", f"curves[{i}].peaks[{k}].{what}", q))
            confs.append(p.confidence)
            shown = _num(q, 1e3, "mV", 4) if what == "potential" else _num(q, 1e6, "µ" + q.unit, 3)
            items.append(f"{p.direction} {shown}")
        parts.append(f"{_label(report, i)}: " + ", ".join(items))
    if not rows:
        return _unanswered(question, intent, "No peaks were found, so there are no peak " + what + "s.")
    return _done(question, intent, "; ".join(parts) + ".", {"peaks": rows}, evidence, _mean(confs, 0.0))


def _peak_potentials(report: AnalysisReport, question: str) -> AskAnswer:
    return _peak_list(report, question, "potential")


def _peak_currents(report: AnalysisReport, question: str) -> AskAnswer:
    return _peak_list(report, question, "current")


# ----------------------------------------------------------------------------------------------
# couples


def _couple_answer(report: AnalysisReport, question: str, intent: str) -> AskAnswer:
    field = {"e_half": "E_half", "delta_ep": "delta_Ep", "current_ratio": "current_ratio"}.get(intent)
    rows, parts, evidence, confs = [], [], [], []
    for i, curve in enumerate(report.curves):
        for j, c in enumerate(curve.couples):
            path = f"curves[{i}].couples[{j}]"
            row = {"curve": i, "couple": j, "confidence": c.confidence}
            if field is None:  # reversibility
                row |= {
                    "reversibility": c.reversibility,
                    "delta_Ep": _qd(c.delta_Ep),
                    "current_ratio": _qd(c.current_ratio),
                    "reasons": c.reasons,
                }
                evidence += [
                    _ev("ΔEp", f"{path}.delta_Ep", c.delta_Ep),
                    _ev("|ipa/ipc|", f"{path}.current_ratio", c.current_ratio),
                ]
                why = f" ({'; '.join(c.reasons)})" if c.reasons else ""
                parts.append(f"{_label(report, i)}: {c.reversibility}{why}")
            else:
                q = getattr(c, field)
                row[field] = _qd(q)
                evidence.append(_ev(field, f"{path}.{field}", q))
                shown = {
                    "E_half": lambda q: "E½ = " + _num(q, 1e3, "mV", 4),
                    "delta_Ep": lambda q: "ΔEp = " + _num(q, 1e3, "mV", 3),
                    "current_ratio": lambda q: "|ipa/ipc| = " + _num(q, 1.0, "", 3).strip(),
                }[field](q)
                parts.append(f"{_label(report, i)}: {shown}")
            rows.append(row)
            confs.append(c.confidence)
    if not rows:
        return _unanswered(
            question,
            intent,
            "No redox couple (a matched anodic and cathodic peak) was found, so this cannot be answered; "
            "it needs a cyclic voltammogram with both an oxidation and a reduction peak.",
        )
    return _done(question, intent, "; ".join(parts) + ".", {"couples": rows}, evidence, _mean(confs, 0.0))


def _e_half(report, question):  # type: ignore[no-untyped-def]
    return _couple_answer(report, question, "e_half")


def _delta_ep(report, question):  # type: ignore[no-untyped-def]
    return _couple_answer(report, question, "delta_ep")


def _ratio(report, question):  # type: ignore[no-untyped-def]
    return _couple_answer(report, question, "current_ratio")


def _reversibility(report, question):  # type: ignore[no-untyped-def]
    return _couple_answer(report, question, "reversibility")


# ----------------------------------------------------------------------------------------------
# anomalies, series, trends


def _anomalies(report: AnalysisReport, question: str) -> AskAnswer:
    rows, parts = [], []
    for i, curve in enumerate(report.curves):
        for k, a in enumerate(curve.anomalies):
            rows.append(
                {
                    "curve": i,
                    "anomaly": k,
                    "kind": a.kind,
                    "confidence": a.confidence,
                    "detail": a.detail,
                    "severity": a.severity,
                }
            )
            parts.append(f"{_label(report, i)}: {a.kind} ({a.confidence:.2f}) — {a.detail}")
    if not rows:
        # the detectors report anomalies from confidence 0.5: none found means none that likely
        return _done(
            question,
            "anomalies",
            "No anomalies were detected (none at confidence 0.5 or above).",
            {"anomalies": []},
            [],
            0.5 + 0.5 * _mean([p.confidence for c in report.curves for p in c.peaks], 0.0),
        )
    text = "; ".join(parts) + "."
    return _done(question, "anomalies", text, {"anomalies": rows}, [], max(r["confidence"] for r in rows))


def _scan_rate(report: AnalysisReport, question: str) -> AskAnswer:
    s = report.series
    if s is None or s.kind != "scan_rate":
        return _unanswered(
            question,
            "scan_rate_dependence",
            "This needs several curves at different scan rates (send them together, with scan_rates if the "
            "files do not state them).",
        )
    ev = [
        _ev("log|ip| vs log v slope", "series.log_log_slope", s.log_log_slope),
        _ev("D (Randles–Ševčík)", "series.diffusion_coefficient", s.diffusion_coefficient),
        _ev("dEp/dlog v", "series.peak_potential_slope", s.peak_potential_slope),
    ]
    text = (
        f"The log|ip|–log v slope is {_num(s.log_log_slope, 1.0, '', 3).strip()} "
        f"(95% CI {s.log_log_slope_ci.low:.3g}…{s.log_log_slope_ci.high:.3g}): {s.regime} control ({s.criterion})."
    )
    if s.diffusion_coefficient is not None:
        text += f" Randles–Ševčík D = {_num(s.diffusion_coefficient, 1.0, 'cm²/s', 3)}."
    structured = {
        "regime": s.regime,
        "log_log_slope": _qd(s.log_log_slope),
        "log_log_slope_ci": s.log_log_slope_ci.model_dump(mode="json"),
        "diffusion_coefficient": _qd(s.diffusion_coefficient),
        "delta_Ep_trend": s.delta_Ep_trend,
    }
    return _done(question, "scan_rate_dependence", text, structured, ev, s.regime_confidence)


def _trend(report: AnalysisReport, question: str) -> AskAnswer:
    s = report.series
    if s is not None and s.kind == "scan_rate":
        out = _scan_rate(report, question)
        extra = f" ΔEp trend with scan rate: {s.delta_Ep_trend}." if s.delta_Ep_trend else ""
        return out.model_copy(update={"intent": "trend", "answer": out.answer + extra})
    if s is not None and s.kind == "concentration":
        out = _calibration(report, question)
        return out.model_copy(update={"intent": "trend"})
    rows, parts, evidence = [], [], []
    for i, curve in enumerate(report.curves):
        st = curve.cycle_stability
        if st is None:
            continue
        rows.append(
            {
                "curve": i,
                "decay_per_cycle": _qd(st.decay_per_cycle),
                "retained": _qd(st.retained),
                "significant": st.significant,
                "model": st.model,
            }
        )
        evidence.append(
            _ev("decay per cycle", f"curves[{i}].cycle_stability.decay_per_cycle", st.decay_per_cycle)
        )
        verdict = "a significant" if st.significant else "no significant"
        parts.append(
            f"{_label(report, i)}: {verdict} change over cycles {st.cycles[0]}–{st.cycles[-1]} "
            f"({_num(st.decay_per_cycle, 1.0, '% per cycle', 3)}, {st.retained.value:.3g} retained)"
        )
    if not rows:
        return _unanswered(
            question,
            "trend",
            "A trend needs a series (curves at several scan rates or concentrations) or a CV with 3 or more cycles.",
        )
    return _done(question, "trend", "; ".join(parts) + ".", {"cycle_stability": rows}, evidence, 0.8)


def _needs_calibration(question: str, intent: str) -> AskAnswer:
    return _unanswered(
        question,
        intent,
        "This needs a calibration series: several curves sent together with their concentrations "
        "(one per curve, 0 for a blank).",
    )


def _detection_limit(report: AnalysisReport, question: str) -> AskAnswer:
    s = report.series
    if s is None or s.kind != "concentration":
        return _needs_calibration(question, "detection_limit")
    if not s.detection_limits:
        return _unanswered(question, "detection_limit", "The calibration gave no detection limit.")
    head = next((d for d in s.detection_limits if d.name == s.headline_lod), s.detection_limits[0])
    k = s.detection_limits.index(head)
    loq = "" if head.loq is None else f", LOQ {_num(head.loq, 1.0, None, 3)}"
    text = f"LOD = {_num(head.lod, 1.0, None, 3)}{loq} ({head.definition}; σ from {head.sigma_source})."
    structured = {
        "lod": _qd(head.lod),
        "loq": _qd(head.loq),
        "definition": head.definition,
        "all": [d.model_dump(mode="json") for d in s.detection_limits],
    }
    ev = [_ev("LOD", f"series.detection_limits[{k}].lod", head.lod), _ev("slope", "series.slope", s.slope)]
    r2 = s.r_squared.value or 0.0
    return _done(question, "detection_limit", text, structured, ev, max(0.0, min(1.0, (r2 - 0.9) * 10)))


def _calibration(report: AnalysisReport, question: str) -> AskAnswer:
    s = report.series
    if s is None or s.kind != "concentration":
        return _needs_calibration(question, "calibration")
    text = (
        f"Sensitivity (slope) {_num(s.slope, 1.0, None, 4)}, R² = {s.r_squared.value:.5f}, linear from "
        f"{s.linear_range.low.value:g} to {s.linear_range.high.value:g} {s.linear_range.low.unit}."
    )
    structured = {
        "slope": _qd(s.slope),
        "intercept": _qd(s.intercept),
        "r_squared": _qd(s.r_squared),
        "linear_range": s.linear_range.model_dump(mode="json"),
    }
    ev = [_ev("slope", "series.slope", s.slope), _ev("R²", "series.r_squared", s.r_squared)]
    r2 = s.r_squared.value or 0.0
    return _done(question, "calibration", text, structured, ev, max(0.0, min(1.0, (r2 - 0.9) * 10)))


_HANDLERS: dict[str, Callable[[AnalysisReport, str], AskAnswer]] = {
    "peak_count": _peak_count,
    "peak_potentials": _peak_potentials,
    "peak_currents": _peak_currents,
    "e_half": _e_half,
    "delta_ep": _delta_ep,
    "current_ratio": _ratio,
    "reversibility": _reversibility,
    "anomalies": _anomalies,
    "scan_rate_dependence": _scan_rate,
    "trend": _trend,
    "detection_limit": _detection_limit,
    "calibration": _calibration,
}

"""Scoring a parsed answer against a bench item's truth, and summarising a run.

Tolerances come from the item (the template's, documented in ``docs/bench.md``):

* ``{"abs": x, "unit": U}`` — within ``x`` in unit ``U``; the answer's own unit (mV, µA, …) is
  converted first (an answer without a unit is read in the truth's unit);
* ``{"rel": r}`` — within ``r·|truth|``;
* ``{"match": "exact"}`` — categories, counts, names and rankings must be equal;
* ``{"match": "set"}`` — the same set of names (partial credit: Jaccard index);
* ``{"match": "hungarian"}`` — peaks (or couples) paired by potential with the Hungarian algorithm
  (:func:`scipy.optimize.linear_sum_assignment`); unpaired true peaks are *missed*, unpaired
  answered peaks *spurious*; partial credit = fully right pairs / max(true, answered);
* a field with ``{"match": "set", "credit": "partial"}`` — a set of names whose Jaccard index adds
  partial credit to the score but does not decide whether the item is correct (used where the
  truth is not always knowable from the figure: the mechanisms and artifact names of a summary);
* ``{"match": "report"}`` — a whole analysis-contract answer (``interpretation.report``), see
  :func:`evaluate_report`: curves paired, then per curve the first-cycle peaks paired by
  potential (direction, |current| within tolerance), the couples by E½ (ΔEp within tolerance)
  and the anomaly kinds as a set.  Correct when the curve count is right and every curve's peaks
  and couples are; the score is the mean of the fraction of right peaks, of right couples and
  the mean anomaly Jaccard index (anomalies give partial credit only).

A wrong answer gets one failure mode (``FAILURE_MODES``, see docs/dev/bench-format.md): from the
parse status first; then from the item's ``alternatives`` (an answer right for another curve, or
currents read from zero instead of the background); then the most specific of what went wrong
field by field (a value right after ×10^±3/±6 → ``unit_scale``; after a sign flip or with
anodic/cathodic swapped → ``sign_or_direction``; …).  Pure: no I/O.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from .answers import convert

__all__ = ["FAILURE_MODES", "Score", "calibration", "evaluate_report", "score", "summarize", "wilson"]

FAILURE_MODES = (
    "missed_peak",
    "spurious_peak",
    "baseline_confusion",
    "unit_scale",
    "sign_or_direction",
    "wrong_curve",
    "ocr_misread",
    "unparseable",
    "refusal",
    "invalid_schema",
    "backend_error",
    "wrong_value",
    "wrong_category",
)
STATUS_MODE = {
    "unparseable": "unparseable",
    "refusal": "refusal",
    "invalid": "invalid_schema",
    "error": "backend_error",
}
# when several things went wrong, the most telling one names the failure
PRIORITY = (
    "unit_scale",
    "sign_or_direction",
    "baseline_confusion",
    "wrong_curve",
    "missed_peak",
    "spurious_peak",
    "wrong_category",
    "wrong_value",
)
SCALES = (1e3, 1e-3, 1e6, 1e-6)
SWAPPED = {
    ("anodic", "cathodic"),
    ("cathodic", "anodic"),
    ("increases", "decreases"),
    ("decreases", "increases"),
    ("oxidation", "reduction"),
    ("reduction", "oxidation"),
}
CATEGORICAL = ("reversibility", "mechanism", "trend", "regime", "trustworthy", "technique", "direction")
MISMATCH_COST = 1e6


@dataclass(frozen=True, slots=True)
class Score:
    correct: bool
    score: float
    failure_mode: str | None
    categorical: dict[str, Any] | None
    detail: str


@dataclass
class _Eval:
    score: float = 1.0
    modes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    decided: bool | None = None  # set where partial-credit fields do not decide correctness

    @property
    def correct(self) -> bool:
        if self.decided is not None:
            return self.decided and not self.modes
        return not self.modes and self.score >= 1.0 - 1e-9

    def fail(self, mode: str, detail: str) -> None:
        self.modes.append(mode)
        self.details.append(detail)

    def mode(self) -> str | None:
        if self.correct:
            return None
        for m in PRIORITY:
            if m in self.modes:
                return m
        return self.modes[0] if self.modes else "wrong_value"


# ----------------------------------------------------------------------------------------------
# single values


def _qvalue(q: Any) -> tuple[float | None, str]:
    """(value, unit) of a quantity dict or a bare number."""
    if isinstance(q, bool):
        return None, ""
    if isinstance(q, int | float):
        return float(q), ""
    if isinstance(q, Mapping):
        v = q.get("value")
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            return float(v), str(q.get("unit") or "")
    return None, ""


def _within(x: float, t: float, unit: str, tol: Mapping[str, Any]) -> bool:
    if "abs" in tol:
        tu = str(tol.get("unit") or unit)
        xa, ta = convert(x, unit, tu), convert(t, unit, tu)
        if xa is None or ta is None:
            return False
        return abs(xa - ta) <= float(tol["abs"]) * (1 + 1e-9)
    if "rel" in tol:
        return abs(x - t) <= float(tol["rel"]) * abs(t) * (1 + 1e-9)
    return x == t


def _fmt(x: float, unit: str) -> str:
    return f"{x:.4g} {unit}".strip()


def _tol_text(tol: Mapping[str, Any]) -> str:
    if "abs" in tol:
        return f"tol {tol['abs']:g} {tol.get('unit', '')}".strip()
    if "rel" in tol:
        return f"tol {float(tol['rel']):.0%}"
    return "exact"


def _check_quantity(name: str, truth: Any, pred: Any, tol: Mapping[str, Any], ev: _Eval) -> bool:
    t, unit = _qvalue(truth)
    if t is None:
        return True  # nothing to score (a truth the label cannot state)
    p, punit = _qvalue(pred)
    if p is None:
        ev.fail("wrong_value", f"{name}: no value given (truth {_fmt(t, unit)})")
        return False
    x = convert(p, punit, unit)
    if x is None:
        ev.fail("wrong_value", f"{name}: {_fmt(p, punit)} is not in a unit of {unit}")
        return False
    if _within(x, t, unit, tol):
        return True
    text = f"{name} {_fmt(x, unit)} vs {_fmt(t, unit)}, {_tol_text(tol)}"
    far = not _within(0.0, t, unit, tol)  # a truth near zero cannot tell scale or sign errors
    if far and any(_within(x * s, t, unit, tol) for s in SCALES):
        ev.fail("unit_scale", text + " (right after a ×10^±3/±6 scale)")
    elif far and _within(-x, t, unit, tol):
        ev.fail("sign_or_direction", text + " (right with the sign flipped)")
    else:
        ev.fail("wrong_value", text)
    return False


def _norm(v: Any) -> Any:
    if isinstance(v, str):
        return v.strip().casefold()
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, Mapping) and "value" in v:
        return _qvalue(v)[0]
    return v


def _check_category(name: str, truth: Any, pred: Any, ev: _Eval, legends: list[str]) -> bool:
    if isinstance(truth, bool) == isinstance(pred, bool) and _norm(truth) == _norm(pred):
        return True
    if pred is None:
        ev.fail("wrong_category", f"{name}: not given (truth {truth!r})")
        return False
    text = f"{name} {pred!r} vs {truth!r}"
    if isinstance(truth, str) and isinstance(pred, str) and (_norm(truth), _norm(pred)) in SWAPPED:
        ev.fail("sign_or_direction", text + " (swapped)")
    elif name == "curve" and isinstance(pred, str) and _norm(pred) in {_norm(n) for n in legends}:
        ev.fail("wrong_curve", text + " (another curve of the figure)")
    elif isinstance(truth, list) and isinstance(pred, list) and _norm(pred) == _norm(truth)[::-1]:
        ev.fail("sign_or_direction", text + " (reversed order)")
    elif isinstance(truth, int | float) and not isinstance(truth, bool) and isinstance(pred, int | float):
        ev.fail("wrong_value", text)
    else:
        ev.fail("wrong_category", text)
    return False


# ----------------------------------------------------------------------------------------------
# sets


def _key_value(element: Any, key: str, unit: str) -> float | None:
    if not isinstance(element, Mapping):
        return None
    p, punit = _qvalue(element.get(key))
    return None if p is None else convert(p, punit, unit)


def _magnitude(q: Any) -> Any:
    v, unit = _qvalue(q)
    return q if v is None else {"value": abs(v), "unit": unit}


def _match_sets(
    truth: list[Any],
    pred: list[Any],
    key: str,
    tols: Mapping[str, Any],
    ev: _Eval,
    *,
    noun: str = "peak",
) -> None:
    """Pair ``truth`` and ``pred`` elements by ``key`` (Hungarian), then check every scored field."""
    truth = [t for t in truth if isinstance(t, Mapping)]
    pred = [p for p in pred if isinstance(p, Mapping)] if isinstance(pred, list) else []
    n_t, n_p = len(truth), len(pred)
    if n_t == 0 and n_p == 0:
        return
    tol = tols.get(key, {"abs": 0.015, "unit": "V"})
    unit = str(_qvalue(truth[0].get(key))[1] if truth else "V") or "V"
    tv = [_key_value(t, key, unit) for t in truth]
    pv = [_key_value(p, key, unit) for p in pred]

    def located(scale: float, sign: float) -> tuple[int, list[tuple[int, int]]]:
        if n_t == 0 or n_p == 0:
            return 0, []
        cost = np.full((n_t, n_p), MISMATCH_COST)
        for i in range(n_t):
            for j in range(n_p):
                if tv[i] is None or pv[j] is None:
                    continue
                c = abs(sign * scale * pv[j] - tv[i])
                if truth[i].get("curve", 0) != pred[j].get("curve", 0):
                    c += 1e3
                if "direction" in truth[i] and _norm(truth[i].get("direction")) != _norm(
                    pred[j].get("direction")
                ):
                    c += 10.0
                cost[i, j] = c
        rows, cols = linear_sum_assignment(cost)
        pairs = [
            (int(i), int(j))
            for i, j in zip(rows, cols, strict=True)
            if tv[i] is not None
            and pv[j] is not None
            and truth[i].get("curve", 0) == pred[j].get("curve", 0)
            and _within(sign * scale * pv[j], tv[i], unit, tol)
        ]
        return len(pairs), pairs

    n_loc, pairs = located(1.0, 1.0)
    missed, spurious = n_t - n_loc, n_p - n_loc
    good = 0
    sub = _Eval()
    for i, j in pairs:
        before = len(sub.modes)
        if "direction" in truth[i]:
            _check_category("direction", truth[i]["direction"], pred[j].get("direction"), sub, [])
        for name, t in tols.items():
            if name in (key, "match") or name not in truth[i]:
                continue
            tq, pq = truth[i][name], pred[j].get(name)
            if name == "current" and "direction" in truth[i]:  # the direction carries the sign
                tq, pq = _magnitude(tq), _magnitude(pq)
            _check_quantity(f"{noun} {tv[i]:+.3f} {unit} {name}", tq, pq, t, sub)
        good += len(sub.modes) == before
    ev.score = min(ev.score, good / max(n_t, n_p))
    where = f"{n_t} true {noun}(s), {n_p} answered, {n_loc} paired within {_tol_text(tol)}"
    if missed or spurious:
        if missed and spurious and any(located(s, 1.0)[0] > n_loc for s in SCALES):
            ev.fail("unit_scale", where + "; right after a ×10^±3/±6 scale")
        elif missed and spurious and located(1.0, -1.0)[0] > n_loc:
            ev.fail("sign_or_direction", where + "; right with the sign flipped")
        elif missed >= spurious:
            ev.fail("missed_peak", where + f"; {missed} missed, {spurious} spurious")
        else:
            ev.fail("spurious_peak", where + f"; {spurious} spurious, {missed} missed")
    ev.modes += sub.modes
    ev.details += sub.details


def _flat_peaks(report: Any) -> list[dict[str, Any]]:
    if not isinstance(report, Mapping) or not isinstance(report.get("curves"), list):
        return []
    out = []
    for k, curve in enumerate(report["curves"]):
        if isinstance(curve, Mapping) and isinstance(curve.get("peaks"), list):
            out += [{**p, "curve": k} for p in curve["peaks"] if isinstance(p, Mapping)]
    return out


# ----------------------------------------------------------------------------------------------
# one answer


def evaluate(
    truth: Any, pred: Any, tolerance: Mapping[str, Any], *, legends: list[str] | None = None
) -> _Eval:
    """How ``pred`` fares against ``truth`` under ``tolerance`` (score, failure modes, details)."""
    ev = _Eval()
    legends = legends or []
    match = tolerance.get("match")
    if not isinstance(pred, Mapping):
        ev.score = 0.0
        ev.fail("wrong_value", f"the answer is not an object: {str(pred)[:60]}")
        return ev
    fields = {k: v for k, v in tolerance.items() if k != "match"}
    if match == "exact" and not fields:
        for name, t in truth.items():
            _check_category(name, t, pred.get(name), ev, legends)
        if "n_peaks" in truth and ev.modes:
            _count_modes(truth, pred, ev)
        ev.score = 0.0 if ev.modes else 1.0
        return ev
    if match == "set":
        for name, t in truth.items():
            a = {_norm(x) for x in t} if isinstance(t, list) else set()
            p = pred.get(name)
            b = {_norm(x) for x in p} if isinstance(p, list) else set()
            if a != b:
                ev.score = len(a & b) / len(a | b) if a | b else 1.0
                lost, extra = sorted(a - b), sorted(b - a)
                ev.fail("wrong_category", f"{name}: missing {lost or '-'}, extra {extra or '-'}")
        return ev
    if match == "report":
        return evaluate_report(truth, pred, tolerance)
    if match == "hungarian":
        key = "potential" if "potential" in fields else next(iter(fields))
        if "peaks" in truth:
            _match_sets(truth["peaks"], pred.get("peaks"), key, fields, ev)
        elif "couples" in truth:
            _match_sets(truth["couples"], pred.get("couples"), key, fields, ev, noun="couple")
        else:
            _match_sets(_flat_peaks(truth), _flat_peaks(pred), key, fields, ev)
        return ev
    n_ok = 0.0
    partial = False
    for name, tol in fields.items():
        if name not in truth:
            continue
        t, p = truth[name], pred.get(name)
        before = len(ev.modes)
        if tol.get("credit") == "partial":
            partial = True
            j = _jaccard(t, p)
            n_ok += j
            if j < 1.0:
                ev.details.append(f"{name} (partial credit {j:.2f}): {_set_text(t, p)}")
            continue
        if isinstance(t, list) and ("abs" in tol or "rel" in tol):
            wrap = [{name: q} for q in t]
            pw = [{name: q} for q in p] if isinstance(p, list) else []
            sub = _Eval()
            _match_sets(wrap, pw, name, {name: tol}, sub, noun=name)
            ev.modes += sub.modes
            ev.details += sub.details
        elif tol.get("match") == "exact":
            _check_category(name, t, p, ev, legends)
        else:
            _check_quantity(name, t, p, tol, ev)
        n_ok += len(ev.modes) == before
    ev.score = n_ok / len(fields) if fields else 1.0
    if partial:
        ev.decided = not ev.modes
    return ev


def _names(v: Any) -> set[Any]:
    return {_norm(x) for x in v if not isinstance(x, Mapping | list)} if isinstance(v, list) else set()


def _jaccard(truth: Any, pred: Any) -> float:
    a, b = _names(truth), _names(pred)
    return len(a & b) / len(a | b) if a | b else 1.0


def _set_text(truth: Any, pred: Any) -> str:
    a, b = _names(truth), _names(pred)
    return f"missing {sorted(a - b, key=str) or '-'}, extra {sorted(b - a, key=str) or '-'}"


# ----------------------------------------------------------------------------------------------
# the whole analysis report

REPORT_TOLERANCE = {"potential": {"abs": 0.015, "unit": "V"}, "current": {"rel": 0.10}}
REPORT_COUPLE_TOLERANCE = {"E_half": {"abs": 0.015, "unit": "V"}, "delta_Ep": {"abs": 0.015, "unit": "V"}}


def _report_curves(report: Any) -> list[Mapping[str, Any]]:
    if not isinstance(report, Mapping) or not isinstance(report.get("curves"), list):
        return []
    return [c for c in report["curves"] if isinstance(c, Mapping)]


def _listed(curve: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    v = curve.get(key)
    return [x for x in v if isinstance(x, Mapping)] if isinstance(v, list) else []


def _first_cycle_peaks(curve: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The curve's peaks of the first cycle (a peak without a cycle counts as first-cycle)."""
    return [p for p in _listed(curve, "peaks") if p.get("cycle") in (None, 1)]


def _first_cycle_couples(curve: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The couples whose anodic peak (an index into the curve's peaks) is a first-cycle peak."""
    peaks = _listed(curve, "peaks")
    out = []
    for c in _listed(curve, "couples"):
        k = c.get("anodic_peak")
        if isinstance(k, int) and not isinstance(k, bool) and 0 <= k < len(peaks):
            if peaks[k].get("cycle") not in (None, 1):
                continue
        out.append(c)
    return out


def _anomaly_kinds(curve: Mapping[str, Any]) -> list[Any]:
    return [a.get("kind") if isinstance(a, Mapping) else a for a in curve.get("anomalies") or []]


def _curve_cost(t: Mapping[str, Any], p: Mapping[str, Any], tol: Mapping[str, Any]) -> float:
    """How unlike two curves' first-cycle peak sets are (V): each true peak's distance to the
    nearest answered peak, capped at 0.1 V, plus 0.1 V per peak of count difference."""
    tp, pp = _first_cycle_peaks(t), _first_cycle_peaks(p)
    tv = [v for v in (_key_value(x, "potential", "V") for x in tp) if v is not None]
    pv = [v for v in (_key_value(x, "potential", "V") for x in pp) if v is not None]
    cost = 0.1 * abs(len(tv) - len(pv))
    for v in tv:
        cost += min([abs(v - w) for w in pv] + [0.1])
    return cost


def evaluate_report(truth: Any, pred: Any, tolerance: Mapping[str, Any]) -> _Eval:
    """Score a whole analysis-contract answer against the true report (see the module docstring).

    Curves are paired by the Hungarian algorithm on how alike their first-cycle peak sets are
    (the figure does not order its traces); only the first cycle is scored, since the cycles of a
    multi-cycle CV overlap on a plot.  Peaks: paired by potential (±15 mV), direction and |current|
    (±10 %) must agree.  Couples: paired by E½ (±15 mV), ΔEp within ±15 mV.  Anomalies: the set of
    kinds per curve (Jaccard index; partial credit only — which artifacts are "visible" has an
    edge a figure cannot settle).
    """
    ev = _Eval()
    peak_tol = {k: tolerance.get(k, v) for k, v in REPORT_TOLERANCE.items()}
    couple_tol = {k: tolerance.get(k, v) for k, v in REPORT_COUPLE_TOLERANCE.items()}
    tc, pc = _report_curves(truth), _report_curves(pred)
    pairs: list[tuple[int, int]] = []
    if tc and pc:
        cost = np.array([[_curve_cost(t, p, peak_tol) for p in pc] for t in tc])
        rows, cols = linear_sum_assignment(cost)
        pairs = [(int(i), int(j)) for i, j in zip(rows, cols, strict=True)]
    totals = {"peak": [0.0, 0], "couple": [0.0, 0]}
    jaccards: list[float] = []
    for i, j in pairs:
        t, p = tc[i], pc[j]
        for noun, key, tols, get in (
            ("peak", "potential", peak_tol, _first_cycle_peaks),
            ("couple", "E_half", couple_tol, _first_cycle_couples),
        ):
            tl, pl = get(t), get(p)
            n = max(len(tl), len(pl))
            if n == 0:
                continue
            sub = _Eval()
            _match_sets(list(tl), list(pl), key, tols, sub, noun=f"curve {i + 1} {noun}")
            totals[noun][0] += sub.score * n
            totals[noun][1] += n
            ev.modes += sub.modes
            ev.details += sub.details
        j_ = _jaccard(_anomaly_kinds(t), _anomaly_kinds(p))
        jaccards.append(j_)
        if j_ < 1.0:
            ev.details.append(
                f"curve {i + 1} anomalies (partial credit {j_:.2f}): "
                f"{_set_text(_anomaly_kinds(t), _anomaly_kinds(p))}"
            )
    paired_t, paired_p = {i for i, _ in pairs}, {j for _, j in pairs}
    for i, t in enumerate(tc):
        if i not in paired_t:
            totals["peak"][1] += len(_first_cycle_peaks(t))
            totals["couple"][1] += len(_first_cycle_couples(t))
            jaccards.append(0.0)
            ev.fail("missed_peak", f"curve {i + 1} of {len(tc)} not in the answer ({len(pc)} curve(s))")
    for j, p in enumerate(pc):
        if j not in paired_p:
            totals["peak"][1] += len(_first_cycle_peaks(p))
            totals["couple"][1] += len(_first_cycle_couples(p))
            jaccards.append(0.0)
            ev.fail("spurious_peak", f"answered curve {j + 1} is not in the figure ({len(tc)} curve(s))")
    if not tc and not pc:
        ev.fail("wrong_value", "no curves in the answer")
    parts = [good / n if n else 1.0 for good, n in totals.values()]
    parts.append(float(np.mean(jaccards)) if jaccards else 0.0)
    ev.score = float(np.mean(parts))
    ev.decided = not ev.modes and len(tc) == len(pc) and all(good >= n - 1e-9 for good, n in totals.values())
    return ev


def _count_modes(truth: Mapping[str, Any], pred: Mapping[str, Any], ev: _Eval) -> None:
    t, p = truth.get("n_peaks"), pred.get("n_peaks")
    if isinstance(p, int) and isinstance(t, int) and p != t:
        ev.modes.insert(0, "missed_peak" if p < t else "spurious_peak")
        ev.modes[:] = [m for m in ev.modes if m not in ("wrong_category", "wrong_value")]
    elif (
        p == t and pred.get("anodic") == truth.get("cathodic") and pred.get("cathodic") == truth.get("anodic")
    ):
        ev.modes[:] = ["sign_or_direction"]


def _as_text(v: Any) -> str | None:
    return None if v is None else (str(v).lower() if isinstance(v, bool) else str(v))


def _categorical(item: Mapping[str, Any], value: Any) -> dict[str, Any] | None:
    tol = item.get("tolerance") or {}
    props = (item.get("answer_schema") or {}).get("properties") or {}
    truth = item.get("truth") or {}
    for name in CATEGORICAL:
        if name in truth and (tol.get(name) == {"match": "exact"}) and name in props:
            pred = value.get(name) if isinstance(value, Mapping) else None
            return {"field": name, "true": _as_text(truth[name]), "pred": _as_text(pred)}
    return None


#: failure modes an unreliable reading of the figure's text can explain
_OCR_EXPLAINS = frozenset({"wrong_value", "missed_peak", "spurious_peak", "wrong_category", "wrong_curve"})


def attribute_to_ocr(s: Score, evidence: Mapping[str, Any] | None) -> Score:
    """``s`` with its failure mode set to ``ocr_misread`` when the backend's own evidence says it doubted the
    text it read (``evidence["digitization"]["ocr_suspect"]`` non-empty: an unread unit, poorly fitting tick
    labels, a reading warning).  Unit-scale and sign errors keep their more specific mode."""
    doubts = (
        ((evidence or {}).get("digitization") or {}).get("ocr_suspect")
        if isinstance(evidence, Mapping)
        else None
    )
    if s.correct or s.failure_mode not in _OCR_EXPLAINS or not doubts:
        return s
    why = "; ".join(str(d) for d in doubts)[:200]
    return replace(s, failure_mode="ocr_misread", detail=f"{s.detail} [text read in doubt: {why}]")


def score(item: Mapping[str, Any], parsed: Any) -> Score:
    """Score one parsed answer (a ParsedAnswer, or anything with ``status`` and ``value``); never raises
    on a strange answer (it is then ``invalid_schema``)."""
    try:
        return _score(item, parsed)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        detail = f"the answer could not be scored ({type(exc).__name__}: {exc})"[:300]
        return Score(False, 0.0, "invalid_schema", None, detail)


def _score(item: Mapping[str, Any], parsed: Any) -> Score:
    status = getattr(parsed, "status", "unparseable")
    value = getattr(parsed, "value", None)
    categorical = _categorical(item, value if status == "ok" else None)
    if status != "ok":
        problems = getattr(parsed, "problems", ()) or ()
        detail = f"{status}: {'; '.join(str(p) for p in problems[:2])}" if problems else status
        return Score(False, 0.0, STATUS_MODE.get(status, "backend_error"), categorical, detail[:300])
    tolerance = item.get("tolerance") or {}
    legends = list((item.get("meta") or {}).get("legends") or [])
    ev = evaluate(item["truth"], value, tolerance, legends=legends)
    if ev.correct:
        if ev.decided is not None and ev.score < 1.0 - 1e-9:  # right where it counts, partial elsewhere
            return Score(
                True, ev.score, None, categorical, ("within tolerance; " + "; ".join(ev.details))[:300]
            )
        return Score(True, 1.0, None, categorical, "within tolerance")
    for alt in item.get("alternatives") or []:
        answer = alt.get("answer") or {}
        # curve-choice alternatives state what they can: score only those fields
        tol = dict(tolerance) if "match" in tolerance else {k: v for k, v in tolerance.items() if k in answer}
        if tol and evaluate(answer, value, tol, legends=legends).correct:
            mode = str(alt.get("failure_mode") or "wrong_value")
            return Score(
                False, ev.score, mode, categorical, f"{mode.replace('_', ' ')}: {'; '.join(ev.details)}"[:300]
            )
    return Score(False, max(0.0, min(1.0, ev.score)), ev.mode(), categorical, "; ".join(ev.details)[:300])


# ----------------------------------------------------------------------------------------------
# summaries


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval of ``k`` successes in ``n`` trials (95 % by default)."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _group(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    k = sum(bool(r.get("correct")) for r in rows)
    lo, hi = wilson(k, len(rows))
    return {
        "accuracy": k / len(rows) if rows else 0.0,
        "ci95": [lo, hi],
        "n": len(rows),
        "n_correct": k,
        "mean_score": float(np.mean([float(r.get("score", 0.0)) for r in rows])) if rows else 0.0,
    }


def calibration(predictions: Iterable[Mapping[str, Any]], n_bins: int = 10) -> dict[str, Any] | None:
    """Reliability bins (equal width over [0, 1]) and the expected calibration error, from the
    predictions that state a confidence; ``None`` when none does."""
    pairs = [
        (float(p["confidence"]), bool(p.get("correct")))
        for p in predictions
        if isinstance(p.get("confidence"), int | float) and not isinstance(p.get("confidence"), bool)
    ]
    if not pairs:
        return None
    bins = []
    ece = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        inside = [(c, ok) for c, ok in pairs if lo <= c < hi or (b == n_bins - 1 and c == 1.0)]
        if inside:
            conf = float(np.mean([c for c, _ in inside]))
            acc = float(np.mean([ok for _, ok in inside]))
            ece += len(inside) / len(pairs) * abs(acc - conf)
        else:
            conf = acc = None
        bins.append({"lo": lo, "hi": hi, "n": len(inside), "mean_confidence": conf, "accuracy": acc})
    return {"bins": bins, "ece": ece, "n": len(pairs)}


def _direction_pairs(pred: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(true, answered) peak directions of a peak-list answer, peaks paired by potential alone
    (within the potential tolerance); a true peak left unpaired is answered ``(none)``."""
    truth, parsed, tol = pred.get("truth"), pred.get("parsed"), pred.get("tolerance") or {}
    if not isinstance(truth, Mapping) or not isinstance(truth.get("peaks"), list):
        return []
    t = [x for x in truth["peaks"] if isinstance(x, Mapping) and "direction" in x]
    a = parsed.get("peaks") if isinstance(parsed, Mapping) else None
    a = [x for x in a if isinstance(x, Mapping)] if isinstance(a, list) else []
    ptol = tol.get("potential", {"abs": 0.015, "unit": "V"})
    out = []
    paired: set[int] = set()
    if t and a:
        tv = [_key_value(x, "potential", "V") for x in t]
        av = [_key_value(x, "potential", "V") for x in a]
        cost = np.array([[MISMATCH_COST if u is None or v is None else abs(u - v) for v in av] for u in tv])
        for i, j in zip(*linear_sum_assignment(cost), strict=True):
            if tv[i] is not None and av[j] is not None and _within(av[j], tv[i], "V", ptol):
                paired.add(int(i))
                out.append((str(t[i]["direction"]), str(a[j].get("direction"))))
    out += [(str(x["direction"]), "(none)") for k, x in enumerate(t) if k not in paired]
    return out


def _confusion(predictions: list[Mapping[str, Any]]) -> dict[str, Any]:
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for p in predictions:
        if p.get("status") == "ok":
            pairs["direction"] += _direction_pairs(p)
        c = p.get("categorical")
        if isinstance(c, Mapping) and c.get("field"):
            pairs[str(c["field"])].append(
                (str(c.get("true")), "(none)" if c.get("pred") is None else str(c["pred"]))
            )
    out = {}
    for name, rows in sorted(pairs.items()):
        labels = sorted({t for t, _ in rows} | {p for _, p in rows}, key=lambda s: (s == "(none)", s))
        index = {label: k for k, label in enumerate(labels)}
        matrix = [[0] * len(labels) for _ in labels]
        for t, p in rows:
            matrix[index[t]][index[p]] += 1
        out[name] = {"labels": labels, "matrix": matrix}
    return out


def summarize(predictions: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Accuracy overall, per skill, template and split (Wilson 95 % CIs), failure-mode counts,
    confusion matrices of categorical answers, calibration and parse-status counts."""
    from ..dataset.templates import SKILLS

    preds = list(predictions)
    overall = _group(preds)
    by: dict[str, dict[str, list[Mapping[str, Any]]]] = {"skill": {}, "template": {}, "split": {}}
    for p in preds:
        for key in by:
            by[key].setdefault(str(p.get(key)), []).append(p)
    order = {s: k for k, s in enumerate(SKILLS)}
    modes = Counter(str(p["failure_mode"]) for p in preds if p.get("failure_mode"))
    return {
        "accuracy": overall["accuracy"],
        "ci95": overall["ci95"],
        "mean_score": overall["mean_score"],
        "n_items": len(preds),
        "n_correct": overall["n_correct"],
        "skills": {
            s: _group(by["skill"][s]) for s in sorted(by["skill"], key=lambda s: (order.get(s, 99), s))
        },
        "templates": {t: _group(rows) for t, rows in sorted(by["template"].items())},
        "splits": {s: _group(rows) for s, rows in sorted(by["split"].items())},
        "failure_modes": dict(sorted(modes.items(), key=lambda kv: (-kv[1], kv[0]))),
        "status": dict(sorted(Counter(str(p.get("status")) for p in preds).items())),
        "confusion": _confusion(preds),
        "calibration": calibration(preds),
    }

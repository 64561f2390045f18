"""The question–answer template registry shared by the training dataset and the benchmark.

A :class:`Template` turns one ground-truth label (a ``labels.jsonl`` line, see
:mod:`voltlens.labels`) into a :class:`QA`: a question drawn from several paraphrases, an answer
as JSON conforming to the template's small JSON schema (numbers as the analysis contract's
``{"value", "unit", "uncertainty"}``), a short expert explanation that cites the numbers, the
skill, and the tolerance a scorer should apply.  Answers come from the label truth only, never
from the analysis engine.  A template that cannot be answered honestly from a label (no couple,
an ambiguous comparison, an artifact on the edge of visibility) returns ``None``: it is skipped,
never faked.

Pure: randomness only through the ``rng`` passed in.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "ANOMALY_KIND",
    "QA",
    "QUANTITY_SCHEMA",
    "SKILLS",
    "TEMPLATES",
    "Template",
    "clipped_peak",
    "figure_severities",
    "generate_qa",
    "legend_drawn",
    "quantity",
    "severity_bounds",
    "templates_for",
]

SKILLS = (
    "peak_detection",
    "values",
    "curve_comparison",
    "anomaly_detection",
    "concentration",
    "reversibility",
    "scan_rate",
    "interpretation",
)

# label artifact kinds → the analysis contract's anomaly kinds (the engine's vocabulary)
ANOMALY_KIND = {
    "white_noise": "noise",
    "pink_noise": "noise",
    "mains": "noise",
    "spikes": "spikes",
    "clipping": "clipping",
    "quantisation": "quantisation",
    "uncompensated_resistance": "ir_distortion",
    "drift": "drift",
    "fouling": "fouling",
    "reference_drift": "reference_drift",
    "background": "background",
    "double_layer_charging": "charging",
}
VISIBLE_SEVERITY = 0.15  # an artifact at or above this severity is named in answers
HIDDEN_SEVERITY = 0.05  # below this it is invisible; in between, anomaly questions are skipped
UNTRUSTED_SEVERITY = 0.5  # any artifact at or above: the numbers cannot be trusted
TRUST_MARGIN = 0.15  # severities within this of the threshold make the trust question ambiguous

# tolerances (absolute in the unit, or relative); documented for the benchmark's scorer
TOL_POTENTIAL = {"abs": 0.015, "unit": "V"}
TOL_DELTA_EP = {"abs": 0.015, "unit": "V"}
TOL_CURRENT = {"rel": 0.10}
TOL_RATIO = {"abs": 0.15, "unit": "1"}
TOL_SLOPE = {"abs": 0.1, "unit": "1"}
TOL_CONCENTRATION = {"rel": 0.15}
TOL_LOD = {"rel": 0.5}
EXACT = {"match": "exact"}
# a set of names that adds partial credit but does not decide correctness: for truths a figure
# cannot always settle (mechanisms of overlapping species, artifacts near the edge of visibility)
PARTIAL_SET = {"match": "set", "credit": "partial"}

QUANTITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "value": {"type": ["number", "null"]},
        "unit": {"type": "string"},
        "uncertainty": {"type": ["number", "null"]},
    },
    "required": ["value", "unit"],
}


def quantity(value: float | None, unit: str, uncertainty: float | None = None) -> dict[str, Any]:
    """A number as the analysis contract writes it (rounded to 4 significant figures)."""
    v = None if value is None or not math.isfinite(value) else float(f"{value:.4g}")
    return {"value": v, "unit": unit, "uncertainty": uncertainty}


def _object(properties: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": dict(properties), "required": list(properties)}


def _enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _array(items: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": dict(items)}


@dataclass(frozen=True, slots=True)
class QA:
    template: str
    skill: str
    question: str
    answer: dict[str, Any]
    answer_text: str
    answer_schema: dict[str, Any]
    tolerance: dict[str, Any]
    fields: dict[str, str] = field(default_factory=dict)  # what the paraphrase was formatted with


@dataclass(frozen=True, slots=True)
class Answer:
    """What a template's answer function returns: the JSON, the explanation, question fields."""

    json: dict[str, Any]
    text: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    skill: str
    kinds: tuple[str, ...]
    paraphrases: tuple[str, ...]
    answer_schema: dict[str, Any]
    tolerance: dict[str, Any]
    answer: Callable[[dict[str, Any], np.random.Generator], Answer | None]
    reads_peaks: bool = True  # the answer needs the peaks' potentials or heights (not just their count)

    def generate(self, label: Mapping[str, Any], rng: np.random.Generator) -> QA | None:
        """One question about ``label`` and its true answer, or ``None`` when unanswerable."""
        if label["kind"] not in self.kinds:
            return None
        if self.reads_peaks and clipped_peak(label):
            return None
        found = self.answer(dict(label), rng)
        if found is None:
            return None
        paraphrase = self.paraphrases[int(rng.integers(len(self.paraphrases)))]
        fields = dict(found.fields)
        if "{given}" in paraphrase and (given := _series_given(label)):
            fields["given"] = given
        return QA(
            self.id,
            self.skill,
            paraphrase.format(**{"given": "", **fields}),
            found.json,
            found.text,
            self.answer_schema,
            self.tolerance,
            fields,
        )


# ----------------------------------------------------------------------------------------------
# reading the label


def _curve(label: Mapping[str, Any], k: int = 0) -> dict[str, Any]:
    return label["curves"][k]


def _first_cycle_peaks(curve: Mapping[str, Any]) -> list[dict[str, Any]]:
    return sorted((p for p in curve["peaks"] if p["cycle"] == 1), key=lambda p: p["potential_V"])


def _first_cycle_couples(curve: Mapping[str, Any]) -> list[dict[str, Any]]:
    return sorted((c for c in curve["couples"] if c["cycle"] == 1), key=lambda c: c["E_half_V"])


def _n_cycles(curve: Mapping[str, Any]) -> int:
    return int(curve["waveform"].get("n_cycles", 1) or 1)


def _cycle_note(curve: Mapping[str, Any]) -> str:
    return " in the first cycle" if _n_cycles(curve) > 1 else ""


def _mV(x: float) -> str:
    return f"{x * 1e3:.0f} mV"


def _V(x: float) -> str:
    return f"{x:+.3f} V"


def _amp(x: float) -> str:
    ax = abs(x)
    for prefix, s in (("A", 1.0), ("mA", 1e-3), ("µA", 1e-6), ("nA", 1e-9)):
        if ax >= s:
            return f"{x / s:.3g} {prefix}"
    return f"{x / 1e-12:.3g} pA"


# Severity on the figure's scale.  The simulator sizes each artifact against the clean signal of
# its own curve (``simulate.artifacts``: noise RMS over 0.1·S, spikes over S, …, S = that curve's
# largest faradaic current, clipped to [0, 1]).  A reader judges a trace against the figure's
# current axis: the blank of a concentration series (no faradaic current, S falls back to ~0)
# gets noise severity 1.0 by construction, although its noise is the same few nA that sit
# unnoticed on the 10 µA peaks beside it.  So in a figure of several curves the current-scale
# artifacts are re-sized against the figure's signal scale S_fig — the largest |peak current| of
# any of its curves — and each severity is known as an interval [lo, hi]:
#   * noise, mains, spikes, quantisation: exact, from their absolute amplitude in ``params`` with
#     the simulator's normalisations (RMS/(0.1·S_fig), amplitude/(0.1·S_fig), |spike|/S_fig,
#     LSB/(0.05·S_fig));
#   * background, drift, charging (no amplitude in ``params``): severity·S_k/S_fig, S_k the curve's
#     own largest |peak current| (the same approximation on both sides, so the largest curve keeps
#     its severity); a severity the simulator clipped at 1 only gives the lower bound S_k/S_fig,
#     and a curve without peaks (a blank) gives no bound at all.  In a concentration series the
#     curves share cell, waveform and instrument and these currents do not depend on the analyte,
#     so every curve's interval of a kind is the intersection over the curves;
#   * iR drop (V over 0.1 V), fouling (area fraction), reference drift (V over 50 mV) and clipping
#     (fraction of the curve's own range cut) are not current-scale measures and are kept.
# A single-curve figure keeps the simulator's severities (S_fig is its own scale).  Questions use
# the bounds: an artifact is visible when lo ≥ VISIBLE_SEVERITY, hidden when hi < HIDDEN_SEVERITY,
# the figure untrusted when some lo ≥ UNTRUSTED_SEVERITY + TRUST_MARGIN, trusted when every
# hi < UNTRUSTED_SEVERITY − TRUST_MARGIN; anything else is skipped.
_ABSOLUTE_SCALE = {  # kind → (params key, fraction of S_fig the severity is measured against)
    "white_noise": ("rms_A", 0.1),
    "pink_noise": ("rms_A", 0.1),
    "mains": ("amplitude_A", 0.1),
    "spikes": ("amplitude_A", 1.0),
    "quantisation": ("lsb_A", 0.05),
}
_RELATIVE_SCALE = ("background", "drift", "double_layer_charging")
_SATURATED = 1.0 - 1e-9


def _signal_scale(curve: Mapping[str, Any]) -> float:
    return max((abs(p["current_A"]) for p in curve["peaks"] if p.get("current_A") is not None), default=0.0)


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def _bounds(a: Mapping[str, Any], s_k: float, s_fig: float) -> tuple[float, float]:
    v = float(a["severity"])
    absolute = _ABSOLUTE_SCALE.get(a["kind"])
    amp = (a.get("params") or {}).get(absolute[0]) if absolute else None
    if absolute and isinstance(amp, int | float) and not isinstance(amp, bool):
        x = _clip01(abs(float(amp)) / (absolute[1] * s_fig))
        return x, x
    if a["kind"] not in _RELATIVE_SCALE and not absolute:
        return v, v
    if s_k <= 0:
        return 0.0, 1.0
    lo = _clip01(v * s_k / s_fig)
    return (lo, 1.0) if v >= _SATURATED else (lo, lo)


def severity_bounds(label: Mapping[str, Any]) -> list[list[tuple[float, float]]]:
    """Every artifact's severity on the figure's signal scale as (lower, upper) bounds, per curve.

    See the comment above: single-curve figures keep the label's severities (lower = upper); in a
    figure of several curves the current-scale artifacts are measured against its largest peak.
    """
    curves = label["curves"]
    scales = [_signal_scale(c) for c in curves]
    s_fig = max(scales, default=0.0)
    if len(curves) < 2 or s_fig <= 0:
        return [[(float(a["severity"]),) * 2 for a in c["artifacts"]] for c in curves]
    out = [[_bounds(a, s_k, s_fig) for a in c["artifacts"]] for c, s_k in zip(curves, scales, strict=True)]
    if label.get("kind") == "concentration_series":
        for kind in _RELATIVE_SCALE:
            where = [
                (k, i)
                for k, c in enumerate(curves)
                for i, a in enumerate(c["artifacts"])
                if a["kind"] == kind
            ]
            if not where:
                continue
            lo = max(out[k][i][0] for k, i in where)
            hi = max(lo, min(out[k][i][1] for k, i in where))
            for k, i in where:
                out[k][i] = (lo, hi)
    return out


def figure_severities(label: Mapping[str, Any]) -> list[list[float | None]]:
    """Every artifact's severity on the figure's signal scale, per curve; ``None`` where only bounds
    are known (:func:`severity_bounds`)."""
    return [[lo if hi - lo < 1e-9 else None for lo, hi in row] for row in severity_bounds(label)]


def _visible_artifacts(
    curve: Mapping[str, Any], bounds: list[tuple[float, float]] | None = None
) -> list[dict[str, Any]] | None:
    """Artifacts a reader can see, or ``None`` when one sits on the edge of visibility (or its size is
    not known well enough); ``bounds`` (from :func:`severity_bounds`) replace the label's severities."""
    sev = bounds if bounds is not None else [(a["severity"], a["severity"]) for a in curve["artifacts"]]
    out = []
    for a, (lo, hi) in zip(curve["artifacts"], sev, strict=True):
        if lo >= VISIBLE_SEVERITY:
            out.append(a)
        elif hi >= HIDDEN_SEVERITY:
            return None
    return out


CLIP_REACH = 0.9  # a faradaic apex this close to the clipping level: charging, background, noise reach it


def clipped_peak(label: Mapping[str, Any]) -> bool:
    """Whether some first-cycle peak of the figure is cut off by clipping: the faradaic current at
    its apex (background + height) comes within :data:`CLIP_REACH` of the clipping level (the
    recorded trace adds charging, background and noise), so the figure may show a flat top where
    the peak's potential and height should be read."""
    for curve in label["curves"]:
        levels = [
            float((a.get("params") or {}).get("clip_A") or 0.0)
            for a in curve["artifacts"]
            if a["kind"] == "clipping"
        ]
        clip = min((x for x in levels if x > 0), default=None)
        if clip is None:
            continue
        for p in _first_cycle_peaks(curve):
            apex = float(p["current_A"]) + float(p.get("baseline_A") or 0.0)
            if abs(apex) >= CLIP_REACH * clip:
                return True
    return False


def legend_drawn(label: Mapping[str, Any]) -> bool:
    """Whether the figure shows its curves' legend (a style with ``legend: none`` draws none; the
    renderer's metadata, where present, says what was drawn)."""
    meta = label.get("render_meta")
    if isinstance(meta, Mapping) and "legend_box_px" in meta:
        return meta.get("legend_box_px") is not None
    style = label.get("style")
    return not (isinstance(style, Mapping) and style.get("legend") == "none")


def _legends(label: Mapping[str, Any]) -> list[str] | None:
    """The curves' names as the figure's legend shows them; ``None`` when the figure draws no legend
    (a question naming a curve cannot then be answered) or the names are missing or repeated."""
    if not legend_drawn(label):
        return None
    names = [c["legend"] for c in label["curves"]]
    if any(not n for n in names) or len(set(names)) != len(names):
        return None
    return names


def _number_list(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def _short(x: float) -> str:
    return f"{float(f'{x:.3g}'):g}"


def _series_given(label: Mapping[str, Any]) -> str:
    """The series' values stated in a question when the figure's legend does not show them (empty
    when it does): without them no reader could tell which curve was recorded at which scan rate or
    concentration.  The values are stated in increasing order, not tied to curves: a reader maps
    them to the curves as an expert would, by the size of the peaks."""
    if legend_drawn(label):
        return ""
    s = label.get("series") or {}
    values = sorted(float(v) for v in s.get("values") or [])
    if s.get("kind") == "scan_rate":
        rates = _number_list([_short(v * 1e3) for v in values])
        return f"The curves were recorded at scan rates of {rates} mV/s. "
    if s.get("kind") == "concentration":
        shown = [("0 (blank)" if v == 0 else _short(v)) for v in values]
        return f"The curves were recorded at concentrations of {_number_list(shown)} mM. "
    return ""


# ----------------------------------------------------------------------------------------------
# peak detection

PEAK_SCHEMA = _object(
    {"direction": _enum("anodic", "cathodic"), "potential": QUANTITY_SCHEMA, "current": QUANTITY_SCHEMA}
)


def _peak_count(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    curve = _curve(label)
    peaks = _first_cycle_peaks(curve)
    n_a = sum(p["direction"] == "anodic" for p in peaks)
    n_c = len(peaks) - n_a
    where = ", ".join(_V(p["potential_V"]) for p in peaks) or "none"
    text = f"{len(peaks)} peak(s){_cycle_note(curve)}: {n_a} anodic and {n_c} cathodic" + (
        f", at {where}." if peaks else "."
    )
    return Answer({"n_peaks": len(peaks), "anodic": n_a, "cathodic": n_c}, text, {"cyc": _cycle_note(curve)})


def _peak_list(label: dict[str, Any], with_current: bool) -> Answer | None:
    curve = _curve(label)
    peaks = _first_cycle_peaks(curve)
    if not peaks or len(peaks) > 8:
        return None
    items = []
    for p in peaks:
        item: dict[str, Any] = {"direction": p["direction"], "potential": quantity(p["potential_V"], "V")}
        if with_current:
            item["current"] = quantity(p["current_A"], "A")
        items.append(item)
    parts = [
        f"{p['direction']} at {_V(p['potential_V'])}"
        + (f" (|ip| = {_amp(abs(p['current_A']))} from the background)" if with_current else "")
        for p in peaks
    ]
    text = f"{len(peaks)} peak(s){_cycle_note(curve)}: " + "; ".join(parts) + "."
    return Answer({"peaks": items}, text, {"cyc": _cycle_note(curve)})


# ----------------------------------------------------------------------------------------------
# values


def _single_couple(label: dict[str, Any]) -> dict[str, Any] | None:
    couples = _first_cycle_couples(_curve(label))
    return couples[0] if len(couples) == 1 else None


def _e_half(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    c = _single_couple(label)
    if c is None:
        return None
    peaks = _curve(label)["peaks"]
    epa, epc = peaks[c["anodic"]]["potential_V"], peaks[c["cathodic"]]["potential_V"]
    text = f"E½ = (Epa + Epc)/2 = ({epa:.3f} V + {epc:.3f} V)/2 ≈ {c['E_half_V']:.3f} V."
    return Answer({"E_half": quantity(c["E_half_V"], "V")}, text)


def _delta_ep(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    c = _single_couple(label)
    if c is None:
        return None
    n = c["n"]
    ideal = 0.0592 / n if n else None
    text = f"ΔEp = Epa − Epc = {_mV(c['delta_Ep_V'])}" + (
        f" (Nernstian limit ≈ {_mV(ideal)} for n = {n:g}); the couple is {c['reversibility']}."
        if ideal
        else "."
    )
    return Answer({"delta_Ep": quantity(c["delta_Ep_V"], "V")}, text)


def _current_ratio(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    c = _single_couple(label)
    if c is None:
        return None
    r = c["current_ratio"]
    note = (
        "close to 1, as for a chemically reversible couple"
        if abs(r - 1) < 0.15
        else "far from 1: the product is consumed or the couple is kinetically limited"
    )
    return Answer({"current_ratio": quantity(r, "1")}, f"|ipa/ipc| = {r:.2f}, {note}.")


def _all_couples(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    couples = _first_cycle_couples(_curve(label))
    if not couples:
        return None
    items = [
        {
            "E_half": quantity(c["E_half_V"], "V"),
            "delta_Ep": quantity(c["delta_Ep_V"], "V"),
            "current_ratio": quantity(c["current_ratio"], "1"),
            "reversibility": c["reversibility"],
        }
        for c in couples
    ]
    text = "; ".join(
        f"E½ {_V(c['E_half_V'])}, ΔEp {_mV(c['delta_Ep_V'])}, |ipa/ipc| {c['current_ratio']:.2f} "
        f"({c['reversibility']})"
        for c in couples
    )
    return Answer({"couples": items}, f"{len(couples)} couple(s): {text}.")


# ----------------------------------------------------------------------------------------------
# curve comparison (overlays)

LARGER_MARGIN = 0.85  # runner-up at most this fraction of the largest
RANK_MARGIN = 0.92
E_HALF_MARGIN = 0.02
DELTA_EP_MARGIN = 0.01


def _tallest_peak(curve: Mapping[str, Any]) -> float | None:
    """The height above its background of the curve's tallest first-cycle peak (A), if it has one."""
    heights = [abs(p["current_A"]) for p in _first_cycle_peaks(curve) if p.get("current_A") is not None]
    return max(heights) if heights else None


def _overlay_currents(label: dict[str, Any]) -> tuple[list[str], list[float]] | None:
    """Each curve's tallest peak, measured from its background.

    A plot does not show where the sweep started, which trace is "species 0" or which peak was the
    forward one, so the comparison is over what the figure shows: each curve's largest-magnitude
    peak (anodic or cathodic) in the first cycle, and the questions say so.
    """
    names = _legends(label)
    if names is None:
        return None
    ips = [_tallest_peak(c) for c in label["curves"]]
    if any(i is None for i in ips):
        return None
    return names, [float(i) for i in ips if i is not None]


def _larger_peak(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    found = _overlay_currents(label)
    if found is None:
        return None
    names, ips = found
    order = np.argsort(ips)[::-1]
    if ips[order[1]] > LARGER_MARGIN * ips[order[0]]:
        return None
    best = names[order[0]]
    text = (
        f"{best}: its tallest peak is {_amp(ips[order[0]])} above the background, against "
        f"{_amp(ips[order[1]])} for the next curve."
    )
    return Answer({"curve": best, "current": quantity(ips[order[0]], "A")}, text)


def _ranking(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    found = _overlay_currents(label)
    if found is None:
        return None
    names, ips = found
    order = [int(k) for k in np.argsort(ips)[::-1]]
    if any(ips[b] > RANK_MARGIN * ips[a] for a, b in itertools.pairwise(order)):
        return None
    ranked = [names[k] for k in order]
    text = "Largest to smallest tallest peak (from the background): " + " > ".join(
        f"{names[k]} ({_amp(ips[k])})" for k in order
    )
    return Answer({"ranking": ranked}, text + ".")


def _only_couples(label: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The one first-cycle couple of every curve, or ``None`` when a curve has none or several.

    Which simulated species a couple belongs to is not in the figure; a curve with a single couple
    leaves no doubt which one a comparison of E½ or ΔEp means.
    """
    out = []
    for curve in label["curves"]:
        found = _first_cycle_couples(curve)
        if len(found) != 1:
            return None
        out.append(found[0])
    return out


def _more_positive_e_half(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    names, couples = _legends(label), _only_couples(label)
    if names is None or couples is None:
        return None
    e = [c["E_half_V"] for c in couples]
    order = np.argsort(e)[::-1]
    if e[order[0]] - e[order[1]] < E_HALF_MARGIN:
        return None
    best = names[order[0]]
    text = f"{best}: E½ = {_V(e[order[0]])}, {_mV(e[order[0]] - e[order[1]])} above the next ({names[order[1]]})."
    return Answer({"curve": best, "E_half": quantity(e[order[0]], "V")}, text)


def _faster_kinetics(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    names, couples = _legends(label), _only_couples(label)
    if names is None or couples is None:
        return None
    d = [c["delta_Ep_V"] for c in couples]
    order = np.argsort(d)
    if d[order[1]] - d[order[0]] < DELTA_EP_MARGIN:
        return None
    best = names[order[0]]
    text = (
        f"{best}: the smallest peak separation (ΔEp = {_mV(d[order[0]])} against {_mV(d[order[1]])}) "
        "means the fastest electron transfer."
    )
    return Answer({"curve": best, "delta_Ep": quantity(d[order[0]], "V")}, text)


# ----------------------------------------------------------------------------------------------
# anomalies


def _anomaly_kinds(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    """The artifacts visible anywhere in the figure (every curve of an overlay), sized on the figure's
    scale (:func:`severity_bounds`); skipped when one is on the edge of visibility."""
    if label.get("degradation"):
        return None  # image damage can mimic or hide curve artifacts
    visible: list[dict[str, Any]] = []
    for curve, bounds in zip(label["curves"], severity_bounds(label), strict=True):
        found = _visible_artifacts(curve, bounds)
        if found is None:
            return None
        visible += found
    kinds = sorted({ANOMALY_KIND.get(a["kind"], a["kind"]) for a in visible})
    text = (
        "Visible artifacts: " + ", ".join(kinds) + "."
        if kinds
        else "No visible artifact: the curve looks clean apart from negligible noise."
    )
    return Answer({"anomalies": kinds}, text)


def _trustworthy(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    """Untrusted when an artifact clearly reaches :data:`UNTRUSTED_SEVERITY` on the figure's scale
    (:func:`severity_bounds`: a concentration series' blank is judged against the series' peaks, not
    against its own ~zero signal), trusted when every artifact is clearly below; skipped within
    :data:`TRUST_MARGIN` of the threshold or when the bounds do not decide."""
    pairs = [
        (a, lo, hi)
        for c, row in zip(label["curves"], severity_bounds(label), strict=True)
        for a, (lo, hi) in zip(c["artifacts"], row, strict=True)
    ]
    worst_lo = max((lo for _, lo, _ in pairs), default=0.0)
    worst_hi = max((hi for _, _, hi in pairs), default=0.0)
    if worst_lo >= UNTRUSTED_SEVERITY + TRUST_MARGIN:
        ok = False
    elif worst_hi < UNTRUSTED_SEVERITY - TRUST_MARGIN:
        ok = True
    else:
        return None
    kinds = sorted({ANOMALY_KIND.get(a["kind"], a["kind"]) for a, lo, _ in pairs if lo >= UNTRUSTED_SEVERITY})
    text = (
        "Yes: no artifact is severe enough to distort peak positions or heights."
        if ok
        else f"No: {', '.join(kinds)} is severe enough to distort the peak values."
    )
    return Answer({"trustworthy": ok, "reasons": kinds}, text)


# ----------------------------------------------------------------------------------------------
# concentration series


def _calibration(label: dict[str, Any]) -> dict[str, Any] | None:
    """The calibration a reader can build from the figure: each curve's tallest first-cycle peak
    (from its background) against the concentration its legend states, fitted by least squares
    over the curves with analyte (the simulator's own method, ``synth.sample``, which fits the
    forward peak of species 0 — a peak a plot cannot single out: with two species or a smaller
    forward peak the sensitivity would differ by a constant factor).  LOD = 3·s_blank/S with the
    simulator's blank noise.  ``None`` when a curve has no peak or the fit is not increasing."""
    s = label.get("series") or {}
    if s.get("kind") != "concentration":
        return None
    values = [float(v) for v in s["values"]]
    heights = [_tallest_peak(c) for c in label["curves"]]
    pts = [(v, h) for v, h in zip(values, heights, strict=True) if v > 0]
    if len(pts) < 2 or any(h is None for _, h in pts):
        return None
    x = np.array([v for v, _ in pts])
    y = np.array([float(h) for _, h in pts if h is not None])
    sens, icpt = (float(c) for c in np.polyfit(x, y, 1))
    if sens <= 0:
        return None
    noise = s.get("blank_noise_A")
    return {
        "values": values,
        "peak_currents_A": [None if h is None else float(h) for h in heights],
        "sensitivity_A_per_mol_m3": sens,
        "intercept_A": icpt,
        "blank_noise_A": noise,
        "lod_mol_m3": 3.0 * noise / sens if noise else None,
    }


def _trend(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    s = _calibration(label)
    if s is None:
        return None
    sens = s["sensitivity_A_per_mol_m3"]
    text = (
        f"The peak current increases linearly with concentration, about {_amp(sens)} per mM "
        f"from {min(s['values']):g} to {max(s['values']):g} mM."
    )
    return Answer({"trend": "increases", "sensitivity": quantity(sens, "A/mM")}, text)


def _highest_curve(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    s, names = _calibration(label), _legends(label)
    if s is None or names is None:
        return None
    ips = [0.0 if i is None else abs(i) for i in s["peak_currents_A"]]
    k = int(np.argmax(ips))
    second = sorted(ips)[-2]
    if second > LARGER_MARGIN * ips[k]:
        return None
    text = (
        f"{names[k]}: it gives the largest peak ({_amp(ips[k])}), and the current rises with concentration."
    )
    return Answer({"curve": names[k], "concentration": quantity(s["values"][k], "mM")}, text)


def _unknown(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    s = _calibration(label)
    if s is None:
        return None
    positive = [v for v in s["values"] if v > 0]
    lo, hi = min(positive), max(positive)
    c = float(f"{rng.uniform(lo, hi):.3g}")
    i = s["sensitivity_A_per_mol_m3"] * c + s["intercept_A"]
    if i <= 0:
        return None
    shown = _amp(i)
    b = s["intercept_A"]
    offset = "" if abs(b) < 1e-3 * abs(i) else (f" + {_amp(b)}" if b > 0 else f" − {_amp(-b)}")
    text = (
        f"From the calibration |ip| = {_amp(s['sensitivity_A_per_mol_m3'])}/mM · c{offset}, "
        f"a peak of {shown} corresponds to c ≈ {c:.3g} mM."
    )
    return Answer({"concentration": quantity(c, "mM")}, text, {"current": shown})


def _lod(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    s = _calibration(label)
    if s is None or not s.get("lod_mol_m3") or not s.get("blank_noise_A"):
        return None
    lod = s["lod_mol_m3"]
    text = (
        f"LOD = 3·s_blank/S = 3 × {_amp(s['blank_noise_A'])} / ({_amp(s['sensitivity_A_per_mol_m3'])}/mM) "
        f"≈ {lod:.3g} mM."
    )
    return Answer({"lod": quantity(lod, "mM")}, text)


# ----------------------------------------------------------------------------------------------
# reversibility and mechanism


def _reversibility(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    """The class of a single species' couple; skipped for EE, whose couple is two electron
    transfers (merged, it is wider than one transfer's whatever their rates; resolved, there are two)."""
    curve = _curve(label)
    if curve["technique"] != "CV" or len(curve["species"]) != 1 or curve["species"][0]["mechanism"] == "EE":
        return None
    couples = [c for c in _first_cycle_couples(curve) if c["species"] == 0]
    if len(couples) == 1:
        c = couples[0]
        text = (
            f"{c['reversibility'].capitalize()}: ΔEp = {_mV(c['delta_Ep_V'])} "
            f"(Nernstian ≈ {_mV(0.0592 / c['n'])}) and |ipa/ipc| = {c['current_ratio']:.2f}."
        )
        return Answer({"reversibility": c["reversibility"], "delta_Ep": quantity(c["delta_Ep_V"], "V")}, text)
    if curve["species"][0]["reversibility"] == "irreversible" and not couples:
        text = "Irreversible: there is no return peak, the electron transfer is too slow at this scan rate."
        return Answer({"reversibility": "irreversible", "delta_Ep": quantity(None, "V")}, text)
    return None


MECHANISM_HINTS = {
    "reversible": "a diffusion-shaped couple with ΔEp near 59/n mV and equal peak heights",
    "quasi-reversible": "a couple whose ΔEp exceeds the Nernstian value and grows with scan rate",
    "irreversible": "a single forward peak with no return peak",
    "EC": "a return peak smaller than the forward one: the product reacts chemically",
    "EE": "two successive one-electron waves of one species",
    "adsorbed": "symmetric, narrow peaks with almost no peak separation: a surface-confined couple",
}


def _mechanism(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    curve = _curve(label)
    if curve["technique"] != "CV" or len(curve["species"]) != 1:
        return None
    mech = curve["species"][0]["mechanism"]
    if mech == "EE" and not _two_waves(curve):
        return None  # the two waves merged into one: the figure shows a single (broadened) couple
    return Answer({"mechanism": mech}, f"{mech}: {MECHANISM_HINTS[mech]}.")


def _two_waves(curve: Mapping[str, Any]) -> bool:
    """Whether a sweep direction of the first cycle shows two peaks (EE's signature)."""
    peaks = _first_cycle_peaks(curve)
    return any(sum(p["direction"] == d for p in peaks) >= 2 for d in ("anodic", "cathodic"))


# ----------------------------------------------------------------------------------------------
# scan-rate diagnosis


def _regime(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    """log|ip| vs log v over each curve's tallest peak (what the figure shows; the simulator's slope
    uses the forward peak of species 0); skipped when it strays over 0.15 from the theory."""
    s = label.get("series") or {}
    if s.get("kind") != "scan_rate" or s.get("theoretical_log_log_slope") is None:
        return None
    heights = [_tallest_peak(c) for c in label["curves"]]
    pts = [(float(v), h) for v, h in zip(s["values"], heights, strict=True) if v > 0 and h]
    if len(pts) < 2 or len(pts) != len(heights):
        return None
    slope = float(np.polyfit(np.log10([v for v, _ in pts]), np.log10([float(h) for _, h in pts]), 1)[0])
    theory = s["theoretical_log_log_slope"]
    if abs(slope - theory) > 0.15:
        return None
    regime = "adsorption" if theory == 1.0 else "diffusion"
    law = "ip ∝ v (surface-confined)" if regime == "adsorption" else "ip ∝ v½ (Randles–Ševčík)"
    text = f"{regime.capitalize()}-controlled: log|ip| vs log v has slope {slope:.2f}, i.e. {law}."
    return Answer({"regime": regime, "log_log_slope": quantity(slope, "1")}, text)


# ----------------------------------------------------------------------------------------------
# open interpretation: the analysis contract itself


def _report(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    """The analysis contract of the figure, scored field by field (``match: report``,
    :func:`voltlens.bench.scoring.evaluate_report`): curves paired, first-cycle peaks by potential
    with |current|, couples by E½ with ΔEp, anomalies as a set (partial credit only)."""
    from .report import report_from_label

    report = report_from_label(label)
    if report is None:
        return None
    return Answer(report, report["interpretation"])


def _summary(label: dict[str, Any], rng: np.random.Generator) -> Answer | None:
    """Technique, first-cycle peak count and the E½ of every couple decide correctness (the scorer
    pairs E½ by potential); mechanisms and artifact names give partial credit only
    (:data:`PARTIAL_SET`): two species' mechanisms, or an artifact on the edge of visibility,
    cannot always be told from a figure."""
    curve = _curve(label)
    peaks = _first_cycle_peaks(curve)
    couples = _first_cycle_couples(curve)
    visible = _visible_artifacts(curve) or []
    mech = [s["mechanism"] for s in curve["species"]]
    answer = {
        "technique": label["technique"],
        "n_peaks": len(peaks),
        "E_half": [quantity(c["E_half_V"], "V") for c in couples],
        "mechanisms": mech,
        "anomalies": sorted({ANOMALY_KIND.get(a["kind"], a["kind"]) for a in visible}),
    }
    bits = [f"A {label['technique']} with {len(peaks)} peak(s){_cycle_note(curve)}"]
    if couples:
        bits.append("couple(s) at E½ " + ", ".join(_V(c["E_half_V"]) for c in couples))
    bits.append("mechanism " + " and ".join(mech))
    if answer["anomalies"]:
        bits.append("artifacts: " + ", ".join(answer["anomalies"]))
    return Answer(answer, "; ".join(bits) + ".", {"cyc": _cycle_note(curve)})


# ----------------------------------------------------------------------------------------------
# the registry

SINGLE = ("single",)
OVERLAY = ("overlay",)
CONC = ("concentration_series",)
SCAN = ("scan_rate_series",)
ALL_KINDS = ("single", "overlay", "scan_rate_series", "concentration_series")
Q = QUANTITY_SCHEMA

TEMPLATES: dict[str, Template] = {
    t.id: t
    for t in (
        Template(
            "peaks.count",
            "peak_detection",
            SINGLE,
            (
                "How many peaks does this voltammogram show{cyc}?",
                "Count the peaks{cyc} in this figure, anodic and cathodic separately.",
                "How many oxidation and reduction peaks can you see{cyc}?",
                "Number of current peaks in this plot{cyc}?",
                "Identify how many peaks appear{cyc} and how many are anodic.",
            ),
            _object(
                {
                    "n_peaks": {"type": "integer"},
                    "anodic": {"type": "integer"},
                    "cathodic": {"type": "integer"},
                }
            ),
            EXACT,
            _peak_count,
            reads_peaks=False,
        ),
        Template(
            "peaks.potentials",
            "peak_detection",
            SINGLE,
            (
                "List the peak potentials{cyc} and say whether each peak is anodic or cathodic.",
                "At which potentials are the peaks{cyc}?",
                "Give the potential of every peak{cyc} in this voltammogram.",
                "Where do the oxidation and reduction peaks{cyc} lie on the potential axis?",
            ),
            _object({"peaks": _array(_object({"direction": _enum("anodic", "cathodic"), "potential": Q}))}),
            {"potential": TOL_POTENTIAL, "match": "hungarian"},
            lambda label, rng: _peak_list(label, False),
        ),
        Template(
            "peaks.currents",
            "peak_detection",
            SINGLE,
            (
                "Report each peak{cyc} with its potential and its height above the background.",
                "What are the peak currents{cyc}, measured from the baseline?",
                "Read the potential and the baseline-corrected current of every peak{cyc}.",
                "List the peaks{cyc}: direction, potential and peak current.",
            ),
            _object({"peaks": _array(PEAK_SCHEMA)}),
            {"potential": TOL_POTENTIAL, "current": TOL_CURRENT, "match": "hungarian"},
            lambda label, rng: _peak_list(label, True),
        ),
        Template(
            "values.e_half",
            "values",
            SINGLE,
            (
                "What is the half-wave potential E½ of the redox couple?",
                "Estimate E½ for this couple.",
                "Give the formal (half-wave) potential of the redox couple shown.",
                "At what potential is the midpoint between the anodic and cathodic peaks?",
            ),
            _object({"E_half": Q}),
            {"E_half": TOL_POTENTIAL},
            _e_half,
        ),
        Template(
            "values.delta_ep",
            "values",
            SINGLE,
            (
                "What is the peak-to-peak separation ΔEp?",
                "How far apart are the anodic and cathodic peaks (ΔEp)?",
                "Measure ΔEp for the redox couple.",
                "Report the peak separation of this couple in volts.",
            ),
            _object({"delta_Ep": Q}),
            {"delta_Ep": TOL_DELTA_EP},
            _delta_ep,
        ),
        Template(
            "values.current_ratio",
            "values",
            SINGLE,
            (
                "What is the ratio of anodic to cathodic peak currents, |ipa/ipc|?",
                "Estimate |ipa/ipc| for the couple.",
                "Are the forward and return peaks equally high? Give |ipa/ipc|.",
            ),
            _object({"current_ratio": Q}),
            {"current_ratio": TOL_RATIO},
            _current_ratio,
        ),
        Template(
            "values.couples",
            "values",
            SINGLE,
            (
                "For each redox couple, give E½, ΔEp, |ipa/ipc| and its reversibility.",
                "Characterise every couple in this cyclic voltammogram.",
                "Tabulate the redox couples: half-wave potential, peak separation and current ratio.",
            ),
            _object(
                {
                    "couples": _array(
                        _object(
                            {
                                "E_half": Q,
                                "delta_Ep": Q,
                                "current_ratio": Q,
                                "reversibility": _enum("reversible", "quasi-reversible", "irreversible"),
                            }
                        )
                    )
                }
            ),
            {
                "E_half": TOL_POTENTIAL,
                "delta_Ep": TOL_DELTA_EP,
                "current_ratio": TOL_RATIO,
                "match": "hungarian",
            },
            _all_couples,
        ),
        Template(
            "compare.larger_peak",
            "curve_comparison",
            OVERLAY,
            (
                "Which curve has the tallest peak (peak current measured from its baseline)?",
                "Which sample gives the biggest peak, anodic or cathodic, above its background?",
                "Of the overlaid curves, which shows the highest peak current (largest |ip| from the "
                "baseline, either direction)?",
            ),
            _object({"curve": {"type": "string"}, "current": Q}),
            {"curve": EXACT, "current": TOL_CURRENT},
            _larger_peak,
        ),
        Template(
            "compare.ranking",
            "curve_comparison",
            OVERLAY,
            (
                "Rank the curves by the height of their tallest peak above the baseline, largest first.",
                "Order the samples from the largest to the smallest peak (each curve's biggest |ip|, "
                "measured from its background).",
                "Sort the overlaid voltammograms by the height of their largest peak (descending).",
            ),
            _object({"ranking": _array({"type": "string"})}),
            EXACT,
            _ranking,
        ),
        Template(
            "compare.e_half",
            "curve_comparison",
            OVERLAY,
            (
                "Which curve has the most positive half-wave potential?",
                "Which sample is the hardest to oxidise (most positive E½)?",
                "Compare the E½ values: which curve's couple lies at the most positive potential?",
            ),
            _object({"curve": {"type": "string"}, "E_half": Q}),
            {"curve": EXACT, "E_half": TOL_POTENTIAL},
            _more_positive_e_half,
        ),
        Template(
            "compare.kinetics",
            "curve_comparison",
            OVERLAY,
            (
                "Which curve shows the fastest electron-transfer kinetics?",
                "Judging by the peak separations, which sample has the most reversible couple?",
                "Which curve has the smallest ΔEp?",
            ),
            _object({"curve": {"type": "string"}, "delta_Ep": Q}),
            {"curve": EXACT, "delta_Ep": TOL_DELTA_EP},
            _faster_kinetics,
        ),
        Template(
            "anomaly.kinds",
            "anomaly_detection",
            ("single", "overlay"),
            (
                "Which measurement artifacts can you see in this voltammogram?",
                "Is anything wrong with this measurement? Name the artifacts.",
                "List the non-ideal features (noise, drift, iR distortion, …) in this figure.",
                "Check this voltammogram for artifacts and name each one.",
            ),
            _object({"anomalies": _array({"type": "string"})}),
            {"match": "set"},
            _anomaly_kinds,
            reads_peaks=False,
        ),
        Template(
            "anomaly.trust",
            "anomaly_detection",
            ALL_KINDS,
            (
                "Can the peak values in this figure be trusted?",
                "Is this data good enough to report peak potentials and currents?",
                "Would you trust quantitative results from this voltammogram?",
            ),
            _object({"trustworthy": {"type": "boolean"}, "reasons": _array({"type": "string"})}),
            {"trustworthy": EXACT},
            _trustworthy,
            reads_peaks=False,
        ),
        Template(
            "concentration.trend",
            "concentration",
            CONC,
            (
                "{given}How does the peak current change with concentration?",
                "{given}What trend do the curves show as the analyte concentration rises?",
                "{given}Describe the dependence of the peak current on concentration and give the sensitivity "
                "(tallest peak of each curve, from its baseline).",
            ),
            _object({"trend": _enum("increases", "decreases", "constant"), "sensitivity": Q}),
            {"trend": EXACT, "sensitivity": {"rel": 0.15}},
            _trend,
        ),
        Template(
            "concentration.highest",
            "concentration",
            CONC,
            (
                "Which curve corresponds to the highest concentration?",
                "Which trace was recorded at the largest analyte concentration?",
            ),
            _object({"curve": {"type": "string"}, "concentration": Q}),
            {"curve": EXACT},
            _highest_curve,
        ),
        Template(
            "concentration.unknown",
            "concentration",
            CONC,
            (
                "{given}An unknown sample measured the same way gives a peak current of {current} (its tallest "
                "peak, from the baseline). What is its concentration?",
                "{given}Using this calibration (tallest peak of each curve against concentration), estimate the "
                "concentration of a sample whose tallest peak is {current}.",
                "{given}A peak of {current} (height of the tallest peak above the baseline) is measured for an "
                "unknown. Read its concentration off the calibration.",
            ),
            _object({"concentration": Q}),
            {"concentration": TOL_CONCENTRATION},
            _unknown,
        ),
        Template(
            "concentration.lod",
            "concentration",
            CONC,
            (
                "{given}Estimate the limit of detection (3σ of the blank over the sensitivity).",
                "{given}What is the LOD of this method?",
                "{given}From the blank and the calibration, what detection limit do you get?",
            ),
            _object({"lod": Q}),
            {"lod": TOL_LOD},
            _lod,
        ),
        Template(
            "reversibility.class",
            "reversibility",
            SINGLE,
            (
                "Is this redox couple reversible, quasi-reversible or irreversible?",
                "Classify the electrochemical reversibility of this system.",
                "How reversible is the electron transfer here?",
            ),
            _object(
                {"reversibility": _enum("reversible", "quasi-reversible", "irreversible"), "delta_Ep": Q}
            ),
            {"reversibility": EXACT},
            _reversibility,
        ),
        Template(
            "mechanism.identify",
            "reversibility",
            SINGLE,
            (
                "Which electrode mechanism does this voltammogram suggest?",
                "What kind of electrochemical mechanism is this (E, EC, EE, adsorbed …)?",
                "Identify the reaction mechanism from the shape of the curve.",
            ),
            _object({"mechanism": _enum(*MECHANISM_HINTS)}),
            {"mechanism": EXACT},
            _mechanism,
        ),
        Template(
            "scan_rate.regime",
            "scan_rate",
            SCAN,
            (
                "{given}Is the process diffusion-controlled or adsorption-controlled?",
                "{given}From the scan-rate dependence, is the redox species freely diffusing or surface-bound?",
                "{given}What is the slope of log|ip| vs log v, and what does it tell you?",
                "{given}Diagnose the mass-transport regime from these scan rates.",
            ),
            _object({"regime": _enum("diffusion", "adsorption"), "log_log_slope": Q}),
            {"regime": EXACT, "log_log_slope": TOL_SLOPE},
            _regime,
        ),
        Template(
            "interpretation.summary",
            "interpretation",
            SINGLE,
            (
                "Describe this voltammogram as an electrochemist would (peaks counted{cyc}).",
                "What does this figure show? Summarise technique, peaks{cyc}, couples, mechanism and artifacts.",
                "Interpret this voltammogram: technique, number of peaks{cyc}, E½ of each couple, mechanism, "
                "artifacts.",
            ),
            _object(
                {
                    "technique": _enum("CV", "LSV", "DPV", "SWV"),
                    "n_peaks": {"type": "integer"},
                    "E_half": _array(Q),
                    "mechanisms": _array({"type": "string"}),
                    "anomalies": _array({"type": "string"}),
                }
            ),
            {
                "technique": EXACT,
                "n_peaks": EXACT,
                "E_half": TOL_POTENTIAL,
                "mechanisms": PARTIAL_SET,
                "anomalies": PARTIAL_SET,
            },
            _summary,
        ),
        Template(
            "interpretation.report",
            "interpretation",
            ("single", "overlay"),
            (
                "Analyse this voltammogram and answer with the voltlens analysis JSON.",
                "Return the full analysis of this figure as voltlens analysis-contract JSON.",
            ),
            {"$ref": "voltlens:analysis-schema"},
            {
                "match": "report",
                "potential": TOL_POTENTIAL,
                "current": TOL_CURRENT,
                "E_half": TOL_POTENTIAL,
                "delta_Ep": TOL_DELTA_EP,
            },
            _report,
        ),
    )
}


def templates_for(skills: Mapping[str, float] | None = None) -> list[Template]:
    """Templates of the skills with a positive weight (all when ``skills`` is None)."""
    return [t for t in TEMPLATES.values() if skills is None or skills.get(t.skill, 0.0) > 0]


def generate_qa(
    label: Mapping[str, Any],
    rng: np.random.Generator,
    *,
    n: int,
    skills: Mapping[str, float] | None = None,
) -> list[QA]:
    """Up to ``n`` questions about one label, from distinct templates, skills drawn by weight."""
    candidates: dict[str, list[QA]] = {}
    for t in templates_for(skills):
        qa = t.generate(label, rng)
        if qa is not None:
            candidates.setdefault(t.skill, []).append(qa)
    out: list[QA] = []
    while candidates and len(out) < n:
        names = sorted(candidates)
        w = np.array([1.0 if skills is None else skills.get(s, 0.0) for s in names])
        skill = names[int(rng.choice(len(names), p=w / w.sum()))]
        pool = candidates[skill]
        out.append(pool.pop(int(rng.integers(len(pool)))))
        if not pool:
            del candidates[skill]
    return out

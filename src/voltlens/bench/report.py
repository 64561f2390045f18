"""The ECBench run report: one self-contained HTML page a person wants to read.

``write_report(run_dir)`` reads a run directory (``summary.json``, ``predictions.jsonl``, ``run.json``;
formats in ``docs/dev/bench-format.md``) and, when the bench directory is found, its ``items.jsonl``,
``labels.jsonl`` and images.  The page holds the headline accuracy with its 95% confidence interval, the
per-skill and per-template tables (CIs drawn as small bars), accuracy by figure kind, confusion matrices of
the categorical answers, the failure-mode counts, a reliability diagram with the expected calibration error,
and a capped gallery of failures grouped by failure mode: each card shows the original figure with the
prediction drawn over it (crosses, dashed lines) and the truth (circles, solid lines), placed with the
label's exact data↔pixel transform, beside the predicted and true answers and the scorer's detail line.

Everything is inline (images as base64 PNG, CSS in a ``<style>`` block); the page makes no request and
needs no JavaScript.  Every text from the run is escaped.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write_bytes
from ..errors import DataError, ParameterError, VoltlensError
from .compare import read_json_object
from .scoring import wilson

__all__ = [
    "GALLERY_CAP",
    "REPORT_NAME",
    "Mark",
    "RunData",
    "load_run",
    "overlay_marks",
    "render_report",
    "select_failures",
    "write_report",
]

REPORT_NAME = "report.html"
GALLERY_CAP = 24
CARD_IMAGE_WIDTH = 640  # pixels of the drawn overlay (shown at about half that, so it stays sharp)
MAX_MATRIX_LABELS = 10  # categorical fields with more distinct labels (curve names) get no matrix
SKILL_TARGET = 0.90  # issue #6: every skill >= 90%
OVERALL_TARGET = 0.95

TRUTH_RGB = (0, 140, 70)
PRED_RGB = (220, 30, 90)
EVIDENCE_RGB = (235, 120, 0)


# ----------------------------------------------------------------------------------------------
# reading a run


@dataclass(frozen=True, slots=True)
class RunData:
    """What a report is made from: the run's files and, when found, the bench's items and labels."""

    run_dir: Path
    summary: dict[str, Any]
    predictions: list[dict[str, Any]]
    run_info: dict[str, Any]
    bench_dir: Path | None = None
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(str(path), "not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(str(path), f"cannot be read ({exc})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(str(path), f"line {number} is not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DataError(str(path), f"line {number} holds a {type(row).__name__}, expected an object")
        rows.append(row)
    return rows


def _bench_dir_of(run_dir: Path, run_info: Mapping[str, Any]) -> Path | None:
    """The bench directory named in run.json (``bench_dir``, ``options.bench_dir``, ``bench.dir|path``)."""
    candidates: list[Any] = [run_info.get("bench_dir")]
    for key in ("options", "bench"):
        sub = run_info.get(key)
        if isinstance(sub, Mapping):
            candidates += [sub.get("bench_dir"), sub.get("dir"), sub.get("path")]
    for c in candidates:
        if isinstance(c, str) and c:
            p = Path(c)
            p = p if p.is_absolute() else (run_dir / p if (run_dir / p).is_dir() else p)
            if (p / "items.jsonl").is_file():
                return p
    return None


def load_run(run_dir: str | Path, *, bench_dir: str | Path | None = None) -> RunData:
    """Read a run directory and, when given or named in run.json, its bench directory."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError(str(run_dir), "is not a run directory (no such folder)")
    summary = read_json_object(run_dir / "summary.json")
    for key in ("accuracy", "n_items", "skills"):
        if key not in summary:
            raise DataError(str(run_dir / "summary.json"), f"has no {key!r}", field=key)
    predictions = _read_jsonl(run_dir / "predictions.jsonl")
    run_info = read_json_object(run_dir / "run.json") if (run_dir / "run.json").is_file() else {}
    bench = Path(bench_dir) if bench_dir is not None else _bench_dir_of(run_dir, run_info)
    if bench is None:
        return RunData(run_dir, summary, predictions, run_info)
    if not (bench / "items.jsonl").is_file():
        raise DataError(str(bench), "is not a bench directory (no items.jsonl)", field="bench_dir")
    items = {str(it.get("id")): it for it in _read_jsonl(bench / "items.jsonl")}
    labels: dict[str, dict[str, Any]] = {}
    if (bench / "labels.jsonl").is_file():
        for lab in _read_jsonl(bench / "labels.jsonl"):
            labels[str(lab.get("id"))] = lab
            if lab.get("image"):
                labels.setdefault("image:" + str(lab["image"]), lab)
    return RunData(run_dir, summary, predictions, run_info, bench, items, labels)


def _label_for(run: RunData, item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not item:
        return None
    found = run.labels.get(str(item.get("sample")))
    if found is None and item.get("images"):
        found = run.labels.get("image:" + str(item["images"][0]))
    return found


# ----------------------------------------------------------------------------------------------
# small statistics (Wilson score interval, as the scorer uses)


def _group_stats(rows: Iterable[Mapping[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        groups[str(r.get(key))].append(bool(r.get("correct")))
    out = {}
    for name, flags in groups.items():
        k, n = sum(flags), len(flags)
        out[name] = {"accuracy": k / n, "ci95": list(wilson(k, n)), "n": n}
    return out


# ----------------------------------------------------------------------------------------------
# formatting


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{100 * x:.{digits}f}%"


def _num(x: Any) -> str:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    return f"{x:.4g}"


def _si(value: float, unit: str) -> str:
    """A potential in V with three decimals, a current with an SI prefix."""
    if unit == "V":
        return f"{value:+.3f} V"
    if unit == "A":
        ax = abs(value)
        for prefix, s in (("A", 1.0), ("mA", 1e-3), ("µA", 1e-6), ("nA", 1e-9)):
            if ax >= s:
                return f"{value / s:.3g} {prefix}"
        return f"{value / 1e-12:.3g} pA"
    return f"{_num(value)} {unit}".strip()


def _quantity_text(q: Mapping[str, Any]) -> str:
    value, unit = q.get("value"), str(q.get("unit") or "")
    if value is None:
        return f"none ({unit})" if unit else "none"
    if isinstance(value, int | float) and not isinstance(value, bool) and unit in ("V", "A"):
        text = _si(float(value), unit)
    else:
        text = f"{_num(value)} {unit}".strip() if unit != "1" else _num(value)
    if q.get("uncertainty") is not None:
        text += f" ± {_num(q['uncertainty'])}"
    return text


def _is_quantity(x: Any) -> bool:
    return isinstance(x, Mapping) and "value" in x and set(x) <= {"value", "unit", "uncertainty"}


def _flatten(answer: Any, prefix: str = "") -> list[tuple[str, str]]:
    """An answer JSON as (key, text) rows: quantities read as '0.480 V', peaks as one row each."""
    if _is_quantity(answer):
        return [(prefix or "value", _quantity_text(answer))]
    if isinstance(answer, Mapping):
        rows: list[tuple[str, str]] = []
        for k, v in answer.items():
            rows += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return rows
    if isinstance(answer, list):
        if all(isinstance(v, Mapping) for v in answer) and answer:
            rows = []
            for i, v in enumerate(answer):
                parts = [
                    _quantity_text(x) if _is_quantity(x) else str(x)
                    for x in v.values()
                    if not isinstance(x, Mapping | list) or _is_quantity(x)
                ]
                rows.append((f"{prefix}[{i}]", ", ".join(parts)))
            return rows
        return [(prefix or "value", ", ".join(str(v) for v in answer) if answer else "(empty)")]
    return [(prefix or "value", "none" if answer is None else str(answer))]


def _answer_rows(pred: Any, truth: Any, limit: int = 8) -> list[tuple[str, str, str]]:
    p = dict(_flatten(pred)) if pred is not None else {}
    t = dict(_flatten(truth)) if truth is not None else {}
    keys = list(t) + [k for k in p if k not in t]
    rows = [(k, p.get(k, "—") if pred is not None else "(no answer)", t.get(k, "—")) for k in keys]
    if len(rows) > limit:
        rows = [*rows[: limit - 1], (f"… {len(rows) - limit + 1} more", "", "")]
    return rows


def _clip(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


# ----------------------------------------------------------------------------------------------
# overlays: what to draw over a figure


@dataclass(frozen=True, slots=True)
class Mark:
    """One thing drawn over a figure, in data units: a point (potential, current) or a vertical line
    at a potential (``current_A`` None).  ``role`` is ``truth``, ``pred`` or ``evidence``."""

    role: str
    potential_V: float
    current_A: float | None = None
    direction: str | None = None


_SCALE_TO_SI = {"V": 1.0, "mV": 1e-3, "A": 1.0, "mA": 1e-3, "µA": 1e-6, "uA": 1e-6, "μA": 1e-6, "nA": 1e-9}


def _si_value(q: Any, default_unit: str) -> float | None:
    """SI value of a quantity ``{"value", "unit"}`` (or a bare number in ``default_unit``)."""
    if _is_quantity(q):
        value, unit = q.get("value"), str(q.get("unit") or default_unit)
    else:
        value, unit = q, default_unit
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    scale = _SCALE_TO_SI.get(unit.strip())
    return None if scale is None else float(value) * scale


def _truth_peaks(label: Mapping[str, Any], curves: Sequence[int]) -> list[dict[str, Any]]:
    """First-cycle true peaks of the given curves, with ``shown_A``: the current of the drawn curve there
    (``exact`` when the curve has one species; with several, a peak's label current leaves out the other
    species' current, so only its potential is known on the drawn curve)."""
    out = []
    for k in curves:
        curve = label["curves"][k]
        exact = len(curve.get("species") or [None]) == 1
        out += [
            {**p, "shown_A": p["baseline_A"] + p["current_A"] + _recorded_offset(curve, p), "exact": exact}
            for p in curve["peaks"]
            if p.get("cycle", 1) == 1
        ]
    return out


def _recorded_offset(curve: Mapping[str, Any], peak: Mapping[str, Any]) -> float:
    """What the recorded artifacts add to the clean current at a true peak: the background (polynomial in
    E − E_start, exponential onsets) and the drift (rate × time since the sweep began; for DPV rate × pulse
    width), as ``voltlens.simulate.artifacts`` adds them.  Noise is left out: it has no known value here."""
    params = {a.get("kind"): a.get("params") or {} for a in curve.get("artifacts") or []}
    w = curve.get("waveform") or {}
    e = float(peak["potential_V"])
    start = w.get("start_V")
    out = 0.0
    bg = params.get("background")
    if bg and start is not None:
        de = e - float(start)
        out += (
            float(bg.get("background_offset_A") or 0.0)
            + float(bg.get("background_linear_A_per_V") or 0.0) * de
        )
        out += float(bg.get("background_quadratic_A_per_V2") or 0.0) * de * de
        onset, width = float(bg.get("onset_current_A") or 0.0), float(bg.get("onset_width_V") or 0.03)
        if onset and bg.get("anodic_onset_V") is not None:
            out += onset * math.exp(min((e - float(bg["anodic_onset_V"])) / width, 50.0))
        if onset and bg.get("cathodic_onset_V") is not None:
            out -= onset * math.exp(min(-(e - float(bg["cathodic_onset_V"])) / width, 50.0))
    rate = float((params.get("drift") or {}).get("drift_A_per_s") or 0.0)
    if rate and start is not None:
        if "pulse_width_s" in w:
            out += rate * float(w["pulse_width_s"])
        elif w.get("scan_rate_V_s"):
            k = int(peak.get("segment", 0)) + 2 * (int(peak.get("cycle", 1)) - 1) * (
                w.get("vertex_V") is not None
            )
            turn = w.get("vertex_V")
            length = abs(float(turn) - float(start)) if turn is not None else 0.0
            begin = float(start) if k % 2 == 0 else float(turn if turn is not None else start)
            out += rate * (k * length + abs(e - begin)) / float(w["scan_rate_V_s"])
    return out


def _nearest(e: float, direction: str | None, peaks: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    same = [p for p in peaks if direction is None or p["direction"] == direction] or list(peaks)
    return min(same, key=lambda p: abs(p["potential_V"] - e)) if same else None


def _peak_marks(role: str, peaks: Any, truth_peaks: Sequence[Mapping[str, Any]]) -> list[Mark]:
    """Marks of answer peaks ``[{"direction", "potential", "current"?}]``; currents are relative to the
    background, so they are drawn on the true background of the nearest true peak of that direction."""
    marks = []
    for p in peaks if isinstance(peaks, list) else []:
        if not isinstance(p, Mapping):
            continue
        e = _si_value(p.get("potential"), "V")
        if e is None:
            continue
        d = p.get("direction") if p.get("direction") in ("anodic", "cathodic") else None
        i = _si_value(p.get("current"), "A") if p.get("current") is not None else None
        near = _nearest(e, d, truth_peaks)
        y = (
            None
            if i is None or near is None or not near["exact"]
            else near["shown_A"] - near["current_A"] + i
        )
        marks.append(Mark(role, e, y, d))
    return marks


def _evidence_marks(evidence: Any, label: Mapping[str, Any], curves: Sequence[int]) -> list[Mark]:
    """First-cycle peaks the backend says it measured (``evidence.curves[k].peaks``, or ``evidence.peaks``
    for curve 0), each with ``potential_V`` and ``current_A`` or contract quantities.  With a baseline
    (``baseline_A``/``baseline_current``) the current is drawn on it; without one the current counts from
    the background, so it is drawn on the true background of the nearest true peak of that curve, or as
    a line at the potential when that background is not known."""
    if not isinstance(evidence, Mapping):
        return []
    per_curve: dict[int, list[Any]] = defaultdict(list)
    if isinstance(evidence.get("peaks"), list):
        per_curve[0] += evidence["peaks"]
    for k, curve in enumerate(evidence.get("curves") or []):
        if isinstance(curve, Mapping) and isinstance(curve.get("peaks"), list):
            per_curve[int(curve["curve"]) if isinstance(curve.get("curve"), int) else k] += curve["peaks"]
    n_curves = len(label.get("curves") or [])
    marks = []
    for k, peaks in per_curve.items():
        if k not in curves:
            continue
        truth = _truth_peaks(label, [k]) if k < n_curves else []
        for p in peaks:
            if not isinstance(p, Mapping) or p.get("cycle", 1) not in (1, None):
                continue
            e = _si_value(p["potential_V"], "V") if "potential_V" in p else _si_value(p.get("potential"), "V")
            if e is None:
                continue
            i = _si_value(p["current_A"], "A") if "current_A" in p else _si_value(p.get("current"), "A")
            d = p.get("direction") if p.get("direction") in ("anodic", "cathodic") else None
            base = p.get("baseline_A", p.get("baseline_current"))
            if i is not None and base is not None:
                b = _si_value(base, "A")
                marks.append(Mark("evidence", e, None if b is None else i + b, d))
                continue
            near = _nearest(e, d, truth)
            on_truth = i is not None and near is not None and near["exact"]
            marks.append(
                Mark("evidence", e, near["shown_A"] - near["current_A"] + i if on_truth else None, d)
            )
    return marks


def _vline_marks(role: str, answer: Any, key: str) -> list[Mark]:
    if not isinstance(answer, Mapping):
        return []
    values = answer.get(key)
    if key == "couples" and isinstance(values, list):
        values = [c.get("E_half") for c in values if isinstance(c, Mapping)]
    out = []
    for q in values if isinstance(values, list) else [values]:
        e = _si_value(q, "V")
        if e is not None:
            out.append(Mark(role, e))
    return out


def overlay_marks(
    item: Mapping[str, Any], prediction: Mapping[str, Any], label: Mapping[str, Any]
) -> list[Mark]:
    """What to draw over the item's figure: the true first-cycle peaks of the curves the question is about
    (points on the drawn curve: background + faradaic current + the recorded background and drift; a line
    at the potential when the curve holds several species), true and predicted peak potentials/currents,
    E½ lines, and the peaks the backend reports in its evidence."""
    template = str(item.get("template") or prediction.get("template") or "")
    n_curves = len(label.get("curves") or [])
    single = template.split(".")[0] in ("peaks", "values", "reversibility", "interpretation", "anomaly")
    truth_peaks = _truth_peaks(label, [0] if single or n_curves == 0 else range(n_curves)) if n_curves else []
    marks = [
        Mark("truth", float(p["potential_V"]), float(p["shown_A"]) if p["exact"] else None, p["direction"])
        for p in truth_peaks[:40]
        if p["exact"] or single
    ]
    truth, parsed = item.get("truth", prediction.get("truth")), prediction.get("parsed")
    if template.split(".")[0] in ("peaks", "interpretation") and isinstance(parsed, Mapping):
        marks += _peak_marks("pred", parsed.get("peaks"), truth_peaks)
        curves = parsed.get("curves") if isinstance(parsed.get("curves"), list) else []
        if curves and isinstance(curves[0], Mapping):  # the analysis contract: the first curve's peaks
            first = [
                q for q in curves[0].get("peaks") or [] if isinstance(q, Mapping) and q.get("cycle", 1) == 1
            ]
            marks += _peak_marks("pred", first, truth_peaks)
    for key in ("E_half", "couples"):
        marks += _vline_marks("truth", truth, key) + _vline_marks("pred", parsed, key)
    if not any(m.role == "pred" for m in marks):
        marks += _evidence_marks(prediction.get("evidence"), label, [0] if single else range(n_curves))
    return marks


# ----------------------------------------------------------------------------------------------
# drawing an overlay (Pillow: fast, exact pixel placement)


def _dashed(draw: Any, p0: tuple[float, float], p1: tuple[float, float], rgb: tuple, width: int) -> None:
    (x0, y0), (x1, y1) = p0, p1
    length = math.hypot(x1 - x0, y1 - y0)
    if length == 0:
        return
    dash, gap = 7.0, 5.0
    t = 0.0
    while t < length:
        a, b = t / length, min(t + dash, length) / length
        draw.line(
            [(x0 + a * (x1 - x0), y0 + a * (y1 - y0)), (x0 + b * (x1 - x0), y0 + b * (y1 - y0))],
            fill=rgb,
            width=width,
        )
        t += dash + gap


def _outside(label: Mapping[str, Any], marks: Sequence[Mark]) -> int:
    """How many marks land outside the image (a ×10³ unit error sends a peak off the figure)."""
    from ..render.transform import PixelTransform

    t = PixelTransform.from_dict(label["transform"])
    lo, hi = _current_span(label)
    n = 0
    for m in marks:
        x, y = t.to_pixel(m.potential_V, (lo + hi) / 2 if m.current_A is None else m.current_A)
        n += not (0 <= float(x) <= t.width and 0 <= float(y) <= t.height)
    return n


def render_overlay(
    image_path: Path, label: Mapping[str, Any], marks: Sequence[Mark], *, width: int = CARD_IMAGE_WIDTH
) -> bytes:
    """The figure scaled to ``width`` pixels with ``marks`` drawn at the label transform's pixels; PNG."""
    from PIL import Image, ImageDraw

    from ..render.transform import PixelTransform

    transform = PixelTransform.from_dict(label["transform"], source=str(image_path))
    with Image.open(image_path) as im:
        base = im.convert("RGB")
    s = min(1.0, width / base.width)
    if s < 1.0:
        base = base.resize((round(base.width * s), round(base.height * s)), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(base)
    lo, hi = _current_span(label)
    r, lw = 7, 3
    for m in sorted(marks, key=lambda m: {"truth": 0, "evidence": 1, "pred": 2}.get(m.role, 3)):
        rgb = {"truth": TRUTH_RGB, "pred": PRED_RGB}.get(m.role, EVIDENCE_RGB)
        if m.current_A is None:
            xa, ya = transform.to_pixel([m.potential_V, m.potential_V], [lo, hi])
            p0, p1 = (float(xa[0]) * s, float(ya[0]) * s), (float(xa[1]) * s, float(ya[1]) * s)
            if m.role == "truth":
                draw.line([p0, p1], fill=rgb, width=2)
            else:
                _dashed(draw, p0, p1, rgb, 2)
            continue
        xa, ya = transform.to_pixel(m.potential_V, m.current_A)
        x, y = float(xa) * s, float(ya) * s
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        if m.role == "truth":
            draw.ellipse([x - r, y - r, x + r, y + r], outline=rgb, width=lw)
        elif m.role == "pred":
            draw.line([(x - r, y - r), (x + r, y + r)], fill=rgb, width=lw)
            draw.line([(x - r, y + r), (x + r, y - r)], fill=rgb, width=lw)
        else:
            draw.rectangle([x - r + 1, y - r + 1, x + r - 1, y + r - 1], outline=rgb, width=2)
    buf = io.BytesIO()
    # a 160-colour palette keeps line art and markers crisp at a quarter of the size (the gallery stays small)
    small = base.quantize(colors=160, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    small.save(buf, format="PNG", compress_level=9)
    return buf.getvalue()


def _current_span(label: Mapping[str, Any]) -> tuple[float, float]:
    spans = [c.get("current_range_A") for c in label.get("curves") or [] if c.get("current_range_A")]
    if not spans:
        return (-1e-6, 1e-6)
    lo, hi = min(float(s[0]) for s in spans), max(float(s[1]) for s in spans)
    pad = 0.05 * (hi - lo or 1e-9)
    return lo - pad, hi + pad


# ----------------------------------------------------------------------------------------------
# choosing the failures to show


def select_failures(
    predictions: Sequence[Mapping[str, Any]], cap: int = GALLERY_CAP
) -> list[tuple[str, list[dict]]]:
    """Up to ``cap`` failures grouped by failure mode (most frequent mode first); modes share the cap
    round-robin and, inside a mode, templates do, so one frequent case does not fill the gallery."""
    if cap < 0:
        raise ParameterError("cap", cap, "a non-negative number of gallery cards")
    by_mode: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for p in predictions:
        if not p.get("correct"):
            by_mode[str(p.get("failure_mode") or "unclassified")][str(p.get("template"))].append(dict(p))
    counts = {m: sum(len(v) for v in t.values()) for m, t in by_mode.items()}
    modes = sorted(by_mode, key=lambda m: (-counts[m], m))
    queues = {m: _round_robin(list(by_mode[m].values())) for m in modes}
    chosen: dict[str, list[dict]] = {m: [] for m in modes}
    total = 0
    while total < cap and any(queues.values()):
        for m in modes:
            if queues[m] and total < cap:
                chosen[m].append(queues[m].pop(0))
                total += 1
    return [(m, chosen[m]) for m in modes if chosen[m]]


def _round_robin(groups: list[list[dict]]) -> list[dict]:
    out: list[dict] = []
    for k in range(max((len(g) for g in groups), default=0)):
        out += [g[k] for g in groups if k < len(g)]
    return out


# ----------------------------------------------------------------------------------------------
# matplotlib figures (object API with the Agg canvas: no pyplot state)


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    fig.clear()
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _reliability_png(bins: Sequence[Mapping[str, Any]], ece: float | None) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.6, 4.0), dpi=110, layout="constrained")
    ax = fig.add_subplot(5, 1, (1, 4))
    hist = fig.add_subplot(5, 1, 5, sharex=ax)
    ax.plot([0, 1], [0, 1], ls="--", color="#999999", lw=1, label="perfect calibration")
    used = [b for b in bins if b.get("n")]
    lo = np.array([float(b["lo"]) for b in used])
    hi = np.array([float(b["hi"]) for b in used])
    acc = np.array([float(b["accuracy"]) for b in used])
    conf = np.array([float(b["mean_confidence"]) for b in used])
    n = np.array([int(b["n"]) for b in used])
    ax.bar(lo, acc, width=hi - lo, align="edge", color="#4c78a8", edgecolor="white", label="accuracy")
    ax.bar(
        lo,
        conf - acc,
        bottom=acc,
        width=hi - lo,
        align="edge",
        facecolor="none",
        edgecolor="#d0245c",
        hatch="///",
        lw=0.8,
        label="gap to stated confidence",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    title = "Reliability diagram" + (f" — ECE {ece:.3f}" if ece is not None else "")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    hist.bar(lo, n, width=hi - lo, align="edge", color="#bbbbbb", edgecolor="white")
    hist.set_xlabel("stated confidence")
    hist.set_ylabel("n", fontsize=8)
    for a in (ax, hist):
        a.spines[["top", "right"]].set_visible(False)
        a.tick_params(labelsize=8)
    return _png(fig)


def _calibration(run: RunData) -> tuple[list[dict[str, Any]], float | None] | None:
    """The run's calibration block, or one computed from the stated confidences (10 equal bins)."""
    cal = run.summary.get("calibration")
    if isinstance(cal, Mapping) and cal.get("bins"):
        return list(cal["bins"]), cal.get("ece")
    pairs = [
        (float(p["confidence"]), bool(p.get("correct")))
        for p in run.predictions
        if isinstance(p.get("confidence"), int | float) and not isinstance(p.get("confidence"), bool)
    ]
    if not pairs:
        return None
    conf = np.clip(np.array([c for c, _ in pairs]), 0, 1)
    ok = np.array([k for _, k in pairs], dtype=float)
    edges = np.linspace(0, 1, 11)
    idx = np.minimum(np.digitize(conf, edges[1:-1]), 9)
    bins, ece = [], 0.0
    for b in range(10):
        sel = idx == b
        if sel.any():
            ece += sel.sum() / len(conf) * abs(ok[sel].mean() - conf[sel].mean())
        bins.append(
            {
                "lo": edges[b],
                "hi": edges[b + 1],
                "n": int(sel.sum()),
                "mean_confidence": float(conf[sel].mean()) if sel.any() else 0.0,
                "accuracy": float(ok[sel].mean()) if sel.any() else 0.0,
            }
        )
    return bins, float(ece)


# ----------------------------------------------------------------------------------------------
# HTML pieces

CSS = """
:root{--fg:#1d2330;--muted:#5d6678;--line:#e3e6ec;--bg:#f6f7f9;--card:#fff;--good:#1a8f4e;--bad:#d0245c;
--accent:#3b6fd8;--warn:#c97a00}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
main{max-width:1320px;margin:0 auto;padding:28px 32px 60px}
h1{font-size:26px;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:18px;margin:34px 0 10px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:15px;margin:18px 0 8px}
.sub{color:var(--muted);margin:0 0 18px}
.meta{display:flex;flex-wrap:wrap;gap:6px 22px;color:var(--muted);font-size:13px;margin-bottom:20px}
.meta b{color:var(--fg);font-weight:600}
.toc{margin:-8px 0 18px;font-size:13px}.toc a{color:var(--accent);text-decoration:none;margin-right:16px}
.hero{display:grid;grid-template-columns:minmax(260px,1fr) 3fr;gap:18px;align-items:stretch}
.panel{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px}
.big{font-size:54px;font-weight:700;line-height:1;letter-spacing:-.02em}
.big small{font-size:20px;font-weight:600;color:var(--muted);margin-left:4px}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.kpi .v{font-size:22px;font-weight:650}
.kpi .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.two{display:grid;grid-template-columns:1fr 1fr;gap:18px;align-items:start}
table{border-collapse:collapse;width:100%;background:var(--card);font-size:13px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
th{font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em;
background:#fafbfc}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.tbl{border:1px solid var(--line);border-radius:10px;overflow:hidden}
.ci{position:relative;width:170px;height:14px;background:#eef0f4;border-radius:3px}
.ci .band{position:absolute;top:3px;height:8px;background:#9db7ea;border-radius:2px}
.ci .pt{position:absolute;top:0;width:3px;height:14px;margin-left:-1px;background:var(--accent)}
.ci .tg{position:absolute;top:-2px;height:18px;border-left:1px dashed #888}
.ci.low .band{background:#f0a8bd}.ci.low .pt{background:var(--bad)}
.ok{color:var(--good);font-weight:600}.bad{color:var(--bad);font-weight:600}
.note{color:var(--muted);font-size:12px;margin:6px 0 0}
.bars .row{display:grid;grid-template-columns:190px 1fr 92px;gap:10px;align-items:center;margin:5px 0}
.bars .track{background:#eef0f4;border-radius:3px;height:16px}
.bars .fill{background:var(--bad);height:16px;border-radius:3px;min-width:2px}
.bars .cnt{text-align:right;font-variant-numeric:tabular-nums;color:var(--muted)}
.bars .name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.cm{width:auto;font-size:12.5px}
.cm td,.cm th{text-align:center;padding:5px 9px;border:1px solid var(--line)}
.cm th{text-transform:none;font-size:12px;color:var(--fg)}
.cm th.rl{text-align:right}
.cm .corner{font-size:11px;text-transform:none;color:var(--muted)}
.cms{display:flex;flex-wrap:wrap;gap:22px;align-items:flex-start}
.mode{display:inline-block;padding:1px 8px;border-radius:10px;background:#fde7ee;color:var(--bad);
font-size:12px;font-weight:600;font-family:ui-monospace,Menlo,Consolas,monospace}
.gallery{display:grid;grid-template-columns:1fr;gap:14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px;
display:grid;grid-template-columns:minmax(0,520px) minmax(0,1fr);gap:20px;min-width:0}
.card img{width:100%;height:auto;border:1px solid var(--line);border-radius:4px;display:block}
.card .q{font-weight:600;margin:0 0 6px}
.card .id{color:var(--muted);font-size:11.5px;font-family:ui-monospace,Menlo,Consolas,monospace;
overflow-wrap:anywhere}
.card table{font-size:12px;margin:6px 0}
.card td,.card th{padding:3px 6px;overflow-wrap:anywhere}
.card td.diff{color:var(--bad);font-weight:600}
.card table{table-layout:fixed}
.card th:first-child{width:26%}.card th:nth-child(2),.card th:nth-child(3){width:37%}
.detail{background:#fff6e5;border-left:3px solid var(--warn);padding:5px 8px;font-size:12.5px;margin:6px 0;
overflow-wrap:anywhere}
.raw{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11.5px;color:var(--muted);
white-space:pre-wrap;overflow-wrap:anywhere;margin:4px 0 0;max-height:6.5em;overflow:hidden}
.legend{font-size:11.5px;color:var(--muted);margin-top:4px}
.sw{font-weight:700}.sw.t{color:rgb(0,140,70)}.sw.p{color:rgb(220,30,90)}.sw.e{color:rgb(235,120,0)}
.noimg{border:1px dashed var(--line);border-radius:4px;padding:30px 10px;text-align:center;color:var(--muted)}
footer{margin-top:40px;color:var(--muted);font-size:12px}
@media (max-width:1000px){.hero,.two,.gallery{grid-template-columns:1fr}.kpis{grid-template-columns:1fr 1fr}}
"""


def _ci_bar(acc: float, lo: float, hi: float, target: float | None = SKILL_TARGET) -> str:
    low = " low" if target is not None and hi < target else ""
    tg = f'<span class="tg" style="left:{100 * target:.1f}%"></span>' if target is not None else ""
    return (
        f'<div class="ci{low}" title="{_pct(lo)} – {_pct(hi)}"><span class="band" style="left:{100 * lo:.1f}%;'
        f'width:{max(0.6, 100 * (hi - lo)):.1f}%"></span>{tg}<span class="pt" style="left:{100 * acc:.1f}%">'
        "</span></div>"
    )


def _stats_table(
    stats: Mapping[str, Mapping[str, Any]],
    *,
    key: str,
    extra: Mapping[str, tuple[str, ...]] | None = None,
    extra_heads: tuple[str, ...] = (),
    target: float | None = SKILL_TARGET,
    table_id: str = "",
) -> str:
    heads = "".join(f"<th>{_e(h)}</th>" for h in extra_heads)
    rows = []
    for name, s in stats.items():
        acc, n = float(s.get("accuracy", 0.0)), int(s.get("n", 0))
        lo, hi = (s.get("ci95") or wilson(acc * n, n))[:2]
        cells = "".join(f"<td>{_e(x)}</td>" for x in (extra or {}).get(name, ()))
        rows.append(
            f'<tr data-{key}="{_e(name)}"><td><b>{_e(name)}</b></td>{cells}<td class="n">{n}</td>'
            f'<td class="n acc">{_pct(acc)}</td><td class="n">{_pct(lo)} – {_pct(hi)}</td>'
            f"<td>{_ci_bar(acc, float(lo), float(hi), target)}</td></tr>"
        )
    ident = f' id="{_e(table_id)}"' if table_id else ""
    return (
        f'<div class="tbl"><table{ident}><thead><tr><th>{_e(key)}</th>{heads}<th class="n">n</th>'
        '<th class="n">accuracy</th><th class="n">95% CI</th><th>CI (0–100%)</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></div>"
    )


def _confusions(run: RunData) -> dict[str, tuple[list[str], list[list[int]]]]:
    """Confusion matrices from the predictions' ``categorical`` records (rows true, columns predicted;
    a missing prediction is the column ``(none)``); the summary's when the predictions have none."""
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for p in run.predictions:
        c = p.get("categorical")
        if isinstance(c, Mapping) and c.get("field") is not None and c.get("true") is not None:
            pairs[str(c["field"])].append(
                (str(c["true"]), "(none)" if c.get("pred") is None else str(c["pred"]))
            )
    if pairs:
        out = {}
        for name, rows in sorted(pairs.items()):
            trues = sorted({t for t, _ in rows})
            labels = trues + sorted({q for _, q in rows} - set(trues) - {"(none)"})
            if any(q == "(none)" for _, q in rows):
                labels.append("(none)")
            index = {lab: i for i, lab in enumerate(labels)}
            m = [[0] * len(labels) for _ in labels]
            for t, q in rows:
                m[index[t]][index[q]] += 1
            out[name] = (labels, m)
        return out
    summary = run.summary.get("confusion")
    if isinstance(summary, Mapping):
        return {
            str(k): (list(map(str, v["labels"])), v["matrix"])
            for k, v in summary.items()
            if isinstance(v, Mapping) and "labels" in v and "matrix" in v
        }
    return {}


def _confusion_table(name: str, labels: list[str], matrix: list[list[int]]) -> str:
    if len(labels) > MAX_MATRIX_LABELS:
        n = sum(map(sum, matrix))
        k = sum(matrix[i][i] for i in range(min(len(matrix), len(matrix[0]) if matrix else 0)))
        return (
            f'<div class="panel"><h3>{_e(name)}</h3><p class="note">{len(labels)} distinct answers (e.g. '
            f"curve names differ per figure): no matrix; {k} of {n} exact.</p></div>"
        )
    head = "".join(f"<th>{_e(lab)}</th>" for lab in labels)
    rows = []
    for i, lab in enumerate(labels):
        total = sum(matrix[i]) if i < len(matrix) else 0
        if total == 0 and lab == "(none)":
            continue
        cells = []
        for j, col in enumerate(labels):
            v = int(matrix[i][j]) if i < len(matrix) and j < len(matrix[i]) else 0
            frac = v / total if total else 0.0
            rgb = "26,143,78" if i == j else "208,36,92"
            style = f"background:rgba({rgb},{0.08 + 0.72 * frac:.2f})" if v else ""
            color = ";color:#fff" if frac > 0.55 else ""
            cells.append(
                f'<td class="n" data-true="{_e(lab)}" data-pred="{_e(col)}" style="{style}{color}">{v}</td>'
            )
        recall = _pct(matrix[i][i] / total if total else None, 0)
        rows.append(
            f'<tr><th class="rl">{_e(lab)}</th>{"".join(cells)}<td class="n">{total}</td>'
            f'<td class="n">{recall}</td></tr>'
        )
    return (
        f'<div class="panel"><h3>{_e(name)}</h3><table class="cm" data-field="{_e(name)}"><thead><tr>'
        f'<th class="corner">true ↓ / predicted →</th>{head}<th>n</th><th>recall</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></div>"
    )


def _failure_bars(modes: Mapping[str, int], n_items: int) -> str:
    items = sorted(((str(k), int(v)) for k, v in modes.items() if int(v) > 0), key=lambda kv: (-kv[1], kv[0]))
    if not items:
        return '<p class="note">No failures.</p>'
    top = max(v for _, v in items)
    total = sum(v for _, v in items)
    rows = "".join(
        f'<div class="row" data-mode="{_e(k)}"><span class="name">{_e(k)}</span><div class="track">'
        f'<div class="fill" style="width:{100 * v / top:.1f}%"></div></div>'
        f'<span class="cnt">{v} · {_pct(v / total, 0)}</span></div>'
        for k, v in items
    )
    return (
        f'<div class="panel bars">{rows}<p class="note">{total} failures of {n_items} items; share of '
        "failures on the right.</p></div>"
    )


_DIFF = ' class="diff"'


def _picture(
    path: Path, item: Mapping[str, Any], p: Mapping[str, Any], label: Mapping[str, Any]
) -> tuple[str, str]:
    """The card's figure with the marks drawn over it, and its legend line."""
    marks = overlay_marks(item, p, label)
    png = render_overlay(path, label, marks)
    picture = (
        f'<img alt="figure {_e(item.get("sample", ""))} with the prediction drawn over it" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'
    )
    roles = {m.role for m in marks}
    outside = _outside(label, [m for m in marks if m.role != "truth"])
    bits = []
    if "truth" in roles:
        bits.append('<span class="sw t">○ │</span> truth')
    if "pred" in roles:
        bits.append('<span class="sw p">✕ ┆</span> prediction')
    if "evidence" in roles:
        bits.append('<span class="sw e">□</span> backend evidence')
    if outside:
        bits.append(f'<span class="bad">{outside} predicted mark(s) fall outside the figure</span>')
    return picture, f'<div class="legend">{" &nbsp; ".join(bits) or "no geometric answer to draw"}</div>'


def _card(run: RunData, p: Mapping[str, Any]) -> str:
    item = run.items.get(str(p.get("id"))) or {}
    label = _label_for(run, item)
    picture, legend = '<div class="noimg">figure not available</div>', ""
    if label is not None and item.get("images") and run.bench_dir is not None:
        path = run.bench_dir / str(item["images"][0])
        if path.is_file():
            try:
                picture, legend = _picture(path, item, p, label)
            except (VoltlensError, OSError, ValueError) as exc:  # a bad label or image spoils one card only
                picture = f'<div class="noimg">figure could not be drawn: {_e(_clip(str(exc), 160))}</div>'
    truth = p.get("truth", item.get("truth"))
    rows = _answer_rows(p.get("parsed"), truth)
    table = "".join(
        f"<tr><td>{_e(k)}</td><td{_DIFF if a != b and b else ''}>{_e(a)}</td><td>{_e(b)}</td></tr>"
        for k, a, b in rows
    )
    question = item.get("question") or p.get("question") or ""
    conf = p.get("confidence")
    facts = [f"status {p.get('status', '?')}"]
    if isinstance(conf, int | float) and not isinstance(conf, bool):
        facts.append(f"confidence {conf:.2f}")
    if isinstance(p.get("score"), int | float):
        facts.append(f"score {float(p['score']):.2f}")
    return (
        f'<article class="card" data-id="{_e(p.get("id"))}"><div>{picture}{legend}</div><div>'
        f'<div class="id">{_e(p.get("id"))} · {_e(p.get("skill"))} / {_e(p.get("template"))}</div>'
        f'<p class="q">{_e(_clip(question, 220))}</p>'
        f"<table><thead><tr><th>field</th><th>predicted</th><th>truth</th></tr></thead><tbody>{table}"
        f'</tbody></table><div class="detail">{_e(_clip(p.get("detail") or "", 300))}</div>'
        f'<div class="id">{_e(" · ".join(facts))}</div>'
        f'<div class="raw">answer: {_e(_clip(p.get("raw") or "", 260))}</div></div></article>'
    )


def _by_kind(run: RunData) -> str:
    if not run.items:
        return ""
    rows = []
    for p in run.predictions:
        meta = (run.items.get(str(p.get("id"))) or {}).get("meta") or {}
        kind = f"{meta.get('kind', '?')} · {meta.get('technique', '?')}"
        rows.append(
            {"correct": p.get("correct"), "kind": kind + (" · degraded" if meta.get("degraded") else "")}
        )
    stats = dict(sorted(_group_stats(rows, "kind").items()))
    return (
        "<h3>By figure kind</h3>"
        + _stats_table(stats, key="figure", target=None)
        + '<p class="note">figure kind · technique, and whether the image was degraded.</p>'
    )


def _by_split(s: Mapping[str, Any]) -> str:
    splits = s.get("splits")
    if not isinstance(splits, Mapping) or len(splits) < 2:
        return ""
    return "<h3>By split</h3>" + _stats_table(dict(sorted(splits.items())), key="split", target=None)


def _status_lines(run: RunData, s: Mapping[str, Any], cached: int) -> str:
    statuses = Counter(str(p.get("status")) for p in run.predictions)
    below = [k for k, v in sorted(s["skills"].items()) if float(v.get("accuracy", 0.0)) < SKILL_TARGET]
    parts = [
        '<p class="note" style="margin-top:14px">answers: '
        + " · ".join(f"<b>{_e(k)}</b> {v}" for k, v in statuses.most_common())
        + f" &nbsp;|&nbsp; {cached} of {len(run.predictions)} from the cache</p>"
    ]
    if below:
        parts.append(
            f'<p class="note">below the {_pct(SKILL_TARGET, 0)} per-skill target: '
            + ", ".join(
                f'<span class="bad">{_e(k)}</span> {_pct(s["skills"][k].get("accuracy"), 0)}' for k in below
            )
            + "</p>"
        )
    else:
        parts.append(f'<p class="note"><span class="ok">every skill ≥ {_pct(SKILL_TARGET, 0)}</span></p>')
    return "".join(parts)


def render_report(run: RunData, *, gallery_cap: int = GALLERY_CAP) -> str:
    """The report page as a string."""
    s = run.summary
    acc, n = float(s["accuracy"]), int(s["n_items"])
    lo, hi = (s.get("ci95") or wilson(round(acc * n), n))[:2]
    bench = s.get("bench") if isinstance(s.get("bench"), Mapping) else {}
    title = f"{bench.get('name', 'ECBench')} v{bench.get('version', '?')}"
    backend, model = s.get("backend", "?"), s.get("model")
    n_fail = sum(1 for p in run.predictions if not p.get("correct"))
    latencies = [
        float(p["latency_s"]) for p in run.predictions if isinstance(p.get("latency_s"), int | float)
    ]
    cached = sum(1 for p in run.predictions if p.get("cached"))
    cal = _calibration(run)
    meta = [
        ("backend", backend),
        ("model", model or "—"),
        ("bench", title),
        ("seed", bench.get("seed", "—")),
        ("bench items", bench.get("n_items", "—")),
        ("scored", n),
        ("voltlens", run.run_info.get("voltlens_version", run.run_info.get("version", "—"))),
    ]
    if isinstance(s.get("elapsed_s"), int | float):
        meta.append(("elapsed", f"{float(s['elapsed_s']):.1f} s"))
    kpis = [
        ("correct", f"{n - n_fail if run.predictions else round(acc * n)} / {n}"),
        (
            "skills ≥ 90%",
            f"{sum(1 for v in s['skills'].values() if v.get('accuracy', 0) >= SKILL_TARGET)}"
            f" / {len(s['skills'])}",
        ),
        ("ECE", f"{cal[1]:.3f}" if cal and cal[1] is not None else "—"),
        ("median latency", f"{np.median(latencies):.2f} s" if latencies else "—"),
    ]
    verdict = "ok" if acc >= OVERALL_TARGET else "bad"
    hero = (
        '<section class="hero"><div class="panel"><div class="kpi"><div class="l">overall accuracy</div></div>'
        f'<div class="big headline {verdict}" data-accuracy="{acc!r}">{_pct(acc)}</div>'
        f'<p class="note">95% CI {_pct(lo)} – {_pct(hi)} · n = {n}</p>'
        f"{_ci_bar(acc, float(lo), float(hi), OVERALL_TARGET)}"
        f'<p class="note">dashed line: the {_pct(OVERALL_TARGET, 0)} target</p></div>'
        '<div class="panel"><div class="kpis">'
        + "".join(
            f'<div class="kpi"><div class="v">{_e(v)}</div><div class="l">{_e(k)}</div></div>'
            for k, v in kpis
        )
        + "</div>"
        + _status_lines(run, s, cached)
        + "</div></section>"
    )
    fail_by_skill: dict[str, Counter] = defaultdict(Counter)
    for p in run.predictions:
        if not p.get("correct"):
            fail_by_skill[str(p.get("skill"))][str(p.get("failure_mode") or "unclassified")] += 1
    skill_extra = {
        k: (", ".join(f"{m} {c}" for m, c in fail_by_skill[k].most_common(2)) or "—",) for k in s["skills"]
    }
    skills = dict(sorted(s["skills"].items(), key=lambda kv: kv[0]))
    templates = s.get("templates") or _group_stats(run.predictions, "template")
    skill_of = {str(p.get("template")): str(p.get("skill")) for p in run.predictions}
    templates = dict(sorted(templates.items(), key=lambda kv: (skill_of.get(kv[0], ""), kv[0])))
    cms = _confusions(run)
    cm_html = (
        '<div class="cms">' + "".join(_confusion_table(k, *v) for k, v in cms.items()) + "</div>"
        if cms
        else '<p class="note">No categorical answers in this run.</p>'
    )
    if cal is None:
        cal_html = (
            '<div class="panel"><b>No confidences reported</b><p class="note">This backend states no '
            "confidence with its answers, so calibration cannot be measured.</p></div>"
        )
    else:
        ece_note = (f"Expected calibration error {cal[1]:.3f}: " if cal[1] is not None else "") + (
            "the bar heights should meet the diagonal."
        )
        cal_html = (
            f'<div class="panel"><img alt="reliability diagram" style="max-width:100%" '
            f'src="data:image/png;base64,{_reliability_png(cal[0], cal[1])}"><p class="note">'
            f"{ece_note}</p></div>"
        )
    groups = select_failures(run.predictions, gallery_cap)
    shown = sum(len(g) for _, g in groups)
    gallery = []
    for mode, preds in groups:
        total = int((s.get("failure_modes") or {}).get(mode, 0)) or sum(
            1
            for p in run.predictions
            if not p.get("correct") and (p.get("failure_mode") or "unclassified") == mode
        )
        gallery.append(
            f'<h3 id="mode-{_e(mode)}"><span class="mode">{_e(mode)}</span> &nbsp;{len(preds)} of '
            f'{total} shown</h3><div class="gallery">' + "".join(_card(run, p) for p in preds) + "</div>"
        )
    gallery_note = (
        f"{shown} of {n_fail} failures, grouped by failure mode (cap {gallery_cap}). Circles and solid "
        "lines: the truth; crosses and dashed lines: the prediction, placed with the figure's exact "
        "data↔pixel transform. Predicted peak currents are measured from the background, so they "
        "are drawn on the true background."
    )
    if run.bench_dir is None:
        gallery_note += " The bench directory was not found: figures are not shown."
    body = (
        f"<main><h1>{_e(title)} — {_e(backend)}{' · ' + _e(model) if model else ''}</h1>"
        f'<p class="sub">Benchmark report: accuracy by skill, where the answers go wrong, and what the '
        f"failures look like.</p>"
        '<div class="meta">'
        + "".join(f"<span>{_e(k)} <b>{_e(v)}</b></span>" for k, v in meta)
        + "</div>"
        + '<nav class="toc">'
        + " ".join(
            f'<a href="#{a}">{t}</a>'
            for a, t in (
                ("skills", "skills"),
                ("failures", "failure modes"),
                ("confusion", "confusion matrices"),
                ("gallery", "failure gallery"),
                ("templates", "templates and figure kinds"),
            )
        )
        + "</nav>"
        + hero
        + '<h2 id="skills">Accuracy by skill</h2>'
        + _stats_table(
            skills,
            key="skill",
            extra=skill_extra,
            extra_heads=("most frequent failures",),
            table_id="skills-table",
        )
        + '<p class="note">Wilson 95% intervals; the dashed line in each bar is the 90% per-skill target, and a '
        "bar turns red when its whole interval lies below it.</p>"
        + '<h2 id="failures">Failure modes</h2><div class="two"><div>'
        + _failure_bars(s.get("failure_modes") or {}, n)
        + f"</div><div>{cal_html}</div></div>"
        + '<h2 id="confusion">Confusion matrices</h2>'
        + cm_html
        + f'<h2 id="gallery">Failure gallery</h2><p class="note">{_e(gallery_note)}</p>'
        + ("".join(gallery) or '<p class="note">No failures to show.</p>')
        + '<h2 id="templates">Accuracy by question template</h2>'
        + _stats_table(
            templates,
            key="template",
            extra={t: (skill_of.get(t, "—"),) for t in templates},
            extra_heads=("skill",),
        )
        + _by_kind(run)
        + _by_split(s)
        + f"<footer>Generated by voltlens from {_e(run.run_dir.name)}/ "
        f"({len(run.predictions)} predictions).</footer></main>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} report — {_e(backend)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )


def write_report(
    run_dir: str | Path,
    *,
    bench_dir: str | Path | None = None,
    out: str | Path | None = None,
    gallery_cap: int = GALLERY_CAP,
) -> Path:
    """Write the HTML report of a run (default ``RUN_DIR/report.html``) and return its path."""
    run = load_run(run_dir, bench_dir=bench_dir)
    target = Path(out) if out is not None else run.run_dir / REPORT_NAME
    atomic_write_bytes(target, render_report(run, gallery_cap=gallery_cap).encode("utf-8"))
    return target

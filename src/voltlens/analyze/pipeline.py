"""The steps every front end (CLI, REST API, MCP server) runs between "curves in hand" and a report.

:func:`run_analysis` checks the per-curve options against the curves, converts the user-facing
units (cm², cm²/s, mM) to SI, runs :func:`voltlens.analyze.analyze` and turns any unexpected
failure into one :class:`~voltlens.errors.DataError` naming the inputs, so a user's data never
produces a traceback.  :func:`find_digitizer` looks up the plot digitizer when it is installed,
:func:`as_voltammograms` accepts what it returns, and :func:`skipped_measurements` names the
measurements a reader found alongside a curve and left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError, ParameterError, VoltlensError
from ..model import Technique, Voltammogram
from .result import Analysis

__all__ = [
    "CM2",
    "AnalysisOptions",
    "as_voltammograms",
    "digitization_block",
    "digitized_step",
    "find_digitizer",
    "prepared_digitized",
    "resample_sweeps",
    "run_analysis",
    "skipped_measurements",
]

CM2 = 1e-4  # m² per cm²


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """What a caller may say about a set of curves, in the units users write.

    ``concentrations`` (in ``concentration_unit``, 0 for a blank) make a calibration series,
    ``scan_rates`` (V/s) a scan-rate series; one value per curve, not both.
    """

    concentrations: tuple[float, ...] | None = None
    scan_rates: tuple[float, ...] | None = None
    concentration_unit: str = "mM"
    diffusion_cm2_s: float | None = None
    area_cm2: float | None = None
    concentration_mM: float | None = None

    def __post_init__(self) -> None:
        if self.concentrations is not None and self.scan_rates is not None:
            raise ParameterError(
                "scan_rates", self.scan_rates, "either concentrations or scan_rates, not both"
            )
        for name in ("concentrations", "scan_rates"):
            values = getattr(self, name)
            if values is None:
                continue
            if not values or not all(isinstance(x, int | float) and math.isfinite(x) for x in values):
                raise ParameterError(name, values, "a non-empty list of finite numbers, one per curve")
        for name in ("diffusion_cm2_s", "area_cm2", "concentration_mM"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ParameterError(name, value, "a positive number")
        if not self.concentration_unit or len(self.concentration_unit) > 32:
            raise ParameterError("concentration_unit", self.concentration_unit, "a short unit name, e.g. mM")


def skipped_measurements(v: Voltammogram) -> list[str]:
    """Readable names of the measurements a reader found next to this one and left out."""
    extra = v.metadata.get("skipped_measurements") or []
    if isinstance(extra, str | dict):
        extra = [extra]
    out = []
    for item in extra:
        if isinstance(item, dict):
            title, kind = item.get("title"), item.get("kind")
            out.append(f"{title} ({kind})" if title and kind else str(title or kind or item))
        else:
            out.append(str(item))
    return out


def run_analysis(
    curves: Sequence[Voltammogram],
    options: AnalysisOptions = AnalysisOptions(),
    *,
    skipped: Sequence[tuple[str, str]] = (),
) -> Analysis:
    """:func:`voltlens.analyze.analyze` with the options checked against the curves.

    Raises :class:`~voltlens.errors.ParameterError` when a per-curve option has the wrong length
    and :class:`~voltlens.errors.DataError` (naming the sources) when the engine fails on the data.
    """
    from . import analyze

    curves = list(curves)
    if not curves:
        raise DataError("<inputs>", "no voltammogram to analyse (every input was skipped)")
    for name, values in (("concentrations", options.concentrations), ("scan_rates", options.scan_rates)):
        if values is not None and len(values) != len(curves):
            raise ParameterError(
                name, list(values), f"one value per curve: the inputs hold {len(curves)} curve(s)"
            )
    sources = ", ".join(dict.fromkeys(v.source for v in curves))
    try:
        return analyze(
            curves,
            concentrations=options.concentrations,
            scan_rates=options.scan_rates,
            concentration_unit=options.concentration_unit,
            diffusion_m2_s=None if options.diffusion_cm2_s is None else options.diffusion_cm2_s * CM2,
            area_m2=None if options.area_cm2 is None else options.area_cm2 * CM2,
            concentration_mol_m3=options.concentration_mM,
            skipped=skipped,
        )
    except VoltlensError:
        raise
    except Exception as exc:  # never a traceback for a user's data
        raise DataError(sources, f"analysis failed ({type(exc).__name__}: {exc})") from None


def find_digitizer() -> Callable[..., Any] | None:
    """The plot digitizer's entry point (``voltlens.digitize.digitize``, ``read`` or ``digitize_file``)
    when this installation has one, else None."""
    try:
        import voltlens.digitize as digitize
    except ImportError:
        return None
    for name in ("digitize", "read", "digitize_file"):
        fn = getattr(digitize, name, None)
        if callable(fn):
            return fn
    return None


def digitization_block(figure: Any, index: int) -> dict[str, Any]:
    """The ``digitization`` block of the contract for curve ``index`` of a digitized figure:
    calibration residuals, OCR confidence, coverage, per-axis pixel size in data units, and the
    one-sigma per-point uncertainty (median over the curve) that analysed numbers inherit."""
    rep = figure.digitization
    unc = figure.uncertainty[index] if index < len(figure.uncertainty) else None

    def axis(a: Any) -> dict[str, Any]:
        return {
            "unit": a.unit,
            "multiplier": a.multiplier,
            "inverted": a.inverted,
            "residual_rms": a.residual_rms,
            "residual_percent_of_range": a.residual_pct,
            "pixel_size": a.pixel_size,
            "labels_used": a.n_used,
            "ocr_confidence": a.ocr_confidence,
            "title": a.title,
        }

    return {
        "x_axis": axis(rep.x_axis),
        "y_axis": axis(rep.y_axis),
        "ocr_confidence": rep.ocr_confidence,
        "coverage": rep.coverage[index] if index < len(rep.coverage) else None,
        "legend": figure.legend_labels[index] if index < len(figure.legend_labels) else None,
        "conventions": dict(rep.conventions),
        "current_unit_read": rep.current_unit_read,
        "warnings": list(rep.warnings),
        "confidence": rep.confidence,
        "potential_sigma_V": None if unc is None else float(np.median(unc.potential_V)),
        "current_sigma_A": None if unc is None else float(np.median(unc.current_A)),
    }


MAX_GRID_POINTS = 4000  # per sweep


def resample_sweeps(v: Voltammogram, *, step_V: float | None) -> Voltammogram:
    """Each sweep put on an evenly spaced potential grid, as an instrument records it.

    A digitized curve is sampled along its length, so steep parts crowd many points into a few
    millivolts; the engine's windows are in points, so it needs even potential steps.  Within a
    sweep the current is a function of potential: points sharing a potential are averaged and the
    rest interpolated linearly.  ``step_V`` defaults to 1/1000 of the sweep's span.
    """
    segments = v.segment if v.segment is not None else np.zeros(v.n_points, dtype=np.int64)
    parts_e, parts_i, parts_seg, parts_cyc = [], [], [], []
    for s in dict.fromkeys(segments.tolist()):
        sel = segments == s
        e, i = v.potential[sel], v.current[sel]
        if e.size < 2 or np.ptp(e) == 0:
            continue
        forward = e[-1] >= e[0]
        order = np.argsort(e, kind="stable")
        grid_e, inverse = np.unique(e[order], return_inverse=True)
        grid_i = np.bincount(inverse, weights=i[order]) / np.bincount(inverse)
        span = grid_e[-1] - grid_e[0]
        step = max(step_V or span / 1000.0, span / MAX_GRID_POINTS)
        n = max(2, int(np.floor(span / step)) + 1)
        new_e = grid_e[0] + step * np.arange(n)
        new_i = np.interp(new_e, grid_e, grid_i)
        if not forward:
            new_e, new_i = new_e[::-1], new_i[::-1]
        parts_e.append(new_e)
        parts_i.append(new_i)
        parts_seg.append(np.full(n, s, dtype=np.int64))
        cycle = 1 if v.cycle is None else int(v.cycle[sel][0])
        parts_cyc.append(np.full(n, cycle, dtype=np.int64))
    if not parts_e:
        return v
    return v.replace(
        potential=np.concatenate(parts_e),
        current=np.concatenate(parts_i),
        time=None,
        segment=None if v.segment is None else np.concatenate(parts_seg),
        cycle=None if v.cycle is None else np.concatenate(parts_cyc),
    )


STEP_FACTORS = (1, 2, 3, 4, 6, 8)  # grid steps tried, in pixels
MIN_GRID_POINTS = 120  # per sweep: coarser grids would blur the peaks themselves
NOISE_SEEN = 0.5  # the grid must show at least this fraction of the trace's own noise


def digitized_step(v: Voltammogram, *, pixel_V: float | None) -> float | None:
    """The potential step to put a digitized curve on: one pixel, or coarser when a pixel grid
    hides the trace's noise.

    A noisy trace drawn as a polyline is straight between its data points, several pixels apart;
    resampled per pixel, its second and third differences vanish along those straight runs, the
    engine's difference-based noise estimate collapses, and each wiggle becomes a peak (or the
    real peaks fail the shape tests).  The digitizer measures the stroke's own jitter
    (``metadata['noise_sigma']``, amperes); the step is the finest of 1, 2, 3, 4, 6, 8 pixels at
    which the resampled curve shows at least half of it, and never leaves a sweep with fewer
    than :data:`MIN_GRID_POINTS` points; when no such grid shows it, one pixel.
    """
    from .preprocess import estimate_noise

    sigma = v.metadata.get("noise_sigma")
    if not pixel_V or not isinstance(sigma, int | float) or not math.isfinite(sigma) or sigma <= 0:
        return pixel_V
    segments = v.segment if v.segment is not None else np.zeros(v.n_points, dtype=np.int64)
    spans = [float(np.ptp(v.potential[segments == s])) for s in np.unique(segments)]
    span = min((x for x in spans if x > 0), default=0.0)
    for factor in STEP_FACTORS:
        step = pixel_V * factor
        if factor > 1 and span / step < MIN_GRID_POINTS:
            break
        grid = resample_sweeps(v, step_V=step)
        if estimate_noise(grid.current, segment=grid.segment) >= NOISE_SEEN * sigma:
            return step
    return pixel_V  # no grid shows it: the stated noise is doubtful, keep the finest


REDUCTIVE_RATIO = 1.5  # a plotted DPV whose downward excursion is this much larger than its upward one


def is_reductive_dpv(v: Voltammogram) -> bool:
    """Whether a DPV read off a plot (points in increasing potential) is a reduction sweep: its peaks
    point down.  A plot does not show the sweep direction and the digitizer returns the trace left to
    right, so a reductive DPV arrives as a positive-going sweep with negative peaks, which the analysis
    (rightly, for a real positive-going DPV) does not take for peaks."""
    trace = _left_to_right(v) if v.technique is Technique.DPV else None
    if trace is None:
        return False
    _, i = trace
    base = float(np.median(i))
    up, down = float(i.max()) - base, base - float(i.min())
    return down > REDUCTIVE_RATIO * max(up, 0.0)


def _left_to_right(v: Voltammogram) -> tuple[np.ndarray, np.ndarray] | None:
    """The finite points of a trace that runs from lower to higher potential (five or more), as
    (potential, current); None otherwise."""
    e, i = np.asarray(v.potential, dtype=float), np.asarray(v.current, dtype=float)
    ok = np.isfinite(i) & np.isfinite(e)
    if ok.sum() < 5 or e[ok][-1] <= e[ok][0]:
        return None
    return e[ok], i[ok]


def is_reductive_lsv(v: Voltammogram) -> bool:
    """Whether a single-sweep LSV read off a plot (points in increasing potential) is a reduction
    sweep.  A negative-going LSV starts at the right-hand end, at its foot, and its current falls away
    from there; read left to right it arrives as a positive-going sweep whose peaks point down and
    whose only maximum lies between them.  An oxidative sweep rises from its left-hand foot, a
    reductive one falls from its right-hand foot: the fall below the right-hand end must exceed the
    rise above the left-hand end :data:`REDUCTIVE_RATIO` times."""
    single = v.segment is None or np.unique(v.segment).size == 1
    trace = _left_to_right(v) if v.technique is Technique.LSV and single else None
    if trace is None or np.any(np.diff(trace[0]) < 0):
        return False
    _, i = trace
    foot = max(3, i.size // 50)  # a few points at each end, against the trace's jitter
    rise = float(i.max()) - float(np.median(i[:foot]))
    fall = float(np.median(i[-foot:])) - float(i.min())
    return fall > REDUCTIVE_RATIO * max(rise, 0.0)


def as_plotted_sweep(v: Voltammogram) -> Voltammogram:
    """A digitised curve in the order its sweep recorded it: a reductive DPV (downward peaks) or a
    reductive single-sweep LSV (:func:`is_reductive_lsv`) is turned round into the negative-going
    sweep that drew it; anything else is returned as it is."""
    if not (is_reductive_dpv(v) or is_reductive_lsv(v)):
        return v
    names = ("potential", "current", "cycle", "segment")  # times stay increasing; a plot gives none
    return v.replace(**{n: getattr(v, n)[::-1] for n in names if getattr(v, n, None) is not None})


def prepared_digitized(v: Voltammogram) -> Voltammogram:
    """A curve straight from the digitizer (``metadata['digitized']``, not yet prepared) as the
    engine needs it: each sweep on an even potential grid (:func:`digitized_step`, the pixel taken
    as the commonest step between the trace's columns) and a reductive DPV turned round
    (:func:`as_plotted_sweep`).  Anything else, or a curve already prepared, comes back as it is."""
    if not v.metadata.get("digitized") or "digitization" in v.metadata or "grid_step_V" in v.metadata:
        return v
    steps = np.diff(np.unique(np.round(np.asarray(v.potential, dtype=float), 12)))
    pixel = float(np.median(steps)) if steps.size else None
    step = digitized_step(v, pixel_V=pixel)
    out = as_plotted_sweep(resample_sweeps(v, step_V=step))
    return out.replace(metadata={**out.metadata, "grid_step_V": step})


def as_voltammograms(result: Any, source: str) -> list[Voltammogram]:
    """The voltammograms in what the digitizer returned: one record, a list of them, or a
    :class:`~voltlens.digitize.DigitizedFigure` (each curve then carries its ``digitization``
    block in ``metadata``)."""
    if hasattr(result, "digitization") and hasattr(result, "curves"):
        pixel = abs(result.digitization.x_axis.pixel_size) or None
        return [
            as_plotted_sweep(resample_sweeps(v, step_V=digitized_step(v, pixel_V=pixel))).replace(
                metadata={**v.metadata, "digitization": digitization_block(result, k)}
            )
            for k, v in enumerate(result.curves)
        ]
    if isinstance(result, Voltammogram):
        return [result]
    for name in ("voltammograms", "voltammogram", "curves"):
        inner = getattr(result, name, None)
        if inner is not None:
            return as_voltammograms(inner, source)
    if isinstance(result, list | tuple) and all(isinstance(v, Voltammogram) for v in result):
        return list(result)
    raise DataError(source, f"the digitizer returned {type(result).__name__}, not voltammograms")

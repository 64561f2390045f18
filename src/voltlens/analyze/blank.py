"""Blank subtraction for a calibration series.

A calibration series that includes a blank (the same cell and programme without the analyte)
carries the background of every curve: charging current, the solvent or electrode wave, a sloping
baseline.  Subtracting the blank from each analyte curve, sweep by sweep on the analyte curve's
own potentials, cancels all of it and leaves the analyte's faradaic current, whose peaks the
engine then measures over a nearly flat background instead of one it has to guess under them.

:func:`blank_incompatibility` says why a blank cannot be subtracted from a curve (another
technique or potential programme — scan rate, pulse settings —, another reference electrode,
electrode area or current unit, too little of the curve's potential window, no sweep of the same
direction); :func:`subtract_blank` does the subtraction.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataError
from ..model import Voltammogram
from .preprocess import sweep_indices

__all__ = ["BLANK_MIN_OVERLAP", "blank_incompatibility", "subtract_blank"]

BLANK_MIN_OVERLAP = 0.8  # the blank must cover this fraction of each sweep's potential span
SAME_SETTING = 0.02  # stated scan rates, pulse settings and areas agree within this relative difference


def _matching_sweep(
    k: int, direction: int, blank: list[tuple[int, np.ndarray]]
) -> tuple[int, np.ndarray] | None:
    """The blank sweep to subtract from the curve's ``k``-th sweep: the blank's ``k``-th when it
    goes the same way (same cycle and order), else the blank's first sweep in that direction."""
    if k < len(blank) and blank[k][0] == direction:
        return blank[k]
    return next((sw for sw in blank if sw[0] == direction), None)


def _overlap(e: np.ndarray, eb: np.ndarray) -> float:
    """The fraction of the span of ``e`` that the span of ``eb`` covers."""
    lo, hi = max(e.min(), eb.min()), min(e.max(), eb.max())
    return max(0.0, float(hi - lo)) / float(np.ptp(e))


def _differ(a: float | None, b: float | None) -> bool:
    """Two stated settings that differ by more than :data:`SAME_SETTING` (unstated ones never do)."""
    return a is not None and b is not None and not math.isclose(a, b, rel_tol=SAME_SETTING)


def _programme_mismatch(curve: Voltammogram, blank: Voltammogram) -> str | None:
    """The first stated setting of the potential programme or cell in which the two differ: the
    charging current scales with the scan rate (i = A·Cdl·v) and the DPV background with the pulse,
    and potentials against another reference are offset."""
    if _differ(curve.scan_rate, blank.scan_rate):
        return f"the blank was recorded at {blank.scan_rate:g} V/s, the curve at {curve.scan_rate:g} V/s"
    if curve.pulse is not None and blank.pulse is not None:
        for name in ("amplitude_V", "width_s", "step_V", "period_s"):
            a, b = getattr(curve.pulse, name), getattr(blank.pulse, name)
            if _differ(a, b):
                return f"the blank's pulse {name} is {b:g}, the curve's {a:g}"
    refs = (curve.reference_electrode, blank.reference_electrode)
    if None not in refs and refs[0].strip().lower() != refs[1].strip().lower():
        return f"the blank is against {refs[1]}, the curve against {refs[0]}"
    if not curve.current_is_density and _differ(curve.area_m2, blank.area_m2):
        return f"the blank's electrode area is {blank.area_m2:g} m², the curve's {curve.area_m2:g} m²"
    return None


def blank_incompatibility(curve: Voltammogram, blank: Voltammogram) -> str | None:
    """Why ``blank`` cannot be subtracted from ``curve`` (None when it can): another technique,
    current unit, stated programme or cell (:func:`_programme_mismatch`), a sweep of the curve with
    no blank sweep of the same direction, or a blank covering less than :data:`BLANK_MIN_OVERLAP`
    of a sweep's potential span.  Both currents are stored with the IUPAC sign whatever convention
    their files were written in, so the conventions need not agree."""
    if curve.technique is not blank.technique:
        return f"the blank is {blank.technique.value}, the curve {curve.technique.value}"
    if curve.current_is_density != blank.current_is_density:
        return "the blank and the curve give the current in different units (density vs current)"
    mismatch = _programme_mismatch(curve, blank)
    if mismatch is not None:
        return mismatch
    theirs = sweep_indices(blank.potential, blank.segment)
    for k, (d, idx) in enumerate(sweep_indices(curve.potential, curve.segment)):
        match = _matching_sweep(k, d, theirs)
        if match is None:
            return f"the blank has no {'positive' if d > 0 else 'negative'}-going sweep"
        cover = _overlap(curve.potential[idx], blank.potential[match[1]])
        if cover < BLANK_MIN_OVERLAP:
            return f"the blank covers {cover:.0%} of the curve's potential span"
    return None


def subtract_blank(curve: Voltammogram, blank: Voltammogram) -> Voltammogram:
    """``curve`` minus ``blank``: each sweep of the curve less the blank's sweep of the same direction
    (the blank's sweep of the same order when it goes the same way, else its first one that does),
    interpolated linearly onto the curve's potentials; points outside the blank sweep's span are
    dropped.  ``metadata["blank_subtracted"]`` names the blank.  Raises
    :class:`~voltlens.errors.DataError` when the blank is incompatible
    (:func:`blank_incompatibility`)."""
    why = blank_incompatibility(curve, blank)
    if why is not None:
        raise DataError(curve.source, f"cannot subtract the blank {blank.source}: {why}", field="current")
    theirs = sweep_indices(blank.potential, blank.segment)
    keep = np.zeros(curve.n_points, dtype=bool)
    current = np.array(curve.current, dtype=float)
    for k, (d, idx) in enumerate(sweep_indices(curve.potential, curve.segment)):
        _, bidx = _matching_sweep(k, d, theirs)  # type: ignore[misc]
        eb, ib = blank.potential[bidx], blank.current[bidx]
        order = np.argsort(eb, kind="stable")
        eb, ib = eb[order], ib[order]
        e = curve.potential[idx]
        inside = (e >= eb[0]) & (e <= eb[-1])
        current[idx] = current[idx] - np.interp(e, eb, ib)
        keep[idx[inside]] = True
    if keep.sum() < 2:
        raise DataError(
            curve.source, f"the blank {blank.source} shares no potentials with it", field="potential"
        )
    meta = {**curve.metadata, "blank_subtracted": blank.source}
    return curve.replace(current=current, metadata=meta).select(keep)

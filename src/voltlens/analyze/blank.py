"""Blank subtraction for a calibration series.

A calibration series that includes a blank (the same cell and programme without the analyte)
carries the background of every curve: charging current, the solvent or electrode wave, a sloping
baseline.  Subtracting the blank from each analyte curve, sweep by sweep on the analyte curve's
own potentials, cancels all of it and leaves the analyte's faradaic current, whose peak heights
are then measured from a flat zero instead of from a background the peak finder has to guess.

:func:`blank_incompatibility` says why a blank cannot be subtracted from a curve (another
technique, another current unit, too little of the curve's potential window, no sweep of the same
direction); :func:`subtract_blank` does the subtraction.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..model import Voltammogram

__all__ = ["BLANK_MIN_OVERLAP", "blank_incompatibility", "subtract_blank"]

BLANK_MIN_OVERLAP = 0.8  # the blank must cover this fraction of each sweep's potential span


def _sweeps(v: Voltammogram) -> list[tuple[int, np.ndarray]]:
    """The curve's sweeps in recorded order as (direction ±1, indices of their points): by its
    ``segment`` labels, else as :func:`voltlens.analyze.preprocess.split_sweeps` splits it."""
    from .preprocess import split_sweeps

    seg = v.segment if v.segment is not None else split_sweeps(v.potential).segment
    out = []
    for s in dict.fromkeys(np.asarray(seg).tolist()):
        idx = np.flatnonzero(seg == s)
        e = v.potential[idx]
        if idx.size < 2 or np.ptp(e) <= 0:
            continue
        out.append((1 if e[-1] > e[0] else -1, idx))
    return out


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


def blank_incompatibility(curve: Voltammogram, blank: Voltammogram) -> str | None:
    """Why ``blank`` cannot be subtracted from ``curve`` (None when it can): another technique,
    current unit or sign convention, a sweep of the curve with no blank sweep of the same direction,
    or a blank covering less than :data:`BLANK_MIN_OVERLAP` of a sweep's potential span."""
    if curve.technique is not blank.technique:
        return f"the blank is {blank.technique.value}, the curve {curve.technique.value}"
    if curve.current_is_density != blank.current_is_density:
        return "the blank and the curve give the current in different units (density vs current)"
    if curve.sign_convention is not blank.sign_convention:
        return "the blank and the curve use different sign conventions"
    theirs = _sweeps(blank)
    for k, (d, idx) in enumerate(_sweeps(curve)):
        match = _matching_sweep(k, d, theirs)
        if match is None:
            return f"the blank has no {'positive' if d > 0 else 'negative'}-going sweep"
        cover = _overlap(curve.potential[idx], blank.potential[match[1]])
        if cover < BLANK_MIN_OVERLAP:
            return f"the blank covers {cover:.0%} of the curve's potential span"
    return None


def subtract_blank(curve: Voltammogram, blank: Voltammogram) -> Voltammogram:
    """``curve`` minus ``blank``: each sweep of the curve less the blank's sweep of the same direction
    (:func:`_matching_sweep`) interpolated linearly onto the curve's potentials; points outside the
    blank sweep's span are dropped.  ``metadata["blank_subtracted"]`` names the blank.  Raises
    :class:`~voltlens.errors.DataError` when the blank is incompatible
    (:func:`blank_incompatibility`)."""
    why = blank_incompatibility(curve, blank)
    if why is not None:
        raise DataError(curve.source, f"cannot subtract the blank {blank.source}: {why}", field="current")
    theirs = _sweeps(blank)
    keep = np.zeros(curve.n_points, dtype=bool)
    current = np.array(curve.current, dtype=float)
    for k, (d, idx) in enumerate(_sweeps(curve)):
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

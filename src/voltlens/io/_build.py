"""Turn parsed columns into a validated :class:`~voltlens.model.Voltammogram`.

Every reader ends here: values are checked (finite, enough points, a potential that moves),
scaled to SI, sweeps and cycles are numbered where the file does not number them, the sign
convention is taken from the file or inferred, and the current is flipped to IUPAC.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import DataError, UnsupportedMeasurementError
from ..model import PulseSettings, SignConvention, Technique, Voltammogram
from ..units import Unit
from ._sweeps import cycles_from_segments, estimate_scan_rate, infer_sign_convention, sweep_segments

__all__ = [
    "MAX_ABS_CURRENT",
    "MAX_ABS_POTENTIAL_V",
    "MAX_ABS_TIME_S",
    "MIN_POTENTIAL_SPAN_V",
    "build_voltammogram",
    "check_finite",
]

#: A record whose potential moves less than this is not a voltammogram (chronoamperometry, OCP).
MIN_POTENTIAL_SPAN_V = 1e-3
#: Values beyond these (after conversion to SI) are not physical and usually mean a wrong unit
#: or a corrupt file; they are refused before any arithmetic could overflow.
MAX_ABS_POTENTIAL_V = 1e3
MAX_ABS_CURRENT = 1e6  # A, or A/m² for a current density
MAX_ABS_TIME_S = 1e12

_VOLT = Unit("potential", "V", 1.0)
_AMP = Unit("current", "A", 1.0)
_SECOND = Unit("time", "s", 1.0)


def check_finite(values: np.ndarray, *, source: str, field: str, first_row: int = 1) -> None:
    """DataError naming the field, the value and the row of the first NaN/inf."""
    bad = ~np.isfinite(values)
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            source,
            f"non-finite value {float(values[row])!r} in data row {first_row + row}; remove or fix that row",
            field=field,
        )


def _check_plausible(values: np.ndarray, limit: float, unit: str, source: str, field: str) -> None:
    big = np.abs(values) > limit
    if np.any(big):
        row = int(np.flatnonzero(big)[0])
        raise DataError(
            source,
            f"value {float(values[row]):.6g} {unit} in data row {row + 1} is not physical (limit ±{limit:g} {unit}); "
            "check the column's unit",
            field=field,
        )


def build_voltammogram(
    *,
    source: str,
    fmt: str,
    potential: np.ndarray,
    current: np.ndarray,
    potential_unit: Unit | None = None,
    current_unit: Unit | None = None,
    labels: Mapping[str, str] | None = None,
    time: np.ndarray | None = None,
    time_unit: Unit | None = None,
    cycle: np.ndarray | None = None,
    segment: np.ndarray | None = None,
    technique: Technique | None = None,
    scan_rate: float | None = None,
    pulse: PulseSettings | None = None,
    area_m2: float | None = None,
    reference_electrode: str | None = None,
    sign_convention: SignConvention | None = None,
    sign_basis: str = "stated by the file",
    default_convention: SignConvention = SignConvention.IUPAC,
    temperature_K: float | None = None,
    metadata: Mapping[str, Any] | None = None,
    units_assumed: tuple[str, ...] = (),
) -> Voltammogram:
    """Validate, convert to SI and assemble.

    ``sign_convention=None`` means the file does not state it: it is inferred from the data
    (see :func:`voltlens.io._sweeps.infer_sign_convention`) and otherwise ``default_convention``
    is assumed.  The returned current is always IUPAC (anodic positive); ``sign_convention`` on
    the record is the convention the file was written in.
    """
    labels = dict(labels or {})
    meta: dict[str, Any] = {"format": fmt, **dict(metadata or {})}
    e_raw = np.asarray(potential, dtype=float)
    i_raw = np.asarray(current, dtype=float)
    n = e_raw.size
    if n == 0:
        raise DataError(source, "holds no data rows", field="rows")
    if n < 2:
        raise DataError(source, f"holds {n} data point; a voltammogram needs at least 2", field="rows")
    check_finite(e_raw, source=source, field=labels.get("potential", "potential"))
    check_finite(i_raw, source=source, field=labels.get("current", "current"))
    pu = potential_unit or _VOLT
    cu = current_unit or _AMP
    e = e_raw * pu.scale
    i = i_raw * cu.scale
    _check_plausible(e, MAX_ABS_POTENTIAL_V, "V", source, labels.get("potential", "potential"))
    _check_plausible(
        i,
        MAX_ABS_CURRENT,
        "A" if cu.quantity == "current" else "A/m²",
        source,
        labels.get("current", "current"),
    )
    span = float(np.ptp(e))
    if span < MIN_POTENTIAL_SPAN_V:
        raise UnsupportedMeasurementError(
            source,
            f"holds a record at constant potential ({e[0]:.4g} V, span {span * 1e3:.3g} mV): "
            "chronoamperometry or open-circuit data, which voltlens does not analyse",
        )
    t = None
    if time is not None:
        t_raw = np.asarray(time, dtype=float)
        check_finite(t_raw, source=source, field=labels.get("time", "time"))
        t = t_raw * (time_unit or _SECOND).scale
        _check_plausible(t, MAX_ABS_TIME_S, "s", source, labels.get("time", "time"))
    if segment is None:
        segment = sweep_segments(e)
    segment = np.asarray(segment, dtype=np.int64)
    n_segments = int(segment.max() - segment.min() + 1)
    if technique is None:
        technique = Technique.CV if n_segments >= 2 else Technique.LSV
        meta.setdefault("technique_basis", "inferred: CV when the potential reverses, else LSV")
    if cycle is not None:
        c_raw = np.asarray(cycle, dtype=float)
        check_finite(c_raw, source=source, field=labels.get("cycle", "cycle"))
        _check_plausible(c_raw, 1e9, "", source, labels.get("cycle", "cycle"))
        cycle = np.rint(c_raw).astype(np.int64)
        if cycle.min() < 1:
            cycle = cycle - cycle.min() + 1
    elif technique == Technique.CV:
        cycle = cycles_from_segments(segment)
    convention = sign_convention
    if convention is None:
        inferred, score = infer_sign_convention(e, i, technique, n_segments)
        if inferred is None:
            convention = default_convention
            meta["sign_convention_basis"] = (
                f"assumed {default_convention.value} (not stated in the file; data evidence weak, score {score:+.3f})"
            )
        else:
            convention = inferred
            meta["sign_convention_basis"] = f"inferred from the data (loop score {score:+.3f})"
    else:
        meta["sign_convention_basis"] = sign_basis
    if convention == SignConvention.US:
        i = -i
    if scan_rate is None and t is not None and technique in (Technique.CV, Technique.LSV):
        scan_rate = estimate_scan_rate(e, t)
        if scan_rate is not None:
            meta["scan_rate_basis"] = "estimated from the time column"
    display = {"potential": pu.symbol, "current": cu.symbol}
    if t is not None:
        display["time"] = (time_unit or _SECOND).symbol
    if labels:
        meta["columns"] = labels
    if units_assumed:
        meta["units_assumed"] = list(units_assumed)
    return Voltammogram(
        potential=e,
        current=i,
        technique=technique,
        time=t,
        scan_rate=scan_rate,
        cycle=cycle,
        segment=segment,
        pulse=pulse,
        area_m2=area_m2,
        reference_electrode=reference_electrode or None,
        sign_convention=convention,
        current_is_density=cu.quantity == "current_density",
        temperature_K=temperature_K,
        display_units=display,
        metadata=meta,
        source=source,
    )

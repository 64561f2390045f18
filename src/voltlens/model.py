"""Domain records: a measured or simulated voltammogram and what is found in it.

Records are small frozen dataclasses holding read-only numpy arrays in SI units
(V, A, s, m², V/s).  Original units are remembered in ``display_units`` for display only.
Conversions to the JSON contracts live in :mod:`voltlens.schema`, never here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from .errors import DataError

__all__ = [
    "Couple",
    "Direction",
    "Peak",
    "PulseSettings",
    "SignConvention",
    "Technique",
    "Voltammogram",
]


class Technique(StrEnum):
    CV = "CV"
    LSV = "LSV"
    DPV = "DPV"
    SWV = "SWV"


class SignConvention(StrEnum):
    """IUPAC: anodic (oxidation) current positive.  US: cathodic current positive."""

    IUPAC = "IUPAC"
    US = "US"


Direction = Literal["anodic", "cathodic"]


@dataclass(frozen=True, slots=True)
class PulseSettings:
    """Pulse programme of DPV/SWV, SI units.

    amplitude_V is signed (positive for an anodic-going scan); step_V is the staircase step;
    width_s the pulse width; period_s the time between pulses; sample_s the sampling window
    at the end of each pulse and of each pre-pulse period (0 = last point only).
    """

    amplitude_V: float
    width_s: float
    step_V: float
    period_s: float
    sample_s: float = 0.0
    frequency_Hz: float | None = None  # SWV only


def _frozen_array(values: Any, *, name: str, source: str, dtype: Any = float) -> np.ndarray:
    arr = np.array(values, dtype=dtype, copy=True)
    if arr.ndim != 1:
        raise DataError(source, f"must be one-dimensional, got shape {arr.shape}", field=name)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True)
class Voltammogram:
    """One voltammetric measurement, SI units inside.

    ``potential`` (V vs ``reference_electrode``) and ``current`` (A, IUPAC sign: anodic positive)
    are equally long 1-D arrays; ``time`` (s), ``cycle`` (1-based) and ``segment`` (0-based,
    one per monotonic sweep) are optional arrays of the same length.  ``current`` is a
    current density (A/m²) when ``current_is_density`` is true.
    """

    potential: np.ndarray
    current: np.ndarray
    technique: Technique = Technique.CV
    time: np.ndarray | None = None
    scan_rate: float | None = None  # V/s, positive
    cycle: np.ndarray | None = None
    segment: np.ndarray | None = None
    pulse: PulseSettings | None = None
    area_m2: float | None = None
    reference_electrode: str | None = None
    sign_convention: SignConvention = SignConvention.IUPAC
    current_is_density: bool = False
    temperature_K: float | None = None
    display_units: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    source: str = "<array>"

    def __post_init__(self) -> None:
        src = self.source
        set_ = object.__setattr__
        set_(self, "potential", _frozen_array(self.potential, name="potential", source=src))
        set_(self, "current", _frozen_array(self.current, name="current", source=src))
        n = self.potential.size
        if self.current.size != n:
            raise DataError(
                src, f"potential has {n} points but current has {self.current.size}", field="current"
            )
        if n < 2:
            raise DataError(src, f"needs at least 2 points, got {n}", field="potential")
        for name, dtype in (("time", float), ("cycle", np.int64), ("segment", np.int64)):
            value = getattr(self, name)
            if value is None:
                continue
            arr = _frozen_array(value, name=name, source=src, dtype=dtype)
            if arr.size != n:
                raise DataError(src, f"has {arr.size} points, expected {n}", field=name)
            set_(self, name, arr)
        for name in ("potential", "current"):
            arr = getattr(self, name)
            if not np.all(np.isfinite(arr)):
                bad = int(np.flatnonzero(~np.isfinite(arr))[0])
                raise DataError(src, f"non-finite value {arr[bad]!r} at row {bad}", field=name)
        if self.scan_rate is not None and not (np.isfinite(self.scan_rate) and self.scan_rate > 0):
            raise DataError(src, f"scan rate must be positive, got {self.scan_rate!r} V/s", field="scan_rate")
        if self.area_m2 is not None and not (np.isfinite(self.area_m2) and self.area_m2 > 0):
            raise DataError(src, f"electrode area must be positive, got {self.area_m2!r} m²", field="area_m2")
        set_(self, "technique", Technique(self.technique))
        set_(self, "sign_convention", SignConvention(self.sign_convention))
        set_(self, "display_units", MappingProxyType(dict(self.display_units)))
        set_(self, "metadata", MappingProxyType(dict(self.metadata)))

    @property
    def n_points(self) -> int:
        return int(self.potential.size)

    @property
    def n_cycles(self) -> int:
        return 1 if self.cycle is None else int(np.unique(self.cycle).size)

    def replace(self, **changes: Any) -> Voltammogram:
        """A copy with some fields changed (arrays are re-validated)."""
        return dataclasses.replace(self, **changes)

    def select(self, mask: np.ndarray) -> Voltammogram:
        """The points where ``mask`` is true, with every per-point array sliced alike."""
        mask = np.asarray(mask)
        sliced = {
            name: (None if getattr(self, name) is None else getattr(self, name)[mask])
            for name in ("potential", "current", "time", "cycle", "segment")
        }
        return dataclasses.replace(self, **sliced)

    def cycles(self) -> Iterator[tuple[int, Voltammogram]]:
        """(cycle number, the points of that cycle) in order; one cycle when none is marked."""
        if self.cycle is None:
            yield 1, self
            return
        for number in np.unique(self.cycle):
            yield int(number), self.select(self.cycle == number)


@dataclass(frozen=True, slots=True)
class Peak:
    """A peak in SI units.  ``height_A`` is relative to the baseline under the peak (signed as
    the current: positive for anodic in IUPAC convention).  ``half_width_V`` is the full width at
    half height; ``charge_C`` the baseline-corrected area divided by the scan rate."""

    direction: Direction
    potential_V: float
    height_A: float
    cycle: int = 1
    segment: int = 0
    baseline_A: float = 0.0
    half_width_V: float | None = None
    charge_C: float | None = None
    couple: int | None = None  # index of the couple/species this peak belongs to (truth)


@dataclass(frozen=True, slots=True)
class Couple:
    """An anodic and a cathodic peak of the same redox couple, with its diagnostics."""

    anodic: Peak
    cathodic: Peak
    n_electrons: float = 1.0
    reversibility: Literal["reversible", "quasi-reversible", "irreversible"] | None = None

    @property
    def e_half_V(self) -> float:
        return 0.5 * (self.anodic.potential_V + self.cathodic.potential_V)

    @property
    def delta_ep_V(self) -> float:
        return abs(self.anodic.potential_V - self.cathodic.potential_V)

    @property
    def current_ratio(self) -> float:
        """|ipa/ipc| from baseline-corrected heights."""
        return abs(self.anodic.height_A) / abs(self.cathodic.height_A)

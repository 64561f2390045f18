"""Potential waveforms (CV, LSV, DPV) and the uniformly sampled programmes they expand to.

A :class:`PotentialProgram` is what the solver consumes: times ``t_k = k·Δt`` from 0 and the
applied potential at each.  Sample 0 is the start, where the cell is at rest; the potential
between samples is linear for a sweep (sample values of a ramp) and a staircase for pulses
(``potential_V[k]`` holds over (t_{k−1}, t_k]; the solver then sees the jump half-way between the
two samples).  ``cycle`` is 1-based, ``segment`` 0-based (one per
monotonic sweep).

CV: start → vertex → start per cycle; the last cycle returns to ``end_V`` (default: start).  The
step is adjusted so every sweep has a whole number of steps (|vertex − start|/step rounded).
LSV: one sweep start → end (:class:`LSVWaveform`).
DPV: a staircase from start to end; at each level the base potential is held for
``period_s − pulse_width_s``, then a pulse of ``amplitude_V`` *in the scan direction* for
``pulse_width_s``.  The current is sampled (averaged over ``sample_s``, or the last sample when
0) at the end of the base period and at the end of the pulse; the point is plotted at the base
potential (B&F §7.3.4 convention, E_max = E½ − ΔE/2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

__all__ = [
    "CVWaveform",
    "DPVSampling",
    "DPVWaveform",
    "LSVWaveform",
    "PotentialProgram",
    "cv_program",
    "dpv_program",
    "lsv_program",
]

MAX_SAMPLES = 2_000_000


def _number(owner: object, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{type(owner).__name__}.{name}", value, "must be a finite number")
    return float(value)


def _positive(owner: object, name: str, value: object, unit: str) -> float:
    x = _number(owner, name, value)
    if x <= 0:
        raise ParameterError(f"{type(owner).__name__}.{name}", value, f"must be > 0 ({unit})")
    return x


@dataclass(frozen=True, slots=True)
class CVWaveform:
    """Triangular sweep(s): start → vertex → start, ``n_cycles`` times; the last return ends at ``end_V``."""

    start_V: float
    vertex_V: float
    scan_rate_V_s: float
    step_V: float = 0.001
    n_cycles: int = 1
    end_V: float | None = None

    def __post_init__(self) -> None:
        _number(self, "start_V", self.start_V)
        _number(self, "vertex_V", self.vertex_V)
        _positive(self, "scan_rate_V_s", self.scan_rate_V_s, "V/s")
        _positive(self, "step_V", self.step_V, "V")
        if self.start_V == self.vertex_V:
            raise ParameterError("CVWaveform.vertex_V", self.vertex_V, "must differ from start_V")
        if self.step_V > abs(self.vertex_V - self.start_V):
            raise ParameterError("CVWaveform.step_V", self.step_V, "must not exceed |vertex_V − start_V|")
        if isinstance(self.n_cycles, bool) or not isinstance(self.n_cycles, int) or self.n_cycles < 1:
            raise ParameterError("CVWaveform.n_cycles", self.n_cycles, "must be an integer ≥ 1")
        if self.end_V is not None:
            _number(self, "end_V", self.end_V)
            if (self.end_V - self.vertex_V) * (self.start_V - self.vertex_V) <= 0:
                raise ParameterError(
                    "CVWaveform.end_V", self.end_V, "must lie on the start side of the vertex"
                )


@dataclass(frozen=True, slots=True)
class LSVWaveform:
    """One linear sweep from ``start_V`` to ``end_V``."""

    start_V: float
    end_V: float
    scan_rate_V_s: float
    step_V: float = 0.001

    def __post_init__(self) -> None:
        _number(self, "start_V", self.start_V)
        _number(self, "end_V", self.end_V)
        _positive(self, "scan_rate_V_s", self.scan_rate_V_s, "V/s")
        _positive(self, "step_V", self.step_V, "V")
        if self.start_V == self.end_V:
            raise ParameterError("LSVWaveform.end_V", self.end_V, "must differ from start_V")
        if self.step_V > abs(self.end_V - self.start_V):
            raise ParameterError("LSVWaveform.step_V", self.step_V, "must not exceed |end_V − start_V|")


@dataclass(frozen=True, slots=True)
class DPVWaveform:
    """Differential pulse staircase (see the module docstring); ``amplitude_V`` and ``step_V`` are magnitudes.

    ``quiet_s`` holds the start potential before the first period (equilibration).
    """

    start_V: float
    end_V: float
    step_V: float
    amplitude_V: float
    pulse_width_s: float
    period_s: float
    sample_s: float = 0.0
    quiet_s: float = 0.0

    def __post_init__(self) -> None:
        _number(self, "start_V", self.start_V)
        _number(self, "end_V", self.end_V)
        _positive(self, "step_V", self.step_V, "V")
        _positive(self, "amplitude_V", self.amplitude_V, "V; pulses go in the scan direction")
        _positive(self, "pulse_width_s", self.pulse_width_s, "s")
        _positive(self, "period_s", self.period_s, "s")
        if self.start_V == self.end_V:
            raise ParameterError("DPVWaveform.end_V", self.end_V, "must differ from start_V")
        if self.step_V > abs(self.end_V - self.start_V):
            raise ParameterError("DPVWaveform.step_V", self.step_V, "must not exceed |end_V − start_V|")
        if self.period_s <= self.pulse_width_s:
            raise ParameterError("DPVWaveform.period_s", self.period_s, "must exceed pulse_width_s")
        sample = _number(self, "sample_s", self.sample_s)
        if sample < 0 or sample > self.pulse_width_s or sample > self.period_s - self.pulse_width_s:
            raise ParameterError(
                "DPVWaveform.sample_s",
                self.sample_s,
                "must be ≥ 0 and fit in both the pulse and the base period",
            )
        if _number(self, "quiet_s", self.quiet_s) < 0:
            raise ParameterError("DPVWaveform.quiet_s", self.quiet_s, "must be ≥ 0 s")

    @property
    def direction(self) -> int:
        """+1 for an anodic-going (positive) scan, −1 for a cathodic one."""
        return 1 if self.end_V > self.start_V else -1


@dataclass(frozen=True, slots=True)
class PotentialProgram:
    """Uniformly sampled applied potential: ``time_s`` from 0 in steps of ``dt_s``."""

    time_s: np.ndarray
    potential_V: np.ndarray
    cycle: np.ndarray
    segment: np.ndarray

    @property
    def dt_s(self) -> float:
        return float(self.time_s[1] - self.time_s[0])


@dataclass(frozen=True, slots=True)
class DPVSampling:
    """Where a DPV programme is sampled: index windows (into the programme) of each pulse and pre-pulse."""

    base_V: np.ndarray  # base (plotted) potential of each point
    pre_windows: np.ndarray  # (n_points, n_window) sample indices averaged before each pulse
    pulse_windows: np.ndarray  # (n_points, n_window) sample indices averaged at each pulse end
    substeps_per_pulse: int


def _check_size(n: int, what: str) -> None:
    if n > MAX_SAMPLES:
        raise ParameterError(
            what, n, f"samples needed exceed {MAX_SAMPLES}: use a larger step or fewer cycles"
        )


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _sweeps(start: float, turns: list[float], step: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Potentials at the end of each step along start → turns[0] → turns[1] …, and each sample's sweep index."""
    first = abs(turns[0] - start)
    n_first = max(1, round(first / step))
    step_eff = first / n_first
    potentials = [np.array([start])]
    sweep_of = [np.zeros(1, dtype=np.int64)]
    here = start
    for j, target in enumerate(turns):
        n = max(1, round(abs(target - here) / step_eff))
        sign = 1.0 if target > here else -1.0
        end = here + sign * n * step_eff
        if abs(end - target) < 1e-6 * step_eff:
            end = target  # whole number of steps: land exactly on the turning point
        potentials.append(here + (end - here) * np.arange(1, n + 1) / n)
        sweep_of.append(np.full(n, j, dtype=np.int64))
        here = end
    return np.concatenate(potentials), np.concatenate(sweep_of), step_eff


def cv_program(waveform: CVWaveform) -> PotentialProgram:
    """Sample the CV waveform at every potential step; the first sample is the start at t = 0."""
    if not isinstance(waveform, CVWaveform):
        raise ParameterError("waveform", waveform, "must be a CVWaveform")
    end = waveform.start_V if waveform.end_V is None else waveform.end_V
    turns: list[float] = []
    for c in range(waveform.n_cycles):
        last = c == waveform.n_cycles - 1
        turns += [waveform.vertex_V, end if last else waveform.start_V]
    n_est = round(abs(waveform.vertex_V - waveform.start_V) / waveform.step_V) * len(turns)
    _check_size(n_est, "CVWaveform")
    potential, sweep, step_eff = _sweeps(waveform.start_V, turns, waveform.step_V)
    dt = step_eff / waveform.scan_rate_V_s
    time = dt * np.arange(potential.size)
    return PotentialProgram(_frozen(time), _frozen(potential), _frozen(sweep // 2 + 1), _frozen(sweep))


def lsv_program(waveform: LSVWaveform) -> PotentialProgram:
    """Sample the linear sweep at every potential step; the first sample is the start at t = 0."""
    if not isinstance(waveform, LSVWaveform):
        raise ParameterError("waveform", waveform, "must be an LSVWaveform")
    _check_size(round(abs(waveform.end_V - waveform.start_V) / waveform.step_V), "LSVWaveform")
    potential, sweep, step_eff = _sweeps(waveform.start_V, [waveform.end_V], waveform.step_V)
    time = (step_eff / waveform.scan_rate_V_s) * np.arange(potential.size)
    return PotentialProgram(_frozen(time), _frozen(potential), _frozen(np.ones_like(sweep)), _frozen(sweep))


def _dpv_grid(waveform: DPVWaveform, substeps: int) -> tuple[float, int, int]:
    """Time step and the whole numbers of steps in a pulse and in the rest of a period.

    The solver sees a jump between two samples as a step half-way between them, so with
    Δt = pulse_width/(m − ½) the pulse-end sample falls exactly one pulse width after the pulse
    starts.  m runs over ``substeps`` … 2·``substeps``; the one whose period is closest to a whole
    number of steps wins (exact for round timings such as 50 ms / 500 ms).
    """
    best: tuple[float, int, float, int] | None = None
    for m in range(substeps, 2 * substeps + 1):
        dt = waveform.pulse_width_s / (m - 0.5)
        ratio = waveform.period_s / dt
        err = abs(ratio - round(ratio)) / round(ratio)
        if best is None or err < best[0] - 1e-12:
            best = (err, m, dt, max(1, round(ratio) - m))
        if err < 1e-9:
            break
    assert best is not None
    _, m, dt, n_base = best
    return dt, m, n_base


def dpv_program(
    waveform: DPVWaveform, *, substeps_per_pulse: int = 20
) -> tuple[PotentialProgram, DPVSampling]:
    """The DPV staircase sampled finely enough to follow each pulse, and where to read it."""
    if not isinstance(waveform, DPVWaveform):
        raise ParameterError("waveform", waveform, "must be a DPVWaveform")
    if (
        isinstance(substeps_per_pulse, bool)
        or not isinstance(substeps_per_pulse, int)
        or substeps_per_pulse < 4
    ):
        raise ParameterError("substeps_per_pulse", substeps_per_pulse, "must be an integer ≥ 4")
    dt, m, n_base = _dpv_grid(waveform, substeps_per_pulse)
    n_levels = round(abs(waveform.end_V - waveform.start_V) / waveform.step_V) + 1
    n_quiet = round(waveform.quiet_s / dt)
    period = n_base + m
    n_total = 1 + n_quiet + n_levels * period
    _check_size(n_total, "DPVWaveform")
    sign = waveform.direction
    base_V = waveform.start_V + sign * waveform.step_V * np.arange(n_levels)
    one = np.concatenate([np.zeros(n_base), np.full(m, sign * waveform.amplitude_V)])
    potential = np.concatenate(
        [np.full(1 + n_quiet, waveform.start_V), (base_V[:, None] + one[None, :]).ravel()]
    )
    n_window = max(1, min(m, n_base, round(waveform.sample_s / dt)))
    offsets = np.arange(-n_window + 1, 1)
    level_start = 1 + n_quiet + period * np.arange(n_levels)
    pre = (level_start + n_base - 1)[:, None] + offsets[None, :]
    pulse = (level_start + period - 1)[:, None] + offsets[None, :]
    time = dt * np.arange(n_total)
    program = PotentialProgram(
        _frozen(time),
        _frozen(potential),
        _frozen(np.ones(n_total, dtype=np.int64)),
        _frozen(np.zeros(n_total, dtype=np.int64)),
    )
    return program, DPVSampling(_frozen(base_V), _frozen(pre), _frozen(pulse), m)

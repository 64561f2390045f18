"""Draws what one synthetic sample shows: the species, waveform, cell and artifacts of each curve.

Pure: a scenario depends only on the random generator passed in and the mixing configuration.
Parameter ranges are those of real bench work (D 3e-10–2e-9 m²/s, 0.1–10 mM, common disk
electrodes, 10 mV/s–1 V/s); kinetic regimes are drawn on the Matsuda–Ayabe Λ scale so every
class appears in useful proportion, with a margin from the class boundaries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..constants import STANDARD_TEMPERATURE, thermal_voltage
from ..simulate import (
    EC,
    EE,
    Adsorbed,
    Cell,
    CVWaveform,
    DPVWaveform,
    Irreversible,
    LSVWaveform,
    QuasiReversible,
    Reversible,
)
from .config import SynthConfig

__all__ = ["CurveSpec", "Scenario", "draw_scenario"]

MAX_RU_OHM = 20_000.0
DISK_AREAS_CM2 = (0.0707, 0.0314, 0.196, 0.0201, 0.126, 0.0079)


@dataclass(frozen=True, slots=True)
class CurveSpec:
    technique: str
    species: tuple[Any, ...]
    mechanisms: tuple[str, ...]
    waveform: Any
    cell: Cell
    artifacts: dict[str, dict[str, float]] = field(default_factory=dict)
    legend: str | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    kind: str
    technique: str
    curves: tuple[CurveSpec, ...]
    series_variable: str | None = None
    series_values: tuple[float, ...] = ()


def _choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = sorted(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _round_sig(x: float, digits: int = 3) -> float:
    return float(f"{x:.{digits}g}")


@dataclass(frozen=True, slots=True)
class _Common:
    """Draws shared by the curves of one sample."""

    diffusion: float
    concentration: float
    scan_rate: float
    initially: str
    temperature: float = STANDARD_TEMPERATURE


def _overpotential_V(mech: str, species: Any, scan_rate: float, T: float) -> float:
    """How far beyond E°′ the forward peak lies (estimate used only to size the window)."""
    vt = thermal_voltage(T)
    if mech in ("quasi-reversible", "irreversible") or (mech == "EC" and math.isfinite(species.k0_m_s)):
        a = 1.0 - species.alpha if species.initially == "red" else species.alpha
        b = a * species.n * scan_rate / vt
        shift = (
            vt / (a * species.n) * (0.78 + math.log(math.sqrt(species.diffusion_m2_s * b) / species.k0_m_s))
        )
        return max(0.03, shift)
    return 0.03


def _draw_kinetics(rng: np.random.Generator, mech: str, c: _Common, n: int) -> tuple[float, float]:
    """(k0 in m/s, α) giving a Λ well inside the mechanism's Matsuda–Ayabe class."""
    alpha = _round_sig(rng.uniform(0.35, 0.65), 2)
    root = math.sqrt(c.diffusion * n / thermal_voltage(c.temperature) * c.scan_rate)
    if mech == "quasi-reversible":
        lam = _log_uniform(rng, 0.03, 4.0)
    else:
        lam = _log_uniform(rng, 1e-4, 10 ** (-2 * (1 + alpha)) / 3)
    return lam * root, alpha


def _draw_species(rng: np.random.Generator, mech: str, e0: float, c: _Common) -> Any:
    common = {
        "concentration_mol_m3": c.concentration,
        "diffusion_m2_s": c.diffusion,
        "initially": c.initially,
    }
    n = 1 if rng.random() < 0.85 else 2
    if mech == "reversible":
        return Reversible(e0_V=e0, n=n, **common)
    if mech in ("quasi-reversible", "irreversible"):
        k0, alpha = _draw_kinetics(rng, mech, c, n)
        cls = QuasiReversible if mech == "quasi-reversible" else Irreversible
        return cls(e0_V=e0, n=n, k0_m_s=k0, alpha=alpha, **common)
    if mech == "EC":
        vt = thermal_voltage(c.temperature)
        kf = _log_uniform(rng, 0.02, 3.0) * c.scan_rate / vt
        return EC(e0_V=e0, kf_per_s=kf, **common)
    if mech == "EE":
        sign = 1.0 if c.initially == "red" else -1.0
        gap = _round_sig(rng.uniform(-0.06, 0.45), 3)
        return EE(e0_1_V=e0, e0_2_V=e0 + sign * gap, **common)
    if mech == "adsorbed":
        gamma = _log_uniform(rng, 2e-7, 1e-5)  # mol/m² (2e-11–1e-9 mol/cm²)
        return Adsorbed(e0_V=e0, coverage_mol_m2=gamma, n=n, initially=c.initially)
    raise ValueError(mech)


def _e0_span(species: Any) -> tuple[float, float]:
    if isinstance(species, EE):
        return min(species.e0_1_V, species.e0_2_V), max(species.e0_1_V, species.e0_2_V)
    return species.e0_V, species.e0_V


def _window(
    rng: np.random.Generator, species: tuple[Any, ...], mechs: tuple[str, ...], c: _Common
) -> tuple[float, float]:
    """(start, turn) potentials: start before every wave, turn beyond every forward peak."""
    lows, highs = zip(*(_e0_span(s) for s in species), strict=True)
    over = max(
        _overpotential_V(m, s, c.scan_rate, c.temperature) for m, s in zip(mechs, species, strict=True)
    )
    lead = rng.uniform(0.2, 0.4)
    tail = over + rng.uniform(0.15, 0.35)
    lo, hi = min(lows), max(highs)
    if c.initially == "red":
        return round(lo - lead - (over if any(m == "irreversible" for m in mechs) else 0.0), 3), round(
            hi + tail, 3
        )
    return round(hi + lead + (over if any(m == "irreversible" for m in mechs) else 0.0), 3), round(
        lo - tail, 3
    )


def _randles_sevcik_A(species: Any, area_m2: float, scan_rate: float) -> float:
    if isinstance(species, Adsorbed):
        vt = thermal_voltage()
        return species.n**2 * 96485.0 * area_m2 * species.coverage_mol_m2 * scan_rate / (4 * vt)
    n = getattr(species, "n", 1)
    return (
        0.4463
        * n
        * 96485.0
        * area_m2
        * species.concentration_mol_m3
        * math.sqrt(n * scan_rate * species.diffusion_m2_s / thermal_voltage())
    )


def _draw_artifacts(
    rng: np.random.Generator, config: SynthConfig, ip: float, technique: str
) -> dict[str, dict[str, float]]:
    """Artifact kinds and their physical parameters, sized relative to the expected peak current."""
    drawn: dict[str, dict[str, float]] = {}
    for kind in sorted(config.artifacts):
        if rng.random() >= config.artifacts[kind]:
            continue
        if kind == "noise":
            drawn[kind] = {"rms_A": ip * _log_uniform(rng, 0.002, 0.04)}
        elif kind == "one_over_f":
            drawn[kind] = {"rms_A": ip * _log_uniform(rng, 0.002, 0.02)}
        elif kind == "charging":
            drawn[kind] = {"cdl_F_m2": rng.uniform(0.1, 0.6)}
        elif kind == "background":
            drawn[kind] = {
                "slope_A_per_V": ip * rng.uniform(-0.4, 0.4),
                "curvature_A_per_V2": ip * rng.uniform(-0.5, 0.5),
                "onset_A": ip * _log_uniform(rng, 0.05, 0.6) if rng.random() < 0.4 else 0.0,
            }
        elif kind == "ru":
            drawn[kind] = {"ir_drop_V": rng.uniform(0.005, 0.04)}
        elif kind == "mains":
            drawn[kind] = {
                "amplitude_A": ip * _log_uniform(rng, 0.005, 0.05),
                "frequency_Hz": float(rng.choice([50.0, 60.0])),
            }
        elif kind == "spikes":
            drawn[kind] = {"count": float(rng.integers(1, 6)), "amplitude_A": ip * rng.uniform(0.3, 1.5)}
        elif kind == "drift":
            drawn[kind] = {"fraction_of_ip": rng.uniform(0.1, 0.6)}
        elif kind == "clipping" and technique != "DPV":
            drawn[kind] = {"fraction_of_ip": rng.uniform(0.6, 0.92)}
        elif kind == "fouling" and technique == "CV":
            drawn[kind] = {"loss_per_cycle": rng.uniform(0.05, 0.3)}
        elif kind == "reference_drift" and technique == "CV":
            drawn[kind] = {"shift_V_per_cycle": float(rng.choice([-1, 1])) * rng.uniform(0.01, 0.04)}
        elif kind == "quantization":
            drawn[kind] = {"lsb_A": ip * _log_uniform(rng, 0.005, 0.03)}
    return drawn


def _cv_waveform(
    rng: np.random.Generator,
    config: SynthConfig,
    technique: str,
    start: float,
    turn: float,
    v: float,
    cycles: int,
) -> Any:
    step = float(rng.choice([0.001, 0.001, 0.002, 0.0025, 0.005])) if abs(turn - start) < 1.6 else 0.002
    if technique == "LSV":
        return LSVWaveform(start_V=start, end_V=turn, scan_rate_V_s=v, step_V=step)
    return CVWaveform(start_V=start, vertex_V=turn, scan_rate_V_s=v, step_V=step, n_cycles=cycles)


def _dpv_waveform(rng: np.random.Generator, start: float, turn: float) -> DPVWaveform:
    width = float(rng.choice([0.01, 0.02, 0.025, 0.05, 0.1]))
    return DPVWaveform(
        start_V=start,
        end_V=turn,
        step_V=float(rng.choice([0.002, 0.004, 0.005, 0.01])),
        amplitude_V=float(rng.choice([0.01, 0.025, 0.05, 0.075, 0.1])),
        pulse_width_s=width,
        period_s=round(width * float(rng.choice([2.0, 2.5, 4.0, 5.0, 8.0, 10.0])), 3),
    )


def _curve(
    rng: np.random.Generator,
    config: SynthConfig,
    technique: str,
    mechs: tuple[str, ...],
    e0s: tuple[float, ...],
    c: _Common,
    cycles: int,
    area_m2: float,
    artifacts: dict[str, dict[str, float]] | None = None,
    window: tuple[float, float] | None = None,
    legend: str | None = None,
) -> CurveSpec:
    species = tuple(_draw_species(rng, m, e0, c) for m, e0 in zip(mechs, e0s, strict=True))
    start, turn = window or _window(rng, species, mechs, c)
    ip = _randles_sevcik_A(species[0], area_m2, c.scan_rate)
    if artifacts is None:
        artifacts = _draw_artifacts(rng, config, ip, technique)
    # Ru sized for a visible iR drop at the largest expected peak current of all the species (sized on
    # species 0 alone, a large adsorbed or n = 2 wave beside it got an iR drop many times the one drawn)
    if technique == "DPV":  # a staircase solve with iR coupling costs 20× more; DPV keeps Cdl only
        artifacts = {k: v for k, v in artifacts.items() if k != "ru"}
    ip_max = max(_randles_sevcik_A(s, area_m2, c.scan_rate) for s in species)
    ru = min(MAX_RU_OHM, artifacts["ru"]["ir_drop_V"] / ip_max) if "ru" in artifacts and ip_max > 0 else 0.0
    cdl = artifacts.get("charging", {}).get("cdl_F_m2", 0.0)
    cell = Cell(area_m2=area_m2, ru_ohm=ru, cdl_F_m2=cdl)
    if technique == "CV" and ("fouling" in artifacts or "reference_drift" in artifacts):
        cycles = max(cycles, int(rng.integers(2, 4)))
    if technique == "DPV":
        waveform = _dpv_waveform(rng, start, turn)
    else:
        waveform = _cv_waveform(rng, config, technique, start, turn, c.scan_rate, cycles)
    return CurveSpec(technique, species, mechs, waveform, cell, artifacts, legend)


def _mechanisms(
    rng: np.random.Generator, config: SynthConfig, technique: str
) -> tuple[tuple[str, ...], tuple[float, ...]]:
    weights = dict(config.mechanisms)
    if technique == "DPV":
        weights = {k: w for k, w in weights.items() if k in ("reversible", "quasi-reversible")} or {
            "reversible": 1.0
        }
    n_couples = 1 + int(rng.binomial(config.max_couples - 1, 0.3)) if config.max_couples > 1 else 1
    mechs = tuple(_choice(rng, weights) for _ in range(n_couples))
    base = rng.uniform(-0.8, 0.6)
    gaps = rng.uniform(0.25, 0.5, size=n_couples - 1)
    e0s = tuple(round(float(x), 3) for x in base + np.concatenate([[0.0], np.cumsum(gaps)]))
    return mechs, e0s


def draw_scenario(rng: np.random.Generator, config: SynthConfig) -> Scenario:
    """One sample's scenario: a single curve, an overlay, or a scan-rate or concentration series."""
    technique = _choice(rng, config.techniques)
    kind = _choice(rng, config.kinds)
    if technique == "DPV" and kind == "scan_rate_series":
        kind = "concentration_series"
    if technique == "LSV" and kind == "overlay":
        kind = "single"
    c = _Common(
        diffusion=_round_sig(_log_uniform(rng, 3e-10, 2e-9)),
        concentration=_round_sig(_log_uniform(rng, *config.concentration_mM)),
        scan_rate=_round_sig(_log_uniform(rng, *config.scan_rate_V_s), 2),
        initially="red" if rng.random() < 0.5 else "ox",
    )
    area = float(rng.choice(DISK_AREAS_CM2)) * 1e-4
    cycles = (
        1 if technique != "CV" else int(rng.integers(1, config.max_cycles + 1)) if rng.random() < 0.3 else 1
    )
    mechs, e0s = _mechanisms(rng, config, technique)
    if kind == "single":
        return Scenario(kind, technique, (_curve(rng, config, technique, mechs, e0s, c, cycles, area),))
    if kind == "overlay":
        n = int(rng.integers(2, 5))
        curves = []
        shared: dict[str, dict[str, float]] | None = None  # one cell, one instrument: the same artifacts
        for j in range(n):
            shifted = tuple(round(e + float(rng.uniform(-0.15, 0.15)), 3) for e in e0s)
            cj = _Common(
                c.diffusion, _round_sig(c.concentration * rng.uniform(0.4, 1.6)), c.scan_rate, c.initially
            )
            curve = _curve(
                rng, config, technique, mechs, shifted, cj, 1, area, shared, legend=f"sample {chr(65 + j)}"
            )
            shared = dict(curve.artifacts)
            curves.append(curve)
        return Scenario(kind, technique, tuple(curves))
    n = int(rng.integers(config.series_length[0], config.series_length[1] + 1))
    probe = _curve(rng, config, technique, mechs, e0s, c, 1, area)
    artifacts = {k: v for k, v in probe.artifacts.items() if k in ("noise", "charging", "background", "ru")}
    if kind == "scan_rate_series":
        rates = np.geomspace(c.scan_rate / rng.uniform(4, 12), c.scan_rate, n)
        values = tuple(_round_sig(float(r), 2) for r in rates)
        curves = tuple(
            replace(
                probe,
                waveform=replace(probe.waveform, scan_rate_V_s=v),
                artifacts=artifacts,
                legend=f"{v * 1000:g} mV/s",
            )
            for v in values
        )
        return Scenario(kind, technique, curves, "scan_rate_V_s", values)
    top = c.concentration
    values = (0.0, *(_round_sig(top * (j + 1) / (n - 1)) for j in range(n - 1)))
    curves = tuple(
        replace(
            probe,
            species=tuple(_with_concentration(s, conc / top) for s in probe.species),
            artifacts=artifacts,
            legend="blank" if conc == 0 else f"{conc:g} mM",
        )
        for conc in values
    )
    return Scenario(kind, technique, curves, "concentration_mol_m3", values)


def _with_concentration(species: Any, factor: float) -> Any:
    """The same species at ``factor`` times its bulk concentration (coverage for a surface layer)."""
    if isinstance(species, Adsorbed):
        return replace(species, coverage_mol_m2=species.coverage_mol_m2 * factor)
    return replace(species, concentration_mol_m3=_round_sig(species.concentration_mol_m3 * factor))

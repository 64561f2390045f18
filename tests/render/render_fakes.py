"""Quick, plausible-looking voltammograms for renderer tests (the simulator lives elsewhere).

A reversible CV from the semi-derivative of the Nernstian surface fraction (Grünwald–Letnikov),
plus double-layer charging, a resistive slope and noise; a DPV as a sech² peak on a baseline.
These only need to *look* like measurements: the renderer tests check geometry, not chemistry.
"""

from __future__ import annotations

import numpy as np

from voltlens import Technique, Voltammogram

F_OVER_RT = 38.92  # 1/V at 298 K


def _semi_derivative(f: np.ndarray, h: float) -> np.ndarray:
    n = f.size
    w = np.empty(n)
    w[0] = 1.0
    j = np.arange(1, n)
    w[1:] = np.cumprod((j - 1.5) / j)
    return np.convolve(f, w)[:n] / np.sqrt(h)


def fake_cv(
    rng: np.random.Generator,
    *,
    n_per_sweep: int = 400,
    cycles: int = 1,
    scan_rate: float | None = None,
    reference: str | None = "Ag/AgCl",
    density: bool = False,
) -> Voltammogram:
    e0 = rng.uniform(-0.4, 0.6)
    width = rng.uniform(0.35, 0.7)
    e_lo = e0 - width * rng.uniform(0.8, 1.2)
    e_hi = e0 + width * rng.uniform(0.8, 1.2)
    v = scan_rate if scan_rate is not None else float(rng.choice([0.01, 0.02, 0.05, 0.1, 0.2, 0.5]))
    sweep = np.linspace(e_lo, e_hi, n_per_sweep)
    one = np.concatenate([sweep, sweep[::-1][1:]])
    potential = np.concatenate([one] + [one[1:]] * (cycles - 1))
    n = potential.size
    h = abs(sweep[1] - sweep[0]) / v
    alpha = rng.uniform(0.35, 1.0)  # < 1 broadens like a sluggish couple
    shift = (1 - alpha) * 0.12
    direction = np.sign(np.gradient(potential))
    theta = F_OVER_RT * alpha * (potential - e0 - shift * direction)
    frac = 1.0 / (1.0 + np.exp(-theta))
    shape = _semi_derivative(frac, h)
    shape /= np.max(np.abs(shape[:n_per_sweep]))
    ip = 10 ** rng.uniform(-8.5, -3.3)
    current = ip * shape
    if rng.random() < 0.4:  # a second couple
        e1 = e0 + rng.choice([-1, 1]) * rng.uniform(0.15, 0.3)
        frac2 = 1.0 / (1.0 + np.exp(-F_OVER_RT * (potential - e1)))
        s2 = _semi_derivative(frac2, h)
        current += rng.uniform(0.3, 0.9) * ip * s2 / np.max(np.abs(s2[:n_per_sweep]))
    tau = rng.uniform(0.01, 0.04) * n_per_sweep  # charging settles over a few points after a reversal
    since = np.arange(n) % (n_per_sweep - 1)
    charging = direction * (1 - np.exp(-since / tau))
    current += ip * rng.uniform(0.02, 0.15) * charging  # double layer
    current += ip * rng.uniform(-0.1, 0.2) * (potential - e0) / width  # resistive slope
    current *= 1 - 0.04 * (np.arange(n) // (2 * n_per_sweep - 1))  # slow decay over cycles
    current += ip * rng.uniform(0.0005, 0.004) * rng.standard_normal(n)
    cycle = 1 + np.minimum(np.arange(n) // (2 * n_per_sweep - 1), cycles - 1)
    if density:
        current = current / 0.0707e-4  # A/m² over a 3 mm disc
    return Voltammogram(
        potential,
        current,
        Technique.CV,
        scan_rate=v,
        cycle=cycle,
        reference_electrode=reference,
        current_is_density=density,
        source="fake_cv",
    )


def fake_dpv(rng: np.random.Generator, *, n: int = 300, reference: str | None = "Ag/AgCl") -> Voltammogram:
    e0 = rng.uniform(-0.3, 0.5)
    potential = np.linspace(e0 - 0.4, e0 + 0.4, n)
    ip = 10 ** rng.uniform(-8, -4)
    w = rng.uniform(0.8, 1.5)
    current = ip / np.cosh(F_OVER_RT * (potential - e0) / (2 * w)) ** 2
    current += ip * (0.1 + 0.1 * (potential - potential[0])) + ip * 0.005 * rng.standard_normal(n)
    return Voltammogram(potential, current, Technique.DPV, reference_electrode=reference, source="fake_dpv")


def fake_series(rng: np.random.Generator, n_curves: int, *, density: bool = False) -> list[Voltammogram]:
    """A scan-rate study: the same couple at increasing rates (peak ∝ √v)."""
    seed = int(rng.integers(2**31))
    rates = sorted(rng.choice([0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0], size=n_curves, replace=False))
    out = []
    for r in rates:
        base = fake_cv(np.random.default_rng(seed), scan_rate=float(r), density=density)
        k = np.sqrt(r / rates[-1])
        out.append(base.replace(current=base.current * k))
    return out

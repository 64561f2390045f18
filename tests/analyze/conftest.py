"""Local textbook curves for the analysis tests, independent of ``voltlens.simulate``.

A small semi-integral (Oldham & Myland, Electrochim. Acta 2011, 56, 10612) simulator for planar
diffusion: Butler–Volmer couples (reversible as k0 → ∞), an irreversible follow-up reaction of the
product (EC), a reversible Langmuir adsorbed layer, double-layer charging, a sloped background,
uncompensated resistance and Gaussian noise.  It also returns the truths the analysis must find:
each species' own faradaic current and, for the reverse sweep, Nicholson's baseline (the faradaic
current that would flow if the potential were held at the switching potential).  Checked against
Randles–Ševčík and against the ``cvsim`` package in ``test_textbook_fixture.py``.

Tests reach these helpers through the ``textbook`` fixture.
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.optimize import brentq

F = 96485.33212
R = 8.314462618


@dataclass(frozen=True)
class Couple:
    """One species: O + n e ⇌ R.  ``reduced``: the bulk holds R (an oxidation wave first)."""

    e0: float
    n: int = 1
    k0: float = math.inf  # m/s
    alpha: float = 0.5
    conc: float = 1.0  # mol/m³
    d: float = 1e-9  # m²/s, both forms
    reduced: bool = True
    kc: float = 0.0  # 1/s, irreversible decay of the product (EC)
    gamma: float = 0.0  # mol/m², > 0 for an adsorbed (surface-confined, Nernstian) layer


def _weights(n: int) -> np.ndarray:
    w = np.ones(n)
    k = np.arange(1, n)
    w[1:] = np.cumprod((2 * k - 1) / (2 * k))
    return w


def _staircase(e_start: float, e_vertex: float, step: float, cycles: int, e_final: float | None):
    e_final = e_start if e_final is None else e_final
    n1 = round(abs(e_vertex - e_start) / step)
    n2 = round(abs(e_vertex - e_final) / step)
    fwd = e_start + np.sign(e_vertex - e_start) * step * np.arange(1, n1 + 1)
    rev = e_vertex + np.sign(e_final - e_vertex) * step * np.arange(1, n2 + 1)
    one = np.concatenate([fwd, rev])
    return np.tile(one, cycles), n1


class _Sim:
    """Sequential solver on a uniform time grid for an arbitrary applied potential programme."""

    def __init__(self, couples, e_applied, dt, *, area, temperature, cdl, ru):
        self.couples = list(couples)
        self.e = np.asarray(e_applied, float)
        self.dt = dt
        self.area = area
        self.f = F / (R * temperature)
        self.cdl = cdl
        self.ru = ru
        self.w = _weights(self.e.size + 1)

    def run(self, e_first: float):
        n_pts, m = self.e.size, len(self.couples)
        cur = np.zeros((m, n_pts))
        total = np.zeros(n_pts)
        e_eff = np.zeros(n_pts)
        theta_prev = [self._theta(c, e_first) for c in self.couples]
        e_prev = e_first
        sdt = math.sqrt(self.dt)
        for n in range(n_pts):
            sums = []
            for j, c in enumerate(self.couples):
                if c.gamma > 0:
                    sums.append(None)
                    continue
                hist = cur[j, n - 1 :: -1] if n else np.empty(0)
                w = self.w[1 : n + 1]
                s_plain = float(np.dot(w, hist))
                if c.kc > 0:
                    s_kin = float(np.dot(w * np.exp(-c.kc * self.dt * np.arange(1, n + 1)), hist))
                else:
                    s_kin = s_plain
                sums.append((s_plain, s_kin))

            def faradaic(e, sums=sums):
                out = np.zeros(m)
                for j, c in enumerate(self.couples):
                    if c.gamma > 0:
                        th = self._theta(c, e)
                        out[j] = c.n * F * self.area * c.gamma * (th - theta_prev[j]) / self.dt
                        continue
                    s_plain, s_kin = sums[j]
                    # product decays chemically: R is the product when bulk is O and vice versa
                    s_r, s_o = (s_plain, s_kin) if c.reduced else (s_kin, s_plain)
                    x = min(max(c.n * self.f * (e - c.e0), -300.0), 300.0)
                    ex = math.exp(x)
                    q = c.n * F * self.area
                    cr, co = (c.conc, 0.0) if c.reduced else (0.0, c.conc)
                    rd = sdt / math.sqrt(c.d)
                    den = rd * (ex + 1.0) + (0.0 if math.isinf(c.k0) else math.exp(c.alpha * x) / c.k0)
                    num = q * (ex * cr - co) - rd * (ex * s_r + s_o)
                    out[j] = num / den
                return out

            e_app = self.e[n]
            if self.ru > 0:

                def g(e, e_app=e_app, e_prev=e_prev, faradaic=faradaic):
                    i = faradaic(e).sum() + self.area * self.cdl * (e - e_prev) / self.dt
                    return e - e_app + self.ru * i

                e_n = brentq(g, e_app - 3.0, e_app + 3.0, xtol=1e-9)
            else:
                e_n = e_app
            fa = faradaic(e_n)
            cur[:, n] = fa
            total[n] = fa.sum() + self.area * self.cdl * (e_n - e_prev) / self.dt
            e_eff[n] = e_n
            for j, c in enumerate(self.couples):
                if c.gamma > 0:
                    theta_prev[j] = self._theta(c, e_n)
            e_prev = e_n
        return cur, total, e_eff

    def _theta(self, c, e):
        x = min(max(c.n * self.f * (e - c.e0), -300.0), 300.0)
        return 1.0 / (1.0 + math.exp(-x))  # fraction oxidised


def simulate_cv(
    couples,
    *,
    e_start: float,
    e_vertex: float,
    scan_rate: float = 0.1,
    step: float = 1e-3,
    cycles: int = 1,
    e_final: float | None = None,
    area: float = 7.07e-6,
    temperature: float = 298.15,
    cdl: float = 0.0,  # F/m²
    ru: float = 0.0,
    slope: float = 0.0,  # A/V sloped background
    offset: float = 0.0,
    noise: float = 0.0,  # A rms
    rng: np.random.Generator | None = None,
    with_hold: bool = True,
):
    """A CV from ``e_start`` to ``e_vertex`` and back; returns a namespace of arrays and truths."""
    e_app, n1 = _staircase(e_start, e_vertex, step, cycles, e_final)
    dt = step / scan_rate
    sim = _Sim(couples, e_app, dt, area=area, temperature=temperature, cdl=cdl, ru=ru)
    cur, total, e_eff = sim.run(e_start)
    hold = None
    if with_hold:
        prog = e_app[: e_app.size // cycles].copy()
        prog[n1:] = e_app[n1 - 1]
        hsim = _Sim(couples, prog, dt, area=area, temperature=temperature, cdl=0.0, ru=ru)
        hcur, _, _ = hsim.run(e_start)
        hold = hcur
    current = total + slope * (e_app - e_start) + offset
    if noise > 0:
        assert rng is not None
        current = current + rng.normal(0.0, noise, current.size)
    return types.SimpleNamespace(
        potential=e_app,
        current=current,
        faradaic=cur,
        hold=hold,
        n_forward=n1,
        time=dt * np.arange(1, e_app.size + 1),
        scan_rate=scan_rate,
        e_effective=e_eff,
    )


def truth_peaks(sim, couples, *, tol=0.0):
    """Truth (direction, Ep, ip) of the first-cycle forward and reverse peak of each species.

    Forward: the species' own faradaic extremum on the forward sweep.  Reverse: the extremum of
    (faradaic − Nicholson hold current), relative to that hold current.  Adsorbed layers: both
    relative to zero.
    """
    n1 = sim.n_forward
    out = []
    for j, c in enumerate(couples):
        s = 1.0 if c.reduced else -1.0
        fwd = s * sim.faradaic[j, :n1]
        k = int(np.argmax(fwd))
        if 2 < k < n1 - 2:
            out.append(("anodic" if s > 0 else "cathodic", sim.potential[k], s * fwd[k], j))
        m = min(2 * n1, sim.faradaic.shape[1])
        rev = -s * sim.faradaic[j, n1:m]
        if sim.hold is not None and c.gamma == 0:
            rev = rev + s * sim.hold[j, n1:m]
        k = int(np.argmax(rev))
        if rev[k] > tol and 2 < k < rev.size - 2:
            out.append(("cathodic" if s > 0 else "anodic", sim.potential[n1 + k], -s * rev[k], j))
    return out


def randles_sevcik(n, area, conc, d, v, temperature=298.15):
    f = F / (R * temperature)
    return 0.4463 * n * F * area * conc * math.sqrt(n * f * v * d)


def simulate_dpv(
    couples,
    *,
    e_start: float,
    e_end: float,
    step: float = 5e-3,
    amplitude: float = 0.025,
    period: float = 0.1,
    width: float = 0.05,
    substeps: int = 20,
    area: float = 7.07e-6,
    temperature: float = 298.15,
    slope: float = 0.0,
    offset: float = 0.0,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
):
    """Differential pulse voltammogram by the same solver: base staircase plus pulses, currents
    sampled at the end of each pulse and just before it.  ``amplitude`` is signed like the scan."""
    n_per = round(abs(e_end - e_start) / step) + 1
    direction = np.sign(e_end - e_start)
    dt = period / substeps
    n_pulse = round(width / dt)
    base = e_start + direction * step * np.arange(n_per)
    prog = np.repeat(base, substeps)
    pulse_mask = np.tile(np.arange(substeps) >= substeps - n_pulse, n_per)
    prog = prog + amplitude * pulse_mask
    sim = _Sim(couples, prog, dt, area=area, temperature=temperature, cdl=0.0, ru=0.0)
    cur, total, _ = sim.run(e_start)
    idx_pulse = np.arange(n_per) * substeps + substeps - 1
    idx_base = np.arange(n_per) * substeps + substeps - n_pulse - 1
    delta = total[idx_pulse] - total[idx_base]
    per_species = cur[:, idx_pulse] - cur[:, idx_base]
    current = delta + slope * (base - e_start) + offset
    if noise > 0:
        assert rng is not None
        current = current + rng.normal(0.0, noise, current.size)
    return types.SimpleNamespace(potential=base, current=current, faradaic=per_species)


@pytest.fixture(scope="session")
def textbook():
    return types.SimpleNamespace(
        Couple=Couple,
        simulate_cv=simulate_cv,
        Sim=_Sim,  # the sequential solver, for an arbitrary potential programme
        simulate_dpv=simulate_dpv,
        truth_peaks=truth_peaks,
        randles_sevcik=randles_sevcik,
        F=F,
        R=R,
    )


def _labelled_cv(species, waveform, *, artifacts=None, ru=0.0, seed=0):
    """A CV of ``species`` simulated by :mod:`voltlens.simulate` (no double layer), with its exact
    truth label from :mod:`voltlens.truth`: (measured voltammogram, label)."""
    from voltlens.simulate.species import Cell
    from voltlens.synth.sample import curve_label, simulate_curve
    from voltlens.synth.scenario import CurveSpec

    spec = CurveSpec(
        "CV",
        tuple(species),
        tuple(type(s).__name__ for s in species),
        waveform,
        Cell(area_m2=7.07e-6, ru_ohm=ru, cdl_F_m2=0.0),
        artifacts or {},
    )
    measured, clean, injected = simulate_curve(spec, np.random.default_rng(seed))
    return measured, curve_label(spec, measured, clean, injected)


@pytest.fixture(scope="session")
def labelled_cv():
    """:func:`_labelled_cv`: a simulated CV and its exact truth label."""
    return _labelled_cv

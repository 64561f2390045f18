"""The semi-integral solver: currents of every species for a uniformly sampled potential programme.

Two paths share the same discretisation (:mod:`.kernels`, :mod:`.mechanisms`):

* **Known potential** (no uncompensated resistance): each species is independent and its
  equations are linear, so the whole lower-triangular system is solved block by block — dense
  triangular solves on leaf blocks, the history of earlier blocks added by (FFT) convolutions in
  a divide-and-conquer order, O(N log² N) and fully vectorised.
* **iR drop** (Ru > 0): the electrode potential E_eff = E − Ru·(i_faradaic + i_charging) couples all
  species and the charging current, so each step is a scalar Newton solve for E_eff (bracketed;
  g(E) = E − E_applied + Ru·i(E) is strictly increasing).  Histories are the same blocked
  convolutions plus a short dot product per step.

Sample 0 is the rest state (current 0).  Currents are point values at the samples (the
kernels assume a piecewise-linear current).  Without Ru the charging current is
A·Cdl·(E_n − E_{n−1})/Δt; with Ru the double layer is integrated exactly between samples (see
:func:`solve_with_resistance`).  Adsorbed layers report the charge passed between the half-steps
around each sample divided by Δt (centred, charge conserving).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft
from scipy import linalg

from .mechanisms import X_CLIP, AdsorbedModel, DiffusionModel, adsorbed_equilibrium, adsorbed_rate, relax

_LEAF_LINEAR = 128
_LEAF_COUPLED = 32
_DIRECT_CONV = 128  # block sizes up to this use np.convolve, larger ones FFT


@dataclass(frozen=True)
class RawSolution:
    faradaic: np.ndarray  # (n_species, N) measured (IUPAC-signed) faradaic current of each species, A
    charging: np.ndarray  # (N,) A
    effective: np.ndarray  # (N,) electrode potential after iR drop, V


class _Transfers:
    """Far-history updates of the divide-and-conquer order, with the kernels' spectra cached per block size.

    After the first m unknowns are final (m a multiple of the leaf size), the last p = m & −m of
    them are convolved into the next p targets.  A circular convolution of length 2p is exact
    for those targets (the wrapped part lands on indices that are not used).
    """

    def __init__(self, model: DiffusionModel, leaf: int) -> None:
        self.model, self.leaf = model, leaf
        self.spectra: dict[tuple[int, int], np.ndarray] = {}

    def __call__(self, x: np.ndarray, far: np.ndarray, m: int) -> None:
        total = x.shape[1]
        if m >= total or m % self.leaf:
            return
        p = m & -m
        length = min(p, total - m)
        model = self.model
        for c, (r, k) in enumerate(zip(model.channel_current, model.channel_kernel, strict=True)):
            w = model.kernels[k]
            block = x[r, m - p : m]
            if p <= _DIRECT_CONV:
                far[c, m : m + length] += np.convolve(block, w[: p + length])[p : p + length]
                continue
            spectrum = self.spectra.get((k, p))
            if spectrum is None:
                spectrum = self.spectra[(k, p)] = sfft.rfft(w[: 2 * p], 2 * p)
            far[c, m : m + length] += sfft.irfft(sfft.rfft(block, 2 * p) * spectrum, 2 * p)[p : p + length]


def _strict_lower(w: np.ndarray, size: int) -> np.ndarray:
    size = min(size, w.size)
    t = linalg.toeplitz(w[:size], np.zeros(size))
    np.fill_diagonal(t, 0.0)
    return t


def solve_linear(model: DiffusionModel, e: np.ndarray) -> np.ndarray:
    """Forward currents (q, M) of one dissolved species for the electrode potentials ``e`` (M,) of samples 1..M."""
    own, coef, rhs = model.system(e)
    q, n_ch, total = coef.shape
    leaf = _LEAF_LINEAR if q == 1 else _LEAF_LINEAR // 2
    lower = [_strict_lower(w, leaf) for w in model.kernels]
    w0 = np.array(model.w0)
    x = np.zeros((q, total))
    far = np.zeros((n_ch, total))
    transfer = _Transfers(model, leaf)
    for lo in range(0, total, leaf):
        hi = min(lo + leaf, total)
        b = hi - lo
        co = coef[:, :, lo:hi]  # (q, C, b)
        r = rhs[:, lo:hi] - np.einsum("pcb,cb->pb", co, far[:, lo:hi])
        if q == 1:
            mat = co[0, 0][:, None] * lower[model.channel_kernel[0]][:b, :b]
            for c in range(1, n_ch):
                mat += co[0, c][:, None] * lower[model.channel_kernel[c]][:b, :b]
            mat[np.diag_indices(b)] += own[0, lo:hi] + co[0].T @ w0
            x[0, lo:hi] = linalg.solve_triangular(mat, r[0], lower=True, check_finite=False)
        else:
            mat = np.zeros((q * b, q * b))
            for p in range(q):
                mat[p * b + np.arange(b), p * b + np.arange(b)] += own[p, lo:hi]
                for c, (rr, k) in enumerate(zip(model.channel_current, model.channel_kernel, strict=True)):
                    block = mat[p * b : (p + 1) * b, rr * b : (rr + 1) * b]
                    block += co[p, c][:, None] * lower[k][:b, :b]
                    block[np.diag_indices(b)] += co[p, c] * w0[c]
            x[:, lo:hi] = linalg.solve(mat, r.ravel(), check_finite=False).reshape(q, b)
        transfer(x, far, hi)
    return x


def adsorbed_linear(model: AdsorbedModel, e: np.ndarray, dt: float) -> np.ndarray:
    """Measured current (N,) of a surface layer for electrode potentials ``e`` (N,) including sample 0."""
    n = e.size
    half = e + 0.5 * np.diff(e, append=2 * e[-1] - e[-2])  # potential half a step after each sample
    g = adsorbed_equilibrium(model, half)
    if math.isinf(model.k0):
        q = g
    else:
        z = adsorbed_rate(model, e) * dt
        q = np.empty(n)
        q[0] = relax(0.0, g[0], g[0], 0.5 * float(z[0]))
        g_list, z_list = g.tolist(), z.tolist()
        prev = float(q[0])
        out = [prev]
        for k in range(1, n):
            prev = relax(prev, g_list[k - 1], g_list[k], z_list[k])
            out.append(prev)
        q = np.array(out)
    current = np.zeros(n)
    current[1:] = model.sign * np.diff(q) / dt
    return current


def solve_known_potential(
    models: list[DiffusionModel | AdsorbedModel],
    e: np.ndarray,
    dt: float,
    capacitance_F: float,
    fraction: np.ndarray,
) -> RawSolution:
    """All currents when the electrode potential ``e`` (N,) is imposed (Ru = 0)."""
    faradaic = np.zeros((len(models), e.size))
    for j, model in enumerate(models):
        if isinstance(model, AdsorbedModel):
            faradaic[j] = adsorbed_linear(model, e, dt)
        else:
            faradaic[j, 1:] = model.sign * solve_linear(model, e[1:]).sum(axis=0)
    faradaic *= fraction[None, :]
    charging = np.zeros(e.size)
    charging[1:] = capacitance_F * np.diff(e) / dt
    return RawSolution(faradaic, charging, e.copy())


class _DiffusionState:
    """Per-step bookkeeping of one dissolved species in the coupled (iR) solve."""

    def __init__(self, model: DiffusionModel, total: int) -> None:
        self.model = model
        self.local = model.local
        self.x = np.zeros((model.q, total))
        self.far = np.zeros((len(model.channel_kernel), total))
        rev = [model.kernels[k][::-1].copy() for k in model.channel_kernel]
        # per channel: (its far-history row, the current row it convolves, the reversed kernel)
        self.channels = [(self.far[c], self.x[r], rev[c]) for c, r in enumerate(model.channel_current)]
        self.rows = list(self.x)
        self.last = total - 1
        self.transfer = _Transfers(model, _LEAF_COUPLED)

    def histories(self, n: int, lo: int) -> list[float]:
        """h_c at unknown n: the far part plus the dot product over this leaf's earlier unknowns."""
        start = self.last - n + lo
        dot = np.dot
        return [far[n] + dot(x[lo:n], rev[start : self.last]) for far, x, rev in self.channels]


class _AdsorbedState:
    """Half-step coverage bookkeeping of one surface layer in the coupled (iR) solve (scalar math)."""

    def __init__(self, model: AdsorbedModel, e0: float, e_half0: float, dt: float) -> None:
        self.m, self.dt = model, dt
        self.g_prev = self._equilibrium(e_half0)
        self.q_prev = relax(0.0, self.g_prev, self.g_prev, 0.5 * self._rate(e0) * dt)
        self.q_next = self.g_next = 0.0

    def _x(self, e: float) -> float:
        x = self.m.nf * self.m.sign * (e - self.m.e0)
        return -X_CLIP if x < -X_CLIP else (X_CLIP if x > X_CLIP else x)

    def _equilibrium(self, e: float) -> float:
        return self.m.total / (1.0 + math.exp(-self._x(e)))

    def _rate(self, e: float) -> float:
        if math.isinf(self.m.k0):
            return math.inf
        x, b = self._x(e), self.m.beta_f
        return self.m.k0 * (math.exp(b * x) + math.exp(-(1.0 - b) * x))

    def _charge(self, e: float, half_shift: float) -> tuple[float, float]:
        g = self._equilibrium(e + half_shift)
        return relax(self.q_prev, self.g_prev, g, self._rate(e) * self.dt), g

    def current(self, e: float, half_shift: float) -> tuple[float, float]:
        """Measured current and its derivative for electrode potential e at this sample (state not advanced)."""
        q, g = self._charge(e, half_shift)
        self.q_next, self.g_next = q, g
        step = 1e-7
        q2, _ = self._charge(e + step, half_shift)
        scale = self.m.sign / self.dt
        return scale * (q - self.q_prev), scale * (q2 - q) / step

    def accept(self) -> None:
        self.q_prev, self.g_prev = self.q_next, self.g_next


def _double_layer_factors(dt: float, ru: float, capacitance_F: float) -> tuple[float, float]:
    """φ(z) = (1 − e^{−z})/z and e^{−z} for z = Δt/(Ru·C); (0, 0) without a capacitance."""
    if capacitance_F <= 0.0:
        return 0.0, 0.0
    z = dt / (ru * capacitance_F)
    decay = math.exp(-z)
    return (1.0 if z < 1e-12 else -math.expm1(-z) / z), decay


def solve_with_resistance(
    models: list[DiffusionModel | AdsorbedModel],
    e_applied: np.ndarray,
    dt: float,
    ru: float,
    capacitance_F: float,
    fraction: np.ndarray,
    *,
    tol_V: float = 1e-9,
) -> RawSolution:
    """All currents with the self-consistent iR drop: E_eff = E_applied − Ru·(Σ faradaic + charging).

    The double layer C (in parallel with the faradaic branch, in series with Ru) obeys
    Ru·C·dE_eff/dt = G(t) − E_eff with G = E_applied − Ru·i_F.  With G linear between samples (the
    applied programme and the piecewise-linear faradaic current) this is integrated exactly, so
    the charging current D/Ru, D = G − E_eff, is exact at the samples for sweeps and for steps.
    Each step solves E = (1 − φ)·G(E) + φ·G_prev − e^{−z}·D_prev for E (strictly increasing).
    """
    n_total = e_applied.size
    total = n_total - 1  # unknown samples 1..N−1
    shifts = 0.5 * np.diff(e_applied, append=2 * e_applied[-1] - e_applied[-2])
    diff_states = [
        (j, _DiffusionState(m, total)) for j, m in enumerate(models) if isinstance(m, DiffusionModel)
    ]
    ads_states = [
        (j, _AdsorbedState(m, float(e_applied[0]), float(e_applied[0] + shifts[0]), dt))
        for j, m in enumerate(models)
        if isinstance(m, AdsorbedModel)
    ]
    faradaic: list[list[float]] = [[0.0] for _ in models]
    charging = [0.0]
    effective = [float(e_applied[0])]
    e_list, shift_list, frac_list = e_applied.tolist(), shifts.tolist(), fraction.tolist()
    phi_z, decay = _double_layer_factors(dt, ru, capacitance_F)
    gain = 1.0 - phi_z  # weight of this sample's G in E_eff
    g_prev = e_list[0]  # G at the previous sample (at rest: no current)
    d_prev = 0.0  # D = G − E_eff = Ru × charging current
    drop1 = drop2 = drop3 = 0.0  # E_applied − E_eff at the three previous samples
    dstates = [st for _, st in diff_states]
    astates = [st for _, st in ads_states]
    d_out = [faradaic[j] for j, _ in diff_states]
    a_out = [faradaic[j] for j, _ in ads_states]
    inf = math.inf
    for lo in range(0, total, _LEAF_COUPLED):
        hi = min(lo + _LEAF_COUPLED, total)
        for n in range(lo, hi):
            k = n + 1  # sample index
            e_app, phi, shift = e_list[k], frac_list[k], shift_list[k]
            known = phi_z * g_prev - decay * d_prev
            hist = [st.histories(n, lo) for st in dstates]
            e = e_app - (3.0 * (drop1 - drop2) + drop3)  # quadratic extrapolation of the iR drop
            e_lo, e_hi = -inf, inf
            for _ in range(100):
                i_f = 0.0
                slope = 0.0
                xs = [st.local(e, h) for st, h in zip(dstates, hist, strict=True)]
                for _, cur, dcur in xs:
                    i_f += cur
                    slope += dcur
                ads = [st.current(e, shift) for st in astates]
                for cur, dcur in ads:
                    i_f += cur
                    slope += dcur
                i_f *= phi
                resid = e - gain * (e_app - ru * i_f) - known
                if resid > 0:
                    e_hi = e
                else:
                    e_lo = e
                step = resid / (1.0 + gain * ru * phi * max(slope, 0.0))
                if -tol_V < step < tol_V:
                    break
                new = e - step
                if not e_lo < new < e_hi:
                    new = 0.5 * (e_lo + e_hi) if e_lo > -inf and e_hi < inf else e - math.copysign(0.05, step)
                e = new
            for st, out, (xf, cur, _) in zip(dstates, d_out, xs, strict=True):
                for row, value in zip(st.rows, xf, strict=True):
                    row[n] = value
                out.append(phi * cur)
            for st, out, (cur, _) in zip(astates, a_out, ads, strict=True):
                st.accept()
                out.append(phi * cur)
            g = e_app - ru * i_f
            d = phi_z * (g - g_prev) + decay * d_prev
            charging.append(d / ru)
            effective.append(g - d)
            g_prev, d_prev = g, d
            drop3, drop2, drop1 = drop2, drop1, d + ru * i_f
        for st in dstates:
            st.transfer(st.x, st.far, hi)
    return RawSolution(
        np.array(faradaic, dtype=float).reshape(len(models), n_total), np.array(charging), np.array(effective)
    )

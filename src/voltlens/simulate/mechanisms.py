"""Per-step equations of each mechanism for the semi-integral solver (internal).

Every dissolved species is written in its *forward frame*: the reactant X (present at the start,
bulk c*) is converted to the product Y by the forward electrode reaction, ``s = +1`` for an
oxidation (``initially="red"``) and ``s = −1`` for a reduction.  With x = n f s (E − E°′) the
forward/backward rate constants are k0·e^{β_f x} and k0·e^{−(1−β_f) x}.  The forward currents
``x_r`` (A, positive in the forward direction; the measured current is s·Σ x_r) obey at each
sample n, for each equation p, the linear relation

    own_p · x_{p,n} + Σ_c coef_{p,c} · (W_c[0] · x_{r(c),n} + h_{c,n}) = rhs_p,

where channel c convolves current r(c) with kernel W_c and h_{c,n} = Σ_{k≥1} W_c[k] x_{r(c),n−k}
is its history.  The coefficients depend only on the electrode potential at sample n, which is
why the problem is linear (and block-solvable) when the potential is known (no iR drop).

The equations are divided by k_f (1 + e^{−x}) so that every coefficient stays bounded for any
potential: σ = 1/(1 + e^{−x}) multiplies the reactant's terms, τ = 1 − σ the product's, and
the kinetic term is d = e^{−β_f x} σ / k0 (zero for a reversible couple).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..constants import FARADAY
from .kernels import removal_diffusion_weights
from .species import EC, EE, Adsorbed, Irreversible, QuasiReversible, Reversible, Species

X_CLIP = 200.0  # |n f (E − E°′)| beyond this is saturated (e^200 ≈ 7e86)

ScalarLocal = Callable[[float, list[float]], tuple[tuple[float, ...], float, float]]


def _expit_pair(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    em = np.exp(-x)
    sig = 1.0 / (1.0 + em)
    return sig, em * sig


@dataclass(frozen=True)
class DiffusionModel:
    """Linear per-step equations of one dissolved species (see the module docstring)."""

    q: int  # number of forward currents
    sign: float  # s: +1 oxidation first, −1 reduction first
    kernels: tuple[np.ndarray, ...]
    channel_current: tuple[int, ...]
    channel_kernel: tuple[int, ...]
    system: Callable[
        [np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]
    ]  # E -> own (q,M), coef (q,C,M), rhs (q,M)
    local: ScalarLocal  # (E, histories) -> (forward currents, measured current, d current/dE)

    @property
    def w0(self) -> tuple[float, ...]:
        return tuple(float(self.kernels[k][0]) for k in self.channel_kernel)


@dataclass(frozen=True)
class AdsorbedModel:
    """A surface layer: coverage of the product relaxes toward Nernst equilibrium at rate κ(E)."""

    sign: float
    nf: float
    e0: float
    total: float  # Γ_T·n·F·A: the charge of the whole layer, C
    k0: float  # 1/s, inf = reversible
    beta_f: float


def _single_model(
    species: Reversible | QuasiReversible | Irreversible | EC,
    diffusion_w: np.ndarray,
    dt: float,
    f: float,
    area: float,
) -> DiffusionModel:
    s = 1.0 if species.initially == "red" else -1.0
    nf = species.n * f
    e0 = float(species.e0_V)
    k0 = getattr(species, "k0_m_s", math.inf)
    alpha = getattr(species, "alpha", 0.5)
    beta_f = (1.0 - alpha) if s > 0 else alpha
    inv_k0 = 0.0 if math.isinf(k0) else 1.0 / k0
    d_x = species.diffusion_m2_s
    d_y = d_x if species.diffusion_product_m2_s is None else species.diffusion_product_m2_s
    ax, ay = 1.0 / math.sqrt(d_x), 1.0 / math.sqrt(d_y)
    nu_c = species.n * FARADAY * area * species.concentration_mol_m3
    m = diffusion_w.size
    rate = species.kf_per_s + species.kb_per_s if isinstance(species, EC) else 0.0
    if rate > 0.0:
        # product P ⇌ Z: P's surface excess is (kb·[diffusion] + kf·[diffusion with removal at kf+kb])/(kf+kb)
        we = removal_diffusion_weights(m, dt, rate)
        wy = (species.kb_per_s * diffusion_w + species.kf_per_s * we) / rate
        kernels: tuple[np.ndarray, ...] = (diffusion_w, wy)
        a_coef, b_coef = (ax, 0.0), (0.0, ay)  # channel c coefficient: a_c σ + b_c τ
        ch_kernel = (0, 1)
    else:
        kernels = (diffusion_w,)
        a_coef, b_coef = (ax,), (ay,)
        ch_kernel = (0,)
    n_ch = len(ch_kernel)
    w0 = tuple(float(kernels[k][0]) for k in ch_kernel)

    def system(e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = np.clip(nf * s * (e - e0), -X_CLIP, X_CLIP)
        sig, tau = _expit_pair(x)
        own = (inv_k0 * np.exp(-beta_f * x) * sig)[None, :]
        coef = np.stack([a_coef[c] * sig + b_coef[c] * tau for c in range(n_ch)])[None, :, :]
        rhs = (nu_c * sig)[None, :]
        return own, coef, rhs

    exp = math.exp
    if n_ch == 1:  # no chemistry: one history, the common case, without the channel loop
        (a0,), (b0,), (w00,) = a_coef, b_coef, w0

        def local_one(e: float, h: list[float]) -> tuple[tuple[float, ...], float, float]:
            x = nf * s * (e - e0)
            x = -X_CLIP if x < -X_CLIP else (X_CLIP if x > X_CLIP else x)
            em = exp(-x)
            sig = 1.0 / (1.0 + em)
            tau = em * sig
            st = sig * tau
            dterm = inv_k0 * exp(-beta_f * x) * sig
            coef = a0 * sig + b0 * tau
            dcoef = (a0 - b0) * st
            h0 = h[0]
            num = sig * nu_c - coef * h0
            den = dterm + coef * w00
            dnum = st * nu_c - dcoef * h0
            dden = dterm * (tau - beta_f) + dcoef * w00
            cur = num / den
            return (cur,), s * cur, nf * (dnum * den - num * dden) / (den * den)

        return DiffusionModel(1, s, kernels, (0,), ch_kernel, system, local_one)

    def local(e: float, h: list[float]) -> tuple[tuple[float, ...], float, float]:
        x = nf * s * (e - e0)
        x = -X_CLIP if x < -X_CLIP else (X_CLIP if x > X_CLIP else x)
        em = exp(-x)
        sig = 1.0 / (1.0 + em)
        tau = em * sig
        st = sig * tau
        dterm = inv_k0 * exp(-beta_f * x) * sig
        num = sig * nu_c
        den = dterm
        dnum = st * nu_c
        dden = dterm * (tau - beta_f)
        for c in range(n_ch):
            coef = a_coef[c] * sig + b_coef[c] * tau
            dcoef = (a_coef[c] - b_coef[c]) * st
            num -= coef * h[c]
            dnum -= dcoef * h[c]
            den += coef * w0[c]
            dden += dcoef * w0[c]
        cur = num / den
        dcur_dx = (dnum * den - num * dden) / (den * den)
        return (cur,), s * cur, nf * dcur_dx

    return DiffusionModel(1, s, kernels, (0,) * n_ch, ch_kernel, system, local)


def _ee_model(species: EE, diffusion_w: np.ndarray, f: float, area: float) -> DiffusionModel:
    """A ⇌ B ⇌ C, one electron each; channels: (current 1, diffusion), (current 2, diffusion)."""
    s = 1.0 if species.initially == "red" else -1.0
    e01, e02 = float(species.e0_1_V), float(species.e0_2_V)
    d_a = species.diffusion_m2_s
    d_b = d_a if species.diffusion_intermediate_m2_s is None else species.diffusion_intermediate_m2_s
    d_c = d_a if species.diffusion_product_m2_s is None else species.diffusion_product_m2_s
    ra, rb, rc = 1.0 / math.sqrt(d_a), 1.0 / math.sqrt(d_b), 1.0 / math.sqrt(d_c)
    bf1 = (1.0 - species.alpha_1) if s > 0 else species.alpha_1
    bf2 = (1.0 - species.alpha_2) if s > 0 else species.alpha_2
    ik1 = 0.0 if math.isinf(species.k0_1_m_s) else 1.0 / species.k0_1_m_s
    ik2 = 0.0 if math.isinf(species.k0_2_m_s) else 1.0 / species.k0_2_m_s
    nu_c = FARADAY * area * species.concentration_mol_m3
    w0 = float(diffusion_w[0])

    def coefficients(e, exp, clip):  # works on arrays (numpy) and floats (math)
        x1 = clip(f * s * (e - e01))
        x2 = clip(f * s * (e - e02))
        em1, em2 = exp(-x1), exp(-x2)
        sig1, sig2 = 1.0 / (1.0 + em1), 1.0 / (1.0 + em2)
        tau1, tau2 = em1 * sig1, em2 * sig2
        d1 = ik1 * exp(-bf1 * x1) * sig1
        d2 = ik2 * exp(-bf2 * x2) * sig2
        # rows: [c_p0, c_p1] channel coefficients, own d_p, rhs
        return d1, d2, sig1 * ra + tau1 * rb, -tau1 * rb, -sig2 * rb, sig2 * rb + tau2 * rc, sig1 * nu_c

    def system(e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        d1, d2, c10, c11, c20, c21, r1 = coefficients(e, np.exp, lambda v: np.clip(v, -X_CLIP, X_CLIP))
        own = np.stack([d1, d2])
        coef = np.stack([np.stack([c10, c11]), np.stack([c20, c21])])
        rhs = np.stack([r1, np.zeros_like(r1)])
        return own, coef, rhs

    def clip(v: float) -> float:
        return -X_CLIP if v < -X_CLIP else (X_CLIP if v > X_CLIP else v)

    def solve(e: float, h: list[float]) -> tuple[float, float]:
        d1, d2, c10, c11, c20, c21, r1 = coefficients(e, math.exp, clip)
        a11, a12 = d1 + c10 * w0, c11 * w0
        a21, a22 = c20 * w0, d2 + c21 * w0
        b1 = r1 - c10 * h[0] - c11 * h[1]
        b2 = -c20 * h[0] - c21 * h[1]
        det = a11 * a22 - a12 * a21
        return (b1 * a22 - a12 * b2) / det, (a11 * b2 - a21 * b1) / det

    def local(e: float, h: list[float]) -> tuple[tuple[float, ...], float, float]:
        i1, i2 = solve(e, h)
        step = 1e-7
        j1, j2 = solve(e + step, h)
        return (i1, i2), s * (i1 + i2), s * ((j1 + j2) - (i1 + i2)) / step

    return DiffusionModel(2, s, (diffusion_w,), (0, 1), (0, 0), system, local)


def build_model(
    species: Species, diffusion_w: np.ndarray, dt: float, f: float, area: float
) -> DiffusionModel | AdsorbedModel:
    """The per-step model of one species on a grid of step ``dt`` (``diffusion_w`` shared by all)."""
    if isinstance(species, Adsorbed):
        s = 1.0 if species.initially == "red" else -1.0
        beta_f = (1.0 - species.alpha) if s > 0 else species.alpha
        charge = species.n * FARADAY * area * species.coverage_mol_m2
        return AdsorbedModel(s, species.n * f, float(species.e0_V), charge, float(species.k0_per_s), beta_f)
    if isinstance(species, EE):
        return _ee_model(species, diffusion_w, f, area)
    return _single_model(species, diffusion_w, dt, f, area)


def adsorbed_equilibrium(model: AdsorbedModel, e: np.ndarray | float) -> np.ndarray | float:
    """Product charge (C) of the layer in Nernst equilibrium at potential ``e``."""
    x = np.clip(model.nf * model.sign * (np.asarray(e, dtype=float) - model.e0), -X_CLIP, X_CLIP)
    return model.total / (1.0 + np.exp(-x))


def adsorbed_rate(model: AdsorbedModel, e: np.ndarray | float) -> np.ndarray | float:
    """κ = k_f + k_b (1/s) of the surface reaction at potential ``e``."""
    x = np.clip(model.nf * model.sign * (np.asarray(e, dtype=float) - model.e0), -X_CLIP, X_CLIP)
    return model.k0 * (np.exp(model.beta_f * x) + np.exp(-(1.0 - model.beta_f) * x))


def relax(q_prev: float, g_prev: float, g_next: float, z: float) -> float:
    """Exact relaxation dq/dt = −κ(q − g(t)) over one step, g linear from g_prev to g_next, z = κΔ."""
    if math.isinf(z):
        return g_next
    decay = math.exp(-z)
    phi = 1.0 if z < 1e-12 else -math.expm1(-z) / z
    return g_next - (g_next - g_prev) * phi + (q_prev - g_prev) * decay

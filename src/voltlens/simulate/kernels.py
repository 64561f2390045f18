"""Convolution weights of the semi-integral (Oldham–Myland) method, exact for a piecewise-linear current.

For planar diffusion the surface concentration of a species at time t is its bulk value minus
(or plus) ``I(t) / (nFA √D)`` where I is a convolution of the current with a kernel K:

* pure diffusion: K(s) = 1/√(π s), so I is the semi-integral of the current;
* diffusion with first-order removal at rate κ (the product of an EC step): K(s) = e^(−κ s)/√(π s).

With the current piecewise linear between samples t_k = kΔ and zero at t = 0, the convolution is
*exactly* ``I(t_n) = Σ_{k=0}^{n−1} W_k · i_{n−k}`` (product integration; a Toeplitz sum).  W_k is the
integral of K against the hat function centred on lag kΔ (a half hat for k = 0).  This is second-
order accurate for smooth currents and has no half-step lag, unlike the Grünwald weights
(2k−1)!!/(2k)!! of Oldham & Myland (2011, eq. 5:5), which lag by about Δ/4.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["diffusion_weights", "removal_diffusion_weights"]

_SERIES_FROM = 32
_QUADRATURE_BELOW = 2.0  # κΔ below which the interval integrals are done by Gauss–Legendre
_GAUSS_X, _GAUSS_W = np.polynomial.legendre.leggauss(16)
_GAUSS_X = 0.5 * (_GAUSS_X + 1.0)  # nodes on [0, 1]
_GAUSS_W = 0.5 * _GAUSS_W


def _second_difference_three_halves(k: np.ndarray) -> np.ndarray:
    """(k+1)^1.5 − 2k^1.5 + (k−1)^1.5 for k ≥ 1, by a series for large k (no cancellation)."""
    out = np.empty(k.shape)
    small = k < _SERIES_FROM
    ks = k[small]
    out[small] = (ks + 1) ** 1.5 - 2 * ks**1.5 + (ks - 1) ** 1.5
    kl = k[~small]
    inv2 = 1.0 / (kl * kl)
    # 2 Σ_j C(3/2, 2j) k^(3/2 − 2j): C = 3/8, 3/128, 7/1024, 99/32768, 429/262144 …
    series = 3 / 8 + inv2 * (3 / 128 + inv2 * (7 / 1024 + inv2 * (99 / 32768 + inv2 * (429 / 262144))))
    out[~small] = 2.0 * series / np.sqrt(kl)
    return out


def diffusion_weights(n: int, dt_s: float) -> np.ndarray:
    """W_0 … W_{n−1} (units √s) of the semi-integral for a piecewise-linear current.

    W_0 = 4√Δ/(3√π); W_k = 4√Δ/(3√π) · [(k+1)^{3/2} − 2k^{3/2} + (k−1)^{3/2}].
    """
    k = np.arange(n, dtype=float)
    b = np.empty(n)
    b[:1] = 1.0
    b[1:] = _second_difference_three_halves(k[1:])
    return math.sqrt(dt_s) * 4.0 / (3.0 * math.sqrt(math.pi)) * b


def _interval_moments(n: int, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """A_j = ∫_j^{j+1} K du and B_j = ∫_j^{j+1} (u − j) K du for K(u) = e^{−λu}/√(πu), j = 0 … n−1."""
    j = np.arange(n, dtype=float)
    if lam < _QUADRATURE_BELOW:
        u = j[1:, None] + _GAUSS_X[None, :]
        g = np.exp(-lam * u) / np.sqrt(np.pi * u)
        a = np.empty(n)
        b = np.empty(n)
        a[1:] = g @ _GAUSS_W
        b[1:] = g @ (_GAUSS_W * _GAUSS_X)
        v2 = _GAUSS_X**2  # u = v² removes the 1/√u singularity of the first interval
        g0 = 2.0 / math.sqrt(math.pi) * np.exp(-lam * v2)
        a[0] = g0 @ _GAUSS_W
        b[0] = (g0 * v2) @ _GAUSS_W
        return a, b
    root = math.sqrt(lam)
    lo, hi = np.sqrt(lam * j), np.sqrt(lam * (j + 1))
    a = (special.erfc(lo) - special.erfc(hi)) / root
    edge = (np.sqrt(j) * np.exp(-lam * j) - np.sqrt(j + 1) * np.exp(-lam * (j + 1))) / (
        lam * math.sqrt(math.pi)
    )
    b = edge + (0.5 / lam - j) * a
    return a, b


def removal_diffusion_weights(n: int, dt_s: float, rate_per_s: float) -> np.ndarray:
    """Weights for the kernel e^{−κs}/√(πs): diffusion of a species removed at first-order rate κ.

    Equal to :func:`diffusion_weights` for κ = 0.
    """
    lam = rate_per_s * dt_s
    if lam <= 0.0:
        return diffusion_weights(n, dt_s)
    a, b = _interval_moments(n, lam)
    w = np.empty(n)
    w[0] = a[0] - b[0]
    w[1:] = b[:-1] + a[1:] - b[1:]
    return math.sqrt(dt_s) * np.maximum(w, 0.0)

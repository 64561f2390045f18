"""Semi-integration and semi-differentiation of sampled currents, and the frozen-surface continuation.

For planar semi-infinite diffusion the semi-integral M(t) of the faradaic current fixes the surface
concentrations (Oldham & Myland, Electrochim. Acta 2011, 56, 10612).  Holding the potential where
the surface concentrations no longer change (a Nernstian couple at any fixed potential, or any
couple once past its wave) keeps M constant, so the current that *would* flow from then on is the
semi-derivative of M frozen at that instant.  This is Nicholson's reverse-sweep baseline ("the
current that would flow if the potential were held at the switching potential") computed from the
measured forward current rather than extrapolated by a fitted t^−½ law, and it is also the decaying
tail of an earlier wave under a later one on the same sweep.

Sampling is assumed uniform in time; the time step cancels between semi-integration and
semi-differentiation, so indices serve as time.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve

__all__ = ["frozen_continuation", "semi_derivative", "semi_integral", "semi_weights"]


def semi_weights(n: int, order: float) -> np.ndarray:
    """Coefficients of (1 − z)^(−order) (Grünwald weights): order ½ semi-integrates, −½ differentiates."""
    w = np.ones(n)
    if n > 1:
        k = np.arange(1, n, dtype=float)
        w[1:] = np.cumprod((k - 1.0 + order) / k)
    return w


def _causal(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    n = x.size
    if n < 64:
        return np.convolve(x, w[:n])[:n]
    return fftconvolve(x, w[:n])[:n]


def semi_integral(current: np.ndarray) -> np.ndarray:
    """Discrete semi-integral (unit time step) of a current that starts at rest."""
    x = np.asarray(current, dtype=float)
    return _causal(x, semi_weights(x.size, 0.5))


def semi_derivative(signal: np.ndarray) -> np.ndarray:
    """Discrete semi-derivative (unit time step), the inverse of :func:`semi_integral`."""
    x = np.asarray(signal, dtype=float)
    return _causal(x, semi_weights(x.size, -0.5))


def frozen_continuation(current: np.ndarray, freeze: int, stop: int) -> np.ndarray:
    """The current that would flow at indices ``freeze+1 … stop−1`` had the surface been frozen
    after index ``freeze``: the semi-derivative of the semi-integral held at its value there.

    ``current`` is the faradaic history from rest (at least up to ``freeze``).  Returns an array
    of length ``stop − freeze − 1``.
    """
    if stop <= freeze + 1:
        return np.empty(0)
    x = np.asarray(current[: freeze + 1], dtype=float)
    m = semi_integral(x)
    held = np.empty(stop)
    held[: freeze + 1] = m
    held[freeze + 1 :] = m[-1]
    return _causal(held, semi_weights(stop, -0.5))[freeze + 1 :]

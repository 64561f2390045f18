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
from scipy import fft as sp_fft

__all__ = [
    "Weights",
    "causal_convolve",
    "continuation_from",
    "frozen_continuation",
    "semi_derivative",
    "semi_integral",
    "semi_weights",
]


def semi_weights(n: int, order: float) -> np.ndarray:
    """Coefficients of (1 − z)^(−order) (Grünwald weights): order ½ semi-integrates, −½ differentiates."""
    w = np.ones(n)
    if n > 1:
        k = np.arange(1, n, dtype=float)
        w[1:] = np.cumprod((k - 1.0 + order) / k)
    return w


class Weights:
    """Convolution weights with their zero-padded spectra kept: a curve's analysis convolves with the
    same weights at the same few lengths many times (every sweep, every pass), and the spectrum of
    the weights is the same each time.  Owned by one analysis; not shared between threads."""

    __slots__ = ("_spectra", "values")

    def __init__(self, values: np.ndarray) -> None:
        self.values = np.asarray(values, dtype=float)
        self._spectra: dict[tuple[int, int], np.ndarray] = {}

    def __len__(self) -> int:
        return self.values.size

    def spectrum(self, n: int, size: int) -> np.ndarray:
        """``rfft(values[:n], size)``, computed once."""
        key = (n, size)
        spec = self._spectra.get(key)
        if spec is None:
            spec = self._spectra[key] = sp_fft.rfft(self.values[:n], size)
        return spec


def causal_convolve(x: np.ndarray, w: np.ndarray | Weights) -> np.ndarray:
    """The first ``n`` terms of the convolution of ``x`` (…×n, along the last axis) with the
    weights ``w`` (at least n of them; a :class:`Weights` reuses their spectra):
    y[t] = Σ_{k≤t} w[k]·x[t−k]."""
    n = x.shape[-1]
    if n == 0:
        return np.zeros_like(x, dtype=float)
    values = w.values if isinstance(w, Weights) else w
    if n < 64 and x.ndim == 1:
        return np.convolve(x, values[:n])[:n]
    size = sp_fft.next_fast_len(2 * n - 1, real=True)
    wspec = w.spectrum(n, size) if isinstance(w, Weights) else sp_fft.rfft(values[:n], size)
    spec = sp_fft.rfft(x, size, axis=-1) * wspec
    return sp_fft.irfft(spec, size, axis=-1)[..., :n]


def semi_integral(current: np.ndarray, weights: np.ndarray | Weights | None = None) -> np.ndarray:
    """Discrete semi-integral (unit time step) of a current that starts at rest (along the last
    axis).  ``weights``: :func:`semi_weights` of order ½, at least as long, to reuse."""
    x = np.asarray(current, dtype=float)
    w = semi_weights(x.shape[-1], 0.5) if weights is None else weights
    return causal_convolve(x, w)


def semi_derivative(signal: np.ndarray, weights: np.ndarray | Weights | None = None) -> np.ndarray:
    """Discrete semi-derivative (unit time step), the inverse of :func:`semi_integral`.
    ``weights``: :func:`semi_weights` of order −½, at least as long, to reuse."""
    x = np.asarray(signal, dtype=float)
    w = semi_weights(x.shape[-1], -0.5) if weights is None else weights
    return causal_convolve(x, w)


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
    return causal_convolve(held, semi_weights(stop, -0.5))[freeze + 1 :]


def continuation_from(
    current: np.ndarray, m: np.ndarray, freeze: int, stop: int, weights: np.ndarray | Weights | None = None
) -> np.ndarray:
    """:func:`frozen_continuation` given ``m``, the semi-integral of ``current`` (at least up to
    ``stop``): the current less the semi-derivative of the semi-integral's rise since ``freeze``.
    One short convolution, so many freeze points can share one semi-integral."""
    if stop <= freeze + 1:
        return np.empty(0)
    x = np.asarray(current, dtype=float)
    if freeze < 0:
        return np.zeros(stop - freeze - 1) if freeze == -1 else frozen_continuation(x, freeze, stop)
    rise = m[freeze + 1 : stop] - m[freeze]
    w = semi_weights(rise.size, -0.5) if weights is None else weights
    return x[freeze + 1 : stop] - causal_convolve(rise, w)

"""Convolution weights are exact for a piecewise-linear current (closed-form semi-integrals)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

from voltlens.simulate.kernels import diffusion_weights, removal_diffusion_weights


def _removal_integral_of_t(t: float, kappa: float) -> float:
    """∫_0^t (t − s) e^{−κs}/√(πs) ds in closed form."""
    root = math.sqrt(kappa * t)
    return special.erf(root) * (t / math.sqrt(kappa) - 0.5 / kappa**1.5) + math.sqrt(t) * math.exp(
        -kappa * t
    ) / (kappa * math.sqrt(math.pi))


@pytest.mark.parametrize("n", [1, 7, 40, 3000])
def test_semi_integral_of_a_ramp_is_exact(n):
    """d^{-1/2} t / dt^{-1/2} = t^{3/2} / Γ(5/2) (Oldham & Spanier)."""
    dt = 0.013
    w = diffusion_weights(n, dt)
    t = n * dt
    lags = np.arange(n) * dt
    assert np.dot(w, t - lags) == pytest.approx(t**1.5 / math.gamma(2.5), rel=1e-12)


def test_semi_integral_of_a_smooth_current_converges_at_second_order():
    """Semi-integral of sin(t) against adaptive quadrature: error falls ~4× per halving of Δt."""
    t_end = 2.0
    exact = integrate.quad(
        lambda s: math.sin(t_end - s) / math.sqrt(math.pi), 0, t_end, weight="alg", wvar=(-0.5, 0)
    )[0]
    errors = []
    for n in (50, 100, 200):
        dt = t_end / n
        w = diffusion_weights(n, dt)
        errors.append(abs(np.dot(w, np.sin(t_end - np.arange(n) * dt)) - exact))
    assert errors[0] / errors[1] > 3.5 and errors[1] / errors[2] > 3.5


@pytest.mark.parametrize("lam", [1e-7, 1e-3, 0.3, 1.99, 2.01, 10.0, 300.0])
def test_removal_weights_exact_for_a_ramp(lam):
    n, dt = 400, 0.01
    kappa = lam / dt
    w = removal_diffusion_weights(n, dt, kappa)
    t = n * dt
    assert np.dot(w, t - np.arange(n) * dt) == pytest.approx(_removal_integral_of_t(t, kappa), rel=1e-9)
    assert np.all(w >= 0)


def test_removal_weights_tend_to_diffusion_weights():
    w0 = diffusion_weights(500, 0.02)
    assert np.allclose(removal_diffusion_weights(500, 0.02, 0.0), w0)
    assert np.allclose(removal_diffusion_weights(500, 0.02, 1e-9), w0, rtol=1e-6)

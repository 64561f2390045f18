"""Overlays whose curves share a foot: the curve drawn last hides the others' forward branch there.

Drawn with plain matplotlib (not voltlens.render) from cvsim curves, the independent oracle."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

cvsim = pytest.importorskip("cvsim.mechanisms")

from voltlens.digitize import digitize  # noqa: E402


def _scan_rate_overlay(colours: tuple[str, ...]) -> tuple[bytes, list[tuple[float, float, float]]]:
    """PNG of quasi-reversible CVs at 50/100/200 mV/s, and per curve (E at the anodic maximum, the
    maximum, the cathodic minimum) in V and A."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    truth = []
    for v, colour in zip((0.05, 0.1, 0.2), colours, strict=True):
        e, i = cvsim.E_q(
            start_potential=-0.2,
            switch_potential=0.6,
            reduction_potential=0.2,
            scan_rate=v,
            c_bulk=5.0,
            diffusion_reactant=1e-5,
            diffusion_product=1e-5,
            alpha=0.5,
            k0=1e-3,
        ).simulate()
        e, i = np.asarray(e), np.asarray(i)
        truth.append((float(e[np.argmax(i)]), float(i.max()), float(i.min())))
        ax.plot(e * 1e3, i * 1e6, colour, label=f"{v * 1e3:.0f} mV/s")
    ax.legend(frameon=False)
    ax.set_xlabel("E (mV)")
    ax.set_ylabel("I (µA)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue(), truth


@pytest.mark.parametrize("colours", [("r", "g", "b"), ("tab:orange", "tab:purple", "k")])
def test_curves_with_a_hidden_foot_keep_their_forward_peak(colours: tuple[str, ...]) -> None:
    png, truth = _scan_rate_overlay(colours)
    fig = digitize(png)
    assert len(fig.curves) == 3
    found = sorted(
        (
            (float(c.potential[np.argmax(c.current)]), float(c.current.max()), float(c.current.min()))
            for c in fig.curves
        ),
        key=lambda t: t[1],
    )
    for (ep, top, bottom), (ep_t, top_t, bottom_t) in zip(
        found, sorted(truth, key=lambda t: t[1]), strict=True
    ):
        assert ep == pytest.approx(ep_t, abs=0.008)  # 1 % of the 0.8 V window
        assert top == pytest.approx(top_t, rel=0.03)
        assert bottom == pytest.approx(bottom_t, rel=0.03)


def test_a_scan_rate_series_in_the_default_colour_cycle_keeps_every_peak() -> None:
    """Six reversible CVs from 10 to 500 mV/s in matplotlib's default colours: each later curve
    hides the foot of the earlier ones (an early branch then ends close to the other one)."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    truth = []
    for v in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5):
        e, i = cvsim.E_rev(
            start_potential=-0.2,
            switch_potential=0.6,
            reduction_potential=0.2,
            scan_rate=v,
            c_bulk=1.0,
            diffusion_reactant=1e-5,
            diffusion_product=1e-5,
        ).simulate()
        i = np.asarray(i)
        truth.append((float(i.max()), float(i.min())))
        ax.plot(e, i * 1e6, label=f"{v * 1e3:g} mV/s")
    ax.legend()
    ax.set_xlabel("E / V")
    ax.set_ylabel("I / µA")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    found = sorted((float(c.current.max()), float(c.current.min())) for c in digitize(buf.getvalue()).curves)
    assert len(found) == len(truth)
    for (top, bottom), (top_t, bottom_t) in zip(found, sorted(truth), strict=True):
        assert top == pytest.approx(top_t, rel=0.03)
        assert bottom == pytest.approx(bottom_t, rel=0.03)

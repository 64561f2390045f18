"""A noisy cycle among clean ones (most curves of the figure read as loops): its zig-zag stroke fills a band whose column runs overstate
the line width and hid the gap between its branches, so it read as a single sweep (LSV/DPV) in a
CV figure.  Planted in plain-matplotlib figures; the truth is the data drawn."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from voltlens.digitize import digitize
from voltlens.model import Technique

E = np.linspace(-1.35, 0.2, 1500)


def _clean_cv(scale: float) -> tuple[np.ndarray, np.ndarray]:
    """A quasi-reversible couple on a small sloping background (µA), forward then reverse."""
    wave = 1.0 / (1.0 + np.exp(-(E + 0.8) / 0.04))
    fwd = scale * (2.0 * wave + 3.0 * np.exp(-0.5 * ((E + 0.75) / 0.06) ** 2)) + 1.0 * E
    rev = -scale * 4.0 * np.exp(-0.5 * ((E + 0.85) / 0.06) ** 2) - 0.5 + 1.0 * E
    return np.r_[E, E[::-1]], np.r_[fwd, rev[::-1]]


def _noisy_cv(rng: np.random.Generator, noise: float, sep: float) -> tuple[np.ndarray, np.ndarray]:
    """A weak loop on a steep background whose branches lie about as far apart as the noise."""
    base = 4.5 * (E - 0.2)
    fwd = base + sep + 0.6 * np.exp(-0.5 * ((E + 0.5) / 0.12) ** 2) + rng.normal(0, noise, E.size)
    rev = base - sep - 0.4 * np.exp(-0.5 * ((E + 0.6) / 0.12) ** 2) + rng.normal(0, noise, E.size)
    return np.r_[E, E[::-1]], np.r_[fwd, rev[::-1]]


def _png(curves: list[tuple[np.ndarray, np.ndarray, str, str]]) -> bytes:
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for e, i, colour, label in curves:
        ax.plot(e, i, color=colour, lw=1.5, label=label)
    ax.set_xlabel("E / V")
    ax.set_ylabel("I (µA)")
    ax.legend(loc="upper left")
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


@pytest.mark.parametrize(("seed", "noise", "sep"), [(0, 0.2, 0.35), (1, 0.25, 0.4), (2, 0.3, 0.5)])
def test_a_noisy_cycle_beside_a_clean_one_reads_as_a_loop(seed: int, noise: float, sep: float) -> None:
    rng = np.random.default_rng(seed)
    e_n, i_n = _noisy_cv(rng, noise, sep)
    e_a, i_a = _clean_cv(1.0)
    e_b, i_b = _clean_cv(0.5)
    got = digitize(
        _png(
            [
                (e_a, i_a, "black", "sample A"),
                (e_b, i_b, "tab:blue", "sample B"),
                (e_n, i_n, "red", "sample C"),
            ]
        )
    )
    assert len(got.curves) == 3
    assert all(c.technique is Technique.CV for c in got.curves)
    noisy = max(
        got.curves, key=lambda c: int(c.metadata["color"][1:3], 16) - int(c.metadata["color"][5:7], 16)
    )
    seg = np.asarray(noisy.segment)
    # each branch lies on its own side: the forward (upper) branch above the background line, the
    # reverse one below it, on average over the branch (the truth: base ± sep)
    base = 4.5 * (np.asarray(noisy.potential) - 0.2) * 1e-6
    above = np.asarray(noisy.current) - base
    means = sorted(float(np.mean(above[seg == s])) for s in np.unique(seg))
    assert means[0] < -0.4 * sep * 1e-6 and means[-1] > 0.4 * sep * 1e-6

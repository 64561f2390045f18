"""The current sign convention of a figure is voted only by loops with real peaks, open at them.

Three noisy DPVs drawn over a dark zero line: the lightest, noisiest one is traced as a loop (the
curve over its peak, the zero line under it), and a one-point noise dip on its baseline is the
lowest point of that "lower branch".  A noise dip, a few pixels wide and touching the curve's own
stroke, is no cathodic peak: the figure's peaks, drawn up on a plain potential axis, stay anodic
(IUPAC).  A true cycle drawn the US way (cathodic peak up) still turns the figure's currents round.
"""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import cv_cycle, office_axes, planted_figure


def _dpv(e: np.ndarray, ep: float, height: float, width: float = 0.05) -> np.ndarray:
    return height * np.exp(-0.5 * ((e - ep) / width) ** 2)


@pytest.mark.parametrize("seed", [1, 2, 4])
def test_noisy_dpv_over_zero_line_keeps_iupac(seed: int) -> None:
    from voltlens.digitize import digitize

    rng = np.random.default_rng(seed)
    # label, colour, Ep (V), height (µA), noise rms (µA), points
    truth = [("sample A", "#4472c4", 0.48, 14.0, 0.05, 58), ("sample B", "#ed7d31", 0.55, 7.2, 0.25, 242)]
    truth.append(("sample C", "#a5a5a5", 0.49, 3.6, 0.35, 162))

    def draw(ax):
        office_axes(
            ax, grid=("#b0b0b0", 0.73), spine="#595959", xlabel="Potential (V)", ylabel="Current (µA)"
        )
        ax.axhline(0.0, color="#595959", lw=0.75)
        for label, colour, ep, h, noise, n in truth:
            e = np.linspace(0.2, 0.85, n)
            i = _dpv(e, ep, h) + noise * rng.standard_normal(e.size)
            if label == "sample C":
                i[np.argmin(abs(e - 0.66))] = -0.7  # one noisy point well below the baseline
            ax.plot(e, i, color=colour, lw=2.08, label=label)
        ax.set_xlim(0.18, 0.88)
        ax.set_ylim(-0.96, 14.8)
        ax.legend(loc="lower left", frameon=False)

    img, _ = planted_figure(draw, size=(8.1, 8.1), dpi=96)
    result = digitize(img, source=f"noisy-dpv-{seed}")
    conv = result.digitization.conventions
    assert conv["potential_axis_inverted"] is False
    assert conv["cathodic_up"] is False, conv
    # the peaks were drawn up: IUPAC currents keep the tallest one positive
    tallest = max(result.curves, key=lambda c: np.ptp(c.current))
    assert tallest.current.max() > 10e-6 > -tallest.current.min()


def test_cycle_drawn_cathodic_up_still_votes() -> None:
    from voltlens.digitize import digitize

    e, i = cv_cycle(0.1, 5.0)

    def draw(ax):
        ax.plot(e, -i, color="tab:blue", lw=1.5)  # cathodic current plotted up, potential axis plain
        ax.axhline(0.0, color="0.35", lw=0.8)
        ax.set_xlabel("E (V)")
        ax.set_ylabel("I (µA)")

    img, _ = planted_figure(draw)
    conv = digitize(img, source="us-cycle").digitization.conventions
    assert conv["potential_axis_inverted"] is False
    assert conv["cathodic_up"] is True, conv

"""Round-10 failure classes of the curve extraction, planted in figures drawn with plain matplotlib
(the truth is the formula plotted, never an earlier output of the digitizer).

- an opaque framed legend whose found box (padded) holds the frame's edges: the long strokes of the
  frame read as curves running through a frameless legend, so only the legend's handles and texts
  were kept out, and the frame joined the curve of its colour (a black curve's maximum on the
  frame's top edge)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from voltlens.digitize import digitize

from .conftest import figure_png


@pytest.mark.parametrize(
    ("loc", "lw", "size"),
    [("upper right", 1.5, (6.4, 4.8)), ("lower right", 1.0, (8.0, 6.0)), ("upper right", 1.2, (4.0, 3.0))],
)
def test_a_framed_legend_is_no_part_of_the_curves(loc: str, lw: float, size: tuple[float, float]) -> None:
    e = np.linspace(-0.6, 0.4, 300)
    fig, ax = plt.subplots(figsize=size)
    truth = []
    for colour, ep, amp in (("black", -0.3, 4.5), ("#e69f00", -0.05, 1.8), ("#56b4e9", 0.2, 2.0)):
        i = amp * np.exp(-0.5 * ((e - ep) / 0.05) ** 2)  # µA, DPV-like peaks
        ax.plot(e, i, color=colour, lw=lw, label=f"sample {colour}")
        truth.append((e, i * 1e-6))
    legend = ax.legend(loc=loc, frameon=True, fancybox=False, framealpha=1.0, edgecolor="black")
    legend.get_frame().set_linewidth(1.3 * lw)
    ax.set_xlabel("E / V")
    ax.set_ylabel("I / µA")
    got = digitize(figure_png(fig))
    plt.close(fig)
    assert len(got.curves) == 3
    xr, yr = 1.0, 4.5e-6
    for c in got.curves:
        ce, ci = np.asarray(c.potential), np.asarray(c.current)
        # the curve it follows: the true curve nearest its points, which all lie near it
        dist = [np.hypot((ce[:, None] - te) / xr, (ci[:, None] - ti) / yr).min(axis=1) for te, ti in truth]
        k = int(np.argmin([np.median(d) for d in dist]))
        assert np.max(dist[k]) <= 0.03, (c.metadata["color"], ce[np.argmax(dist[k])], ci[np.argmax(dist[k])])
        te, ti = truth[k]
        assert abs(ce[np.argmax(ci)] - te[np.argmax(ti)]) <= 0.01 * xr

"""Hidden blank curves, with the truth planted: what was drawn.

* A blank scan (a low, nearly flat loop whose forward and reverse sweeps overlap, drawn thinner
  and over part of the potential range) that the legend does not name holds under a quarter of the
  largest curve's ink: it is still a curve (a drawn stroke over most of the plot width, inked along
  it, in a colour no named curve has), not a stray mark, and is kept, unnamed.
* Text in a curve's colour (an annotation inside the plot) is still no curve.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from voltlens.digitize import digitize

from .conftest import cv_cycle, planted_figure


def _three_named(ax: Any) -> None:
    for k, (e0, amp, c) in enumerate(
        [(0.0, 60.0, "tab:red"), (0.1, 45.0, "tab:green"), (0.2, 30.0, "tab:purple")]
    ):
        e, i = cv_cycle(e0, amp)
        ax.plot(e, i, color=c, lw=2.5, label=f"{k + 1} mM")
    ax.set_xlabel("E / V")
    ax.set_ylabel("I / µA")


def test_unnamed_thin_blank_is_kept() -> None:
    def draw(ax: Any) -> None:
        _three_named(ax)
        e = np.linspace(-0.3, 0.25, 200)
        i = 2.0 + 3.0 * np.sin(8 * e)
        ax.plot(
            np.concatenate([e, e[::-1]]),
            np.concatenate([i, i[::-1]]),
            color="tab:blue",
            lw=1.5,
            label="_nolegend_",
        )
        ax.legend(loc="upper left")

    img, _ = planted_figure(draw)
    fig = digitize(img)
    assert len(fig.curves) == 4
    # the blank is there, where it was drawn: near zero current, from −0.3 V to about 0.25 V
    lows = [c for c in fig.curves if np.ptp(np.asarray(c.current)) < 0.2 * 120e-6]
    assert len(lows) == 1
    e = np.asarray(lows[0].potential)
    assert abs(e.min() + 0.3) < 0.03 and abs(e.max() - 0.25) < 0.03


def test_annotation_text_is_no_curve() -> None:
    def draw(ax: Any) -> None:
        _three_named(ax)
        ax.text(0.3, -45.0, "scan 3, 50 mV/s", color="tab:blue", fontsize=11)
        ax.legend(loc="upper left")

    img, _ = planted_figure(draw)
    fig = digitize(img)
    assert len(fig.curves) == 3

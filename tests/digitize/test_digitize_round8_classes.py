"""Round-8 failure classes of curve tracing, planted in figures drawn with plain matplotlib (the
truth is the formula plotted, never an earlier output of the digitizer).

- a blank CV among the loops of a concentration series: its forward and reverse sweeps draw one
  stroke (no peak, hardly any charging current), so it read as a single sweep (LSV) while every
  other curve of the figure read as CV — it is a loop whose branches coincide;
- a blank DPV (a flat, noisy stroke) among DPV peaks read as LSV for the same reason;
- a curve with a peak in a figure of loops stays a single sweep: one stroke with a peak cannot
  be both sweeps of a cycle."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from voltlens.digitize import digitize
from voltlens.model import Technique

from .conftest import cv_cycle, figure_png

COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


@pytest.mark.parametrize(("seed", "slope"), [(0, 0.0), (1, 0.6), (2, -0.4)])
def test_a_blank_cv_among_loops_is_a_loop(seed: int, slope: float) -> None:
    rng = np.random.default_rng(seed)
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    e_b = np.linspace(-0.3, 0.5, 400)
    blank = slope * e_b + rng.normal(0.0, 0.04, e_b.size)  # µA: one stroke for both sweeps
    ax.plot(np.concatenate([e_b, e_b[::-1]]), np.concatenate([blank, blank[::-1]]), color=COLOURS[0])
    for k, amp in enumerate((2.0, 4.0, 6.0), start=1):
        e, i = cv_cycle(0.1, amp)
        ax.plot(e, i + slope * e + rng.normal(0.0, 0.04, e.size), color=COLOURS[k])
    ax.legend(["blank", "1 mM", "2 mM", "3 mM"], loc="lower right", fontsize=8)
    ax.set_xlabel("E / V")
    ax.set_ylabel("I / µA")
    got = digitize(figure_png(fig))
    assert len(got.curves) == 4
    assert all(c.technique is Technique.CV for c in got.curves), [c.technique for c in got.curves]
    b = got.curves[got.legend_labels.index("blank")]
    assert b.segment is not None and set(np.unique(b.segment)) == {0, 1}
    for s in (0, 1):  # both sweeps follow the blank's stroke
        e, i = b.potential[b.segment == s], b.current[b.segment == s]
        assert np.median(np.abs(i - 1e-6 * slope * e)) < 0.1e-6
        assert np.ptp(e) > 0.5  # (the curves drawn over it hide parts of it)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_blank_dpv_among_dpv_peaks_is_dpv(seed: int) -> None:
    rng = np.random.default_rng(seed)
    e = np.linspace(-0.6, 0.0, 300)
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.plot(e, rng.normal(0.0, 0.05, e.size), color=COLOURS[0], label="blank")
    for k, amp in enumerate((3.0, 6.0, 9.0), start=1):
        bell = amp / np.cosh((e + 0.3) / 0.04) ** 2
        ax.plot(e, bell + rng.normal(0.0, 0.05, e.size), color=COLOURS[k], label=f"{k} mM")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_xlabel("E / V")
    ax.set_ylabel("I / µA")
    got = digitize(figure_png(fig))
    assert len(got.curves) == 4
    assert all(c.technique is Technique.DPV for c in got.curves), [c.technique for c in got.curves]


def test_a_peaked_single_sweep_among_loops_stays_a_sweep() -> None:
    """Two loops and one LSV-like sweep with a clear peak: the sweep is not made a loop (a
    majority vote would)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for k, amp in enumerate((3.0, 5.0)):
        e, i = cv_cycle(0.1, amp)
        ax.plot(e, i, color=COLOURS[k])
    e_s = np.linspace(-0.3, 0.5, 400)
    x = (e_s - 0.13) / 0.03
    sweep = 4.0 * np.where(x < 0, np.exp(-0.5 * x**2), 0.35 + 0.65 * np.exp(-0.5 * (x / 2.5) ** 2))
    ax.plot(e_s, sweep + 1.0, color=COLOURS[2])
    ax.set_xlabel("E / V")
    ax.set_ylabel("I / µA")
    got = digitize(figure_png(fig))
    assert len(got.curves) == 3
    sweeps = [c for c in got.curves if c.segment is None]
    assert len(sweeps) == 1
    assert sweeps[0].technique is not Technique.CV


def _loop_mask(x_end: int, *, gridline: bool = False) -> np.ndarray:
    """Ink mask (300 × 520) of a CV-like loop drawn 2 px wide from x 40 to ``x_end`` with its
    vertex at the right; with a thin solid gridline across the whole width at y 140."""
    import cv2

    mask = np.zeros((300, 520), dtype=np.uint8)
    x = np.linspace(40, x_end, 300)
    t = (x - 40) / (x_end - 40)
    upper = 150 - 90 * np.exp(-(((t - 0.6) / 0.08) ** 2)) - 20 * t
    lower = 150 + 70 * np.exp(-(((t - 0.45) / 0.08) ** 2)) - 20 * t + 30 * (1 - t)
    pts = np.concatenate([np.column_stack([x, upper]), np.column_stack([x, lower])[::-1]])
    cv2.polylines(mask, [np.round(pts).astype(np.int32).reshape(-1, 1, 2)], True, 1, 2)
    if gridline:
        mask[139:141, :] = 1  # crossing the lower branch beyond x 300
    return mask.astype(bool)


def _box(right: float, *, right_spine: bool):  # type: ignore[no-untyped-def]
    from voltlens.digitize.frame import Box, Line

    left = Line(False, 0.0, 20.0, 10.0, 280.0, 2.0, 1.0)
    bottom = Line(True, 0.0, 280.0, 20.0, 500.0, 2.0, 1.0)  # the potential axis runs to x 500
    lines = {"l": left, "b": bottom, "t": None, "r": None}
    if right_spine:
        lines["r"] = Line(False, 0.0, right, 10.0, 280.0, 2.0, 1.0)
    return Box(20.0, 10.0, right, 280.0, lines, "lb")


@pytest.mark.parametrize(("x_end", "gridline"), [(460, False), (430, True), (495, False), (515, False)])
def test_region_grows_past_a_right_side_without_spine(x_end: int, gridline: bool) -> None:
    """A frame whose right edge was taken at x 300, short of a plot without a right spine: the
    region grows to where the loop's vertex ends (not to a gridline's end), no farther than the
    potential axis runs."""
    from voltlens.digitize.curves import extend_region, plot_region

    mask = _loop_mask(x_end, gridline=gridline)
    box = _box(300.0, right_spine=False)
    x0, y0, x1, _y1 = extend_region(mask, plot_region(box, mask.shape), box)
    assert min(x_end, 500) + 1 <= x1 <= min(x_end + 4, 501)
    assert (x0, y0) == plot_region(box, mask.shape)[:2]


def test_region_does_not_grow_past_a_spine_or_the_label_side() -> None:
    from voltlens.digitize.curves import extend_region, plot_region

    mask = _loop_mask(460)
    box = _box(300.0, right_spine=True)
    region = plot_region(box, mask.shape)
    assert extend_region(mask, region, box) == region
    box = _box(300.0, right_spine=False)
    region = plot_region(box, mask.shape)
    assert extend_region(mask, region, box, label_side="r")[2] == region[2]

"""Round-2 failure classes of the digitizer, one test each, on figures drawn here with matplotlib
(seeded data, pinned styles): the truth is what was drawn — the legend texts, the number of
curves, the kind of curve, the noise added."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from voltlens.digitize import digitize
from voltlens.digitize.legend import clean_label, harmonise_units
from voltlens.model import Technique

from . import conftest  # noqa: F401  (skips without the image extra)


def _png(
    draw: Callable[[Any], None], *, dark: bool = False, size: tuple[float, float] = (6.0, 4.5), dpi: int = 100
) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi, facecolor="#1e1e1e" if dark else "white")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if dark:
        ax.set_facecolor("#1e1e1e")
        for sp in ax.spines.values():
            sp.set_color("white")
        ax.tick_params(colors="white")
        ax.xaxis.label.set_color("white")
        ax.yaxis.label.set_color("white")
    draw(ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor=fig.get_facecolor())
    return buf.getvalue()


def _cv(e: np.ndarray, e0: float, height: float) -> tuple[np.ndarray, np.ndarray]:
    """A closed CV-like loop: a peak up on the forward sweep, one down on the return."""
    fwd = height * np.exp(-(((e - e0 - 0.03) / 0.05) ** 2)) + 0.1 * height
    rev = -height * np.exp(-(((e - e0 + 0.03) / 0.05) ** 2)) - 0.1 * height
    return np.concatenate([e, e[::-1]]), np.concatenate([fwd, rev[::-1]])


def _norm(t: str | None) -> str:
    return "".join((t or "").split()).lower()


def test_legend_crossed_by_gridlines_keeps_its_units() -> None:
    """A frameless legend on a dark, gridded plot: the gridlines run through the legend text and
    used to split off everything after the number ('3.1' for '3.1 mV/s')."""
    labels = ["3.1 mV/s", "8.8 mV/s", "25 mV/s"]
    e = np.linspace(-0.65, -0.1, 300)

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        for k, (lab, col) in enumerate(zip(labels, ["yellow", "cyan", "#ff40ff"], strict=True)):
            ax.plot(*_cv(e, -0.35, 1.0 + 1.2 * k), color=col, label=lab, lw=2)
        ax.grid(True, color="#555555")
        ax.set_xlabel("Potential / V")
        ax.set_ylabel("i (µA)")
        ax.legend(loc="upper left", frameon=False, labelcolor="white")

    result = digitize(_png(draw, dark=True))
    assert len(result.curves) == len(labels)
    assert sorted(_norm(t) for t in result.legend_labels) == sorted(_norm(t) for t in labels)


def test_legend_handles_touching_curves_are_read() -> None:
    """A frameless legend drawn over the curves, its handles touching them: no handle glyph of
    its own, so no legend was read — and the legend box, cut out whole, cut the curves."""
    labels = ["0.37 mM", "0.73 mM", "1.1 mM", "1.5 mM"]
    e = np.linspace(0.1, 1.2, 400)

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        for k, (lab, col) in enumerate(zip(labels, ["red", "blue", "magenta", "olive"], strict=True)):
            h = 6.0 * (k + 1)
            i = -h * np.exp(-(((e - 0.45) / 0.06) ** 2)) - 1.7 * h * np.exp(-(((e - 0.83) / 0.04) ** 2))
            ax.plot(e, i, color=col, label=lab, lw=2)
        ax.set_xlabel("Potential / V")
        ax.set_ylabel("I (µA)")
        ax.legend(loc="upper right", frameon=False, fontsize=13, handlelength=2.5)

    result = digitize(_png(draw))
    assert len(result.curves) == len(labels)
    assert sorted(_norm(t) for t in result.legend_labels) == sorted(_norm(t) for t in labels)
    # the curves' right flanks run through the legend's box and are kept (past the second peak)
    assert all(float(c.potential.max()) >= 0.86 for c in result.curves)


def test_legend_of_big_stacked_markers_is_read() -> None:
    """Legend handles that are markers taller than the text, stacked so they touch: one tall
    component, no handle glyph per entry, so no legend was read."""
    labels = ["4 mV/s", "7.3 mV/s", "13 mV/s", "24 mV/s"]
    e = np.linspace(-0.45, 0.4, 60)

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        for k, (lab, col, m) in enumerate(
            zip(labels, ["blue", "green", "red", "magenta"], ["X", "s", "P", "o"], strict=True)
        ):
            i = -(k + 1) * (np.exp(-(((e + 0.1) / 0.06) ** 2)) + 1.4 * np.exp(-(((e - 0.18) / 0.05) ** 2)))
            ax.plot(e, i - 0.3 * k, color=col, marker=m, markersize=7, label=lab, lw=1.5)
        ax.set_xlabel("Potential / V")
        ax.set_ylabel("Current / µA")
        ax.legend(loc="lower right", frameon=False, fontsize=8, markerscale=2.2, labelspacing=0.15)

    result = digitize(_png(draw))
    assert len(result.curves) == len(labels)
    assert sorted(_norm(t) for t in result.legend_labels) == sorted(_norm(t) for t in labels)


@pytest.mark.parametrize(
    ("read", "right"),
    [
        (["blank", "2.97 mN", "5.95 mM", "8.92 mM|"], ["blank", "2.97 mM", "5.95 mM", "8.92 mM"]),
        (["12 mV/s", "30 mV/s", "120 mV", "18 mV/s"], ["12 mV/s", "30 mV/s", "120 mV/s", "18 mV/s"]),
        (["0.0773 mM", "0.155 mM", "0.232 m", "blank"], ["0.0773 mM", "0.155 mM", "0.232 mM", "blank"]),
        (["1.58 mM,", "2.37 mM", "3.16"], ["1.58 mM", "2.37 mM", "3.16 mM"]),
        (["sample A", "sample B"], ["sample A", "sample B"]),
        (["1 mM", "2 µM"], ["1 mM", "2 µM"]),  # no unit more common than another: left alone
        (["4mV/s", "5.4 mV/s", "1e-3 M"], ["4 mV/s", "5.4 mV/s", "1e-3 M"]),
    ],
)
def test_series_labels_share_their_unit(read: list[str], right: list[str]) -> None:
    """Units cut off or misread where a curve crosses a legend text are restored from the unit
    the other entries of the series agree on; stray end strokes are dropped."""
    assert harmonise_units([clean_label(t) for t in read]) == right


def test_steep_dpv_peak_is_not_a_loop() -> None:
    """A deep, narrow DPV peak: its steep flanks fill whole columns, which used to read as two
    branches (a CV loop)."""
    rng = np.random.default_rng(12)
    e = np.linspace(-0.25, 0.36, 240)
    i = -22.0 * np.exp(-(((e - 0.07) / 0.06) ** 2)) + rng.normal(0, 0.08, e.size)

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        ax.plot(e, i, color="yellow", lw=1.2)
        ax.grid(True, color="#777777")
        ax.set_xlabel("E (V)")
        ax.set_ylabel("i (µA)")

    result = digitize(_png(draw, dark=True, size=(5.0, 5.0)))
    assert len(result.curves) == 1
    assert result.curves[0].technique is Technique.DPV


def test_lsv_peak_with_diffusion_tail_is_lsv() -> None:
    """An LSV peak falls back only part way (the diffusion tail): not a DPV peak."""
    e = np.linspace(-0.15, 0.3, 400)
    x = (e - 0.07) / 0.0257
    wave = 1.0 / (1.0 + np.exp(-x))
    i = 1.4e-6 * wave / np.sqrt(1.0 + np.clip(e - 0.1, 0.0, None) / 0.04) + 0.05e-6

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        ax.plot(e, i * 1e6, color="#0b1f4b", lw=1.5)
        ax.set_xlabel("E / V")
        ax.set_ylabel("I / µA")

    result = digitize(_png(draw))
    assert len(result.curves) == 1
    assert result.curves[0].technique is Technique.LSV


@pytest.mark.parametrize("seed", [3, 4])
def test_noise_of_the_stroke_is_estimated(seed: int) -> None:
    """The per-curve noise estimate (A) follows the noise drawn: within a factor of 2 of the
    added Gaussian noise on a densely sampled noisy CV, and far below it on the same CV clean."""
    rng = np.random.default_rng(seed)
    e = np.linspace(-0.6, 0.2, 700)
    ee, clean = _cv(e, -0.2, 20.0)  # µA
    sigma = 0.8  # µA

    def read(i: np.ndarray) -> float:
        def draw(ax) -> None:  # type: ignore[no-untyped-def]
            ax.plot(ee, i, color="tab:blue", lw=1.0)
            ax.set_xlabel("E / V")
            ax.set_ylabel("I / µA")

        result = digitize(_png(draw, size=(6.4, 4.8)))
        assert len(result.curves) == 1 and len(result.noise) == 1
        return result.noise[0]

    got_noisy = read(clean + rng.normal(0.0, sigma, clean.size))
    got_clean = read(clean)
    assert sigma * 1e-6 / 2 <= got_noisy <= 2 * sigma * 1e-6, got_noisy
    assert got_clean <= 0.25 * got_noisy, (got_clean, got_noisy)

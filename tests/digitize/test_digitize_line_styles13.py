"""Curves of one colour told apart by their line styles (solid, dashed, dotted, dash-dotted): a
monochrome overlay is one colour cluster, which must still come back as one curve per style.

Drawn with plain matplotlib (not voltlens.render) from cvsim curves, the independent oracle."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

cvsim = pytest.importorskip("cvsim.mechanisms")

from voltlens.digitize import digitize  # noqa: E402
from voltlens.digitize.legend import handle_style  # noqa: E402

from .conftest import figure_png  # noqa: E402

WINDOW = 0.8  # V, the potential range swept (and about the axis range)


def _overlay(styles: tuple[str, ...], *, legend: bool) -> tuple[bytes, list[tuple[float, float]]]:
    """PNG of reversible CVs in black, one per line style, at E° 0.05, 0.2, 0.35 V and rising scan
    rates; per curve (E at the anodic maximum, E at the cathodic minimum) in V."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    truth = []
    for k, style in enumerate(styles):
        e, i = cvsim.E_rev(
            start_potential=-0.2,
            switch_potential=0.6,
            reduction_potential=0.05 + 0.15 * k,
            scan_rate=0.05 * (k + 1),
            c_bulk=1.0,
            diffusion_reactant=1e-5,
            diffusion_product=1e-5,
        ).simulate()
        e, i = np.asarray(e), np.asarray(i)
        truth.append((float(e[np.argmax(i)]), float(e[np.argmin(i)])))
        ax.plot(e, i * 1e6, color="k", linestyle=style, lw=1.5, label=f"sample {k + 1}")
    if legend:
        ax.legend(frameon=False, loc="lower right")
    ax.set_xlabel("E / V")
    ax.set_ylabel("I / µA")
    return figure_png(fig), truth


def _peaks(png: bytes) -> list[tuple[float, float]]:
    return [
        (float(c.potential[np.argmax(c.current)]), float(c.potential[np.argmin(c.current)]))
        for c in digitize(png).curves
    ]


@pytest.mark.parametrize(
    ("styles", "legend"),
    [
        (("-", "--", ":"), False),
        (("--", ":"), True),
        (("-", "-."), True),
    ],
)
def test_same_colour_curves_of_different_line_styles_are_read_apart(
    styles: tuple[str, ...], legend: bool
) -> None:
    png, truth = _overlay(styles, legend=legend)
    found = _peaks(png)
    assert len(found) == len(truth)
    for (ea, ec), (ea_t, ec_t) in zip(sorted(found), sorted(truth), strict=True):
        assert ea == pytest.approx(ea_t, abs=0.01 * WINDOW)
        assert ec == pytest.approx(ec_t, abs=0.01 * WINDOW)


@pytest.mark.parametrize("style", ["--", ":"])
def test_a_lone_curve_is_not_split_by_its_style(style: str) -> None:
    png, truth = _overlay((style,), legend=False)
    found = _peaks(png)
    assert len(found) == 1
    assert found[0][0] == pytest.approx(truth[0][0], abs=0.01 * WINDOW)
    assert found[0][1] == pytest.approx(truth[0][1], abs=0.01 * WINDOW)


@pytest.mark.parametrize("styles", [(":", "-"), ("--", ":"), ("-", "--")])
def test_curves_told_apart_by_style_are_named_by_their_legend_handles(styles: tuple[str, ...]) -> None:
    """The legend names curves of one colour by their line styles: each curve carries the entry
    whose handle draws its style — not the entries in the order the parts were found."""
    png, truth = _overlay(styles, legend=True)
    got = digitize(png)
    assert len(got.curves) == len(truth)
    for c, label in zip(got.curves, got.legend_labels, strict=True):
        ea = float(c.potential[np.argmax(c.current)])
        k = int(np.argmin([abs(ea - t[0]) for t in truth]))
        assert label == f"sample {k + 1}"


@pytest.mark.parametrize(
    ("runs", "style"),
    [
        ([(0, 30)], "solid"),
        ([(0, 8), (11, 19), (22, 30)], "dashed"),
        ([(k, k + 2) for k in range(0, 30, 5)], "dotted"),
    ],
)
def test_a_legend_handle_shows_its_line_style(runs: list[tuple[int, int]], style: str) -> None:
    """A handle 2 px thick drawn as one stroke, as dashes 8 px long or as dots 2 px long."""
    mask = np.zeros((10, 40), dtype=bool)
    for a, b in runs:
        mask[4:6, 5 + a : 5 + b] = True
    assert handle_style(mask, (3, 2, 38, 8)) == style

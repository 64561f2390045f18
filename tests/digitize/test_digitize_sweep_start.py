"""Which end of a traced CV loop the scan began at.  A voltammogram is continuous in time at its
turning vertex (the plot draws the charging current's reversal there as a step), so a loop that is
joined at one end and open at the other began, and ended, at the open end.  The figures are
simulated CVs (exact truth: the recorded order) drawn as one polyline with plain matplotlib."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from voltlens.digitize import digitize
from voltlens.simulate import Cell, CVWaveform, Reversible, simulate_cv

from .conftest import figure_png


def _png(e: np.ndarray, i: np.ndarray, *, invert: bool = False) -> bytes:
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot(e, i * 1e6, color="tab:blue", lw=1.5)
    ax.set_xlabel("E / V")
    ax.set_ylabel("I / µA")
    if invert:
        ax.invert_xaxis()
    return figure_png(fig)


def _cv(start: float, vertex: float, initially: str) -> tuple[np.ndarray, np.ndarray]:
    couple = Reversible(e0_V=0.2, concentration_mol_m3=1.0, diffusion_m2_s=7e-10, initially=initially)
    cell = Cell(area_m2=7.07e-6, cdl_F_m2=0.4)
    sim = simulate_cv(
        couple, CVWaveform(start_V=start, vertex_V=vertex, scan_rate_V_s=0.1, step_V=0.002), cell
    )
    return sim.voltammogram.potential, sim.voltammogram.current


def _first_sweep_goes_down(fig) -> bool:  # type: ignore[no-untyped-def]
    [cv] = fig.curves
    e = cv.potential[cv.segment == cv.segment[0]]
    return bool(e[-1] < e[0])


@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize(
    ("start", "vertex", "initially"), [(0.5, -0.1, "ox"), (-0.1, 0.5, "red")], ids=["from-high", "from-low"]
)
def test_the_open_end_of_a_loop_is_where_the_scan_began(
    start: float, vertex: float, initially: str, invert: bool
) -> None:
    e, i = _cv(start, vertex, initially)
    fig = digitize(_png(e, i, invert=invert))
    assert _first_sweep_goes_down(fig) == (start > vertex)
    assert "open at one end" in fig.digitization.conventions["sweep_start"]


def test_a_loop_joined_at_both_ends_keeps_the_default_order() -> None:
    e, i = _cv(0.5, -0.1, "ox")
    e, i = np.r_[e, e[:1]], np.r_[i, i[:1]]  # the last point drawn back to the first: no open end
    fig = digitize(_png(e, i))
    assert not _first_sweep_goes_down(fig)
    assert fig.digitization.conventions["sweep_start"].startswith("unknown")

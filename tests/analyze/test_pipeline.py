"""The shared analysis pipeline: digitized curves are put on an even potential grid without moving peaks,
and the README's main job (a bundled figure) reads back to the numbers behind it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voltlens.analyze.pipeline import resample_sweeps
from voltlens.model import Voltammogram
from voltlens.simulate import Cell, CVWaveform, Reversible, simulate_cv

EXAMPLES = Path(__file__).parents[2] / "examples"


def _arc_length_sampled(v: Voltammogram, n: int) -> Voltammogram:
    """The curve sampled evenly along its drawn length, as a digitizer traces it."""
    x = (v.potential - v.potential.min()) / np.ptp(v.potential)
    y = (v.current - v.current.min()) / np.ptp(v.current)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    t = np.linspace(0, s[-1], n)
    seg = np.interp(t, s, v.segment.astype(float)).round().astype(np.int64)
    return Voltammogram(
        potential=np.interp(t, s, v.potential),
        current=np.interp(t, s, v.current),
        segment=seg,
        cycle=np.ones(n, dtype=np.int64),
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_resampling_keeps_peaks_and_evens_the_steps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    e0 = float(rng.uniform(-0.2, 0.2))
    clean = simulate_cv(
        Reversible(e0_V=e0, concentration_mol_m3=1.0, diffusion_m2_s=1e-9),
        CVWaveform(start_V=e0 - 0.4, vertex_V=e0 + 0.4, scan_rate_V_s=0.1),
        Cell(area_m2=7.07e-6),
    ).voltammogram
    traced = _arc_length_sampled(clean, int(rng.integers(900, 3000)))
    even = resample_sweeps(traced, step_V=0.001)
    for s in (0, 1):
        steps = np.diff(even.potential[even.segment == s])
        assert np.allclose(np.abs(steps), 0.001, rtol=1e-6)
    forward = even.segment == 0
    k = int(np.argmax(even.current[forward]))
    assert even.potential[forward][k] == pytest.approx(clean.potential[np.argmax(clean.current)], abs=0.0015)
    assert even.current[forward][k] == pytest.approx(clean.current.max(), rel=0.01)


def test_readme_main_job_reads_the_bundled_figure() -> None:
    pytest.importorskip("cv2")
    from voltlens.analyze.contract import report_of
    from voltlens.analyze.pipeline import AnalysisOptions, as_voltammograms, run_analysis
    from voltlens.digitize import digitize

    figure = digitize(EXAMPLES / "two_couples_cv.png")
    report = report_of(run_analysis(as_voltammograms(figure, "two_couples_cv.png"), AnalysisOptions()))
    (curve,) = report.curves
    halves = sorted(c.E_half.value for c in curve.couples)
    # simulated behind the figure (examples/make_examples.py): E°′ 0.05 V reversible, 0.55 V quasi-reversible
    assert halves == pytest.approx([0.05, 0.554], abs=0.006)
    kinds = [c.reversibility for c in sorted(curve.couples, key=lambda c: c.E_half.value)]
    assert kinds == ["reversible", "quasi-reversible"]
    assert curve.digitization is not None and curve.digitization["confidence"] > 0.5
    assert all(p.potential.uncertainty > 0 for p in curve.peaks)


def test_analyze_takes_a_digitised_figure_or_its_curves_as_the_cli_does(textbook) -> None:  # type: ignore[no-untyped-def]
    """A reversible DPV (textbook simulator, Ep = E½ − ΔE/2) drawn by plain matplotlib and read back:
    ``analyze(digitize(png))`` and ``analyze(digitize(png).curves)`` find its one peak where the CLI
    does — the raw digitised trace, crowded with points on its steep flanks, is put on an even grid
    first (analysed raw, the engine found only two tiny peaks beside it)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from voltlens.analyze import analyze
    from voltlens.digitize import digitize

    sim = textbook.simulate_dpv([textbook.Couple(e0=0.1)], e_start=-0.3, e_end=0.5, amplitude=0.05)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(sim.potential, sim.current * 1e6)
    ax.set_xlabel("E / V")
    ax.set_ylabel("I / µA")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    figure = digitize(buf.getvalue())
    for given in (figure, figure.curves):
        peaks = [p for p in analyze(given).curves[0].peaks if p.confidence >= 0.5]
        assert len(peaks) == 1
        assert peaks[0].potential.value == pytest.approx(0.1 - 0.05 / 2, abs=0.005)
        assert peaks[0].height.value == pytest.approx(float(np.max(sim.current)), rel=0.03)

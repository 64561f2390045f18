"""Technique of a single-sweep trace (LSV or DPV) told from the shape of its main peak."""

from __future__ import annotations

import numpy as np
import pytest

from voltlens.digitize.pipeline import _single_technique
from voltlens.model import Technique
from voltlens.synth.config import SynthConfig
from voltlens.synth.sample import sample_rng, simulate_curve
from voltlens.synth.scenario import draw_scenario

CONFIG = SynthConfig(kinds={"single": 1.0}, techniques={"LSV": 0.5, "DPV": 0.5})


def _as_plotted(seed: int, index: int) -> tuple[str, np.ndarray, np.ndarray]:
    """(true technique, potential, current) of a simulated single sweep with its artifacts,
    sorted by potential and thinned to 400 points, as a digitised trace comes."""
    rng = sample_rng(seed, index)
    spec = draw_scenario(rng, CONFIG).curves[0]
    measured, _clean, _injected = simulate_curve(spec, rng)
    e, i = np.asarray(measured.potential), np.asarray(measured.current)
    o = np.argsort(e, kind="stable")
    keep = np.linspace(0, e.size - 1, min(400, e.size)).astype(int)
    return spec.technique, e[o][keep], i[o][keep]


@pytest.mark.parametrize("seed", [31, 37])
def test_lsv_and_dpv_told_apart_on_simulated_sweeps(seed: int) -> None:
    """Simulated LSV and DPV curves (every mechanism and artifact, adsorbed LSV peaks included,
    which are symmetric bells a plot cannot tell from DPV): at least 80 % right; the old rule
    (peak height over each end) managed about 70 %."""
    rows = [_as_plotted(seed, k) for k in range(60)]
    right = sum(_single_technique(e, i).value == t for t, e, i in rows)
    assert right >= 0.8 * len(rows)


def test_textbook_shapes() -> None:
    """A Gaussian-like bell on a sloping baseline is DPV; a peak with a t^-1/2 diffusion tail is LSV;
    a sigmoidal wave is LSV."""
    e = np.linspace(-0.3, 0.5, 400)
    bell = 1e-6 / np.cosh((e - 0.1) / 0.045) ** 2 + 2e-7 * e
    assert _single_technique(e, bell) is Technique.DPV
    x = (e - 0.1) / 0.0257
    wave = 1.0 / (1.0 + np.exp(-x))
    tail = wave / np.sqrt(1.0 + np.clip(e - 0.1, 0, None) / 0.04)
    assert _single_technique(e, 1e-6 * tail) is Technique.LSV
    assert _single_technique(e, 1e-6 * wave) is Technique.LSV

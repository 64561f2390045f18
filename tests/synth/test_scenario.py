"""Scenario draws: the uncompensated resistance is sized on the largest wave of the curve."""

from __future__ import annotations

import numpy as np

from voltlens.synth.config import SynthConfig
from voltlens.synth.scenario import _randles_sevcik_A, draw_scenario


def test_ir_drop_never_exceeds_the_drawn_range_on_any_species() -> None:
    config = SynthConfig(kinds={"single": 1.0}, techniques={"CV": 1.0}, max_couples=3)
    config = config.model_copy(update={"artifacts": {**config.artifacts, "ru": 1.0}})
    seen = 0
    for i in range(60):
        spec = draw_scenario(np.random.default_rng(1000 + i), config).curves[0]
        if spec.cell.ru_ohm <= 0:
            continue
        seen += 1
        rate = spec.waveform.scan_rate_V_s
        worst = max(_randles_sevcik_A(s, spec.cell.area_m2, rate) for s in spec.species)
        drawn = spec.artifacts["ru"]["ir_drop_V"]
        assert spec.cell.ru_ohm * worst <= drawn * (1 + 1e-9)  # at most the drawn 5–40 mV iR drop
    assert seen > 30

"""Regenerate the bundled examples: a simulated two-couple CV as data (CSV) and as a figure (PNG).

    python examples/make_examples.py

Deterministic: the same files every time.  The figure is what the README's main job analyses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from voltlens.io import write_csv
from voltlens.render import encode_png, render, sample_style
from voltlens.simulate import (
    Artifacts,
    Cell,
    CVWaveform,
    QuasiReversible,
    Reversible,
    apply_artifacts,
    simulate_cv,
)

HERE = Path(__file__).parent


def main() -> None:
    species = [
        Reversible(e0_V=0.05, concentration_mol_m3=1.0, diffusion_m2_s=7e-10),
        QuasiReversible(e0_V=0.55, concentration_mol_m3=0.8, diffusion_m2_s=6e-10, k0_m_s=2e-5, alpha=0.5),
    ]
    clean = simulate_cv(
        species,
        CVWaveform(start_V=-0.3, vertex_V=0.9, scan_rate_V_s=0.1, step_V=0.002),
        Cell(area_m2=7.07e-6, ru_ohm=50.0, cdl_F_m2=0.2),
    )
    measured, _ = apply_artifacts(clean, Artifacts(noise_rms_A=2e-8), rng=np.random.default_rng(7))
    measured = measured.replace(reference_electrode="Ag/AgCl", source="two_couples_cv.csv")
    write_csv(measured, HERE / "two_couples_cv.csv")
    style = sample_style(np.random.default_rng(3), n_curves=1)
    rendered = render([measured], style)
    (HERE / "two_couples_cv.png").write_bytes(encode_png(rendered.image))


if __name__ == "__main__":
    main()

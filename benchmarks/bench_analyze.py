"""Speed of ``analyze_curve`` on a 2,000-point CV (target: ≤ 10 ms median) and a DPV.

Reports the median wall time and the median CPU time of this process (``time.process_time``:
less disturbed when other jobs share the machine).

python benchmarks/bench_analyze.py --repeats 50
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from voltlens.analyze.engine import analyze_curve
from voltlens.model import Voltammogram
from voltlens.simulate import CVWaveform, DPVWaveform, QuasiReversible, Reversible, simulate_cv, simulate_dpv
from voltlens.simulate.species import Cell


def _median_ms(v: Voltammogram, repeats: int) -> tuple[float, float]:
    """(median wall time, median CPU time) in ms."""
    analyze_curve(v)
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        analyze_curve(v)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall) * 1e3, statistics.median(cpu) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    cell = Cell(area_m2=7.07e-6, cdl_F_m2=0.2)
    species = [
        Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=1e-9),
        QuasiReversible(e0_V=0.4, concentration_mol_m3=1.0, diffusion_m2_s=1e-9, k0_m_s=5e-5),
    ]
    sim = simulate_cv(species, CVWaveform(start_V=-0.3, vertex_V=0.7, scan_rate_V_s=0.1, step_V=0.001), cell)
    v = sim.voltammogram
    v = v.replace(current=v.current + rng.normal(0, 1e-7, v.n_points))
    wall, cpu = _median_ms(v, args.repeats)
    print(f"CV  {v.n_points} points, 2 couples: median {wall:.2f} ms wall, {cpu:.2f} ms CPU")
    dsim = simulate_dpv(
        species[:1],
        DPVWaveform(
            start_V=-0.3, end_V=0.4, step_V=0.004, amplitude_V=0.05, pulse_width_s=0.05, period_s=0.2
        ),
        Cell(area_m2=7.07e-6),
    )
    d = dsim.voltammogram
    d = d.replace(current=d.current + rng.normal(0, 1e-8, d.n_points))
    wall, cpu = _median_ms(d, args.repeats)
    print(f"DPV {d.n_points} points, 1 peak:    median {wall:.2f} ms wall, {cpu:.2f} ms CPU")


if __name__ == "__main__":
    main()

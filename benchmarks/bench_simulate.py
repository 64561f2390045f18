"""Speed of the simulator: a 2,000-point CV (target ≤ 50 ms) for each mechanism, with and without Ru, and DPV.

python benchmarks/bench_simulate.py --repeats 20 [--cvsim]

--cvsim also times the pure-Python `cvsim` oracle on the same reversible CV (test-only dependency).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

from voltlens.simulate import (
    EC,
    EE,
    Adsorbed,
    Cell,
    CVWaveform,
    DPVWaveform,
    QuasiReversible,
    Reversible,
    simulate_cv,
    simulate_dpv,
)

AREA = 7.07e-6
CV = CVWaveform(0.5, -0.5, 0.1, 0.001)  # 2,001 points
BASE = {"concentration_mol_m3": 1.0, "diffusion_m2_s": 1e-9, "initially": "ox"}


def _median_ms(run: Callable[[], object], repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--cvsim", action="store_true", help="also time the cvsim oracle (slow)")
    args = parser.parse_args()
    species = {
        "reversible": Reversible(e0_V=0.0, **BASE),
        "quasi-reversible": QuasiReversible(e0_V=0.0, k0_m_s=1e-5, **BASE),
        "EC": EC(e0_V=0.0, kf_per_s=1.0, kb_per_s=0.1, k0_m_s=1e-4, **BASE),
        "EE": EE(e0_1_V=0.0, e0_2_V=-0.2, k0_1_m_s=1e-4, k0_2_m_s=1e-4, **BASE),
        "adsorbed": Adsorbed(e0_V=0.0, coverage_mol_m2=1e-6, initially="ox"),
    }
    print(f"CV, {CV.start_V} → {CV.vertex_V} V, 1 mV steps (2,001 points): median ms")
    print(f"{'mechanism':18s} {'Ru = 0':>8s} {'Ru = 100 Ω, Cdl':>16s}")
    for name, sp in species.items():
        plain = _median_ms(lambda sp=sp: simulate_cv(sp, CV, Cell(AREA)), args.repeats)
        ru = _median_ms(
            lambda sp=sp: simulate_cv(sp, CV, Cell(AREA, ru_ohm=100.0, cdl_F_m2=0.2)), args.repeats
        )
        print(f"{name:18s} {plain:8.1f} {ru:16.1f}")
    both = [species["reversible"], species["quasi-reversible"]]
    print(f"{'two couples':18s} {_median_ms(lambda: simulate_cv(both, CV, Cell(AREA)), args.repeats):8.1f}")

    dpvs = {
        "CHI-like 4 mV/50 mV/50 ms/500 ms": DPVWaveform(-0.3, 0.3, 0.004, 0.05, 0.05, 0.5),
        "PalmSens-like 5 mV/25 mV/70 ms/200 ms": DPVWaveform(-0.3, 0.3, 0.005, 0.025, 0.07, 0.2),
    }
    print("\nDPV, 0.6 V window, reversible: median ms (solver samples)")
    for name, w in dpvs.items():
        n = simulate_dpv(species["reversible"], w, Cell(AREA)).trace.time_s.size  # type: ignore[union-attr]
        plain = _median_ms(lambda w=w: simulate_dpv(species["reversible"], w, Cell(AREA)), args.repeats)
        ru = _median_ms(
            lambda w=w: simulate_dpv(species["reversible"], w, Cell(AREA, ru_ohm=100.0, cdl_F_m2=0.2)),
            max(3, args.repeats // 4),
        )
        print(f"{name:40s} Ru=0 {plain:7.1f}   Ru=100 Ω {ru:7.1f}   ({n} samples)")

    if args.cvsim:
        from cvsim.mechanisms import E_rev

        radius_mm = math.sqrt(AREA / math.pi) * 1e3
        oracle = E_rev(0.5, -0.5, 0.0, 0.1, 1.0, 1e-5, 1e-5, 1.0, radius_mm, 298.15)
        print(f"\ncvsim E_rev, same CV: {_median_ms(oracle.simulate, 3):.0f} ms")


if __name__ == "__main__":
    main()

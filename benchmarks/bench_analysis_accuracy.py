"""Accuracy of ``analyze_curve`` on a seeded random set of simulated curves with exact truth.

Draws single-curve scenarios with the synth generator (mechanisms, several couples, noise,
charging current, sloped/curved backgrounds and onsets, Ru, spikes, drift, … as configured by
``SynthConfig``), simulates them, labels them with :mod:`voltlens.truth` and compares:

* detection: a truth peak is found when a peak of the same direction and cycle lies within
  max(5 mV, 1 % of the potential window) — missed otherwise; a found peak matching no truth
  peak is spurious;
* Ep within max(5 mV, 1 % of the window); ip within 5 % (truth: faradaic current relative to
  the true background, Nicholson's held-potential current on return sweeps);
* reversibility class of every truth couple whose two peaks were both found.

    python benchmarks/bench_analysis_accuracy.py --n 200 --seed 7
"""

from __future__ import annotations

import argparse
import collections
import time

import numpy as np

from voltlens.analyze.engine import analyze_curve
from voltlens.synth.config import SynthConfig
from voltlens.synth.sample import curve_label, sample_rng, simulate_curve
from voltlens.synth.scenario import draw_scenario


def evaluate(n: int, seed: int, *, techniques: dict[str, float] | None = None, verbose: bool = False) -> dict:
    config = SynthConfig(kinds={"single": 1.0}, **({"techniques": techniques} if techniques else {}))
    stats = collections.Counter()
    by_mech = collections.defaultdict(collections.Counter)
    times = []
    for i in range(n):
        rng = sample_rng(seed, i)
        scenario = draw_scenario(rng, config)
        spec = scenario.curves[0]
        measured, clean, injected = simulate_curve(spec, rng)
        label = curve_label(spec, measured, clean, injected)
        t0 = time.perf_counter()
        res = analyze_curve(measured)
        times.append(time.perf_counter() - t0)
        window = float(np.ptp(measured.potential))
        tol = max(0.005, 0.01 * window)
        used: set[int] = set()
        match: dict[int, int] = {}
        for ti, tp in enumerate(label.peaks):
            best, bd = None, np.inf
            for fi, fp in enumerate(res.peaks):
                if fi in used or fp.direction != tp.direction or fp.cycle != tp.cycle:
                    continue
                d = abs(fp.potential.value - tp.potential_V)
                if d < bd:
                    best, bd = fi, d
            mech = label.species[tp.species].mechanism
            kind = "rev" if tp.segment > 0 else "fwd"
            stats["truth"] += 1
            by_mech[mech]["truth"] += 1
            if best is None or bd > tol:
                stats["missed"] += 1
                by_mech[mech]["missed"] += 1
                if verbose:
                    print(
                        f"  #{i} {spec.technique} {mech} missed {kind} {tp.direction} E={tp.potential_V:.3f} "
                        f"ip={tp.current_A:.3g} arts={sorted(spec.artifacts)}"
                    )
                continue
            used.add(best)
            match[ti] = best
            fp = res.peaks[best]
            stats["ep_ok"] += 1
            ok_ip = abs(fp.height.value - tp.current_A) <= 0.05 * abs(tp.current_A)
            stats["ip_ok"] += ok_ip
            stats[f"ip_ok_{kind}"] += ok_ip
            stats[f"n_{kind}"] += 1
            by_mech[mech]["ip_ok"] += ok_ip
            by_mech[mech]["found"] += 1
            if verbose and not ok_ip:
                print(
                    f"  #{i} {spec.technique} {mech} ip {kind} {fp.height.value:.4g} vs {tp.current_A:.4g} "
                    f"({fp.height.value / tp.current_A - 1:+.1%}) arts={sorted(spec.artifacts)}"
                )
        spurious = [fp for fi, fp in enumerate(res.peaks) if fi not in used]
        stats["spurious"] += len(spurious)
        stats["found"] += len(res.peaks)
        if verbose:
            for fp in spurious:
                print(
                    f"  #{i} {spec.technique} spurious {fp.direction} E={fp.potential.value:.3f} "
                    f"ip={fp.height.value:.3g} mechs={spec.mechanisms} arts={sorted(spec.artifacts)}"
                )
        for tc in label.couples:
            fa, fc = match.get(tc.anodic), match.get(tc.cathodic)
            if fa is None or fc is None:
                continue
            mine = res.peaks[fa].reversibility
            stats["couples"] += 1
            stats["class_ok"] += mine == tc.reversibility
            if verbose and mine != tc.reversibility:
                mech = label.species[tc.species].mechanism
                print(
                    f"  #{i} class {mech}: truth {tc.reversibility} Λ={tc.matsuda_ayabe_lambda} got {mine} "
                    f"ΔEp={tc.delta_Ep_V * 1e3:.0f} mV arts={sorted(spec.artifacts)}"
                )
    stats["median_ms"] = float(np.median(times) * 1e3)
    return {"stats": stats, "by_mechanism": by_mech}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    out = evaluate(args.n, args.seed, verbose=args.verbose)
    s = out["stats"]
    t = max(s["truth"], 1)
    print(f"curves: {args.n}  truth peaks: {s['truth']}  found peaks: {s['found']}")
    print(
        f"missed: {s['missed']} ({s['missed'] / t:.1%})  spurious: {s['spurious']} ({s['spurious'] / t:.1%})"
    )
    print(f"Ep within tolerance: {s['ep_ok'] / t:.1%} of truth peaks")
    print(
        f"ip within 5 %: {s['ip_ok'] / max(s['ep_ok'], 1):.1%} of matched "
        f"(forward {s['ip_ok_fwd'] / max(s['n_fwd'], 1):.1%}, return {s['ip_ok_rev'] / max(s['n_rev'], 1):.1%})"
    )
    print(f"reversibility class right: {s['class_ok'] / max(s['couples'], 1):.1%} of {s['couples']} couples")
    print(f"median analysis time: {s['median_ms']:.1f} ms")
    for mech, c in sorted(out["by_mechanism"].items()):
        print(f"  {mech:18s} truth {c['truth']:4d} missed {c['missed']:3d} ip_ok {c['ip_ok']}/{c['found']}")


if __name__ == "__main__":
    main()

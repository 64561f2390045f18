"""Anomaly detection on simulated measurements: per-kind precision, recall, F1 and the macro-F1.

Each sample is a CV (or, for some, DPV-free) measurement simulated by :mod:`voltlens.simulate` with
realistic nuisances always present (double-layer charging, a mild linear background, white noise
of 0.1–0.5 % of the signal) and zero, one or two planted anomalies at clearly present levels:

=====================  ===========================================================================
noise                  white (and some 1/f) noise of 4–10 % of the largest faradaic current S
drift                  a current drift reaching 15–40 % of S over the experiment (either sign)
clipping               current range at 55–85 % of the largest |current|
spikes                 1–5 single-sample spikes of 30–100 % of S
ir_distortion          Ru giving an iR drop of 40–100 mV at the peak
missing_return_peak    an EC species whose product decays fast (kf = 3–20 × F v / RT)
reference_drift        the reference moving 10–30 mV per cycle (3–5 cycles)
truncated              the vertex 50 mV before to 15 mV past E½ (the wave cut)
fouling                8–25 % of the active area lost per cycle (3–5 cycles)
quantisation           an ADC step of 3–8 % of S
background             a background changing by 40–100 % of S across the window: linear, quadratic
                       (bowing away from the start) or a solvent onset 40 mV before the vertex
=====================  ===========================================================================

The detector is voltlens's full pipeline (engine + anomaly detectors, confidence ≥ 0.5).  The
held-out set uses seeds never used while the thresholds were set (development used seeds
1000–1099).  Run::

    python benchmarks/bench_anomalies.py --n 300 --seed 7
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass

import numpy as np

from voltlens.analyze import combine
from voltlens.analyze.anomalies import DETECTORS
from voltlens.analyze.engine import analyze_curve
from voltlens.constants import f_inverse_volts
from voltlens.model import Voltammogram
from voltlens.simulate import (
    EC,
    Artifacts,
    Cell,
    CVWaveform,
    QuasiReversible,
    Reversible,
    simulate_measurement,
)

KINDS = tuple(DETECTORS)
MULTI_CYCLE = {"reference_drift", "fouling"}
EXCLUSIVE = [{"truncated", "missing_return_peak"}, {"truncated", "ir_distortion"}]


@dataclass(frozen=True)
class Sample:
    voltammogram: Voltammogram
    truth: frozenset[str]
    description: str


def _choose_kinds(rng: np.random.Generator) -> set[str]:
    r = rng.random()
    count = 0 if r < 0.25 else 1 if r < 0.8 else 2
    while True:
        kinds = set(rng.choice(KINDS, size=count, replace=False).tolist())
        if not any(pair <= kinds for pair in EXCLUSIVE):
            return kinds


def make_sample(rng: np.random.Generator, kinds: set[str] | None = None) -> Sample:
    """One simulated measurement with the planted ``kinds`` (random when None)."""
    kinds = _choose_kinds(rng) if kinds is None else set(kinds)
    f = f_inverse_volts()
    e0 = rng.uniform(-0.2, 0.2)
    d = rng.uniform(5e-10, 2e-9)
    conc = rng.uniform(0.5, 5.0)
    v = float(rng.choice([0.02, 0.05, 0.1, 0.2, 0.5]))
    area = 7.07e-6 * rng.uniform(0.5, 2.0)
    if "missing_return_peak" in kinds:
        species = EC(
            e0_V=e0, concentration_mol_m3=conc, diffusion_m2_s=d, kf_per_s=rng.uniform(3, 20) * f * v
        )
    elif rng.random() < 0.3:
        species = QuasiReversible(
            e0_V=e0,
            concentration_mol_m3=conc,
            diffusion_m2_s=d,
            k0_m_s=10 ** rng.uniform(-5, -3.5),
            alpha=rng.uniform(0.35, 0.65),
        )
    else:
        species = Reversible(e0_V=e0, concentration_mol_m3=conc, diffusion_m2_s=d)
    half = rng.uniform(0.3, 0.45)
    start = e0 - half
    vertex = e0 + rng.uniform(-0.05, 0.015) if "truncated" in kinds else e0 + half
    cycles = int(rng.integers(3, 6)) if kinds & MULTI_CYCLE or rng.random() < 0.3 else 1
    step = float(rng.choice([0.001, 0.002]))
    wave = CVWaveform(start_V=start, vertex_V=vertex, scan_rate_V_s=v, step_V=step, n_cycles=cycles)
    s_ref = 0.4463 * 96485.33212 * area * conc * math.sqrt(f * v * d)  # Randles–Ševčík scale
    ru = 0.0
    if "ir_distortion" in kinds:
        ru = rng.uniform(0.04, 0.10) / s_ref
    cell = Cell(area_m2=area, cdl_F_m2=rng.uniform(0.05, 0.3), ru_ohm=ru)
    span_t = cycles * 2 * abs(vertex - start) / v
    noise = s_ref * rng.uniform(0.001, 0.005)
    pink = 0.0
    if "noise" in kinds:
        noise = s_ref * rng.uniform(0.04, 0.10)
        if rng.random() < 0.3:
            pink, noise = noise * 0.6, noise * 0.8
    art = dict(
        noise_rms_A=noise,
        pink_noise_rms_A=pink,
        background_linear_A_per_V=s_ref * rng.uniform(-0.05, 0.05),
    )
    if "drift" in kinds:
        art["drift_A_per_s"] = rng.choice([-1, 1]) * s_ref * rng.uniform(0.15, 0.40) / span_t
    if "spikes" in kinds:
        art["spike_count"] = int(rng.integers(1, 6))
        art["spike_amplitude_A"] = s_ref * rng.uniform(0.3, 1.0)
    if "quantisation" in kinds:
        art["adc_lsb_A"] = s_ref * rng.uniform(0.03, 0.08)
    if "fouling" in kinds:
        art["fouling_per_cycle"] = rng.uniform(0.08, 0.25)
    if "reference_drift" in kinds:
        art["reference_drift_V_per_cycle"] = rng.choice([-1, 1]) * rng.uniform(0.010, 0.030)
    if "background" in kinds:
        size = s_ref * rng.uniform(0.4, 1.0) * rng.choice([-1, 1])
        span = abs(vertex - start)
        shape = rng.choice(["linear", "quadratic", "onset"])
        if shape == "linear":
            art["background_linear_A_per_V"] = size / span
        elif shape == "quadratic":
            art["background_quadratic_A_per_V2"] = size / span**2
        else:
            art["anodic_onset_V"] = vertex - 0.04
            art["onset_current_A"] = abs(size) / math.exp(0.04 / 0.03)
    if "clipping" in kinds:
        clean, _, _ = simulate_measurement(species, wave, cell, Artifacts(), rng=np.random.default_rng(0))
        art["clip_A"] = float(np.max(np.abs(clean.current))) * rng.uniform(0.55, 0.85)
    measured, _clean, _injected = simulate_measurement(species, wave, cell, Artifacts(**art), rng=rng)
    desc = f"{type(species).__name__} v={v:g} cycles={cycles} planted={sorted(kinds)}"
    return Sample(measured.replace(source=desc), frozenset(kinds), desc)


def detect(v: Voltammogram, *, min_confidence: float = 0.5) -> set[str]:
    analysis = combine([analyze_curve(v)], min_anomaly_confidence=min_confidence)
    return {a.kind for a in analysis.curves[0].anomalies if a.kind in DETECTORS}


def scores(truths: list[frozenset[str]], found: list[set[str]]) -> dict[str, dict[str, float]]:
    out = {}
    for kind in KINDS:
        tp = sum(kind in t and kind in f for t, f in zip(truths, found, strict=True))
        fp = sum(kind not in t and kind in f for t, f in zip(truths, found, strict=True))
        fn = sum(kind in t and kind not in f for t, f in zip(truths, found, strict=True))
        p = tp / (tp + fp) if tp + fp else math.nan
        r = tp / (tp + fn) if tp + fn else math.nan
        f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else math.nan
        out[kind] = {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}
    return out


def run(n: int, seed: int, *, verbose: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    truths, found = [], []
    t0 = time.perf_counter()
    for k in range(n):
        sample = make_sample(rng)
        got = detect(sample.voltammogram)
        truths.append(sample.truth)
        found.append(got)
        if verbose and got != set(sample.truth):
            print(f"{k:4d} {sample.description}: found {sorted(got)}", file=sys.stderr)
    per_kind = scores(truths, found)
    f1s = [s["f1"] for s in per_kind.values() if not math.isnan(s["f1"])]
    clean = [f for t, f in zip(truths, found, strict=True) if not t]
    return {
        "n": n,
        "seed": seed,
        "seconds": round(time.perf_counter() - t0, 1),
        "macro_f1": float(np.mean(f1s)) if f1s else math.nan,
        "clean_samples": len(clean),
        "clean_with_false_alarm": sum(bool(f) for f in clean),
        "per_kind": per_kind,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--verbose", action="store_true", help="list every misclassified sample on stderr")
    args = parser.parse_args(argv)
    result = run(args.n, args.seed, verbose=args.verbose)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{'kind':22s} {'P':>6s} {'R':>6s} {'F1':>6s}   tp  fp  fn")
    for kind, s in result["per_kind"].items():
        print(
            f"{kind:22s} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['tp']:4d} {s['fp']:3d} {s['fn']:3d}"
        )
    print(
        f"macro-F1 {result['macro_f1']:.3f} over {result['n']} samples (seed {result['seed']}, "
        f"{result['seconds']} s); clean samples with a false alarm: "
        f"{result['clean_with_false_alarm']}/{result['clean_samples']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Accuracy of ``analyze_curve`` on a seeded random set of simulated single curves with exact truth.

Curve ``i`` of seed ``s`` is exactly what ``voltlens.synth.sample.generate_sample(i, seed=s, config=…)``
simulates (same generator, same draws: ``sample_rng`` → ``draw_scenario`` → ``simulate_curve`` →
``curve_label``; the image is not rendered), with ``SynthConfig(kinds={"single": 1.0})`` and the
default technique, mechanism and artifact mix (noise, 1/f noise, charging, sloped/curved
backgrounds and onsets, Ru, mains, spikes, drift, clipping, fouling, reference drift, ADC).

Scoring (truth peaks from :mod:`voltlens.truth`: per species, relative to the true background):

* what is scored is what the data shows (:func:`voltlens.truth.peak_knowability`): a truth peak
  below the visibility floor (2 % of the recorded current range, 3× the noise rms) or without a
  maximum of its own in the summed current (unresolved from a neighbour), or clipped (its top cut
  off: neither its height nor its position is knowable), is not required and not counted (an engine
  peak on it is not spurious either); a merged peak must be found but its Ep and ip are not scored,
  nor is the class of a couple with an unmeasurable peak.  The report prints how many were left out, and why;

* matching: within each (direction, cycle, sweep) the truth and engine peaks are paired by an
  optimal assignment on |ΔE|; a truth peak counts as found if its engine partner lies within
  max(20 mV, 2 % of the potential window) — missed otherwise; an engine peak left without a
  truth partner is spurious.  Both rates are per truth peak;
* Ep: |Ep − Ep,true| ≤ max(5 mV, 1 % of the window), per truth peak (a missed peak fails);
* ip: |ip − ip,true| ≤ 5 % of |ip,true|, per matched peak (forward = first sweep, return = later);
* reversibility: every truth couple whose two peaks were both found; right when the engine
  paired exactly those two peaks into one couple of the same Matsuda–Ayabe class.  Reported
  over all, and separately for curves with and without an injected uncompensated resistance;
* time: CPU time of ``analyze_curve`` per curve (median over CV curves, and over those of at least
  1,500 points).

Develop on seeds below 1000; report on seeds of 500000 and above not looked at before.

    python benchmarks/bench_analysis_accuracy.py --n 400 --seed 7 --jobs 2      # development
    python benchmarks/bench_analysis_accuracy.py --n 1000 --seed 700000 --jobs 2  # held out
"""

from __future__ import annotations

import argparse
import collections
import math
import multiprocessing
import time
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from voltlens.analyze.engine import analyze_curve
from voltlens.synth.config import SynthConfig
from voltlens.synth.sample import curve_label, sample_rng, simulate_curve
from voltlens.synth.scenario import draw_scenario
from voltlens.truth import peak_knowability

RU_KIND = "uncompensated_resistance"


def draw_curve(seed: int, index: int, config: SynthConfig):
    """(spec, measured, label, knowability) of the single curve of sample ``index``, as generate_sample
    draws it; ``knowability[i]`` says what the recorded data shows of truth peak i."""
    rng = sample_rng(seed, index)
    spec = draw_scenario(rng, config).curves[0]
    measured, clean, injected = simulate_curve(spec, rng)
    label = curve_label(spec, measured, clean, injected)
    return spec, measured, label, knowability(label, measured, clean)


def knowability(label, measured, clean) -> list:
    """:func:`voltlens.truth.peak_knowability` of the label's peaks, from the stated artifact sizes."""
    params = {a.kind: a.params for a in label.artifacts}
    noise = math.hypot(
        float(params.get("white_noise", {}).get("rms_A", 0.0)),
        float(params.get("pink_noise", {}).get("rms_A", 0.0)),
    )
    clip = params.get("clipping", {}).get("clip_A")
    return peak_knowability(
        label.peaks,
        potential_V=clean.potential_applied_V,
        segment=clean.voltammogram.segment,
        faradaic_A=clean.faradaic_A,
        recorded_potential_V=measured.potential,
        recorded_current_A=measured.current,
        recorded_segment=measured.segment,
        noise_rms_A=noise,
        clip_A=None if clip is None else float(clip),
        differential=label.technique == "DPV",
    )


def match_peaks(truth: list, found: tuple, tol: float) -> dict[int, int]:
    """truth index → engine index, optimal within each (direction, cycle, sweep) group."""
    groups: dict[tuple, tuple[list[int], list[int]]] = collections.defaultdict(lambda: ([], []))
    for i, p in enumerate(truth):
        groups[(p.direction, p.cycle, p.segment)][0].append(i)
    for j, p in enumerate(found):
        groups[(p.direction, p.cycle, p.segment)][1].append(j)
    out = {}
    for ti, fi in groups.values():
        if not ti or not fi:
            continue
        cost = np.array(
            [[abs(truth[a].potential_V - found[b].potential.value) for b in fi] for a in ti], dtype=float
        )
        rows, cols = linear_sum_assignment(np.where(cost <= tol, cost, 1e3 + cost))
        out.update({ti[r]: fi[c] for r, c in zip(rows, cols, strict=True) if cost[r, c] <= tol})
    return out


def score_curve(measured, label, res, known) -> tuple[collections.Counter, list[str]]:
    """Counts for one curve and a line per failure (``known``: the truth peaks' knowability)."""
    st: collections.Counter = collections.Counter()
    fails: list[str] = []
    window = float(np.ptp(measured.potential))
    match = match_peaks(label.peaks, res.peaks, max(0.020, 0.02 * window))
    ep_tol = max(0.005, 0.01 * window)
    for ti, tp in enumerate(label.peaks):
        kind = "rev" if tp.segment > 0 else "fwd"
        mech = label.species[tp.species].mechanism
        kn = known[ti]
        if not kn.visible:
            st["excluded_invisible"] += 1
            continue
        if not kn.resolvable:
            st["excluded_unresolved"] += 1
            continue
        if not kn.ip_knowable:
            st["excluded_clipped"] += 1
            st["excluded_clipped_found"] += ti in match
            continue
        st["truth"] += 1
        if not kn.measurable:
            st["unmeasurable_merged"] += 1
        if ti not in match:
            st["missed"] += 1
            if kn.measurable:
                st["scored"] += 1
            fails.append(f"missed {kind} {tp.direction} {mech} E={tp.potential_V:.3f} ip={tp.current_A:.3g}")
            continue
        if not kn.measurable:
            continue
        st["scored"] += 1
        fp = res.peaks[match[ti]]
        de = fp.potential.value - tp.potential_V
        ep_ok = abs(de) <= ep_tol
        ip_ok = abs(fp.height.value - tp.current_A) <= 0.05 * abs(tp.current_A)
        st["ep_ok"] += ep_ok
        st["ip_ok"] += ip_ok
        st[f"n_{kind}"] += 1
        st[f"ip_ok_{kind}"] += ip_ok
        if not ep_ok:
            fails.append(f"Ep {kind} {tp.direction} {mech} off {de * 1e3:+.1f} mV")
        if not ip_ok:
            fails.append(f"ip {kind} {tp.direction} {mech} {fp.height.value / tp.current_A - 1:+.1%}")
    matched = set(match.values())
    for j, fp in enumerate(res.peaks):
        if j not in matched:
            st["spurious"] += 1
            fails.append(
                f"spurious s{fp.segment} {fp.direction} E={fp.potential.value:.3f} ip={fp.height.value:.3g}"
            )
    has_ru = any(a.kind == RU_KIND for a in label.artifacts)
    by_pair = {(c.anodic, c.cathodic): c for c in res.couples}
    for tc in label.couples:
        if not (known[tc.anodic].measurable and known[tc.cathodic].measurable):
            st["couples_unknowable"] += 1
            continue
        fa, fc = match.get(tc.anodic), match.get(tc.cathodic)
        if fa is None or fc is None:
            st["couples_unscored"] += 1
            continue
        found = by_pair.get((fa, fc))
        got = found.reversibility if found is not None else "unpaired"
        ok = got == tc.reversibility
        for key in ("", "_ru" if has_ru else "_noru"):
            st[f"couples{key}"] += 1
            st[f"class_ok{key}"] += ok
        if not ok:
            lam = tc.matsuda_ayabe_lambda
            fails.append(
                f"class {label.species[tc.species].mechanism}: truth {tc.reversibility} "
                f"(Λ={lam if lam is None else f'{lam:.3g}'}, ΔEp={tc.delta_Ep_V * 1e3:.0f} mV) got {got}"
                + (f" (ΔEp={found.delta_ep.value * 1e3:.0f} mV)" if found is not None else "")
            )
    return st, fails


def _one(args: tuple[int, int, dict | None]) -> dict[str, Any]:
    seed, index, techniques = args
    config = SynthConfig(kinds={"single": 1.0}, **({"techniques": techniques} if techniques else {}))
    spec, measured, label, known = draw_curve(seed, index, config)
    t0 = time.process_time()  # CPU time: less disturbed by other jobs on the machine
    res = analyze_curve(measured)
    elapsed = time.process_time() - t0
    st, fails = score_curve(measured, label, res, known)
    return {
        "index": index,
        "technique": spec.technique,
        "n_points": measured.n_points,
        "mechanisms": spec.mechanisms,
        "artifacts": sorted(a.kind for a in label.artifacts),
        "stats": st,
        "fails": fails,
        "seconds": elapsed,
    }


def evaluate(n: int, seed: int, *, jobs: int = 1, techniques: dict[str, float] | None = None) -> list[dict]:
    tasks = [(seed, i, techniques) for i in range(n)]
    if jobs > 1:
        with multiprocessing.Pool(jobs) as pool:
            return pool.map(_one, tasks, chunksize=4)
    return [_one(t) for t in tasks]


def _pct(a: float, b: float) -> str:
    return f"{a / b:.1%}" if b else "n/a"


def report(rows: list[dict], *, verbose: bool = False) -> None:
    s: collections.Counter = collections.Counter()
    for r in rows:
        s.update(r["stats"])
    t = s["truth"]
    print(
        f"curves: {len(rows)}  truth peaks shown by the data: {t} (excluded: {s['excluded_invisible']} below "
        f"the visibility floor, {s['excluded_unresolved']} without a maximum of their own, "
        f"{s['excluded_clipped']} clipped, of which {s['excluded_clipped_found']} found anyway)"
    )
    print(
        f"missed: {s['missed']} ({_pct(s['missed'], t)})  spurious: {s['spurious']} ({_pct(s['spurious'], t)})"
    )
    print(
        f"Ep within max(5 mV, 1 % window): {_pct(s['ep_ok'], s['scored'])} of {s['scored']} measurable truth "
        f"peaks (not scored: {s['unmeasurable_merged']} merged with a neighbour)"
    )
    matched = s["n_fwd"] + s["n_rev"]
    print(
        f"ip within 5 %: {_pct(s['ip_ok'], matched)} of matched (forward {_pct(s['ip_ok_fwd'], s['n_fwd'])}, "
        f"return {_pct(s['ip_ok_rev'], s['n_rev'])}); {_pct(s['ip_ok'], s['scored'])} of measurable truth peaks"
    )
    print(
        f"reversibility class right: {_pct(s['class_ok'], s['couples'])} of {s['couples']} couples "
        f"(with Ru {_pct(s['class_ok_ru'], s['couples_ru'])} of {s['couples_ru']}, "
        f"without {_pct(s['class_ok_noru'], s['couples_noru'])} of {s['couples_noru']}; "
        f"{s['couples_unscored']} couples with a peak missed, {s['couples_unknowable']} with a peak not measurable)"
    )
    cv = [r["seconds"] for r in rows if r["technique"] == "CV"]
    big = [r["seconds"] for r in rows if r["technique"] == "CV" and r["n_points"] >= 1500]
    print(
        "median analysis CPU time: "
        + (f"CV {np.median(cv) * 1e3:.1f} ms" if cv else "no CV")
        + (f" (≥ 1,500 points: {np.median(big) * 1e3:.1f} ms)" if big else "")
        + f", all {np.median([r['seconds'] for r in rows]) * 1e3:.1f} ms"
    )
    by: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in rows:
        for key in (r["technique"], *(f"+{a}" for a in r["artifacts"]), *set(r["mechanisms"])):
            by[key].update(r["stats"])
    print(f"  {'group':26s} {'truth':>5s} {'miss':>5s} {'spur':>5s} {'Ep':>6s} {'ip':>6s} {'class':>6s}")
    for key in sorted(by):
        c = by[key]
        print(
            f"  {key:26s} {c['truth']:5d} {c['missed']:5d} {c['spurious']:5d} {_pct(c['ep_ok'], c['scored']):>6s} "
            f"{_pct(c['ip_ok'], c['n_fwd'] + c['n_rev']):>6s} {_pct(c['class_ok'], c['couples']):>6s}"
        )
    if verbose:
        for r in rows:
            for line in r["fails"]:
                print(
                    f"  #{r['index']} {r['technique']} {'/'.join(r['mechanisms'])} {line}  {r['artifacts']}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--technique", choices=("CV", "LSV", "DPV"), help="only this technique")
    parser.add_argument("--verbose", action="store_true", help="one line per failure")
    args = parser.parse_args()
    techniques = {args.technique: 1.0} if args.technique else None
    report(evaluate(args.n, args.seed, jobs=args.jobs, techniques=techniques), verbose=args.verbose)


if __name__ == "__main__":
    main()

"""Figure → numbers on figures voltlens did not draw: plain matplotlib plots of curves from other simulators.

voltlens' own benches render with :mod:`voltlens.render`; a user's figure comes from Origin, Excel,
matplotlib styles nobody tuned for, and curves from other simulators.  This bench draws curves of
the ``cvsim`` package (reversible, quasi-reversible and irreversible E, EC, EE) and of the
semi-integral textbook simulator in ``tests/analyze/conftest.py`` (DPV), with matplotlib's own
style sheets, colour cycles, colormaps, units and offset multipliers, as singles, scan-rate and
concentration overlays, and reads each figure back with ``analyze(digitize(png))`` — the public
path.  Truth comes from the simulated arrays only:

* curves: the number of curves read equals the number drawn;
* trace: each curve's largest and smallest current within 3 % of its true current range (curves
  paired by their maxima, in order);
* Ep: the engine's most confident anodic peak of each curve within max(5 mV, 1 % of the window)
  of the true forward maximum;
* ip: its baseline-corrected height within 5 % of the true forward maximum (cvsim has no
  charging or background: the forward baseline is zero); not scored for EE, whose second wave
  stands on the first one's tail;
* E½ and class (single CVs of one couple): the engine's couple E½ within 5 mV of
  (Epa + Epc)/2 of the truth, and its Matsuda–Ayabe class that of Λ = k0/√(D f v)
  (reversible ≥ 15, irreversible ≤ 10^(−2(1+α))).

    python benchmarks/bench_foreign.py --n 120 --seed 0 --jobs 2
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import math
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

STYLES = ("default", "ggplot", "classic", "bmh", "seaborn-v0_8-whitegrid", "seaborn-v0_8-ticks", "grayscale")
UNITS = (("A", 1.0), ("mA", 1e3), ("µA", 1e6), ("uA", 1e6))
X_TITLES = ("E / V", "Potential (V vs. Ag/AgCl)", "E vs SCE / V", "Potential / mV", "E (mV vs Fc/Fc+)")
KINDS = ("single", "single", "scan_rate", "concentration", "dpv_single", "dpv_concentration")
F = 38.92  # F/RT at 25 °C, 1/V
D = 1e-5  # cm²/s (cvsim units)


def _textbook():
    path = Path(__file__).resolve().parent.parent / "tests" / "analyze" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_textbook_curves", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _cvsim(mech: str, *, v: float, conc: float, k0: float, e0: float, k_chem: float):
    from cvsim import mechanisms as m

    wide = mech in ("irreversible",)
    base = dict(
        start_potential=e0 - (0.9 if wide else 0.45),
        switch_potential=e0 + (0.9 if wide else 0.45),
        reduction_potential=e0,
        scan_rate=v,
        c_bulk=conc,
        diffusion_reactant=D,
        diffusion_product=D,
    )
    if mech == "reversible":
        sim = m.E_rev(**base)
    elif mech in ("quasi-reversible", "irreversible"):
        sim = m.E_q(alpha=0.5, k0=k0, **base)
    elif mech == "EC":
        sim = m.E_qC(alpha=0.5, k0=1.0, k_forward=k_chem, k_backward=1e-9, **base)
    else:  # EE
        base["switch_potential"] += 0.35
        sim = m.EE(
            reduction_potential2=e0 + 0.35,
            alpha=0.5,
            alpha2=0.5,
            k0=1.0,
            k0_2=1.0,
            diffusion_intermediate=D,
            **{k: val for k, val in base.items()},
        )
    e, i = sim.simulate()
    return np.asarray(e, dtype=float), np.asarray(i, dtype=float)  # cvsim: V and A


def _class_of(mech: str, k0: float, v: float) -> str | None:
    if mech == "reversible":
        return "reversible"
    if mech not in ("quasi-reversible", "irreversible"):
        return None
    lam = k0 / math.sqrt(D * F * v)
    return "reversible" if lam >= 15 else "irreversible" if lam <= 1e-3 else "quasi-reversible"


def _draw(curves, labels, rng: np.random.Generator) -> tuple[bytes, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    style = str(rng.choice(STYLES))
    unit, scale = UNITS[int(rng.integers(len(UNITS)))]
    xt = str(rng.choice(X_TITLES))
    xs = 1e3 if "mV" in xt else 1.0
    cmap = None if rng.random() < 0.6 else str(rng.choice(("viridis", "plasma", "coolwarm", "tab10")))
    with plt.style.context(style):
        fig, ax = plt.subplots(figsize=(float(rng.uniform(4.5, 7)), float(rng.uniform(3.5, 5.5))))
        for k, ((e, i), lab) in enumerate(zip(curves, labels, strict=True)):
            colour = None if cmap is None else plt.get_cmap(cmap)(k / max(1, len(curves) - 1) * 0.9)
            ax.plot(e * xs, i * scale, label=lab, color=colour, lw=float(rng.uniform(1.0, 2.5)))
        if len(curves) > 1 and labels[0] is not None:
            ax.legend(frameon=bool(rng.random() < 0.6))
        ax.set_xlabel(xt)
        ax.set_ylabel(
            f"{rng.choice(('I', 'i', 'Current'))} / {unit}" if rng.random() < 0.5 else f"Current ({unit})"
        )
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=int(rng.choice((80, 100, 150))))
        plt.close(fig)
    return buf.getvalue(), f"{style}, {unit}, {'cycle' if cmap is None else cmap}"


def _figure(index: int, seed: int) -> dict[str, Any]:
    """The figure ``index`` of ``seed``: png, description and per-curve truth."""
    rng = np.random.default_rng([seed, index])
    kind = KINDS[index % len(KINDS)]
    mech = str(rng.choice(("reversible", "quasi-reversible", "irreversible", "EC", "EE")))
    k0 = {
        "reversible": 1.0,
        "quasi-reversible": float(10 ** rng.uniform(-3, -1.5)),
        "irreversible": 3e-6,
    }.get(mech, 1.0)
    if kind.startswith("dpv"):
        tb = _textbook()
        concs = [1.0] if kind == "dpv_single" else [0.2, 0.4, 0.6, 0.8, 1.0][: int(rng.integers(3, 6))]
        e0 = float(rng.uniform(-0.2, 0.3))
        amp = float(rng.choice((0.025, 0.05)))
        curves = []
        for c in concs:
            s = tb.simulate_dpv([tb.Couple(e0=e0, conc=c)], e_start=e0 - 0.4, e_end=e0 + 0.4, amplitude=amp)
            curves.append((np.asarray(s.potential), np.asarray(s.current)))
        labels = [None] if len(concs) == 1 else [f"{c:g} mM" for c in concs]
        truth = [
            {"Epa": e0 - amp / 2, "ip": float(np.max(i)), "top": float(i.max()), "bottom": float(i.min())}
            for _, i in curves
        ]
        png, how = _draw(curves, labels, rng)
        return {
            "kind": kind,
            "mech": "DPV",
            "png": png,
            "how": how,
            "truth": truth,
            "class": None,
            "window": 0.8,
        }
    if kind == "single":
        rates, concs = [float(rng.choice((0.02, 0.05, 0.1, 0.2)))], [1.0]
    elif kind == "scan_rate":
        rates, concs = [0.02, 0.05, 0.1, 0.2, 0.5][: int(rng.integers(3, 6))], None
        mech = mech if mech != "irreversible" else "quasi-reversible"
    else:
        rates, concs = [0.1], [0.25, 0.5, 0.75, 1.0][: int(rng.integers(3, 5))]
    series = [(v, 1.0) for v in rates] if concs is None else [(rates[0], c) for c in concs]
    e0, k_chem = float(rng.uniform(-0.3, 0.4)), float(rng.uniform(0.5, 3.0))
    curves = [_cvsim(mech, v=v, conc=c, k0=k0, e0=e0, k_chem=k_chem) for v, c in series]
    labels: list[str | None]
    if len(series) == 1:
        labels = [None]
    elif concs is None:
        labels = [f"{v * 1e3:g} mV/s" for v, _ in series]
    else:
        labels = [f"{c:g} mM" for _, c in series]
    truth = []
    for e, i in curves:
        turn = int(np.argmax(e))
        fwd_i, rev = i[: turn + 1], slice(turn, None)
        ja, jc = int(np.argmax(fwd_i)), turn + int(np.argmin(i[rev]))
        truth.append(
            {
                "Epa": float(e[ja]),
                "Epc": float(e[jc]),
                "ip": float(fwd_i[ja]),
                "top": float(i.max()),
                "bottom": float(i.min()),
            }
        )
    png, how = _draw(curves, labels, rng)
    single = len(series) == 1 and mech in ("reversible", "quasi-reversible", "irreversible")
    return {
        "kind": kind,
        "mech": mech,
        "png": png,
        "how": how,
        "truth": truth,
        "class": _class_of(mech, k0, rates[0]) if single else None,
        "window": float(np.ptp(curves[0][0])),
    }


def _score(fig: dict[str, Any]) -> dict[str, Any]:
    from voltlens.analyze import analyze
    from voltlens.digitize import digitize
    from voltlens.errors import VoltlensError

    row: dict[str, Any] = {
        "kind": fig["kind"],
        "mech": fig["mech"],
        "how": fig["how"],
        "n_true": len(fig["truth"]),
    }
    t0 = time.process_time()
    try:
        figure = digitize(fig["png"])
        res = analyze(figure)
    except VoltlensError as ex:
        row["refused"] = str(ex)
        return row
    row["cpu"] = time.process_time() - t0
    row["n_found"] = len(figure.curves)
    if row["n_found"] != row["n_true"]:
        return row
    got = sorted(zip(figure.curves, res.curves, strict=True), key=lambda p: float(np.max(p[0].current)))
    want = sorted(fig["truth"], key=lambda t: t["top"])
    tol_e = max(0.005, 0.01 * fig["window"])
    trace = ep = ip = 0
    for (curve, ca), t in zip(got, want, strict=True):
        rng_t = t["top"] - t["bottom"]
        trace += (
            abs(float(curve.current.max()) - t["top"]) <= 0.03 * rng_t
            and abs(float(curve.current.min()) - t["bottom"]) <= 0.03 * rng_t
        )
        anodic = [p for p in ca.peaks if p.direction == "anodic" and p.confidence >= 0.5 and p.segment == 0]
        if anodic:
            p = min(anodic, key=lambda q: abs(q.potential.value - t["Epa"]))
            ep += abs(p.potential.value - t["Epa"]) <= tol_e
            ip += abs(p.height.value - t["ip"]) <= 0.05 * abs(t["ip"]) if fig["mech"] != "EE" else 0
    row.update(trace=trace, ep=ep, ip=ip)
    if fig["class"] is not None:
        t = want[0]
        couples = res.curves[0].couples
        row["class_n"] = 1
        if couples:
            c = couples[0]
            row["e_half"] = abs(c.e_half.value - 0.5 * (t["Epa"] + t["Epc"])) <= 0.005
            row["class_ok"] = c.reversibility == fig["class"]
    return row


def _one(args: tuple[int, int]) -> dict[str, Any]:
    index, seed = args
    fig = _figure(index, seed)
    row = _score(fig)
    row["index"] = index
    return row


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:.1f}% of {b}" if b else "n/a"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=120)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--verbose", action="store_true", help="one line per figure with a failure")
    args = ap.parse_args()
    from rich.progress import track

    work = [(k, args.seed) for k in range(args.n)]
    if args.jobs > 1:
        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            rows = list(track(pool.imap(_one, work), total=len(work), description="figures"))
    else:
        rows = [_one(w) for w in track(work, description="figures")]
    done = [r for r in rows if "refused" not in r]
    right_n = [r for r in done if r["n_found"] == r["n_true"]]
    n_curves = sum(r["n_true"] for r in right_n)
    counts = ", ".join(f"{k} {sum(r['kind'] == k for r in rows)}" for k in dict.fromkeys(KINDS))
    print(f"seed {args.seed}: {len(rows)} figures ({counts})")
    print(f"refused: {len(rows) - len(done)} ({_pct(len(rows) - len(done), len(rows))})")
    print(f"number of curves right: {_pct(len(right_n), len(done))}")
    print(f"trace extremes within 3%: {_pct(sum(r['trace'] for r in right_n), n_curves)} curves")
    print(f"anodic Ep within max(5 mV, 1% window): {_pct(sum(r['ep'] for r in right_n), n_curves)} curves")
    n_ip = sum(r["n_true"] for r in right_n if r["mech"] != "EE")
    print(f"anodic ip within 5%: {_pct(sum(r['ip'] for r in right_n), n_ip)} curves (EE not scored)")
    cls = [r for r in right_n if r.get("class_n")]
    print(
        f"single couples: E½ within 5 mV {_pct(sum(bool(r.get('e_half')) for r in cls), len(cls))}; "
        f"class right {_pct(sum(bool(r.get('class_ok')) for r in cls), len(cls))}"
    )
    cpu = [r["cpu"] for r in done]
    if cpu:
        print(f"CPU per figure (digitize + analyse): median {np.median(cpu):.2f} s")
    if args.verbose:
        for r in rows:
            bad = (
                "refused" in r
                or r.get("n_found") != r["n_true"]
                or r.get("trace", 0) < r["n_true"]
                or r.get("ep", 0) < r["n_true"]
            )
            if bad or r.get("class_ok") is False:
                print(" ", {k: v for k, v in r.items() if k != "cpu"})


if __name__ == "__main__":
    main()

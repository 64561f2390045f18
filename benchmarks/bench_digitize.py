"""Accuracy and speed of ``voltlens.digitize`` on a held-out synthetic set (and the real figures).

Samples come from ``voltlens.synth.sample.generate_sample(i, seed=SEED, config=SynthConfig())``
— rendered figures of every style the renderer draws, 30 % of them degraded (screenshots, web
JPEGs, scans, photos) — with their exact pixel ↔ data transform and the data behind them.  Seeds
≥ 900000 are the held-out benchmark; development used other seeds.

Metrics (all against the truth, never against our own earlier output):

- calibration: both axes within 0.5 % of their range (max error over the interior of each axis,
  in displayed sign; a refusal or a wrong unit counts as a failure);
- curve error: per image, the mean over its curves of max(median distance recovered → true
  polyline, median distance true points → recovered points), each axis scaled by its range;
  reported as median and 95th percentile over images (unreadable images excluded, counted apart);
- Ep: potentials of each true curve's maximum and minimum within 1 % of the potential range
  (counted where the extreme is a well-defined peak: the true points within 2 % of the current
  range from it span at most 4 % of the potential range — not a plateau, clipped top or noise);
- number of curves right; conventions (inverted axis, cathodic-up) right; technique right;
- seconds per image (wall and CPU, this process only).

    python benchmarks/bench_digitize.py --n 300                  # held-out seed 900001
    python benchmarks/bench_digitize.py --n 100 --seed 7 --verbose
    python benchmarks/bench_digitize.py --real tests/data/real/figures
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HELDOUT = 900001


def _truth_curves(label: dict, measured: tuple) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for c in label["render_meta"]["curves"]:
        v = measured[c["source"]]
        e, i = np.asarray(v.potential), np.asarray(v.current)
        if c.get("cycle") is not None and v.cycle is not None:
            sel = np.asarray(v.cycle) == c["cycle"]
            e, i = e[sel], i[sel]
        out.append((e, i))
    return out


def _densify(e: np.ndarray, i: np.ndarray, step: float) -> np.ndarray:
    pts = np.column_stack([e, i])
    seg = np.diff(pts, axis=0)
    length = np.nan_to_num(np.hypot(seg[:, 0], seg[:, 1]), nan=0.0, posinf=0.0)
    n = np.clip(np.ceil(length / step), 1, 200).astype(int)  # capped: a wildly wrong curve stays cheap
    out = [pts[:1]]
    for k in range(seg.shape[0]):
        t = (np.arange(1, n[k] + 1) / n[k])[:, None]
        out.append(pts[k] + t * seg[k])
    return np.concatenate(out)


def _curve_error(
    true: tuple[np.ndarray, np.ndarray], mine: tuple[np.ndarray, np.ndarray], xr: float, yr: float
) -> float:
    from scipy.spatial import cKDTree

    te, ti = true[0] / xr, true[1] / yr
    me, mi = mine[0] / xr, mine[1] / yr
    tp = _densify(te, ti, 0.001)
    mp = _densify(me, mi, 0.001) if me.size > 1 else np.column_stack([me, mi])
    d_prec = cKDTree(tp).query(np.column_stack([me, mi]))[0]
    d_rec = cKDTree(mp).query(np.column_stack([te, ti]))[0]
    return float(max(np.median(d_prec), np.median(d_rec)))


def _match(true_c: list, mine_c: list, xr: float, yr: float) -> list[tuple[int, int, float]]:
    from scipy.optimize import linear_sum_assignment

    if not true_c or not mine_c:
        return []
    cost = np.array([[_curve_error(t, m, xr, yr) for m in mine_c] for t in true_c])
    r, c = linear_sum_assignment(cost)
    return [(int(a), int(b), float(cost[a, b])) for a, b in zip(r, c, strict=True)]


def _same_text(a: str | None, b: str | None) -> bool:
    """Legend texts equal up to spacing, case and the µ/u spelling."""
    if a is None or b is None:
        return False

    def norm(t: str) -> str:
        return "".join(t.split()).lower().replace("μ", "u").replace("µ", "u").replace("$\\mu$", "u")

    return norm(a) == norm(b)


def evaluate(index: int, seed: int, verbose: bool) -> dict:
    from voltlens.digitize import digitize
    from voltlens.errors import DigitizeError
    from voltlens.render.transform import PixelTransform
    from voltlens.synth.config import SynthConfig
    from voltlens.synth.sample import generate_sample

    try:
        s = generate_sample(index, seed=seed, config=SynthConfig())
    except Exception as exc:  # the renderer refuses some random styles
        return {"index": index, "skipped": f"{type(exc).__name__}: {exc}"}
    lab = s.label
    meta = lab["render_meta"]
    tr = PixelTransform.from_dict(lab["transform"])
    xa, ya = meta["x_axis"], meta["y_axis"]
    neg = -1.0 if ya.get("negated") else 1.0
    xlo, xhi = (v * xa["scale"] for v in xa["limits"])
    ylo, yhi = (v * ya["scale"] * neg for v in ya["limits"])
    xr, yr = abs(xhi - xlo), abs(yhi - ylo)
    row: dict = {"index": index, "n_true": len(meta["curves"]), "technique": lab["technique"]}
    row["kind"] = (lab.get("degradation") or {}).get("kind") or "none"
    row["theme"] = lab["style"]["theme"]
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        fig = digitize(s.png, source=f"{seed}/{index}")
    except DigitizeError as exc:
        row.update(refused=str(exc), seconds=time.perf_counter() - t0, cpu=time.process_time() - c0)
        return row
    except Exception as exc:  # a bug: count it as a refusal, but say so loudly
        import traceback

        traceback.print_exc()
        row.update(refused=f"CRASH {type(exc).__name__}: {exc}", seconds=time.perf_counter() - t0, cpu=0.0)
        return row
    row.update(seconds=time.perf_counter() - t0, cpu=time.process_time() - c0)
    # calibration, displayed sign
    sign = -1.0 if fig.digitization.conventions.get("cathodic_up") else 1.0
    es = np.linspace(min(xlo, xhi), max(xlo, xhi), 7)[1:-1]
    is_ = np.linspace(min(ylo, yhi), max(ylo, yhi), 7)[1:-1]
    px, py = tr.to_pixel(es, np.full(es.size, 0.5 * (ylo + yhi)))
    e_me, _ = fig.pixel_to_data(px, py)
    px, py = tr.to_pixel(np.full(is_.size, 0.5 * (xlo + xhi)), is_)
    _, i_me = fig.pixel_to_data(px, py)
    row["cal_x"] = float(np.max(np.abs(e_me - es)) / xr * 100)
    row["cal_y"] = float(np.max(np.abs(sign * i_me - neg * is_)) / yr * 100)
    # conventions
    row["inverted_ok"] = fig.digitization.conventions["potential_axis_inverted"] == bool(xa.get("inverted"))
    row["cathodic_ok"] = bool(fig.digitization.conventions.get("cathodic_up")) == bool(ya.get("negated"))
    # curves
    true_c = _truth_curves(lab, s.measured)
    mine_c = [(np.asarray(c.potential), np.asarray(c.current)) for c in fig.curves]
    row["n_found"] = len(mine_c)
    matches = _match(true_c, mine_c, xr, yr)
    row["curve_err"] = float(np.mean([m[2] for m in matches])) * 100 if matches else float("nan")
    ep_ok, ep_n = 0, 0
    for a, b, _ in matches:
        (te, ti), (me, mi) = true_c[a], mine_c[b]
        for f in (np.argmax, np.argmin):
            # a well-defined peak: the points within 2 % (of the current range) of the extreme lie
            # within 1 % of the potential range (not a plateau, a clipped top or the noise band)
            near = np.abs(ti - ti[f(ti)]) <= 0.02 * np.ptp(ti)
            if np.ptp(te[near]) > 0.04 * xr:
                continue
            ep_n += 1
            ep_ok += abs(te[f(ti)] - me[f(mi)]) <= 0.01 * xr
    row["ep_ok"], row["ep_n"] = ep_ok, ep_n
    # legends: on multi-curve figures with a legend, every curve's legend text read right
    labels_true = [c.get("label") for c in meta["curves"]]
    if len(true_c) >= 2 and lab["style"].get("legend", "none") != "none" and all(labels_true):
        got = {a: fig.legend_labels[b] for a, b, _ in matches}
        right = [_same_text(labels_true[a], got.get(a)) for a in range(len(true_c))]
        row["legend_ok"] = all(right)
        row["legend_entries_ok"], row["legend_entries_n"] = sum(right), len(right)
    row["tech_ok"] = all(c.technique.value == lab["technique"] for c in fig.curves)
    row["confidence"] = fig.digitization.confidence
    if verbose:
        row["warnings"] = list(fig.digitization.warnings)
    return row


def real_figures(folder: Path) -> list[dict]:
    """Digitize each ``*_plot.png`` and compare with the CSV beside it (CHI-style text)."""
    from voltlens import io as vio
    from voltlens.digitize import digitize

    rows = []
    for png in sorted(folder.glob("*.png")):
        csv = png.with_name(png.name.replace("_plot.png", ".csv"))
        if not csv.exists():
            continue
        [truth] = vio.read(csv)
        t0 = time.perf_counter()
        fig = digitize(png)
        secs = time.perf_counter() - t0
        e, i = np.asarray(truth.potential), np.asarray(truth.current)
        rep = fig.digitization  # the axis ranges of the figure, as read from it
        xr = rep.x_axis.range_si[1] - rep.x_axis.range_si[0]
        yr = rep.y_axis.range_si[1] - rep.y_axis.range_si[0]
        errs = [
            _curve_error((e, i), (np.asarray(c.potential), np.asarray(c.current)), xr, yr) for c in fig.curves
        ]
        rows.append(
            {"file": png.name, "n_found": len(fig.curves), "curve_err": 100 * min(errs), "seconds": secs}
        )
    return rows


def _pct(rows: list[dict], key: str, ok) -> str:  # type: ignore[no-untyped-def]
    vals = [ok(r[key]) for r in rows if key in r]
    return f"{100 * np.mean(vals):.1f}% of {len(vals)}" if vals else "n/a"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=HELDOUT)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (timings are per process)")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--real", type=Path, default=None, help="folder of real *_plot.png + .csv pairs")
    ap.add_argument("--dump", type=Path, default=None, help="write one JSON line per image here")
    args = ap.parse_args()
    if args.real is not None:
        rows = real_figures(args.real)
        for r in rows:
            print(
                f"{r['file']}: {r['n_found']} curve(s), curve error {r['curve_err']:.2f}% of range, {r['seconds']:.2f} s"
            )
        if rows:
            print(
                f"real figures: median curve error {statistics.median(r['curve_err'] for r in rows):.2f}% of range"
            )
        return
    idx = range(args.start, args.start + args.n)
    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(evaluate, idx, [args.seed] * len(idx), [args.verbose] * len(idx)))
    else:
        rows = [evaluate(i, args.seed, args.verbose) for i in idx]
    if args.dump is not None:
        import json

        with args.dump.open("w") as fh:
            for r in rows:
                fh.write(
                    json.dumps({k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}) + "\n"
                )
    skipped = [r for r in rows if "skipped" in r]
    rows = [r for r in rows if "skipped" not in r]
    done = [r for r in rows if "refused" not in r]
    if args.verbose:
        for r in rows:
            bad = (
                "refused" in r
                or r["cal_x"] > 0.5
                or r["cal_y"] > 0.5
                or r["n_found"] != r["n_true"]
                or not (r["curve_err"] <= 1.5)
            )
            if bad:
                print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()})
    n = len(rows)
    cal_ok = [("refused" not in r) and r["cal_x"] <= 0.5 and r["cal_y"] <= 0.5 for r in rows]
    errs = [r["curve_err"] for r in done if np.isfinite(r["curve_err"])]
    ep_ok = sum(r["ep_ok"] for r in done)
    ep_n = sum(r["ep_n"] for r in done)
    print(
        f"seed {args.seed}, samples {args.start}..{args.start + args.n - 1}: {n} images ({len(skipped)} not renderable)"
    )
    print(f"refused (DigitizeError): {n - len(done)} ({100 * (n - len(done)) / max(n, 1):.1f}%)")
    print(f"both axes calibrated within 0.5% of range: {100 * np.mean(cal_ok):.1f}% (target ≥ 98%)")
    print(
        f"  x within 0.5%: {_pct(done, 'cal_x', lambda v: v <= 0.5)}; y within 0.5%: {_pct(done, 'cal_y', lambda v: v <= 0.5)}"
    )
    if errs:
        print(
            f"curve error (% of axis range): median {np.median(errs):.3f} (target ≤ 0.5), "
            f"95th percentile {np.percentile(errs, 95):.3f} (target ≤ 1.5), over {len(errs)} digitized images"
        )
    print(
        f"Ep within 1% of the potential range: {100 * ep_ok / max(ep_n, 1):.1f}% of {ep_n} peaks (target ≥ 95%)"
    )
    n_ok = [("refused" not in r) and r["n_found"] == r["n_true"] for r in rows]
    print(f"number of curves right: {100 * np.mean(n_ok):.1f}% (target ≥ 97%)")
    print(
        f"inverted potential axis right: {_pct(done, 'inverted_ok', bool)}; cathodic-up right: {_pct(done, 'cathodic_ok', bool)}"
    )
    print(f"technique right (all curves): {_pct(done, 'tech_ok', bool)}")
    leg = [r for r in rows if "legend_ok" in r]
    ent = sum(r["legend_entries_ok"] for r in leg), sum(r["legend_entries_n"] for r in leg)
    print(
        f"legends read right on multi-curve figures with a legend: {_pct(leg, 'legend_ok', bool)} "
        f"(entries: {ent[0]} of {ent[1]})"
    )
    secs = [r["seconds"] for r in rows]
    cpus = [r["cpu"] for r in rows]
    print(
        f"seconds per image: median {np.median(secs):.2f} wall, {np.median(cpus):.2f} CPU (jobs={args.jobs})"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()

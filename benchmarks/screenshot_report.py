"""Render an ECBench run report to HTML and screenshot it with headless Chromium.

    python benchmarks/screenshot_report.py --run RUN_DIR [--bench BENCH_DIR] [--png docs/img/bench-report.png]
    python benchmarks/screenshot_report.py --demo [--n 8] [--seed 3]      # no run at hand: a demo run

``--demo`` builds a real bench (``voltlens.bench.build``) and runs the ``replay`` backend on answers that
are the truth except for planted mistakes of every kind (shifted, missed and spurious peaks, ×10³ units,
flipped signs, swapped categories, refusals, chatty text) with stated confidences, scored by the real
scorer, so every section of the report has content.  Chromium (Debian package ``chromium``) is needed only here, never by the tests.  The screenshot
is taken at ``--window-size`` (default 1400×2400) and written to ``--png``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from voltlens.bench.report import overlay_marks, write_report

ROOT = Path(__file__).resolve().parents[1]
CATEGORICAL = ("reversibility", "mechanism", "regime", "trend")
MODES = (
    "missed_peak",
    "spurious_peak",
    "unit_scale",
    "wrong_value",
    "baseline_confusion",
    "refusal",
    "unparseable",
)


def _flip(x: Any, fn: Any) -> bool:
    """Apply ``fn`` to the first number-valued quantity found in ``x`` (in place); True when one was found."""
    if isinstance(x, dict):
        if isinstance(x.get("value"), float):
            x["value"] = fn(x["value"])
            return True
        return any(_flip(v, fn) for v in x.values())
    if isinstance(x, list):
        return any(_flip(v, fn) for v in x)
    return False


def _planted(item: dict, rng: np.random.Generator) -> str:
    """A wrong answer of a kind a real reader makes: shifted, missed or spurious peaks, ×10³ units, a
    flipped sign, a swapped category, a refusal or chatty text without the number."""
    truth = json.loads(json.dumps(item["truth"]))
    props = item["answer_schema"].get("properties", {})
    for f in CATEGORICAL:
        if f in props and "enum" in props[f]:
            truth[f] = str(rng.choice([v for v in props[f]["enum"] if v != truth[f]]))
            return json.dumps(truth)
    kind = str(rng.choice(["shift", "scale", "sign", "refuse", "chat", "drop", "extra"]))
    peaks = truth.get("peaks") if isinstance(truth.get("peaks"), list) else None
    if kind == "refuse":
        return "I'm sorry, I cannot determine that from this image."
    if kind == "chat":
        return "The voltammogram shows some redox activity in the middle of the window."
    if peaks and kind == "drop" and len(peaks) > 1:
        peaks.pop(int(rng.integers(len(peaks))))
    elif peaks and kind == "extra":
        peaks.append(json.loads(json.dumps(peaks[-1])))
        peaks[-1]["potential"]["value"] += 0.25
    elif peaks:
        k = int(rng.integers(len(peaks)))
        peaks[k]["potential"]["value"] = round(peaks[k]["potential"]["value"] + 0.06, 4)
    elif not _flip(truth, {"scale": lambda v: v * 1e3, "sign": lambda v: -v}.get(kind, lambda v: v * 1.5)):
        return "The answer is unclear from the figure."
    return json.dumps(truth)


def demo_run(out: Path, *, n: int, seed: int, p_wrong: float = 0.12) -> Path:
    """A real bench (``build_bench``) answered by the ``replay`` backend from planted answers, scored by
    the real scorer (``run_bench``): the truth mostly, planted mistakes otherwise, with confidences."""
    from voltlens.bench.backends import get_backend
    from voltlens.bench.build import build_bench
    from voltlens.bench.run import run_bench

    bench = out / "bench"
    build_bench(bench, n=n, seed=seed)
    rng = np.random.default_rng(seed)
    labels = {d["id"]: d for d in map(json.loads, (bench / "labels.jsonl").read_text().splitlines())}
    rows = []
    for line in (bench / "items.jsonl").read_text().splitlines():
        it = json.loads(line)
        hard = it["skill"] in ("curve_comparison", "reversibility", "peak_detection")
        wrong = rng.random() < p_wrong * (2.0 if hard else 1.0)
        text = _planted(it, rng) if wrong else json.dumps(it["truth"])
        label = labels.get(it["sample"])
        evidence = None
        if label is not None:  # what an engine would say it measured: curve 0's true peaks, slightly off
            marks = overlay_marks({"template": "peaks.count"}, {}, label)
            evidence = {
                "peaks": [
                    {
                        "potential_V": m.potential_V + float(rng.normal(0, 0.008)),
                        "current_A": m.current_A,
                        "baseline_A": 0.0,  # the current is where the curve is
                        "direction": m.direction,
                    }
                    for m in marks
                    if m.current_A is not None
                ]
            }
        conf = float(rng.beta(3, 3) if wrong else rng.beta(8, 2))
        rows.append({"id": it["id"], "raw": text, "confidence": conf, "evidence": evidence})
    replay = out / "planted.jsonl"
    replay.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = out / "run"
    run_bench(
        bench, get_backend("replay", predictions=replay, model="planted-errors"), out=run, use_cache=False
    )
    return run


def screenshot(html: Path, png: Path, *, size: str) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        sys.exit("chromium not found: apt-get install -y chromium")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={size}",
            html.resolve().as_uri(),
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", type=Path, help="a run directory (voltlens bench run … --out RUN_DIR)")
    ap.add_argument("--bench", type=Path, help="its bench directory, when run.json does not name it")
    ap.add_argument("--demo", action="store_true", help="build a demo bench and run with planted mistakes")
    ap.add_argument("--n", type=int, default=120, help="demo: items")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--html", type=Path, help="where the report goes (default RUN_DIR/report.html)")
    ap.add_argument("--png", type=Path, default=ROOT / "docs/img/bench-report.png")
    ap.add_argument("--window-size", default="1400,2400")
    args = ap.parse_args()
    if (args.run is None) == (not args.demo):
        ap.error("give exactly one of --run RUN_DIR or --demo")
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run
        bench = args.bench
        if args.demo:
            run = demo_run(Path(tmp), n=args.n, seed=args.seed)
        t0 = time.process_time()
        html = write_report(run, bench_dir=bench, out=args.html)
        print(f"report: {html} ({html.stat().st_size / 1e6:.2f} MB, {time.process_time() - t0:.2f} s CPU)")
        screenshot(html, args.png, size=args.window_size)
        if args.html is None and args.demo:
            keep = args.png.with_suffix(".html")
            print(f"(demo report not kept; pass --html {keep} to keep it)")
    print(f"screenshot: {args.png}")


if __name__ == "__main__":
    main()

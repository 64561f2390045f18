"""Throughput and peak memory of ``voltlens synth``.

Runs the real CLI in a subprocess (so its RSS is measured alone) for a few worker counts and
prints samples/s and the peak resident memory of the process tree's largest member.

    python benchmarks/bench_synth.py --n 200 --workers 1 2
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(n: int, workers: int, seed: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "voltlens.cli",
            "synth",
            "--n",
            str(n),
            "--out",
            tmp,
            "--seed",
            str(seed),
        ]
        cmd += ["--workers", str(workers)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        elapsed = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_kb = after.ru_maxrss
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        lines = (Path(tmp) / "labels.jsonl").read_text().splitlines()
        assert len(lines) == n, f"expected {n} labels, got {len(lines)}"
    return n / elapsed, peak_kb / 1024.0, cpu / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = {}
    for w in args.workers:
        rates, rss, cpus = [], [], []
        for r in range(args.repeats):
            rate, peak, cpu = run_once(args.n, w, seed=1000 + r)
            rates.append(rate)
            rss.append(peak)
            cpus.append(cpu)
        cpu = statistics.median(cpus)
        results[w] = {
            "samples_per_s_median": statistics.median(rates),
            "cpu_s_per_sample_median": cpu,
            "cpu_bound_samples_per_s": w / cpu,
            "peak_rss_MB_max": max(rss),
            "runs": rates,
        }
        print(
            f"workers={w}: {statistics.median(rates):.1f} samples/s wall (median of {args.repeats}); "
            f"{cpu * 1000:.0f} ms CPU per sample (incl. start-up) -> {w / cpu:.1f} samples/s on {w} free cores; "
            f"peak RSS of the largest process {max(rss):.0f} MB"
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

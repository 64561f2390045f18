"""Benchmark the figure renderer: median ms per render and per degrade, and synth throughput.

    python benchmarks/bench_render.py [--n 200] [--seed 0] [--workers 2]

Curves are the quick fake CVs of tests/render/render_fakes.py; styles and degradations are drawn
with sample_style / sample_degradation, so sizes follow the synth distribution (300–2400 px).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from voltlens.render import degrade, encode_png, render, sample_degradation, sample_style

_FAKES = Path(__file__).resolve().parents[1] / "tests" / "render" / "render_fakes.py"


@functools.cache
def _fakes():
    spec = importlib.util.spec_from_file_location("render_fakes", _FAKES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _curves(fakes, rng: np.random.Generator) -> list:
    u = rng.random()
    if u < 0.35:
        return fakes.fake_series(rng, int(rng.integers(2, 6)))
    if u < 0.5:
        return [fakes.fake_cv(rng, cycles=3)]
    return [fakes.fake_cv(rng)]


def _one_sample(seed: int) -> int:
    """What a synth worker does per sample: draw, render, degrade, encode."""
    fakes = _fakes()
    rng = np.random.default_rng(seed)
    curves = _curves(fakes, rng)
    r = render(curves, sample_style(rng, n_curves=len(curves)))
    d = degrade(r, sample_degradation(rng), rng=rng)
    return len(encode_png(d.image, compress_level=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    fakes = _fakes()
    rng = np.random.default_rng(args.seed)
    render([fakes.fake_cv(rng)], sample_style(rng))  # warm font and mathtext caches

    t_render, t_degrade, t_png, pixels = [], [], [], []
    cpu_render, cpu_degrade = [], []
    t_default = []
    for _ in range(args.n):
        curves = _curves(fakes, rng)
        style = sample_style(rng, n_curves=len(curves))
        c0, t0 = time.process_time(), time.perf_counter()
        r = render(curves, style)
        c1, t1 = time.process_time(), time.perf_counter()
        d = degrade(r, sample_degradation(rng), rng=rng)
        c2, t2 = time.process_time(), time.perf_counter()
        encode_png(d.image, compress_level=2)
        t3 = time.perf_counter()
        t_render.append(t1 - t0)
        t_degrade.append(t2 - t1)
        t_png.append(t3 - t2)
        cpu_render.append(c1 - c0)
        cpu_degrade.append(c2 - c1)
        pixels.append(r.image.shape[0] * r.image.shape[1])
    plain = [fakes.fake_cv(rng)]
    for _ in range(min(args.n, 50)):
        t0 = time.perf_counter()
        render(plain, sample_style(rng, overrides={"theme": "matplotlib", "dpi": 100, "width_in": 6.4}))
        t_default.append(time.perf_counter() - t0)

    ms = lambda ts: 1e3 * float(np.median(ts))  # noqa: E731
    p90 = lambda ts: 1e3 * float(np.percentile(ts, 90))  # noqa: E731
    print(f"samples: {args.n}, median image {np.median(pixels) / 1e6:.2f} Mpx")
    print(
        f"render   median {ms(t_render):6.1f} ms   p90 {p90(t_render):6.1f} ms   "
        f"mean {1e3 * np.mean(t_render):6.1f} ms   CPU median {ms(cpu_render):6.1f} ms   (sampled styles)"
    )
    print(f"render   median {ms(t_default):6.1f} ms   (640x480 matplotlib-like, one curve)")
    print(
        f"degrade  median {ms(t_degrade):6.1f} ms   p90 {p90(t_degrade):6.1f} ms   "
        f"mean {1e3 * np.mean(t_degrade):6.1f} ms   CPU median {ms(cpu_degrade):6.1f} ms"
    )
    print(f"png      median {ms(t_png):6.1f} ms   (compress_level=2, as the synth writes)")

    if args.workers > 0:
        n = max(args.n, 4 * args.workers)
        with ProcessPoolExecutor(args.workers) as pool:
            list(pool.map(_one_sample, range(2 * args.workers)))  # start and warm the workers
            t0 = time.perf_counter()
            list(pool.map(_one_sample, range(args.seed, args.seed + n), chunksize=4))
            dt = time.perf_counter() - t0
        print(f"synth    {n / dt:6.1f} samples/s with {args.workers} workers (render + degrade + png)")


if __name__ == "__main__":
    main()

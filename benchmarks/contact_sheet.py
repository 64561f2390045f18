"""Tile random renders (and degraded ones) into a contact sheet for people to look at.

    python benchmarks/contact_sheet.py [--n 24] [--seed 0] [--theme origin] [--degrade] [--out /tmp/contact.png]

Curves are the quick fake CVs/DPVs of tests/render/render_fakes.py.  With ``--degrade`` the
predicted data points (from the transform) are overlaid in magenta so misalignment would show.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

from voltlens.render import contact_sheet, degrade, render, sample_degradation, sample_style

_FAKES = Path(__file__).resolve().parents[1] / "tests" / "render" / "render_fakes.py"


def _fakes():
    spec = importlib.util.spec_from_file_location("render_fakes", _FAKES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _curves(fakes, rng: np.random.Generator) -> list:
    refs = ["Ag/AgCl", "SCE", "Fc/Fc+", "RHE", "Ag/Ag+", "Hg/HgO", None]
    ref = refs[int(rng.integers(len(refs)))]
    u = rng.random()
    if u < 0.3:
        return fakes.fake_series(rng, int(rng.integers(2, 6)))
    if u < 0.45:
        return [fakes.fake_cv(rng, cycles=int(rng.integers(2, 4)), reference=ref)]
    if u < 0.55:
        return [fakes.fake_dpv(rng, reference=ref)]
    if u < 0.65:
        return [fakes.fake_cv(rng, reference=ref, density=True)]
    return [fakes.fake_cv(rng, reference=ref)]


def _mark(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = image.copy()
    for xi, yi in zip(np.floor(x).astype(int), np.floor(y).astype(int), strict=True):
        if 1 <= xi < out.shape[1] - 1 and 1 <= yi < out.shape[0] - 1:
            out[yi - 1 : yi + 2, xi - 1 : xi + 2] = (255, 0, 255)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--theme", default=None)
    ap.add_argument("--degrade", action="store_true")
    ap.add_argument("--ncols", type=int, default=6)
    ap.add_argument("--cell", type=int, default=400)
    ap.add_argument("--out", default="/tmp/contact.png")
    args = ap.parse_args()
    fakes = _fakes()
    rng = np.random.default_rng(args.seed)
    images, captions = [], []
    for k in range(args.n):
        curves = _curves(fakes, rng)
        style = sample_style(
            rng, n_curves=len(curves), overrides={"theme": args.theme} if args.theme else None
        )
        r = render(curves, style)
        caption = f"{k} {style.theme} {r.image.shape[1]}x{r.image.shape[0]} {style.convention}"
        if args.degrade:
            spec = sample_degradation(rng)
            r = degrade(r, spec, rng=rng)
            x, y = r.transform.to_pixel(curves[0].potential[::20], curves[0].current[::20])
            images.append(_mark(r.image, x, y))
            caption += f" {spec.kind}"
        else:
            images.append(r.image)
        captions.append(caption)
    sheet = contact_sheet(images, ncols=args.ncols, cell_px=args.cell, captions=captions)
    Image.fromarray(sheet).save(args.out)
    print(args.out)


if __name__ == "__main__":
    main()

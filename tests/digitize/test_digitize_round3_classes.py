"""Round-3 failure classes of the digitizer, on figures drawn here with matplotlib (seeded data,
pinned styles): the truth is what was drawn — how many curves, and their values.  Monochrome
series told apart only by line style, drawn over one shared flat baseline (the blank under the
others), used to come back as one curve."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from voltlens.digitize import digitize

from . import conftest  # noqa: F401  (skips without the image extra)

STYLES = ["-", "--", ":", "-."]
SOLID = ["-"] * 4


def _png(draw: Callable[[Any], None]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 4.5), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    draw(fig.add_subplot())
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _errors(result: Any, truths: list[tuple[np.ndarray, np.ndarray]]) -> list[float]:
    """Per true curve, the smallest 95th-percentile |error| (fraction of the drawn current range)
    over the recovered curves, each recovered curve used once."""
    span = max(float(np.ptp(np.concatenate([i for _, i in truths]))), 1e-30)
    free = list(range(len(result.curves)))
    out = []
    for e, i in truths:
        best, best_k = np.inf, -1
        for k in free:
            c = result.curves[k]
            o = np.argsort(c.potential)
            inside = (e >= c.potential.min()) & (e <= c.potential.max())
            if inside.sum() < 0.8 * e.size:
                continue
            got = np.interp(e[inside], c.potential[o], c.current[o])
            err = float(np.percentile(np.abs(got - i[inside]), 95)) / span
            if err < best:
                best, best_k = err, k
        if best_k >= 0:
            free.remove(best_k)
        out.append(best)
    return out


@pytest.mark.parametrize(
    ("seed", "styles"),
    [
        (3, SOLID),
        (11, SOLID),
        pytest.param(
            3,
            STYLES,
            marks=pytest.mark.xfail(
                strict=True,
                reason="dashed/dotted strokes: the count and labels now come back right (see "
                "test_dashed_series_count_and_labels), but steep dashed flanks still miss by 2-2.6 % (p95)",
            ),
        ),
    ],
)
def test_monochrome_dpv_series_on_a_shared_baseline(seed: int, styles: list[str]) -> None:
    """Black DPV peaks of rising height (blank flat) over one shared baseline: every curve comes
    back, each close to what was drawn, the blank included though the others lie over it."""
    rng = np.random.default_rng(seed)
    e = np.linspace(-0.2, 0.6, 400)
    e0 = 0.2 + 0.05 * rng.uniform(-1.0, 1.0)
    heights = np.array([0.0, 1.0, 2.2, 3.6]) * rng.uniform(0.8, 1.2)
    base = 0.2 + 0.8 * (e - 0.2) ** 2  # a gently curved background: a flat one is taken for a gridline
    truths = [(e, 1e-6 * (base + h * np.exp(-(((e - e0) / 0.06) ** 2)))) for h in heights]

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        for k, (pe, pi) in enumerate(truths):
            ax.plot(pe, pi * 1e6, color="black", ls=styles[k], lw=1.5, label=f"{0.5 * k:.1f} mM")
        ax.set_xlabel("E / V")
        ax.set_ylabel("i (µA)")
        ax.legend(loc="upper left")

    result = digitize(_png(draw))
    assert len(result.curves) == len(truths)
    errs = _errors(result, truths)
    assert max(errs) <= 0.02, errs


@pytest.mark.parametrize("seed", [5])
def test_monochrome_nested_cv_series(seed: int) -> None:
    """Black CV loops of rising scan rate, nested, one solid style: four loops come back, each
    close to what was drawn."""
    rng = np.random.default_rng(seed)
    e = np.linspace(-0.1, 0.5, 300)
    e0 = 0.2 + 0.03 * rng.uniform(-1.0, 1.0)
    truths = []
    for k in range(4):
        h = (1.0 + 0.8 * k) * rng.uniform(0.95, 1.05)
        fwd = h * np.exp(-(((e - e0 - 0.03) / 0.06) ** 2)) + 0.15 * h
        rev = -h * np.exp(-(((e - e0 + 0.03) / 0.06) ** 2)) - 0.15 * h
        truths.append((np.concatenate([e, e[::-1]]), 1e-6 * np.concatenate([fwd, rev[::-1]])))

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        for k, (pe, pi) in enumerate(truths):
            ax.plot(pe, pi * 1e6, color="black", ls="-", lw=1.5, label=f"{20 * (k + 1)} mV/s")
        ax.set_xlabel("E / V")
        ax.set_ylabel("i (µA)")
        ax.legend(loc="upper left")

    result = digitize(_png(draw))
    assert len(result.curves) == len(truths)
    # loops are two-valued: compare each loop's anodic and cathodic peak currents
    span = float(np.ptp(np.concatenate([i for _, i in truths])))
    got = sorted((float(c.current.max()), float(c.current.min())) for c in result.curves)
    want = sorted((float(i.max()), float(i.min())) for _, i in truths)
    errs = [max(abs(g[0] - w[0]), abs(g[1] - w[1])) / span for g, w in zip(got, want, strict=True)]
    assert max(errs) <= 0.03, errs

"""Helpers for the digitizer tests: figures with a known truth, and distances to it.

Figures come from the synthetic generator (``voltlens.synth``) with styles pinned per test case:
each carries the exact data ↔ pixel transform of the image and the data that were drawn, so the
digitizer is checked against independent truths, never against its own earlier output.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("rapidocr")

DATA = Path(__file__).parent.parent / "data" / "real" / "figures"


def figure_png(fig: Any) -> bytes:
    """A matplotlib figure as PNG bytes (tight layout, 100 dpi), the figure closed."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


@dataclass(frozen=True)
class Figure:
    image: np.ndarray
    label: dict[str, Any]
    measured: tuple[Any, ...]
    transform: Any

    @property
    def meta(self) -> dict[str, Any]:
        return self.label["render_meta"]

    def ranges(self) -> tuple[float, float]:
        xa, ya = self.meta["x_axis"], self.meta["y_axis"]
        return (
            abs(xa["limits"][1] - xa["limits"][0]) * xa["scale"],
            abs(ya["limits"][1] - ya["limits"][0]) * ya["scale"],
        )

    def truth_curves(self) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for c in self.meta["curves"]:
            v = self.measured[c["source"]]
            e, i = np.asarray(v.potential), np.asarray(v.current)
            if c.get("cycle") is not None and v.cycle is not None:
                sel = np.asarray(v.cycle) == c["cycle"]
                e, i = e[sel], i[sel]
            out.append((e, i))
        return out


def synth_figure(
    seed: int,
    index: int,
    *,
    style: dict[str, Any] | None = None,
    technique: str = "CV",
    kind: str = "single",
    degradation: Any = None,
) -> Figure:
    """A rendered figure (pinned style, technique and series kind) with its truth; ``degradation``
    (a :class:`voltlens.render.Degradation`) is applied on top when given."""
    from PIL import Image

    from voltlens.render import PixelTransform, degrade, render
    from voltlens.render.style import Style
    from voltlens.synth.config import SynthConfig
    from voltlens.synth.sample import generate_sample

    cfg = SynthConfig(
        techniques={technique: 1.0},
        kinds={kind: 1.0},
        style=style or {},
        degradation_probability=0.0,
    )
    s = generate_sample(index, seed=seed, config=cfg)
    label = s.label
    image = np.asarray(Image.open(io.BytesIO(s.png)).convert("RGB"))
    transform = PixelTransform.from_dict(label["transform"])
    if degradation is not None:
        labels = [c["label"] or "" for c in label["render_meta"]["curves"]]
        st = Style.from_dict(label["style"])
        rendered = render(list(s.measured), st, labels=labels if len(s.measured) > 1 else None)
        rendered = degrade(rendered, degradation, rng=np.random.default_rng(index))
        image = np.asarray(rendered.image)
        transform = rendered.transform
        label = {**label, "render_meta": dict(rendered.meta)}
    return Figure(image, label, s.measured, transform)


def calibration_errors(fig: Figure, result: Any) -> tuple[float, float]:
    """Largest error (% of the axis range) of the digitizer's pixel → data map over the interior of
    each axis, compared with the renderer's exact transform (displayed sign for the current)."""
    xa, ya = fig.meta["x_axis"], fig.meta["y_axis"]
    neg = -1.0 if ya.get("negated") else 1.0
    xlo, xhi = (v * xa["scale"] for v in xa["limits"])
    ylo, yhi = (v * ya["scale"] * neg for v in ya["limits"])
    xr, yr = abs(xhi - xlo), abs(yhi - ylo)
    sign = -1.0 if result.digitization.conventions.get("cathodic_up") else 1.0
    es = np.linspace(min(xlo, xhi), max(xlo, xhi), 7)[1:-1]
    is_ = np.linspace(min(ylo, yhi), max(ylo, yhi), 7)[1:-1]
    px, py = fig.transform.to_pixel(es, np.full(es.size, 0.5 * (ylo + yhi)))
    e_me, _ = result.pixel_to_data(px, py)
    px, py = fig.transform.to_pixel(np.full(is_.size, 0.5 * (xlo + xhi)), is_)
    _, i_me = result.pixel_to_data(px, py)
    return (
        float(np.max(np.abs(e_me - es)) / xr * 100),
        float(np.max(np.abs(sign * i_me - neg * is_)) / yr * 100),
    )


def _dense(e: np.ndarray, i: np.ndarray, step: float = 0.001) -> np.ndarray:
    pts = np.column_stack([e, i])
    out = [pts[:1]]
    for a, b in itertools.pairwise(pts):
        n = int(min(200, max(1, np.ceil(np.hypot(*(b - a)) / step))))
        out.append(a + (np.arange(1, n + 1) / n)[:, None] * (b - a))
    return np.concatenate(out)


def curve_error(
    true: tuple[np.ndarray, np.ndarray], mine: tuple[np.ndarray, np.ndarray], xr: float, yr: float
) -> float:
    """Symmetric distance (% of the axis ranges) between a true and a recovered curve: the larger of
    the median distance from recovered points to the true polyline and from true points to the
    recovered polyline."""
    from scipy.spatial import cKDTree

    t = (true[0] / xr, true[1] / yr)
    m = (np.asarray(mine[0]) / xr, np.asarray(mine[1]) / yr)
    d1 = cKDTree(_dense(*t)).query(np.column_stack(m))[0]
    d2 = cKDTree(_dense(*m)).query(np.column_stack(t))[0]
    return float(max(np.median(d1), np.median(d2)) * 100)


def matched_errors(fig: Figure, result: Any) -> list[float]:
    """Curve errors of the best one-to-one matching of true and recovered curves."""
    from scipy.optimize import linear_sum_assignment

    xr, yr = fig.ranges()
    true_c = fig.truth_curves()
    mine = [(c.potential, c.current) for c in result.curves]
    cost = np.array([[curve_error(t, m, xr, yr) for m in mine] for t in true_c])
    r, c = linear_sum_assignment(cost)
    return [float(cost[a, b]) for a, b in zip(r, c, strict=True)]


def planted_figure(
    draw: Any,
    *,
    size: tuple[float, float] = (5.6, 4.2),
    dpi: int = 100,
    facecolor: str = "white",
    rotate_deg: float = 0.0,
    margins: tuple[float, float] = (0.22, 0.2),
) -> tuple[np.ndarray, Any]:
    """A plain-matplotlib figure (``draw(ax)`` plants the situation under test) as an RGB array,
    and its truth: data (x, y) → pixel index (column, row), through the optional rotation.
    ``margins``: the axes' left and bottom, as fractions of the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure
    from PIL import Image

    fig = MplFigure(figsize=size, dpi=dpi, facecolor=facecolor)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    fig.subplots_adjust(left=margins[0], right=0.95, bottom=margins[1], top=0.95)
    draw(ax)
    fig.canvas.draw()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor=facecolor)
    im = Image.open(buf).convert("RGB")
    w, h = im.size
    trans = ax.transData

    def to_pixel(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = trans.transform(np.column_stack([x, y]))
        col, row = d[:, 0] - 0.5, h - d[:, 1] - 0.5
        if rotate_deg:
            # PIL rotates counter-clockwise about the image centre
            cx, cy = w / 2 - 0.5, h / 2 - 0.5
            a = np.radians(rotate_deg)
            dx, dy = col - cx, row - cy
            col = cx + np.cos(a) * dx + np.sin(a) * dy
            row = cy - np.sin(a) * dx + np.cos(a) * dy
        return col, row

    if rotate_deg:
        im = im.rotate(rotate_deg, resample=Image.BICUBIC, fillcolor=facecolor)
    return np.asarray(im), to_pixel


def office_axes(
    ax: Any, *, grid: tuple[str, float], spine: str, xlabel: str, ylabel: str, ink: str = "#595959"
) -> None:
    """Spreadsheet-chart styling: horizontal gridlines only, a bottom axis line only, no tick marks,
    grey tick labels and titles.  ``grid``: (colour, line width)."""
    ax.grid(axis="y", color=grid[0], lw=grid[1])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(spine)
    ax.tick_params(length=0, labelcolor=ink)
    ax.set_xlabel(xlabel, color=ink)
    ax.set_ylabel(ylabel, color=ink)


def layout_errors(
    img: np.ndarray, to_pixel: Any, xlim: tuple, ylim: tuple, *, warp: np.ndarray | None = None
) -> tuple[float, float]:
    """Largest error (% of the axis range) of the layout's pixel → value maps over each axis's
    interior; ``warp``: the homography that took the figure's pixels into ``img`` (a photo)."""
    from voltlens.digitize.layout import analyse_layout

    lay = analyse_layout(img, source="planted")
    hm = np.eye(3) if warp is None else warp
    errs = []
    for axis, lim, other, k in ((lay.x, xlim, ylim, 0), (lay.y, ylim, xlim, 1)):
        vals = np.linspace(*lim, 7)[1:-1]
        mid = np.full(vals.size, 0.5 * sum(other))
        col, row = to_pixel(vals, mid) if k == 0 else to_pixel(mid, vals)
        pts = np.column_stack([col, row, np.ones(col.size)]) @ hm.T  # into the photo
        pts = pts @ lay.homography.T  # and back through the digitizer's rectification
        pix = pts[:, k] / pts[:, 2]
        got = np.asarray(axis.fit.value(pix)) * 10.0**axis.multiplier_exponent
        errs.append(float(np.max(np.abs(got - vals)) / abs(lim[1] - lim[0]) * 100))
    return errs[0], errs[1]


def cv_cycle(e0: float, amp: float, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """A CV-like cycle (µA): an anodic peak on the forward sweep at e0 + 0.03 V, a cathodic one on
    the reverse at e0 − 0.03 V, each with a diffusion tail."""
    e_f = np.linspace(-0.3, 0.5, n)

    def peak(e: np.ndarray, ep: float) -> np.ndarray:
        x = (e - ep) / 0.03
        return np.where(x < 0, np.exp(-0.5 * x**2), 0.35 + 0.65 * np.exp(-0.5 * (x / 2.5) ** 2))

    i_f = amp * peak(e_f, e0 + 0.03)
    e_r = e_f[::-1]
    i_r = -amp * peak(-e_r, -(e0 - 0.03))
    return np.concatenate([e_f, e_r]), np.concatenate([i_f, i_r])


def seeded_cv(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A CV-like closed loop with a peak on each sweep (seeded), in V and µA."""
    t = np.linspace(0.0, 1.0, 400)
    e = np.where(t < 0.5, -1.0 + 4.0 * t, 1.0 - 4.0 * (t - 0.5)) * 0.45 - 0.5
    e0 = rng.uniform(-0.7, -0.3)
    ip = rng.uniform(30.0, 45.0)
    fwd = ip * np.exp(-(((e - e0) / 0.08) ** 2)) + 5.0 * (e + 0.5)
    rev = -ip * np.exp(-(((e - e0 + 0.06) / 0.08) ** 2)) - 4.0
    return e, np.where(t < 0.5, fwd, rev)


def tick_labels(texts: list[str], pos: list[float], score: float = 0.75) -> list[Any]:
    """Tick labels as the OCR would hand them to the axis fit: each text parsed, at pixel ``pos``."""
    from voltlens.digitize.calibrate import TickLabel
    from voltlens.digitize.parse import parse_tick

    out = []
    for t, p in zip(texts, pos, strict=True):
        tick = parse_tick(t)
        assert tick is not None, t
        out.append(TickLabel(p, tick.value, score, t, tick.signed, tick.kind, False))
    return out

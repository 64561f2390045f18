"""The non-faradaic background of a CV or LSV, fitted where the faradaic current is known.

The recorded current is modelled as a background plus the faradaic current,

    y(t) = Σ θ_k φ_k(t) + i_F(t),

with background terms an expert would draw: a smooth function of potential (constant, slope,
curvature), the double-layer charging current A·Cdl·v that changes sign with the sweep direction,
a slow drift linear in time, and solvent/electrolyte onsets rising exponentially towards a turning
potential (the same function of potential on both sweeps).

The background is fitted only where the faradaic current is known without knowing the chemistry:

* before the first wave of the experiment it is zero;
* wherever no wave is active (outside every wave's potential zone) the electrode surface
  concentrations are pinned, so the semi-integral of the faradaic current stays constant and the
  current is the frozen continuation of its own history (Oldham & Myland 2011): with m the
  semi-integral, y − Cont_f(y) = Σ θ_k (φ_k − Cont_f(φ_k)) on each such region after its freeze
  point f.  This is linear in θ, so one least-squares solve gives the whole background, the charging
  step at every turning point and the drift included, from both sweeps at once;
* where a wave's process has stopped (``Region.hold``: an irreversible couple's return sweep past
  the valley after its dying forward current) the faradaic current has died away: zero again;
* where a later sweep comes back over the first sweep's foot (``Region.tail``) the continued
  current may be scaled — a follow-up reaction of the product empties what flows back — so such a
  region gets a term of its own, λ·Cont_f(i_F), the continuation of the faradaic current (its
  current estimate, ``faradaic``) frozen there.  A drift, linear in time, grows; that term decays
  like the tail it scales: a long enough region tells them apart.

Curvature, drift and onset terms carry a weak Gaussian prior (scale: the largest faradaic current)
so that they stay near zero where the data cannot tell them apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .preprocess import Sweeps
from .semiintegral import Weights, causal_convolve, semi_integral, semi_weights

__all__ = ["Basis", "Region", "background_basis", "curve_basis", "fit_background"]

ONSET_WIDTHS_V = (0.015, 0.03, 0.06)
MODEL_ERROR = 0.003  # how far a continued current may stray from pinned, relative to the peak
EDGE_EFOLDS = 2.0  # a foot term needs a region at least this many of its e-folds long


@dataclass(frozen=True, slots=True)
class Region:
    """Rows ``start…stop−1`` where the faradaic current is known: zero (``freeze`` None) or the
    frozen continuation of everything before index ``freeze``."""

    start: int
    stop: int
    freeze: int | None = None
    edge_efold_V: float | None = None  # the foot of the next wave leaks in: exp rise (e-fold, V) at the end
    hold: bool = False  # no process is driven: the faradaic current has died away (zero, as a foot)
    # a later sweep back in the first sweep's foot: the continued current may be scaled (a follow-up
    # reaction of the product empties what flows back), a term of the region's own
    tail: bool = False


@dataclass(frozen=True, slots=True)
class Background:
    """Fitted background: its values at every point and what it is made of."""

    values: np.ndarray
    coef: np.ndarray
    names: tuple[str, ...]
    rms: float  # RMS residual of the fit rows
    basis: np.ndarray  # K×N, the terms at every point
    rows: int = 0  # points fitted
    terms: int = 0  # terms fitted (foot terms included)

    @property
    def uncertainty(self) -> float:
        """Typical standard uncertainty of the fitted background at a point (same unit), twice
        the mean leverage allowance for extrapolating under a wave."""
        return 2.0 * self.rms * math.sqrt(self.terms / max(self.rows, 1))

    def part(self, name: str) -> np.ndarray:
        """The values of one term (zeros when it was not fitted)."""
        if name not in self.names:
            return np.zeros(self.values.size)
        k = self.names.index(name)
        return self.coef[k] * self.basis[k]


def background_basis(e: np.ndarray, sweeps: Sweeps) -> tuple[np.ndarray, tuple[str, ...]]:
    """Every candidate background term (K×N) and its name, for potential ``e`` and its sweeps."""
    n = e.size
    mid, half = 0.5 * (e.max() + e.min()), max(0.5 * float(np.ptp(e)), 1e-6)
    x = (e - mid) / half
    rows = [np.ones(n), x, x * x]
    names = ["offset", "slope", "curvature"]
    if sweeps.count > 1:
        direction = np.empty(n)
        for (a, b), s in zip(sweeps.bounds, sweeps.direction, strict=True):
            direction[a:b] = s
        rows += [direction, np.linspace(-1.0, 1.0, n)]
        names += ["charging", "drift"]
        for side, turn in _turns(e, sweeps):
            for w in ONSET_WIDTHS_V:
                rows.append(np.exp(-np.abs(e - turn) / w))
                names.append(f"onset{side:+d}@{w * 1e3:g}mV")
    return np.vstack(rows), tuple(names)


def _turns(e: np.ndarray, sweeps: Sweeps) -> list[tuple[int, float]]:
    """(+1 / −1, potential) of the turning potentials the experiment reverses at."""
    out = []
    for s in sweeps.direction[:-1]:
        side = int(s)
        if all(o[0] != side for o in out):
            out.append((side, float(e.max() if side > 0 else e.min())))
    return out


def _rows(x: np.ndarray, m: np.ndarray, region: Region, w_diff: Weights) -> np.ndarray:
    """Design rows (K+1 × L) of one region: the signals themselves, or their departure from the
    frozen continuation (semi-derivative of the semi-integral's increment since the freeze)."""
    a, b = region.start, region.stop
    if region.freeze is None:
        return x[:, a:b]
    f = region.freeze
    if region.hold:
        return x[:, a:b]
    dm = m[:, f + 1 : b] - m[:, f : f + 1]
    out = causal_convolve(dm, w_diff)
    return out[:, a - f - 1 :]


def _supported(
    names: tuple[str, ...], rows_at: dict[str, np.ndarray], ends: tuple[float, float]
) -> list[bool]:
    """Which terms the fitted rows can tell apart from the others.  ``rows_at`` holds the rows'
    potentials ``e``, sweeps ``seg``, sweep directions ``dir`` and times ``t`` (−1…1)."""
    e = rows_at["e"]
    span_e = float(np.ptp(e)) if e.size else 0.0
    out = []
    for name in names:
        if name == "offset" or name.startswith(("edge", "tail")):
            ok = True
        elif name == "slope":
            ok = span_e > 0.03
        elif name == "curvature":
            ok = span_e > 0.25
        elif name == "charging":
            # not from tail rows: a step between sweeps there is as well a scale of the continued
            # current (the step is then read off the turning points, see fit_background)
            d = rows_at["dir"][~rows_at["tail"]]
            ok = min(np.sum(d > 0), np.sum(d < 0)) >= 5
        elif name == "drift":
            ok = len(np.unique(rows_at["seg"])) >= 2 and float(np.ptp(rows_at["t"])) > 0.3
        else:  # onset±1@w: needs rows within two widths of that turning potential
            w = float(name.split("@")[1][:-2]) * 1e-3
            turn = ends[1] if name[5] == "+" else ends[0]
            ok = int(np.sum(np.abs(e - turn) < 2 * w)) >= 5
        out.append(ok)
    return out


def _edge_ok(e: np.ndarray, r: Region) -> bool:
    """A foot term only where the region spans at least ``EDGE_EFOLDS`` e-folds of it (a broad
    kinetic wave's foot reaches far back: fitted without its term, a short foot region tilts the
    line drawn under the whole wave)."""
    return bool(r.edge_efold_V) and abs(float(e[r.stop - 1] - e[r.start])) >= EDGE_EFOLDS * float(
        r.edge_efold_V
    )


@dataclass(frozen=True, slots=True)
class Basis:
    """The candidate background terms of one curve and their semi-integrals (computed once)."""

    values: np.ndarray  # K×N
    names: tuple[str, ...]
    semi_integrals: np.ndarray  # K×N
    w_int: Weights  # semi-integration and -differentiation weights, N of each (spectra kept)
    w_diff: Weights


def curve_basis(
    e: np.ndarray, sweeps: Sweeps, *, w_int: Weights | None = None, w_diff: Weights | None = None
) -> Basis:
    """:func:`background_basis` with the semi-integral of every term.  ``w_int``, ``w_diff``: the
    curve's semi-integration and -differentiation weights (order ½ and −½, as long as ``e``), to
    share with the caller (and their spectra with them)."""
    values, names = background_basis(e, sweeps)
    w_int = Weights(semi_weights(e.size, 0.5)) if w_int is None else w_int
    w_diff = Weights(semi_weights(e.size, -0.5)) if w_diff is None else w_diff
    return Basis(values, names, semi_integral(values, w_int), w_int, w_diff)


def _design(y, e, sweeps, regions, exclude, pinned_weight, basis: Basis, faradaic=None):
    """Rows (1+K+J)×R — the data, every basis term, then one foot term per region that has one and
    one scaled-continuation term per tail region (of ``faradaic``, the current estimate) —
    the basis, the names, where the rows lie and the cross-validation fold of every row (a region,
    split at the turning points it spans)."""
    names = basis.names
    edges = [i for i, r in enumerate(regions) if _edge_ok(e, r)]
    tails = [i for i, r in enumerate(regions) if r.tail and r.freeze is not None and not r.hold]
    f = y if faradaic is None else faradaic
    signals = np.vstack([y, f]) if tails else y[None, :]  # f only where a tail region scales it
    m_in = semi_integral(signals, basis.w_int)
    x = np.vstack([signals[:1], basis.values, signals[1:]])
    m = np.vstack([m_in[:1], basis.semi_integrals, m_in[1:]])
    turns = np.array([b for _a, b in sweeps.bounds[:-1]])
    blocks, where, folds = [], [], []
    for i, r in enumerate(regions):
        keep = np.ones(r.stop - r.start, dtype=bool) if exclude is None else ~exclude[r.start : r.stop]
        block = _rows(x, m, r, basis.w_diff)
        if tails:  # the last row: the faradaic current's departure from its frozen continuation
            cont_f = f[r.start : r.stop] - block[-1]
            block = block[:-1]
        # the foot of the next wave: exp(s·(E − E_end)/w), nonzero on this region's rows only
        foot = np.zeros((len(edges), r.stop - r.start))
        if i in edges:
            ee = e[r.start : r.stop]
            foot[edges.index(i)] = np.exp(-np.abs(ee - ee[-1]) / r.edge_efold_V)
        # the continued current itself, scaled: Cont_f(y) = y − (y − Cont_f(y))
        scaled = np.zeros((len(tails), r.stop - r.start))
        if i in tails:
            scaled[tails.index(i)] = cont_f
        block = np.vstack([block, foot, scaled])[:, keep]
        blocks.append(block if r.freeze is None else block * pinned_weight)
        at = np.arange(r.start, r.stop)[keep]
        where.append(at)
        folds.append(2 * len(turns) * i + np.searchsorted(turns, at, side="right"))
    names = (*names, *(f"edge{i}" for i in edges), *(f"tail{i}" for i in tails))
    idx = np.concatenate(where)
    direction = np.repeat(np.array(sweeps.direction, dtype=float), [b - a for a, b in sweeps.bounds])
    rows_at = {
        "e": e[idx],
        "seg": sweeps.segment[idx],
        "dir": direction[idx],
        "t": np.linspace(-1.0, 1.0, e.size)[idx],
        "fold": np.unique(np.concatenate(folds), return_inverse=True)[1],
        "tail": np.concatenate([np.full(w.size, i in tails) for i, w in enumerate(where)]),
    }
    return np.hstack(blocks), basis.values, names, rows_at


def fit_background(
    y: np.ndarray,
    e: np.ndarray,
    sweeps: Sweeps,
    regions: list[Region],
    *,
    noise: float,
    scale: float,
    exclude: np.ndarray | None = None,
    basis: Basis | None = None,
    charging: float | None = None,
    faradaic: np.ndarray | None = None,
) -> Background | None:
    """Least-squares background over ``regions`` (None when they hold too few points).

    Offset, slope and the charging step are always fitted where the rows can tell them apart;
    curvature, drift and onsets enter one at a time, most useful first, only when they predict
    rows they were not fitted to better (leave-one-stretch-out cross-validation, stretches split
    at turning points, so an onset must describe both sides of its turn alike) and lower the
    residual by far more than noise and model error explain (floor: 0.2 % of ``scale``, the
    largest faradaic current).  ``exclude``: points not to use as rows (right after a turning
    point, where the charging current relaxes through Ru·Cdl).  ``charging``: the charging
    coefficient read off the current's jumps at the turning points (the faradaic current is
    continuous there, the charging current changes sign), used where the rows cannot tell it —
    all on sweeps of one direction, so no row sees the charging step.  ``faradaic``: the current
    estimate of the faradaic current (every point), whose frozen continuation a tail region scales.
    """
    regions = [r for r in regions if r.stop - r.start >= 3]
    if sum(r.stop - r.start for r in regions) < 8:
        return None
    # a continued current is only approximately pinned: its rows count less when noise is low
    pinned_weight = noise / float(np.hypot(noise, MODEL_ERROR * scale)) if noise > 0 else 1.0
    basis = basis or curve_basis(e, sweeps)
    rows, basis_values, names, rows_at = _design(
        y, e, sweeps, regions, exclude, pinned_weight, basis, faradaic
    )
    if rows.shape[1] < 8:
        return None
    fixed = 0.0
    if charging is not None and "charging" in names:
        k_chg = names.index("charging")
        if not _supported(names, rows_at, (float(e.min()), float(e.max())))[k_chg]:
            # no row sees the charging step: take it from the jumps at the turning points
            fixed = charging
            rows[0] -= fixed * rows[k_chg + 1]
    sigma2 = max(noise, 0.002 * scale) ** 2 * min(1.0, pinned_weight**2 + 0.1)
    zero = np.concatenate([np.full(r.stop - r.start, r.freeze is None) for r in regions])
    if exclude is not None:
        zero = zero[~np.concatenate([exclude[r.start : r.stop] for r in regions])]
    keep = np.ones(rows.shape[1], dtype=bool)
    for _ in range(MAX_DROPPED + 1):
        at = {k: v[keep] for k, v in rows_at.items()}
        ok = _supported(names, at, (float(e.min()), float(e.max())))
        chosen, coef, rss = _select(rows[:, keep], names, at["fold"], ok, sigma2)
        worst = _worst_stretch(rows[:, keep], chosen, coef, at["fold"], zero[keep], sigma2)
        if worst is None:
            break
        keep[np.flatnonzero(keep)[at["fold"] == worst]] = False
    full = np.zeros(len(names))
    full[chosen] = coef
    if fixed:
        full[names.index("charging")] += fixed
    k = basis_values.shape[0]
    return Background(
        full[:k] @ basis_values,
        full[:k],
        names[:k],
        float(np.sqrt(rss / max(int(keep.sum()), 1))),
        basis_values,
        int(keep.sum()),
        len(chosen),
    )


MAX_DROPPED = 2  # stretches left out when they disagree with the rest


def _select(rows: np.ndarray, names: tuple[str, ...], fold: np.ndarray, ok: list[bool], sigma2: float):
    """(terms, coefficients, residual sum of squares): base terms, then validated extra terms."""
    base = {"offset", "slope", "charging"}
    chosen = [k for k, n in enumerate(names) if (n in base or n.startswith(("edge", "tail"))) and ok[k]]
    grams = _fold_grams(rows, fold)
    total_gram = sum(g for _m, g in grams)
    cv = _cross_validated(rows, fold, grams, chosen)
    coef, rss = _gram_solve(total_gram, chosen)
    while True:
        trials = []
        for k, name in enumerate(names):
            side_taken = name.startswith("onset") and any(names[c][:7] == name[:7] for c in chosen)
            if k in chosen or not ok[k] or side_taken or name in base or name.startswith(("edge", "tail")):
                continue
            ck, rk = _gram_solve(total_gram, [*chosen, k])
            if rss - rk >= 25.0 * sigma2:
                trials.append((rk, k, ck))
        best = None
        # cross-validate only the most promising few (the costly part)
        for rk, k, ck in sorted(trials, key=lambda t: t[0])[:CV_CANDIDATES]:
            cvk = _cross_validated(rows, fold, grams, [*chosen, k])
            # drift only shows as different slopes on sweeps of opposite direction, which no
            # single stretch can predict: it is judged on the residual alone
            validated = cvk < 0.9 * cv or (names[k] == "drift" and rss - rk > 100.0 * sigma2)
            if validated:
                best = (k, ck, rk, cvk)
                break
        if best is None:
            return chosen, coef, rss
        chosen.append(best[0])
        coef, rss, cv = best[1], best[2], best[3]


CV_CANDIDATES = 3  # extra terms cross-validated per step, best in-sample first


def _worst_stretch(rows, chosen, coef, fold, zero, sigma2) -> int | None:
    """The fold of continued-current rows that departs most from the fit, when its mean residual
    is far beyond noise (a wave not yet complete, or a product lost to chemistry: the current is
    not pinned there); None when every stretch agrees."""
    res = rows[0] - coef @ rows[[c + 1 for c in chosen]]
    worst, score = None, 0.0
    folds = np.unique(fold)
    if folds.size < 3:
        return None
    for f in folds:
        mask = fold == f
        if zero[mask].any() or mask.sum() < 5:
            continue
        z = abs(float(np.mean(res[mask]))) / math.sqrt(sigma2 / mask.sum() + 0.25 * sigma2)
        if z > score:
            worst, score = int(f), z
    return worst if score > 6.0 else None


def _fold_grams(rows: np.ndarray, fold: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(mask, Gram matrix of all rows) per fold."""
    out = []
    for f in np.unique(fold):
        mask = fold == f
        r = rows[:, mask]
        out.append((mask, r @ r.T))
    return out


def _cross_validated(rows: np.ndarray, fold: np.ndarray, grams, cols: list[int]) -> float:
    """Sum of squared errors predicting each fold from a fit to all the others (each fold's own
    foot terms fitted to it, since no other fold can tell them) — from the folds' Gram matrices
    alone: with b̃ = (1, −β), the error is b̃ᵀ G_f b̃ less what the fold's own terms explain."""
    del rows, fold  # everything needed is in the Gram matrices
    c = np.array([k + 1 for k in cols])
    idx = np.r_[0, c]
    total_g = sum(g for _m, g in grams)
    rests = [total_g - g for _m, g in grams]
    betas = _solve_sym_many([r[np.ix_(c, c)] for r in rests], [r[c, 0] for r in rests])
    out = 0.0
    for (_mask, g), rest, beta in zip(grams, rests, betas, strict=True):
        bt = np.r_[1.0, -beta]
        gf = g[np.ix_(idx, idx)]
        err = float(bt @ gf @ bt)
        own = [i + 1 for i, k in enumerate(c) if g[k, k] > 0 and rest[k, k] == 0]
        if own:
            v = gf[own] @ bt
            err -= float(v @ _solve_sym(gf[np.ix_(own, own)], v))
        out += max(err, 0.0)
    return out


def _solve_sym(g: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Least-squares solution of the normal equations g·x = b (g symmetric, possibly singular)."""
    d = np.abs(np.diag(g))
    scale = np.where(d > 0, np.sqrt(d), 1.0)
    gs = g / np.outer(scale, scale)
    try:
        return np.linalg.solve(gs + 1e-12 * np.eye(gs.shape[0]), b / scale) / scale
    except np.linalg.LinAlgError:
        return (np.linalg.pinv(gs, rcond=1e-10) @ (b / scale)) / scale


def _solve_sym_many(gs: list[np.ndarray], bs: list[np.ndarray]) -> list[np.ndarray]:
    """:func:`_solve_sym` for several systems of one size at once (one batched solve)."""
    if not gs:
        return []
    g = np.stack(gs)
    d = np.abs(np.diagonal(g, axis1=1, axis2=2))
    scale = np.where(d > 0, np.sqrt(d), 1.0)
    gsc = g / (scale[:, :, None] * scale[:, None, :])
    rhs = np.stack(bs) / scale
    try:
        x = np.linalg.solve(gsc + 1e-12 * np.eye(g.shape[1]), rhs[..., None])[..., 0] / scale
    except np.linalg.LinAlgError:
        return [_solve_sym(a, b) for a, b in zip(gs, bs, strict=True)]
    return list(x)


def _gram_solve(gram: np.ndarray, cols: list[int]) -> tuple[np.ndarray, float]:
    """(coefficients, residual sum of squares) of the data row on the given columns, from the Gram
    matrix of all rows (row 0: the data)."""
    c = np.array([k + 1 for k in cols])
    coef = _solve_sym(gram[np.ix_(c, c)], gram[c, 0])
    rss = float(gram[0, 0] - 2.0 * coef @ gram[c, 0] + coef @ gram[np.ix_(c, c)] @ coef)
    return coef, max(rss, 0.0)

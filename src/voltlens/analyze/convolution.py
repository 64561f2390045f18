"""Convolution (semi-integral) analysis of one redox couple: Nernstian or slow, and how much iR drop.

For planar diffusion the semi-integral M of a couple's faradaic current fixes its surface
concentrations: with equal diffusion coefficients μ = M/M_lim is the converted fraction at the
surface.  A Nernstian couple therefore obeys, on the forward and the return sweep alike,

    E − Ru·i_total = E½ + (RT/nF)·ln(μ/(1 − μ)),

and any hysteresis between the two sweeps at equal μ comes from the iR drop or from slow
electron transfer.  Near equilibrium Butler–Volmer kinetics (α = ½) add the overpotential

    η = (RT/nF) · i / (nFAk0C*·√(μ(1 − μ))) = b · i / (M_lim·√(μ(1 − μ))),   b = √D / (n f k0),

so regressing the applied potential on a smooth function of ln(μ/(1−μ)), on the total current and
on i/(M_lim·√(μ(1−μ))) separates the two: the iR drop grows with the current, the kinetic
overpotential with the current over the exchange current, which is smallest at the ends of the
wave (Imbeaux & Savéant, J. Electroanal. Chem. 1973, 44, 169; Oldham & Myland, Electrochim. Acta
2011, 56, 10612).  The kinetic coefficient gives the Matsuda–Ayabe Λ = k0/√(D n f v) without D, A
or C*.  Follow-up chemistry (EC) and adsorbed layers break the premises; the fit then leaves a
large residual and is not used.

For a solution couple the fit is not linearised: with α = ½ the Butler–Volmer equation at converted
fraction μ and current i solves exactly for the potential,

    E = E½ + (2/nf)·ln{[r + √(r² + 4μ(1−μ))] / (2(1−μ))} + Ru·i_total,   r = i/(M_lim·κ′),

(κ′ = k0/√D; r → 0 is the Nernstian couple), so 1/κ′ is found on a grid and E½, 1/(nf) and Ru by
linear least squares at each grid point, all at once.  The linearised form above, with its cubic in
the logit, traded Ru against the kinetic term (an iR-broadened Nernstian couple came out with
Ru 30 % low and Λ ≈ 2–10); the exact form recovers Ru within a few per cent on exact curves.  The
best purely Nernstian fit is kept too (``nernst_rms_V``, ``nernst_ru_ohm``, ``nernst_n``): the
couple analysis compares the two.  Surface layers keep the linearised regression, fitted with and
without its kinetic term (the latter the ``nernst_*`` fields: a Nernstian layer seen through Ru),
each on the layer's current as given and cleared of the background left under its wave
(:func:`layer_current`), the better fit kept.

The couple's own semi-integral is read from the increments of that of all currents inside its
windows (a neighbour past its wave is pinned there); where that reading fits worse than 3 mV, it is
read again from the couple's own current (:func:`own_current`) and the better fit kept (each
fitted to its own reading, so the residuals compare how well each reading is a single couple) — a
neighbour whose semi-integral relaxes inside the couple's return window (an EC couple whose product
has decayed) bent E(μ) by several mV, read a Nernstian couple's Ru a third too low and hid a slow
couple's kinetics (Λ = ∞).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import f_inverse_volts
from .preprocess import savgol_nearest
from .semiintegral import frozen_continuation, semi_derivative, semi_integral

__all__ = ["CoupleKinetics", "couple_kinetics", "layer_current", "own_current", "own_semi_integral"]

ML_FACTORS = np.linspace(1.0, 1.4, 5)  # M_lim over the plateau reached by the end of the forward wave
MU_RANGE = (0.05, 0.95)
OWN_CURRENT_RMS_V = 0.003  # a reading from increments fitting worse than this: try the couple's own current
MAX_ROWS = 300  # points fitted at most (evenly thinned)


@dataclass(frozen=True, slots=True)
class CoupleKinetics:
    """What the semi-integral analysis of one couple found."""

    ru_ohm: float  # apparent uncompensated resistance (Ω when the current is in A)
    kinetic_V: float  # b (linearised fit) or β = 1/κ′ (exact fit), both in index time; 0: none found
    lam: float  # Matsuda–Ayabe Λ (inf when no kinetic hysteresis is found)
    n: float  # apparent n from the Nernstian slope at μ = ½
    rms_V: float  # residual of the fit
    points: int
    free_ru_ohm: float = math.nan  # Ru and b before negative values were refused
    free_kinetic_V: float = math.nan
    nernst_rms_V: float = math.nan  # residual of the best purely Nernstian (+ iR) fit
    nernst_ru_ohm: float = math.nan  # its Ru
    nernst_n: float = math.nan  # its n
    shape_free_rms_V: float = math.nan  # residual of E = cubic in ln(μ/(1−μ)), both sweeps, no iR


def own_semi_integral(m: np.ndarray, windows: list[tuple[int, int]]) -> np.ndarray:
    """The semi-integral of one couple alone, from that of all currents ``m``: the increments of
    ``m`` inside the couple's windows (index ranges, in time order), held constant between them —
    the other couples' surfaces are pinned while this one's wave runs."""
    out = np.zeros(m.size)
    level = 0.0
    last = 0
    for a, b in windows:
        out[last:a] = level
        out[a:b] = level + (m[a:b] - m[a])
        level = float(out[b - 1])
        last = b
    out[last:] = level
    return out


def couple_kinetics(
    e: np.ndarray,
    faradaic: np.ndarray,
    total: np.ndarray,
    windows: list[tuple[int, int]],
    *,
    dt: float,
    scan_rate: float,
    temperature_K: float,
    min_points: int = 20,
    surface: bool = False,
    smooth_points: int = 1,
) -> CoupleKinetics | None:
    """Semi-integral analysis of one couple whose forward wave runs over ``windows[0]`` and return
    wave over ``windows[1]`` (index ranges).  ``faradaic``: the background-corrected current of the
    whole curve; ``total``: faradaic plus charging current (what flows through Ru); ``dt``: time
    per point (s).  None when the windows hold too few usable points.

    ``surface``: an adsorbed layer, whose charge (not semi-integral) fixes the converted fraction
    θ; ``faradaic`` is then the layer's own current.  The same regression separates iR drop from
    slow (Laviron) electron transfer; Λ is then not the Matsuda–Ayabe parameter but only tells
    whether any kinetic hysteresis is found (inf when none).

    ``smooth_points``: the currents used as regressors are smoothed over this many points first —
    noise in them would otherwise leak the iR term into the kinetic one (errors in variables)."""
    if len(windows) < 2 or dt <= 0 or scan_rate <= 0:
        return None
    windows = _within_forward_span(e, windows)
    opts = dict(
        dt=dt,
        scan_rate=scan_rate,
        temperature_K=temperature_K,
        min_points=min_points,
        surface=surface,
        smooth_points=smooth_points,
    )
    if smooth_points >= 5 and total.size > smooth_points:
        total = savgol_nearest(total, smooth_points, 3)
    if surface:
        fits = []
        cleared = layer_current(faradaic, windows)
        layers = (faradaic,) if np.array_equal(cleared, faradaic) else (faradaic, cleared)
        for layer in layers:
            m_own = own_semi_integral(np.cumsum(layer), windows)
            fits.append(_couple_fit(e, m_own, np.diff(m_own, prepend=0.0), total, windows, **opts))
        got = [k for k in fits if k is not None]
        return min(got, key=lambda k: k.rms_V) if got else None
    m_own = own_semi_integral(semi_integral(faradaic), windows)
    by_increments = _couple_fit(e, m_own, semi_derivative(m_own), total, windows, **opts)
    if by_increments is not None and by_increments.rms_V < OWN_CURRENT_RMS_V:
        return by_increments
    i_held = own_current(faradaic, windows)
    by_current = _couple_fit(e, semi_integral(i_held), i_held, total, windows, **opts)
    if by_current is None or (by_increments is not None and by_increments.rms_V <= by_current.rms_V):
        return by_increments
    return by_current


LAYER_END_POINTS = 3  # points averaged at each end of a layer's wave for its left-over background
LAYER_CHARGE_RATIO = 2.0  # return and forward charges further apart than this are not balanced


def layer_current(current: np.ndarray, windows: list[tuple[int, int]]) -> np.ndarray:
    """An adsorbed layer's own current, cleared of the background left in it: inside each window the
    layer's current (zero outside its wave) less the straight line through its values at the two ends
    of its wave, where a layer that is wholly converted on each sweep carries none (B&F §14.3); then
    each return sweep (charge of the other sign from the first sweep's) scaled to convert the charge
    the forward sweep just before it did (Q = nFAΓ both ways).  A background left under the wave (a few per cent of the
    peak at its ends) otherwise puts the converted fraction off by as much and the fitted Ru a factor
    of several low.  Charges further apart than :data:`LAYER_CHARGE_RATIO` are left unbalanced: a
    layer that does not return what it took (chemically irreversible, desorbing) is not a background
    error, and scaling its small return up would pass off noise as a wave."""
    out = np.array(current, dtype=float)
    q_fwd = None  # the charge of the latest forward sweep
    for a, b in windows:
        nz = np.flatnonzero(out[a:b])
        if nz.size < 4 * LAYER_END_POINTS:
            continue
        s0, s1 = a + int(nz[0]), a + int(nz[-1]) + 1
        m = LAYER_END_POINTS
        head, tail = float(np.mean(out[s0 : s0 + m])), float(np.mean(out[s1 - m : s1]))
        x0, x1 = s0 + 0.5 * (m - 1), s1 - 1 - 0.5 * (m - 1)  # where the two means sit
        out[s0:s1] -= head + (tail - head) * (np.arange(s0, s1) - x0) / (x1 - x0)
        q = float(np.sum(out[a:b]))
        if q == 0.0:  # a straight stretch (flat, pixel-quantised): nothing left to balance
            continue
        if q_fwd is None or q * q_fwd > 0:
            q_fwd = q
        elif 1.0 / LAYER_CHARGE_RATIO <= abs(q_fwd / q) <= LAYER_CHARGE_RATIO:
            out[a:b] *= abs(q_fwd / q)
    return out


def own_current(faradaic: np.ndarray, windows: list[tuple[int, int]]) -> np.ndarray:
    """The current of one couple alone: the measured current inside its windows, and between them the
    current its own surface, frozen at the end of the previous window, would carry
    (:func:`voltlens.analyze.semiintegral.frozen_continuation`); nothing before its first window.

    The companion of :func:`own_semi_integral`, which takes the increments of the semi-integral of all
    currents inside the windows: that is right where a neighbour's surface is pinned there (a Nernstian
    neighbour past its wave, still carrying its diffusion tail), this where a neighbour's semi-integral
    relaxes with no current of its own (an EC neighbour whose product has decayed: its surface refills
    from the bulk while the couple's return wave runs)."""
    out = np.zeros(faradaic.size)
    last = None
    for a, b in windows:
        if last is not None and a > last:
            out[last:a] = frozen_continuation(out, last - 1, a)
        out[a:b] = faradaic[a:b]
        last = b
    if last is not None and last < out.size:
        out[last:] = frozen_continuation(out, last - 1, out.size)
    return out


def _couple_fit(
    e, m_own, i_own, total, windows, *, dt, scan_rate, temperature_K, min_points, surface, smooth_points
):
    """The regressions of :func:`couple_kinetics` on one reading (semi-integral, current) of the couple."""
    if smooth_points >= 5 and i_own.size > smooth_points:
        i_own = savgol_nearest(i_own, smooth_points, 3)
    b0 = windows[0][1]
    plateau = float(m_own[b0 - 1])
    if not np.isfinite(plateau) or abs(plateau) <= 0:
        return None
    sign = math.copysign(1.0, plateau)
    rows = np.concatenate([np.arange(a, b) for a, b in _settled_trimmed(m_own, windows, plateau)])
    rows = rows[:: max(1, rows.size // MAX_ROWS)]
    if not surface and EXACT:
        return _fit_exact(
            e, m_own, i_own, total, rows, plateau, sign, min_points, dt, scan_rate, temperature_K, b0
        )
    best = _fit(e, m_own, i_own, total, rows, plateau, sign, (True, True), min_points)
    free = (math.nan, math.nan) if best is None else (float(best[1][4]), float(best[1][5]))
    if best is not None and (best[1][4] < 0 or best[1][5] < 0):
        # a negative resistance or an anti-kinetic term is unphysical: fit without it
        keep = (best[1][4] >= 0, best[1][5] >= 0)
        best = _fit(e, m_own, i_own, total, rows, plateau, sign, keep, min_points)
    if best is None:
        return None
    rss, coef, count = best
    f = f_inverse_volts(temperature_K)
    slope = float(coef[1])
    n = 1.0 / (f * slope) if slope > 0 else math.nan
    b = max(float(coef[5]), 0.0)
    n_eff = n if np.isfinite(n) and n > 0.3 else 1.0
    lam = 1.0 / (n_eff * f * b * math.sqrt(dt * n_eff * f * scan_rate)) if b > 0 else math.inf
    # the same regression without the kinetic term: a Nernstian layer (or couple) seen through Ru only
    nernst = _fit(e, m_own, i_own, total, rows, plateau, sign, (True, False), min_points)
    if nernst is not None and nernst[1][4] < 0:
        nernst = _fit(e, m_own, i_own, total, rows, plateau, sign, (False, False), min_points)
    n_rms, n_ru, n_n = math.nan, math.nan, math.nan
    if nernst is not None:
        n_rms = math.sqrt(nernst[0] / nernst[2])
        n_ru = max(float(nernst[1][4]), 0.0)
        n_n = 1.0 / (f * float(nernst[1][1])) if nernst[1][1] > 0 else math.nan
    return CoupleKinetics(
        ru_ohm=max(float(coef[4]), 0.0),
        kinetic_V=b,
        lam=lam,
        n=n,
        rms_V=math.sqrt(rss / count),
        points=count,
        free_ru_ohm=free[0],
        free_kinetic_V=free[1],
        nernst_rms_V=n_rms,
        nernst_ru_ohm=n_ru,
        nernst_n=n_n,
    )


def _within_forward_span(e: np.ndarray, windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The windows after the first, each starting where the potential first lies within the span
    of the forward window.  A couple's own return wave runs over the potentials of its forward wave
    (shifted back by ΔEp, not beyond it); a return window that starts at the switching potential
    also holds the return sweep across a later couple's potentials, where that couple's own
    semi-integral changes (an EC couple whose product decays: its converted fraction falls as the
    sweep comes back) — increments that are not this couple's and spoil its E(μ)."""
    a0, b0 = windows[0]
    if b0 - a0 < 2:
        return windows
    lo, hi = float(np.min(e[a0:b0])), float(np.max(e[a0:b0]))
    out = [windows[0]]
    for a, b in windows[1:]:
        inside = np.flatnonzero((e[a:b] >= lo) & (e[a:b] <= hi))
        out.append((a + int(inside[0]), b) if inside.size else (a, b))
    return out


SETTLED_FRACTION = 0.03  # a return sweep's tail whose converted fraction stays this close to its end value


def _settled_trimmed(
    m_own: np.ndarray, windows: list[tuple[int, int]], plateau: float
) -> list[tuple[int, int]]:
    """The windows less the tail of the last one where the semi-integral has settled (stays within
    ``SETTLED_FRACTION`` of the plateau of its final value): there the potential still moves while
    the converted fraction does not, which no E(μ) relation describes — a few per cent of the
    plateau left over at the end of a return sweep (an imperfect background, integrated) would
    otherwise put a long stretch of rows at one μ and spoil the fit."""
    a, b = windows[-1]
    if b - a < 3:
        return windows
    off = np.abs(m_own[a:b] - m_own[b - 1]) > SETTLED_FRACTION * abs(plateau)
    moving = np.flatnonzero(off)
    stop = a + int(moving[-1]) + 2 if moving.size else a + 1
    return [*windows[:-1], (a, min(b, stop))]


EXACT = True  # solution couples: the exact α = ½ Butler–Volmer + iR fit (False: the linearised one)
BETA_GRID = np.concatenate([[0.0], np.geomspace(1e-3, 30.0, 36)])  # 1/κ′ grid, index-time units


def _fit_exact(e, m_own, i_own, total, rows, plateau, sign, min_points, dt, scan_rate, temperature_K, b0):
    """Butler–Volmer (α = ½) with iR drop, solved exactly for the potential at each converted
    fraction μ and current i:  E = E½ + (2/nf)·s·ln{[s·r + √(r² + 4μ(1−μ))] / (2(1−μ))} + Ru·i_total,
    r = β·i/M_lim (β = 1/κ′, κ′ = k0/√D in index time), s the forward sweep's sign.  β is found on
    a grid (β = 0 is the Nernstian couple), E½, 1/(nf) and Ru by linear least squares."""
    best = nernst = None
    shape_free = math.inf
    # every M_lim factor at once: row f of ``keep`` marks the points factor f fits
    ml_all = ML_FACTORS * plateau
    mu_all = m_own[rows][None, :] / ml_all[:, None]
    keep = (mu_all > MU_RANGE[0]) & (mu_all < MU_RANGE[1])
    counts = keep.sum(axis=1)
    use = np.flatnonzero(counts >= min_points)
    if use.size == 0:
        return None
    cols = np.flatnonzero(keep[use].any(axis=0))
    w = keep[np.ix_(use, cols)].astype(float)
    mk = np.where(w > 0, mu_all[np.ix_(use, cols)], 0.5)  # 0.5 where not fitted (weight 0)
    q = 4.0 * mk * (1.0 - mk)
    rel = sign * i_own[rows[cols]][None, :] / np.abs(ml_all[use])[:, None]
    y, tot = e[rows[cols]], total[rows[cols]]
    r = BETA_GRID[None, :, None] * rel[:, None, :]
    g = sign * 2.0 * np.log((r + np.sqrt(r * r + q[:, None, :])) / (2.0 * (1.0 - mk))[:, None, :])
    rss_all, sol_all = _ls_const_g_tot_masked(g, tot, y, w)
    # the shape-free residual, from the point sets that hold both sweeps
    fwd = rows[cols] < b0
    both = np.minimum(w[:, fwd].sum(axis=1), w[:, ~fwd].sum(axis=1)) >= min_points // 2
    if both.any():
        shape_free = float(np.min(_shape_free_rms_masked(y, mk[both], w[both])))
    for i, fi in enumerate(use):
        count = int(counts[fi])
        rss, sol = rss_all[i], sol_all[i]
        k = int(np.argmin(rss))
        if best is None or rss[k] / count < best[0] / best[2]:
            best = (float(rss[k]), sol[k], count, float(BETA_GRID[k]))
        if nernst is None or rss[0] / count < nernst[0] / nernst[2]:  # β = 0: Nernstian
            nernst = (float(rss[0]), sol[0], count)
    if best is None or nernst is None:
        return None
    rss, sol, count, beta = best
    f = f_inverse_volts(temperature_K)
    n = 1.0 / (f * sol[1]) if sol[1] > 0 else math.nan
    n_eff = n if np.isfinite(n) and n > 0.3 else 1.0
    # κ′ = 1/β; Λ = κ′/√(dt·n f v)
    lam = (1.0 / beta) / math.sqrt(dt * n_eff * f * scan_rate) if beta > 0 else math.inf
    return CoupleKinetics(
        ru_ohm=max(float(sol[2]), 0.0),
        kinetic_V=beta,
        lam=lam,
        n=n,
        rms_V=math.sqrt(rss / count),
        points=count,
        nernst_rms_V=math.sqrt(nernst[0] / nernst[2]),
        nernst_ru_ohm=max(float(nernst[1][2]), 0.0),
        nernst_n=1.0 / (f * nernst[1][1]) if nernst[1][1] > 0 else math.nan,
        shape_free_rms_V=shape_free,
    )


def _shape_free_rms(y: np.ndarray, mu: np.ndarray) -> float:
    """Residual (V) of one smooth E(μ) — a cubic in ln(μ/(1−μ)) — through both sweeps, no iR term.

    Nernstian steps, however many and however they overlap (an EE couple whose two waves merge into
    one broad wave), fix the surface concentrations, hence μ, by the potential alone: the forward
    and the return sweep trace the same E(μ), whatever ΔEp the overlap gives (the convolution test
    of reversibility, Imbeaux & Savéant 1973).  Slow electron transfer or iR drop open a hysteresis
    between them that no single E(μ) follows."""
    x = np.log(mu / (1.0 - mu))
    vand = np.column_stack([np.ones_like(x), x, x * x, x**3])
    coef, *_ = np.linalg.lstsq(vand, y, rcond=None)
    return float(np.sqrt(np.mean((y - vand @ coef) ** 2)))


def _shape_free_rms_masked(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:func:`_shape_free_rms` of several point sets at once (``mu``, ``w``: F×N, ``w`` 1 where a
    point belongs to the set), by normal equations with unit-scaled columns (|ln(μ/(1−μ))| ≤ ln 19
    keeps the cubic well conditioned)."""
    x = np.log(mu / (1.0 - mu))
    vand = np.stack([np.ones_like(x), x, x * x, x**3], axis=1)  # F×4×N
    vw = vand * w[:, None, :]
    gram = vw @ vand.transpose(0, 2, 1)  # F×4×4
    rhs = vw @ y
    scale = np.sqrt(np.einsum("fii->fi", gram)) + 1e-300
    normed = gram / (scale[:, :, None] * scale[:, None, :])
    try:
        coef = np.linalg.solve(normed, (rhs / scale)[..., None])[..., 0] / scale
    except np.linalg.LinAlgError:
        return np.array([_shape_free_rms(y[m > 0], mm[m > 0]) for mm, m in zip(mu, w, strict=True)])
    res = (y[None, :] - np.einsum("fk,fkn->fn", coef, vand)) * w
    return np.sqrt(np.einsum("fn,fn->f", res, res) / w.sum(axis=1))


def _ls_const_g_tot_masked(
    g: np.ndarray, tot: np.ndarray, y: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Least squares y ≈ c0 + c1·g[f, j] + Ru·tot (Ru ≥ 0) for every row j and point set f at once:
    ``g`` F×K×N, ``w`` F×N (1 where point n belongs to set f, else 0).  Returns (rss F×K,
    [c0, c1, Ru] F×K×3)."""
    f, k = g.shape[:2]
    gw = g * w[:, None, :]
    sums = (
        np.repeat(w.sum(axis=1), k),
        gw.sum(axis=2).ravel(),
        (gw * g).sum(axis=2).ravel(),
        (gw @ tot).ravel(),
        (gw @ y).ravel(),
        np.repeat(w @ tot, k),
        np.repeat(w @ (tot * tot), k),
        np.repeat(w @ (tot * y), k),
        np.repeat(w @ y, k),
        np.repeat(w @ (y * y), k),
    )
    rss, sol = _ls_from_sums(*sums)
    return rss.reshape(f, k), sol.reshape(f, k, 3)


def _ls_from_sums(n, sg, sgg, sgt, sgy, st, stt, sty, sy, syy) -> tuple[np.ndarray, np.ndarray]:
    """Least squares y ≈ c0 + c1·g + Ru·tot from the sums of each system (arrays of one length:
    point count, Σg, Σg², Σg·tot, Σg·y, Σtot, Σtot², Σtot·y, Σy, Σy²); Ru ≥ 0 (refitted without it
    where negative).  Returns (rss, [c0, c1, Ru]) per system."""
    gram = np.empty((sg.shape[0], 3, 3))
    gram[:, 0, 0], gram[:, 0, 1], gram[:, 0, 2] = n, sg, st
    gram[:, 1, 1], gram[:, 1, 2], gram[:, 2, 2] = sgg, sgt, stt
    gram[:, 1, 0], gram[:, 2, 0], gram[:, 2, 1] = sg, st, sgt
    rhs = np.stack([sy, sgy, sty], axis=1)
    scale = np.sqrt(np.einsum("kii->ki", gram)) + 1e-300
    normed = gram / (scale[:, :, None] * scale[:, None, :])
    sol = np.full((sg.shape[0], 3), np.nan)
    det = np.linalg.det(normed)
    ok = np.abs(det) > 1e-12
    if ok.any():
        sol[ok] = np.linalg.solve(normed[ok], (rhs[ok] / scale[ok])[..., None])[..., 0] / scale[ok]
    neg = ~ok | (sol[:, 2] < 0)
    if neg.any():  # no negative resistance: y ≈ c0 + c1·g
        det2 = n[neg] * sgg[neg] - sg[neg] ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            c1 = (n[neg] * sgy[neg] - sg[neg] * sy[neg]) / det2
            c0 = (sy[neg] - c1 * sg[neg]) / n[neg]
        sol[neg] = np.stack([c0, c1, np.zeros_like(c0)], axis=1)
    rss = syy - 2.0 * np.einsum("ki,ki->k", sol, rhs) + np.einsum("ki,kij,kj->k", sol, gram, sol)
    rss = np.where(np.isfinite(rss), np.maximum(rss, 0.0), np.inf)
    return rss, sol


def _fit(e, m_own, i_own, total, rows, plateau, sign, use: tuple[bool, bool], min_points):
    """(rss, coefficients [E½-polynomial ×4, Ru, b], points) at the best M_lim (a coarse grid,
    then a finer one around its best); terms switched off by ``use`` (resistance, kinetics) are
    held at zero."""
    best = None
    step = float(ML_FACTORS[1] - ML_FACTORS[0])
    for grid in (ML_FACTORS, None):
        if grid is None:
            if best is None:
                return None
            grid = best[3] + step * np.array([-0.5, 0.5])
        for factor in grid:
            got = _fit_at(e, m_own, i_own, total, rows, factor * plateau, sign, use, min_points)
            if got is not None and (best is None or got[0] < best[0]):
                best = (*got, float(factor))
    return None if best is None else best[:3]


def _fit_at(e, m_own, i_own, total, rows, ml, sign, use, min_points):
    mu = m_own[rows] / ml
    keep = (mu > MU_RANGE[0]) & (mu < MU_RANGE[1])
    if keep.sum() < min_points:
        return None
    r, mk = rows[keep], mu[keep]
    logit = sign * np.log(mk / (1.0 - mk))
    xk = i_own[r] / (abs(ml) * np.sqrt(mk * (1.0 - mk)))
    on = [True, True, True, True, *use]
    cols = [np.ones(r.size), logit, logit**2, logit**3, total[r], xk]
    design = np.vstack([c for c, u in zip(cols, on, strict=True) if u])
    y = e[r]
    gram = design @ design.T
    scale = np.sqrt(np.diag(gram)) + 1e-300
    try:
        sol = np.linalg.solve(gram / np.outer(scale, scale), (design @ y) / scale) / scale
    except np.linalg.LinAlgError:
        return None
    res = y - sol @ design
    coef = np.zeros(6)
    coef[np.flatnonzero(on)] = sol
    return float(res @ res), coef, r.size

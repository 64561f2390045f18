"""Pairing anodic and cathodic peaks into redox couples, and the diagnostics of each couple.

Pairing is an ordered assignment: within one cycle, anodic and cathodic peaks sorted by potential
are matched without crossing (couple k's peaks lie between those of couples k−1 and k+1), by
dynamic programming that minimises ΔEp plus a penalty for dissimilar current magnitudes, with a
fixed price for leaving a peak unpaired.  Two well separated couples each with ΔEp = 135 mV are
therefore never cross-paired into one couple with ΔEp ≈ 600 mV.

Per couple: E½, ΔEp, |ipa/ipc|, n (from ΔEp ≈ 57/n mV and from |Ep − Ep/2| ≈ 56.5/n mV when
Nernstian), Nicholson's ψ from n·ΔEp (Anal. Chem. 1965, 37, 1351; table in
``/shared/reference/electrochemistry.md``) and k0 = ψ (π D n f v)^½ / γ^α when D and v are known,
and the Matsuda–Ayabe class from Λ = √π ψ: reversible Λ ≥ 15, irreversible Λ ≤ 10^(−2(1+α)).
A couple is Nernstian when n·ΔEp is within its uncertainty of 63 mV.  A wider ΔEp is not taken
for slow kinetics when the semi-integral analysis (:mod:`voltlens.analyze.convolution`) fits both
sweeps with a Nernstian couple whose apparent Ru accounts for the excess (``apparent_ru_ohm``):
the hysteresis between the sweeps at equal converted fraction then grows with the current as an
iR drop does (ΔEp growing with ip), and adding Butler–Volmer kinetics to the fit does not lower its
residual by more than 40 % (or 0.3 mV).  When it cannot decide, the class from ΔEp stands with
lowered confidence and a reason saying that ΔEp may include an iR drop.  Every couple of a curve
sees the same Ru: where one couple was found Nernstian with an iR drop, another whose own analysis
could not decide is re-read with that couple's excess of ΔEp per unit current (:func:`_with_shared_ru`).

n is taken from the Nernstian widths (|Ep − Ep/2| = 56.5/n mV) and ΔEp when these agree; for a
slow couple (n·ΔEp > 200 mV) from the two irreversible widths, 47.7/(αn) and 47.7/((1−α)n) mV,
whose reciprocals add up to n/47.7 mV whatever α is — without it a two-electron irreversible couple
was read with n = 1, its Λ a hundred times too large and its narrow waves taken for an EC couple.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial

import numpy as np
from scipy.interpolate import PchipInterpolator

from ..constants import STANDARD_TEMPERATURE, f_inverse_volts
from ..errors import ParameterError
from .convolution import CoupleKinetics
from .result import FoundCouple, FoundPeak, Quantity, Reversibility

__all__ = [
    "NICHOLSON_TABLE",
    "classify_lone_peak",
    "describe_couple",
    "find_couples",
    "k0_from_psi",
    "nicholson_psi",
    "pair_peaks",
    "switching_correction_V",
]

# Nicholson (1965): ψ → n·ΔEp (V) at 25 °C
NICHOLSON_TABLE: tuple[tuple[float, float], ...] = (
    (20.0, 0.061),
    (7.0, 0.063),
    (5.0, 0.065),
    (3.0, 0.068),
    (2.0, 0.072),
    (1.0, 0.084),
    (0.75, 0.092),
    (0.5, 0.105),
    (0.35, 0.121),
    (0.25, 0.141),
    (0.1, 0.212),
)
_X = np.array([x for _, x in NICHOLSON_TABLE])
_LNPSI = np.log([p for p, _ in NICHOLSON_TABLE])
_INTERP = PchipInterpolator(_X, _LNPSI)
KINETIC_FIT_RMS_V = 0.003  # a semi-integral fit worse than this is not trusted
SHAPE_FREE_RMS_V = 0.0015  # both sweeps on one E(μ) within this: no hysteresis, Nernstian
NOISY_FIT_RMS_V = 0.006  # ... unless free Butler–Volmer kinetics found no slow electron transfer at all


# reversible ΔEp against n(Eλ − Ep) (B&F table 6.2.1), mV
_SWITCH_X = np.array([71.5, 121.5, 171.5])
_SWITCH_DEP = np.array([60.5, 59.2, 58.3])
_SWITCH_SHIFT_V = 0.0023  # semi-integral simulations with distant Eλ sit 2.3 mV below Nicholson's table


def switching_correction_V(n_distance_V: float | None) -> float:
    """What to add to a measured n·ΔEp before reading Nicholson's table: his working curve holds
    for a switching potential about 120/n mV past the peak; a more distant one narrows ΔEp by up
    to 2.3 mV at every ψ (measured on exact semi-integral simulations, ψ 0.3–20)."""
    if n_distance_V is None or not np.isfinite(n_distance_V):
        return 0.0
    x = float(n_distance_V) * 1e3
    dep = float(np.interp(x, _SWITCH_X, _SWITCH_DEP))
    return max(0.0, _SWITCH_SHIFT_V - (dep - _SWITCH_DEP[-1]) * 1e-3)


def _ln_lambda_irreversible(x_V: float, alpha: float) -> float:
    """ln Λ for a totally irreversible couple with peak separation x (V, 25 °C): both peaks from
    Ep = E° ∓ (RT/α'F)[0.780 + ln(√(α' D f v)/k0)] (B&F 6.3.4) with α' = α and 1 − α."""
    f = f_inverse_volts(STANDARD_TEMPERATURE)
    a, b = alpha, 1.0 - alpha
    s = 1.0 / a + 1.0 / b
    return 0.780 + (0.5 * math.log(a) / a + 0.5 * math.log(b) / b - x_V * f) / s


def nicholson_psi(n_delta_ep_V: float, *, temperature_K: float = STANDARD_TEMPERATURE, alpha: float = 0.5):
    """Nicholson's ψ for a peak separation n·ΔEp (V).

    Returns ``(psi, status)``: status ``"table"`` inside the table (61–212 mV at 25 °C),
    ``"reversible"`` below it (ψ returned as +inf), ``"extrapolated"`` above it — continued by the
    totally irreversible asymptote joined continuously at ψ = 0.1, so treat it with care.
    """
    if not np.isfinite(n_delta_ep_V) or n_delta_ep_V < 0:
        raise ParameterError("n_delta_ep_V", n_delta_ep_V, "a non-negative peak separation in volts")
    x = float(n_delta_ep_V) * STANDARD_TEMPERATURE / temperature_K
    if x < _X[0]:
        return math.inf, "reversible"
    if x <= _X[-1]:
        return float(math.exp(_INTERP(x))), "table"
    shift = _LNPSI[-1] - (_ln_lambda_irreversible(_X[-1], alpha) - 0.5 * math.log(math.pi))
    ln_psi = _ln_lambda_irreversible(x, alpha) - 0.5 * math.log(math.pi) + shift
    return float(math.exp(ln_psi)), "extrapolated"


def k0_from_psi(
    psi: float,
    *,
    diffusion_m2_s: float,
    scan_rate: float,
    n_electrons: float = 1.0,
    temperature_K: float = STANDARD_TEMPERATURE,
    alpha: float = 0.5,
    gamma: float = 1.0,
) -> float:
    """k0 (m/s) = ψ (π D n f v)^½ / γ^α, γ = (D_O/D_R)^½."""
    for name, val in (("diffusion_m2_s", diffusion_m2_s), ("scan_rate", scan_rate)):
        if not (np.isfinite(val) and val > 0):
            raise ParameterError(name, val, "a positive number")
    f = f_inverse_volts(temperature_K)
    return float(psi * math.sqrt(math.pi * diffusion_m2_s * n_electrons * f * scan_rate) / gamma**alpha)


def pair_peaks(
    peaks: Sequence[FoundPeak],
    *,
    max_separation_V: float = 1.5,
    min_separation_V: float = -0.03,
    unpaired_cost: float = 1.0,
) -> list[tuple[int, int]]:
    """Index pairs (anodic, cathodic) into ``peaks`` forming couples, cycle by cycle.

    Ordered (non-crossing) matching by dynamic programming; the cost of a pair is
    ΔEp/max_separation + 0.3·|ln(|ipa|/|ipc|)|, pairs with Epa − Epc outside
    [min_separation_V, max_separation_V] are not allowed, an unpaired peak costs ``unpaired_cost``.
    """
    out: list[tuple[int, int]] = []
    cycles = sorted({p.cycle for p in peaks})
    for cyc in cycles:
        an = sorted(
            (i for i, p in enumerate(peaks) if p.cycle == cyc and p.direction == "anodic"),
            key=lambda i: peaks[i].potential.value,
        )
        ca = sorted(
            (i for i, p in enumerate(peaks) if p.cycle == cyc and p.direction == "cathodic"),
            key=lambda i: peaks[i].potential.value,
        )
        out.extend(_ordered_match(peaks, an, ca, max_separation_V, min_separation_V, unpaired_cost))
    return out


def _pair_cost(pa: FoundPeak, pc: FoundPeak, max_sep: float, min_sep: float) -> float:
    d = pa.potential.value - pc.potential.value
    if d < min_sep or d > max_sep:
        return math.inf
    ha, hc = abs(pa.height.value), abs(pc.height.value)
    if ha <= 0 or hc <= 0:
        return math.inf
    cost = max(d, 0.0) / max_sep + 0.3 * abs(math.log(ha / hc))
    if pa.surface != pc.surface:
        cost += 0.5
    return cost


def _ordered_match(peaks, an, ca, max_sep, min_sep, skip):
    na, nc = len(an), len(ca)
    dp = np.full((na + 1, nc + 1), math.inf)
    move = np.zeros((na + 1, nc + 1), dtype=np.int8)
    dp[0, :] = skip * np.arange(nc + 1)
    dp[:, 0] = skip * np.arange(na + 1)
    move[1:, 0] = 1
    move[0, 1:] = 2
    for i in range(1, na + 1):
        for j in range(1, nc + 1):
            best, mv = dp[i - 1, j] + skip, 1
            if dp[i, j - 1] + skip < best:
                best, mv = dp[i, j - 1] + skip, 2
            c = _pair_cost(peaks[an[i - 1]], peaks[ca[j - 1]], max_sep, min_sep)
            if dp[i - 1, j - 1] + c < best:
                best, mv = dp[i - 1, j - 1] + c, 3
            dp[i, j], move[i, j] = best, mv
    pairs = []
    i, j = na, nc
    while i > 0 or j > 0:
        mv = move[i, j]
        if mv == 3:
            pairs.append((an[i - 1], ca[j - 1]))
            i, j = i - 1, j - 1
        elif mv == 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def _n_estimates(pa: FoundPeak, pc: FoundPeak, temperature_K: float) -> list[float]:
    tf = temperature_K / STANDARD_TEMPERATURE
    out = []
    for p in (pa, pc):
        if p.half_peak_width is not None and p.half_peak_width.value > 0 and not p.surface:
            out.append(0.0565 * tf / p.half_peak_width.value)
        if p.surface and p.half_width is not None and p.half_width.value > 0:
            out.append(0.0906 * tf / p.half_width.value)
    return out


IRREVERSIBLE_DELTA_EP_V = 0.2  # n·ΔEp beyond this: both waves follow the totally irreversible shape


def _n_irreversible(pa: FoundPeak, pc: FoundPeak, dep: float, temperature_K: float) -> int | None:
    """n of a totally irreversible couple from its two half-peak widths (Bard & Faulkner eq. 6.3.11:
    |Ep − Ep/2| = 1.857RT/(αnF) = 47.7/(αn) mV at 25 °C; the forward wave has αn, the return wave
    (1−α)n, so the two give n = 47.7 mV·(1/w_a + 1/w_c) whatever α is).  None unless ΔEp is wide
    enough for the irreversible shape even at n = 1... 4 and the estimate is near a whole number."""
    tf = temperature_K / STANDARD_TEMPERATURE
    widths = [p.half_peak_width.value if p.half_peak_width is not None else math.nan for p in (pa, pc)]
    if dep < IRREVERSIBLE_DELTA_EP_V * tf / 2 or not all(np.isfinite(w) and w > 0 for w in widths):
        return None
    est = 0.0477 * tf * sum(1.0 / w for w in widths)
    whole = round(est)
    # below 200 mV a one-electron couple is still quasi-reversible, its waves narrower than the
    # irreversible shape (est up to ≈ 1.5 at ΔEp ≈ 100 mV): only a clear two-electron estimate
    # counts there; beyond it every n gives the irreversible shape and the nearest whole number
    # stands (an iR drop broadens both waves, pulling a two-electron estimate down to ≈ 1.6)
    tol = 0.5 if dep >= IRREVERSIBLE_DELTA_EP_V * tf else 0.3
    if whole < 1 or whole > 4 or abs(est - whole) > tol or whole * dep < IRREVERSIBLE_DELTA_EP_V * tf:
        return None
    return int(whole)


def describe_couple(
    pa: FoundPeak,
    pc: FoundPeak,
    ia: int,
    ic: int,
    *,
    scan_rate: float | None = None,
    diffusion_m2_s: float | None = None,
    n_electrons: float | None = None,
    temperature_K: float = STANDARD_TEMPERATURE,
    alpha: float = 0.5,
    switch_distance_V: float | None = None,
    kinetics: CoupleKinetics | None = None,
    ir_delta_ep_V: float | None = None,
    kinetics_of: Callable[[], tuple[CoupleKinetics | None, float | None]] | None = None,
) -> FoundCouple:
    """Diagnostics of one anodic/cathodic pair (peak indices ``ia``, ``ic``).

    ``switch_distance_V``: |Eλ − Ep| of the forward peak, for the switching correction of ψ.
    ``kinetics``: the semi-integral analysis of the couple (:mod:`voltlens.analyze.convolution`)
    and ``ir_delta_ep_V`` the part of ΔEp its apparent Ru explains, Ru·(i_total,a − i_total,c):
    together they tell a Nernstian couple widened by iR drop from slow electron transfer.
    ``kinetics_of()`` gives both on demand (computed only when ΔEp exceeds the Nernstian value)."""
    tf = temperature_K / STANDARD_TEMPERATURE
    ea, ec = pa.potential, pc.potential
    dep = ea.value - ec.value
    sd = math.hypot(_finite(ea.uncertainty), _finite(ec.uncertainty))
    ha, hc = abs(pa.height.value), abs(pc.height.value)
    ratio = ha / hc
    s_ratio = ratio * math.hypot(_finite(pa.height.uncertainty) / ha, _finite(pc.height.uncertainty) / hc)
    reasons: list[str] = []
    surface = pa.surface and pc.surface
    # n: given, or from widths and ΔEp when these look Nernstian
    n_est = _n_estimates(pa, pc, temperature_K)
    n_q: Quantity | None = None
    if n_electrons is not None:
        n = float(n_electrons)
        n_q = Quantity(n, "", 0.0)
    else:
        n = 1.0
        if n_est:
            nw = float(np.mean(n_est))
            cands = [nw] if surface else [nw, *([0.058 * tf / dep] if dep > 0.005 else [])]
            n_round = max(1, round(float(np.median(cands))))
            spread = float(np.std(cands)) if len(cands) > 1 else 0.25 * nw
            n_irr = None if surface else _n_irreversible(pa, pc, dep, temperature_K)
            if all(abs(c - n_round) < 0.3 * n_round for c in cands):
                n = float(n_round)
                n_q = Quantity(n, "", max(spread, 0.05))
            elif n_irr is not None:
                n = float(n_irr)
                n_q = Quantity(n, "", 0.25 * n)
                reasons.append(
                    f"n = {n_irr} from the widths of both waves of a slow couple: "
                    "|Ep − Ep/2| = 47.7/(αn) mV forward and 47.7/((1−α)n) mV back"
                )
            else:
                reasons.append("n not estimable from a non-Nernstian couple: n = 1 assumed for ψ")
    psi: float | None = None
    k0: Quantity | None = None
    lam: float | None = None
    cls: Reversibility
    x = n * dep
    if surface:
        ir_reason = None
        if x > 0.020 * tf and kinetics is None and kinetics_of is not None:
            kinetics, ir_delta_ep_V = kinetics_of()
            ir_reason = _iR_explains(kinetics, ir_delta_ep_V, x, n)
        if x <= 0.020 * tf:
            cls = "reversible"
            reasons.append(f"surface-confined: ΔEp = {dep * 1e3:.0f} mV ≈ 0 with narrow symmetric peaks")
        elif ir_reason is not None:
            cls = "reversible"
            reasons.append("surface-confined; " + ir_reason)
        else:
            cls = "quasi-reversible"
            reasons.append(
                f"surface-confined with ΔEp = {dep * 1e3:.0f} mV: slow electron transfer (Laviron)"
            )
    else:
        corr = switching_correction_V(None if switch_distance_V is None else n * switch_distance_V)
        psi_val, status = nicholson_psi(max(x + corr, 0.0), temperature_K=temperature_K, alpha=alpha)
        lam = math.sqrt(math.pi) * psi_val
        limit = 10 ** (-2 * (1 + alpha))
        margin = n * min(max(2.0 * sd, 0.002), 0.006)  # ΔEp within its uncertainty of the Nernstian value
        within, _ = nicholson_psi(max(x + corr - margin, 0.0), temperature_K=temperature_K, alpha=alpha)
        nernstian = status == "reversible" or lam >= 15 or math.sqrt(math.pi) * within >= 15
        if not nernstian and kinetics is None and kinetics_of is not None:
            kinetics, ir_delta_ep_V = kinetics_of()
        ir_reason = _iR_explains(kinetics, ir_delta_ep_V, x + corr - n * NERNST_DELTA_EP_V * tf, n)
        if nernstian:
            cls = "reversible"
            reasons.append(f"n·ΔEp = {x * 1e3:.0f} mV ≤ 63 mV within its uncertainty: Nernstian (Λ ≥ 15)")
        elif ir_reason is not None:
            cls = "reversible"
            reasons.append(ir_reason)
            lam, status = math.inf, "reversible"
        elif (
            kinetics is not None
            and x < IRREVERSIBLE_DELTA_EP_V
            and kinetics.shape_free_rms_V < SHAPE_FREE_RMS_V
        ):
            cls = "reversible"
            reasons.append(
                f"n·ΔEp = {x * 1e3:.0f} mV, yet both sweeps trace one potential against converted "
                f"fraction (convolution test, residual {kinetics.shape_free_rms_V * 1e3:.1f} mV): "
                "Nernstian steps whose waves overlap (e.g. an EE couple), not slow electron transfer"
            )
            lam, status = math.inf, "reversible"
        elif lam > limit:
            cls = "quasi-reversible"
            reasons.append(f"n·ΔEp = {x * 1e3:.0f} mV: Nicholson ψ = {psi_val:.3g}, Λ = {lam:.3g}")
        else:
            cls = "irreversible"
            reasons.append(f"n·ΔEp = {x * 1e3:.0f} mV: Λ = {lam:.2g} ≤ 10^(−2(1+α)); totally irreversible")
        if status != "reversible":
            psi = psi_val
            if status == "extrapolated":
                reasons.append(
                    "ψ extrapolated beyond Nicholson's table (n·ΔEp > 212 mV): order of magnitude only"
                )
            if diffusion_m2_s is not None and scan_rate is not None:
                kv = k0_from_psi(
                    psi_val,
                    diffusion_m2_s=diffusion_m2_s,
                    scan_rate=scan_rate,
                    n_electrons=n,
                    temperature_K=temperature_K,
                    alpha=alpha,
                )
                # uncertainty: ΔEp noise mapped through the table's local slope, plus 10 % model error
                rel = 0.1
                if status == "table" and sd > 0:
                    dlnpsi = float(_INTERP.derivative()(x * STANDARD_TEMPERATURE / temperature_K))
                    rel = math.hypot(rel, dlnpsi * n * sd)
                elif status == "extrapolated":
                    rel = 1.0
                k0 = Quantity(kv, "m/s", rel * kv)
    if not surface:
        fwd, rev = (pa, pc) if pa.index <= pc.index else (pc, pa)
        rf = abs(rev.height.value) / abs(fwd.height.value)
        hw = fwd.half_peak_width.value if fwd.half_peak_width is not None else math.nan
        narrow = bool(np.isfinite(hw) and hw * n <= 0.062 * tf)
        if rev.switch_off:
            # the return "peak" is only the forward current dying away: no return wave at all
            cls = "reversible" if (np.isfinite(hw) and hw * n <= 0.070 * tf) else "irreversible"
            reasons.append(
                "no true return wave (the current never passes the background on the return sweep): "
                + (
                    f"fast electron transfer (|Ep − Ep/2| = {hw * 1e3:.0f} mV) whose product is consumed (EC)"
                    if cls == "reversible"
                    else f"slow electron transfer (|Ep − Ep/2| = {hw * 1e3:.0f} mV)"
                )
            )
        elif rf < 0.8 and narrow and cls != "reversible" and x <= IRREVERSIBLE_DELTA_EP_V * tf:
            # a follow-up reaction shrinks the return wave but leaves ΔEp near the Nernstian value;
            # hundreds of mV between the peaks is slow electron transfer, whose product also
            # diffuses away during the long excursion (return/forward < 1 there as well)
            cls = "reversible"
            reasons.append(
                f"return/forward = {rf:.2f} with a Nernstian-width forward wave (|Ep − Ep/2| = {hw * 1e3:.0f} mV): "
                "fast electron transfer, ΔEp widened by a follow-up reaction (EC)"
            )
        if rf < 0.8:
            reasons.append(
                f"return/forward = {rf:.2f} < 1: the product is lost (follow-up chemistry, EC) or adsorbed"
            )
        elif rf > 1.25:
            reasons.append(f"return/forward = {rf:.2f} > 1: an extra process adds to the return peak")
    if dep < 0:
        reasons.append("anodic peak below the cathodic one")
    conf = min(pa.confidence, pc.confidence)
    if not surface and cls != "reversible" and (kinetics is None or kinetics.rms_V >= KINETIC_FIT_RMS_V):
        # one scan rate alone cannot tell an iR drop from slow electron transfer
        reasons.append(
            "ΔEp may include an uncompensated iR drop, which this curve alone cannot separate from "
            "slow electron transfer (compare scan rates, or pass the known Ru)"
        )
        conf *= 0.8
    if n_q is not None and n_electrons is None and n_q.uncertainty > 0.3 * n_q.value:
        conf *= 0.8
    return FoundCouple(
        anodic=ia,
        cathodic=ic,
        e_half=Quantity(0.5 * (ea.value + ec.value), "V", 0.5 * sd),
        delta_ep=Quantity(dep, "V", sd),
        current_ratio=Quantity(ratio, "", s_ratio),
        reversibility=cls,
        confidence=float(conf),
        reasons=tuple(reasons),
        n_electrons=n_q,
        psi=psi,
        k0=k0,
        cycle=pa.cycle,
        matsuda_ayabe_lambda=lam,
        apparent_ru_ohm=_apparent_ru(kinetics, cls == "reversible"),
    )


NERNST_DELTA_EP_V = 0.059  # reversible ΔEp at usual switching potentials (n = 1, 25 °C)
IR_MIN_V = 0.015  # an iR share of ΔEp below this is within what slow kinetics and Ru trade off
IR_MIN_FREE_V = 0.010  # ... when the fit with free kinetics found none (Λ = ∞): the fit's resolution
IR_SHARE = 0.4  # the share of the ΔEp excess the apparent Ru must account for
NERNST_RMS_RATIO = 1.4  # slow kinetics must cut the Nernstian fit's residual by more than this
NERNST_RMS_FLOOR_V = 0.0003  # …and by more than the rms of a 1 mV potential step (1/√12 mV)
CLEAN_NERNST_RMS_V = 0.001  # a Nernstian + iR fit this close, with no kinetics found: no iR floor


def _nernst_rms_limit(kinetics: CoupleKinetics) -> float:
    """The residual below which the Nernstian + iR fit is trusted: 3 mV, or 6 mV when the fit with
    free Butler–Volmer kinetics found no kinetic hysteresis at all (Λ = ∞) — then nothing in the
    data points to slow electron transfer, and the larger residual is noise (1/f noise, mains)
    that no choice of k0 explains either."""
    return NOISY_FIT_RMS_V if math.isinf(kinetics.lam) else KINETIC_FIT_RMS_V


IR_SOURCE = "ΔEp widened by iR drop"  # how the reason :func:`_iR_explains` gives starts


def _iR_explains(kinetics: CoupleKinetics | None, ir_delta_ep: float | None, excess: float, n: float):
    """A reason when iR drop rather than slow kinetics widens ΔEp (None otherwise).

    With the exact Butler–Volmer + iR fit (:func:`voltlens.analyze.convolution.couple_kinetics`):
    the purely Nernstian fit with an apparent Ru leaves a residual below 3 mV (6 mV when free kinetics
    find none, :func:`_nernst_rms_limit`) with n near a whole number (or between 1 and 2: two
    overlapping Nernstian steps of an EE couple), and adding slow kinetics
    lowers that residual by less than a factor ``NERNST_RMS_RATIO``
    (or by less than ``NERNST_RMS_FLOOR_V``, the rms of reading a potential to 1 mV)
    — the hysteresis between the sweeps at equal converted fraction grows with the current as an
    iR drop does, not with the current over the exchange current as an overpotential does; and the
    iR drop accounts for at least ``IR_SHARE`` of the excess of ΔEp over 59/n mV and for 15 mV at
    least (below that, slow kinetics and Ru trade off within the fit's resolution) — surface layers
    alike, from the linearised fit with and without its kinetic term.  Without a kinetic-free fit: the fit is Nernstian (residual < 3 mV,
    n near a whole number, Λ ≥ 15) and its apparent Ru accounts for ``IR_SHARE`` of the excess and
    for 15 mV at least.  No floor where the fit with free kinetics found none (Λ = ∞) and the
    Nernstian fit leaves under ``CLEAN_NERNST_RMS_V``: nothing is left for slow kinetics to trade
    off against, and a small iR part (5–10 mV: a small Ru, or a small current) still explains ΔEp."""
    if kinetics is None or ir_delta_ep is None or not np.isfinite(ir_delta_ep):
        return None
    if np.isfinite(kinetics.nernst_rms_V):
        nn = kinetics.nernst_n
        whole = max(1, round(nn)) if np.isfinite(nn) else 1
        # an apparent n between 1 and 2 is what two overlapping Nernstian one-electron steps give
        # (an EE couple): the slope need not be a whole number then
        stepwise = np.isfinite(nn) and 1.0 <= nn <= 2.0
        fits = (
            np.isfinite(nn)
            and (abs(nn - whole) < 0.15 * whole or stepwise)
            and kinetics.nernst_rms_V < _nernst_rms_limit(kinetics)
            and kinetics.nernst_rms_V
            <= max(NERNST_RMS_RATIO * kinetics.rms_V, kinetics.rms_V + NERNST_RMS_FLOOR_V)
        )
        # the floor guards against Ru and slow kinetics trading off within the fit; where the fit with
        # free kinetics put nothing into them (Λ = ∞) there is no such trade-off to guard against
        floor = IR_MIN_FREE_V if math.isinf(kinetics.lam) else IR_MIN_V
        if math.isinf(kinetics.lam) and kinetics.nernst_rms_V < CLEAN_NERNST_RMS_V:
            floor = 0.0
        share = n * ir_delta_ep >= max(IR_SHARE * excess, floor)
        if not (fits and share):
            return None
        ru = kinetics.nernst_ru_ohm
    else:
        integral_n = np.isfinite(kinetics.n) and abs(kinetics.n - max(1, round(kinetics.n))) < 0.25
        fits = kinetics.rms_V < KINETIC_FIT_RMS_V and integral_n and kinetics.lam >= 15
        if not fits or kinetics.ru_ohm <= 0 or n * ir_delta_ep < max(IR_SHARE * excess, IR_MIN_V):
            return None
        ru = kinetics.ru_ohm
    return (
        f"{IR_SOURCE}: the semi-integral (convolution) analysis shows Nernstian behaviour on "
        f"both sweeps with an apparent Ru = {ru:.3g} Ω, which accounts for "
        f"{ir_delta_ep * 1e3:.0f} mV of ΔEp"
    )


def _apparent_ru(kinetics: CoupleKinetics | None, nernstian: bool = False) -> float | None:
    """The semi-integral analysis' Ru when its fit is good enough to be quoted (that of the
    Nernstian fit when the couple was found Nernstian)."""
    if kinetics is None:
        return None
    if (
        nernstian
        and np.isfinite(kinetics.nernst_rms_V)
        and kinetics.nernst_rms_V < _nernst_rms_limit(kinetics)
    ):
        return float(kinetics.nernst_ru_ohm)
    if kinetics.rms_V >= KINETIC_FIT_RMS_V:
        return None
    return float(kinetics.ru_ohm)


def _finite(x: float) -> float:
    return float(x) if np.isfinite(x) else 0.0


def classify_lone_peak(peak: FoundPeak, *, return_sweep: bool) -> FoundPeak:
    """What a peak without a partner says about itself.

    With a return sweep that passed its potential: a narrow wave (|Ep − Ep/2| ≤ 70 mV) is fast
    electron transfer whose product was lost (chemically irreversible, EC), a broad one is slow
    electron transfer (|Ep − Ep/2| = 47.7/(αn) mV, irreversible).
    """
    if peak.surface or not return_sweep:
        reason = "surface-confined peak without partner" if peak.surface else "no return sweep over this peak"
        return replace(peak, reasons=(*peak.reasons, reason))
    hw = peak.half_peak_width.value if peak.half_peak_width is not None else math.nan
    if np.isfinite(hw) and hw <= 0.070:
        cls: Reversibility = "reversible"
        reason = (
            f"no return peak but |Ep − Ep/2| = {hw * 1e3:.0f} mV (fast electron transfer): "
            "the product is consumed by a following chemical step (EC)"
        )
    else:
        cls = "irreversible"
        reason = f"no return peak and |Ep − Ep/2| = {hw * 1e3:.0f} mV: slow electron transfer (irreversible)"
    return replace(peak, reversibility=cls, reasons=(*peak.reasons, reason))


def find_couples(
    peaks: Sequence[FoundPeak],
    *,
    scan_rate: float | None = None,
    diffusion_m2_s: float | None = None,
    n_electrons: float | None = None,
    temperature_K: float = STANDARD_TEMPERATURE,
    alpha: float = 0.5,
    max_separation_V: float = 1.5,
    return_range: dict[int, tuple[float, float]] | None = None,
    kinetics: Callable[[int, int], tuple[CoupleKinetics | None, float | None]] | None = None,
) -> tuple[tuple[FoundPeak, ...], tuple[FoundCouple, ...]]:
    """Couples among ``peaks``; returns the peaks (with ``couple`` set, lone ones classified) and
    the couples.  ``return_range[sweep]`` is the potential range covered by the sweep
    after the one holding a peak, used to tell a missing return peak from a missing return sweep.
    ``kinetics(ia, ic)`` gives the semi-integral analysis of a pair and the ΔEp its iR drop
    explains (see :func:`describe_couple`)."""
    pairs = pair_peaks(peaks, max_separation_V=max_separation_V)
    couples = []
    new = list(peaks)
    for k, (ia, ic) in enumerate(pairs):
        fwd = peaks[min(ia, ic, key=lambda i: peaks[i].index)]
        dist = None
        if return_range is not None and fwd.segment in return_range:
            lo_e, hi_e = return_range[fwd.segment]
            dist = abs((hi_e if fwd.direction == "anodic" else lo_e) - fwd.potential.value)
        couples.append(
            describe_couple(
                peaks[ia],
                peaks[ic],
                ia,
                ic,
                scan_rate=scan_rate,
                diffusion_m2_s=diffusion_m2_s,
                n_electrons=n_electrons,
                temperature_K=temperature_K,
                alpha=alpha,
                switch_distance_V=dist,
                kinetics_of=None if kinetics is None else partial(kinetics, ia, ic),
            )
        )
        new[ia] = replace(new[ia], couple=k, reversibility=couples[-1].reversibility)
        new[ic] = replace(new[ic], couple=k, reversibility=couples[-1].reversibility)
    couples = _with_shared_ru(couples, peaks, kinetics, temperature_K)
    for c in couples:
        for i in (c.anodic, c.cathodic):
            new[i] = replace(new[i], reversibility=c.reversibility)
    paired = {i for pr in pairs for i in pr}
    for i, p in enumerate(peaks):
        if i in paired:
            continue
        covered = False
        if return_range is not None:
            rng = return_range.get(p.segment)
            if rng is not None:
                covered = rng[0] <= p.potential.value <= rng[1]
        new[i] = classify_lone_peak(p, return_sweep=covered)
    return tuple(new), tuple(couples)


SHARED_RU_SPREAD = 0.5  # the source couples' excess per unit current agree within this relative spread
SHARED_RU_TOL_V = 0.005  # ΔEp may exceed the iR prediction by this, plus ...
SHARED_RU_TOL_SHARE = 0.05  # ... this share of the predicted iR excess


def _n_of(c: FoundCouple) -> float:
    return c.n_electrons.value if c.n_electrons is not None and c.n_electrons.value > 0 else 1.0


def _current_difference(
    c: FoundCouple,
    peaks: Sequence[FoundPeak],
    kinetics: Callable[[int, int], tuple[CoupleKinetics | None, float | None]] | None,
) -> float:
    """Total current at the anodic peak less that at the cathodic one (A): from the semi-integral
    analysis (its ΔEp share over its Ru) where it ran, else the two peak heights."""
    kin, ir_dep = (None, None) if kinetics is None else kinetics(c.anodic, c.cathodic)
    if kin is not None and ir_dep is not None and np.isfinite(ir_dep):
        own = kin.nernst_ru_ohm if math.isfinite(kin.nernst_ru_ohm) else kin.ru_ohm
        if own > 0:
            return float(ir_dep / own)
    return abs(peaks[c.anodic].height.value) + abs(peaks[c.cathodic].height.value)


def _with_shared_ru(
    couples: Sequence[FoundCouple],
    peaks: Sequence[FoundPeak],
    kinetics: Callable[[int, int], tuple[CoupleKinetics | None, float | None]] | None,
    temperature_K: float,
) -> list[FoundCouple]:
    """Couples read as quasi-reversible re-read with the uncompensated resistance another couple of
    the same curve showed (B&F §1.3.4: every couple of a curve sees the same Ru).

    A source is a couple the semi-integral analysis found Nernstian with its ΔEp widened by an iR
    drop; its excess over the Nernstian 59/n mV per unit of the current difference between its
    peaks (total current, A) is what Ru does to a peak separation in this cell — about 1.3 Ru, the
    iR-broadened peaks moving further than ip·Ru.  Another couple whose own analysis could not
    decide (a neighbour's current in its window, noise) is Nernstian when its ΔEp exceeds 59/n mV
    by no more than that excess per current times its own current difference, plus 5 mV and 5 %
    (slow electron transfer with Λ ≤ 4 adds at least 12 mV of its own: n·ΔEp ≥ 71 mV).  Adsorbed
    layers are read alike among themselves, their Nernstian ΔEp being 0 (B&F §14.3) and their iR
    excess a different function of the current: a layer found Nernstian through Ru on one cycle
    vouches for the same layer on the next, whose own analysis did not run (a drifting reference
    moved its E½ out of reach of the first cycle's)."""
    out = list(couples)
    for surface in (False, True):
        for k, c in _shared_ru_rereads(couples, peaks, kinetics, temperature_K, surface=surface).items():
            out[k] = c
    return out


def _shared_ru_rereads(
    couples: Sequence[FoundCouple],
    peaks: Sequence[FoundPeak],
    kinetics: Callable[[int, int], tuple[CoupleKinetics | None, float | None]] | None,
    temperature_K: float,
    *,
    surface: bool,
) -> dict[int, FoundCouple]:
    """The couples :func:`_with_shared_ru` re-reads, by index, among the solution couples
    (``surface`` False) or among the adsorbed layers (True)."""
    tf = temperature_K / STANDARD_TEMPERATURE

    def is_kind(c: FoundCouple) -> bool:
        both = peaks[c.anodic].surface and peaks[c.cathodic].surface
        either = peaks[c.anodic].surface or peaks[c.cathodic].surface
        return both if surface else not either

    def nernst_dep(c: FoundCouple) -> float:
        return 0.0 if surface else NERNST_DELTA_EP_V * tf / _n_of(c)

    slopes, rus = [], []
    for c in couples:
        if c.reversibility != "reversible" or not is_kind(c) or not any(IR_SOURCE in r for r in c.reasons):
            continue
        di = _current_difference(c, peaks, kinetics)
        excess = c.delta_ep.value - nernst_dep(c)
        if di > 0 and excess > 0:
            slopes.append(excess / di)
            if c.apparent_ru_ohm is not None:
                rus.append(c.apparent_ru_ohm)
    out: dict[int, FoundCouple] = {}
    if not slopes or float(np.ptp(slopes)) > SHARED_RU_SPREAD * float(np.median(slopes)):
        return out
    per_amp = float(np.median(slopes))
    for k, c in enumerate(couples):
        if c.reversibility != "quasi-reversible" or not is_kind(c):
            continue
        di = _current_difference(c, peaks, kinetics)
        predicted = per_amp * di
        excess = c.delta_ep.value - nernst_dep(c)
        if not (di > 0 and excess <= predicted * (1.0 + SHARED_RU_TOL_SHARE) + SHARED_RU_TOL_V):
            continue
        over = "0 mV (an adsorbed layer)" if surface else "59/n mV"
        out[k] = replace(
            c,
            reversibility="reversible",
            reasons=(
                *c.reasons,
                f"ΔEp exceeds {over} by {excess * 1e3:.0f} mV, what the iR drop seen on another couple "
                f"of this curve gives at this current ({predicted * 1e3:.0f} mV): Nernstian, widened by "
                "the cell's uncompensated resistance",
            ),
            psi=None,
            k0=None,
            matsuda_ayabe_lambda=None if surface else math.inf,
            apparent_ru_ohm=float(np.median(rus)) if rus else c.apparent_ru_ohm,
        )
    return out

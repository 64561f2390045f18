"""Studies over several curves: scan-rate dependence, calibration (concentration) and cycle stability.

Pure functions over arrays in SI units.  Every estimate comes with its standard uncertainty and,
for regressions, a t-distribution confidence interval; every classification names the criterion
it used, so the interpreter can quote it.

* :func:`linear_fit` — ordinary least squares with standard errors, confidence intervals, R², s_y/x.
* :func:`scan_rate_study` — log|ip| vs log v (diffusion 0.5 / surface 1.0), Randles–Ševčík D,
  αn from Ep vs log v for irreversible waves, ΔEp trend.
* :func:`calibration_study` — calibration line, linear range (high-end points that bend away are
  dropped by Mandel's fitting test and a prediction-interval test), LOD/LOQ by IUPAC and ICH Q2.
* :func:`cycle_stability` — decay of a peak current from cycle to cycle (linear or exponential).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import stats

from ..constants import FARADAY, GAS_CONSTANT, STANDARD_TEMPERATURE
from ..errors import ParameterError
from .result import Quantity

__all__ = [
    "RANDLES_SEVCIK_REVERSIBLE",
    "CalibrationStudy",
    "CycleStability",
    "DetectionLimit",
    "LinearFit",
    "ScanRateStudy",
    "calibration_study",
    "cycle_stability",
    "linear_fit",
    "randles_sevcik_diffusion",
    "scan_rate_study",
]

RANDLES_SEVCIK_REVERSIBLE = 0.4463  # ip = 0.4463 nFAC (nFvD/RT)^½, Bard & Faulkner eq. 6.2.19
DIFFUSION_SLOPE = 0.5  # log ip vs log v, planar diffusion
SURFACE_SLOPE = 1.0  # log ip vs log v, surface-confined
REGIME_TOLERANCE = 0.1  # a slope within ±0.1 of 0.5 or 1.0 is called by that regime
MIN_LINEAR_POINTS = 3

Regime = Literal["diffusion", "surface", "mixed", "undetermined"]


# ----------------------------------------------------------------------------------------------
# Ordinary least squares


@dataclass(frozen=True, slots=True)
class LinearFit:
    """y = slope·x + intercept by ordinary least squares.

    ``slope_se``/``intercept_se`` are standard errors; ``slope_ci``/``intercept_ci`` the two-sided
    ``confidence`` intervals from Student's t with n − 2 degrees of freedom; ``s_yx`` the residual
    standard deviation √(Σr²/(n−2)).  With two points the line is exact and the uncertainties NaN.
    """

    slope: float
    intercept: float
    slope_se: float
    intercept_se: float
    slope_ci: tuple[float, float]
    intercept_ci: tuple[float, float]
    r_squared: float
    s_yx: float
    residuals: np.ndarray
    n: int
    confidence: float
    t_crit: float
    x_mean: float
    sxx: float

    @property
    def dof(self) -> int:
        return self.n - 2

    def predict(self, x: float | np.ndarray) -> float | np.ndarray:
        return self.slope * np.asarray(x, dtype=float) + self.intercept

    def prediction_halfwidth(self, x: float, *, confidence: float | None = None) -> float:
        """Half-width of the prediction interval for one new observation at ``x``."""
        level = self.confidence if confidence is None else confidence
        if self.dof < 1:
            return math.nan
        t = float(stats.t.ppf(0.5 + level / 2, self.dof))
        return t * self.s_yx * math.sqrt(1 + 1 / self.n + (x - self.x_mean) ** 2 / self.sxx)


def _as_vector(values: object, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ParameterError(name, values, f"a one-dimensional sequence of numbers, got shape {arr.shape}")
    return arr


def _check_confidence(confidence: float) -> None:
    if not (0 < confidence < 1):
        raise ParameterError("confidence", confidence, "a probability strictly between 0 and 1, e.g. 0.95")


def linear_fit(x: object, y: object, *, confidence: float = 0.95) -> LinearFit:
    """Least-squares line through (x, y) with uncertainties (closed-form OLS)."""
    _check_confidence(confidence)
    xs, ys = _as_vector(x, "x"), _as_vector(y, "y")
    if xs.size != ys.size:
        raise ParameterError("y", f"{ys.size} values", f"as many values as x ({xs.size})")
    if xs.size < 2:
        raise ParameterError("x", xs.tolist(), "at least 2 points for a line")
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        raise ParameterError("x, y", "non-finite values", "finite numbers only")
    n = xs.size
    x_mean, y_mean = float(xs.mean()), float(ys.mean())
    dx = xs - x_mean
    sxx = float(dx @ dx)
    if sxx <= 0 or not np.isfinite(sxx):
        raise ParameterError("x", xs.tolist(), "at least two distinct x values")
    slope = float(dx @ (ys - y_mean)) / sxx
    intercept = y_mean - slope * x_mean
    residuals = ys - (slope * xs + intercept)
    ss_res = float(residuals @ residuals)
    ss_tot = float((ys - y_mean) @ (ys - y_mean))
    r_squared = 1.0 - ss_res / ss_tot if ss_tot > 0 else math.nan
    dof = n - 2
    if dof > 0:
        s_yx = math.sqrt(ss_res / dof)
        slope_se = s_yx / math.sqrt(sxx)
        intercept_se = s_yx * math.sqrt(1 / n + x_mean**2 / sxx)
        t_crit = float(stats.t.ppf(0.5 + confidence / 2, dof))
    else:
        s_yx = slope_se = intercept_se = t_crit = math.nan
    residuals.setflags(write=False)
    return LinearFit(
        slope=slope,
        intercept=intercept,
        slope_se=slope_se,
        intercept_se=intercept_se,
        slope_ci=(slope - t_crit * slope_se, slope + t_crit * slope_se),
        intercept_ci=(intercept - t_crit * intercept_se, intercept + t_crit * intercept_se),
        r_squared=r_squared,
        s_yx=s_yx,
        residuals=residuals,
        n=n,
        confidence=confidence,
        t_crit=t_crit,
        x_mean=x_mean,
        sxx=sxx,
    )


# ----------------------------------------------------------------------------------------------
# Scan-rate study


@dataclass(frozen=True, slots=True)
class ScanRateStudy:
    """What the dependence of a peak on the scan rate says about the process.

    ``log_fit`` is log10|ip| against log10 v; its slope is compared with 0.5 (diffusion) and
    1.0 (surface-confined).  ``sqrt_fit`` is |ip| against v^½ (Randles–Ševčík plot); ``diffusion``
    (m²/s) is derived from its slope when area and concentration are known.  ``ep_fit`` is Ep (V)
    against log10 v and ``alpha_n`` comes from it for irreversible waves; ``delta_ep_fit`` is ΔEp (V)
    against log10 v.
    """

    scan_rates: np.ndarray
    peak_currents: np.ndarray
    log_fit: LinearFit
    regime: Regime
    regime_confidence: float
    criterion: str
    sqrt_fit: LinearFit
    diffusion: Quantity | None = None
    peak_potentials: np.ndarray | None = None
    ep_fit: LinearFit | None = None
    irreversible: bool = False
    alpha_n: Quantity | None = None
    delta_ep: np.ndarray | None = None
    delta_ep_fit: LinearFit | None = None
    delta_ep_trend: Literal["constant", "increasing", "decreasing"] | None = None
    findings: tuple[str, ...] = ()

    @property
    def log_slope(self) -> Quantity:
        return Quantity(self.log_fit.slope, "1", self.log_fit.slope_se)


def _classify_regime(fit: LinearFit) -> tuple[Regime, float]:
    """Regime from the log–log slope and a confidence that grows as the CI narrows around it."""
    s = fit.slope
    lo, hi = fit.slope_ci
    if abs(s - DIFFUSION_SLOPE) <= REGIME_TOLERANCE:
        regime: Regime = "diffusion"
        target = DIFFUSION_SLOPE
    elif abs(s - SURFACE_SLOPE) <= REGIME_TOLERANCE:
        regime, target = "surface", SURFACE_SLOPE
    elif DIFFUSION_SLOPE + REGIME_TOLERANCE < s < SURFACE_SLOPE - REGIME_TOLERANCE:
        regime, target = "mixed", 0.75
    else:
        return "undetermined", 0.3
    if not math.isfinite(lo):  # two points: no interval
        return regime, 0.5
    width = hi - lo
    confidence = 0.95 if width <= 0.1 else 0.95 * 0.1 / width
    if regime != "mixed" and not (lo <= target <= hi):
        confidence *= 0.8  # near the ideal value but the interval excludes it
    other = SURFACE_SLOPE if regime == "diffusion" else DIFFUSION_SLOPE
    if regime != "mixed" and lo <= other <= hi:
        confidence = min(confidence, 0.4)  # cannot tell the two apart
    return regime, float(np.clip(confidence, 0.05, 0.99))


def randles_sevcik_diffusion(
    slope_A_per_sqrt_Vs: float,
    *,
    n_electrons: float,
    area_m2: float,
    concentration_mol_m3: float,
    temperature_K: float = STANDARD_TEMPERATURE,
) -> float:
    """D (m²/s) from the slope of |ip| against v^½: ip = 0.4463 nFAC (nFvD/RT)^½, SI units."""
    for name, value in (
        ("n_electrons", n_electrons),
        ("area_m2", area_m2),
        ("concentration_mol_m3", concentration_mol_m3),
        ("temperature_K", temperature_K),
    ):
        if not (math.isfinite(value) and value > 0):
            raise ParameterError(name, value, "a positive finite number")
    k = RANDLES_SEVCIK_REVERSIBLE * n_electrons * FARADAY * area_m2 * concentration_mol_m3
    return (slope_A_per_sqrt_Vs / k) ** 2 * GAS_CONSTANT * temperature_K / (n_electrons * FARADAY)


def scan_rate_study(
    scan_rates: object,
    peak_currents: object,
    *,
    peak_potentials: object | None = None,
    delta_ep: object | None = None,
    n_electrons: float = 1.0,
    area_m2: float | None = None,
    concentration_mol_m3: float | None = None,
    temperature_K: float = STANDARD_TEMPERATURE,
    irreversible: bool | None = None,
    confidence: float = 0.95,
) -> ScanRateStudy:
    """Analyse peak currents (A, either sign) and optionally peak potentials / ΔEp (V) against
    scan rate (V/s).  ``irreversible=None`` decides from the data: no ΔEp given (no return peak)
    or a median ΔEp above 200/n mV, with Ep moving significantly with log v."""
    _check_confidence(confidence)
    v = _as_vector(scan_rates, "scan_rates")
    ip = np.abs(_as_vector(peak_currents, "peak_currents"))
    if v.size != ip.size:
        raise ParameterError("peak_currents", f"{ip.size} values", f"one per scan rate ({v.size})")
    if v.size < 2:
        raise ParameterError("scan_rates", v.tolist(), "at least 2 scan rates")
    if not np.all(np.isfinite(v) & (v > 0)):
        raise ParameterError("scan_rates", v.tolist(), "positive finite scan rates in V/s")
    if not np.all(np.isfinite(ip) & (ip > 0)):
        raise ParameterError("peak_currents", ip.tolist(), "non-zero finite peak currents")
    if np.unique(v).size < 2:
        raise ParameterError("scan_rates", v.tolist(), "at least two different scan rates")
    log_v = np.log10(v)
    log_fit = linear_fit(log_v, np.log10(ip), confidence=confidence)
    regime, regime_conf = _classify_regime(log_fit)
    criterion = (
        "slope of log|ip| vs log v: 0.5 for planar diffusion (Randles–Ševčík), 1.0 for a surface-confined "
        f"layer (Bard & Faulkner §6.2, §14.3); called by the nearer value within ±{REGIME_TOLERANCE:g}, "
        "mixed in between"
    )
    sqrt_fit = linear_fit(np.sqrt(v), ip, confidence=confidence)
    findings: list[str] = []
    diffusion = None
    if area_m2 is not None and concentration_mol_m3 is not None:
        d = randles_sevcik_diffusion(
            sqrt_fit.slope,
            n_electrons=n_electrons,
            area_m2=area_m2,
            concentration_mol_m3=concentration_mol_m3,
            temperature_K=temperature_K,
        )
        diffusion = Quantity(d, "m2/s", 2 * d * sqrt_fit.slope_se / abs(sqrt_fit.slope))
        if regime != "diffusion":
            findings.append(
                "Randles–Ševčík D is reported although the log–log slope is not that of diffusion"
            )

    ep = ep_fit = None
    if peak_potentials is not None:
        ep = _as_vector(peak_potentials, "peak_potentials")
        if ep.size != v.size:
            raise ParameterError("peak_potentials", f"{ep.size} values", f"one per scan rate ({v.size})")
        if np.all(np.isfinite(ep)):
            ep_fit = linear_fit(log_v, ep, confidence=confidence)

    dep = dep_fit = None
    trend = None
    if delta_ep is not None:
        dep = _as_vector(delta_ep, "delta_ep")
        if dep.size != v.size:
            raise ParameterError("delta_ep", f"{dep.size} values", f"one per scan rate ({v.size})")
        ok = np.isfinite(dep)
        if ok.sum() >= 2 and np.unique(log_v[ok]).size >= 2:
            dep_fit = linear_fit(log_v[ok], dep[ok], confidence=confidence)
            trend = _trend(dep_fit, min_slope=0.002)

    if irreversible is None:
        no_return = dep is None or not np.any(np.isfinite(dep))
        wide = dep is not None and np.any(np.isfinite(dep)) and np.nanmedian(dep) * n_electrons > 0.2
        moving = ep_fit is not None and _trend(ep_fit, min_slope=0.005) != "constant"
        irreversible = bool((no_return or wide) and moving)
    alpha_n = None
    if irreversible and ep_fit is not None and ep_fit.slope != 0:
        # Ep moves 1.15 RT/(αnF) = (ln10/2)(RT/F)/(αn) per decade of v (B&F 6.3.4)
        b = abs(ep_fit.slope)
        an = math.log(10) / 2 * GAS_CONSTANT * temperature_K / FARADAY / b
        alpha_n = Quantity(an, "1", an * ep_fit.slope_se / b)
    return ScanRateStudy(
        scan_rates=v,
        peak_currents=ip,
        log_fit=log_fit,
        regime=regime,
        regime_confidence=regime_conf,
        criterion=criterion,
        sqrt_fit=sqrt_fit,
        diffusion=diffusion,
        peak_potentials=ep,
        ep_fit=ep_fit,
        irreversible=bool(irreversible),
        alpha_n=alpha_n,
        delta_ep=dep,
        delta_ep_fit=dep_fit,
        delta_ep_trend=trend,
        findings=tuple(findings),
    )


def _trend(fit: LinearFit, *, min_slope: float) -> Literal["constant", "increasing", "decreasing"]:
    """Direction of a fitted slope that is both significant (CI excludes 0) and above ``min_slope``."""
    lo, hi = fit.slope_ci
    if not math.isfinite(lo):
        significant_up = fit.slope > min_slope
        significant_down = fit.slope < -min_slope
    else:
        significant_up = lo > 0 and fit.slope > min_slope
        significant_down = hi < 0 and fit.slope < -min_slope
    return "increasing" if significant_up else "decreasing" if significant_down else "constant"


# ----------------------------------------------------------------------------------------------
# Calibration


@dataclass(frozen=True, slots=True)
class DetectionLimit:
    """A limit of detection (and quantification) under one named definition, in concentration units."""

    name: Literal["iupac_blank", "ich_blank", "ich_residual"]
    definition: str
    lod: Quantity
    loq: Quantity | None
    sigma: float  # the σ (response units) that went into it
    sigma_source: str


@dataclass(frozen=True, slots=True)
class CalibrationStudy:
    """A calibration line over its linear range, with detection limits.

    ``used`` marks the points of the linear range; ``excluded`` lists (index, reason) of the high-end
    points dropped.  ``residuals`` are those of every point from the final line.  ``headline`` names
    the detection limit to quote first.
    """

    concentrations: np.ndarray
    responses: np.ndarray
    concentration_unit: str
    response_unit: str
    fit: LinearFit
    used: np.ndarray
    linear_range: tuple[float, float]
    excluded: tuple[tuple[int, str], ...]
    linearity_test: str
    residuals: np.ndarray
    detection_limits: tuple[DetectionLimit, ...] = ()
    headline: str | None = None
    blank_mean: float | None = None
    blank_sd: float | None = None
    blank_sd_source: str | None = None
    n_blank: int = 0
    findings: tuple[str, ...] = field(default=())

    @property
    def slope(self) -> Quantity:
        return Quantity(self.fit.slope, f"{self.response_unit}/{self.concentration_unit}", self.fit.slope_se)

    @property
    def intercept(self) -> Quantity:
        return Quantity(self.fit.intercept, self.response_unit, self.fit.intercept_se)

    @property
    def headline_limit(self) -> DetectionLimit | None:
        return next((d for d in self.detection_limits if d.name == self.headline), None)


def _mandel_test(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mandel's fitting test (ISO 8466-1): p-value of the quadratic term, and the quadratic's
    deviation from the straight line at the highest x relative to the line's value there."""
    n = x.size
    if n < 5 or np.unique(x).size < 4:
        return math.nan, 0.0
    lin = np.polyfit(x, y, 1)
    quad = np.polyfit(x, y, 2)
    ss_lin = float(np.sum((y - np.polyval(lin, x)) ** 2))
    ss_quad = float(np.sum((y - np.polyval(quad, x)) ** 2))
    top = float(x.max())
    line_top = float(np.polyval(lin, top))
    rel = abs(float(np.polyval(quad, top)) - line_top) / max(abs(line_top), 1e-300)
    if ss_quad <= 0:
        return (0.0 if ss_lin > 0 else 1.0), rel
    f_stat = (ss_lin - ss_quad) / (ss_quad / (n - 3))
    return float(stats.f.sf(f_stat, 1, n - 3)), rel


def _top_point_test(
    x: np.ndarray, y: np.ndarray, top: np.ndarray, *, alpha: float
) -> tuple[bool, float, float]:
    """Do the points at the top concentration fall outside the (1 − alpha) prediction interval of
    the line through the others?  Returns (outside, mean deviation, relative deviation)."""
    rest = ~top
    if rest.sum() < MIN_LINEAR_POINTS or np.unique(x[rest]).size < 2:
        return False, 0.0, 0.0
    fit = linear_fit(x[rest], y[rest])
    x_top = float(x[top].mean())
    predicted = float(fit.predict(x_top))
    deviation = float(y[top].mean()) - predicted
    rel = abs(deviation) / max(abs(predicted), 1e-300)
    half = fit.prediction_halfwidth(x_top, confidence=1 - alpha)
    if not math.isfinite(half):
        return False, deviation, rel
    half /= math.sqrt(top.sum())  # mean of several replicates
    return abs(deviation) > half, deviation, rel


def calibration_study(
    concentrations: object,
    responses: object,
    *,
    blank_sd: float | None = None,
    blank_sd_source: str = "from the noise of the blank measurement",
    concentration_unit: str = "mM",
    response_unit: str = "A",
    alpha: float = 0.01,
    min_relative_deviation: float = 0.02,
    confidence: float = 0.95,
) -> CalibrationStudy:
    """Fit a calibration line and find its linear range and detection limits.

    Points with concentration 0 are blanks: they take part in the fit (when their response is
    finite) and, when there are two or more, give s_blank.  ``blank_sd`` supplies s_blank otherwise
    (e.g. from the noise of a blank curve).  NaN responses are left out.

    Linear range: while at least four concentration levels remain, the highest level is dropped
    when it bends away from the line through the others — Mandel's test (p < ``alpha``) or the top
    level outside the (1 − ``alpha``) prediction interval of the lower ones — and the deviation is
    at least ``min_relative_deviation`` of the response (so a perfect, noise-free line is not cut).
    """
    _check_confidence(confidence)
    c = _as_vector(concentrations, "concentrations")
    r = _as_vector(responses, "responses")
    if c.size != r.size:
        raise ParameterError("responses", f"{r.size} values", f"one per concentration ({c.size})")
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise ParameterError("concentrations", c.tolist(), "finite, non-negative concentrations")
    if blank_sd is not None and not (math.isfinite(blank_sd) and blank_sd >= 0):
        raise ParameterError("blank_sd", blank_sd, "a non-negative finite standard deviation")
    finite = np.isfinite(r)
    if finite.sum() < 2 or np.unique(c[finite]).size < 2:
        raise ParameterError(
            "concentrations", c.tolist(), "at least two different concentrations with a measured response"
        )

    used = finite.copy()
    excluded: list[tuple[int, str]] = []
    while np.unique(c[used]).size >= 4:
        top_level = c[used].max()
        top = used & (c == top_level)
        p_mandel, rel_mandel = _mandel_test(c[used], r[used])
        outside, _dev, rel_top = _top_point_test(c[used], r[used], top[used], alpha=alpha)
        reason = None
        if math.isfinite(p_mandel) and p_mandel < alpha and rel_mandel >= min_relative_deviation:
            reason = f"Mandel's test: curvature significant (p = {p_mandel:.2g}) with the top level included"
        elif outside and rel_top >= min_relative_deviation:
            reason = (
                f"{100 * rel_top:.1f}% off the line through the lower levels, outside its "
                f"{100 * (1 - alpha):g}% prediction interval"
            )
        if reason is None:
            break
        for i in np.flatnonzero(top):
            excluded.append((int(i), reason))
        used &= ~top

    fit = linear_fit(c[used], r[used], confidence=confidence)
    residuals = np.where(finite, r - fit.predict(c), np.nan)
    linear_range = (float(c[used].min()), float(c[used].max()))
    linearity_test = (
        f"high-end levels dropped while Mandel's fitting test (ISO 8466-1, p < {alpha:g}) or a "
        f"{100 * (1 - alpha):g}% prediction interval of the lower levels showed a deviation of at least "
        f"{100 * min_relative_deviation:g}%"
    )

    blanks = finite & (c == 0)
    n_blank = int(blanks.sum())
    blank_mean = float(r[blanks].mean()) if n_blank else None
    s_blank, source = None, None
    if n_blank >= 2:
        s_blank, source = (
            float(np.std(r[blanks], ddof=1)),
            f"standard deviation of {n_blank} blank replicates",
        )
    elif blank_sd is not None:
        s_blank, source = float(blank_sd), blank_sd_source

    slope = abs(fit.slope)
    rel_slope = fit.slope_se / slope if slope > 0 else math.nan
    limits: list[DetectionLimit] = []

    def limit(factor: float, sigma: float, extra_rel: float = 0.0) -> Quantity:
        value = factor * sigma / slope if slope > 0 else math.nan
        rel = math.hypot(rel_slope, extra_rel) if math.isfinite(rel_slope) else math.nan
        return Quantity(value, concentration_unit, value * rel)

    if s_blank is not None:
        rel_sigma = 1 / math.sqrt(2 * (n_blank - 1)) if n_blank >= 2 else 0.0
        limits.append(
            DetectionLimit(
                "iupac_blank",
                "IUPAC: LOD = 3·s_blank/S",
                limit(3.0, s_blank, rel_sigma),
                None,
                s_blank,
                source or "",
            )
        )
        limits.append(
            DetectionLimit(
                "ich_blank",
                "ICH Q2: LOD = 3.3·σ/S, LOQ = 10·σ/S, σ from the blank",
                limit(3.3, s_blank, rel_sigma),
                limit(10.0, s_blank, rel_sigma),
                s_blank,
                source or "",
            )
        )
    if fit.dof >= 1 and math.isfinite(fit.s_yx):
        rel_syx = 1 / math.sqrt(2 * fit.dof)
        limits.append(
            DetectionLimit(
                "ich_residual",
                "ICH Q2: LOD = 3.3·σ/S, LOQ = 10·σ/S, σ = residual standard deviation s_y/x of the regression",
                limit(3.3, fit.s_yx, rel_syx),
                limit(10.0, fit.s_yx, rel_syx),
                fit.s_yx,
                f"residual standard deviation of {fit.n} calibration points",
            )
        )
    headline = limits[0].name if limits else None

    findings: list[str] = []
    if excluded:
        levels = sorted({float(c[i]) for i, _ in excluded})
        findings.append(
            f"{len(levels)} high-end concentration level(s) left out of the linear range: "
            + ", ".join(f"{lv:g} {concentration_unit}" for lv in levels)
        )
    if fit.dof < 1:
        findings.append("only two calibration points: no uncertainty on the line")
    return CalibrationStudy(
        concentrations=c,
        responses=r,
        concentration_unit=concentration_unit,
        response_unit=response_unit,
        fit=fit,
        used=used,
        linear_range=linear_range,
        excluded=tuple(excluded),
        linearity_test=linearity_test,
        residuals=residuals,
        detection_limits=tuple(limits),
        headline=headline,
        blank_mean=blank_mean,
        blank_sd=s_blank,
        blank_sd_source=source,
        n_blank=n_blank,
        findings=tuple(findings),
    )


# ----------------------------------------------------------------------------------------------
# Cycle-to-cycle stability


@dataclass(frozen=True, slots=True)
class CycleStability:
    """Decay of a peak current over cycles.  ``decay_per_cycle`` is in percent per cycle (positive
    for a loss), from whichever of a linear or an exponential model fits better; ``retained`` is the
    last fitted current over the first."""

    cycles: np.ndarray
    currents: np.ndarray
    model: Literal["linear", "exponential"]
    decay_per_cycle: Quantity
    retained: float
    linear: LinearFit
    exponential: LinearFit
    significant: bool


def cycle_stability(cycles: object, peak_currents: object, *, confidence: float = 0.95) -> CycleStability:
    """Fit |ip| against cycle number, linearly and as ln|ip| (exponential), and report the decay.

    Linear: % per cycle = −slope / ip(first cycle) · 100.  Exponential: ip ∝ e^(−k·cycle),
    % per cycle = (1 − e^(−k)) · 100.  The model with the smaller residual sum of squares in
    current wins.  ``significant`` when the confidence interval of the slope excludes zero.
    """
    _check_confidence(confidence)
    k = _as_vector(cycles, "cycles")
    ip = np.abs(_as_vector(peak_currents, "peak_currents"))
    if k.size != ip.size:
        raise ParameterError("peak_currents", f"{ip.size} values", f"one per cycle ({k.size})")
    if not np.all(np.isfinite(ip) & (ip > 0)):
        raise ParameterError("peak_currents", ip.tolist(), "non-zero finite peak currents")
    lin = linear_fit(k, ip, confidence=confidence)
    expo = linear_fit(k, np.log(ip), confidence=confidence)
    first, last = float(k.min()), float(k.max())
    sse_lin = float(lin.residuals @ lin.residuals)
    fitted_exp = np.exp(expo.predict(k))
    sse_exp = float((ip - fitted_exp) @ (ip - fitted_exp))
    if sse_exp < sse_lin:
        model: Literal["linear", "exponential"] = "exponential"
        rate = -expo.slope
        pct = (1 - math.exp(-rate)) * 100
        u = math.exp(-rate) * expo.slope_se * 100
        retained = math.exp(-rate * (last - first))
        fit = expo
    else:
        model = "linear"
        i0 = float(lin.predict(first))
        pct = -lin.slope / i0 * 100
        u = lin.slope_se / abs(i0) * 100
        retained = float(lin.predict(last)) / i0
        fit = lin
    lo, hi = fit.slope_ci
    significant = bool(math.isfinite(lo) and (hi < 0 or lo > 0))
    return CycleStability(
        cycles=k,
        currents=ip,
        model=model,
        decay_per_cycle=Quantity(pct, "%/cycle", u),
        retained=retained,
        linear=lin,
        exponential=expo,
        significant=significant,
    )

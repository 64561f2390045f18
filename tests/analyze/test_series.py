"""Series studies against independent truths: closed-form OLS and scipy.stats.linregress,
textbook Randles–Ševčík and Tafel-type shifts, synthetic data with known slope/intercept/noise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from voltlens.analyze.series import (
    calibration_study,
    cycle_stability,
    linear_fit,
    randles_sevcik_diffusion,
    scan_rate_study,
)
from voltlens.errors import ParameterError

SEEDS = [0, 1, 2, 3, 4]
F, R, T = 96485.33212, 8.314462618, 298.15


# ---------------------------------------------------------------- linear_fit


@pytest.mark.parametrize("seed", SEEDS)
def test_linear_fit_matches_linregress(seed):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, 10, 12))
    y = 2.5 * x - 1.0 + rng.normal(0, 0.3, x.size)
    fit = linear_fit(x, y)
    ref = stats.linregress(x, y)
    assert fit.slope == pytest.approx(ref.slope, rel=1e-12)
    assert fit.intercept == pytest.approx(ref.intercept, rel=1e-12)
    assert fit.slope_se == pytest.approx(ref.stderr, rel=1e-10)
    assert fit.intercept_se == pytest.approx(ref.intercept_stderr, rel=1e-10)
    assert fit.r_squared == pytest.approx(ref.rvalue**2, rel=1e-10)
    t = stats.t.ppf(0.975, x.size - 2)
    assert fit.slope_ci == pytest.approx((ref.slope - t * ref.stderr, ref.slope + t * ref.stderr))


def test_linear_fit_closed_form_small_case():
    # x = 0,1,2,3; y = 1,3,2,4: Sxy = 4, Sxx = 5 → slope 0.8, intercept 2.5 − 0.8·1.5 = 1.3 (by hand)
    fit = linear_fit([0, 1, 2, 3], [1, 3, 2, 4])
    assert fit.slope == pytest.approx(0.8)
    assert fit.intercept == pytest.approx(1.3)
    residuals = np.array([1, 3, 2, 4]) - (0.8 * np.arange(4) + 1.3)
    np.testing.assert_allclose(fit.residuals, residuals, atol=1e-12)
    assert fit.s_yx == pytest.approx(math.sqrt(np.sum(residuals**2) / 2))


@pytest.mark.parametrize("seed", SEEDS)
def test_slope_ci_covers_truth_at_nominal_rate(seed):
    rng = np.random.default_rng(100 + seed)
    x = np.linspace(0, 1, 8)
    hits = 0
    for _ in range(200):
        fit = linear_fit(x, 3 * x + 1 + rng.normal(0, 0.1, x.size))
        hits += fit.slope_ci[0] <= 3 <= fit.slope_ci[1]
    assert 0.88 <= hits / 200 <= 0.995


def test_linear_fit_rejects_bad_input():
    with pytest.raises(ParameterError, match="x"):
        linear_fit([1, 1, 1], [1, 2, 3])
    with pytest.raises(ParameterError, match="y"):
        linear_fit([1, 2, 3], [1, 2])
    with pytest.raises(ParameterError, match="non-finite"):
        linear_fit([1, 2, 3], [1, np.nan, 3])
    with pytest.raises(ParameterError, match="confidence"):
        linear_fit([1, 2, 3], [1, 2, 3], confidence=1.5)


def test_two_points_give_exact_line_without_uncertainty():
    fit = linear_fit([1, 2], [3, 5])
    assert fit.slope == 2 and fit.intercept == 1
    assert math.isnan(fit.slope_se)


# ---------------------------------------------------------------- scan-rate study


def _randles_sevcik(v, *, n=1, area_m2=1e-5, c=1.0, d=1e-9):
    return 0.4463 * n * F * area_m2 * c * np.sqrt(n * F * v * d / (R * T))


def test_randles_sevcik_matches_cgs_form():
    # 2.69e5 n^1.5 A D^½ C v^½ with A cm², D cm²/s, C mol/cm³ (B&F 6.2.19)
    v = 0.1
    ip_cgs = 2.69e5 * 1 * 1.0 * math.sqrt(1e-5) * 1e-6 * math.sqrt(v)
    ip_si = _randles_sevcik(np.array([v]), area_m2=1e-4, c=1.0, d=1e-9)[0]
    assert ip_si == pytest.approx(ip_cgs, rel=2e-3)
    slope = ip_si / math.sqrt(v)
    d = randles_sevcik_diffusion(slope, n_electrons=1, area_m2=1e-4, concentration_mol_m3=1.0)
    assert d == pytest.approx(1e-9, rel=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_diffusion_series(seed):
    rng = np.random.default_rng(seed)
    v = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0])
    ip = _randles_sevcik(v, d=7.2e-10) * (1 + rng.normal(0, 0.01, v.size))
    study = scan_rate_study(v, ip, area_m2=1e-5, concentration_mol_m3=1.0, delta_ep=np.full(v.size, 0.059))
    assert study.regime == "diffusion"
    assert study.log_fit.slope == pytest.approx(0.5, abs=0.02)
    lo, hi = study.log_fit.slope_ci
    assert lo < study.log_fit.slope < hi
    assert study.diffusion is not None
    assert study.diffusion.value == pytest.approx(7.2e-10, rel=0.05)
    assert study.diffusion.unit == "m2/s"
    assert study.delta_ep_trend == "constant"
    assert study.alpha_n is None and not study.irreversible
    assert "0.5" in study.criterion and "1.0" in study.criterion


@pytest.mark.parametrize("seed", SEEDS)
def test_surface_series(seed):
    rng = np.random.default_rng(seed)
    v = np.geomspace(0.01, 1, 6)
    ip = F**2 * 1e-5 * 1e-6 * v / (4 * R * T) * (1 + rng.normal(0, 0.01, v.size))  # n²F²AΓv/4RT
    study = scan_rate_study(v, ip)
    assert study.regime == "surface"
    assert study.log_fit.slope == pytest.approx(1.0, abs=0.02)
    assert study.regime_confidence > 0.5


def test_mixed_and_undetermined():
    v = np.geomspace(0.01, 1, 6)
    assert scan_rate_study(v, v**0.75).regime == "mixed"
    assert scan_rate_study(v, v**0.2).regime == "undetermined"


@pytest.mark.parametrize("alpha_n", [0.3, 0.5, 0.8])
def test_alpha_n_from_peak_shift(alpha_n):
    v = np.geomspace(0.01, 10, 7)
    b = 1.1513 * R * T / (alpha_n * F)  # V per decade (B&F 6.3.4)
    ep = 0.3 + b * np.log10(v)
    study = scan_rate_study(v, np.sqrt(v), peak_potentials=ep)
    assert study.irreversible
    assert study.alpha_n is not None
    assert study.alpha_n.value == pytest.approx(alpha_n, rel=1e-3)
    # 29.6 mV/decade for αn = 1
    assert 1000 * b * alpha_n == pytest.approx(29.6, abs=0.1)


def test_delta_ep_growing_is_reported():
    v = np.geomspace(0.01, 10, 7)
    dep = 0.060 + 0.02 * np.log10(v / 0.01)
    study = scan_rate_study(v, np.sqrt(v), delta_ep=dep, peak_potentials=0.2 + 0.01 * np.log10(v))
    assert study.delta_ep_trend == "increasing"
    assert study.delta_ep_fit.slope == pytest.approx(0.02)
    assert not study.irreversible  # ΔEp below 200 mV: quasi-reversible, not irreversible


def test_scan_rate_study_rejects_bad_input():
    with pytest.raises(ParameterError, match="scan_rates"):
        scan_rate_study([0.1, -0.2], [1, 2])
    with pytest.raises(ParameterError, match="peak_currents"):
        scan_rate_study([0.1, 0.2], [1, 0])
    with pytest.raises(ParameterError, match="peak_currents"):
        scan_rate_study([0.1, 0.2, 0.3], [1, 2])
    with pytest.raises(ParameterError, match="scan_rates"):
        scan_rate_study([0.1, 0.1], [1, 2])


# ---------------------------------------------------------------- calibration


@pytest.mark.parametrize("seed", SEEDS)
def test_calibration_known_line(seed):
    rng = np.random.default_rng(seed)
    c = np.array([0, 0, 0, 0.5, 1, 2, 4, 6, 8, 10.0])
    sensitivity, intercept, noise = 2e-6, 1e-8, 2e-8
    r = sensitivity * c + intercept + rng.normal(0, noise, c.size)
    study = calibration_study(c, r, concentration_unit="µM")
    ref = stats.linregress(c, r)
    assert study.used.all() and not study.excluded
    assert study.fit.slope == pytest.approx(ref.slope, rel=1e-12)
    assert study.fit.intercept == pytest.approx(ref.intercept, rel=1e-9, abs=1e-20)
    assert study.fit.r_squared == pytest.approx(ref.rvalue**2)
    assert study.slope.value == pytest.approx(sensitivity, rel=0.03)
    assert study.slope.unit == "A/µM"
    # blanks: three replicates give s_blank and the IUPAC LOD is the headline
    s_blank = np.std(r[:3], ddof=1)
    assert study.n_blank == 3
    assert study.blank_sd == pytest.approx(s_blank)
    assert study.headline == "iupac_blank"
    lods = {d.name: d for d in study.detection_limits}
    assert lods["iupac_blank"].lod.value == pytest.approx(3 * s_blank / ref.slope)
    assert lods["ich_blank"].lod.value == pytest.approx(3.3 * s_blank / ref.slope)
    assert lods["ich_blank"].loq.value == pytest.approx(10 * s_blank / ref.slope)
    s_yx = math.sqrt(np.sum((r - ref.slope * c - ref.intercept) ** 2) / (c.size - 2))
    assert lods["ich_residual"].lod.value == pytest.approx(3.3 * s_yx / ref.slope)
    assert lods["ich_residual"].loq.value == pytest.approx(10 * s_yx / ref.slope)
    assert "IUPAC" in lods["iupac_blank"].definition and "s_y/x" in lods["ich_residual"].definition
    np.testing.assert_allclose(study.residuals, r - (ref.slope * c + ref.intercept), atol=1e-20)


@pytest.mark.parametrize("seed", SEEDS)
def test_calibration_drops_saturating_top(seed):
    rng = np.random.default_rng(seed)
    c = np.arange(0.0, 11.0)
    true = 1e-6 * c / (1 + (c / 20) ** 4)  # linear up to ≈ 6, then bends down
    r = true + rng.normal(0, 5e-9, c.size)
    study = calibration_study(c, r)
    assert study.excluded, "saturated levels should be dropped"
    high = study.linear_range[1]
    assert 5 <= high <= 9
    assert all(c[i] > high for i, _ in study.excluded)
    assert study.fit.slope == pytest.approx(1e-6, rel=0.03)
    assert any("left out" in f for f in study.findings)


@pytest.mark.parametrize("seed", SEEDS)
def test_calibration_keeps_a_straight_line(seed):
    rng = np.random.default_rng(50 + seed)
    c = np.linspace(0, 10, 9)
    study = calibration_study(c, 3e-7 * c + rng.normal(0, 3e-9, c.size))
    assert not study.excluded
    assert study.linear_range == (0.0, 10.0)


def test_noise_free_line_is_not_cut():
    c = np.linspace(0, 1, 7)
    study = calibration_study(c, 5 * c + 1e-16 * c**2)
    assert not study.excluded


def test_blank_sd_from_noise_used_when_no_replicates():
    c = np.array([0.0, 1, 2, 3, 4])
    r = np.array([np.nan, 1.0, 2.0, 3.05, 3.95])
    study = calibration_study(c, r, blank_sd=0.01, blank_sd_source="RMS noise of the blank curve")
    lods = {d.name: d for d in study.detection_limits}
    assert study.headline == "iupac_blank"
    assert lods["iupac_blank"].lod.value == pytest.approx(3 * 0.01 / study.fit.slope)
    assert lods["iupac_blank"].sigma_source == "RMS noise of the blank curve"
    assert study.n_blank == 0  # the blank's response was not measured


def test_headline_is_ich_residual_without_blank():
    study = calibration_study([1, 2, 3, 4], [1.0, 2.1, 2.9, 4.0])
    assert study.headline == "ich_residual"
    assert [d.name for d in study.detection_limits] == ["ich_residual"]


def test_calibration_rejects_bad_input():
    with pytest.raises(ParameterError, match="concentrations"):
        calibration_study([-1, 1, 2], [1, 2, 3])
    with pytest.raises(ParameterError, match="concentrations"):
        calibration_study([1, 1, 1], [1, 2, 3])
    with pytest.raises(ParameterError, match="blank_sd"):
        calibration_study([0, 1, 2], [1, 2, 3], blank_sd=-1)


# ---------------------------------------------------------------- cycle stability


@pytest.mark.parametrize("seed", SEEDS)
def test_exponential_decay(seed):
    rng = np.random.default_rng(seed)
    k = np.arange(1, 11)
    ip = 1e-5 * 0.95 ** (k - 1) * (1 + rng.normal(0, 0.002, k.size))
    result = cycle_stability(k, ip)
    assert result.model == "exponential"
    assert result.decay_per_cycle.value == pytest.approx(5.0, abs=0.3)
    assert result.retained == pytest.approx(0.95**9, rel=0.03)
    assert result.significant


def test_linear_decay():
    k = np.arange(1, 8)
    ip = -(1e-5 - 2e-7 * (k - 1))  # cathodic, sign ignored
    result = cycle_stability(k, ip)
    assert result.model == "linear"
    assert result.decay_per_cycle.value == pytest.approx(2.0, rel=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_stable_cycles_not_significant(seed):
    rng = np.random.default_rng(seed)
    k = np.arange(1, 6)
    result = cycle_stability(k, 1e-5 * (1 + rng.normal(0, 1e-3, k.size)))
    assert abs(result.decay_per_cycle.value) < 0.5


# ---------------------------------------------------------------- through the simulator and the engine


def _simulated(seed, curves, noise_rel):
    from voltlens.simulate import Artifacts, apply_artifacts

    rng = np.random.default_rng(seed)
    scale = max(float(np.max(np.abs(c.faradaic_A.sum(axis=0)))) for c in curves)
    return [apply_artifacts(c, Artifacts(noise_rms_A=noise_rel * scale), rng=rng)[0] for c in curves]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_simulated_scan_rate_series_diffusion(seed):
    from voltlens.analyze import analyze
    from voltlens.simulate import Cell, CVWaveform, Reversible, scan_rate_series

    sp = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=7e-10)
    wave = CVWaveform(start_V=-0.35, vertex_V=0.4, scan_rate_V_s=0.1, step_V=0.002)
    rates = [0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    curves = _simulated(seed, scan_rate_series(sp, wave, Cell(area_m2=7.07e-6, cdl_F_m2=0.1), rates), 0.003)
    result = analyze(curves, concentration_mol_m3=1.0)
    study = result.series.study
    assert result.series.kind == "scan_rate" and study.regime == "diffusion"
    assert study.log_fit.slope == pytest.approx(0.50, abs=0.02)
    assert study.diffusion.value == pytest.approx(7e-10, rel=0.05)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_simulated_scan_rate_series_adsorbed(seed):
    from voltlens.analyze import analyze
    from voltlens.simulate import Adsorbed, Cell, CVWaveform, scan_rate_series

    sp = Adsorbed(e0_V=0.0, coverage_mol_m2=1e-6)
    wave = CVWaveform(start_V=-0.3, vertex_V=0.3, scan_rate_V_s=0.1, step_V=0.002)
    rates = [0.02, 0.05, 0.1, 0.2, 0.5]
    curves = _simulated(seed, scan_rate_series(sp, wave, Cell(area_m2=7.07e-6, cdl_F_m2=0.05), rates), 0.003)
    study = analyze(curves).series.study
    assert study.regime == "surface"
    assert study.log_fit.slope == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("technique", ["CV", "DPV"])
def test_simulated_calibration_with_blank(seed, technique):
    from voltlens.analyze import analyze
    from voltlens.simulate import Cell, CVWaveform, DPVWaveform, Reversible, concentration_series

    sp = Reversible(e0_V=0.05, concentration_mol_m3=1.0, diffusion_m2_s=1e-9)
    if technique == "CV":
        wave = CVWaveform(start_V=-0.3, vertex_V=0.4, scan_rate_V_s=0.1, step_V=0.002)
        truth = 0.4463 * F * 7.07e-6 * math.sqrt(F / (R * T) * 0.1 * 1e-9)  # Randles–Ševčík, A per mM
    else:
        wave = DPVWaveform(
            start_V=-0.25, end_V=0.35, step_V=0.005, amplitude_V=0.025, pulse_width_s=0.05, period_s=0.1
        )
        truth = None
    curves = concentration_series(sp, wave, Cell(area_m2=7.07e-6, cdl_F_m2=0.1), [0.1, 0.25, 0.5, 1.0, 2.0])
    if truth is None:  # the simulated faradaic peak at 1 mM: the data's own ground truth
        one = next(c for c in curves if c.voltammogram.metadata["concentration_mol_m3"] == 1.0)
        truth = float(np.max(one.faradaic_A.sum(axis=0)))
    conc = [c.voltammogram.metadata["concentration_mol_m3"] for c in curves]
    assert conc[0] == 0.0  # the blank
    result = analyze(_simulated(seed, curves, 0.005), concentrations=conc)
    study = result.series.study
    assert study.fit.slope == pytest.approx(truth, rel=0.03)
    assert study.headline == "iupac_blank"
    lod = study.headline_limit.lod.value
    # 3 s_blank / S with s_blank at most the blank's raw noise (0.5 % of the 2 mM peak)
    assert 0 < lod <= 3 * 0.005 * 2.0 * 1.05

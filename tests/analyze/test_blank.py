"""Calibration with a blank: the blank is subtracted from every analyte curve before the peak heights
are measured, so a background the peak finder cannot model (a steep solvent wave under the peak, a
sloping baseline) cancels.  Truth: the simulated faradaic peak per mM (voltlens.simulate), planted
under a background shared by every curve of the series."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from voltlens.analyze.blank import blank_incompatibility, subtract_blank
from voltlens.analyze.contract import report_of
from voltlens.errors import DataError
from voltlens.model import Technique, Voltammogram

CONCS = [1.0, 2.0, 3.0, 4.0, 5.0]


def analysis_json(result) -> dict:
    return report_of(result).model_dump(mode="json")


def _solvent_wave(e: np.ndarray, scale: float) -> np.ndarray:
    """A cathodic solvent wave rising steeply below -0.45 V plus a sloping baseline: shared by the
    blank and every analyte curve (it does not depend on the analyte)."""
    return -scale * (3.0 * np.exp(-(e + 0.45) / 0.04) + 0.4 * (e + 0.5))


def _series(seed: int, background: bool = True):
    from voltlens.simulate import Cell, DPVWaveform, Reversible, concentration_series

    sp = Reversible(e0_V=-0.3, concentration_mol_m3=1.0, diffusion_m2_s=1e-9, initially="ox")
    wave = DPVWaveform(
        start_V=0.0, end_V=-0.55, step_V=0.004, amplitude_V=0.05, pulse_width_s=0.05, period_s=0.1
    )
    sims = concentration_series(sp, wave, Cell(area_m2=7.07e-6), CONCS)
    one = next(s for s in sims if s.voltammogram.metadata["concentration_mol_m3"] == 1.0)
    truth = float(np.max(np.abs(one.faradaic_A.sum(axis=0))))  # the faradaic peak at 1 mM, from zero
    rng = np.random.default_rng(seed)
    curves = []
    for s in sims:
        v = s.voltammogram
        i = v.current + (_solvent_wave(v.potential, truth) if background else 0.0)
        curves.append(v.replace(current=i + rng.normal(0.0, 0.003 * truth, i.size)))
    return curves, [v.metadata["concentration_mol_m3"] for v in curves], truth


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sensitivity_on_a_solvent_wave_read_with_the_blank_subtracted(seed):
    from voltlens.analyze import analyze

    curves, conc, truth = _series(seed)
    assert conc[0] == 0.0
    result = analyze(curves, concentrations=conc)
    assert result.series.values["blank_curve"] == 0
    assert result.series.study.fit.slope == pytest.approx(truth, rel=0.04)
    assert "less the blank" in result.interpretation
    assert analysis_json(result)["series"]["blank_subtracted"] == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_series_without_a_blank_is_measured_on_the_raw_curves(seed):
    from voltlens.analyze import analyze

    curves, conc, truth = _series(seed, background=False)
    result = analyze(curves[1:], concentrations=conc[1:])
    assert result.series.values["blank_curve"] is None
    assert result.series.study.fit.slope == pytest.approx(truth, rel=0.04)
    assert analysis_json(result)["series"]["blank_subtracted"] is None


def test_incompatible_blank_is_not_subtracted():
    from voltlens.analyze import analyze

    curves, conc, _ = _series(0, background=False)
    blank = curves[0]
    cv_blank = Voltammogram(
        np.concatenate([blank.potential, blank.potential[::-1]]),
        np.concatenate([blank.current, blank.current[::-1]]),
        technique=Technique.CV,
        source="cv blank",
    )
    assert blank_incompatibility(curves[1], cv_blank) is not None
    with pytest.raises(DataError):
        subtract_blank(curves[1], cv_blank)
    result = analyze([cv_blank, *curves[1:]], concentrations=conc)
    assert result.series.values["blank_curve"] is None
    assert "raw curves" in result.interpretation


def test_subtraction_follows_each_sweep_and_crops_to_the_blank():
    e_up = np.linspace(-0.5, 0.5, 101)
    e = np.concatenate([e_up, e_up[::-1][1:]])
    charging = np.where(np.arange(e.size) < 101, 1.0, -1.0)  # changes sign with the sweep direction
    curve = Voltammogram(e, charging + e**2, technique=Technique.CV, source="curve")
    eb = np.linspace(-0.4, 0.5, 91)
    blank = Voltammogram(
        np.concatenate([eb, eb[::-1][1:]]),
        np.concatenate([np.ones(91), -np.ones(90)]),
        technique=Technique.CV,
        source="blank",
    )
    out = subtract_blank(curve, blank)
    assert out.potential.min() == pytest.approx(-0.4)
    np.testing.assert_allclose(out.current, out.potential**2, atol=1e-12)
    assert out.metadata["blank_subtracted"] == "blank"


def _cv(e_lo: float, source: str, **settings) -> Voltammogram:
    e_up = np.linspace(e_lo, 0.5, 101)
    e = np.concatenate([e_up, e_up[::-1][1:]])
    return Voltammogram(
        e, np.where(np.arange(e.size) < 101, 0.5, -0.5), technique=Technique.CV, source=source, **settings
    )


@pytest.mark.parametrize(
    ("curve", "blank", "named"),
    [
        ({"scan_rate": 0.1}, {"scan_rate": 1.0}, "V/s"),  # charging i = A·Cdl·v differs tenfold
        ({"reference_electrode": "Ag/AgCl"}, {"reference_electrode": "SCE"}, "SCE"),
        ({"area_m2": 7e-6}, {"area_m2": 2e-6}, "area"),
    ],
)
def test_a_blank_recorded_otherwise_is_not_subtracted(curve, blank, named):
    why = blank_incompatibility(_cv(-0.5, "curve", **curve), _cv(-0.5, "blank", **blank))
    assert why is not None and named in why


def test_a_blank_differing_only_in_unstated_settings_or_file_sign_convention_is_subtracted():
    from voltlens.model import SignConvention

    curve = _cv(-0.5, "curve", scan_rate=0.1, sign_convention=SignConvention.US)
    assert blank_incompatibility(curve, _cv(-0.5, "blank")) is None  # IUPAC file, rate unstated


def test_a_dpv_blank_with_another_pulse_amplitude_is_not_subtracted():
    from voltlens.model import PulseSettings

    curves, _, _ = _series(0, background=False)
    other = dataclasses.replace(curves[0].pulse, amplitude_V=2 * curves[0].pulse.amplitude_V)
    why = blank_incompatibility(curves[1], curves[0].replace(pulse=other))
    assert isinstance(curves[0].pulse, PulseSettings)
    assert why is not None and "amplitude" in why


def test_the_blank_starting_the_other_way_is_matched_sweep_by_direction():
    e_up = np.linspace(-0.5, 0.5, 101)
    curve = Voltammogram(np.concatenate([e_up, e_up[::-1][1:]]), np.zeros(201), technique=Technique.CV)
    down = e_up[::-1]
    blank_i = np.concatenate([-np.ones(101), np.ones(100)])  # negative going first, then positive
    blank = Voltammogram(np.concatenate([down, down[::-1][1:]]), blank_i, technique=Technique.CV, source="b")
    out = subtract_blank(curve, blank)
    # the turning point at 0.5 V opens the negative-going sweep
    np.testing.assert_allclose(out.current[:100], -1.0)  # the positive-going sweep less +1
    np.testing.assert_allclose(out.current[100:], 1.0)  # the negative-going sweep less -1


def test_two_blanks_one_subtracted_the_line_made_of_the_analyte_curves():
    from voltlens.analyze import analyze

    curves, conc, truth = _series(1)
    rng = np.random.default_rng(5)
    second = curves[0].replace(
        current=curves[0].current + rng.normal(0.0, 0.003 * truth, curves[0].n_points), source="blank 2"
    )
    result = analyze([*curves, second], concentrations=[*conc, 0.0])
    assert result.series.values["blank_curve"] == 0
    assert result.series.study.fit.slope == pytest.approx(truth, rel=0.04)
    assert result.series.study.blank_sd is not None and result.series.study.blank_sd > 0

"""Render → digitize round trips: the recovered axes and curves against the renderer's exact
transform and the data it drew (seeds and styles pinned per case; images never seen in tuning)."""

from __future__ import annotations

import numpy as np
import pytest

from voltlens import SignConvention, Technique
from voltlens.digitize import digitize
from voltlens.render import Degradation

from .conftest import calibration_errors, matched_errors, synth_figure

SEED = 31
_ONE = {"legend": "none", "split_cycles": False}

CASES = {
    "iupac": ({"theme": "matplotlib", **_ONE}, {}),
    "us_convention": ({"theme": "light", "invert_potential": True, "negate_current": True, **_ONE}, {}),
    "markers_only": ({"theme": "light", "draw_mode": "markers", "marker_every": 1, **_ONE}, {}),
    "dark_theme": ({"theme": "dark", **_ONE}, {}),
    "milliampere": ({"theme": "paper", "current_unit": "mA", **_ONE}, {}),
    "nanoampere": ({"theme": "light", "current_unit": "nA", **_ONE}, {}),
    "offset_text": (
        {
            "theme": "matplotlib",
            "current_unit": "A",
            "current_tick_format": "plain",
            "offset_style": "plain",
            **_ONE,
        },
        {},
    ),
    "offset_math": (
        {
            "theme": "light",
            "current_unit": "A",
            "current_tick_format": "plain",
            "offset_style": "math",
            **_ONE,
        },
        {},
    ),
    "jpeg": (
        {"theme": "light", **_ONE},
        {"degradation": Degradation(kind="web", scale=0.8, jpeg_quality=60)},
    ),
    "scan_rotated": (
        {"theme": "paper", **_ONE},
        {
            "degradation": Degradation(
                kind="scan",
                rotation_deg=1.2,
                zoom=0.97,
                blur_sigma=0.5,
                noise_sigma=3.0,
                background=(240, 240, 240),
            )
        },
    ),
    "dpv": ({"theme": "light", **_ONE}, {"technique": "DPV"}),
}
INDEX = {"nanoampere": 0, "dpv": 0}


@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trip(case: str) -> None:
    style, extra = CASES[case]
    fig = synth_figure(SEED, INDEX.get(case, 0), style=style, **extra)
    result = digitize(fig.image, source=case)
    cal_x, cal_y = calibration_errors(fig, result)
    assert cal_x < 0.5 and cal_y < 0.5, (case, cal_x, cal_y)
    assert len(result.curves) == len(fig.meta["curves"])
    errors = matched_errors(fig, result)
    assert max(errors) < 1.0, (case, errors)
    rep = result.digitization
    assert rep.x_axis.residual_pct < 0.5 and rep.y_axis.residual_pct < 0.5
    assert 0.0 < rep.confidence <= 1.0
    for curve, unc in zip(result.curves, result.uncertainty, strict=True):
        assert unc.potential_V.shape == curve.potential.shape
        assert np.all(unc.current_A > 0) and np.all(unc.potential_V > 0)


def test_us_convention_is_detected_and_undone() -> None:
    style, _ = CASES["us_convention"]
    fig = synth_figure(SEED, 0, style=style)
    result = digitize(fig.image)
    conv = result.digitization.conventions
    assert conv["potential_axis_inverted"] is True
    assert conv["cathodic_up"] is True
    [curve] = result.curves
    assert curve.sign_convention is SignConvention.US
    # currents come back IUPAC-signed: the truth's extremes, not their negatives
    truth = fig.truth_curves()[0][1]
    assert abs(curve.current.max() - truth.max()) < 0.05 * np.ptp(truth)


@pytest.mark.parametrize(("unit", "symbol"), [("mA", "mA"), ("nA", "nA")])
def test_current_unit_is_read(unit: str, symbol: str) -> None:
    fig = synth_figure(SEED, 0, style={"theme": "light", "current_unit": unit, **_ONE})
    result = digitize(fig.image)
    assert result.digitization.y_axis.unit == symbol
    assert result.digitization.current_unit_read
    assert result.curves[0].display_units["current"] == symbol


def test_offset_multiplier_is_applied() -> None:
    style, _ = CASES["offset_text"]
    fig = synth_figure(SEED, 0, style=style)
    result = digitize(fig.image)
    assert result.digitization.y_axis.multiplier < 1e-2  # "1e−5"-like factor read above the axis
    truth = np.concatenate([c[1] for c in fig.truth_curves()])
    assert result.curves[0].current.max() == pytest.approx(truth.max(), rel=0.05, abs=0.02 * np.ptp(truth))


@pytest.mark.parametrize("index", [0, 3, 5])
def test_overlaid_curves_matched_to_legend(index: int) -> None:
    fig = synth_figure(
        SEED, index, style={"theme": "matplotlib", "legend": "inside", "split_cycles": False}, kind="overlay"
    )
    result = digitize(fig.image)
    assert len(result.curves) == len(fig.meta["curves"])
    assert max(matched_errors(fig, result)) < 1.0
    truth_labels = sorted(c["label"].replace(" ", "") for c in fig.meta["curves"])
    read = sorted((lab or "").replace(" ", "") for lab in result.legend_labels)
    assert read == truth_labels
    # each legend label names the curve of its colour
    for curve, lab in zip(result.curves, result.legend_labels, strict=True):
        [meta] = [
            c for c in fig.meta["curves"] if c["label"].replace(" ", "") == (lab or "").replace(" ", "")
        ]
        want = np.array([int(meta["color"][k : k + 2], 16) for k in (1, 3, 5)])
        got = np.array([int(curve.metadata["color"][k : k + 2], 16) for k in (1, 3, 5)])
        assert np.abs(want - got).max() < 60


def test_techniques_guessed() -> None:
    cv = digitize(synth_figure(SEED, 0, style=CASES["iupac"][0]).image)
    assert cv.curves[0].technique is Technique.CV
    assert cv.curves[0].segment is not None and set(np.unique(cv.curves[0].segment)) >= {0, 1}
    dpv = digitize(synth_figure(SEED, 0, style=CASES["dpv"][0], technique="DPV").image)
    assert dpv.curves[0].technique is Technique.DPV


def test_pixel_data_maps_invert_each_other() -> None:
    fig = synth_figure(SEED, 0, style=CASES["iupac"][0])
    result = digitize(fig.image)
    e = np.linspace(-0.2, 0.4, 5)
    i = np.linspace(-1e-6, 1e-6, 5)
    x, y = result.data_to_pixel(e, i)
    e2, i2 = result.pixel_to_data(x, y)
    np.testing.assert_allclose(e2, e, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(i2, i, rtol=1e-9, atol=1e-18)

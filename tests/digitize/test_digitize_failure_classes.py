"""One test per failure class fixed in the digitizer: each renders a figure of that class (style
pinned) and checks the reading against the renderer's truth — the unit and scale it drew, its
exact pixel ↔ data transform and the number of curves it drew."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from voltlens.digitize import digitize
from voltlens.digitize.calibrate import AxisFit
from voltlens.digitize.layout import _plausible_current_unit
from voltlens.digitize.parse import parse_current_title

from .conftest import calibration_errors, synth_figure

SEED = 31
_ONE = {"legend": "none", "split_cycles": False}


def _calibrated(fig, result) -> None:  # type: ignore[no-untyped-def]
    cal_x, cal_y = calibration_errors(fig, result)
    assert cal_x < 0.5 and cal_y < 0.5, (cal_x, cal_y)


@pytest.mark.parametrize("micro", ["u", "$\\mu$"])
def test_micro_ampere_title_read_as_micro(micro: str) -> None:
    """µA written as 'uA' or in mathtext is read as µA, and the currents come out in A."""
    fig = synth_figure(SEED, 1, style={"theme": "light", "current_unit": "µA", "micro": micro, **_ONE})
    assert fig.meta["y_axis"]["unit"] == "µA"
    result = digitize(fig.image)
    assert result.digitization.y_axis.unit == "µA"
    _calibrated(fig, result)


# Figures of each failure class, styles pinned (taken from development seeds, never the held-out
# benchmark): the digitizer used to misread each one (unit lost, frame wrong, refusal).
PINNED = json.loads((Path(__file__).parent / "data" / "failure_styles.json").read_text(encoding="utf-8"))


def _pinned(name: str):  # type: ignore[no-untyped-def]
    case = PINNED[name]
    return synth_figure(
        case["seed"], case["index"], style=case["style"], technique=case["technique"], kind=case["kind"]
    )


@pytest.mark.parametrize("name", sorted(n for n in PINNED if n != "peak_above_top_gridline"))
def test_failure_class_reads_right(name: str) -> None:
    """Unit and both axes right (the renderer's unit, its exact transform) and, for figures with a
    legend-less single curve or a well-separated series, the number of curves drawn."""
    fig = _pinned(name)
    result = digitize(fig.image, source=name)
    assert result.digitization.y_axis.unit == fig.meta["y_axis"]["unit"], result.digitization.y_axis.title
    _calibrated(fig, result)
    if name != "frame_from_tick_labels":
        assert len(result.curves) == len(fig.meta["curves"])


def test_peak_beyond_the_outermost_gridline_is_kept() -> None:
    """No spines, horizontal gridlines: the frame's top is the top gridline, and a peak drawn above
    it used to be cut off (peak current and Ep wrong)."""
    fig = _pinned("peak_above_top_gridline")
    result = digitize(fig.image)
    _calibrated(fig, result)
    (te, ti) = fig.truth_curves()[0]
    c = result.curves[0]
    xr, _ = fig.ranges()
    assert abs(c.current.max() - ti.max()) <= 0.02 * np.ptp(ti)
    assert abs(c.potential[np.argmax(c.current)] - te[np.argmax(ti)]) <= 0.01 * xr


def _fit(values: list[float]) -> AxisFit:
    return AxisFit(1.0, 0.0, tuple(range(len(values))), tuple(values), (0.0,) * len(values), 0, True, 3)


def test_bare_ampere_over_large_ticks_is_micro() -> None:
    """'i (A)' over ticks of −8…4 with no multiplier: a µ lost by OCR (a voltammogram does not
    carry amperes); taken as µA and flagged as a guess."""
    title, note = _plausible_current_unit(parse_current_title("i (A)"), _fit([-8.0, -4.0, 0.0, 4.0]), 0)
    assert title.unit is not None and title.unit.scale == pytest.approx(1e-6)
    assert title.prefix_guessed and note
    # a real ampere axis (small ticks, or a multiplier) is left alone
    title, note = _plausible_current_unit(parse_current_title("I / A"), _fit([0.0, 1e-4, 2e-4]), 0)
    assert title.unit is not None and title.unit.scale == 1.0 and not note
    title, _ = _plausible_current_unit(parse_current_title("I / A"), _fit([-5.0, 0.0, 5.0]), -7)
    assert title.unit is not None and title.unit.scale == 1.0


def test_slash_misread_before_ampere_is_not_micro() -> None:
    """'I / A' read as '17A': the mark before A is not a µ when the ticks are 1e−4-sized."""
    title, _ = _plausible_current_unit(parse_current_title("17A"), _fit([-1e-4, 0.0]), 0)
    assert title.unit is not None and title.unit.scale == 1.0


def test_unreadable_power_of_ten_in_title_is_flagged() -> None:
    """'(10⁻⁶ A)' whose superscript OCR turned into '-°': the scale is not silently taken as A."""
    t = parse_current_title("WE(1).Current (10-° A)")
    assert t.multiplier_unread and t.unit is not None and t.unit.symbol == "A"
    t = parse_current_title("WE(1).Current (10⁻⁶ A)")
    assert not t.multiplier_unread and t.multiplier_exponent == -6


def test_unreadable_power_of_ten_stays_flagged_under_the_micro_guess() -> None:
    """'Current (10-° A)' over ticks of 0…2: taken as µA (the commonest multiplier), but the title
    keeps its unreadable-multiplier flag, so the reading is not reported as a confident µA."""
    t = parse_current_title("WE(1).Current (10-° A)")
    title, note = _plausible_current_unit(t, _fit([0.0, 1.0, 2.0]), 0)
    assert title.unit is not None and title.unit.symbol == "µA" and title.prefix_guessed and note
    assert title.multiplier_unread


@pytest.mark.parametrize(("text", "value"), [("4.0c-04", 4.0e-4), ("0.0c+00", 0.0), ("-2.0é-04", -2.0e-4)])
def test_exponent_e_misread_as_c(text: str, value: float) -> None:
    """Small E-notation tick labels whose 'e' OCR reads as 'c' still parse."""
    from voltlens.digitize.parse import parse_tick

    t = parse_tick(text)
    assert t is not None and t.kind == "sci" and t.value == pytest.approx(value, abs=1e-12)

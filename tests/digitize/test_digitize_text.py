"""Reading tick labels, multipliers, units and reference electrodes from OCR text; the robust
axis fit; and that the OCR engine stays offline and out of ``import voltlens``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from voltlens.digitize.calibrate import TickLabel, fit_axis
from voltlens.digitize.parse import (
    parse_current_title,
    parse_multiplier,
    parse_potential_title,
    parse_tick,
)
from voltlens.errors import DigitizeError


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("−0.5", -0.5, "plain"),
        ("-0,25", -0.25, "plain"),
        ("1.0", 1.0, "plain"),
        ("O.5", 0.5, "plain"),
        ("2.0e−05", 2.0e-5, "sci"),
        ("5.0E-06", 5.0e-6, "sci"),
        ("3.0e-5", 3.0e-5, "sci"),
        ("2×10⁻⁵", 2.0e-5, "sci"),
        ("10⁻³", 1.0e-3, "power"),
        ("10²", 100.0, "power"),
    ],
)
def test_tick_labels_parse(text: str, value: float, kind: str) -> None:
    t = parse_tick(text)
    assert t is not None and t.kind == kind
    assert t.value == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("text", ["Potential", "mV", "a.b.c", "", "1.2.3"])
def test_non_numbers_do_not_parse(text: str) -> None:
    assert parse_tick(text) is None


@pytest.mark.parametrize(
    ("text", "exponent"), [("1e−5", -5), ("1e-7", -7), ("×10⁻⁵", -5), ("x10-6", -6), ("1e3", 3)]
)
def test_multipliers(text: str, exponent: int) -> None:
    got = parse_multiplier(text)
    assert got is not None and got[0] == exponent


@pytest.mark.parametrize(
    ("title", "symbol", "scale"),
    [
        ("I / µA", "µA", 1e-6),
        ("I/μA", "µA", 1e-6),
        ("Current (mA)", "mA", 1e-3),
        ("i (nA)", "nA", 1e-9),
        ("<I>/mA", "mA", 1e-3),
        ("WE(1).Current (A)", "A", 1.0),
        ("Current [uA]", "µA", 1e-6),
        ("j / mA cm⁻²", "mA/cm²", 10.0),  # 1 mA/cm² = 10 A/m²
        ("Current density (mA/cm2)", "mA/cm²", 10.0),
        ("HuA)", "µA", 1e-6),  # "I (uA)" with the opening bracket merged into the I by OCR
        ("jmA cm-2]", "mA/cm²", 10.0),
    ],
)
def test_current_titles(title: str, symbol: str, scale: float) -> None:
    t = parse_current_title(title)
    assert t.unit is not None and t.unit.symbol == symbol
    assert t.unit.scale == pytest.approx(scale)


def test_multiplier_inside_a_current_title() -> None:
    t = parse_current_title("I / 10⁻⁵ A")
    assert t.unit is not None and t.unit.symbol == "A" and t.multiplier_exponent == -5


def test_unreadable_current_unit_is_none() -> None:
    assert parse_current_title("Current").unit is None


@pytest.mark.parametrize(
    ("title", "symbol", "ref"),
    [
        ("E / V vs Ag/AgCl", "V", "Ag/AgCl"),
        ("Potential (mV)", "mV", None),
        ("E vs. SCE (V)", "V", "SCE"),
        ("Ewe/V", "V", None),
        ("E (V versus RHE)", "V", "RHE"),
        ("Potential / mV vs Fc/Fc+", "mV", "Fc/Fc+"),
    ],
)
def test_potential_titles(title: str, symbol: str, ref: str | None) -> None:
    t = parse_potential_title(title)
    assert t.unit is not None and t.unit.symbol == symbol
    assert t.reference == ref


def _labels(values: list[float], *, step_px: float = 50.0, texts: list[str] | None = None) -> list[TickLabel]:
    texts = texts or [f"{v:g}" for v in values]
    return [
        TickLabel(100 + k * step_px, v, 0.95, t, t.startswith("-"), "plain", True)
        for k, (v, t) in enumerate(zip(values, texts, strict=True))
    ]


def test_axis_fit_is_exact_for_clean_labels() -> None:
    fit = fit_axis(_labels([-0.4, -0.2, 0.0, 0.2, 0.4]), source="t", axis="x")
    assert fit is not None and len(fit.inliers) == 5 and fit.nice
    assert fit.slope == pytest.approx(0.2 / 50) and fit.value(200.0) == pytest.approx(0.0)


def test_axis_fit_recovers_lost_minus_signs_and_drops_misreads() -> None:
    # true values -0.4 … 0.4 left to right, then 0.6 misread as "7"; "−0.2" lost its minus sign
    texts = ["−0.4", "0.2", "0.0", "0.2", "0.4", "7"]
    labels = _labels([-0.4, 0.2, 0.0, 0.2, 0.4, 7.0], texts=texts)
    labels = [
        TickLabel(lb.pos, lb.value, lb.score, lb.text, lb.text.startswith("−"), "plain", True)
        for lb in labels
    ]
    fit = fit_axis(labels, source="t", axis="x")
    assert fit is not None
    assert 5 not in fit.inliers and fit.sign_fixes == 1
    assert fit.value(100.0) == pytest.approx(-0.4) and fit.value(300.0) == pytest.approx(0.4)


def test_inverted_axis_has_negative_slope() -> None:
    fit = fit_axis(_labels([0.8, 0.6, 0.4, 0.2]), source="t", axis="x")
    assert fit is not None and fit.slope < 0


def test_logarithmic_labels_are_refused() -> None:
    labels = _labels([1e-3, 1e-2, 1e-1, 1.0], texts=["10⁻³", "10⁻²", "10⁻¹", "10⁰"])
    labels = [TickLabel(lb.pos, lb.value, lb.score, lb.text, lb.signed, "power", True) for lb in labels]
    with pytest.raises(DigitizeError, match="logarithmic"):
        fit_axis(labels, source="t", axis="y")
    geometric = _labels([0.01, 0.1, 1.0, 10.0])
    with pytest.raises(DigitizeError, match="logarithmic"):
        fit_axis(geometric, source="t", axis="y")


def test_import_voltlens_does_not_load_the_image_stack() -> None:
    code = "import sys, voltlens, voltlens.digitize; print('cv2' in sys.modules, 'rapidocr' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_ocr_engine_is_built_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    import cv2

    from voltlens.digitize import ocr

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the OCR engine tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(ocr, "_ENGINE", None)
    img = np.full((40, 140, 3), 255, dtype=np.uint8)
    cv2.putText(img, "-0.25", (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    [reading] = ocr.read_crops([img])
    assert reading.text.replace("−", "-") == "-0.25"

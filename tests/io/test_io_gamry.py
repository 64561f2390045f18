"""Gamry .DTA files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voltlens import SignConvention, Technique, UnsupportedMeasurementError
from voltlens.io import detect_format, read

GAMRY = Path(__file__).parent.parent / "data" / "real" / "gamry"


def test_nomad_cv():
    path = GAMRY / "nomad_CV.DTA"
    assert detect_format(path) == "gamry"
    [v] = read(path)
    assert v.technique == Technique.CV
    assert v.n_points == 1001  # CURVE1 751 rows + CURVE2 250 rows
    assert np.unique(v.cycle).tolist() == [1, 2]
    assert v.metadata["cycles_programmed"] == 1
    assert v.scan_rate == pytest.approx(0.0999998)  # SCANRATE 9.99998E+001 (mV/s)
    assert v.potential.max() == pytest.approx(0.5, abs=2e-3) and v.potential.min() == pytest.approx(
        -0.5, abs=2e-3
    )
    assert v.time[0] == pytest.approx(0.02) and v.time[-1] == pytest.approx(20.02)
    # CONVENTION 1 (anodic positive): anodic peak on the positive-going sweep is positive
    assert v.sign_convention == SignConvention.IUPAC
    k = np.argmax(v.current)
    assert v.current[k] == pytest.approx(2.06701e-3) and v.potential[k] == pytest.approx(0.4521, abs=1e-4)
    assert v.segment[k] == 0
    j = np.argmin(v.current)
    assert v.current[j] == pytest.approx(-2.91259e-3) and v.segment[j] == 1
    assert v.area_m2 is None and v.metadata["area_stated_cm2"] == 1.0  # Gamry's default area


def test_gamryparser_cv_fixture():
    [v] = read(GAMRY / "gamryparser_cv_data.dta")
    assert v.n_points == 50
    assert np.unique(v.cycle).tolist() == [1, 2, 3, 4, 5]
    # SCANRATE (not the CHECKQUANT decoy of 1.2345) in mV/s
    assert v.scan_rate == pytest.approx(1.23456e-3)
    assert v.potential[0] == pytest.approx(0.49) and v.current[0] == pytest.approx(7.80498e-9)
    assert v.metadata["notes"] == "test-notes-data"


def test_gamry_square_wave_cathodic_convention_is_flipped():
    [v] = read(GAMRY / "gamryparser_squarewave_data.dta")
    assert v.technique == Technique.SWV
    assert v.n_points == 10
    assert v.metadata["columns"]["potential"] == "Vstep" and v.metadata["columns"]["current"] == "Idif"
    # CONVENTION 0 = cathodic current positive: the file's Idif 1.92826E-006 is -1.92826E-006 in IUPAC
    assert v.sign_convention == SignConvention.US
    assert v.current[0] == pytest.approx(-1.92826e-6)
    assert v.pulse.frequency_Hz == pytest.approx(100.0)
    assert v.pulse.amplitude_V == pytest.approx(-0.025)  # 25 mV on a negative-going scan (0 → -0.5 V)
    assert v.pulse.step_V == pytest.approx(0.002)
    assert v.pulse.period_s == pytest.approx(0.01)


def _dta(tmp_path: Path, tag: str, rows: list[str], *, comma: bool = False) -> Path:
    lines = [
        "EXPLAIN",
        f"TAG\t{tag}",
        "TITLE\tLABEL\tTest\tTest &Identifier",
        "SCANRATE\tQUANT\t5,00000E+001\tScan Rate (mV/s)"
        if comma
        else "SCANRATE\tQUANT\t5.00000E+001\tScan Rate (mV/s)",
        "AREA\tQUANT\t7,00000E-002\tSample Area (cm^2)"
        if comma
        else "AREA\tQUANT\t7.00000E-002\tSample Area (cm^2)",
        "OCVCURVE\tTABLE\t2",
        "\tPt\tT\tVf\tVm\tAch\tOver",
        "\t#\ts\tV vs. Ref.\tV\tV\tbits",
        "\t0\t0.1\t0.2\t0.2\t0\t...........",
        "\t1\t0.2\t0.2\t0.2\t0\t...........",
        "EOC\tQUANT\t0.2\tOpen Circuit (V)",
        "CURVE1\tTABLE",
        "\tPt\tT\tVf\tIm\tVu\tSig\tAch\tIERange\tOver",
        "\t#\ts\tV vs. Ref.\tA\tV\tV\tV\t#\tbits",
        *rows,
    ]
    path = tmp_path / "x.DTA"
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


def test_gamry_decimal_comma_and_area(tmp_path):
    e = np.r_[np.linspace(0, 0.5, 11), np.linspace(0.45, 0, 10)]
    rows = [
        f"\t{k}\t{k * 0.1:.1f}\t{x:.4E}\t{1e-6 * (x - 0.2):.4E}\t0\t0\t0\t5\t...........".replace(
            ".", ","
        ).replace(",,,,,,,,,,,", "...........")
        for k, x in enumerate(e)
    ]
    [v] = read(_dta(tmp_path, "CV", rows, comma=True))
    assert v.n_points == 21
    assert v.scan_rate == pytest.approx(0.05)
    assert v.area_m2 == pytest.approx(7e-6)  # 0.07 cm², not the default
    assert v.potential[10] == pytest.approx(0.5)
    assert v.current[10] == pytest.approx(3e-7)


def test_gamry_eis_is_unsupported(tmp_path):
    path = tmp_path / "eis.DTA"
    path.write_text(
        "EXPLAIN\nTAG\tEISPOT\nTITLE\tLABEL\tPotentiostatic EIS\tTest &Identifier\nZCURVE\tTABLE\n"
    )
    with pytest.raises(UnsupportedMeasurementError, match=r"eis\.DTA.*EIS"):
        read(path)

"""CH Instruments exports: facts checked by reading the files by hand (headers, first/last rows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voltlens import SignConvention, Technique
from voltlens.io import detect_format, read

CHI = Path(__file__).parent.parent / "data" / "real" / "chi"
D3TALES = CHI / "d3tales_11ODQC"


def test_microelectrode_cv_chi650e():
    [v] = read(CHI / "d3tales_CV_microelectrode_CHI650E.csv")
    assert detect_format(CHI / "d3tales_CV_microelectrode_CHI650E.csv") == "chi"
    assert v.technique == Technique.CV
    assert v.n_points == 1600  # 0.000..0.800 up (801 rows) and 0.799..0.001 down (799 rows)
    assert v.potential.min() == pytest.approx(0.0) and v.potential.max() == pytest.approx(0.8)
    assert v.scan_rate == pytest.approx(0.01)  # "Scan Rate (V/s) = 0.01"
    assert v.metadata["instrument"] == "CHI650E"
    assert np.unique(v.segment).tolist() == [0, 1]  # "Segment = 2"
    assert np.count_nonzero(v.segment == 0) == 801
    # Steady-state oxidation wave of a microelectrode: 0.8-37 nA, anodic (positive in IUPAC)
    assert 5e-10 < v.current.min() and v.current.max() < 5e-8
    plateau = v.current[(v.potential > 0.6) & (v.segment == 0)]
    foot = v.current[(v.potential < 0.2) & (v.segment == 0)]
    assert plateau.mean() > 20 * foot.mean()
    # steady state: forward and reverse plateaus agree within 3 %
    back = v.current[(v.potential > 0.6) & (v.segment == 1)]
    assert abs(back.mean() - plateau.mean()) < 0.03 * plateau.mean()
    assert v.sign_convention == SignConvention.IUPAC
    assert v.display_units["current"] == "A"


def test_her_cv_chi760e_holds_segments_5_and_6():
    [v] = read(CHI / "nomad_CV-1T_CHI760E.txt")
    assert v.n_points == 1400
    assert v.potential.min() == pytest.approx(-0.5) and v.potential.max() == pytest.approx(0.2)
    assert v.scan_rate == pytest.approx(0.04)
    assert v.metadata["instrument"] == "CHI760E"
    # The header lists "Segment 5:" and "Segment 6:" (of 6): the table holds the third cycle.
    assert np.unique(v.segment).tolist() == [4, 5]
    assert np.unique(v.cycle).tolist() == [3]
    assert v.metadata["segments_listed"] == [5, 6]
    assert "Segment 5" in v.metadata["results"]
    # Hydrogen evolution at -0.5 V vs Ag/AgCl in acid: the largest current is cathodic (negative).
    i_at_low = v.current[np.argmin(v.potential)]
    assert i_at_low == pytest.approx(-4.214e-4)
    assert abs(v.current.min()) > 5 * v.current.max()
    # double-layer charging: anodic on the positive-going sweep at 0 V, cathodic on the way back
    up = v.current[(v.segment == 4) & (np.abs(v.potential) < 0.01)]
    down = v.current[(v.segment == 5) & (np.abs(v.potential) < 0.01)]
    assert up.mean() > 0 > down.mean()
    assert v.sign_convention == SignConvention.IUPAC


def test_lsv_chi_negative_going_her():
    [v] = read(CHI / "nomad_LSV_CHI.txt")
    assert v.technique == Technique.LSV
    assert v.n_points == 500
    assert v.potential[0] == pytest.approx(-0.2) and v.potential[-1] == pytest.approx(-0.699)
    assert np.all(np.diff(v.potential) < 0)
    assert v.scan_rate == pytest.approx(0.005)
    assert v.current[-1] == pytest.approx(-3.679e-3)  # HER: cathodic, milliampere scale
    assert v.cycle is None
    assert np.unique(v.segment).tolist() == [0]


@pytest.mark.parametrize(
    ("name", "rate", "n"),
    [
        ("exp01_16_40_09", 0.5, 315),
        ("exp02_16_40_23", 0.4, 322),
        ("exp03_16_40_39", 0.3, 321),
        ("exp04_16_40_57", 0.2, 321),
    ],
)
def test_d3tales_two_reversible_couples(name, rate, n):
    """CHI-style text written for a BioLogic SP50E: two reversible couples, each ΔEp ≈ 0.12-0.13 V."""
    path = D3TALES / f"{name}.csv"
    assert detect_format(path) == "chi"
    [v] = read(path)
    assert v.n_points == n
    assert v.scan_rate == pytest.approx(rate)
    assert v.metadata["instrument"] == "SP50E"
    assert v.potential.min() > -0.51 and v.potential.max() < 0.92
    up = v.segment == 0
    down = v.segment == 1
    e, i = v.potential, v.current

    def peak(mask, lo, hi, sign):
        m = mask & (e > lo) & (e < hi)
        k = np.argmax(sign * i[m])
        return e[m][k]

    epa1, epa2 = peak(up, -0.4, 0.2, 1), peak(up, 0.3, 0.9, 1)
    epc1, epc2 = peak(down, -0.5, 0.1, -1), peak(down, 0.2, 0.9, -1)
    assert -0.12 < epa1 < -0.07 and 0.6 < epa2 < 0.65
    # 10 mV sampling: both couples show ΔEp of 115-135 mV (never the 0.7 V of a wrong pairing)
    assert 0.10 < epa1 - epc1 < 0.15
    assert 0.10 < epa2 - epc2 < 0.15
    assert v.sign_convention == SignConvention.IUPAC


def test_d3tales_peak_current_grows_with_scan_rate():
    peaks = []
    for name in ("exp04_16_40_57", "exp03_16_40_39", "exp02_16_40_23", "exp01_16_40_09"):  # 0.2 .. 0.5 V/s
        [v] = read(D3TALES / f"{name}.csv")
        peaks.append(v.current[v.segment == 0].max())
    assert peaks == sorted(peaks)


def test_chi_dpv_header_gives_pulse_settings(tmp_path):
    text = "\n".join(
        [
            "July 23, 2023   12:00:08",
            "Differential Pulse Voltammetry",
            "Instrument Model: CHI840D",
            "Init E (V) = 0.8",
            "Final E (V) = 0.0",
            "Incr E (V) = 0.004",
            "Amplitude (V) = 0.05",
            "Pulse Width (sec) = 0.05",
            "Sample Width (sec) = 0.0167",
            "Pulse Period (sec) = 0.5",
            "Quiet Time (sec) = 2",
            "Sensitivity (A/V) = 1e-5",
            "",
            "Potential/V, Current/A",
            "",
            *[
                f"{0.8 - 0.004 * k:.3f}, {-3e-6 - 1e-6 * np.exp(-((((0.8 - 0.004 * k) - 0.4) / 0.05) ** 2)):.4e}"
                for k in range(201)
            ],
        ]
    )
    path = tmp_path / "dpv.txt"
    path.write_text(text + "\n", encoding="latin-1")
    [v] = read(path)
    assert v.technique == Technique.DPV
    assert v.pulse is not None
    assert v.pulse.amplitude_V == pytest.approx(-0.05)  # cathodic-going scan
    assert v.pulse.step_V == pytest.approx(0.004)
    assert v.pulse.width_s == pytest.approx(0.05)
    assert v.pulse.period_s == pytest.approx(0.5)
    assert v.pulse.sample_s == pytest.approx(0.0167)
    assert v.scan_rate == pytest.approx(0.008)
    assert v.n_points == 201
    # negative-going scan with cathodic (negative) peak: consistent with IUPAC, kept as is
    assert v.sign_convention == SignConvention.IUPAC
    assert v.current.min() == pytest.approx(-4e-6, rel=1e-3)


def test_chi_us_convention_is_detected_and_flipped(tmp_path):
    """An old-CHI style file (cathodic positive) of a reversible couple is turned to IUPAC."""
    from cvsim.mechanisms import E_rev

    e, i = E_rev(0.6, -0.2, 0.2, 0.1, 1.0, 1e-5, 1e-5).simulate()  # reduction first, IUPAC
    rows = "\n".join(f"{a:.3f}, {-b:.6e}" for a, b in zip(e, i, strict=True))
    header = (
        "Jan. 1, 2005   10:00:00\nCyclic Voltammetry\nInstrument Model:  CHI660A\n\nInit E (V) = 0.6\n"
        "High E (V) = 0.6\nLow E (V) = -0.2\nScan Rate (V/s) = 0.1\nSegment = 2\n\nPotential/V, Current/A\n\n"
    )
    path = tmp_path / "old_chi.txt"
    path.write_text(header + rows + "\n")
    [v] = read(path)
    assert v.sign_convention == SignConvention.US
    assert "inferred" in v.metadata["sign_convention_basis"]
    np.testing.assert_allclose(v.current, i, rtol=1e-5, atol=1e-12)
    # the first (negative-going) sweep of the reduced couple is now cathodic
    assert v.current[v.segment == 0].min() < 0


@pytest.mark.parametrize(
    ("line", "kind"), [("A.C. Impedance", "EIS"), ("Amperometric i-t Curve", "chronoamperometry")]
)
def test_chi_unsupported_techniques_are_named(tmp_path, line, kind):
    from voltlens import UnsupportedMeasurementError

    path = tmp_path / "x.txt"
    path.write_text(
        f"Jan. 1, 2020\n{line}\nInit E (V) = 0.2\nQuiet Time (sec) = 2\n\nTime/sec, Current/A\n"
        + "\n".join(f"{k},{k * 1e-6}" for k in range(5))
        + "\n"
    )
    with pytest.raises(UnsupportedMeasurementError, match=kind) as exc:
        read(path)
    assert "x.txt" in str(exc.value)

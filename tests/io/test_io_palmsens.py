"""PalmSens .pssession sessions and PSTrace CSV exports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from voltlens import DataError, SignConvention, Technique, UnsupportedMeasurementError
from voltlens.io import detect_format, read

PALMSENS = Path(__file__).parent.parent / "data" / "real" / "palmsens"
CV = PALMSENS / "palmsens_CV_example.pssession"
DEMO = PALMSENS / "palmsens_Demo_CV_DPV_EIS.pssession"


def test_cv_session_ferri_ferrocyanide():
    assert CV.read_bytes()[:2] == b"\xff\xfe"  # UTF-16 LE
    assert detect_format(CV) == "palmsens"
    [v] = read(CV)
    assert v.technique == Technique.CV
    assert v.n_points == 437 + 436 + 436  # scan1..scan3 arrays
    assert np.unique(v.cycle).tolist() == [1, 2, 3]
    assert v.scan_rate == pytest.approx(0.1)  # SCAN_RATE=1.0000000E-001
    assert v.potential.min() == pytest.approx(-0.399962) and v.potential.max() == pytest.approx(
        0.698, abs=1e-3
    )
    # currents are stored in µA (unit type MicroAmpere, symbol "A")
    assert v.current[0] == pytest.approx(-5.45671e-6)
    assert v.display_units["current"] == "µA"
    # 2.5 mM ferri/ferrocyanide on carbon: anodic maximum near +0.29 V, cathodic minimum near -0.03 V
    first = v.cycle == 1
    k = np.argmax(np.where(first, v.current, -np.inf))
    assert 0.2 < v.potential[k] < 0.3 and v.current[k] == pytest.approx(15.8437e-6)
    j = np.argmin(np.where(first, v.current, np.inf))
    assert v.potential[j] == pytest.approx(-0.0323829) and v.current[j] < 0
    assert v.sign_convention == SignConvention.IUPAC
    assert "K3[Fe(CN)6]" in v.metadata["notes"]  # URL-encoded NOTES decoded
    assert np.all(np.diff(v.time) > 0) and v.time[0] == 0.0


def test_session_returns_cv_and_dpv_and_names_eis():
    records = read(DEMO)
    assert [r.technique for r in records] == [Technique.DPV, Technique.CV]
    dpv, cv = records
    assert dpv.n_points == 219
    assert dpv.pulse.amplitude_V == pytest.approx(0.025)  # E_PULSE, anodic-going -0.4 → 0.7 V
    assert dpv.pulse.width_s == pytest.approx(0.02)  # T_PULSE
    assert dpv.pulse.step_V == pytest.approx(0.005)  # E_STEP
    assert dpv.pulse.period_s == pytest.approx(0.2)  # E_STEP / SCAN_RATE
    assert dpv.scan_rate == pytest.approx(0.025)
    k = np.argmax(dpv.current)
    assert dpv.potential[k] == pytest.approx(0.179102) and dpv.current[k] == pytest.approx(3.42442e-6)
    assert cv.n_points == 1309
    for r in records:
        skipped = r.metadata["skipped_measurements"]
        assert [s["kind"] for s in skipped] == ["EIS (impedance)"]
        assert skipped[0]["title"].startswith("Impedance Spectroscopy")


def test_session_with_only_eis_is_unsupported(tmp_path):
    raw = DEMO.read_bytes().decode("utf-16")
    doc, _ = json.JSONDecoder().raw_decode(raw.lstrip("\ufeff"))
    doc["measurements"] = [doc["measurements"][2]]
    path = tmp_path / "file.pssession"
    path.write_bytes(("\ufeff" + json.dumps(doc) + "\ufeff").encode("utf-16-le"))
    with pytest.raises(UnsupportedMeasurementError) as exc:
        read(path)
    assert str(exc.value) == f"{path}: holds EIS (impedance), which voltlens does not analyse"


def test_session_without_measurements(tmp_path):
    path = tmp_path / "empty.pssession"
    path.write_bytes('{"Type":"PalmSens.DataFiles.SessionFile","Measurements":[]}'.encode("utf-16"))
    with pytest.raises(DataError, match=r"empty\.pssession.*no measurements"):
        read(path)


def _pstrace_csv(cv_scans: list[tuple[np.ndarray, np.ndarray]], *, eis: bool) -> str:
    n = len(cv_scans)
    rows = ["Date and time:,2019-10-31 09:05:03", "Notes:", "," * (2 * n - 1)]
    rows.append(",".join(f"Cyclic Voltammetry [1]: CV i vs E Scan {k + 1}," for k in range(n)))
    rows.append(",".join("Date and time measurement:,2019-10-31 09:05:03" for _ in range(n)))
    rows.append(",".join("V,µA" for _ in range(n)))
    longest = max(len(e) for e, _ in cv_scans)
    for r in range(longest):
        cells = []
        for e, i in cv_scans:
            cells += [f"{e[r]:.6f}", f"{i[r]:.6g}"] if r < len(e) else ["", ""]
        rows.append(",".join(cells))
    if eis:
        rows += [
            "",
            "Measurement:,Impedance Spectroscopy [2]",
            "Date and time:,2019-10-31 09:10:00",
            "freq / Hz,neg. Phase / °,Idc / uA,Z / Ohm,Z' / Ohm,-Z'' / Ohm",
            "100000,14.8,1.6,116,112,29",
        ]
    return "\r\n".join(rows) + "\r\n"


def test_pstrace_csv_matches_the_session(tmp_path):
    [ref] = read(CV)
    scans = [(ref.potential[ref.cycle == k], ref.current[ref.cycle == k] * 1e6) for k in (1, 2, 3)]
    path = tmp_path / "export.csv"
    path.write_bytes(("\ufeff" + _pstrace_csv(scans, eis=True)).encode("utf-16-le"))
    assert detect_format(path) == "pstrace_csv"
    [v] = read(path)
    assert v.technique == Technique.CV
    assert v.n_points == ref.n_points
    np.testing.assert_allclose(v.potential, ref.potential, atol=1e-6)
    np.testing.assert_allclose(v.current, ref.current, rtol=1e-5, atol=1e-12)
    np.testing.assert_array_equal(v.cycle, ref.cycle)
    assert [s["kind"] for s in v.metadata["skipped_measurements"]] == ["EIS (impedance)"]

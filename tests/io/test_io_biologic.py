"""BioLogic EC-Lab text files (.mpt and the plain column export)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voltlens import SignConvention, Technique, UnsupportedMeasurementError
from voltlens.io import detect_format, read

BIOLOGIC = Path(__file__).parent.parent / "data" / "real" / "biologic"
MPT = BIOLOGIC / "ixdat_Pt_poly_cv_CUT.mpt"


def test_mpt_pt_blank_cv():
    assert detect_format(MPT) == "biologic_mpt"
    [v] = read(MPT)
    assert v.technique == Technique.CV  # "Cyclic Voltammetry Advanced"
    assert v.n_points == 223  # "Loop 0 from point number 0 to 222"
    assert v.metadata["instrument"].startswith("SP-200")
    assert v.scan_rate == pytest.approx(0.1)  # dE/dt 100,000 mV/s
    # decimal commas: first row Ewe 8,7869531E-001 V, <I> -2,604324994466466E-003 mA
    assert v.potential[0] == pytest.approx(0.87869531)
    assert v.current[0] == pytest.approx(-2.604324994466466e-6)
    assert v.time[0] == pytest.approx(3.289600104471901) and v.time[-1] == pytest.approx(151.8101963525260)
    assert np.unique(v.cycle).tolist() == [1, 2, 3, 4, 5]  # "cycle number" column
    assert v.potential.min() == pytest.approx(-0.048540931) and v.potential.max() == pytest.approx(1.689429)
    assert np.abs(v.current).max() < 2e-7 * 1e3  # ±0.15 mA
    assert v.display_units == {"potential": "V", "current": "mA", "time": "s"}
    assert v.area_m2 is None  # 0,001 cm² is EC-Lab's placeholder
    assert v.metadata["electrode_surface_area_stated"].startswith("0,001")
    assert v.sign_convention == SignConvention.IUPAC
    # Pt in acid: oxide formation above 1.2 V on the positive sweep is anodic, its reduction cathodic
    up = np.diff(v.potential, prepend=v.potential[0]) > 0
    assert v.current[up & (v.potential > 1.3)].mean() > 0
    assert v.current[~up & (v.potential > 0.6) & (v.potential < 0.9)].mean() < 0


def test_ec_lab_column_export():
    path = BIOLOGIC / "kaixinw99_advanced45_C01.txt"
    assert detect_format(path) == "biologic_txt"
    [v] = read(path)
    assert v.n_points == 742
    assert v.potential[0] == pytest.approx(-0.75131667)
    assert v.current[0] == pytest.approx(-5.572367226704955e-7)  # mA → A
    assert v.potential.min() == pytest.approx(-1.3014562) and v.potential.max() == pytest.approx(-0.71981633)
    assert v.technique == Technique.CV
    assert v.sign_convention == SignConvention.IUPAC
    assert v.display_units["current"] == "mA"


def _mpt(tmp_path: Path, technique: str, columns: str, rows: list[str], extra: str = "") -> Path:
    header = [
        "EC-Lab ASCII FILE",
        "Nb header lines : NN",
        "",
        technique,
        "",
        "Device : VMP3 (SN 0509)",
        "Reference electrode : SCE Saturated Calomel Electrode (0,241 V)",
        "Electrode surface area : 0,071 cm²",
        "dE/dt               50,000              ",
        "dE/dt unit          mV/s                ",
        *([extra] if extra else []),
        columns,
    ]
    header[1] = f"Nb header lines : {len(header)}"
    path = tmp_path / "file.mpt"
    path.write_bytes(("\r\n".join(header + rows) + "\r\n").encode("cp1252"))
    return path


def test_mpt_reference_area_and_latin1(tmp_path):
    e = np.r_[np.linspace(0, 0.5, 26), np.linspace(0.48, 0, 25)]
    rows = [
        f"{t:.2f}\t{x:.4f}\t{1e-3 * np.sin(3 * x) * (1 if k < 26 else -1):.6E}\t1".replace(".", ",")
        for k, (t, x) in enumerate(zip(np.arange(e.size) * 0.4, e, strict=True))
    ]
    path = _mpt(tmp_path, "Cyclic Voltammetry", "time/s\tEwe/V\t<I>/mA\tcycle number", rows)
    [v] = read(path)
    assert v.reference_electrode == "SCE Saturated Calomel Electrode"
    assert v.area_m2 == pytest.approx(0.071e-4)
    assert v.scan_rate == pytest.approx(0.05)
    assert v.n_points == 51
    assert v.potential[10] == pytest.approx(0.2)


def test_mpt_impedance_is_named_and_skipped(tmp_path):
    rows = ["1000,0\t10,5\t-2,1\t0,1", "100,0\t11,5\t-5,1\t0,1"]
    path = _mpt(
        tmp_path,
        "Potentio Electrochemical Impedance Spectroscopy",
        "freq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\tEwe/V",
        rows,
    )
    with pytest.raises(UnsupportedMeasurementError, match="EIS") as exc:
        read(path)
    assert "file.mpt" in str(exc.value)


def test_mpt_declared_header_longer_than_file(tmp_path):
    from voltlens import FormatError

    path = tmp_path / "short.mpt"
    path.write_text("EC-Lab ASCII FILE\nNb header lines : 80\n\nCyclic Voltammetry\n")
    with pytest.raises(FormatError, match=r"short\.mpt.*header lines"):
        read(path)

"""Metrohm Autolab NOVA ASCII exports."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from voltlens import SignConvention, Technique
from voltlens.io import detect_format, read

NOVA = Path(__file__).parent.parent / "data" / "real" / "nova" / "echemdb_hermann2021_f5a_black_NOVA.txt"


def test_nova_with_echemdb_sidecar():
    assert detect_format(NOVA) == "nova"
    [v] = read(NOVA)
    assert v.technique == Technique.CV
    assert v.n_points == 9997
    assert [int((v.cycle == k).sum()) for k in (1, 2)] == [8995, 1002]  # "Scan" column
    assert v.potential.min() == pytest.approx(-0.7489013671875) and v.potential.max() == pytest.approx(
        0.59722900390625
    )
    assert v.reference_electrode == "MSE-sat"  # from the YAML sidecar
    assert v.scan_rate == pytest.approx(0.01)  # 10 mV / s in the sidecar
    assert v.area_m2 == pytest.approx(0.1241e-4)
    assert v.metadata["sidecar"] == NOVA.with_suffix(".yaml").name
    assert v.metadata["columns"]["potential"] == "WE(1).Potential (V)"
    # formic acid oxidation on Au(111): anodic (positive) currents of tens of µA around 0.2 V vs MSE
    k = np.argmax(v.current)
    assert v.current[k] == pytest.approx(2.2906494140625e-05) and v.potential[k] == pytest.approx(
        0.212646484375
    )
    assert v.sign_convention == SignConvention.IUPAC
    assert v.time[0] == pytest.approx(4.9880419874064)


def test_nova_without_sidecar_estimates_the_scan_rate(tmp_path):
    copy = tmp_path / "export.txt"
    shutil.copy(NOVA, copy)
    [v] = read(copy)
    assert v.reference_electrode is None
    assert v.scan_rate == pytest.approx(0.01, rel=0.02)  # 0.3 mV every 30 ms
    assert v.metadata["scan_rate_basis"] == "estimated from the time column"


def test_nova_semicolon_decimal_comma(tmp_path):
    e = np.r_[np.linspace(-0.2, 0.6, 41), np.linspace(0.58, -0.2, 40)]
    lines = ["Index;Potential applied (V);Time (s);WE(1).Current (A);WE(1).Potential (V);Scan"]
    lines += [
        f"{k};{x:.4f};{0.2 * k:.2f};{1e-6 * np.sin(5 * x):.6E};{x + 0.001:.5f};1".replace(".", ",")
        for k, x in enumerate(e)
    ]
    path = tmp_path / "nova.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    assert detect_format(path) == "nova"
    [v] = read(path)
    assert v.n_points == 81
    np.testing.assert_allclose(v.potential, np.round(e, 4) + 0.001, atol=1e-5)  # measured, not applied
    assert v.scan_rate == pytest.approx(0.1, rel=0.01)

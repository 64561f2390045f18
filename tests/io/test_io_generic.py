"""Generic delimited text: real files and the header/unit spellings people use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voltlens import SignConvention, Technique
from voltlens.io import detect_format, read

GENERIC = Path(__file__).parent.parent / "data" / "real" / "generic"
RATES = ("010", "020", "050", "100", "150", "200")


@pytest.mark.parametrize("rate", RATES)
def test_ferricyanide_series(rate):
    path = GENERIC / f"envismetrics_ferricyanide_4mM_GC_{rate}mVs.txt"
    assert detect_format(path) == "generic"
    [v] = read(path)
    assert v.n_points == 7380
    assert v.technique == Technique.CV
    assert v.potential.min() == pytest.approx(-0.1, abs=1e-3) and v.potential.max() == pytest.approx(
        0.5, abs=2e-3
    )
    assert int(v.segment.max()) + 1 == 31  # 15 full cycles (30 vertices) in the table
    assert v.metadata["units_assumed"] == ["potential", "current"]  # header is just "U<TAB>I"
    # 4 mM ferricyanide: anodic maximum at +0.23 V, cathodic minimum at +0.16 V, microampere scale
    inner = (v.potential > 0.05) & (v.potential < 0.45)
    k = np.argmax(np.where(inner, v.current, -np.inf))
    j = np.argmin(np.where(inner, v.current, np.inf))
    assert 0.2 < v.potential[k] < 0.3 and 0.13 < v.potential[j] < 0.19
    assert 1e-6 < v.current[k] < 1e-4
    assert v.sign_convention == SignConvention.IUPAC
    assert v.metadata["sign_convention_basis"].startswith("inferred")


def test_ferricyanide_peak_grows_with_scan_rate():
    peaks = [read(GENERIC / f"envismetrics_ferricyanide_4mM_GC_{r}mVs.txt")[0].current.max() for r in RATES]
    assert peaks == sorted(peaks)
    # diffusion control: roughly proportional to sqrt(v) (20-fold rate → about 4.5-fold current)
    assert 3.5 < peaks[-1] / peaks[0] < 6.0


def _cv(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    e = np.r_[np.linspace(-0.1, 0.5, n), np.linspace(0.49, -0.1, n - 1)]
    up = np.arange(e.size) < n
    i = np.where(up, 1.0, -1.0) * 2e-6 + 1e-5 * np.exp(-(((e - 0.25) / 0.05) ** 2)) * np.where(up, 1, -1)
    return e, i


@pytest.mark.parametrize(
    ("header", "pscale", "iscale", "density", "ref"),
    [
        ("Potential/V,Current/A", 1.0, 1.0, False, None),
        ("E [mV],I [µA]", 1e3, 1e6, False, None),
        ("E (V),I (uA)", 1.0, 1e6, False, None),
        ("Potential/V,I/µA", 1.0, 1e6, False, None),
        ("U [V],I [A]", 1.0, 1.0, False, None),
        ("Ewe/V,<I>/mA", 1.0, 1e3, False, None),
        ("E vs. Ag/AgCl / V,j / mA cm-2", 1.0, 1e-1, True, "Ag/AgCl"),
        ("Potential (V vs SCE),j / mA/cm2", 1.0, 1e-1, True, "SCE"),
        ("potential_V,current_A", 1.0, 1.0, False, None),
    ],
)
def test_header_units(tmp_path, header, pscale, iscale, density, ref):
    e, i = _cv()
    path = tmp_path / "data.csv"
    path.write_text(
        header + "\n" + "\n".join(f"{a * pscale:.9g},{b * iscale:.9g}" for a, b in zip(e, i, strict=True))
    )
    [v] = read(path)
    np.testing.assert_allclose(v.potential, e, rtol=1e-8)
    # written as i·iscale in the header's unit; 0.1 mA cm-2 is 1 A m-2, so SI values equal i in every case
    np.testing.assert_allclose(v.current, i, rtol=1e-8)
    assert v.current_is_density is density
    assert v.reference_electrode == ref
    assert "units_assumed" not in v.metadata


@pytest.mark.parametrize(
    ("sep", "decimal"), [(";", ","), ("\t", ","), ("\t", "."), (" ", "."), ("  ", ","), (",", ".")]
)
def test_delimiters_and_decimal_marks(tmp_path, sep, decimal):
    e, i = _cv()
    body = "\n".join(
        f"{a:.6f}{sep}{b:.6e}".replace(".", decimal) if decimal == "," else f"{a:.6f}{sep}{b:.6e}"
        for a, b in zip(e, i, strict=True)
    )
    path = tmp_path / "x.dat"
    path.write_text("# exported by some software\n\n" + body + "\n")
    [v] = read(path)
    np.testing.assert_allclose(v.potential, e, atol=1e-6)
    np.testing.assert_allclose(v.current, i, rtol=1e-5)
    assert v.metadata["units_assumed"] == ["potential", "current"]
    assert v.metadata["preamble"] == ["# exported by some software"]


def test_headerless_time_potential_current(tmp_path):
    e, i = _cv()
    t = np.arange(e.size) * 0.05
    path = tmp_path / "tei.txt"
    path.write_text("\n".join(f"{a:.3f}\t{b:.6f}\t{c:.6e}" for a, b, c in zip(t, e, i, strict=True)))
    [v] = read(path)
    np.testing.assert_allclose(v.time, t, atol=1e-9)
    np.testing.assert_allclose(v.potential, e, atol=1e-6)
    assert v.scan_rate == pytest.approx(0.2, rel=0.05)  # 10 mV per 50 ms
    assert v.metadata["units_assumed"] == ["potential", "current", "time"]


def test_cycle_and_time_columns(tmp_path):
    e, i = _cv()
    rows = [
        f"{k * 0.1:.1f},{a:.6f},{b:.6e},{1 + (k >= 60)}" for k, (a, b) in enumerate(zip(e, i, strict=True))
    ]
    path = tmp_path / "x.csv"
    path.write_text("Time (s),E (V),I (A),Cycle\n" + "\n".join(rows))
    [v] = read(path)
    assert np.unique(v.cycle).tolist() == [1, 2]
    assert v.time[-1] == pytest.approx(11.8)
    assert v.scan_rate == pytest.approx(0.1, rel=0.05)


def test_utf16_and_cp1252(tmp_path):
    e, i = _cv()
    text = "E/V\tI/µA\n" + "\n".join(f"{a:.6f}\t{b * 1e6:.6f}" for a, b in zip(e, i, strict=True))
    for encoding in ("utf-16", "cp1252", "utf-8-sig"):
        path = tmp_path / f"x_{encoding}.txt"
        path.write_bytes(text.encode(encoding))
        [v] = read(path)
        np.testing.assert_allclose(v.current, i, rtol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_us_convention_generic_cv_is_flipped(tmp_path, seed):
    from cvsim.mechanisms import E_rev

    rng = np.random.default_rng(seed)
    e0 = rng.uniform(-0.2, 0.3)
    e, i = E_rev(e0 - 0.4, e0 + 0.4, e0, rng.uniform(0.02, 0.5), 1.0, 1e-5, 1e-5).simulate()
    noisy = -i + rng.normal(0, 0.01 * np.abs(i).max(), i.size)  # written in US convention
    path = tmp_path / "us.csv"
    path.write_text("E/V,I/A\n" + "\n".join(f"{a:.4f},{b:.6e}" for a, b in zip(e, noisy, strict=True)))
    [v] = read(path)
    assert v.sign_convention == SignConvention.US
    np.testing.assert_allclose(v.current, -noisy, rtol=1e-5)
    # after the flip, the oxidation peak (first, positive-going sweep) is positive
    assert v.potential[np.argmax(v.current)] == pytest.approx(e[np.argmax(i)], abs=0.02)

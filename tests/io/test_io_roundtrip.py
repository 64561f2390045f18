"""write_csv → read gives back the same record."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from voltlens import DataError, SignConvention
from voltlens.io import read, write_csv

REAL = Path(__file__).parent.parent / "data" / "real"


@pytest.mark.parametrize(
    "name",
    [
        "palmsens/palmsens_CV_example.pssession",
        "gamry/gamryparser_squarewave_data.dta",  # written in US convention: the CSV must stay IUPAC
        "chi/nomad_LSV_CHI.txt",
        "echemdb/alves_2011_electrochemistry_6010_f1a_solid/alves_2011_electrochemistry_6010_f1a_solid.json",
        "nova/echemdb_hermann2021_f5a_black_NOVA.txt",  # reverse-scan-higher CV: no sign heuristic on re-read
    ],
)
def test_round_trip(tmp_path, name):
    [v] = read(REAL / name)[:1]
    out = tmp_path / "out.csv"
    write_csv(v, out)
    header = out.read_text().splitlines()[0].split(",")
    assert header[0] == "potential_V"
    assert header[1] == ("current_density_A_per_m2" if v.current_is_density else "current_A")
    assert ("time_s" in header) == (v.time is not None) and ("cycle" in header) == (v.cycle is not None)
    [w] = read(out)
    assert w.metadata["format"] == "generic"
    assert w.sign_convention == SignConvention.IUPAC
    np.testing.assert_allclose(w.potential, v.potential, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(w.current, v.current, rtol=1e-14, atol=1e-300)
    assert w.current_is_density == v.current_is_density
    if v.time is not None:
        np.testing.assert_allclose(w.time, v.time, rtol=1e-14)
    if v.cycle is not None:
        np.testing.assert_array_equal(w.cycle, v.cycle)


def test_write_is_atomic_and_keeps_permissions(tmp_path):
    [v] = read(REAL / "chi" / "nomad_LSV_CHI.txt")
    out = tmp_path / "x.csv"
    out.write_text("old")
    os.chmod(out, 0o640)
    write_csv(v, out)
    assert out.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]  # no temporary file left behind
    new = tmp_path / "new.csv"
    write_csv(v, new)
    assert new.stat().st_mode & 0o777 == 0o644


def test_write_into_missing_directory_names_the_file(tmp_path):
    [v] = read(REAL / "chi" / "nomad_LSV_CHI.txt")
    with pytest.raises(DataError, match=r"nowhere/x\.csv.*cannot be written"):
        write_csv(v, tmp_path / "nowhere" / "x.csv")


def test_voltlens_csv_is_iupac_by_contract(tmp_path):
    """A CV whose reverse sweep carries more anodic current (e.g. formic-acid oxidation) scores as
    'US' for the heuristic; a file written by write_csv must still come back unchanged."""
    from cvsim.mechanisms import E_rev

    from voltlens import Voltammogram

    e, i = E_rev(-0.2, 0.6, 0.2, 0.1, 1.0, 1e-5, 1e-5).simulate()
    v = Voltammogram(potential=e, current=-i, source="synthetic")  # IUPAC data with a 'backwards' loop
    out = tmp_path / "faor_like.csv"
    write_csv(v, out)
    [w] = read(out)
    assert w.sign_convention == SignConvention.IUPAC
    assert w.metadata["sign_convention_basis"] == "voltlens CSV (IUPAC by contract)"
    np.testing.assert_allclose(w.current, -i, rtol=1e-14)
    # the same numbers under a foreign header are judged by the heuristic and flipped
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("E/V,I/A\n" + "\n".join(f"{a:.17g},{b:.17g}" for a, b in zip(e, -i, strict=True)))
    assert read(foreign)[0].sign_convention == SignConvention.US

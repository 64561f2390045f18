"""echemdb / frictionless data packages (CSV + JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from voltlens import Technique
from voltlens.io import detect_format, read

ECHEMDB = Path(__file__).parent.parent / "data" / "real" / "echemdb"

# case, points, scan rate (V/s), reference, density?, unit scale to SI (A/m² or A)  — from INDEX.tsv and the JSONs
CASES = [
    ("jovic_1999_cyclic_247_f1_solid", 2528, 0.05, "SCE", True, 1e-2),
    ("briega-martos_2018_understandings_j3045_f1c_black", 1748, 0.05, "RHE", True, 1e-2),
    ("lipkowski_1998_ionic_2875_f1a_i", 2185, 0.01, "SCE", True, 1e-2),
    ("hara_2007_preparation_5733_f2a_solid", 1965, 0.01, "RHE", True, 1e-2),
    ("droog_1980_oxygen_387_f1_black", 753, 0.02, "Ag/AgCl-3M", False, 1e-6),
    ("alves_2011_electrochemistry_6010_f1a_solid", 2312, 0.05, "RHE", True, 10.0),
    ("sato_2006_effect_725_f4a_red", 2999, 0.005, "Ag/AgCl", True, 1e-2),
]


@pytest.mark.parametrize(("case", "n", "rate", "ref", "density", "scale"), CASES)
@pytest.mark.parametrize("entry", ["json", "csv"])
def test_echemdb_packages(case, n, rate, ref, density, scale, entry):
    path = ECHEMDB / case / f"{case}.{entry}"
    assert detect_format(path) == "echemdb"
    [v] = read(path)
    assert v.technique == Technique.CV
    assert v.n_points == n
    assert v.scan_rate == pytest.approx(rate)
    assert v.reference_electrode == ref
    assert v.current_is_density is density
    raw = np.loadtxt(ECHEMDB / case / f"{case}.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(v.potential, raw[:, 1])
    np.testing.assert_allclose(v.current, raw[:, 2] * scale)
    np.testing.assert_allclose(v.time, raw[:, 0])
    assert v.metadata["figure_type"] == "digitized"
    assert v.metadata["literature"]["citationKey"] in case


def test_csv_without_package_is_generic(tmp_path):
    src = ECHEMDB / CASES[0][0] / f"{CASES[0][0]}.csv"
    copy = tmp_path / "alone.csv"
    copy.write_bytes(src.read_bytes())
    assert detect_format(copy) == "generic"
    [v] = read(copy)
    # "j" names a current density, but without the package its unit (µA/cm²) is unknown: SI is assumed
    assert v.current_is_density is True
    assert v.metadata["units_assumed"] == ["potential", "density", "time"]


def test_package_resource_may_not_leave_its_directory(tmp_path):
    from voltlens import FormatError

    doc = json.loads((ECHEMDB / CASES[0][0] / f"{CASES[0][0]}.json").read_text())
    doc["resources"][0]["path"] = "../../etc/passwd.csv"
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"evil\.json.*leaves the package directory"):
        read(path)

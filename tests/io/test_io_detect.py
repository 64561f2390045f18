"""Format detection reads the content; file names (and extensions) are ignored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voltlens import FormatError
from voltlens.io import FORMATS, detect_format, read, read_many

REAL = Path(__file__).parent.parent / "data" / "real"

CASES = [
    ("chi/nomad_CV-1T_CHI760E.txt", "chi"),
    ("chi/d3tales_CV_microelectrode_CHI650E.csv", "chi"),
    ("biologic/ixdat_Pt_poly_cv_CUT.mpt", "biologic_mpt"),
    ("biologic/kaixinw99_advanced45_C01.txt", "biologic_txt"),
    ("gamry/nomad_CV.DTA", "gamry"),
    ("palmsens/palmsens_CV_example.pssession", "palmsens"),
    ("nova/echemdb_hermann2021_f5a_black_NOVA.txt", "nova"),
    ("generic/envismetrics_ferricyanide_4mM_GC_050mVs.txt", "generic"),
]


@pytest.mark.parametrize(("name", "fmt"), CASES)
@pytest.mark.parametrize("disguise", ["data.mpt", "data.DTA", "data.pssession", "data.png", "data"])
def test_detection_ignores_misleading_names(tmp_path, name, fmt, disguise):
    if (tmp_path / disguise).exists():
        (tmp_path / disguise).unlink()
    shutil.copy(REAL / name, tmp_path / disguise)
    assert detect_format(tmp_path / disguise) == fmt
    assert fmt in FORMATS


def test_forced_format_and_unknown_format(tmp_path):
    path = REAL / "biologic" / "kaixinw99_advanced45_C01.txt"
    [v] = read(path, fmt="generic")
    assert v.metadata["format"] == "generic"
    with pytest.raises(FormatError, match="unknown format 'xlsx'"):
        read(path, fmt="xlsx")


def test_read_many_keeps_order():
    paths = [REAL / "palmsens" / "palmsens_Demo_CV_DPV_EIS.pssession", REAL / "gamry" / "nomad_CV.DTA"]
    records = read_many(paths)
    assert [r.metadata["format"] for r in records] == ["palmsens", "palmsens", "gamry"]
    assert all(r.source == str(p) for r, p in zip(records, [paths[0], paths[0], paths[1]], strict=True))

"""``voltlens convert`` (registered on a private app here; main.py registers it for users)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from voltlens import VoltlensError
from voltlens.cli.convert_cmd import register
from voltlens.io import read

REAL = Path(__file__).parent.parent / "data" / "real"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keeps "convert" a sub-command
        pass

    return app


def test_convert_single_file(tmp_path):
    out = tmp_path / "lsv.csv"
    result = CliRunner().invoke(
        _app(), ["convert", str(REAL / "chi" / "nomad_LSV_CHI.txt"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {out} (LSV, 500 points")
    [v] = read(out)
    assert v.n_points == 500 and v.current[-1] == pytest.approx(-3.679e-3)


def test_convert_session_writes_one_file_per_measurement(tmp_path):
    out = tmp_path / "demo.csv"
    src = REAL / "palmsens" / "palmsens_Demo_CV_DPV_EIS.pssession"
    result = CliRunner().invoke(_app(), ["convert", str(src), "-o", str(out)])
    assert result.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo_1.csv", "demo_2.csv"]
    assert "holds EIS (impedance)" in result.stderr and "EIS" not in result.stdout
    [cv] = read(tmp_path / "demo_2.csv")
    assert np.unique(cv.cycle).tolist() == [1, 2, 3]


def test_convert_pick_one_measurement(tmp_path):
    out = tmp_path / "dpv.csv"
    src = REAL / "palmsens" / "palmsens_Demo_CV_DPV_EIS.pssession"
    result = CliRunner().invoke(_app(), ["convert", str(src), "-o", str(out), "-m", "1"])
    assert result.exit_code == 0
    assert read(out)[0].n_points == 219


def test_convert_bad_file_raises_a_voltlens_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing here\n")
    result = CliRunner().invoke(_app(), ["convert", str(bad), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code != 0
    assert isinstance(result.exception, VoltlensError)  # main() turns it into "voltlens: ..." and exit 2
    assert "bad.csv" in str(result.exception)

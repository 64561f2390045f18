"""``voltlens simulate cv|lsv|dpv``: the documented command line writes the documented CSV."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
import typer

from voltlens.cli import simulate_cmd
from voltlens.errors import VoltlensError

from .helpers import peak, randles_sevcik

EXAMPLE = (
    "simulate cv --mechanism reversible --e0-V 0 --scan-rate-V-s 0.1 --concentration-mM 1 "
    "--diffusion-cm2-s 1e-5 --area-cm2 0.0707 --start-V 0.5 --vertex-V -0.5 --step-mV 1"
).split()


def _main():
    try:
        from voltlens.cli import main
    except ImportError as exc:  # a sibling command module is not there yet
        pytest.skip(f"voltlens.cli.main cannot load: {exc}")
    try:
        main._register_all()
    except ImportError as exc:
        pytest.skip(f"voltlens.cli.main cannot load its commands: {exc}")
    return main.main


def _local(args: list[str]) -> None:
    """The sub-command on its own app, with main's error handling (runs even without sibling modules)."""
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        pass

    simulate_cmd.register(app)
    try:
        app(args=args, standalone_mode=True)
    except VoltlensError as exc:
        raise SystemExit(2) from exc


def _ok(args: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _local(args)
    assert info.value.code in (0, None)


def _read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], np.array(rows[1:], dtype=float)


@pytest.mark.parametrize("runner", ["main", "local"])
def test_documented_example_writes_the_csv(runner, tmp_path, capsys):
    out = tmp_path / "cv.csv"
    args = [*EXAMPLE, "--out", str(out)]
    run = _main() if runner == "main" else _local
    with pytest.raises(SystemExit) as info:
        run(args)
    assert info.value.code in (0, None)
    header, data = _read(out)
    assert header == ["potential_V", "current_A", "time_s", "cycle"]
    assert data.shape == (2001, 4)
    assert data[0, 0] == 0.5 and data[1000, 0] == pytest.approx(-0.5)
    _, ip = peak(data[:1001, 0], data[:1001, 1], -1)
    assert abs(ip) == pytest.approx(randles_sevcik(1, 7.07e-6, 1.0, 1e-9, 0.1), rel=0.01)
    assert "2001" in capsys.readouterr().out
    assert not [p for p in tmp_path.iterdir() if p.name != "cv.csv"]  # no temporary file left


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "cv", "--scan-rate-V-s", "-0.1"],
        ["simulate", "cv", "--mechanism", "marcus"],
        ["simulate", "cv", "--mechanism", "quasi-reversible"],  # needs --k0-cm-s
        ["simulate", "dpv", "--pulse-width-ms", "600"],
    ],
)
def test_bad_values_exit_2_with_one_line(args, tmp_path, capsys):
    main = _main()
    with pytest.raises(SystemExit) as info:
        main([*args, "--out", str(tmp_path / "x.csv")])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("voltlens: ")
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("seed", [0, 1])
def test_dpv_lsv_and_artifacts(seed, tmp_path):
    dpv = tmp_path / "dpv.csv"
    _ok(
        [
            "simulate", "dpv", "--start-V", "-0.2", "--end-V", "0.2", "--step-mV", "5", "--pulse-amplitude-mV", "50",
            "--pulse-width-ms", "50", "--period-ms", "200", "--noise-A", "1e-9", "--seed", str(seed), "--out", str(dpv),
        ]
    )  # fmt: skip
    header, data = _read(dpv)
    assert header == ["potential_V", "current_A", "time_s", "cycle"] and data.shape == (81, 4)
    e, _ = peak(data[:, 0], data[:, 1], 1)
    assert e == pytest.approx(-0.025, abs=2e-3)  # E½ − ΔE/2
    lsv = tmp_path / "lsv.csv"
    _ok(
        [
            "simulate",
            "lsv",
            "--mechanism",
            "irreversible",
            "--k0-cm-s",
            "1e-6",
            "--ru-ohm",
            "50",
            "--out",
            str(lsv),
        ]
    )
    _, data = _read(lsv)
    assert data.shape == (1001, 4) and np.all(data[:, 3] == 1)


def test_cycles_and_units(tmp_path):
    out = tmp_path / "ec.csv"
    _ok(
        [
            "simulate", "cv", "--mechanism", "ec", "--kf-per-s", "1", "--cycles", "2", "--cdl-uF-cm2", "20",
            "--area-cm2", "0.1", "--scan-rate-V-s", "1", "--start-V", "0.3", "--vertex-V", "-0.3", "--out", str(out),
        ]
    )  # fmt: skip
    _, data = _read(out)
    assert set(data[:, 3]) == {1.0, 2.0}
    # far from E°′ the current is the charging current A·Cdl·v = 1e-5 m² · 0.2 F/m² · 1 V/s
    assert data[20, 1] == pytest.approx(-1e-5 * 0.2 * 1.0, rel=0.02)
    assert math.isclose(data[1, 2] - data[0, 2], 1e-3, rel_tol=1e-9)

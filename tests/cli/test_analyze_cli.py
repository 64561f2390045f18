"""``voltlens analyze`` and ``voltlens schema`` through ``voltlens.cli.main.main``: the JSON contract
on stdout and nothing else, tables, plots, series from files, and one-line errors with exit 2."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

from voltlens import io
from voltlens.cli.main import main
from voltlens.constants import f_inverse_volts
from voltlens.simulate import Artifacts, Cell, CVWaveform, Reversible, apply_artifacts, simulate_cv

AREA, D, F = 7.07e-6, 1e-9, 96485.33212


def _run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def _write_cv(path, *, v=0.1, conc=1.0, noise=0.0, seed=0):
    sp = Reversible(e0_V=0.1, concentration_mol_m3=conc, diffusion_m2_s=D)
    curve = simulate_cv(
        sp,
        CVWaveform(start_V=-0.25, vertex_V=0.45, scan_rate_V_s=v, step_V=0.002),
        Cell(area_m2=AREA, cdl_F_m2=0.1),
    )
    volt, _ = apply_artifacts(curve, Artifacts(noise_rms_A=noise), rng=np.random.default_rng(seed))
    io.write_csv(volt, path)
    return path


@pytest.fixture
def cv_file(tmp_path):
    return _write_cv(tmp_path / "cv.csv")


def test_json_is_exactly_the_contract(capsys, cv_file):
    code, out, err = _run(capsys, "analyze", str(cv_file), "--json")
    assert code == 0, err
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert data["schema_version"] == "1"
    assert data["series"] is None and data["interpretation"]
    (curve,) = data["curves"]
    assert curve["source"].endswith("cv.csv") and curve["technique"] == "CV"
    assert curve["scan_rate"]["unit"] == "V/s" and curve["scan_rate"]["value"] == pytest.approx(0.1)
    directions = sorted(p["direction"] for p in curve["peaks"])
    assert directions == ["anodic", "cathodic"]
    (couple,) = curve["couples"]
    assert couple["reversibility"] == "reversible"
    assert couple["delta_Ep"]["value"] == pytest.approx(0.058, abs=0.004)  # 2.218 RT/F ≈ 57–59 mV
    assert couple["E_half"]["value"] == pytest.approx(0.1, abs=0.003)
    ip = 0.4463 * F * AREA * 1.0 * math.sqrt(f_inverse_volts() * 0.1 * D)  # Randles–Ševčík
    anodic = next(p for p in curve["peaks"] if p["direction"] == "anodic")
    assert anodic["current"]["value"] == pytest.approx(ip, rel=0.02)
    assert curve["anomalies"] == []


def test_table_by_default(capsys, cv_file):
    code, out, _ = _run(capsys, "analyze", str(cv_file))
    assert code == 0
    for word in ("peaks", "couples", "interpretation", "reversible", "ΔEp"):
        assert word in out
    assert not out.lstrip().startswith("{")


def test_scan_rate_series_from_the_files(capsys, tmp_path):
    files = [str(_write_cv(tmp_path / f"v{v}.csv", v=v)) for v in (0.02, 0.05, 0.1, 0.2, 0.5)]
    code, out, err = _run(
        capsys, "analyze", *files, "--json", "--area-cm2", "0.0707", "--concentration-mM", "1"
    )
    assert code == 0, err
    series = json.loads(out)["series"]
    assert series["kind"] == "scan_rate"
    assert series["regime"] == "diffusion"
    assert series["log_log_slope"]["value"] == pytest.approx(0.5, abs=0.02)
    assert series["diffusion_coefficient"]["unit"] == "cm2/s"
    assert series["diffusion_coefficient"]["value"] == pytest.approx(1e-5, rel=0.05)  # D = 1e-9 m²/s


@pytest.mark.parametrize("seed", [0, 1])
def test_calibration_with_a_blank(capsys, tmp_path, seed):
    conc = [0.0, 0.2, 0.5, 1.0, 1.5, 2.0]
    ip1 = 0.4463 * F * AREA * math.sqrt(f_inverse_volts() * 0.1 * D)  # A per mM, Randles–Ševčík
    files = []
    for k, c in enumerate(conc):
        path = tmp_path / f"c{k}.csv"
        if c == 0:
            e = np.concatenate([np.arange(-0.25, 0.45, 0.002), np.arange(0.45, -0.25, -0.002)])
            rng = np.random.default_rng(seed)
            t = np.arange(e.size) * 0.02
            path.write_text(
                "potential_V,current_A,time_s\n"
                + "\n".join(
                    f"{a:.4f},{b:.6e},{c_:.3f}"
                    for a, b, c_ in zip(e, rng.normal(0, 0.005 * ip1, e.size), t, strict=True)
                )
            )
        else:
            _write_cv(path, conc=c, noise=0.002 * ip1, seed=seed + k)
        files.append(str(path))
    code, out, err = _run(capsys, "analyze", *files, "--json", "--concentrations", ",".join(map(str, conc)))
    assert code == 0, err
    s = json.loads(out)["series"]
    assert s["kind"] == "concentration"
    assert s["slope"]["unit"] == "A/mM"
    assert s["slope"]["value"] == pytest.approx(ip1, rel=0.03)
    assert s["r_squared"]["value"] > 0.999
    names = {d["name"] for d in s["detection_limits"]}
    assert {"iupac_blank", "ich_residual"} <= names
    assert s["headline_lod"] == "iupac_blank"
    assert s["blank"]["sd"]["value"] > 0


def test_plot_is_written_atomically(capsys, cv_file, tmp_path):
    target = tmp_path / "overlay.png"
    code, out, err = _run(capsys, "analyze", str(cv_file), "--plot", str(target), "--json")
    assert code == 0, err
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cv.csv", "overlay.png"]  # no temp file left
    json.loads(out)  # stdout still only the JSON


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["missing.csv"], "missing.csv: no such file"),
        (["{cv}", "--plot", "out.bmp"], "--plot"),
        (["{cv}", "--concentrations", "1,2"], "one value per curve"),
        (["{cv}", "--scan-rates", "fast"], "--scan-rates"),
        (["{cv}", "--area-cm2", "-1"], "--area-cm2"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, cv_file, tmp_path, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "analyze", *[a.replace("{cv}", str(cv_file)) for a in args])
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("voltlens: ") and needle in err


def test_garbage_file_names_the_file(capsys, tmp_path):
    bad = tmp_path / "noise.csv"
    bad.write_text("this is not a voltammogram\nat all\n")
    code, _, err = _run(capsys, "analyze", str(bad))
    assert code == 2 and "noise.csv" in err and err.count("\n") == 1


def test_image_without_digitizer(capsys, tmp_path, monkeypatch):
    from PIL import Image

    png = tmp_path / "figure.png"
    Image.new("RGB", (20, 20), "white").save(png)
    monkeypatch.setitem(sys.modules, "voltlens.digitize", None)  # import fails
    code, out, err = _run(capsys, "analyze", str(png))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "figure.png" in err and "digitiz" in err


def test_unsupported_measurement_is_skipped_with_a_message(capsys, cv_file, tmp_path):
    eis = tmp_path / "eis.DTA"
    eis.write_text(
        "EXPLAIN\nTAG\tEISPOT\nTITLE\tLABEL\tPotentiostatic EIS\tTest &Identifier\nZCURVE\tTABLE\n"
    )
    code, out, err = _run(capsys, "analyze", str(eis), str(cv_file), "--json")
    assert code == 0
    assert "eis.DTA" in err and "EIS" in err
    data = json.loads(out)
    assert len(data["curves"]) == 1
    assert data["skipped"][0]["source"].endswith("eis.DTA")
    # only unsupported input: nothing to analyse
    code, out, err = _run(capsys, "analyze", str(eis))
    assert code == 2 and out == "" and "nothing" not in out and "no voltammogram" in err


def test_schema_analysis(capsys):
    code, out, _ = _run(capsys, "schema", "analysis")
    assert code == 0
    schema = json.loads(out)
    assert {"schema_version", "curves", "series", "interpretation"} <= set(schema["required"])


def test_schema_unknown_name(capsys):
    code, out, err = _run(capsys, "schema", "nonsense")
    assert code == 2 and out == ""
    assert "nonsense" in err and "analysis" in err

"""The interpretation says what the numbers say: every number quoted in the text is the number in
the structured result (resolved through its JSON path and rounded as printed), every other number
is a textbook criterion, and the judgements follow the textbook criteria."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from voltlens.analyze import analyze
from voltlens.analyze.contract import to_json
from voltlens.model import Voltammogram

PREFIX = {"": 1.0, "m": 1e-3, "µ": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15, "k": 1e3}
# numbers that may appear in the text without coming from the result: textbook criteria
CRITERIA = {"59", "57", "60", "2.218", "0.5", "1.0", "1", "95", "0.4463", "29.6", "3", "3.3", "10", "2"}
NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _resolve(data, path: str):
    node = data
    for name, index in re.findall(r"([A-Za-z_]+)(?:\[(\d+)\])?", path):
        node = node[name]
        if index:
            node = node[int(index)]
    return node


def _unit_of(data, path: str) -> str | None:
    parent, _, last = path.rpartition(".")
    if last in ("value", "uncertainty", "low", "high"):
        return _resolve(data, parent)["unit"]
    return None


def _scale(printed: str, wire: str | None) -> float:
    if wire is None or printed == wire or (printed == "" and wire == "1"):
        return 1.0
    assert printed[1:] == wire and printed[0] in PREFIX, f"printed unit {printed!r} vs JSON unit {wire!r}"
    return PREFIX[printed[0]]


def _tolerance(number_text: str) -> float:
    mantissa, _, exponent = number_text.partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 0.5 * 10.0 ** (-decimals) * (10.0 ** int(exponent) if exponent else 1.0) * (1 + 1e-9)


def check_evidence(result) -> dict:
    """Every quoted number equals the structured number; nothing else is quoted."""
    data = json.loads(to_json(result))
    text = result.interpretation
    assert data["interpretation"] == text
    assert data["evidence"], "an interpretation with numbers must record its evidence"
    covered = text
    for ev in data["evidence"]:
        assert ev["text"] in text, f"evidence {ev['text']!r} not in the text"
        target = _resolve(data, ev["path"])
        if ev["unit"] == "count":
            assert isinstance(target, list) and len(target) == ev["value"], ev
        else:
            assert isinstance(target, int | float), ev
            wire = _unit_of(data, ev["path"])
            scaled = target / _scale(ev["unit"], wire)
            number = ev["text"].split(" ")[0]
            assert float(number) == ev["value"]
            assert abs(scaled - ev["value"]) <= _tolerance(number) + 1e-12 * abs(scaled), (ev, scaled)
        covered = re.sub(rf"(?<![\w.−-]){re.escape(ev['text'])}(?![\w.])", " ", covered, count=1)
    # strings copied from the result (sources, definitions, reasons) may hold numbers of their own
    strings = sorted(
        {s for s in re.findall(r'"((?:[^"\\]|\\.)*)"', json.dumps(data, ensure_ascii=False)) if len(s) > 3},
        key=len,
        reverse=True,
    )
    for s in strings:
        if s != text:
            covered = covered.replace(s, " ")
    stray = [m for m in NUMBER.findall(covered) if m.lstrip("-−") not in CRITERIA]
    assert not stray, f"numbers in the text that come from nowhere: {stray}\n{text}"
    return data


def _cv(textbook, couples, *, rng, noise=0.0, scan_rate=0.1, cycles=1, source="cv.csv", **kw):
    s = textbook.simulate_cv(
        couples,
        e_start=kw.pop("e_start", -0.35),
        e_vertex=kw.pop("e_vertex", 0.4),
        scan_rate=scan_rate,
        step=2e-3,
        noise=noise,
        rng=rng,
        cycles=cycles,
        with_hold=False,
        **kw,
    )
    cycle = np.repeat(np.arange(1, cycles + 1), s.potential.size // cycles) if cycles > 1 else None
    return Voltammogram(
        s.potential, s.current, scan_rate=scan_rate, area_m2=7.07e-6, cycle=cycle, source=source
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reversible_couple(textbook, seed):
    rng = np.random.default_rng(seed)
    result = analyze(_cv(textbook, [textbook.Couple(0.1)], rng=rng, noise=5e-9))
    data = check_evidence(result)
    couple = data["curves"][0]["couples"][0]
    assert couple["reversibility"] == "reversible"
    text = result.interpretation
    assert f"ΔEp = {1000 * couple['delta_Ep']['value']:.0f} mV at 0.1 V/s" in text
    assert "close to the 59 mV of a reversible one-electron couple" in text
    assert "ipa/ipc" in text


def test_following_chemical_step(textbook):
    rng = np.random.default_rng(5)
    result = analyze(_cv(textbook, [textbook.Couple(0.0, kc=50.0)], rng=rng, noise=5e-9, scan_rate=0.05))
    check_evidence(result)
    kinds = {a.kind for a in result.curves[0].anomalies}
    assert "missing_return_peak" in kinds
    assert "following chemical step (EC)" in result.interpretation


def test_quasi_reversible(textbook):
    rng = np.random.default_rng(6)
    result = analyze(_cv(textbook, [textbook.Couple(0.0, k0=2e-5)], rng=rng, noise=5e-9))
    data = check_evidence(result)
    couple = data["curves"][0]["couples"][0]
    assert couple["reversibility"] in ("quasi-reversible", "irreversible")
    assert "wider than the 59 mV" in result.interpretation or "far above the 59 mV" in result.interpretation


def test_doubts_are_stated(textbook):
    rng = np.random.default_rng(7)
    result = analyze(_cv(textbook, [textbook.Couple(0.0)], rng=rng, noise=1.5e-6))  # ≈ 8 % of ip
    check_evidence(result)
    assert "noise" in {a.kind for a in result.curves[0].anomalies}
    assert "Doubts: the noise is large compared with the peaks" in result.interpretation


def test_scan_rate_study_text(textbook):
    rng = np.random.default_rng(8)
    curves = [
        _cv(textbook, [textbook.Couple(0.0)], rng=rng, noise=5e-9, scan_rate=v, source=f"v{v}.csv")
        for v in (0.02, 0.05, 0.1, 0.2, 0.5)
    ]
    result = analyze(curves, concentration_mol_m3=1.0)
    data = check_evidence(result)
    s = data["series"]
    assert s["regime"] == "diffusion"
    assert "diffusion-controlled" in result.interpretation
    assert "criterion: 0.5 for planar diffusion, 1.0 for a surface-confined layer" in result.interpretation
    assert "Randles–Ševčík" in result.interpretation
    assert s["diffusion_coefficient"]["value"] == pytest.approx(1e-5, rel=0.05)


def test_calibration_text(textbook):
    rng = np.random.default_rng(9)
    conc = [0.0, 0.0, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0]
    curves = []
    for k, c in enumerate(conc):
        couples = [textbook.Couple(0.0, conc=c)] if c > 0 else []
        if couples:
            curves.append(_cv(textbook, couples, rng=rng, noise=2e-8, source=f"c{k}.csv"))
        else:
            e = np.concatenate([np.arange(-0.35, 0.4, 2e-3), np.arange(0.4, -0.35, -2e-3)])
            curves.append(Voltammogram(e, rng.normal(0, 2e-8, e.size), scan_rate=0.1, source=f"c{k}.csv"))
    result = analyze(curves, concentrations=conc)
    data = check_evidence(result)
    s = data["series"]
    assert "LOD =" in result.interpretation
    headline = next(d for d in s["detection_limits"] if d["name"] == s["headline_lod"])
    assert headline["definition"] in result.interpretation
    assert "Headline: LOD" in result.interpretation
    # sensitivity: Randles–Ševčík per mM (independent formula)
    expected = textbook.randles_sevcik(1, 7.07e-6, 1.0, 1e-9, 0.1)
    assert s["slope"]["value"] == pytest.approx(expected, rel=0.03)


def test_no_nan_in_text_for_empty_curve():
    e = np.linspace(-0.3, 0.3, 200)
    result = analyze(Voltammogram(np.concatenate([e, e[::-1]]), np.zeros(400), scan_rate=0.1))
    assert "no peak found" in result.interpretation
    assert "nan" not in result.interpretation.lower()
    assert not math.isnan(len(result.interpretation))


def test_cycle_decay_is_reported():
    from voltlens.simulate import Artifacts, Cell, CVWaveform, Reversible, simulate_measurement

    sp = Reversible(e0_V=0.0, concentration_mol_m3=1.0, diffusion_m2_s=1e-9)
    wave = CVWaveform(start_V=-0.35, vertex_V=0.4, scan_rate_V_s=0.1, step_V=0.002, n_cycles=5)
    art = Artifacts(noise_rms_A=2e-8, fouling_per_cycle=0.1)
    v, _, _ = simulate_measurement(
        sp, wave, Cell(area_m2=7.07e-6, cdl_F_m2=0.1), art, rng=np.random.default_rng(0)
    )
    result = analyze(v)
    data = check_evidence(result)
    cs = data["curves"][0]["cycle_stability"]
    assert cs is not None and cs["significant"]
    assert cs["decay_per_cycle"]["value"] == pytest.approx(10.0, abs=2.0)  # 10 % of the area lost per cycle
    assert "peak current decays by" in result.interpretation
    assert "fouling" in {a.kind for a in result.curves[0].anomalies}

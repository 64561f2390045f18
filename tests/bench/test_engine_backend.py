"""The ``engine`` bench backend: every template answered in its schema, clean figures scored right
against the simulator's truth, unreadable images refused."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("rapidocr")

from voltlens.bench.engine_backend import EngineBackend, legend_value
from voltlens.dataset.templates import TEMPLATES
from voltlens.model import Technique, Voltammogram
from voltlens.synth.config import ARTIFACTS, SynthConfig
from voltlens.synth.sample import generate_sample
from voltlens.vlm.schema import schema_problems

SEED = 1_000_500_000 + 7_001  # far from the bench's own seeds (1e9 … 1e9 + 1e5)
NO_ARTIFACTS = dict.fromkeys(ARTIFACTS, 0.0)


def _clean_cv(mechanism: str) -> dict:
    """Generator options for one clean, undegraded single-cycle CV of one couple of ``mechanism``."""
    return dict(
        kinds={"single": 1.0},
        techniques={"CV": 1.0},
        mechanisms={mechanism: 1.0},
        artifacts=NO_ARTIFACTS,
        max_couples=1,
        max_cycles=1,
        degradation_probability=0.0,
    )


def _figure(tmp: Path, index: int, **config) -> tuple[dict, Path]:
    sample = generate_sample(index, seed=SEED, config=SynthConfig(**config))
    path = tmp / f"{index:06d}.png"
    path.write_bytes(sample.png)
    return sample.label, path


def _item(template: str, image: Path, question: str | None = None, fields: dict | None = None) -> dict:
    t = TEMPLATES[template]
    return {
        "id": f"t-{image.stem}-{template}",
        "images": [image.name],
        "question": question or t.paraphrases[0],
        "template": template,
        "skill": t.skill,
        "fields": fields or {},
        "answer_schema": t.answer_schema,
    }


@pytest.fixture(scope="module")
def backend() -> EngineBackend:
    return EngineBackend()


# ----------------------------------------------------------------------------------------------
# legends


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("50 mV/s", "scan_rate", 0.05),
        ("120 mV s-1", "scan_rate", 0.12),
        ("0.2 V/s", "scan_rate", 0.2),
        ("3.39 mM", "concentration", 3.39),
        ("25 µM", "concentration", 0.025),
        ("blank", "concentration", 0.0),
    ],
)
def test_legend_values_are_read_with_their_units(text: str, kind: str, value: float) -> None:
    got = legend_value(text)
    assert got is not None and got[0] == kind
    assert got[1] == pytest.approx(value, rel=1e-9)


def test_a_legend_naming_a_sample_states_no_value() -> None:
    assert legend_value("sample A") is None and legend_value(None) is None


# ----------------------------------------------------------------------------------------------
# every template, in its schema


KINDS = ("single", "overlay", "scan_rate_series", "concentration_series")


@pytest.mark.parametrize("index", [3, 11])
@pytest.mark.parametrize("kind", KINDS)
def test_every_template_is_answered_in_its_schema_or_refused(
    backend: EngineBackend, tmp_path: Path, kind: str, index: int
) -> None:
    _label, image = _figure(tmp_path, index, kinds={kind: 1.0}, degradation_probability=0.0)
    answered = 0
    for tid, t in TEMPLATES.items():
        if kind not in t.kinds:
            continue
        item = _item(tid, image, fields={"current": "2.5 µA", "cyc": ""})
        out = backend.answer(item, tmp_path)
        assert out.confidence is not None and 0.0 <= out.confidence <= 1.0
        assert isinstance(out.evidence, dict)
        if out.raw.startswith("I cannot answer"):
            assert out.confidence == 0.0
            continue
        value = json.loads(out.raw)
        assert schema_problems(value, t.answer_schema) == [], (tid, out.raw[:200])
        answered += 1
    if out.evidence.get("curves"):  # a figure that was read answers its per-figure questions
        assert answered >= 2


def test_all_templates_have_a_rule_for_some_figure_kind() -> None:
    from voltlens.bench.engine_backend import RULES

    assert set(RULES) == set(TEMPLATES)
    assert {k for t in TEMPLATES.values() for k in t.kinds} == set(KINDS)


# ----------------------------------------------------------------------------------------------
# a clean single CV: the numbers against the simulator's truth


@pytest.mark.parametrize("index", [0, 1, 2])
def test_clean_reversible_cv_is_scored_right(backend: EngineBackend, tmp_path: Path, index: int) -> None:
    from voltlens.bench.answers import parse_response
    from voltlens.bench.scoring import score

    label, image = _figure(tmp_path, index, **_clean_cv("reversible"))
    rng = np.random.default_rng(index)
    for tid in ("values.e_half", "values.delta_ep", "peaks.count"):
        truth = TEMPLATES[tid].answer(label, rng)
        assert truth is not None  # one clean couple: every one of these is askable
        item = {**_item(tid, image), "truth": truth.json, "tolerance": TEMPLATES[tid].tolerance}
        out = backend.answer(item, tmp_path)
        parsed = parse_response(out.raw, item["answer_schema"])
        result = score(item, parsed)
        assert result.correct, (tid, out.raw, truth.json, result.detail)
        assert out.confidence > 0.3


# ----------------------------------------------------------------------------------------------
# refusals


def test_a_photo_of_noise_is_refused_not_answered(backend: EngineBackend, tmp_path: Path) -> None:
    from PIL import Image

    from voltlens.bench.answers import parse_response

    rng = np.random.default_rng(11)
    Image.fromarray(rng.integers(0, 256, (360, 480, 3), dtype=np.uint8)).save(tmp_path / "noise.png")
    for tid in ("values.e_half", "peaks.count", "anomaly.trust", "interpretation.report"):
        item = _item(tid, tmp_path / "noise.png")
        out = backend.answer(item, tmp_path)
        assert out.raw.startswith("I cannot answer"), out.raw[:200]
        assert out.confidence == 0.0
        assert parse_response(out.raw, item["answer_schema"]).status == "refusal"


REAL_DIR = Path(__file__).parent.parent / "data" / "bench_real"


def test_a_real_figure_is_read_right_and_an_off_template_question_is_refused(backend: EngineBackend) -> None:
    """The D3TaLES figure: truths read off its instrument data file (see labels.yaml there)."""
    import yaml

    from voltlens.bench.answers import parse_response
    from voltlens.bench.scoring import score

    entries = yaml.safe_load((REAL_DIR / "labels.yaml").read_text(encoding="utf-8"))["items"]
    for e in entries:
        t = TEMPLATES.get(e.get("template", ""))
        schema = e.get("answer_schema") or t.answer_schema
        item = {
            "id": e["id"],
            "images": [e["image"]],
            "question": e["question"],
            "template": e.get("template", "real:" + e["id"]),
            "answer_schema": schema,
            "truth": e["truth"],
            "tolerance": e.get("tolerance") or t.tolerance,
        }
        out = backend.answer(item, REAL_DIR)
        parsed = parse_response(out.raw, schema)
        if t is None and parsed.status == "refusal":  # no template: declined rather than guessed
            assert out.confidence == 0.0
            continue
        assert score(item, parsed).correct, (e["id"], out.raw[:300])


def test_the_backend_is_registered_as_engine() -> None:
    from voltlens.bench.backends import get_backend

    b = get_backend("engine")
    assert b.name == "engine" and isinstance(b, EngineBackend)


# ----------------------------------------------------------------------------------------------
# series and DPV rules on textbook curves (tests/analyze/conftest.py: a semi-integral simulator
# independent of voltlens.simulate, checked against Randles–Ševčík and cvsim)


def _textbook():
    import importlib.util

    path = Path(__file__).parent.parent / "analyze" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_textbook_curves", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


TB = _textbook()
AREA = 7.07e-6  # m²
D = 1e-9  # m²/s


def _cv(conc: float = 1.0, v: float = 0.1, gamma: float = 0.0, slope: float = 0.0):
    from voltlens.model import Voltammogram

    couple = TB.Couple(e0=0.2, conc=conc, d=D, gamma=gamma)
    sim = TB.simulate_cv([couple], e_start=-0.2, e_vertex=0.6, scan_rate=v, step=2e-3, slope=slope, area=AREA)
    return Voltammogram(sim.potential, sim.current, scan_rate=v)


def test_scan_rate_study_of_a_diffusing_couple_gives_the_randles_sevcik_slope() -> None:
    from voltlens.bench.engine_backend import RULES, FigureReading

    rates = [0.02, 0.05, 0.1, 0.2, 0.5]
    reading = FigureReading(
        "tb",
        report={"curves": []},
        legends=[f"{v * 1e3:g} mV/s" for v in rates],
        curves=[_cv(v=v) for v in rates],
    )
    answer, conf = RULES["scan_rate.regime"](reading, {})
    assert answer["regime"] == "diffusion"
    assert answer["log_log_slope"]["value"] == pytest.approx(0.5, abs=0.03)  # ip ∝ v½
    assert conf > 0.5


def test_scan_rate_study_of_an_adsorbed_layer_gives_slope_one() -> None:
    from voltlens.bench.engine_backend import RULES, FigureReading

    rates = [0.05, 0.1, 0.2, 0.4]
    curves = [_cv(conc=1e-6, v=v, gamma=2e-6) for v in rates]  # surface-confined: ip = n²F²AvΓ/4RT
    reading = FigureReading(
        "tb", report={"curves": []}, legends=[f"{v * 1e3:g} mV/s" for v in rates], curves=curves
    )
    answer, _ = RULES["scan_rate.regime"](reading, {})
    assert answer["regime"] == "adsorption"
    assert answer["log_log_slope"]["value"] == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("shuffle_seed", [0, 1])
def test_calibration_slope_is_the_randles_sevcik_sensitivity(shuffle_seed: int) -> None:
    """Curves of 0…2 mM over a shared sloped background, the traces in a shuffled order and their
    legends matched to the wrong traces: the sensitivity is still ip per mM from Randles–Ševčík,
    and an unknown's concentration is its peak current over it."""
    from voltlens.bench.engine_backend import RULES, FigureReading, raw_calibration

    conc = [0.0, 0.5, 1.0, 1.5, 2.0]  # mol/m³ = mM
    curves = [_cv(conc=c, slope=2e-6) for c in conc]
    rng = np.random.default_rng(shuffle_seed)
    order = rng.permutation(len(conc))
    legends = ["blank" if c == 0 else f"{c:g} mM" for c in conc]
    shuffled = [curves[k] for k in order]  # legends stay in their order: association broken
    sensitivity = TB.randles_sevcik(1, AREA, 1.0, D, 0.1)  # A per mM
    cal = raw_calibration([0.0, 0.5, 1.0, 1.5, 2.0], shuffled)
    assert cal is not None and cal.slope == pytest.approx(sensitivity, rel=0.03)
    reading = FigureReading("tb", report={"curves": []}, legends=legends, curves=shuffled)
    trend, _ = RULES["concentration.trend"](reading, {})
    assert trend["trend"] == "increases"
    assert trend["sensitivity"]["value"] == pytest.approx(sensitivity, rel=0.03)
    unknown, _ = RULES["concentration.unknown"](
        reading, {"question": f"A peak of {1.3 * sensitivity * 1e6:.4g} µA is measured."}
    )
    assert unknown["concentration"]["value"] == pytest.approx(1.3, rel=0.03)
    highest, _ = RULES["concentration.highest"](reading, {})
    assert highest["curve"] == "2 mM"


@pytest.mark.parametrize("shuffle_seed", [0, 1, 2])
def test_scan_rates_stated_in_the_question_are_mapped_to_unlabelled_curves_by_size(shuffle_seed: int) -> None:
    """A figure without a legend, its curves in a shuffled order, and a question that states the
    scan rates (the ECBench wording): the slope is Randles–Ševčík's ½ and, for an adsorbed layer, 1."""
    from voltlens.bench.engine_backend import RULES, FigureReading, with_stated_series

    rates = [0.02, 0.05, 0.1, 0.2]
    rng = np.random.default_rng(shuffle_seed)
    order = rng.permutation(len(rates))
    question = "The curves were recorded at scan rates of 20, 50, 100 and 200 mV/s. Diffusion or adsorption?"
    for curves, regime, slope in (
        ([_cv(v=v) for v in rates], "diffusion", 0.5),
        ([_cv(conc=1e-6, v=v, gamma=2e-6) for v in rates], "adsorption", 1.0),
    ):
        blind = FigureReading(
            "tb", report={"curves": []}, legends=[None] * 4, curves=[curves[k] for k in order]
        )
        reading = with_stated_series(blind, question)
        assert reading.legends != blind.legends
        answer, _ = RULES["scan_rate.regime"](reading, {"question": question})
        assert answer["regime"] == regime
        assert answer["log_log_slope"]["value"] == pytest.approx(slope, abs=0.05)
        # one value short of the curves read (a curve split in two, a stray trace): the curve left
        # without a value is the one whose omission fits the law, here the 50 mV/s one, and the
        # slope is unchanged
        short = question.replace("50, ", "")
        partial = with_stated_series(blind, short)
        assert partial.legends[int(np.flatnonzero(order == 1)[0])] is None
        assert sum(x is not None for x in partial.legends) == 3
        answer, _ = RULES["scan_rate.regime"](partial, {"question": short})
        assert answer["log_log_slope"]["value"] == pytest.approx(slope, abs=0.05)
        # two values for four curves: which curve is which cannot be told, nothing is mapped
        two = "The curves were recorded at scan rates of 20 and 200 mV/s."
        assert with_stated_series(blind, two).legends == blind.legends


def test_concentrations_stated_in_the_question_give_the_calibration_of_unlabelled_curves() -> None:
    from voltlens.bench.engine_backend import RULES, FigureReading, stated_series, with_stated_series

    conc = [0.0, 0.5, 1.0, 2.0]
    curves = [_cv(conc=c, slope=2e-6) for c in conc]
    question = "The curves were recorded at concentrations of 0 (blank), 0.5, 1 and 2 mM. What trend?"
    assert stated_series(question) == ("concentration", conc)
    blind = FigureReading("tb", report={"curves": []}, legends=[None] * 4, curves=curves[::-1])
    trend, _ = RULES["concentration.trend"](with_stated_series(blind, question), {"question": question})
    assert trend["sensitivity"]["value"] == pytest.approx(TB.randles_sevcik(1, AREA, 1.0, D, 0.1), rel=0.03)
    # a legend the digitizer read wins over the question
    labelled = FigureReading("tb", report={"curves": []}, legends=["a", "b", "1 mM", "2 mM"], curves=curves)
    assert with_stated_series(labelled, question) is labelled


def _mechanism_answer(couple, cycles: int, first_ratio: float | None = None) -> str:
    from voltlens.analyze.contract import report_of
    from voltlens.analyze.pipeline import run_analysis
    from voltlens.bench.engine_backend import RULES, FigureReading
    from voltlens.model import Voltammogram

    sim = TB.simulate_cv(
        [couple], e_start=-0.2, e_vertex=0.6, scan_rate=0.1, step=2e-3, cycles=cycles, area=AREA
    )
    v = Voltammogram(sim.potential, sim.current, scan_rate=0.1)
    report = report_of(run_analysis([v])).model_dump(mode="json")
    if first_ratio is not None:  # the first cycle's return peak measured from a misdrawn baseline
        first = min(report["curves"][0]["couples"], key=lambda c: c["anodic_peak"])
        first["current_ratio"]["value"] = first_ratio
    return RULES["mechanism.identify"](FigureReading("tb", report=report, curves=[v]), {})[0]["mechanism"]


@pytest.mark.parametrize("cycles", [1, 2])
def test_a_following_chemical_step_is_told_from_slow_electron_transfer_over_cycles(cycles: int) -> None:
    """Textbook EC (product decaying at 0.5 and 1 s⁻¹) is EC in every cycle; a quasi-reversible
    couple (k0 = 2·10⁻⁵ m/s) is not, even when its first cycle's ratio is misread as far from 1,
    as long as later cycles show the couple with equal peaks; a ratio misread by as much as a
    digitized couple's return baseline strays (0.62, 1/0.68 = 1.47) is no EC step in any case."""
    assert _mechanism_answer(TB.Couple(e0=0.2, d=D, kc=0.5), cycles) == "EC"
    assert _mechanism_answer(TB.Couple(e0=0.2, d=D, kc=1.0), cycles) == "EC"
    quasi = TB.Couple(e0=0.2, k0=2e-5, d=D)
    assert _mechanism_answer(quasi, cycles) == "quasi-reversible"
    misread = _mechanism_answer(quasi, cycles, first_ratio=0.45)
    assert misread == ("EC" if cycles == 1 else "quasi-reversible")
    assert _mechanism_answer(quasi, cycles, first_ratio=0.62) == "quasi-reversible"
    assert _mechanism_answer(TB.Couple(e0=0.2, d=D), cycles, first_ratio=1 / 0.68) == "reversible"


def test_a_reductive_dpv_read_left_to_right_is_analysed_as_a_reduction_sweep() -> None:
    """A DPV of an oxidised species swept negative, its points in increasing potential as a plot
    gives them: one cathodic peak at E½ − ΔE/2 (ΔE the signed pulse amplitude), current negative."""
    from voltlens.analyze.contract import report_of
    from voltlens.analyze.pipeline import as_plotted_sweep, is_reductive_dpv, run_analysis
    from voltlens.model import Technique, Voltammogram

    amplitude = -0.05
    sim = TB.simulate_dpv(
        [TB.Couple(e0=0.1, reduced=False, d=D)], e_start=0.4, e_end=-0.2, amplitude=amplitude, area=AREA
    )
    plotted = Voltammogram(sim.potential[::-1], sim.current[::-1], technique=Technique.DPV)
    assert is_reductive_dpv(plotted)
    swept = as_plotted_sweep(plotted)
    assert not is_reductive_dpv(swept)
    report = report_of(run_analysis([swept])).model_dump(mode="json")
    peaks = [p for p in report["curves"][0]["peaks"] if p["confidence"] >= 0.5]
    assert [p["direction"] for p in peaks] == ["cathodic"]
    assert peaks[0]["potential"]["value"] == pytest.approx(0.1 - amplitude / 2, abs=0.005)
    assert peaks[0]["current"]["value"] < 0


def test_ocr_noise_in_concentration_legends_is_tidied() -> None:
    from voltlens.bench.engine_backend import concentration_name, series_values

    kind, values = series_values(["blank", "0.234mM1", "0.468 mMH", "0.702 m", "0.936 mM,"])
    assert kind == "concentration"
    assert values == pytest.approx([0.0, 0.234, 0.468, 0.702, 0.936])
    assert [concentration_name(v) for v in values] == [
        "blank",
        "0.234 mM",
        "0.468 mM",
        "0.702 mM",
        "0.936 mM",
    ]


def test_an_artifact_flagged_on_one_trace_of_a_series_does_not_make_it_untrusted() -> None:
    from voltlens.bench.engine_backend import RULES, FigureReading

    def curve(*kinds: str) -> dict:
        anomalies = [{"kind": k, "confidence": 0.9, "severity": 0.8} for k in kinds]
        return {"technique": "CV", "n_points": 100, "peaks": [], "couples": [], "anomalies": anomalies}

    one = FigureReading("f", report={"curves": [curve("drift"), curve(), curve(), curve()]})
    assert RULES["anomaly.trust"](one, {})[0] == {"trustworthy": True, "reasons": []}
    most = FigureReading("f", report={"curves": [curve("drift")] * 3 + [curve()]})
    assert RULES["anomaly.trust"](most, {})[0] == {"trustworthy": False, "reasons": ["drift"]}
    single = FigureReading("f", report={"curves": [curve("clipping")]})
    assert RULES["anomaly.trust"](single, {})[0]["trustworthy"] is False


def test_noise_is_sized_on_the_figure_scale_from_the_digitizers_stroke_noise() -> None:
    """σ over a tenth of the figure's largest peak: 0.6 µA on a 10 µA peak is severity 0.6
    (untrusted, visible); on a blank beside it the same σ is judged against the 10 µA peak too."""
    from voltlens.bench.engine_backend import RULES, FigureReading, noise_severities

    def curve(ip: float) -> dict:
        q = {"value": ip, "unit": "A", "uncertainty": None}
        peak = {"direction": "anodic", "cycle": 1, "potential": {"value": 0.1, "unit": "V"}, "current": q}
        peaks = [{**peak, "confidence": 0.9}] if ip else []
        return {"technique": "CV", "n_points": 100, "peaks": peaks, "couples": [], "anomalies": []}

    noisy = FigureReading("f", report={"curves": [curve(1e-5)]}, trace_noise=[6e-7])
    assert noise_severities(noisy) == [pytest.approx(0.6)]
    assert RULES["anomaly.trust"](noisy, {})[0] == {"trustworthy": False, "reasons": ["noise"]}
    assert RULES["anomaly.kinds"](noisy, {})[0] == {"anomalies": ["noise"]}
    series = FigureReading("f", report={"curves": [curve(0.0), curve(1e-5)]}, trace_noise=[6e-8, 6e-8])
    assert noise_severities(series) == [pytest.approx(0.06), pytest.approx(0.06)]
    assert RULES["anomaly.trust"](series, {})[0]["trustworthy"] is True


def test_a_background_is_judged_on_the_figure_from_the_median_trace() -> None:
    """A series shares its cell: the background change each trace shows, over the figure's largest
    peak, is judged by its median — one misread trace neither makes nor unmakes it; a blank
    (no peak) does not count; per-trace 'background' flags are not used on their own."""
    from voltlens.bench.engine_backend import (
        BACKGROUND_UNTRUSTED,
        BACKGROUND_VISIBLE,
        RULES,
        FigureReading,
        background_severity,
    )

    def curve(ip: float) -> dict:
        q = {"value": ip, "unit": "A", "uncertainty": None}
        peak = {"direction": "anodic", "cycle": 1, "potential": {"value": 0.1, "unit": "V"}, "current": q}
        flag = [{"kind": "background", "confidence": 0.99, "severity": 1.0}]
        return {
            "technique": "CV",
            "n_points": 100,
            "peaks": [{**peak, "confidence": 0.9}] if ip else [],
            "couples": [],
            "anomalies": flag,
        }

    def reading(changes: list[float], ips: list[float]) -> FigureReading:
        return FigureReading("f", report={"curves": [curve(i) for i in ips]}, background=changes)

    big = 1.2 * BACKGROUND_UNTRUSTED * 1e-5
    strong = reading([big, big, 0.0, big], [1e-5, 5e-6, 2e-6, 1e-5])
    assert background_severity(strong) == pytest.approx(1.2 * BACKGROUND_UNTRUSTED)
    assert RULES["anomaly.trust"](strong, {})[0] == {"trustworthy": False, "reasons": ["background"]}
    assert "background" in RULES["anomaly.kinds"](strong, {})[0]["anomalies"]
    one_misread = reading([big, 0.0, 0.0, 0.0], [1e-5, 5e-6, 2e-6, 1e-5])
    assert RULES["anomaly.trust"](one_misread, {})[0]["trustworthy"] is True
    assert "background" not in RULES["anomaly.kinds"](one_misread, {})[0]["anomalies"]
    blank_aside = reading([0.0, 0.5 * (BACKGROUND_VISIBLE + BACKGROUND_UNTRUSTED) * 1e-5], [0.0, 1e-5])
    assert RULES["anomaly.trust"](blank_aside, {})[0]["trustworthy"] is True
    assert "background" in RULES["anomaly.kinds"](blank_aside, {})[0]["anomalies"]


def test_the_report_names_the_figures_background_on_every_curve() -> None:
    """interpretation.report says what anomaly.kinds says: with the figure's background visible every
    curve carries it, flagged trace by trace or not; with none, no curve does."""
    import voltlens.simulate as sim
    from voltlens.analyze.contract import report_of
    from voltlens.analyze.pipeline import run_analysis
    from voltlens.bench.engine_backend import BACKGROUND_VISIBLE, RULES, FigureReading, background_severity

    wave = sim.CVWaveform(start_V=-0.3, vertex_V=0.5, scan_rate_V_s=0.1, step_V=0.002)
    species = sim.Reversible(e0_V=0.1, concentration_mol_m3=1.0, diffusion_m2_s=1e-9)
    curves = [
        sim.simulate_measurement(
            species, wave, sim.Cell(area_m2=AREA), sim.Artifacts(), rng=np.random.default_rng(k)
        )[0]
        for k in range(2)
    ]
    report = report_of(run_analysis(curves)).model_dump(mode="json")
    ip = max(abs(p["current"]["value"]) for p in report["curves"][0]["peaks"])
    for change, named in ((2.0 * BACKGROUND_VISIBLE * ip, True), (0.0, False)):
        reading = FigureReading(
            "tb", report=report, legends=[None, None], curves=curves, background=[change] * 2
        )
        assert ((background_severity(reading) or 0.0) >= BACKGROUND_VISIBLE) is named
        answer = RULES["interpretation.report"](reading, {})[0]
        flagged = [any(a["kind"] == "background" for a in c["anomalies"]) for c in answer["curves"]]
        assert flagged == [named, named]
        assert ("background" in RULES["anomaly.kinds"](reading, {})[0]["anomalies"]) is named


def test_a_dpv_peak_cut_in_two_is_joined_at_the_traces_extreme() -> None:
    """Two peaks reported either side of the top of one DPV peak (no valley between them) are one
    peak, at E½ − ΔE/2; two real peaks 0.4 V apart stay two."""
    from voltlens.bench.engine_backend import merge_split_peaks
    from voltlens.model import Technique, Voltammogram

    amplitude = 0.05
    couples = [TB.Couple(e0=0.0, d=D), TB.Couple(e0=0.4, d=D)]
    sim = TB.simulate_dpv(couples, e_start=-0.3, e_end=0.7, amplitude=amplitude, area=AREA)
    trace = Voltammogram(sim.potential, sim.current, technique=Technique.DPV)

    def peak(e: float) -> dict:
        ip = float(np.interp(e, sim.potential, sim.current))
        return {
            "direction": "anodic",
            "cycle": 1,
            "confidence": 0.8,
            "potential": {"value": e, "unit": "V"},
            "current": {"value": ip, "unit": "A"},
        }

    top = -amplitude / 2
    curve = {
        "technique": "DPV",
        "couples": [],
        "peaks": [peak(top - 0.015), peak(top + 0.015), peak(0.4 + top)],
    }
    merge_split_peaks(curve, trace)
    assert [p["potential"]["value"] for p in curve["peaks"]] == [
        pytest.approx(top, abs=0.006),
        pytest.approx(0.4 + top, abs=1e-9),
    ]
    # its height from the flat baseline: the textbook trace's own extreme under the first peak
    first = sim.potential < 0.2
    assert curve["peaks"][0]["current"]["value"] == pytest.approx(sim.current[first].max(), rel=0.02)


def test_doubtful_text_on_a_figure_is_named_in_the_evidence() -> None:
    from voltlens.bench.engine_backend import ocr_doubts

    clean = {
        "x_unit": "V",
        "y_unit": "µA",
        "x_residual_percent": 0.1,
        "y_residual_percent": 0.0,
        "warnings": [],
    }
    assert ocr_doubts(clean) == []
    doubtful = {
        **clean,
        "y_unit": None,
        "y_residual_percent": 4.0,
        "warnings": ["current unit unreadable in 'Current luA)'; values left in displayed units (assumed A)"],
    }
    found = ocr_doubts(doubtful)
    assert "current unit not read" in found and len(found) == 3


def _drawn_trace(rng: np.random.Generator, sigma: float) -> tuple[Voltammogram, float, float]:
    """An LSV with two Gaussian oxidation waves (0.25 V, 15 µA; 0.60 V, 22 µA) on a sloping line,
    recorded every 4 mV with white noise ``sigma`` and drawn as a polyline read back per pixel
    column (1.5 mV, 0.06 µA pixels): what the digitizer hands the engine."""
    e_data = np.arange(-0.05, 1.0, 0.004)
    clean = 4e-6 + 1.5e-5 * e_data
    clean = clean + 1.5e-5 * np.exp(-0.5 * ((e_data - 0.25) / 0.04) ** 2)
    clean = clean + 2.2e-5 * np.exp(-0.5 * ((e_data - 0.60) / 0.04) ** 2)
    i_data = clean + sigma * rng.standard_normal(e_data.size)
    px_e, px_i = 0.0015, 6e-8
    e_px = np.arange(e_data[0], e_data[-1], px_e)
    i_px = np.round(np.interp(e_px, e_data, i_data) / px_i) * px_i
    jitter = max(sigma, px_i / np.sqrt(12.0))  # the stroke noise the digitizer reports
    v = Voltammogram(e_px, i_px, technique=Technique.LSV, metadata={"digitized": True, "noise_sigma": jitter})
    return v, px_e, jitter


@pytest.mark.parametrize("seed", [3, 11, 17, 23])
def test_a_noisy_drawn_trace_is_resampled_coarse_enough_to_show_its_noise(seed: int) -> None:
    from voltlens.analyze.pipeline import digitized_step, resample_sweeps, run_analysis
    from voltlens.analyze.preprocess import estimate_noise

    sigma = 1.5e-6
    v, pixel, _ = _drawn_trace(np.random.default_rng(seed), sigma)
    assert estimate_noise(resample_sweeps(v, step_V=pixel).current) < 0.3 * sigma  # the pixel grid hides it
    step = digitized_step(v, pixel_V=pixel)
    assert step is not None and step > pixel
    grid = resample_sweeps(v, step_V=step)
    assert 0.5 * sigma <= estimate_noise(grid.current) <= 2.0 * sigma
    peaks = [p for p in run_analysis([grid]).curves[0].peaks if p.confidence >= 0.5 and not p.shoulder]
    found = sorted(float(p.potential.value) for p in peaks)
    assert len(found) == 2, found
    assert np.allclose(found, [0.25, 0.60], atol=0.015)


def test_a_clean_drawn_trace_keeps_the_pixel_grid() -> None:
    from voltlens.analyze.pipeline import digitized_step

    v, pixel, _ = _drawn_trace(np.random.default_rng(5), 0.0)
    assert digitized_step(v, pixel_V=pixel) == pixel
    assert digitized_step(v.replace(metadata={}), pixel_V=pixel) == pixel  # no stated noise: one pixel


@pytest.mark.parametrize(
    ("k0", "expected"),
    [(math.inf, "reversible"), (1e-8, "irreversible")],  # Λ = ∞ and 1.6e-4 at 0.1 V/s
)
def test_a_linear_sweep_peak_names_its_kinetics_from_its_width(k0: float, expected: str) -> None:
    """The forward sweep of a textbook CV alone (LSV): |Ep − Ep/2| = 56.5 mV when Nernstian,
    47.7/α = 95 mV when irreversible; the summary names that, not a blanket "irreversible"."""
    from voltlens.analyze.contract import report_of
    from voltlens.analyze.pipeline import run_analysis
    from voltlens.bench.engine_backend import RULES, FigureReading

    sim = TB.simulate_cv(
        [TB.Couple(e0=0.2, k0=k0, d=D)], e_start=-0.3, e_vertex=1.0 if k0 < 1 else 0.6, step=2e-3, area=AREA
    )
    forward = slice(0, int(np.argmax(sim.potential)) + 1)
    lsv = Voltammogram(sim.potential[forward], sim.current[forward], technique=Technique.LSV, scan_rate=0.1)
    report = report_of(run_analysis([lsv])).model_dump(mode="json")
    reading = FigureReading("tb", report=report, legends=[None], curves=[lsv])
    summary, _ = RULES["interpretation.summary"](reading, {})
    assert summary["technique"] == "LSV"
    assert summary["mechanisms"] == [expected]


def test_a_dpv_peak_of_nernstian_width_is_reversible() -> None:
    """A reversible one-electron DPV peak (W½ ≈ 90–100 mV at 25–50 mV amplitude) reads as
    reversible, a single couple without a return sweep notwithstanding."""
    from voltlens.analyze.contract import report_of
    from voltlens.analyze.pipeline import run_analysis
    from voltlens.bench.engine_backend import RULES, FigureReading

    sim = TB.simulate_dpv([TB.Couple(e0=0.1, d=D)], e_start=-0.3, e_end=0.5, amplitude=0.05, area=AREA)
    dpv = Voltammogram(sim.potential, sim.current, technique=Technique.DPV)
    report = report_of(run_analysis([dpv])).model_dump(mode="json")
    reading = FigureReading("tb", report=report, legends=[None], curves=[dpv])
    answer, _ = RULES["mechanism.identify"](reading, {})
    assert answer["mechanism"] == "reversible"


@pytest.mark.parametrize("shuffle_seed", [0, 1])
def test_a_peak_riding_on_the_tail_of_an_earlier_one_is_measured_from_its_own_baseline(
    shuffle_seed: int,
) -> None:
    """Two couples of the same concentration, the second wave on the diffusion tail of the first:
    the largest current of each trace is the second peak plus that tail, which grows with the
    concentration too.  Each peak from its own baseline is Randles–Ševčík's, so the sensitivity
    (tallest peak per mM) is too, with the legends matched to the wrong traces."""
    from voltlens.bench.engine_backend import RULES, FigureReading, raw_calibration
    from voltlens.model import Voltammogram

    conc = [0.0, 0.5, 1.0, 1.5, 2.0]
    curves = []
    for c in conc:
        pair = [TB.Couple(e0=0.0, conc=c, d=D), TB.Couple(e0=0.3, conc=c, d=D)]
        sim = TB.simulate_cv(
            pair, e_start=-0.3, e_vertex=0.7, scan_rate=0.1, step=2e-3, slope=2e-6, area=AREA
        )
        curves.append(Voltammogram(sim.potential, sim.current, scan_rate=0.1))
    order = np.random.default_rng(shuffle_seed).permutation(len(conc))
    shuffled = [curves[k] for k in order]
    sensitivity = TB.randles_sevcik(1, AREA, 1.0, D, 0.1)
    tallest_raw = max(float(np.max(v.current)) for v in curves) - float(np.max(curves[0].current))  # − blank
    assert tallest_raw / 2.0 > 1.2 * sensitivity  # the raw extreme overstates the peak
    cal = raw_calibration(conc, shuffled)
    assert cal is not None and cal.slope == pytest.approx(sensitivity, rel=0.05)
    legends = ["blank" if c == 0 else f"{c:g} mM" for c in conc]
    trend, _ = RULES["concentration.trend"](
        FigureReading("tb", report={"curves": []}, legends=legends, curves=shuffled), {}
    )
    assert trend["sensitivity"]["value"] == pytest.approx(sensitivity, rel=0.05)


def test_stated_concentrations_follow_the_faradaic_change_not_the_largest_current() -> None:
    """A reduction on a background larger than its peaks: the larger the concentration, the more the
    cathodic current eats into the background, so the largest |current| of a trace falls as the
    concentration rises.  The stated concentrations still go to the right traces (by the one
    direction the traces change along) and the sensitivity is Randles–Ševčík's."""
    from voltlens.bench.engine_backend import RULES, FigureReading, _size, with_stated_series
    from voltlens.model import Voltammogram

    conc = [0.0, 0.5, 1.0, 2.0]
    curves = []
    for c in conc:
        couple = TB.Couple(e0=0.2, conc=c, d=D, reduced=False)
        sim = TB.simulate_cv(
            [couple], e_start=0.6, e_vertex=-0.2, scan_rate=0.1, step=2e-3, slope=-2e-4, area=AREA
        )
        curves.append(Voltammogram(sim.potential, sim.current, scan_rate=0.1))
    sizes = [_size(v) for v in curves]
    assert sizes == sorted(sizes, reverse=True)  # the largest |current| falls as c rises
    order = [2, 0, 3, 1]
    question = "The curves were recorded at concentrations of 0 (blank), 0.5, 1 and 2 mM. What trend?"
    blind = FigureReading("tb", report={"curves": []}, legends=[None] * 4, curves=[curves[k] for k in order])
    reading = with_stated_series(blind, question)
    expected = ["blank" if conc[k] == 0 else f"{conc[k]:g} mM" for k in order]
    assert [("blank" if t == "0 mM" else t) for t in reading.legends] == expected
    trend, _ = RULES["concentration.trend"](reading, {"question": question})
    assert trend["sensitivity"]["value"] == pytest.approx(TB.randles_sevcik(1, AREA, 1.0, D, 0.1), rel=0.03)


@pytest.mark.parametrize(
    ("species", "regime"),
    [
        ({"kind": "Adsorbed", "e0_V": 0.1, "coverage_mol_m2": 1e-6}, "adsorption"),
        (
            {"kind": "Reversible", "e0_V": 0.1, "concentration_mol_m3": 1.0, "diffusion_m2_s": 1e-9},
            "diffusion",
        ),
    ],
)
def test_the_regime_is_read_from_the_peak_shape_without_a_scan_rate_study(species: dict, regime: str) -> None:
    """No legend gives the scan rates: a surface layer (ΔEp ≈ 0, no diffusion tail) is adsorption with
    the slope of 1 a layer gives; a diffusing couple (ΔEp ≈ 59 mV) diffusion with Randles–Ševčík's
    0.5 (the simulator's own series give these slopes)."""
    import voltlens.simulate as sim
    from voltlens.analyze.contract import report_of
    from voltlens.analyze.pipeline import run_analysis
    from voltlens.bench.engine_backend import REGIME_SLOPE, RULES, FigureReading

    species = dict(species)
    kind = species.pop("kind")
    wave = sim.CVWaveform(start_V=-0.3, vertex_V=0.5, scan_rate_V_s=0.1, step_V=0.002)
    curves = [
        sim.simulate_measurement(
            getattr(sim, kind)(**species),
            wave,
            sim.Cell(area_m2=AREA),
            sim.Artifacts(),
            rng=np.random.default_rng(k),
        )[0]
        for k in range(2)
    ]
    report = report_of(run_analysis(curves)).model_dump(mode="json")
    for legends in ([None, None], ["100 mV/s", "400 mV/s"]):
        # no scan rates read, or rates that give no transport regime's slope (the two curves were
        # recorded at the same rate: a slope near 0): both fall back on the peak shape
        reading = FigureReading("tb", report=report, legends=legends, curves=curves)
        answer, confidence = RULES["scan_rate.regime"](reading, {})
        assert answer["regime"] == regime, legends
        assert answer["log_log_slope"]["value"] == REGIME_SLOPE[regime]  # the regime's stated slope
        assert confidence < 0.5


@pytest.mark.parametrize("hump", [1.5, 3.0])
def test_a_blank_with_a_large_background_wave_does_not_set_the_peak_potential(hump: float) -> None:
    """A blank whose background carries a wave of its own, taller than the analyte's largest peak,
    every curve's concentration read: the sensitivity is read where the highest-concentration
    trace peaks, not at the blank's wave (where the rank-paired currents are no calibration)."""
    from voltlens.bench.engine_backend import raw_calibration
    from voltlens.model import Voltammogram

    conc = [0.0, 0.5, 1.0, 1.5, 2.0]
    curves = [_cv(conc=c, slope=2e-6) for c in conc]
    sensitivity = TB.randles_sevcik(1, AREA, 1.0, D, 0.1)
    e = curves[0].potential
    wave = hump * 2.0 * sensitivity * np.exp(-(((e - 0.45) / 0.05) ** 2))
    blank = Voltammogram(e, curves[0].current + wave, scan_rate=0.1)
    cal = raw_calibration(conc, [blank, *curves[1:]])
    assert cal is not None and cal.slope == pytest.approx(sensitivity, rel=0.03)


def test_a_trace_without_sweep_labels_is_cut_at_every_turn_of_its_programme() -> None:
    """Two cycles of a textbook CV with no ``segment`` labels: four sweeps, alternately positive-
    and negative-going, each running between the programme's start and vertex potentials."""
    from voltlens.bench.engine_backend import _sweeps

    couple = TB.Couple(e0=0.2, conc=1.0, d=D)
    sim = TB.simulate_cv([couple], e_start=-0.2, e_vertex=0.6, step=2e-3, cycles=2, area=AREA)
    sweeps = _sweeps(Voltammogram(sim.potential, sim.current))
    assert [up for up, _, _ in sweeps] == [True, False, True, False]
    for up, e, _ in sweeps:
        assert np.all(np.diff(e) > 0) if up else np.all(np.diff(e) < 0)
        assert min(e[0], e[-1]) == pytest.approx(-0.2, abs=3e-3)
        assert max(e[0], e[-1]) == pytest.approx(0.6, abs=3e-3)


@pytest.mark.parametrize(
    ("legend", "name"),
    [
        ("sample A", "sample A"),
        ("Sample  b", "sample B"),
        ("ple A", "sample A"),  # clipped at the legend box's edge
        ("s8mple B", "sample B"),  # one letter misread
        ("sample C –", "sample C"),  # a swatch's dash read as text
        ("SampleD", "sample D"),
        ("Example A", "Example A"),  # another word: left as read
        ("sample", "sample"),  # no letter: nothing to tidy
        ("Au electrode", "Au electrode"),
        ("0.25 mM", "0.25 mM"),
    ],
)
def test_a_sample_legend_clipped_or_misread_by_the_ocr_is_named_as_drawn(legend: str, name: str) -> None:
    from voltlens.bench.engine_backend import _legend_name

    assert _legend_name(legend) == name


def test_curves_naming_cycles_of_samples_are_compared_by_sample() -> None:
    """Legends "sample A, cycle 1" … name cycles of two samples: the comparison is between the
    samples, each by its earliest cycle shown (the later cycles of sample A are smaller here)."""
    from voltlens.bench.engine_backend import RULES, FigureReading

    def curve(ip: float) -> dict:
        peak = {"direction": "anodic", "cycle": 1, "potential": {"value": 0.2}, "current": {"value": ip}}
        return {"technique": "CV", "peaks": [{**peak, "confidence": 0.9}], "couples": []}

    legends = ["sample A, cycle 1", "sample A, cycle 2", "sample B, cycle 1", "sample A, cycle 3"]
    report = {"curves": [curve(3e-6), curve(2e-6), curve(2.5e-6), curve(1e-6)]}
    reading = FigureReading("tb", report=report, legends=legends)
    ranking, _ = RULES["compare.ranking"](reading, {})
    assert ranking["ranking"] == ["sample A", "sample B"]
    larger, _ = RULES["compare.larger_peak"](reading, {})
    assert larger["curve"] == "sample A" and larger["current"]["value"] == pytest.approx(3e-6)


@pytest.mark.parametrize("sweep", [0, 1])
def test_a_blank_that_picked_up_another_curves_ink_is_left_out_of_the_calibration(sweep: int) -> None:
    """The blank's trace carries the 2 mM curve's current along one sweep (the digitizer followed
    the wrong ink): that trace is off the line the other four agree on, and the sensitivity is
    still the Randles–Ševčík ip per mM."""
    from voltlens.bench.engine_backend import raw_calibration

    conc = [0.0, 0.5, 1.0, 1.5, 2.0]
    curves = [_cv(conc=c, slope=2e-6) for c in conc]
    sensitivity = TB.randles_sevcik(1, AREA, 1.0, D, 0.1)
    e = curves[0].potential
    turn = int(np.argmax(e))
    on_sweep = np.arange(e.size) <= turn if sweep == 0 else np.arange(e.size) > turn
    junk = Voltammogram(e, np.where(on_sweep, curves[-1].current, curves[0].current), scan_rate=0.1)
    cal = raw_calibration(conc, [junk, *curves[1:]])
    assert cal is not None and cal.slope == pytest.approx(sensitivity, rel=0.03)


def test_a_longer_trace_without_peaks_is_not_taken_for_the_voltammogram() -> None:
    """A single-curve figure whose zero axis was traced as a second, longer curve: the questions
    about "the" curve are answered from the voltammogram, a reversible couple whose ΔEp is the
    Nernstian 2.218 RT/F (57 mV)."""
    from voltlens.analyze.contract import report_of
    from voltlens.analyze.pipeline import run_analysis
    from voltlens.bench.engine_backend import RULES, FigureReading
    from voltlens.constants import thermal_voltage

    cv = _cv()
    axis_e = np.linspace(-0.3, 0.7, 3 * cv.n_points)
    flat = 1e-3 * float(np.ptp(cv.current)) * np.random.default_rng(5).standard_normal(axis_e.size)
    axis = Voltammogram(axis_e, flat, scan_rate=0.1)
    report = report_of(run_analysis([cv, axis])).model_dump(mode="json")
    reading = FigureReading("tb", report=report, legends=[None, None], curves=[cv, axis])
    answer, _ = RULES["values.delta_ep"](reading, {})
    assert answer["delta_Ep"]["value"] == pytest.approx(2.218 * thermal_voltage(298.15), abs=0.005)
    assert RULES["reversibility.class"](reading, {})[0]["reversibility"] == "reversible"


@pytest.mark.parametrize(
    ("legends", "named"),
    [
        (["sample A", "sample B", "sample D", None], ["sample A", "sample B", "sample D", "sample C"]),
        (["sample B", "sam", "sample C"], ["sample B", "sample A", "sample C"]),  # letter clipped off
        (["sample A", None, None], ["sample A", None, None]),  # two unread: no telling which is which
        (["sample A", "sample E", None], ["sample A", "sample E", None]),  # not the run A, B, C
        (["0.5 mM", "1 mM", None], ["0.5 mM", "1 mM", None]),
    ],
)
def test_one_unread_legend_of_a_lettered_run_is_named_by_elimination(legends: list, named: list) -> None:
    from voltlens.bench.engine_backend import _legend_name, _lettered

    names = [_legend_name(t) for t in legends]
    assert _lettered(names, [True] * len(names)) == named
    no_peak = [a == b for a, b in zip(names, named, strict=True)]  # the renamed trace shows no peak
    assert _lettered(names, no_peak) == names


# ----------------------------------------------------------------------------------------------
# best guesses, names read off the legend's order, couples of the peaks counted


def _unreadable(why: str):
    from voltlens.bench.engine_backend import FigureReading

    return FigureReading("f.png", refused=f"f.png: {why}")


def test_a_plot_whose_axes_cannot_be_read_gets_the_usual_answer_to_a_categorical_question() -> None:
    """A plot whose current axis cannot be read (no tick labels) is still a voltammogram: a question
    with a categorical answer gets the usual case in the answer's schema — a diffusing species,
    values no artifact spoils, a reversible couple — at a confidence below certainty, where a
    number (E½) is still refused, and an image that may be no plot at all refuses everything."""
    from voltlens.bench.answers import parse_response
    from voltlens.bench.engine_backend import answer_template

    usual = {
        "anomaly.trust": ("trustworthy", True),
        "scan_rate.regime": ("regime", "diffusion"),
        "reversibility.class": ("reversibility", "reversible"),
        "mechanism.identify": ("mechanism", "reversible"),
    }
    plot = _unreadable("no tick labels found along the y (current) axis")
    for tid, (name, value) in usual.items():
        item = {"template": tid, "question": TEMPLATES[tid].paraphrases[0]}
        out = answer_template(plot, item)
        parsed = parse_response(out.raw, TEMPLATES[tid].answer_schema)
        assert parsed.status == "ok", out.raw
        assert parsed.value[name] == value
        assert 0.0 < out.confidence < 1.0
        assert "best_guess" in out.evidence
    slope = json.loads(answer_template(plot, {"template": "scan_rate.regime"}).raw)["log_log_slope"]
    assert slope["value"] == pytest.approx(0.5)  # Randles–Ševčík
    assert answer_template(plot, {"template": "values.e_half"}).raw.startswith("I cannot answer")
    not_a_plot = _unreadable("no plot frame found (no axis lines, gridlines or rows of tick labels)")
    for tid in usual:
        out = answer_template(not_a_plot, {"template": tid})
        assert out.raw.startswith("I cannot answer") and out.confidence == 0.0


def _peaked_curve(ip: float, e: float = 0.2) -> dict:
    peak = {"direction": "anodic", "cycle": 1, "potential": {"value": e}, "current": {"value": ip}}
    return {"technique": "CV", "n_points": 100, "peaks": [{**peak, "confidence": 0.9}], "couples": []}


@pytest.mark.parametrize(
    ("legends", "named"),
    [
        (["sam", "sam"], ["sample A", "sample B"]),  # both letters clipped off
        (["sample", "ample", "sample"], ["sample A", "sample B", "sample C"]),
        (["ple A", "ple 8", "ple c"], ["sample A", "sample B", "sample C"]),  # B misread as 8
        (["sample B", "sam", "sam"], ["sample B", "sam", "sam"]),  # B is not first: not the run's order
        (["0.5 mM", "sam"], ["0.5 mM", "sam"]),
    ],
)
def test_letters_the_ocr_lost_are_read_from_the_legends_order(legends: list, named: list) -> None:
    """A legend drawn as "sample A", "sample B", … whose letters the OCR lost: where every letter read
    sits at its place in the run, an entry read as "sample" without one is the sample of its place;
    the comparison then names the drawn samples (sample B drawn with the larger peak)."""
    from voltlens.bench.engine_backend import RULES, FigureReading, Unanswerable, _curve_names

    report = {"curves": [_peaked_curve(1e-6 * (1 + (k == 1))) for k in range(len(legends))]}
    reading = FigureReading("f", report=report, legends=legends)
    assert _curve_names(reading) == named
    if named[1] == "sample B":
        assert RULES["compare.larger_peak"](reading, {})[0]["curve"] == "sample B"
        assert RULES["compare.ranking"](reading, {})[0]["ranking"][0] == "sample B"
    elif len({n for n in named if n}) < 2:
        with pytest.raises(Unanswerable):
            RULES["compare.ranking"](reading, {})


def test_the_report_names_its_curves_as_the_comparisons_do() -> None:
    """interpretation.report names an unread legend of a lettered run by elimination, as the
    comparison questions do; a lone curve without a legend is "curve 1", not a sample."""
    from voltlens.analyze.contract import report_of
    from voltlens.analyze.pipeline import run_analysis
    from voltlens.bench.engine_backend import RULES, FigureReading

    curves = [_cv(conc=1.0), _cv(conc=2.0)]
    pair = FigureReading(
        "f", report=report_of(run_analysis(curves)).model_dump(mode="json"), legends=["sample A", None]
    )
    names = [c["source"] for c in RULES["interpretation.report"](pair, {})[0]["curves"]]
    assert names == ["sample A", "sample B"]
    assert RULES["compare.larger_peak"](pair, {})[0]["curve"] == "sample B"  # twice the concentration
    lone = FigureReading(
        "f", report=report_of(run_analysis(curves[:1])).model_dump(mode="json"), legends=[None]
    )
    assert [c["source"] for c in RULES["interpretation.report"](lone, {})[0]["curves"]] == ["curve 1"]


def test_the_figures_background_is_found_once_for_all_its_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The background is judged on the figure (:func:`background_severity`: the traces' median
    change over the largest peak): it is found once and kept on the reading for every question
    about the figure, a copy with stated values included."""
    import voltlens.bench.engine_backend as eb
    from voltlens.analyze.contract import report_of
    from voltlens.analyze.pipeline import run_analysis

    calls = []
    found = eb._background_severity
    monkeypatch.setattr(eb, "_background_severity", lambda r: calls.append(1) or found(r))
    curves = [_cv(conc=1.0), _cv(conc=2.0)]
    report = report_of(run_analysis(curves)).model_dump(mode="json")
    ip = max(abs(p["current"]["value"]) for c in report["curves"] for p in c["peaks"])
    reading = eb.FigureReading(
        "f", report=report, legends=[None, None], curves=curves, background=[0.6 * ip] * 2
    )
    question = "The curves were recorded at scan rates of 50 and 100 mV/s."
    for tid in ("anomaly.trust", "anomaly.kinds", "interpretation.report", "interpretation.summary"):
        eb.answer_template(reading, {"template": tid, "question": question})
    assert eb.background_severity(reading) == pytest.approx(0.6)
    assert len(calls) == 1


def test_the_summary_gives_the_couples_of_the_peaks_it_counts() -> None:
    """A summary's E½ list holds the couples between the peaks it counts: a couple the engine formed
    from two doubtful peaks (left out of the count) is left out of the E½ list as well."""
    from voltlens.bench.engine_backend import CONFIDENT, RULES, FigureReading

    def peak(direction: str, e: float, ip: float, conf: float) -> dict:
        q = {"value": ip, "unit": "A"}
        return {
            "direction": direction,
            "cycle": 1,
            "potential": {"value": e},
            "current": q,
            "confidence": conf,
        }

    def couple(a: int, c: int, e_half: float) -> dict:
        return {
            "anodic_peak": a,
            "cathodic_peak": c,
            "E_half": {"value": e_half, "unit": "V"},
            "delta_Ep": {"value": 0.06, "unit": "V"},
            "current_ratio": {"value": 1.0, "unit": "1"},
            "reversibility": "reversible",
            "confidence": 0.9,
        }

    doubtful = 0.6 * CONFIDENT
    peaks = [peak("anodic", 0.23, 2e-6, 0.95), peak("cathodic", 0.17, -2e-6, 0.95)]
    peaks += [peak("anodic", 0.53, 1e-7, doubtful), peak("cathodic", 0.47, -1e-7, doubtful)]
    curve = {
        "technique": "CV",
        "n_points": 100,
        "peaks": peaks,
        "couples": [couple(0, 1, 0.2), couple(2, 3, 0.5)],
    }
    reading = FigureReading("f", report={"curves": [curve]}, legends=[None])
    summary, _ = RULES["interpretation.summary"](reading, {})
    assert summary["n_peaks"] == 2
    assert [q["value"] for q in summary["E_half"]] == [0.2]
    assert [c["E_half"]["value"] for c in RULES["values.couples"](reading, {})[0]["couples"]] == [0.2]


@pytest.mark.parametrize("shuffle_seed", [0, 1])
def test_stated_concentrations_of_a_reduction_sweep_read_left_to_right_follow_its_peak(
    shuffle_seed: int,
) -> None:
    """A reduction LSV series (O in the bulk, swept from +0.6 to −0.2 V) without a legend, each trace
    read off the plot from left to right as a plot gives it, in a shuffled order, the question
    stating the concentrations: the largest cathodic peak is the highest concentration, so the
    sensitivity is the Randles–Ševčík ip per mM and not the reversed pairing's."""
    from voltlens.bench.engine_backend import FigureReading, answer_template

    conc = [0.0, 0.5, 1.0, 1.5, 2.0]
    curves = []
    for c in conc:
        couple = TB.Couple(e0=0.2, conc=c, d=D, reduced=False)
        sim = TB.simulate_cv([couple], e_start=0.6, e_vertex=-0.2, scan_rate=0.1, step=2e-3, area=AREA)
        sweep = slice(0, int(np.argmin(sim.potential)) + 1)
        e, i = sim.potential[sweep][::-1], sim.current[sweep][::-1]  # as read: by increasing potential
        curves.append(Voltammogram(e, i + 2e-6 * (e - 0.6), scan_rate=0.1))
    order = np.random.default_rng(shuffle_seed).permutation(len(conc))
    reading = FigureReading(
        "tb", report={"curves": []}, legends=[None] * len(conc), curves=[curves[k] for k in order]
    )
    question = "The curves were recorded at concentrations of 0 (blank), 0.5, 1, 1.5 and 2 mM. What trend?"
    out = answer_template(reading, {"template": "concentration.trend", "question": question})
    trend = json.loads(out.raw)
    assert trend["trend"] == "increases"
    assert trend["sensitivity"]["value"] == pytest.approx(TB.randles_sevcik(1, AREA, 1.0, D, 0.1), rel=0.05)


@pytest.mark.parametrize("gap", [0.2, 0.42])
def test_two_equal_couples_of_one_curve_are_two_waves_of_one_species(gap: float) -> None:
    """Two successive one-electron transfers of one species (textbook: two Nernstian couples of the
    same concentration, E° ``gap`` apart, up to the ~0.45 V such waves are found apart) give two
    couples of equal height: EE, also further apart than 0.35 V; beyond that, a couple beside one
    five times smaller is not."""
    from voltlens.analyze.contract import report_of
    from voltlens.analyze.pipeline import run_analysis
    from voltlens.bench.engine_backend import RULES, FigureReading
    from voltlens.model import Voltammogram

    def mechanism(second_conc: float) -> str:
        couples = [TB.Couple(e0=0.0, d=D), TB.Couple(e0=gap, d=D, conc=second_conc)]
        sim = TB.simulate_cv(couples, e_start=-0.3, e_vertex=gap + 0.3, scan_rate=0.1, step=2e-3, area=AREA)
        v = Voltammogram(sim.potential, sim.current, scan_rate=0.1)
        report = report_of(run_analysis([v])).model_dump(mode="json")
        return RULES["mechanism.identify"](FigureReading("tb", report=report, curves=[v]), {})[0]["mechanism"]

    assert mechanism(1.0) == "EE"
    if gap > 0.35:  # (closer, any two couples are taken for EE)
        assert mechanism(0.2) != "EE"


# ----------------------------------------------------------------------------------------------
# the whole report (interpretation.report) and a lone traced curve (compare.larger_peak)


def _report_reading(v: Voltammogram, legend: str | None = None):
    from voltlens.analyze.contract import report_of
    from voltlens.analyze.pipeline import run_analysis
    from voltlens.bench.engine_backend import FigureReading

    report = report_of(run_analysis([v])).model_dump(mode="json")
    return FigureReading("tb", report=report, legends=[legend], curves=[v])


@pytest.mark.parametrize("seed", [0, 1])
def test_the_report_names_noise_as_the_templates_size_it(seed: int) -> None:
    """White noise of σ = 2 % of a textbook couple's peak (Randles–Ševčík) is severity σ/(0.1·ip) =
    0.2 as the templates size it, above the visible 0.15: the report names it, as the summary does."""
    from voltlens.bench.engine_backend import RULES
    from voltlens.dataset.templates import VISIBLE_SEVERITY

    sim = TB.simulate_cv([TB.Couple(e0=0.2, d=D)], e_start=-0.2, e_vertex=0.6, step=2e-3, area=AREA)
    ip = TB.randles_sevcik(1, AREA, 1.0, D, 0.1)
    sigma = 0.02 * ip
    assert sigma / (0.1 * ip) >= VISIBLE_SEVERITY
    noisy = sim.current + np.random.default_rng(seed).normal(0.0, sigma, sim.current.size)
    reading = _report_reading(Voltammogram(sim.potential, noisy, scan_rate=0.1))
    report, _ = RULES["interpretation.report"](reading, {})
    assert [a["kind"] for a in report["curves"][0]["anomalies"]] == ["noise"]


def test_the_report_names_no_artifact_for_a_clean_irreversible_wave() -> None:
    """A clean, totally irreversible couple (k0 = 1e-7 cm/s: no return peak) has no artifact of the
    recording; its missing return peak is chemistry the peaks state, not an anomaly of the figure."""
    from voltlens.bench.engine_backend import RULES

    sim = TB.simulate_cv([TB.Couple(e0=0.2, k0=1e-7, d=D)], e_start=-0.3, e_vertex=1.0, step=2e-3, area=AREA)
    reading = _report_reading(Voltammogram(sim.potential, sim.current, scan_rate=0.1))
    report, _ = RULES["interpretation.report"](reading, {})
    assert report["curves"][0]["anomalies"] == []


def test_the_larger_peak_of_an_overlay_of_which_one_curve_was_traced_is_that_curve() -> None:
    """Only one curve of an overlay traced ("sample B"): it is answered, at reduced confidence, with
    its Randles–Ševčík peak height, rather than refused."""
    from voltlens.bench.engine_backend import answer_template

    reading = _report_reading(_cv(conc=1.0), "sample B")
    item = {"template": "compare.larger_peak", "question": TEMPLATES["compare.larger_peak"].paraphrases[0]}
    answer = answer_template(reading, item)
    parsed = json.loads(answer.raw)
    assert parsed["curve"] == "sample B"
    assert parsed["current"]["value"] == pytest.approx(TB.randles_sevcik(1, AREA, 1.0, D, 0.1), rel=0.1)
    assert answer.confidence is not None and answer.confidence <= 0.5


@pytest.mark.parametrize("index", range(4))
def test_the_current_ratio_of_an_adsorbed_couple_is_one(
    tmp_path: Path, backend: EngineBackend, index: int
) -> None:
    """A clean rendered CV of a surface-confined Nernstian layer: its peaks are mirror images
    (Laviron: ipa = ipc = n²F²AvΓ/4RT), so |ipa/ipc| is 1 — as the simulator's label states — and
    the answer is 1, however the small return peak's baseline is drawn on the trace."""
    from voltlens.bench.engine_backend import answer_template

    label, path = _figure(tmp_path, index, **_clean_cv("adsorbed"))
    (couple,) = label["curves"][0]["couples"]
    assert couple["current_ratio"] == pytest.approx(1.0)
    answer = answer_template(backend.reading([path]), _item("values.current_ratio", path))
    assert json.loads(answer.raw)["current_ratio"]["value"] == pytest.approx(
        couple["current_ratio"], abs=0.15
    )

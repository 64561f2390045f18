"""The template registry: answers conform to their schemas and agree with independent readings of the label."""

from __future__ import annotations

import copy
import re
from typing import Any

import numpy as np
import pytest

from voltlens.analyze.contract import AnalysisReport
from voltlens.dataset.seeds import BENCH_SEED_OFFSET, bench_seed, check_training_seed, is_bench_seed
from voltlens.dataset.templates import SKILLS, TEMPLATES, generate_qa
from voltlens.errors import ParameterError
from voltlens.synth.config import SynthConfig
from voltlens.synth.sample import generate_sample
from voltlens.vlm.schema import schema_problems

KINDS = ("single", "overlay", "scan_rate_series", "concentration_series")


def _labels(kind: str, *, seed: int, n: int, **config: Any) -> list[dict]:
    """The labels of ``n`` synthetic figures of one kind."""
    cfg = SynthConfig(kinds={kind: 1.0}, **config)
    return [generate_sample(i, seed=seed, config=cfg).label for i in range(n)]


@pytest.fixture(scope="module")
def labels() -> list[dict]:
    cfg = {
        "techniques": {"CV": 0.8, "DPV": 0.2},
        "degradation_probability": 0.0,
        "series_length": (3, 4),
        "max_cycles": 1,
        "artifacts": {"noise": 0.5, "drift": 0.2, "ru": 0.2, "spikes": 0.1},
    }
    return [lb for kind in KINDS for lb in _labels(kind, seed=11, n=6, **cfg)]


def _all_qa(labels):
    for k, label in enumerate(labels):
        for t in TEMPLATES.values():
            qa = t.generate(label, np.random.default_rng(k))
            if qa is not None:
                yield label, qa


def test_every_answer_conforms_to_its_schema(labels):
    seen = set()
    for _label, qa in _all_qa(labels):
        assert schema_problems(qa.answer, qa.answer_schema) == [], (qa.template, qa.answer)
        assert qa.question and qa.answer_text
        seen.add(qa.template)
    # most templates are answerable on this mix of figures
    assert len(seen) >= len(TEMPLATES) - 3, set(TEMPLATES) - seen


def test_registry_has_paraphrases_and_known_skills():
    for t in TEMPLATES.values():
        assert t.skill in SKILLS
        assert len(set(t.paraphrases)) >= 2, t.id
    assert {t.skill for t in TEMPLATES.values()} == set(SKILLS)


def test_peak_count_is_the_number_of_first_cycle_peaks(labels):
    for label, qa in _all_qa(labels):
        if qa.template == "peaks.count":
            peaks = [p for p in label["curves"][0]["peaks"] if p["cycle"] == 1]
            assert qa.answer["n_peaks"] == len(peaks)
            assert qa.answer["anodic"] == sum(p["current_A"] > 0 for p in peaks)


def test_e_half_is_the_midpoint_of_the_peak_potentials(labels):
    n = 0
    for label, qa in _all_qa(labels):
        if qa.template == "values.e_half":
            curve = label["curves"][0]
            (c,) = [c for c in curve["couples"] if c["cycle"] == 1]
            mid = (
                curve["peaks"][c["anodic"]]["potential_V"] + curve["peaks"][c["cathodic"]]["potential_V"]
            ) / 2
            assert qa.answer["E_half"]["value"] == pytest.approx(mid, abs=1e-3)
            assert qa.answer["E_half"]["unit"] == "V"
            n += 1
    assert n > 0


def test_unknown_concentration_inverts_an_independent_calibration(labels):
    n = 0
    for label, qa in _all_qa(labels):
        if qa.template != "concentration.unknown":
            continue
        # the calibration a reader builds: each curve's tallest peak (simulator truth) vs concentration
        s = label["series"]
        pts = [(c, _tallest(curve)) for c, curve in zip(s["values"], label["curves"], strict=True) if c > 0]
        slope, intercept = np.polyfit(*zip(*pts, strict=True), 1)
        value, prefix = re.search(r"([\d.]+) (µA|nA|mA|A)", qa.question).groups()
        current = float(value) * {"A": 1, "mA": 1e-3, "µA": 1e-6, "nA": 1e-9}[prefix]
        assert qa.answer["concentration"]["value"] == pytest.approx((current - intercept) / slope, rel=0.02)
        n += 1
    assert n > 0


def test_scan_rate_regime_follows_the_theoretical_slope(labels):
    n = 0
    for label, qa in _all_qa(labels):
        if qa.template == "scan_rate.regime":
            adsorbed = label["curves"][0]["species"][0]["mechanism"] == "adsorbed"
            assert qa.answer["regime"] == ("adsorption" if adsorbed else "diffusion")
            n += 1
    assert n > 0


def test_report_answers_validate_against_the_analysis_contract(labels):
    n = 0
    for label, qa in _all_qa(labels):
        if qa.template == "interpretation.report":
            report = AnalysisReport.model_validate(qa.answer)
            assert len(report.curves) == len(label["curves"])
            n += 1
    assert n > 0


def test_unanswerable_questions_are_skipped(labels):
    label = copy.deepcopy(next(lb for lb in labels if lb["kind"] == "single"))
    for curve in label["curves"]:
        curve["couples"] = []
    rng = np.random.default_rng(0)
    for tid in ("values.e_half", "values.delta_ep", "values.current_ratio", "values.couples"):
        assert TEMPLATES[tid].generate(label, rng) is None
    # overlay templates never answer a single figure
    assert TEMPLATES["compare.ranking"].generate(label, rng) is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generate_qa_is_deterministic_and_respects_skill_weights(labels, seed):
    label = labels[seed]
    a = generate_qa(label, np.random.default_rng(seed), n=3, skills={"peak_detection": 1.0})
    b = generate_qa(label, np.random.default_rng(seed), n=3, skills={"peak_detection": 1.0})
    assert a == b
    assert all(q.skill == "peak_detection" for q in a)
    assert len({q.template for q in a}) == len(a)


def test_seed_ranges_do_not_overlap():
    assert check_training_seed(BENCH_SEED_OFFSET - 1) == BENCH_SEED_OFFSET - 1
    assert is_bench_seed(bench_seed(0)) and bench_seed(5) == BENCH_SEED_OFFSET + 5
    with pytest.raises(ParameterError, match="--seed"):
        check_training_seed(bench_seed(0))
    with pytest.raises(ParameterError):
        check_training_seed(-1)


# ----------------------------------------------------------------------------------------------
# definitions a reader of the figure can answer


def _series(kind: str, n: int, artifacts: dict, seed: int = 5) -> list:
    cfg = SynthConfig(
        kinds={kind: 1.0},
        techniques={"CV": 1.0},
        degradation_probability=0.0,
        series_length=(4, 5),
        max_cycles=1,
        artifacts=artifacts,
    )
    return [generate_sample(i, seed=seed, config=cfg) for i in range(n)]


def _measured_noise_severity(sample) -> tuple[float, float]:
    """Independent of the labels: the blank's measured noise RMS (its current is noise alone when
    noise is the only artifact) over 0.1 × the largest |current| any trace of the figure reaches."""
    blank = next(v for v, c in zip(sample.measured, sample.label["curves"], strict=True) if not c["peaks"])
    scale = max(float(np.max(np.abs(v.current))) for v in sample.measured)
    rms = float(np.std(blank.current))
    return rms / (0.1 * scale), rms


def test_blank_noise_is_judged_on_the_figures_scale():
    """A concentration series' blank has no signal of its own: the simulator's own-scale severity is
    1.0, but on the figure's scale (the series' largest peak) its noise is what the other traces carry."""
    from voltlens.dataset.templates import figure_severities

    checked = 0
    for sample in _series("concentration_series", 6, {"noise": 1.0}):
        label = sample.label
        k = next((k for k, c in enumerate(label["curves"]) if not c["peaks"]), None)
        if k is None:
            continue
        assert [a["kind"] for a in label["curves"][k]["artifacts"]] == ["white_noise"]
        assert label["curves"][k]["artifacts"][0]["severity"] == 1.0  # the flaw being fixed
        measured, _ = _measured_noise_severity(sample)
        got = figure_severities(label)[k][0]
        assert got == pytest.approx(min(1.0, measured), rel=0.25, abs=0.02)
        qa = TEMPLATES["anomaly.trust"].generate(label, np.random.default_rng(0))
        if abs(measured - 0.5) > 0.25:  # clear of the ambiguous band
            assert qa is not None and qa.answer["trustworthy"] == (measured < 0.5)
        checked += 1
    assert checked >= 3


def test_clean_blank_series_is_trustworthy_and_a_planted_noisy_curve_is_not():
    label = _series("concentration_series", 1, {"noise": 1.0})[0].label
    scale = max(abs(p["current_A"]) for c in label["curves"] for p in c["peaks"])
    for c in label["curves"]:  # instrument noise at 1 % of the largest peak: invisible on the figure
        for a in c["artifacts"]:
            a["params"]["rms_A"] = 0.01 * scale
            own = max((abs(p["current_A"]) for p in c["peaks"]), default=0.0)  # the simulator's scale
            a["severity"] = 1.0 if own == 0 else min(1.0, 0.01 * scale / (0.1 * own))
    qa = TEMPLATES["anomaly.trust"].generate(label, np.random.default_rng(0))
    assert qa is not None and qa.answer == {"trustworthy": True, "reasons": []}
    noisy = copy.deepcopy(label)
    k = next(k for k, c in enumerate(noisy["curves"]) if c["peaks"])
    noisy["curves"][k]["artifacts"][0]["params"]["rms_A"] = 0.09 * scale  # 0.9 of 0.1·S_fig
    qa = TEMPLATES["anomaly.trust"].generate(noisy, np.random.default_rng(0))
    assert qa is not None and qa.answer == {"trustworthy": False, "reasons": ["noise"]}


def test_single_curve_severities_are_the_simulators():
    from voltlens.dataset.templates import figure_severities

    for sample in _series("single", 4, {"noise": 0.5, "drift": 0.5, "ru": 0.5}):
        label = sample.label
        assert figure_severities(label) == [[a["severity"] for a in c["artifacts"]] for c in label["curves"]]


def _tallest(curve: dict) -> float:
    return max(abs(p["current_A"]) for p in curve["peaks"] if p["cycle"] == 1)


def test_overlay_comparisons_use_what_the_figure_shows(labels):
    """Largest / ranking: each curve's tallest peak from its background, whichever sweep or species
    it belongs to — the same answer when the species numbering or the series truth is removed."""
    n = 0
    for k, label in enumerate(labels):
        if label["kind"] != "overlay":
            continue
        stripped = copy.deepcopy(label)
        stripped["series"] = None
        for c in stripped["curves"]:
            for q in c["couples"]:
                q["species"] = 7
        for tid in ("compare.larger_peak", "compare.ranking", "compare.e_half", "compare.kinetics"):
            qa = TEMPLATES[tid].generate(label, np.random.default_rng(k))
            again = TEMPLATES[tid].generate(stripped, np.random.default_rng(k))
            assert (qa is None) == (again is None) and (qa is None or qa.answer == again.answer)
            if qa is None:
                continue
            assert "forward" not in qa.question.lower()
            names = [c["legend"] for c in label["curves"]]
            heights = [_tallest(c) for c in label["curves"]]
            if tid == "compare.larger_peak":
                assert qa.answer["curve"] == names[int(np.argmax(heights))]
                assert qa.answer["current"]["value"] == pytest.approx(max(heights), rel=1e-3)
            if tid == "compare.ranking":
                assert qa.answer["ranking"] == [names[i] for i in np.argsort(heights)[::-1]]
            if tid in ("compare.e_half", "compare.kinetics"):
                assert all(len([q for q in c["couples"] if q["cycle"] == 1]) == 1 for c in label["curves"])
            n += 1
    assert n > 0


def test_blank_background_is_sized_from_the_series_it_shares_the_cell_with():
    """Background does not depend on the analyte: the blank's (unknown on its own scale) takes the
    interval the other traces give, and the blank's measured current (background alone) lies in it."""
    from voltlens.dataset.templates import severity_bounds

    checked = 0
    for sample in _series("concentration_series", 5, {"background": 1.0}, seed=9):
        label = sample.label
        bounds = severity_bounds(label)
        k = next((k for k, c in enumerate(label["curves"]) if not c["peaks"]), None)
        kinds = [a["kind"] for a in label["curves"][0]["artifacts"]]
        if k is None or kinds != ["background"]:
            continue
        assert len({b[0] for b in bounds}) == 1  # one interval for the one background
        lo, hi = bounds[k][0]
        scale = max(abs(p["current_A"]) for c in label["curves"] for p in c["peaks"])
        measured = float(np.max(np.abs(sample.measured[k].current))) / scale
        assert lo * 0.8 - 0.02 <= min(measured, 1.0) <= hi * 1.2 + 0.02
        checked += 1
    assert checked >= 2


def test_concentration_sensitivity_is_the_simulators_on_the_tallest_peaks(labels):
    """The simulator fits the forward peak of species 0; the figure shows each curve's tallest peak.
    Both scale with concentration, so the sensitivities differ exactly by their (constant) ratio."""
    n = 0
    for label, qa in _all_qa(labels):
        if qa.template != "concentration.trend":
            continue
        s = label["series"]
        ratios = {
            round(abs(i) / _tallest(c), 6)
            for v, i, c in zip(s["values"], s["peak_currents_A"], label["curves"], strict=True)
            if v > 0
        }
        assert len(ratios) == 1
        got = qa.answer["sensitivity"]["value"]
        assert got * ratios.pop() == pytest.approx(s["sensitivity_A_per_mol_m3"], rel=2e-3)
        n += 1
    assert n > 0


# ----------------------------------------------------------------------------------------------
# answerability: a question asks only what the figure (and the question itself) shows

_STATED_VALUES = re.compile(r"recorded at (?:scan rates|concentrations) of (.+?) (mV/s|mM)\.")
NAMING = ("curve", "ranking")  # answer fields that name curves by their legend


def _drawn_legends(label: dict) -> list[str]:
    """What the renderer wrote in the legend (its own record, not the label's curve names)."""
    meta = label["render_meta"]
    return [] if meta.get("legend_box_px") is None else [c["label"] for c in meta["curves"] if c["label"]]


@pytest.fixture(scope="module")
def series_labels() -> list[dict]:
    """Overlays and series drawn as the benchmark draws them (legend style sampled: some figures
    have none; half of them degraded: cropped, photographed …) and the same with no legend at all."""
    cfg = {
        "techniques": {"CV": 0.7, "DPV": 0.3},
        "degradation_probability": 0.5,
        "series_length": (3, 5),
        "max_cycles": 2,
    }
    return [
        lb
        for kind in ("overlay", "scan_rate_series", "concentration_series")
        for style, seed in (({}, 21), ({"legend": "none"}, 22))
        for lb in _labels(kind, seed=seed, n=5, style=style, **cfg)
    ]


def test_every_series_question_is_answerable_from_the_figure_and_the_question(series_labels):
    stated = named = 0
    for k, label in enumerate(series_labels):
        drawn = _drawn_legends(label)
        for t in TEMPLATES.values():
            qa = t.generate(label, np.random.default_rng(k))
            if qa is None:
                continue
            for key in NAMING:
                if key in qa.answer:
                    names = qa.answer[key] if isinstance(qa.answer[key], list) else [qa.answer[key]]
                    # a curve is named only as the figure's legend names it
                    assert drawn and all(any(n in d for d in drawn) for n in names), (
                        label["id"],
                        qa.template,
                    )
                    named += 1
            if qa.skill not in ("scan_rate", "concentration"):
                continue
            m = _STATED_VALUES.search(qa.question)
            if drawn:
                assert m is None, qa.question
                continue
            # no legend: the question states the values (in increasing order, mapped by the reader)
            assert m is not None, (label["id"], qa.template, qa.question)
            got = [0.0 if x.startswith("0 (blank)") else float(x) for x in re.split(r", | and ", m.group(1))]
            scale = 1e3 if m.group(2) == "mV/s" else 1.0
            want = sorted(float(v) * scale for v in label["series"]["values"])
            assert got == pytest.approx(want, rel=5e-3), qa.question
            stated += 1
    assert named > 0 and stated > 0


def test_no_peak_value_is_asked_where_clipping_cut_the_peak_off():
    """Clipping flattens the apex: a question about peak potentials or heights is skipped when the
    recorded trace (the simulator's measured curve, independent of the label) sits at the clipping
    level at a peak; counting peaks and naming the artifact stay answerable."""
    cfg = SynthConfig(
        kinds={"single": 1.0},
        techniques={"CV": 1.0},
        degradation_probability=0.0,
        max_cycles=1,
        artifacts={"clipping": 1.0},
    )
    cut = 0
    for i in range(12):
        sample = generate_sample(i, seed=31, config=cfg)
        label, curve = sample.label, sample.measured[0]
        e, cur = np.asarray(curve.potential), np.asarray(curve.current)
        flat = np.isclose(np.abs(cur), np.max(np.abs(cur)), rtol=1e-9)
        sign = {"anodic": 1.0, "cathodic": -1.0}
        tops = [
            p
            for p in label["curves"][0]["peaks"]
            if p["cycle"] == 1
            and (flat & (np.abs(e - p["potential_V"]) <= 0.005) & (sign[p["direction"]] * cur > 0)).any()
        ]
        asked = {t.id for t in TEMPLATES.values() if t.generate(label, np.random.default_rng(i)) is not None}
        if tops:
            assert asked & {"peaks.potentials", "peaks.currents", "values.e_half", "values.couples"} == set()
            assert "peaks.count" in asked
            cut += 1
        # the same figure without the clipping: its peaks are asked about again
        unclipped = copy.deepcopy(label)
        unclipped["curves"][0]["artifacts"] = [
            a for a in label["curves"][0]["artifacts"] if a["kind"] != "clipping"
        ]
        assert TEMPLATES["peaks.potentials"].generate(unclipped, np.random.default_rng(i)) is not None
    assert cut >= 6

"""The template registry: answers conform to their schemas and agree with independent readings of the label."""

from __future__ import annotations

import copy
import re

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


@pytest.fixture(scope="module")
def labels() -> list[dict]:
    out = []
    for kind in KINDS:
        cfg = SynthConfig(
            kinds={kind: 1.0},
            techniques={"CV": 0.8, "DPV": 0.2},
            degradation_probability=0.0,
            series_length=(3, 4),
            max_cycles=1,
            artifacts={"noise": 0.5, "drift": 0.2, "ru": 0.2, "spikes": 0.1},
        )
        out += [generate_sample(i, seed=11, config=cfg).label for i in range(6)]
    return out


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
        s = label["series"]
        pts = [(c, abs(i)) for c, i in zip(s["values"], s["peak_currents_A"], strict=True) if i is not None]
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

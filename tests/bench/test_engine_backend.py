"""The ``engine`` bench backend: every template answered in its schema, clean figures scored right
against the simulator's truth, unreadable images refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("rapidocr")

from voltlens.bench.engine_backend import EngineBackend, legend_value
from voltlens.dataset.templates import TEMPLATES
from voltlens.synth.config import SynthConfig
from voltlens.synth.sample import generate_sample
from voltlens.vlm.schema import schema_problems

SEED = 1_000_500_000 + 7_001  # far from the bench's own seeds (1e9 … 1e9 + 1e5)
NO_ARTIFACTS = {
    k: 0.0
    for k in (
        "noise",
        "one_over_f",
        "charging",
        "background",
        "ru",
        "mains",
        "spikes",
        "drift",
        "clipping",
        "fouling",
        "reference_drift",
        "quantization",
    )
}


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

    label, image = _figure(
        tmp_path,
        index,
        kinds={"single": 1.0},
        techniques={"CV": 1.0},
        mechanisms={"reversible": 1.0},
        artifacts=NO_ARTIFACTS,
        max_couples=1,
        max_cycles=1,
        degradation_probability=0.0,
    )
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

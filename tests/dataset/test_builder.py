"""``voltlens dataset build``: formats, splits by group, de-duplication, resumption, mixing files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voltlens.cli.main import main
from voltlens.dataset.builder import build_dataset, load_mix, split_of
from voltlens.dataset.seeds import BENCH_SEED_OFFSET
from voltlens.errors import ConfigError, ParameterError

N = 30


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ds") / "ds"
    mix = out.parent / "mix.yaml"
    mix.write_text(
        "questions_per_image: 3\nsplits: {train: 0.6, val: 0.2, test: 0.2}\ndegradation_probability: 0.5\n"
    )
    with pytest.raises(SystemExit) as exit_:
        main(["dataset", "build", "--n", str(N), "--out", str(out), "--seed", "3", "--mix", str(mix)])
    assert exit_.value.code == 0
    return out


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_swift_format(built):
    rows = [r for s in ("train", "val", "test") for r in _read(built / f"{s}.jsonl")]
    assert len(rows) == N
    for r in rows:
        user, assistant = r["messages"]
        assert user["role"] == "user" and assistant["role"] == "assistant"
        assert user["content"].count("<image>") == len(r["images"]) == 1
        path = Path(r["images"][0])
        assert path.is_absolute() and path.exists()
        assert assistant["content"]


def test_splits_are_grouped_and_items_unique(built):
    items = _read(built / "qa.jsonl")
    split_of_group: dict[str, str] = {}
    split_of_image: dict[str, str] = {}
    for it in items:
        assert split_of_group.setdefault(it["group"], it["split"]) == it["split"]
        assert split_of_image.setdefault(it["image_sha256"], it["split"]) == it["split"]
    keys = [(it["image_sha256"], it["question"]) for it in items]
    assert len(keys) == len(set(keys))
    assert set(it["split"] for it in items) <= {"train", "val", "test"}


def test_exports_and_card(built):
    for s in ("train", "val", "test"):
        swift = _read(built / f"{s}.jsonl")
        llava = json.loads((built / "exports" / "llava" / f"{s}.json").read_text())
        sharegpt = _read(built / "exports" / "sharegpt" / f"{s}.jsonl")
        assert len(swift) == len(llava) == len(sharegpt)
        for a, b in zip(swift, llava, strict=True):
            assert b["image"] == a["images"][0]
            assert b["conversations"][1]["value"] == a["messages"][1]["content"]
    card = (built / "README.md").read_text()
    assert "| skill | items | share |" in card
    assert (built / "card" / "counts.png").read_bytes()[:4] == b"\x89PNG"
    assert (built / "card" / "answer_lengths.png").stat().st_size > 0


def test_rerun_resumes_and_reproduces(built):
    before = (built / "train.jsonl").read_bytes()
    mix = load_mix(built.parent / "mix.yaml")
    result = build_dataset(N, built, seed=3, mix=mix)
    assert result.complete and result.n_items == N
    assert (built / "train.jsonl").read_bytes() == before


def test_changed_arguments_need_a_new_folder(built):
    with pytest.raises(ConfigError, match="seed"):
        build_dataset(N, built, seed=4, mix=load_mix(built.parent / "mix.yaml"))


def test_benchmark_seeds_are_refused(tmp_path):
    with pytest.raises(ParameterError, match="benchmark"):
        build_dataset(5, tmp_path / "x", seed=BENCH_SEED_OFFSET + 7)
    assert not (tmp_path / "x").exists()


def test_mix_restricts_skills(tmp_path):
    mix = tmp_path / "mix.yaml"
    mix.write_text("skills: {peak_detection: 1.0}\nkinds: {single: 1.0}\ntechniques: {CV: 1.0}\n")
    result = build_dataset(6, tmp_path / "ds", seed=5, mix=load_mix(mix))
    items = _read(tmp_path / "ds" / "qa.jsonl")
    assert result.n_items == len(items) == 6
    assert {it["skill"] for it in items} == {"peak_detection"}


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("skills: {dancing: 1}\n", "skills"),
        ("splits: {train: 0.5, val: 0.1, test: 0.1}\n", "splits"),
        ("kinds: {nope: 1}\n", "kinds"),
    ],
)
def test_bad_mix_is_refused_naming_the_field(tmp_path, text, field):
    mix = tmp_path / "mix.yaml"
    mix.write_text(text)
    with pytest.raises(ConfigError, match=field):
        load_mix(mix)


def test_split_of_follows_the_fractions():
    import hashlib

    groups = [hashlib.sha256(str(k).encode()).hexdigest()[:16] for k in range(4000)]
    fractions = {"train": 0.8, "val": 0.1, "test": 0.1}
    share = sum(split_of(g, fractions) == "train" for g in groups) / len(groups)
    assert share == pytest.approx(0.8, abs=0.03)

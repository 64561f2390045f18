"""``voltlens bench build``: item format, truths against the labels, determinism, reserved seeds, real split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from voltlens.bench.build import build_bench, read_items
from voltlens.dataset.seeds import BENCH_SEED_OFFSET, bench_seed, check_training_seed
from voltlens.dataset.templates import SKILLS, TEMPLATES
from voltlens.errors import ConfigError, ParameterError
from voltlens.vlm.schema import schema_problems

from .conftest import REAL_DIR, SMALL_N, SMALL_SEED

ITEM_KEYS = {
    "id",
    "split",
    "sample",
    "images",
    "question",
    "skill",
    "template",
    "fields",
    "answer_schema",
    "truth",
    "tolerance",
    "meta",
}


def _labels(bench: Path) -> dict[str, dict]:
    return {lab["id"]: lab for lab in map(json.loads, (bench / "labels.jsonl").read_text().splitlines())}


def test_items_follow_the_format(small_bench):
    items = read_items(small_bench)
    bench = json.loads((small_bench / "bench.json").read_text())
    assert bench["name"] == "ECBench" and bench["version"] == "1.1" and bench["seed"] == SMALL_SEED
    assert bench["n_items"] == len(items) == SMALL_N + 3
    assert sum(bench["skills"].values()) == len(items)
    assert bench["splits"] == {"real": 3, "synthetic": SMALL_N}
    assert len({it["id"] for it in items}) == len(items)
    for it in items:
        assert ITEM_KEYS <= set(it), it["id"]
        assert it["skill"] in SKILLS
        assert it["template"] in TEMPLATES or it["template"].startswith("real:")
        assert not schema_problems(it["truth"], it["answer_schema"]), it["id"]
        for rel in it["images"]:
            assert (small_bench / rel).is_file()
        assert set(it["meta"]) >= {"kind", "technique", "n_curves", "degraded", "theme"}


def test_truths_are_the_label_truths(small_bench):
    """Independent of the templates: read the label's own peaks and couples."""
    labels = _labels(small_bench)
    checked = 0
    for it in read_items(small_bench):
        if it["split"] != "synthetic":
            continue
        label = labels[it["sample"]]
        assert it["meta"]["kind"] == label["kind"] and it["meta"]["n_curves"] == len(label["curves"])
        curve = label["curves"][0]
        first = [p for p in curve["peaks"] if p["cycle"] == 1]
        if it["template"] == "peaks.count":
            n_a = sum(p["direction"] == "anodic" for p in first)
            assert it["truth"] == {"n_peaks": len(first), "anodic": n_a, "cathodic": len(first) - n_a}
            checked += 1
        elif it["template"] == "peaks.potentials":
            got = sorted(p["potential"]["value"] for p in it["truth"]["peaks"])
            assert got == pytest.approx(sorted(p["potential_V"] for p in first), abs=1e-3)
            checked += 1
        elif it["template"] in ("values.e_half", "values.delta_ep"):
            (couple,) = [c for c in curve["couples"] if c["cycle"] == 1]
            key, field = (
                ("E_half", "E_half_V") if it["template"] == "values.e_half" else ("delta_Ep", "delta_Ep_V")
            )
            assert it["truth"][key]["value"] == pytest.approx(couple[field], rel=1e-3, abs=1e-6)
            checked += 1
        elif it["template"] == "scan_rate.regime":
            s = label["series"]
            assert it["truth"]["log_log_slope"]["value"] == pytest.approx(s["log_log_slope"], rel=1e-3)
            checked += 1
    assert checked >= 1


def test_same_seed_gives_identical_bytes_and_reserved_seeds(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    build_bench(a, n=6, seed=3)
    build_bench(b, n=6, seed=3)
    assert (a / "items.jsonl").read_bytes() == (b / "items.jsonl").read_bytes()
    assert (a / "labels.jsonl").read_bytes() == (b / "labels.jsonl").read_bytes()
    # rerunning resumes (nothing re-rendered) and writes the same bytes
    build_bench(a, n=6, seed=3)
    assert (a / "items.jsonl").read_bytes() == (b / "items.jsonl").read_bytes()
    bench = json.loads((a / "bench.json").read_text())
    assert bench["dataset_seed"] == bench_seed(3) >= BENCH_SEED_OFFSET
    with pytest.raises(ParameterError):
        check_training_seed(bench["dataset_seed"])  # the training builder refuses it
    # the figures are the synth samples of the reserved seed
    from voltlens.synth.sample import generate_sample

    first = json.loads((a / "labels.jsonl").read_text().splitlines()[0])
    spec_synth = __import__("voltlens.bench.spec", fromlist=["load_spec"]).load_spec(None).synth
    again = generate_sample(first["index"], seed=BENCH_SEED_OFFSET + 3, config=spec_synth)
    assert json.dumps(again.label, sort_keys=True) == json.dumps(first, sort_keys=True)
    other = tmp_path / "c"
    build_bench(other, n=6, seed=4)
    assert (other / "items.jsonl").read_bytes() != (a / "items.jsonl").read_bytes()


def test_resume_with_other_settings_is_refused(tmp_path):
    build_bench(tmp_path / "a", n=4, seed=1)
    with pytest.raises(ConfigError, match="seed"):
        build_bench(tmp_path / "a", n=4, seed=2)


def test_every_skill_is_represented(tmp_path):
    build_bench(tmp_path / "b", n=30, seed=0)
    bench = json.loads((tmp_path / "b" / "bench.json").read_text())
    assert set(bench["skills"]) == set(SKILLS)


def test_real_split_truths_come_from_the_instrument_file(small_bench):
    """The labels.yaml truths against the data file the real figure was drawn from."""
    rows = [
        ln.split(",") for ln in (REAL_DIR / "exp01_16_40_09.csv").read_text().splitlines()[16:] if ln.strip()
    ]
    e, i = np.array([[float(a), float(b)] for a, b in rows]).T
    real = [it for it in read_items(small_bench) if it["split"] == "real"]
    by_id = {it["id"].rsplit("-", 1)[-1]: it for it in real}
    assert by_id["vertex"]["truth"]["vertex"]["value"] == pytest.approx(e.max(), abs=1e-4)
    assert by_id["vertex"]["template"].startswith("real:")
    peaks = by_id["potentials"]["truth"]["peaks"]
    for p in peaks:
        v = p["potential"]["value"]
        near = np.abs(e - v) < 0.06
        ext = e[near][np.argmax(i[near])] if p["direction"] == "anodic" else e[near][np.argmin(i[near])]
        assert v == pytest.approx(ext, abs=1e-3)
    assert by_id["count"]["truth"]["n_peaks"] == len(peaks)
    assert by_id["potentials"]["tolerance"]["potential"]["abs"] == 0.02
    assert by_id["count"]["tolerance"] == TEMPLATES["peaks.count"].tolerance
    assert all(
        (small_bench / it["images"][0]).read_bytes() == (REAL_DIR / "exp01_16_40_09_plot.png").read_bytes()
        for it in real
    )


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (
            {
                "image": "missing.png",
                "template": "peaks.count",
                "truth": {"n_peaks": 1, "anodic": 1, "cathodic": 0},
            },
            "image",
        ),
        ({"image": "fig.png", "template": "no.such", "truth": {}}, "template"),
        ({"image": "fig.png", "template": "peaks.count", "truth": {"n_peaks": "two"}}, "truth"),
        ({"image": "fig.png", "question": "?", "truth": {}}, "skill"),
    ],
)
def test_bad_real_labels_name_the_field(tmp_path, entry, field):
    real = tmp_path / "real"
    real.mkdir()
    (real / "fig.png").write_bytes((REAL_DIR / "exp01_16_40_09_plot.png").read_bytes())
    (real / "labels.yaml").write_text(yaml.safe_dump({"items": [entry]}))
    from voltlens.bench.build import load_real_items

    with pytest.raises(ConfigError) as err:
        load_real_items(real, tmp_path / "out")
    assert "labels.yaml" in str(err.value) and f"items[0].{field}" in str(err.value)


def test_add_real_equals_building_with_real(tmp_path, capsys):
    from voltlens.cli.main import main

    build_bench(tmp_path / "a", n=4, seed=1, real=REAL_DIR)
    build_bench(tmp_path / "b", n=4, seed=1)
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "add-real", str(tmp_path / "b"), str(REAL_DIR)])
    assert exit_.value.code == 0
    assert (tmp_path / "a" / "items.jsonl").read_bytes() == (tmp_path / "b" / "items.jsonl").read_bytes()
    assert json.loads((tmp_path / "b" / "bench.json").read_text())["splits"] == {"real": 3, "synthetic": 4}
    with pytest.raises(SystemExit):  # twice: the split is replaced, not doubled
        main(["bench", "add-real", str(tmp_path / "b"), str(REAL_DIR)])
    assert len(read_items(tmp_path / "b")) == 7

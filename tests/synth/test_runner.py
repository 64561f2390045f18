"""voltlens synth: reproducible whatever the workers or shards, resumable, refuses bad config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from voltlens.cli.main import main
from voltlens.errors import ConfigError, ParameterError
from voltlens.labels import SampleLabel
from voltlens.synth.config import SynthConfig, load_config
from voltlens.synth.runner import parse_shard, run_synth

N = 6


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in (".png", ".jsonl", ".json") and "parts" not in p.parts
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ref")
    result = run_synth(N, out, seed=11, config=SynthConfig(), workers=1)
    assert result.complete and result.written == N
    return out


def test_labels_validate_and_point_at_images(reference: Path) -> None:
    lines = (reference / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == N
    for i, line in enumerate(lines):
        label = SampleLabel.model_validate_json(line)
        assert label.index == i
        assert (reference / label.image).is_file()
        assert label.curves and all(c.n_points > 10 for c in label.curves)
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["seed"] == 11 and manifest["n"] == N
    assert "time" not in json.dumps(manifest).lower().replace("timeout", "")


def test_two_workers_give_identical_bytes(reference: Path, tmp_path: Path) -> None:
    run_synth(N, tmp_path, seed=11, config=SynthConfig(), workers=2)
    assert _tree(tmp_path) == _tree(reference)


def test_shards_share_a_directory_and_match(reference: Path, tmp_path: Path) -> None:
    first = run_synth(N, tmp_path, seed=11, config=SynthConfig(), shard=(1, 3))
    assert not first.complete and not (tmp_path / "labels.jsonl").exists()
    run_synth(N, tmp_path, seed=11, config=SynthConfig(), shard=(3, 3))
    last = run_synth(N, tmp_path, seed=11, config=SynthConfig(), shard=(2, 3))
    assert last.complete
    assert _tree(tmp_path) == _tree(reference)


def test_resume_only_writes_what_is_missing(reference: Path, tmp_path: Path) -> None:
    shutil.copytree(reference, tmp_path, dirs_exist_ok=True)
    (tmp_path / "labels.jsonl").unlink()
    (tmp_path / "parts" / "000002.json").unlink()
    (tmp_path / "images" / "000004.png").unlink()
    result = run_synth(N, tmp_path, seed=11, config=SynthConfig())
    assert (result.written, result.skipped) == (2, N - 2)
    assert _tree(tmp_path) == _tree(reference)


def test_resume_with_another_seed_is_refused(reference: Path, tmp_path: Path) -> None:
    shutil.copytree(reference, tmp_path, dirs_exist_ok=True)
    with pytest.raises(ConfigError, match="seed"):
        run_synth(N, tmp_path, seed=12, config=SynthConfig())


@pytest.mark.parametrize(
    ("yaml_text", "field"),
    [
        ("mechanisms: {reversible: 1, teleportation: 1}\n", "mechanisms"),
        ("scan_rate_V_s: [-0.1, 1]\n", "scan_rate_V_s"),
        ("max_couples: 0\n", "max_couples"),
        ("artifacts: {noise: 1.5}\n", "artifacts"),
        ("colour: blue\n", "colour"),
        ("- just\n- a list\n", "<root>"),
    ],
)
def test_bad_config_names_field_and_value(tmp_path: Path, yaml_text: str, field: str) -> None:
    path = tmp_path / "mix.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value) and field in str(info.value)


def test_cli_bad_config_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mix.yaml"
    path.write_text("scan_rate_V_s: [-0.1, 1]\n", encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["synth", "--n", "2", "--out", str(tmp_path / "o"), "--config", str(path)])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "scan_rate_V_s" in err and "-0.1" in err
    assert not (tmp_path / "o" / "labels.jsonl").exists()


def test_cli_writes_dataset_and_contact_sheet(tmp_path: Path) -> None:
    main_args = ["synth", "--n", "3", "--out", str(tmp_path / "d"), "--seed", "5"]
    with pytest.raises(SystemExit) as info:
        main([*main_args, "--contact-sheet", str(tmp_path / "sheet.png")])
    assert info.value.code == 0
    assert len((tmp_path / "d" / "labels.jsonl").read_text().splitlines()) == 3
    assert (tmp_path / "sheet.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("text", "expected"), [(None, (1, 1)), ("2/8", (2, 8)), ("1/1", (1, 1))])
def test_parse_shard(text: str | None, expected: tuple[int, int]) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/4", "5/4", "a/b", "3", "1/0"])
def test_parse_shard_refuses(text: str) -> None:
    with pytest.raises(ParameterError, match="--shard"):
        parse_shard(text)


def test_labels_conform_to_published_json_schema(reference: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    with pytest.raises(SystemExit) as info:
        main(["schema", "labels"])
    assert info.value.code == 0
    schema = json.loads(capsys.readouterr().out)
    validator = jsonschema.Draft202012Validator(schema)
    for line in (reference / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        validator.validate(json.loads(line))
    broken = json.loads((reference / "labels.jsonl").read_text(encoding="utf-8").splitlines()[0])
    broken["curves"][0]["peaks"].append({"direction": "sideways"})
    assert list(validator.iter_errors(broken))

"""``voltlens train``: the swift command lines the recipe writes (checked against ms-swift 4.x names)."""

from __future__ import annotations

import json

import pytest

from voltlens.cli.main import main
from voltlens.errors import ConfigError
from voltlens.train.recipe import (
    SHIPPED_CONFIGS,
    TrainConfig,
    latest_checkpoint,
    load_train_config,
    merge_command,
    serve_command,
    sft_command,
    shipped_config_text,
)
from voltlens.train.run import pin_max_pixels


def _opts(argv) -> dict[str, str]:
    out, key = {}, None
    for a in argv:
        if a.startswith("--"):
            key = a[2:]
            out[key] = ""
        elif key is not None:
            out[key] = (out[key] + " " + a).strip()
    return out


@pytest.fixture
def recipe(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("{}\n")
    (tmp_path / "data" / "val.jsonl").write_text("{}\n")
    (tmp_path / "model").mkdir()
    path = tmp_path / "c.yaml"
    path.write_text(
        "model: ./model\ndataset: data\nmax_pixels: 200704\ngpus: 4\ndeepspeed: zero2\nmax_steps: 7\n"
    )
    return path


def test_sft_command_spells_out_the_recipe(recipe, tmp_path):
    cfg, base = load_train_config(recipe)
    cmd = sft_command(cfg, base)
    launcher = cmd.argv[cmd.argv.index("sft") - 1]
    assert launcher.endswith("swift") or launcher == "swift.cli.main"  # the swift script, or python -m
    o = _opts(cmd.argv)
    assert o["model"] == str(tmp_path / "model")
    assert o["model_type"] == "qwen2_5_vl" and o["template"] == "qwen2_5_vl"
    assert o["tuner_type"] == "lora_llm"
    assert o["lora_rank"] == "16" and o["lora_alpha"] == "32"
    assert o["vit_lr"] == "2e-06" and o["aligner_lr"] == "1e-05"
    assert o["max_pixels"] == "200704"
    assert o["dataset"] == str(tmp_path / "data" / "train.jsonl")
    assert o["val_dataset"] == str(tmp_path / "data" / "val.jsonl")
    assert o["deepspeed"] == "zero2" and o["max_steps"] == "7"
    assert cmd.env["NPROC_PER_NODE"] == "4" and cmd.env["MAX_PIXELS"] == "200704"
    assert "freeze_vit" not in o  # lora_llm trains the vision tower and aligner itself


def test_every_recipe_argument_is_a_real_swift_argument(recipe):
    swift = pytest.importorskip("swift.arguments")
    import dataclasses

    cfg, base = load_train_config(recipe)
    for cmd, cls in (
        (sft_command(cfg, base), swift.SftArguments),
        (merge_command(cfg, base, checkpoint=base / "ck", out=base / "m"), swift.ExportArguments),
        (serve_command(cfg, model="m"), swift.DeployArguments),
    ):
        known = {f.name for f in dataclasses.fields(cls)}
        assert set(_opts(cmd.argv)) <= known, set(_opts(cmd.argv)) - known


def test_hub_ids_stay_hub_ids_and_offline_is_passed_on(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = TrainConfig(model="Qwen/Qwen2.5-VL-3B-Instruct", dataset="d")
    cmd = sft_command(cfg, tmp_path)
    assert _opts(cmd.argv)["model"] == "Qwen/Qwen2.5-VL-3B-Instruct"
    assert cmd.env["HF_HUB_OFFLINE"] == "1" and "NPROC_PER_NODE" not in cmd.env


def test_dry_run_prints_without_running(recipe, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--config", str(recipe), "--dry-run"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert " sft " in out and "--tuner_type lora_llm" in out and "MAX_PIXELS=200704" in out
    for sub in (["merge"], ["serve", "--port", "8123"]):
        with pytest.raises(SystemExit):
            main(["train", *sub, "--config", str(recipe), "--dry-run"])
    out = capsys.readouterr().out
    assert " export " in out and "--merge_lora true" in out
    assert " deploy " in out and "--port 8123" in out and "--host 127.0.0.1" in out


def test_bad_config_names_the_field(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model: m\ndataset: d\ntuner_type: qlora\n")
    with pytest.raises(ConfigError, match="tuner_type"):
        load_train_config(path)
    path.write_text("model: m\ndataset: d\nlearning_rat: 1\n")
    with pytest.raises(ConfigError, match="learning_rat"):
        load_train_config(path)


@pytest.mark.parametrize("name", SHIPPED_CONFIGS)
def test_shipped_configs_load(name, tmp_path):
    path = tmp_path / f"{name}.yaml"
    path.write_text(shipped_config_text(name))
    if name.startswith("qwen"):
        cfg, _ = load_train_config(path)
        assert cfg.tuner_type == "lora_llm" and cfg.max_pixels % (28 * 28) == 0
    else:
        from voltlens.dataset.builder import load_mix

        assert load_mix(path).dataset.questions_per_image >= 1


def test_pin_max_pixels_and_latest_checkpoint(tmp_path):
    for step in (5, 40, 10):
        (tmp_path / f"checkpoint-{step}").mkdir()
    assert latest_checkpoint(tmp_path).name == "checkpoint-40"
    cfg_path = tmp_path / "checkpoint-40" / "preprocessor_config.json"
    cfg_path.write_text(
        json.dumps({"max_pixels": 12845056, "size": {"longest_edge": 12845056, "shortest_edge": 3136}})
    )
    assert pin_max_pixels(tmp_path, 200704) == [cfg_path]
    data = json.loads(cfg_path.read_text())
    assert data["max_pixels"] == 200704 and data["size"]["longest_edge"] == 200704
    nested = tmp_path / "merged" / "processor_config.json"
    nested.parent.mkdir()
    nested.write_text(json.dumps({"image_processor": {"size": {"longest_edge": 1, "shortest_edge": 3136}}}))
    pin_max_pixels(tmp_path / "merged", 200704)
    assert json.loads(nested.read_text())["image_processor"]["size"] == {
        "longest_edge": 200704,
        "shortest_edge": 3136,
    }

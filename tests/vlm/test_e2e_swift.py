"""End to end, offline, on CPU: dataset → tiny Qwen2.5-VL → real `swift sft` → merge → `swift deploy` → openai backend.

The model is randomly initialised (its answers are nonsense); what is tested is that every stage of the
recipe really runs and hands the next one what it needs.  Slow (a few minutes on 2 cores).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
    with log.open("w") as fh:
        proc = subprocess.run(
            args, env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, check=False, timeout=900
        )
    assert proc.returncode == 0, f"{' '.join(args[:4])} failed:\n" + log.read_text()[-3000:]


def _wait_for(url: str, proc: subprocess.Popen, timeout_s: float, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "swift deploy exited:\n" + log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(1.0)
    raise AssertionError("swift deploy did not come up:\n" + log.read_text()[-3000:])


def test_recipe_runs_end_to_end(tmp_path):
    for module in ("torch", "transformers", "swift", "qwen_vl_utils", "tokenizers"):
        pytest.importorskip(module)
    from voltlens.analyze.contract import AnalysisReport
    from voltlens.vlm import analyze_image_with_backend

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    voltlens = [sys.executable, "-m", "voltlens.cli"]
    mix = tmp_path / "mix.yaml"
    mix.write_text(
        "kinds: {single: 1.0}\ntechniques: {CV: 1.0}\nquestions_per_image: 4\n"
        "skills: {peak_detection: 1, values: 1, reversibility: 1, anomaly_detection: 1}\n"
    )
    data = tmp_path / "data"
    _run(
        [*voltlens, "dataset", "build", "--n", "48", "--out", str(data), "--seed", "9", "--mix", str(mix)],
        env,
        tmp_path,
        tmp_path / "dataset.log",
    )
    model = tmp_path / "tiny"
    _run(
        [sys.executable, str(HERE / "tiny_qwen.py"), str(model), str(data / "train.jsonl")],
        env,
        tmp_path,
        tmp_path / "tiny.log",
    )

    config = tmp_path / "recipe.yaml"
    port = _free_port()
    config.write_text(
        f"""
model: {model}
dataset: {data}
output_dir: {tmp_path / "run"}
max_pixels: 12544
torch_dtype: float32
gpus: 0
max_steps: 16
learning_rate: 0.01
vit_lr: 0.001
aligner_lr: 0.001
warmup_ratio: 0.0
per_device_train_batch_size: 4
gradient_accumulation_steps: 1
gradient_checkpointing: false
logging_steps: 1
save_steps: 16
eval_steps: 16
max_length: 1024
dataloader_num_workers: 0
dataset_num_proc: 1
report_to: [none]
serve: {{host: 127.0.0.1, port: {port}, served_model_name: tiny}}
"""
    )
    _run([*voltlens, "train", "--config", str(config)], env, tmp_path, tmp_path / "sft.log")
    logged = [json.loads(line) for line in (tmp_path / "run" / "logging.jsonl").read_text().splitlines()]
    losses = [float(r["loss"]) for r in logged if "loss" in r]
    assert len(losses) >= 10
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3, losses

    _run([*voltlens, "train", "merge", "--config", str(config)], env, tmp_path, tmp_path / "merge.log")
    merged = tmp_path / "run" / "merged"
    assert (merged / "config.json").exists()
    processor = json.loads((merged / "processor_config.json").read_text())
    assert processor["image_processor"]["size"]["longest_edge"] == 12544

    # the merged checkpoint read locally by the transformers backend: an answer, classified, no crash
    image = json.loads((data / "train.jsonl").read_text().splitlines()[0])["images"][0]
    local = analyze_image_with_backend(image, backend="transformers", model=str(merged), max_tokens=8)
    assert local["vlm"]["status"] in {"ok", "invalid", "unparseable", "refusal"}, local["vlm"]
    AnalysisReport.model_validate(local)

    bench = tmp_path / "bench"  # ECBench items the served model will be scored on (issue #6)
    _run(
        [*voltlens, "bench", "build", "--n", "6", "--out", str(bench), "--seed", "3"],
        env,
        tmp_path,
        tmp_path / "b.log",
    )

    log = tmp_path / "serve.log"
    with log.open("w") as fh:
        server = subprocess.Popen(
            [*voltlens, "train", "serve", "--config", str(config)],
            env=env,
            cwd=tmp_path,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(f"http://127.0.0.1:{port}/v1/models", server, 300, log)
        image = json.loads((data / "train.jsonl").read_text().splitlines()[0])["images"][0]
        report = analyze_image_with_backend(
            image, backend="openai", base_url=f"http://127.0.0.1:{port}/v1", model="tiny", max_tokens=24
        )
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "voltlens.cli",
                "analyze",
                image,
                "--backend",
                "openai",
                "--json",
                "--base-url",
                f"http://127.0.0.1:{port}/v1",
                "--model",
                "tiny",
                "--max-tokens",
                "24",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        bench_run = subprocess.run(
            [
                *voltlens,
                "bench",
                "run",
                str(bench),
                "--backend",
                "openai",
                "--base-url",
                f"http://127.0.0.1:{port}/v1",
                "--model",
                "tiny",
                "--limit",
                "4",
                "--concurrency",
                "2",
                "--out",
                str(tmp_path / "bench-run"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    # a random model answers nonsense: the answer must come back and be classified, not crash
    assert report["vlm"]["status"] in {"ok", "invalid", "unparseable", "refusal"}, report["vlm"]
    assert report["vlm"]["raw"]
    AnalysisReport.model_validate(report)
    # the same through `voltlens analyze --backend openai`: a parsed (or counted unparseable) answer, exit 0
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["vlm"]["status"] in {"ok", "invalid", "unparseable", "refusal"}

    # ECBench through the served model: every item answered and scored; nonsense is a counted failure mode
    assert bench_run.returncode == 0, bench_run.stderr
    summary = json.loads((tmp_path / "bench-run" / "summary.json").read_text())
    predictions = [
        json.loads(line) for line in (tmp_path / "bench-run" / "predictions.jsonl").read_text().splitlines()
    ]
    assert summary["n_items"] == 4 and len(predictions) == 4
    assert all(p["status"] != "error" and p["failure_mode"] != "backend_error" for p in predictions), (
        predictions
    )
    assert sum(summary["failure_modes"].values()) == sum(not p["correct"] for p in predictions)

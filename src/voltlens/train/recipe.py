"""The ms-swift fine-tuning recipe for Qwen2.5-VL: a validated YAML config → ``swift`` command lines.

Pure: :func:`sft_command`, :func:`merge_command` and :func:`serve_command` build argv lists and
the environment to run them in; running them and pinning the image resolution into the saved
processor configs lives in :mod:`voltlens.train.run`.  Argument names are those of ms-swift 4.x
(``--tuner_type lora_llm``: LoRA on the language model, the vision tower and aligner trained in
full with their own ``--vit_lr`` / ``--aligner_lr``).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError

__all__ = [
    "SHIPPED_CONFIGS",
    "Command",
    "ServeConfig",
    "TrainConfig",
    "load_train_config",
    "merge_command",
    "serve_command",
    "sft_command",
    "swift_executable",
]

SHIPPED_CONFIGS = ("qwen2_5_vl_3b", "qwen2_5_vl_7b", "dataset_mix_example")
QWEN_PATCH = 28  # Qwen2.5-VL: 14-px patches merged 2×2 → one visual token per 28×28 pixels


class ServeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["swift", "vllm"] = "swift"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    served_model_name: str = "voltlens-vlm"
    infer_backend: Literal["transformers", "vllm"] = "transformers"
    max_new_tokens: int = Field(default=2048, ge=1)


class TrainConfig(BaseModel):
    """What ``voltlens train --config`` reads.  Relative paths are taken from the working directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(description="hub id (Qwen/Qwen2.5-VL-3B-Instruct) or a local model directory")
    model_type: str | None = "qwen2_5_vl"
    template: str | None = "qwen2_5_vl"
    dataset: str = Field(description="folder written by `voltlens dataset build` (train.jsonl, val.jsonl)")
    output_dir: str = "runs/voltlens-qwen2_5_vl"
    tuner_type: Literal["lora_llm", "lora", "full"] = "lora_llm"
    lora_rank: int = Field(default=16, ge=1)
    lora_alpha: int = Field(default=32, ge=1)
    lora_dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    learning_rate: float = Field(default=1e-4, gt=0)
    vit_lr: float | None = Field(default=2e-6, gt=0)
    aligner_lr: float | None = Field(default=1e-5, gt=0)
    max_pixels: int = Field(default=1280 * QWEN_PATCH * QWEN_PATCH, ge=QWEN_PATCH * QWEN_PATCH)
    num_train_epochs: float = Field(default=2.0, gt=0)
    max_steps: int | None = Field(default=None, ge=1)
    per_device_train_batch_size: int = Field(default=2, ge=1)
    per_device_eval_batch_size: int = Field(default=2, ge=1)
    gradient_accumulation_steps: int = Field(default=8, ge=1)
    max_length: int = Field(default=4096, ge=64)
    torch_dtype: Literal["bfloat16", "float16", "float32"] = "bfloat16"
    gradient_checkpointing: bool = True
    warmup_ratio: float = Field(default=0.05, ge=0.0, le=1.0)
    logging_steps: int = Field(default=10, ge=1)
    save_steps: int = Field(default=500, ge=1)
    eval_steps: int = Field(default=500, ge=1)
    save_total_limit: int = Field(default=2, ge=1)
    dataloader_num_workers: int = Field(default=4, ge=0)
    dataset_num_proc: int = Field(default=4, ge=1)
    seed: int = 42
    gpus: int = Field(default=1, ge=0, description="processes per node (torchrun when > 1); 0 = CPU")
    deepspeed: Literal["zero1", "zero2", "zero3", "zero2_offload", "zero3_offload"] | None = None
    report_to: list[str] = Field(default_factory=lambda: ["tensorboard"])
    extra_args: dict[str, Any] = Field(
        default_factory=dict, description="further `--key value` for swift sft"
    )
    serve: ServeConfig = Field(default_factory=ServeConfig)


@dataclass(frozen=True, slots=True)
class Command:
    argv: tuple[str, ...]
    env: dict[str, str]

    def shell(self) -> str:
        """The command as one copy-pasteable shell line (environment first)."""
        import shlex

        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        return (env + " " if env else "") + shlex.join(self.argv)


def _resolve(path: str, base: Path) -> str:
    p = Path(path).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


def load_train_config(path: str | Path) -> tuple[TrainConfig, Path]:
    """The config of a YAML file and the folder relative paths are taken from (the working directory)."""
    source = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(source, "<file>", source, f"cannot be read ({exc.__class__.__name__})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, "<yaml>", getattr(exc, "problem", str(exc)), "is not valid YAML") from None
    if not isinstance(data, dict):
        raise ConfigError(source, "<root>", data, "must be a mapping of fields")
    try:
        cfg = TrainConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err.get("loc", ())) or "<root>"
        value = data.get(str(err["loc"][0])) if err.get("loc") else data
        raise ConfigError(source, field, value, str(err.get("msg", "invalid value"))) from None
    return cfg, Path.cwd()


def model_path(cfg: TrainConfig, base: Path) -> str:
    """A local directory (resolved) when the model names one, else the hub id as written."""
    local = Path(cfg.model).expanduser()
    candidate = local if local.is_absolute() else base / local
    if cfg.model.startswith((".", "/", "~")) or candidate.is_dir():
        return str(candidate.resolve())
    return cfg.model


def swift_executable() -> list[str]:
    """The ``swift`` launcher of this environment (next to the interpreter first, then PATH)."""
    beside = Path(sys.executable).parent / "swift"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("swift")
    if found and "site-packages" not in found:
        return [found]
    return [sys.executable, "-m", "swift.cli.main"]


def _flag(value: Any) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _args(pairs: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in pairs.items():
        if value is None:
            continue
        out += [f"--{key}", *_flag(value)]
    return out


def _environment(cfg: TrainConfig, *, distributed: bool = False) -> dict[str, str]:
    env = {"MAX_PIXELS": str(cfg.max_pixels)}
    if distributed and cfg.gpus > 1:
        env["NPROC_PER_NODE"] = str(cfg.gpus)
    if cfg.gpus == 0:
        env["CUDA_VISIBLE_DEVICES"] = ""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        if os.environ.get(key):
            env[key] = os.environ[key]
    return env


def _model_args(cfg: TrainConfig, base: Path) -> dict[str, Any]:
    return {
        "model": model_path(cfg, base),
        "model_type": cfg.model_type,
        "template": cfg.template,
        "use_hf": True,
    }


def sft_command(cfg: TrainConfig, base: Path) -> Command:
    """``swift sft`` with every setting of the recipe spelled out."""
    data = Path(_resolve(cfg.dataset, base))
    val = data / "val.jsonl"
    pairs: dict[str, Any] = {
        **_model_args(cfg, base),
        "dataset": str(data / "train.jsonl"),
        "val_dataset": str(val) if val.exists() and val.stat().st_size > 0 else None,
        "split_dataset_ratio": 0,
        "tuner_type": cfg.tuner_type,
        "lora_rank": cfg.lora_rank if cfg.tuner_type != "full" else None,
        "lora_alpha": cfg.lora_alpha if cfg.tuner_type != "full" else None,
        "lora_dropout": cfg.lora_dropout if cfg.tuner_type != "full" else None,
        "target_modules": "all-linear" if cfg.tuner_type == "lora" else None,
        "freeze_vit": False if cfg.tuner_type == "full" else None,
        "freeze_aligner": False if cfg.tuner_type == "full" else None,
        "learning_rate": cfg.learning_rate,
        "vit_lr": cfg.vit_lr,
        "aligner_lr": cfg.aligner_lr,
        "max_pixels": cfg.max_pixels,
        "num_train_epochs": cfg.num_train_epochs,
        "max_steps": cfg.max_steps,
        "per_device_train_batch_size": cfg.per_device_train_batch_size,
        "per_device_eval_batch_size": cfg.per_device_eval_batch_size,
        "gradient_accumulation_steps": cfg.gradient_accumulation_steps,
        "max_length": cfg.max_length,
        "torch_dtype": cfg.torch_dtype,
        "gradient_checkpointing": cfg.gradient_checkpointing,
        "warmup_ratio": cfg.warmup_ratio,
        "logging_steps": cfg.logging_steps,
        "save_steps": cfg.save_steps,
        "eval_steps": cfg.eval_steps,
        "save_total_limit": cfg.save_total_limit,
        "dataloader_num_workers": cfg.dataloader_num_workers,
        "dataset_num_proc": cfg.dataset_num_proc,
        "seed": cfg.seed,
        "deepspeed": cfg.deepspeed,
        "report_to": cfg.report_to or ["none"],
        "output_dir": _resolve(cfg.output_dir, base),
        "add_version": False,
    }
    pairs.update(cfg.extra_args)
    return Command((*swift_executable(), "sft", *_args(pairs)), _environment(cfg, distributed=True))


def latest_checkpoint(output_dir: Path) -> Path | None:
    """The ``checkpoint-N`` folder with the largest N, or ``None``."""
    found = [p for p in output_dir.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()]
    return max(found, key=lambda p: int(p.name.split("-")[-1]), default=None)


def merge_command(cfg: TrainConfig, base: Path, *, checkpoint: Path, out: Path) -> Command:
    """``swift export --merge_lora true``: fold the adapters (and trained ViT/aligner) into the model."""
    pairs = {
        "adapters": str(checkpoint),
        "merge_lora": True,
        "output_dir": str(out),
        "max_pixels": cfg.max_pixels,
        "use_hf": True,
    }
    return Command((*swift_executable(), "export", *_args(pairs)), _environment(cfg))


def serve_command(cfg: TrainConfig, *, model: str, serve: ServeConfig | None = None) -> Command:
    """``swift deploy`` (or vLLM's OpenAI-compatible server) for a merged model directory."""
    s = serve or cfg.serve
    if s.backend == "vllm":
        argv = (
            "vllm",
            "serve",
            model,
            "--host",
            s.host,
            "--port",
            str(s.port),
            "--served-model-name",
            s.served_model_name,
            "--limit-mm-per-prompt",
            '{"image": 1}',
            "--mm-processor-kwargs",
            f'{{"max_pixels": {cfg.max_pixels}}}',
        )
        return Command(argv, _environment(cfg))
    pairs = {
        "model": model,
        "model_type": cfg.model_type,
        "template": cfg.template,
        "use_hf": True,
        "infer_backend": s.infer_backend,
        "host": s.host,
        "port": s.port,
        "served_model_name": s.served_model_name,
        "max_new_tokens": s.max_new_tokens,
        "max_pixels": cfg.max_pixels,
    }
    return Command((*swift_executable(), "deploy", *_args(pairs)), _environment(cfg))


def shipped_config_text(name: str) -> str:
    """The text of a config shipped in ``voltlens/configs`` (``qwen2_5_vl_3b`` …)."""
    from importlib.resources import files

    if name not in SHIPPED_CONFIGS:
        from ..errors import ParameterError

        raise ParameterError("name", name, f"one of {', '.join(SHIPPED_CONFIGS)}")
    return (files("voltlens") / "configs" / f"{name}.yaml").read_text(encoding="utf-8")

"""The ms-swift fine-tuning recipe: ``voltlens train`` (sft), ``voltlens train merge``, ``voltlens train serve``."""

from .recipe import (
    Command,
    ServeConfig,
    TrainConfig,
    latest_checkpoint,
    load_train_config,
    merge_command,
    serve_command,
    sft_command,
)

__all__ = [
    "Command",
    "ServeConfig",
    "TrainConfig",
    "latest_checkpoint",
    "load_train_config",
    "merge_command",
    "serve_command",
    "sft_command",
]

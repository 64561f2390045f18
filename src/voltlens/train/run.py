"""Runs the recipe's commands and pins the training resolution into saved processor configs.

The file-system and process edge of :mod:`voltlens.train`: ``run_command`` starts ``swift``
with the recipe's environment added to this one; ``pin_max_pixels`` writes ``max_pixels`` into
every ``preprocessor_config.json`` under a folder so that inference sees the images at the
resolution training saw.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from ..errors import VoltlensError
from ..synth.runner import atomic_write_bytes
from .recipe import QWEN_PATCH, Command

__all__ = ["TrainError", "pin_max_pixels", "run_command"]

MIN_PIXELS = 4 * QWEN_PATCH * QWEN_PATCH


class TrainError(VoltlensError):
    """A swift command failed."""


def run_command(cmd: Command, *, cwd: Path | None = None) -> None:
    """Run ``cmd`` in the foreground (output streams through); a non-zero exit is a TrainError."""
    env = {**os.environ, **cmd.env}
    try:
        proc = subprocess.run(list(cmd.argv), env=env, cwd=cwd, check=False)
    except FileNotFoundError:
        raise TrainError(
            f"cannot start {cmd.argv[0]!r}: install the training extra (pip install 'voltlens[train]')"
        ) from None
    if proc.returncode != 0:
        raise TrainError(f"{cmd.argv[0]} {cmd.argv[1]} exited with status {proc.returncode}")


def _pinned(image_processor: dict, max_pixels: int) -> dict:
    out = dict(image_processor)
    size = dict(out["size"]) if isinstance(out.get("size"), dict) else {}
    size["longest_edge"] = int(max_pixels)
    size["shortest_edge"] = min(int(size.get("shortest_edge", MIN_PIXELS)), int(max_pixels))
    out["size"] = size
    if "max_pixels" in out or "min_pixels" in out:  # older transformers write these keys too
        out["max_pixels"] = int(max_pixels)
        out["min_pixels"] = size["shortest_edge"]
    return out


def pin_max_pixels(folder: Path, max_pixels: int) -> list[Path]:
    """Set the image processor's largest size (``size.longest_edge``, ``max_pixels``) to ``max_pixels``
    in every ``preprocessor_config.json`` and ``processor_config.json`` under ``folder``."""
    changed = []
    paths = sorted([*folder.rglob("preprocessor_config.json"), *folder.rglob("processor_config.json")])
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data.get("image_processor"), dict):
            data["image_processor"] = _pinned(data["image_processor"], max_pixels)
        elif "size" in data or "max_pixels" in data or "image_processor_type" in data:
            data = _pinned(data, max_pixels)
        else:
            continue
        atomic_write_bytes(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())
        changed.append(path)
    return changed

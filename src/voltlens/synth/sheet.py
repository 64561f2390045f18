"""A contact sheet of a synthetic dataset: the first samples tiled so a person can see the variety."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from .runner import LABELS, atomic_write_bytes


def write_contact_sheet(out: Path, path: Path, *, count: int = 24, ncols: int = 6) -> Path:
    """Tile the first ``count`` images of the dataset in ``out`` into ``path`` (PNG)."""
    from ..render import contact_sheet, encode_png

    labels = out / LABELS
    if labels.exists():
        rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()[:count]]
        files = [out / row["image"] for row in rows]
        captions = [f"{row['id']} {row['technique']} {row['kind']}" for row in rows]
    else:
        files = sorted((out / "images").glob("*.png"))[:count]
        captions = [f.stem for f in files]
    images = [np.asarray(Image.open(f).convert("RGB")) for f in files]
    sheet = contact_sheet(images, ncols=min(ncols, max(1, len(images))), captions=captions)
    atomic_write_bytes(path, encode_png(sheet))
    return path

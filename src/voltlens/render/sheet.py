"""Images for people and files: contact sheets of many renders, deterministic PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..errors import ParameterError

__all__ = ["contact_sheet", "encode_png"]


def _as_rgb(image: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.dtype != np.uint8:
        raise ParameterError(name, f"{arr.shape} {arr.dtype}", "an H×W×3 (or ×4, or H×W) uint8 array")
    return np.ascontiguousarray(arr[:, :, :3])


def encode_png(image: np.ndarray, *, compress_level: int = 6) -> bytes:
    """PNG bytes of an RGB image: no metadata chunks (no time, no software), so equal images give
    byte-identical files."""
    if not 0 <= compress_level <= 9:
        raise ParameterError("compress_level", compress_level, "an integer in [0, 9]")
    buf = io.BytesIO()
    Image.fromarray(_as_rgb(image, "image")).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def contact_sheet(
    images: Sequence[np.ndarray],
    *,
    ncols: int,
    cell_px: int = 320,
    captions: Sequence[str] | None = None,
    background: tuple[int, int, int] = (64, 64, 64),
) -> np.ndarray:
    """Tile images in a grid of ``ncols`` columns; each is scaled to fit a ``cell_px`` square
    (aspect kept) with an optional one-line caption under it."""
    if not images:
        raise ParameterError("images", images, "at least one image")
    if ncols < 1:
        raise ParameterError("ncols", ncols, "a positive integer")
    if cell_px < 16:
        raise ParameterError("cell_px", cell_px, "at least 16")
    if captions is not None and len(captions) != len(images):
        raise ParameterError("captions", len(captions), f"one caption per image ({len(images)})")
    font = ImageFont.load_default(size=max(9, cell_px // 28))
    cap_h = (max(9, cell_px // 28) + 6) if captions is not None else 0
    gap = 4
    nrows = -(-len(images) // ncols)
    W = ncols * (cell_px + gap) + gap
    H = nrows * (cell_px + cap_h + gap) + gap
    sheet = Image.new("RGB", (W, H), background)
    draw = ImageDraw.Draw(sheet)
    for k, img in enumerate(images):
        arr = _as_rgb(img, f"images[{k}]")
        h, w = arr.shape[:2]
        f = min(cell_px / w, cell_px / h)
        tile = Image.fromarray(arr).resize(
            (max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.LANCZOS
        )
        r, c = divmod(k, ncols)
        x = gap + c * (cell_px + gap) + (cell_px - tile.width) // 2
        y = gap + r * (cell_px + cap_h + gap) + (cell_px - tile.height) // 2
        sheet.paste(tile, (x, y))
        if captions is not None:
            draw.text(
                (gap + c * (cell_px + gap) + 2, gap + r * (cell_px + cap_h + gap) + cell_px + 2),
                str(captions[k]),
                fill=(230, 230, 230),
                font=font,
            )
    return np.asarray(sheet)

"""Safe image input for the digitizer: bytes or a file → an H×W×3 uint8 RGB array, or a clear refusal.

The pixel count is checked from the header *before* any pixel is decoded, so a decompression bomb
(a small file that claims a gigantic image) is refused without allocating it; truncated or corrupt
files, unknown formats and images too small or too large to be a plot raise
:class:`~voltlens.errors.DigitizeError` naming the source.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from ..errors import DigitizeError

__all__ = ["MAX_BYTES", "MAX_PIXELS", "MAX_SIDE", "MIN_SIDE", "as_rgb", "load_image"]

MAX_PIXELS = 40_000_000  # 40 MP: far beyond any figure, well below a decompression bomb
MAX_SIDE = 20_000
MIN_SIDE = 64
MAX_BYTES = 200 * 1024 * 1024


def load_image(
    path_or_bytes: str | Path | bytes | bytearray | memoryview,
    *,
    source: str | None = None,
    max_pixels: int = MAX_PIXELS,
) -> np.ndarray:
    """Decode a PNG/JPEG/... file or its bytes into an H×W×3 uint8 RGB array.

    Transparency is composited on white, 16-bit and palette images are converted, and only the
    first frame of an animation is read.  Raises :class:`DigitizeError` for unreadable, corrupt,
    truncated, over-large (more than ``max_pixels``, checked from the header before decoding) or
    tiny images.
    """
    from PIL import Image, UnidentifiedImageError

    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        data = bytes(path_or_bytes)
        source = source or "<image bytes>"
    elif isinstance(path_or_bytes, str | Path):
        source = source or str(path_or_bytes)
        try:
            size = Path(path_or_bytes).stat().st_size
            if size > MAX_BYTES:
                raise DigitizeError(source, f"file is {size} bytes, more than the {MAX_BYTES}-byte limit")
            data = Path(path_or_bytes).read_bytes()
        except OSError as exc:
            raise DigitizeError(
                source, f"cannot be read ({exc.__class__.__name__}: {exc.strerror})"
            ) from None
    else:
        raise DigitizeError(
            source or "<image>", f"expected a path or bytes, got {type(path_or_bytes).__name__}"
        )
    if len(data) > MAX_BYTES:
        raise DigitizeError(source, f"{len(data)} bytes, more than the {MAX_BYTES}-byte limit")
    if not data:
        raise DigitizeError(source, "is empty (0 bytes)")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise DigitizeError(source, f"refused as a decompression bomb ({exc})") from None
        except UnidentifiedImageError:
            raise DigitizeError(
                source, "is not an image format Pillow recognises (corrupt or not an image)"
            ) from None
        except Exception as exc:  # Pillow raises many types on malformed headers
            raise DigitizeError(
                source, f"has a corrupt image header ({exc.__class__.__name__}: {exc})"
            ) from None
        w, h = im.size
        _check_size(w, h, source, max_pixels)
        try:
            im.seek(0)
            im.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise DigitizeError(source, f"refused as a decompression bomb ({exc})") from None
        except Exception as exc:
            raise DigitizeError(
                source, f"image data are truncated or corrupt ({exc.__class__.__name__}: {exc})"
            ) from None
        return _to_rgb(im, source)


def _check_size(w: int, h: int, source: str, max_pixels: int) -> None:
    if w <= 0 or h <= 0:
        raise DigitizeError(source, f"has an empty size {w}×{h}")
    if w * h > max_pixels or max(w, h) > MAX_SIDE:
        raise DigitizeError(
            source,
            f"is {w}×{h} = {w * h / 1e6:.1f} MP, larger than the {max_pixels / 1e6:.0f} MP / {MAX_SIDE} px "
            "limit (possible decompression bomb); downscale it first",
        )
    if min(w, h) < MIN_SIDE:
        raise DigitizeError(
            source, f"is only {w}×{h} px; a plot needs at least {MIN_SIDE} px a side to be read"
        )


def _to_rgb(im, source: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    from PIL import Image

    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        grey = np.clip((arr - lo) * scale, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    try:
        arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
    except Exception as exc:
        raise DigitizeError(
            source, f"cannot convert {mode} pixels to RGB ({exc.__class__.__name__})"
        ) from None
    return np.ascontiguousarray(arr)


def as_rgb(image: np.ndarray, *, source: str) -> np.ndarray:
    """Validate an array given directly: H×W (grey), H×W×3 or H×W×4 of uint8 (or floats in [0, 1])."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise DigitizeError(source, f"expected an H×W×3 RGB array, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating):
            if not np.all(np.isfinite(arr)):
                raise DigitizeError(source, "image array holds NaN or infinite values")
            top = 1.0 if float(arr.max(initial=0.0)) <= 1.0 else 255.0
            arr = np.clip(np.rint(arr * (255.0 / top)), 0, 255).astype(np.uint8)
        elif np.issubdtype(arr.dtype, np.integer):
            arr = np.clip(arr, 0, 255).astype(np.uint8)
        else:
            raise DigitizeError(source, f"unsupported image dtype {arr.dtype}")
    if arr.shape[2] == 4:
        alpha = arr[:, :, 3:4].astype(np.float32) / 255.0
        arr = np.rint(arr[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    h, w = arr.shape[:2]
    _check_size(w, h, source, MAX_PIXELS)
    return np.ascontiguousarray(arr)

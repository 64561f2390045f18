"""Text recognition of small crops (tick labels, axis titles, legend entries) with RapidOCR.

Only the recogniser runs (the crops are already located by the layout analysis), which is ~10×
faster than detecting text in the whole image.  The engine is built once per process, lazily, from
the ONNX models shipped inside the ``rapidocr`` wheel, with explicit model paths so nothing is
ever downloaded; this module-level cache is the only global state of the digitizer.

Several short labels are read in one pass by packing them side by side with wide gaps and
splitting the text at the gaps; when the split does not give one token per label, each label is
read alone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DigitizeError

__all__ = ["Reading", "engine", "read_crops", "read_packed"]

_ENGINE: Any = None
_LOCK = threading.Lock()
_HEIGHT = 40  # px: crops are scaled so text is this tall before packing
_MAX_PACK = 12  # labels packed into one row at most
_MODELS = {
    "Det.model_path": "PP-OCRv6_det_small.onnx",
    "Rec.model_path": "PP-OCRv6_rec_small.onnx",
    "Cls.model_path": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}


@dataclass(frozen=True, slots=True)
class Reading:
    text: str
    score: float


def engine() -> Any:
    """The process-wide RapidOCR engine (built on first use from the wheel's bundled models)."""
    global _ENGINE
    if _ENGINE is not None:
        return _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = _build()
    return _ENGINE


def _build() -> Any:
    try:
        import rapidocr
        from rapidocr import RapidOCR
    except ImportError as exc:  # pragma: no cover - the image extra is missing
        raise DigitizeError(
            "<digitizer>", f"needs the 'image' extra (opencv-python-headless, rapidocr): {exc}"
        ) from None
    root = Path(rapidocr.__file__).resolve().parent / "models"
    params: dict[str, Any] = {"Global.log_level": "critical", "Global.use_cls": False}
    for key, name in _MODELS.items():
        path = root / name
        if not path.is_file():
            raise DigitizeError(
                "<digitizer>",
                f"the rapidocr wheel lacks its bundled model {name} (looked in {root}); "
                "reinstall rapidocr — models are never downloaded at run time",
            )
        params[key] = str(path)
    # two intra-op threads: the recogniser's convolutions split well over the cores of a laptop
    params["EngineConfig.onnxruntime.intra_op_num_threads"] = 2
    return RapidOCR(params=params)


def _prepare(crop: np.ndarray, dark: bool) -> np.ndarray:
    """Dark text on white, grey, scaled to the packing height, as 3-channel BGR uint8."""
    import cv2

    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    if dark:
        grey = 255 - grey
    lo, hi = np.percentile(grey, [2, 98]) if grey.size else (0, 255)
    if hi - lo > 10:
        grey = np.clip((grey.astype(np.float32) - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    h, w = grey.shape
    scale = _HEIGHT / max(h, 1)
    grey = cv2.resize(
        grey,
        (max(1, round(w * scale)), _HEIGHT),
        interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA,
    )
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def _recognise(img: np.ndarray) -> Reading:
    try:
        out = engine()(img, use_det=False, use_cls=False, use_rec=True)
    except Exception as exc:  # rapidocr raises its own exceptions on odd shapes
        if type(exc).__module__.startswith("rapidocr"):
            return Reading("", 0.0)  # an image it cannot take (too long, too thin): nothing read
        raise
    txts = getattr(out, "txts", None) or ()
    scores = getattr(out, "scores", None) or ()
    if not txts:
        return Reading("", 0.0)
    return Reading(str(txts[0]).strip(), float(scores[0]))


def read_crops(crops: list[np.ndarray], *, dark: bool = False) -> list[Reading]:
    """Each crop read on its own (for titles and long text)."""
    return [_recognise(_pad(_prepare(c, dark))) for c in crops]


def _pad(img: np.ndarray, left: int = 8, top: int = 4) -> np.ndarray:
    import cv2

    return cv2.copyMakeBorder(img, top, top, left, left, cv2.BORDER_CONSTANT, value=(255, 255, 255))


def read_packed(crops: list[np.ndarray], *, dark: bool = False) -> list[Reading]:
    """Short labels read in one pass: packed in a row with wide gaps, the text split at spaces.

    Falls back to reading each crop alone when the split does not give one token per crop.
    """
    if not crops:
        return []
    if len(crops) == 1:
        return read_crops(crops, dark=dark)
    if len(crops) > _MAX_PACK:  # a packed row stays short enough for the recogniser
        return [
            r
            for k in range(0, len(crops), _MAX_PACK)
            for r in read_packed(crops[k : k + _MAX_PACK], dark=dark)
        ]
    parts = [_prepare(c, dark) for c in crops]
    gap = np.full((_HEIGHT, int(1.2 * _HEIGHT), 3), 255, dtype=np.uint8)
    row = [gap[:, : _HEIGHT // 3]]
    for p in parts:
        row += [p, gap]
    packed = _pad(np.concatenate(row, axis=1), left=0)
    reading = _recognise(packed)
    tokens = reading.text.split()
    if len(tokens) == len(crops):
        return [Reading(t, reading.score) for t in tokens]
    return [_recognise(_pad(p)) for p in parts]

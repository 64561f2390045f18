"""Degrade a rendered figure the way real figures reach a reader, keeping the transform exact.

Screenshots (cropped, rescaled, PNG or JPEG), web images (downscaled JPEG), scans (slightly
rotated, faded, noisy) and photos of printouts (perspective, paper tint, uneven light, blur,
noise, JPEG).  Every geometric step is a homography composed onto the image's
:class:`PixelTransform`, so data still map exactly to pixels; photometric steps leave geometry
alone.  Pillow, numpy only (no OpenCV).

Order: crop → ink fade and paper tint → perspective warp (page on a background) → uneven
illumination and vignette → blur → resample → noise → JPEG.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageFilter

from ..errors import ConfigError, ParameterError
from .draw import Rendered

__all__ = ["DEGRADATION_KINDS", "Degradation", "degrade", "sample_degradation"]

DEGRADATION_KINDS = ("none", "screenshot", "web", "scan", "photo")
_RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


@dataclass(frozen=True, slots=True)
class Degradation:
    """One degradation recipe; the defaults change nothing.

    ``crop`` removes fractions of the free margin around the drawn content (left, top, right,
    bottom).  ``rotation_deg``, ``perspective`` (corner offsets top-left, top-right,
    bottom-right, bottom-left as (dx, dy) fractions of the image size) and ``zoom`` (page size in
    the frame) place the page on ``background``.  ``ink`` < 1 fades dark ink, ``paper`` tints
    (multiplies) the page, ``illumination`` is the strength of a brightness gradient towards
    ``illumination_angle_deg`` and ``vignette`` darkens the corners.  ``blur_sigma`` in pixels;
    ``scale`` resamples (``rescale_back`` returns to the original size afterwards);
    ``noise_sigma`` in grey levels; ``jpeg_quality`` None keeps it lossless.
    """

    kind: str = "none"
    crop: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    rotation_deg: float = 0.0
    perspective: tuple[float, ...] = (0.0,) * 8
    zoom: float = 1.0
    background: tuple[int, int, int] = (255, 255, 255)
    ink: float = 1.0
    paper: tuple[float, float, float] = (1.0, 1.0, 1.0)
    illumination: float = 0.0
    illumination_angle_deg: float = 0.0
    vignette: float = 0.0
    blur_sigma: float = 0.0
    scale: float = 1.0
    rescale_back: bool = False
    resample: str = "bilinear"
    noise_sigma: float = 0.0
    jpeg_quality: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in DEGRADATION_KINDS:
            raise ParameterError("kind", self.kind, f"one of {list(DEGRADATION_KINDS)}")
        _tuple(self, "crop", 4, 0.0, 1.0)
        _tuple(self, "perspective", 8, -0.1, 0.1)
        _tuple(self, "paper", 3, 0.5, 1.0)
        if not (isinstance(self.background, tuple) and len(self.background) == 3):
            raise ParameterError("background", self.background, "an (r, g, b) tuple of 0–255 integers")
        if not all(isinstance(v, int) and 0 <= v <= 255 for v in self.background):
            raise ParameterError("background", self.background, "an (r, g, b) tuple of 0–255 integers")
        for name, lo, hi in (
            ("rotation_deg", -10.0, 10.0),
            ("zoom", 0.5, 1.0),
            ("ink", 0.3, 1.0),
            ("illumination", 0.0, 0.8),
            ("illumination_angle_deg", -360.0, 360.0),
            ("vignette", 0.0, 0.8),
            ("blur_sigma", 0.0, 5.0),
            ("scale", 0.2, 2.0),
            ("noise_sigma", 0.0, 40.0),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
                raise ParameterError(name, value, f"a number in [{lo}, {hi}]")
        if self.resample not in _RESAMPLE:
            raise ParameterError("resample", self.resample, f"one of {list(_RESAMPLE)}")
        if not isinstance(self.rescale_back, bool):
            raise ParameterError("rescale_back", self.rescale_back, "true or false")
        q = self.jpeg_quality
        if q is not None and (isinstance(q, bool) or not isinstance(q, int) or not 5 <= q <= 100):
            raise ParameterError("jpeg_quality", q, "None or an integer in [5, 100]")

    @property
    def warps(self) -> bool:
        return self.rotation_deg != 0 or self.zoom != 1 or any(self.perspective)

    def replace(self, **changes: Any) -> Degradation:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: list(getattr(self, f.name))
            if isinstance(getattr(self, f.name), tuple)
            else getattr(self, f.name)
            for f in dataclasses.fields(self)
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "degradation") -> Degradation:
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {}
        for key, value in data.items():
            if key not in names:
                raise ConfigError(source, key, value, "a Degradation field")
            kwargs[key] = tuple(value) if isinstance(value, list) else value
        try:
            return cls(**kwargs)
        except ParameterError as exc:
            raise ConfigError(source, exc.name, exc.value, exc.expected) from None


def _tuple(spec: Degradation, name: str, n: int, lo: float, hi: float) -> None:
    value = getattr(spec, name)
    if not (
        isinstance(value, tuple)
        and len(value) == n
        and all(isinstance(v, int | float) and not isinstance(v, bool) and lo <= v <= hi for v in value)
    ):
        raise ParameterError(name, value, f"a tuple of {n} numbers in [{lo}, {hi}]")


def sample_degradation(rng: np.random.Generator, *, kind: str | None = None) -> Degradation:
    """A random recipe: none, screenshot, web, scan or photo (``kind`` pins one)."""
    if kind is None:
        kind = DEGRADATION_KINDS[int(rng.choice(5, p=[0.25, 0.25, 0.2, 0.1, 0.2]))]
    if kind not in DEGRADATION_KINDS:
        raise ParameterError("kind", kind, f"one of {list(DEGRADATION_KINDS)}")

    def u(lo: float, hi: float, digits: int = 3) -> float:
        return round(float(rng.uniform(lo, hi)), digits)

    def crop(p: float) -> tuple[float, float, float, float]:
        return tuple(u(0, 1) for _ in range(4)) if rng.random() < p else (0.0, 0.0, 0.0, 0.0)  # type: ignore[return-value]

    if kind == "none":
        return Degradation()
    if kind == "screenshot":
        scaled = rng.random() < 0.5
        return Degradation(
            kind=kind,
            crop=crop(0.6),
            scale=u(0.6, 1.0) if scaled else 1.0,
            rescale_back=bool(scaled and rng.random() < 0.4),
            resample=str(rng.choice(["bilinear", "bicubic", "nearest", "lanczos"])),
            jpeg_quality=int(rng.integers(70, 96)) if rng.random() < 0.4 else None,
        )
    if kind == "web":
        return Degradation(
            kind=kind,
            crop=crop(0.5),
            blur_sigma=u(0.0, 0.6, 2) if rng.random() < 0.3 else 0.0,
            scale=u(0.45, 1.0),
            resample=str(rng.choice(["bilinear", "bicubic", "lanczos"])),
            jpeg_quality=int(rng.integers(35, 91)),
        )
    if kind == "scan":
        grey = int(rng.integers(225, 256))
        return Degradation(
            kind=kind,
            crop=crop(0.3),
            rotation_deg=u(-1.5, 1.5),
            zoom=u(0.94, 1.0),
            background=(grey, grey, grey),
            ink=u(0.8, 1.0),
            paper=(u(0.95, 1.0), u(0.95, 1.0), u(0.93, 1.0)),
            blur_sigma=u(0.3, 0.9, 2),
            scale=u(0.7, 1.0),
            noise_sigma=u(1.5, 6.0, 2),
            jpeg_quality=int(rng.integers(60, 93)) if rng.random() < 0.6 else None,
        )
    tables = ((120, 90, 60), (90, 90, 90), (40, 40, 42), (200, 200, 195), (150, 130, 110), (60, 70, 80))
    warm = u(0.0, 0.08)
    return Degradation(
        kind="photo",
        crop=crop(0.3),
        rotation_deg=u(-3.0, 3.0),
        perspective=tuple(u(-0.03, 0.03, 4) for _ in range(8)),
        zoom=u(0.8, 0.97),
        background=tables[int(rng.integers(len(tables)))],
        ink=u(0.72, 0.95),
        paper=(u(0.95, 1.0), round(u(0.95, 1.0) - warm / 3, 3), round(u(0.93, 1.0) - warm, 3)),
        illumination=u(0.1, 0.45),
        illumination_angle_deg=u(0.0, 360.0, 1),
        vignette=u(0.0, 0.35),
        blur_sigma=u(0.4, 1.5, 2),
        scale=u(0.6, 1.0),
        resample=str(rng.choice(["bilinear", "bicubic"])),
        noise_sigma=u(2.0, 8.0, 2),
        jpeg_quality=int(rng.integers(50, 91)),
    )


def degrade(rendered: Rendered, spec: Degradation, *, rng: np.random.Generator) -> Rendered:
    """``rendered`` degraded by ``spec``; ``rng`` draws only the noise.  The transform and the
    pixel positions in ``meta`` are carried through every geometric step exactly.

    When the page is warped, the resampling to ``scale`` is folded into the same warp (one
    interpolation, and the later steps run on the smaller image); the blur is then applied at
    the output scale with ``blur_sigma · scale``.  ``meta['degradations']`` records the recipe
    as applied: ``zoom`` may be reduced so the whole plot area stays in the frame, and ``scale``
    raised so the short side stays ≥ 240 px.
    """
    image = rendered.image
    meta = rendered.meta
    h_total = np.eye(3)
    H, W = image.shape[:2]

    if any(spec.crop):
        left, top, right, bottom = _crop_px(meta, spec.crop, W, H)
        image = image[top : H - bottom, left : W - right]
        h_total = _translate(-left, -top) @ h_total
        H, W = image.shape[:2]

    if spec.ink != 1 or spec.paper != (1.0, 1.0, 1.0):
        v = np.arange(256, dtype=np.float64) / 255.0
        luts = [_to_u8(255.0 * (1.0 - (1.0 - v) * spec.ink) * p) for p in spec.paper]
        image = np.stack([luts[c][image[:, :, c]] for c in range(3)], axis=2)

    if spec.scale < 1:  # never shrink below 240 px on the short side
        spec = spec.replace(scale=round(max(spec.scale, min(1.0, 240 / min(W, H))), 6))
    folded = False
    if spec.warps:
        axes_quad = np.asarray(_axes_quad(meta, h_total))
        zoom = spec.zoom
        for _ in range(40):
            warp = _page_homography(W, H, spec.rotation_deg, zoom, spec.perspective)
            if _inside(_apply(warp, axes_quad), W, H):
                break
            zoom *= 0.97  # keep the whole plot area in the frame
        spec = spec.replace(zoom=round(max(zoom, 0.5), 6))
        warp = _page_homography(W, H, spec.rotation_deg, spec.zoom, spec.perspective)
        W2, H2 = W, H
        if spec.scale != 1 and not spec.rescale_back:
            W2, H2 = max(16, round(W * spec.scale)), max(16, round(H * spec.scale))
            warp = np.diag([W2 / W, H2 / H, 1.0]) @ warp
            folded = True
        inv = np.linalg.inv(warp)
        inv /= inv[2, 2]
        image = np.asarray(
            Image.fromarray(image).transform(
                (W2, H2),
                Image.Transform.PERSPECTIVE,
                tuple(inv.ravel()[:8]),
                resample=Image.Resampling.BILINEAR,
                fillcolor=spec.background,
            )
        )
        h_total = warp @ h_total
        H, W = image.shape[:2]

    if spec.illumination or spec.vignette:
        field = Image.fromarray(_to_u8(255.0 * _light_field(W, H, spec))).convert("RGB")
        image = np.asarray(ImageChops.multiply(Image.fromarray(image), field))

    if spec.blur_sigma:
        sigma = spec.blur_sigma * (spec.scale if folded else 1.0)
        image = np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(sigma)))

    if spec.scale != 1 and not folded:
        W2, H2 = max(16, round(W * spec.scale)), max(16, round(H * spec.scale))
        image = np.asarray(Image.fromarray(image).resize((W2, H2), _RESAMPLE[spec.resample]))
        h_total = np.diag([W2 / W, H2 / H, 1.0]) @ h_total
        if spec.rescale_back:
            image = np.asarray(Image.fromarray(image).resize((W, H), _RESAMPLE[spec.resample]))
            h_total = np.diag([W / W2, H / H2, 1.0]) @ h_total
        H, W = image.shape[:2]

    if spec.noise_sigma:
        # sensor-like luminance noise, the same on the three channels
        noise = rng.standard_normal((H, W), dtype=np.float32) * np.float32(spec.noise_sigma)
        image = _to_u8(image.astype(np.float32) + noise[:, :, None])

    if spec.jpeg_quality is not None:
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="JPEG", quality=spec.jpeg_quality)
        buf.seek(0)
        image = np.asarray(Image.open(buf).convert("RGB"))

    transform = rendered.transform.then(h_total, width=W, height=H)
    new_meta = _map_meta(dict(meta), h_total, W, H)
    new_meta["degradations"] = [*meta.get("degradations", []), spec.to_dict()]
    return Rendered(np.ascontiguousarray(image), transform, rendered.style, MappingProxyType(new_meta))


def _to_u8(f: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(f), 0, 255).astype(np.uint8)


def _translate(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def _crop_px(meta: Mapping[str, Any], crop: tuple[float, ...], W: int, H: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = meta.get("content_box_px") or (0.0, 0.0, float(W), float(H))
    free = (max(0.0, x0 - 1), max(0.0, y0 - 1), max(0.0, W - x1 - 1), max(0.0, H - y1 - 1))
    left, top, right, bottom = (int(f * c) for f, c in zip(free, crop, strict=True))
    return left, top, right, bottom


def _axes_quad(meta: Mapping[str, Any], h: np.ndarray) -> list[list[float]]:
    quad = meta.get("axes_quad_px") or [[0, 0], [1, 0], [1, 1], [0, 1]]
    return _apply(h, np.asarray(quad, dtype=float)).tolist()


def _inside(points: np.ndarray, W: int, H: int) -> bool:
    return bool(
        np.all((points[:, 0] >= 1) & (points[:, 0] <= W - 1) & (points[:, 1] >= 1) & (points[:, 1] <= H - 1))
    )


def _page_homography(
    W: int, H: int, rotation_deg: float, zoom: float, perspective: tuple[float, ...]
) -> np.ndarray:
    """Where the page's corners go: rotate and zoom about the centre, then offset each corner."""
    src = np.array([[0.0, 0.0], [W, 0.0], [W, H], [0.0, H]])
    c = np.array([W / 2, H / 2])
    t = np.deg2rad(rotation_deg)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    dst = (src - c) @ rot.T * zoom + c
    dst += np.reshape(perspective, (4, 2)) * np.array([W, H])
    return _homography(src, dst)


def _homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3×3 matrix mapping four ``src`` points onto four ``dst`` points."""
    a = []
    b = []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    h = np.linalg.solve(np.array(a, dtype=float), np.array(b, dtype=float))
    return np.append(h, 1.0).reshape(3, 3)


def _apply(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    pts = np.asarray(pts, dtype=float).reshape(-1, 2)
    w = h[2, 0] * pts[:, 0] + h[2, 1] * pts[:, 1] + h[2, 2]
    x = (h[0, 0] * pts[:, 0] + h[0, 1] * pts[:, 1] + h[0, 2]) / w
    y = (h[1, 0] * pts[:, 0] + h[1, 1] * pts[:, 1] + h[1, 2]) / w
    return np.column_stack([x, y])


def _light_field(W: int, H: int, spec: Degradation) -> np.ndarray:
    ys = (np.arange(H, dtype=np.float32) + 0.5) / H - 0.5
    xs = (np.arange(W, dtype=np.float32) + 0.5) / W - 0.5
    t = np.deg2rad(spec.illumination_angle_deg)
    field = 1.0 - spec.illumination * (0.5 - (np.cos(t) * xs[None, :] + np.sin(t) * ys[:, None]))
    if spec.vignette:
        field = field * (1.0 - spec.vignette * 2.0 * (xs[None, :] ** 2 + ys[:, None] ** 2))
    return field.astype(np.float32)


def _map_meta(meta: dict[str, Any], h: np.ndarray, W: int, H: int) -> dict[str, Any]:
    """Pixel positions in the metadata carried through the homography ``h``."""

    def walk(node: Any) -> Any:
        if isinstance(node, Mapping):
            out = {}
            for key, value in node.items():
                if value is None:
                    out[key] = None
                elif key == "px":
                    out[key] = _apply(h, [value])[0].tolist()
                elif key.endswith(("_quad_px", "_points_px")):
                    out[key] = _apply(h, value).tolist()
                elif key.endswith("_box_px"):
                    quad = _apply(
                        h,
                        [
                            [value[0], value[1]],
                            [value[2], value[1]],
                            [value[2], value[3]],
                            [value[0], value[3]],
                        ],
                    )
                    out[key] = [*quad.min(axis=0).tolist(), *quad.max(axis=0).tolist()]
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out = walk(meta)
    out["image_size"] = [W, H]
    return out

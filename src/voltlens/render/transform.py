"""The exact map between data (potential in V, current in A) and image pixels.

Pixel convention: continuous image coordinates with x to the right and y down, origin at the
top-left *corner* of the image, so the centre of the pixel in column ``i``, row ``j``
(``image[j, i]``) is at ``(i + 0.5, j + 0.5)``; ``floor(x), floor(y)`` index the pixel that
contains a point.  This is the convention of matplotlib's Agg rasteriser and of Pillow's
geometric transforms, so no half-pixel shifts appear anywhere.

The map is two per-axis linear maps (the figure as rendered) followed by a 3×3 homography
(identity until a degradation warps, crops or rescales the image).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError, ParameterError

__all__ = ["PixelTransform"]

_IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class PixelTransform:
    """Data ↔ pixel map of one image.

    Before the homography, ``x = x_offset + x_scale · potential_V`` and
    ``y = y_offset + y_scale · current_A``.  Currents are SI and IUPAC-signed as in the
    :class:`~voltlens.model.Voltammogram` (A, or A/m² for current densities); the sign and
    direction conventions of the figure live in the signs of the scales.  ``homography`` is a
    row-major 3×3 matrix applied to ``(x, y, 1)``; ``width``/``height`` give the image size.
    """

    x_scale: float
    x_offset: float
    y_scale: float
    y_offset: float
    width: int
    height: int
    homography: tuple[float, ...] = _IDENTITY

    def __post_init__(self) -> None:
        for name in ("x_scale", "y_scale"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value != 0):
                raise ParameterError(name, value, "a finite non-zero number of pixels per unit")
        h = tuple(float(v) for v in np.asarray(self.homography, dtype=float).ravel())
        if len(h) != 9 or not np.all(np.isfinite(h)) or abs(np.linalg.det(np.reshape(h, (3, 3)))) < 1e-12:
            raise ParameterError(
                "homography", self.homography, "9 finite numbers of an invertible 3×3 matrix"
            )
        object.__setattr__(self, "homography", tuple(v / h[8] for v in h) if h[8] != 0 else h)
        for name in ("width", "height"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) > 0):
                raise ParameterError(name, getattr(self, name), "a positive integer pixel count")

    @property
    def matrix(self) -> np.ndarray:
        """The homography as a 3×3 array."""
        return np.reshape(np.array(self.homography), (3, 3))

    def to_pixel(self, potential_V: Any, current_A: Any) -> tuple[np.ndarray, np.ndarray]:
        """Image coordinates (x, y) of data points; broadcasts like numpy."""
        u = self.x_offset + self.x_scale * np.asarray(potential_V, dtype=float)
        v = self.y_offset + self.y_scale * np.asarray(current_A, dtype=float)
        return _apply(self.matrix, u, v)

    def to_data(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Data (potential_V, current_A) at image coordinates; inverse of :meth:`to_pixel`."""
        u, v = _apply(np.linalg.inv(self.matrix), np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return (u - self.x_offset) / self.x_scale, (v - self.y_offset) / self.y_scale

    def warp_points(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Where points of the undegraded render's frame lie in this image (homography only)."""
        return _apply(self.matrix, np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def then(self, homography: Any, *, width: int, height: int) -> PixelTransform:
        """This transform followed by a further image warp ``homography`` (old px → new px)."""
        m = np.asarray(homography, dtype=float).reshape(3, 3) @ self.matrix
        return PixelTransform(
            self.x_scale,
            self.x_offset,
            self.y_scale,
            self.y_offset,
            int(width),
            int(height),
            tuple(m.ravel()),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "x_scale": self.x_scale,
            "x_offset": self.x_offset,
            "y_scale": self.y_scale,
            "y_offset": self.y_offset,
            "width": self.width,
            "height": self.height,
            "homography": [list(row) for row in self.matrix],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "transform") -> PixelTransform:
        try:
            return cls(
                float(data["x_scale"]),
                float(data["x_offset"]),
                float(data["y_scale"]),
                float(data["y_offset"]),
                int(data["width"]),
                int(data["height"]),
                tuple(np.asarray(data.get("homography", _IDENTITY), dtype=float).ravel()),
            )
        except KeyError as exc:
            raise ConfigError(source, str(exc.args[0]), None, "a PixelTransform field") from None
        except ParameterError as exc:
            raise ConfigError(source, exc.name, exc.value, exc.expected) from None


def _apply(m: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u, v = np.broadcast_arrays(u, v)
    w = m[2, 0] * u + m[2, 1] * v + m[2, 2]
    x = (m[0, 0] * u + m[0, 1] * v + m[0, 2]) / w
    y = (m[1, 0] * u + m[1, 1] * v + m[1, 2]) / w
    return x, y

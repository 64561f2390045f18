"""Records returned by :func:`voltlens.digitize.digitize`: the curves read back and how well.

Every number is SI (V, A, or A/m² for current densities) and IUPAC-signed (anodic current
positive) like any :class:`~voltlens.model.Voltammogram`; the report says how the figure was
drawn (inverted potential axis, cathodic current up) and how far to trust what was read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ..model import Voltammogram

__all__ = ["AxisReport", "DigitizationReport", "DigitizedFigure", "PointUncertainty"]


@dataclass(frozen=True, slots=True)
class AxisReport:
    """How one axis was calibrated.

    ``unit`` is the displayed unit as read (``"mV"``, ``"µA"``, ``"mA/cm²"``; None when it could not
    be read), ``multiplier`` the factor written beside the axis (``1e-5`` for "×10⁻⁵"),
    ``scale_to_si`` what a displayed number is multiplied by to give SI.  ``labels`` are the tick
    labels read (text, value as read, pixel position along the axis in the original image) and
    ``n_used`` how many agreed with the fit.  Residuals of the fit are given in SI units and in
    percent of the axis range; ``pixel_size`` is the SI value of one pixel along the axis.
    """

    quantity: str
    unit: str | None
    multiplier: float
    scale_to_si: float
    range_si: tuple[float, float]
    inverted: bool
    labels: tuple[tuple[str, float, float], ...]
    n_used: int
    residual_rms: float
    residual_max: float
    residual_pct: float
    pixel_size: float
    ocr_confidence: float
    title: str


@dataclass(frozen=True, slots=True)
class PointUncertainty:
    """One-sigma uncertainty of each point of a curve (same length as the curve; SI units)."""

    potential_V: np.ndarray
    current_A: np.ndarray

    def __post_init__(self) -> None:
        for name in ("potential_V", "current_A"):
            arr = np.array(getattr(self, name), dtype=float, copy=True)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)


@dataclass(frozen=True, slots=True)
class DigitizationReport:
    """What was read and how reliably.

    ``coverage`` (per curve) is the fraction of the curve's potential span with curve pixels;
    ``conventions`` holds ``potential_axis_inverted``, ``cathodic_up`` (True/False/None when
    ambiguous), ``cathodic_up_basis`` and ``sweep_start``; ``warnings`` lists everything doubtful;
    ``confidence`` (0–1) sums it up.  ``plot_quad_px`` is the plot frame (tl, tr, br, bl corners)
    in the original image's pixel coordinates (pixel centres at +0.5).
    """

    x_axis: AxisReport
    y_axis: AxisReport
    ocr_confidence: float
    coverage: tuple[float, ...]
    conventions: Mapping[str, Any]
    reference_electrode: str | None
    current_unit_read: bool
    warnings: tuple[str, ...]
    confidence: float
    plot_quad_px: tuple[tuple[float, float], ...]
    homography: tuple[float, ...]  # original pixel → rectified pixel (3×3, row-major)
    seconds: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "conventions", MappingProxyType(dict(self.conventions)))


@dataclass(frozen=True, slots=True)
class DigitizedFigure:
    """Voltammograms read back from a plot image.

    ``curves`` are SI, IUPAC-signed :class:`Voltammogram` records (technique guessed: CV for a
    closed loop, DPV for a peak on a flat baseline, LSV otherwise); ``legend_labels`` the legend
    text of each curve (None where there is no legend); ``uncertainty`` the per-point one-sigma
    error of each curve; ``digitization`` the report; ``noise`` the one-sigma noise of each
    curve's current as drawn (SI: A, or A/m² for densities), from the stroke's vertical jitter —
    the wobble of its centre line or the band its ink fills — 0 for a clean line.
    :meth:`pixel_to_data` and :meth:`data_to_pixel` map between the original image and the data.
    """

    curves: tuple[Voltammogram, ...]
    legend_labels: tuple[str | None, ...]
    uncertainty: tuple[PointUncertainty, ...]
    digitization: DigitizationReport
    source: str
    image_size: tuple[int, int]
    _map: Mapping[str, Any] = field(default_factory=dict, repr=False)
    noise: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_map", MappingProxyType(dict(self._map)))

    @property
    def confidence(self) -> float:
        return self.digitization.confidence

    def pixel_to_data(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """(potential V, IUPAC current A) at original-image pixel coordinates (pixel centres at
        i + 0.5, as in :class:`voltlens.render.PixelTransform`)."""
        hm = np.reshape(np.asarray(self.digitization.homography, dtype=float), (3, 3))
        x = np.asarray(x, dtype=float) - 0.5
        y = np.asarray(y, dtype=float) - 0.5
        w = hm[2, 0] * x + hm[2, 1] * y + hm[2, 2]
        u = (hm[0, 0] * x + hm[0, 1] * y + hm[0, 2]) / w
        v = (hm[1, 0] * x + hm[1, 1] * y + hm[1, 2]) / w
        m = self._map
        e = (m["x_intercept"] + m["x_slope"] * u) * m["x_scale"]
        i = (m["y_intercept"] + m["y_slope"] * v) * m["y_scale"] * m["y_sign"]
        return e, i

    def data_to_pixel(self, potential_V: Any, current_A: Any) -> tuple[np.ndarray, np.ndarray]:
        """Original-image pixel coordinates of data points (inverse of :meth:`pixel_to_data`)."""
        m = self._map
        u = (np.asarray(potential_V, dtype=float) / m["x_scale"] - m["x_intercept"]) / m["x_slope"]
        v = (np.asarray(current_A, dtype=float) / (m["y_scale"] * m["y_sign"]) - m["y_intercept"]) / m[
            "y_slope"
        ]
        hi = np.linalg.inv(np.reshape(np.asarray(self.digitization.homography, dtype=float), (3, 3)))
        u, v = np.broadcast_arrays(u, v)
        w = hi[2, 0] * u + hi[2, 1] * v + hi[2, 2]
        x = (hi[0, 0] * u + hi[0, 1] * v + hi[0, 2]) / w
        y = (hi[1, 0] * u + hi[1, 1] * v + hi[1, 2]) / w
        return x + 0.5, y + 0.5

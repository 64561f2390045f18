"""Read a voltammogram plot image back into data, with error bounds — no clicks.

>>> from voltlens.digitize import digitize, overlay
>>> fig = digitize("figure.png")                 # or an RGB array, or PNG/JPEG bytes
>>> [cv] = fig.curves                            # SI, IUPAC-signed Voltammogram records
>>> fig.digitization.confidence, fig.digitization.warnings
>>> picture = overlay(image, fig)                # the curves drawn back over the figure

The axes are calibrated from their tick labels (OCR with the ONNX models bundled in
``rapidocr``), the units and reference electrode from the axis titles, and the curves are
separated by colour, traced and ordered into sweeps.  Images that are not line plots of a
voltammogram, logarithmic axes, bar charts and corrupt or oversized files raise
:class:`~voltlens.errors.DigitizeError`: numbers are never made up.

Needs the ``image`` extra (opencv-python-headless, rapidocr, onnxruntime), imported lazily:
``import voltlens`` does not load them.
"""

from __future__ import annotations

from .image import MAX_PIXELS, load_image
from .overlay import overlay
from .pipeline import digitize
from .result import AxisReport, DigitizationReport, DigitizedFigure, PointUncertainty

__all__ = [
    "MAX_PIXELS",
    "AxisReport",
    "DigitizationReport",
    "DigitizedFigure",
    "PointUncertainty",
    "digitize",
    "load_image",
    "overlay",
]

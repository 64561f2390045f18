"""Real figures (D3TaLES matplotlib scatter CVs) against the data files behind them."""

from __future__ import annotations

import numpy as np
import pytest

from voltlens import Technique
from voltlens import io as vio
from voltlens.digitize import digitize, overlay

from .conftest import DATA, curve_error

FIGURES = sorted((DATA / "d3tales_11ODQC").glob("*_plot.png"))


@pytest.mark.parametrize("png", FIGURES, ids=lambda p: p.name)
def test_real_figure_matches_its_data(png) -> None:  # type: ignore[no-untyped-def]
    [truth] = vio.read(png.with_name(png.name.replace("_plot.png", ".csv")))
    result = digitize(png)
    assert len(result.curves) == 1
    [curve] = result.curves
    rep = result.digitization
    assert rep.x_axis.unit == "V" and rep.y_axis.unit == "A"
    assert curve.technique is Technique.CV
    xr = rep.x_axis.range_si[1] - rep.x_axis.range_si[0]
    yr = rep.y_axis.range_si[1] - rep.y_axis.range_si[0]
    err = curve_error((truth.potential, truth.current), (curve.potential, curve.current), xr, yr)
    assert err < 1.0, err  # within 1 % of the axis ranges (median distance, both ways)
    # peaks of the scatter: the largest anodic and cathodic currents at the right potentials
    assert (
        abs(curve.potential[np.argmax(curve.current)] - truth.potential[np.argmax(truth.current)]) < 0.02 * xr
    )
    assert (
        abs(curve.potential[np.argmin(curve.current)] - truth.potential[np.argmin(truth.current)]) < 0.02 * xr
    )
    assert rep.confidence > 0.5


def test_overlay_draws_on_a_copy() -> None:
    from PIL import Image

    png = FIGURES[0]
    image = np.asarray(Image.open(png).convert("RGB"))
    result = digitize(image)
    picture = overlay(image, result, peaks=[(0.63, 2.7e-4)])
    assert picture.shape == image.shape and picture.dtype == np.uint8
    assert (picture != image).any(axis=2).mean() > 0.005
    assert not np.shares_memory(picture, image)

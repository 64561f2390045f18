"""PixelTransform: exact, invertible, serialisable, composable."""

from __future__ import annotations

import json

import numpy as np
import pytest

from voltlens import ConfigError, ParameterError
from voltlens.render import PixelTransform


def _random_transform(rng: np.random.Generator) -> PixelTransform:
    h = np.eye(3) + rng.normal(0, [[0.02, 0.02, 3], [0.02, 0.02, 3], [1e-5, 1e-5, 0]])
    return PixelTransform(
        x_scale=float(rng.choice([-1, 1]) * rng.uniform(100, 2000)),
        x_offset=float(rng.uniform(-500, 1500)),
        y_scale=float(rng.choice([-1, 1]) * 10 ** rng.uniform(4, 11)),
        y_offset=float(rng.uniform(0, 1000)),
        width=640,
        height=480,
        homography=tuple(h.ravel()),
    )


@pytest.mark.parametrize("seed", range(6))
def test_round_trip_data_pixel_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = _random_transform(rng)
    e = rng.uniform(-1, 1, 500)
    i = rng.uniform(-1e-5, 1e-5, 500)
    x, y = t.to_pixel(e, i)
    e2, i2 = t.to_data(x, y)
    np.testing.assert_allclose(e2, e, rtol=0, atol=1e-12)
    np.testing.assert_allclose(i2, i, rtol=0, atol=1e-12 * np.abs(i).max())


def test_identity_homography_is_two_linear_maps() -> None:
    t = PixelTransform(x_scale=500.0, x_offset=100.0, y_scale=-2e6, y_offset=300.0, width=640, height=480)
    x, y = t.to_pixel([0.0, 0.1], [0.0, 1e-5])
    np.testing.assert_allclose(x, [100.0, 150.0])
    np.testing.assert_allclose(y, [300.0, 280.0])


def test_broadcasting_and_scalars() -> None:
    t = _random_transform(np.random.default_rng(1))
    x, y = t.to_pixel(np.zeros((3, 4)), 1e-6)
    assert x.shape == y.shape == (3, 4)
    xs, ys = t.to_pixel(0.2, -1e-6)
    assert np.ndim(xs) == 0 and np.isfinite(ys)


def test_then_composes_like_applying_each_warp() -> None:
    rng = np.random.default_rng(2)
    t = _random_transform(rng)
    m = np.array([[1.01, 0.02, -4.0], [-0.01, 0.99, 2.0], [1e-5, -2e-5, 1.0]])
    t2 = t.then(m, width=600, height=400)
    e, i = rng.uniform(-1, 1, 50), rng.uniform(-1e-5, 1e-5, 50)
    x, y = t.to_pixel(e, i)
    w = m[2, 0] * x + m[2, 1] * y + m[2, 2]
    expected_x = (m[0, 0] * x + m[0, 1] * y + m[0, 2]) / w
    expected_y = (m[1, 0] * x + m[1, 1] * y + m[1, 2]) / w
    x2, y2 = t2.to_pixel(e, i)
    np.testing.assert_allclose(x2, expected_x, atol=1e-9)
    np.testing.assert_allclose(y2, expected_y, atol=1e-9)
    assert (t2.width, t2.height) == (600, 400)


def test_to_dict_from_dict_round_trip() -> None:
    t = _random_transform(np.random.default_rng(3))
    back = PixelTransform.from_dict(json.loads(json.dumps(t.to_dict())))
    assert back == t


@pytest.mark.parametrize("bad", [{"x_scale": 0.0}, {"y_scale": float("nan")}, {"homography": (0.0,) * 9}])
def test_invalid_transforms_raise(bad: dict) -> None:
    args = {"x_scale": 1.0, "x_offset": 0.0, "y_scale": 1.0, "y_offset": 0.0, "width": 10, "height": 10}
    with pytest.raises(ParameterError):
        PixelTransform(**{**args, **bad})


def test_from_dict_missing_field_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="x_scale"):
        PixelTransform.from_dict({"x_offset": 0.0})

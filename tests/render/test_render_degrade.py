"""degrade(): photo/scan/web/screenshot looks with the transform carried through exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from render_checks import ink, ink_centroid
from render_fakes import fake_cv

from voltlens import ConfigError, ParameterError, Voltammogram
from voltlens.render import (
    DEGRADATION_KINDS,
    Degradation,
    Rendered,
    Style,
    degrade,
    encode_png,
    render,
    sample_degradation,
    sample_style,
)


@pytest.fixture(scope="module")
def grid_render() -> tuple[Rendered, np.ndarray, np.ndarray]:
    """Filled circles on a jittered grid: their ink centroids are their data points."""
    rng = np.random.default_rng(0)
    e = np.repeat(np.linspace(-0.5, 0.5, 8), 6) + rng.uniform(-0.01, 0.01, 48)
    i = np.tile(np.linspace(-1e-6, 1e-6, 6), 8) + rng.uniform(-2e-8, 2e-8, 48)
    style = Style(draw_mode="markers", markers=("o",), marker_size=7.0, colors=("#000000",), dpi=100)
    return render([Voltammogram(e, i)], style), e, i


def _centroid_errors(r: Rendered, e: np.ndarray, i: np.ndarray, radius: int) -> np.ndarray:
    weights = ink(r.image, "#ffffff")
    x, y = r.transform.to_pixel(e, i)
    quad = np.array(r.meta["axes_quad_px"])
    errs = []
    for k in range(e.size):
        # well inside the (warped) axes box, away from the spines
        if not (quad[:, 0].min() + 3 * radius < x[k] < quad[:, 0].max() - 3 * radius):
            continue
        if not (quad[:, 1].min() + 3 * radius < y[k] < quad[:, 1].max() - 3 * radius):
            continue
        cx, cy = ink_centroid(weights, x[k], y[k], radius)
        errs.append((cx - x[k], cy - y[k]))
    assert len(errs) >= 10
    return np.abs(np.array(errs))


GEOMETRIC = [
    Degradation(crop=(0.5, 0.3, 1.0, 0.8)),
    Degradation(scale=0.7, resample="bilinear"),
    Degradation(scale=1.6, resample="bicubic"),
    Degradation(scale=0.55, rescale_back=True, resample="lanczos"),
    Degradation(rotation_deg=2.5),
    Degradation(
        rotation_deg=-3.0, zoom=0.85, perspective=(0.02, -0.01, -0.02, 0.015, 0.01, -0.02, -0.015, 0.02)
    ),
    Degradation(crop=(1.0, 1.0, 1.0, 1.0), rotation_deg=1.0, zoom=0.9, scale=0.8, blur_sigma=0.8),
]


@pytest.mark.parametrize("spec", GEOMETRIC, ids=range(len(GEOMETRIC)))
def test_markers_stay_centred_on_the_transformed_data_points(grid_render, spec: Degradation) -> None:
    r, e, i = grid_render
    d = degrade(r, spec, rng=np.random.default_rng(0))
    errs = _centroid_errors(d, e, i, radius=int(6 * spec.scale) + 3)
    # resampling and a perspective's foreshortening move an ink centroid by a few hundredths
    assert errs.max() < 0.15


def test_a_half_pixel_error_in_the_warp_would_be_caught(grid_render) -> None:
    r, e, i = grid_render
    d = degrade(r, Degradation(rotation_deg=2.0), rng=np.random.default_rng(0))
    half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1.0]])
    shifted = Rendered(
        d.image, d.transform.then(half, width=d.transform.width, height=d.transform.height), d.style, d.meta
    )
    assert _centroid_errors(shifted, e, i, radius=9).max() > 0.4


def test_identity_changes_nothing_but_the_record(grid_render) -> None:
    r, _, _ = grid_render
    d = degrade(r, Degradation(), rng=np.random.default_rng(0))
    assert np.array_equal(d.image, r.image)
    assert d.transform == r.transform
    assert d.meta["degradations"] == [Degradation().to_dict()]


def _on_ink(image: np.ndarray, x: np.ndarray, y: np.ndarray, *, radius: int = 1) -> np.ndarray:
    """Is the point on ink: a pixel in its neighbourhood clearly darker/differently coloured than
    the median of a 21 × 21 window (the local paper, whatever the tint and light)?"""
    H, W = image.shape[:2]
    img = image.astype(float)
    out = np.zeros(len(x), dtype=bool)
    for k, (xf, yf) in enumerate(zip(x, y, strict=True)):
        i, j = int(np.floor(xf)), int(np.floor(yf))
        if not (10 <= i < W - 10 and 10 <= j < H - 10):
            continue
        local = np.median(img[j - 10 : j + 11, i - 10 : i + 11].reshape(-1, 3), axis=0)
        near = img[j - radius : j + radius + 1, i - radius : i + radius + 1]
        out[k] = bool((np.abs(near - local).max(axis=2) > 40).any())
    return out


@pytest.mark.parametrize("seed", range(8))
def test_curves_stay_on_their_pixels_through_random_degradations(seed: int) -> None:
    rng = np.random.default_rng(seed)
    curve = fake_cv(rng, n_per_sweep=200)
    kind = DEGRADATION_KINDS[1 + seed % 4]
    style = sample_style(
        rng,
        overrides={
            "line_width": 2.0,
            "draw_mode": "line",
            "line_styles": ("-",),
            "theme": "light",
            "legend": "none",
        },
    )
    spec = sample_degradation(rng, kind=kind)
    d = degrade(render([curve], style), spec, rng=rng)
    idx = np.arange(10, curve.n_points - 10, 5)
    x, y = d.transform.to_pixel(curve.potential[idx], curve.current[idx])
    quad = np.array(d.meta["axes_quad_px"])
    keep = (
        (x > quad[:, 0].min() + 6)
        & (x < quad[:, 0].max() - 6)
        & (y > quad[:, 1].min() + 6)
        & (y < quad[:, 1].max() - 6)
    )
    hits = _on_ink(d.image, x[keep], y[keep])
    assert hits.mean() > 0.9
    assert _on_ink(d.image, x[keep], y[keep] + 12).mean() < 0.6


@pytest.mark.parametrize("seed", range(6))
def test_metadata_positions_follow_the_warp(seed: int) -> None:
    rng = np.random.default_rng(seed)
    style = sample_style(rng, overrides={"width_in": 4.0, "height_in": 3.0, "dpi": 100})
    r = render([fake_cv(rng, n_per_sweep=100)], style)
    d = degrade(r, sample_degradation(rng, kind="photo"), rng=rng)
    xa, ya = d.meta["x_axis"], d.meta["y_axis"]
    sign = -1 if ya["negated"] else 1
    corners_e = np.array(xa["limits"]) * xa["scale"]
    corners_i = np.array(ya["limits"]) * ya["scale"] * sign
    predicted = np.array(
        [
            [float(c) for c in d.transform.to_pixel(corners_e[a], corners_i[b])]
            for a, b in ((0, 1), (1, 1), (1, 0), (0, 0))
        ]
    )
    assert {tuple(np.round(p, 6)) for p in predicted} == {
        tuple(np.round(p, 6)) for p in d.meta["axes_quad_px"]
    }
    at_zero = style.xaxis_at_zero and ya["limits"][0] < 0 < ya["limits"][1]
    axis_i = 0.0 if at_zero else corners_i[0]
    left_e = corners_e[1] if xa["inverted"] else corners_e[0]
    for t in xa["ticks"]:
        assert np.allclose(d.transform.to_pixel(t["data_si"], axis_i), t["px"], atol=1e-6)
    for t in ya["ticks"]:
        assert np.allclose(d.transform.to_pixel(left_e, t["data_si"]), t["px"], atol=1e-6)
    W, H = d.meta["image_size"]
    assert (W, H) == (d.image.shape[1], d.image.shape[0]) == (d.transform.width, d.transform.height)
    q = np.array(d.meta["axes_quad_px"])
    assert (q[:, 0] >= 0).all() and (q[:, 0] <= W).all() and (q[:, 1] >= 0).all() and (q[:, 1] <= H).all()


def test_crop_keeps_everything_drawn() -> None:
    rng = np.random.default_rng(3)
    r = render([fake_cv(rng, n_per_sweep=100)], Style(width_in=4, height_in=3, title="CV", panel_label="(a)"))
    d = degrade(r, Degradation(crop=(1.0, 1.0, 1.0, 1.0)), rng=rng)
    W, H = d.meta["image_size"]
    assert W < r.meta["image_size"][0] and H < r.meta["image_size"][1]
    h = d.transform.matrix
    assert np.allclose(h[:, :2], [[1, 0], [0, 1], [0, 0]])  # a pure translation
    left, top = round(-h[0, 2]), round(-h[1, 2])
    assert np.array_equal(d.image, r.image[top : top + H, left : left + W])
    x0, y0, x1, y1 = d.meta["content_box_px"]
    assert x0 >= 0 and y0 >= 0 and x1 <= W and y1 <= H


def test_degradation_is_deterministic_given_the_rng(grid_render) -> None:
    r, _, _ = grid_render
    spec = sample_degradation(np.random.default_rng(1), kind="photo")
    a = degrade(r, spec, rng=np.random.default_rng(5))
    b = degrade(r, spec, rng=np.random.default_rng(5))
    c = degrade(r, spec, rng=np.random.default_rng(6))
    assert encode_png(a.image) == encode_png(b.image)
    assert a.transform == b.transform == c.transform
    assert not np.array_equal(a.image, c.image)  # the noise differs


def test_jpeg_changes_pixels_not_geometry(grid_render) -> None:
    r, _, _ = grid_render
    d = degrade(r, Degradation(jpeg_quality=30), rng=np.random.default_rng(0))
    assert d.transform == r.transform
    assert d.image.shape == r.image.shape
    assert not np.array_equal(d.image, r.image)


def test_sample_degradation_reaches_every_kind_and_round_trips() -> None:
    rng = np.random.default_rng(2)
    specs = [sample_degradation(rng) for _ in range(200)]
    assert {s.kind for s in specs} == set(DEGRADATION_KINDS)
    for s in specs[:20]:
        assert Degradation.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    photos = [s for s in specs if s.kind == "photo"]
    assert all(abs(s.rotation_deg) <= 3 and s.warps and s.jpeg_quality is not None for s in photos)


def test_invalid_degradations_raise() -> None:
    with pytest.raises(ParameterError, match="rotation_deg"):
        Degradation(rotation_deg=45.0)
    with pytest.raises(ParameterError, match="jpeg_quality"):
        Degradation(jpeg_quality=101)
    with pytest.raises(ParameterError, match="kind"):
        sample_degradation(np.random.default_rng(0), kind="fax")
    with pytest.raises(ConfigError, match="blurr"):
        Degradation.from_dict({"blurr": 1.0})


def test_small_images_are_not_shrunk_below_240_px() -> None:
    r = render(
        [fake_cv(np.random.default_rng(4), n_per_sweep=60)], Style(width_in=4.0, height_in=3.0, dpi=80)
    )
    d = degrade(r, Degradation(scale=0.3, rotation_deg=1.0), rng=np.random.default_rng(0))
    assert min(d.image.shape[:2]) >= 239
    assert d.meta["degradations"][-1]["scale"] == pytest.approx(240 / 240)

"""render(): exact geometry, labels that agree with the transform, determinism, hygiene.

Truths are independent of the renderer's own bookkeeping: ink centroids and colours in the
image, and the tick/axis label *text* read back with a small reader (render_checks) that parses
units with voltlens.units.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import logging
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.figure import Figure
from render_checks import colour_hits, hex_rgb, ink, ink_centroid, read_number, read_offset, read_unit
from render_fakes import fake_cv, fake_dpv, fake_series

from voltlens import DataError, ParameterError, Voltammogram
from voltlens.render import Rendered, Style, encode_png, render, sample_style
from voltlens.render.style import CURRENT_LABELS, DENSITY_LABELS, FONT_FAMILIES, POTENTIAL_LABELS

SMALL = {"width_in": 5.0, "height_in": 3.75, "dpi": 96}


def _line(points: list[tuple[float, float]]) -> Voltammogram:
    e, i = zip(*points, strict=True)
    return Voltammogram(np.array(e), np.array(i), reference_electrode="SCE")


# ---- geometry -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dpi", "lw", "us"),
    [(72, 1.0, False), (100, 1.5, True), (150, 2.0, False), (300, 0.8, True)],
)
def test_lines_are_rasterised_through_the_transform_to_a_tenth_of_a_pixel(
    dpi: int, lw: float, us: bool
) -> None:
    a, b = (-0.3, -2e-6), (0.6, 7e-6)
    style = Style(
        dpi=dpi,
        width_in=640 / dpi,
        height_in=480 / dpi,
        line_width=lw,
        colors=("#000000",),
        invert_potential=us,
        negate_current=us,
    )
    r = render([_line([a, b])], style)
    weights = ink(r.image, style.axes_background)
    (xa, xb), _ = r.transform.to_pixel([a[0], b[0]], [a[1], b[1]])
    errors = []
    for col in range(int(min(xa, xb)) + 5, int(max(xa, xb)) - 5, 5):
        e_at = r.transform.to_data(col + 0.5, 0.0)[0]
        i_at = a[1] + (e_at - a[0]) * (b[1] - a[1]) / (b[0] - a[0])
        y = float(r.transform.to_pixel(e_at, i_at)[1])
        rows = np.arange(int(y) - 10, int(y) + 11)
        w = weights[rows, col]
        errors.append((w * (rows + 0.5)).sum() / w.sum() - y)
    assert len(errors) > 40
    assert np.max(np.abs(errors)) < 0.1


@pytest.mark.parametrize(
    ("dpi", "marker", "us"),
    [(72, "o", False), (96, "s", True), (150, "D", False), (300, "o", True), (200, "^", False)],
)
def test_markers_are_centred_on_their_data_points(dpi: int, marker: str, us: bool) -> None:
    rng = np.random.default_rng(dpi)  # a jittered 7 × 5 grid: separated markers, sub-pixel offsets
    e = np.repeat(np.linspace(-0.5, 0.5, 7), 5) + rng.uniform(-0.01, 0.01, 35)
    i = np.tile(np.linspace(-1e-6, 1e-6, 5), 7) + rng.uniform(-2e-8, 2e-8, 35)
    style = Style(
        dpi=dpi,
        width_in=640 / dpi,
        height_in=480 / dpi,
        draw_mode="markers",
        markers=(marker,),
        marker_size=9.0 * 72 / dpi,  # ~9 px whatever the dpi
        colors=("#d62728",),
        invert_potential=us,
        negate_current=us,
    )
    r = render([Voltammogram(e, i)], style)
    weights = ink(r.image, style.axes_background)
    x, y = r.transform.to_pixel(e, i)
    radius = 7
    x0, y0, x1, y1 = r.meta["axes_box_px"]
    checked = 0
    for k in range(e.size):
        dist = np.hypot(x - x[k], y - y[k])
        dist[k] = np.inf
        inside = x0 + 2 * radius < x[k] < x1 - 2 * radius and y0 + 2 * radius < y[k] < y1 - 2 * radius
        if dist.min() < 2.5 * radius or not inside:
            continue
        cx, cy = ink_centroid(weights, x[k], y[k], radius)
        # ^ and D are symmetric left-right only; their vertical centroid is not the data point
        assert abs(cx - x[k]) < 0.05
        if marker in ("o", "s", "D"):
            assert abs(cy - y[k]) < 0.05
        checked += 1
    assert checked >= 5


def _alpha_hits(r: Rendered, e: np.ndarray, i: np.ndarray, color: str, *, shift: float = 0.0) -> np.ndarray:
    """Points whose 3×3 neighbourhood (the marker's for hollow markers) holds a pixel at least
    half-way from the background to the series colour (fainter for lines thinner than a pixel)."""
    style = r.style
    lw_px = style.line_width * style.dpi / 72 if style.draw_mode != "markers" else 2.0
    d_bg = np.abs(hex_rgb(style.axes_background) - hex_rgb(color)).max()
    tol = d_bg * (1 - 0.5 * min(1.0, lw_px))
    x, y = r.transform.to_pixel(e, i)
    radius = 1
    if style.draw_mode == "markers" and style.marker_fill == "none":  # hollow markers: ink on the outline
        radius = int(np.ceil(style.marker_size * style.dpi / 72 / 2)) + 1
    return colour_hits(r.image, x, y + shift, color, radius=radius, tol=tol)


def _visible_points(r: Rendered, e: np.ndarray, i: np.ndarray) -> np.ndarray:
    x, y = r.transform.to_pixel(e, i)
    x0, y0, x1, y1 = r.meta["axes_box_px"]
    keep = (x > x0 + 3) & (x < x1 - 3) & (y > y0 + 3) & (y < y1 - 3)
    for key in ("legend_box_px", "panel_box_px", "title_box_px"):
        box = r.meta.get(key)
        if box:
            bx0, by0, bx1, by1 = box
            keep &= ~((x > bx0 - 3) & (x < bx1 + 3) & (y > by0 - 3) & (y < by1 + 3))
    return keep


POINT_CASES = [
    (0, {}),
    (1, {}),
    (2, {"theme": "dark"}),
    (3, {"draw_mode": "markers"}),
    (4, {"invert_potential": True, "negate_current": True}),
    (5, {"theme": "excel"}),
    (6, {"theme": "custom"}),
    (7, {"theme": "chi", "antialiased": False}),
    (8, {"draw_mode": "line+markers", "theme": "origin"}),
    (9, {"theme": "paper", "scan_arrow": True}),
]


@pytest.mark.parametrize(("seed", "overrides"), POINT_CASES)
def test_data_points_land_on_pixels_of_their_colour(seed: int, overrides: dict) -> None:
    rng = np.random.default_rng(seed)
    curve = fake_cv(rng, n_per_sweep=250)
    # solid lines: a dash pattern's gaps are not a transform error
    style = sample_style(
        rng, n_curves=1, overrides={"split_cycles": False, "line_styles": ("-",), **overrides}
    )
    r = render([curve], style)
    color = r.meta["curves"][0]["color"]
    idx = np.arange(0, curve.n_points, style.marker_every if style.draw_mode == "markers" else 3)
    e, i = curve.potential[idx], curve.current[idx]
    keep = _visible_points(r, e, i)
    assert keep.sum() > 20
    hits = _alpha_hits(r, e[keep], i[keep], color)
    assert hits.mean() > 0.97
    # the check discriminates: the same points moved 8 px off the curve mostly miss
    lw_px = style.line_width * style.dpi / 72
    shift = 8 + lw_px + (style.marker_size * style.dpi / 72 if style.draw_mode == "markers" else 0)
    assert _alpha_hits(r, e[keep], i[keep], color, shift=shift).mean() < 0.6


def test_overlaid_series_each_land_on_their_own_colour() -> None:
    rng = np.random.default_rng(11)
    curves = fake_series(rng, 4)
    style = Style(
        **SMALL, legend="inside", palette="okabe_ito", colors=("#000000", "#e69f00", "#56b4e9", "#009e73")
    )
    r = render(curves, style)
    for curve, info in zip(curves, r.meta["curves"], strict=True):
        e, i = curve.potential[::4], curve.current[::4]
        keep = _visible_points(r, e, i)
        # later series are drawn over earlier ones where they cross; most points still show
        assert _alpha_hits(r, e[keep], i[keep], info["color"]).mean() > 0.85


# ---- axes, ticks and labels agree with the transform ---------------------------------------------

TICK_CASES = [
    (10, {}),
    (11, {"current_unit": "A", "current_tick_format": "plain", "offset_style": "plain"}),
    (12, {"current_unit": "A", "current_tick_format": "plain", "offset_style": "math"}),
    (13, {"current_unit": "A", "current_tick_format": "plain", "offset_style": "in_label"}),
    (14, {"current_unit": "A", "current_tick_format": "E", "decimal_comma": True}),
    (15, {"invert_potential": True, "negate_current": True, "potential_unit": "mV"}),
    (16, {"theme": "origin", "decimal_comma": True, "unicode_minus": True}),
    (17, {"theme": "nova"}),
    (18, {"theme": "eclab", "tick_direction": "in"}),
    (19, {"theme": "custom"}),
    (20, {"tick_direction": "inout", "minor_ticks": True}),
    (21, {"theme": "excel", "xaxis_at_zero": True}),
]


def _reader_si(r: Rendered) -> tuple[list[tuple[float, list[float]]], list[tuple[float, list[float]]]]:
    """(SI value, pixel) of every major tick, reading only the text a person sees."""
    xa, ya = r.meta["x_axis"], r.meta["y_axis"]
    xs, xm = read_unit(xa["title_text"])
    ys, ym = read_unit(ya["title_text"])
    offset = read_offset(ya["offset_text"])
    sign = -1.0 if ya["negated"] else 1.0
    x_ticks = [(read_number(t["text"]) * xs * xm, t["px"]) for t in xa["ticks"]]
    y_ticks = [(sign * read_number(t["text"]) * offset * ym * ys, t["px"]) for t in ya["ticks"]]
    return x_ticks, y_ticks


@pytest.mark.parametrize(("seed", "overrides"), TICK_CASES)
def test_tick_labels_read_back_to_where_the_transform_puts_them(seed: int, overrides: dict) -> None:
    rng = np.random.default_rng(seed)
    curves = [fake_cv(rng, density=seed % 4 == 0)] if seed % 3 else fake_series(rng, 3)
    style = sample_style(rng, n_curves=len(curves), overrides=overrides)
    r = render(curves, style)
    x_ticks, y_ticks = _reader_si(r)
    assert len(x_ticks) >= 2 and len(y_ticks) >= 2
    for value, (px, _) in x_ticks:
        assert abs(float(r.transform.to_pixel(value, 0.0)[0]) - px) < 0.5
    for value, (_, py) in y_ticks:
        assert abs(float(r.transform.to_pixel(0.0, value)[1]) - py) < 0.5
    # ...and the axes box predicted from the limits is where the metadata says it is
    lims_x, lims_y = r.meta["x_axis"]["limits"], r.meta["y_axis"]["limits"]
    sx, sy = r.meta["x_axis"]["scale"], r.meta["y_axis"]["scale"] * (-1 if style.negate_current else 1)
    px, py = r.transform.to_pixel(np.array(lims_x) * sx, np.array(lims_y) * sy)
    x0, y0, x1, y1 = r.meta["axes_box_px"]
    assert sorted(px.tolist()) == pytest.approx([x0, x1], abs=1e-6)
    assert sorted(py.tolist()) == pytest.approx([y0, y1], abs=1e-6)


@pytest.mark.parametrize(
    "overrides",
    [
        {"tick_direction": "out"},
        {"tick_direction": "in", "grid": "none"},
        {"tick_direction": "inout", "dpi": 150, "width_in": 4.0, "height_in": 3.0},
        {
            "tick_direction": "out",
            "invert_potential": True,
            "negate_current": True,
            "dpi": 72,
            "width_in": 8.0,
        },
    ],
)
def test_tick_marks_and_spines_are_drawn_where_the_transform_predicts(overrides: dict) -> None:
    style = Style(major_tick_length=6.0, tick_width=1.0, spine_width=1.0, **{**SMALL, **overrides})
    r = render([fake_cv(np.random.default_rng(5))], style)
    x0, _, x1, y1 = r.meta["axes_box_px"]
    weights = ink(r.image, style.background)
    L = style.major_tick_length * style.dpi / 72
    half = style.spine_width * style.dpi / 72 / 2 + 1
    if style.tick_direction == "in":
        band = np.arange(int(y1 - L + 1), int(y1 - half))
    else:
        band = np.arange(int(y1 + half + 1), int(y1 + L * (0.5 if style.tick_direction == "inout" else 1.0)))
    assert band.size >= 2
    checked = 0
    for tick in r.meta["x_axis"]["ticks"]:
        x = tick["px"][0]
        if min(x - x0, x1 - x) < 4:
            continue
        cols = np.arange(int(x) - 3, int(x) + 4)
        w = weights[np.ix_(band, cols)].sum(axis=0)
        assert abs((w * (cols + 0.5)).sum() / w.sum() - x) <= 0.5
        checked += 1
    assert checked >= 3
    # left spine: ink centroid across it, on rows away from ticks, sits on the box edge
    ticks = r.meta["y_axis"]["ticks"]
    rows = [int((a["px"][1] + b["px"][1]) / 2) for a, b in itertools.pairwise(ticks)]
    cols = np.arange(int(x0) - 3, int(x0) + 4)
    centroids = [(weights[j, cols] * (cols + 0.5)).sum() / weights[j, cols].sum() for j in rows]
    assert abs(np.median(centroids) - x0) <= 0.5


def _template_cases() -> list[tuple[str, str, str]]:
    n = max(len(POTENTIAL_LABELS), len(CURRENT_LABELS), len(DENSITY_LABELS))
    return [
        (
            POTENTIAL_LABELS[k % len(POTENTIAL_LABELS)],
            CURRENT_LABELS[k % len(CURRENT_LABELS)],
            DENSITY_LABELS[k % len(DENSITY_LABELS)],
        )
        for k in range(n)
    ]


@pytest.mark.parametrize(("k", "templates"), list(enumerate(_template_cases())))
def test_every_axis_title_template_reads_back_to_the_scaling_used(
    k: int, templates: tuple[str, str, str]
) -> None:
    potential_label, current_label, density_label = templates
    rng = np.random.default_rng(100 + k)
    curve = fake_cv(rng, n_per_sweep=120, density=k % 3 == 0, reference=("Ag/AgCl", "Fc/Fc+", None)[k % 3])
    style = Style(
        **SMALL,
        potential_label=potential_label,
        current_label=current_label,
        density_label=density_label,
        potential_unit=("V", "mV")[k % 2],
        current_unit=("auto", "A")[(k // 2) % 2],
        micro=("µ", "μ", "$\\mu$", "u")[k % 4],
        offset_style=("plain", "math", "in_label")[k % 3],
        font_family=FONT_FAMILIES[k % len(FONT_FAMILIES)],
        math_fontset=("dejavusans", "dejavuserif", "stix", "stixsans", "cm")[k % 5],
    )
    r = render([curve], style)
    x_ticks, y_ticks = _reader_si(r)
    for value, (px, _) in x_ticks:
        assert abs(float(r.transform.to_pixel(value, 0.0)[0]) - px) < 0.5
    for value, (_, py) in y_ticks:
        assert abs(float(r.transform.to_pixel(0.0, value)[1]) - py) < 0.5
    if curve.reference_electrode and "{vs}" in potential_label:
        assert curve.reference_electrode in r.meta["x_axis"]["title_text"]


def test_us_convention_runs_potential_leftwards_and_cathodic_current_up() -> None:
    curve = fake_cv(np.random.default_rng(2))
    r = render([curve], Style(**SMALL, invert_potential=True, negate_current=True))
    (xa, xb), (ya, yb) = r.transform.to_pixel([0.0, 0.1], [-1e-6, 1e-6])
    assert xa > xb  # more positive potential further left
    assert ya < yb  # cathodic (negative) current higher up
    left_to_right = sorted(r.meta["x_axis"]["ticks"], key=lambda t: t["px"][0])
    labels = [read_number(t["text"]) for t in left_to_right]
    assert labels == sorted(labels, reverse=True)
    assert r.meta["convention"] == "US"


def test_si_amperes_get_an_offset_text_or_a_multiplier_in_the_title() -> None:
    curve = fake_cv(np.random.default_rng(4))
    big = float(np.abs(curve.current).max())
    for offset_style in ("plain", "math", "in_label"):
        r = render([curve], Style(**SMALL, current_unit="A", offset_style=offset_style))
        y = r.meta["y_axis"]
        mult = read_offset(y["offset_text"]) * read_unit(y["title_text"])[1]
        assert 1 <= big / mult < 1e4  # labels show small numbers times 10^k
        assert bool(y["offset_text"]) == (offset_style != "in_label")


def test_decimal_comma_and_hyphen_minus() -> None:
    curve = fake_cv(np.random.default_rng(6))
    r = render([curve], Style(**SMALL, decimal_comma=True, unicode_minus=False, potential_unit="V"))
    texts = [t["text"] for t in r.meta["x_axis"]["ticks"] + r.meta["y_axis"]["ticks"]]
    assert not any("." in t or "−" in t for t in texts)
    assert any("," in t for t in texts)


# ---- legend, series ----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["inside", "outside_right", "outside_top", "below"])
def test_legend_placement_and_labels(where: str) -> None:
    curves = fake_series(np.random.default_rng(8), 3)
    labels = ["10 mV/s", "0.5 mM", "cycle 2"]
    r = render(curves, Style(**SMALL, legend=where), labels=labels)
    assert [c["label"] for c in r.meta["curves"]] == labels
    lx0, ly0, lx1, ly1 = r.meta["legend_box_px"]
    x0, y0, x1, y1 = r.meta["axes_box_px"]
    W, H = r.meta["image_size"]
    assert 0 <= lx0 < lx1 <= W and 0 <= ly0 < ly1 <= H
    if where == "inside":
        assert x0 <= lx0 and lx1 <= x1 and y0 <= ly0 and ly1 <= y1
    elif where == "outside_right":
        assert lx0 > x1
    elif where == "outside_top":
        assert ly1 < y0
    else:
        assert ly0 > y1
    box = r.image[int(ly0) : int(ly1), int(lx0) : int(lx1)]
    for info in r.meta["curves"]:
        assert (np.abs(box.astype(float) - hex_rgb(info["color"])).max(axis=2) < 30).any()


def test_auto_labels_from_scan_rates_and_cycles() -> None:
    curves = fake_series(np.random.default_rng(9), 3)
    r = render(curves, Style(**SMALL, legend="inside", rate_format="{v} mV s⁻¹"))
    rates = sorted(c.scan_rate for c in curves)
    assert [c["label"] for c in r.meta["curves"]] == [f"{v * 1e3:g} mV s⁻¹" for v in rates]
    cyc = fake_cv(np.random.default_rng(9), cycles=3)
    r = render([cyc], Style(**SMALL, legend="inside", split_cycles=True, cycle_format="Cycle {n}"))
    assert [c["label"] for c in r.meta["curves"]] == ["Cycle 1", "Cycle 2", "Cycle 3"]
    assert len({c["color"] for c in r.meta["curves"]}) == 3


def test_dpv_and_density_curves_render() -> None:
    rng = np.random.default_rng(12)
    r = render([fake_dpv(rng)], Style(**SMALL))
    assert r.meta["y_axis"]["quantity"] == "current"
    r = render([fake_cv(rng, density=True)], Style(**SMALL))
    assert r.meta["y_axis"]["quantity"] == "current_density"
    assert "cm" in r.meta["y_axis"]["title_text"]


# ---- errors ------------------------------------------------------------------------------------


def test_bad_inputs_raise_voltlens_errors() -> None:
    rng = np.random.default_rng(0)
    cv = fake_cv(rng)
    with pytest.raises(ParameterError, match="curves"):
        render([], Style())
    with pytest.raises(ParameterError, match="labels"):
        render([cv, cv], Style(), labels=["one"])
    with pytest.raises(DataError, match="densit"):
        render([cv, fake_cv(rng, density=True)], Style())
    with pytest.raises(ParameterError, match="text leaves too little room"):
        render([cv], Style(width_in=2.0, height_in=1.5, dpi=80, tick_font_size=24, label_font_size=30))


# ---- determinism and hygiene ---------------------------------------------------------------------


def test_same_inputs_give_byte_identical_images_whatever_ran_before_and_the_rc_params() -> None:
    rng = np.random.default_rng(13)
    curves = fake_series(rng, 2)
    style = sample_style(rng, n_curves=2)
    first = encode_png(render(curves, style).image)
    render([fake_cv(rng)], sample_style(rng, overrides={"theme": "dark"}))  # something else in between
    with mpl.rc_context(
        {"lines.linewidth": 5, "font.size": 22, "axes.unicode_minus": False, "path.simplify": False}
    ):
        again = encode_png(render(curves, style).image)
    assert again == first


def test_no_matplotlib_warnings_for_any_font_and_math_combination(caplog: pytest.LogCaptureFixture) -> None:
    rng = np.random.default_rng(14)
    curves = fake_series(rng, 2, density=True)
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        for k, family in enumerate(FONT_FAMILIES):
            style = Style(
                **SMALL,
                font_family=family,
                math_fontset=("dejavusans", "dejavuserif", "stix", "stixsans", "cm", "cm")[k],
                label_weight="bold",
                potential_label="$E$ / {unit}{vs}",
                density_label="$j$ / {unit}",
                density_unit="{p}A cm$^{{-2}}$",
                micro="μ",
                rate_format="{v} mV·s⁻¹",
                legend="inside",
                current_unit="A",
                offset_style=("math", "in_label")[k % 2],
                title="Cyclic voltammogram · 25 °C",
                panel_label="(a)",
            )
            render(curves, style)
    assert not [rec.getMessage() for rec in caplog.records]


def test_figures_are_released() -> None:
    rng = np.random.default_rng(15)
    curve = fake_cv(rng, n_per_sweep=100)
    render([curve], Style(**SMALL))
    gc.collect()
    before = sum(isinstance(o, Figure) for o in gc.get_objects())
    for _ in range(10):
        render([curve], sample_style(rng))
    gc.collect()
    assert sum(isinstance(o, Figure) for o in gc.get_objects()) <= before


def test_rendered_is_read_only_with_the_style_size() -> None:
    style = Style(width_in=4.0, height_in=3.0, dpi=123)
    r = render([fake_cv(np.random.default_rng(16), n_per_sweep=80)], style)
    assert r.image.shape == (style.pixel_size[1], style.pixel_size[0], 3)
    assert r.image.dtype == np.uint8
    assert not r.image.flags.writeable
    assert r.meta["image_size"] == list(style.pixel_size)
    with pytest.raises(TypeError):
        r.meta["image_size"] = [1, 1]  # type: ignore[index]


def test_unlabelled_series_stay_out_of_the_legend() -> None:
    curves = fake_series(np.random.default_rng(17), 3)
    r = render(curves, Style(**SMALL, legend="inside"), labels=["", "0.5 mM", ""])
    assert [c["label"] for c in r.meta["curves"]] == [None, "0.5 mM", None]
    assert r.meta["legend_box_px"] is not None
    r = render(curves, Style(**SMALL, legend="inside"), labels=["", "", ""])
    assert r.meta["legend_box_px"] is None


def test_rendered_never_freezes_the_callers_array() -> None:
    r = render([fake_cv(np.random.default_rng(18), n_per_sweep=60)], Style(**SMALL))
    mine = np.zeros_like(r.image)
    Rendered(mine, r.transform, r.style, r.meta)
    assert mine.flags.writeable


_CHILD = """
import hashlib, sys
import numpy as np
sys.path.insert(0, {here!r})
from render_fakes import fake_series
from voltlens.render import encode_png, render, sample_style
for seed in (21, 22, 23):
    rng = np.random.default_rng(seed)
    curves = fake_series(rng, 2)
    print(hashlib.sha256(encode_png(render(curves, sample_style(rng, n_curves=2)).image)).hexdigest())
"""


def test_a_fresh_process_draws_the_same_bytes() -> None:
    """What the synth workers rely on: no state of this process leaks into the pixels."""
    here = str(Path(__file__).parent)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD.format(here=here)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    mine = []
    for seed in (23, 21, 22):  # another order than the child's
        rng = np.random.default_rng(seed)
        curves = fake_series(rng, 2)
        digest = hashlib.sha256(encode_png(render(curves, sample_style(rng, n_curves=2)).image)).hexdigest()
        mine.append((seed, digest))
    assert [d for _, d in sorted(mine)] == out

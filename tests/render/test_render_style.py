"""Style records and the random style sampler (no rendering here: cheap)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from voltlens import ConfigError, ParameterError
from voltlens.render import (
    FONT_FAMILIES,
    NOT_SAMPLED,
    OPTIONS,
    PALETTES,
    THEMES,
    Style,
    available_fonts,
    palette_colors,
    sample_style,
)
from voltlens.render.style import LINE_STYLES, MARKERS

N_DRAWS = 600


@pytest.fixture(scope="module")
def draws() -> list[Style]:
    rng = np.random.default_rng(20240611)
    return [sample_style(rng, n_curves=int(rng.integers(1, 6))) for _ in range(N_DRAWS)]


def test_default_style_is_matplotlibs_plain_look() -> None:
    s = Style()
    assert s.pixel_size == (640, 480)
    assert s.convention == "IUPAC"
    assert s.colors[0] == "#1f77b4"


@pytest.mark.parametrize("seed", range(8))
def test_to_dict_from_dict_round_trip_through_json(seed: int) -> None:
    style = sample_style(np.random.default_rng(seed), n_curves=3)
    back = Style.from_dict(json.loads(json.dumps(style.to_dict())))
    assert back == style


def test_from_dict_rejects_unknown_fields_and_bad_values() -> None:
    with pytest.raises(ConfigError, match="colour_scheme"):
        Style.from_dict({"colour_scheme": "x"})
    with pytest.raises(ConfigError, match="tick_direction='sideways'"):
        Style.from_dict({"tick_direction": "sideways"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dpi", 30),
        ("dpi", 400),
        ("dpi", 100.5),
        ("theme", "neon"),
        ("font_family", "No Such Font Family"),
        ("colors", ("#12345",)),
        ("colors", ()),
        ("markers", ("Q",)),
        ("spines", "tb"),
        ("ticks", "lbx"),
        ("potential_label", "E / V"),
        ("potential_label", "E / {unit} {ref}"),
        ("margins", (0.1, 0.1, 0.1)),
        ("panel_label", ""),
        ("background", "white"),
        ("minor_ticks", 1),
    ],
)
def test_invalid_fields_raise_parameter_error_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ParameterError) as info:
        Style(**{field: value})
    assert info.value.name == field


def test_image_size_is_bounded() -> None:
    with pytest.raises(ParameterError):
        Style(width_in=1.5, height_in=1.2, dpi=60)  # 90 × 72 px


def test_sampling_is_deterministic_per_seed() -> None:
    a = sample_style(np.random.default_rng(7), n_curves=2)
    b = sample_style(np.random.default_rng(7), n_curves=2)
    c = sample_style(np.random.default_rng(8), n_curves=2)
    assert a == b
    assert a != c


def test_overrides_pin_fields_and_dependent_fields_follow() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        s = sample_style(rng, n_curves=4, overrides={"theme": "origin", "dpi": 150, "palette": "viridis"})
        assert (s.theme, s.dpi, s.palette) == ("origin", 150, "viridis")
        assert s.colors[:4] == palette_colors("viridis", 4)
        assert 300 <= s.pixel_size[0] <= 2400


def test_overrides_accept_json_lists_and_reject_unknown_fields() -> None:
    s = sample_style(np.random.default_rng(0), overrides={"line_styles": ["-", "--"], "legend": "inside"})
    assert s.line_styles == ("-", "--")
    with pytest.raises(ConfigError, match="colour"):
        sample_style(np.random.default_rng(0), overrides={"colour": "#000000"})
    with pytest.raises(ConfigError, match="tick_direction"):
        sample_style(np.random.default_rng(0), overrides={"tick_direction": "up"})


def test_every_categorical_option_is_reachable(draws: list[Style]) -> None:
    missing = {}
    for name, allowed in OPTIONS.items():
        seen = {getattr(s, name) for s in draws}
        want = set(allowed) - set(NOT_SAMPLED.get(name, ()))
        if want - seen:
            missing[name] = sorted(map(str, want - seen))
    assert not missing


def test_every_boolean_palette_marker_and_line_style_is_reachable(draws: list[Style]) -> None:
    for f in dataclasses.fields(Style):
        if f.type == "bool":
            assert {getattr(s, f.name) for s in draws} == {True, False}, f.name
    assert {s.palette for s in draws} == set(PALETTES)
    assert {m for s in draws for m in s.markers} == set(MARKERS)
    assert {ls for s in draws for ls in s.line_styles} == set(LINE_STYLES)
    assert {s.font_family for s in draws} == set(FONT_FAMILIES)
    assert {s.theme for s in draws} == set(THEMES)
    assert {s.convention for s in draws} == {"IUPAC", "US", "mixed"}


def test_optional_annotations_are_sometimes_present(draws: list[Style]) -> None:
    assert any(s.title is None for s in draws) and any(s.title for s in draws)
    assert any(s.panel_label is None for s in draws) and any(s.panel_label for s in draws)
    aspects = {s.axes_aspect for s in draws}
    assert None in aspects and 1.0 in aspects and any(a not in (None, 1.0) for a in aspects)


def test_sizes_span_the_required_range(draws: list[Style]) -> None:
    dpis = [s.dpi for s in draws]
    widths = [s.pixel_size[0] for s in draws]
    assert min(dpis) <= 70 and max(dpis) >= 290
    assert min(widths) <= 350 and max(widths) >= 2000
    assert all(300 <= w <= 2400 for w in widths)
    # text a person can read: at least ~7 px high
    assert all(s.tick_font_size * s.dpi / 72 >= 7.4 for s in draws)


def test_sampled_colours_stay_visible_on_the_axes_background(draws: list[Style]) -> None:
    def lum(c: str) -> float:
        r, g, b = (int(c[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    for s in draws:
        for c in s.colors:
            assert abs(lum(c) - lum(s.axes_background)) > 0.15 or c == s.foreground


def test_common_looks_dominate(draws: list[Style]) -> None:
    iupac = sum(s.convention == "IUPAC" for s in draws) / len(draws)
    lines = sum(s.draw_mode == "line" for s in draws) / len(draws)
    assert 0.6 < iupac < 0.95
    assert lines > 0.5


def test_available_fonts_starts_with_the_shipped_ones() -> None:
    fonts = available_fonts()
    assert fonts[: len(FONT_FAMILIES)] == FONT_FAMILIES
    extra = [f for f in fonts if f not in FONT_FAMILIES]
    if extra:
        style = sample_style(np.random.default_rng(0), overrides={"theme": "custom"}, fonts=fonts)
        assert style.font_family in fonts
